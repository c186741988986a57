import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// Input proved by what the guest itself receives: the Linux guest (`qemu-spice.sh --guest linux`)
/// echoes every evdev event to its serial port (notes §3, §7). Each test boots one guest (about 16 s
/// under TCG) and waits at most a bounded time for each outcome.
final class InputsTests: XCTestCase {
    /// The longest any test waits for the guest to report what it was sent.
    private static let eventWait: Double = 20

    private typealias Event = GuestInputEvent

    private static func key(_ code: Int, _ value: Int) -> (Int, Int, Int) { (Event.evKey, code, value) }

    /// The key and button events (type 1) in `events`, as [code, value] pairs. Autorepeats (value 2),
    /// which the guest kernel makes itself when a release is late on a loaded machine, are left out.
    private static func keys(_ events: [Event]) -> [[Int]] {
        events.filter { $0.type == Event.evKey && $0.value != 2 }.map { [$0.code, $0.value] }
    }

    // MARK: - Keyboard

    func testTypedTextSpecialKeysAndCtrlAltDelArriveAsEvdevKeysInOrder() throws {
        let (server, client) = try connectToLinuxGuest(tablet: true, mouseMode: nil)
        defer { server.stop() }
        XCTAssertEqual(client.session.linkInfo(of: ChannelID(.inputs))?.channelCaps.contains(InputsCapability.keyScancode), true,
                       "QEMU offers INPUTS_CAP_KEY_SCANCODE")
        let serial = GuestSerial(server)
        serial.skipToEnd()

        // "Hi, 42!" on a US layout: Shift is held around the shifted characters.
        for input in try KeyNames.text("Hi, 42!") { try client.send(input) }
        let expectedText: [[Int]] = [
            [42, 1], [35, 1], [35, 0], [42, 0],              // H
            [23, 1], [23, 0],                                // i
            [51, 1], [51, 0],                                // ,
            [57, 1], [57, 0],                                // space
            [5, 1], [5, 0], [3, 1], [3, 0],                  // 4 2
            [42, 1], [2, 1], [2, 0], [42, 0],                // !
        ]
        let typed = serial.collect(client, seconds: Self.eventWait) { Self.keys($0).count >= expectedText.count }
        XCTAssertEqual(Self.keys(typed.events), expectedText)
        XCTAssertTrue(typed.events.allSatisfy { $0.device == typed.events.first?.device }, "all from the keyboard: \(typed.events)")

        // Pause and Print Screen's multi-byte sequences, and a press+release sent as one KEY_SCANCODE.
        try client.send(.keyDown(.pause))
        try client.send(.keyUp(.pause))
        try client.send(.keyDown(.printScreen))
        try client.send(.keyUp(.printScreen))
        try client.send(.keyPressAndRelease(try XCTUnwrap(Keymap.scancode(evdev: 48))))
        try client.send(.keyPressAndRelease(try XCTUnwrap(Keymap.scancode(evdev: 102))))
        let special = serial.collect(client, seconds: Self.eventWait) { Self.keys($0).count >= 8 }
        XCTAssertEqual(Self.keys(special.events), [[119, 1], [119, 0], [99, 1], [99, 0], [48, 1], [48, 0], [102, 1], [102, 0]],
                       "KEY_PAUSE, KEY_SYSRQ, KEY_B and KEY_HOME down then up")

        // Ctrl+Alt+Del last: the guest kernel acts on it. Linux reboots at once on Ctrl+Alt+Del unless init
        // turned that off (this guest's does not), so the echo may stop after the first key; the reboot
        // itself (the guest printing BOOT again) then proves the three keys arrived, held together.
        let expectedCAD: [[Int]] = [[29, 1], [56, 1], [111, 1], [111, 0], [56, 0], [29, 0]]
        for input in try KeyNames.combo("ctrl+alt+del") { try client.send(input) }
        var rebooted = false
        let cad = serial.collect(client, seconds: Self.eventWait) { events in
            Self.keys(events).count >= expectedCAD.count || rebooted
        } onLine: { line in
            if line.contains("SPICETEST BOOT") { rebooted = true }
        }
        let seen = Self.keys(cad.events)
        if rebooted {
            XCTAssertEqual(seen, Array(expectedCAD.prefix(seen.count)), "what was echoed before the reboot is in order")
            XCTAssertGreaterThanOrEqual(seen.count, 1)
        } else {
            XCTAssertEqual(seen, expectedCAD)
        }
        XCTAssertEqual(client.session.heldKeys, [])
    }

