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
    ///
    /// TLS (like remote-viewer): a channel goes over the TLS port when `secureChannels` names it,
    /// when the server answers its plain link with `NEED_SECURED`, or always when `port` is 0 (TLS
    /// only). The certificate is checked against `caFile` (or the system store) and the host name,
    /// or `hostSubject` instead of the host name, or only `pinnedPublicKey` when one is given. The
    /// password ticket of a TLS channel travels inside TLS.
    public struct Configuration: Sendable {
        public var host: String
        /// The plain port; 0 for none (TLS only).
        public var port: UInt16
        /// The TLS port, or nil when the server has none.
        public var tlsPort: UInt16?
        /// PEM file of the CAs to trust for the TLS port; nil: the system store.
        public var caFile: String?
        /// The certificate subject to expect (virt-viewer syntax, `O=…,CN=…`); replaces the hostname check.
        public var hostSubject: HostSubject?
        /// SHA-256 of the server's DER SubjectPublicKeyInfo (`publicKeyPin(ofCertificatePEMFile:)`);
        /// replaces the CA and name checks.
        public var pinnedPublicKey: [UInt8]?
        /// Channels opened on the TLS port from the start.
        public var secureChannels: SecureChannels
        public var session: Session.Configuration

        public init(host: String, port: UInt16, tlsPort: UInt16? = nil, caFile: String? = nil, hostSubject: HostSubject? = nil,
                    pinnedPublicKey: [UInt8]? = nil, secureChannels: SecureChannels = .none, session: Session.Configuration = .init()) {
            self.host = host
            self.port = port
            self.tlsPort = tlsPort
            self.caFile = caFile
            self.hostSubject = hostSubject
            self.pinnedPublicKey = pinnedPublicKey
            self.secureChannels = secureChannels
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
    /// The shared TLS settings, when a TLS port is configured.
    private let tlsContext: TLSContext?
    private let wakePipe: WakePipe
    private var events: [SessionEvent] = []
    private var readBuffer: UnsafeMutableRawBufferPointer
    /// Queues inputs from any thread and wakes `poll`, which sends them (InputQueue.swift).
    public let inputs: InputSender
    /// Playback audio to pull and captured audio to push, from any thread (AudioPort.swift).
    public var audio: AudioPort { AudioPort(session: self.session, wakePipe: self.wakePipe) }

    public init(configuration: Configuration, encryptor: any TicketEncryptor = OpenSSLTicketEncryptor()) throws(SpiceClientError) {
        guard configuration.session.password.bytes.count <= Limits.maxPasswordLength else {
            throw SpiceClientError(.invalidConfiguration, "the password is longer than the \(Limits.maxPasswordLength) bytes SPICE allows")
        }
        guard !configuration.host.isEmpty else {
            throw SpiceClientError(.invalidConfiguration, "no host given")
        }
        guard configuration.port != 0 || configuration.tlsPort != nil else {
            throw SpiceClientError(.invalidConfiguration, "no port given: a plain port, a TLS port, or both")
        }
        guard configuration.tlsPort != 0 else {
            throw SpiceClientError(.invalidConfiguration, "the TLS port must be 1-65535")
        }
        if configuration.secureChannels != .none && configuration.tlsPort == nil {
            throw SpiceClientError(.invalidConfiguration, "secure channels (\(configuration.secureChannels)) need a TLS port")
        }
        if configuration.tlsPort != nil {
            self.tlsContext = try TLSContext(TLSVerification(
                caFile: configuration.caFile, hostSubject: configuration.hostSubject, pinnedPublicKey: configuration.pinnedPublicKey))
        } else {
            self.tlsContext = nil
        }
        self.configuration = configuration
        var sessionConfiguration = configuration.session
        // Without a TLS port a NEED_SECURED refusal is final (the link error names it).
        sessionConfiguration.reopensSecuredChannels = configuration.tlsPort != nil
        self.session = Session(configuration: sessionConfiguration, encryptor: encryptor)
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
            } else if connection.handshaking {
                events |= Int16(POLLIN)
                if connection.hasOutput { events |= Int16(POLLOUT) }
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
        // Bytes TLS has already taken off a socket do not make it readable again: serve them now.
        let buffered = self.tlsContext == nil ? [:] : self.connections.filter { !$0.value.connecting && !$0.value.handshaking && $0.value.tls?.hasBufferedInput == true && self.session.wantsInput($0.key) }
        if !buffered.isEmpty { timeout = 0 }
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
                var revents = fds[index + 1].revents
                if buffered[id] != nil { revents |= Int16(POLLIN) }
                if revents != 0 { self.service(id, revents: revents) }
            }
        } else if ready == 0 {
            for id in buffered.keys { self.service(id, revents: Int16(POLLIN)) }
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
                self.perform(self.session.connectionClosed(id, detail: "cannot connect to \(self.configuration.host):\(connection.port): \(failure)", now: now))
                return
            }
            guard revents & Int16(POLLOUT) != 0 else { return }
            connection.connecting = false
            if connection.tls == nil {
                self.perform(self.session.connected(id, now: now))
                return
            }
            connection.handshaking = true
        }
        if connection.handshaking, let tls = connection.tls {
            switch tls.handshake() {
            case .inProgress:
                return
            case .failed(let reason):
                self.perform(self.session.connectionClosed(id, detail: "TLS to \(self.configuration.host):\(connection.port): \(reason)", now: monotonicMilliseconds()))
                return
            case .done:
                connection.handshaking = false
                connection.handshakeMilliseconds = monotonicMilliseconds() &- connection.openedAt
                self.perform(self.session.connected(id, now: monotonicMilliseconds()))
                return
            }
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
            switch connection.read(into: self.readBuffer) {
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
                    self.connections[id] = try self.open(id)
                } catch {
                    self.perform(self.session.connectionClosed(id, detail: error.detail, now: monotonicMilliseconds()))
                }
            case .send(let id, let bytes):
                guard let connection = self.connections[id] else { continue }
                connection.enqueue(bytes)
                if !connection.connecting && !connection.handshaking, case .failure(let error) = connection.flush() {
                    self.perform(self.session.connectionClosed(id, detail: "write failed: \(error.detail)", now: monotonicMilliseconds()))
                }
            case .close(let id):
                guard let connection = self.connections.removeValue(forKey: id) else { continue }
                // Best effort: what is queued (a DISCONNECTING) goes out if the kernel takes it now.
                if !connection.connecting && !connection.handshaking {
                    _ = connection.flush()
                    connection.tls?.shutdown()
                }
                connection.socket.close()
            case .event(let event):
                self.events.append(event)
            }
        }
    }
}

