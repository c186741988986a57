/// The cursor channel as the session drives it (notes §2.4, §4.1): INIT, SET, MOVE, HIDE, TRAIL, RESET,
/// the cursor cache (CACHE_ME, FROM_CACHE, INVAL_ONE, INVAL_ALL), every cursor type, and bad shapes
/// refused on their own while the previous cursor stays.
import SpiceCanvas
import SpiceSession
import SpiceWire
import XCTest

final class SessionCursorTests: XCTestCase {
    let cursor = ChannelID(.cursor)

    private func linked() -> FakeServer {
        let server = FakeServer()
        server.startSession(linking: [self.cursor])
        return server
    }

    private func send(_ server: FakeServer, _ message: CursorServerMessage) -> Step {
        server.receive(self.cursor, server.server(self.cursor).message(type: message.type, body: message.encode()))
    }

    /// A 2×1 ALPHA cursor: one opaque red pixel, one half-transparent green one.
    private func alpha(_ id: UInt64, flags: CursorFlags = [], hotSpotX: UInt16 = 1) -> Cursor {
        Cursor(flags: flags, header: CursorHeader(unique: id, type: .alpha, width: 2, height: 1, hotSpotX: hotSpotX, hotSpotY: 0),
               data: [0x00, 0x00, 0xFF, 0xFF, 0x00, 0xFF, 0x00, 0x80])
    }

    private let alphaPixels: [UInt8] = [0xFF, 0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0x80]

    private func fromCache(_ id: UInt64) -> Cursor {
        Cursor(flags: .fromCache, header: CursorHeader(unique: id, type: 0, width: 0, height: 0, hotSpotX: 0, hotSpotY: 0))
    }

    private func shapes(_ step: Step) -> [CursorShape?] {
        step.events.compactMap { if case .cursorShape(_, let shape) = $0 { return .some(shape) } else { return nil } }
    }

    private func rejections(_ step: Step) -> [SpiceWireError] {
        step.events.compactMap { if case .cursorRejected(_, let error) = $0 { return error } else { return nil } }
    }

    // MARK: - INIT, SET, MOVE, HIDE, TRAIL, RESET

    func testInitShowsItsShapeAtItsPosition() throws {
        let server = self.linked()
        let step = self.send(server, .`init`(position: SpicePoint16(x: 300, y: 200), trailLength: 0, trailFrequency: 0, visible: true,
                                             cursor: self.alpha(1)))
        let expected = try XCTUnwrap(CursorShape(width: 2, height: 1, hotSpotX: 1, hotSpotY: 0, rgba: self.alphaPixels))
        XCTAssertEqual(step.events, [
            .cursorShape(self.cursor, expected),
            .cursorPosition(self.cursor, x: 300, y: 200),
            .cursorVisible(self.cursor, true),
        ])
        let info = try XCTUnwrap(server.session.cursor(of: self.cursor))
        XCTAssertEqual(info.shape, expected)
        XCTAssertEqual(info.x, 300)
        XCTAssertEqual(info.y, 200)
        XCTAssertTrue(info.visible)
        XCTAssertEqual(server.session.cursorStatistics(of: self.cursor)?.shapesDecoded, [CursorType.alpha.rawValue: 1])
    }

    func testInitWithoutAShapeIsTheDefaultCursorAndHidden() throws {
        let server = self.linked()
        let step = self.send(server, .`init`(position: .zero, trailLength: 2, trailFrequency: 5, visible: false, cursor: .none))
        XCTAssertEqual(step.events, [.cursorShape(self.cursor, nil), .cursorPosition(self.cursor, x: 0, y: 0), .cursorVisible(self.cursor, false)])
        XCTAssertEqual(server.session.cursor(of: self.cursor)?.trailLength, 2)
        XCTAssertEqual(server.session.cursor(of: self.cursor)?.trailFrequency, 5)
    }