    func testLockKeysSyncFromTheClientAndTheGuestReportsItsLEDs() throws {
        let (server, client) = try connectToLinuxGuest(tablet: true, mouseMode: nil)
        defer { server.stop() }
        let serial = GuestSerial(server)
        serial.skipToEnd()
        let initial = try XCTUnwrap(client.session.guestKeyboardModifiers, "INPUTS_INIT gave the guest's LEDs")
        XCTAssertFalse(initial.contains(.capsLock))

        // The client asks for Caps Lock: the server presses the key, the guest's LED goes on and comes back.
        try client.send(.keyboardLocks(initial.union(.capsLock)))
        var reported: [KeyboardModifiers] = []
        var lines: [String] = []
        var events: [Event] = []
        let deadline = Date().addingTimeInterval(Self.eventWait)
        while Date() < deadline, !(reported.last?.contains(.capsLock) ?? false && lines.contains { $0.contains("LED capslock=1") }
                                     && Self.keys(events).count >= 2) {
            for event in client.poll(timeoutMilliseconds: 50) {
                if case .keyboardModifiers(_, let modifiers) = event { reported.append(modifiers) }
            }
            for line in serial.newLines() {
                if let event = GuestSerial.event(line) { events.append(event) } else { lines.append(line) }
            }
        }
        XCTAssertEqual(Self.keys(events), [[58, 1], [58, 0]], "the server pressed and released KEY_CAPSLOCK")
        XCTAssertTrue(lines.contains { $0.contains("LED capslock=1") }, "the guest's LED: \(lines)")
        XCTAssertEqual(reported.last?.contains(.capsLock), true, "the guest's LED came back as an event: \(reported)")
        XCTAssertEqual(client.session.guestKeyboardModifiers?.contains(.capsLock), true)

        // The guest's own change (its Caps Lock key pressed) comes back too.
        let capsLock = try XCTUnwrap(Keymap.scancode(evdev: 58))
        try client.send(.keyDown(capsLock))
        try client.send(.keyUp(capsLock))
        reported = []
        let off = Date().addingTimeInterval(Self.eventWait)
        while Date() < off, !(reported.last.map { !$0.contains(.capsLock) } ?? false) {
            for event in client.poll(timeoutMilliseconds: 50) {
                if case .keyboardModifiers(_, let modifiers) = event { reported.append(modifiers) }
            }
        }
        XCTAssertEqual(reported.last?.contains(.capsLock), false, "Caps Lock off came back: \(reported)")
    }

    // MARK: - Mouse, client mode (usb-tablet)

