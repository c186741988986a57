// DRAW_COMPOSITE (spice.proto `Composite`; spice-protocol-notes §3.1–3.2): Render-style Porter-Duff
// compositing of a source through an optional mask, with pixman's premultiplied arithmetic.

/// The Porter-Duff operators of pixman/Render that DRAW_COMPOSITE carries in flag bits 0–7.
public enum CompositeOperator: UInt8, Sendable, CaseIterable {
    case clear = 0, source = 1, destination = 2, over = 3, overReverse = 4, `in` = 5, inReverse = 6
    case out = 7, outReverse = 8, atop = 9, atopReverse = 10, xor = 11, add = 12, saturate = 13
}

/// How a composite source or mask extends beyond its surface (pixman `REPEAT_*`, flag bits 14–15 and 16–17).
public enum CompositeRepeat: UInt8, Sendable {
    /// Outside the surface every pixel is transparent (0, 0, 0, 0).
    case none = 0
    /// The surface tiles the plane.
    case normal = 1
    /// Outside pixels take the nearest edge pixel.
    case pad = 2
    /// The surface tiles the plane, every other copy mirrored.
    case reflect = 3
}

extension Surface {
    /// DRAW_COMPOSITE without transforms, inside box ∩ clip: destination pixel (x, y) combines source
    /// pixel `sourceOrigin + (x, y) − box.topLeft` (and mask pixel `maskOrigin + …`) with itself by
    /// `op`, per byte, in premultiplied alpha: `result = source·Fa + destination·Fb`, where the source
    /// is first multiplied by the mask's alpha, and Fa/Fb are Porter-Duff's factors for `op`
    /// (ADD saturates; SATURATE uses min(1, (1−αd)/αs)).
    ///
    /// Sources may be ARGB (premultiplied), xRGB (alpha 255, or `sourceOpaque`), a8 or a1 (colour 0,
    /// the byte as alpha). A mask contributes its alpha only: a8/a1 bytes, an ARGB pixel's alpha, 255
    /// for opaque formats. The destination may be 32-bit (an opaque surface, or `destinationOpaque`,
    /// reads alpha 255 and keeps A = 255) or a8/a1 (only alpha is stored).
    ///
    /// Not implemented: source or mask transforms (the caller must not pass commands that have
    /// them), filters (irrelevant without a transform), and component alpha (the mask's alpha is used
    /// for all channels).
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func composite(_ op: CompositeOperator, source: Surface, sourceOrigin: CanvasPoint, sourceRepeat: CompositeRepeat = .none,
                          mask: Surface? = nil, maskOrigin: CanvasPoint = CanvasPoint(x: 0, y: 0), maskRepeat: CompositeRepeat = .none,
                          to box: CanvasRect, clip: Clip = .none, sourceOpaque: Bool = false, destinationOpaque: Bool = false) -> CanvasRect {
        guard sourceOrigin.isWithinRasterLimits, maskOrigin.isWithinRasterLimits,
              let (area, _) = self.drawArea(box, clip: clip, mask: nil) else { return nothingDrawn }
        // Reading a surface while it is written would see the op's own output: read a copy.
        let stableSource = source === self ? self.copyOfRect(self.bounds) : source
        let stableMask = mask.map { $0 === self ? self.copyOfRect(self.bounds) : $0 }
        let sourceReader = CompositeReader(stableSource, origin: sourceOrigin, box: box, repeatMode: sourceRepeat, forceOpaque: sourceOpaque)
        let maskReader = stableMask.map { CompositeReader($0, origin: maskOrigin, box: box, repeatMode: maskRepeat, forceOpaque: false) }
        let destinationIsColour = self.format.storedBytesPerPixel == 4
        let destinationAlphaForce: UInt32 = destinationOpaque || !self.format.hasAlpha ? alphaBitsMask : 0
        forEachRun(in: area, mask: nil) { y, left, right in
            for x in left..<right {
                var s = sourceReader.premultiplied(x: x, y: y)
                if let maskReader {
                    let m = (maskReader.premultiplied(x: x, y: y) >> alphaShift) & 0xFF
                    if m != 255 { s = multiplyBytes(s, m) }
                }
                if destinationIsColour {
                    let d = self.pixels(UInt32.self, x: x, y: y)
                    d.pointee = porterDuff(op, s, d.pointee | destinationAlphaForce) | destinationAlphaForce
                } else {
                    let d = self.pixels(UInt8.self, x: x, y: y)
                    let result = porterDuff(op, s, UInt32(d.pointee) << alphaShift)
                    let alpha = UInt8(truncatingIfNeeded: result >> alphaShift)
                    // An a1 surface stores 0 or 255: any coverage of at least half counts as set.
                    d.pointee = self.format == .a1 ? (alpha >= 128 ? 255 : 0) : alpha
                }
            }
        }
        return area.bounds
    }
}

