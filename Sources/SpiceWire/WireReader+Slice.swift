/// Zero-copy byte runs for `WireReader`: compressed images, bitmaps and stream frames are handed on as
/// views of the message body instead of fresh arrays.
extension WireReader {
    /// Reads `count` bytes, which must be within the body and within `limit`, as a view of the body.
    ///
    /// The slice shares the body's storage, so nothing is copied. Its indices are positions in the array
    /// the reader was made from: use `startIndex`/`endIndex` (or `withUnsafeBytes`), never `0..<count`.
    public mutating func readSlice(_ count: Int, limit: Int, _ field: StaticString) throws(SpiceWireError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= limit else {
            throw self.error(.overLimit, field, "length \(count) is over the limit of \(limit)")
        }
        let at = try self.take(count, field)
        return self.storage[at..<(at + count)]
    }

    /// Reads every byte left in the body (a trailing `data[]` field), within `limit`, as a view of the body.
    public mutating func readRestSlice(limit: Int, _ field: StaticString) throws(SpiceWireError) -> ArraySlice<UInt8> {
        try self.readSlice(self.remaining, limit: limit, field)
    }
}
