/// The display channel as the session drives it (issue 3; notes §3): surfaces, draw commands landing on
/// the canvas in R,G,B,A byte order, the image and palette caches, COPY_BITS, off-screen surfaces,
/// damage and its one-shot event, MONITORS_CONFIG, and what the client says when the channel links.
/// Every server message is built by SpiceWire's own encoder and fed to a real `Session`.
import SpiceCanvas
import SpiceSession
import SpiceWire
import XCTest

// MARK: - Shared by the display tests

/// A session whose display channel (and an inputs channel, to prove the rest goes on) is linked, with
/// shortcuts for sending display messages and reading the primary surface.
final class DisplayScript {
    let server = FakeServer()
    let display = ChannelID(.display)
    let inputs = ChannelID(.inputs)

    init(displayCaps: CapabilitySet? = nil) {
        if let displayCaps { self.server.channelCaps[self.display] = displayCaps }
        self.server.startSession(linking: [self.display, self.inputs])
    }

    var session: Session { self.server.session }
    var primary: Surface? { self.session.primarySurface(of: self.display) }

    /// Sends `messages` in one read, each framed as the fake server frames it.
    @discardableResult
    func send(_ messages: DisplayServerMessage...) -> Step {
        let end = self.server.server(self.display)
        return self.server.receive(self.display, messages.flatMap { end.display($0) })
    }

    /// Sends one message of `type` with a body built by hand.
    @discardableResult
    func send(type: UInt16, body: [UInt8]) -> Step {
        self.server.receive(self.display, self.server.server(self.display).message(type: type, body: body))
    }

    /// Creates the primary surface and takes the damage its creation reported, so later damage is the
    /// draw's own.
    @discardableResult
    func createPrimary(id: UInt32 = 0, width: UInt32 = 64, height: UInt32 = 48, format: UInt32 = SurfaceFormat.xrgb32) -> Step {
        let step = self.send(.surfaceCreate(SurfaceCreate(surfaceID: id, width: width, height: height, format: format,
                                                          flags: SurfaceFlags.primary)))
        _ = self.session.takeDamage(of: self.display)
        return step
    }

    func damagedEvents(_ step: Step) -> Int { step.events.filter { $0 == .displayDamaged(self.display) }.count }

    /// Asserts that `step` closed the display channel, and only it, with an error naming the display
    /// channel, `message` and one of `fields` (and containing every string of `mentioning`), and that
    /// the session, main and inputs go on.
    func assertDisplayClosed(_ step: Step, message: String, field fields: String..., mentioning: [String] = [],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(step.closes, [self.display], "only the display channel closes", file: file, line: line)
        XCTAssertEqual(step.closures.map(\.channel), [self.display], file: file, line: line)
        guard let error = step.closures.first?.error else {
            return XCTFail("the display channel was not closed with an error: \(step.events)", file: file, line: line)
        }
        XCTAssertEqual(error.code, .malformed, file: file, line: line)
        XCTAssertEqual(error.channel, self.display, file: file, line: line)
        XCTAssertTrue(error.detail.contains("display channel"), "no channel in: \(error.detail)", file: file, line: line)
        XCTAssertTrue(error.detail.contains("message \(message),"), "no message \(message) in: \(error.detail)", file: file, line: line)
        XCTAssertTrue(fields.contains { error.detail.contains("field \($0):") }, "no field \(fields) in: \(error.detail)", file: file, line: line)
        for word in mentioning {
            XCTAssertTrue(error.detail.contains(word), "\(word) missing from: \(error.detail)", file: file, line: line)
        }
        XCTAssertEqual(self.session.status(of: self.display), .closed(error), file: file, line: line)
        XCTAssertFalse(self.session.wantsInput(self.display), file: file, line: line)

        // The rest of the session goes on.
        XCTAssertTrue(step.sessionEnds.isEmpty, "\(step.sessionEnds)", file: file, line: line)
        XCTAssertFalse(self.session.ended, file: file, line: line)
        XCTAssertEqual(self.session.status(of: .main), .linked, file: file, line: line)
        XCTAssertEqual(self.session.status(of: self.inputs), .linked, file: file, line: line)
        for channel in [ChannelID.main, self.inputs] {
            let ping = self.server.receive(channel, self.server.server(channel).base(.ping(Ping(id: 41, timestamp: 42))))
            XCTAssertEqual(ping.messages(on: channel), [.base(.pong(id: 41, timestamp: 42))], "\(channel)", file: file, line: line)
        }
        // A closed channel reads nothing more.
        let late = self.send(.mark)
        XCTAssertTrue(late.actions.isEmpty, "\(late.actions)", file: file, line: line)
    }
}

