/// Data-phase framing (spice-protocol `protocol.h`: `SpiceDataHeader`, `SpiceMiniDataHeader`,
/// `SpiceSubMessageList`, `SpiceSubMessage`).

/// Which header frames the messages of a linked channel.
public enum HeaderKind: Sendable, Equatable {
    /// `SpiceDataHeader`: `u64 serial; u16 type; u32 size; u32 sub_list` (18 bytes).
    case full
    /// `SpiceMiniDataHeader`: `u16 type; u32 size` (6 bytes), used when the server has `MINI_HEADER`.
    case mini

    /// The header's size in bytes.
    public var size: Int {
        switch self {
        case .full: 18
        case .mini: 6
        }
    }
}

/// One framed message: its type, its body, and (full header only) its serial and sub-message list.
public struct Frame: Equatable, Sendable {
    public var type: UInt16
    /// The sender's serial with the full header; the receiver's own count with the mini header.
    public var serial: UInt64
    /// Offset in `body` of a `SpiceSubMessageList`, or 0 for none (always 0 with the mini header).
    public var subList: UInt32
    public var body: [UInt8]

    public init(type: UInt16, serial: UInt64 = 0, subList: UInt32 = 0, body: [UInt8]) {
        self.type = type
        self.serial = serial
        self.subList = subList
        self.body = body
    }
}

/// Splits a channel's byte stream into frames.
///
/// Bytes may arrive in pieces of any size. The body of each message is copied once, into an array
/// allocated at its exact size after the header's `size` has been checked against
/// `Limits.maxMessageBodySize`, and handed over whole.
public struct MessageFramer: Sendable {
    public let kind: HeaderKind
    private let channel: StaticString
    private var header: [UInt8] = []
    private var pending: (type: UInt16, serial: UInt64, subList: UInt32, size: Int)?
    private var body: [UInt8] = []
    /// Messages received so far: the serial of the next message with the mini header.
    public private(set) var received: UInt64 = 0

    public init(kind: HeaderKind, channel: StaticString) {
        self.kind = kind
        self.channel = channel
        self.header.reserveCapacity(kind.size)
    }

    /// The most a header makes the framer reserve before the body's bytes arrive.
    static let initialBodyReservation = 256 * 1024

    /// Bytes held that do not yet form a whole message (a parsed header counts, its body pending).
    public var bufferedBytes: Int { self.header.count + self.body.count + (self.pending == nil ? 0 : self.kind.size) }

    /// True when the stream ended now would end on a message boundary.
    public var isAtMessageBoundary: Bool { self.bufferedBytes == 0 }

    /// The message whose header has arrived but not all of its body: its type, the body bytes received
    /// and the size the header announced (to say where a stream that ends early was cut).
    public var partialBody: (type: UInt16, received: Int, size: Int)? {
        self.pending.map { ($0.type, self.body.count, $0.size) }
    }

