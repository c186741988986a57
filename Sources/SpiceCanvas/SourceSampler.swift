// Reads an image operand (a source area of another surface) for destination runs: straight from the
// source rows at 1:1, or resampled into one scratch row when the box and the source area differ in size.

/// The largest box or source-area side a scaled operation accepts: far beyond any surface, and small
/// enough that the fixed-point mapping below cannot overflow.
let maxScaledSide = 1 << 24

/// Source column (relative to the source area) that destination column `i` (relative to the box)
/// samples with nearest-neighbour scaling: the pixel under the destination pixel's centre, with
/// centres landing exactly on a source pixel edge taking the left/upper pixel, as pixman does.
@inline(__always)
func nearestIndex(_ i: Int, sourceLength: Int, destinationLength: Int) -> Int {
    ((2 * i + 1) * sourceLength - 1) / (2 * destinationLength)
}

struct SourceSampler<P: CanvasPixel> {
    /// The surface read (the original source, or a copy of part of it when the source is the
    /// destination itself).
    let source: Surface
    /// The absolute source coordinates of `source`'s pixel (0, 0).
    let originX: Int
    let originY: Int
    let box: CanvasRect
    let sourceArea: CanvasRect
    let scaled: Bool
    let mode: ScaleMode
    /// The destination column of the first entry of the column maps.
    let mapLeft: Int
    /// Scratch: one resampled row; nil at 1:1.
    let scratch: UnsafeMutablePointer<P>?
    /// Per destination column: the (left) source column in `source` coordinates, clamped.
    let column0: UnsafeMutablePointer<Int>?
    /// Per destination column, bilinear only: the right source column (clamped) and its weight (0..<256).
    let column1: UnsafeMutablePointer<Int>?
    let weight: UnsafeMutablePointer<Int>?

