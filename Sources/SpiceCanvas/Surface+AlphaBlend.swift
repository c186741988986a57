// DRAW_TRANSPARENT and DRAW_ALPHA_BLEND (spice.proto; spice-protocol-notes §3.2): colour-keyed copies
// and Porter-Duff OVER with a global alpha, on 32-bit surfaces.

/// Each byte of `x` times `a` / 255, rounded as pixman's `MUL_UN8` rounds (exact for 0 and 255).
@inline(__always)
func multiplyBytes(_ x: UInt32, _ a: UInt32) -> UInt32 {
    var evens = (x & 0x00FF_00FF) &* a &+ 0x0080_0080
    evens = ((evens &+ ((evens >> 8) & 0x00FF_00FF)) >> 8) & 0x00FF_00FF
    var odds = ((x >> 8) & 0x00FF_00FF) &* a &+ 0x0080_0080
    odds = (odds &+ ((odds >> 8) & 0x00FF_00FF)) & 0xFF00_FF00
    return evens | odds
}

/// Each byte of `x` plus the same byte of `y`, saturating at 255.
@inline(__always)
func addBytesSaturating(_ x: UInt32, _ y: UInt32) -> UInt32 {
    var evens = (x & 0x00FF_00FF) &+ (y & 0x00FF_00FF)
    evens |= 0x0100_0100 &- ((evens >> 8) & 0x0001_0001)
    var odds = ((x >> 8) & 0x00FF_00FF) &+ ((y >> 8) & 0x00FF_00FF)
    odds |= 0x0100_0100 &- ((odds >> 8) & 0x0001_0001)
    return (evens & 0x00FF_00FF) | ((odds & 0x00FF_00FF) << 8)
}

/// Where the A byte sits in a stored 32-bit pixel loaded as a word.
let alphaShift = UInt32(alphaBitsMask.trailingZeroBitCount)

/// Porter-Duff OVER of a premultiplied source word onto a destination word.
@inline(__always)
func over(_ source: UInt32, _ destination: UInt32) -> UInt32 {
    addBytesSaturating(source, multiplyBytes(destination, 255 - ((source >> alphaShift) & 0xFF)))
}

extension Surface {
    /// DRAW_TRANSPARENT: copies the source pixels whose R, G, B differ from `transparentColor`'s (the
    /// key's alpha and the source's alpha are not compared), inside box ∩ clip. A size difference
    /// between box and source area resamples the source with `scaleMode` (spice-common: nearest).
    /// 32-bit surfaces only; on an opaque destination A stays 255.
    /// - Returns: the bounding rectangle of the area considered (empty when nothing was).
    @discardableResult
    public func transparent(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none,
                            transparentColor: Color, scaleMode: ScaleMode = .nearest) -> CanvasRect {
        guard self.format.storedBytesPerPixel == 4 else { return nothingDrawn }
        let key = transparentColor.rgbaWord.littleEndian & colourBitsMask
        let force = self.forcedBits(UInt32.self)
        return self.imageRuns(UInt32.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: nil, scaleMode: scaleMode) { y, left, right, s in
            let d = self.pixels(UInt32.self, x: left, y: y)
            for i in 0..<(right - left) {
                let value = s[i]
                if value & colourBitsMask != key { d[i] = value | force }
            }
        }
    }

    /// DRAW_ALPHA_BLEND: Porter-Duff OVER of the source area onto the box, inside box ∩ clip, with
    /// premultiplied-alpha arithmetic as pixman does it: each source byte is first multiplied by
    /// `alpha`/255, then `destination = source + destination × (255 − sourceAlpha)/255` per byte.
    ///
    /// With `sourceHasAlpha` false (or an opaque source format) the source alpha counts as 255, so
    /// only the global alpha blends. On an ARGB destination the alpha byte is composited too; on an
    /// opaque one it stays 255. `alpha` 0 draws nothing. 32-bit surfaces only. A size difference
    /// resamples the source with `scaleMode` (spice-common always uses nearest here).
    /// - Returns: the bounding rectangle of what was drawn (empty when nothing was).
    @discardableResult
    public func alphaBlend(from source: Surface, sourceArea: CanvasRect, to box: CanvasRect, clip: Clip = .none, alpha: UInt8,
                           sourceHasAlpha: Bool, scaleMode: ScaleMode = .nearest) -> CanvasRect {
        guard alpha != 0, self.format.storedBytesPerPixel == 4 else { return nothingDrawn }
        let force = self.forcedBits(UInt32.self)
        let sourceAlphaForce = sourceHasAlpha && source.format.hasAlpha ? 0 : alphaBitsMask
        let global = UInt32(alpha)
        return self.imageRuns(UInt32.self, source: source, sourceArea: sourceArea, box: box, clip: clip, mask: nil, scaleMode: scaleMode) { y, left, right, s in
            let d = self.pixels(UInt32.self, x: left, y: y)
            let n = right - left
            if global == 255 {
                for i in 0..<n { d[i] = over(s[i] | sourceAlphaForce, d[i]) | force }
            } else {
                for i in 0..<n { d[i] = over(multiplyBytes(s[i] | sourceAlphaForce, global), d[i]) | force }
            }
        }
    }
}
