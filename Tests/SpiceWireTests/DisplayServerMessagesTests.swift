/// Tests for the display channel's server messages (spice.proto `channel DisplayChannel`): round trips of
/// every message id, every image type, both clip forms and every brush form; exact layouts of what QEMU
/// sends most; pointer rules; and what every strict prefix of a DRAW_COPY body gives.
import SpiceWire
import XCTest

// MARK: - Hand-built display bytes

/// A `Rect` in wire order: top, left, bottom, right.
func wireRect(top: Int32, left: Int32, bottom: Int32, right: Int32) -> [UInt8] {
    [top, left, bottom, right].flatMap { le32(UInt32(bitPattern: $0)) }
}

/// A `Point` on the wire.
func wirePoint(_ x: Int32, _ y: Int32) -> [UInt8] { le32(UInt32(bitPattern: x)) + le32(UInt32(bitPattern: y)) }

/// A `DisplayBase` on surface 0 with no clip: 21 bytes.
func wireBase(top: Int32 = 0, left: Int32 = 0, bottom: Int32, right: Int32) -> [UInt8] {
    le32(0) + wireRect(top: top, left: left, bottom: bottom, right: right) + [0x00]
}

/// A `QMask` without a mask: 13 bytes.
let wireNoMask: [UInt8] = [0x00] + wirePoint(0, 0) + le32(0)

/// An 18-byte `ImageDescriptor`.
func wireDescriptor(id: UInt64, type: UInt8, flags: UInt8 = 0, width: UInt32, height: UInt32) -> [UInt8] {
    le64(id) + [type, flags] + le32(width) + le32(height)
}

/// A DRAW_COPY fixed part (57 bytes) whose source is at `src` and whose box and source area are 3×2.
func wireCopyFixed(src: UInt32, mask: UInt32 = 0) -> [UInt8] {
    wireBase(bottom: 2, right: 3) + le32(src) + wireRect(top: 0, left: 0, bottom: 2, right: 3)
        + le16(Ropd.opPut.rawValue) + [ImageScaleMode.interpolate] + [0x00] + wirePoint(0, 0) + le32(mask)
}

/// A 3×2 32-bit top-down BITMAP image with rows padded from 12 to 16 bytes: 68 bytes.
let wirePaddedBitmap: [UInt8] = wireDescriptor(id: 0x0102_0304_0506_0708, type: ImageType.bitmap, width: 3, height: 2)
    + [BitmapFormat.thirtyTwoBit, BitmapFlags.topDown] + le32(3) + le32(2) + le32(16) + le32(0)
    + (0..<32).map { UInt8($0) }

// MARK: - Samples

func bytes(_ count: Int, from start: UInt8 = 1) -> ArraySlice<UInt8> {
    ArraySlice((0..<count).map { UInt8(truncatingIfNeeded: Int(start) + $0) })
}

let sampleBox = SpiceRect(top: 10, left: 20, bottom: 30, right: 60)
let sampleBase = DisplayBase(surfaceID: 0, box: sampleBox)
let sampleClippedBase = DisplayBase(surfaceID: 2, box: SpiceRect(top: -5, left: -7, bottom: 100, right: 200),
                                    clip: .rects([SpiceRect(top: 0, left: 0, bottom: 8, right: 8),
                                                  SpiceRect(top: 20, left: 30, bottom: 40, right: 50)]))
let samplePalette = Palette(unique: 0xABCD, entries: [0x00FF_0000, 0x0000_FF00, 0x0000_00FF])

