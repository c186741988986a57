import SpiceCanvas
import XCTest

/// A deterministic pseudo-random source (SplitMix64), so every run tests the same pixels.
struct TestRandom {
    var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: self.next()) }
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(self.next() % UInt64(range.count)) }
}

/// Pixels are handled as R,G,B,A memory words: R in the low byte (what `Color.rgbaWord` gives).
extension Surface {
    func word(_ x: Int, _ y: Int) -> UInt32 {
        UInt32(littleEndian: self.row(y).load(fromByteOffset: x * 4, as: UInt32.self))
    }

    func setWord(_ x: Int, _ y: Int, _ value: UInt32) {
        self.row(y).storeBytes(of: value.littleEndian, toByteOffset: x * 4, as: UInt32.self)
    }

    func byte(_ x: Int, _ y: Int) -> UInt8 { self.row(y).load(fromByteOffset: x, as: UInt8.self) }

    func setByte(_ x: Int, _ y: Int, _ value: UInt8) { self.row(y).storeBytes(of: value, toByteOffset: x, as: UInt8.self) }

    /// Every pixel as a word, row by row.
    var words: [[UInt32]] { (0..<self.height).map { y in (0..<self.width).map { x in self.word(x, y) } } }

    var bytes: [[UInt8]] { (0..<self.height).map { y in (0..<self.width).map { x in self.byte(x, y) } } }
}

/// A 32-bit surface with every pixel from `pixel(x, y)` (A forced to 255 when the format is opaque).
func makeSurface(_ width: Int, _ height: Int, _ format: PixelFormat = .xrgb32, _ pixel: (Int, Int) -> UInt32) -> Surface {
    let surface = Surface(width: width, height: height, format: format)!
    for y in 0..<height {
        for x in 0..<width {
            var value = pixel(x, y)
            if !format.hasAlpha { value |= 0xFF00_0000 }
            surface.setWord(x, y, value)
        }
    }
    return surface
}

/// A surface of random pixels.
func randomSurface(_ width: Int, _ height: Int, _ format: PixelFormat, _ random: inout TestRandom) -> Surface {
    var values: [UInt32] = []
    for _ in 0..<(width * height) { values.append(random.word()) }
    return makeSurface(width, height, format) { x, y in values[y * width + x] }
}

/// An a1 surface from rows of "#" (set) and "." (clear).
func makeMask(_ rows: [String]) -> Surface {
    let surface = Surface(width: rows[0].count, height: rows.count, format: .a1)!
    for (y, row) in rows.enumerated() {
        for (x, c) in row.enumerated() { surface.setByte(x, y, c == "#" ? 255 : 0) }
    }
    return surface
}

func word(_ color: Color) -> UInt32 { color.rgbaWord }

/// Whether `(x, y)` is inside `rect`.
func inside(_ x: Int, _ y: Int, _ rect: CanvasRect) -> Bool {
    x >= rect.left && x < rect.right && y >= rect.top && y < rect.bottom
}

/// Compares two pixel grids and reports the first differing pixel.
func assertPixels(_ actual: [[UInt32]], _ expected: [[UInt32]], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "row count", file: file, line: line)
    for y in 0..<min(actual.count, expected.count) {
        for x in 0..<min(actual[y].count, expected[y].count) where actual[y][x] != expected[y][x] {
            XCTFail("\(message) pixel (\(x), \(y)): got \(String(actual[y][x], radix: 16)), expected \(String(expected[y][x], radix: 16))",
                    file: file, line: line)
            return
        }
    }
}
