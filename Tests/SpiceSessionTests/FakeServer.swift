/// A scripted fake SPICE server for the session tests, built only from SpiceWire's own encoders and
/// parsers: it writes what a server would send (link reply, link result, framed messages) and reads
/// back everything the client sends (link request, mechanism word, ticket, framed messages).
import SpiceSession
import SpiceWire
import XCTest

// MARK: - Fixed test data

/// A 162-byte stand-in for the DER public key of a link reply; no two neighbouring bytes are equal, so
/// a shifted or truncated copy is caught.
let serverPublicKey: [UInt8] = (0..<Limits.ticketPublicKeySize).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 3) }

/// What the fake encryptor returns: 128 bytes that are not a copy of anything else in the tests.
let fakeEncryptedTicket: [UInt8] = (0..<Limits.encryptedTicketSize).map { UInt8(truncatingIfNeeded: 0xA5 ^ ($0 &* 3)) }

/// The common capabilities of a current spice-server: SPICE ticket chosen by mechanism, mini header.
let modernServerCaps = CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice, CommonCapability.miniHeader])

/// A server that offers mechanism selection but no mini header, so every message has the full header.
let fullHeaderServerCaps = CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice])

/// The `MAIN_INIT` most tests use. The server already is in client mouse mode, so no
/// `MOUSE_MODE_REQUEST` follows it.
let sampleInit = MainInit(
    sessionID: 0xC0FF_EE42, displayChannelsHint: 1,
    supportedMouseModes: UInt32(MouseMode.server | MouseMode.client), currentMouseMode: UInt32(MouseMode.client),
    agentConnected: 0, agentTokens: 10, multiMediaTime: 50_000, ramHint: 100 * 1024 * 1024)

// MARK: - Ticket encryptors

/// What a fake encryptor does when asked.
enum EncryptorBehaviour {
    case returns([UInt8])
    case fails
}

struct FakeEncryptionError: Error, CustomStringConvertible {
    var description: String { "the fake key is unusable" }
}

/// Records every ticket and key it is given, and answers as told.
final class RecordingEncryptor: TicketEncryptor {
    struct Call: Equatable {
        var ticket: [UInt8]
        var publicKey: [UInt8]
    }

    let behaviour: EncryptorBehaviour
    private(set) var calls: [Call] = []

    init(_ behaviour: EncryptorBehaviour = .returns(fakeEncryptedTicket)) {
        self.behaviour = behaviour
    }

    func encryptTicket(_ ticket: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        self.calls.append(Call(ticket: ticket, publicKey: publicKey))
        switch self.behaviour {
        case .returns(let bytes): return bytes
        case .fails: throw FakeEncryptionError()
        }
    }
}

// MARK: - What the client sent

/// One data-phase message from the client, decoded the way a server would.
enum ClientMessage: Equatable {
    case base(BaseClientMessage)
    case main(MainClientMessage)
    case display(DisplayClientMessage)
    case inputs(InputsClientMessage)
    /// A message of a channel this fake server does not decode.
    case other(type: UInt16, body: [UInt8])
}

/// A client message with the framing it came in.
struct ClientFrame: Equatable {
    var serial: UInt64
    var type: UInt16
    var bodySize: Int
    var message: ClientMessage
}

// MARK: - One channel's server end

/// The server side of one channel connection.
final class ServerChannel {
    enum Phase: Equatable {
        case linkRequest
        case mechanism
        case ticket
        case data
    }

    let id: ChannelID
    /// The common capabilities this server end puts in its link reply.
    let commonCaps: CapabilitySet
    let channelCaps: CapabilitySet
    /// Numbers what this server sends (full header) the way spice-server does: from 1.
    private var encoder: MessageEncoder

    // What the client sent, as parsed so far.
    private(set) var phase: Phase = .linkRequest
    private(set) var linkHeader: LinkHeader?
    private(set) var linkRequest: LinkMess?
    private(set) var mechanism: UInt32?
    private(set) var ticket: [UInt8]?
    private(set) var frames: [ClientFrame] = []
    private var inbound: [UInt8] = []
    private var framer: MessageFramer

