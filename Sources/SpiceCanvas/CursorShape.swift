/// Cursor shapes decoded to R,G,B,A (notes §4.1; spice-gtk `channel-cursor.c set_cursor`, PureSpice
/// `cursorBufferSize`, the Windows QXL driver's cursor layouts): every `SPICE_CURSOR_TYPE_*`.

/// How a cursor's bytes encode its pixels: spice-protocol's `SPICE_CURSOR_TYPE_*`, named again here so
/// the canvas does not depend on the wire tier. Layouts, rows top first:
/// - `alpha`: 32-bit ARGB words, little-endian (B, G, R, A in memory).
/// - `mono`: an AND plane then an XOR plane, 1 bit a pixel, rows `(w+7)/8` bytes, most significant bit first.
/// - `color4`: 4-bit indices (high nibble first, rows `(w+1)/2` bytes), a 16-entry palette of `u32`
///   x8r8g8b8, then the AND plane.
/// - `color8`: 8-bit indices, a 256-entry palette, then the AND plane.
/// - `color16`: x1r5g5b5 little-endian words, then the AND plane.
/// - `color24`: B, G, R bytes, then the AND plane.
/// - `color32`: x8r8g8b8 little-endian words, then the AND plane.
public enum CursorEncoding: Hashable, Sendable, CaseIterable {
    case alpha
    case mono
    case color4
    case color8
    case color16
    case color24
    case color32
}

/// A cursor image: `height` rows of `width` pixels in R, G, B, A byte order (`width * 4` bytes a row), and
/// the hot spot, the pixel that points.
///
/// AND/XOR semantics (Windows pointer rules, as spice-gtk renders them): where the AND bit is 0 the
/// colour is drawn opaque; where it is 1 the screen shows through (A = 0), except that an AND bit of 1
/// with a white colour (MONO: XOR bit 1) means "invert the screen", which R,G,B,A cannot express. Those
/// pixels become a one-pixel checkerboard of opaque black and white, visible on any background (spice-gtk
/// draws a translucent grey checkerboard there). `alpha` pixels are passed on exactly as sent.
public struct CursorShape: Hashable, Sendable {
    public let width: Int
    public let height: Int
    /// The hot spot, clamped into the image (servers have sent hot spots outside it; notes §4.1).
    public let hotSpotX: Int
    public let hotSpotY: Int
    /// R, G, B, A rows, top first, `width * 4` bytes each.
    public let pixels: [UInt8]

    /// The widest or tallest cursor this type will hold, whatever the caller checked before.
    public static let maxDimension = 1024

    /// A shape from R,G,B,A pixels. Nil unless `rgba` holds exactly `width * height * 4` bytes and the
    /// dimensions are 1…`maxDimension`.
    public init?(width: Int, height: Int, hotSpotX: Int, hotSpotY: Int, rgba: [UInt8]) {
        guard Self.validSize(width, height), rgba.count == width * height * 4 else { return nil }
        self.width = width
        self.height = height
        self.hotSpotX = min(max(hotSpotX, 0), width - 1)
        self.hotSpotY = min(max(hotSpotY, 0), height - 1)
        self.pixels = rgba
    }

    /// Decodes `data` of `encoding`. Nil when the dimensions are 0 or over `maxDimension`, or when `data`
    /// is not exactly `dataSize(encoding, width, height)` bytes: the wire tier names those errors before
    /// it gets here, so this is only the canvas's own guard.
    public init?(encoding: CursorEncoding, width: Int, height: Int, hotSpotX: Int, hotSpotY: Int, data: some RandomAccessCollection<UInt8>) {
        guard Self.validSize(width, height), data.count == Self.dataSize(encoding, width: width, height: height) else { return nil }
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        data.withContiguousStorageIfAvailable { bytes in
            rgba.withUnsafeMutableBufferPointer { out in Self.decode(encoding, width, height, bytes, out) }
        } ?? {
            let copy = Array(data)
            copy.withUnsafeBufferPointer { bytes in
                rgba.withUnsafeMutableBufferPointer { out in Self.decode(encoding, width, height, bytes, out) }
            }
        }()
        self.init(width: width, height: height, hotSpotX: hotSpotX, hotSpotY: hotSpotY, rgba: rgba)
    }

    /// The pixel at (`x`, `y`).
    public func pixel(x: Int, y: Int) -> Color {
        let i = (y * self.width + x) * 4
        return Color(r: self.pixels[i], g: self.pixels[i + 1], b: self.pixels[i + 2], a: self.pixels[i + 3])
    }

    /// The checkerboard colour an inverting pixel at (`x`, `y`) gets.
    public static func invertedPixel(x: Int, y: Int) -> Color {
        (x ^ y) & 1 == 0 ? Color(r: 0, g: 0, b: 0) : Color(r: 255, g: 255, b: 255)
    }

    // MARK: - Layout

    /// Bytes one row of a 1-bit plane takes.
    public static func maskRowBytes(width: Int) -> Int { (width + 7) / 8 }

