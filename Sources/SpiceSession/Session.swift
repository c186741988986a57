import SpiceCodecs
import SpiceWire

/// One SPICE session: the main channel and every channel it lists, as a pure state machine.
///
/// The I/O tier opens connections when asked (`SessionAction.connect`), hands every received byte to
/// `received(_:_:now:)`, writes what `SessionAction.send` carries, and reports closed connections.
/// Time is an input (`now`, monotonic milliseconds), so every path is reproducible in tests.
///
/// Threading: not thread-safe; one thread (the poll loop) owns it.
public final class Session {
    /// What the session needs to know before it starts.
    public struct Configuration: Sendable {
        public var password: Password
        /// Ask for client (absolute) mouse mode whenever the server offers it.
        public var preferClientMouse: Bool
        /// How long a channel may take from connection to linked.
        public var linkTimeoutMilliseconds: UInt64
        /// The image compression to ask the server for (`PREFERRED_COMPRESSION`, when the server lets
        /// the client choose), or nil to leave the server's own setting. `SPICE_IMAGE_COMPRESSION_*`:
        /// OFF=1, AUTO_GLZ=2, AUTO_LZ=3, QUIC=4, GLZ=5, LZ=6, LZ4=7. The default asks for GLZ, which
        /// this client decodes; LZ4 (7) is decoded too, and needs no window.
        public var preferredCompression: UInt8?
        /// Whether a channel refused with `NEED_SECURED` is opened again securely (the I/O tier has a
        /// secure port: `wantsSecureConnection`). When false, that refusal closes the channel.
        public var reopensSecuredChannels = true
        /// Whether the playback and record channels offer Opus (`PLAYBACK_CAP_OPUS`, `RECORD_CAP_OPUS`) and
        /// record sends Opus when the server can take it; when false, audio is raw PCM both ways (like
        /// spice-gtk's `SPICE_DISABLE_OPUS`).
        public var audioOpus = true
        /// The channel types to link besides main (which is always linked). A type left out is reported
        /// with `channelSkipped` and never connected, so the server keeps nothing for it (e.g. no
        /// audio channels for an app without sound). Default: every type this client implements.
        public var channelTypes: Set<ChannelType> = Session.implementedChannelTypes

        public init(password: Password = .none, preferClientMouse: Bool = true, linkTimeoutMilliseconds: UInt64 = 10_000,
                    preferredCompression: UInt8? = 5) {
            self.password = password
            self.preferClientMouse = preferClientMouse
            self.linkTimeoutMilliseconds = linkTimeoutMilliseconds
            self.preferredCompression = preferredCompression
        }
    }

    /// The channel types this client links; others in `CHANNELS_LIST` are reported and skipped.
    public static let implementedChannelTypes: Set<ChannelType> = [.main, .display, .inputs, .cursor, .playback, .record]

    public let configuration: Configuration
    private let encryptor: any TicketEncryptor
    var channels: [ChannelID: ChannelState] = [:]
    /// Channels in the order they were created, for stable reports.
    public private(set) var channelOrder: [ChannelID] = []

    public private(set) var mainInit: MainInit?
    public private(set) var listedChannels: [ChannelID] = []
    public private(set) var mouseMode: (supported: UInt16, current: UInt16) = (0, 0)
    public private(set) var agentConnected = false
    public private(set) var agentTokens: UInt32 = 0
    public private(set) var vmName: String?
    public private(set) var vmUUID: [UInt8]?
    /// The server's multimedia time and the local time it was received at.
    private var multiMediaAnchor: (server: UInt32, local: UInt64)?
    /// The `supported` mouse modes the last mode request was made for, so a refusal does not loop.
    private var mouseRequestedFor: UInt16?
    public private(set) var ended = false
    /// Decoded images the server asked to keep, shared by every display channel.
    let imageCache = ImageCache()
    /// SPICE's codecs, shared by every display channel (the GLZ window is one per session).
    lazy var lzDecoder = LZDecoder()
    lazy var glzWindow = GLZWindow(windowPixels: Int(Self.glzWindowPixels(ramHint: self.mainInit?.ramHint ?? 0)))
    var zlibGLZDecoder: ZlibGLZDecoder?
    /// LZ4 and JPEG decoders, made on the first image of their kind and kept (one TurboJPEG handle per session).
    var lz4Decoder: LZ4ImageDecoder?
    var jpegDecoder: JPEGImageDecoder?
    /// The latest time any input carried: what messages handled later (held by a wait) are stamped with.
    private var now: UInt64 = 0
    /// Decoded playback audio for the application, and captured audio from it (AudioRing.swift).
    let audioOutput = AudioBuffer()
    let audioInput = AudioBuffer(latencyMilliseconds: 0)

