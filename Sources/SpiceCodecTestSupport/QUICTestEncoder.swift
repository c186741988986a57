/// A test-only QUIC encoder, written from the format as `QUIC.swift` documents it (and as SPICE's
/// encoder writes it): the same predictions, symbol folding, code families, buckets, sampled model
/// updates and MELCODE runs, so that every stream it writes is one a SPICE server could send.
///
/// It also counts what it wrote (escape codewords, runs, long runs) so tests can prove they exercised
/// each path, and it can plant one bad symbol or run length to build corrupt streams by name.

/// An image to encode: `values[c][y * width + x]` for each coded channel, at the type's depth (5 bits
/// for RGB16). RGB types have 3 channels (R, G, B), RGBA 4, GRAY 1.
public struct QUICTestImage {
    public let type: UInt32
    public let width: Int
    public let height: Int
    public var values: [[Int]]

    public init(type: UInt32, width: Int, height: Int, values: [[Int]]) {
        self.type = type
        self.width = width
        self.height = height
        self.values = values
    }
}

/// What one encoding did.
public struct QUICTestStats {
    public var escapes = 0
    public var runs = 0
    public var emptyRuns = 0
    public var longRuns = 0
    public var updates = 0

    public init() {}
}

/// Corruptions the encoder can plant.
public struct QUICTestSabotage {
    /// Write this symbol (with the current code, as an escape codeword when it is past the
    /// Golomb-Rice range) for channel 0 of pass pixel `at` (row-major index) instead of the real one.
    public var symbol: (at: Int, value: Int)?
    /// Write this length instead of the first run's real length.
    public var runLength: Int?

    public init(symbol: (at: Int, value: Int)? = nil, runLength: Int? = nil) {
        self.symbol = symbol
        self.runLength = runLength
    }
}

