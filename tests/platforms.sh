#!/usr/bin/env bash
# tests/platforms.sh: the platform stage of make test. Builds the suites for every platform
# this machine can build for and runs them where it can:
#   win      x86_64-w64-mingw32-gcc, run under wine (Win32 file layer, locks, compaction)
#   i686     i686-linux-gnu-gcc -static: 32-bit x86 with x87 floats, run under qemu-i386
#            (this kernel runs no 32-bit programs; gcc-multilib conflicts with the cross gccs),
#            and a store past 2 GiB (tests/bigfile_kv.c)
#   arm64    aarch64-linux-gnu-gcc -static, run under qemu-aarch64 (NEON kernels)
#   armv7    arm-linux-gnueabihf-gcc -static -mfpu=neon-vfpv4, run under qemu-arm: the kv and
#            vec suites (the NEON kernels; the rest is what arm64 and i686 already cover)
#   s390x    s390x-linux-gnu-gcc -static, run under qemu-s390x (big-endian)
#   xstore   one store file written and read in turn on x86-64, s390x, arm64 and Windows
#   no_os    LLMSPELL_NO_OS for a Cortex-M4 (arm-none-eabi-gcc, newlib), linked; code sizes
# Static linking because qemu-user hangs on fork() in dynamically linked programs. The cross
# builds have no SQLite (no cross libsqlite3): the suites say so in a SKIP line and test it in
# the native run. The platforms run as PLATFORM_JOBS parallel jobs (default 2: the machine's
# cores), each into its own log; the lines are printed platform by platform at the end.
# Prints one PASS/FAIL line per check (each suite's own lines prefixed with its platform), and
# exits 1 if any failed. A missing toolchain is a FAIL naming the package, never a skip.
# PLATFORMS (default: all of the above) picks some, e.g. PLATFORMS="win s390x".
set -u
cd "$(dirname "$0")/.." || exit 1
PLATFORMS=${PLATFORMS:-"i686 s390x win arm64 armv7 xstore no_os"} # the longest first: two lanes end together
SUITES="test_kv test_threads_kv test_threads_graph test_threads_vec test_vec test_graph test_json test_export isolation corrupt_kv crashsim_kv"
JOBS=${PLATFORM_JOBS:-2}
OUT=build/plat
mkdir -p "$OUT"
export WINEDEBUG=-all WINEPREFIX=${WINEPREFIX:-$PWD/build/wineprefix}
fails=0
json_suite=../shared/testsuites/JSONTestSuite/test_parsing

fail() { echo "FAIL $1"; fails=$((fails + 1)); }
need() { # TOOL PACKAGE
    command -v "$1" >/dev/null 2>&1 && return 0
    fail "$2_toolchain: $1 is missing (apt-get install -y $2)"
    return 1
}

# cc_for PLATFORM: the compiler and flags; run_for PLATFORM: the command prefix that runs it
cc_for() {
    case $1 in
    win) echo "x86_64-w64-mingw32-gcc -std=c99 -O2 -Wall -Wextra -Werror" ;;
    i686) echo "i686-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -static -DLLMSPELL_TEST_NO_SQLITE" ;;
    arm64) echo "aarch64-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -static -DLLMSPELL_TEST_NO_SQLITE" ;;
    armv7) echo "arm-linux-gnueabihf-gcc -std=c99 -O2 -Wall -Wextra -Werror -static -DLLMSPELL_TEST_NO_SQLITE -mfpu=neon-vfpv4 -mfloat-abi=hard" ;;
    s390x) echo "s390x-linux-gnu-gcc -std=c99 -O2 -Wall -Wextra -Werror -static -DLLMSPELL_TEST_NO_SQLITE" ;;
    esac
}
run_for() {
    case $1 in
    win) echo "wine" ;;
    i686) echo "qemu-i386-static" ;;
    arm64) echo "qemu-aarch64-static" ;;
    armv7) echo "qemu-arm-static" ;;
    s390x) echo "qemu-s390x-static" ;;
    esac
}
exe_for() { [ "$1" = win ] && echo "$OUT/$1/$2.exe" || echo "$OUT/$1/$2"; }
tools_ok() {
    case $1 in
    win) need x86_64-w64-mingw32-g++ g++-mingw-w64-x86-64 && need wine wine64 ;;
    i686) need i686-linux-gnu-g++ g++-i686-linux-gnu && need qemu-i386-static qemu-user-static ;;
    arm64) need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu && need qemu-aarch64-static qemu-user-static ;;
    armv7) need arm-linux-gnueabihf-g++ g++-arm-linux-gnueabihf && need qemu-arm-static qemu-user-static ;;
    s390x) need s390x-linux-gnu-g++ g++-s390x-linux-gnu && need qemu-s390x-static qemu-user-static ;;
    esac
}

