package android.content;
/** Compile-only stub of the Android API (no android.jar on the CI machines): signatures only. */
public class Context {}
