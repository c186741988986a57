package android.graphics;
/** Compile-only stub. */
public class Canvas {
    public void drawBitmap(Bitmap bitmap, Matrix matrix, Paint paint) { throw new UnsupportedOperationException("stub"); }
}
