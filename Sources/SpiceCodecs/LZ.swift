import SpiceCanvas

/// SPICE's LZ image codec (`LZ_RGB`, `LZ_PLT` and the alpha plane of `JPEG_ALPHA`; spice-protocol-notes
/// §3.3–3.4), decoded straight into R,G,B,A surfaces.
///
/// An LZ image is a 28-byte big-endian header (`magic "LZ  "`, version 1.1, type, width, height, stride,
/// top_down) and then one LZSS token stream per pass: a control byte below 32 announces `ctrl + 1` literal
/// units, one of 32 or more a back-reference whose length sits in its top three bits (with 255-continued
/// extension bytes when they are all set) and whose distance sits in its low five bits and the next byte
/// (with a 16-bit "far" form). A unit is one pixel (three bytes B,G,R for RGB24 and RGB32, a big-endian
/// x555 word for RGB16, one byte for alpha, A8 and palette data). RGBA images carry a second, alpha-only
/// pass after the colour pass. Rows follow each other without padding, top row first when top_down is set,
/// bottom row first otherwise.
public enum LZ {
    static let codec = "lz"

    /// `LZ_MAGIC`: the bytes "LZ  " read as a big-endian word.
    public static let magic: UInt32 = 0x2020_5A4C
    /// `LZ_VERSION`: major 1, minor 1.
    public static let version: UInt32 = 0x0001_0001

    /// `LzImageType` (`lz_common.h`): what one unit of the stream is.
    public enum ImageType: UInt32, Sendable, CaseIterable {
        case plt1LE = 1, plt1BE = 2, plt4LE = 3, plt4BE = 4, plt8 = 5
        case rgb16 = 6, rgb24 = 7, rgb32 = 8, rgba = 9, xxxa = 10, a8 = 11

        /// Whether the units are packed palette indices.
        public var isPaletted: Bool {
            switch self {
            case .plt1LE, .plt1BE, .plt4LE, .plt4BE, .plt8: true
            case .rgb16, .rgb24, .rgb32, .rgba, .xxxa, .a8: false
            }
        }

        /// Pixels in one stream byte for the palette types (8, 2 or 1); 1 for the others.
        public var pixelsPerByte: Int {
            switch self {
            case .plt1LE, .plt1BE: 8
            case .plt4LE, .plt4BE: 2
            case .plt8, .rgb16, .rgb24, .rgb32, .rgba, .xxxa, .a8: 1
            }
        }

        /// The one stride SPICE's encoders accept for `width` pixels (`lz_set_sizes`): the packed row for
        /// palette data, `width` times the source pixel size for the others.
        public func stride(width: Int) -> Int {
            switch self {
            case .plt1LE, .plt1BE: (width + 7) / 8
            case .plt4LE, .plt4BE: (width + 1) / 2
            case .plt8, .a8: width
            case .rgb16: width * 2
            case .rgb24: width * 3
            case .rgb32, .rgba, .xxxa: width * 4
            }
        }

        /// The canvas format an image of this type decodes into: RGBA keeps its alpha, A8 is an alpha
        /// surface, every other type is opaque. (XXXA only carries alpha for an existing RGBA surface.)
        public var surfaceFormat: PixelFormat {
            switch self {
            case .rgba, .xxxa: .argb32
            case .a8: .a8
            case .plt1LE, .plt1BE, .plt4LE, .plt4BE, .plt8, .rgb16, .rgb24, .rgb32: .xrgb32
            }
        }
    }

    /// The 28-byte big-endian header in front of every LZ stream.
    public struct Header: Equatable, Sendable {
        /// Bytes the header takes.
        public static let byteCount = 28

        public let type: ImageType
        public let width: Int
        public let height: Int
        /// Bytes per source row: only meaningful for palette data, whose rows may end in a padding nibble or bits.
        public let stride: Int
        /// Rows are in the stream top row first; otherwise bottom row first.
        public let topDown: Bool

