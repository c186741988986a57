/* Compile-only stub of the NDK's <android/bitmap.h> (declarations the JNI glue uses, with the NDK's
 * values), so Scripts/test-jvm.sh can syntax-check the __ANDROID__ part of jni_glue.c without the NDK. */
#ifndef STUB_ANDROID_BITMAP_H
#define STUB_ANDROID_BITMAP_H
#include <jni.h>
#include <stdint.h>
enum { ANDROID_BITMAP_RESULT_SUCCESS = 0 };
enum AndroidBitmapFormat { ANDROID_BITMAP_FORMAT_NONE = 0, ANDROID_BITMAP_FORMAT_RGBA_8888 = 1 };
typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t stride;
    int32_t format;
    uint32_t flags;
} AndroidBitmapInfo;
int AndroidBitmap_getInfo(JNIEnv *env, jobject jbitmap, AndroidBitmapInfo *info);
int AndroidBitmap_lockPixels(JNIEnv *env, jobject jbitmap, void **addrPtr);
int AndroidBitmap_unlockPixels(JNIEnv *env, jobject jbitmap);
#endif
