import SpiceCanvas
import XCTest

/// DRAW_TRANSPARENT (colour key) and DRAW_ALPHA_BLEND (Porter-Duff OVER, premultiplied).
final class AlphaBlendTests: XCTestCase {
    func channels(_ word: UInt32) -> [Int] { [Int(word & 0xFF), Int(word >> 8 & 0xFF), Int(word >> 16 & 0xFF), Int(word >> 24)] }

    func assertClose(_ actual: UInt32, _ expected: [Int], tolerance: Int = 1, file: StaticString = #filePath, line: UInt = #line) {
        let got = self.channels(actual)
        for (a, e) in zip(got, expected) where abs(a - e) > tolerance {
            XCTFail("got \(got), expected \(expected)", file: file, line: line)
            return
        }
    }

    func testTransparentSkipsExactlyTheKeyColour() {
        let key = Color(r: 0x10, g: 0x20, b: 0x30)
        let source = makeSurface(4, 1, .argb32) { x, _ in
            [0x0030_2010, 0x8030_2010, 0xFF30_2011, 0xFF00_0000][x]
        }
        let destination = makeSurface(4, 1) { _, _ in 0x0055_5555 }
        destination.transparent(from: source, sourceArea: source.bounds, to: destination.bounds, transparentColor: key)
        XCTAssertEqual(destination.words, [[0xFF55_5555, 0xFF55_5555, 0xFF30_2011, 0xFF00_0000]])
    }

    func testTransparentHonoursClipAndScales() {
        let source = makeSurface(2, 1) { x, _ in x == 0 ? 0x0000_0001 : 0x0000_0002 }
        let destination = makeSurface(4, 2) { _, _ in 0 }
        destination.transparent(from: source, sourceArea: source.bounds, to: CanvasRect(x: 0, y: 0, width: 4, height: 2),
                                clip: .rects([CanvasRect(x: 0, y: 1, width: 4, height: 1)]), transparentColor: Color(r: 1, g: 0, b: 0))
        XCTAssertEqual(destination.words, [[0xFF00_0000, 0xFF00_0000, 0xFF00_0000, 0xFF00_0000],
                                           [0xFF00_0000, 0xFF00_0000, 0xFF00_0002, 0xFF00_0002]])
    }

    func testAlphaBlendWithGlobalAlpha128MixesOpaquePixelsHalfway() {
        let source = makeSurface(2, 1) { x, _ in x == 0 ? 0x0000_00FF : 0x00FF_FFFF }
        let destination = makeSurface(2, 1) { x, _ in x == 0 ? 0x00FF_0000 : 0x0000_0000 }
        destination.alphaBlend(from: source, sourceArea: source.bounds, to: destination.bounds, alpha: 128, sourceHasAlpha: false)
        // 255·128/255 + channel·127/255.
        self.assertClose(destination.word(0, 0), [128, 0, 127, 255])
        self.assertClose(destination.word(1, 0), [128, 128, 128, 255])
    }

    func testAlphaBlendUsesPremultipliedSourceAlphaOnlyWhenTheSourceHasAlpha() {
        // A premultiplied half-transparent red: (128, 0, 0, 128).
        let source = makeSurface(1, 1, .argb32) { _, _ in 0x8000_0080 }
        let withAlpha = makeSurface(1, 1) { _, _ in 0x00FF_FFFF }
        withAlpha.alphaBlend(from: source, sourceArea: source.bounds, to: withAlpha.bounds, alpha: 255, sourceHasAlpha: true)
        self.assertClose(withAlpha.word(0, 0), [128 + 127, 127, 127, 255])
        let withoutAlpha = makeSurface(1, 1) { _, _ in 0x00FF_FFFF }
        withoutAlpha.alphaBlend(from: source, sourceArea: source.bounds, to: withoutAlpha.bounds, alpha: 255, sourceHasAlpha: false)
        XCTAssertEqual(withoutAlpha.word(0, 0), 0xFF00_0080)
    }

    func testAlphaBlendCombinesGlobalAndSourceAlphaOntoAnARGBDestination() {
        let source = makeSurface(1, 1, .argb32) { _, _ in 0xC800_00C8 }   // (200, 0, 0, 200)
        let destination = makeSurface(1, 1, .argb32) { _, _ in 0x0000_0000 }
        destination.alphaBlend(from: source, sourceArea: source.bounds, to: destination.bounds, alpha: 128, sourceHasAlpha: true)
        self.assertClose(destination.word(0, 0), [100, 0, 0, 100])
    }

    func testAlphaBlendWithZeroAlphaDrawsNothing() {
        let source = makeSurface(1, 1) { _, _ in 0x00FF_FFFF }
        let destination = makeSurface(1, 1) { _, _ in 0 }
        XCTAssertTrue(destination.alphaBlend(from: source, sourceArea: source.bounds, to: destination.bounds, alpha: 0, sourceHasAlpha: false).isEmpty)
        XCTAssertEqual(destination.word(0, 0), 0xFF00_0000)
    }

    func testAlphaBlendHonoursTheClip() {
        let source = makeSurface(3, 1) { _, _ in 0x00FF_FFFF }
        let destination = makeSurface(3, 1) { _, _ in 0 }
        destination.alphaBlend(from: source, sourceArea: source.bounds, to: destination.bounds, clip: .rects([CanvasRect(x: 1, y: 0, width: 1, height: 1)]),
                               alpha: 255, sourceHasAlpha: false)
        XCTAssertEqual(destination.words, [[0xFF00_0000, 0xFFFF_FFFF, 0xFF00_0000]])
    }
}
