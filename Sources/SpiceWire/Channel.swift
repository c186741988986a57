/// A SPICE channel type (`SPICE_CHANNEL_*` in spice-protocol's enums.h).
///
/// A struct rather than an enum, because a server may list channel types this client does not know;
/// those are reported by name or number and never linked.
public struct ChannelType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let main = ChannelType(rawValue: 1)
    public static let display = ChannelType(rawValue: 2)
    public static let inputs = ChannelType(rawValue: 3)
    public static let cursor = ChannelType(rawValue: 4)
    public static let playback = ChannelType(rawValue: 5)
    public static let record = ChannelType(rawValue: 6)
    public static let tunnel = ChannelType(rawValue: 7)
    public static let smartcard = ChannelType(rawValue: 8)
    public static let usbredir = ChannelType(rawValue: 9)
    public static let port = ChannelType(rawValue: 10)
    public static let webdav = ChannelType(rawValue: 11)

    /// The channel's name as spice-gtk and remote-viewer spell it, for messages and errors.
    public var name: StaticString {
        switch self.rawValue {
        case 1: "main"
        case 2: "display"
        case 3: "inputs"
        case 4: "cursor"
        case 5: "playback"
        case 6: "record"
        case 7: "tunnel"
        case 8: "smartcard"
        case 9: "usbredir"
        case 10: "port"
        case 11: "webdav"
        default: "unknown"
        }
    }

    public var description: String {
        (1...11).contains(self.rawValue) ? "\(self.name)" : "unknown(\(self.rawValue))"
    }
}

/// One channel of a session: its type and its id among channels of that type (display 0, display 1, …).
public struct ChannelID: Hashable, Sendable, CustomStringConvertible {
    public var type: ChannelType
    public var id: UInt8

    public init(_ type: ChannelType, _ id: UInt8 = 0) {
        self.type = type
        self.id = id
    }

    public static let main = ChannelID(.main, 0)

    public var description: String { "\(self.type):\(self.id)" }
}

/// A set of capability bits, sent as little-endian 32-bit words: capability `n` is bit `n % 32` of
/// word `n / 32`.
public struct CapabilitySet: Hashable, Sendable, CustomStringConvertible {
    public private(set) var words: [UInt32]

    public init(words: [UInt32] = []) { self.words = words }

    public init(_ bits: [UInt32]) {
        self.words = []
        for bit in bits { self.insert(bit) }
    }

    public func contains(_ bit: UInt32) -> Bool {
        let word = Int(bit / 32)
        return word < self.words.count && self.words[word] & (1 << (bit % 32)) != 0
    }

    public mutating func insert(_ bit: UInt32) {
        let word = Int(bit / 32)
        while self.words.count <= word { self.words.append(0) }
        self.words[word] |= 1 << (bit % 32)
    }

    /// The numbers of the capabilities set, in increasing order.
    public var bits: [UInt32] {
        var result: [UInt32] = []
        for (w, word) in self.words.enumerated() {
            for b in 0..<32 where word & (1 << UInt32(b)) != 0 { result.append(UInt32(w * 32 + b)) }
        }
        return result
    }

    public var description: String { "[" + self.bits.map { String($0) }.joined(separator: ",") + "]" }
}

/// Capabilities common to every channel (`SPICE_COMMON_CAP_*`).
public enum CommonCapability {
    public static let protocolAuthSelection: UInt32 = 0
    public static let authSpice: UInt32 = 1
    public static let authSASL: UInt32 = 2
    public static let miniHeader: UInt32 = 3
}

/// Main channel capabilities (`SPICE_MAIN_CAP_*`).
public enum MainCapability {
    public static let semiSeamlessMigrate: UInt32 = 0
    public static let nameAndUUID: UInt32 = 1
    public static let agentConnectedTokens: UInt32 = 2
    public static let seamlessMigrate: UInt32 = 3
}

/// Display channel capabilities (`SPICE_DISPLAY_CAP_*`).
public enum DisplayCapability {
    public static let sizedStream: UInt32 = 0
    public static let monitorsConfig: UInt32 = 1
    public static let composite: UInt32 = 2
    public static let a8Surface: UInt32 = 3
    public static let streamReport: UInt32 = 4
    public static let lz4Compression: UInt32 = 5
    public static let prefCompression: UInt32 = 6
    public static let glScanout: UInt32 = 7
    public static let multiCodec: UInt32 = 8
    public static let codecMJPEG: UInt32 = 9
    public static let codecVP8: UInt32 = 10
    public static let codecH264: UInt32 = 11
    public static let prefVideoCodecType: UInt32 = 12
    public static let codecVP9: UInt32 = 13
    public static let codecH265: UInt32 = 14
}

/// Inputs channel capabilities (`SPICE_INPUTS_CAP_*`).
public enum InputsCapability {
    public static let keyScancode: UInt32 = 0
}

/// Playback channel capabilities (`SPICE_PLAYBACK_CAP_*`).
public enum PlaybackCapability {
    public static let celt051: UInt32 = 0
    public static let volume: UInt32 = 1
    public static let latency: UInt32 = 2
    public static let opus: UInt32 = 3
}

/// Record channel capabilities (`SPICE_RECORD_CAP_*`).
public enum RecordCapability {
    public static let celt051: UInt32 = 0
    public static let volume: UInt32 = 1
    public static let opus: UInt32 = 2
}
