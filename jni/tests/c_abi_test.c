/*
 * c_abi_test.c: the C ABI of spice_client.h, compiled with gcc against the header and
 * libSpiceClientJNI.so, checked against real QEMU SPICE servers.
 *
 *   c_abi_test PORT1 PORT2 [TLS_PORT CA_FILE]
 *     (QEMUs started by Scripts/qemu-spice.sh, --guest none; the third with --tls-dir and every channel
 *      requiring TLS, its certificate for O=spice-test,CN=localhost with IP SAN 127.0.0.1, signed by CA_FILE)
 *
 * Checks lifetimes, configuration and its errors, misuse (NULL handles, NULL arguments, wrong state),
 * connection errors, and two clients connected at once, each polled on its own thread while a third
 * thread sends input to both, and TLS settings (TLS port only, CA file, host subject right and wrong). Ends with "C ABI: N passed, N failed"; exit status 0 only when all passed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spice_client.h"

static int passed, failed;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (cond) {                                                                   \
            passed++;                                                                 \
        } else {                                                                      \
            failed++;                                                                 \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);           \
            fprintf(stderr, __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                      \
        }                                                                             \
    } while (0)

static const char *error_text(spc_client *client) {
    static char text[512];
    if (spc_last_error(client, text, sizeof text) < 0) strcpy(text, "(no handle)");
    return text;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_null_handle(void) {
    spc_framebuffer_info fb;
    spc_cursor_info cursor;
    spc_rect rect;
    char text[8];
    CHECK(spc_set_host(NULL, "x") == SPC_ERR_NULL_HANDLE, "set_host");
    CHECK(spc_set_port(NULL, 1) == SPC_ERR_NULL_HANDLE, "set_port");
    CHECK(spc_set_tls_port(NULL, 1) == SPC_ERR_NULL_HANDLE, "set_tls_port");
    CHECK(spc_set_password(NULL, "x") == SPC_ERR_NULL_HANDLE, "set_password");
    CHECK(spc_set_ca_file(NULL, "x") == SPC_ERR_NULL_HANDLE, "set_ca_file");
    CHECK(spc_set_host_subject(NULL, "x") == SPC_ERR_NULL_HANDLE, "set_host_subject");
    CHECK(spc_set_mouse_mode(NULL, 2) == SPC_ERR_NULL_HANDLE, "set_mouse_mode");
    CHECK(spc_set_channels(NULL, 0) == SPC_ERR_NULL_HANDLE, "set_channels");
    CHECK(spc_set_preferred_compression(NULL, 1) == SPC_ERR_NULL_HANDLE, "set_preferred_compression");
    CHECK(spc_config_string(NULL, 0, text, sizeof text) == SPC_ERR_NULL_HANDLE, "config_string");
    CHECK(spc_config_int(NULL, 0) == SPC_ERR_NULL_HANDLE, "config_int");
    CHECK(spc_connect(NULL) == SPC_ERR_NULL_HANDLE, "connect");
    CHECK(spc_poll(NULL, 0) == SPC_ERR_NULL_HANDLE, "poll");
    CHECK(spc_disconnect(NULL) == SPC_ERR_NULL_HANDLE, "disconnect");
    CHECK(spc_is_running(NULL) == SPC_ERR_NULL_HANDLE, "is_running");
    CHECK(spc_mouse_mode(NULL) == SPC_ERR_NULL_HANDLE, "mouse_mode");
    CHECK(spc_framebuffer(NULL, &fb) == SPC_ERR_NULL_HANDLE, "framebuffer");
    CHECK(spc_take_dirty(NULL, &rect, 1) == SPC_ERR_NULL_HANDLE, "take_dirty");
    CHECK(spc_cursor(NULL, &cursor) == SPC_ERR_NULL_HANDLE, "cursor");
    CHECK(spc_key_scancode(NULL, 0x1e, 1) == SPC_ERR_NULL_HANDLE, "key_scancode");
    CHECK(spc_key_android(NULL, 29, 1) == SPC_ERR_NULL_HANDLE, "key_android");
    CHECK(spc_key_evdev(NULL, 30, 1) == SPC_ERR_NULL_HANDLE, "key_evdev");
    CHECK(spc_mouse_position(NULL, 1, 1, 0) == SPC_ERR_NULL_HANDLE, "mouse_position");
    CHECK(spc_mouse_motion(NULL, 1, 1) == SPC_ERR_NULL_HANDLE, "mouse_motion");
    CHECK(spc_mouse_button(NULL, 1, 1) == SPC_ERR_NULL_HANDLE, "mouse_button");
    CHECK(spc_mouse_wheel(NULL, 1) == SPC_ERR_NULL_HANDLE, "mouse_wheel");
    CHECK(spc_release_all(NULL) == SPC_ERR_NULL_HANDLE, "release_all");
    CHECK(spc_last_error(NULL, text, sizeof text) == SPC_ERR_NULL_HANDLE, "last_error");
    int rate, channels, bits;
    int16_t pcm[8] = {0};
    spc_audio_state_info audio;
    CHECK(spc_audio_format(NULL, SPC_AUDIO_PLAYBACK, &rate, &channels, &bits) == SPC_ERR_NULL_HANDLE, "audio_format");
    CHECK(spc_audio_read(NULL, pcm, 4, 2) == SPC_ERR_NULL_HANDLE, "audio_read");
    CHECK(spc_audio_write(NULL, pcm, 4, 2) == SPC_ERR_NULL_HANDLE, "audio_write");
    CHECK(spc_audio_state(NULL, SPC_AUDIO_PLAYBACK, &audio) == SPC_ERR_NULL_HANDLE, "audio_state");
    spc_free(NULL); /* must be a no-op */
    passed++;
}

