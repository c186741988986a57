import Foundation
import SpiceClient
import SpiceSession
import SpiceWire
import XCTest

/// Tests for `SpiceClient`, the I/O tier: a real client with real sockets and its poll loop, against the
/// scripted `FakeSpiceServer` on 127.0.0.1, which injects the faults. Every wait has a deadline.
final class SpiceClientTests: XCTestCase {
    /// The longest any test polls for one outcome.
    private static let deadline: TimeInterval = 5

    /// The `MAIN_INIT` the fake server sends: client mouse mode already current, so the client has no
    /// reason to send anything but `ATTACH_CHANNELS`.
    private static let mainInit = MainInit(
        sessionID: 0x1234_5678, displayChannelsHint: 1, supportedMouseModes: 3, currentMouseMode: 2,
        agentConnected: 0, agentTokens: 0, multiMediaTime: 1000, ramHint: 0)

    private static let display = ChannelID(.display, 0)

    /// "secret" and its NUL: what the fake server must decrypt from the ticket of the password "secret".
    private static let secretTicket: [UInt8] = Array("secret".utf8) + [0]

    // MARK: - Helpers

    /// A fake server that is stopped when the test ends, whatever happens.
    private func makeServer() throws -> FakeSpiceServer {
        let server = try FakeSpiceServer()
        self.addTeardownBlock { server.stop() }
        return server
    }

    private func makeClient(port: UInt16, password: String = "secret", linkTimeoutMilliseconds: UInt64 = 10_000) throws -> SpiceClient {
        let session = Session.Configuration(password: Password(password), linkTimeoutMilliseconds: linkTimeoutMilliseconds)
        return try SpiceClient(configuration: .init(host: "127.0.0.1", port: port, session: session))
    }

    /// Polls `client` until `done` holds for the events so far or the deadline passes; returns every event.
    @discardableResult
    private func pollClient(_ client: SpiceClient, timeoutMilliseconds: Int32 = 50,
                            until done: ([SessionEvent]) -> Bool) -> [SessionEvent] {
        let end = Date().addingTimeInterval(Self.deadline)
        var events: [SessionEvent] = []
        while !done(events) && Date() < end {
            events += client.poll(timeoutMilliseconds: timeoutMilliseconds)
        }
        return events
    }

    /// Links the main channel as spice-server does, sends `MAIN_INIT` and `CHANNELS_LIST`, and reads the
    /// client's messages up to `ATTACH_CHANNELS`.
    @discardableResult
    private static func serveMain(_ main: FakeConnection, channels: [ChannelID] = [],
                                  commonCaps: CapabilitySet = FakeSpiceServer.standardCommonCaps) throws -> (FakeConnection.Link, [Frame]) {
        let link = try main.acceptLink(commonCaps: commonCaps)
        try main.sendMain(.`init`(Self.mainInit))
        try main.sendMain(.channelsList(channels))
        return (link, try main.readMessages { $0.type == MainClientMessage.ID.attachChannels })
    }

