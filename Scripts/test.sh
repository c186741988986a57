#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian bookworm machine (root) or a developer's:
#   1. installs what is missing (Scripts/install-deps.sh),
#   2. builds everything,
#   3. runs the Swift tests: unit tests of every module and the real-server tests, which start QEMU
#      SPICE servers through Scripts/qemu-spice.sh,
#   4. runs the C ABI test program, the Java tests and the Swing viewer test (Scripts/test-jvm.sh),
#   5. runs each libFuzzer target briefly (Scripts/fuzz.sh),
#   6. prints the decode benchmark's quick table (spice-bench --quick, release build),
#   7. runs the README's main command verbatim, as a newcomer would.
# It ends with one line, "N passed, N failed", summing every stage, and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
logs=$(mktemp -d "${TMPDIR:-/tmp}/spice-tests.XXXXXX")
passed=0
failed=0

finish() {
    echo "logs: $logs"
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

echo "== installing dependencies"
if ! bash Scripts/install-deps.sh; then
    failed=$((failed + 1))
    finish
fi

echo "== building"
swift build > "$logs/build.log" 2>&1
build_status=$?
grep -E 'error:|warning:|Build complete' "$logs/build.log" | sort -u | tail -40
if [ "$build_status" -ne 0 ]; then
    echo "build failed; see $logs/build.log"
    failed=$((failed + 1))
    finish
fi

echo "== swift test (unit and real-server tests)"
swift test 2>&1 | tee "$logs/swift-test.log" | grep -E "^Test Case .*(passed|failed)|error:|Executed|Test Suite 'All tests'" || true
test_status=${PIPESTATUS[0]}
case_passed=$(grep -cE "^Test Case '.*' passed" "$logs/swift-test.log" || true)
case_failed=$(grep -cE "^Test Case '.*' failed" "$logs/swift-test.log" || true)
passed=$((passed + case_passed))
failed=$((failed + case_failed))
if [ "$test_status" -ne 0 ] && [ "$case_failed" -eq 0 ]; then
    # The runner failed without a failing test case: a crash or a build error. Count it.
    echo "swift test exited $test_status without a failing test case; see $logs/swift-test.log"
    failed=$((failed + 1))
fi
if [ "$case_passed" -eq 0 ]; then
    echo "swift test ran no test"
    failed=$((failed + 1))
fi

echo "== C ABI, JNI binding, Java tests and Swing viewer (OpenJDK 17, Xvfb)"
SCRATCH=.build bash Scripts/test-jvm.sh 2>&1 | tee "$logs/jvm.log" | grep -E '^(==|JVM: |PASS|FAIL|ok |not ok)' || true
jvm_line=$(grep -E '^JVM: [0-9]+ passed, [0-9]+ failed$' "$logs/jvm.log" | tail -1)
if [ -z "$jvm_line" ]; then
    echo "the JVM stage ended without its summary line; see $logs/jvm.log"
    tail -20 "$logs/jvm.log"
    failed=$((failed + 1))
else
    passed=$((passed + $(echo "$jvm_line" | awk '{print $2}')))
    failed=$((failed + $(echo "$jvm_line" | awk '{print $4}')))
fi

echo "== fuzz targets (a short run each; a crash fails the stage)"
bash Scripts/fuzz.sh "${FUZZ_SECONDS:-15}" 2>&1 | tee "$logs/fuzz.log" | grep -E '^(==|Fuzz.*: )' || true
fuzz_passed=$(grep -cE '^Fuzz[A-Za-z]+: passed' "$logs/fuzz.log" || true)
fuzz_failed=$(grep -cE '^Fuzz[A-Za-z]+: failed' "$logs/fuzz.log" || true)
if [ "$fuzz_passed" -eq 0 ] && [ "$fuzz_failed" -eq 0 ]; then
    echo "the fuzz targets did not build or run; see $logs/fuzz.log"
    fuzz_failed=1
fi
passed=$((passed + fuzz_passed))
failed=$((failed + fuzz_failed))

echo "== decode benchmark (spice-bench --quick, release; prints, never gates on timing)"
if swift build -c release --product spice-bench > "$logs/bench-build.log" 2>&1 \
    && "$(swift build -c release --show-bin-path)/spice-bench" --quick 2>&1 | tee "$logs/bench.log"; then
    echo "spice-bench: passed (every decode verified)"
    passed=$((passed + 1))
else
    echo "spice-bench: failed (a build error or a decode that did not verify); see $logs/bench-build.log and $logs/bench.log"
    tail -5 "$logs/bench-build.log"
    failed=$((failed + 1))
fi

echo "== README main command, verbatim"
main_command=$(sed -n '/<!-- main-command -->/,/<!-- \/main-command -->/p' README.md | grep -vE '^(<!--|```)' | head -1)
if [ -z "$main_command" ]; then
    echo "README has no main command between <!-- main-command --> markers"
    failed=$((failed + 1))
else
    echo "\$ $main_command"
    if bash -c "$main_command" > "$logs/main-command.log" 2>&1 && grep -q 'display:0: linked' "$logs/main-command.log" \
        && grep -q '^disconnected' "$logs/main-command.log"; then
        echo "README main command: passed"
        passed=$((passed + 1))
    else
        echo "README main command: failed"
        tail -20 "$logs/main-command.log"
        failed=$((failed + 1))
    fi
fi

leftover=$(pgrep -a -f 'qemu-system-x86_64 -name spice-test' | grep -v defunct || true)
if [ -n "$leftover" ]; then
    echo "QEMU processes left running by the tests:"
    echo "$leftover"
    failed=$((failed + 1))
fi
finish
