// DRAW_STROKE (spice.proto; spice-protocol-notes §3.2): a path drawn as one-pixel lines.

extension Surface {
    /// DRAW_STROKE: the path's figures drawn as one-pixel-wide lines (Bresenham) with the brush,
    /// combined with the destination through `foreMode` (INVERS_BRUSH inverts the brush), inside
    /// box ∩ clip.
    ///
    /// What is implemented, following spice-common (which always strokes with width 0, "cosmetic"):
    /// - figures are built from the segments as spice-common builds them: `begin` starts a figure at
    ///   its first point, later points (or cubic Bézier triples, flattened to within about half a
    ///   pixel) extend it, `end` finishes it and `close` adds a line back to its first point;
    /// - points are rounded from 28.4 fixed point to pixels (a fraction above one half rounds up);
    /// - every line leaves out its last pixel (Windows cosmetic lines are end-exclusive), so joins
    ///   and closed figures draw each pixel once, which XOR strokes need;
    /// - `style` dashes: lengths rounded to pixels, alternating dash and gap (gap first with
    ///   `startsWithGap`), counted along each line's major axis and carried from one line of a figure
    ///   to the next; gaps are left untouched.
    ///
    /// Not implemented: wide lines, joins and caps (SPICE's LineAttr carries no width), and the back
    /// mode (gaps are never painted; spice-common does not paint them either).
    /// - Returns: the bounding rectangle of the pixels drawn (empty when none were).
    @discardableResult
    public func stroke(path: [PathSegment], box: CanvasRect, clip: Clip = .none, brush: Brush, foreMode: Ropd = .opPut,
                       style: LineStyle? = nil) -> CanvasRect {
        guard let (area, _) = self.drawArea(box, clip: clip, mask: nil) else { return nothingDrawn }
        let op = foreMode.rop2(sourceInversion: .inversBrush, destinationInversion: .inversDest)
        if self.format.storedBytesPerPixel == 4 {
            guard let resolved = ResolvedBrush<UInt32>(brush, for: self) else { return nothingDrawn }
            return self.strokeFigures(path, area: area, brush: resolved, op: op, style: style)
        }
        guard let resolved = ResolvedBrush<UInt8>(brush, for: self) else { return nothingDrawn }
        return self.strokeFigures(path, area: area, brush: resolved, op: op, style: style)
    }

    private func strokeFigures<P: CanvasPixel>(_ path: [PathSegment], area: DrawArea, brush: ResolvedBrush<P>, op: Rop2,
                                               style: LineStyle?) -> CanvasRect {
        var plotter = LinePlotter(area: area) { y, left, right in
            self.paintRun(y: y, left: left, right: right, brush: brush, op: op)
        }
        let dashes = style.map { $0.segments.map { pixelsFromFixed(Int($0)) }.map { max($0, 0) } } ?? []
        let dashed = dashes.contains { $0 > 0 }
        var figure: [CanvasPoint] = []
        var figureFixed: [CanvasPointFixed] = []

        func draw() {
            if figure.count >= 2 {
                var dash = DashState(lengths: dashed ? dashes : [], startsWithGap: style?.startsWithGap ?? false)
                for index in 1..<figure.count { plotter.line(from: figure[index - 1], to: figure[index], dash: &dash) }
            }
            figure.removeAll(keepingCapacity: true)
            figureFixed.removeAll(keepingCapacity: true)
        }
        func append(_ point: CanvasPointFixed) {
            figure.append(CanvasPoint(x: pixelsFromFixed(Int(point.x)), y: pixelsFromFixed(Int(point.y))))
            figureFixed.append(point)
        }

        for segment in path {
            var points = segment.points[...]
            if segment.flags.contains(.begin), let first = points.first {
                draw()
                append(first)
                points = points.dropFirst()
            }
            if segment.flags.contains(.bezier) {
                var index = points.startIndex
                while index + 2 < points.endIndex, let start = figureFixed.last {
                    flattenBezier(start, points[index], points[index + 1], points[index + 2], depth: 0, append)
                    index += 3
                }
            } else {
                for point in points { append(point) }
            }
            if segment.flags.contains(.end) {
                if segment.flags.contains(.close), let first = figureFixed.first { append(first) }
                draw()
            }
        }
        draw()
        plotter.flush()
        return plotter.drawn
    }
}

/// SPICE's fixed 28.4 → whole pixels: the fraction rounds up only above one half.
@inline(__always)
func pixelsFromFixed(_ fixed: Int) -> Int {
    let whole = fixed >> 4
    return (fixed & 0xF) > 8 ? whole + 1 : whole
}

