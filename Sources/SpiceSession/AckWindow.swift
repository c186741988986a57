/// The client's half of SPICE flow control (`SET_ACK` / `ACK`).
///
/// The server stops sending on a channel once the client falls a window behind, so the client must
/// send an `ACK` every `window` messages it receives; a client that only answers `SET_ACK` stalls
/// after the first frames.
public struct AckWindow: Sendable, Equatable {
    /// Messages per `ACK`; 0 until the server sends `SET_ACK`.
    public private(set) var window: UInt32 = 0
    /// Messages still to receive before the next `ACK`.
    public private(set) var remaining: UInt32 = 0

    public init() {}

    /// Applies `SET_ACK`.
    public mutating func set(window: UInt32) {
        self.window = window
        self.remaining = window
    }

    /// Counts one received top-level message; returns true when an `ACK` is due now.
    public mutating func messageReceived() -> Bool {
        guard self.window > 0 else { return false }
        self.remaining -= 1
        guard self.remaining == 0 else { return false }
        self.remaining = self.window
        return true
    }
}
