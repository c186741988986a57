/// Display channel messages from the server (spice.proto `channel DisplayChannel`, `server:` part):
/// ids 101–108, 122–126 and 302–322. The sub-structures live in `DisplayTypes.swift`.

// MARK: - Draw commands

/// Reads a source image pointer that must not be null: every draw command that has one needs its source.
private func readSourcePointer(_ r: inout WireReader) throws(SpiceWireError) -> UInt32 {
    let offset = try r.readUInt32LE("src_bitmap")
    guard offset != 0 else { throw r.error(.badOffset, "src_bitmap", "the source image pointer is null") }
    return offset
}

/// spice.proto `Fill` (`DRAW_FILL`): `DisplayBase base; Brush brush; ropd rop_descriptor; QMask mask`.
public struct DrawFill: Equatable, Sendable {
    public var base: DisplayBase
    public var brush: Brush
    public var ropd: Ropd
    public var mask: QMask

    public init(base: DisplayBase, brush: Brush, ropd: Ropd = .opPut, mask: QMask = .none) {
        self.base = base
        self.brush = brush
        self.ropd = ropd
        self.mask = mask
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawFill {
        let base = try DisplayBase.read(&r)
        let brush = try Brush.read(&r)
        let ropd = Ropd(rawValue: try r.readUInt16LE("rop_descriptor"))
        let mask = try QMask.read(&r)
        var p = DisplayPointers(r)
        let result = DrawFill(base: base, brush: try Brush(brush, &p), ropd: ropd, mask: try QMask(mask, &p))
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        self.brush.write(&e)
        e.w.writeUInt16LE(self.ropd.rawValue)
        self.mask.write(&e)
    }
}

/// spice.proto `Opaque` (`DRAW_OPAQUE`): `DisplayBase base; Image *src_bitmap; Rect src_area; Brush brush;
/// ropd rop_descriptor; image_scale_mode scale_mode; QMask mask`.
public struct DrawOpaque: Equatable, Sendable {
    public var base: DisplayBase
    public var src: ImageRef
    public var srcArea: SpiceRect
    public var brush: Brush
    public var ropd: Ropd
    /// An `ImageScaleMode` value.
    public var scaleMode: UInt8
    public var mask: QMask

    public init(base: DisplayBase, src: ImageRef, srcArea: SpiceRect, brush: Brush, ropd: Ropd = .opPut,
                scaleMode: UInt8 = ImageScaleMode.interpolate, mask: QMask = .none) {
        self.base = base
        self.src = src
        self.srcArea = srcArea
        self.brush = brush
        self.ropd = ropd
        self.scaleMode = scaleMode
        self.mask = mask
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawOpaque {
        let base = try DisplayBase.read(&r)
        let src = try readSourcePointer(&r)
        let srcArea = try SpiceRect.read(&r, "src_area")
        let brush = try Brush.read(&r)
        let ropd = Ropd(rawValue: try r.readUInt16LE("rop_descriptor"))
        let scaleMode = try r.readUInt8("scale_mode")
        let mask = try QMask.read(&r)
        var p = DisplayPointers(r)
        let result = DrawOpaque(base: base, src: try ImageRef.read(at: src, "src_bitmap", &p), srcArea: srcArea,
                                brush: try Brush(brush, &p), ropd: ropd, scaleMode: scaleMode, mask: try QMask(mask, &p))
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let src = self.src
        e.pointer { src.write(&$0) }
        self.srcArea.write(&e.w)
        self.brush.write(&e)
        e.w.writeUInt16LE(self.ropd.rawValue)
        e.w.writeUInt8(self.scaleMode)
        self.mask.write(&e)
    }
}

/// spice.proto `Copy` (`DRAW_COPY`, and `DRAW_BLEND` through `@ctype(SpiceCopy)`): `DisplayBase base;
/// Image *src_bitmap; Rect src_area; ropd rop_descriptor; image_scale_mode scale_mode; QMask mask`.
public struct DrawCopy: Equatable, Sendable {
    public var base: DisplayBase
    /// The source image; a null pointer is refused.
    public var src: ImageRef
    /// The part of the source drawn into `base.box` (scaled when the sizes differ).
    public var srcArea: SpiceRect
    public var ropd: Ropd
    /// An `ImageScaleMode` value.
    public var scaleMode: UInt8
    public var mask: QMask

    public init(base: DisplayBase, src: ImageRef, srcArea: SpiceRect, ropd: Ropd = .opPut,
                scaleMode: UInt8 = ImageScaleMode.interpolate, mask: QMask = .none) {
        self.base = base
        self.src = src
        self.srcArea = srcArea
        self.ropd = ropd
        self.scaleMode = scaleMode
        self.mask = mask
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawCopy {
        let base = try DisplayBase.read(&r)
        let src = try readSourcePointer(&r)
        let srcArea = try SpiceRect.read(&r, "src_area")
        let ropd = Ropd(rawValue: try r.readUInt16LE("rop_descriptor"))
        let scaleMode = try r.readUInt8("scale_mode")
        let mask = try QMask.read(&r)
        var p = DisplayPointers(r)
        let result = DrawCopy(base: base, src: try ImageRef.read(at: src, "src_bitmap", &p), srcArea: srcArea,
                              ropd: ropd, scaleMode: scaleMode, mask: try QMask(mask, &p))
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let src = self.src
        e.pointer { src.write(&$0) }
        self.srcArea.write(&e.w)
        e.w.writeUInt16LE(self.ropd.rawValue)
        e.w.writeUInt8(self.scaleMode)
        self.mask.write(&e)
    }
}

/// spice.proto `Blend` (`DRAW_BLEND`): the same layout as `Copy`, which spice.proto reuses for it.
public typealias DrawBlend = DrawCopy

/// spice.proto `Blackness` (`DRAW_BLACKNESS`; `Whiteness` and `Invers` have the same layout):
/// `DisplayBase base; QMask mask`.
public struct DrawBlackness: Equatable, Sendable {
    public var base: DisplayBase
    public var mask: QMask

