#!/usr/bin/env bash
# qemu-spice.sh — start/stop a real SPICE server (QEMU + libspice-server) on
# 127.0.0.1 for integration tests of the client core.
#
# Guests (--guest):
#  * none (default): no disk; SeaBIOS shows its "No bootable device" text screen
#    (720x400, VGA mode on the qxl device), which is enough to exercise the main,
#    display, cursor, inputs and (with AC97) playback/record channels.
#  * linux / linux-static: Debian's kernel + a busybox initramfs built (and
#    cached) by Scripts/build-guest.sh. It draws on the qxl KMS framebuffer
#    console (1024x768): moving text, or a fixed test card that never changes
#    (the exact-compare target). It echoes every input event it receives, and
#    keyboard LED changes, to the serial log as "SPICETEST ..." lines (the
#    protocol is described at the top of build-guest.sh).
#  * xdesktop / xdesktop-light / xdesktop-static: a Debian bookworm X11 desktop
#    (Xorg on the QXL X driver, twm, X clients, spice-vdagent) built (and
#    cached) by Scripts/build-xguest.sh, booted from a virtio disk with
#    snapshot=on. It sends DRAW_FILL/DRAW_COPY/COPY_BITS, FROM_CACHE images,
#    ALPHA cursors; the agent gives clipboard and resize. It has a root shell
#    on its second serial port (the guest-shell subcommand) and echoes input
#    events to the serial log like the linux guest.
# QEMU runs under TCG (no KVM on the CI machines). See
# shared/reference/qemu-spice-server-notes.md for the measured behaviour.
#
# Design notes (why things are done this way):
#  * Port probing reads /proc/net/tcp{,6} instead of connecting: a bare TCP
#    connect to a SPICE port makes spice-server log warnings into qemu.log.
#  * QEMU is started with setsid in the background (not with -daemonize):
#    -daemonize points stderr at /dev/null after start-up, and we want
#    spice-server's runtime warnings (bad client messages, auth failures) in
#    RUNDIR/qemu.log. setsid also detaches it from the caller's terminal so a
#    Ctrl-C there does not kill the server.
#  * The password goes through a secret file (-object secret), never the
#    command line, and is never printed.
#  * stdout carries only KEY=VALUE lines so callers can `eval` it; all
#    diagnostics go to stderr.
set -euo pipefail

PROG=qemu-spice.sh
QEMU=${QEMU:-qemu-system-x86_64}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

READY_TIMEOUT_S=20        # max wait for the SPICE port to be listening
POLL_S=0.05               # readiness polling interval (50 ms)
STOP_GRACE_S=5            # SIGTERM grace period before SIGKILL
MAX_PORT_RETRIES=3        # extra attempts when a randomly picked port is taken
PORT_MIN=20000
PORT_MAX=39999

