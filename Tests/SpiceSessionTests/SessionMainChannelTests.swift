/// The main channel as the session drives it (notes §1.1 step 8, §2.1, §4.3): INIT, ATTACH_CHANNELS,
/// CHANNELS_LIST, mouse mode, multimedia time, migration refusal.
import SpiceSession
import SpiceWire
import XCTest

final class SessionMainChannelTests: XCTestCase {
    let display = ChannelID(.display)
    let inputs = ChannelID(.inputs)
    let cursor = ChannelID(.cursor)
    let playback = ChannelID(.playback)
    let record = ChannelID(.record)
    let usbredir = ChannelID(.usbredir)

    // MARK: - INIT

    func testMainInitSendsAttachChannelsAndStartsTheSession() {
        let server = FakeServer()
        server.linkMain()
        let step = server.receive(.main, server.server(.main).main(.`init`(sampleInit)))

        XCTAssertEqual(step.events.first, .sessionStarted(sampleInit))
        XCTAssertEqual(step.messages(on: .main), [.main(.attachChannels)])
        XCTAssertEqual(server.session.mainInit, sampleInit)
        XCTAssertTrue(step.connects.isEmpty, "no channel is opened before CHANNELS_LIST")
    }

    func testRepeatedInitIsIgnoredAndDoesNotAttachAgain() {
        let server = FakeServer()
        server.startSession()
        var second = sampleInit
        second.sessionID = 1
        let step = server.receive(.main, server.server(.main).main(.`init`(second)))

        XCTAssertTrue(step.sent.isEmpty)
        XCTAssertEqual(step.ignored.map(\.type), [MainServerMessage.ID.`init`])
        XCTAssertEqual(server.session.mainInit?.sessionID, sampleInit.sessionID)
    }

    func testEveryLaterChannelLinksWithTheInitSessionIDAsConnectionID() throws {
        let server = FakeServer()
        server.startSession()
        server.list([display, inputs, cursor])

        for channel in [display, inputs, cursor] {
            let step = server.connected(channel)
            XCTAssertEqual(step.rawSends.count, 1, "\(channel)")
            let request = try XCTUnwrap(server.server(channel).linkRequest, "\(channel)")
            XCTAssertEqual(request.connectionID, sampleInit.sessionID, "\(channel)")
            XCTAssertEqual(request.channel, channel)
            XCTAssertEqual(request.commonCaps.bits, [CommonCapability.protocolAuthSelection, CommonCapability.authSpice,
                                                     CommonCapability.miniHeader])
            // Only what the client implements: MONITORS_CONFIG and LZ4_COMPRESSION on the display channel,
            // nothing elsewhere.
            let expected: [UInt32] = channel.type == .display ? [DisplayCapability.monitorsConfig, DisplayCapability.lz4Compression] : []
            XCTAssertEqual(request.channelCaps.bits, expected, "\(channel): no capability this client does not implement")
        }
    }

    // MARK: - Mouse mode

    func testInitOfferingClientMouseInServerModeRequestsClientModeOnce() {
        var initMessage = sampleInit
        initMessage.supportedMouseModes = 3
        initMessage.currentMouseMode = 1
        let server = FakeServer()
        let started = server.startSession(initMessage)

        XCTAssertEqual(started.messages(on: .main), [.main(.attachChannels), .main(.mouseModeRequest(2))])
        XCTAssertEqual(server.session.mouseMode.supported, 3)
        XCTAssertEqual(server.session.mouseMode.current, 1)

        // The server has not switched (yet, or it refuses): the request is not repeated.
        let again = server.receive(.main, server.server(.main).main(.mouseMode(supported: 3, current: 1)))
        XCTAssertTrue(again.sent.isEmpty, "\(again.sent)")
        XCTAssertEqual(again.mouseModes.map(\.current), [1])

        let switched = server.receive(.main, server.server(.main).main(.mouseMode(supported: 3, current: 2)))
        XCTAssertTrue(switched.sent.isEmpty)
        XCTAssertEqual(server.session.mouseMode.current, 2)
    }

