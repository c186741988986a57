/// The only file that imports OpenSSL for TLS (libssl); the ticket encryptor is in OpenSSL+Bridge.swift.
internal import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Android)
import Android
#endif

/// What the server's certificate is checked against, like spice-gtk and remote-viewer.
///
/// Exactly one identity check applies: a pinned public key (which replaces the CA chain and the name
/// checks, so it also accepts a self-signed certificate), else the host subject (which replaces the
/// hostname check), else the hostname against the certificate's subjectAltName (DNS or IP; its CN
/// only when it has no DNS name).
struct TLSVerification: Sendable {
    /// PEM file of trusted CAs; nil: the system store.
    var caFile: String?
    var hostSubject: HostSubject?
    /// SHA-256 of the server's DER SubjectPublicKeyInfo.
    var pinnedPublicKey: [UInt8]?
}

/// One `SSL_CTX`, shared by every TLS channel of a client: TLS 1.2 or later, the trusted CAs loaded once.
final class TLSContext {
    let pointer: OpaquePointer
    let verification: TLSVerification
    /// The host subject with attribute names in OpenSSL's short form (`commonName` → `CN`).
    private let expectedSubject: [HostSubject.Entry]?

    init(_ verification: TLSVerification) throws(SpiceClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw SpiceClientError(.crypto, "cannot create a TLS context: \(openSSLErrorText())")
        }
        self.pointer = context
        self.verification = verification
        // SSL_CTX_set_min_proto_version is a macro over SSL_CTX_ctrl.
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_2_VERSION), nil) == 1 else {
            throw SpiceClientError(.crypto, "cannot require TLS 1.2: \(openSSLErrorText())")
        }
        if let pin = verification.pinnedPublicKey, pin.count != 32 {
            throw SpiceClientError(.invalidConfiguration, "the pinned public key must be a 32-byte SHA-256 digest, not \(pin.count) bytes")
        }
        if let file = verification.caFile {
            guard SSL_CTX_load_verify_locations(context, file, nil) == 1 else {
                throw SpiceClientError(.invalidConfiguration, "cannot load the CA file \(file): \(openSSLErrorText())")
            }
        } else if SSL_CTX_set_default_verify_paths(context) != 1 {
            throw SpiceClientError(.crypto, "cannot load the system CA store: \(openSSLErrorText())")
        }
        // A pinned key is checked after the handshake and replaces the chain check.
        SSL_CTX_set_verify(context, verification.pinnedPublicKey == nil ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nil)
        if let subject = verification.hostSubject {
            var normalized: [HostSubject.Entry] = []
            for entry in subject.entries {
                let nid = OBJ_txt2nid(entry.key)
                guard nid != NID_undef, let short = OBJ_nid2sn(nid) else {
                    ERR_clear_error()
                    throw SpiceClientError(.invalidConfiguration, "unknown attribute '\(entry.key)' in the host subject (use C, ST, L, O, OU, CN, …)")
                }
                normalized.append(HostSubject.Entry(key: String(cString: short), value: entry.value))
            }
            self.expectedSubject = normalized
        } else {
            self.expectedSubject = nil
        }
    }

    deinit { SSL_CTX_free(self.pointer) }

    /// Checks what the handshake cannot: the host subject or the pinned key. Nil when the certificate is accepted.
    func checkPeer(_ ssl: OpaquePointer) -> String? {
        guard let certificate = SSL_get1_peer_certificate(ssl) else { return "the server sent no certificate" }
        defer { X509_free(certificate) }
        if let pin = self.verification.pinnedPublicKey {
            guard let actual = Self.publicKeyDigest(certificate) else { return "cannot read the server's public key: \(openSSLErrorText())" }
            guard actual == pin else {
                return "public key mismatch: expected sha256:\(hex(pin)) got sha256:\(hex(actual))"
            }
            return nil
        }
        if let expected = self.expectedSubject {
            let actual = Self.subjectEntries(certificate)
            guard Self.sameEntries(expected, actual) else {
                return "host subject mismatch: expected \(HostSubject(entries: expected)) got \(HostSubject(entries: actual))"
            }
        }
        return nil
    }

    /// The certificate subject's attributes in order, with short names and UTF-8 values.
    static func subjectEntries(_ certificate: OpaquePointer) -> [HostSubject.Entry] {
        guard let name = X509_get_subject_name(certificate) else { return [] }
        var entries: [HostSubject.Entry] = []
        let count = X509_NAME_entry_count(name)
        // A certificate subject has a handful of entries; a huge count is not worth reading.
        for index in 0..<min(count, 64) {
            guard let entry = X509_NAME_get_entry(name, index), let object = X509_NAME_ENTRY_get_object(entry),
                  let data = X509_NAME_ENTRY_get_data(entry) else { continue }
            let nid = OBJ_obj2nid(object)
            let key = nid != NID_undef ? OBJ_nid2sn(nid).map { String(cString: $0) } ?? "?" : "?"
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            var value = ""
            if length >= 0, let utf8 {
                value = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
                CRYPTO_free(utf8, nil, 0)
            }
            entries.append(HostSubject.Entry(key: key, value: value))
        }
        return entries
    }

    /// Equal as multisets of (attribute, value): the order of the RDNs does not matter.
    static func sameEntries(_ a: [HostSubject.Entry], _ b: [HostSubject.Entry]) -> Bool {
        guard a.count == b.count else { return false }
        var rest = b
        for entry in a {
            guard let index = rest.firstIndex(of: entry) else { return false }
            rest.remove(at: index)
        }
        return true
    }

    /// SHA-256 of the certificate's DER SubjectPublicKeyInfo.
    static func publicKeyDigest(_ certificate: OpaquePointer) -> [UInt8]? {
        guard let key = X509_get0_pubkey(certificate) else { return nil }
        let length = i2d_PUBKEY(key, nil)
        guard length > 0, length < 1 << 20 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(key, &cursor)
        }
        guard written == length else { return nil }
        return sha256(der)
    }
}