static void test_lifetimes_and_configuration(void) {
    CHECK(spc_api_version() == SPC_API_VERSION, "version %d", spc_api_version());
    /* Many handles created and freed, some configured, none connected: no leak shows as a crash here;
     * the point is that free works at every stage. */
    for (int i = 0; i < 1000; i++) {
        spc_client *client = spc_create();
        if (client == NULL) { CHECK(client != NULL, "create %d", i); return; }
        if (i % 2) spc_set_host(client, "127.0.0.1");
        spc_free(client);
    }
    passed++;

    spc_client *client = spc_create();
    char text[64];
    CHECK(spc_last_error(client, text, sizeof text) == 0 && text[0] == 0, "no error yet: %s", text);
    CHECK(spc_set_host(client, "127.0.0.1") == SPC_OK, "%s", error_text(client));
    CHECK(spc_config_string(client, 0, text, sizeof text) == 9 && strcmp(text, "127.0.0.1") == 0, "host %s", text);
    CHECK(spc_config_string(client, 0, text, 4) == 9 && strcmp(text, "127") == 0, "truncated like snprintf: %s", text);
    CHECK(spc_set_ca_file(client, "/etc/ssl/ca.pem") == SPC_OK && spc_config_string(client, 1, text, sizeof text) > 0 &&
          strcmp(text, "/etc/ssl/ca.pem") == 0, "ca file %s", text);
    CHECK(spc_set_host_subject(client, "C=US,CN=host") == SPC_OK && spc_config_string(client, 2, text, sizeof text) > 0 &&
          strcmp(text, "C=US,CN=host") == 0, "subject %s", text);
    CHECK(spc_config_string(client, 9, text, sizeof text) == SPC_ERR_INVALID_ARGUMENT, "which 9");
    CHECK(spc_set_tls_port(client, 5901) == SPC_OK && spc_config_int(client, 1) == 5901, "tls port");
    CHECK(spc_set_port(client, 70000) == SPC_ERR_INVALID_ARGUMENT, "port 70000");
    CHECK(strstr(error_text(client), "70000") != NULL, "error names the port: %s", error_text(client));
    CHECK(spc_config_int(client, 0) == 0, "bad port not stored");
    CHECK(spc_set_port(client, -1) == SPC_ERR_INVALID_ARGUMENT, "port -1");
    CHECK(spc_set_host(client, NULL) == SPC_ERR_INVALID_ARGUMENT, "NULL host");
    CHECK(spc_set_host(client, "") == SPC_ERR_INVALID_ARGUMENT, "empty host");
    CHECK(spc_set_password(client, NULL) == SPC_ERR_INVALID_ARGUMENT, "NULL password");
    CHECK(spc_set_mouse_mode(client, 3) == SPC_ERR_INVALID_ARGUMENT, "mouse mode 3");
    CHECK(spc_set_mouse_mode(client, SPC_MOUSE_MODE_SERVER) == SPC_OK && spc_config_int(client, 2) == 1, "server mode");
    CHECK(spc_set_channels(client, 1u << 20) == SPC_ERR_INVALID_ARGUMENT, "channel bit 20");
    CHECK(spc_set_channels(client, SPC_CHANNEL_DISPLAY | SPC_CHANNEL_INPUTS) == SPC_OK &&
          spc_config_int(client, 3) == (SPC_CHANNEL_DISPLAY | SPC_CHANNEL_INPUTS), "channels");
    CHECK(spc_set_preferred_compression(client, 0) == SPC_ERR_INVALID_ARGUMENT, "compression 0");
    CHECK(spc_set_preferred_compression(client, -1) == SPC_OK && spc_config_int(client, 4) == -1, "compression -1");

    /* Wrong state: no poll, no input, no frame before connect. */
    spc_framebuffer_info fb;
    spc_cursor_info cursor;
    CHECK(spc_poll(client, 0) == SPC_ERR_STATE, "poll before connect");
    CHECK(spc_key_scancode(client, 0x1e, 1) == SPC_ERR_STATE, "key before connect");
    CHECK(strstr(error_text(client), "spc_connect") != NULL, "says what to do: %s", error_text(client));
    CHECK(spc_framebuffer(client, &fb) == SPC_ERR_NO_FRAME, "no frame");
    CHECK(spc_framebuffer(client, NULL) == SPC_ERR_INVALID_ARGUMENT, "NULL info");
    CHECK(spc_cursor(client, &cursor) == SPC_ERR_NO_FRAME, "no cursor");
    CHECK(spc_take_dirty(client, NULL, 0) == 0, "no damage");
    CHECK(spc_is_running(client) == 0, "not running");
    CHECK(spc_disconnect(client) == SPC_OK, "disconnect before connect is a no-op");
    /* Audio before connect: wrong state, bad arguments named. */
    int rate = 0, channels = 0, bits = 0;
    int16_t pcm[8] = {0};
    spc_audio_state_info audio;
    CHECK(spc_audio_format(client, SPC_AUDIO_PLAYBACK, &rate, &channels, &bits) == SPC_ERR_STATE, "audio format before connect");
    CHECK(strstr(error_text(client), "spc_audio_format") != NULL, "names the call: %s", error_text(client));
    CHECK(spc_audio_read(client, pcm, 4, 2) == SPC_ERR_STATE, "audio read before connect");
    CHECK(spc_audio_write(client, pcm, 4, 2) == SPC_ERR_STATE, "audio write before connect");
    CHECK(spc_audio_state(client, SPC_AUDIO_PLAYBACK, &audio) == SPC_ERR_STATE, "audio state before connect");
    CHECK(spc_audio_state(client, 2, &audio) == SPC_ERR_INVALID_ARGUMENT && strstr(error_text(client), "stream 2") != NULL,
          "stream 2: %s", error_text(client));
    CHECK(spc_audio_state(client, SPC_AUDIO_RECORD, NULL) == SPC_ERR_INVALID_ARGUMENT, "NULL audio state");
    CHECK(spc_audio_format(client, -1, NULL, NULL, NULL) == SPC_ERR_INVALID_ARGUMENT, "stream -1");

    /* A malformed host subject is refused by connect, naming the problem. No port at all: says so. */
    spc_set_host_subject(client, "no-equals-sign");
    CHECK(spc_connect(client) == SPC_ERR_CONNECT && strstr(error_text(client), "no-equals-sign") != NULL, "%s", error_text(client));
    spc_set_host_subject(client, "");
    spc_set_tls_port(client, 0);
    CHECK(spc_connect(client) == SPC_ERR_CONNECT && strstr(error_text(client), "no port") != NULL, "%s", error_text(client));
    spc_free(client);

    /* TLS only, to a port nobody listens on: connect starts, poll reports the failure. */
    client = spc_create();
    spc_set_host(client, "127.0.0.1");
    spc_set_tls_port(client, 1);
    CHECK(spc_connect(client) == SPC_OK, "TLS-only connect starts: %s", error_text(client));
    int seen = 0;
    for (int i = 0; i < 200 && !(seen & SPC_EVENT_CLOSED); i++) {
        int bits = spc_poll(client, 50);
        if (bits < 0) break;
        seen |= bits;
    }
    CHECK((seen & SPC_EVENT_CLOSED) && (seen & SPC_EVENT_ERROR) && strlen(error_text(client)) > 0,
          "TLS-only refused: 0x%x %s", seen, error_text(client));
    printf("TLS-only refused: %s\n", error_text(client));
    spc_free(client);

    /* No host. */
    client = spc_create();
    spc_set_port(client, 5900);
    CHECK(spc_connect(client) == SPC_ERR_CONNECT && strstr(error_text(client), "no host") != NULL, "%s", error_text(client));
    /* A password longer than SPICE allows is refused by connect. */
    spc_set_host(client, "127.0.0.1");
    char long_password[100];
    memset(long_password, 'p', 99);
    long_password[99] = 0;
    spc_set_password(client, long_password);
    CHECK(spc_connect(client) == SPC_ERR_CONNECT && strstr(error_text(client), "password") != NULL, "%s", error_text(client));
    CHECK(strstr(error_text(client), "ppppp") == NULL, "the password is not in the error text");
    spc_free(client);
}

