/// Cursor channel messages (spice.proto `channel CursorChannel`; notes §2.4, §4.1): server ids 101–108,
/// the `Cursor` structure they carry, and the checks a cursor's shape must pass before it is decoded.

/// `SPICE_CURSOR_TYPE_*`: how a cursor's `data[]` encodes its pixels.
public enum CursorType: UInt8, CaseIterable, Sendable {
    /// `w*h` 32-bit pixels, ARGB as a little-endian word (B, G, R, A in memory).
    case alpha = 0
    /// Two 1-bit planes, AND then XOR, each row `(w+7)/8` bytes, most significant bit first.
    case mono = 1
    /// 4-bit pixels (high nibble first, rows `(w+1)/2` bytes), a 16-entry `u32` palette, the AND mask.
    case color4 = 2
    /// 8-bit pixels, a 256-entry `u32` palette, the AND mask.
    case color8 = 3
    /// x1r5g5b5 16-bit pixels, the AND mask.
    case color16 = 4
    /// 24-bit pixels (B, G, R), the AND mask.
    case color24 = 5
    /// 32-bit pixels (x8r8g8b8), the AND mask.
    case color32 = 6

    /// Bytes one row of the 1-bit AND (or XOR) mask takes.
    public static func maskRowBytes(width: Int) -> Int { (width + 7) / 8 }

    /// Bytes one row of this type's pixels takes (for `mono`, one row of one plane).
    public func pixelRowBytes(width: Int) -> Int {
        switch self {
        case .alpha, .color32: width * 4
        case .mono: Self.maskRowBytes(width: width)
        case .color4: (width + 1) / 2
        case .color8: width
        case .color16: width * 2
        case .color24: width * 3
        }
    }

    /// Palette entries (`u32` each) between the pixels and the mask.
    public var paletteEntries: Int {
        switch self {
        case .color4: 16
        case .color8: 256
        case .alpha, .mono, .color16, .color24, .color32: 0
        }
    }

    /// Whether a 1-bit AND mask follows the pixels (and the palette).
    public var hasMask: Bool {
        switch self {
        case .alpha, .mono: false
        case .color4, .color8, .color16, .color24, .color32: true
        }
    }

    /// The exact size of `data[]` for a `width`×`height` cursor of this type (PureSpice's
    /// `cursorBufferSize` and the QXL drivers' layouts agree on it).
    public func dataSize(width: Int, height: Int) -> Int {
        let planes = self == .mono ? 2 : 1
        let mask = self.hasMask ? Self.maskRowBytes(width: width) * height : 0
        return self.pixelRowBytes(width: width) * height * planes + self.paletteEntries * 4 + mask
    }
}

/// `SPICE_CURSOR_FLAGS_*`.
public struct CursorFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// No shape: the cursor is hidden or the client's default; nothing else follows the flags.
    public static let none = CursorFlags(rawValue: 1)
    /// Keep this shape under `header.unique` until `INVAL_ONE`, `INVAL_ALL` or `RESET`.
    public static let cacheMe = CursorFlags(rawValue: 2)
    /// Use the shape kept under `header.unique`; only the header's `unique` is meaningful and no data follows.
    public static let fromCache = CursorFlags(rawValue: 4)
}

/// spice.proto `CursorHeader {u64 unique; u8 type; u16 width, height, hot_spot_x, hot_spot_y}`.
public struct CursorHeader: Hashable, Sendable {
    public var unique: UInt64
    /// A `CursorType` raw value; unknown values are kept so that the cursor, not the message, is refused.
    public var type: UInt8
    public var width: UInt16
    public var height: UInt16
    public var hotSpotX: UInt16
    public var hotSpotY: UInt16

    public init(unique: UInt64, type: UInt8, width: UInt16, height: UInt16, hotSpotX: UInt16, hotSpotY: UInt16) {
        self.unique = unique
        self.type = type
        self.width = width
        self.height = height
        self.hotSpotX = hotSpotX
        self.hotSpotY = hotSpotY
    }

    public init(unique: UInt64, type: CursorType, width: UInt16, height: UInt16, hotSpotX: UInt16, hotSpotY: UInt16) {
        self.init(unique: unique, type: type.rawValue, width: width, height: height, hotSpotX: hotSpotX, hotSpotY: hotSpotY)
    }

    static let size = 17
}

