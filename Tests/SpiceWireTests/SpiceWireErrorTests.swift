/// Tests for `SpiceWireError`: what a user, a log or a test reads when the peer sends bad bytes.
import SpiceWire
import XCTest

final class SpiceWireErrorTests: XCTestCase {
    func testDescriptionNamesChannelMessageFieldAndDetail() {
        let error = SpiceWireError(.overLimit, channel: "main", message: "CHANNELS_LIST", field: "num_of_channels",
                                   detail: "value 300 is over the limit of 256")
        XCTAssertEqual(error.description,
                       "main channel, message CHANNELS_LIST, field num_of_channels: value 300 is over the limit of 256")
    }

    func testErrorFromAParserDescribesWhereTheBytesWereWrong() {
        let body = le32(UInt32(Limits.maxChannelsListed + 1))
        let error = assertWireError(try MainServerMessage.parse(type: MainServerMessage.ID.channelsList, body: body),
                                    .overLimit, channel: "main", message: "CHANNELS_LIST", field: "num_of_channels")
        let text = error?.description ?? ""
        XCTAssertTrue(text.hasPrefix("main channel, message CHANNELS_LIST, field num_of_channels: "), text)
        XCTAssertTrue(text.contains("257"), "the detail names the offending value: \(text)")
        XCTAssertTrue(text.contains("256"), "the detail names the limit: \(text)")
    }

    func testErrorsWithDifferentFieldsAreNotEqual() {
        let a = SpiceWireError(.truncated, channel: "main", message: "INIT", field: "session_id", detail: "short")
        let b = SpiceWireError(.truncated, channel: "main", message: "INIT", field: "ram_hint", detail: "short")
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a, SpiceWireError(.truncated, channel: "main", message: "INIT", field: "session_id", detail: "short"))
    }
}
