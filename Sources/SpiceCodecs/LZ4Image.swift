import SpiceCanvas

/// SPICE's `LZ4` image (spice-protocol-notes §3.3), decoded straight into an R,G,B,A surface.
///
/// The payload is one byte `top_down` (0 or 1), one byte `SPICE_BITMAP_FMT_*` (16BIT, 24BIT, 32BIT or
/// RGBA), then blocks, each a big-endian `u32` length and an LZ4 block. The blocks form one LZ4 stream:
/// they decode back to back into the image's packed rows (`width * bytes per pixel`, no padding), and a
/// later block may copy from the output of an earlier one. The rows are the server's bitmap bytes:
/// little-endian x1r5g5b5 words, B,G,R triples, or B,G,R,X / B,G,R,A words.
///
/// The rows are decoded into the destination surface's own memory (the packed 16- and 24-bit rows at its
/// end) and widened to R,G,B,A in place, so no scratch buffer is needed. The widening trails the decoding
/// by LZ4's 64 KiB history, so bytes are converted while they are still in the cache, never before the
/// last block that could copy them has been decoded.
///
/// Not safe to use from two threads at once; one decoder per session is the intended use.
public final class LZ4ImageDecoder {
    static let codec = "lz4"

    /// The most output one byte of an LZ4 block can stand for: a match's length grows by 255 per extension
    /// byte, so a block expands at most about 255 times (plus a few bytes).
    static let maxExpansion = 256

    /// Bytes in front of the first block: `top_down` and the bitmap format.
    public static let headerByteCount = 2
    /// Bytes of the big-endian length in front of every block.
    public static let blockLengthByteCount = 4
    /// How far back an LZ4 match may reach (its offset is 16 bits): output older than this is final.
    static let historyBytes = 65_535

    /// The bitmap formats an LZ4 image may carry (`SPICE_BITMAP_FMT_*`).
    public enum Format: UInt8, Sendable {
        case sixteenBit = 6, twentyFourBit = 7, thirtyTwoBit = 8, rgba = 9

        /// Bytes one pixel takes in the stream.
        public var bytesPerPixel: Int {
            switch self {
            case .sixteenBit: 2
            case .twentyFourBit: 3
            case .thirtyTwoBit, .rgba: 4
            }
        }

        /// The canvas format the image decodes into: RGBA keeps its alpha, the others are opaque.
        public var surfaceFormat: PixelFormat { self == .rgba ? .argb32 : .xrgb32 }
    }

    /// The two bytes in front of the blocks.
    public struct Header: Equatable, Sendable {
        /// Rows are in the stream top row first; otherwise bottom row first.
        public let topDown: Bool
        public let format: Format

        /// Parses the header at the start of `data`.
        public init(parsing data: UnsafeRawBufferPointer) throws(CodecError) {
            guard data.count >= LZ4ImageDecoder.headerByteCount else {
                throw CodecError(.corruptData, codec: LZ4ImageDecoder.codec,
                                 detail: "lz4 data of \(data.count) bytes ends inside the 2-byte header")
            }
            let topDown = data[0]
            guard topDown <= 1 else {
                throw CodecError(.corruptData, codec: LZ4ImageDecoder.codec, detail: "lz4 top_down byte is \(topDown), not 0 or 1")
            }
            guard let format = Format(rawValue: data[1]) else {
                throw CodecError(.corruptData, codec: LZ4ImageDecoder.codec,
                                 detail: "lz4 image format \(data[1]) is not 16BIT, 24BIT, 32BIT or RGBA")
            }
            self.topDown = topDown == 1
            self.format = format
        }
    }

    private let stream: LZ4StreamDecoder

    public init() throws(CodecError) {
        self.stream = try LZ4StreamDecoder()
    }

