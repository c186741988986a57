/// The playback and record channels as the session drives them (notes §2.5, §5): the capabilities
/// offered, raw and Opus playback into the bounded audio buffer, volume, mute and latency, bad packets
/// dropped and counted while playback goes on, and record's MODE, START_MARK and DATA from pushed PCM.
import SpiceCodecs
import SpiceSession
import SpiceWire
import XCTest

private func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
private func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16)) }

/// A sine of `hz` at `rate`, `frames` frames of `channels` interleaved channels, at `amplitude`.
func sine(hz: Double, rate: Int, frames: Int, channels: Int, amplitude: Double = 12000, phase: Int = 0) -> [Int16] {
    var samples: [Int16] = []
    samples.reserveCapacity(frames * channels)
    for i in 0..<frames {
        let v = Int16(amplitude * sin(2 * Double.pi * hz * Double(i + phase) / Double(rate)))
        for _ in 0..<channels { samples.append(v) }
    }
    return samples
}

/// The frequency of the first channel of `samples`, from its rising zero crossings.
func zeroCrossingFrequency(_ samples: [Int16], channels: Int, rate: Int) -> Double {
    var rising: [Int] = []
    var previous = samples[0]
    for i in stride(from: channels, to: samples.count, by: channels) {
        if previous < 0 && samples[i] >= 0 { rising.append(i / channels) }
        previous = samples[i]
    }
    guard rising.count >= 2 else { return 0 }
    return Double(rising.count - 1) * Double(rate) / Double(rising.last! - rising.first!)
}

final class SessionAudioTests: XCTestCase {
    let playback = ChannelID(.playback)
    let record = ChannelID(.record)
    let stereo48k = AudioStreamFormat(channels: 2, format: AudioSampleFormat.s16, frequency: 48000)

    private func linked(recordCaps: CapabilitySet = CapabilitySet([RecordCapability.opus, RecordCapability.volume])) -> FakeServer {
        let server = FakeServer()
        server.channelCaps[self.playback] = CapabilitySet([PlaybackCapability.opus, PlaybackCapability.volume, PlaybackCapability.latency])
        server.channelCaps[self.record] = recordCaps
        server.startSession(linking: [self.playback, self.record])
        return server
    }

    @discardableResult
    private func send(_ server: FakeServer, _ message: PlaybackServerMessage) -> Step {
        server.receive(self.playback, server.server(self.playback).message(type: message.type, body: message.encode()))
    }

    @discardableResult
    private func sendRecord(_ server: FakeServer, _ message: RecordServerMessage) -> Step {
        server.receive(self.record, server.server(self.record).message(type: message.type, body: message.encode()))
    }

    private func rejections(_ step: Step) -> [SpiceWireError] {
        step.events.compactMap { if case .audioRejected(_, let error) = $0 { return error } else { return nil } }
    }

    private func rawData(_ samples: [Int16], time: UInt32 = 0) -> PlaybackServerMessage {
        var bytes: [UInt8] = []
        for s in samples { bytes += [UInt8(truncatingIfNeeded: UInt16(bitPattern: s)), UInt8(UInt16(bitPattern: s) >> 8)] }
        return .data(time: time, data: bytes[...])
    }

    private func recordFrames(_ step: Step) throws -> [RecordClientMessage] {
        try step.sent.filter { $0.channel == self.record }.compactMap { entry -> RecordClientMessage? in
            guard case .other(let type, let body) = entry.frame.message else { return nil }
            return try RecordClientMessage.parse(type: type, body: body)
        }
    }

    // MARK: - Capabilities

    func testPlaybackAndRecordAdvertiseOpusVolumeAndLatency() throws {
        let server = self.linked()
        let playbackCaps = try XCTUnwrap(server.server(self.playback).linkRequest).channelCaps
        XCTAssertEqual(playbackCaps.bits, [PlaybackCapability.volume, PlaybackCapability.latency, PlaybackCapability.opus])
        XCTAssertFalse(playbackCaps.contains(PlaybackCapability.celt051))
        XCTAssertEqual(try XCTUnwrap(server.server(self.record).linkRequest).channelCaps.bits, [RecordCapability.volume, RecordCapability.opus])
    }

