import SpiceWire

/// Key mapping tables, as data (notes §4.2; android-jni-notes §4.1). SPICE carries physical key
/// positions as PC/XT set-1 scancodes, so a key travels Android `KeyEvent` keycode → Linux evdev code
/// → `XTScancode`; characters typed as text go through `usLayout(_:)` instead.
public enum Keymap {
    /// Linux evdev key code (`KEY_*` of `input-event-codes.h`) → set-1 scancode, from the "AT set1
    /// keycode" column of QEMU's keycodemapdb (`data/keymaps.csv` @22b8996, BSD-licensed data), with
    /// `0xE0`-prefixed codes written `0x100 | code`. Every evdev code keycodemapdb gives a set-1 code is
    /// here, with two changes and two omissions:
    /// - Print Screen (`KEY_SYSRQ`) is `XTScancode.printScreen` and Pause (`KEY_PAUSE`) is
    ///   `XTScancode.pause`: keycodemapdb lists the codes these keys send with Alt (`54`) and Ctrl
    ///   (`E0 46`) held; without modifiers a PC keyboard sends the longer sequences those two send.
    /// - Hangeul and Hanja (`KEY_HANGEUL` 122, `KEY_HANJA` 123; `F2` and `F1` there) are left out: they
    ///   are make-only keys whose single byte has the break bit set, which `KEY_DOWN`/`KEY_UP` cannot
    ///   carry, and QEMU 7.2 passes none of `F2`, `72`, `E0 72` on to a Linux guest (tried).
    public static let evdevToScancode: [(evdev: Int, scancode: UInt16)] = [
        (1, 0x001),  // KEY_ESC
        (2, 0x002),  // KEY_1
        (3, 0x003),  // KEY_2
        (4, 0x004),  // KEY_3
        (5, 0x005),  // KEY_4
        (6, 0x006),  // KEY_5
        (7, 0x007),  // KEY_6
        (8, 0x008),  // KEY_7
        (9, 0x009),  // KEY_8
        (10, 0x00a),  // KEY_9
        (11, 0x00b),  // KEY_0
        (12, 0x00c),  // KEY_MINUS
        (13, 0x00d),  // KEY_EQUAL
        (14, 0x00e),  // KEY_BACKSPACE
        (15, 0x00f),  // KEY_TAB
        (16, 0x010),  // KEY_Q
        (17, 0x011),  // KEY_W
        (18, 0x012),  // KEY_E
        (19, 0x013),  // KEY_R
        (20, 0x014),  // KEY_T
        (21, 0x015),  // KEY_Y
        (22, 0x016),  // KEY_U
        (23, 0x017),  // KEY_I
        (24, 0x018),  // KEY_O
        (25, 0x019),  // KEY_P
        (26, 0x01a),  // KEY_LEFTBRACE
        (27, 0x01b),  // KEY_RIGHTBRACE
        (28, 0x01c),  // KEY_ENTER
        (29, 0x01d),  // KEY_LEFTCTRL
        (30, 0x01e),  // KEY_A
        (31, 0x01f),  // KEY_S
        (32, 0x020),  // KEY_D
        (33, 0x021),  // KEY_F
        (34, 0x022),  // KEY_G
        (35, 0x023),  // KEY_H
        (36, 0x024),  // KEY_J
        (37, 0x025),  // KEY_K
        (38, 0x026),  // KEY_L
        (39, 0x027),  // KEY_SEMICOLON
        (40, 0x028),  // KEY_APOSTROPHE
        (41, 0x029),  // KEY_GRAVE
        (42, 0x02a),  // KEY_SHIFT
        (43, 0x02b),  // KEY_BACKSLASH
        (44, 0x02c),  // KEY_Z
        (45, 0x02d),  // KEY_X
        (46, 0x02e),  // KEY_C
        (47, 0x02f),  // KEY_V
        (48, 0x030),  // KEY_B
        (49, 0x031),  // KEY_N
        (50, 0x032),  // KEY_M
        (51, 0x033),  // KEY_COMMA
        (52, 0x034),  // KEY_DOT
        (53, 0x035),  // KEY_SLASH
        (54, 0x036),  // KEY_RIGHTSHIFT
        (55, 0x037),  // KEY_KPASTERISK
        (56, 0x038),  // KEY_LEFTALT
        (57, 0x039),  // KEY_SPACE
        (58, 0x03a),  // KEY_CAPSLOCK
        (59, 0x03b),  // KEY_F1
        (60, 0x03c),  // KEY_F2
        (61, 0x03d),  // KEY_F3
        (62, 0x03e),  // KEY_F4
        (63, 0x03f),  // KEY_F5
        (64, 0x040),  // KEY_F6
        (65, 0x041),  // KEY_F7
        (66, 0x042),  // KEY_F8
        (67, 0x043),  // KEY_F9
        (68, 0x044),  // KEY_F10
        (69, 0x045),  // KEY_NUMLOCK
        (70, 0x046),  // KEY_SCROLLLOCK
        (71, 0x047),  // KEY_KP7
        (72, 0x048),  // KEY_KP8
        (73, 0x049),  // KEY_KP9
        (74, 0x04a),  // KEY_KPMINUS
        (75, 0x04b),  // KEY_KP4
        (76, 0x04c),  // KEY_KP5
        (77, 0x04d),  // KEY_KP6
        (78, 0x04e),  // KEY_KPPLUS
        (79, 0x04f),  // KEY_KP1
        (80, 0x050),  // KEY_KP2
        (81, 0x051),  // KEY_KP3
        (82, 0x052),  // KEY_KP0
        (83, 0x053),  // KEY_KPDOT
        (85, 0x076),  // KEY_ZENKAKUHANKAKU
        (86, 0x056),  // KEY_102ND
        (87, 0x057),  // KEY_F11
        (88, 0x058),  // KEY_F12
        (89, 0x073),  // KEY_RO
        (90, 0x078),  // KEY_KATAKANA
        (91, 0x077),  // KEY_HIRAGANA
        (92, 0x079),  // KEY_HENKAN
        (93, 0x070),  // KEY_KATAKANAHIRAGANA
        (94, 0x07b),  // KEY_MUHENKAN
        (95, 0x05c),  // KEY_KPJPCOMMA
        (96, 0x11c),  // KEY_KPENTER
        (97, 0x11d),  // KEY_RIGHTCTRL
        (98, 0x135),  // KEY_KPSLASH
        (99, 0x137),  // KEY_SYSRQ: XTScancode.printScreen (keycodemapdb 0x54, the Alt+SysRq code)
        (100, 0x138),  // KEY_RIGHTALT
        (101, 0x05b),  // KEY_LINEFEED
        (102, 0x147),  // KEY_HOME
        (103, 0x148),  // KEY_UP
        (104, 0x149),  // KEY_PAGEUP
        (105, 0x14b),  // KEY_LEFT
        (106, 0x14d),  // KEY_RIGHT
        (107, 0x14f),  // KEY_END
        (108, 0x150),  // KEY_DOWN
        (109, 0x151),  // KEY_PAGEDOWN
        (110, 0x152),  // KEY_INSERT
        (111, 0x153),  // KEY_DELETE
        (112, 0x16f),  // KEY_MACRO
        (113, 0x120),  // KEY_MUTE
        (114, 0x12e),  // KEY_VOLUMEDOWN
        (115, 0x130),  // KEY_VOLUMEUP
        (116, 0x15e),  // KEY_POWER
        (117, 0x059),  // KEY_KPEQUAL
        (118, 0x14e),  // KEY_KPPLUSMINUS
        (119, 0x21d),  // KEY_PAUSE: XTScancode.pause (keycodemapdb 0xe046, the Ctrl+Break code)
        (120, 0x10b),  // KEY_SCALE
        (121, 0x07e),  // KEY_KPCOMMA
        (124, 0x07d),  // KEY_YEN
        (125, 0x15b),  // KEY_LEFTMETA
        (126, 0x15c),  // KEY_RIGHTMETA
        (127, 0x15d),  // KEY_COMPOSE
        (128, 0x168),  // KEY_STOP
        (129, 0x105),  // KEY_AGAIN
        (130, 0x106),  // KEY_PROPS
        (131, 0x107),  // KEY_UNDO
        (132, 0x10c),  // KEY_FRONT
        (133, 0x178),  // KEY_COPY
        (134, 0x064),  // KEY_OPEN
        (135, 0x065),  // KEY_PASTE
        (136, 0x141),  // KEY_FIND
        (137, 0x13c),  // KEY_CUT
        (138, 0x175),  // KEY_HELP
        (139, 0x11e),  // KEY_MENU
        (140, 0x121),  // KEY_CALC
        (141, 0x066),  // KEY_SETUP
        (142, 0x15f),  // KEY_SLEEP
        (143, 0x163),  // KEY_WAKEUP
        (144, 0x067),  // KEY_FILE
        (145, 0x068),  // KEY_SENDFILE
        (146, 0x069),  // KEY_DELETEFILE
        (147, 0x113),  // KEY_XFER
        (148, 0x11f),  // KEY_PROG1
        (149, 0x117),  // KEY_PROG2
        (150, 0x102),  // KEY_WWW
        (151, 0x06a),  // KEY_MSDOS
        (152, 0x112),  // KEY_SCREENLOCK
        (153, 0x06b),  // KEY_DIRECTION
        (154, 0x126),  // KEY_CYCLEWINDOWS
        (155, 0x16c),  // KEY_MAIL
        (156, 0x166),  // KEY_BOOKMARKS
        (157, 0x16b),  // KEY_COMPUTER
        (158, 0x16a),  // KEY_BACK
        (159, 0x169),  // KEY_FORWARD
        (160, 0x123),  // KEY_CLOSECD
        (161, 0x06c),  // KEY_EJECTCD
        (162, 0x17d),  // KEY_EJECTCLOSECD
        (163, 0x119),  // KEY_NEXTSONG
        (164, 0x122),  // KEY_PLAYPAUSE
        (165, 0x110),  // KEY_PREVIOUSSONG
        (166, 0x124),  // KEY_STOPCD
        (167, 0x131),  // KEY_RECORD
        (168, 0x118),  // KEY_REWIND
        (169, 0x063),  // KEY_PHONE
        (171, 0x101),  // KEY_CONFIG
        (172, 0x132),  // KEY_HOMEPAGE
        (173, 0x167),  // KEY_REFRESH
        (176, 0x108),  // KEY_EDIT
        (177, 0x075),  // KEY_SCROLLUP
        (178, 0x10f),  // KEY_SCROLLDOWN
        (179, 0x176),  // KEY_KPLEFTPAREN
        (180, 0x17b),  // KEY_KPRIGHTPAREN
        (181, 0x109),  // KEY_NEW
        (182, 0x10a),  // KEY_REDO
        (183, 0x05d),  // KEY_F13
        (184, 0x05e),  // KEY_F14
        (185, 0x05f),  // KEY_F15
        (186, 0x055),  // KEY_F16
        (187, 0x103),  // KEY_F17
        (188, 0x177),  // KEY_F18
        (189, 0x104),  // KEY_F19
        (190, 0x05a),  // KEY_F20
        (191, 0x074),  // KEY_F21
        (192, 0x179),  // KEY_F22
        (193, 0x06d),  // KEY_F23
        (194, 0x06f),  // KEY_F24
        (200, 0x128),  // KEY_PLAYCD
        (201, 0x129),  // KEY_PAUSECD
        (202, 0x12b),  // KEY_PROG3
        (203, 0x12c),  // KEY_PROG4
        (204, 0x12d),  // KEY_DASHBOARD
        (205, 0x125),  // KEY_SUSPEND
        (206, 0x12f),  // KEY_CLOSE
        (207, 0x133),  // KEY_PLAY
        (208, 0x134),  // KEY_FASTFORWARD
        (209, 0x136),  // KEY_BASSBOOST
        (210, 0x139),  // KEY_PRINT
        (211, 0x13a),  // KEY_HP
        (212, 0x13b),  // KEY_CAMERA
        (213, 0x13d),  // KEY_SOUND
        (214, 0x13e),  // KEY_QUESTION
        (215, 0x13f),  // KEY_EMAIL
        (216, 0x140),  // KEY_CHAT
        (217, 0x165),  // KEY_SEARCH
        (218, 0x142),  // KEY_CONNECT
        (219, 0x143),  // KEY_FINANCE
        (220, 0x144),  // KEY_SPORT
        (221, 0x145),  // KEY_SHOP
        (222, 0x114),  // KEY_ALTERASE
        (223, 0x14a),  // KEY_CANCEL
        (224, 0x14c),  // KEY_BRIGHTNESSDOWN
        (225, 0x154),  // KEY_BRIGHTNESSUP
        (226, 0x16d),  // KEY_MEDIA
        (227, 0x156),  // KEY_SWITCHVIDEOMODE
        (228, 0x157),  // KEY_KBDILLUMTOGGLE
        (229, 0x158),  // KEY_KBDILLUMDOWN
        (230, 0x159),  // KEY_KBDILLUMUP
        (231, 0x15a),  // KEY_SEND
        (232, 0x164),  // KEY_REPLY
        (233, 0x10e),  // KEY_FORWARDMAIL
        (234, 0x155),  // KEY_SAVE
        (235, 0x170),  // KEY_DOCUMENTS
        (236, 0x171),  // KEY_BATTERY
        (237, 0x172),  // KEY_BLUETOOTH
        (238, 0x173),  // KEY_WLAN
        (239, 0x174),  // KEY_UWB
    ]

