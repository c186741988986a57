/// Tests for the playback and record channels' messages (spice.proto `channel PlaybackChannel`,
/// `channel RecordChannel`; notes §2.5, §5): round trips of every message, exact layouts, every strict
/// prefix refused as truncated, and one named rejection per limit.
import SpiceWire
import XCTest

let playbackServerSamples: [PlaybackServerMessage] = [
    .data(time: 0x0102_0304, data: [1, 2, 3, 4][...]),
    .data(time: 7, data: [][...]),
    .mode(time: 9, mode: AudioDataMode.opus, data: []),
    .mode(time: 9, mode: AudioDataMode.raw, data: [0xAA]),
    .start(AudioStreamFormat(channels: 2, format: AudioSampleFormat.s16, frequency: 48000), time: 1234),
    .stop,
    .volume([0x1234, 0xFFFF]),
    .volume([]),
    .mute(true),
    .mute(false),
    .latency(300),
]

let recordServerSamples: [RecordServerMessage] = [
    .start(AudioStreamFormat(channels: 1, format: AudioSampleFormat.s16, frequency: 8000)),
    .stop,
    .volume([1, 2]),
    .mute(true),
]

let recordClientSamples: [RecordClientMessage] = [
    .data(time: 5, data: [9, 8, 7]),
    .mode(time: 6, mode: AudioDataMode.opus, data: []),
    .startMark(time: 0xFFFF_FFFF),
]

final class AudioMessagesTests: XCTestCase {
    // MARK: - Round trips and layouts

    func testSamplesCoverEveryAudioMessageID() {
        XCTAssertEqual(Set(playbackServerSamples.map(\.type)), [101, 102, 103, 104, 105, 106, 107])
        XCTAssertEqual(Set(recordServerSamples.map(\.type)), [101, 102, 103, 104])
        XCTAssertEqual(Set(recordClientSamples.map(\.type)), [101, 102, 103])
    }

    func testEveryAudioMessageRoundTrips() throws {
        for message in playbackServerSamples {
            XCTAssertEqual(try PlaybackServerMessage.parse(type: message.type, body: message.encode()), message)
        }
        for message in recordServerSamples {
            XCTAssertEqual(try RecordServerMessage.parse(type: message.type, body: message.encode()), message)
        }
        for message in recordClientSamples {
            XCTAssertEqual(try RecordClientMessage.parse(type: message.type, body: message.encode()), message)
        }
    }

    func testPlaybackStartLayout() throws {
        let body = le32(2) + le16(1) + le32(44100) + le32(0xDEAD_BEEF)
        XCTAssertEqual(try PlaybackServerMessage.parse(type: 103, body: body),
                       .start(AudioStreamFormat(channels: 2, format: 1, frequency: 44100), time: 0xDEAD_BEEF))
        XCTAssertEqual(PlaybackServerMessage.start(AudioStreamFormat(channels: 2, format: 1, frequency: 44100), time: 0xDEAD_BEEF).encode(), body)
    }

    func testPlaybackDataAndModeLayout() throws {
        XCTAssertEqual(try PlaybackServerMessage.parse(type: 101, body: le32(77) + [5, 6, 7]), .data(time: 77, data: [5, 6, 7][...]))
        XCTAssertEqual(try PlaybackServerMessage.parse(type: 102, body: le32(1) + le16(3)), .mode(time: 1, mode: 3, data: []))
        XCTAssertEqual(try PlaybackServerMessage.parse(type: 105, body: [2] + le16(10) + le16(20)), .volume([10, 20]))
        XCTAssertEqual(try PlaybackServerMessage.parse(type: 107, body: le32(250)), .latency(250))
    }

    func testRecordClientLayout() {
        XCTAssertEqual(RecordClientMessage.data(time: 3, data: [1, 2]).encode(), le32(3) + [1, 2])
        XCTAssertEqual(RecordClientMessage.mode(time: 4, mode: 1, data: []).encode(), le32(4) + le16(1))
        XCTAssertEqual(RecordClientMessage.startMark(time: 5).encode(), le32(5))
    }

