import SpiceCanvas
import XCTest

/// DRAW_FILL / BLACKNESS / WHITENESS / INVERS against a per-pixel model of the SPICE ropd.
final class FillTests: XCTestCase {
    /// The ropd of FILL, pixel by pixel, written straight from the flag definitions.
    static func model(_ ropd: Ropd, brush: UInt32, dest: UInt32, opaque: Bool) -> UInt32 {
        let s = ropd.contains(.inversBrush) ? ~brush : brush
        let d = ropd.contains(.inversDest) ? ~dest : dest
        var r: UInt32
        if ropd.contains(.opPut) {
            r = s
        } else if ropd.contains(.opOr) {
            r = s | d
        } else if ropd.contains(.opAnd) {
            r = s & d
        } else if ropd.contains(.opXor) {
            r = s ^ d
        } else if ropd.contains(.opBlackness) {
            return opaque ? 0xFF00_0000 : 0
        } else if ropd.contains(.opWhiteness) {
            return 0xFFFF_FFFF
        } else if ropd.contains(.opInvers) {
            return opaque ? ~dest | 0xFF00_0000 : ~dest
        } else {
            r = s
        }
        if ropd.contains(.inversRes) { r = ~r }
        return opaque ? r | 0xFF00_0000 : r
    }

    static let inversions: [Ropd] = [.inversSrc, .inversBrush, .inversDest, .inversRes]

    /// Every combination of the four inversion flags.
    static var inversionSets: [Ropd] {
        (0..<16).map { bits in
            var set: Ropd = []
            for (i, flag) in inversions.enumerated() where bits & (1 << i) != 0 { set.insert(flag) }
            return set
        }
    }

    func checkEveryRopd(format: PixelFormat) {
        var random = TestRandom(seed: 7)
        let ops: [Ropd] = [.opPut, .opOr, .opAnd, .opXor, .opBlackness, .opWhiteness, .opInvers]
        for op in ops {
            for inversion in Self.inversionSets {
                let ropd = op.union(inversion)
                let surface = randomSurface(4, 3, format, &random)
                let before = surface.words
                let brush = random.word()
                let box = CanvasRect(left: 1, top: 0, right: 3, bottom: 2)
                let drawn = surface.fill(box, brush: .solid(Color(r: UInt8(brush & 0xFF), g: UInt8(brush >> 8 & 0xFF),
                                                                  b: UInt8(brush >> 16 & 0xFF), a: UInt8(brush >> 24))), ropd: ropd)
                XCTAssertEqual(drawn, box)
                let expected = before.enumerated().map { y, row in
                    row.enumerated().map { x, value in
                        inside(x, y, box) ? Self.model(ropd, brush: brush, dest: value, opaque: !format.hasAlpha) : value
                    }
                }
                assertPixels(surface.words, expected, "ropd \(String(ropd.rawValue, radix: 16)) on \(format)")
            }
        }
    }

    func testFillAppliesEveryRopdCombineToAllFourBytesOfAnARGBSurface() {
        self.checkEveryRopd(format: .argb32)
    }

    func testFillAppliesEveryRopdCombineAndKeepsAlphaOpaqueOnAnXRGBSurface() {
        self.checkEveryRopd(format: .xrgb32)
    }

    func testXorFillKeepsAlpha255OnXRGB() {
        let surface = makeSurface(2, 2) { _, _ in 0x0012_3456 }
        surface.fill(surface.bounds, brush: .solid(Color(r: 0xFF, g: 0xFF, b: 0xFF, a: 0xFF)), ropd: .opXor)
        for row in surface.words { for value in row { XCTAssertEqual(value, 0xFFED_CBA9) } }
    }

    func testInversionFlagsThatDoNotApplyToFillAreIgnored() {
        // INVERS_SRC names the image operand, which FILL does not have.
        let a = makeSurface(1, 1) { _, _ in 0x10 }
        let b = makeSurface(1, 1) { _, _ in 0x10 }
        a.fill(a.bounds, brush: .solid(Color(r: 3, g: 0, b: 0)), ropd: .opOr)
        b.fill(b.bounds, brush: .solid(Color(r: 3, g: 0, b: 0)), ropd: [.opOr, .inversSrc])
        XCTAssertEqual(a.word(0, 0), b.word(0, 0))
        XCTAssertEqual(a.word(0, 0), 0xFF00_0013)
    }

