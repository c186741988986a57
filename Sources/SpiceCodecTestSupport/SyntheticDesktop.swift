import Foundation

/// An image in the canvas layout: one `UInt32` per pixel whose little-endian bytes are R, G, B, A
/// (`R | G << 8 | B << 16 | A << 24`), rows top first, no padding.
public struct CanvasImage: Sendable {
    public let width: Int
    public let height: Int
    public var words: [UInt32]

    public init(width: Int, height: Int, words: [UInt32]) {
        precondition(words.count == width * height, "an image of \(width)x\(height) needs \(width * height) words")
        self.width = width
        self.height = height
        self.words = words
    }

    /// The `width` x `height` rectangle at (`x`, `y`).
    public func crop(x: Int, y: Int, width: Int, height: Int) -> CanvasImage {
        precondition(x >= 0 && y >= 0 && x + width <= self.width && y + height <= self.height, "crop outside the image")
        var out: [UInt32] = []
        out.reserveCapacity(width * height)
        for row in y..<(y + height) {
            out += self.words[(row * self.width + x)..<(row * self.width + x + width)]
        }
        return CanvasImage(width: width, height: height, words: out)
    }

    /// The same pixels with alpha from `alpha(x, y)`.
    public func withAlpha(_ alpha: (Int, Int) -> UInt8) -> CanvasImage {
        var out = self
        for y in 0..<self.height {
            for x in 0..<self.width {
                let i = y * self.width + x
                out.words[i] = self.words[i] & 0x00FF_FFFF | UInt32(alpha(x, y)) << 24
            }
        }
        return out
    }
}

/// A deterministic synthetic 1920×1080 desktop, the benchmark's input: a gradient wallpaper, a text editor
/// window (anti-aliased pseudo-glyphs in three colours, a line-number gutter), a photo viewer with a
/// 760×480 photo-like region (smooth plasma with grain), a file list (alternating rows, flat icons) and a
/// taskbar (flat icons, rounded buttons). No fonts or files are read: the same bytes come out on every
/// machine, so encoded sizes and timings are comparable between runs.
public enum SyntheticDesktop {
    public static let width = 1920
    public static let height = 1080
    /// How far the second frame (for GLZ references into an earlier image) is scrolled: one text line.
    public static let scrollRows = 13

    /// Where the named content sits, for cropping tiles.
    public enum Region: String, Sendable, CaseIterable {
        /// Title bar and editor text.
        case text
        /// Inside the photo-like region.
        case photo

        /// The top-left corner of a `size` x `size` tile of this content.
        public func tileOrigin(size: Int) -> (x: Int, y: Int) {
            switch self {
            case .text: size <= 64 ? (120, 110) : (40, 40)
            case .photo: size <= 64 ? (1300, 300) : (1200, 200)
            }
        }
    }

