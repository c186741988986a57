import SpiceWire
import Synchronization

/// The bounds of the audio buffers between the network and the application.
public enum AudioLimits {
    /// How much audio a buffer holds at most, in milliseconds of its stream. Past it the oldest audio is
    /// dropped (an overrun), so a stalled application costs a bounded amount of memory and, once it reads
    /// again, hears recent audio rather than a growing delay.
    public static let bufferMilliseconds = 2000
    /// The latency kept when the server asks for none (spice-gtk's `SPICE_PLAYBACK_DEFAULT_LATENCY_MS`).
    public static let defaultLatencyMilliseconds = 200
    /// The most buffering a `LATENCY` message may ask for; larger requests are held to it, so the buffer
    /// (twice this) never has to wait for more audio than it can hold.
    public static let maxLatencyMilliseconds = bufferMilliseconds / 2
    /// Channels this client plays or captures: mono and stereo (what Opus and every SPICE server handle).
    public static let maxStreamChannels = 2
}

/// Counters of one audio buffer.
public struct AudioRingStatistics: Equatable, Sendable {
    /// Frames (one sample per channel) written and read.
    public var framesWritten: UInt64 = 0
    public var framesRead: UInt64 = 0
    /// Times the buffer was full and old audio was dropped, and how many frames went.
    public var overruns: UInt64 = 0
    public var overrunFrames: UInt64 = 0
    /// Times a read during a stream found the buffer empty before the stream's audio, and the silent frames it got.
    public var underruns: UInt64 = 0
    public var underrunFrames: UInt64 = 0
    /// Silent frames read while the buffer filled up to the latency (after a start or an underrun).
    public var primingFrames: UInt64 = 0

    public init() {}
}

/// A bounded ring of interleaved signed 16-bit samples: written by the network side, read by the sink.
///
/// A full ring drops its oldest audio (an overrun); a read from a ring that ran dry during a stream gets
/// silence (an underrun), after which reads stay silent until the latency's worth is buffered again, so
/// playback resumes with the margin the server asked for instead of stuttering frame by frame.
/// A value type with no locking: `AudioBuffer` shares one between threads.
public struct AudioRing: Sendable {
    public private(set) var format: AudioStreamFormat?
    public private(set) var statistics = AudioRingStatistics()
    private var storage: [Int16] = []
    /// Index in `storage` of the oldest sample, and the number of samples held.
    private var head = 0
    private var count = 0
    /// A stream is running (between START and STOP): running dry is an underrun.
    public private(set) var streaming = false
    /// Reads are silent until `latencyFrames` are buffered.
    private var priming = false
    public private(set) var latencyMilliseconds = AudioLimits.defaultLatencyMilliseconds

    public init() {}

    /// Frames the ring can hold: `AudioLimits.bufferMilliseconds` of the current stream.
    public var capacityFrames: Int { self.storage.count / max(1, self.format?.channels ?? 1) }

    /// Frames buffered now.
    public var availableFrames: Int { self.count / max(1, self.format?.channels ?? 1) }

    private var latencyFrames: Int {
        guard let format = self.format else { return 0 }
        return min(self.capacityFrames, format.frequency * self.latencyMilliseconds / 1000)
    }

    /// A stream starts in `format`. A new format drops what was buffered (it cannot be played in the new one).
    public mutating func start(_ format: AudioStreamFormat) {
        if format != self.format {
            self.format = format
            let frames = format.frequency * AudioLimits.bufferMilliseconds / 1000
            self.storage = [Int16](repeating: 0, count: frames * format.channels)
            self.head = 0
            self.count = 0
        }
        self.streaming = true
        self.priming = true
    }

    /// The stream ended: what is buffered still plays, and running dry is not an underrun.
    public mutating func stop() {
        self.streaming = false
        self.priming = false
    }

    /// The buffering to keep before playing (the server's `LATENCY`), held to `AudioLimits.maxLatencyMilliseconds`.
    public mutating func setLatency(milliseconds: Int) {
        self.latencyMilliseconds = max(0, min(milliseconds, AudioLimits.maxLatencyMilliseconds))
    }

    /// Appends whole frames of `samples` (interleaved in the ring's format); when they do not fit, the
    /// oldest frames are dropped and an overrun is counted. Samples before `start` are ignored.
    public mutating func write(_ samples: UnsafeBufferPointer<Int16>) {
        guard let format = self.format, !self.storage.isEmpty else { return }
        let channels = format.channels
        var input = UnsafeBufferPointer(rebasing: samples[0..<(samples.count / channels * channels)])
        guard !input.isEmpty else { return }
        self.statistics.framesWritten += UInt64(input.count / channels)
        let capacity = self.storage.count
        var droppedSamples = 0
        if input.count > capacity {
            // More than the whole ring in one write: only its newest part can stay.
            droppedSamples += input.count - capacity
            input = UnsafeBufferPointer(rebasing: input[(input.count - capacity)...])
        }
        let overflow = self.count + input.count - capacity
        if overflow > 0 {
            droppedSamples += overflow
            self.head = (self.head + overflow) % capacity
            self.count -= overflow
        }
        if droppedSamples > 0 {
            self.statistics.overruns += 1
            self.statistics.overrunFrames += UInt64(droppedSamples / channels)
        }
        self.storage.withUnsafeMutableBufferPointer { ring in
            var tail = (self.head + self.count) % capacity
            var done = 0
            while done < input.count {
                let run = min(input.count - done, capacity - tail)
                (ring.baseAddress! + tail).update(from: input.baseAddress! + done, count: run)
                done += run
                tail = (tail + run) % capacity
            }
        }
        self.count += input.count
        if self.priming && self.availableFrames >= self.latencyFrames { self.priming = false }
    }

