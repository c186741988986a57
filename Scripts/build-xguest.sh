#!/usr/bin/env bash
# build-xguest.sh — build the X11 desktop test guest used by
# `Scripts/qemu-spice.sh start --guest xdesktop|xdesktop-light|xdesktop-static`.
#
# The guest is a Debian bookworm root filesystem made from Debian packages only
# (debootstrap --variant=minbase + Xorg on the QXL X driver, twm, a few X11
# clients, spice-vdagent), packed into an ext4 image, plus the kernel and the
# initramfs-tools initrd extracted next to it. It boots with
# init=/sbin/spicetest-init (no systemd): udev, spice-vdagentd, Xorg on the qxl
# driver (over the qxl KMS kernel driver), twm, spice-vdagent, and an activity
# loop. See shared/reference/qemu-spice-server-notes.md, section
# "X desktop guest", for what this guest sends over SPICE and how long it takes.
#
# Usage: build-xguest.sh [--cache DIR] [--force]
#   --cache DIR  output directory (default: ${SPICE_XGUEST_CACHE:-$HOME/.cache/spice-test-xguest})
#   --force      rebuild everything from scratch (debootstrap again); downloaded
#                .debs kept in DIR/debs are reused when their versions still match
#
# Output (stdout, shell-sourceable; diagnostics go to stderr):
#   IMAGE=<cache>/xguest.ext4      raw ext4 root filesystem (use it with snapshot=on)
#   KERNEL=<cache>/vmlinuz
#   INITRD=<cache>/initrd.img
#   KVER=<kernel release, e.g. 6.1.0-56-amd64>
#
# Caching, in two layers:
#   * base layer (DIR/rootfs, ~60 s + download): debootstrap + apt-get install
#     of the packages, with dpkg path-exclude trimming. Its key is a hash of the
#     package list and of the shell functions that build it (declare -f), so it
#     is rebuilt only when those change, or with --force.
#   * config layer (a few seconds): /sbin/spicetest-init, the X and twm
#     configuration, then mkfs.ext4 -d. Rebuilt whenever this file changes.
#   When both are current nothing is done (well under a second, no network).
#   Only one build per cache directory runs at a time (flock on DIR/.lock).
#
# Needs: root (debootstrap, chroot), debootstrap, mkfs.ext4 from e2fsprogs
# >= 1.47 (-d and assume_storage_prezeroed), network access to the Debian
# mirror (SPICE_XGUEST_MIRROR, default http://deb.debian.org/debian, and
# SPICE_XGUEST_SECURITY_MIRROR, default http://deb.debian.org/debian-security).
# Scripts/install-deps.sh installs the tools. Disk: ~1.3 GB in DIR (rootfs tree
# ~0.5 GB, image ~0.5 GB allocated, .deb cache ~0.25 GB).
#
# Guest kernel command line (qemu-spice.sh sets these):
#   spicetest.activity=full|light|static
#       full:   xterm scrolling `ls -l`, xterm with an Xft font running top,
#               xclock (analog and digital), xeyes, xlogo; every step the root
#               colour/pattern changes, the xlogo window moves, the digital
#               clock is resized, an xmessage pops up now and then, the pointer
#               is warped, and the root cursor cycles through 10 shapes,
#               alternately from the Adwaita theme and XCURSOR_THEME=core
#       light:  one scrolling xterm and an xclock; root colour + cursor only
#       static: a fixed xterm test card + xlogo on a plain root; nothing
#               changes unless input arrives (the exact screenshot-compare target)
#   spicetest.interval=S   seconds between activity steps (default 1; a step
#                          itself takes 1-3 s under TCG)
#   spicetest.res=WxH      switch X to this mode once at start (optional)
#   spicetest.agent=0      do not start spice-vdagent (the session agent)
#
# Serial protocol on ttyS0 (lines start with "SPICETEST "):
#   BOOT uptime=U                      init started
#   UDEV settled uptime=U              udev coldplug done (qxl KMS, virtio, input)
#   QXL ok card0 driver=qxl            the qxl KMS device is up (or "QXL FAIL ...")
#   AGENTD started | AGENTD absent     spice-vdagentd (absent: no virtio port)
#   INPUT eventN <device name>         an input-event reader watches eventN
#   EV eventN type=T code=C value=V    one input event (SYN/MSC dropped except
#                                      SYN_DROPPED), as in build-guest.sh
#   LED capslock=0|1 ...               keyboard LED state, at start and on change
#   X READY uptime=U WxH output=NAME   Xorg answers on :0
#   AGENT started pid=P | AGENT off    spice-vdagent (session agent)
#   DESKTOP READY uptime=U activity=A WxH   all clients mapped, loop running
#   ACT n <what> cursor=NAME theme=T   one activity step
#   RESIZE requested=WxH               connector's preferred mode changed
#                                      (client monitors-config), applied with xrandr
#   XSIZE WxH                          the X screen size, on every change
#   LOG <file>: <line>                 log tails, 5 s after DESKTOP READY
#   FAIL <what>                        something did not come up
# A root shell (dash, no prompt, no echo, raw tty) reads commands from ttyS1;
# `Scripts/qemu-spice.sh guest-shell SOCKET 'COMMAND'` runs one command there.
set -euo pipefail

