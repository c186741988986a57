/// Counters for one channel, for `--stats` and for tests that prove traffic flowed.
public struct ChannelStatistics: Equatable, Sendable {
    public var bytesReceived: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var messagesSent: UInt64 = 0
    public var acksSent: UInt64 = 0
    public var pongsSent: UInt64 = 0
    /// Received messages by type id.
    public var messagesByType: [UInt16: UInt64] = [:]

    public init() {}
}
