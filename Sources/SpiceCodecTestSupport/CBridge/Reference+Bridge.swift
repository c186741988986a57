/// The C libraries' own compressors (to make encoded inputs) and their raw decompressors (the baselines
/// `spice-bench` times beside our decoders), for tools and tests only.
///
/// This is the only file of this tools-tier target that imports `CTurboJPEG`, `CLZ4` and `CZlib`; the
/// library tier keeps its own bridges in `SpiceCodecs/CBridge`. The baselines call the C functions with as
/// little around them as possible, so that a ratio to them measures what our code adds.
internal import CLZ4
internal import CTurboJPEG
internal import CZlib

/// A failure of one of the C libraries used here, with the library's own text.
public struct ReferenceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

// MARK: - JPEG

/// TurboJPEG compression of canvas pixels (R,G,B,A bytes; alpha ignored) to a baseline JFIF.
public enum JPEGCompression {
    /// Chroma subsampling of the compressed image.
    public enum Subsampling: Sendable {
        case s420, s444

        var tj: Int32 {
            switch self {
            case .s420: Int32(TJSAMP_420.rawValue)
            case .s444: Int32(TJSAMP_444.rawValue)
            }
        }
    }

    /// Compresses `width` x `height` pixels at `pixels` (rows of `pitch` bytes) at `quality` (1...100).
    ///
    /// The corresponding C functions are `tjInitCompress`, `tjCompress2`, `tjFree` and `tjDestroy`.
    public static func compress(_ pixels: UnsafeRawPointer, width: Int, height: Int, pitch: Int,
                                subsampling: Subsampling, quality: Int32) throws -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw ReferenceError("tjInitCompress failed: \(String(cString: tjGetErrorStr2(nil)))")
        }
        defer { _ = tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let rc = tjCompress2(handle, pixels.assumingMemoryBound(to: UInt8.self), Int32(width), Int32(pitch), Int32(height),
                             Int32(TJPF_RGBX.rawValue), &buffer, &size, subsampling.tj, quality, 0)
        defer { if let buffer { tjFree(buffer) } }
        guard rc == 0, let buffer else {
            throw ReferenceError("tjCompress2 failed: \(String(cString: tjGetErrorStr2(handle)))")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }
}

/// Raw `tjDecompress2` into a caller's rectangle, R,G,B,X bytes (the canvas order): the JPEG baseline.
public final class RawJPEGDecompressor {
    private let handle: UnsafeMutableRawPointer

    public init() throws {
        guard let handle = tjInitDecompress() else {
            throw ReferenceError("tjInitDecompress failed: \(String(cString: tjGetErrorStr2(nil)))")
        }
        self.handle = handle
    }

    deinit { _ = tjDestroy(self.handle) }

    /// Decodes `jpeg` into `destination` (rows of `pitch` bytes) with no header read and no checks.
    /// Returns false when TurboJPEG fails.
    ///
    /// The corresponding C function is `tjDecompress2`.
    @inline(__always)
    public func decompress(_ jpeg: UnsafeRawBufferPointer, into destination: UnsafeMutableRawPointer,
                           width: Int, height: Int, pitch: Int) -> Bool {
        tjDecompress2(self.handle, jpeg.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt(jpeg.count),
                      destination.assumingMemoryBound(to: UInt8.self), Int32(width), Int32(pitch), Int32(height),
                      Int32(TJPF_RGBX.rawValue), 0) == 0
    }
}

// MARK: - LZ4

