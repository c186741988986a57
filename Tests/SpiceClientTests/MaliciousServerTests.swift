/// The malicious-server suite (issue 9, "A malicious server"): the whole client (real sockets, the poll
/// loop, the session) against `FakeSpiceServer` on 127.0.0.1, which completes a valid link on main and
/// the channels a case needs and then sends ONE crafted message. For every case the client must report an
/// error naming the channel, the message and the field, close that channel (or, for main, the session)
/// cleanly, keep answering `poll`, keep the other channels linked, stay under 512 MB resident and be done
/// within 5 s.
import Foundation
import SpiceClient
import SpiceSession
import SpiceWire
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class MaliciousServerTests: XCTestCase {
    /// The longest one case may take, from `start()` to the checked outcome.
    private static let caseBudget: TimeInterval = 5
    /// The most resident memory the test process may have after a case.
    private static let maxResidentBytes = 512 * 1024 * 1024

    private static let mainInit = MainInit(
        sessionID: 0x0BAD_F00D, displayChannelsHint: 1, supportedMouseModes: 3, currentMouseMode: 2,
        agentConnected: 0, agentTokens: 0, multiMediaTime: 1000, ramHint: 0)

    private static let display = ChannelID(.display, 0)
    private static let cursor = ChannelID(.cursor, 0)
    private static let inputs = ChannelID(.inputs, 0)
    private static let playback = ChannelID(.playback, 0)

    /// What a case must end in.
    private enum Outcome: Sendable {
        /// The target channel closes with an error naming `message` and one of `fields`; the session and
        /// the other channels go on.
        case channelClosed(message: String, fields: [String], mentioning: String = "")
        /// The whole session ends with an error on main naming `message` and one of `fields`.
        case sessionEnded(message: String, fields: [String])
        /// The channel closes because its connection broke (no message to name): the error says so.
        case connectionLost(mentioning: String)
        /// The one message is refused with a `…Rejected` event naming `message` and `field`; the channel stays
        /// linked (the session's documented choice for cursor shapes and audio packets).
        case rejected(message: String, field: String)
        /// The message is ignored (an `ignored` event) and nothing closes.
        case ignored(type: UInt16)
    }

    /// One crafted case: which channel gets the bad bytes, what comes first on it, and the bad bytes.
    private struct Case: Sendable {
        var target: ChannelID
        /// Channels listed to the client besides main (all are linked before the crafted bytes go out).
        var channels: [ChannelID] = [MaliciousServerTests.display, MaliciousServerTests.cursor, MaliciousServerTests.inputs]
        /// Link the target without the mini header (for sub-message lists, which only full headers carry).
        var fullHeader = false
        /// Well-formed messages sent on the target first (a primary surface, say).
        var prelude: [(UInt16, [UInt8])] = []
        /// The crafted bytes, framed by the test (given the connection for its header kind and serials).
        var crafted: @Sendable (FakeConnection) -> [UInt8]
        /// Close the target's connection right after the crafted bytes.
        var closeAfter = false
        var outcome: Outcome
    }

    // MARK: - The cases

    func testDataHeaderWithFourGiBSize() throws {
        // A mini header announcing 0xFFFF_FFFF bytes, then nothing: refused from the header alone.
        try self.run(Case(target: Self.display, crafted: { _ in le16(DisplayServerMessage.ID.drawFill) + le32(0xFFFF_FFFF) },
                          outcome: .channelClosed(message: "DataHeader", fields: ["size"], mentioning: "4294967295")))
    }

    func testDataHeaderWithFourGiBSizeOnMain() throws {
        try self.run(Case(target: .main, crafted: { _ in le16(MainServerMessage.ID.agentData) + le32(0xFFFF_FFFF) },
                          outcome: .sessionEnded(message: "DataHeader", fields: ["size"])))
    }

    func testTruncatedBodyThenClose() throws {
        // A DRAW_FILL announcing 200 bytes, 10 of them, then the server closes the display connection.
        try self.run(Case(target: Self.display, prelude: [Self.primary],
                          crafted: { _ in le16(DisplayServerMessage.ID.drawFill) + le32(200) + [UInt8](repeating: 0x41, count: 10) },
                          closeAfter: true,
                          outcome: .connectionLost(mentioning: "in the middle of message type \(DisplayServerMessage.ID.drawFill) (10 of 200 body bytes)")))
    }

    func testSubMessageListOffsetPastTheBody() throws {
        try self.run(Case(target: Self.display, fullHeader: true, prelude: [Self.primary], crafted: { _ in
            let body = DisplayServerMessage.mark.encode()
            return Self.fullHeader(serial: 2, type: DisplayServerMessage.ID.mark, body: body, subList: UInt32(body.count) + 64) + body
        }, outcome: .channelClosed(message: "DataHeader", fields: ["sub_list"])))
    }

    func testSubMessageEntryPointingPastTheBody() throws {
        try self.run(Case(target: Self.display, fullHeader: true, prelude: [Self.primary], crafted: { _ in
            // INVAL_PALETTE's 8 bytes, then the list (inside the body) whose one entry points 1000 bytes past the end.
            let own = DisplayServerMessage.invalPalette(id: 7).encode()
            let body = own + le16(1) + le32(1000)
            return Self.fullHeader(serial: 2, type: DisplayServerMessage.ID.invalPalette, body: body, subList: UInt32(own.count)) + body
        }, outcome: .channelClosed(message: "SubMessageList", fields: ["sub_messages"])))
    }

    func testSurfaceCreateOf65535By65535() throws {
        try self.run(Case(target: Self.display, crafted: { connection in
            connection.messageBytes(DisplayServerMessage.ID.surfaceCreate, DisplayServerMessage.surfaceCreate(
                SurfaceCreate(surfaceID: 0, width: 65535, height: 65535, format: SurfaceFormat.xrgb32, flags: SurfaceFlags.primary)).encode())
        }, outcome: .channelClosed(message: "SURFACE_CREATE", fields: ["width", "height"], mentioning: "65535")))
    }

    func testDrawOnUnknownSurface() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            Self.display(connection, Self.fill(SpiceRect(left: 0, top: 0, width: 4, height: 4), surface: 9))
        }, outcome: .channelClosed(message: "DRAW_FILL", fields: ["surface_id"], mentioning: "surface 9 does not exist")))
    }

    func testBoxOutsideItsSurface() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            Self.display(connection, Self.fill(SpiceRect(left: 60, top: 40, width: 100_000, height: 100_000)))
        }, outcome: .channelClosed(message: "DRAW_FILL", fields: ["box"], mentioning: "outside the 64x48 surface")))
    }

    func testClipWithTwoToTheThirtyOneRects() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            // Encode one distinctive rect, then rewrite its count to 2^31.
            let marker = SpiceRect(top: 0x0101_0101, left: 0x0202_0202, bottom: 0x0303_0303, right: 0x0404_0404)
            var body = DisplayServerMessage.drawFill(DrawFill(
                base: DisplayBase(surfaceID: 0, box: SpiceRect(left: 0, top: 0, width: 4, height: 4), clip: .rects([marker])),
                brush: .solid(0xFF))).encode()
            let pattern = le32(1) + le32(0x0101_0101) + le32(0x0202_0202) + le32(0x0303_0303) + le32(0x0404_0404)
            guard let at = Self.find(pattern, in: body) else { return [] }
            body.replaceSubrange(at..<(at + 4), with: le32(0x8000_0000))
            return connection.messageBytes(DisplayServerMessage.ID.drawFill, body)
        }, outcome: .channelClosed(message: "DRAW_FILL", fields: ["clip.num_rects"], mentioning: "2147483648")))
    }

    func testImageWhoseWidthTimesHeightOverflows() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            let bitmap = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: 0, width: 0xFFFF_FFFF, height: 0xFFFF_FFFF,
                                stride: 4, data: [1, 2, 3, 4][...])
            return Self.display(connection, Self.copy(ImageRef(id: 1, width: 0xFFFF_FFFF, height: 0xFFFF_FFFF, data: .bitmap(bitmap))))
        }, outcome: .channelClosed(message: "DRAW_COPY", fields: ["descriptor.width"])))
    }

    func testImageWhosePixelCountIsOverTheLimitWithEachSideWithinIt() throws {
        // 16384×16384 passes the per-side bound; the product (2^28 pixels, 1 GiB of RGBA) must be refused
        // before anything is allocated for it.
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            let bitmap = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: 0, width: 16384, height: 16384,
                                stride: 16384 * 4, data: [1, 2, 3, 4][...])
            return Self.display(connection, Self.copy(ImageRef(id: 1, width: 16384, height: 16384, data: .bitmap(bitmap))))
        }, outcome: .channelClosed(message: "DRAW_COPY", fields: ["descriptor.width", "descriptor.height", "src_bitmap.width", "src_bitmap.height"])))
    }

    func testBitmapWhoseStrideTimesHeightOverflows() throws {
        // A 4×16384 bitmap whose stride is 0xFFFF_FFFF: stride × height is far past any body.
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            let bitmap = Bitmap(format: BitmapFormat.thirtyTwoBit, flags: 0, width: 4, height: 16384,
                                stride: 0xFFFF_FFFF, data: [1, 2, 3, 4][...])
            return Self.display(connection, Self.copy(ImageRef(id: 1, width: 4, height: 16384, data: .bitmap(bitmap))))
        }, outcome: .channelClosed(message: "DRAW_COPY", fields: ["bitmap.data"])))
    }

    // Every codec with a header that is not its own: 64 bytes of 0xA5 where the header should be.

    func testQUICWithBadHeader() throws { try self.runBadCodec(.quic(Self.garbage[...]), mentioning: "quic codec: bad quic magic") }
    func testLZWithBadHeader() throws { try self.runBadCodec(.lzRGB(Self.garbage[...]), mentioning: "lz codec: bad lz magic") }
    func testGLZWithBadHeader() throws { try self.runBadCodec(.glzRGB(Self.garbage[...]), mentioning: "glz codec: bad glz magic") }
    func testZlibGLZWithBadHeader() throws {
        try self.runBadCodec(.zlibGlzRGB(glzSize: 4096, data: Self.garbage[...]), mentioning: "zlib-glz codec:")
    }
    func testLZ4WithBadHeader() throws { try self.runBadCodec(.lz4(Self.garbage[...]), mentioning: "lz4 codec:") }
    func testJPEGWithBadHeader() throws { try self.runBadCodec(.jpeg(Self.garbage[...]), mentioning: "jpeg codec:") }
    func testJPEGAlphaWithBadHeader() throws {
        try self.runBadCodec(.jpegAlpha(flags: 0, jpegSize: 32, data: Self.garbage[...]), mentioning: "jpeg codec:")
    }

    func testGLZReferenceToAMissingImage() throws {
        // Image 2 (4×1 RGB32) whose second token copies from image 1, which this client never received.
        var stream: [UInt8] = []
        for word: UInt32 in [0x2020_5A4C, 0x0001_0001] { stream += Self.be32(word) }
        stream.append(8 | 0x10)  // RGB32, top-down
        for word: UInt32 in [4, 1, 16, 0, 2, 2] { stream += Self.be32(word) }
        stream += [0x00, 1, 2, 3, 0x40, 0x00, 0x01]
        try self.runBadCodec(.glzRGB(stream[...]), width: 4, height: 1, mentioning: "glz image 2 references image 1")
    }

    func testCacheIDNeverSent() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            Self.display(connection, Self.copy(ImageRef(id: 0x7777, width: 4, height: 4, data: .fromCache)))
        }, outcome: .channelClosed(message: "DRAW_COPY", fields: ["src_bitmap"], mentioning: "image 30583 was never cached")))
    }

    func testStreamIDOf64IsIgnoredWhileStreamsAreNotSupported() throws {
        // The session does not advertise video streams and ignores every stream message, so no per-stream
        // table exists that an id ≥ 64 could index. (Whoever adds streams must bound the id.)
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            Self.display(connection, .streamCreate(StreamCreate(
                surfaceID: 0, id: 64, flags: 0, codecType: 1, stamp: 0, streamWidth: 16, streamHeight: 16, srcWidth: 16, srcHeight: 16,
                dest: SpiceRect(left: 0, top: 0, width: 16, height: 16), clip: .none)))
        }, outcome: .ignored(type: DisplayServerMessage.ID.streamCreate)))
    }

    func testTruncatedHeaderThenClose() throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { _ in [0x2E, 0x01, 0x10] },
                          closeAfter: true, outcome: .connectionLost(mentioning: "in the middle of a message header (3 of 6 bytes)")))
    }

    func testHugeCursor() throws {
        try self.run(Case(target: Self.cursor, crafted: { connection in
            let header = CursorHeader(unique: 1, type: 6, width: 65535, height: 65535, hotSpotX: 0, hotSpotY: 0)
            let message = CursorServerMessage.set(position: SpicePoint16(x: 1, y: 1), visible: true,
                                                  cursor: Cursor(flags: CursorFlags(rawValue: 0), header: header, data: [1, 2, 3, 4]))
            return connection.messageBytes(message.type, message.encode())
        }, outcome: .rejected(message: "SET", field: "cursor.header.width")))
    }

    func testPlaybackDataOverItsLimit() throws {
        try self.run(Case(target: Self.playback, channels: [Self.display, Self.playback], crafted: { connection in
            let message = PlaybackServerMessage.data(time: 1, data: [UInt8](repeating: 0x33, count: Limits.maxAudioDataSize + 1)[...])
            return connection.messageBytes(message.type, message.encode())
        }, outcome: .rejected(message: "DATA", field: "data")))
    }

    func testMainAgentDataOverItsLimit() throws {
        try self.run(Case(target: .main, crafted: { connection in
            connection.messageBytes(MainServerMessage.ID.agentData, [UInt8](repeating: 0x5A, count: Limits.maxAgentDataChunk + 1))
        }, outcome: .sessionEnded(message: "AGENT_DATA", fields: ["data"])))
    }

    // MARK: - Message building

    private static let garbage = [UInt8](repeating: 0xA5, count: 64)

    /// A 64×48 primary surface, sent before most display cases so that draws have somewhere to land.
    private static let primary: (UInt16, [UInt8]) = (
        DisplayServerMessage.ID.surfaceCreate,
        DisplayServerMessage.surfaceCreate(SurfaceCreate(surfaceID: 0, width: 64, height: 48, format: SurfaceFormat.xrgb32,
                                                         flags: SurfaceFlags.primary)).encode())

    private static func display(_ connection: FakeConnection, _ message: DisplayServerMessage) -> [UInt8] {
        connection.messageBytes(message.type, message.encode())
    }

    private static func fill(_ box: SpiceRect, surface: UInt32 = 0) -> DisplayServerMessage {
        .drawFill(DrawFill(base: DisplayBase(surfaceID: surface, box: box), brush: .solid(0x00FF_FFFF)))
    }

    /// DRAW_COPY of `image` at the primary's top-left corner, 4×4.
    private static func copy(_ image: ImageRef, width: Int32 = 4, height: Int32 = 4) -> DisplayServerMessage {
        .drawCopy(DrawCopy(base: DisplayBase(surfaceID: 0, box: SpiceRect(left: 0, top: 0, width: width, height: height)),
                           src: image, srcArea: SpiceRect(left: 0, top: 0, width: width, height: height)))
    }

    private static func fullHeader(serial: UInt64, type: UInt16, body: [UInt8], subList: UInt32) -> [UInt8] {
        le64(serial) + le16(type) + le32(UInt32(body.count)) + le32(subList)
    }

    private static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        return (0...(bytes.count - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
    }

    private func runBadCodec(_ data: ImageData, width: UInt32 = 4, height: UInt32 = 4,
                             mentioning: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try self.run(Case(target: Self.display, prelude: [Self.primary], crafted: { connection in
            Self.display(connection, Self.copy(ImageRef(id: 5, width: width, height: height, data: data),
                                               width: Int32(width), height: Int32(height)))
        }, outcome: .channelClosed(message: "DRAW_COPY", fields: ["src_bitmap"], mentioning: mentioning)), file: file, line: line)
    }

    // MARK: - Running one case

    private func run(_ spec: Case, file: StaticString = #filePath, line: UInt = #line) throws {
        let server = try FakeSpiceServer()
        self.addTeardownBlock { server.stop() }
        let sent = Captured<Bool>()
        let channels = spec.channels.contains(spec.target) || spec.target == .main ? spec.channels : spec.channels + [spec.target]
        let mainInit = Self.mainInit
        server.run { server in
            let main = try server.accept()
            try main.acceptLink()
            try main.sendMain(.`init`(mainInit))
            try main.sendMain(.channelsList(channels))
            _ = try main.readMessages { $0.type == MainClientMessage.ID.attachChannels }
            var connections: [ChannelID: FakeConnection] = [.main: main]
            for _ in channels {
                let connection = try server.accept()
                let request = try connection.readLinkMess()
                let caps = request.channel == spec.target && spec.fullHeader
                    ? CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice])
                    : FakeSpiceServer.standardCommonCaps
                try connection.sendLinkReply(commonCaps: caps)
                _ = try connection.readAuthentication()
                try connection.sendLinkResult(.ok)
                connections[request.channel] = connection
            }
            guard let target = connections[spec.target] else { throw FakeServerError("the client never linked \(spec.target)") }
            var bytes: [UInt8] = []
            for (type, body) in spec.prelude { bytes += target.messageBytes(type, body) }
            let crafted = spec.crafted(target)
            guard !crafted.isEmpty else { throw FakeServerError("the case built no bytes") }
            sent.value = true
            // The client may close the channel before the last byte is written; that is not a script failure.
            try? target.send(bytes + crafted)
            // Half-close: the client sees the end of the stream mid-body (a full close with the client's
            // DISPLAY_INIT unread would reset the connection instead).
            if spec.closeAfter { _ = Glibc.shutdown(target.fd, Int32(SHUT_WR)) }
            // Keep every connection open until the test is over, so only the client decides what closes.
            while !server.isCancelled { usleep(20_000) }
            withExtendedLifetime(connections) {}
        }

        let session = Session.Configuration(password: Password("secret"), linkTimeoutMilliseconds: 4000)
        let client = try SpiceClient(configuration: .init(host: "127.0.0.1", port: server.port, session: session))
        let started = Date()
        let end = started.addingTimeInterval(Self.caseBudget)
        client.start()

        var events: [SessionEvent] = []
        func reached() -> Bool {
            if events.sessionEnded { return true }
            switch spec.outcome {
            case .channelClosed, .connectionLost: return events.closed(spec.target)
            case .sessionEnded: return false
            case .rejected: return events.contains { Self.rejection(in: $0, on: spec.target) != nil }
            case .ignored(let type): return events.contains { if case .ignored(spec.target, type, _) = $0 { true } else { false } }
            }
        }
        while !reached() && Date() < end {
            events += client.poll(timeoutMilliseconds: 50)
        }
        let elapsed = Date().timeIntervalSince(started)
        if sent.value != true {
            let why = server.waitForScript(timeout: 1) ?? "the script ended without sending"
            XCTFail("the server never sent the crafted bytes (\(why)): \(events)", file: file, line: line)
        }
        XCTAssertLessThan(elapsed, Self.caseBudget, "the case did not finish within \(Self.caseBudget) s: \(events)", file: file, line: line)

        let others = channels.filter { $0 != spec.target }
        switch spec.outcome {
        case .channelClosed(let message, let fields, let mentioning):
            XCTAssertFalse(events.sessionEnded, "only \(spec.target) may close: \(events)", file: file, line: line)
            guard let error = events.closeError(spec.target) else {
                return XCTFail("\(spec.target) did not close with an error: \(events)", file: file, line: line)
            }
            XCTAssertEqual(error.channel, spec.target, "\(error)", file: file, line: line)
            XCTAssertEqual(error.code, .malformed, "\(error)", file: file, line: line)
            self.assertNames(error.description, channel: spec.target, message: message, fields: fields, file: file, line: line)
            XCTAssertTrue(mentioning.isEmpty || error.description.contains(mentioning), "\"\(mentioning)\" not in: \(error)", file: file, line: line)
            XCTAssertEqual(client.session.status(of: spec.target), .closed(error), file: file, line: line)
            self.assertStillWorking(client, linked: [.main] + others, file: file, line: line)
        case .connectionLost(let mentioning):
            XCTAssertFalse(events.sessionEnded, "only \(spec.target) may close: \(events)", file: file, line: line)
            guard let error = events.closeError(spec.target) else {
                return XCTFail("\(spec.target) did not close with an error: \(events)", file: file, line: line)
            }
            XCTAssertEqual(error.channel, spec.target, "\(error)", file: file, line: line)
            XCTAssertEqual(error.code, .connectionClosed, "\(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains("connection closed by the server \(mentioning)"), "\(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("\(spec.target)"), "\(error)", file: file, line: line)
            self.assertStillWorking(client, linked: [.main] + others, file: file, line: line)
        case .sessionEnded(let message, let fields):
            guard let error = events.sessionEndError else {
                return XCTFail("the session did not end with an error: \(events)", file: file, line: line)
            }
            XCTAssertEqual(error.channel, .main, "\(error)", file: file, line: line)
            XCTAssertEqual(error.code, .malformed, "\(error)", file: file, line: line)
            self.assertNames(error.description, channel: .main, message: message, fields: fields, file: file, line: line)
            XCTAssertEqual(events.closeError(.main), error, "main closes with the error that ends the session", file: file, line: line)
            for channel in others {
                XCTAssertTrue(events.closed(channel), "\(channel) was not closed with the session: \(events)", file: file, line: line)
            }
            XCTAssertFalse(client.isRunning, file: file, line: line)
            XCTAssertEqual(client.session.status(of: .main), .closed(error), file: file, line: line)
            let pollStart = Date()
            XCTAssertEqual(client.poll(timeoutMilliseconds: 2000), [], file: file, line: line)
            XCTAssertLessThan(Date().timeIntervalSince(pollStart), 0.5, "poll after the end must return at once", file: file, line: line)
        case .ignored(let type):
            XCTAssertTrue(events.contains { if case .ignored(spec.target, type, _) = $0 { true } else { false } }, "\(events)",
                          file: file, line: line)
            XCTAssertFalse(events.closed(spec.target), "\(events)", file: file, line: line)
            self.assertStillWorking(client, linked: [.main] + channels, file: file, line: line)
        case .rejected(let message, let field):
            guard let error = events.lazy.compactMap({ Self.rejection(in: $0, on: spec.target) }).first else {
                return XCTFail("no rejection on \(spec.target): \(events)", file: file, line: line)
            }
            self.assertNames("\(error)", channel: spec.target, message: message, fields: [field], file: file, line: line)
            XCTAssertFalse(events.closed(spec.target), "\(events)", file: file, line: line)
            self.assertStillWorking(client, linked: [.main] + channels, file: file, line: line)
        }
        XCTAssertLessThan(Self.residentBytes("VmRSS:"), Self.maxResidentBytes, "resident memory over 512 MB", file: file, line: line)
        XCTAssertLessThan(Self.residentBytes("VmHWM:"), Self.maxResidentBytes, "peak resident memory over 512 MB", file: file, line: line)

        if client.isRunning {
            client.disconnect()
            let stopBy = Date().addingTimeInterval(Self.caseBudget)
            while client.isRunning && Date() < stopBy { _ = client.poll(timeoutMilliseconds: 50) }
            XCTAssertFalse(client.isRunning, "the client did not disconnect", file: file, line: line)
        }
    }

    /// The rejected wire error of a cursor or audio `…Rejected` event on `channel`.
    private static func rejection(in event: SessionEvent, on channel: ChannelID) -> SpiceWireError? {
        switch event {
        case .cursorRejected(channel, let error), .audioRejected(channel, let error): error
        default: nil
        }
    }

    /// The text names the channel (its wire name), the message, and one of `fields`.
    private func assertNames(_ text: String, channel: ChannelID, message: String, fields: [String],
                             file: StaticString, line: UInt) {
        let wireName = "\(channel.type)".lowercased()
        XCTAssertTrue(text.lowercased().contains("\(wireName) channel"), "no channel \"\(wireName)\" in: \(text)", file: file, line: line)
        XCTAssertTrue(text.contains("message \(message), field "), "no message \(message) in: \(text)", file: file, line: line)
        XCTAssertTrue(fields.contains { text.contains(", field \($0): ") }, "none of the fields \(fields) in: \(text)", file: file, line: line)
    }

    /// `poll` still returns promptly and `linked` channels are still linked.
    private func assertStillWorking(_ client: SpiceClient, linked: [ChannelID], file: StaticString, line: UInt) {
        XCTAssertTrue(client.isRunning, "the session must go on", file: file, line: line)
        let pollStart = Date()
        let later = client.poll(timeoutMilliseconds: 100)
        XCTAssertLessThan(Date().timeIntervalSince(pollStart), 1, file: file, line: line)
        XCTAssertFalse(later.sessionEnded, "\(later)", file: file, line: line)
        for channel in linked {
            XCTAssertEqual(client.session.status(of: channel), .linked, "\(channel) must still be linked", file: file, line: line)
        }
    }

    /// `VmRSS:` (resident now) or `VmHWM:` (peak resident) of this process, from /proc/self/status.
    private static func residentBytes(_ key: String) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else {
            return Int.max
        }
        return kilobytes * 1024
    }
}
