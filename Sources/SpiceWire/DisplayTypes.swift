/// The sub-structures of the display channel's drawing messages (spice.proto, the structs before
/// `channel DisplayChannel`): geometry, clip, brush, mask, images and palettes, paths, line attributes
/// and glyph strings, each with its reader and writer.
///
/// Pointers (`T *field` in spice.proto) are u32 offsets from the start of the message body. The parsers
/// read a message's fixed part first and only then follow its pointers, so a pointed-to structure may
/// lie anywhere after the fixed part, in any order; see `DisplayPointers`.

// MARK: - Geometry

/// spice.proto `Rect`: on the wire `i32 top, left, bottom, right` (in that order, not left-first).
/// Bottom and right are exclusive.
public struct SpiceRect: Hashable, Sendable {
    public var top: Int32
    public var left: Int32
    public var bottom: Int32
    public var right: Int32

    public init(top: Int32, left: Int32, bottom: Int32, right: Int32) {
        self.top = top
        self.left = left
        self.bottom = bottom
        self.right = right
    }

    /// A rect from its origin and size, for readability at call sites.
    public init(left: Int32, top: Int32, width: Int32, height: Int32) {
        self.init(top: top, left: left, bottom: top &+ height, right: left &+ width)
    }

    public static let zero = SpiceRect(top: 0, left: 0, bottom: 0, right: 0)

    static func read(_ r: inout WireReader, _ field: StaticString) throws(SpiceWireError) -> SpiceRect {
        let top = try r.readInt32LE(field)
        let left = try r.readInt32LE(field)
        let bottom = try r.readInt32LE(field)
        return SpiceRect(top: top, left: left, bottom: bottom, right: try r.readInt32LE(field))
    }

    func write(_ w: inout WireWriter) {
        w.writeInt32LE(self.top)
        w.writeInt32LE(self.left)
        w.writeInt32LE(self.bottom)
        w.writeInt32LE(self.right)
    }
}

/// spice.proto `Point`: `i32 x, y`.
public struct SpicePoint: Hashable, Sendable {
    public var x: Int32
    public var y: Int32

    public init(x: Int32, y: Int32) {
        self.x = x
        self.y = y
    }

    public static let zero = SpicePoint(x: 0, y: 0)

    static func read(_ r: inout WireReader, _ field: StaticString) throws(SpiceWireError) -> SpicePoint {
        let x = try r.readInt32LE(field)
        return SpicePoint(x: x, y: try r.readInt32LE(field))
    }

    func write(_ w: inout WireWriter) {
        w.writeInt32LE(self.x)
        w.writeInt32LE(self.y)
    }
}

/// spice.proto `Point16`: `i16 x, y`.
public struct SpicePoint16: Hashable, Sendable {
    public var x: Int16
    public var y: Int16

    public init(x: Int16, y: Int16) {
        self.x = x
        self.y = y
    }

    public static let zero = SpicePoint16(x: 0, y: 0)

    static func read(_ r: inout WireReader, _ field: StaticString) throws(SpiceWireError) -> SpicePoint16 {
        let x = try r.readInt16LE(field)
        return SpicePoint16(x: x, y: try r.readInt16LE(field))
    }

    func write(_ w: inout WireWriter) {
        w.writeInt16LE(self.x)
        w.writeInt16LE(self.y)
    }
}

/// spice.proto `PointFix`: `fixed28_4 x, y`, kept as the raw 32-bit values (divide by 16 for pixels).
public struct PointFix: Hashable, Sendable {
    public var x: Int32
    public var y: Int32

    public init(x: Int32, y: Int32) {
        self.x = x
        self.y = y
    }

    static func read(_ r: inout WireReader, _ field: StaticString) throws(SpiceWireError) -> PointFix {
        let x = try r.readInt32LE(field)
        return PointFix(x: x, y: try r.readInt32LE(field))
    }

    func write(_ w: inout WireWriter) {
        w.writeInt32LE(self.x)
        w.writeInt32LE(self.y)
    }
}

/// spice.proto `Transform`: `u32 t00, t01, t02, t10, t11, t12`, the first two rows of a 3×3 matrix
/// (pixman fixed point), for `DRAW_COMPOSITE`.
public struct Transform: Hashable, Sendable {
    public var t00: UInt32, t01: UInt32, t02: UInt32
    public var t10: UInt32, t11: UInt32, t12: UInt32

    public init(t00: UInt32, t01: UInt32, t02: UInt32, t10: UInt32, t11: UInt32, t12: UInt32) {
        self.t00 = t00
        self.t01 = t01
        self.t02 = t02
        self.t10 = t10
        self.t11 = t11
        self.t12 = t12
    }

    static let zero = Transform(t00: 0, t01: 0, t02: 0, t10: 0, t11: 0, t12: 0)

    static func read(_ r: inout WireReader, _ field: StaticString) throws(SpiceWireError) -> Transform {
        Transform(t00: try r.readUInt32LE(field), t01: try r.readUInt32LE(field), t02: try r.readUInt32LE(field),
                  t10: try r.readUInt32LE(field), t11: try r.readUInt32LE(field), t12: try r.readUInt32LE(field))
    }

    func write(_ w: inout WireWriter) {
        for value in [self.t00, self.t01, self.t02, self.t10, self.t11, self.t12] { w.writeUInt32LE(value) }
    }
}

// MARK: - Clip and DisplayBase

