#!/usr/bin/env bash
# The C ABI and the Java binding against real QEMU SPICE servers, on OpenJDK 17 without internet:
#   1. builds libSpiceClientJNI.so (swift build --product SpiceClientJNI),
#   2. compiles jni/tests/c_abi_test.c with gcc against jni/native/include/spice_client.h and runs it
#      against two QEMUs at once (--guest none) and a third that requires TLS on every channel,
#   3. compiles the Java binding and its tests with javac and runs them against a --guest linux-static
#      QEMU (framebuffer vs QMP screendump, keys and a click in the guest's serial log, reconnect, and
#      the guest's 444 Hz tone pulled through readAudio: dominant frequency and level),
#   4. compiles the Android View, the audio pump and the Android part of the JNI glue against
#      compile-only API stubs,
#   5. prints the dirty-rect-to-int[] copy timings on a 1920x1080 guest screen (not gated),
#   6. runs the Swing viewer under Xvfb and compares a screenshot of its window with the screendump.
# Ends with exactly one line "JVM: N passed, N failed" (the C test program and the Android compile
# check count as one test each) and exits
# non-zero on any failure. SCRATCH (default .build-jni) is the SwiftPM scratch path; JAVA_HOME the JDK.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
SCRATCH=${SCRATCH:-.build-jni}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
JAVA=$JAVA_HOME/bin/java
JAVAC=$JAVA_HOME/bin/javac
QEMU_SPICE=$PWD/Scripts/qemu-spice.sh
mkdir -p "$SCRATCH/jvm"
out=$(cd "$SCRATCH/jvm" && pwd -P)
passed=0
failed=0
servers=()

cleanup() {
    for pid in "${servers[@]}"; do bash "$QEMU_SPICE" stop "$pid" >/dev/null 2>&1 || true; done
    servers=()
}
trap cleanup EXIT

