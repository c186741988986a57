/// One named test per display-channel limit and rule: each proves the bad input is refused with the right
/// code, and that the error names the display channel, the message and the field at fault.
import SpiceWire
import XCTest

final class DisplayRejectionTests: XCTestCase {
    private func parse(_ type: UInt16, _ body: [UInt8]) throws(SpiceWireError) -> DisplayServerMessage? {
        try DisplayServerMessage.parse(type: type, body: body)
    }

    /// A DRAW_COPY whose source is `image`, placed right after the fixed part.
    private func copy(of image: [UInt8]) -> [UInt8] { wireCopyFixed(src: 57) + image }

    /// A BITMAP image header (descriptor and bitmap fields) with no palette.
    private func bitmapHeader(format: UInt8, width: UInt32, height: UInt32, stride: UInt32, flags: UInt8 = 0) -> [UInt8] {
        wireDescriptor(id: 1, type: ImageType.bitmap, width: width, height: height)
            + [format, flags] + le32(width) + le32(height) + le32(stride) + le32(0)
    }

    // MARK: - Counts

    func testRejectsClipRectCountOverLimit() throws {
        let over = le32(5) + [0x01] + le32(UInt32(Limits.maxClipRects + 1))
        assertWireError(try parse(DisplayServerMessage.ID.streamClip, over), .overLimit, channel: "display", message: "STREAM_CLIP", field: "clip.num_rects")
        let fill = le32(0) + wireRect(top: 0, left: 0, bottom: 1, right: 1) + [0x01] + le32(UInt32(Limits.maxClipRects + 1))
        assertWireError(try parse(DisplayServerMessage.ID.drawFill, fill), .overLimit, channel: "display", message: "DRAW_FILL", field: "clip.num_rects")
        // At the limit the rects are read.
        let rects = [SpiceRect](repeating: SpiceRect(top: 0, left: 0, bottom: 1, right: 1), count: Limits.maxClipRects)
        let atLimit = DisplayServerMessage.streamClip(id: 5, clip: .rects(rects))
        XCTAssertEqual(try parse(DisplayServerMessage.ID.streamClip, atLimit.encode()), atLimit)
    }

    func testRejectsClipRectCountPastBody() {
        // A count within the limit but beyond the bytes present is a short message, not an allocation.
        let body = le32(5) + [0x01] + le32(1000) + wireRect(top: 0, left: 0, bottom: 1, right: 1)
        assertWireError(try parse(DisplayServerMessage.ID.streamClip, body), .truncated, channel: "display", message: "STREAM_CLIP", field: "clip.rects")
    }