    public init(base: DisplayBase, mask: QMask = .none) {
        self.base = base
        self.mask = mask
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawBlackness {
        let base = try DisplayBase.read(&r)
        let mask = try QMask.read(&r)
        var p = DisplayPointers(r)
        let result = DrawBlackness(base: base, mask: try QMask(mask, &p))
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        self.mask.write(&e)
    }
}

/// spice.proto `Whiteness` (`DRAW_WHITENESS`): `DisplayBase base; QMask mask`.
public typealias DrawWhiteness = DrawBlackness
/// spice.proto `Invers` (`DRAW_INVERS`): `DisplayBase base; QMask mask`.
public typealias DrawInvers = DrawBlackness

/// spice.proto `Rop3` (`DRAW_ROP3`): `DisplayBase base; Image *src_bitmap; Rect src_area; Brush brush;
/// u8 rop3; image_scale_mode scale_mode; QMask mask`.
public struct DrawRop3: Equatable, Sendable {
    public var base: DisplayBase
    public var src: ImageRef
    public var srcArea: SpiceRect
    public var brush: Brush
    /// A Windows ternary raster operation over destination, source and brush.
    public var rop3: UInt8
    /// An `ImageScaleMode` value.
    public var scaleMode: UInt8
    public var mask: QMask

    public init(base: DisplayBase, src: ImageRef, srcArea: SpiceRect, brush: Brush, rop3: UInt8,
                scaleMode: UInt8 = ImageScaleMode.interpolate, mask: QMask = .none) {
        self.base = base
        self.src = src
        self.srcArea = srcArea
        self.brush = brush
        self.rop3 = rop3
        self.scaleMode = scaleMode
        self.mask = mask
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawRop3 {
        let base = try DisplayBase.read(&r)
        let src = try readSourcePointer(&r)
        let srcArea = try SpiceRect.read(&r, "src_area")
        let brush = try Brush.read(&r)
        let rop3 = try r.readUInt8("rop3")
        let scaleMode = try r.readUInt8("scale_mode")
        let mask = try QMask.read(&r)
        var p = DisplayPointers(r)
        let result = DrawRop3(base: base, src: try ImageRef.read(at: src, "src_bitmap", &p), srcArea: srcArea,
                              brush: try Brush(brush, &p), rop3: rop3, scaleMode: scaleMode, mask: try QMask(mask, &p))
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let src = self.src
        e.pointer { src.write(&$0) }
        self.srcArea.write(&e.w)
        self.brush.write(&e)
        e.w.writeUInt8(self.rop3)
        e.w.writeUInt8(self.scaleMode)
        self.mask.write(&e)
    }
}

/// spice.proto `Stroke` (`DRAW_STROKE`): `DisplayBase base; Path *path (non-null); LineAttr attr;
/// Brush brush; u16 fore_mode; u16 back_mode`.
public struct DrawStroke: Equatable, Sendable {
    public var base: DisplayBase
    public var path: Path
    public var attr: LineAttr
    public var brush: Brush
    /// ROP descriptors (`Ropd` bits) for the line and for the gaps of a styled line.
    public var foreMode: UInt16
    public var backMode: UInt16

    public init(base: DisplayBase, path: Path, attr: LineAttr, brush: Brush, foreMode: UInt16, backMode: UInt16) {
        self.base = base
        self.path = path
        self.attr = attr
        self.brush = brush
        self.foreMode = foreMode
        self.backMode = backMode
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawStroke {
        let base = try DisplayBase.read(&r)
        let pathOffset = try r.readUInt32LE("path")
        guard pathOffset != 0 else { throw r.error(.badOffset, "path", "the path pointer is null") }
        let attr = try LineAttr.read(&r)
        let brush = try Brush.read(&r)
        let foreMode = try r.readUInt16LE("fore_mode")
        let backMode = try r.readUInt16LE("back_mode")
        var p = DisplayPointers(r)
        var pathReader = try p.target(pathOffset, "path")
        let path = try Path.read(&pathReader)
        p.reached(pathReader)
        let result = DrawStroke(base: base, path: path, attr: try LineAttr(attr, &p), brush: try Brush(brush, &p),
                                foreMode: foreMode, backMode: backMode)
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let path = self.path
        e.pointer { path.write(&$0.w) }
        self.attr.write(&e)
        self.brush.write(&e)
        e.w.writeUInt16LE(self.foreMode)
        e.w.writeUInt16LE(self.backMode)
    }
}

/// spice.proto `Text` (`DRAW_TEXT`): `DisplayBase base; String *str (non-null); Rect back_area;
/// Brush fore_brush; Brush back_brush; u16 fore_mode; u16 back_mode`.
public struct DrawText: Equatable, Sendable {
    public var base: DisplayBase
    public var string: SpiceString
    /// The rect filled with `backBrush` before the glyphs are drawn (an empty rect for none).
    public var backArea: SpiceRect
    public var foreBrush: Brush
    public var backBrush: Brush
    public var foreMode: UInt16
    public var backMode: UInt16

    public init(base: DisplayBase, string: SpiceString, backArea: SpiceRect, foreBrush: Brush, backBrush: Brush,
                foreMode: UInt16, backMode: UInt16) {
        self.base = base
        self.string = string
        self.backArea = backArea
        self.foreBrush = foreBrush
        self.backBrush = backBrush
        self.foreMode = foreMode
        self.backMode = backMode
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawText {
        let base = try DisplayBase.read(&r)
        let stringOffset = try r.readUInt32LE("str")
        guard stringOffset != 0 else { throw r.error(.badOffset, "str", "the string pointer is null") }
        let backArea = try SpiceRect.read(&r, "back_area")
        let foreBrush = try Brush.read(&r)
        let backBrush = try Brush.read(&r)
        let foreMode = try r.readUInt16LE("fore_mode")
        let backMode = try r.readUInt16LE("back_mode")
        var p = DisplayPointers(r)
        var stringReader = try p.target(stringOffset, "str")
        let string = try SpiceString.read(&stringReader)
        p.reached(stringReader)
        let result = DrawText(base: base, string: string, backArea: backArea, foreBrush: try Brush(foreBrush, &p),
                              backBrush: try Brush(backBrush, &p), foreMode: foreMode, backMode: backMode)
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let string = self.string
        e.pointer { string.write(&$0.w) }
        self.backArea.write(&e.w)
        self.foreBrush.write(&e)
        self.backBrush.write(&e)
        e.w.writeUInt16LE(self.foreMode)
        e.w.writeUInt16LE(self.backMode)
    }
}

/// spice.proto `Transparent` (`DRAW_TRANSPARENT`): `DisplayBase base; Image *src_bitmap; Rect src_area;
/// u32 src_color; u32 true_color`.
public struct DrawTransparent: Equatable, Sendable {
    public var base: DisplayBase
    public var src: ImageRef
    public var srcArea: SpiceRect
    /// The colour key: source pixels of this colour are not drawn.
    public var srcColor: UInt32
    public var trueColor: UInt32

