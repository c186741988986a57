/// Messages every channel carries (spice.proto `channel BaseChannel`): ids 1–8 from the server,
/// 1–6 from the client. Channel-specific ids start at 101.

/// `Ping`: the server measures latency and bandwidth; the client answers with `PONG`.
public struct Ping: Equatable, Sendable {
    public var id: UInt32
    public var timestamp: UInt64
    /// Padding the server adds to measure bandwidth; it is not echoed back.
    public var data: [UInt8]

    public init(id: UInt32, timestamp: UInt64, data: [UInt8] = []) {
        self.id = id
        self.timestamp = timestamp
        self.data = data
    }
}

/// One entry of `WAIT_FOR_CHANNELS`: wait until that channel has handled the message with `serial`.
public struct WaitForChannel: Equatable, Sendable {
    public var channel: ChannelID
    public var serial: UInt64

    public init(channel: ChannelID, serial: UInt64) {
        self.channel = channel
        self.serial = serial
    }
}

/// `Notify`: a message from the server for the user or the log.
public struct Notify: Equatable, Sendable {
    public var timestamp: UInt64
    /// `SPICE_NOTIFY_SEVERITY_*`: 0 info, 1 warning, 2 error.
    public var severity: UInt32
    /// `SPICE_NOTIFY_VISIBILITY_*`: 0 low, 1 medium, 2 high.
    public var visibility: UInt32
    public var what: UInt32
    public var message: [UInt8]

    public init(timestamp: UInt64, severity: UInt32, visibility: UInt32, what: UInt32, message: [UInt8]) {
        self.timestamp = timestamp
        self.severity = severity
        self.visibility = visibility
        self.what = what
        self.message = message
    }