    /// Android `KeyEvent` keycode → Linux evdev code, for every key Android defines that a PC keyboard
    /// (including the Japanese and Korean layouts, the multimedia and laptop keys) has: AOSP's
    /// `frameworks/base/data/keyboards/Generic.kl` (`key <evdev> <KEYCODE>`) read backwards. Where
    /// Generic.kl maps several evdev codes to one keycode, the one a PC keyboard sends is kept.
    /// Keycodes of phone, TV and game-pad keys (CALL, DPAD_CENTER, BUTTON_A, …) and of characters
    /// without a key of their own (AT, PLUS, STAR, POUND) are not here: text goes through
    /// `usLayout(_:)`, and a hardware keyboard's `KeyEvent.getScanCode()` is already an evdev code.
    public static let androidToEvdev: [(android: Int, evdev: Int)] = [
        (111, 1),    // ESCAPE → KEY_ESC
        (8, 2), (9, 3), (10, 4), (11, 5), (12, 6), (13, 7), (14, 8), (15, 9), (16, 10), (7, 11),  // 1…9, 0
        (69, 12),    // MINUS
        (70, 13),    // EQUALS
        (67, 14),    // DEL → KEY_BACKSPACE
        (61, 15),    // TAB
        (45, 16), (51, 17), (33, 18), (46, 19), (48, 20), (53, 21), (49, 22), (37, 23), (43, 24), (44, 25),  // Q W E R T Y U I O P
        (71, 26),    // LEFT_BRACKET
        (72, 27),    // RIGHT_BRACKET
        (66, 28),    // ENTER
        (113, 29),   // CTRL_LEFT
        (29, 30), (47, 31), (32, 32), (34, 33), (35, 34), (36, 35), (38, 36), (39, 37), (40, 38),  // A S D F G H J K L
        (74, 39),    // SEMICOLON
        (75, 40),    // APOSTROPHE
        (68, 41),    // GRAVE
        (59, 42),    // SHIFT_LEFT
        (73, 43),    // BACKSLASH (the ISO key left of Z has no keycode of its own: it needs getScanCode())
        (54, 44), (52, 45), (31, 46), (50, 47), (30, 48), (42, 49), (41, 50),  // Z X C V B N M
        (55, 51),    // COMMA
        (56, 52),    // PERIOD
        (76, 53),    // SLASH
        (60, 54),    // SHIFT_RIGHT
        (155, 55),   // NUMPAD_MULTIPLY
        (57, 56),    // ALT_LEFT
        (62, 57),    // SPACE
        (115, 58),   // CAPS_LOCK
        (131, 59), (132, 60), (133, 61), (134, 62), (135, 63), (136, 64), (137, 65), (138, 66), (139, 67), (140, 68),  // F1…F10
        (143, 69),   // NUM_LOCK
        (116, 70),   // SCROLL_LOCK
        (151, 71), (152, 72), (153, 73),  // NUMPAD_7 8 9
        (156, 74),   // NUMPAD_SUBTRACT
        (148, 75), (149, 76), (150, 77),  // NUMPAD_4 5 6
        (157, 78),   // NUMPAD_ADD
        (145, 79), (146, 80), (147, 81), (144, 82),  // NUMPAD_1 2 3 0
        (158, 83),   // NUMPAD_DOT
        (211, 85),   // ZENKAKU_HANKAKU
        (141, 87), (142, 88),  // F11, F12
        (217, 89),   // RO
        (214, 92),   // HENKAN
        (215, 93),   // KATAKANA_HIRAGANA
        (213, 94),   // MUHENKAN
        (160, 96),   // NUMPAD_ENTER
        (114, 97),   // CTRL_RIGHT
        (154, 98),   // NUMPAD_DIVIDE
        (120, 99),   // SYSRQ (Print Screen)
        (58, 100),   // ALT_RIGHT
        (122, 102),  // MOVE_HOME
        (19, 103),   // DPAD_UP
        (92, 104),   // PAGE_UP
        (21, 105),   // DPAD_LEFT
        (22, 106),   // DPAD_RIGHT
        (123, 107),  // MOVE_END
        (20, 108),   // DPAD_DOWN
        (93, 109),   // PAGE_DOWN
        (124, 110),  // INSERT
        (112, 111),  // FORWARD_DEL → KEY_DELETE
        (164, 113),  // VOLUME_MUTE
        (25, 114),   // VOLUME_DOWN
        (24, 115),   // VOLUME_UP
        (26, 116),   // POWER
        (161, 117),  // NUMPAD_EQUALS
        (121, 119),  // BREAK (Pause)
        (159, 121),  // NUMPAD_COMMA
        (218, 122),  // KANA → KEY_HANGEUL (Generic.kl; no set-1 code, see evdevToScancode)
        (212, 123),  // EISU → KEY_HANJA (Generic.kl; no set-1 code, see evdevToScancode)
        (216, 124),  // YEN
        (117, 125),  // META_LEFT
        (118, 126),  // META_RIGHT
        (82, 127),   // MENU → KEY_COMPOSE (the PC context-menu key)
        (278, 133),  // COPY
        (279, 135),  // PASTE
        (277, 137),  // CUT
        (259, 138),  // HELP
        (210, 140),  // CALCULATOR
        (223, 142),  // SLEEP
        (224, 143),  // WAKEUP
        (64, 150),   // EXPLORER → KEY_WWW
        (324, 152),  // LOCK → KEY_SCREENLOCK
        (65, 155),   // ENVELOPE → KEY_MAIL
        (174, 156),  // BOOKMARK
        (4, 158),    // BACK
        (125, 159),  // FORWARD
        (129, 161),  // MEDIA_EJECT
        (87, 163),   // MEDIA_NEXT
        (85, 164),   // MEDIA_PLAY_PAUSE
        (88, 165),   // MEDIA_PREVIOUS
        (86, 166),   // MEDIA_STOP
        (130, 167),  // MEDIA_RECORD
        (89, 168),   // MEDIA_REWIND
        (209, 171),  // MUSIC → KEY_CONFIG
        (3, 172),    // HOME → KEY_HOMEPAGE
        (285, 173),  // REFRESH
        (162, 179),  // NUMPAD_LEFT_PAREN
        (163, 180),  // NUMPAD_RIGHT_PAREN
        (320, 181),  // NEW
        (326, 183), (327, 184), (328, 185), (329, 186), (330, 187), (331, 188),  // F13…F18
        (332, 189), (333, 190), (334, 191), (335, 192), (336, 193), (337, 194),  // F19…F24
        (126, 200),  // MEDIA_PLAY → KEY_PLAYCD
        (127, 201),  // MEDIA_PAUSE → KEY_PAUSECD
        (321, 206),  // CLOSE
        (90, 208),   // MEDIA_FAST_FORWARD
        (323, 210),  // PRINT (print a document; the Print Screen key is SYSRQ)
        (84, 217),   // SEARCH
        (220, 224),  // BRIGHTNESS_DOWN
        (221, 225),  // BRIGHTNESS_UP
        (307, 228),  // KEYBOARD_BACKLIGHT_TOGGLE
        (305, 229),  // KEYBOARD_BACKLIGHT_DOWN
        (306, 230),  // KEYBOARD_BACKLIGHT_UP
    ]

