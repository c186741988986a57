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

/// Limits of the display channel's server messages (spice.proto `channel DisplayChannel`).
extension Limits {
    /// The most rectangles one `Clip` may list (16 bytes each, so 1 MiB of rects). Guests send a
    /// handful; complex window shapes reach a few hundred.
    public static let maxClipRects = 65536

    /// The most entries one `Palette` may hold: an 8-bit index addresses 256 colours.
    public static let maxPaletteEntries = 256

    /// The widest or tallest image, bitmap, surface or video stream accepted (the canvas's own bound).
    public static let maxImageDimension = 16384

    /// The most pixels one image may have (256 MiB at 4 bytes a pixel), so that width and height at
    /// their limits cannot both be used at once.
    public static let maxImagePixels = 8192 * 8192

    /// The most segments one `Path` of `DRAW_STROKE` may have.
    public static let maxPathSegments = 65536

    /// The most points one `PathSegment` may have.
    public static let maxPathSegmentPoints = 65536

    /// The most glyphs one `String` of `DRAW_TEXT` may carry. A GDI text run is one line of text.
    public static let maxStringGlyphs = 8192

    /// The widest or tallest raster glyph accepted (an A8 glyph at the limit is 4 MiB).
    public static let maxGlyphDimension = 2048

    /// The most dash segments a `LineAttr` style may have (the range of its 8-bit count).
    public static let maxLineStyleSegments = 255

    /// The most heads one `MONITORS_CONFIG` may list (spice-gtk's `MONITORS_MAX`).
    public static let maxMonitors = 256

    /// The most resources one `INVAL_LIST` may name. spice-server sends at most 128 at a time.
    public static let maxInvalListResources = 4096
}

/// Limits of the inputs and cursor channels (spice.proto `channel InputsChannel`, `channel CursorChannel`).
extension Limits {
    /// The widest or tallest cursor accepted. Windows offers pointers up to 256×256 (the largest
    /// accessibility size) and X cursor themes reach 256 at 2× scaling; 512 leaves room for a 2× HiDPI
    /// Windows pointer while bounding one decoded shape to 1 MiB (512×512 R,G,B,A).
    public static let maxCursorDimension = 512

    /// The longest `KEY_SCANCODE` body accepted (what a server reads). A press and release of the
    /// longest hardware sequence (Pause: `E1 1D 45 E1 9D C5`) is 6 bytes; 64 leaves room for a short burst.
    public static let maxKeyScancodeBytes = 64
}

/// Limits of the playback and record channels (spice.proto `channel PlaybackChannel`, `channel RecordChannel`).
extension Limits {
    /// The most interleaved channels a `START` may announce, and the most entries a `VOLUME` may list.
    /// SPICE servers send stereo; 8 leaves room for 7.1 while bounding every per-frame buffer.
    public static let maxAudioChannels = 8

    /// The largest audio `DATA` payload accepted. spice-server sends one 10 ms frame per message (1920 bytes
    /// of 48 kHz stereo S16, or an Opus packet of at most 480 bytes); 64 KiB is over 300 ms of 48 kHz
    /// stereo, so a conforming server never reaches it.
    public static let maxAudioDataSize = 64 * 1024

    /// The largest codec-specific payload of a `MODE` message (spice-server sends none).
    public static let maxAudioModeDataSize = 1024

    /// The lowest and highest sample rates a `START` may announce.
    public static let minAudioFrequency = 8000
    public static let maxAudioFrequency = 192_000
}