build() { # PLATFORM SOURCE NAME: compile warning-free, or FAIL with the first lines
    local p=$1 src=$2 name=$3 exe
    exe=$(exe_for "$p" "$name")
    mkdir -p "$OUT/$p"
    # shellcheck disable=SC2046
    if ! $(cc_for "$p") -I. "$src" -o "$exe" -lm > "$OUT/$p/$name.build.log" 2>&1; then
        fail "${p}_build_$name: $(head -3 "$OUT/$p/$name.build.log" | tr '\n' ' ')"
        return 1
    fi
}

suite() { # PLATFORM NAME: run one suite, relay its lines prefixed with the platform
    local p=$1 t=$2 exe args="" out rc start
    exe=$(exe_for "$p" "$t")
    [ "$t" = test_json ] && [ -d "$json_suite" ] && args=$json_suite
    [ "$t" = crash_kv ] && args=20 # kills; each is slow under emulation
    # the simulated disk is plain computation: each platform runs the fault model of its OS
    [ "$t" = crashsim_kv ] && { [ "$p" = win ] && args=win32 || args=posix; }
    start=$(date +%s)
    if [ "$p" = win ] && [ "$t" = test_kv ] && [ "$(id -u)" = 0 ]; then
        # wine keeps FILE_ATTRIBUTE_READONLY as permission bits, which root ignores: run the kv
        # suite (its read-only-file check) as nobody, with a wine prefix of nobody's own
        local nb
        nb=$(mktemp -d)
        cp "$exe" "$nb/" && chmod 755 "$nb" && chown -R 65534:65534 "$nb"
        out=$(cd "$nb" && setpriv --reuid=65534 --regid=65534 --clear-groups \
            env HOME="$nb" WINEPREFIX="$nb/wine" WINEDEBUG=-all wine "$nb/$t.exe" 2>&1)
        rc=$?
        rm -rf "$nb"
    else
        # shellcheck disable=SC2046,SC2086
        out=$($(run_for "$p") "$exe" $args 2>&1)
        rc=$?
    fi
    printf '%s\n' "$out" > "$OUT/$p/$t.log"
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL) ' | sed -E "s/^(PASS|FAIL) /\1 ${p}_/"
    fails=$((fails + $(printf '%s\n' "$out" | grep -c '^FAIL ')))
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        fail "${p}_$t: exited with status $rc: $(printf '%s\n' "$out" | tail -3 | tr '\n' ' ')"
    elif ! printf '%s\n' "$out" | grep -q '^PASS '; then
        fail "${p}_$t: ran no check"
    fi
    echo "note: ${p} $t: $(( $(date +%s) - start )) s"
}

