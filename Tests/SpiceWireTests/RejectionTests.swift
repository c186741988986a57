/// One named test per limit or rule in `Limits.swift` and the parsers: each proves the bad input is refused
/// with the right code, and that the error names the channel, message and field at fault.
import SpiceWire
import XCTest

final class RejectionTests: XCTestCase {
    // MARK: - Framing

    func testRejectsBodySizeOverLimit() throws {
        let size = UInt32(Limits.maxMessageBodySize + 1)
        let headers: [(HeaderKind, [UInt8])] = [
            (.full, le64(1) + le16(BaseServerMessage.ID.ping) + le32(size) + le32(0)),
            (.mini, le16(BaseServerMessage.ID.ping) + le32(size)),
        ]
        for (kind, header) in headers {
            var framer = MessageFramer(kind: kind, channel: "display")
            var frames: [Frame] = []
            // Every byte but the header's last is waited for; the last one makes the size known and refused,
            // before a single body byte has arrived or been reserved.
            for byte in header.dropLast() { try framer.feed([byte], into: &frames) }
            assertWireError(try framer.feed([header.last!], into: &frames),
                            .overLimit, channel: "display", message: "DataHeader", field: "size")
            XCTAssertEqual(frames, [], "\(kind)")
        }
    }

    func testAcceptsBodySizeAtTheLimit() throws {
        let size = UInt32(Limits.maxMessageBodySize)
        var framer = MessageFramer(kind: .mini, channel: "display")
        var frames: [Frame] = []
        try framer.feed(le16(BaseServerMessage.ID.migrateData) + le32(size) + [0xAB], into: &frames)
        XCTAssertEqual(frames, [])
        XCTAssertEqual(framer.bufferedBytes, HeaderKind.mini.size + 1, "the body is being collected")
        XCTAssertFalse(framer.isAtMessageBoundary)
    }

    func testRejectsSubListOffsetPastBody() throws {
        for subList: UInt32 in [10, 11, .max] {
            var framer = MessageFramer(kind: .full, channel: "display")
            var frames: [Frame] = []
            let header = le64(1) + le16(BaseServerMessage.ID.migrate) + le32(10) + le32(subList)
            assertWireError(try framer.feed(header, into: &frames),
                            .badOffset, channel: "display", message: "DataHeader", field: "sub_list")
        }
        // The last byte of the body is still a place a (one-byte-short) list could start: that is for the
        // list parser to refuse, not the framer.
        var framer = MessageFramer(kind: .full, channel: "display")
        var frames: [Frame] = []
        try framer.feed(le64(1) + le16(1) + le32(10) + le32(9) + [UInt8](repeating: 0, count: 10), into: &frames)
        XCTAssertEqual(frames.map(\.subList), [9])
    }

    // MARK: - Link

    func testRejectsLinkHeaderSizeOverLimit() throws {
        let over = redq + le32(2) + le32(2) + le32(UInt32(Limits.maxLinkMessageSize + 1))
        assertWireError(try LinkHeader.parse(over), .overLimit, channel: "link", message: "LinkHeader", field: "size")
        assertWireError(try LinkHeader.parse(over, channel: "display"), .overLimit, channel: "display", message: "LinkHeader", field: "size")
        let atLimit = redq + le32(2) + le32(2) + le32(UInt32(Limits.maxLinkMessageSize))
        XCTAssertEqual(try LinkHeader.parse(atLimit)?.size, UInt32(Limits.maxLinkMessageSize))
    }

    func testRejectsBadMagic() {
        let wrong: [[UInt8]] = [
            Array("REDR".utf8) + le32(2) + le32(2) + le32(18),
            Array("QDER".utf8) + le32(2) + le32(2) + le32(18),  // the magic read big-endian
            Array("HTTP/1.1 400 Bad".utf8),
        ]
        for bytes in wrong {
            assertWireError(try LinkHeader.parse(bytes), .badMagic, channel: "link", message: "LinkHeader", field: "magic")
        }
    }

    func testRejectsWrongMajorVersion() {
        for major: UInt32 in [1, 3, 0x0200_0000] {
            assertWireError(try LinkHeader.parse(redq + le32(major) + le32(2) + le32(18)),
                            .versionMismatch, channel: "link", message: "LinkHeader", field: "major_version")
        }
    }