    public init(base: DisplayBase, src: ImageRef, srcArea: SpiceRect, srcColor: UInt32, trueColor: UInt32) {
        self.base = base
        self.src = src
        self.srcArea = srcArea
        self.srcColor = srcColor
        self.trueColor = trueColor
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawTransparent {
        let base = try DisplayBase.read(&r)
        let src = try readSourcePointer(&r)
        let srcArea = try SpiceRect.read(&r, "src_area")
        let srcColor = try r.readUInt32LE("src_color")
        let trueColor = try r.readUInt32LE("true_color")
        var p = DisplayPointers(r)
        let result = DrawTransparent(base: base, src: try ImageRef.read(at: src, "src_bitmap", &p), srcArea: srcArea,
                                     srcColor: srcColor, trueColor: trueColor)
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        let src = self.src
        e.pointer { src.write(&$0) }
        self.srcArea.write(&e.w)
        e.w.writeUInt32LE(self.srcColor)
        e.w.writeUInt32LE(self.trueColor)
    }
}

/// spice.proto `AlphaBlend` (`DRAW_ALPHA_BLEND`): `DisplayBase base; alpha_flags alpha_flags; u8 alpha;
/// Image *src_bitmap; Rect src_area`.
public struct DrawAlphaBlend: Equatable, Sendable {
    public var base: DisplayBase
    /// `AlphaFlags` bits.
    public var alphaFlags: UInt8
    /// The global alpha, 255 = opaque.
    public var alpha: UInt8
    public var src: ImageRef
    public var srcArea: SpiceRect

    public init(base: DisplayBase, alphaFlags: UInt8, alpha: UInt8, src: ImageRef, srcArea: SpiceRect) {
        self.base = base
        self.alphaFlags = alphaFlags
        self.alpha = alpha
        self.src = src
        self.srcArea = srcArea
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawAlphaBlend {
        let base = try DisplayBase.read(&r)
        let alphaFlags = try r.readUInt8("alpha_flags")
        let alpha = try r.readUInt8("alpha")
        let src = try readSourcePointer(&r)
        let srcArea = try SpiceRect.read(&r, "src_area")
        var p = DisplayPointers(r)
        let result = DrawAlphaBlend(base: base, alphaFlags: alphaFlags, alpha: alpha,
                                    src: try ImageRef.read(at: src, "src_bitmap", &p), srcArea: srcArea)
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        e.w.writeUInt8(self.alphaFlags)
        e.w.writeUInt8(self.alpha)
        let src = self.src
        e.pointer { src.write(&$0) }
        self.srcArea.write(&e.w)
    }
}

/// spice.proto `Composite` (`DRAW_COMPOSITE`): `DisplayBase base; composite_flags flags; Image *src_bitmap;`
/// then `Image *mask_bitmap` if `HAS_MASK`, `Transform src_transform` if `HAS_SRC_TRANSFORM`,
/// `Transform mask_transform` if `HAS_MASK_TRANSFORM`; then `Point16 src_origin; Point16 mask_origin`.
///
/// `flags` decides which optional fields are on the wire: when encoding, a field whose flag is clear is
/// not written, and a flagged transform that is `nil` is written as zeros.
public struct DrawComposite: Equatable, Sendable {
    public var base: DisplayBase
    /// `CompositeFlags` bits; the low 8 bits are the pixman operator.
    public var flags: UInt32
    public var src: ImageRef
    /// The mask image: `nil` without `HAS_MASK`, or with it and a null pointer.
    public var mask: ImageRef?
    public var srcTransform: Transform?
    public var maskTransform: Transform?
    public var srcOrigin: SpicePoint16
    public var maskOrigin: SpicePoint16

    public init(base: DisplayBase, flags: UInt32, src: ImageRef, mask: ImageRef? = nil, srcTransform: Transform? = nil,
                maskTransform: Transform? = nil, srcOrigin: SpicePoint16 = .zero, maskOrigin: SpicePoint16 = .zero) {
        self.base = base
        self.flags = flags
        self.src = src
        self.mask = mask
        self.srcTransform = srcTransform
        self.maskTransform = maskTransform
        self.srcOrigin = srcOrigin
        self.maskOrigin = maskOrigin
    }

    static func read(_ r: inout WireReader) throws(SpiceWireError) -> DrawComposite {
        let base = try DisplayBase.read(&r)
        let flags = try r.readUInt32LE("flags")
        let src = try readSourcePointer(&r)
        let mask = flags & CompositeFlags.hasMask != 0 ? try r.readUInt32LE("mask_bitmap") : 0
        let srcTransform = flags & CompositeFlags.hasSrcTransform != 0 ? try Transform.read(&r, "src_transform") : nil
        let maskTransform = flags & CompositeFlags.hasMaskTransform != 0 ? try Transform.read(&r, "mask_transform") : nil
        let srcOrigin = try SpicePoint16.read(&r, "src_origin")
        let maskOrigin = try SpicePoint16.read(&r, "mask_origin")
        var p = DisplayPointers(r)
        let result = DrawComposite(
            base: base, flags: flags, src: try ImageRef.read(at: src, "src_bitmap", &p),
            mask: mask == 0 ? nil : try ImageRef.read(at: mask, "mask_bitmap", &p),
            srcTransform: srcTransform, maskTransform: maskTransform, srcOrigin: srcOrigin, maskOrigin: maskOrigin)
        try p.expectEnd()
        return result
    }