/// spice.proto `Clip`: `u8 type` (`NONE=0`, `RECTS=1`), then for RECTS `u32 num_rects; Rect rects[]`
/// inline. Variable length: one byte when there is no clip.
public enum Clip: Equatable, Sendable {
    /// Draw within the whole box.
    case none
    /// Draw only within the box ∩ the union of these rects.
    case rects([SpiceRect])

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Clip {
        let type = try r.readUInt8("clip.type")
        switch type {
        case 0:
            return .none
        case 1:
            let count = try r.check(try r.readUInt32LE("clip.num_rects"), limit: Limits.maxClipRects, "clip.num_rects")
            var rects: [SpiceRect] = []
            // Reserve no more than the bytes present could hold, so a short body cannot make a big array.
            rects.reserveCapacity(min(count, r.remaining / 16))
            for _ in 0..<count { rects.append(try SpiceRect.read(&r, "clip.rects")) }
            return .rects(rects)
        default:
            throw r.error(.badValue, "clip.type", "clip type \(type) is neither NONE (0) nor RECTS (1)")
        }
    }

    func write(_ w: inout WireWriter) {
        switch self {
        case .none:
            w.writeUInt8(0)
        case .rects(let rects):
            w.writeUInt8(1)
            w.writeUInt32LE(UInt32(rects.count))
            for rect in rects { rect.write(&w) }
        }
    }
}

/// spice.proto `DisplayBase`: `u32 surface_id; Rect box; Clip clip`, the target of every draw command.
public struct DisplayBase: Equatable, Sendable {
    public var surfaceID: UInt32
    /// The destination bounding box on the surface.
    public var box: SpiceRect
    public var clip: Clip

    public init(surfaceID: UInt32, box: SpiceRect, clip: Clip = .none) {
        self.surfaceID = surfaceID
        self.box = box
        self.clip = clip
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DisplayBase {
        let surfaceID = try r.readUInt32LE("base.surface_id")
        let box = try SpiceRect.read(&r, "base.box")
        return DisplayBase(surfaceID: surfaceID, box: box, clip: try Clip.read(&r))
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt32LE(self.surfaceID)
        self.box.write(&w)
        self.clip.write(&w)
    }
}

// MARK: - Raster operations and flag values

/// spice.proto `ropd` (flags16): how source, brush and destination combine. The usual value is `opPut`.
public struct Ropd: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let inversSrc = Ropd(rawValue: 0x1)
    public static let inversBrush = Ropd(rawValue: 0x2)
    public static let inversDest = Ropd(rawValue: 0x4)
    public static let opPut = Ropd(rawValue: 0x8)
    public static let opOr = Ropd(rawValue: 0x10)
    public static let opAnd = Ropd(rawValue: 0x20)
    public static let opXor = Ropd(rawValue: 0x40)
    public static let opBlackness = Ropd(rawValue: 0x80)
    public static let opWhiteness = Ropd(rawValue: 0x100)
    public static let opInvers = Ropd(rawValue: 0x200)
    public static let inversRes = Ropd(rawValue: 0x400)
}

/// spice.proto `image_scale_mode`: how `src_area` is scaled when its size differs from the box.
public enum ImageScaleMode {
    public static let interpolate: UInt8 = 0
    public static let nearest: UInt8 = 1
}

/// spice.proto `mask_flags`.
public enum MaskFlags {
    /// Draw where the mask bit is 0 instead of 1.
    public static let invers: UInt8 = 1
}

/// spice.proto `alpha_flags`, for `DRAW_ALPHA_BLEND`.
public enum AlphaFlags {
    public static let destHasAlpha: UInt8 = 1
    public static let srcSurfaceHasAlpha: UInt8 = 2
}

/// spice.proto `composite_flags`, for `DRAW_COMPOSITE`: bits 0–7 are the pixman operator.
public enum CompositeFlags {
    public static let operatorMask: UInt32 = 0xFF
    public static let componentAlpha: UInt32 = 1 << 18
    /// A `mask_bitmap` pointer follows `src_bitmap`.
    public static let hasMask: UInt32 = 1 << 19
    /// A `src_transform` follows.
    public static let hasSrcTransform: UInt32 = 1 << 20
    /// A `mask_transform` follows.
    public static let hasMaskTransform: UInt32 = 1 << 21
    public static let sourceOpaque: UInt32 = 1 << 22
    public static let maskOpaque: UInt32 = 1 << 23
    public static let destOpaque: UInt32 = 1 << 24
}

// MARK: - Images

/// spice.proto `image_type`: the value of `ImageDescriptor.type`.
public enum ImageType {
    public static let bitmap: UInt8 = 0
    public static let quic: UInt8 = 1
    public static let lzPalette: UInt8 = 100
    public static let lzRGB: UInt8 = 101
    public static let glzRGB: UInt8 = 102
    public static let fromCache: UInt8 = 103
    public static let surface: UInt8 = 104
    public static let jpeg: UInt8 = 105
    public static let fromCacheLossless: UInt8 = 106
    public static let zlibGlzRGB: UInt8 = 107
    public static let jpegAlpha: UInt8 = 108
    public static let lz4: UInt8 = 109
}

/// spice.proto `image_flags`: the bits of `ImageDescriptor.flags`.
public enum ImageFlags {
    /// Put the decoded image in the image cache under its id.
    public static let cacheMe: UInt8 = 1
    /// Force alpha to 0xFF in the decoded xRGB pixels.
    public static let highBitsSet: UInt8 = 2
    /// Replace the lossy cache entry with this lossless image.
    public static let cacheReplaceMe: UInt8 = 4
}

/// spice.proto `bitmap_fmt`: the pixel format of a `BITMAP` image.
public enum BitmapFormat {
    public static let oneBitLE: UInt8 = 1
    public static let oneBitBE: UInt8 = 2
    public static let fourBitLE: UInt8 = 3
    public static let fourBitBE: UInt8 = 4
    /// 8-bit palette indices.
    public static let eightBit: UInt8 = 5
    /// x1r5g5b5, little-endian.
    public static let sixteenBit: UInt8 = 6
    /// 3 bytes a pixel: blue, green, red.
    public static let twentyFourBit: UInt8 = 7
    /// xRGB, little-endian (B, G, R, x in memory).
    public static let thirtyTwoBit: UInt8 = 8
    /// ARGB, little-endian.
    public static let rgba: UInt8 = 9
    /// 8-bit alpha only.
    public static let eightBitA: UInt8 = 10