private let testChaos: [UInt32] = [
    0x02c57542, 0x35427717, 0x2f5a2153, 0x9244f155, 0x7bd26d07, 0x354c6052, 0x57329b28, 0x2993868e,
    0x6cd8808c, 0x147b46e0, 0x99db66af, 0xe32b4cac, 0x1b671264, 0x9d433486, 0x62a4c192, 0x06089a4b,
    0x9e3dce44, 0xdaabee13, 0x222425ea, 0xa46f331d, 0xcd589250, 0x8bb81d7f, 0xc8b736b9, 0x35948d33,
    0xd7ac7fd0, 0x5fbe2803, 0x2cfbc105, 0x013dbc4e, 0x7a37820f, 0x39f88e9e, 0xedd58794, 0xc5076689,
    0xfcada5a4, 0x64c2f46d, 0xb3ba3243, 0x8974b4f9, 0x5a05aebd, 0x20afcd00, 0x39e2b008, 0x88a18a45,
    0x600bde29, 0xf3971ace, 0xf37b0a6b, 0x7041495b, 0x70b707ab, 0x06beffbb, 0x4206051f, 0xe13c4ee3,
    0xc1a78327, 0x91aa067c, 0x8295f72a, 0x732917a6, 0x1d871b4d, 0x4048f136, 0xf1840e7e, 0x6a6048c1,
    0x696cb71a, 0x7ff501c3, 0x0fc6310b, 0x57e0f83d, 0x8cc26e74, 0x11a525a2, 0x946934c7, 0x7cd888f0,
    0x8f9d8604, 0x4f86e73b, 0x04520316, 0xdeeea20c, 0xf1def496, 0x67687288, 0xf540c5b2, 0x22401484,
    0x3478658a, 0xc2385746, 0x01979c2c, 0x5dad73c8, 0x0321f58b, 0xf0fedbee, 0x92826ddf, 0x284bec73,
    0x5b1a1975, 0x03df1e11, 0x20963e01, 0xa17cf12b, 0x740d776e, 0xa7a6bf3c, 0x01b5cce4, 0x1118aa76,
    0xfc6fac0a, 0xce927e9b, 0x00bf2567, 0x806f216c, 0xbca69056, 0x795bd3e9, 0xc9dc4557, 0x8929b6c2,
    0x789d52ec, 0x3f3fbf40, 0xb9197368, 0xa38c15b5, 0xc3b44fa8, 0xca8333b0, 0xb7e8d590, 0xbe807feb,
    0xbf5f8360, 0xd99e2f5c, 0x372928e1, 0x7c757c4c, 0x0db5b154, 0xc01ede02, 0x1fc86e78, 0x1f3985be,
    0xb4805c77, 0x00c880fa, 0x974c1b12, 0x35ab0214, 0xb2dc840d, 0x5b00ae37, 0xd313b026, 0xb260969d,
    0x7f4c8879, 0x1734c4d3, 0x49068631, 0xb9f6a021, 0x6b863e6f, 0xcee5debf, 0x29f8c9fb, 0x53dd6880,
    0x72b61223, 0x1f67a9fd, 0x0a0f6993, 0x13e59119, 0x11cca12e, 0xfe6b6766, 0x16b6effc, 0x97918fc4,
    0xc2b8a563, 0x94f2f741, 0x0bfa8c9a, 0xd1537ae8, 0xc1da349c, 0x873c60ca, 0x95005b85, 0x9b5c080e,
    0xbc8abbd9, 0xe1eab1d2, 0x6dac9070, 0x4ea9ebf1, 0xe0cf30d4, 0x1ef5bd7b, 0xd161043e, 0x5d2fa2e2,
    0xff5d3cae, 0x86ed9f87, 0x2aa1daa1, 0xbd731a34, 0x9e8f4b22, 0xb1c2c67a, 0xc21758c9, 0xa182215d,
    0xccb01948, 0x8d168df7, 0x04238cfe, 0x368c3dbc, 0x0aeadca5, 0xbad21c24, 0x0a71fee5, 0x9fc5d872,
    0x54c152c6, 0xfc329483, 0x6783384a, 0xeddb3e1c, 0x65f90e30, 0x884ad098, 0xce81675a, 0x4b372f7d,
    0x68bf9a39, 0x43445f1e, 0x40f8d8cb, 0x90d5acb6, 0x4cd07282, 0x349eeb06, 0x0c9d5332, 0x520b24ef,
    0x80020447, 0x67976491, 0x2f931ca3, 0xfe9b0535, 0xfcd30220, 0x61a9e6cc, 0xa487d8d7, 0x3f7c5dd1,
    0x7d0127c5, 0x48f51d15, 0x60dea871, 0xc9a91cb7, 0x58b53bb3, 0x9d5e0b2d, 0x624a78b4, 0x30dbee1b,
    0x9bdf22e7, 0x1df5c299, 0x2d5643a7, 0xf4dd35ff, 0x03ca8fd6, 0x53b47ed8, 0x6f2c19aa, 0xfeb0c1f4,
    0x49e54438, 0x2f2577e6, 0xbf876969, 0x72440ea9, 0xfa0bafb8, 0x74f5b3a0, 0x7dd357cd, 0x89ce1358,
    0x6ef2cdda, 0x1e7767f3, 0xa6be9fdb, 0x4f5f88f8, 0xba994a3a, 0x08ca6b65, 0xe0893818, 0x9e00a16a,
    0xf42bfc8f, 0x9972eedc, 0x749c8b51, 0x32c05f5e, 0xd706805f, 0x6bfbb7cf, 0xd9210a10, 0x31a1db97,
    0x923a9559, 0x37a7a1f6, 0x059f8861, 0xca493e62, 0x65157e81, 0x8f6467dd, 0xab85ff9f, 0x9331aff2,
    0x8616b9f5, 0xedbd5695, 0xee7e29b1, 0x313ac44f, 0xb903112f, 0x432ef649, 0xdc0a36c0, 0x61cf2bba,
    0x81474925, 0xa8b6c7ad, 0xee5931de, 0xb2f8158d, 0x59fb7409, 0x2e3dfaed, 0x9af25a3f, 0xe1fed4d5,
]
private let testTriggers = [110, 550, 900, 800, 550, 400, 350]
private let testMelcode = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15]