    init(_ id: ChannelID, commonCaps: CapabilitySet = modernServerCaps, channelCaps: CapabilitySet = CapabilitySet()) {
        self.id = id
        self.commonCaps = commonCaps
        self.channelCaps = channelCaps
        let kind: HeaderKind = commonCaps.contains(CommonCapability.miniHeader) ? .mini : .full
        self.encoder = MessageEncoder(kind: kind)
        self.framer = MessageFramer(kind: kind, channel: "fake")
    }

    /// The header both directions use once linked: the client always offers the mini header, so the
    /// server's capabilities decide.
    var headerKind: HeaderKind { self.commonCaps.contains(CommonCapability.miniHeader) ? .mini : .full }

    /// What `Session` should report for this server end once linked.
    var expectedLinkInfo: LinkInfo {
        LinkInfo(majorVersion: LinkHeader.majorVersion, minorVersion: LinkHeader.minorVersion,
                 commonCaps: self.commonCaps, channelCaps: self.channelCaps, headerKind: self.headerKind)
    }

    // MARK: Server → client

    func linkReply(error: LinkError = .ok) -> [UInt8] {
        LinkReply(error: error, publicKey: serverPublicKey, commonCaps: self.commonCaps, channelCaps: self.channelCaps)
            .encodeWithHeader()
    }

    func linkResult(_ error: LinkError = .ok) -> [UInt8] { LinkResult(error: error).encode() }

    /// The whole server side of a successful handshake.
    func handshake() -> [UInt8] { self.linkReply() + self.linkResult() }

    /// One framed message.
    func message(type: UInt16, body: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        self.encoder.append(type: type, body: body, to: &bytes)
        return bytes
    }

    func base(_ message: BaseServerMessage) -> [UInt8] { self.message(type: message.type, body: message.encode()) }

    func main(_ message: MainServerMessage) -> [UInt8] { self.message(type: message.type, body: message.encode()) }

    func display(_ message: DisplayServerMessage) -> [UInt8] { self.message(type: message.type, body: message.encode()) }

    /// A full-header message whose header's `sub_list` points at a list of `subMessages` placed after
    /// `body`.
    func message(type: UInt16, body: [UInt8], subMessages: [BaseServerMessage]) -> [UInt8] {
        precondition(self.headerKind == .full, "only the full header has a sub_list field")
        let (whole, subList) = SubMessageList.encode(main: body, subMessages: subMessages.map { ($0.type, $0.encode()) })
        var bytes = self.message(type: type, body: whole)
        // The encoder writes sub_list = 0; the field is the header's last four bytes (offset 14).
        var field = WireWriter(capacity: 4)
        field.writeUInt32LE(subList)
        bytes.replaceSubrange(14..<18, with: field.bytes)
        return bytes
    }

    /// A full-header message laid out the way spice-server's marshaller does it: the enclosing
    /// message's own fields, then the sub-messages, then the `SpiceSubMessageList` that points back
    /// at them, with `sub_list` pointing at the list.
    func message(type: UInt16, body: [UInt8], subMessagesBeforeList subMessages: [BaseServerMessage]) -> [UInt8] {
        precondition(self.headerKind == .full, "only the full header has a sub_list field")
        var w = WireWriter()
        w.writeBytes(body)
        var offsets: [UInt32] = []
        for sub in subMessages {
            offsets.append(UInt32(w.count))
            let subBody = sub.encode()
            w.writeUInt16LE(sub.type)
            w.writeUInt32LE(UInt32(subBody.count))
            w.writeBytes(subBody)
        }
        let listOffset = UInt32(w.count)
        w.writeUInt16LE(UInt16(offsets.count))
        for offset in offsets { w.writeUInt32LE(offset) }
        var bytes = self.message(type: type, body: w.bytes)
        var field = WireWriter(capacity: 4)
        field.writeUInt32LE(listOffset)
        bytes.replaceSubrange(14..<18, with: field.bytes)
        return bytes
    }