/// SHA-256 with OpenSSL.
func sha256(_ bytes: [UInt8]) -> [UInt8]? {
    var digest = [UInt8](repeating: 0, count: 32)
    var size: UInt32 = 0
    let ok = bytes.withUnsafeBytes { input in
        digest.withUnsafeMutableBufferPointer { EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &size, EVP_sha256(), nil) }
    }
    return ok == 1 && size == 32 ? digest : nil
}

/// The SHA-256 of the DER SubjectPublicKeyInfo in the first certificate of a PEM file: what
/// `SpiceClient.Configuration.pinnedPublicKey` expects (`openssl x509 -pubkey -noout | openssl pkey
/// -pubin -outform der | sha256sum` gives the same).
public func publicKeyPin(ofCertificatePEMFile path: String) throws(SpiceClientError) -> [UInt8] {
    guard let file = fopen(path, "r") else {
        throw SpiceClientError(.invalidConfiguration, "cannot open \(path): \(String(cString: strerror(errno)))")
    }
    defer { fclose(file) }
    guard let certificate = PEM_read_X509(file, nil, nil, nil) else {
        throw SpiceClientError(.invalidConfiguration, "\(path) holds no PEM certificate: \(openSSLErrorText())")
    }
    defer { X509_free(certificate) }
    guard let digest = TLSContext.publicKeyDigest(certificate) else {
        throw SpiceClientError(.crypto, "cannot hash the public key of \(path): \(openSSLErrorText())")
    }
    return digest
}

private func hex(_ bytes: [UInt8]) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    var text = ""
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return text
}

/// TLS over one non-blocking channel socket, through memory BIOs: OpenSSL never touches the socket,
/// so every write goes through `TCPSocket.write` (MSG_NOSIGNAL: a closed peer is an error, never a
/// SIGPIPE) and every readiness question is answered by the caller's one `poll`.
///
/// Ciphertext OpenSSL produced and the kernel has not taken yet waits in `cipherOut`; plaintext is
/// fed to `SSL_write` only once that queue is empty, so at most one chunk of it is ever held here.
final class TLSStream {
    private let ssl: OpaquePointer
    private let readBIO: OpaquePointer
    private let writeBIO: OpaquePointer
    private let context: TLSContext
    private let socket: TCPSocket
    private var cipherOut: [UInt8] = []
    private var cipherWritten = 0
    private var scratch = [UInt8](repeating: 0, count: 16 * 1024 + 512)
    /// Plaintext handed to `SSL_write` at once: a few TLS records.
    static let writeChunk = 64 * 1024
    /// Set when a TLS close_notify arrived: reads report the close.
    private var peerClosed = false