/// Reads premultiplied R,G,B,A words of a composite operand at destination coordinates.
struct CompositeReader {
    let surface: Surface
    let dx: Int
    let dy: Int
    let repeatMode: CompositeRepeat
    let forceAlpha: UInt32

    init(_ surface: Surface, origin: CanvasPoint, box: CanvasRect, repeatMode: CompositeRepeat, forceOpaque: Bool) {
        self.surface = surface
        self.dx = origin.x - box.left
        self.dy = origin.y - box.top
        self.repeatMode = repeatMode
        self.forceAlpha = forceOpaque || (surface.format.storedBytesPerPixel == 4 && !surface.format.hasAlpha) ? alphaBitsMask : 0
    }

    @inline(__always)
    private func wrap(_ value: Int, _ size: Int) -> Int? {
        switch self.repeatMode {
        case .none: return value >= 0 && value < size ? value : nil
        case .normal: return floorMod(value, size)
        case .pad: return min(max(value, 0), size - 1)
        case .reflect:
            let period = floorMod(value, 2 * size)
            return period < size ? period : 2 * size - 1 - period
        }
    }

    @inline(__always)
    func premultiplied(x: Int, y: Int) -> UInt32 {
        guard let sx = self.wrap(x + self.dx, self.surface.width), let sy = self.wrap(y + self.dy, self.surface.height) else { return 0 }
        if self.surface.format.storedBytesPerPixel == 4 {
            return self.surface.pixels(UInt32.self, x: sx, y: sy).pointee | self.forceAlpha
        }
        return UInt32(self.surface.pixels(UInt8.self, x: sx, y: sy).pointee) << alphaShift | self.forceAlpha
    }
}

/// `source·Fa + destination·Fb` per byte, with Porter-Duff's factors for `op`.
@inline(__always)
func porterDuff(_ op: CompositeOperator, _ s: UInt32, _ d: UInt32) -> UInt32 {
    let sa = (s >> alphaShift) & 0xFF, da = (d >> alphaShift) & 0xFF
    func mix(_ fa: UInt32, _ fb: UInt32) -> UInt32 { addBytesSaturating(multiplyBytes(s, fa), multiplyBytes(d, fb)) }
    switch op {
    case .clear: return 0
    case .source: return s
    case .destination: return d
    case .over: return over(s, d)
    case .overReverse: return mix(255 - da, 255)
    case .in: return multiplyBytes(s, da)
    case .inReverse: return multiplyBytes(d, sa)
    case .out: return multiplyBytes(s, 255 - da)
    case .outReverse: return multiplyBytes(d, 255 - sa)
    case .atop: return mix(da, 255 - sa)
    case .atopReverse: return mix(255 - da, sa)
    case .xor: return mix(255 - da, 255 - sa)
    case .add: return addBytesSaturating(s, d)
    case .saturate:
        // Fa = min(1, (1 − αd)/αs): the source is scaled down only when it would overflow the alpha.
        let room = 255 - da
        let fa: UInt32 = sa <= room ? 255 : (room * 255 + sa / 2) / sa
        return mix(fa, 255)
    }
}