    /// A full-header message carrying `serial` instead of the next number (the server's numbering is
    /// its own; the client must use it, not count).
    func message(type: UInt16, body: [UInt8], serial: UInt64) -> [UInt8] {
        precondition(self.headerKind == .full, "only the full header has a serial")
        var bytes = self.message(type: type, body: body)
        var field = WireWriter(capacity: 8)
        field.writeUInt64LE(serial)
        bytes.replaceSubrange(0..<8, with: field.bytes)
        return bytes
    }

    /// A `LIST` message (base id 8) whose body is a list of `subMessages`.
    func list(_ subMessages: [BaseServerMessage]) -> [UInt8] {
        let (body, subList) = SubMessageList.encode(main: [], subMessages: subMessages.map { ($0.type, $0.encode()) })
        precondition(subList == 0, "a LIST body starts with the list")
        return self.base(.list(body))
    }

    /// A bare mini header announcing `size` body bytes (for limit tests; no body follows).
    func miniHeaderOnly(type: UInt16, size: UInt32) -> [UInt8] {
        precondition(self.headerKind == .mini)
        var w = WireWriter(capacity: 6)
        w.writeUInt16LE(type)
        w.writeUInt32LE(size)
        return w.bytes
    }

    // MARK: Client → server

    /// Reads bytes the client sent; returns the data-phase messages they completed.
    func absorb(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [ClientFrame] {
        self.inbound += bytes
        var completed: [ClientFrame] = []
        do throws(SpiceWireError) {
            loop: while true {
                switch self.phase {
                case .linkRequest:
                    guard let header = try LinkHeader.parse(self.inbound), self.inbound.count >= LinkHeader.size + Int(header.size)
                    else { break loop }
                    self.linkHeader = header
                    self.linkRequest = try LinkMess(body: Array(self.inbound[LinkHeader.size..<(LinkHeader.size + Int(header.size))]))
                    self.inbound.removeFirst(LinkHeader.size + Int(header.size))
                    self.phase = self.commonCaps.contains(CommonCapability.protocolAuthSelection) ? .mechanism : .ticket
                case .mechanism:
                    guard let mechanism = try LinkAuthMechanism.parse(self.inbound) else { break loop }
                    self.mechanism = mechanism.mechanism
                    self.inbound.removeFirst(LinkAuthMechanism.size)
                    self.phase = .ticket
                case .ticket:
                    guard self.inbound.count >= Limits.encryptedTicketSize else { break loop }
                    self.ticket = Array(self.inbound[..<Limits.encryptedTicketSize])
                    self.inbound.removeFirst(Limits.encryptedTicketSize)
                    self.phase = .data
                case .data:
                    var frames: [Frame] = []
                    try self.framer.feed(self.inbound, into: &frames)
                    self.inbound = []
                    for frame in frames {
                        let decoded = ClientFrame(serial: frame.serial, type: frame.type, bodySize: frame.body.count,
                                                  message: try self.decode(frame))
                        self.frames.append(decoded)
                        completed.append(decoded)
                    }
                    break loop
                }
            }
        } catch {
            XCTFail("the client sent \(self.id) bytes a server cannot parse: \(error)", file: file, line: line)
        }
        return completed
    }

    private func decode(_ frame: Frame) throws(SpiceWireError) -> ClientMessage {
        if let base = try BaseClientMessage.parse(type: frame.type, body: frame.body, channel: "fake") {
            return .base(base)
        }
        if self.id.type == .main, let main = try MainClientMessage.parse(type: frame.type, body: frame.body) {
            return .main(main)
        }
        if self.id.type == .display, let display = try DisplayClientMessage.parse(type: frame.type, body: frame.body) {
            return .display(display)
        }
        if self.id.type == .inputs, let inputs = try InputsClientMessage.parse(type: frame.type, body: frame.body) {
            return .inputs(inputs)
        }
        return .other(type: frame.type, body: frame.body)
    }
}

// MARK: - What one call produced

/// Everything the session returned from one call (or several merged), sorted by kind.
struct Step {
    var actions: [SessionAction] = []
    var connects: [ChannelID] = []
    var closes: [ChannelID] = []
    /// Every `.send`, raw, in order.
    var rawSends: [(channel: ChannelID, bytes: [UInt8])] = []
    /// The data-phase messages those sends completed, in order.
    var sent: [(channel: ChannelID, frame: ClientFrame)] = []
    var events: [SessionEvent] = []

