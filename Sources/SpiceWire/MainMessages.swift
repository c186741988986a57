/// Main channel messages (spice.proto `channel MainChannel`): server ids 101–118, client ids 101–112.

/// `MAIN_INIT`: the session's parameters, the first message on the main channel.
public struct MainInit: Equatable, Sendable {
    /// The connection id every other channel of this session links with.
    public var sessionID: UInt32
    public var displayChannelsHint: UInt32
    /// `SPICE_MOUSE_MODE_*` flags: `SERVER=1`, `CLIENT=2`.
    public var supportedMouseModes: UInt32
    public var currentMouseMode: UInt32
    public var agentConnected: UInt32
    public var agentTokens: UInt32
    /// The server's multimedia clock, in milliseconds.
    public var multiMediaTime: UInt32
    /// A hint of the guest's RAM in bytes, used to size the GLZ dictionary window.
    public var ramHint: UInt32

    public init(sessionID: UInt32, displayChannelsHint: UInt32, supportedMouseModes: UInt32, currentMouseMode: UInt32,
                agentConnected: UInt32, agentTokens: UInt32, multiMediaTime: UInt32, ramHint: UInt32) {
        self.sessionID = sessionID
        self.displayChannelsHint = displayChannelsHint
        self.supportedMouseModes = supportedMouseModes
        self.currentMouseMode = currentMouseMode
        self.agentConnected = agentConnected
        self.agentTokens = agentTokens
        self.multiMediaTime = multiMediaTime
        self.ramHint = ramHint
    }
}

/// `DstInfo`: where a migrating session goes. Host and subject are NUL-terminated byte strings.
public struct MigrationTarget: Equatable, Sendable {
    public var port: UInt16
    public var securePort: UInt16
    public var host: [UInt8]
    public var certSubject: [UInt8]

    public init(port: UInt16, securePort: UInt16, host: [UInt8], certSubject: [UInt8]) {
        self.port = port
        self.securePort = securePort
        self.host = host
        self.certSubject = certSubject
    }

    /// `u16 port; u16 sport; u32 host_size; u8 *host; u32 cert_subject_size; u8 *cert_subject`.
    static let fixedSize = 20

    /// The fixed part of `DstInfo`: the ports and the strings' sizes and offsets.
    struct Fixed {
        var port: UInt16, securePort: UInt16
        var hostSize: Int, hostOffset: UInt32, subjectSize: Int, subjectOffset: UInt32
    }

    static func readFixed(_ r: inout WireReader) throws(SpiceWireError) -> Fixed {
        let port = try r.readUInt16LE("port")
        let securePort = try r.readUInt16LE("sport")
        let hostSize = try r.check(try r.readUInt32LE("host_size"), limit: Limits.maxMigrationStringLength, "host_size")
        let hostOffset = try r.readUInt32LE("host_data")
        let subjectSize = try r.check(try r.readUInt32LE("cert_subject_size"), limit: Limits.maxMigrationStringLength, "cert_subject_size")
        let subjectOffset = try r.readUInt32LE("cert_subject_data")
        return Fixed(port: port, securePort: securePort, hostSize: hostSize, hostOffset: hostOffset,
                     subjectSize: subjectSize, subjectOffset: subjectOffset)
    }

