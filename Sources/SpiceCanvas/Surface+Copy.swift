// DRAW_COPY, DRAW_BLEND and COPY_BITS (spice.proto; spice-protocol-notes §3.2): an image (a source
// area of a surface) combined with the destination, and blits inside one surface for scrolling.

extension Surface {
    /// DRAW_COPY: the source area drawn into `box` through `ropd` (INVERS_SRC inverts the image,
    /// INVERS_DEST the destination; INVERS_BRUSH does not apply), inside box ∩ clip ∩ mask.
    ///
    /// When the box and the source area have the same size this is a 1:1 blit (OP_PUT without
    /// inversion or mask is a row memmove); otherwise the source area is scaled onto the box with
    /// `scaleMode`. Destination pixels whose sample falls outside the source surface are not drawn.
    /// The source may be this surface (it is then read from a copy, so overlap is harmless). Source
    /// and destination must have the same pixel size (both 32-bit, or both 8-bit alpha); otherwise
    /// nothing is drawn. On an opaque destination A stays 255 (an ARGB source's alpha is dropped); on
    /// an ARGB destination OP_PUT copies the source's alpha.
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func copy(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none, ropd: Ropd = .opPut,
                     scaleMode: ScaleMode = .interpolate, mask: Mask? = nil) -> CanvasRect {
        self.copyRuns(from: source, sourceArea: sourceArea, to: box, clip: clip,
                      op: ropd.rop2(sourceInversion: .inversSrc, destinationInversion: .inversDest), scaleMode: scaleMode, mask: mask)
    }

    /// DRAW_BLEND: the same as `copy` — spice-common draws BLEND as a COPY with the command's ropd.
    @discardableResult
    public func blend(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none, ropd: Ropd,
                      scaleMode: ScaleMode = .interpolate, mask: Mask? = nil) -> CanvasRect {
        self.copy(from: source, sourceArea: sourceArea, to: box, clip: clip, ropd: ropd, scaleMode: scaleMode, mask: mask)
    }

    /// COPY_BITS: moves the pixels at `sourcePosition` (the box's size) to `box` within this surface, as
    /// if every source pixel were read before any is written (scrolling), inside box ∩ clip.
    ///
    /// Destination pixels whose source lies outside the surface are not drawn. With several clip
    /// rectangles the bands are copied in an order that never reads an already-moved pixel.
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing moved).
    @discardableResult
    public func copyBits(from sourcePosition: CanvasPoint, to box: CanvasRect, clip: Clip = .none) -> CanvasRect {
        guard box.isWithinRasterLimits, sourcePosition.isWithinRasterLimits else { return nothingDrawn }
        let dx = box.left - sourcePosition.x, dy = box.top - sourcePosition.y
        guard dx != 0 || dy != 0,
              let (area, _) = self.drawArea(box, clip: clip, mask: nil, limit: self.bounds.offsetBy(dx: dx, dy: dy)) else {
            return nothingDrawn
        }
        let bytesPerPixel = self.format.storedBytesPerPixel
        func move(_ rect: CanvasRect) {
            let byteCount = rect.width * bytesPerPixel
            // Moving down, the lowest rows go first so no row is overwritten before it is read;
            // within a row, copyMemory is a memmove.
            if dy > 0 {
                for y in Swift.stride(from: rect.bottom - 1, through: rect.top, by: -1) {
                    (self.row(y) + rect.left * bytesPerPixel).copyMemory(from: self.row(y - dy) + (rect.left - dx) * bytesPerPixel, byteCount: byteCount)
                }
            } else {
                for y in rect.top..<rect.bottom {
                    (self.row(y) + rect.left * bytesPerPixel).copyMemory(from: self.row(y - dy) + (rect.left - dx) * bytesPerPixel, byteCount: byteCount)
                }
            }
        }
        switch area.storage {
        case .single(let rect):
            move(rect)
        case .many(let rects):
            // Bands are disjoint and sorted: take them against the motion (last band first when moving
            // down) and, within a band, rectangles against the horizontal motion.
            var bandStarts: [Int] = []
            for (index, rect) in rects.enumerated() where index == 0 || rect.top != rects[index - 1].top { bandStarts.append(index) }
            let bandOrder = dy > 0 ? Array(bandStarts.indices.reversed()) : Array(bandStarts.indices)
            for band in bandOrder {
                let start = bandStarts[band]
                let end = band + 1 < bandStarts.count ? bandStarts[band + 1] : rects.count
                if dx > 0 {
                    for index in Swift.stride(from: end - 1, through: start, by: -1) { move(rects[index]) }
                } else {
                    for index in start..<end { move(rects[index]) }
                }
            }
        }
        return area.bounds
    }
}
