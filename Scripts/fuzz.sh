#!/usr/bin/env bash
# Builds the libFuzzer targets in FuzzTesting/ with -sanitize=fuzzer,address and runs each for a while.
#
#   bash Scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 20 s, every target)
#
# Seeds come from FuzzTesting/Corpus/<target>/ (committed); new inputs go to a scratch corpus.
# A crash is saved under FuzzTesting/Crashes/<target>/ to be committed as a regression input.
# Exit status: 0 when no target crashed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(FuzzWire FuzzSession FuzzCodecs FuzzAudio)
scratch=.build-fuzz
swift build --package-path FuzzTesting --scratch-path "$scratch" -c debug \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld >"${TMPDIR:-/tmp}/fuzz-build.log" 2>&1 || {
    tail -30 "${TMPDIR:-/tmp}/fuzz-build.log"
    echo "fuzz build failed"
    exit 1
}
bin=$(swift build --package-path FuzzTesting --scratch-path "$scratch" -c debug --show-bin-path)
status=0
for target in "${targets[@]}"; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")
    mkdir -p "FuzzTesting/Corpus/$target" "$work/crashes"
    echo "== $target for $seconds s"
    if "$bin/$target" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$work/crashes/" "$work" "FuzzTesting/Corpus/$target" >"$work/log" 2>&1; then
        grep -E '^#[0-9]+.*(DONE|pulse)' "$work/log" | tail -1
        echo "$target: passed"
    else
        tail -40 "$work/log"
        mkdir -p "FuzzTesting/Crashes/$target"
        cp "$work"/crashes/* "FuzzTesting/Crashes/$target/" 2>/dev/null || true
        echo "$target: failed (inputs saved in FuzzTesting/Crashes/$target)"
        status=1
    fi
done
exit $status