PROG=build-xguest.sh
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/$(basename "${BASH_SOURCE[0]}")
SUITE=bookworm
MIRROR=${SPICE_XGUEST_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SPICE_XGUEST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# fonts-dejavu-core: the Xft-rendered xterm (render text next to core text).
PACKAGES=(linux-image-amd64 initramfs-tools kmod udev
          xserver-xorg-core xserver-xorg-video-qxl xserver-xorg-input-evdev
          xfonts-base fonts-dejavu-core x11-xserver-utils x11-utils x11-apps
          xterm twm xdotool xclip procps spice-vdagent)
# Modules the initramfs must hold to mount the root filesystem (/dev/vda).
INITRD_MODULES=(virtio_pci virtio_blk ext4 ata_piix sd_mod)

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: ERROR: %s\n' "$PROG" "$1" >&2; exit "${2:-1}"; }

usage() { sed -n '2,/^set -euo/p' "$SELF" | sed '$d; s/^# \{0,1\}//'; }

cache=${SPICE_XGUEST_CACHE:-${HOME:-/root}/.cache/spice-test-xguest}
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

# ============================================================ base layer
# Everything from here to "end of base layer" is hashed (declare -f) into the
# base key: edit these functions and the base is rebuilt.

# dpkg filters, installed before apt-get install: no docs, man pages or
# locales; Adwaita icons out except the cursor theme (adwaita-icon-theme's
# postinst needs index.theme and cursor.theme, spice-vdagent's GTK wants the
# cursors); no Mesa DRI drivers / LLVM / z3 (Xorg runs without GLX); no
# cc1 (cpp-12 comes with x11-xserver-utils for xrdb, unused here); no kernel
# modules for hardware QEMU does not emulate here.
dpkg_filters() {
    cat <<'EOF'
# Written by Scripts/build-xguest.sh: keep the SPICE test guest small.
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/lintian/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/icons/Adwaita/*
path-include=/usr/share/icons/Adwaita/index.theme
path-include=/usr/share/icons/Adwaita/cursor.theme
path-include=/usr/share/icons/Adwaita/cursors/*
path-exclude=/usr/lib/x86_64-linux-gnu/dri/*
path-exclude=/usr/lib/x86_64-linux-gnu/libLLVM*
path-exclude=/usr/lib/x86_64-linux-gnu/libz3.so*
path-exclude=/usr/lib/gcc/x86_64-linux-gnu/12/cc1
path-exclude=/lib/modules/*/kernel/drivers/gpu/drm/amd/*
path-exclude=/lib/modules/*/kernel/drivers/gpu/drm/nouveau/*
path-exclude=/lib/modules/*/kernel/drivers/gpu/drm/i915/*
path-exclude=/lib/modules/*/kernel/drivers/gpu/drm/radeon/*
path-exclude=/lib/modules/*/kernel/drivers/gpu/drm/gma500/*
path-exclude=/lib/modules/*/kernel/drivers/net/wireless/*
path-exclude=/lib/modules/*/kernel/drivers/net/ethernet/*
path-exclude=/lib/modules/*/kernel/drivers/net/can/*
path-exclude=/lib/modules/*/kernel/drivers/media/*
path-exclude=/lib/modules/*/kernel/drivers/infiniband/*
path-exclude=/lib/modules/*/kernel/drivers/staging/*
path-exclude=/lib/modules/*/kernel/drivers/bluetooth/*
path-exclude=/lib/modules/*/kernel/drivers/isdn/*
path-exclude=/lib/modules/*/kernel/drivers/iio/*
path-exclude=/lib/modules/*/kernel/drivers/mtd/*
path-exclude=/lib/modules/*/kernel/drivers/scsi/*/*
path-exclude=/lib/modules/*/kernel/net/wireless/*
path-exclude=/lib/modules/*/kernel/net/mac80211/*
path-exclude=/lib/modules/*/kernel/net/bluetooth/*
path-exclude=/lib/modules/*/kernel/sound/soc/*
path-exclude=/lib/modules/*/kernel/fs/btrfs/*
path-exclude=/lib/modules/*/kernel/fs/xfs/*
path-exclude=/lib/modules/*/kernel/fs/nfs/*
path-exclude=/lib/modules/*/kernel/fs/nfsd/*
path-exclude=/lib/modules/*/kernel/fs/ocfs2/*
path-exclude=/lib/modules/*/kernel/fs/gfs2/*
path-exclude=/lib/modules/*/kernel/fs/ceph/*
path-exclude=/lib/modules/*/kernel/fs/smb/*
path-exclude=/lib/modules/*/kernel/fs/f2fs/*
path-exclude=/lib/modules/*/kernel/fs/jfs/*
path-exclude=/lib/modules/*/kernel/fs/reiserfs/*
path-exclude=/lib/modules/*/kernel/fs/nilfs2/*
path-exclude=/lib/modules/*/kernel/fs/ubifs/*
path-exclude=/lib/modules/*/kernel/fs/afs/*
path-exclude=/lib/modules/*/kernel/fs/orangefs/*
EOF
}

# Mount/unmount the API filesystems the package scripts want in the chroot
# (as debootstrap does). /dev is not bind-mounted: with shared mount
# propagation, mounts below it could show up on the host's /dev; the device
# nodes debootstrap creates are enough for apt and dpkg.
chroot_mount() {
    local root=$1
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
}
chroot_umount() {
    local root=$1 m
    [[ -n "$root" ]] || return 0
    # Lazily if something still holds one open.
    for m in sys proc; do
        if mountpoint -q "$root/$m" 2>/dev/null; then
            umount "$root/$m" 2>/dev/null || umount -l "$root/$m" || true
        fi
    done
}

# build_base ROOT DEBS LOG: debootstrap + packages into ROOT (a new directory).
build_base() {
    local root=$1 debs=$2 logf=$3 t
    mkdir -p "$debs"

    t=$(now_ms)
    log "debootstrap --variant=minbase $SUITE from $MIRROR"
    debootstrap --variant=minbase --cache-dir="$debs" "$SUITE" "$root" "$MIRROR" >>"$logf" 2>&1 \
        || { tail -n 25 "$logf" >&2; die "debootstrap failed (full log: $logf)"; }
    log "debootstrap done in $(( $(now_ms) - t )) ms"

    # Trimming, apt and initramfs configuration, before the big install.
    dpkg_filters >"$root/etc/dpkg/dpkg.cfg.d/spicetest-trim"
    # Files debootstrap already unpacked: apply the same trimming.
    rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
    find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
    cat >"$root/etc/apt/apt.conf.d/90spicetest" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dpkg::Use-Pty "false";
EOF
    cat >"$root/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    # initramfs: only what mounting /dev/vda needs, gzip, no resume device.
    mkdir -p "$root/etc/initramfs-tools/conf.d" "$root/usr/share/initramfs-tools/modules.d"
    printf 'MODULES=list\nCOMPRESS=gzip\nRESUME=none\n' >"$root/etc/initramfs-tools/conf.d/spicetest"
    printf '%s\n' "${INITRD_MODULES[@]}" >"$root/usr/share/initramfs-tools/modules.d/spicetest"
    # No service may start inside the build chroot (spice-vdagent, udev).
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

    t=$(now_ms)
    mounted_root=$root
    chroot_mount "$root"
    # Reuse (and afterwards keep) downloaded .debs: apt only takes a file whose
    # name (package_version_arch) matches what it wants.
    find "$debs" -maxdepth 1 -name '*.deb' -exec mv -t "$root/var/cache/apt/archives/" {} +
    local -a apt_env=(env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin)
    chroot "$root" "${apt_env[@]}" apt-get -o DPkg::Lock::Timeout=60 update >>"$logf" 2>&1 \
        || { tail -n 25 "$logf" >&2; die "apt-get update in the chroot failed (full log: $logf)"; }
    log "installing ${#PACKAGES[@]} packages and their dependencies"
    chroot "$root" "${apt_env[@]}" apt-get install -y -q "${PACKAGES[@]}" >>"$logf" 2>&1 \
        || { tail -n 25 "$logf" >&2; die "apt-get install in the chroot failed (full log: $logf)"; }
    # Keep the cache from growing: drop .debs that are no longer in the lists.
    chroot "$root" "${apt_env[@]}" apt-get autoclean -q >>"$logf" 2>&1 || true
    find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec mv -f -t "$debs/" {} +
    chroot_umount "$root"
    mounted_root=""
    log "apt-get install done in $(( $(now_ms) - t )) ms ($(grep -c '^Setting up ' "$logf") packages set up)"

    # Leave no build-time state in the image.
    rm -f "$root/usr/sbin/policy-rc.d"
    : >"$root/etc/resolv.conf"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
        "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
    find "$root/var/log" -type f -delete
    echo spicetest >"$root/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tspicetest\n' >"$root/etc/hosts"
    printf '# root is /dev/vda (kernel command line); no other mounts\n' >"$root/etc/fstab"

    # fontconfig's caches are valid only while each font directory's mtime,
    # nanoseconds included, equals the one recorded in the cache. mkfs.ext4
    # -d keeps whole seconds only, so the caches made during the install were
    # all stale in the guest: every Xft client (xterm -fa, xclock) rescanned
    # the fonts at boot, ~60 s under TCG. Round the directory mtimes down to
    # whole seconds, then rebuild the caches against them.
    local d
    find "$root/usr/share/fonts" "$root/usr/local/share/fonts" -type d -print0 2>/dev/null \
        | while IFS= read -r -d '' d; do touch -m -d "@$(stat -c %Y "$d")" "$d"; done
    chroot "$root" fc-cache -s -f >>"$logf" 2>&1 || die "fc-cache in the chroot failed (full log: $logf)"

    # Sanity checks: what the guest cannot do without.
    local f
    for f in usr/lib/xorg/modules/drivers/qxl_drv.so usr/lib/xorg/Xorg usr/bin/twm \
             usr/bin/spice-vdagent usr/sbin/spice-vdagentd usr/bin/xdotool usr/bin/xrandr \
             lib/systemd/systemd-udevd usr/share/icons/Adwaita/cursors/left_ptr \
             usr/share/fonts/X11/misc/fonts.dir; do
        # Resolved inside the tree (some are absolute symlinks).
        chroot "$root" test -e "/$f" || die "the base tree lacks /$f"
    done
    compgen -G "$root/boot/vmlinuz-*" >/dev/null || die "no kernel in $root/boot"
    compgen -G "$root/boot/initrd.img-*" >/dev/null || die "no initrd in $root/boot"
}
# ============================================================ end of base layer

# ============================================================ config layer
# write_config DIR: write the guest's own files into DIR (a staging tree that
# is then copied over the base tree). These files must not exist in the base.
write_config() {
    local d=$1
    # /sbin is a symlink to usr/sbin (merged /usr): write below usr/sbin.
    mkdir -p "$d/usr/sbin" "$d/etc/X11" "$d/etc/spicetest"

    # ---------------------------------------------------------------- Xorg
    cat >"$d/etc/X11/xorg.conf" <<'EOF'
# Written by Scripts/build-xguest.sh. The qxl X driver runs over the qxl KMS
# kernel driver. (UMS, i.e. modprobe.blacklist=qxl, makes Xorg 21.1.7
# segfault in xf86InitViewport.) No screen blanking, no DPMS, no VT switching.
Section "ServerFlags"
    Option "BlankTime"   "0"
    Option "StandbyTime" "0"
    Option "SuspendTime" "0"
    Option "OffTime"     "0"
    Option "DontVTSwitch" "true"
    Option "DontZap"     "true"
EndSection

Section "Device"
    Identifier "qxl"
    Driver     "qxl"
EndSection

Section "Monitor"
    Identifier "monitor"
    Option     "DPMS" "false"
EndSection

Section "Screen"
    Identifier   "screen"
    Device       "qxl"
    Monitor      "monitor"
    DefaultDepth 24
EndSection
EOF

    # ---------------------------------------------------------------- twm
    # twm's default fonts are in xfonts-75dpi, which is not installed: without
    # these lines twm exits ("unable to open fontset"). RandomPlacement: twm
    # never waits for a click to place a window.
    cat >"$d/etc/spicetest/twmrc" <<'EOF'
NoGrabServer
RandomPlacement
DecorateTransients
RestartPreviousState
TitleFont        "-misc-fixed-bold-r-normal--13-*-*-*-*-*-iso8859-1"
ResizeFont       "-misc-fixed-bold-r-normal--13-*-*-*-*-*-iso8859-1"
MenuFont         "-misc-fixed-bold-r-normal--13-*-*-*-*-*-iso8859-1"
IconFont         "-misc-fixed-medium-r-normal--13-*-*-*-*-*-iso8859-1"
IconManagerFont  "-misc-fixed-medium-r-normal--13-*-*-*-*-*-iso8859-1"
BorderWidth 2
Color
{
    BorderColor         "#3b4252"
    DefaultBackground   "#4c566a"
    DefaultForeground   "#eceff4"
    TitleBackground     "#5e81ac"
    TitleForeground     "#eceff4"
    MenuBackground      "#4c566a"
    MenuForeground      "#eceff4"
    MenuTitleBackground "#5e81ac"
    MenuTitleForeground "#eceff4"
}
Button1 = : root : f.menu "main"
Button1 = m : window|icon : f.move
Button3 = m : window|icon : f.resize
menu "main"
{
    "spicetest" f.title
    "xterm"     f.exec "exec xterm -fn fixed &"
    "refresh"   f.refresh
}
EOF

    # ---------------------------------------------------------------- static card
    cat >"$d/etc/spicetest/card.txt" <<'EOF'
SPICE X desktop test card (static)

 !"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefghij
klmnopqrstuvwxyz{|}~
#
###
#####
#######
#########
###########
0123456789 The quick brown fox jumps over the lazy dog. THE QUICK BROWN FOX
EOF

    # ---------------------------------------------------------------- PID 1
    cat >"$d/usr/sbin/spicetest-init" <<'INIT'
#!/bin/sh
# /sbin/spicetest-init — PID 1 of the SPICE X desktop test guest, written by
# Scripts/build-xguest.sh (see there for the serial protocol). Plain dash, no
# systemd. PID 1 must never exit: that would panic the kernel.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root USER=root LOGNAME=root DISPLAY=:0
umask 022
cd /

# ---- API filesystems (initramfs-tools has moved /dev, /run, /proc, /sys over)
mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys  || mount -t sysfs sysfs /sys
mountpoint -q /dev  || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mountpoint -q /dev/pts || mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mountpoint -q /dev/shm || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
mountpoint -q /run     || mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mountpoint -q /tmp     || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
mkdir -p /run/spicetest/in /run/spicetest/started /run/lock /var/log

exec </dev/null >/dev/ttyS0 2>&1
# Our lines end in LF only (the kernel's own console lines keep CRLF).
stty -F /dev/ttyS0 -onlcr 2>/dev/null
# No signal traps: the kernel never delivers a signal to PID 1 that it has no
# handler for, and ignored signals would be inherited by Xorg and the clients.

say() { echo "SPICETEST $*"; }
uptime_s() { read -r up _ </proc/uptime; echo "$up"; }
say "BOOT uptime=$(uptime_s)"

activity=full interval=1 res="" agent=1
read -r cmdline </proc/cmdline
for a in $cmdline; do
    case "$a" in
        spicetest.activity=*) activity=${a#*=} ;;
        spicetest.interval=*) interval=${a#*=} ;;
        spicetest.res=*)      res=${a#*=} ;;
        spicetest.agent=*)    agent=${a#*=} ;;
    esac
done
case "$activity" in full|light|static) ;; *) say "FAIL unknown spicetest.activity=$activity, using full"; activity=full ;; esac

# ---- root shell on ttyS1: dash reads commands from the raw, non-echoing
# serial line (no prompt: +i keeps it non-interactive). Respawned if it exits.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
(
    while :; do
        setsid dash +i </dev/ttyS1 >/dev/ttyS1 2>&1
        sleep 1
    done
) &

echo 1 >/proc/sys/kernel/printk 2>/dev/null   # kernel: emergencies only on the console

# ---- udev: loads qxl (KMS), virtio_console, usbhid, ... and lets Xorg
# hot-plug input devices (including spice-vdagent's uinput tablet).
/lib/systemd/systemd-udevd --daemon >/var/log/udevd.log 2>&1
udevadm trigger --type=subsystems --action=add
udevadm trigger --type=devices --action=add
udevadm settle --timeout=60
say "UDEV settled uptime=$(uptime_s)"
modprobe uinput 2>/dev/null

i=0
while ! [ -c /dev/dri/card0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ -c /dev/dri/card0 ]; then
    drv=$(basename "$(readlink /sys/class/drm/card0/device/driver)")
    if [ "$drv" = qxl ]; then say "QXL ok card0 driver=$drv"; else say "QXL FAIL card0 driver=$drv"; fi
else
    say "QXL FAIL no /dev/dri/card0"
fi

# ---- input echo: one reader per /dev/input/eventN, holding its fd open and
# reading whole 24-byte struct input_event records (timeval 16, type 2, code 2,
# value 4). Same two-stage design as Scripts/build-guest.sh:
#  * stage 1, a long-lived `dd bs=24`, drains the evdev buffer at once into a
#    pipe (each 24-byte write is atomic, so the pipe holds whole records);
#  * stage 2 turns what is queued (up to 100 records per read) into text with
#    one short-lived `dd | od` per chunk (od buffers its output).
reader() {
    n=$1
    exec 3<"/dev/input/$n" || exit 0
    name=""
    read -r name <"/sys/class/input/$n/device/name"
    say "INPUT $n $name"
    : >"/run/spicetest/in/$n"
    dd bs=24 <&3 2>/dev/null | while [ -c "/dev/input/$n" ]; do
        dd bs=2400 count=1 2>/dev/null | od -An -v -td4 -w24
    done | while read -r s1 s2 u1 u2 tc v; do
        t=$((tc & 65535)) c=$(((tc >> 16) & 65535))
        # Skip EV_MSC and EV_SYN, except SYN_DROPPED (code 3).
        case $t.$c in 0.3) ;; 0.*|4.*) continue ;; esac
        say "EV $n type=$t code=$c value=$v"
    done
}
# Starts readers for new event devices (hot-plugged ones too) and reports
# keyboard LED changes, every 0.5 s.
input_monitor() {
    while :; do
        for d in /dev/input/event*; do
            [ -c "$d" ] || continue
            n=${d##*/}
            [ -e "/run/spicetest/started/$n" ] && continue
            : >"/run/spicetest/started/$n"
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
        sleep 0.5
    done
}
input_monitor &

