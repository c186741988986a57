package android.util;
/** Compile-only stub. */
public interface AttributeSet {}