    /// Bytes one row of `encoding`'s pixels takes (for `mono`, one row of one plane).
    public static func pixelRowBytes(_ encoding: CursorEncoding, width: Int) -> Int {
        switch encoding {
        case .alpha, .color32: width * 4
        case .mono: self.maskRowBytes(width: width)
        case .color4: (width + 1) / 2
        case .color8: width
        case .color16: width * 2
        case .color24: width * 3
        }
    }

    /// Palette entries between the pixels and the AND plane.
    public static func paletteEntries(_ encoding: CursorEncoding) -> Int {
        switch encoding {
        case .color4: 16
        case .color8: 256
        case .alpha, .mono, .color16, .color24, .color32: 0
        }
    }

    /// The exact number of bytes a `width`×`height` cursor of `encoding` takes.
    public static func dataSize(_ encoding: CursorEncoding, width: Int, height: Int) -> Int {
        let pixels = self.pixelRowBytes(encoding, width: width) * height
        switch encoding {
        case .alpha: return pixels
        case .mono: return pixels * 2
        case .color4, .color8, .color16, .color24, .color32:
            return pixels + self.paletteEntries(encoding) * 4 + self.maskRowBytes(width: width) * height
        }
    }

    private static func validSize(_ width: Int, _ height: Int) -> Bool {
        width >= 1 && height >= 1 && width <= self.maxDimension && height <= self.maxDimension
    }

    // MARK: - Decoding

    private static func decode(_ encoding: CursorEncoding, _ width: Int, _ height: Int,
                               _ data: UnsafeBufferPointer<UInt8>, _ out: UnsafeMutableBufferPointer<UInt8>) {
        let rowBytes = self.pixelRowBytes(encoding, width: width)
        let maskRow = self.maskRowBytes(width: width)
        /// Reads bit `x` of row `y` of the 1-bit plane starting at `offset`.
        func bit(_ offset: Int, _ x: Int, _ y: Int) -> Bool {
            data[offset + y * maskRow + x >> 3] & (0x80 >> UInt8(x & 7)) != 0
        }
        func put(_ x: Int, _ y: Int, _ c: Color) {
            let i = (y * width + x) * 4
            out[i] = c.r
            out[i + 1] = c.g
            out[i + 2] = c.b
            out[i + 3] = c.a
        }
        func word(_ at: Int) -> UInt32 {
            UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }

        switch encoding {
        case .alpha:
            for y in 0..<height {
                for x in 0..<width {
                    let at = y * rowBytes + x * 4
                    put(x, y, Color(r: data[at + 2], g: data[at + 1], b: data[at], a: data[at + 3]))
                }
            }
        case .mono:
            let xorPlane = maskRow * height
            for y in 0..<height {
                for x in 0..<width {
                    switch (bit(0, x, y), bit(xorPlane, x, y)) {
                    case (false, false): put(x, y, Color(r: 0, g: 0, b: 0))
                    case (false, true): put(x, y, Color(r: 255, g: 255, b: 255))
                    case (true, false): put(x, y, Color(r: 0, g: 0, b: 0, a: 0))
                    case (true, true): put(x, y, self.invertedPixel(x: x, y: y))
                    }
                }
            }
        case .color4, .color8, .color16, .color24, .color32:
            let palette = rowBytes * height
            let andPlane = palette + self.paletteEntries(encoding) * 4
            for y in 0..<height {
                for x in 0..<width {
                    let row = y * rowBytes
                    // The colour as x8r8g8b8, and whether it is white in the encoding's own depth.
                    let rgb: UInt32
                    let white: Bool
                    switch encoding {
                    case .color4:
                        let byte = data[row + x >> 1]
                        let index = x & 1 == 0 ? byte >> 4 : byte & 0x0f
                        rgb = word(palette + Int(index) * 4) & 0xff_ffff
                        white = rgb == 0xff_ffff
                    case .color8:
                        rgb = word(palette + Int(data[row + x]) * 4) & 0xff_ffff
                        white = rgb == 0xff_ffff
                    case .color16:
                        let value = UInt16(data[row + x * 2]) | UInt16(data[row + x * 2 + 1]) << 8
                        let c = Color(spiceColor: UInt32(value), format: .rgb555)
                        rgb = UInt32(c.r) << 16 | UInt32(c.g) << 8 | UInt32(c.b)
                        white = value & 0x7fff == 0x7fff
                    case .color24:
                        let at = row + x * 3
                        rgb = UInt32(data[at + 2]) << 16 | UInt32(data[at + 1]) << 8 | UInt32(data[at])
                        white = rgb == 0xff_ffff
                    default:
                        rgb = word(row + x * 4) & 0xff_ffff
                        white = rgb == 0xff_ffff
                    }
                    if !bit(andPlane, x, y) {
                        put(x, y, Color(r: UInt8(rgb >> 16), g: UInt8(truncatingIfNeeded: rgb >> 8), b: UInt8(truncatingIfNeeded: rgb)))
                    } else if white {
                        put(x, y, self.invertedPixel(x: x, y: y))
                    } else {
                        put(x, y, Color(r: 0, g: 0, b: 0, a: 0))
                    }
                }
            }
        }
    }
}
