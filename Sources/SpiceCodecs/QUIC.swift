import SpiceCanvas

/// SPICE's QUIC image codec (`QUIC`; spice-protocol-notes §3.3–3.4), decoded straight into R,G,B,A surfaces.
///
/// QUIC is a lossless predictive coder in the SFALIC family. The stream is a sequence of 32-bit
/// little-endian words read most significant bit first: five header words (magic "QUIC", version 0,
/// type, width, height), then one bit stream for the whole image. Each channel value is predicted
/// from its left neighbour `a` and the one above `b` (`a` alone on the top row, `b` alone in the first
/// column, `(a + b) / 2` elsewhere), the prediction error is folded to a non-negative symbol and coded
/// with one of a family of limited-length Golomb-Rice codes. Which code is chosen by a "bucket" of the
/// previous symbol's magnitude; the buckets learn the code that would have been shortest, but only at
/// pseudo-randomly sampled pixels whose spacing grows as the image goes on. From the second row on,
/// a pixel whose row above repeats and whose two left neighbours are equal starts a run of copies of
/// its left neighbour, coded with an adaptive Golomb code (MELCODE). RGB types code R, G and B per
/// pixel with one shared sampling state; RGBA codes each row's alpha afterwards with a state of its own.
public enum QUIC {
    static let codec = "quic"

    /// `QUIC_MAGIC`: the bytes "QUIC" read as a little-endian word.
    public static let magic: UInt32 = 0x4349_5551
    /// `QUIC_VERSION`: major 0, minor 0.
    public static let version: UInt32 = 0
    /// The widest and tallest image accepted: the canvas's own limits.
    public static let maxDimension = CanvasLimits.maxSurfaceDimension
    /// The most pixels one image may have.
    public static let maxPixels = CanvasLimits.maxSurfacePixels

    /// `QuicImageType`: what the encoder's source pixels were, which fixes channels and bits per channel.
    public enum ImageType: UInt32, Sendable, CaseIterable {
        case gray = 1, rgb16 = 2, rgb24 = 3, rgb32 = 4, rgba = 5

        /// The canvas format an image of this type decodes into: RGBA keeps its alpha, the others are opaque.
        public var surfaceFormat: PixelFormat { self == .rgba ? .argb32 : .xrgb32 }
    }

    /// The five header words in front of every QUIC stream.
    public struct Header: Equatable, Sendable {
        /// Bytes the header takes.
        public static let byteCount = 20

        public let type: ImageType
        public let width: Int
        public let height: Int

        /// Parses and validates the header at the start of `data`.
        ///
        /// Throws `corruptData` for a short header, a bad magic, version or type, or dimensions that are
        /// zero or over `QUIC.maxDimension` / `QUIC.maxPixels`.
        public init(parsing data: UnsafeRawBufferPointer) throws(CodecError) {
            guard data.count >= Self.byteCount else {
                throw CodecError(.corruptData, codec: QUIC.codec, detail: "quic data of \(data.count) bytes ends inside the 20-byte header")
            }
            let magic = readUInt32LE(data, 0)
            guard magic == QUIC.magic else {
                throw CodecError(.corruptData, codec: QUIC.codec, detail: "bad quic magic 0x\(String(magic, radix: 16))")
            }
            let version = readUInt32LE(data, 4)
            guard version == QUIC.version else {
                throw CodecError(.corruptData, codec: QUIC.codec, detail: "unsupported quic version 0x\(String(version, radix: 16))")
            }
            let rawType = readUInt32LE(data, 8)
            guard let type = ImageType(rawValue: rawType) else {
                throw CodecError(.corruptData, codec: QUIC.codec, detail: "unknown quic image type \(rawType)")
            }
            let width = readUInt32LE(data, 12), height = readUInt32LE(data, 16)
            guard width > 0, height > 0, width <= QUIC.maxDimension, height <= QUIC.maxDimension,
                  Int(width) * Int(height) <= QUIC.maxPixels else {
                throw CodecError(.corruptData, codec: QUIC.codec, detail: "quic image of \(width)x\(height) is empty or over the surface limits")
            }
            self.type = type
            self.width = Int(width)
            self.height = Int(height)
        }
    }
}

@inline(__always)
private func readUInt32LE(_ data: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

// MARK: - Model constants

/// The longest codeword of either code family, in bits (`DEFmaxclen`).
private let maxCodewordBits = 26
/// Symbols coded with one sampling interval before the interval widens (`DEFwminext`).
private let pixelsPerWaitStep = 2048
/// The widest sampling interval index (`DEFwmimax`): the mask grows to 2^6 - 1.
private let maxWaitIndex = 6
/// Counter-halving thresholds by wait index, for model evolution 3 (the only one SPICE uses).
private let halvingTriggers: [UInt32] = [110, 550, 900, 800, 550, 400, 350]
/// MELCODE: the exponent of the expected run length in each of the 32 states.
private let melcodeExponents: [UInt8] = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15]