        /// Parses and validates the header at the start of `data`.
        ///
        /// Throws `corruptData` for a bad magic, version or type, or for dimensions that are zero, over
        /// `CanvasLimits`, or with a stride other than the one SPICE's encoder writes for the width.
        public init(parsing data: UnsafeRawBufferPointer) throws(CodecError) {
            guard data.count >= Self.byteCount else {
                throw CodecError(.corruptData, codec: LZ.codec, detail: "lz data of \(data.count) bytes ends inside the 28-byte header")
            }
            let magic = readUInt32BE(data, 0)
            guard magic == LZ.magic else {
                throw CodecError(.corruptData, codec: LZ.codec, detail: "bad lz magic 0x\(String(magic, radix: 16))")
            }
            let version = readUInt32BE(data, 4)
            guard version == LZ.version else {
                throw CodecError(.corruptData, codec: LZ.codec, detail: "unsupported lz version 0x\(String(version, radix: 16))")
            }
            let rawType = readUInt32BE(data, 8)
            guard let type = ImageType(rawValue: rawType) else {
                throw CodecError(.corruptData, codec: LZ.codec, detail: "unknown lz image type \(rawType)")
            }
            self.type = type
            (self.width, self.height, self.stride) = try validatedGeometry(
                type: type, width: readUInt32BE(data, 12), height: readUInt32BE(data, 16), stride: readUInt32BE(data, 20), codec: LZ.codec)
            self.topDown = readUInt32BE(data, 24) != 0
        }

        /// Pixels the stream decodes to: rows of `stride` bytes of palette data expand to whole bytes of
        /// pixels (padding included); other types have exactly `width * height`.
        public var grossPixels: Int {
            self.type.isPaletted ? self.stride * self.type.pixelsPerByte * self.height : self.width * self.height
        }
    }
}

/// Decodes LZ images into surfaces. It keeps one scratch buffer, reused from image to image, for the
/// image types that cannot be decoded in place (palette data, and a bottom-up XXXA alpha plane).
///
/// Not safe to use from two threads at once; one decoder per display channel is the intended use.
public final class LZDecoder {
    /// Scratch bytes for palette indices and bottom-up alpha planes; grows to the largest image seen.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    public init() {}

    deinit { self.scratch?.deallocate() }

    /// Decodes the LZ image in `data` (the whole `LZ_RGB`/`LZ_PLT` payload) into `destination`.
    ///
    /// `destination` must have the header's width and height: a 32-bit surface for the colour and palette
    /// types (one with alpha, `.argb32`, for RGBA; A = 255 is written for the others) and an `.a8` surface
    /// for A8. XXXA is rejected here: it only completes a JPEG, see `decodeAlpha`. `palette` holds the
    /// `xRGB` entries for the palette types; a visible pixel whose index is past it is an error.
    /// The stream must end exactly where the image does. After an error `destination` may be partly written.
    public func decode(_ data: UnsafeRawBufferPointer, palette: [UInt32]?, into destination: Surface) throws(CodecError) {
        let header = try LZ.Header(parsing: data)
        try checkDestination(destination, width: header.width, height: header.height, type: header.type, codec: LZ.codec)
        var ip = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + LZ.Header.byteCount
        let end = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + data.count
        let pixels = header.width * header.height
        switch header.type {
        case .rgb24, .rgb32, .rgba:
            let words = destination.pixels.assumingMemoryBound(to: UInt32.self)
            try lzDecodePass(RGB24Pass(), &ip, end, words, pixels)
            if header.type == .rgba {
                try lzDecodePass(AlphaPass(), &ip, end, words, pixels)
            }
        case .rgb16:
            try lzDecodePass(RGB16Pass(), &ip, end, destination.pixels.assumingMemoryBound(to: UInt32.self), pixels)
        case .a8:
            try lzDecodePass(BytePass(), &ip, end, destination.pixels.assumingMemoryBound(to: UInt8.self), pixels)
        case .xxxa:
            throw CodecError(.unsupported, codec: LZ.codec, detail: "an xxxa lz image only carries the alpha of a jpeg_alpha image")
        case .plt1LE, .plt1BE, .plt4LE, .plt4BE, .plt8:
            guard let palette, !palette.isEmpty else {
                throw CodecError(.corruptData, codec: LZ.codec, detail: "a palette lz image came without a palette")
            }
            // Palette data is decoded as bytes (references count whole bytes), then expanded row by row.
            let count = header.stride * header.height
            let indices = self.scratchBytes(count)
            try lzDecodePass(BytePass(), &ip, end, indices, count)
            try checkEnd(ip, end, codec: LZ.codec)
            try expandPalette(indices, header: header, palette: palette, into: destination)
            return
        }
        try checkEnd(ip, end, codec: LZ.codec)
        if !header.topDown {
            flipRows(destination.pixels, rowBytes: destination.stride, rows: destination.height)
        }
    }

