/// Coalesced damage: the parts of a surface drawn since the last time they were taken.
///
/// Many small draws between two polls become a short list: a new rectangle merges with an existing
/// one when the merged rectangle wastes little area, and the list never grows past `maxRects`
/// (beyond that, everything collapses into one bounding rectangle).
public struct DamageRegion: Sendable {
    public static let maxRects = 32
    public private(set) var rects: [CanvasRect] = []

    public init() {}

    public var isEmpty: Bool { self.rects.isEmpty }

    public mutating func add(_ rect: CanvasRect) {
        guard !rect.isEmpty else { return }
        var merged = rect
        // Absorb every rectangle the new one overlaps or nearly covers, until nothing changes.
        var changed = true
        while changed {
            changed = false
            for (index, existing) in self.rects.enumerated() {
                let union = existing.union(merged)
                if !existing.intersection(merged).isEmpty || union.area <= existing.area + merged.area + merged.area / 4 {
                    merged = union
                    self.rects.remove(at: index)
                    changed = true
                    break
                }
            }
        }
        self.rects.append(merged)
        if self.rects.count > Self.maxRects {
            self.rects = [self.rects.reduce(CanvasRect(left: 0, top: 0, right: 0, bottom: 0)) { $0.union($1) }]
        }
    }

    /// Returns the damage and forgets it.
    public mutating func take() -> [CanvasRect] {
        defer { self.rects.removeAll(keepingCapacity: true) }
        return self.rects
    }
}
