import Foundation
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// QUIC images from a real QEMU SPICE server, decoded pixel for pixel: the framebuffer must equal QEMU's
/// own `screendump`, and the display statistics must show QUIC images and nothing left undecoded.
final class QUICScreendumpTests: XCTestCase {
    /// Takes QEMU's picture on both sides of the client's: only when those two agree was the screen
    /// still while the client's was compared. Returns the number of bracketed rounds.
    @discardableResult
    private func bracketedRounds(_ server: LocalServer, _ client: SpiceClient, wanted: Int, attempts: Int = 30,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var bracketed = 0
        for _ in 0..<attempts where bracketed < wanted {
            pump(client, seconds: 0.3)
            let before = try screendump(server)
            // Long enough for the server's last update to reach the client on a loaded machine.
            pump(client, seconds: 0.3)
            let surface = try XCTUnwrap(client.session.primarySurface(of: ChannelID(.display)), file: file, line: line)
            let differing = differingPixels(surface, before)
            let after = try screendump(server)
            guard before.rgb == after.rgb else { continue }
            bracketed += 1
            XCTAssertEqual(differing, 0, "bracketed round \(bracketed): the framebuffer differs from QEMU's screendump", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(bracketed, wanted, "the screen never held still between two screendumps", file: file, line: line)
        return bracketed
    }

    /// A client that asks for no compression of its own, so the server's `--compression` holds.
    private func connectKeepingServerCompression(_ server: LocalServer) throws -> SpiceClient {
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port,
                                                          session: .init(preferredCompression: nil)))
        client.start()
        return client
    }

    private func assertQUICDecoded(_ client: SpiceClient, file: StaticString = #filePath, line: UInt = #line) throws {
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)), file: file, line: line)
        XCTAssertGreaterThan(stats.images[ImageType.quic] ?? 0, 0, "no QUIC image arrived: \(stats)", file: file, line: line)
        XCTAssertEqual(stats.undecodedImages, [:], "images were left undecoded: \(stats)", file: file, line: line)
        XCTAssertTrue(client.isRunning, "the session ended", file: file, line: line)
    }

    func testQUICImagesDecodePixelExactOnTheConsoleGuest() throws {
        let server = try LocalServer(arguments: ["--compression", "quic", "--guest", "linux-static", "--wait-ready", "90"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client, settle: 1.0), "no settled primary surface")
        XCTAssertEqual(differingPixels(surface, try screendump(server)), 0, "the client's framebuffer differs from QEMU's screendump")
        try self.assertQUICDecoded(client)
        client.disconnect()
    }

    func testQUICImagesDecodePixelExactOnTheStaticDesktop() throws {
        let server = try LocalServer(arguments: ["--compression", "quic", "--guest", "xdesktop-static", "--wait-ready", "240"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client, settle: 1.5, within: 60), "no settled primary surface")
        XCTAssertEqual(differingPixels(surface, try screendump(server)), 0, "the client's framebuffer differs from QEMU's screendump")
        try self.assertQUICDecoded(client)
        client.disconnect()
    }

    /// The busy desktop (window moves, scrolling xterms, clocks): it changes too often for QEMU's two
    /// pictures to bracket the client's on a loaded machine (the static desktop above is the exact
    /// compare), so this proves that a stream of real QUIC images all decode and the channel stays up.
    func testQUICImagesFromTheLiveDesktopAllDecode() throws {
        let server = try LocalServer(arguments: ["--compression", "quic", "--guest", "xdesktop", "--wait-ready", "240"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        XCTAssertNotNil(settledSurface(client, settle: 0.05, within: 60), "no primary surface")
        let events = pump(client, seconds: 20)
        for event in events {
            if case .channelClosed(let channel, let error) = event {
                XCTFail("channel \(channel) closed: \(String(describing: error))")
            }
        }
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        XCTAssertGreaterThan(stats.images[ImageType.quic] ?? 0, 10, "too few QUIC images arrived: \(stats)")
        try self.assertQUICDecoded(client)
        XCTAssertNotNil(client.session.primarySurface(of: ChannelID(.display)))
        client.disconnect()
    }

    /// `auto_lz` chooses per image: QUIC for the console guest's photo strip and moving text.
    func testAutoLZPicksQUICForTheConsolePhotoStripAndDecodesPixelExact() throws {
        let server = try LocalServer(arguments: ["--compression", "auto_lz", "--guest", "linux", "--wait-ready", "90",
                                                 "--guest-append", "spicetest.video=1"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        XCTAssertNotNil(settledSurface(client, settle: 0.1), "no primary surface")
        try self.bracketedRounds(server, client, wanted: 2)
        try self.assertQUICDecoded(client)
        client.disconnect()
    }
}
