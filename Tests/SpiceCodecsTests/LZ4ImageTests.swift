import CLZ4
import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs
import XCTest

/// Tests for `LZ4ImageDecoder` (SPICE_IMAGE_TYPE_LZ4): images are compressed here with liblz4's own
/// streaming compressor, one block per group of rows as spice-server does, then decoded by the codec.
final class LZ4ImageTests: XCTestCase {
    // MARK: - Helpers

    /// The stream bytes of `pixels` (R,G,B,A, top row first) in a SPICE bitmap format, rows in stream order.
    private func packedRows(_ pixels: [[UInt8]], width: Int, height: Int, format: LZ4ImageDecoder.Format, topDown: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for y in testStreamRows(height: height, topDown: topDown) {
            for x in 0..<width {
                let p = pixels[y * width + x]
                switch format {
                case .thirtyTwoBit: out += [p[2], p[1], p[0], p[3]]  // the X byte is garbage the decoder must drop
                case .rgba: out += [p[2], p[1], p[0], p[3]]
                case .twentyFourBit: out += [p[2], p[1], p[0]]
                case .sixteenBit:
                    let word = UInt16(p[0] >> 3) << 10 | UInt16(p[1] >> 3) << 5 | UInt16(p[2] >> 3)
                    out += [UInt8(word & 0xFF), UInt8(word >> 8)]
                }
            }
        }
        return out
    }

    /// What the decoder must produce for `pixels` in `format`: R,G,B,A rows, A = 255 unless RGBA,
    /// 5-bit channels widened by repeating their high bits for 16BIT.
    private func expectedBytes(_ pixels: [[UInt8]], format: LZ4ImageDecoder.Format) -> [UInt8] {
        pixels.flatMap { p -> [UInt8] in
            switch format {
            case .rgba: return p
            case .thirtyTwoBit, .twentyFourBit: return [p[0], p[1], p[2], 255]
            case .sixteenBit:
                let widen = { (c: UInt8) -> UInt8 in (c >> 3) << 3 | (c >> 3) >> 2 }
                return [widen(p[0]), widen(p[1]), widen(p[2]), 255]
            }
        }
    }

    /// An LZ4 image payload: the two header bytes, then `rows` compressed `rowsPerBlock` rows at a time
    /// on one LZ4 stream, each block behind its big-endian length.
    private func lz4Payload(_ rows: [UInt8], rowBytes: Int, rowsPerBlock: Int, topDown: Bool, format: UInt8) throws -> [UInt8] {
        var out: [UInt8] = [topDown ? 1 : 0, format]
        let stream = try XCTUnwrap(LZ4_createStream())
        defer { LZ4_freeStream(stream) }
        rows.withUnsafeBufferPointer { input in
            var start = 0
            while start < rows.count {
                let count = min(rowsPerBlock * rowBytes, rows.count - start)
                let bound = Int(LZ4_compressBound(Int32(count)))
                var block = [UInt8](repeating: 0, count: bound)
                let size = block.withUnsafeMutableBufferPointer { dst in
                    LZ4_compress_fast_continue(stream, UnsafeRawPointer(input.baseAddress! + start).assumingMemoryBound(to: CChar.self),
                                               UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                               Int32(count), Int32(bound), 1)
                }
                XCTAssertGreaterThan(size, 0)
                testAppendBE32(UInt32(size), to: &out)
                out += block.prefix(Int(size))
                start += count
            }
        }
        return out
    }

    /// One LZ4 block by hand: literals only (the last sequence of any block).
    private func literalBlock(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let n = bytes.count
        out.append(UInt8(min(n, 15)) << 4)
        if n >= 15 {
            var rest = n - 15
            while rest >= 255 { out.append(255); rest -= 255 }
            out.append(UInt8(rest))
        }
        return out + bytes
    }

    private func framed(_ block: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        testAppendBE32(UInt32(block.count), to: &out)
        return out + block
    }

    private func decode(_ payload: [UInt8], width: Int, height: Int, decoder: LZ4ImageDecoder? = nil) throws -> Surface {
        let decoder = try decoder ?? LZ4ImageDecoder()
        return try payload.withUnsafeBytes { try decoder.decodeImage($0, width: width, height: height) }
    }

    private func assertLZ4Error(_ code: CodecError.Code, mentioning words: [String], file: StaticString = #filePath, line: UInt = #line,
                                _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? CodecError else { return XCTFail("not a CodecError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "lz4", file: file, line: line)
            for word in words {
                XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)", file: file, line: line)
            }
        }
    }

    // MARK: - Decoding

