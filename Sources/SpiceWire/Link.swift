/// The link handshake's messages (spice-protocol `protocol.h`: `SpiceLinkHeader`, `SpiceLinkMess`,
/// `SpiceLinkReply`, `SpiceLinkAuthMechanism`, `SpiceLinkEncryptedTicket`, and the link result).

/// The 16-byte header in front of `SpiceLinkMess` and `SpiceLinkReply`.
public struct LinkHeader: Equatable, Sendable {
    /// "REDQ" read as a little-endian 32-bit word.
    public static let magic: UInt32 = 0x5144_4552
    public static let majorVersion: UInt32 = 2
    public static let minorVersion: UInt32 = 2
    public static let size = 16

    public var majorVersion: UInt32
    public var minorVersion: UInt32
    /// The number of bytes that follow the header.
    public var size: UInt32

    public init(size: UInt32, majorVersion: UInt32 = LinkHeader.majorVersion, minorVersion: UInt32 = LinkHeader.minorVersion) {
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.size = size
    }

    /// Parses a header from the first 16 bytes of `bytes`; `nil` means fewer than 16 bytes have arrived.
    ///
    /// Throws on a bad magic, a different major version, or a size over `Limits.maxLinkMessageSize`.
    public static func parse(_ bytes: [UInt8], channel: StaticString = "link") throws(SpiceWireError) -> LinkHeader? {
        guard bytes.count >= Self.size else { return nil }
        var reader = WireReader(bytes, range: 0..<Self.size, channel: channel, message: "LinkHeader")
        let magic = try reader.readUInt32LE("magic")
        guard magic == Self.magic else {
            throw reader.error(.badMagic, "magic", "expected \"REDQ\", got 0x\(String(magic, radix: 16)): not a SPICE server")
        }
        let major = try reader.readUInt32LE("major_version")
        guard major == Self.majorVersion else {
            throw reader.error(.versionMismatch, "major_version", "server speaks protocol \(major), this client speaks \(Self.majorVersion)")
        }
        let minor = try reader.readUInt32LE("minor_version")
        let size = try reader.readUInt32LE("size")
        _ = try reader.check(size, limit: Limits.maxLinkMessageSize, "size")
        return LinkHeader(size: size, majorVersion: major, minorVersion: minor)
    }

    public func encode(into writer: inout WireWriter) {
        writer.writeUInt32LE(Self.magic)
        writer.writeUInt32LE(self.majorVersion)
        writer.writeUInt32LE(self.minorVersion)
        writer.writeUInt32LE(self.size)
    }
}

/// Reads the two capability sets at the end of a link message.
private func readCapabilities(
    _ reader: WireReader, fixedSize: Int, common: UInt32, channel: UInt32, offset: UInt32
) throws(SpiceWireError) -> (CapabilitySet, CapabilitySet) {
    let commonCount = try reader.check(common, limit: Limits.maxCapabilityWords, "num_common_caps")
    let channelCount = try reader.check(channel, limit: Limits.maxCapabilityWords, "num_channel_caps")
    guard offset >= fixedSize else {
        throw reader.error(.badOffset, "caps_offset", "offset \(offset) points into the fixed part of the message")
    }
    var caps = try reader.reader(atOffset: offset, "caps_offset")
    var commonWords: [UInt32] = []
    for _ in 0..<commonCount { commonWords.append(try caps.readUInt32LE("common_caps")) }
    var channelWords: [UInt32] = []
    for _ in 0..<channelCount { channelWords.append(try caps.readUInt32LE("channel_caps")) }
    try caps.expectEnd()
    return (CapabilitySet(words: commonWords), CapabilitySet(words: channelWords))
}

/// `SpiceLinkMess`: the client's request to link one channel, with its capabilities.
public struct LinkMess: Equatable, Sendable {
    /// The size of the fixed part, which is also where the client puts the capabilities.
    public static let fixedSize = 18

