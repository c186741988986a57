/*
 * spice_client.h: the C interface of the SPICE client core (libSpiceClientJNI.so).
 *
 * One shared library holds this C ABI (prefix spc_) and the JNI glue for the Java class
 * org.swiftspice.SpiceClient; both drive the same Swift client.
 *
 * Model
 *   - An opaque handle (spc_client *) holds everything: there is no global state, so any number of
 *     clients work side by side in one process.
 *   - The application owns the thread. One thread, "the poll thread", calls spc_connect and then
 *     spc_poll in a loop; spc_poll does all network I/O and decoding and returns a bitmask of what
 *     happened. Every function not marked "any thread" belongs to the poll thread (or, before
 *     spc_connect, to whichever single thread configures the handle).
 *   - Input functions (spc_key_*, spc_mouse_*, spc_release_all) are safe from any thread, never block,
 *     and wake a spc_poll blocked on the poll thread. They queue; the poll thread sends.
 *   - Audio functions (spc_audio_*) are safe from any thread too (an AudioTrack/AAudio callback, an
 *     AudioRecord thread): they only touch bounded buffers that spc_poll fills and drains.
 *   - The framebuffer is 32-bit R,G,B,A bytes in memory order (Android's ARGB_8888 /
 *     ANDROID_BITMAP_FORMAT_RGBA_8888 layout; a little-endian int is 0xAABBGGRR), so copying a dirty
 *     rect to a Bitmap is a memcpy per row.
 *
 * Errors
 *   Functions returning int return SPC_OK (0) or a negative spc_status; functions returning a pointer
 *   return NULL on failure. spc_last_error copies the text of the handle's last failure (which call,
 *   which channel, which message, what was wrong). Nothing aborts the process: a NULL handle gives
 *   SPC_ERR_NULL_HANDLE, not a crash.
 *
 * Lifetime
 *   spc_create -> configure -> spc_connect -> spc_poll ... -> (spc_disconnect, poll until CLOSED) ->
 *   spc_free. A handle connects once; to connect again, free it and create another. spc_free(NULL) is a
 *   no-op; passing a handle to any function after spc_free is undefined, as for free(3) (the Java
 *   binding guards double close itself). No thread may be inside an input function during spc_free.
 */
#ifndef SPICE_CLIENT_H
#define SPICE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of this interface: changes when a function or struct changes. */
#define SPC_API_VERSION 2

/** Status codes (negative) returned by the int functions. */
typedef enum spc_status {
    SPC_OK = 0,
    /** The handle argument was NULL. spc_last_error cannot say more (there is no handle). */
    SPC_ERR_NULL_HANDLE = -1,
    /** An argument is out of range (a NULL string, a port outside 1...65535, an unknown button,
     *  a scancode outside the XT set). Nothing changed. */
    SPC_ERR_INVALID_ARGUMENT = -2,
    /** The call does not fit the handle's state: configuring after spc_connect, connecting twice,
     *  polling or sending input before spc_connect. */
    SPC_ERR_STATE = -3,
    /** spc_connect could not start (no host, no port, password too long, a malformed host subject,
     *  an unreadable CA file, no socket). */
    SPC_ERR_CONNECT = -4,
    /** The input queue is full (4096 inputs wait for the poll thread); the input was not queued. */
    SPC_ERR_QUEUE_FULL = -5,
    /** The session has ended; the input was not queued. */
    SPC_ERR_ENDED = -6,
    /** No primary surface (no frame) yet, or no cursor channel state. */
    SPC_ERR_NO_FRAME = -7,
    /** The Android key code or evdev code has no PC/XT scancode. */
    SPC_ERR_UNKNOWN_KEY = -8,
    /** A feature this build does not have (reserved; not returned today). */
    SPC_ERR_UNSUPPORTED = -9,
    /** No audio stream of that kind has started since spc_connect (the guest has not played or captured
     *  yet, or the server has no sound card). */
    SPC_ERR_NO_AUDIO = -10
} spc_status;

