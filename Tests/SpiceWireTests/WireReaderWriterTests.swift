/// Tests for `WireReader` and `WireWriter`: little-endian scalars, offsets, limits and the end of a body.
import SpiceWire
import XCTest

final class WireReaderWriterTests: XCTestCase {
    // MARK: - Scalars

    func testReadsEveryScalarLittleEndian() throws {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F]
        var r = WireReader(bytes, channel: "test", message: "SCALARS")
        XCTAssertEqual(try r.readUInt8("a"), 0x01)
        XCTAssertEqual(try r.readUInt16LE("b"), 0x0302)
        XCTAssertEqual(try r.readUInt32LE("c"), 0x0706_0504)
        XCTAssertEqual(try r.readUInt64LE("d"), 0x0F0E_0D0C_0B0A_0908)
        XCTAssertEqual(r.remaining, 0)
        XCTAssertEqual(r.offset, 15)

        var s = WireReader([0xFE, 0xFF, 0xFD, 0xFF, 0xFF, 0xFF, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                           channel: "test", message: "SIGNED")
        XCTAssertEqual(try s.readInt16LE("a"), -2)
        XCTAssertEqual(try s.readInt32LE("b"), -3)
        XCTAssertEqual(try s.readInt64LE("c"), -4)
        try s.expectEnd()
    }

    func testWriterWritesEveryScalarLittleEndian() {
        var w = WireWriter()
        w.writeUInt8(0x01)
        w.writeUInt16LE(0x0302)
        w.writeUInt32LE(0x0706_0504)
        w.writeUInt64LE(0x0F0E_0D0C_0B0A_0908)
        w.writeInt16LE(-2)
        w.writeInt32LE(-3)
        w.writeInt64LE(-4)
        w.writeBytes([0xAA, 0xBB])
        XCTAssertEqual(w.bytes, [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
                                 0xFE, 0xFF, 0xFD, 0xFF, 0xFF, 0xFF, 0xFC, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                 0xAA, 0xBB])
        XCTAssertEqual(w.count, 31)
    }

    func testWriterPatchesAnEarlierWordInPlace() {
        var w = WireWriter()
        w.writeUInt8(0xEE)
        w.writeUInt32LE(0)
        w.writeUInt8(0xFF)
        w.setUInt32LE(0x1122_3344, at: 1)
        XCTAssertEqual(w.bytes, [0xEE, 0x44, 0x33, 0x22, 0x11, 0xFF])
    }

    // MARK: - Running out of bytes

    func testReadingPastTheEndThrowsTruncatedNamingTheField() {
        var r = WireReader([0x01, 0x02, 0x03], channel: "cursor", message: "SET")
        XCTAssertEqual(try r.readUInt16LE("x"), 0x0201)
        assertWireError(try r.readUInt32LE("y"), .truncated, channel: "cursor", message: "SET", field: "y")
        // A failed read consumes nothing: the one byte left is still there.
        XCTAssertEqual(r.remaining, 1)
    }

    func testReaderOverARangeNeverReadsPastTheRange() {
        let bytes: [UInt8] = [0xAA, 0x01, 0x02, 0xBB, 0xCC]
        var r = WireReader(bytes, range: 1..<3, channel: "test", message: "RANGE")
        XCTAssertEqual(r.bodySize, 2)
        XCTAssertEqual(try r.readUInt16LE("a"), 0x0201)
        assertWireError(try r.readUInt8("b"), .truncated, channel: "test", message: "RANGE", field: "b")
    }

    // MARK: - Offsets

    func testOffsetsAreRelativeToTheStartOfTheBody() throws {
        let bytes: [UInt8] = [0xAA, 0xAA, 0x10, 0x11, 0x12, 0x13]
        let r = WireReader(bytes, range: 2..<6, channel: "test", message: "PTR")
        var target = try r.reader(atOffset: 3, "ptr")
        XCTAssertEqual(target.offset, 3)
        XCTAssertEqual(try target.readUInt8("value"), 0x13)
        XCTAssertEqual(try r.bytes(atOffset: 1, count: 2, limit: 10, "ptr"), [0x11, 0x12])
    }

    func testOffsetAtTheEndOfTheBodyIsEmptyButOnePastIsRejected() throws {
        let r = WireReader([0x01, 0x02], channel: "test", message: "PTR")
        let atEnd = try r.reader(atOffset: 2, "ptr")
        XCTAssertEqual(atEnd.remaining, 0)
        assertWireError(try r.reader(atOffset: 3, "ptr"), .badOffset, channel: "test", message: "PTR", field: "ptr")
        assertWireError(try r.reader(atOffset: .max, "ptr"), .badOffset, channel: "test", message: "PTR", field: "ptr")
    }

    func testNullPointerWithZeroCountIsAbsent() throws {
        let r = WireReader([0x01, 0x02], channel: "test", message: "PTR")
        XCTAssertEqual(try r.bytes(atOffset: 0, count: 0, limit: 0, "ptr"), [])
    }

    func testPointedBytesRunningPastTheBodyAreTruncated() {
        let r = WireReader([0x01, 0x02, 0x03], channel: "test", message: "PTR")
        assertWireError(try r.bytes(atOffset: 2, count: 2, limit: 10, "ptr"), .truncated, channel: "test", message: "PTR", field: "ptr")
    }

    // MARK: - Limits and the end

    func testByteRunOverItsLimitIsRejectedBeforeTheLengthIsTrusted() {
        // The body is too short as well, but the limit is checked first: that is what keeps a hostile length
        // from sizing anything.
        var r = WireReader([0x01], channel: "test", message: "RUN")
        assertWireError(try r.readBytes(5, limit: 4, "data"), .overLimit, channel: "test", message: "RUN", field: "data")
        XCTAssertEqual(try r.readBytes(1, limit: 1, "data"), [0x01])
    }

    func testReadRestTakesEveryByteLeftWithinItsLimit() throws {
        var r = WireReader([0x01, 0x02, 0x03], channel: "test", message: "REST")
        _ = try r.readUInt8("first")
        XCTAssertEqual(try r.readRest(limit: 2, "data"), [0x02, 0x03])
        try r.expectEnd()

        var over = WireReader([0x01, 0x02, 0x03], channel: "test", message: "REST")
        assertWireError(try over.readRest(limit: 2, "data"), .overLimit, channel: "test", message: "REST", field: "data")
    }

    func testCheckAcceptsTheLimitAndRejectsOneMore() throws {
        let r = WireReader([], channel: "test", message: "COUNT")
        XCTAssertEqual(try r.check(UInt32(10), limit: 10, "count"), 10)
        assertWireError(try r.check(UInt32(11), limit: 10, "count"), .overLimit, channel: "test", message: "COUNT", field: "count")
        assertWireError(try r.check(Int32(-1), limit: 10, "count"), .overLimit, channel: "test", message: "COUNT", field: "count")
    }

    func testExpectEndRejectsLeftoverBytes() throws {
        var r = WireReader([0x01, 0x02], channel: "test", message: "END")
        _ = try r.readUInt8("a")
        assertWireError(try r.expectEnd(), .trailingBytes, channel: "test", message: "END", field: "end")
        _ = try r.readUInt8("b")
        try r.expectEnd()
    }
}