/// Pixels of canvas surfaces as R,G,B,A bytes, and the images the tests draw.
enum DisplayFixture {
    static let black: [UInt8] = [0, 0, 0, 255]

    /// The four stored bytes of pixel (x, y) of a 32-bit surface: R, G, B, A.
    static func rgba(_ surface: Surface, _ x: Int, _ y: Int) -> [UInt8] {
        let p = surface.row(y) + x * surface.format.storedBytesPerPixel
        return (0..<4).map { p.load(fromByteOffset: $0, as: UInt8.self) }
    }

    /// An xRGB word as the R,G,B,A bytes an opaque surface stores for it.
    static func rgba(xrgb: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: xrgb >> 16), UInt8(truncatingIfNeeded: xrgb >> 8), UInt8(truncatingIfNeeded: xrgb), 255]
    }

    /// Compares every pixel of `surface` with `expected(x, y)`; reports the count and the first few
    /// differences instead of one failure per pixel.
    static func assertPixels(_ surface: Surface?, file: StaticString = #filePath, line: UInt = #line,
                             _ expected: (Int, Int) -> [UInt8]) {
        guard let surface else { return XCTFail("no surface", file: file, line: line) }
        var wrong: [String] = []
        var count = 0
        for y in 0..<surface.height {
            for x in 0..<surface.width {
                let want = expected(x, y), got = self.rgba(surface, x, y)
                if want != got {
                    count += 1
                    if wrong.count < 5 { wrong.append("(\(x),\(y)) is \(got), expected \(want)") }
                }
            }
        }
        XCTAssertEqual(count, 0, "\(count) pixels differ: \(wrong.joined(separator: "; "))", file: file, line: line)
    }

    /// Whether (x, y) lies in `rect`.
    static func inside(_ x: Int, _ y: Int, _ rect: CanvasRect) -> Bool {
        x >= rect.left && x < rect.right && y >= rect.top && y < rect.bottom
    }

    static func canvasRect(_ r: SpiceRect) -> CanvasRect {
        CanvasRect(left: Int(r.left), top: Int(r.top), right: Int(r.right), bottom: Int(r.bottom))
    }

    /// A 32BIT bitmap image of `rows` (xRGB words, top row first), rows `stride` bytes apart with the
    /// padding filled with 0xEE, stored bottom row first unless `topDown`.
    static func bitmap32(id: UInt64 = 1, flags: UInt8 = 0, _ rows: [[UInt32]], stride: Int? = nil, topDown: Bool = false) -> ImageRef {
        let width = rows[0].count, height = rows.count
        let stride = stride ?? width * 4
        var data: [UInt8] = []
        for row in topDown ? rows : rows.reversed() {
            for word in row { data += [UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                                       UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 24)] }
            data += [UInt8](repeating: 0xEE, count: stride - width * 4)
        }
        let bitmap = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: topDown ? BitmapFlags.topDown : 0,
                            width: UInt32(width), height: UInt32(height), stride: UInt32(stride), data: data[...])
        return ImageRef(id: id, flags: flags, width: UInt32(width), height: UInt32(height), data: .bitmap(bitmap))
    }

    /// An 8BIT (paletted) bitmap image of `rows` (indices, top row first), stored top-down.
    static func bitmap8(id: UInt64 = 2, _ rows: [[UInt8]], palette: PaletteRef, cachePalette: Bool = false, stride: Int? = nil) -> ImageRef {
        let width = rows[0].count, height = rows.count
        let stride = stride ?? width
        var data: [UInt8] = []
        for row in rows { data += row + [UInt8](repeating: 0xEE, count: stride - width) }
        let flags = BitmapFlags.topDown | (cachePalette ? BitmapFlags.palCacheMe : 0)
        let bitmap = Bitmap(format: BitmapFormat.eightBit, flags: flags, width: UInt32(width), height: UInt32(height),
                            stride: UInt32(stride), palette: palette, data: data[...])
        return ImageRef(id: id, width: UInt32(width), height: UInt32(height), data: .bitmap(bitmap))
    }

    /// A reference to an image cached under `id`.
    static func fromCache(_ id: UInt64, width: UInt32, height: UInt32) -> ImageRef {
        ImageRef(id: id, width: width, height: height, data: .fromCache)
    }

    static func fill(_ box: SpiceRect, _ color: UInt32, surface: UInt32 = 0, clip: SpiceWire.Clip = .none) -> DisplayServerMessage {
        .drawFill(DrawFill(base: DisplayBase(surfaceID: surface, box: box, clip: clip), brush: .solid(color)))
    }

    /// DRAW_COPY of the whole of `image` (descriptor size) with its top-left corner at (x, y).
    static func copy(_ image: ImageRef, x: Int32, y: Int32, surface: UInt32 = 0) -> DisplayServerMessage {
        let width = Int32(image.descriptor.width), height = Int32(image.descriptor.height)
        return .drawCopy(DrawCopy(base: DisplayBase(surfaceID: surface, box: SpiceRect(left: x, top: y, width: width, height: height)),
                                  src: image, srcArea: SpiceRect(left: 0, top: 0, width: width, height: height)))
    }
}

