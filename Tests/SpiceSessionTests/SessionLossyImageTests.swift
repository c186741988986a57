/// LZ4, JPEG and JPEG_ALPHA images through the display channel (issues 4 and 5; notes §3.3, §3.5): drawn
/// on the primary, counted as decoded, JPEGs cached as lossy (FROM_CACHE_LOSSLESS refuses them,
/// CACHE_REPLACE_ME replaces them), and every bad payload closing the display channel with an error
/// that names the message and field. JPEGs come from TurboJPEG's compressor, LZ4 from liblz4's.
import CLZ4
import CTurboJPEG
import SpiceCanvas
import SpiceSession
import SpiceWire
import XCTest

final class SessionLossyImageTests: XCTestCase {
    typealias F = DisplayFixture

    // MARK: - Images

    /// R,G,B,A pixels (top row first): smooth colours, with an alpha that varies.
    private func pixels(width: Int, height: Int) -> [[UInt8]] {
        (0..<(width * height)).map { i in
            let x = i % width, y = i / width
            return [UInt8(40 + x * 6), UInt8(200 - y * 9), UInt8(90 + (x + y) * 3), UInt8((x * 37 + y * 11) & 0xFF)]
        }
    }

    private func jpeg(_ pixels: [[UInt8]], width: Int, height: Int) throws -> [UInt8] {
        let rgb = pixels.flatMap { [$0[0], $0[1], $0[2]] }
        let handle = try XCTUnwrap(tjInitCompress())
        defer { _ = tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = rgb.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGB.rawValue), &buffer, &size,
                        Int32(TJSAMP_444.rawValue), 90, 0)
        }
        XCTAssertEqual(rc, 0)
        defer { tjFree(buffer) }
        return Array(UnsafeBufferPointer(start: try XCTUnwrap(buffer), count: Int(size)))
    }

    /// What TurboJPEG decodes `jpeg` to: R,G,B,A rows with A = 255.
    private func decodedJPEG(_ jpeg: [UInt8], width: Int, height: Int) throws -> [[UInt8]] {
        let handle = try XCTUnwrap(tjInitDecompress())
        defer { _ = tjDestroy(handle) }
        var out = [UInt8](repeating: 0, count: width * height * 4)
        let rc = out.withUnsafeMutableBufferPointer {
            tjDecompress2(handle, jpeg, UInt(jpeg.count), $0.baseAddress, Int32(width), 0, Int32(height), Int32(TJPF_RGBA.rawValue), 0)
        }
        XCTAssertEqual(rc, 0)
        return (0..<(width * height)).map { Array(out[$0 * 4..<$0 * 4 + 4]) }
    }

    /// An XXXA LZ alpha plane written as literal runs only (the LZ header is big-endian).
    private func alphaPlane(_ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for word: UInt32 in [0x2020_5A4C, 0x0001_0001, 10, UInt32(width), UInt32(height), UInt32(width * 4), topDown ? 1 : 0] {
            out += [UInt8(word >> 24), UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)]
        }
        let rows = topDown ? Array(0..<height) : Array((0..<height).reversed())
        let alpha = rows.flatMap { y in (0..<width).map { pixels[y * width + $0][3] } }
        var start = 0
        while start < alpha.count {
            let n = min(32, alpha.count - start)
            out.append(UInt8(n - 1))
            out += alpha[start..<start + n]
            start += n
        }
        return out
    }

    /// An LZ4 image payload of 32BIT rows (B,G,R,X), top row first, one block per `rowsPerBlock` rows.
    private func lz4(_ pixels: [[UInt8]], width: Int, rowsPerBlock: Int) throws -> [UInt8] {
        let rows: [UInt8] = pixels.flatMap { (p: [UInt8]) -> [UInt8] in [p[2], p[1], p[0], 0x5A] }
        var out: [UInt8] = [1, 8]
        let stream = try XCTUnwrap(LZ4_createStream())
        defer { LZ4_freeStream(stream) }
        rows.withUnsafeBufferPointer { input in
            var start = 0
            while start < rows.count {
                let count = min(rowsPerBlock * width * 4, rows.count - start)
                var block = [UInt8](repeating: 0, count: Int(LZ4_compressBound(Int32(count))))
                let size = block.withUnsafeMutableBufferPointer { dst in
                    LZ4_compress_fast_continue(stream, UnsafeRawPointer(input.baseAddress! + start).assumingMemoryBound(to: CChar.self),
                                               UnsafeMutableRawPointer(dst.baseAddress!).assumingMemoryBound(to: CChar.self),
                                               Int32(count), Int32(dst.count), 1)
                }
                let length = UInt32(size)
                out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                out += block.prefix(Int(size))
                start += count
            }
        }
        return out
    }

    private func image(id: UInt64 = 5, flags: UInt8 = 0, width: Int, height: Int, _ data: ImageData) -> ImageRef {
        ImageRef(id: id, flags: flags, width: UInt32(width), height: UInt32(height), data: data)
    }

    /// Asserts the primary shows `inner(x - left, y - top)` inside the image's box at (left, top) and black elsewhere.
    private func assertPrimary(_ script: DisplayScript, at left: Int, _ top: Int, width: Int, height: Int,
                               file: StaticString = #filePath, line: UInt = #line, _ inner: (Int, Int) -> [UInt8]) {
        F.assertPixels(script.primary, file: file, line: line) { x, y in
            F.inside(x, y, CanvasRect(x: left, y: top, width: width, height: height)) ? inner(x - left, y - top) : F.black
        }
    }

    // MARK: - Drawing

    func testLZ4ImageIsDecodedAndDrawnOnThePrimary() throws {
        let script = DisplayScript()
        script.createPrimary()
        let width = 20, height = 12
        let pixels = self.pixels(width: width, height: height)
        let step = script.send(F.copy(self.image(width: width, height: height, .lz4(try self.lz4(pixels, width: width, rowsPerBlock: 5)[...])), x: 30, y: 20))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        self.assertPrimary(script, at: 30, 20, width: width, height: height) { x, y in
            let p = pixels[y * width + x]
            return [p[0], p[1], p[2], 255]
        }
        let statistics = try XCTUnwrap(script.session.displayStatistics(of: script.display))
        XCTAssertEqual(statistics.images[ImageType.lz4], 1)
        XCTAssertEqual(statistics.undecodedImages, [:])
        XCTAssertEqual(script.session.takeDamage(of: script.display), [CanvasRect(x: 30, y: 20, width: width, height: height)])
    }

    func testJPEGImageIsDecodedAndDrawnOnThePrimary() throws {
        let script = DisplayScript()
        script.createPrimary()
        let width = 24, height = 16
        let jpeg = try self.jpeg(self.pixels(width: width, height: height), width: width, height: height)
        let expected = try self.decodedJPEG(jpeg, width: width, height: height)
        let step = script.send(F.copy(self.image(width: width, height: height, .jpeg(jpeg[...])), x: 3, y: 4))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        self.assertPrimary(script, at: 3, 4, width: width, height: height) { x, y in expected[y * width + x] }
        let statistics = try XCTUnwrap(script.session.displayStatistics(of: script.display))
        XCTAssertEqual(statistics.images[ImageType.jpeg], 1)
        XCTAssertEqual(statistics.undecodedImages, [:])
    }

    func testJPEGAlphaImageKeepsTheAlphaPlaneOnAnARGBSurface() throws {
        for topDown in [true, false] {
            let script = DisplayScript()
            script.createPrimary(format: SurfaceFormat.argb32)
            let width = 10, height = 7
            let pixels = self.pixels(width: width, height: height)
            let jpeg = try self.jpeg(pixels, width: width, height: height)
            let colour = try self.decodedJPEG(jpeg, width: width, height: height)
            let data = jpeg + self.alphaPlane(pixels, width: width, height: height, topDown: topDown)
            let image = self.image(width: width, height: height, .jpegAlpha(flags: topDown ? 1 : 0, jpegSize: UInt32(jpeg.count), data: data[...]))
            let step = script.send(F.copy(image, x: 0, y: 0))
            XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
            F.assertPixels(script.primary) { x, y in
                guard x < width, y < height else { return [0, 0, 0, 0] }
                let c = colour[y * width + x]
                return [c[0], c[1], c[2], pixels[y * width + x][3]]
            }
            XCTAssertEqual(script.session.displayStatistics(of: script.display)?.images[ImageType.jpegAlpha], 1)
        }
    }

    // MARK: - Lossy images in the cache

    func testCachedJPEGIsServedByFromCacheButRefusedByFromCacheLossless() throws {
        let script = DisplayScript()
        script.createPrimary()
        let width = 8, height = 8
        let jpeg = try self.jpeg(self.pixels(width: width, height: height), width: width, height: height)
        let expected = try self.decodedJPEG(jpeg, width: width, height: height)
        XCTAssertTrue(script.send(F.copy(self.image(id: 70, flags: ImageFlags.cacheMe, width: width, height: height, .jpeg(jpeg[...])), x: 0, y: 0))
            .closures.isEmpty)
        let again = script.send(F.copy(F.fromCache(70, width: UInt32(width), height: UInt32(height)), x: 20, y: 20))
        XCTAssertTrue(again.closures.isEmpty, "\(again.closures)")
        XCTAssertEqual(F.rgba(try XCTUnwrap(script.primary), 23, 25), expected[5 * width + 3])
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.cacheHits, 1)

        let lossless = ImageRef(id: 70, width: UInt32(width), height: UInt32(height), data: .fromCacheLossless)
        script.assertDisplayClosed(script.send(F.copy(lossless, x: 0, y: 0)), message: "DRAW_COPY", field: "src_bitmap",
                                   mentioning: ["70", "lossy"])
    }

    func testCacheReplaceMeReplacesTheLossyEntryWithTheLosslessImage() throws {
        let script = DisplayScript()
        script.createPrimary()
        let jpeg = try self.jpeg(self.pixels(width: 5, height: 3), width: 5, height: 3)
        XCTAssertTrue(script.send(F.copy(self.image(id: 71, flags: ImageFlags.cacheMe, width: 5, height: 3, .jpeg(jpeg[...])), x: 0, y: 0))
            .closures.isEmpty)
        let exact: [[UInt32]] = (0..<3).map { y in (0..<5).map { x in UInt32(0x10_2030 + x * 0x10 + y * 0x1000) } }
        let replace = script.send(F.copy(F.bitmap32(id: 71, flags: ImageFlags.cacheReplaceMe, exact), x: 0, y: 0))
        XCTAssertTrue(replace.closures.isEmpty, "\(replace.closures)")
        let lossless = ImageRef(id: 71, width: 5, height: 3, data: .fromCacheLossless)
        let step = script.send(F.copy(lossless, x: 40, y: 30))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            if F.inside(x, y, CanvasRect(x: 0, y: 0, width: 5, height: 3)) { return F.rgba(xrgb: exact[y][x]) }
            if F.inside(x, y, CanvasRect(x: 40, y: 30, width: 5, height: 3)) { return F.rgba(xrgb: exact[y - 30][x - 40]) }
            return F.black
        }
    }

    func testRejectsALossyImageThatAsksToReplaceACachedOne() throws {
        let script = DisplayScript()
        script.createPrimary()
        let jpeg = try self.jpeg(self.pixels(width: 4, height: 4), width: 4, height: 4)
        let step = script.send(F.copy(self.image(id: 72, flags: ImageFlags.cacheReplaceMe, width: 4, height: 4, .jpeg(jpeg[...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["lossy", "72", "CACHE_REPLACE_ME"])
    }

    // MARK: - Bad payloads close the display channel

    func testRejectsAnLZ4ImageThatEndsBeforeTheImage() throws {
        let script = DisplayScript()
        script.createPrimary()
        let payload = try self.lz4(self.pixels(width: 8, height: 8), width: 8, rowsPerBlock: 8)
        let step = script.send(F.copy(self.image(width: 8, height: 9, .lz4(payload[...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["lz4", "ends after 256 of 288 bytes"])
    }

    func testRejectsAnLZ4ImageOfAnUnknownFormat() throws {
        let script = DisplayScript()
        script.createPrimary()
        var payload = try self.lz4(self.pixels(width: 4, height: 4), width: 4, rowsPerBlock: 4)
        payload[1] = 5
        let step = script.send(F.copy(self.image(width: 4, height: 4, .lz4(payload[...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["lz4", "format 5"])
    }

    func testRejectsAJPEGWhoseSizeDisagreesWithTheDescriptor() throws {
        let script = DisplayScript()
        script.createPrimary()
        let jpeg = try self.jpeg(self.pixels(width: 6, height: 6), width: 6, height: 6)
        let step = script.send(F.copy(self.image(width: 6, height: 7, .jpeg(jpeg[...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["jpeg", "6x6", "6x7"])
    }

    func testRejectsAJPEGAlphaWithAShortAlphaPlane() throws {
        let script = DisplayScript()
        script.createPrimary()
        let pixels = self.pixels(width: 6, height: 6)
        let jpeg = try self.jpeg(pixels, width: 6, height: 6)
        let data = jpeg + self.alphaPlane(pixels, width: 6, height: 6, topDown: true).dropLast(4)
        let step = script.send(F.copy(self.image(width: 6, height: 6, .jpegAlpha(flags: 1, jpegSize: UInt32(jpeg.count), data: data[...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["lz", "ends early"])
    }

    func testRejectsGarbageCalledJPEG() {
        let script = DisplayScript()
        script.createPrimary()
        let step = script.send(F.copy(self.image(width: 4, height: 4, .jpeg([0, 1, 2, 3, 4, 5][...])), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["jpeg", "libjpeg"])
    }
}