/// The pseudo-random sequence that spaces the model's sampled pixels. It is part of the format: the
/// encoder and the decoder must sample the same pixels, so the table is the one every QUIC coder uses.
private let samplingSequence: [UInt32] = [
    0x02c5_7542, 0x3542_7717, 0x2f5a_2153, 0x9244_f155, 0x7bd2_6d07, 0x354c_6052, 0x5732_9b28, 0x2993_868e,
    0x6cd8_808c, 0x147b_46e0, 0x99db_66af, 0xe32b_4cac, 0x1b67_1264, 0x9d43_3486, 0x62a4_c192, 0x0608_9a4b,
    0x9e3d_ce44, 0xdaab_ee13, 0x2224_25ea, 0xa46f_331d, 0xcd58_9250, 0x8bb8_1d7f, 0xc8b7_36b9, 0x3594_8d33,
    0xd7ac_7fd0, 0x5fbe_2803, 0x2cfb_c105, 0x013d_bc4e, 0x7a37_820f, 0x39f8_8e9e, 0xedd5_8794, 0xc507_6689,
    0xfcad_a5a4, 0x64c2_f46d, 0xb3ba_3243, 0x8974_b4f9, 0x5a05_aebd, 0x20af_cd00, 0x39e2_b008, 0x88a1_8a45,
    0x600b_de29, 0xf397_1ace, 0xf37b_0a6b, 0x7041_495b, 0x70b7_07ab, 0x06be_ffbb, 0x4206_051f, 0xe13c_4ee3,
    0xc1a7_8327, 0x91aa_067c, 0x8295_f72a, 0x7329_17a6, 0x1d87_1b4d, 0x4048_f136, 0xf184_0e7e, 0x6a60_48c1,
    0x696c_b71a, 0x7ff5_01c3, 0x0fc6_310b, 0x57e0_f83d, 0x8cc2_6e74, 0x11a5_25a2, 0x9469_34c7, 0x7cd8_88f0,
    0x8f9d_8604, 0x4f86_e73b, 0x0452_0316, 0xdeee_a20c, 0xf1de_f496, 0x6768_7288, 0xf540_c5b2, 0x2240_1484,
    0x3478_658a, 0xc238_5746, 0x0197_9c2c, 0x5dad_73c8, 0x0321_f58b, 0xf0fe_dbee, 0x9282_6ddf, 0x284b_ec73,
    0x5b1a_1975, 0x03df_1e11, 0x2096_3e01, 0xa17c_f12b, 0x740d_776e, 0xa7a6_bf3c, 0x01b5_cce4, 0x1118_aa76,
    0xfc6f_ac0a, 0xce92_7e9b, 0x00bf_2567, 0x806f_216c, 0xbca6_9056, 0x795b_d3e9, 0xc9dc_4557, 0x8929_b6c2,
    0x789d_52ec, 0x3f3f_bf40, 0xb919_7368, 0xa38c_15b5, 0xc3b4_4fa8, 0xca83_33b0, 0xb7e8_d590, 0xbe80_7feb,
    0xbf5f_8360, 0xd99e_2f5c, 0x3729_28e1, 0x7c75_7c4c, 0x0db5_b154, 0xc01e_de02, 0x1fc8_6e78, 0x1f39_85be,
    0xb480_5c77, 0x00c8_80fa, 0x974c_1b12, 0x35ab_0214, 0xb2dc_840d, 0x5b00_ae37, 0xd313_b026, 0xb260_969d,
    0x7f4c_8879, 0x1734_c4d3, 0x4906_8631, 0xb9f6_a021, 0x6b86_3e6f, 0xcee5_debf, 0x29f8_c9fb, 0x53dd_6880,
    0x72b6_1223, 0x1f67_a9fd, 0x0a0f_6993, 0x13e5_9119, 0x11cc_a12e, 0xfe6b_6766, 0x16b6_effc, 0x9791_8fc4,
    0xc2b8_a563, 0x94f2_f741, 0x0bfa_8c9a, 0xd153_7ae8, 0xc1da_349c, 0x873c_60ca, 0x9500_5b85, 0x9b5c_080e,
    0xbc8a_bbd9, 0xe1ea_b1d2, 0x6dac_9070, 0x4ea9_ebf1, 0xe0cf_30d4, 0x1ef5_bd7b, 0xd161_043e, 0x5d2f_a2e2,
    0xff5d_3cae, 0x86ed_9f87, 0x2aa1_daa1, 0xbd73_1a34, 0x9e8f_4b22, 0xb1c2_c67a, 0xc217_58c9, 0xa182_215d,
    0xccb0_1948, 0x8d16_8df7, 0x0423_8cfe, 0x368c_3dbc, 0x0aea_dca5, 0xbad2_1c24, 0x0a71_fee5, 0x9fc5_d872,
    0x54c1_52c6, 0xfc32_9483, 0x6783_384a, 0xeddb_3e1c, 0x65f9_0e30, 0x884a_d098, 0xce81_675a, 0x4b37_2f7d,
    0x68bf_9a39, 0x4344_5f1e, 0x40f8_d8cb, 0x90d5_acb6, 0x4cd0_7282, 0x349e_eb06, 0x0c9d_5332, 0x520b_24ef,
    0x8002_0447, 0x6797_6491, 0x2f93_1ca3, 0xfe9b_0535, 0xfcd3_0220, 0x61a9_e6cc, 0xa487_d8d7, 0x3f7c_5dd1,
    0x7d01_27c5, 0x48f5_1d15, 0x60de_a871, 0xc9a9_1cb7, 0x58b5_3bb3, 0x9d5e_0b2d, 0x624a_78b4, 0x30db_ee1b,
    0x9bdf_22e7, 0x1df5_c299, 0x2d56_43a7, 0xf4dd_35ff, 0x03ca_8fd6, 0x53b4_7ed8, 0x6f2c_19aa, 0xfeb0_c1f4,
    0x49e5_4438, 0x2f25_77e6, 0xbf87_6969, 0x7244_0ea9, 0xfa0b_afb8, 0x74f5_b3a0, 0x7dd3_57cd, 0x89ce_1358,
    0x6ef2_cdda, 0x1e77_67f3, 0xa6be_9fdb, 0x4f5f_88f8, 0xba99_4a3a, 0x08ca_6b65, 0xe089_3818, 0x9e00_a16a,
    0xf42b_fc8f, 0x9972_eedc, 0x749c_8b51, 0x32c0_5f5e, 0xd706_805f, 0x6bfb_b7cf, 0xd921_0a10, 0x31a1_db97,
    0x923a_9559, 0x37a7_a1f6, 0x059f_8861, 0xca49_3e62, 0x6515_7e81, 0x8f64_67dd, 0xab85_ff9f, 0x9331_aff2,
    0x8616_b9f5, 0xedbd_5695, 0xee7e_29b1, 0x313a_c44f, 0xb903_112f, 0x432e_f649, 0xdc0a_36c0, 0x61cf_2bba,
    0x8147_4925, 0xa8b6_c7ad, 0xee59_31de, 0xb2f8_158d, 0x59fb_7409, 0x2e3d_faed, 0x9af2_5a3f, 0xe1fe_d4d5,
]

