import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs
import XCTest

/// The QUIC decoder against streams written by the test encoder (`QUICTestEncoder.swift`): every image
/// type at odd sizes, rows long enough to cross the sampling-interval steps, runs of every length, escape
/// codewords, and one named test per kind of bad input.
final class QUICTests: XCTestCase {
    private let decoder = QUICDecoder()

    // MARK: - Helpers

    private enum Pattern { case noise, gradient, text, flat }

    /// A deterministic image of `type` (1 GRAY … 5 RGBA) with channel values at the type's depth.
    private func image(_ type: UInt32, _ width: Int, _ height: Int, _ pattern: Pattern, seed: UInt64 = 1) -> QUICTestImage {
        let channels = type == 1 ? 1 : (type == 5 ? 4 : 3)
        let mask = type == 2 ? 31 : 255
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func random() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(truncatingIfNeeded: state >> 11)
        }
        var values = [[Int]](repeating: [Int](repeating: 0, count: width * height), count: channels)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<channels {
                    let v: Int
                    switch pattern {
                    case .noise: v = random()
                    case .gradient: v = (x * (c + 1) * 3 + y * (5 - c) + (random() % 3)) >> (c == 3 ? 1 : 0)
                    case .text:
                        // A light background with dark "glyph" strokes: long runs broken by short detail.
                        let ink = (x / 3 + y / 4) % 7 == 0 && (x % 5 != 0) && y % 9 < 6
                        v = ink ? 20 + c * 7 + (x & 3) : 230 - c * 10
                    case .flat: v = 200 - c * 30
                    }
                    values[c][y * width + x] = v & mask
                }
            }
        }
        return QUICTestImage(type: type, width: width, height: height, values: values)
    }

    /// The R,G,B,A bytes the decoder must write for `image`.
    private func expected(_ image: QUICTestImage) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<(image.width * image.height) {
            switch image.type {
            case 1:
                let v = UInt8(image.values[0][i])
                out += [v, v, v, 255]
            case 2:
                for c in 0..<3 { let v = image.values[c][i]; out.append(UInt8(v << 3 | v >> 2)) }
                out.append(255)
            case 5:
                for c in 0..<4 { out.append(UInt8(image.values[c][i])) }
            default:
                for c in 0..<3 { out.append(UInt8(image.values[c][i])) }
                out.append(255)
            }
        }
        return out
    }

    private func bytes(of surface: Surface) -> [UInt8] {
        Array(UnsafeBufferPointer(start: surface.pixels.assumingMemoryBound(to: UInt8.self), count: surface.stride * surface.height))
    }

    private func surface(_ width: Int, _ height: Int, _ format: PixelFormat = .xrgb32) -> Surface {
        Surface(width: width, height: height, format: format)!
    }

    /// Encodes, decodes through `decodeImage` (as the session does) and compares every byte.
    @discardableResult
    private func assertRoundTrip(_ image: QUICTestImage, file: StaticString = #filePath, line: UInt = #line) throws -> QUICTestStats {
        var stats = QUICTestStats()
        let stream = quicTestEncode(image, stats: &stats)
        let decoded = try self.decoder.decodeImage(stream[...], width: image.width, height: image.height)
        XCTAssertEqual(decoded.format, image.type == 5 ? .argb32 : .xrgb32, file: file, line: line)
        let got = self.bytes(of: decoded), want = self.expected(image)
        if got != want {
            let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }!.offset
            XCTFail("type \(image.type) \(image.width)x\(image.height): first difference at pixel \(first / 4) channel \(first % 4)",
                    file: file, line: line)
        }
        return stats
    }

    private func assertQUICError(_ code: CodecError.Code, _ text: String, _ body: () throws -> Void,
                                 file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected a \(code) error", file: file, line: line)
        } catch let error as CodecError {
            XCTAssertEqual(error.code, code, "\(error)", file: file, line: line)
            XCTAssertEqual(error.codec, "quic", file: file, line: line)
            XCTAssertTrue(error.detail.contains(text), "\(error.detail) does not mention \(text)", file: file, line: line)
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
        }
    }

    private func header(type: UInt32 = 4, width: UInt32 = 4, height: UInt32 = 4, magic: UInt32 = 0x4349_5551, version: UInt32 = 0) -> [UInt8] {
        [magic, version, type, width, height].flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> ($0 * 8)) } }
    }

    // MARK: - Round trips

    func testEveryTypeRoundTripsAtOddSizes() throws {
        for type: UInt32 in 1...5 {
            for (width, height) in [(1, 1), (1, 7), (7, 1), (3, 5), (37, 29), (130, 3)] {
                for pattern in [Pattern.noise, .gradient, .text, .flat] {
                    try self.assertRoundTrip(self.image(type, width, height, pattern, seed: UInt64(width * 31 + height)))
                }
            }
        }
    }

    func testRowsCrossingEverySamplingIntervalStep() throws {
        // 4100 pixels per row: the 2048-pixel interval steps fall inside rows, and after 6 steps
        // (12288 pixels) the interval stops widening, in the middle of row 3.
        for type: UInt32 in 1...5 {
            try self.assertRoundTrip(self.image(type, 4100, 4, .gradient, seed: UInt64(type)))
            try self.assertRoundTrip(self.image(type, 4100, 4, .text, seed: UInt64(type)))
        }
        // Narrow and tall: many rows per step.
        try self.assertRoundTrip(self.image(4, 61, 250, .noise))
        try self.assertRoundTrip(self.image(5, 61, 250, .text))
    }

    func testRunsOfEveryLengthIncludingEmptyAndLongOnes() throws {
        let stats = try self.assertRoundTrip(self.image(4, 700, 40, .text))
        XCTAssertGreaterThan(stats.runs, 100)
        XCTAssertGreaterThan(stats.emptyRuns, 0, "no empty run was coded")
        let flat = try self.assertRoundTrip(self.image(3, 1000, 20, .flat))
        XCTAssertGreaterThan(flat.longRuns, 10, "no long run exercised MELCODE's growing states")
    }

    func testEscapeCodewordsForLargeErrors() throws {
        // Noise makes big prediction errors; once a bucket settles on a short code the big errors need
        // escape codewords.
        var total = 0
        for type: UInt32 in 1...5 {
            let image = self.image(type, 40, 40, .text)
            var mixed = image
            for i in stride(from: 0, to: 1600, by: 13) { for c in 0..<mixed.values.count { mixed.values[c][i] ^= type == 2 ? 0x10 : 0x80 } }
            total += try self.assertRoundTrip(mixed).escapes
        }
        XCTAssertGreaterThan(total, 0, "no escape codeword was coded")
    }

    func testRGB16IsWidenedByRepeatingHighBits() throws {
        var image = self.image(2, 2, 1, .flat)
        image.values = [[31, 1], [16, 0], [0, 8]]
        let decoded = try self.decoder.decodeImage(quicTestEncode(image)[...], width: 2, height: 1)
        XCTAssertEqual(self.bytes(of: decoded), [255, 132, 0, 255, 8, 0, 66, 255])
    }

    func testDecoderIsReusableAcrossImagesOfDifferentTypesAndSizes() throws {
        // The model, the sampling state and the symbol row must all be reset between images.
        let images = [self.image(5, 300, 20, .noise), self.image(1, 3, 3, .gradient), self.image(4, 301, 21, .text), self.image(2, 17, 9, .noise)]
        for image in images + images.reversed() { try self.assertRoundTrip(image) }
    }

    func testDecodesIntoAGivenSurfaceAndFromASliceInsideALargerMessage() throws {
        let image = self.image(4, 9, 7, .noise)
        let stream = quicTestEncode(image)
        let message = [0xAA, 0xBB] + stream + [0xCC]
        let surface = self.surface(9, 7, .argb32)
        try self.decoder.decode(message[2..<(2 + stream.count)], into: surface)
        XCTAssertEqual(self.bytes(of: surface), self.expected(image))
    }

    // MARK: - Bad input, one test per kind

    func testRejectsAHeaderCutShort() {
        assertQUICError(.corruptData, "header") { try self.decoder.decode(Array(self.header().prefix(19))[...], into: self.surface(4, 4)) }
    }

    func testRejectsBadMagic() {
        assertQUICError(.corruptData, "magic") { try self.decoder.decode(self.header(magic: 0x4349_5552)[...], into: self.surface(4, 4)) }
    }

    func testRejectsBadVersion() {
        assertQUICError(.corruptData, "version") { try self.decoder.decode(self.header(version: 1)[...], into: self.surface(4, 4)) }
    }

    func testRejectsUnknownImageTypes() {
        for type: UInt32 in [0, 6, 0xFFFF_FFFF] {
            assertQUICError(.corruptData, "type \(type)") { try self.decoder.decode(self.header(type: type)[...], into: self.surface(4, 4)) }
        }
    }

    func testRejectsDimensionsThatAreEmptyOrOverflowTheLimits() {
        for (w, h): (UInt32, UInt32) in [(0, 4), (4, 0), (16385, 1), (1, 16385), (16384, 16384), (0xFFFF_FFFF, 0xFFFF_FFFF)] {
            assertQUICError(.corruptData, "\(w)x\(h)") {
                _ = try self.decoder.decodeImage((self.header(width: w, height: h) + [UInt8](repeating: 0, count: 8))[...], width: Int(w), height: Int(h))
            }
        }
    }

    func testRejectsAHeaderThatDisagreesWithTheDescriptor() {
        let stream = quicTestEncode(self.image(4, 5, 6, .noise))
        assertQUICError(.corruptData, "descriptor") { _ = try self.decoder.decodeImage(stream[...], width: 6, height: 5) }
    }

    func testRejectsADestinationOfAnotherSizeOrFormat() {
        let stream = quicTestEncode(self.image(5, 5, 6, .noise))
        assertQUICError(.invalidArgument, "surface") { try self.decoder.decode(stream[...], into: self.surface(6, 5, .argb32)) }
        assertQUICError(.invalidArgument, "alpha") { try self.decoder.decode(stream[...], into: self.surface(5, 6, .xrgb32)) }
        assertQUICError(.invalidArgument, "surface") { try self.decoder.decode(stream[...], into: self.surface(5, 6, .a8)) }
    }

    func testRejectsAStreamEndingEarlyAtEveryWord() {
        for type: UInt32 in [1, 4, 5] {
            let stream = quicTestEncode(self.image(type, 23, 11, .noise))
            for words in 5..<(stream.count / 4) {
                assertQUICError(.corruptData, "ends early") {
                    _ = try self.decoder.decodeImage(Array(stream.prefix(words * 4))[...], width: 23, height: 11)
                }
            }
        }
    }

    func testRejectsDataThatIsNotWholeWords() {
        let stream = quicTestEncode(self.image(4, 5, 5, .noise))
        assertQUICError(.corruptData, "whole 32-bit words") { _ = try self.decoder.decodeImage((stream + [0])[...], width: 5, height: 5) }
    }

    func testRejectsWordsAfterTheImage() {
        let stream = quicTestEncode(self.image(4, 5, 5, .noise))
        assertQUICError(.corruptData, "follow the end") { _ = try self.decoder.decodeImage((stream + [0, 0, 0, 0])[...], width: 5, height: 5) }
    }

    func testRejectsAnEscapeSymbolPastTheChannelDepth() {
        // A flat gray image teaches bucket 0 the one-bit code 0, whose escape codewords reach past 255.
        let image = self.image(1, 32, 2, .flat)
        let stream = quicTestEncode(image, sabotage: QUICTestSabotage(symbol: (at: 20, value: 270)))
        assertQUICError(.corruptData, "symbol 270") { _ = try self.decoder.decodeImage(stream[...], width: 32, height: 2) }
    }

    func testRejectsARunPastTheEndOfItsRow() {
        let image = self.image(4, 16, 3, .flat)
        let stream = quicTestEncode(image, sabotage: QUICTestSabotage(runLength: 14))
        assertQUICError(.corruptData, "run of 14") { _ = try self.decoder.decodeImage(stream[...], width: 16, height: 3) }
    }

    func testSurvivesRandomCorruption() {
        // Flipped bits and cut streams must end in an error or in some image, never in a crash or a hang.
        var state: UInt64 = 0x1234_5678
        func random() -> Int { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) }
        for type: UInt32 in 1...5 {
            let stream = quicTestEncode(self.image(type, 33, 17, .text))
            for _ in 0..<200 {
                var bad = stream
                for _ in 0..<(1 + random() % 4) { let i = 20 + random() % (bad.count - 20); bad[i] ^= UInt8(1 << (random() % 8)) }
                if random() % 3 == 0 { bad = Array(bad.prefix(20 + (random() % (bad.count - 20)) / 4 * 4)) }
                _ = try? self.decoder.decodeImage(bad[...], width: 33, height: 17)
            }
            // The decoder still decodes a good stream afterwards.
            XCTAssertNoThrow(try self.assertRoundTrip(self.image(type, 33, 17, .text)))
        }
    }
}
