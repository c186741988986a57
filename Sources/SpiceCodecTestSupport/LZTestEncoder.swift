import SpiceCanvas
import SpiceCodecs

/// A test-only LZ and GLZ encoder, written from the format as the decoders read it (see `LZ.swift` and
/// `GLZ.swift`). It only has to produce valid streams that exercise every kind of token, not small ones:
/// a greedy matcher over a few fixed distances, a hash of three units, and (for GLZ) earlier images.

/// What one unit of a stream is, and how it is written.
public enum TestUnitKind {
    /// Three bytes B,G,R; the key is `b | g << 8 | r << 16`. RGB24, RGB32 and RGBA's first pass.
    case rgb24
    /// A big-endian x555 word; the key is the word.
    case rgb16
    /// One byte: alpha, A8, palette data.
    case byte

    /// Added by the decoder to a reference's length code.
    var lengthBias: Int {
        switch self {
        case .rgb24: 0
        case .rgb16: 1
        case .byte: 2
        }
    }

    func append(_ key: UInt32, to out: inout [UInt8]) {
        switch self {
        case .rgb24: out += [UInt8(key & 0xFF), UInt8(key >> 8 & 0xFF), UInt8(key >> 16 & 0xFF)]
        case .rgb16: out += [UInt8(key >> 8 & 0xFF), UInt8(key & 0xFF)]
        case .byte: out.append(UInt8(key & 0xFF))
        }
    }
}

/// One token of a stream.
public enum TestToken: Equatable {
    /// Literal units `range` of the keys (at most 32).
    case literals(Range<Int>)
    /// Copy `length` units from `distance` units back in this image.
    case back(length: Int, distance: Int)
    /// Copy `length` units from unit `offset` of the image `image` ids back (GLZ only).
    case cross(length: Int, image: Int, offset: Int)
}

/// An earlier image a GLZ image may copy from.
public struct TestPreviousImage {
    public let distance: Int
    public let keys: [UInt32]

    public init(distance: Int, keys: [UInt32]) {
        self.distance = distance
        self.keys = keys
    }
}

/// Splits `keys` into tokens greedily. (`crossShifts`, added for the benchmark: the offsets from the same
/// position at which earlier images are tried first, e.g. one scroll step.)
public func testTokenize(_ keys: [UInt32], kind: TestUnitKind, maxBack: Int, maxLength: Int = 1 << 20,
                  distances: [Int] = [1, 2, 3], hashing: Bool = true, previous: [TestPreviousImage] = [],
                  maxOffset: Int = 1 << 25, crossShifts: [Int] = [0]) -> [TestToken] {
    let n = keys.count
    let minLength = kind.lengthBias + 1
    var tokens: [TestToken] = []
    var literalStart = 0
    func flushLiterals(upTo end: Int) {
        var start = literalStart
        while start < end {
            let stop = min(end, start + 32)
            tokens.append(.literals(start..<stop))
            start = stop
        }
    }
    func hash3(_ k: [UInt32], _ i: Int) -> UInt64 {
        UInt64(k[i]) &* 0x9E37_79B1 ^ UInt64(k[i + 1]) &* 0x85EB_CA77 &+ UInt64(k[i + 2]) << 40
    }
    var table: [UInt64: Int] = [:]
    let previousTables: [[UInt64: Int]] = previous.map { image in
        var t: [UInt64: Int] = [:]
        if image.keys.count >= 3 {
            for i in stride(from: image.keys.count - 3, through: 0, by: -1) { t[hash3(image.keys, i)] = i }
        }
        return t
    }
    var pos = 0
    while pos < n {
        var best: TestToken?
        var bestLength = 0
        func considerBack(_ d: Int) {
            guard d >= 1, d <= pos, d <= maxBack else { return }
            var l = 0
            while pos + l < n, l < maxLength, keys[pos + l] == keys[pos + l - d] { l += 1 }
            if l > bestLength { bestLength = l; best = .back(length: l, distance: d) }
        }
        func considerCross(_ image: TestPreviousImage, _ o: Int) {
            guard o >= 0, o < image.keys.count, o < maxOffset else { return }
            var l = 0
            while pos + l < n, o + l < image.keys.count, l < maxLength, keys[pos + l] == image.keys[o + l] { l += 1 }
            if l > bestLength { bestLength = l; best = .cross(length: l, image: image.distance, offset: o) }
        }
        for d in distances { considerBack(d) }
        if hashing, pos + 2 < n {
            let h = hash3(keys, pos)
            if let p = table[h] { considerBack(pos - p) }
            table[h] = pos
        }
        for (i, image) in previous.enumerated() {
            for shift in crossShifts { considerCross(image, pos + shift) }
            if pos + 2 < n, let o = previousTables[i][hash3(keys, pos)] { considerCross(image, o) }
        }
        if let best, bestLength >= minLength {
            flushLiterals(upTo: pos)
            tokens.append(best)
            pos += bestLength
            literalStart = pos
        } else {
            pos += 1
        }
    }
    flushLiterals(upTo: n)
    return tokens
}