/// Bits written most significant first into 32-bit little-endian words.
private struct TestBitWriter {
    var bytes: [UInt8] = []
    var word: UInt64 = 0
    var used = 0

    mutating func put(_ value: Int, _ count: Int) {
        precondition(count >= 0 && count <= 32 && value >= 0 && value < (1 << count) || count == 0 && value == 0)
        for k in stride(from: count - 1, through: 0, by: -1) {
            self.word = self.word << 1 | UInt64(value >> k & 1)
            self.used += 1
            if self.used == 32 { self.flushWord() }
        }
    }

    mutating func flushWord() {
        let w = UInt32(truncatingIfNeeded: self.word)
        self.bytes += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)]
        self.word = 0
        self.used = 0
    }

    /// Pads the last word with zeros and adds the one word of look-ahead the decoder reads.
    mutating func finish() -> [UInt8] {
        if self.used > 0 { self.put(0, 32 - self.used) }
        self.put(0, 32)
        return self.bytes
    }
}

/// One code family: Golomb-Rice codes 0..<bpc limited to 26-bit codewords.
private struct TestFamily {
    let bpc: Int
    var grSymbols: [Int] = []
    var escapeLength: [Int] = []

    init(bpc: Int) {
        self.bpc = bpc
        for l in 0..<bpc {
            let prefix = min(26 - bpc, (1 << (bpc - l)) - 1)
            let gr = prefix << l
            var suffix = 0
            while (1 << suffix) < (1 << bpc) - gr { suffix += 1 }
            self.grSymbols.append(gr)
            self.escapeLength.append(prefix + suffix)
        }
    }

    func length(_ n: Int, _ l: Int) -> Int { n < self.grSymbols[l] ? (n >> l) + l + 1 : self.escapeLength[l] }

    func bucket(_ previous: Int) -> Int {
        var k = 0
        while (2 << k) <= previous + 1 { k += 1 }
        return min(k, self.bpc - 1)
    }
}

private struct TestState {
    var countdown = 0
    var seed = 0xFF
    var waitIndex = 0
    var waitLeft = 2048
    var melcState = 0
    var melcLength = 0
    var trigger: Int { testTriggers[self.waitIndex] }
}

