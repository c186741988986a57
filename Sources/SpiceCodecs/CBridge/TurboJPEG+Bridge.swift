/// The JPEG image codec (SPICE_IMAGE_TYPE_JPEG, and the colour part of JPEG_ALPHA), decoded by libjpeg-turbo's
/// TurboJPEG API.
///
/// This is the only file that imports `CTurboJPEG`. The installed libjpeg-turbo is 2.1.x, which has the
/// `tjInitDecompress`/`tjDecompress2` API and not the `tj3*` one, so that is what this bridge calls.
internal import CTurboJPEG

/// Decodes baseline JFIF images straight into a canvas surface.
///
/// One decoder owns one TurboJPEG decompressor handle and can decode any number of images in turn; it
/// is not safe to use from two threads at once, because the handle holds the state of the image being
/// decoded and the text of the last error.
///
/// Output is the canvas format: 4 bytes per pixel, R, G, B, A in memory, with A = 255.
public final class JPEGDecoder {
    private static let codec = "jpeg"

    /// The TurboJPEG decompressor; never nil once `init` has returned. Replaced after every failure (see
    /// `lastError(doing:)`).
    private var handle: UnsafeMutableRawPointer

    /// Creates a decompressor.
    ///
    /// The corresponding C function is `tjInitDecompress`.
    public init() throws(CodecError) {
        let handle = tjInitDecompress()
        guard let handle else {
            // A null handle has no per-handle error text, so the global text is the only explanation.
            throw CodecError(.libraryFailure, codec: Self.codec,
                             detail: "could not create a decompressor: \(String(cString: tjGetErrorStr2(nil)))")
        }
        self.handle = handle
    }

    deinit {
        // tjDestroy only fails for an invalid handle, which `init` rules out, so its result carries nothing.
        _ = tjDestroy(self.handle)
    }

