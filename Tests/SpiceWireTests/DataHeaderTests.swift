/// Tests for data-phase framing: `MessageFramer` (full and mini headers), `MessageEncoder` and
/// `SubMessageList`. Rejections are in `RejectionTests`.
import SpiceWire
import XCTest

final class DataHeaderTests: XCTestCase {
    /// The messages every framing test sends: a small body, an empty body, a large-ish body and one more
    /// small body, so that a frame boundary falls right after an empty message and inside a long one.
    let messages: [(type: UInt16, body: [UInt8])] = [
        (BaseServerMessage.ID.setAck, le32(1) + le32(20)),
        (MainServerMessage.ID.agentConnected, []),
        (MainServerMessage.ID.agentData, (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) }),
        (BaseServerMessage.ID.ping, le32(9) + le64(0x1122_3344_5566_7788)),
    ]

    /// The stream the messages make with a full header, serials 7, 8, 9, … and one sub-list, hand-built.
    func fullHeaderStream() -> (bytes: [UInt8], frames: [Frame]) {
        var bytes: [UInt8] = []
        var frames: [Frame] = []
        for (index, message) in self.messages.enumerated() {
            let serial = UInt64(7 + index)
            // The large-ish message claims a sub-list in its body so that sub_list is carried through.
            let subList: UInt32 = message.body.count > 1000 ? 100 : 0
            bytes += le64(serial) + le16(message.type) + le32(UInt32(message.body.count)) + le32(subList) + message.body
            frames.append(Frame(type: message.type, serial: serial, subList: subList, body: message.body))
        }
        return (bytes, frames)
    }

    /// The stream the messages make with a mini header; the framer numbers them 1, 2, 3, ….
    func miniHeaderStream() -> (bytes: [UInt8], frames: [Frame]) {
        var bytes: [UInt8] = []
        var frames: [Frame] = []
        for (index, message) in self.messages.enumerated() {
            bytes += le16(message.type) + le32(UInt32(message.body.count)) + message.body
            frames.append(Frame(type: message.type, serial: UInt64(index + 1), body: message.body))
        }
        return (bytes, frames)
    }

    /// For each message, the stream offset one past its last byte.
    func messageEnds(kind: HeaderKind) -> [Int] {
        var end = 0
        return self.messages.map { message in
            end += kind.size + message.body.count
            return end
        }
    }

    // MARK: - Header layout

    func testHeaderSizesMatchTheProtocol() {
        XCTAssertEqual(HeaderKind.full.size, 18)
        XCTAssertEqual(HeaderKind.mini.size, 6)
    }

    func testEncoderWritesFullHeadersWithSerialsFromOne() {
        var encoder = MessageEncoder(kind: .full)
        var output: [UInt8] = []
        encoder.append(type: BaseClientMessage.ID.ackSync, body: le32(5), to: &output)
        encoder.append(type: BaseClientMessage.ID.ack, body: [], to: &output)
        XCTAssertEqual(encoder.serial, 2)
        XCTAssertEqual(output,
                       [1, 0, 0, 0, 0, 0, 0, 0, /* serial */ 1, 0, /* type */ 4, 0, 0, 0, /* size */ 0, 0, 0, 0 /* sub_list */]
                       + [5, 0, 0, 0]
                       + [2, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    func testEncoderWritesMiniHeadersWithoutSerials() {
        var encoder = MessageEncoder(kind: .mini)
        var output: [UInt8] = [0xEE]
        encoder.append(type: MainClientMessage.ID.attachChannels, body: [], to: &output)
        encoder.append(type: BaseClientMessage.ID.pong, body: [0xAA, 0xBB], to: &output)
        XCTAssertEqual(output, [0xEE, 104, 0, 0, 0, 0, 0, 3, 0, 2, 0, 0, 0, 0xAA, 0xBB], "appends after existing bytes")
        XCTAssertEqual(encoder.serial, 0)
    }

    func testEncoderOutputFramesBackToTheSameMessages() throws {
        for kind in [HeaderKind.full, .mini] {
            var encoder = MessageEncoder(kind: kind)
            var stream: [UInt8] = []
            for message in self.messages { encoder.append(type: message.type, body: message.body, to: &stream) }
            var framer = MessageFramer(kind: kind, channel: "main")
            var frames: [Frame] = []
            try framer.feed(stream, into: &frames)
            XCTAssertEqual(frames.map(\.type), self.messages.map(\.type), "\(kind)")
            XCTAssertEqual(frames.map(\.body), self.messages.map(\.body), "\(kind)")
            XCTAssertEqual(frames.map(\.serial), [1, 2, 3, 4], "\(kind)")
        }
    }

    // MARK: - Drip-feeding the framer

    func testFullHeaderStreamFedWholeGivesEveryFrame() throws {
        let (stream, expected) = self.fullHeaderStream()
        var framer = MessageFramer(kind: .full, channel: "display")
        var frames: [Frame] = []
        try framer.feed(stream, into: &frames)
        XCTAssertEqual(frames, expected)
        XCTAssertEqual(framer.received, 4)
        XCTAssertEqual(framer.bufferedBytes, 0)
    }

    func testFullHeaderFramesAppearOnlyWhenCompleteAtEverySplitPoint() throws {
        try self.checkEverySplitPoint(kind: .full, stream: self.fullHeaderStream())
    }

    func testMiniHeaderFramesAppearOnlyWhenCompleteAtEverySplitPoint() throws {
        try self.checkEverySplitPoint(kind: .mini, stream: self.miniHeaderStream())
    }

    func testFullHeaderStreamFedOneByteAtATime() throws {
        try self.checkOneByteAtATime(kind: .full, stream: self.fullHeaderStream())
    }

    func testMiniHeaderStreamFedOneByteAtATimeNumbersFramesFromOne() throws {
        try self.checkOneByteAtATime(kind: .mini, stream: self.miniHeaderStream())
    }

    func testEmptyFeedChangesNothing() throws {
        var framer = MessageFramer(kind: .mini, channel: "main")
        var frames: [Frame] = []
        try framer.feed([], into: &frames)
        try framer.feed([0x01, 0x00], into: &frames)
        try framer.feed([], into: &frames)
        XCTAssertEqual(frames, [])
        XCTAssertEqual(framer.bufferedBytes, 2)
    }

    func testBufferedBytesCountsAHeaderWhoseBodyHasNotArrived() throws {
        // A stream that ends here ends inside a message; `bufferedBytes` must not say "nothing pending".
        var framer = MessageFramer(kind: .mini, channel: "main")
        var frames: [Frame] = []
        try framer.feed(le16(BaseServerMessage.ID.setAck) + le32(8) + [1, 2, 3], into: &frames)
        XCTAssertEqual(framer.bufferedBytes, 6 + 3)
        var fresh = MessageFramer(kind: .full, channel: "main")
        try fresh.feed(le64(1) + le16(BaseServerMessage.ID.setAck) + le32(8) + le32(0), into: &frames)
        XCTAssertEqual(fresh.bufferedBytes, 18)
    }

    func testBufferedBytesCountsAPartialHeaderAndDropsToZeroAtAMessageBoundary() throws {
        var framer = MessageFramer(kind: .mini, channel: "main")
        var frames: [Frame] = []
        try framer.feed(le16(BaseServerMessage.ID.setAck) + [8, 0], into: &frames)
        XCTAssertEqual(framer.bufferedBytes, 4)
        try framer.feed([0, 0] + le32(1) + le32(2), into: &frames)
        XCTAssertEqual(frames.count, 1)
        XCTAssertEqual(framer.bufferedBytes, 0)
    }

    func testEmptyBodyFrameAppearsWithItsHeadersLastByte() throws {
        var framer = MessageFramer(kind: .mini, channel: "main")
        var frames: [Frame] = []
        let header = le16(MainServerMessage.ID.migrateEnd) + le32(0)
        try framer.feed(Array(header[..<5]), into: &frames)
        XCTAssertEqual(frames, [])
        try framer.feed([header[5]], into: &frames)
        XCTAssertEqual(frames, [Frame(type: MainServerMessage.ID.migrateEnd, serial: 1, body: [])])
    }

    /// Splits the stream at every point; after the first part exactly the messages ending inside it must
    /// have been framed, and the rest must be kept, not lost: feeding it frames every message.
    private func checkEverySplitPoint(kind: HeaderKind, stream: (bytes: [UInt8], frames: [Frame]),
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let ends = self.messageEnds(kind: kind)
        XCTAssertEqual(ends.last, stream.bytes.count, file: file, line: line)
        for split in 0...stream.bytes.count {
            var framer = MessageFramer(kind: kind, channel: "display")
            var frames: [Frame] = []
            try framer.feed(Array(stream.bytes[..<split]), into: &frames)
            let complete = ends.filter { $0 <= split }.count
            XCTAssertEqual(frames, Array(stream.frames[..<complete]), "split \(split)", file: file, line: line)
            XCTAssertEqual(framer.received, UInt64(complete), "split \(split)", file: file, line: line)
            try framer.feed(Array(stream.bytes[split...]), into: &frames)
            XCTAssertEqual(frames, stream.frames, "split \(split)", file: file, line: line)
            XCTAssertEqual(framer.received, UInt64(stream.frames.count), "split \(split)", file: file, line: line)
            XCTAssertEqual(framer.bufferedBytes, 0, "split \(split)", file: file, line: line)
        }
    }

    private func checkOneByteAtATime(kind: HeaderKind, stream: (bytes: [UInt8], frames: [Frame]),
                                     file: StaticString = #filePath, line: UInt = #line) throws {
        let ends = self.messageEnds(kind: kind)
        var framer = MessageFramer(kind: kind, channel: "display")
        var frames: [Frame] = []
        for (index, byte) in stream.bytes.enumerated() {
            try framer.feed([byte], into: &frames)
            let complete = ends.filter { $0 <= index + 1 }.count
            XCTAssertEqual(frames.count, complete, "after byte \(index)", file: file, line: line)
            XCTAssertEqual(framer.received, UInt64(complete), "after byte \(index)", file: file, line: line)
        }
        XCTAssertEqual(frames, stream.frames, file: file, line: line)
        XCTAssertEqual(framer.bufferedBytes, 0, file: file, line: line)
    }

    func testFramerAcceptsBytesFromARawBuffer() throws {
        let (stream, expected) = self.miniHeaderStream()
        var framer = MessageFramer(kind: .mini, channel: "main")
        var frames: [Frame] = []
        // A closure that throws a typed error through the rethrowing `withUnsafeBytes` crashes Swift 6.3's
        // IR generation, so the error is carried out by hand.
        var failure: SpiceWireError?
        stream.withUnsafeBytes { raw in
            do throws(SpiceWireError) {
                try framer.feed(UnsafeRawBufferPointer(rebasing: raw[..<10]), into: &frames)
                try framer.feed(UnsafeRawBufferPointer(rebasing: raw[10...]), into: &frames)
            } catch {
                failure = error
            }
        }
        XCTAssertNil(failure)
        XCTAssertEqual(frames, expected)
    }

    // MARK: - Sub-message lists

    func testSubMessageListHasExactLayout() {
        let (body, subList) = SubMessageList.encode(main: [0xEE], subMessages: [(type: 3, body: [0x01, 0x02])])
        XCTAssertEqual(subList, 1)
        XCTAssertEqual(body, [0xEE]                         // the enclosing message's own fields
                             + [0x01, 0x00]                 // size: one sub-message
                             + [0x07, 0x00, 0x00, 0x00]     // sub_messages[0]: offset 7
                             + [0x03, 0x00]                 // SpiceSubMessage.type
                             + [0x02, 0x00, 0x00, 0x00]     // SpiceSubMessage.size
                             + [0x01, 0x02])                // its body
    }

    func testSubMessageListRoundTripsAfterAMainMessage() throws {
        let main = MainServerMessage.multiMediaTime(1234).encode()
        let subs: [(type: UInt16, body: [UInt8])] = [
            (BaseServerMessage.ID.setAck, BaseServerMessage.setAck(generation: 1, window: 40).encode()),
            (BaseServerMessage.ID.ping, BaseServerMessage.ping(Ping(id: 2, timestamp: 3, data: [9, 9])).encode()),
            (MainServerMessage.ID.agentConnected, []),
        ]
        let (body, subList) = SubMessageList.encode(main: main, subMessages: subs)
        XCTAssertEqual(subList, UInt32(main.count))
        let entries = try SubMessageList.parse(body, listOffset: subList, channel: "main")
        XCTAssertEqual(entries.map(\.type), subs.map(\.type))
        XCTAssertEqual(entries.map { Array(body[$0.range]) }, subs.map(\.body))
        // In the layout this encoder writes, the enclosing message's own fields end where the list starts.
        XCTAssertEqual(try MainServerMessage.parse(type: MainServerMessage.ID.multiMediaTime, body: Array(body[..<Int(subList)])),
                       .multiMediaTime(1234))
    }

    func testSubListCarriedInAFullHeaderReachesTheFrame() throws {
        let (body, subList) = SubMessageList.encode(main: le32(77), subMessages: [(type: 3, body: le32(1) + le32(2))])
        var encoded = le64(1) + le16(MainServerMessage.ID.agentToken) + le32(UInt32(body.count)) + le32(subList) + body
        encoded += le64(2) + le16(MainServerMessage.ID.agentConnected) + le32(0) + le32(0)
        var framer = MessageFramer(kind: .full, channel: "main")
        var frames: [Frame] = []
        try framer.feed(encoded, into: &frames)
        XCTAssertEqual(frames.count, 2)
        XCTAssertEqual(frames[0].subList, 4)
        let entries = try SubMessageList.parse(frames[0].body, listOffset: frames[0].subList, channel: "main")
        XCTAssertEqual(entries.count, 1)
        XCTAssertEqual(try BaseServerMessage.parse(type: entries[0].type, body: Array(frames[0].body[entries[0].range]), channel: "main"),
                       .setAck(generation: 1, window: 2))
        XCTAssertEqual(frames[1].subList, 0)
    }

    func testListMessageBodyParsesAtListOffsetZero() throws {
        let subs: [BaseServerMessage] = [
            .setAck(generation: 5, window: 10),
            .notify(Notify(timestamp: 1, severity: 0, visibility: 2, what: 3, message: Array("hi".utf8))),
            .migrate(flags: 1),
        ]
        let (listBody, subList) = SubMessageList.encode(main: [], subMessages: subs.map { (type: $0.type, body: $0.encode()) })
        XCTAssertEqual(subList, 0)
        let list = try BaseServerMessage.parse(type: BaseServerMessage.ID.list, body: listBody, channel: "display")
        guard case .list(let body) = list else { return XCTFail("expected LIST, got \(String(describing: list))") }
        XCTAssertEqual(body, listBody)
        let entries = try SubMessageList.parse(body, listOffset: 0, channel: "display")
        let decoded = try entries.map { (entry) throws(SpiceWireError) -> BaseServerMessage? in
            try BaseServerMessage.parse(type: entry.type, body: Array(body[entry.range]), channel: "display")
        }
        XCTAssertEqual(decoded, subs)
    }

    func testParsesSubMessagesPlacedBeforeTheListAsSpiceServerSendsThem() throws {
        // spice-server's `send_free_list_legacy` (display channel, full header: the client lacks MINI_HEADER)
        // appends the INVAL_LIST sub-message, then the WAIT_FOR_CHANNELS sub-message, and only then the list
        // of their offsets, and points the header's sub_list at that list. Every sub-message therefore lies
        // *before* the list.
        let drawCopy: [UInt8] = [UInt8](repeating: 0xD0, count: 12)                    // the enclosing message
        let invalBody: [UInt8] = le16(1) + [1] + le64(0x55)                              // INVAL_LIST: one pixmap
        let waitBody = BaseServerMessage.waitForChannels([WaitForChannel(channel: ChannelID(.display, 0), serial: 9)]).encode()
        let invalOffset = drawCopy.count
        let waitOffset = invalOffset + 6 + invalBody.count
        let listOffset = waitOffset + 6 + waitBody.count
        let body = drawCopy
            + le16(105) + le32(UInt32(invalBody.count)) + invalBody
            + le16(BaseServerMessage.ID.waitForChannels) + le32(UInt32(waitBody.count)) + waitBody
            + le16(2) + le32(UInt32(waitOffset)) + le32(UInt32(invalOffset))
        let entries = try SubMessageList.parse(body, listOffset: UInt32(listOffset), channel: "display")
        XCTAssertEqual(entries.map(\.type), [BaseServerMessage.ID.waitForChannels, 105])
        XCTAssertEqual(entries.map { Array(body[$0.range]) }, [waitBody, invalBody])
    }

    func testEmptySubMessageListHasNoEntries() throws {
        let (body, subList) = SubMessageList.encode(main: [1, 2, 3], subMessages: [])
        XCTAssertEqual(body, [1, 2, 3, 0, 0])
        XCTAssertEqual(try SubMessageList.parse(body, listOffset: subList, channel: "main"), [])
    }

    func testEveryStrictPrefixOfAListBodyIsRejected() {
        let subs: [(type: UInt16, body: [UInt8])] = [(3, le32(1) + le32(2)), (107, []), (4, [0xAA, 0xBB, 0xCC])]
        let (body, _) = SubMessageList.encode(main: [], subMessages: subs)
        // Where each sub-message starts: after the u16 count and the three u32 offsets.
        var starts: [Int] = []
        var next = 2 + 4 * subs.count
        for sub in subs {
            starts.append(next)
            next += 6 + sub.body.count
        }
        XCTAssertEqual(next, body.count)
        // The parser reads the count, then each offset in turn and follows it at once; the first thing the
        // prefix cuts decides the error: a cut offset is truncated, an entry starting past the end is a bad
        // offset, one whose header is cut is truncated, and one whose body is cut has a size past the body.
        assertEveryStrictPrefix(
            of: body,
            parse: { (b: [UInt8]) throws(SpiceWireError) -> [SubMessageList.Entry]? in
                try SubMessageList.parse(b, listOffset: 0, channel: "display")
            },
            expected: { length in
                if length < 2 { return .fails(.truncated, field: "size") }
                for (index, (start, sub)) in zip(starts, subs).enumerated() {
                    if length < 2 + 4 * (index + 1) { return .fails(.truncated, field: "sub_messages") }
                    if start > length { return .fails(.badOffset, field: "sub_messages") }
                    if start + 2 > length { return .fails(.truncated, field: "type") }
                    if start + 6 > length { return .fails(.truncated, field: "size") }
                    if start + 6 + sub.body.count > length { return .fails(.badOffset, field: "size") }
                }
                preconditionFailure("a strict prefix always cuts some entry")
            },
            context: "LIST")
    }
}
