import SpiceCanvas
import XCTest

/// DRAW_ROP3 against a bit-by-bit truth-table model, and DRAW_OPAQUE.
final class Rop3Tests: XCTestCase {
    /// The ROP3 code applied bit by bit: bit (P << 2 | S << 1 | D) of the code is the result.
    static func model(_ code: UInt8, pattern: UInt32, source: UInt32, destination: UInt32) -> UInt32 {
        var result: UInt32 = 0
        for bit in 0..<32 {
            let p = (pattern >> bit) & 1, s = (source >> bit) & 1, d = (destination >> bit) & 1
            let index = p << 2 | s << 1 | d
            result |= UInt32((code >> UInt8(index)) & 1) << bit
        }
        return result
    }

    static func color(_ word: UInt32) -> Color {
        Color(r: UInt8(word & 0xFF), g: UInt8(word >> 8 & 0xFF), b: UInt8(word >> 16 & 0xFF), a: UInt8(word >> 24))
    }

    func testAll256CodesMatchTheTruthTableWithASolidBrush() {
        var random = TestRandom(seed: 11)
        for format in [PixelFormat.argb32, .xrgb32] {
            for code in 0...255 {
                let source = randomSurface(8, 8, .argb32, &random)
                let destination = randomSurface(8, 8, format, &random)
                let before = destination.words
                let brush = random.word()
                destination.rop3(from: source, sourceArea: source.bounds, to: destination.bounds, brush: .solid(Self.color(brush)), rop3: UInt8(code))
                let expected = (0..<8).map { y in
                    (0..<8).map { x in
                        let r = Self.model(UInt8(code), pattern: brush, source: source.word(x, y), destination: before[y][x])
                        return format.hasAlpha ? r : r | 0xFF00_0000
                    }
                }
                assertPixels(destination.words, expected, "rop3 \(String(code, radix: 16)) on \(format)")
            }
        }
    }

    func testAll256CodesMatchTheTruthTableWithAPatternBrush() {
        var random = TestRandom(seed: 12)
        for code in 0...255 {
            let source = randomSurface(10, 9, .argb32, &random)
            let tile = randomSurface(3, 5, .argb32, &random)
            let destination = randomSurface(8, 8, .argb32, &random)
            let before = destination.words
            let origin = CanvasPoint(x: 2, y: -1)
            destination.rop3(from: source, sourceArea: CanvasRect(left: 2, top: 1, right: 10, bottom: 9), to: destination.bounds,
                             brush: .pattern(tile, origin: origin), rop3: UInt8(code))
            let expected = (0..<8).map { y in
                (0..<8).map { x in
                    let pattern = tile.word(((x - 2) % 3 + 3) % 3, ((y + 1) % 5 + 5) % 5)
                    return Self.model(UInt8(code), pattern: pattern, source: source.word(x + 2, y + 1), destination: before[y][x])
                }
            }
            assertPixels(destination.words, expected, "rop3 \(String(code, radix: 16)) with a pattern")
        }
    }

    func testNamedCodesHaveTheirWindowsMeaning() {
        var random = TestRandom(seed: 13)
        let checks: [(UInt8, (UInt32, UInt32, UInt32) -> UInt32)] = [
            (0xCC, { _, s, _ in s }), (0xF0, { p, _, _ in p }), (0xAA, { _, _, d in d }), (0x66, { _, s, d in s ^ d }),
            (0x00, { _, _, _ in 0 }), (0xFF, { _, _, _ in ~0 }), (0x5A, { p, _, d in p ^ d }), (0x88, { _, s, d in s & d }),
            (0xEE, { _, s, d in s | d }), (0x33, { _, s, _ in ~s }), (0x55, { _, _, d in ~d }),
        ]
        for (code, meaning) in checks {
            let source = randomSurface(4, 4, .argb32, &random)
            let destination = randomSurface(4, 4, .argb32, &random)
            let before = destination.words
            let brush = random.word()
            destination.rop3(from: source, sourceArea: source.bounds, to: destination.bounds, brush: .solid(Self.color(brush)), rop3: code)
            for y in 0..<4 {
                for x in 0..<4 {
                    XCTAssertEqual(destination.word(x, y), meaning(brush, source.word(x, y), before[y][x]), "code \(String(code, radix: 16))")
                }
            }
        }
    }

    func testRop3ClipsToTheClipAndScalesTheSource() {
        let source = makeSurface(2, 2) { x, y in UInt32(0x10 * y + x + 1) }
        let destination = makeSurface(4, 4) { _, _ in 0 }
        let clip = CanvasRect(left: 0, top: 2, right: 4, bottom: 4)
        destination.rop3(from: source, sourceArea: source.bounds, to: destination.bounds, clip: .rects([clip]),
                         brush: .solid(Color(r: 0xF0, g: 0, b: 0)), rop3: 0xEE, scaleMode: .nearest)
        for y in 0..<4 {
            for x in 0..<4 {
                let expected: UInt32 = inside(x, y, clip) ? 0xFF00_0000 | UInt32(0x10 * (y / 2) + x / 2 + 1) : 0xFF00_0000
                XCTAssertEqual(destination.word(x, y), expected)
            }
        }
    }

    func testOpaqueCombinesTheBrushWithTheCopiedImage() {
        let source = makeSurface(2, 1) { x, _ in x == 0 ? 0x00F0_F0F0 : 0x000F_0F0F }
        let brush = Brush.solid(Color(r: 0xFF, g: 0x00, b: 0x3C))
        let anded = makeSurface(2, 1) { _, _ in 0x0012_3456 }
        anded.opaque(from: source, sourceArea: source.bounds, to: anded.bounds, brush: brush, ropd: .opAnd)
        XCTAssertEqual(anded.words, [[0xFF30_00F0, 0xFF0C_000F]])
        let invertedSource = makeSurface(2, 1) { _, _ in 0x0012_3456 }
        invertedSource.opaque(from: source, sourceArea: source.bounds, to: invertedSource.bounds, brush: brush, ropd: [.opAnd, .inversSrc, .inversDest])
        XCTAssertEqual(invertedSource.words, [[0xFF0C_000F, 0xFF30_00F0]])
        let put = makeSurface(2, 1) { _, _ in 0 }
        put.opaque(from: source, sourceArea: source.bounds, to: put.bounds, brush: brush, ropd: .opPut)
        XCTAssertEqual(put.words, [[0xFF3C_00FF, 0xFF3C_00FF]])
    }

    func testBlendIsACopyWithTheRopd() {
        let source = makeSurface(1, 1) { _, _ in 0x0000_00F0 }
        let destination = makeSurface(1, 1) { _, _ in 0x0000_00FF }
        destination.blend(from: source, sourceArea: source.bounds, to: destination.bounds, ropd: .opXor)
        XCTAssertEqual(destination.word(0, 0), 0xFF00_000F)
    }
}