    /// Starts a client against a server whose main channel is linked and idle, and waits for `CHANNELS_LIST`.
    private func startLinkedSession(_ server: FakeSpiceServer) throws -> (SpiceClient, [SessionEvent]) {
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.listedChannels != nil || $0.sessionEnded }
        XCTAssertNotNil(events.listedChannels, "the session did not start: \(events)")
        return (client, events)
    }

    private func assertSessionEnded(_ events: [SessionEvent], with code: SessionError.Code,
                                    file: StaticString = #filePath, line: UInt = #line) -> SessionError? {
        XCTAssertTrue(events.sessionEnded, "no sessionEnded within \(Self.deadline) s: \(events)", file: file, line: line)
        guard let error = events.sessionEndError else {
            XCTFail("the session ended without an error: \(events)", file: file, line: line)
            return nil
        }
        XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
        XCTAssertEqual(error.channel, .main, file: file, line: line)
        XCTAssertTrue(events.closed(.main), "no channelClosed(main): \(events)", file: file, line: line)
        XCTAssertEqual(events.closeError(.main), error, "the main channel must close with the error that ends the session",
                       file: file, line: line)
        return error
    }

    // MARK: - Successful sessions

    func testHappyPathLinksMainStartsSessionAndSendsAttachChannels() throws {
        let server = try self.makeServer()
        let served = Captured<(FakeConnection.Link, [Frame])>()
        let afterAttach = Captured<[UInt8]>()
        server.run { server in
            let main = try server.accept()
            served.value = try Self.serveMain(main)
            // Stay connected until the client leaves, so the checks below see a live session.
            afterAttach.value = try main.readUntilEOF()
        }

        let (client, events) = try self.startLinkedSession(server)

        guard events.count >= 2, case .channelLinked(.main, let info) = events[0], case .sessionStarted(let started) = events[1] else {
            return XCTFail("expected channelLinked(main) then sessionStarted first: \(events)")
        }
        XCTAssertEqual(info.headerKind, .mini)
        XCTAssertEqual(started, Self.mainInit)
        XCTAssertEqual(events.listedChannels, [])
        XCTAssertFalse(events.contains { if case .channelClosed = $0 { true } else { false } }, "\(events)")
        XCTAssertTrue(client.isRunning)
        XCTAssertEqual(client.session.status(of: .main), .linked)

        client.disconnect()
        self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())

        let (link, frames) = try XCTUnwrap(served.value)
        XCTAssertEqual(link.request.channel, .main)
        XCTAssertEqual(link.request.connectionID, 0)
        XCTAssertEqual(link.authentication.mechanism, CommonCapability.authSpice)
        XCTAssertEqual(link.authentication.ticket, Self.secretTicket)
        XCTAssertEqual(frames.map(\.type), [MainClientMessage.ID.attachChannels])
        XCTAssertEqual(frames.first?.body, [])
        XCTAssertEqual(afterAttach.value?.count, 6 + 12, "only DISCONNECTING (mini header + 12-byte body) follows ATTACH_CHANNELS")
    }

    func testServerWithoutAuthSelectionGetsTheBareTicket() throws {
        let server = try self.makeServer()
        let served = Captured<(FakeConnection.Link, [Frame])>()
        server.run { server in
            // An old server: no PROTOCOL_AUTH_SELECTION, so the 128 ticket bytes must come first, with no mechanism word.
            served.value = try Self.serveMain(try server.accept(), commonCaps: CapabilitySet([CommonCapability.miniHeader]))
        }
        _ = try self.startLinkedSession(server)
        XCTAssertNil(server.waitForScript())
        let (link, _) = try XCTUnwrap(served.value)
        XCTAssertNil(link.authentication.mechanism)
        XCTAssertEqual(link.authentication.ticket, Self.secretTicket)
    }

    func testServerWithoutMiniHeaderIsSpokenToWithFullHeaders() throws {
        let server = try self.makeServer()
        let served = Captured<(FakeConnection.Link, [Frame])>()
        server.run { server in
            served.value = try Self.serveMain(
                try server.accept(),
                commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice]))
        }
        let (client, events) = try self.startLinkedSession(server)
        XCTAssertNil(server.waitForScript())
        XCTAssertEqual(events.linkInfo(.main)?.headerKind, .full)
        XCTAssertEqual(client.session.linkInfo(of: .main)?.headerKind, .full)
        let (_, frames) = try XCTUnwrap(served.value)
        XCTAssertEqual(frames.map(\.type), [MainClientMessage.ID.attachChannels])
        XCTAssertEqual(frames.first?.serial, 1, "the client's first full-header message has serial 1")
        XCTAssertEqual(frames.first?.subList, 0)
    }

    func testLinkReplyResultAndFirstMessagesInOneWriteAreAllHandled() throws {
        let server = try self.makeServer()
        let authentication = Captured<FakeConnection.Authentication>()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            // Everything up to CHANNELS_LIST in one segment: the bytes after the link result must reach the framer.
            let reply = main.linkReplyBytes()
            let result = LinkResult(error: .ok).encode()
            let initBytes = main.messageBytes(MainServerMessage.ID.`init`, MainServerMessage.`init`(Self.mainInit).encode())
            let list = main.messageBytes(MainServerMessage.ID.channelsList, MainServerMessage.channelsList([]).encode())
            try main.send(reply + result + initBytes + list)
            authentication.value = try main.readAuthentication()
            _ = try main.readMessages { $0.type == MainClientMessage.ID.attachChannels }
        }
        let (_, events) = try self.startLinkedSession(server)
        XCTAssertNil(server.waitForScript())
        XCTAssertEqual(events.sessionStart, Self.mainInit)
        XCTAssertEqual(authentication.value?.ticket, Self.secretTicket)
    }

    func testHandshakeAndMessagesDripFedOneByteAtATimeStillLink() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.sendOneByteAtATime(main.linkReplyBytes())
            let authentication = try main.readAuthentication()
            guard authentication.ticket == Self.secretTicket else { throw FakeServerError("wrong ticket \(authentication.ticket)") }
            let initBytes = main.messageBytes(MainServerMessage.ID.`init`, MainServerMessage.`init`(Self.mainInit).encode())
            let list = main.messageBytes(MainServerMessage.ID.channelsList, MainServerMessage.channelsList([]).encode())
            try main.sendOneByteAtATime(LinkResult(error: .ok).encode() + initBytes + list)
            _ = try main.readMessages { $0.type == MainClientMessage.ID.attachChannels }
        }
        let (_, events) = try self.startLinkedSession(server)
        XCTAssertNil(server.waitForScript())
        XCTAssertNotNil(events.linkInfo(.main))
        XCTAssertEqual(events.sessionStart, Self.mainInit)
    }

    func testPingWithLargeBodyArrivingOverManyReadsIsAnsweredWithPong() throws {
        let server = try self.makeServer()
        let frames = Captured<[Frame]>()
        // Four times the client's 64 KiB read: the body arrives in pieces over several reads and polls.
        let padding = (0..<(256 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main)
            try main.sendBase(.ping(Ping(id: 42, timestamp: 0x0102_0304_0506_0708, data: padding)))
            frames.value = try main.readMessages { $0.type == BaseClientMessage.ID.pong }
        }
        let (client, _) = try self.startLinkedSession(server)
        self.pollClient(client) { _ in server.hasFinished }
        XCTAssertNil(server.waitForScript())
        let pong = try XCTUnwrap(frames.value?.last)
        XCTAssertEqual(frames.value?.count, 1, "only the PONG was expected: \(frames.value ?? [])")
        XCTAssertEqual(try BaseClientMessage.parse(type: pong.type, body: pong.body, channel: "main"),
                       .pong(id: 42, timestamp: 0x0102_0304_0506_0708))
        XCTAssertEqual(client.session.statistics(of: .main)?.pongsSent, 1)
    }

    func testSetAckIsAnsweredWithAckSyncAndThenAnAckEveryWindowMessages() throws {
        let server = try self.makeServer()
        let frames = Captured<[Frame]>()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main)
            try main.sendBase(.setAck(generation: 7, window: 2))
            try main.sendMain(.multiMediaTime(2000))
            try main.sendMain(.multiMediaTime(3000))
            frames.value = try main.readMessages { $0.type == BaseClientMessage.ID.ack }
        }
        let (client, _) = try self.startLinkedSession(server)
        self.pollClient(client) { _ in server.hasFinished }
        XCTAssertNil(server.waitForScript())
        let received = try XCTUnwrap(frames.value)
        XCTAssertEqual(received.map(\.type), [BaseClientMessage.ID.ackSync, BaseClientMessage.ID.ack])
        XCTAssertEqual(try BaseClientMessage.parse(type: received[0].type, body: received[0].body, channel: "main"),
                       .ackSync(generation: 7))
    }

    func testListedDisplayChannelIsLinkedOnASecondConnectionWithTheSessionID() throws {
        let server = try self.makeServer()
        let displayLink = Captured<FakeConnection.Link>()
        let displayFrames = Captured<[Frame]>()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main, channels: [Self.display])
            let display = try server.accept()
            displayLink.value = try display.acceptLink()
            displayFrames.value = try display.readMessages { $0.type == DisplayClientMessage.ID.`init` }
        }
        let (client, _) = try self.startLinkedSession(server)
        let events = self.pollClient(client) { _ in server.hasFinished }
        XCTAssertNil(server.waitForScript())
        XCTAssertNotNil(events.linkInfo(Self.display), "\(events)")
        let link = try XCTUnwrap(displayLink.value)
        XCTAssertEqual(link.request.channel, Self.display)
        XCTAssertEqual(link.request.connectionID, Self.mainInit.sessionID)
        XCTAssertEqual(link.authentication.ticket, Self.secretTicket)
        let frame = try XCTUnwrap(displayFrames.value?.first)
        XCTAssertEqual(displayFrames.value?.count, 1)
        guard case .`init`? = try DisplayClientMessage.parse(type: frame.type, body: frame.body) else {
            return XCTFail("expected DISPLAY_INIT, got type \(frame.type)")
        }
    }

    // MARK: - Faults during the link

    func testServerClosingRightAfterLinkReplyClosesMainAndEndsSession() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.sendLinkReply()
            main.close()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        _ = self.assertSessionEnded(events, with: .connectionClosed)
        XCTAssertFalse(client.isRunning)

        // The ended client keeps answering polls: no crash, no repeated events, no hang.
        let start = Date()
        for _ in 0..<5 {
            XCTAssertEqual(client.poll(timeoutMilliseconds: 50), [])
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertFalse(client.isRunning)
    }

    func testServerClosingBeforeLinkReplyEndsSessionWithConnectionClosed() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            main.close()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        _ = self.assertSessionEnded(events, with: .connectionClosed)
        XCTAssertFalse(client.isRunning)
    }

    func testGarbageInsteadOfLinkReplyIsReportedAsNotASpiceServer() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.send(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript(), "the client must close the connection after the bad reply")
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .malformed))
        XCTAssertTrue(error.detail.contains("not a SPICE server"), error.detail)
        XCTAssertTrue(error.detail.contains("magic"), error.detail)
    }

    func testPermissionDeniedLinkResultReportsWrongPassword() throws {
        let server = try self.makeServer()
        let authentication = Captured<FakeConnection.Authentication>()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.sendLinkReply()
            authentication.value = try main.readAuthentication()
            try main.sendLinkResult(.permissionDenied)
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port, password: "guess")
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .linkRefused(.permissionDenied)))
        XCTAssertTrue(error.detail.contains("wrong password"), error.detail)
        XCTAssertEqual(authentication.value?.ticket, Array("guess".utf8) + [0])
        XCTAssertFalse(client.isRunning)
    }

    func testLinkReplyWithErrorIsReportedAsLinkRefused() throws {
        let server = try self.makeServer()
        let afterReply = Captured<[UInt8]>()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.sendLinkReply(.needSecured)
            afterReply.value = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .linkRefused(.needSecured)))
        XCTAssertTrue(error.detail.contains("TLS"), error.detail)
        XCTAssertEqual(afterReply.value, [], "no ticket may follow a refused link reply")
    }

    func testSASLOnlyServerIsRefusedWithoutSendingATicket() throws {
        let server = try self.makeServer()
        let afterReply = Captured<[UInt8]>()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            try main.sendLinkReply(commonCaps: CapabilitySet([
                CommonCapability.protocolAuthSelection, CommonCapability.authSASL, CommonCapability.miniHeader,
            ]))
            afterReply.value = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        _ = self.assertSessionEnded(events, with: .unsupportedAuthentication)
        XCTAssertEqual(afterReply.value, [])
    }

    func testLinkReplyWithUnusableKeyEndsSessionWithTicketEncryptionError() throws {
        let server = try self.makeServer()
        let afterReply = Captured<[UInt8]>()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            let garbageKey = (0..<Limits.ticketPublicKeySize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            try main.send(main.linkReplyBytes(publicKey: garbageKey))
            afterReply.value = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        _ = self.assertSessionEnded(events, with: .ticketEncryption)
        XCTAssertEqual(afterReply.value, [])
    }

    func testSilentServerIsReportedAsLinkTimeout() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port, linkTimeoutMilliseconds: 300)
        let start = Date()
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertNil(server.waitForScript(), "the client must close the timed-out connection")
        _ = self.assertSessionEnded(events, with: .linkTimedOut)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25)
        XCTAssertLessThan(elapsed, 2)
    }

    func testLinkTimeoutFiresOnTimeEvenWhenPollIsGivenALongerTimeout() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            _ = try main.readLinkMess()
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port, linkTimeoutMilliseconds: 300)
        let start = Date()
        client.start()
        // An application may poll with a long timeout (or -1); the link deadline must still be kept.
        let events = self.pollClient(client, timeoutMilliseconds: 3000) { $0.sessionEnded }
        let elapsed = Date().timeIntervalSince(start)
        _ = self.assertSessionEnded(events, with: .linkTimedOut)
        XCTAssertLessThan(elapsed, 1.5, "a 300 ms link timeout was reported only after \(elapsed) s")
        XCTAssertNil(server.waitForScript())
    }

    // MARK: - Faults in the data phase

    func testMiniHeaderAnnouncingBodyOverLimitEndsSessionPromptlyWithSizeError() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try main.acceptLink()
            // MAIN_INIT claiming one byte more than the client accepts; no body follows.
            try main.send(le16(MainServerMessage.ID.`init`) + le32(UInt32(Limits.maxMessageBodySize + 1)))
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        let start = Date()
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "the session must end as soon as the header arrives")
        XCTAssertNil(server.waitForScript(), "the client must close the connection")
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .malformed))
        XCTAssertTrue(error.detail.contains("field size"), error.detail)
        XCTAssertTrue(error.detail.contains("\(Limits.maxMessageBodySize)"), error.detail)
    }

    func testFullHeaderAnnouncingBodyOverLimitEndsSessionWithSizeError() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try main.acceptLink(commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice]))
            try main.send(le64(1) + le16(MainServerMessage.ID.`init`) + le32(UInt32.max) + le32(0))
            _ = try main.readUntilEOF()
        }
        let client = try self.makeClient(port: server.port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .malformed))
        XCTAssertTrue(error.detail.contains("field size"), error.detail)
    }

    func testRefusedDisplayLinkClosesOnlyTheDisplayChannel() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main, channels: [Self.display])
            let display = try server.accept()
            _ = try display.readLinkMess()
            try display.sendLinkReply(.channelNotAvailable)
            _ = try display.readUntilEOF()
            // The main channel stays up until the client leaves.
            _ = try main.readUntilEOF()
        }
        let (client, _) = try self.startLinkedSession(server)
        let events = self.pollClient(client) { $0.closed(Self.display) || $0.sessionEnded }
        XCTAssertEqual(events.closeError(Self.display)?.code, .linkRefused(.channelNotAvailable), "\(events)")
        XCTAssertFalse(events.sessionEnded)
        XCTAssertTrue(client.isRunning)
        XCTAssertEqual(client.session.status(of: .main), .linked)
        client.disconnect()
        self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
    }

    func testLosingMainChannelClosesTheOtherChannelsConnections() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main, channels: [Self.display])
            let display = try server.accept()
            try display.acceptLink()
            _ = try display.readMessages { $0.type == DisplayClientMessage.ID.`init` }
            main.close()
            // The client must hang up the display connection too.
            _ = try display.readUntilEOF()
        }
        let (client, _) = try self.startLinkedSession(server)
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        _ = self.assertSessionEnded(events, with: .connectionClosed)
        XCTAssertTrue(events.closed(Self.display), "\(events)")
        XCTAssertFalse(client.isRunning)
    }

    func testChannelClosedEventAndStatusGiveTheSameReasonWhenMainIsLost() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main, channels: [Self.display])
            let display = try server.accept()
            try display.acceptLink()
            _ = try display.readMessages { $0.type == DisplayClientMessage.ID.`init` }
            main.close()
            _ = try display.readUntilEOF()
        }
        let (client, _) = try self.startLinkedSession(server)
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        XCTAssertTrue(events.closed(Self.display), "\(events)")
        // An application learns why a channel closed from the event; the status must tell the same story.
        guard case .closed(let statusError)? = client.session.status(of: Self.display) else {
            return XCTFail("display is not closed: \(String(describing: client.session.status(of: Self.display)))")
        }
        XCTAssertEqual(events.closeError(Self.display), statusError,
                       "event says \(String(describing: events.closeError(Self.display))), status says \(String(describing: statusError))")
    }

    // MARK: - Connecting and configuration

    func testConnectingToClosedPortEndsSessionWithConnectionRefused() throws {
        let port = try closedLoopbackPort()
        let client = try self.makeClient(port: port)
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        let error = try XCTUnwrap(self.assertSessionEnded(events, with: .connectionClosed))
        XCTAssertTrue(error.detail.lowercased().contains("refused"), error.detail)
        XCTAssertTrue(error.detail.contains("127.0.0.1:\(port)"), error.detail)
        XCTAssertFalse(client.isRunning)
    }

    func testPollAfterSessionEndedReturnsWithoutWaitingForItsTimeout() throws {
        let client = try self.makeClient(port: try closedLoopbackPort())
        client.start()
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertTrue(events.sessionEnded)
        // There is nothing left to wait for; a poll loop with a long (or infinite) timeout must not block.
        let start = Date()
        XCTAssertEqual(client.poll(timeoutMilliseconds: 2000), [])
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.5)
    }

    func testEmptyHostIsInvalidConfiguration() {
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "", port: 5900))) { error in
            XCTAssertEqual((error as? SpiceClientError)?.code, .invalidConfiguration, "\(error)")
        }
    }

    func testPasswordOverSixtyBytesIsInvalidConfiguration() {
        let password = String(repeating: "x", count: Limits.maxPasswordLength + 1)
        let session = Session.Configuration(password: Password(password))
        XCTAssertThrowsError(try SpiceClient(configuration: .init(host: "127.0.0.1", port: 5900, session: session))) { error in
            XCTAssertEqual((error as? SpiceClientError)?.code, .invalidConfiguration, "\(error)")
        }
    }

    func testSixtyBytePasswordIsAccepted() throws {
        let password = String(repeating: "x", count: Limits.maxPasswordLength)
        let client = try self.makeClient(port: 5900, password: password)
        XCTAssertTrue(client.isRunning)
    }

    // MARK: - Disconnecting and waking

    func testDisconnectSendsDisconnectingOnMainAndThenCloses() throws {
        let server = try self.makeServer()
        let afterAttach = Captured<[Frame]>()
        let afterDisconnecting = Captured<[UInt8]>()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main)
            afterAttach.value = try main.readMessages { $0.type == BaseClientMessage.ID.disconnecting }
            afterDisconnecting.value = try main.readUntilEOF()
        }
        let (client, _) = try self.startLinkedSession(server)
        client.disconnect()
        XCTAssertFalse(client.isRunning)
        let events = self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
        XCTAssertTrue(events.contains(.channelClosed(.main, nil)), "\(events)")
        XCTAssertTrue(events.contains(.sessionEnded(nil)), "\(events)")

        let frames = try XCTUnwrap(afterAttach.value)
        XCTAssertEqual(frames.map(\.type), [BaseClientMessage.ID.disconnecting])
        guard case .disconnecting? = try BaseClientMessage.parse(type: frames[0].type, body: frames[0].body, channel: "main") else {
            return XCTFail("the DISCONNECTING body does not parse")
        }
        XCTAssertEqual(afterDisconnecting.value, [], "nothing may follow DISCONNECTING before the close")
    }

    func testWakeFromAnotherThreadEndsAnIdlePollEarly() throws {
        let server = try self.makeServer()
        server.run { server in
            let main = try server.accept()
            try Self.serveMain(main)
            _ = try main.readUntilEOF()
        }
        let (client, _) = try self.startLinkedSession(server)

        // Control: with nothing to do, a poll lasts its whole timeout.
        var start = Date()
        XCTAssertEqual(client.poll(timeoutMilliseconds: 300), [])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.25)

        let shared = UncheckedSendableBox(client)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { shared.value.wake() }
        start = Date()
        XCTAssertEqual(client.poll(timeoutMilliseconds: 5000), [])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertLessThan(elapsed, 2, "wake() did not end the poll early")
        XCTAssertGreaterThanOrEqual(elapsed, 0.1, "the poll returned before wake() was called")
        XCTAssertTrue(client.isRunning)

        client.disconnect()
        self.pollClient(client) { $0.sessionEnded }
        XCTAssertNil(server.waitForScript())
    }
}

