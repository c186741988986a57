import Foundation
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// The channels a QEMU started by `Scripts/qemu-spice.sh` (qxl, AC97 audio, usb-tablet) offers.
let qemuChannels: [ChannelID] = [.main, ChannelID(.display), ChannelID(.inputs), ChannelID(.cursor), ChannelID(.playback), ChannelID(.record)]

/// Polls `client` until `done` holds or `seconds` pass; returns every event seen.
@discardableResult
func pump(_ client: SpiceClient, seconds: Double, until done: (SpiceClient) -> Bool = { _ in false }) -> [SessionEvent] {
    var events: [SessionEvent] = []
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        events += client.poll(timeoutMilliseconds: 50)
        if done(client) { break }
    }
    return events
}

/// Polls `client` until the primary surface of display 0 exists and has had no damage for `settle`
/// seconds; nil when that does not happen `within` seconds.
func settledSurface(_ client: SpiceClient, settle: Double = 0.5, within seconds: Double = 20) -> Surface? {
    let display = ChannelID(.display)
    var quietSince = Date()
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline, client.isRunning {
        for event in client.poll(timeoutMilliseconds: 20) {
            switch event {
            case .displayDamaged, .displayPrimary: quietSince = Date()
            default: break
            }
        }
        _ = client.session.takeDamage(of: display)
        if client.session.primarySurface(of: display) != nil, Date().timeIntervalSince(quietSince) >= settle {
            return client.session.primarySurface(of: display)
        }
    }
    return nil
}

/// True once every channel in `channels` is linked.
func allLinked(_ client: SpiceClient, _ channels: [ChannelID]) -> Bool {
    channels.allSatisfy { client.session.status(of: $0) == .linked }
}

/// The `spice-headless` executable built beside the test bundle.
func spiceHeadlessPath() throws -> String {
    if let path = ProcessInfo.processInfo.environment["SPICE_HEADLESS"] { return path }
    let candidates = [CommandLine.arguments[0], Bundle.main.executablePath ?? "", Bundle.main.bundlePath]
        .filter { !$0.isEmpty }
        .map { URL(fileURLWithPath: $0).deletingLastPathComponent().appendingPathComponent("spice-headless").path }
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    throw ToolError("spice-headless is not built beside the tests (looked at \(candidates)); run `swift build` first")
}

/// Runs `spice-headless` with `arguments`, doing `during` while it runs; kills it after `timeout`.
func runHeadless(_ arguments: [String], timeout: Double = 60, during: (() -> Void)? = nil) throws -> ChildProcess.Result {
    try ChildProcess.run(try spiceHeadlessPath(), arguments, timeout: timeout) { _ in during?() }
}

/// Writes `text` to a fresh file readable only by this user and returns its path.
func temporaryFile(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "spice-test-\(UUID().uuidString)"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    chmod(path, 0o600)
    return path
}

/// A binary PPM (P6, maxval 255) as QEMU's `screendump` writes it.
struct PPMImage {
    var width: Int
    var height: Int
    /// R,G,B triples, row by row.
    var rgb: [UInt8]

    init(path: String) throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // Header: "P6" whitespace width whitespace height whitespace maxval, one whitespace byte, pixels.
        var fields: [String] = []
        var index = 0
        while fields.count < 4 && index < data.count {
            while index < data.count, data[index] == 0x20 || data[index] == 0x0A || data[index] == 0x0D || data[index] == 0x09 { index += 1 }
            if index < data.count, data[index] == UInt8(ascii: "#") {
                while index < data.count, data[index] != 0x0A { index += 1 }
                continue
            }
            var field = ""
            while index < data.count, !(data[index] == 0x20 || data[index] == 0x0A || data[index] == 0x0D || data[index] == 0x09) {
                field.append(Character(UnicodeScalar(data[index])))
                index += 1
            }
            fields.append(field)
        }
        guard fields.count == 4, fields[0] == "P6", let width = Int(fields[1]), let height = Int(fields[2]), fields[3] == "255" else {
            throw ToolError("\(path) is not a P6 PPM with maxval 255: \(fields)")
        }
        index += 1
        guard data.count - index == width * height * 3 else {
            throw ToolError("\(path): \(data.count - index) pixel bytes for \(width)x\(height)")
        }
        self.width = width
        self.height = height
        self.rgb = Array(data[index...])
    }
}

/// Sends one QMP command to a running QEMU through `Scripts/qemu-spice.sh qmp`; returns the reply.
@discardableResult
func qmp(_ server: LocalServer, _ json: String) throws -> String {
    let result = try ChildProcess.run("/bin/bash", [try LocalServer.scriptPath(), "qmp", server.qmpSocket, json], timeout: 30)
    guard result.termination == .exited(0) else { throw ToolError("qmp \(json) failed: \(result.stderr)") }
    return result.stdout
}

/// QEMU's own picture of the screen, through QMP `screendump`.
///
/// With `client`, the client is polled while QEMU renders the dump: a busy guest can make the
/// dump take seconds, and a client that stops reading for that long lets the server's queue for it
/// grow. A dump that times out (a TCG guest busy on its vCPU can starve QEMU's main loop on a
/// loaded machine) is tried once more.
func screendump(_ server: LocalServer, pumping client: SpiceClient? = nil) throws -> PPMImage {
    do {
        return try screendumpOnce(server, pumping: client)
    } catch let error as ToolError where error.description.contains("timeout") {
        return try screendumpOnce(server, pumping: client)
    }
}

private final class ScreendumpOutcome: @unchecked Sendable {
    let lock = NSLock()
    var result: Result<ChildProcess.Result, Error>?
}

private func screendumpOnce(_ server: LocalServer, pumping client: SpiceClient?) throws -> PPMImage {
    let path = NSTemporaryDirectory() + "screendump-\(UUID().uuidString).ppm"
    defer { try? FileManager.default.removeItem(atPath: path) }
    // QEMU may write the file after the QMP command returns (qxl renders asynchronously); the script
    // waits until the file is complete.
    let arguments = [try LocalServer.scriptPath(), "screendump", server.qmpSocket, path]
    let result: ChildProcess.Result
    if let client {
        let outcome = ScreendumpOutcome()
        let thread = Thread {
            let result = Result { try ChildProcess.run("/bin/bash", arguments, timeout: 75) }
            outcome.lock.withLock { outcome.result = result }
        }
        thread.start()
        while true {
            if let done = outcome.lock.withLock({ outcome.result }) {
                result = try done.get()
                break
            }
            _ = client.poll(timeoutMilliseconds: 20)
        }
    } else {
        result = try ChildProcess.run("/bin/bash", arguments, timeout: 75)
    }
    guard result.termination == .exited(0) else { throw ToolError("screendump failed: \(result.stderr)") }
    return try PPMImage(path: path)
}

/// Counts pixels of `surface` (R,G,B,A rows) that differ from `image`; nil when the sizes differ.
func differingPixels(_ surface: SpiceCanvas.Surface, _ image: PPMImage) -> Int? {
    guard surface.width == image.width, surface.height == image.height else { return nil }
    var differing = 0
    image.rgb.withUnsafeBufferPointer { rgb in
        for y in 0..<image.height {
            let row = surface.row(y).assumingMemoryBound(to: UInt8.self)
            for x in 0..<image.width {
                let p = (y * image.width + x) * 3
                if row[x * 4] != rgb[p] || row[x * 4 + 1] != rgb[p + 1] || row[x * 4 + 2] != rgb[p + 2] { differing += 1 }
            }
        }
    }
    return differing
}
