import SpiceCanvas
import SpiceWire

/// The guest's cursor as the cursor channel last described it: what the application draws (in server
/// mouse mode at `x`, `y`; in client mode the local pointer is there already).
public struct CursorInfo: Equatable, Sendable {
    /// Nil: the client's default cursor (before any shape, after `RESET`, or a cursor without a shape).
    public var shape: CursorShape?
    /// Where the hot spot is, in display pixels.
    public var x = 0
    public var y = 0
    public var visible = false
    /// `TRAIL`: how many trailing images to draw and how often (0, 0 for none). Kept for completeness;
    /// no current server sends a trail.
    public var trailLength: UInt16 = 0
    public var trailFrequency: UInt16 = 0

    public init() {}
}

/// Counters for one cursor channel, for `--stats` and for tests that must know which paths ran.
public struct CursorStatistics: Equatable, Sendable {
    /// Shapes decoded, by `SPICE_CURSOR_TYPE_*`.
    public var shapesDecoded: [UInt8: UInt64] = [:]
    /// Shapes taken from the cache (`FROM_CACHE`).
    public var cacheHits: UInt64 = 0
    /// Shapes put in the cache (`CACHE_ME`).
    public var cacheAdds: UInt64 = 0
    /// Shapes refused (`SessionEvent.cursorRejected`).
    public var rejected: UInt64 = 0
    public var moves: UInt64 = 0

    public init() {}
}

/// The limits the cursor channel holds the server to, besides the wire tier's.
public enum CursorLimits {
    /// Shapes the cursor cache keeps at most. spice-server tracks 256 shapes per client
    /// (`CLIENT_CURSOR_CACHE_SIZE`) and invalidates before it would exceed them, so a conforming server
    /// never reaches this; past it, the oldest shape is dropped (a later `FROM_CACHE` for it is refused).
    public static let maxCachedShapes = 1024
    /// Bytes of decoded pixels the cache keeps at most: 256 shapes of 128×128, or 32 of the largest
    /// (512×512). Past it the oldest shapes are dropped, as above.
    public static let maxCachedBytes = 32 * 1024 * 1024
}

/// The state of one cursor channel: the cursor and the shapes the server asked to keep.
final class CursorChannelState {
    var info = CursorInfo()
    var cache: [UInt64: CursorShape] = [:]
    /// Cache ids in the order they were added, oldest first.
    var cacheOrder: [UInt64] = []
    var cacheBytes = 0
    var statistics = CursorStatistics()

    func remember(_ id: UInt64, _ shape: CursorShape) {
        self.forget(id)
        self.cache[id] = shape
        self.cacheOrder.append(id)
        self.cacheBytes += shape.pixels.count
        while self.cacheOrder.count > CursorLimits.maxCachedShapes || self.cacheBytes > CursorLimits.maxCachedBytes {
            self.forget(self.cacheOrder[0])
        }
    }

    func forget(_ id: UInt64) {
        guard let shape = self.cache.removeValue(forKey: id) else { return }
        self.cacheBytes -= shape.pixels.count
        self.cacheOrder.removeAll { $0 == id }
    }

    func forgetAll() {
        self.cache.removeAll()
        self.cacheOrder.removeAll()
        self.cacheBytes = 0
    }
}

// MARK: - Queries for the application

extension Session {
    /// The cursor a cursor channel last described, or nil before the channel has its state.
    public func cursor(of channel: ChannelID) -> CursorInfo? { self.channels[channel]?.cursor?.info }

    public func cursorStatistics(of channel: ChannelID) -> CursorStatistics? { self.channels[channel]?.cursor?.statistics }

    /// How many shapes a cursor channel's cache holds now.
    public func cachedCursorCount(of channel: ChannelID) -> Int { self.channels[channel]?.cursor?.cache.count ?? 0 }
}

// MARK: - Handling cursor messages