// MARK: - Rendering

final class SessionDisplayTests: XCTestCase {
    typealias F = DisplayFixture

    /// A 5×3 image whose pixels all differ; the x byte is garbage, which must not reach alpha.
    private let image5x3: [[UInt32]] = (0..<3).map { (y: Int) -> [UInt32] in
        (0..<5).map { (x: Int) -> UInt32 in
            let red = UInt32(0x20 + x * 0x10), green = UInt32(0x40 + y * 0x20), blue = UInt32(0x80 | (x + y))
            return 0x1200_0000 | red << 16 | green << 8 | blue
        }
    }

    // MARK: Surfaces

    func testPrimarySurfaceCreateReportsItsSizeAndStartsBlackAndOpaque() throws {
        let script = DisplayScript()
        XCTAssertNil(script.primary)
        let step = script.send(.surfaceCreate(SurfaceCreate(surfaceID: 0, width: 64, height: 48, format: SurfaceFormat.xrgb32,
                                                            flags: SurfaceFlags.primary)))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(step.events.filter { if case .displayPrimary = $0 { true } else { false } },
                       [.displayPrimary(script.display, width: 64, height: 48)])
        let primary = try XCTUnwrap(script.primary)
        XCTAssertEqual(primary.width, 64)
        XCTAssertEqual(primary.height, 48)
        XCTAssertEqual(primary.format, .xrgb32)
        F.assertPixels(primary) { _, _ in F.black }
        // The new surface as a whole is news to the application.
        XCTAssertEqual(script.damagedEvents(step), 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [CanvasRect(x: 0, y: 0, width: 64, height: 48)])
    }

    func testPrimaryFlagIsABitmaskSoStreamingModeAlongsideStillMakesAPrimary() {
        let script = DisplayScript()
        let step = script.send(.surfaceCreate(SurfaceCreate(surfaceID: 0, width: 32, height: 16, format: SurfaceFormat.xrgb32,
                                                            flags: SurfaceFlags.primary | SurfaceFlags.streamingMode)))
        XCTAssertTrue(step.events.contains(.displayPrimary(script.display, width: 32, height: 16)), "\(step.events)")
        XCTAssertEqual(script.primary?.width, 32)
    }

