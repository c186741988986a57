import SpiceCodecs
import SpiceWire

/// Counters of one playback channel, for `--stats` and for tests that must know which paths ran.
public struct PlaybackStatistics: Equatable, Sendable {
    /// `DATA` messages played, by how they were coded.
    public var rawPackets: UInt64 = 0
    public var opusPackets: UInt64 = 0
    /// Frames (one sample per channel) handed to the audio buffer.
    public var framesDecoded: UInt64 = 0
    public var starts: UInt64 = 0
    public var stops: UInt64 = 0
    /// Messages dropped, by reason (each also reported as `SessionEvent.audioRejected`).
    /// An Opus packet libopus refused.
    public var rejectedOpusPackets: UInt64 = 0
    /// `DATA` while no stream was started (before `START`, after `STOP`, or after a refused `START` or `MODE`).
    public var dataWithoutStream: UInt64 = 0
    /// `START`s with a format, channel count or rate this client does not play.
    public var rejectedStarts: UInt64 = 0
    /// `MODE`s naming CELT or an unknown coding.
    public var rejectedModes: UInt64 = 0
    /// Messages that did not parse (a length over its limit, a short body): dropped alone.
    public var malformedMessages: UInt64 = 0
    /// Raw `DATA` whose size is not a whole number of frames.
    public var rejectedRawPackets: UInt64 = 0

    public init() {}

    /// Every message dropped, whatever the reason.
    public var rejected: UInt64 {
        self.rejectedOpusPackets + self.dataWithoutStream + self.rejectedStarts + self.rejectedModes + self.malformedMessages + self.rejectedRawPackets
    }
}

/// The playback channel's state: the coding, the stream, the guest's volume.
final class PlaybackChannelState {
    /// `AudioDataMode` of the last accepted `MODE` (raw until one arrives); `invalid` after a refused one.
    var mode = AudioDataMode.raw
    /// The running stream, nil when none (so `DATA` is dropped).
    var format: AudioStreamFormat?
    var decoder: OpusDecoder?
    /// The multimedia time of the last `DATA` played.
    var lastTime: UInt32?
    var volume: [UInt16] = []
    var muted = false
    var latencyMilliseconds: UInt32?
    var statistics = PlaybackStatistics()
    /// Decoder output: room for the longest Opus packet (120 ms at 48 kHz) in stereo.
    var pcm = [Int16](repeating: 0, count: 5760 * AudioLimits.maxStreamChannels)
}

// MARK: - Queries for the application

extension Session {
    /// The buffer between the playback channel and the application's audio output: pull from it
    /// (`read(frames:)`) on any thread. It carries the format of the current stream.
    public var playbackBuffer: AudioBuffer { self.audioOutput }

    public func playbackStatistics(of channel: ChannelID = ChannelID(.playback)) -> PlaybackStatistics? {
        self.channels[channel]?.playback?.statistics
    }

    /// The guest's playback volume per channel (0…65535) and mute, from `VOLUME` and `MUTE`.
    public func playbackVolume(of channel: ChannelID = ChannelID(.playback)) -> (volume: [UInt16], muted: Bool)? {
        guard let state = self.channels[channel]?.playback else { return nil }
        return (state.volume, state.muted)
    }

    /// The multimedia time of the last `DATA` played, for audio/video sync.
    public func playbackTime(of channel: ChannelID = ChannelID(.playback)) -> UInt32? { self.channels[channel]?.playback?.lastTime }

    /// The coding the server uses now (`AudioDataMode`).
    public func playbackMode(of channel: ChannelID = ChannelID(.playback)) -> UInt16? { self.channels[channel]?.playback?.mode }
}

// MARK: - Handling playback messages

extension Session {
    func handlePlayback(type: UInt16, body: [UInt8], on channel: ChannelID, _ actions: inout [SessionAction]) {
        let state: PlaybackChannelState
        if let existing = self.channels[channel]?.playback {
            state = existing
        } else {
            state = PlaybackChannelState()
            self.channels[channel]?.playback = state
        }
        // Only the first playback channel feeds the application's buffer (servers offer one).
        let output: AudioBuffer? = channel.id == 0 ? self.audioOutput : nil
        let message: PlaybackServerMessage
        do throws(SpiceWireError) {
            guard let parsed = try PlaybackServerMessage.parse(type: type, body: body) else {
                actions.append(.event(.ignored(channel, type: type, reason: "unknown playback message")))
                return
            }
            message = parsed
        } catch {
            // One bad audio message costs that message, not the channel: the framing is intact, so
            // the next message is read as usual.
            state.statistics.malformedMessages += 1
            actions.append(.event(.audioRejected(channel, error)))
            return
        }
        switch message {
        case .mode(_, let mode, _):
            switch mode {
            case AudioDataMode.raw, AudioDataMode.opus:
                state.mode = mode
                if let format = state.format { self.startPlayback(format, state, channel, output, &actions, announce: false) }
            default:
                state.mode = AudioDataMode.invalid
                state.format = nil
                state.decoder = nil
                state.statistics.rejectedModes += 1
                actions.append(.event(.audioRejected(channel, Self.playbackError("MODE", "mode",
                    mode == AudioDataMode.celt051 ? "celt 0.5.1 is not supported" : "unknown data mode \(mode)"))))
            }
        case .start(let format, let time):
            state.lastTime = time
            self.startPlayback(format, state, channel, output, &actions, announce: true)
        case .data(let time, let data):
            self.playData(time: time, data, state, channel, output, &actions)
        case .stop:
            state.format = nil
            state.decoder = nil
            state.statistics.stops += 1
            output?.stop()
            actions.append(.event(.audioStopped(channel)))
        case .volume(let volume):
            state.volume = volume
            actions.append(.event(.audioVolume(channel, volume)))
        case .mute(let muted):
            state.muted = muted
            actions.append(.event(.audioMute(channel, muted)))
        case .latency(let milliseconds):
            state.latencyMilliseconds = milliseconds
            output?.setLatency(milliseconds: Int(min(milliseconds, UInt32(Int32.max))))
        }
    }

