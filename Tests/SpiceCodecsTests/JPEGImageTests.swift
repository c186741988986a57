import CTurboJPEG
import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs
import XCTest

/// Tests for `JPEGImageDecoder` (SPICE_IMAGE_TYPE_JPEG and JPEG_ALPHA): JPEGs are compressed here with
/// TurboJPEG's compressor, alpha planes with the test LZ encoder; the expected colours are what TurboJPEG
/// itself decodes from the same bytes, so every pixel is compared exactly.
final class JPEGImageTests: XCTestCase {
    // MARK: - Helpers

    /// Compresses R,G,B,A pixels (top row first; alpha ignored) to a baseline JFIF.
    private func compressJPEG(_ pixels: [[UInt8]], width: Int, height: Int, quality: Int32 = 85) throws -> [UInt8] {
        let rgb = pixels.flatMap { [$0[0], $0[1], $0[2]] }
        let handle = try XCTUnwrap(tjInitCompress())
        defer { _ = tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = rgb.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer, &size,
                        Int32(TJSAMP_420.rawValue), quality, 0)
        }
        XCTAssertEqual(rc, 0, String(cString: tjGetErrorStr2(handle)))
        defer { tjFree(buffer) }
        return Array(UnsafeBufferPointer(start: try XCTUnwrap(buffer), count: Int(size)))
    }

    /// What TurboJPEG decodes `jpeg` to, as R,G,B,A bytes with A = 255.
    private func reference(_ jpeg: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        let handle = try XCTUnwrap(tjInitDecompress())
        defer { _ = tjDestroy(handle) }
        var out = [UInt8](repeating: 0, count: width * height * 4)
        let rc = out.withUnsafeMutableBufferPointer { dst in
            tjDecompress2(handle, jpeg, UInt(jpeg.count), dst.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGBA.rawValue), 0)
        }
        XCTAssertEqual(rc, 0)
        return out
    }

    /// An XXXA alpha plane for `pixels`, rows in the order `topDown` gives.
    private func alphaPlane(_ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> [UInt8] {
        let keys = testAlphaKeys(pixels, width: width, height: height, topDown: topDown)
        return testLZHeader(type: .xxxa, width: width, height: height, topDown: topDown)
            + testLZBody(testTokenize(keys, kind: .byte, maxBack: 73727, distances: [1, width]), keys: keys, kind: .byte)
    }

    private func decodeJPEG(_ data: [UInt8], width: Int, height: Int, decoder: JPEGImageDecoder? = nil) throws -> Surface {
        try (decoder ?? JPEGImageDecoder()).decodeImage(data[...], width: width, height: height)
    }

    private func decodeAlpha(flags: UInt8, jpegSize: Int, _ data: [UInt8], width: Int, height: Int) throws -> Surface {
        try JPEGImageDecoder().decodeAlphaImage(flags: flags, jpegSize: jpegSize, data[...], width: width, height: height, lz: LZDecoder())
    }

    private func assertError(_ code: CodecError.Code, codec: String = "jpeg", mentioning words: [String],
                             file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? CodecError else { return XCTFail("not a CodecError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, codec, "\(error)", file: file, line: line)
            for word in words {
                XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)", file: file, line: line)
            }
        }
    }

    /// Peak signal-to-noise ratio of the colour channels, in dB.
    private func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var sum = 0.0, count = 0
        for i in stride(from: 0, to: a.count, by: 4) {
            for c in 0..<3 {
                let d = Double(a[i + c]) - Double(b[i + c])
                sum += d * d
                count += 1
            }
        }
        return sum == 0 ? .infinity : 10 * log10(255 * 255 / (sum / Double(count)))
    }

    /// A smooth, photo-like image: what JPEG keeps well.
    private func photo(width: Int, height: Int) -> [[UInt8]] {
        (0..<(width * height)).map { i in
            let x = Double(i % width), y = Double(i / width)
            return [UInt8(127 + 100 * sin(x / 9)), UInt8(127 + 100 * cos(y / 7)), UInt8(127 + 90 * sin((x + y) / 13)), UInt8((i * 7) & 0xFF)]
        }
    }

    // MARK: - JPEG

    func testJPEGDecodesToExactlyWhatTurboJPEGDecodesAndStaysOpaque() throws {
        let width = 70, height = 45
        let pixels = self.photo(width: width, height: height)
        let jpeg = try self.compressJPEG(pixels, width: width, height: height)
        let surface = try self.decodeJPEG(jpeg, width: width, height: height)
        XCTAssertEqual(surface.format, .xrgb32)
        let bytes = testBytes(surface)
        XCTAssertEqual(bytes, try self.reference(jpeg, width: width, height: height))
        XCTAssertTrue(stride(from: 3, to: bytes.count, by: 4).allSatisfy { bytes[$0] == 255 })
        XCTAssertGreaterThan(self.psnr(bytes, pixels.flatMap { $0 }), 30, "the decoded image should look like the original")
    }

    func testOneDecoderDecodesJPEGsOfDifferentSizesInTurn() throws {
        let decoder = try JPEGImageDecoder()
        for (width, height) in [(64, 64), (17, 3), (64, 64), (1, 1)] {
            let jpeg = try self.compressJPEG(self.photo(width: width, height: height), width: width, height: height)
            XCTAssertEqual(testBytes(try self.decodeJPEG(jpeg, width: width, height: height, decoder: decoder)),
                           try self.reference(jpeg, width: width, height: height), "\(width)x\(height)")
            XCTAssertThrowsError(try self.decodeJPEG(Array(jpeg.prefix(jpeg.count / 2)), width: width, height: height, decoder: decoder))
        }
    }

    func testAJPEGCutInsideItsHeaderLeavesNothingBehindForTheNextImage() throws {
        // libjpeg-turbo 2.1.5 would report the cut image's size for the next header read on the same handle.
        let decoder = try JPEGImageDecoder()
        let small = try self.compressJPEG(self.photo(width: 17, height: 3), width: 17, height: 3)
        let large = try self.compressJPEG(self.photo(width: 40, height: 30), width: 40, height: 30)
        _ = try self.decodeJPEG(small, width: 17, height: 3, decoder: decoder)
        self.assertError(.corruptData, mentioning: ["libjpeg"]) { _ = try self.decodeJPEG(Array(small.prefix(small.count / 2)), width: 17, height: 3, decoder: decoder) }
        XCTAssertEqual(testBytes(try self.decodeJPEG(large, width: 40, height: 30, decoder: decoder)), try self.reference(large, width: 40, height: 30))
    }

    func testRejectsAJPEGWhoseSizeDisagreesWithTheDescriptor() throws {
        let jpeg = try self.compressJPEG(self.photo(width: 20, height: 10), width: 20, height: 10)
        for (width, height) in [(21, 10), (20, 9), (10, 20)] {
            self.assertError(.corruptData, mentioning: ["20x10", "\(width)x\(height)"]) { _ = try self.decodeJPEG(jpeg, width: width, height: height) }
        }
    }

    func testRejectsEmptyAndNonJPEGData() {
        self.assertError(.corruptData, mentioning: ["empty"]) { _ = try self.decodeJPEG([], width: 1, height: 1) }
        self.assertError(.corruptData, mentioning: ["libjpeg"]) { _ = try self.decodeJPEG([0x89, 0x50, 0x4E, 0x47, 1, 2, 3], width: 1, height: 1) }
    }

    func testRejectsATruncatedJPEG() throws {
        let jpeg = try self.compressJPEG(self.photo(width: 32, height: 32), width: 32, height: 32)
        self.assertError(.corruptData, mentioning: ["libjpeg"]) { _ = try self.decodeJPEG(Array(jpeg.prefix(jpeg.count - 40)), width: 32, height: 32) }
    }

    // MARK: - JPEG_ALPHA

    func testJPEGAlphaTakesColourFromTheJPEGAndAlphaFromThePlaneInEitherRowOrder() throws {
        let width = 41, height = 23
        let pixels = testPixels(width: width, height: height, seed: 4)
        let jpeg = try self.compressJPEG(pixels, width: width, height: height)
        let colour = try self.reference(jpeg, width: width, height: height)
        for topDown in [true, false] {
            let data = jpeg + self.alphaPlane(pixels, width: width, height: height, topDown: topDown)
            let surface = try self.decodeAlpha(flags: topDown ? JPEGImageDecoder.alphaTopDown : 0, jpegSize: jpeg.count, data,
                                               width: width, height: height)
            XCTAssertEqual(surface.format, .argb32)
            var expected = colour
            for i in 0..<(width * height) { expected[i * 4 + 3] = pixels[i][3] }
            XCTAssertEqual(testBytes(surface), expected, "topDown \(topDown)")
        }
    }

    func testRejectsJPEGAlphaFlagsOtherThanTopDown() throws {
        let jpeg = try self.compressJPEG(self.photo(width: 4, height: 4), width: 4, height: 4)
        let data = jpeg + self.alphaPlane(self.photo(width: 4, height: 4), width: 4, height: 4, topDown: true)
        self.assertError(.corruptData, mentioning: ["flags 0x3"]) { _ = try self.decodeAlpha(flags: 3, jpegSize: jpeg.count, data, width: 4, height: 4) }
    }

    func testRejectsAJPEGSizePastTheData() throws {
        let jpeg = try self.compressJPEG(self.photo(width: 4, height: 4), width: 4, height: 4)
        self.assertError(.corruptData, mentioning: ["longer than"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count + 1, jpeg, width: 4, height: 4)
        }
    }

    func testRejectsAMissingOrShortAlphaPlane() throws {
        let width = 16, height = 8
        let pixels = testPixels(width: width, height: height, seed: 2)
        let jpeg = try self.compressJPEG(pixels, width: width, height: height)
        let plane = self.alphaPlane(pixels, width: width, height: height, topDown: true)
        // No plane at all, a plane cut inside its header, and one cut inside its body.
        self.assertError(.corruptData, codec: "lz", mentioning: ["header"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, jpeg, width: width, height: height)
        }
        self.assertError(.corruptData, codec: "lz", mentioning: ["header"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, jpeg + plane.prefix(20), width: width, height: height)
        }
        self.assertError(.corruptData, codec: "lz", mentioning: ["ends early"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, jpeg + plane.dropLast(5), width: width, height: height)
        }
    }

    func testRejectsAnAlphaPlaneWhoseRowOrderDisagreesWithTheFlags() throws {
        let pixels = testPixels(width: 8, height: 8, seed: 1)
        let jpeg = try self.compressJPEG(pixels, width: 8, height: 8)
        let data = jpeg + self.alphaPlane(pixels, width: 8, height: 8, topDown: false)
        self.assertError(.corruptData, codec: "lz", mentioning: ["row order"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, data, width: 8, height: 8)
        }
    }

    func testRejectsAnAlphaPlaneOfAnotherSizeOrType() throws {
        let pixels = testPixels(width: 8, height: 8, seed: 1)
        let jpeg = try self.compressJPEG(pixels, width: 8, height: 8)
        let small = testPixels(width: 8, height: 4, seed: 1)
        self.assertError(.invalidArgument, codec: "lz", mentioning: ["8x4"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, jpeg + self.alphaPlane(small, width: 8, height: 4, topDown: true),
                                     width: 8, height: 8)
        }
        let a8 = testLZHeader(type: .a8, width: 8, height: 8, topDown: true) + [UInt8](repeating: 0, count: 80)
        self.assertError(.corruptData, codec: "lz", mentioning: ["not xxxa"]) {
            _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, jpeg + a8, width: 8, height: 8)
        }
    }

    func testRejectsAJPEGAlphaWhoseJPEGDisagreesWithTheDescriptor() throws {
        let pixels = testPixels(width: 8, height: 8, seed: 1)
        let jpeg = try self.compressJPEG(pixels, width: 8, height: 8)
        let data = jpeg + self.alphaPlane(pixels, width: 8, height: 8, topDown: true)
        self.assertError(.corruptData, mentioning: ["8x8", "9x8"]) { _ = try self.decodeAlpha(flags: 1, jpegSize: jpeg.count, data, width: 9, height: 8) }
    }
}
