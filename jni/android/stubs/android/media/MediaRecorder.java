package android.media;
/** Compile-only stub. */
public class MediaRecorder {
    public static final class AudioSource {
        public static final int MIC = 1;
        public static final int VOICE_COMMUNICATION = 7;
    }
}
