/// The link handshake as the session drives it (notes §1.1–1.6): request, reply, mechanism, ticket,
/// result, and every way it can be refused.
import SpiceSession
import SpiceWire
import XCTest

final class SessionLinkTests: XCTestCase {
    // MARK: - Request

    func testStartAsksToConnectOnlyTheMainChannel() {
        let server = FakeServer()
        let step = server.start()
        XCTAssertEqual(step.actions, [.connect(.main)])
        XCTAssertEqual(server.session.status(of: .main), .connecting)
        XCTAssertFalse(server.session.wantsInput(.main), "nothing to read before the connection is open")
    }

    func testConnectedMainSendsLinkRequestWithConnectionIDZeroAndTheAdvertisedCapabilities() throws {
        let server = FakeServer()
        _ = server.start()
        let step = server.connected(.main)

        XCTAssertEqual(step.rawSends.count, 1)
        let bytes = try XCTUnwrap(step.rawSends.first?.bytes)
        XCTAssertEqual(Array(bytes.prefix(4)), Array("REDQ".utf8))
        let header = try XCTUnwrap(try LinkHeader.parse(bytes))
        XCTAssertEqual(header.majorVersion, 2)
        XCTAssertEqual(header.minorVersion, 2)
        XCTAssertEqual(Int(header.size), bytes.count - LinkHeader.size, "the header counts exactly the bytes after it")
        let request = try LinkMess(body: Array(bytes[LinkHeader.size...]))
        XCTAssertEqual(request.connectionID, 0)
        XCTAssertEqual(request.channel, .main)
        XCTAssertEqual(request.commonCaps.bits, [CommonCapability.protocolAuthSelection, CommonCapability.authSpice,
                                                 CommonCapability.miniHeader])
        XCTAssertEqual(request.channelCaps.bits, [MainCapability.nameAndUUID, MainCapability.agentConnectedTokens])
        XCTAssertEqual(server.session.status(of: .main), .linking)
        XCTAssertTrue(server.session.wantsInput(.main), "the reply must be read")
    }

    // MARK: - Authentication

    func testReplyWithAuthSelectionGetsMechanismWordOneThenTheEncryptedTicket() throws {
        let server = FakeServer(password: Password("s3cret"))
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply())

