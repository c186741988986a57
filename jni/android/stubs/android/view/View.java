package android.view;
import android.content.Context;
import android.graphics.Canvas;
import android.util.AttributeSet;
/** Compile-only stub. */
public class View {
    public View(Context context) {}
    public View(Context context, AttributeSet attrs) {}
    public void setFocusable(boolean focusable) {}
    public void setFocusableInTouchMode(boolean focusable) {}
    public void postInvalidateOnAnimation() {}
    public final int getWidth() { return 0; }
    public final int getHeight() { return 0; }
    protected void onDraw(Canvas canvas) {}
    public boolean onTouchEvent(MotionEvent event) { return false; }
    public boolean onKeyDown(int keyCode, KeyEvent event) { return false; }
    public boolean onKeyUp(int keyCode, KeyEvent event) { return false; }
}
