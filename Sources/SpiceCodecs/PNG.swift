/// A PNG writer for screenshots and cursor images (ISO/IEC 15948): 8-bit RGB or RGBA, filter 0,
/// one zlib stream in one IDAT chunk.
public enum PNG {
    /// Encodes `height` rows of `width` R,G,B,A pixels, `stride` bytes apart, starting at `pixels`.
    /// With `keepAlpha` false the alpha byte is dropped (colour type 2), which is what an opaque
    /// framebuffer wants.
    public static func encode(pixels: UnsafeRawPointer, width: Int, height: Int, stride: Int, keepAlpha: Bool) throws(CodecError) -> [UInt8] {
        guard width > 0, height > 0, stride >= width * 4, width <= Int(Int32.max), height <= Int(Int32.max) else {
            throw CodecError(.invalidArgument, codec: "png", detail: "cannot encode a \(width)x\(height) image with stride \(stride)")
        }
        let channels = keepAlpha ? 4 : 3
        let rowBytes = 1 + width * channels
        var raw = [UInt8](repeating: 0, count: rowBytes * height)
        raw.withUnsafeMutableBytes { out in
            for y in 0..<height {
                let source = pixels + y * stride
                let row = out.baseAddress! + y * rowBytes + 1   // the filter byte stays 0 (None)
                if keepAlpha {
                    row.copyMemory(from: source, byteCount: width * 4)
                } else {
                    let s = source.assumingMemoryBound(to: UInt8.self)
                    let d = row.assumingMemoryBound(to: UInt8.self)
                    for x in 0..<width {
                        d[x * 3] = s[x * 4]
                        d[x * 3 + 1] = s[x * 4 + 1]
                        d[x * 3 + 2] = s[x * 4 + 2]
                    }
                }
            }
        }
        // withUnsafeBytes does not keep a closure's typed error, so the result is carried out by hand.
        let compressed = raw.withUnsafeBytes { bytes -> Result<[UInt8], CodecError> in
            do throws(CodecError) { return .success(try Zlib.compress(bytes)) } catch { return .failure(error) }
        }
        let stream = try compressed.get()

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        header += [8, keepAlpha ? 6 : 2, 0, 0, 0]   // bit depth, colour type, compression, filter, interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", stream, to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &png)
        let typed = Array(type.utf8) + data
        png += typed
        appendBigEndian(typed.withUnsafeBytes { Zlib.crc32($0) }, to: &png)
    }
}
