import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// Certificates made with the `openssl` tool in a temporary directory, once per test run: a CA and a
/// server certificate for `DNS:localhost,IP:127.0.0.1` (what QEMU's `x509-dir` wants), and the
/// wrong ones: another CA, a certificate for another name, an expired certificate.
final class TestPKI: @unchecked Sendable {
    static let shared = Result { try TestPKI() }

    let root: String
    /// x509-dir of the good server: ca-cert.pem, server-cert.pem, server-key.pem.
    var good: String { self.root + "/good" }
    /// x509-dir of a server whose certificate names `other.example` only.
    var otherName: String { self.root + "/other-name" }
    /// x509-dir of a server whose certificate expired yesterday.
    var expired: String { self.root + "/expired" }
    /// The CA that signed every server certificate (each x509-dir holds a copy as ca-cert.pem).
    var caFile: String { self.root + "/ca-cert.pem" }
    /// A CA that signed none of the servers.
    var wrongCAFile: String { self.root + "/wrong-ca/ca-cert.pem" }

    private init() throws {
        self.root = NSTemporaryDirectory() + "spice-tls-\(UUID().uuidString)"
        for dir in ["good", "other-name", "expired", "wrong-ca"] {
            try FileManager.default.createDirectory(atPath: self.root + "/" + dir, withIntermediateDirectories: true)
        }
        try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.root + "/ca-key.pem",
                          "-out", self.caFile, "-days", "30", "-subj", "/CN=spice-test-ca"])
        try Self.openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.root + "/wrong-ca/ca-key.pem",
                          "-out", self.wrongCAFile, "-days", "30", "-subj", "/CN=spice-test-ca"])
        try self.serverCertificate(in: self.good, subject: "/O=spice-test/CN=localhost", altNames: "DNS:localhost,IP:127.0.0.1", days: "30")
        try self.serverCertificate(in: self.otherName, subject: "/O=spice-test/CN=other.example", altNames: "DNS:other.example", days: "30")
        // `-days -1` puts notAfter a day before notBefore (now): expired, and no fake clock needed.
        try self.serverCertificate(in: self.expired, subject: "/O=spice-test/CN=localhost", altNames: "DNS:localhost,IP:127.0.0.1", days: "-1")
    }

    private func serverCertificate(in dir: String, subject: String, altNames: String, days: String) throws {
        try FileManager.default.copyItem(atPath: self.caFile, toPath: dir + "/ca-cert.pem")
        try "subjectAltName=\(altNames)\n".write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
        try Self.openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/server-key.pem", "-out", dir + "/server.csr", "-subj", subject])
        try Self.openssl(["x509", "-req", "-in", dir + "/server.csr", "-CA", self.caFile, "-CAkey", self.root + "/ca-key.pem",
                          "-CAcreateserial", "-CAserial", self.root + "/ca.srl", "-out", dir + "/server-cert.pem",
                          "-days", days, "-extfile", dir + "/ext.cnf"])
    }

    private static func openssl(_ arguments: [String]) throws {
        let result = try ChildProcess.run("/usr/bin/openssl", arguments, timeout: 60)
        guard result.termination == .exited(0) else { throw ToolError("openssl \(arguments.prefix(2).joined(separator: " ")) failed: \(result.stderr)") }
    }
}

/// The channels spice-headless lists on its `over TLS:` line.
func secureChannelsPrinted(_ stdout: String) -> Set<String> {
    guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("over TLS: ") }) else { return [] }
    return Set(line.dropFirst("over TLS: ".count).split(separator: " ").map(String.init))
}

/// TLS against QEMU's `tls-port`: verification like remote-viewer, per-channel security, NEED_SECURED.
final class TLSTests: XCTestCase {
    func pki() throws -> TestPKI { try TestPKI.shared.get() }