    func testMoveHideAndTrail() {
        let server = self.linked()
        _ = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(1)))
        XCTAssertEqual(self.send(server, .move(SpicePoint16(x: -3, y: 40))).events, [.cursorPosition(self.cursor, x: -3, y: 40)])
        XCTAssertEqual(self.send(server, .hide).events, [.cursorVisible(self.cursor, false)])
        XCTAssertEqual(self.send(server, .trail(length: 3, frequency: 7)).events, [])
        let info = server.session.cursor(of: self.cursor)
        XCTAssertEqual(info?.x, -3)
        XCTAssertEqual(info?.visible, false)
        XCTAssertEqual(info?.trailLength, 3)
        XCTAssertNotNil(info?.shape, "hiding keeps the shape for when it is shown again")
        XCTAssertEqual(server.session.cursorStatistics(of: self.cursor)?.moves, 1)
    }

    func testResetForgetsTheCacheAndShowsTheDefaultCursor() {
        let server = self.linked()
        _ = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(5, flags: .cacheMe)))
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 1)
        XCTAssertEqual(self.send(server, .reset).events, [.cursorShape(self.cursor, nil)])
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 0)
        XCTAssertNil(server.session.cursor(of: self.cursor)?.shape)
    }

    // MARK: - Cache

    func testCachedShapeIsUsedFromCache() throws {
        let server = self.linked()
        let first = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(0xABC, flags: .cacheMe)))
        _ = self.send(server, .set(position: .zero, visible: true, cursor: .none))
        let again = self.send(server, .set(position: SpicePoint16(x: 5, y: 6), visible: true, cursor: self.fromCache(0xABC)))
        XCTAssertEqual(self.shapes(again), self.shapes(first))
        XCTAssertNotNil(self.shapes(again).first ?? nil)
        let statistics = try XCTUnwrap(server.session.cursorStatistics(of: self.cursor))
        XCTAssertEqual(statistics.cacheAdds, 1)
        XCTAssertEqual(statistics.cacheHits, 1)
        XCTAssertEqual(statistics.shapesDecoded[CursorType.alpha.rawValue], 1, "a cached shape is not decoded again")
    }

    func testRejectsCacheIdNeverSentAndKeepsThePreviousCursor() throws {
        let server = self.linked()
        let first = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(1)))
        let step = self.send(server, .set(position: SpicePoint16(x: 9, y: 9), visible: true, cursor: self.fromCache(0x77)))
        let error = try XCTUnwrap(self.rejections(step).first)
        XCTAssertEqual(error.message, "SET")
        XCTAssertEqual(error.field, "cursor.header.unique")
        XCTAssertEqual(error.code, .badValue)
        XCTAssertTrue(error.detail.contains("0x77"), error.detail)
        XCTAssertEqual(server.session.cursor(of: self.cursor)?.shape, self.shapes(first).first ?? nil, "the previous shape stays")
        XCTAssertEqual(server.session.cursor(of: self.cursor)?.x, 9, "the position still applies")
        XCTAssertEqual(server.session.status(of: self.cursor), .linked, "the channel goes on")
        XCTAssertEqual(server.session.cursorStatistics(of: self.cursor)?.rejected, 1)
    }

    func testInvalOneAndInvalAllForgetCachedShapes() {
        let server = self.linked()
        for id: UInt64 in [1, 2, 3] { _ = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(id, flags: .cacheMe))) }
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 3)
        _ = self.send(server, .invalOne(2))
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 2)
        XCTAssertEqual(self.rejections(self.send(server, .set(position: .zero, visible: true, cursor: self.fromCache(2)))).map(\.field),
                       ["cursor.header.unique"])
        XCTAssertEqual(self.rejections(self.send(server, .set(position: .zero, visible: true, cursor: self.fromCache(3)))), [])
        _ = self.send(server, .invalAll)
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 0)
        XCTAssertEqual(self.rejections(self.send(server, .set(position: .zero, visible: true, cursor: self.fromCache(1)))).count, 1)
    }

    func testCacheStaysWithinItsLimitDroppingTheOldestShape() {
        let server = self.linked()
        for id in 0...UInt64(CursorLimits.maxCachedShapes) {
            _ = self.send(server, .set(position: .zero, visible: true, cursor: self.alpha(id, flags: .cacheMe)))
        }
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), CursorLimits.maxCachedShapes)
        XCTAssertEqual(self.rejections(self.send(server, .set(position: .zero, visible: true, cursor: self.fromCache(0)))).count, 1, "the oldest went")
        XCTAssertEqual(self.rejections(self.send(server, .set(position: .zero, visible: true, cursor: self.fromCache(1)))), [])
    }

    // MARK: - Every type through the channel

    func testEveryCursorTypeIsDecodedThroughTheChannel() throws {
        let server = self.linked()
        for type in CursorType.allCases {
            // 1×1, one opaque white pixel in every encoding (MONO: AND 0, XOR 1; the colour types: AND 0).
            let data: [UInt8]
            switch type {
            case .alpha: data = [0xFF, 0xFF, 0xFF, 0xFF]
            case .mono: data = [0x00, 0x80]
            case .color4: data = [0x10] + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0] + [UInt8](repeating: 0, count: 56) + [0x00]
            case .color8: data = [0x01] + [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0] + [UInt8](repeating: 0, count: 1016) + [0x00]
            case .color16: data = [0xFF, 0x7F, 0x00]
            case .color24: data = [0xFF, 0xFF, 0xFF, 0x00]
            case .color32: data = [0xFF, 0xFF, 0xFF, 0x00, 0x00]
            }
            let step = self.send(server, .set(position: .zero, visible: true, cursor: Cursor(
                flags: [], header: CursorHeader(unique: 0, type: type, width: 1, height: 1, hotSpotX: 0, hotSpotY: 0), data: data)))
            let shape = try XCTUnwrap(self.shapes(step).first ?? nil, "\(type): \(step.events)")
            XCTAssertEqual(shape.pixel(x: 0, y: 0), Color(r: 255, g: 255, b: 255), "\(type)")
        }
        XCTAssertEqual(server.session.cursorStatistics(of: self.cursor)?.shapesDecoded.count, CursorType.allCases.count)
    }

    // MARK: - Bad shapes: refused, previous cursor kept, channel goes on

    private func assertRejected(_ bad: Cursor, field: String, _ code: SpiceWireError.Code, file: StaticString = #filePath, line: UInt = #line) {
        let server = self.linked()
        let good = self.send(server, .`init`(position: .zero, trailLength: 0, trailFrequency: 0, visible: true, cursor: self.alpha(1)))
        let step = self.send(server, .set(position: SpicePoint16(x: 1, y: 1), visible: true, cursor: bad))
        let errors = self.rejections(step)
        XCTAssertEqual(errors.map(\.field), [field], file: file, line: line)
        XCTAssertEqual(errors.first?.code, code, file: file, line: line)
        XCTAssertEqual(errors.first?.channel, "cursor", file: file, line: line)
        XCTAssertEqual(errors.first?.message, "SET", file: file, line: line)
        XCTAssertEqual(self.shapes(step), [], "no new shape", file: file, line: line)
        XCTAssertEqual(server.session.cursor(of: self.cursor)?.shape, self.shapes(good).first ?? nil, "the previous shape stays", file: file, line: line)
        XCTAssertEqual(server.session.status(of: self.cursor), .linked, file: file, line: line)
        // The channel still works.
        XCTAssertEqual(self.send(server, .move(SpicePoint16(x: 4, y: 4))).events, [.cursorPosition(self.cursor, x: 4, y: 4)], file: file, line: line)
    }

    func testRejectsCursorOverTheDimensionLimit() {
        let side = UInt16(Limits.maxCursorDimension + 1)
        self.assertRejected(Cursor(flags: [], header: CursorHeader(unique: 2, type: .alpha, width: side, height: 1, hotSpotX: 0, hotSpotY: 0),
                                   data: [UInt8](repeating: 0, count: Int(side) * 4)),
                            field: "cursor.header.width", .overLimit)
    }

    func testRejectsCursorDataShorterThanItsTypeNeeds() {
        self.assertRejected(Cursor(flags: [], header: CursorHeader(unique: 2, type: .color32, width: 4, height: 4, hotSpotX: 0, hotSpotY: 0),
                                   data: [UInt8](repeating: 0, count: 4 * 4 * 4)),
                            field: "cursor.data", .truncated)
    }

    func testRejectsAnUnknownCursorType() {
        self.assertRejected(Cursor(flags: [], header: CursorHeader(unique: 2, type: 9, width: 1, height: 1, hotSpotX: 0, hotSpotY: 0), data: [0]),
                            field: "cursor.header.type", .badValue)
    }

    func testARejectedShapeIsNotCached() {
        let server = self.linked()
        _ = self.send(server, .set(position: .zero, visible: true, cursor: Cursor(
            flags: .cacheMe, header: CursorHeader(unique: 8, type: .mono, width: 8, height: 8, hotSpotX: 0, hotSpotY: 0), data: [0])))
        XCTAssertEqual(server.session.cachedCursorCount(of: self.cursor), 0)
    }

    // MARK: - Bad messages: the channel closes (house rule 5)

    func testMalformedMoveClosesTheCursorChannelNamingIt() throws {
        let server = self.linked()
        let step = server.receive(self.cursor, server.server(self.cursor).message(type: CursorServerMessage.ID.move, body: [1, 0, 2]))
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertTrue(error.detail.contains("cursor channel, message MOVE, field position"), error.detail)
    }

    func testUnknownCursorMessageIsIgnored() {
        let server = self.linked()
        let step = server.receive(self.cursor, server.server(self.cursor).message(type: 150, body: [1, 2]))
        XCTAssertEqual(step.ignored.map(\.type), [150])
        XCTAssertEqual(server.session.status(of: self.cursor), .linked)
    }
}
