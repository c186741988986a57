#if canImport(Glibc)
import Glibc
#elseif canImport(Android)
import Android
#endif
import CSpiceClient
import SpiceCanvas
import SpiceClient
import SpiceSession
import SpiceWire

// The C ABI of spice_client.h (jni/native/include), one @_cdecl function per declaration. Each one
// checks its handle and arguments and reports failure through a status and spc_last_error; none traps.

@inline(__always)
private func handle(_ pointer: OpaquePointer?) -> CAPIClient? {
    guard let pointer else { return nil }
    return Unmanaged<CAPIClient>.fromOpaque(UnsafeRawPointer(pointer)).takeUnretainedValue()
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    return String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
}

/// Copies `text` into `buffer` like snprintf; returns its full length.
private func copyOut(_ text: String, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    let bytes = Array(text.utf8)
    if let buffer, size > 0 {
        let count = min(bytes.count, size - 1)
        bytes.withUnsafeBufferPointer { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress!, byteCount: count)
        }
        buffer[count] = 0
    }
    return Int32(clamping: bytes.count)
}

/// Runs `body` on a handle that may be configured, or returns the right status.
private func configure(_ pointer: OpaquePointer?, _ function: String, _ body: (CAPIClient) -> Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard client.configurable else { return client.fail(.state, "\(function): the client is already connected; configure before spc_connect") }
    return body(client)
}

private func configureString(_ pointer: OpaquePointer?, _ value: UnsafePointer<CChar>?, _ function: String,
                             _ body: (CAPIClient, String) -> Int32) -> Int32 {
    configure(pointer, function) { client in
        guard let text = string(value) else { return client.fail(.invalidArgument, "\(function): the string is NULL") }
        return body(client, text)
    }
}

private func configurePort(_ pointer: OpaquePointer?, _ port: Int32, _ function: String, _ body: (CAPIClient) -> Void) -> Int32 {
    configure(pointer, function) { client in
        guard (0...65535).contains(port) else { return client.fail(.invalidArgument, "\(function): port \(port) is outside 0...65535") }
        body(client)
        return Status.ok.rawValue
    }
}

// MARK: - Lifetime

@_cdecl("spc_api_version")
public func spcAPIVersion() -> Int32 { 2 }

@_cdecl("spc_create")
public func spcCreate() -> OpaquePointer? {
    OpaquePointer(Unmanaged.passRetained(CAPIClient()).toOpaque())
}

@_cdecl("spc_free")
public func spcFree(_ pointer: OpaquePointer?) {
    guard let pointer else { return }
    Unmanaged<CAPIClient>.fromOpaque(UnsafeRawPointer(pointer)).release()
}

// MARK: - Configuration

