import Foundation
import SpiceClient
import SpiceSession
import SpiceWire

/// Keys by name and text as keystrokes, for `spice-headless --key`/`--type` and the real-server tests.
public enum KeyNames {
    /// Key names (lowercase) → Linux evdev codes. Letters, digits and F1–F24 are accepted too.
    public static let evdevByName: [String: Int] = [
        "esc": 1, "escape": 1, "minus": 12, "equal": 13, "backspace": 14, "tab": 15, "enter": 28, "return": 28,
        "ctrl": 29, "control": 29, "lctrl": 29, "shift": 42, "lshift": 42, "rshift": 54, "alt": 56, "lalt": 56,
        "space": 57, "capslock": 58, "caps": 58, "numlock": 69, "scrolllock": 70, "rctrl": 97, "ralt": 100, "altgr": 100,
        "home": 102, "up": 103, "pageup": 104, "pgup": 104, "left": 105, "right": 106, "end": 107, "down": 108,
        "pagedown": 109, "pgdn": 109, "insert": 110, "ins": 110, "delete": 111, "del": 111, "pause": 119, "break": 119,
        "print": 99, "printscreen": 99, "prtsc": 99, "sysrq": 99, "meta": 125, "super": 125, "win": 125, "lmeta": 125,
        "rmeta": 126, "menu": 127, "compose": 127, "kpenter": 96, "kpslash": 98, "kpasterisk": 55, "kpminus": 74,
        "kpplus": 78, "kpdot": 83,
    ]

    /// The evdev code of `name`: a name above, a letter, a digit, or F1–F24.
    public static func evdev(_ name: String) -> Int? {
        let name = name.lowercased()
        if let code = self.evdevByName[name] { return code }
        if name.count == 1, let character = name.first, let key = Keymap.usLayout(character), !key.shift { return key.evdev }
        if name.hasPrefix("f"), let number = Int(name.dropFirst()) {
            switch number {
            case 1...10: return 58 + number
            case 11, 12: return 76 + number
            case 13...24: return 170 + number
            default: return nil
            }
        }
        return nil
    }

    /// `combo` such as `ctrl+alt+del`, `enter` or `shift+f10`: every key down in order, then every key up
    /// in reverse order.
    public static func combo(_ combo: String) throws -> [InputEvent] {
        let keys = try combo.split(separator: "+", omittingEmptySubsequences: false).map { part -> XTScancode in
            let name = String(part).trimmingCharacters(in: .whitespaces)
            guard let code = self.evdev(name), let key = Keymap.scancode(evdev: code) else {
                throw ToolError("unknown key \"\(name)\" in \"\(combo)\" (try ctrl, alt, shift, del, enter, f1, a, …)")
            }
            return key
        }
        return keys.map { InputEvent.keyDown($0) } + keys.reversed().map { InputEvent.keyUp($0) }
    }

    /// `text` typed on a US layout: each character a press and release of its key, inside Left Shift
    /// for shifted characters. The guest's own layout decides what the keys produce.
    public static func text(_ text: String) throws -> [InputEvent] {
        let shift = Keymap.scancode(evdev: 42)!
        var events: [InputEvent] = []
        for character in text {
            guard let (code, shifted) = Keymap.usLayout(character), let key = Keymap.scancode(evdev: code) else {
                throw ToolError("cannot type \"\(character)\" on a US keyboard layout")
            }
            if shifted { events.append(.keyDown(shift)) }
            events += [.keyDown(key), .keyUp(key)]
            if shifted { events.append(.keyUp(shift)) }
        }
        return events
    }

    /// A mouse button by name or number (`left`, `middle`, `right`, `side`, `extra`, or 1–7).
    public static func button(_ name: String) -> MouseButton? {
        switch name.lowercased() {
        case "left", "1": .left
        case "middle", "2": .middle
        case "right", "3": .right
        case "up", "4": .up
        case "down", "5": .down
        case "side", "6": .side
        case "extra", "7": .extra
        default: nil
        }
    }
}
