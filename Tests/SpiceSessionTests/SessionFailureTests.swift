/// How channels and the session end: malformed input, lost connections, link timeouts and the
/// polite `disconnect`.
import SpiceSession
import SpiceWire
import XCTest

final class SessionFailureTests: XCTestCase {
    let display = ChannelID(.display)
    let inputs = ChannelID(.inputs)
    let cursor = ChannelID(.cursor)

    // MARK: - Malformed input

    func testMalformedDisplayMessageClosesOnlyTheDisplayWithAnErrorNamingChannelMessageAndField() throws {
        let server = FakeServer()
        server.startSession(linking: [display, inputs])
        let step = server.receive(display, server.server(display).message(type: BaseServerMessage.ID.ping, body: [1, 2, 3]))

        XCTAssertEqual(step.closes, [display])
        XCTAssertEqual(step.closures.map(\.channel), [display])
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .malformed)
        XCTAssertEqual(error.channel, display)
        for word in ["display", "PING", "id"] {
            XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)")
        }
        XCTAssertTrue(step.sessionEnds.isEmpty)
        XCTAssertTrue(step.sent.isEmpty, "no PONG for a PING that could not be read")
        XCTAssertEqual(server.session.status(of: display), .closed(error))
        XCTAssertFalse(server.session.wantsInput(display))

        // The rest of the session goes on.
        XCTAssertFalse(server.session.ended)
        XCTAssertEqual(server.session.status(of: .main), .linked)
        XCTAssertEqual(server.session.status(of: inputs), .linked)
        let ping = server.receive(.main, server.server(.main).base(.ping(Ping(id: 4, timestamp: 5))))
        XCTAssertEqual(ping.messages(on: .main), [.base(.pong(id: 4, timestamp: 5))])
        // A closed channel reads nothing more.
        let late = server.receive(display, server.server(display).base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertTrue(late.actions.isEmpty, "\(late.actions)")
    }

    func testDisplayHeaderAnnouncingABodyOverTheLimitClosesOnlyTheDisplay() throws {
        let server = FakeServer()
        server.startSession(linking: [display])
        let header = server.server(display).miniHeaderOnly(type: 302, size: UInt32(Limits.maxMessageBodySize + 1))
        let step = server.receive(display, header)

        XCTAssertEqual(step.closes, [display])
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .malformed)
        for word in ["display", "DataHeader", "size"] {
            XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)")
        }
        XCTAssertTrue(step.sessionEnds.isEmpty)
        XCTAssertEqual(server.session.status(of: .main), .linked)
    }

    func testBodyOfExactlyTheLimitIsNotRejectedByItsHeader() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let step = server.receive(display, server.server(display).miniHeaderOnly(type: 302, size: UInt32(Limits.maxMessageBodySize)))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(server.session.status(of: display), .linked)
    }

    func testMalformedMainMessageEndsTheSessionAndClosesEveryChannel() throws {
        let server = FakeServer()
        server.startSession()
        server.list([display, inputs, cursor])
        server.link(display)
        server.link(inputs)
        // cursor is still connecting.
        let step = server.receive(.main, server.server(.main).message(type: MainServerMessage.ID.mouseMode, body: [3, 0, 1]))

        XCTAssertEqual(Set(step.closes), [.main, display, inputs, cursor])
        XCTAssertEqual(step.closes.count, 4, "each channel is closed once: \(step.closes)")
        let mainClosure = try XCTUnwrap(step.closures.first { $0.channel == .main })
        let error = try XCTUnwrap(mainClosure.error)
        XCTAssertEqual(error.code, .malformed)
        for word in ["main", "MOUSE_MODE", "current_mode"] {
            XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)")
        }
        XCTAssertEqual(step.sessionEnds, [error])
        if case .event(.sessionEnded)? = step.actions.last {} else { XCTFail("the session ends last: \(step.actions)") }
        // The other channels say why they closed, in their event and in their status alike.
        for channel in [display, inputs, cursor] {
            let closure = try XCTUnwrap(step.closures.first { $0.channel == channel }, "\(channel)")
            let reason = try XCTUnwrap(closure.error, "\(channel) closed without a reason")
            XCTAssertEqual(reason.code, .connectionClosed, "\(channel)")
            XCTAssertEqual(reason.channel, channel)
            XCTAssertEqual(server.session.status(of: channel), .closed(reason), "\(channel)")
        }
        XCTAssertTrue(server.session.ended)
        for channel in [ChannelID.main, display, inputs, cursor] {
            XCTAssertFalse(server.session.wantsInput(channel), "\(channel)")
            if case .closed? = server.session.status(of: channel) {} else { XCTFail("\(channel) is not closed") }
        }
    }

    func testMainConnectionClosedEndsTheSessionWithConnectionClosed() throws {
        let server = FakeServer()
        server.startSession(linking: [display])
        let step = server.connectionClosed(.main, detail: "eof")

        XCTAssertEqual(Set(step.closes), [.main, display])
        let error = try XCTUnwrap(step.sessionEnds.first ?? nil)
        XCTAssertEqual(error.code, .connectionClosed)
        XCTAssertEqual(error.channel, .main)
        XCTAssertEqual(step.sessionEnds.count, 1)
        XCTAssertTrue(server.session.ended)
    }

    func testDisplayConnectionClosedClosesOnlyTheDisplay() throws {
        let server = FakeServer()
        server.startSession(linking: [display])
        let step = server.connectionClosed(display)

        XCTAssertEqual(step.closes, [display])
        XCTAssertEqual(step.closures.first?.error?.code, .connectionClosed)
        XCTAssertTrue(step.sessionEnds.isEmpty)
        XCTAssertFalse(server.session.ended)
        XCTAssertTrue(server.connectionClosed(display).actions.isEmpty, "a closed channel closes once")
    }

    func testLinkErrorOnALaterChannelClosesOnlyThatChannel() throws {
        let server = FakeServer()
        server.startSession()
        server.list([display])
        _ = server.connected(display)
        let step = server.receive(display, server.server(display).linkReply(error: .channelNotAvailable))

        XCTAssertEqual(step.closes, [display])
        XCTAssertEqual(step.closures.first?.error?.code, .linkRefused(.channelNotAvailable))
        XCTAssertTrue(step.sessionEnds.isEmpty)
        XCTAssertEqual(server.session.status(of: .main), .linked)
    }

    // MARK: - Link timeout

    func testTickPastTheLinkTimeoutClosesAChannelStuckLinking() throws {
        let server = FakeServer(linkTimeoutMilliseconds: 5_000)
        server.now = 10_000
        server.startSession()
        server.list([display, inputs])
        server.link(inputs)
        _ = server.connected(display)
        _ = server.receive(display, Array(server.server(display).linkReply().prefix(20)))

        server.now = 15_000
        XCTAssertTrue(server.tick().actions.isEmpty, "exactly the timeout is still in time")

        server.now = 15_001
        let step = server.tick()
        XCTAssertEqual(step.closes, [display])
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .linkTimedOut)
        XCTAssertEqual(error.channel, display)
        XCTAssertTrue(step.sessionEnds.isEmpty)
        XCTAssertEqual(server.session.status(of: inputs), .linked, "linked channels have no deadline")
        XCTAssertEqual(server.session.status(of: .main), .linked)
        XCTAssertTrue(server.tick().actions.isEmpty, "a timed-out channel is closed once")
    }

    func testMainStuckConnectingTimesOutAndEndsTheSession() throws {
        let server = FakeServer(linkTimeoutMilliseconds: 100)
        server.now = 0
        _ = server.start()
        server.now = 101
        let step = server.tick()
        XCTAssertEqual(step.closes, [.main])
        XCTAssertEqual((step.sessionEnds.first ?? nil)?.code, .linkTimedOut)
    }

    func testNextDeadlineIsTheEarliestLinkTimeoutOfAChannelNotYetLinked() {
        let server = FakeServer(linkTimeoutMilliseconds: 5_000)
        server.now = 100
        server.start()
        XCTAssertEqual(server.session.nextDeadline(), 100 + 5_000 + 1, "tick closes main exactly then")

        server.connected(.main)
        server.receive(.main, server.server(.main).handshake() + server.server(.main).main(.`init`(sampleInit)))
        XCTAssertNil(server.session.nextDeadline(), "a linked channel has no deadline")

        server.now = 2_000
        server.list([display])
        server.now = 3_000
        server.list([display, inputs])
        XCTAssertEqual(server.session.nextDeadline(), 2_000 + 5_000 + 1, "display was opened first")

        server.now = 7_000
        XCTAssertTrue(server.tick().closes.isEmpty)
        server.now = 7_001
        XCTAssertEqual(server.tick().closes, [display])
        XCTAssertEqual(server.session.nextDeadline(), 3_000 + 5_000 + 1)
    }

    // MARK: - Disconnect

    func testDisconnectSaysDisconnectingOnEveryLinkedChannelAndClosesMainLast() throws {
        let server = FakeServer()
        server.startSession()
        server.list([display, inputs, cursor])
        server.link(display)
        server.link(inputs)
        // cursor is still connecting: it is closed without a word.
        server.now = 77_777
        let step = server.disconnect()

        for channel in [ChannelID.main, display, inputs] {
            XCTAssertEqual(step.messages(on: channel), [.base(.disconnecting(timestamp: 77_777, reason: 0))], "\(channel)")
            XCTAssertEqual(step.sent.first { $0.channel == channel }?.frame.type, 6, "base client id 6")
        }
        XCTAssertTrue(step.messages(on: cursor).isEmpty)
        XCTAssertEqual(Set(step.closes), [.main, display, inputs, cursor])
        XCTAssertEqual(step.closes.count, 4)
        XCTAssertEqual(step.closes.last, .main, "main is closed last")
        // Each DISCONNECTING is sent before its channel is closed.
        for channel in [ChannelID.main, display, inputs] {
            let sendIndex = try XCTUnwrap(step.actions.firstIndex { if case .send(channel, _) = $0 { true } else { false } })
            let closeIndex = try XCTUnwrap(step.actions.firstIndex(of: .close(channel)))
            XCTAssertLessThan(sendIndex, closeIndex, "\(channel)")
        }
        XCTAssertTrue(step.closures.allSatisfy { $0.error == nil }, "\(step.closures)")
        XCTAssertEqual(step.sessionEnds.count, 1)
        XCTAssertEqual(step.actions.last, .event(.sessionEnded(nil)))
        XCTAssertTrue(server.session.ended)
    }

    func testNothingHappensAfterDisconnect() {
        let server = FakeServer()
        server.startSession(linking: [display])
        _ = server.disconnect()

        server.now += 60_000
        XCTAssertTrue(server.receive(.main, server.server(.main).base(.ping(Ping(id: 1, timestamp: 1)))).actions.isEmpty)
        XCTAssertTrue(server.receive(display, server.server(display).base(.ping(Ping(id: 1, timestamp: 1)))).actions.isEmpty)
        XCTAssertTrue(server.tick().actions.isEmpty)
        XCTAssertTrue(server.connectionClosed(.main).actions.isEmpty)
        XCTAssertTrue(server.connectionClosed(display).actions.isEmpty)
        XCTAssertTrue(server.connected(display).actions.isEmpty)
        XCTAssertTrue(server.disconnect().actions.isEmpty)
    }
}