    func write(_ e: inout DisplayEncoder) {
        self.base.write(&e.w)
        e.w.writeUInt32LE(self.flags)
        let src = self.src
        e.pointer { src.write(&$0) }
        if self.flags & CompositeFlags.hasMask != 0 {
            e.optionalPointer(self.mask) { image, e in image.write(&e) }
        }
        if self.flags & CompositeFlags.hasSrcTransform != 0 { (self.srcTransform ?? .zero).write(&e.w) }
        if self.flags & CompositeFlags.hasMaskTransform != 0 { (self.maskTransform ?? .zero).write(&e.w) }
        self.srcOrigin.write(&e.w)
        self.maskOrigin.write(&e.w)
    }
}

// MARK: - Other message bodies

/// spice.proto `surface_fmt`: the value of `SurfaceCreate.format`.
public enum SurfaceFormat {
    public static let a1: UInt32 = 1
    public static let a8: UInt32 = 8
    public static let xrgb1555: UInt32 = 16
    public static let xrgb32: UInt32 = 32
    public static let rgb565: UInt32 = 80
    public static let argb32: UInt32 = 96
}

/// spice.proto `surface_flags`: the bits of `SurfaceCreate.flags`.
public enum SurfaceFlags {
    /// The surface shown to the user.
    public static let primary: UInt32 = 1
    /// A hint that the whole surface will arrive as one video stream.
    public static let streamingMode: UInt32 = 2
}

/// spice.proto `surface_create` (`SURFACE_CREATE`): `u32 surface_id, width, height; surface_fmt format;
/// surface_flags flags`.
public struct SurfaceCreate: Hashable, Sendable {
    public var surfaceID: UInt32
    public var width: UInt32
    public var height: UInt32
    /// A `SurfaceFormat` value, kept raw: the canvas decides which formats it supports.
    public var format: UInt32
    /// `SurfaceFlags` bits.
    public var flags: UInt32

    public init(surfaceID: UInt32, width: UInt32, height: UInt32, format: UInt32, flags: UInt32) {
        self.surfaceID = surfaceID
        self.width = width
        self.height = height
        self.format = format
        self.flags = flags
    }
}

/// spice.proto `stream_flags`.
public enum StreamFlags {
    public static let topDown: UInt8 = 1
}

/// spice.proto `video_codec_type`.
public enum VideoCodecType {
    public static let mjpeg: UInt8 = 1
    public static let vp8: UInt8 = 2
    public static let h264: UInt8 = 3
    public static let vp9: UInt8 = 4
    public static let h265: UInt8 = 5
}

/// spice.proto `stream_create` (`STREAM_CREATE`): `u32 surface_id; u32 id; u8 flags; u8 codec_type;
/// u64 stamp; u32 stream_width, stream_height, src_width, src_height; Rect dest; Clip clip`.
public struct StreamCreate: Equatable, Sendable {
    public var surfaceID: UInt32
    public var id: UInt32
    /// `StreamFlags` bits.
    public var flags: UInt8
    /// A `VideoCodecType` value.
    public var codecType: UInt8
    public var stamp: UInt64
    public var streamWidth: UInt32
    public var streamHeight: UInt32
    public var srcWidth: UInt32
    public var srcHeight: UInt32
    /// Where decoded frames are drawn on the surface.
    public var dest: SpiceRect
    public var clip: Clip

    public init(surfaceID: UInt32, id: UInt32, flags: UInt8, codecType: UInt8, stamp: UInt64, streamWidth: UInt32,
                streamHeight: UInt32, srcWidth: UInt32, srcHeight: UInt32, dest: SpiceRect, clip: Clip) {
        self.surfaceID = surfaceID
        self.id = id
        self.flags = flags
        self.codecType = codecType
        self.stamp = stamp
        self.streamWidth = streamWidth
        self.streamHeight = streamHeight
        self.srcWidth = srcWidth
        self.srcHeight = srcHeight
        self.dest = dest
        self.clip = clip
    }
}

/// spice.proto `stream_data` (`STREAM_DATA`): `StreamDataHeader {u32 id; u32 multi_media_time};
/// u32 data_size; u8 data[data_size]`, one encoded frame.
public struct StreamData: Equatable, Sendable {
    public var id: UInt32
    public var multiMediaTime: UInt32
    /// The encoded frame, a view of the message body.
    public var data: ArraySlice<UInt8>

    public init(id: UInt32, multiMediaTime: UInt32, data: ArraySlice<UInt8>) {
        self.id = id
        self.multiMediaTime = multiMediaTime
        self.data = data
    }
}

/// spice.proto `stream_data_sized` (`STREAM_DATA_SIZED`): `StreamDataHeader; u32 width, height;
/// Rect dest; u32 data_size; u8 data[data_size]`, a frame that carries its own size.
public struct StreamDataSized: Equatable, Sendable {
    public var id: UInt32
    public var multiMediaTime: UInt32
    public var width: UInt32
    public var height: UInt32
    public var dest: SpiceRect
    /// The encoded frame, a view of the message body.
    public var data: ArraySlice<UInt8>

    public init(id: UInt32, multiMediaTime: UInt32, width: UInt32, height: UInt32, dest: SpiceRect, data: ArraySlice<UInt8>) {
        self.id = id
        self.multiMediaTime = multiMediaTime
        self.width = width
        self.height = height
        self.dest = dest
        self.data = data
    }
}

/// spice.proto `stream_activate_report` (`STREAM_ACTIVATE_REPORT`): `u32 stream_id, unique_id,
/// max_window_size, timeout_ms`.
public struct StreamActivateReport: Hashable, Sendable {
    public var streamID: UInt32
    public var uniqueID: UInt32
    public var maxWindowSize: UInt32
    public var timeoutMS: UInt32

    public init(streamID: UInt32, uniqueID: UInt32, maxWindowSize: UInt32, timeoutMS: UInt32) {
        self.streamID = streamID
        self.uniqueID = uniqueID
        self.maxWindowSize = maxWindowSize
        self.timeoutMS = timeoutMS
    }
}

/// spice.proto `gl_scanout_flags`.
public enum GLScanoutFlags {
    public static let y0Top: UInt32 = 1
}

/// spice.proto `gl_scanout_unix` (`GL_SCANOUT_UNIX`): `unix_fd drm_dma_buf_fd; u32 width, height, stride,
/// drm_fourcc_format; gl_scanout_flags flags`. The fd takes no bytes in the body: it travels beside the
/// message (SCM_RIGHTS), so only the five words are here.
public struct GLScanoutUnix: Hashable, Sendable {
    public var width: UInt32
    public var height: UInt32
    public var stride: UInt32
    public var drmFourcc: UInt32
    /// `GLScanoutFlags` bits.
    public var flags: UInt32

