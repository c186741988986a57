import SpiceCanvas

/// SPICE's lossy image types, `JPEG` and `JPEG_ALPHA` (spice-protocol-notes §3.3), decoded straight into
/// R,G,B,A surfaces.
///
/// `JPEG` is a plain baseline JFIF image, always top row first. `JPEG_ALPHA` is `u8 flags` (`TOP_DOWN` = 1),
/// a JPEG of `jpeg_size` bytes carrying the colour, then an LZ stream of type XXXA carrying the alpha
/// plane, whose rows are in the order the flag gives (the JPEG's are top row first either way).
///
/// One decoder keeps one TurboJPEG decompressor for every image. Not safe to use from two threads at once.
public final class JPEGImageDecoder {
    static let codec = "jpeg"

    /// `SPICE_JPEG_ALPHA_FLAGS_TOPDOWN`: the alpha plane's rows are top row first.
    public static let alphaTopDown: UInt8 = 1

    private let jpeg: JPEGDecoder

    public init() throws(CodecError) {
        self.jpeg = try JPEGDecoder()
    }

    /// Decodes a `JPEG` payload into a new opaque (`.xrgb32`) surface of the descriptor's `width` x
    /// `height`; a JPEG of another size is an error, found before the surface is allocated.
    public func decodeImage(_ data: UnsafeRawBufferPointer, width: Int, height: Int) throws(CodecError) -> Surface {
        let surface = try self.surface(for: data, width: width, height: height, format: .xrgb32)
        try self.jpeg.decode(data, into: surface.pixels, width: width, height: height, pitch: surface.stride)
        return surface
    }

    /// Decodes a `JPEG` payload into `destination`, a 32-bit surface of the image's size (A = 255 is written).
    public func decode(_ data: UnsafeRawBufferPointer, into destination: Surface) throws(CodecError) {
        guard destination.format.storedBytesPerPixel == 4 else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "a jpeg image cannot go into a \(destination.format) surface")
        }
        try self.jpeg.decode(data, into: destination.pixels, width: destination.width, height: destination.height, pitch: destination.stride)
    }

    /// Decodes a `JPEG_ALPHA` payload (`data` is the JPEG of `jpegSize` bytes followed by the XXXA alpha
    /// plane) into a new `.argb32` surface of the descriptor's `width` x `height`. `lz` decodes the alpha
    /// plane. Errors: flags other than `TOP_DOWN`, a `jpegSize` past the data, a JPEG of another size, an
    /// alpha plane that is not XXXA, disagrees with the flag or the size, or is cut short.
    public func decodeAlphaImage(flags: UInt8, jpegSize: Int, _ data: UnsafeRawBufferPointer, width: Int, height: Int,
                                 lz: LZDecoder) throws(CodecError) -> Surface {
        guard flags & ~Self.alphaTopDown == 0 else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "jpeg_alpha flags 0x\(String(flags, radix: 16)) set bits other than top_down")
        }
        guard jpegSize >= 0, jpegSize <= data.count else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "jpeg_alpha jpeg part of \(jpegSize) bytes is longer than the \(data.count) bytes of data")
        }
        let colour = UnsafeRawBufferPointer(rebasing: data[0..<jpegSize])
        let alpha = UnsafeRawBufferPointer(rebasing: data[jpegSize...])
        let surface = try self.surface(for: colour, width: width, height: height, format: .argb32)
        try self.jpeg.decode(colour, into: surface.pixels, width: width, height: height, pitch: surface.stride)
        try lz.decodeAlpha(alpha, topDown: flags & Self.alphaTopDown != 0, into: surface)
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

    /// `decodeAlphaImage(flags:jpegSize:_:width:height:lz:)` on a message payload slice.
    public func decodeAlphaImage(flags: UInt8, jpegSize: Int, _ data: ArraySlice<UInt8>, width: Int, height: Int,
                                 lz: LZDecoder) throws(CodecError) -> Surface {
        var failure: CodecError?
        let surface: Surface? = data.withUnsafeBytes { raw in
            do throws(CodecError) {
                return try self.decodeAlphaImage(flags: flags, jpegSize: jpegSize, raw, width: width, height: height, lz: lz)
            } catch {
                failure = error
                return nil
            }
        }
        guard let surface else { throw failure! }
        return surface
    }

    /// A surface for a JPEG whose header must give the descriptor's size.
    private func surface(for jpeg: UnsafeRawBufferPointer, width: Int, height: Int, format: PixelFormat) throws(CodecError) -> Surface {
        let header = try self.jpeg.readHeader(jpeg)
        guard header.width == width, header.height == height else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "jpeg image of \(header.width)x\(header.height) disagrees with its descriptor's \(width)x\(height)")
        }
        guard let surface = Surface(width: width, height: height, format: format) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "jpeg image of \(width)x\(height) is over the surface limits")
        }
        return surface
    }
}