/// Encodes `image` as SPICE's QUIC encoder would.
public func quicTestEncode(_ image: QUICTestImage, sabotage: QUICTestSabotage = .init(), stats: UnsafeMutablePointer<QUICTestStats>? = nil) -> [UInt8] {
    let width = image.width, height = image.height
    var out = TestBitWriter()
    for word in [0x4349_5551, 0, Int(image.type), width, height] { out.put(word >> 16, 16); out.put(word & 0xFFFF, 16) }
    let bpc = image.type == 2 ? 5 : 8
    let family = TestFamily(bpc: bpc)
    let mask = (1 << bpc) - 1
    var counters = [[Int]](repeating: [Int](repeating: 0, count: 8), count: 32)
    var best = [Int](repeating: bpc - 1, count: 32)
    var symbols = [[Int]](repeating: [Int](repeating: 0, count: width + 1), count: 4)  // index + 1
    var colour = TestState(), alpha = TestState()
    var counts = QUICTestStats()
    var sabotage = sabotage

    func update(_ c: Int, _ previous: Int, _ symbol: Int, _ trigger: Int) {
        let slot = c * 8 + family.bucket(previous)
        var bestCode = bpc - 1
        counters[slot][bestCode] += family.length(symbol, bestCode)
        var bestLength = counters[slot][bestCode]
        for l in stride(from: bpc - 2, through: 0, by: -1) {
            counters[slot][l] += family.length(symbol, l)
            if counters[slot][l] < bestLength { bestCode = l; bestLength = counters[slot][l] }
        }
        best[slot] = bestCode
        if bestLength > trigger { for l in 0..<bpc { counters[slot][l] >>= 1 } }
        counts.updates += 1
    }

    func putSymbol(_ symbol: Int, _ l: Int) {
        if symbol < family.grSymbols[l] {
            let zeros = symbol >> l
            for _ in 0..<zeros { out.put(0, 1) }
            out.put(1, 1)
            out.put(symbol & ((1 << l) - 1), l)
        } else {
            counts.escapes += 1
            out.put(symbol - family.grSymbols[l], family.escapeLength[l])
        }
    }

    func putRun(_ length: Int, _ state: inout TestState) {
        var run = length
        while run >= 1 << state.melcLength {
            run -= 1 << state.melcLength
            out.put(1, 1)
            if state.melcState < 31 { state.melcState += 1; state.melcLength = testMelcode[state.melcState] }
        }
        out.put(0, 1)
        out.put(run, state.melcLength)
        if state.melcState > 0 { state.melcState -= 1; state.melcLength = testMelcode[state.melcState] }
    }

    /// One row of one pass over `channels` (indices into `image.values` and model channels).
    func encodeRow(_ y: Int, _ channels: [Int], _ state: inout TestState) {
        func value(_ c: Int, _ x: Int, _ row: Int) -> Int { image.values[c][row * width + x] }
        func same(_ x1: Int, _ x2: Int, _ row: Int) -> Bool { channels.allSatisfy { value($0, x1, row) == value($0, x2, row) } }

        func segment(_ start: Int, _ end: Int) {
            let waitMask = (1 << state.waitIndex) - 1
            var i = start
            var runStart = -1
            while i < end {
                if y > 0, i > 2, runStart != i, same(i - 1, i, y - 1), same(i - 1, i - 2, y) {
                    runStart = i
                    var run = 0
                    while i < end, same(i, i - 1, y) { run += 1; i += 1 }
                    counts.runs += 1
                    if run == 0 { counts.emptyRuns += 1 }
                    if run >= 64 { counts.longRuns += 1 }
                    if let forced = sabotage.runLength { putRun(forced, &state); sabotage.runLength = nil } else { putRun(run, &state) }
                    continue
                }
                for (k, c) in channels.enumerated() {
                    let previous = symbols[c][i]
                    let l = best[c * 8 + family.bucket(previous)]
                    let prediction: Int
                    if y == 0 {
                        prediction = i == 0 ? 0 : value(c, i - 1, y)
                    } else {
                        prediction = i == 0 ? value(c, i, y - 1) : (value(c, i - 1, y) + value(c, i, y - 1)) >> 1
                    }
                    let error = (value(c, i, y) - prediction) & mask
                    var symbol = error <= mask >> 1 ? error << 1 : ((mask - error) << 1) + 1
                    symbols[c][i + 1] = symbol
                    if k == 0, let forced = sabotage.symbol, forced.at == y * width + i {
                        symbol = forced.value
                        sabotage.symbol = nil
                    }
                    putSymbol(symbol, l)
                }
                if state.countdown > 0 {
                    state.countdown -= 1
                } else {
                    state.seed += 1
                    state.countdown = Int(testChaos[state.seed & 0xFF]) & waitMask
                    for c in channels { update(c, symbols[c][i], symbols[c][i + 1], state.trigger) }
                }
                i += 1
            }
        }

        var position = 0, remaining = width
        while state.waitIndex < 6 && state.waitLeft <= remaining {
            segment(position, position + state.waitLeft)
            position += state.waitLeft
            remaining -= state.waitLeft
            state.waitIndex += 1
            state.waitLeft = 2048
        }
        if remaining > 0 {
            segment(position, width)
            if state.waitIndex < 6 { state.waitLeft -= remaining }
        }
    }

    let colourChannels = image.type == 1 ? [0] : [0, 1, 2]
    for y in 0..<height {
        for c in 0..<4 { symbols[c][0] = y == 0 ? 0 : symbols[c][1] }
        encodeRow(y, colourChannels, &colour)
        if image.type == 5 { encodeRow(y, [3], &alpha) }
    }
    stats?.pointee = counts
    return out.finish()
}
