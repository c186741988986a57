package android.media;
/** Compile-only stub. */
public class AudioRecord {
    public static int getMinBufferSize(int rate, int channelConfig, int encoding) { throw new UnsupportedOperationException("stub"); }
    public void startRecording() { throw new UnsupportedOperationException("stub"); }
    public void stop() { throw new UnsupportedOperationException("stub"); }
    public void release() { throw new UnsupportedOperationException("stub"); }
    public int read(short[] data, int offset, int size) { throw new UnsupportedOperationException("stub"); }
    public static class Builder {
        public Builder setAudioSource(int source) { throw new UnsupportedOperationException("stub"); }
        public Builder setAudioFormat(AudioFormat format) { throw new UnsupportedOperationException("stub"); }
        public Builder setBufferSizeInBytes(int bytes) { throw new UnsupportedOperationException("stub"); }
        public AudioRecord build() { throw new UnsupportedOperationException("stub"); }
    }
}
