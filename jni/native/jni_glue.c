/*
 * The JNI side of libSpiceClientJNI.so: the natives of org.swiftspice.SpiceClient over the C ABI of
 * spice_client.h. Handles are the spc_client pointer in a Java long. Failures become
 * org.swiftspice.SpiceException (message: spc_last_error, status: the spc_status); bad arguments from
 * Java become IllegalArgumentException. Without jni.h (a machine without a JDK) this file compiles to
 * nothing, so the rest of the package still builds; the Android NDK sysroot has jni.h.
 */
#if __has_include(<jni.h>)
#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spice_client.h"

/* Cached in JNI_OnLoad as global references (classes) and ids; never changed afterwards. Per-VM
 * state, not per-client: every client's state stays in its handle. */
static jclass spiceExceptionClass;
static jmethodID spiceExceptionInit;
static jclass illegalArgumentClass;

JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM *vm, void *reserved) {
    (void)reserved;
    JNIEnv *env;
    if ((*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) return JNI_ERR;
    jclass local = (*env)->FindClass(env, "org/swiftspice/SpiceException");
    if (local == NULL) return JNI_ERR;
    spiceExceptionClass = (*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    spiceExceptionInit = (*env)->GetMethodID(env, spiceExceptionClass, "<init>", "(Ljava/lang/String;I)V");
    if (spiceExceptionInit == NULL) return JNI_ERR;
    local = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (local == NULL) return JNI_ERR;
    illegalArgumentClass = (*env)->NewGlobalRef(env, local);
    (*env)->DeleteLocalRef(env, local);
    return JNI_VERSION_1_6;
}

static spc_client *H(jlong handle) { return (spc_client *)(intptr_t)handle; }

/* Throws SpiceException(last error, status) when status < 0; returns status. */
static jint check(JNIEnv *env, jlong handle, jint status) {
    if (status >= 0) return status;
    char text[1024];
    if (handle == 0) {
        strcpy(text, "the client is closed (null handle)");
    } else if (spc_last_error(H(handle), text, sizeof text) < 0) {
        strcpy(text, "unknown error");
    }
    jstring message = (*env)->NewStringUTF(env, text);
    if (message == NULL) return status; /* OutOfMemoryError pending */
    jobject exception = (*env)->NewObject(env, spiceExceptionClass, spiceExceptionInit, message, status);
    if (exception != NULL) (*env)->Throw(env, (jthrowable)exception);
    return status;
}

static void illegalArgument(JNIEnv *env, const char *text) { (*env)->ThrowNew(env, illegalArgumentClass, text); }

#define NATIVE(ret, name) JNIEXPORT ret JNICALL Java_org_swiftspice_SpiceClient_##name

NATIVE(jlong, nativeCreate)(JNIEnv *env, jclass cls) {
    (void)cls;
    spc_client *client = spc_create();
    if (client == NULL) (*env)->ThrowNew(env, spiceExceptionClass, "out of memory");
    return (jlong)(intptr_t)client;
}

NATIVE(void, nativeFree)(JNIEnv *env, jclass cls, jlong handle) {
    (void)env; (void)cls;
    spc_free(H(handle));
}

NATIVE(void, nativeConfigure)(JNIEnv *env, jclass cls, jlong handle, jint which, jint value) {
    (void)cls;
    jint status;
    switch (which) {
    case 0: status = spc_set_port(H(handle), value); break;
    case 1: status = spc_set_tls_port(H(handle), value); break;
    case 2: status = spc_set_mouse_mode(H(handle), value); break;
    case 3: status = spc_set_channels(H(handle), (uint32_t)value); break;
    case 4: status = spc_set_preferred_compression(H(handle), value); break;
    default: illegalArgument(env, "unknown integer setting"); return;
    }
    check(env, handle, status);
}

NATIVE(void, nativeConfigureString)(JNIEnv *env, jclass cls, jlong handle, jint which, jstring value) {
    (void)cls;
    if (value == NULL) { illegalArgument(env, "the value is null"); return; }
    const char *text = (*env)->GetStringUTFChars(env, value, NULL);
    if (text == NULL) return;
    jint status;
    switch (which) {
    case 0: status = spc_set_host(H(handle), text); break;
    case 1: status = spc_set_password(H(handle), text); break;
    case 2: status = spc_set_ca_file(H(handle), text); break;
    case 3: status = spc_set_host_subject(H(handle), text); break;
    default: status = 1; break;
    }
    (*env)->ReleaseStringUTFChars(env, value, text);
    if (status == 1) { illegalArgument(env, "unknown string setting"); return; }
    check(env, handle, status);
}

NATIVE(void, nativeConnect)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    check(env, handle, spc_connect(H(handle)));
}

NATIVE(jint, nativePoll)(JNIEnv *env, jclass cls, jlong handle, jint timeout) {
    (void)cls;
    return check(env, handle, spc_poll(H(handle), timeout));
}

NATIVE(void, nativeDisconnect)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    check(env, handle, spc_disconnect(H(handle)));
}