    func testClientModePositionClicksAndWheelArriveAsAbsoluteEventsAndButtons() throws {
        let (server, client) = try connectToLinuxGuest(tablet: true, mouseMode: MouseMode.client)
        defer { server.stop() }
        let serial = GuestSerial(server)
        serial.skipToEnd()

        try client.send(.mousePosition(x: 512, y: 384, display: 0))
        let moved = serial.collect(client, seconds: Self.eventWait) { events in
            events.contains { $0.type == Event.evAbs && $0.code == Event.absX } && events.contains { $0.type == Event.evAbs && $0.code == Event.absY }
        }
        // QEMU scales to 0..32767 over the display's size: 512 of 1024 and 384 of 768 are both 16383.
        XCTAssertEqual(moved.events.last { $0.type == Event.evAbs && $0.code == Event.absX }?.value, 16383, "\(moved.events)")
        XCTAssertEqual(moved.events.last { $0.type == Event.evAbs && $0.code == Event.absY }?.value, 16383, "\(moved.events)")

        for button in [MouseButton.left, .right, .middle] {
            try client.send(.mouseButton(button, pressed: true))
            try client.send(.mouseButton(button, pressed: false))
        }
        let clicked = serial.collect(client, seconds: Self.eventWait) { Self.keys($0).count >= 6 }
        XCTAssertEqual(Self.keys(clicked.events), [[Event.btnLeft, 1], [Event.btnLeft, 0], [Event.btnRight, 1], [Event.btnRight, 0],
                                                   [Event.btnMiddle, 1], [Event.btnMiddle, 0]])

        // The USB tablet folds wheel notches that reach it between two guest polls into one report, so
        // what is checked is the sum each way, not the number of events.
        func wheelSum(_ events: [Event]) -> Int {
            events.filter { $0.type == Event.evRel && $0.code == Event.relWheel }.map(\.value).reduce(0, +)
        }
        try client.send(.mouseWheel(2))
        let up = serial.collect(client, seconds: Self.eventWait) { wheelSum($0) >= 2 }
        XCTAssertEqual(wheelSum(up.events), 2, "two notches away from the user: \(up.events)")
        try client.send(.mouseWheel(-1))
        let down = serial.collect(client, seconds: Self.eventWait) { wheelSum($0) <= -1 }
        XCTAssertEqual(wheelSum(down.events), -1, "one notch towards the user: \(down.events)")
        XCTAssertEqual(client.session.heldButtons, [])
    }

    // MARK: - Mouse, server mode (PS/2 only)

    func testServerModeMotionArrivesAsRelativeEvents() throws {
        let (server, client) = try connectToLinuxGuest(tablet: false, mouseMode: MouseMode.server)
        defer { server.stop() }
        XCTAssertEqual(client.session.mouseMode.supported & MouseMode.client, 0, "without the tablet only server mode is offered")
        let serial = GuestSerial(server)
        serial.skipToEnd()

        try client.send(.mouseMotion(dx: 10, dy: 5))
        let moved = serial.collect(client, seconds: Self.eventWait) { events in
            events.contains { $0.type == Event.evRel && $0.code == Event.relY }
        }
        XCTAssertEqual(moved.events.filter { $0.type == Event.evRel && $0.code == Event.relX }.map(\.value).reduce(0, +), 10, "\(moved.events)")
        XCTAssertEqual(moved.events.filter { $0.type == Event.evRel && $0.code == Event.relY }.map(\.value).reduce(0, +), 5, "\(moved.events)")

        try client.send(.mouseButton(.left, pressed: true))
        try client.send(.mouseButton(.left, pressed: false))
        let clicked = serial.collect(client, seconds: Self.eventWait) { Self.keys($0).count >= 2 }
        XCTAssertEqual(Self.keys(clicked.events), [[Event.btnLeft, 1], [Event.btnLeft, 0]])
    }

    // MARK: - spice-headless

