import FuzzSupport
import SpiceWire

/// Every SpiceWire parser on arbitrary bytes: the link messages, both framers, the base, main,
/// display, inputs and cursor messages of each framed message (and a cursor's shape checks),
/// sub-message lists. Only a crash, a hang or a leak is a finding;
/// thrown errors are the expected answer to garbage.
@_cdecl("FuzzWire_main")
public func fuzzWireMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzWire(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? LinkHeader.parse(bytes)
    _ = try? LinkReply(body: bytes)
    _ = try? LinkMess(body: bytes)
    _ = try? LinkAuthMechanism.parse(bytes)
    _ = try? LinkResult.parse(bytes)
    for kind in [HeaderKind.mini, HeaderKind.full] {
        var framer = MessageFramer(kind: kind, channel: "fuzz")
        var frames: [Frame] = []
        // Two pieces, split where the first byte says, so partial headers and bodies are exercised.
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        do {
            try framer.feed(Array(bytes[..<split]), into: &frames)
            try framer.feed(Array(bytes[split...]), into: &frames)
        } catch {}
        for frame in frames {
            _ = try? BaseServerMessage.parse(type: frame.type, body: frame.body, channel: "fuzz")
            _ = try? BaseClientMessage.parse(type: frame.type, body: frame.body, channel: "fuzz")
            _ = try? MainServerMessage.parse(type: frame.type, body: frame.body)
            _ = try? MainClientMessage.parse(type: frame.type, body: frame.body)
            _ = try? DisplayClientMessage.parse(type: frame.type, body: frame.body)
            _ = try? DisplayServerMessage.parse(type: frame.type, body: frame.body)
            _ = try? InputsServerMessage.parse(type: frame.type, body: frame.body)
            _ = try? InputsClientMessage.parse(type: frame.type, body: frame.body)
            switch try? CursorServerMessage.parse(type: frame.type, body: frame.body) {
            case .`init`(_, _, _, _, let cursor)?, .set(_, _, let cursor)?:
                _ = try? cursor.checkedShape(message: "SET")
            default:
                break
            }
            _ = try? SubMessageList.parse(frame.body, listOffset: frame.subList, channel: "fuzz")
            _ = try? SubMessageList.parse(frame.body, listOffset: 0, channel: "fuzz")
        }
    }
    return 0
}
