/// The one error type of the I/O tier: a problem before or outside the protocol (configuration,
/// name resolution, sockets, cryptography). Protocol problems arrive as `SessionError`s in events.
public struct SpiceClientError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: Equatable, Sendable {
        case invalidConfiguration
        case resolve
        case socket
        case crypto
        /// `send(_:)`: the input queue is full (`InputQueueLimits`); the input was not queued.
        case inputQueueFull
        /// `send(_:)`: the session has ended; the input was not queued.
        case sessionEnded
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { self.detail }
}
