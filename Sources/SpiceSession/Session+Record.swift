import SpiceCodecs
import SpiceWire

/// Counters of one record channel.
public struct RecordStatistics: Equatable, Sendable {
    public var starts: UInt64 = 0
    public var stops: UInt64 = 0
    /// `DATA` messages sent, and the frames they carried.
    public var packetsSent: UInt64 = 0
    public var framesSent: UInt64 = 0
    /// Frames the application pushed while the guest was not capturing (dropped).
    public var framesDroppedIdle: UInt64 = 0
    /// `START`s with a format or channel count this client does not capture, and messages that did not parse.
    public var rejectedStarts: UInt64 = 0
    public var malformedMessages: UInt64 = 0
    /// Frames Opus could not encode (dropped).
    public var encodeFailures: UInt64 = 0

    public init() {}
}

/// The record channel's state: the capture the guest asked for and the PCM not sent yet.
final class RecordChannelState {
    var format: AudioStreamFormat?
    /// The channel count of the last accepted `START`, to count frames pushed while not capturing.
    var lastChannels = 1
    /// `AudioDataMode` chosen at `START`: Opus when the server has `RECORD_CAP_OPUS` and the rate suits it.
    var mode = AudioDataMode.raw
    var encoder: OpusEncoder?
    /// Samples pushed but short of a whole frame.
    var pending: [Int16] = []
    var volume: [UInt16] = []
    var muted = false
    var statistics = RecordStatistics()
}

/// The framing of captured audio.
public enum RecordLimits {
    /// Frames per record `DATA`: 480, which is 10 ms at 48 kHz. spice-server decodes an Opus record packet
    /// into a buffer of 480 stereo frames (`SND_CODEC_MAX_FRAME_SIZE`), so a 20 ms packet at 48 kHz would
    /// be refused by the server; 480 frames is 20 ms at 24 kHz. Raw data is cut the same way.
    public static let framesPerPacket = 480
}

// MARK: - Queries and the application's microphone

extension Session {
    /// The buffer the application writes captured PCM into (any thread), in `recordFormat`'s layout.
    /// The session sends it from `tick`.
    public var captureBuffer: AudioBuffer { self.audioInput }

    /// The capture format the guest asked for (record `START`), nil while it is not capturing.
    public func recordFormat(of channel: ChannelID = ChannelID(.record)) -> AudioStreamFormat? {
        self.channels[channel]?.record?.format
    }

    public func recordStatistics(of channel: ChannelID = ChannelID(.record)) -> RecordStatistics? {
        self.channels[channel]?.record?.statistics
    }

    /// The coding chosen for captured audio (`AudioDataMode`).
    public func recordMode(of channel: ChannelID = ChannelID(.record)) -> UInt16? { self.channels[channel]?.record?.mode }

    /// Sends captured PCM (interleaved S16 in `recordFormat`): Opus-encoded or raw, in packets of
    /// `RecordLimits.framesPerPacket` frames; a partial frame waits for the next call. Audio pushed while
    /// the guest is not capturing is dropped and counted.
    public func writeAudio(_ samples: [Int16], now: UInt64, channel: ChannelID = ChannelID(.record)) -> [SessionAction] {
        var actions: [SessionAction] = []
        samples.withUnsafeBufferPointer { self.sendCapture($0, channel, now: now, &actions) }
        return actions
    }

    /// Sends what the application put in `captureBuffer` since the last call (from `tick`).
    func tickRecord(now: UInt64, _ actions: inout [SessionAction]) {
        let channel = ChannelID(.record)
        guard let format = self.channels[channel]?.record?.format, self.channels[channel]?.status == .linked else {
            // Nothing to send to: whatever was pushed is dropped, counted by the buffer's reads.
            let stale = self.audioInput.availableFrames
            if stale > 0 {
                _ = self.audioInput.read(frames: stale)
                self.channels[channel]?.record?.statistics.framesDroppedIdle += UInt64(stale)
            }
            return
        }
        let frames = self.audioInput.availableFrames
        guard frames > 0 else { return }
        let (samples, real) = self.audioInput.read(frames: frames)
        samples.withUnsafeBufferPointer { self.sendCapture(UnsafeBufferPointer(rebasing: $0[0..<(real * format.channels)]), channel, now: now, &actions) }
    }