    /// Follows the pointers of `fixed`. `r` has read every fixed field of the message, so the strings
    /// must lie after them, must not overlap, and must fill the rest of the body exactly.
    init(_ fixed: Fixed, _ r: WireReader) throws(SpiceWireError) {
        let fixedEnd = r.offset
        guard fixed.hostOffset != 0 else { throw r.error(.badOffset, "host_data", "the host pointer is null") }
        guard fixed.subjectOffset != 0 || fixed.subjectSize == 0 else {
            throw r.error(.badOffset, "cert_subject_data", "the subject pointer is null but its size is \(fixed.subjectSize)")
        }
        guard Int(fixed.hostOffset) >= fixedEnd else {
            throw r.error(.badOffset, "host_data", "offset \(fixed.hostOffset) points into the fixed part of the message")
        }
        guard fixed.subjectOffset == 0 || Int(fixed.subjectOffset) >= fixedEnd else {
            throw r.error(.badOffset, "cert_subject_data", "offset \(fixed.subjectOffset) points into the fixed part of the message")
        }
        let host = Int(fixed.hostOffset)..<(Int(fixed.hostOffset) + fixed.hostSize)
        let subject = Int(fixed.subjectOffset)..<(Int(fixed.subjectOffset) + fixed.subjectSize)
        guard subject.isEmpty || !host.overlaps(subject) else {
            throw r.error(.badOffset, "cert_subject_data", "the subject overlaps the host")
        }
        self.port = fixed.port
        self.securePort = fixed.securePort
        self.host = try r.bytes(atOffset: fixed.hostOffset, count: fixed.hostSize, limit: Limits.maxMigrationStringLength, "host_data")
        self.certSubject = try r.bytes(atOffset: fixed.subjectOffset, count: fixed.subjectSize,
                                       limit: Limits.maxMigrationStringLength, "cert_subject_data")
        guard r.remaining == fixed.hostSize + fixed.subjectSize else {
            throw r.error(.trailingBytes, "end", "\(r.remaining) bytes after the fixed fields, but the strings take \(fixed.hostSize + fixed.subjectSize)")
        }
    }

    /// Writes the fixed part with pointers to strings placed after `trailerSize` more fixed bytes.
    func encode(into w: inout WireWriter, trailerSize: Int) -> [UInt8] {
        let start = w.count
        let hostOffset = start + Self.fixedSize + trailerSize
        w.writeUInt16LE(self.port)
        w.writeUInt16LE(self.securePort)
        w.writeUInt32LE(UInt32(self.host.count))
        w.writeUInt32LE(UInt32(hostOffset))
        w.writeUInt32LE(UInt32(self.certSubject.count))
        w.writeUInt32LE(self.certSubject.isEmpty ? 0 : UInt32(hostOffset + self.host.count))
        return self.host + self.certSubject
    }
}

/// Main channel messages from the server.
public enum MainServerMessage: Equatable, Sendable {
    case migrateBegin(MigrationTarget)
    case migrateCancel
    case `init`(MainInit)
    /// `CHANNELS_LIST`: every channel the client may link.
    case channelsList([ChannelID])
    /// `MOUSE_MODE {supported_modes, current_mode}`.
    case mouseMode(supported: UInt16, current: UInt16)
    case multiMediaTime(UInt32)
    case agentConnected
    case agentDisconnected(errorCode: UInt32)
    /// A piece of the agent's byte stream (reassembled by the agent layer).
    case agentData([UInt8])
    case agentToken(UInt32)
    case migrateSwitchHost(MigrationTarget)
    case migrateEnd
    case name([UInt8])
    case uuid([UInt8])
    case agentConnectedTokens(UInt32)
    case migrateBeginSeamless(MigrationTarget, sourceVersion: UInt32)
    case migrateDstSeamlessAck
    case migrateDstSeamlessNack

    public enum ID {
        public static let migrateBegin: UInt16 = 101
        public static let migrateCancel: UInt16 = 102
        public static let `init`: UInt16 = 103
        public static let channelsList: UInt16 = 104
        public static let mouseMode: UInt16 = 105
        public static let multiMediaTime: UInt16 = 106
        public static let agentConnected: UInt16 = 107
        public static let agentDisconnected: UInt16 = 108
        public static let agentData: UInt16 = 109
        public static let agentToken: UInt16 = 110
        public static let migrateSwitchHost: UInt16 = 111
        public static let migrateEnd: UInt16 = 112
        public static let name: UInt16 = 113
        public static let uuid: UInt16 = 114
        public static let agentConnectedTokens: UInt16 = 115
        public static let migrateBeginSeamless: UInt16 = 116
        public static let migrateDstSeamlessAck: UInt16 = 117
        public static let migrateDstSeamlessNack: UInt16 = 118
    }