    func testNewlyOfferedClientMouseIsRequestedWhenItAppears() {
        var initMessage = sampleInit
        initMessage.supportedMouseModes = 1
        initMessage.currentMouseMode = 1
        let server = FakeServer()
        let started = server.startSession(initMessage)
        XCTAssertEqual(started.messages(on: .main), [.main(.attachChannels)], "client mode is not offered yet")

        let offered = server.receive(.main, server.server(.main).main(.mouseMode(supported: 3, current: 1)))
        XCTAssertEqual(offered.messages(on: .main), [.main(.mouseModeRequest(2))])
    }

    func testPreferClientMouseFalseNeverRequestsAMode() {
        var initMessage = sampleInit
        initMessage.supportedMouseModes = 3
        initMessage.currentMouseMode = 1
        let server = FakeServer(preferClientMouse: false)
        let started = server.startSession(initMessage)
        let later = server.receive(.main, server.server(.main).main(.mouseMode(supported: 3, current: 1)))

        XCTAssertEqual(started.messages(on: .main), [.main(.attachChannels)])
        XCTAssertTrue(later.sent.isEmpty)
        XCTAssertEqual(later.mouseModes.map(\.supported), [3], "the mode is still reported")
    }

    // MARK: - Multimedia time

    func testMultiMediaTimeExtrapolatesFromInitAndFromMultiMediaTime() {
        let server = FakeServer()
        server.now = 1_000
        server.linkMain()
        XCTAssertNil(server.session.multiMediaTime(now: 1_000), "no server clock before INIT")

        server.receive(.main, server.server(.main).main(.`init`(sampleInit)))
        XCTAssertEqual(server.session.multiMediaTime(now: 1_000), sampleInit.multiMediaTime)
        XCTAssertEqual(server.session.multiMediaTime(now: 1_250), sampleInit.multiMediaTime + 250)

        server.now = 2_000
        server.receive(.main, server.server(.main).main(.multiMediaTime(90_000)))
        XCTAssertEqual(server.session.multiMediaTime(now: 2_000), 90_000)
        XCTAssertEqual(server.session.multiMediaTime(now: 2_100), 90_100)
    }

    // MARK: - CHANNELS_LIST

    func testChannelsListConnectsTheImplementedChannelsAndSkipsUsbredir() {
        let server = FakeServer()
        server.startSession()
        let listed = [display, inputs, cursor, playback, record, usbredir]
        let step = server.list(listed)

        XCTAssertEqual(step.connects, [display, inputs, cursor, playback, record])
        XCTAssertEqual(step.skipped, [usbredir])
        XCTAssertTrue(step.events.contains(.channelsListed(listed)))
        XCTAssertEqual(server.session.listedChannels, listed)
        for channel in [display, inputs, cursor, playback, record] {
            XCTAssertEqual(server.session.status(of: channel), .connecting, "\(channel)")
        }
        XCTAssertNil(server.session.status(of: usbredir))
    }

    func testChannelTypesLeftOutOfTheConfigurationAreSkippedNotConnected() {
        let server = FakeServer(channelTypes: [.display, .inputs])
        server.startSession()
        let step = server.list([display, inputs, cursor, playback, record])

        XCTAssertEqual(step.connects, [display, inputs])
        XCTAssertEqual(step.skipped, [cursor, playback, record])
        for channel in [cursor, playback, record] {
            XCTAssertNil(server.session.status(of: channel), "\(channel) must not be opened")
        }
    }

    func testChannelsListedAgainAreNotConnectedTwice() {
        let server = FakeServer()
        server.startSession()
        server.list([display])
        let again = server.list([display, inputs])
        XCTAssertEqual(again.connects, [inputs])
    }

