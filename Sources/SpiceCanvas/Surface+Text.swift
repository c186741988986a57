// DRAW_TEXT (spice.proto; spice-protocol-notes §3.2): a back area filled with one brush, then glyph
// rasters painted with another.

extension Surface {
    /// DRAW_TEXT, inside box ∩ clip:
    /// 1. `backArea` (when not empty) is filled with `backBrush` through `backMode` (normally OP_PUT);
    /// 2. the glyphs' coverage is gathered into one mask (overlapping glyphs take the larger
    ///    coverage, as spice-common does) and `foreBrush` is painted through it.
    ///
    /// Glyph rasters have `bitsPerPixel` 1, 4 or 8 (`SPICE_STRING_FLAGS_RASTER_A1/A4/A8`); rows are
    /// whole bytes (1 bpp most significant bit first, 4 bpp high nibble first, a nibble n meaning
    /// coverage n·16). Rows are stored bottom row first — how spice-common reads them — unless
    /// `topDown` (`SPICE_STRING_FLAGS_RASTER_TOP_DOWN`). A glyph whose data is shorter than its size
    /// needs is skipped.
    ///
    /// 1-bpp glyphs apply `foreMode` to every covered pixel (INVERS_BRUSH inverts the brush), so XOR
    /// text works. 4- and 8-bpp glyphs are composited OVER with their coverage (pixman arithmetic,
    /// what spice-common does for every text), ignoring `foreMode`, and only on 32-bit surfaces.
    /// Vector glyphs (`RASTER` flags clear) are not supported: pass no glyphs for them.
    /// - Returns: the bounding rectangle of what may have changed (empty when nothing did).
    @discardableResult
    public func text(_ box: CanvasRect, clip: Clip = .none, glyphs: [RasterGlyph], bitsPerPixel: Int, topDown: Bool = false,
                     foreBrush: Brush, backBrush: Brush = .none, backArea: CanvasRect = CanvasRect(left: 0, top: 0, right: 0, bottom: 0),
                     foreMode: Ropd = .opPut, backMode: Ropd = .opPut) -> CanvasRect {
        guard bitsPerPixel == 1 || bitsPerPixel == 4 || bitsPerPixel == 8,
              let (area, _) = self.drawArea(box, clip: clip, mask: nil) else { return nothingDrawn }
        var touched = nothingDrawn
        if !backArea.isEmpty, backArea.isWithinRasterLimits, let back = area.intersected(with: backArea) {
            let op = backMode.rop2(sourceInversion: .inversBrush, destinationInversion: .inversDest)
            if self.format.storedBytesPerPixel == 4 {
                if let resolved = ResolvedBrush<UInt32>(backBrush, for: self) {
                    self.paintRuns(area: back, mask: nil, brush: resolved, op: op)
                    touched = back.bounds
                }
            } else if let resolved = ResolvedBrush<UInt8>(backBrush, for: self) {
                self.paintRuns(area: back, mask: nil, brush: resolved, op: op)
                touched = back.bounds
            }
        }
        // The coverage mask spans the glyphs that meet the area.
        var extent = nothingDrawn
        for glyph in glyphs where glyph.width > 0 && glyph.height > 0 && glyph.box.isWithinRasterLimits {
            extent = extent.union(glyph.box.intersection(area.bounds))
        }
        guard !extent.isEmpty, let covered = area.intersected(with: extent) else { return touched }
        let coverage = UnsafeMutablePointer<UInt8>.allocate(capacity: extent.width * extent.height)
        defer { coverage.deallocate() }
        coverage.initialize(repeating: 0, count: extent.width * extent.height)
        for glyph in glyphs {
            rasterise(glyph, bitsPerPixel: bitsPerPixel, topDown: topDown, into: coverage, extent: extent)
        }
        let op = foreMode.rop2(sourceInversion: .inversBrush, destinationInversion: .inversDest)
        if self.format.storedBytesPerPixel == 4 {
            guard let resolved = ResolvedBrush<UInt32>(foreBrush, for: self) else { return touched }
            self.paintCoverage(covered, coverage: coverage, extent: extent, brush: resolved, op: op, binary: bitsPerPixel == 1)
        } else {
            guard bitsPerPixel == 1, let resolved = ResolvedBrush<UInt8>(foreBrush, for: self) else { return touched }
            self.paintCoverage(covered, coverage: coverage, extent: extent, brush: resolved, op: op, binary: true)
        }
        return touched.union(covered.bounds)
    }

    private func paintCoverage<P: CanvasPixel>(_ area: DrawArea, coverage: UnsafeMutablePointer<UInt8>, extent: CanvasRect,
                                               brush: ResolvedBrush<P>, op: Rop2, binary: Bool) {
        area.forEachRect { rect in
            for y in rect.top..<rect.bottom {
                let row = coverage + (y - extent.top) * extent.width - extent.left
                var x = rect.left
                if binary {
                    while x < rect.right {
                        while x < rect.right && row[x] == 0 { x += 1 }
                        let start = x
                        while x < rect.right && row[x] != 0 { x += 1 }
                        if x > start { self.paintRun(y: y, left: start, right: x, brush: brush, op: op) }
                    }
                } else {
                    // Anti-aliased coverage: brush IN coverage OVER destination, pixel by pixel.
                    let d = self.pixels(UInt32.self, x: 0, y: y)
                    let force = self.forcedBits(UInt32.self)
                    switch brush {
                    case .solid(let value):
                        let colour = UInt32(truncatingIfNeeded: value)
                        for x in rect.left..<rect.right where row[x] != 0 {
                            d[x] = over(multiplyBytes(colour, UInt32(row[x])), d[x]) | force
                        }
                    case .tile:
                        brush.forEachTileChunk(y: y, left: rect.left, right: rect.right) { offset, tile, n in
                            for k in 0..<n where row[rect.left + offset + k] != 0 {
                                let x = rect.left + offset + k
                                d[x] = over(multiplyBytes(UInt32(truncatingIfNeeded: tile[k]), UInt32(row[x])), d[x]) | force
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Adds one glyph's coverage (0...255 per pixel) into the mask covering `extent`, keeping the larger
/// value where glyphs overlap.
private func rasterise(_ glyph: RasterGlyph, bitsPerPixel: Int, topDown: Bool, into coverage: UnsafeMutablePointer<UInt8>,
                       extent: CanvasRect) {
    guard glyph.width > 0, glyph.height > 0, glyph.box.isWithinRasterLimits else { return }
    let stride = (glyph.width * bitsPerPixel + 7) / 8
    guard glyph.data.count >= stride * glyph.height else { return }
    let box = glyph.box
    let visible = box.intersection(extent)
    guard !visible.isEmpty else { return }
    glyph.data.withUnsafeBufferPointer { data in
        guard let base = data.baseAddress else { return }
        for y in visible.top..<visible.bottom {
            let glyphRow = y - box.top
            let source = base + (topDown ? glyphRow : glyph.height - 1 - glyphRow) * stride
            let target = coverage + (y - extent.top) * extent.width - extent.left
            for x in visible.left..<visible.right {
                let i = x - box.left
                let value: UInt8
                switch bitsPerPixel {
                case 1: value = (source[i >> 3] >> (7 - UInt8(i & 7))) & 1 == 0 ? 0 : 255
                case 4: value = i & 1 == 0 ? source[i >> 1] & 0xF0 : source[i >> 1] << 4
                default: value = source[i]
                }
                if value > target[x] { target[x] = value }
            }
        }
    }
}
