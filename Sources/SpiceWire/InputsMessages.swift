/// Inputs channel messages (spice.proto `channel InputsChannel`; notes §2.3, §4.2): server ids 101, 102
/// and 111, client ids 101–104 and 111–114, and the scancode packing spice-gtk uses for keys.

/// `SPICE_KEYBOARD_MODIFIER_FLAGS_*`: the guest's lock-key LEDs (from the server) or the lock state the
/// client wants the guest to have (to the server).
public struct KeyboardModifiers: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let scrollLock = KeyboardModifiers(rawValue: 1)
    public static let numLock = KeyboardModifiers(rawValue: 2)
    public static let capsLock = KeyboardModifiers(rawValue: 4)

    public var description: String {
        var names: [String] = []
        if self.contains(.capsLock) { names.append("caps") }
        if self.contains(.numLock) { names.append("num") }
        if self.contains(.scrollLock) { names.append("scroll") }
        let unknown = self.rawValue & ~0x7
        if unknown != 0 { names.append("0x\(String(unknown, radix: 16))") }
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}

/// `SPICE_MOUSE_BUTTON_*`: the button a `MOUSE_PRESS`/`MOUSE_RELEASE` names. The wheel is `up`/`down`;
/// `side` and `extra` came with spice-protocol 0.14.3.
public enum MouseButton: UInt8, CaseIterable, Sendable {
    case left = 1
    case middle = 2
    case right = 3
    case up = 4
    case down = 5
    case side = 6
    case extra = 7

    /// This button's bit in a buttons state (`SPICE_MOUSE_BUTTON_MASK_*`).
    public var mask: MouseButtons { MouseButtons(rawValue: 1 << UInt16(self.rawValue - 1)) }
}

/// `SPICE_MOUSE_BUTTON_MASK_*`: the buttons held, carried by every mouse message.
public struct MouseButtons: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let left = MouseButtons(rawValue: 0x01)
    public static let middle = MouseButtons(rawValue: 0x02)
    public static let right = MouseButtons(rawValue: 0x04)
    public static let up = MouseButtons(rawValue: 0x08)
    public static let down = MouseButtons(rawValue: 0x10)
    public static let side = MouseButtons(rawValue: 0x20)
    public static let extra = MouseButtons(rawValue: 0x40)
}

