package android.graphics;
/** Compile-only stub. */
public class Matrix {
    public void setScale(float sx, float sy) { throw new UnsupportedOperationException("stub"); }
    public boolean postTranslate(float dx, float dy) { throw new UnsupportedOperationException("stub"); }
    public boolean invert(Matrix inverse) { throw new UnsupportedOperationException("stub"); }
    public void mapPoints(float[] points) { throw new UnsupportedOperationException("stub"); }
}