    /// Checks a `START` (or the stream a new `MODE` applies to) and readies the decoder and the buffer.
    private func startPlayback(_ format: AudioStreamFormat, _ state: PlaybackChannelState, _ channel: ChannelID,
                               _ output: AudioBuffer?, _ actions: inout [SessionAction], announce: Bool) {
        state.format = nil
        state.decoder = nil
        let problem: String?
        if format.format != AudioSampleFormat.s16 {
            problem = "sample format \(format.format) is not s16"
        } else if format.channels > AudioLimits.maxStreamChannels {
            problem = "\(format.channels) channels is more than the \(AudioLimits.maxStreamChannels) this client plays"
        } else if state.mode == AudioDataMode.invalid {
            problem = "no supported data mode was set"
        } else {
            problem = nil
        }
        if let problem {
            state.statistics.rejectedStarts += 1
            actions.append(.event(.audioRejected(channel, Self.playbackError("START", "format", problem))))
            return
        }
        if state.mode == AudioDataMode.opus {
            do throws(CodecError) {
                state.decoder = try OpusDecoder(sampleRate: Int32(format.frequency), channels: Int32(format.channels))
            } catch {
                state.statistics.rejectedStarts += 1
                actions.append(.event(.audioRejected(channel, Self.playbackError("START", "frequency", "\(error)"))))
                return
            }
        }
        state.format = format
        if announce {
            state.statistics.starts += 1
            output?.start(format)
            actions.append(.event(.audioStarted(channel, format)))
        }
    }

    private func playData(time: UInt32, _ data: ArraySlice<UInt8>, _ state: PlaybackChannelState, _ channel: ChannelID,
                          _ output: AudioBuffer?, _ actions: inout [SessionAction]) {
        guard let format = state.format else {
            state.statistics.dataWithoutStream += 1
            actions.append(.event(.audioRejected(channel, Self.playbackError("DATA", "data", "audio data while no stream is started"))))
            return
        }
        state.lastTime = time
        if let decoder = state.decoder {
            var failure: CodecError?
            let frames = data.withUnsafeBytes { packet in
                state.pcm.withUnsafeMutableBufferPointer { pcm -> Int in
                    do throws(CodecError) {
                        let frames = try decoder.decode(packet, into: pcm)
                        output?.write(UnsafeBufferPointer(rebasing: pcm[0..<(frames * format.channels)]))
                        return frames
                    } catch {
                        failure = error
                        return 0
                    }
                }
            }
            if let failure {
                state.statistics.rejectedOpusPackets += 1
                actions.append(.event(.audioRejected(channel, Self.playbackError("DATA", "data", "opus packet of \(data.count) bytes refused: \(failure)"))))
                return
            }
            state.statistics.opusPackets += 1
            state.statistics.framesDecoded += UInt64(frames)
        } else {
            let frameBytes = 2 * format.channels
            guard data.count % frameBytes == 0 else {
                state.statistics.rejectedRawPackets += 1
                actions.append(.event(.audioRejected(channel, Self.playbackError("DATA", "data",
                    "\(data.count) bytes is not a whole number of \(frameBytes)-byte frames"))))
                return
            }
            let samples = data.count / 2
            data.withUnsafeBytes { raw in
                state.pcm.withUnsafeMutableBufferPointer { pcm in
                    // The wire is little-endian; chunked through the scratch buffer so no allocation is made.
                    var done = 0
                    while done < samples {
                        let run = min(samples - done, pcm.count)
                        for i in 0..<run {
                            pcm[i] = Int16(littleEndian: raw.loadUnaligned(fromByteOffset: (done + i) * 2, as: Int16.self))
                        }
                        output?.write(UnsafeBufferPointer(rebasing: pcm[0..<run]))
                        done += run
                    }
                }
            }
            state.statistics.rawPackets += 1
            state.statistics.framesDecoded += UInt64(samples / format.channels)
        }
    }

    static func playbackError(_ message: String, _ field: String, _ detail: String) -> SpiceWireError {
        SpiceWireError(.badValue, channel: "playback", message: message, field: field, detail: detail)
    }
}
