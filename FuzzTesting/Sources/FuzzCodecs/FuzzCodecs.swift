import FuzzSupport
import SpiceCanvas
import SpiceCodecs

/// SPICE's image decoders on arbitrary bytes: BITMAP, LZ (every type), GLZ with a window holding the
/// previous image of the same input, ZLIB_GLZ, QUIC (every type), LZ4, JPEG and JPEG_ALPHA. The first byte picks the decoder. Thrown errors are
/// the expected answer to garbage; a crash, an out-of-bounds access (ASan) or a hang is a finding.
@_cdecl("FuzzCodecs_main")
public func fuzzCodecsMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzCodecs(data, size) }
}

/// Images larger than this are skipped, to keep each run fast; the decoders' own limits are far higher.
let maxFuzzPixels = 256 * 256
let palette: [UInt32] = (0..<256).map { UInt32($0) * 0x010101 }
/// One QUIC decoder for the whole run, as a display channel keeps one: its state must not leak between images.
nonisolated(unsafe) let quicDecoder = QUICDecoder()
/// One LZ4 and one JPEG decoder for the whole run, as a session keeps them: a bad image must not spoil the next.
nonisolated(unsafe) let lz4Decoder = try! LZ4ImageDecoder()
nonisolated(unsafe) let jpegDecoder = try! JPEGImageDecoder()
nonisolated(unsafe) let jpegHeaderReader = try! JPEGDecoder()
nonisolated(unsafe) let lzDecoder = LZDecoder()

/// The size a JPEG's header gives, when it is small enough to decode quickly.
func fuzzJPEGSize(_ jpeg: ArraySlice<UInt8>) -> (width: Int, height: Int)? {
    let size: (width: Int, height: Int)? = jpeg.withUnsafeBytes { try? jpegHeaderReader.readHeader($0) }
    guard let size, size.width * size.height <= maxFuzzPixels else { return nil }
    return size
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodecs(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let payload = bytes[...]
    switch data[0] % 8 {
    case 0:
        // BITMAP: format, width and height from the first bytes, the rest is pixel data.
        guard bytes.count >= 3, let format = Bitmap.Format(rawValue: bytes[0] % 11) else { return 0 }
        let width = Int(bytes[1] % 64) + 1, height = Int(bytes[2] % 64) + 1
        let pixels = Array(bytes.dropFirst(3))
        let stride = format.minimumStride(width: width) + Int(bytes[0] >> 4)
        guard let surface = Surface(width: width, height: height, format: format == .eightBitAlpha ? .a8 : .argb32) else { return 0 }
        _ = pixels.withUnsafeBytes { raw in
            try? Bitmap.decode(format: format, width: width, height: height, stride: stride, topDown: bytes[1] & 0x80 != 0,
                               palette: Array(palette.prefix(Int(bytes[2]) + 1)), data: raw, into: surface, keepAlpha: true)
        }
    case 1:
        let header: LZ.Header? = bytes.withUnsafeBytes { try? LZ.Header(parsing: $0) }
        guard let header, header.width * header.height <= maxFuzzPixels else { return 0 }
        _ = try? LZDecoder().decodeImage(payload, palette: palette, width: header.width, height: header.height)
    case 2:
        // Two GLZ images back to back, so the second may reference the first through the window.
        let window = GLZWindow(windowPixels: maxFuzzPixels * 2)
        var rest = payload
        for _ in 0..<2 {
            let header: GLZ.Header? = rest.withUnsafeBytes { try? GLZ.Header(parsing: $0) }
            guard let header, header.width * header.height <= maxFuzzPixels else { return 0 }
            _ = try? GLZ.decodeImage(rest, palette: palette, width: header.width, height: header.height, window: window)
            rest = rest.dropFirst(rest.count / 2)
        }
    case 4:
        let header: QUIC.Header? = bytes.withUnsafeBytes { try? QUIC.Header(parsing: $0) }
        guard let header, header.width * header.height <= maxFuzzPixels else { return 0 }
        _ = try? quicDecoder.decodeImage(payload, width: header.width, height: header.height)
    case 5:
        // LZ4: width and height from the first two bytes, then the payload (top_down, format, blocks).
        guard bytes.count >= 2 else { return 0 }
        _ = try? lz4Decoder.decodeImage(payload.dropFirst(2), width: Int(bytes[0] % 64) + 1, height: Int(bytes[1] % 64) + 1)
    case 6:
        // JPEG, at the size its header gives (one pixel wider when the selector's top bit is set, to reach the size check).
        guard let size = fuzzJPEGSize(payload) else { return 0 }
        _ = try? jpegDecoder.decodeImage(payload, width: size.width + Int(data[0] >> 7), height: size.height)
    case 7:
        // JPEG_ALPHA: flags, a big-endian 16-bit jpeg_size, then the JPEG and the XXXA alpha plane.
        guard bytes.count >= 3 else { return 0 }
        let jpegSize = Int(bytes[1]) << 8 | Int(bytes[2])
        let rest = payload.dropFirst(3)
        guard let size = fuzzJPEGSize(rest.prefix(jpegSize)) else { return 0 }
        _ = try? jpegDecoder.decodeAlphaImage(flags: bytes[0], jpegSize: jpegSize, rest, width: size.width, height: size.height, lz: lzDecoder)
    default:
        guard bytes.count > 4, let decoder = try? ZlibGLZDecoder() else { return 0 }
        let glzSize = UInt32(bytes[0]) << 8 | UInt32(bytes[1])
        let window = GLZWindow(windowPixels: maxFuzzPixels)
        _ = try? decoder.decodeImage(glzSize: glzSize, data: payload.dropFirst(2), palette: palette, width: Int(bytes[2]) + 1,
                                     height: Int(bytes[3]) + 1, window: window)
    }
    return 0
}
