/// Every bound the client puts on a length, count, offset or size read from the wire.
///
/// Each value is checked before anything is allocated or buffered for it, so a hostile or broken
/// server can make the client close a channel but never make it grow without bound.
public enum Limits {
    /// The largest message body accepted on any channel. A 4096×4096 uncompressed 32-bit bitmap (64 MiB)
    /// plus its descriptors fits; anything larger is refused before a byte of it is buffered.
    public static let maxMessageBodySize = 80 * 1024 * 1024

    /// The largest `SpiceLinkReply` body (178 fixed bytes plus capability words). Real servers send
    /// a few hundred bytes.
    public static let maxLinkMessageSize = 4096

    /// The most capability words (32 capabilities each) accepted in one set. spice-protocol defines
    /// fewer than 32 capabilities per set today.
    public static let maxCapabilityWords = 64

    /// The most channels one `CHANNELS_LIST` may name.
    public static let maxChannelsListed = 256

    /// The most sub-messages one `SPICE_MSG_LIST` may carry.
    public static let maxSubMessages = 4096

    /// The longest `NOTIFY` text accepted.
    public static let maxNotifyLength = 4096

    /// The longest VM name (`MAIN_NAME`) accepted.
    public static let maxNameLength = 4096

    /// The longest host name or certificate subject in a migration target.
    public static let maxMigrationStringLength = 1024

    /// The largest agent data chunk accepted from the server. The agent protocol cuts its stream into
    /// 2048-byte pieces; this leaves room for servers that merge them.
    public static let maxAgentDataChunk = 64 * 1024

    /// The size of the RSA public key in a link reply (`SPICE_TICKET_PUBKEY_BYTES`).
    public static let ticketPublicKeySize = 162

    /// The size of the encrypted password ticket (RSA-1024).
    public static let encryptedTicketSize = 128

    /// The longest password the ticket can carry (`SPICE_MAX_PASSWORD_LENGTH`).
    public static let maxPasswordLength = 60
}
