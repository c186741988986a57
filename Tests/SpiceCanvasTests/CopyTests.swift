import SpiceCanvas
import XCTest

/// DRAW_COPY (1:1, ropd, scaled, clipped) and COPY_BITS (scrolling) against per-pixel models.
final class CopyTests: XCTestCase {
    func testCopyOneToOnePutsTheSourceAreaIntoTheBox() {
        var random = TestRandom(seed: 1)
        let source = randomSurface(6, 5, .xrgb32, &random)
        let destination = randomSurface(7, 7, .xrgb32, &random)
        let before = destination.words
        let sourceArea = CanvasRect(left: 1, top: 2, right: 5, bottom: 5)
        let box = CanvasRect(left: 2, top: 1, right: 6, bottom: 4)
        XCTAssertEqual(destination.copy(from: source, sourceArea: sourceArea, to: box), box)
        for y in 0..<7 {
            for x in 0..<7 {
                let expected = inside(x, y, box) ? source.word(x - 1, y + 1) : before[y][x]
                XCTAssertEqual(destination.word(x, y), expected, "(\(x), \(y))")
            }
        }
    }

    func testCopyWithRopdCombinesInvertedSourceWithDestination() {
        var random = TestRandom(seed: 2)
        for ropd: Ropd in [[.opXor, .inversSrc], [.opAnd, .inversDest], [.opOr, .inversRes], [.opPut, .inversSrc, .inversBrush]] {
            let source = randomSurface(3, 3, .argb32, &random)
            let destination = randomSurface(3, 3, .argb32, &random)
            let before = destination.words
            destination.copy(from: source, sourceArea: source.bounds, to: destination.bounds, ropd: ropd)
            for y in 0..<3 {
                for x in 0..<3 {
                    let s = ropd.contains(.inversSrc) ? ~source.word(x, y) : source.word(x, y)
                    let d = ropd.contains(.inversDest) ? ~before[y][x] : before[y][x]
                    var r = ropd.contains(.opXor) ? s ^ d : ropd.contains(.opAnd) ? s & d : ropd.contains(.opOr) ? s | d : s
                    if ropd.contains(.inversRes) { r = ~r }
                    XCTAssertEqual(destination.word(x, y), r, "ropd \(ropd.rawValue) (\(x), \(y))")
                }
            }
        }
    }

    func testCopyFromARGBOntoXRGBKeepsAlphaOpaqueAndARGBOntoARGBCopiesAlpha() {
        let source = makeSurface(2, 1, .argb32) { x, _ in x == 0 ? 0x1020_3040 : 0x0000_0001 }
        let opaque = makeSurface(2, 1) { _, _ in 0 }
        opaque.copy(from: source, sourceArea: source.bounds, to: opaque.bounds)
        XCTAssertEqual(opaque.words, [[0xFF20_3040, 0xFF00_0001]])
        let translucent = makeSurface(2, 1, .argb32) { _, _ in 0xFFFF_FFFF }
        translucent.copy(from: source, sourceArea: source.bounds, to: translucent.bounds)
        XCTAssertEqual(translucent.words, [[0x1020_3040, 0x0000_0001]])
    }

    func testCopyWithSourceAreaPartlyOutsideTheSourceDrawsOnlyReadablePixels() {
        let source = makeSurface(3, 3) { x, y in UInt32(y * 3 + x + 1) }
        let destination = makeSurface(6, 6) { _, _ in 0 }
        let box = CanvasRect(left: 1, top: 1, right: 5, bottom: 5)
        let drawn = destination.copy(from: source, sourceArea: CanvasRect(left: -1, top: 0, right: 3, bottom: 4), to: box)
        XCTAssertEqual(drawn, CanvasRect(left: 2, top: 1, right: 5, bottom: 4))
        for y in 0..<6 {
            for x in 0..<6 {
                let expected: UInt32 = inside(x, y, drawn) ? 0xFF00_0000 | UInt32((y - 1) * 3 + (x - 2) + 1) : 0xFF00_0000
                XCTAssertEqual(destination.word(x, y), expected, "(\(x), \(y))")
            }
        }
    }

