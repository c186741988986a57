import COpenSSL
import SpiceClient
import SpiceWire
import XCTest

/// Tests for `OpenSSLTicketEncryptor`: every ciphertext is decrypted here with the private half of a key
/// OpenSSL generated for the test, so a wrong padding, digest or key handling cannot pass.
final class OpenSSLTicketEncryptorTests: XCTestCase {
    /// "secret" and its NUL terminator: what the session hands the encryptor for the password "secret".
    private let ticket: [UInt8] = Array("secret".utf8) + [0]

    // MARK: - Helpers

    private func assertCryptoError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a SpiceClientError with code .crypto", file: file, line: line)
        } catch let error as SpiceClientError {
            XCTAssertEqual(error.code, .crypto, "\(error)", file: file, line: line)
            XCTAssertFalse(error.detail.isEmpty, file: file, line: line)
        } catch {
            XCTFail("expected a SpiceClientError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }

    // MARK: - Encryption

    func testGeneratedRSA1024PublicKeyIs162ByteSubjectPublicKeyInfoLikeSpice() throws {
        let der = try RSAKeyPair().publicKeyDER()
        XCTAssertEqual(der.count, Limits.ticketPublicKeySize)
        // A DER SEQUENCE with a two-byte long-form length (0x81 0x9f = 159 bytes follow).
        XCTAssertEqual(Array(der.prefix(3)), [0x30, 0x81, 0x9F])
    }

    func testTicketEncryptsTo128BytesThatDecryptWithOAEPSHA1ToTheExactTicket() throws {
        let key = try RSAKeyPair()
        let encrypted = try OpenSSLTicketEncryptor().encryptTicket(self.ticket, publicKey: try key.publicKeyDER())
        XCTAssertEqual(encrypted.count, Limits.encryptedTicketSize)
        XCTAssertEqual(try key.decryptOAEP(encrypted), self.ticket, "OpenSSL's OAEP default (SHA-1) must recover the ticket")
        XCTAssertEqual(try key.decryptOAEP(encrypted, oaepDigest: EVP_sha1()), self.ticket, "explicit SHA-1 OAEP must recover it too")
        XCTAssertThrowsError(try key.decryptOAEP(encrypted, oaepDigest: EVP_sha256()),
                             "a ciphertext made with SHA-1 OAEP must not decrypt as SHA-256 OAEP")
    }

    func testMaximumLengthPasswordTicketRoundTrips() throws {
        let key = try RSAKeyPair()
        let longest = [UInt8](repeating: UInt8(ascii: "p"), count: Limits.maxPasswordLength) + [0]
        let encrypted = try OpenSSLTicketEncryptor().encryptTicket(longest, publicKey: try key.publicKeyDER())
        XCTAssertEqual(encrypted.count, Limits.encryptedTicketSize)
        XCTAssertEqual(try key.decryptOAEP(encrypted), longest)
    }

    func testTwoEncryptionsOfTheSameTicketDifferBecauseOAEPIsRandomised() throws {
        let key = try RSAKeyPair()
        let der = try key.publicKeyDER()
        let encryptor = OpenSSLTicketEncryptor()
        let first = try encryptor.encryptTicket(self.ticket, publicKey: der)
        let second = try encryptor.encryptTicket(self.ticket, publicKey: der)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(try key.decryptOAEP(first), self.ticket)
        XCTAssertEqual(try key.decryptOAEP(second), self.ticket)
    }

    // MARK: - Rejections

    func testGarbageKeyThrowsCryptoError() {
        let garbage = (0..<Limits.ticketPublicKeySize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        self.assertCryptoError { _ = try OpenSSLTicketEncryptor().encryptTicket(self.ticket, publicKey: garbage) }
    }

    func testEmptyKeyThrowsCryptoError() {
        self.assertCryptoError { _ = try OpenSSLTicketEncryptor().encryptTicket(self.ticket, publicKey: []) }
    }

    func testTruncatedKeyThrowsCryptoError() throws {
        let der = try RSAKeyPair().publicKeyDER()
        self.assertCryptoError { _ = try OpenSSLTicketEncryptor().encryptTicket(self.ticket, publicKey: Array(der.dropLast())) }
    }

    func testKeyThatCannotEncryptThrowsCryptoError() throws {
        // A well-formed SubjectPublicKeyInfo, but Ed25519 is a signature-only algorithm.
        let der = try RSAKeyPair.ed25519().publicKeyDER()
        self.assertCryptoError { _ = try OpenSSLTicketEncryptor().encryptTicket(self.ticket, publicKey: der) }
    }

    func testTicketTooLongForOAEPUnderRSA1024ThrowsCryptoError() throws {
        // RSA-1024 with SHA-1 OAEP carries at most 128 - 2 * 20 - 2 = 86 bytes.
        let der = try RSAKeyPair().publicKeyDER()
        let tooLong = [UInt8](repeating: 0x41, count: 87)
        self.assertCryptoError { _ = try OpenSSLTicketEncryptor().encryptTicket(tooLong, publicKey: der) }
    }
}
