package org.swiftspice.viewer;

import java.awt.BorderLayout;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Graphics;
import java.awt.Graphics2D;
import java.awt.Point;
import java.awt.RenderingHints;
import java.awt.Toolkit;
import java.awt.event.FocusAdapter;
import java.awt.event.FocusEvent;
import java.awt.event.KeyAdapter;
import java.awt.event.KeyEvent;
import java.awt.event.MouseAdapter;
import java.awt.event.MouseEvent;
import java.awt.event.MouseWheelEvent;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.DirectColorModel;
import java.awt.image.WritableRaster;
import java.util.HashMap;
import java.util.Map;
import javax.swing.JFrame;
import javax.swing.JPanel;
import javax.swing.SwingUtilities;

import org.swiftspice.SpiceClient;
import org.swiftspice.SpiceException;

/**
 * A small desktop viewer on the same binding as the Android View (the desktop stand-in for it): a poll
 * thread copies only the dirty rects into a BufferedImage whose int pixels have the framebuffer's
 * R,G,B,A byte layout (so a rect is one memcpy per row, as with AndroidBitmap_lockPixels), the panel
 * scales the picture to the window (keeping the aspect ratio), draws the guest's cursor, and forwards
 * mouse (absolute in client mode, relative in server mode) and keys (AWT key code -> evdev).
 *
 *   java -Djava.library.path=LIBDIR -cp CLASSES org.swiftspice.viewer.Viewer HOST PORT [PASSWORD]
 */
public final class Viewer extends JPanel {
    /** The framebuffer's ints are 0xAABBGGRR (R,G,B,A bytes, little-endian): show them as RGB. */
    private static final long serialVersionUID = 1L;
    private static final DirectColorModel RGBA_LE = new DirectColorModel(24, 0x0000FF, 0x00FF00, 0xFF0000);

    private final SpiceClient client;
    private final Object imageLock = new Object();
    private BufferedImage image;
    private int[] pixels;
    private volatile SpiceClient.Cursor cursor;
    private volatile BufferedImage cursorImage;
    private volatile boolean running = true;
    private volatile long framesShown;
    private Point lastMouse;
    private Thread pollThread;