    public init(configuration: Configuration, encryptor: any TicketEncryptor) {
        self.configuration = configuration
        self.encryptor = encryptor
    }

    // MARK: - Queries

    public func status(of channel: ChannelID) -> ChannelStatus? { self.channels[channel]?.status }

    public func statistics(of channel: ChannelID) -> ChannelStatistics? { self.channels[channel]?.statistics }

    public func linkInfo(of channel: ChannelID) -> LinkInfo? { self.channels[channel]?.info }

    /// Whether the server asked for `channel` to be secured (`NEED_SECURED`): the I/O tier opens its
    /// connection on the TLS port (or fails it when it has none).
    public func wantsSecureConnection(_ channel: ChannelID) -> Bool { self.channels[channel]?.secureRequested ?? false }

    /// Whether the I/O tier should read this channel's connection now. A channel held by
    /// `WAIT_FOR_CHANNELS` is not read, so the socket, not memory, absorbs what the server sends.
    public func wantsInput(_ channel: ChannelID) -> Bool {
        guard let state = self.channels[channel] else { return false }
        switch state.status {
        case .linking, .linked: return state.waits.isEmpty
        case .connecting, .closed: return false
        }
    }

    /// The server's multimedia clock now, extrapolated from the last `MAIN_INIT`/`MULTI_MEDIA_TIME`.
    public func multiMediaTime(now: UInt64) -> UInt32? {
        guard let anchor = self.multiMediaAnchor else { return nil }
        return anchor.server &+ UInt32(truncatingIfNeeded: now &- anchor.local)
    }

    // MARK: - Inputs from the I/O tier

    /// Starts the session: the main channel is linked first.
    public func start(now: UInt64) -> [SessionAction] {
        self.now = now
        precondition(self.channels.isEmpty, "a session starts once")
        var actions: [SessionAction] = []
        self.open(.main, now: now, &actions)
        return actions
    }

    /// The connection for `channel` is open: the handshake begins.
    public func connected(_ channel: ChannelID, now: UInt64) -> [SessionAction] {
        self.now = now
        guard var state = self.channels[channel], state.status == .connecting else { return [] }
        state.status = .linking
        let request = state.link.start()
        self.channels[channel] = state
        return [.send(channel, request)]
    }

    /// Bytes arrived on `channel`'s connection.
    public func received(_ channel: ChannelID, _ bytes: UnsafeRawBufferPointer, now: UInt64) -> [SessionAction] {
        var actions: [SessionAction] = []
        self.now = now
        guard var state = self.channels[channel] else { return actions }
        state.statistics.bytesReceived += UInt64(bytes.count)
        var rest = bytes
        if state.status == .linking {
            do throws(SessionError) {
                let progress = try state.link.feed(bytes, encryptor: self.encryptor)
                if !progress.output.isEmpty { actions.append(.send(channel, progress.output)) }
                rest = UnsafeRawBufferPointer(rebasing: bytes[progress.consumed...])
                if case .linked(let info) = state.link.state {
                    state.status = .linked
                    state.info = info
                    state.framer = MessageFramer(kind: info.headerKind, channel: channel.type.name)
                    state.encoder = MessageEncoder(kind: info.headerKind)
                    actions.append(.event(.channelLinked(channel, info)))
                    self.channels[channel] = state
                    self.channelStarted(channel, &actions)
                    state = self.channels[channel] ?? state
                }
            } catch {
                self.channels[channel] = state
                if error.code == .linkRefused(.needSecured) && self.reopenSecurely(channel, now: now, &actions) { return actions }
                self.fail(channel, error, &actions)
                return actions
            }
        }
        guard state.status == .linked, !rest.isEmpty, var framer = state.framer else {
            self.channels[channel] = state
            return actions
        }
        var frames: [Frame] = []
        do throws(SpiceWireError) {
            try framer.feed(rest, into: &frames)
        } catch {
            state.framer = framer
            self.channels[channel] = state
            self.fail(channel, SessionError(error, channel: channel), &actions)
            return actions
        }
        state.framer = framer
        state.held.append(contentsOf: frames)
        self.channels[channel] = state
        self.drain(channel, now: now, &actions)
        return actions
    }

