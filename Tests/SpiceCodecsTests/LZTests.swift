import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs
import XCTest

/// The LZ decoder against streams written by the test encoder (`LZTestEncoder.swift`): every image type in
/// both row orders, references that overlap their output, far distances and long lengths, and one named
/// test per kind of bad input.
final class LZTests: XCTestCase {
    private let decoder = LZDecoder()

    // MARK: - Helpers

    /// An LZ stream of `pixels` as `type` (RGB24, RGB32 or RGBA).
    private func encodeRGB(_ type: LZ.ImageType, _ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> [UInt8] {
        let keys = testRGBKeys(pixels, width: width, height: height, topDown: topDown)
        var out = testLZHeader(type: type, width: width, height: height, topDown: topDown)
        out += testLZBody(testTokenize(keys, kind: .rgb24, maxBack: 73727, distances: [1, 2, 3, width]), keys: keys, kind: .rgb24)
        if type == .rgba {
            let alpha = testAlphaKeys(pixels, width: width, height: height, topDown: topDown)
            out += testLZBody(testTokenize(alpha, kind: .byte, maxBack: 73727, distances: [1, width]), keys: alpha, kind: .byte)
        }
        return out
    }

    private func decode(_ bytes: [UInt8], palette: [UInt32]? = nil, into surface: Surface) throws {
        try self.decoder.decode(bytes[...], palette: palette, into: surface)
    }

    private func surface(_ width: Int, _ height: Int, _ format: PixelFormat = .xrgb32) -> Surface {
        Surface(width: width, height: height, format: format)!
    }

    private func assertLZError(_ code: CodecError.Code, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "lz", file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    /// A small valid RGB32 stream: one literal pixel then a run.
    private func smallStream(width: Int = 4, height: Int = 1) -> [UInt8] {
        testLZHeader(type: .rgb32, width: width, height: height, topDown: true)
            + [0x00, 0x01, 0x02, 0x03] + [UInt8(((width * height - 1) << 5) & 0xE0), 0x00]
    }

    // MARK: - Round trips

    func testRGB32RoundTripsTopDownAndBottomUp() throws {
        for (width, height) in [(1, 1), (37, 23), (64, 48), (5, 300)] {
            for topDown in [true, false] {
                let pixels = testPixels(width: width, height: height, seed: UInt32(width + height))
                let surface = self.surface(width, height)
                try self.decode(self.encodeRGB(.rgb32, pixels, width: width, height: height, topDown: topDown), into: surface)
                XCTAssertEqual(testBytes(surface), testOpaqueBytes(pixels), "\(width)x\(height) topDown \(topDown)")
            }
        }
    }

    func testTestImagesUseEveryKindOfReference() {
        // The round trips only prove something if the streams hold runs, overlapping copies, plain copies
        // and lengths long enough to need extension bytes.
        let keys = testRGBKeys(testPixels(width: 64, height: 48, seed: 3), width: 64, height: 48, topDown: true)
        let tokens = testTokenize(keys, kind: .rgb24, maxBack: 73727, distances: [1, 2, 3, 64])
        let backs = tokens.compactMap { token -> (Int, Int)? in
            if case .back(let length, let distance) = token { return (length, distance) }
            return nil
        }
        XCTAssertTrue(backs.contains { $0.1 == 1 && $0.0 > 1 }, "a run")
        XCTAssertTrue(backs.contains { $0.1 > 1 && $0.1 < $0.0 }, "a reference overlapping its output")
        XCTAssertTrue(backs.contains { $0.1 >= $0.0 }, "a reference that does not overlap")
        XCTAssertTrue(backs.contains { $0.0 >= 7 + 255 }, "a length with two extension bytes")
        XCTAssertTrue(tokens.contains { if case .literals(let r) = $0 { r.count == 32 } else { false } }, "a full literal run")
    }

    func testRGB24StreamDecodesLikeRGB32() throws {
        let pixels = testPixels(width: 31, height: 17, seed: 9)
        for topDown in [true, false] {
            let surface = self.surface(31, 17)
            try self.decode(self.encodeRGB(.rgb24, pixels, width: 31, height: 17, topDown: topDown), into: surface)
            XCTAssertEqual(testBytes(surface), testOpaqueBytes(pixels))
        }
    }

    func testRGBAAddsAnAlphaPass() throws {
        for topDown in [true, false] {
            let pixels = testPixels(width: 45, height: 19, seed: 4)
            let surface = self.surface(45, 19, .argb32)
            try self.decode(self.encodeRGB(.rgba, pixels, width: 45, height: 19, topDown: topDown), into: surface)
            XCTAssertEqual(testBytes(surface), pixels.flatMap { $0 })
        }
    }

    func testRGB16IsWidenedFromX555ByRepeatingHighBits() throws {
        let width = 23, height = 11
        // Words with the unused top bit set too: it must be ignored.
        let words: [UInt32] = (0..<(width * height)).map { i in
            let p = testPixels(width: width, height: height, seed: 2)[i]
            return UInt32(p[0] >> 3) << 10 | UInt32(p[1] >> 3) << 5 | UInt32(p[2] >> 3) | (i % 7 == 0 ? 0x8000 : 0)
        }
        func widen(_ v: UInt32) -> UInt8 { UInt8(v << 3 | v >> 2) }
        let expected = words.flatMap { [widen($0 >> 10 & 31), widen($0 >> 5 & 31), widen($0 & 31), 255] }
        for topDown in [true, false] {
            let keys = testStreamRows(height: height, topDown: topDown).flatMap { y in words[(y * width)..<(y * width + width)] }
            let bytes = testLZHeader(type: .rgb16, width: width, height: height, topDown: topDown)
                + testLZBody(testTokenize(keys, kind: .rgb16, maxBack: 73727, distances: [1, 3, width]), keys: keys, kind: .rgb16)
            let surface = self.surface(width, height)
            try self.decode(bytes, into: surface)
            XCTAssertEqual(testBytes(surface), expected)
        }
        // The classic corners: pure red, green and blue, and mid grey.
        let corners: [UInt32] = [0x7C00, 0x03E0, 0x001F, 0x4210]
        let bytes = testLZHeader(type: .rgb16, width: 4, height: 1, topDown: true) + testLZBody([.literals(0..<4)], keys: corners, kind: .rgb16)
        let surface = self.surface(4, 1)
        try self.decode(bytes, into: surface)
        XCTAssertEqual(testBytes(surface), [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 132, 132, 132, 255])
    }

    func testXXXAWritesOnlyTheAlphaOfAJPEGSurface() throws {
        let width = 29, height = 13
        let pixels = testPixels(width: width, height: height, seed: 6)
        for topDown in [true, false] {
            let surface = self.surface(width, height, .argb32)
            // The JPEG's colours, already in place.
            let colours: [UInt8] = (0..<(width * height * 4)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            colours.withUnsafeBytes { surface.pixels.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            let keys = testAlphaKeys(pixels, width: width, height: height, topDown: topDown)
            let bytes = testLZHeader(type: .xxxa, width: width, height: height, topDown: topDown)
                + testLZBody(testTokenize(keys, kind: .byte, maxBack: 73727, distances: [1, width]), keys: keys, kind: .byte)
            try self.decoder.decodeAlpha(bytes[...], topDown: topDown, into: surface)
            var expected = colours
            for i in 0..<(width * height) { expected[i * 4 + 3] = pixels[i][3] }
            XCTAssertEqual(testBytes(surface), expected, "topDown \(topDown)")
        }
    }

    func testA8DecodesIntoAnAlphaSurface() throws {
        let width = 19, height = 27
        let pixels = testPixels(width: width, height: height, seed: 8)
        for topDown in [true, false] {
            let keys = testAlphaKeys(pixels, width: width, height: height, topDown: topDown)
            let bytes = testLZHeader(type: .a8, width: width, height: height, topDown: topDown)
                + testLZBody(testTokenize(keys, kind: .byte, maxBack: 73727, distances: [1, width]), keys: keys, kind: .byte)
            let surface = self.surface(width, height, .a8)
            try self.decode(bytes, into: surface)
            XCTAssertEqual(testBytes(surface), pixels.map { $0[3] })
        }
    }

    func testPaletteTypesExpandThroughThePaletteIgnoringRowPadding() throws {
        let palette: [UInt32] = [0x10_2030, 0xFF_0000, 0x00_FF00, 0x00_00FF, 0x80_8080, 0x12_3456, 0xAB_CDEF]
        let cases: [(LZ.ImageType, Int)] = [(.plt8, 7), (.plt4BE, 7), (.plt4LE, 7), (.plt1BE, 2), (.plt1LE, 2)]
        for (type, entries) in cases {
            for (width, height) in [(13, 9), (16, 4), (1, 3)] {
                for topDown in [true, false] {
                    let indices = (0..<(width * height)).map { i in ((i / 3) ^ (i / width)) % entries }
                    // Row padding of 4-bit data names entry 15, which the palette lacks: it is never visible.
                    let shortPalette = type == .plt1BE || type == .plt1LE ? Array(palette.prefix(2)) : palette
                    let keys = testPackedIndices(indices, type: type, width: width, height: height, topDown: topDown, padding: 15)
                    let bytes = testLZHeader(type: type, width: width, height: height, topDown: topDown)
                        + testLZBody(testTokenize(keys, kind: .byte, maxBack: 73727, distances: [1, 2]), keys: keys, kind: .byte)
                    let surface = self.surface(width, height)
                    try self.decode(bytes, palette: shortPalette, into: surface)
                    XCTAssertEqual(testBytes(surface), indices.flatMap { testPaletteBytes(palette[$0]) }, "\(type) \(width)x\(height) \(topDown)")
                }
            }
        }
    }

    func testReferencesOverlappingTheirOutputRepeatIt() throws {
        // A, B, C; then 12 pixels from 3 back (ABCABC…); then 5 from 1 back (a run of C).
        let keys: [UInt32] = [0x0A_0B0C, 0x01_0203, 0xFF_0000] + [UInt32](repeating: 0, count: 17)
        let tokens: [TestToken] = [.literals(0..<3), .back(length: 12, distance: 3), .back(length: 5, distance: 1)]
        let bytes = testLZHeader(type: .rgb32, width: 20, height: 1, topDown: true) + testLZBody(tokens, keys: keys, kind: .rgb24)
        let surface = self.surface(20, 1)
        try self.decode(bytes, into: surface)
        let a: [UInt8] = [0x0A, 0x0B, 0x0C, 255], b: [UInt8] = [0x01, 0x02, 0x03, 255], c: [UInt8] = [0xFF, 0x00, 0x00, 255]
        XCTAssertEqual(testBytes(surface), [[UInt8]](repeating: a + b + c, count: 5).flatMap { $0 } + [[UInt8]](repeating: c, count: 5).flatMap { $0 })
    }

    func testEveryShortDistanceAndLengthCopiesElementByElement() throws {
        // References are copied in runs, pairs and blocks of four where LZ's element-by-element meaning
        // allows: check every distance and length up to 40 against that meaning, in every pass kind.
        for distance in 1...20 {
            for length in 1...40 {
                var keys: [UInt32] = (0..<distance).map { UInt32($0 &* 0x2F_1B07 &+ 0x10_0000) & 0xFF_FFFF }
                for _ in 0..<length { keys.append(keys[keys.count - distance]) }
                let tokens: [TestToken] = stride(from: 0, to: distance, by: 32).map { .literals($0..<min($0 + 32, distance)) }
                    + [.back(length: length, distance: distance)]
                let count = keys.count
                // RGB32: whole pixels.
                let surface = self.surface(count, 1)
                try self.decode(testLZHeader(type: .rgb32, width: count, height: 1, topDown: true) + testLZBody(tokens, keys: keys, kind: .rgb24), into: surface)
                XCTAssertEqual(testBytes(surface), keys.flatMap { [UInt8($0 >> 16), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF), 255] },
                               "rgb32 distance \(distance) length \(length)")
                // A8 bytes and the RGBA alpha pass (lengths of at least 3).
                guard length >= 3 else { continue }
                let bytes = keys.map { $0 & 0xFF }
                let a8 = self.surface(count, 1, .a8)
                try self.decode(testLZHeader(type: .a8, width: count, height: 1, topDown: true) + testLZBody(tokens, keys: bytes, kind: .byte), into: a8)
                XCTAssertEqual(testBytes(a8), bytes.map { UInt8($0) }, "a8 distance \(distance) length \(length)")
                let rgba = self.surface(count, 1, .argb32)
                let colour = testLZBody([.literals(0..<1), .back(length: count - 1, distance: 1)], keys: [0x010203], kind: .rgb24)
                try self.decode(testLZHeader(type: .rgba, width: count, height: 1, topDown: true) + colour
                                + testLZBody(tokens, keys: bytes, kind: .byte), into: rgba)
                XCTAssertEqual(testBytes(rgba), bytes.flatMap { [1, 2, 3, UInt8($0)] }, "alpha distance \(distance) length \(length)")
            }
        }
    }

    func testFarDistancesAndLongLengths() throws {
        // 100x100: 9100 noisy pixels, then 900 pixels copied from 9000 back (the 16-bit far form, and a
        // length of three extension bytes).
        var keys: [UInt32] = (0..<9100).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) & 0xFF_FFFF }
        for i in 9100..<10000 { keys.append(keys[i - 9000]) }
        var tokens: [TestToken] = stride(from: 0, to: 9100, by: 32).map { .literals($0..<min($0 + 32, 9100)) }
        tokens.append(.back(length: 900, distance: 9000))
        let body = testLZBody(tokens, keys: keys, kind: .rgb24)
        // Control (length 7+, far marker bits), 255, 255, 255, 128 (7 + 893 = 900), then 255 and 8999 - 8191 = 808.
        XCTAssertEqual(Array(body.suffix(8)), [0xFF, 255, 255, 255, 128, 255, 3, 40])
        let surface = self.surface(100, 100)
        try self.decode(testLZHeader(type: .rgb32, width: 100, height: 100, topDown: true) + body, into: surface)
        XCTAssertEqual(testBytes(surface), keys.flatMap { [UInt8($0 >> 16 & 0xFF), UInt8($0 >> 8 & 0xFF), UInt8($0 & 0xFF), 255] })
    }

    func testDecodeImageMakesASurfaceOfTheHeaderFormat() throws {
        let pixels = testPixels(width: 12, height: 7, seed: 1)
        let rgba = try self.decoder.decodeImage(self.encodeRGB(.rgba, pixels, width: 12, height: 7, topDown: true)[...],
                                                palette: nil, width: 12, height: 7)
        XCTAssertEqual(rgba.format, .argb32)
        XCTAssertEqual(testBytes(rgba), pixels.flatMap { $0 })
        let rgb = try self.decoder.decodeImage(self.encodeRGB(.rgb32, pixels, width: 12, height: 7, topDown: false)[...],
                                               palette: nil, width: 12, height: 7)
        XCTAssertEqual(rgb.format, .xrgb32)
        XCTAssertEqual(testBytes(rgb), testOpaqueBytes(pixels))
    }

    func testDecodingAPayloadSliceInsideALargerMessage() throws {
        // The wire hands the codec a slice of the message body, not starting at index 0.
        let stream = self.smallStream()
        let message = [UInt8](repeating: 0xEE, count: 11) + stream + [0xEE, 0xEE]
        let surface = self.surface(4, 1)
        try self.decoder.decode(message[11..<(11 + stream.count)], palette: nil, into: surface)
        XCTAssertEqual(testBytes(surface), [UInt8]([3, 2, 1, 255, 3, 2, 1, 255, 3, 2, 1, 255, 3, 2, 1, 255]))
    }

    // MARK: - Bad input

    func testRejectsBadMagic() {
        var bytes = self.smallStream()
        bytes[0] = 0x4C
        self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(4, 1)) }
    }

    func testRejectsBadVersion() {
        let bytes = testLZHeader(type: .rgb32, width: 4, height: 1, topDown: true, version: 0x0001_0000) + Array(self.smallStream()[28...])
        self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(4, 1)) }
    }

    func testRejectsUnknownImageType() {
        for type: UInt32 in [0, 12, 0x0100_0008] {
            var bytes = self.smallStream()
            bytes.replaceSubrange(8..<12, with: [UInt8(type >> 24), UInt8(type >> 16 & 0xFF), UInt8(type >> 8 & 0xFF), UInt8(type & 0xFF)])
            self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(4, 1)) }
        }
    }

    func testRejectsDimensionsThatAreEmptyOrOverflowTheLimits() {
        for (width, height) in [(0, 1), (1, 0), (16385, 1), (10000, 10000), (Int(UInt32.max), 2)] {
            let bytes = testLZHeader(type: .rgb32, width: width, height: height, stride: width &* 4 & 0xFFFF_FFFF, topDown: true) + [0, 0, 0, 0]
            self.assertLZError(.corruptData) { _ = try bytes.withUnsafeBytes { try LZ.Header(parsing: $0) } }
        }
    }

    func testRejectsStrideThatDisagreesWithTheWidth() {
        for (type, stride) in [(LZ.ImageType.rgb32, 20), (.rgb24, 16), (.plt8, 5), (.plt4BE, 3), (.plt1LE, 2)] {
            let bytes = testLZHeader(type: type, width: 4, height: 1, stride: stride, topDown: true) + [0, 0]
            self.assertLZError(.corruptData) { try self.decode(bytes, palette: [0, 1], into: self.surface(4, 1)) }
        }
    }

    func testRejectsADestinationOfAnotherSizeOrFormat() {
        self.assertLZError(.invalidArgument) { try self.decode(self.smallStream(), into: self.surface(5, 1)) }
        self.assertLZError(.invalidArgument) { try self.decode(self.smallStream(), into: self.surface(4, 1, .a8)) }
        let rgba = self.encodeRGB(.rgba, testPixels(width: 4, height: 1, seed: 0), width: 4, height: 1, topDown: true)
        self.assertLZError(.invalidArgument) { try self.decode(rgba, into: self.surface(4, 1, .xrgb32)) }
    }

    func testRejectsAHeaderThatDisagreesWithTheDescriptor() {
        self.assertLZError(.corruptData) { _ = try self.decoder.decodeImage(self.smallStream()[...], palette: nil, width: 4, height: 2) }
        self.assertLZError(.corruptData) { _ = try self.decoder.decodeImage(self.smallStream()[...], palette: nil, width: 3, height: 1) }
    }

    func testRejectsAStreamEndingEarlyAtEveryByte() {
        // RGBA: both passes, references and literals, cut at every byte.
        let pixels = testPixels(width: 20, height: 6, seed: 5)
        let bytes = self.encodeRGB(.rgba, pixels, width: 20, height: 6, topDown: false)
        for cut in 0..<bytes.count {
            self.assertLZError(.corruptData) { try self.decode(Array(bytes[..<cut]), into: self.surface(20, 6, .argb32)) }
        }
        // And a reference whose far form or length extension is cut.
        let far = testLZHeader(type: .rgb32, width: 1, height: 1, topDown: true) + [0xFF, 255]
        self.assertLZError(.corruptData) { try self.decode(far, into: self.surface(1, 1)) }
    }

    func testRejectsBytesAfterTheImage() {
        self.assertLZError(.corruptData) { try self.decode(self.smallStream() + [0], into: self.surface(4, 1)) }
    }

    func testRejectsAReferenceBeforeTheImageStart() {
        // One literal pixel, then a reference 2 back.
        let bytes = testLZHeader(type: .rgb32, width: 4, height: 1, topDown: true) + [0x00, 1, 2, 3, 0x40, 0x01]
        self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(4, 1)) }
        // The far form, 8192 + back from pixel 1.
        let far = testLZHeader(type: .rgb32, width: 4, height: 1, topDown: true) + [0x00, 1, 2, 3, 0x3F, 255, 0, 0]
        self.assertLZError(.corruptData) { try self.decode(far, into: self.surface(4, 1)) }
    }

    func testRejectsAReferenceRunningPastTheOutput() {
        // One literal pixel, then 5 pixels from 1 back into a 4-pixel image.
        let bytes = testLZHeader(type: .rgb32, width: 4, height: 1, topDown: true) + [0x00, 1, 2, 3, 0xA0, 0x00]
        self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(4, 1)) }
        // The same with a length that the extension bytes make huge.
        let huge = testLZHeader(type: .rgb32, width: 4, height: 1, topDown: true) + [0x00, 1, 2, 3, 0xE0] + [UInt8](repeating: 255, count: 1000) + [0, 0]
        self.assertLZError(.corruptData) { try self.decode(huge, into: self.surface(4, 1)) }
    }

    func testRejectsALiteralRunPastTheOutput() {
        let bytes = testLZHeader(type: .rgb32, width: 2, height: 1, topDown: true) + [0x02] + [UInt8](repeating: 7, count: 9)
        self.assertLZError(.corruptData) { try self.decode(bytes, into: self.surface(2, 1)) }
    }

    func testRejectsAPaletteIndexPastThePalette() {
        let keys: [UInt32] = [0, 1, 2, 5]
        let bytes = testLZHeader(type: .plt8, width: 4, height: 1, topDown: true) + testLZBody([.literals(0..<4)], keys: keys, kind: .byte)
        self.assertLZError(.corruptData) { try self.decode(bytes, palette: [0, 1, 2, 3], into: self.surface(4, 1)) }
        // A visible 1 in 1-bit data with a one-entry palette.
        let bits = testLZHeader(type: .plt1BE, width: 3, height: 1, topDown: true) + testLZBody([.literals(0..<1)], keys: [0x20], kind: .byte)
        self.assertLZError(.corruptData) { try self.decode(bits, palette: [0xFFFFFF], into: self.surface(3, 1)) }
    }

    func testRejectsAPaletteImageWithoutAPalette() {
        let bytes = testLZHeader(type: .plt8, width: 1, height: 1, topDown: true) + [0x00, 0x00]
        self.assertLZError(.corruptData) { try self.decode(bytes, palette: nil, into: self.surface(1, 1)) }
        self.assertLZError(.corruptData) { try self.decode(bytes, palette: [], into: self.surface(1, 1)) }
    }

    func testXXXAIsOnlyForJPEGAlphaAndMustAgreeOnRowOrder() {
        let bytes = testLZHeader(type: .xxxa, width: 1, height: 1, topDown: true) + [0x00, 0x80]
        self.assertLZError(.unsupported) { try self.decode(bytes, into: self.surface(1, 1, .argb32)) }
        self.assertLZError(.corruptData) { try self.decoder.decodeAlpha(bytes[...], topDown: false, into: self.surface(1, 1, .argb32)) }
        self.assertLZError(.corruptData) { try self.decoder.decodeAlpha(self.smallStream()[...], topDown: true, into: self.surface(4, 1, .argb32)) }
        self.assertLZError(.invalidArgument) { try self.decoder.decodeAlpha(bytes[...], topDown: true, into: self.surface(1, 1, .xrgb32)) }
    }

    func testSurvivesRandomCorruption() {
        // Whatever a damaged stream holds, decoding ends in success or a CodecError, never a crash.
        let width = 24, height = 10
        let pixels = testPixels(width: width, height: height, seed: 12)
        let palette: [UInt32] = [1, 2, 3, 4, 5]
        let indices = (0..<(width * height)).map { $0 % 5 }
        let keys = testPackedIndices(indices, type: .plt4LE, width: width, height: height, topDown: true)
        let streams: [([UInt8], PixelFormat)] = [
            (self.encodeRGB(.rgba, pixels, width: width, height: height, topDown: true), .argb32),
            (self.encodeRGB(.rgb32, pixels, width: width, height: height, topDown: false), .xrgb32),
            (testLZHeader(type: .plt4LE, width: width, height: height, topDown: true)
                + testLZBody(testTokenize(keys, kind: .byte, maxBack: 73727), keys: keys, kind: .byte), .xrgb32),
        ]
        var state: UInt64 = 0x1234_5678
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for round in 0..<3000 {
            let (original, format) = streams[round % streams.count]
            var bytes = original
            for _ in 0..<(1 + next() % 4) {
                let at = LZ.Header.byteCount + next() % (bytes.count - LZ.Header.byteCount)
                bytes[at] = UInt8(truncatingIfNeeded: next())
            }
            if next() % 8 == 0 { bytes.removeLast(next() % 16) }
            do {
                try self.decode(bytes, palette: palette, into: self.surface(width, height, format))
            } catch let error as CodecError {
                XCTAssertEqual(error.codec, "lz")
            } catch {
                XCTFail("unexpected \(error)")
            }
        }
    }
}