# ---- spice-vdagentd (system part of the agent): -X = no logind/ConsoleKit.
if [ -e /dev/virtio-ports/com.redhat.spice.0 ]; then
    mkdir -p /run/spice-vdagentd
    spice-vdagentd -x -X >/var/log/spice-vdagentd.log 2>&1 &
    say "AGENTD started"
else
    say "AGENTD absent (no /dev/virtio-ports/com.redhat.spice.0)"
    agent=0
fi

# ---- Xorg on the qxl driver
Xorg :0 vt7 -nolisten tcp -noreset -s 0 -config /etc/X11/xorg.conf \
    -logfile /var/log/Xorg.0.log >/var/log/Xorg.out 2>&1 &
i=0
until xset q >/dev/null 2>&1; do
    i=$((i + 1))
    if [ $i -ge 240 ]; then say "FAIL Xorg did not answer within 60 s"; break; fi
    sleep 0.25
done

xsize() { xwininfo -root 2>/dev/null | awk '/^ *Width:/ { w = $2 } /^ *Height:/ { h = $2 } END { if (w) print w "x" h }'; }
output=$(xrandr --current 2>/dev/null | awk '$2 == "connected" { print $1; exit }')
xset s off s noblank -dpms 2>/dev/null
if [ -n "$res" ] && [ -n "$output" ]; then
    xrandr --output "$output" --mode "$res" || say "FAIL xrandr --mode $res"