    func testRejectsTruncatedLinkReply() {
        let reply = LinkReply(error: .ok, publicKey: samplePublicKey, commonCaps: CapabilitySet([1]), channelCaps: CapabilitySet())
        let body = Array(reply.encodeWithHeader()[LinkHeader.size...])
        assertWireError(try LinkReply(body: Array(body[..<100])), .truncated, channel: "link", message: "SpiceLinkReply", field: "pub_key")
        assertWireError(try LinkReply(body: Array(body[..<177])), .truncated, channel: "link", message: "SpiceLinkReply", field: "caps_offset")
        assertWireError(try LinkReply(body: []), .truncated, channel: "link", message: "SpiceLinkReply", field: "error")
    }

    func testRejectsCapsCountOverLimit() {
        let over = UInt32(Limits.maxCapabilityWords + 1)
        // The counts are refused before any word is read, so the body need not hold the words.
        let replyFixed = le32(0) + samplePublicKey
        assertWireError(try LinkReply(body: replyFixed + le32(over) + le32(0) + le32(178)),
                        .overLimit, channel: "link", message: "SpiceLinkReply", field: "num_common_caps")
        assertWireError(try LinkReply(body: replyFixed + le32(0) + le32(over) + le32(178)),
                        .overLimit, channel: "link", message: "SpiceLinkReply", field: "num_channel_caps")
        let messFixed = le32(0) + [1, 0]
        assertWireError(try LinkMess(body: messFixed + le32(over) + le32(0) + le32(18)),
                        .overLimit, channel: "link", message: "SpiceLinkMess", field: "num_common_caps")
        assertWireError(try LinkMess(body: messFixed + le32(0) + le32(.max) + le32(18)),
                        .overLimit, channel: "link", message: "SpiceLinkMess", field: "num_channel_caps")
    }

    func testAcceptsCapsCountAtTheLimit() throws {
        let words = (0..<Limits.maxCapabilityWords).map { UInt32($0) }
        let reply = LinkReply(error: .ok, publicKey: samplePublicKey, commonCaps: CapabilitySet(words: words),
                              channelCaps: CapabilitySet(words: words))
        XCTAssertEqual(try LinkReply(body: Array(reply.encodeWithHeader()[LinkHeader.size...])), reply)
    }

    func testRejectsCapsOffsetPastBody() {
        let body = le32(0) + samplePublicKey + le32(0) + le32(0) + le32(179)
        assertWireError(try LinkReply(body: body), .badOffset, channel: "link", message: "SpiceLinkReply", field: "caps_offset")
        let mess = le32(0) + [1, 0] + le32(1) + le32(0) + le32(0xFFFF_FFFF)
        assertWireError(try LinkMess(body: mess + le32(8)), .badOffset, channel: "link", message: "SpiceLinkMess", field: "caps_offset")
    }

    func testRejectsCapsOffsetInsideFixedPart() {
        // Each would make the fixed fields double as capability words.
        let mess = le32(0) + [1, 0] + le32(1) + le32(0) + le32(17) + le32(8)
        assertWireError(try LinkMess(body: mess), .badOffset, channel: "link", message: "SpiceLinkMess", field: "caps_offset")
        for offset: UInt32 in [0, 4, 177] {
            let reply = le32(0) + samplePublicKey + le32(1) + le32(0) + le32(offset) + le32(8)
            assertWireError(try LinkReply(body: reply), .badOffset, channel: "link", message: "SpiceLinkReply", field: "caps_offset")
        }
    }

    func testRejectsCapsWordsPastBody() {
        let reply = le32(0) + samplePublicKey + le32(1) + le32(2) + le32(178) + le32(8) + le32(1)
        assertWireError(try LinkReply(body: reply), .truncated, channel: "link", message: "SpiceLinkReply", field: "channel_caps")
    }

    func testRejectsTrailingBytesAfterCaps() {
        let reply = LinkReply(error: .ok, publicKey: samplePublicKey, commonCaps: CapabilitySet([3]), channelCaps: CapabilitySet([1]))
        let replyBody = Array(reply.encodeWithHeader()[LinkHeader.size...])
        assertWireError(try LinkReply(body: replyBody + [0]), .trailingBytes, channel: "link", message: "SpiceLinkReply", field: "end")
        let mess = LinkMess(connectionID: 1, channel: ChannelID(.inputs), commonCaps: CapabilitySet([3]), channelCaps: CapabilitySet())
        let messBody = Array(mess.encodeWithHeader()[LinkHeader.size...])
        assertWireError(try LinkMess(body: messBody + le32(0)), .trailingBytes, channel: "link", message: "SpiceLinkMess", field: "end")
    }

    // MARK: - Sub-message lists

