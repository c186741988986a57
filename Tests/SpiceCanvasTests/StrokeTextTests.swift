import SpiceCanvas
import XCTest

/// DRAW_STROKE (thin lines, dashes, Béziers) and DRAW_TEXT (glyph rasters, back area).
final class StrokeTextTests: XCTestCase {
    let white = Brush.solid(Color(r: 255, g: 255, b: 255))

    func fixed(_ x: Int, _ y: Int) -> CanvasPointFixed { CanvasPointFixed(pixelX: x, pixelY: y) }

    func polyline(_ points: [(Int, Int)], closed: Bool = false) -> [PathSegment] {
        var flags: PathSegment.Flags = [.begin, .end]
        if closed { flags.insert(.close) }
        return [PathSegment(flags: flags, points: points.map { self.fixed($0.0, $0.1) })]
    }

    /// The pixels that are not black, as (x, y) pairs.
    func lit(_ surface: Surface) -> Set<[Int]> {
        var result: Set<[Int]> = []
        for y in 0..<surface.height { for x in 0..<surface.width where surface.word(x, y) != 0xFF00_0000 { result.insert([x, y]) } }
        return result
    }

    func testLinesLeaveOutTheirLastPixel() {
        let surface = makeSurface(8, 8) { _, _ in 0 }
        let drawn = surface.stroke(path: self.polyline([(1, 1), (5, 1)]), box: surface.bounds, brush: self.white)
        XCTAssertEqual(self.lit(surface), [[1, 1], [2, 1], [3, 1], [4, 1]])
        XCTAssertEqual(drawn, CanvasRect(left: 1, top: 1, right: 5, bottom: 2))
        let diagonal = makeSurface(8, 8) { _, _ in 0 }
        diagonal.stroke(path: self.polyline([(0, 0), (3, 3)]), box: diagonal.bounds, brush: self.white)
        XCTAssertEqual(self.lit(diagonal), [[0, 0], [1, 1], [2, 2]])
    }

    func testShallowLineStepsOnceAlongTheMinorAxis() {
        let surface = makeSurface(8, 4) { _, _ in 0 }
        surface.stroke(path: self.polyline([(0, 0), (6, 1)]), box: surface.bounds, brush: self.white)
        let pixels = self.lit(surface)
        XCTAssertEqual(pixels.count, 6)
        XCTAssertEqual(Set(pixels.map { $0[0] }), Set(0..<6))
        XCTAssertTrue(pixels.contains([0, 0]))
        XCTAssertTrue(pixels.contains([5, 1]))
    }

    func testClosedXorFigureTogglesEachBorderPixelOnce() {
        let surface = makeSurface(6, 6) { _, _ in 0 }
        surface.stroke(path: self.polyline([(1, 1), (4, 1), (4, 4), (1, 4)], closed: true), box: surface.bounds,
                       brush: self.white, foreMode: .opXor)
        var border: Set<[Int]> = []
        for i in 1...4 {
            border.insert([i, 1])
            border.insert([i, 4])
            border.insert([1, i])
            border.insert([4, i])
        }
        XCTAssertEqual(self.lit(surface), border)
    }

    func testStrokeIsClippedToBoxAndClip() {
        let surface = makeSurface(8, 3) { _, _ in 0 }
        surface.stroke(path: self.polyline([(-5, 1), (20, 1)]), box: CanvasRect(left: 1, top: 0, right: 7, bottom: 3),
                       clip: .rects([CanvasRect(left: 0, top: 0, right: 3, bottom: 3), CanvasRect(left: 5, top: 0, right: 8, bottom: 3)]),
                       brush: self.white)
        XCTAssertEqual(self.lit(surface), [[1, 1], [2, 1], [5, 1], [6, 1]])
    }

    func testDashesAlternateDashAndGapAcrossTheFigure() {
        let surface = makeSurface(12, 2) { _, _ in 0 }
        // Dash 2, gap 1 (28.4 fixed: 32 and 16), carried from the first line into the second.
        surface.stroke(path: self.polyline([(0, 0), (4, 0), (11, 0)]), box: surface.bounds, brush: self.white,
                       style: LineStyle(segments: [32, 16]))
        XCTAssertEqual(self.lit(surface), [[0, 0], [1, 0], [3, 0], [4, 0], [6, 0], [7, 0], [9, 0], [10, 0]])
        let gapFirst = makeSurface(12, 2) { _, _ in 0 }
        gapFirst.stroke(path: self.polyline([(0, 0), (11, 0)]), box: gapFirst.bounds, brush: self.white,
                        style: LineStyle(segments: [32, 16], startsWithGap: true))
        XCTAssertEqual(self.lit(gapFirst), [[2, 0], [5, 0], [8, 0]])
    }

    func testStraightBezierDrawsTheChordAndSeparateFiguresAreNotJoined() {
        let surface = makeSurface(8, 4) { _, _ in 0 }
        let path = [
            PathSegment(flags: [.begin], points: [self.fixed(0, 0)]),
            PathSegment(flags: [.bezier, .end], points: [self.fixed(2, 0), self.fixed(4, 0), self.fixed(6, 0)]),
            PathSegment(flags: [.begin, .end], points: [self.fixed(0, 2), self.fixed(3, 2)]),
        ]
        surface.stroke(path: path, box: surface.bounds, brush: self.white)
        XCTAssertEqual(self.lit(surface), [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [0, 2], [1, 2], [2, 2]])
    }