// MARK: - Tables, built once per decoder

/// Layout of the decoder's one table allocation, in bytes from its start.
private enum TableLayout {
    /// `codeLengths(bpc)`: for each symbol, the codeword length under each of the 8 codes, as
    /// `SIMD8<UInt32>` (lanes past the family's codes hold `unusedCodeLength`), 256 symbols per family.
    static let lengths8 = 0
    static let lengths5 = lengths8 + 256 * 32
    /// Per family and code: `CodeParameters`.
    static let params8 = lengths5 + 256 * 32
    static let params5 = params8 + 8 * MemoryLayout<CodeParameters>.stride
    /// The bucket of each previous symbol, per family (256 bytes each).
    static let buckets8 = params5 + 8 * MemoryLayout<CodeParameters>.stride
    static let buckets5 = buckets8 + 256
    /// `samplingSequence` (256 words), then `melcodeExponents` (32 bytes).
    static let sampling = buckets5 + 256
    static let melcode = sampling + 256 * 4
    static let byteCount = melcode + 32
}

/// A code length for the lanes of a 5-bit family's length vectors that are not codes: larger than any
/// real codeword, so those lanes' counters always stay above the real ones and are never chosen.
private let unusedCodeLength: UInt32 = 64

/// What decoding needs to know about code `l` of a family.
private struct CodeParameters {
    /// A window (the next 32 bits) above this starts a Golomb-Rice codeword; at or below it, the escape
    /// codeword: `escapePrefix` zeros then a fixed-length suffix.
    var grLimit: UInt32
    /// Symbols with a Golomb-Rice codeword; escape codewords code `grSymbols + suffix`.
    var grSymbols: UInt16
    /// Length of an escape codeword.
    var escapeLength: UInt16
}

/// The two code families (8 and 5 bits per channel) and the other constant tables, in one allocation.
private struct Tables {
    let base: UnsafeMutableRawPointer

    init() {
        self.base = .allocate(byteCount: TableLayout.byteCount, alignment: 32)
        for (bpc, lengths, params, buckets) in [(8, TableLayout.lengths8, TableLayout.params8, TableLayout.buckets8),
                                                (5, TableLayout.lengths5, TableLayout.params5, TableLayout.buckets5)] {
            let levels = 1 << bpc
            let lengthVectors = (self.base + lengths).bindMemory(to: SIMD8<UInt32>.self, capacity: 256)
            let parameters = (self.base + params).bindMemory(to: CodeParameters.self, capacity: 8)
            for l in 0..<8 {
                parameters[l] = CodeParameters(grLimit: 0, grSymbols: 0, escapeLength: 0)
            }
            for n in 0..<256 { lengthVectors[n] = SIMD8(repeating: unusedCodeLength) }
            for l in 0..<bpc {
                // Up to `escapePrefix` leading zeros belong to Golomb-Rice codewords; the codewords left
                // over code the largest symbols with a fixed-length suffix.
                let escapePrefix = min(maxCodewordBits - bpc, (1 << (bpc - l)) - 1)
                let grSymbols = escapePrefix << l
                let escapeSymbols = levels - grSymbols
                var suffixBits = 0
                while (1 << suffixBits) < escapeSymbols { suffixBits += 1 }
                let escapeLength = escapePrefix + suffixBits
                parameters[l] = CodeParameters(grLimit: UInt32.max >> UInt32(escapePrefix), grSymbols: UInt16(grSymbols),
                                               escapeLength: UInt16(escapeLength))
                for n in 0..<256 {
                    lengthVectors[n][l] = UInt32(n < grSymbols ? (n >> l) + l + 1 : escapeLength)
                }
            }
            // Bucket k holds the previous symbols v with 2^k <= v + 1 < 2^(k+1); the last bucket of
            // the family takes everything above.
            let bucketOf = (self.base + buckets).bindMemory(to: UInt8.self, capacity: 256)
            for v in 0..<256 {
                bucketOf[v] = UInt8(min(Int.bitWidth - 1 - (v + 1).leadingZeroBitCount, bpc - 1))
            }
        }
        let sampling = (self.base + TableLayout.sampling).bindMemory(to: UInt32.self, capacity: 256)
        for i in 0..<256 { sampling[i] = samplingSequence[i] }
        let melcode = (self.base + TableLayout.melcode).bindMemory(to: UInt8.self, capacity: 32)
        for i in 0..<32 { melcode[i] = melcodeExponents[i] }
    }