/// spice.proto `Cursor {u16 flags; CursorHeader header (unless NONE); u8 data[] to the end of the message}`.
///
/// Parsing only checks the structure. Whether the shape can be drawn (a known type, dimensions within
/// `Limits.maxCursorDimension`, data of exactly the size the type needs) is `checkedShape(message:)`'s
/// job, so that a bad shape can be refused on its own while the channel goes on (notes §4.1: a client
/// keeps its previous cursor).
public struct Cursor: Equatable, Sendable {
    public var flags: CursorFlags
    /// Nil exactly when `flags` contains `.none`.
    public var header: CursorHeader?
    public var data: [UInt8]

    public init(flags: CursorFlags, header: CursorHeader?, data: [UInt8] = []) {
        self.flags = flags
        self.header = header
        self.data = data
    }

    /// The `NONE` cursor: no shape.
    public static let none = Cursor(flags: .none, header: nil)

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> Cursor {
        let flags = CursorFlags(rawValue: try r.readUInt16LE("cursor.flags"))
        var header: CursorHeader?
        if !flags.contains(.none) {
            header = CursorHeader(
                unique: try r.readUInt64LE("cursor.header.unique"),
                type: try r.readUInt8("cursor.header.type"),
                width: try r.readUInt16LE("cursor.header.width"),
                height: try r.readUInt16LE("cursor.header.height"),
                hotSpotX: try r.readUInt16LE("cursor.header.hot_spot_x"),
                hotSpotY: try r.readUInt16LE("cursor.header.hot_spot_y"))
        }
        // The frame already bounds the body (Limits.maxMessageBodySize); how much of it a shape may use
        // is checked against its own limit in `checkedShape`.
        let data = try r.readRest(limit: Limits.maxMessageBodySize, "cursor.data")
        // spice-server sends data only with a shape of its own (`cursor_fill`): after NONE or FROM_CACHE
        // anything left is not part of the message.
        if !data.isEmpty && (flags.contains(.none) || flags.contains(.fromCache)) {
            throw r.error(.trailingBytes, "cursor.data", "\(data.count) bytes of shape follow a cursor that has none of its own")
        }
        return Cursor(flags: flags, header: header, data: data)
    }

    func write(_ w: inout WireWriter) {
        w.writeUInt16LE(self.flags.rawValue)
        if let header = self.header {
            w.writeUInt64LE(header.unique)
            w.writeUInt8(header.type)
            w.writeUInt16LE(header.width)
            w.writeUInt16LE(header.height)
            w.writeUInt16LE(header.hotSpotX)
            w.writeUInt16LE(header.hotSpotY)
        }
        w.writeBytes(self.data)
    }

    /// Checks a cursor that carries its own shape (neither `NONE` nor `FROM_CACHE`) and returns its type:
    /// the type is known, width and height are 1…`Limits.maxCursorDimension`, and `data` has exactly the
    /// size the type needs. `message` names the message it came in (`SET` or `INIT`) for the error.
    public func checkedShape(message: String) throws(SpiceWireError) -> (CursorHeader, CursorType) {
        func error(_ code: SpiceWireError.Code, _ field: String, _ detail: String) -> SpiceWireError {
            SpiceWireError(code, channel: "cursor", message: message, field: field, detail: detail)
        }
        guard let header = self.header else {
            throw error(.badValue, "cursor.flags", "a NONE cursor has no shape")
        }
        guard let type = CursorType(rawValue: header.type) else {
            throw error(.badValue, "cursor.header.type", "cursor type \(header.type) is not one of spice-protocol's 0–6")
        }
        for (value, field) in [(header.width, "cursor.header.width"), (header.height, "cursor.header.height")] {
            guard value >= 1 else { throw error(.badValue, field, "a cursor cannot be 0 pixels wide or high") }
            guard Int(value) <= Limits.maxCursorDimension else {
                throw error(.overLimit, field, "value \(value) is over the limit of \(Limits.maxCursorDimension)")
            }
        }
        let needed = type.dataSize(width: Int(header.width), height: Int(header.height))
        guard self.data.count == needed else {
            let relation = self.data.count < needed ? "short" : "long"
            throw error(self.data.count < needed ? .truncated : .trailingBytes, "cursor.data",
                        "\(self.data.count) bytes is too \(relation) for a \(header.width)x\(header.height) \(type) cursor, which takes \(needed)")
        }
        return (header, type)
    }
}

