import SpiceWire

/// Counters for the inputs channel, for `--stats` and for tests that must know how pacing behaved.
public struct InputsStatistics: Equatable, Sendable {
    /// `KEY_DOWN`, `KEY_UP` and `KEY_SCANCODE` messages sent.
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

    public init() {}
}

/// The limits the session holds input calls to.
public enum InputsLimits {
    /// Motion and position messages that may be sent and not yet acknowledged: two bunches, as spice-gtk
    /// and spice-html5 allow (notes §4.2). Beyond it, motion waits and is coalesced.
    public static let motionWindow = 2 * InputsServerMessage.motionAckBunch
    /// Wheel clicks one `mouseWheel` call sends at most; a larger count is clamped.
    public static let maxWheelClicksPerCall = 64
}

/// The client side of one inputs channel: the guest's lock LEDs, motion pacing, what is held down.
final class InputsState {
    /// The guest's lock LEDs as the server last reported them; nil before `INPUTS_INIT`.
    var guestModifiers: KeyboardModifiers?
    /// Motion and position messages sent minus `motionAckBunch` for each `MOUSE_MOTION_ACK`.
    var unacknowledgedMotion = 0
    /// Relative motion not sent yet (the window was full): the sum of every delta since.
    var pendingMotion: (dx: Int32, dy: Int32)?
    /// The latest absolute position not sent yet: each newer one replaces it.
    var pendingPosition: (x: UInt32, y: UInt32, display: UInt8)?
    var buttons: MouseButtons = []
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

    /// The guest's lock-key LEDs as the server last reported them, or nil before the inputs channel's `INIT`.
    public var guestKeyboardModifiers: KeyboardModifiers? {
        self.inputsChannel.flatMap { self.channels[$0]?.inputs?.guestModifiers }
    }

    /// Keys sent down and not up yet, in the order they went down.
    public var heldKeys: [XTScancode] { self.inputsChannel.flatMap { self.channels[$0]?.inputs?.heldKeys } ?? [] }

    /// Mouse buttons sent pressed and not released yet.
    public var heldButtons: MouseButtons { self.inputsChannel.flatMap { self.channels[$0]?.inputs?.buttons } ?? [] }

    public func inputsStatistics() -> InputsStatistics? {
        self.inputsChannel.flatMap { self.channels[$0]?.inputs?.statistics }
    }
}

// MARK: - Input calls

