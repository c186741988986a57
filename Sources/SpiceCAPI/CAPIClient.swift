#if canImport(Glibc)
import Glibc
#elseif canImport(Android)
import Android
#endif
import CSpiceClient
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceWire
import Synchronization

/// The `spc_status` values of spice_client.h.
enum Status: Int32 {
    case ok = 0
    case nullHandle = -1
    case invalidArgument = -2
    case state = -3
    case connect = -4
    case queueFull = -5
    case ended = -6
    case noFrame = -7
    case unknownKey = -8
    case unsupported = -9
    case noAudio = -10
}

/// The `SPC_EVENT_*` bits of spice_client.h.
enum EventBit {
    static let frame: Int32 = 1 << 0
    static let resize: Int32 = 1 << 1
    static let cursor: Int32 = 1 << 2
    static let mouseMode: Int32 = 1 << 3
    static let audio: Int32 = 1 << 4
    static let error: Int32 = 1 << 5
    static let closed: Int32 = 1 << 6
    static let inputsReady: Int32 = 1 << 7
}

/// What one `spc_client *` points at: the configuration, then the running client and what the C side
/// was handed (framebuffer, cursor image, pending damage). Everything but `sender` and `lastError`
/// belongs to the poll thread; those two are guarded so that input threads can use them.
final class CAPIClient {
    static let allChannels: UInt32 = (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6)
    static let display = ChannelID(.display)
    static let cursorChannel = ChannelID(.cursor)

    // Configuration (spc_set_*).
    var host = ""
    var port: Int32 = 0
    var tlsPort: Int32 = 0
    var password = ""
    var caFile = ""
    var hostSubject = ""
    var mouseMode = Int32(MouseMode.client)
    var channels = CAPIClient.allChannels
    var compression: Int32 = 5

    private(set) var client: SpiceClient?
    /// The client's input sender, for input threads (nil before spc_connect).
    private let sender = Mutex<InputSender?>(nil)
    private let lastErrorText = Mutex<String>("")
    /// The client's audio buffers, for audio threads (nil before spc_connect).
    private let audioPort = Mutex<AudioPort?>(nil)
    /// The guest's volume and mute per stream (`AudioStream`), kept from poll's events for any thread.
    private let audioLevels = Mutex<[AudioLevel]>([AudioLevel(), AudioLevel()])
    /// Set by the poll that reports the session's end, so audio threads can tell.
    private let sessionEnded = Atomic<Bool>(false)
    /// Playback frames buffered as of the last poll, to report new audio as SPC_EVENT_AUDIO.
    private var playbackFramesSeen: UInt64 = 0

    /// The primary surface handed out by spc_framebuffer, kept alive until a poll reports RESIZE.
    private(set) var surface: Surface?
    private var dirty = DamageRegion()
    /// The cursor image handed out by spc_cursor (a copy the handle owns), and its shape.
    private(set) var cursorPixels: UnsafeMutablePointer<UInt8>?
    private(set) var cursorShape: CursorShape?
    private(set) var cursorSerial: UInt32 = 0
    private var closedReported = false

    deinit {
        if let client, client.isRunning { client.disconnect() }
        self.cursorPixels?.deallocate()
    }

    // MARK: - Errors

    /// Records `text` as the last error and returns `status`.
    @discardableResult
    func fail(_ status: Status, _ text: String) -> Int32 {
        self.lastErrorText.withLock { $0 = text }
        return status.rawValue
    }

    var lastError: String { self.lastErrorText.withLock { $0 } }

    // MARK: - Session

    var configurable: Bool { self.client == nil }

    func connect() -> Int32 {
        guard self.client == nil else { return self.fail(.state, "spc_connect: already connected (a handle connects once; create another)") }
        guard !self.host.isEmpty else { return self.fail(.connect, "spc_connect: no host (call spc_set_host)") }
        guard self.port != 0 || self.tlsPort != 0 else { return self.fail(.connect, "spc_connect: no port (call spc_set_port or spc_set_tls_port)") }
        var session = Session.Configuration(password: Password(self.password), preferClientMouse: self.mouseMode == Int32(MouseMode.client),
                                            preferredCompression: self.compression < 0 ? nil : UInt8(self.compression))
        // SPC_CHANNEL_* bits are 1 << SPICE channel type.
        session.channelTypes = Set(Session.implementedChannelTypes.filter { self.channels & (1 << UInt32($0.rawValue)) != 0 })
        do throws(SpiceClientError) {
            let subject = self.hostSubject.isEmpty ? nil : try HostSubject(parsing: self.hostSubject)
            let configuration = SpiceClient.Configuration(host: self.host, port: UInt16(self.port), tlsPort: self.tlsPort == 0 ? nil : UInt16(self.tlsPort),
                                                          caFile: self.caFile.isEmpty ? nil : self.caFile, hostSubject: subject, session: session)
            let client = try SpiceClient(configuration: configuration)
            client.start()
            self.client = client
            self.sender.withLock { $0 = client.inputs }
            self.audioPort.withLock { $0 = client.audio }
            return Status.ok.rawValue
        } catch {
            return self.fail(.connect, "spc_connect: \(error.detail)")
        }
    }