fi
say "X READY uptime=$(uptime_s) $(xsize) output=${output:-none}"

# ---- resize: a client's monitors-config reaches the qxl device (not the
# agent); the qxl KMS driver makes the requested size the connector's
# preferred mode (first line of .../modes) and sends a hotplug uevent. twm
# does not react to that, so apply it here. Also report every size change.
resize_loop() {
    modes=""
    for f in /sys/class/drm/card*-Virtual-*/modes; do [ -e "$f" ] && { modes=$f; break; }; done
    last="" size=""
    [ -z "$modes" ] || read -r last <"$modes"
    while :; do
        pref=""
        [ -z "$modes" ] || read -r pref <"$modes"
        if [ -n "$pref" ] && [ "$pref" != "$last" ]; then
            say "RESIZE requested=$pref"
            xrandr -q >/dev/null 2>&1          # re-probe the connector
            xrandr --output "$output" --mode "$pref" >/dev/null 2>&1 || say "FAIL xrandr --mode $pref"
            last=$pref
        fi
        cur=$(xsize)
        if [ -n "$cur" ] && [ "$cur" != "$size" ]; then say "XSIZE $cur"; size=$cur; fi
        sleep 1
    done
}
resize_loop &

# ---- session: twm, the agent, the clients
: >/var/log/xclient.log
twm -f /etc/spicetest/twmrc >/var/log/twm.log 2>&1 &
if [ "$agent" = 1 ]; then
    spice-vdagent -x >/var/log/spice-vdagent.log 2>&1 &
    say "AGENT started pid=$!"