    /// The bytes one row of `width` pixels takes in `format`, rounded up to a byte; `nil` for a format
    /// spice.proto does not define.
    public static func rowBytes(format: UInt8, width: Int) -> Int? {
        switch format {
        case oneBitLE, oneBitBE: (width + 7) / 8
        case fourBitLE, fourBitBE: (width + 1) / 2
        case eightBit, eightBitA: width
        case sixteenBit: width * 2
        case twentyFourBit: width * 3
        case thirtyTwoBit, rgba: width * 4
        default: nil
        }
    }
}

/// spice.proto `bitmap_flags`: the flags of a `BITMAP` or `LZ_PLT` image.
public enum BitmapFlags {
    /// Put the inline palette in the palette cache under its `unique` id.
    public static let palCacheMe: UInt8 = 1
    /// The palette is not inline: a u64 palette-cache id replaces the palette pointer.
    public static let palFromCache: UInt8 = 2
    /// Rows are top row first (otherwise bottom row first).
    public static let topDown: UInt8 = 4
}

/// spice.proto `ImageDescriptor`: `u64 id; u8 type; u8 flags; u32 width; u32 height` (18 bytes), the
/// head of every image.
public struct ImageDescriptor: Hashable, Sendable {
    /// The image-cache key.
    public var id: UInt64
    /// An `ImageType` value. When an image is encoded, the type of its `ImageData` is written instead.
    public var type: UInt8
    /// `ImageFlags` bits.
    public var flags: UInt8
    public var width: UInt32
    public var height: UInt32

    public init(id: UInt64, type: UInt8, flags: UInt8, width: UInt32, height: UInt32) {
        self.id = id
        self.type = type
        self.flags = flags
        self.width = width
        self.height = height
    }

    /// The descriptor's size on the wire.
    public static let size = 18
}

/// spice.proto `Palette`: `u64 unique; u16 num_ents; u32 ents[num_ents]`.
public struct Palette: Equatable, Sendable {
    /// The palette-cache key.
    public var unique: UInt64
    /// xRGB colours, indexed by the pixel values of a paletted image.
    public var entries: [UInt32]

    public init(unique: UInt64, entries: [UInt32]) {
        self.unique = unique
        self.entries = entries
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Palette {
        let unique = try r.readUInt64LE("palette.unique")
        let count = try r.check(try r.readUInt16LE("palette.num_ents"), limit: Limits.maxPaletteEntries, "palette.num_ents")
        var entries: [UInt32] = []
        entries.reserveCapacity(count)
        for _ in 0..<count { entries.append(try r.readUInt32LE("palette.ents")) }
        return Palette(unique: unique, entries: entries)
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt64LE(self.unique)
        w.writeUInt16LE(UInt16(self.entries.count))
        for entry in self.entries { w.writeUInt32LE(entry) }
    }
}

/// Where a paletted image's palette comes from: spice.proto's `switch (flags) { case PAL_FROM_CACHE:
/// uint64 palette_id; default: Palette *palette }` in `Bitmap` and `LZPLTData`.
public enum PaletteRef: Equatable, Sendable {
    /// The palette is in the message.
    case inline(Palette)
    /// The palette is in the palette cache (`PAL_FROM_CACHE`).
    case cached(id: UInt64)
}

/// spice.proto `BitmapData` (C `SpiceBitmap`): `u8 format; u8 flags; u32 x; u32 y; u32 stride;` then a
/// u64 palette id if `PAL_FROM_CACHE` else a u32 `Palette*` (0 = none); then `stride * y` bytes of
/// pixels, inline.
public struct Bitmap: Equatable, Sendable {
    /// A `BitmapFormat` value.
    public var format: UInt8
    /// `BitmapFlags` bits. When encoded, `PAL_FROM_CACHE` is written from `palette`.
    public var flags: UInt8
    public var width: UInt32
    public var height: UInt32
    /// Bytes from one row to the next; at least the row size of `format`.
    public var stride: UInt32
    public var palette: PaletteRef?
    /// `stride * height` bytes, a view of the message body.
    public var data: ArraySlice<UInt8>

    public init(format: UInt8, flags: UInt8, width: UInt32, height: UInt32, stride: UInt32,
                palette: PaletteRef? = nil, data: ArraySlice<UInt8>) {
        self.format = format
        self.flags = flags
        self.width = width
        self.height = height
        self.stride = stride
        self.palette = palette
        self.data = data
    }