    /// The connection for `channel` closed or broke; `detail` says how, for the report.
    public func connectionClosed(_ channel: ChannelID, detail: String, now: UInt64) -> [SessionAction] {
        self.now = now
        var actions: [SessionAction] = []
        guard let state = self.channels[channel], !state.isClosed else { return actions }
        var detail = detail
        // A stream cut inside a message says which message and how much of it came.
        if let framer = state.framer, !framer.isAtMessageBoundary {
            if let partial = framer.partialBody {
                detail += " in the middle of message type \(partial.type) (\(partial.received) of \(partial.size) body bytes)"
            } else {
                detail += " in the middle of a message header (\(framer.bufferedBytes) of \(framer.kind.size) bytes)"
            }
        }
        self.fail(channel, SessionError(.connectionClosed, channel: channel, detail: detail), &actions)
        return actions
    }

    /// The earliest monotonic time at which `tick` has work to do (a link timeout, a spaced input), or nil for none.
    public func nextDeadline() -> UInt64? {
        var earliest: UInt64?
        for state in self.channels.values {
            switch state.status {
            case .connecting, .linking:
                let deadline = state.openedAt &+ self.configuration.linkTimeoutMilliseconds &+ 1
                earliest = min(earliest ?? deadline, deadline)
            case .linked, .closed:
                break
            }
        }
        // Inputs spaced out for the guest's sake (Session+Inputs.swift).
        if let inputs = self.inputsDeadline() { earliest = min(earliest ?? inputs, inputs) }
        return earliest
    }

    /// Checks deadlines (link timeouts) and sends inputs whose time has come.
    public func tick(now: UInt64) -> [SessionAction] {
        self.now = now
        var actions: [SessionAction] = []
        for id in self.channelOrder {
            guard let state = self.channels[id] else { continue }
            switch state.status {
            case .connecting, .linking:
                if now &- state.openedAt > self.configuration.linkTimeoutMilliseconds {
                    self.fail(id, SessionError(.linkTimedOut, channel: id,
                                               detail: "the channel did not link within \(self.configuration.linkTimeoutMilliseconds) ms"), &actions)
                }
            case .linked, .closed:
                break
            }
        }
        self.tickInputs(now: now, &actions)
        self.tickRecord(now: now, &actions)
        return actions
    }

    /// Closes every channel politely: each linked channel says `DISCONNECTING` first, main last.
    public func disconnect(now: UInt64) -> [SessionAction] {
        self.now = now
        var actions: [SessionAction] = []
        guard !self.ended else { return actions }
        // Nothing may stay pressed in the guest once this client is gone.
        actions += self.flushInputsForClose(now: now)
        for id in self.channelOrder.reversed() {
            guard var state = self.channels[id], !state.isClosed else { continue }
            if state.status == .linked {
                self.send(.disconnecting(timestamp: now, reason: 0), on: id, state: &state, &actions)
            }
            state.status = .closed(nil)
            self.channels[id] = state
            actions.append(.close(id))
            actions.append(.event(.channelClosed(id, nil)))
        }
        self.ended = true
        actions.append(.event(.sessionEnded(nil)))
        return actions
    }

    // MARK: - Channel life

