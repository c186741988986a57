/// Tests for the cursor channel's messages (spice.proto `channel CursorChannel`; notes §2.4, §4.1): round
/// trips of all 8 server messages, exact layouts, every strict prefix, the data size of every cursor
/// type, and the named rejections of a cursor's shape.
import SpiceWire
import XCTest

/// A 2×2 ALPHA cursor with its 16 bytes of data.
let alphaCursor = Cursor(flags: .cacheMe, header: CursorHeader(unique: 0x1122_3344_5566_7788, type: .alpha, width: 2, height: 2, hotSpotX: 1, hotSpotY: 0),
                         data: Array(0..<16))

/// At least one of every cursor server message.
let cursorServerSamples: [CursorServerMessage] = [
    .`init`(position: SpicePoint16(x: 100, y: -2), trailLength: 0, trailFrequency: 0, visible: true, cursor: alphaCursor),
    .`init`(position: .zero, trailLength: 3, trailFrequency: 9, visible: false, cursor: .none),
    .reset,
    .set(position: SpicePoint16(x: 7, y: 8), visible: true, cursor: alphaCursor),
    .set(position: SpicePoint16(x: 0, y: 0), visible: true,
         cursor: Cursor(flags: .fromCache, header: CursorHeader(unique: 42, type: 0, width: 0, height: 0, hotSpotX: 0, hotSpotY: 0))),
    .set(position: SpicePoint16(x: 1, y: 1), visible: false, cursor: .none),
    .move(SpicePoint16(x: -1, y: Int16.max)),
    .hide,
    .trail(length: 4, frequency: 30),
    .invalOne(0xFEDC_BA98_7654_3210),
    .invalAll,
]

final class CursorMessagesTests: XCTestCase {
    // MARK: - Round trips

    func testSamplesCoverEveryCursorMessageID() {
        XCTAssertEqual(Set(cursorServerSamples.map(\.type)), Set(101...108))
        for type in UInt16(101)...108 { XCTAssertNotNil(CursorServerMessage.name(type)) }
        XCTAssertNil(CursorServerMessage.name(109))
    }

    func testEveryCursorServerMessageRoundTrips() throws {
        for message in cursorServerSamples {
            XCTAssertEqual(try CursorServerMessage.parse(type: message.type, body: message.encode()), message)
        }
        XCTAssertNil(try CursorServerMessage.parse(type: 109, body: []))
    }

    // MARK: - Exact layouts

