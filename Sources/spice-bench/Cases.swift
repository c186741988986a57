import Foundation
import SpiceCanvas
import SpiceCodecTestSupport
import SpiceCodecs

/// The codecs benchmarked, by the name the report gives them.
enum Codec: String, CaseIterable {
    case bitmap
    case quic
    case lz
    case glz
    /// GLZ decoding an image that copies most of its pixels from the previous image in the window
    /// (the first scrolled by one text line).
    case glzRef = "glz-ref"
    case zlibGLZ = "zlib-glz"
    case lz4
    case jpeg420 = "jpeg-420"
    case jpeg444 = "jpeg-444"
    /// JPEG 4:2:0 colour plus the LZ XXXA alpha plane.
    case jpegAlpha = "jpeg-alpha"
}

/// One input image: a tile of the synthetic desktop's text or photo content, or the whole desktop.
struct Input {
    let name: String
    let size: Int?  // nil for the whole 1920x1080 desktop

    var label: String { self.size.map { "\($0)x\($0)" } ?? "\(SyntheticDesktop.width)x\(SyntheticDesktop.height)" }
}

/// One benchmark case, its inputs encoded and its decode verified, ready to time.
struct BenchCase {
    let codec: Codec
    let input: Input
    let width: Int
    let height: Int
    /// Bytes of the compressed payload (for glz-ref, of the image timed).
    let encodedBytes: Int
    let baselineName: String
    let subject: Timed
    let baseline: Timed
    /// How the decode was verified: "exact", or the PSNR for JPEG.
    let verification: String
}

/// A decode that did not give the source pixels: the benchmark reports it and exits non-zero.
struct VerificationFailure: Error, CustomStringConvertible {
    let description: String
}

/// Builds the cases: renders the synthetic desktop once, crops tiles, encodes each with SPICE's format
/// (the C libraries' compressors for JPEG, LZ4 and zlib), decodes once and compares with the source
/// pixels before anything is timed.
final class CaseFactory {
    private let desktop = SyntheticDesktop.render()
    /// The GLZ window of every GLZ case: large enough for two 1080p frames.
    private let window = GLZWindow(windowPixels: 1 << 23)

    /// The image timed, and for glz-ref the one before it (this one is the same view scrolled by one text line).
    func frames(_ input: Input) -> (first: CanvasImage, second: CanvasImage) {
        let scroll = SyntheticDesktop.scrollRows
        guard let size = input.size else {
            return (self.desktop.crop(x: 0, y: 0, width: SyntheticDesktop.width, height: SyntheticDesktop.height),
                    self.desktop.crop(x: 0, y: scroll, width: SyntheticDesktop.width, height: SyntheticDesktop.height))
        }
        let region = SyntheticDesktop.Region(rawValue: input.name)!
        let (x, y) = region.tileOrigin(size: size)
        return (self.desktop.crop(x: x, y: y, width: size, height: size), self.desktop.crop(x: x, y: y + scroll, width: size, height: size))
    }