NATIVE(jboolean, nativeIsRunning)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    return check(env, handle, spc_is_running(H(handle))) == 1;
}

NATIVE(jint, nativeMouseMode)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    return check(env, handle, spc_mouse_mode(H(handle)));
}

/* The framebuffer as a direct ByteBuffer over the core's memory (no copy); info gets width, height,
 * stride, format. Null before the first frame. The buffer is valid until a poll reports RESIZE. */
NATIVE(jobject, nativeFramebuffer)(JNIEnv *env, jclass cls, jlong handle, jintArray info) {
    (void)cls;
    if (info == NULL || (*env)->GetArrayLength(env, info) < 4) { illegalArgument(env, "info needs 4 ints"); return NULL; }
    spc_framebuffer_info fb;
    jint status = spc_framebuffer(H(handle), &fb);
    if (status == SPC_ERR_NO_FRAME) return NULL;
    if (check(env, handle, status) < 0) return NULL;
    jint values[4] = { fb.width, fb.height, fb.stride, fb.format };
    (*env)->SetIntArrayRegion(env, info, 0, 4, values);
    return (*env)->NewDirectByteBuffer(env, fb.pixels, (jlong)fb.stride * fb.height);
}

/* Writes up to rects.length / 4 dirty rects as x, y, width, height; returns how many. */
NATIVE(jint, nativeTakeDirty)(JNIEnv *env, jclass cls, jlong handle, jintArray rects) {
    (void)cls;
    enum { CHUNK = 64 };
    jsize capacity = rects == NULL ? 0 : (*env)->GetArrayLength(env, rects) / 4;
    if (capacity == 0) return check(env, handle, spc_take_dirty(H(handle), NULL, 0));
    spc_rect buffer[CHUNK];
    jint total = 0;
    while (total < capacity) {
        int want = capacity - total < CHUNK ? capacity - total : CHUNK;
        jint got = spc_take_dirty(H(handle), buffer, want);
        if (check(env, handle, got) < 0) return got;
        if (got == 0) break;
        (*env)->SetIntArrayRegion(env, rects, total * 4, got * 4, (const jint *)buffer);
        total += got;
        if (got < want) break;
    }
    return total;
}

/* Copies the framebuffer rect (x, y, w, h) into dst (ints of R,G,B,A bytes, so 0xAABBGGRR on a
 * little-endian machine) at dst[offset + row * dstStride + column]: one memcpy per row. This is the
 * desktop stand-in for AndroidBitmap_lockPixels + memcpy. */
NATIVE(void, nativeCopyRect)(JNIEnv *env, jclass cls, jlong handle, jintArray dst, jint offset, jint dstStride,
                             jint x, jint y, jint w, jint h) {
    (void)cls;
    spc_framebuffer_info fb;
    if (check(env, handle, spc_framebuffer(H(handle), &fb)) < 0) return;
    if (dst == NULL || x < 0 || y < 0 || w < 0 || h < 0 || x > fb.width - w || y > fb.height - h || offset < 0 || dstStride < w) {
        illegalArgument(env, "the rect is outside the framebuffer or the destination stride is too small");
        return;
    }
    if (w == 0 || h == 0) return;
    jsize length = (*env)->GetArrayLength(env, dst);
    if ((jlong)offset + (jlong)(h - 1) * dstStride + w > length) { illegalArgument(env, "the destination array is too small"); return; }
    jint *out = (*env)->GetPrimitiveArrayCritical(env, dst, NULL);
    if (out == NULL) return;
    for (jint row = 0; row < h; row++) {
        memcpy(out + offset + (size_t)row * dstStride, fb.pixels + (size_t)(y + row) * fb.stride + (size_t)x * 4, (size_t)w * 4);
    }
    (*env)->ReleasePrimitiveArrayCritical(env, dst, out, 0);
}