extension SpiceClient {
    /// Whether `channel` goes over TLS: a TLS-only configuration, a secure channel by configuration,
    /// or a channel the server asked to be secured (`NEED_SECURED`).
    public func usesTLS(_ channel: ChannelID) -> Bool {
        guard self.configuration.tlsPort != nil else { return false }
        return self.configuration.port == 0 || self.configuration.secureChannels.contains(channel.type)
            || self.session.wantsSecureConnection(channel)
    }

    /// Whether the connection of `channel` is open over TLS and past its handshake.
    public func isSecure(_ channel: ChannelID) -> Bool {
        guard let connection = self.connections[channel], connection.tls != nil else { return false }
        return !connection.connecting && !connection.handshaking
    }

    /// How long the TLS handshake of `channel` took, from the connect call to the verified peer.
    public func tlsHandshakeMilliseconds(_ channel: ChannelID) -> UInt64? { self.connections[channel]?.handshakeMilliseconds }

    /// Opens the connection for `channel` on the port its security calls for.
    fileprivate func open(_ channel: ChannelID) throws(SpiceClientError) -> Connection {
        guard self.usesTLS(channel) else {
            if self.session.wantsSecureConnection(channel) {
                throw SpiceClientError(.invalidConfiguration, "the server requires TLS for the \(channel.type) channel (NEED_SECURED), and no TLS port is configured")
            }
            let socket = try TCPSocket(host: self.configuration.host, port: self.configuration.port)
            return Connection(socket: socket, port: self.configuration.port, tls: nil)
        }
        guard let port = self.configuration.tlsPort, let context = self.tlsContext else {
            throw SpiceClientError(.invalidConfiguration, "no TLS port configured")
        }
        let socket = try TCPSocket(host: self.configuration.host, port: port)
        let tls = try TLSStream(context: context, socket: socket, host: self.configuration.host)
        return Connection(socket: socket, port: port, tls: tls)
    }
}

/// One channel's socket (with its TLS layer, if any) and its queue of bytes not yet written.
final class Connection {
    let socket: TCPSocket
    let port: UInt16
    let tls: TLSStream?
    var connecting = true
    /// TCP is up and the TLS handshake is under way.
    var handshaking = false
    let openedAt = monotonicMilliseconds()
    var handshakeMilliseconds: UInt64?
    private var output: [UInt8] = []
    private var written = 0

    init(socket: TCPSocket, port: UInt16, tls: TLSStream?) {
        self.socket = socket
        self.port = port
        self.tls = tls
    }

    var hasOutput: Bool { self.written < self.output.count || self.tls?.hasPendingOutput == true }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> TCPSocket.ReadResult {
        if let tls = self.tls { return tls.read(into: buffer) }
        return self.socket.read(into: buffer)
    }

    func enqueue(_ bytes: [UInt8]) {
        if self.written == self.output.count {
            self.output.removeAll(keepingCapacity: true)
            self.written = 0
        }
        self.output.append(contentsOf: bytes)
    }

    /// Writes what the kernel takes now.
    func flush() -> Result<Void, SpiceClientError> {
        // With TLS, ciphertext left from an earlier write goes first, even with no plaintext queued.
        if self.written == self.output.count, let tls = self.tls, tls.hasPendingOutput {
            return tls.write(UnsafeRawBufferPointer(start: nil, count: 0)).map { _ in () }
        }
        while self.written < self.output.count {
            let result = self.output.withUnsafeBytes { raw in
                let rest = UnsafeRawBufferPointer(rebasing: raw[self.written...])
                return self.tls.map { $0.write(rest) } ?? self.socket.write(rest)
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
