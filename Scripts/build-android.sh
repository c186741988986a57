#!/usr/bin/env bash
# build-android.sh ABI... — cross-builds libSpiceClientJNI.so for Android and lays it out as
# jni/android/jniLibs/<abi>/ (with the NDK's libc++_shared.so), for ABIs arm64-v8a and x86_64.
#
# Needs (and checks first, saying exactly what is missing):
#   * the official Swift SDK for Android matching the host toolchain (`swift sdk list` shows
#     swift-<version>-RELEASE_android...; install: see jni/README.md),
#   * Android NDK r27d or later in ANDROID_NDK_HOME (or ANDROID_NDK_ROOT), set up for that SDK
#     (its scripts/setup-android-sdk.sh),
#   * cmake, make, perl (OpenSSL's Configure), pkg-config on the host,
#   * the C libraries' sources, as directories given by environment variables:
#       LIBJPEG_TURBO_SRC  libjpeg-turbo (CMake; SIMD on, which needs nasm for x86_64)
#       OPUS_SRC           opus (CMake)
#       LZ4_SRC            lz4 (its build/cmake directory is used)
#       OPENSSL_SRC        OpenSSL 3 (Configure android-arm64 / android-x86_64)
#     zlib is the NDK sysroot's.
# Each library is built as a static library per ABI under $OUT/deps/<abi> (OUT defaults to
# .build-android), with a pkg-config file, so the package's system-library targets find them; then
# `swift build --swift-sdk <triple> --toolset android-ndk-toolchain.json` links everything into one
# .so per ABI (static Swift stdlib, 16 KB pages, --gc-sections, jni/exports.map).
#
# This machine kind has neither the SDK nor the NDK: there the script stops at the checks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/.build-android}
API=${ANDROID_API:-28}
MIN_NDK_MAJOR=27
MIN_NDK_MINOR=3   # r27d is Pkg.Revision 27.3.13750724

die() { echo "build-android.sh: $*" >&2; exit 1; }

[ $# -gt 0 ] || die "usage: Scripts/build-android.sh ABI... (arm64-v8a, x86_64)"
for abi in "$@"; do
    case $abi in arm64-v8a|x86_64) ;; *) die "unsupported ABI '$abi' (arm64-v8a or x86_64)";; esac
done

# ---- checks: collect everything missing, then say it all at once --------------------------------
missing=()
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
if ! command -v swift >/dev/null 2>&1; then
    missing+=("swift: no Swift toolchain on PATH")
    host_version=unknown
