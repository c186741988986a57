import Foundation
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// The display channel's framebuffer against QEMU's own `screendump`, pixel for pixel.
final class DisplayScreendumpTests: XCTestCase {
    func testSeaBIOSScreenEqualsQEMUScreendumpWithCompressionOff() throws {
        let server = try LocalServer(arguments: ["--compression", "off"])
        defer { server.stop() }
        // SeaBIOS reaches "No bootable device" within a few seconds; then the VM is paused so that the
        // blinking VGA cursor (on QEMU's virtual clock) cannot change the screen between the two pictures.
        Thread.sleep(forTimeInterval: 4)
        try qmp(server, #"{"execute":"stop"}"#)
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client), "no settled primary surface")
        let reference = try screendump(server)
        XCTAssertEqual(surface.width, reference.width)
        XCTAssertEqual(surface.height, reference.height)
        XCTAssertEqual(differingPixels(surface, reference), 0, "the client's framebuffer differs from QEMU's screendump")
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        XCTAssertGreaterThan(stats.images[0] ?? 0, 0, "no BITMAP image was drawn: \(stats)")
        XCTAssertEqual(stats.undecodedImages, [:], "the server sent images this test cannot check: \(stats)")
        client.disconnect()
    }

    func testHeadlessScreenshotIsAPNGOfThePrimarySurface() throws {
        let server = try LocalServer(arguments: ["--compression", "off"])
        defer { server.stop() }
        let path = NSTemporaryDirectory() + "shot-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try runHeadless(["127.0.0.1", String(server.port), "--screenshot", path, "--settle-ms", "150", "--seconds", "20", "--stats"])
        XCTAssertEqual(run.termination, .exited(0), run.stderr + run.stdout)
        let png = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR width and height, big-endian, at bytes 16..<24.
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        XCTAssertTrue(run.stdout.contains("screenshot: \(width)x\(height)"), run.stdout)
        XCTAssertTrue(run.stdout.contains("draws:"), "--stats printed no draw counts:\n\(run.stdout)")
        XCTAssertTrue(run.stdout.contains("images: ") && run.stdout.contains("_RGB×"), "--stats printed no image counts:\n\(run.stdout)")
    }

    func testConsoleGuestStaticCardEqualsQEMUScreendump() throws {
        let server = try LocalServer(arguments: ["--compression", "off", "--guest", "linux-static", "--wait-ready", "90"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client, settle: 1.0), "no settled primary surface")
        let reference = try screendump(server)
        XCTAssertEqual(surface.width, 1024)
        XCTAssertEqual(surface.height, 768)
        XCTAssertEqual(differingPixels(surface, reference), 0, "the client's framebuffer differs from QEMU's screendump")
        client.disconnect()
    }

    /// Takes QEMU's picture on both sides of the client's: only when those two agree was the screen
    /// still while the client's was compared. Returns (bracketed rounds, first and last reference).
    private func bracketedRounds(_ server: LocalServer, _ client: SpiceClient, wanted: Int, attempts: Int = 16,
                                 file: StaticString = #filePath, line: UInt = #line) throws -> (Int, [UInt8]?, [UInt8]?) {
        var bracketed = 0
        var first: [UInt8]?, last: [UInt8]?
        for _ in 0..<attempts where bracketed < wanted {
            pump(client, seconds: 0.3)
            let before = try screendump(server, pumping: client)
            pump(client, seconds: 0.1)
            let surface = try XCTUnwrap(client.session.primarySurface(of: ChannelID(.display)), file: file, line: line)
            let differing = differingPixels(surface, before)
            let after = try screendump(server, pumping: client)
            guard before.rgb == after.rgb else { continue }
            bracketed += 1
            first = first ?? before.rgb
            last = before.rgb
            XCTAssertEqual(differing, 0, "bracketed round \(bracketed): the framebuffer differs from QEMU's screendump", file: file, line: line)
        }
        XCTAssertGreaterThanOrEqual(bracketed, 2, "the screen never held still between two screendumps", file: file, line: line)
        return (bracketed, first, last)
    }

    func testConsoleGuestMovingTextMatchesBracketedScreendumps() throws {
        let server = try LocalServer(arguments: ["--compression", "off", "--guest", "linux", "--wait-ready", "90"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        XCTAssertNotNil(settledSurface(client, settle: 0.1), "no primary surface")
        let (_, first, last) = try self.bracketedRounds(server, client, wanted: 4)
        XCTAssertNotEqual(first, last, "the guest's text did not move during the test")
        client.disconnect()
    }

    /// The server's own image compression, with the client asking for none of its own.
    private func connectKeepingServerCompression(_ server: LocalServer) throws -> SpiceClient {
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port,
                                                          session: .init(preferredCompression: nil)))
        client.start()
        return client
    }

    func testLZImagesDecodePixelExactOnTheConsoleGuest() throws {
        let server = try LocalServer(arguments: ["--compression", "lz", "--guest", "linux-static", "--wait-ready", "90"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client, settle: 1.0), "no settled primary surface")
        XCTAssertEqual(differingPixels(surface, try screendump(server)), 0)
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        XCTAssertGreaterThan(stats.images[ImageType.lzRGB] ?? 0, 0, "no LZ_RGB image arrived: \(stats)")
        XCTAssertEqual(stats.undecodedImages, [:])
        client.disconnect()
    }

    func testGLZImagesDecodePixelExactOnTheLiveSeaBIOSScreen() throws {
        // SeaBIOS's blinking VGA cursor makes QEMU send GLZ images (with references into earlier
        // images of the dictionary window) four times a second.
        let server = try LocalServer(arguments: ["--compression", "glz"])
        defer { server.stop() }
        Thread.sleep(forTimeInterval: 3)
        let client = try self.connectKeepingServerCompression(server)
        XCTAssertNotNil(settledSurface(client, settle: 0.05), "no primary surface")
        pump(client, seconds: 2)
        _ = try self.bracketedRounds(server, client, wanted: 3)
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        XCTAssertGreaterThan(stats.images[ImageType.glzRGB] ?? 0, 4, "too few GLZ_RGB images arrived: \(stats)")
        XCTAssertEqual(stats.undecodedImages, [:])
        XCTAssertTrue(client.isRunning)
        client.disconnect()
    }

    // MARK: - The X desktop guest: what users connect to

    func testDesktopStaticScreenEqualsQEMUScreendump() throws {
        let server = try LocalServer(arguments: ["--compression", "off", "--guest", "xdesktop-static", "--wait-ready", "240"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        let surface = try XCTUnwrap(settledSurface(client, settle: 1.5, within: 30), "no settled primary surface")
        XCTAssertEqual(differingPixels(surface, try screendump(server)), 0)
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        XCTAssertEqual(stats.undecodedImages, [:])
        client.disconnect()
    }

    func testDesktopActivityStaysPixelExactAfterSixtySeconds() throws {
        let server = try LocalServer(arguments: ["--compression", "off", "--guest", "xdesktop", "--wait-ready", "240"])
        defer { server.stop() }
        let client = try self.connectKeepingServerCompression(server)
        XCTAssertNotNil(settledSurface(client, settle: 0.05, within: 30), "no primary surface")
        // A minute of window moves, scrolling xterms, clocks, root colour changes and cursor shapes.
        pump(client, seconds: 60)
        XCTAssertTrue(client.isRunning, "the session did not survive the activity")
        _ = try self.bracketedRounds(server, client, wanted: 2, attempts: 30)
        let stats = try XCTUnwrap(client.session.displayStatistics(of: ChannelID(.display)))
        let draws = stats.commands
        XCTAssertGreaterThan(draws[DisplayServerMessage.ID.drawFill] ?? 0, 0, "no DRAW_FILL: \(stats)")
        XCTAssertGreaterThan(draws[DisplayServerMessage.ID.drawCopy] ?? 0, 0, "no DRAW_COPY: \(stats)")
        XCTAssertGreaterThan(draws[DisplayServerMessage.ID.copyBits] ?? 0, 0, "no COPY_BITS: \(stats)")
        // Not asserted yet: this server sends our client no FROM_CACHE image at all (spice-gtk gets
        // many from the same guest), although DISPLAY_INIT announces spice-gtk's cache; see the note on
        // the display issue. The cache itself is covered by SessionDisplayTests.
        XCTAssertEqual(stats.undecodedImages, [:])
        client.disconnect()
    }
}