    /// Whether rows come top row first.
    public var isTopDown: Bool { self.flags & BitmapFlags.topDown != 0 }
}

/// The per-type data after an `ImageDescriptor`: spice.proto `Image`'s `switch (descriptor.type)`.
/// Compressed payloads are views of the message body; the codecs decode them.
public enum ImageData: Equatable, Sendable {
    /// `BITMAP` (0): uncompressed pixels.
    case bitmap(Bitmap)
    /// `QUIC` (1): `u32 data_size; data`.
    case quic(ArraySlice<UInt8>)
    /// `LZ_RGB` (101): `u32 data_size; data`.
    case lzRGB(ArraySlice<UInt8>)
    /// `GLZ_RGB` (102): `u32 data_size; data`, decoded against the GLZ dictionary window.
    case glzRGB(ArraySlice<UInt8>)
    /// `FROM_CACHE` (103): the image cache entry `descriptor.id`, lossy or not.
    case fromCache
    /// `SURFACE` (104): `u32 surface_id`, another surface as the source.
    case surface(id: UInt32)
    /// `JPEG` (105): `u32 data_size; data` (lossy).
    case jpeg(ArraySlice<UInt8>)
    /// `FROM_CACHE_LOSSLESS` (106): the lossless image cache entry `descriptor.id`.
    case fromCacheLossless
    /// `ZLIB_GLZ_RGB` (107): `u32 glz_data_size; u32 data_size; data`; inflate to `glzSize` bytes of GLZ.
    case zlibGlzRGB(glzSize: UInt32, data: ArraySlice<UInt8>)
    /// `JPEG_ALPHA` (108): `u8 flags; u32 jpeg_size; u32 data_size; data`: a JPEG of `jpegSize` bytes, then
    /// an LZ alpha plane (lossy).
    case jpegAlpha(flags: UInt8, jpegSize: UInt32, data: ArraySlice<UInt8>)
    /// `LZ4` (109): `u32 data_size; data`.
    case lz4(ArraySlice<UInt8>)
    /// `LZ_PLT` (100): `u8 flags; u32 data_size;` a palette id or a (non-null) `Palette*`; then data.
    /// When encoded, `PAL_FROM_CACHE` in `flags` is written from `palette`.
    case lzPalette(flags: UInt8, palette: PaletteRef, data: ArraySlice<UInt8>)

    /// The `ImageType` value of this case.
    public var imageType: UInt8 {
        switch self {
        case .bitmap: ImageType.bitmap
        case .quic: ImageType.quic
        case .lzRGB: ImageType.lzRGB
        case .glzRGB: ImageType.glzRGB
        case .fromCache: ImageType.fromCache
        case .surface: ImageType.surface
        case .jpeg: ImageType.jpeg
        case .fromCacheLossless: ImageType.fromCacheLossless
        case .zlibGlzRGB: ImageType.zlibGlzRGB
        case .jpegAlpha: ImageType.jpegAlpha
        case .lz4: ImageType.lz4
        case .lzPalette: ImageType.lzPalette
        }
    }
}

/// spice.proto `Image`: what an `Image *` pointer points to, an `ImageDescriptor` and its per-type data.
public struct ImageRef: Equatable, Sendable {
    public var descriptor: ImageDescriptor
    public var data: ImageData

    public init(descriptor: ImageDescriptor, data: ImageData) {
        self.descriptor = descriptor
        self.data = data
    }

    /// An image whose descriptor's type is the type of `data`.
    public init(id: UInt64, flags: UInt8 = 0, width: UInt32, height: UInt32, data: ImageData) {
        self.init(descriptor: ImageDescriptor(id: id, type: data.imageType, flags: flags, width: width, height: height),
                  data: data)
    }

    /// Checks an image dimension pair against `Limits.maxImageDimension` and `Limits.maxImagePixels`.
    static func checkSize(_ r: WireReader, width: UInt32, height: UInt32,
                          _ widthField: StaticString, _ heightField: StaticString) throws(SpiceWireError) {
        let w = try r.check(width, limit: Limits.maxImageDimension, widthField)
        let h = try r.check(height, limit: Limits.maxImageDimension, heightField)
        guard w * h <= Limits.maxImagePixels else {
            throw r.error(.overLimit, heightField, "\(w)×\(h) pixels is over the limit of \(Limits.maxImagePixels)")
        }
    }

    /// Reads the image `offset` points to.
    static func read(at offset: UInt32, _ field: StaticString, _ p: inout DisplayPointers) throws(SpiceWireError) -> ImageRef {
        var r = try p.target(offset, field)
        let id = try r.readUInt64LE("descriptor.id")
        let type = try r.readUInt8("descriptor.type")
        let flags = try r.readUInt8("descriptor.flags")
        let width = try r.readUInt32LE("descriptor.width")
        let height = try r.readUInt32LE("descriptor.height")
        try checkSize(r, width: width, height: height, "descriptor.width", "descriptor.height")
        let descriptor = ImageDescriptor(id: id, type: type, flags: flags, width: width, height: height)
        let data: ImageData
        switch type {
        case ImageType.bitmap:
            data = .bitmap(try readBitmap(&r, &p))
        case ImageType.quic:
            data = .quic(try readBinary(&r, "quic.data_size", "quic.data"))
        case ImageType.lzRGB:
            data = .lzRGB(try readBinary(&r, "lz_rgb.data_size", "lz_rgb.data"))
        case ImageType.glzRGB:
            data = .glzRGB(try readBinary(&r, "lz_rgb.data_size", "lz_rgb.data"))
        case ImageType.fromCache:
            data = .fromCache
        case ImageType.surface:
            data = .surface(id: try r.readUInt32LE("surface.surface_id"))
        case ImageType.jpeg:
            data = .jpeg(try readBinary(&r, "jpeg.data_size", "jpeg.data"))
        case ImageType.fromCacheLossless:
            data = .fromCacheLossless
        case ImageType.zlibGlzRGB:
            // The inflated GLZ stream could have been sent as a GLZ_RGB image in a message of its own.
            let glzSize = try r.check(try r.readUInt32LE("zlib_glz.glz_data_size"), limit: Limits.maxMessageBodySize,
                                      "zlib_glz.glz_data_size")
            data = .zlibGlzRGB(glzSize: UInt32(glzSize), data: try readBinary(&r, "zlib_glz.data_size", "zlib_glz.data"))
        case ImageType.jpegAlpha:
            let alphaFlags = try r.readUInt8("jpeg_alpha.flags")
            let jpegSize = try r.readUInt32LE("jpeg_alpha.jpeg_size")
            let bytes = try readBinary(&r, "jpeg_alpha.data_size", "jpeg_alpha.data")
            guard Int(jpegSize) <= bytes.count else {
                throw r.error(.badValue, "jpeg_alpha.jpeg_size", "the JPEG part of \(jpegSize) bytes is longer than the \(bytes.count) bytes of data")
            }
            data = .jpegAlpha(flags: alphaFlags, jpegSize: jpegSize, data: bytes)
        case ImageType.lz4:
            data = .lz4(try readBinary(&r, "lz4.data_size", "lz4.data"))
        case ImageType.lzPalette:
            let plFlags = try r.readUInt8("lz_plt.flags")
            let size = try r.readUInt32LE("lz_plt.data_size")
            let palette: PaletteRef
            if plFlags & BitmapFlags.palFromCache != 0 {
                palette = .cached(id: try r.readUInt64LE("lz_plt.palette_id"))
            } else {
                // spice.proto marks this pointer @nonnull: an LZ_PLT image cannot go without its palette.
                let offset = try r.readUInt32LE("lz_plt.palette")
                guard offset != 0 else { throw r.error(.badOffset, "lz_plt.palette", "the palette pointer is null") }
                palette = .inline(try p.palette(at: offset, "lz_plt.palette"))
            }
            data = .lzPalette(flags: plFlags, palette: palette, data: try r.readSlice(Int(size), limit: Limits.maxMessageBodySize, "lz_plt.data"))
        default:
            throw r.error(.badValue, "descriptor.type", "image type \(type) is not one spice.proto defines")
        }
        p.reached(r)
        return ImageRef(descriptor: descriptor, data: data)
    }