    func lengths(_ bpc: Int) -> UnsafePointer<SIMD8<UInt32>> {
        UnsafePointer((self.base + (bpc == 8 ? TableLayout.lengths8 : TableLayout.lengths5)).assumingMemoryBound(to: SIMD8<UInt32>.self))
    }

    func parameters(_ bpc: Int) -> UnsafePointer<CodeParameters> {
        UnsafePointer((self.base + (bpc == 8 ? TableLayout.params8 : TableLayout.params5)).assumingMemoryBound(to: CodeParameters.self))
    }

    func buckets(_ bpc: Int) -> UnsafePointer<UInt8> {
        UnsafePointer((self.base + (bpc == 8 ? TableLayout.buckets8 : TableLayout.buckets5)).assumingMemoryBound(to: UInt8.self))
    }

    var sampling: UnsafePointer<UInt32> { UnsafePointer((self.base + TableLayout.sampling).assumingMemoryBound(to: UInt32.self)) }
    var melcode: UnsafePointer<UInt8> { UnsafePointer((self.base + TableLayout.melcode).assumingMemoryBound(to: UInt8.self)) }
}

// MARK: - Bit reader

/// The next bits of the stream, most significant first, read a 32-bit little-endian word at a time.
///
/// Past the end of the data it reads zeros and keeps counting words, so a truncated stream decodes to
/// garbage quickly and is reported by comparing `next` with the word count (per row and at the end).
private struct BitReader {
    let words: UnsafeRawPointer
    let wordCount: Int
    /// Upcoming bits, top-aligned; `available` of them are valid (at least 32 between calls).
    var window: UInt64 = 0
    var available = 0
    /// The index of the next word to load.
    var next = 0

    init(_ words: UnsafeRawPointer, wordCount: Int) {
        self.words = words
        self.wordCount = wordCount
        self.refill()
        self.refill()
    }

    /// The next 32 bits.
    @inline(__always) var top: UInt32 { UInt32(truncatingIfNeeded: self.window &>> 32) }

    @inline(__always) mutating func skip(_ count: Int) {
        self.window &<<= UInt64(truncatingIfNeeded: count)
        self.available &-= count
        if self.available < 32 { self.refill() }
    }

    @inline(__always) mutating func refill() {
        let word = self.next < self.wordCount
            ? UInt32(littleEndian: self.words.loadUnaligned(fromByteOffset: self.next &* 4, as: UInt32.self)) : 0
        self.next &+= 1
        self.window |= UInt64(word) &<< UInt64(truncatingIfNeeded: 32 &- self.available)
        self.available &+= 32
    }

    /// Whether the decoder has needed a word past the end of the data. (The reader always holds one
    /// word more than it has consumed, as SPICE's own decoder does, and the encoder writes it.)
    var overran: Bool { self.next > self.wordCount }
}

// MARK: - Sampling state

/// The state that spaces model updates and codes runs: one for the three colour channels, one for alpha.
private struct SamplingState {
    /// Pixels to decode before the next model update (a countdown, not counting run pixels).
    var countdown = 0
    var seed: UInt32 = 0xFF
    /// The sampling interval index and the pixel positions left before it grows.
    var waitIndex = 0
    var waitLeft = pixelsPerWaitStep
    var trigger: UInt32 = halvingTriggers[0]
    /// MELCODE state: index, exponent and expected run length (2^exponent).
    var melcState = 0
    var melcLength = 0
    var melcOrder = 1

    init() {}

    @inline(__always) var waitMask: Int { (1 &<< self.waitIndex) &- 1 }

    @inline(__always) mutating func random(_ sampling: UnsafePointer<UInt32>) -> Int {
        self.seed &+= 1
        return Int(truncatingIfNeeded: sampling[Int(self.seed & 0xFF)])
    }

    /// After a pixel: true when it is a sampled pixel whose symbols must update the model.
    @inline(__always) mutating func tick(_ sampling: UnsafePointer<UInt32>, waitMask: Int) -> Bool {
        if self.countdown != 0 {
            self.countdown &-= 1
            return false
        }
        self.countdown = self.random(sampling) & waitMask
        return true
    }
}

/// Channel models: per channel and bucket, the best code so far and the running cost of each code.
private struct Model {
    let counters: UnsafeMutablePointer<SIMD8<UInt32>>
    let best: UnsafeMutablePointer<UInt8>

    /// Updates bucket `bucket` of channel `channel` with `symbol`: adds each code's length to its
    /// counter, makes the cheapest code (the highest-numbered on a tie) the bucket's best, and halves
    /// the counters when the best one passes `trigger`.
    @inline(__always)
    func update(_ slot: Int, symbol: Int, lengths: UnsafePointer<SIMD8<UInt32>>, trigger: UInt32) {
        var counters = self.counters[slot] &+ lengths[symbol]
        // Counter in the high bits and (7 - code) in the low three: the minimum is the cheapest code,
        // and among equals the highest one.
        let keys = (counters &<< 3) | SIMD8<UInt32>(7, 6, 5, 4, 3, 2, 1, 0)
        let half = pointwiseMin(keys.lowHalf, keys.highHalf)
        let quarter = pointwiseMin(half.lowHalf, half.highHalf)
        let least = Swift.min(quarter[0], quarter[1])
        self.best[slot] = UInt8(truncatingIfNeeded: 7 &- (least & 7))
        if least &>> 3 > trigger { counters &>>= 1 }
        self.counters[slot] = counters
    }
}

// MARK: - Decoder

