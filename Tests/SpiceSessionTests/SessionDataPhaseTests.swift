/// The data phase every channel shares (notes §1.7, §1.9): flow control, ping, serials, sub-message
/// lists, WAIT_FOR_CHANNELS and statistics.
import SpiceSession
import SpiceWire
import XCTest

final class SessionDataPhaseTests: XCTestCase {
    let display = ChannelID(.display)
    let cursor = ChannelID(.cursor)
    let usbredir = ChannelID(.usbredir)
    /// A display message type the session counts but does not interpret.
    /// A display message id the client does not know: counted, acknowledged and otherwise ignored, so
    /// these tests exercise flow control without depending on drawing.
    let displayDraw: UInt16 = 399

    // MARK: - Flow control

    func testSetAckIsAnsweredWithAckSyncCarryingTheGeneration() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let step = server.receive(display, server.server(display).base(.setAck(generation: 7, window: 3)))
        XCTAssertEqual(step.messages(on: display), [.base(.ackSync(generation: 7))])
    }

    func testAckIsSentOnceAfterEveryWindowOfMessages() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        XCTAssertEqual(server.receive(display, end.base(.setAck(generation: 7, window: 3))).messages(on: display),
                       [.base(.ackSync(generation: 7))])

        var acked: [Bool] = []
        for index in 0..<7 {
            let step = server.receive(display, end.message(type: displayDraw, body: [UInt8(index)]))
            let acks = step.messages(on: display).filter { $0 == .base(.ack) }.count
            XCTAssertLessThanOrEqual(acks, 1)
            acked.append(acks == 1)
        }
        XCTAssertEqual(acked, [false, false, true, false, false, true, false])
        XCTAssertEqual(server.session.statistics(of: display)?.acksSent, 2)
    }

    func testAckWindowCountsMessagesNotReads() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        var bytes = end.base(.setAck(generation: 1, window: 3))
        for index in 0..<7 { bytes += end.message(type: displayDraw, body: [UInt8(index)]) }
        let step = server.receive(display, bytes)
        XCTAssertEqual(step.messages(on: display), [.base(.ackSync(generation: 1)), .base(.ack), .base(.ack)])
    }

    func testNoAckIsSentBeforeSetAck() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        let step = server.receive(display, (0..<20).flatMap { end.message(type: displayDraw, body: [UInt8($0)]) })
        XCTAssertTrue(step.sent.isEmpty, "\(step.sent)")
    }

    // MARK: - Ping

    func testPingIsAnsweredWithPongOfIdAndTimestampWithoutThePadding() throws {
        let server = FakeServer()
        server.startSession(linking: [display])
        for channel in [ChannelID.main, display] {
            let ping = Ping(id: 0xDEAD_BEEF, timestamp: 0x0102_0304_0506_0708, data: Array(repeating: 0xEE, count: 256))
            let step = server.receive(channel, server.server(channel).base(.ping(ping)))
            XCTAssertEqual(step.messages(on: channel), [.base(.pong(id: 0xDEAD_BEEF, timestamp: 0x0102_0304_0506_0708))], "\(channel)")
            XCTAssertEqual(step.sent.first?.frame.bodySize, 12, "\(channel): PONG is u32 id + u64 timestamp, no padding")
        }
    }

    // MARK: - Full header

    func testFullHeaderClientMessagesCarryIncreasingSerialsFromOne() {
        var initMessage = sampleInit
        initMessage.supportedMouseModes = 3
        initMessage.currentMouseMode = 1
        let server = FakeServer()
        server.commonCaps[.main] = fullHeaderServerCaps
        server.commonCaps[display] = fullHeaderServerCaps
        server.startSession(initMessage)
        server.receive(.main, server.server(.main).base(.ping(Ping(id: 1, timestamp: 2))))

        XCTAssertEqual(server.server(.main).frames.map(\.serial), [1, 2, 3])
        XCTAssertEqual(server.server(.main).frames.map(\.message),
                       [.main(.attachChannels), .main(.mouseModeRequest(2)), .base(.pong(id: 1, timestamp: 2))])

        // Each channel numbers its own messages.
        server.list([display])
        server.link(display)
        server.receive(display, server.server(display).base(.ping(Ping(id: 3, timestamp: 4))))
        XCTAssertEqual(server.server(display).frames.map(\.serial), [1, 2])
    }

    func testSubMessagesOfAFullHeaderAreHandledAndTheEnclosingMessageEndsAtTheList() {
        let server = FakeServer()
        server.commonCaps[.main] = fullHeaderServerCaps
        server.startSession()
        server.now = 3_000
        let bytes = server.server(.main).message(
            type: MainServerMessage.ID.multiMediaTime, body: MainServerMessage.multiMediaTime(90_000).encode(),
            subMessages: [.setAck(generation: 5, window: 10), .ping(Ping(id: 9, timestamp: 77, data: [0, 0, 0]))])
        let step = server.receive(.main, bytes)

        XCTAssertEqual(step.messages(on: .main), [.base(.ackSync(generation: 5)), .base(.pong(id: 9, timestamp: 77))])
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(server.session.multiMediaTime(now: 3_000), 90_000, "the enclosing MULTI_MEDIA_TIME was handled too")
    }

    func testSubMessagesPlacedBeforeTheListAreHandledAndTheEnclosingMessageEndsAtTheFirst() {
        let server = FakeServer()
        server.commonCaps[.main] = fullHeaderServerCaps
        server.startSession()
        server.now = 3_000
        let bytes = server.server(.main).message(
            type: MainServerMessage.ID.multiMediaTime, body: MainServerMessage.multiMediaTime(70_000).encode(),
            subMessagesBeforeList: [.setAck(generation: 8, window: 10), .ping(Ping(id: 11, timestamp: 12))])
        let step = server.receive(.main, bytes)

        XCTAssertEqual(step.messages(on: .main), [.base(.ackSync(generation: 8)), .base(.pong(id: 11, timestamp: 12))])
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(server.session.multiMediaTime(now: 3_000), 70_000)
    }

    func testListMessageHandlesEverySubMessageWithEitherHeader() {
        for caps in [fullHeaderServerCaps, modernServerCaps] {
            let server = FakeServer()
            server.commonCaps[.main] = caps
            server.startSession()
            let step = server.receive(.main, server.server(.main).list([
                .setAck(generation: 6, window: 10), .ping(Ping(id: 10, timestamp: 20)),
            ]))
            XCTAssertEqual(step.messages(on: .main), [.base(.ackSync(generation: 6)), .base(.pong(id: 10, timestamp: 20))],
                           "\(caps)")
            XCTAssertEqual(server.session.statistics(of: .main)?.messagesByType[BaseServerMessage.ID.list], 1)
        }
    }

    // MARK: - WAIT_FOR_CHANNELS

    func testWaitForChannelsHoldsDisplayUntilMainHasProcessedTheSerial() {
        let server = FakeServer()
        server.startSession(linking: [display])
        // Main (mini header) has handled INIT (1) and CHANNELS_LIST (2).
        let end = server.server(display)
        let held = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: .main, serial: 4)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 100)))
                                      + end.base(.setAck(generation: 9, window: 1))
                                      + end.base(.ping(Ping(id: 2, timestamp: 200))))
        XCTAssertTrue(held.sent.isEmpty, "display answers nothing while waiting: \(held.sent)")
        XCTAssertFalse(server.session.wantsInput(display))
        XCTAssertTrue(server.session.wantsInput(.main))

        let third = server.receive(.main, server.server(.main).main(.multiMediaTime(1)))
        XCTAssertTrue(third.messages(on: display).isEmpty, "main is at serial 3, not 4")
        XCTAssertFalse(server.session.wantsInput(display))

        let fourth = server.receive(.main, server.server(.main).main(.multiMediaTime(2)))
        XCTAssertEqual(fourth.messages(on: display), [
            .base(.pong(id: 1, timestamp: 100)), .base(.ackSync(generation: 9)), .base(.ack), .base(.pong(id: 2, timestamp: 200)),
        ])
        XCTAssertTrue(server.session.wantsInput(display))

        let after = server.receive(display, end.base(.ping(Ping(id: 3, timestamp: 300))))
        XCTAssertEqual(after.messages(on: display), [.base(.ack), .base(.pong(id: 3, timestamp: 300))])
    }

    func testWaitForChannelsWithTheFullHeaderComparesTheServersSerialNotACount() {
        let server = FakeServer()
        server.commonCaps[.main] = fullHeaderServerCaps
        server.startSession(linking: [display])
        // Main has handled two messages, numbered 1 and 2 by the server.
        let end = server.server(display)
        let held = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: .main, serial: 40)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertTrue(held.sent.isEmpty)

        // One more message, which the server numbered 40: the third message, but serial 40.
        let released = server.receive(.main, server.server(.main).message(
            type: MainServerMessage.ID.multiMediaTime, body: MainServerMessage.multiMediaTime(1).encode(), serial: 40))
        XCTAssertEqual(released.messages(on: display), [.base(.pong(id: 1, timestamp: 1))])
    }

    func testWaitForChannelsOnASerialAlreadyProcessedDoesNotBlock() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        let step = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: .main, serial: 2)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertEqual(step.messages(on: display), [.base(.pong(id: 1, timestamp: 1))])
        XCTAssertTrue(server.session.wantsInput(display))
    }

    func testWaitForChannelsOnAChannelThatDoesNotExistDoesNotBlock() {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        let step = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: usbredir, serial: 99)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertEqual(step.messages(on: display), [.base(.pong(id: 1, timestamp: 1))])
        XCTAssertTrue(server.session.wantsInput(display))
    }

    func testWaitForChannelsOnAChannelThatClosesIsReleased() {
        let server = FakeServer()
        server.startSession(linking: [display, cursor])
        let end = server.server(display)
        let held = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: cursor, serial: 5)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertTrue(held.sent.isEmpty)

        let closed = server.connectionClosed(cursor)
        XCTAssertEqual(closed.messages(on: display), [.base(.pong(id: 1, timestamp: 1))],
                       "a channel that can never reach the serial must not hold the display forever")
    }

    /// spice-gtk (`wait_for_channel` in channel-base.c) waits on any channel the session has, linked
    /// or not; only a missing channel is skipped. A channel still linking has simply not read the
    /// messages the server already sent it.
    func testWaitForChannelsOnAChannelStillLinkingHoldsUntilItHandlesTheSerial() {
        let server = FakeServer()
        server.startSession()
        server.list([display, cursor])
        server.link(display)
        _ = server.connected(cursor)
        let end = server.server(display)
        let held = server.receive(display, end.base(.waitForChannels([WaitForChannel(channel: cursor, serial: 1)]))
                                      + end.base(.ping(Ping(id: 1, timestamp: 1))))
        XCTAssertTrue(held.messages(on: display).isEmpty, "the cursor channel has not handled serial 1 yet: \(held.sent)")
        XCTAssertFalse(server.session.wantsInput(display))

        let cursorEnd = server.server(cursor)
        let released = server.receive(cursor, cursorEnd.handshake() + cursorEnd.message(type: 101, body: []))
        XCTAssertEqual(released.messages(on: display), [.base(.pong(id: 1, timestamp: 1))])
    }

    /// Time is an input of the session: messages held by `WAIT_FOR_CHANNELS` and released in the
    /// same call must see that call's `now`, not zero.
    func testMessagesReleasedAfterAWaitAreHandledAtTheCurrentTime() {
        let server = FakeServer()
        server.startSession()
        server.now = 5_000
        let end = server.server(.main)
        server.receive(.main, end.base(.waitForChannels([WaitForChannel(channel: usbredir, serial: 1)]))
                           + end.main(.multiMediaTime(90_000)))
        XCTAssertEqual(server.session.multiMediaTime(now: 5_100), 90_100)
    }

    /// Same cause as above: a `CHANNELS_LIST` released after a wait opens channels stamped at time 0,
    /// so the first `tick` declares them timed out although they were opened a moment ago.
    func testChannelsOpenedAfterAWaitGetTheFullLinkTimeout() {
        let server = FakeServer(linkTimeoutMilliseconds: 10_000)
        server.now = 1_000_000
        server.startSession()
        let end = server.server(.main)
        let listed = server.receive(.main, end.base(.waitForChannels([WaitForChannel(channel: usbredir, serial: 1)]))
                                        + end.main(.channelsList([display])))
        XCTAssertEqual(listed.connects, [display])

        server.now = 1_000_100
        let step = server.tick()
        XCTAssertTrue(step.closures.isEmpty, "display was opened 100 ms ago: \(step.closures)")
        XCTAssertEqual(server.session.status(of: display), .connecting)
    }

    /// `tick` (or a closed connection) can release a wait too; what it releases must see that
    /// call's time, not the time of the last read. Here a `CHANNELS_LIST` held behind a wait on a
    /// channel that then times out opens a display channel, which must get its full link timeout.
    func testChannelsOpenedWhenATimeoutReleasesAWaitGetTheFullLinkTimeout() {
        let server = FakeServer(linkTimeoutMilliseconds: 10_000)
        server.now = 1_000
        server.startSession()
        server.list([cursor])
        let end = server.server(.main)
        let held = server.receive(.main, end.base(.waitForChannels([WaitForChannel(channel: cursor, serial: 1)]))
                                      + end.main(.channelsList([cursor, display])))
        XCTAssertTrue(held.connects.isEmpty, "the list waits for the cursor channel")

        server.now = 11_001
        let timedOut = server.tick()
        XCTAssertEqual(timedOut.closes, [cursor])
        XCTAssertEqual(timedOut.connects, [display], "the cursor channel is gone, so the held list is handled")
        XCTAssertEqual(server.session.nextDeadline(), 11_001 + 10_000 + 1)

        server.now = 11_002
        let step = server.tick()
        XCTAssertTrue(step.closures.isEmpty, "display was opened 1 ms ago: \(step.closures)")
        XCTAssertEqual(server.session.status(of: display), .connecting)
    }

    // MARK: - Statistics

    func testStatisticsCountMessagesByTypePongsAndAcks() throws {
        let server = FakeServer()
        server.startSession(linking: [display])
        let end = server.server(display)
        let handshakeBytes = end.handshake().count
        var bytes = end.base(.setAck(generation: 1, window: 2))
        for id in 0..<3 { bytes += end.base(.ping(Ping(id: UInt32(id), timestamp: 0))) }
        bytes += end.message(type: displayDraw, body: [1, 2, 3])
        server.receive(display, bytes)

        let stats = try XCTUnwrap(server.session.statistics(of: display))
        XCTAssertEqual(stats.messagesReceived, 5)
        XCTAssertEqual(stats.messagesByType, [BaseServerMessage.ID.setAck: 1, BaseServerMessage.ID.ping: 3, displayDraw: 1])
        XCTAssertEqual(stats.pongsSent, 3)
        XCTAssertEqual(stats.acksSent, 2, "window 2 over the 4 messages after SET_ACK")
        XCTAssertEqual(stats.messagesSent, 1 /* DISPLAY_INIT */ + 1 /* ACK_SYNC */ + 3 + 2)
        XCTAssertEqual(stats.bytesReceived, UInt64(handshakeBytes + bytes.count))
        XCTAssertEqual(UInt64(server.server(display).frames.count), stats.messagesSent)

        let main = try XCTUnwrap(server.session.statistics(of: .main))
        XCTAssertEqual(main.messagesByType, [MainServerMessage.ID.`init`: 1, MainServerMessage.ID.channelsList: 1])
    }
}
