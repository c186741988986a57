import SpiceCanvas
import SpiceCodecs
import SpiceWire

/// Counters for one display channel, for `--stats` and for tests that must know which paths ran.
public struct DisplayStatistics: Equatable, Sendable {
    /// Draw and surface messages by display message id.
    public var commands: [UInt16: UInt64] = [:]
    /// Images by `SPICE_IMAGE_TYPE_*`.
    public var images: [UInt8: UInt64] = [:]
    /// Images that could not be drawn because their encoding is not decoded yet, by type.
    public var undecodedImages: [UInt8: UInt64] = [:]
    public var cacheHits: UInt64 = 0

    public init() {}
}

/// The limits the display channel holds the server to, besides the wire tier's.
public enum DisplayLimits {
    /// Surfaces one display channel may have at once (QXL devices offer 1024).
    public static let maxSurfaces = 1024
    /// Pixels in all surfaces of one display channel together (256 MiB of 32-bit pixels).
    public static let maxTotalSurfacePixels = 64 * 1024 * 1024
    /// Palettes one display channel may cache.
    public static let maxCachedPalettes = 4096
    /// Pixels the shared image cache may hold: twice what `DISPLAY_INIT` announces, since the server
    /// budgets against the announced size and sends `INVAL_*` before it would exceed it.
    public static let maxCachedImagePixels = Int(Session.pixmapCachePixels) * 2
}

/// The state of one display channel: its surfaces, palettes and damage.
final class DisplayState {
    var surfaces: [UInt32: Surface] = [:]
    var surfacePixels = 0
    var primaryID: UInt32?
    var palettes: [UInt64: [UInt32]] = [:]
    var damage = DamageRegion()
    /// Whether the application has been told about damage it has not taken yet.
    var damageAnnounced = false
    var monitors: [Head] = []
    var marked = false
    var statistics = DisplayStatistics()
    /// QUIC's model and row state, reused from image to image on this channel.
    lazy var quicDecoder = QUICDecoder()
}

/// Decoded images the server asked the client to keep (`CACHE_ME`), shared by every display channel
/// of the session, evicted only when the server says so (`INVAL_LIST`, `INVAL_ALL_PIXMAPS`).
final class ImageCache {
    struct Entry {
        var surface: Surface
        var lossy: Bool
    }

    private(set) var entries: [UInt64: Entry] = [:]
    private(set) var pixels = 0

    func put(_ id: UInt64, _ surface: Surface, lossy: Bool) -> Bool {
        let old = self.entries[id].map { $0.surface.width * $0.surface.height } ?? 0
        let added = surface.width * surface.height
        guard self.pixels - old + added <= DisplayLimits.maxCachedImagePixels else { return false }
        self.entries[id] = Entry(surface: surface, lossy: lossy)
        self.pixels += added - old
        return true
    }

    func remove(_ id: UInt64) {
        guard let entry = self.entries.removeValue(forKey: id) else { return }
        self.pixels -= entry.surface.width * entry.surface.height
    }

    func removeAll() {
        self.entries.removeAll()
        self.pixels = 0
    }
}

// MARK: - Queries for the application

extension Session {
    /// The primary surface of a display channel: what the user sees. Valid until the next event that
    /// reports a new or destroyed primary surface for that channel.
    public func primarySurface(of channel: ChannelID) -> Surface? {
        guard let display = self.channels[channel]?.display, let id = display.primaryID else { return nil }
        return display.surfaces[id]
    }

    /// The parts of the primary surface drawn since the last call, coalesced.
    public func takeDamage(of channel: ChannelID) -> [CanvasRect] {
        guard let display = self.channels[channel]?.display else { return [] }
        display.damageAnnounced = false
        return display.damage.take()
    }

    public func displayStatistics(of channel: ChannelID) -> DisplayStatistics? {
        self.channels[channel]?.display?.statistics
    }