        XCTAssertEqual(step.rawSends.count, 1)
        let bytes = try XCTUnwrap(step.rawSends.first?.bytes)
        XCTAssertEqual(bytes, [1, 0, 0, 0] + fakeEncryptedTicket, "mechanism AUTH_SPICE (1), then the 128-byte ticket")
        XCTAssertEqual(server.server(.main).mechanism, CommonCapability.authSpice)
        XCTAssertEqual(server.server(.main).ticket, fakeEncryptedTicket)
        XCTAssertEqual(server.encryptor.calls, [RecordingEncryptor.Call(ticket: Array("s3cret".utf8) + [0], publicKey: serverPublicKey)])
        XCTAssertEqual(server.encryptor.calls.first?.publicKey.count, 162)
        XCTAssertTrue(step.events.isEmpty, "not linked before the result")
        XCTAssertEqual(server.session.status(of: .main), .linking)
    }

    func testEmptyPasswordIsSentAsItsTerminatorAlone() {
        let server = FakeServer(password: .none)
        server.linkMain()
        XCTAssertEqual(server.encryptor.calls.map(\.ticket), [[0]])
    }

    func testServerWithoutAuthSelectionGetsTheBareTicket() throws {
        let server = FakeServer()
        server.commonCaps[.main] = CapabilitySet([CommonCapability.miniHeader])
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply())

        XCTAssertEqual(step.rawSends.map(\.bytes), [fakeEncryptedTicket], "no mechanism word before the ticket")
        XCTAssertNil(server.server(.main).mechanism)
        XCTAssertEqual(server.encryptor.calls.count, 1)

        let linked = server.receive(.main, server.server(.main).linkResult())
        XCTAssertEqual(linked.linked.map(\.channel), [.main])
    }

    func testServerWithAuthSelectionButNoAuthSpiceClosesWithUnsupportedAuthentication() throws {
        let server = FakeServer()
        server.commonCaps[.main] = CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSASL,
                                                  CommonCapability.miniHeader])
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply())

        XCTAssertTrue(step.rawSends.isEmpty, "neither a mechanism nor a ticket is sent: \(step.rawSends)")
        XCTAssertTrue(server.encryptor.calls.isEmpty)
        XCTAssertEqual(step.closes, [.main])
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .unsupportedAuthentication)
        XCTAssertEqual(error.channel, .main)
        XCTAssertEqual(step.sessionEnds, [error])
    }

    func testPasswordLongerThanSixtyBytesFailsWithBadPasswordBeforeEncrypting() throws {
        let server = FakeServer(password: Password(String(repeating: "x", count: 61)))
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply())

        XCTAssertTrue(server.encryptor.calls.isEmpty)
        XCTAssertTrue(step.rawSends.isEmpty)
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .badPassword)
        XCTAssertEqual(step.sessionEnds, [error])
    }

    func testPasswordOfExactlySixtyBytesIsSent() {
        let password = String(repeating: "y", count: 60)
        let server = FakeServer(password: Password(password))
        let step = server.linkMain()
        XCTAssertEqual(server.encryptor.calls.map(\.ticket), [Array(password.utf8) + [0]])
        XCTAssertEqual(step.linked.map(\.channel), [.main])
    }

    func testEncryptorThatThrowsFailsWithTicketEncryption() throws {
        let server = FakeServer(encryptor: RecordingEncryptor(.fails))
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply())

        XCTAssertEqual(server.encryptor.calls.count, 1)
        XCTAssertTrue(step.rawSends.isEmpty, "no mechanism word without a ticket to follow it")
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .ticketEncryption)
        XCTAssertEqual(step.sessionEnds, [error])
    }

    func testEncryptorReturningWrongSizeFailsWithTicketEncryption() throws {
        for size in [0, 127, 129, 256] {
            let server = FakeServer(encryptor: RecordingEncryptor(.returns(Array(repeating: 7, count: size))))
            _ = server.start()
            _ = server.connected(.main)
            let step = server.receive(.main, server.server(.main).linkReply())

            XCTAssertTrue(step.rawSends.isEmpty, "a \(size)-byte ticket must not be sent")
            let error = try XCTUnwrap(step.closures.first?.error, "size \(size)")
            XCTAssertEqual(error.code, .ticketEncryption, "size \(size)")
            XCTAssertTrue(error.detail.contains("\(size)"), "the error names the wrong size: \(error)")
        }
    }

    // MARK: - Result

    func testResultOKReportsChannelLinkedWithMiniHeaderWhenTheServerHasIt() throws {
        let server = FakeServer()
        _ = server.start()
        _ = server.connected(.main)
        _ = server.receive(.main, server.server(.main).linkReply())
        let step = server.receive(.main, server.server(.main).linkResult())

        let expected = LinkInfo(majorVersion: 2, minorVersion: 2, commonCaps: modernServerCaps,
                                channelCaps: CapabilitySet([MainCapability.nameAndUUID]), headerKind: .mini)
        XCTAssertEqual(step.actions, [.event(.channelLinked(.main, expected))])
        XCTAssertEqual(server.session.linkInfo(of: .main), expected)
        XCTAssertEqual(server.session.status(of: .main), .linked)
        XCTAssertTrue(server.session.wantsInput(.main))
    }

    func testResultOKReportsFullHeaderWhenTheServerLacksMiniHeader() throws {
        let server = FakeServer()
        server.commonCaps[.main] = fullHeaderServerCaps
        let step = server.linkMain()

        XCTAssertEqual(step.linked.map(\.info.headerKind), [.full])
        XCTAssertEqual(step.linked.first?.info, server.server(.main).expectedLinkInfo)
        XCTAssertEqual(server.session.linkInfo(of: .main)?.headerKind, .full)
    }

    func testPermissionDeniedEndsTheSessionWithAWrongPasswordError() throws {
        let server = FakeServer()
        _ = server.start()
        _ = server.connected(.main)
        _ = server.receive(.main, server.server(.main).linkReply())
        let step = server.receive(.main, server.server(.main).linkResult(.permissionDenied))

        XCTAssertEqual(step.closes, [.main])
        XCTAssertEqual(step.closures.count, 1)
        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(step.closures.first?.channel, .main)
        XCTAssertEqual(error.code, .linkRefused(.permissionDenied))
        XCTAssertTrue(error.detail.contains("wrong password"), error.detail)
        XCTAssertEqual(step.sessionEnds, [error])
        XCTAssertTrue(server.session.ended)
        XCTAssertEqual(server.session.status(of: .main), .closed(error))
    }

    func testReplyErrorNeedSecuredSendsNoTicketAndReopensTheChannelSecurely() throws {
        let server = FakeServer()
        _ = server.start()
        _ = server.connected(.main)
        let step = server.receive(.main, server.server(.main).linkReply(error: .needSecured))

        XCTAssertTrue(step.rawSends.isEmpty, "no ticket to a server that refused")
        XCTAssertTrue(server.encryptor.calls.isEmpty)
        // The channel starts over on the TLS port (SessionNeedSecuredTests); a second refusal is final.
        XCTAssertEqual(step.closes, [.main])
        XCTAssertEqual(step.connects, [.main])
        XCTAssertTrue(server.session.wantsSecureConnection(.main))
        XCTAssertTrue(step.sessionEnds.isEmpty)
    }

    func testReplyWithBadMagicClosesWithMalformedErrorNamingTheField() throws {
        let server = FakeServer()
        _ = server.start()
        _ = server.connected(.main)
        var reply = server.server(.main).linkReply()
        reply.replaceSubrange(0..<4, with: Array("HTTP".utf8))
        let step = server.receive(.main, reply)

        let error = try XCTUnwrap(step.closures.first?.error)
        XCTAssertEqual(error.code, .malformed)
        XCTAssertTrue(error.detail.contains("LinkHeader") && error.detail.contains("magic"), error.detail)
        XCTAssertEqual(step.sessionEnds, [error])
    }

    // MARK: - Byte boundaries

    func testLinkResultAndFirstMessageInOneReadAreBothHandled() throws {
        let server = FakeServer()
        _ = server.start()
        _ = server.connected(.main)
        let end = server.server(.main)
        let step = server.receive(.main, end.handshake() + end.main(.`init`(sampleInit)))

        XCTAssertEqual(step.linked.map(\.channel), [.main])
        XCTAssertTrue(step.events.contains(.sessionStarted(sampleInit)), "\(step.events)")
        XCTAssertEqual(step.messages(on: .main), [.main(.attachChannels)])
        XCTAssertEqual(server.session.mainInit, sampleInit)
    }

    func testServerStreamDripFedOneByteAtATimeGivesTheSameActionsAsOneRead() throws {
        // Two identical sessions; the main stream uses the mini header, the display stream the full one.
        let mainInit = MainInit(sessionID: 77, displayChannelsHint: 1, supportedMouseModes: 3, currentMouseMode: 1,
                                agentConnected: 0, agentTokens: 0, multiMediaTime: 1234, ramHint: 0)
        func script() -> (main: [UInt8], display: [UInt8]) {
            let main = ServerChannel(.main, channelCaps: CapabilitySet([MainCapability.nameAndUUID]))
            var mainBytes = main.handshake()
            mainBytes += main.base(.setAck(generation: 1, window: 2))
            mainBytes += main.main(.`init`(mainInit))
            mainBytes += main.base(.ping(Ping(id: 5, timestamp: 99, data: [1, 2, 3])))
            mainBytes += main.main(.name(Array("guest\0".utf8)))
            mainBytes += main.main(.channelsList([ChannelID(.display), ChannelID(.usbredir)]))
            mainBytes += main.main(.multiMediaTime(4321))
            let display = ServerChannel(ChannelID(.display), commonCaps: fullHeaderServerCaps)
            var displayBytes = display.handshake()
            displayBytes += display.base(.setAck(generation: 3, window: 1))
            displayBytes += display.message(type: 300, body: [9, 9])
            displayBytes += display.base(.ping(Ping(id: 6, timestamp: 7)))
            return (mainBytes, displayBytes)
        }
        let (mainStream, displayStream) = script()

        func run(_ feed: (FakeServer, ChannelID, [UInt8]) -> Step) -> FakeServer {
            let server = FakeServer()
            server.commonCaps[ChannelID(.display)] = fullHeaderServerCaps
            _ = server.start()
            _ = server.connected(.main)
            _ = feed(server, .main, mainStream)
            _ = server.connected(ChannelID(.display))
            _ = feed(server, ChannelID(.display), displayStream)
            return server
        }
        let whole = run { $0.receive($1, $2) }
        let dripped = run { $0.drip($1, $2) }

        XCTAssertEqual(dripped.history, whole.history)
        // The comparison means something only if the stream did everything it was built to do.
        XCTAssertTrue(whole.history.contains(.event(.sessionStarted(mainInit))))
        XCTAssertTrue(whole.history.contains(.event(.vmName("guest"))))
        XCTAssertEqual(whole.all.skipped, [ChannelID(.usbredir)])
        XCTAssertEqual(whole.server(.main).ticket, fakeEncryptedTicket)
        XCTAssertEqual(whole.server(.main).frames.map(\.message), [
            .base(.ackSync(generation: 1)), .main(.attachChannels), .main(.mouseModeRequest(MouseMode.client)),
            .base(.ack), .base(.pong(id: 5, timestamp: 99)), .base(.ack),
        ])
        let displayInit = DisplayClientMessage.`init`(pixmapCacheID: 1, pixmapCacheSize: Session.pixmapCachePixels,
                                                      glzDictionaryID: 1, glzWindowSize: Session.glzWindowPixels(ramHint: 0))
        XCTAssertEqual(whole.server(ChannelID(.display)).frames.map(\.message), [
            .display(displayInit), .base(.ackSync(generation: 3)), .base(.ack), .base(.ack), .base(.pong(id: 6, timestamp: 7)),
        ])
        XCTAssertEqual(dripped.server(ChannelID(.display)).frames, whole.server(ChannelID(.display)).frames)
    }
}
