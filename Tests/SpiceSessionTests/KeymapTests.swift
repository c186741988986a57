/// The key mapping tables (notes §4.2, android-jni-notes §4.1): Linux evdev → set-1 scancode against the
/// values keycodemapdb and the notes give, Android KeyEvent → evdev against AOSP's Generic.kl and the
/// aSPICE layout examples, and the US layout used to type text.
import SpiceSession
import SpiceWire
import XCTest

final class KeymapTests: XCTestCase {
    // MARK: - evdev → set 1

    func testOrdinaryKeysHaveTheirEvdevCodeAsScancode() {
        // Linux numbered KEY_ESC … KEY_KPDOT and KEY_F11/KEY_F12 after the PC/XT scancodes (notes §7).
        for code in Array(1...83) + [87, 88] {
            XCTAssertEqual(Keymap.scancode(evdev: code)?.rawValue, UInt16(code), "KEY \(code)")
        }
    }

    func testExtendedKeysAreE0Prefixed() {
        let expected: [(Int, UInt16, String)] = [
            (96, 0x11C, "KEY_KPENTER"), (97, 0x11D, "KEY_RIGHTCTRL"), (98, 0x135, "KEY_KPSLASH"), (100, 0x138, "KEY_RIGHTALT"),
            (102, 0x147, "KEY_HOME"), (103, 0x148, "KEY_UP"), (104, 0x149, "KEY_PAGEUP"), (105, 0x14B, "KEY_LEFT"),
            (106, 0x14D, "KEY_RIGHT"), (107, 0x14F, "KEY_END"), (108, 0x150, "KEY_DOWN"), (109, 0x151, "KEY_PAGEDOWN"),
            (110, 0x152, "KEY_INSERT"), (111, 0x153, "KEY_DELETE"), (125, 0x15B, "KEY_LEFTMETA"), (126, 0x15C, "KEY_RIGHTMETA"),
            (127, 0x15D, "KEY_COMPOSE"), (113, 0x120, "KEY_MUTE"), (116, 0x15E, "KEY_POWER"),
        ]
        for (code, scancode, name) in expected {
            XCTAssertEqual(Keymap.scancode(evdev: code)?.rawValue, scancode, name)
        }
    }

    func testNonUSAndJapaneseAndFunctionKeysFollowKeycodemapdb() {
        let expected: [(Int, UInt16, String)] = [
            (86, 0x56, "KEY_102ND"), (85, 0x76, "KEY_ZENKAKUHANKAKU"), (89, 0x73, "KEY_RO"), (92, 0x79, "KEY_HENKAN"),
            (93, 0x70, "KEY_KATAKANAHIRAGANA"), (94, 0x7B, "KEY_MUHENKAN"), (124, 0x7D, "KEY_YEN"), (117, 0x59, "KEY_KPEQUAL"),
            (121, 0x7E, "KEY_KPCOMMA"), (183, 0x5D, "KEY_F13"), (194, 0x6F, "KEY_F24"), (140, 0x121, "KEY_CALC"),
        ]
        for (code, scancode, name) in expected {
            XCTAssertEqual(Keymap.scancode(evdev: code)?.rawValue, scancode, name)
        }
    }

    func testPrintScreenAndPauseAreTheirSpecialSequences() {
        XCTAssertEqual(Keymap.scancode(evdev: 99), .printScreen, "KEY_SYSRQ")
        XCTAssertEqual(Keymap.scancode(evdev: 119), .pause, "KEY_PAUSE")
    }

    func testKeysWithoutASetOneCodeHaveNone() {
        for code in [0, 84, 122, 123, 240, 248, 0x110, -1, 100_000] {
            XCTAssertNil(Keymap.scancode(evdev: code), "\(code)")
        }
    }

    func testNoTwoEvdevKeysShareAScancode() {
        var seen: [UInt16: Int] = [:]
        for entry in Keymap.evdevToScancode {
            XCTAssertNotNil(XTScancode(rawValue: entry.scancode), "KEY \(entry.evdev): 0x\(String(entry.scancode, radix: 16)) is not set 1")
            if let other = seen[entry.scancode] { XCTFail("KEY \(entry.evdev) and KEY \(other) share 0x\(String(entry.scancode, radix: 16))") }
            seen[entry.scancode] = entry.evdev
        }
        XCTAssertEqual(Set(Keymap.evdevToScancode.map(\.evdev)).count, Keymap.evdevToScancode.count, "each evdev code once")
        XCTAssertGreaterThanOrEqual(Keymap.evdevToScancode.count, 225)
    }

    // MARK: - Android → evdev