    public Viewer(SpiceClient client) {
        this.client = client;
        setBackground(Color.DARK_GRAY);
        setPreferredSize(new Dimension(800, 600));
        setFocusable(true);
        setFocusTraversalKeysEnabled(false);
        MouseAdapter mouse = new MouseAdapter() {
            @Override public void mouseMoved(MouseEvent e) { moved(e); }
            @Override public void mouseDragged(MouseEvent e) { moved(e); }
            @Override public void mousePressed(MouseEvent e) { requestFocusInWindow(); moved(e); button(e, true); }
            @Override public void mouseReleased(MouseEvent e) { moved(e); button(e, false); }
            @Override public void mouseWheelMoved(MouseWheelEvent e) { send(() -> client.mouseWheel(-e.getWheelRotation())); }
        };
        addMouseListener(mouse);
        addMouseMotionListener(mouse);
        addMouseWheelListener(mouse);
        addKeyListener(new KeyAdapter() {
            @Override public void keyPressed(KeyEvent e) { key(e, true); }
            @Override public void keyReleased(KeyEvent e) { key(e, false); }
        });
        addFocusListener(new FocusAdapter() {
            @Override public void focusLost(FocusEvent e) { send(client::releaseAll); }
        });
        // The guest's cursor is drawn in the picture; hide the local one over it.
        setCursor(Toolkit.getDefaultToolkit().createCustomCursor(new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB), new Point(), "none"));
    }

    /** Frames copied into the image so far (for tests). */
    public long framesShown() { return framesShown; }

    /** Starts the poll thread: connects and then polls until the session ends or stop(). */
    public void start() {
        pollThread = new Thread(this::pollLoop, "spice-poll");
        pollThread.setDaemon(true);
        pollThread.start();
    }

    public void stop() throws InterruptedException {
        running = false;
        if (pollThread != null) pollThread.join(5000);
    }

    private void pollLoop() {
        int[] rects = new int[64 * 4];
        try {
            client.connect();
            while (running) {
                int events = client.poll(50);
                if ((events & SpiceClient.EVENT_RESIZE) != 0) resize();
                if ((events & SpiceClient.EVENT_FRAME) != 0) copyDirty(rects);
                if ((events & SpiceClient.EVENT_CURSOR) != 0) { cursor = client.cursor(); cursorImage = null; repaint(); }
                if ((events & SpiceClient.EVENT_CLOSED) != 0) break;
            }
            if (running) client.disconnect();
        } catch (SpiceException e) {
            System.err.println("viewer: " + e.getMessage());
        }
    }

    private void resize() {
        synchronized (imageLock) {
            int w = client.width(), h = client.height();
            if (w == 0 || h == 0) { image = null; pixels = null; return; }
            WritableRaster raster = RGBA_LE.createCompatibleWritableRaster(w, h);
            image = new BufferedImage(RGBA_LE, raster, false, null);
            pixels = ((DataBufferInt) raster.getDataBuffer()).getData();
        }
    }

    /** Copies only the dirty rects, then repaints only their scaled areas. */
    private void copyDirty(int[] rects) {
        int count;
        while ((count = client.takeDirty(rects)) > 0) {
            synchronized (imageLock) {
                if (pixels == null) return;
                int w = image.getWidth();
                for (int i = 0; i < count; i++) {
                    int x = rects[i * 4], y = rects[i * 4 + 1], rw = rects[i * 4 + 2], rh = rects[i * 4 + 3];
                    client.copyRect(pixels, y * w + x, w, x, y, rw, rh);
                }
            }
            framesShown++;
            repaint();
            if (count < rects.length / 4) break;
        }
    }

    // ---- drawing -------------------------------------------------------------------------------

    /** Where the picture is drawn: scaled to the panel, aspect ratio kept, centred. {x, y, w, h}. */
    double[] placement() {
        BufferedImage current = image;
        if (current == null) return null;
        double scale = Math.min(getWidth() / (double) current.getWidth(), getHeight() / (double) current.getHeight());
        double w = current.getWidth() * scale, h = current.getHeight() * scale;
        return new double[] {(getWidth() - w) / 2, (getHeight() - h) / 2, w, h, scale};
    }

    @Override
    protected void paintComponent(Graphics g) {
        super.paintComponent(g);
        Graphics2D g2 = (Graphics2D) g;
        g2.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        synchronized (imageLock) {
            double[] p = placement();
            if (p == null) return;
            g2.drawImage(image, (int) p[0], (int) p[1], (int) Math.round(p[2]), (int) Math.round(p[3]), null);
            SpiceClient.Cursor c = cursor;
            if (c != null && c.visible && c.argb != null) {
                if (cursorImage == null) {
                    cursorImage = new BufferedImage(c.width, c.height, BufferedImage.TYPE_INT_ARGB);
                    cursorImage.setRGB(0, 0, c.width, c.height, c.argb, 0, c.width);
                }
                // Server mode: where the guest says; client mode: at the local pointer.
                double cx, cy;
                Point local = lastMouse;
                if (client.currentMouseMode() == SpiceClient.MOUSE_MODE_CLIENT && local != null) {
                    cx = local.x; cy = local.y;
                } else {
                    cx = p[0] + c.x * p[4]; cy = p[1] + c.y * p[4];
                }
                g2.drawImage(cursorImage, (int) (cx - c.hotX * p[4]), (int) (cy - c.hotY * p[4]),
                             (int) Math.max(1, c.width * p[4]), (int) Math.max(1, c.height * p[4]), null);
            }
        }
    }

    // ---- input ---------------------------------------------------------------------------------

    private interface Input { void run(); }

    private void send(Input input) {
        try { input.run(); } catch (SpiceException | IllegalStateException e) { /* queue full or session over: dropped */ }
    }

    private void moved(MouseEvent e) {
        Point previous = lastMouse;
        lastMouse = e.getPoint();
        double[] p = placement();
        if (p == null) return;
        if (client.currentMouseMode() == SpiceClient.MOUSE_MODE_CLIENT) {
            int x = (int) Math.floor((e.getX() - p[0]) / p[4]), y = (int) Math.floor((e.getY() - p[1]) / p[4]);
            int w = client.width(), h = client.height();
            send(() -> client.mousePosition(Math.max(0, Math.min(w - 1, x)), Math.max(0, Math.min(h - 1, y))));
        } else if (previous != null) {
            int dx = (int) Math.round((e.getX() - previous.x) / p[4]), dy = (int) Math.round((e.getY() - previous.y) / p[4]);
            if (dx != 0 || dy != 0) send(() -> client.mouseMotion(dx, dy));
        }
        repaint();
    }

    private void button(MouseEvent e, boolean down) {
        int button = switch (e.getButton()) {
            case MouseEvent.BUTTON1 -> SpiceClient.BUTTON_LEFT;
            case MouseEvent.BUTTON2 -> SpiceClient.BUTTON_MIDDLE;
            case MouseEvent.BUTTON3 -> SpiceClient.BUTTON_RIGHT;
            default -> 0;
        };
        if (button != 0) send(() -> client.mouseButton(button, down));
    }

    private void key(KeyEvent e, boolean down) {
        Integer evdev = evdevCode(e.getKeyCode(), e.getKeyLocation());
        if (evdev != null) send(() -> client.keyEvdev(evdev, down));
        e.consume();
    }

    private static final Map<Integer, Integer> KEYS = new HashMap<>();
    static {
        // Letters and digits by their position on a US keyboard (Linux input-event-codes.h).
        String row1 = "QWERTYUIOP", row2 = "ASDFGHJKL", row3 = "ZXCVBNM";
        for (int i = 0; i < row1.length(); i++) KEYS.put((int) row1.charAt(i), 16 + i);
        for (int i = 0; i < row2.length(); i++) KEYS.put((int) row2.charAt(i), 30 + i);
        for (int i = 0; i < row3.length(); i++) KEYS.put((int) row3.charAt(i), 44 + i);
        for (int i = 1; i <= 9; i++) KEYS.put(KeyEvent.VK_0 + i, 1 + i);
        KEYS.put(KeyEvent.VK_0, 11);
        int[][] pairs = {
            {KeyEvent.VK_ESCAPE, 1}, {KeyEvent.VK_MINUS, 12}, {KeyEvent.VK_EQUALS, 13}, {KeyEvent.VK_BACK_SPACE, 14},
            {KeyEvent.VK_TAB, 15}, {KeyEvent.VK_OPEN_BRACKET, 26}, {KeyEvent.VK_CLOSE_BRACKET, 27}, {KeyEvent.VK_ENTER, 28},
            {KeyEvent.VK_CONTROL, 29}, {KeyEvent.VK_SEMICOLON, 39}, {KeyEvent.VK_QUOTE, 40}, {KeyEvent.VK_BACK_QUOTE, 41},
            {KeyEvent.VK_SHIFT, 42}, {KeyEvent.VK_BACK_SLASH, 43}, {KeyEvent.VK_COMMA, 51}, {KeyEvent.VK_PERIOD, 52},
            {KeyEvent.VK_SLASH, 53}, {KeyEvent.VK_ALT, 56}, {KeyEvent.VK_SPACE, 57}, {KeyEvent.VK_CAPS_LOCK, 58},
            {KeyEvent.VK_F1, 59}, {KeyEvent.VK_F2, 60}, {KeyEvent.VK_F3, 61}, {KeyEvent.VK_F4, 62}, {KeyEvent.VK_F5, 63},
            {KeyEvent.VK_F6, 64}, {KeyEvent.VK_F7, 65}, {KeyEvent.VK_F8, 66}, {KeyEvent.VK_F9, 67}, {KeyEvent.VK_F10, 68},
            {KeyEvent.VK_NUM_LOCK, 69}, {KeyEvent.VK_SCROLL_LOCK, 70}, {KeyEvent.VK_F11, 87}, {KeyEvent.VK_F12, 88},
            {KeyEvent.VK_ALT_GRAPH, 100}, {KeyEvent.VK_HOME, 102}, {KeyEvent.VK_UP, 103}, {KeyEvent.VK_PAGE_UP, 104},
            {KeyEvent.VK_LEFT, 105}, {KeyEvent.VK_RIGHT, 106}, {KeyEvent.VK_END, 107}, {KeyEvent.VK_DOWN, 108},
            {KeyEvent.VK_PAGE_DOWN, 109}, {KeyEvent.VK_INSERT, 110}, {KeyEvent.VK_DELETE, 111}, {KeyEvent.VK_PAUSE, 119},
            {KeyEvent.VK_WINDOWS, 125}, {KeyEvent.VK_CONTEXT_MENU, 127}, {KeyEvent.VK_PRINTSCREEN, 99},
        };
        for (int[] pair : pairs) KEYS.put(pair[0], pair[1]);
    }

    /** The evdev code of an AWT key (right-hand modifiers by their location), or null. */
    static Integer evdevCode(int keyCode, int location) {
        if (location == KeyEvent.KEY_LOCATION_RIGHT) {
            if (keyCode == KeyEvent.VK_CONTROL) return 97;
            if (keyCode == KeyEvent.VK_SHIFT) return 54;
            if (keyCode == KeyEvent.VK_ALT) return 100;
        }
        return KEYS.get(keyCode);
    }

    // ---- application ---------------------------------------------------------------------------

    /** Opens a window showing a viewer on `client` (not yet connected) and starts it. */
    public static Viewer open(SpiceClient client, String title) throws Exception {
        Viewer[] viewer = new Viewer[1];
        SwingUtilities.invokeAndWait(() -> {
            JFrame frame = new JFrame(title);
            frame.setDefaultCloseOperation(JFrame.DISPOSE_ON_CLOSE);
            viewer[0] = new Viewer(client);
            frame.getContentPane().add(viewer[0], BorderLayout.CENTER);
            frame.pack();
            frame.setLocation(0, 0);
            frame.setVisible(true);
            viewer[0].requestFocusInWindow();
        });
        viewer[0].start();
        return viewer[0];
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Viewer HOST PORT [PASSWORD]");
            System.exit(2);
        }
        SpiceClient client = new SpiceClient().host(args[0]).port(Integer.parseInt(args[1]));
        if (args.length > 2) client.password(args[2]);
        Viewer viewer = open(client, "SPICE " + args[0] + ":" + args[1]);
        viewer.pollThread.join();
        client.close();
        System.exit(0);
    }
}
