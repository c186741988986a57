import SpiceCodecs

/// The image payloads a SPICE server would send for a `CanvasImage`, one per image type, as the display
/// channel hands them to the codecs (after the image descriptor and the type's own size fields). All are
/// for a 32-bit guest surface, top row first.
public enum ImagePayloads {
    /// `BITMAP` data in `SPICE_BITMAP_FMT_32BIT`: little-endian xRGB words (B,G,R,X bytes), stride `width * 4`.
    public static func bitmap32(_ image: CanvasImage) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: image.words.count * 4)
        for (i, w) in image.words.enumerated() {
            out[i * 4] = UInt8(w >> 16 & 0xFF)
            out[i * 4 + 1] = UInt8(w >> 8 & 0xFF)
            out[i * 4 + 2] = UInt8(w & 0xFF)
            out[i * 4 + 3] = 0x5A  // the X byte is not alpha; the decoder must ignore it
        }
        return out
    }

    /// A `QUIC` stream of type RGB32.
    public static func quicRGB32(_ image: CanvasImage) -> [UInt8] {
        var values = [[Int]](repeating: [Int](repeating: 0, count: image.words.count), count: 3)
        for (i, w) in image.words.enumerated() {
            values[0][i] = Int(w & 0xFF)
            values[1][i] = Int(w >> 8 & 0xFF)
            values[2][i] = Int(w >> 16 & 0xFF)
        }
        return quicTestEncode(QUICTestImage(type: QUIC.ImageType.rgb32.rawValue, width: image.width, height: image.height, values: values))
    }

    /// An `LZ_RGB` stream of type RGB32.
    public static func lzRGB32(_ image: CanvasImage) -> [UInt8] {
        let keys = rgbKeys(image)
        let tokens = testTokenize(keys, kind: .rgb24, maxBack: lzMaxBack, distances: [1, image.width])
        return testLZHeader(type: .rgb32, width: image.width, height: image.height, topDown: true)
            + testLZBody(tokens, keys: keys, kind: .rgb24)
    }

    /// The XXXA LZ stream of `image`'s alpha plane (the second part of `JPEG_ALPHA`), top row first.
    public static func lzAlpha(_ image: CanvasImage) -> [UInt8] {
        let keys = image.words.map { $0 >> 24 }
        let tokens = testTokenize(keys, kind: .byte, maxBack: lzMaxBack, distances: [1, image.width])
        return testLZHeader(type: .xxxa, width: image.width, height: image.height, topDown: true)
            + testLZBody(tokens, keys: keys, kind: .byte)
    }

    /// A `GLZ_RGB` stream of type RGB32 with image id `id`. With `previous` (the image `id - 1`, already in
    /// the client's window) its pixels are referenced wherever they match, first `scrolledBy` rows down.
    public static func glzRGB32(_ image: CanvasImage, id: UInt64, previous: CanvasImage? = nil, scrolledBy: Int = 0) -> [UInt8] {
        let keys = rgbKeys(image)
        var earlier: [TestPreviousImage] = []
        if let previous { earlier.append(TestPreviousImage(distance: 1, keys: rgbKeys(previous))) }
        let tokens = testTokenize(keys, kind: .rgb24, maxBack: (1 << 25) - 1, distances: [1, image.width], previous: earlier,
                                  crossShifts: previous == nil ? [0] : [scrolledBy * image.width, 0])
        return testGLZHeader(type: .rgb32, width: image.width, height: image.height, topDown: true,
                             id: id, winHeadDist: previous == nil ? 0 : 1)
            + testGLZBody(tokens, keys: keys, kind: .rgb24)
    }

    /// An `LZ4` payload (`top_down`, `SPICE_BITMAP_FMT_32BIT`, then the blocks) whose block stream compresses
    /// the B,G,R,X rows `blockBytes` at a time (by default in one block, as spice-server does for an image
    /// that arrives in one chunk).
    public static func lz4RGB32(_ image: CanvasImage, blockBytes: Int? = nil) throws -> (payload: [UInt8], packed: [UInt8]) {
        let packed = bitmap32(image)
        let blocks = try packed.withUnsafeBytes { try LZ4Compression.compressBlocks($0, blockBytes: blockBytes ?? packed.count) }
        return ([1, LZ4ImageDecoder.Format.thirtyTwoBit.rawValue] + blocks, packed)
    }

    /// The farthest back an LZ reference reaches: 8191 in the short form plus 65535 in the far form, plus one.
    static let lzMaxBack = 8191 + 65535 + 1

    /// RGB24/RGB32 keys (`b | g << 8 | r << 16`), which the LZ encoder writes as B,G,R bytes.
    static func rgbKeys(_ image: CanvasImage) -> [UInt32] {
        image.words.map { ($0 & 0xFF) << 16 | ($0 & 0xFF00) | ($0 >> 16 & 0xFF) }
    }
}