else
    say "AGENT off"
fi

client() { "$@" >>/var/log/xclient.log 2>&1 & }
# wait_clients NAME...: wait (30 s at most) until twm manages a window of each
# client started with -name NAME, and set win_NAME (dashes as underscores) to
# its id. One `xwininfo -root -tree | awk` per try: forks are expensive under
# TCG (an `xdotool search` per window takes ~2 s, and it dies when a window
# vanishes mid-search). A top-level not yet managed is a child of the root
# (5 spaces of indentation); twm reparents it into its frame when mapping it
# (8 spaces).
wait_clients() {
    tries=0
    while :; do
        found=$(xwininfo -root -tree 2>/dev/null | awk -v names="$*" '
            BEGIN { n = split(names, want, " ") }
            match($0, /^ */) && RLENGTH >= 8 {
                for (i = 1; i <= n; i++)
                    if (!(i in got) && index($0, "(\"" want[i] "\" ")) {
                        got[i] = 1; v = want[i]; gsub(/-/, "_", v)
                        print "win_" v "=" $1
                    }
            }
            END { m = ""; for (i = 1; i <= n; i++) if (!(i in got)) m = m " " want[i]
                  print "missing=\"" m "\"" }')
        eval "$found"
        [ -z "$missing" ] && return 0
        tries=$((tries + 1))
        if [ $tries -ge 60 ]; then say "FAIL no managed window after 30 s for:$missing"; return 1; fi
        sleep 0.5
    done
}

if [ "$activity" = static ]; then
    xsetroot -solid '#336699' -cursor_name left_ptr
    rm -f /run/spicetest/card-shown
    client xterm -name spt-card -T "SPICE test card" -fn fixed -geometry 80x16+40+40 \
        -e sh -c 'printf "\033[?25l"; cat /etc/spicetest/card.txt; : >/run/spicetest/card-shown; exec sleep infinity'
    client xlogo -name spt-logo -geometry 200x200+620+80
    wait_clients spt-card spt-logo
    i=0
    while ! [ -e /run/spicetest/card-shown ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    sleep 2    # let the last draws reach the qxl device
else
    xsetroot -solid '#2e3440' -cursor_name left_ptr
    client xterm -name spt-ls -T "ls -l" -fn fixed -geometry 80x20+10+10 \
        -e sh -c "while :; do ls -l /usr/bin | head -n 60; sleep $interval; done"
    client xclock -name spt-clock -geometry 160x160+10+440 -update 1
    if [ "$activity" = full ]; then
        client xterm -name spt-top -T top -fa 'DejaVu Sans Mono' -fs 9 -geometry 64x18+520+10 -e top -d 2
        client xclock -name spt-dclock -digital -geometry +200+440 -update 1
        client xeyes -name spt-eyes -geometry 150x100+200+520
        client xlogo -name spt-logo -render -geometry 150x150+560+440
    fi
    if [ "$activity" = full ]; then
        wait_clients spt-ls spt-clock spt-top spt-dclock spt-eyes spt-logo
    else
        wait_clients spt-ls spt-clock
    fi
    sleep 1    # first draws
fi
logo=${win_spt_logo-} dclock=${win_spt_dclock-}

(
    sleep 5
    for f in /var/log/twm.log /var/log/spice-vdagent.log /var/log/spice-vdagentd.log /var/log/xclient.log; do
        [ -s "$f" ] || continue
        tail -n 5 "$f" | while IFS= read -r l; do say "LOG ${f##*/}: $l"; done
    done
) &

say "DESKTOP READY uptime=$(uptime_s) activity=$activity $(xsize)"

if [ "$activity" = static ]; then
    while :; do sleep 3600; done
fi

# ---- activity loop
set -- '#2e3440' '#4c566a' '#5e81ac' '#88c0d0' '#a3be8c' '#ebcb8b' '#d08770' '#bf616a'
colours="$*"
cursors="left_ptr watch xterm hand2 crosshair fleur question_arrow sb_h_double_arrow pencil top_left_corner"
n=0
while :; do
    n=$((n + 1))
    set -- $colours; shift $((n % $#)); colour=$1
    set -- $cursors; shift $((n % $#)); cursor=$1
    if [ $((n % 2)) -eq 0 ]; then theme=core; else theme=Adwaita; fi
    if [ $((n % 4)) -eq 0 ] && [ "$activity" = full ]; then
        XCURSOR_THEME=$theme xsetroot -mod 8 8 -fg "$colour" -bg '#20242c' -cursor_name "$cursor"
        what="root-pattern $colour"
    else
        XCURSOR_THEME=$theme xsetroot -solid "$colour" -cursor_name "$cursor"
        what="root $colour"
    fi
    if [ "$activity" = full ]; then
        if [ -n "$logo" ]; then
            x=$((560 + (n % 5) * 60)) y=$((430 + (n % 3) * 50))
            xdotool windowmove "$logo" "$x" "$y" && what="$what move=$x,$y"
        fi
        if [ -n "$dclock" ] && [ $((n % 3)) -eq 0 ]; then
            w=$((160 + (n % 2) * 80))
            xdotool windowsize "$dclock" "$w" 40 && what="$what size=${w}x40"
        fi
        if [ $((n % 5)) -eq 0 ]; then
            client xmessage -name spt-msg -geometry +380+300 -timeout 2 "SPICE test step $n"
            what="$what xmessage"
        fi
        xdotool mousemove $((300 + (n % 7) * 60)) $((300 + (n % 4) * 50)) && what="$what warp"
    fi
    say "ACT $n $what cursor=$cursor theme=$theme"
    sleep "$interval"
done
INIT
    chmod 755 "$d/usr/sbin/spicetest-init"
}
# ============================================================ end of config layer

# ------------------------------------------------------------ preconditions

[[ $(id -u) -eq 0 ]] || die "building the X guest needs root (debootstrap, chroot, mount): run as root"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found: run Scripts/install-deps.sh"
command -v mkfs.ext4 >/dev/null 2>&1 || die "mkfs.ext4 not found: run Scripts/install-deps.sh (e2fsprogs)"

mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

script_hash=$(sha256sum "$SELF" | cut -d' ' -f1)
base_key=$({ printf '%s\n' "$SUITE" "${PACKAGES[*]}" "${INITRD_MODULES[*]}"
             declare -f dpkg_filters chroot_mount chroot_umount build_base; } | sha256sum | cut -d' ' -f1)
want_key="base=$base_key script=$script_hash"

print_result() {
    printf 'IMAGE=%q\nKERNEL=%q\nINITRD=%q\nKVER=%q\n' "$cache/xguest.ext4" "$cache/vmlinuz" \
        "$cache/initrd.img" "$(cat "$cache/kver")"
}

outputs_present() {
    [[ -s "$cache/xguest.ext4" && -s "$cache/vmlinuz" && -s "$cache/initrd.img" && -s "$cache/kver" ]]
}
cache_is_current() {
    outputs_present && [[ -s "$cache/build.stamp" && "$(head -n 1 "$cache/build.stamp")" == "$want_key" ]]
}
base_is_current() {
    [[ -d "$cache/rootfs" && -s "$cache/base.stamp" && "$(head -n 1 "$cache/base.stamp")" == "$base_key" \
       && -s "$cache/vmlinuz" && -s "$cache/initrd.img" && -s "$cache/kver" ]]
}

if ((force == 0)) && cache_is_current; then
    log "X guest is up to date in $cache (kernel $(cat "$cache/kver"))"
    print_result
    exit 0
fi

# Only one build per cache at a time (tests may start several QEMUs at once).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
    if ((force == 0)) && cache_is_current; then
        log "X guest was built meanwhile in $cache"
        print_result
        exit 0
    fi
fi

work=$(mktemp -d "$cache/.build.XXXXXX")
mounted_root=""
cleanup() {
    chroot_umount "$mounted_root"
    # A failed install leaves the downloaded .debs in the tree: keep them.
    if [[ -n "$work" && -d "$work/rootfs/var/cache/apt/archives" ]]; then
        find "$work/rootfs/var/cache/apt/archives" -maxdepth 1 -name '*.deb' \
            -exec mv -f -t "$cache/debs/" {} + 2>/dev/null || true
    fi
    # --one-file-system: never descend into a mount that is still there.
    [[ -z "$work" ]] || rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
buildlog="$cache/build.log"
: >"$buildlog"

# ------------------------------------------------------------ base layer

if ((force == 1)) || ! base_is_current; then
    t=$(now_ms)
    rm -f "$cache/build.stamp" "$cache/base.stamp"
    build_base "$work/rootfs" "$cache/debs" "$buildlog"
    kernels=("$work"/rootfs/boot/vmlinuz-*)
    ((${#kernels[@]} == 1)) || die "expected one kernel in the base tree, found ${#kernels[@]}"
    kver=${kernels[0]##*/vmlinuz-}
    [[ -s "$work/rootfs/boot/initrd.img-$kver" ]] || die "no initrd.img-$kver in the base tree"
    [[ -s "$work/rootfs/lib/modules/$kver/modules.dep" ]] || die "no modules.dep for $kver"
    rm -rf --one-file-system "$cache/rootfs"
    mv "$work/rootfs" "$cache/rootfs"
    rm -f "$cache/config.manifest"
    cp "$cache/rootfs/boot/vmlinuz-$kver" "$cache/vmlinuz.tmp" && mv -f "$cache/vmlinuz.tmp" "$cache/vmlinuz"
    cp "$cache/rootfs/boot/initrd.img-$kver" "$cache/initrd.tmp" && mv -f "$cache/initrd.tmp" "$cache/initrd.img"
    echo "$kver" >"$cache/kver"
    printf '%s\nkernel=%s built=%s\n' "$base_key" "$kver" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$cache/base.stamp"
    log "base layer built in $(( $(now_ms) - t )) ms: kernel $kver," \
        "$(chroot "$cache/rootfs" dpkg-query -W -f='.\n' | wc -l) packages, $(du -sxh "$cache/rootfs" | cut -f1)"
else
    log "base layer is current (kernel $(cat "$cache/kver")); rebuilding the config layer"
fi

# ------------------------------------------------------------ config layer

t=$(now_ms)
root="$cache/rootfs"
rm -f "$cache/build.stamp"
stage="$work/config"
mkdir -p "$stage"
write_config "$stage"
new_files=$(cd "$stage" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
old_files=""
[[ ! -s "$cache/config.manifest" ]] || old_files=$(cat "$cache/config.manifest")
# The config layer only adds files: overwriting a base file would lose it for
# good when a later config layer no longer writes it.
while IFS= read -r f; do
    [[ -n "$f" ]] || continue
    if [[ -e "$root/$f" || -L "$root/$f" ]] && ! grep -qxF -- "$f" <<<"$old_files"; then
        die "config file /$f would overwrite a file of the base layer"
    fi
done <<<"$new_files"
# Record old+new first, so that an interrupted run still knows what to remove.
printf '%s\n%s\n' "$old_files" "$new_files" | sed '/^$/d' | LC_ALL=C sort -u >"$cache/config.manifest"
while IFS= read -r f; do
    [[ -z "$f" ]] || rm -f "$root/$f"
done <<<"$old_files"
cp -a "$stage/." "$root/"
printf '%s\n' "$new_files" >"$cache/config.manifest"

# ------------------------------------------------------------ ext4 image

# Size: tree + 25 % + 64 MB; inodes: files + 50 % + 4096. The file starts as
# a sparse run of zeros, so mkfs need not wipe inode tables
# (assume_storage_prezeroed; the guest then runs no lazy-init thread either).
# No journal: the disk is always used with snapshot=on.
tree_kb=$(du -sxk "$root" | cut -f1)
nfiles=$(find "$root" -xdev | wc -l)
size_mb=$((tree_kb * 125 / 100 / 1024 + 64))
img_tmp="$work/xguest.ext4"
truncate -s "${size_mb}M" "$img_tmp"
mkfs.ext4 -q -F -L spicetest -O ^has_journal -m 0 -N $((nfiles * 3 / 2 + 4096)) \
    -E assume_storage_prezeroed=1,root_owner=0:0 -d "$root" "$img_tmp" >>"$buildlog" 2>&1 \
    || { tail -n 20 "$buildlog" >&2; die "mkfs.ext4 -d failed (full log: $buildlog)"; }
mv -f "$img_tmp" "$cache/xguest.ext4"
printf '%s\nkernel=%s built=%s\n' "$want_key" "$(cat "$cache/kver")" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$cache/build.stamp"
log "config layer + image in $(( $(now_ms) - t )) ms: tree $((tree_kb / 1024)) MB, $nfiles files," \
    "image ${size_mb} MiB apparent, $(du -h "$cache/xguest.ext4" | cut -f1) allocated"

cleanup
work=""
log "X guest ready in $(( $(now_ms) - T0 )) ms: kernel $(cat "$cache/kver")," \
    "vmlinuz $(du -h "$cache/vmlinuz" | cut -f1), initrd $(du -h "$cache/initrd.img" | cut -f1)," \
    "cache $(du -sh "$cache" | cut -f1) in $cache"
print_result