else
    host_version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -1)
    sdk=$(swift sdk list 2>/dev/null | grep -i android | head -1 || true)
    if [ -z "$sdk" ]; then
        missing+=("the Swift SDK for Android: 'swift sdk list' shows none. Install the one matching this toolchain (Swift $host_version) exactly:
      swift sdk install https://download.swift.org/swift-$host_version-release/android-sdk/swift-$host_version-RELEASE/swift-$host_version-RELEASE_android.artifactbundle.tar.gz --checksum <sha256 from swift.org>")
    elif [[ $sdk != *"$host_version"* ]]; then
        missing+=("a Swift SDK for Android matching the host toolchain: found '$sdk', the host is Swift $host_version (they must match exactly)")
    fi
fi
ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$ndk" ]; then
    missing+=("the Android NDK r27d or later: set ANDROID_NDK_HOME to it (download android-ndk-r27d from developer.android.com/ndk/downloads), then run the SDK's scripts/setup-android-sdk.sh")
elif [ ! -f "$ndk/source.properties" ]; then
    missing+=("an NDK at ANDROID_NDK_HOME=$ndk: there is no source.properties there")
else
    revision=$(sed -n 's/^Pkg.Revision *= *//p' "$ndk/source.properties")
    major=${revision%%.*}; rest=${revision#*.}; minor=${rest%%.*}
    if [ "$major" -lt $MIN_NDK_MAJOR ] || { [ "$major" -eq $MIN_NDK_MAJOR ] && [ "$minor" -lt $MIN_NDK_MINOR ]; }; then
        missing+=("NDK r27d or later: ANDROID_NDK_HOME=$ndk is revision $revision (r27d is 27.3.13750724)")
    fi
fi
for tool in cmake make perl pkg-config; do
    command -v $tool >/dev/null 2>&1 || missing+=("$tool on the host (apt-get install $tool)")
done
for var in LIBJPEG_TURBO_SRC OPUS_SRC LZ4_SRC OPENSSL_SRC; do
    dir=${!var:-}
    if [ -z "$dir" ] || [ ! -d "$dir" ]; then
        missing+=("$var: the source directory of $(echo ${var%_SRC} | tr 'A-Z_' 'a-z-') (not set or not a directory)")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "build-android.sh: cannot build for Android; missing:" >&2
    for item in "${missing[@]}"; do echo "  - $item" >&2; done
    exit 1
fi

# ---- per ABI ----------------------------------------------------------------------------------
toolchain_file=$ndk/build/cmake/android.toolchain.cmake
prebuilt=$(echo "$ndk"/toolchains/llvm/prebuilt/*)
sysroot=$prebuilt/sysroot

for abi in "$@"; do
    case $abi in
        arm64-v8a) triple=aarch64-unknown-linux-android$API; ndk_triple=aarch64-linux-android; openssl_target=android-arm64;;
        x86_64)    triple=x86_64-unknown-linux-android$API;  ndk_triple=x86_64-linux-android;  openssl_target=android-x86_64;;
    esac
    prefix=$OUT/deps/$abi
    mkdir -p "$prefix/lib/pkgconfig" "$OUT/build/$abi"
    cmake_common=(-DCMAKE_TOOLCHAIN_FILE="$toolchain_file" -DANDROID_ABI="$abi" -DANDROID_PLATFORM=android-$API
                  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON
                  -DBUILD_SHARED_LIBS=OFF)
    echo "== $abi: libjpeg-turbo (SIMD on)"
    cmake -S "$LIBJPEG_TURBO_SRC" -B "$OUT/build/$abi/jpeg" "${cmake_common[@]}" -DENABLE_SHARED=OFF -DENABLE_STATIC=ON -DWITH_SIMD=ON -DREQUIRE_SIMD=ON
    cmake --build "$OUT/build/$abi/jpeg" --target install -j"$(nproc)"
    echo "== $abi: opus"
    cmake -S "$OPUS_SRC" -B "$OUT/build/$abi/opus" "${cmake_common[@]}"
    cmake --build "$OUT/build/$abi/opus" --target install -j"$(nproc)"
    echo "== $abi: lz4"
    cmake -S "$LZ4_SRC/build/cmake" -B "$OUT/build/$abi/lz4" "${cmake_common[@]}" -DLZ4_BUILD_CLI=OFF
    cmake --build "$OUT/build/$abi/lz4" --target install -j"$(nproc)"
    echo "== $abi: OpenSSL"
    (
        cd "$OUT/build/$abi" && rm -rf openssl && cp -a "$OPENSSL_SRC" openssl && cd openssl
        export ANDROID_NDK_ROOT=$ndk PATH=$prebuilt/bin:$PATH
        ./Configure "$openssl_target" -D__ANDROID_API__=$API no-shared no-tests --prefix="$prefix" --libdir=lib
        make -j"$(nproc)" build_libs && make install_dev
    )
    # zlib: the NDK sysroot's libz; a pkg-config file so the CZlib target resolves.
    cat > "$prefix/lib/pkgconfig/zlib.pc" <<EOF
Name: zlib
Description: zlib from the NDK sysroot
Version: 1.2
Libs: -lz
Cflags:
EOF
    echo "== $abi: libSpiceClientJNI.so"
    PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
    JAVA_HOME=/nonexistent \
        swift build --scratch-path "$OUT/swift" -c release --swift-sdk "$triple" --toolset "$ROOT/android-ndk-toolchain.json" \
            --product SpiceClientJNI -Xlinker -ljnigraphics
    dest=$ROOT/jni/android/jniLibs/$abi
    mkdir -p "$dest"
    cp "$OUT/swift/$triple/release/libSpiceClientJNI.so" "$dest/"
    cp "$sysroot/usr/lib/$ndk_triple/libc++_shared.so" "$dest/"
    "$prebuilt/bin/llvm-strip" --strip-unneeded "$dest/libSpiceClientJNI.so"
    echo "$abi: $(stat -c %s "$dest/libSpiceClientJNI.so") bytes -> $dest"
done
