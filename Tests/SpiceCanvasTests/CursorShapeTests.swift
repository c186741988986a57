/// Every cursor type decoded from fixtures built from its definition (notes §4.1; the layouts in
/// `CursorEncoding`'s documentation): hand-written bytes for small cases, and one picture encoded in
/// every type by an encoder written here from the definitions, independently of the decoder.
import SpiceCanvas
import XCTest

/// What one pixel of a test picture should look like.
private enum Intended: Equatable {
    case color(UInt8, UInt8, UInt8)
    case transparent
    case invert
}

private let black = Color(r: 0, g: 0, b: 0)
private let white = Color(r: 255, g: 255, b: 255)
private let clear = Color(r: 0, g: 0, b: 0, a: 0)

/// A 9×3 picture (9 columns, so every 1-bit row has a padding byte) using colours every encoding can
/// hold exactly (each channel 0x00, 0x84 or 0xFF survives x1r5g5b5), plus see-through and inverting
/// pixels.
private let picture: [[Intended]] = [
    [.color(0xFF, 0x00, 0x00), .color(0x00, 0xFF, 0x00), .color(0x00, 0x00, 0xFF), .transparent, .invert,
     .color(0xFF, 0xFF, 0xFF), .color(0x00, 0x00, 0x00), .color(0x84, 0x84, 0x00), .color(0x00, 0x84, 0xFF)],
    [.transparent, .transparent, .invert, .invert, .color(0xFF, 0x84, 0x84), .transparent, .color(0x84, 0x00, 0x84),
     .color(0xFF, 0x00, 0x00), .invert],
    [.color(0x00, 0x00, 0xFF), .invert, .transparent, .color(0x84, 0x84, 0x84), .color(0x00, 0xFF, 0x00), .invert,
     .transparent, .color(0xFF, 0xFF, 0x00), .color(0x00, 0x00, 0x00)],
]

/// The R,G,B,A a decoder must produce for `intended` at (`x`, `y`).
private func expected(_ intended: Intended, x: Int, y: Int) -> Color {
    switch intended {
    case .color(let r, let g, let b): Color(r: r, g: g, b: b)
    case .transparent: clear
    case .invert: CursorShape.invertedPixel(x: x, y: y)
    }
}

/// Builds `data[]` for `picture` in `encoding`, following the definition: pixels (rows top first), the
/// palette, then the AND plane; MONO is the AND plane then the XOR plane. Padding bits are set to 1 so a
/// decoder that reads them is caught.
private func encode(_ picture: [[Intended]], _ encoding: CursorEncoding) -> [UInt8] {
    let height = picture.count, width = picture[0].count
    let maskRow = (width + 7) / 8
    func plane(_ bit: (Intended) -> Bool) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: maskRow * height)
        for y in 0..<height {
            for x in 0..<(maskRow * 8) where x >= width || bit(picture[y][x]) {
                bytes[y * maskRow + x / 8] |= 0x80 >> UInt8(x % 8)
            }
        }
        return bytes
    }
    // Windows AND semantics: 1 lets the screen through (transparent, or inverted when the colour is white).
    let andPlane = plane { $0 == .transparent || $0 == .invert }
    func rgb(_ p: Intended) -> (UInt8, UInt8, UInt8) {
        switch p {
        case .color(let r, let g, let b): (r, g, b)
        case .transparent: (0, 0, 0)
        case .invert: (0xFF, 0xFF, 0xFF)
        }
    }
    let pixels = picture.flatMap { $0 }
    switch encoding {
    case .alpha:
        return pixels.flatMap { p -> [UInt8] in
            let (r, g, b) = rgb(p)
            return p == .transparent ? [0, 0, 0, 0] : [b, g, r, 0xFF]
        }
    case .mono:
        return andPlane + plane { p in p == .invert || p == .color(0xFF, 0xFF, 0xFF) }
    case .color32:
        return pixels.flatMap { p -> [UInt8] in let (r, g, b) = rgb(p); return [b, g, r, 0] } + andPlane
    case .color24:
        return pixels.flatMap { p -> [UInt8] in let (r, g, b) = rgb(p); return [b, g, r] } + andPlane
    case .color16:
        return pixels.flatMap { p -> [UInt8] in
            let (r, g, b) = rgb(p)
            let value = UInt16(r >> 3) << 10 | UInt16(g >> 3) << 5 | UInt16(b >> 3)
            return [UInt8(value & 0xFF), UInt8(value >> 8)]
        } + andPlane
    case .color8, .color4:
        var palette: [(UInt8, UInt8, UInt8)] = []
        var indices: [Int] = []
        for p in pixels {
            let c = rgb(p)
            if let i = palette.firstIndex(where: { $0 == c }) { indices.append(i) } else { palette.append(c); indices.append(palette.count - 1) }
        }
        let entries = encoding == .color8 ? 256 : 16
        precondition(palette.count <= entries)
        // Unused entries are a colour the picture never shows, so a wrong index is caught.
        let paletteBytes = (0..<entries).flatMap { i -> [UInt8] in
            let (r, g, b) = i < palette.count ? palette[i] : (0x12, 0x34, 0x56)
            return [b, g, r, 0]
        }
        var pixelBytes: [UInt8] = []
        if encoding == .color8 {
            pixelBytes = indices.map { UInt8($0) }
        } else {
            let rowBytes = (width + 1) / 2
            pixelBytes = [UInt8](repeating: 0, count: rowBytes * height)
            for y in 0..<height {
                for x in 0..<width {
                    let index = UInt8(indices[y * width + x])
                    pixelBytes[y * rowBytes + x / 2] |= x % 2 == 0 ? index << 4 : index
                }
                // The unused low nibble of an odd-width row's last byte.
                if width % 2 == 1 { pixelBytes[y * rowBytes + rowBytes - 1] |= 0x0F }
            }
        }
        return pixelBytes + paletteBytes + andPlane
    }
}

