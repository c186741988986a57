/// Tests for the inputs channel's messages (spice.proto `channel InputsChannel`; notes §2.3, §4.2): round
/// trips of all 3 server and all 8 client messages, exact layouts, every strict prefix, the named
/// rejections, and spice-gtk's scancode packing including Pause and Print Screen.
import SpiceWire
import XCTest

/// At least one of every inputs server message.
let inputsServerSamples: [InputsServerMessage] = [
    .`init`([.numLock, .capsLock]),
    .`init`([]),
    .keyModifiers(.scrollLock),
    .keyModifiers(KeyboardModifiers(rawValue: 0xFFFF)),
    .mouseMotionAck,
]

/// At least one of every inputs client message.
let inputsClientSamples: [InputsClientMessage] = [
    .keyDown(code: 0x1E),
    .keyUp(code: 0x9DE0),
    .keyModifiers([.capsLock, .scrollLock]),
    .keyScancode([0x1E, 0x9E]),
    .keyScancode([]),
    .mouseMotion(dx: -5, dy: Int32.max, buttons: [.left, .extra]),
    .mousePosition(x: 1023, y: 767, buttons: .right, displayID: 3),
    .mousePress(.middle, buttons: [.middle, .left]),
    .mouseRelease(.side, buttons: []),
]

final class InputsMessagesTests: XCTestCase {
    // MARK: - Round trips

    func testSamplesCoverEveryInputsMessageID() {
        XCTAssertEqual(Set(inputsServerSamples.map(\.type)), [101, 102, 111])
        XCTAssertEqual(Set(inputsClientSamples.map(\.type)), [101, 102, 103, 104, 111, 112, 113, 114])
    }

    func testEveryInputsServerMessageRoundTrips() throws {
        for message in inputsServerSamples {
            XCTAssertEqual(try InputsServerMessage.parse(type: message.type, body: message.encode()), message)
        }
    }

    func testEveryInputsClientMessageRoundTrips() throws {
        for message in inputsClientSamples {
            XCTAssertEqual(try InputsClientMessage.parse(type: message.type, body: message.encode()), message)
        }
        for button in MouseButton.allCases {
            let press = InputsClientMessage.mousePress(button, buttons: button.mask)
            XCTAssertEqual(try InputsClientMessage.parse(type: press.type, body: press.encode()), press)
        }
    }

    func testUnknownIDsAreNotInputsMessages() throws {
        XCTAssertNil(try InputsServerMessage.parse(type: 103, body: []))
        XCTAssertNil(try InputsClientMessage.parse(type: 105, body: []))
    }

    // MARK: - Exact layouts

    func testServerMessageLayouts() throws {
        XCTAssertEqual(InputsServerMessage.`init`([.capsLock, .numLock]).encode(), [0x06, 0x00])
        XCTAssertEqual(try InputsServerMessage.parse(type: 101, body: [0x05, 0x00]), .`init`([.capsLock, .scrollLock]))
        XCTAssertEqual(try InputsServerMessage.parse(type: 102, body: [0x02, 0x00]), .keyModifiers(.numLock))
        XCTAssertEqual(try InputsServerMessage.parse(type: 111, body: []), .mouseMotionAck)
        XCTAssertEqual(InputsServerMessage.motionAckBunch, 4)
    }