    func testCurvedBezierStaysNearItsHull() {
        let surface = makeSurface(20, 20) { _, _ in 0 }
        let path = [PathSegment(flags: [.begin, .bezier, .end], points: [self.fixed(1, 18), self.fixed(1, 1), self.fixed(18, 1), self.fixed(18, 18)])]
        surface.stroke(path: path, box: surface.bounds, brush: self.white)
        let pixels = self.lit(surface)
        XCTAssertGreaterThan(pixels.count, 25)
        XCTAssertTrue(pixels.contains([1, 18]))
        XCTAssertFalse(pixels.contains([18, 18]))
        XCTAssertTrue(pixels.allSatisfy { $0[1] <= 18 && $0[1] >= 5 })
    }

    func testFixedPointRoundsUpOnlyAboveOneHalf() {
        let surface = makeSurface(6, 3) { _, _ in 0 }
        // x = 1.5 (24/16) rounds to 1; x = 4.5625 (73/16) rounds to 5.
        surface.stroke(path: [PathSegment(flags: [.begin, .end], points: [CanvasPointFixed(x: 24, y: 16), CanvasPointFixed(x: 73, y: 16)])],
                       box: surface.bounds, brush: self.white)
        XCTAssertEqual(self.lit(surface), [[1, 1], [2, 1], [3, 1], [4, 1]])
    }

    // MARK: - Text

    func testOneBitGlyphIsReadBottomRowFirstAndPaintedWithTheForeBrush() {
        let surface = makeSurface(6, 4) { _, _ in 0 }
        // 3×2 glyph; data rows bottom first: bottom "010", top "101".
        let glyph = RasterGlyph(renderPosition: CanvasPoint(x: 2, y: 2), glyphOrigin: CanvasPoint(x: -1, y: -1), width: 3, height: 2,
                                data: [0b0100_0000, 0b1010_0000])
        surface.text(surface.bounds, glyphs: [glyph], bitsPerPixel: 1, foreBrush: self.white)
        XCTAssertEqual(self.lit(surface), [[1, 1], [3, 1], [2, 2]])
        let topDown = makeSurface(6, 4) { _, _ in 0 }
        topDown.text(topDown.bounds, glyphs: [glyph], bitsPerPixel: 1, topDown: true, foreBrush: self.white)
        XCTAssertEqual(self.lit(topDown), [[2, 1], [1, 2], [3, 2]])
    }

    func testBackAreaIsFilledBeforeTheGlyphs() {
        let surface = makeSurface(4, 1) { _, _ in 0 }
        let glyph = RasterGlyph(renderPosition: CanvasPoint(x: 1, y: 0), glyphOrigin: CanvasPoint(x: 0, y: 0), width: 1, height: 1, data: [0x80])
        surface.text(surface.bounds, glyphs: [glyph], bitsPerPixel: 1, foreBrush: .solid(Color(r: 9, g: 0, b: 0)),
                     backBrush: .solid(Color(r: 0, g: 7, b: 0)), backArea: CanvasRect(left: 0, top: 0, right: 3, bottom: 1))
        XCTAssertEqual(surface.words, [[0xFF00_0700, 0xFF00_0009, 0xFF00_0700, 0xFF00_0000]])
    }

    func testAntialiasedGlyphsCompositeTheirCoverage() {
        let surface = makeSurface(3, 1) { _, _ in 0 }
        let a8 = RasterGlyph(renderPosition: CanvasPoint(x: 0, y: 0), glyphOrigin: CanvasPoint(x: 0, y: 0), width: 3, height: 1, data: [0, 128, 255])
        surface.text(surface.bounds, glyphs: [a8], bitsPerPixel: 8, foreBrush: self.white)
        XCTAssertEqual(surface.word(0, 0), 0xFF00_0000)
        XCTAssertEqual(surface.word(1, 0), 0xFF80_8080)
        XCTAssertEqual(surface.word(2, 0), 0xFFFF_FFFF)
        let nibbles = makeSurface(2, 1) { _, _ in 0 }
        let a4 = RasterGlyph(renderPosition: CanvasPoint(x: 0, y: 0), glyphOrigin: CanvasPoint(x: 0, y: 0), width: 2, height: 1, data: [0xF8])
        nibbles.text(nibbles.bounds, glyphs: [a4], bitsPerPixel: 4, foreBrush: self.white)
        XCTAssertEqual(nibbles.words, [[0xFFF0_F0F0, 0xFF80_8080]])
    }

    func testXorTextAndClipAndShortGlyphData() {
        let surface = makeSurface(4, 1) { _, _ in 0x0000_00FF }
        let glyph = RasterGlyph(renderPosition: CanvasPoint(x: 0, y: 0), glyphOrigin: CanvasPoint(x: 0, y: 0), width: 4, height: 1, data: [0xF0])
        let broken = RasterGlyph(renderPosition: CanvasPoint(x: 0, y: 0), glyphOrigin: CanvasPoint(x: 0, y: 0), width: 4, height: 3, data: [0xF0])
        surface.text(surface.bounds, clip: .rects([CanvasRect(left: 1, top: 0, right: 3, bottom: 1)]), glyphs: [glyph, broken], bitsPerPixel: 1,
                     foreBrush: .solid(Color(r: 0x0F, g: 0, b: 0)), foreMode: .opXor)
        XCTAssertEqual(surface.words, [[0xFF00_00FF, 0xFF00_00F0, 0xFF00_00F0, 0xFF00_00FF]])
    }
}
