import SpiceWire

/// Encrypts the password ticket with the server's RSA key.
///
/// The session tier does no cryptography itself (it has no C dependencies); the I/O tier supplies an
/// OpenSSL implementation and tests supply their own.
public protocol TicketEncryptor {
    /// Returns `Limits.encryptedTicketSize` bytes: `ticket` (the password and its NUL) encrypted with
    /// RSA-OAEP (SHA-1, MGF1-SHA-1, empty label) under `publicKey`, a DER SubjectPublicKeyInfo.
    func encryptTicket(_ ticket: [UInt8], publicKey: [UInt8]) throws -> [UInt8]
}

/// A password that never prints itself.
public struct Password: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The UTF-8 bytes, without a terminator.
    public let bytes: [UInt8]

    public init(_ text: String) { self.bytes = Array(text.utf8) }

    /// The empty password, sent when the server does not check tickets.
    public static let none = Password("")

    /// What the ticket carries: the password and its NUL terminator.
    var ticket: [UInt8] { self.bytes + [0] }

    public var description: String { "<password redacted>" }
    public var debugDescription: String { "<password redacted>" }
}
