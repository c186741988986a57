import CZlib
import SpiceCodecs
import XCTest

/// Tests for `ZlibInflater`: streams are compressed here with zlib's own `compress2`, then inflated by the bridge.
final class ZlibInflaterTests: XCTestCase {
    // MARK: - Helpers

    /// Compressible bytes that still need both literals and back-references to encode.
    private func sampleData(count: Int, salt: UInt8 = 0) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: ($0 / 7) &* 31 &+ $0 % 5) ^ salt }
    }

    private func compress(_ plain: [UInt8]) -> [UInt8] {
        var length = compressBound(UInt(plain.count))
        var compressed = [UInt8](repeating: 0, count: Int(length))
        let rc = compress2(&compressed, &length, plain, UInt(plain.count), 6)
        XCTAssertEqual(rc, Z_OK)
        return Array(compressed[..<Int(length)])
    }

    private func inflate(_ compressed: [UInt8], with inflater: ZlibInflater, into output: inout [UInt8]) throws -> Int {
        try compressed.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { destination in
                try inflater.inflate(source, into: destination)
            }
        }
    }

    private func assertCodecError(_ code: CodecError.Code, _ body: () throws -> Void,
                                  file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "zlib", file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    /// Inflates `compressed` into a destination of `capacity` bytes and expects a `code` error.
    private func assertInflateFails(_ code: CodecError.Code, _ compressed: [UInt8], capacity: Int,
                                    file: StaticString = #filePath, line: UInt = #line) throws {
        let inflater = try ZlibInflater()
        var output = [UInt8](repeating: 0, count: capacity)
        self.assertCodecError(code, {
            _ = try self.inflate(compressed, with: inflater, into: &output)
        }, file: file, line: line)
    }

    // MARK: - Inflating

    func testInflatesAStreamIntoADestinationOfExactlyItsSize() throws {
        let plain = self.sampleData(count: 10_000)
        let compressed = self.compress(plain)
        XCTAssertLessThan(compressed.count, plain.count / 2)
        var output = [UInt8](repeating: 0, count: plain.count)
        XCTAssertEqual(try self.inflate(compressed, with: ZlibInflater(), into: &output), plain.count)
        XCTAssertEqual(output, plain)
    }

    func testInflatesIntoALargerDestinationAndReportsTheLength() throws {
        let plain = self.sampleData(count: 3_000)
        var output = [UInt8](repeating: 0xEE, count: 4_000)
        XCTAssertEqual(try self.inflate(self.compress(plain), with: ZlibInflater(), into: &output), plain.count)
        XCTAssertEqual(Array(output[..<plain.count]), plain)
        XCTAssertTrue(output[plain.count...].allSatisfy { $0 == 0xEE })
    }

    func testInflatesAnEmptyStreamIntoAnEmptyDestination() throws {
        var output: [UInt8] = []
        XCTAssertEqual(try self.inflate(self.compress([]), with: ZlibInflater(), into: &output), 0)
    }

    func testOneInflaterInflatesSuccessiveStreamsEvenAfterAFailure() throws {
        let inflater = try ZlibInflater()
        let first = self.sampleData(count: 5_000, salt: 0x11)
        let second = self.sampleData(count: 7_000, salt: 0x22)
        var output = [UInt8](repeating: 0, count: 8_000)

        XCTAssertEqual(try self.inflate(self.compress(first), with: inflater, into: &output), first.count)
        XCTAssertEqual(Array(output[..<first.count]), first)

        self.assertCodecError(.corruptData) {
            _ = try self.inflate(Array(self.compress(first).prefix(100)), with: inflater, into: &output)
        }

        XCTAssertEqual(try self.inflate(self.compress(second), with: inflater, into: &output), second.count)
        XCTAssertEqual(Array(output[..<second.count]), second)
    }

    // MARK: - Rejections

    func testRejectsADestinationOneByteTooSmall() throws {
        let plain = self.sampleData(count: 10_000)
        try self.assertInflateFails(.outputTooSmall, self.compress(plain), capacity: plain.count - 1)
    }

    func testRejectsADestinationMuchTooSmall() throws {
        let plain = self.sampleData(count: 10_000)
        try self.assertInflateFails(.outputTooSmall, self.compress(plain), capacity: 100)
        try self.assertInflateFails(.outputTooSmall, self.compress(plain), capacity: 0)
    }

    func testRejectsAStreamCutInHalf() throws {
        let plain = self.sampleData(count: 10_000)
        let compressed = self.compress(plain)
        try self.assertInflateFails(.corruptData, Array(compressed.prefix(compressed.count / 2)), capacity: plain.count)
    }

    func testRejectsAStreamMissingOnlyItsChecksumEvenWhenTheOutputIsExactlyFull() throws {
        // All the data is there and fills the destination exactly, so only the missing Adler-32 trailer
        // distinguishes this from a complete stream; it must not be mistaken for a too-small destination.
        let plain = self.sampleData(count: 10_000)
        try self.assertInflateFails(.corruptData, Array(self.compress(plain).dropLast(4)), capacity: plain.count)
    }

    func testRejectsAStreamWhoseChecksumDoesNotMatch() throws {
        let plain = self.sampleData(count: 10_000)
        var compressed = self.compress(plain)
        compressed[compressed.count - 1] ^= 0x01
        try self.assertInflateFails(.corruptData, compressed, capacity: plain.count)
    }

    func testRejectsDataWithoutAZlibHeader() throws {
        var compressed = self.compress(self.sampleData(count: 1_000))
        compressed[0] = 0x00
        try self.assertInflateFails(.corruptData, compressed, capacity: 1_000)
        try self.assertInflateFails(.corruptData, [], capacity: 1_000)
    }

    func testRejectsBytesAfterTheEndOfTheStream() throws {
        let plain = self.sampleData(count: 1_000)
        try self.assertInflateFails(.corruptData, self.compress(plain) + [0x00], capacity: plain.count)
    }
}
