import SpiceCanvas
import SpiceWire

/// What the session asks the I/O tier to do, in order.
public enum SessionAction: Equatable, Sendable {
    /// Open a new connection for this channel, then call `Session.connected(_:now:)`.
    case connect(ChannelID)
    /// Write these bytes to the channel's connection.
    case send(ChannelID, [UInt8])
    /// Close the channel's connection (after writing what was queued for it).
    case close(ChannelID)
    /// Tell the application something.
    case event(SessionEvent)
}

/// Something the application may want to know or show.
public enum SessionEvent: Equatable, Sendable {
    /// The channel finished its handshake and is in the data phase.
    case channelLinked(ChannelID, LinkInfo)
    /// `MAIN_INIT` arrived: the session exists on the server.
    case sessionStarted(MainInit)
    /// `CHANNELS_LIST` arrived; the supported ones are being linked.
    case channelsListed([ChannelID])
    /// A listed channel this client does not implement; it is not linked.
    case channelSkipped(ChannelID, reason: String)
    /// The mouse mode changed (`SPICE_MOUSE_MODE_*` flags).
    case mouseMode(supported: UInt16, current: UInt16)
    /// The guest agent appeared or went away, or its token count changed.
    case agent(connected: Bool, tokens: UInt32)
    /// `MAIN_NAME` / `MAIN_UUID`.
    case vmName(String)
    case vmUUID([UInt8])
    /// A `NOTIFY` from the server.
    case notify(ChannelID, Notify)
    /// The server announced it is closing the channel (`DISCONNECTING`).
    case serverDisconnecting(ChannelID, reason: UInt32)
    /// A message the session saw but does not act on (migration, an unknown id, …).
    case ignored(ChannelID, type: UInt16, reason: String)
    /// A display channel's primary surface was created (or destroyed: width and height 0). The
    /// surface from `Session.primarySurface(of:)` is valid until the next such event.
    case displayPrimary(ChannelID, width: Int, height: Int)
    /// The primary surface was drawn on; `Session.takeDamage(of:)` returns where. Sent once until
    /// the damage is taken.
    case displayDamaged(ChannelID)
    /// `MARK`: the primary surface has valid content to show.
    case displayMarked(ChannelID)
    /// `MONITORS_CONFIG`: the heads the display channel shows.
    case displayMonitors(ChannelID, [Head])
    /// The guest's lock-key LEDs, from the inputs channel's `INIT` and on every change (`KEY_MODIFIERS`).
    case keyboardModifiers(ChannelID, KeyboardModifiers)
    /// The cursor's shape changed (`INIT`, `SET`, `RESET`); nil means the client's default cursor
    /// (`RESET`, or a cursor with no shape of its own). `Session.cursor(of:)` has it too.
    case cursorShape(ChannelID, CursorShape?)
    /// The cursor's hot spot is now at (`x`, `y`) in display pixels (`INIT`, `SET`, `MOVE`).
    case cursorPosition(ChannelID, x: Int, y: Int)
    /// The cursor was shown or hidden (`INIT`, `SET`, `HIDE`).
    case cursorVisible(ChannelID, Bool)
    /// A cursor shape could not be used (over the size limit, an unknown type, data of the wrong size, a
    /// cache id never sent): the previous shape stays, and the channel goes on.
    case cursorRejected(ChannelID, SpiceWireError)
    /// A playback or record stream started (`START`) in this format: playback audio in it is in
    /// `Session.playbackBuffer`, and captured audio is expected in it in `Session.captureBuffer`.
    case audioStarted(ChannelID, AudioStreamFormat)
    /// The playback or record stream stopped (`STOP`).
    case audioStopped(ChannelID)
    /// The guest's volume per channel (0…65535), for the application's sink or source.
    case audioVolume(ChannelID, [UInt16])
    case audioMute(ChannelID, Bool)
    /// An audio message was dropped (an Opus packet libopus refused, data without a stream, a format
    /// this client does not play, a length over its limit); the channel goes on.
    case audioRejected(ChannelID, SpiceWireError)
    /// The channel is closed: after an error, by the server, or by `disconnect()`.
    case channelClosed(ChannelID, SessionError?)
    /// The main channel is gone, so the session is over; every other channel is closed too.
    case sessionEnded(SessionError?)
}

/// Where a channel is in its life.
public enum ChannelStatus: Equatable, Sendable, CustomStringConvertible {
    case connecting
    case linking
    case linked
    /// Closed; the error says why, or nil for a polite close.
    case closed(SessionError?)

    public var description: String {
        switch self {
        case .connecting: "connecting"
        case .linking: "linking"
        case .linked: "linked"
        case .closed(nil): "closed"
        case .closed(let error?): "closed (\(error.detail))"
        }
    }
}