/// A key as a PC/XT scancode of set 1, numbered the way spice-gtk's API and QEMU's keycodemapdb number
/// them: `0x01`–`0x7f` for one-byte codes, `0x100 | code` for `0xE0`-prefixed codes and `0x200 | code`
/// for `0xE1`-prefixed ones (only the first half of Pause's hardware sequence). The break (release) bit
/// `0x80` is never part of the value: it is added when a release is packed.
public struct XTScancode: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16

    /// Nil unless the low byte is `0x01`–`0x7f` and the prefix part is none, `0xE0` or `0xE1`.
    public init?(rawValue: UInt16) {
        let code = rawValue & 0xff
        guard code >= 0x01, code <= 0x7f, rawValue >> 8 <= 2 else { return nil }
        self.rawValue = rawValue
    }

    public static func < (a: XTScancode, b: XTScancode) -> Bool { a.rawValue < b.rawValue }

    /// The prefix byte sent before the code, if any: `0xE0` or `0xE1`.
    public var prefix: UInt8? {
        switch self.rawValue >> 8 {
        case 1: 0xE0
        case 2: 0xE1
        default: nil
        }
    }

    /// The code byte without a prefix or the break bit.
    public var code: UInt8 { UInt8(self.rawValue & 0x7f) }

    /// The `u32 code` of `KEY_DOWN` (`release` false) or `KEY_UP` (`release` true), packed as spice-gtk's
    /// `spice_make_scancode` packs it: the bytes in wire order, low byte first, so `0xE0` is the low byte
    /// of an extended key (`RCtrl` up is `0x9DE0`). spice-server pushes the bytes to the guest low byte
    /// first and stops at the first zero byte.
    public func packed(release: Bool) -> UInt32 {
        var value = UInt32(self.rawValue) & 0x37f
        if release { value |= 0x80 }
        guard value >= 0x100 else { return value }
        let prefixed = UInt16(0xE000 | (value - 0x100))
        return UInt32(prefixed.byteSwapped)
    }

    /// The bytes the guest's keyboard controller sees for a press (`release` false) or a release: the
    /// prefix, if any, then the code, with the break bit on a release. This is the body of
    /// `KEY_SCANCODE`.
    public func bytes(release: Bool) -> [UInt8] {
        let code = self.code | (release ? 0x80 : 0)
        if let prefix = self.prefix { return [prefix, code] }
        return [code]
    }

    public var description: String { "0x" + String(self.rawValue, radix: 16) }

    /// Pause, numbered as spice-gtk numbers it: `0x21d`, the `E1 1D` its sequence starts with. A PC
    /// keyboard sends `E1 1D 45 E1 9D C5` on press and nothing on release; like spice-gtk
    /// (`send_pause`), this client sends `E1 1D` and `45` as the press and `E1 9D` and `C5` as the
    /// release, so the guest sees the whole hardware sequence. QEMU 7.2 turns it into its Pause key
    /// (verified: a Linux guest sees `KEY_PAUSE` down, then up).
    public static let pause = XTScancode(rawValue: 0x21d)!

    /// Print Screen, `E0 37`. A PC keyboard sends it as `E0 2A E0 37` on press and `E0 B7 E0 AA` on
    /// release (the `E0 2A` is a "fake shift"), and so does this client. QEMU 7.2 turns it into its Print
    /// key (verified: a Linux guest sees `KEY_SYSRQ` down, then up). With Alt held a PC keyboard sends
    /// `54` (SysRq) instead, which keycodemapdb lists for `KEY_SYSRQ`; guests treat both the same.
    public static let printScreen = XTScancode(rawValue: 0x137)!

    /// The keys whose press and release are sequences of several codes.
    private var sequence: [XTScancode]? {
        switch self {
        case .pause: [.pause, XTScancode(rawValue: 0x45)!]
        case .printScreen: [XTScancode(rawValue: 0x12a)!, .printScreen]
        default: nil
        }
    }

    /// The `KEY_DOWN` codes that press this key, in order: one, except for `pause` and `printScreen`.
    public var pressCodes: [UInt32] {
        guard let sequence = self.sequence else { return [self.packed(release: false)] }
        return sequence.map { $0.packed(release: false) }
    }

    /// The `KEY_UP` codes that release this key, in order: one, except for `pause` (`E1 9D`, `C5`) and
    /// `printScreen` (`E0 B7`, `E0 AA`: the reverse of its press, as the hardware sends it).
    public var releaseCodes: [UInt32] {
        switch self {
        case .pause: return [XTScancode.pause.packed(release: true), XTScancode(rawValue: 0x45)!.packed(release: true)]
        case .printScreen: return [XTScancode.printScreen.packed(release: true), XTScancode(rawValue: 0x12a)!.packed(release: true)]
        default: return [self.packed(release: true)]
        }
    }

    /// The scancode bytes of a press, for `KEY_SCANCODE`: the bytes of `pressCodes`, in order.
    public var pressBytes: [UInt8] { Self.bytes(of: self.pressCodes) }

    /// The scancode bytes of a release, for `KEY_SCANCODE`: the bytes of `releaseCodes`, in order.
    public var releaseBytes: [UInt8] { Self.bytes(of: self.releaseCodes) }

    /// The bytes packed codes put on the wire, low byte first, up to the first zero byte of each (how
    /// spice-server unpacks `KEY_DOWN`/`KEY_UP`).
    private static func bytes(of codes: [UInt32]) -> [UInt8] {
        var bytes: [UInt8] = []
        for code in codes {
            var rest = code
            while rest & 0xff != 0 {
                bytes.append(UInt8(rest & 0xff))
                rest >>= 8
            }
        }
        return bytes
    }
}

