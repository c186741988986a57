/// Reads little-endian fields from one complete message body.
///
/// The reader works on a body that has already been framed, so running out of bytes means the
/// message is malformed: every read throws a `SpiceWireError` naming the channel, the message and the
/// field. Offsets ("pointers" in spice.proto) are relative to the start of the body and are followed
/// with `reader(atOffset:field:)`, which checks them against the body first.
public struct WireReader: Sendable {
    @usableFromInline let storage: [UInt8]
    /// Index in `storage` of the body's first byte: offsets in the message are relative to it.
    @usableFromInline let bodyStart: Int
    /// Index in `storage` one past the body's last byte.
    @usableFromInline let bodyEnd: Int
    /// Index in `storage` of the next byte to read.
    @usableFromInline var index: Int
    /// The channel the message arrived on, for error messages.
    public let channel: StaticString
    /// The message being read, for error messages.
    public var message: StaticString

    /// A reader over all of `bytes`, which hold one message body.
    public init(_ bytes: [UInt8], channel: StaticString, message: StaticString) {
        self.init(bytes, range: 0..<bytes.count, channel: channel, message: message)
    }

    /// A reader over `range` of `bytes`; offsets in the message are relative to `range.lowerBound`.
    public init(_ bytes: [UInt8], range: Range<Int>, channel: StaticString, message: StaticString) {
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range outside the bytes")
        self.storage = bytes
        self.bodyStart = range.lowerBound
        self.bodyEnd = range.upperBound
        self.index = range.lowerBound
        self.channel = channel
        self.message = message
    }

    /// Bytes left to read.
    @inlinable public var remaining: Int { self.bodyEnd - self.index }

    /// The body's size in bytes.
    @inlinable public var bodySize: Int { self.bodyEnd - self.bodyStart }

    /// The current position, relative to the start of the body.
    @inlinable public var offset: Int { self.index - self.bodyStart }

    // MARK: - Errors

    /// Builds an error that names this reader's channel and message.
    @inline(never)
    public func error(_ code: SpiceWireError.Code, _ field: StaticString, _ detail: String) -> SpiceWireError {
        SpiceWireError(code, channel: "\(self.channel)", message: "\(self.message)", field: "\(field)", detail: detail)
    }

    @inlinable
    mutating func take(_ count: Int, _ field: StaticString) throws(SpiceWireError) -> Int {
        guard count <= self.remaining else {
            throw self.error(.truncated, field, "message ends before the field (\(count) bytes needed, \(self.remaining) left)")
        }
        let at = self.index
        self.index += count
        return at
    }

    @inlinable
    func load<T: FixedWidthInteger>(at position: Int, as: T.Type) -> T {
        self.storage.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: position, as: T.self)) }
    }

    // MARK: - Little-endian scalars

    @inlinable public mutating func readUInt8(_ field: StaticString) throws(SpiceWireError) -> UInt8 {
        self.storage[try self.take(1, field)]
    }

    @inlinable public mutating func readUInt16LE(_ field: StaticString) throws(SpiceWireError) -> UInt16 {
        self.load(at: try self.take(2, field), as: UInt16.self)
    }

    @inlinable public mutating func readUInt32LE(_ field: StaticString) throws(SpiceWireError) -> UInt32 {
        self.load(at: try self.take(4, field), as: UInt32.self)
    }

    @inlinable public mutating func readUInt64LE(_ field: StaticString) throws(SpiceWireError) -> UInt64 {
        self.load(at: try self.take(8, field), as: UInt64.self)
    }

    @inlinable public mutating func readInt16LE(_ field: StaticString) throws(SpiceWireError) -> Int16 {
        self.load(at: try self.take(2, field), as: Int16.self)
    }

    @inlinable public mutating func readInt32LE(_ field: StaticString) throws(SpiceWireError) -> Int32 {
        self.load(at: try self.take(4, field), as: Int32.self)
    }

    @inlinable public mutating func readInt64LE(_ field: StaticString) throws(SpiceWireError) -> Int64 {
        self.load(at: try self.take(8, field), as: Int64.self)
    }

    // MARK: - Byte runs

    /// Reads `count` bytes, which must be within the body and within `limit`.
    public mutating func readBytes(_ count: Int, limit: Int, _ field: StaticString) throws(SpiceWireError) -> [UInt8] {
        guard count <= limit else {
            throw self.error(.overLimit, field, "length \(count) is over the limit of \(limit)")
        }
        let at = try self.take(count, field)
        return Array(self.storage[at..<(at + count)])
    }

    /// Reads every byte left in the body (a trailing `data[]` field), which must be within `limit`.
    public mutating func readRest(limit: Int, _ field: StaticString) throws(SpiceWireError) -> [UInt8] {
        try self.readBytes(self.remaining, limit: limit, field)
    }

    /// Checks that a count read from the wire is within its named limit before anything is sized by it.
    public func check(_ value: some BinaryInteger, limit: Int, _ field: StaticString) throws(SpiceWireError) -> Int {
        guard value >= 0, value <= limit else {
            throw self.error(.overLimit, field, "value \(value) is over the limit of \(limit)")
        }
        return Int(value)
    }

    // MARK: - Offsets and the end of the message

    /// A reader positioned at `offset` bytes from the start of this body, for a spice.proto pointer.
    public func reader(atOffset offset: UInt32, _ field: StaticString) throws(SpiceWireError) -> WireReader {
        guard Int(offset) <= self.bodySize else {
            throw self.error(.badOffset, field, "offset \(offset) is past the end of the \(self.bodySize)-byte body")
        }
        var copy = self
        copy.index = self.bodyStart + Int(offset)
        return copy
    }

    /// Reads the `count` bytes a spice.proto pointer refers to; a zero offset with a zero count means absent.
    public func bytes(atOffset offset: UInt32, count: Int, limit: Int, _ field: StaticString) throws(SpiceWireError) -> [UInt8] {
        if offset == 0 && count == 0 { return [] }
        var target = try self.reader(atOffset: offset, field)
        return try target.readBytes(count, limit: limit, field)
    }

    /// Throws unless every byte of the body has been read: a message must be read to its end.
    public func expectEnd() throws(SpiceWireError) {
        guard self.remaining == 0 else {
            throw self.error(.trailingBytes, "end", "\(self.remaining) bytes left after the last field")
        }
    }
}