    func testBlacknessWhitenessAndInversFillTheBox() {
        let surface = makeSurface(3, 1) { x, _ in UInt32(0x0102_0304 * (x + 1)) }
        surface.blackness(CanvasRect(x: 0, y: 0, width: 1, height: 1))
        surface.whiteness(CanvasRect(x: 1, y: 0, width: 1, height: 1))
        surface.invers(CanvasRect(x: 2, y: 0, width: 1, height: 1))
        XCTAssertEqual(surface.word(0, 0), 0xFF00_0000)
        XCTAssertEqual(surface.word(1, 0), 0xFFFF_FFFF)
        XCTAssertEqual(surface.word(2, 0), ~UInt32(0x0306_090C) | 0xFF00_0000)
    }

    func testBlacknessOnARGBClearsAlphaToo() {
        let surface = makeSurface(1, 1, .argb32) { _, _ in 0x8011_2233 }
        surface.blackness(surface.bounds)
        XCTAssertEqual(surface.word(0, 0), 0)
    }

    func testClipWithTwoRectsDrawsOnlyInsideThem() {
        let surface = makeSurface(8, 8) { _, _ in 0x0000_0000 }
        let first = CanvasRect(left: 1, top: 1, right: 3, bottom: 3)
        let second = CanvasRect(left: 5, top: 4, right: 7, bottom: 7)
        let drawn = surface.fill(surface.bounds, clip: .rects([first, second]), brush: .solid(Color(r: 9, g: 9, b: 9)))
        XCTAssertEqual(drawn, first.union(second))
        for y in 0..<8 {
            for x in 0..<8 {
                let expected: UInt32 = inside(x, y, first) || inside(x, y, second) ? 0xFF09_0909 : 0xFF00_0000
                XCTAssertEqual(surface.word(x, y), expected, "(\(x), \(y))")
            }
        }
    }

    func testOverlappingClipRectsStillXorEachPixelOnce() {
        let surface = makeSurface(8, 8) { _, _ in 0 }
        let first = CanvasRect(left: 1, top: 1, right: 5, bottom: 5)
        let second = CanvasRect(left: 3, top: 3, right: 7, bottom: 7)
        surface.fill(surface.bounds, clip: .rects([first, second, first]), brush: .solid(Color(r: 0xFF, g: 0, b: 0)), ropd: .opXor)
        for y in 0..<8 {
            for x in 0..<8 {
                let expected: UInt32 = inside(x, y, first) || inside(x, y, second) ? 0xFF00_00FF : 0xFF00_0000
                XCTAssertEqual(surface.word(x, y), expected, "(\(x), \(y))")
            }
        }
    }

    func testClipRectsOutsideTheBoxDrawNothing() {
        let surface = makeSurface(4, 4) { _, _ in 0 }
        let drawn = surface.fill(CanvasRect(x: 0, y: 0, width: 2, height: 2), clip: .rects([CanvasRect(x: 2, y: 2, width: 2, height: 2)]),
                                 brush: .solid(Color(r: 1, g: 1, b: 1)))
        XCTAssertTrue(drawn.isEmpty)
        XCTAssertEqual(Set(surface.words.joined()), [0xFF00_0000])
        XCTAssertTrue(surface.fill(surface.bounds, clip: .rects([]), brush: .solid(Color(r: 1, g: 1, b: 1))).isEmpty)
    }

    func testBoxPartlyOutsideTheSurfaceIsClipped() {
        let surface = makeSurface(4, 4) { _, _ in 0 }
        let drawn = surface.fill(CanvasRect(left: -3, top: 2, right: 2, bottom: 100), brush: .solid(Color(r: 5, g: 6, b: 7)))
        XCTAssertEqual(drawn, CanvasRect(left: 0, top: 2, right: 2, bottom: 4))
        for y in 0..<4 {
            for x in 0..<4 {
                XCTAssertEqual(surface.word(x, y), x < 2 && y >= 2 ? 0xFF07_0605 : 0xFF00_0000)
            }
        }
        XCTAssertTrue(surface.fill(CanvasRect(left: 10, top: 10, right: 20, bottom: 20), brush: .solid(Color(r: 1, g: 1, b: 1))).isEmpty)
        XCTAssertTrue(surface.fill(CanvasRect(left: Int.min, top: 0, right: Int.max, bottom: 4), brush: .solid(Color(r: 1, g: 1, b: 1))).isEmpty)
    }

