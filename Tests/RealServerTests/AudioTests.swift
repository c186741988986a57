import Foundation
import SpiceClient
import SpiceSession
import SpiceToolSupport
import SpiceWire
import XCTest

/// Playback proved with the guest's own sound card: the Linux guest with `spicetest.audio=1` plays a
/// square wave of 444.4 Hz (18 samples a period at 8 kHz, unsigned 8-bit, 0xC0/0x40) for 1.152 s through
/// AC97 every 5 s (Scripts/build-guest.sh). QEMU resamples it to 48 kHz stereo S16 and sends it as Opus
/// (`playback-compression=on`) or raw PCM (`off`). The test pulls what the client delivers through the
/// application's API and checks the dominant frequency, the level, the length of a whole tone and that it
/// has no gaps.
final class AudioTests: XCTestCase {
    /// The guest's tone: 8000 / 18 Hz, 9216 samples at 8 kHz.
    static let toneHz = 8000.0 / 18
    static let toneSeconds = 9216.0 / 8000

    func testOpusPlaybackDeliversTheGuestsTone() throws {
        try self.checkPlayback(compression: "on", expectedMode: AudioDataMode.opus)
    }

    func testRawPlaybackDeliversTheGuestsTone() throws {
        try self.checkPlayback(compression: "off", expectedMode: AudioDataMode.raw)
    }

    // MARK: - Record

    /// Record proved by the guest's own capture: with `spicetest.record=1` the guest reads 2 s of 8 kHz
    /// U8 mono from AC97's `/dev/dsp` every ~3 s and reports the periods of what it heard (rising
    /// midline crossings and the samples they span). The client pushes a
    /// 440 Hz sine in real time through the application's API while the guest captures.
    func testRecordedOpusToneReachesTheGuest() throws {
        try self.checkRecord(opus: true)
    }

    func testRecordedRawToneReachesTheGuest() throws {
        try self.checkRecord(opus: false)
    }