    func make(_ codec: Codec, _ input: Input) throws -> BenchCase {
        let (frame, next) = self.frames(input)
        let w = frame.width, h = frame.height
        let pixelBytes = w * h * 4
        let surface = try makeSurface(w, h, .xrgb32)
        let copySource = stable(frame.words.withUnsafeBytes { Array($0) })
        let copyTarget = UnsafeMutableRawPointer.allocate(byteCount: pixelBytes, alignment: 64)
        let memcpyBaseline = Timed(prepare: nil) { _ = memcpy(copyTarget, copySource.baseAddress!, pixelBytes) }
        let perCallMemcpy = Timed(prepare: {}) { _ = memcpy(copyTarget, copySource.baseAddress!, pixelBytes) }

        func exact(_ decoded: Surface, _ expected: CanvasImage) throws -> String {
            try checkExact(decoded, expected, codec)
            return "exact"
        }

        switch codec {
        case .bitmap:
            let data = stable(ImagePayloads.bitmap32(frame))
            let subject = Timed(prepare: nil) {
                try Bitmap.decode(format: .thirtyTwoBit, width: w, height: h, stride: w * 4, topDown: true, palette: nil,
                                  data: data, into: surface, keepAlpha: false)
            }
            try subject.body()
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "memcpy",
                             subject: subject, baseline: memcpyBaseline, verification: try exact(surface, frame))
        case .quic:
            let data = stable(ImagePayloads.quicRGB32(frame))
            let decoder = QUICDecoder()
            let subject = Timed(prepare: nil) { try decoder.decode(data, into: surface) }
            try subject.body()
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "memcpy",
                             subject: subject, baseline: memcpyBaseline, verification: try exact(surface, frame))
        case .lz:
            let data = stable(ImagePayloads.lzRGB32(frame))
            let decoder = LZDecoder()
            let subject = Timed(prepare: nil) { try decoder.decode(data, palette: nil, into: surface) }
            try subject.body()
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "memcpy",
                             subject: subject, baseline: memcpyBaseline, verification: try exact(surface, frame))
        case .glz:
            // Each call decodes image 0 into an empty window (reset untimed before it), so it can repeat.
            let data = stable(ImagePayloads.glzRGB32(frame, id: 0))
            let window = self.window
            let subject = Timed(prepare: { window.clear() }) { try GLZ.decode(data, palette: nil, into: surface, window: window) }
            try subject.prepare!()
            try subject.body()
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "memcpy",
                             subject: subject, baseline: perCallMemcpy, verification: try exact(surface, frame))
        case .glzRef:
            // Image 0 (untimed) goes into the window, then image 1, which references it, is timed.
            let first = stable(ImagePayloads.glzRGB32(frame, id: 0))
            let data = stable(ImagePayloads.glzRGB32(next, id: 1, previous: frame, scrolledBy: SyntheticDesktop.scrollRows))
            let firstSurface = try makeSurface(w, h, .xrgb32)
            let window = self.window
            let subject = Timed(prepare: {
                window.clear()
                try GLZ.decode(first, palette: nil, into: firstSurface, window: window)
            }) { try GLZ.decode(data, palette: nil, into: surface, window: window) }
            try subject.prepare!()
            try subject.body()
            try checkExact(firstSurface, frame, codec)
            let nextSource = stable(next.words.withUnsafeBytes { Array($0) })
            let baseline = Timed(prepare: {}) { _ = memcpy(copyTarget, nextSource.baseAddress!, pixelBytes) }
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "memcpy",
                             subject: subject, baseline: baseline, verification: try exact(surface, next))
        case .zlibGLZ:
            let glz = ImagePayloads.glzRGB32(frame, id: 0)
            let data = stable(try glz.withUnsafeBytes { try Zlib.compress($0, level: 3) })
            let decoder = try ZlibGLZDecoder()
            let window = self.window
            let subject = Timed(prepare: { window.clear() }) {
                try decoder.decode(glzSize: glz.count, data: data, palette: nil, into: surface, window: window)
            }
            try subject.prepare!()
            try subject.body()
            let inflater = try RawInflater()
            let inflated = UnsafeMutableRawBufferPointer.allocate(byteCount: glz.count, alignment: 64)
            let baseline = Timed(prepare: {}) {
                guard inflater.inflate(data, into: inflated) == glz.count else { throw VerificationFailure(description: "raw inflate failed") }
            }
            try baseline.body()
            guard Array(inflated) == glz else { throw VerificationFailure(description: "raw inflate did not give the glz stream") }
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "inflate",
                             subject: subject, baseline: baseline, verification: try exact(surface, frame))
        case .lz4:
            let (payload, packed) = try ImagePayloads.lz4RGB32(frame)
            let data = stable(payload)
            let decoder = try LZ4ImageDecoder()
            let subject = Timed(prepare: nil) { try decoder.decode(data, into: surface) }
            try subject.body()
            let raw = try RawLZ4Decompressor()
            let blocks = UnsafeRawBufferPointer(rebasing: data[LZ4ImageDecoder.headerByteCount...])
            let output = UnsafeMutableRawBufferPointer.allocate(byteCount: packed.count, alignment: 64)
            let baseline = Timed(prepare: nil) {
                guard raw.decompress(blocks, into: output) == packed.count else { throw VerificationFailure(description: "raw lz4 failed") }
            }
            try baseline.body()
            guard Array(output) == packed else { throw VerificationFailure(description: "raw lz4 did not give the packed rows") }
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count,
                             baselineName: "LZ4_decompress_safe_continue", subject: subject, baseline: baseline,
                             verification: try exact(surface, frame))
        case .jpeg420, .jpeg444:
            let subsampling: JPEGCompression.Subsampling = codec == .jpeg420 ? .s420 : .s444
            let data = stable(try frame.words.withUnsafeBytes {
                try JPEGCompression.compress($0.baseAddress!, width: w, height: h, pitch: w * 4, subsampling: subsampling, quality: 85)
            })
            let decoder = try JPEGImageDecoder()
            let subject = Timed(prepare: nil) { try decoder.decode(data, into: surface) }
            try subject.body()
            let quality = try checkPSNR(surface, frame, codec)
            // The baseline writes the same rectangle of the same surface; it must give the very same bytes.
            let ours = Array(UnsafeRawBufferPointer(start: surface.pixels, count: pixelBytes))
            let raw = try RawJPEGDecompressor()
            let baseline = Timed(prepare: nil) {
                guard raw.decompress(data, into: surface.pixels, width: w, height: h, pitch: surface.stride) else {
                    throw VerificationFailure(description: "raw tjDecompress2 failed")
                }
            }
            surface.pixels.initializeMemory(as: UInt8.self, repeating: 0, count: pixelBytes)
            try baseline.body()
            guard Array(UnsafeRawBufferPointer(start: surface.pixels, count: pixelBytes)) == ours else {
                throw VerificationFailure(description: "\(codec.rawValue): raw tjDecompress2 and the codec wrote different pixels")
            }
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "tjDecompress2",
                             subject: subject, baseline: baseline, verification: quality)
        case .jpegAlpha:
            let translucent = frame.withAlpha { SyntheticDesktop.alpha(x: $0, y: $1, width: w, height: h) }
            let jpeg = try translucent.words.withUnsafeBytes {
                try JPEGCompression.compress($0.baseAddress!, width: w, height: h, pitch: w * 4, subsampling: .s420, quality: 85)
            }
            let data = stable(jpeg + ImagePayloads.lzAlpha(translucent))
            let decoder = try JPEGImageDecoder()
            let lz = LZDecoder()
            var decoded: Surface?
            let subject = Timed(prepare: nil) {
                decoded = try decoder.decodeAlphaImage(flags: JPEGImageDecoder.alphaTopDown, jpegSize: jpeg.count, data,
                                                       width: w, height: h, lz: lz)
            }
            try subject.body()
            guard let result = decoded else { throw VerificationFailure(description: "jpeg-alpha gave no surface") }
            let quality = try checkPSNR(result, translucent, codec)
            for i in 0..<(w * h) where result.pixels.load(fromByteOffset: i * 4 + 3, as: UInt8.self) != UInt8(translucent.words[i] >> 24) {
                throw VerificationFailure(description: "jpeg-alpha: alpha of pixel \(i) differs from the source")
            }
            let target = try makeSurface(w, h, .argb32)
            let colour = UnsafeRawBufferPointer(rebasing: data[0..<jpeg.count])
            let raw = try RawJPEGDecompressor()
            let baseline = Timed(prepare: nil) {
                guard raw.decompress(colour, into: target.pixels, width: w, height: h, pitch: target.stride) else {
                    throw VerificationFailure(description: "raw tjDecompress2 failed")
                }
            }
            try baseline.body()
            return BenchCase(codec: codec, input: input, width: w, height: h, encodedBytes: data.count, baselineName: "tjDecompress2",
                             subject: subject, baseline: baseline, verification: quality + ", alpha exact")
        }
    }
}

