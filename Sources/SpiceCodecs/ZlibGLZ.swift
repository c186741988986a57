import SpiceCanvas

/// SPICE's `ZLIB_GLZ_RGB` image codec (spice-protocol-notes §3.3): a GLZ image compressed once more with
/// zlib. The payload names the GLZ stream's size (`glz_data_size`); it is inflated into a scratch buffer
/// the decoder keeps between images, then decoded as GLZ against the session's window.
///
/// Not safe to use from two threads at once; one decoder per display channel is the intended use.
public final class ZlibGLZDecoder {
    private static let codec = "zlib-glz"

    private let inflater: ZlibInflater
    /// The inflated GLZ stream; grows to the largest image seen, within `maxGLZBytes`.
    private var scratch: UnsafeMutableRawPointer?
    private var scratchCapacity = 0

    public init() throws(CodecError) {
        self.inflater = try ZlibInflater()
    }

    deinit { self.scratch?.deallocate() }

    /// The longest GLZ stream an image that fits in `window` can take: its header, then three bytes per
    /// pixel of colour and one of alpha, each run of 32 literals costing one control byte more.
    public static func maxGLZBytes(window: GLZWindow) -> Int {
        GLZ.Header.byteCount + 5 * window.windowPixels
    }

    /// Inflates `data` to exactly `glzSize` bytes and decodes them as a GLZ image into `destination`
    /// (see `GLZ.decode(_:palette:into:window:)` for what the window keeps and what is checked).
    public func decode(glzSize: Int, data: UnsafeRawBufferPointer, palette: [UInt32]?, into destination: Surface,
                       window: GLZWindow) throws(CodecError) {
        let glz = try self.inflate(glzSize: glzSize, data: data, window: window)
        try GLZ.decode(glz, palette: palette, into: destination, window: window)
    }

    /// Decodes a `ZLIB_GLZ_RGB` payload into a new surface of the GLZ header's format, after checking the
    /// header's dimensions against the image descriptor's `width` and `height`. The window keeps the
    /// returned surface; do not draw into it.
    public func decodeImage(glzSize: UInt32, data: ArraySlice<UInt8>, palette: [UInt32]?, width: Int, height: Int,
                            window: GLZWindow) throws(CodecError) -> Surface {
        var failure: CodecError?
        let glz: UnsafeRawBufferPointer? = data.withUnsafeBytes { raw in
            do throws(CodecError) {
                return try self.inflate(glzSize: Int(glzSize), data: raw, window: window)
            } catch {
                failure = error
                return nil
            }
        }
        guard let glz else { throw failure! }
        return try GLZ.decodeImage(glz, palette: palette, width: width, height: height, window: window)
    }

    /// Inflates `data` into the scratch buffer and returns the `glzSize` bytes written.
    private func inflate(glzSize: Int, data: UnsafeRawBufferPointer, window: GLZWindow) throws(CodecError) -> UnsafeRawBufferPointer {
        let limit = Self.maxGLZBytes(window: window)
        guard glzSize >= GLZ.Header.byteCount, glzSize <= limit else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "glz_data_size \(glzSize) is outside \(GLZ.Header.byteCount)...\(limit) bytes")
        }
        if glzSize > self.scratchCapacity {
            self.scratch?.deallocate()
            self.scratch = .allocate(byteCount: glzSize, alignment: 16)
            self.scratchCapacity = glzSize
        }
        let output = UnsafeMutableRawBufferPointer(start: self.scratch, count: glzSize)
        let written: Int
        do {
            written = try self.inflater.inflate(data, into: output)
        } catch {
            // Name this codec but keep what zlib said.
            throw CodecError(error.code == .outputTooSmall ? .corruptData : error.code, codec: Self.codec,
                             detail: error.code == .outputTooSmall ? "zlib data inflates to more than glz_data_size \(glzSize) bytes" : error.detail)
        }
        guard written == glzSize else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "zlib data inflates to \(written) bytes, not glz_data_size \(glzSize)")
        }
        return UnsafeRawBufferPointer(output)
    }
}
