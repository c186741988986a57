import FuzzSupport
import SpiceCanvas
import SpiceCodecs

/// SPICE's image decoders on arbitrary bytes: BITMAP, LZ (every type), GLZ with a window holding the
/// previous image of the same input, ZLIB_GLZ. The first byte picks the decoder. Thrown errors are
/// the expected answer to garbage; a crash, an out-of-bounds access (ASan) or a hang is a finding.
@_cdecl("FuzzCodecs_main")
public func fuzzCodecsMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzCodecs(data, size) }
}

/// Images larger than this are skipped, to keep each run fast; the decoders' own limits are far higher.
let maxFuzzPixels = 256 * 256
let palette: [UInt32] = (0..<256).map { UInt32($0) * 0x010101 }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCodecs(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let payload = bytes[...]
    switch data[0] % 4 {
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
    default:
        guard bytes.count > 4, let decoder = try? ZlibGLZDecoder() else { return 0 }
        let glzSize = UInt32(bytes[0]) << 8 | UInt32(bytes[1])
        let window = GLZWindow(windowPixels: maxFuzzPixels)
        _ = try? decoder.decodeImage(glzSize: glzSize, data: payload.dropFirst(2), palette: palette, width: Int(bytes[2]) + 1,
                                     height: Int(bytes[3]) + 1, window: window)
    }
    return 0
}