// MARK: - Helpers

/// `bytes` copied to memory that stays put for the rest of the run.
func stable(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
    bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    return UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])
}

func makeSurface(_ width: Int, _ height: Int, _ format: PixelFormat) throws -> Surface {
    guard let surface = Surface(width: width, height: height, format: format) else {
        throw VerificationFailure(description: "cannot make a \(width)x\(height) surface")
    }
    return surface
}

/// Throws unless `surface` holds exactly `expected`'s bytes (R,G,B,A; A = 255 in opaque images).
func checkExact(_ surface: Surface, _ expected: CanvasImage, _ codec: Codec) throws {
    precondition(surface.stride == expected.width * 4)
    let words = surface.pixels.assumingMemoryBound(to: UInt32.self)
    for i in 0..<expected.words.count where UInt32(littleEndian: words[i]) != expected.words[i] {
        throw VerificationFailure(description: "\(codec.rawValue): pixel (\(i % expected.width), \(i / expected.width)) is "
                                  + "0x\(String(UInt32(littleEndian: words[i]), radix: 16)), the source has 0x\(String(expected.words[i], radix: 16))")
    }
}

/// The PSNR of `surface`'s R, G, B against `expected`; throws under 30 dB.
func checkPSNR(_ surface: Surface, _ expected: CanvasImage, _ codec: Codec) throws -> String {
    let bytes = surface.pixels.assumingMemoryBound(to: UInt8.self)
    var squares = 0.0
    for i in 0..<expected.words.count {
        for c in 0..<3 {
            let d = Double(Int(bytes[i * 4 + c]) - Int(expected.words[i] >> (8 * UInt32(c)) & 0xFF))
            squares += d * d
        }
    }
    let mse = squares / Double(expected.words.count * 3)
    let psnr = mse == 0 ? 99 : 10 * log10(255 * 255 / mse)
    guard psnr >= 30 else {
        throw VerificationFailure(description: "\(codec.rawValue): PSNR \(String(format: "%.1f", psnr)) dB is under 30 dB")
    }
    return String(format: "psnr %.1f dB", psnr)
}