/** Bits of the value spc_poll returns. */
enum {
    /** The framebuffer was drawn on: spc_take_dirty says where. */
    SPC_EVENT_FRAME = 1 << 0,
    /** A new primary surface (size or format changed, or it went away): fetch spc_framebuffer again;
     *  the previous pointer is invalid from this poll on. The whole new surface counts as dirty. */
    SPC_EVENT_RESIZE = 1 << 1,
    /** The cursor's shape, position or visibility changed: fetch spc_cursor. */
    SPC_EVENT_CURSOR = 1 << 2,
    /** The mouse mode changed: spc_mouse_mode. */
    SPC_EVENT_MOUSE_MODE = 1 << 3,
    /** Audio: a playback or record stream started or stopped, the guest's volume or mute changed
     *  (spc_audio_state), or new playback audio was buffered (spc_audio_read). */
    SPC_EVENT_AUDIO = 1 << 4,
    /** Something failed (a channel closed with an error, the session ended with one): spc_last_error. */
    SPC_EVENT_ERROR = 1 << 5,
    /** The session is over (main channel closed, by the server, an error or spc_disconnect). Reported
     *  once; later polls return 0 at once. */
    SPC_EVENT_CLOSED = 1 << 6,
    /** The inputs channel is linked: from now on inputs reach the guest (earlier ones were queued). */
    SPC_EVENT_INPUTS_READY = 1 << 7
};

/** SPICE mouse modes (SPICE_MOUSE_MODE_*). */
enum { SPC_MOUSE_MODE_SERVER = 1, SPC_MOUSE_MODE_CLIENT = 2 };

/** Bits for spc_set_channels (1 << SPICE channel type). */
enum {
    SPC_CHANNEL_DISPLAY = 1 << 2,
    SPC_CHANNEL_INPUTS = 1 << 3,
    SPC_CHANNEL_CURSOR = 1 << 4,
    SPC_CHANNEL_PLAYBACK = 1 << 5,
    SPC_CHANNEL_RECORD = 1 << 6
};

/** Mouse buttons (SPICE_MOUSE_BUTTON_*). */
enum { SPC_BUTTON_LEFT = 1, SPC_BUTTON_MIDDLE = 2, SPC_BUTTON_RIGHT = 3, SPC_BUTTON_SIDE = 6, SPC_BUTTON_EXTRA = 7 };

/** Framebuffer pixel formats. */
enum { SPC_FORMAT_RGBA8888 = 1 };

typedef struct spc_client spc_client;

/** The primary surface. pixels points to height rows of stride bytes, top row first. */
typedef struct spc_framebuffer_info {
    uint8_t *pixels;
    int32_t width;
    int32_t height;
    int32_t stride;
    int32_t format; /* SPC_FORMAT_RGBA8888 */
} spc_framebuffer_info;

/** A rectangle in framebuffer pixels, clipped to the framebuffer. */
typedef struct spc_rect {
    int32_t x, y, width, height;
} spc_rect;

/** The guest's cursor. rgba is width*height*4 bytes (R,G,B,A, rows of width*4 bytes), or NULL when
 *  the server asked for the client's default cursor. (x, y) is where the hot spot is, in framebuffer
 *  pixels (the server moves it in server mouse mode; in client mode the local pointer is the cursor). */
typedef struct spc_cursor_info {
    const uint8_t *rgba;
    int32_t width, height;
    int32_t hot_x, hot_y;
    int32_t x, y;
    int32_t visible;
    /** Grows by one each time the shape changes, so a caller can skip re-uploading the same shape. */
    uint32_t shape_serial;
} spc_cursor_info;

/* ---------------------------------------------------------------------------------------------- */
/* Lifetime                                                                                        */

/** SPC_API_VERSION of the library. Any thread. */
int spc_api_version(void);

/** A new, unconfigured client. The caller owns it and releases it with spc_free. Returns NULL only
 *  when memory is exhausted. Any thread. */
spc_client *spc_create(void);

/** Disconnects (without waiting for the server) and frees the client, its framebuffer and its cursor
 *  image: every pointer obtained from it becomes invalid. NULL is ignored. */
void spc_free(spc_client *client);

/* ---------------------------------------------------------------------------------------------- */
/* Configuration: before spc_connect only (later: SPC_ERR_STATE). Strings are copied; the caller     */
/* keeps ownership of what it passes. NULL strings give SPC_ERR_INVALID_ARGUMENT.                    */

