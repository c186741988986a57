/// Test support: an RSA key pair made with OpenSSL itself, standing in for the key spice-server puts in
/// its link reply, so the client's ticket encryption is checked by real decryption.
import COpenSSL
import SpiceWire
import XCTest

/// Why a test-side OpenSSL call failed.
struct TestOpenSSLError: Error, CustomStringConvertible {
    let description: String

    init(_ what: String) {
        let code = ERR_get_error()
        ERR_clear_error()
        var buffer = [CChar](repeating: 0, count: 256)
        if code != 0 { ERR_error_string_n(code, &buffer, buffer.count) }
        let detail = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        self.description = "\(what): \(code == 0 ? "no detail from OpenSSL" : detail)"
    }
}

/// An `EVP_PKEY` holding a private key, freed with the value.
///
/// `@unchecked Sendable`: the key is never changed after it is made, and OpenSSL 3 allows one `EVP_PKEY`
/// to be used from several threads as long as each operation has its own `EVP_PKEY_CTX`.
final class RSAKeyPair: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Generates a fresh key of `bits` bits (1024 is what SPICE uses).
    init(bits: Int32 = 1024) throws {
        self.pointer = try generateKey(type: EVP_PKEY_RSA) { context in
            EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) == 1
        }
    }

    /// Wraps a key made elsewhere in this file (another key type, for rejection tests).
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// A fresh Ed25519 key: a valid SubjectPublicKeyInfo that cannot encrypt anything.
    static func ed25519() throws -> RSAKeyPair {
        RSAKeyPair(taking: try generateKey(type: EVP_PKEY_ED25519) { _ in true })
    }

    deinit { EVP_PKEY_free(self.pointer) }

    /// The public half as a DER X.509 SubjectPublicKeyInfo (`i2d_PUBKEY`), the form of `SpiceLinkReply.pub_key`.
    func publicKeyDER() throws -> [UInt8] {
        let length = i2d_PUBKEY(self.pointer, nil)
        guard length > 0 else { throw TestOpenSSLError("i2d_PUBKEY cannot size the key") }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(self.pointer, &cursor)
        }
        guard written == length else { throw TestOpenSSLError("i2d_PUBKEY wrote \(written) bytes, not \(length)") }
        return der
    }

    /// Decrypts an RSA-OAEP ciphertext with the private key.
    ///
    /// `oaepDigest` nil leaves OpenSSL's OAEP default in place (SHA-1 for the digest and MGF1), which is
    /// what spice-server uses; a test passes another digest to prove the client did not use it.
    func decryptOAEP(_ ciphertext: [UInt8], oaepDigest: OpaquePointer? = nil) throws -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(self.pointer, nil) else { throw TestOpenSSLError("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_decrypt_init(context) == 1 else { throw TestOpenSSLError("EVP_PKEY_decrypt_init") }
        guard EVP_PKEY_CTX_set_rsa_padding(context, RSA_PKCS1_OAEP_PADDING) == 1 else {
            throw TestOpenSSLError("EVP_PKEY_CTX_set_rsa_padding")
        }
        if let oaepDigest {
            guard EVP_PKEY_CTX_set_rsa_oaep_md(context, oaepDigest) == 1 else { throw TestOpenSSLError("EVP_PKEY_CTX_set_rsa_oaep_md") }
            guard EVP_PKEY_CTX_set_rsa_mgf1_md(context, oaepDigest) == 1 else { throw TestOpenSSLError("EVP_PKEY_CTX_set_rsa_mgf1_md") }
        }
        var length = 0
        guard ciphertext.withUnsafeBufferPointer({ EVP_PKEY_decrypt(context, nil, &length, $0.baseAddress, $0.count) }) == 1 else {
            throw TestOpenSSLError("EVP_PKEY_decrypt cannot size the plaintext")
        }
        var plain = [UInt8](repeating: 0, count: length)
        let rc = ciphertext.withUnsafeBufferPointer { input in
            plain.withUnsafeMutableBufferPointer { EVP_PKEY_decrypt(context, $0.baseAddress, &length, input.baseAddress, input.count) }
        }
        guard rc == 1 else { throw TestOpenSSLError("EVP_PKEY_decrypt") }
        return Array(plain.prefix(length))
    }
}

/// Runs `EVP_PKEY_keygen` for `type`, letting `configure` set parameters on the context first.
private func generateKey(type: Int32, configure: (OpaquePointer) -> Bool) throws -> OpaquePointer {
    guard let context = EVP_PKEY_CTX_new_id(type, nil) else { throw TestOpenSSLError("EVP_PKEY_CTX_new_id(\(type))") }
    defer { EVP_PKEY_CTX_free(context) }
    guard EVP_PKEY_keygen_init(context) == 1 else { throw TestOpenSSLError("EVP_PKEY_keygen_init") }
    guard configure(context) else { throw TestOpenSSLError("configuring key generation") }
    var key: OpaquePointer?
    guard EVP_PKEY_keygen(context, &key) == 1, let key else { throw TestOpenSSLError("EVP_PKEY_keygen") }
    return key
}
