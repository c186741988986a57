/// Tests for the main channel's messages (spice.proto `channel MainChannel`): round trips of all 18 server
/// and all 12 client messages, exact layouts, and what every strict prefix of a body gives.
import SpiceWire
import XCTest

/// A migration target with both strings, NUL-terminated as spice-server sends them.
let sampleTarget = MigrationTarget(port: 5900, securePort: 5901, host: Array("10.0.0.2\0".utf8), certSubject: Array("CN=dst\0".utf8))
/// A migration target without a certificate subject (a null pointer on the wire).
let sampleTargetWithoutSubject = MigrationTarget(port: 5930, securePort: 0, host: Array("dst\0".utf8), certSubject: [])

let sampleInit = MainInit(sessionID: 0xDEAD_BEEF, displayChannelsHint: 1, supportedMouseModes: 3, currentMouseMode: 2,
                          agentConnected: 1, agentTokens: 10, multiMediaTime: 0x0012_3456, ramHint: 0x4000_0000)

/// At least one of every main server message, ids 101–118.
let mainServerSamples: [MainServerMessage] = [
    .migrateBegin(sampleTarget),
    .migrateBegin(sampleTargetWithoutSubject),
    .migrateCancel,
    .`init`(sampleInit),
    .channelsList([]),
    .channelsList([.main, ChannelID(.display, 0), ChannelID(.display, 1), ChannelID(.inputs), ChannelID(.cursor),
                   ChannelID(.playback), ChannelID(ChannelType(rawValue: 42), 3)]),
    .mouseMode(supported: MouseMode.server | MouseMode.client, current: MouseMode.client),
    .multiMediaTime(0xFFFF_FFFF),
    .agentConnected,
    .agentDisconnected(errorCode: 1),
    .agentData((0..<300).map { UInt8(truncatingIfNeeded: $0) }),
    .agentData([]),
    .agentToken(10),
    .migrateSwitchHost(sampleTarget),
    .migrateEnd,
    .name(Array("win10-guest\0".utf8)),
    .name([]),
    .uuid([0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]),
    .agentConnectedTokens(5),
    .migrateBeginSeamless(sampleTarget, sourceVersion: 0x0102_0304),
    .migrateBeginSeamless(sampleTargetWithoutSubject, sourceVersion: 1),
    .migrateDstSeamlessAck,
    .migrateDstSeamlessNack,
]

/// At least one of every main client message, ids 101–112.
let mainClientSamples: [MainClientMessage] = [
    .clientInfo(cacheSize: 0x0102_0304_0506_0708),
    .migrateConnected,
    .migrateConnectError,
    .attachChannels,
    .mouseModeRequest(MouseMode.client),
    .agentStart(tokens: ~0),
    .agentData([0x01, 0x00, 0x00, 0x00, 0xFF]),
    .agentData([]),
    .agentToken(3),
    .migrateEnd,
    .migrateDstDoSeamless(sourceVersion: 2),
    .migrateConnectedSeamless,
    .qualityIndicator([0x05, 0x06]),
]

final class MainMessagesTests: XCTestCase {
    // MARK: - Round trips

    func testSamplesCoverEveryMainMessageID() {
        XCTAssertEqual(Set(mainServerSamples.map(\.type)), Set(101...118))
        XCTAssertEqual(Set(mainClientSamples.map(\.type)), Set(101...112))
    }

    func testEveryMainServerMessageRoundTrips() throws {
        for message in mainServerSamples {
            XCTAssertEqual(try MainServerMessage.parse(type: message.type, body: message.encode()), message)
        }
    }

    func testEveryMainClientMessageRoundTrips() throws {
        for message in mainClientSamples {
            XCTAssertEqual(try MainClientMessage.parse(type: message.type, body: message.encode()), message)
        }
    }

    // MARK: - Exact layouts

