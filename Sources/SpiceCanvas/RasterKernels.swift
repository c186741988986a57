// The row loops every raster operation ends in: two-operand (rop2) and three-operand (rop3) bitwise
// combines over rows of stored pixels, written on unsafe pointers so they vectorise.

/// A stored pixel: a 32-bit R,G,B,A word (colour surfaces) or one alpha byte (a8/a1 surfaces).
protocol CanvasPixel: FixedWidthInteger, UnsignedInteger {
    /// The stored form of a brush colour on a surface of this pixel size.
    static func stored(_ color: Color) -> Self
    /// The bits to force on after a bitwise op so an opaque surface keeps A = 255.
    static var opaqueBits: Self { get }
    /// Each byte of four neighbouring pixels interpolated with 8-bit weights (`fx`, `fy` in 0..<256).
    static func bilinear(_ topLeft: Self, _ topRight: Self, _ bottomLeft: Self, _ bottomRight: Self, fx: Int, fy: Int) -> Self
}

extension UInt32: CanvasPixel {
    @inline(__always) static func stored(_ color: Color) -> UInt32 { color.rgbaWord.littleEndian }
    @inline(__always) static var opaqueBits: UInt32 { alphaBitsMask }

    /// The four bytes are spread into 16-bit lanes of a 64-bit word so one multiply weighs all of them.
    @inline(__always)
    static func bilinear(_ topLeft: UInt32, _ topRight: UInt32, _ bottomLeft: UInt32, _ bottomRight: UInt32, fx: Int, fy: Int) -> UInt32 {
        @inline(__always) func spread(_ v: UInt32) -> UInt64 {
            let v = UInt64(v)
            return (v & 0xFF) | (v & 0xFF00) << 8 | (v & 0xFF_0000) << 16 | (v & 0xFF00_0000) << 24
        }
        let lanes: UInt64 = 0x00FF_00FF_00FF_00FF
        let wx = UInt64(fx), wy = UInt64(fy)
        // Each lane stays below 65536: at most 255 × 256, plus the rounding half.
        let upper = ((spread(topLeft) &* (256 - wx) &+ spread(topRight) &* wx &+ 0x0080_0080_0080_0080) >> 8) & lanes
        let lower = ((spread(bottomLeft) &* (256 - wx) &+ spread(bottomRight) &* wx &+ 0x0080_0080_0080_0080) >> 8) & lanes
        let v = ((upper &* (256 - wy) &+ lower &* wy &+ 0x0080_0080_0080_0080) >> 8) & lanes
        return UInt32(truncatingIfNeeded: (v & 0xFF) | (v >> 8) & 0xFF00 | (v >> 16) & 0xFF_0000 | (v >> 24) & 0xFF00_0000)
    }
}

extension UInt8: CanvasPixel {
    /// An alpha-only surface stores the colour's alpha.
    @inline(__always) static func stored(_ color: Color) -> UInt8 { color.a }
    @inline(__always) static var opaqueBits: UInt8 { 0 }

    @inline(__always)
    static func bilinear(_ topLeft: UInt8, _ topRight: UInt8, _ bottomLeft: UInt8, _ bottomRight: UInt8, fx: Int, fy: Int) -> UInt8 {
        let upper = (Int(topLeft) * (256 - fx) + Int(topRight) * fx + 128) >> 8
        let lower = (Int(bottomLeft) * (256 - fx) + Int(bottomRight) * fx + 128) >> 8
        return UInt8(truncatingIfNeeded: (upper * (256 - fy) + lower * fy + 128) >> 8)
    }
}

extension Surface {
    /// Row `y` from column `x` as stored pixels.
    @inline(__always)
    func pixels<P: CanvasPixel>(_ type: P.Type, x: Int, y: Int) -> UnsafeMutablePointer<P> {
        self.row(y).assumingMemoryBound(to: P.self) + x
    }

    /// What to OR into every pixel a bitwise op writes: A = 255 on opaque 32-bit surfaces, else nothing.
    func forcedBits<P: CanvasPixel>(_ type: P.Type) -> P {
        self.format.hasAlpha ? 0 : P.opaqueBits
    }
}

/// A two-operand raster op as a truth table: bit `(s << 1) | d` is the result for source bit `s` and
/// destination bit `d`. 0xC is "source", 0xA "destination", 0x6 XOR, and so on.
struct Rop2: Hashable, Sendable {
    let table: UInt8

    init(table: UInt8) { self.table = table & 0xF }

    static let clear = Rop2(table: 0x0)
    static let nor = Rop2(table: 0x1)
    static let andInverted = Rop2(table: 0x2)
    static let copyInverted = Rop2(table: 0x3)
    static let andReverse = Rop2(table: 0x4)
    static let invert = Rop2(table: 0x5)
    static let xor = Rop2(table: 0x6)
    static let nand = Rop2(table: 0x7)
    static let and = Rop2(table: 0x8)
    static let equiv = Rop2(table: 0x9)
    static let noop = Rop2(table: 0xA)
    static let orInverted = Rop2(table: 0xB)
    static let copy = Rop2(table: 0xC)
    static let orReverse = Rop2(table: 0xD)
    static let or = Rop2(table: 0xE)
    static let set = Rop2(table: 0xF)

