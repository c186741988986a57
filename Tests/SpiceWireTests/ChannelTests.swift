/// Tests for `ChannelType`, `ChannelID` and `CapabilitySet` (capability `n` is bit `n % 32` of word `n / 32`).
import SpiceWire
import XCTest

final class ChannelTests: XCTestCase {
    // MARK: - Capability sets

    func testCapabilityThreeIsBitThreeOfWordZero() {
        let caps = CapabilitySet([CommonCapability.miniHeader])
        XCTAssertEqual(caps.words, [0x0000_0008])
        XCTAssertTrue(caps.contains(3))
        XCTAssertFalse(caps.contains(2))
    }

    func testCapabilityThirtyThreeIsBitOneOfWordOne() {
        let caps = CapabilitySet([33])
        XCTAssertEqual(caps.words, [0, 0x0000_0002])
        XCTAssertTrue(caps.contains(33))
        XCTAssertFalse(caps.contains(1), "bit 1 of word 0 is a different capability")
        XCTAssertFalse(caps.contains(32))
    }

    func testCapabilityThirtyOneIsTheTopBitOfWordZero() {
        XCTAssertEqual(CapabilitySet([31]).words, [0x8000_0000])
        XCTAssertEqual(CapabilitySet([32]).words, [0, 1])
    }

    func testWordsFromTheWireMapBackToCapabilityNumbers() {
        let caps = CapabilitySet(words: [0x0000_0009, 0x0000_0002])
        XCTAssertEqual(caps.bits, [0, 3, 33])
        XCTAssertTrue(caps.contains(CommonCapability.protocolAuthSelection))
        XCTAssertTrue(caps.contains(CommonCapability.miniHeader))
        XCTAssertFalse(caps.contains(CommonCapability.authSpice))
        XCTAssertFalse(caps.contains(64), "a capability beyond the last word is absent, not an out-of-range read")
        XCTAssertEqual(caps.description, "[0,3,33]")
    }

    func testInsertingKeepsEarlierBitsAndGrowsOnlyAsNeeded() {
        var caps = CapabilitySet()
        XCTAssertEqual(caps.words, [])
        caps.insert(1)
        caps.insert(3)
        caps.insert(1)
        XCTAssertEqual(caps.words, [0x0000_000A])
        caps.insert(70)
        XCTAssertEqual(caps.words, [0x0000_000A, 0, 0x0000_0040])
        XCTAssertEqual(caps.bits, [1, 3, 70])
    }

    // MARK: - Channel names

    func testKnownChannelTypesHaveSpiceGtkNames() {
        let expected: [(ChannelType, String, UInt8)] = [
            (.main, "main", 1), (.display, "display", 2), (.inputs, "inputs", 3), (.cursor, "cursor", 4),
            (.playback, "playback", 5), (.record, "record", 6), (.tunnel, "tunnel", 7), (.smartcard, "smartcard", 8),
            (.usbredir, "usbredir", 9), (.port, "port", 10), (.webdav, "webdav", 11),
        ]
        for (type, name, raw) in expected {
            XCTAssertEqual(type.rawValue, raw)
            XCTAssertEqual("\(type.name)", name)
            XCTAssertEqual(type.description, name)
        }
    }

    func testUnknownChannelTypeIsReportedByNumber() {
        let type = ChannelType(rawValue: 42)
        XCTAssertEqual("\(type.name)", "unknown")
        XCTAssertEqual(type.description, "unknown(42)")
        XCTAssertEqual(ChannelType(rawValue: 0).description, "unknown(0)")
    }

    func testChannelIDDescribesTypeAndID() {
        XCTAssertEqual(ChannelID(.display, 1).description, "display:1")
        XCTAssertEqual(ChannelID.main, ChannelID(.main, 0))
        XCTAssertNotEqual(ChannelID(.display, 0), ChannelID(.display, 1))
    }
}
