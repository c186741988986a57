import SpiceCanvas
import XCTest

/// DamageRegion: many small draws coalesce into a short list that still covers every draw.
final class DamageRegionTests: XCTestCase {
    func covers(_ rects: [CanvasRect], _ rect: CanvasRect) -> Bool {
        for y in rect.top..<rect.bottom {
            for x in rect.left..<rect.right where !rects.contains(where: { inside(x, y, $0) }) { return false }
        }
        return true
    }

    func testAdjacentSmallRectsCoalesceIntoFewRects() {
        var damage = DamageRegion()
        var added: [CanvasRect] = []
        for row in 0..<4 {
            for column in 0..<20 {
                let rect = CanvasRect(x: column * 8, y: row * 8, width: 8, height: 8)
                added.append(rect)
                damage.add(rect)
            }
        }
        XCTAssertLessThanOrEqual(damage.rects.count, 2)
        let taken = damage.take()
        for rect in added { XCTAssertTrue(self.covers(taken, rect), "\(rect) not covered") }
        XCTAssertTrue(damage.isEmpty)
    }

    func testScatteredRectsNeverExceedMaxRectsAndStayCovered() {
        var random = TestRandom(seed: 9)
        var damage = DamageRegion()
        var added: [CanvasRect] = []
        for _ in 0..<500 {
            let rect = CanvasRect(x: random.int(0..<2000), y: random.int(0..<2000), width: random.int(1..<5), height: random.int(1..<5))
            added.append(rect)
            damage.add(rect)
            XCTAssertLessThanOrEqual(damage.rects.count, DamageRegion.maxRects)
        }
        for rect in added { XCTAssertTrue(self.covers(damage.rects, rect), "\(rect) not covered") }
    }

    func testDistantRectsStaySeparate() {
        var damage = DamageRegion()
        damage.add(CanvasRect(x: 0, y: 0, width: 10, height: 10))
        damage.add(CanvasRect(x: 500, y: 500, width: 10, height: 10))
        damage.add(CanvasRect(x: 0, y: 0, width: 0, height: 5))
        XCTAssertEqual(damage.rects.count, 2)
    }
}