    func testEveryFormatInBothRowOrdersDecodesToRGBA() throws {
        // 150 x 130 is past LZ4's 64 KiB history in every format, so the widening that trails the decoding
        // runs between blocks as well as at the end.
        let width = 150, height = 130
        let pixels = testPixels(width: width, height: height, seed: 3)
        for format in [LZ4ImageDecoder.Format.thirtyTwoBit, .rgba, .twentyFourBit, .sixteenBit] {
            for topDown in [true, false] {
                let rows = self.packedRows(pixels, width: width, height: height, format: format, topDown: topDown)
                let payload = try self.lz4Payload(rows, rowBytes: width * format.bytesPerPixel, rowsPerBlock: 7, topDown: topDown,
                                                  format: format.rawValue)
                let surface = try self.decode(payload, width: width, height: height)
                XCTAssertEqual(surface.format, format == .rgba ? .argb32 : .xrgb32)
                XCTAssertEqual(testBytes(surface), self.expectedBytes(pixels, format: format), "\(format) topDown \(topDown)")
            }
        }
    }

    func testOneBlockForTheWholeImageDecodes() throws {
        let width = 200, height = 120
        let pixels = testPixels(width: width, height: height, seed: 9)
        let rows = self.packedRows(pixels, width: width, height: height, format: .thirtyTwoBit, topDown: true)
        let payload = try self.lz4Payload(rows, rowBytes: width * 4, rowsPerBlock: height, topDown: true, format: 8)
        XCTAssertEqual(testBytes(try self.decode(payload, width: width, height: height)), self.expectedBytes(pixels, format: .thirtyTwoBit))
    }

    func testLaterBlocksCopyFromEarlierBlocks() throws {
        // Every row is the same, so blocks after the first are almost all matches into earlier blocks: a
        // decoder that reset its history between blocks could not decode them.
        let width = 64, height = 40
        var row: [UInt8] = []
        for x in 0..<width { row += [UInt8(x * 3), UInt8(x * 5 & 0xFF), UInt8(255 - x), 0] }
        let rows = Array([[UInt8]](repeating: row, count: height).joined())
        let payload = try self.lz4Payload(rows, rowBytes: width * 4, rowsPerBlock: 4, topDown: true, format: 8)
        XCTAssertLessThan(payload.count, rows.count / 8, "later blocks should be references to earlier ones")
        let surface = try self.decode(payload, width: width, height: height)
        var expectedRow: [UInt8] = []
        for x in 0..<width { expectedRow += [UInt8(255 - x), UInt8(x * 5 & 0xFF), UInt8(x * 3), 255] }
        let expected = Array([[UInt8]](repeating: expectedRow, count: height).joined())
        XCTAssertEqual(testBytes(surface), expected)
    }

    func testOneDecoderDecodesImagesInTurnAndRecoversAfterAnError() throws {
        let decoder = try LZ4ImageDecoder()
        for (seed, size) in [(1, (31, 17)), (2, (5, 90)), (3, (31, 17))] {
            let pixels = testPixels(width: size.0, height: size.1, seed: UInt32(seed))
            let rows = self.packedRows(pixels, width: size.0, height: size.1, format: .twentyFourBit, topDown: false)
            let payload = try self.lz4Payload(rows, rowBytes: size.0 * 3, rowsPerBlock: 3, topDown: false, format: 7)
            XCTAssertEqual(testBytes(try self.decode(payload, width: size.0, height: size.1, decoder: decoder)),
                           self.expectedBytes(pixels, format: .twentyFourBit))
            XCTAssertThrowsError(try self.decode(Array(payload.dropLast(3)), width: size.0, height: size.1, decoder: decoder))
        }
    }

    func testDecodeIntoAnExistingSurface() throws {
        let pixels = testPixels(width: 9, height: 4, seed: 5)
        let rows = self.packedRows(pixels, width: 9, height: 4, format: .rgba, topDown: true)
        let payload = try self.lz4Payload(rows, rowBytes: 36, rowsPerBlock: 2, topDown: true, format: 9)
        let surface = try XCTUnwrap(Surface(width: 9, height: 4, format: .argb32))
        try payload.withUnsafeBytes { try LZ4ImageDecoder().decode($0, into: surface) }
        XCTAssertEqual(testBytes(surface), pixels.flatMap { $0 })
    }

    // MARK: - Rejections, one per bad input

    func testRejectsAHeaderCutShort() {
        for payload in [[], [1]] as [[UInt8]] {
            self.assertLZ4Error(.corruptData, mentioning: ["2-byte header"]) { _ = try self.decode(payload, width: 1, height: 1) }
        }
    }

    func testRejectsATopDownByteOtherThanZeroOrOne() {
        self.assertLZ4Error(.corruptData, mentioning: ["top_down byte is 2"]) {
            _ = try self.decode([2, 8] + self.framed(self.literalBlock([1, 2, 3, 4])), width: 1, height: 1)
        }
    }

    func testRejectsAFormatThatIsNotAnRGBBitmapFormat() {
        for format: UInt8 in [0, 1, 5, 10, 200] {
            self.assertLZ4Error(.corruptData, mentioning: ["format \(format)"]) {
                _ = try self.decode([1, format] + self.framed(self.literalBlock([1, 2, 3, 4])), width: 1, height: 1)
            }
        }
    }