    /// spice.proto `BinaryData`: `u32 data_size; u8 data[data_size]`.
    private static func readBinary(_ r: inout WireReader, _ sizeField: StaticString, _ dataField: StaticString) throws(SpiceWireError) -> ArraySlice<UInt8> {
        let size = try r.readUInt32LE(sizeField)
        return try r.readSlice(Int(size), limit: Limits.maxMessageBodySize, dataField)
    }

    private static func readBitmap(_ r: inout WireReader, _ p: inout DisplayPointers) throws(SpiceWireError) -> Bitmap {
        let format = try r.readUInt8("bitmap.format")
        let flags = try r.readUInt8("bitmap.flags")
        let x = try r.readUInt32LE("bitmap.x")
        let y = try r.readUInt32LE("bitmap.y")
        let stride = try r.readUInt32LE("bitmap.stride")
        guard let rowBytes = BitmapFormat.rowBytes(format: format, width: Int(x)) else {
            throw r.error(.badValue, "bitmap.format", "bitmap format \(format) is not one spice.proto defines")
        }
        try checkSize(r, width: x, height: y, "bitmap.x", "bitmap.y")
        guard Int(stride) >= rowBytes else {
            throw r.error(.badValue, "bitmap.stride", "stride \(stride) is shorter than a \(x)-pixel row of format \(format) (\(rowBytes) bytes)")
        }
        let palette: PaletteRef?
        if flags & BitmapFlags.palFromCache != 0 {
            palette = .cached(id: try r.readUInt64LE("bitmap.palette_id"))
        } else {
            let offset = try r.readUInt32LE("bitmap.palette")
            palette = offset == 0 ? nil : .inline(try p.palette(at: offset, "bitmap.palette"))
        }
        // y is at most maxImageDimension, so the product cannot overflow.
        let size = Int(stride) * Int(y)
        guard size <= r.remaining else {
            throw r.error(.truncated, "bitmap.data", "\(y) rows of \(stride) bytes need \(size) bytes, \(r.remaining) left")
        }
        let data = try r.readSlice(size, limit: Limits.maxMessageBodySize, "bitmap.data")
        return Bitmap(format: format, flags: flags, width: x, height: y, stride: stride, palette: palette, data: data)
    }

    /// Writes the image where the encoder is; its palette, if inline, goes after the fixed part.
    func write(_ e: inout DisplayEncoder) {
        e.w.writeUInt64LE(self.descriptor.id)
        e.w.writeUInt8(self.data.imageType)
        e.w.writeUInt8(self.descriptor.flags)
        e.w.writeUInt32LE(self.descriptor.width)
        e.w.writeUInt32LE(self.descriptor.height)
        switch self.data {
        case .bitmap(let bitmap):
            e.w.writeUInt8(bitmap.format)
            e.w.writeUInt8(Self.paletteFlags(bitmap.flags, bitmap.palette))
            e.w.writeUInt32LE(bitmap.width)
            e.w.writeUInt32LE(bitmap.height)
            e.w.writeUInt32LE(bitmap.stride)
            switch bitmap.palette {
            case .cached(let id): e.w.writeUInt64LE(id)
            case .inline(let palette): e.pointer { palette.write(&$0.w) }
            case nil: e.w.writeUInt32LE(0)
            }
            e.w.writeBytes(bitmap.data)
        case .quic(let data), .lzRGB(let data), .glzRGB(let data), .jpeg(let data), .lz4(let data):
            e.w.writeUInt32LE(UInt32(data.count))
            e.w.writeBytes(data)
        case .fromCache, .fromCacheLossless:
            break
        case .surface(let id):
            e.w.writeUInt32LE(id)
        case .zlibGlzRGB(let glzSize, let data):
            e.w.writeUInt32LE(glzSize)
            e.w.writeUInt32LE(UInt32(data.count))
            e.w.writeBytes(data)
        case .jpegAlpha(let flags, let jpegSize, let data):
            e.w.writeUInt8(flags)
            e.w.writeUInt32LE(jpegSize)
            e.w.writeUInt32LE(UInt32(data.count))
            e.w.writeBytes(data)
        case .lzPalette(let flags, let palette, let data):
            e.w.writeUInt8(Self.paletteFlags(flags, palette))
            e.w.writeUInt32LE(UInt32(data.count))
            switch palette {
            case .cached(let id): e.w.writeUInt64LE(id)
            case .inline(let palette): e.pointer { palette.write(&$0.w) }
            }
            e.w.writeBytes(data)
        }
    }

