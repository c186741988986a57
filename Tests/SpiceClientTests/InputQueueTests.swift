import Foundation
import SpiceClient
import SpiceSession
import SpiceWire
import XCTest

/// The input queue between the application's threads and the poll loop: coalescing, its bounds, the
/// reserve for releases, many threads at once, and refusal once the session has ended. Nothing here
/// connects: before the inputs channel links, every input waits in the queue.
final class InputQueueTests: XCTestCase {
    let a = XTScancode(rawValue: 0x1E)!

    private func client() throws -> SpiceClient {
        // Port 9 (discard) on loopback: the client is never started, so nothing connects.
        try SpiceClient(configuration: .init(host: "127.0.0.1", port: 9))
    }

    private func code(of error: Error) -> SpiceClientError.Code? { (error as? SpiceClientError)?.code }

    func testConsecutiveMotionIsFoldedIntoOneEntry() throws {
        let client = try self.client()
        for _ in 0..<10_000 { try client.send(.mouseMotion(dx: 1, dy: -1)) }
        XCTAssertEqual(client.inputs.queuedCount, 1)
        try client.send(.mouseButton(.left, pressed: true))
        try client.send(.mouseMotion(dx: 2, dy: 2))
        try client.send(.mouseMotion(dx: 3, dy: 3))
        XCTAssertEqual(client.inputs.queuedCount, 3, "motion after a press is a new entry, so order is kept")
        XCTAssertEqual(client.inputs.maxQueuedCount, 3)
    }

    func testConsecutivePositionsOnOneDisplayKeepOnlyTheLatest() throws {
        let client = try self.client()
        for x in UInt32(0)..<1000 { try client.send(.mousePosition(x: x, y: 1, display: 0)) }
        XCTAssertEqual(client.inputs.queuedCount, 1)
        try client.send(.mousePosition(x: 5, y: 5, display: 1))
        XCTAssertEqual(client.inputs.queuedCount, 2, "another display is another entry")
    }

    func testPressesPastTheLimitAreRefusedNotDropped() throws {
        let client = try self.client()
        for _ in 0..<InputQueueLimits.maxQueuedInputs { try client.send(.keyDown(self.a)) }
        XCTAssertThrowsError(try client.send(.keyDown(self.a))) { XCTAssertEqual(self.code(of: $0), .inputQueueFull) }
        XCTAssertThrowsError(try client.send(.mouseButton(.left, pressed: true))) { XCTAssertEqual(self.code(of: $0), .inputQueueFull) }
        XCTAssertThrowsError(try client.send(.mouseWheel(1))) { XCTAssertEqual(self.code(of: $0), .inputQueueFull) }
        XCTAssertEqual(client.inputs.queuedCount, InputQueueLimits.maxQueuedInputs)
    }

    func testReleasesHaveAReserveSoNoKeyStaysDown() throws {
        let client = try self.client()
        for _ in 0..<InputQueueLimits.maxQueuedInputs { try client.send(.keyDown(self.a)) }
        try client.send(.keyUp(self.a))
        try client.send(.mouseButton(.left, pressed: false))
        try client.send(.releaseAll)
        XCTAssertEqual(client.inputs.queuedCount, InputQueueLimits.maxQueuedInputs + 3)
        for _ in 3..<InputQueueLimits.releaseReserve { try client.send(.keyUp(self.a)) }
        XCTAssertThrowsError(try client.send(.keyUp(self.a))) { XCTAssertEqual(self.code(of: $0), .inputQueueFull) }
        XCTAssertEqual(client.inputs.queuedCount, InputQueueLimits.maxQueuedInputs + InputQueueLimits.releaseReserve)
    }

    func testInputsFromManyThreadsAreAllQueued() throws {
        let client = try self.client()
        let sender = client.inputs, key = self.a
        let threads = 8, perThread = 400
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for i in 0..<perThread {
                // Alternate kinds so nothing coalesces.
                try? sender.send(i % 2 == 0 ? .keyDown(key) : .keyUp(key))
            }
        }
        XCTAssertEqual(client.inputs.queuedCount, threads * perThread)
    }

    func testInputsAfterTheSessionEndedAreRefused() throws {
        let client = try self.client()
        try client.send(.keyDown(self.a))
        client.disconnect()
        _ = client.poll(timeoutMilliseconds: 0)
        XCTAssertFalse(client.isRunning)
        XCTAssertEqual(client.inputs.queuedCount, 0, "what waited is dropped with the session")
        XCTAssertThrowsError(try client.send(.keyUp(self.a))) { XCTAssertEqual(self.code(of: $0), .sessionEnded) }
    }
}
