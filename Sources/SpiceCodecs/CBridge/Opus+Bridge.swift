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
    fileprivate static func error(for rc: Int32, doing action: String) -> CodecError {
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

/// Encodes interleaved signed 16-bit PCM into Opus packets, for the record channel
/// (SPICE_AUDIO_DATA_MODE_OPUS: one packet per record DATA message).
///
/// One encoder carries the state of one capture stream. It is not safe to use from two threads at once.
public final class OpusEncoder {
    private static let codec = "opus"

    /// The libopus encoder state; owned by this object and freed in `deinit`.
    private let state: OpaquePointer
    public let channels: Int
    public let sampleRate: Int

    /// The largest packet `encode` produces. spice-server's record channel keeps at most 480 compressed
    /// bytes per frame (`SND_CODEC_MAX_COMPRESSED_BYTES`), so packets are held to it.
    public static let maxPacketBytes = 480

    /// Creates an encoder for `channels` (1 or 2) at an Opus rate, with `OPUS_APPLICATION_AUDIO` as SPICE uses.
    ///
    /// The corresponding C function is `opus_encoder_create`.
    public init(sampleRate: Int32, channels: Int32) throws(CodecError) {
        guard [8000, 12000, 16000, 24000, 48000].contains(sampleRate) else {
            throw CodecError(.unsupported, codec: Self.codec, detail: "sample rate \(sampleRate) hz is not an opus rate")
        }
        guard channels == 1 || channels == 2 else {
            throw CodecError(.unsupported, codec: Self.codec, detail: "\(channels) channels is not mono or stereo")
        }
        var rc: Int32 = OPUS_OK
        let state = opus_encoder_create(sampleRate, channels, OPUS_APPLICATION_AUDIO, &rc)
        guard rc == OPUS_OK, let state else {
            throw OpusDecoder.error(for: rc, doing: "create an encoder")
        }
        self.state = state
        self.channels = Int(channels)
        self.sampleRate = Int(sampleRate)
    }

    deinit {
        opus_encoder_destroy(self.state)
    }

    /// Encodes one frame of `frames` samples per channel from `pcm` (interleaved) and returns the packet.
    ///
    /// `frames` must be an Opus frame duration: 2.5, 5, 10, 20, 40 or 60 ms at the encoder's rate.
    ///
    /// The corresponding C function is `opus_encode`.
    public func encode(_ pcm: UnsafeBufferPointer<Int16>, frames: Int) throws(CodecError) -> [UInt8] {
        guard frames > 0, pcm.count >= frames * self.channels, let input = pcm.baseAddress, let cFrames = Int32(exactly: frames) else {
            throw CodecError(.invalidArgument, codec: Self.codec,
                             detail: "\(pcm.count) samples do not hold \(frames) frames of \(self.channels) channels")
        }
        var packet = [UInt8](repeating: 0, count: Self.maxPacketBytes)
        let written = packet.withUnsafeMutableBufferPointer { out in
            opus_encode(self.state, input, cFrames, out.baseAddress!, Int32(Self.maxPacketBytes))
        }
        guard written > 0 else {
            throw OpusDecoder.error(for: written, doing: "encode \(frames) frames")
        }
        packet.removeSubrange(Int(written)...)
        return packet
    }
}
