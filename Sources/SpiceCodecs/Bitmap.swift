import SpiceCanvas

/// SPICE's uncompressed `BITMAP` image (spice.proto `struct BitmapData`, `SPICE_BITMAP_FMT_*`):
/// converted into a 32-bit R,G,B,A surface, or an 8-bit alpha surface.
public enum Bitmap {
    /// `SPICE_BITMAP_FMT_*`.
    public enum Format: UInt8, Sendable {
        case oneBitLE = 1, oneBitBE = 2, fourBitLE = 3, fourBitBE = 4, eightBit = 5
        case sixteenBit = 6, twentyFourBit = 7, thirtyTwoBit = 8, rgba = 9, eightBitAlpha = 10

        /// The smallest stride (bytes per row) a bitmap of `width` pixels needs.
        public func minimumStride(width: Int) -> Int {
            switch self {
            case .oneBitLE, .oneBitBE: (width + 7) / 8
            case .fourBitLE, .fourBitBE: (width + 1) / 2
            case .eightBit, .eightBitAlpha: width
            case .sixteenBit: width * 2
            case .twentyFourBit: width * 3
            case .thirtyTwoBit, .rgba: width * 4
            }
        }

        /// Whether the pixels are indices into a palette.
        public var isPaletted: Bool {
            switch self {
            case .oneBitLE, .oneBitBE, .fourBitLE, .fourBitBE, .eightBit: true
            case .sixteenBit, .twentyFourBit, .thirtyTwoBit, .rgba, .eightBitAlpha: false
            }
        }
    }

    /// Converts a bitmap into `destination`, whose size must equal the bitmap's.
    ///
    /// - Parameters:
    ///   - topDown: rows are stored top row first; otherwise bottom row first.
    ///   - palette: `xRGB` entries for the paletted formats (an index past the palette is an error).
    ///   - keepAlpha: store the bitmap's alpha (RGBA format into an ARGB surface); otherwise A = 255.
    public static func decode(format: Format, width: Int, height: Int, stride: Int, topDown: Bool,
                              palette: [UInt32]?, data: UnsafeRawBufferPointer, into destination: Surface,
                              keepAlpha: Bool) throws(CodecError) {
        guard width == destination.width, height == destination.height else {
            throw CodecError(.invalidArgument, codec: "bitmap", detail: "bitmap of \(width)x\(height) into a \(destination.width)x\(destination.height) surface")
        }
        guard stride >= format.minimumStride(width: width), stride * (height - 1) + format.minimumStride(width: width) <= data.count else {
            throw CodecError(.corruptData, codec: "bitmap", detail: "bitmap data of \(data.count) bytes is too short for \(height) rows of stride \(stride)")
        }
        if format == .eightBitAlpha {
            guard destination.format.storedBytesPerPixel == 1 else {
                throw CodecError(.unsupported, codec: "bitmap", detail: "an alpha-only bitmap needs an alpha surface")
            }
        } else if destination.format.storedBytesPerPixel != 4 {
            throw CodecError(.unsupported, codec: "bitmap", detail: "a colour bitmap needs a 32-bit surface")
        }
        var table: [UInt32] = []
        if format.isPaletted {
            guard let palette, !palette.isEmpty else {
                throw CodecError(.corruptData, codec: "bitmap", detail: "a paletted bitmap came without a palette")
            }
            table = palette.map { rgba(fromXRGB: $0) }
        }
        let src = data.baseAddress!
        let opaque: UInt32 = keepAlpha ? 0 : 0xFF00_0000
        try table.withUnsafeBufferPointer { (table) throws(CodecError) in
            for y in 0..<height {
                let sourceRow = src + (topDown ? y : height - 1 - y) * stride
                let row = destination.row(y)
                switch format {
                case .thirtyTwoBit, .rgba:
                    // Little-endian xRGB words are B,G,R,X bytes; swap R and B into R,G,B,A.
                    let s = sourceRow.assumingMemoryBound(to: UInt32.self)
                    let d = row.assumingMemoryBound(to: UInt32.self)
                    let force = format == .thirtyTwoBit ? 0xFF00_0000 : opaque
                    for x in 0..<width {
                        let v = UInt32(littleEndian: s[x])
                        d[x] = ((v >> 16) & 0xFF | (v & 0xFF00_FF00) | (v & 0xFF) << 16 | force).littleEndian
                    }
                case .twentyFourBit:
                    let s = sourceRow.assumingMemoryBound(to: UInt8.self)
                    let d = row.assumingMemoryBound(to: UInt32.self)
                    for x in 0..<width {
                        let v = UInt32(s[x * 3 + 2]) | UInt32(s[x * 3 + 1]) << 8 | UInt32(s[x * 3]) << 16 | 0xFF00_0000
                        d[x] = v.littleEndian
                    }
                case .sixteenBit:
                    let d = row.assumingMemoryBound(to: UInt32.self)
                    for x in 0..<width {
                        let v = UInt32(sourceRow.loadUnaligned(fromByteOffset: x * 2, as: UInt16.self).littleEndian)
                        d[x] = Color(spiceColor: v, format: .rgb555).rgbaWord.littleEndian
                    }
                case .eightBitAlpha:
                    row.copyMemory(from: sourceRow, byteCount: width)
                case .eightBit, .fourBitLE, .fourBitBE, .oneBitLE, .oneBitBE:
                    let s = sourceRow.assumingMemoryBound(to: UInt8.self)
                    let d = row.assumingMemoryBound(to: UInt32.self)
                    for x in 0..<width {
                        let index: Int
                        switch format {
                        case .eightBit: index = Int(s[x])
                        case .fourBitBE: index = Int(x & 1 == 0 ? s[x >> 1] >> 4 : s[x >> 1] & 0x0F)
                        case .fourBitLE: index = Int(x & 1 == 0 ? s[x >> 1] & 0x0F : s[x >> 1] >> 4)
                        case .oneBitBE: index = Int((s[x >> 3] >> (7 - UInt8(x & 7))) & 1)
                        default: index = Int((s[x >> 3] >> UInt8(x & 7)) & 1)
                        }
                        guard index < table.count else {
                            throw CodecError(.corruptData, codec: "bitmap", detail: "palette index \(index) is past the \(table.count)-entry palette")
                        }
                        d[x] = table[index].littleEndian
                    }
                }
            }
        }
    }

    /// An `xRGB` palette entry as an R,G,B,A word (A = 255).
    static func rgba(fromXRGB value: UInt32) -> UInt32 {
        (value >> 16) & 0xFF | (value & 0xFF00) | (value & 0xFF) << 16 | 0xFF00_0000
    }
}