# Each header alone, its implementation on, as C99 and C++11, -Werror: what a user's first
# build of one header does.
headers_alone() { # PLATFORM
    local p=$1 h m lang cc std d=$OUT/$1/alone
    mkdir -p "$d"
    for h in kv vec graph export; do
        m=$(echo $h | tr a-z A-Z)
        for lang in c cpp; do
            cc=$(cc_for "$p" | sed 's/ -std=c99//; s/ -static//; s/ -DLLMSPELL_TEST_NO_SQLITE//')
            std=-std=c99
            [ $lang = cpp ] && cc=$(echo "$cc" | sed 's/gcc /g++ /') && std=-std=c++11
            printf '#define LLMSPELL_%s_IMPLEMENTATION\n#include "llmspell_%s.h"\nint main(void) { return 0; }\n' "$m" "$h" > "$d/$h.$lang"
            # shellcheck disable=SC2086
            if $cc $std -Wpedantic -I. -c "$d/$h.$lang" -o "$d/$h.$lang.o" 2> "$d/$h.$lang.log"; then
                echo "PASS ${p}_compile_${h}_$lang"
            else
                fail "${p}_compile_${h}_$lang: $(head -3 "$d/$h.$lang.log" | tr '\n' ' ')"
            fi
        done
    done
}

platform() { # PLATFORM: every suite (the kill test where processes can be killed: POSIX)
    local p=$1 t suites=$SUITES
    tools_ok "$p" || return
    headers_alone "$p"
    suites="$suites crash_kv"
    [ "$p" = armv7 ] && suites="test_kv test_vec"
    [ "$p" = i686 ] && suites="$suites bigfile_kv" # a 2.2 GiB store where off_t could be 32 bits
    for t in $suites; do
        build "$p" "tests/$t.c" "$t" && suite "$p" "$t"
    done
}

