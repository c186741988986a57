import SpiceWire

/// What the server told us when a channel linked.
public struct LinkInfo: Equatable, Sendable {
    public var majorVersion: UInt32
    public var minorVersion: UInt32
    public var commonCaps: CapabilitySet
    public var channelCaps: CapabilitySet
    public var headerKind: HeaderKind

    public init(majorVersion: UInt32, minorVersion: UInt32, commonCaps: CapabilitySet, channelCaps: CapabilitySet, headerKind: HeaderKind) {
        self.majorVersion = majorVersion
        self.minorVersion = minorVersion
        self.commonCaps = commonCaps
        self.channelCaps = channelCaps
        self.headerKind = headerKind
    }
}

/// The link handshake of one channel connection (spice-protocol `protocol.h`, §1.1–1.6 of the notes):
/// request, reply, authentication mechanism, password ticket, result.
///
/// Bytes go in and come out; the link consumes exactly the handshake's bytes, so whatever follows the
/// result in the same read belongs to the data phase.
public struct LinkStateMachine {
    public enum State: Equatable, Sendable {
        /// Waiting for the 16-byte `LinkHeader` of the reply.
        case awaitingReplyHeader
        /// Waiting for `size` bytes of `SpiceLinkReply`.
        case awaitingReply(header: LinkHeader)
        /// The ticket is sent; waiting for the 4-byte link result.
        case awaitingResult(LinkInfo)
        case linked(LinkInfo)
        case failed
    }

    /// What one call to `feed` produced.
    public struct Progress {
        /// Bytes of the input the handshake used; the rest belong to the data phase.
        public var consumed: Int
        /// Bytes to send to the server, in order.
        public var output: [UInt8]
    }

    public private(set) var state: State = .awaitingReplyHeader
    public let request: LinkMess
    private let password: Password
    private var buffer: [UInt8] = []

    public init(request: LinkMess, password: Password) {
        self.request = request
        self.password = password
    }

    /// The bytes that open the handshake: `LinkHeader` + `SpiceLinkMess` + capabilities.
    public func start() -> [UInt8] { self.request.encodeWithHeader() }

    /// Consumes handshake bytes from `bytes`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, encryptor: any TicketEncryptor) throws(SessionError) -> Progress {
        var progress = Progress(consumed: 0, output: [])
        let channel = self.request.channel
        do {
            loop: while true {
                switch self.state {
                case .awaitingReplyHeader:
                    guard self.fill(to: LinkHeader.size, from: bytes, &progress.consumed) else { break loop }
                    guard let header = try LinkHeader.parse(self.buffer) else { break loop }
                    self.buffer.removeAll(keepingCapacity: true)
                    guard Int(header.size) >= LinkReply.fixedSize else {
                        throw SpiceWireError(.truncated, channel: "link", message: "SpiceLinkReply", field: "size",
                                             detail: "reply of \(header.size) bytes is shorter than the \(LinkReply.fixedSize)-byte fixed part")
                    }
                    self.state = .awaitingReply(header: header)
                case .awaitingReply(let header):
                    guard self.fill(to: Int(header.size), from: bytes, &progress.consumed) else { break loop }
                    // A refusal is read before the rest: spice-server sends it with every other field
                    // zero (caps_offset 0 included), which is not a valid reply otherwise.
                    let refusal = LinkError(rawValue: UInt32(self.buffer[0]) | UInt32(self.buffer[1]) << 8 | UInt32(self.buffer[2]) << 16 | UInt32(self.buffer[3]) << 24)
                    guard refusal == .ok else {
                        self.state = .failed
                        throw SessionError(.linkRefused(refusal), channel: channel, detail: "link refused: \(refusal)")
                    }
                    let reply = try LinkReply(body: self.buffer)
                    self.buffer.removeAll(keepingCapacity: true)
                    guard reply.error == .ok else {
                        self.state = .failed
                        throw SessionError(.linkRefused(reply.error), channel: channel, detail: "link refused: \(reply.error)")
                    }
                    let info = LinkInfo(
                        majorVersion: header.majorVersion, minorVersion: header.minorVersion,
                        commonCaps: reply.commonCaps, channelCaps: reply.channelCaps,
                        headerKind: reply.commonCaps.contains(CommonCapability.miniHeader) ? .mini : .full)
                    progress.output += try self.authenticate(reply, encryptor: encryptor)
                    self.state = .awaitingResult(info)
                case .awaitingResult(let info):
                    guard self.fill(to: LinkResult.size, from: bytes, &progress.consumed) else { break loop }
                    guard let result = try LinkResult.parse(self.buffer) else { break loop }
                    self.buffer = []
                    guard result.error == .ok else {
                        self.state = .failed
                        let detail = result.error == .permissionDenied
                            ? "authentication failed: wrong password"
                            : "link refused: \(result.error)"
                        throw SessionError(.linkRefused(result.error), channel: channel, detail: detail)
                    }
                    self.state = .linked(info)
                    break loop
                case .linked, .failed:
                    break loop
                }
            }
        } catch let error as SessionError {
            self.state = .failed
            throw error
        } catch let error as SpiceWireError {
            self.state = .failed
            throw SessionError(error, channel: channel)
        } catch {
            preconditionFailure("the link parsers throw only SessionError and SpiceWireError: \(error)")
        }
        return progress
    }

    /// Copies bytes into the buffer until it holds `count`; returns whether it does.
    private mutating func fill(to count: Int, from bytes: UnsafeRawBufferPointer, _ consumed: inout Int) -> Bool {
        let take = min(count - self.buffer.count, bytes.count - consumed)
        if take > 0 {
            self.buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[consumed..<(consumed + take)]))
            consumed += take
        }
        return self.buffer.count == count
    }

    /// Chooses the mechanism and builds the encrypted ticket.
    private mutating func authenticate(_ reply: LinkReply, encryptor: any TicketEncryptor) throws(SessionError) -> [UInt8] {
        let channel = self.request.channel
        var output: [UInt8] = []
        // Servers without PROTOCOL_AUTH_SELECTION expect the bare ticket; the others expect the
        // mechanism first. This client implements the SPICE ticket only, not SASL.
        if reply.commonCaps.contains(CommonCapability.protocolAuthSelection) {
            guard reply.commonCaps.contains(CommonCapability.authSpice) else {
                self.state = .failed
                throw SessionError(.unsupportedAuthentication, channel: channel,
                                   detail: "the server requires SASL authentication, which this client does not support")
            }
            output += LinkAuthMechanism(mechanism: CommonCapability.authSpice).encode()
        }
        guard self.password.bytes.count <= Limits.maxPasswordLength else {
            self.state = .failed
            throw SessionError(.badPassword, channel: channel,
                               detail: "the password is longer than the \(Limits.maxPasswordLength) bytes SPICE allows")
        }
        let ticket: [UInt8]
        do {
            ticket = try encryptor.encryptTicket(self.password.ticket, publicKey: reply.publicKey)
        } catch {
            self.state = .failed
            throw SessionError(.ticketEncryption, channel: channel, detail: "cannot encrypt the password ticket: \(error)")
        }
        guard ticket.count == Limits.encryptedTicketSize else {
            self.state = .failed
            throw SessionError(.ticketEncryption, channel: channel,
                               detail: "the encrypted ticket is \(ticket.count) bytes, not \(Limits.encryptedTicketSize)")
        }
        return output + ticket
    }
}
