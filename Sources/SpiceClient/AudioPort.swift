import SpiceSession
import SpiceWire

/// The application's audio side of a client: pull decoded playback audio, push captured audio.
///
/// Threading: `Sendable`, and every call is safe from any thread, so an audio callback (Android's
/// `AudioTrack`/`AudioRecord` pumps, AAudio) can use it directly while another thread polls.
public struct AudioPort: Sendable {
    /// Decoded playback audio (interleaved S16 in `playbackFormat`), filled by `SpiceClient.poll`.
    public let playback: AudioBuffer
    /// Captured audio for the guest (interleaved S16 in the record channel's format), sent by `poll`.
    public let capture: AudioBuffer
    let wakePipe: WakePipe

    init(session: Session, wakePipe: WakePipe) {
        self.playback = session.playbackBuffer
        self.capture = session.captureBuffer
        self.wakePipe = wakePipe
    }

    /// The format of the current (or last) playback stream; nil before the first playback `START`.
    public var playbackFormat: AudioStreamFormat? { self.playback.format }

    /// Reads `frames` frames of playback audio: what is buffered, then silence (counted as an underrun
    /// while a stream runs). Returns `frames × channels` samples (none before the first `START`) and
    /// how many frames were real audio.
    public func readAudio(frames: Int) -> (samples: [Int16], audioFrames: Int) { self.playback.read(frames: frames) }

    /// The capture format the guest asked for; nil until the record channel's first `START`.
    public var captureFormat: AudioStreamFormat? { self.capture.format }

    /// Queues captured audio (interleaved S16 in `captureFormat`) and wakes the poll loop, which sends it
    /// Opus-encoded (or raw) in 480-frame packets. Audio written while the guest is not capturing is dropped.
    public func writeAudio(_ samples: [Int16]) {
        self.capture.write(samples)
        self.wakePipe.wake()
    }
}
