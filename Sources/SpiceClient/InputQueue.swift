import SpiceSession
import SpiceWire
import Synchronization

/// One input for the guest, as the application reports it (see the `Session` input calls for what
/// each does on the wire).
public enum InputEvent: Equatable, Sendable {
    case keyDown(XTScancode)
    case keyUp(XTScancode)
    /// A press and release in one message where the server allows it.
    case keyPressAndRelease(XTScancode)
    /// The Caps/Num/Scroll Lock state the guest should have.
    case keyboardLocks(KeyboardModifiers)
    /// An absolute position in display `display`'s pixels (client mouse mode).
    case mousePosition(x: UInt32, y: UInt32, display: UInt8)
    /// A relative motion (server mouse mode).
    case mouseMotion(dx: Int32, dy: Int32)
    case mouseButton(MouseButton, pressed: Bool)
    /// Wheel notches: positive away from the user.
    case mouseWheel(Int)
    /// Release every key and button still held (focus lost).
    case releaseAll

    /// Whether this input only lets go of something (it is accepted into the queue's reserve).
    var isRelease: Bool {
        switch self {
        case .keyUp, .releaseAll: true
        case .mouseButton(_, let pressed): !pressed
        case .keyDown, .keyPressAndRelease, .keyboardLocks, .mousePosition, .mouseMotion, .mouseWheel: false
        }
    }
}

/// The bounds of the input queue between the application's threads and the poll loop.
public enum InputQueueLimits {
    /// Inputs waiting for the poll loop at most. Motion never takes a new entry while the last one is
    /// motion of the same kind (it is folded into it), so only presses, releases and interleaved motion
    /// count; a user cannot type or click 4096 times between two polls.
    public static let maxQueuedInputs = 4096
    /// Extra entries only releases (key up, button up, release all) may use, so that a release is
    /// accepted even when presses filled the queue: a full queue can never leave a key stuck down.
    public static let releaseReserve = 1024
}

/// The inputs waiting for the poll loop, in order, with motion coalesced at the tail.
struct InputQueue {
    private(set) var events: [InputEvent] = []

    var count: Int { self.events.count }

    /// Appends `event`, folding it into the last entry when both are motion (deltas summed, saturating)
    /// or both are positions on the same display (the newer wins). Returns false when there is no room:
    /// `maxQueuedInputs` entries for everything, plus `releaseReserve` for releases.
    mutating func push(_ event: InputEvent) -> Bool {
        switch (self.events.last, event) {
        case (.mouseMotion(let dx, let dy)?, .mouseMotion(let ndx, let ndy)):
            self.events[self.events.count - 1] = .mouseMotion(dx: dx.addingSaturating(ndx), dy: dy.addingSaturating(ndy))
            return true
        case (.mousePosition(_, _, let display)?, .mousePosition(_, _, let newDisplay)) where display == newDisplay:
            self.events[self.events.count - 1] = event
            return true
        default:
            break
        }
        let room = InputQueueLimits.maxQueuedInputs + (event.isRelease ? InputQueueLimits.releaseReserve : 0)
        guard self.events.count < room else { return false }
        self.events.append(event)
        return true
    }

    /// Removes and returns every queued input.
    mutating func takeAll() -> [InputEvent] {
        defer { self.events.removeAll(keepingCapacity: true) }
        return self.events
    }

    mutating func removeAll() { self.events.removeAll() }
}

extension Int32 {
    /// `self + other`, held at `Int32.min`/`Int32.max` instead of overflowing.
    func addingSaturating(_ other: Int32) -> Int32 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

// MARK: - The client's input calls

extension SpiceClient {
    /// Queues `input` for the guest and wakes the poll loop, which sends it (in order, with motion
    /// pacing) once the inputs channel is linked. Safe from any thread.
    ///
    /// When the queue is full (`InputQueueLimits`) the input is refused with `.inputQueueFull` rather
    /// than dropped or made to wait: the caller may be the UI thread, which must not block, and a press
    /// the application knows was refused cannot become a stuck key. Releases have a reserve of their own,
    /// so the release of a press that was accepted is accepted too. After the session has ended,
    /// inputs are refused with `.sessionEnded`.
    public func send(_ input: InputEvent) throws(SpiceClientError) {
        let accepted = self.inputQueue.withLock { queue -> Bool? in
            guard !queue.closed else { return nil }
            let pushed = queue.queue.push(input)
            queue.highWater = max(queue.highWater, queue.queue.count)
            return pushed
        }
        switch accepted {
        case true?:
            self.wake()
        case false?:
            throw SpiceClientError(.inputQueueFull, "the input queue is full (\(InputQueueLimits.maxQueuedInputs) inputs wait for the poll loop); \(input) was not queued")
        case nil:
            throw SpiceClientError(.sessionEnded, "the session has ended; \(input) was not sent")
        }
    }

    /// Inputs waiting for the poll loop now.
    public var queuedInputCount: Int { self.inputQueue.withLock { $0.queue.count } }

    /// The most inputs that ever waited at once, to show the queue stayed bounded.
    public var maxQueuedInputCount: Int { self.inputQueue.withLock { $0.highWater } }

    /// Hands every queued input to the session once the inputs channel is linked; until then they wait.
    /// Called by `poll` on the polling thread.
    func drainInputs() {
        if self.session.ended {
            self.inputQueue.withLock { state in
                state.closed = true
                state.queue.removeAll()
            }
            return
        }
        guard self.session.inputsReady else { return }
        let batch = self.inputQueue.withLock { $0.queue.takeAll() }
        for input in batch {
            let actions: [SessionAction]
            switch input {
            case .keyDown(let key): actions = self.session.keyDown(key)
            case .keyUp(let key): actions = self.session.keyUp(key)
            case .keyPressAndRelease(let key): actions = self.session.keyPressAndRelease(key)
            case .keyboardLocks(let locks): actions = self.session.setKeyboardLocks(locks)
            case .mousePosition(let x, let y, let display): actions = self.session.mousePosition(x: x, y: y, display: display)
            case .mouseMotion(let dx, let dy): actions = self.session.mouseMotion(dx: dx, dy: dy)
            case .mouseButton(let button, let pressed): actions = self.session.mouseButton(button, pressed: pressed)
            case .mouseWheel(let clicks): actions = self.session.mouseWheel(clicks)
            case .releaseAll: actions = self.session.releaseAllKeys()
            }
            self.perform(actions)
        }
    }
}

/// What the input mutex guards.
struct InputQueueState {
    var queue = InputQueue()
    /// Set once the session has ended: nothing is accepted any more.
    var closed = false
    var highWater = 0
}
