import SpiceCanvas

/// SPICE's GLZ image codec (`GLZ_RGB`; spice-protocol-notes §3.4–3.5): LZ whose references may also
/// copy pixels out of earlier images of the session, kept in a `GLZWindow`.
///
/// A GLZ image is a 33-byte big-endian header (magic, version, `type | top_down << 4` in one byte, width,
/// height, stride, the 64-bit image id and `win_head_dist`, how many ids back the oldest image this one
/// may reference is) and then the token stream. Literals are as in LZ. A reference carries a length, an
/// image distance (0 = this image, otherwise the image `id - distance`) and a pixel position: for this
/// image, how far back; for an earlier image, the offset from its first pixel in stream order. Its fields
/// are spread over the control byte and two to seven more bytes; lengths are continued with 255 bytes as
/// in LZ. The types are RGB16, RGB24, RGB32, RGBA (a second, alpha-only pass) and the palette types,
/// whose references count in bytes of palette data while the dictionary holds expanded pixels.
public enum GLZ {
    static let codec = "glz"

    /// The 33-byte big-endian header in front of every GLZ stream.
    public struct Header: Equatable, Sendable {
        /// Bytes the header takes.
        public static let byteCount = 33

        public let type: LZ.ImageType
        public let width: Int
        public let height: Int
        /// Bytes per source row; rows of palette data may end in padding pixels, which the dictionary keeps.
        public let stride: Int
        /// Rows are in the stream top row first; otherwise bottom row first.
        public let topDown: Bool
        /// The image's id in the session's GLZ dictionary.
        public let id: UInt64
        /// How many ids before `id` the oldest image still in the server's window is.
        public let winHeadDist: UInt32

