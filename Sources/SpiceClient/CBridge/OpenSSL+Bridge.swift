/// The only file that imports OpenSSL (libcrypto, libssl).
internal import COpenSSL
import SpiceSession
import SpiceWire

/// Encrypts the SPICE password ticket with OpenSSL: RSA-OAEP, SHA-1 digest and MGF1, empty label,
/// as spice-server expects (`RSA_PKCS1_OAEP_PADDING` leaves the OAEP digest at its SHA-1 default).
///
/// The corresponding C functions are `d2i_PUBKEY`, `EVP_PKEY_encrypt_init`,
/// `EVP_PKEY_CTX_set_rsa_padding` and `EVP_PKEY_encrypt`.
public struct OpenSSLTicketEncryptor: TicketEncryptor {
    public init() {}

    public func encryptTicket(_ ticket: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        let key = try PublicKey(der: publicKey)
        guard let context = EVP_PKEY_CTX_new(key.pointer, nil) else {
            throw SpiceClientError(.crypto, "cannot create an encryption context: \(openSSLErrorText())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_encrypt_init(context) == 1 else {
            throw SpiceClientError(.crypto, "the server's key cannot encrypt: \(openSSLErrorText())")
        }
        guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING) == 1 else {
            throw SpiceClientError(.crypto, "the server's key does not take OAEP padding: \(openSSLErrorText())")
        }
        var length = 0
        var rc = ticket.withUnsafeBufferPointer { EVP_PKEY_encrypt(context, nil, &length, $0.baseAddress, $0.count) }
        guard rc == 1, length > 0, length <= 1024 else {
            throw SpiceClientError(.crypto, "cannot size the encrypted ticket: \(openSSLErrorText())")
        }
        var output = [UInt8](repeating: 0, count: length)
        rc = ticket.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { EVP_PKEY_encrypt(context, $0.baseAddress, &length, input.baseAddress, input.count) }
        }
        guard rc == 1 else {
            throw SpiceClientError(.crypto, "cannot encrypt the ticket: \(openSSLErrorText())")
        }
        return Array(output.prefix(length))
    }
}

/// An `EVP_PKEY` parsed from a DER SubjectPublicKeyInfo, freed with the value.
final class PublicKey {
    let pointer: OpaquePointer

    init(der: [UInt8]) throws {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, Int(buffer.count))
        }
        guard let parsed else {
            throw SpiceClientError(.crypto, "the server's public key is not a valid SubjectPublicKeyInfo: \(openSSLErrorText())")
        }
        self.pointer = parsed
    }

    deinit { EVP_PKEY_free(self.pointer) }
}

/// The oldest queued OpenSSL error as text, and clears the queue.
func openSSLErrorText() -> String {
    let code = ERR_get_error()
    ERR_clear_error()
    guard code != 0 else { return "no detail from OpenSSL" }
    var buffer = [CChar](repeating: 0, count: 256)
    ERR_error_string_n(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
