#!/usr/bin/env bash
# Runs every check and prints one PASS/FAIL line each, then "N passed, M failed".
# A program that dies without reporting counts as a failure of its own.
set -u
cd "$(dirname "$0")/.."
pass=0
fail=0
log=build/test.log
: > "$log"

count() { # name, command...: run it, relay its PASS/FAIL lines, judge its exit code
    local name=$1 out rc
    shift
    out=$("$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" >> "$log"
    local p f
    p=$(printf '%s\n' "$out" | grep -c '^PASS ')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL) '
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc (last lines below)"
        printf '%s\n' "$out" | tail -5
        fail=$((fail + 1))
    fi
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$rc" -eq 0 ]; then
        echo "FAIL $name: ran no check"
        fail=$((fail + 1))
    fi
}

# The platform stage (Windows under wine, i686/arm64/armv7/s390x under qemu, a store moved between
# them, the no-OS build) is slow emulation: it runs beside the native checks, on the other core,
# and its lines are counted at the end.
plat_log=build/platforms.log
bash tests/platforms.sh > "$plat_log" 2>&1 &
plat_pid=$!

compile_check() { # header compiler std-flags
    local h=$1 cc=$2 lang=$3 m tmp
    m=$(echo "$h" | sed 's/llmspell_\(.*\)\.h/\1/' | tr a-z A-Z)
    tmp=$(mktemp -d)
    printf '#define LLMSPELL_%s_IMPLEMENTATION\n#include "%s"\nint main(void){return 0;}\n' "$m" "$PWD/$h" > "$tmp/t.$lang"
    local std="-std=c99"
    [ "$lang" = cpp ] && std="-std=c++11"
    # -O2 and -O3 as well: some warnings (maybe-uninitialized) only appear with optimisation
    if $cc $std -O3 -Wall -Wextra -Wpedantic -Werror -c "$tmp/t.$lang" -o "$tmp/t.o" 2> "$tmp/err" &&
        $cc $std -O2 -Wall -Wextra -Wpedantic -Werror -c "$tmp/t.$lang" -o "$tmp/t.o" 2>> "$tmp/err" &&
        $cc $std -O0 -Wall -Wextra -Wpedantic -Werror -c "$tmp/t.$lang" -o "$tmp/t.o" 2>> "$tmp/err"; then
        echo "PASS compile_${m}_${cc}_${lang}"
        pass=$((pass + 1))
    else
        echo "FAIL compile_${m}_${cc}_${lang}: $(head -3 "$tmp/err" | tr '\n' ' ')"
        fail=$((fail + 1))
    fi
    rm -rf "$tmp"
}

for h in llmspell_*.h; do
    for cc in gcc clang; do
        compile_check "$h" "$cc" c
    done
    for cxx in g++ clang++; do
        compile_check "$h" "$cxx" cpp
    done
done

# Every example is built and run with exactly the command in its first comment, from a scratch
# copy of the tree (so that nothing it writes lands in the repo), ../shared beside it.
run_example() {
    local src=$1 cmd tmp rc
    cmd=$(head -1 "$src" | sed -n 's|^/\* *\(.*\)$|\1|p')
    if [ -z "$cmd" ]; then
        echo "FAIL example_$(basename "$src" .c): no command in its first comment"
        fail=$((fail + 1))
        return
    fi
    tmp=$(mktemp -d)
    mkdir "$tmp/repo"
    cp llmspell_*.h "$tmp/repo/" && cp -r examples "$tmp/repo/"
    [ -d ../shared ] && ln -s "$(cd ../shared && pwd)" "$tmp/shared"
    (cd "$tmp/repo" && bash -c "$cmd") > "$tmp/out" 2>&1
    rc=$?
    cat "$tmp/out" >> "$log"
    if [ $rc -eq 0 ]; then
        echo "PASS example_$(basename "$src" .c)"
        pass=$((pass + 1))
    else
        echo "FAIL example_$(basename "$src" .c): '$cmd' exited $rc"
        tail -5 "$tmp/out"
        fail=$((fail + 1))
    fi
    rm -rf "$tmp"
}

count test_kv build/test_kv
# PostgreSQL: a throwaway server (tests/pg_server.sh) for the suites built with its backend; a
# suite that cannot reach it fails, and no server is a failure too
if pg_env=$(bash tests/pg_server.sh start 2> build/pg_server.err); then
    eval "$pg_env"
    trap 'bash tests/pg_server.sh stop "$LLMSPELL_TEST_PG_DIR"' EXIT
    count test_kv_pg env HARNESS_ONLY=postgres build/test_kv_pg
    count test_kv_pg_san env HARNESS_ONLY=postgres build/test_kv_pg_san
    # the vec and graph suites with every store on postgres (ASan + UBSan builds; their two-process
    # tests among them); the allocation sweeps run on a memory store in either build: not again
    count test_vec_pg bash -c 'set -o pipefail; LLMSPELL_TEST_BACKEND=postgres HARNESS_SKIP=test_alloc_failure,test_alloc_failure_int8 \
        build/test_vec_pg | sed -E "s/^(PASS|FAIL) /\1 pg_/"'
    count test_graph_pg bash -c 'set -o pipefail; LLMSPELL_TEST_BACKEND=postgres HARNESS_SKIP=test_model_random build/test_graph_pg |
        sed -E "s/^(PASS|FAIL) /\1 pg_/"' # (the random model's 75,000 operations: one round trip each, minutes under ASan)
    count test_export_pg bash -c 'set -o pipefail; build/test_export_pg | sed -E "s/^(PASS|FAIL) /\1 pg_/"'
    count isolation_pg env HARNESS_ONLY=postgres build/isolation_pg