    /// QMP `query-spice`: the channels the server sees, as (channel-type, tls).
    func serverChannels(_ server: LocalServer) throws -> [(type: Int, tls: Bool)] {
        let reply = try qmp(server, #"{"execute":"query-spice"}"#)
        let object = try JSONSerialization.jsonObject(with: Data(reply.utf8)) as? [String: Any]
        let channels = (object?["return"] as? [String: Any])?["channels"] as? [[String: Any]] ?? []
        return channels.compactMap { channel in
            guard let type = channel["channel-type"] as? Int, let tls = channel["tls"] as? Bool else { return nil }
            return (type, tls)
        }
    }

    /// Starts a client and waits until every channel linked or the session ended.
    func connect(_ configuration: SpiceClient.Configuration, channels: [ChannelID] = qemuChannels, seconds: Double = 20) throws -> (SpiceClient, [SessionEvent]) {
        let client = try SpiceClient(configuration: configuration)
        client.start()
        let events = pump(client, seconds: seconds) { allLinked($0, channels) || !$0.isRunning }
        return (client, events)
    }

    /// The error the session ended with.
    func endError(_ client: SpiceClient, _ events: [SessionEvent], file: StaticString = #filePath, line: UInt = #line) -> SessionError? {
        XCTAssertFalse(client.isRunning, "the session should have ended", file: file, line: line)
        for case .sessionEnded(let error?) in events { return error }
        XCTFail("no session error in \(events)", file: file, line: line)
        return nil
    }

    func testRightCALinksEveryChannelOverTLSWhenTheServerRequiresItEverywhere() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "default"])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: server.port, tlsPort: tlsPort, caFile: pki.caFile, secureChannels: .all))
        XCTAssertTrue(allLinked(client, qemuChannels), "\(events)")
        for id in qemuChannels {
            XCTAssertTrue(client.isSecure(id), "\(id) is not over TLS")
            XCTAssertFalse(client.session.wantsSecureConnection(id), "\(id) was asked for TLS: it should have used it from the start")
        }
        let seen = try self.serverChannels(server)
        XCTAssertEqual(seen.count, qemuChannels.count, "server-side channels: \(seen)")
        XCTAssertTrue(seen.allSatisfy(\.tls), "the server sees a channel without TLS: \(seen)")
        // Traffic flows over TLS: pings are answered for a few seconds.
        pump(client, seconds: 3)
        XCTAssertTrue(allLinked(client, qemuChannels))
        XCTAssertGreaterThan(client.session.statistics(of: ChannelID(.display))?.messagesReceived ?? 0, 3)
        client.disconnect()
    }

    func testOnlyATLSPortGivenConnectsOverTLSAlone() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--no-audio"])
        defer { server.stop() }
        let channels: [ChannelID] = [.main, ChannelID(.display), ChannelID(.inputs), ChannelID(.cursor)]
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: try XCTUnwrap(server.tlsPort), caFile: pki.caFile), channels: channels)
        XCTAssertTrue(allLinked(client, channels), "\(events)")
        let seen = try self.serverChannels(server)
        XCTAssertEqual(seen.count, channels.count, "\(seen)")
        XCTAssertTrue(seen.allSatisfy(\.tls), "\(seen)")
        client.disconnect()
    }

    func testNeedSecuredMovesOnlyThatChannelToTheTLSPort() throws {
        let pki = try self.pki()
        // The server requires TLS on the display channel only; the client asks for no secure channel.
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "display"])
        defer { server.stop() }
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: server.port, tlsPort: try XCTUnwrap(server.tlsPort), caFile: pki.caFile))
        XCTAssertTrue(allLinked(client, qemuChannels), "\(events)")
        let display = ChannelID(.display)
        XCTAssertTrue(client.session.wantsSecureConnection(display), "the server did not answer NEED_SECURED")
        XCTAssertTrue(client.isSecure(display))
        for id in qemuChannels where id != display { XCTAssertFalse(client.isSecure(id), "\(id) should be plain") }
        XCTAssertFalse(events.contains { if case .channelClosed = $0 { true } else { false } }, "the retry is not a close: \(events)")
        let seen = try self.serverChannels(server)
        XCTAssertEqual(seen.filter(\.tls).map(\.type), [Int(ChannelType.display.rawValue)], "\(seen)")
        XCTAssertEqual(seen.count, qemuChannels.count, "\(seen)")
        client.disconnect()
    }

    func testNeedSecuredWithoutATLSPortEndsWithAClearMessage() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "main"])
        defer { server.stop() }
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: server.port), seconds: 10)
        let error = try XCTUnwrap(self.endError(client, events))
        XCTAssertEqual(error.code, .linkRefused(.needSecured))
        XCTAssertTrue(error.detail.contains("requires TLS"), error.detail)
    }

    func testWrongCAIsRefused() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--no-audio"])
        defer { server.stop() }
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: try XCTUnwrap(server.tlsPort), caFile: pki.wrongCAFile), seconds: 10)
        let error = try XCTUnwrap(self.endError(client, events))
        XCTAssertTrue(error.detail.contains("certificate verify failed:"), error.detail)
        XCTAssertTrue(error.detail.contains("certificate"), error.detail)
        XCTAssertNil(client.session.mainInit, "nothing past the handshake")
    }

    func testHostSubjectReplacesTheHostnameCheckAndAWrongOneIsRefused() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "default"])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        // Right subject, RDNs in another order: accepted.
        let (right, rightEvents) = try self.connect(.init(host: "127.0.0.1", port: server.port, tlsPort: tlsPort, caFile: pki.caFile,
                                                          hostSubject: try HostSubject(parsing: "CN=localhost, O=spice-test"), secureChannels: .all))
        XCTAssertTrue(allLinked(right, qemuChannels), "\(rightEvents)")
        disconnectLettingTheServerSettle(right)

        let (wrong, events) = try self.connect(.init(host: "127.0.0.1", port: server.port, tlsPort: tlsPort, caFile: pki.caFile,
                                                     hostSubject: try HostSubject(parsing: "O=spice-test,CN=someone-else"), secureChannels: .all), seconds: 10)
        let error = try XCTUnwrap(self.endError(wrong, events))
        XCTAssertTrue(error.detail.contains("host subject mismatch: expected O=spice-test,CN=someone-else got O=spice-test,CN=localhost"), error.detail)
    }

    func testCertificateForAnotherNameIsRefused() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.otherName, "--no-audio"])
        defer { server.stop() }
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: try XCTUnwrap(server.tlsPort), caFile: pki.caFile), seconds: 10)
        let error = try XCTUnwrap(self.endError(client, events))
        XCTAssertTrue(error.detail.contains("certificate verify failed: IP address mismatch"), error.detail)
    }

    func testExpiredCertificateIsRefused() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.expired, "--no-audio"])
        defer { server.stop() }
        let (client, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: try XCTUnwrap(server.tlsPort), caFile: pki.caFile), seconds: 10)
        let error = try XCTUnwrap(self.endError(client, events))
        XCTAssertTrue(error.detail.contains("certificate verify failed: certificate has expired"), error.detail)
    }

    func testPinnedPublicKeyAloneIsEnoughAndAWrongPinIsRefused() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--no-audio"])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        let pin = try publicKeyPin(ofCertificatePEMFile: pki.good + "/server-cert.pem")
        // No CA file: the system store does not know the test CA, so only the pin can make this work.
        let channels: [ChannelID] = [.main, ChannelID(.display), ChannelID(.inputs), ChannelID(.cursor)]
        let (right, rightEvents) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: tlsPort, pinnedPublicKey: pin), channels: channels)
        XCTAssertTrue(allLinked(right, channels), "\(rightEvents)")
        disconnectLettingTheServerSettle(right)

        var wrongPin = pin
        wrongPin[0] ^= 1
        let (wrong, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: tlsPort, pinnedPublicKey: wrongPin), seconds: 10)
        let error = try XCTUnwrap(self.endError(wrong, events))
        XCTAssertTrue(error.detail.contains("public key mismatch"), error.detail)
    }

    func testPasswordOverTLS() throws {
        let pki = try self.pki()
        let password = "tls-s3cret"
        let file = try temporaryFile(password)
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "default", "--password-file", file])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        let (right, rightEvents) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: tlsPort, caFile: pki.caFile,
                                                          session: .init(password: Password(password))))
        XCTAssertTrue(allLinked(right, qemuChannels), "\(rightEvents)")
        XCTAssertTrue(qemuChannels.allSatisfy { right.isSecure($0) })
        disconnectLettingTheServerSettle(right)

        let (wrong, events) = try self.connect(.init(host: "127.0.0.1", port: 0, tlsPort: tlsPort, caFile: pki.caFile,
                                                     session: .init(password: Password("not-it"))), seconds: 10)
        let error = try XCTUnwrap(self.endError(wrong, events))
        XCTAssertEqual(error.code, .linkRefused(.permissionDenied))
        XCTAssertTrue(error.detail.contains("wrong password"), error.detail)
    }

    func testHeadlessWithTLSFlagsAndWithASpiceURI() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good, "--tls-channel", "default"])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)

        let flags = try runHeadless(["127.0.0.1", String(server.port), "--tls-port", String(tlsPort), "--ca-file", pki.caFile,
                                     "--host-subject", "O=spice-test,CN=localhost", "--secure-channels", "all", "--seconds", "3"])
        XCTAssertEqual(flags.termination, .exited(0), flags.stderr + flags.stdout)
        for id in qemuChannels { XCTAssertTrue(flags.stdout.contains("\(id): linked"), "\(id) not linked:\n\(flags.stdout)") }
        XCTAssertEqual(secureChannelsPrinted(flags.stdout), Set(qemuChannels.map(\.description)), flags.stdout)

        // Plain port and TLS port from the URI; every channel is moved to TLS by NEED_SECURED.
        let uri = try runHeadless(["spice://127.0.0.1?port=\(server.port)&tls-port=\(tlsPort)", "--ca-file", pki.caFile, "--seconds", "3"])
        XCTAssertEqual(uri.termination, .exited(0), uri.stderr + uri.stdout)
        XCTAssertEqual(secureChannelsPrinted(uri.stdout), Set(qemuChannels.map(\.description)), uri.stdout)

        let refused = try runHeadless(["spice://127.0.0.1?tls-port=\(tlsPort)", "--ca-file", pki.wrongCAFile, "--seconds", "3"])
        XCTAssertEqual(refused.termination, .exited(1))
        XCTAssertTrue(refused.stderr.contains("certificate verify failed"), refused.stderr)
    }

    /// Handshake time: from `start()` to every channel linked, plain and over TLS, on the same server.
    func testHandshakeTimeWithAndWithoutTLS() throws {
        let pki = try self.pki()
        let server = try LocalServer(arguments: ["--tls-dir", pki.good])
        defer { server.stop() }
        let tlsPort = try XCTUnwrap(server.tlsPort)
        var figures: [String: [Double]] = [:]
        for round in 0..<10 {
            let secure = round % 2 == 1
            let configuration: SpiceClient.Configuration = secure
                ? .init(host: "127.0.0.1", port: 0, tlsPort: tlsPort, caFile: pki.caFile)
                : .init(host: "127.0.0.1", port: server.port)
            let started = Date()
            let (client, events) = try self.connect(configuration)
            let elapsed = Date().timeIntervalSince(started) * 1000
            XCTAssertTrue(allLinked(client, qemuChannels), "round \(round) (\(secure ? "TLS" : "plain")): \(events)")
            XCTAssertEqual(qemuChannels.allSatisfy { client.isSecure($0) }, secure)
            figures[secure ? "tls" : "plain", default: []].append(elapsed)
            if secure { figures["tls handshake", default: []].append(Double(qemuChannels.compactMap { client.tlsHandshakeMilliseconds($0) }.max() ?? 0)) }
            // spice-server 0.15.1's worker thread was seen to segfault (NULL read) when TLS display and
            // cursor channels were closed within a few hundred ms of linking, about once in 13 quick
            // cycles (never with plain channels, never with 1.5 s sessions): let each session settle.
            disconnectLettingTheServerSettle(client)
            _ = client.poll(timeoutMilliseconds: 0)
        }
        XCTAssertTrue(server.isAlive, "QEMU died during the rounds")
        let plain = figures["plain"]!.sorted(), tls = figures["tls"]!.sorted()
        print("slowest channel's TCP connect + TLS handshake + verification per TLS round: \(figures["tls handshake"]!.map { Int($0) }) ms")
        print("handshake to all \(qemuChannels.count) channels linked: plain median \(Int(plain[2])) ms \(plain.map { Int($0) }), TLS median \(Int(tls[2])) ms \(tls.map { Int($0) })")
        XCTAssertLessThan(tls[2], 5000, "TLS linking is unreasonably slow")
    }

    /// QEMU 7.2's libspice-server 0.15.1 crashes (a NULL read in its worker thread) when TLS display and
    /// cursor channels close within a few hundred milliseconds of linking, so a test that connects again
    /// to the same server lets the session run a moment before it disconnects.
    private func disconnectLettingTheServerSettle(_ client: SpiceClient) {
        pump(client, seconds: 1.5)
        client.disconnect()
    }
}