    /// Decodes the XXXA alpha plane of a `JPEG_ALPHA` image (the bytes after the JPEG) into the alpha
    /// bytes of `destination`, an `.argb32` surface the JPEG was already decoded into. The colour bytes
    /// are left alone.
    ///
    /// `topDown` is the `JPEG_ALPHA` `TOP_DOWN` flag; the LZ header must agree with it, and its
    /// dimensions must be the surface's.
    public func decodeAlpha(_ data: UnsafeRawBufferPointer, topDown: Bool, into destination: Surface) throws(CodecError) {
        let header = try LZ.Header(parsing: data)
        guard header.type == .xxxa else {
            throw CodecError(.corruptData, codec: LZ.codec, detail: "jpeg_alpha carries an lz image of type \(header.type), not xxxa")
        }
        guard header.topDown == topDown else {
            throw CodecError(.corruptData, codec: LZ.codec, detail: "the xxxa alpha plane's row order disagrees with the jpeg_alpha flags")
        }
        try checkDestination(destination, width: header.width, height: header.height, type: .xxxa, codec: LZ.codec)
        var ip = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + LZ.Header.byteCount
        let end = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + data.count
        let pixels = header.width * header.height
        if topDown {
            try lzDecodePass(AlphaPass(), &ip, end, destination.pixels.assumingMemoryBound(to: UInt32.self), pixels)
            try checkEnd(ip, end, codec: LZ.codec)
            return
        }
        // Bottom-up: references count in stream order, so decode the plane apart and place its rows.
        let plane = self.scratchBytes(pixels)
        try lzDecodePass(BytePass(), &ip, end, plane, pixels)
        try checkEnd(ip, end, codec: LZ.codec)
        let width = header.width
        for y in 0..<header.height {
            let source = plane + (header.height - 1 - y) * width
            let row = destination.row(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<width { row[x * 4 + 3] = source[x] }
        }
    }

    /// A scratch buffer of at least `count` bytes, reused between images.
    private func scratchBytes(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        if count > self.scratchCapacity {
            self.scratch?.deallocate()
            self.scratch = .allocate(byteCount: count, alignment: 16)
            self.scratchCapacity = count
        }
        return self.scratch!.assumingMemoryBound(to: UInt8.self)
    }

    /// Writes the visible pixels of decoded palette indices (rows of `stride` bytes in stream order) into
    /// `destination` through `palette`.
    private func expandPalette(_ indices: UnsafeMutablePointer<UInt8>, header: LZ.Header, palette: [UInt32],
                               into destination: Surface) throws(CodecError) {
        let type = header.type
        var table = [UInt32](repeating: 0, count: 256)
        for (i, entry) in palette.prefix(256).enumerated() { table[i] = Bitmap.rgba(fromXRGB: entry).littleEndian }
        let entries = min(palette.count, 256)
        let width = header.width
        var bad: (index: Int, x: Int, y: Int)?
        // Palette images are rare, so one loop with the unpacking switched per pixel is fast enough.
        // Indices are checked only where they are visible: a row's padding bits may hold anything.
        table.withUnsafeBufferPointer { table in
            rows: for y in 0..<header.height {
                let s = indices + (header.topDown ? y : header.height - 1 - y) * header.stride
                let d = destination.row(y).assumingMemoryBound(to: UInt32.self)
                for x in 0..<width {
                    let i: Int
                    switch type {
                    case .plt8: i = Int(s[x])
                    case .plt4BE: i = Int(x & 1 == 0 ? s[x >> 1] >> 4 : s[x >> 1] & 0x0F)
                    case .plt4LE: i = Int(x & 1 == 0 ? s[x >> 1] & 0x0F : s[x >> 1] >> 4)
                    case .plt1BE: i = Int((s[x >> 3] >> (7 - UInt8(x & 7))) & 1)
                    case .plt1LE: i = Int((s[x >> 3] >> UInt8(x & 7)) & 1)
                    case .rgb16, .rgb24, .rgb32, .rgba, .xxxa, .a8: i = 0
                    }
                    guard i < entries else {
                        bad = (i, x, y)
                        break rows
                    }
                    d[x] = table[i]
                }
            }
        }
        if let bad {
            throw CodecError(.corruptData, codec: LZ.codec,
                             detail: "palette index \(bad.index) at (\(bad.x),\(bad.y)) is past the \(entries)-entry palette")
        }
    }
}

// MARK: - Convenience for the wire's payload slices

extension LZDecoder {
    /// `decode(_:palette:into:)` on a message payload slice.
    public func decode(_ data: ArraySlice<UInt8>, palette: [UInt32]?, into destination: Surface) throws(CodecError) {
        var failure: CodecError?
        data.withUnsafeBytes { raw in
            do throws(CodecError) { try self.decode(raw, palette: palette, into: destination) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// `decodeAlpha(_:topDown:into:)` on a message payload slice.
    public func decodeAlpha(_ data: ArraySlice<UInt8>, topDown: Bool, into destination: Surface) throws(CodecError) {
        var failure: CodecError?
        data.withUnsafeBytes { raw in
            do throws(CodecError) { try self.decodeAlpha(raw, topDown: topDown, into: destination) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Decodes an `LZ_RGB` or `LZ_PLT` payload into a new surface of the header's format, after checking
    /// that the header's dimensions are the image descriptor's `width` and `height`.
    public func decodeImage(_ data: ArraySlice<UInt8>, palette: [UInt32]?, width: Int, height: Int) throws(CodecError) -> Surface {
        var failure: CodecError?
        let header: LZ.Header? = data.withUnsafeBytes { raw in
            do throws(CodecError) { return try LZ.Header(parsing: raw) } catch { failure = error; return nil }
        }
        guard let header else { throw failure! }
        let surface = try makeSurface(width: header.width, height: header.height, format: header.type.surfaceFormat,
                                      descriptorWidth: width, descriptorHeight: height, codec: LZ.codec)
        try self.decode(data, palette: palette, into: surface)
        return surface
    }
}

// MARK: - Shared by LZ and GLZ: header fields, checks, and the pixel passes

/// A big-endian word at `offset` of `data` (the LZ and GLZ headers are the protocol's big-endian exception).
@inline(__always)
func readUInt32BE(_ data: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(bigEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Checks an image's dimensions against `CanvasLimits` and its stride against the one SPICE's encoders
/// write (`lz_set_sizes`), and returns them as `Int`s.
func validatedGeometry(type: LZ.ImageType, width: UInt32, height: UInt32, stride: UInt32,
                       codec: String) throws(CodecError) -> (width: Int, height: Int, stride: Int) {
    let w = Int(width), h = Int(height), s = Int(stride)
    guard w > 0, h > 0, w <= CanvasLimits.maxSurfaceDimension, h <= CanvasLimits.maxSurfaceDimension,
          w * h <= CanvasLimits.maxSurfacePixels else {
        throw CodecError(.corruptData, codec: codec, detail: "\(codec) image of \(width)x\(height) is empty or over the surface limits")
    }
    guard s == type.stride(width: w) else {
        throw CodecError(.corruptData, codec: codec, detail: "\(codec) image of width \(width) and type \(type) has stride \(stride), not \(type.stride(width: w))")
    }
    return (w, h, s)
}

/// Checks that `destination` can take an image of `type` and the given size.
func checkDestination(_ destination: Surface, width: Int, height: Int, type: LZ.ImageType, codec: String) throws(CodecError) {
    guard destination.width == width, destination.height == height else {
        throw CodecError(.invalidArgument, codec: codec,
                         detail: "\(codec) image of \(width)x\(height) into a \(destination.width)x\(destination.height) surface")
    }
    let bytesPerPixel = type == .a8 ? 1 : 4
    guard destination.format.storedBytesPerPixel == bytesPerPixel, destination.stride == width * bytesPerPixel else {
        throw CodecError(.invalidArgument, codec: codec, detail: "a \(codec) image of type \(type) cannot go into a \(destination.format) surface")
    }
    if type == .rgba || type == .xxxa, !destination.format.hasAlpha {
        throw CodecError(.invalidArgument, codec: codec, detail: "a \(codec) image of type \(type) needs a surface with alpha")
    }
}

/// A new surface for an image, after checking the stream header's size against the image descriptor's.
func makeSurface(width: Int, height: Int, format: PixelFormat, descriptorWidth: Int, descriptorHeight: Int,
                 codec: String) throws(CodecError) -> Surface {
    guard width == descriptorWidth, height == descriptorHeight else {
        throw CodecError(.corruptData, codec: codec,
                         detail: "\(codec) image of \(width)x\(height) disagrees with its descriptor's \(descriptorWidth)x\(descriptorHeight)")
    }
    guard let surface = Surface(width: width, height: height, format: format) else {
        throw CodecError(.invalidArgument, codec: codec, detail: "\(codec) image of \(width)x\(height) is over the surface limits")
    }
    return surface
}

/// Rejects bytes after the end of the image: SPICE's encoders write exactly the stream.
@inline(__always)
func checkEnd(_ ip: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, codec: String) throws(CodecError) {
    guard ip == end else {
        throw CodecError(.corruptData, codec: codec, detail: "\(end - ip) bytes follow the end of the \(codec) image")
    }
}

/// Reverses the order of `rows` rows of `rowBytes` bytes in place (a bottom-up image decoded in stream order).
func flipRows(_ base: UnsafeMutableRawPointer, rowBytes: Int, rows: Int) {
    var top = 0, bottom = rows - 1
    while top < bottom {
        let a = base + top * rowBytes, b = base + bottom * rowBytes
        var i = 0
        while i + 8 <= rowBytes {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            a.storeBytes(of: b.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
            b.storeBytes(of: x, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < rowBytes {
            let x = a.load(fromByteOffset: i, as: UInt8.self)
            a.storeBytes(of: b.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
            b.storeBytes(of: x, toByteOffset: i, as: UInt8.self)
            i += 1
        }
        top += 1
        bottom -= 1
    }
}

/// The alpha byte of an R,G,B,A pixel read as a native word.
let alphaMask = UInt32(littleEndian: 0xFF00_0000)

/// How one pass of an LZ or GLZ stream turns literal units into output elements and copies references.
///
/// The passes are small value types so that the decoding loops, generic over them, are specialised into
/// one tight loop per pixel kind.
protocol LZPass {
    associatedtype Element
    /// Stream bytes per literal unit.
    var literalBytes: Int { get }
    /// Added to a reference's length code: the shortest reference worth encoding, less one.
    var lengthBias: Int { get }
    /// Output elements per unit of length and distance (pixels per byte of expanded palette data).
    var scale: Int { get }
    /// Writes `units` literal units from `ip` (which holds `units * literalBytes` bytes) at `op`.
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<Element>, _ units: Int)
    /// Copies `count` elements to `op` from `distance` elements before it, element by element as LZ
    /// defines it: a distance shorter than the count repeats the elements already copied. `room` is how
    /// many elements of output there are from `op` on (at least `count`): a copy may write junk past
    /// `count` within it, which later tokens overwrite before anything reads it.
    func copyBack(_ op: UnsafeMutablePointer<Element>, distance: Int, count: Int, room: Int)
    /// Copies `count` elements from `source`, which does not overlap `op` (another GLZ image).
    func copy(from source: UnsafePointer<Element>, to op: UnsafeMutablePointer<Element>, count: Int)
}

/// Plain element copies, for the passes whose element is a whole output pixel (or byte).
extension LZPass {
    @inline(__always)
    func copyBack(_ op: UnsafeMutablePointer<Element>, distance: Int, count: Int, room: Int) {
        let source = op - distance
        // Most references in text are a few pixels long: a call to memmove or a fill costs more than
        // copying them in line. Element by element forward is also what an overlapping reference means.
        // A run (distance 1) reads its pixel once: re-reading each pixel just stored would wait on the store.
        if distance == 1 {
            let value = source.pointee
            if count <= 16 {
                for i in 0..<count { op[i] = value }
            } else {
                op.update(repeating: value, count: count)
            }
        } else if count <= 16 || distance < count {
            for i in 0..<count { op[i] = source[i] }
        } else {
            op.update(from: source, count: count)
        }
    }

    @inline(__always)
    func copy(from source: UnsafePointer<Element>, to op: UnsafeMutablePointer<Element>, count: Int) {
        if count <= 16 {
            for i in 0..<count { op[i] = source[i] }
        } else {
            op.update(from: source, count: count)
        }
    }
}

/// `copyBack` for whole 32-bit pixels, in chunks where the LZ meaning allows it: a chunk of n pixels
/// from `distance` back only reads pixels already written when `distance >= n`.
@inline(__always)
func copyWordsBack(_ op: UnsafeMutablePointer<UInt32>, distance: Int, count: Int, room: Int) {
    let source = op - distance
    let to = UnsafeMutableRawPointer(op), from = UnsafeRawPointer(source)
    // Short references (most of them, in text) copy a fixed 8 pixels with no branch on their length,
    // when there is room: the pixels past `count` are junk that the next tokens overwrite, and references
    // only ever read before the current position.
    if count <= 8 && room >= 8 {
        if distance >= 8 {
            let a = from.loadUnaligned(as: SIMD4<UInt32>.self), b = from.loadUnaligned(fromByteOffset: 16, as: SIMD4<UInt32>.self)
            to.storeBytes(of: a, as: SIMD4<UInt32>.self)
            to.storeBytes(of: b, toByteOffset: 16, as: SIMD4<UInt32>.self)
            return
        }
        if distance == 1 {
            let run = SIMD4<UInt32>(repeating: source.pointee)
            to.storeBytes(of: run, as: SIMD4<UInt32>.self)
            to.storeBytes(of: run, toByteOffset: 16, as: SIMD4<UInt32>.self)
            return
        }
    }
    if distance == 1 {
        let value = source.pointee
        if count <= 16 {
            for i in 0..<count { op[i] = value }
        } else {
            op.update(repeating: value, count: count)
        }
        return
    }
    if count > 16 && distance >= count {
        op.update(from: source, count: count)
        return
    }
    var i = 0
    if distance >= 4 {
        while i + 4 <= count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<UInt32>.self), toByteOffset: i * 4, as: SIMD4<UInt32>.self)
            i += 4
        }
    }
    while i + 2 <= count {
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: i * 4, as: UInt64.self), toByteOffset: i * 4, as: UInt64.self)
        i += 2
    }
    if i < count { op[i] = source[i] }
}

/// RGB24 and RGB32 colour passes (and RGBA's first pass): three bytes B,G,R per pixel, written as
/// R,G,B,A with A = 255.
struct RGB24Pass: LZPass {
    var literalBytes: Int { 3 }
    var lengthBias: Int { 0 }
    var scale: Int { 1 }

    @inline(__always)
    func copyBack(_ op: UnsafeMutablePointer<UInt32>, distance: Int, count: Int, room: Int) {
        copyWordsBack(op, distance: distance, count: count, room: room)
    }

    @inline(__always)
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<UInt32>, _ units: Int) {
        let raw = UnsafeRawPointer(ip)
        // Whole-word loads read one byte of the next pixel, so the last pixel is read byte by byte.
        var i = 0
        while i < units - 1 {
            let v = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 3, as: UInt32.self))
            op[i] = ((v.byteSwapped >> 8) | 0xFF00_0000).littleEndian
            i += 1
        }
        let p = ip + i * 3
        op[i] = (UInt32(p[2]) | UInt32(p[1]) << 8 | UInt32(p[0]) << 16 | 0xFF00_0000).littleEndian
    }
}

/// The RGB16 colour pass: a big-endian x1r5g5b5 word per pixel, widened by repeating the high bits.
struct RGB16Pass: LZPass {
    var literalBytes: Int { 2 }
    var lengthBias: Int { 1 }
    var scale: Int { 1 }

    @inline(__always)
    func copyBack(_ op: UnsafeMutablePointer<UInt32>, distance: Int, count: Int, room: Int) {
        copyWordsBack(op, distance: distance, count: count, room: room)
    }

    @inline(__always)
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<UInt32>, _ units: Int) {
        for i in 0..<units {
            let hi = UInt32(ip[i * 2]), lo = UInt32(ip[i * 2 + 1])
            let r = (hi >> 2) & 0x1F, g = (hi & 0x03) << 3 | lo >> 5, b = lo & 0x1F
            op[i] = ((r << 3 | r >> 2) | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2) << 16 | 0xFF00_0000).littleEndian
        }
    }
}

/// The alpha pass of RGBA and XXXA: one byte per pixel into the A byte of each R,G,B,A pixel.
struct AlphaPass: LZPass {
    var literalBytes: Int { 1 }
    var lengthBias: Int { 2 }
    var scale: Int { 1 }