/// One image of every `ImageData` case (and every palette form).
let sampleImages: [ImageRef] = [
    ImageRef(id: 1, flags: ImageFlags.cacheMe, width: 3, height: 2, data: .bitmap(Bitmap(
        format: BitmapFormat.thirtyTwoBit, flags: BitmapFlags.topDown, width: 3, height: 2, stride: 16, data: bytes(32)))),
    ImageRef(id: 2, width: 2, height: 2, data: .bitmap(Bitmap(
        format: BitmapFormat.eightBit, flags: BitmapFlags.palCacheMe, width: 2, height: 2, stride: 4,
        palette: .inline(samplePalette), data: bytes(8)))),
    ImageRef(id: 3, width: 9, height: 1, data: .bitmap(Bitmap(
        format: BitmapFormat.oneBitLE, flags: BitmapFlags.palFromCache, width: 9, height: 1, stride: 2,
        palette: .cached(id: 0xABCD), data: bytes(2)))),
    ImageRef(id: 4, width: 64, height: 64, data: .quic(bytes(40))),
    ImageRef(id: 5, width: 64, height: 64, data: .lzRGB(bytes(17))),
    ImageRef(id: 6, flags: ImageFlags.cacheMe | ImageFlags.highBitsSet, width: 64, height: 64, data: .glzRGB(bytes(23))),
    ImageRef(id: 7, width: 64, height: 64, data: .fromCache),
    ImageRef(id: 0, width: 1024, height: 768, data: .surface(id: 3)),
    ImageRef(id: 8, width: 16, height: 16, data: .jpeg(bytes(50))),
    ImageRef(id: 9, flags: ImageFlags.cacheReplaceMe, width: 64, height: 64, data: .fromCacheLossless),
    ImageRef(id: 10, width: 64, height: 64, data: .zlibGlzRGB(glzSize: 5000, data: bytes(30))),
    ImageRef(id: 11, width: 16, height: 16, data: .jpegAlpha(flags: 1, jpegSize: 12, data: bytes(20))),
    ImageRef(id: 12, width: 64, height: 64, data: .lz4(bytes(33))),
    ImageRef(id: 13, width: 8, height: 8, data: .lzPalette(flags: BitmapFlags.topDown, palette: .inline(samplePalette), data: bytes(9))),
    ImageRef(id: 14, width: 8, height: 8, data: .lzPalette(flags: BitmapFlags.palFromCache, palette: .cached(id: 77), data: bytes(9))),
    ImageRef(id: 15, width: 0, height: 0, data: .quic([])),
]

let sampleMaskImage = ImageRef(id: 20, width: 8, height: 8, data: .bitmap(Bitmap(
    format: BitmapFormat.oneBitBE, flags: BitmapFlags.topDown, width: 8, height: 8, stride: 1, data: bytes(8))))
let sampleMask = QMask(flags: MaskFlags.invers, position: SpicePoint(x: -1, y: 2), bitmap: sampleMaskImage)
let samplePatternBrush = Brush.pattern(image: ImageRef(id: 21, width: 8, height: 8, data: .fromCache), position: SpicePoint(x: 3, y: 4))
let sampleTransform = Transform(t00: 0x10000, t01: 0, t02: 5, t10: 0, t11: 0x10000, t12: 0xFFFF_FFFF)

let sampleStringA1 = SpiceString(flags: StringFlags.rasterA1 | StringFlags.rasterTopDown, glyphs: [
    RasterGlyph(renderPos: SpicePoint(x: 10, y: 20), glyphOrigin: SpicePoint(x: 0, y: -9), width: 9, height: 2, data: bytes(4)),
    RasterGlyph(renderPos: SpicePoint(x: 19, y: 20), glyphOrigin: SpicePoint(x: 1, y: -9), width: 0, height: 0, data: []),
])
let sampleStringA4 = SpiceString(flags: StringFlags.rasterA4, glyphs: [
    RasterGlyph(renderPos: SpicePoint(x: 1, y: 2), glyphOrigin: SpicePoint(x: 3, y: 4), width: 3, height: 2, data: bytes(4)),
])
let sampleStringA8 = SpiceString(flags: StringFlags.rasterA8, glyphs: [
    RasterGlyph(renderPos: SpicePoint(x: 1, y: 2), glyphOrigin: SpicePoint(x: 3, y: 4), width: 2, height: 3, data: bytes(6)),
    RasterGlyph(renderPos: SpicePoint(x: 5, y: 2), glyphOrigin: SpicePoint(x: 3, y: 4), width: 1, height: 1, data: bytes(1)),
])
let samplePath = Path(segments: [
    PathSegment(flags: PathFlags.begin, points: [PointFix(x: 16, y: 32), PointFix(x: -16, y: 48)]),
    PathSegment(flags: PathFlags.end | PathFlags.close | PathFlags.bezier, points: [PointFix(x: 1, y: 2), PointFix(x: 3, y: 4), PointFix(x: 5, y: 6)]),
])

