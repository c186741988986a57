package org.swiftspice;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A SPICE client over libSpiceClientJNI.so (the C ABI of spice_client.h).
 *
 * <p>Threading: one thread (the poll thread) configures, calls {@link #connect()}, then {@link #poll(int)}
 * in a loop and reads the framebuffer, dirty rects and cursor. Input methods ({@code key*}, {@code mouse*},
 * {@link #releaseAll()}) may be called from any thread (a UI thread): they queue, never block, and wake a
 * blocked poll. {@link #close()} may be called from any thread; it waits for a poll in progress to return.
 *
 * <p>Frames: {@link #framebuffer()} is a direct ByteBuffer over the core's own memory, R,G,B,A bytes,
 * {@link #stride()} bytes per row. It is valid until a poll returns {@link #EVENT_RESIZE} (then call
 * framebuffer() again) or until close(). {@link #takeDirty(int[])} gives the rects drawn since the last
 * call; {@link #copyRect} copies a rect's rows into an int[] (one memcpy per row).
 *
 * <p>Audio: {@link #readAudio(short[])} pulls decoded playback audio (signed 16-bit, interleaved, in
 * {@link #audioFormat()}), {@link #writeAudio(short[], int, int)} pushes microphone audio in
 * {@link #recordFormat()}; {@link #audioState(int)} gives the guest's volume and mute (a poll returns
 * {@link #EVENT_AUDIO} when they change, a stream starts or stops, or audio arrives). These may be called
 * from any thread (an AudioTrack or AudioRecord pump), like input.
 *
 * <p>Errors: failures throw {@link SpiceException} (status and the native error text); use after close
 * throws IllegalStateException; close() twice is harmless.
 */
public final class SpiceClient implements AutoCloseable {
    static { System.loadLibrary("SpiceClientJNI"); }

    public static final int EVENT_FRAME = 1;
    public static final int EVENT_RESIZE = 1 << 1;
    public static final int EVENT_CURSOR = 1 << 2;
    public static final int EVENT_MOUSE_MODE = 1 << 3;
    public static final int EVENT_AUDIO = 1 << 4;
    public static final int EVENT_ERROR = 1 << 5;
    public static final int EVENT_CLOSED = 1 << 6;
    public static final int EVENT_INPUTS_READY = 1 << 7;

    public static final int MOUSE_MODE_SERVER = 1;
    public static final int MOUSE_MODE_CLIENT = 2;

    public static final int BUTTON_LEFT = 1;
    public static final int BUTTON_MIDDLE = 2;
    public static final int BUTTON_RIGHT = 3;
    public static final int BUTTON_SIDE = 6;
    public static final int BUTTON_EXTRA = 7;

    public static final int CHANNEL_DISPLAY = 1 << 2;
    public static final int CHANNEL_INPUTS = 1 << 3;
    public static final int CHANNEL_CURSOR = 1 << 4;
    public static final int CHANNEL_PLAYBACK = 1 << 5;
    public static final int CHANNEL_RECORD = 1 << 6;

    public static final int AUDIO_PLAYBACK = 0;
    public static final int AUDIO_RECORD = 1;
    /** The most volume values {@link AudioState#volume} holds. */
    public static final int AUDIO_MAX_VOLUMES = 8;

    /** A stream's format: rate in Hz, interleaved channels (1 or 2), bits per sample (16). */
    public static final class AudioFormat {
        public final int rate, channels, bits;

        AudioFormat(int[] info) { rate = info[0]; channels = info[1]; bits = info[2]; }

        @Override public String toString() { return rate + " Hz x" + channels + ", " + bits + " bit"; }
    }

    /** A stream's state: running (between START and STOP), the guest's mute and volume per channel
     *  (0..65535; the PCM is not scaled by the client), the buffer's fill and counters. */
    public static final class AudioState {
        public final boolean active, muted;
        public final int bufferedFrames, latencyMs, underruns, overruns;
        public final int[] volume;

        AudioState(int[] info) {
            active = info[0] != 0; muted = info[1] != 0; bufferedFrames = info[2]; latencyMs = info[3];
            underruns = info[4]; overruns = info[5];
            volume = java.util.Arrays.copyOfRange(info, 7, 7 + Math.max(0, Math.min(info[6], AUDIO_MAX_VOLUMES)));
        }
    }

    /** The cursor: shape (0xAARRGGBB pixels, may be null for the default cursor), hot spot, position. */
    public static final class Cursor {
        public final int width, height, hotX, hotY, x, y;
        public final boolean visible;
        public final int shapeSerial;
        public final int[] argb;

        Cursor(int[] info, int[] argb) {
            width = info[0]; height = info[1]; hotX = info[2]; hotY = info[3]; x = info[4]; y = info[5];
            visible = info[6] != 0; shapeSerial = info[7]; this.argb = argb;
        }
    }

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private long handle;
    private ByteBuffer framebuffer;
    private final int[] frameInfo = new int[4];
    private int lastCursorSerial = -1;
    private int[] lastCursorPixels;

    public SpiceClient() { handle = nativeCreate(); }

    // ---- configuration (before connect) --------------------------------------------------------

    public SpiceClient host(String host) { configure(0, host); return this; }
    public SpiceClient password(String password) { configure(1, password); return this; }
    public SpiceClient caFile(String path) { configure(2, path); return this; }
    public SpiceClient hostSubject(String subject) { configure(3, subject); return this; }
    public SpiceClient port(int port) { configure(0, port); return this; }
    public SpiceClient tlsPort(int port) { configure(1, port); return this; }
    /** MOUSE_MODE_CLIENT (default: absolute when offered) or MOUSE_MODE_SERVER. */
    public SpiceClient mouseMode(int mode) { configure(2, mode); return this; }
    /** CHANNEL_* bits (stored; the core links every channel it implements today). */
    public SpiceClient channels(int mask) { configure(3, mask); return this; }
    /** SPICE_IMAGE_COMPRESSION_* 1..7 to ask the server for, or -1 to keep the server's setting. */
    public SpiceClient preferredCompression(int compression) { configure(4, compression); return this; }

    private void configure(int which, String value) {
        lock.readLock().lock();
        try { nativeConfigureString(live(), which, value); } finally { lock.readLock().unlock(); }
    }

    private void configure(int which, int value) {
        lock.readLock().lock();
        try { nativeConfigure(live(), which, value); } finally { lock.readLock().unlock(); }
    }

    private long live() {
        if (handle == 0) throw new IllegalStateException("the SpiceClient is closed");
        return handle;
    }

    // ---- session (poll thread) -----------------------------------------------------------------

    /** Starts connecting; the handshakes happen in poll(). A client connects once. */
    public void connect() {
        lock.readLock().lock();
        try { nativeConnect(live()); } finally { lock.readLock().unlock(); }
    }

    /** Waits up to timeoutMs (-1: until something happens) and returns the EVENT_* bits of what happened. */
    public int poll(int timeoutMs) {
        lock.readLock().lock();
        try {
            int events = nativePoll(live(), timeoutMs);
            if ((events & EVENT_RESIZE) != 0) framebuffer = null;
            return events;
        } finally { lock.readLock().unlock(); }
    }

    /** Ends the session politely; a later poll returns EVENT_CLOSED. */
    public void disconnect() {
        lock.readLock().lock();
        try { nativeDisconnect(live()); } finally { lock.readLock().unlock(); }
    }

    public boolean isRunning() {
        lock.readLock().lock();
        try { return nativeIsRunning(live()); } finally { lock.readLock().unlock(); }
    }

    /** MOUSE_MODE_SERVER, MOUSE_MODE_CLIENT, or 0 before the server said. */
    public int currentMouseMode() {
        lock.readLock().lock();
        try { return nativeMouseMode(live()); } finally { lock.readLock().unlock(); }
    }

    /** The text of the last failure, "" if none. Any thread. */
    public String lastError() {
        lock.readLock().lock();
        try { return nativeLastError(live()); } finally { lock.readLock().unlock(); }
    }

    // ---- frames (poll thread) ------------------------------------------------------------------

    /** The framebuffer (R,G,B,A rows, little-endian order set), or null before the first frame. */
    public ByteBuffer framebuffer() {
        lock.readLock().lock();
        try {
            if (framebuffer == null) {
                ByteBuffer buffer = nativeFramebuffer(live(), frameInfo);
                if (buffer != null) framebuffer = buffer.order(ByteOrder.LITTLE_ENDIAN);
            }
            return framebuffer;
        } finally { lock.readLock().unlock(); }
    }

    public int width() { return framebuffer() == null ? 0 : frameInfo[0]; }
    public int height() { return framebuffer() == null ? 0 : frameInfo[1]; }
    public int stride() { return framebuffer() == null ? 0 : frameInfo[2]; }

    /** Writes up to rects.length / 4 dirty rects (x, y, width, height) and returns how many; the rest
     *  stay for the next call. */
    public int takeDirty(int[] rects) {
        lock.readLock().lock();
        try { return nativeTakeDirty(live(), rects); } finally { lock.readLock().unlock(); }
    }

    /** Copies the framebuffer rect into dst[offset + row * dstStride + column], as ints holding R,G,B,A
     *  bytes (0xAABBGGRR on little-endian machines). */
    public void copyRect(int[] dst, int offset, int dstStride, int x, int y, int w, int h) {
        lock.readLock().lock();
        try { nativeCopyRect(live(), dst, offset, dstStride, x, y, w, h); } finally { lock.readLock().unlock(); }
    }

    /** Android only: copies `count` rects (x, y, w, h in rects) into `bitmap`, an android.graphics.Bitmap
     *  (ARGB_8888, the framebuffer's size), with AndroidBitmap_lockPixels and a memcpy per row. Typed
     *  Object so this class compiles on the desktop JDK, where the native does not exist. */
    public void copyRectsToBitmap(Object bitmap, int[] rects, int count) {
        lock.readLock().lock();
        try { nativeCopyRectsToBitmap(live(), bitmap, rects, count); } finally { lock.readLock().unlock(); }
    }

    /** The cursor, or null before the cursor channel described it. */
    public Cursor cursor() {
        lock.readLock().lock();
        try {
            int[] info = new int[8];
            if (!nativeCursor(live(), info)) return null;
            if (info[7] != lastCursorSerial) {
                lastCursorPixels = nativeCursorPixels(handle);
                lastCursorSerial = info[7];
            }
            return new Cursor(info, lastCursorPixels);
        } finally { lock.readLock().unlock(); }
    }

    // ---- input (any thread) --------------------------------------------------------------------

    /** A PC/XT set-1 scancode (0x100 | code for E0 keys). */
    public void keyScancode(int scancode, boolean down) { key(0, scancode, down); }
    /** An Android KeyEvent.KEYCODE_*. */
    public void keyAndroid(int keyCode, boolean down) { key(1, keyCode, down); }
    /** A Linux evdev KEY_* code. */
    public void keyEvdev(int code, boolean down) { key(2, code, down); }

    private void key(int kind, int code, boolean down) {
        lock.readLock().lock();
        try { nativeKey(live(), kind, code, down); } finally { lock.readLock().unlock(); }
    }

    /** An absolute position in framebuffer pixels (client mouse mode). */
    public void mousePosition(int x, int y) {
        lock.readLock().lock();
        try { nativeMousePosition(live(), x, y, 0); } finally { lock.readLock().unlock(); }
    }

    /** A relative motion (server mouse mode). */
    public void mouseMotion(int dx, int dy) {
        lock.readLock().lock();
        try { nativeMouseMotion(live(), dx, dy); } finally { lock.readLock().unlock(); }
    }

    public void mouseButton(int button, boolean down) {
        lock.readLock().lock();
        try { nativeMouseButton(live(), button, down); } finally { lock.readLock().unlock(); }
    }

    /** Wheel notches, positive away from the user. */
    public void mouseWheel(int clicks) {
        lock.readLock().lock();
        try { nativeMouseWheel(live(), clicks); } finally { lock.readLock().unlock(); }
    }

    public void releaseAll() {
        lock.readLock().lock();
        try { nativeReleaseAll(live()); } finally { lock.readLock().unlock(); }
    }

    // ---- audio (any thread) --------------------------------------------------------------------

    /** The current (or last) playback stream's format, or null before the guest first played. */
    public AudioFormat audioFormat() { return format(AUDIO_PLAYBACK); }

    /** The format the guest captures in (the microphone's), or null before it first captured. */
    public AudioFormat recordFormat() { return format(AUDIO_RECORD); }

    private AudioFormat format(int stream) {
        lock.readLock().lock();
        try {
            int[] info = new int[3];
            return nativeAudioFormat(live(), stream, info) ? new AudioFormat(info) : null;
        } finally { lock.readLock().unlock(); }
    }

    /** Fills pcm with pcm.length / channels frames of playback audio in {@link #audioFormat()}: what is
     *  buffered, then silence (counted as an underrun while a stream runs). Returns the frames of real
     *  audio; 0 (pcm untouched) before the guest first played. */
    public int readAudio(short[] pcm) { return readAudio(pcm, 0, pcm.length); }

    /** As {@link #readAudio(short[])}, into pcm[offset .. offset + samples). */
    public int readAudio(short[] pcm, int offset, int samples) {
        lock.readLock().lock();
        try { return nativeReadAudio(live(), pcm, offset, samples); } finally { lock.readLock().unlock(); }
    }

    /** Pushes microphone audio pcm[offset .. offset + samples) (interleaved, in {@link #recordFormat()};
     *  samples a whole number of frames) for the poll thread to send. Returns the frames queued: 0 while
     *  the guest is not capturing (the audio is dropped). */
    public int writeAudio(short[] pcm, int offset, int samples) {
        lock.readLock().lock();
        try { return nativeWriteAudio(live(), pcm, offset, samples); } finally { lock.readLock().unlock(); }
    }

    /** The state of AUDIO_PLAYBACK or AUDIO_RECORD. */
    public AudioState audioState(int stream) {
        lock.readLock().lock();
        try {
            int[] info = new int[7 + AUDIO_MAX_VOLUMES];
            nativeAudioState(live(), stream, info);
            return new AudioState(info);
        } finally { lock.readLock().unlock(); }
    }

    /** The guest's playback volume per channel (0..65535), empty until it sets one. */
    public int[] audioVolume() { return audioState(AUDIO_PLAYBACK).volume; }

    /** Whether the guest muted its playback. */
    public boolean audioMuted() { return audioState(AUDIO_PLAYBACK).muted; }

    /** Disconnects and frees the native client; the framebuffer becomes invalid. Safe twice, any thread. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (handle == 0) return;
            framebuffer = null;
            nativeFree(handle);
            handle = 0;
        } finally { lock.writeLock().unlock(); }
    }

    public boolean isClosed() {
        lock.readLock().lock();
        try { return handle == 0; } finally { lock.readLock().unlock(); }
    }

    // ---- natives (jni/native/jni_glue.c) -------------------------------------------------------

    private static native long nativeCreate();
    private static native void nativeFree(long handle);
    private static native void nativeConfigure(long handle, int which, int value);
    private static native void nativeConfigureString(long handle, int which, String value);
    private static native void nativeConnect(long handle);
    private static native int nativePoll(long handle, int timeoutMs);
    private static native void nativeDisconnect(long handle);
    private static native boolean nativeIsRunning(long handle);
    private static native int nativeMouseMode(long handle);
    private static native ByteBuffer nativeFramebuffer(long handle, int[] info);
    private static native int nativeTakeDirty(long handle, int[] rects);
    private static native void nativeCopyRect(long handle, int[] dst, int offset, int dstStride, int x, int y, int w, int h);
    private static native void nativeCopyRectsToBitmap(long handle, Object bitmap, int[] rects, int count);
    private static native boolean nativeCursor(long handle, int[] info);
    private static native int[] nativeCursorPixels(long handle);
    private static native void nativeKey(long handle, int kind, int code, boolean down);
    private static native void nativeMousePosition(long handle, int x, int y, int display);
    private static native void nativeMouseMotion(long handle, int dx, int dy);
    private static native void nativeMouseButton(long handle, int button, boolean down);
    private static native void nativeMouseWheel(long handle, int clicks);
    private static native void nativeReleaseAll(long handle);
    private static native String nativeLastError(long handle);
    private static native boolean nativeAudioFormat(long handle, int stream, int[] info);
    private static native int nativeReadAudio(long handle, short[] pcm, int offset, int samples);
    private static native int nativeWriteAudio(long handle, short[] pcm, int offset, int samples);
    private static native void nativeAudioState(long handle, int stream, int[] info);
}