    // MARK: - Playback

    func testRawPlaybackReachesTheBufferUnchanged() {
        let server = self.linked()
        self.send(server, .mode(time: 0, mode: AudioDataMode.raw, data: []))
        self.send(server, .latency(0))
        let start = self.send(server, .start(self.stereo48k, time: 100))
        XCTAssertEqual(start.events, [.audioStarted(self.playback, self.stereo48k)])
        let pcm = sine(hz: 1000, rate: 48000, frames: 480, channels: 2)
        XCTAssertTrue(self.rejections(self.send(server, self.rawData(pcm, time: 110))).isEmpty)
        XCTAssertEqual(server.session.playbackBuffer.availableFrames, 480)
        let (out, real) = server.session.playbackBuffer.read(frames: 480)
        XCTAssertEqual(real, 480)
        XCTAssertEqual(out, pcm)
        XCTAssertEqual(server.session.playbackTime(of: self.playback), 110)
        XCTAssertEqual(server.session.playbackStatistics()?.rawPackets, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.framesDecoded, 480)
    }

    func testOpusPlaybackDecodesToTheSameTone() throws {
        let server = self.linked()
        self.send(server, .mode(time: 0, mode: AudioDataMode.opus, data: []))
        self.send(server, .start(self.stereo48k, time: 0))
        let encoder = try OpusEncoder(sampleRate: 48000, channels: 2)
        let tone = sine(hz: 444, rate: 48000, frames: 480 * 50, channels: 2)
        for i in 0..<50 {
            let packet = try tone.withUnsafeBufferPointer { try encoder.encode(UnsafeBufferPointer(rebasing: $0[(i * 960)..<((i + 1) * 960)]), frames: 480) }
            XCTAssertTrue(self.rejections(self.send(server, .data(time: UInt32(i * 10), data: packet[...]))).isEmpty)
        }
        XCTAssertEqual(server.session.playbackStatistics()?.opusPackets, 50)
        XCTAssertEqual(server.session.playbackBuffer.availableFrames, 480 * 50)
        let (out, real) = server.session.playbackBuffer.read(frames: 480 * 50)
        XCTAssertEqual(real, 480 * 50)
        // Skip the codec's start-up delay, then the tone must be back at its frequency and level.
        let steady = Array(out[(4800 * 2)...])
        XCTAssertEqual(zeroCrossingFrequency(steady, channels: 2, rate: 48000), 444, accuracy: 444 * 0.02)
        let peak = steady.map { abs(Int($0)) }.max() ?? 0
        XCTAssertGreaterThan(peak, 9000)
        XCTAssertLessThan(peak, 16000)
    }

    func testVolumeMuteLatencyAndStop() {
        let server = self.linked()
        XCTAssertEqual(self.send(server, .volume([100, 200])).events, [.audioVolume(self.playback, [100, 200])])
        XCTAssertEqual(self.send(server, .mute(true)).events, [.audioMute(self.playback, true)])
        XCTAssertEqual(server.session.playbackVolume()?.volume, [100, 200])
        XCTAssertEqual(server.session.playbackVolume()?.muted, true)
        self.send(server, .latency(500))
        XCTAssertEqual(server.session.playbackBuffer.latencyMilliseconds, 500)
        self.send(server, .latency(60_000))
        XCTAssertEqual(server.session.playbackBuffer.latencyMilliseconds, AudioLimits.maxLatencyMilliseconds, "held to the buffer's bound")
        self.send(server, .start(self.stereo48k, time: 0))
        XCTAssertTrue(server.session.playbackBuffer.isStreaming)
        XCTAssertEqual(self.send(server, .stop).events, [.audioStopped(self.playback)])
        XCTAssertFalse(server.session.playbackBuffer.isStreaming)
    }

