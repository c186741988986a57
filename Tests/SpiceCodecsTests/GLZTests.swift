import CZlib
import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs
import XCTest

/// The GLZ decoder and its dictionary window against streams written by the test encoder
/// (`LZTestEncoder.swift`): every type in both row orders, references into earlier images in every
/// encoding form, release of images that left the window, the window's bounds, ZLIB_GLZ, and one named
/// test per kind of bad input.
final class GLZTests: XCTestCase {
    // MARK: - Helpers

    /// One image as the test encoder sees it: its keys in stream order, per pass.
    private struct Image {
        let type: LZ.ImageType
        let width: Int
        let height: Int
        let topDown: Bool
        let colour: [UInt32]
        let alpha: [UInt32]
        /// What the decoded surface must hold.
        let expected: [UInt8]

        var kind: TestUnitKind {
            switch self.type {
            case .rgb24, .rgb32, .rgba: .rgb24
            case .rgb16: .rgb16
            default: .byte
            }
        }
    }

    private func rgbImage(_ type: LZ.ImageType, _ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> Image {
        Image(type: type, width: width, height: height, topDown: topDown,
              colour: testRGBKeys(pixels, width: width, height: height, topDown: topDown),
              alpha: type == .rgba ? testAlphaKeys(pixels, width: width, height: height, topDown: topDown) : [],
              expected: type == .rgba ? pixels.flatMap { $0 } : testOpaqueBytes(pixels))
    }

    private let palette: [UInt32] = [0x10_2030, 0xFF_0000, 0x00_FF00, 0x00_00FF, 0x80_8080, 0x12_3456, 0xAB_CDEF]

    private func paletteImage(_ type: LZ.ImageType, width: Int, height: Int, topDown: Bool, seed: Int) -> Image {
        let entries = type == .plt1LE || type == .plt1BE ? 2 : self.palette.count
        let indices = (0..<(width * height)).map { i in ((i / 3 + seed) ^ (i / width)) % entries }
        return Image(type: type, width: width, height: height, topDown: topDown,
                     colour: testPackedIndices(indices, type: type, width: width, height: height, topDown: topDown, padding: 15),
                     alpha: [], expected: indices.flatMap { testPaletteBytes(self.palette[$0]) })
    }

    /// A GLZ stream of `image` with id `id`, able to reference `previous` (distance, image) pairs.
    private func encode(_ image: Image, id: UInt64, winHeadDist: UInt32, previous: [(Int, Image)] = [],
                        form: TestGLZForm = .shortest, distances: [Int] = [1, 2, 3]) -> [UInt8] {
        var out = testGLZHeader(type: image.type, width: image.width, height: image.height, topDown: image.topDown,
                                id: id, winHeadDist: winHeadDist)
        let rowUnits = image.type.isPaletted ? image.type.stride(width: image.width) : image.width
        let tokens = testTokenize(image.colour, kind: image.kind, maxBack: 1 << 24, distances: distances + [rowUnits],
                                  previous: previous.map { TestPreviousImage(distance: $0.0, keys: $0.1.colour) })
        out += testGLZBody(tokens, keys: image.colour, kind: image.kind, form: form)
        if image.type == .rgba {
            let alphaTokens = testTokenize(image.alpha, kind: .byte, maxBack: 1 << 24, distances: [1, image.width],
                                           previous: previous.map { TestPreviousImage(distance: $0.0, keys: $0.1.alpha) })
            out += testGLZBody(alphaTokens, keys: image.alpha, kind: .byte, form: form)
        }
        return out
    }

    /// The tokens `encode` writes for the colour pass, to check what a stream exercises.
    private func crossReferences(_ image: Image, previous: [(Int, Image)]) -> Int {
        let tokens = testTokenize(image.colour, kind: image.kind, maxBack: 1 << 24, distances: [1, 2, 3, image.width],
                                  previous: previous.map { TestPreviousImage(distance: $0.0, keys: $0.1.colour) })
        return tokens.filter { if case .cross = $0 { true } else { false } }.count
    }

    @discardableResult
    private func decode(_ bytes: [UInt8], _ image: Image, window: GLZWindow, palette: [UInt32]? = nil,
                        file: StaticString = #filePath, line: UInt = #line) throws -> Surface {
        let surface = Surface(width: image.width, height: image.height, format: image.type.surfaceFormat)!
        try GLZ.decode(bytes[...], palette: palette ?? (image.type.isPaletted ? self.palette : nil), into: surface, window: window)
        XCTAssertEqual(testBytes(surface), image.expected, "\(image.type) \(image.width)x\(image.height) topDown \(image.topDown)",
                       file: file, line: line)
        return surface
    }

    private func assertGLZError(_ code: CodecError.Code, codec: String = "glz", _ body: () throws -> Void,
                                file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, codec, file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    private func window(_ pixels: Int = 1 << 20) -> GLZWindow { GLZWindow(windowPixels: pixels) }

    /// A tiny valid RGB32 image `id` (4x1: one literal, then a run), referencing nothing.
    private func tiny(id: UInt64, winHeadDist: UInt32 = 0, body: [UInt8] = [0x00, 1, 2, 3, 0x60, 0x00, 0x00]) -> [UInt8] {
        testGLZHeader(type: .rgb32, width: 4, height: 1, topDown: true, id: id, winHeadDist: winHeadDist) + body
    }

    private func tinySurface() -> Surface { Surface(width: 4, height: 1, format: .xrgb32)! }

    // MARK: - One image

    func testRGB32RoundTripsWithinOneImage() throws {
        let window = self.window()
        var id: UInt64 = 0
        for (width, height) in [(1, 1), (37, 23), (64, 48), (5, 300)] {
            for topDown in [true, false] {
                let image = self.rgbImage(.rgb32, testPixels(width: width, height: height, seed: UInt32(width)), width: width, height: height, topDown: topDown)
                try self.decode(self.encode(image, id: id, winHeadDist: 0), image, window: window)
                id += 1
            }
        }
    }

    func testEveryTypeRoundTripsInBothRowOrders() throws {
        let window = self.window()
        var id: UInt64 = 0
        for topDown in [true, false] {
            for type in [LZ.ImageType.rgb24, .rgba] {
                let image = self.rgbImage(type, testPixels(width: 33, height: 21, seed: 5), width: 33, height: 21, topDown: topDown)
                try self.decode(self.encode(image, id: id, winHeadDist: 0), image, window: window)
                id += 1
            }
            for type in [LZ.ImageType.plt8, .plt4BE, .plt4LE, .plt1BE, .plt1LE] {
                let image = self.paletteImage(type, width: 13, height: 9, topDown: topDown, seed: 1)
                try self.decode(self.encode(image, id: id, winHeadDist: 0), image, window: window)
                id += 1
            }
            // RGB16: x555 words, widened.
            let words: [UInt32] = (0..<(21 * 6)).map { (i: Int) -> UInt32 in UInt32(truncatingIfNeeded: (i / 4) &* 2731) & 0x7FFF }
            func widen(_ v: UInt32) -> UInt8 { UInt8(v << 3 | v >> 2) }
            let keys = testStreamRows(height: 6, topDown: topDown).flatMap { y in words[(y * 21)..<(y * 21 + 21)] }
            let image = Image(type: .rgb16, width: 21, height: 6, topDown: topDown, colour: keys, alpha: [],
                              expected: words.flatMap { [widen($0 >> 10 & 31), widen($0 >> 5 & 31), widen($0 & 31), 255] })
            try self.decode(self.encode(image, id: id, winHeadDist: 0), image, window: window)
            id += 1
        }
    }

    func testReferencesOverlappingTheirOutputRepeatIt() throws {
        // A, B, C; then 12 pixels from 3 back; then 5 from 1 back.
        let keys: [UInt32] = [0x0A_0B0C, 0x01_0203, 0xFF_0000] + [UInt32](repeating: 0, count: 17)
        let tokens: [TestToken] = [.literals(0..<3), .back(length: 12, distance: 3), .back(length: 5, distance: 1)]
        let bytes = testGLZHeader(type: .rgb32, width: 20, height: 1, topDown: true, id: 0, winHeadDist: 0)
            + testGLZBody(tokens, keys: keys, kind: .rgb24)
        let a: [UInt8] = [0x0A, 0x0B, 0x0C, 255], b: [UInt8] = [0x01, 0x02, 0x03, 255], c: [UInt8] = [0xFF, 0x00, 0x00, 255]
        let expected = [[UInt8]](repeating: a + b + c, count: 5).flatMap { $0 } + [[UInt8]](repeating: c, count: 5).flatMap { $0 }
        let image = Image(type: .rgb32, width: 20, height: 1, topDown: true, colour: keys, alpha: [], expected: expected)
        try self.decode(bytes, image, window: self.window())
    }

    // MARK: - References into earlier images

    func testReferencesIntoThePreviousImageInEveryRowOrder() throws {
        for (firstTopDown, secondTopDown) in [(true, true), (false, true), (true, false), (false, false)] {
            for type in [LZ.ImageType.rgb32, .rgba] {
                let window = self.window()
                // Frame 2 is frame 1 scrolled up 3 rows, with a new band at the bottom.
                let first = testPixels(width: 40, height: 30, seed: 7)
                let second = Array(first[(3 * 40)...]) + testPixels(width: 40, height: 3, seed: 99)
                let image1 = self.rgbImage(type, first, width: 40, height: 30, topDown: firstTopDown)
                let image2 = self.rgbImage(type, second, width: 40, height: 30, topDown: secondTopDown)
                XCTAssertGreaterThan(self.crossReferences(image2, previous: [(1, image1)]), 0)
                try self.decode(self.encode(image1, id: 10, winHeadDist: 0), image1, window: window)
                try self.decode(self.encode(image2, id: 11, winHeadDist: 1, previous: [(1, image1)], distances: []), image2, window: window)
                XCTAssertEqual(window.imageCount, 2)
            }
        }
    }

    func testPaletteReferencesIntoThePreviousImageCountBytes() throws {
        for type in [LZ.ImageType.plt4BE, .plt1LE, .plt8] {
            let window = self.window()
            let image1 = self.paletteImage(type, width: 19, height: 12, topDown: true, seed: 0)
            let image2 = self.paletteImage(type, width: 19, height: 12, topDown: false, seed: 0)
            XCTAssertGreaterThan(self.crossReferences(image2, previous: [(1, image1)]), 0)
            try self.decode(self.encode(image1, id: 0, winHeadDist: 0), image1, window: window)
            try self.decode(self.encode(image2, id: 1, winHeadDist: 1, previous: [(1, image1)], distances: []), image2, window: window)
        }
    }

    func testEveryOffsetAndImageDistanceEncoding() throws {
        // Image 0 is referenced from ids 40 (6-bit distance), 20000 (two more bytes) and 5,000,000 (three),
        // each written in the short, long and very long offset forms.
        let pixels = testPixels(width: 16, height: 8, seed: 3)
        let base = self.rgbImage(.rgb32, pixels, width: 16, height: 8, topDown: true)
        for form in [TestGLZForm.shortest, .long, .veryLong] {
            let window = self.window()
            try self.decode(self.encode(base, id: 0, winHeadDist: 0), base, window: window)
            for id: UInt64 in [40, 20000, 5_000_000] {
                let copy = self.rgbImage(.rgb32, pixels, width: 16, height: 8, topDown: id != 20000)
                let bytes = self.encode(copy, id: id, winHeadDist: UInt32(id), previous: [(Int(id), base)], form: form, distances: [])
                try self.decode(bytes, copy, window: window)
            }
        }
        // And an offset past 2^17, which needs the very long form: a 400x400 image copied whole.
        let window = self.window()
        let big = self.rgbImage(.rgb32, testPixels(width: 400, height: 400, seed: 1), width: 400, height: 400, topDown: true)
        try self.decode(self.encode(big, id: 0, winHeadDist: 0), big, window: window)
        let keys = big.colour
        var tokens: [TestToken] = [.literals(0..<1)]
        tokens.append(.cross(length: 140_000, image: 1, offset: 1))
        tokens.append(.cross(length: keys.count - 140_001, image: 1, offset: 140_001))
        let bytes = testGLZHeader(type: .rgb32, width: 400, height: 400, topDown: true, id: 1, winHeadDist: 1)
            + testGLZBody(tokens, keys: keys, kind: .rgb24)
        try self.decode(bytes, big, window: window)
    }

    // MARK: - The window

    func testReleasesImagesThatLeftTheWindow() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        try GLZ.decode(self.tiny(id: 1, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertTrue(window.contains(imageID: 0))
        try GLZ.decode(self.tiny(id: 2, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertFalse(window.contains(imageID: 0), "image 2's window starts at image 1")
        try GLZ.decode(self.tiny(id: 3, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertEqual(window.imageCount, 2)
        XCTAssertEqual(window.storedPixels, 8)
        XCTAssertTrue(window.contains(imageID: 2))
        XCTAssertTrue(window.contains(imageID: 3))
        // A reference to a released image fails cleanly, even if the image claims a wider window.
        let toReleased = self.tiny(id: 4, winHeadDist: 4, body: [0x00, 1, 2, 3, 0x40, 0x00, 0x04])
        self.assertGLZError(.corruptData) { try GLZ.decode(toReleased[...], palette: nil, into: self.tinySurface(), window: window) }
    }

    func testReleaseWaitsUntilTheGapBeforeItCloses() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        // Image 2 arrives before image 1 (another display channel): nothing is released yet.
        try GLZ.decode(self.tiny(id: 2, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertTrue(window.contains(imageID: 0))
        try GLZ.decode(self.tiny(id: 1, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertFalse(window.contains(imageID: 0), "with the gap closed, image 2's window starts at image 1")
        XCTAssertTrue(window.contains(imageID: 1))
        XCTAssertTrue(window.contains(imageID: 2))
    }

    func testAReferenceToAnImageNotDecodedYetIsReportedApart() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        // Image 2 references image 1, which another channel may still deliver.
        let bytes = self.tiny(id: 2, winHeadDist: 2, body: [0x00, 1, 2, 3, 0x40, 0x00, 0x01])
        self.assertGLZError(.unsupported) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: window) }
        XCTAssertFalse(window.contains(imageID: 2), "a failed image is not added")
    }

    func testRejectsAReferenceOutsideTheImagesOwnWindow() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        let bytes = self.tiny(id: 1, winHeadDist: 0, body: [0x00, 1, 2, 3, 0x40, 0x00, 0x01])
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: window) }
        // A distance past id 0.
        let before = self.tiny(id: 1, winHeadDist: 1, body: [0x00, 1, 2, 3, 0x40, 0x00, 0x02])
        self.assertGLZError(.corruptData) { try GLZ.decode(before[...], palette: nil, into: self.tinySurface(), window: window) }
    }

    func testWindowStaysBoundedWhenTheServerNeverReleases() throws {
        // Window of 100 pixels, images of 64 whose win_head_dist keeps every earlier image.
        let window = self.window(100)
        let pixels = testPixels(width: 8, height: 8, seed: 2)
        let image = self.rgbImage(.rgb32, pixels, width: 8, height: 8, topDown: true)
        for id: UInt64 in 0..<10 {
            try self.decode(self.encode(image, id: id, winHeadDist: UInt32(id)), image, window: window)
            XCTAssertLessThanOrEqual(window.storedPixels, window.capacityPixels)
        }
        XCTAssertEqual(window.imageCount, 3)
        XCTAssertFalse(window.contains(imageID: 6))
        // A reference to an image released early fails cleanly.
        let bytes = self.encode(image, id: 10, winHeadDist: 10, previous: [(10, image)], distances: [])
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: Surface(width: 8, height: 8, format: .xrgb32)!, window: window) }
    }

    func testRejectsAnImageLargerThanTheWindow() {
        let window = self.window(3)
        self.assertGLZError(.corruptData) { try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window) }
    }

    func testRejectsADuplicateOrReleasedImageID() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        self.assertGLZError(.corruptData) { try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window) }
        try GLZ.decode(self.tiny(id: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        try GLZ.decode(self.tiny(id: 2, winHeadDist: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        XCTAssertFalse(window.contains(imageID: 0))
        self.assertGLZError(.corruptData) { try GLZ.decode(self.tiny(id: 1)[...], palette: nil, into: self.tinySurface(), window: window) }
    }

    func testRejectsTheLargestImageID() {
        // The window steps from an id to the next one; the last id has none.
        self.assertGLZError(.corruptData) {
            try GLZ.decode(self.tiny(id: UInt64.max)[...], palette: nil, into: self.tinySurface(), window: self.window())
        }
        XCTAssertNoThrow(try GLZ.decode(self.tiny(id: UInt64.max - 1)[...], palette: nil, into: self.tinySurface(), window: self.window()))
    }

    func testClearForgetsEveryImage() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        try GLZ.decode(self.tiny(id: 1, winHeadDist: 1)[...], palette: nil, into: self.tinySurface(), window: window)
        window.clear()
        XCTAssertEqual(window.imageCount, 0)
        XCTAssertEqual(window.storedPixels, 0)
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
    }

    func testRejectsAReferenceToAnImageOfAnotherType() throws {
        let window = self.window()
        let pixels = testPixels(width: 8, height: 4, seed: 2)
        let rgba = self.rgbImage(.rgba, pixels, width: 8, height: 4, topDown: true)
        try self.decode(self.encode(rgba, id: 0, winHeadDist: 0), rgba, window: window)
        let rgb = self.rgbImage(.rgb32, pixels, width: 8, height: 4, topDown: true)
        let bytes = self.encode(rgb, id: 1, winHeadDist: 1, previous: [(1, rgba)], distances: [])
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: Surface(width: 8, height: 4, format: .xrgb32)!, window: window) }
    }

