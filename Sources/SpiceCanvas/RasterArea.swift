// Where a raster operation may draw: the surface bounds ∩ the box ∩ the clip rectangles, as disjoint
// rectangles in bands (rows of equal top and bottom, sorted top to bottom, then left to right), and
// the per-row runs a mask leaves of them.

/// The disjoint rectangles an operation draws into; never empty.
struct DrawArea {
    enum Storage {
        case single(CanvasRect)
        /// At least two disjoint rectangles in bands, sorted by top then left.
        case many([CanvasRect])
    }

    let storage: Storage
    /// The smallest rectangle holding every rectangle of the area.
    let bounds: CanvasRect

    /// The area of `limit` (already the box ∩ the surface ∩ anything else the operation requires) that
    /// `clip` allows, or nil when nothing is left.
    init?(limit: CanvasRect, clip: Clip) {
        guard !limit.isEmpty else { return nil }
        switch clip {
        case .none:
            self.storage = .single(limit)
            self.bounds = limit
        case .rects(let rects):
            // The common cases (one clip rectangle, or only one that meets the box) allocate nothing.
            var only: CanvasRect? = nil
            var count = 0
            for rect in rects {
                let part = rect.intersection(limit)
                if !part.isEmpty {
                    count += 1
                    if count == 1 { only = part }
                }
            }
            if count == 0 { return nil }
            if count == 1, let only {
                self.storage = .single(only)
                self.bounds = only
                return
            }
            var parts: [CanvasRect] = []
            parts.reserveCapacity(count)
            for rect in rects {
                let part = rect.intersection(limit)
                if !part.isEmpty { parts.append(part) }
            }
            let banded = DrawArea.bands(of: parts)
            if banded.count == 1 {
                self.storage = .single(banded[0])
                self.bounds = banded[0]
            } else {
                self.storage = .many(banded)
                self.bounds = banded.reduce(banded[0]) { $0.union($1) }
            }
        }
    }

    private init(storage: Storage, bounds: CanvasRect) {
        self.storage = storage
        self.bounds = bounds
    }

    /// The part of this area inside `rect`, or nil when nothing is left.
    func intersected(with rect: CanvasRect) -> DrawArea? {
        switch self.storage {
        case .single(let only):
            let part = only.intersection(rect)
            return part.isEmpty ? nil : DrawArea(storage: .single(part), bounds: part)
        case .many(let rects):
            if rect.contains(self.bounds) { return self }
            var parts: [CanvasRect] = []
            for r in rects {
                let part = r.intersection(rect)
                if !part.isEmpty { parts.append(part) }
            }
            if parts.isEmpty { return nil }
            if parts.count == 1 { return DrawArea(storage: .single(parts[0]), bounds: parts[0]) }
            return DrawArea(storage: .many(parts), bounds: parts.reduce(parts[0]) { $0.union($1) })
        }
    }

    /// Calls `body` with each rectangle, in band order.
    @inline(__always)
    func forEachRect(_ body: (CanvasRect) -> Void) {
        switch self.storage {
        case .single(let only): body(only)
        case .many(let rects): for rect in rects { body(rect) }
        }
    }

    /// Whether the pixel at (x, y) is in the area.
    func contains(x: Int, y: Int) -> Bool {
        guard x >= self.bounds.left, x < self.bounds.right, y >= self.bounds.top, y < self.bounds.bottom else { return false }
        switch self.storage {
        case .single: return true
        case .many(let rects):
            for r in rects where x >= r.left && x < r.right && y >= r.top && y < r.bottom { return true }
            return false
        }
    }

    /// Rewrites possibly overlapping rectangles as disjoint ones in bands, merging horizontal
    /// neighbours and vertically adjacent bands with the same spans (the shape pixman regions have).
    static func bands(of rects: [CanvasRect]) -> [CanvasRect] {
        var edges: [Int] = []
        edges.reserveCapacity(rects.count * 2)
        for r in rects {
            edges.append(r.top)
            edges.append(r.bottom)
        }
        edges.sort()
        var out: [CanvasRect] = []
        var spans: [(left: Int, right: Int)] = []
        var merged: [(left: Int, right: Int)] = []
        var previousStart = 0
        var previousCount = 0
        var previousBottom = Int.min
        var index = 0
        while index + 1 < edges.count {
            let top = edges[index]
            var next = index + 1
            while next < edges.count && edges[next] == top { next += 1 }
            guard next < edges.count else { break }
            let bottom = edges[next]
            index = next
            spans.removeAll(keepingCapacity: true)
            for r in rects where r.top <= top && r.bottom >= bottom { spans.append((r.left, r.right)) }
            guard !spans.isEmpty else { continue }
            spans.sort { $0.left < $1.left }
            merged.removeAll(keepingCapacity: true)
            for span in spans {
                if let last = merged.last, span.left <= last.right {
                    merged[merged.count - 1].right = max(last.right, span.right)
                } else {
                    merged.append(span)
                }
            }
            // Extend the previous band downwards when this band continues it exactly.
            var continues = previousBottom == top && previousCount == merged.count
            if continues {
                for k in 0..<merged.count where out[previousStart + k].left != merged[k].left || out[previousStart + k].right != merged[k].right {
                    continues = false
                    break
                }
            }
            if continues {
                for k in 0..<merged.count { out[previousStart + k].bottom = bottom }
            } else {
                previousStart = out.count
                previousCount = merged.count
                for span in merged { out.append(CanvasRect(left: span.left, top: top, right: span.right, bottom: bottom)) }
            }
            previousBottom = bottom
        }
        return out
    }
}

