package org.swiftspice.android;

import android.media.AudioAttributes;
import android.media.AudioFormat;
import android.media.AudioRecord;
import android.media.AudioTrack;
import android.media.MediaRecorder;
import android.util.Log;

import org.swiftspice.SpiceClient;

/**
 * A thin audio pump over org.swiftspice.SpiceClient (all buffering, decoding and counting is in the core,
 * which the OpenJDK tests cover through the same binding; here it is only compiled against API stubs).
 *
 * Playback: a thread pulls 10 ms at a time with SpiceClient.readAudio (real audio, then silence that the
 * core counts as an underrun) and writes it to an AudioTrack in blocking stream mode, so the track's
 * consumption paces the loop. The track is rebuilt when the guest's format changes, paused while the
 * guest plays nothing, and follows the guest's volume and mute with AudioTrack.setVolume.
 *
 * Record (only after setMicrophoneEnabled(true); the app holds RECORD_AUDIO): while the guest captures,
 * a thread reads 20 ms at a time from an AudioRecord in the guest's record format and pushes it with
 * SpiceClient.writeAudio; the poll thread sends it.
 *
 * The client's poll loop (SpiceView or the app's own) must be running; these threads only touch the
 * any-thread audio methods. close() stops both threads; call it before closing the client.
 */
public final class SpiceAudio implements AutoCloseable {
    private static final String TAG = "SpiceAudio";

    private final SpiceClient client;
    private volatile boolean running = true;
    private volatile boolean microphone;
    private final Thread playback = new Thread(this::playbackLoop, "spice-audio-out");
    private final Thread record = new Thread(this::recordLoop, "spice-audio-in");

    public SpiceAudio(SpiceClient client) {
        this.client = client;
        playback.start();
        record.start();
    }

    /** Sends the microphone to the guest whenever it captures (off by default). */
    public void setMicrophoneEnabled(boolean enabled) { microphone = enabled; }

    /** Stops both threads and waits for them (their AudioTrack and AudioRecord are released). */
    @Override
    public void close() {
        running = false;
        try {
            playback.join();
            record.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void playbackLoop() {
        AudioTrack track = null;
        int rate = 0, channels = 0;
        boolean playing = false;
        float gain = -1;
        short[] chunk = null;
        try {
            while (running) {
                SpiceClient.AudioFormat format = client.audioFormat();
                SpiceClient.AudioState state = client.audioState(SpiceClient.AUDIO_PLAYBACK);
                if (format == null || (!state.active && state.bufferedFrames == 0)) {
                    if (playing) { track.pause(); playing = false; }
                    Thread.sleep(20);
                    continue;
                }
                if (track == null || format.rate != rate || format.channels != channels) {
                    if (track != null) track.release();
                    rate = format.rate;
                    channels = format.channels;
                    int mask = channels == 1 ? AudioFormat.CHANNEL_OUT_MONO : AudioFormat.CHANNEL_OUT_STEREO;
                    int minimum = AudioTrack.getMinBufferSize(rate, mask, AudioFormat.ENCODING_PCM_16BIT);
                    track = new AudioTrack.Builder()
                        .setAudioAttributes(new AudioAttributes.Builder().setUsage(AudioAttributes.USAGE_MEDIA)
                            .setContentType(AudioAttributes.CONTENT_TYPE_MUSIC).build())
                        .setAudioFormat(new AudioFormat.Builder().setSampleRate(rate).setChannelMask(mask)
                            .setEncoding(AudioFormat.ENCODING_PCM_16BIT).build())
                        .setBufferSizeInBytes(Math.max(minimum, rate / 10 * channels * 2))
                        .setTransferMode(AudioTrack.MODE_STREAM)
                        .build();
                    chunk = new short[rate / 100 * channels];
                    playing = false;
                    gain = -1;
                }
                // The guest's volume (0..65535 per channel; the louder channel) and mute.
                int level = 0;
                for (int v : state.volume) level = Math.max(level, v);
                float wanted = state.muted ? 0f : state.volume.length == 0 ? 1f : level / 65535f;
                if (wanted != gain) { track.setVolume(wanted); gain = wanted; }
                if (!playing) { track.play(); playing = true; }
                client.readAudio(chunk);
                track.write(chunk, 0, chunk.length);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) { // the client was closed, or the native side failed
            Log.w(TAG, "playback stopped: " + e);
        } finally {
            if (track != null) { track.stop(); track.release(); }
        }
    }

    private void recordLoop() {
        AudioRecord recorder = null;
        int rate = 0, channels = 0;
        short[] chunk = null;
        try {
            while (running) {
                SpiceClient.AudioFormat format = client.recordFormat();
                boolean capturing = microphone && format != null && client.audioState(SpiceClient.AUDIO_RECORD).active;
                if (!capturing || (recorder != null && (format.rate != rate || format.channels != channels))) {
                    if (recorder != null) { recorder.stop(); recorder.release(); recorder = null; }
                    if (!capturing) { Thread.sleep(50); continue; }
                }
                if (recorder == null) {
                    rate = format.rate;
                    channels = format.channels;
                    int mask = channels == 1 ? AudioFormat.CHANNEL_IN_MONO : AudioFormat.CHANNEL_IN_STEREO;
                    int minimum = AudioRecord.getMinBufferSize(rate, mask, AudioFormat.ENCODING_PCM_16BIT);
                    recorder = new AudioRecord.Builder()
                        .setAudioSource(MediaRecorder.AudioSource.VOICE_COMMUNICATION)
                        .setAudioFormat(new AudioFormat.Builder().setSampleRate(rate).setChannelMask(mask)
                            .setEncoding(AudioFormat.ENCODING_PCM_16BIT).build())
                        .setBufferSizeInBytes(Math.max(minimum, rate / 10 * channels * 2))
                        .build();
                    recorder.startRecording();
                    chunk = new short[rate / 50 * channels];
                }
                int samples = recorder.read(chunk, 0, chunk.length);
                if (samples > 0) client.writeAudio(chunk, 0, samples - samples % channels);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            Log.w(TAG, "record stopped: " + e);
        } finally {
            if (recorder != null) { recorder.stop(); recorder.release(); }
        }
    }
}