final class CursorShapeTests: XCTestCase {
    // MARK: - Every type, from one picture

    func testEveryEncodingDecodesThePictureItWasBuiltFrom() throws {
        let width = picture[0].count, height = picture.count
        for encoding in CursorEncoding.allCases where encoding != .mono {
            let data = encode(picture, encoding)
            XCTAssertEqual(data.count, CursorShape.dataSize(encoding, width: width, height: height), "\(encoding)")
            let shape = try XCTUnwrap(CursorShape(encoding: encoding, width: width, height: height, hotSpotX: 4, hotSpotY: 1, data: data), "\(encoding)")
            for y in 0..<height {
                for x in 0..<width {
                    // ALPHA has no inverting pixels: what the encoder wrote as white is plain white.
                    let intended = encoding == .alpha && picture[y][x] == .invert ? .color(0xFF, 0xFF, 0xFF) : picture[y][x]
                    XCTAssertEqual(shape.pixel(x: x, y: y), expected(intended, x: x, y: y), "\(encoding) at \(x),\(y)")
                }
            }
            XCTAssertEqual(shape.hotSpotX, 4)
            XCTAssertEqual(shape.hotSpotY, 1)
        }
    }

    func testMonoDecodesABlackAndWhitePictureWithTransparencyAndInversion() throws {
        // MONO holds black, white, see-through and inverting pixels only.
        let mono: [[Intended]] = picture.map { row in row.map { p in
            switch p {
            case .transparent, .invert: p
            case .color(0xFF, 0xFF, 0xFF), .color(0xFF, 0x00, 0x00), .color(0x00, 0xFF, 0x00): .color(0xFF, 0xFF, 0xFF)
            default: .color(0, 0, 0)
            }
        } }
        let data = encode(mono, .mono)
        XCTAssertEqual(data.count, 2 * 3 * 2)
        let shape = try XCTUnwrap(CursorShape(encoding: .mono, width: 9, height: 3, hotSpotX: 0, hotSpotY: 0, data: data))
        for y in 0..<3 {
            for x in 0..<9 { XCTAssertEqual(shape.pixel(x: x, y: y), expected(mono[y][x], x: x, y: y), "at \(x),\(y)") }
        }
    }

    // MARK: - Hand-written bytes

    func testAlphaIsBGRAWordsPassedOnUnchanged() throws {
        // One semi-transparent orange pixel (ARGB 0x80FF8000) and one see-through pixel.
        let data: [UInt8] = [0x00, 0x80, 0xFF, 0x80, 0x11, 0x22, 0x33, 0x00]
        let shape = try XCTUnwrap(CursorShape(encoding: .alpha, width: 2, height: 1, hotSpotX: 0, hotSpotY: 0, data: data))
        XCTAssertEqual(shape.pixels, [0xFF, 0x80, 0x00, 0x80, 0x33, 0x22, 0x11, 0x00])
    }

    func testMonoFollowsTheWindowsAndXorTable() throws {
        // 2×2, one byte a row: AND plane rows 01, 11, then XOR plane rows 10, 01 (most significant bit first).
        let data: [UInt8] = [0b0100_0000, 0b1100_0000, 0b1000_0000, 0b0100_0000]
        let shape = try XCTUnwrap(CursorShape(encoding: .mono, width: 2, height: 2, hotSpotX: 0, hotSpotY: 0, data: data))
        XCTAssertEqual(shape.pixel(x: 0, y: 0), white, "AND 0, XOR 1")
        XCTAssertEqual(shape.pixel(x: 1, y: 0), clear, "AND 1, XOR 0")
        XCTAssertEqual(shape.pixel(x: 0, y: 1), clear, "AND 1, XOR 0")
        XCTAssertEqual(shape.pixel(x: 1, y: 1), CursorShape.invertedPixel(x: 1, y: 1), "AND 1, XOR 1")
        let black2 = try XCTUnwrap(CursorShape(encoding: .mono, width: 1, height: 1, hotSpotX: 0, hotSpotY: 0, data: [0x00, 0x00]))
        XCTAssertEqual(black2.pixel(x: 0, y: 0), black, "AND 0, XOR 0")
    }

