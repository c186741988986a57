/// Record channel messages (spice.proto `channel RecordChannel`; notes §2.5, §5.2): server ids 101–104,
/// client ids 101–103.

/// Record channel messages from the server.
public enum RecordServerMessage: Equatable, Sendable {
    /// `START {u32 channels; u16 format; u32 frequency}`: the guest opened its capture device.
    case start(AudioStreamFormat)
    /// `STOP`: capture ended.
    case stop
    /// `VOLUME {u8 nchannels; u16 volume[]}`: the guest's capture volume per channel.
    case volume([UInt16])
    /// `MUTE {u8 mute}`.
    case mute(Bool)

    public enum ID {
        public static let start: UInt16 = 101
        public static let stop: UInt16 = 102
        public static let volume: UInt16 = 103
        public static let mute: UInt16 = 104
    }

    public var type: UInt16 {
        switch self {
        case .start: ID.start
        case .stop: ID.stop
        case .volume: ID.volume
        case .mute: ID.mute
        }
    }

    /// Parses a record server message; `nil` when `type` is not a record server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> RecordServerMessage? {
        var r = WireReader(body, channel: "record", message: "RECORD")
        let message: RecordServerMessage
        switch type {
        case ID.start:
            r.message = "START"
            message = .start(try AudioStreamFormat.read(&r))
        case ID.stop:
            r.message = "STOP"
            message = .stop
        case ID.volume:
            r.message = "VOLUME"
            message = .volume(try readAudioVolume(&r))
        case ID.mute:
            r.message = "MUTE"
            message = .mute(try r.readUInt8("mute") != 0)
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
        case .start(let format):
            format.write(&w)
        case .stop:
            break
        case .volume(let volume):
            w.writeUInt8(UInt8(truncatingIfNeeded: volume.count))
            for v in volume { w.writeUInt16LE(v) }
        case .mute(let mute):
            w.writeUInt8(mute ? 1 : 0)
        }
        return w.bytes
    }
}

/// Record channel messages from the client.
public enum RecordClientMessage: Equatable, Sendable {
    /// `DATA {u32 time; u8 data[]}`: captured audio, coded as the last `MODE` said.
    case data(time: UInt32, data: [UInt8])
    /// `MODE {u32 time; u16 mode; u8 data[]}`: how the following `DATA` are coded (`AudioDataMode`).
    case mode(time: UInt32, mode: UInt16, data: [UInt8])
    /// `START_MARK {u32 time}`: the multimedia time capture started at.
    case startMark(time: UInt32)

    public enum ID {
        public static let data: UInt16 = 101
        public static let mode: UInt16 = 102
        public static let startMark: UInt16 = 103
    }

    public var type: UInt16 {
        switch self {
        case .data: ID.data
        case .mode: ID.mode
        case .startMark: ID.startMark
        }
    }

    /// Parses a record client message (what a server reads); `nil` when `type` is not a record client id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> RecordClientMessage? {
        var r = WireReader(body, channel: "record", message: "RECORD")
        let message: RecordClientMessage
        switch type {
        case ID.data:
            r.message = "DATA"
            let time = try r.readUInt32LE("time")
            message = .data(time: time, data: try r.readRest(limit: Limits.maxAudioDataSize, "data"))
        case ID.mode:
            r.message = "MODE"
            let time = try r.readUInt32LE("time")
            let mode = try r.readUInt16LE("mode")
            message = .mode(time: time, mode: mode, data: try r.readRest(limit: Limits.maxAudioModeDataSize, "data"))
        case ID.startMark:
            r.message = "START_MARK"
            message = .startMark(time: try r.readUInt32LE("time"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
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
        case .startMark(let time):
            w.writeUInt32LE(time)
        }
        return w.bytes
    }
}
