/// The LZ4 block decoder behind the LZ4 image codec (SPICE_IMAGE_TYPE_LZ4), decoded by liblz4.
///
/// A SPICE LZ4 image is a short header followed by blocks, each prefixed by its big-endian length. The
/// server compresses the blocks as one LZ4 stream, so a later block may copy bytes from the output of any
/// earlier one; the image codec parses the framing and hands each block to `LZ4StreamDecoder`.
///
/// This is the only file that imports `CLZ4`.
internal import CLZ4

/// Decodes the successive blocks of one LZ4 stream, with each block able to reference earlier output.
///
/// Successive blocks of one stream must be decoded into **one contiguous output region, in order**: each
/// block's destination must start exactly where the previous block's output ended, and that earlier
/// output must stay in place and unmodified until the stream is finished, because later blocks copy from
/// it. This is how SPICE lays out an LZ4 image: its blocks decode back to back into the image's packed
/// rows. The decoder enforces the first half of that rule by remembering where the previous block ended.
///
/// Call `reset()` before the first block of each new stream (a new decoder starts reset). After a decode
/// error the stream cannot be continued; reset before using the decoder again. It is not safe to use
/// from two threads at once.
public final class LZ4StreamDecoder {
    private static let codec = "lz4"

    /// liblz4's tracking context: it holds pointers into the output of the previous blocks.
    private let stream: UnsafeMutablePointer<LZ4_streamDecode_t>
    /// Where the next block's output must start, or nil when the next block starts a new stream.
    ///
    /// INVARIANT: when non-nil, this is one past the last byte written by the previous block of the
    /// current stream, which is what liblz4 also takes as the end of its history.
    private var nextOutput: UnsafeMutableRawPointer?

    /// Creates a decoder ready for the first block of a stream.
    ///
    /// The corresponding C function is `LZ4_createStreamDecode`.
    public init() throws(CodecError) {
        guard let stream = LZ4_createStreamDecode() else {
            throw CodecError(.libraryFailure, codec: Self.codec, detail: "could not allocate a stream decoding context")
        }
        self.stream = stream
        self.nextOutput = nil
    }

    deinit {
        // LZ4_freeStreamDecode only reports success (it returns 0 even for null), so there is nothing to check.
        _ = LZ4_freeStreamDecode(self.stream)
    }

    /// The largest block liblz4's compressor can produce from `inputBytes` bytes (`LZ4_compressBound`), or
    /// nil when `inputBytes` is over what one block may hold. A block longer than this cannot be valid.
    public static func compressBound(_ inputBytes: Int) -> Int? {
        guard let size = Int32(exactly: inputBytes), size >= 0 else { return nil }
        let bound = LZ4_compressBound(size)
        return bound > 0 ? Int(bound) : nil
    }

    /// Forgets the previous blocks, so that the next block starts a new stream and may go anywhere.
    ///
    /// The corresponding C function is `LZ4_setStreamDecode` with no dictionary.
    public func reset() {
        let rc = LZ4_setStreamDecode(self.stream, nil, 0)
        // Resetting without a dictionary cannot fail in liblz4; a failure would mean a broken library.
        precondition(rc == 1, "LZ4_setStreamDecode failed to reset a stream")
        self.nextOutput = nil
    }

    /// Decodes one LZ4 block into the start of `destination` and returns the number of bytes written.
    ///
    /// `destination` must begin where the previous block of this stream ended (see the type's
    /// documentation); a block placed anywhere else is rejected with `invalidArgument` and nothing is
    /// written. liblz4 cannot tell a malformed block from one that decodes to more than
    /// `destination.count` bytes, so both are reported as `corruptData`.
    ///
    /// The corresponding C function is `LZ4_decompress_safe_continue`.
    public func decompressBlock(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(CodecError) -> Int {
        guard let input = source.baseAddress, !source.isEmpty else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "lz4 block is empty")
        }
        guard let output = destination.baseAddress, !destination.isEmpty else {
            throw CodecError(.outputTooSmall, codec: Self.codec, detail: "destination for an lz4 block is empty")
        }
        if let expected = self.nextOutput, expected != output {
            throw CodecError(.invalidArgument, codec: Self.codec,
                             detail: "lz4 block output must start where the previous block's output ended")
        }
        guard let sourceSize = Int32(exactly: source.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "lz4 block of \(source.count) bytes is too large")
        }
        guard let capacity = Int32(exactly: destination.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec,
                             detail: "destination of \(destination.count) bytes is too large for one lz4 block")
        }
        let decoded = LZ4_decompress_safe_continue(self.stream, input.assumingMemoryBound(to: CChar.self),
                                                   output.assumingMemoryBound(to: CChar.self), sourceSize, capacity)
        guard decoded >= 0 else {
            throw CodecError(.corruptData, codec: Self.codec,
                             detail: "lz4 block of \(source.count) bytes is malformed or decodes to more than \(destination.count) bytes")
        }
        self.nextOutput = output + Int(decoded)
        return Int(decoded)
    }
}
