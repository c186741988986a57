package org.swiftspice.viewer;

import java.awt.Point;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.event.InputEvent;
import java.awt.event.KeyEvent;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.swing.SwingUtilities;

import org.swiftspice.SpiceClient;

/**
 * The Swing viewer under Xvfb against a real QEMU (--guest linux-static): a screenshot of the window
 * shows the guest's screen (compared loosely with QMP screendump, since the window scales it), and a
 * click and a key typed into the window reach the guest (its serial log).
 *
 *   xvfb-run java ... org.swiftspice.viewer.ViewerTest PORT QMP_SOCK SERIAL_LOG QEMU_SPICE_SH OUTDIR
 *
 * Last line: "viewer: N passed, N failed".
 */
public final class ViewerTest {
    private static int passed, failed;

    static void check(boolean condition, String what) {
        if (condition) { passed++; System.out.println("PASS " + what); }
        else { failed++; System.out.println("FAIL " + what); }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String qmp = args[1], serial = args[2], script = args[3], outDir = args[4];
        try {
            run(port, qmp, serial, script, outDir);
        } catch (Throwable t) {
            failed++;
            System.out.println("FAIL viewer test threw " + t);
            t.printStackTrace(System.out);
        }
        System.out.println("viewer: " + passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }

    static void run(int port, String qmp, String serial, String script, String outDir) throws Exception {
        SpiceClient client = new SpiceClient().host("127.0.0.1").port(port).preferredCompression(-1);
        Viewer viewer = Viewer.open(client, "viewer test");
        // Wait for frames, then for the screen to hold still for 1.5 s.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (viewer.framesShown() == 0 && System.nanoTime() < deadline) Thread.sleep(50);
        long last = -1, stillSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = viewer.framesShown();
            if (now != last) { last = now; stillSince = System.nanoTime(); }
            if (System.nanoTime() - stillSince > 1_500_000_000L) break;
            Thread.sleep(50);
        }
        check(viewer.framesShown() > 0, "the viewer received frames (" + viewer.framesShown() + " dirty-rect batches)");
        Thread.sleep(300);

        // Screenshot of the panel, from the X server itself.
        Robot robot = new Robot();
        Point origin = viewer.getLocationOnScreen();
        Rectangle area = new Rectangle(origin.x, origin.y, viewer.getWidth(), viewer.getHeight());
        BufferedImage shot = robot.createScreenCapture(area);
        ImageIO.write(shot, "png", new File(outDir, "viewer.png"));

        // QEMU's picture, compared at a grid of points through the same scaling.
        Path ppmFile = Files.createTempFile("viewer-screendump", ".ppm");
        Process process = new ProcessBuilder("bash", script, "screendump", qmp, ppmFile.toString()).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        check(process.waitFor() == 0, "QMP screendump");
        byte[] ppm = Files.readAllBytes(ppmFile);
        Files.deleteIfExists(ppmFile);
        int[] header = new int[4]; // width, height, maxval, data offset
        parsePpm(ppm, header);
        int fw = header[0], fh = header[1], data = header[3];
        double[] place = viewer.placement();
        int samples = 0, close = 0, bright = 0;
        for (int gy = 0; gy < 48; gy++) {
            for (int gx = 0; gx < 64; gx++) {
                int fx = (int) ((gx + 0.5) * fw / 64), fy = (int) ((gy + 0.5) * fh / 48);
                int sx = (int) (place[0] + (fx + 0.5) * place[4]), sy = (int) (place[1] + (fy + 0.5) * place[4]);
                if (sx < 0 || sy < 0 || sx >= shot.getWidth() || sy >= shot.getHeight()) continue;
                int rgb = shot.getRGB(sx, sy);
                int p = data + (fy * fw + fx) * 3;
                int r = ppm[p] & 0xFF, g = ppm[p + 1] & 0xFF, b = ppm[p + 2] & 0xFF;
                int dr = Math.abs(((rgb >> 16) & 0xFF) - r), dg = Math.abs(((rgb >> 8) & 0xFF) - g), db = Math.abs((rgb & 0xFF) - b);
                samples++;
                if (dr <= 64 && dg <= 64 && db <= 64) close++;
                if (r + g + b > 96) bright++;
            }
        }
        System.out.printf("  window %dx%d shows the %dx%d screen at scale %.3f: %d of %d sample points match the screendump%n",
                          shot.getWidth(), shot.getHeight(), fw, fh, place[4], close, samples);
        check(samples > 2000 && close >= samples * 0.9, "the window shows the guest's screen (" + close + "/" + samples + " close)");
        check(bright > 20, "the compared picture is not blank (" + bright + " bright samples)");

        // A click and a key typed into the window reach the guest.
        long offset = Files.size(Path.of(serial));
        robot.mouseMove(origin.x + viewer.getWidth() / 2, origin.y + viewer.getHeight() / 2);
        robot.delay(200);
        robot.mousePress(InputEvent.BUTTON1_DOWN_MASK);
        robot.delay(50);
        robot.mouseRelease(InputEvent.BUTTON1_DOWN_MASK);
        robot.delay(300);
        SwingUtilities.invokeAndWait(viewer::requestFocusInWindow);
        robot.delay(200);
        robot.keyPress(KeyEvent.VK_A);
        robot.delay(50);
        robot.keyRelease(KeyEvent.VK_A);
        String keys = "";
        deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            keys = guestKeys(serial, offset);
            if (keys.contains("272=0") && keys.contains("30=0")) break;
            Thread.sleep(100);
        }
        check(keys.contains("272=1 272=0"), "the click reached the guest as BTN_LEFT: " + keys);
        check(keys.contains("30=1 30=0"), "the key reached the guest as KEY_A: " + keys);

        viewer.stop();
        client.close();
        SwingUtilities.invokeAndWait(() -> SwingUtilities.getWindowAncestor(viewer).dispose());
    }

    private static final Pattern EV = Pattern.compile("SPICETEST EV \\S+ type=1 code=(\\d+) value=([01])\\b");

    static String guestKeys(String serial, long offset) throws Exception {
        try (RandomAccessFile file = new RandomAccessFile(serial, "r")) {
            file.seek(offset);
            byte[] bytes = new byte[(int) (file.length() - offset)];
            file.readFully(bytes);
            Matcher m = EV.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
            StringBuilder out = new StringBuilder();
            while (m.find()) out.append(m.group(1)).append('=').append(m.group(2)).append(' ');
            return out.toString();
        }
    }

    static void parsePpm(byte[] data, int[] header) {
        int index = 0;
        for (int field = -1; field < 3; field++) {
            while (Character.isWhitespace(data[index])) index++;
            int start = index;
            while (!Character.isWhitespace(data[index])) index++;
            String token = new String(data, start, index - start, StandardCharsets.US_ASCII);
            if (field == -1) { if (!token.equals("P6")) throw new IllegalArgumentException("not P6"); }
            else header[field] = Integer.parseInt(token);
        }
        header[3] = index + 1;
    }
}