    /// The text, without the NUL some servers append.
    public var text: String {
        String(decoding: self.message.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// Base messages from the server to the client.
public enum BaseServerMessage: Equatable, Sendable {
    /// `MIGRATE {flags}`: `NEED_FLUSH=1`, `NEED_DATA_TRANSFER=2`.
    case migrate(flags: UInt32)
    /// `MIGRATE_DATA`: opaque data the client returns to the migration target.
    case migrateData([UInt8])
    /// `SET_ACK {generation, window}`: answer `ACK_SYNC{generation}` and then ACK every `window` messages.
    case setAck(generation: UInt32, window: UInt32)
    case ping(Ping)
    /// `WAIT_FOR_CHANNELS`: hold this channel until the listed channels reach the listed serials.
    case waitForChannels([WaitForChannel])
    /// `DISCONNECTING {time_stamp, reason}`.
    case disconnecting(timestamp: UInt64, reason: UInt32)
    case notify(Notify)
    /// `LIST`: a body that is a `SpiceSubMessageList` (see `SubMessageList`).
    case list([UInt8])

    public enum ID {
        public static let migrate: UInt16 = 1
        public static let migrateData: UInt16 = 2
        public static let setAck: UInt16 = 3
        public static let ping: UInt16 = 4
        public static let waitForChannels: UInt16 = 5
        public static let disconnecting: UInt16 = 6
        public static let notify: UInt16 = 7
        public static let list: UInt16 = 8
    }

    /// The message type id.
    public var type: UInt16 {
        switch self {
        case .migrate: ID.migrate
        case .migrateData: ID.migrateData
        case .setAck: ID.setAck
        case .ping: ID.ping
        case .waitForChannels: ID.waitForChannels
        case .disconnecting: ID.disconnecting
        case .notify: ID.notify
        case .list: ID.list
        }
    }

    /// Parses a base message; `nil` when `type` is not a base message id.
    public static func parse(type: UInt16, body: [UInt8], channel: StaticString) throws(SpiceWireError) -> BaseServerMessage? {
        var r = WireReader(body, channel: channel, message: "BASE")
        let message: BaseServerMessage
        switch type {
        case ID.migrate:
            r.message = "MIGRATE"
            message = .migrate(flags: try r.readUInt32LE("flags"))
        case ID.migrateData:
            r.message = "MIGRATE_DATA"
            message = .migrateData(try r.readRest(limit: Limits.maxMessageBodySize, "data"))
        case ID.setAck:
            r.message = "SET_ACK"
            let generation = try r.readUInt32LE("generation")
            message = .setAck(generation: generation, window: try r.readUInt32LE("window"))
        case ID.ping:
            r.message = "PING"
            let id = try r.readUInt32LE("id")
            let timestamp = try r.readUInt64LE("timestamp")
            message = .ping(Ping(id: id, timestamp: timestamp, data: try r.readRest(limit: Limits.maxMessageBodySize, "data")))
        case ID.waitForChannels:
            r.message = "WAIT_FOR_CHANNELS"
            let count = try r.readUInt8("wait_count")
            var list: [WaitForChannel] = []
            list.reserveCapacity(Int(count))
            for _ in 0..<count {
                let channelType = try r.readUInt8("channel_type")
                let channelID = try r.readUInt8("channel_id")
                let serial = try r.readUInt64LE("message_serial")
                list.append(WaitForChannel(channel: ChannelID(ChannelType(rawValue: channelType), channelID), serial: serial))
            }
            message = .waitForChannels(list)
        case ID.disconnecting:
            r.message = "DISCONNECTING"
            let timestamp = try r.readUInt64LE("time_stamp")
            message = .disconnecting(timestamp: timestamp, reason: try r.readUInt32LE("reason"))
        case ID.notify:
            r.message = "NOTIFY"
            let timestamp = try r.readUInt64LE("time_stamp")
            let severity = try r.readUInt32LE("severity")
            let visibility = try r.readUInt32LE("visibility")
            let what = try r.readUInt32LE("what")
            let length = try r.check(try r.readUInt32LE("message_len"), limit: Limits.maxNotifyLength, "message_len")
            let text = try r.readBytes(length, limit: Limits.maxNotifyLength, "message")
            // spice-server writes the text's NUL terminator after the counted bytes; accept exactly that.
            if r.remaining == 1, try r.readUInt8("message_nul") != 0 {
                throw r.error(.badValue, "message_nul", "byte after the notify text is not a NUL")
            }
            message = .notify(Notify(timestamp: timestamp, severity: severity, visibility: visibility, what: what, message: text))
        case ID.list:
            r.message = "LIST"
            message = .list(try r.readRest(limit: Limits.maxMessageBodySize, "sub_messages"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
    public func encode() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .migrate(let flags):
            w.writeUInt32LE(flags)
        case .migrateData(let data), .list(let data):
            w.writeBytes(data)
        case .setAck(let generation, let window):
            w.writeUInt32LE(generation)
            w.writeUInt32LE(window)
        case .ping(let ping):
            w.writeUInt32LE(ping.id)
            w.writeUInt64LE(ping.timestamp)
            w.writeBytes(ping.data)
        case .waitForChannels(let list):
            w.writeUInt8(UInt8(list.count))
            for entry in list {
                w.writeUInt8(entry.channel.type.rawValue)
                w.writeUInt8(entry.channel.id)
                w.writeUInt64LE(entry.serial)
            }
        case .disconnecting(let timestamp, let reason):
            w.writeUInt64LE(timestamp)
            w.writeUInt32LE(reason)
        case .notify(let notify):
            w.writeUInt64LE(notify.timestamp)
            w.writeUInt32LE(notify.severity)
            w.writeUInt32LE(notify.visibility)
            w.writeUInt32LE(notify.what)
            w.writeUInt32LE(UInt32(notify.message.count))
            w.writeBytes(notify.message)
            w.writeUInt8(0)
        }
        return w.bytes
    }
}

/// Base messages from the client to the server.
public enum BaseClientMessage: Equatable, Sendable {
    /// `ACK_SYNC {generation}`: the answer to `SET_ACK`.
    case ackSync(generation: UInt32)
    /// `ACK`: sent after every `window` received messages.
    case ack
    /// `PONG {id, timestamp}`: the answer to `PING`.
    case pong(id: UInt32, timestamp: UInt64)
    case migrateFlushMark
    case migrateData([UInt8])
    /// `DISCONNECTING {time_stamp, reason}`: sent before closing a channel politely.
    case disconnecting(timestamp: UInt64, reason: UInt32)

    public enum ID {
        public static let ackSync: UInt16 = 1
        public static let ack: UInt16 = 2
        public static let pong: UInt16 = 3
        public static let migrateFlushMark: UInt16 = 4
        public static let migrateData: UInt16 = 5
        public static let disconnecting: UInt16 = 6
    }

    public var type: UInt16 {
        switch self {
        case .ackSync: ID.ackSync
        case .ack: ID.ack
        case .pong: ID.pong
        case .migrateFlushMark: ID.migrateFlushMark
        case .migrateData: ID.migrateData
        case .disconnecting: ID.disconnecting
        }
    }

    /// Parses a base client message (what a server reads); `nil` when `type` is not a base id.
    public static func parse(type: UInt16, body: [UInt8], channel: StaticString) throws(SpiceWireError) -> BaseClientMessage? {
        var r = WireReader(body, channel: channel, message: "BASE")
        let message: BaseClientMessage
        switch type {
        case ID.ackSync:
            r.message = "ACK_SYNC"
            message = .ackSync(generation: try r.readUInt32LE("generation"))
        case ID.ack:
            r.message = "ACK"
            message = .ack
        case ID.pong:
            r.message = "PONG"
            let id = try r.readUInt32LE("id")
            message = .pong(id: id, timestamp: try r.readUInt64LE("timestamp"))
        case ID.migrateFlushMark:
            r.message = "MIGRATE_FLUSH_MARK"
            message = .migrateFlushMark
        case ID.migrateData:
            r.message = "MIGRATE_DATA"
            message = .migrateData(try r.readRest(limit: Limits.maxMessageBodySize, "data"))
        case ID.disconnecting:
            r.message = "DISCONNECTING"
            let timestamp = try r.readUInt64LE("time_stamp")
            message = .disconnecting(timestamp: timestamp, reason: try r.readUInt32LE("reason"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
    public func encode() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .ackSync(let generation):
            w.writeUInt32LE(generation)
        case .ack, .migrateFlushMark:
            break
        case .pong(let id, let timestamp):
            w.writeUInt32LE(id)
            w.writeUInt64LE(timestamp)
        case .migrateData(let data):
            w.writeBytes(data)
        case .disconnecting(let timestamp, let reason):
            w.writeUInt64LE(timestamp)
            w.writeUInt32LE(reason)
        }
        return w.bytes
    }
}
