import CLZ4
import SpiceCodecs
import XCTest

/// Tests for `LZ4StreamDecoder`: streams are compressed here with liblz4 itself, then decoded by the bridge.
final class LZ4StreamDecoderTests: XCTestCase {
    private let blockSize = 4096

    // MARK: - Helpers

    /// Two blocks of one LZ4 stream. The first is pseudo-random, so it can only be stored as literals; the
    /// second repeats the first exactly, so it compresses to a few bytes only by copying from the first.
    private struct TwoBlockStream {
        let plain: [UInt8]
        let first: [UInt8]
        let second: [UInt8]
    }

    private func makeTwoBlockStream() throws -> TwoBlockStream {
        var seed: UInt32 = 2_463_534_242
        var half: [UInt8] = []
        for _ in 0..<self.blockSize {
            seed ^= seed << 13
            seed ^= seed >> 17
            seed ^= seed << 5
            half.append(UInt8(truncatingIfNeeded: seed))
        }
        // Streaming compression needs earlier input to stay where it was, so both blocks come from one array.
        let plain = half + half
        let stream = try XCTUnwrap(LZ4_createStream())
        defer { _ = LZ4_freeStream(stream) }
        let bound = Int(LZ4_compressBound(Int32(self.blockSize)))
        var blocks: [[UInt8]] = []
        plain.withUnsafeBytes { source in
            for index in 0..<2 {
                var block = [UInt8](repeating: 0, count: bound)
                let length = block.withUnsafeMutableBytes { destination in
                    LZ4_compress_fast_continue(stream,
                                               source.baseAddress!.assumingMemoryBound(to: CChar.self) + index * self.blockSize,
                                               destination.baseAddress!.assumingMemoryBound(to: CChar.self),
                                               Int32(self.blockSize), Int32(bound), 1)
                }
                XCTAssertGreaterThan(length, 0)
                blocks.append(Array(block[..<Int(max(length, 0))]))
            }
        }
        return TwoBlockStream(plain: plain, first: blocks[0], second: blocks[1])
    }

    private func decompress(_ block: [UInt8], with decoder: LZ4StreamDecoder, into region: UnsafeMutableRawBufferPointer) throws -> Int {
        try block.withUnsafeBytes { source in try decoder.decompressBlock(source, into: region) }
    }

    private func assertCodecError(_ code: CodecError.Code, _ body: () throws -> Void,
                                  file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "lz4", file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    // MARK: - Decoding

    func testDecodesDependentBlocksBackToBackIntoOneContiguousRegion() throws {
        let stream = try self.makeTwoBlockStream()
        // The second block is far smaller than its 4096 bytes only because it copies from the first.
        XCTAssertGreaterThan(stream.first.count, self.blockSize)
        XCTAssertLessThan(stream.second.count, 64)

        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: 2 * self.blockSize)
        try output.withUnsafeMutableBytes { region in
            let first = try self.decompress(stream.first, with: decoder, into: region)
            XCTAssertEqual(first, self.blockSize)
            let rest = UnsafeMutableRawBufferPointer(rebasing: region[first...])
            XCTAssertEqual(try self.decompress(stream.second, with: decoder, into: rest), self.blockSize)
        }
        XCTAssertEqual(output, stream.plain)
    }

    func testResetStartsANewStreamInAnotherRegion() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var firstRun = [UInt8](repeating: 0, count: 2 * self.blockSize)
        var secondRun = [UInt8](repeating: 0, count: 2 * self.blockSize)
        for index in 0..<2 {
            decoder.reset()
            let decodeStream = { (region: UnsafeMutableRawBufferPointer) throws in
                let first = try self.decompress(stream.first, with: decoder, into: region)
                _ = try self.decompress(stream.second, with: decoder, into: UnsafeMutableRawBufferPointer(rebasing: region[first...]))
            }
            if index == 0 {
                try firstRun.withUnsafeMutableBytes(decodeStream)
            } else {
                try secondRun.withUnsafeMutableBytes(decodeStream)
            }
        }
        XCTAssertEqual(firstRun, stream.plain)
        XCTAssertEqual(secondRun, stream.plain)
    }

    // MARK: - Rejections

    func testRejectsASecondBlockWithoutTheFirstItReferences() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: self.blockSize)
        self.assertCodecError(.corruptData) {
            _ = try output.withUnsafeMutableBytes { region in
                try self.decompress(stream.second, with: decoder, into: region)
            }
        }
    }

    func testRejectsABlockThatDoesNotStartWhereThePreviousOneEnded() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: 2 * self.blockSize + 1)
        self.assertCodecError(.invalidArgument) {
            try output.withUnsafeMutableBytes { region in
                let first = try self.decompress(stream.first, with: decoder, into: region)
                // One byte of gap after the first block's output.
                _ = try self.decompress(stream.second, with: decoder, into: UnsafeMutableRawBufferPointer(rebasing: region[(first + 1)...]))
            }
        }
        XCTAssertTrue(output[(self.blockSize)...].allSatisfy { $0 == 0 }, "a misplaced block was written")
    }

    func testRejectsATruncatedBlock() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: self.blockSize)
        self.assertCodecError(.corruptData) {
            _ = try output.withUnsafeMutableBytes { region in
                try self.decompress(Array(stream.first.dropLast(10)), with: decoder, into: region)
            }
        }
    }

    func testRejectsADestinationSmallerThanTheBlock() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: self.blockSize - 1)
        self.assertCodecError(.corruptData) {
            _ = try output.withUnsafeMutableBytes { region in
                try self.decompress(stream.first, with: decoder, into: region)
            }
        }
    }

    func testRejectsEmptyBlockAndEmptyDestination() throws {
        let stream = try self.makeTwoBlockStream()
        let decoder = try LZ4StreamDecoder()
        var output = [UInt8](repeating: 0, count: self.blockSize)
        self.assertCodecError(.corruptData) {
            _ = try output.withUnsafeMutableBytes { region in
                try self.decompress([], with: decoder, into: region)
            }
        }
        var empty: [UInt8] = []
        self.assertCodecError(.outputTooSmall) {
            _ = try empty.withUnsafeMutableBytes { region in
                try self.decompress(stream.first, with: decoder, into: region)
            }
        }
    }
}
