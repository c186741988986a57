/// Bad input on the display channel (issue 3, "Bad input"): each case closes the display channel with
/// an error naming the channel, the message and the field, while the session, main and inputs go on,
/// nothing crashes, and nothing is allocated for a size the limits refuse.
import SpiceCanvas
import SpiceSession
import SpiceWire
import XCTest

final class SessionDisplayRejectionTests: XCTestCase {
    typealias F = DisplayFixture

    private func surfaceCreate(_ id: UInt32, _ width: UInt32, _ height: UInt32, format: UInt32 = SurfaceFormat.xrgb32,
                               primary: Bool = false) -> DisplayServerMessage {
        .surfaceCreate(SurfaceCreate(surfaceID: id, width: width, height: height, format: format, flags: primary ? SurfaceFlags.primary : 0))
    }

    /// Runs `body` and fails if it took longer than a refusal should (no surface-sized work was done).
    private func assertPrompt<T>(_ what: String, file: StaticString = #filePath, line: UInt = #line, _ body: () -> T) -> T {
        let clock = ContinuousClock()
        var result: T?
        let elapsed = clock.measure { result = body() }
        XCTAssertLessThan(elapsed, .milliseconds(500), "\(what) took \(elapsed)", file: file, line: line)
        return result!
    }

    // MARK: - Surfaces

    func testRejectsDrawOnUnknownSurface() {
        let box = SpiceRect(left: 0, top: 0, width: 4, height: 4)
        let cases: [(String, DisplayServerMessage)] = [
            ("DRAW_FILL", F.fill(box, 0x00FF_FFFF, surface: 9)),
            ("DRAW_COPY", F.copy(F.bitmap32([[1, 2], [3, 4]]), x: 0, y: 0, surface: 9)),
            ("COPY_BITS", .copyBits(base: DisplayBase(surfaceID: 9, box: box), srcPos: SpicePoint(x: 4, y: 4))),
        ]
        for (name, message) in cases {
            let script = DisplayScript()
            script.createPrimary()
            script.assertDisplayClosed(script.send(message), message: name, field: "surface_id", mentioning: ["9"])
            F.assertPixels(script.primary) { _, _ in F.black }
        }
    }

