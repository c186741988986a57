import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire

/// One input event the Linux guest reported on its serial port (`SPICETEST EV eventN type=T code=C value=V`).
struct GuestInputEvent: Equatable, CustomStringConvertible {
    var device: String
    var type: Int
    var code: Int
    var value: Int

    var description: String { "\(self.device) type=\(self.type) code=\(self.code) value=\(self.value)" }

    // Linux input-event-codes.h.
    static let evKey = 1
    static let evRel = 2
    static let evAbs = 3
    static let relX = 0
    static let relY = 1
    static let relWheel = 8
    static let absX = 0
    static let absY = 1
    static let btnLeft = 0x110
    static let btnRight = 0x111
    static let btnMiddle = 0x112
}

/// Reads the guest's serial log (`LocalServer.serialLog`) as it grows.
final class GuestSerial {
    let path: String
    /// Bytes of the log already returned by `newLines()`.
    private var offset = 0
    private var partial = ""

    init(_ server: LocalServer) { self.path = server.serialLog }

    /// Complete lines appended since the last call.
    func newLines() -> [String] {
        guard let handle = FileHandle(forReadingAtPath: self.path) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: UInt64(self.offset))
        let data = handle.readDataToEndOfFile()
        self.offset += data.count
        let text = self.partial + String(decoding: data, as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        self.partial = lines.removeLast()
        return lines.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Skips everything logged so far.
    func skipToEnd() { _ = self.newLines() }

    /// Parses an `EV` line.
    static func event(_ line: String) -> GuestInputEvent? {
        guard let range = line.range(of: "SPICETEST EV ") else { return nil }
        let fields = line[range.upperBound...].split(separator: " ")
        guard fields.count == 4 else { return nil }
        func value(_ field: Substring, _ key: String) -> Int? {
            field.hasPrefix(key + "=") ? Int(field.dropFirst(key.count + 1)) : nil
        }
        guard let type = value(fields[1], "type"), let code = value(fields[2], "code"), let v = value(fields[3], "value") else { return nil }
        return GuestInputEvent(device: String(fields[0]), type: type, code: code, value: v)
    }

    /// Polls `client` (so the session keeps going) while collecting the guest's input events, until
    /// `done` holds for what was collected or `seconds` pass. Returns the events and the other lines.
    /// `onLine` sees every other line as it is read.
    func collect(_ client: SpiceClient, seconds: Double, until done: ([GuestInputEvent]) -> Bool,
                 onLine: (String) -> Void = { _ in }) -> (events: [GuestInputEvent], lines: [String]) {
        var events: [GuestInputEvent] = []
        var lines: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            _ = client.poll(timeoutMilliseconds: 50)
            for line in self.newLines() {
                if let event = Self.event(line) {
                    events.append(event)
                } else {
                    lines.append(line)
                    onLine(line)
                }
            }
            if done(events) { break }
        }
        return (events, lines)
    }
}

/// Starts a Linux guest (`--guest linux`) and connects a client; returns once the inputs channel is
/// linked and, when `mouseMode` is given, the server is in that mouse mode.
func connectToLinuxGuest(tablet: Bool, mouseMode: UInt16?, file: StaticString = #filePath, line: UInt = #line) throws -> (LocalServer, SpiceClient) {
    var arguments = ["--guest", "linux", "--no-audio", "--wait-ready", "150"]
    if !tablet { arguments.append("--no-tablet") }
    let server = try LocalServer(arguments: arguments)
    let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port))
    client.start()
    pump(client, seconds: 30) { $0.session.inputsReady && $0.session.guestKeyboardModifiers != nil }
    guard client.session.inputsReady else {
        server.stop()
        throw ToolError("the inputs channel did not link within 30 s")
    }
    if let mouseMode {
        // With the tablet, client mode is offered once the guest's usbhid binds (notes §9.17); the
        // session requests it as soon as it is offered.
        pump(client, seconds: 60) { $0.session.mouseMode.current == mouseMode }
        guard client.session.mouseMode.current == mouseMode else {
            server.stop()
            throw ToolError("the server never switched to mouse mode \(mouseMode): \(client.session.mouseMode)")
        }
    }
    return (server, client)
}
