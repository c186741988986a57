#if canImport(Glibc)
import Glibc
#elseif canImport(Android)
import Android
#endif

/// A non-blocking TCP socket, closed with the value.
///
/// Options follow what a remote-desktop client needs: `TCP_NODELAY` (input and small draws must not
/// wait for Nagle), and keep-alive so a dead peer is noticed within about a minute.
final class TCPSocket {
    private(set) var fd: Int32

    /// Resolves `host` and starts a non-blocking connect to the first address that accepts one.
    /// Returns with the connection in progress; completion shows as writability in `poll`.
    init(host: String, port: UInt16) throws(SpiceClientError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw SpiceClientError(.resolve, "cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            cursor = entry.pointee.ai_next
            let fd = socket(entry.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                lastError = errno
                continue
            }
            Self.setOptions(fd)
            if connect(fd, entry.pointee.ai_addr, entry.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                self.fd = fd
                return
            }
            lastError = errno
            closeDescriptor(fd)
        }
        throw SpiceClientError(.socket, "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    private static func setOptions(_ fd: Int32) {
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
        // Probe after 30 s idle, every 15 s, give up after 3 misses: like spice-gtk and remote-viewer.
        var idle: Int32 = 30, interval: Int32 = 15, count: Int32 = 3
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, socklen_t(MemoryLayout<Int32>.size))
    }

    /// The result of the non-blocking connect, once `poll` reports the socket writable: nil on
    /// success, else the error text.
    func connectResult() -> String? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else {
            return String(cString: strerror(errno))
        }
        return error == 0 ? nil : String(cString: strerror(error))
    }

    enum ReadResult {
        case bytes(Int)
        case wouldBlock
        case closed
        case failed(String)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        while true {
            let n = recv(self.fd, buffer.baseAddress, buffer.count, 0)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: return .failed(String(cString: strerror(errno)))
            }
        }
    }

    /// Writes what the kernel takes now; returns the count, or an error text.
    func write(_ buffer: UnsafeRawBufferPointer) -> Result<Int, SpiceClientError> {
        while true {
            // MSG_NOSIGNAL: a peer that went away must give an error, not kill the app with SIGPIPE.
            let n = send(self.fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .success(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .success(0)
            default: return .failure(SpiceClientError(.socket, String(cString: strerror(errno))))
            }
        }
    }

    func close() {
        guard self.fd >= 0 else { return }
        closeDescriptor(self.fd)
        self.fd = -1
    }

    deinit { self.close() }
}

/// A pipe that wakes the poll loop from another thread.
final class WakePipe: Sendable {
    let readFD: Int32
    let writeFD: Int32

    init() throws(SpiceClientError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw SpiceClientError(.socket, "cannot create the wake pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        self.readFD = fds[0]
        self.writeFD = fds[1]
    }

    /// Safe from any thread: one byte is enough to make `poll` return.
    func wake() {
        var byte: UInt8 = 1
        _ = writeDescriptor(self.writeFD, &byte, 1)
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while readDescriptor(self.readFD, &buffer, buffer.count) > 0 {}
    }

    deinit {
        closeDescriptor(self.readFD)
        closeDescriptor(self.writeFD)
    }
}

/// Monotonic time in milliseconds: the session's clock.
func monotonicMilliseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
}

// File-scope wrappers: inside the classes above, `close`, `read` and `write` name their own methods.
private func closeDescriptor(_ fd: Int32) { _ = close(fd) }
private func writeDescriptor(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
private func readDescriptor(_ fd: Int32, _ bytes: UnsafeMutableRawPointer, _ count: Int) -> Int { read(fd, bytes, count) }
