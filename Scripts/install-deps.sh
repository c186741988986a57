#!/usr/bin/env bash
# install-deps.sh — make sure the system packages this project needs are present.
#
# Target: a fresh Debian bookworm machine (CI runs this as root before building).
# Idempotent: packages are checked with dpkg-query first and apt is only touched
# when something is actually missing, so a second run is fast and offline.
#
# Why these packages:
#   qemu-system-x86       real SPICE server for integration tests (Scripts/qemu-spice.sh);
#                         spice, qxl and spice-audio are modules shipped inside it
#   libturbojpeg0-dev,
#   libjpeg62-turbo-dev   JPEG / MJPEG decoding (SPICE JPEG images and MJPEG streams)
#   libopus-dev           OPUS playback/record audio
#   liblz4-dev            LZ4 image compression
#   libssl-dev            TLS channels
#   zlib1g-dev            ZLIB_GLZ images
#   pkg-config            so SwiftPM system-library targets can find the above
#   openssl               generating test certificates for TLS tests
#   procps                pgrep/ps used by the test scripts
#   busybox-static        the Linux test guest's userland (Scripts/build-guest.sh:
#                         statically linked, so it runs alone in the initramfs) and
#                         its depmod applet (the kernel .deb ships no modules.dep)
#   cpio                  packing the guest initramfs (newc format)
#   debootstrap           the X desktop test guest's root filesystem
#                         (Scripts/build-xguest.sh: a Debian bookworm minbase tree)
#   e2fsprogs             mkfs.ext4 -d, which packs that tree into a disk image
#                         without root mounts or loop devices
#   openjdk-17-jdk-headless  javac/java for the JNI binding's tests (Scripts/test-jvm.sh)
#   xvfb, xauth           a headless X server (xvfb-run) for the Swing viewer's test
#
# Output: one short line per action; apt's own output goes to a log file in
# ${TMPDIR:-/tmp} and only its tail is shown if apt fails.
#
# Swift itself is not installed here (it is not a Debian package); we only
# check that it is reachable and tell the caller how to fix PATH if needed.
set -euo pipefail

PACKAGES=(
    qemu-system-x86
    libturbojpeg0-dev
    libjpeg62-turbo-dev
    libopus-dev
    liblz4-dev
    libssl-dev
    zlib1g-dev
    pkg-config
    openssl
    procps
    busybox-static
    cpio
    debootstrap
    e2fsprogs
    openjdk-17-jdk-headless
    xvfb
    xauth
)

SWIFT_FALLBACK=/opt/swift/usr/bin/swift

say() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: ERROR: %s\n' "$*" >&2; exit 1; }

# A package counts as present only if dpkg says it is fully "installed";
# half-installed or config-files-only states are treated as missing so that
# apt gets a chance to repair them.
is_installed() {
    local status
    status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
    [[ "$status" == installed ]]
}

command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script expects Debian (bookworm)"

missing=()
for pkg in "${PACKAGES[@]}"; do
    is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
    say "all ${#PACKAGES[@]} packages already installed"
else
    if [[ $(id -u) -ne 0 ]]; then
        die "missing packages: ${missing[*]} — re-run as root (e.g. sudo $0) or install them with apt-get"
    fi
    log=$(mktemp "${TMPDIR:-/tmp}/install-deps.XXXXXX.log")
    # On any apt failure show the last lines of its output (not the whole
    # thing: CI logs stay readable) and keep the full log for inspection.
    apt_fail() {
        printf 'install-deps: ERROR: %s failed; last lines of %s:\n' "$1" "$log" >&2
        tail -n 25 "$log" >&2 || true
        exit 1
    }
    say "installing ${missing[*]} (log: $log)"
    # The package lists on a fresh machine are empty or stale: update first.
    # DPkg::Lock::Timeout waits for another apt/dpkg (e.g. unattended-upgrades)
    # instead of failing immediately on the lock.
    apt-get -o DPkg::Lock::Timeout=120 update >>"$log" 2>&1 || apt_fail "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=120 install -y \
        --no-install-recommends "${missing[@]}" >>"$log" 2>&1 || apt_fail "apt-get install"
    # Double-check: apt can exit 0 yet leave a package unconfigured.
    still=()
    for pkg in "${missing[@]}"; do
        is_installed "$pkg" || still+=("$pkg")
    done
    ((${#still[@]} == 0)) || apt_fail "installing ${still[*]}"
    say "installed ${#missing[@]} package(s)"
fi

# The SPICE test scripts need the QEMU binary itself, not just the package name.
command -v qemu-system-x86_64 >/dev/null 2>&1 \
    || die "qemu-system-x86_64 not on PATH although qemu-system-x86 is installed"

# Swift: the toolchain lives outside apt (usually unpacked under /opt/swift).
if swift_path=$(command -v swift 2>/dev/null); then
    say "swift found: $swift_path"
elif [[ -x "$SWIFT_FALLBACK" ]]; then
    say "swift is not on PATH; run: export PATH=${SWIFT_FALLBACK%/swift}:\$PATH"
else
    die "swift not found on PATH nor at $SWIFT_FALLBACK — install a Swift toolchain for Linux first"
fi