    func testRejectsABlockLengthCutShort() {
        self.assertLZ4Error(.corruptData, mentioning: ["block length", "cut short"]) {
            _ = try self.decode([1, 8, 0, 0], width: 1, height: 1)
        }
    }

    func testRejectsAZeroLengthBlock() {
        self.assertLZ4Error(.corruptData, mentioning: ["length 0"]) { _ = try self.decode([1, 8, 0, 0, 0, 0], width: 1, height: 1) }
    }

    func testRejectsABlockThatRunsPastTheData() {
        let block = self.literalBlock([1, 2, 3, 4])
        var payload: [UInt8] = [1, 8]
        testAppendBE32(UInt32(block.count + 1), to: &payload)
        self.assertLZ4Error(.corruptData, mentioning: ["runs past"]) { _ = try self.decode(payload + block, width: 1, height: 1) }
    }

    func testRejectsABlockLongerThanItsBound() {
        // A 1x1 32-bit image is 4 bytes; no LZ4 block for 4 bytes is longer than LZ4_compressBound(4) = 20.
        let block = [UInt8](repeating: 0, count: 21)
        self.assertLZ4Error(.corruptData, mentioning: ["longer than any block", "4 bytes left"]) {
            _ = try self.decode([1, 8] + self.framed(block), width: 1, height: 1)
        }
    }

    func testRejectsABlockThatOverrunsTheImage() {
        // Eight bytes of output for a 1x1 image of four.
        self.assertLZ4Error(.corruptData, mentioning: ["decodes to more than 4 bytes"]) {
            _ = try self.decode([1, 8] + self.framed(self.literalBlock([1, 2, 3, 4, 5, 6, 7, 8])), width: 1, height: 1)
        }
    }

    func testRejectsABlockAfterTheImageIsComplete() {
        let block = self.framed(self.literalBlock([1, 2, 3, 4]))
        self.assertLZ4Error(.corruptData, mentioning: ["follows the end of the 4-byte image"]) {
            _ = try self.decode([1, 8] + block + block, width: 1, height: 1)
        }
    }

    func testRejectsBlocksThatEndBeforeTheImage() {
        self.assertLZ4Error(.corruptData, mentioning: ["ends after 4 of 8 bytes"]) {
            _ = try self.decode([1, 8] + self.framed(self.literalBlock([1, 2, 3, 4])), width: 2, height: 1)
        }
    }

    func testRejectsAnImageWithNoBlocks() {
        self.assertLZ4Error(.corruptData, mentioning: ["ends after 0 of 4 bytes"]) { _ = try self.decode([1, 8], width: 1, height: 1) }
    }

    func testRejectsAMalformedBlock() {
        // A token promising 15+ literals with nothing after it.
        self.assertLZ4Error(.corruptData, mentioning: ["malformed"]) {
            _ = try self.decode([1, 8] + self.framed([0xF0, 0xFF]), width: 4, height: 4)
        }
        // A match reaching before the start of the output.
        self.assertLZ4Error(.corruptData, mentioning: ["malformed"]) {
            _ = try self.decode([1, 8] + self.framed([0x14, 9, 0x40, 0x00, 0x00]), width: 4, height: 4)
        }
    }

    func testRejectsAnEmptyOrOversizedDescriptor() {
        let payload = [1, 8] + self.framed(self.literalBlock([1, 2, 3, 4]))
        for (width, height) in [(0, 1), (1, 0)] {
            self.assertLZ4Error(.invalidArgument, mentioning: ["\(width)x\(height)"]) { _ = try self.decode(payload, width: width, height: height) }
        }
        let big = [1, 8] + [UInt8](repeating: 0, count: 70_000)
        self.assertLZ4Error(.invalidArgument, mentioning: ["16385x1"]) {
            _ = try self.decode(big, width: CanvasLimits.maxSurfaceDimension + 1, height: 1)
        }
    }

    func testRejectsADescriptorTooLargeForThePayloadBeforeAllocating() {
        // 13 bytes cannot expand to the 256 MiB of an 8192 x 8192 image, whatever the blocks say.
        let payload = [1, 8] + self.framed(self.literalBlock([1, 2, 3, 4]))
        self.assertLZ4Error(.corruptData, mentioning: ["cannot hold a 8192x8192 image"]) { _ = try self.decode(payload, width: 8192, height: 8192) }
    }

    func testRejectsAnRGBAImageIntoASurfaceWithoutAlpha() throws {
        let surface = try XCTUnwrap(Surface(width: 1, height: 1, format: .xrgb32))
        let payload = [1, 9] + self.framed(self.literalBlock([1, 2, 3, 4]))
        self.assertLZ4Error(.invalidArgument, mentioning: ["needs a surface with alpha"]) {
            try payload.withUnsafeBytes { try LZ4ImageDecoder().decode($0, into: surface) }
        }
    }
}