    public var type: UInt16 {
        switch self {
        case .migrateBegin: ID.migrateBegin
        case .migrateCancel: ID.migrateCancel
        case .`init`: ID.`init`
        case .channelsList: ID.channelsList
        case .mouseMode: ID.mouseMode
        case .multiMediaTime: ID.multiMediaTime
        case .agentConnected: ID.agentConnected
        case .agentDisconnected: ID.agentDisconnected
        case .agentData: ID.agentData
        case .agentToken: ID.agentToken
        case .migrateSwitchHost: ID.migrateSwitchHost
        case .migrateEnd: ID.migrateEnd
        case .name: ID.name
        case .uuid: ID.uuid
        case .agentConnectedTokens: ID.agentConnectedTokens
        case .migrateBeginSeamless: ID.migrateBeginSeamless
        case .migrateDstSeamlessAck: ID.migrateDstSeamlessAck
        case .migrateDstSeamlessNack: ID.migrateDstSeamlessNack
        }
    }

    /// Parses a main channel message; `nil` when `type` is not a main server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> MainServerMessage? {
        var r = WireReader(body, channel: "main", message: "MAIN")
        let message: MainServerMessage
        switch type {
        case ID.migrateBegin:
            r.message = "MIGRATE_BEGIN"
            return .migrateBegin(try MigrationTarget(try MigrationTarget.readFixed(&r), r))
        case ID.migrateCancel:
            r.message = "MIGRATE_CANCEL"
            message = .migrateCancel
        case ID.`init`:
            r.message = "INIT"
            message = .`init`(MainInit(
                sessionID: try r.readUInt32LE("session_id"),
                displayChannelsHint: try r.readUInt32LE("display_channels_hint"),
                supportedMouseModes: try r.readUInt32LE("supported_mouse_modes"),
                currentMouseMode: try r.readUInt32LE("current_mouse_mode"),
                agentConnected: try r.readUInt32LE("agent_connected"),
                agentTokens: try r.readUInt32LE("agent_tokens"),
                multiMediaTime: try r.readUInt32LE("multi_media_time"),
                ramHint: try r.readUInt32LE("ram_hint")))
        case ID.channelsList:
            r.message = "CHANNELS_LIST"
            let count = try r.check(try r.readUInt32LE("num_of_channels"), limit: Limits.maxChannelsListed, "num_of_channels")
            var channels: [ChannelID] = []
            channels.reserveCapacity(count)
            for _ in 0..<count {
                let channelType = try r.readUInt8("type")
                channels.append(ChannelID(ChannelType(rawValue: channelType), try r.readUInt8("id")))
            }
            message = .channelsList(channels)
        case ID.mouseMode:
            r.message = "MOUSE_MODE"
            let supported = try r.readUInt16LE("supported_modes")
            message = .mouseMode(supported: supported, current: try r.readUInt16LE("current_mode"))
        case ID.multiMediaTime:
            r.message = "MULTI_MEDIA_TIME"
            message = .multiMediaTime(try r.readUInt32LE("time"))
        case ID.agentConnected:
            r.message = "AGENT_CONNECTED"
            message = .agentConnected
        case ID.agentDisconnected:
            r.message = "AGENT_DISCONNECTED"
            message = .agentDisconnected(errorCode: try r.readUInt32LE("error_code"))
        case ID.agentData:
            r.message = "AGENT_DATA"
            message = .agentData(try r.readRest(limit: Limits.maxAgentDataChunk, "data"))
        case ID.agentToken:
            r.message = "AGENT_TOKEN"
            message = .agentToken(try r.readUInt32LE("num_tokens"))
        case ID.migrateSwitchHost:
            r.message = "MIGRATE_SWITCH_HOST"
            return .migrateSwitchHost(try MigrationTarget(try MigrationTarget.readFixed(&r), r))
        case ID.migrateEnd:
            r.message = "MIGRATE_END"
            message = .migrateEnd
        case ID.name:
            r.message = "NAME"
            let length = try r.check(try r.readUInt32LE("name_len"), limit: Limits.maxNameLength, "name_len")
            message = .name(try r.readBytes(length, limit: Limits.maxNameLength, "name"))
        case ID.uuid:
            r.message = "UUID"
            message = .uuid(try r.readBytes(16, limit: 16, "uuid"))
        case ID.agentConnectedTokens:
            r.message = "AGENT_CONNECTED_TOKENS"
            message = .agentConnectedTokens(try r.readUInt32LE("num_tokens"))
        case ID.migrateBeginSeamless:
            r.message = "MIGRATE_BEGIN_SEAMLESS"
            let fixed = try MigrationTarget.readFixed(&r)
            let version = try r.readUInt32LE("src_mig_version")
            return .migrateBeginSeamless(try MigrationTarget(fixed, r), sourceVersion: version)
        case ID.migrateDstSeamlessAck:
            r.message = "MIGRATE_DST_SEAMLESS_ACK"
            message = .migrateDstSeamlessAck
        case ID.migrateDstSeamlessNack:
            r.message = "MIGRATE_DST_SEAMLESS_NACK"
            message = .migrateDstSeamlessNack
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
        case .migrateBegin(let target), .migrateSwitchHost(let target):
            let strings = target.encode(into: &w, trailerSize: 0)
            w.writeBytes(strings)
        case .migrateBeginSeamless(let target, let version):
            let strings = target.encode(into: &w, trailerSize: 4)
            w.writeUInt32LE(version)
            w.writeBytes(strings)
        case .migrateCancel, .agentConnected, .migrateEnd, .migrateDstSeamlessAck, .migrateDstSeamlessNack:
            break
        case .`init`(let m):
            for value in [m.sessionID, m.displayChannelsHint, m.supportedMouseModes, m.currentMouseMode,
                          m.agentConnected, m.agentTokens, m.multiMediaTime, m.ramHint] {
                w.writeUInt32LE(value)
            }
        case .channelsList(let channels):
            w.writeUInt32LE(UInt32(channels.count))
            for channel in channels {
                w.writeUInt8(channel.type.rawValue)
                w.writeUInt8(channel.id)
            }
        case .mouseMode(let supported, let current):
            w.writeUInt16LE(supported)
            w.writeUInt16LE(current)
        case .multiMediaTime(let value), .agentDisconnected(let value), .agentToken(let value), .agentConnectedTokens(let value):
            w.writeUInt32LE(value)
        case .agentData(let data), .uuid(let data):
            w.writeBytes(data)
        case .name(let name):
            w.writeUInt32LE(UInt32(name.count))
            w.writeBytes(name)
        }
        return w.bytes
    }
}