@_cdecl("spc_set_host")
public func spcSetHost(_ pointer: OpaquePointer?, _ value: UnsafePointer<CChar>?) -> Int32 {
    configureString(pointer, value, "spc_set_host") { client, text in
        guard !text.isEmpty, text.utf8.count <= 255 else { return client.fail(.invalidArgument, "spc_set_host: the host must be 1...255 bytes") }
        client.host = text
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_port")
public func spcSetPort(_ pointer: OpaquePointer?, _ port: Int32) -> Int32 {
    configurePort(pointer, port, "spc_set_port") { $0.port = port }
}

@_cdecl("spc_set_tls_port")
public func spcSetTLSPort(_ pointer: OpaquePointer?, _ port: Int32) -> Int32 {
    configurePort(pointer, port, "spc_set_tls_port") { $0.tlsPort = port }
}

@_cdecl("spc_set_password")
public func spcSetPassword(_ pointer: OpaquePointer?, _ value: UnsafePointer<CChar>?) -> Int32 {
    configureString(pointer, value, "spc_set_password") { client, text in
        client.password = text
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_ca_file")
public func spcSetCAFile(_ pointer: OpaquePointer?, _ value: UnsafePointer<CChar>?) -> Int32 {
    configureString(pointer, value, "spc_set_ca_file") { client, text in
        client.caFile = text
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_host_subject")
public func spcSetHostSubject(_ pointer: OpaquePointer?, _ value: UnsafePointer<CChar>?) -> Int32 {
    configureString(pointer, value, "spc_set_host_subject") { client, text in
        client.hostSubject = text
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_mouse_mode")
public func spcSetMouseMode(_ pointer: OpaquePointer?, _ mode: Int32) -> Int32 {
    configure(pointer, "spc_set_mouse_mode") { client in
        guard mode == Int32(MouseMode.server) || mode == Int32(MouseMode.client) else {
            return client.fail(.invalidArgument, "spc_set_mouse_mode: \(mode) is neither SPC_MOUSE_MODE_SERVER (1) nor SPC_MOUSE_MODE_CLIENT (2)")
        }
        client.mouseMode = mode
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_channels")
public func spcSetChannels(_ pointer: OpaquePointer?, _ mask: UInt32) -> Int32 {
    configure(pointer, "spc_set_channels") { client in
        guard mask & ~CAPIClient.allChannels == 0 else {
            return client.fail(.invalidArgument, "spc_set_channels: mask 0x\(String(mask, radix: 16)) has bits outside SPC_CHANNEL_*")
        }
        client.channels = mask
        return Status.ok.rawValue
    }
}

@_cdecl("spc_set_preferred_compression")
public func spcSetPreferredCompression(_ pointer: OpaquePointer?, _ compression: Int32) -> Int32 {
    configure(pointer, "spc_set_preferred_compression") { client in
        guard compression == -1 || (1...7).contains(compression) else {
            return client.fail(.invalidArgument, "spc_set_preferred_compression: \(compression) is not -1 or 1...7")
        }
        client.compression = compression
        return Status.ok.rawValue
    }
}

@_cdecl("spc_config_string")
public func spcConfigString(_ pointer: OpaquePointer?, _ which: Int32, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    switch which {
    case 0: return copyOut(client.host, buffer, size)
    case 1: return copyOut(client.caFile, buffer, size)
    case 2: return copyOut(client.hostSubject, buffer, size)
    default: return client.fail(.invalidArgument, "spc_config_string: \(which) is not 0 (host), 1 (CA file) or 2 (host subject)")
    }
}

@_cdecl("spc_config_int")
public func spcConfigInt(_ pointer: OpaquePointer?, _ which: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    switch which {
    case 0: return client.port
    case 1: return client.tlsPort
    case 2: return client.mouseMode
    case 3: return Int32(bitPattern: client.channels)
    case 4: return client.compression
    default: return client.fail(.invalidArgument, "spc_config_int: \(which) is not 0...4")
    }
}

// MARK: - Session

@_cdecl("spc_connect")
public func spcConnect(_ pointer: OpaquePointer?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.connect()
}

@_cdecl("spc_poll")
public func spcPoll(_ pointer: OpaquePointer?, _ timeout: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.poll(max(timeout, -1))
}

@_cdecl("spc_disconnect")
public func spcDisconnect(_ pointer: OpaquePointer?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.disconnect()
}

@_cdecl("spc_is_running")
public func spcIsRunning(_ pointer: OpaquePointer?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.client?.isRunning == true ? 1 : 0
}

@_cdecl("spc_mouse_mode")
public func spcMouseMode(_ pointer: OpaquePointer?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return Int32(client.client?.session.mouseMode.current ?? 0)
}

// MARK: - Frames and cursor

@_cdecl("spc_framebuffer")
public func spcFramebuffer(_ pointer: OpaquePointer?, _ info: UnsafeMutablePointer<spc_framebuffer_info>?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let info else { return client.fail(.invalidArgument, "spc_framebuffer: info is NULL") }
    guard let surface = client.surface else { return client.fail(.noFrame, "spc_framebuffer: no primary surface yet") }
    guard surface.format.storedBytesPerPixel == 4 else {
        return client.fail(.noFrame, "spc_framebuffer: the primary surface is \(surface.format), not a 32-bit colour format")
    }
    info.pointee = spc_framebuffer_info(pixels: surface.pixels.assumingMemoryBound(to: UInt8.self), width: Int32(surface.width),
                                        height: Int32(surface.height), stride: Int32(surface.stride), format: 1)
    return Status.ok.rawValue
}

@_cdecl("spc_take_dirty")
public func spcTakeDirty(_ pointer: OpaquePointer?, _ rects: UnsafeMutablePointer<spc_rect>?, _ max: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.takeDirty(rects, max)
}

@_cdecl("spc_cursor")
public func spcCursor(_ pointer: OpaquePointer?, _ info: UnsafeMutablePointer<spc_cursor_info>?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let info else { return client.fail(.invalidArgument, "spc_cursor: info is NULL") }
    guard let cursor = client.client?.session.cursor(of: CAPIClient.cursorChannel) else {
        return client.fail(.noFrame, "spc_cursor: the cursor channel has not described the cursor yet")
    }
    let shape = client.cursorShape
    info.pointee = spc_cursor_info(rgba: UnsafePointer(client.cursorPixels), width: Int32(shape?.width ?? 0), height: Int32(shape?.height ?? 0),
                                   hot_x: Int32(shape?.hotSpotX ?? 0), hot_y: Int32(shape?.hotSpotY ?? 0),
                                   x: Int32(clamping: cursor.x), y: Int32(clamping: cursor.y), visible: cursor.visible ? 1 : 0,
                                   shape_serial: client.cursorSerial)
    return Status.ok.rawValue
}

// MARK: - Input

@_cdecl("spc_key_scancode")
public func spcKeyScancode(_ pointer: OpaquePointer?, _ scancode: UInt32, _ down: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard scancode <= 0xffff, let key = XTScancode(rawValue: UInt16(scancode)) else {
        return client.fail(.invalidArgument, "spc_key_scancode: 0x\(String(scancode, radix: 16)) is not an XT scancode (0x01...0x7f, 0x1xx for E0, 0x2xx for E1)")
    }
    return client.send(down != 0 ? .keyDown(key) : .keyUp(key), "spc_key_scancode")
}

@_cdecl("spc_key_android")
public func spcKeyAndroid(_ pointer: OpaquePointer?, _ keycode: Int32, _ down: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let key = Keymap.scancode(androidKeyCode: Int(keycode)) else {
        return client.fail(.unknownKey, "spc_key_android: Android key code \(keycode) has no PC key")
    }
    return client.send(down != 0 ? .keyDown(key) : .keyUp(key), "spc_key_android")
}

@_cdecl("spc_key_evdev")
public func spcKeyEvdev(_ pointer: OpaquePointer?, _ code: Int32, _ down: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let key = Keymap.scancode(evdev: Int(code)) else {
        return client.fail(.unknownKey, "spc_key_evdev: evdev code \(code) has no PC/XT scancode")
    }
    return client.send(down != 0 ? .keyDown(key) : .keyUp(key), "spc_key_evdev")
}

@_cdecl("spc_mouse_position")
public func spcMousePosition(_ pointer: OpaquePointer?, _ x: Int32, _ y: Int32, _ display: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard (0...255).contains(display) else { return client.fail(.invalidArgument, "spc_mouse_position: display \(display) is outside 0...255") }
    return client.send(.mousePosition(x: UInt32(max(x, 0)), y: UInt32(max(y, 0)), display: UInt8(display)), "spc_mouse_position")
}

@_cdecl("spc_mouse_motion")
public func spcMouseMotion(_ pointer: OpaquePointer?, _ dx: Int32, _ dy: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.send(.mouseMotion(dx: dx, dy: dy), "spc_mouse_motion")
}

@_cdecl("spc_mouse_button")
public func spcMouseButton(_ pointer: OpaquePointer?, _ button: Int32, _ down: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard [1, 2, 3, 6, 7].contains(button), let value = MouseButton(rawValue: UInt8(button)) else {
        return client.fail(.invalidArgument, "spc_mouse_button: \(button) is not SPC_BUTTON_LEFT/MIDDLE/RIGHT/SIDE/EXTRA (use spc_mouse_wheel for the wheel)")
    }
    return client.send(.mouseButton(value, pressed: down != 0), "spc_mouse_button")
}

@_cdecl("spc_mouse_wheel")
public func spcMouseWheel(_ pointer: OpaquePointer?, _ clicks: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    let limit = Int32(InputsLimits.maxWheelClicksPerCall)
    guard (-limit...limit).contains(clicks) else { return client.fail(.invalidArgument, "spc_mouse_wheel: \(clicks) notches is outside -\(limit)...\(limit)") }
    return client.send(.mouseWheel(Int(clicks)), "spc_mouse_wheel")
}

@_cdecl("spc_release_all")
public func spcReleaseAll(_ pointer: OpaquePointer?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return client.send(.releaseAll, "spc_release_all")
}

// MARK: - Audio

/// SPC_AUDIO_MAX_FRAMES: the most frames one spc_audio_read or spc_audio_write moves (2 s at 48 kHz,
/// the size of the client's buffers at that rate).
private let maxAudioFrames: Int32 = 96_000
/// SPC_AUDIO_MAX_VOLUMES: the volume values spc_audio_state reports.
private let maxAudioVolumes = 8

private func audioStream(_ client: CAPIClient, _ stream: Int32, _ function: String) -> AudioStream? {
    guard let kind = AudioStream(rawValue: Int(stream)) else {
        client.fail(.invalidArgument, "\(function): stream \(stream) is neither SPC_AUDIO_PLAYBACK (0) nor SPC_AUDIO_RECORD (1)")
        return nil
    }
    return kind
}

@_cdecl("spc_audio_format")
public func spcAudioFormat(_ pointer: OpaquePointer?, _ stream: Int32, _ rate: UnsafeMutablePointer<Int32>?,
                           _ channels: UnsafeMutablePointer<Int32>?, _ bits: UnsafeMutablePointer<Int32>?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let kind = audioStream(client, stream, "spc_audio_format") else { return Status.invalidArgument.rawValue }
    guard let port = client.audio("spc_audio_format") else { return Status.state.rawValue }
    guard let format = (kind == .playback ? port.playback : port.capture).format else {
        return client.fail(.noAudio, "spc_audio_format: no \(kind == .playback ? "playback" : "record") stream has started yet")
    }
    rate?.pointee = Int32(format.frequency)
    channels?.pointee = Int32(format.channels)
    bits?.pointee = 16
    return Status.ok.rawValue
}

@_cdecl("spc_audio_read")
public func spcAudioRead(_ pointer: OpaquePointer?, _ out: UnsafeMutablePointer<Int16>?, _ frames: Int32, _ channels: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let port = client.audio("spc_audio_read") else { return Status.state.rawValue }
    guard (0...maxAudioFrames).contains(frames) else {
        return client.fail(.invalidArgument, "spc_audio_read: \(frames) frames is outside 0...\(maxAudioFrames)")
    }
    guard frames == 0 || out != nil else { return client.fail(.invalidArgument, "spc_audio_read: out is NULL") }
    guard let format = port.playback.format else {
        return client.fail(.noAudio, "spc_audio_read: no playback stream has started yet (wait for SPC_EVENT_AUDIO and spc_audio_format)")
    }
    let mismatch = "spc_audio_read: channels \(channels) is not the playback stream's \(format.channels) (the format changed: call spc_audio_format)"
    guard (1...2).contains(channels) else { return client.fail(.invalidArgument, mismatch) }
    guard let out, frames > 0 else { return 0 }
    let buffer = UnsafeMutableBufferPointer(start: out, count: Int(frames) * Int(channels))
    guard Int(channels) == format.channels else {
        buffer.update(repeating: 0)
        return client.fail(.invalidArgument, mismatch)
    }
    let real = port.playback.read(into: buffer)
    // A START with another channel count between the check and the read: the samples are in the new
    // layout (never more than the buffer holds), so give silence and say so.
    if port.playback.format?.channels != Int(channels) {
        buffer.update(repeating: 0)
        return client.fail(.invalidArgument, "spc_audio_read: the playback format changed during the read (call spc_audio_format)")
    }
    return Int32(real)
}

@_cdecl("spc_audio_write")
public func spcAudioWrite(_ pointer: OpaquePointer?, _ pcm: UnsafePointer<Int16>?, _ frames: Int32, _ channels: Int32) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let port = client.audio("spc_audio_write") else { return Status.state.rawValue }
    guard (0...maxAudioFrames).contains(frames) else {
        return client.fail(.invalidArgument, "spc_audio_write: \(frames) frames is outside 0...\(maxAudioFrames)")
    }
    guard frames == 0 || pcm != nil else { return client.fail(.invalidArgument, "spc_audio_write: pcm is NULL") }
    guard !client.hasEnded else { return client.fail(.ended, "spc_audio_write: the session has ended") }
    // The guest is not capturing: the audio goes nowhere, as a live microphone's would.
    guard port.capture.isStreaming, let format = port.capture.format else { return 0 }
    guard Int(channels) == format.channels else {
        return client.fail(.invalidArgument, "spc_audio_write: channels \(channels) is not the record stream's \(format.channels) (call spc_audio_format)")
    }
    guard let pcm, frames > 0 else { return 0 }
    port.writeAudio(Array(UnsafeBufferPointer(start: pcm, count: Int(frames) * Int(channels))))
    return frames
}

@_cdecl("spc_audio_state")
public func spcAudioState(_ pointer: OpaquePointer?, _ stream: Int32, _ info: UnsafeMutablePointer<spc_audio_state_info>?) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    guard let info else { return client.fail(.invalidArgument, "spc_audio_state: info is NULL") }
    guard let kind = audioStream(client, stream, "spc_audio_state") else { return Status.invalidArgument.rawValue }
    guard let port = client.audio("spc_audio_state") else { return Status.state.rawValue }
    let buffer = kind == .playback ? port.playback : port.capture
    let statistics = buffer.statistics
    let level = client.audioLevel(kind)
    var state = spc_audio_state_info()
    state.active = buffer.isStreaming ? 1 : 0
    state.muted = level.muted ? 1 : 0
    let count = min(level.volume.count, maxAudioVolumes)
    state.volume_count = Int32(count)
    withUnsafeMutableBytes(of: &state.volume) { raw in
        for index in 0..<count { raw.storeBytes(of: level.volume[index], toByteOffset: index * 2, as: UInt16.self) }
    }
    state.buffered_frames = Int32(clamping: buffer.availableFrames)
    state.latency_ms = Int32(clamping: buffer.latencyMilliseconds)
    state.underruns = UInt32(clamping: statistics.underruns)
    state.overruns = UInt32(clamping: statistics.overruns)
    info.pointee = state
    return Status.ok.rawValue
}

// MARK: - Errors

@_cdecl("spc_last_error")
public func spcLastError(_ pointer: OpaquePointer?, _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int) -> Int32 {
    guard let client = handle(pointer) else { return Status.nullHandle.rawValue }
    return copyOut(client.lastError, buffer, size)
}
