import SpiceWire

/// Counters for the inputs channel, for `--stats` and for tests that must know how pacing behaved.
public struct InputsStatistics: Equatable, Sendable {
    /// `KEY_DOWN`, `KEY_UP`, `KEY_SCANCODE` and `KEY_MODIFIERS` messages sent.
    public var keyMessagesSent: UInt64 = 0
    /// `MOUSE_MOTION` and `MOUSE_POSITION` messages sent.
    public var motionMessagesSent: UInt64 = 0
    /// Motion and position calls folded into one still waiting to be sent.
    public var motionsCoalesced: UInt64 = 0
    /// `MOUSE_PRESS` and `MOUSE_RELEASE` messages sent.
    public var buttonMessagesSent: UInt64 = 0
    public var motionAcksReceived: UInt64 = 0
    /// The most motion messages that were ever sent and not yet acknowledged.
    public var maxUnacknowledgedMotion = 0
    /// The most inputs that ever waited in the session at once (for spacing or for acknowledgements).
    public var maxBacklog = 0
    /// Inputs refused because `InputsLimits.maxBacklog` were already waiting.
    public var refused: UInt64 = 0

    public init() {}
}

/// The limits and timings of the inputs channel.
public enum InputsLimits {
    /// Motion and position messages that may be sent and not yet acknowledged: two bunches, as spice-gtk
    /// and spice-html5 allow (notes §4.2). Beyond it, motion waits and is coalesced.
    public static let motionWindow = 2 * InputsServerMessage.motionAckBunch

    /// The least time between two key, button or lock messages, in milliseconds.
    ///
    /// spice-server acknowledges input when it has handed it to QEMU, not when the guest has taken it,
    /// and QEMU's devices drop what does not fit their queues: the PS/2 keyboard keeps 16 bytes of
    /// scancodes, the USB tablet 15 button changes. Measured against QEMU 7.2 with a Linux guest, 18 keys
    /// sent in one burst lost the last two, and 10 clicks in one burst lost three. Spacing these
    /// messages 10 ms apart (100 a second: faster than anyone types or clicks, 50 characters a second
    /// when text is pasted as keystrokes) lets the guest drain its queues between them. Motion is not
    /// spaced: both devices merge motion without a button change into what they hold.
    public static let spacingMilliseconds: UInt64 = 10

    /// Inputs that may wait in the session. A caller that goes on past it gets `ignored` events instead
    /// of the inputs sent; `SpiceClient` keeps its own queue (which refuses inputs it cannot hold) and
    /// hands the session no more than `Session.inputsBacklog` allows.
    public static let maxBacklog = 1024

    /// Wheel clicks one `mouseWheel` call sends at most; a larger count is clamped.
    public static let maxWheelClicksPerCall = 64
}

/// The client side of one inputs channel: the guest's lock LEDs, the inputs waiting to be sent, and what
/// is held down.
final class InputsState {
    /// One input waiting to be sent, in the order it was made.
    enum Waiting {
        /// A key, button or lock message: sent at most one per `InputsLimits.spacingMilliseconds`.
        case spaced(InputsClientMessage)
        /// Relative motion: later motion right behind it is added to it (saturating).
        case motion(dx: Int32, dy: Int32)
        /// An absolute position: a later position right behind it replaces it.
        case position(x: UInt32, y: UInt32, display: UInt8)
    }

    /// The guest's lock LEDs as the server last reported them; nil before `INPUTS_INIT`.
    var guestModifiers: KeyboardModifiers?
    /// Motion and position messages sent minus `motionAckBunch` for each `MOUSE_MOTION_ACK`.
    var unacknowledgedMotion = 0
    var waiting: [Waiting] = []
    /// When the next spaced message may go.
    var nextSpacedAt: UInt64 = 0
    /// Buttons as the calls so far leave them (messages may still be waiting).
    var buttons: MouseButtons = []
    /// Buttons as the messages sent so far leave them: what motion messages carry.
    var sentButtons: MouseButtons = []
    /// Keys down, in the order they went down.
    var heldKeys: [XTScancode] = []
    var statistics = InputsStatistics()
}

// MARK: - Queries for the application

extension Session {
    /// The linked inputs channel input calls go to, if any.
    var inputsChannel: ChannelID? {
        self.channelOrder.first { $0.type == .inputs && self.channels[$0]?.status == .linked }
    }

    /// Whether input calls reach the guest now: an inputs channel is linked. Calls made before return
    /// no actions and change nothing (the I/O tier keeps its queue until this is true).
    public var inputsReady: Bool { self.inputsChannel != nil }