    // Events by kind, in order.
    var linked: [(channel: ChannelID, info: LinkInfo)] = []
    var closures: [(channel: ChannelID, error: SessionError?)] = []
    var sessionEnds: [SessionError?] = []
    var skipped: [ChannelID] = []
    var ignored: [(channel: ChannelID, type: UInt16)] = []
    var mouseModes: [(supported: UInt16, current: UInt16)] = []

    func messages(on channel: ChannelID) -> [ClientMessage] {
        self.sent.filter { $0.channel == channel }.map(\.frame.message)
    }

    mutating func merge(_ other: Step) {
        self.actions += other.actions
        self.connects += other.connects
        self.closes += other.closes
        self.rawSends += other.rawSends
        self.sent += other.sent
        self.events += other.events
        self.linked += other.linked
        self.closures += other.closures
        self.sessionEnds += other.sessionEnds
        self.skipped += other.skipped
        self.ignored += other.ignored
        self.mouseModes += other.mouseModes
    }

    mutating func record(_ event: SessionEvent) {
        self.events.append(event)
        switch event {
        case .channelLinked(let channel, let info): self.linked.append((channel, info))
        case .channelClosed(let channel, let error): self.closures.append((channel, error))
        case .sessionEnded(let error): self.sessionEnds.append(error)
        case .channelSkipped(let channel, _): self.skipped.append(channel)
        case .ignored(let channel, let type, _): self.ignored.append((channel, type))
        case .mouseMode(let supported, let current): self.mouseModes.append((supported, current))
        case .sessionStarted, .channelsListed, .agent, .vmName, .vmUUID, .notify, .serverDisconnecting:
            break
        case .displayPrimary, .displayDamaged, .displayMarked, .displayMonitors:
            break
        case .keyboardModifiers, .cursorShape, .cursorPosition, .cursorVisible, .cursorRejected:
            break
        case .audioStarted, .audioStopped, .audioVolume, .audioMute, .audioRejected:
            break
        }
    }
}

// MARK: - The session under test and every server end

/// Drives one `Session` against fake server ends and routes every action it returns.
final class FakeServer {
    let session: Session
    let encryptor: RecordingEncryptor
    /// The monotonic clock handed to the session, in milliseconds.
    var now: UInt64 = 1_000
    /// Common capabilities for server ends not created yet; `modernServerCaps` otherwise.
    var commonCaps: [ChannelID: CapabilitySet] = [:]
    /// Channel capabilities for server ends not created yet; none (main: NAME_AND_UUID) otherwise.
    var channelCaps: [ChannelID: CapabilitySet] = [:]
    private(set) var ends: [ChannelID: ServerChannel] = [:]
    /// Everything the session returned so far, merged.
    private(set) var all = Step()
    /// Every action the session returned, in order.
    var history: [SessionAction] { self.all.actions }

    init(password: Password = Password("s3cret"), preferClientMouse: Bool = true, linkTimeoutMilliseconds: UInt64 = 10_000,
         channelTypes: Set<ChannelType> = Session.implementedChannelTypes,
         encryptor: RecordingEncryptor = RecordingEncryptor()) {
        self.encryptor = encryptor
        var configuration = Session.Configuration(password: password, preferClientMouse: preferClientMouse,
                                                  linkTimeoutMilliseconds: linkTimeoutMilliseconds)
        configuration.channelTypes = channelTypes
        self.session = Session(configuration: configuration, encryptor: encryptor)
    }