    func testCopyScaledUpTwiceWithNearestRepeatsEachPixel() {
        let source = makeSurface(3, 2) { x, y in UInt32(0x10 * y + x) }
        let destination = makeSurface(8, 5) { _, _ in 0xAB }
        let box = CanvasRect(left: 1, top: 1, right: 7, bottom: 5)
        destination.copy(from: source, sourceArea: source.bounds, to: box, scaleMode: .nearest)
        for y in 0..<5 {
            for x in 0..<8 {
                let expected: UInt32 = inside(x, y, box) ? 0xFF00_0000 | UInt32(0x10 * ((y - 1) / 2) + (x - 1) / 2) : 0xFF00_00AB
                XCTAssertEqual(destination.word(x, y), expected, "(\(x), \(y))")
            }
        }
    }

    func testCopyScaledDownWithNearestTakesThePixelLeftOfEachCentre() {
        let source = makeSurface(4, 4) { x, y in UInt32(0x10 * y + x) }
        let destination = makeSurface(2, 2) { _, _ in 0 }
        destination.copy(from: source, sourceArea: source.bounds, to: destination.bounds, scaleMode: .nearest)
        XCTAssertEqual(destination.words, [[0xFF00_0000, 0xFF00_0002], [0xFF00_0020, 0xFF00_0022]])
    }

    func testCopyScaledWithInterpolationBlendsNeighbours() {
        let source = makeSurface(2, 1) { x, _ in x == 0 ? 0 : 200 }
        let destination = makeSurface(4, 1) { _, _ in 0 }
        destination.copy(from: source, sourceArea: source.bounds, to: destination.bounds, scaleMode: .interpolate)
        let reds = (0..<4).map { Int(destination.word($0, 0) & 0xFF) }
        for (actual, expected) in zip(reds, [0, 50, 150, 200]) { XCTAssertLessThanOrEqual(abs(actual - expected), 1, "\(reds)") }
        XCTAssertEqual(destination.word(1, 0) >> 24, 0xFF)
    }

    func testScaledCopyHonoursClip() {
        let source = makeSurface(2, 2) { x, y in UInt32(1 + x + 2 * y) }
        let destination = makeSurface(4, 4) { _, _ in 0 }
        let clip = CanvasRect(left: 1, top: 1, right: 3, bottom: 4)
        destination.copy(from: source, sourceArea: source.bounds, to: destination.bounds, clip: .rects([clip]), scaleMode: .nearest)
        for y in 0..<4 {
            for x in 0..<4 {
                XCTAssertEqual(destination.word(x, y), inside(x, y, clip) ? 0xFF00_0000 | UInt32(1 + x / 2 + 2 * (y / 2)) : 0xFF00_0000)
            }
        }
    }

    func testCopyThroughAMaskCopiesOnlyMaskedPixels() {
        let source = makeSurface(3, 1) { x, _ in UInt32(x + 1) }
        let destination = makeSurface(3, 1) { _, _ in 0 }
        destination.copy(from: source, sourceArea: source.bounds, to: destination.bounds, mask: Mask(surface: makeMask([".##"])))
        XCTAssertEqual(destination.words, [[0xFF00_0000, 0xFF00_0002, 0xFF00_0003]])
    }

    func testCopyWithinOneSurfaceReadsTheSourceBeforeWriting() {
        var random = TestRandom(seed: 3)
        for (dx, dy) in [(1, 0), (-1, 0), (0, 1), (0, -1), (2, 1), (-1, -2)] {
            for ropd: Ropd in [.opPut, .opXor] {
                let surface = randomSurface(6, 6, .xrgb32, &random)
                let before = surface.words
                let sourceArea = CanvasRect(left: 1, top: 1, right: 5, bottom: 5)
                surface.copy(from: surface, sourceArea: sourceArea, to: sourceArea.offsetBy(dx: dx, dy: dy), ropd: ropd)
                let box = sourceArea.offsetBy(dx: dx, dy: dy)
                for y in 0..<6 {
                    for x in 0..<6 where inside(x, y, box) {
                        let s = before[y - dy][x - dx]
                        let expected = ropd == .opPut ? s : (s ^ before[y][x]) | 0xFF00_0000
                        XCTAssertEqual(surface.word(x, y), expected, "d=(\(dx), \(dy)) ropd \(ropd.rawValue) (\(x), \(y))")
                    }
                }
            }
        }
    }