    /// Inputs waiting in the session to be sent (for spacing, or for motion acknowledgements).
    public var inputsBacklog: Int { self.inputsChannel.flatMap { self.channels[$0]?.inputs?.waiting.count } ?? 0 }

    /// The guest's lock-key LEDs as the server last reported them, or nil before the inputs channel's `INIT`.
    public var guestKeyboardModifiers: KeyboardModifiers? {
        self.inputsChannel.flatMap { self.channels[$0]?.inputs?.guestModifiers }
    }

    /// Keys pressed and not released by the calls so far, in the order they went down.
    public var heldKeys: [XTScancode] { self.inputsChannel.flatMap { self.channels[$0]?.inputs?.heldKeys } ?? [] }

    /// Mouse buttons pressed and not released by the calls so far.
    public var heldButtons: MouseButtons { self.inputsChannel.flatMap { self.channels[$0]?.inputs?.buttons } ?? [] }

    public func inputsStatistics() -> InputsStatistics? {
        self.inputsChannel.flatMap { self.channels[$0]?.inputs?.statistics }
    }

    /// When `tick` has an input to send (the next spaced message), or nil.
    func inputsDeadline() -> UInt64? {
        guard let channel = self.inputsChannel, let inputs = self.channels[channel]?.inputs,
              case .spaced? = inputs.waiting.first else { return nil }
        return inputs.nextSpacedAt
    }
}

// MARK: - Input calls

