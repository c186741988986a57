package android.media;
/** Compile-only stub. */
public final class AudioAttributes {
    public static final int USAGE_MEDIA = 1;
    public static final int CONTENT_TYPE_MUSIC = 2;
    public static final class Builder {
        public Builder setUsage(int usage) { throw new UnsupportedOperationException("stub"); }
        public Builder setContentType(int contentType) { throw new UnsupportedOperationException("stub"); }
        public AudioAttributes build() { throw new UnsupportedOperationException("stub"); }
    }
}