    /// Whether the result depends on the source operand.
    var readsSource: Bool { (self.table >> 2) != (self.table & 0x3) }
}

extension Ropd {
    /// The combine this descriptor asks for, with `sourceInversion` the flag that inverts the source
    /// operand and `destinationInversion` the one that inverts the destination operand (the other
    /// operand flags are ignored, as spice-common ignores them).
    func rop2(sourceInversion: Ropd, destinationInversion: Ropd) -> Rop2 {
        let op: (UInt8, UInt8) -> UInt8
        if self.contains(.opPut) {
            op = { s, _ in s }
        } else if self.contains(.opOr) {
            op = { s, d in s | d }
        } else if self.contains(.opAnd) {
            op = { s, d in s & d }
        } else if self.contains(.opXor) {
            op = { s, d in s ^ d }
        } else if self.contains(.opBlackness) {
            return .clear
        } else if self.contains(.opWhiteness) {
            return .set
        } else if self.contains(.opInvers) {
            return .invert
        } else {
            op = { s, _ in s }
        }
        let invertSource: UInt8 = self.contains(sourceInversion) ? 1 : 0
        let invertDestination: UInt8 = self.contains(destinationInversion) ? 1 : 0
        let invertResult: UInt8 = self.contains(.inversRes) ? 1 : 0
        var table: UInt8 = 0
        for s: UInt8 in 0...1 {
            for d: UInt8 in 0...1 where (op(s ^ invertSource, d ^ invertDestination) ^ invertResult) & 1 != 0 {
                table |= 1 << (s << 1 | d)
            }
        }
        return Rop2(table: table)
    }
}

// MARK: - Two-operand rows

@inline(__always)
private func combineRow<P: CanvasPixel>(_ d: UnsafeMutablePointer<P>, _ s: UnsafePointer<P>, _ n: Int, _ force: P,
                                        _ f: (P, P) -> P) {
    for i in 0..<n { d[i] = f(s[i], d[i]) | force }
}

@inline(__always)
private func combineRow<P: CanvasPixel>(_ d: UnsafeMutablePointer<P>, _ s: P, _ n: Int, _ force: P, _ f: (P, P) -> P) {
    for i in 0..<n { d[i] = f(s, d[i]) | force }
}

/// `d[i] = op(s[i], d[i]) | force` for `n` pixels. `d` and `s` may be the same row only for `.copy`.
func rop2Row<P: CanvasPixel>(_ op: Rop2, _ d: UnsafeMutablePointer<P>, _ s: UnsafePointer<P>, _ n: Int, _ force: P) {
    guard n > 0 else { return }
    switch op.table {
    case 0x0: d.update(repeating: force, count: n)
    case 0x1: combineRow(d, s, n, force) { s, d in ~(s | d) }
    case 0x2: combineRow(d, s, n, force) { s, d in ~s & d }
    case 0x3: combineRow(d, s, n, force) { s, _ in ~s }
    case 0x4: combineRow(d, s, n, force) { s, d in s & ~d }
    case 0x5: combineRow(d, s, n, force) { _, d in ~d }
    case 0x6: combineRow(d, s, n, force) { s, d in s ^ d }
    case 0x7: combineRow(d, s, n, force) { s, d in ~(s & d) }
    case 0x8: combineRow(d, s, n, force) { s, d in s & d }
    case 0x9: combineRow(d, s, n, force) { s, d in ~(s ^ d) }
    case 0xA: if force != 0 { combineRow(d, s, n, force) { _, d in d } }
    case 0xB: combineRow(d, s, n, force) { s, d in ~s | d }
    case 0xC:
        if force == 0 {
            // The fast path of every COPY: a row memmove.
            d.update(from: s, count: n)
        } else {
            combineRow(d, s, n, force) { s, _ in s }
        }
    case 0xD: combineRow(d, s, n, force) { s, d in s | ~d }
    case 0xE: combineRow(d, s, n, force) { s, d in s | d }
    default: d.update(repeating: ~0, count: n)
    }
}

/// `d[i] = op(value, d[i]) | force` for `n` pixels.
func rop2Row<P: CanvasPixel>(_ op: Rop2, _ d: UnsafeMutablePointer<P>, value: P, _ n: Int, _ force: P) {
    guard n > 0 else { return }
    switch op.table {
    case 0x0: d.update(repeating: force, count: n)
    case 0x3: d.update(repeating: ~value | force, count: n)
    case 0xA: if force != 0 { combineRow(d, value, n, force) { _, d in d } }
    case 0xC: d.update(repeating: value | force, count: n)
    case 0xF: d.update(repeating: ~0, count: n)
    case 0x1: combineRow(d, value, n, force) { s, d in ~(s | d) }
    case 0x2: combineRow(d, value, n, force) { s, d in ~s & d }
    case 0x4: combineRow(d, value, n, force) { s, d in s & ~d }
    case 0x5: combineRow(d, value, n, force) { _, d in ~d }
    case 0x6: combineRow(d, value, n, force) { s, d in s ^ d }
    case 0x7: combineRow(d, value, n, force) { s, d in ~(s & d) }
    case 0x8: combineRow(d, value, n, force) { s, d in s & d }
    case 0x9: combineRow(d, value, n, force) { s, d in ~(s ^ d) }
    case 0xB: combineRow(d, value, n, force) { s, d in ~s | d }
    case 0xD: combineRow(d, value, n, force) { s, d in s | ~d }
    default: combineRow(d, value, n, force) { s, d in s | d }
    }
}