/* A port nobody listens on: connect succeeds (non-blocking), then poll reports ERROR and CLOSED. */
static void test_connection_refused(void) {
    spc_client *client = spc_create();
    spc_set_host(client, "127.0.0.1");
    spc_set_port(client, 1);
    CHECK(spc_connect(client) == SPC_OK, "%s", error_text(client));
    CHECK(spc_connect(client) == SPC_ERR_STATE, "connect twice");
    CHECK(spc_set_port(client, 2) == SPC_ERR_STATE, "configure after connect");
    int seen = 0;
    double deadline = now_seconds() + 10;
    while (!(seen & SPC_EVENT_CLOSED) && now_seconds() < deadline) {
        int bits = spc_poll(client, 100);
        if (bits < 0) break;
        seen |= bits;
    }
    CHECK((seen & SPC_EVENT_CLOSED) && (seen & SPC_EVENT_ERROR), "events 0x%x", seen);
    CHECK(strstr(error_text(client), "127.0.0.1:1") != NULL, "error names the server: %s", error_text(client));
    CHECK(spc_is_running(client) == 0, "ended");
    double start = now_seconds();
    CHECK(spc_poll(client, 5000) == 0 && now_seconds() - start < 1, "poll after CLOSED returns 0 at once");
    CHECK(spc_key_scancode(client, 0x1e, 1) == SPC_ERR_ENDED, "input after the end: %s", error_text(client));
    CHECK(spc_key_scancode(client, 0x80, 1) == SPC_ERR_INVALID_ARGUMENT, "0x80 is no scancode");
    CHECK(spc_key_android(client, 100000, 1) == SPC_ERR_UNKNOWN_KEY, "unknown Android key");
    CHECK(spc_key_evdev(client, 9999, 1) == SPC_ERR_UNKNOWN_KEY, "unknown evdev key");
    CHECK(spc_mouse_button(client, 4, 1) == SPC_ERR_INVALID_ARGUMENT, "wheel is not a button");
    CHECK(spc_mouse_wheel(client, 1000) == SPC_ERR_INVALID_ARGUMENT, "1000 notches");
    CHECK(spc_mouse_position(client, 1, 1, 300) == SPC_ERR_INVALID_ARGUMENT, "display 300");

    /* Audio on a session that never had any: no format, the buffer untouched, bad arguments named. */
    int rate = -1, channels = -1, bits = -1;
    int16_t pcm[8] = {7, 7, 7, 7, 7, 7, 7, 7};
    CHECK(spc_audio_format(client, SPC_AUDIO_PLAYBACK, &rate, &channels, &bits) == SPC_ERR_NO_AUDIO && rate == -1 && channels == -1,
          "no playback format: %s", error_text(client));
    CHECK(spc_audio_format(client, SPC_AUDIO_RECORD, NULL, NULL, NULL) == SPC_ERR_NO_AUDIO, "no record format");
    CHECK(spc_audio_read(client, pcm, 4, 2) == SPC_ERR_NO_AUDIO && pcm[0] == 7 && pcm[7] == 7, "read without a stream leaves out alone");
    CHECK(spc_audio_read(client, NULL, 4, 2) == SPC_ERR_INVALID_ARGUMENT, "read into NULL");
    CHECK(spc_audio_read(client, pcm, -1, 2) == SPC_ERR_INVALID_ARGUMENT, "read -1 frames");
    CHECK(spc_audio_read(client, pcm, SPC_AUDIO_MAX_FRAMES + 1, 2) == SPC_ERR_INVALID_ARGUMENT && strstr(error_text(client), "96001") != NULL,
          "read too many frames: %s", error_text(client));
    CHECK(spc_audio_write(client, NULL, 4, 2) == SPC_ERR_INVALID_ARGUMENT, "write from NULL");
    CHECK(spc_audio_write(client, pcm, SPC_AUDIO_MAX_FRAMES + 1, 2) == SPC_ERR_INVALID_ARGUMENT, "write too many frames");
    CHECK(spc_audio_write(client, pcm, 4, 2) == SPC_ERR_ENDED, "write after the end: %s", error_text(client));
    spc_audio_state_info audio;
    memset(&audio, 0xff, sizeof audio);
    CHECK(spc_audio_state(client, SPC_AUDIO_PLAYBACK, &audio) == SPC_OK && audio.active == 0 && audio.muted == 0 && audio.volume_count == 0 &&
          audio.volume[0] == 0 && audio.buffered_frames == 0 && audio.latency_ms == 200 && audio.underruns == 0 && audio.overruns == 0,
          "idle playback state: active %d latency %d", audio.active, audio.latency_ms);
    CHECK(spc_audio_state(client, SPC_AUDIO_RECORD, &audio) == SPC_OK && audio.active == 0, "idle record state");
    spc_free(client);
}