extension Session {
    /// Sends `KEY_DOWN` for `key`. Pending motion goes out first, so the guest sees events in the order
    /// they were made.
    public func keyDown(_ key: XTScancode) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            self.flushMotion(inputs, channel, force: true, &actions)
            for code in key.pressCodes { self.sendInput(.keyDown(code: code), inputs, channel, &actions) }
            inputs.statistics.keyMessagesSent += UInt64(key.pressCodes.count)
            if !inputs.heldKeys.contains(key) { inputs.heldKeys.append(key) }
        }
    }

    /// Sends `KEY_UP` for `key` if it is held (spice-gtk does the same: a release without a press would
    /// reach the guest as a stray break code).
    public func keyUp(_ key: XTScancode) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            guard let index = inputs.heldKeys.firstIndex(of: key) else { return }
            self.flushMotion(inputs, channel, force: true, &actions)
            inputs.heldKeys.remove(at: index)
            for code in key.releaseCodes { self.sendInput(.keyUp(code: code), inputs, channel, &actions) }
            inputs.statistics.keyMessagesSent += UInt64(key.releaseCodes.count)
        }
    }

    /// Presses and releases `key` in one message when the server offers `INPUTS_CAP_KEY_SCANCODE` (so the
    /// guest cannot see an autorepeat between them), else as `KEY_DOWN` then `KEY_UP`. A key already held
    /// stays held.
    public func keyPressAndRelease(_ key: XTScancode) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            self.flushMotion(inputs, channel, force: true, &actions)
            if self.channels[channel]?.info?.channelCaps.contains(InputsCapability.keyScancode) == true {
                self.sendInput(.keyScancode(key.pressBytes + key.releaseBytes), inputs, channel, &actions)
                inputs.statistics.keyMessagesSent += 1
            } else {
                for code in key.pressCodes { self.sendInput(.keyDown(code: code), inputs, channel, &actions) }
                for code in key.releaseCodes { self.sendInput(.keyUp(code: code), inputs, channel, &actions) }
                inputs.statistics.keyMessagesSent += UInt64(key.pressCodes.count + key.releaseCodes.count)
            }
        }
    }

    /// Asks the server to make the guest's Caps, Num and Scroll Lock match `locks` (`KEY_MODIFIERS`); the
    /// server presses the lock keys that differ, and the guest's new LEDs come back as
    /// `SessionEvent.keyboardModifiers`.
    public func setKeyboardLocks(_ locks: KeyboardModifiers) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            self.flushMotion(inputs, channel, force: true, &actions)
            self.sendInput(.keyModifiers(locks), inputs, channel, &actions)
        }
    }

    /// Moves the pointer to (`x`, `y`) in the pixels of display channel `display` (client mouse mode).
    /// While `InputsLimits.motionWindow` messages wait for acknowledgement, the position is kept and a
    /// newer one replaces it; the latest goes out when the server acknowledges.
    public func mousePosition(x: UInt32, y: UInt32, display: UInt8) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            if inputs.pendingPosition != nil { inputs.statistics.motionsCoalesced += 1 }
            inputs.pendingPosition = (x, y, display)
            self.flushMotion(inputs, channel, force: false, &actions)
        }
    }

    /// Moves the pointer by (`dx`, `dy`) (server mouse mode). While `InputsLimits.motionWindow` messages
    /// wait for acknowledgement, deltas are summed (saturating) and sent as one when the server
    /// acknowledges.
    public func mouseMotion(dx: Int32, dy: Int32) -> [SessionAction] {
        guard dx != 0 || dy != 0 else { return [] }
        return self.withInputs { inputs, channel, actions in
            if let pending = inputs.pendingMotion {
                inputs.statistics.motionsCoalesced += 1
                inputs.pendingMotion = (pending.dx.addingSaturating(dx), pending.dy.addingSaturating(dy))
            } else {
                inputs.pendingMotion = (dx, dy)
            }
            self.flushMotion(inputs, channel, force: false, &actions)
        }
    }

    /// Presses or releases `button`. Pending motion goes out first; the message carries the whole new
    /// buttons state, as spice-gtk sends it. Pressing a held button, or releasing one that is not held,
    /// still sends the message (the state is unchanged).
    public func mouseButton(_ button: MouseButton, pressed: Bool) -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            self.flushMotion(inputs, channel, force: true, &actions)
            if pressed {
                inputs.buttons.insert(button.mask)
                self.sendInput(.mousePress(button, buttons: inputs.buttons), inputs, channel, &actions)
            } else {
                inputs.buttons.remove(button.mask)
                self.sendInput(.mouseRelease(button, buttons: inputs.buttons), inputs, channel, &actions)
            }
            inputs.statistics.buttonMessagesSent += 1
        }
    }

    /// Turns the wheel `clicks` notches: positive away from the user (`UP`, what Linux reports as
    /// `REL_WHEEL` +1 and Android as a positive `AXIS_VSCROLL`), negative towards the user (`DOWN`). Each
    /// notch is a press and a release, as spice-gtk sends it; at most `maxWheelClicksPerCall` a call.
    public func mouseWheel(_ clicks: Int) -> [SessionAction] {
        let button: MouseButton = clicks > 0 ? .up : .down
        let count = min(clicks.magnitude, UInt(InputsLimits.maxWheelClicksPerCall))
        var actions: [SessionAction] = []
        for _ in 0..<count {
            actions += self.mouseButton(button, pressed: true)
            actions += self.mouseButton(button, pressed: false)
        }
        return actions
    }

    /// Releases every key and mouse button still held (most recent first), so nothing stays stuck in the
    /// guest when the application loses focus or the session closes. `disconnect` calls it first.
    public func releaseAllKeys() -> [SessionAction] {
        self.withInputs { inputs, channel, actions in
            guard !inputs.heldKeys.isEmpty || !inputs.buttons.isEmpty else { return }
            self.flushMotion(inputs, channel, force: true, &actions)
            for key in inputs.heldKeys.reversed() {
                for code in key.releaseCodes { self.sendInput(.keyUp(code: code), inputs, channel, &actions) }
                inputs.statistics.keyMessagesSent += UInt64(key.releaseCodes.count)
            }
            inputs.heldKeys.removeAll()
            for button in MouseButton.allCases.reversed() where inputs.buttons.contains(button.mask) {
                inputs.buttons.remove(button.mask)
                self.sendInput(.mouseRelease(button, buttons: inputs.buttons), inputs, channel, &actions)
                inputs.statistics.buttonMessagesSent += 1
            }
        }
    }

    // MARK: - Handling inputs messages

    func handleInputs(type: UInt16, body: [UInt8], on channel: ChannelID, _ actions: inout [SessionAction]) throws(SpiceWireError) {
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
            self.flushMotion(inputs, channel, force: false, &actions)
        }
    }

    // MARK: - Helpers

    /// Runs `body` with the linked inputs channel's state; returns no actions when none is linked.
    private func withInputs(_ body: (InputsState, ChannelID, inout [SessionAction]) -> Void) -> [SessionAction] {
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

    private func sendInput(_ message: InputsClientMessage, _ inputs: InputsState, _ channel: ChannelID, _ actions: inout [SessionAction]) {
        self.send(type: message.type, body: message.encode(), on: channel, &actions)
    }

    /// Sends pending motion, then the pending position (spice-gtk's order), while the window has room;
    /// with `force`, sends them regardless. Forcing happens only right before a key, button or lock
    /// message, so that it cannot overtake motion made before it: the window then grows by at most one
    /// or two messages, which the server does not mind (it only acknowledges every fourth).
    private func flushMotion(_ inputs: InputsState, _ channel: ChannelID, force: Bool, _ actions: inout [SessionAction]) {
        if let motion = inputs.pendingMotion, force || inputs.unacknowledgedMotion < InputsLimits.motionWindow {
            inputs.pendingMotion = nil
            self.sendInput(.mouseMotion(dx: motion.dx, dy: motion.dy, buttons: inputs.buttons), inputs, channel, &actions)
            self.countMotion(inputs)
        }
        if let position = inputs.pendingPosition, force || inputs.unacknowledgedMotion < InputsLimits.motionWindow {
            inputs.pendingPosition = nil
            self.sendInput(.mousePosition(x: position.x, y: position.y, buttons: inputs.buttons, displayID: position.display),
                           inputs, channel, &actions)
            self.countMotion(inputs)
        }
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