    private func sendCapture(_ samples: UnsafeBufferPointer<Int16>, _ channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        guard let state = self.channels[channel]?.record, let format = state.format else {
            if let state = self.channels[channel]?.record {
                state.statistics.framesDroppedIdle += UInt64(samples.count / state.lastChannels)
            }
            return
        }
        let channels = format.channels
        let packetSamples = RecordLimits.framesPerPacket * channels
        state.pending.append(contentsOf: samples)
        var sent = 0
        while state.pending.count - sent >= packetSamples {
            let time = self.multiMediaTime(now: now) ?? UInt32(truncatingIfNeeded: now)
            let body: [UInt8]
            if let encoder = state.encoder {
                var failure: CodecError?
                let packet = state.pending.withUnsafeBufferPointer { all -> [UInt8] in
                    do throws(CodecError) {
                        return try encoder.encode(UnsafeBufferPointer(rebasing: all[sent..<(sent + packetSamples)]), frames: RecordLimits.framesPerPacket)
                    } catch {
                        failure = error
                        return []
                    }
                }
                sent += packetSamples
                if failure != nil {
                    state.statistics.encodeFailures += UInt64(RecordLimits.framesPerPacket)
                    continue
                }
                body = packet
            } else {
                var bytes = [UInt8](repeating: 0, count: packetSamples * 2)
                for i in 0..<packetSamples {
                    let v = UInt16(bitPattern: state.pending[sent + i])
                    bytes[2 * i] = UInt8(truncatingIfNeeded: v)
                    bytes[2 * i + 1] = UInt8(truncatingIfNeeded: v >> 8)
                }
                sent += packetSamples
                body = bytes
            }
            let message = RecordClientMessage.data(time: time, data: body)
            self.send(type: message.type, body: message.encode(), on: channel, &actions)
            state.statistics.packetsSent += 1
            state.statistics.framesSent += UInt64(RecordLimits.framesPerPacket)
        }
        state.pending.removeFirst(sent)
    }

    // MARK: - Handling record messages

    func handleRecord(type: UInt16, body: [UInt8], on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) {
        let state: RecordChannelState
        if let existing = self.channels[channel]?.record {
            state = existing
        } else {
            state = RecordChannelState()
            self.channels[channel]?.record = state
        }
        let message: RecordServerMessage
        do throws(SpiceWireError) {
            guard let parsed = try RecordServerMessage.parse(type: type, body: body) else {
                actions.append(.event(.ignored(channel, type: type, reason: "unknown record message")))
                return
            }
            message = parsed
        } catch {
            state.statistics.malformedMessages += 1
            actions.append(.event(.audioRejected(channel, error)))
            return
        }
        switch message {
        case .start(let format):
            state.format = nil
            state.encoder = nil
            state.pending = []
            guard format.format == AudioSampleFormat.s16, format.channels <= AudioLimits.maxStreamChannels else {
                state.statistics.rejectedStarts += 1
                let detail = format.format != AudioSampleFormat.s16
                    ? "sample format \(format.format) is not s16"
                    : "\(format.channels) channels is more than the \(AudioLimits.maxStreamChannels) this client captures"
                actions.append(.event(.audioRejected(channel, SpiceWireError(.badValue, channel: "record", message: "START", field: "format", detail: detail))))
                return
            }
            state.mode = AudioDataMode.raw
            if self.configuration.audioOpus, self.channels[channel]?.info?.channelCaps.contains(RecordCapability.opus) == true,
               let encoder = try? OpusEncoder(sampleRate: Int32(format.frequency), channels: Int32(format.channels)) {
                state.encoder = encoder
                state.mode = AudioDataMode.opus
            }
            state.format = format
            state.lastChannels = format.channels
            state.statistics.starts += 1
            if channel.id == 0 { self.audioInput.start(format) }
            // The server learns the coding and the start time before the first DATA.
            let time = self.multiMediaTime(now: now) ?? UInt32(truncatingIfNeeded: now)
            let mode = RecordClientMessage.mode(time: time, mode: state.mode, data: [])
            self.send(type: mode.type, body: mode.encode(), on: channel, &actions)
            let mark = RecordClientMessage.startMark(time: time)
            self.send(type: mark.type, body: mark.encode(), on: channel, &actions)
            actions.append(.event(.audioStarted(channel, format)))
        case .stop:
            state.format = nil
            state.encoder = nil
            state.pending = []
            state.statistics.stops += 1
            if channel.id == 0 { self.audioInput.stop() }
            actions.append(.event(.audioStopped(channel)))
        case .volume(let volume):
            state.volume = volume
            actions.append(.event(.audioVolume(channel, volume)))
        case .mute(let muted):
            state.muted = muted
            actions.append(.event(.audioMute(channel, muted)))
        }
    }
}
