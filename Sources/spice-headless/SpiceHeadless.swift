import ArgumentParser
import Foundation
import SpiceCanvas
import SpiceClient
import SpiceCodecs
import SpiceSession
import SpiceToolSupport
import SpiceWire

/// Set by SIGINT/SIGTERM; the poll loop checks it. Written only by the signal handler.
nonisolated(unsafe) var interrupted: Int32 = 0

@main
struct SpiceHeadless: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spice-headless",
        abstract: "Connect to a SPICE server without a display, link every channel and keep the session alive.",
        discussion: """
            With no server named, starts a local QEMU SPICE server (Scripts/qemu-spice.sh), connects to it \
            and stops it at exit. Exit status 0 when every channel linked and stayed up; otherwise a one-line \
            reason on standard error and a non-zero status.
            """)

    @Argument(help: "spice://HOST[:PORT][?port=P&tls-port=T], or HOST [PORT]. Omit to start a local QEMU.")
    var target: [String] = []

    @Option(name: .customLong("tls-port"), help: "The server's TLS port. Given alone (no plain port), every channel uses TLS.")
    var tlsPort: UInt16?

    @Option(name: .customLong("ca-file"), help: "PEM file of the CAs that sign the server's certificate (default: the system store).")
    var caFile: String?

    @Option(name: .customLong("host-subject"), help: "Expected certificate subject, e.g. 'C=XX,O=Org,CN=host' (replaces the hostname check).")
    var hostSubject: String?

    @Option(name: .customLong("secure-channels"), help: "Channels to open over TLS from the start: all, or e.g. main,display,inputs.")
    var secureChannels: String?

    @Option(name: .customLong("password-file"), help: "Read the password from this file (first line).")
    var passwordFile: String?

    @Option(help: "How long to stay connected, answering pings (with --screenshot: the most to wait).")
    var seconds: Double = 5

    @Option(help: "Write the primary surface of display 0 as PNG once the display has been idle for --settle-ms, then disconnect.")
    var screenshot: String?

    @Option(name: .customLong("settle-ms"), help: "How long the display must be idle before --screenshot is taken.")
    var settleMilliseconds: Int = 500

    @Flag(help: "Print messages per type, draws per command, images per type and bytes received.")
    var stats = false

    @Option(help: "Type this text (US keyboard layout) once the inputs channel is linked.")
    var type: String?

    @Option(help: "Press and release a key or combination, e.g. ctrl+alt+del, enter, f1, shift+a (repeatable; after --type).")
    var key: [String] = []

    @Option(help: "Move the pointer to X,Y on display 0 (client mouse mode: absolute; server mode: relative to where the guest's cursor is).")
    var move: String?

    @Option(help: "Click at X,Y with BUTTON (left, middle, right, side, extra, 1-7; default left), after --move (repeatable).")
    var click: [String] = []

    @Option(parsing: .unconditional, help: "Turn the mouse wheel N notches (positive: away from the user, scrolling up; negative: towards), after the clicks.")
    var wheel: Int?

    @Option(help: "Write the guest's current cursor shape as PNG (R,G,B,A) once it is known and the inputs are sent.")
    var cursor: String?

    @Option(help: "Without a server named: the guest of the local QEMU (none, linux, linux-static, …; see Scripts/qemu-spice.sh).")
    var guest: String?

    @Flag(name: .customLong("no-tablet"), help: "Without a server named: no USB tablet in the local QEMU, so only server mouse mode.")
    var noTablet = false

    @Option(name: .customLong("audio-out"), help: "Write the playback audio the client delivers (16-bit PCM) to this WAV file at exit.")
    var audioOut: String?

    mutating func run() throws {
        signal(SIGINT) { _ in interrupted = 1 }
        signal(SIGTERM) { _ in interrupted = 1 }
        do {
            try self.session()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("spice-headless: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    private func session() throws {
        let password = try self.passwordFile.map { path -> Password in
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return Password(String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? ""))
        } ?? .none

        var localServer: LocalServer?
        defer { localServer?.stop() }
        let (host, port): (String, UInt16)
        if self.target.isEmpty {
            var arguments: [String] = []
            if let passwordFile = self.passwordFile { arguments += ["--password-file", passwordFile] }
            if let guest = self.guest { arguments += ["--guest", guest] + (guest == "none" ? [] : ["--wait-ready", "150"]) }
            if self.noTablet { arguments.append("--no-tablet") }
            let server = try LocalServer(arguments: arguments)
            localServer = server
            print("started local QEMU SPICE server, pid \(server.pid), on 127.0.0.1:\(server.port)")
            if self.guest != nil { print("guest serial log: \(server.serialLog)") }
            (host, port) = ("127.0.0.1", server.port)
        } else {
            (host, port) = try self.parseServer()
        }

        let tlsPort = self.tlsPort ?? self.uriTLSPort
        let client = try SpiceClient(configuration: .init(
            host: host, port: port, tlsPort: tlsPort, caFile: self.caFile,
            hostSubject: try self.hostSubject.map { text throws(SpiceClientError) in try HostSubject(parsing: text) },
            secureChannels: try self.secureChannels.map { text throws(SpiceClientError) in try SecureChannels(parsing: text) } ?? .none,
            session: .init(password: password)))
        print("connecting to \(host)" + (port != 0 ? ":\(port)" : "") + (tlsPort.map { " (TLS port \($0))" } ?? ""))
        client.start()
        let started = Date()
        let deadline = started.addingTimeInterval(self.seconds)
        var failure: String?
        var lastDamage = Date()
        var screenshotWritten = false
        let display = ChannelID(.display, 0)
        var inputs = try self.plannedInputs()
        var cursorWritten = false
        let ends = self.screenshot != nil || self.cursor != nil || inputs != nil
        // Once sent, inputs get a second to reach the guest before the session (and a local QEMU) goes.
        var inputsSentAt: Date?
        var audioOut = WAVRecorder()
        // A run that ends when its work is done still waits until every listed channel has linked, so
        // that it reports a channel that never links.
        func linking() -> Bool {
            client.session.mainInit == nil || client.session.listedChannels.isEmpty || client.session.listedChannels.contains {
                Session.implementedChannelTypes.contains($0.type) && client.session.status(of: $0) != .linked
            }
        }
        while Date() < deadline, client.isRunning, interrupted == 0, failure == nil,
              !ends || (self.screenshot != nil && !screenshotWritten) || (self.cursor != nil && !cursorWritten)
                || inputs.map({ !$0.done }) ?? false || inputsSentAt.map({ Date().timeIntervalSince($0) < 1 }) ?? false || linking() {
            for event in client.poll(timeoutMilliseconds: 20) {
                if case .displayDamaged = event { lastDamage = Date() }
                if case .displayPrimary = event { lastDamage = Date() }
                if let reason = Self.report(event, client.session) { failure = failure ?? reason }
            }
            if var plan = inputs, !plan.done {
                try plan.advance(client)
                inputs = plan
                if plan.done { inputsSentAt = Date() }
            }
            if let path = self.cursor, !cursorWritten, inputs.map({ $0.done }) ?? true,
               let shape = client.session.cursor(of: ChannelID(.cursor, 0))?.shape {
                let png = try shape.pixels.withUnsafeBytes { raw in
                    try PNG.encode(pixels: raw.baseAddress!, width: shape.width, height: shape.height, stride: shape.width * 4, keepAlpha: true)
                }
                try Data(png).write(to: URL(fileURLWithPath: path))
                print("cursor: \(shape.width)x\(shape.height), hot spot \(shape.hotSpotX),\(shape.hotSpotY), written to \(path)")
                cursorWritten = true
            }
            if self.audioOut != nil { audioOut.take(from: client.audio) }
            _ = client.session.takeDamage(of: display)
            if let path = self.screenshot, let surface = client.session.primarySurface(of: display),
               Date().timeIntervalSince(lastDamage) * 1000 >= Double(self.settleMilliseconds) {
                let png = try PNG.encode(pixels: surface.pixels, width: surface.width, height: surface.height,
                                         stride: surface.stride, keepAlpha: false)
                try Data(png).write(to: URL(fileURLWithPath: path))
                print("screenshot: \(surface.width)x\(surface.height) written to \(path)")
                screenshotWritten = true
            }
        }
        if interrupted != 0 { print("interrupted") }
        print("after \(String(format: "%.1f", Date().timeIntervalSince(started))) s:")
        Self.printChannels(client.session)
        if tlsPort != nil {
            let secure = client.session.channelOrder.filter { client.isSecure($0) }
            print("over TLS: \(secure.isEmpty ? "none" : secure.map(\.description).joined(separator: " "))")
        }
        if self.stats { Self.printStatistics(client.session) }
        if let path = self.audioOut {
            audioOut.take(from: client.audio)
            try audioOut.write(to: path)
            let stats = client.audio.playback.statistics
            print("audio: \(audioOut.frames) frames\(audioOut.format.map { " (\($0))" } ?? "") written to \(path); underruns \(stats.underruns), overruns \(stats.overruns) (\(stats.overrunFrames) frames dropped)")
        }
        if self.screenshot != nil, !screenshotWritten, failure == nil {
            failure = client.session.primarySurface(of: display) == nil
                ? "no primary surface arrived within \(self.seconds) s"
                : "the display never stayed idle for \(self.settleMilliseconds) ms within \(self.seconds) s"
        }
        if let plan = inputs, !plan.done, failure == nil {
            failure = plan.started ? "the inputs were not all sent within \(self.seconds) s" : "the inputs channel was not ready within \(self.seconds) s"
        }
        if self.cursor != nil, !cursorWritten, failure == nil {
            failure = "no cursor shape arrived within \(self.seconds) s (the server showed only its default cursor)"
        }
        if client.isRunning {
            client.disconnect()
            for event in client.poll(timeoutMilliseconds: 0) { _ = Self.report(event, client.session) }
            print("disconnected")
        }
        if let failure { throw ToolError(failure) }
        let unlinked = client.session.listedChannels.filter {
            Session.implementedChannelTypes.contains($0.type) && client.session.linkInfo(of: $0) == nil
        }
        if !unlinked.isEmpty {
            throw ToolError("channels never linked: \(unlinked.map(\.description).joined(separator: " "))")
        }
        if client.session.mainInit == nil { throw ToolError("the server never sent MAIN_INIT") }
    }

    /// The inputs `--type`, `--key`, `--move`, `--click` and `--wheel` ask for, or nil for none.
    func plannedInputs() throws -> InputPlan? {
        var steps: [InputPlan.Step] = []
        if let text = self.type { steps.append(.send(try KeyNames.text(text), "typed \(text.count) characters")) }
        for combo in self.key { steps.append(.send(try KeyNames.combo(combo), "pressed \(combo)")) }
        if let move = self.move {
            let (x, y, _) = try Self.parsePoint(move, option: "--move", allowButton: false)
            steps.append(.move(x, y))
        }
        for click in self.click {
            let (x, y, button) = try Self.parsePoint(click, option: "--click", allowButton: true)
            steps.append(.move(x, y))
            steps.append(.send([.mouseButton(button, pressed: true), .mouseButton(button, pressed: false)], "clicked \(button) at \(x),\(y)"))
        }
        if let wheel = self.wheel { steps.append(.send([.mouseWheel(wheel)], "turned the wheel \(wheel) notches")) }
        return steps.isEmpty ? nil : InputPlan(steps: steps)
    }

    /// `X,Y` or `X,Y,BUTTON`.
    static func parsePoint(_ text: String, option: String, allowButton: Bool) throws -> (UInt32, UInt32, MouseButton) {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 || (allowButton && parts.count == 3), let x = UInt32(parts[0]), let y = UInt32(parts[1]) else {
            throw ToolError("\(option) takes X,Y\(allowButton ? "[,BUTTON]" : ""), not \(text)")
        }
        guard parts.count == 3 else { return (x, y, .left) }
        guard let button = KeyNames.button(parts[2]) else { throw ToolError("\(option): unknown button \(parts[2])") }
        return (x, y, button)
    }

    /// Prints one event; returns a failure reason if the event means the run failed.
    static func report(_ event: SessionEvent, _ session: Session) -> String? {
        switch event {
        case .channelLinked(let id, let info):
            print("\(id): linked, protocol \(info.majorVersion).\(info.minorVersion), \(info.headerKind == .mini ? "mini" : "full") header, server common caps \(info.commonCaps), channel caps \(info.channelCaps)")
        case .sessionStarted(let m):
            print("session: id 0x\(String(m.sessionID, radix: 16)), display channels hint \(m.displayChannelsHint), mouse modes supported \(m.supportedMouseModes) current \(m.currentMouseMode), agent \(m.agentConnected != 0 ? "connected" : "not connected") (tokens \(m.agentTokens)), multimedia time \(m.multiMediaTime) ms, ram hint \(m.ramHint)")
        case .channelsListed(let list):
            print("channels listed: \(list.map(\.description).joined(separator: " "))")
        case .channelSkipped(let id, let reason):
            print("\(id): skipped: \(reason)")
        case .mouseMode(let supported, let current):
            print("mouse mode: supported \(supported), current \(current == MouseMode.client ? "client" : current == MouseMode.server ? "server" : String(current))")
        case .agent(let connected, let tokens):
            print("agent: \(connected ? "connected" : "disconnected"), tokens \(tokens)")
        case .vmName(let name):
            print("vm name: \(name)")
        case .vmUUID(let uuid):
            print("vm uuid: \(uuid.map { String(format: "%02x", $0) }.joined())")
        case .notify(let id, let notify):
            print("\(id): server notice: \(notify.text)")
        case .serverDisconnecting(let id, let reason):
            print("\(id): server is disconnecting (reason \(reason))")
        case .ignored(let id, let type, let reason):
            print("\(id): ignored message \(type): \(reason)")
        case .displayPrimary(let id, let width, let height):
            print(width == 0 ? "\(id): primary surface destroyed" : "\(id): primary surface \(width)x\(height)")
        case .displayDamaged, .displayMarked:
            break
        case .displayMonitors(let id, let heads):
            print("\(id): monitors: \(heads.map { "\($0.width)x\($0.height)+\($0.x)+\($0.y)" }.joined(separator: " "))")
        case .keyboardModifiers(let id, let modifiers):
            print("\(id): guest keyboard locks: \(modifiers)")
        case .cursorShape(let id, let shape):
            if let shape {
                print("\(id): cursor shape \(shape.width)x\(shape.height), hot spot \(shape.hotSpotX),\(shape.hotSpotY)")
            } else {
                print("\(id): cursor shape: default")
            }
        case .cursorPosition:
            break  // Every MOVE in server mouse mode: too many to print; --stats counts them.
        case .cursorVisible(let id, let visible):
            print("\(id): cursor \(visible ? "shown" : "hidden")")
        case .cursorRejected(let id, let error):
            print("\(id): cursor shape refused, previous one kept: \(error)")
        case .audioStarted(let id, let format):
            print("\(id): audio started: \(format)")
        case .audioStopped(let id):
            print("\(id): audio stopped")
        case .audioVolume(let id, let volume):
            print("\(id): volume \(volume.map(String.init).joined(separator: ","))")
        case .audioMute(let id, let muted):
            print("\(id): \(muted ? "muted" : "unmuted")")
        case .audioRejected(let id, let error):
            print("\(id): audio message dropped: \(error)")
        case .channelClosed(let id, let error):
            if let error {
                print("\(id): closed: \(error.detail)")
                return "\(error)"
            }
        case .sessionEnded(let error):
            if let error { return "session ended: \(error)" }
        }
        return nil
    }

    static func printChannels(_ session: Session) {
        for id in session.channelOrder {
            let status = session.status(of: id).map(\.description) ?? "unknown"
            let stats = session.statistics(of: id) ?? ChannelStatistics()
            print("  \(id.description.padding(toLength: 11, withPad: " ", startingAt: 0)) \(status.padding(toLength: 8, withPad: " ", startingAt: 0)) received \(stats.messagesReceived) messages (\(stats.bytesReceived) bytes), sent \(stats.messagesSent) (\(stats.pongsSent) pongs, \(stats.acksSent) acks)")
        }
    }

    static func printStatistics(_ session: Session) {
        print("statistics:")
        for id in session.channelOrder {
            guard let stats = session.statistics(of: id) else { continue }
            let types = stats.messagesByType.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            print("  \(id): \(stats.bytesReceived) bytes received; messages by type: \(types)")
            if let display = session.displayStatistics(of: id) {
                let draws = display.commands.sorted { $0.key < $1.key }.map { "\(DisplayServerMessage.name(ofType: $0.key))×\($0.value)" }
                let images = display.images.sorted { $0.key < $1.key }.map { "\(imageTypeName($0.key))×\($0.value)" }
                print("    draws: \(draws.joined(separator: " "))")
                print("    images: \(images.joined(separator: " ")) (cache hits \(display.cacheHits))")
                if !display.undecodedImages.isEmpty {
                    print("    images not decoded: \(display.undecodedImages.sorted { $0.key < $1.key }.map { "\(imageTypeName($0.key))×\($0.value)" }.joined(separator: " "))")
                }
            }
        }
    }

    /// The TLS port a `spice://…?tls-port=T` target gives.
    var uriTLSPort: UInt16? {
        guard self.target.count == 1, self.target[0].contains("?") else { return nil }
        return (try? SpiceURI(parsing: self.target[0]))?.tlsPort
    }

    /// The host and plain port (0: none, TLS only) the target names: a `spice://` URI with `port`
    /// and `tls-port` parameters, `HOST` alone with `--tls-port`, or what `parseTarget` accepts.
    func parseServer() throws -> (String, UInt16) {
        if self.target.count == 1, self.target[0].hasPrefix("spice://"), self.target[0].contains("?") {
            let uri = try SpiceURI(parsing: self.target[0])
            if let tlsPort = self.tlsPort, let given = uri.tlsPort, tlsPort != given {
                throw ToolError("--tls-port \(tlsPort) differs from the URI's tls-port \(given)")
            }
            return (uri.host, uri.port ?? 0)
        }
        if self.target.count == 1, self.tlsPort != nil, !self.target[0].hasPrefix("spice://"), !self.target[0].contains(":") {
            return (self.target[0], 0)
        }
        return try Self.parseTarget(self.target)
    }

    /// Accepts `spice://HOST[:PORT]` (IPv6 in brackets), `HOST:PORT`, or `HOST PORT`.
    static func parseTarget(_ words: [String]) throws -> (String, UInt16) {
        if words.count == 2 {
            guard let port = UInt16(words[1]), port > 0 else { throw ToolError("bad port: \(words[1])") }
            return (words[0], port)
        }
        guard words.count == 1 else { throw ToolError("give spice://HOST:PORT or HOST PORT") }
        var rest = Substring(words[0])
        if rest.hasPrefix("spice://") { rest = rest.dropFirst("spice://".count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = rest
        var portText: Substring = "5900"
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { throw ToolError("no host in \(words[0])") }
        guard let port = UInt16(portText), port > 0 else { throw ToolError("bad port in \(words[0])") }
        return (String(host), port)
    }
}

/// spice.proto's name for an image type.
func imageTypeName(_ type: UInt8) -> String {
    switch type {
    case 0: "BITMAP"
    case 1: "QUIC"
    case 100: "LZ_PLT"
    case 101: "LZ_RGB"
    case 102: "GLZ_RGB"
    case 103: "FROM_CACHE"
    case 104: "SURFACE"
    case 105: "JPEG"
    case 106: "FROM_CACHE_LOSSLESS"
    case 107: "ZLIB_GLZ_RGB"
    case 108: "JPEG_ALPHA"
    case 109: "LZ4"
    default: String(type)
    }
}

/// The inputs the command line asks for, sent in order once the session can take them.
struct InputPlan {
    enum Step {
        case send([InputEvent], String)
        case move(UInt32, UInt32)
    }

    var steps: [Step]
    private(set) var started = false
    private var mouseReadySince: Date?

    init(steps: [Step]) { self.steps = steps }

    /// Whether every step was handed to the client and the client has sent it all.
    var done: Bool { self.started && self.steps.isEmpty && self.sent }
    private var sent = false

    /// Queues the steps once the inputs channel is linked (and, for the mouse, the mouse mode has
    /// settled: the session asks for client mode whenever it is offered); then waits until the queue and
    /// the session's spacing backlog are empty.
    mutating func advance(_ client: SpiceClient) throws {
        let session = client.session
        guard session.inputsReady else { return }
        let needsMouse = self.steps.contains { if case .move = $0 { true } else { false } }
        if needsMouse {
            let settled = session.mouseMode.current == MouseMode.client || session.mouseMode.supported & MouseMode.client == 0
            if !settled {
                // Client mode is offered; wait (briefly) for the server to switch to it.
                if self.mouseReadySince == nil { self.mouseReadySince = Date() }
                if Date().timeIntervalSince(self.mouseReadySince!) < 2 { return }
            }
        }
        if !self.started {
            self.started = true
            for step in self.steps {
                switch step {
                case .send(let events, let what):
                    for event in events { try client.send(event) }
                    print(what)
                case .move(let x, let y):
                    if session.mouseMode.current == MouseMode.client {
                        try client.send(.mousePosition(x: x, y: y, display: 0))
                        print("moved to \(x),\(y) (client mouse mode)")
                    } else {
                        // Server mode moves relatively: from where the guest last said its cursor is.
                        let cursor = session.cursor(of: ChannelID(.cursor, 0))
                        let dx = Int64(x) - Int64(cursor?.x ?? 0), dy = Int64(y) - Int64(cursor?.y ?? 0)
                        try client.send(.mouseMotion(dx: Int32(clamping: dx), dy: Int32(clamping: dy)))
                        print("moved by \(dx),\(dy) to \(x),\(y) (server mouse mode)")
                    }
                }
            }
            self.steps.removeAll()
        }
        self.sent = client.inputs.queuedCount == 0 && session.inputsBacklog == 0
    }
}

/// Collects what the client plays, for `--audio-out`: every frame buffered, in the first stream's format.
struct WAVRecorder {
    private(set) var format: AudioStreamFormat?
    private var samples: [Int16] = []

    var frames: Int { self.samples.count / max(1, self.format?.channels ?? 1) }

    /// Takes every frame the playback buffer holds now (a later stream in another format is left out).
    mutating func take(from audio: AudioPort) {
        guard let current = audio.playbackFormat else { return }
        if self.format == nil { self.format = current }
        guard current == self.format else { return }
        let available = audio.playback.availableFrames
        guard available > 0 else { return }
        let (pcm, real) = audio.readAudio(frames: available)
        self.samples += pcm[0..<(real * current.channels)]
    }

    /// Writes a RIFF/WAVE file of 16-bit little-endian PCM.
    func write(to path: String) throws {
        let channels = self.format?.channels ?? 2
        let rate = self.format?.frequency ?? 48000
        var data = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        let bytes = self.samples.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + bytes)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(1); u16(channels); u32(rate)
        u32(rate * channels * 2); u16(channels * 2); u16(16)
        data.append(contentsOf: Array("data".utf8)); u32(bytes)
        for sample in self.samples { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: URL(fileURLWithPath: path))
    }
}