    /// The server end of `channel`, created with its configured capabilities on first use.
    func server(_ channel: ChannelID) -> ServerChannel {
        if let end = self.ends[channel] { return end }
        let end = ServerChannel(channel, commonCaps: self.commonCaps[channel] ?? modernServerCaps,
                                channelCaps: self.channelCaps[channel]
                                    ?? (channel.type == .main ? CapabilitySet([MainCapability.nameAndUUID]) : CapabilitySet()))
        self.ends[channel] = end
        return end
    }

    // MARK: Session inputs

    @discardableResult
    func start() -> Step { self.route(self.session.start(now: self.now)) }

    @discardableResult
    func connected(_ channel: ChannelID) -> Step { self.route(self.session.connected(channel, now: self.now)) }

    @discardableResult
    func receive(_ channel: ChannelID, _ bytes: [UInt8]) -> Step {
        let actions = bytes.withUnsafeBytes { self.session.received(channel, $0, now: self.now) }
        return self.route(actions)
    }

    /// Feeds `bytes` one byte per `received` call.
    @discardableResult
    func drip(_ channel: ChannelID, _ bytes: [UInt8]) -> Step {
        var step = Step()
        for byte in bytes { step.merge(self.receive(channel, [byte])) }
        return step
    }

    @discardableResult
    func connectionClosed(_ channel: ChannelID, detail: String = "connection reset by peer") -> Step {
        self.route(self.session.connectionClosed(channel, detail: detail, now: self.now))
    }

    @discardableResult
    func tick() -> Step { self.route(self.session.tick(now: self.now)) }

    @discardableResult
    func disconnect() -> Step { self.route(self.session.disconnect(now: self.now)) }

    /// Routes what a session call made outside these helpers returned (an input call, for example).
    @discardableResult
    func perform(_ actions: [SessionAction]) -> Step { self.route(actions) }

    // MARK: Scripts

    /// start → connect main → link it.
    @discardableResult
    func linkMain() -> Step {
        var step = self.start()
        step.merge(self.connected(.main))
        step.merge(self.receive(.main, self.server(.main).handshake()))
        return step
    }

    /// Links main and sends `MAIN_INIT`.
    @discardableResult
    func startSession(_ initMessage: MainInit = sampleInit) -> Step {
        var step = self.linkMain()
        step.merge(self.receive(.main, self.server(.main).main(.`init`(initMessage))))
        return step
    }

    /// Sends `CHANNELS_LIST` on main.
    @discardableResult
    func list(_ channels: [ChannelID]) -> Step {
        self.receive(.main, self.server(.main).main(.channelsList(channels)))
    }

    /// Connects and links a channel the session asked for.
    @discardableResult
    func link(_ channel: ChannelID) -> Step {
        var step = self.connected(channel)
        step.merge(self.receive(channel, self.server(channel).handshake()))
        return step
    }

    /// A started session with these channels listed and linked.
    @discardableResult
    func startSession(linking channels: [ChannelID], _ initMessage: MainInit = sampleInit) -> Step {
        var step = self.startSession(initMessage)
        step.merge(self.list(channels))
        for channel in channels { step.merge(self.link(channel)) }
        return step
    }

    // MARK: Routing

    private func route(_ actions: [SessionAction]) -> Step {
        var step = Step()
        step.actions = actions
        for action in actions {
            switch action {
            case .connect(let channel):
                step.connects.append(channel)
            case .send(let channel, let bytes):
                step.rawSends.append((channel, bytes))
                for frame in self.server(channel).absorb(bytes) { step.sent.append((channel, frame)) }
            case .close(let channel):
                step.closes.append(channel)
            case .event(let event):
                step.record(event)
            }
        }
        self.all.merge(step)
        return step
    }
}