    public init(width: UInt32, height: UInt32, stride: UInt32, drmFourcc: UInt32, flags: UInt32) {
        self.width = width
        self.height = height
        self.stride = stride
        self.drmFourcc = drmFourcc
        self.flags = flags
    }
}

/// spice.proto `gl_draw` (`GL_DRAW`): `u32 x, y, w, h`, answered with `GL_DRAW_DONE`.
public struct GLDraw: Hashable, Sendable {
    public var x: UInt32
    public var y: UInt32
    public var width: UInt32
    public var height: UInt32

    public init(x: UInt32, y: UInt32, width: UInt32, height: UInt32) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

// MARK: - The message

/// Display channel messages from the server (spice.proto `channel DisplayChannel`, `server:` part).
///
/// Image, bitmap, glyph and stream payloads are views (`ArraySlice`) of the body passed to `parse`, so a
/// parsed message keeps that body alive and nothing is copied.
public enum DisplayServerMessage: Equatable, Sendable {
    /// `MODE {x_res, y_res, bits}`: the primary's size on servers from before surfaces.
    case mode(xRes: UInt32, yRes: UInt32, bits: UInt32)
    /// `MARK`: the primary surface now has valid content.
    case mark
    /// `RESET`: clear the primary surface and the palette cache.
    case reset
    /// `COPY_BITS {DisplayBase base; Point src_pos}`: a blit within one surface from `srcPos` to `base.box`.
    case copyBits(base: DisplayBase, srcPos: SpicePoint)
    /// `INVAL_LIST`: drop these images from the image cache.
    case invalList([ResourceID])
    /// `INVAL_ALL_PIXMAPS`: wait for these channels, then clear the image cache.
    case invalAllPixmaps([WaitForChannel])
    /// `INVAL_PALETTE {id}`: drop one palette from the palette cache.
    case invalPalette(id: UInt64)
    case invalAllPalettes
    case streamCreate(StreamCreate)
    case streamData(StreamData)
    /// `STREAM_CLIP {id; Clip clip}`.
    case streamClip(id: UInt32, clip: Clip)
    case streamDestroy(id: UInt32)
    case streamDestroyAll
    case drawFill(DrawFill)
    case drawOpaque(DrawOpaque)
    case drawCopy(DrawCopy)
    case drawBlend(DrawBlend)
    case drawBlackness(DrawBlackness)
    case drawWhiteness(DrawWhiteness)
    case drawInvers(DrawInvers)
    case drawRop3(DrawRop3)
    case drawStroke(DrawStroke)
    case drawText(DrawText)
    case drawTransparent(DrawTransparent)
    case drawAlphaBlend(DrawAlphaBlend)
    case surfaceCreate(SurfaceCreate)
    case surfaceDestroy(surfaceID: UInt32)
    case streamDataSized(StreamDataSized)
    /// `MONITORS_CONFIG {u16 count; u16 max_allowed; Head heads[count]}`.
    case monitorsConfig(heads: [Head], maxAllowed: UInt16)
    case drawComposite(DrawComposite)
    case streamActivateReport(StreamActivateReport)
    case glScanoutUnix(GLScanoutUnix)
    case glDraw(GLDraw)
    /// `QUALITY_INDICATOR`: opaque data.
    case qualityIndicator([UInt8])

    /// The message type ids (`SPICE_MSG_DISPLAY_*`).
    public enum ID {
        public static let mode: UInt16 = 101
        public static let mark: UInt16 = 102
        public static let reset: UInt16 = 103
        public static let copyBits: UInt16 = 104
        public static let invalList: UInt16 = 105
        public static let invalAllPixmaps: UInt16 = 106
        public static let invalPalette: UInt16 = 107
        public static let invalAllPalettes: UInt16 = 108
        public static let streamCreate: UInt16 = 122
        public static let streamData: UInt16 = 123
        public static let streamClip: UInt16 = 124
        public static let streamDestroy: UInt16 = 125
        public static let streamDestroyAll: UInt16 = 126
        public static let drawFill: UInt16 = 302
        public static let drawOpaque: UInt16 = 303
        public static let drawCopy: UInt16 = 304
        public static let drawBlend: UInt16 = 305
        public static let drawBlackness: UInt16 = 306
        public static let drawWhiteness: UInt16 = 307
        public static let drawInvers: UInt16 = 308
        public static let drawRop3: UInt16 = 309
        public static let drawStroke: UInt16 = 310
        public static let drawText: UInt16 = 311
        public static let drawTransparent: UInt16 = 312
        public static let drawAlphaBlend: UInt16 = 313
        public static let surfaceCreate: UInt16 = 314
        public static let surfaceDestroy: UInt16 = 315
        public static let streamDataSized: UInt16 = 316
        public static let monitorsConfig: UInt16 = 317
        public static let drawComposite: UInt16 = 318
        public static let streamActivateReport: UInt16 = 319
        public static let glScanoutUnix: UInt16 = 320
        public static let glDraw: UInt16 = 321
        public static let qualityIndicator: UInt16 = 322
    }

    /// The message type id.
    public var type: UInt16 {
        switch self {
        case .mode: ID.mode
        case .mark: ID.mark
        case .reset: ID.reset
        case .copyBits: ID.copyBits
        case .invalList: ID.invalList
        case .invalAllPixmaps: ID.invalAllPixmaps
        case .invalPalette: ID.invalPalette
        case .invalAllPalettes: ID.invalAllPalettes
        case .streamCreate: ID.streamCreate
        case .streamData: ID.streamData
        case .streamClip: ID.streamClip
        case .streamDestroy: ID.streamDestroy
        case .streamDestroyAll: ID.streamDestroyAll
        case .drawFill: ID.drawFill
        case .drawOpaque: ID.drawOpaque
        case .drawCopy: ID.drawCopy
        case .drawBlend: ID.drawBlend
        case .drawBlackness: ID.drawBlackness
        case .drawWhiteness: ID.drawWhiteness
        case .drawInvers: ID.drawInvers
        case .drawRop3: ID.drawRop3
        case .drawStroke: ID.drawStroke
        case .drawText: ID.drawText
        case .drawTransparent: ID.drawTransparent
        case .drawAlphaBlend: ID.drawAlphaBlend
        case .surfaceCreate: ID.surfaceCreate
        case .surfaceDestroy: ID.surfaceDestroy
        case .streamDataSized: ID.streamDataSized
        case .monitorsConfig: ID.monitorsConfig
        case .drawComposite: ID.drawComposite
        case .streamActivateReport: ID.streamActivateReport
        case .glScanoutUnix: ID.glScanoutUnix
        case .glDraw: ID.glDraw
        case .qualityIndicator: ID.qualityIndicator
        }
    }