    func testLatencyIsBufferedBeforePlayback() {
        let server = self.linked()
        self.send(server, .latency(100))
        self.send(server, .start(self.stereo48k, time: 0))
        // 50 ms buffered of the 100 asked for: reads are silent (priming), not underruns.
        self.send(server, self.rawData(sine(hz: 500, rate: 48000, frames: 2400, channels: 2)))
        XCTAssertEqual(server.session.playbackBuffer.read(frames: 480).audioFrames, 0)
        self.send(server, self.rawData(sine(hz: 500, rate: 48000, frames: 2400, channels: 2)))
        XCTAssertEqual(server.session.playbackBuffer.read(frames: 480).audioFrames, 480)
        XCTAssertEqual(server.session.playbackBuffer.statistics.primingFrames, 480)
        XCTAssertEqual(server.session.playbackBuffer.statistics.underruns, 0)
    }

    // MARK: - Bad input: dropped, counted, playback goes on

    func testRejectsOpusPacketLibopusRefuses() {
        let server = self.linked()
        self.send(server, .mode(time: 0, mode: AudioDataMode.opus, data: []))
        self.send(server, .start(self.stereo48k, time: 0))
        // TOC code 3 (arbitrary frame count) with a count byte of 0 frames: an invalid packet.
        let step = self.send(server, .data(time: 0, data: [0x03, 0x00][...]))
        XCTAssertEqual(self.rejections(step).map(\.message), ["DATA"])
        XCTAssertTrue(step.closures.isEmpty, "the channel stays open")
        XCTAssertEqual(server.session.playbackStatistics()?.rejectedOpusPackets, 1)
        XCTAssertEqual(server.session.status(of: self.playback), .linked)
        XCTAssertEqual(server.session.playbackBuffer.availableFrames, 0)
    }

    func testRejectsDataBeforeStart() {
        let server = self.linked()
        self.send(server, .mode(time: 0, mode: AudioDataMode.raw, data: []))
        let step = self.send(server, self.rawData([1, 2, 3, 4]))
        XCTAssertEqual(self.rejections(step).first?.detail, "audio data while no stream is started")
        XCTAssertEqual(server.session.playbackStatistics()?.dataWithoutStream, 1)
        // Playback goes on once the stream starts.
        self.send(server, .start(self.stereo48k, time: 0))
        XCTAssertTrue(self.rejections(self.send(server, self.rawData([1, 2, 3, 4]))).isEmpty)
        XCTAssertEqual(server.session.playbackStatistics()?.rawPackets, 1)
    }

    func testRejectsStartWithUnsupportedFormat() {
        let server = self.linked()
        let step = self.send(server, .start(AudioStreamFormat(channels: 2, format: 7, frequency: 48000), time: 0))
        XCTAssertEqual(self.rejections(step).map(\.field), ["format"])
        XCTAssertFalse(step.events.contains(.audioStarted(self.playback, AudioStreamFormat(channels: 2, format: 7, frequency: 48000))))
        XCTAssertEqual(self.rejections(self.send(server, self.rawData([1, 2]))).count, 1, "no stream, so data is dropped too")
        XCTAssertEqual(server.session.playbackStatistics()?.rejectedStarts, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.dataWithoutStream, 1)
    }

