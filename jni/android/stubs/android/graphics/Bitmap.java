package android.graphics;
/** Compile-only stub. */
public final class Bitmap {
    public enum Config { ARGB_8888 }
    public static Bitmap createBitmap(int width, int height, Config config) { throw new UnsupportedOperationException("stub"); }
    public int getWidth() { throw new UnsupportedOperationException("stub"); }
    public int getHeight() { throw new UnsupportedOperationException("stub"); }
}
