package android.media;
/** Compile-only stub. */
public class AudioTrack {
    public static final int MODE_STREAM = 1;
    public static int getMinBufferSize(int rate, int channelConfig, int encoding) { throw new UnsupportedOperationException("stub"); }
    public void play() { throw new UnsupportedOperationException("stub"); }
    public void pause() { throw new UnsupportedOperationException("stub"); }
    public void flush() { throw new UnsupportedOperationException("stub"); }
    public void stop() { throw new UnsupportedOperationException("stub"); }
    public void release() { throw new UnsupportedOperationException("stub"); }
    public int setVolume(float gain) { throw new UnsupportedOperationException("stub"); }
    public int write(short[] data, int offset, int size) { throw new UnsupportedOperationException("stub"); }
    public static class Builder {
        public Builder setAudioAttributes(AudioAttributes attributes) { throw new UnsupportedOperationException("stub"); }
        public Builder setAudioFormat(AudioFormat format) { throw new UnsupportedOperationException("stub"); }
        public Builder setBufferSizeInBytes(int bytes) { throw new UnsupportedOperationException("stub"); }
        public Builder setTransferMode(int mode) { throw new UnsupportedOperationException("stub"); }
        public AudioTrack build() { throw new UnsupportedOperationException("stub"); }
    }
}