# One store file, written and read on each platform in turn; the exports must be identical.
xstore() {
    local d=$OUT/xstore ok=1 p
    mkdir -p "$d"
    rm -f "$d"/*.db "$d"/*.json
    cc -std=c99 -O2 -Wall -Wextra -Werror -I. tests/xstore.c -o "$d/xstore" -lm || { fail "xstore_build_native"; return; }
    for p in s390x arm64 win; do
        tools_ok "$p" || return
        build "$p" tests/xstore.c xstore || return
    done
    x() { # PLATFORM ARGS...: run xstore on PLATFORM (native: x86)
        local p=$1
        shift
        if [ "$p" = x86 ]; then "$d/xstore" "$@"; else $(run_for "$p") "$(exe_for "$p" xstore)" "$@"; fi
    }
    same() { # A B WHAT
        if cmp -s "$1" "$2"; then echo "PASS xstore_$3"; else fail "xstore_$3: $1 and $2 differ"; fi
    }
    {
        # x86 writes part 1; s390x reads it, adds part 2; x86 reads that; then arm64 and Windows
        x x86 write "$d/a.db" 1 && x x86 export "$d/a.db" "$d/x86-1.json" &&
            x s390x export "$d/a.db" "$d/s390x-1.json" && x s390x write "$d/a.db" 2 &&
            x s390x export "$d/a.db" "$d/s390x-2.json" && x x86 export "$d/a.db" "$d/x86-2.json" &&
            x arm64 export "$d/a.db" "$d/arm64-2.json" && x win export "$d/a.db" "$d/win-2.json" &&
            # the same data written the other way round: Windows, then arm64
            x win write "$d/b.db" 1 && x arm64 write "$d/b.db" 2 && x s390x export "$d/b.db" "$d/s390x-b.json"
    } | grep -E '^(PASS|FAIL) ' | sed -E 's/^(PASS|FAIL) xstore/\1 xstore_step/'
    [ "${PIPESTATUS[0]}" -eq 0 ] || { fail "xstore_steps: a step failed (see above)"; ok=0; }
    [ $ok = 1 ] || return
    same "$d/x86-1.json" "$d/s390x-1.json" "x86_to_s390x"
    same "$d/x86-2.json" "$d/s390x-2.json" "s390x_to_x86"
    same "$d/x86-2.json" "$d/arm64-2.json" "to_arm64"
    same "$d/x86-2.json" "$d/win-2.json" "to_windows"
    same "$d/x86-2.json" "$d/s390x-b.json" "windows_arm64_to_s390x"
    # the program of the README's Windows line: all four headers, file backend, one command
    local native wink
    native=$("$d/xstore" kernel 2>/dev/null)
    wink=$(wine "$(exe_for win xstore)" kernel 2>/dev/null | tr -d '\r')
    if [ -n "$native" ] && [ "$native" = "$wink" ]; then
        echo "PASS win_kernel: wine runs the $wink kernel, as the native build on this CPU does"
    else
        fail "win_kernel: wine chose '$wink', the native build '$native'"
    fi
}

# LLMSPELL_NO_OS for a Cortex-M4 with newlib: every header compiles warning-free, a program
# using all four links; the text size of each header's implementation at -Os.
no_os() {
    local d=$OUT/no_os h m sizes="" cc="arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
    need arm-none-eabi-gcc gcc-arm-none-eabi || return
    [ -f /usr/lib/arm-none-eabi/newlib/libc.a ] || [ -d /usr/lib/arm-none-eabi/newlib ] ||
        { fail "no_os_toolchain: newlib is missing (apt-get install -y libnewlib-arm-none-eabi)"; return; }
    mkdir -p "$d"
    for h in kv vec graph export; do
        m=$(echo $h | tr a-z A-Z)
        printf '#define LLMSPELL_%s_IMPLEMENTATION\n#include "llmspell_%s.h"\n' "$m" "$h" > "$d/$h.c"
        if ! $cc -std=c99 -Os -Wall -Wextra -Werror -DLLMSPELL_NO_OS -I. -c "$d/$h.c" -o "$d/$h.o" 2> "$d/$h.log"; then
            fail "no_os_compile_$h: $(head -3 "$d/$h.log" | tr '\n' ' ')"
            continue
        fi
        sizes="$sizes $h $(arm-none-eabi-size "$d/$h.o" | awk 'NR==2 {print $1}')"
    done
    # its answers, checked where it can run: on this host, under the sanitizers
    if cc -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -Wall -Wextra -Werror -I. \
        tests/no_os.c -o "$d/no_os_host" -lm 2> "$d/host.log" && "$d/no_os_host" >> "$d/host.log" 2>&1; then
        echo "PASS no_os_host_run: kv, tenant view, vec search, graph versions and export with no OS layer"
    else
        fail "no_os_host_run: $(tail -3 "$d/host.log" | tr '\n' ' ')"
    fi
    if $cc -std=c99 -Os -Wall -Wextra -Werror -I. tests/no_os.c -o "$d/no_os.elf" --specs=nosys.specs -lm 2> "$d/link.log"; then
        echo "PASS no_os_cortex_m4_link: text bytes at -Os:$sizes; whole program $(arm-none-eabi-size "$d/no_os.elf" | awk 'NR==2 {print $1}')"
    else
        fail "no_os_cortex_m4_link: $(grep -m3 -E 'error|warning' "$d/link.log" | tr '\n' ' ')"
    fi
}

one() { # PLATFORM
    case $1 in
    xstore) xstore ;;
    no_os) no_os ;;
    *) platform "$1" ;;
    esac
}

# the wine prefix is made once, before two jobs could race to make it
case " $PLATFORMS " in *" win "* | *" xstore "*) command -v wine >/dev/null 2>&1 && wine wineboot -i >/dev/null 2>&1 ;; esac

# a small job pool: at most JOBS platforms at once, each writing $OUT/<platform>.out
running=0
for p in $PLATFORMS; do
    if [ "$running" -ge "$JOBS" ]; then
        wait -n
        running=$((running - 1))
    fi
    (
        start=$(date +%s)
        one "$p"
        echo "note: platform $p: $(( $(date +%s) - start )) s"
    ) > "$OUT/$p.out" 2>&1 &
    running=$((running + 1))
done
wait
fails=0
for p in $PLATFORMS; do
    cat "$OUT/$p.out"
    fails=$((fails + $(grep -c '^FAIL ' "$OUT/$p.out")))
done
[ $fails -eq 0 ]