/// Decodes QUIC images into surfaces. It keeps its tables and model state (a few kilobytes) and one row
/// of prediction symbols, reused from image to image.
///
/// Not safe to use from two threads at once; one decoder per display channel is the intended use.
public final class QUICDecoder {
    private let tables = Tables()
    /// Four channels (R, G, B, alpha; gray uses the first) of 8 buckets.
    private let counters = UnsafeMutablePointer<SIMD8<UInt32>>.allocate(capacity: 32)
    private let best = UnsafeMutablePointer<UInt8>.allocate(capacity: 32)
    /// The symbols of the last decoded row, 4 bytes per position (one per channel), from position -1.
    private var symbols: UnsafeMutablePointer<UInt32>?
    private var symbolsCapacity = 0

    public init() {}

    deinit {
        self.tables.base.deallocate()
        self.counters.deallocate()
        self.best.deallocate()
        self.symbols?.deallocate()
    }

    /// Decodes the QUIC image in `data` (the whole `QUIC` payload) into `destination`, which must have the
    /// header's width and height and be a 32-bit surface (one with alpha, `.argb32`, for RGBA; A = 255 is
    /// written for the other types). RGB16 channels are widened by repeating their high bits; GRAY is
    /// written as R = G = B.
    ///
    /// The data must be whole words and end exactly where the image does (with the one word of
    /// look-ahead SPICE's encoder writes). After an error `destination` may be partly written.
    public func decode(_ data: UnsafeRawBufferPointer, into destination: Surface) throws(CodecError) {
        let header = try QUIC.Header(parsing: data)
        guard destination.width == header.width, destination.height == header.height else {
            throw CodecError(.invalidArgument, codec: QUIC.codec,
                             detail: "quic image of \(header.width)x\(header.height) into a \(destination.width)x\(destination.height) surface")
        }
        guard destination.format.storedBytesPerPixel == 4, destination.stride == header.width * 4 else {
            throw CodecError(.invalidArgument, codec: QUIC.codec, detail: "a quic image cannot go into a \(destination.format) surface")
        }
        if header.type == .rgba, !destination.format.hasAlpha {
            throw CodecError(.invalidArgument, codec: QUIC.codec, detail: "a quic image of type rgba needs a surface with alpha")
        }
        guard data.count % 4 == 0 else {
            throw CodecError(.corruptData, codec: QUIC.codec, detail: "quic data of \(data.count) bytes is not whole 32-bit words")
        }
        let width = header.width
        if width + 1 > self.symbolsCapacity {
            self.symbols?.deallocate()
            self.symbols = .allocate(capacity: width + 1)
            self.symbolsCapacity = width + 1
        }
        let symbols = self.symbols! + 1
        symbols[-1] = 0
        for slot in 0..<32 { self.counters[slot] = .zero }
        let bpc = header.type == .rgb16 ? 5 : 8
        for slot in 0..<32 { self.best[slot] = UInt8(bpc - 1) }

        var bits = BitReader(data.baseAddress!, wordCount: data.count / 4)
        for _ in 0..<5 { bits.skip(32) }
        var colour = SamplingState(), alpha = SamplingState()
        let model = Model(counters: self.counters, best: self.best)
        let pixels = destination.pixels.assumingMemoryBound(to: UInt32.self)
        switch header.type {
        case .rgb24, .rgb32:
            try decodeRows(RGB8.self, &bits, &colour, model, tables, symbols, pixels, width: width, height: header.height, alpha: nil)
        case .rgba:
            try decodeRows(RGB8.self, &bits, &colour, model, tables, symbols, pixels, width: width, height: header.height, alpha: &alpha)
        case .rgb16:
            try decodeRows(RGB5.self, &bits, &colour, model, tables, symbols, pixels, width: width, height: header.height, alpha: nil)
        case .gray:
            try decodeRows(Gray.self, &bits, &colour, model, tables, symbols, pixels, width: width, height: header.height, alpha: nil)
        }
        guard bits.next == bits.wordCount else {
            throw CodecError(.corruptData, codec: QUIC.codec,
                             detail: "\((bits.wordCount - bits.next) * 4) bytes follow the end of the quic image")
        }
    }
}

// MARK: - Convenience for the wire's payload slices

