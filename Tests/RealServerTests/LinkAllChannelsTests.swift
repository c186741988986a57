import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// The Foundation's acceptance against a real QEMU SPICE server started by `Scripts/qemu-spice.sh`.
final class LinkAllChannelsTests: XCTestCase {
    func testLinksEveryChannelAndStaysConnectedTwentySecondsAnsweringPings() throws {
        let server = try LocalServer()
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port))
        client.start()
        let early = pump(client, seconds: 15) { allLinked($0, qemuChannels) }
        XCTAssertTrue(allLinked(client, qemuChannels), "not all linked: \(qemuChannels.map { "\($0)=\(client.session.status(of: $0).map(\.description) ?? "absent")" })")
        XCTAssertEqual(Set(client.session.listedChannels), Set(qemuChannels.filter { $0 != .main }))
        XCTAssertNotNil(client.session.mainInit)
        XCTAssertEqual(client.session.vmName, "spice-test")
        for id in qemuChannels {
            XCTAssertEqual(client.session.linkInfo(of: id)?.headerKind, .mini, "\(id) should use the mini header")
            XCTAssertEqual(client.session.linkInfo(of: id)?.majorVersion, 2)
        }
        XCTAssertFalse(early.contains { if case .channelClosed = $0 { true } else { false } }, "\(early)")

        let before = Dictionary(uniqueKeysWithValues: qemuChannels.map { ($0, client.session.statistics(of: $0)!) })
        let later = pump(client, seconds: 20)
        XCTAssertTrue(client.isRunning)
        XCTAssertFalse(later.contains { if case .channelClosed = $0 { true } else { false } }, "\(later)")
        for id in qemuChannels {
            XCTAssertEqual(client.session.status(of: id), .linked, "\(id) after 20 s")
            let stats = client.session.statistics(of: id)!
            // spice-server pings every channel every few seconds; each ping must have been answered.
            XCTAssertGreaterThan(stats.pongsSent, before[id]!.pongsSent, "\(id) answered no ping in 20 s")
            XCTAssertEqual(stats.pongsSent, stats.messagesByType[BaseServerMessage.ID.ping] ?? 0, "\(id): a ping went unanswered")
        }
        // The display channel draws (SeaBIOS's blinking cursor) only while the ACK window is honoured.
        let display = client.session.statistics(of: ChannelID(.display))!
        XCTAssertGreaterThan(display.acksSent, 0, "the display channel never needed an ACK: \(display)")
        XCTAssertGreaterThan(display.messagesReceived, before[ChannelID(.display)]!.messagesReceived + 10,
                             "the display channel stalled: \(display)")
        client.disconnect()
        XCTAssertFalse(client.isRunning)
    }

    func testServerKilledMidSessionEndsTheSessionWithConnectionClosed() throws {
        let server = try LocalServer()
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port))
        client.start()
        pump(client, seconds: 15) { allLinked($0, qemuChannels) }
        XCTAssertTrue(allLinked(client, qemuChannels))
        server.kill()
        let killedAt = Date()
        let events = pump(client, seconds: 10) { !$0.isRunning }
        XCTAssertFalse(client.isRunning, "the session did not notice the server died")
        XCTAssertLessThan(Date().timeIntervalSince(killedAt), 5)
        let ended = events.compactMap { event -> SessionError?? in
            if case .sessionEnded(let error) = event { return error } else { return nil }
        }
        XCTAssertEqual(ended.count, 1)
        XCTAssertEqual(ended.first??.code, .connectionClosed)
        XCTAssertTrue(ended.first??.detail.contains("connection closed") ?? false, "\(String(describing: ended.first))")
        for id in qemuChannels { if case .closed = client.session.status(of: id)! {} else { XCTFail("\(id) not closed") } }
        // Polling a finished client returns at once and stays quiet.
        let start = Date()
        XCTAssertTrue(client.poll(timeoutMilliseconds: 200).isEmpty)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1)
    }
}