else
    echo "FAIL postgres: no server: $(tr '\n' ' ' < build/pg_server.err)"
    fail=$((fail + 1))
fi
count test_kv_san build/test_kv_san
count crash_kv build/crash_kv 200
count crash_kv_san build/crash_kv_san 20
count crashsim_kv build/crashsim_kv
count crashsim_kv_san build/crashsim_kv_san
count corrupt_kv build/corrupt_kv
count corrupt_kv_san build/corrupt_kv_san
count test_threads_kv build/test_threads_kv
count test_threads_kv_tsan build/test_threads_kv_tsan
count test_threads_kv_san build/test_threads_kv_san
count test_threads_graph build/test_threads_graph
count test_threads_graph_tsan build/test_threads_graph_tsan
count test_threads_graph_san build/test_threads_graph_san
count test_threads_graph_nt bash -c 'set -o pipefail; build/test_threads_graph_nt | sed -E "s/^(PASS|FAIL) /\1 nt_/"'
count test_threads_vec build/test_threads_vec
count test_threads_vec_tsan build/test_threads_vec_tsan
count test_threads_vec_san build/test_threads_vec_san
count test_threads_vec_nt bash -c 'set -o pipefail; build/test_threads_vec_nt | sed -E "s/^(PASS|FAIL) /\1 nt_/"'
count test_threads_vec_wide_tsan bash -c 'set -o pipefail; build/test_threads_vec_wide_tsan | sed -E "s/^(PASS|FAIL) /\1 wide_/"'
count test_vec build/test_vec
count test_vec_san build/test_vec_san
count test_vec_wide_san bash -c 'set -o pipefail; build/test_vec_wide_san | sed -E "s/^(PASS|FAIL) /\1 wide_/"'
count test_vec_wide_nt bash -c 'set -o pipefail; build/test_vec_wide_nt | sed -E "s/^(PASS|FAIL) /\1 wide_nt_/"'
count test_graph build/test_graph
count test_graph_san build/test_graph_san
# the JSON conformance files are read when ../shared is there; the built-in cases always run
json_suite=../shared/testsuites/JSONTestSuite/test_parsing
if [ -d "$json_suite" ]; then
    count test_json build/test_json "$json_suite"
    count test_json_san build/test_json_san "$json_suite"
    count test_json_nosimd_san bash -c 'set -o pipefail; build/test_json_nosimd_san "$1" | sed -E "s/^(PASS|FAIL) /\1 nosimd_/"' _ "$json_suite"
else
    count test_json build/test_json
    count test_json_san build/test_json_san
    count test_json_nosimd_san bash -c 'set -o pipefail; build/test_json_nosimd_san | sed -E "s/^(PASS|FAIL) /\1 nosimd_/"'
fi
count test_export build/test_export
count test_export_san build/test_export_san
count isolation build/isolation
count split build/split
count isolation_san build/isolation_san
# the command-line tool through its binary, built normally and with the sanitizers
count cli bash tests/cli.sh build/llmspell
count cli_san bash -c 'set -o pipefail; bash tests/cli.sh build/llmspell_san | sed -E "s/^(PASS|FAIL) cli_/\1 cli_san_/"'

# MSVC cannot run here: clang in MSVC mode against MSVC-style headers stands in (see the script)
count msvc bash tests/msvc_check.sh

# a short fuzz pass of every target, then every input a fuzzer once crashed on
count fuzz env FUZZ_SEED=1 bash fuzz/run.sh 5
count fuzz_regressions bash -c 'for f in fuzz/crashes/*.bin fuzz/crashes/*.kv; do
    t=$(basename "$f" | cut -d- -f1)
    "build/$t" "$f" >/dev/null 2>&1 || { echo "FAIL fuzz_regression: $f"; exit 1; }
done; echo "PASS fuzz_regressions: every input a fuzzer once crashed on runs clean"'

# valgrind memcheck over the suites (in process: zero errors and zero leaks, or the run fails).
# The int8 allocation sweep (8 minutes here) is left out: it runs plain and under ASan+UBSan
# above, and its f32 twin under valgrind walks the same code but the form's two allocations.
if command -v valgrind >/dev/null; then
    for t in test_kv test_json test_graph test_vec test_export; do
        count "valgrind_$t" env HARNESS_NOFORK=1 HARNESS_SKIP=test_alloc_failure_int8 valgrind --error-exitcode=9 --leak-check=full \
            --errors-for-leak-kinds=definite,possible -q "build/$t"
    done
else
    echo "FAIL valgrind: not installed (apt-get install -y valgrind)"
    fail=$((fail + 1))
fi
for ex in examples/*.c; do run_example "$ex"; done

# the platform stage started at the top: the suites on Windows (wine), 32-bit x86, arm64, armv7
# and s390x (qemu), one store file moved between them, and the no-OS build for a Cortex-M4
wait "$plat_pid"
plat_rc=$?
count platforms bash -c 'cat "$1"; exit "$2"' _ "$plat_log" "$plat_rc"

if [ -n "${LLMSPELL_TEST_PG_DIR:-}" ]; then
    bash tests/pg_server.sh stop "$LLMSPELL_TEST_PG_DIR"
    trap - EXIT
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