    func testHeadlessTypesPressesClicksAndScrollsIntoTheGuest() throws {
        let run = try runHeadless(["--guest", "linux", "--seconds", "120", "--type", "ok", "--key", "ctrl+c",
                                   "--click", "512,384,right", "--wheel", "-1"], timeout: 300)
        XCTAssertEqual(run.termination, .exited(0), run.stderr + run.stdout)
        for line in ["typed 2 characters", "pressed ctrl+c", "moved to 512,384 (client mouse mode)", "clicked right at 512,384",
                     "turned the wheel -1 notches"] {
            XCTAssertTrue(run.stdout.contains(line), "\(line):\n\(run.stdout)")
        }
        let logLine = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("guest serial log: ") }, run.stdout)
        let log = try String(contentsOfFile: String(logLine.dropFirst("guest serial log: ".count)), encoding: .utf8)
        let events = log.split(separator: "\n").compactMap { GuestSerial.event(String($0)) }
        XCTAssertEqual(Self.keys(events).filter { $0[0] < 0x100 }, [[24, 1], [24, 0], [37, 1], [37, 0], [29, 1], [46, 1], [46, 0], [29, 0]],
                       "o, k, then ctrl+c")
        XCTAssertEqual(events.last { $0.type == Event.evAbs && $0.code == Event.absX }?.value, 16383)
        XCTAssertEqual(Self.keys(events).filter { $0[0] >= 0x100 }, [[Event.btnRight, 1], [Event.btnRight, 0]])
        XCTAssertEqual(events.filter { $0.type == Event.evRel && $0.code == Event.relWheel }.map(\.value).reduce(0, +), -1)
    }

    // MARK: - A flood

    func testFloodOfTenThousandMotionsStaysBoundedLosesNoClickAndEndsWhereItShould() throws {
        let (server, client) = try connectToLinuxGuest(tablet: true, mouseMode: MouseMode.client)
        defer { server.stop() }
        let serial = GuestSerial(server)
        serial.skipToEnd()

        // Another thread floods the queue while this one polls; a left click every 1000 motions.
        let sender = client.inputs
        let flooder = Flooder()
        Thread.detachNewThread {
            for i in 0..<10_000 {
                do {
                    try sender.send(.mousePosition(x: UInt32(i % 1000), y: UInt32(i % 700), display: 0))
                    if i % 1000 == 999 {
                        try sender.send(.mouseButton(.left, pressed: true))
                        try sender.send(.mouseButton(.left, pressed: false))
                    }
                } catch {
                    flooder.refused(error)
                }
            }
            do { try sender.send(.mousePosition(x: 700, y: 500, display: 0)) } catch { flooder.refused(error) }
            flooder.finish()
        }
        // QEMU's scaling: value * 32767 / size, truncated.
        let finalX = 700 * 32767 / 1024, finalY = 500 * 32767 / 768
        let flood = serial.collect(client, seconds: 90) { events in
            flooder.finished
                && events.last { $0.type == Event.evAbs && $0.code == Event.absX }?.value == finalX
                && events.last { $0.type == Event.evAbs && $0.code == Event.absY }?.value == finalY
                && Self.keys(events).count >= 20
        }
        XCTAssertTrue(flooder.finished)
        XCTAssertEqual(flooder.errors, [], "nothing was refused")
        let buttons = Self.keys(flood.events).filter { $0[0] == Event.btnLeft }
        XCTAssertEqual(buttons, Array(repeating: [[Event.btnLeft, 1], [Event.btnLeft, 0]], count: 10).flatMap { $0 },
                       "every press and release arrived, in order")
        XCTAssertEqual(flood.events.last { $0.type == Event.evAbs && $0.code == Event.absX }?.value, finalX, "the final position arrived")
        XCTAssertEqual(flood.events.last { $0.type == Event.evAbs && $0.code == Event.absY }?.value, finalY)

        let statistics = try XCTUnwrap(client.session.inputsStatistics())
        XCTAssertLessThanOrEqual(statistics.maxUnacknowledgedMotion, InputsLimits.motionWindow + 2, "the window held: \(statistics)")
        // 10,000 motions fold into a few messages: in the input queue (consecutive positions) and, when
        // the queue hands them over faster than MOTION_ACK allows, in the session's pacing. Which of the
        // two folds them depends on thread timing, so only the total is asserted.
        XCTAssertLessThan(statistics.motionMessagesSent, 1_000, "motion was folded: \(statistics)")
        // Bounded memory: consecutive positions fold into one queue entry, so the queue never grows past
        // the clicks plus one motion between them, however fast the flood.
        XCTAssertLessThanOrEqual(client.inputs.maxQueuedCount, 64, "queue high water \(client.inputs.maxQueuedCount)")
        print("flood: \(statistics), queue high water \(client.inputs.maxQueuedCount)")
    }
}

/// What the flooding thread reports to the polling one.
private final class Flooder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    private var done = false
    func refused(_ error: Error) { self.lock.withLock { self.list.append("\(error)") } }
    func finish() { self.lock.withLock { self.done = true } }
    var errors: [String] { self.lock.withLock { self.list } }
    var finished: Bool { self.lock.withLock { self.done } }
}