    /// `flags` with `PAL_FROM_CACHE` set exactly when the palette is a cache id, as the layout requires.
    private static func paletteFlags(_ flags: UInt8, _ palette: PaletteRef?) -> UInt8 {
        if case .cached = palette { return flags | BitmapFlags.palFromCache }
        return flags & ~BitmapFlags.palFromCache
    }
}

// MARK: - Brush and mask

/// spice.proto `Brush`: `u8 type` (`NONE=0`, `SOLID=1`, `PATTERN=2`), then `u32 color` for SOLID or
/// `Pattern {Image *pat (non-null); Point pos}` for PATTERN.
public enum Brush: Equatable, Sendable {
    case none
    /// A colour in the surface's format (x8r8g8b8 for 32-bit surfaces).
    case solid(UInt32)
    /// A tiled image, anchored at `position`.
    case pattern(image: ImageRef, position: SpicePoint)

    /// The fixed part as read: the pattern image is followed once the message's fixed part is known.
    enum Fixed {
        case none
        case solid(UInt32)
        case pattern(image: UInt32, position: SpicePoint)
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Fixed {
        let type = try r.readUInt8("brush.type")
        switch type {
        case 0:
            return .none
        case 1:
            return .solid(try r.readUInt32LE("brush.color"))
        case 2:
            let image = try r.readUInt32LE("brush.pat")
            guard image != 0 else { throw r.error(.badOffset, "brush.pat", "the pattern image pointer is null") }
            return .pattern(image: image, position: try SpicePoint.read(&r, "brush.pos"))
        default:
            throw r.error(.badValue, "brush.type", "brush type \(type) is not NONE (0), SOLID (1) or PATTERN (2)")
        }
    }

    init(_ fixed: Fixed, _ p: inout DisplayPointers) throws(SpiceWireError) {
        switch fixed {
        case .none: self = .none
        case .solid(let color): self = .solid(color)
        case .pattern(let offset, let position):
            self = .pattern(image: try ImageRef.read(at: offset, "brush.pat", &p), position: position)
        }
    }

    func write(_ e: inout DisplayEncoder) {
        switch self {
        case .none:
            e.w.writeUInt8(0)
        case .solid(let color):
            e.w.writeUInt8(1)
            e.w.writeUInt32LE(color)
        case .pattern(let image, let position):
            e.w.writeUInt8(2)
            e.pointer { image.write(&$0) }
            position.write(&e.w)
        }
    }
}

/// spice.proto `QMask`: `u8 flags; Point pos; Image *bitmap` (0 = no mask). A mask is a 1-bit image.
public struct QMask: Equatable, Sendable {
    /// `MaskFlags` bits.
    public var flags: UInt8
    public var position: SpicePoint
    public var bitmap: ImageRef?

    public init(flags: UInt8 = 0, position: SpicePoint = .zero, bitmap: ImageRef? = nil) {
        self.flags = flags
        self.position = position
        self.bitmap = bitmap
    }

    /// No mask, as servers send it when there is none.
    public static let none = QMask()

    struct Fixed {
        var flags: UInt8
        var position: SpicePoint
        var bitmap: UInt32
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Fixed {
        let flags = try r.readUInt8("mask.flags")
        let position = try SpicePoint.read(&r, "mask.pos")
        return Fixed(flags: flags, position: position, bitmap: try r.readUInt32LE("mask.bitmap"))
    }

    init(_ fixed: Fixed, _ p: inout DisplayPointers) throws(SpiceWireError) {
        self.flags = fixed.flags
        self.position = fixed.position
        self.bitmap = fixed.bitmap == 0 ? nil : try ImageRef.read(at: fixed.bitmap, "mask.bitmap", &p)
    }

    func write(_ e: inout DisplayEncoder) {
        e.w.writeUInt8(self.flags)
        self.position.write(&e.w)
        e.optionalPointer(self.bitmap) { image, e in image.write(&e) }
    }
}

// MARK: - Paths and line attributes

/// spice.proto `path_flags`: the bits of `PathSegment.flags`.
public enum PathFlags {
    public static let begin: UInt8 = 1
    public static let end: UInt8 = 2
    public static let close: UInt8 = 8
    public static let bezier: UInt8 = 16
}

/// spice.proto `PathSegment`: `u8 flags; u32 count; PointFix points[count]`.
public struct PathSegment: Equatable, Sendable {
    /// `PathFlags` bits.
    public var flags: UInt8
    public var points: [PointFix]

    public init(flags: UInt8, points: [PointFix]) {
        self.flags = flags
        self.points = points
    }
}

/// spice.proto `Path`: `u32 num_segments;` then the segments one after another, inline (`@ptr_array`
/// only shapes the C struct, not the wire).
public struct Path: Equatable, Sendable {
    public var segments: [PathSegment]