// MARK: - Three-operand rows

/// A ternary raster op (Windows ROP3 code): bit `(p << 2) | (s << 1) | d` of `code` is the result for
/// pattern bit `p`, source bit `s` and destination bit `d`.
struct Rop3Function {
    let code: UInt8
    /// All-ones where the code's truth table has a 1, per minterm.
    private let m0, m1, m2, m3, m4, m5, m6, m7: UInt32

    init(code: UInt8) {
        self.code = code
        func minterm(_ bit: UInt8) -> UInt32 { (code >> bit) & 1 == 0 ? 0 : ~0 }
        (self.m0, self.m1, self.m2, self.m3) = (minterm(0), minterm(1), minterm(2), minterm(3))
        (self.m4, self.m5, self.m6, self.m7) = (minterm(4), minterm(5), minterm(6), minterm(7))
    }

    /// Whether the result does not depend on the pattern (the high nibble repeats the low one).
    var ignoresPattern: Bool { (self.code >> 4) == (self.code & 0xF) }
    /// Whether the result does not depend on the source.
    var ignoresSource: Bool { ((self.code >> 2) & 0x33) == (self.code & 0x33) }

    /// The two-operand op over (source, destination) when the pattern does not matter.
    var sourceRop2: Rop2 { Rop2(table: self.code & 0xF) }
    /// The two-operand op over (pattern, destination) when the source does not matter.
    var patternRop2: Rop2 { Rop2(table: (self.code & 0x3) | ((self.code >> 2) & 0xC)) }

    /// The result for whole words of pattern, source and destination: the OR of the code's minterms.
    @inline(__always)
    func apply<P: CanvasPixel>(_ p: P, _ s: P, _ d: P) -> P {
        let np = ~p, ns = ~s, nd = ~d
        let lowP = (P(truncatingIfNeeded: self.m0) & ns & nd) | (P(truncatingIfNeeded: self.m1) & ns & d)
            | (P(truncatingIfNeeded: self.m2) & s & nd) | (P(truncatingIfNeeded: self.m3) & s & d)
        let highP = (P(truncatingIfNeeded: self.m4) & ns & nd) | (P(truncatingIfNeeded: self.m5) & ns & d)
            | (P(truncatingIfNeeded: self.m6) & s & nd) | (P(truncatingIfNeeded: self.m7) & s & d)
        return (np & lowP) | (p & highP)
    }
}

/// `d[i] = rop3(p[i], s[i], d[i]) | force` for `n` pixels.
func rop3Row<P: CanvasPixel>(_ f: Rop3Function, _ d: UnsafeMutablePointer<P>, _ s: UnsafePointer<P>,
                             pattern p: UnsafePointer<P>, _ n: Int, _ force: P) {
    switch f.code {
    case 0xB8: for i in 0..<n { d[i] = (((p[i] ^ d[i]) & s[i]) ^ p[i]) | force }   // PSDPxax
    case 0xE2: for i in 0..<n { d[i] = (((p[i] ^ d[i]) & s[i]) ^ d[i]) | force }   // DSPDxax
    case 0xC0: for i in 0..<n { d[i] = (p[i] & s[i]) | force }                     // MERGECOPY
    case 0xFB: for i in 0..<n { d[i] = (p[i] | ~s[i] | d[i]) | force }             // PATPAINT
    default: for i in 0..<n { d[i] = f.apply(p[i], s[i], d[i]) | force }
    }
}

/// `d[i] = rop3(pattern, s[i], d[i]) | force` for `n` pixels with one pattern value.
func rop3Row<P: CanvasPixel>(_ f: Rop3Function, _ d: UnsafeMutablePointer<P>, _ s: UnsafePointer<P>,
                             pattern p: P, _ n: Int, _ force: P) {
    switch f.code {
    case 0xB8: for i in 0..<n { d[i] = (((p ^ d[i]) & s[i]) ^ p) | force }
    case 0xE2: for i in 0..<n { d[i] = (((p ^ d[i]) & s[i]) ^ d[i]) | force }
    case 0xC0: for i in 0..<n { d[i] = (p & s[i]) | force }
    case 0xFB: for i in 0..<n { d[i] = (p | ~s[i] | d[i]) | force }
    default: for i in 0..<n { d[i] = f.apply(p, s[i], d[i]) | force }
    }
}