    /// The desktop, `height + extraRows` rows tall: rows past 1080 continue the picture downward, so that
    /// the frame at row offset `scrollRows` is the desktop scrolled by one text line.
    public static func render(extraRows: Int = scrollRows) -> CanvasImage {
        let w = width, h = height + extraRows
        var px = [UInt32](repeating: 0, count: w * h)
        // Wallpaper: a slow diagonal blue gradient (short runs of equal pixels, as in a real one).
        for y in 0..<h {
            for x in 0..<w {
                let r = 16 + y * 40 / 1080
                let g = 48 + x * 60 / 1920 + y * 20 / 1080
                let b = 120 + (x + y) * 80 / 3000
                px[y * w + x] = rgb(r, g, b)
            }
        }
        func fill(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: UInt32) {
            for y in max(0, y0)..<min(h, y1) { for x in max(0, x0)..<min(w, x1) { px[y * w + x] = c } }
        }
        func glyph(_ code: Int, _ x0: Int, _ y0: Int, fg: UInt32, bg: UInt32) {
            let mask = glyphMasks[code % glyphMasks.count]
            for r in 0..<glyphRows {
                let y = y0 + r
                guard y >= 0, y < h else { continue }
                for c in 0..<glyphColumns {
                    let cov = Int(mask[r * glyphColumns + c])
                    guard cov > 0, x0 + c < w else { continue }
                    px[y * w + x0 + c] = blend(fg, bg, cov)
                }
            }
        }
        func text(_ seed: Int, _ x0: Int, _ y0: Int, chars: Int, fg: UInt32, bg: UInt32) {
            var x = x0
            for i in 0..<chars {
                let v = hash(seed, i)
                if v % 6 == 0 { x += 8; continue }  // a space between words
                glyph(Int(v >> 8), x, y0, fg: fg, bg: bg)
                x += 8
            }
        }
        func window(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, title: Int) {
            fill(x0 - 1, y0 - 1, x1 + 1, y1 + 1, rgb(90, 90, 96))
            fill(x0, y0, x1, y0 + 30, rgb(60, 63, 65))
            text(title, x0 + 12, y0 + 9, chars: 18, fg: rgb(230, 230, 230), bg: rgb(60, 63, 65))
            for (i, c) in [rgb(236, 95, 87), rgb(245, 190, 80), rgb(98, 197, 84)].enumerated() {
                fill(x1 - 70 + i * 22, y0 + 9, x1 - 58 + i * 22, y0 + 21, c)
            }
        }

        // The text editor: a gutter with line numbers, then lines of code in three colours.
        let ex0 = 40, ey0 = 40, ex1 = 1020, ey1 = 840
        window(ex0, ey0, ex1, ey1, title: 7)
        fill(ex0, ey0 + 30, ex0 + 48, ey1, rgb(240, 240, 240))
        fill(ex0 + 48, ey0 + 30, ex1, ey1, rgb(255, 255, 255))
        var line = 0
        var y = ey0 + 36
        while y + glyphRows <= ey1 + extraRows && y + glyphRows <= h {
            text(1000 + line, ex0 + 8, y, chars: 4, fg: rgb(150, 150, 150), bg: rgb(240, 240, 240))
            let v = hash(line, 99)
            if v % 7 != 0 {
                let indent = Int(v % 4) * 32
                let chars = 10 + Int(v >> 3 % 60)
                let kind = v >> 12 % 5
                let fg = kind == 0 ? rgb(10, 127, 46) : kind == 1 ? rgb(0, 51, 179) : rgb(32, 32, 32)
                text(line * 131, ex0 + 60 + indent, y, chars: min(chars, (ex1 - ex0 - 70 - indent) / 8), fg: fg, bg: rgb(255, 255, 255))
            }
            line += 1
            y += scrollRows
        }

        // The photo viewer: a plasma with grain, noisier than a real photograph (a worst case for LZ-family codecs).
        let px0 = 1060, py0 = 120, px1 = 1860, py1 = 680
        window(px0, py0, px1, py1, title: 3)
        fill(px0, py0 + 30, px1, py1, rgb(48, 48, 48))
        for y in (py0 + 48)..<(py0 + 48 + 480) {
            for x in (px0 + 20)..<(px0 + 20 + 760) {
                let fx = Double(x), fy = Double(y)
                let v = sin(fx * 0.031) + sin(fy * 0.023) + sin((fx + fy) * 0.017) + sin(sqrt(fx * fx * 0.3 + fy * fy) * 0.045)
                let n = Int(hash(x, y) % 17) - 8
                let r = 128 + Int(v * 30) + n, g = 110 + Int(sin(v * 1.7) * 60) + n, b = 90 + Int(cos(v) * 50) - n
                px[y * w + x] = rgb(r, g, b)
            }
        }

        // The file list: alternating rows, a flat icon and a name on each.
        let fx0 = 1060, fy0 = 720, fx1 = 1860, fy1 = 1000
        window(fx0, fy0, fx1, fy1, title: 11)
        for row in 0..<12 {
            let top = fy0 + 30 + row * 20
            let bg = row % 2 == 0 ? rgb(255, 255, 255) : rgb(243, 243, 243)
            fill(fx0, top, fx1, min(top + 20, fy1), bg)
            let v = hash(row, 7)
            fill(fx0 + 8, top + 3, fx0 + 22, top + 17, rgb(Int(v & 0xFF), Int(v >> 8 & 0xFF), 200))
            if top + 4 + glyphRows <= fy1 { text(row * 17 + 5, fx0 + 30, top + 4, chars: 12 + Int(v % 20), fg: rgb(30, 30, 30), bg: bg) }
        }

        // The taskbar: flat, with icons and two rounded buttons.
        fill(0, 1036, w, h, rgb(32, 36, 40))
        for i in 0..<12 {
            let v = hash(i, 3)
            fill(10 + i * 40, 1044, 38 + i * 40, 1072, rgb(Int(v & 0xFF), Int(v >> 8 & 0xFF), Int(v >> 16 & 0xFF)))
        }
        for i in 0..<2 {
            let x0 = 560 + i * 180
            fill(x0 + 2, 1044, x0 + 160, 1072, rgb(250, 250, 250))
            fill(x0, 1046, x0 + 162, 1070, rgb(250, 250, 250))
            text(40 + i, x0 + 14, 1052, chars: 16, fg: rgb(20, 20, 20), bg: rgb(250, 250, 250))
        }
        return CanvasImage(width: w, height: h, words: px)
    }

