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
    /// Inputs handed to the session while it still holds this many waiting (spaced keys and clicks):
    /// beyond it they stay in this queue, which is the one that refuses what it cannot hold.
    static let sessionBacklog = 64
}

/// The inputs waiting for the poll loop, in order, with motion coalesced at the tail.
struct InputQueue: Sendable {
    private var events: [InputEvent] = []
    /// Index of the first event not taken yet; the array is compacted once half of it is taken.
    private var head = 0

    var count: Int { self.events.count - self.head }

    /// Appends `event`, folding it into the last entry when both are motion (deltas summed, saturating)
    /// or both are positions on the same display (the newer wins). Returns false when there is no room:
    /// `maxQueuedInputs` entries for everything, plus `releaseReserve` for releases.
    mutating func push(_ event: InputEvent) -> Bool {
        if self.count > 0 {
            switch (self.events[self.events.count - 1], event) {
            case (.mouseMotion(let dx, let dy), .mouseMotion(let ndx, let ndy)):
                self.events[self.events.count - 1] = .mouseMotion(dx: dx.addingSaturating(ndx), dy: dy.addingSaturating(ndy))
                return true
            case (.mousePosition(_, _, let display), .mousePosition(_, _, let newDisplay)) where display == newDisplay:
                self.events[self.events.count - 1] = event
                return true
            default:
                break
            }
        }
        let room = InputQueueLimits.maxQueuedInputs + (event.isRelease ? InputQueueLimits.releaseReserve : 0)
        guard self.count < room else { return false }
        self.events.append(event)
        return true
    }

    /// Removes and returns the oldest input.
    mutating func popFirst() -> InputEvent? {
        guard self.head < self.events.count else { return nil }
        let event = self.events[self.head]
        self.head += 1
        if self.head == self.events.count {
            self.events.removeAll(keepingCapacity: true)
            self.head = 0
        } else if self.head > 1024 && self.head * 2 > self.events.count {
            self.events.removeFirst(self.head)
            self.head = 0
        }
        return event
    }

    mutating func removeAll() {
        self.events.removeAll()
        self.head = 0
    }
}

extension Int32 {
    /// `self + other`, held at `Int32.min`/`Int32.max` instead of overflowing.
    func addingSaturating(_ other: Int32) -> Int32 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }
}

// MARK: - The thread-safe sender

/// The thread-safe part of `SpiceClient` (`client.inputs`): queues inputs from any thread and wakes the
/// poll loop, which sends them in order, with motion pacing, once the inputs channel is linked. Hand
/// it to the threads that produce input (an Android UI thread, a JNI callback); everything else of the
/// client stays on the polling thread.
public final class InputSender: Sendable {
    private let state = Mutex(InputQueueState())
    private let wakePipe: WakePipe

    init(wakePipe: WakePipe) { self.wakePipe = wakePipe }

    /// Queues `input` and wakes the poll loop. Safe from any thread.
    ///
    /// When the queue is full (`InputQueueLimits`) the input is refused with `.inputQueueFull` rather
    /// than dropped or made to wait: the caller may be a UI thread, which must not block (and blocking
    /// the polling thread itself would never end), and a press the application knows was refused cannot
    /// become a stuck key. Releases have a reserve of their own, so the release of an accepted press is
    /// accepted too. Once the session has ended, inputs are refused with `.sessionEnded`.
    public func send(_ input: InputEvent) throws(SpiceClientError) {
        let accepted = self.state.withLock { state -> Bool? in
            guard !state.closed else { return nil }
            let pushed = state.queue.push(input)
            state.highWater = max(state.highWater, state.queue.count)
            return pushed
        }
        switch accepted {
        case true?:
            self.wakePipe.wake()
        case false?:
            throw SpiceClientError(.inputQueueFull, "the input queue is full (\(InputQueueLimits.maxQueuedInputs) inputs wait for the poll loop); \(input) was not queued")
        case nil:
            throw SpiceClientError(.sessionEnded, "the session has ended; \(input) was not sent")
        }
    }

    /// Inputs waiting for the poll loop now.
    public var queuedCount: Int { self.state.withLock { $0.queue.count } }

    /// The most inputs that ever waited at once, to show the queue stayed bounded.
    public var maxQueuedCount: Int { self.state.withLock { $0.highWater } }

    /// Removes and returns the oldest queued input (polling thread).
    func popFirst() -> InputEvent? { self.state.withLock { $0.queue.popFirst() } }

    /// Drops what waits and refuses everything from now on (the session has ended).
    func close() {
        self.state.withLock { state in
            state.closed = true
            state.queue.removeAll()
        }
    }
}

/// What the input mutex guards.
struct InputQueueState: Sendable {
    var queue = InputQueue()
    /// Set once the session has ended: nothing is accepted any more.
    var closed = false
    var highWater = 0
}

// MARK: - Draining on the polling thread

extension SpiceClient {
    /// Queues `input` (the same as `inputs.send(_:)`).
    public func send(_ input: InputEvent) throws(SpiceClientError) { try self.inputs.send(input) }

    /// Hands every queued input to the session once the inputs channel is linked; until then they wait.
    /// Called by `poll` (and `disconnect`) on the polling thread.
    func drainInputs() {
        if self.session.ended {
            self.inputs.close()
            return
        }
        guard self.session.inputsReady else { return }
        // The session spaces keys and clicks for the guest; what it cannot send yet it keeps. It is handed
        // no more than a small backlog, so the bound that matters (and refuses inputs) is this queue's.
        while self.session.inputsBacklog < InputQueueLimits.sessionBacklog, let input = self.inputs.popFirst() {
            let now = monotonicMilliseconds()
            let actions: [SessionAction]
            switch input {
            case .keyDown(let key): actions = self.session.keyDown(key, now: now)
            case .keyUp(let key): actions = self.session.keyUp(key, now: now)
            case .keyPressAndRelease(let key): actions = self.session.keyPressAndRelease(key, now: now)
            case .keyboardLocks(let locks): actions = self.session.setKeyboardLocks(locks, now: now)
            case .mousePosition(let x, let y, let display): actions = self.session.mousePosition(x: x, y: y, display: display, now: now)
            case .mouseMotion(let dx, let dy): actions = self.session.mouseMotion(dx: dx, dy: dy, now: now)
            case .mouseButton(let button, let pressed): actions = self.session.mouseButton(button, pressed: pressed, now: now)
            case .mouseWheel(let clicks): actions = self.session.mouseWheel(clicks, now: now)
            case .releaseAll: actions = self.session.releaseAllKeys(now: now)
            }
            self.perform(actions)
        }
    }
}