    @inline(__always)
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<UInt32>, _ units: Int) {
        for i in 0..<units {
            op[i] = (op[i] & ~alphaMask) | UInt32(littleEndian: UInt32(ip[i]) << 24)
        }
    }

    @inline(__always)
    func copyBack(_ op: UnsafeMutablePointer<UInt32>, distance: Int, count: Int, room: Int) {
        let source = op - distance
        for i in 0..<count { op[i] = (op[i] & ~alphaMask) | (source[i] & alphaMask) }
    }

    @inline(__always)
    func copy(from source: UnsafePointer<UInt32>, to op: UnsafeMutablePointer<UInt32>, count: Int) {
        for i in 0..<count { op[i] = (op[i] & ~alphaMask) | (source[i] & alphaMask) }
    }
}

/// One byte per unit, copied as is: A8 images, palette indices, and an alpha plane decoded apart.
struct BytePass: LZPass {
    var literalBytes: Int { 1 }
    var lengthBias: Int { 2 }
    var scale: Int { 1 }

    @inline(__always)
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<UInt8>, _ units: Int) {
        op.update(from: ip, count: units)
    }
}

/// Decodes one LZ pass of `count` elements into `output`, advancing `input`. Every reference and
/// literal run is checked against both ends of the output and the end of the input.
@inline(__always)
func lzDecodePass<P: LZPass>(_ pass: P, _ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                             _ output: UnsafeMutablePointer<P.Element>, _ count: Int) throws(CodecError) {
    var ip = input
    var op = 0
    while op < count {
        guard ip < end else { throw lzEndsEarly(op, count) }
        let ctrl = Int(ip.pointee)
        ip += 1
        if ctrl >= 32 {
            var length = ctrl >> 5
            var distance = (ctrl & 31) << 8
            if length == 7 {
                var code: Int
                repeat {
                    guard ip < end else { throw lzEndsEarly(op, count) }
                    code = Int(ip.pointee)
                    ip += 1
                    length += code
                } while code == 255
            }
            guard ip < end else { throw lzEndsEarly(op, count) }
            let code = Int(ip.pointee)
            ip += 1
            distance += code
            if distance == 31 << 8 | 255 {
                // The far form: 8191 plus a 16-bit big-endian distance.
                guard end - ip >= 2 else { throw lzEndsEarly(op, count) }
                distance = (Int(ip[0]) << 8 | Int(ip[1])) + 8191
                ip += 2
            }
            distance += 1
            length += pass.lengthBias
            guard distance <= op else { throw lzBeforeStart(distance, op) }
            guard length <= count - op else { throw lzPastEnd("reference", length, op, count) }
            pass.copyBack(output + op, distance: distance, count: length, room: count - op)
            op += length
        } else {
            let units = ctrl + 1
            guard units <= count - op else { throw lzPastEnd("literal run", units, op, count) }
            guard units * pass.literalBytes <= end - ip else { throw lzEndsEarly(op, count) }
            pass.literals(ip, output + op, units)
            ip += units * pass.literalBytes
            op += units
        }
    }
    input = ip
}

// The errors are built out of line, so that the decoding loops keep their registers for the data.

@inline(never)
private func lzEndsEarly(_ op: Int, _ count: Int) -> CodecError {
    CodecError(.corruptData, codec: LZ.codec, detail: "lz stream ends early, after \(op) of \(count) units")
}

@inline(never)
private func lzBeforeStart(_ distance: Int, _ op: Int) -> CodecError {
    CodecError(.corruptData, codec: LZ.codec, detail: "lz reference \(distance) back from unit \(op) reaches before the start of the image")
}

@inline(never)
private func lzPastEnd(_ what: String, _ length: Int, _ op: Int, _ count: Int) -> CodecError {
    CodecError(.corruptData, codec: LZ.codec, detail: "lz \(what) of \(length) units at unit \(op) runs past the \(count)-unit image")
}