    func testRejectsAReferenceRunningPastTheReferencedImage() throws {
        let window = self.window()
        try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: self.tinySurface(), window: window)
        // 4 pixels from offset 1 of the 4-pixel image 0.
        let bytes = testGLZHeader(type: .rgb32, width: 4, height: 1, topDown: true, id: 1, winHeadDist: 1)
            + testGLZBody([.cross(length: 4, image: 1, offset: 1)], keys: [], kind: .rgb24)
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: window) }
        let far = testGLZHeader(type: .rgb32, width: 4, height: 1, topDown: true, id: 1, winHeadDist: 1)
            + testGLZBody([.cross(length: 1, image: 1, offset: 1 << 24)], keys: [], kind: .rgb24)
        self.assertGLZError(.corruptData) { try GLZ.decode(far[...], palette: nil, into: self.tinySurface(), window: window) }
        // Within bounds it works: 3 pixels from offset 1.
        let fine = testGLZHeader(type: .rgb32, width: 4, height: 1, topDown: true, id: 1, winHeadDist: 1)
            + testGLZBody([.literals(0..<1), .cross(length: 3, image: 1, offset: 1)], keys: [0x010203], kind: .rgb24)
        let surface = self.tinySurface()
        try GLZ.decode(fine[...], palette: nil, into: surface, window: window)
        XCTAssertEqual(testBytes(surface), [1, 2, 3, 255, 3, 2, 1, 255, 3, 2, 1, 255, 3, 2, 1, 255])
    }

    // MARK: - Bad input

    func testRejectsBadMagic() {
        var bytes = self.tiny(id: 0)
        bytes[3] = 0
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: self.window()) }
    }

    func testRejectsBadVersion() {
        var bytes = self.tiny(id: 0)
        bytes[7] = 2
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: self.window()) }
    }

    func testRejectsTypesGLZDoesNotDefine() {
        for (typeByte, code) in [(UInt8(0x1A), CodecError.Code.unsupported), (0x1B, .unsupported), (0x10, .corruptData), (0x1F, .corruptData)] {
            var bytes = self.tiny(id: 0)
            bytes[8] = typeByte
            self.assertGLZError(code) { try GLZ.decode(bytes[...], palette: nil, into: Surface(width: 4, height: 1, format: .argb32)!, window: self.window()) }
        }
    }

    func testRejectsDimensionsThatAreEmptyOrOverflowTheLimits() {
        for (width, height) in [(0, 1), (1, 0), (16385, 1), (10000, 10000), (Int(UInt32.max), 2)] {
            let bytes = testGLZHeader(type: .rgb32, width: width, height: height, stride: width &* 4 & 0xFFFF_FFFF, topDown: true, id: 0, winHeadDist: 0)
            self.assertGLZError(.corruptData) { _ = try bytes.withUnsafeBytes { try GLZ.Header(parsing: $0) } }
        }
        let stride = testGLZHeader(type: .rgb24, width: 4, height: 1, stride: 16, topDown: true, id: 0, winHeadDist: 0)
        self.assertGLZError(.corruptData) { _ = try stride.withUnsafeBytes { try GLZ.Header(parsing: $0) } }
    }

    func testRejectsADestinationOrDescriptorThatDisagrees() {
        self.assertGLZError(.invalidArgument) {
            try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: Surface(width: 4, height: 2, format: .xrgb32)!, window: self.window())
        }
        self.assertGLZError(.invalidArgument) {
            try GLZ.decode(self.tiny(id: 0)[...], palette: nil, into: Surface(width: 4, height: 1, format: .a8)!, window: self.window())
        }
        self.assertGLZError(.corruptData) { _ = try GLZ.decodeImage(self.tiny(id: 0)[...], palette: nil, width: 5, height: 1, window: self.window()) }
        XCTAssertNoThrow(try GLZ.decodeImage(self.tiny(id: 0)[...], palette: nil, width: 4, height: 1, window: self.window()))
    }

    func testRejectsAStreamEndingEarlyAtEveryByte() throws {
        // An RGBA image with references into the previous image in both passes, cut at every byte.
        let first = testPixels(width: 12, height: 6, seed: 7)
        let second = Array(first[12...]) + testPixels(width: 12, height: 1, seed: 1)
        let image1 = self.rgbImage(.rgba, first, width: 12, height: 6, topDown: true)
        let image2 = self.rgbImage(.rgba, second, width: 12, height: 6, topDown: true)
        let window = self.window()
        try self.decode(self.encode(image1, id: 0, winHeadDist: 0), image1, window: window)
        for form in [TestGLZForm.shortest, .veryLong] {
            let bytes = self.encode(image2, id: 1, winHeadDist: 1, previous: [(1, image1)], form: form)
            for cut in 0..<bytes.count {
                self.assertGLZError(.corruptData) {
                    try GLZ.decode(bytes[..<cut], palette: nil, into: Surface(width: 12, height: 6, format: .argb32)!, window: window)
                }
            }
        }
        XCTAssertEqual(window.imageCount, 1)
    }

    func testRejectsBytesAfterTheImage() {
        self.assertGLZError(.corruptData) { try GLZ.decode((self.tiny(id: 0) + [0])[...], palette: nil, into: self.tinySurface(), window: self.window()) }
    }

    func testRejectsAReferenceBeforeTheImageStart() {
        // One literal pixel, then a reference 2 back (offset code 1 in the control byte).
        let bytes = self.tiny(id: 0, body: [0x00, 1, 2, 3, 0x41, 0x00, 0x00])
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: self.window()) }
        // In 1-bit palette data distances count bytes of 8 pixels: 1 byte back from the first byte is before the start.
        let bits = testGLZHeader(type: .plt1BE, width: 64, height: 1, topDown: true, id: 0, winHeadDist: 0)
            + testGLZBody([.literals(0..<1), .back(length: 7, distance: 2)], keys: [0xF0], kind: .byte)
        self.assertGLZError(.corruptData) {
            try GLZ.decode(bits[...], palette: [0, 0xFFFFFF], into: Surface(width: 64, height: 1, format: .xrgb32)!, window: self.window())
        }
    }

    func testRejectsAReferenceRunningPastTheOutput() {
        // One literal pixel, then 5 pixels from 1 back into a 4-pixel image; then one with a huge length.
        let bytes = self.tiny(id: 0, body: [0x00, 1, 2, 3, 0xA0, 0x00, 0x00])
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: self.window()) }
        let huge = self.tiny(id: 0, body: [0x00, 1, 2, 3, 0xE0] + [UInt8](repeating: 255, count: 1000) + [0, 0, 0])
        self.assertGLZError(.corruptData) { try GLZ.decode(huge[...], palette: nil, into: self.tinySurface(), window: self.window()) }
        let literals = self.tiny(id: 0, body: [0x04] + [UInt8](repeating: 9, count: 15))
        self.assertGLZError(.corruptData) { try GLZ.decode(literals[...], palette: nil, into: self.tinySurface(), window: self.window()) }
    }

    func testRejectsAPaletteIndexPastThePalette() {
        let bytes = testGLZHeader(type: .plt8, width: 4, height: 1, topDown: true, id: 0, winHeadDist: 0)
            + testGLZBody([.literals(0..<4)], keys: [0, 1, 2, 5], kind: .byte)
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: [0, 1, 2, 3], into: self.tinySurface(), window: self.window()) }
        self.assertGLZError(.corruptData) { try GLZ.decode(bytes[...], palette: nil, into: self.tinySurface(), window: self.window()) }
        // Padding past the palette is fine: 3 pixels of 4-bit data, the fourth nibble 15.
        let padded = testGLZHeader(type: .plt4BE, width: 3, height: 1, topDown: true, id: 0, winHeadDist: 0)
            + testGLZBody([.literals(0..<2)], keys: [0x01, 0x2F], kind: .byte)
        let surface = Surface(width: 3, height: 1, format: .xrgb32)!
        XCTAssertNoThrow(try GLZ.decode(padded[...], palette: [0xFF_0000, 0x00_FF00, 0x00_00FF], into: surface, window: self.window()))
        XCTAssertEqual(testBytes(surface), [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255])
    }

    func testSurvivesRandomCorruption() throws {
        let first = testPixels(width: 20, height: 8, seed: 7)
        let second = Array(first[40...]) + testPixels(width: 20, height: 2, seed: 3)
        let image1 = self.rgbImage(.rgba, first, width: 20, height: 8, topDown: false)
        let image2 = self.rgbImage(.rgba, second, width: 20, height: 8, topDown: true)
        let plt1 = self.paletteImage(.plt4LE, width: 20, height: 8, topDown: true, seed: 0)
        let plt2 = self.paletteImage(.plt4LE, width: 20, height: 8, topDown: false, seed: 1)
        let streams = [(self.encode(image2, id: 2, winHeadDist: 2, previous: [(2, image1)]), LZ.ImageType.rgba),
                       (self.encode(plt2, id: 3, winHeadDist: 3, previous: [(2, plt1)]), .plt4LE)]
        let setUp = [self.encode(image1, id: 0, winHeadDist: 0), self.encode(plt1, id: 1, winHeadDist: 0)]
        var state: UInt64 = 0x9876_5432
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for round in 0..<3000 {
            let window = self.window()
            try self.decode(setUp[0], image1, window: window)
            try self.decode(setUp[1], plt1, window: window)
            let (original, type) = streams[round % streams.count]
            var bytes = original
            for _ in 0..<(1 + next() % 4) {
                let at = GLZ.Header.byteCount + next() % (bytes.count - GLZ.Header.byteCount)
                bytes[at] = UInt8(truncatingIfNeeded: next())
            }
            if next() % 8 == 0 { bytes.removeLast(next() % 16) }
            do {
                try GLZ.decode(bytes[...], palette: self.palette, into: Surface(width: 20, height: 8, format: type.surfaceFormat)!, window: window)
            } catch {
                XCTAssertEqual(error.codec, "glz")
            }
        }
    }

    // MARK: - ZLIB_GLZ

    private func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(UInt(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        XCTAssertEqual(compress2(&out, &length, bytes, UInt(bytes.count), 3), Z_OK)
        return Array(out[..<Int(length)])
    }

    func testZlibGLZInflatesThenDecodesAgainstTheWindow() throws {
        let window = self.window()
        let decoder = try ZlibGLZDecoder()
        let first = testPixels(width: 40, height: 30, seed: 7)
        let second = Array(first[(2 * 40)...]) + testPixels(width: 40, height: 2, seed: 8)
        let image1 = self.rgbImage(.rgb32, first, width: 40, height: 30, topDown: true)
        let image2 = self.rgbImage(.rgb32, second, width: 40, height: 30, topDown: false)
        let glz1 = self.encode(image1, id: 0, winHeadDist: 0)
        let surface1 = try decoder.decodeImage(glzSize: UInt32(glz1.count), data: self.deflate(glz1)[...], palette: nil,
                                               width: 40, height: 30, window: window)
        XCTAssertEqual(testBytes(surface1), image1.expected)
        let glz2 = self.encode(image2, id: 1, winHeadDist: 1, previous: [(1, image1)])
        let surface2 = Surface(width: 40, height: 30, format: .xrgb32)!
        try self.deflate(glz2).withUnsafeBytes { data in
            try decoder.decode(glzSize: glz2.count, data: data, palette: nil, into: surface2, window: window)
        }
        XCTAssertEqual(testBytes(surface2), image2.expected)
        XCTAssertEqual(window.imageCount, 2)
    }

    func testZlibGLZRejectsASizeThatDisagreesWithTheInflatedData() throws {
        let decoder = try ZlibGLZDecoder()
        let glz = self.tiny(id: 0)
        let data = self.deflate(glz)
        for size in [glz.count - 1, glz.count + 1] {
            self.assertGLZError(.corruptData, codec: "zlib-glz") {
                _ = try decoder.decodeImage(glzSize: UInt32(size), data: data[...], palette: nil, width: 4, height: 1, window: self.window())
            }
        }
    }

    func testZlibGLZRejectsAnImpossibleSizeBeforeAllocating() throws {
        let decoder = try ZlibGLZDecoder()
        let window = self.window(1000)
        XCTAssertEqual(ZlibGLZDecoder.maxGLZBytes(window: window), 33 + 5000)
        for size: UInt32 in [0, 32, 5034, UInt32.max] {
            self.assertGLZError(.corruptData, codec: "zlib-glz") {
                _ = try decoder.decodeImage(glzSize: size, data: self.deflate(self.tiny(id: 0))[...], palette: nil, width: 4, height: 1, window: window)
            }
        }
    }

    func testZlibGLZRejectsCorruptZlibData() throws {
        let decoder = try ZlibGLZDecoder()
        var data = self.deflate(self.tiny(id: 0))
        data[0] ^= 0xFF
        self.assertGLZError(.corruptData, codec: "zlib-glz") {
            _ = try decoder.decodeImage(glzSize: UInt32(self.tiny(id: 0).count), data: data[...], palette: nil, width: 4, height: 1, window: self.window())
        }
        // A GLZ error inside is reported as GLZ's.
        var glz = self.tiny(id: 0)
        glz[0] = 0
        self.assertGLZError(.corruptData) {
            _ = try decoder.decodeImage(glzSize: UInt32(glz.count), data: self.deflate(glz)[...], palette: nil, width: 4, height: 1, window: self.window())
        }
    }
}
