package org.swiftspice;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java binding against a real QEMU (Scripts/qemu-spice.sh start --guest linux-static --compression off
 * --guest-append spicetest.audio=1: the guest also plays a 444 Hz tone through AC97 every 5 s),
 * run by Scripts/test-jvm.sh:
 *
 *   java -Djava.library.path=LIBDIR -cp CLASSES org.swiftspice.SpiceClientTest PORT QMP_SOCK SERIAL_LOG QEMU_SPICE_SH
 *
 * Prints PASS/FAIL per test and a last line "java: N passed, N failed".
 */
public final class SpiceClientTest {
    private static int port;
    private static String qmp, serialLog, script;
    private static int passed, failed;

    interface Body { void run() throws Exception; }

    static void test(String name, Body body) {
        try {
            body.run();
            passed++;
            System.out.println("PASS " + name);
        } catch (Throwable t) {
            failed++;
            System.out.println("FAIL " + name + ": " + t);
            t.printStackTrace(System.out);
        }
    }

    static void check(boolean condition, String what) {
        if (!condition) throw new AssertionError(what);
    }

    static <T extends Throwable> T expect(Class<T> type, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) return type.cast(t);
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", nothing was thrown");
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("--timings")) {
            // Only the copy timings, on whatever screen the server at port args[1] shows (e.g. 1920x1080).
            try (SpiceClient client = new SpiceClient().host("127.0.0.1").port(Integer.parseInt(args[1])).preferredCompression(-1)) {
                client.connect();
                check(settle(client, 1.0, 60), "no settled frame: " + client.lastError());
                copyTimings(client);
            }
            return;
        }
        port = Integer.parseInt(args[0]);
        qmp = args[1];
        serialLog = args[2];
        script = args[3];

        test("misuse and errors become exceptions", SpiceClientTest::misuse);
        test("connect, frame equals QMP screendump, keys and click reach the guest", () -> session(true));
        test("connect again in the same JVM", () -> session(false));
        test("audio: the guest's 444 Hz tone pulled through readAudio on a second thread", SpiceClientTest::audio);
        System.out.println("java: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void misuse() throws Exception {
        SpiceClient client = new SpiceClient();
        SpiceException noHost = expect(SpiceException.class, () -> client.port(5900).connect());
        check(noHost.status() == SpiceException.CONNECT && noHost.getMessage().contains("no host"), "no host: " + noHost.getMessage());
        SpiceException badPort = expect(SpiceException.class, () -> client.port(123456));
        check(badPort.status() == SpiceException.INVALID_ARGUMENT && badPort.getMessage().contains("123456"), badPort.getMessage());
        SpiceException early = expect(SpiceException.class, () -> client.poll(0));
        check(early.status() == SpiceException.STATE, "poll before connect: " + early.status());
        check(client.framebuffer() == null, "no framebuffer before a frame");
        check(client.cursor() == null, "no cursor before connect");
        expect(IllegalArgumentException.class, () -> client.host(null));
        SpiceException audioEarly = expect(SpiceException.class, () -> client.audioFormat());
        check(audioEarly.status() == SpiceException.STATE && audioEarly.getMessage().contains("spc_connect"), "audio before connect: " + audioEarly.getMessage());
        check(expect(SpiceException.class, () -> client.readAudio(new short[4])).status() == SpiceException.STATE, "read before connect");
        check(expect(SpiceException.class, () -> client.writeAudio(new short[4], 0, 4)).status() == SpiceException.STATE, "write before connect");
        SpiceException badStream = expect(SpiceException.class, () -> client.audioState(7));
        check(badStream.status() == SpiceException.INVALID_ARGUMENT && badStream.getMessage().contains("stream 7"), badStream.getMessage());
        expect(IllegalArgumentException.class, () -> client.readAudio(new short[4], 2, 4));
        expect(IllegalArgumentException.class, () -> client.writeAudio(null, 0, 0));
        SpiceException noFrame = expect(SpiceException.class, () -> client.copyRect(new int[4], 0, 2, 0, 0, 2, 2));
        check(noFrame.status() == SpiceException.NO_FRAME, "copy before a frame: " + noFrame.status());
        client.close();
        client.close(); // twice is fine
        check(client.isClosed(), "closed");
        expect(IllegalStateException.class, () -> client.poll(0));
        expect(IllegalStateException.class, () -> client.keyAndroid(29, true));
        expect(IllegalStateException.class, () -> client.readAudio(new short[4]));
        expect(IllegalStateException.class, () -> client.audioState(SpiceClient.AUDIO_PLAYBACK));

        // A refused connection: CLOSED and ERROR, the error names the server.
        try (SpiceClient refused = new SpiceClient().host("127.0.0.1").port(1)) {
            refused.connect();
            int seen = 0;
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((seen & SpiceClient.EVENT_CLOSED) == 0 && System.nanoTime() < deadline) seen |= refused.poll(100);
            check((seen & SpiceClient.EVENT_ERROR) != 0 && (seen & SpiceClient.EVENT_CLOSED) != 0, "events " + seen);
            check(refused.lastError().contains("127.0.0.1:1"), refused.lastError());
            SpiceException ended = expect(SpiceException.class, () -> refused.keyAndroid(29, true));
            check(ended.status() == SpiceException.ENDED, "input after the end: " + ended.status());
            SpiceException unknown = expect(SpiceException.class, () -> refused.keyAndroid(99999, true));
            check(unknown.status() == SpiceException.UNKNOWN_KEY, "unknown key: " + unknown.status());
            // No audio ever started: no format, nothing read (the array untouched), writes dropped.
            check(refused.audioFormat() == null && refused.recordFormat() == null, "no audio format");
            short[] untouched = {7, 7, 7, 7};
            check(refused.readAudio(untouched) == 0 && untouched[0] == 7 && untouched[3] == 7, "read without a stream");
            check(refused.writeAudio(new short[4], 0, 4) == 0, "write without a capture");
            SpiceClient.AudioState idle = refused.audioState(SpiceClient.AUDIO_PLAYBACK);
            check(!idle.active && !idle.muted && idle.volume.length == 0 && idle.bufferedFrames == 0 && idle.latencyMs == 200,
                  "idle playback state");
        }
    }

    /** Polls until `seconds` pass or `done` holds; returns the events seen. */
    interface Condition { boolean holds(); }

    static int pump(SpiceClient client, double seconds, Condition done) {
        int seen = 0;
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        int[] rects = new int[64 * 4];
        while (System.nanoTime() < deadline) {
            int events = client.poll(20);
            seen |= events;
            if ((events & SpiceClient.EVENT_FRAME) != 0) while (client.takeDirty(rects) == 64) { }
            if (done.holds()) break;
        }
        return seen;
    }

    /** Waits until no frame arrived for `quiet` seconds; false if that never happened within `seconds`. */
    static boolean settle(SpiceClient client, double quiet, double seconds) {
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long quietSince = System.nanoTime();
        int[] rects = new int[64 * 4];
        while (System.nanoTime() < deadline) {
            int events = client.poll(20);
            if ((events & (SpiceClient.EVENT_FRAME | SpiceClient.EVENT_RESIZE)) != 0) {
                quietSince = System.nanoTime();
                while (client.takeDirty(rects) == 64) { }
            }
            if (client.framebuffer() != null && System.nanoTime() - quietSince >= quiet * 1e9) return true;
        }
        return false;
    }

    static void session(boolean full) throws Exception {
        try (SpiceClient client = new SpiceClient().host("127.0.0.1").port(port).preferredCompression(-1)) {
            client.connect();
            int[] seen = {0};
            seen[0] = pump(client, 30, () -> client.framebuffer() != null);
            check(client.framebuffer() != null, "no frame within 30 s: " + client.lastError());
            check(client.framebuffer().isDirect(), "the framebuffer is a direct ByteBuffer");
            check(client.width() == 1024 && client.height() == 768 && client.stride() == 4096,
                  "framebuffer " + client.width() + "x" + client.height() + " stride " + client.stride());
            check(settle(client, 1.0, 20), "the screen never settled");

            // The framebuffer, read through the ByteBuffer, equals QEMU's own picture.
            Ppm reference = screendump();
            ByteBuffer fb = client.framebuffer();
            check(reference.width == client.width() && reference.height == client.height(), "screendump size " + reference.width + "x" + reference.height);
            int differing = 0;
            for (int y = 0; y < reference.height; y++) {
                for (int x = 0; x < reference.width; x++) {
                    int p = (y * reference.width + x) * 3, q = y * client.stride() + x * 4;
                    if (fb.get(q) != reference.rgb[p] || fb.get(q + 1) != reference.rgb[p + 1] || fb.get(q + 2) != reference.rgb[p + 2]) differing++;
                }
            }
            check(differing == 0, differing + " pixels differ from QEMU's screendump");
            System.out.println("  framebuffer equals the screendump (" + reference.width + "x" + reference.height + ")");
            if (!full) {
                client.disconnect();
                int events = pump(client, 5, () -> false);
                check((events & SpiceClient.EVENT_CLOSED) != 0 && (events & SpiceClient.EVENT_ERROR) == 0, "polite close: " + events);
                return;
            }

            copyTimings(client);

            // Keys and a click, sent from another thread while this one polls, arrive in the guest.
            pump(client, 60, () -> client.currentMouseMode() == SpiceClient.MOUSE_MODE_CLIENT);
            boolean clientMode = client.currentMouseMode() == SpiceClient.MOUSE_MODE_CLIENT;
            long offset = Files.size(Path.of(serialLog));
            Thread sender = new Thread(() -> {
                client.keyAndroid(36, true);      // KEYCODE_H -> KEY_H (35)
                client.keyAndroid(36, false);
                client.keyScancode(0x17, true);   // XT 0x17 -> KEY_I (23)
                client.keyScancode(0x17, false);
                client.keyEvdev(57, true);        // KEY_SPACE
                client.keyEvdev(57, false);
                if (clientMode) client.mousePosition(512, 384);
                client.mouseButton(SpiceClient.BUTTON_LEFT, true);
                client.mouseButton(SpiceClient.BUTTON_LEFT, false);
            });
            sender.start();
            List<int[]> keys = new ArrayList<>();
            List<int[]> abs = new ArrayList<>();
            pump(client, 30, () -> {
                readEvents(offset, keys, abs);
                return keys.size() >= 8 && (!clientMode || abs.size() >= 2);
            });
            sender.join();
            // The keyboard and the tablet are separate guest devices, so only each one's own order is fixed.
            StringBuilder got = new StringBuilder(), buttons = new StringBuilder();
            for (int[] k : keys) (k[0] >= 0x100 ? buttons : got).append(k[0]).append('=').append(k[1]).append(' ');
            check(got.toString().equals("35=1 35=0 23=1 23=0 57=1 57=0 "), "guest keys: " + got);
            check(buttons.toString().equals("272=1 272=0 "), "guest buttons: " + buttons);
            got.append(buttons);
            if (clientMode) {
                // QEMU scales 512 of 1024 and 384 of 768 to 16383 of 0..32767.
                check(abs.stream().anyMatch(a -> a[0] == 0 && a[1] == 16383) && abs.stream().anyMatch(a -> a[0] == 1 && a[1] == 16383),
                      "absolute position not seen");
            }
            System.out.println("  guest saw: " + got + (clientMode ? "and the absolute position 512,384" : "(server mouse mode)"));
            SpiceClient.Cursor cursor = client.cursor();
            System.out.println("  cursor: " + (cursor == null ? "none" : cursor.width + "x" + cursor.height + " visible=" + cursor.visible));
            client.disconnect();
            int events = pump(client, 5, () -> false);
            check((events & SpiceClient.EVENT_CLOSED) != 0, "closed: " + events);
        }
    }

    /** The guest's tone: a square wave of 8000 / 18 Hz, 9216 samples at 8 kHz (Scripts/build-guest.sh). */
    static final double TONE_HZ = 8000.0 / 18, TONE_SECONDS = 9216.0 / 8000;

    /** Playback through the binding: a second thread pulls what is buffered with readAudio (as an
     *  AudioTrack pump would) while this one polls; once a whole tone was heard (a STOP after it), its
     *  length, dominant frequency and level are checked. */
    static void audio() throws Exception {
        long began = System.nanoTime();
        try (SpiceClient client = new SpiceClient().host("127.0.0.1").port(port).preferredCompression(-1)) {
            client.connect();
            short[][] heard = {new short[48000 * 2 * 30]};
            int[] heardSamples = {0}, reads = {0};
            java.util.concurrent.atomic.AtomicReference<Throwable> pumpFailure = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            Thread pump = new Thread(() -> {
                short[] chunk = new short[48000 * 2];
                try {
                    while (!stop.get()) {
                        SpiceClient.AudioFormat format = client.audioFormat();
                        int available = format == null ? 0 : client.audioState(SpiceClient.AUDIO_PLAYBACK).bufferedFrames;
                        if (available == 0) { Thread.sleep(5); continue; }
                        int frames = client.readAudio(chunk, 0, Math.min(available, chunk.length / format.channels) * format.channels);
                        reads[0]++;
                        synchronized (heard) {
                            int n = Math.min(frames * format.channels, heard[0].length - heardSamples[0]);
                            System.arraycopy(chunk, 0, heard[0], heardSamples[0], n);
                            heardSamples[0] += n;
                        }
                    }
                } catch (Throwable t) {
                    pumpFailure.set(t);
                }
            });
            pump.start();
            int audioEvents = 0, starts = 0, stops = 0;
            boolean wasActive = false;
            long analyseAt = Long.MAX_VALUE;
            SpiceClient.AudioFormat format = null;
            SpiceClient.AudioState state = null;
            double[] result = null;
            long deadline = System.nanoTime() + 25_000_000_000L;
            int[] rects = new int[64 * 4];
            try {
                while (System.nanoTime() < deadline && result == null && pumpFailure.get() == null) {
                    int events = client.poll(20);
                    if ((events & SpiceClient.EVENT_FRAME) != 0) while (client.takeDirty(rects) == 64) { }
                    if ((events & SpiceClient.EVENT_AUDIO) != 0) {
                        audioEvents++;
                        state = client.audioState(SpiceClient.AUDIO_PLAYBACK);
                        if (format == null) format = client.audioFormat();
                        if (state.active && !wasActive) starts++;
                        // A STOP after a START seen here: the tone before it is whole once the pump drained it.
                        if (!state.active && wasActive && starts > 0) { stops++; analyseAt = System.nanoTime() + 400_000_000L; }
                        wasActive = state.active;
                    }
                    if (System.nanoTime() >= analyseAt && format != null) {
                        analyseAt = Long.MAX_VALUE;
                        synchronized (heard) { result = analyse(heard[0], heardSamples[0], format); }
                        if (result != null && Math.abs(result[0] - TONE_SECONDS) > TONE_SECONDS * 0.05) result = null; // a partial tone: wait for the next
                    }
                }
            } finally {
                stop.set(true);
                pump.join();
            }
            if (pumpFailure.get() != null) throw new AssertionError("the pump thread failed", pumpFailure.get());
            state = client.audioState(SpiceClient.AUDIO_PLAYBACK);
            System.out.printf("  audio: format %s, %d EVENT_AUDIO polls, %d start(s) %d stop(s), %d frames pulled in %d reads, volume %s muted %b, "
                              + "latency %d ms, underruns %d, overruns %d%n", format, audioEvents, starts, stops,
                              heardSamples[0] / (format == null ? 1 : format.channels), reads[0], java.util.Arrays.toString(state.volume), state.muted,
                              state.latencyMs, state.underruns, state.overruns);
            check(format != null && format.bits == 16 && (format.channels == 1 || format.channels == 2) && format.rate >= 8000, "format " + format);
            check(result != null, "no whole tone within 25 s");
            System.out.printf("  audio: tone %.3f s, dominant %.0f Hz (played %.1f Hz), rms %.0f, after %.1f s%n", result[0], result[1], TONE_HZ,
                              result[2], (System.nanoTime() - began) / 1e9);
            check(Math.abs(result[1] - TONE_HZ) <= TONE_HZ * 0.05, "dominant frequency " + result[1]);
            // The guest's 0xC0/0x40 square wave is half of full scale: an RMS of about 16384.
            check(Math.abs(result[2] - 16384) <= 16384 * 0.25, "level " + result[2]);
            check(state.overruns == 0, "nothing dropped for want of room");
            check(client.writeAudio(new short[960], 0, 960) == 0, "the guest does not capture: writes are dropped");
        }
    }

    /** The longest burst of the left channel (split at 50 ms below 2000): {seconds, dominant Hz, rms} of
     *  it (its first and last 50 ms left out), or null when there is none. */
    static double[] analyse(short[] pcm, int samples, SpiceClient.AudioFormat format) {
        int frames = samples / format.channels, gap = format.rate / 20;
        int bestStart = -1, bestEnd = -1, start = -1, lastLoud = 0;
        for (int i = 0; i <= frames; i++) {
            int v = i < frames ? Math.abs(pcm[i * format.channels]) : 0;
            if (i < frames && v > 2000) {
                if (start < 0) start = i;
                lastLoud = i;
            } else if (start >= 0 && (i - lastLoud > gap || i == frames)) {
                if (lastLoud - start > bestEnd - bestStart) { bestStart = start; bestEnd = lastLoud; }
                start = -1;
            }
        }
        if (bestStart < 0 || bestEnd - bestStart < 4 * gap) return null;
        int from = bestStart + gap, to = bestEnd - gap;
        double best = 0, bestPower = -1, sum = 0;
        for (int i = from; i < to; i++) { double x = pcm[i * format.channels]; sum += x * x; }
        for (double hz = 200; hz <= 1000; hz += 2) {
            double c = 2 * Math.cos(2 * Math.PI * hz / format.rate), s1 = 0, s2 = 0;
            for (int i = from; i < to; i++) { double s0 = pcm[i * format.channels] + c * s1 - s2; s2 = s1; s1 = s0; }
            double power = s1 * s1 + s2 * s2 - c * s1 * s2;
            if (power > bestPower) { bestPower = power; best = hz; }
        }
        return new double[] {(double) (bestEnd - bestStart + 1) / format.rate, best, Math.sqrt(sum / (to - from))};
    }

    private static final Pattern EV = Pattern.compile("SPICETEST EV \\S+ type=(\\d+) code=(\\d+) value=(-?\\d+)");

    /** Key/button events (type 1, autorepeat left out) and absolute events (type 3) logged after offset. */
    static void readEvents(long offset, List<int[]> keys, List<int[]> abs) {
        keys.clear();
        abs.clear();
        try (RandomAccessFile file = new RandomAccessFile(serialLog, "r")) {
            file.seek(offset);
            byte[] bytes = new byte[(int) (file.length() - offset)];
            file.readFully(bytes);
            Matcher m = EV.matcher(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
            while (m.find()) {
                int type = Integer.parseInt(m.group(1)), code = Integer.parseInt(m.group(2)), value = Integer.parseInt(m.group(3));
                if (type == 1 && value != 2) keys.add(new int[] {code, value});
                if (type == 3) abs.add(new int[] {code, value});
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Time from dirty rects reported to rows copied into a Java int[] (printed, not gated). */
    static void copyTimings(SpiceClient client) {
        int w = client.width(), h = client.height();
        int[] full = new int[w * h];
        int[] rects = new int[64 * 4];
        // Check the copy is exact first.
        client.copyRect(full, 0, w, 0, 0, w, h);
        ByteBuffer fb = client.framebuffer();
        for (int i = 0; i < w * h; i += 997) {
            int y = i / w, x = i % w;
            check(full[i] == fb.getInt(y * client.stride() + x * 4), "copied pixel " + x + "," + y);
        }
        int rounds = 200;
        long start = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            client.takeDirty(rects);
            client.copyRect(full, 0, w, 0, 0, w, h);
        }
        double fullMs = (System.nanoTime() - start) / 1e6 / rounds;
        int[] small = new int[64 * 64];
        start = System.nanoTime();
        for (int r = 0; r < rounds * 10; r++) {
            client.takeDirty(rects);
            client.copyRect(small, 0, 64, 100, 100, 64, 64);
        }
        double smallUs = (System.nanoTime() - start) / 1e3 / (rounds * 10);
        // A 1920x1080 frame through the same path (the guest's screen is 1024x768): the same copy from a
        // direct ByteBuffer of that size, row by row into an int[].
        ByteBuffer big = ByteBuffer.allocateDirect(1920 * 1080 * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int[] bigOut = new int[1920 * 1080];
        start = System.nanoTime();
        for (int r = 0; r < 50; r++) {
            java.nio.IntBuffer ints = big.asIntBuffer();
            for (int y = 0; y < 1080; y++) { ints.position(y * 1920); ints.get(bigOut, y * 1920, 1920); }
        }
        double bigMs = (System.nanoTime() - start) / 1e6 / 50;
        System.out.printf("  copy timings: full %dx%d frame %.3f ms (take_dirty + JNI memcpy rows into int[]), 64x64 rect %.1f us; "
                          + "1920x1080 direct ByteBuffer -> int[] rows %.3f ms%n", w, h, fullMs, smallUs, bigMs);
    }

    static final class Ppm {
        int width, height;
        byte[] rgb;
    }

    static Ppm screendump() throws Exception {
        Path file = Files.createTempFile("screendump", ".ppm");
        try {
            Process process = new ProcessBuilder("bash", script, "screendump", qmp, file.toString()).redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes());
            check(process.waitFor() == 0, "screendump failed: " + output);
            byte[] data = Files.readAllBytes(file);
            Ppm ppm = new Ppm();
            int[] index = {0};
            String magic = token(data, index);
            check(magic.equals("P6"), "not a P6 PPM: " + magic);
            ppm.width = Integer.parseInt(token(data, index));
            ppm.height = Integer.parseInt(token(data, index));
            check(token(data, index).equals("255"), "maxval");
            index[0]++; // the one whitespace byte after maxval
            ppm.rgb = java.util.Arrays.copyOfRange(data, index[0], index[0] + ppm.width * ppm.height * 3);
            return ppm;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static String token(byte[] data, int[] index) {
        while (Character.isWhitespace(data[index[0]])) index[0]++;
        if (data[index[0]] == '#') { while (data[index[0]] != '\n') index[0]++; return token(data, index); }
        int start = index[0];
        while (!Character.isWhitespace(data[index[0]])) index[0]++;
        return new String(data, start, index[0] - start);
    }
}
