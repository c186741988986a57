import SpiceCanvas
import SpiceCodecs
import XCTest

/// BITMAP conversion from every SPICE bitmap format into R,G,B,A surfaces, from the formats' definitions.
final class BitmapTests: XCTestCase {
    private func pixels(_ surface: Surface) -> [[UInt8]] {
        (0..<surface.height).flatMap { y in
            (0..<surface.width).map { x in
                let p = surface.row(y).assumingMemoryBound(to: UInt8.self) + x * 4
                return [p[0], p[1], p[2], p[3]]
            }
        }
    }

    private func decode(_ format: Bitmap.Format, width: Int, height: Int, stride: Int, topDown: Bool = true,
                        palette: [UInt32]? = nil, keepAlpha: Bool = false, _ data: [UInt8]) throws -> Surface {
        let surface = Surface(width: width, height: height, format: keepAlpha ? .argb32 : .xrgb32)!
        try data.withUnsafeBytes {
            try Bitmap.decode(format: format, width: width, height: height, stride: stride, topDown: topDown,
                              palette: palette, data: $0, into: surface, keepAlpha: keepAlpha)
        }
        return surface
    }

    func testThirtyTwoBitXRGBWithPaddedStrideBecomesRGBAOpaque() throws {
        // Little-endian xRGB words: bytes B,G,R,X. The X byte and the stride padding must not matter.
        let data: [UInt8] = [0x30, 0x20, 0x10, 0x00, 0x03, 0x02, 0x01, 0x7F, 0xEE, 0xEE, 0xEE, 0xEE,
                             0x33, 0x22, 0x11, 0x00, 0x00, 0x00, 0xFF, 0x00, 0xEE, 0xEE, 0xEE, 0xEE]
        let surface = try self.decode(.thirtyTwoBit, width: 2, height: 2, stride: 12, data)
        XCTAssertEqual(self.pixels(surface), [[0x10, 0x20, 0x30, 255], [0x01, 0x02, 0x03, 255],
                                              [0x11, 0x22, 0x33, 255], [0xFF, 0, 0, 255]])
    }

    func testBottomUpRowsAreFlipped() throws {
        let data: [UInt8] = [1, 2, 3, 0, 4, 5, 6, 0]
        let surface = try self.decode(.thirtyTwoBit, width: 1, height: 2, stride: 4, topDown: false, data)
        XCTAssertEqual(self.pixels(surface), [[6, 5, 4, 255], [3, 2, 1, 255]])
    }

    func testRGBAKeepsAlphaOnlyWhenAsked() throws {
        let data: [UInt8] = [3, 2, 1, 0x80]
        XCTAssertEqual(self.pixels(try self.decode(.rgba, width: 1, height: 1, stride: 4, keepAlpha: true, data)), [[1, 2, 3, 0x80]])
        XCTAssertEqual(self.pixels(try self.decode(.rgba, width: 1, height: 1, stride: 4, data)), [[1, 2, 3, 255]])
    }

    func testTwentyFourBitIsBGR() throws {
        let surface = try self.decode(.twentyFourBit, width: 2, height: 1, stride: 6, [0x0A, 0x0B, 0x0C, 1, 2, 3])
        XCTAssertEqual(self.pixels(surface), [[0x0C, 0x0B, 0x0A, 255], [3, 2, 1, 255]])
    }

    func testSixteenBitIsX555WidenedByRepeatingHighBits() throws {
        // 0x7C00 = pure red (31,0,0); 0x03E0 = green; 0x001F = blue; 0x4210 = (16,16,16).
        let data: [UInt8] = [0x00, 0x7C, 0xE0, 0x03, 0x1F, 0x00, 0x10, 0x42]
        let surface = try self.decode(.sixteenBit, width: 4, height: 1, stride: 8, data)
        XCTAssertEqual(self.pixels(surface), [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255], [132, 132, 132, 255]])
    }

    func testPalettedFormatsIndexThePaletteInTheirBitOrder() throws {
        let palette: [UInt32] = [0x000000, 0xFF0000, 0x00FF00, 0x0000FF]
        let red: [UInt8] = [255, 0, 0, 255], black: [UInt8] = [0, 0, 0, 255], green: [UInt8] = [0, 255, 0, 255], blue: [UInt8] = [0, 0, 255, 255]
        // 1-bit LE: pixel x is bit x of the byte (least significant first); BE: most significant first.
        XCTAssertEqual(self.pixels(try self.decode(.oneBitLE, width: 3, height: 1, stride: 1, palette: palette, [0b0000_0101])), [red, black, red])
        XCTAssertEqual(self.pixels(try self.decode(.oneBitBE, width: 3, height: 1, stride: 1, palette: palette, [0b1000_0000])), [red, black, black])
        // 4-bit BE: high nibble first; LE: low nibble first.
        XCTAssertEqual(self.pixels(try self.decode(.fourBitBE, width: 3, height: 1, stride: 2, palette: palette, [0x12, 0x30])), [red, green, blue])
        XCTAssertEqual(self.pixels(try self.decode(.fourBitLE, width: 3, height: 1, stride: 2, palette: palette, [0x21, 0x03])), [red, green, blue])
        XCTAssertEqual(self.pixels(try self.decode(.eightBit, width: 2, height: 1, stride: 2, palette: palette, [3, 0])), [blue, black])
    }

    func testRejectsAPaletteIndexPastThePalette() {
        XCTAssertThrowsError(try self.decode(.eightBit, width: 1, height: 1, stride: 1, palette: [0, 1], [2])) { error in
            XCTAssertEqual((error as? CodecError)?.code, .corruptData)
        }
    }

    func testRejectsAPalettedBitmapWithoutAPalette() {
        XCTAssertThrowsError(try self.decode(.eightBit, width: 1, height: 1, stride: 1, [0]))
    }

    func testRejectsDataShorterThanItsRows() {
        XCTAssertThrowsError(try self.decode(.thirtyTwoBit, width: 2, height: 2, stride: 8, [UInt8](repeating: 0, count: 15))) { error in
            XCTAssertEqual((error as? CodecError)?.code, .corruptData)
        }
    }

    func testRejectsAStrideShorterThanARow() {
        XCTAssertThrowsError(try self.decode(.twentyFourBit, width: 2, height: 1, stride: 5, [UInt8](repeating: 0, count: 16)))
    }

    func testEightBitAlphaGoesIntoAnAlphaSurface() throws {
        let surface = Surface(width: 3, height: 1, format: .a8)!
        try [UInt8]([0, 128, 255]).withUnsafeBytes {
            try Bitmap.decode(format: .eightBitAlpha, width: 3, height: 1, stride: 3, topDown: true, palette: nil, data: $0, into: surface, keepAlpha: true)
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: surface.pixels.assumingMemoryBound(to: UInt8.self), count: 3)), [0, 128, 255])
    }
}
