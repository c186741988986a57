#!/usr/bin/env bash
# build-guest.sh — build the tiny Linux console test guest used by
# `Scripts/qemu-spice.sh start --guest linux|linux-static`.
#
# The guest is Debian's own kernel (through the linux-image-amd64 metapackage)
# plus a busybox-static initramfs whose /init:
#   * loads qxl (KMS framebuffer console, 1024x768), the input drivers and AC97;
#   * echoes every input event the guest receives to the serial console;
#   * shows moving text (spicetest.mode=moving) or a fixed test card (static).
# See shared/reference/qemu-spice-server-notes.md, section 3, for measurements.
#
# Usage: build-guest.sh [--cache DIR] [--force]
#   --cache DIR  output directory (default: ${SPICE_GUEST_CACHE:-$HOME/.cache/spice-test-guest})
#   --force      re-resolve and re-download the kernel and rebuild everything
#
# Output (stdout, shell-sourceable; diagnostics go to stderr):
#   KERNEL=<cache>/vmlinuz
#   INITRD=<cache>/initrd.gz
#   KVER=<kernel release, e.g. 6.1.0-56-amd64>
#
# Caching: when the cache holds a complete build made by this very script
# (the stamp records a hash of this file, which embeds /init, and the busybox
# version), nothing is done (well under a second, no apt, no network). When the
# script changed, the initramfs is rebuilt from the kernel .deb kept in the
# cache. The kernel is only re-resolved and re-downloaded with --force (or when
# no .deb is cached), so a test run never hits the network just because Debian
# moved the metapackage.
#
# Needs: apt-get/apt-cache/dpkg-deb (Debian), busybox-static, cpio (falls back
# to busybox cpio), gzip. Root is only needed for `apt-get update`, which is
# attempted only if the download fails for lack of package lists.
#
# Serial protocol of the guest (all on ttyS0, lines start with "SPICETEST "):
#   BOOT                              /init started
#   MODULES loaded=N failed=M         (MODULE FAIL <name> for each failure)
#   QXL ok fb=0 qxldrmfb 1024x768     qxl KMS framebuffer up (or "QXL FAIL <why>")
#   INPUT eventN <device name>        a reader holds eventN open from now on
#   LED capslock=0|1 (numlock, scrolllock)   keyboard LED state, at start and on change
#   READY uptime=U mode=M inputs=N    console drawn, all readers running
#   EV eventN type=T code=C value=V   one input event (MSC and SYN are not printed,
#                                     except type=0 code=3: SYN_DROPPED, events lost
#                                     in the guest's evdev buffer)
#   TICK N                            every 10th tick in moving mode
#   AUDIO ...                         only with spicetest.audio=1
#   AUDIO record rc=R n=N rises=K span=S min=L max=H   with spicetest.record=1:
#                                     every ~3 s, 2 s captured from /dev/dsp (8 kHz
#                                     U8 mono) and summarised: samples, K periods
#                                     (rising midline crossings 2-40 samples apart)
#                                     spanning S samples, so the tone is 8000*K/S Hz
#                                     whatever silence the capture holds; lowest and
#                                     highest sample
# Kernel command line: spicetest.mode=moving|static, spicetest.interval=SECONDS
# (moving mode), spicetest.inputs=N (number of input devices to wait for before
# READY; without it READY waits until the set is stable), spicetest.audio=1 (play
# a ~1 s 444 Hz tone through AC97 every 5 s), spicetest.record=1 (capture 2 s
# from AC97 every ~3 s and report a summary).
set -euo pipefail

PROG=build-guest.sh
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")
METAPACKAGE=linux-image-amd64
# Modules wanted in the guest; their dependency closure is resolved from
# modules.dep. Names built into the kernel (modules.builtin) are skipped.
#   display: qxl (pulls drm, ttm, drm_kms_helper, ...)
#   input:   i8042/atkbd (PS/2 keyboard, usually built in), psmouse (PS/2
#            mouse, server mouse mode), uhci-hcd + usbhid + hid-generic
#            (QEMU usb-tablet, client mouse mode), evdev (/dev/input/event*)
#   sound:   snd-intel8x0 (AC97), snd-pcm-oss (/dev/dsp for the tone)
WANTED_MODULES=(qxl i8042 atkbd psmouse evdev uhci-hcd usbhid hid-generic snd-intel8x0 snd-pcm-oss)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$1" >&2; exit "${2:-1}"; }