    func testSetIsPositionVisibleFlagsHeaderThenData() throws {
        let body: [UInt8] = [0x07, 0x00, 0x08, 0x00]  // position
            + [0x01]                                   // visible
            + [0x02, 0x00]                             // flags: CACHE_ME
            + le64(0x1122_3344_5566_7788)              // header.unique
            + [0x00]                                   // header.type: ALPHA
            + [0x02, 0x00, 0x02, 0x00]                 // width, height
            + [0x01, 0x00, 0x00, 0x00]                 // hot_spot_x, hot_spot_y
            + Array(0..<16)                            // data
        let message = CursorServerMessage.set(position: SpicePoint16(x: 7, y: 8), visible: true, cursor: alphaCursor)
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try CursorServerMessage.parse(type: 103, body: body), message)
    }

    func testInitHasTheTrailBetweenPositionAndVisible() throws {
        let body: [UInt8] = [0xFE, 0xFF, 0x03, 0x00] + [0x05, 0x00, 0x06, 0x00] + [0x00] + [0x01, 0x00]
        XCTAssertEqual(try CursorServerMessage.parse(type: 101, body: body),
                       .`init`(position: SpicePoint16(x: -2, y: 3), trailLength: 5, trailFrequency: 6, visible: false, cursor: .none))
    }

    func testNoneCursorIsOnlyItsFlags() {
        XCTAssertEqual(CursorServerMessage.set(position: .zero, visible: false, cursor: .none).encode(), [0, 0, 0, 0, 0, 0x01, 0x00])
    }

    func testShortMessagesLayouts() throws {
        XCTAssertEqual(CursorServerMessage.move(SpicePoint16(x: -1, y: 2)).encode(), [0xFF, 0xFF, 0x02, 0x00])
        XCTAssertEqual(CursorServerMessage.trail(length: 1, frequency: 2).encode(), [0x01, 0x00, 0x02, 0x00])
        XCTAssertEqual(CursorServerMessage.invalOne(0x0102).encode(), [0x02, 0x01, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(CursorServerMessage.reset.encode(), [])
        XCTAssertEqual(try CursorServerMessage.parse(type: 105, body: []), .hide)
        XCTAssertEqual(try CursorServerMessage.parse(type: 108, body: []), .invalAll)
    }

    // MARK: - Data sizes (PureSpice cursorBufferSize, QXL driver layouts)

    func testEveryCursorTypeHasTheDataSizeOfItsDefinition() {
        // A 9×3 cursor: rows of a 1-bit plane take 2 bytes, so row padding shows.
        XCTAssertEqual(CursorType.alpha.dataSize(width: 9, height: 3), 9 * 3 * 4)
        XCTAssertEqual(CursorType.mono.dataSize(width: 9, height: 3), 2 * 3 * 2)
        XCTAssertEqual(CursorType.color4.dataSize(width: 9, height: 3), 5 * 3 + 16 * 4 + 2 * 3)
        XCTAssertEqual(CursorType.color8.dataSize(width: 9, height: 3), 9 * 3 + 256 * 4 + 2 * 3)
        XCTAssertEqual(CursorType.color16.dataSize(width: 9, height: 3), 9 * 3 * 2 + 2 * 3)
        XCTAssertEqual(CursorType.color24.dataSize(width: 9, height: 3), 9 * 3 * 3 + 2 * 3)
        XCTAssertEqual(CursorType.color32.dataSize(width: 9, height: 3), 9 * 3 * 4 + 2 * 3)
        XCTAssertEqual(CursorType.allCases.map(\.rawValue), [0, 1, 2, 3, 4, 5, 6])
    }

    func testAShapeOfTheRightSizePassesItsChecks() throws {
        for type in CursorType.allCases {
            let cursor = Cursor(flags: [], header: CursorHeader(unique: 1, type: type, width: 9, height: 3, hotSpotX: 0, hotSpotY: 0),
                                data: [UInt8](repeating: 0, count: type.dataSize(width: 9, height: 3)))
            let (header, checked) = try cursor.checkedShape(message: "SET")
            XCTAssertEqual(checked, type)
            XCTAssertEqual(header.width, 9)
        }
        let largest = Cursor(flags: [], header: CursorHeader(unique: 1, type: .alpha, width: UInt16(Limits.maxCursorDimension),
                                                             height: UInt16(Limits.maxCursorDimension), hotSpotX: 0, hotSpotY: 0),
                             data: [UInt8](repeating: 0, count: Limits.maxCursorDimension * Limits.maxCursorDimension * 4))
        XCTAssertEqual(try largest.checkedShape(message: "SET").1, .alpha)
    }

    // MARK: - Drip-feed

    func testEveryStrictPrefixOfASetNamesTheFieldItStopsIn() {
        let message = CursorServerMessage.set(position: SpicePoint16(x: 7, y: 8), visible: true, cursor: alphaCursor)
        let body = message.encode()
        assertEveryStrictPrefix(of: body, parse: { body throws(SpiceWireError) in
            try CursorServerMessage.parse(type: 103, body: body)
        }, expected: { length in
            switch length {
            case 0..<4: return .fails(.truncated, field: "position")
            case 4: return .fails(.truncated, field: "visible")
            case 5..<7: return .fails(.truncated, field: "cursor.flags")
            case 7..<15: return .fails(.truncated, field: "cursor.header.unique")
            case 15: return .fails(.truncated, field: "cursor.header.type")
            case 16..<18: return .fails(.truncated, field: "cursor.header.width")
            case 18..<20: return .fails(.truncated, field: "cursor.header.height")
            case 20..<22: return .fails(.truncated, field: "cursor.header.hot_spot_x")
            case 22..<24: return .fails(.truncated, field: "cursor.header.hot_spot_y")
            // The data runs to the end of the message, so a shorter body is a shorter shape: the shape's
            // own check (checkedShape) is what refuses it.
            default:
                var cursor = alphaCursor
                cursor.data = Array(alphaCursor.data[..<(length - 24)])
                return .parses(.set(position: SpicePoint16(x: 7, y: 8), visible: true, cursor: cursor))
            }
        }, context: "SET")
    }

    func testEveryStrictPrefixOfAnInitNamesTheFieldItStopsIn() {
        let body = CursorServerMessage.`init`(position: .zero, trailLength: 1, trailFrequency: 2, visible: true, cursor: .none).encode()
        assertEveryStrictPrefix(of: body, parse: { body throws(SpiceWireError) in
            try CursorServerMessage.parse(type: 101, body: body)
        }, expected: { length in
            switch length {
            case 0..<4: .fails(.truncated, field: "position")
            case 4..<6: .fails(.truncated, field: "trail_length")
            case 6..<8: .fails(.truncated, field: "trail_frequency")
            case 8: .fails(.truncated, field: "visible")
            default: .fails(.truncated, field: "cursor.flags")
            }
        }, context: "INIT")
    }

    func testEveryStrictPrefixOfTheFixedMessagesFails() {
        for (type, body, field) in [(UInt16(104), [UInt8](repeating: 1, count: 4), "position"), (106, [1, 0, 2, 0], "length"),
                                    (107, [UInt8](repeating: 1, count: 8), "id")] {
            assertEveryStrictPrefix(of: body, parse: { body throws(SpiceWireError) in
                try CursorServerMessage.parse(type: type, body: body)
            }, expected: { length in
                type == 106 && length >= 2 ? .fails(.truncated, field: "frequency") : .fails(.truncated, field: field)
            }, context: "type \(type)")
        }
    }

    // MARK: - Rejections: the message

    func testRejectsCursorMessagesWithTrailingBytes() {
        assertWireError(try CursorServerMessage.parse(type: 104, body: [0, 0, 0, 0, 0]), .trailingBytes, channel: "cursor", message: "MOVE", field: "end")
        assertWireError(try CursorServerMessage.parse(type: 102, body: [0]), .trailingBytes, channel: "cursor", message: "RESET", field: "end")
        assertWireError(try CursorServerMessage.parse(type: 107, body: [UInt8](repeating: 0, count: 9)), .trailingBytes, channel: "cursor", message: "INVAL_ONE", field: "end")
    }

    func testRejectsShapeBytesAfterANoneCursor() {
        let body: [UInt8] = [0, 0, 0, 0, 1] + [0x01, 0x00] + [0xAA]
        assertWireError(try CursorServerMessage.parse(type: 103, body: body), .trailingBytes, channel: "cursor", message: "SET", field: "cursor.data")
    }

    func testRejectsShapeBytesAfterAFromCacheCursor() {
        var cursor = alphaCursor
        cursor.flags = .fromCache
        let body = CursorServerMessage.set(position: .zero, visible: true, cursor: cursor).encode()
        assertWireError(try CursorServerMessage.parse(type: 103, body: body), .trailingBytes, channel: "cursor", message: "SET", field: "cursor.data")
    }

    // MARK: - Rejections: the shape (the channel goes on; the previous cursor stays)

    private func shape(type: UInt8 = CursorType.alpha.rawValue, width: UInt16 = 2, height: UInt16 = 2, dataSize: Int? = nil) -> Cursor {
        let size = dataSize ?? CursorType(rawValue: type).map { $0.dataSize(width: Int(width), height: Int(height)) } ?? 0
        return Cursor(flags: [], header: CursorHeader(unique: 9, type: type, width: width, height: height, hotSpotX: 0, hotSpotY: 0),
                      data: [UInt8](repeating: 0xFF, count: size))
    }

    func testRejectsCursorWidthOverLimit() {
        let cursor = self.shape(width: UInt16(Limits.maxCursorDimension + 1), height: 1, dataSize: 4)
        assertWireError(try cursor.checkedShape(message: "SET"), .overLimit, channel: "cursor", message: "SET", field: "cursor.header.width")
    }

    func testRejectsCursorHeightOverLimit() {
        let cursor = self.shape(width: 1, height: UInt16.max, dataSize: 4)
        assertWireError(try cursor.checkedShape(message: "INIT"), .overLimit, channel: "cursor", message: "INIT", field: "cursor.header.height")
    }

    func testRejectsAnEmptyCursor() {
        assertWireError(try self.shape(width: 0, height: 4, dataSize: 0).checkedShape(message: "SET"), .badValue, channel: "cursor", message: "SET", field: "cursor.header.width")
        assertWireError(try self.shape(width: 4, height: 0, dataSize: 0).checkedShape(message: "SET"), .badValue, channel: "cursor", message: "SET", field: "cursor.header.height")
    }

    func testRejectsAnUnknownCursorType() {
        assertWireError(try self.shape(type: 7, dataSize: 16).checkedShape(message: "SET"), .badValue, channel: "cursor", message: "SET", field: "cursor.header.type")
    }

    func testRejectsCursorDataShorterThanItsTypeNeeds() {
        for type in CursorType.allCases {
            let needed = type.dataSize(width: 9, height: 3)
            let cursor = self.shape(type: type.rawValue, width: 9, height: 3, dataSize: needed - 1)
            assertWireError(try cursor.checkedShape(message: "SET"), .truncated, channel: "cursor", message: "SET", field: "cursor.data")
        }
    }

    func testRejectsCursorDataLongerThanItsTypeNeeds() {
        let cursor = self.shape(type: CursorType.mono.rawValue, width: 9, height: 3, dataSize: CursorType.mono.dataSize(width: 9, height: 3) + 1)
        assertWireError(try cursor.checkedShape(message: "SET"), .trailingBytes, channel: "cursor", message: "SET", field: "cursor.data")
    }

    func testANoneCursorHasNoShapeToCheck() {
        assertWireError(try Cursor.none.checkedShape(message: "SET"), .badValue, channel: "cursor", message: "SET", field: "cursor.flags")
    }
}