/// A mask placed on a destination: mask pixel (x + dx, y + dy) decides destination pixel (x, y).
struct MaskPlacement {
    let surface: Surface
    let dx: Int
    let dy: Int
    let inverted: Bool

    init(_ mask: Mask, box: CanvasRect) {
        self.surface = mask.surface
        self.dx = mask.origin.x - box.left
        self.dy = mask.origin.y - box.top
        self.inverted = mask.inverted
    }

    /// The destination rectangle the mask surface covers; nothing outside it is drawn.
    var footprint: CanvasRect { self.surface.bounds.offsetBy(dx: -self.dx, dy: -self.dy) }
}

/// The largest coordinate magnitude the raster operations accept (SPICE coordinates are 32-bit);
/// anything beyond is a corrupt command and draws nothing, so no arithmetic below can overflow.
let rasterCoordinateLimit = 1 << 31

extension CanvasRect {
    var isWithinRasterLimits: Bool {
        withinRasterLimits(self.left) && withinRasterLimits(self.top) && withinRasterLimits(self.right) && withinRasterLimits(self.bottom)
    }
}

extension CanvasPoint {
    var isWithinRasterLimits: Bool { withinRasterLimits(self.x) && withinRasterLimits(self.y) }
}

@inline(__always)
func withinRasterLimits(_ value: Int) -> Bool { value >= -rasterCoordinateLimit && value <= rasterCoordinateLimit }

/// The empty rectangle the raster operations return when they draw nothing.
let nothingDrawn = CanvasRect(left: 0, top: 0, right: 0, bottom: 0)

/// Calls `body(y, left, right)` for every run of destination pixels to draw: each row of each area
/// rectangle, split where the mask is clear (or set, when inverted). Rows go top to bottom.
@inline(__always)
func forEachRun(in area: DrawArea, mask: MaskPlacement?, _ body: (Int, Int, Int) -> Void) {
    guard let mask else {
        area.forEachRect { rect in
            for y in rect.top..<rect.bottom { body(y, rect.left, rect.right) }
        }
        return
    }
    let bytesPerPixel = mask.surface.format.storedBytesPerPixel
    let wanted = !mask.inverted
    area.forEachRect { rect in
        for y in rect.top..<rect.bottom {
            let row = mask.surface.row(y + mask.dy)
            var x = rect.left
            if bytesPerPixel == 1 {
                let bits = row.assumingMemoryBound(to: UInt8.self) + mask.dx
                while x < rect.right {
                    while x < rect.right && (bits[x] != 0) != wanted { x += 1 }
                    let start = x
                    while x < rect.right && (bits[x] != 0) == wanted { x += 1 }
                    if x > start { body(y, start, x) }
                }
            } else {
                let words = row.assumingMemoryBound(to: UInt32.self) + mask.dx
                let colour = colourBitsMask
                while x < rect.right {
                    while x < rect.right && (words[x] & colour != 0) != wanted { x += 1 }
                    let start = x
                    while x < rect.right && (words[x] & colour != 0) == wanted { x += 1 }
                    if x > start { body(y, start, x) }
                }
            }
        }
    }
}

/// The R, G and B bytes of a stored 32-bit pixel, as a word mask.
let colourBitsMask: UInt32 = Color(r: 255, g: 255, b: 255, a: 0).rgbaWord.littleEndian
/// The A byte of a stored 32-bit pixel, as a word mask.
let alphaBitsMask: UInt32 = Color(r: 0, g: 0, b: 0, a: 255).rgbaWord.littleEndian

/// Floor modulo: the remainder in `0..<divisor` for any sign of `value`.
@inline(__always)
func floorMod(_ value: Int, _ divisor: Int) -> Int {
    let r = value % divisor
    return r < 0 ? r + divisor : r
}

/// Floor division for a positive divisor.
@inline(__always)
func floorDiv(_ value: Int, _ divisor: Int) -> Int {
    let q = value / divisor
    return (value % divisor < 0) ? q - 1 : q
}
