/// Playback channel messages (spice.proto `channel PlaybackChannel`; notes §2.5, §5.1): server ids 101–107.
/// The channel has no client messages of its own beyond the base ones.

/// `SPICE_AUDIO_DATA_MODE_*`: how `DATA` payloads are coded.
public enum AudioDataMode {
    public static let invalid: UInt16 = 0
    /// Interleaved little-endian PCM in the format `START` announced.
    public static let raw: UInt16 = 1
    /// CELT 0.5.1: deprecated by spice-protocol 0.14.2 and never supported by this client.
    public static let celt051: UInt16 = 2
    /// One Opus packet per `DATA`.
    public static let opus: UInt16 = 3
}

/// `SPICE_AUDIO_FMT_*`: the sample format of a `START`.
public enum AudioSampleFormat {
    public static let invalid: UInt16 = 0
    /// Signed 16-bit little-endian samples, the only format SPICE defines.
    public static let s16: UInt16 = 1
}

/// The stream parameters of a playback or record `START`.
public struct AudioStreamFormat: Hashable, Sendable, CustomStringConvertible {
    /// Interleaved channels, 1…`Limits.maxAudioChannels`.
    public var channels: Int
    /// `AudioSampleFormat` value as sent (only `s16` is defined).
    public var format: UInt16
    /// Samples per second per channel, `Limits.minAudioFrequency`…`Limits.maxAudioFrequency`.
    public var frequency: Int

    public init(channels: Int, format: UInt16, frequency: Int) {
        self.channels = channels
        self.format = format
        self.frequency = frequency
    }

    public var description: String {
        "\(self.channels) channel\(self.channels == 1 ? "" : "s"), \(self.format == AudioSampleFormat.s16 ? "s16" : "format \(self.format)"), \(self.frequency) hz"
    }

    /// Reads `u32 channels; u16 format; u32 frequency` with every value held to its limit.
    static func read(_ r: inout WireReader) throws(SpiceWireError) -> AudioStreamFormat {
        let channels = try r.readUInt32LE("channels")
        guard channels >= 1, channels <= Limits.maxAudioChannels else {
            throw r.error(.overLimit, "channels", "\(channels) channels is outside 1…\(Limits.maxAudioChannels)")
        }
        let format = try r.readUInt16LE("format")
        let frequency = try r.readUInt32LE("frequency")
        guard frequency >= Limits.minAudioFrequency, frequency <= Limits.maxAudioFrequency else {
            throw r.error(.overLimit, "frequency", "\(frequency) hz is outside \(Limits.minAudioFrequency)…\(Limits.maxAudioFrequency)")
        }
        return AudioStreamFormat(channels: Int(channels), format: format, frequency: Int(frequency))
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt32LE(UInt32(truncatingIfNeeded: self.channels))
        w.writeUInt16LE(self.format)
        w.writeUInt32LE(UInt32(truncatingIfNeeded: self.frequency))
    }
}

/// Reads `u8 nchannels; u16 volume[nchannels]`, the body of playback and record `VOLUME`.
func readAudioVolume(_ r: inout WireReader) throws(SpiceWireError) -> [UInt16] {
    let count = try r.check(try r.readUInt8("nchannels"), limit: Limits.maxAudioChannels, "nchannels")
    var volume: [UInt16] = []
    volume.reserveCapacity(count)
    for _ in 0..<count { volume.append(try r.readUInt16LE("volume")) }
    return volume
}

/// Playback channel messages from the server.
public enum PlaybackServerMessage: Equatable, Sendable {
    /// `DATA {u32 time; u8 data[]}`: one packet of audio stamped with its multimedia time. The data is a
    /// view of the message body (no copy).
    case data(time: UInt32, data: ArraySlice<UInt8>)
    /// `MODE {u32 time; u16 mode; u8 data[]}`: how the following `DATA` are coded (`AudioDataMode`).
    case mode(time: UInt32, mode: UInt16, data: [UInt8])
    /// `START {u32 channels; u16 format; u32 frequency; u32 time}`: a stream begins.
    case start(AudioStreamFormat, time: UInt32)
    /// `STOP`: the stream ended; a `START` may follow.
    case stop
    /// `VOLUME {u8 nchannels; u16 volume[]}`: the guest's volume per channel (0…65535).
    case volume([UInt16])
    /// `MUTE {u8 mute}`.
    case mute(Bool)
    /// `LATENCY {u32 latency_ms}`: the buffering the server wants the client to keep (needs `PLAYBACK_CAP_LATENCY`).
    case latency(UInt32)

    public enum ID {
        public static let data: UInt16 = 101
        public static let mode: UInt16 = 102
        public static let start: UInt16 = 103
        public static let stop: UInt16 = 104
        public static let volume: UInt16 = 105
        public static let mute: UInt16 = 106
        public static let latency: UInt16 = 107
    }

    public var type: UInt16 {
        switch self {
        case .data: ID.data
        case .mode: ID.mode
        case .start: ID.start
        case .stop: ID.stop
        case .volume: ID.volume
        case .mute: ID.mute
        case .latency: ID.latency
        }
    }

    /// Parses a playback server message; `nil` when `type` is not a playback server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> PlaybackServerMessage? {
        var r = WireReader(body, channel: "playback", message: "PLAYBACK")
        let message: PlaybackServerMessage
        switch type {
        case ID.data:
            r.message = "DATA"
            let time = try r.readUInt32LE("time")
            message = .data(time: time, data: try r.readRestSlice(limit: Limits.maxAudioDataSize, "data"))
        case ID.mode:
            r.message = "MODE"
            let time = try r.readUInt32LE("time")
            let mode = try r.readUInt16LE("mode")
            message = .mode(time: time, mode: mode, data: try r.readRest(limit: Limits.maxAudioModeDataSize, "data"))
        case ID.start:
            r.message = "START"
            let format = try AudioStreamFormat.read(&r)
            message = .start(format, time: try r.readUInt32LE("time"))
        case ID.stop:
            r.message = "STOP"
            message = .stop
        case ID.volume:
            r.message = "VOLUME"
            message = .volume(try readAudioVolume(&r))
        case ID.mute:
            r.message = "MUTE"
            message = .mute(try r.readUInt8("mute") != 0)
        case ID.latency:
            r.message = "LATENCY"
            message = .latency(try r.readUInt32LE("latency_ms"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body (what a server sends; used by tests and fuzz seeds).
    public func encode() -> [UInt8] {
        var w = WireWriter(capacity: 16)
        switch self {
        case .data(let time, let data):
            w.writeUInt32LE(time)
            w.writeBytes(data)
        case .mode(let time, let mode, let data):
            w.writeUInt32LE(time)
            w.writeUInt16LE(mode)
            w.writeBytes(data)
        case .start(let format, let time):
            format.write(&w)
            w.writeUInt32LE(time)
        case .stop:
            break
        case .volume(let volume):
            w.writeUInt8(UInt8(truncatingIfNeeded: volume.count))
            for v in volume { w.writeUInt16LE(v) }
        case .mute(let mute):
            w.writeUInt8(mute ? 1 : 0)
        case .latency(let ms):
            w.writeUInt32LE(ms)
        }
        return w.bytes
    }
}
