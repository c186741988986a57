import SpiceSession
import FuzzSupport
import SpiceWire

/// Returns a fixed 128-byte ticket: the fuzzer targets the protocol, not RSA.
struct FixedTicket: TicketEncryptor {
    func encryptTicket(_ ticket: [UInt8], publicKey: [UInt8]) throws -> [UInt8] { [UInt8](repeating: 7, count: 128) }
}

/// The server side of a successful main-channel link (reply with mini header, then result OK).
let linkPrefix: [UInt8] = {
    let reply = LinkReply(error: .ok, publicKey: [UInt8](repeating: 0, count: Limits.ticketPublicKeySize),
                          commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice,
                                                     CommonCapability.miniHeader]),
                          channelCaps: CapabilitySet())
    return reply.encodeWithHeader() + LinkResult(error: .ok).encode()
}()

/// The whole session state machine on arbitrary server bytes. The first input byte chooses the
/// scenario: even, the bytes are the main channel's whole server stream (link included); odd, the
/// main channel links and the bytes are its data phase, delivered in pieces whose sizes the next
/// bytes choose. Any session actions are fine; a crash, hang or unbounded growth is a finding.
@_cdecl("FuzzSession_main")
public func fuzzSessionMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzSession(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSession(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    guard size > 0 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let session = Session(configuration: .init(password: Password("pw")), encryptor: FixedTicket())
    _ = session.start(now: 0)
    _ = session.connected(.main, now: 0)
    var stream = Array(input.dropFirst())
    if input[0] & 1 == 1 { stream = linkPrefix + stream }
    var offset = 0
    var now: UInt64 = 1
    var opened: [ChannelID] = []
    while offset < stream.count {
        let piece = max(1, Int(stream[offset]) * 4)
        let end = min(stream.count, offset + piece)
        let actions = stream[offset..<end].withUnsafeBytes { session.received(.main, $0, now: now) }
        for case .connect(let id) in actions { opened.append(id) }
        offset = end
        now += 10
    }
    // Channels the stream asked for link too, and get the same bytes.
    for id in opened.prefix(4) {
        _ = session.connected(id, now: now)
        _ = stream.withUnsafeBytes { session.received(id, $0, now: now) }
    }
    _ = session.tick(now: now + 60_000)
    _ = session.disconnect(now: now + 60_001)
    return 0
}