    func testRejectsStartWithTooManyChannels() {
        let server = self.linked()
        // Within the wire limit but more than this client plays.
        let three = self.send(server, .start(AudioStreamFormat(channels: 3, format: 1, frequency: 48000), time: 0))
        XCTAssertEqual(self.rejections(three).map(\.message), ["START"])
        // Over the wire limit: the message does not parse, and is dropped alone.
        let channels: [UInt8] = le32(UInt32(Limits.maxAudioChannels + 1))
        let body: [UInt8] = channels + le16(1) + le32(48000) + le32(0)
        let huge = server.receive(self.playback, server.server(self.playback).message(type: PlaybackServerMessage.ID.start, body: body))
        XCTAssertEqual(self.rejections(huge).map(\.field), ["channels"])
        XCTAssertTrue(huge.closures.isEmpty)
        XCTAssertEqual(server.session.playbackStatistics()?.rejectedStarts, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.malformedMessages, 1)
        XCTAssertEqual(self.send(server, .start(self.stereo48k, time: 0)).events, [.audioStarted(self.playback, self.stereo48k)])
    }

    func testRejectsDataOverTheLimit() {
        let server = self.linked()
        self.send(server, .start(self.stereo48k, time: 0))
        let body: [UInt8] = le32(0) + [UInt8](repeating: 0, count: Limits.maxAudioDataSize + 4)
        let step = server.receive(self.playback, server.server(self.playback).message(type: PlaybackServerMessage.ID.data, body: body))
        XCTAssertEqual(self.rejections(step).map(\.code), [.overLimit])
        XCTAssertTrue(step.closures.isEmpty)
        XCTAssertEqual(server.session.playbackStatistics()?.malformedMessages, 1)
        XCTAssertTrue(self.rejections(self.send(server, self.rawData([5, 6]))).isEmpty, "the next packet plays")
        XCTAssertEqual(server.session.playbackStatistics()?.rawPackets, 1)
    }

    func testRejectsCeltModeAndRawDataOfPartialFrames() {
        let server = self.linked()
        let celt = self.send(server, .mode(time: 0, mode: AudioDataMode.celt051, data: []))
        XCTAssertEqual(self.rejections(celt).first?.detail, "celt 0.5.1 is not supported")
        self.send(server, .mode(time: 0, mode: AudioDataMode.raw, data: []))
        self.send(server, .start(self.stereo48k, time: 0))
        XCTAssertEqual(self.rejections(self.send(server, .data(time: 0, data: [1, 2, 3][...]))).count, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.rejectedModes, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.rejectedRawPackets, 1)
        XCTAssertEqual(server.session.playbackStatistics()?.rejected, 2)
    }

    // MARK: - Record

    func testRecordStartSendsOpusModeAndStartMark() throws {
        let server = self.linked()
        let step = self.sendRecord(server, .start(self.stereo48k))
        XCTAssertEqual(step.events, [.audioStarted(self.record, self.stereo48k)])
        let sent = try self.recordFrames(step)
        XCTAssertEqual(sent.count, 2)
        guard case .mode(_, let mode, let data) = sent[0], case .startMark = sent[1] else {
            return XCTFail("expected MODE then START_MARK, got \(sent)")
        }
        XCTAssertEqual(mode, AudioDataMode.opus)
        XCTAssertEqual(data, [])
        XCTAssertEqual(server.session.recordMode(), AudioDataMode.opus)
    }

    func testRecordSendsOpusPacketsOf480FramesThatDecodeToTheTone() throws {
        let server = self.linked()
        self.sendRecord(server, .start(self.stereo48k))
        let tone = sine(hz: 440, rate: 48000, frames: 480 * 20 + 100, channels: 2)
        let step = server.perform(server.session.writeAudio(tone, now: server.now))
        let packets = try self.recordFrames(step).compactMap { message -> [UInt8]? in
            if case .data(_, let data) = message { return data } else { return nil }
        }
        XCTAssertEqual(packets.count, 20, "the last 100 frames wait for a whole packet")
        XCTAssertTrue(packets.allSatisfy { $0.count <= OpusEncoder.maxPacketBytes })
        let decoder = try OpusDecoder(sampleRate: 48000, channels: 2)
        var decoded: [Int16] = []
        var pcm = [Int16](repeating: 0, count: 960)
        for packet in packets {
            let frames = try packet.withUnsafeBytes { raw in try pcm.withUnsafeMutableBufferPointer { try decoder.decode(raw, into: $0) } }
            XCTAssertEqual(frames, 480, "spice-server decodes record packets into 480 frames")
            decoded += pcm[0..<(frames * 2)]
        }
        XCTAssertEqual(zeroCrossingFrequency(Array(decoded[(1920 * 2)...]), channels: 2, rate: 48000), 440, accuracy: 440 * 0.02)
        XCTAssertEqual(server.session.recordStatistics()?.packetsSent, 20)
    }

