// DRAW_FILL, DRAW_BLACKNESS, DRAW_WHITENESS and DRAW_INVERS (spice.proto; spice-protocol-notes §3.2):
// a brush combined with the destination through a raster op, inside box ∩ clip ∩ mask.

/// A brush in stored pixels, ready for the row loops.
enum ResolvedBrush<P: CanvasPixel> {
    case solid(P)
    /// A tile and the destination point its pixel (0, 0) lies on.
    case tile(Surface, originX: Int, originY: Int)

    /// Nil when a pattern's pixel size differs from the destination's (nothing is drawn then).
    init?(_ brush: Brush, for destination: Surface) {
        switch brush {
        case .none:
            self = .solid(0)
        case .solid(let color):
            self = .solid(P.stored(color))
        case .pattern(let tile, let origin):
            guard tile.format.storedBytesPerPixel == MemoryLayout<P>.size, origin.isWithinRasterLimits else { return nil }
            // A pattern read from the surface being drawn would change under the brush: draw from a copy.
            let stable = tile === destination ? tile.copyOfRect(tile.bounds) : tile
            self = .tile(stable, originX: origin.x, originY: origin.y)
        }
    }

    /// Calls `body(offset, pointer, count)` for the brush pixels of destination row `y`, columns
    /// `left..<right`, in pieces that are contiguous in the tile (`offset` is from `left`).
    @inline(__always)
    func forEachTileChunk(y: Int, left: Int, right: Int, _ body: (Int, UnsafePointer<P>, Int) -> Void) {
        guard case .tile(let tile, let originX, let originY) = self else { return }
        let row = tile.pixels(P.self, x: 0, y: floorMod(y - originY, tile.height))
        var x = left
        var tx = floorMod(left - originX, tile.width)
        while x < right {
            let n = min(right - x, tile.width - tx)
            body(x - left, row + tx, n)
            x += n
            tx = 0
        }
    }
}

extension Surface {
    /// DRAW_FILL: combines `brush` with the destination through `ropd` (INVERS_BRUSH inverts the brush,
    /// INVERS_DEST the destination; INVERS_SRC does not apply) inside box ∩ clip ∩ mask.
    ///
    /// On an opaque surface A stays 255 whatever the op; on an ARGB surface the op applies to all four
    /// bytes; on an alpha-only (a8/a1) surface a solid brush stores its colour's alpha byte. A pattern
    /// whose pixel size differs from this surface's draws nothing.
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func fill(_ box: CanvasRect, clip: Clip = .none, brush: Brush, ropd: Ropd = .opPut, mask: Mask? = nil) -> CanvasRect {
        self.paint(box, clip: clip, brush: brush, op: ropd.rop2(sourceInversion: .inversBrush, destinationInversion: .inversDest), mask: mask)
    }

    /// DRAW_BLACKNESS: all bytes 0 (A stays 255 on an opaque surface) inside box ∩ clip ∩ mask.
    @discardableResult
    public func blackness(_ box: CanvasRect, clip: Clip = .none, mask: Mask? = nil) -> CanvasRect {
        self.paint(box, clip: clip, brush: .none, op: .clear, mask: mask)
    }

    /// DRAW_WHITENESS: all bytes 255 inside box ∩ clip ∩ mask.
    @discardableResult
    public func whiteness(_ box: CanvasRect, clip: Clip = .none, mask: Mask? = nil) -> CanvasRect {
        self.paint(box, clip: clip, brush: .none, op: .set, mask: mask)
    }

    /// DRAW_INVERS: every byte inverted (A stays 255 on an opaque surface) inside box ∩ clip ∩ mask.
    @discardableResult
    public func invers(_ box: CanvasRect, clip: Clip = .none, mask: Mask? = nil) -> CanvasRect {
        self.paint(box, clip: clip, brush: .none, op: .invert, mask: mask)
    }

    /// The area an operation on `box` may draw into (bounds ∩ box ∩ `limit` ∩ clip ∩ the mask's
    /// footprint), and the placed mask; nil when nothing is left.
    func drawArea(_ box: CanvasRect, clip: Clip, mask: Mask?, limit: CanvasRect? = nil) -> (DrawArea, MaskPlacement?)? {
        guard box.isWithinRasterLimits else { return nil }
        var rect = box.intersection(self.bounds)
        if let limit { rect = rect.intersection(limit) }
        var placement: MaskPlacement? = nil
        if let mask {
            guard mask.origin.isWithinRasterLimits else { return nil }
            let placed = MaskPlacement(mask, box: box)
            rect = rect.intersection(placed.footprint)
            placement = placed
        }
        guard let area = DrawArea(limit: rect, clip: clip) else { return nil }
        return (area, placement)
    }

    /// Applies a brush through a two-operand op over box ∩ clip ∩ mask.
    func paint(_ box: CanvasRect, clip: Clip, brush: Brush, op: Rop2, mask: Mask?) -> CanvasRect {
        guard let (area, placement) = self.drawArea(box, clip: clip, mask: mask) else { return nothingDrawn }
        if self.format.storedBytesPerPixel == 4 {
            guard let resolved = ResolvedBrush<UInt32>(brush, for: self) else { return nothingDrawn }
            self.paintRuns(area: area, mask: placement, brush: resolved, op: op)
        } else {
            guard let resolved = ResolvedBrush<UInt8>(brush, for: self) else { return nothingDrawn }
            self.paintRuns(area: area, mask: placement, brush: resolved, op: op)
        }
        return area.bounds
    }

    func paintRuns<P: CanvasPixel>(area: DrawArea, mask: MaskPlacement?, brush: ResolvedBrush<P>, op: Rop2) {
        let force = self.forcedBits(P.self)
        switch brush {
        case .solid(let value):
            forEachRun(in: area, mask: mask) { y, left, right in
                rop2Row(op, self.pixels(P.self, x: left, y: y), value: value, right - left, force)
            }
        case .tile:
            forEachRun(in: area, mask: mask) { y, left, right in
                let d = self.pixels(P.self, x: left, y: y)
                brush.forEachTileChunk(y: y, left: left, right: right) { offset, s, n in
                    rop2Row(op, d + offset, s, n, force)
                }
            }
        }
    }

    /// Applies a brush through a two-operand op to one run of row `y` (used by stroke and text).
    func paintRun<P: CanvasPixel>(y: Int, left: Int, right: Int, brush: ResolvedBrush<P>, op: Rop2) {
        let force = self.forcedBits(P.self)
        let d = self.pixels(P.self, x: left, y: y)
        switch brush {
        case .solid(let value):
            rop2Row(op, d, value: value, right - left, force)
        case .tile:
            brush.forEachTileChunk(y: y, left: left, right: right) { offset, s, n in
                rop2Row(op, d + offset, s, n, force)
            }
        }
    }

    /// A new surface of the same format holding a copy of `rect` (which lies inside the bounds).
    func copyOfRect(_ rect: CanvasRect) -> Surface {
        // The rectangle is inside this surface, so its size is within the limits and init cannot fail.
        let copy = Surface(width: rect.width, height: rect.height, format: self.format)!
        let bytesPerPixel = self.format.storedBytesPerPixel
        for y in 0..<rect.height {
            copy.row(y).copyMemory(from: self.row(rect.top + y) + rect.left * bytesPerPixel, byteCount: rect.width * bytesPerPixel)
        }
        return copy
    }
}
