/// Test support: a scripted SPICE server on 127.0.0.1 for fault injection.
///
/// Each test hands `FakeSpiceServer.run` a script that runs on a background thread and speaks the link
/// handshake with SpiceWire's encoders (a link reply carrying a real RSA-1024 key, so the client's
/// ticket is decrypted and checked), then writes whatever data-phase bytes the test wants, broken or not.
/// Every blocking step has a deadline and watches a cancel flag, so no script can outlive its test.
import Foundation
import SpiceWire
#if canImport(Glibc)
import Glibc
#endif

/// Why a script step failed: the client did something other than the script expected, or too late.
struct FakeServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A value written by the server thread and read by the test thread.
final class Captured<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value?

    init() {}

    var value: Value? {
        get { self.lock.withLock { self.stored } }
        set { self.lock.withLock { self.stored = newValue } }
    }
}

/// A listening socket on 127.0.0.1 (port chosen by the kernel) and the script that serves it.
final class FakeSpiceServer: @unchecked Sendable {
    /// How long any one step (accept, read, write) may wait for the client.
    static let stepTimeout: TimeInterval = 5

    /// What a cooperative spice-server offers: ticket authentication with mechanism selection, mini headers.
    static let standardCommonCaps = CapabilitySet([
        CommonCapability.protocolAuthSelection, CommonCapability.authSpice, CommonCapability.miniHeader,
    ])

    let port: UInt16
    /// The key whose public half goes into every link reply.
    let key: RSAKeyPair
    let publicKey: [UInt8]

    private let lock = NSLock()
    private var listenFD: Int32
    private var cancelled = false
    private var failure: String?
    private let finished = DispatchSemaphore(value: 0)
    private var running = false

    init(key: RSAKeyPair? = nil) throws {
        self.key = try key ?? RSAKeyPair()
        self.publicKey = try self.key.publicKeyDER()
        (self.listenFD, self.port) = try makeLoopbackSocket(listening: true)
    }

    deinit {
        if self.listenFD >= 0 { _ = Glibc.close(self.listenFD) }
    }

    var isCancelled: Bool { self.lock.withLock { self.cancelled } }

    /// True once the script has returned (or thrown).
    var hasFinished: Bool { self.lock.withLock { self.finishedFlag } }
    private var finishedFlag = false

    /// Starts `script` on its own thread. The listening socket closes when the script returns.
    func run(_ script: @escaping @Sendable (FakeSpiceServer) throws -> Void) {
        self.lock.withLock { self.running = true }
        let thread = Thread { [self] in
            do {
                try script(self)
            } catch {
                self.lock.withLock { self.failure = "\(error)" }
            }
            self.lock.withLock {
                if self.listenFD >= 0 { _ = Glibc.close(self.listenFD) }
                self.listenFD = -1
                self.finishedFlag = true
            }
            self.finished.signal()
        }
        thread.name = "FakeSpiceServer:\(self.port)"
        thread.start()
    }

    /// Waits for the script to return on its own; returns why it failed, or nil if it ran to its end.
    ///
    /// A script still running after `timeout` is cancelled and reported as a failure.
    func waitForScript(timeout: TimeInterval = FakeSpiceServer.stepTimeout) -> String? {
        guard self.lock.withLock({ self.running }) else { return "the script was never started" }
        if self.finished.wait(timeout: .now() + timeout) == .timedOut {
            self.stop()
            return "the script did not finish within \(timeout) s"
        }
        self.finished.signal()
        return self.lock.withLock { self.failure }
    }

    /// Cancels the script and waits for its thread to notice (each step checks every 20 ms).
    func stop() {
        self.lock.withLock { self.cancelled = true }
        guard self.lock.withLock({ self.running }) else { return }
        if self.finished.wait(timeout: .now() + 2) == .success { self.finished.signal() }
    }

    /// Accepts the client's next connection (one per channel).
    func accept() throws -> FakeConnection {
        let fd = self.lock.withLock { self.listenFD }
        try waitFor(fd: fd, events: Int16(POLLIN), server: self, what: "a connection from the client")
        let connection = Glibc.accept(fd, nil, nil)
        guard connection >= 0 else { throw FakeServerError("accept failed: \(String(cString: strerror(errno)))") }
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        return FakeConnection(fd: connection, server: self)
    }
}

