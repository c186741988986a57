package android.view;
/** Compile-only stub. */
public final class MotionEvent {
    public static final int ACTION_DOWN = 0, ACTION_UP = 1, ACTION_MOVE = 2, ACTION_CANCEL = 3;
    public int getActionMasked() { throw new UnsupportedOperationException("stub"); }
    public float getX() { throw new UnsupportedOperationException("stub"); }
    public float getY() { throw new UnsupportedOperationException("stub"); }
}