    /// A window-shadow-like alpha plane for a `width` x `height` image: opaque inside a rounded rectangle,
    /// fading to transparent over its outer 8 pixels (exactly reproducible, for JPEG_ALPHA).
    public static func alpha(x: Int, y: Int, width: Int, height: Int) -> UInt8 {
        let radius = min(12, min(width, height) / 4)
        let dx = x < radius ? radius - x : x >= width - radius ? x - (width - radius - 1) : 0
        let dy = y < radius ? radius - y : y >= height - radius ? y - (height - radius - 1) : 0
        let corner = dx > 0 && dy > 0 ? radius - Int(Double(dx * dx + dy * dy).squareRoot()) : min(min(x, width - 1 - x), min(y, height - 1 - y))
        return UInt8(max(0, min(255, corner * 32)))
    }

    // MARK: - Helpers

    static let glyphColumns = 7
    static let glyphRows = 11

    /// 61 pseudo-glyphs: a few strokes each, with anti-aliased edges (coverage 0...255).
    static let glyphMasks: [[UInt8]] = (0..<61).map { code in
        var m = [Int](repeating: 0, count: glyphColumns * glyphRows)
        func plot(_ c: Int, _ r: Int, _ v: Int) {
            guard c >= 0, c < glyphColumns, r >= 0, r < glyphRows else { return }
            m[r * glyphColumns + c] = max(m[r * glyphColumns + c], v)
        }
        let v = hash(code, 1234)
        let top = v & 1 == 0 ? 2 : 4
        for s in 0..<3 {
            switch (v >> (2 + s * 3)) % 6 {
            case 0: for r in top..<10 { plot(1, r, 255); plot(2, r, 90) }
            case 1: for r in top..<10 { plot(5, r, 255); plot(4, r, 90) }
            case 2: for c in 1..<6 { plot(c, 9, 255); plot(c, 8, 70) }
            case 3: for c in 1..<6 { plot(c, top + 2, 255); plot(c, top + 3, 60) }
            case 4: for r in top..<10 { plot(1 + (r - top) * 5 / 8, r, 230); plot(2 + (r - top) * 5 / 8, r, 80) }
            default: for c in 2..<5 { plot(c, top, 200) }; plot(3, 6, 255); plot(3, 7, 255)
            }
        }
        return m.map { UInt8($0) }
    }

    @inline(__always)
    static func rgb(_ r: Int, _ g: Int, _ b: Int) -> UInt32 {
        UInt32(max(0, min(255, r))) | UInt32(max(0, min(255, g))) << 8 | UInt32(max(0, min(255, b))) << 16 | 0xFF00_0000
    }

    /// `fg` over `bg` with coverage `cov` of 255.
    static func blend(_ fg: UInt32, _ bg: UInt32, _ cov: Int) -> UInt32 {
        var out: UInt32 = 0xFF00_0000
        for shift in [0, 8, 16] as [UInt32] {
            let f = Int(fg >> shift & 0xFF), b = Int(bg >> shift & 0xFF)
            out |= UInt32((f * cov + b * (255 - cov) + 127) / 255) << shift
        }
        return out
    }

    static func hash(_ a: Int, _ b: Int) -> UInt32 {
        var h = UInt32(truncatingIfNeeded: a) &* 0x9E37_79B1 ^ UInt32(truncatingIfNeeded: b) &* 0x85EB_CA77
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        h ^= h >> 12
        h = h &* 0x297A_2D39
        return h ^ h >> 15
    }
}