/// At least one of every display server message id, every image type, both clip forms and every brush form.
let displayServerSamples: [DisplayServerMessage] = {
    var samples: [DisplayServerMessage] = [
        .mode(xRes: 1024, yRes: 768, bits: 32),
        .mark,
        .reset,
        .copyBits(base: sampleBase, srcPos: SpicePoint(x: 20, y: 40)),
        .copyBits(base: sampleClippedBase, srcPos: SpicePoint(x: -1, y: -2)),
        .invalList([]),
        .invalList([ResourceID(id: 1), ResourceID(id: 0xFFFF_FFFF_FFFF_FFFF), ResourceID(type: 0, id: 3)]),
        .invalAllPixmaps([]),
        .invalAllPixmaps([WaitForChannel(channel: ChannelID(.display, 1), serial: 99)]),
        .invalPalette(id: 0x0102_0304_0506_0708),
        .invalAllPalettes,
        .streamCreate(StreamCreate(surfaceID: 0, id: 5, flags: StreamFlags.topDown, codecType: VideoCodecType.mjpeg, stamp: 123,
                                   streamWidth: 640, streamHeight: 480, srcWidth: 1280, srcHeight: 960,
                                   dest: SpiceRect(top: 0, left: 0, bottom: 960, right: 1280), clip: .none)),
        .streamCreate(StreamCreate(surfaceID: 1, id: 63, flags: 0, codecType: VideoCodecType.h264, stamp: 0,
                                   streamWidth: 16, streamHeight: 16, srcWidth: 16, srcHeight: 16,
                                   dest: SpiceRect(top: 1, left: 2, bottom: 17, right: 18),
                                   clip: .rects([SpiceRect(top: 1, left: 2, bottom: 9, right: 9)]))),
        .streamData(StreamData(id: 5, multiMediaTime: 1000, data: bytes(100))),
        .streamData(StreamData(id: 5, multiMediaTime: 0, data: [])),
        .streamClip(id: 5, clip: .none),
        .streamClip(id: 5, clip: .rects([])),
        .streamDestroy(id: 5),
        .streamDestroyAll,
        .drawFill(DrawFill(base: sampleBase, brush: .solid(0x00FF_8040))),
        .drawFill(DrawFill(base: sampleClippedBase, brush: .none, ropd: [.opXor, .inversDest], mask: sampleMask)),
        .drawFill(DrawFill(base: sampleBase, brush: samplePatternBrush, ropd: [.opPut, .inversBrush])),
        .drawOpaque(DrawOpaque(base: sampleBase, src: sampleImages[3], srcArea: sampleBox, brush: .solid(1),
                               ropd: [.opAnd], scaleMode: ImageScaleMode.nearest, mask: sampleMask)),
        .drawBlend(DrawBlend(base: sampleClippedBase, src: sampleImages[0], srcArea: sampleBox, ropd: [.opOr, .inversSrc])),
        .drawBlackness(DrawBlackness(base: sampleBase)),
        .drawWhiteness(DrawWhiteness(base: sampleClippedBase, mask: sampleMask)),
        .drawInvers(DrawInvers(base: sampleBase, mask: QMask(flags: 0, position: SpicePoint(x: 5, y: 5)))),
        .drawRop3(DrawRop3(base: sampleBase, src: sampleImages[1], srcArea: sampleBox, brush: samplePatternBrush, rop3: 0xCA,
                           scaleMode: ImageScaleMode.interpolate, mask: sampleMask)),
        .drawStroke(DrawStroke(base: sampleBase, path: samplePath, attr: LineAttr(flags: LineFlags.styled | LineFlags.startWithGap, style: [16, 32, -48]),
                               brush: .solid(0xFF), foreMode: Ropd.opPut.rawValue, backMode: Ropd.opXor.rawValue)),
        .drawStroke(DrawStroke(base: sampleClippedBase, path: Path(segments: []), attr: LineAttr(flags: 0),
                               brush: samplePatternBrush, foreMode: 8, backMode: 8)),
        .drawStroke(DrawStroke(base: sampleBase, path: samplePath, attr: LineAttr(flags: LineFlags.styled, style: []),
                               brush: .none, foreMode: 8, backMode: 8)),
        .drawText(DrawText(base: sampleBase, string: sampleStringA1, backArea: sampleBox, foreBrush: .solid(0),
                           backBrush: .solid(0xFFFFFF), foreMode: 8, backMode: 8)),
        .drawText(DrawText(base: sampleClippedBase, string: sampleStringA4, backArea: .zero, foreBrush: samplePatternBrush,
                           backBrush: .none, foreMode: 8, backMode: 0)),
        .drawText(DrawText(base: sampleBase, string: sampleStringA8, backArea: .zero, foreBrush: .solid(7),
                           backBrush: samplePatternBrush, foreMode: 8, backMode: 8)),
        .drawText(DrawText(base: sampleBase, string: SpiceString(flags: StringFlags.rasterA8, glyphs: []), backArea: .zero,
                           foreBrush: .none, backBrush: .none, foreMode: 0, backMode: 0)),
        .drawTransparent(DrawTransparent(base: sampleBase, src: sampleImages[4], srcArea: sampleBox, srcColor: 0xFF00FF, trueColor: 0xFF00FF)),
        .drawAlphaBlend(DrawAlphaBlend(base: sampleClippedBase, alphaFlags: AlphaFlags.srcSurfaceHasAlpha, alpha: 128,
                                       src: sampleImages[7], srcArea: sampleBox)),
        .surfaceCreate(SurfaceCreate(surfaceID: 0, width: 1024, height: 768, format: SurfaceFormat.xrgb32, flags: SurfaceFlags.primary)),
        .surfaceCreate(SurfaceCreate(surfaceID: 7, width: 1, height: 1, format: 12345, flags: 0)),
        .surfaceDestroy(surfaceID: 7),
        .streamDataSized(StreamDataSized(id: 5, multiMediaTime: 77, width: 320, height: 200,
                                         dest: SpiceRect(top: 0, left: 0, bottom: 200, right: 320), data: bytes(64))),
        .monitorsConfig(heads: [
            Head(monitorID: 0, surfaceID: 0, width: 1024, height: 768, x: 0, y: 0),
            Head(monitorID: 1, surfaceID: 0, width: 800, height: 600, x: 1024, y: 0, flags: 1),
        ], maxAllowed: 4),
        .monitorsConfig(heads: [], maxAllowed: 1),
        .drawComposite(DrawComposite(
            base: sampleBase, flags: 3 | CompositeFlags.hasMask | CompositeFlags.hasSrcTransform | CompositeFlags.hasMaskTransform,
            src: sampleImages[0], mask: sampleMaskImage, srcTransform: sampleTransform, maskTransform: sampleTransform,
            srcOrigin: SpicePoint16(x: -3, y: 4), maskOrigin: SpicePoint16(x: 5, y: -6))),
        .drawComposite(DrawComposite(base: sampleClippedBase, flags: 12, src: sampleImages[12])),
        .drawComposite(DrawComposite(base: sampleBase, flags: CompositeFlags.hasMask | CompositeFlags.hasMaskTransform,
                                     src: sampleImages[6], mask: nil, maskTransform: sampleTransform)),
        .streamActivateReport(StreamActivateReport(streamID: 5, uniqueID: 9, maxWindowSize: 30, timeoutMS: 1000)),
        .glScanoutUnix(GLScanoutUnix(width: 1920, height: 1080, stride: 7680, drmFourcc: 0x3432_5258, flags: GLScanoutFlags.y0Top)),
        .glDraw(GLDraw(x: 1, y: 2, width: 3, height: 4)),
        .qualityIndicator([1, 2, 3]),
        .qualityIndicator([]),
    ]
    // DRAW_COPY with every image type as its source, so every ImageData case round-trips.
    for image in sampleImages {
        samples.append(.drawCopy(DrawCopy(base: sampleBase, src: image, srcArea: sampleBox)))
    }
    return samples
}()