    func testAndroidKeycodesFollowGenericKl() {
        // `key <evdev> <KEYCODE>` lines of AOSP frameworks/base/data/keyboards/Generic.kl, with the KeyEvent values.
        let expected: [(android: Int, evdev: Int, name: String)] = [
            (111, 1, "ESCAPE"), (7, 11, "0"), (8, 2, "1"), (67, 14, "DEL"), (61, 15, "TAB"), (29, 30, "A"), (54, 44, "Z"),
            (66, 28, "ENTER"), (113, 29, "CTRL_LEFT"), (114, 97, "CTRL_RIGHT"), (59, 42, "SHIFT_LEFT"), (60, 54, "SHIFT_RIGHT"),
            (57, 56, "ALT_LEFT"), (58, 100, "ALT_RIGHT"), (117, 125, "META_LEFT"), (118, 126, "META_RIGHT"), (62, 57, "SPACE"),
            (115, 58, "CAPS_LOCK"), (143, 69, "NUM_LOCK"), (116, 70, "SCROLL_LOCK"), (131, 59, "F1"), (142, 88, "F12"),
            (19, 103, "DPAD_UP"), (20, 108, "DPAD_DOWN"), (21, 105, "DPAD_LEFT"), (22, 106, "DPAD_RIGHT"), (122, 102, "MOVE_HOME"),
            (123, 107, "MOVE_END"), (92, 104, "PAGE_UP"), (93, 109, "PAGE_DOWN"), (124, 110, "INSERT"), (112, 111, "FORWARD_DEL"),
            (120, 99, "SYSRQ"), (121, 119, "BREAK"), (82, 127, "MENU"), (144, 82, "NUMPAD_0"), (160, 96, "NUMPAD_ENTER"),
            (154, 98, "NUMPAD_DIVIDE"), (155, 55, "NUMPAD_MULTIPLY"), (158, 83, "NUMPAD_DOT"), (68, 41, "GRAVE"), (73, 43, "BACKSLASH"),
            (211, 85, "ZENKAKU_HANKAKU"), (216, 124, "YEN"), (217, 89, "RO"), (326, 183, "F13"), (337, 194, "F24"),
        ]
        for entry in expected {
            XCTAssertEqual(Keymap.evdev(androidKeyCode: entry.android), entry.evdev, entry.name)
        }
    }

    func testAndroidKeycodesReachTheScancodesOfASPICELayouts() {
        // aSPICE's `English (US)` layout lines `<keycode> <scancode>` (android-jni-notes §4.1).
        XCTAssertEqual(Keymap.scancode(androidKeyCode: 19)?.rawValue, 72 | 0x100, "DPAD_UP → E0 48")
        XCTAssertEqual(Keymap.scancode(androidKeyCode: 122)?.rawValue, 327, "MOVE_HOME → 0x147")
        XCTAssertEqual(Keymap.scancode(androidKeyCode: 124)?.rawValue, 338, "INSERT → 0x152")
        XCTAssertEqual(Keymap.scancode(androidKeyCode: 29)?.rawValue, 30, "A → 0x1E")
    }

    func testEveryAndroidLetterAndDigitKeyMaps() {
        for android in 29...54 { XCTAssertNotNil(Keymap.scancode(androidKeyCode: android), "KEYCODE \(android)") }
        for android in 7...16 { XCTAssertNotNil(Keymap.scancode(androidKeyCode: android), "KEYCODE \(android)") }
        for android in 131...142 { XCTAssertNotNil(Keymap.scancode(androidKeyCode: android), "F\(android - 130)") }
        for android in 144...163 { XCTAssertNotNil(Keymap.scancode(androidKeyCode: android), "numpad \(android)") }
    }

    func testEveryMappedAndroidKeyHasAScancodeExceptKanaAndEisu() {
        for entry in Keymap.androidToEvdev {
            if entry.android == 218 || entry.android == 212 {
                XCTAssertNil(Keymap.scancode(androidKeyCode: entry.android), "KANA/EISU reach Hangeul/Hanja, which have no set-1 code here")
            } else {
                XCTAssertNotNil(Keymap.scancode(androidKeyCode: entry.android), "KEYCODE \(entry.android) → KEY \(entry.evdev)")
            }
        }
    }

    func testAndroidTableIsOneToOne() {
        XCTAssertEqual(Set(Keymap.androidToEvdev.map(\.android)).count, Keymap.androidToEvdev.count, "each keycode once")
        XCTAssertEqual(Set(Keymap.androidToEvdev.map(\.evdev)).count, Keymap.androidToEvdev.count, "no two keycodes share a key")
    }

    func testPhoneAndGamePadKeysAreNotPCKeys() {
        for android in [0, 1, 5, 6, 17, 18, 23, 27, 77, 81, 96, 110, 188, -1, 10_000] {
            XCTAssertNil(Keymap.evdev(androidKeyCode: android), "KEYCODE \(android)")
        }
    }

    // MARK: - US layout

    func testUSLayoutTypesEveryPrintableASCIICharacter() {
        for ascii in UInt8(0x20)...0x7E {
            let character = Character(Unicode.Scalar(ascii))
            XCTAssertNotNil(Keymap.usLayout(character), "\(character)")
        }
        XCTAssertTrue(Keymap.usLayout("a")! == (30, false))
        XCTAssertTrue(Keymap.usLayout("A")! == (30, true))
        XCTAssertTrue(Keymap.usLayout("0")! == (11, false))
        XCTAssertTrue(Keymap.usLayout(")")! == (11, true))
        XCTAssertTrue(Keymap.usLayout("\n")! == (28, false))
        XCTAssertTrue(Keymap.usLayout("?")! == (53, true))
        XCTAssertTrue(Keymap.usLayout("~")! == (41, true))
        XCTAssertNil(Keymap.usLayout("é"))
        XCTAssertNil(Keymap.usLayout("€"))
    }

    func testUSLayoutShiftedCharactersShareTheKeyOfTheirBaseCharacter() {
        let pairs: [(Character, Character)] = [("1", "!"), ("2", "@"), ("-", "_"), ("=", "+"), ("[", "{"), ("]", "}"), (";", ":"),
                                               ("'", "\""), ("`", "~"), ("\\", "|"), (",", "<"), (".", ">"), ("/", "?"), ("q", "Q")]
        for (base, shifted) in pairs {
            XCTAssertEqual(Keymap.usLayout(base)?.evdev, Keymap.usLayout(shifted)?.evdev, "\(base) \(shifted)")
            XCTAssertEqual(Keymap.usLayout(base)?.shift, false)
            XCTAssertEqual(Keymap.usLayout(shifted)?.shift, true)
        }
    }
}