    private func checkRecord(opus: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let compression = opus ? "opus" : "raw"
        let expectedMode = opus ? AudioDataMode.opus : AudioDataMode.raw
        let server = try LocalServer(arguments: ["--guest", "linux", "--guest-append", "spicetest.record=1", "--wait-ready", "150"])
        defer { server.stop() }
        let serial = GuestSerial(server)
        var configuration = Session.Configuration()
        configuration.audioOpus = opus
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port, session: configuration))
        client.start()
        let audio = client.audio
        var reports: [(rc: Int, samples: Int, rises: Int, span: Int, low: Int, high: Int)] = []
        var pushedFrames = 0
        var streamStarted: Date?
        var phase = 0
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, reports.count < 3, client.isRunning {
            for event in client.poll(timeoutMilliseconds: 10) {
                if case .audioStarted(let id, _) = event, id.type == .record, streamStarted == nil { streamStarted = Date() }
            }
            // Push the tone in real time (100 ms ahead, so scheduling jitter never leaves the server's
            // record buffer empty) once the guest captures.
            if let started = streamStarted, let format = audio.captureFormat {
                let due = Int(Date().timeIntervalSince(started) * Double(format.frequency)) + format.frequency / 10
                if due > pushedFrames {
                    audio.writeAudio(Self.sine(hz: 440, rate: format.frequency, frames: due - pushedFrames, channels: format.channels, phase: phase))
                    phase += due - pushedFrames
                    pushedFrames = due
                }
            }
            for text in serial.newLines() where text.contains("SPICETEST AUDIO record rc=") {
                func value(_ key: String) -> Int? {
                    guard let field = text.split(separator: " ").first(where: { $0.hasPrefix(key + "=") }) else { return nil }
                    return Int(field.dropFirst(key.count + 1))
                }
                if let rc = value("rc"), let n = value("n"), let k = value("rises"), let span = value("span"), let lo = value("min"), let hi = value("max") {
                    reports.append((rc, n, k, span, lo, hi))
                    print("record \(compression): guest captured n=\(n) rises=\(k) span=\(span) min=\(lo) max=\(hi) "
                          + "(\(span > 0 ? 8000 * Double(k) / Double(span) : 0) hz over \(Double(span) / 8000) s of tone)")
                }
            }
        }
        let statistics = try XCTUnwrap(client.session.recordStatistics(), file: file, line: line)
        print("record \(compression): mode \(client.session.recordMode() ?? 0), packets \(statistics.packetsSent), frames \(statistics.framesSent), starts \(statistics.starts)")
        XCTAssertEqual(client.session.recordMode(), expectedMode, file: file, line: line)
        XCTAssertGreaterThan(statistics.packetsSent, 100, file: file, line: line)
        XCTAssertEqual(reports.count, 3, "three captures reported within 90 s", file: file, line: line)
        // The first capture may start before the client's tone does; the later ones are all tone.
        for report in reports.dropFirst() {
            XCTAssertEqual(report.rc, 0, file: file, line: line)
            XCTAssertEqual(report.samples, 16000, file: file, line: line)
            // Periods measured where the tone is: the capture's start-up (the guest opens the device, the
            // server sends START, the client's audio follows) and any stall of the loaded host are silence.
            XCTAssertGreaterThan(report.span, 8000 / 2, "at least 0.5 s of the 2 s capture is tone", file: file, line: line)
            let hz = 8000 * Double(report.rises) / Double(max(1, report.span))
            XCTAssertEqual(hz, 440, accuracy: 440 * 0.05, "guest heard \(hz) hz", file: file, line: line)
            XCTAssertGreaterThan(report.high - report.low, 40, "the tone's level reaches the guest", file: file, line: line)
        }
    }

    /// `spice-headless --audio-out` writes what the client plays: a WAV file with the guest's tone in it.
    func testHeadlessAudioOutWritesTheGuestsToneToAWAVFile() throws {
        let server = try LocalServer(arguments: ["--guest", "linux", "--guest-append", "spicetest.audio=1", "--wait-ready", "150"])
        defer { server.stop() }
        let path = NSTemporaryDirectory() + "spice-audio-\(UUID().uuidString).wav"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The guest plays a tone every 5 s plus its length: 14 s always hold one whole tone.
        let result = try runHeadless(["127.0.0.1", String(server.port), "--seconds", "14", "--audio-out", path], timeout: 60)
        XCTAssertEqual(result.termination, .exited(0), result.stderr + result.stdout)
        XCTAssertTrue(result.stdout.contains("playback:0: audio started: 2 channels, s16, 48000 hz"), result.stdout)
        XCTAssertTrue(result.stdout.contains("written to \(path); underruns 0, overruns 0"), result.stdout)
        let wav = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertGreaterThan(wav.count, 44)
        func u32(_ at: Int) -> Int { Int(wav[at]) | Int(wav[at + 1]) << 8 | Int(wav[at + 2]) << 16 | Int(wav[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(wav[at]) | Int(wav[at + 1]) << 8 }
        XCTAssertEqual(Array(wav[0..<4]), Array("RIFF".utf8))
        XCTAssertEqual(Array(wav[8..<16]), Array("WAVEfmt ".utf8))
        XCTAssertEqual(u16(20), 1, "PCM")
        let channels = u16(22)
        let rate = u32(24)
        XCTAssertEqual(channels, 2)
        XCTAssertEqual(rate, 48000)
        XCTAssertEqual(u16(34), 16)
        XCTAssertEqual(u32(40), wav.count - 44)
        var left: [Int] = []
        for frame in stride(from: 44, to: wav.count - 2 * channels + 1, by: 2 * channels) { left.append(Int(Int16(bitPattern: UInt16(u16(frame))))) }
        let tones = Self.bursts(left, threshold: 2000, minimumGap: rate / 20)
        let longest = try XCTUnwrap(tones.max { $0.count < $1.count }, "no tone in the WAV file")
        XCTAssertEqual(Double(longest.count) / Double(rate), Self.toneSeconds, accuracy: Self.toneSeconds * 0.05)
        let body = Array(longest[(rate / 20)..<(longest.count - rate / 20)])
        XCTAssertEqual(Self.dominantFrequency(body, rate: rate, from: 200, to: 1000, step: 2), Self.toneHz, accuracy: Self.toneHz * 0.05)
    }

    private func checkPlayback(compression: String, expectedMode: UInt16, file: StaticString = #filePath, line: UInt = #line) throws {
        let server = try LocalServer(arguments: ["--guest", "linux", "--guest-append", "spicetest.audio=1", "--wait-ready", "150",
                                                 "--playback-compression", compression])
        defer { server.stop() }
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port))
        client.start()
        let audio = client.audio
        let playback = ChannelID(.playback)
        var pcm: [Int16] = []
        var channels = 2
        var rate = 48000
        var starts = 0
        var stops = 0
        var rejected: [SpiceWireError] = []
        // Two STOPs: at least one tone from its START to its STOP was received whole.
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline, stops < 2, client.isRunning {
            for event in client.poll(timeoutMilliseconds: 20) {
                switch event {
                case .audioStarted(let id, let format) where id == playback:
                    starts += 1
                    channels = format.channels
                    rate = format.frequency
                case .audioStopped(let id) where id == playback: stops += 1
                case .audioRejected(_, let error): rejected.append(error)
                default: break
                }
            }
            // Pull what is buffered, as an audio callback would, without ever reading past it.
            let available = audio.playback.availableFrames
            if available > 0 {
                let (samples, real) = audio.readAudio(frames: available)
                pcm += samples[0..<(real * channels)]
            }
        }
        let statistics = try XCTUnwrap(client.session.playbackStatistics(), file: file, line: line)
        let ring = audio.playback.statistics
        print("audio \(compression): starts \(starts) stops \(stops), \(pcm.count / channels) frames at \(rate) hz x\(channels), "
              + "opus packets \(statistics.opusPackets) raw packets \(statistics.rawPackets), rejected \(statistics.rejected), "
              + "ring: underruns \(ring.underruns) (\(ring.underrunFrames) frames), overruns \(ring.overruns), priming \(ring.primingFrames) frames")
        XCTAssertEqual(stops, 2, "two tones ended within 45 s", file: file, line: line)
        XCTAssertEqual(client.session.playbackMode(), expectedMode, file: file, line: line)
        XCTAssertEqual(rejected, [], file: file, line: line)
        XCTAssertEqual(statistics.rejected, 0, file: file, line: line)
        if expectedMode == AudioDataMode.opus {
            XCTAssertGreaterThan(statistics.opusPackets, 100, file: file, line: line)
            XCTAssertEqual(statistics.rawPackets, 0, file: file, line: line)
        } else {
            XCTAssertGreaterThan(statistics.rawPackets, 100, file: file, line: line)
            XCTAssertEqual(statistics.opusPackets, 0, file: file, line: line)
        }
        XCTAssertEqual(ring.overruns, 0, "nothing was dropped for want of room", file: file, line: line)

        // The left channel, split into tones at stretches of silence longer than 50 ms.
        let left = stride(from: 0, to: pcm.count, by: channels).map { Int(pcm[$0]) }
        let tones = Self.bursts(left, threshold: 2000, minimumGap: rate / 20)
        let longest = try XCTUnwrap(tones.max { $0.count < $1.count }, "no tone in \(left.count) frames", file: file, line: line)
        let seconds = Double(longest.count) / Double(rate)
        print("audio \(compression): \(tones.count) tone(s), longest \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(seconds, Self.toneSeconds, accuracy: Self.toneSeconds * 0.05, "a whole tone, nothing lost", file: file, line: line)

        // Dominant frequency over the tone (its first and last 50 ms left out), by a Goertzel scan.
        let body = Array(longest[(rate / 20)..<(longest.count - rate / 20)])
        let dominant = Self.dominantFrequency(body, rate: rate, from: 200, to: 1000, step: 2)
        print("audio \(compression): dominant \(dominant) hz (played \(String(format: "%.1f", Self.toneHz)) hz)")
        XCTAssertEqual(dominant, Self.toneHz, accuracy: Self.toneHz * 0.05, file: file, line: line)

        // Level: the guest's 0xC0/0x40 square wave is half of full scale, an RMS of about 16384.
        let rms = (body.reduce(0.0) { $0 + Double($1 * $1) } / Double(body.count)).squareRoot()
        print("audio \(compression): rms \(Int(rms))")
        XCTAssertEqual(rms, 16384, accuracy: 16384 * 0.25, file: file, line: line)

        // No gaps inside the tone: a 444 Hz square wave is never near zero for 2 ms; any such stretch must
        // be silence the client counted as an underrun.
        let gapFrames = Self.silentRuns(body, threshold: 2000, longerThan: rate / 500)
        XCTAssertLessThanOrEqual(UInt64(gapFrames), ring.underrunFrames, "gaps inside the tone: \(gapFrames) frames", file: file, line: line)
    }

    /// `frames` frames of a sine at `hz`, starting `phase` frames into it, in every one of `channels`.
    static func sine(hz: Double, rate: Int, frames: Int, channels: Int, phase: Int) -> [Int16] {
        var samples: [Int16] = []
        samples.reserveCapacity(frames * channels)
        for i in 0..<frames {
            let v = Int16(12000 * sin(2 * Double.pi * hz * Double(i + phase) / Double(rate)))
            for _ in 0..<channels { samples.append(v) }
        }
        return samples
    }

    /// The stretches of `samples` above `threshold`, split where it stays below for `minimumGap` samples.
    static func bursts(_ samples: [Int], threshold: Int, minimumGap: Int) -> [[Int]] {
        var result: [[Int]] = []
        var start: Int?
        var lastLoud = 0
        for (i, v) in samples.enumerated() {
            if abs(v) > threshold {
                if start == nil { start = i }
                lastLoud = i
            } else if let s = start, i - lastLoud > minimumGap {
                result.append(Array(samples[s...lastLoud]))
                start = nil
            }
        }
        if let s = start { result.append(Array(samples[s...lastLoud])) }
        return result
    }

    /// The frequency in `from...to` (in `step` Hz) with the most power in `samples` (Goertzel).
    static func dominantFrequency(_ samples: [Int], rate: Int, from: Double, to: Double, step: Double) -> Double {
        var best = (frequency: 0.0, power: -1.0)
        for frequency in stride(from: from, through: to, by: step) {
            let coefficient = 2 * cos(2 * Double.pi * frequency / Double(rate))
            var s1 = 0.0, s2 = 0.0
            for x in samples {
                let s0 = Double(x) + coefficient * s1 - s2
                s2 = s1
                s1 = s0
            }
            let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
            if power > best.power { best = (frequency, power) }
        }
        return best.frequency
    }

    /// Frames in runs of at least `longerThan` samples whose magnitude stays at or below `threshold`.
    static func silentRuns(_ samples: [Int], threshold: Int, longerThan: Int) -> Int {
        var total = 0
        var run = 0
        for v in samples {
            if abs(v) <= threshold {
                run += 1
            } else {
                if run >= longerThan { total += run }
                run = 0
            }
        }
        return total + (run >= longerThan ? run : 0)
    }
}