/// Inputs channel messages from the server.
public enum InputsServerMessage: Equatable, Sendable {
    /// `INIT {u16 keyboard_modifiers}`: the guest's lock LEDs when the channel starts.
    case `init`(KeyboardModifiers)
    /// `KEY_MODIFIERS {u16 modifiers}`: the guest's lock LEDs changed.
    case keyModifiers(KeyboardModifiers)
    /// `MOUSE_MOTION_ACK`: the server handled another `motionAckBunch` motion or position messages.
    case mouseMotionAck

    public enum ID {
        public static let `init`: UInt16 = 101
        public static let keyModifiers: UInt16 = 102
        public static let mouseMotionAck: UInt16 = 111
    }

    /// `SPICE_INPUT_MOTION_ACK_BUNCH`: the server acknowledges motion in bunches of this many messages.
    public static let motionAckBunch = 4

    public var type: UInt16 {
        switch self {
        case .`init`: ID.`init`
        case .keyModifiers: ID.keyModifiers
        case .mouseMotionAck: ID.mouseMotionAck
        }
    }

    /// Parses an inputs server message; `nil` when `type` is not an inputs server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> InputsServerMessage? {
        var r = WireReader(body, channel: "inputs", message: "INPUTS")
        let message: InputsServerMessage
        switch type {
        case ID.`init`:
            r.message = "INIT"
            message = .`init`(KeyboardModifiers(rawValue: try r.readUInt16LE("keyboard_modifiers")))
        case ID.keyModifiers:
            r.message = "KEY_MODIFIERS"
            message = .keyModifiers(KeyboardModifiers(rawValue: try r.readUInt16LE("modifiers")))
        case ID.mouseMotionAck:
            r.message = "MOUSE_MOTION_ACK"
            message = .mouseMotionAck
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
    public func encode() -> [UInt8] {
        var w = WireWriter(capacity: 2)
        switch self {
        case .`init`(let modifiers), .keyModifiers(let modifiers):
            w.writeUInt16LE(modifiers.rawValue)
        case .mouseMotionAck:
            break
        }
        return w.bytes
    }
}

/// Inputs channel messages from the client.
public enum InputsClientMessage: Equatable, Sendable {
    /// `KEY_DOWN {u32 code}`: a key went down; `code` as `XTScancode.packed(release: false)` makes it.
    case keyDown(code: UInt32)
    /// `KEY_UP {u32 code}`: a key went up; `code` as `XTScancode.packed(release: true)` makes it.
    case keyUp(code: UInt32)
    /// `KEY_MODIFIERS {u16 modifiers}`: the lock state the guest should have; the server presses the
    /// lock keys whose state differs.
    case keyModifiers(KeyboardModifiers)
    /// `KEY_SCANCODE {u8 data[]}`: raw scancode bytes pushed to the guest as they are (needs the
    /// server's `INPUTS_CAP_KEY_SCANCODE`).
    case keyScancode([UInt8])
    /// `MOUSE_MOTION {i32 dx, dy; u16 buttons_state}`: relative motion (server mouse mode).
    case mouseMotion(dx: Int32, dy: Int32, buttons: MouseButtons)
    /// `MOUSE_POSITION {u32 x, y; u16 buttons_state; u8 display_id}`: an absolute position in the
    /// display's pixels (client mouse mode).
    case mousePosition(x: UInt32, y: UInt32, buttons: MouseButtons, displayID: UInt8)
    /// `MOUSE_PRESS {u8 button; u16 buttons_state}`: `buttons` already includes `button`.
    case mousePress(MouseButton, buttons: MouseButtons)
    /// `MOUSE_RELEASE {u8 button; u16 buttons_state}`: `buttons` no longer includes `button`.
    case mouseRelease(MouseButton, buttons: MouseButtons)

