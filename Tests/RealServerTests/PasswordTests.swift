import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// Password tickets against a real server started with `password-secret`.
final class PasswordTests: XCTestCase {
    static let password = "Corr3ct-h0rse"

    func testRightPasswordLinksEveryChannel() throws {
        let file = try temporaryFile(Self.password + "\n")
        let server = try LocalServer(arguments: ["--password-file", file])
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port,
                                                          session: .init(password: Password(Self.password))))
        client.start()
        pump(client, seconds: 15) { allLinked($0, qemuChannels) }
        XCTAssertTrue(allLinked(client, qemuChannels))
        client.disconnect()
    }

    func testWrongPasswordFailsWithAClearMessage() throws {
        let file = try temporaryFile(Self.password)
        let server = try LocalServer(arguments: ["--password-file", file])
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port,
                                                          session: .init(password: Password("wrong"))))
        client.start()
        let events = pump(client, seconds: 10) { !$0.isRunning }
        XCTAssertFalse(client.isRunning)
        guard case .sessionEnded(let error?)? = events.last else { return XCTFail("no error: \(events)") }
        XCTAssertEqual(error.code, .linkRefused(.permissionDenied))
        XCTAssertTrue(error.description.contains("wrong password"), error.description)
    }

    func testHeadlessExitsNonZeroOnWrongPasswordAndZeroOnRightOne() throws {
        let serverFile = try temporaryFile(Self.password)
        let server = try LocalServer(arguments: ["--password-file", serverFile])
        defer { server.stop() }

        let wrong = try runHeadless(["127.0.0.1", String(server.port), "--password-file", try temporaryFile("nope\n"), "--seconds", "3"])
        XCTAssertEqual(wrong.termination, .exited(1))
        let lines = wrong.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line on stderr: \(wrong.stderr)")
        XCTAssertTrue(wrong.stderr.contains("wrong password"), wrong.stderr)
        XCTAssertFalse(wrong.stdout.contains("nope") || wrong.stderr.contains("nope"), "the password was printed")

        let right = try runHeadless(["spice://127.0.0.1:\(server.port)", "--password-file", serverFile, "--seconds", "3"])
        XCTAssertEqual(right.termination, .exited(0), right.stderr + right.stdout)
        XCTAssertFalse(right.stdout.contains(Self.password), "the password was printed")
        for id in qemuChannels { XCTAssertTrue(right.stdout.contains("\(id): linked"), "\(id) not linked:\n\(right.stdout)") }
    }
}