    func testDestroyingThePrimaryReportsAZeroSizedPrimaryAndANewOneCanFollow() throws {
        let script = DisplayScript()
        script.createPrimary()
        script.send(F.fill(SpiceRect(left: 0, top: 0, width: 8, height: 8), 0x00FF_FFFF))
        let destroyed = script.send(.surfaceDestroy(surfaceID: 0))

        XCTAssertTrue(destroyed.closures.isEmpty, "\(destroyed.closures)")
        XCTAssertEqual(destroyed.events.filter { if case .displayPrimary = $0 { true } else { false } },
                       [.displayPrimary(script.display, width: 0, height: 0)])
        XCTAssertNil(script.primary)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [], "no damage is left for a surface that is gone")

        // A resolution change: a new primary of another size, black again.
        let created = script.send(.surfaceCreate(SurfaceCreate(surfaceID: 0, width: 32, height: 16, format: SurfaceFormat.xrgb32,
                                                               flags: SurfaceFlags.primary)))
        XCTAssertTrue(created.events.contains(.displayPrimary(script.display, width: 32, height: 16)), "\(created.events)")
        F.assertPixels(script.primary) { _, _ in F.black }
    }

    // MARK: DRAW_FILL and damage

    func testSolidFillPaintsTheBoxInRGBAOrderAndReportsExactlyThatDamage() {
        let script = DisplayScript()
        script.createPrimary()
        let box = SpiceRect(left: 10, top: 5, width: 10, height: 10)
        let step = script.send(F.fill(box, 0x00FF_8000))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            F.inside(x, y, F.canvasRect(box)) ? [0xFF, 0x80, 0x00, 0xFF] : F.black
        }
        XCTAssertEqual(script.damagedEvents(step), 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [CanvasRect(x: 10, y: 5, width: 10, height: 10)])
        XCTAssertEqual(script.session.takeDamage(of: script.display), [], "taken damage is forgotten")
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.commands[DisplayServerMessage.ID.drawFill], 1)
    }

    func testDamagedIsReportedOnceUntilTheDamageIsTaken() {
        let script = DisplayScript()
        script.createPrimary()
        let first = SpiceRect(left: 0, top: 0, width: 4, height: 4)
        let second = SpiceRect(left: 40, top: 30, width: 6, height: 2)

        XCTAssertEqual(script.damagedEvents(script.send(F.fill(first, 0x0011_2233))), 1)
        XCTAssertEqual(script.damagedEvents(script.send(F.fill(second, 0x0044_5566))), 0, "already announced, not taken yet")
        XCTAssertEqual(script.damagedEvents(script.send(F.fill(first, 0x0077_8899), F.fill(second, 0x00AA_BBCC))), 0)

        let damage = script.session.takeDamage(of: script.display)
        for box in [first, second] {
            let rect = F.canvasRect(box)
            for y in rect.top..<rect.bottom {
                for x in rect.left..<rect.right {
                    XCTAssertTrue(damage.contains { F.inside(x, y, $0) }, "(\(x),\(y)) is not in the damage \(damage)")
                }
            }
        }
        XCTAssertLessThanOrEqual(damage.count, 2, "\(damage)")

        // Once taken, the next draw is news again.
        XCTAssertEqual(script.damagedEvents(script.send(F.fill(second, 0x0000_0001))), 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [F.canvasRect(second)])
    }

    func testFillWithClipRectsDrawsOnlyInsideThem() {
        let script = DisplayScript()
        script.createPrimary()
        let box = SpiceRect(left: 0, top: 0, width: 32, height: 32)
        // The last rect reaches past the box: only its part inside the box is drawn.
        let clips = [SpiceRect(left: 2, top: 2, width: 4, height: 4), SpiceRect(left: 20, top: 10, width: 10, height: 2),
                     SpiceRect(left: 28, top: 28, width: 10, height: 10)]
        let step = script.send(F.fill(box, 0x0000_00FF, clip: .rects(clips)))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            F.inside(x, y, F.canvasRect(box)) && clips.contains { F.inside(x, y, F.canvasRect($0)) } ? [0, 0, 0xFF, 0xFF] : F.black
        }
        let damage = script.session.takeDamage(of: script.display)
        XCTAssertFalse(damage.isEmpty)
        for rect in damage {
            XCTAssertTrue(F.canvasRect(box).contains(rect), "damage \(rect) reaches outside the box")
        }
    }

    func testFillOnAnOffScreenSurfaceIsNotPrimaryDamage() {
        let script = DisplayScript()
        script.createPrimary()
        let created = script.send(.surfaceCreate(SurfaceCreate(surfaceID: 5, width: 16, height: 16, format: SurfaceFormat.xrgb32, flags: 0)))
        XCTAssertFalse(created.events.contains { if case .displayPrimary = $0 { true } else { false } }, "\(created.events)")
        XCTAssertEqual(script.primary?.width, 64, "the primary is still surface 0")

        let step = script.send(F.fill(SpiceRect(left: 0, top: 0, width: 16, height: 16), 0x00FF_FFFF, surface: 5))
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        XCTAssertEqual(script.damagedEvents(step), 0)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [])
        F.assertPixels(script.primary) { _, _ in F.black }
    }

    // MARK: DRAW_COPY of bitmaps

    func testCopyOfABottomUp32BitBitmapWithAPaddedStrideLandsEveryPixel() {
        let script = DisplayScript()
        script.createPrimary()
        // 5 pixels are 20 bytes; each row is 32, so 12 bytes of 0xEE padding follow every row.
        let bottomUp = F.bitmap32(self.image5x3, stride: 32)
        let topDown = F.bitmap32(self.image5x3, stride: 28, topDown: true)
        let step = script.send(F.copy(bottomUp, x: 7, y: 9), F.copy(topDown, x: 30, y: 20))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        let image = self.image5x3
        F.assertPixels(script.primary) { x, y in
            if F.inside(x, y, CanvasRect(x: 7, y: 9, width: 5, height: 3)) { return F.rgba(xrgb: image[y - 9][x - 7]) }
            if F.inside(x, y, CanvasRect(x: 30, y: 20, width: 5, height: 3)) { return F.rgba(xrgb: image[y - 20][x - 30]) }
            return F.black
        }
        // Spot checks of the byte order, independent of the helper: top-left pixel 0x20,0x40,0x80.
        XCTAssertEqual(script.primary.map { F.rgba($0, 7, 9) }, [0x20, 0x40, 0x80, 0xFF])
        XCTAssertEqual(script.primary.map { F.rgba($0, 11, 11) }, [0x60, 0x80, 0x86, 0xFF])
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.images[ImageType.bitmap], 2)
    }

    func testCachedImageIsDrawnAgainFromTheCache() {
        let script = DisplayScript()
        script.createPrimary()
        let image = self.image5x3
        let first = script.send(F.copy(F.bitmap32(id: 77, flags: ImageFlags.cacheMe, image), x: 0, y: 0))
        XCTAssertTrue(first.closures.isEmpty, "\(first.closures)")
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.cacheHits, 0)

        let second = script.send(F.copy(F.fromCache(77, width: 5, height: 3), x: 40, y: 30))
        XCTAssertTrue(second.closures.isEmpty, "\(second.closures)")
        F.assertPixels(script.primary) { x, y in
            if F.inside(x, y, CanvasRect(x: 0, y: 0, width: 5, height: 3)) { return F.rgba(xrgb: image[y][x]) }
            if F.inside(x, y, CanvasRect(x: 40, y: 30, width: 5, height: 3)) { return F.rgba(xrgb: image[y - 30][x - 40]) }
            return F.black
        }
        let statistics = script.session.displayStatistics(of: script.display)
        XCTAssertEqual(statistics?.cacheHits, 1)
        XCTAssertEqual(statistics?.images[ImageType.bitmap], 1)
        XCTAssertEqual(statistics?.images[ImageType.fromCache], 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display).count, 2)
    }

    func testInvalListRemovesACachedImageAndLeavesTheOthers() {
        let script = DisplayScript()
        script.createPrimary()
        let image = self.image5x3
        script.send(F.copy(F.bitmap32(id: 77, flags: ImageFlags.cacheMe, image), x: 0, y: 0),
                    F.copy(F.bitmap32(id: 78, flags: ImageFlags.cacheMe, image), x: 0, y: 10),
                    .invalList([ResourceID(id: 77)]))

        let kept = script.send(F.copy(F.fromCache(78, width: 5, height: 3), x: 20, y: 20))
        XCTAssertTrue(kept.closures.isEmpty, "\(kept.closures)")
        XCTAssertEqual(script.primary.map { F.rgba($0, 20, 20) }, F.rgba(xrgb: image[0][0]))
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.cacheHits, 1)

        let gone = script.send(F.copy(F.fromCache(77, width: 5, height: 3), x: 30, y: 20))
        script.assertDisplayClosed(gone, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["77"])
    }

    func testInvalAllPixmapsEmptiesTheImageCache() {
        let script = DisplayScript()
        script.createPrimary()
        script.send(F.copy(F.bitmap32(id: 77, flags: ImageFlags.cacheMe, self.image5x3), x: 0, y: 0),
                    F.copy(F.bitmap32(id: 78, flags: ImageFlags.cacheMe, self.image5x3), x: 0, y: 10),
                    .invalAllPixmaps([]))
        let step = script.send(F.copy(F.fromCache(78, width: 5, height: 3), x: 20, y: 20))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["78"])
    }

    func testPalettedBitmapCachesItsPaletteForALaterImage() {
        let script = DisplayScript()
        script.createPrimary()
        let palette: [UInt32] = [0x00FF_0000, 0x0000_FF00, 0x0000_00FF, 0x0012_3456]
        let firstRows: [[UInt8]] = [[0, 1, 2, 3], [3, 2, 1, 0]]
        let secondRows: [[UInt8]] = [[1, 1, 0, 0], [2, 2, 3, 3]]
        let step = script.send(
            F.copy(F.bitmap8(firstRows, palette: .inline(Palette(unique: 0x5150, entries: palette)), cachePalette: true), x: 2, y: 2),
            F.copy(F.bitmap8(secondRows, palette: .cached(id: 0x5150), stride: 7), x: 10, y: 2))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            if F.inside(x, y, CanvasRect(x: 2, y: 2, width: 4, height: 2)) { return F.rgba(xrgb: palette[Int(firstRows[y - 2][x - 2])]) }
            if F.inside(x, y, CanvasRect(x: 10, y: 2, width: 4, height: 2)) { return F.rgba(xrgb: palette[Int(secondRows[y - 2][x - 10])]) }
            return F.black
        }
    }

    func testInvalPaletteForgetsACachedPalette() {
        let script = DisplayScript()
        script.createPrimary()
        script.send(F.copy(F.bitmap8([[0, 1]], palette: .inline(Palette(unique: 9, entries: [0x0010_2030, 0x0040_5060])), cachePalette: true),
                           x: 0, y: 0),
                    .invalPalette(id: 9))
        let step = script.send(F.copy(F.bitmap8([[1, 0]], palette: .cached(id: 9)), x: 0, y: 4))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["palette"])
    }

    // MARK: COPY_BITS and SURFACE images

    func testCopyBitsScrollsThePrimary() {
        let script = DisplayScript()
        script.createPrimary()
        // 16 rows, each its own colour; every pixel of a row differs too.
        let rows: [[UInt32]] = (0..<16).map { (y: Int) -> [UInt32] in
            (0..<16).map { (x: Int) -> UInt32 in UInt32(y * 16 + 8) << 16 | UInt32(x * 16) << 8 | 0x5A }
        }
        script.send(F.copy(F.bitmap32(rows, topDown: true), x: 8, y: 8))
        _ = script.session.takeDamage(of: script.display)

        // Scroll up by 4 rows: the box's rows 8..<20 take what was at 12..<24.
        let box = SpiceRect(left: 8, top: 8, width: 16, height: 12)
        let step = script.send(.copyBits(base: DisplayBase(surfaceID: 0, box: box), srcPos: SpicePoint(x: 8, y: 12)))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            guard F.inside(x, y, CanvasRect(x: 8, y: 8, width: 16, height: 16)) else { return F.black }
            let sourceRow = y < 20 ? y + 4 : y
            return F.rgba(xrgb: rows[sourceRow - 8][x - 8])
        }
        XCTAssertEqual(script.damagedEvents(step), 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [F.canvasRect(box)])
    }

    func testCopyFromAnOffScreenSurfaceDrawsItsPixelsOnThePrimary() {
        let script = DisplayScript()
        script.createPrimary()
        script.send(.surfaceCreate(SurfaceCreate(surfaceID: 5, width: 16, height: 16, format: SurfaceFormat.xrgb32, flags: 0)),
                    F.fill(SpiceRect(left: 0, top: 0, width: 16, height: 16), 0x0010_2030, surface: 5),
                    F.fill(SpiceRect(left: 4, top: 4, width: 4, height: 8), 0x00C0_B0A0, surface: 5))
        F.assertPixels(script.primary) { _, _ in F.black }

        let source = ImageRef(id: 0, width: 16, height: 16, data: .surface(id: 5))
        let step = script.send(.drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: SpiceRect(left: 30, top: 20, width: 12, height: 12)),
                                                  src: source, srcArea: SpiceRect(left: 2, top: 2, width: 12, height: 12))))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            guard F.inside(x, y, CanvasRect(x: 30, y: 20, width: 12, height: 12)) else { return F.black }
            // Destination (30, 20) is source (2, 2); the inner rect (4,4)-(8,12) lands at (32,22)-(36,30).
            return F.inside(x, y, CanvasRect(x: 32, y: 22, width: 4, height: 8)) ? [0xC0, 0xB0, 0xA0, 0xFF] : [0x10, 0x20, 0x30, 0xFF]
        }
        XCTAssertEqual(script.session.takeDamage(of: script.display), [CanvasRect(x: 30, y: 20, width: 12, height: 12)])
        XCTAssertEqual(script.session.displayStatistics(of: script.display)?.images[ImageType.surface], 1)
    }

    // MARK: 16-bit surfaces

    func testSixteenBit555SurfaceStoresItsColoursWidenedToRGBA() {
        let script = DisplayScript()
        script.createPrimary(width: 16, height: 8, format: SurfaceFormat.xrgb1555)
        XCTAssertEqual(script.primary?.format, .rgb555)
        F.assertPixels(script.primary) { _, _ in F.black }

        // x1r5g5b5 0x4101 is r=0x10, g=0x08, b=0x01; widened by repeating the high bits: 0x84, 0x42, 0x08.
        let pixel16: [UInt8] = [0x01, 0x41]
        let bitmap = Bitmap(format: BitmapFormat.sixteenBit, flags: BitmapFlags.topDown, width: 1, height: 1, stride: 2, data: pixel16[...])
        let step = script.send(F.fill(SpiceRect(left: 0, top: 0, width: 4, height: 4), 0x4101),
                               F.fill(SpiceRect(left: 4, top: 0, width: 4, height: 4), 0x7FFF),
                               F.copy(ImageRef(id: 3, width: 1, height: 1, data: .bitmap(bitmap)), x: 8, y: 0))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { x, y in
            if F.inside(x, y, CanvasRect(x: 0, y: 0, width: 4, height: 4)) { return [0x84, 0x42, 0x08, 0xFF] }
            if F.inside(x, y, CanvasRect(x: 4, y: 0, width: 4, height: 4)) { return [0xFF, 0xFF, 0xFF, 0xFF] }
            if x == 8 && y == 0 { return [0x84, 0x42, 0x08, 0xFF] }
            return F.black
        }
    }

    /// spice-common draws on a 16_555 surface through a pixman x1r5g5b5 image, so a 32-bit source is
    /// reduced to five bits per channel (`canvas_get_image_internal` converts it to the canvas format)
    /// and QEMU's screendump shows those five bits widened again.
    func testThirtyTwoBitImageOnA555SurfaceKeepsOnlyFiveBitsPerChannel() {
        let script = DisplayScript()
        script.createPrimary(width: 8, height: 4, format: SurfaceFormat.xrgb1555)
        let step = script.send(F.copy(F.bitmap32([[0x0012_3456]]), x: 1, y: 1))

        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        // 0x12 → 0b00010 → 0x10; 0x34 → 0b00110 → 0x31; 0x56 → 0b01010 → 0x52.
        XCTAssertEqual(script.primary.map { F.rgba($0, 1, 1) }, [0x10, 0x31, 0x52, 0xFF])
    }

    // MARK: MARK, RESET, MONITORS_CONFIG

    func testMarkIsReported() {
        let script = DisplayScript()
        script.createPrimary()
        XCTAssertEqual(script.send(.mark).events, [.displayMarked(script.display)])
    }

    func testResetForgetsTheCachedPalettes() {
        let script = DisplayScript()
        script.createPrimary()
        script.send(F.copy(F.bitmap8([[0]], palette: .inline(Palette(unique: 4, entries: [0x00FF_FFFF])), cachePalette: true), x: 0, y: 0),
                    .reset)
        let step = script.send(F.copy(F.bitmap8([[0]], palette: .cached(id: 4)), x: 1, y: 0))
        script.assertDisplayClosed(step, message: "DRAW_COPY", field: "src_bitmap", mentioning: ["palette"])
    }

    /// spice-gtk's `display_handle_reset` clears the primary canvas; the protocol notes (§3.6) say the
    /// same: "RESET = clear the primary and the palette cache".
    func testResetClearsThePrimaryToBlack() {
        let script = DisplayScript()
        script.createPrimary()
        script.send(F.fill(SpiceRect(left: 0, top: 0, width: 64, height: 48), 0x00FF_FFFF))
        _ = script.session.takeDamage(of: script.display)

        let step = script.send(.reset)
        XCTAssertTrue(step.closures.isEmpty, "\(step.closures)")
        F.assertPixels(script.primary) { _, _ in F.black }
        XCTAssertEqual(script.damagedEvents(step), 1)
        XCTAssertEqual(script.session.takeDamage(of: script.display), [CanvasRect(x: 0, y: 0, width: 64, height: 48)])
    }

    func testMonitorsConfigIsReportedAndRecorded() {
        let script = DisplayScript()
        script.createPrimary()
        let heads = [Head(monitorID: 0, surfaceID: 0, width: 32, height: 48, x: 0, y: 0),
                     Head(monitorID: 1, surfaceID: 0, width: 32, height: 48, x: 32, y: 0, flags: 0)]
        let step = script.send(.monitorsConfig(heads: heads, maxAllowed: 4))

        XCTAssertEqual(step.events, [.displayMonitors(script.display, heads)])
        XCTAssertEqual(script.session.monitors(of: script.display), heads)
    }

    // MARK: What the client sends when the channel links

    func testDisplayInitAndThePreferredCompressionAreSentWhenTheServerOffersPrefCompression() {
        let script = DisplayScript(displayCaps: CapabilitySet([DisplayCapability.prefCompression]))
        XCTAssertEqual(script.server.server(script.display).frames.map(\.message), [
            .display(.`init`(pixmapCacheID: 1, pixmapCacheSize: 20_971_520, glzDictionaryID: 1,
                             glzWindowSize: Session.glzWindowPixels(ramHint: sampleInit.ramHint))),
            // The configured default: GLZ (5), which the client decodes.
            .display(.preferredCompression(Session.Configuration().preferredCompression!)),
        ])
        XCTAssertEqual(Session.Configuration().preferredCompression, 5)
        XCTAssertEqual(script.session.statistics(of: script.display)?.messagesSent, 2)
    }

    func testOnlyDisplayInitIsSentWhenTheServerLacksPrefCompression() {
        let script = DisplayScript(displayCaps: CapabilitySet([DisplayCapability.monitorsConfig, DisplayCapability.lz4Compression]))
        XCTAssertEqual(script.server.server(script.display).frames.map(\.message), [
            .display(.`init`(pixmapCacheID: 1, pixmapCacheSize: 20_971_520, glzDictionaryID: 1,
                             glzWindowSize: Session.glzWindowPixels(ramHint: sampleInit.ramHint))),
        ])
    }
}