    /// The set-1 scancode of Linux evdev key `code`, or nil for a code no PC keyboard sends.
    public static func scancode(evdev code: Int) -> XTScancode? {
        guard code >= 0, code < scancodeByEvdev.count, scancodeByEvdev[code] != 0 else { return nil }
        return XTScancode(rawValue: scancodeByEvdev[code])
    }

    /// The Linux evdev code of Android keycode `code`, or nil for a key a PC keyboard does not have.
    public static func evdev(androidKeyCode code: Int) -> Int? {
        guard code >= 0, code < evdevByAndroid.count, evdevByAndroid[code] != 0 else { return nil }
        return Int(evdevByAndroid[code])
    }

    /// The set-1 scancode of Android keycode `code`.
    public static func scancode(androidKeyCode code: Int) -> XTScancode? {
        self.evdev(androidKeyCode: code).flatMap { self.scancode(evdev: $0) }
    }

    /// The evdev key that types `character` on a US QWERTY layout, and whether Shift must be held; nil
    /// for characters that layout cannot type. The guest's own layout decides what the key produces.
    public static func usLayout(_ character: Character) -> (evdev: Int, shift: Bool)? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "a")...UInt8(ascii: "z"):
            return (letterKeys[Int(ascii - UInt8(ascii: "a"))], false)
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return (letterKeys[Int(ascii - UInt8(ascii: "A"))], true)
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            return (Int(ascii - UInt8(ascii: "1")) + 2, false)
        case UInt8(ascii: "0"):
            return (11, false)
        case 0x0A, 0x0D:
            return (28, false)  // KEY_ENTER
        case 0x09:
            return (15, false)  // KEY_TAB
        case 0x08:
            return (14, false)  // KEY_BACKSPACE
        case 0x1B:
            return (1, false)   // KEY_ESC
        default:
            return punctuation[ascii]
        }
    }

    // MARK: - Lookup tables built once from the data above

    private static let scancodeByEvdev: [UInt16] = {
        var table = [UInt16](repeating: 0, count: (evdevToScancode.map(\.evdev).max() ?? 0) + 1)
        for entry in evdevToScancode { table[entry.evdev] = entry.scancode }
        return table
    }()

    private static let evdevByAndroid: [UInt16] = {
        var table = [UInt16](repeating: 0, count: (androidToEvdev.map(\.android).max() ?? 0) + 1)
        for entry in androidToEvdev { table[entry.android] = UInt16(entry.evdev) }
        return table
    }()

    /// KEY_A … KEY_Z in alphabetical order.
    private static let letterKeys = [30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45, 21, 44]

    /// US-layout punctuation and the shifted digits.
    private static let punctuation: [UInt8: (evdev: Int, shift: Bool)] = [
        UInt8(ascii: " "): (57, false), UInt8(ascii: "-"): (12, false), UInt8(ascii: "_"): (12, true),
        UInt8(ascii: "="): (13, false), UInt8(ascii: "+"): (13, true), UInt8(ascii: "["): (26, false),
        UInt8(ascii: "{"): (26, true), UInt8(ascii: "]"): (27, false), UInt8(ascii: "}"): (27, true),
        UInt8(ascii: ";"): (39, false), UInt8(ascii: ":"): (39, true), UInt8(ascii: "'"): (40, false),
        UInt8(ascii: "\""): (40, true), UInt8(ascii: "`"): (41, false), UInt8(ascii: "~"): (41, true),
        UInt8(ascii: "\\"): (43, false), UInt8(ascii: "|"): (43, true), UInt8(ascii: ","): (51, false),
        UInt8(ascii: "<"): (51, true), UInt8(ascii: "."): (52, false), UInt8(ascii: ">"): (52, true),
        UInt8(ascii: "/"): (53, false), UInt8(ascii: "?"): (53, true), UInt8(ascii: "!"): (2, true),
        UInt8(ascii: "@"): (3, true), UInt8(ascii: "#"): (4, true), UInt8(ascii: "$"): (5, true),
        UInt8(ascii: "%"): (6, true), UInt8(ascii: "^"): (7, true), UInt8(ascii: "&"): (8, true),
        UInt8(ascii: "*"): (9, true), UInt8(ascii: "("): (10, true), UInt8(ascii: ")"): (11, true),
    ]
}