final class DisplayServerMessagesTests: XCTestCase {
    // MARK: - Round trips

    func testSamplesCoverEveryDisplayServerMessageID() {
        let expected = Set(101...108).union(122...126).union(302...322).map { UInt16($0) }
        XCTAssertEqual(Set(displayServerSamples.map(\.type)), Set(expected))
    }

    func testSamplesCoverEveryImageTypeClipFormAndBrushForm() {
        XCTAssertEqual(Set(sampleImages.map(\.data.imageType)), [0, 1, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109])
        let bases = displayServerSamples.compactMap(\.drawBase)
        XCTAssertTrue(bases.contains { $0.clip == .none })
        XCTAssertTrue(bases.contains { if case .rects(let r) = $0.clip { !r.isEmpty } else { false } })
        let brushes: [Brush] = displayServerSamples.flatMap { message -> [Brush] in
            switch message {
            case .drawFill(let m): [m.brush]
            case .drawOpaque(let m): [m.brush]
            case .drawRop3(let m): [m.brush]
            case .drawStroke(let m): [m.brush]
            case .drawText(let m): [m.foreBrush, m.backBrush]
            default: []
            }
        }
        XCTAssertTrue(brushes.contains(.none))
        XCTAssertTrue(brushes.contains { if case .solid = $0 { true } else { false } })
        XCTAssertTrue(brushes.contains { if case .pattern = $0 { true } else { false } })
    }