    func testRejectsPaletteEntriesOverLimit() throws {
        let paletteAt = UInt32(57 + 37)
        let image = wireDescriptor(id: 1, type: ImageType.bitmap, width: 1, height: 1)
            + [BitmapFormat.eightBit, 0] + le32(1) + le32(1) + le32(1) + le32(paletteAt) + [0x00]
        let over = le64(1) + le16(UInt16(Limits.maxPaletteEntries + 1)) + [UInt8](repeating: 0, count: 4 * (Limits.maxPaletteEntries + 1))
        XCTAssertEqual(image.count, 37, "descriptor, bitmap header and one pixel")
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: image) + over),
                        .overLimit, channel: "display", message: "DRAW_COPY", field: "palette.num_ents")
        let atLimit = le64(1) + le16(UInt16(Limits.maxPaletteEntries)) + [UInt8](repeating: 0, count: 4 * Limits.maxPaletteEntries)
        guard case .drawCopy(let copy) = try parse(DisplayServerMessage.ID.drawCopy, copy(of: image) + atLimit),
              case .bitmap(let bitmap) = copy.src.data, case .inline(let palette) = bitmap.palette else { return XCTFail("no palette") }
        XCTAssertEqual(palette.entries.count, Limits.maxPaletteEntries)
    }

    func testRejectsPathSegmentCountOverLimit() {
        let fixed = wireBase(bottom: 1, right: 1) + le32(35) + [0x00] + [0x01] + le32(0) + le16(8) + le16(8)
        XCTAssertEqual(fixed.count, 35)
        assertWireError(try parse(DisplayServerMessage.ID.drawStroke, fixed + le32(UInt32(Limits.maxPathSegments + 1))),
                        .overLimit, channel: "display", message: "DRAW_STROKE", field: "path.num_segments")
        let points = fixed + le32(1) + [PathFlags.begin] + le32(UInt32(Limits.maxPathSegmentPoints + 1))
        assertWireError(try parse(DisplayServerMessage.ID.drawStroke, points),
                        .overLimit, channel: "display", message: "DRAW_STROKE", field: "segment.count")
    }

    func testRejectsMonitorsCountOverLimit() throws {
        let over = le16(UInt16(Limits.maxMonitors + 1)) + le16(1)
        assertWireError(try parse(DisplayServerMessage.ID.monitorsConfig, over), .overLimit, channel: "display", message: "MONITORS_CONFIG", field: "count")
        let heads = (0..<Limits.maxMonitors).map { Head(monitorID: UInt32($0), surfaceID: 0, width: 1, height: 1, x: 0, y: 0) }
        let atLimit = DisplayServerMessage.monitorsConfig(heads: heads, maxAllowed: UInt16(Limits.maxMonitors))
        XCTAssertEqual(try parse(DisplayServerMessage.ID.monitorsConfig, atLimit.encode()), atLimit)
    }

    func testRejectsInvalListCountOverLimit() throws {
        let over = le16(UInt16(Limits.maxInvalListResources + 1))
        assertWireError(try parse(DisplayServerMessage.ID.invalList, over), .overLimit, channel: "display", message: "INVAL_LIST", field: "count")
        let atLimit = DisplayServerMessage.invalList((0..<Limits.maxInvalListResources).map { ResourceID(id: UInt64($0)) })
        XCTAssertEqual(try parse(DisplayServerMessage.ID.invalList, atLimit.encode()), atLimit)
    }

    func testRejectsGlyphCountAndSizeOverLimit() {
        let fixed = wireBase(bottom: 1, right: 1) + le32(51) + wireRect(top: 0, left: 0, bottom: 0, right: 0)
            + [0x01] + le32(0) + [0x00] + le16(8) + le16(8)
        XCTAssertEqual(fixed.count, 51)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, fixed + le16(UInt16(Limits.maxStringGlyphs + 1)) + [StringFlags.rasterA8]),
                        .overLimit, channel: "display", message: "DRAW_TEXT", field: "string.length")
        let wide = fixed + le16(1) + [StringFlags.rasterA8] + wirePoint(0, 0) + wirePoint(0, 0) + le16(UInt16(Limits.maxGlyphDimension + 1)) + le16(1)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, wide), .overLimit, channel: "display", message: "DRAW_TEXT", field: "glyph.width")
        let tall = fixed + le16(1) + [StringFlags.rasterA8] + wirePoint(0, 0) + wirePoint(0, 0) + le16(1) + le16(UInt16(Limits.maxGlyphDimension + 1))
        assertWireError(try parse(DisplayServerMessage.ID.drawText, tall), .overLimit, channel: "display", message: "DRAW_TEXT", field: "glyph.height")
    }

    // MARK: - Pointers

    func testRejectsImagePointerPastBody() {
        let body = wireCopyFixed(src: 58)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, body), .badOffset, channel: "display", message: "DRAW_COPY", field: "src_bitmap")
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, wireCopyFixed(src: .max) + wirePaddedBitmap),
                        .badOffset, channel: "display", message: "DRAW_COPY", field: "src_bitmap")
        let mask = wireCopyFixed(src: 57, mask: 57 + UInt32(wirePaddedBitmap.count) + 1) + wirePaddedBitmap
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, mask), .badOffset, channel: "display", message: "DRAW_COPY", field: "mask.bitmap")
        let fill = wireBase(bottom: 1, right: 1) + [0x02] + le32(1000) + wirePoint(0, 0) + le16(8) + wireNoMask
        assertWireError(try parse(DisplayServerMessage.ID.drawFill, fill), .badOffset, channel: "display", message: "DRAW_FILL", field: "brush.pat")
    }

    func testRejectsNullSourceImage() {
        let error = assertWireError(try parse(DisplayServerMessage.ID.drawCopy, wireCopyFixed(src: 0)),
                                    .badOffset, channel: "display", message: "DRAW_COPY", field: "src_bitmap")
        XCTAssertEqual(error?.detail, "the source image pointer is null")
        assertWireError(try parse(DisplayServerMessage.ID.drawBlend, wireCopyFixed(src: 0)),
                        .badOffset, channel: "display", message: "DRAW_BLEND", field: "src_bitmap")
        // Every other command with a source: encode a valid one, then null its src_bitmap field.
        let cases: [(DisplayServerMessage, Int, String)] = [
            (.drawOpaque(DrawOpaque(base: sampleBase, src: sampleImages[6], srcArea: sampleBox, brush: .none)), 21, "DRAW_OPAQUE"),
            (.drawRop3(DrawRop3(base: sampleBase, src: sampleImages[6], srcArea: sampleBox, brush: .none, rop3: 0xCC)), 21, "DRAW_ROP3"),
            (.drawTransparent(DrawTransparent(base: sampleBase, src: sampleImages[6], srcArea: sampleBox, srcColor: 0, trueColor: 0)), 21, "DRAW_TRANSPARENT"),
            (.drawAlphaBlend(DrawAlphaBlend(base: sampleBase, alphaFlags: 0, alpha: 255, src: sampleImages[6], srcArea: sampleBox)), 23, "DRAW_ALPHA_BLEND"),
            (.drawComposite(DrawComposite(base: sampleBase, flags: 3, src: sampleImages[6])), 25, "DRAW_COMPOSITE"),
        ]
        for (message, at, name) in cases {
            var body = message.encode()
            XCTAssertEqual(try parse(message.type, body), message, name)
            body.replaceSubrange(at..<(at + 4), with: le32(0))
            assertWireError(try parse(message.type, body), .badOffset, channel: "display", message: name, field: "src_bitmap")
        }
    }

    func testRejectsNullPathStringPatternAndPalette() {
        let stroke = wireBase(bottom: 1, right: 1) + le32(0) + [0x00] + [0x00] + le16(8) + le16(8)
        assertWireError(try parse(DisplayServerMessage.ID.drawStroke, stroke), .badOffset, channel: "display", message: "DRAW_STROKE", field: "path")
        let text = wireBase(bottom: 1, right: 1) + le32(0) + wireRect(top: 0, left: 0, bottom: 0, right: 0) + [0x00, 0x00] + le16(8) + le16(8)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, text), .badOffset, channel: "display", message: "DRAW_TEXT", field: "str")
        let pattern = wireBase(bottom: 1, right: 1) + [0x02] + le32(0) + wirePoint(0, 0) + le16(8) + wireNoMask
        assertWireError(try parse(DisplayServerMessage.ID.drawFill, pattern), .badOffset, channel: "display", message: "DRAW_FILL", field: "brush.pat")
        // spice.proto marks LZ_PLT's palette @nonnull, unlike BITMAP's.
        let lzPlt = wireDescriptor(id: 1, type: ImageType.lzPalette, width: 1, height: 1) + [0x00] + le32(1) + le32(0) + [0x00]
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: lzPlt)), .badOffset, channel: "display", message: "DRAW_COPY", field: "lz_plt.palette")
        // A styled line with dashes needs its style array.
        let styled = wireBase(bottom: 1, right: 1) + le32(36) + [LineFlags.styled, 2] + le32(0) + [0x00] + le16(8) + le16(8) + le32(0)
        assertWireError(try parse(DisplayServerMessage.ID.drawStroke, styled), .badOffset, channel: "display", message: "DRAW_STROKE", field: "attr.style")
    }

    // MARK: - Images

    func testRejectsImageDimensionsOverLimit() {
        let tooWide = wireDescriptor(id: 1, type: ImageType.fromCache, width: UInt32(Limits.maxImageDimension + 1), height: 1)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: tooWide)), .overLimit, channel: "display", message: "DRAW_COPY", field: "descriptor.width")
        let tooTall = wireDescriptor(id: 1, type: ImageType.fromCache, width: 1, height: .max)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: tooTall)), .overLimit, channel: "display", message: "DRAW_COPY", field: "descriptor.height")
        // Each side within its limit, but together too many pixels.
        let side = UInt32(Limits.maxImageDimension)
        let tooBig = wireDescriptor(id: 1, type: ImageType.fromCache, width: side, height: side)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: tooBig)), .overLimit, channel: "display", message: "DRAW_COPY", field: "descriptor.height")
        // The bitmap's own size is checked too, not only the descriptor's.
        let bitmap = wireDescriptor(id: 1, type: ImageType.bitmap, width: 1, height: 1)
            + [BitmapFormat.eightBitA, 0] + le32(UInt32(Limits.maxImageDimension + 1)) + le32(1) + le32(20000) + le32(0)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: bitmap)), .overLimit, channel: "display", message: "DRAW_COPY", field: "bitmap.x")
        // Surfaces and streams share the bound.
        let surface = le32(0) + le32(UInt32(Limits.maxImageDimension + 1)) + le32(1) + le32(32) + le32(1)
        assertWireError(try parse(DisplayServerMessage.ID.surfaceCreate, surface), .overLimit, channel: "display", message: "SURFACE_CREATE", field: "width")
        let sized = le32(1) + le32(0) + le32(1) + le32(UInt32(Limits.maxImageDimension + 1))
        assertWireError(try parse(DisplayServerMessage.ID.streamDataSized, sized), .overLimit, channel: "display", message: "STREAM_DATA_SIZED", field: "height")
    }

    func testRejectsBitmapStrideTooSmallForWidth() {
        // 3 pixels of 32 bits need 12 bytes a row.
        let short = bitmapHeader(format: BitmapFormat.thirtyTwoBit, width: 3, height: 1, stride: 11) + [UInt8](repeating: 0, count: 11)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: short)), .badValue, channel: "display", message: "DRAW_COPY", field: "bitmap.stride")
        let exact = bitmapHeader(format: BitmapFormat.thirtyTwoBit, width: 3, height: 1, stride: 12) + [UInt8](repeating: 0, count: 12)
        XCTAssertNoThrow(try parse(DisplayServerMessage.ID.drawCopy, copy(of: exact)))
        // Every format's row size; sub-byte formats round a row up to whole bytes.
        let rows: [(format: UInt8, width: UInt32, stride: UInt32)] = [
            (BitmapFormat.oneBitLE, 9, 2), (BitmapFormat.oneBitBE, 16, 2), (BitmapFormat.fourBitLE, 3, 2), (BitmapFormat.fourBitBE, 4, 2),
            (BitmapFormat.eightBit, 3, 3), (BitmapFormat.eightBitA, 3, 3), (BitmapFormat.sixteenBit, 3, 6),
            (BitmapFormat.twentyFourBit, 3, 9), (BitmapFormat.rgba, 3, 12),
        ]
        for (format, width, stride) in rows {
            let exact = bitmapHeader(format: format, width: width, height: 1, stride: stride) + [UInt8](repeating: 0, count: Int(stride))
            XCTAssertNoThrow(try parse(DisplayServerMessage.ID.drawCopy, copy(of: exact)), "format \(format)")
            let tooShort = bitmapHeader(format: format, width: width, height: 1, stride: stride - 1) + [UInt8](repeating: 0, count: Int(stride))
            assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: tooShort)), .badValue, channel: "display", message: "DRAW_COPY", field: "bitmap.stride")
        }
    }

    func testRejectsBitmapDataShorterThanStrideTimesHeight() {
        let body = wireCopyFixed(src: 57) + wirePaddedBitmap.dropLast()
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, body), .truncated, channel: "display", message: "DRAW_COPY", field: "bitmap.data")
        // A stride that no body could hold is refused without overflow.
        let huge = bitmapHeader(format: BitmapFormat.thirtyTwoBit, width: 1, height: 16384, stride: .max)
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: huge)), .truncated, channel: "display", message: "DRAW_COPY", field: "bitmap.data")
    }

    func testRejectsUnknownBitmapFormat() {
        for format: UInt8 in [0, 11, 0xFF] {
            let image = bitmapHeader(format: format, width: 1, height: 1, stride: 4) + [0, 0, 0, 0]
            assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: image)), .badValue, channel: "display", message: "DRAW_COPY", field: "bitmap.format")
        }
    }

    func testRejectsUnknownImageType() {
        for type: UInt8 in [2, 99, 110, 0xFF] {
            let image = wireDescriptor(id: 1, type: type, width: 1, height: 1)
            assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: image)), .badValue, channel: "display", message: "DRAW_COPY", field: "descriptor.type")
        }
    }

    func testRejectsCompressedDataPastBody() {
        for (type, field) in [(ImageType.quic, "quic.data"), (ImageType.lzRGB, "lz_rgb.data"), (ImageType.glzRGB, "lz_rgb.data"),
                              (ImageType.jpeg, "jpeg.data"), (ImageType.lz4, "lz4.data")] {
            let image = wireDescriptor(id: 1, type: type, width: 1, height: 1) + le32(10) + [1, 2, 3]
            assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: image)), .truncated, channel: "display", message: "DRAW_COPY", field: field)
        }
        let stream = le32(1) + le32(0) + le32(5) + [1, 2]
        assertWireError(try parse(DisplayServerMessage.ID.streamData, stream), .truncated, channel: "display", message: "STREAM_DATA", field: "data")
    }

    func testRejectsJpegPartLongerThanJpegAlphaData() {
        let image = wireDescriptor(id: 1, type: ImageType.jpegAlpha, width: 1, height: 1) + [0x01] + le32(4) + le32(3) + [1, 2, 3]
        assertWireError(try parse(DisplayServerMessage.ID.drawCopy, copy(of: image)), .badValue, channel: "display", message: "DRAW_COPY", field: "jpeg_alpha.jpeg_size")
    }

    // MARK: - Glyphs, clips, brushes

    func testRejectsGlyphDataPastBody() {
        let fixed = wireBase(bottom: 1, right: 1) + le32(51) + wireRect(top: 0, left: 0, bottom: 0, right: 0)
            + [0x01] + le32(0) + [0x00] + le16(8) + le16(8)
        // A 9×2 A1 glyph is 2 bytes a row, 4 in all; 3 are present.
        let glyph = le16(1) + [StringFlags.rasterA1] + wirePoint(0, 0) + wirePoint(0, 0) + le16(9) + le16(2)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, fixed + glyph + [1, 2, 3]),
                        .truncated, channel: "display", message: "DRAW_TEXT", field: "glyph.data")
        XCTAssertNoThrow(try parse(DisplayServerMessage.ID.drawText, fixed + glyph + [1, 2, 3, 4]))
        // The same glyph at A4 (5 bytes a row) and A8 (9 bytes a row).
        let a4 = le16(1) + [StringFlags.rasterA4] + wirePoint(0, 0) + wirePoint(0, 0) + le16(9) + le16(2)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, fixed + a4 + [UInt8](repeating: 0, count: 9)),
                        .truncated, channel: "display", message: "DRAW_TEXT", field: "glyph.data")
        XCTAssertNoThrow(try parse(DisplayServerMessage.ID.drawText, fixed + a4 + [UInt8](repeating: 0, count: 10)))
        let a8 = le16(1) + [StringFlags.rasterA8] + wirePoint(0, 0) + wirePoint(0, 0) + le16(9) + le16(2)
        assertWireError(try parse(DisplayServerMessage.ID.drawText, fixed + a8 + [UInt8](repeating: 0, count: 17)),
                        .truncated, channel: "display", message: "DRAW_TEXT", field: "glyph.data")
        XCTAssertNoThrow(try parse(DisplayServerMessage.ID.drawText, fixed + a8 + [UInt8](repeating: 0, count: 18)))
    }

    func testRejectsStringWithoutExactlyOneGlyphDepth() {
        let fixed = wireBase(bottom: 1, right: 1) + le32(51) + wireRect(top: 0, left: 0, bottom: 0, right: 0)
            + [0x01] + le32(0) + [0x00] + le16(8) + le16(8)
        for flags: UInt8 in [0, StringFlags.rasterTopDown, StringFlags.rasterA1 | StringFlags.rasterA8] {
            assertWireError(try parse(DisplayServerMessage.ID.drawText, fixed + le16(0) + [flags]),
                            .badValue, channel: "display", message: "DRAW_TEXT", field: "string.flags")
        }
    }

    func testRejectsUnknownClipAndBrushTypes() {
        assertWireError(try parse(DisplayServerMessage.ID.streamClip, le32(1) + [0x02]), .badValue, channel: "display", message: "STREAM_CLIP", field: "clip.type")
        let fill = wireBase(bottom: 1, right: 1) + [0x03] + le16(8) + wireNoMask
        assertWireError(try parse(DisplayServerMessage.ID.drawFill, fill), .badValue, channel: "display", message: "DRAW_FILL", field: "brush.type")
    }
}