    /// Decodes an `LZ4` payload of an image whose descriptor says `width` x `height` into a new surface
    /// (`.argb32` for RGBA, `.xrgb32` otherwise).
    public func decodeImage(_ data: UnsafeRawBufferPointer, width: Int, height: Int) throws(CodecError) -> Surface {
        let header = try Header(parsing: data)
        // A payload that cannot hold the image is refused before the surface is allocated.
        guard width > 0, height > 0, width <= CanvasLimits.maxSurfaceDimension, height <= CanvasLimits.maxSurfaceDimension else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "lz4 image of \(width)x\(height) is empty or over the surface limits")
        }
        guard width * height * header.format.bytesPerPixel / Self.maxExpansion <= data.count else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "lz4 data of \(data.count) bytes cannot hold a \(width)x\(height) image")
        }
        guard let surface = Surface(width: width, height: height, format: header.format.surfaceFormat) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "lz4 image of \(width)x\(height) is empty or over the surface limits")
        }
        try self.decode(data, into: surface)
        return surface
    }

    /// `decodeImage(_:width:height:)` on a message payload slice.
    public func decodeImage(_ data: ArraySlice<UInt8>, width: Int, height: Int) throws(CodecError) -> Surface {
        var failure: CodecError?
        let surface: Surface? = data.withUnsafeBytes { raw in
            do throws(CodecError) { return try self.decodeImage(raw, width: width, height: height) } catch { failure = error; return nil }
        }
        guard let surface else { throw failure! }
        return surface
    }

    /// Decodes an `LZ4` payload into `destination`, whose size is the image's: a 32-bit surface, with
    /// alpha (`.argb32`) for RGBA. After an error `destination` may be partly written.
    ///
    /// Errors: a cut or unknown header; a block length cut short, zero, past the data, or longer than
    /// LZ4 can make from what is left of the image; a block that is malformed or overruns the image;
    /// blocks that end before the image does.
    public func decode(_ data: UnsafeRawBufferPointer, into destination: Surface) throws(CodecError) {
        let header = try Header(parsing: data)
        let format = header.format
        guard destination.format.storedBytesPerPixel == 4, destination.stride == destination.width * 4 else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "an lz4 image cannot go into a \(destination.format) surface")
        }
        if format == .rgba, !destination.format.hasAlpha {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "an rgba lz4 image needs a surface with alpha")
        }
        let pixels = destination.width * destination.height
        let packedBytes = pixels * format.bytesPerPixel
        // Packed rows narrower than the surface's go at its end, so widening them forward never
        // overwrites a byte before it is read (pixel i goes to 4i, from offset + bpp*i >= 4i).
        let offset = pixels * 4 - packedBytes
        let output = destination.pixels + offset
        let input = data.baseAddress!
        var position = Self.headerByteCount
        var decoded = 0
        var converted = 0
        self.stream.reset()
        while position < data.count {
            guard data.count - position >= Self.blockLengthByteCount else {
                throw CodecError(.corruptData, codec: Self.codec,
                                 detail: "lz4 block length at byte \(position) is cut short by the end of the data")
            }
            let length = Int(UInt32(bigEndian: input.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
            position += Self.blockLengthByteCount
            guard length > 0 else {
                throw CodecError(.corruptData, codec: Self.codec, detail: "lz4 block at byte \(position) has length 0")
            }
            guard length <= data.count - position else {
                throw CodecError(.corruptData, codec: Self.codec,
                                 detail: "lz4 block of \(length) bytes at byte \(position) runs past the \(data.count - position) bytes left")
            }
            let room = packedBytes - decoded
            guard room > 0 else {
                throw CodecError(.corruptData, codec: Self.codec,
                                 detail: "lz4 block at byte \(position) follows the end of the \(packedBytes)-byte image")
            }
            guard let bound = LZ4StreamDecoder.compressBound(room), length <= bound else {
                throw CodecError(.corruptData, codec: Self.codec,
                                 detail: "lz4 block of \(length) bytes is longer than any block for the \(room) bytes left of the image")
            }
            let written = try self.stream.decompressBlock(UnsafeRawBufferPointer(start: input + position, count: length),
                                                          into: UnsafeMutableRawBufferPointer(start: output + decoded, count: room))
            guard written > 0 else {
                throw CodecError(.corruptData, codec: Self.codec, detail: "lz4 block at byte \(position) decodes to nothing")
            }
            position += length
            decoded += written
            // Pixels that no later block can copy from any more are widened now, while they are in the cache.
            let final = (decoded - Self.historyBytes) / format.bytesPerPixel
            if final > converted {
                widen(format, output, destination.pixels, converted, final)
                converted = final
            }
        }
        guard decoded == packedBytes else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "lz4 image ends after \(decoded) of \(packedBytes) bytes")
        }
        widen(format, output, destination.pixels, converted, pixels)
        if !header.topDown {
            flipRows(destination.pixels, rowBytes: destination.stride, rows: destination.height)
        }
    }
}

/// Widens pixels `start..<end` of packed `format` rows at `source` into R,G,B,A words at `destination`
/// (the same memory or below it, see `LZ4ImageDecoder.decode`).
@inline(__always)
private func widen(_ format: LZ4ImageDecoder.Format, _ source: UnsafeMutableRawPointer, _ destination: UnsafeMutableRawPointer,
                   _ start: Int, _ end: Int) {
    let d = destination.assumingMemoryBound(to: UInt32.self)
    switch format {
    case .thirtyTwoBit, .rgba:
        // A little-endian xRGB word is B,G,R,X in memory: R and B swap places; X becomes 255 unless it is alpha.
        let keep: UInt32 = format == .rgba ? 0xFF00_0000 : 0
        let force: UInt32 = format == .rgba ? 0 : 0xFF00_0000
        var i = start
        #if _endian(little)
        // Eight pixels at a time in vector registers: this pass runs over every pixel of every LZ4 image.
        let keep8 = SIMD8<UInt32>(repeating: keep), force8 = SIMD8<UInt32>(repeating: force)
        let green8 = SIMD8<UInt32>(repeating: 0xFF00), low8 = SIMD8<UInt32>(repeating: 0xFF)
        while i + 8 <= end {
            let v = UnsafeRawPointer(source).loadUnaligned(fromByteOffset: i * 4, as: SIMD8<UInt32>.self)
            let w = (v & green8) | ((v &>> 16) & low8) | ((v & low8) &<< 16) | (v & keep8) | force8
            destination.storeBytes(of: w, toByteOffset: i * 4, as: SIMD8<UInt32>.self)
            i += 8
        }
        #endif
        let s = source.assumingMemoryBound(to: UInt32.self)
        while i < end {
            let v = UInt32(littleEndian: s[i])
            d[i] = ((v & 0xFF00) | (v >> 16 & 0xFF) | (v & 0xFF) << 16 | (v & keep) | force).littleEndian
            i += 1
        }
    case .twentyFourBit:
        let s = source.assumingMemoryBound(to: UInt8.self)
        for i in start..<end {
            let p = s + i * 3
            d[i] = (UInt32(p[2]) | UInt32(p[1]) << 8 | UInt32(p[0]) << 16 | 0xFF00_0000).littleEndian
        }
    case .sixteenBit:
        for i in start..<end {
            let v = UInt32(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            let r = (v >> 10) & 0x1F, g = (v >> 5) & 0x1F, b = v & 0x1F
            d[i] = ((r << 3 | r >> 2) | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2) << 16 | 0xFF00_0000).littleEndian
        }
    }
}
