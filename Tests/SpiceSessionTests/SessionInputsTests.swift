/// The inputs channel as the session drives it (notes §2.3, §4.2): the guest's lock LEDs, keys with
/// spice-gtk's packing, KEY_SCANCODE, lock sync, both mouse modes, MOTION_ACK pacing with coalescing,
/// ordering of presses against pending motion, the wheel, and releasing what is held.
import SpiceSession
import SpiceWire
import XCTest

final class SessionInputsTests: XCTestCase {
    let inputs = ChannelID(.inputs)
    let a = XTScancode(rawValue: 0x1E)!
    let rightCtrl = XTScancode(rawValue: 0x11D)!
    let leftShift = XTScancode(rawValue: 0x2A)!

    /// A session with the inputs channel linked; `caps` are the server's inputs capabilities.
    private func linked(caps: CapabilitySet = CapabilitySet()) -> FakeServer {
        let server = FakeServer()
        server.channelCaps[self.inputs] = caps
        server.startSession(linking: [self.inputs])
        XCTAssertTrue(server.session.inputsReady)
        return server
    }

    /// The inputs messages a step sent, decoded (base messages such as DISCONNECTING left out).
    private func inputsMessages(_ step: Step) -> [InputsClientMessage] {
        step.messages(on: self.inputs).compactMap { message in
            if case .inputs(let inputs) = message { return inputs }
            if case .base = message { return nil }
            XCTFail("not an inputs message: \(message)")
            return nil
        }
    }

    /// What `actions` sent on the inputs channel, and then what `tick` sent as the clock moved on in
    /// steps of the spacing until no spaced input waited any more.
    private func sent(_ server: FakeServer, _ actions: [SessionAction]) -> [InputsClientMessage] {
        var messages = self.inputsMessages(server.perform(actions))
        while server.session.inputsBacklog > 0, server.session.nextDeadline() != nil {
            server.now += InputsLimits.spacingMilliseconds
            messages += self.inputsMessages(server.tick())
        }
        return messages
    }

    private func ack(_ server: FakeServer) -> Step {
        server.receive(self.inputs, server.server(self.inputs).message(type: InputsServerMessage.ID.mouseMotionAck, body: []))
    }

    // MARK: - Before the channel is linked

    func testInputCallsDoNothingUntilTheInputsChannelIsLinked() {
        let server = FakeServer()
        server.startSession()
        server.list([self.inputs])
        XCTAssertFalse(server.session.inputsReady)
        XCTAssertEqual(server.session.keyDown(self.a, now: server.now), [])
        XCTAssertEqual(server.session.mousePosition(x: 1, y: 2, display: 0, now: server.now), [])
        XCTAssertEqual(server.session.mouseButton(.left, pressed: true, now: server.now), [])
        XCTAssertEqual(server.session.heldKeys, [], "nothing is held when nothing was sent")
        server.link(self.inputs)
        XCTAssertTrue(server.session.inputsReady)
        XCTAssertEqual(self.sent(server, server.session.keyDown(self.a, now: server.now)), [.keyDown(code: 0x1E)])
    }

    // MARK: - Guest LEDs

    func testInitAndKeyModifiersReportTheGuestLocks() {
        let server = self.linked()
        XCTAssertNil(server.session.guestKeyboardModifiers)
        let initStep = server.receive(self.inputs, server.server(self.inputs).message(
            type: InputsServerMessage.ID.`init`, body: InputsServerMessage.`init`([.numLock]).encode()))
        XCTAssertEqual(initStep.events, [.keyboardModifiers(self.inputs, [.numLock])])
        let change = server.receive(self.inputs, server.server(self.inputs).message(
            type: InputsServerMessage.ID.keyModifiers, body: InputsServerMessage.keyModifiers([.numLock, .capsLock]).encode()))
        XCTAssertEqual(change.events, [.keyboardModifiers(self.inputs, [.numLock, .capsLock])])
        XCTAssertEqual(server.session.guestKeyboardModifiers, [.numLock, .capsLock])
    }