    func poll(_ timeout: Int32) -> Int32 {
        guard let client = self.client else { return self.fail(.state, "spc_poll: not connected (call spc_connect first)") }
        if self.closedReported { return 0 }
        var bits: Int32 = 0
        for event in client.poll(timeoutMilliseconds: timeout) {
            switch event {
            case .displayPrimary(let id, _, _) where id == Self.display:
                bits |= EventBit.resize
            case .displayDamaged(let id) where id == Self.display, .displayMarked(let id) where id == Self.display:
                bits |= EventBit.frame
            case .cursorShape(let id, let shape) where id == Self.cursorChannel:
                self.setCursorShape(shape)
                bits |= EventBit.cursor
            case .cursorPosition(let id, _, _) where id == Self.cursorChannel, .cursorVisible(let id, _) where id == Self.cursorChannel:
                bits |= EventBit.cursor
            case .mouseMode:
                bits |= EventBit.mouseMode
            case .channelLinked(let id, _) where id.type == .inputs:
                bits |= EventBit.inputsReady
            case .audioStarted(let id, _) where AudioStream(id) != nil, .audioStopped(let id) where AudioStream(id) != nil:
                bits |= EventBit.audio
            case .audioVolume(let id, let volume):
                guard let stream = AudioStream(id) else { break }
                self.audioLevels.withLock { $0[stream.rawValue].volume = volume }
                bits |= EventBit.audio
            case .audioMute(let id, let muted):
                guard let stream = AudioStream(id) else { break }
                self.audioLevels.withLock { $0[stream.rawValue].muted = muted }
                bits |= EventBit.audio
            case .channelClosed(let id, let error?):
                self.fail(.ended, "channel \(id) closed: \(error.detail)")
                bits |= EventBit.error
            case .sessionEnded(let error):
                if let error {
                    self.fail(.ended, "the session ended: \(error.description)")
                    bits |= EventBit.error
                }
                bits |= EventBit.closed
                self.closedReported = true
                self.sessionEnded.store(true, ordering: .releasing)
            default:
                break
            }
        }
        // A new (or destroyed) primary surface: hand the new one out from now on, all of it dirty.
        let current = client.session.primarySurface(of: Self.display)
        if current !== self.surface {
            self.surface = current
            self.dirty = DamageRegion()
            if let current { self.dirty.add(current.bounds) }
            bits |= EventBit.resize
        }
        if self.surface != nil {
            let damage = client.session.takeDamage(of: Self.display)
            if !damage.isEmpty { bits |= EventBit.frame }
            for rect in damage { self.dirty.add(rect) }
        }
        if bits & EventBit.resize != 0, self.surface != nil { bits |= EventBit.frame }
        // New playback audio in the buffer (the application's audio thread may already have read it).
        let written = client.audio.playback.statistics.framesWritten
        if written != self.playbackFramesSeen {
            self.playbackFramesSeen = written
            bits |= EventBit.audio
        }
        return bits
    }

    func disconnect() -> Int32 {
        if let client = self.client, client.isRunning { client.disconnect() }
        return Status.ok.rawValue
    }

    // MARK: - Frames and cursor

    /// Writes up to `max` pending rects (clipped to the surface) and keeps the rest.
    func takeDirty(_ out: UnsafeMutablePointer<spc_rect>?, _ max: Int32) -> Int32 {
        guard let surface = self.surface else {
            self.dirty = DamageRegion()
            return 0
        }
        let bounds = surface.bounds
        let rects = self.dirty.take().map { $0.intersection(bounds) }.filter { !$0.isEmpty }
        guard let out, max > 0 else {
            for rect in rects { self.dirty.add(rect) }
            return Int32(rects.count)
        }
        let count = min(Int(max), rects.count)
        for index in 0..<count {
            let rect = rects[index]
            out[index] = spc_rect(x: Int32(rect.left), y: Int32(rect.top), width: Int32(rect.right - rect.left), height: Int32(rect.bottom - rect.top))
        }
        for rect in rects[count...] { self.dirty.add(rect) }
        return Int32(count)
    }

    private func setCursorShape(_ shape: CursorShape?) {
        self.cursorPixels?.deallocate()
        self.cursorPixels = nil
        self.cursorShape = shape
        self.cursorSerial &+= 1
        guard let shape else { return }
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: shape.pixels.count)
        shape.pixels.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
        self.cursorPixels = copy
    }

    // MARK: - Audio (any thread)

    /// The audio port; nil before spc_connect, with that recorded as the last error (SPC_ERR_STATE).
    func audio(_ function: String) -> AudioPort? {
        guard let port = self.audioPort.withLock({ $0 }) else {
            self.fail(.state, "\(function): not connected (call spc_connect first)")
            return nil
        }
        return port
    }

    var hasEnded: Bool { self.sessionEnded.load(ordering: .acquiring) }

    func audioLevel(_ stream: AudioStream) -> AudioLevel { self.audioLevels.withLock { $0[stream.rawValue] } }

    // MARK: - Input (any thread)

    func send(_ input: InputEvent, _ function: String) -> Int32 {
        guard let sender = self.sender.withLock({ $0 }) else { return self.fail(.state, "\(function): not connected (call spc_connect first)") }
        do throws(SpiceClientError) {
            try sender.send(input)
            return Status.ok.rawValue
        } catch {
            switch error.code {
            case .inputQueueFull: return self.fail(.queueFull, "\(function): \(error.detail)")
            case .sessionEnded: return self.fail(.ended, "\(function): \(error.detail)")
            default: return self.fail(.invalidArgument, "\(function): \(error.detail)")
            }
        }
    }
}

/// `SPC_AUDIO_PLAYBACK` and `SPC_AUDIO_RECORD`: the first playback and record channels (the ones that
/// feed and drain the client's audio buffers).
enum AudioStream: Int {
    case playback = 0
    case record = 1

    init?(_ id: ChannelID) {
        guard id.id == 0 else { return nil }
        switch id.type {
        case .playback: self = .playback
        case .record: self = .record
        default: return nil
        }
    }
}

/// The guest's volume (per channel, 0...65535) and mute of one stream.
struct AudioLevel {
    var volume: [UInt16] = []
    var muted = false
}