    /// The target of a draw command (`DRAW_*` and `COPY_BITS`); `nil` for every other message.
    public var drawBase: DisplayBase? {
        switch self {
        case .copyBits(let base, _): base
        case .drawFill(let m): m.base
        case .drawOpaque(let m): m.base
        case .drawCopy(let m), .drawBlend(let m): m.base
        case .drawBlackness(let m), .drawWhiteness(let m), .drawInvers(let m): m.base
        case .drawRop3(let m): m.base
        case .drawStroke(let m): m.base
        case .drawText(let m): m.base
        case .drawTransparent(let m): m.base
        case .drawAlphaBlend(let m): m.base
        case .drawComposite(let m): m.base
        case .mode, .mark, .reset, .invalList, .invalAllPixmaps, .invalPalette, .invalAllPalettes, .streamCreate,
             .streamData, .streamClip, .streamDestroy, .streamDestroyAll, .surfaceCreate, .surfaceDestroy,
             .streamDataSized, .monitorsConfig, .streamActivateReport, .glScanoutUnix, .glDraw, .qualityIndicator:
            nil
        }
    }

    /// Parses a display server message; `nil` when `type` is not a display server message id.
    public static func parse(type: UInt16, body: [UInt8]) throws(SpiceWireError) -> DisplayServerMessage? {
        var r = WireReader(body, channel: "display", message: "DISPLAY")
        let message: DisplayServerMessage
        switch type {
        case ID.mode:
            r.message = "MODE"
            let xRes = try r.readUInt32LE("x_res")
            let yRes = try r.readUInt32LE("y_res")
            _ = try r.check(xRes, limit: Limits.maxImageDimension, "x_res")
            _ = try r.check(yRes, limit: Limits.maxImageDimension, "y_res")
            message = .mode(xRes: xRes, yRes: yRes, bits: try r.readUInt32LE("bits"))
        case ID.mark:
            r.message = "MARK"
            message = .mark
        case ID.reset:
            r.message = "RESET"
            message = .reset
        case ID.copyBits:
            r.message = "COPY_BITS"
            let base = try DisplayBase.read(&r)
            message = .copyBits(base: base, srcPos: try SpicePoint.read(&r, "src_pos"))
        case ID.invalList:
            r.message = "INVAL_LIST"
            let count = try r.check(try r.readUInt16LE("count"), limit: Limits.maxInvalListResources, "count")
            var resources: [ResourceID] = []
            resources.reserveCapacity(min(count, r.remaining / 9))
            for _ in 0..<count {
                let type = try r.readUInt8("resources.type")
                resources.append(ResourceID(type: type, id: try r.readUInt64LE("resources.id")))
            }
            message = .invalList(resources)
        case ID.invalAllPixmaps:
            r.message = "INVAL_ALL_PIXMAPS"
            let count = try r.readUInt8("wait_count")
            var list: [WaitForChannel] = []
            list.reserveCapacity(Int(count))
            for _ in 0..<count {
                let channelType = try r.readUInt8("wait_list.channel_type")
                let channelID = try r.readUInt8("wait_list.channel_id")
                let serial = try r.readUInt64LE("wait_list.message_serial")
                list.append(WaitForChannel(channel: ChannelID(ChannelType(rawValue: channelType), channelID), serial: serial))
            }
            message = .invalAllPixmaps(list)
        case ID.invalPalette:
            r.message = "INVAL_PALETTE"
            message = .invalPalette(id: try r.readUInt64LE("id"))
        case ID.invalAllPalettes:
            r.message = "INVAL_ALL_PALETTES"
            message = .invalAllPalettes
        case ID.streamCreate:
            r.message = "STREAM_CREATE"
            let surfaceID = try r.readUInt32LE("surface_id")
            let id = try r.readUInt32LE("id")
            let flags = try r.readUInt8("flags")
            let codecType = try r.readUInt8("codec_type")
            let stamp = try r.readUInt64LE("stamp")
            let streamWidth = try r.readUInt32LE("stream_width")
            let streamHeight = try r.readUInt32LE("stream_height")
            try ImageRef.checkSize(r, width: streamWidth, height: streamHeight, "stream_width", "stream_height")
            let srcWidth = try r.readUInt32LE("src_width")
            let srcHeight = try r.readUInt32LE("src_height")
            try ImageRef.checkSize(r, width: srcWidth, height: srcHeight, "src_width", "src_height")
            let dest = try SpiceRect.read(&r, "dest")
            message = .streamCreate(StreamCreate(
                surfaceID: surfaceID, id: id, flags: flags, codecType: codecType, stamp: stamp, streamWidth: streamWidth,
                streamHeight: streamHeight, srcWidth: srcWidth, srcHeight: srcHeight, dest: dest, clip: try Clip.read(&r)))
        case ID.streamData:
            r.message = "STREAM_DATA"
            let id = try r.readUInt32LE("id")
            let time = try r.readUInt32LE("multi_media_time")
            let size = try r.readUInt32LE("data_size")
            message = .streamData(StreamData(id: id, multiMediaTime: time,
                                             data: try r.readSlice(Int(size), limit: Limits.maxMessageBodySize, "data")))
        case ID.streamClip:
            r.message = "STREAM_CLIP"
            let id = try r.readUInt32LE("id")
            message = .streamClip(id: id, clip: try Clip.read(&r))
        case ID.streamDestroy:
            r.message = "STREAM_DESTROY"
            message = .streamDestroy(id: try r.readUInt32LE("id"))
        case ID.streamDestroyAll:
            r.message = "STREAM_DESTROY_ALL"
            message = .streamDestroyAll
        // Draw commands may carry pointers, so each checks its own end: the last byte any pointed-to
        // structure reaches, not the end of the fixed part.
        case ID.drawFill:
            r.message = "DRAW_FILL"
            return .drawFill(try DrawFill.read(&r))
        case ID.drawOpaque:
            r.message = "DRAW_OPAQUE"
            return .drawOpaque(try DrawOpaque.read(&r))
        case ID.drawCopy:
            r.message = "DRAW_COPY"
            return .drawCopy(try DrawCopy.read(&r))
        case ID.drawBlend:
            r.message = "DRAW_BLEND"
            return .drawBlend(try DrawBlend.read(&r))
        case ID.drawBlackness:
            r.message = "DRAW_BLACKNESS"
            return .drawBlackness(try DrawBlackness.read(&r))
        case ID.drawWhiteness:
            r.message = "DRAW_WHITENESS"
            return .drawWhiteness(try DrawWhiteness.read(&r))
        case ID.drawInvers:
            r.message = "DRAW_INVERS"
            return .drawInvers(try DrawInvers.read(&r))
        case ID.drawRop3:
            r.message = "DRAW_ROP3"
            return .drawRop3(try DrawRop3.read(&r))
        case ID.drawStroke:
            r.message = "DRAW_STROKE"
            return .drawStroke(try DrawStroke.read(&r))
        case ID.drawText:
            r.message = "DRAW_TEXT"
            return .drawText(try DrawText.read(&r))
        case ID.drawTransparent:
            r.message = "DRAW_TRANSPARENT"
            return .drawTransparent(try DrawTransparent.read(&r))
        case ID.drawAlphaBlend:
            r.message = "DRAW_ALPHA_BLEND"
            return .drawAlphaBlend(try DrawAlphaBlend.read(&r))
        case ID.drawComposite:
            r.message = "DRAW_COMPOSITE"
            return .drawComposite(try DrawComposite.read(&r))
        case ID.surfaceCreate:
            r.message = "SURFACE_CREATE"
            let surfaceID = try r.readUInt32LE("surface_id")
            let width = try r.readUInt32LE("width")
            let height = try r.readUInt32LE("height")
            _ = try r.check(width, limit: Limits.maxImageDimension, "width")
            _ = try r.check(height, limit: Limits.maxImageDimension, "height")
            let format = try r.readUInt32LE("format")
            message = .surfaceCreate(SurfaceCreate(surfaceID: surfaceID, width: width, height: height, format: format,
                                                   flags: try r.readUInt32LE("flags")))
        case ID.surfaceDestroy:
            r.message = "SURFACE_DESTROY"
            message = .surfaceDestroy(surfaceID: try r.readUInt32LE("surface_id"))
        case ID.streamDataSized:
            r.message = "STREAM_DATA_SIZED"
            let id = try r.readUInt32LE("id")
            let time = try r.readUInt32LE("multi_media_time")
            let width = try r.readUInt32LE("width")
            let height = try r.readUInt32LE("height")
            try ImageRef.checkSize(r, width: width, height: height, "width", "height")
            let dest = try SpiceRect.read(&r, "dest")
            let size = try r.readUInt32LE("data_size")
            message = .streamDataSized(StreamDataSized(
                id: id, multiMediaTime: time, width: width, height: height, dest: dest,
                data: try r.readSlice(Int(size), limit: Limits.maxMessageBodySize, "data")))
        case ID.monitorsConfig:
            r.message = "MONITORS_CONFIG"
            let count = try r.check(try r.readUInt16LE("count"), limit: Limits.maxMonitors, "count")
            let maxAllowed = try r.readUInt16LE("max_allowed")
            var heads: [Head] = []
            heads.reserveCapacity(count)
            for _ in 0..<count {
                heads.append(Head(monitorID: try r.readUInt32LE("heads.monitor_id"), surfaceID: try r.readUInt32LE("heads.surface_id"),
                                  width: try r.readUInt32LE("heads.width"), height: try r.readUInt32LE("heads.height"),
                                  x: try r.readUInt32LE("heads.x"), y: try r.readUInt32LE("heads.y"),
                                  flags: try r.readUInt32LE("heads.flags")))
            }
            message = .monitorsConfig(heads: heads, maxAllowed: maxAllowed)
        case ID.streamActivateReport:
            r.message = "STREAM_ACTIVATE_REPORT"
            message = .streamActivateReport(StreamActivateReport(
                streamID: try r.readUInt32LE("stream_id"), uniqueID: try r.readUInt32LE("unique_id"),
                maxWindowSize: try r.readUInt32LE("max_window_size"), timeoutMS: try r.readUInt32LE("timeout_ms")))
        case ID.glScanoutUnix:
            r.message = "GL_SCANOUT_UNIX"
            message = .glScanoutUnix(GLScanoutUnix(
                width: try r.readUInt32LE("width"), height: try r.readUInt32LE("height"), stride: try r.readUInt32LE("stride"),
                drmFourcc: try r.readUInt32LE("drm_fourcc_format"), flags: try r.readUInt32LE("flags")))
        case ID.glDraw:
            r.message = "GL_DRAW"
            message = .glDraw(GLDraw(x: try r.readUInt32LE("x"), y: try r.readUInt32LE("y"),
                                     width: try r.readUInt32LE("w"), height: try r.readUInt32LE("h")))
        case ID.qualityIndicator:
            r.message = "QUALITY_INDICATOR"
            message = .qualityIndicator(try r.readRest(limit: Limits.maxMessageBodySize, "data"))
        default:
            return nil
        }
        try r.expectEnd()
        return message
    }

