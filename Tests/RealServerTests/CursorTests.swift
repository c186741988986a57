import Foundation
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// The cursor channel against the X desktop guest (`qemu-spice.sh --guest xdesktop`), which cycles
/// cursor shapes with `xsetroot -cursor_name` every activity step and sends 64×64 ALPHA cursors (notes,
/// "What an X + qxl guest actually sends"). In server mouse mode (no tablet, no agent) it also sends MOVE.
final class CursorTests: XCTestCase {
    private let cursor = ChannelID(.cursor)

    func testDesktopShapesHotSpotsAndMovesReachThePollAPIInServerMouseMode() throws {
        let server = try LocalServer(arguments: ["--guest", "xdesktop", "--no-tablet", "--no-agent", "--no-audio", "--wait-ready", "180"])
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port))
        client.start()
        var shapes: [CursorShape] = []
        var positions: [(Int, Int)] = []
        var rejected: [SpiceWireError] = []
        func note(_ events: [SessionEvent]) {
            for event in events {
                switch event {
                case .cursorShape(_, let shape?): shapes.append(shape)
                case .cursorPosition(_, let x, let y): positions.append((x, y))
                case .cursorRejected(_, let error): rejected.append(error)
                default: break
                }
            }
        }
        // The activity loop changes the shape every 2–3 s; collect until several distinct ones came.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, Set(shapes).count < 3 || positions.count < 2 {
            note(client.poll(timeoutMilliseconds: 50))
        }
        XCTAssertEqual(rejected, [], "every shape the guest sent was usable")
        XCTAssertGreaterThanOrEqual(Set(shapes).count, 3, "distinct shapes: \(Set(shapes).count) of \(shapes.count)")
        for shape in shapes {
            XCTAssertTrue((0..<shape.width).contains(shape.hotSpotX) && (0..<shape.height).contains(shape.hotSpotY))
            XCTAssertTrue(stride(from: 3, to: shape.pixels.count, by: 4).contains { shape.pixels[$0] != 0 }, "a visible pixel")
        }
        XCTAssertGreaterThan(Set(shapes.map { "\($0.hotSpotX),\($0.hotSpotY)" }).count, 1, "shapes point from different hot spots")
        let statistics = try XCTUnwrap(client.session.cursorStatistics(of: self.cursor))
        XCTAssertEqual(statistics.shapesDecoded.keys.sorted(), [CursorType.alpha.rawValue], "\(statistics)")
        XCTAssertEqual(client.session.mouseMode.current, MouseMode.server)
        XCTAssertGreaterThan(statistics.moves, 0, "MOVE arrives in server mouse mode: \(statistics)")
        let info = try XCTUnwrap(client.session.cursor(of: self.cursor))
        XCTAssertEqual(info.shape, shapes.last)
        print("cursor: \(shapes.count) shapes (\(Set(shapes).count) distinct), \(positions.count) positions, \(statistics), cached now \(client.session.cachedCursorCount(of: self.cursor))")

        // Relative motion from this client moves the guest's pointer, and the server reports where.
        let before = (info.x, info.y)
        positions = []
        try client.send(.mouseMotion(dx: 40, dy: 25))
        let moved = Date().addingTimeInterval(20)
        while Date() < moved, !positions.contains(where: { $0 != before }) {
            note(client.poll(timeoutMilliseconds: 50))
        }
        XCTAssertTrue(positions.contains { $0.0 > before.0 && $0.1 > before.1 }, "from \(before) to \(positions)")
    }

    func testHeadlessWritesTheCurrentCursorAsPNG() throws {
        let path = NSTemporaryDirectory() + "cursor-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try runHeadless(["--guest", "xdesktop", "--seconds", "120", "--cursor", path], timeout: 300)
        XCTAssertEqual(run.termination, .exited(0), run.stderr + run.stdout)
        let line = try XCTUnwrap(run.stdout.split(separator: "\n").first { $0.hasPrefix("cursor: ") }, run.stdout)
        let png = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width, height (big-endian), bit depth 8, colour type 6 (R,G,B,A).
        XCTAssertEqual(Array(png[12..<16]), Array("IHDR".utf8))
        XCTAssertEqual(Array(png[16..<24]), [0, 0, 0, 64, 0, 0, 0, 64], String(line))
        XCTAssertEqual(png[24], 8)
        XCTAssertEqual(png[25], 6)
    }
}