/** The server's host name or address (required). */
int spc_set_host(spc_client *client, const char *host);
/** The plain TCP port, 1...65535 (0: none, TLS only). */
int spc_set_port(spc_client *client, int port);
/** The TLS port, 1...65535 (0: none). Channels go over TLS when the server asks (NEED_SECURED) or when
 *  there is no plain port. */
int spc_set_tls_port(spc_client *client, int port);
/** The SPICE password (at most 60 bytes of UTF-8, checked by spc_connect). "" means none. */
int spc_set_password(spc_client *client, const char *password);
/** A PEM file of the CA certificates that sign the server's ("": the system store). */
int spc_set_ca_file(spc_client *client, const char *path);
/** The certificate subject to expect instead of the host name, "C=..,O=..,CN=.." ("": check the host
 *  name). Parsed by spc_connect (SPC_ERR_CONNECT when malformed). */
int spc_set_host_subject(spc_client *client, const char *subject);
/** SPC_MOUSE_MODE_CLIENT (default: ask for absolute positions when the server offers them) or
 *  SPC_MOUSE_MODE_SERVER (stay in relative mode). */
int spc_set_mouse_mode(spc_client *client, int mode);
/** Which channels to open besides main (SPC_CHANNEL_* bits; default: all). A channel type left out
 *  is never connected (e.g. leave out playback and record for an app without sound). */
int spc_set_channels(spc_client *client, uint32_t mask);
/** The image compression to ask the server for (SPICE_IMAGE_COMPRESSION_*, 1...7), or -1 to keep the
 *  server's own setting. Default: 5 (GLZ). */
int spc_set_preferred_compression(spc_client *client, int compression);

/** A configured string (which: 0 host, 1 CA file, 2 host subject; the password is never given back):
 *  copies it into buffer like snprintf and returns its full length, or a negative spc_status. */
int spc_config_string(const spc_client *client, int which, char *buffer, size_t size);
/** The configured plain port (which 0), TLS port (1), mouse mode (2), channel mask (3), compression (4),
 *  or a negative spc_status. */
int spc_config_int(const spc_client *client, int which);

/* ---------------------------------------------------------------------------------------------- */
/* Session (poll thread)                                                                           */

/** Starts connecting (non-blocking: name resolution of a numeric address or "localhost" is immediate;
 *  the link handshakes happen in spc_poll). Errors: SPC_ERR_CONNECT (no host or port, password too
 *  long, malformed host subject, TLS setup, socket failure: spc_last_error says which), SPC_ERR_STATE
 *  (twice). */
int spc_connect(spc_client *client);

/** Waits up to timeout_ms (-1: until something happens) for network activity or an input from another
 *  thread, handles it, and returns the SPC_EVENT_* bits of what happened (0: nothing), or a negative
 *  spc_status (SPC_ERR_STATE before spc_connect). After SPC_EVENT_CLOSED it returns 0 at once. */
int spc_poll(spc_client *client, int timeout_ms);

/** Asks the session to end politely (DISCONNECTING on each channel, then the sockets close); the next
 *  spc_poll reports SPC_EVENT_CLOSED. Does nothing if not connected or already closed. */
int spc_disconnect(spc_client *client);

/** 1 while the session runs, 0 before spc_connect and after it has ended, or a negative spc_status. */
int spc_is_running(const spc_client *client);

/** The current mouse mode (SPC_MOUSE_MODE_*), 0 before the server said, or a negative spc_status. */
int spc_mouse_mode(const spc_client *client);

/* ---------------------------------------------------------------------------------------------- */
/* Frames and cursor (poll thread)                                                                 */

/** Fills *info with the primary surface. The pointer and dimensions stay valid (the memory stays
 *  allocated, and keeps the last picture even after the session ends) until a later spc_poll returns
 *  SPC_EVENT_RESIZE, or spc_free. The pixels change only inside spc_poll. SPC_ERR_NO_FRAME before the
 *  first surface. */
int spc_framebuffer(const spc_client *client, spc_framebuffer_info *info);

/** Drains the damage accumulated since the last call, coalesced by the core: writes up to max rects
 *  and returns how many were written; rects beyond max stay for the next call. With rects NULL or
 *  max 0, returns how many are waiting without taking any. A resize makes the whole surface dirty. */