/// Every call takes the monotonic time in milliseconds (`now`), like the session's other inputs: key,
/// button and lock messages are spaced by `InputsLimits.spacingMilliseconds`, and what cannot go yet
/// waits, in order, for `tick` (see `nextDeadline`). Nothing is ever reordered: motion made before a key
/// goes before it, motion made after it waits behind it.
extension Session {
    /// Presses `key` (`KEY_DOWN`; Pause and Print Screen take two messages).
    public func keyDown(_ key: XTScancode, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            for code in key.pressCodes { self.enqueue(.keyDown(code: code), inputs, channel, now: now, &actions) }
            if !inputs.heldKeys.contains(key) { inputs.heldKeys.append(key) }
        }
    }

    /// Releases `key` (`KEY_UP`) if it is held. spice-gtk does the same: a release without a press would
    /// reach the guest as a stray break code.
    public func keyUp(_ key: XTScancode, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            guard let index = inputs.heldKeys.firstIndex(of: key) else { return }
            inputs.heldKeys.remove(at: index)
            for code in key.releaseCodes { self.enqueue(.keyUp(code: code), inputs, channel, now: now, &actions) }
        }
    }

    /// Presses and releases `key` in one message when the server offers `INPUTS_CAP_KEY_SCANCODE` (so the
    /// guest cannot see an autorepeat between them), else as `KEY_DOWN` then `KEY_UP`. A key already held
    /// stays held.
    public func keyPressAndRelease(_ key: XTScancode, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            if self.channels[channel]?.info?.channelCaps.contains(InputsCapability.keyScancode) == true {
                self.enqueue(.keyScancode(key.pressBytes + key.releaseBytes), inputs, channel, now: now, &actions)
            } else {
                for code in key.pressCodes { self.enqueue(.keyDown(code: code), inputs, channel, now: now, &actions) }
                for code in key.releaseCodes { self.enqueue(.keyUp(code: code), inputs, channel, now: now, &actions) }
            }
        }
    }

    /// Asks the server to make the guest's Caps, Num and Scroll Lock match `locks` (`KEY_MODIFIERS`); the
    /// server presses the lock keys that differ, and the guest's new LEDs come back as
    /// `SessionEvent.keyboardModifiers`.
    public func setKeyboardLocks(_ locks: KeyboardModifiers, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            self.enqueue(.keyModifiers(locks), inputs, channel, now: now, &actions)
        }
    }

    /// Moves the pointer to (`x`, `y`) in the pixels of display channel `display` (client mouse mode).
    /// While `InputsLimits.motionWindow` messages wait for acknowledgement, or a key or button waits to
    /// be sent, the position waits and a newer one replaces it.
    public func mousePosition(x: UInt32, y: UInt32, display: UInt8, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            if case .position? = inputs.waiting.last {
                inputs.statistics.motionsCoalesced += 1
                inputs.waiting[inputs.waiting.count - 1] = .position(x: x, y: y, display: display)
            } else {
                self.append(.position(x: x, y: y, display: display), inputs, channel, &actions)
            }
            self.pump(inputs, channel, now: now, &actions)
        }
    }

    /// Moves the pointer by (`dx`, `dy`) (server mouse mode). While `InputsLimits.motionWindow` messages
    /// wait for acknowledgement, or a key or button waits to be sent, the deltas are summed (saturating)
    /// and sent as one.
    public func mouseMotion(dx: Int32, dy: Int32, now: UInt64) -> [SessionAction] {
        guard dx != 0 || dy != 0 else { return [] }
        return self.withInputs(now: now) { inputs, channel, actions in
            if case .motion(let pdx, let pdy)? = inputs.waiting.last {
                inputs.statistics.motionsCoalesced += 1
                inputs.waiting[inputs.waiting.count - 1] = .motion(dx: pdx.addingSaturating(dx), dy: pdy.addingSaturating(dy))
            } else {
                self.append(.motion(dx: dx, dy: dy), inputs, channel, &actions)
            }
            self.pump(inputs, channel, now: now, &actions)
        }
    }

    /// Presses or releases `button`. The message carries the whole new buttons state, as spice-gtk sends
    /// it. Pressing a held button, or releasing one that is not held, still sends the message (the state
    /// is unchanged).
    public func mouseButton(_ button: MouseButton, pressed: Bool, now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            if pressed {
                inputs.buttons.insert(button.mask)
                self.enqueue(.mousePress(button, buttons: inputs.buttons), inputs, channel, now: now, &actions)
            } else {
                inputs.buttons.remove(button.mask)
                self.enqueue(.mouseRelease(button, buttons: inputs.buttons), inputs, channel, now: now, &actions)
            }
        }
    }

    /// Turns the wheel `clicks` notches: positive away from the user (`UP`, what Linux reports as
    /// `REL_WHEEL` +1 and Android as a positive `AXIS_VSCROLL`), negative towards the user (`DOWN`). Each
    /// notch is a press and a release, as spice-gtk sends it; at most `maxWheelClicksPerCall` a call.
    public func mouseWheel(_ clicks: Int, now: UInt64) -> [SessionAction] {
        let button: MouseButton = clicks > 0 ? .up : .down
        let count = min(clicks.magnitude, UInt(InputsLimits.maxWheelClicksPerCall))
        var actions: [SessionAction] = []
        for _ in 0..<count {
            actions += self.mouseButton(button, pressed: true, now: now)
            actions += self.mouseButton(button, pressed: false, now: now)
        }
        return actions
    }

    /// Releases every key and mouse button still held (most recent first), so nothing stays stuck in the
    /// guest when the application loses focus or the session closes.
    public func releaseAllKeys(now: UInt64) -> [SessionAction] {
        self.withInputs(now: now) { inputs, channel, actions in
            for key in inputs.heldKeys.reversed() {
                for code in key.releaseCodes { self.enqueue(.keyUp(code: code), inputs, channel, now: now, &actions) }
            }
            inputs.heldKeys.removeAll()
            for button in MouseButton.allCases.reversed() where inputs.buttons.contains(button.mask) {
                inputs.buttons.remove(button.mask)
                self.enqueue(.mouseRelease(button, buttons: inputs.buttons), inputs, channel, now: now, &actions)
            }
        }
    }

    /// Releases what is held and sends everything still waiting at once, spacing and window aside: the
    /// session is about to close (`disconnect` calls it), and a release that never leaves would leave a
    /// key stuck in the guest.
    func flushInputsForClose(now: UInt64) -> [SessionAction] {
        var actions = self.releaseAllKeys(now: now)
        guard let channel = self.inputsChannel, let inputs = self.channels[channel]?.inputs else { return actions }
        while !inputs.waiting.isEmpty { self.sendFirst(inputs, channel, now: now, &actions) }
        return actions
    }

    // MARK: - Handling inputs messages and time

    func handleInputs(type: UInt16, body: [UInt8], on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard let message = try InputsServerMessage.parse(type: type, body: body) else {
            actions.append(.event(.ignored(channel, type: type, reason: "unknown inputs message")))
            return
        }
        let inputs = self.inputsState(channel)
        switch message {
        case .`init`(let modifiers), .keyModifiers(let modifiers):
            inputs.guestModifiers = modifiers
            actions.append(.event(.keyboardModifiers(channel, modifiers)))
        case .mouseMotionAck:
            inputs.statistics.motionAcksReceived += 1
            inputs.unacknowledgedMotion = max(0, inputs.unacknowledgedMotion - InputsServerMessage.motionAckBunch)
            self.pump(inputs, channel, now: now, &actions)
        }
    }

    /// Sends what waited for its time (`tick` calls it).
    func tickInputs(now: UInt64, _ actions: inout [SessionAction]) {
        guard let channel = self.inputsChannel, let inputs = self.channels[channel]?.inputs else { return }
        self.pump(inputs, channel, now: now, &actions)
    }

    // MARK: - Helpers

    /// Runs `body` with the linked inputs channel's state; returns no actions when none is linked.
    private func withInputs(now: UInt64, _ body: (InputsState, ChannelID, inout [SessionAction]) -> Void) -> [SessionAction] {
        guard let channel = self.inputsChannel else { return [] }
        var actions: [SessionAction] = []
        body(self.inputsState(channel), channel, &actions)
        return actions
    }

    /// The state of `channel`, made on first use.
    private func inputsState(_ channel: ChannelID) -> InputsState {
        if let inputs = self.channels[channel]?.inputs { return inputs }
        let inputs = InputsState()
        self.channels[channel]?.inputs = inputs
        return inputs
    }

    /// Queues a key, button or lock message behind everything made before it, then sends what may go.
    private func enqueue(_ message: InputsClientMessage, _ inputs: InputsState, _ channel: ChannelID, now: UInt64,
                         _ actions: inout [SessionAction]) {
        self.append(.spaced(message), inputs, channel, &actions)
        self.pump(inputs, channel, now: now, &actions)
    }

    private func append(_ waiting: InputsState.Waiting, _ inputs: InputsState, _ channel: ChannelID, _ actions: inout [SessionAction]) {
        guard inputs.waiting.count < InputsLimits.maxBacklog else {
            inputs.statistics.refused += 1
            let type: UInt16
            switch waiting {
            case .spaced(let message): type = message.type
            case .motion: type = InputsClientMessage.ID.mouseMotion
            case .position: type = InputsClientMessage.ID.mousePosition
            }
            actions.append(.event(.ignored(channel, type: type, reason: "\(InputsLimits.maxBacklog) inputs already wait to be sent")))
            return
        }
        inputs.waiting.append(waiting)
        inputs.statistics.maxBacklog = max(inputs.statistics.maxBacklog, inputs.waiting.count)
    }

    /// Sends waiting inputs from the front while they may go: a spaced message once its time has come;
    /// motion while the window has room, or at once when a spaced message waits behind it (so that a
    /// key or click is not held up by motion made before it: the window then grows by at most one or two
    /// messages, which the server does not mind, as it only acknowledges every fourth).
    private func pump(_ inputs: InputsState, _ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        while let first = inputs.waiting.first {
            switch first {
            case .spaced:
                guard now >= inputs.nextSpacedAt else { return }
            case .motion, .position:
                let spacedBehind = inputs.waiting.dropFirst().contains { if case .spaced = $0 { true } else { false } }
                guard spacedBehind || inputs.unacknowledgedMotion < InputsLimits.motionWindow else { return }
            }
            self.sendFirst(inputs, channel, now: now, &actions)
        }
    }

    /// Sends the first waiting input, whatever the rules say.
    private func sendFirst(_ inputs: InputsState, _ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        let message: InputsClientMessage
        switch inputs.waiting.removeFirst() {
        case .spaced(let spaced):
            message = spaced
            inputs.nextSpacedAt = now + InputsLimits.spacingMilliseconds
            switch spaced {
            case .mousePress(_, let buttons), .mouseRelease(_, let buttons):
                inputs.sentButtons = buttons
                inputs.statistics.buttonMessagesSent += 1
            case .keyDown, .keyUp, .keyScancode, .keyModifiers, .mouseMotion, .mousePosition:
                inputs.statistics.keyMessagesSent += 1
            }
        case .motion(let dx, let dy):
            message = .mouseMotion(dx: dx, dy: dy, buttons: inputs.sentButtons)
            self.countMotion(inputs)
        case .position(let x, let y, let display):
            message = .mousePosition(x: x, y: y, buttons: inputs.sentButtons, displayID: display)
            self.countMotion(inputs)
        }
        self.send(type: message.type, body: message.encode(), on: channel, &actions)
    }

    private func countMotion(_ inputs: InputsState) {
        inputs.unacknowledgedMotion += 1
        inputs.statistics.motionMessagesSent += 1
        inputs.statistics.maxUnacknowledgedMotion = max(inputs.statistics.maxUnacknowledgedMotion, inputs.unacknowledgedMotion)
    }
}

extension Int32 {
    /// `self + other`, held at `Int32.min`/`Int32.max` instead of overflowing.
    func addingSaturating(_ other: Int32) -> Int32 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}
