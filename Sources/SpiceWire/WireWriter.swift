/// Appends little-endian fields to a message body.
public struct WireWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    /// The number of bytes written so far: the offset the next field will have.
    @inlinable public var count: Int { self.bytes.count }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { self.bytes.append(contentsOf: $0) }
    }

    public mutating func writeUInt8(_ value: UInt8) { self.bytes.append(value) }
    public mutating func writeUInt16LE(_ value: UInt16) { self.append(value) }
    public mutating func writeUInt32LE(_ value: UInt32) { self.append(value) }
    public mutating func writeUInt64LE(_ value: UInt64) { self.append(value) }
    public mutating func writeInt16LE(_ value: Int16) { self.append(value) }
    public mutating func writeInt32LE(_ value: Int32) { self.append(value) }
    public mutating func writeInt64LE(_ value: Int64) { self.append(value) }
    public mutating func writeBytes(_ value: some Sequence<UInt8>) { self.bytes.append(contentsOf: value) }

    /// Overwrites a 32-bit field written earlier (a length or a pointer that is known only later).
    public mutating func setUInt32LE(_ value: UInt32, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for i in 0..<4 { self.bytes[offset + i] = raw[i] }
        }
    }
}