usage() {
    cat <<EOF
Usage:
  $PROG start [--port N] [--password PW | --password-file F] [--no-audio]
              [--compression MODE] [--jpeg-wan MODE] [--rundir DIR]
              [--playback-compression on|off]
              [--guest none|linux|linux-static|xdesktop|xdesktop-light|xdesktop-static]
              [--no-tablet] [--no-agent]
              [--tls-dir DIR [--tls-port N] [--tls-channel default|main|display|...]]
              [--wait-ready SECONDS] [--guest-append 'K=V ...']
              [-- EXTRA QEMU ARGS...]
  $PROG stop PID
  $PROG qmp SOCKET JSON
  $PROG screendump SOCKET FILE
  $PROG guest-shell [--timeout S] SOCKET 'COMMAND'
  $PROG --help

start   Start QEMU with a SPICE server bound to 127.0.0.1 only, wait until the
        port is listening, then print (stdout, shell-sourceable):
            PID=<qemu pid>
            PORT=<spice port>
            RUNDIR=<run directory>
            QMP=<RUNDIR>/qmp.sock
            SERIAL=<RUNDIR>/serial.log
            TLS_PORT=<spice tls port>              (with --tls-dir only)
            SHELL=<RUNDIR>/guest-shell.sock        (xdesktop guests only;
            GUEST_SHELL=<RUNDIR>/guest-shell.sock   the same path under a name
                                                   that does not clobber \$SHELL
                                                   when the output is eval'ed)
        e.g.  eval "\$($PROG start)"
  --port N            SPICE port (default: random free port in $PORT_MIN-$PORT_MAX;
                      retried up to $MAX_PORT_RETRIES times if another process grabs it)
  --password PW       require this SPICE password (prefer --password-file:
                      a command-line argument is visible in ps)
  --password-file F   read the password from the first line of file F
  --no-audio          no AC97 sound card, so no playback/record channels
  --playback-compression on|off
                      spice playback-compression: on sends Opus to clients
                      with the OPUS cap, off always raw PCM (QEMU default: on)
  --compression MODE  spice image-compression: off|quic|lz|glz|auto_lz|auto_glz
                      (QEMU 7.2 rejects lz4; QEMU validates the value)
  --jpeg-wan MODE     spice jpeg-wan-compression: auto|never|always; with
                      always (and an auto_glz/auto_lz image compression, the
                      default) photo-like images are sent as lossy JPEG even
                      on loopback
  --rundir DIR        directory for qmp.sock, qemu.pid, qemu.log, serial.log,
                      spice-password (default: a new mktemp -d directory)
  --guest none        (default) no disk: SeaBIOS text screen, 720x400
  --guest linux       Linux qxl KMS console (1024x768) writing "tick N" lines
                      every 0.5 s; input events and keyboard LED changes are
                      echoed to SERIAL. The guest is built on first use by
                      Scripts/build-guest.sh into \${SPICE_GUEST_CACHE:-~/.cache/spice-test-guest}
                      (downloads the kernel .deb with apt-get, ~70 MB; ~12 s).
  --guest linux-static  same guest showing a fixed test card, cursor hidden:
                      the screen never changes (exact screenshot compares)
  --guest xdesktop    X11 desktop (1024x768) on the QXL X driver, twm and
                      busy clients (scrolling xterms, clocks, moving window,
                      root colour and cursor shape cycling). -m 1024, the
                      image from Scripts/build-xguest.sh (cached in
                      \${SPICE_XGUEST_CACHE:-~/.cache/spice-test-xguest}; first
                      build needs root and the Debian mirror, ~1-2 min, ~190 MB
                      download) on a virtio disk with snapshot=on (never
                      modified; several QEMUs can share it), spice-vdagent over
                      virtio-serial, and a root shell on the second serial port
                      (see guest-shell). Boot to DESKTOP READY under TCG:
                      ~25 s on an idle 2-core machine, 35-50 s when busy.
  --guest xdesktop-light   same desktop with fewer clients and changes
  --guest xdesktop-static  fixed xterm test card + xlogo: nothing changes
                      unless input arrives (exact screenshot compares)
  --tls-dir DIR       also listen for TLS (tls-port=N,x509-dir=DIR): DIR holds
                      ca-cert.pem, server-cert.pem and server-key.pem (QEMU's
                      names). The plain port stays open unless a channel is
                      required to be secure.
  --tls-port N        the TLS port (default: another random free port)
  --tls-channel NAME  require TLS on this channel (repeatable): default (every
                      channel), main, display, inputs, cursor, playback,
                      record, ... A plain link to it is answered NEED_SECURED.
  --no-tablet         no USB tablet (-usb -device usb-tablet dropped): the
                      server offers only server mouse mode (relative, PS/2)
  --no-agent          xdesktop guests: no virtio-serial/spicevmc agent port
                      (with --no-tablet: server mouse mode in X)
  --wait-ready S      linux guests: wait (at most S seconds from QEMU start)
                      until the guest prints "SPICETEST READY" on SERIAL, i.e.
                      console drawn and all input devices watched; xdesktop
                      guests: until "SPICETEST DESKTOP READY" (X up, clients
                      mapped, activity running). On timeout print the tail of
                      SERIAL, stop QEMU and exit 1. Ignored for --guest none.
  --guest-append STR  extra guest kernel parameters, e.g. 'spicetest.audio=1'
                      (AC97 tone every 5 s) or 'spicetest.interval=2';
                      xdesktop: 'spicetest.interval=S', 'spicetest.res=WxH',
                      'spicetest.agent=0' (see Scripts/build-xguest.sh)
  -- ARGS...          appended verbatim to the QEMU command line

stop    SIGTERM the QEMU process PID, wait up to ${STOP_GRACE_S}s, then SIGKILL.
        Succeeds silently if PID is already gone; refuses (exit 2) if PID is
        not a qemu-system process.

qmp     Send {"execute":"qmp_capabilities"} and then JSON over the QMP unix
        socket; print the reply line. Exit 1 if QEMU answers with an error.
        e.g.  $PROG qmp "\$QMP" '{"execute":"query-spice"}'

screendump  Save the guest screen as seen by QEMU to FILE with QMP screendump:
        binary PPM (P6), or PNG if FILE ends in .png. QEMU writes a temporary
        file next to FILE; it is renamed to FILE only once complete, so FILE
        never holds a partial image. Prints nothing on success.
        e.g.  $PROG screendump "\$QMP" /tmp/screen.ppm

guest-shell  xdesktop guests: run COMMAND (sh syntax, may span lines) in the
        guest's root shell on its second serial port and print its output
        (stdout and stderr together). Exit status: the command's, or 124 if no
        end marker came within --timeout seconds (default 30). One command at
        a time per guest; stdin is /dev/null, so background or bound
        (timeout N ...) anything that waits, e.g. 'xclip -i'. DISPLAY=:0 is set.
        e.g.  $PROG guest-shell "\$SHELL" 'xrandr | head -3'

Environment: QEMU=/path/to/qemu-system-x86_64 overrides the QEMU binary;
             SPICE_GUEST_CACHE=DIR is where the linux guest is built/cached;
             SPICE_XGUEST_CACHE=DIR is where the X desktop guest is built/cached.
Exit codes: 0 ok, 1 failure (QEMU did not start / could not be stopped),
            2 usage error or refused stop.
EOF
}

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
# die MESSAGE [EXIT_CODE]: exit code 2 = usage error / refused, 1 = failure.
die() { printf '%s: ERROR: %s\n' "$PROG" "$1" >&2; exit "${2:-1}"; }

# ---------------------------------------------------------------- /proc helpers

# State letter of a process (R, S, Z, ...) or empty if it does not exist.
# Parsed after the last ')' because comm, field 2, may contain spaces.
proc_state() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
    stat=${stat##*) }
    printf '%s' "${stat%% *}"
}

# A zombie has exited already; it only waits for its parent to reap it.
proc_alive() {
    local s
    s=$(proc_state "$1")
    [[ -n "$s" && "$s" != Z && "$s" != X ]]
}

# Is any TCP socket (v4 or v6, any state) using local port $1? Used when
# picking a port, so a port with lingering connections is avoided as well.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'FNR > 1 && substr($2, length($2) - 4) == p { found = 1; exit }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Is anything LISTENing (state 0A) on port $1, on any local address?
port_listened_on() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { found = 1; exit }
                      END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Is 127.0.0.1:$1 in LISTEN state, on a socket owned by process $2?
# /proc/net/tcp prints the IPv4 address as little-endian hex (127.0.0.1 is
# 0100007F) and the socket inode in column 10; the owner is the process with
# an fd pointing at socket:[inode]. The ownership check matters when someone
# else already listens on the port: then it is not *our* server that is ready.
port_listening_by() {
    local hex inode fd
    hex=$(printf '%04X' "$1")
    inode=$(awk -v a="0100007F:$hex" 'FNR > 1 && $2 == a && $4 == "0A" { print $10; exit }' /proc/net/tcp)
    [[ -n "$inode" ]] || return 1
    for fd in "/proc/$2/fd/"*; do
        [[ "$(readlink "$fd" 2>/dev/null)" == "socket:[$inode]" ]] && return 0
    done
    return 1
}

pick_port() {
    local i port
    for ((i = 0; i < 200; i++)); do
        # SRANDOM (bash >= 5.1) is better spread than RANDOM (15 bits).
        port=$((PORT_MIN + ${SRANDOM:-$RANDOM} % (PORT_MAX - PORT_MIN + 1)))
        port_in_use "$port" || { printf '%s' "$port"; return 0; }
    done
    die "no free TCP port found in $PORT_MIN-$PORT_MAX"
}

# Decimal digits only (10# so that "08" is not read as octal), 1..65535.
valid_port() { [[ "$1" =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); }

# Float seconds since the epoch -> integer milliseconds.
now_ms() {
    local t=${EPOCHREALTIME/,/.}     # some locales use a decimal comma
    printf '%s' $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}

# ---------------------------------------------------------------- stop

# SIGTERM, wait, SIGKILL. Returns 0 once the process is gone (or a zombie).
terminate() {
    local pid=$1 deadline
    proc_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + STOP_GRACE_S * 1000))
    while proc_alive "$pid" && (($(now_ms) < deadline)); do sleep "$POLL_S"; done
    if proc_alive "$pid"; then
        log "PID $pid did not exit after SIGTERM within ${STOP_GRACE_S}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        deadline=$(($(now_ms) + 2000))
        while proc_alive "$pid" && (($(now_ms) < deadline)); do sleep "$POLL_S"; done
    fi
    ! proc_alive "$pid"
}