    /// Consumes all of `bytes`, appending every message they complete to `frames`.
    ///
    /// Throws if a header announces a body over the limit; the stream is then unusable.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into frames: inout [Frame]) throws(SpiceWireError) {
        var index = 0
        while index < bytes.count {
            if let pending = self.pending {
                let take = min(pending.size - self.body.count, bytes.count - index)
                // The whole body is reserved only once its bytes start to exceed the first reservation,
                // so a bare header cannot make the client allocate the largest body the limit allows.
                if self.body.count + take > self.body.capacity { self.body.reserveCapacity(pending.size) }
                self.body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
            } else {
                let take = min(self.kind.size - self.header.count, bytes.count - index)
                self.header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<(index + take)]))
                index += take
                guard self.header.count == self.kind.size else { continue }
                try self.parseHeader()
            }
            if let pending = self.pending, self.body.count == pending.size {
                frames.append(Frame(type: pending.type, serial: pending.serial, subList: pending.subList, body: self.body))
                self.body = []
                self.pending = nil
                self.received += 1
            }
        }
    }

    /// Convenience for tests and tools: feeds an array.
    public mutating func feed(_ bytes: [UInt8], into frames: inout [Frame]) throws(SpiceWireError) {
        // Closures cannot rethrow typed errors here, so the error is carried out by hand.
        var failure: SpiceWireError?
        bytes.withUnsafeBytes { raw in
            do throws(SpiceWireError) { try self.feed(raw, into: &frames) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private mutating func parseHeader() throws(SpiceWireError) {
        var reader = WireReader(self.header, channel: self.channel, message: "DataHeader")
        let serial: UInt64
        let type: UInt16
        let size: UInt32
        var subList: UInt32 = 0
        switch self.kind {
        case .full:
            serial = try reader.readUInt64LE("serial")
            type = try reader.readUInt16LE("type")
            size = try reader.readUInt32LE("size")
            subList = try reader.readUInt32LE("sub_list")
            if subList != 0 && subList >= size {
                throw reader.error(.badOffset, "sub_list", "sub-message list offset \(subList) is past the \(size)-byte body")
            }
        case .mini:
            serial = self.received + 1
            type = try reader.readUInt16LE("type")
            size = try reader.readUInt32LE("size")
        }
        let checked = try reader.check(size, limit: Limits.maxMessageBodySize, "size")
        self.header.removeAll(keepingCapacity: true)
        self.pending = (type, serial, subList, checked)
        self.body = []
        self.body.reserveCapacity(min(checked, Self.initialBodyReservation))
    }
}

/// Frames outgoing messages for one channel and numbers them.
public struct MessageEncoder: Sendable {
    public let kind: HeaderKind
    /// Serial of the last message sent (full header only).
    public private(set) var serial: UInt64 = 0

    public init(kind: HeaderKind) { self.kind = kind }

    /// Appends the header and body of one message to `output`.
    public mutating func append(type: UInt16, body: [UInt8], to output: inout [UInt8]) {
        var writer = WireWriter(capacity: self.kind.size)
        switch self.kind {
        case .full:
            self.serial += 1
            writer.writeUInt64LE(self.serial)
            writer.writeUInt16LE(type)
            writer.writeUInt32LE(UInt32(body.count))
            writer.writeUInt32LE(0)
        case .mini:
            writer.writeUInt16LE(type)
            writer.writeUInt32LE(UInt32(body.count))
        }
        output.append(contentsOf: writer.bytes)
        output.append(contentsOf: body)
    }
}

/// `SpiceSubMessageList` and its `SpiceSubMessage`s: messages carried inside another message's body.
public enum SubMessageList {
    /// One sub-message: its type and where its body lies in the enclosing body.
    public struct Entry: Equatable, Sendable {
        public var type: UInt16
        public var range: Range<Int>
    }

    /// Reads the list at `listOffset` in `body` and checks every entry against the body.
    ///
    /// The list is either a header's `sub_list` or the whole body of `SPICE_MSG_LIST` (offset 0).
    /// spice-server writes the sub-messages of a `sub_list` before the list itself, LIST bodies after
    /// it; either way a sub-message must lie inside the body and must not overlap the list.
    public static func parse(_ body: [UInt8], listOffset: UInt32, channel: StaticString) throws(SpiceWireError) -> [Entry] {
        let body = WireReader(body, channel: channel, message: "SubMessageList")
        var list = try body.reader(atOffset: listOffset, "sub_list")
        let count = try list.check(try list.readUInt16LE("size"), limit: Limits.maxSubMessages, "size")
        let listEnd = Int(listOffset) + 2 + 4 * count
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let offset = try list.readUInt32LE("sub_messages")
            var sub = try body.reader(atOffset: offset, "sub_messages")
            let type = try sub.readUInt16LE("type")
            let size = try sub.readUInt32LE("size")
            guard Int(size) <= sub.remaining else {
                throw sub.error(.badOffset, "size", "sub-message of \(size) bytes at offset \(offset) runs past the body")
            }
            let start = sub.offset
            let range = start..<(start + Int(size))
            let whole = Int(offset)..<range.upperBound
            guard whole.upperBound <= Int(listOffset) || whole.lowerBound >= listEnd else {
                throw sub.error(.badOffset, "sub_messages", "sub-message at offset \(offset) overlaps the list at \(listOffset)")
            }
            entries.append(Entry(type: type, range: range))
        }
        return entries
    }

    /// Where the enclosing message's own fields end when its header has a `sub_list`: before the
    /// list and before every sub-message.
    public static func enclosingEnd(listOffset: UInt32, entries: [Entry]) -> Int {
        entries.reduce(Int(listOffset)) { min($0, $1.range.lowerBound - 6) }
    }

    /// Builds a body holding `main` followed by a list of `subMessages`; returns it and the list offset.
    public static func encode(main: [UInt8], subMessages: [(type: UInt16, body: [UInt8])]) -> (body: [UInt8], subList: UInt32) {
        var writer = WireWriter()
        writer.writeBytes(main)
        let listOffset = writer.count
        writer.writeUInt16LE(UInt16(subMessages.count))
        var offset = listOffset + 2 + 4 * subMessages.count
        for sub in subMessages {
            writer.writeUInt32LE(UInt32(offset))
            offset += 6 + sub.body.count
        }
        for sub in subMessages {
            writer.writeUInt16LE(sub.type)
            writer.writeUInt32LE(UInt32(sub.body.count))
            writer.writeBytes(sub.body)
        }
        return (writer.bytes, UInt32(listOffset))
    }
}