#ifdef __ANDROID__
#include <android/bitmap.h>

/* Android only (link with -ljnigraphics): copies `count` dirty rects (x, y, w, h in rects) from the
 * framebuffer into an RGBA_8888 Bitmap of the same size: AndroidBitmap_lockPixels, one memcpy per row,
 * unlock. The framebuffer is already R,G,B,A, so no pixel is converted. Not compiled on the desktop
 * (there the View's role is played by copyRect into an int[]). */
NATIVE(void, nativeCopyRectsToBitmap)(JNIEnv *env, jclass cls, jlong handle, jobject bitmap, jintArray rects, jint count) {
    (void)cls;
    spc_framebuffer_info fb;
    if (check(env, handle, spc_framebuffer(H(handle), &fb)) < 0) return;
    AndroidBitmapInfo info;
    if (AndroidBitmap_getInfo(env, bitmap, &info) != ANDROID_BITMAP_RESULT_SUCCESS || info.format != ANDROID_BITMAP_FORMAT_RGBA_8888 ||
        (int32_t)info.width != fb.width || (int32_t)info.height != fb.height) {
        illegalArgument(env, "the bitmap must be ARGB_8888 and the framebuffer's size");
        return;
    }
    if (rects == NULL || count < 0 || (*env)->GetArrayLength(env, rects) < count * 4) { illegalArgument(env, "rects too short"); return; }
    jint *r = (*env)->GetIntArrayElements(env, rects, NULL);
    if (r == NULL) return;
    void *pixels;
    if (AndroidBitmap_lockPixels(env, bitmap, &pixels) == ANDROID_BITMAP_RESULT_SUCCESS) {
        for (jint i = 0; i < count; i++) {
            jint x = r[i * 4], y = r[i * 4 + 1], w = r[i * 4 + 2], h = r[i * 4 + 3];
            if (x < 0 || y < 0 || w <= 0 || h <= 0 || x > fb.width - w || y > fb.height - h) continue;
            for (jint row = y; row < y + h; row++) {
                memcpy((uint8_t *)pixels + (size_t)row * info.stride + (size_t)x * 4, fb.pixels + (size_t)row * fb.stride + (size_t)x * 4, (size_t)w * 4);
            }
        }
        AndroidBitmap_unlockPixels(env, bitmap);
    }
    (*env)->ReleaseIntArrayElements(env, rects, r, JNI_ABORT);
}
#endif

/* info: width, height, hot_x, hot_y, x, y, visible, shape_serial. False before the cursor is known. */
NATIVE(jboolean, nativeCursor)(JNIEnv *env, jclass cls, jlong handle, jintArray info) {
    (void)cls;
    if (info == NULL || (*env)->GetArrayLength(env, info) < 8) { illegalArgument(env, "info needs 8 ints"); return JNI_FALSE; }
    spc_cursor_info cursor;
    jint status = spc_cursor(H(handle), &cursor);
    if (status == SPC_ERR_NO_FRAME) return JNI_FALSE;
    if (check(env, handle, status) < 0) return JNI_FALSE;
    jint values[8] = { cursor.width, cursor.height, cursor.hot_x, cursor.hot_y, cursor.x, cursor.y, cursor.visible, (jint)cursor.shape_serial };
    (*env)->SetIntArrayRegion(env, info, 0, 8, values);
    return JNI_TRUE;
}