    public init(segments: [PathSegment]) {
        self.segments = segments
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Path {
        let count = try r.check(try r.readUInt32LE("path.num_segments"), limit: Limits.maxPathSegments, "path.num_segments")
        var segments: [PathSegment] = []
        // A segment takes at least 5 bytes.
        segments.reserveCapacity(min(count, r.remaining / 5))
        for _ in 0..<count {
            let flags = try r.readUInt8("segment.flags")
            let points = try r.check(try r.readUInt32LE("segment.count"), limit: Limits.maxPathSegmentPoints, "segment.count")
            var list: [PointFix] = []
            list.reserveCapacity(min(points, r.remaining / 8))
            for _ in 0..<points { list.append(try PointFix.read(&r, "segment.points")) }
            segments.append(PathSegment(flags: flags, points: list))
        }
        return Path(segments: segments)
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt32LE(UInt32(self.segments.count))
        for segment in self.segments {
            w.writeUInt8(segment.flags)
            w.writeUInt32LE(UInt32(segment.points.count))
            for point in segment.points { point.write(&w) }
        }
    }
}

/// spice.proto `line_flags`: the bits of `LineAttr.flags`.
public enum LineFlags {
    public static let startWithGap: UInt8 = 4
    /// A dash style follows.
    public static let styled: UInt8 = 8
}

/// spice.proto `LineAttr`: `u8 flags;` then, only when `STYLED`, `u8 style_nseg; fixed28_4 *style`
/// (a pointer to `style_nseg` dash lengths).
public struct LineAttr: Equatable, Sendable {
    /// `LineFlags` bits.
    public var flags: UInt8
    /// Dash and gap lengths, fixed28_4 raw values. Written only when `flags` has `STYLED`.
    public var style: [Int32]

    public init(flags: UInt8, style: [Int32] = []) {
        self.flags = flags
        self.style = style
    }

    struct Fixed {
        var flags: UInt8
        var count: Int
        var style: UInt32
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Fixed {
        let flags = try r.readUInt8("attr.flags")
        guard flags & LineFlags.styled != 0 else { return Fixed(flags: flags, count: 0, style: 0) }
        let count = try r.check(try r.readUInt8("attr.style_nseg"), limit: Limits.maxLineStyleSegments, "attr.style_nseg")
        return Fixed(flags: flags, count: count, style: try r.readUInt32LE("attr.style"))
    }

    init(_ fixed: Fixed, _ p: inout DisplayPointers) throws(SpiceWireError) {
        self.flags = fixed.flags
        self.style = []
        guard fixed.count > 0 || fixed.style != 0 else { return }
        guard fixed.style != 0 else { throw p.error(.badOffset, "attr.style", "the style pointer is null but style_nseg is \(fixed.count)") }
        var r = try p.target(fixed.style, "attr.style")
        self.style.reserveCapacity(fixed.count)
        for _ in 0..<fixed.count { self.style.append(try r.readInt32LE("attr.style")) }
        p.reached(r)
    }

    func write(_ e: inout DisplayEncoder) {
        e.w.writeUInt8(self.flags)
        guard self.flags & LineFlags.styled != 0 else { return }
        e.w.writeUInt8(UInt8(self.style.count))
        if self.style.isEmpty {
            e.w.writeUInt32LE(0)
        } else {
            let style = self.style
            e.pointer { e in for value in style { e.w.writeInt32LE(value) } }
        }
    }
}

// MARK: - Glyph strings

/// spice.proto `string_flags`: the bits of `SpiceString.flags`. Exactly one of A1, A4, A8 is set.
public enum StringFlags {
    public static let rasterA1: UInt8 = 1
    public static let rasterA4: UInt8 = 2
    public static let rasterA8: UInt8 = 4
    public static let rasterTopDown: UInt8 = 8
}

/// spice.proto `RasterGlyphA1/A4/A8` (C `SpiceRasterGlyph`): `Point render_pos; Point glyph_origin;
/// u16 width; u16 height;` then `height` rows of 1, 4 or 8 bits a pixel, each row padded to a byte.
public struct RasterGlyph: Equatable, Sendable {
    public var renderPos: SpicePoint
    public var glyphOrigin: SpicePoint
    public var width: UInt16
    public var height: UInt16
    /// The glyph's rows, a view of the message body.
    public var data: ArraySlice<UInt8>

    public init(renderPos: SpicePoint, glyphOrigin: SpicePoint, width: UInt16, height: UInt16, data: ArraySlice<UInt8>) {
        self.renderPos = renderPos
        self.glyphOrigin = glyphOrigin
        self.width = width
        self.height = height
        self.data = data
    }

    /// The bytes one row of a `width`-pixel glyph takes at `bitsPerPixel` (1, 4 or 8).
    public static func rowBytes(width: Int, bitsPerPixel: Int) -> Int {
        (width * bitsPerPixel + 7) / 8
    }
}

/// spice.proto `String`: `u16 length; u8 flags;` then `length` raster glyphs one after another, inline,
/// all of the depth `flags` names.
public struct SpiceString: Equatable, Sendable {
    /// `StringFlags` bits.
    public var flags: UInt8
    public var glyphs: [RasterGlyph]

    public init(flags: UInt8, glyphs: [RasterGlyph]) {
        self.flags = flags
        self.glyphs = glyphs
    }

    /// The glyphs' bits a pixel, from `flags`: 1, 4 or 8, or `nil` unless exactly one depth is set.
    public var bitsPerPixel: Int? { Self.bitsPerPixel(self.flags) }

