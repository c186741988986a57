/// Tests for the base messages every channel carries (spice.proto `channel BaseChannel`): round trips of
/// every case, exact layouts, and what every strict prefix of a body gives.
import SpiceWire
import XCTest

/// At least one of every server base message, ids 1–8, with edge values.
let baseServerSamples: [BaseServerMessage] = [
    .migrate(flags: 3),
    .migrateData([0x01, 0x02, 0x03, 0xFF]),
    .migrateData([]),
    .setAck(generation: 0x0102_0304, window: 10),
    .ping(Ping(id: 0x0102_0304, timestamp: 0x1122_3344_5566_7788, data: [0xAA, 0xBB, 0xCC])),
    .ping(Ping(id: 1, timestamp: .max)),
    .waitForChannels([]),
    .waitForChannels([WaitForChannel(channel: ChannelID(.display, 1), serial: 42),
                      WaitForChannel(channel: .main, serial: .max)]),
    .disconnecting(timestamp: 0x0102_0304_0506_0708, reason: 5),
    .notify(Notify(timestamp: 99, severity: 2, visibility: 1, what: 7, message: Array("keyboard grabbed".utf8))),
    .notify(Notify(timestamp: 0, severity: 0, visibility: 0, what: 0, message: [])),
    .list(SubMessageList.encode(main: [], subMessages: [(type: 3, body: [1, 0, 0, 0, 2, 0, 0, 0])]).body),
    .list([]),
]

/// At least one of every client base message, ids 1–6.
let baseClientSamples: [BaseClientMessage] = [
    .ackSync(generation: 0xFFFF_FFFF),
    .ack,
    .pong(id: 0x1122_3344, timestamp: 0x0102_0304_0506_0708),
    .migrateFlushMark,
    .migrateData([9, 8, 7]),
    .migrateData([]),
    .disconnecting(timestamp: 1, reason: 2),
]

final class BaseMessagesTests: XCTestCase {
    // MARK: - Round trips

    func testSamplesCoverEveryBaseMessageID() {
        XCTAssertEqual(Set(baseServerSamples.map(\.type)), Set(1...8))
        XCTAssertEqual(Set(baseClientSamples.map(\.type)), Set(1...6))
    }

    func testEveryServerBaseMessageRoundTrips() throws {
        for message in baseServerSamples {
            XCTAssertEqual(try BaseServerMessage.parse(type: message.type, body: message.encode(), channel: "display"), message)
        }
    }

    func testEveryClientBaseMessageRoundTrips() throws {
        for message in baseClientSamples {
            XCTAssertEqual(try BaseClientMessage.parse(type: message.type, body: message.encode(), channel: "inputs"), message)
        }
    }

    // MARK: - Exact layouts

    func testSetAckIsGenerationThenWindow() throws {
        let body: [UInt8] = [0x04, 0x03, 0x02, 0x01, 0x0A, 0x00, 0x00, 0x00]
        XCTAssertEqual(BaseServerMessage.setAck(generation: 0x0102_0304, window: 10).encode(), body)
        XCTAssertEqual(try BaseServerMessage.parse(type: 3, body: body, channel: "main"), .setAck(generation: 0x0102_0304, window: 10))
    }

    func testPongIsTwelveBytesOfIDThenTimestamp() throws {
        let body: [UInt8] = [0x44, 0x33, 0x22, 0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01]
        XCTAssertEqual(BaseClientMessage.pong(id: 0x1122_3344, timestamp: 0x0102_0304_0506_0708).encode(), body)
        XCTAssertEqual(try BaseClientMessage.parse(type: 3, body: body, channel: "main"),
                       .pong(id: 0x1122_3344, timestamp: 0x0102_0304_0506_0708))
    }

    func testAckSyncIsOneWord() {
        XCTAssertEqual(BaseClientMessage.ackSync(generation: 0x0A0B_0C0D).encode(), [0x0D, 0x0C, 0x0B, 0x0A])
        XCTAssertEqual(BaseClientMessage.ack.encode(), [])
        XCTAssertEqual(BaseClientMessage.migrateFlushMark.encode(), [])
    }

    func testPingKeepsItsPaddingApartFromIDAndTimestamp() throws {
        let body: [UInt8] = [0x07, 0, 0, 0, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0xDE, 0xAD]
        XCTAssertEqual(try BaseServerMessage.parse(type: 4, body: body, channel: "main"),
                       .ping(Ping(id: 7, timestamp: 0x8070_6050_4030_2010, data: [0xDE, 0xAD])))
    }

