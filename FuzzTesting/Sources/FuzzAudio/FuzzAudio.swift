import FuzzSupport
import SpiceSession
import SpiceWire

/// Returns a fixed 128-byte ticket: the fuzzer targets the protocol, not RSA.
struct FixedTicket: TicketEncryptor {
    func encryptTicket(_ ticket: [UInt8], publicKey: [UInt8]) throws -> [UInt8] { [UInt8](repeating: 7, count: 128) }
}

/// The server side of a successful link with the mini header and `caps` as channel capabilities.
func linkBytes(_ caps: CapabilitySet) -> [UInt8] {
    let reply = LinkReply(error: .ok, publicKey: [UInt8](repeating: 0, count: Limits.ticketPublicKeySize),
                          commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice,
                                                     CommonCapability.miniHeader]),
                          channelCaps: caps)
    return reply.encodeWithHeader() + LinkResult(error: .ok).encode()
}

func framed(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
    var encoder = MessageEncoder(kind: .mini)
    var bytes: [UInt8] = []
    encoder.append(type: type, body: body, to: &bytes)
    return bytes
}

let playback = ChannelID(.playback)
let record = ChannelID(.record)

/// The playback and record channels on arbitrary server bytes, and their message parsers alone.
///
/// Byte 0 chooses: bit 0, playback (0) or record (1) receives the stream; bit 1, the stream is preceded
/// by a MODE(OPUS) and START(48 kHz stereo) so Opus packets reach libopus; bit 2, the server offers no
/// OPUS capability. The rest is the channel's data phase, delivered in pieces whose sizes its own bytes
/// choose; between pieces the application pulls playback audio and pushes capture audio. Any actions
/// and events are fine; a crash, hang or unbounded growth is a finding.
@_cdecl("FuzzAudio_main")
public func fuzzAudioMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzAudio(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAudio(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let body = Array(input.dropFirst())

    // The parsers alone, on every message id.
    for type in UInt16(101)...108 {
        _ = try? PlaybackServerMessage.parse(type: type, body: body)
        _ = try? RecordServerMessage.parse(type: type, body: body)
        _ = try? RecordClientMessage.parse(type: type, body: body)
    }

    let session = Session(configuration: .init(password: Password("pw")), encryptor: FixedTicket())
    _ = session.start(now: 0)
    _ = session.connected(.main, now: 0)
    let initMessage = MainServerMessage.`init`(MainInit(
        sessionID: 1, displayChannelsHint: 1, supportedMouseModes: 1, currentMouseMode: 1, agentConnected: 0,
        agentTokens: 0, multiMediaTime: 1000, ramHint: 0))
    let list = MainServerMessage.channelsList([playback, record])
    let main = linkBytes(CapabilitySet()) + framed(initMessage.type, initMessage.encode()) + framed(list.type, list.encode())
    _ = main.withUnsafeBytes { session.received(.main, $0, now: 1) }
    let opus = input[0] & 4 == 0
    for id in [playback, record] {
        _ = session.connected(id, now: 1)
        let caps = id == playback
            ? CapabilitySet(opus ? [PlaybackCapability.opus, PlaybackCapability.volume] : [PlaybackCapability.volume])
            : CapabilitySet(opus ? [RecordCapability.opus] : [])
        _ = linkBytes(caps).withUnsafeBytes { session.received(id, $0, now: 1) }
    }
    let target = input[0] & 1 == 0 ? playback : record
    var stream: [UInt8] = []
    if input[0] & 2 != 0 {
        let format = AudioStreamFormat(channels: 2, format: AudioSampleFormat.s16, frequency: 48000)
        if target == playback {
            stream += framed(PlaybackServerMessage.ID.mode, PlaybackServerMessage.mode(time: 0, mode: AudioDataMode.opus, data: []).encode())
            stream += framed(PlaybackServerMessage.ID.start, PlaybackServerMessage.start(format, time: 0).encode())
        } else {
            stream += framed(RecordServerMessage.ID.start, RecordServerMessage.start(format).encode())
        }
    }
    stream += body
    var offset = 0
    var now: UInt64 = 2
    let capture = [Int16](repeating: 1000, count: 960)
    while offset < stream.count {
        let piece = max(1, Int(stream[offset]) * 8)
        let end = min(stream.count, offset + piece)
        _ = stream[offset..<end].withUnsafeBytes { session.received(target, $0, now: now) }
        offset = end
        now += 10
        _ = session.playbackBuffer.read(frames: 256)
        session.captureBuffer.write(capture)
        _ = session.writeAudio(capture, now: now)
        _ = session.tick(now: now)
    }
    _ = session.disconnect(now: now + 1)
    return 0
}
