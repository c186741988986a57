import CTurboJPEG
import SpiceCodecs
import XCTest

/// Tests for `JPEGDecoder`: images are compressed here with TurboJPEG itself, then decoded by the bridge.
final class JPEGDecoderTests: XCTestCase {
    private let width = 64
    private let height = 48
    /// A row pitch with 12 bytes of padding after the 256 bytes of pixels, so the decoder's use of the
    /// pitch and its respect for bytes outside the image are both visible.
    private var pitch: Int { self.width * 4 + 12 }
    /// What the destination is filled with before decoding, to show which bytes the decoder touched.
    private let sentinel: UInt8 = 0xAB

    // MARK: - Helpers

    /// A packed RGB gradient whose red, green and blue differ, so a swapped channel order cannot pass.
    private func gradientRGB() -> [UInt8] {
        var rgb: [UInt8] = []
        rgb.reserveCapacity(self.width * self.height * 3)
        for y in 0..<self.height {
            for x in 0..<self.width {
                rgb.append(UInt8(x * 4))
                rgb.append(UInt8(y * 5))
                rgb.append(UInt8(200 - x))
            }
        }
        return rgb
    }

    /// Compresses packed pixels (RGB unless told otherwise) at high quality without chroma subsampling, so decoded pixels stay close to it.
    private func compressJPEG(_ pixels: [UInt8], width: Int, height: Int,
                              format: TJPF = TJPF_RGB) throws -> [UInt8] {
        let handle = try XCTUnwrap(tjInitCompress())
        defer { _ = tjDestroy(handle) }
        var jpegBuffer: UnsafeMutablePointer<UInt8>? = nil
        var jpegSize: UInt = 0
        let rc = pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue),
                        &jpegBuffer, &jpegSize, Int32(TJSAMP_444.rawValue), 95, 0)
        }
        XCTAssertEqual(rc, 0, String(cString: tjGetErrorStr2(handle)))
        defer { tjFree(jpegBuffer) }
        return Array(UnsafeBufferPointer(start: try XCTUnwrap(jpegBuffer), count: Int(jpegSize)))
    }

    private func decode(_ jpeg: [UInt8], into canvas: inout [UInt8], width: Int, height: Int, pitch: Int,
                        using existing: JPEGDecoder? = nil) throws {
        let decoder: JPEGDecoder
        if let existing {
            decoder = existing
        } else {
            decoder = try JPEGDecoder()
        }
        try jpeg.withUnsafeBytes { source in
            try canvas.withUnsafeMutableBytes { destination in
                try decoder.decode(source, into: destination.baseAddress!, width: width, height: height, pitch: pitch)
            }
        }
    }

    private func assertCodecError(_ code: CodecError.Code, _ body: () throws -> Void,
                                  file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "jpeg", file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    // MARK: - Decoding

    func testReadHeaderReportsTheEncodedSize() throws {
        let jpeg = try self.compressJPEG(self.gradientRGB(), width: self.width, height: self.height)
        let size = try jpeg.withUnsafeBytes { bytes in try JPEGDecoder().readHeader(bytes) }
        XCTAssertEqual(size.width, 64)
        XCTAssertEqual(size.height, 48)
    }

    func testDecodesRGBAIntoPaddedRowsWithOpaqueAlphaAndUntouchedPadding() throws {
        let rgb = self.gradientRGB()
        let jpeg = try self.compressJPEG(rgb, width: self.width, height: self.height)
        var canvas = [UInt8](repeating: self.sentinel, count: self.pitch * self.height)

        try self.decode(jpeg, into: &canvas, width: self.width, height: self.height, pitch: self.pitch)

        var largestDifference = 0
        for y in 0..<self.height {
            for x in 0..<self.width {
                let pixel = y * self.pitch + x * 4
                let source = (y * self.width + x) * 3
                for channel in 0..<3 {
                    largestDifference = max(largestDifference, abs(Int(canvas[pixel + channel]) - Int(rgb[source + channel])))
                }
                XCTAssertEqual(canvas[pixel + 3], 255, "alpha at (\(x), \(y))")
            }
            let padding = canvas[(y * self.pitch + self.width * 4)..<((y + 1) * self.pitch)]
            XCTAssertTrue(padding.allSatisfy { $0 == self.sentinel }, "padding of row \(y) was written")
        }
        // Quality 95 without subsampling keeps a smooth gradient within a few levels of the source.
        XCTAssertLessThanOrEqual(largestDifference, 8)
    }

    func testDecoderStillWorksAfterAFailedImage() throws {
        let rgb = self.gradientRGB()
        let jpeg = try self.compressJPEG(rgb, width: self.width, height: self.height)
        let decoder = try JPEGDecoder()
        var canvas = [UInt8](repeating: 0, count: self.width * 4 * self.height)
        self.assertCodecError(.corruptData) {
            try self.decode(Array(jpeg[..<(jpeg.count / 2)]), into: &canvas, width: self.width, height: self.height,
                            pitch: self.width * 4, using: decoder)
        }
        try self.decode(jpeg, into: &canvas, width: self.width, height: self.height, pitch: self.width * 4, using: decoder)
        // The last pixel lies in the half the failed image never had, so it proves the second decode ran.
        let last = canvas.count - 4
        XCTAssertLessThanOrEqual(abs(Int(canvas[last]) - Int(rgb[rgb.count - 3])), 8)
        XCTAssertLessThanOrEqual(abs(Int(canvas[last + 1]) - Int(rgb[rgb.count - 2])), 8)
        XCTAssertLessThanOrEqual(abs(Int(canvas[last + 2]) - Int(rgb[rgb.count - 1])), 8)
    }

    // MARK: - Rejections

    func testRejectsEmptyData() {
        self.assertCodecError(.corruptData) {
            _ = try [UInt8]().withUnsafeBytes { bytes in try JPEGDecoder().readHeader(bytes) }
        }
    }

    func testRejectsDataThatIsNotAJPEG() {
        let garbage = [UInt8](repeating: 0x5A, count: 200)
        self.assertCodecError(.corruptData) {
            _ = try garbage.withUnsafeBytes { bytes in try JPEGDecoder().readHeader(bytes) }
        }
        var canvas = [UInt8](repeating: 0, count: self.width * 4 * self.height)
        self.assertCodecError(.corruptData) {
            try self.decode(garbage, into: &canvas, width: self.width, height: self.height, pitch: self.width * 4)
        }
    }

    func testRejectsTruncatedImageEvenThoughItsHeaderIsIntact() throws {
        let jpeg = try self.compressJPEG(self.gradientRGB(), width: self.width, height: self.height)
        let truncated = Array(jpeg[..<(jpeg.count / 2)])
        // The header survives the cut, so only the pixel data is missing: libjpeg reports that as a warning.
        let size = try truncated.withUnsafeBytes { bytes in try JPEGDecoder().readHeader(bytes) }
        XCTAssertEqual(size.width, self.width)
        var canvas = [UInt8](repeating: 0, count: self.width * 4 * self.height)
        self.assertCodecError(.corruptData) {
            try self.decode(truncated, into: &canvas, width: self.width, height: self.height, pitch: self.width * 4)
        }
    }

    func testRejectsImageWhoseSizeDiffersFromTheDeclaredSizeWithoutWriting() throws {
        let jpeg = try self.compressJPEG(self.gradientRGB(), width: self.width, height: self.height)
        var canvas = [UInt8](repeating: self.sentinel, count: self.pitch * self.height)
        self.assertCodecError(.corruptData) {
            try self.decode(jpeg, into: &canvas, width: self.width / 2, height: self.height, pitch: self.pitch)
        }
        self.assertCodecError(.corruptData) {
            try self.decode(jpeg, into: &canvas, width: self.width, height: self.height - 1, pitch: self.pitch)
        }
        XCTAssertTrue(canvas.allSatisfy { $0 == self.sentinel })
    }

    func testRejectsPitchShorterThanARowOfPixels() throws {
        let jpeg = try self.compressJPEG(self.gradientRGB(), width: self.width, height: self.height)
        var canvas = [UInt8](repeating: self.sentinel, count: self.pitch * self.height)
        self.assertCodecError(.invalidArgument) {
            try self.decode(jpeg, into: &canvas, width: self.width, height: self.height, pitch: self.width * 4 - 1)
        }
        XCTAssertTrue(canvas.allSatisfy { $0 == self.sentinel })
    }

    func testRejectsCMYKImagesAsUnsupported() throws {
        let cmyk = [UInt8](repeating: 0x40, count: 16 * 16 * 4)
        let jpeg = try self.compressJPEG(cmyk, width: 16, height: 16, format: TJPF_CMYK)
        self.assertCodecError(.unsupported) {
            _ = try jpeg.withUnsafeBytes { try JPEGDecoder().readHeader($0) }
        }
    }

    func testRejectsEmptyAndOversizedDimensions() throws {
        let jpeg = try self.compressJPEG(self.gradientRGB(), width: self.width, height: self.height)
        var canvas = [UInt8](repeating: 0, count: 16)
        self.assertCodecError(.invalidArgument) {
            try self.decode(jpeg, into: &canvas, width: 0, height: self.height, pitch: self.pitch)
        }
        self.assertCodecError(.invalidArgument) {
            try self.decode(jpeg, into: &canvas, width: Int(Int32.max), height: 1, pitch: Int.max)
        }
        self.assertCodecError(.invalidArgument) {
            try self.decode(jpeg, into: &canvas, width: self.width, height: self.height, pitch: Int(Int32.max) + 1)
        }
    }
}
