#if canImport(Glibc)
import Glibc
#elseif canImport(Android)
import Android
#endif
import SpiceSession
import SpiceWire

/// A SPICE client: the session state machine driven over real sockets by one poll loop.
///
/// The application owns the thread: it calls `poll(timeoutMilliseconds:)` in a loop, which does all
/// network I/O and returns what happened. `wake()` and `inputs` (an `InputSender`, which is `Sendable`)
/// may be used from any other thread; everything else belongs to the polling thread.
public final class SpiceClient {
    /// Where to connect and how.
    public struct Configuration: Sendable {
        public var host: String
        public var port: UInt16
        public var session: Session.Configuration

        public init(host: String, port: UInt16, session: Session.Configuration = .init()) {
            self.host = host
            self.port = port
            self.session = session
        }
    }

    /// The largest read from one socket at a time.
    static let readChunk = 64 * 1024
    /// Reads per channel per `poll`, so one busy channel cannot starve the others.
    static let readsPerPoll = 16

    public let configuration: Configuration
    /// The protocol state: channel states, statistics, server info. Read it on the polling thread.
    public let session: Session
    private var connections: [ChannelID: Connection] = [:]
    private let wakePipe: WakePipe
    private var events: [SessionEvent] = []
    private var readBuffer: UnsafeMutableRawBufferPointer
    /// Queues inputs from any thread and wakes `poll`, which sends them (InputQueue.swift).
    public let inputs: InputSender

    public init(configuration: Configuration, encryptor: any TicketEncryptor = OpenSSLTicketEncryptor()) throws(SpiceClientError) {
        guard configuration.session.password.bytes.count <= Limits.maxPasswordLength else {
            throw SpiceClientError(.invalidConfiguration, "the password is longer than the \(Limits.maxPasswordLength) bytes SPICE allows")
        }
        guard !configuration.host.isEmpty else {
            throw SpiceClientError(.invalidConfiguration, "no host given")
        }
        self.configuration = configuration
        self.session = Session(configuration: configuration.session, encryptor: encryptor)
        self.wakePipe = try WakePipe()
        self.inputs = InputSender(wakePipe: self.wakePipe)
        self.readBuffer = .allocate(byteCount: Self.readChunk, alignment: 16)
    }

    deinit {
        // Threads that still hold `inputs` are told the session is gone from now on.
        self.inputs.close()
        for connection in self.connections.values { connection.socket.close() }
        self.readBuffer.deallocate()
    }

    /// True until the session has ended (main channel closed, or `disconnect()`).
    public var isRunning: Bool { !self.session.ended }

    private var started = false

    /// Starts connecting the main channel. Events follow from `poll`. Calling it again, or after
    /// `disconnect()`, does nothing.
    public func start() {
        guard !self.started, !self.session.ended else { return }
        self.started = true
        self.perform(self.session.start(now: monotonicMilliseconds()))
    }

    /// Makes a `poll` blocked on another thread return. Safe from any thread.
    public func wake() { self.wakePipe.wake() }