is_qemu_process() {
    local pid=$1 comm argv0
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [[ "$comm" == qemu-system* ]] && return 0
    # comm is cut to 15 characters and can be changed by the process, so also
    # look at argv[0] (first NUL-terminated field of cmdline).
    argv0=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | head -n 1) || return 1
    [[ "${argv0##*/}" == qemu-system* ]]
}

cmd_stop() {
    (($# == 1)) || die "usage: $PROG stop PID" 2
    local pid=$1
    [[ "$pid" =~ ^[1-9][0-9]*$ ]] || die "not a PID: '$pid'" 2
    proc_alive "$pid" || return 0                    # already gone: fine
    is_qemu_process "$pid" || die "PID $pid is not a qemu-system process; refusing to kill it" 2
    terminate "$pid" || die "PID $pid is still alive after SIGKILL"
}

# ---------------------------------------------------------------- qmp

# QMP needs a unix-socket client. perl-base is Essential on Debian (always
# installed) and ships IO::Socket::UNIX, so this needs neither python nor socat.
cmd_qmp() {
    (($# == 2)) || die "usage: $PROG qmp SOCKET JSON" 2
    [[ -S "$1" ]] || die "not a unix socket: $1" 2
    perl -MIO::Socket::UNIX -e '
        use strict; use warnings;
        my ($path, $cmd) = @ARGV;
        $SIG{ALRM} = sub { die "timeout waiting for QMP\n" };
        # A TCG guest busy on its vCPU can keep QEMU from answering for a while on a loaded machine.
        alarm($ENV{QMP_TIMEOUT} || 30);
        my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
            or die "connect $path: $!\n";
        # Read lines until a reply ("return" or "error"); skip asynchronous
        # events and, the first time, the {"QMP": ...} greeting.
        sub reply {
            while (defined(my $l = <$s>)) {
                return $l if $l =~ /^\{\s*"(return|error)"/;
            }
            die "QMP connection closed\n";
        }
        my $greeting = <$s>;
        defined $greeting && $greeting =~ /"QMP"/ or die "no QMP greeting\n";
        print $s "{\"execute\":\"qmp_capabilities\"}\n";
        my $r = reply();
        $r =~ /^\{\s*"return"/ or die "qmp_capabilities failed: $r";
        $cmd =~ s/\s+\z//;
        print $s "$cmd\n";
        $r = reply();
        print $r;
        exit($r =~ /^\{\s*"error"/ ? 1 : 0);
    ' "$1" "$2"
}

# ---------------------------------------------------------------- screendump

# ppm_complete FILE: a whole binary PPM as QEMU writes it ("P6\nW H\n255\n" + W*H*3).
ppm_complete() {
    local f=$1 magic dims maxval size w h
    { IFS= read -r magic && IFS= read -r dims && IFS= read -r maxval; } <"$f" 2>/dev/null || return 1
    [[ "$magic" == P6 && "$dims" =~ ^([0-9]+)\ ([0-9]+)$ && "$maxval" == 255 ]] || return 1
    w=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]}
    size=$(stat -c %s "$f" 2>/dev/null) || return 1
    ((size == ${#magic} + ${#dims} + ${#maxval} + 3 + w * h * 3))
}

# png_complete FILE: ends with the IEND chunk.
png_complete() {
    [[ "$(tail -c 8 "$1" 2>/dev/null | head -c 4)" == IEND ]]
}

cmd_screendump() {
    (($# == 2)) || die "usage: $PROG screendump SOCKET FILE" 2
    local sock=$1 file=$2 dir base tmp format=ppm json reply path_json deadline
    [[ -S "$sock" ]] || die "not a unix socket: $sock" 2
    [[ "$file" != *$'\n'* && -n "$file" ]] || die "invalid file name" 2
    dir=$(dirname -- "$file")
    base=$(basename -- "$file")
    dir=$(cd "$dir" 2>/dev/null && pwd -P) || die "directory of $file does not exist" 2
    case "$base" in *.png|*.PNG) format=png ;; esac
    # QEMU resolves relative names against its own working directory, so give
    # it an absolute one; same directory as FILE so that the rename is atomic.
    tmp="$dir/.$base.screendump.$$"
    path_json=${tmp//\\/\\\\}
    path_json=${path_json//\"/\\\"}
    json="{\"execute\":\"screendump\",\"arguments\":{\"filename\":\"$path_json\""
    [[ "$format" == ppm ]] || json+=",\"format\":\"png\""
    json+="}}"
    rm -f "$tmp"
    if ! reply=$(cmd_qmp "$sock" "$json"); then
        rm -f "$tmp"
        die "QMP screendump failed: ${reply:-no reply}"
    fi
    # QEMU answers after writing, but do not rely on it: wait for a whole file.
    deadline=$(($(now_ms) + ${QMP_TIMEOUT:-30} * 1000))
    until { [[ "$format" == ppm ]] && ppm_complete "$tmp"; } || { [[ "$format" == png ]] && png_complete "$tmp"; }; do
        if (($(now_ms) >= deadline)); then
            rm -f "$tmp"
            die "screendump file $tmp incomplete after ${QMP_TIMEOUT:-30} s"
        fi
        sleep "$POLL_S"
    done
    mv -f "$tmp" "$dir/$base"
}

# ---------------------------------------------------------------- guest-shell

# The X desktop guest runs a root dash on ttyS1, reading the raw, non-echoing
# serial line (no prompt). QEMU connects ttyS1 to RUNDIR/guest-shell.sock.
# Framing: the command goes into a file through a quoted here-document (so
# its quoting and syntax errors stay inside a child sh, and nothing can make
# the guest shell wait for more input), then begin/end markers carrying a
# random token are printed around its run. The markers are printed with
# printf '%s_%s', so their text never appears literally in what is sent: an
# echoing tty could not fake them, and stale output of an earlier command that
# timed out (different token) is skipped.
cmd_guest_shell() {
    local timeout=30
    while (($#)); do
        case "$1" in
            --timeout) (($# >= 2)) || die "--timeout needs a value" 2
                       [[ "$2" =~ ^[0-9]+$ ]] && ((10#$2 > 0)) || die "--timeout needs whole seconds > 0, not '$2'" 2
                       timeout=$((10#$2)); shift 2 ;;
            --)        shift; break ;;
            -*)        die "unknown guest-shell option: '$1'" 2 ;;
            *)         break ;;
        esac
    done
    (($# == 2)) || die "usage: $PROG guest-shell [--timeout S] SOCKET 'COMMAND'" 2
    [[ -S "$1" ]] || die "not a unix socket: $1" 2
    perl -MIO::Socket::UNIX -e '
        use strict; use warnings;
        my ($path, $cmd, $timeout) = @ARGV;
        my $token = sprintf("%d%06x%06x", $$, time() & 0xffffff, int(rand(0x1000000)));
        $SIG{ALRM} = sub { die "TIMEOUT\n" };
        my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $path)
            or die "connect $path: $!\n";
        $cmd .= "\n" unless $cmd =~ /\n\z/;
        my $file = "/tmp/.spicetest-cmd.$token";
        my $send = "\n"
            . "cat >$file <<\x27__SPT_EOF_$token\x27\n${cmd}__SPT_EOF_$token\n"
            . "printf \x27%s_%s\\n\x27 __SPT_BEGIN $token; "
            . "sh $file </dev/null 2>&1; "
            . "printf \x27\\n%s_%s_rc=%s\\n\x27 __SPT_END $token \$?; rm -f $file\n";
        my ($buf, $rc, $out) = ("", undef, undef);
        eval {
            alarm $timeout;
            $s->autoflush(1);
            print $s $send or die "write $path: $!\n";
            while (1) {
                my $n = sysread($s, $buf, 65536, length $buf);
                die "the guest shell socket closed\n" unless $n;
                if ($buf =~ /__SPT_BEGIN_\Q$token\E\n(.*?)\n__SPT_END_\Q$token\E_rc=(\d+)\n/s) {
                    ($out, $rc) = ($1, $2);
                    last;
                }
            }
            alarm 0;
        };
        if ($@) {
            alarm 0;
            # Show what the command printed so far, if it started at all.
            if ($buf =~ /__SPT_BEGIN_\Q$token\E\n(.*)\z/s) { print $1; }
            if ($@ eq "TIMEOUT\n") {
                print STDERR "qemu-spice.sh: guest-shell: no end marker within ${timeout}s (command still running,"
                    . " guest not booted yet, or another guest-shell is connected)\n";
                exit 124;
            }
            die $@;
        }
        print $out;
        exit($rc > 255 ? 255 : $rc);
    ' "$1" "$2" "$timeout"
}

# ---------------------------------------------------------------- start

show_log_tail() {
    local f=$1
    if [[ -s "$f" ]]; then
        log "last lines of $f:"
        tail -n 20 "$f" | sed 's/^/    /' >&2
    else
        log "$f is empty"
    fi
}

cmd_start() {
    local port="" password="" password_file="" have_password=0 audio=1
    local compression="" jpeg_wan="" rundir="" guest=none tablet=1 agent=1 wait_ready="" guest_append=""
    local playback_compression=""
    local tls_dir="" tls_port=""
    local -a extra=() tls_channels=()

    while (($#)); do
        case "$1" in
            --port)          (($# >= 2)) || die "--port needs a value" 2
                             valid_port "$2" || die "invalid port: '$2'" 2
                             port=$((10#$2)); shift 2 ;;
            --password)      (($# >= 2)) || die "--password needs a value" 2
                             password=$2; have_password=1; shift 2 ;;
            --password-file) (($# >= 2)) || die "--password-file needs a value" 2
                             password_file=$2; shift 2 ;;
            --no-audio)      audio=0; shift ;;
            --compression)   (($# >= 2)) || die "--compression needs a value" 2
                             compression=$2; shift 2 ;;
            --jpeg-wan)      (($# >= 2)) || die "--jpeg-wan needs a value" 2
                             jpeg_wan=$2; shift 2 ;;
            --playback-compression)
                             (($# >= 2)) || die "--playback-compression needs a value" 2
                             [[ "$2" == on || "$2" == off ]] || die "invalid --playback-compression '$2' (on or off)" 2
                             playback_compression=$2; shift 2 ;;
            --rundir)        (($# >= 2)) || die "--rundir needs a value" 2
                             rundir=$2; shift 2 ;;
            --guest)         (($# >= 2)) || die "--guest needs a value" 2
                             guest=$2; shift 2 ;;
            --tls-dir)       (($# >= 2)) || die "--tls-dir needs a value" 2
                             tls_dir=$2; shift 2 ;;
            --tls-port)      (($# >= 2)) || die "--tls-port needs a value" 2
                             valid_port "$2" || die "invalid TLS port: '$2'" 2
                             tls_port=$((10#$2)); shift 2 ;;
            --tls-channel)   (($# >= 2)) || die "--tls-channel needs a value" 2
                             [[ "$2" =~ ^[a-z]+$ ]] || die "invalid --tls-channel '$2'" 2
                             tls_channels+=("$2"); shift 2 ;;
            --no-tablet)     tablet=0; shift ;;
            --no-agent)      agent=0; shift ;;
            --wait-ready)    (($# >= 2)) || die "--wait-ready needs a value" 2
                             [[ "$2" =~ ^[0-9]+$ ]] && ((10#$2 > 0)) \
                                 || die "--wait-ready needs a whole number of seconds > 0, not '$2'" 2
                             wait_ready=$((10#$2)); shift 2 ;;
            --guest-append)  (($# >= 2)) || die "--guest-append needs a value" 2
                             guest_append=$2; shift 2 ;;
            --)              shift; extra=("$@"); break ;;
            -h|--help)       usage; exit 0 ;;
            *)               die "unknown start option: '$1' (see --help)" 2 ;;
        esac
    done

    local xdesktop=0
    case "$guest" in
        none|linux|linux-static) ;;
        xdesktop|xdesktop-light|xdesktop-static) xdesktop=1 ;;
        *) die "unsupported --guest '$guest' (none, linux, linux-static, xdesktop, xdesktop-light or xdesktop-static)" 2 ;;
    esac
    ((agent == 1 || xdesktop == 1)) || die "--no-agent needs an xdesktop guest (the others have no agent port)" 2
    if [[ "$guest" == none ]]; then
        [[ -z "$guest_append" ]] || die "--guest-append needs a linux or xdesktop guest" 2
        [[ -z "$wait_ready" ]] || log "--wait-ready ignored: --guest none has no READY marker"
        wait_ready=""
    fi
    [[ "$guest_append" != *$'\n'* ]] || die "--guest-append must be a single line" 2
    if [[ -n "$password_file" ]]; then
        ((have_password == 0)) || die "use either --password or --password-file, not both" 2
        [[ -r "$password_file" ]] || die "cannot read password file: $password_file" 2
        # First line only, without CR/LF: QEMU's secret object uses the file
        # contents verbatim, so a trailing newline would become part of it.
        IFS= read -r password <"$password_file" || true
        password=${password%$'\r'}
        have_password=1
    fi
    ((have_password == 0)) || [[ -n "$password" ]] || die "the SPICE password must not be empty" 2
    # The value goes inside QEMU's comma-separated -spice option, where a comma
    # would start a new option; QEMU itself validates the mode name.
    if [[ -n "$compression" && ! "$compression" =~ ^[A-Za-z0-9_-]+$ ]]; then
        die "invalid --compression value '$compression'" 2
    fi
    case "$jpeg_wan" in
        ""|auto|never|always) ;;
        *) die "invalid --jpeg-wan value '$jpeg_wan' (auto, never or always)" 2 ;;
    esac
    if [[ -n "$tls_dir" ]]; then
        local f
        for f in ca-cert.pem server-cert.pem server-key.pem; do
            [[ -r "$tls_dir/$f" ]] || die "--tls-dir $tls_dir has no readable $f" 2
        done
        tls_dir=$(cd "$tls_dir" && pwd -P)
        case "$tls_dir" in *,*) die "--tls-dir path must not contain a comma (QEMU option syntax)" 2 ;; esac
    elif [[ -n "$tls_port" || ${#tls_channels[@]} -gt 0 ]]; then
        die "--tls-port and --tls-channel need --tls-dir" 2
    fi
    command -v "$QEMU" >/dev/null 2>&1 || die "$QEMU not found (run Scripts/install-deps.sh)"

    # Linux guest: build it, or reuse the cached build (< 1 s). Its output is
    # KERNEL=/INITRD=/KVER= lines; its diagnostics go to our stderr.
    local -a guest_args=()
    local memory=256 ready_marker="SPICETEST READY" shell_sock=""
    if ((xdesktop)); then
        # X desktop guest: ext4 image + kernel + initrd from build-xguest.sh
        # (< 0.1 s when cached). Prints IMAGE=/KERNEL=/INITRD=/KVER= lines.
        local build_out IMAGE="" KERNEL="" INITRD="" KVER=""
        build_out=$("$SCRIPT_DIR/build-xguest.sh") || die "building the X desktop guest failed (Scripts/build-xguest.sh)"
        eval "$build_out"
        [[ -s "$IMAGE" && -s "$KERNEL" && -s "$INITRD" ]] \
            || die "build-xguest.sh printed no usable IMAGE/KERNEL/INITRD: $build_out"
        # -drive and -initrd split their values at commas.
        case "$IMAGE$INITRD" in *,*) die "X guest cache path must not contain a comma: $IMAGE" 2 ;; esac
        local activity=full
        case "$guest" in
            xdesktop-light)  activity=light ;;
            xdesktop-static) activity=static ;;
        esac
        memory=1024
        ready_marker="SPICETEST DESKTOP READY"
        local append="root=/dev/vda rw init=/sbin/spicetest-init console=ttyS0 fsck.mode=skip quiet"
        append+=" spicetest.activity=$activity spicetest.interval=1"
        ((agent == 1)) || append+=" spicetest.agent=0"
        [[ -z "$guest_append" ]] || append+=" $guest_append"
        # The disk is snapshot=on: guest writes go to a temporary overlay, so
        # the image is never modified and QEMUs can share it. The guest's root
        # shell is on its second serial port (added below, once RUNDIR is known).
        guest_args=(
            -drive "file=$IMAGE,if=virtio,format=raw,snapshot=on"
            -kernel "$KERNEL" -initrd "$INITRD" -append "$append"
        )
        if ((agent == 1)); then
            guest_args+=(
                -device virtio-serial-pci
                -chardev spicevmc,id=vdagent,debug=0,name=vdagent
                -device virtserialport,chardev=vdagent,name=com.redhat.spice.0
            )
        fi
    elif [[ "$guest" != none ]]; then
        local build_out KERNEL="" INITRD="" KVER=""
        build_out=$("$SCRIPT_DIR/build-guest.sh") || die "building the linux guest failed (Scripts/build-guest.sh)"
        eval "$build_out"
        [[ -s "$KERNEL" && -s "$INITRD" ]] || die "build-guest.sh printed no usable KERNEL/INITRD: $build_out"
        # QEMU splits -initrd at commas (multiboot module lists).
        case "$INITRD" in *,*) die "guest cache path must not contain a comma: $INITRD" 2 ;; esac
        local mode=moving
        [[ "$guest" != linux-static ]] || mode=static
        # The guest waits for this many input devices before READY: AT
        # keyboard + PS/2 mouse, + the USB tablet. A later spicetest.inputs=
        # in --guest-append wins.
        local inputs=$((2 + tablet))
        local append="console=ttyS0 consoleblank=0 spicetest.mode=$mode spicetest.interval=0.5 spicetest.inputs=$inputs"
        [[ -z "$guest_append" ]] || append+=" $guest_append"
        guest_args=(-kernel "$KERNEL" -initrd "$INITRD" -append "$append")
    fi
    local -a tablet_args=()
    ((tablet == 0)) || tablet_args=(-usb -device usb-tablet)

    # A port given with --port that is already taken cannot work; say so
    # clearly instead of letting QEMU fail with a bind warning.
    if [[ -n "$port" ]] && port_listened_on "$port"; then
        die "port $port is already in use by another listening socket"
    fi

    if [[ -z "$rundir" ]]; then
        rundir=$(mktemp -d "${TMPDIR:-/tmp}/qemu-spice.XXXXXX")
    else
        mkdir -p "$rundir"
        # Refuse to reuse the directory of a QEMU that is still running: we
        # would delete its QMP socket and pidfile.
        local old_pid=""
        [[ ! -s "$rundir/qemu.pid" ]] || old_pid=$(tr -dc '0-9' <"$rundir/qemu.pid")
        if [[ -n "$old_pid" ]] && proc_alive "$old_pid" && is_qemu_process "$old_pid"; then
            die "$rundir is in use by a running QEMU (PID $old_pid)"
        fi
        # Leftovers from an earlier run would confuse the readiness checks.
        rm -f "$rundir/qmp.sock" "$rundir/qemu.pid" "$rundir/serial.log" "$rundir/guest-shell.sock"
    fi
    rundir=$(cd "$rundir" && pwd -P)
    case "$rundir" in *,*) die "--rundir path must not contain a comma (QEMU option syntax)" 2 ;; esac
    # xdesktop: ttyS1 = the guest's root shell. It must come after the
    # serial.log -serial (QEMU numbers serial ports in command-line order).
    local -a shell_args=()
    if ((xdesktop)); then
        shell_sock="$rundir/guest-shell.sock"
        rm -f "$shell_sock"
        shell_args=(-serial "unix:$shell_sock,server=on,wait=off")
    fi

    local auth="disable-ticketing=on"
    local -a secret_args=()
    if ((have_password)); then
        # Mode 600 from the start (umask in a subshell), no trailing newline.
        (umask 077 && printf '%s' "$password" >"$rundir/spice-password")
        chmod 600 "$rundir/spice-password"
        secret_args=(-object "secret,id=spicepw,file=$rundir/spice-password")
        auth="password-secret=spicepw"
    fi
    unset password

    local -a audio_args=()
    ((audio == 0)) || audio_args=(-audiodev spice,id=snd0 -device AC97,audiodev=snd0)

    local fixed_port=$port fixed_tls_port=$tls_port attempt=0 qemu_log="$rundir/qemu.log"
    local launcher pid status spice_opts t0 t1 t_listen
    while :; do
        port=${fixed_port:-$(pick_port)}
        spice_opts="addr=127.0.0.1,ipv4=on,port=$port,$auth"
        if [[ -n "$tls_dir" ]]; then
            tls_port=${fixed_tls_port:-$(pick_port)}
            while [[ "$tls_port" == "$port" ]]; do tls_port=$(pick_port); done
            spice_opts+=",tls-port=$tls_port,x509-dir=$tls_dir"
            local channel
            for channel in "${tls_channels[@]}"; do spice_opts+=",tls-channel=$channel"; done
        fi
        [[ -z "$compression" ]] || spice_opts+=",image-compression=$compression"
        [[ -z "$jpeg_wan" ]] || spice_opts+=",jpeg-wan-compression=$jpeg_wan"
        [[ -z "$playback_compression" ]] || spice_opts+=",playback-compression=$playback_compression"
        local -a cmd=(
            "$QEMU" -name spice-test -machine pc,accel=tcg -m "$memory"
            -vga qxl -display none -nic none
            "${secret_args[@]}"
            -spice "$spice_opts"
            -qmp "unix:$rundir/qmp.sock,server=on,wait=off"
            -serial "file:$rundir/serial.log"
            "${shell_args[@]}"
            -pidfile "$rundir/qemu.pid"
            "${audio_args[@]}"
            "${tablet_args[@]}"
            "${guest_args[@]}"
            "${extra[@]}"
        )
        rm -f "$rundir/qemu.pid"
        t0=$(now_ms)
        # Without job control the background child is not a process-group
        # leader, so setsid calls setsid() and execs QEMU in place: $! is
        # QEMU's own PID (cross-checked against the pidfile below).
        setsid "${cmd[@]}" </dev/null >"$qemu_log" 2>&1 &
        launcher=$!
        # QEMU is in its own session, so an interrupt of this script would
        # not reach it: stop it ourselves if we are interrupted while waiting.
        trap 'terminate "$launcher" || true; exit 130' INT TERM HUP

        # Ready = port listening on 127.0.0.1, pidfile written and QMP socket
        # created. QEMU 7.2 opens the SPICE port *before* it creates the QMP
        # socket and the serial file, so the port alone is not enough for a
        # caller that talks QMP straight away.
        status=timeout
        t_listen=""
        local deadline=$((t0 + READY_TIMEOUT_S * 1000))
        while (($(now_ms) < deadline)); do
            if ! proc_alive "$launcher"; then status=exited; break; fi
            if port_listening_by "$port" "$launcher" && { [[ -z "$tls_dir" ]] || port_listening_by "$tls_port" "$launcher"; }; then
                [[ -n "$t_listen" ]] || t_listen=$(now_ms)
                if [[ -s "$rundir/qemu.pid" && -S "$rundir/qmp.sock" ]]; then status=ready; break; fi
            fi
            sleep "$POLL_S"
        done
        t1=$(now_ms)
        trap - INT TERM HUP

        if [[ "$status" == ready ]]; then
            pid=$(tr -dc '0-9' <"$rundir/qemu.pid")
            if [[ "$pid" != "$launcher" ]]; then
                log "warning: pidfile says $pid but the started process is $launcher"
            fi
            break
        fi

        if [[ "$status" == exited ]]; then
            local rc=0
            wait "$launcher" || rc=$?
            # A randomly picked port can be taken between the check and
            # QEMU's bind(); spice-server then logs "binding socket ... failed".
            if [[ -z "$fixed_port" && ( -z "$tls_dir" || -z "$fixed_tls_port" ) ]] && ((attempt < MAX_PORT_RETRIES)) \
                && grep -q 'binding socket to' "$qemu_log"; then
                attempt=$((attempt + 1))
                log "port $port was taken, retrying with another port ($attempt/$MAX_PORT_RETRIES)"
                continue
            fi
            log "QEMU exited with status $rc before the SPICE port $port was listening"
        else
            if [[ -n "$t_listen" ]]; then
                log "SPICE port $port listens, but QEMU did not create its pidfile/QMP socket within ${READY_TIMEOUT_S}s; stopping QEMU"
            else
                log "SPICE port $port not listening after ${READY_TIMEOUT_S}s; stopping QEMU"
            fi
            terminate "$launcher" || true
            wait "$launcher" 2>/dev/null || true
        fi
        show_log_tail "$qemu_log"
        log "run directory kept for inspection: $rundir"
        exit 1
    done

    log "SPICE listening on 127.0.0.1:$port after $((t_listen - t0)) ms, QMP ready after $((t1 - t0)) ms (QEMU PID $pid)"

    local serial="$rundir/serial.log"
    if [[ -n "$wait_ready" ]]; then
        wait_guest_ready "$pid" "$serial" $((t0 + wait_ready * 1000)) "$t0" "$ready_marker" || {
            show_log_tail "$serial"
            log "stopping QEMU (PID $pid); run directory kept for inspection: $rundir"
            terminate "$pid" || true
            wait "$pid" 2>/dev/null || true
            exit 1
        }
    fi
    printf 'PID=%s\nPORT=%s\nRUNDIR=%q\nQMP=%q\nSERIAL=%q\n' "$pid" "$port" "$rundir" "$rundir/qmp.sock" "$serial"
    [[ -z "$tls_dir" ]] || printf 'TLS_PORT=%s\n' "$tls_port"
    [[ -z "$shell_sock" ]] || printf 'SHELL=%q\nGUEST_SHELL=%q\n' "$shell_sock" "$shell_sock"
}

# wait_guest_ready PID SERIAL DEADLINE_MS T0_MS MARKER: poll SERIAL for the
# guest's MARKER line ("SPICETEST READY", or "SPICETEST DESKTOP READY" for the
# X desktop). Fails early if QEMU exits or the kernel panics.
wait_guest_ready() {
    local pid=$1 serial=$2 deadline=$3 t0=$4 marker=$5 line
    trap 'terminate "$pid" || true; exit 130' INT TERM HUP
    while :; do
        line=$(grep -a -m 1 "^$marker" "$serial" 2>/dev/null) || line=""
        if [[ -n "$line" ]]; then
            trap - INT TERM HUP
            log "guest ${line#SPICETEST } after $(($(now_ms) - t0)) ms"
            grep -a '^SPICETEST \(QXL\|INPUT WARN\|MODULE FAIL\|X READY\|AGENT\|FAIL\)' "$serial" | sed 's/^/    /' >&2 || true
            return 0
        fi
        if ! proc_alive "$pid"; then
            log "QEMU exited before the guest was READY"; break
        fi
        if grep -a -q 'Kernel panic' "$serial" 2>/dev/null; then
            log "the guest kernel panicked"; break
        fi
        if (($(now_ms) >= deadline)); then
            log "no '$marker' in $serial within the --wait-ready time"; break
        fi
        sleep 0.1
    done
    trap - INT TERM HUP
    return 1
}

# ---------------------------------------------------------------- main

(($#)) || { usage >&2; exit 2; }
sub=$1
shift
case "$sub" in
    start)          cmd_start "$@" ;;
    stop)           cmd_stop "$@" ;;
    qmp)            cmd_qmp "$@" ;;
    screendump)     cmd_screendump "$@" ;;
    guest-shell)    cmd_guest_shell "$@" ;;
    -h|--help|help) usage ;;
    *)              usage >&2; exit 2 ;;
esac