    func testDisplayChannelSendsDisplayInitRightAfterItLinks() throws {
        let server = FakeServer()
        server.startSession()
        server.list([display])
        _ = server.connected(display)
        let step = server.receive(display, server.server(display).handshake())

        XCTAssertEqual(step.linked.map(\.channel), [display])
        XCTAssertEqual(step.sent.count, 1)
        guard case .display(.`init`(let cacheID, let cacheSize, let glzID, let window))? = step.sent.first?.frame.message else {
            return XCTFail("expected DISPLAY_INIT, got \(step.sent)")
        }
        XCTAssertEqual(step.sent.first?.channel, display)
        XCTAssertEqual(cacheID, 1)
        XCTAssertEqual(cacheSize, 20_971_520)
        XCTAssertEqual(glzID, 1)
        XCTAssertEqual(window, Session.glzWindowPixels(ramHint: sampleInit.ramHint))
        XCTAssertNotEqual(window, Session.glzWindowPixels(ramHint: 0), "the window must follow INIT's ram hint")
        // The link event comes before the first message of the data phase.
        let linkIndex = step.actions.firstIndex { $0 == .event(.channelLinked(display, server.server(display).expectedLinkInfo)) }
        let sendIndex = step.actions.lastIndex { if case .send = $0 { true } else { false } }
        XCTAssertNotNil(linkIndex)
        XCTAssertLessThan(try XCTUnwrap(linkIndex), try XCTUnwrap(sendIndex))
    }

    func testGlzWindowIsHalfTheRamHintInPixelsBetweenTwelveAndSixtyFourMiB() {
        XCTAssertEqual(Session.glzWindowPixels(ramHint: 0), 12 * 1024 * 1024 / 4)
        XCTAssertEqual(Session.glzWindowPixels(ramHint: 100 * 1024 * 1024), 50 * 1024 * 1024 / 4)
        XCTAssertEqual(Session.glzWindowPixels(ramHint: .max), 64 * 1024 * 1024 / 4)
    }

    func testOtherChannelsSendNothingWhenTheyLink() {
        let server = FakeServer()
        server.startSession()
        server.list([inputs, cursor, playback, record])
        for channel in [inputs, cursor, playback, record] {
            let step = server.link(channel)
            XCTAssertEqual(step.linked.map(\.channel), [channel])
            XCTAssertTrue(step.sent.isEmpty, "\(channel) sent \(step.sent)")
        }
    }

    // MARK: - Agent, name, migration

    func testNameAndUUIDAreReportedAndKept() {
        let server = FakeServer()
        server.startSession()
        let uuid: [UInt8] = Array(1...16)
        let step = server.receive(.main, server.server(.main).main(.name(Array("win11\0".utf8)))
                                      + server.server(.main).main(.uuid(uuid)))
        XCTAssertEqual(step.events, [.vmName("win11"), .vmUUID(uuid)])
        XCTAssertEqual(server.session.vmName, "win11")
        XCTAssertEqual(server.session.vmUUID, uuid)
    }

    func testAgentConnectedTokensAndTokenGrantsAreTracked() {
        let server = FakeServer()
        server.startSession()
        let connected = server.receive(.main, server.server(.main).main(.agentConnectedTokens(5)))
        XCTAssertEqual(connected.events, [.agent(connected: true, tokens: 5)])
        server.receive(.main, server.server(.main).main(.agentToken(3)))
        XCTAssertEqual(server.session.agentTokens, 8)
        let gone = server.receive(.main, server.server(.main).main(.agentDisconnected(errorCode: 0)))
        XCTAssertEqual(gone.events, [.agent(connected: false, tokens: 8)])
        XCTAssertFalse(server.session.agentConnected)
    }

    func testMigrateBeginIsAnsweredWithConnectErrorAndReportedAsIgnored() {
        let server = FakeServer()
        server.startSession()
        let target = MigrationTarget(port: 5930, securePort: 0, host: Array("10.0.0.2\0".utf8), certSubject: [])
        let step = server.receive(.main, server.server(.main).main(.migrateBegin(target)))

        XCTAssertEqual(step.messages(on: .main), [.main(.migrateConnectError)])
        XCTAssertEqual(step.ignored.map(\.channel), [.main])
        XCTAssertEqual(step.ignored.map(\.type), [MainServerMessage.ID.migrateBegin])
        XCTAssertEqual(server.session.status(of: .main), .linked, "refusing migration keeps the session")
    }
}