    func testUnknownIDsAreNotAudioMessages() throws {
        XCTAssertNil(try PlaybackServerMessage.parse(type: 108, body: []))
        XCTAssertNil(try RecordServerMessage.parse(type: 105, body: []))
        XCTAssertNil(try RecordClientMessage.parse(type: 104, body: []))
    }

    func testEveryStrictPrefixOfAFixedBodyIsTruncated() {
        for message in playbackServerSamples {
            let body = message.encode()
            // DATA and MODE end in a data[] that any length satisfies; only their fixed fields are cut.
            let fixed: Int
            switch message {
            case .data: fixed = 4
            case .mode: fixed = 6
            default: fixed = body.count
            }
            for cut in 0..<fixed {
                XCTAssertThrowsError(try PlaybackServerMessage.parse(type: message.type, body: Array(body[0..<cut])), "\(message) cut at \(cut)")
            }
        }
        for message in recordServerSamples {
            let body = message.encode()
            for cut in 0..<body.count {
                XCTAssertThrowsError(try RecordServerMessage.parse(type: message.type, body: Array(body[0..<cut])), "\(message) cut at \(cut)")
            }
        }
    }

    // MARK: - Named rejections

    func testRejectsStartWithTooManyChannels() {
        let body = le32(UInt32(Limits.maxAudioChannels + 1)) + le16(1) + le32(48000) + le32(0)
        assertWireError(try PlaybackServerMessage.parse(type: 103, body: body), .overLimit, channel: "playback", message: "START", field: "channels")
        assertWireError(try RecordServerMessage.parse(type: 101, body: Array(body[0..<10])), .overLimit, channel: "record", message: "START", field: "channels")
    }

    func testRejectsStartWithZeroChannels() {
        let body = le32(0) + le16(1) + le32(48000) + le32(0)
        assertWireError(try PlaybackServerMessage.parse(type: 103, body: body), .overLimit, channel: "playback", message: "START", field: "channels")
    }

    func testRejectsStartWithFrequencyOutsideLimits() {
        for frequency in [UInt32(Limits.minAudioFrequency - 1), UInt32(Limits.maxAudioFrequency + 1), 0, UInt32.max] {
            let body = le32(2) + le16(1) + le32(frequency) + le32(0)
            assertWireError(try PlaybackServerMessage.parse(type: 103, body: body), .overLimit, channel: "playback", message: "START", field: "frequency")
        }
    }

    func testRejectsDataOverLimit() {
        let body = le32(1) + [UInt8](repeating: 0, count: Limits.maxAudioDataSize + 1)
        assertWireError(try PlaybackServerMessage.parse(type: 101, body: body), .overLimit, channel: "playback", message: "DATA", field: "data")
        assertWireError(try RecordClientMessage.parse(type: 101, body: body), .overLimit, channel: "record", message: "DATA", field: "data")
        XCTAssertNotNil(try PlaybackServerMessage.parse(type: 101, body: Array(body.dropLast())), "exactly the limit is accepted")
    }

    func testRejectsModeDataOverLimit() {
        let body = le32(1) + le16(3) + [UInt8](repeating: 0, count: Limits.maxAudioModeDataSize + 1)
        assertWireError(try PlaybackServerMessage.parse(type: 102, body: body), .overLimit, channel: "playback", message: "MODE", field: "data")
    }

    func testRejectsVolumeWithTooManyChannels() {
        let count = Limits.maxAudioChannels + 1
        let body = [UInt8(count)] + (0..<count).flatMap { _ in le16(1) }
        assertWireError(try PlaybackServerMessage.parse(type: 105, body: body), .overLimit, channel: "playback", message: "VOLUME", field: "nchannels")
        assertWireError(try RecordServerMessage.parse(type: 103, body: body), .overLimit, channel: "record", message: "VOLUME", field: "nchannels")
    }

    func testRejectsTrailingBytes() {
        assertWireError(try PlaybackServerMessage.parse(type: 104, body: [0]), .trailingBytes, channel: "playback", message: "STOP", field: "end")
        assertWireError(try PlaybackServerMessage.parse(type: 106, body: [1, 0]), .trailingBytes, channel: "playback", message: "MUTE", field: "end")
        assertWireError(try RecordServerMessage.parse(type: 102, body: [0]), .trailingBytes, channel: "record", message: "STOP", field: "end")
    }
}