finish() {
    cleanup
    echo "JVM: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

# Starts a QEMU with the given arguments; sets PORT, QMP, SERIAL and appends its PID to servers.
start_server() {
    local vars
    vars=$(bash "$QEMU_SPICE" start "$@") || return 1
    eval "$vars"
    servers+=("$PID")
}

echo "== building libSpiceClientJNI.so"
if ! swift build --scratch-path "$SCRATCH" --product SpiceClientJNI > "$out/build.log" 2>&1; then
    grep -E 'error:' "$out/build.log" | head -20
    echo "build failed; see $out/build.log"
    failed=$((failed + 1))
    finish
fi
libdir=$(cd "$SCRATCH/debug" && pwd -P)

# A throw-away PKI for the TLS server: a CA and a certificate for O=spice-test,CN=localhost (IP SAN 127.0.0.1).
make_pki() {
    local pki=$out/pki
    rm -rf "$pki" && mkdir -p "$pki/server" || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca-key.pem" -out "$pki/ca-cert.pem" -days 30 \
        -subj /CN=spice-test-ca 2>/dev/null || return 1
    cp "$pki/ca-cert.pem" "$pki/server/"
    echo "subjectAltName=DNS:localhost,IP:127.0.0.1" > "$pki/ext.cnf"
    openssl req -newkey rsa:2048 -nodes -keyout "$pki/server/server-key.pem" -out "$pki/server.csr" \
        -subj /O=spice-test/CN=localhost 2>/dev/null || return 1
    openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca-cert.pem" -CAkey "$pki/ca-key.pem" -CAcreateserial \
        -out "$pki/server/server-cert.pem" -days 30 -extfile "$pki/ext.cnf" 2>/dev/null
}

echo "== C ABI test (gcc, two QEMUs at once, and a TLS-only one)"
if gcc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -I jni/native/include jni/tests/c_abi_test.c \
       -L "$libdir" -lSpiceClientJNI -Wl,-rpath,"$libdir" -lpthread -o "$out/c_abi_test" \
   && make_pki \
   && start_server --no-audio && port1=$PORT \
   && start_server --no-audio && port2=$PORT \
   && start_server --no-audio --tls-dir "$out/pki/server" --tls-channel default && tls_port=$TLS_PORT \
   && timeout 240 "$out/c_abi_test" "$port1" "$port2" "$tls_port" "$out/pki/ca-cert.pem"; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi
cleanup

echo "== javac"
rm -rf "$out/classes"
if ! "$JAVAC" -Xlint:all -d "$out/classes" $(find jni/java jni/java-tests jni/viewer -name '*.java' 2>/dev/null); then
    failed=$((failed + 1))
    finish
fi

echo "== Android sources against compile-only API stubs (no android.jar or NDK here)"
# SpiceView.java with the binding, and the __ANDROID__ part of jni_glue.c (AndroidBitmap_lockPixels copy).
if "$JAVAC" -Xlint:all -Werror -d "$out/android-classes" $(find jni/android/stubs jni/android/src jni/java -name '*.java') \
   && gcc -std=c11 -fsyntax-only -Wall -Wextra -Werror -D__ANDROID__ -I jni/android/stubs/include -I jni/native/include \
          -I "$JAVA_HOME/include" -I "$JAVA_HOME/include/linux" jni/native/jni_glue.c; then
    echo "PASS Android sources compile"
    passed=$((passed + 1))
else
    echo "FAIL Android sources compile"
    failed=$((failed + 1))
fi

echo "== Java binding tests (OpenJDK, --guest linux-static, playing a tone through AC97 every 5 s)"
if start_server --guest linux-static --compression off --guest-append spicetest.audio=1 --wait-ready 150; then
    "$JAVA" -Djava.library.path="$libdir" -cp "$out/classes" org.swiftspice.SpiceClientTest "$PORT" "$QMP" "$SERIAL" "$QEMU_SPICE" \
        | tee "$out/java.log"
    line=$(grep -E '^java: [0-9]+ passed, [0-9]+ failed$' "$out/java.log" | tail -1)
    if [ -n "$line" ]; then
        passed=$((passed + $(echo "$line" | awk '{print $2}')))
        failed=$((failed + $(echo "$line" | awk '{print $4}')))
    else
        echo "the Java tests did not finish"
        failed=$((failed + 1))
    fi
else
    echo "QEMU did not start"
    failed=$((failed + 1))
fi
cleanup

echo "== copy timings on a 1920x1080 screen (printed, not gated)"
if start_server --guest linux-static --compression off --no-audio --wait-ready 150 -- -global qxl-vga.xres=1920 -global qxl-vga.yres=1080; then
    timeout 120 "$JAVA" -Djava.library.path="$libdir" -cp "$out/classes" org.swiftspice.SpiceClientTest --timings "$PORT" || echo "(timings not measured)"
fi
cleanup

if [ -f jni/viewer/org/swiftspice/viewer/ViewerTest.java ]; then
    echo "== Swing viewer under Xvfb"
    if start_server --guest linux-static --compression off --no-audio --wait-ready 150; then
        xvfb-run -a -s "-screen 0 1280x1024x24" \
            "$JAVA" -Djava.library.path="$libdir" -cp "$out/classes" org.swiftspice.viewer.ViewerTest "$PORT" "$QMP" "$SERIAL" "$QEMU_SPICE" "$out" \
            | tee "$out/viewer.log"
        line=$(grep -E '^viewer: [0-9]+ passed, [0-9]+ failed$' "$out/viewer.log" | tail -1)
        if [ -n "$line" ]; then
            passed=$((passed + $(echo "$line" | awk '{print $2}')))
            failed=$((failed + $(echo "$line" | awk '{print $4}')))
        else
            echo "the viewer test did not finish"
            failed=$((failed + 1))
        fi
    else
        echo "QEMU did not start"
        failed=$((failed + 1))
    fi
    cleanup
fi

finish