/// One accepted connection: the server's half of one channel.
final class FakeConnection {
    private(set) var fd: Int32
    private unowned let server: FakeSpiceServer
    /// Bytes received but not consumed yet.
    private var pending: [UInt8] = []
    /// The common capabilities of the last link reply sent, which decide the rest of the handshake.
    private(set) var offeredCommonCaps = CapabilitySet()
    private var encoder = MessageEncoder(kind: .full)
    /// How data-phase messages are framed, decided by the link reply.
    private(set) var headerKind: HeaderKind = .full

    init(fd: Int32, server: FakeSpiceServer) {
        self.fd = fd
        self.server = server
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        // A client that stops reading must fail a large write, not block the script for ever.
        var timeout = timeval(tv_sec: Int(FakeSpiceServer.stepTimeout), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { self.close() }

    func close() {
        guard self.fd >= 0 else { return }
        _ = Glibc.close(self.fd)
        self.fd = -1
    }

    // MARK: - Raw bytes

    /// Reads more bytes into `pending`; returns false at end of stream.
    private func receiveMore(_ what: String) throws -> Bool {
        try waitFor(fd: self.fd, events: Int16(POLLIN), server: self.server, what: what)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                self.pending.append(contentsOf: chunk[0..<count])
                return true
            }
            if count == 0 { return false }
            if errno == EINTR { continue }
            throw FakeServerError("reading \(what) failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Reads exactly `count` bytes; end of stream before that is a failure.
    func readExactly(_ count: Int, _ what: String) throws -> [UInt8] {
        while self.pending.count < count {
            guard try self.receiveMore(what) else {
                throw FakeServerError("the client closed the connection before \(what) (\(self.pending.count) of \(count) bytes)")
            }
        }
        let bytes = Array(self.pending.prefix(count))
        self.pending.removeFirst(count)
        return bytes
    }

    /// Reads until the client closes the connection; returns what it sent first.
    func readUntilEOF() throws -> [UInt8] {
        while try self.receiveMore("the end of the stream") {}
        defer { self.pending = [] }
        return self.pending
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(self.fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FakeServerError("write failed after \(offset) of \(bytes.count) bytes: \(String(cString: strerror(errno)))")
            }
            offset += count
            if self.server.isCancelled { throw FakeServerError("cancelled while writing") }
        }
    }

    /// Writes `bytes` one at a time with a short pause between them, so the client sees every split.
    func sendOneByteAtATime(_ bytes: [UInt8]) throws {
        for byte in bytes {
            try self.send([byte])
            usleep(500)
        }
    }

    // MARK: - Link handshake

    /// Reads `LinkHeader` + `SpiceLinkMess`.
    func readLinkMess() throws -> LinkMess {
        guard let header = try LinkHeader.parse(try self.readExactly(LinkHeader.size, "the link header")) else {
            throw FakeServerError("short link header")
        }
        return try LinkMess(body: try self.readExactly(Int(header.size), "SpiceLinkMess"))
    }

    /// The bytes of a link reply; `publicKey` nil means the server's real key.
    func linkReplyBytes(_ error: LinkError = .ok, commonCaps: CapabilitySet = FakeSpiceServer.standardCommonCaps,
                        channelCaps: CapabilitySet = CapabilitySet(), publicKey: [UInt8]? = nil) -> [UInt8] {
        self.offeredCommonCaps = commonCaps
        self.headerKind = commonCaps.contains(CommonCapability.miniHeader) ? .mini : .full
        self.encoder = MessageEncoder(kind: self.headerKind)
        return LinkReply(error: error, publicKey: publicKey ?? self.server.publicKey,
                         commonCaps: commonCaps, channelCaps: channelCaps).encodeWithHeader()
    }

    func sendLinkReply(_ error: LinkError = .ok, commonCaps: CapabilitySet = FakeSpiceServer.standardCommonCaps,
                       channelCaps: CapabilitySet = CapabilitySet()) throws {
        try self.send(self.linkReplyBytes(error, commonCaps: commonCaps, channelCaps: channelCaps))
    }

    /// What the client authenticated with.
    struct Authentication {
        /// The mechanism word, or nil when the reply did not offer `PROTOCOL_AUTH_SELECTION`.
        var mechanism: UInt32?
        /// The decrypted ticket: the password and its NUL.
        var ticket: [UInt8]
    }

    /// Reads the mechanism (when the reply offered selection) and the encrypted ticket, and decrypts it.
    func readAuthentication() throws -> Authentication {
        var mechanism: UInt32?
        if self.offeredCommonCaps.contains(CommonCapability.protocolAuthSelection) {
            mechanism = try LinkAuthMechanism.parse(try self.readExactly(LinkAuthMechanism.size, "the auth mechanism"))?.mechanism
        }
        let encrypted = try self.readExactly(Limits.encryptedTicketSize, "the encrypted ticket")
        return Authentication(mechanism: mechanism, ticket: try self.server.key.decryptOAEP(encrypted))
    }

    func sendLinkResult(_ error: LinkError) throws {
        try self.send(LinkResult(error: error).encode())
    }

    /// The whole successful handshake as spice-server does it.
    struct Link {
        var request: LinkMess
        var authentication: Authentication
    }

    @discardableResult
    func acceptLink(commonCaps: CapabilitySet = FakeSpiceServer.standardCommonCaps) throws -> Link {
        let request = try self.readLinkMess()
        try self.sendLinkReply(commonCaps: commonCaps)
        let authentication = try self.readAuthentication()
        try self.sendLinkResult(.ok)
        return Link(request: request, authentication: authentication)
    }

    // MARK: - Data phase

    /// The framed bytes of one message, with this connection's header kind and serials.
    func messageBytes(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        self.encoder.append(type: type, body: body, to: &bytes)
        return bytes
    }

    func sendMessage(_ type: UInt16, _ body: [UInt8]) throws {
        try self.send(self.messageBytes(type, body))
    }

    func sendMain(_ message: MainServerMessage) throws {
        try self.sendMessage(message.type, message.encode())
    }

    func sendBase(_ message: BaseServerMessage) throws {
        try self.sendMessage(message.type, message.encode())
    }

    /// Reads one client message. The header is decoded by hand here, not with the client's own framer.
    func readMessage() throws -> Frame {
        switch self.headerKind {
        case .mini:
            let header = try self.readExactly(6, "a mini header")
            let type = UInt16(header[0]) | UInt16(header[1]) << 8
            let size = header[2..<6].reversed().reduce(0) { $0 << 8 | Int($1) }
            return Frame(type: type, body: try self.readExactly(size, "a message body"))
        case .full:
            let header = try self.readExactly(18, "a full header")
            let serial = header[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let type = UInt16(header[8]) | UInt16(header[9]) << 8
            let size = header[10..<14].reversed().reduce(0) { $0 << 8 | Int($1) }
            let subList = header[14..<18].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return Frame(type: type, serial: serial, subList: subList, body: try self.readExactly(size, "a message body"))
        }
    }

    /// Reads client messages up to and including the first that `isLast` accepts.
    func readMessages(until isLast: (Frame) -> Bool) throws -> [Frame] {
        var frames: [Frame] = []
        while true {
            let frame = try self.readMessage()
            frames.append(frame)
            if isLast(frame) { return frames }
        }
    }
}

/// Waits in 20 ms slices until `fd` is ready for `events`, the server is cancelled, or the step times out.
private func waitFor(fd: Int32, events: Int16, server: FakeSpiceServer, what: String) throws {
    guard fd >= 0 else { throw FakeServerError("no socket while waiting for \(what)") }
    let deadline = Date().addingTimeInterval(FakeSpiceServer.stepTimeout)
    while true {
        if server.isCancelled { throw FakeServerError("cancelled while waiting for \(what)") }
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let ready = Glibc.poll(&entry, 1, 20)
        if ready > 0 { return }
        if ready < 0 && errno != EINTR { throw FakeServerError("poll failed: \(String(cString: strerror(errno)))") }
        if Date() > deadline { throw FakeServerError("timed out after \(FakeSpiceServer.stepTimeout) s waiting for \(what)") }
    }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picks; listening, or only bound (to reserve a
/// port number that is then known to be closed once the socket is).
func makeLoopbackSocket(listening: Bool) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw FakeServerError("socket failed: \(String(cString: strerror(errno)))") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
        }
    }
    guard bound, !listening || listen(fd, 8) == 0 else {
        let text = String(cString: strerror(errno))
        _ = Glibc.close(fd)
        throw FakeServerError("cannot bind or listen on 127.0.0.1: \(text)")
    }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A port on 127.0.0.1 that nothing listens on: bound once by the kernel's choice, then closed.
func closedLoopbackPort() throws -> UInt16 {
    let (fd, port) = try makeLoopbackSocket(listening: false)
    _ = Glibc.close(fd)
    return port
}