    /// Reads the image size from a JPEG header without decoding any pixels.
    ///
    /// CMYK and YCCK images are rejected as unsupported because they have no conversion to RGBA.
    ///
    /// The corresponding C function is `tjDecompressHeader3`.
    public func readHeader(_ jpeg: UnsafeRawBufferPointer) throws(CodecError) -> (width: Int, height: Int) {
        guard let base = jpeg.baseAddress, !jpeg.isEmpty else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "jpeg data is empty")
        }
        // `unsigned long` is imported as `UInt` on every platform we build for, and a buffer's count is never
        // negative, so this conversion cannot fail; it is spelled out to keep the rule "check every C length".
        guard let size = UInt(exactly: jpeg.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "jpeg data of \(jpeg.count) bytes is too large")
        }
        var width: Int32 = 0
        var height: Int32 = 0
        var subsampling: Int32 = 0
        var colorspace: Int32 = 0
        let rc = tjDecompressHeader3(self.handle, base.assumingMemoryBound(to: UInt8.self), size,
                                     &width, &height, &subsampling, &colorspace)
        guard rc == 0 else {
            throw self.lastError(doing: "read the jpeg header")
        }
        guard colorspace != Int32(TJCS_CMYK.rawValue), colorspace != Int32(TJCS_YCCK.rawValue) else {
            throw CodecError(.unsupported, codec: Self.codec, detail: "cmyk and ycck jpeg images cannot be decoded to rgba")
        }
        guard width > 0, height > 0 else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "jpeg header gives an empty image of \(width)x\(height)")
        }
        return (Int(width), Int(height))
    }

    /// Decodes one whole JPEG image into `destination`, writing R, G, B, A bytes with A = 255.
    ///
    /// `width` and `height` are the size the protocol declared for the image; a JPEG whose header gives
    /// another size is rejected rather than scaled, because TurboJPEG would otherwise quietly scale it to fit.
    /// Row `y` starts at `destination + y * pitch`, and only the first `width * 4` bytes of each row are
    /// written, so the image can be decoded into a rectangle of a larger surface. The caller guarantees that
    /// `destination` is valid for `pitch * (height - 1) + width * 4` bytes.
    ///
    /// Any libjpeg warning (for example "premature end of JPEG file") fails the decode: the server's encoder
    /// produces clean streams, so a warning means the bytes were damaged and the pixels cannot be trusted.
    /// After an error the destination may have been partly written.
    ///
    /// The corresponding C functions are `tjDecompressHeader3` and `tjDecompress2`.
    public func decode(
        _ jpeg: UnsafeRawBufferPointer,
        into destination: UnsafeMutableRawPointer,
        width: Int,
        height: Int,
        pitch: Int
    ) throws(CodecError) {
        guard width > 0, height > 0 else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "image size \(width)x\(height) is empty")
        }
        // TurboJPEG takes width, height and pitch as `int`, and computes `width * 4` in `int` too.
        guard width <= Int(Int32.max) / 4, let cWidth = Int32(exactly: width), let cHeight = Int32(exactly: height) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "image size \(width)x\(height) is too large")
        }
        guard pitch >= width * 4 else {
            throw CodecError(.invalidArgument, codec: Self.codec,
                             detail: "pitch \(pitch) is smaller than \(width * 4) bytes for a row of \(width) pixels")
        }
        guard let cPitch = Int32(exactly: pitch) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "pitch \(pitch) is too large")
        }
        // The last byte written must be addressable, or the caller's region cannot exist.
        let (rowsBefore, overflow) = pitch.multipliedReportingOverflow(by: height - 1)
        guard !overflow, rowsBefore <= Int.max - width * 4 else {
            throw CodecError(.invalidArgument, codec: Self.codec,
                             detail: "a \(height)-row image at pitch \(pitch) does not fit in memory")
        }

        let header = try self.readHeader(jpeg)
        guard header.width == width, header.height == height else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "jpeg header says \(header.width)x\(header.height) but \(width)x\(height) was expected")
        }

        // `readHeader` has already checked that the data is non-empty and its size fits `unsigned long`.
        let source = jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // TJPF_RGBX is the canvas byte order; libjpeg-turbo fills the X byte with 0xFF, which is A = 255.
        // TJFLAG_LIMITSCANS guards against progressive images built to take unbounded time; SPICE only sends
        // baseline images, so it never rejects a legitimate one.
        let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        let rc = tjDecompress2(self.handle, source, UInt(jpeg.count),
                               destination.assumingMemoryBound(to: UInt8.self),
                               cWidth, cPitch, cHeight, Int32(TJPF_RGBX.rawValue), flags)
        guard rc == 0 else {
            throw self.lastError(doing: "decode the jpeg image")
        }
    }

    /// The error for the handle's last failed call.
    ///
    /// Both TurboJPEG severities are reported as corrupt data: with TJFLAG_STOPONWARNING a warning is a
    /// damaged stream, and nearly every fatal error (not a JPEG, bad marker, bad Huffman table) is caused by
    /// the bytes too.
    private func lastError(doing action: String) -> CodecError {
        let severity = tjGetErrorCode(self.handle) == Int32(TJERR_WARNING.rawValue) ? "warning" : "error"
        let text = String(cString: tjGetErrorStr2(self.handle))
        self.replaceHandle()
        return CodecError(.corruptData, codec: Self.codec, detail: "could not \(action): libjpeg \(severity) \"\(text)\"")
    }

    /// Swaps the handle for a fresh one after a failure. libjpeg-turbo 2.1.5 does not abort a decompressor
    /// whose `tjDecompressHeader3` failed half-way through a header: the next header read on that handle
    /// then reports the failed image's size instead of its own. A new handle costs a few microseconds and
    /// keeps one damaged image from affecting the next. If none can be made, the old one is kept.
    private func replaceHandle() {
        guard let fresh = tjInitDecompress() else { return }
        _ = tjDestroy(self.handle)
        self.handle = fresh
    }
}