/* The cursor image as 0xAARRGGBB ints (Android Bitmap.createBitmap / BufferedImage TYPE_INT_ARGB), or null. */
NATIVE(jintArray, nativeCursorPixels)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    spc_cursor_info cursor;
    jint status = spc_cursor(H(handle), &cursor);
    if (status == SPC_ERR_NO_FRAME) return NULL;
    if (check(env, handle, status) < 0 || cursor.rgba == NULL) return NULL;
    jsize count = cursor.width * cursor.height;
    jintArray result = (*env)->NewIntArray(env, count);
    if (result == NULL) return NULL;
    jint *out = (*env)->GetPrimitiveArrayCritical(env, result, NULL);
    if (out == NULL) return NULL;
    for (jsize i = 0; i < count; i++) {
        const uint8_t *p = cursor.rgba + (size_t)i * 4;
        out[i] = (jint)((uint32_t)p[3] << 24 | (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]);
    }
    (*env)->ReleasePrimitiveArrayCritical(env, result, out, 0);
    return result;
}

/* kind: 0 XT scancode, 1 Android key code, 2 evdev code. */
NATIVE(void, nativeKey)(JNIEnv *env, jclass cls, jlong handle, jint kind, jint code, jboolean down) {
    (void)cls;
    jint status;
    switch (kind) {
    case 0: status = code < 0 ? SPC_ERR_INVALID_ARGUMENT : spc_key_scancode(H(handle), (uint32_t)code, down); break;
    case 1: status = spc_key_android(H(handle), code, down); break;
    case 2: status = spc_key_evdev(H(handle), code, down); break;
    default: illegalArgument(env, "unknown key kind"); return;
    }
    if (status == SPC_ERR_INVALID_ARGUMENT && code < 0) { illegalArgument(env, "negative scancode"); return; }
    check(env, handle, status);
}

NATIVE(void, nativeMousePosition)(JNIEnv *env, jclass cls, jlong handle, jint x, jint y, jint display) {
    (void)cls;
    check(env, handle, spc_mouse_position(H(handle), x, y, display));
}

NATIVE(void, nativeMouseMotion)(JNIEnv *env, jclass cls, jlong handle, jint dx, jint dy) {
    (void)cls;
    check(env, handle, spc_mouse_motion(H(handle), dx, dy));
}

NATIVE(void, nativeMouseButton)(JNIEnv *env, jclass cls, jlong handle, jint button, jboolean down) {
    (void)cls;
    check(env, handle, spc_mouse_button(H(handle), button, down));
}

NATIVE(void, nativeMouseWheel)(JNIEnv *env, jclass cls, jlong handle, jint clicks) {
    (void)cls;
    check(env, handle, spc_mouse_wheel(H(handle), clicks));
}

NATIVE(void, nativeReleaseAll)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    check(env, handle, spc_release_all(H(handle)));
}

/* ---- audio (any thread) ---- */

/* info: rate, channels, bits. False before the stream's first START. */
NATIVE(jboolean, nativeAudioFormat)(JNIEnv *env, jclass cls, jlong handle, jint stream, jintArray info) {
    (void)cls;
    if (info == NULL || (*env)->GetArrayLength(env, info) < 3) { illegalArgument(env, "info needs 3 ints"); return JNI_FALSE; }
    int values[3];
    jint status = spc_audio_format(H(handle), stream, &values[0], &values[1], &values[2]);
    if (status == SPC_ERR_NO_AUDIO) return JNI_FALSE;
    if (check(env, handle, status) < 0) return JNI_FALSE;
    jint out[3] = { values[0], values[1], values[2] };
    (*env)->SetIntArrayRegion(env, info, 0, 3, out);
    return JNI_TRUE;
}

/* Pulls playback audio into pcm[offset .. offset + samples): samples / channels whole frames in the
 * current format (real audio first, then silence). Returns the frames of real audio; 0 with pcm
 * untouched before the first START. A format change between the format and the read is retried once. */
