#!/usr/bin/env bash
# fuzz/run.sh [seconds]: builds the libFuzzer targets of fuzz/ into build/ and runs each for
# `seconds` (default 10) on a temporary copy of its seed corpus (fuzz/corpus/<target>/ is never
# modified). One line per target:
#   PASS fuzz_<name>: <executions> execs in <s> s, 0 crashes
#   FAIL fuzz_<name>: <what went wrong>
# Exit status 1 when any target fails (or clang/libFuzzer is missing: never a silent skip).
# Crash inputs are kept in build/fuzz-artifacts/<target>/ and the log in build/fuzz-logs/.
# Environment: CLANG (default: clang, else clang-14), FUZZ_TARGETS (default: all eight),
# FUZZ_SEED (default: random; make test sets 1 so that its short pass explores the same inputs
# on every machine and a CI failure can be replayed).
set -u
cd "$(dirname "$0")/.." || exit 1
SECS=${1:-10}
case $SECS in '' | *[!0-9]*) echo "usage: fuzz/run.sh [seconds]" >&2; exit 2 ;; esac
TARGETS=${FUZZ_TARGETS:-"fuzz_json_reader fuzz_base64 fuzz_kv_file_open fuzz_tuple fuzz_vec_load fuzz_import fuzz_kernels fuzz_roundtrip"}
CFLAGS_FUZZ="-g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"

missing() {
    echo "FAIL fuzz: clang with libFuzzer is missing (apt-get install -y clang libclang-rt-14-dev)"
    exit 1
}
CC_FUZZ=${CLANG:-}
if [ -z "$CC_FUZZ" ]; then
    if command -v clang >/dev/null 2>&1; then CC_FUZZ=clang
    elif command -v clang-14 >/dev/null 2>&1; then CC_FUZZ=clang-14
    else missing; fi
fi
command -v "$CC_FUZZ" >/dev/null 2>&1 || missing
mkdir -p build build/fuzz-logs
TMP=$(mktemp -d "${TMPDIR:-/tmp}/llmspell-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
# a trivial target proves that the compiler links libFuzzer
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$TMP/probe.c"
"$CC_FUZZ" $CFLAGS_FUZZ "$TMP/probe.c" -o "$TMP/probe" >"$TMP/probe.log" 2>&1 || missing
"$TMP/probe" -runs=1 >/dev/null 2>&1 || missing

status=0
for t in $TARGETS; do
    src=fuzz/$t.c
    log=build/fuzz-logs/$t.log
    if [ ! -f "$src" ]; then echo "FAIL $t: $src not found"; status=1; continue; fi
    if ! "$CC_FUZZ" $CFLAGS_FUZZ -I. "$src" -o "build/$t" -lm >"$log" 2>&1; then
        echo "FAIL $t: does not compile (see $log)"; status=1; continue
    fi
    mkdir -p "$TMP/$t" "build/fuzz-artifacts/$t"
    if [ -d "fuzz/corpus/$t" ]; then cp -R "fuzz/corpus/$t/." "$TMP/$t/"; fi
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "./build/$t" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} -max_total_time="$SECS" -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
        -artifact_prefix="build/fuzz-artifacts/$t/" "$TMP/$t" >>"$log" 2>&1
    rc=$?
    done_line=$(grep -a -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1)
    crashes=$(grep -a -c -E '^artifact_prefix=.*(crash|leak|timeout|oom|slow-unit)-|Test unit written to' "$log")
    if [ "$rc" -eq 0 ] && [ -n "$done_line" ] && [ "$crashes" -eq 0 ]; then
        runs=$(echo "$done_line" | sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/')
        secs=$(echo "$done_line" | sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/')
        echo "PASS $t: $runs execs in $secs s, 0 crashes"
    else
        what=$(grep -a -E 'SUMMARY|check failed|ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error' "$log" | head -1 | cut -c1-160)
        art=$(grep -a -o -E 'Test unit written to [^ ]+' "$log" | head -1 | sed 's/Test unit written to //')
        echo "FAIL $t: exit $rc${what:+: $what}${art:+ (input: $art)} (log: $log)"
        status=1
    fi
done
exit $status