    func testRejectsSurfaceImageOfUnknownSurface() {
        let script = DisplayScript()
        script.createPrimary()
        let source = ImageRef(id: 0, width: 4, height: 4, data: .surface(id: 12))
        let step = script.send(.drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: SpiceRect(left: 0, top: 0, width: 4, height: 4)),
                                                  src: source, srcArea: SpiceRect(left: 0, top: 0, width: 4, height: 4))))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "surface_id", "src_bitmap", mentioning: ["12"])
    }

    func testRejectsDestroyOfUnknownSurface() {
        let script = DisplayScript()
        script.createPrimary()
        script.assertDisplayClosed(script.send(.surfaceDestroy(surfaceID: 3)), message: "SURFACE_DESTROY", field: "surface_id", mentioning: ["3"])
        XCTAssertNotNil(script.primary, "the primary is untouched")
    }

    func testRejectsBoxOutsideSurface() {
        let boxes: [SpiceRect] = [
            SpiceRect(left: 60, top: 40, width: 10, height: 10),  // past the right and bottom edges
            SpiceRect(left: -1, top: 0, width: 4, height: 4),     // left of the surface
            SpiceRect(left: 0, top: -3, width: 4, height: 4),     // above it
            SpiceRect(left: 0, top: 0, width: 65, height: 1),     // one pixel too wide
            SpiceRect(left: 0, top: 47, width: 1, height: 2),     // one pixel too tall
            SpiceRect(top: 10, left: 20, bottom: 12, right: 10),  // inverted
            SpiceRect(top: Int32.max - 1, left: Int32.min, bottom: Int32.max, right: Int32.max),
        ]
        for box in boxes {
            let script = DisplayScript()
            script.createPrimary()
            script.assertDisplayClosed(script.send(F.fill(box, 0x00FF_FFFF)), message: "DRAW_FILL", field: "box")
            F.assertPixels(script.primary) { _, _ in F.black }
        }
        // The whole surface is a box inside it.
        let script = DisplayScript()
        script.createPrimary()
        let step = script.send(F.fill(SpiceRect(left: 0, top: 0, width: 64, height: 48), 0x00FF_FFFF))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { _, _ in [0xFF, 0xFF, 0xFF, 0xFF] }
    }

    func testRejectsZeroSizedSurface() {
        for (width, height, field) in [(UInt32(0), UInt32(48), "width"), (64, 0, "height"), (0, 0, "width")] {
            let script = DisplayScript()
            let step = script.send(self.surfaceCreate(0, width, height, primary: true))
            XCTAssertFalse(step.events.contains { if case .displayPrimary = $0 { true } else { false } }, "\(width)x\(height): \(step.events)")
            XCTAssertNil(script.primary)
            script.assertDisplayClosed(step, message: "SURFACE_CREATE", field: field)
        }
    }

    func testRejectsHugeSurface() {
        // The first two pass the wire tier's per-dimension bound and must be refused by the pixel limits
        // before any memory is touched; the last two are over the dimension bound itself.
        let cases: [(UInt32, UInt32, [String])] = [
            (16384, 16384, ["width", "height"]),
            (8192, 8193, ["width", "height"]),
            (16385, 1, ["width"]),
            (1, 0xFFFF_FFFF, ["height"]),
        ]
        for (width, height, fields) in cases {
            let script = DisplayScript()
            let step = self.assertPrompt("refusing \(width)x\(height)") { script.send(self.surfaceCreate(0, width, height, primary: true)) }
            XCTAssertNil(script.primary)
            script.assertDisplayClosed(step, message: "SURFACE_CREATE", field: fields[0], fields.count > 1 ? fields[1] : fields[0])
        }
    }

    func testRejectsTotalSurfacePixelsOverLimit() {
        let script = DisplayScript()
        script.createPrimary()  // 3,072 pixels
        // A8 surfaces count pixels like any other but store one byte each, so the test stays light.
        let big = 8192 * 8191
        let rest = DisplayLimits.maxTotalSurfacePixels - 64 * 48 - big
        XCTAssertEqual(rest, 64 * 80, "the surfaces below fill the budget exactly")
        let filled = script.send(self.surfaceCreate(1, 8192, 8191, format: SurfaceFormat.a8), self.surfaceCreate(2, 64, 80, format: SurfaceFormat.a8))
        XCTAssertTrue(filled.closures.isEmpty, "exactly the limit is allowed: \(filled.closures)")

        let step = self.assertPrompt("refusing one pixel more") { script.send(self.surfaceCreate(3, 1, 1)) }
        script.assertDisplayClosed(step, message: "SURFACE_CREATE", field: "width", "height", "surface_id")
    }

    func testDestroyedSurfacesGiveTheirPixelsBack() {
        let script = DisplayScript()
        script.createPrimary()
        for _ in 0..<3 {
            let step = script.send(self.surfaceCreate(1, 8192, 8191, format: SurfaceFormat.a8), .surfaceDestroy(surfaceID: 1))
            XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        }
        XCTAssertEqual(script.session.status(of: script.display), .linked)
    }

    func testRejectsDuplicateSurfaceID() {
        for (first, second) in [(self.surfaceCreate(3, 8, 8), self.surfaceCreate(3, 16, 16)),
                                (self.surfaceCreate(0, 64, 48, primary: true), self.surfaceCreate(0, 64, 48, primary: true))] {
            let script = DisplayScript()
            XCTAssertTrue(script.send(first).closures.isEmpty)
            script.assertDisplayClosed(script.send(second), message: "SURFACE_CREATE", field: "surface_id")
        }
    }

    func testRejectsUnknownSurfaceFormat() {
        for format: UInt32 in [0, 24, 33, 0xFFFF_FFFF] {
            let script = DisplayScript()
            let step = script.send(self.surfaceCreate(0, 64, 48, format: format, primary: true))
            XCTAssertNil(script.primary)
            script.assertDisplayClosed(step, message: "SURFACE_CREATE", field: "format", mentioning: ["\(format)"])
        }
    }

    // MARK: - Caches

    func testRejectsFromCacheOfIdNeverSent() {
        for data in [ImageData.fromCache, .fromCacheLossless] {
            let script = DisplayScript()
            script.createPrimary()
            let image = ImageRef(id: 1234, width: 4, height: 4, data: data)
            script.assertDisplayClosed(script.send(F.copy(image, x: 0, y: 0)), message: "DRAW_COPY", field: "src_bitmap", mentioning: ["1234"])
        }
    }

    func testRejectsPaletteFromCacheNeverSent() {
        let script = DisplayScript()
        script.createPrimary()
        let step = script.send(F.copy(F.bitmap8([[0, 1]], palette: .cached(id: 0xABCD)), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["palette", "\(0xABCD)"])
    }

    func testRejectsPaletteIndexPastPalette() {
        let script = DisplayScript()
        script.createPrimary()
        let palette = Palette(unique: 1, entries: [0x00FF_0000, 0x0000_FF00, 0x0000_00FF, 0x00FF_FFFF])
        let step = script.send(F.copy(F.bitmap8([[0, 1, 2, 3], [3, 4, 0, 0]], palette: .inline(palette)), x: 0, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["palette index 4"])
        F.assertPixels(script.primary) { _, _ in F.black }
    }

    // MARK: - Bitmaps and clips

    func testRejectsBitmapStrideTimesHeightBeyondMessage() {
        // A valid 4×4 32-bit bitmap (stride 16, 64 bytes of pixels) whose stride is then patched by hand
        // to 17: four rows now need 68 bytes, and only 64 are in the message.
        var body = F.copy(F.bitmap32([[UInt32]](repeating: [1, 2, 3, 4], count: 4), topDown: true), x: 0, y: 0).encode()
        // DisplayBase with no clip is 21 bytes; the source image pointer follows it. In the image, the
        // stride follows the 18-byte descriptor and format, flags, x and y (10 bytes).
        let image = Int(body[21]) | Int(body[22]) << 8 | Int(body[23]) << 16 | Int(body[24]) << 24
        XCTAssertEqual(Array(body[(image + 28)..<(image + 32)]), [16, 0, 0, 0], "the stride is where the layout puts it")
        body[image + 28] = 17
        let script = DisplayScript()
        script.createPrimary()
        let patched = self.assertPrompt("a bitmap of stride 17") { script.send(type: DisplayServerMessage.ID.drawCopy, body: body) }
        script.assertDisplayClosed(patched, message: "DRAW_COPY", field: "bitmap.data", "bitmap.stride", "src_bitmap")

        // A stride of almost 4 GiB on 16384 rows, with 64 bytes of data: refused without reading or
        // allocating for it.
        let huge = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: 0, width: 1, height: 16384, stride: 0xFFFF_FFF0,
                          data: [UInt8](repeating: 7, count: 64)[...])
        let script2 = DisplayScript()
        script2.createPrimary()
        let step = self.assertPrompt("a bitmap of stride 0xFFFFFFF0") {
            script2.send(F.copy(ImageRef(id: 5, width: 1, height: 16384, data: .bitmap(huge)), x: 0, y: 0))
        }
        script2.assertDisplayClosed(step, message: "DRAW_COPY", field: "bitmap.data", "bitmap.stride", "src_bitmap")

        // One byte short of stride × height.
        let short = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: 0, width: 4, height: 4, stride: 16,
                           data: [UInt8](repeating: 7, count: 63)[...])
        let script3 = DisplayScript()
        script3.createPrimary()
        let step3 = script3.send(F.copy(ImageRef(id: 6, width: 4, height: 4, data: .bitmap(short)), x: 0, y: 0))
        script3.assertDisplayClosed(step3, message: "DRAW_COPY", field: "bitmap.data", "src_bitmap")
    }

    func testRejectsInvertedClipRect() {
        let box = SpiceRect(left: 0, top: 0, width: 32, height: 32)
        for clip in [SpiceRect(top: 2, left: 10, bottom: 8, right: 4), SpiceRect(top: 8, left: 2, bottom: 2, right: 6)] {
            let script = DisplayScript()
            script.createPrimary()
            let step = script.send(F.fill(box, 0x00FF_FFFF, clip: .rects([SpiceRect(left: 0, top: 0, width: 2, height: 2), clip])))
            script.assertDisplayClosed(step, message: "DRAW_FILL", field: "clip")
            F.assertPixels(script.primary) { _, _ in F.black }
        }
    }

    /// Geometry no limit names (source areas, positions and scroll origins at the ends of the i32
    /// range, inverted or empty) is either drawn within the surfaces or refused: never a crash.
    func testExtremeSourceGeometryNeverCrashes() {
        let extremes: [SpiceRect] = [
            SpiceRect(top: 3, left: 4, bottom: 1, right: 0),                                // inverted
            SpiceRect(left: 2, top: 2, width: 0, height: 0),                                // empty, box is not
            SpiceRect(left: 3, top: 1, width: 40, height: 40),                              // past the 5×3 image
            SpiceRect(top: Int32.min, left: Int32.min, bottom: Int32.max, right: Int32.max),
            SpiceRect(top: Int32.max - 1, left: Int32.max - 1, bottom: Int32.max, right: Int32.max),
        ]
        let box = SpiceRect(left: 10, top: 10, width: 8, height: 6)
        let image = F.bitmap32([[UInt32]](repeating: [1, 2, 3, 4, 5], count: 3))
        var messages: [DisplayServerMessage] = []
        for area in extremes {
            for mode in [ImageScaleMode.nearest, ImageScaleMode.interpolate] {
                messages.append(.drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: box), src: image, srcArea: area, scaleMode: mode)))
            }
        }
        for point in [SpicePoint(x: Int32.min, y: Int32.min), SpicePoint(x: Int32.max, y: Int32.max), SpicePoint(x: -5, y: 60)] {
            messages.append(.copyBits(base: DisplayBase(surfaceID: 0, box: box), srcPos: point))
            messages.append(.drawFill(DrawFill(base: DisplayBase(surfaceID: 0, box: box), brush: .pattern(image: image, position: point))))
            messages.append(.drawFill(DrawFill(base: DisplayBase(surfaceID: 0, box: box), brush: .solid(0x00FF_FFFF),
                                               mask: QMask(flags: 0, position: point, bitmap: image))))
        }
        for message in messages {
            let script = DisplayScript()
            script.createPrimary()
            let step = script.send(message)
            if let closure = step.closures.first {
                XCTAssertEqual(closure.channel, script.display, "\(message)")
                XCTAssertTrue(closure.error?.detail.contains("display channel") == true, "\(String(describing: closure.error))")
            }
            XCTAssertEqual(script.session.status(of: .main), .linked)
            XCTAssertEqual(script.session.status(of: script.inputs), .linked)
            // Whatever was drawn stays inside the box.
            F.assertPixels(script.primary) { x, y in F.inside(x, y, F.canvasRect(box)) ? F.rgba(script.primary!, x, y) : F.black }
        }
    }

    // MARK: - Messages the client does not know

    func testUnknownDisplayMessageIsIgnoredNotFatal() {
        let script = DisplayScript()
        script.createPrimary()
        let end = script.server.server(script.display)
        let box = SpiceRect(left: 0, top: 0, width: 2, height: 2)
        let step = script.server.receive(script.display, end.message(type: 399, body: [1, 2, 3]) + end.display(F.fill(box, 0x0000_FF00)))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(step.ignored.map { $0.channel }, [script.display])
        XCTAssertEqual(step.ignored.map { $0.type }, [399])
        XCTAssertEqual(script.session.status(of: script.display), .linked)
        XCTAssertEqual(script.session.statistics(of: script.display)?.messagesByType[399], 1)
        // The draw after it was handled.
        XCTAssertEqual(script.primary.map { F.rgba($0, 1, 1) }, [0, 0xFF, 0, 0xFF])
        XCTAssertEqual(script.primary.map { F.rgba($0, 2, 2) }, F.black)
    }
}