    enum Handshake {
        case done
        case inProgress
        case failed(String)
    }

    init(context: TLSContext, socket: TCPSocket, host: String) throws(SpiceClientError) {
        guard let ssl = SSL_new(context.pointer) else {
            throw SpiceClientError(.crypto, "cannot create a TLS connection: \(openSSLErrorText())")
        }
        guard let readBIO = BIO_new(BIO_s_mem()), let writeBIO = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw SpiceClientError(.crypto, "cannot create TLS buffers: \(openSSLErrorText())")
        }
        // An empty read buffer means "wait for more" (WANT_READ), not end of stream.
        BIO_ctrl(readBIO, BIO_C_SET_BUF_MEM_EOF_RETURN, -1, nil)
        SSL_set_bio(ssl, readBIO, writeBIO)  // the SSL owns both BIOs from here
        self.ssl = ssl
        self.readBIO = readBIO
        self.writeBIO = writeBIO
        self.context = context
        self.socket = socket
        SSL_set_connect_state(ssl)
        let verification = context.verification
        let isAddress = Self.isIPAddress(host)
        if !isAddress {
            // SNI carries host names only (RFC 6066), never address literals.
            // OpenSSL copies the name.
            _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        }
        if verification.pinnedPublicKey == nil && verification.hostSubject == nil {
            let ok = isAddress ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) : SSL_set1_host(ssl, host)
            guard ok == 1 else {
                SSL_free(ssl)
                throw SpiceClientError(.crypto, "cannot set the host name to verify (\(host)): \(openSSLErrorText())")
            }
        }
    }

    deinit { SSL_free(self.ssl) }

    static func isIPAddress(_ host: String) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(AF_INET, host, &buffer) == 1 || inet_pton(AF_INET6, host, &buffer) == 1
    }

    var hasPendingOutput: Bool { self.cipherWritten < self.cipherOut.count }

    /// Plaintext or ciphertext already read from the socket and not yet handed out: `poll` will not
    /// report it, so the caller must read again without waiting.
    var hasBufferedInput: Bool { SSL_pending(self.ssl) > 0 || BIO_ctrl_pending(self.readBIO) > 0 }

    /// Advances the handshake as far as the socket allows; verifies the peer when it completes.
    func handshake() -> Handshake {
        while true {
            ERR_clear_error()
            let rc = SSL_do_handshake(self.ssl)
            let error = rc == 1 ? SSL_ERROR_NONE : SSL_get_error(self.ssl, rc)
            if case .failure(let failure) = self.flushCipher() { return .failed("TLS handshake: write failed: \(failure.detail)") }
            switch error {
            case SSL_ERROR_NONE:
                if let problem = self.context.checkPeer(self.ssl) { return .failed(problem) }
                return .done
            case SSL_ERROR_WANT_READ:
                switch self.pullCipher() {
                case .bytes: continue
                case .wouldBlock: return .inProgress
                case .closed: return .failed(self.failureText(default: "the server closed the connection during the TLS handshake"))
                case .failed(let text): return .failed("TLS handshake: read failed: \(text)")
                }
            case SSL_ERROR_WANT_WRITE:
                return .inProgress
            default:
                return .failed(self.failureText(default: "TLS handshake failed"))
            }
        }
    }

    /// Why the handshake failed: the certificate verdict when there is one, else OpenSSL's error.
    private func failureText(default text: String) -> String {
        let verdict = SSL_get_verify_result(self.ssl)
        if verdict != X509_V_OK {
            var reason = String(cString: X509_verify_cert_error_string(verdict))
            if verdict == X509_V_ERR_HOSTNAME_MISMATCH || verdict == X509_V_ERR_IP_ADDRESS_MISMATCH {
                reason += " (the certificate does not name the host connected to)"
            }
            ERR_clear_error()
            return "certificate verify failed: \(reason)"
        }
        let code = ERR_peek_error()
        return code == 0 ? text : "\(text): \(openSSLErrorText())"
    }

    /// Decrypted bytes into `buffer`, reading the socket when OpenSSL needs more.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> TCPSocket.ReadResult {
        if self.peerClosed { return .closed }
        while true {
            ERR_clear_error()
            let count = Int32(clamping: buffer.count)
            let n = SSL_read(self.ssl, buffer.baseAddress, count)
            if n > 0 {
                // A read can produce protocol output (a KeyUpdate answer); send it along.
                if case .failure(let failure) = self.flushCipher() { return .failed(failure.detail) }
                return .bytes(Int(n))
            }
            let error = SSL_get_error(self.ssl, n)
            if case .failure(let failure) = self.flushCipher() { return .failed(failure.detail) }
            switch error {
            case SSL_ERROR_WANT_READ:
                switch self.pullCipher() {
                case .bytes: continue
                case .wouldBlock: return .wouldBlock
                case .closed: return .closed
                case .failed(let text): return .failed(text)
                }
            case SSL_ERROR_WANT_WRITE:
                return .wouldBlock
            case SSL_ERROR_ZERO_RETURN:
                self.peerClosed = true
                return .closed
            default:
                return .failed("TLS: \(openSSLErrorText())")
            }
        }
    }

    /// Encrypts up to `writeChunk` bytes of `buffer` once earlier ciphertext has gone out; returns
    /// how many plaintext bytes were taken (0: try again when the socket is writable).
    func write(_ buffer: UnsafeRawBufferPointer) -> Result<Int, SpiceClientError> {
        if case .failure(let failure) = self.flushCipher() { return .failure(failure) }
        guard !self.hasPendingOutput, !buffer.isEmpty else { return .success(0) }
        ERR_clear_error()
        let count = min(buffer.count, Self.writeChunk)
        let n = SSL_write(self.ssl, buffer.baseAddress, Int32(count))
        guard n > 0 else {
            let error = SSL_get_error(self.ssl, n)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return .success(0) }
            return .failure(SpiceClientError(.socket, "TLS write failed: \(openSSLErrorText())"))
        }
        if case .failure(let failure) = self.flushCipher() { return .failure(failure) }
        return .success(Int(n))
    }

    /// Sends a close_notify if the socket takes it now (best effort, never waits).
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(self.ssl)
        _ = self.flushCipher()
    }

    /// One socket read into OpenSSL's input buffer.
    private func pullCipher() -> TCPSocket.ReadResult {
        let result = self.scratch.withUnsafeMutableBytes { self.socket.read(into: $0) }
        if case .bytes(let count) = result {
            let written = self.scratch.withUnsafeBytes { BIO_write(self.readBIO, $0.baseAddress, Int32(count)) }
            guard written == Int32(count) else { return .failed("cannot buffer TLS input: \(openSSLErrorText())") }
        }
        return result
    }

    /// Moves OpenSSL's output into `cipherOut` and writes what the socket takes now.
    private func flushCipher() -> Result<Void, SpiceClientError> {
        while BIO_ctrl_pending(self.writeBIO) > 0 {
            if self.cipherWritten == self.cipherOut.count {
                self.cipherOut.removeAll(keepingCapacity: true)
                self.cipherWritten = 0
            }
            let n = self.scratch.withUnsafeMutableBytes { BIO_read(self.writeBIO, $0.baseAddress, Int32($0.count)) }
            guard n > 0 else { break }
            self.cipherOut.append(contentsOf: self.scratch[0..<Int(n)])
        }
        while self.hasPendingOutput {
            let result = self.cipherOut.withUnsafeBytes { raw in
                self.socket.write(UnsafeRawBufferPointer(rebasing: raw[self.cipherWritten...]))
            }
            switch result {
            case .success(0): return .success(())
            case .success(let count): self.cipherWritten += count
            case .failure(let error): return .failure(error)
            }
        }
        self.cipherOut.removeAll(keepingCapacity: true)
        self.cipherWritten = 0
        return .success(())
    }
}