    func testMotionIsTwoSignedWordsThenTheButtons() throws {
        let body = le32(UInt32(bitPattern: -3)) + le32(7) + le16(0x41)
        let message = InputsClientMessage.mouseMotion(dx: -3, dy: 7, buttons: [.left, .extra])
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try InputsClientMessage.parse(type: 111, body: body), message)
    }

    func testPositionIsTwoWordsButtonsAndDisplayID() throws {
        let body = le32(512) + le32(384) + le16(0x04) + [0x01]
        let message = InputsClientMessage.mousePosition(x: 512, y: 384, buttons: .right, displayID: 1)
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(body.count, 11)
        XCTAssertEqual(try InputsClientMessage.parse(type: 112, body: body), message)
    }

    func testPressAndReleaseAreTheButtonThenTheNewState() throws {
        XCTAssertEqual(InputsClientMessage.mousePress(.right, buttons: [.left, .right]).encode(), [0x03, 0x05, 0x00])
        XCTAssertEqual(InputsClientMessage.mouseRelease(.up, buttons: []).encode(), [0x04, 0x00, 0x00])
        XCTAssertEqual(try InputsClientMessage.parse(type: 114, body: [0x07, 0x01, 0x00]), .mouseRelease(.extra, buttons: .left))
    }

    func testKeyMessagesLayouts() {
        XCTAssertEqual(InputsClientMessage.keyDown(code: 0x1E).encode(), [0x1E, 0x00, 0x00, 0x00])
        XCTAssertEqual(InputsClientMessage.keyUp(code: 0x9DE0).encode(), [0xE0, 0x9D, 0x00, 0x00])
        XCTAssertEqual(InputsClientMessage.keyModifiers(.capsLock).encode(), [0x04, 0x00])
        XCTAssertEqual(InputsClientMessage.keyScancode([0xE0, 0x1D, 0xE0, 0x9D]).encode(), [0xE0, 0x1D, 0xE0, 0x9D])
    }

    func testButtonMasksFollowTheButtonNumbers() {
        XCTAssertEqual(MouseButton.allCases.map(\.mask.rawValue), [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40])
        XCTAssertEqual(MouseButton.allCases.map(\.rawValue), [1, 2, 3, 4, 5, 6, 7])
    }

    // MARK: - Scancode packing (spice-gtk spice_make_scancode, notes §4.2)

    func testPlainKeysPackAsTheCodeAndTheBreakBit() {
        let a = XTScancode(rawValue: 0x1E)!
        XCTAssertEqual(a.packed(release: false), 0x1E)
        XCTAssertEqual(a.packed(release: true), 0x9E)
        XCTAssertEqual(a.pressCodes, [0x1E])
        XCTAssertEqual(a.releaseCodes, [0x9E])
        XCTAssertEqual(a.pressBytes, [0x1E])
        XCTAssertEqual(a.releaseBytes, [0x9E])
        XCTAssertNil(a.prefix)
    }

    func testExtendedKeysPackTheE0PrefixAsTheLowByte() {
        let rightCtrl = XTScancode(rawValue: 0x11D)!
        XCTAssertEqual(rightCtrl.packed(release: false), 0x1DE0)
        XCTAssertEqual(rightCtrl.packed(release: true), 0x9DE0, "the notes' example: RCtrl up is 0x00009de0")
        XCTAssertEqual(rightCtrl.pressBytes, [0xE0, 0x1D])
        XCTAssertEqual(rightCtrl.releaseBytes, [0xE0, 0x9D])
        XCTAssertEqual(rightCtrl.prefix, 0xE0)
        XCTAssertEqual(rightCtrl.code, 0x1D)
    }

    func testPauseIsTheWholeHardwareSequenceSplitLikeSpiceGtk() {
        XCTAssertEqual(XTScancode.pause.rawValue, 0x21D)
        XCTAssertEqual(XTScancode.pause.pressCodes, [0x1DE1, 0x45], "E1 1D, then 45")
        XCTAssertEqual(XTScancode.pause.releaseCodes, [0x9DE1, 0xC5], "E1 9D, then C5")
        XCTAssertEqual(XTScancode.pause.pressBytes + XTScancode.pause.releaseBytes, [0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5])
    }

    func testPrintScreenIsTheFakeShiftSequence() {
        XCTAssertEqual(XTScancode.printScreen.rawValue, 0x137)
        XCTAssertEqual(XTScancode.printScreen.pressCodes, [0x2AE0, 0x37E0])
        XCTAssertEqual(XTScancode.printScreen.releaseCodes, [0xB7E0, 0xAAE0])
        XCTAssertEqual(XTScancode.printScreen.pressBytes, [0xE0, 0x2A, 0xE0, 0x37])
        XCTAssertEqual(XTScancode.printScreen.releaseBytes, [0xE0, 0xB7, 0xE0, 0xAA])
    }

    func testScancodesOutsideSetOneAreRefused() {
        for raw: UInt16 in [0x00, 0x80, 0xFF, 0x100, 0x180, 0x300, 0xE01D] {
            XCTAssertNil(XTScancode(rawValue: raw), "0x\(String(raw, radix: 16))")
        }
        for raw: UInt16 in [0x01, 0x7F, 0x101, 0x17F, 0x21D] {
            XCTAssertEqual(XTScancode(rawValue: raw)?.rawValue, raw)
        }
    }

    func testModifiersDescribeThemselves() {
        XCTAssertEqual(KeyboardModifiers([.capsLock, .numLock]).description, "caps+num")
        XCTAssertEqual(KeyboardModifiers([]).description, "none")
        XCTAssertEqual(KeyboardModifiers(rawValue: 0x11).description, "scroll+0x10")
    }

    // MARK: - Drip-feed

    func testEveryStrictPrefixOfAnInputsServerMessageFails() {
        for message in inputsServerSamples where !message.encode().isEmpty {
            let field = message.type == 101 ? "keyboard_modifiers" : "modifiers"
            assertEveryStrictPrefix(of: message.encode(), parse: { body throws(SpiceWireError) in
                try InputsServerMessage.parse(type: message.type, body: body)
            }, expected: { _ in .fails(.truncated, field: field) }, context: "\(message)")
        }
    }

    func testEveryStrictPrefixOfAPositionNamesTheFieldItStopsIn() {
        let message = InputsClientMessage.mousePosition(x: 1, y: 2, buttons: .left, displayID: 0)
        assertEveryStrictPrefix(of: message.encode(), parse: { body throws(SpiceWireError) in
            try InputsClientMessage.parse(type: message.type, body: body)
        }, expected: { length in
            switch length {
            case 0..<4: .fails(.truncated, field: "x")
            case 4..<8: .fails(.truncated, field: "y")
            case 8..<10: .fails(.truncated, field: "buttons_state")
            default: .fails(.truncated, field: "display_id")
            }
        }, context: "MOUSE_POSITION")
    }

    func testEveryStrictPrefixOfAKeyScancodeIsAShorterScancode() {
        let bytes: [UInt8] = [0xE0, 0x2A, 0xE0, 0x37]
        assertEveryStrictPrefix(of: bytes, parse: { body throws(SpiceWireError) in
            try InputsClientMessage.parse(type: 104, body: body)
        }, expected: { .parses(.keyScancode(Array(bytes[..<$0]))) }, context: "KEY_SCANCODE")
    }

    // MARK: - Rejections

    func testRejectsInputsMessagesWithTrailingBytes() {
        assertWireError(try InputsServerMessage.parse(type: 101, body: [0, 0, 0]), .trailingBytes, channel: "inputs", message: "INIT", field: "end")
        assertWireError(try InputsServerMessage.parse(type: 111, body: [0]), .trailingBytes, channel: "inputs", message: "MOUSE_MOTION_ACK", field: "end")
        assertWireError(try InputsClientMessage.parse(type: 113, body: [1, 0, 0, 0]), .trailingBytes, channel: "inputs", message: "MOUSE_PRESS", field: "end")
    }

    func testRejectsAnUnknownMouseButton() {
        for raw: UInt8 in [0, 8, 0xFF] {
            assertWireError(try InputsClientMessage.parse(type: 113, body: [raw, 0, 0]), .badValue, channel: "inputs", message: "MOUSE_PRESS", field: "button")
            assertWireError(try InputsClientMessage.parse(type: 114, body: [raw, 0, 0]), .badValue, channel: "inputs", message: "MOUSE_RELEASE", field: "button")
        }
    }

    func testRejectsKeyScancodeOverLimit() {
        let atLimit = [UInt8](repeating: 0x1E, count: Limits.maxKeyScancodeBytes)
        XCTAssertEqual(try InputsClientMessage.parse(type: 104, body: atLimit), .keyScancode(atLimit))
        assertWireError(try InputsClientMessage.parse(type: 104, body: atLimit + [0x9E]), .overLimit, channel: "inputs", message: "KEY_SCANCODE", field: "data")
    }
}