    static func bitsPerPixel(_ flags: UInt8) -> Int? {
        switch flags & (StringFlags.rasterA1 | StringFlags.rasterA4 | StringFlags.rasterA8) {
        case StringFlags.rasterA1: 1
        case StringFlags.rasterA4: 4
        case StringFlags.rasterA8: 8
        default: nil
        }
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> SpiceString {
        let count = try r.check(try r.readUInt16LE("string.length"), limit: Limits.maxStringGlyphs, "string.length")
        let flags = try r.readUInt8("string.flags")
        guard let bits = bitsPerPixel(flags) else {
            throw r.error(.badValue, "string.flags", "flags \(flags) do not name exactly one glyph depth (A1, A4 or A8)")
        }
        var glyphs: [RasterGlyph] = []
        // A glyph takes at least 20 bytes.
        glyphs.reserveCapacity(min(count, r.remaining / 20))
        for _ in 0..<count {
            let renderPos = try SpicePoint.read(&r, "glyph.render_pos")
            let glyphOrigin = try SpicePoint.read(&r, "glyph.glyph_origin")
            let width = try r.readUInt16LE("glyph.width")
            let height = try r.readUInt16LE("glyph.height")
            let w = try r.check(width, limit: Limits.maxGlyphDimension, "glyph.width")
            let h = try r.check(height, limit: Limits.maxGlyphDimension, "glyph.height")
            let data = try r.readSlice(RasterGlyph.rowBytes(width: w, bitsPerPixel: bits) * h, limit: Limits.maxMessageBodySize, "glyph.data")
            glyphs.append(RasterGlyph(renderPos: renderPos, glyphOrigin: glyphOrigin, width: width, height: height, data: data))
        }
        return SpiceString(flags: flags, glyphs: glyphs)
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt16LE(UInt16(self.glyphs.count))
        w.writeUInt8(self.flags)
        for glyph in self.glyphs {
            glyph.renderPos.write(&w)
            glyph.glyphOrigin.write(&w)
            w.writeUInt16LE(glyph.width)
            w.writeUInt16LE(glyph.height)
            w.writeBytes(glyph.data)
        }
    }
}

// MARK: - Monitors and resources

/// spice.proto `Head`: one monitor of `MONITORS_CONFIG`, a sub-rect of a surface.
public struct Head: Hashable, Sendable {
    public var monitorID: UInt32
    public var surfaceID: UInt32
    public var width: UInt32
    public var height: UInt32
    public var x: UInt32
    public var y: UInt32
    public var flags: UInt32

    public init(monitorID: UInt32, surfaceID: UInt32, width: UInt32, height: UInt32, x: UInt32, y: UInt32, flags: UInt32 = 0) {
        self.monitorID = monitorID
        self.surfaceID = surfaceID
        self.width = width
        self.height = height
        self.x = x
        self.y = y
        self.flags = flags
    }
}

/// spice.proto `resource_type`.
public enum ResourceType {
    public static let pixmap: UInt8 = 1
}

/// spice.proto `ResourceID`: `u8 type; u64 id`, one entry of `INVAL_LIST`.
public struct ResourceID: Hashable, Sendable {
    /// A `ResourceType` value (`PIXMAP` is the only one in use).
    public var type: UInt8
    public var id: UInt64

    public init(type: UInt8 = ResourceType.pixmap, id: UInt64) {
        self.type = type
        self.id = id
    }
}

// MARK: - Following pointers and placing pointed-to data

/// Follows the pointers of one display message once its fixed part has been read.
///
/// A pointer must land inside the body and after the fixed part (never inside it); 0 means absent only
/// where spice.proto allows. Pointed-to structures may come in any order. The furthest byte any of
/// them reaches must be the body's last: anything after it is trailing garbage.
struct DisplayPointers {
    /// A reader over the whole body, for following offsets and naming errors.
    private let body: WireReader
    /// Where the message's fixed part ends.
    let fixedEnd: Int
    /// The furthest offset read so far.
    private(set) var end: Int

    /// Starts following pointers for a message whose fixed part `r` has just finished reading.
    init(_ r: WireReader) {
        self.body = r
        self.fixedEnd = r.offset
        self.end = r.offset
    }

    func error(_ code: SpiceWireError.Code, _ field: StaticString, _ detail: String) -> SpiceWireError {
        self.body.error(code, field, detail)
    }

    /// A reader at a non-null pointer's target.
    func target(_ offset: UInt32, _ field: StaticString) throws(SpiceWireError) -> WireReader {
        let target = try self.body.reader(atOffset: offset, field)
        guard Int(offset) >= self.fixedEnd else {
            throw self.body.error(.badOffset, field, "offset \(offset) points into the \(self.fixedEnd)-byte fixed part of the message")
        }
        return target
    }

    /// Records that `r` has read up to its current position.
    mutating func reached(_ r: WireReader) {
        self.end = max(self.end, r.offset)
    }

    /// Reads the palette a non-null pointer points to.
    mutating func palette(at offset: UInt32, _ field: StaticString) throws(SpiceWireError) -> Palette {
        var r = try self.target(offset, field)
        let palette = try Palette.read(&r)
        self.reached(r)
        return palette
    }

    /// Throws unless the pointed-to structures reach the end of the body exactly.
    func expectEnd() throws(SpiceWireError) {
        guard self.end == self.body.bodySize else {
            throw self.body.error(.trailingBytes, "end", "\(self.body.bodySize - self.end) bytes after the last structure of the message")
        }
    }
}

/// Writes a display message body: the fixed part first, then each pointed-to structure after it, with
/// the pointer patched to its offset.
struct DisplayEncoder {
    var w = WireWriter()
    private var deferred: [(at: Int, write: (inout DisplayEncoder) -> Void)] = []

    /// Writes a pointer whose target `write` will place after the fixed part.
    mutating func pointer(_ write: @escaping (inout DisplayEncoder) -> Void) {
        self.deferred.append((self.w.count, write))
        self.w.writeUInt32LE(0)
    }

    /// Writes a pointer to `value`, or a null pointer when it is `nil`.
    mutating func optionalPointer<T>(_ value: T?, _ write: @escaping (T, inout DisplayEncoder) -> Void) {
        if let value {
            self.pointer { write(value, &$0) }
        } else {
            self.w.writeUInt32LE(0)
        }
    }

    /// Places every pointed-to structure (and the ones they point to) and returns the body.
    mutating func finish() -> [UInt8] {
        var index = 0
        while index < self.deferred.count {
            let (at, write) = self.deferred[index]
            index += 1
            self.w.setUInt32LE(UInt32(self.w.count), at: at)
            write(&self)
        }
        self.deferred = []
        return self.w.bytes
    }
}