    /// The monitors the server last described for a display channel (`MONITORS_CONFIG`).
    public func monitors(of channel: ChannelID) -> [Head] {
        self.channels[channel]?.display?.monitors ?? []
    }
}

// MARK: - Handling display messages

extension Session {
    func handleDisplay(type: UInt16, body: [UInt8], on channel: ChannelID, now: UInt64, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard let display = self.channels[channel]?.display else { return }
        guard let message = try DisplayServerMessage.parse(type: type, body: body) else {
            actions.append(.event(.ignored(channel, type: type, reason: "unknown display message")))
            return
        }
        display.statistics.commands[type, default: 0] += 1
        let context = DrawContext(session: self, display: display, type: type)
        switch message {
        case .surfaceCreate(let create):
            try context.createSurface(create, channel: channel, &actions)
        case .surfaceDestroy(let id):
            try context.destroySurface(id, channel: channel, &actions)
        case .mark:
            display.marked = true
            actions.append(.event(.displayMarked(channel)))
        case .reset:
            // The primary surface is cleared and must be drawn (and marked) again.
            display.palettes.removeAll()
            display.marked = false
            if let id = display.primaryID, let primary = display.surfaces[id] {
                context.damage(id, primary.blackness(primary.bounds))
            }
        case .mode(let width, let height, _):
            // Servers from before surfaces describe the primary this way; it becomes surface 0.
            try context.createSurface(SurfaceCreate(surfaceID: 0, width: width, height: height, format: 32, flags: 1),
                                      channel: channel, &actions)
        case .invalList(let ids):
            for resource in ids { self.imageCache.remove(resource.id) }
        case .invalAllPixmaps:
            // One display channel has nothing to wait for; with several, each handles its own stream
            // in order, so clearing now matches what the server expects after its wait list.
            self.imageCache.removeAll()
        case .invalPalette(let id):
            display.palettes.removeValue(forKey: id)
        case .invalAllPalettes:
            display.palettes.removeAll()
        case .monitorsConfig(let heads, _):
            display.monitors = heads
            actions.append(.event(.displayMonitors(channel, heads)))
        case .copyBits(let base, let source):
            let surface = try context.surface(base.surfaceID, "surface_id")
            let box = try context.box(base, on: surface)
            let touched = surface.copyBits(from: CanvasPoint(x: Int(source.x), y: Int(source.y)), to: box, clip: try context.clip(base.clip, on: surface))
            context.damage(base.surfaceID, touched)
        case .drawFill(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            let touched = surface.fill(box, clip: try context.clip(draw.base.clip, on: surface), brush: try context.brush(draw.brush, for: surface),
                         ropd: context.ropd(draw.ropd), mask: try context.mask(draw.mask))
            context.damage(draw.base.surfaceID, touched)
        case .drawCopy(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let touched = surface.copy(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                         ropd: context.ropd(draw.ropd), scaleMode: context.scaleMode(draw.scaleMode),
                         mask: try context.mask(draw.mask))
            context.damage(draw.base.surfaceID, touched)
        case .drawBlend(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let touched = surface.blend(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                          ropd: context.ropd(draw.ropd), scaleMode: context.scaleMode(draw.scaleMode),
                          mask: try context.mask(draw.mask))
            context.damage(draw.base.surfaceID, touched)
        case .drawOpaque(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let touched = surface.opaque(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                           brush: try context.brush(draw.brush, for: surface), ropd: context.ropd(draw.ropd),
                           scaleMode: context.scaleMode(draw.scaleMode), mask: try context.mask(draw.mask))
            context.damage(draw.base.surfaceID, touched)
        case .drawBlackness(let draw), .drawWhiteness(let draw), .drawInvers(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            let clip = try context.clip(draw.base.clip, on: surface)
            let mask = try context.mask(draw.mask)
            let touched: CanvasRect
            switch message {
            case .drawBlackness: touched = surface.blackness(box, clip: clip, mask: mask)
            case .drawWhiteness: touched = surface.whiteness(box, clip: clip, mask: mask)
            default: touched = surface.invers(box, clip: clip, mask: mask)
            }
            context.damage(draw.base.surfaceID, touched)
        case .drawRop3(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let touched = surface.rop3(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                         brush: try context.brush(draw.brush, for: surface), rop3: draw.rop3, scaleMode: context.scaleMode(draw.scaleMode),
                         mask: try context.mask(draw.mask))
            context.damage(draw.base.surfaceID, touched)
        case .drawTransparent(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let touched = surface.transparent(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                                transparentColor: Color(spiceColor: draw.srcColor, format: source.format))
            context.damage(draw.base.surfaceID, touched)
        case .drawAlphaBlend(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            // SPICE_ALPHA_FLAGS_SRC_SURFACE_HAS_ALPHA = 2: the source's own alpha takes part.
            let touched = surface.alphaBlend(from: source, sourceArea: context.rect(draw.srcArea), to: box, clip: try context.clip(draw.base.clip, on: surface),
                               alpha: draw.alpha, sourceHasAlpha: draw.alphaFlags & 2 != 0, scaleMode: .interpolate)
            context.damage(draw.base.surfaceID, touched)
        case .drawStroke(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            let path = draw.path.segments.map { segment in
                SpiceCanvas.PathSegment(flags: .init(rawValue: segment.flags),
                                        points: segment.points.map { CanvasPointFixed(x: $0.x, y: $0.y) })
            }
            let style = draw.attr.flags & LineFlags.styled != 0
                ? LineStyle(segments: draw.attr.style, startsWithGap: draw.attr.flags & LineFlags.startWithGap != 0) : nil
            let touched = surface.stroke(path: path, box: box, clip: try context.clip(draw.base.clip, on: surface),
                                         brush: try context.brush(draw.brush, for: surface),
                                         foreMode: SpiceCanvas.Ropd(rawValue: draw.foreMode), style: style)
            context.damage(draw.base.surfaceID, touched)
        case .drawText(let draw):
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let depth = draw.string.bitsPerPixel else {
                throw context.error(.badValue, "str", "glyphs must have exactly one of the A1, A4 and A8 depths")
            }
            let glyphs = draw.string.glyphs.map { glyph in
                SpiceCanvas.RasterGlyph(renderPosition: CanvasPoint(x: Int(glyph.renderPos.x), y: Int(glyph.renderPos.y)),
                                        glyphOrigin: CanvasPoint(x: Int(glyph.glyphOrigin.x), y: Int(glyph.glyphOrigin.y)),
                                        width: Int(glyph.width), height: Int(glyph.height), data: Array(glyph.data))
            }
            let touched = surface.text(box, clip: try context.clip(draw.base.clip, on: surface), glyphs: glyphs, bitsPerPixel: depth,
                                       topDown: draw.string.flags & StringFlags.rasterTopDown != 0,
                                       foreBrush: try context.brush(draw.foreBrush, for: surface),
                                       backBrush: try context.brush(draw.backBrush, for: surface), backArea: context.rect(draw.backArea),
                                       foreMode: SpiceCanvas.Ropd(rawValue: draw.foreMode), backMode: SpiceCanvas.Ropd(rawValue: draw.backMode))
            context.damage(draw.base.surfaceID, touched)
        case .drawComposite(let draw):
            // COMPOSITE and A8_SURFACE are not advertised (transforms and filters are not rendered),
            // so a server should not send this; one that does gets it drawn without transforms.
            guard draw.srcTransform == nil, draw.maskTransform == nil,
                  let op = CompositeOperator(rawValue: UInt8(draw.flags & CompositeFlags.operatorMask)) else {
                actions.append(.event(.ignored(channel, type: type, reason: "composite with a transform or unknown operator")))
                return
            }
            let surface = try context.surface(draw.base.surfaceID, "surface_id")
            let box = try context.box(draw.base, on: surface)
            guard let source = try context.image(draw.src, target: surface, "src_bitmap") else { return }
            let mask = try draw.mask.flatMap { (ref) throws(SpiceWireError) -> Surface? in try context.image(ref, target: nil, "mask_bitmap") }
            let touched = surface.composite(op, source: source, sourceOrigin: CanvasPoint(x: Int(draw.srcOrigin.x), y: Int(draw.srcOrigin.y)),
                                            mask: mask, maskOrigin: CanvasPoint(x: Int(draw.maskOrigin.x), y: Int(draw.maskOrigin.y)),
                                            to: box, clip: try context.clip(draw.base.clip, on: surface),
                                            sourceOpaque: draw.flags & CompositeFlags.sourceOpaque != 0,
                                            destinationOpaque: draw.flags & CompositeFlags.destOpaque != 0)
            context.damage(draw.base.surfaceID, touched)
        case .streamCreate, .streamData, .streamDataSized, .streamClip, .streamDestroy, .streamDestroyAll, .streamActivateReport:
            // Video streams are not advertised (no codec capability), so servers should not send them.
            actions.append(.event(.ignored(channel, type: type, reason: "video streams are not supported yet")))
        case .glScanoutUnix, .glDraw, .qualityIndicator:
            actions.append(.event(.ignored(channel, type: type, reason: "not advertised by this client")))
        }
        if !display.damage.isEmpty && !display.damageAnnounced {
            display.damageAnnounced = true
            actions.append(.event(.displayDamaged(channel)))
        }
    }
}

/// Helpers for one display message: resolve surfaces, images, brushes and clips, checking each
/// against the surface it applies to, and throwing errors that name the message and field.
struct DrawContext {
    let session: Session
    let display: DisplayState
    let type: UInt16

    func error(_ code: SpiceWireError.Code, _ field: String, _ detail: String) -> SpiceWireError {
        SpiceWireError(code, channel: "display", message: DisplayServerMessage.name(ofType: self.type), field: field, detail: detail)
    }

    func surface(_ id: UInt32, _ field: String) throws(SpiceWireError) -> Surface {
        guard let surface = self.display.surfaces[id] else {
            throw self.error(.badValue, field, "surface \(id) does not exist")
        }
        return surface
    }

    func rect(_ r: SpiceRect) -> CanvasRect {
        CanvasRect(left: Int(r.left), top: Int(r.top), right: Int(r.right), bottom: Int(r.bottom))
    }

    /// The destination box, which must lie inside its surface.
    func box(_ base: DisplayBase, on surface: Surface) throws(SpiceWireError) -> CanvasRect {
        let box = self.rect(base.box)
        guard box.left <= box.right, box.top <= box.bottom, surface.bounds.contains(box) else {
            throw self.error(.badValue, "box", "box \(box) is outside the \(surface.width)x\(surface.height) surface")
        }
        return box
    }

    func clip(_ clip: SpiceWire.Clip, on surface: Surface) throws(SpiceWireError) -> SpiceCanvas.Clip {
        switch clip {
        case .none:
            return .none
        case .rects(let rects):
            var result: [CanvasRect] = []
            result.reserveCapacity(rects.count)
            for r in rects {
                let rect = self.rect(r)
                guard rect.left <= rect.right, rect.top <= rect.bottom else {
                    throw self.error(.badValue, "clip", "clip rect \(rect) is inverted")
                }
                result.append(rect.intersection(surface.bounds))
            }
            return .rects(result)
        }
    }

    func scaleMode(_ value: UInt8) -> ScaleMode { value == 1 ? .nearest : .interpolate }

    func ropd(_ value: SpiceWire.Ropd) -> SpiceCanvas.Ropd { SpiceCanvas.Ropd(rawValue: value.rawValue) }

    func brush(_ brush: SpiceWire.Brush, for surface: Surface) throws(SpiceWireError) -> SpiceCanvas.Brush {
        switch brush {
        case .none:
            return .none
        case .solid(let color):
            return .solid(Color(spiceColor: color, format: surface.format))
        case .pattern(let image, let position):
            guard let pattern = try self.image(image, target: surface, "pat") else { return .none }
            return .pattern(pattern, origin: CanvasPoint(x: Int(position.x), y: Int(position.y)))
        }
    }

    func mask(_ mask: QMask) throws(SpiceWireError) -> SpiceCanvas.Mask? {
        guard let bitmap = mask.bitmap else { return nil }
        guard let surface = try self.image(bitmap, target: nil, "mask") else { return nil }
        return SpiceCanvas.Mask(surface: surface, origin: CanvasPoint(x: Int(mask.position.x), y: Int(mask.position.y)),
                                inverted: mask.flags & 1 != 0)
    }

    /// Finishes a draw on surface `id` that touched `box`: 16-bit surfaces are cut back to their
    /// depth, and the primary surface's damage is recorded for the application.
    func damage(_ id: UInt32, _ box: CanvasRect) {
        self.display.surfaces[id]?.quantizeToStoredDepth(box)
        guard id == self.display.primaryID else { return }
        self.display.damage.add(box)
    }

    /// Decodes (or finds) the image `ref` refers to. Nil means the image's encoding is not decoded
    /// yet: the draw is skipped and counted.
    func image(_ ref: ImageRef, target: Surface?, _ field: String) throws(SpiceWireError) -> Surface? {
        let descriptor = ref.descriptor
        self.display.statistics.images[descriptor.type, default: 0] += 1
        let decoded: Surface
        switch ref.data {
        case .fromCache, .fromCacheLossless:
            guard let entry = self.session.imageCache.entries[descriptor.id] else {
                throw self.error(.badValue, field, "image \(descriptor.id) was never cached")
            }
            if case .fromCacheLossless = ref.data, entry.lossy {
                throw self.error(.badValue, field, "image \(descriptor.id) is cached only in a lossy version")
            }
            self.display.statistics.cacheHits += 1
            return entry.surface
        case .surface(let id):
            return try self.surface(id, "surface_id")
        case .bitmap(let bitmap):
            decoded = try self.decodeBitmap(bitmap, descriptor: descriptor, target: target, field)
        case .lzRGB(let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                try self.session.lzDecoder.decodeImage(data, palette: nil, width: Int(descriptor.width), height: Int(descriptor.height))
            }
        case .lzPalette(let flags, let paletteRef, let data):
            let palette = try self.palette(paletteRef, flags: flags, field)
            decoded = try self.codec(field) { () throws(CodecError) in
                try self.session.lzDecoder.decodeImage(data, palette: palette, width: Int(descriptor.width), height: Int(descriptor.height))
            }
        case .glzRGB(let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                try GLZ.decodeImage(data, palette: nil, width: Int(descriptor.width), height: Int(descriptor.height), window: self.session.glzWindow)
            }
        case .zlibGlzRGB(let glzSize, let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                if self.session.zlibGLZDecoder == nil { self.session.zlibGLZDecoder = try ZlibGLZDecoder() }
                return try self.session.zlibGLZDecoder!.decodeImage(glzSize: glzSize, data: data, palette: nil, width: Int(descriptor.width),
                                                                    height: Int(descriptor.height), window: self.session.glzWindow)
            }
        case .lz4(let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                if self.session.lz4Decoder == nil { self.session.lz4Decoder = try LZ4ImageDecoder() }
                return try self.session.lz4Decoder!.decodeImage(data, width: Int(descriptor.width), height: Int(descriptor.height))
            }
        case .jpeg(let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                if self.session.jpegDecoder == nil { self.session.jpegDecoder = try JPEGImageDecoder() }
                return try self.session.jpegDecoder!.decodeImage(data, width: Int(descriptor.width), height: Int(descriptor.height))
            }
        case .jpegAlpha(let flags, let jpegSize, let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                if self.session.jpegDecoder == nil { self.session.jpegDecoder = try JPEGImageDecoder() }
                return try self.session.jpegDecoder!.decodeAlphaImage(flags: flags, jpegSize: Int(jpegSize), data, width: Int(descriptor.width),
                                                                      height: Int(descriptor.height), lz: self.session.lzDecoder)
            }
        case .quic(let data):
            decoded = try self.codec(field) { () throws(CodecError) in
                try self.display.quicDecoder.decodeImage(data, width: Int(descriptor.width), height: Int(descriptor.height))
            }
        }
        // JPEG and JPEG_ALPHA are lossy (`spice_image_descriptor_is_lossy`): cached as such, so that
        // FROM_CACHE_LOSSLESS refuses them, and never a replacement for a lossy entry.
        let lossy = descriptor.type == ImageType.jpeg || descriptor.type == ImageType.jpegAlpha
        if descriptor.flags & 0x4 != 0, lossy {
            throw self.error(.badValue, field, "lossy image \(descriptor.id) cannot replace a cached image (CACHE_REPLACE_ME)")
        }
        // CACHE_ME = 1, CACHE_REPLACE_ME = 4: keep the decoded image for later FROM_CACHE references.
        if descriptor.flags & 0x5 != 0 {
            guard self.session.imageCache.put(descriptor.id, decoded, lossy: lossy) else {
                throw self.error(.overLimit, field, "the image cache would exceed \(DisplayLimits.maxCachedImagePixels) pixels")
            }
        }
        return decoded
    }

    /// Runs a decoder, turning its error into one that names this message and field.
    private func codec(_ field: String, _ body: () throws(CodecError) -> Surface) throws(SpiceWireError) -> Surface {
        do throws(CodecError) {
            return try body()
        } catch {
            throw self.error(.badValue, field, "\(error)")
        }
    }

    /// The palette a paletted image refers to, caching it when the image asks (`PAL_CACHE_ME`).
    private func palette(_ ref: PaletteRef, flags: UInt8, _ field: String) throws(SpiceWireError) -> [UInt32] {
        switch ref {
        case .inline(let inline):
            if flags & 1 != 0 { try self.cachePalette(inline, field) }
            return inline.entries
        case .cached(let id):
            guard let cached = self.display.palettes[id] else {
                throw self.error(.badValue, field, "palette \(id) was never cached")
            }
            return cached
        }
    }

    private func cachePalette(_ palette: Palette, _ field: String) throws(SpiceWireError) {
        guard self.display.palettes.count < DisplayLimits.maxCachedPalettes || self.display.palettes[palette.unique] != nil else {
            throw self.error(.overLimit, field, "more than \(DisplayLimits.maxCachedPalettes) cached palettes")
        }
        self.display.palettes[palette.unique] = palette.entries
    }

    private func decodeBitmap(_ bitmap: SpiceWire.Bitmap, descriptor: ImageDescriptor, target: Surface?, _ field: String) throws(SpiceWireError) -> Surface {
        guard let format = SpiceCodecs.Bitmap.Format(rawValue: bitmap.format) else {
            throw self.error(.badValue, field, "unknown bitmap format \(bitmap.format)")
        }
        // PAL_CACHE_ME = 1 in the bitmap's flags: keep the palette for later PAL_FROM_CACHE references.
        let palette = try bitmap.palette.map { (ref) throws(SpiceWireError) in try self.palette(ref, flags: bitmap.flags, field) }
        let surfaceFormat: PixelFormat = format == .eightBitAlpha ? .a8 : (format == .rgba ? .argb32 : .xrgb32)
        guard let surface = Surface(width: Int(bitmap.width), height: Int(bitmap.height), format: surfaceFormat) else {
            throw self.error(.overLimit, field, "bitmap of \(bitmap.width)x\(bitmap.height) is over the surface limits")
        }
        // withUnsafeBytes does not keep a closure's typed error, so the outcome is carried out by hand.
        let outcome = bitmap.data.withUnsafeBytes { raw -> CodecError? in
            do throws(CodecError) {
                try SpiceCodecs.Bitmap.decode(format: format, width: Int(bitmap.width), height: Int(bitmap.height), stride: Int(bitmap.stride),
                                              topDown: bitmap.isTopDown, palette: palette, data: raw, into: surface,
                                              keepAlpha: format == .rgba)
                return nil
            } catch {
                return error
            }
        }
        if let outcome { throw self.error(.badValue, field, "\(outcome)") }
        return surface
    }

    func createSurface(_ create: SurfaceCreate, channel: ChannelID, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard let format = PixelFormat(spiceSurfaceFormat: create.format) else {
            throw self.error(.badValue, "format", "unknown surface format \(create.format)")
        }
        guard self.display.surfaces[create.surfaceID] == nil else {
            throw self.error(.badValue, "surface_id", "surface \(create.surfaceID) already exists")
        }
        guard self.display.surfaces.count < DisplayLimits.maxSurfaces else {
            throw self.error(.overLimit, "surface_id", "more than \(DisplayLimits.maxSurfaces) surfaces")
        }
        guard create.width > 0 else { throw self.error(.badValue, "width", "a surface cannot be 0 pixels wide") }
        guard create.height > 0 else { throw self.error(.badValue, "height", "a surface cannot be 0 pixels high") }
        guard create.width <= CanvasLimits.maxSurfaceDimension else {
            throw self.error(.overLimit, "width", "width \(create.width) is over the limit of \(CanvasLimits.maxSurfaceDimension)")
        }
        guard create.height <= CanvasLimits.maxSurfaceDimension else {
            throw self.error(.overLimit, "height", "height \(create.height) is over the limit of \(CanvasLimits.maxSurfaceDimension)")
        }
        let pixels = Int(create.width) * Int(create.height)
        guard pixels <= CanvasLimits.maxSurfacePixels else {
            throw self.error(.overLimit, "height", "a \(create.width)x\(create.height) surface is over the limit of \(CanvasLimits.maxSurfacePixels) pixels")
        }
        guard self.display.surfacePixels + pixels <= DisplayLimits.maxTotalSurfacePixels else {
            throw self.error(.overLimit, "width", "surfaces would total \(self.display.surfacePixels + pixels) pixels, over the limit of \(DisplayLimits.maxTotalSurfacePixels)")
        }
        guard let surface = Surface(width: Int(create.width), height: Int(create.height), format: format) else {
            throw self.error(.overLimit, "width", "a \(create.width)x\(create.height) surface cannot be created")
        }
        self.display.surfaces[create.surfaceID] = surface
        self.display.surfacePixels += pixels
        // SPICE_SURFACE_FLAGS_PRIMARY = 1; the field is a bitmask (STREAMING_MODE = 2 may be set too).
        if create.flags & 1 != 0 {
            self.display.primaryID = create.surfaceID
            self.display.damage = DamageRegion()
            self.display.damage.add(surface.bounds)
            actions.append(.event(.displayPrimary(channel, width: surface.width, height: surface.height)))
        }
    }

    func destroySurface(_ id: UInt32, channel: ChannelID, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard let surface = self.display.surfaces.removeValue(forKey: id) else {
            throw self.error(.badValue, "surface_id", "surface \(id) does not exist")
        }
        self.display.surfacePixels -= surface.width * surface.height
        if id == self.display.primaryID {
            self.display.primaryID = nil
            self.display.damage = DamageRegion()
            actions.append(.event(.displayPrimary(channel, width: 0, height: 0)))
        }
    }
}