/* Two clients, each on its own poll thread; an input thread sends to both at once. */
struct session {
    int port;
    spc_client *client;
    int events;
    int width, height, stride, format;
    long nonblack;
    int dirty_rects;
    int inputs_ready;
    double frame_at;
    volatile int stop;
};

static void *poll_thread(void *arg) {
    struct session *s = arg;
    double start = now_seconds();
    double deadline = start + 60;
    while (!s->stop && now_seconds() < deadline) {
        int bits = spc_poll(s->client, 50);
        if (bits < 0) break;
        s->events |= bits;
        if (bits & SPC_EVENT_INPUTS_READY) s->inputs_ready = 1;
        if (bits & SPC_EVENT_FRAME) {
            spc_rect rects[16];
            int n;
            while ((n = spc_take_dirty(s->client, rects, 16)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (rects[i].x < 0 || rects[i].y < 0 || rects[i].width <= 0 || rects[i].height <= 0) s->dirty_rects = -100000;
                }
                s->dirty_rects += n;
            }
            spc_framebuffer_info fb;
            if (spc_framebuffer(s->client, &fb) == SPC_OK) {
                s->width = fb.width; s->height = fb.height; s->stride = fb.stride; s->format = fb.format;
                long nonblack = 0;
                for (int y = 0; y < fb.height; y++) {
                    const uint8_t *row = fb.pixels + (size_t)y * fb.stride;
                    for (int x = 0; x < fb.width; x++) {
                        if (row[x * 4] | row[x * 4 + 1] | row[x * 4 + 2]) nonblack++;
                    }
                }
                s->nonblack = nonblack;
                if (nonblack > 0 && s->frame_at == 0) s->frame_at = now_seconds() - start;
            }
        }
        if (s->frame_at > 0 && s->inputs_ready && now_seconds() - start > s->frame_at + 1.5) break;
    }
    return NULL;
}