extension Session {
    func handleCursor(type: UInt16, body: [UInt8], on channel: ChannelID, _ actions: inout [SessionAction]) throws(SpiceWireError) {
        guard let message = try CursorServerMessage.parse(type: type, body: body) else {
            actions.append(.event(.ignored(channel, type: type, reason: "unknown cursor message")))
            return
        }
        let state: CursorChannelState
        if let existing = self.channels[channel]?.cursor {
            state = existing
        } else {
            state = CursorChannelState()
            self.channels[channel]?.cursor = state
        }
        switch message {
        case .`init`(let position, let trailLength, let trailFrequency, let visible, let cursor):
            // A new channel starts with nothing cached, as spice-gtk's INIT handler makes sure of.
            state.forgetAll()
            state.info.trailLength = trailLength
            state.info.trailFrequency = trailFrequency
            self.setCursor(cursor, position: position, visible: visible, message: "INIT", state, channel, &actions)
        case .set(let position, let visible, let cursor):
            self.setCursor(cursor, position: position, visible: visible, message: "SET", state, channel, &actions)
        case .reset:
            state.forgetAll()
            state.info.shape = nil
            actions.append(.event(.cursorShape(channel, nil)))
        case .move(let position):
            state.statistics.moves += 1
            state.info.x = Int(position.x)
            state.info.y = Int(position.y)
            actions.append(.event(.cursorPosition(channel, x: state.info.x, y: state.info.y)))
        case .hide:
            state.info.visible = false
            actions.append(.event(.cursorVisible(channel, false)))
        case .trail(let length, let frequency):
            state.info.trailLength = length
            state.info.trailFrequency = frequency
        case .invalOne(let id):
            state.forget(id)
        case .invalAll:
            state.forgetAll()
        }
    }

    /// Applies the cursor, position and visibility of `INIT` or `SET`. A shape that cannot be used is
    /// reported and the previous one stays; the position and visibility still apply.
    private func setCursor(_ cursor: Cursor, position: SpicePoint16, visible: Bool, message: String,
                           _ state: CursorChannelState, _ channel: ChannelID, _ actions: inout [SessionAction]) {
        do throws(SpiceWireError) {
            let shape = try self.resolveShape(cursor, message: message, state)
            state.info.shape = shape
            actions.append(.event(.cursorShape(channel, shape)))
        } catch {
            state.statistics.rejected += 1
            actions.append(.event(.cursorRejected(channel, error)))
        }
        state.info.x = Int(position.x)
        state.info.y = Int(position.y)
        state.info.visible = visible
        actions.append(.event(.cursorPosition(channel, x: state.info.x, y: state.info.y)))
        actions.append(.event(.cursorVisible(channel, visible)))
    }

    /// The shape `cursor` stands for: nil for `NONE`, the cached one for `FROM_CACHE`, else its own data
    /// decoded (and cached with `CACHE_ME`).
    private func resolveShape(_ cursor: Cursor, message: String, _ state: CursorChannelState) throws(SpiceWireError) -> CursorShape? {
        guard !cursor.flags.contains(.none), let header = cursor.header else { return nil }
        if cursor.flags.contains(.fromCache) {
            guard let shape = state.cache[header.unique] else {
                throw SpiceWireError(.badValue, channel: "cursor", message: message, field: "cursor.header.unique",
                                     detail: "cursor 0x\(String(header.unique, radix: 16)) is not in the cache (never sent with CACHE_ME, or invalidated)")
            }
            state.statistics.cacheHits += 1
            return shape
        }
        let (checked, type) = try cursor.checkedShape(message: message)
        guard let shape = CursorShape(encoding: type.encoding, width: Int(checked.width), height: Int(checked.height),
                                      hotSpotX: Int(checked.hotSpotX), hotSpotY: Int(checked.hotSpotY), data: cursor.data) else {
            // checkedShape already holds the dimensions and the data size to what the decoder accepts.
            throw SpiceWireError(.badValue, channel: "cursor", message: message, field: "cursor.data",
                                 detail: "the \(checked.width)x\(checked.height) \(type) cursor could not be decoded")
        }
        state.statistics.shapesDecoded[type.rawValue, default: 0] += 1
        if cursor.flags.contains(.cacheMe) {
            state.remember(checked.unique, shape)
            state.statistics.cacheAdds += 1
        }
        return shape
    }
}

extension CursorType {
    /// The canvas's name for this encoding.
    var encoding: CursorEncoding {
        switch self {
        case .alpha: .alpha
        case .mono: .mono
        case .color4: .color4
        case .color8: .color8
        case .color16: .color16
        case .color24: .color24
        case .color32: .color32
        }
    }
}