    public enum ID {
        public static let keyDown: UInt16 = 101
        public static let keyUp: UInt16 = 102
        public static let keyModifiers: UInt16 = 103
        public static let keyScancode: UInt16 = 104
        public static let mouseMotion: UInt16 = 111
        public static let mousePosition: UInt16 = 112
        public static let mousePress: UInt16 = 113
        public static let mouseRelease: UInt16 = 114
    }

    public var type: UInt16 {
        switch self {
        case .keyDown: ID.keyDown
        case .keyUp: ID.keyUp
        case .keyModifiers: ID.keyModifiers
        case .keyScancode: ID.keyScancode
        case .mouseMotion: ID.mouseMotion
        case .mousePosition: ID.mousePosition
        case .mousePress: ID.mousePress
        case .mouseRelease: ID.mouseRelease
        }
    }

    /// Parses an inputs client message (what a server reads); `nil` when `type` is not an inputs client id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> InputsClientMessage? {
        var r = WireReader(body, channel: "inputs", message: "INPUTS")
        let message: InputsClientMessage
        switch type {
        case ID.keyDown:
            r.message = "KEY_DOWN"
            message = .keyDown(code: try r.readUInt32LE("code"))
        case ID.keyUp:
            r.message = "KEY_UP"
            message = .keyUp(code: try r.readUInt32LE("code"))
        case ID.keyModifiers:
            r.message = "KEY_MODIFIERS"
            message = .keyModifiers(KeyboardModifiers(rawValue: try r.readUInt16LE("modifiers")))
        case ID.keyScancode:
            r.message = "KEY_SCANCODE"
            message = .keyScancode(try r.readRest(limit: Limits.maxKeyScancodeBytes, "data"))
        case ID.mouseMotion:
            r.message = "MOUSE_MOTION"
            let dx = try r.readInt32LE("dx")
            let dy = try r.readInt32LE("dy")
            message = .mouseMotion(dx: dx, dy: dy, buttons: MouseButtons(rawValue: try r.readUInt16LE("buttons_state")))
        case ID.mousePosition:
            r.message = "MOUSE_POSITION"
            let x = try r.readUInt32LE("x")
            let y = try r.readUInt32LE("y")
            let buttons = MouseButtons(rawValue: try r.readUInt16LE("buttons_state"))
            message = .mousePosition(x: x, y: y, buttons: buttons, displayID: try r.readUInt8("display_id"))
        case ID.mousePress, ID.mouseRelease:
            r.message = type == ID.mousePress ? "MOUSE_PRESS" : "MOUSE_RELEASE"
            let raw = try r.readUInt8("button")
            guard let button = MouseButton(rawValue: raw) else {
                throw r.error(.badValue, "button", "button \(raw) is not one of spice-protocol's 1–7")
            }
            let buttons = MouseButtons(rawValue: try r.readUInt16LE("buttons_state"))
            message = type == ID.mousePress ? .mousePress(button, buttons: buttons) : .mouseRelease(button, buttons: buttons)
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
    public func encode() -> [UInt8] {
        var w = WireWriter(capacity: 16)
        switch self {
        case .keyDown(let code), .keyUp(let code):
            w.writeUInt32LE(code)
        case .keyModifiers(let modifiers):
            w.writeUInt16LE(modifiers.rawValue)
        case .keyScancode(let bytes):
            w.writeBytes(bytes)
        case .mouseMotion(let dx, let dy, let buttons):
            w.writeInt32LE(dx)
            w.writeInt32LE(dy)
            w.writeUInt16LE(buttons.rawValue)
        case .mousePosition(let x, let y, let buttons, let displayID):
            w.writeUInt32LE(x)
            w.writeUInt32LE(y)
            w.writeUInt16LE(buttons.rawValue)
            w.writeUInt8(displayID)
        case .mousePress(let button, let buttons), .mouseRelease(let button, let buttons):
            w.writeUInt8(button.rawValue)
            w.writeUInt16LE(buttons.rawValue)
        }
        return w.bytes
    }
}