int spc_take_dirty(spc_client *client, spc_rect *rects, int max);

/** Fills *info with the cursor. rgba belongs to the handle and stays valid until a later spc_poll
 *  returns SPC_EVENT_CURSOR, or spc_free. SPC_ERR_NO_FRAME before the cursor channel's INIT. */
int spc_cursor(const spc_client *client, spc_cursor_info *info);

/* ---------------------------------------------------------------------------------------------- */
/* Input: any thread, never blocks, wakes spc_poll. Returns SPC_OK when queued (it is sent once the  */
/* inputs channel is linked), SPC_ERR_STATE before spc_connect, SPC_ERR_QUEUE_FULL, SPC_ERR_ENDED,    */
/* SPC_ERR_INVALID_ARGUMENT.                                                                        */

/** A PC/XT set-1 scancode: 0x01...0x7f, 0x100|code for E0-prefixed keys (e.g. 0x148 Up), 0x200|code for
 *  E1 (Pause). down: nonzero press, zero release. */
int spc_key_scancode(spc_client *client, uint32_t scancode, int down);
/** An Android KeyEvent key code (KEYCODE_*), mapped through Android's Generic.kl and evdev.
 *  SPC_ERR_UNKNOWN_KEY when it has no PC key. */
int spc_key_android(spc_client *client, int keycode, int down);
/** A Linux evdev key code (KEY_*). SPC_ERR_UNKNOWN_KEY when it has no PC/XT scancode. */
int spc_key_evdev(spc_client *client, int code, int down);
/** An absolute position in framebuffer pixels on display 0..255 (client mouse mode). Negative values
 *  are clamped to 0. Consecutive positions not yet sent are folded into the newest. */
int spc_mouse_position(spc_client *client, int x, int y, int display);
/** A relative motion (server mouse mode). Consecutive motions not yet sent are summed. */
int spc_mouse_motion(spc_client *client, int dx, int dy);
/** A button press (down nonzero) or release: SPC_BUTTON_*. */
int spc_mouse_button(spc_client *client, int button, int down);
/** Wheel notches: positive away from the user (up), -64...64 per call. */
int spc_mouse_wheel(spc_client *client, int clicks);
/** Releases every key and button the guest still sees held (call when the view loses focus). */
int spc_release_all(spc_client *client);

/* ---------------------------------------------------------------------------------------------- */
/* Audio: any thread, never waits for the network. spc_poll decodes playback audio (Opus or raw)     */
/* into a bounded buffer (2 s of the stream: when full, the oldest audio is dropped and an overrun    */
/* counted) that the application pulls with spc_audio_read; audio pushed with spc_audio_write is     */
/* sent by spc_poll (Opus or raw, in 480-frame packets). Samples are signed 16-bit in the machine's  */
/* byte order, interleaved (L, R, L, R, ... in stereo). Errors: SPC_ERR_STATE before spc_connect,     */
/* SPC_ERR_INVALID_ARGUMENT, SPC_ERR_NO_AUDIO. Like input, no thread may be inside one during        */
/* spc_free.                                                                                        */

/** The two audio streams: what the guest plays, and what it captures from the application. */
enum { SPC_AUDIO_PLAYBACK = 0, SPC_AUDIO_RECORD = 1 };

/** Limits: channels of a stream this client plays or captures (mono, stereo); frames per
 *  spc_audio_read or spc_audio_write call; volume values kept per stream. */
enum { SPC_AUDIO_MAX_CHANNELS = 2, SPC_AUDIO_MAX_FRAMES = 96000, SPC_AUDIO_MAX_VOLUMES = 8 };