static void *input_thread(void *arg) {
    struct session *sessions = arg;
    /* Inputs queue before the inputs channel is linked and go out once it is. */
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 2; k++) {
            spc_mouse_motion(sessions[k].client, 1, 0);
            spc_mouse_position(sessions[k].client, i, i, 0);
        }
    }
    for (int k = 0; k < 2; k++) {
        spc_key_evdev(sessions[k].client, 42, 1); /* Shift, harmless on the BIOS screen */
        spc_key_evdev(sessions[k].client, 42, 0);
    }
    return NULL;
}

static void test_two_clients(int port1, int port2) {
    struct session sessions[2];
    memset(sessions, 0, sizeof sessions);
    sessions[0].port = port1;
    sessions[1].port = port2;
    for (int k = 0; k < 2; k++) {
        sessions[k].client = spc_create();
        spc_set_host(sessions[k].client, "127.0.0.1");
        spc_set_port(sessions[k].client, sessions[k].port);
        CHECK(spc_connect(sessions[k].client) == SPC_OK, "connect %d: %s", k, error_text(sessions[k].client));
    }
    pthread_t threads[3];
    for (int k = 0; k < 2; k++) pthread_create(&threads[k], NULL, poll_thread, &sessions[k]);
    pthread_create(&threads[2], NULL, input_thread, sessions);
    for (int k = 0; k < 3; k++) pthread_join(threads[k], NULL);
    for (int k = 0; k < 2; k++) {
        struct session *s = &sessions[k];
        printf("client %d (port %d): %dx%d stride %d, %ld non-black pixels, first frame after %.2f s, %d dirty rects, events 0x%x\n",
               k, s->port, s->width, s->height, s->stride, s->nonblack, s->frame_at, s->dirty_rects, s->events);
        /* SeaBIOS's "No bootable device" text screen on the qxl device in VGA mode. */
        CHECK(s->width == 720 && s->height == 400 && s->stride == 720 * 4 && s->format == SPC_FORMAT_RGBA8888,
              "client %d framebuffer %dx%d", k, s->width, s->height);
        CHECK(s->nonblack > 100, "client %d shows text: %ld non-black pixels", k, s->nonblack);
        CHECK(s->dirty_rects > 0, "client %d got dirty rects: %d", k, s->dirty_rects);
        CHECK(s->events & SPC_EVENT_RESIZE, "client %d RESIZE 0x%x", k, s->events);
        CHECK(s->inputs_ready, "client %d inputs linked", k);
        CHECK(spc_is_running(s->client) == 1, "client %d running: %s", k, error_text(s->client));
        spc_cursor_info cursor;
        int status = spc_cursor(s->client, &cursor);
        CHECK(status == SPC_OK || status == SPC_ERR_NO_FRAME, "client %d cursor status %d", k, status);
        /* These QEMUs have no sound card: no audio event, no stream; a microphone write is dropped. */
        int16_t pcm[4] = {0};
        spc_audio_state_info audio;
        CHECK(!(s->events & SPC_EVENT_AUDIO), "client %d no audio event 0x%x", k, s->events);
        CHECK(spc_audio_format(s->client, SPC_AUDIO_PLAYBACK, NULL, NULL, NULL) == SPC_ERR_NO_AUDIO, "client %d no playback", k);
        CHECK(spc_audio_write(s->client, pcm, 2, 2) == 0, "client %d write while not capturing: %s", k, error_text(s->client));
        CHECK(spc_audio_state(s->client, SPC_AUDIO_PLAYBACK, &audio) == SPC_OK && audio.active == 0, "client %d playback state", k);
    }
    /* The two sessions are independent: closing one leaves the other running. */
    CHECK(spc_disconnect(sessions[0].client) == SPC_OK, "disconnect");
    int seen = 0;
    for (int i = 0; i < 100 && !(seen & SPC_EVENT_CLOSED); i++) {
        int bits = spc_poll(sessions[0].client, 20);
        if (bits < 0) break;
        seen |= bits;
    }
    CHECK((seen & SPC_EVENT_CLOSED) && !(seen & SPC_EVENT_ERROR), "polite close 0x%x: %s", seen, error_text(sessions[0].client));
    for (int i = 0; i < 10; i++) spc_poll(sessions[1].client, 20);
    CHECK(spc_is_running(sessions[1].client) == 1, "the other client still runs: %s", error_text(sessions[1].client));
    /* The framebuffer outlives the session until free. */
    spc_framebuffer_info fb;
    CHECK(spc_framebuffer(sessions[0].client, &fb) == SPC_OK && fb.width == 720, "last picture kept after close");
    spc_free(sessions[0].client);
    spc_free(sessions[1].client); /* free while connected: disconnects */
    passed++;
}