usage() { sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; }

cache=${SPICE_GUEST_CACHE:-${HOME:-/root}/.cache/spice-test-guest}
force=0
while (($#)); do
    case "$1" in
        --cache) (($# >= 2)) || die "--cache needs a value" 2; cache=$2; shift 2 ;;
        --force) force=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: '$1' (see --help)" 2 ;;
    esac
done

now_ms() { local t=${EPOCHREALTIME/,/.}; printf '%s' $((${t%.*} * 1000 + 10#${t#*.} / 1000)); }
T0=$(now_ms)

BUSYBOX=/bin/busybox
[[ -x "$BUSYBOX" ]] || die "$BUSYBOX not found: install busybox-static (Scripts/install-deps.sh)"
# The initramfs has no libc: the busybox must be the static one (ldd fails on
# a static binary).
if ldd "$BUSYBOX" >/dev/null 2>&1; then
    die "$BUSYBOX is dynamically linked: install busybox-static (Scripts/install-deps.sh)"
fi

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

# What the current build must have been made from. The kernel is not part of
# the key (see "Caching" above); it is recorded in the stamp for information.
script_hash=$(sha256sum "$SELF" | cut -d' ' -f1)
busybox_version=$("$BUSYBOX" --help 2>&1 | sed -n '1s/^BusyBox \([^ ]*\).*/\1/p' || true)
[[ -n "$busybox_version" ]] || die "$BUSYBOX does not look like BusyBox"
want_key="script=$script_hash busybox=$busybox_version"

print_result() {
    printf 'KERNEL=%q\nINITRD=%q\nKVER=%q\n' "$cache/vmlinuz" "$cache/initrd.gz" "$(cat "$cache/kver")"
}

cache_is_current() {
    [[ -s "$cache/vmlinuz" && -s "$cache/initrd.gz" && -s "$cache/kver" && -s "$cache/build.stamp" ]] || return 1
    [[ "$(head -n 1 "$cache/build.stamp")" == "$want_key" ]]
}

if ((force == 0)) && cache_is_current; then
    log "guest is up to date in $cache (kernel $(cat "$cache/kver"))"
    print_result
    exit 0
fi

# Only one build per cache at a time (tests may start several QEMUs at once).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
    if ((force == 0)) && cache_is_current; then      # another build finished meanwhile
        log "guest was built meanwhile in $cache"
        print_result
        exit 0
    fi
fi

work=$(mktemp -d "$cache/.build.XXXXXX")
dl=""
cleanup() {
    [[ -z "$work" ]] || rm -rf "$work"
    [[ -z "$dl" ]] || rm -rf "$dl"
}
trap cleanup EXIT

# ------------------------------------------------------------ kernel .deb

# Resolve linux-image-amd64 -> linux-image-6.1.0-NN-amd64 (the ABI number moves
# with Debian point releases, so it is never hard-coded).
resolve_kernel_package() {
    apt-cache depends "$METAPACKAGE" 2>/dev/null \
        | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

apt_update() {
    if [[ $(id -u) -ne 0 ]]; then
        die "$1, and updating the package lists needs root: run 'apt-get update' as root, then retry"
    fi
    log "$1; running apt-get update"
    apt-get -o DPkg::Lock::Timeout=120 update >"$work/apt-update.log" 2>&1 || {
        tail -n 20 "$work/apt-update.log" >&2
        die "apt-get update failed"
    }
}

download_kernel() {
    local pkg rc=0
    pkg=$(resolve_kernel_package) || true
    if [[ -z "$pkg" ]]; then
        apt_update "apt-cache cannot resolve $METAPACKAGE (no package lists?)"
        pkg=$(resolve_kernel_package) || true
        [[ -n "$pkg" ]] || die "apt-cache depends $METAPACKAGE names no linux-image package"
    fi
    # apt drops privileges to _apt for downloading; as root, the target
    # directory must be writable (and reachable) by _apt, or apt warns that the
    # download is "performed unsandboxed as root". $HOME may be mode 700, so
    # download into a fresh directory under /tmp and move the file afterwards.
    dl=$(mktemp -d "${TMPDIR:-/tmp}/spice-guest-dl.XXXXXX")
    if [[ $(id -u) -eq 0 ]] && getent passwd _apt >/dev/null 2>&1; then
        chown _apt "$dl"
    fi
    log "downloading $pkg (resolved from $METAPACKAGE)"
    (cd "$dl" && apt-get download "$pkg") >"$work/apt-download.log" 2>&1 || rc=$?
    if ((rc != 0)); then
        # Typically: stale or missing lists (404, "Unable to locate package").
        apt_update "apt-get download $pkg failed"
        pkg=$(resolve_kernel_package) || true
        [[ -n "$pkg" ]] || die "apt-cache depends $METAPACKAGE names no linux-image package"
        log "downloading $pkg (after apt-get update)"
        (cd "$dl" && apt-get download "$pkg") >"$work/apt-download.log" 2>&1 || {
            tail -n 20 "$work/apt-download.log" >&2
            die "apt-get download $pkg failed"
        }
    fi
    # Show apt's warnings (e.g. "unsandboxed"), if any.
    grep -E '^(W|E|N): ' "$work/apt-download.log" >&2 || true
    local debs=("$dl"/"$pkg"_*.deb)
    [[ -f "${debs[0]}" ]] || die "apt-get download left no $pkg .deb in $dl"
    rm -f "$cache"/linux-image-*.deb
    mv "${debs[0]}" "$cache/"
    deb="$cache/${debs[0]##*/}"
}

deb=""
if ((force == 0)); then
    shopt -s nullglob
    cached=("$cache"/linux-image-*.deb)
    shopt -u nullglob
    ((${#cached[@]} == 0)) || deb=${cached[${#cached[@]} - 1]}
fi
if [[ -n "$deb" ]]; then
    log "using cached ${deb##*/}"
else
    t=$(now_ms)
    download_kernel
    log "downloaded ${deb##*/} ($(du -h "$deb" | cut -f1)) in $(( $(now_ms) - t )) ms"
fi

# ------------------------------------------------------------ unpack + depmod

t=$(now_ms)
dpkg-deb -x "$deb" "$work/root" || die "dpkg-deb -x $deb failed (corrupt download? retry with --force)"
shopt -s nullglob
kdirs=("$work"/root/lib/modules/*/)
vmlinuz=("$work"/root/boot/vmlinuz-*)
shopt -u nullglob
((${#kdirs[@]} == 1)) || die "expected one lib/modules/<version> in ${deb##*/}, found ${#kdirs[@]}"
((${#vmlinuz[@]} == 1)) || die "expected one boot/vmlinuz-* in ${deb##*/}"
kdir=${kdirs[0]%/}
kver=${kdir##*/}
# The .deb ships no modules.dep (Debian's postinst runs depmod); busybox's
# depmod makes one without kmod.
"$BUSYBOX" depmod -b "$work/root" "$kver" || die "busybox depmod failed"
[[ -s "$kdir/modules.dep" ]] || die "depmod wrote no $kdir/modules.dep"
log "unpacked kernel $kver and ran depmod in $(( $(now_ms) - t )) ms"

# ------------------------------------------------------------ module closure

t=$(now_ms)

# Load order: every module after all of its dependencies (depth-first, as
# modprobe does). modules.dep lines: "kernel/a/b.ko: kernel/c.ko kernel/d.ko".
declare -A mod_path=() mod_deps=() builtin=() visited=()
# norm PATH-OR-NAME: module name with '-' as '_' (as the kernel does), in $REPLY
# (no command substitution: this runs some 8000 times).
norm() { REPLY=${1##*/}; REPLY=${REPLY%%.ko*}; REPLY=${REPLY//-/_}; }
while IFS= read -r line; do
    path=${line%%:*}
    norm "$path"
    name=$REPLY
    mod_path[$name]=$path
    deps=""
    for d in ${line#*:}; do norm "$d"; deps+=" $REPLY"; done
    mod_deps[$name]=$deps
done <"$kdir/modules.dep"
if [[ -f "$kdir/modules.builtin" ]]; then
    while IFS= read -r path; do norm "$path"; builtin[$REPLY]=1; done <"$kdir/modules.builtin"
fi

load_order=()
visit() {
    local m=$1 d
    [[ -z "${visited[$m]:-}" ]] || return 0
    visited[$m]=1
    for d in ${mod_deps[$m]}; do visit "$d"; done
    load_order+=("$m")
}
for want in "${WANTED_MODULES[@]}"; do
    norm "$want"
    m=$REPLY
    if [[ -n "${mod_path[$m]:-}" ]]; then
        visit "$m"
    elif [[ -n "${builtin[$m]:-}" ]]; then
        log "module $want is built into the kernel"
    else
        die "module $want is neither in modules.dep nor built in (kernel $kver)"
    fi
done

log "module closure resolved in $(( $(now_ms) - t )) ms: ${load_order[*]}"

# ------------------------------------------------------------ initramfs tree

t=$(now_ms)

ird="$work/initramfs"
mkdir -p "$ird"/{bin,dev,proc,sys,tmp,run,etc,root,lib/modules}
cp "$BUSYBOX" "$ird/bin/busybox"
for applet in $("$BUSYBOX" --list); do
    [[ "$applet" == busybox ]] || ln -s busybox "$ird/bin/$applet"
done
: >"$ird/etc/modules.load"
for m in "${load_order[@]}"; do
    src="$kdir/${mod_path[$m]}"
    case "$src" in
        *.ko)    cp "$src" "$ird/lib/modules/$m.ko" ;;
        *.ko.xz) xz -dc "$src" >"$ird/lib/modules/$m.ko" ;;
        *.ko.gz) gzip -dc "$src" >"$ird/lib/modules/$m.ko" ;;
        *.ko.zst) zstd -qdc "$src" >"$ird/lib/modules/$m.ko" ;;
        *)       die "unexpected module file name: $src" ;;
    esac
    echo "$m" >>"$ird/etc/modules.load"
done
echo "$kver" >"$ird/etc/kver"

cat >"$ird/init" <<'INIT'
#!/bin/sh
# /init of the SPICE console test guest, written by Scripts/build-guest.sh.
# PID 1: must never exit (that would panic the kernel).
export PATH=/bin
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node, so stdio starts closed.
exec </dev/null >/dev/ttyS0 2>&1
# Our lines end in LF only (the kernel's own console lines keep CRLF).
stty -F /dev/ttyS0 -onlcr 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /run/in /run/started /tmp
say() { echo "SPICETEST $*"; }
say BOOT

mode=moving interval=0.5 inputs="" audio=0 record=0
read -r cmdline </proc/cmdline
for a in $cmdline; do
    case "$a" in
        spicetest.mode=*)     mode=${a#*=} ;;
        spicetest.interval=*) interval=${a#*=} ;;
        spicetest.inputs=*)   inputs=${a#*=} ;;
        spicetest.audio=*)    audio=${a#*=} ;;
        spicetest.record=*)   record=${a#*=} ;;
    esac
done

# ---- modules, in dependency order
loaded=0 failed=0
while read -r m; do
    if insmod "/lib/modules/$m.ko"; then loaded=$((loaded + 1)); else failed=$((failed + 1)); say "MODULE FAIL $m"; fi
done </etc/modules.load
say "MODULES loaded=$loaded failed=$failed"

# ---- qxl KMS framebuffer console
i=0
while [ ! -c /dev/fb0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if [ -c /dev/fb0 ]; then
    fbline=""; size=""
    read -r fbline </proc/fb
    read -r size </sys/class/graphics/fb0/virtual_size
    case "$fbline" in
        *qxl*) say "QXL ok fb=${fbline%% *} ${fbline#* } ${size%,*}x${size#*,}" ;;
        *)     say "QXL FAIL fb0 is not qxl: $fbline ${size%,*}x${size#*,}" ;;
    esac
else
    say "QXL FAIL no /dev/fb0 after 30 s"
fi
# Blinking cursors break exact screen compares.
echo 0 >/sys/class/graphics/fbcon/cursor_blink 2>/dev/null
# tty1 is the fbcon console. Keep it open, and make typed keys harmless: no
# echo (the screen must not change), no signals (Ctrl-C), no flow control
# (Ctrl-S would freeze the moving text).
exec 4>/dev/tty1
stty -F /dev/tty1 -echo -isig -ixon -ixoff -icanon 2>/dev/null

# ---- input readers: one per /dev/input/eventN, holding its fd open and
# reading whole 24-byte struct input_event records (timeval 16, type 2, code 2,
# value 4).
#  * Stage 1, a long-lived `dd bs=24`, drains the evdev buffer at once (only
#    64 events for a keyboard: a burst of ~20 keys would overflow it while a
#    fork-per-read loop is busy) into a pipe (64 KiB, ~2700 events). Each
#    24-byte write is atomic, so the pipe only ever holds whole records.
#  * Stage 2 turns what is queued (up to 100 records per read, a multiple of
#    24 bytes) into text; od and hexdump buffer their output, so one short-lived
#    `dd | od` per chunk. od prints one record per line as 6 int32:
#    sec_lo sec_hi usec_lo usec_hi type|code<<16 value.
reader() {
    n=$1
    exec 3<"/dev/input/$n" || exit 0
    name=""
    read -r name <"/sys/class/input/$n/device/name"
    say "INPUT $n $name"
    : >"/run/in/$n"
    dd bs=24 <&3 2>/dev/null | while [ -c "/dev/input/$n" ]; do
        dd bs=2400 count=1 2>/dev/null | od -An -v -td4 -w24
    done | while read -r s1 s2 u1 u2 tc v; do
        t=$((tc & 65535)) c=$(((tc >> 16) & 65535))
        # Skip EV_MSC and EV_SYN, except SYN_DROPPED (code 3): the evdev
        # buffer overflowed and the guest lost events.
        case $t.$c in 0.3) ;; 0.*|4.*) continue ;; esac
        say "EV $n type=$t code=$c value=$v"
    done
}

# ---- monitor: starts readers for new event devices (also hot-plugged ones)
# and reports keyboard LED changes (proves lock-key sync), every 0.2 s.
monitor() {
    while :; do
        for d in /dev/input/event*; do
            [ -c "$d" ] || continue
            n=${d##*/}
            [ -e "/run/started/$n" ] && continue
            : >"/run/started/$n"
            reader "$n" &
        done
        for l in /sys/class/leds/*::capslock /sys/class/leds/*::numlock /sys/class/leds/*::scrolllock; do
            [ -e "$l/brightness" ] || continue
            b=0
            read -r b <"$l/brightness"
            [ "$b" -gt 0 ] 2>/dev/null && b=1
            k=${l##*::}
            eval "old=\${led_$k-}"
            if [ "$old" != "$b" ]; then
                eval "led_$k=$b"
                say "LED $k=$b"
            fi
        done
        sleep 0.2
    done
}
monitor &

# ---- wait for the input devices: spicetest.inputs=N, else until stable
t=0 last=-1 stable=0 count=0
while :; do
    set -- /run/in/event*
    if [ -e "$1" ]; then count=$#; else count=0; fi
    if [ -n "$inputs" ]; then
        [ "$count" -ge "$inputs" ] && break
        if [ $t -ge 150 ]; then say "INPUT WARN only $count of $inputs devices after 15 s"; break; fi
    else
        if [ "$count" -gt 0 ] && [ "$count" -eq "$last" ]; then stable=$((stable + 1)); else stable=0; fi
        [ $stable -ge 15 ] && break
        [ $t -ge 60 ] && break
    fi
    last=$count t=$((t + 1))
    sleep 0.1
done

# ---- optional audio: a ~1.15 s 444 Hz square wave, 8 kHz U8 mono (the OSS
# /dev/dsp default format), every 5 s.
if [ "$audio" = 1 ]; then
    card=""
    read -r card </proc/asound/cards
    say "AUDIO card: $card"
    printf '\300\300\300\300\300\300\300\300\300\100\100\100\100\100\100\100\100\100' >/tmp/tone
    for i in 1 2 3 4 5 6 7 8 9; do cat /tmp/tone /tmp/tone >/tmp/tone2; mv /tmp/tone2 /tmp/tone; done
    (
        while :; do
            cat /tmp/tone >/dev/dsp
            say "AUDIO play rc=$?"
            sleep 5
        done
    ) &
fi

# ---- optional record: 2 s from the AC97 capture device every ~3 s, summarised
# by awk (the frequency of a tone is crossings / 2 / 2 s).
if [ "$record" = 1 ]; then
    (
        while :; do
            dd if=/dev/dsp of=/tmp/rec bs=8000 count=2 2>/dev/null
            rc=$?
            summary=$(od -An -tu1 -v /tmp/rec | awk '
                BEGIN { n = 0; k = 0; span = 0; last = -1; lo = 255; hi = 0; p = -1 }
                { for (i = 1; i <= NF; i++) { v = $i + 0; if (v < lo) lo = v; if (v > hi) hi = v
                      s = (v >= 128)
                      if (p == 0 && s == 1) { if (last >= 0 && n - last >= 2 && n - last <= 40) { k++; span += n - last }; last = n }
                      p = s; n++ } }
                END { printf "n=%d rises=%d span=%d min=%d max=%d", n, k, span, lo, hi }')
            say "AUDIO record rc=$rc $summary"
            sleep 1
        done
    ) &
fi

ramp=' !"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghijklmnopqrstuvwxyz{|}~'
colours() {
    printf '\033[0m'
    # background colours 0-7 labelled in the complementary foreground colour
    for c in 0 1 2 3 4 5 6 7; do printf '\033[3%s;4%sm  %s  ' $((7 - c)) $c $c; done
    printf '\033[0m '
    for c in 0 1 2 3 4 5 6 7; do printf '\033[1;3%sm%s' $c "#$c#"; done
    printf '\033[0m\n'
}

# Kernel messages would interleave with our lines from here on: errors only.
echo 4 >/proc/sys/kernel/printk

if [ "$mode" = static ]; then
    # A fixed test card, cursor hidden: the screen never changes again.
    {
        printf '\033[?25l\033[H\033[2J'
        echo "SPICE test card (static)"
        echo
        printf '%s\n' "$ramp"
        echo
        h="#"
        for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo "$h"; h="$h##"; done
        echo
        colours
        echo
        echo "0123456789 The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX"
    } >&4
    sleep 0.3        # let the fbdev damage worker push the last rectangle
    read -r up _ </proc/uptime
    say "READY uptime=$up mode=static inputs=$count"
    while :; do sleep 3600; done
fi

printf '\033[H\033[2J' >&4
echo "SPICE test guest: moving text every ${interval}s" >&4
colours >&4
read -r up _ </proc/uptime
say "READY uptime=$up mode=moving inputs=$count"
i=0
while :; do
    i=$((i + 1))
    read -r up _ </proc/uptime
    echo "tick $i $(date +%H:%M:%S) uptime $up" >&4
    if [ $((i % 10)) -eq 0 ]; then
        say "TICK $i"
        printf '%s\n' "$ramp" >&4
        colours >&4
    fi
    sleep "$interval"
done
INIT
chmod 755 "$ird/init"

log "initramfs tree written in $(( $(now_ms) - t )) ms"

# ------------------------------------------------------------ pack

t=$(now_ms)
# Fixed timestamps and owners, sorted names: the same inputs give the same bytes.
find "$ird" -exec touch -h -d @1 {} +
cpio_cmd=(cpio -o -H newc -R 0:0 --quiet --reproducible)
command -v cpio >/dev/null 2>&1 || cpio_cmd=("$BUSYBOX" cpio -o -H newc -R 0:0)
(cd "$ird" && find . -mindepth 1 | LC_ALL=C sort | "${cpio_cmd[@]}") | gzip -6n >"$work/initrd.gz"
gzip -t "$work/initrd.gz" || die "initramfs archive is corrupt"
log "packed initramfs in $(( $(now_ms) - t )) ms"

# Install: the stamp goes last, so an interrupted build is never "current".
rm -f "$cache/build.stamp"
cp "${vmlinuz[0]}" "$cache/vmlinuz.tmp" && mv -f "$cache/vmlinuz.tmp" "$cache/vmlinuz"
mv -f "$work/initrd.gz" "$cache/initrd.gz"
printf '%s\n' "${load_order[@]}" >"$cache/modules.load"
cp "$ird/init" "$cache/init.sh"
echo "$kver" >"$cache/kver"
printf '%s\nkernel=%s built=%s\n' "$want_key" "${deb##*/}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$cache/build.stamp"

cleanup
dl="" work=""
log "built guest in $(( $(now_ms) - T0 )) ms: kernel $kver, ${#load_order[@]} modules," \
    "vmlinuz $(du -h "$cache/vmlinuz" | cut -f1), initrd $(du -h "$cache/initrd.gz" | cut -f1)," \
    "cache $(du -sh "$cache" | cut -f1) in $cache"
print_result