/** What spc_audio_state reports about one stream. */
typedef struct spc_audio_state_info {
    /** 1 between the stream's START and STOP (the guest plays, or captures), else 0. */
    int32_t active;
    /** The guest's mute (MUTE message; 0 until one arrives). */
    int32_t muted;
    /** Values in volume: the channel count of the guest's last VOLUME (0 until one arrives), at most
     *  SPC_AUDIO_MAX_VOLUMES. */
    int32_t volume_count;
    /** The guest's volume per channel, 0 (silent) ... 65535 (full): for the application's sink or
     *  source to apply. The PCM itself is not scaled by the client. */
    uint16_t volume[SPC_AUDIO_MAX_VOLUMES];
    /** Frames in the buffer: playback, waiting for spc_audio_read; record, not sent yet. */
    int32_t buffered_frames;
    /** Playback: the buffering kept before playing after a start or an underrun (the server's LATENCY,
     *  default 200 ms, at most 1000 ms). */
    int32_t latency_ms;
    /** Times a playback read found the buffer dry during a stream (the rest of that read is silence). */
    uint32_t underruns;
    /** Times the buffer was full and its oldest audio was dropped. */
    uint32_t overruns;
} spc_audio_state_info;

/** The format of a stream: SPC_AUDIO_PLAYBACK, the current (or last) playback stream; SPC_AUDIO_RECORD,
 *  what the guest captures in (the current or last record START). Writes the rate in Hz (8000...192000),
 *  the channel count (1...SPC_AUDIO_MAX_CHANNELS) and the bits per sample (always 16) through the
 *  pointers that are not NULL. SPC_ERR_NO_AUDIO before that stream's first START (nothing written),
 *  SPC_ERR_INVALID_ARGUMENT for another stream value. The format changes only with a START that
 *  spc_poll reports as SPC_EVENT_AUDIO. */
int spc_audio_format(const spc_client *client, int stream, int *rate, int *channels, int *bits);

/** Pulls frames frames of playback audio into out, which holds frames * channels samples (channels:
 *  the stream's, from spc_audio_format): the buffered audio first, then silence. Returns how many
 *  frames were real audio (0...frames); the rest of out is silence. Silence read while a stream runs
 *  is counted as the core does: when the buffer runs dry it is an underrun, and reads then stay silent
 *  until latency_ms of audio is buffered again, so playback resumes with the margin the server asked
 *  for. A pull sink (AudioTrack, AAudio) writes all frames every time; a caller that wants only real
 *  audio reads spc_audio_state's buffered_frames first and asks for at most that. The caller owns out.
 *  Errors: SPC_ERR_NO_AUDIO before the first playback START (out untouched); SPC_ERR_INVALID_ARGUMENT
 *  when out is NULL with frames > 0, frames is outside 0...SPC_AUDIO_MAX_FRAMES, or channels is not the
 *  stream's (a START changed the format: call spc_audio_format again; out is then silence). */
int spc_audio_read(spc_client *client, int16_t *out, int frames, int channels);

/** Pushes frames frames of captured audio (the microphone), frames * channels samples in the record
 *  format of spc_audio_format(SPC_AUDIO_RECORD), and wakes spc_poll, which sends them. The samples
 *  are copied; the caller keeps pcm. Returns the frames queued: frames while the guest captures, 0
 *  when it does not (the audio is dropped, as a live microphone's would be). The buffer holds 2 s;
 *  if spc_poll falls behind, the oldest audio goes (an overrun in spc_audio_state). Errors:
 *  SPC_ERR_INVALID_ARGUMENT (pcm NULL with frames > 0, frames outside 0...SPC_AUDIO_MAX_FRAMES, channels
 *  not the capture's while the guest captures), SPC_ERR_ENDED after the session has ended. */
int spc_audio_write(spc_client *client, const int16_t *pcm, int frames, int channels);

/** Fills *info with the state of SPC_AUDIO_PLAYBACK or SPC_AUDIO_RECORD: running or not, the guest's
 *  volume and mute (from VOLUME and MUTE; SPC_EVENT_AUDIO says when they change), the buffer's fill
 *  and counters. Works before the first START (all zero but latency_ms). SPC_ERR_INVALID_ARGUMENT for
 *  a NULL info or another stream value. */
int spc_audio_state(const spc_client *client, int stream, spc_audio_state_info *info);

/* ---------------------------------------------------------------------------------------------- */
/* Errors: any thread                                                                              */

/** Copies the text of the handle's last failure (empty if none) into buffer, NUL-terminated and
 *  truncated to size like snprintf, and returns the text's full length in bytes; buffer may be NULL
 *  when size is 0. Returns SPC_ERR_NULL_HANDLE for a NULL handle. */
int spc_last_error(const spc_client *client, char *buffer, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* SPICE_CLIENT_H */