extension QUICDecoder {
    /// `decode(_:into:)` on a message payload slice.
    public func decode(_ data: ArraySlice<UInt8>, into destination: Surface) throws(CodecError) {
        var failure: CodecError?
        data.withUnsafeBytes { raw in
            do throws(CodecError) { try self.decode(raw, into: destination) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Decodes a `QUIC` payload into a new surface of the header's format, after checking that the
    /// header's dimensions are the image descriptor's `width` and `height`.
    public func decodeImage(_ data: ArraySlice<UInt8>, width: Int, height: Int) throws(CodecError) -> Surface {
        var failure: CodecError?
        let header: QUIC.Header? = data.withUnsafeBytes { raw in
            do throws(CodecError) { return try QUIC.Header(parsing: raw) } catch { failure = error; return nil }
        }
        guard let header else { throw failure! }
        let surface = try makeSurface(width: header.width, height: header.height, format: header.type.surfaceFormat,
                                      descriptorWidth: width, descriptorHeight: height, codec: QUIC.codec)
        try self.decode(data, into: surface)
        return surface
    }
}

// MARK: - Pixel kinds

/// How the channels of one pass sit in an R,G,B,A word (a native `UInt32` read little-endian).
private protocol PixelKind {
    /// 3 for the colour passes, 1 for gray and alpha.
    static var channels: Int { get }
    /// Bits per channel: 8, or 5 for RGB16.
    static var bpc: Int { get }
    /// The first channel's model slot (0, or 3 for alpha) and its byte in a symbol-row entry.
    static var firstChannel: Int { get }
    /// The bits of a word two pixels must share to count as equal for runs.
    static var sameMask: UInt32 { get }
    /// Channel `c` of `word`, at the pass's depth.
    static func value(_ word: UInt32, _ c: Int) -> Int
    /// `old` with the pass's channels set to `v0`, `v1`, `v2` (masked to the depth).
    static func store(_ old: UInt32, _ v0: Int, _ v1: Int, _ v2: Int) -> UInt32
}

/// RGB24, RGB32 and RGBA's colour channels: 8 bits each, written with A = 255.
private enum RGB8: PixelKind {
    static var channels: Int { 3 }
    static var bpc: Int { 8 }
    static var firstChannel: Int { 0 }
    static var sameMask: UInt32 { 0x00FF_FFFF }
    @inline(__always) static func value(_ word: UInt32, _ c: Int) -> Int { Int(truncatingIfNeeded: (word &>> UInt32(c &* 8)) & 0xFF) }
    @inline(__always) static func store(_ old: UInt32, _ v0: Int, _ v1: Int, _ v2: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: v0 & 0xFF | (v1 & 0xFF) &<< 8 | (v2 & 0xFF) &<< 16) | 0xFF00_0000
    }
}

/// RGB16: 5 bits per channel, widened to 8 by repeating the high bits.
private enum RGB5: PixelKind {
    static var channels: Int { 3 }
    static var bpc: Int { 5 }
    static var firstChannel: Int { 0 }
    static var sameMask: UInt32 { 0x00FF_FFFF }
    @inline(__always) static func value(_ word: UInt32, _ c: Int) -> Int { Int(truncatingIfNeeded: (word &>> UInt32(c &* 8 &+ 3)) & 0x1F) }
    @inline(__always) static func widen(_ v: Int) -> Int { (v & 0x1F) &<< 3 | (v & 0x1F) &>> 2 }
    @inline(__always) static func store(_ old: UInt32, _ v0: Int, _ v1: Int, _ v2: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: widen(v0) | widen(v1) &<< 8 | widen(v2) &<< 16) | 0xFF00_0000
    }
}

/// GRAY: one 8-bit channel written to R, G and B.
private enum Gray: PixelKind {
    static var channels: Int { 1 }
    static var bpc: Int { 8 }
    static var firstChannel: Int { 0 }
    static var sameMask: UInt32 { 0xFF }
    @inline(__always) static func value(_ word: UInt32, _ c: Int) -> Int { Int(truncatingIfNeeded: word & 0xFF) }
    @inline(__always) static func store(_ old: UInt32, _ v0: Int, _ v1: Int, _ v2: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: v0 & 0xFF) &* 0x01_0101 | 0xFF00_0000
    }
}

/// RGBA's alpha pass: the A byte only, after the row's colours.
private enum Alpha: PixelKind {
    static var channels: Int { 1 }
    static var bpc: Int { 8 }
    static var firstChannel: Int { 3 }
    static var sameMask: UInt32 { 0xFF00_0000 }
    @inline(__always) static func value(_ word: UInt32, _ c: Int) -> Int { Int(truncatingIfNeeded: word &>> 24) }
    @inline(__always) static func store(_ old: UInt32, _ v0: Int, _ v1: Int, _ v2: Int) -> UInt32 {
        old & 0x00FF_FFFF | UInt32(truncatingIfNeeded: v0 & 0xFF) &<< 24
    }
}

// MARK: - Decoding loops

/// Decodes every row, for RGBA with the alpha pass after each row's colour pass.
@inline(__always)
private func decodeRows<K: PixelKind>(_ kind: K.Type, _ bits: inout BitReader, _ state: inout SamplingState, _ model: Model,
                                      _ tables: Tables, _ symbols: UnsafeMutablePointer<UInt32>,
                                      _ pixels: UnsafeMutablePointer<UInt32>, width: Int, height: Int,
                                      alpha: UnsafeMutablePointer<SamplingState>?) throws(CodecError) {
    for y in 0..<height {
        let row = pixels + y * width
        let above: UnsafeMutablePointer<UInt32>? = y == 0 ? nil : row - width
        // The symbol before the first column is the first symbol of the row above (0 on the top row).
        symbols[-1] = y == 0 ? 0 : symbols[0]
        try decodeRow(K.self, &bits, &state, model, tables, symbols, row, above, width: width)
        if let alpha {
            try decodeRow(Alpha.self, &bits, &alpha.pointee, model, tables, symbols, row, above, width: width)
        }
        if bits.overran { throw quicEndsEarly(y, height) }
    }
}

/// Decodes one row of one pass, in segments of one sampling interval: the interval widens every
/// `pixelsPerWaitStep` pixel positions (runs included) until it reaches `maxWaitIndex`.
@inline(__always)
private func decodeRow<K: PixelKind>(_ kind: K.Type, _ bits: inout BitReader, _ state: inout SamplingState, _ model: Model,
                                     _ tables: Tables, _ symbols: UnsafeMutablePointer<UInt32>,
                                     _ row: UnsafeMutablePointer<UInt32>, _ above: UnsafeMutablePointer<UInt32>?,
                                     width: Int) throws(CodecError) {
    var position = 0
    var remaining = width
    while state.waitIndex < maxWaitIndex && state.waitLeft <= remaining {
        if state.waitLeft > 0 {
            try decodeSegment(K.self, &bits, &state, model, tables, symbols, row, above, position, position + state.waitLeft)
            position += state.waitLeft
            remaining -= state.waitLeft
        }
        state.waitIndex += 1
        state.trigger = halvingTriggers[state.waitIndex]
        state.waitLeft = pixelsPerWaitStep
    }
    if remaining > 0 {
        try decodeSegment(K.self, &bits, &state, model, tables, symbols, row, above, position, width)
        if state.waitIndex < maxWaitIndex { state.waitLeft -= remaining }
    }
}