NATIVE(jint, nativeReadAudio)(JNIEnv *env, jclass cls, jlong handle, jshortArray pcm, jint offset, jint samples) {
    (void)cls;
    if (pcm == NULL || offset < 0 || samples < 0 || (jlong)offset + samples > (*env)->GetArrayLength(env, pcm)) {
        illegalArgument(env, "offset and length are outside the array");
        return 0;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        int channels = 0;
        jint status = spc_audio_format(H(handle), SPC_AUDIO_PLAYBACK, NULL, &channels, NULL);
        if (status == SPC_ERR_NO_AUDIO) return 0;
        if (check(env, handle, status) < 0) return status;
        int frames = samples / channels;
        if (frames > SPC_AUDIO_MAX_FRAMES) frames = SPC_AUDIO_MAX_FRAMES;
        if (frames == 0) return 0;
        jshort *out = (*env)->GetPrimitiveArrayCritical(env, pcm, NULL);
        if (out == NULL) return 0; /* OutOfMemoryError pending */
        status = spc_audio_read(H(handle), (int16_t *)out + offset, frames, channels);
        (*env)->ReleasePrimitiveArrayCritical(env, pcm, out, 0);
        if (status == SPC_ERR_INVALID_ARGUMENT && attempt == 0) continue; /* the format changed: again */
        return check(env, handle, status);
    }
    return 0;
}

/* Pushes captured audio pcm[offset .. offset + samples), samples a multiple of the record format's
 * channels. Returns the frames queued (0 while the guest does not capture). */
NATIVE(jint, nativeWriteAudio)(JNIEnv *env, jclass cls, jlong handle, jshortArray pcm, jint offset, jint samples) {
    (void)cls;
    if (pcm == NULL || offset < 0 || samples < 0 || (jlong)offset + samples > (*env)->GetArrayLength(env, pcm)) {
        illegalArgument(env, "offset and length are outside the array");
        return 0;
    }
    int channels = 0;
    jint status = spc_audio_format(H(handle), SPC_AUDIO_RECORD, NULL, &channels, NULL);
    if (status == SPC_ERR_NO_AUDIO) return 0; /* the guest has never captured: dropped */
    if (check(env, handle, status) < 0) return status;
    if (samples % channels != 0) { illegalArgument(env, "the sample count is not a whole number of frames of the record format"); return 0; }
    int frames = samples / channels;
    if (frames > SPC_AUDIO_MAX_FRAMES) { illegalArgument(env, "more than SPC_AUDIO_MAX_FRAMES frames in one call"); return 0; }
    if (frames == 0) return 0;
    jshort *in = (*env)->GetPrimitiveArrayCritical(env, pcm, NULL);
    if (in == NULL) return 0;
    status = spc_audio_write(H(handle), (const int16_t *)in + offset, frames, channels);
    (*env)->ReleasePrimitiveArrayCritical(env, pcm, in, JNI_ABORT);
    return check(env, handle, status);
}

/* info: active, muted, buffered frames, latency ms, underruns, overruns, volume count, volume[8]. */
NATIVE(void, nativeAudioState)(JNIEnv *env, jclass cls, jlong handle, jint stream, jintArray info) {
    (void)cls;
    if (info == NULL || (*env)->GetArrayLength(env, info) < 7 + SPC_AUDIO_MAX_VOLUMES) { illegalArgument(env, "info needs 15 ints"); return; }
    spc_audio_state_info state;
    if (check(env, handle, spc_audio_state(H(handle), stream, &state)) < 0) return;
    jint values[7 + SPC_AUDIO_MAX_VOLUMES] = { state.active, state.muted, state.buffered_frames, state.latency_ms,
                                               (jint)state.underruns, (jint)state.overruns, state.volume_count };
    for (int i = 0; i < SPC_AUDIO_MAX_VOLUMES; i++) values[7 + i] = state.volume[i];
    (*env)->SetIntArrayRegion(env, info, 0, 7 + SPC_AUDIO_MAX_VOLUMES, values);
}

NATIVE(jstring, nativeLastError)(JNIEnv *env, jclass cls, jlong handle) {
    (void)cls;
    char text[1024];
    if (spc_last_error(H(handle), text, sizeof text) < 0) return NULL;
    return (*env)->NewStringUTF(env, text);
}

#endif /* __has_include(<jni.h>) */
