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
 * The Java binding against a real QEMU (Scripts/qemu-spice.sh start --guest linux-static --compression off),
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
        SpiceException noFrame = expect(SpiceException.class, () -> client.copyRect(new int[4], 0, 2, 0, 0, 2, 2));
        check(noFrame.status() == SpiceException.NO_FRAME, "copy before a frame: " + noFrame.status());
        client.close();
        client.close(); // twice is fine
        check(client.isClosed(), "closed");
        expect(IllegalStateException.class, () -> client.poll(0));
        expect(IllegalStateException.class, () -> client.keyAndroid(29, true));

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
