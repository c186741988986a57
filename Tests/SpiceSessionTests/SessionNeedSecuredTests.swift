/// `NEED_SECURED` (notes §1.4, §1.8): the server refuses a plain link because the channel must use
/// TLS; the session starts that channel over on a connection the I/O tier makes secure.
import SpiceSession
import SpiceWire
import XCTest

final class SessionNeedSecuredTests: XCTestCase {
    /// What spice-server sends to refuse a link: a full-size reply, every field but the error zero
    /// (caps_offset 0 included).
    static func spiceServerRefusal(_ error: LinkError) -> [UInt8] {
        var writer = WireWriter(capacity: LinkHeader.size + LinkReply.fixedSize)
        LinkHeader(size: UInt32(LinkReply.fixedSize)).encode(into: &writer)
        writer.writeUInt32LE(error.rawValue)
        writer.writeBytes([UInt8](repeating: 0, count: LinkReply.fixedSize - 4))
        return writer.bytes
    }

    func testNeedSecuredOnADisplayChannelReopensItSecurelyAndItLinksThere() throws {
        let server = FakeServer()
        server.startSession()
        server.list([ChannelID(.display)])
        let display = ChannelID(.display)
        let firstRequest = try XCTUnwrap(server.connected(display).rawSends.first?.bytes)
        XCTAssertFalse(server.session.wantsSecureConnection(display))

        let refusal = Self.spiceServerRefusal(.needSecured)
        let actions = refusal.withUnsafeBytes { server.session.received(display, $0, now: server.now) }
        XCTAssertEqual(actions, [.close(display), .connect(display)], "close the plain connection, open a secure one; no error event")
        XCTAssertTrue(server.session.wantsSecureConnection(display))
        XCTAssertFalse(server.session.wantsSecureConnection(.main), "only the refused channel moves to TLS")
        XCTAssertEqual(server.session.status(of: display), .connecting)

        // The new connection repeats the same request (same connection id) and links normally.
        let retry = server.session.connected(display, now: server.now)
        XCTAssertEqual(retry, [.send(display, firstRequest)])
        let fresh = ServerChannel(display)
        let linked = fresh.handshake().withUnsafeBytes { server.session.received(display, $0, now: server.now) }
        XCTAssertTrue(linked.contains(.event(.channelLinked(display, fresh.expectedLinkInfo))), "\(linked)")
        XCTAssertEqual(server.session.status(of: display), .linked)
    }

    func testNeedSecuredOnTheMainChannelDoesNotEndTheSession() {
        let server = FakeServer()
        server.start()
        server.connected(.main)
        let actions = Self.spiceServerRefusal(.needSecured).withUnsafeBytes { server.session.received(.main, $0, now: server.now) }
        XCTAssertEqual(actions, [.close(.main), .connect(.main)])
        XCTAssertFalse(server.session.ended)
        XCTAssertTrue(server.session.wantsSecureConnection(.main))
    }

    func testASecuredChannelRefusedAgainFailsWithTheRefusal() {
        let server = FakeServer()
        server.start()
        server.connected(.main)
        _ = Self.spiceServerRefusal(.needSecured).withUnsafeBytes { server.session.received(.main, $0, now: server.now) }
        _ = server.session.connected(.main, now: server.now)
        let actions = Self.spiceServerRefusal(.needSecured).withUnsafeBytes { server.session.received(.main, $0, now: server.now) }
        XCTAssertTrue(server.session.ended, "no endless reconnect loop")
        guard case .event(.sessionEnded(let error?))? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(error.code, .linkRefused(.needSecured))
        XCTAssertTrue(error.detail.contains("requires TLS"), error.detail)
    }

    func testWithoutASecurePortNeedSecuredIsFinalAndSaysTLS() {
        var configuration = Session.Configuration()
        configuration.reopensSecuredChannels = false
        let session = Session(configuration: configuration, encryptor: RecordingEncryptor())
        _ = session.start(now: 0)
        _ = session.connected(.main, now: 0)
        let actions = Self.spiceServerRefusal(.needSecured).withUnsafeBytes { session.received(.main, $0, now: 1) }
        XCTAssertFalse(actions.contains(.connect(.main)), "no secure retry without a secure port")
        guard case .event(.sessionEnded(let error?))? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(error.code, .linkRefused(.needSecured))
        XCTAssertTrue(error.detail.contains("requires TLS"), error.detail)
    }

    func testAnyOtherRefusalInSpiceServersFormatNamesTheError() {
        let server = FakeServer()
        server.start()
        server.connected(.main)
        let actions = Self.spiceServerRefusal(.permissionDenied).withUnsafeBytes { server.session.received(.main, $0, now: server.now) }
        guard case .event(.sessionEnded(let error?))? = actions.last else { return XCTFail("\(actions)") }
        XCTAssertEqual(error.code, .linkRefused(.permissionDenied), "read as a refusal, not as a malformed reply (caps_offset 0)")
        XCTAssertFalse(server.session.wantsSecureConnection(.main))
    }
}
