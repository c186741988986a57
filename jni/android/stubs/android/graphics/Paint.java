package android.graphics;
/** Compile-only stub. */
public class Paint {
    public static final int FILTER_BITMAP_FLAG = 2;
    public Paint(int flags) {}
}