/// Decodes the symbol coded with code `l` of a family (`bpc` bits): a Golomb-Rice codeword (zeros, a
/// one, `l` low bits) or, after too many zeros, an escape codeword with a fixed-length suffix.
@inline(__always)
private func readSymbol(_ bits: inout BitReader, _ l: Int, _ parameters: UnsafePointer<CodeParameters>, bpc: Int) throws(CodecError) -> Int {
    let window = bits.top
    let code = parameters[l]
    if window > code.grLimit {
        let zeros = window.leadingZeroBitCount
        let length = zeros &+ 1 &+ l
        let low = Int(truncatingIfNeeded: window &>> UInt32(truncatingIfNeeded: 32 &- length)) & ((1 &<< l) &- 1)
        bits.skip(length)
        return zeros &<< l | low
    }
    let escapeLength = Int(truncatingIfNeeded: code.escapeLength)
    let symbol = Int(truncatingIfNeeded: code.grSymbols) &+ Int(truncatingIfNeeded: window &>> UInt32(truncatingIfNeeded: 32 &- escapeLength))
    bits.skip(escapeLength)
    guard symbol < 1 &<< bpc else { throw quicBadSymbol(symbol, bpc) }
    return symbol
}

/// Decodes a run length (MELCODE): each 1 bit is a run of the expected length 2^exponent (and the
/// expectation grows), a 0 bit ends the hits and `exponent` bits give the remainder; then the
/// expectation shrinks one state. Throws as soon as the run would pass `limit`.
@inline(__always)
private func readRun(_ bits: inout BitReader, _ state: inout SamplingState, _ melcode: UnsafePointer<UInt8>, limit: Int) throws(CodecError) -> Int {
    var run = 0
    while true {
        let ones = Swift.min((~bits.top).leadingZeroBitCount, 8)
        for _ in 0..<ones {
            run &+= state.melcOrder
            if state.melcState < 31 {
                state.melcState &+= 1
                state.melcLength = Int(melcode[state.melcState])
                state.melcOrder = 1 &<< state.melcLength
            }
        }
        if run > limit { throw quicRunPastEnd(run, limit) }
        if ones != 8 {
            bits.skip(ones &+ 1)
            break
        }
        bits.skip(8)
    }
    if state.melcLength > 0 {
        run &+= Int(truncatingIfNeeded: bits.top &>> UInt32(truncatingIfNeeded: 32 &- state.melcLength))
        bits.skip(state.melcLength)
    }
    if state.melcState > 0 {
        state.melcState &-= 1
        state.melcLength = Int(melcode[state.melcState])
        state.melcOrder = 1 &<< state.melcLength
    }
    if run > limit { throw quicRunPastEnd(run, limit) }
    return run
}

/// The value a symbol stands for: even symbols are non-negative errors, odd ones negative, added to
/// the prediction modulo 2^bpc (the caller masks).
@inline(__always)
private func unfold(_ symbol: Int, _ prediction: Int) -> Int {
    ((symbol &>> 1) ^ (0 &- (symbol & 1))) &+ prediction
}

