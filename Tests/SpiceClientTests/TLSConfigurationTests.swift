/// The TLS settings as users write them: virt-viewer host subjects, spice:// URIs, secure-channel lists.
import SpiceClient
import SpiceWire
import XCTest

final class TLSConfigurationTests: XCTestCase {
    // MARK: - Host subject

    func testHostSubjectParsesKeyValuePairsInOrder() throws {
        let subject = try HostSubject(parsing: "C=FR,O=Example Org,CN=spice.example.com")
        XCTAssertEqual(subject.entries, [.init(key: "C", value: "FR"), .init(key: "O", value: "Example Org"),
                                         .init(key: "CN", value: "spice.example.com")])
    }

    func testHostSubjectIgnoresSpacesBeforeKeysButKeepsThemInValues() throws {
        let subject = try HostSubject(parsing: "O=spice test, CN=localhost")
        XCTAssertEqual(subject.entries, [.init(key: "O", value: "spice test"), .init(key: "CN", value: "localhost")])
    }

    func testHostSubjectBackslashEscapesCommaEqualsAndBackslash() throws {
        let subject = try HostSubject(parsing: #"O=Acme\, Inc.,OU=a\=b,CN=back\\slash"#)
        XCTAssertEqual(subject.entries, [.init(key: "O", value: "Acme, Inc."), .init(key: "OU", value: "a=b"),
                                         .init(key: "CN", value: #"back\slash"#)])
        XCTAssertEqual(try HostSubject(parsing: subject.description), subject, "the description parses back to the same subject")
    }

    func testHostSubjectValueMayContainAnEqualsSign() throws {
        XCTAssertEqual(try HostSubject(parsing: "CN=a=b").entries, [.init(key: "CN", value: "a=b")])
    }

    func testHostSubjectRejectsMalformedText() {
        for text in ["", "CN", "O=x,CN", "=value", "O=x,,CN=y", #"CN=trailing\"#] {
            XCTAssertThrowsError(try HostSubject(parsing: text), "'\(text)'") { error in
                XCTAssertEqual((error as? SpiceClientError)?.code, .invalidConfiguration, "'\(text)'")
            }
        }
        XCTAssertThrowsError(try HostSubject(parsing: String(repeating: "O=x,", count: 2000) + "CN=y"))
    }

    // MARK: - spice:// URIs

    func testURIWithHostAndPortIsPlain() throws {
        XCTAssertEqual(try SpiceURI(parsing: "spice://example.com:5930"), SpiceURI(host: "example.com", port: 5930, tlsPort: nil))
    }

    func testURIWithoutPortsDefaultsTo5900() throws {
        XCTAssertEqual(try SpiceURI(parsing: "spice://example.com"), SpiceURI(host: "example.com", port: 5900, tlsPort: nil))
        XCTAssertEqual(try SpiceURI(parsing: "spice://example.com/"), SpiceURI(host: "example.com", port: 5900, tlsPort: nil))
    }

    func testURIQueryGivesPlainAndTLSPorts() throws {
        XCTAssertEqual(try SpiceURI(parsing: "spice://10.0.0.5?port=5900&tls-port=5901"), SpiceURI(host: "10.0.0.5", port: 5900, tlsPort: 5901))
        XCTAssertEqual(try SpiceURI(parsing: "spice://host:5900/?tls-port=5901"), SpiceURI(host: "host", port: 5900, tlsPort: 5901))
    }

    func testURIWithOnlyATLSPortHasNoPlainPort() throws {
        XCTAssertEqual(try SpiceURI(parsing: "spice://host?tls-port=5901"), SpiceURI(host: "host", port: nil, tlsPort: 5901))
    }

    func testURIWithBracketedIPv6Address() throws {
        XCTAssertEqual(try SpiceURI(parsing: "spice://[::1]:5900"), SpiceURI(host: "::1", port: 5900, tlsPort: nil))
        XCTAssertEqual(try SpiceURI(parsing: "spice://[fe80::1]?tls-port=443"), SpiceURI(host: "fe80::1", port: nil, tlsPort: 443))
    }

    func testURIRejectsWhatItCannotMean() {
        for text in ["vnc://host:5900", "spice://", "spice://:5900", "spice://host:0", "spice://host:70000", "spice://host:abc",
                     "spice://host?tls-port=", "spice://host?tls-port=99999", "spice://host?password=x", "spice://host:5900?port=5901",
                     "spice://host/path", "spice://[::1", "spice://[::1]x"] {
            XCTAssertThrowsError(try SpiceURI(parsing: text), "'\(text)'") { error in
                XCTAssertEqual((error as? SpiceClientError)?.code, .invalidConfiguration, "'\(text)'")
            }
        }
    }

    // MARK: - Secure channels

    func testSecureChannelsAllAndNamedLists() throws {
        XCTAssertEqual(try SecureChannels(parsing: "all"), .all)
        let some = try SecureChannels(parsing: "main, display,inputs")
        XCTAssertEqual(some, .only([.main, .display, .inputs]))
        XCTAssertTrue(some.contains(.display))
        XCTAssertFalse(some.contains(.cursor))
        XCTAssertTrue(SecureChannels.all.contains(.record))
        XCTAssertFalse(SecureChannels.none.contains(.main))
        XCTAssertEqual(some.description, "main,display,inputs")
    }

    func testSecureChannelsRejectsUnknownNames() {
        for text in ["", "screen", "main,,display", "tunnel", "all,main"] {
            XCTAssertThrowsError(try SecureChannels(parsing: text), "'\(text)'")
        }
    }

    // MARK: - Configuration checks

    func testSecureChannelsWithoutATLSPortAreRefused() {
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 5900, secureChannels: .all))) { error in
            XCTAssertTrue("\(error)".contains("TLS port"), "\(error)")
        }
    }

    func testNoPortAtAllIsRefused() {
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 0)))
    }

    func testAMissingCAFileIsRefusedAtOnce() {
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 0, tlsPort: 5901, caFile: "/nonexistent/ca.pem"))) { error in
            XCTAssertEqual((error as? SpiceClientError)?.code, .invalidConfiguration)
            XCTAssertTrue("\(error)".contains("/nonexistent/ca.pem"), "\(error)")
        }
    }

    func testAnUnknownHostSubjectAttributeIsRefusedAtOnce() throws {
        let subject = try HostSubject(parsing: "O=x,Nonsense=y")
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 0, tlsPort: 5901, hostSubject: subject))) { error in
            XCTAssertTrue("\(error)".contains("Nonsense"), "\(error)")
        }
    }

    func testAPinOfTheWrongSizeIsRefused() {
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 0, tlsPort: 5901, pinnedPublicKey: [1, 2, 3])))
    }
}
