/// Rectangles and points in surface pixels.
///
/// Rectangles are half-open like SPICE's `Rect`: `right` and `bottom` are exclusive, so the width is
/// `right - left`. The wire order (top, left, bottom, right) is the wire tier's business; here the
/// fields are named.
public struct CanvasRect: Hashable, Sendable, CustomStringConvertible {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.init(left: x, top: y, right: x + width, bottom: y + height)
    }

    public var width: Int { self.right - self.left }
    public var height: Int { self.bottom - self.top }
    public var isEmpty: Bool { self.right <= self.left || self.bottom <= self.top }
    public var area: Int { self.isEmpty ? 0 : self.width * self.height }

    /// The overlap of two rectangles (empty when they do not meet).
    public func intersection(_ other: CanvasRect) -> CanvasRect {
        CanvasRect(left: max(self.left, other.left), top: max(self.top, other.top),
                   right: min(self.right, other.right), bottom: min(self.bottom, other.bottom))
    }

    /// The smallest rectangle holding both (an empty one contributes nothing).
    public func union(_ other: CanvasRect) -> CanvasRect {
        if self.isEmpty { return other }
        if other.isEmpty { return self }
        return CanvasRect(left: min(self.left, other.left), top: min(self.top, other.top),
                          right: max(self.right, other.right), bottom: max(self.bottom, other.bottom))
    }

    public func contains(_ other: CanvasRect) -> Bool {
        other.isEmpty || (other.left >= self.left && other.top >= self.top && other.right <= self.right && other.bottom <= self.bottom)
    }

    public func offsetBy(dx: Int, dy: Int) -> CanvasRect {
        CanvasRect(left: self.left + dx, top: self.top + dy, right: self.right + dx, bottom: self.bottom + dy)
    }

    public var description: String { "(\(self.left),\(self.top))-(\(self.right),\(self.bottom))" }
}

/// A point in surface pixels.
public struct CanvasPoint: Hashable, Sendable {
    public var x: Int
    public var y: Int

    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}
