package android.util;
/** Compile-only stub. */
public final class Log {
    public static int w(String tag, String message) { throw new UnsupportedOperationException("stub"); }
}
