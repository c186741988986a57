/// Tests for the link handshake messages: `LinkHeader`, `LinkMess`, `LinkReply`, `LinkAuthMechanism` and
/// `LinkResult` (spice-protocol `protocol.h`). Rejections are in `RejectionTests`.
import SpiceWire
import XCTest

final class LinkTests: XCTestCase {
    /// A display-channel link request with both kinds of capability, the second set two words long.
    let displayMess = LinkMess(connectionID: 0x0102_0304, channel: ChannelID(.display, 1),
                               commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.miniHeader]),
                               channelCaps: CapabilitySet([33]))

    // MARK: - LinkHeader

    func testLinkHeaderHasExactLayout() {
        var w = WireWriter()
        LinkHeader(size: 0x1E).encode(into: &w)
        XCTAssertEqual(w.bytes, [0x52, 0x45, 0x44, 0x51, 2, 0, 0, 0, 2, 0, 0, 0, 0x1E, 0, 0, 0])
        XCTAssertEqual(Array(w.bytes[0..<4]), redq)
    }

    func testLinkHeaderRoundTripsWithAnyMinorVersion() throws {
        for header in [LinkHeader(size: 0), LinkHeader(size: 178), LinkHeader(size: 4096, minorVersion: 1),
                       LinkHeader(size: 30, minorVersion: 0xFFFF_FFFF)] {
            var w = WireWriter()
            header.encode(into: &w)
            XCTAssertEqual(w.count, LinkHeader.size)
            XCTAssertEqual(try LinkHeader.parse(w.bytes), header)
        }
    }

    func testLinkHeaderReadsOnlyItsOwnSixteenBytes() throws {
        // The reply body follows the header in the same read; the header must not look at it.
        let bytes = redq + le32(2) + le32(2) + le32(178) + [0xFF, 0xFF, 0xFF]
        XCTAssertEqual(try LinkHeader.parse(bytes), LinkHeader(size: 178))
    }

    func testLinkHeaderNeedsAllSixteenBytes() throws {
        let whole = redq + le32(2) + le32(2) + le32(18)
        for length in 0..<whole.count {
            XCTAssertNil(try LinkHeader.parse(Array(whole[..<length])), "prefix \(length)")
        }
        XCTAssertEqual(try LinkHeader.parse(whole), LinkHeader(size: 18))
    }

    func testShortBadHeaderWaitsInsteadOfFailing() throws {
        // "Need more bytes" wins over "wrong": the magic is judged only once the whole header is in.
        let bad = Array("HTTP/1.1 400 Bad".utf8)
        for length in 0..<LinkHeader.size {
            XCTAssertNil(try LinkHeader.parse(Array(bad[..<length])), "prefix \(length)")
        }
        XCTAssertThrowsError(try LinkHeader.parse(bad))
    }

    // MARK: - LinkMess

    func testLinkMessWithHeaderHasExactLayout() {
        let expected: [UInt8] =
            redq + le32(2) + le32(2) + le32(18 + 4 * 3)   // header: size = 18 + 4 * words
            + [0x04, 0x03, 0x02, 0x01]                     // connection_id
            + [0x02, 0x01]                                 // channel_type display, channel_id 1
            + [0x01, 0, 0, 0]                              // num_common_caps
            + [0x02, 0, 0, 0]                              // num_channel_caps
            + [0x12, 0, 0, 0]                              // caps_offset = 18
            + [0x09, 0, 0, 0]                              // common caps: bits 0 and 3
            + [0, 0, 0, 0, 0x02, 0, 0, 0]                  // channel caps: bit 33
        XCTAssertEqual(self.displayMess.encodeWithHeader(), expected)
        XCTAssertEqual(expected.count, 16 + 30)
    }

    func testLinkMessWithoutCapsIsEighteenBytes() {
        let mess = LinkMess(connectionID: 0, channel: .main, commonCaps: CapabilitySet(), channelCaps: CapabilitySet())
        let bytes = mess.encodeWithHeader()
        XCTAssertEqual(bytes.count, 16 + 18)
        XCTAssertEqual(Array(bytes[12..<16]), le32(18))
        XCTAssertEqual(Array(bytes[30..<34]), le32(18), "caps_offset points just past the fixed part")
    }

    func testLinkMessRoundTrips() throws {
        let messages = [
            self.displayMess,
            LinkMess(connectionID: 0, channel: .main, commonCaps: CapabilitySet(), channelCaps: CapabilitySet()),
            LinkMess(connectionID: .max, channel: ChannelID(ChannelType(rawValue: 200), 255),
                     commonCaps: CapabilitySet(words: [0xFFFF_FFFF, 0]), channelCaps: CapabilitySet()),
        ]
        for mess in messages {
            let bytes = mess.encodeWithHeader()
            let header = try XCTUnwrap(try LinkHeader.parse(bytes))
            XCTAssertEqual(Int(header.size), bytes.count - LinkHeader.size)
            XCTAssertEqual(try LinkMess(body: Array(bytes[LinkHeader.size...])), mess)
        }
    }

    func testEveryStrictPrefixOfLinkMessIsTruncated() {
        let body = Array(self.displayMess.encodeWithHeader()[LinkHeader.size...])
        assertEveryStrictPrefix(of: body, parse: { (b: [UInt8]) throws(SpiceWireError) -> LinkMess? in try LinkMess(body: b) },
                                expected: { length in
                                    switch length {
                                    case 0..<4: .fails(.truncated, field: "connection_id")
                                    case 4: .fails(.truncated, field: "channel_type")
                                    case 5: .fails(.truncated, field: "channel_id")
                                    case 6..<10: .fails(.truncated, field: "num_common_caps")
                                    case 10..<14: .fails(.truncated, field: "num_channel_caps")
                                    case 14..<18: .fails(.truncated, field: "caps_offset")
                                    case 18..<22: .fails(.truncated, field: "common_caps")
                                    default: .fails(.truncated, field: "channel_caps")
                                    }
                                }, context: "SpiceLinkMess")
    }

    // MARK: - LinkReply

    var sampleReply: LinkReply {
        LinkReply(error: .ok, publicKey: samplePublicKey,
                  commonCaps: CapabilitySet([CommonCapability.protocolAuthSelection, CommonCapability.authSpice, CommonCapability.miniHeader]),
                  channelCaps: CapabilitySet([MainCapability.nameAndUUID, MainCapability.agentConnectedTokens]))
    }

    func testLinkReplyHasExactLayout() {
        let bytes = self.sampleReply.encodeWithHeader()
        XCTAssertEqual(bytes.count, 16 + 178 + 8)
        XCTAssertEqual(Array(bytes[0..<16]), redq + le32(2) + le32(2) + le32(178 + 8))
        let body = Array(bytes[16...])
        XCTAssertEqual(Array(body[0..<4]), le32(0), "error")
        XCTAssertEqual(Array(body[4..<166]), samplePublicKey, "pub_key")
        XCTAssertEqual(Array(body[166..<170]), le32(1), "num_common_caps")
        XCTAssertEqual(Array(body[170..<174]), le32(1), "num_channel_caps")
        XCTAssertEqual(Array(body[174..<178]), le32(178), "caps_offset")
        XCTAssertEqual(Array(body[178..<182]), le32(0b1011), "common caps")
        XCTAssertEqual(Array(body[182..<186]), le32(0b0110), "channel caps")
    }

    func testLinkReplyRoundTrips() throws {
        let replies = [
            self.sampleReply,
            LinkReply(error: .permissionDenied, publicKey: samplePublicKey, commonCaps: CapabilitySet(), channelCaps: CapabilitySet()),
            LinkReply(error: LinkError(rawValue: 77), publicKey: [UInt8](repeating: 0, count: 162),
                      commonCaps: CapabilitySet(words: [1, 2, 3]), channelCaps: CapabilitySet(words: [4, 5])),
        ]
        for reply in replies {
            let bytes = reply.encodeWithHeader()
            let header = try XCTUnwrap(try LinkHeader.parse(bytes))
            XCTAssertEqual(Int(header.size), bytes.count - LinkHeader.size)
            XCTAssertEqual(try LinkReply(body: Array(bytes[LinkHeader.size...])), reply)
        }
    }

    func testLinkReplyParsesAHandWrittenServerReply() throws {
        let body = le32(LinkError.needSecured.rawValue) + samplePublicKey + le32(1) + le32(0) + le32(178) + le32(0x0000_000B)
        let reply = try LinkReply(body: body)
        XCTAssertEqual(reply.error, .needSecured)
        XCTAssertEqual(reply.publicKey, samplePublicKey)
        XCTAssertTrue(reply.commonCaps.contains(CommonCapability.miniHeader))
        XCTAssertFalse(reply.commonCaps.contains(CommonCapability.authSASL))
        XCTAssertEqual(reply.channelCaps, CapabilitySet())
    }

    func testEveryStrictPrefixOfLinkReplyIsTruncated() {
        let body = Array(self.sampleReply.encodeWithHeader()[LinkHeader.size...])
        assertEveryStrictPrefix(of: body, parse: { (b: [UInt8]) throws(SpiceWireError) -> LinkReply? in try LinkReply(body: b) },
                                expected: { length in
                                    switch length {
                                    case 0..<4: .fails(.truncated, field: "error")
                                    case 4..<166: .fails(.truncated, field: "pub_key")
                                    case 166..<170: .fails(.truncated, field: "num_common_caps")
                                    case 170..<174: .fails(.truncated, field: "num_channel_caps")
                                    case 174..<178: .fails(.truncated, field: "caps_offset")
                                    case 178..<182: .fails(.truncated, field: "common_caps")
                                    default: .fails(.truncated, field: "channel_caps")
                                    }
                                }, context: "SpiceLinkReply")
    }

    // MARK: - Auth mechanism and link result

    func testLinkAuthMechanismIsOneLittleEndianWord() throws {
        let mechanism = LinkAuthMechanism(mechanism: CommonCapability.authSpice)
        XCTAssertEqual(mechanism.encode(), [0x01, 0, 0, 0])
        XCTAssertEqual(try LinkAuthMechanism.parse(mechanism.encode()), mechanism)
        XCTAssertEqual(try LinkAuthMechanism.parse(le32(0x0102_0304)), LinkAuthMechanism(mechanism: 0x0102_0304))
    }

    func testLinkResultIsOneLittleEndianWord() throws {
        XCTAssertEqual(LinkResult(error: .permissionDenied).encode(), [0x07, 0, 0, 0])
        for raw: UInt32 in [0, 1, 7, 9, 0xDEAD_BEEF] {
            let result = LinkResult(error: LinkError(rawValue: raw))
            XCTAssertEqual(try LinkResult.parse(result.encode()), result)
        }
    }

    func testLinkAuthMechanismAndResultNeedAllFourBytes() throws {
        let whole: [UInt8] = [0x02, 0, 0, 0]
        for length in 0..<4 {
            XCTAssertNil(try LinkAuthMechanism.parse(Array(whole[..<length])), "prefix \(length)")
            XCTAssertNil(try LinkResult.parse(Array(whole[..<length])), "prefix \(length)")
        }
        XCTAssertEqual(try LinkAuthMechanism.parse(whole), LinkAuthMechanism(mechanism: CommonCapability.authSASL))
        XCTAssertEqual(try LinkResult.parse(whole), LinkResult(error: .invalidMagic))
        // The data phase may follow in the same read: only the first word is the result.
        XCTAssertEqual(try LinkResult.parse(whole + [0xFF, 0xFF]), LinkResult(error: .invalidMagic))
    }

    func testLinkErrorsDescribeWhatTheUserCanDo() {
        XCTAssertEqual(LinkError.ok.description, "ok")
        XCTAssertTrue(LinkError.permissionDenied.description.contains("password"))
        XCTAssertTrue(LinkError.needSecured.description.contains("TLS"))
        XCTAssertEqual(LinkError(rawValue: 10).description, "unknown link error 10")
    }
}
