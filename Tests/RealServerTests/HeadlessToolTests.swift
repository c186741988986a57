import Foundation
import SpiceToolSupport
import XCTest

/// `spice-headless` as a user runs it.
final class HeadlessToolTests: XCTestCase {
    func testWithNoServerNamedItStartsAndStopsLocalQEMU() throws {
        let run = try runHeadless(["--seconds", "3"])
        XCTAssertEqual(run.termination, .exited(0), run.stderr + run.stdout)
        XCTAssertTrue(run.stdout.contains("started local QEMU SPICE server, pid"), run.stdout)
        for id in qemuChannels { XCTAssertTrue(run.stdout.contains("\(id): linked"), "\(id):\n\(run.stdout)") }
        XCTAssertTrue(run.stdout.contains("disconnected"), run.stdout)
        // The QEMU it started is gone (or a zombie waiting to be reaped) once it exits.
        // "started local QEMU SPICE server, pid 1234, on 127.0.0.1:PORT"
        let line = run.stdout.split(separator: "\n").first { $0.hasPrefix("started local QEMU") } ?? ""
        let pidText = line.split(separator: ",").first { $0.hasPrefix(" pid ") }?.dropFirst(" pid ".count)
        let pid = try XCTUnwrap(pidText.flatMap { Int32($0) }, line.description)
        XCTAssertFalse(processIsLive(pid), "QEMU \(pid) still runs after spice-headless exited")
    }

    func testServerKilledMidSessionGivesOneLineAndNonZeroExitWithoutCrashOrHang() throws {
        let server = try LocalServer()
        defer { server.stop() }
        let run = try runHeadless(["127.0.0.1", String(server.port), "--seconds", "30"], timeout: 40) {
            Thread.sleep(forTimeInterval: 3)
            server.kill()
        }
        XCTAssertEqual(run.termination, .exited(1), "spice-headless must exit 1, not die of a signal or hang")
        XCTAssertLessThan(run.seconds, 15, "it did not notice the server died")
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("connection closed"), run.stderr)
    }

    func testUnreachableServerFailsWithAReason() throws {
        let run = try runHeadless(["127.0.0.1", "1", "--seconds", "3"], timeout: 20)
        XCTAssertEqual(run.termination, .exited(1))
        XCTAssertTrue(run.stderr.contains("refused"), run.stderr)
    }

    func testBadTargetIsRejected() throws {
        let run = try runHeadless(["spice://:abc"], timeout: 20)
        XCTAssertNotEqual(run.termination, .exited(0))
        XCTAssertFalse(run.stderr.isEmpty)
    }
}

/// True while `pid` runs and is not a zombie.
func processIsLive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