    /// 0 for the main channel; `MAIN_INIT.session_id` for every other channel.
    public var connectionID: UInt32
    public var channel: ChannelID
    public var commonCaps: CapabilitySet
    public var channelCaps: CapabilitySet

    public init(connectionID: UInt32, channel: ChannelID, commonCaps: CapabilitySet, channelCaps: CapabilitySet) {
        self.connectionID = connectionID
        self.channel = channel
        self.commonCaps = commonCaps
        self.channelCaps = channelCaps
    }

    /// The whole link request: `LinkHeader` followed by this message and its capability words.
    public func encodeWithHeader() -> [UInt8] {
        let size = Self.fixedSize + 4 * (self.commonCaps.words.count + self.channelCaps.words.count)
        var writer = WireWriter(capacity: LinkHeader.size + size)
        LinkHeader(size: UInt32(size)).encode(into: &writer)
        writer.writeUInt32LE(self.connectionID)
        writer.writeUInt8(self.channel.type.rawValue)
        writer.writeUInt8(self.channel.id)
        writer.writeUInt32LE(UInt32(self.commonCaps.words.count))
        writer.writeUInt32LE(UInt32(self.channelCaps.words.count))
        writer.writeUInt32LE(UInt32(Self.fixedSize))
        for word in self.commonCaps.words { writer.writeUInt32LE(word) }
        for word in self.channelCaps.words { writer.writeUInt32LE(word) }
        return writer.bytes
    }

    /// Parses the body that follows a `LinkHeader` (what a server, or a test's fake server, reads).
    public init(body: [UInt8]) throws(SpiceWireError) {
        var reader = WireReader(body, channel: "link", message: "SpiceLinkMess")
        self.connectionID = try reader.readUInt32LE("connection_id")
        let type = try reader.readUInt8("channel_type")
        let id = try reader.readUInt8("channel_id")
        self.channel = ChannelID(ChannelType(rawValue: type), id)
        let common = try reader.readUInt32LE("num_common_caps")
        let channel = try reader.readUInt32LE("num_channel_caps")
        let offset = try reader.readUInt32LE("caps_offset")
        (self.commonCaps, self.channelCaps) = try readCapabilities(
            reader, fixedSize: Self.fixedSize, common: common, channel: channel, offset: offset)
    }
}

/// `SpiceLinkErr`: why a server refused a link, or `ok`.
public struct LinkError: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let ok = LinkError(rawValue: 0)
    public static let error = LinkError(rawValue: 1)
    public static let invalidMagic = LinkError(rawValue: 2)
    public static let invalidData = LinkError(rawValue: 3)
    public static let versionMismatch = LinkError(rawValue: 4)
    public static let needSecured = LinkError(rawValue: 5)
    public static let needUnsecured = LinkError(rawValue: 6)
    public static let permissionDenied = LinkError(rawValue: 7)
    public static let badConnectionID = LinkError(rawValue: 8)
    public static let channelNotAvailable = LinkError(rawValue: 9)

    /// A message a user can act on.
    public var description: String {
        switch self.rawValue {
        case 0: "ok"
        case 1: "the server refused the link (generic error)"
        case 2: "the server did not recognise the link magic"
        case 3: "the server rejected the link data as invalid"
        case 4: "the server does not support this protocol version"
        case 5: "the server requires TLS on this channel"
        case 6: "the server requires a plain (non-TLS) connection on this channel"
        case 7: "wrong password (permission denied)"
        case 8: "the server does not know this session (bad connection id)"
        case 9: "no such channel on the server"
        default: "unknown link error \(self.rawValue)"
        }
    }
}

/// `SpiceLinkReply`: the server's answer to `SpiceLinkMess`.
public struct LinkReply: Equatable, Sendable {
    /// `error` + `pub_key` + three capability words: 4 + 162 + 12.
    public static let fixedSize = 178

    public var error: LinkError
    /// A DER X.509 SubjectPublicKeyInfo holding the RSA-1024 key the password ticket is encrypted with.
    public var publicKey: [UInt8]
    public var commonCaps: CapabilitySet
    public var channelCaps: CapabilitySet