/// Cursor channel messages from the server. The client sends none beyond the base messages.
public enum CursorServerMessage: Equatable, Sendable {
    /// `INIT {Point16 position; u16 trail_length, trail_frequency; u8 visible; Cursor cursor}`.
    case `init`(position: SpicePoint16, trailLength: UInt16, trailFrequency: UInt16, visible: Bool, cursor: Cursor)
    /// `RESET`: forget every cached shape and show the default cursor.
    case reset
    /// `SET {Point16 position; u8 visible; Cursor cursor}`.
    case set(position: SpicePoint16, visible: Bool, cursor: Cursor)
    /// `MOVE {Point16 position}` (server mouse mode).
    case move(SpicePoint16)
    case hide
    /// `TRAIL {u16 length, frequency}`.
    case trail(length: UInt16, frequency: UInt16)
    /// `INVAL_ONE {u64 id}`: forget one cached shape.
    case invalOne(UInt64)
    /// `INVAL_ALL`: forget every cached shape.
    case invalAll

    public enum ID {
        public static let `init`: UInt16 = 101
        public static let reset: UInt16 = 102
        public static let set: UInt16 = 103
        public static let move: UInt16 = 104
        public static let hide: UInt16 = 105
        public static let trail: UInt16 = 106
        public static let invalOne: UInt16 = 107
        public static let invalAll: UInt16 = 108
    }

    public var type: UInt16 {
        switch self {
        case .`init`: ID.`init`
        case .reset: ID.reset
        case .set: ID.set
        case .move: ID.move
        case .hide: ID.hide
        case .trail: ID.trail
        case .invalOne: ID.invalOne
        case .invalAll: ID.invalAll
        }
    }

    /// The spice.proto name of message `type`, for errors and reports.
    public static func name(_ type: UInt16) -> String? {
        switch type {
        case ID.`init`: "INIT"
        case ID.reset: "RESET"
        case ID.set: "SET"
        case ID.move: "MOVE"
        case ID.hide: "HIDE"
        case ID.trail: "TRAIL"
        case ID.invalOne: "INVAL_ONE"
        case ID.invalAll: "INVAL_ALL"
        default: nil
        }
    }

    /// Parses a cursor server message; `nil` when `type` is not a cursor server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> CursorServerMessage? {
        var r = WireReader(body, channel: "cursor", message: "CURSOR")
        let message: CursorServerMessage
        switch type {
        case ID.`init`:
            r.message = "INIT"
            let position = try SpicePoint16.read(&r, "position")
            let length = try r.readUInt16LE("trail_length")
            let frequency = try r.readUInt16LE("trail_frequency")
            let visible = try r.readUInt8("visible") != 0
            message = .`init`(position: position, trailLength: length, trailFrequency: frequency, visible: visible,
                              cursor: try Cursor.read(&r))
        case ID.reset:
            r.message = "RESET"
            message = .reset
        case ID.set:
            r.message = "SET"
            let position = try SpicePoint16.read(&r, "position")
            let visible = try r.readUInt8("visible") != 0
            message = .set(position: position, visible: visible, cursor: try Cursor.read(&r))
        case ID.move:
            r.message = "MOVE"
            message = .move(try SpicePoint16.read(&r, "position"))
        case ID.hide:
            r.message = "HIDE"
            message = .hide
        case ID.trail:
            r.message = "TRAIL"
            let length = try r.readUInt16LE("length")
            message = .trail(length: length, frequency: try r.readUInt16LE("frequency"))
        case ID.invalOne:
            r.message = "INVAL_ONE"
            message = .invalOne(try r.readUInt64LE("id"))
        case ID.invalAll:
            r.message = "INVAL_ALL"
            message = .invalAll
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body.
    public func encode() -> [UInt8] {
        var w = WireWriter(capacity: 32)
        switch self {
        case .`init`(let position, let length, let frequency, let visible, let cursor):
            position.write(&w)
            w.writeUInt16LE(length)
            w.writeUInt16LE(frequency)
            w.writeUInt8(visible ? 1 : 0)
            cursor.write(&w)
        case .set(let position, let visible, let cursor):
            position.write(&w)
            w.writeUInt8(visible ? 1 : 0)
            cursor.write(&w)
        case .move(let position):
            position.write(&w)
        case .trail(let length, let frequency):
            w.writeUInt16LE(length)
            w.writeUInt16LE(frequency)
        case .invalOne(let id):
            w.writeUInt64LE(id)
        case .reset, .hide, .invalAll:
            break
        }
        return w.bytes
    }
}