    func testRecordSendsRawWhenTheServerHasNoOpusCap() throws {
        let server = self.linked(recordCaps: CapabilitySet([RecordCapability.volume]))
        let mono = AudioStreamFormat(channels: 1, format: 1, frequency: 22050)
        let start = try self.recordFrames(self.sendRecord(server, .start(mono)))
        guard case .mode(_, let mode, _) = start.first else { return XCTFail("no MODE") }
        XCTAssertEqual(mode, AudioDataMode.raw)
        let pcm = (0..<480).map { Int16(truncatingIfNeeded: $0 * 97 - 20000) }
        let sent = try self.recordFrames(server.perform(server.session.writeAudio(pcm, now: server.now)))
        guard case .data(_, let bytes) = sent.first else { return XCTFail("no DATA") }
        XCTAssertEqual(bytes, pcm.flatMap { [UInt8(truncatingIfNeeded: UInt16(bitPattern: $0)), UInt8(UInt16(bitPattern: $0) >> 8)] })
    }

    func testCapturePushedFromTheBufferIsSentOnTick() throws {
        let server = self.linked()
        server.session.captureBuffer.write(sine(hz: 440, rate: 48000, frames: 480, channels: 2))
        XCTAssertTrue(try self.recordFrames(server.tick()).isEmpty, "nothing is sent before the guest captures")
        XCTAssertEqual(server.session.captureBuffer.availableFrames, 0)
        self.sendRecord(server, .start(self.stereo48k))
        server.session.captureBuffer.write(sine(hz: 440, rate: 48000, frames: 960, channels: 2))
        let sent = try self.recordFrames(server.tick())
        XCTAssertEqual(sent.filter { if case .data = $0 { true } else { false } }.count, 2)
    }

    func testRecordStopVolumeMuteAndAudioWhileIdle() throws {
        let server = self.linked()
        XCTAssertEqual(self.sendRecord(server, .volume([7, 8])).events, [.audioVolume(self.record, [7, 8])])
        XCTAssertEqual(self.sendRecord(server, .mute(false)).events, [.audioMute(self.record, false)])
        self.sendRecord(server, .start(self.stereo48k))
        XCTAssertEqual(self.sendRecord(server, .stop).events, [.audioStopped(self.record)])
        XCTAssertTrue(server.session.writeAudio([1, 2, 3, 4], now: server.now).isEmpty)
        XCTAssertEqual(server.session.recordStatistics()?.framesDroppedIdle, 2)
        let bad = self.sendRecord(server, .start(AudioStreamFormat(channels: 4, format: 1, frequency: 48000)))
        XCTAssertEqual(self.rejections(bad).map(\.message), ["START"])
        XCTAssertTrue(try self.recordFrames(bad).isEmpty, "no MODE for a capture this client cannot do")
    }
}

/// The bounded ring between the network and the sink: overflow drops the oldest audio and counts an
/// overrun, a dry read gives silence and counts an underrun.
final class AudioRingTests: XCTestCase {
    let mono8k = AudioStreamFormat(channels: 1, format: 1, frequency: 8000)

    private func ring(latency: Int = 0) -> AudioRing {
        var ring = AudioRing()
        ring.setLatency(milliseconds: latency)
        ring.start(self.mono8k)
        return ring
    }

    private func write(_ ring: inout AudioRing, _ samples: [Int16]) { samples.withUnsafeBufferPointer { ring.write($0) } }

