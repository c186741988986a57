// The operands of SPICE draw commands (spice.proto `Clip`, `ropd`, `Brush`, `QMask`, `image_scale_mode`),
// in the form the raster operations on `Surface` take them.
//
// Every raster operation clips to the surface bounds ∩ its box ∩ the clip rectangles (∩ the mask), never
// touches a pixel outside that, and returns the bounding rectangle of the rectangles it drew into (the
// caller adds it to its `DamageRegion`; an empty rectangle means nothing was drawn).

/// SPICE `Clip`: the rectangles a draw command is restricted to, on top of its box.
///
/// The rectangles may overlap or arrive in any order: they are normalised into disjoint bands before
/// drawing, so a pixel covered by two of them is still drawn once (which matters for XOR and invert).
public enum Clip: Hashable, Sendable {
    /// Only the box limits the drawing.
    case none
    /// Drawing is restricted to the box ∩ the union of these rectangles.
    case rects([CanvasRect])
}

/// SPICE `ropd` (`SPICE_ROPD_*`): how a two-operand draw combines its source (or brush) with the destination.
///
/// The operand flags invert an operand before the combine; exactly one `op…` flag chooses the combine
/// (when several are set the first of PUT, OR, AND, XOR, BLACKNESS, WHITENESS, INVERS wins, and none
/// means PUT, as spice-common decides); `inversRes` inverts the result of PUT/OR/AND/XOR (it does not
/// apply to the three constant ops). Which flag inverts which operand depends on the command: in FILL
/// the brush is the source operand (`inversBrush`), in COPY/BLEND the image is (`inversSrc`), and in
/// OPAQUE the brush is combined with the just-copied image (`inversBrush` and `inversSrc`).
public struct Ropd: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let inversSrc = Ropd(rawValue: 0x1)
    public static let inversBrush = Ropd(rawValue: 0x2)
    public static let inversDest = Ropd(rawValue: 0x4)
    public static let opPut = Ropd(rawValue: 0x8)
    public static let opOr = Ropd(rawValue: 0x10)
    public static let opAnd = Ropd(rawValue: 0x20)
    public static let opXor = Ropd(rawValue: 0x40)
    public static let opBlackness = Ropd(rawValue: 0x80)
    public static let opWhiteness = Ropd(rawValue: 0x100)
    public static let opInvers = Ropd(rawValue: 0x200)
    public static let inversRes = Ropd(rawValue: 0x400)
}

/// SPICE `Brush`: what FILL, OPAQUE, ROP3, STROKE and TEXT paint with.
public enum Brush {
    /// No brush: spice-common still applies the raster op, with an all-zero colour (so, for example,
    /// an INVERS fill with no brush still inverts).
    case none
    /// One colour (for a 32-bit surface, as `Color(spiceColor:format:)` gives it).
    case solid(Color)
    /// A surface tiled over the destination so that its pixel (0, 0) lies on `origin` (in destination
    /// surface coordinates) and repeats every `width`/`height` pixels in both directions.
    case pattern(Surface, origin: CanvasPoint)
}

/// SPICE `QMask`: a one-bit mask that limits a draw command to some pixels of its box.
///
/// The mask pixel at `origin` lies on the box's top-left corner. A pixel of an `a1` or `a8` mask is set
/// when its byte is not zero; a pixel of a 32-bit mask is set when its R, G or B byte is not zero.
/// `inverted` draws where the mask is clear instead. Destination pixels that fall outside the mask
/// surface are never drawn, inverted or not (spice-common inverts only inside the mask image).
public struct Mask {
    public var surface: Surface
    public var origin: CanvasPoint
    public var inverted: Bool

    public init(surface: Surface, origin: CanvasPoint = CanvasPoint(x: 0, y: 0), inverted: Bool = false) {
        self.surface = surface
        self.origin = origin
        self.inverted = inverted
    }
}

/// SPICE `image_scale_mode`: how a source area is resampled when its size differs from the box.
public enum ScaleMode: Hashable, Sendable {
    /// Bilinear interpolation (spice-common uses pixman's GOOD filter).
    case interpolate
    /// The source pixel under each destination pixel's centre (pixman's NEAREST).
    case nearest

    /// `SPICE_IMAGE_SCALE_MODE_*`, or nil for values the protocol does not define.
    public init?(spiceValue: UInt8) {
        switch spiceValue {
        case 0: self = .interpolate
        case 1: self = .nearest
        default: return nil
        }
    }
}

/// A point in 28.4 fixed point (SPICE `PointFix`): the raw wire values, 16 units per pixel.
public struct CanvasPointFixed: Hashable, Sendable {
    public var x: Int32
    public var y: Int32

    public init(x: Int32, y: Int32) {
        self.x = x
        self.y = y
    }

    /// A point on whole pixels.
    public init(pixelX: Int, pixelY: Int) {
        self.init(x: Int32(truncatingIfNeeded: pixelX << 4), y: Int32(truncatingIfNeeded: pixelY << 4))
    }
}

/// One SPICE `PathSegment`: its flags and points, as STROKE receives them.
public struct PathSegment: Hashable, Sendable {
    /// `SPICE_PATH_*` flags.
    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Starts a new figure at the first point.
        public static let begin = Flags(rawValue: 1)
        /// Ends the figure after the last point.
        public static let end = Flags(rawValue: 2)
        /// With `end`: a line back to the figure's first point closes it.
        public static let close = Flags(rawValue: 8)
        /// The points (after a `begin` point) are cubic Bézier triples.
        public static let bezier = Flags(rawValue: 0x10)
    }

    public var flags: Flags
    public var points: [CanvasPointFixed]

    public init(flags: Flags, points: [CanvasPointFixed]) {
        self.flags = flags
        self.points = points
    }
}

/// SPICE `LineAttr` styling of a STROKE: dash lengths in 28.4 fixed point.
public struct LineStyle: Hashable, Sendable {
    /// Alternating dash and gap lengths (28.4 fixed point, rounded to whole pixels when drawn).
    public var segments: [Int32]
    /// The first length is a gap rather than a dash (`SPICE_LINE_FLAGS_START_WITH_GAP`).
    public var startsWithGap: Bool

    public init(segments: [Int32], startsWithGap: Bool = false) {
        self.segments = segments
        self.startsWithGap = startsWithGap
    }
}

/// One SPICE `RasterGlyph`: a glyph's coverage bitmap and where it goes.
public struct RasterGlyph: Hashable, Sendable {
    /// Where the string places the glyph (`render_pos`).
    public var renderPosition: CanvasPoint
    /// The offset from `renderPosition` to the bitmap's top-left corner (`glyph_origin`).
    public var glyphOrigin: CanvasPoint
    public var width: Int
    public var height: Int
    /// The rows of the bitmap: 1 bit per pixel most significant bit first, 4 bits per pixel high
    /// nibble first, or 8 bits per pixel; each row padded to a whole byte.
    public var data: [UInt8]

    public init(renderPosition: CanvasPoint, glyphOrigin: CanvasPoint, width: Int, height: Int, data: [UInt8]) {
        self.renderPosition = renderPosition
        self.glyphOrigin = glyphOrigin
        self.width = width
        self.height = height
        self.data = data
    }

    /// The rectangle the glyph's bitmap covers on the surface.
    public var box: CanvasRect {
        CanvasRect(x: self.renderPosition.x + self.glyphOrigin.x, y: self.renderPosition.y + self.glyphOrigin.y,
                   width: self.width, height: self.height)
    }
}
