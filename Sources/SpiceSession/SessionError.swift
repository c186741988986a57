import SpiceWire

/// The one error type of the session tier: why a channel or the whole session cannot go on.
///
/// Wire errors (malformed bytes) are carried inside, so the text still names the channel, the
/// message and the field.
public struct SessionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable {
        /// The peer sent bytes that are not valid SPICE.
        case malformed
        /// The server refused the link with a `SpiceLinkErr`.
        case linkRefused(LinkError)
        /// The server offers only authentication this client does not implement (SASL).
        case unsupportedAuthentication
        /// The password cannot be sent (too long, or the server's key is unusable).
        case badPassword
        /// The password ticket could not be encrypted.
        case ticketEncryption
        /// The channel did not finish linking in time.
        case linkTimedOut
        /// The server closed the connection, or it broke.
        case connectionClosed
    }

    public let code: Code
    public let channel: ChannelID
    public let detail: String

    public init(_ code: Code, channel: ChannelID, detail: String) {
        self.code = code
        self.channel = channel
        self.detail = detail
    }

    /// Wraps a wire error seen on `channel`.
    public init(_ error: SpiceWireError, channel: ChannelID) {
        self.init(.malformed, channel: channel, detail: "malformed message: \(error)")
    }

    public var description: String { "\(self.channel): \(self.detail)" }
}