/// Appends the bytes of a reference's length: the control byte's top three bits, then 255-continued bytes.
/// Returns the control byte's top bits.
private func lengthCode(_ length: Int, kind: TestUnitKind, extension out: inout [UInt8]) -> Int {
    let v = length - kind.lengthBias
    precondition(v >= 1, "reference too short for its kind")
    if v < 7 { return v }
    var rest = v - 7
    while rest >= 255 {
        out.append(255)
        rest -= 255
    }
    out.append(UInt8(rest))
    return 7
}

/// Big-endian words.
public func testAppendBE32(_ value: UInt32, to out: inout [UInt8]) {
    out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

/// The 28-byte LZ header.
public func testLZHeader(type: LZ.ImageType, width: Int, height: Int, stride: Int? = nil, topDown: Bool,
                  magic: UInt32 = LZ.magic, version: UInt32 = LZ.version) -> [UInt8] {
    var out: [UInt8] = []
    testAppendBE32(magic, to: &out)
    testAppendBE32(version, to: &out)
    testAppendBE32(type.rawValue, to: &out)
    testAppendBE32(UInt32(width), to: &out)
    testAppendBE32(UInt32(height), to: &out)
    testAppendBE32(UInt32(stride ?? type.stride(width: width)), to: &out)
    testAppendBE32(topDown ? 1 : 0, to: &out)
    return out
}

/// The 33-byte GLZ header.
public func testGLZHeader(type: LZ.ImageType, width: Int, height: Int, stride: Int? = nil, topDown: Bool,
                   id: UInt64, winHeadDist: UInt32, magic: UInt32 = LZ.magic, version: UInt32 = LZ.version) -> [UInt8] {
    var out: [UInt8] = []
    testAppendBE32(magic, to: &out)
    testAppendBE32(version, to: &out)
    out.append(UInt8(type.rawValue & 0x0F) | (topDown ? 0x10 : 0))
    testAppendBE32(UInt32(width), to: &out)
    testAppendBE32(UInt32(height), to: &out)
    testAppendBE32(UInt32(stride ?? type.stride(width: width)), to: &out)
    testAppendBE32(UInt32(id >> 32), to: &out)
    testAppendBE32(UInt32(id & 0xFFFF_FFFF), to: &out)
    testAppendBE32(winHeadDist, to: &out)
    return out
}

/// Writes `tokens` as an LZ pass.
public func testLZBody(_ tokens: [TestToken], keys: [UInt32], kind: TestUnitKind) -> [UInt8] {
    var out: [UInt8] = []
    for token in tokens {
        switch token {
        case .literals(let range):
            out.append(UInt8(range.count - 1))
            for i in range { kind.append(keys[i], to: &out) }
        case .back(let length, let distance):
            var tail: [UInt8] = []
            let top = lengthCode(length, kind: kind, extension: &tail)
            let o = distance - 1
            if o < 8191 {
                out.append(UInt8(top << 5 | o >> 8))
                out += tail
                out.append(UInt8(o & 0xFF))
            } else {
                let far = o - 8191
                precondition(far <= 0xFFFF, "lz distance too far")
                out.append(UInt8(top << 5 | 31))
                out += tail
                out += [255, UInt8(far >> 8), UInt8(far & 0xFF)]
            }
        case .cross:
            preconditionFailure("lz has no references to other images")
        }
    }
    return out
}

/// How a GLZ reference's pixel offset is written: the shortest form that fits, or a longer one on purpose.
public enum TestGLZForm {
    case shortest, long, veryLong
}

/// Writes `tokens` as a GLZ pass. For the palette types the tokens count bytes of palette data.
public func testGLZBody(_ tokens: [TestToken], keys: [UInt32], kind: TestUnitKind, form: TestGLZForm = .shortest) -> [UInt8] {
    var out: [UInt8] = []
    func reference(length: Int, image: Int, value o: Int) {
        var tail: [UInt8] = []
        let top = lengthCode(length, kind: kind, extension: &tail)
        if o < 1 << 12 && form == .shortest {
            var extra: [UInt8] = []
            var rest = image >> 6
            while rest > 0 {
                extra.append(UInt8(rest & 0xFF))
                rest >>= 8
            }
            precondition(extra.count <= 3, "glz image distance too far")
            out.append(UInt8(top << 5 | o & 0x0F))
            out += tail
            out.append(UInt8(o >> 4 & 0xFF))
            out.append(UInt8(extra.count << 6 | image & 0x3F))
            out += extra
        } else {
            precondition(o < 1 << 25, "glz pixel offset too large")
            let veryLong = o >= 1 << 17 || form == .veryLong
            var extra: [UInt8] = []
            var rest = image
            while rest > 0 {
                extra.append(UInt8(rest & 0xFF))
                rest >>= 8
            }
            precondition(extra.count <= 3, "glz image distance too far")
            out.append(UInt8(top << 5 | 0x10 | o & 0x0F))
            out += tail
            out.append(UInt8(o >> 4 & 0xFF))
            out.append(UInt8(extra.count << 6 | (veryLong ? 0x20 : 0) | o >> 12 & 0x1F))
            out += extra
            if veryLong { out.append(UInt8(o >> 17 & 0xFF)) }
        }
    }
    for token in tokens {
        switch token {
        case .literals(let range):
            out.append(UInt8(range.count - 1))
            for i in range { kind.append(keys[i], to: &out) }
        case .back(let length, let distance):
            reference(length: length, image: 0, value: distance - 1)
        case .cross(let length, let image, let offset):
            reference(length: length, image: image, value: offset)
        }
    }
    return out
}

// MARK: - Test images

/// A deterministic R,G,B,A image (top row first) with solid runs, short repeating patterns (references that
/// overlap their own output), noise (literals), columns that repeat the row above, and gradients.
public func testPixels(width: Int, height: Int, seed: UInt32) -> [[UInt8]] {
    func hash(_ a: Int, _ b: Int) -> UInt32 {
        var h = UInt32(truncatingIfNeeded: a) &* 0x9E37_79B1 ^ UInt32(truncatingIfNeeded: b) &* 0x85EB_CA77 ^ seed &* 0xC2B2_AE3D
        h ^= h >> 15
        h = h &* 0x2C1B_3C6D
        return h ^ h >> 12
    }
    var pixels: [[UInt8]] = []
    pixels.reserveCapacity(width * height)
    for y in 0..<height {
        for x in 0..<width {
            // Most rows mix 9-pixel regions; a band of rows is one solid colour (long runs) and one row is
            // all noise (full literal runs).
            let region = y % 10 >= 3 && y % 10 < 8 ? 0 : y % 10 == 9 ? 2 : (x / 9 + (y / 4) * 3 + Int(seed)) % 5
            let v: UInt32
            switch region {
            case 0: v = seed &* 0x0101_0101 | 0x40
            case 1: v = [0x11_2233, 0x44_5566, 0x77_8899][x % 3]
            case 2: v = hash(x, y)
            case 3: v = hash(x, -1)
            default: v = UInt32(x * 7 & 0xFF) | UInt32(y * 5 & 0xFF) << 8 | (seed & 0xFF) << 16
            }
            let alpha: UInt8 = switch (x / 5 + y / 3) % 4 {
            case 0: 255
            case 1: 0
            case 2: UInt8(truncatingIfNeeded: hash(y, x) >> 3)
            default: UInt8(truncatingIfNeeded: x * 3)
            }
            pixels.append([UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), alpha])
        }
    }
    return pixels
}