/// Hands a non-Sendable value to another thread when the test knows the use is safe (`wake()` is).
private final class UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

// MARK: - Reading events

extension [SessionEvent] {
    var sessionEnded: Bool {
        self.contains { if case .sessionEnded = $0 { true } else { false } }
    }

    /// The error of the first `sessionEnded`, or nil when it has none (or there is none).
    var sessionEndError: SessionError? {
        for event in self { if case .sessionEnded(let error) = event { return error } }
        return nil
    }

    func closed(_ channel: ChannelID) -> Bool {
        self.contains { if case .channelClosed(channel, _) = $0 { true } else { false } }
    }

    func closeError(_ channel: ChannelID) -> SessionError? {
        for event in self { if case .channelClosed(channel, let error) = event { return error } }
        return nil
    }

    func linkInfo(_ channel: ChannelID) -> LinkInfo? {
        for event in self { if case .channelLinked(channel, let info) = event { return info } }
        return nil
    }

    var sessionStart: MainInit? {
        for event in self { if case .sessionStarted(let mainInit) = event { return mainInit } }
        return nil
    }

    var listedChannels: [ChannelID]? {
        for event in self { if case .channelsListed(let list) = event { return list } }
        return nil
    }
}

// MARK: - Hand-built little-endian bytes (independent of `WireWriter`)

func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }

func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }
