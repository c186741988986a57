/// The pixel formats of SPICE surfaces (`SPICE_SURFACE_FMT_*`) and how this canvas stores them.
///
/// Every colour format is stored as 32 bits per pixel in **R, G, B, A byte order** (the memory layout
/// of Android's `ARGB_8888` bitmap, so handing rows to the View is a `memcpy`), with A = 255 for
/// formats without alpha. 16-bit surfaces are widened on the client: their colours are converted when
/// they are drawn. Alpha-only formats (A8, A1) store one byte per pixel (A1 as 0 or 255).
public enum PixelFormat: Hashable, Sendable {
    case xrgb32
    case argb32
    case rgb555
    case rgb565
    case a8
    case a1

    /// The `SPICE_SURFACE_FMT_*` value, or nil for values the protocol does not define.
    public init?(spiceSurfaceFormat value: UInt32) {
        switch value {
        case 32: self = .xrgb32
        case 96: self = .argb32
        case 16: self = .rgb555
        case 80: self = .rgb565
        case 8: self = .a8
        case 1: self = .a1
        default: return nil
        }
    }

    /// Bytes per pixel in this canvas's storage (not on the wire).
    public var storedBytesPerPixel: Int {
        switch self {
        case .xrgb32, .argb32, .rgb555, .rgb565: 4
        case .a8, .a1: 1
        }
    }

    /// Whether the stored alpha carries information (ARGB and the alpha-only formats).
    public var hasAlpha: Bool {
        switch self {
        case .argb32, .a8, .a1: true
        case .xrgb32, .rgb555, .rgb565: false
        }
    }
}

/// A colour as stored in a 32-bit surface: R, G, B, A.
public struct Color: Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public var a: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8, a: UInt8 = 255) {
        self.r = r
        self.g = g
        self.b = b
        self.a = a
    }

    /// A SPICE colour word for a surface of `format`: 0xAARRGGBB / 0x00RRGGBB for 32-bit surfaces,
    /// x1r5g5b5 or r5g6b5 for 16-bit ones (widened by repeating the high bits, as pixman does).
    public init(spiceColor value: UInt32, format: PixelFormat) {
        switch format {
        case .xrgb32, .a8, .a1:
            self.init(r: UInt8(truncatingIfNeeded: value >> 16), g: UInt8(truncatingIfNeeded: value >> 8), b: UInt8(truncatingIfNeeded: value))
        case .argb32:
            self.init(r: UInt8(truncatingIfNeeded: value >> 16), g: UInt8(truncatingIfNeeded: value >> 8), b: UInt8(truncatingIfNeeded: value),
                      a: UInt8(truncatingIfNeeded: value >> 24))
        case .rgb555:
            let r = UInt8((value >> 10) & 0x1f), g = UInt8((value >> 5) & 0x1f), b = UInt8(value & 0x1f)
            self.init(r: r << 3 | r >> 2, g: g << 3 | g >> 2, b: b << 3 | b >> 2)
        case .rgb565:
            let r = UInt8((value >> 11) & 0x1f), g = UInt8((value >> 5) & 0x3f), b = UInt8(value & 0x1f)
            self.init(r: r << 3 | r >> 2, g: g << 2 | g >> 4, b: b << 3 | b >> 2)
        }
    }

    /// The four bytes in memory order, as one little-endian word (R in the low byte).
    public var rgbaWord: UInt32 { UInt32(self.r) | UInt32(self.g) << 8 | UInt32(self.b) << 16 | UInt32(self.a) << 24 }
}

/// The most pixels one surface may have: 16384×16384 would be 1 GiB at 4 bytes, so surfaces are
/// bounded by this and by `maxSurfaceDimension` before any memory is allocated.
public enum CanvasLimits {
    public static let maxSurfaceDimension = 16384
    public static let maxSurfacePixels = 8192 * 8192
}

/// A rectangle of pixels the canvas owns: a SPICE surface, or a decoded image used as a source.
///
/// Rows are `stride` bytes apart, top row first. Memory is allocated once, zeroed, and freed with the
/// surface; `pixels` stays valid for the surface's lifetime, which is what the C API hands out.
public final class Surface {
    public let width: Int
    public let height: Int
    public let format: PixelFormat
    /// Bytes from one row to the next.
    public let stride: Int
    /// The first byte of the top row.
    public let pixels: UnsafeMutableRawPointer

    /// Nil when the dimensions are zero, negative or over `CanvasLimits`.
    public init?(width: Int, height: Int, format: PixelFormat) {
        guard width > 0, height > 0, width <= CanvasLimits.maxSurfaceDimension, height <= CanvasLimits.maxSurfaceDimension,
              width * height <= CanvasLimits.maxSurfacePixels else { return nil }
        self.width = width
        self.height = height
        self.format = format
        self.stride = width * format.storedBytesPerPixel
        self.pixels = .allocate(byteCount: self.stride * height, alignment: 16)
        self.pixels.initializeMemory(as: UInt8.self, repeating: 0, count: self.stride * height)
        if !format.hasAlpha {
            // Opaque formats keep A = 255 everywhere, so rows can be handed to the View as they are.
            let words = self.pixels.assumingMemoryBound(to: UInt32.self)
            for i in 0..<(width * height) { words[i] = Color(r: 0, g: 0, b: 0).rgbaWord.littleEndian }
        }
    }

    deinit { self.pixels.deallocate() }

    /// The whole surface as a rectangle.
    public var bounds: CanvasRect { CanvasRect(left: 0, top: 0, right: self.width, bottom: self.height) }

    /// The first byte of row `y`.
    @inlinable public func row(_ y: Int) -> UnsafeMutableRawPointer { self.pixels + y * self.stride }
}

extension Surface {
    /// Rounds the colours in `rect` to what a 16-bit surface can hold, for surfaces created as
    /// 16_555 or 16_565: they are stored widened to 32 bits, so after a draw the channels are cut back
    /// to 5 (or 6) bits and widened again by repeating the high bits, exactly as colours converted on
    /// the way in are. Idempotent, and a no-op for other formats.
    public func quantizeToStoredDepth(_ rect: CanvasRect) {
        let greenBits: UInt32
        switch self.format {
        case .rgb555: greenBits = 5
        case .rgb565: greenBits = 6
        case .xrgb32, .argb32, .a8, .a1: return
        }
        let area = rect.intersection(self.bounds)
        guard !area.isEmpty else { return }
        @inline(__always) func widen(_ c: UInt32, bits: UInt32) -> UInt32 {
            let kept = c & (0xFF << (8 - bits) & 0xFF)
            return kept | kept >> bits
        }
        for y in area.top..<area.bottom {
            let row = self.row(y).assumingMemoryBound(to: UInt32.self)
            for x in area.left..<area.right {
                let v = UInt32(littleEndian: row[x])
                let r = widen(v & 0xFF, bits: 5), g = widen((v >> 8) & 0xFF, bits: greenBits), b = widen((v >> 16) & 0xFF, bits: 5)
                row[x] = (r | g << 8 | b << 16 | 0xFF00_0000).littleEndian
            }
        }
    }
}
