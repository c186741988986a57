import COpus
import Foundation
import SpiceCodecs
import XCTest

/// Tests for `OpusDecoder`: packets are encoded here with libopus itself, then decoded by the bridge.
final class OpusDecoderTests: XCTestCase {
    /// 20 ms at 48 kHz: the frame size the tests encode.
    private let frameSamples = 960
    private let channels = 2
    /// The amplitude of the test sine; its RMS is amplitude / √2, about 7071.
    private let amplitude = 10_000.0

    // MARK: - Helpers

    /// Encodes `frames` consecutive 20 ms frames of a 48 kHz stereo 440 Hz sine, one packet per frame.
    private func encodeSine(frames: Int) throws -> [[UInt8]] {
        var rc: Int32 = OPUS_OK
        let encoder = try XCTUnwrap(opus_encoder_create(48_000, Int32(self.channels), OPUS_APPLICATION_AUDIO, &rc))
        XCTAssertEqual(rc, OPUS_OK)
        defer { opus_encoder_destroy(encoder) }

        var packets: [[UInt8]] = []
        for frame in 0..<frames {
            var pcm = [Int16]()
            for i in 0..<self.frameSamples {
                let t = Double(frame * self.frameSamples + i) / 48_000
                let sample = Int16(self.amplitude * sin(2 * Double.pi * 440 * t))
                pcm.append(sample)
                pcm.append(sample)
            }
            var packet = [UInt8](repeating: 0, count: 4000)
            let length = opus_encode(encoder, pcm, Int32(self.frameSamples), &packet, Int32(packet.count))
            XCTAssertGreaterThan(length, 0, String(cString: opus_strerror(length)))
            packets.append(Array(packet[..<Int(max(length, 0))]))
        }
        return packets
    }

    private func decode(_ packet: [UInt8], with decoder: SpiceCodecs.OpusDecoder, into pcm: inout [Int16]) throws -> Int {
        try packet.withUnsafeBytes { source in
            try pcm.withUnsafeMutableBufferPointer { output in
                try decoder.decode(source, into: output)
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
            XCTAssertEqual(error.codec, "opus", file: file, line: line)
        } catch {
            XCTFail("expected a CodecError, got \(error)", file: file, line: line)
        }
    }

    private func rms(_ samples: ArraySlice<Int16>) -> Double {
        let sum = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(samples.count)).squareRoot()
    }

    // MARK: - Decoding

    func testDecodesA20MillisecondStereoPacketTo960SamplesPerChannelWithTheSourceEnergy() throws {
        let packets = try self.encodeSine(frames: 3)
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: 2)
        XCTAssertEqual(decoder.channels, 2)
        // Room for 120 ms, the longest packet Opus allows, as a real playback buffer would have.
        var pcm = [Int16](repeating: 0, count: 5760 * 2)
        var decodedRMS: [Double] = []
        for packet in packets {
            let samples = try self.decode(packet, with: decoder, into: &pcm)
            XCTAssertEqual(samples, 960)
            decodedRMS.append(self.rms(pcm[..<(samples * 2)]))
        }
        // The encoder's look-ahead delays the first packet's signal, so the steady third one is measured.
        let sourceRMS = self.amplitude / 2.0.squareRoot()
        XCTAssertGreaterThan(decodedRMS[2], sourceRMS * 0.7, "decoded rms \(decodedRMS)")
        XCTAssertLessThan(decodedRMS[2], sourceRMS * 1.3, "decoded rms \(decodedRMS)")
    }

    func testDecodesMonoAtALowerRate() throws {
        // Opus packets are rate-independent: a 48 kHz stereo packet decodes to 20 ms of 16 kHz mono.
        let packets = try self.encodeSine(frames: 1)
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 16_000, channels: 1)
        var pcm = [Int16](repeating: 0, count: 320)
        XCTAssertEqual(try self.decode(packets[0], with: decoder, into: &pcm), 320)
    }

    // MARK: - Rejections

    func testRejectsSampleRatesOpusDoesNotSupport() {
        for rate: Int32 in [0, 11_025, 22_050, 44_100, 96_000] {
            self.assertCodecError(.unsupported) {
                _ = try SpiceCodecs.OpusDecoder(sampleRate: rate, channels: 2)
            }
        }
    }

    func testRejectsChannelCountsOtherThanMonoOrStereo() {
        for channels: Int32 in [0, 3, 6] {
            self.assertCodecError(.unsupported) {
                _ = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: channels)
            }
        }
    }

    func testRejectsOutputBufferShorterThanThePacket() throws {
        let packets = try self.encodeSine(frames: 1)
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: 2)
        var pcm = [Int16](repeating: 0, count: 959 * 2)
        self.assertCodecError(.outputTooSmall) {
            _ = try self.decode(packets[0], with: decoder, into: &pcm)
        }
        var empty: [Int16] = []
        self.assertCodecError(.outputTooSmall) {
            _ = try self.decode(packets[0], with: decoder, into: &empty)
        }
    }

    func testRejectsEmptyPacketInsteadOfConcealingALoss() throws {
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: 2)
        var pcm = [Int16](repeating: 0, count: 5760 * 2)
        self.assertCodecError(.corruptData) {
            _ = try self.decode([], with: decoder, into: &pcm)
        }
    }

    func testRejectsPacketDeclaringMoreThan120Milliseconds() throws {
        // TOC 0xFF is 2.5 ms CELT frames in a code-3 packet; frame-count byte 0xFF asks for 63 of them (157.5 ms),
        // more than the 120 ms a packet may hold, so libopus refuses it as an invalid packet.
        let packet = [UInt8](repeating: 0xFF, count: 40)
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: 2)
        var pcm = [Int16](repeating: 0, count: 5760 * 2)
        self.assertCodecError(.corruptData) {
            _ = try self.decode(packet, with: decoder, into: &pcm)
        }
    }

    func testDecodesGarbageAfterAValidTableOfContentsToTheDeclaredLength() throws {
        // Opus has no checksum: TOC 0x00 declares one 10 ms SILK frame, and libopus decodes whatever follows
        // into 480 samples per channel of noise rather than failing. The session cannot detect this either.
        var packet: [UInt8] = [0x00]
        var seed: UInt32 = 12_345
        for _ in 0..<60 {
            seed = seed &* 1_103_515_245 &+ 12_345
            packet.append(UInt8(truncatingIfNeeded: seed >> 16))
        }
        let decoder = try SpiceCodecs.OpusDecoder(sampleRate: 48_000, channels: 2)
        var pcm = [Int16](repeating: 0, count: 5760 * 2)
        XCTAssertEqual(try self.decode(packet, with: decoder, into: &pcm), 480)
    }
}
