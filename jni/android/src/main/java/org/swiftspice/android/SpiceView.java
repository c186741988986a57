package org.swiftspice.android;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Matrix;
import android.graphics.Paint;
import android.util.AttributeSet;
import android.view.KeyEvent;
import android.view.MotionEvent;
import android.view.View;

import org.swiftspice.SpiceClient;
import org.swiftspice.SpiceException;

/**
 * A thin Android View over org.swiftspice.SpiceClient (all logic is in the binding, which the OpenJDK
 * tests cover; this file is not compiled on the CI machines, which have no android.jar).
 *
 * A worker thread runs the poll loop and copies only the dirty rects into an ARGB_8888 Bitmap
 * (SpiceClient.copyRectsToBitmap: AndroidBitmap_lockPixels + one memcpy per row, no pixel conversion
 * since the framebuffer is already R,G,B,A), then invalidates. Touch maps to absolute positions in
 * client mouse mode and to relative motion in server mode; keys go through the core's Android keycode
 * table (SpiceClient.keyAndroid).
 */
public class SpiceView extends View {
    private final Paint paint = new Paint(Paint.FILTER_BITMAP_FLAG);
    private final Matrix matrix = new Matrix();
    private final Matrix inverse = new Matrix();
    private SpiceClient client;
    private Thread worker;
    private volatile boolean running;
    private Bitmap bitmap;
    private float lastX, lastY;

    public SpiceView(Context context) { super(context); init(); }
    public SpiceView(Context context, AttributeSet attrs) { super(context, attrs); init(); }

    private void init() {
        setFocusable(true);
        setFocusableInTouchMode(true);
    }

    /** Connects `client` (configured, not yet connected) and shows it until stop(). */
    public void start(SpiceClient client) {
        this.client = client;
        running = true;
        worker = new Thread(this::pollLoop, "spice-poll");
        worker.start();
    }

    /** Stops the poll loop and closes the client. */
    public void stop() throws InterruptedException {
        running = false;
        if (worker != null) worker.join();
        if (client != null) client.close();
    }

    private void pollLoop() {
        int[] rects = new int[64 * 4];
        try {
            client.connect();
            while (running) {
                int events = client.poll(100);
                if ((events & SpiceClient.EVENT_RESIZE) != 0) {
                    int w = client.width(), h = client.height();
                    Bitmap next = w > 0 && h > 0 ? Bitmap.createBitmap(w, h, Bitmap.Config.ARGB_8888) : null;
                    synchronized (this) { bitmap = next; }
                }
                if ((events & SpiceClient.EVENT_FRAME) != 0) {
                    int count;
                    while ((count = client.takeDirty(rects)) > 0) {
                        synchronized (this) { if (bitmap != null) client.copyRectsToBitmap(bitmap, rects, count); }
                        if (count < rects.length / 4) break;
                    }
                    postInvalidateOnAnimation();
                }
                if ((events & SpiceClient.EVENT_CLOSED) != 0) break;
            }
        } catch (SpiceException e) {
            android.util.Log.w("SpiceView", e.getMessage());
        }
    }

    @Override
    protected synchronized void onDraw(Canvas canvas) {
        if (bitmap == null) return;
        float scale = Math.min(getWidth() / (float) bitmap.getWidth(), getHeight() / (float) bitmap.getHeight());
        matrix.setScale(scale, scale);
        matrix.postTranslate((getWidth() - bitmap.getWidth() * scale) / 2, (getHeight() - bitmap.getHeight() * scale) / 2);
        matrix.invert(inverse);
        canvas.drawBitmap(bitmap, matrix, paint);
    }

    @Override
    public boolean onTouchEvent(MotionEvent event) {
        if (client == null) return false;
        try {
            if (client.currentMouseMode() == SpiceClient.MOUSE_MODE_CLIENT) {
                float[] point = {event.getX(), event.getY()};
                synchronized (this) { inverse.mapPoints(point); }
                client.mousePosition(Math.max(0, (int) point[0]), Math.max(0, (int) point[1]));
            } else if (event.getActionMasked() == MotionEvent.ACTION_MOVE) {
                client.mouseMotion(Math.round(event.getX() - lastX), Math.round(event.getY() - lastY));
            }
            lastX = event.getX();
            lastY = event.getY();
            switch (event.getActionMasked()) {
                case MotionEvent.ACTION_DOWN: client.mouseButton(SpiceClient.BUTTON_LEFT, true); break;
                case MotionEvent.ACTION_UP:
                case MotionEvent.ACTION_CANCEL: client.mouseButton(SpiceClient.BUTTON_LEFT, false); break;
                default: break;
            }
        } catch (SpiceException e) {
            return false;
        }
        return true;
    }

    @Override
    public boolean onKeyDown(int keyCode, KeyEvent event) { return key(keyCode, true) || super.onKeyDown(keyCode, event); }

    @Override
    public boolean onKeyUp(int keyCode, KeyEvent event) { return key(keyCode, false) || super.onKeyUp(keyCode, event); }

    private boolean key(int keyCode, boolean down) {
        if (client == null) return false;
        try {
            client.keyAndroid(keyCode, down);
            return true;
        } catch (SpiceException e) {
            return false; // no PC key for it (volume keys...): let Android handle it
        }
    }
}