    /// The part of `box` whose pixels sample inside both the source area and the source surface;
    /// nil when none do or the geometry is unusable.
    static func validDestination(box: CanvasRect, sourceArea: CanvasRect, sourceBounds: CanvasRect) -> CanvasRect? {
        guard !box.isEmpty, !sourceArea.isEmpty else { return nil }
        let readable = sourceArea.intersection(sourceBounds)
        guard !readable.isEmpty else { return nil }
        if box.width == sourceArea.width && box.height == sourceArea.height {
            let valid = readable.offsetBy(dx: box.left - sourceArea.left, dy: box.top - sourceArea.top).intersection(box)
            return valid.isEmpty ? nil : valid
        }
        guard box.width <= maxScaledSide, box.height <= maxScaledSide,
              sourceArea.width <= maxScaledSide, sourceArea.height <= maxScaledSide else { return nil }
        func range(_ length: Int, _ sourceLength: Int, _ low: Int, _ high: Int) -> (Int, Int) {
            // The first destination index whose sample is at or past `target`; the map is monotonic.
            func firstReaching(_ target: Int) -> Int {
                var lo = 0, hi = length
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if nearestIndex(mid, sourceLength: sourceLength, destinationLength: length) >= target { hi = mid } else { lo = mid + 1 }
                }
                return lo
            }
            return (firstReaching(low), firstReaching(high))
        }
        let (x0, x1) = range(box.width, sourceArea.width, readable.left - sourceArea.left, readable.right - sourceArea.left)
        let (y0, y1) = range(box.height, sourceArea.height, readable.top - sourceArea.top, readable.bottom - sourceArea.top)
        let valid = CanvasRect(left: box.left + x0, top: box.top + y0, right: box.left + x1, bottom: box.top + y1)
        return valid.isEmpty ? nil : valid
    }

    /// A sampler for destination pixels inside `destinationBounds` (which lies inside the valid
    /// destination); reads a copy when the source is `destination` itself.
    init(source original: Surface, sourceArea: CanvasRect, box: CanvasRect, mode: ScaleMode,
         destinationBounds: CanvasRect, destination: Surface) {
        self.box = box
        self.sourceArea = sourceArea
        self.mode = mode
        self.scaled = box.width != sourceArea.width || box.height != sourceArea.height
        let dx = sourceArea.left - box.left, dy = sourceArea.top - box.top
        if original === destination {
            // Reading the rows being written would see the op's own output: sample a copy instead.
            var needed: CanvasRect
            if self.scaled {
                needed = sourceArea.intersection(original.bounds)
                needed = CanvasRect(left: needed.left - 1, top: needed.top - 1, right: needed.right + 1, bottom: needed.bottom + 1)
                    .intersection(original.bounds)
            } else {
                needed = destinationBounds.offsetBy(dx: dx, dy: dy)
            }
            self.source = original.copyOfRect(needed)
            self.originX = needed.left
            self.originY = needed.top
        } else {
            self.source = original
            self.originX = 0
            self.originY = 0
        }
        guard self.scaled else {
            self.mapLeft = 0
            (self.scratch, self.column0, self.column1, self.weight) = (nil, nil, nil, nil)
            return
        }
        let width = destinationBounds.width
        self.mapLeft = destinationBounds.left
        self.scratch = .allocate(capacity: width)
        let column0 = UnsafeMutablePointer<Int>.allocate(capacity: width)
        self.column0 = column0
        let lastColumn = self.source.width - 1
        let sw = sourceArea.width, bw = box.width
        switch mode {
        case .nearest:
            (self.column1, self.weight) = (nil, nil)
            for k in 0..<width {
                let i = destinationBounds.left + k - box.left
                column0[k] = sourceArea.left + nearestIndex(i, sourceLength: sw, destinationLength: bw) - self.originX
            }
        case .interpolate:
            let column1 = UnsafeMutablePointer<Int>.allocate(capacity: width)
            let weight = UnsafeMutablePointer<Int>.allocate(capacity: width)
            (self.column1, self.weight) = (column1, weight)
            for k in 0..<width {
                let i = destinationBounds.left + k - box.left
                // The centre of destination pixel i in source pixels, minus half a pixel: (2i+1)·sw/2bw − ½.
                let numerator = (2 * i + 1) * sw - bw
                let left = floorDiv(numerator, 2 * bw)
                let fraction = ((numerator - left * 2 * bw) << 8) / (2 * bw)
                let x = sourceArea.left + left - self.originX
                column0[k] = min(max(x, 0), lastColumn)
                column1[k] = min(max(x + 1, 0), lastColumn)
                weight[k] = fraction
            }
        }
    }

    func release() {
        self.scratch?.deallocate()
        self.column0?.deallocate()
        self.column1?.deallocate()
        self.weight?.deallocate()
    }

    /// The source pixels for destination row `y`, columns `left..<left + count`.
    @inline(__always)
    func fetch(y: Int, left: Int, count: Int) -> UnsafePointer<P> {
        guard self.scaled, let scratch = self.scratch, let column0 = self.column0 else {
            return UnsafePointer(self.source.pixels(P.self, x: left + self.sourceArea.left - self.box.left - self.originX,
                                                    y: y + self.sourceArea.top - self.box.top - self.originY))
        }
        let j = y - self.box.top
        let sh = self.sourceArea.height, bh = self.box.height
        let first = left - self.mapLeft
        switch self.mode {
        case .nearest:
            let sy = self.sourceArea.top + nearestIndex(j, sourceLength: sh, destinationLength: bh) - self.originY
            let row = self.source.pixels(P.self, x: 0, y: sy)
            for k in 0..<count { scratch[k] = row[column0[first + k]] }
        case .interpolate:
            let numerator = (2 * j + 1) * sh - bh
            let top = floorDiv(numerator, 2 * bh)
            let fy = ((numerator - top * 2 * bh) << 8) / (2 * bh)
            let lastRow = self.source.height - 1
            let y0 = min(max(self.sourceArea.top + top - self.originY, 0), lastRow)
            let y1 = min(max(self.sourceArea.top + top + 1 - self.originY, 0), lastRow)
            let row0 = self.source.pixels(P.self, x: 0, y: y0)
            let row1 = self.source.pixels(P.self, x: 0, y: y1)
            guard let column1 = self.column1, let weight = self.weight else { break }
            for k in 0..<count {
                let c0 = column0[first + k], c1 = column1[first + k]
                scratch[k] = P.bilinear(row0[c0], row0[c1], row1[c0], row1[c1], fx: weight[first + k], fy: fy)
            }
        }
        return UnsafePointer(scratch)
    }
}

extension Surface {
    /// Runs `body(y, left, right, sourcePixels)` for every destination run of an image operation,
    /// clipped to the bounds, box, clip, mask and the part of the box whose samples are readable.
    /// - Returns: the bounding rectangle of the runs' area (empty when nothing is drawn).
    func imageRuns<P: CanvasPixel>(_ type: P.Type, source: Surface, sourceArea: CanvasRect, box: CanvasRect, clip: Clip,
                                   mask: Mask?, scaleMode: ScaleMode,
                                   _ body: (Int, Int, Int, UnsafePointer<P>) -> Void) -> CanvasRect {
        guard source.format.storedBytesPerPixel == MemoryLayout<P>.size, self.format.storedBytesPerPixel == MemoryLayout<P>.size,
              sourceArea.isWithinRasterLimits, box.isWithinRasterLimits,
              let valid = SourceSampler<P>.validDestination(box: box, sourceArea: sourceArea, sourceBounds: source.bounds),
              let (area, placement) = self.drawArea(box, clip: clip, mask: mask, limit: valid) else { return nothingDrawn }
        let sampler = SourceSampler<P>(source: source, sourceArea: sourceArea, box: box, mode: scaleMode,
                                       destinationBounds: area.bounds, destination: self)
        defer { sampler.release() }
        forEachRun(in: area, mask: placement) { y, left, right in
            body(y, left, right, sampler.fetch(y: y, left: left, count: right - left))
        }
        return area.bounds
    }
}