        /// Parses and validates the header at the start of `data`.
        ///
        /// Throws `corruptData` for a bad magic, version or type, or for dimensions that are zero, over
        /// `CanvasLimits`, or with a stride other than the one SPICE's encoder writes; `unsupported` for the
        /// LZ types GLZ does not define (XXXA, A8).
        public init(parsing data: UnsafeRawBufferPointer) throws(CodecError) {
            guard data.count >= Self.byteCount else {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz data of \(data.count) bytes ends inside the 33-byte header")
            }
            let magic = readUInt32BE(data, 0)
            guard magic == LZ.magic else {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "bad glz magic 0x\(String(magic, radix: 16))")
            }
            let version = readUInt32BE(data, 4)
            guard version == LZ.version else {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "unsupported glz version 0x\(String(version, radix: 16))")
            }
            let typeByte = data[8]
            guard let type = LZ.ImageType(rawValue: UInt32(typeByte & 0x0F)) else {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "unknown glz image type \(typeByte & 0x0F)")
            }
            guard type != .xxxa, type != .a8 else {
                throw CodecError(.unsupported, codec: GLZ.codec, detail: "glz does not define images of type \(type)")
            }
            self.type = type
            self.topDown = typeByte >> 4 != 0
            (self.width, self.height, self.stride) = try validatedGeometry(
                type: type, width: readUInt32BE(data, 9), height: readUInt32BE(data, 13), stride: readUInt32BE(data, 17), codec: GLZ.codec)
            self.id = UInt64(readUInt32BE(data, 21)) << 32 | UInt64(readUInt32BE(data, 25))
            self.winHeadDist = readUInt32BE(data, 29)
        }

        /// Pixels the image occupies in the dictionary (`gross_pixels`): palette rows expand to whole bytes
        /// of pixels, padding included; other types have exactly `width * height`.
        public var grossPixels: Int {
            self.type.isPaletted ? self.stride * self.type.pixelsPerByte * self.height : self.width * self.height
        }
    }

    /// Decodes the GLZ image in `data` (the whole `GLZ_RGB` payload, or an inflated `ZLIB_GLZ_RGB` one) into
    /// `destination` against `window`, then adds it to the window and releases the images that left it.
    ///
    /// `destination` must have the header's width and height and be a 32-bit surface (with alpha for
    /// RGBA; A = 255 is written for the other types). **The window keeps `destination` itself** (not a
    /// copy) as the pixels later images may reference, as long as the image stays in the window: the caller
    /// must not draw into it afterwards. Palette images are the exception: the window keeps its own copy,
    /// with the rows' padding pixels, and `palette` (`xRGB` entries) must cover every visible pixel.
    ///
    /// A reference to an image before `id - win_head_dist`, or to one the window released, is
    /// `corruptData`. A reference to an image that is inside the window's span but has not been decoded is
    /// `unsupported` (detail "… is not decoded yet …"): with several display channels another channel may
    /// still deliver it, and waiting for it is not implemented. The stream must end exactly where the
    /// image does. After an error nothing is added to the window and `destination` may be partly written.
    public static func decode(_ data: UnsafeRawBufferPointer, palette: [UInt32]?, into destination: Surface,
                              window: GLZWindow) throws(CodecError) {
        try window.decode(data, palette: palette, into: destination)
    }

    /// `decode(_:palette:into:window:)` on a message payload slice.
    public static func decode(_ data: ArraySlice<UInt8>, palette: [UInt32]?, into destination: Surface,
                              window: GLZWindow) throws(CodecError) {
        var failure: CodecError?
        data.withUnsafeBytes { raw in
            do throws(CodecError) { try window.decode(raw, palette: palette, into: destination) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Decodes a `GLZ_RGB` payload into a new surface of the header's format (`.argb32` for RGBA,
    /// `.xrgb32` otherwise), after checking the header's dimensions against the image descriptor's
    /// `width` and `height`. The window keeps the returned surface; do not draw into it.
    public static func decodeImage(_ data: ArraySlice<UInt8>, palette: [UInt32]?, width: Int, height: Int,
                                   window: GLZWindow) throws(CodecError) -> Surface {
        var failure: CodecError?
        let surface: Surface? = data.withUnsafeBytes { raw in
            do throws(CodecError) {
                return try self.decodeImage(raw, palette: palette, width: width, height: height, window: window)
            } catch {
                failure = error
                return nil
            }
        }
        guard let surface else { throw failure! }
        return surface
    }

    /// `decodeImage(_:palette:width:height:window:)` on raw bytes.
    public static func decodeImage(_ data: UnsafeRawBufferPointer, palette: [UInt32]?, width: Int, height: Int,
                                   window: GLZWindow) throws(CodecError) -> Surface {
        let header = try Header(parsing: data)
        let surface = try makeSurface(width: header.width, height: header.height, format: header.type.surfaceFormat,
                                      descriptorWidth: width, descriptorHeight: height, codec: GLZ.codec)
        try window.decode(data, palette: palette, into: surface)
        return surface
    }
}

/// The session's GLZ dictionary on the client side (spice-protocol-notes §3.5): the decoded images
/// later GLZ images may copy pixels from, keyed by image id.
///
/// One window serves every display channel of a session and is cleared when the session ends. After each
/// image, the images that left the server's window are released: those older than `id - win_head_dist`
/// of the newest image whose earlier ids have all arrived (images may arrive out of id order from several
/// display channels, so a gap holds the release back).
///
/// Memory stays bounded whatever the server says: an image larger than the announced window is rejected,
/// and should the images held exceed `capacityPixels` (twice the window: the server's window holds
/// `windowPixels`, and out-of-order images from other channels may come on top) or `maxImages`, the
/// oldest are released early; a later reference to one of them is then an error, never a stale read.
///
/// Not safe to use from two threads at once.
public final class GLZWindow {
    /// The most images the window holds, whatever their size.
    public static let maxImages = 1 << 16

    /// The window size announced in `DISPLAY_INIT` (`glz_dictionary_window_size`), in pixels.
    public let windowPixels: Int
    /// The most pixels the window holds before it releases its oldest images early.
    public let capacityPixels: Int

    /// The images held, in increasing id order.
    private var images: [GLZStoredImage] = []
    /// The lowest id not yet received, counting up from the last clear (`tail_gap`).
    private var tailGap: UInt64 = 0
    /// Ids below this one were released: an image with such an id is rejected and references to it fail.
    private var releasedBelow: UInt64 = 0
    /// The pixels of every image held.
    public private(set) var storedPixels = 0
    /// The byte-to-pixels table of the palette image being decoded, kept between images.
    private var paletteTable: [UInt32] = []

    /// Creates an empty window for the size announced to the server (`Session.glzWindowPixels`).
    public init(windowPixels: Int) {
        self.windowPixels = max(1, windowPixels)
        self.capacityPixels = 2 * self.windowPixels
    }

    /// Forgets every image, as at the start of a session.
    public func clear() {
        self.images = []
        self.tailGap = 0
        self.releasedBelow = 0
        self.storedPixels = 0
    }

    /// The number of images held.
    public var imageCount: Int { self.images.count }

    /// Whether the image `id` is held.
    public func contains(imageID id: UInt64) -> Bool { self.index(of: id) != nil }

    /// The position of image `id` in `images`, by binary search.
    private func index(of id: UInt64) -> Int? {
        var low = 0, high = self.images.count
        while low < high {
            let mid = (low + high) / 2
            if self.images[mid].id < id { low = mid + 1 } else { high = mid }
        }
        return low < self.images.count && self.images[low].id == id ? low : nil
    }

    // MARK: Decoding

    fileprivate func decode(_ data: UnsafeRawBufferPointer, palette: [UInt32]?, into destination: Surface) throws(CodecError) {
        let header = try GLZ.Header(parsing: data)
        try checkDestination(destination, width: header.width, height: header.height, type: header.type, codec: GLZ.codec)
        let gross = header.grossPixels
        guard gross <= self.windowPixels else {
            throw CodecError(.corruptData, codec: GLZ.codec,
                             detail: "glz image of \(gross) pixels is larger than the \(self.windowPixels)-pixel window")
        }
        // Ids count up from 0 with each image; the window computes `id + 1`, so the last value is refused.
        guard header.id < UInt64.max else {
            throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz image id \(header.id) is out of range")
        }
        guard UInt64(header.winHeadDist) <= header.id else {
            throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz image \(header.id) has a window head \(header.winHeadDist) images back, before id 0")
        }
        guard header.id >= self.releasedBelow else {
            throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz image \(header.id) is older than the window, which starts at \(self.releasedBelow)")
        }
        guard self.index(of: header.id) == nil else {
            throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz image \(header.id) is already in the window")
        }

        var ip = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + GLZ.Header.byteCount
        let end = data.baseAddress!.assumingMemoryBound(to: UInt8.self) + data.count
        var references = GLZReferences(window: self, header: header)
        let stored: GLZStoredImage
        switch header.type {
        case .rgb24, .rgb32, .rgba, .rgb16:
            // Decoded in stream order straight into the surface; rows are put right afterwards.
            let words = destination.pixels.assumingMemoryBound(to: UInt32.self)
            if header.type == .rgb16 {
                try glzDecodePass(RGB16Pass(), &ip, end, words, gross, &references)
            } else {
                try glzDecodePass(RGB24Pass(), &ip, end, words, gross, &references)
                if header.type == .rgba {
                    try glzDecodePass(AlphaPass(), &ip, end, words, gross, &references)
                }
            }
            try checkEnd(ip, end, codec: GLZ.codec)
            if !header.topDown {
                flipRows(destination.pixels, rowBytes: destination.stride, rows: destination.height)
            }
            stored = GLZStoredImage(id: header.id, type: header.type, winHeadDist: header.winHeadDist, pixels: words,
                                    rowPixels: header.width, rows: header.height, bottomUp: !header.topDown, owner: destination)
        case .plt1LE, .plt1BE, .plt4LE, .plt4BE, .plt8:
            guard let palette, !palette.isEmpty else {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "a palette glz image came without a palette")
            }
            let buffer = GLZPixelBuffer(count: gross)
            self.buildPaletteTable(type: header.type, palette: palette)
            try self.paletteTable.withUnsafeBufferPointer { (table) throws(CodecError) in
                let pass = PaletteExpandPass(table: table.baseAddress!, scale: header.type.pixelsPerByte)
                try glzDecodePass(pass, &ip, end, buffer.words, gross, &references)
            }
            try checkEnd(ip, end, codec: GLZ.codec)
            try copyVisiblePalettePixels(buffer.words, header: header, into: destination)
            stored = GLZStoredImage(id: header.id, type: header.type, winHeadDist: header.winHeadDist, pixels: buffer.words,
                                    rowPixels: gross / header.height, rows: header.height, bottomUp: false, owner: buffer)
        case .xxxa, .a8:
            // `GLZ.Header` rejects these.
            throw CodecError(.unsupported, codec: GLZ.codec, detail: "glz does not define images of type \(header.type)")
        }
        self.add(stored)
    }

    /// Fills `paletteTable` with the pixels each possible byte of `type` data expands to, in stream order.
    /// Entries the palette lacks become a zero word (A = 0), which no palette colour is, so that a visible
    /// one can be found afterwards while padding pixels may hold anything.
    private func buildPaletteTable(type: LZ.ImageType, palette: [UInt32]) {
        let perByte = type.pixelsPerByte
        let colours = palette.prefix(256).map { Bitmap.rgba(fromXRGB: $0).littleEndian }
        func colour(_ index: Int) -> UInt32 { index < colours.count ? colours[index] : 0 }
        self.paletteTable.removeAll(keepingCapacity: true)
        for byte in 0..<256 {
            for k in 0..<perByte {
                switch type {
                case .plt8: self.paletteTable.append(colour(byte))
                case .plt4BE: self.paletteTable.append(colour(k == 0 ? byte >> 4 : byte & 0x0F))
                case .plt4LE: self.paletteTable.append(colour(k == 0 ? byte & 0x0F : byte >> 4))
                case .plt1BE: self.paletteTable.append(colour((byte >> (7 - k)) & 1))
                case .plt1LE: self.paletteTable.append(colour((byte >> k) & 1))
                case .rgb16, .rgb24, .rgb32, .rgba, .xxxa, .a8: self.paletteTable.append(0)
                }
            }
        }
    }

    /// Adds a decoded image, closes the id gap, releases the images that left the window, and keeps
    /// the window within its bounds.
    private func add(_ image: GLZStoredImage) {
        if let last = self.images.last, last.id > image.id {
            var low = 0, high = self.images.count
            while low < high {
                let mid = (low + high) / 2
                if self.images[mid].id < image.id { low = mid + 1 } else { high = mid }
            }
            self.images.insert(image, at: low)
        } else {
            self.images.append(image)
        }
        self.storedPixels += image.grossPixels

        // Close the gap: walk the ids that have all arrived. (Walking past this image is safe: the server's
        // window heads only move forward with the ids, so no image still to come reaches further back.)
        self.tailGap = max(self.tailGap, self.releasedBelow)
        if var i = self.index(of: self.tailGap) {
            while i < self.images.count, self.images[i].id == self.tailGap {
                self.tailGap += 1
                i += 1
            }
        }
        // The newest image with no gap before it says where the server's window starts.
        if self.tailGap > 0, let i = self.index(of: self.tailGap - 1) {
            let tail = self.images[i]
            self.release(below: tail.id - UInt64(tail.winHeadDist))
        }
        while self.storedPixels > self.capacityPixels || self.images.count > Self.maxImages {
            self.release(below: self.images[0].id + 1)
        }
    }

    /// Releases every image whose id is below `id`.
    private func release(below id: UInt64) {
        guard id > self.releasedBelow else { return }
        var count = 0
        while count < self.images.count, self.images[count].id < id {
            self.storedPixels -= self.images[count].grossPixels
            count += 1
        }
        self.images.removeFirst(count)
        self.releasedBelow = id
    }

    /// The image `distance` ids before the one being decoded, for a reference (see `GLZ.decode`).
    fileprivate func source(_ distance: Int, of header: GLZ.Header) throws(CodecError) -> GLZSource {
        guard distance <= Int(header.winHeadDist) else {
            throw CodecError(.corruptData, codec: GLZ.codec,
                             detail: "glz image \(header.id) references the image \(distance) back, outside its \(header.winHeadDist)-image window")
        }
        let id = header.id - UInt64(distance)
        guard let i = self.index(of: id) else {
            if id < self.releasedBelow {
                throw CodecError(.corruptData, codec: GLZ.codec, detail: "glz image \(header.id) references image \(id), which left the window")
            }
            throw CodecError(.unsupported, codec: GLZ.codec,
                             detail: "glz image \(header.id) references image \(id), which is not decoded yet (another display channel may deliver it)")
        }
        let image = self.images[i]
        guard image.type == header.type else {
            throw CodecError(.corruptData, codec: GLZ.codec,
                             detail: "glz image \(header.id) of type \(header.type) references image \(id) of type \(image.type)")
        }
        return GLZSource(pixels: image.pixels, rowPixels: image.rowPixels, rows: image.rows, bottomUp: image.bottomUp)
    }
}

/// Writes the visible pixels of an expanded palette image (gross rows in stream order) into `destination`,
/// failing on a visible pixel whose palette index was past the palette (a zero word, see `buildPaletteTable`).
private func copyVisiblePalettePixels(_ words: UnsafeMutablePointer<UInt32>, header: GLZ.Header,
                                      into destination: Surface) throws(CodecError) {
    let rowPixels = header.grossPixels / header.height
    for y in 0..<header.height {
        let source = words + (header.topDown ? y : header.height - 1 - y) * rowPixels
        let row = destination.row(y).assumingMemoryBound(to: UInt32.self)
        var missing: UInt32 = alphaMask
        for x in 0..<header.width {
            let pixel = source[x]
            missing &= pixel | ~alphaMask
            row[x] = pixel
        }
        if missing == 0 {
            let x = (0..<header.width).first { source[$0] & alphaMask == 0 } ?? 0
            throw CodecError(.corruptData, codec: GLZ.codec, detail: "the palette index at (\(x),\(y)) is past the palette")
        }
    }
}

/// One decoded image as the window keeps it.
struct GLZStoredImage {
    let id: UInt64
    let type: LZ.ImageType
    let winHeadDist: UInt32
    /// The first pixel (R,G,B,A words) of the memory `owner` keeps alive.
    let pixels: UnsafeMutablePointer<UInt32>
    /// Pixels per row, padding included.
    let rowPixels: Int
    let rows: Int
    /// The rows are in memory in the reverse of their stream order (a bottom-up image in its surface).
    let bottomUp: Bool
    /// The surface or buffer that owns `pixels`.
    let owner: AnyObject

    init(id: UInt64, type: LZ.ImageType, winHeadDist: UInt32, pixels: UnsafeMutablePointer<UInt32>,
         rowPixels: Int, rows: Int, bottomUp: Bool, owner: AnyObject) {
        self.id = id
        self.type = type
        self.winHeadDist = winHeadDist
        self.pixels = pixels
        self.rowPixels = rowPixels
        self.rows = rows
        self.bottomUp = bottomUp
        self.owner = owner
    }

    var grossPixels: Int { self.rowPixels * self.rows }
}

/// The expanded pixels of a palette image, which its surface cannot hold (the rows' padding).
final class GLZPixelBuffer {
    let words: UnsafeMutablePointer<UInt32>

    init(count: Int) {
        self.words = .allocate(capacity: count)
        self.words.initialize(repeating: 0, count: count)
    }

    deinit { self.words.deallocate() }
}

/// A referenced image's memory, as a plain value for the decoding loop (the window keeps it alive).
struct GLZSource {
    let pixels: UnsafeMutablePointer<UInt32>
    let rowPixels: Int
    let rows: Int
    let bottomUp: Bool

    var grossPixels: Int { self.rowPixels * self.rows }

    /// Copies `count` pixels from stream position `offset` (which the caller checked against
    /// `grossPixels`) to `op` with `pass`'s copy.
    @inline(__always)
    func copy<P: LZPass>(_ pass: P, offset: Int, count: Int, to op: UnsafeMutablePointer<UInt32>) where P.Element == UInt32 {
        if !self.bottomUp {
            pass.copy(from: self.pixels + offset, to: op, count: count)
            return
        }
        // Stream row r is memory row rows - 1 - r: copy row piece by row piece.
        var offset = offset, done = 0
        while done < count {
            let row = offset / self.rowPixels, column = offset - row * self.rowPixels
            let n = min(count - done, self.rowPixels - column)
            pass.copy(from: self.pixels + (self.rows - 1 - row) * self.rowPixels + column, to: op + done, count: n)
            done += n
            offset += n
        }
    }
}

/// Resolves a GLZ image's references to earlier images, remembering the last one looked up.
struct GLZReferences {
    let window: GLZWindow
    let header: GLZ.Header
    private var lastDistance = 0
    private var last: GLZSource?

    init(window: GLZWindow, header: GLZ.Header) {
        self.window = window
        self.header = header
    }

    @inline(__always)
    mutating func source(_ distance: Int) throws(CodecError) -> GLZSource {
        if distance == self.lastDistance, let last = self.last { return last }
        let source = try self.window.source(distance, of: self.header)
        self.lastDistance = distance
        self.last = source
        return source
    }
}

/// Palette data expanded as it is decoded: each byte becomes `scale` pixels through `table`
/// (256 × `scale` words), and references count in bytes.
struct PaletteExpandPass: LZPass {
    let table: UnsafePointer<UInt32>
    let scale: Int
    var literalBytes: Int { 1 }
    var lengthBias: Int { 2 }

    @inline(__always)
    func literals(_ ip: UnsafePointer<UInt8>, _ op: UnsafeMutablePointer<UInt32>, _ units: Int) {
        for i in 0..<units {
            let pixels = self.table + Int(ip[i]) * self.scale
            let out = op + i * self.scale
            for k in 0..<self.scale { out[k] = pixels[k] }
        }
    }
}

/// Decodes one GLZ pass of `count` pixels into `output`, advancing `input`. Every reference and literal
/// run is checked against both ends of the output, the referenced image and the end of the input.
@inline(__always)
func glzDecodePass<P: LZPass>(_ pass: P, _ input: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                              _ output: UnsafeMutablePointer<UInt32>, _ count: Int,
                              _ references: inout GLZReferences) throws(CodecError) where P.Element == UInt32 {
    var ip = input
    var op = 0
    while op < count {
        guard ip < end else { throw glzEndsEarly(op, count) }
        let ctrl = Int(ip.pointee)
        ip += 1
        if ctrl >= 32 {
            var length = ctrl >> 5
            var offset = ctrl & 0x0F
            if length == 7 {
                var code: Int
                repeat {
                    guard ip < end else { throw glzEndsEarly(op, count) }
                    code = Int(ip.pointee)
                    ip += 1
                    length += code
                } while code == 255
            }
            guard end - ip >= 2 else { throw glzEndsEarly(op, count) }
            offset += Int(ip[0]) << 4
            let code = Int(ip[1])
            ip += 2
            let imageBytes = code >> 6
            var distance: Int
            if ctrl & 0x10 == 0 {
                // Short form: a 12-bit pixel offset; the image distance is 6 bits plus up to 3 bytes.
                guard end - ip >= imageBytes else { throw glzEndsEarly(op, count) }
                distance = code & 0x3F
                for i in 0..<imageBytes { distance += Int(ip[i]) << (6 + 8 * i) }
                ip += imageBytes
            } else {
                // Long form: a 17-bit pixel offset (25 bits with one more byte); the distance is up to 3 bytes.
                let veryLong = code & 0x20 != 0
                offset += (code & 0x1F) << 12
                let extra = imageBytes + (veryLong ? 1 : 0)
                guard end - ip >= extra else { throw glzEndsEarly(op, count) }
                distance = 0
                for i in 0..<imageBytes { distance += Int(ip[i]) << (8 * i) }
                if veryLong { offset += Int(ip[imageBytes]) << 17 }
                ip += extra
            }
            length = (length + pass.lengthBias) * pass.scale
            guard length <= count - op else { throw glzPastEnd("reference", length, op, count) }
            if distance == 0 {
                let back = (offset + 1) * pass.scale
                guard back <= op else { throw glzBeforeStart(back, op) }
                pass.copyBack(output + op, distance: back, count: length, room: count - op)
            } else {
                let source = try references.source(distance)
                let start = offset * pass.scale
                guard start <= source.grossPixels, length <= source.grossPixels - start else {
                    throw glzPastReferencedImage(length, start, source.grossPixels, distance)
                }
                source.copy(pass, offset: start, count: length, to: output + op)
            }
            op += length
        } else {
            let units = ctrl + 1
            guard units * pass.scale <= count - op else { throw glzPastEnd("literal run", units * pass.scale, op, count) }
            guard units * pass.literalBytes <= end - ip else { throw glzEndsEarly(op, count) }
            pass.literals(ip, output + op, units)
            ip += units * pass.literalBytes
            op += units * pass.scale
        }
    }
    input = ip
}

// The errors are built out of line, so that the decoding loop keeps its registers for the data.

@inline(never)
private func glzEndsEarly(_ op: Int, _ count: Int) -> CodecError {
    CodecError(.corruptData, codec: GLZ.codec, detail: "glz stream ends early, after \(op) of \(count) pixels")
}

@inline(never)
private func glzBeforeStart(_ back: Int, _ op: Int) -> CodecError {
    CodecError(.corruptData, codec: GLZ.codec, detail: "glz reference \(back) back from pixel \(op) reaches before the start of the image")
}

@inline(never)
private func glzPastEnd(_ what: String, _ length: Int, _ op: Int, _ count: Int) -> CodecError {
    CodecError(.corruptData, codec: GLZ.codec, detail: "glz \(what) of \(length) pixels at pixel \(op) runs past the \(count)-pixel image")
}

@inline(never)
private func glzPastReferencedImage(_ length: Int, _ start: Int, _ gross: Int, _ distance: Int) -> CodecError {
    CodecError(.corruptData, codec: GLZ.codec,
               detail: "glz reference of \(length) pixels at pixel \(start) runs past the \(gross)-pixel image \(distance) back")
}
