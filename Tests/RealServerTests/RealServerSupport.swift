import Foundation
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
