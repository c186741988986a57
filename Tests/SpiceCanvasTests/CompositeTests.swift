import SpiceCanvas
import XCTest

/// DRAW_COMPOSITE: Porter-Duff operators, a8 masks and repeat modes.
final class CompositeTests: XCTestCase {
    func channels(_ word: UInt32) -> [Int] { [Int(word & 0xFF), Int(word >> 8 & 0xFF), Int(word >> 16 & 0xFF), Int(word >> 24)] }

    func assertClose(_ actual: UInt32, _ expected: [Int], file: StaticString = #filePath, line: UInt = #line) {
        let got = self.channels(actual)
        if zip(got, expected).contains(where: { abs($0 - $1) > 1 }) { XCTFail("got \(got), expected \(expected)", file: file, line: line) }
    }

    func testOverThroughAnA8MaskWithARepeatingSolidSource() {
        let red = makeSurface(1, 1, .argb32) { _, _ in 0xFF00_00FF }
        let mask = Surface(width: 3, height: 1, format: .a8)!
        mask.setByte(1, 0, 128)
        mask.setByte(2, 0, 255)
        let destination = makeSurface(3, 1) { _, _ in 0x00FF_0000 }
        destination.composite(.over, source: red, sourceOrigin: CanvasPoint(x: 0, y: 0), sourceRepeat: .normal, mask: mask,
                              to: destination.bounds)
        self.assertClose(destination.word(0, 0), [0, 0, 255, 255])
        self.assertClose(destination.word(1, 0), [128, 0, 127, 255])
        self.assertClose(destination.word(2, 0), [255, 0, 0, 255])
    }

    func testSourceWithoutRepeatClearsOutsideTheSource() {
        let source = makeSurface(1, 1, .argb32) { _, _ in 0x8040_2010 }
        let destination = makeSurface(3, 1, .argb32) { _, _ in 0xFFFF_FFFF }
        destination.composite(.source, source: source, sourceOrigin: CanvasPoint(x: -1, y: 0), to: destination.bounds)
        XCTAssertEqual(destination.words, [[0, 0x8040_2010, 0]])
    }

    func testPorterDuffFactorsOnKnownPixels() {
        let source = makeSurface(1, 1, .argb32) { _, _ in 0x8000_0080 }       // red, alpha 128
        let cases: [(CompositeOperator, [Int])] = [
            (.clear, [0, 0, 0, 0]), (.destination, [0, 0, 200, 200]), (.over, [128, 0, 100, 228]),
            (.in, [100, 0, 0, 100]), (.out, [28, 0, 0, 28]), (.outReverse, [0, 0, 100, 100]),
            (.atop, [100, 0, 100, 200]), (.xor, [28, 0, 100, 128]), (.add, [128, 0, 200, 255]),
        ]
        for (op, expected) in cases {
            let destination = makeSurface(1, 1, .argb32) { _, _ in 0xC8C8_0000 }  // blue 200, alpha 200
            destination.composite(op, source: source, sourceOrigin: CanvasPoint(x: 0, y: 0), to: destination.bounds)
            self.assertClose(destination.word(0, 0), expected)
        }
    }

    func testRepeatModesPadAndReflect() {
        let source = makeSurface(2, 1, .argb32) { x, _ in x == 0 ? 0xFF00_0001 : 0xFF00_0002 }
        let padded = makeSurface(5, 1, .argb32) { _, _ in 0 }
        padded.composite(.source, source: source, sourceOrigin: CanvasPoint(x: -2, y: 0), sourceRepeat: .pad, to: padded.bounds)
        XCTAssertEqual(padded.words[0].map { $0 & 0xFF }, [1, 1, 1, 2, 2])
        let reflected = makeSurface(6, 1, .argb32) { _, _ in 0 }
        reflected.composite(.source, source: source, sourceOrigin: CanvasPoint(x: 0, y: 0), sourceRepeat: .reflect, to: reflected.bounds)
        XCTAssertEqual(reflected.words[0].map { $0 & 0xFF }, [1, 2, 2, 1, 1, 2])
    }

    func testCompositeOntoAnOpaqueSurfaceKeepsAlphaAndHonoursClip() {
        let source = makeSurface(1, 1, .argb32) { _, _ in 0x0000_0000 }
        let destination = makeSurface(2, 1) { _, _ in 0x0011_2233 }
        destination.composite(.source, source: source, sourceOrigin: CanvasPoint(x: 0, y: 0), sourceRepeat: .normal, to: destination.bounds,
                              clip: .rects([CanvasRect(x: 1, y: 0, width: 1, height: 1)]))
        XCTAssertEqual(destination.words, [[0xFF11_2233, 0xFF00_0000]])
    }

    func testCompositeIntoAnA8Surface() {
        let glyphs = Surface(width: 2, height: 1, format: .a8)!
        glyphs.setByte(0, 0, 100)
        let destination = Surface(width: 2, height: 1, format: .a8)!
        destination.setByte(1, 0, 50)
        destination.composite(.add, source: glyphs, sourceOrigin: CanvasPoint(x: 0, y: 0), to: destination.bounds)
        XCTAssertEqual(destination.bytes, [[100, 50]])
    }
}