    private func read(_ ring: inout AudioRing, _ frames: Int) -> ([Int16], Int) {
        var out = [Int16](repeating: 99, count: frames)
        let real = out.withUnsafeMutableBufferPointer { ring.read(into: $0) }
        return (out, real)
    }

    func testOverflowDropsTheOldestAndCountsAnOverrun() {
        var ring = self.ring()
        let capacity = ring.capacityFrames
        XCTAssertEqual(capacity, 8000 * AudioLimits.bufferMilliseconds / 1000)
        self.write(&ring, (0..<capacity).map { Int16(truncatingIfNeeded: $0) })
        XCTAssertEqual(ring.statistics.overruns, 0)
        self.write(&ring, [-1, -2, -3])
        XCTAssertEqual(ring.statistics.overruns, 1)
        XCTAssertEqual(ring.statistics.overrunFrames, 3)
        XCTAssertEqual(ring.availableFrames, capacity, "the ring never grows past its capacity")
        let (out, real) = self.read(&ring, capacity)
        XCTAssertEqual(real, capacity)
        XCTAssertEqual(Array(out.prefix(2)), [3, 4], "the three oldest frames went")
        XCTAssertEqual(Array(out.suffix(3)), [-1, -2, -3])
    }

    func testAWriteLargerThanTheRingKeepsItsNewestPart() {
        var ring = self.ring()
        let capacity = ring.capacityFrames
        self.write(&ring, (0..<(capacity + 10)).map { Int16(truncatingIfNeeded: $0) })
        XCTAssertEqual(ring.statistics.overrunFrames, 10)
        XCTAssertEqual(ring.availableFrames, capacity)
        XCTAssertEqual(self.read(&ring, 1).0, [10])
    }

    func testUnderrunGivesSilenceAndIsCounted() {
        var ring = self.ring()
        self.write(&ring, [5, 6, 7])
        let (out, real) = self.read(&ring, 5)
        XCTAssertEqual(out, [5, 6, 7, 0, 0])
        XCTAssertEqual(real, 3)
        XCTAssertEqual(ring.statistics.underruns, 1)
        XCTAssertEqual(ring.statistics.underrunFrames, 2)
    }

    func testDrainingAfterStopIsNotAnUnderrun() {
        var ring = self.ring()
        self.write(&ring, [5, 6])
        ring.stop()
        XCTAssertEqual(self.read(&ring, 4).0, [5, 6, 0, 0])
        XCTAssertEqual(ring.statistics.underruns, 0)
    }

    func testAfterAnUnderrunTheLatencyIsRebuiltBeforePlaying() {
        var ring = self.ring(latency: 10)  // 80 frames at 8 kHz
        self.write(&ring, [Int16](repeating: 1, count: 100))
        XCTAssertEqual(self.read(&ring, 120).1, 100)
        XCTAssertEqual(ring.statistics.underruns, 1)
        self.write(&ring, [Int16](repeating: 2, count: 40))
        XCTAssertEqual(self.read(&ring, 10).1, 0, "40 of 80 frames buffered: still priming")
        self.write(&ring, [Int16](repeating: 2, count: 40))
        XCTAssertEqual(self.read(&ring, 10).1, 10)
        XCTAssertEqual(ring.statistics.underruns, 1)
        XCTAssertEqual(ring.statistics.primingFrames, 10)
    }

    func testWrapAroundKeepsOrder() {
        var ring = self.ring()
        let capacity = ring.capacityFrames
        for round in 0..<5 {
            let chunk = (0..<(capacity * 2 / 3)).map { Int16(truncatingIfNeeded: $0 + round) }
            self.write(&ring, chunk)
            XCTAssertEqual(self.read(&ring, chunk.count).0, chunk, "round \(round)")
        }
        XCTAssertEqual(ring.statistics.overruns, 0)
        XCTAssertEqual(ring.statistics.underruns, 0)
    }
}