    func testSetKeyboardLocksSendsKeyModifiers() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.setKeyboardLocks([.capsLock, .scrollLock], now: server.now)), [.keyModifiers([.capsLock, .scrollLock])])
    }

    func testMalformedInputsMessageClosesTheChannelNamingIt() throws {
        let server = self.linked()
        let step = server.receive(self.inputs, server.server(self.inputs).message(type: InputsServerMessage.ID.`init`, body: [0x01]))
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(step.closures.first?.channel, self.inputs)
        XCTAssertTrue(error.detail.contains("inputs channel, message INIT, field keyboard_modifiers"), error.detail)
        XCTAssertFalse(server.session.inputsReady)
    }

    // MARK: - Keys

    func testKeyDownAndUpSendSpiceGtkPackedCodes() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.keyDown(self.rightCtrl, now: server.now)), [.keyDown(code: 0x1DE0)])
        XCTAssertEqual(self.sent(server, server.session.keyDown(self.a, now: server.now)), [.keyDown(code: 0x1E)])
        XCTAssertEqual(server.session.heldKeys, [self.rightCtrl, self.a])
        XCTAssertEqual(self.sent(server, server.session.keyUp(self.a, now: server.now)), [.keyUp(code: 0x9E)])
        XCTAssertEqual(self.sent(server, server.session.keyUp(self.rightCtrl, now: server.now)), [.keyUp(code: 0x9DE0)])
        XCTAssertEqual(server.session.heldKeys, [])
        XCTAssertEqual(server.session.inputsStatistics()?.keyMessagesSent, 4)
    }

    func testKeyUpOfAKeyNotHeldSendsNothing() {
        let server = self.linked()
        XCTAssertEqual(server.session.keyUp(self.a, now: server.now), [])
    }

    func testRepeatedKeyDownIsSentAgainButHeldOnce() {
        let server = self.linked()
        _ = self.sent(server, server.session.keyDown(self.a, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.keyDown(self.a, now: server.now)), [.keyDown(code: 0x1E)], "autorepeat reaches the guest")
        XCTAssertEqual(server.session.heldKeys, [self.a])
    }

    func testPauseAndPrintScreenSendTheirHardwareSequences() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.keyDown(.pause, now: server.now)), [.keyDown(code: 0x1DE1), .keyDown(code: 0x45)])
        XCTAssertEqual(self.sent(server, server.session.keyUp(.pause, now: server.now)), [.keyUp(code: 0x9DE1), .keyUp(code: 0xC5)])
        XCTAssertEqual(self.sent(server, server.session.keyDown(.printScreen, now: server.now)), [.keyDown(code: 0x2AE0), .keyDown(code: 0x37E0)])
        XCTAssertEqual(self.sent(server, server.session.keyUp(.printScreen, now: server.now)), [.keyUp(code: 0xB7E0), .keyUp(code: 0xAAE0)])
    }

    func testPressAndReleaseIsOneKeyScancodeWhenTheServerOffersIt() {
        let server = self.linked(caps: CapabilitySet([InputsCapability.keyScancode]))
        XCTAssertEqual(self.sent(server, server.session.keyPressAndRelease(self.a, now: server.now)), [.keyScancode([0x1E, 0x9E])])
        XCTAssertEqual(self.sent(server, server.session.keyPressAndRelease(self.rightCtrl, now: server.now)), [.keyScancode([0xE0, 0x1D, 0xE0, 0x9D])])
        XCTAssertEqual(self.sent(server, server.session.keyPressAndRelease(.pause, now: server.now)), [.keyScancode([0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5])])
        XCTAssertEqual(server.session.heldKeys, [])
    }

    func testPressAndReleaseIsDownThenUpWithoutTheCapability() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.keyPressAndRelease(self.rightCtrl, now: server.now)), [.keyDown(code: 0x1DE0), .keyUp(code: 0x9DE0)])
    }

    // MARK: - Mouse

    func testPositionAndMotionCarryTheHeldButtons() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.mousePosition(x: 512, y: 384, display: 0, now: server.now)),
                       [.mousePosition(x: 512, y: 384, buttons: [], displayID: 0)])
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.left, pressed: true, now: server.now)), [.mousePress(.left, buttons: .left)])
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.right, pressed: true, now: server.now)), [.mousePress(.right, buttons: [.left, .right])])
        XCTAssertEqual(self.sent(server, server.session.mouseMotion(dx: 3, dy: -4, now: server.now)), [.mouseMotion(dx: 3, dy: -4, buttons: [.left, .right])])
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.left, pressed: false, now: server.now)), [.mouseRelease(.left, buttons: .right)])
        XCTAssertEqual(self.sent(server, server.session.mousePosition(x: 1, y: 2, display: 1, now: server.now)),
                       [.mousePosition(x: 1, y: 2, buttons: .right, displayID: 1)])
        XCTAssertEqual(server.session.heldButtons, .right)
    }

    func testZeroMotionSendsNothing() {
        let server = self.linked()
        XCTAssertEqual(server.session.mouseMotion(dx: 0, dy: 0, now: server.now), [])
    }

    func testWheelIsAPressAndReleaseOfUpOrDownPerNotch() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.mouseWheel(2, now: server.now)), [
            .mousePress(.up, buttons: .up), .mouseRelease(.up, buttons: []),
            .mousePress(.up, buttons: .up), .mouseRelease(.up, buttons: []),
        ])
        _ = self.sent(server, server.session.mouseButton(.left, pressed: true, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.mouseWheel(-1, now: server.now)), [
            .mousePress(.down, buttons: [.left, .down]), .mouseRelease(.down, buttons: .left),
        ])
        XCTAssertEqual(self.sent(server, server.session.mouseWheel(0, now: server.now)), [])
        XCTAssertEqual(self.sent(server, server.session.mouseWheel(Int.min, now: server.now)).count, 2 * InputsLimits.maxWheelClicksPerCall)
    }

    func testSideAndExtraButtonsUseTheirMasks() {
        let server = self.linked()
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.side, pressed: true, now: server.now)), [.mousePress(.side, buttons: .side)])
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.extra, pressed: true, now: server.now)), [.mousePress(.extra, buttons: [.side, .extra])])
    }

    // MARK: - MOTION_ACK pacing

    func testAtMostTwoBunchesOfPositionsAreUnacknowledgedAndTheLatestWaits() {
        let server = self.linked()
        var sent: [InputsClientMessage] = []
        for x in UInt32(0)..<20 { sent += self.sent(server, server.session.mousePosition(x: x, y: 0, display: 0, now: server.now)) }
        XCTAssertEqual(sent, (UInt32(0)..<8).map { .mousePosition(x: $0, y: 0, buttons: [], displayID: 0) }, "two bunches of four")
        XCTAssertEqual(server.session.inputsStatistics()?.motionsCoalesced, 11, "positions 9…19 replaced each other")

        let acked = self.ack(server)
        XCTAssertEqual(acked.messages(on: self.inputs), [.inputs(.mousePosition(x: 19, y: 0, buttons: [], displayID: 0))],
                       "the latest position goes out on the acknowledgement")
        // 8 − 4 + 1 = 5 outstanding: three more go out at once, the fourth waits.
        var more: [InputsClientMessage] = []
        for x in UInt32(100)..<104 { more += self.sent(server, server.session.mousePosition(x: x, y: 0, display: 0, now: server.now)) }
        XCTAssertEqual(more.count, 3)
        XCTAssertEqual(server.session.inputsStatistics()?.maxUnacknowledgedMotion, InputsLimits.motionWindow)
    }

    func testThrottledMotionIsSummedAndSentAsOne() {
        let server = self.linked()
        for _ in 0..<8 { _ = self.sent(server, server.session.mouseMotion(dx: 1, dy: 1, now: server.now)) }
        var throttled: [InputsClientMessage] = []
        for _ in 0..<5 { throttled += self.sent(server, server.session.mouseMotion(dx: 1, dy: 2, now: server.now)) }
        XCTAssertEqual(throttled, [])
        XCTAssertEqual(self.ack(server).messages(on: self.inputs), [.inputs(.mouseMotion(dx: 5, dy: 10, buttons: []))])
    }

    func testThrottledMotionSaturatesInsteadOfOverflowing() {
        let server = self.linked()
        for _ in 0..<8 { _ = self.sent(server, server.session.mouseMotion(dx: 1, dy: -1, now: server.now)) }
        for _ in 0..<3 { _ = self.sent(server, server.session.mouseMotion(dx: .max, dy: .min, now: server.now)) }
        XCTAssertEqual(self.ack(server).messages(on: self.inputs), [.inputs(.mouseMotion(dx: .max, dy: .min, buttons: []))])
    }

    func testAPressSendsPendingMotionFirstSoNothingIsReordered() {
        let server = self.linked()
        for x in UInt32(0)..<8 { _ = self.sent(server, server.session.mousePosition(x: x, y: 0, display: 0, now: server.now)) }
        _ = self.sent(server, server.session.mousePosition(x: 50, y: 60, display: 0, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.left, pressed: true, now: server.now)), [
            .mousePosition(x: 50, y: 60, buttons: [], displayID: 0),
            .mousePress(.left, buttons: .left),
        ], "the click lands where the pointer was moved before it")
        _ = self.sent(server, server.session.mouseMotion(dx: 2, dy: 2, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.mouseButton(.left, pressed: false, now: server.now)), [
            .mouseMotion(dx: 2, dy: 2, buttons: .left),
            .mouseRelease(.left, buttons: []),
        ])
    }

    func testAKeySendsPendingMotionFirst() {
        let server = self.linked()
        for _ in 0..<8 { _ = self.sent(server, server.session.mouseMotion(dx: 1, dy: 0, now: server.now)) }
        _ = self.sent(server, server.session.mouseMotion(dx: 7, dy: 0, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.keyDown(self.a, now: server.now)), [.mouseMotion(dx: 7, dy: 0, buttons: []), .keyDown(code: 0x1E)])
    }

    func testNothingPendingMeansAnAcknowledgementSendsNothing() {
        let server = self.linked()
        XCTAssertEqual(self.ack(server).sent.count, 0)
        XCTAssertEqual(self.ack(server).sent.count, 0)
        // Spurious acknowledgements do not open the window beyond two bunches.
        var sent: [InputsClientMessage] = []
        for x in UInt32(0)..<12 { sent += self.sent(server, server.session.mousePosition(x: x, y: 0, display: 0, now: server.now)) }
        XCTAssertEqual(sent.count, InputsLimits.motionWindow)
        XCTAssertEqual(server.session.inputsStatistics()?.motionAcksReceived, 2)
    }

    // MARK: - Spacing for the guest's queues

    func testKeysAndClicksAreSpacedTenMillisecondsApart() {
        let server = self.linked()
        XCTAssertEqual(self.inputsMessages(server.perform(server.session.keyDown(self.a, now: server.now))), [.keyDown(code: 0x1E)])
        XCTAssertEqual(self.inputsMessages(server.perform(server.session.keyUp(self.a, now: server.now))), [], "too soon after the press")
        XCTAssertEqual(self.inputsMessages(server.perform(server.session.mouseButton(.left, pressed: true, now: server.now))), [])
        XCTAssertEqual(server.session.inputsBacklog, 2)
        XCTAssertEqual(server.session.heldKeys, [], "the calls are done; only the messages wait")
        XCTAssertEqual(server.session.nextDeadline(), server.now + InputsLimits.spacingMilliseconds)
        server.now += InputsLimits.spacingMilliseconds - 1
        XCTAssertEqual(self.inputsMessages(server.tick()), [])
        server.now += 1
        XCTAssertEqual(self.inputsMessages(server.tick()), [.keyUp(code: 0x9E)])
        server.now += InputsLimits.spacingMilliseconds
        XCTAssertEqual(self.inputsMessages(server.tick()), [.mousePress(.left, buttons: .left)])
        XCTAssertNil(server.session.nextDeadline())
        XCTAssertEqual(server.session.inputsBacklog, 0)
    }

    func testMotionMadeAfterAWaitingClickWaitsBehindIt() {
        let server = self.linked()
        _ = self.inputsMessages(server.perform(server.session.mouseButton(.left, pressed: true, now: server.now)))
        _ = self.inputsMessages(server.perform(server.session.mouseButton(.left, pressed: false, now: server.now)))
        XCTAssertEqual(self.inputsMessages(server.perform(server.session.mousePosition(x: 9, y: 9, display: 0, now: server.now))), [],
                       "the window is free, but the release made before it has not gone yet")
        _ = self.inputsMessages(server.perform(server.session.mousePosition(x: 10, y: 10, display: 0, now: server.now)))
        server.now += InputsLimits.spacingMilliseconds
        XCTAssertEqual(self.inputsMessages(server.tick()), [
            .mouseRelease(.left, buttons: []),
            .mousePosition(x: 10, y: 10, buttons: [], displayID: 0),
        ], "the release, then the latest position, which carries the state after the release")
    }

    func testTheBacklogIsBoundedAndWhatIsRefusedIsReported() {
        let server = self.linked()
        var step = Step()
        for _ in 0..<(InputsLimits.maxBacklog + 5) { step.merge(server.perform(server.session.keyPressAndRelease(self.a, now: server.now))) }
        XCTAssertEqual(self.inputsMessages(step), [.keyDown(code: 0x1E)], "only the first press went at once")
        XCTAssertEqual(server.session.inputsBacklog, InputsLimits.maxBacklog)
        // Each call is a KEY_DOWN and a KEY_UP (no KEY_SCANCODE here): one sent, the bound waiting, the rest refused.
        XCTAssertEqual(step.ignored.count, 2 * (InputsLimits.maxBacklog + 5) - 1 - InputsLimits.maxBacklog,
                       "every message past the bound is reported")
        XCTAssertEqual(server.session.inputsStatistics()?.refused, UInt64(step.ignored.count))
    }

    func testDisconnectSendsWhatWaitsAtOnceThenReleasesWhatIsHeld() {
        let server = self.linked()
        _ = self.inputsMessages(server.perform(server.session.keyDown(self.leftShift, now: server.now)))
        _ = self.inputsMessages(server.perform(server.session.keyDown(self.a, now: server.now)))
        _ = self.inputsMessages(server.perform(server.session.keyUp(self.a, now: server.now)))
        let step = server.disconnect()
        XCTAssertEqual(self.inputsMessages(step), [.keyDown(code: 0x1E), .keyUp(code: 0x9E), .keyUp(code: 0xAA)])
        guard case .base(.disconnecting)? = step.messages(on: self.inputs).last else {
            return XCTFail("the inputs channel did not say DISCONNECTING last: \(step.messages(on: self.inputs))")
        }
    }

    // MARK: - Nothing stays stuck

    func testReleaseAllKeysReleasesKeysNewestFirstThenButtons() {
        let server = self.linked()
        _ = self.sent(server, server.session.keyDown(self.leftShift, now: server.now))
        _ = self.sent(server, server.session.keyDown(self.rightCtrl, now: server.now))
        _ = self.sent(server, server.session.mouseButton(.left, pressed: true, now: server.now))
        _ = self.sent(server, server.session.mouseButton(.middle, pressed: true, now: server.now))
        XCTAssertEqual(self.sent(server, server.session.releaseAllKeys(now: server.now)), [
            .keyUp(code: 0x9DE0), .keyUp(code: 0xAA),
            .mouseRelease(.middle, buttons: .left), .mouseRelease(.left, buttons: []),
        ])
        XCTAssertEqual(server.session.heldKeys, [])
        XCTAssertEqual(server.session.heldButtons, [])
        XCTAssertEqual(server.session.releaseAllKeys(now: server.now), [], "nothing left to release")
    }

    func testPoliteDisconnectReleasesHeldKeysBeforeSayingGoodbye() {
        let server = self.linked()
        _ = self.sent(server, server.session.keyDown(self.a, now: server.now))
        _ = self.sent(server, server.session.mouseButton(.right, pressed: true, now: server.now))
        let step = server.disconnect()
        XCTAssertEqual(step.messages(on: self.inputs).prefix(2), [.inputs(.keyUp(code: 0x9E)), .inputs(.mouseRelease(.right, buttons: []))])
        guard case .base(.disconnecting)? = step.messages(on: self.inputs).last else {
            return XCTFail("the inputs channel did not say DISCONNECTING last: \(step.messages(on: self.inputs))")
        }
    }
}