    func testEveryDisplayServerMessageRoundTrips() throws {
        for message in displayServerSamples {
            let body = message.encode()
            XCTAssertEqual(try DisplayServerMessage.parse(type: message.type, body: body), message, "\(message.type)")
            // Encoding what was parsed gives the same bytes back: the layout is canonical.
            XCTAssertEqual(try DisplayServerMessage.parse(type: message.type, body: body)?.encode(), body, "\(message.type)")
        }
    }

    func testOtherIDsAreNotDisplayServerMessages() throws {
        for type: UInt16 in [0, 1, 4, 8, 100, 109, 121, 127, 301, 323, 0xFFFF] {
            XCTAssertNil(try DisplayServerMessage.parse(type: type, body: []), "\(type)")
        }
    }

    func testDrawBaseIsTheTargetOfDrawCommandsOnly() {
        XCTAssertEqual(DisplayServerMessage.drawFill(DrawFill(base: sampleClippedBase, brush: .none)).drawBase, sampleClippedBase)
        XCTAssertEqual(DisplayServerMessage.copyBits(base: sampleBase, srcPos: .zero).drawBase, sampleBase)
        XCTAssertNil(DisplayServerMessage.mark.drawBase)
        XCTAssertNil(DisplayServerMessage.surfaceDestroy(surfaceID: 0).drawBase)
    }

    // MARK: - Exact layouts