/* TLS through the C ABI: a server whose every channel requires TLS, reached on its TLS port only. */
static int tls_session(int tls_port, const char *ca_file, const char *subject, int *width) {
    spc_client *client = spc_create();
    spc_set_host(client, "127.0.0.1");
    spc_set_tls_port(client, tls_port);
    spc_set_ca_file(client, ca_file);
    if (subject) spc_set_host_subject(client, subject);
    int seen = 0;
    *width = 0;
    if (spc_connect(client) != SPC_OK) { spc_free(client); return -1; }
    double deadline = now_seconds() + 30;
    while (now_seconds() < deadline && !(seen & SPC_EVENT_CLOSED)) {
        int bits = spc_poll(client, 50);
        if (bits < 0) break;
        seen |= bits;
        spc_framebuffer_info fb;
        if ((seen & SPC_EVENT_FRAME) && spc_framebuffer(client, &fb) == SPC_OK) { *width = fb.width; break; }
    }
    printf("TLS (subject %s): events 0x%x, width %d, last error: %s\n", subject ? subject : "none", seen, *width, error_text(client));
    spc_free(client);
    return seen;
}

static void test_tls(int tls_port, const char *ca_file) {
    int width;
    int seen = tls_session(tls_port, ca_file, NULL, &width);
    CHECK(seen >= 0 && (seen & SPC_EVENT_RESIZE) && width == 720 && !(seen & SPC_EVENT_ERROR), "TLS with the CA file: 0x%x width %d", seen, width);
    seen = tls_session(tls_port, ca_file, "O=spice-test,CN=localhost", &width);
    CHECK(seen >= 0 && width == 720 && !(seen & SPC_EVENT_ERROR), "TLS with the right host subject: 0x%x", seen);
    seen = tls_session(tls_port, ca_file, "O=spice-test,CN=someone-else", &width);
    CHECK(seen >= 0 && (seen & SPC_EVENT_CLOSED) && (seen & SPC_EVENT_ERROR) && width == 0, "TLS with a wrong host subject is refused: 0x%x", seen);
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 5) {
        fprintf(stderr, "usage: %s PORT1 PORT2 [TLS_PORT CA_FILE] (QEMU SPICE servers, see Scripts/test-jvm.sh)\n", argv[0]);
        return 2;
    }
    test_null_handle();
    test_lifetimes_and_configuration();
    test_connection_refused();
    test_two_clients(atoi(argv[1]), atoi(argv[2]));
    if (argc == 5) test_tls(atoi(argv[3]), argv[4]);
    printf("C ABI: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