    func testWaitForChannelsIsCountThenTypeIDSerialEntries() throws {
        let message = BaseServerMessage.waitForChannels([WaitForChannel(channel: ChannelID(.display, 1), serial: 0x0102)])
        let body: [UInt8] = [0x01, 0x02, 0x01, 0x02, 0x01, 0, 0, 0, 0, 0, 0]
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try BaseServerMessage.parse(type: 5, body: body, channel: "cursor"), message)
    }

    func testNotifyIsCountedTextFollowedByANul() throws {
        let notify = Notify(timestamp: 0x0102, severity: 1, visibility: 2, what: 3, message: Array("ok".utf8))
        let body: [UInt8] = [0x02, 0x01, 0, 0, 0, 0, 0, 0] + [1, 0, 0, 0] + [2, 0, 0, 0] + [3, 0, 0, 0] + [2, 0, 0, 0]
            + [0x6F, 0x6B] + [0x00]
        XCTAssertEqual(BaseServerMessage.notify(notify).encode(), body)
        XCTAssertEqual(try BaseServerMessage.parse(type: 7, body: body, channel: "main"), .notify(notify))
        XCTAssertEqual(notify.text, "ok")
    }

    func testNotifyWithoutItsNulIsAccepted() throws {
        // Only spice-server appends the NUL; the counted text is the message either way.
        let body = le64(5) + le32(0) + le32(0) + le32(0) + le32(3) + Array("abc".utf8)
        XCTAssertEqual(try BaseServerMessage.parse(type: 7, body: body, channel: "main"),
                       .notify(Notify(timestamp: 5, severity: 0, visibility: 0, what: 0, message: Array("abc".utf8))))
    }

    func testNotifyTextStopsAtAnEmbeddedNul() {
        let notify = Notify(timestamp: 0, severity: 0, visibility: 0, what: 0, message: Array("ab".utf8) + [0] + Array("cd".utf8))
        XCTAssertEqual(notify.text, "ab")
    }

    func testDisconnectingIsTimestampThenReason() {
        XCTAssertEqual(BaseClientMessage.disconnecting(timestamp: 0x0102_0304_0506_0708, reason: 9).encode(),
                       [0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x09, 0, 0, 0])
        XCTAssertEqual(BaseServerMessage.disconnecting(timestamp: 0x0102_0304_0506_0708, reason: 9).encode(),
                       BaseClientMessage.disconnecting(timestamp: 0x0102_0304_0506_0708, reason: 9).encode())
    }

    // MARK: - Drip-feed

    func testEveryStrictPrefixOfAServerBaseMessageIsRejectedOrAShorterBlob() {
        for message in baseServerSamples {
            let body = message.encode()
            let expected: (Int) -> PrefixOutcome<BaseServerMessage>
            switch message {
            case .migrate:
                expected = { _ in .fails(.truncated, field: "flags") }
            case .migrateData(let data):
                // A trailing data[] blob: a prefix is a shorter, different blob.
                expected = { .parses(.migrateData(Array(data.prefix($0)))) }
            case .setAck:
                expected = { $0 < 4 ? .fails(.truncated, field: "generation") : .fails(.truncated, field: "window") }
            case .ping(let ping):
                expected = { length in
                    switch length {
                    case 0..<4: .fails(.truncated, field: "id")
                    case 4..<12: .fails(.truncated, field: "timestamp")
                    default: .parses(.ping(Ping(id: ping.id, timestamp: ping.timestamp, data: Array(ping.data.prefix(length - 12)))))
                    }
                }
            case .waitForChannels:
                expected = { length in
                    if length == 0 { return .fails(.truncated, field: "wait_count") }
                    switch (length - 1) % 10 {
                    case 0: return .fails(.truncated, field: "channel_type")
                    case 1: return .fails(.truncated, field: "channel_id")
                    default: return .fails(.truncated, field: "message_serial")
                    }
                }
            case .disconnecting:
                expected = { $0 < 8 ? .fails(.truncated, field: "time_stamp") : .fails(.truncated, field: "reason") }
            case .notify(let notify):
                expected = { length in
                    switch length {
                    case 0..<8: .fails(.truncated, field: "time_stamp")
                    case 8..<12: .fails(.truncated, field: "severity")
                    case 12..<16: .fails(.truncated, field: "visibility")
                    case 16..<20: .fails(.truncated, field: "what")
                    case 20..<24: .fails(.truncated, field: "message_len")
                    // The NUL after the text is optional, so the prefix that lacks only it is the same message.
                    case body.count - 1: .parses(message)
                    default: .fails(.truncated, field: "message")
                    }
                }
                XCTAssertEqual(body.count, 24 + notify.message.count + 1)
            case .list(let data):
                expected = { .parses(.list(Array(data.prefix($0)))) }
            }
            assertEveryStrictPrefix(of: body, parse: { (b: [UInt8]) throws(SpiceWireError) in
                try BaseServerMessage.parse(type: message.type, body: b, channel: "display")
            }, expected: expected, context: "\(message)")
        }
    }

    func testEveryStrictPrefixOfAClientBaseMessageIsRejectedOrAShorterBlob() {
        for message in baseClientSamples {
            let expected: (Int) -> PrefixOutcome<BaseClientMessage>
            switch message {
            case .ackSync:
                expected = { _ in .fails(.truncated, field: "generation") }
            case .ack, .migrateFlushMark:
                expected = { _ in preconditionFailure("an empty body has no strict prefix") }
            case .pong:
                expected = { $0 < 4 ? .fails(.truncated, field: "id") : .fails(.truncated, field: "timestamp") }
            case .migrateData(let data):
                expected = { .parses(.migrateData(Array(data.prefix($0)))) }
            case .disconnecting:
                expected = { $0 < 8 ? .fails(.truncated, field: "time_stamp") : .fails(.truncated, field: "reason") }
            }
            assertEveryStrictPrefix(of: message.encode(), parse: { (b: [UInt8]) throws(SpiceWireError) in
                try BaseClientMessage.parse(type: message.type, body: b, channel: "inputs")
            }, expected: expected, context: "\(message)")
        }
    }
}