/// Decodes pixels `start..<end` of one row of one pass with a fixed sampling interval.
@inline(__always)
private func decodeSegment<K: PixelKind>(_ kind: K.Type, _ bits: inout BitReader, _ state: inout SamplingState, _ model: Model,
                                         _ tables: Tables, _ symbolRow: UnsafeMutablePointer<UInt32>,
                                         _ row: UnsafeMutablePointer<UInt32>, _ above: UnsafeMutablePointer<UInt32>?,
                                         _ start: Int, _ end: Int) throws(CodecError) {
    let bpc = K.bpc
    let mask = (1 << bpc) - 1
    let lengths = tables.lengths(bpc), parameters = tables.parameters(bpc), bucketOf = tables.buckets(bpc)
    let sampling = tables.sampling
    let waitMask = state.waitMask
    let first = K.firstChannel
    // The symbol rows as bytes: channel c of position i is byte 4 * i + first + c.
    let symbolBytes = UnsafeMutableRawPointer(symbolRow).assumingMemoryBound(to: UInt8.self)
    let best = model.best

    @inline(__always) func symbolSlot(_ i: Int, _ c: Int) -> Int { i &* 4 &+ first &+ c }

    var i = start
    guard let above else {
        // The top row: no runs; each value is predicted by its left neighbour (by 0 in the first column).
        while i < end {
            let left = i == 0 ? 0 : UInt32(littleEndian: row[i &- 1])
            var v0 = 0, v1 = 0, v2 = 0
            for c in 0..<K.channels {
                let previous = Int(symbolBytes[symbolSlot(i &- 1, c)])
                let slot = (first &+ c) &* 8 &+ Int(bucketOf[previous])
                let symbol = try readSymbol(&bits, Int(best[slot]), parameters, bpc: bpc)
                symbolBytes[symbolSlot(i, c)] = UInt8(truncatingIfNeeded: symbol)
                let value = unfold(symbol, i == 0 ? 0 : K.value(left, c)) & mask
                switch c {
                case 0: v0 = value
                case 1: v1 = value
                default: v2 = value
                }
            }
            row[i] = K.store(UInt32(littleEndian: row[i]), v0, v1, v2).littleEndian
            if state.tick(sampling, waitMask: waitMask) {
                for c in 0..<K.channels {
                    let previous = Int(symbolBytes[symbolSlot(i &- 1, c)])
                    model.update((first &+ c) &* 8 &+ Int(bucketOf[previous]), symbol: Int(symbolBytes[symbolSlot(i, c)]),
                                 lengths: lengths, trigger: state.trigger)
                }
            }
            i &+= 1
        }
        return
    }
    // Later rows: values are predicted by (left + above) / 2 (by the value above in the first column),
    // and runs copy the left pixel. The neighbours and the previous symbols stay in registers; after a
    // run the previous symbols are the ones left in the symbol row, as the format defines.
    var runStart = -1
    var aboveLeft: UInt32 = i > 0 ? UInt32(littleEndian: above[i &- 1]) : 0
    var left: UInt32 = i > 0 ? UInt32(littleEndian: row[i &- 1]) : 0
    var left2: UInt32 = i > 1 ? UInt32(littleEndian: row[i &- 2]) : 0
    var p0 = Int(symbolBytes[symbolSlot(i &- 1, 0)])
    var p1 = K.channels == 3 ? Int(symbolBytes[symbolSlot(i &- 1, 1)]) : 0
    var p2 = K.channels == 3 ? Int(symbolBytes[symbolSlot(i &- 1, 2)]) : 0
    while i < end {
        let up = UInt32(littleEndian: above[i])
        if i > 2, runStart != i, (aboveLeft ^ up) & K.sameMask == 0, (left2 ^ left) & K.sameMask == 0 {
            runStart = i
            let run = try readRun(&bits, &state, tables.melcode, limit: end &- i)
            if run > 0 {
                let l0 = K.value(left, 0), l1 = K.value(left, 1), l2 = K.value(left, 2)
                let runEnd = i &+ run
                while i < runEnd {
                    row[i] = K.store(UInt32(littleEndian: row[i]), l0, l1, l2).littleEndian
                    i &+= 1
                }
                left2 = left
                aboveLeft = UInt32(littleEndian: above[i &- 1])
                p0 = Int(symbolBytes[symbolSlot(i &- 1, 0)])
                if K.channels == 3 {
                    p1 = Int(symbolBytes[symbolSlot(i &- 1, 1)])
                    p2 = Int(symbolBytes[symbolSlot(i &- 1, 2)])
                }
            }
            continue
        }
        let slot0 = first &* 8 &+ Int(bucketOf[p0])
        let s0 = try readSymbol(&bits, Int(best[slot0]), parameters, bpc: bpc)
        symbolBytes[symbolSlot(i, 0)] = UInt8(truncatingIfNeeded: s0)
        let b0 = K.value(up, 0)
        let v0 = unfold(s0, i == 0 ? b0 : (K.value(left, 0) &+ b0) &>> 1)
        var v1 = 0, v2 = 0, s1 = 0, s2 = 0, slot1 = 0, slot2 = 0
        if K.channels == 3 {
            slot1 = 8 &+ Int(bucketOf[p1])
            s1 = try readSymbol(&bits, Int(best[slot1]), parameters, bpc: bpc)
            symbolBytes[symbolSlot(i, 1)] = UInt8(truncatingIfNeeded: s1)
            let b1 = K.value(up, 1)
            v1 = unfold(s1, i == 0 ? b1 : (K.value(left, 1) &+ b1) &>> 1)
            slot2 = 16 &+ Int(bucketOf[p2])
            s2 = try readSymbol(&bits, Int(best[slot2]), parameters, bpc: bpc)
            symbolBytes[symbolSlot(i, 2)] = UInt8(truncatingIfNeeded: s2)
            let b2 = K.value(up, 2)
            v2 = unfold(s2, i == 0 ? b2 : (K.value(left, 2) &+ b2) &>> 1)
        }
        let word = K.store(K.channels == 3 ? 0 : UInt32(littleEndian: row[i]), v0 & mask, v1 & mask, v2 & mask)
        row[i] = word.littleEndian
        if state.tick(sampling, waitMask: waitMask) {
            model.update(slot0, symbol: s0, lengths: lengths, trigger: state.trigger)
            if K.channels == 3 {
                model.update(slot1, symbol: s1, lengths: lengths, trigger: state.trigger)
                model.update(slot2, symbol: s2, lengths: lengths, trigger: state.trigger)
            }
        }
        p0 = s0
        p1 = s1
        p2 = s2
        left2 = left
        left = word
        aboveLeft = up
        i &+= 1
    }
}

// The errors are built out of line, so that the decoding loops keep their registers for the data.

@inline(never)
private func quicEndsEarly(_ row: Int, _ height: Int) -> CodecError {
    CodecError(.corruptData, codec: QUIC.codec, detail: "quic stream ends early, in row \(row) of \(height)")
}

@inline(never)
private func quicBadSymbol(_ symbol: Int, _ bpc: Int) -> CodecError {
    CodecError(.corruptData, codec: QUIC.codec, detail: "quic escape codeword for symbol \(symbol) is past the \(bpc)-bit range")
}

@inline(never)
private func quicRunPastEnd(_ run: Int, _ limit: Int) -> CodecError {
    CodecError(.corruptData, codec: QUIC.codec, detail: "quic run of \(run) pixels passes the \(limit) left in its row segment")
}