/// `SPICE_MOUSE_MODE_*` flags.
public enum MouseMode {
    /// Relative motion; the client draws the guest's cursor.
    public static let server: UInt16 = 1
    /// Absolute positions; needs a tablet or the agent in the guest.
    public static let client: UInt16 = 2
}

/// Main channel messages from the client.
public enum MainClientMessage: Equatable, Sendable {
    case clientInfo(cacheSize: UInt64)
    case migrateConnected
    case migrateConnectError
    /// `ATTACH_CHANNELS`: asks for `CHANNELS_LIST`.
    case attachChannels
    case mouseModeRequest(UInt16)
    /// `AGENT_START {num_tokens}`: how many agent messages the server may send before waiting.
    case agentStart(tokens: UInt32)
    case agentData([UInt8])
    case agentToken(UInt32)
    case migrateEnd
    case migrateDstDoSeamless(sourceVersion: UInt32)
    case migrateConnectedSeamless
    case qualityIndicator([UInt8])

    public enum ID {
        public static let clientInfo: UInt16 = 101
        public static let migrateConnected: UInt16 = 102
        public static let migrateConnectError: UInt16 = 103
        public static let attachChannels: UInt16 = 104
        public static let mouseModeRequest: UInt16 = 105
        public static let agentStart: UInt16 = 106
        public static let agentData: UInt16 = 107
        public static let agentToken: UInt16 = 108
        public static let migrateEnd: UInt16 = 109
        public static let migrateDstDoSeamless: UInt16 = 110
        public static let migrateConnectedSeamless: UInt16 = 111
        public static let qualityIndicator: UInt16 = 112
    }

