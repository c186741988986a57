/// The Opus audio codec of the playback channel (SPICE_AUDIO_DATA_MODE_OPUS: one Opus packet per PLAYBACK DATA
/// message), decoded by libopus.
///
/// This is the only file that imports `COpus`.
internal import COpus

/// Decodes Opus packets into interleaved signed 16-bit PCM.
///
/// One decoder carries the state of one audio stream (Opus frames depend on the frames before them), so
/// a new decoder is needed for each playback START. It is not safe to use from two threads at once.
public final class OpusDecoder {
    private static let codec = "opus"

    /// The libopus decoder state; owned by this object and freed in `deinit`.
    private let state: OpaquePointer
    /// The channel count the decoder was created with, used to size each decode.
    public let channels: Int

    /// Creates a decoder for a stream at `sampleRate` Hz with `channels` interleaved channels.
    ///
    /// Only the rates Opus itself supports (8000, 12000, 16000, 24000 and 48000 Hz) and mono or stereo
    /// are accepted; checking them here gives a specific message instead of libopus's generic "invalid argument".
    ///
    /// The corresponding C function is `opus_decoder_create`.
    public init(sampleRate: Int32, channels: Int32) throws(CodecError) {
        guard [8000, 12000, 16000, 24000, 48000].contains(sampleRate) else {
            throw CodecError(.unsupported, codec: Self.codec, detail: "sample rate \(sampleRate) hz is not an opus rate")
        }
        guard channels == 1 || channels == 2 else {
            throw CodecError(.unsupported, codec: Self.codec, detail: "\(channels) channels is not mono or stereo")
        }
        var rc: Int32 = OPUS_OK
        let state = opus_decoder_create(sampleRate, channels, &rc)
        guard rc == OPUS_OK, let state else {
            throw Self.error(for: rc, doing: "create a decoder")
        }
        self.state = state
        self.channels = Int(channels)
    }

    deinit {
        opus_decoder_destroy(self.state)
    }

    /// Decodes one packet into `pcm` and returns the number of samples decoded per channel.
    ///
    /// Samples are interleaved (L, R, L, R, … for stereo), so `pcm[0 ..< result * channels]` holds the
    /// output. `pcm` must have room for the whole packet: a 20 ms stereo packet at 48 kHz needs 960 × 2
    /// samples, and 120 ms (5760 × channels samples) is enough for any packet. An empty packet is rejected,
    /// because libopus would treat it as a lost packet and invent audio, and SPICE runs over TCP, which
    /// never loses one.
    ///
    /// The corresponding C function is `opus_decode`.
    public func decode(_ packet: UnsafeRawBufferPointer, into pcm: UnsafeMutableBufferPointer<Int16>) throws(CodecError) -> Int {
        guard let source = packet.baseAddress, !packet.isEmpty else {
            throw CodecError(.corruptData, codec: Self.codec, detail: "opus packet is empty")
        }
        guard let length = Int32(exactly: packet.count) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "opus packet of \(packet.count) bytes is too large")
        }
        // libopus writes at most `frameSize * channels` samples, so rounding down keeps it inside `pcm`.
        let frameSize = pcm.count / self.channels
        guard let output = pcm.baseAddress, frameSize > 0 else {
            throw CodecError(.outputTooSmall, codec: Self.codec,
                             detail: "pcm buffer of \(pcm.count) samples holds no \(self.channels)-channel frame")
        }
        guard let cFrameSize = Int32(exactly: frameSize) else {
            throw CodecError(.invalidArgument, codec: Self.codec, detail: "pcm buffer of \(pcm.count) samples is too large")
        }
        let decoded = opus_decode(self.state, source.assumingMemoryBound(to: UInt8.self), length, output, cFrameSize, 0)
        guard decoded >= 0 else {
            throw Self.error(for: decoded, doing: "decode a \(packet.count)-byte packet into \(frameSize) samples per channel")
        }
        return Int(decoded)
    }

    /// Turns a negative libopus result into an error carrying libopus's own text.
    private static func error(for rc: Int32, doing action: String) -> CodecError {
        let code: CodecError.Code
        switch rc {
        case OPUS_INVALID_PACKET: code = .corruptData
        case OPUS_BUFFER_TOO_SMALL: code = .outputTooSmall
        case OPUS_UNIMPLEMENTED: code = .unsupported
        case OPUS_BAD_ARG: code = .invalidArgument
        default: code = .libraryFailure
        }
        return CodecError(code, codec: Self.codec, detail: "could not \(action): libopus \"\(String(cString: opus_strerror(rc)))\"")
    }
}
