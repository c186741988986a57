/// Display channel messages (spice.proto `channel DisplayChannel`). This file holds the client side
/// the session needs to start the channel; the drawing commands build on it.

/// Display channel messages from the client.
public enum DisplayClientMessage: Equatable, Sendable {
    /// `INIT {u8 pixmap_cache_id; i64 pixmap_cache_size; u8 glz_dictionary_id; i32 glz_dictionary_window_size}`:
    /// the cache and GLZ window the client keeps; the server starts drawing once it has this.
    case `init`(pixmapCacheID: UInt8, pixmapCacheSize: Int64, glzDictionaryID: UInt8, glzWindowSize: Int32)
    /// `PREFERRED_COMPRESSION {u8 image_compression}`.
    case preferredCompression(UInt8)

    public enum ID {
        public static let `init`: UInt16 = 101
        public static let streamReport: UInt16 = 102
        public static let preferredCompression: UInt16 = 103
        public static let glDrawDone: UInt16 = 104
        public static let preferredVideoCodecType: UInt16 = 105
    }

    public var type: UInt16 {
        switch self {
        case .`init`: ID.`init`
        case .preferredCompression: ID.preferredCompression
        }
    }

    /// Parses a display client message (what a server reads); `nil` for other ids.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> DisplayClientMessage? {
        var r = WireReader(body, channel: "display", message: "DISPLAY")
        let message: DisplayClientMessage
        switch type {
        case ID.`init`:
            r.message = "INIT"
            message = .`init`(
                pixmapCacheID: try r.readUInt8("pixmap_cache_id"),
                pixmapCacheSize: try r.readInt64LE("pixmap_cache_size"),
                glzDictionaryID: try r.readUInt8("glz_dictionary_id"),
                glzWindowSize: try r.readInt32LE("glz_dictionary_window_size"))
        case ID.preferredCompression:
            r.message = "PREFERRED_COMPRESSION"
            message = .preferredCompression(try r.readUInt8("image_compression"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    public func encode() -> [UInt8] {
        var w = WireWriter()
        switch self {
        case .`init`(let cacheID, let cacheSize, let glzID, let window):
            w.writeUInt8(cacheID)
            w.writeInt64LE(cacheSize)
            w.writeUInt8(glzID)
            w.writeInt32LE(window)
        case .preferredCompression(let value):
            w.writeUInt8(value)
        }
        return w.bytes
    }
}