    public var type: UInt16 {
        switch self {
        case .clientInfo: ID.clientInfo
        case .migrateConnected: ID.migrateConnected
        case .migrateConnectError: ID.migrateConnectError
        case .attachChannels: ID.attachChannels
        case .mouseModeRequest: ID.mouseModeRequest
        case .agentStart: ID.agentStart
        case .agentData: ID.agentData
        case .agentToken: ID.agentToken
        case .migrateEnd: ID.migrateEnd
        case .migrateDstDoSeamless: ID.migrateDstDoSeamless
        case .migrateConnectedSeamless: ID.migrateConnectedSeamless
        case .qualityIndicator: ID.qualityIndicator
        }
    }

    /// Parses a main client message (what a server reads); `nil` when `type` is not a main client id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> MainClientMessage? {
        var r = WireReader(body, channel: "main", message: "MAIN")
        let message: MainClientMessage
        switch type {
        case ID.clientInfo:
            r.message = "CLIENT_INFO"
            message = .clientInfo(cacheSize: try r.readUInt64LE("cache_size"))
        case ID.migrateConnected:
            r.message = "MIGRATE_CONNECTED"
            message = .migrateConnected
        case ID.migrateConnectError:
            r.message = "MIGRATE_CONNECT_ERROR"
            message = .migrateConnectError
        case ID.attachChannels:
            r.message = "ATTACH_CHANNELS"
            message = .attachChannels
        case ID.mouseModeRequest:
            r.message = "MOUSE_MODE_REQUEST"
            message = .mouseModeRequest(try r.readUInt16LE("mode"))
        case ID.agentStart:
            r.message = "AGENT_START"
            message = .agentStart(tokens: try r.readUInt32LE("num_tokens"))
        case ID.agentData:
            r.message = "AGENT_DATA"
            message = .agentData(try r.readRest(limit: Limits.maxAgentDataChunk, "data"))
        case ID.agentToken:
            r.message = "AGENT_TOKEN"
            message = .agentToken(try r.readUInt32LE("num_tokens"))
        case ID.migrateEnd:
            r.message = "MIGRATE_END"
            message = .migrateEnd
        case ID.migrateDstDoSeamless:
            r.message = "MIGRATE_DST_DO_SEAMLESS"
            message = .migrateDstDoSeamless(sourceVersion: try r.readUInt32LE("src_version"))
        case ID.migrateConnectedSeamless:
            r.message = "MIGRATE_CONNECTED_SEAMLESS"
            message = .migrateConnectedSeamless
        case ID.qualityIndicator:
            r.message = "QUALITY_INDICATOR"
            message = .qualityIndicator(try r.readRest(limit: Limits.maxMessageBodySize, "data"))
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
        case .clientInfo(let cacheSize):
            w.writeUInt64LE(cacheSize)
        case .migrateConnected, .migrateConnectError, .attachChannels, .migrateEnd, .migrateConnectedSeamless:
            break
        case .mouseModeRequest(let mode):
            w.writeUInt16LE(mode)
        case .agentStart(let value), .agentToken(let value), .migrateDstDoSeamless(let value):
            w.writeUInt32LE(value)
        case .agentData(let data), .qualityIndicator(let data):
            w.writeBytes(data)
        }
        return w.bytes
    }
}