    func testSurfaceCreateIsFiveWords() throws {
        let body: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // surface_id 0
            0x00, 0x04, 0x00, 0x00,  // width 1024
            0x00, 0x03, 0x00, 0x00,  // height 768
            0x20, 0x00, 0x00, 0x00,  // format 32_xRGB
            0x01, 0x00, 0x00, 0x00,  // flags PRIMARY
        ]
        let message = DisplayServerMessage.surfaceCreate(SurfaceCreate(surfaceID: 0, width: 1024, height: 768,
                                                                       format: SurfaceFormat.xrgb32, flags: SurfaceFlags.primary))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 314, body: body), message)
    }

    func testSolidFillWithoutClipIsFortyOneBytes() throws {
        // What QEMU sends most: a solid colour into a box, no clip, OP_PUT, no mask.
        let body: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // base.surface_id 0
            0x0A, 0x00, 0x00, 0x00,  // box.top 10
            0x14, 0x00, 0x00, 0x00,  // box.left 20
            0x1E, 0x00, 0x00, 0x00,  // box.bottom 30
            0x3C, 0x00, 0x00, 0x00,  // box.right 60
            0x00,                    // clip.type NONE
            0x01,                    // brush.type SOLID
            0x40, 0x80, 0xFF, 0x00,  // brush.color 0x00FF8040
            0x08, 0x00,              // rop_descriptor OP_PUT
            0x00,                    // mask.flags
            0x00, 0x00, 0x00, 0x00,  // mask.pos.x
            0x00, 0x00, 0x00, 0x00,  // mask.pos.y
            0x00, 0x00, 0x00, 0x00,  // mask.bitmap: null
        ]
        XCTAssertEqual(body.count, 41)
        let message = DisplayServerMessage.drawFill(DrawFill(base: sampleBase, brush: .solid(0x00FF_8040)))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 302, body: body), message)
    }

    func testCopyOfPaddedThirtyTwoBitBitmapPointsPastTheFixedPart() throws {
        let body = wireCopyFixed(src: 57) + wirePaddedBitmap
        XCTAssertEqual(body.count, 57 + 18 + 18 + 32)
        let image = ImageRef(id: 0x0102_0304_0506_0708, width: 3, height: 2, data: .bitmap(Bitmap(
            format: BitmapFormat.thirtyTwoBit, flags: BitmapFlags.topDown, width: 3, height: 2, stride: 16,
            data: bytes(32, from: 0))))
        let message = DisplayServerMessage.drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: SpiceRect(top: 0, left: 0, bottom: 2, right: 3)),
                                                             src: image, srcArea: SpiceRect(top: 0, left: 0, bottom: 2, right: 3)))
        XCTAssertEqual(message.encode(), body)
        let parsed = try DisplayServerMessage.parse(type: 304, body: body)
        XCTAssertEqual(parsed, message)
        guard case .drawCopy(let copy) = parsed, case .bitmap(let bitmap) = copy.src.data else { return XCTFail("not a bitmap copy") }
        XCTAssertEqual(copy.src.descriptor.type, ImageType.bitmap)
        XCTAssertEqual(bitmap.data.count, 32, "stride × height bytes, padding included")
        XCTAssertEqual(bitmap.data.startIndex, 93, "the pixels start right after the 18-byte bitmap header")
        XCTAssertTrue(bitmap.isTopDown)
    }

    func testCopyBitsIsBaseThenSourcePoint() throws {
        let body = le32(1) + wireRect(top: 10, left: 20, bottom: 30, right: 60) + [0x00] + wirePoint(20, -4)
        XCTAssertEqual(body.count, 29)
        let message = DisplayServerMessage.copyBits(base: DisplayBase(surfaceID: 1, box: sampleBox), srcPos: SpicePoint(x: 20, y: -4))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 104, body: body), message)
    }

    func testClipRectsAreInlineAfterTheirCount() throws {
        let body = le32(0) + wireRect(top: 10, left: 20, bottom: 30, right: 60)
            + [0x01] + le32(2) + wireRect(top: 1, left: 2, bottom: 3, right: 4) + wireRect(top: 5, left: 6, bottom: 7, right: 8)
            + wirePoint(0, 0)
        let message = DisplayServerMessage.copyBits(
            base: DisplayBase(surfaceID: 0, box: sampleBox, clip: .rects([SpiceRect(top: 1, left: 2, bottom: 3, right: 4),
                                                                         SpiceRect(top: 5, left: 6, bottom: 7, right: 8)])),
            srcPos: .zero)
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 104, body: body), message)
    }

    func testGLScanoutUnixHasNoBytesForTheFileDescriptor() throws {
        let body = le32(1920) + le32(1080) + le32(7680) + le32(0x3432_5258) + le32(1)
        let message = DisplayServerMessage.glScanoutUnix(GLScanoutUnix(width: 1920, height: 1080, stride: 7680, drmFourcc: 0x3432_5258, flags: 1))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 320, body: body), message)
    }

    func testPathSegmentsAndGlyphsAreInlineBehindTheirPointer() throws {
        // DRAW_STROKE: the path pointer leads to `num_segments` followed by the segments themselves, not
        // to an array of pointers.
        let path = Path(segments: [PathSegment(flags: PathFlags.begin, points: [PointFix(x: 16, y: 32)])])
        let stroke = DisplayServerMessage.drawStroke(DrawStroke(base: sampleBase, path: path, attr: LineAttr(flags: 0),
                                                                brush: .solid(1), foreMode: 8, backMode: 8))
        let fixed = le32(0) + wireRect(top: 10, left: 20, bottom: 30, right: 60) + [0x00] + le32(35) + [0x00] + [0x01] + le32(1) + le16(8) + le16(8)
        XCTAssertEqual(fixed.count, 35)
        XCTAssertEqual(stroke.encode(), fixed + le32(1) + [PathFlags.begin] + le32(1) + le32(16) + le32(32))

        let string = SpiceString(flags: StringFlags.rasterA1, glyphs: [
            RasterGlyph(renderPos: SpicePoint(x: 1, y: 2), glyphOrigin: SpicePoint(x: 0, y: 0), width: 9, height: 1, data: [0xFF, 0x80]),
        ])
        let text = DisplayServerMessage.drawText(DrawText(base: sampleBase, string: string, backArea: .zero, foreBrush: .solid(0),
                                                          backBrush: .none, foreMode: 8, backMode: 8))
        let textFixed = le32(0) + wireRect(top: 10, left: 20, bottom: 30, right: 60) + [0x00] + le32(51)
            + wireRect(top: 0, left: 0, bottom: 0, right: 0) + [0x01] + le32(0) + [0x00] + le16(8) + le16(8)
        XCTAssertEqual(textFixed.count, 51)
        XCTAssertEqual(text.encode(), textFixed + le16(1) + [StringFlags.rasterA1] + wirePoint(1, 2) + wirePoint(0, 0) + le16(9) + le16(1) + [0xFF, 0x80])
    }

    func testStyledLineAttrPointsAtItsDashLengths() throws {
        let stroke = DisplayServerMessage.drawStroke(DrawStroke(
            base: sampleBase, path: Path(segments: []), attr: LineAttr(flags: LineFlags.styled, style: [16, -32]),
            brush: .none, foreMode: 8, backMode: 8))
        // base 21, path pointer 4, flags 1, style_nseg 1, style pointer 4, brush 1, modes 4.
        let fixed = wireBase(top: 10, left: 20, bottom: 30, right: 60) + le32(36) + [LineFlags.styled, 2] + le32(40) + [0x00] + le16(8) + le16(8)
        XCTAssertEqual(fixed.count, 36)
        XCTAssertEqual(stroke.encode(), fixed + le32(0) + le32(16) + le32(UInt32(bitPattern: -32)))
        XCTAssertEqual(try DisplayServerMessage.parse(type: 310, body: stroke.encode()), stroke)
    }

    func testCachedPaletteReplacesThePalettePointerWithAnID() throws {
        let image = ImageRef(id: 1, width: 9, height: 1, data: .bitmap(Bitmap(
            format: BitmapFormat.oneBitLE, flags: BitmapFlags.palFromCache, width: 9, height: 1, stride: 2,
            palette: .cached(id: 0x1122_3344_5566_7788), data: [0xAA, 0x80])))
        let body = wireCopyFixed(src: 57) + wireDescriptor(id: 1, type: 0, width: 9, height: 1)
            + [BitmapFormat.oneBitLE, BitmapFlags.palFromCache] + le32(9) + le32(1) + le32(2) + le64(0x1122_3344_5566_7788) + [0xAA, 0x80]
        let message = DisplayServerMessage.drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: SpiceRect(top: 0, left: 0, bottom: 2, right: 3)),
                                                             src: image, srcArea: SpiceRect(top: 0, left: 0, bottom: 2, right: 3)))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try DisplayServerMessage.parse(type: 304, body: body), message)
    }

    // MARK: - Pointers

    func testPointedToStructuresMayComeInAnyOrder() throws {
        // The palette first, then the mask, then the source: pointers are offsets, not a sequence.
        let palette = le64(5) + le16(2) + le32(0x00FF_0000) + le32(0x0000_FF00)
        let paletteAt = 57
        let maskAt = paletteAt + palette.count
        let mask = wireDescriptor(id: 9, type: ImageType.fromCache, width: 8, height: 8)
        let srcAt = maskAt + mask.count
        let src = wireDescriptor(id: 2, type: ImageType.bitmap, width: 2, height: 1)
            + [BitmapFormat.eightBit, 0] + le32(2) + le32(1) + le32(2) + le32(UInt32(paletteAt)) + [0x01, 0x00]
        let body = wireCopyFixed(src: UInt32(srcAt), mask: UInt32(maskAt)) + palette + mask + src
        let parsed = try DisplayServerMessage.parse(type: 304, body: body)
        guard case .drawCopy(let copy) = parsed else { return XCTFail("not a copy: \(String(describing: parsed))") }
        XCTAssertEqual(copy.mask.bitmap, ImageRef(id: 9, width: 8, height: 8, data: .fromCache))
        XCTAssertEqual(copy.src.data, .bitmap(Bitmap(format: BitmapFormat.eightBit, flags: 0, width: 2, height: 1, stride: 2,
                                                         palette: .inline(Palette(unique: 5, entries: [0x00FF_0000, 0x0000_FF00])),
                                                         data: [0x01, 0x00])))
    }

    func testTwoPointersMayShareOneImage() throws {
        let body = wireCopyFixed(src: 57, mask: 57) + wireDescriptor(id: 4, type: ImageType.fromCache, width: 1, height: 1)
        guard case .drawCopy(let copy) = try DisplayServerMessage.parse(type: 304, body: body) else { return XCTFail("not a copy") }
        XCTAssertEqual(copy.mask.bitmap, copy.src)
    }

    func testRejectsPointerIntoTheFixedPart() {
        // Offset 21 is the src_bitmap field itself.
        let body = wireCopyFixed(src: 21) + wirePaddedBitmap
        assertWireError(try DisplayServerMessage.parse(type: 304, body: body), .badOffset, channel: "display", message: "DRAW_COPY", field: "src_bitmap")
    }

    func testRejectsBytesAfterTheLastPointedToStructure() {
        let body = wireCopyFixed(src: 57) + wirePaddedBitmap + [0x00]
        assertWireError(try DisplayServerMessage.parse(type: 304, body: body), .trailingBytes, channel: "display", message: "DRAW_COPY", field: "end")
        let fill = DisplayServerMessage.drawFill(DrawFill(base: sampleBase, brush: .solid(0))).encode() + [0x00]
        assertWireError(try DisplayServerMessage.parse(type: 302, body: fill), .trailingBytes, channel: "display", message: "DRAW_FILL", field: "end")
        assertWireError(try DisplayServerMessage.parse(type: 314, body: le32(0) + le32(1) + le32(1) + le32(32) + le32(1) + [0]),
                        .trailingBytes, channel: "display", message: "SURFACE_CREATE", field: "end")
    }

    func testImagePayloadsAreViewsOfTheBody() throws {
        let body = wireCopyFixed(src: 57) + wirePaddedBitmap
        guard case .drawCopy(let copy) = try DisplayServerMessage.parse(type: 304, body: body),
              case .bitmap(let bitmap) = copy.src.data else { return XCTFail("not a bitmap copy") }
        let bodyBase = body.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let sliceBase = bitmap.data.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        XCTAssertEqual(sliceBase, bodyBase + 93, "the pixels were not copied out of the body")
    }

    // MARK: - Drip-feed

    func testEveryStrictPrefixOfADrawCopyBodyThrows() {
        let body = wireCopyFixed(src: 57) + wirePaddedBitmap
        assertEveryStrictPrefix(of: body, parse: { (prefix: [UInt8]) throws(SpiceWireError) in
            try DisplayServerMessage.parse(type: 304, body: prefix)
        }, expected: { length in
            switch length {
            case 0..<4: .fails(.truncated, field: "base.surface_id")
            case 4..<20: .fails(.truncated, field: "base.box")
            case 20: .fails(.truncated, field: "clip.type")
            case 21..<25: .fails(.truncated, field: "src_bitmap")
            case 25..<41: .fails(.truncated, field: "src_area")
            case 41..<43: .fails(.truncated, field: "rop_descriptor")
            case 43: .fails(.truncated, field: "scale_mode")
            case 44: .fails(.truncated, field: "mask.flags")
            case 45..<53: .fails(.truncated, field: "mask.pos")
            case 53..<57: .fails(.truncated, field: "mask.bitmap")
            // The fixed part is whole; its pointer to offset 57 now finds nothing (or too little) there.
            case 57..<65: .fails(.truncated, field: "descriptor.id")
            case 65: .fails(.truncated, field: "descriptor.type")
            case 66: .fails(.truncated, field: "descriptor.flags")
            case 67..<71: .fails(.truncated, field: "descriptor.width")
            case 71..<75: .fails(.truncated, field: "descriptor.height")
            case 75: .fails(.truncated, field: "bitmap.format")
            case 76: .fails(.truncated, field: "bitmap.flags")
            case 77..<81: .fails(.truncated, field: "bitmap.x")
            case 81..<85: .fails(.truncated, field: "bitmap.y")
            case 85..<89: .fails(.truncated, field: "bitmap.stride")
            case 89..<93: .fails(.truncated, field: "bitmap.palette")
            default: .fails(.truncated, field: "bitmap.data")
            }
        }, context: "DRAW_COPY")
    }

    func testEveryStrictPrefixOfEverySampleThrows() {
        // Messages that end with a counted `data[]` decode a shorter blob only if the count says so, which
        // it never does for a prefix; QUALITY_INDICATOR is all blob, so its prefixes are valid messages.
        for message in displayServerSamples where message.type != DisplayServerMessage.ID.qualityIndicator {
            let body = message.encode()
            for length in 0..<body.count {
                XCTAssertThrowsError(try DisplayServerMessage.parse(type: message.type, body: Array(body[..<length])),
                                     "\(message.type) prefix \(length)/\(body.count)")
            }
        }
    }
}
