import SpiceCodecs
import XCTest

final class PNGTests: XCTestCase {
    /// Splits a PNG into (type, data) chunks, checking each chunk's CRC.
    private func chunks(_ png: [UInt8]) throws -> [(String, [UInt8])] {
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var result: [(String, [UInt8])] = []
        var i = 8
        func be32(_ at: Int) -> UInt32 { png[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        while i < png.count {
            let length = Int(be32(i))
            let typed = Array(png[(i + 4)..<(i + 8 + length)])
            let crc = be32(i + 8 + length)
            XCTAssertEqual(typed.withUnsafeBytes { Zlib.crc32($0) }, crc, "chunk CRC")
            result.append((String(decoding: typed.prefix(4), as: UTF8.self), Array(typed.dropFirst(4))))
            i += 12 + length
        }
        return result
    }

    func testEncodesRGBRowsWithFilterNoneAndDropsAlpha() throws {
        // 3x2 pixels with a padded stride of 16 bytes; the padding must not leak into the image.
        var pixels = [UInt8](repeating: 0xEE, count: 16 * 2)
        for y in 0..<2 { for x in 0..<3 { for c in 0..<4 { pixels[y * 16 + x * 4 + c] = UInt8(y * 100 + x * 10 + c) } } }
        let png = try pixels.withUnsafeBytes { try PNG.encode(pixels: $0.baseAddress!, width: 3, height: 2, stride: 16, keepAlpha: false) }
        let parts = try self.chunks(png)
        XCTAssertEqual(parts.map(\.0), ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(parts[0].1, [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0])
        var raw = [UInt8](repeating: 0, count: 2 * (1 + 9))
        let inflater = try ZlibInflater()
        let written = try parts[1].1.withUnsafeBytes { source in try raw.withUnsafeMutableBytes { try inflater.inflate(source, into: $0) } }
        XCTAssertEqual(written, raw.count)
        XCTAssertEqual(raw, [0, 0, 1, 2, 10, 11, 12, 20, 21, 22,
                             0, 100, 101, 102, 110, 111, 112, 120, 121, 122])
    }

    func testKeepsAlphaWhenAsked() throws {
        let pixels: [UInt8] = [1, 2, 3, 4]
        let png = try pixels.withUnsafeBytes { try PNG.encode(pixels: $0.baseAddress!, width: 1, height: 1, stride: 4, keepAlpha: true) }
        let parts = try self.chunks(png)
        XCTAssertEqual(parts[0].1[9], 6, "colour type RGBA")
        var raw = [UInt8](repeating: 0, count: 5)
        let inflater = try ZlibInflater()
        _ = try parts[1].1.withUnsafeBytes { source in try raw.withUnsafeMutableBytes { try inflater.inflate(source, into: $0) } }
        XCTAssertEqual(raw, [0, 1, 2, 3, 4])
    }

    func testRejectsAStrideShorterThanARow() {
        let pixels = [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try pixels.withUnsafeBytes { try PNG.encode(pixels: $0.baseAddress!, width: 4, height: 1, stride: 8, keepAlpha: false) })
    }
}