/// liblz4 compression of a SPICE `LZ4` image's pixel bytes into its block stream.
public enum LZ4Compression {
    /// The block stream of an `LZ4` image payload after its two header bytes: `bytes` compressed in blocks
    /// of at most `blockBytes` on one LZ4 stream (later blocks may reference earlier ones), each behind its
    /// big-endian length.
    ///
    /// The corresponding C functions are `LZ4_createStream`, `LZ4_compress_fast_continue` and `LZ4_freeStream`.
    public static func compressBlocks(_ bytes: UnsafeRawBufferPointer, blockBytes: Int) throws -> [UInt8] {
        guard let stream = LZ4_createStream() else { throw ReferenceError("LZ4_createStream failed") }
        defer { LZ4_freeStream(stream) }
        var out: [UInt8] = []
        var start = 0
        while start < bytes.count {
            let count = min(blockBytes, bytes.count - start)
            let bound = Int(LZ4_compressBound(Int32(count)))
            var block = [UInt8](repeating: 0, count: bound)
            let size = block.withUnsafeMutableBytes { dst in
                LZ4_compress_fast_continue(stream, (bytes.baseAddress! + start).assumingMemoryBound(to: CChar.self),
                                           dst.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(count), Int32(bound), 1)
            }
            guard size > 0 else { throw ReferenceError("LZ4_compress_fast_continue failed on a block of \(count) bytes") }
            let length = UInt32(size)
            out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            out += block.prefix(Int(size))
            start += count
        }
        return out
    }
}

/// Raw `LZ4_decompress_safe_continue` over a SPICE `LZ4` block stream into one packed buffer: the LZ4
/// baseline (the block framing is walked, nothing is widened or checked beyond what liblz4 does).
public final class RawLZ4Decompressor {
    private let stream: UnsafeMutablePointer<LZ4_streamDecode_t>

    public init() throws {
        guard let stream = LZ4_createStreamDecode() else { throw ReferenceError("LZ4_createStreamDecode failed") }
        self.stream = stream
    }

    deinit { _ = LZ4_freeStreamDecode(self.stream) }

    /// Decodes the blocks in `blocks` (big-endian length, block, …) back to back into `destination` and
    /// returns the bytes written, or -1 when liblz4 fails.
    ///
    /// The corresponding C functions are `LZ4_setStreamDecode` and `LZ4_decompress_safe_continue`.
    @inline(__always)
    public func decompress(_ blocks: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        _ = LZ4_setStreamDecode(self.stream, nil, 0)
        let input = blocks.baseAddress!
        let output = destination.baseAddress!.assumingMemoryBound(to: CChar.self)
        var position = 0
        var written = 0
        while position + 4 <= blocks.count {
            let length = Int(UInt32(bigEndian: input.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
            position += 4
            let n = LZ4_decompress_safe_continue(self.stream, (input + position).assumingMemoryBound(to: CChar.self),
                                                 output + written, Int32(length), Int32(destination.count - written))
            guard n >= 0 else { return -1 }
            written += Int(n)
            position += length
        }
        return written
    }
}

// MARK: - zlib

/// Raw zlib `inflate` of one whole stream into a caller's buffer: the baseline for the zlib part of
/// ZLIB_GLZ_RGB.
public final class RawInflater {
    private let stream: UnsafeMutablePointer<z_stream>

    public init() throws {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard CZlib_inflateInit(stream) == Z_OK else {
            stream.deallocate()
            throw ReferenceError("inflateInit failed")
        }
        self.stream = stream
    }

    deinit {
        _ = inflateEnd(self.stream)
        self.stream.deallocate()
    }

    /// Inflates `source` into `destination`; returns the bytes written, or -1 unless the stream ended.
    ///
    /// The corresponding C functions are `inflateReset` and `inflate` with `Z_FINISH`.
    @inline(__always)
    public func inflate(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> Int {
        _ = inflateReset(self.stream)
        self.stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress!.assumingMemoryBound(to: Bytef.self))
        self.stream.pointee.avail_in = uInt(source.count)
        self.stream.pointee.next_out = destination.baseAddress!.assumingMemoryBound(to: Bytef.self)
        self.stream.pointee.avail_out = uInt(destination.count)
        let rc = CZlib.inflate(self.stream, Z_FINISH)
        return rc == Z_STREAM_END ? destination.count - Int(self.stream.pointee.avail_out) : -1
    }
}
