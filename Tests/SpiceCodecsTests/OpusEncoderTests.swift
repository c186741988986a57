/// The Opus encoder of the record channel: packets libopus itself decodes back to the tone, within the
/// size spice-server keeps, and the arguments it refuses.
import SpiceCodecs
import XCTest

final class OpusEncoderTests: XCTestCase {
    func testEncodedFramesDecodeBackToTheirLength() throws {
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 2)
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 2)
        let pcm = (0..<960).map { Int16(10000 * sin(2 * Double.pi * 1000 * Double($0 / 2) / 48000)) }
        var out = [Int16](repeating: 0, count: 5760 * 2)
        for _ in 0..<5 {
            let packet = try pcm.withUnsafeBufferPointer { try encoder.encode($0, frames: 480) }
            XCTAssertFalse(packet.isEmpty)
            XCTAssertLessThanOrEqual(packet.count, OpusEncoder.maxPacketBytes)
            let frames = try packet.withUnsafeBytes { raw in try out.withUnsafeMutableBufferPointer { try decoder.decode(raw, into: $0) } }
            XCTAssertEqual(frames, 480)
        }
    }

    func testRejectsRatesAndChannelCountsOpusDoesNotHave() {
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 44100, channels: 2))
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 48000, channels: 3))
    }

    func testRejectsAFrameLengthOpusDoesNotHave() throws {
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 1)
        let pcm = [Int16](repeating: 0, count: 500)
        XCTAssertThrowsError(try pcm.withUnsafeBufferPointer { try encoder.encode($0, frames: 500) }) { error in
            XCTAssertEqual((error as? CodecError)?.code, .invalidArgument, "\(error)")
        }
        XCTAssertThrowsError(try pcm.withUnsafeBufferPointer { try encoder.encode($0, frames: 960) }, "more frames than samples given")
    }
}