    private func open(_ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        let request = LinkMess(
            connectionID: channel == .main ? 0 : (self.mainInit?.sessionID ?? 0),
            channel: channel,
            commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice, CommonCapability.miniHeader]),
            channelCaps: Self.channelCapabilities(channel.type, opus: self.configuration.audioOpus))
        self.channels[channel] = ChannelState(
            id: channel, link: LinkStateMachine(request: request, password: self.configuration.password), openedAt: now)
        self.channelOrder.append(channel)
        actions.append(.connect(channel))
    }

    /// `NEED_SECURED`: the channel starts over on a new connection, which the I/O tier opens on the
    /// TLS port (`wantsSecureConnection`). Only once: a secured channel refused again fails.
    private func reopenSecurely(_ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) -> Bool {
        guard self.configuration.reopensSecuredChannels, let old = self.channels[channel], !old.secureRequested else { return false }
        var state = ChannelState(id: channel, link: LinkStateMachine(request: old.link.request, password: self.configuration.password), openedAt: now)
        state.secureRequested = true
        state.statistics = old.statistics
        self.channels[channel] = state
        actions.append(.close(channel))
        actions.append(.connect(channel))
        return true
    }

    /// The capabilities this client advertises per channel type: only what it implements.
    static func channelCapabilities(_ type: ChannelType, opus: Bool = true) -> CapabilitySet {
        switch type {
        case .main: CapabilitySet([MainCapability.nameAndUUID, MainCapability.agentConnectedTokens])
        case .display: CapabilitySet([DisplayCapability.monitorsConfig, DisplayCapability.lz4Compression])
        // Without Opus (`Configuration.audioOpus`) the audio channels offer raw PCM only.
        case .playback: CapabilitySet([PlaybackCapability.volume, PlaybackCapability.latency] + (opus ? [PlaybackCapability.opus] : []))
        case .record: CapabilitySet([RecordCapability.volume] + (opus ? [RecordCapability.opus] : []))
        default: CapabilitySet()
        }
    }

    /// Appends one channel-specific message for `channel` to `actions`, framed by its encoder.
    func send(type: UInt16, body: [UInt8], on channel: ChannelID, _ actions: inout [SessionAction]) {
        guard var state = self.channels[channel], state.status == .linked, var encoder = state.encoder else { return }
        var bytes: [UInt8] = []
        encoder.append(type: type, body: body, to: &bytes)
        state.encoder = encoder
        state.statistics.messagesSent += 1
        self.channels[channel] = state
        actions.append(.send(channel, bytes))
    }

    /// Sends what a channel's client side says first, right after the link.
    private func channelStarted(_ channel: ChannelID, _ actions: inout [SessionAction]) {
        guard var state = self.channels[channel] else { return }
        switch channel.type {
        case .display:
            // The server draws nothing until it knows the client's image cache and GLZ window.
            let message = DisplayClientMessage.`init`(
                pixmapCacheID: 1, pixmapCacheSize: Self.pixmapCachePixels,
                glzDictionaryID: 1, glzWindowSize: Self.glzWindowPixels(ramHint: self.mainInit?.ramHint ?? 0))
            var bytes: [UInt8] = []
            state.encoder?.append(type: message.type, body: message.encode(), to: &bytes)
            state.statistics.messagesSent += 1
            // Ask for a compression this client decodes, where the server lets the client choose.
            if let wanted = self.configuration.preferredCompression,
               state.info?.channelCaps.contains(DisplayCapability.prefCompression) == true {
                let preference = DisplayClientMessage.preferredCompression(wanted)
                state.encoder?.append(type: preference.type, body: preference.encode(), to: &bytes)
                state.statistics.messagesSent += 1
            }
            state.display = DisplayState()
            actions.append(.send(channel, bytes))
        default:
            break
        }
        self.channels[channel] = state
    }

    /// The image cache announced in `DISPLAY_INIT`: 80 MiB of 32-bit pixels, as spice-gtk announces.
    public static let pixmapCachePixels: Int64 = 80 * 1024 * 1024 / 4

    /// The GLZ dictionary window announced in `DISPLAY_INIT`, in pixels: half the guest's RAM hint,
    /// kept between 12 MiB and 64 MiB of 32-bit pixels.
    public static func glzWindowPixels(ramHint: UInt32) -> Int32 {
        let bytes = max(12 * 1024 * 1024, min(64 * 1024 * 1024, Int(ramHint) / 2))
        return Int32(bytes / 4)
    }

    /// Closes `channel` after an error; losing the main channel ends the session.
    private func fail(_ channel: ChannelID, _ error: SessionError, _ actions: inout [SessionAction]) {
        guard var state = self.channels[channel], !state.isClosed else { return }
        state.status = .closed(error)
        state.held = []
        self.channels[channel] = state
        actions.append(.close(channel))
        actions.append(.event(.channelClosed(channel, error)))
        if channel == .main && !self.ended {
            self.ended = true
            for id in self.channelOrder where id != .main {
                guard var other = self.channels[id], !other.isClosed else { continue }
                let reason = SessionError(.connectionClosed, channel: id, detail: "the session ended")
                other.status = .closed(reason)
                other.held = []
                self.channels[id] = other
                actions.append(.close(id))
                actions.append(.event(.channelClosed(id, reason)))
            }
            actions.append(.event(.sessionEnded(error)))
        }
        self.releaseWaiters(&actions)
    }

    // MARK: - Data phase

    /// Handles the held frames of `channel` until it is empty or the channel must wait.
    private func drain(_ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        var progressed = false
        while var state = self.channels[channel], state.status == .linked, state.waits.isEmpty, !state.held.isEmpty {
            let frame = state.held.removeFirst()
            state.statistics.messagesReceived += 1
            state.statistics.messagesByType[frame.type, default: 0] += 1
            if state.ack.messageReceived() {
                self.send(.ack, on: channel, state: &state, &actions)
                state.statistics.acksSent += 1
            }
            self.channels[channel] = state
            do throws(SpiceWireError) {
                try self.handle(frame, on: channel, now: now, &actions)
            } catch {
                self.fail(channel, SessionError(error, channel: channel), &actions)
                return
            }
            // The serial counts as processed only once its message was handled.
            self.channels[channel]?.processedSerial = frame.serial
            progressed = true
        }
        if progressed { self.releaseWaiters(&actions) }
    }

    /// Lets channels held by `WAIT_FOR_CHANNELS` go on once what they wait for has happened.
    private func releaseWaiters(_ actions: inout [SessionAction]) {
        for id in self.channelOrder {
            guard var state = self.channels[id], !state.waits.isEmpty else { continue }
            state.waits.removeAll { wait in
                // A channel that does not exist or is closed will never reach the serial; one still
                // connecting or linking will, so it is waited for.
                guard let other = self.channels[wait.channel], !other.isClosed else { return true }
                return other.processedSerial >= wait.serial
            }
            self.channels[id] = state
            if state.waits.isEmpty && !state.held.isEmpty { self.drain(id, now: self.now, &actions) }
        }
    }

    private func handle(_ frame: Frame, on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        var body = frame.body
        // A full header may carry a sub-message list; its messages are handled before the enclosing
        // one, whose own fields end where the first sub-message or the list begins.
        if frame.subList != 0 {
            let entries = try SubMessageList.parse(frame.body, listOffset: frame.subList, channel: channel.type.name)
            for entry in entries {
                try self.dispatch(type: entry.type, body: Array(frame.body[entry.range]), on: channel, now: now, &actions)
            }
            body = Array(frame.body[0..<SubMessageList.enclosingEnd(listOffset: frame.subList, entries: entries)])
        }
        try self.dispatch(type: frame.type, body: body, on: channel, now: now, &actions)
    }

    private func dispatch(type: UInt16, body: [UInt8], on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        if let base = try BaseServerMessage.parse(type: type, body: body, channel: channel.type.name) {
            try self.handleBase(base, on: channel, now: now, &actions)
            return
        }
        switch channel.type {
        case .main:
            guard let message = try MainServerMessage.parse(type: type, body: body) else {
                actions.append(.event(.ignored(channel, type: type, reason: "unknown main message")))
                return
            }
            self.handleMain(message, now: now, &actions)
        case .display:
            try self.handleDisplay(type: type, body: body, on: channel, now: now, &actions)
        case .inputs:
            try self.handleInputs(type: type, body: body, on: channel, now: now, &actions)
        case .cursor:
            try self.handleCursor(type: type, body: body, on: channel, &actions)
        case .playback:
            self.handlePlayback(type: type, body: body, on: channel, &actions)
        case .record:
            self.handleRecord(type: type, body: body, on: channel, now: now, &actions)
        default:
            // Channel types without an implementation are never linked.
            break
        }
    }

    private func handleBase(_ message: BaseServerMessage, on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard var state = self.channels[channel] else { return }
        switch message {
        case .setAck(let generation, let window):
            state.ack.set(window: window)
            self.send(.ackSync(generation: generation), on: channel, state: &state, &actions)
        case .ping(let ping):
            self.send(.pong(id: ping.id, timestamp: ping.timestamp), on: channel, state: &state, &actions)
            state.statistics.pongsSent += 1
        case .waitForChannels(let list):
            state.waits = list.filter { $0.channel != channel }
        case .disconnecting(_, let reason):
            actions.append(.event(.serverDisconnecting(channel, reason: reason)))
        case .notify(let notify):
            actions.append(.event(.notify(channel, notify)))
        case .list(let body):
            self.channels[channel] = state
            for entry in try SubMessageList.parse(body, listOffset: 0, channel: channel.type.name) {
                try self.dispatch(type: entry.type, body: Array(body[entry.range]), on: channel, now: now, &actions)
            }
            return
        case .migrate, .migrateData:
            actions.append(.event(.ignored(channel, type: message.type, reason: "migration is not supported")))
        }
        self.channels[channel] = state
    }

    private func handleMain(_ message: MainServerMessage, now: UInt64, _ actions: inout [SessionAction]) {
        switch message {
        case .`init`(let initMessage):
            guard self.mainInit == nil else {
                actions.append(.event(.ignored(.main, type: message.type, reason: "repeated INIT")))
                return
            }
            self.mainInit = initMessage
            self.multiMediaAnchor = (initMessage.multiMediaTime, now)
            self.agentConnected = initMessage.agentConnected != 0
            self.agentTokens = initMessage.agentTokens
            actions.append(.event(.sessionStarted(initMessage)))
            self.sendMain(.attachChannels, &actions)
            self.updateMouseMode(supported: UInt16(truncatingIfNeeded: initMessage.supportedMouseModes),
                                 current: UInt16(truncatingIfNeeded: initMessage.currentMouseMode), &actions)
        case .channelsList(let list):
            self.listedChannels = list
            actions.append(.event(.channelsListed(list)))
            for id in list where self.channels[id] == nil {
                if !Self.implementedChannelTypes.contains(id.type) {
                    actions.append(.event(.channelSkipped(id, reason: "\(id.type) channels are not implemented by this client")))
                } else if id.type != .main && !self.configuration.channelTypes.contains(id.type) {
                    actions.append(.event(.channelSkipped(id, reason: "\(id.type) channels are not asked for by the configuration")))
                } else {
                    self.open(id, now: now, &actions)
                }
            }
        case .mouseMode(let supported, let current):
            self.updateMouseMode(supported: supported, current: current, &actions)
        case .multiMediaTime(let time):
            self.multiMediaAnchor = (time, now)
        case .agentConnected:
            self.agentConnected = true
            actions.append(.event(.agent(connected: true, tokens: self.agentTokens)))
        case .agentConnectedTokens(let tokens):
            self.agentConnected = true
            self.agentTokens = tokens
            actions.append(.event(.agent(connected: true, tokens: tokens)))
        case .agentDisconnected:
            self.agentConnected = false
            actions.append(.event(.agent(connected: false, tokens: self.agentTokens)))
        case .agentToken(let tokens):
            self.agentTokens &+= tokens
        case .agentData:
            // The agent protocol (clipboard, resize) builds on this session; until it lands, the
            // client never sends AGENT_START, so a conforming server sends no agent data.
            actions.append(.event(.ignored(.main, type: message.type, reason: "agent data before AGENT_START")))
        case .name(let bytes):
            let name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            self.vmName = name
            actions.append(.event(.vmName(name)))
        case .uuid(let uuid):
            self.vmUUID = uuid
            actions.append(.event(.vmUUID(uuid)))
        case .migrateBegin, .migrateBeginSeamless:
            // Migration is not advertised; a server that starts one anyway is told it failed, so it
            // does not wait for this client.
            self.sendMain(.migrateConnectError, &actions)
            actions.append(.event(.ignored(.main, type: message.type, reason: "migration is not supported")))
        case .migrateCancel, .migrateSwitchHost, .migrateEnd, .migrateDstSeamlessAck, .migrateDstSeamlessNack:
            actions.append(.event(.ignored(.main, type: message.type, reason: "migration is not supported")))
        }
    }

    private func updateMouseMode(supported: UInt16, current: UInt16, _ actions: inout [SessionAction]) {
        self.mouseMode = (supported, current)
        actions.append(.event(.mouseMode(supported: supported, current: current)))
        guard self.configuration.preferClientMouse, supported & MouseMode.client != 0, current != MouseMode.client,
              self.mouseRequestedFor != supported else { return }
        self.mouseRequestedFor = supported
        self.sendMain(.mouseModeRequest(MouseMode.client), &actions)
    }

    // MARK: - Sending

    func sendMain(_ message: MainClientMessage, _ actions: inout [SessionAction]) {
        guard var state = self.channels[.main], state.status == .linked, var encoder = state.encoder else { return }
        var bytes: [UInt8] = []
        encoder.append(type: message.type, body: message.encode(), to: &bytes)
        state.encoder = encoder
        state.statistics.messagesSent += 1
        self.channels[.main] = state
        actions.append(.send(.main, bytes))
    }

    func send(_ message: BaseClientMessage, on channel: ChannelID, state: inout ChannelState, _ actions: inout [SessionAction]) {
        guard var encoder = state.encoder else { return }
        var bytes: [UInt8] = []
        encoder.append(type: message.type, body: message.encode(), to: &bytes)
        state.encoder = encoder
        state.statistics.messagesSent += 1
        actions.append(.send(channel, bytes))
    }
}