    func testColor4TakesTheHighNibbleFirst() throws {
        // 3×1: indices 1, 2, 0 → one byte 0x12, one 0x0?; palette: 0 black, 1 red, 2 blue; AND plane 0.
        var palette = [UInt8](repeating: 0, count: 64)
        palette[4..<8] = [0x00, 0x00, 0xFF, 0x00]   // entry 1: red (x8r8g8b8 little-endian)
        palette[8..<12] = [0xFF, 0x00, 0x00, 0x00]  // entry 2: blue
        let data: [UInt8] = [0x12, 0x00] + palette + [0x00]
        let shape = try XCTUnwrap(CursorShape(encoding: .color4, width: 3, height: 1, hotSpotX: 0, hotSpotY: 0, data: data))
        XCTAssertEqual([shape.pixel(x: 0, y: 0), shape.pixel(x: 1, y: 0), shape.pixel(x: 2, y: 0)],
                       [Color(r: 255, g: 0, b: 0), Color(r: 0, g: 0, b: 255), black])
    }

    func testColor16IsX555Widened() throws {
        // 0x7C00 = pure red, 0x03E0 = pure green, 0x0010 = half blue (16 → 0x84).
        let data: [UInt8] = [0x00, 0x7C, 0xE0, 0x03, 0x10, 0x00, 0b0000_0000]
        let shape = try XCTUnwrap(CursorShape(encoding: .color16, width: 3, height: 1, hotSpotX: 0, hotSpotY: 0, data: data))
        XCTAssertEqual(shape.pixel(x: 0, y: 0), Color(r: 255, g: 0, b: 0))
        XCTAssertEqual(shape.pixel(x: 1, y: 0), Color(r: 0, g: 255, b: 0))
        XCTAssertEqual(shape.pixel(x: 2, y: 0), Color(r: 0, g: 0, b: 0x84))
    }

    func testColor32MaskedNonWhiteIsSeeThroughAndMaskedWhiteInverts() throws {
        let data: [UInt8] = [0x10, 0x20, 0x30, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x02, 0x03, 0x00] + [0b0110_0000]
        let shape = try XCTUnwrap(CursorShape(encoding: .color32, width: 3, height: 1, hotSpotX: 0, hotSpotY: 0, data: data))
        XCTAssertEqual(shape.pixel(x: 0, y: 0), Color(r: 0x30, g: 0x20, b: 0x10))
        XCTAssertEqual(shape.pixel(x: 1, y: 0), CursorShape.invertedPixel(x: 1, y: 0))
        XCTAssertEqual(shape.pixel(x: 2, y: 0), clear)
    }

    // MARK: - Hot spot and bounds

    func testHotSpotOutsideTheImageIsClamped() throws {
        let shape = try XCTUnwrap(CursorShape(encoding: .alpha, width: 2, height: 3, hotSpotX: 40, hotSpotY: 3, data: [UInt8](repeating: 0, count: 24)))
        XCTAssertEqual(shape.hotSpotX, 1)
        XCTAssertEqual(shape.hotSpotY, 2)
    }

    func testDataOfTheWrongSizeOrEmptyDimensionsDecodeToNothing() {
        for encoding in CursorEncoding.allCases {
            let size = CursorShape.dataSize(encoding, width: 5, height: 4)
            XCTAssertNil(CursorShape(encoding: encoding, width: 5, height: 4, hotSpotX: 0, hotSpotY: 0, data: [UInt8](repeating: 0, count: size - 1)), "\(encoding)")
            XCTAssertNil(CursorShape(encoding: encoding, width: 5, height: 4, hotSpotX: 0, hotSpotY: 0, data: [UInt8](repeating: 0, count: size + 1)), "\(encoding)")
            XCTAssertNil(CursorShape(encoding: encoding, width: 0, height: 4, hotSpotX: 0, hotSpotY: 0, data: [UInt8]()), "\(encoding)")
        }
        let tooWide = CursorShape.maxDimension + 1
        XCTAssertNil(CursorShape(encoding: .mono, width: tooWide, height: 1, hotSpotX: 0, hotSpotY: 0,
                                 data: [UInt8](repeating: 0, count: CursorShape.dataSize(.mono, width: tooWide, height: 1))))
        XCTAssertNil(CursorShape(width: 2, height: 2, hotSpotX: 0, hotSpotY: 0, rgba: [0, 0, 0]))
    }

    func testDecodesFromASliceOfALargerMessage() throws {
        let message: [UInt8] = [0xAA, 0xBB] + [0x00, 0x00, 0xFF, 0xFF] + [0xCC]
        let shape = try XCTUnwrap(CursorShape(encoding: .alpha, width: 1, height: 1, hotSpotX: 0, hotSpotY: 0, data: message[2..<6]))
        XCTAssertEqual(shape.pixel(x: 0, y: 0), Color(r: 255, g: 0, b: 0))
    }
}
