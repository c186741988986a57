/// The one error type of the wire tier: the peer sent bytes that do not form a valid SPICE message.
///
/// Every error names where it happened (channel, message, field) so that a user, a log or a test can
/// tell exactly which part of the stream was wrong. A short buffer is never an error here: parsers that
/// can wait for more bytes return `nil` instead.
public struct SpiceWireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of rule the bytes broke.
    public enum Code: Equatable, Sendable {
        /// The message ended before a field it must contain.
        case truncated
        /// Bytes were left over after the last field of a message.
        case trailingBytes
        /// A length, count, offset or size is larger than the named limit allows.
        case overLimit
        /// An offset ("pointer") points outside the message body.
        case badOffset
        /// The link header does not start with "REDQ".
        case badMagic
        /// The peer speaks a different major protocol version.
        case versionMismatch
        /// A field holds a value the protocol does not allow.
        case badValue
    }

    public let code: Code
    /// The channel the bytes arrived on ("main", "display", …, or "link" during the handshake).
    public let channel: String
    /// The message being read, named as in spice.proto ("INIT", "CHANNELS_LIST", …).
    public let message: String
    /// The field being read, named as in spice.proto.
    public let field: String
    /// A lowercase, specific explanation.
    public let detail: String

    public init(_ code: Code, channel: String, message: String, field: String, detail: String) {
        self.code = code
        self.channel = channel
        self.message = message
        self.field = field
        self.detail = detail
    }

    public var description: String {
        "\(self.channel) channel, message \(self.message), field \(self.field): \(self.detail)"
    }
}
