package android.media;
/** Compile-only stub. */
public final class AudioFormat {
    public static final int ENCODING_PCM_16BIT = 2;
    public static final int CHANNEL_OUT_MONO = 4;
    public static final int CHANNEL_OUT_STEREO = 12;
    public static final int CHANNEL_IN_MONO = 16;
    public static final int CHANNEL_IN_STEREO = 12;
    public static final class Builder {
        public Builder setSampleRate(int rate) { throw new UnsupportedOperationException("stub"); }
        public Builder setChannelMask(int mask) { throw new UnsupportedOperationException("stub"); }
        public Builder setEncoding(int encoding) { throw new UnsupportedOperationException("stub"); }
        public AudioFormat build() { throw new UnsupportedOperationException("stub"); }
    }
}