    func testCopyBetweenDifferentPixelSizesDrawsNothing() {
        let alpha = Surface(width: 2, height: 2, format: .a8)!
        let colour = makeSurface(2, 2) { _, _ in 0 }
        XCTAssertTrue(colour.copy(from: alpha, sourceArea: alpha.bounds, to: colour.bounds).isEmpty)
    }

    func testCopyBetweenAlphaSurfacesCopiesBytes() {
        let source = Surface(width: 2, height: 1, format: .a8)!
        source.setByte(0, 0, 7)
        source.setByte(1, 0, 9)
        let destination = Surface(width: 3, height: 1, format: .a8)!
        destination.copy(from: source, sourceArea: source.bounds, to: CanvasRect(x: 1, y: 0, width: 2, height: 1))
        XCTAssertEqual(destination.bytes, [[0, 7, 9]])
    }

    // MARK: - COPY_BITS

    /// COPY_BITS as a model: every destination pixel in box ∩ clip whose source is on the surface
    /// takes the source's value from before the move.
    func expectedAfterCopyBits(_ before: [[UInt32]], from source: CanvasPoint, to box: CanvasRect, clip: [CanvasRect]?) -> [[UInt32]] {
        let dx = box.left - source.x, dy = box.top - source.y
        let height = before.count, width = before[0].count
        return (0..<height).map { y in
            (0..<width).map { x in
                let sx = x - dx, sy = y - dy
                let clipped = clip.map { rects in rects.contains { inside(x, y, $0) } } ?? true
                guard inside(x, y, box), clipped, sx >= 0, sx < width, sy >= 0, sy < height else { return before[y][x] }
                return before[sy][sx]
            }
        }
    }

    func testCopyBitsScrollsInEveryDirectionLikeAMemmove() {
        var random = TestRandom(seed: 4)
        for (dx, dy) in [(0, -1), (0, 1), (-1, 0), (1, 0), (3, 2), (-2, 3), (2, -3), (-3, -2), (0, -5)] {
            let surface = randomSurface(9, 8, .xrgb32, &random)
            let before = surface.words
            let box = CanvasRect(left: 1, top: 1, right: 8, bottom: 7)
            let source = CanvasPoint(x: box.left - dx, y: box.top - dy)
            surface.copyBits(from: source, to: box)
            assertPixels(surface.words, self.expectedAfterCopyBits(before, from: source, to: box, clip: nil), "scroll (\(dx), \(dy))")
        }
    }

    func testCopyBitsWithSeveralClipRectsMovesEachPixelFromItsOriginalPlace() {
        var random = TestRandom(seed: 5)
        let clips = [CanvasRect(left: 0, top: 0, right: 5, bottom: 4), CanvasRect(left: 3, top: 2, right: 9, bottom: 8),
                     CanvasRect(left: 6, top: 0, right: 9, bottom: 3)]
        for (dx, dy) in [(1, 1), (-1, 1), (1, -1), (-1, -1), (2, 0), (-2, 0), (0, 2), (0, -2), (4, 3)] {
            let surface = randomSurface(10, 9, .xrgb32, &random)
            let before = surface.words
            let box = surface.bounds
            let source = CanvasPoint(x: -dx, y: -dy)
            surface.copyBits(from: source, to: box, clip: .rects(clips))
            assertPixels(surface.words, self.expectedAfterCopyBits(before, from: source, to: box, clip: clips), "scroll (\(dx), \(dy))")
        }
    }

    func testCopyBitsReturnsTheMovedRectAndIgnoresSourcesOffTheSurface() {
        let surface = makeSurface(4, 4) { x, y in UInt32(4 * y + x) }
        let before = surface.words
        let drawn = surface.copyBits(from: CanvasPoint(x: -2, y: 0), to: CanvasRect(left: 0, top: 0, right: 4, bottom: 4))
        XCTAssertEqual(drawn, CanvasRect(left: 2, top: 0, right: 4, bottom: 4))
        assertPixels(surface.words, self.expectedAfterCopyBits(before, from: CanvasPoint(x: -2, y: 0), to: CanvasRect(left: 0, top: 0, right: 4, bottom: 4), clip: nil))
        XCTAssertTrue(surface.copyBits(from: CanvasPoint(x: 0, y: 0), to: surface.bounds).isEmpty)
    }
}
