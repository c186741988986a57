package android.view;
/** Compile-only stub. */
public class KeyEvent {}
