// DRAW_ROP3 and DRAW_OPAQUE (spice.proto; spice-protocol-notes §3.2): an image combined with a brush
// and the destination.

extension Surface {
    /// DRAW_ROP3: every pixel becomes the ternary raster op `rop3` (Windows ROP3 code: bit
    /// `(P << 2) | (S << 1) | D` of the code is the result for pattern bit P, source bit S and
    /// destination bit D; 0xCC = S, 0xF0 = P, 0xAA = D) of the brush, the source area and the
    /// destination, bit by bit, inside box ∩ clip ∩ mask.
    ///
    /// The source is resampled as in `copy` when the box and source area differ in size; destination
    /// pixels whose sample is off the source surface are not drawn (unless the code ignores the
    /// source, in which case the whole box is drawn like a fill). A pattern brush tiles from its
    /// origin as in `fill`. On an opaque destination A stays 255.
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func rop3(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none, brush: Brush,
                     rop3: UInt8, scaleMode: ScaleMode = .interpolate, mask: Mask? = nil) -> CanvasRect {
        let function = Rop3Function(code: rop3)
        if function.ignoresSource {
            return self.paint(box, clip: clip, brush: brush, op: function.patternRop2, mask: mask)
        }
        if function.ignoresPattern {
            return self.copyRuns(from: source, sourceArea: sourceArea, to: box, clip: clip, op: function.sourceRop2,
                                 scaleMode: scaleMode, mask: mask)
        }
        if self.format.storedBytesPerPixel == 4 {
            return self.rop3Runs(UInt32.self, function, source: source, sourceArea: sourceArea, box: box, clip: clip, brush: brush,
                                 scaleMode: scaleMode, mask: mask)
        }
        return self.rop3Runs(UInt8.self, function, source: source, sourceArea: sourceArea, box: box, clip: clip, brush: brush,
                             scaleMode: scaleMode, mask: mask)
    }

    private func rop3Runs<P: CanvasPixel>(_ type: P.Type, _ function: Rop3Function, source: Surface, sourceArea: CanvasRect, box: CanvasRect,
                                          clip: Clip, brush: Brush, scaleMode: ScaleMode, mask: Mask?) -> CanvasRect {
        guard let resolved = ResolvedBrush<P>(brush, for: self) else { return nothingDrawn }
        let force = self.forcedBits(P.self)
        return self.imageRuns(P.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: mask, scaleMode: scaleMode) { y, left, right, s in
            let d = self.pixels(P.self, x: left, y: y)
            switch resolved {
            case .solid(let value):
                rop3Row(function, d, s, pattern: value, right - left, force)
            case .tile:
                resolved.forEachTileChunk(y: y, left: left, right: right) { offset, p, n in
                    rop3Row(function, d + offset, s + offset, pattern: p, n, force)
                }
            }
        }
    }

    /// DRAW_OPAQUE: the source area is put into the box (resampled as in `copy`), then the brush is
    /// combined with it through `ropd`, where the brush is the source operand (INVERS_BRUSH inverts
    /// it) and the just-drawn image the destination operand (INVERS_SRC inverts it; INVERS_DEST does
    /// not apply) — spice-common's order. Inside box ∩ clip ∩ mask; on an opaque destination A stays 255.
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func opaque(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none, brush: Brush,
                       ropd: Ropd = .opPut, scaleMode: ScaleMode = .interpolate, mask: Mask? = nil) -> CanvasRect {
        let op = ropd.rop2(sourceInversion: .inversBrush, destinationInversion: .inversSrc)
        if self.format.storedBytesPerPixel == 4 {
            return self.opaqueRuns(UInt32.self, source: source, sourceArea: sourceArea, box: box, clip: clip, brush: brush, op: op,
                                   scaleMode: scaleMode, mask: mask)
        }
        return self.opaqueRuns(UInt8.self, source: source, sourceArea: sourceArea, box: box, clip: clip, brush: brush, op: op,
                               scaleMode: scaleMode, mask: mask)
    }

    private func opaqueRuns<P: CanvasPixel>(_ type: P.Type, source: Surface, sourceArea: CanvasRect, box: CanvasRect, clip: Clip,
                                            brush: Brush, op: Rop2, scaleMode: ScaleMode, mask: Mask?) -> CanvasRect {
        guard let resolved = ResolvedBrush<P>(brush, for: self) else { return nothingDrawn }
        let copyForce = source.format.hasAlpha ? self.forcedBits(P.self) : 0
        return self.imageRuns(P.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: mask, scaleMode: scaleMode) { y, left, right, s in
            rop2Row(.copy, self.pixels(P.self, x: left, y: y), s, right - left, copyForce)
            self.paintRun(y: y, left: left, right: right, brush: resolved, op: op)
        }
    }

    /// The image half of COPY/BLEND/ROP3: the source through a two-operand op onto the destination.
    func copyRuns(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip, op: Rop2, scaleMode: ScaleMode,
                  mask: Mask?) -> CanvasRect {
        // Copying an opaque source onto anything needs no forced alpha, so OP_PUT stays a memmove.
        let keepsAlpha = op == .copy && !source.format.hasAlpha
        if self.format.storedBytesPerPixel == 4 {
            let force = keepsAlpha ? 0 : self.forcedBits(UInt32.self)
            return self.imageRuns(UInt32.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: mask, scaleMode: scaleMode) { y, left, right, s in
                rop2Row(op, self.pixels(UInt32.self, x: left, y: y), s, right - left, force)
            }
        }
        return self.imageRuns(UInt8.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: mask, scaleMode: scaleMode) { y, left, right, s in
            rop2Row(op, self.pixels(UInt8.self, x: left, y: y), s, right - left, 0)
        }
    }
}