    public init(error: LinkError, publicKey: [UInt8], commonCaps: CapabilitySet, channelCaps: CapabilitySet) {
        precondition(publicKey.count == Limits.ticketPublicKeySize, "the public key field is 162 bytes")
        self.error = error
        self.publicKey = publicKey
        self.commonCaps = commonCaps
        self.channelCaps = channelCaps
    }

    /// Parses the body that follows the reply's `LinkHeader`.
    public init(body: [UInt8]) throws(SpiceWireError) {
        var reader = WireReader(body, channel: "link", message: "SpiceLinkReply")
        self.error = LinkError(rawValue: try reader.readUInt32LE("error"))
        self.publicKey = try reader.readBytes(Limits.ticketPublicKeySize, limit: Limits.ticketPublicKeySize, "pub_key")
        let common = try reader.readUInt32LE("num_common_caps")
        let channel = try reader.readUInt32LE("num_channel_caps")
        let offset = try reader.readUInt32LE("caps_offset")
        (self.commonCaps, self.channelCaps) = try readCapabilities(
            reader, fixedSize: Self.fixedSize, common: common, channel: channel, offset: offset)
    }

    /// The whole reply: `LinkHeader` followed by the reply and its capability words.
    public func encodeWithHeader() -> [UInt8] {
        let size = Self.fixedSize + 4 * (self.commonCaps.words.count + self.channelCaps.words.count)
        var writer = WireWriter(capacity: LinkHeader.size + size)
        LinkHeader(size: UInt32(size)).encode(into: &writer)
        writer.writeUInt32LE(self.error.rawValue)
        writer.writeBytes(self.publicKey)
        writer.writeUInt32LE(UInt32(self.commonCaps.words.count))
        writer.writeUInt32LE(UInt32(self.channelCaps.words.count))
        writer.writeUInt32LE(UInt32(Self.fixedSize))
        for word in self.commonCaps.words { writer.writeUInt32LE(word) }
        for word in self.channelCaps.words { writer.writeUInt32LE(word) }
        return writer.bytes
    }
}

/// `SpiceLinkAuthMechanism`: which authentication the client chose, sent when both sides have
/// `PROTOCOL_AUTH_SELECTION`. The value is the common capability number of the mechanism.
public struct LinkAuthMechanism: Equatable, Sendable {
    public static let size = 4
    public var mechanism: UInt32

    public init(mechanism: UInt32) { self.mechanism = mechanism }

    public func encode() -> [UInt8] {
        var writer = WireWriter(capacity: 4)
        writer.writeUInt32LE(self.mechanism)
        return writer.bytes
    }

    /// Parses the 4 bytes; `nil` means they have not all arrived.
    public static func parse(_ bytes: [UInt8]) throws(SpiceWireError) -> LinkAuthMechanism? {
        guard bytes.count >= Self.size else { return nil }
        var reader = WireReader(bytes, range: 0..<4, channel: "link", message: "SpiceLinkAuthMechanism")
        return LinkAuthMechanism(mechanism: try reader.readUInt32LE("auth_mechanism"))
    }
}

/// The link result: one `SpiceLinkErr` word the server sends after the ticket.
public struct LinkResult: Equatable, Sendable {
    public static let size = 4
    public var error: LinkError

    public init(error: LinkError) { self.error = error }

    public func encode() -> [UInt8] {
        var writer = WireWriter(capacity: 4)
        writer.writeUInt32LE(self.error.rawValue)
        return writer.bytes
    }

    /// Parses the 4 bytes; `nil` means they have not all arrived.
    public static func parse(_ bytes: [UInt8]) throws(SpiceWireError) -> LinkResult? {
        guard bytes.count >= Self.size else { return nil }
        var reader = WireReader(bytes, range: 0..<4, channel: "link", message: "LinkResult")
        return LinkResult(error: LinkError(rawValue: try reader.readUInt32LE("link_result")))
    }
}