/// Everything the session keeps per channel.
struct ChannelState {
    let id: ChannelID
    var status: ChannelStatus = .connecting
    var link: LinkStateMachine
    var info: LinkInfo?
    var framer: MessageFramer?
    var encoder: MessageEncoder?
    var ack = AckWindow()
    /// The serial of the last message handled (the server's with the full header, our count with
    /// the mini header), which `WAIT_FOR_CHANNELS` on other channels compares against.
    var processedSerial: UInt64 = 0
    var waits: [WaitForChannel] = []
    /// Frames received but not handled yet (while waiting, or within one read).
    var held: [Frame] = []
    var statistics = ChannelStatistics()
    let openedAt: UInt64
    /// The server answered `NEED_SECURED`: this connection is the secured retry.
    var secureRequested = false
    /// Display channels only: surfaces, palettes, damage.
    var display: DisplayState?
    /// Inputs channels only: guest LEDs, motion pacing, held keys and buttons (Session+Inputs.swift).
    var inputs: InputsState?
    /// Cursor channels only: shape, position, visibility, cursor cache (Session+Cursor.swift).
    var cursor: CursorChannelState?
    /// Playback and record channels only (Session+Playback.swift, Session+Record.swift).
    var playback: PlaybackChannelState?
    var record: RecordChannelState?

    init(id: ChannelID, link: LinkStateMachine, openedAt: UInt64) {
        self.id = id
        self.link = link
        self.openedAt = openedAt
    }

    var isClosed: Bool {
        if case .closed = self.status { return true }
        return false
    }
}
