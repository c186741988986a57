/// The zlib layer of the ZLIB_GLZ_RGB image codec (SPICE_IMAGE_TYPE_ZLIB_GLZ_RGB): the image's data is one zlib
/// stream that inflates to exactly `glz_data_size` bytes of GLZ data. Inflated by the system zlib.
///
/// This is the only file that imports `CZlib`.
internal import CZlib

/// Inflates whole zlib streams (RFC 1950 wrapper around RFC 1951 deflate data) into a caller's buffer.
///
/// One inflater owns one `z_stream` and reuses it, with its internal allocations, for every stream it is
/// given; each call is independent of the previous one. It is not safe to use from two threads at once.
public final class ZlibInflater {
    private static let codec = "zlib"

    /// The zlib stream state, on the heap because zlib's internal state keeps a pointer back to it and
    /// rejects the stream if it ever moves.
    private let stream: UnsafeMutablePointer<z_stream>
    /// Where `next_out` points when the caller's buffer is empty, with no room: zlib refuses a null `next_out`
    /// even then, and an empty stream into an empty buffer is valid.
    private let spare: UnsafeMutablePointer<Bytef>

    /// Creates an inflater.
    ///
    /// The corresponding C function is `inflateInit` (through the `CZlib_inflateInit` shim, as it is a macro).
    public init() throws(CodecError) {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        // A zeroed z_stream asks zlib for its default allocator and no input yet.
        stream.initialize(to: z_stream())
        let rc = CZlib_inflateInit(stream)
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CodecError(.libraryFailure, codec: Self.codec, detail: "could not initialise an inflate stream (zlib error \(rc))")
        }
        self.stream = stream
        self.spare = UnsafeMutablePointer<Bytef>.allocate(capacity: 1)
    }

    deinit {
        // inflateEnd only fails for a stream that was never initialised, which `init` rules out.
        _ = inflateEnd(self.stream)
        self.stream.deinitialize(count: 1)
        self.stream.deallocate()
        self.spare.deallocate()
    }

    /// Inflates one whole zlib stream from `source` into the start of `destination` and returns the
    /// number of bytes written.
    ///
    /// `source` must hold exactly one stream: bytes after its end are rejected as corrupt data, as is a
    /// stream that stops before its end. A stream that decodes to more than `destination.count` bytes
    /// fails with `outputTooSmall`. After an error the destination may have been partly written.
    ///
    /// The corresponding C functions are `inflateReset` and `inflate` with `Z_FINISH`.
    public func inflate(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        // z_stream counts input and output room in `uInt`, which is 32 bits.
        guard let inputCount = UInt32(exactly: source.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "zlib data of \(source.count) bytes is too large")
        }
        guard let outputCount = UInt32(exactly: destination.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "destination of \(destination.count) bytes is too large")
        }
        let resetRC = inflateReset(self.stream)
        guard resetRC == Z_OK else {
            throw CodecError(.libraryFailure, codec: Self.codec, detail: "could not reset the inflate stream (zlib error \(resetRC))")
        }

        // zlib never writes through `next_in`; the header just declares it without `const`.
        self.stream.pointee.next_in = source.baseAddress.map {
            UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self))
        }
        self.stream.pointee.avail_in = inputCount
        self.stream.pointee.next_out = destination.baseAddress?.assumingMemoryBound(to: Bytef.self) ?? self.spare
        self.stream.pointee.avail_out = outputCount
        defer {
            // Drop the pointers into the caller's buffers so the stream never holds them past this call.
            self.stream.pointee.next_in = nil
            self.stream.pointee.next_out = nil
        }

        let rc = CZlib.inflate(self.stream, Z_FINISH)
        let written = Int(outputCount - self.stream.pointee.avail_out)
        switch rc {
        case Z_STREAM_END:
            let trailing = self.stream.pointee.avail_in
            guard trailing == 0 else {
                throw CodecError(.corruptData, codec: Self.codec, detail: "\(trailing) bytes follow the end of the zlib stream")
            }
            return written
        case Z_OK, Z_BUF_ERROR:
            // With Z_FINISH these mean inflate stopped before the end of the stream: either the output is full
            // or the input ran out. Input left over means the output is what stopped it. A full output with no
            // input left is a truncated stream, not a small destination: a complete stream still has its 4-byte
            // Adler-32 trailer unread whenever output remains to be written.
            guard self.stream.pointee.avail_in == 0 else {
                throw CodecError(.outputTooSmall, codec: Self.codec,
                                 detail: "zlib stream inflates to more than \(destination.count) bytes")
            }
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "zlib stream of \(source.count) bytes ends early, after \(written) bytes of output")
        case Z_NEED_DICT:
            throw CodecError(.unsupported, codec: Self.codec, detail: "zlib stream needs a preset dictionary")
        case Z_DATA_ERROR:
            throw CodecError(.corruptData, codec: Self.codec, detail: "zlib data is malformed: \(self.lastMessage)")
        case Z_MEM_ERROR:
            throw CodecError(.libraryFailure, codec: Self.codec, detail: "zlib ran out of memory")
        default:
            throw CodecError(.libraryFailure, codec: Self.codec, detail: "inflate failed with zlib error \(rc): \(self.lastMessage)")
        }
    }

    /// zlib's text for the last error, which names the broken part of the stream ("incorrect header check").
    private var lastMessage: String {
        guard let message = self.stream.pointee.msg else {
            return "no message"
        }
        return String(cString: message)
    }
}

/// One-shot zlib compression and CRC-32, for writing PNG screenshots.
public enum Zlib {
    /// Compresses `source` into one zlib stream.
    ///
    /// The corresponding C functions are `compressBound` and `compress2`.
    public static func compress(_ source: UnsafeRawBufferPointer, level: Int32 = 6) throws(CodecError) -> [UInt8] {
        guard let sourceCount = uLong(exactly: source.count) else {
            throw CodecError(.invalidArgument, codec: "zlib", detail: "input of \(source.count) bytes is too large")
        }
        var capacity = compressBound(sourceCount)
        var output = [UInt8](repeating: 0, count: Int(capacity))
        let rc = output.withUnsafeMutableBufferPointer { out in
            compress2(out.baseAddress, &capacity, source.baseAddress?.assumingMemoryBound(to: Bytef.self), sourceCount, level)
        }
        guard rc == Z_OK else {
            throw CodecError(.libraryFailure, codec: "zlib", detail: "compress2 failed with zlib error \(rc)")
        }
        output.removeSubrange(Int(capacity)...)
        return output
    }

    /// The CRC-32 (ISO 3309, as PNG uses it) of `bytes`, continuing from `crc`.
    ///
    /// The corresponding C function is `crc32`.
    public static func crc32(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        var value = uLong(crc)
        var rest = bytes
        // crc32 takes a 32-bit length; feed large buffers in pieces.
        while !rest.isEmpty {
            let piece = min(rest.count, Int(UInt32.max))
            value = CZlib.crc32(value, rest.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(piece))
            rest = UnsafeRawBufferPointer(rebasing: rest[piece...])
        }
        return UInt32(truncatingIfNeeded: value)
    }
}