    /// Waits up to `timeoutMilliseconds` (-1: forever) for network activity, handles it, and returns
    /// the events it produced.
    public func poll(timeoutMilliseconds: Int32) -> [SessionEvent] {
        self.drainInputs()
        var ids: [ChannelID] = []
        var fds: [pollfd] = [pollfd(fd: self.wakePipe.readFD, events: Int16(POLLIN), revents: 0)]
        for (id, connection) in self.connections {
            var events: Int16 = 0
            if connection.connecting {
                events |= Int16(POLLOUT)
            } else {
                if self.session.wantsInput(id) { events |= Int16(POLLIN) }
                if connection.hasOutput { events |= Int16(POLLOUT) }
            }
            ids.append(id)
            fds.append(pollfd(fd: connection.socket.fd, events: events, revents: 0))
        }
        // Nothing to wait for once every connection is gone: return what is pending at once. After the
        // session has ended nothing can ever arrive, so a poll never blocks then either.
        var timeout = self.connections.isEmpty && (!self.events.isEmpty || self.session.ended) ? 0 : timeoutMilliseconds
        // A link deadline must fire on time even when the caller polls with a long (or infinite) timeout.
        if let deadline = self.session.nextDeadline() {
            let now = monotonicMilliseconds()
            let untilDeadline = deadline > now ? Int32(clamping: deadline - now) : 0
            timeout = timeout < 0 ? untilDeadline : min(timeout, untilDeadline)
        }
        let ready = fds.withUnsafeMutableBufferPointer { Glibc.poll($0.baseAddress, nfds_t($0.count), timeout) }
        if ready > 0 {
            if fds[0].revents != 0 { self.wakePipe.drain() }
            for (index, id) in ids.enumerated() {
                let revents = fds[index + 1].revents
                if revents != 0 { self.service(id, revents: revents) }
            }
        }
        self.drainInputs()
        self.perform(self.session.tick(now: monotonicMilliseconds()))
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    /// Closes the session politely: `DISCONNECTING` on each channel, then the sockets.
    public func disconnect() {
        // Queued inputs go out first, in order; the session then releases whatever is still held.
        self.drainInputs()
        self.perform(self.session.disconnect(now: monotonicMilliseconds()))
    }

    // MARK: - Driving the session

    private func service(_ id: ChannelID, revents: Int16) {
        guard let connection = self.connections[id] else { return }
        let now = monotonicMilliseconds()
        if connection.connecting {
            if let failure = connection.socket.connectResult() {
                self.perform(self.session.connectionClosed(id, detail: "cannot connect to \(self.configuration.host):\(self.configuration.port): \(failure)", now: now))
                return
            }
            guard revents & Int16(POLLOUT) != 0 else { return }
            connection.connecting = false
            self.perform(self.session.connected(id, now: now))
            return
        }
        if revents & Int16(POLLOUT) != 0 {
            if case .failure(let error) = connection.flush() {
                self.perform(self.session.connectionClosed(id, detail: "write failed: \(error.detail)", now: now))
                return
            }
        }
        guard revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { return }
        for _ in 0..<Self.readsPerPoll {
            guard self.connections[id] != nil, self.session.wantsInput(id) || revents & Int16(POLLIN) == 0 else { return }
            switch connection.socket.read(into: self.readBuffer) {
            case .bytes(let count):
                self.perform(self.session.received(id, UnsafeRawBufferPointer(rebasing: self.readBuffer[0..<count]), now: monotonicMilliseconds()))
            case .wouldBlock:
                return
            case .closed:
                self.perform(self.session.connectionClosed(id, detail: "connection closed by the server", now: monotonicMilliseconds()))
                return
            case .failed(let text):
                self.perform(self.session.connectionClosed(id, detail: "connection broken: \(text)", now: monotonicMilliseconds()))
                return
            }
        }
    }

    func perform(_ actions: [SessionAction]) {
        for action in actions {
            switch action {
            case .connect(let id):
                do throws(SpiceClientError) {
                    let socket = try TCPSocket(host: self.configuration.host, port: self.configuration.port)
                    self.connections[id] = Connection(socket: socket)
                } catch {
                    self.perform(self.session.connectionClosed(id, detail: error.detail, now: monotonicMilliseconds()))
                }
            case .send(let id, let bytes):
                guard let connection = self.connections[id] else { continue }
                connection.enqueue(bytes)
                if !connection.connecting, case .failure(let error) = connection.flush() {
                    self.perform(self.session.connectionClosed(id, detail: "write failed: \(error.detail)", now: monotonicMilliseconds()))
                }
            case .close(let id):
                guard let connection = self.connections.removeValue(forKey: id) else { continue }
                // Best effort: what is queued (a DISCONNECTING) goes out if the kernel takes it now.
                if !connection.connecting { _ = connection.flush() }
                connection.socket.close()
            case .event(let event):
                self.events.append(event)
            }
        }
    }
}

/// One channel's socket and its queue of bytes not yet written.
final class Connection {
    let socket: TCPSocket
    var connecting = true
    private var output: [UInt8] = []
    private var written = 0

    init(socket: TCPSocket) { self.socket = socket }

    var hasOutput: Bool { self.written < self.output.count }

    func enqueue(_ bytes: [UInt8]) {
        if self.written == self.output.count {
            self.output.removeAll(keepingCapacity: true)
            self.written = 0
        }
        self.output.append(contentsOf: bytes)
    }

    /// Writes what the kernel takes now.
    func flush() -> Result<Void, SpiceClientError> {
        while self.hasOutput {
            let result = self.output.withUnsafeBytes { raw in
                self.socket.write(UnsafeRawBufferPointer(rebasing: raw[self.written...]))
            }
            switch result {
            case .success(0): return .success(())
            case .success(let count): self.written += count
            case .failure(let error): return .failure(error)
            }
        }
        self.output.removeAll(keepingCapacity: true)
        self.written = 0
        return .success(())
    }
}
