import ArgumentParser
import Foundation
import SpiceClient
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

    @Argument(help: "spice://HOST[:PORT], or HOST PORT. Omit to start a local QEMU.")
    var target: [String] = []

    @Option(name: .customLong("password-file"), help: "Read the password from this file (first line).")
    var passwordFile: String?

    @Option(help: "How long to stay connected, answering pings.")
    var seconds: Double = 5

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
            let server = try LocalServer(arguments: arguments)
            localServer = server
            print("started local QEMU SPICE server, pid \(server.pid), on 127.0.0.1:\(server.port)")
            (host, port) = ("127.0.0.1", server.port)
        } else {
            (host, port) = try Self.parseTarget(self.target)
        }

        let client = try SpiceClient(configuration: .init(host: host, port: port, session: .init(password: password)))
        print("connecting to \(host):\(port)")
        client.start()
        let deadline = Date().addingTimeInterval(self.seconds)
        var failure: String?
        while Date() < deadline, client.isRunning, interrupted == 0, failure == nil {
            for event in client.poll(timeoutMilliseconds: 100) {
                if let reason = Self.report(event, client.session) { failure = failure ?? reason }
            }
        }
        if interrupted != 0 { print("interrupted") }
        print("after \(String(format: "%.1f", self.seconds)) s:")
        Self.printChannels(client.session)
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