/// Appends the end points of straight pieces approximating the cubic Bézier from `p0` (already in
/// the figure) through controls `p1`, `p2` to `p3`, halving it until the controls are within about
/// half a pixel of the chord.
private func flattenBezier(_ p0: CanvasPointFixed, _ p1: CanvasPointFixed, _ p2: CanvasPointFixed, _ p3: CanvasPointFixed,
                           depth: Int, _ append: (CanvasPointFixed) -> Void) {
    func distanceSquaredTimesLength(_ p: CanvasPointFixed) -> (Double, Double) {
        // |cross(p3 − p0, p − p0)|² and |p3 − p0|², in 1/16-pixel units.
        let cx = Double(p3.x) - Double(p0.x), cy = Double(p3.y) - Double(p0.y)
        let px = Double(p.x) - Double(p0.x), py = Double(p.y) - Double(p0.y)
        let cross = cx * py - cy * px
        return (cross * cross, cx * cx + cy * cy)
    }
    let (d1, length) = distanceSquaredTimesLength(p1)
    let (d2, _) = distanceSquaredTimesLength(p2)
    // Half a pixel is 8 units: flat when distance² = cross² / length² ≤ 64.
    let chordIsPoint = length == 0
    let flat = chordIsPoint
        ? max(Double(p1.x - p0.x).magnitude, Double(p1.y - p0.y).magnitude, Double(p2.x - p0.x).magnitude, Double(p2.y - p0.y).magnitude) <= 8
        : (d1 <= 64 * length && d2 <= 64 * length)
    if flat || depth >= 12 {
        append(p3)
        return
    }
    func mid(_ a: CanvasPointFixed, _ b: CanvasPointFixed) -> CanvasPointFixed {
        CanvasPointFixed(x: Int32(truncatingIfNeeded: (Int(a.x) + Int(b.x)) >> 1), y: Int32(truncatingIfNeeded: (Int(a.y) + Int(b.y)) >> 1))
    }
    let p01 = mid(p0, p1), p12 = mid(p1, p2), p23 = mid(p2, p3)
    let p012 = mid(p01, p12), p123 = mid(p12, p23)
    let p0123 = mid(p012, p123)
    flattenBezier(p0, p01, p012, p0123, depth: depth + 1, append)
    flattenBezier(p0123, p123, p23, p3, depth: depth + 1, append)
}

/// Where a dashed line is in its dash pattern.
struct DashState {
    let lengths: [Int]
    var index = 0
    var remaining: Int
    var on: Bool

    /// An empty `lengths` means a solid line.
    init(lengths: [Int], startsWithGap: Bool) {
        self.lengths = lengths
        self.on = !startsWithGap
        self.remaining = lengths.first ?? 0
        if !lengths.isEmpty && self.remaining == 0 { self.advance() }
    }

    var isSolid: Bool { self.lengths.isEmpty }

    /// Moves past one pixel; returns whether that pixel was in a dash.
    mutating func step() -> Bool {
        guard !self.lengths.isEmpty else { return true }
        let drawn = self.on
        self.remaining -= 1
        if self.remaining <= 0 { self.advance() }
        return drawn
    }

    /// Moves to the next non-empty element, toggling dash and gap for every element passed (an odd
    /// count therefore swaps dash and gap on the next round, as X does).
    private mutating func advance() {
        for _ in 0..<(2 * self.lengths.count) {
            self.index = (self.index + 1) % self.lengths.count
            self.on.toggle()
            self.remaining = self.lengths[self.index]
            if self.remaining > 0 { return }
        }
    }
}

/// Turns line pixels into horizontal runs clipped to the draw area.
struct LinePlotter {
    let area: DrawArea
    let emit: (Int, Int, Int) -> Void
    private var runY = 0
    private var runLeft = 0
    private var runRight = 0
    private(set) var drawn = nothingDrawn

    init(area: DrawArea, emit: @escaping (Int, Int, Int) -> Void) {
        self.area = area
        self.emit = emit
    }

    /// Draws from `start` towards `end`, leaving out `end` itself.
    mutating func line(from start: CanvasPoint, to end: CanvasPoint, dash: inout DashState) {
        let dx = end.x - start.x, dy = end.y - start.y
        let adx = dx.magnitude, ady = dy.magnitude
        let steps = Int(max(adx, ady))
        guard steps > 0 else { return }
        // Lines far outside any surface would take forever to walk; nothing of them can be drawn
        // beyond the area anyway, but their dash phase would matter, so only reject absurd ones.
        guard steps <= 4 * CanvasLimits.maxSurfaceDimension + 4 || self.mightCross(start, end) else { return }
        let sx = dx < 0 ? -1 : 1, sy = dy < 0 ? -1 : 1
        var x = start.x, y = start.y
        if adx >= ady {
            let minor = 2 * Int(ady), major = 2 * Int(adx)
            var error = minor - Int(adx)
            for _ in 0..<steps {
                if dash.step() { self.plot(x, y) }
                if error > 0 || (error == 0 && sx > 0) {
                    y += sy
                    error -= major
                }
                error += minor
                x += sx
            }
        } else {
            let minor = 2 * Int(adx), major = 2 * Int(ady)
            var error = minor - Int(ady)
            for _ in 0..<steps {
                if dash.step() { self.plot(x, y) }
                if error > 0 || (error == 0 && sy > 0) {
                    x += sx
                    error -= major
                }
                error += minor
                y += sy
            }
        }
    }

    /// Whether the segment's bounding box meets the area (cheap rejection for very long lines).
    private func mightCross(_ a: CanvasPoint, _ b: CanvasPoint) -> Bool {
        let box = CanvasRect(left: min(a.x, b.x), top: min(a.y, b.y), right: max(a.x, b.x) + 1, bottom: max(a.y, b.y) + 1)
        return !box.intersection(self.area.bounds).isEmpty && box.width <= 1 << 20 && box.height <= 1 << 20
    }

    private mutating func plot(_ x: Int, _ y: Int) {
        if self.runRight > self.runLeft && y == self.runY {
            if x == self.runRight {
                self.runRight += 1
                return
            }
            if x == self.runLeft - 1 {
                self.runLeft -= 1
                return
            }
        }
        self.flush()
        self.runY = y
        self.runLeft = x
        self.runRight = x + 1
    }

    /// Draws the pending run, clipped to the area.
    mutating func flush() {
        guard self.runRight > self.runLeft else { return }
        let run = CanvasRect(left: self.runLeft, top: self.runY, right: self.runRight, bottom: self.runY + 1)
        self.runRight = self.runLeft
        guard !run.intersection(self.area.bounds).isEmpty else { return }
        self.area.forEachRect { rect in
            let part = run.intersection(rect)
            if !part.isEmpty {
                self.emit(part.top, part.left, part.right)
                self.drawn = self.drawn.union(part)
            }
        }
    }
}