/// The display row each stream row holds.
public func testStreamRows(height: Int, topDown: Bool) -> [Int] {
    topDown ? Array(0..<height) : Array((0..<height).reversed())
}

/// RGB24/RGB32 keys (`b | g << 8 | r << 16`) of `pixels` in stream order.
public func testRGBKeys(_ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> [UInt32] {
    testStreamRows(height: height, topDown: topDown).flatMap { y in
        (0..<width).map { x in
            let p = pixels[y * width + x]
            return UInt32(p[2]) | UInt32(p[1]) << 8 | UInt32(p[0]) << 16
        }
    }
}

/// Alpha keys of `pixels` in stream order.
public func testAlphaKeys(_ pixels: [[UInt8]], width: Int, height: Int, topDown: Bool) -> [UInt32] {
    testStreamRows(height: height, topDown: topDown).flatMap { y in (0..<width).map { x in UInt32(pixels[y * width + x][3]) } }
}

/// All bytes of a surface, row after row.
public func testBytes(_ surface: SpiceCanvas.Surface) -> [UInt8] {
    Array(UnsafeBufferPointer(start: surface.pixels.assumingMemoryBound(to: UInt8.self), count: surface.stride * surface.height))
}

/// `pixels` as an opaque surface's bytes (A = 255).
public func testOpaqueBytes(_ pixels: [[UInt8]]) -> [UInt8] {
    pixels.flatMap { [$0[0], $0[1], $0[2], 255] }
}

/// Packed palette indices (rows of `type.stride(width:)` bytes, stream order) for display-order `indices`,
/// with `padding` in the unused low or high bits of each row's last byte.
public func testPackedIndices(_ indices: [Int], type: LZ.ImageType, width: Int, height: Int, topDown: Bool, padding: Int = 0) -> [UInt32] {
    let stride = type.stride(width: width)
    var out: [UInt32] = []
    for y in testStreamRows(height: height, topDown: topDown) {
        var row = [UInt8](repeating: 0, count: stride)
        let per = type.pixelsPerByte
        for x in 0..<(stride * per) {
            let i = x < width ? indices[y * width + x] : padding
            let byte = x / per, k = x % per
            switch type {
            case .plt8: row[byte] = UInt8(i)
            case .plt4BE: row[byte] |= UInt8(i & 0x0F) << (k == 0 ? 4 : 0)
            case .plt4LE: row[byte] |= UInt8(i & 0x0F) << (k == 0 ? 0 : 4)
            case .plt1BE: row[byte] |= UInt8(i & 1) << (7 - k)
            case .plt1LE: row[byte] |= UInt8(i & 1) << k
            default: preconditionFailure("not a palette type")
            }
        }
        out += row.map { UInt32($0) }
    }
    return out
}

/// A palette's entry as surface bytes.
public func testPaletteBytes(_ entry: UInt32) -> [UInt8] {
    [UInt8(entry >> 16 & 0xFF), UInt8(entry >> 8 & 0xFF), UInt8(entry & 0xFF), 255]
}