    func testInitIsEightWordsInSpiceProtoOrder() throws {
        let body: [UInt8] = [
            0xEF, 0xBE, 0xAD, 0xDE,  // session_id
            0x01, 0x00, 0x00, 0x00,  // display_channels_hint
            0x03, 0x00, 0x00, 0x00,  // supported_mouse_modes
            0x02, 0x00, 0x00, 0x00,  // current_mouse_mode
            0x01, 0x00, 0x00, 0x00,  // agent_connected
            0x0A, 0x00, 0x00, 0x00,  // agent_tokens
            0x56, 0x34, 0x12, 0x00,  // multi_media_time
            0x00, 0x00, 0x00, 0x40,  // ram_hint
        ]
        XCTAssertEqual(body.count, 32)
        XCTAssertEqual(MainServerMessage.`init`(sampleInit).encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 103, body: body), .`init`(sampleInit))
    }

    func testChannelsListIsCountThenTypeIDPairs() throws {
        let body: [UInt8] = [0x03, 0x00, 0x00, 0x00, /* main 0 */ 0x01, 0x00, /* display 0 */ 0x02, 0x00, /* display 1 */ 0x02, 0x01]
        let message = MainServerMessage.channelsList([.main, ChannelID(.display, 0), ChannelID(.display, 1)])
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 104, body: body), message)
    }

    func testMouseModeIsTwoHalfWords() throws {
        let body: [UInt8] = [0x03, 0x00, 0x01, 0x00]
        XCTAssertEqual(MainServerMessage.mouseMode(supported: 3, current: 1).encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 105, body: body), .mouseMode(supported: 3, current: 1))
    }

    func testNameIsCountedBytes() throws {
        let body: [UInt8] = [0x03, 0x00, 0x00, 0x00, 0x76, 0x6D, 0x00]
        XCTAssertEqual(MainServerMessage.name(Array("vm\0".utf8)).encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 113, body: body), .name(Array("vm\0".utf8)))
    }

    func testUUIDIsExactlySixteenBytes() throws {
        let uuid: [UInt8] = Array(0..<16)
        XCTAssertEqual(try MainServerMessage.parse(type: 114, body: uuid), .uuid(uuid))
        assertWireError(try MainServerMessage.parse(type: 114, body: uuid + [0]), .trailingBytes, channel: "main", message: "UUID", field: "end")
    }

    func testMigrateBeginPointsAtStringsAfterTheFixedPart() throws {
        let body: [UInt8] = [
            0x0C, 0x17,              // port 5900
            0x0D, 0x17,              // sport 5901
            0x03, 0x00, 0x00, 0x00,  // host_size
            0x14, 0x00, 0x00, 0x00,  // host_data: offset 20
            0x02, 0x00, 0x00, 0x00,  // cert_subject_size
            0x17, 0x00, 0x00, 0x00,  // cert_subject_data: offset 23
            0x61, 0x2E, 0x62,        // "a.b"
            0x43, 0x4E,              // "CN"
        ]
        let message = MainServerMessage.migrateBegin(MigrationTarget(port: 5900, securePort: 5901, host: Array("a.b".utf8),
                                                                     certSubject: Array("CN".utf8)))
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 101, body: body), message)
        XCTAssertEqual(try MainServerMessage.parse(type: 111, body: body), .migrateSwitchHost(MigrationTarget(
            port: 5900, securePort: 5901, host: Array("a.b".utf8), certSubject: Array("CN".utf8))))
    }

    func testMigrationWithoutCertSubjectSendsANullPointer() throws {
        let body: [UInt8] = [0x2A, 0x17, 0x00, 0x00] + le32(4) + le32(20) + le32(0) + le32(0) + Array("dst\0".utf8)
        XCTAssertEqual(MainServerMessage.migrateBegin(sampleTargetWithoutSubject).encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 101, body: body), .migrateBegin(sampleTargetWithoutSubject))
    }

    func testMigrateBeginSeamlessPutsTheVersionBeforeTheStrings() throws {
        let target = MigrationTarget(port: 1, securePort: 2, host: [0x68], certSubject: [0x73])
        let body: [UInt8] = [0x01, 0x00, 0x02, 0x00] + le32(1) + le32(24) + le32(1) + le32(25)
            + [0x04, 0x03, 0x02, 0x01]  // src_mig_version
            + [0x68, 0x73]
        let message = MainServerMessage.migrateBeginSeamless(target, sourceVersion: 0x0102_0304)
        XCTAssertEqual(message.encode(), body)
        XCTAssertEqual(try MainServerMessage.parse(type: 116, body: body), message)
    }

    func testMigrationStringsMayComeInEitherOrder() throws {
        // Pointers are offsets, so the subject may be written before the host.
        let body: [UInt8] = [0x01, 0x00, 0x02, 0x00] + le32(1) + le32(22) + le32(2) + le32(20) + Array("CNh".utf8)
        XCTAssertEqual(try MainServerMessage.parse(type: 101, body: body),
                       .migrateBegin(MigrationTarget(port: 1, securePort: 2, host: Array("h".utf8), certSubject: Array("CN".utf8))))
    }

    func testClientMessageLayouts() {
        XCTAssertEqual(MainClientMessage.clientInfo(cacheSize: 0x0102_0304_0506_0708).encode(), [8, 7, 6, 5, 4, 3, 2, 1])
        XCTAssertEqual(MainClientMessage.mouseModeRequest(MouseMode.client).encode(), [0x02, 0x00])
        XCTAssertEqual(MainClientMessage.agentStart(tokens: ~0).encode(), [0xFF, 0xFF, 0xFF, 0xFF])
        XCTAssertEqual(MainClientMessage.agentToken(0x0102).encode(), [0x02, 0x01, 0x00, 0x00])
        XCTAssertEqual(MainClientMessage.migrateDstDoSeamless(sourceVersion: 7).encode(), [0x07, 0x00, 0x00, 0x00])
        XCTAssertEqual(MainClientMessage.agentData([1, 2, 3]).encode(), [1, 2, 3])
        XCTAssertEqual(MainClientMessage.attachChannels.encode(), [])
    }

    func testAgentDataUpToItsLimitIsAccepted() throws {
        let chunk = [UInt8](repeating: 0x5A, count: Limits.maxAgentDataChunk)
        XCTAssertEqual(try MainServerMessage.parse(type: 109, body: chunk), .agentData(chunk))
        XCTAssertEqual(try MainClientMessage.parse(type: 107, body: chunk), .agentData(chunk))
    }

    func testChannelsListUpToItsLimitIsAccepted() throws {
        let channels = (0..<Limits.maxChannelsListed).map { ChannelID(.display, UInt8(truncatingIfNeeded: $0)) }
        let body = MainServerMessage.channelsList(channels).encode()
        XCTAssertEqual(try MainServerMessage.parse(type: 104, body: body), .channelsList(channels))
    }

    // MARK: - Drip-feed

    /// What each strict prefix of a `DstInfo`-carrying body gives, with `trailer` fixed bytes after the
    /// 20-byte `DstInfo` (4 for `src_mig_version`).
    private func migrationPrefixOutcome(_ length: Int, target: MigrationTarget, trailer: Int) -> PrefixOutcome<MainServerMessage> {
        let stringsStart = 20 + trailer
        switch length {
        case 0..<2: return .fails(.truncated, field: "port")
        case 2..<4: return .fails(.truncated, field: "sport")
        case 4..<8: return .fails(.truncated, field: "host_size")
        case 8..<12: return .fails(.truncated, field: "host_data")
        case 12..<16: return .fails(.truncated, field: "cert_subject_size")
        case 16..<20: return .fails(.truncated, field: "cert_subject_data")
        // The trailer (MIGRATE_BEGIN_SEAMLESS's src_mig_version) is a fixed field, read before the strings.
        case 20..<stringsStart: return .fails(.truncated, field: "src_mig_version")
        case stringsStart..<(stringsStart + target.host.count): return .fails(.truncated, field: "host_data")
        default: return .fails(.truncated, field: "cert_subject_data")
        }
    }

    func testEveryStrictPrefixOfAMainServerMessageIsRejectedOrAShorterBlob() {
        let initFields = ["session_id", "display_channels_hint", "supported_mouse_modes", "current_mouse_mode",
                          "agent_connected", "agent_tokens", "multi_media_time", "ram_hint"]
        for message in mainServerSamples {
            let expected: (Int) -> PrefixOutcome<MainServerMessage>
            switch message {
            case .migrateBegin(let target), .migrateSwitchHost(let target):
                expected = { self.migrationPrefixOutcome($0, target: target, trailer: 0) }
            case .migrateBeginSeamless(let target, _):
                expected = { self.migrationPrefixOutcome($0, target: target, trailer: 4) }
            case .migrateCancel, .agentConnected, .migrateEnd, .migrateDstSeamlessAck, .migrateDstSeamlessNack:
                expected = { _ in preconditionFailure("an empty body has no strict prefix") }
            case .`init`:
                expected = { .fails(.truncated, field: initFields[$0 / 4]) }
            case .channelsList:
                expected = { length in
                    if length < 4 { return .fails(.truncated, field: "num_of_channels") }
                    return .fails(.truncated, field: (length - 4) % 2 == 0 ? "type" : "id")
                }
            case .mouseMode:
                expected = { $0 < 2 ? .fails(.truncated, field: "supported_modes") : .fails(.truncated, field: "current_mode") }
            case .multiMediaTime:
                expected = { _ in .fails(.truncated, field: "time") }
            case .agentDisconnected:
                expected = { _ in .fails(.truncated, field: "error_code") }
            case .agentData(let data):
                // A trailing data[] blob: a prefix is a shorter, different chunk.
                expected = { .parses(.agentData(Array(data.prefix($0)))) }
            case .agentToken, .agentConnectedTokens:
                expected = { _ in .fails(.truncated, field: "num_tokens") }
            case .name:
                expected = { $0 < 4 ? .fails(.truncated, field: "name_len") : .fails(.truncated, field: "name") }
            case .uuid:
                expected = { _ in .fails(.truncated, field: "uuid") }
            }
            assertEveryStrictPrefix(of: message.encode(), parse: { (b: [UInt8]) throws(SpiceWireError) in
                try MainServerMessage.parse(type: message.type, body: b)
            }, expected: expected, context: "\(message)")
        }
    }

    func testEveryStrictPrefixOfAMainClientMessageIsRejectedOrAShorterBlob() {
        for message in mainClientSamples {
            let expected: (Int) -> PrefixOutcome<MainClientMessage>
            switch message {
            case .clientInfo:
                expected = { _ in .fails(.truncated, field: "cache_size") }
            case .migrateConnected, .migrateConnectError, .attachChannels, .migrateEnd, .migrateConnectedSeamless:
                expected = { _ in preconditionFailure("an empty body has no strict prefix") }
            case .mouseModeRequest:
                expected = { _ in .fails(.truncated, field: "mode") }
            case .agentStart, .agentToken:
                expected = { _ in .fails(.truncated, field: "num_tokens") }
            case .agentData(let data):
                expected = { .parses(.agentData(Array(data.prefix($0)))) }
            case .migrateDstDoSeamless:
                expected = { _ in .fails(.truncated, field: "src_version") }
            case .qualityIndicator(let data):
                expected = { .parses(.qualityIndicator(Array(data.prefix($0)))) }
            }
            assertEveryStrictPrefix(of: message.encode(), parse: { (b: [UInt8]) throws(SpiceWireError) in
                try MainClientMessage.parse(type: message.type, body: b)
            }, expected: expected, context: "\(message)")
        }
    }
}