    func testMaskLimitsTheFillToSetPixels() {
        let surface = makeSurface(6, 3) { _, _ in 0 }
        let mask = makeMask([
            "#..#",
            ".##.",
        ])
        // Mask pixel (1, 0) lies on the box's top-left corner (2, 1).
        let box = CanvasRect(left: 2, top: 1, right: 6, bottom: 3)
        surface.fill(box, brush: .solid(Color(r: 1, g: 2, b: 3)), mask: Mask(surface: mask, origin: CanvasPoint(x: 1, y: 0)))
        let drawn: Set<[Int]> = [[4, 1], [2, 2], [3, 2]]
        for y in 0..<3 {
            for x in 0..<6 {
                XCTAssertEqual(surface.word(x, y), drawn.contains([x, y]) ? 0xFF03_0201 : 0xFF00_0000, "(\(x), \(y))")
            }
        }
    }

    func testInvertedMaskDrawsWhereTheMaskIsClearButNotOutsideIt() {
        let surface = makeSurface(4, 2) { _, _ in 0 }
        let mask = makeMask(["#.#"])
        surface.fill(surface.bounds, brush: .solid(Color(r: 1, g: 1, b: 1)), mask: Mask(surface: mask, inverted: true))
        XCTAssertEqual(surface.words, [[0xFF00_0000, 0xFF01_0101, 0xFF00_0000, 0xFF00_0000],
                                       [0xFF00_0000, 0xFF00_0000, 0xFF00_0000, 0xFF00_0000]])
    }

    func testA8MaskCountsAnyNonZeroByteAsSet() {
        let surface = makeSurface(3, 1) { _, _ in 0 }
        let mask = Surface(width: 3, height: 1, format: .a8)!
        mask.setByte(0, 0, 1)
        mask.setByte(2, 0, 200)
        surface.fill(surface.bounds, brush: .solid(Color(r: 9, g: 9, b: 9)), mask: Mask(surface: mask))
        XCTAssertEqual(surface.words, [[0xFF09_0909, 0xFF00_0000, 0xFF09_0909]])
    }

    func testPatternBrushTilesFromItsOrigin() {
        let tile = makeSurface(3, 2) { x, y in UInt32(10 * y + x + 1) }
        let surface = makeSurface(7, 5) { _, _ in 0 }
        let origin = CanvasPoint(x: 1, y: 1)
        surface.fill(surface.bounds, brush: .pattern(tile, origin: origin))
        for y in 0..<5 {
            for x in 0..<7 {
                let tx = ((x - 1) % 3 + 3) % 3, ty = ((y - 1) % 2 + 2) % 2
                XCTAssertEqual(surface.word(x, y), 0xFF00_0000 | UInt32(10 * ty + tx + 1), "(\(x), \(y))")
            }
        }
    }

    func testPatternBrushCombinesThroughTheRopd() {
        let tile = makeSurface(2, 1) { x, _ in x == 0 ? 0x0F : 0xF0 }
        let surface = makeSurface(5, 1) { _, _ in 0xFF }
        surface.fill(CanvasRect(x: 1, y: 0, width: 4, height: 1), brush: .pattern(tile, origin: CanvasPoint(x: -4, y: 3)), ropd: .opXor)
        XCTAssertEqual(surface.words, [[0xFF00_00FF, 0xFF00_000F, 0xFF00_00F0, 0xFF00_000F, 0xFF00_00F0]])
    }

    func testNoBrushStillAppliesTheRop() {
        let surface = makeSurface(1, 1) { _, _ in 0x0055_AA00 }
        surface.fill(surface.bounds, brush: .none, ropd: [.opXor, .inversBrush])
        XCTAssertEqual(surface.word(0, 0), 0xFFAA_55FF)
    }

    func testFillOnAnAlphaSurfaceWritesTheColoursAlpha() {
        let surface = Surface(width: 3, height: 1, format: .a8)!
        surface.fill(CanvasRect(x: 1, y: 0, width: 2, height: 1), brush: .solid(Color(r: 0, g: 0, b: 0, a: 0x80)))
        XCTAssertEqual(surface.bytes, [[0, 0x80, 0x80]])
    }
}