    func testRejectsSubMessageOffsetPastBody() {
        let body = le16(1) + le32(100)
        assertWireError(try SubMessageList.parse(body, listOffset: 0, channel: "display"),
                        .badOffset, channel: "display", message: "SubMessageList", field: "sub_messages")
    }

    func testRejectsSubMessageSizePastBody() {
        let body = le16(1) + le32(6) + le16(3) + le32(9) + [UInt8](repeating: 0, count: 8)
        assertWireError(try SubMessageList.parse(body, listOffset: 0, channel: "display"),
                        .badOffset, channel: "display", message: "SubMessageList", field: "size")
    }

    func testRejectsSubMessageCountOverLimit() {
        let body = le16(UInt16(Limits.maxSubMessages + 1))
        assertWireError(try SubMessageList.parse(body, listOffset: 0, channel: "display"),
                        .overLimit, channel: "display", message: "SubMessageList", field: "size")
    }

    func testRejectsSubMessageListOffsetPastBody() {
        assertWireError(try SubMessageList.parse([0, 0, 0], listOffset: 4, channel: "main"),
                        .badOffset, channel: "main", message: "SubMessageList", field: "sub_list")
    }

    // MARK: - Base messages

    func testRejectsNotifyLengthOverLimit() {
        let length = Limits.maxNotifyLength + 1
        let body = le64(0) + le32(0) + le32(0) + le32(0) + le32(UInt32(length)) + [UInt8](repeating: 0x41, count: length) + [0]
        assertWireError(try BaseServerMessage.parse(type: BaseServerMessage.ID.notify, body: body, channel: "display"),
                        .overLimit, channel: "display", message: "NOTIFY", field: "message_len")
    }

    func testRejectsNotifyTerminatorThatIsNotNul() {
        let body = le64(0) + le32(0) + le32(0) + le32(0) + le32(2) + Array("hi".utf8) + [0x21]
        assertWireError(try BaseServerMessage.parse(type: BaseServerMessage.ID.notify, body: body, channel: "main"),
                        .badValue, channel: "main", message: "NOTIFY", field: "message_nul")
    }

    // MARK: - Main messages