    /// Fills `output` with `output.count / channels` frames: buffered audio first, silence for the rest.
    /// Returns the frames of real audio. Silence during a stream is counted (priming or underrun).
    public mutating func read(into output: UnsafeMutableBufferPointer<Int16>) -> Int {
        guard let format = self.format, !self.storage.isEmpty else {
            output.update(repeating: 0)
            return 0
        }
        let channels = format.channels
        let wanted = output.count / channels * channels
        var given = 0
        if !self.priming {
            given = min(wanted, self.count)
            let capacity = self.storage.count
            self.storage.withUnsafeBufferPointer { ring in
                var done = 0
                while done < given {
                    let run = min(given - done, capacity - self.head)
                    (output.baseAddress! + done).update(from: ring.baseAddress! + self.head, count: run)
                    done += run
                    self.head = (self.head + run) % capacity
                }
            }
            self.count -= given
            self.statistics.framesRead += UInt64(given / channels)
        }
        if given < output.count {
            UnsafeMutableBufferPointer(rebasing: output[given...]).update(repeating: 0)
        }
        let silent = UInt64((wanted - given) / channels)
        if silent > 0 && self.streaming {
            if self.priming {
                self.statistics.primingFrames += silent
            } else {
                self.statistics.underruns += 1
                self.statistics.underrunFrames += silent
                self.priming = self.latencyFrames > 0
            }
        }
        return given / channels
    }
}

/// One `AudioRing` shared between the network side and the application's audio thread.
///
/// Threading: every method is safe from any thread (a mutex guards the ring); this is the one session
/// object the application may touch off the polling thread, so that an audio callback (Android's
/// `AudioTrack`, AAudio) can pull samples directly.
public final class AudioBuffer: Sendable {
    private let ring: Mutex<AudioRing>

    /// A buffer that keeps `latencyMilliseconds` of audio before it plays (until a `LATENCY` says otherwise).
    public init(latencyMilliseconds: Int = AudioLimits.defaultLatencyMilliseconds) {
        var ring = AudioRing()
        ring.setLatency(milliseconds: latencyMilliseconds)
        self.ring = Mutex(ring)
    }

    /// The format of the current (or last) stream, nil before the first `START`.
    public var format: AudioStreamFormat? { self.ring.withLock { $0.format } }

    public var statistics: AudioRingStatistics { self.ring.withLock { $0.statistics } }

    /// Frames buffered now.
    public var availableFrames: Int { self.ring.withLock { $0.availableFrames } }

    /// Whether a stream is running (between START and STOP).
    public var isStreaming: Bool { self.ring.withLock { $0.streaming } }

    public var latencyMilliseconds: Int { self.ring.withLock { $0.latencyMilliseconds } }

    /// Reads `frames` frames in the current format: buffered audio, then silence. Returns the samples
    /// (always `frames × channels`, empty before the first `START`) and how many frames were real audio.
    public func read(frames: Int) -> (samples: [Int16], audioFrames: Int) {
        self.ring.withLock { ring in
            guard let format = ring.format, frames > 0 else { return ([], 0) }
            let count = min(frames, ring.capacityFrames) * format.channels
            var samples = [Int16](repeating: 0, count: count)
            let real = samples.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            return (samples, real)
        }
    }

    /// Reads into `output` (interleaved, in the current format): buffered audio, then silence. Returns
    /// the frames of real audio. For callers that own their buffer (the C surface).
    public func read(into output: UnsafeMutableBufferPointer<Int16>) -> Int {
        self.ring.withLock { $0.read(into: output) }
    }

    /// Appends interleaved samples in the current format (the microphone side of `Session.captureBuffer`).
    /// Samples written while no stream is started are ignored; a full buffer drops its oldest audio.
    public func write(_ samples: [Int16]) { samples.withUnsafeBufferPointer { self.write($0) } }

    func start(_ format: AudioStreamFormat) { self.ring.withLock { $0.start(format) } }
    func stop() { self.ring.withLock { $0.stop() } }
    func setLatency(milliseconds: Int) { self.ring.withLock { $0.setLatency(milliseconds: milliseconds) } }
    func write(_ samples: UnsafeBufferPointer<Int16>) { self.ring.withLock { $0.write(samples) } }
}