    /// The message body. Pointed-to structures are placed after the fixed part, in field order.
    public func encode() -> [UInt8] {
        var e = DisplayEncoder()
        switch self {
        case .mode(let xRes, let yRes, let bits):
            e.w.writeUInt32LE(xRes)
            e.w.writeUInt32LE(yRes)
            e.w.writeUInt32LE(bits)
        case .mark, .reset, .invalAllPalettes, .streamDestroyAll:
            break
        case .copyBits(let base, let srcPos):
            base.write(&e.w)
            srcPos.write(&e.w)
        case .invalList(let resources):
            e.w.writeUInt16LE(UInt16(resources.count))
            for resource in resources {
                e.w.writeUInt8(resource.type)
                e.w.writeUInt64LE(resource.id)
            }
        case .invalAllPixmaps(let list):
            e.w.writeUInt8(UInt8(list.count))
            for entry in list {
                e.w.writeUInt8(entry.channel.type.rawValue)
                e.w.writeUInt8(entry.channel.id)
                e.w.writeUInt64LE(entry.serial)
            }
        case .invalPalette(let id):
            e.w.writeUInt64LE(id)
        case .streamCreate(let m):
            e.w.writeUInt32LE(m.surfaceID)
            e.w.writeUInt32LE(m.id)
            e.w.writeUInt8(m.flags)
            e.w.writeUInt8(m.codecType)
            e.w.writeUInt64LE(m.stamp)
            e.w.writeUInt32LE(m.streamWidth)
            e.w.writeUInt32LE(m.streamHeight)
            e.w.writeUInt32LE(m.srcWidth)
            e.w.writeUInt32LE(m.srcHeight)
            m.dest.write(&e.w)
            m.clip.write(&e.w)
        case .streamData(let m):
            e.w.writeUInt32LE(m.id)
            e.w.writeUInt32LE(m.multiMediaTime)
            e.w.writeUInt32LE(UInt32(m.data.count))
            e.w.writeBytes(m.data)
        case .streamClip(let id, let clip):
            e.w.writeUInt32LE(id)
            clip.write(&e.w)
        case .streamDestroy(let id):
            e.w.writeUInt32LE(id)
        case .drawFill(let m): m.write(&e)
        case .drawOpaque(let m): m.write(&e)
        case .drawCopy(let m), .drawBlend(let m): m.write(&e)
        case .drawBlackness(let m), .drawWhiteness(let m), .drawInvers(let m): m.write(&e)
        case .drawRop3(let m): m.write(&e)
        case .drawStroke(let m): m.write(&e)
        case .drawText(let m): m.write(&e)
        case .drawTransparent(let m): m.write(&e)
        case .drawAlphaBlend(let m): m.write(&e)
        case .drawComposite(let m): m.write(&e)
        case .surfaceCreate(let m):
            e.w.writeUInt32LE(m.surfaceID)
            e.w.writeUInt32LE(m.width)
            e.w.writeUInt32LE(m.height)
            e.w.writeUInt32LE(m.format)
            e.w.writeUInt32LE(m.flags)
        case .surfaceDestroy(let surfaceID):
            e.w.writeUInt32LE(surfaceID)
        case .streamDataSized(let m):
            e.w.writeUInt32LE(m.id)
            e.w.writeUInt32LE(m.multiMediaTime)
            e.w.writeUInt32LE(m.width)
            e.w.writeUInt32LE(m.height)
            m.dest.write(&e.w)
            e.w.writeUInt32LE(UInt32(m.data.count))
            e.w.writeBytes(m.data)
        case .monitorsConfig(let heads, let maxAllowed):
            e.w.writeUInt16LE(UInt16(heads.count))
            e.w.writeUInt16LE(maxAllowed)
            for head in heads {
                for value in [head.monitorID, head.surfaceID, head.width, head.height, head.x, head.y, head.flags] {
                    e.w.writeUInt32LE(value)
                }
            }
        case .streamActivateReport(let m):
            e.w.writeUInt32LE(m.streamID)
            e.w.writeUInt32LE(m.uniqueID)
            e.w.writeUInt32LE(m.maxWindowSize)
            e.w.writeUInt32LE(m.timeoutMS)
        case .glScanoutUnix(let m):
            e.w.writeUInt32LE(m.width)
            e.w.writeUInt32LE(m.height)
            e.w.writeUInt32LE(m.stride)
            e.w.writeUInt32LE(m.drmFourcc)
            e.w.writeUInt32LE(m.flags)
        case .glDraw(let m):
            e.w.writeUInt32LE(m.x)
            e.w.writeUInt32LE(m.y)
            e.w.writeUInt32LE(m.width)
            e.w.writeUInt32LE(m.height)
        case .qualityIndicator(let data):
            e.w.writeBytes(data)
        }
        return e.finish()
    }
}

extension DisplayServerMessage {
    /// The spice.proto name of a display server message id ("DRAW_FILL", "SURFACE_CREATE", …), for
    /// errors and statistics; unknown ids are named by number.
    public static func name(ofType type: UInt16) -> String {
        switch type {
        case ID.mode: "MODE"
        case ID.mark: "MARK"
        case ID.reset: "RESET"
        case ID.copyBits: "COPY_BITS"
        case ID.invalList: "INVAL_LIST"
        case ID.invalAllPixmaps: "INVAL_ALL_PIXMAPS"
        case ID.invalPalette: "INVAL_PALETTE"
        case ID.invalAllPalettes: "INVAL_ALL_PALETTES"
        case ID.streamCreate: "STREAM_CREATE"
        case ID.streamData: "STREAM_DATA"
        case ID.streamClip: "STREAM_CLIP"
        case ID.streamDestroy: "STREAM_DESTROY"
        case ID.streamDestroyAll: "STREAM_DESTROY_ALL"
        case ID.drawFill: "DRAW_FILL"
        case ID.drawOpaque: "DRAW_OPAQUE"
        case ID.drawCopy: "DRAW_COPY"
        case ID.drawBlend: "DRAW_BLEND"
        case ID.drawBlackness: "DRAW_BLACKNESS"
        case ID.drawWhiteness: "DRAW_WHITENESS"
        case ID.drawInvers: "DRAW_INVERS"
        case ID.drawRop3: "DRAW_ROP3"
        case ID.drawStroke: "DRAW_STROKE"
        case ID.drawText: "DRAW_TEXT"
        case ID.drawTransparent: "DRAW_TRANSPARENT"
        case ID.drawAlphaBlend: "DRAW_ALPHA_BLEND"
        case ID.surfaceCreate: "SURFACE_CREATE"
        case ID.surfaceDestroy: "SURFACE_DESTROY"
        case ID.streamDataSized: "STREAM_DATA_SIZED"
        case ID.monitorsConfig: "MONITORS_CONFIG"
        case ID.drawComposite: "DRAW_COMPOSITE"
        case ID.streamActivateReport: "STREAM_ACTIVATE_REPORT"
        case ID.glScanoutUnix: "GL_SCANOUT_UNIX"
        case ID.glDraw: "GL_DRAW"
        case ID.qualityIndicator: "QUALITY_INDICATOR"
        default: "DISPLAY_\(type)"
        }
    }
}