    func testRejectsChannelsListCountOverLimit() {
        // Only the count is sent: it is refused before any entry is read or reserved.
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.channelsList, body: le32(UInt32(Limits.maxChannelsListed + 1))),
                        .overLimit, channel: "main", message: "CHANNELS_LIST", field: "num_of_channels")
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.channelsList, body: le32(.max)),
                        .overLimit, channel: "main", message: "CHANNELS_LIST", field: "num_of_channels")
    }

    func testRejectsNameLengthOverLimit() {
        let length = Limits.maxNameLength + 1
        let body = le32(UInt32(length)) + [UInt8](repeating: 0x61, count: length)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.name, body: body),
                        .overLimit, channel: "main", message: "NAME", field: "name_len")
    }

    func testRejectsAgentDataOverLimit() {
        let chunk = [UInt8](repeating: 0, count: Limits.maxAgentDataChunk + 1)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.agentData, body: chunk),
                        .overLimit, channel: "main", message: "AGENT_DATA", field: "data")
        assertWireError(try MainClientMessage.parse(type: MainClientMessage.ID.agentData, body: chunk),
                        .overLimit, channel: "main", message: "AGENT_DATA", field: "data")
    }

    func testRejectsTrailingBytesAfterMessage() {
        let initBody = MainServerMessage.`init`(sampleInit).encode()
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.`init`, body: initBody + [0]),
                        .trailingBytes, channel: "main", message: "INIT", field: "end")
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateEnd, body: [0]),
                        .trailingBytes, channel: "main", message: "MIGRATE_END", field: "end")
        assertWireError(try MainClientMessage.parse(type: MainClientMessage.ID.mouseModeRequest, body: [2, 0, 0]),
                        .trailingBytes, channel: "main", message: "MOUSE_MODE_REQUEST", field: "end")
        assertWireError(try BaseServerMessage.parse(type: BaseServerMessage.ID.setAck, body: le32(1) + le32(2) + [0], channel: "cursor"),
                        .trailingBytes, channel: "cursor", message: "SET_ACK", field: "end")
        assertWireError(try BaseClientMessage.parse(type: BaseClientMessage.ID.pong, body: le32(1) + le64(2) + [0], channel: "cursor"),
                        .trailingBytes, channel: "cursor", message: "PONG", field: "end")
        // Two bytes after a NOTIFY text are not a NUL terminator.
        let notify = le64(0) + le32(0) + le32(0) + le32(0) + le32(1) + [0x41, 0, 0]
        assertWireError(try BaseServerMessage.parse(type: BaseServerMessage.ID.notify, body: notify, channel: "main"),
                        .trailingBytes, channel: "main", message: "NOTIFY", field: "end")
    }

    func testRejectsMigrationHostOffsetPastBody() {
        let body = le16(5900) + le16(0) + le32(3) + le32(24) + le32(0) + le32(0) + Array("a.b".utf8)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: body),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN", field: "host_data")
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateSwitchHost, body: body),
                        .badOffset, channel: "main", message: "MIGRATE_SWITCH_HOST", field: "host_data")
    }

    func testRejectsNullMigrationHost() {
        let body = le16(5900) + le16(0) + le32(0) + le32(0) + le32(0) + le32(0)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: body),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN", field: "host_data")
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBeginSeamless, body: body + le32(1)),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN_SEAMLESS", field: "host_data")
    }

    func testRejectsMigrationStringOffsetInsideFixedPart() {
        // Like caps_offset in a link message, a DstInfo pointer into the message's own fixed fields would make
        // those fields double as the string, while the real string bytes at the end go unread.
        let host = le16(5900) + le16(0) + le32(3) + le32(1) + le32(0) + le32(0) + Array("a.b".utf8)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: host),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN", field: "host_data")
        let subject = le16(5900) + le16(0) + le32(1) + le32(20) + le32(2) + le32(4) + Array("hCN".utf8)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: subject),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN", field: "cert_subject_data")
        // In the seamless form the fixed part includes src_mig_version (bytes 20..<24).
        let seamless = le16(5900) + le16(0) + le32(4) + le32(20) + le32(0) + le32(0) + le32(1) + Array("dst\0".utf8)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBeginSeamless, body: seamless),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN_SEAMLESS", field: "host_data")
    }

    func testRejectsNullCertSubjectWithNonzeroSize() {
        // A null cert_subject_data means "no subject"; with a size of 2 the parser must not read the first two
        // bytes of the body (the port) as the subject.
        let body = le16(1) + le16(2) + le32(1) + le32(20) + le32(2) + le32(0) + Array("hCN".utf8)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: body),
                        .badOffset, channel: "main", message: "MIGRATE_BEGIN", field: "cert_subject_data")
    }

    func testRejectsMigrationStringSizeOverLimit() {
        let over = UInt32(Limits.maxMigrationStringLength + 1)
        let host = le16(1) + le16(2) + le32(over) + le32(20) + le32(0) + le32(0)
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: host),
                        .overLimit, channel: "main", message: "MIGRATE_BEGIN", field: "host_size")
        let subject = le16(1) + le16(2) + le32(1) + le32(20) + le32(over) + le32(21) + [0x68]
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: subject),
                        .overLimit, channel: "main", message: "MIGRATE_BEGIN", field: "cert_subject_size")
    }

    func testRejectsBytesAfterMigrationStrings() {
        let body = MainServerMessage.migrateBegin(sampleTarget).encode()
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBegin, body: body + [0]),
                        .trailingBytes, channel: "main", message: "MIGRATE_BEGIN", field: "end")
        let seamless = MainServerMessage.migrateBeginSeamless(sampleTarget, sourceVersion: 1).encode()
        assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.migrateBeginSeamless, body: seamless + [0]),
                        .trailingBytes, channel: "main", message: "MIGRATE_BEGIN_SEAMLESS", field: "end")
    }

    // MARK: - Unknown types

    func testUnknownMessageTypeReturnsNil() throws {
        // An id this parser does not own is not an error here: the channel's own parser, or the session's
        // "unknown message" policy, decides. The body is not even looked at.
        let garbage: [UInt8] = [0xFF, 0xFF, 0xFF]
        for type: UInt16 in [0, 9, 100, 101, 0xFFFF] {
            XCTAssertNil(try BaseServerMessage.parse(type: type, body: garbage, channel: "display"), "server base \(type)")
        }
        for type: UInt16 in [0, 7, 100, 101] {
            XCTAssertNil(try BaseClientMessage.parse(type: type, body: garbage, channel: "display"), "client base \(type)")
        }
        for type: UInt16 in [0, 1, 8, 100, 119, 0xFFFF] {
            XCTAssertNil(try MainServerMessage.parse(type: type, body: garbage), "main server \(type)")
        }
        for type: UInt16 in [0, 1, 100, 113] {
            XCTAssertNil(try MainClientMessage.parse(type: type, body: garbage), "main client \(type)")
        }
    }
}
