/// Helpers shared by the SpiceWire tests: hand-built little-endian bytes, error assertions and the prefix
/// oracle used by every drip-feed test.
import SpiceWire
import XCTest

// MARK: - Hand-built little-endian bytes

// These deliberately do not use `WireWriter`, so that a layout bug in the writer cannot hide behind a test
// that builds its expected bytes with the same writer.

func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }

func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }

func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }

/// The four magic bytes of every link header.
let redq: [UInt8] = Array("REDQ".utf8)

/// A 162-byte stand-in for the DER public key of a link reply; every byte differs from its neighbours so a
/// shifted copy is caught.
let samplePublicKey: [UInt8] = (0..<Limits.ticketPublicKeySize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }

// MARK: - Error assertions

/// Asserts that `expression` throws a `SpiceWireError` with `code` that names `channel`, `message` and `field`.
///
/// Returns the error, so a test can look further at it.
@discardableResult
func assertWireError<T>(
    _ expression: @autoclosure () throws(SpiceWireError) -> T,
    _ code: SpiceWireError.Code,
    channel: String,
    message: String,
    field: String,
    file: StaticString = #filePath,
    line: UInt = #line
) -> SpiceWireError? {
    do {
        let value = try expression()
        XCTFail("expected a \(code) error in \(message).\(field), but got \(value)", file: file, line: line)
        return nil
    } catch {
        XCTAssertEqual(error.code, code, "code of: \(error)", file: file, line: line)
        XCTAssertEqual(error.channel, channel, "channel of: \(error)", file: file, line: line)
        XCTAssertEqual(error.message, message, "message of: \(error)", file: file, line: line)
        XCTAssertEqual(error.field, field, "field of: \(error)", file: file, line: line)
        XCTAssertFalse(error.detail.isEmpty, "an error must explain itself", file: file, line: line)
        // House style: a detail starts lowercase (acronyms such as "REDQ" or "NUL" may follow) and has no final period.
        XCTAssertFalse(error.detail.first?.isUppercase ?? true, "details start lowercase: \(error)", file: file, line: line)
        XCTAssertFalse(error.detail.hasSuffix("."), "details have no final period: \(error)", file: file, line: line)
        return error
    }
}

/// Runs `expression`, failing the test (instead of the whole run) if it throws.
func assertNoWireError<T>(
    _ expression: @autoclosure () throws(SpiceWireError) -> T,
    file: StaticString = #filePath,
    line: UInt = #line
) -> T? {
    do {
        return try expression()
    } catch {
        XCTFail("unexpected error: \(error)", file: file, line: line)
        return nil
    }
}

// MARK: - Drip-feed oracle

/// What parsing the first `n` bytes of a valid body must give.
enum PrefixOutcome<Value: Equatable> {
    /// The parser must throw this code for this field.
    case fails(SpiceWireError.Code, field: String)
    /// The parser must succeed with this value (only for messages whose last field is a trailing
    /// `data[]` blob, or an optional terminator).
    case parses(Value)
}

/// Feeds every strict prefix of `body` to `parse` and checks each result against `expected(prefixLength)`.
///
/// A parser under test gets a complete framed body, so a short one is malformed: it must throw (or, for a
/// trailing blob, decode a shorter blob). It must never crash, and never return `nil` for a known type.
func assertEveryStrictPrefix<Value: Equatable>(
    of body: [UInt8],
    parse: ([UInt8]) throws(SpiceWireError) -> Value?,
    expected: (Int) -> PrefixOutcome<Value>,
    context: String,
    file: StaticString = #filePath,
    line: UInt = #line
) {
    for length in 0..<body.count {
        let prefix = Array(body[..<length])
        let outcome: Result<Value?, SpiceWireError>
        do { outcome = .success(try parse(prefix)) } catch { outcome = .failure(error) }
        switch (expected(length), outcome) {
        case (.fails(let code, let field), .failure(let error)):
            XCTAssertEqual(error.code, code, "\(context), prefix \(length)/\(body.count): \(error)", file: file, line: line)
            XCTAssertEqual(error.field, field, "\(context), prefix \(length)/\(body.count): \(error)", file: file, line: line)
        case (.fails(let code, let field), .success(let value)):
            XCTFail("\(context), prefix \(length)/\(body.count): expected \(code) in \(field), parsed \(String(describing: value))",
                    file: file, line: line)
        case (.parses(let value), .success(let parsed)):
            XCTAssertEqual(parsed, value, "\(context), prefix \(length)/\(body.count)", file: file, line: line)
        case (.parses(let value), .failure(let error)):
            XCTFail("\(context), prefix \(length)/\(body.count): expected \(value), got \(error)", file: file, line: line)
        }
    }
}
