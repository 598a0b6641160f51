#!/usr/bin/env bash
# tests/msvc_check.sh: do the headers compile the way MSVC (cl.exe, x64) compiles them?
# MSVC cannot run here, so clang stands in for it: --target=x86_64-pc-windows-msvc with
# -fms-compatibility -fms-extensions -fms-compatibility-version=19.30 (_MSC_VER 1930, VS 2022;
# _WIN32, _WIN64, _M_X64, _M_AMD64 defined, __GNUC__ not), against MSVC-style headers: wine's
# C runtime and Windows SDK headers (libwine-dev), clang's own intrin.h / immintrin.h (which in
# MSVC mode declare __cpuidex, _xgetbv, _BitScanReverse64 ... as MSVC's do), and two small
# corrections to wine's headers in tests/msvc/. Each translation unit is compiled to an object
# (code generation catches what -fsyntax-only does not, e.g. an intrinsic used without its
# target feature). Two configurations, each in C (cl /std:c11) and C++ (cl's default C++14):
#   msvc_*      cl.exe. After the system headers, every macro clang predefines and cl.exe does
#               not is undefined (__clang__, __x86_64__, __SSE2__, __AVX2__, __SIZEOF_INT128__,
#               __BYTE_ORDER__, __STDC__ ...; __cplusplus is 199711L as with cl.exe), so the
#               headers take exactly cl.exe's branches (`_MSC_VER && !__clang__` included).
#               All x86 features are enabled, so intrinsics are usable in any function, as with
#               cl.exe. GNU spellings cl.exe rejects (__attribute__, asm, __asm__, __extension__,
#               __int128, typeof, and every __builtin_ function the headers name) are poisoned
#               for the headers' code; -pedantic reports other GNU C (statement expressions,
#               case ranges, zero-size arrays, VLAs).
#   clangcl<N>_* clang-cl as it is (clang N defines __clang__ and _MSC_VER, GNU extensions work),
#               with its own immintrin.h (before clang 19 it declares only the enabled features'
#               intrinsics in MSVC mode: llvm-project issue 53520).
# Then msvc_branches: each branch of every #if chain naming a compiler or platform macro, and
# which configuration compiles it (listed with -v or MSVC_CHECK_VERBOSE=1; the table is kept in
# build/msvc/probe/table); FAIL if a branch whose condition names _MSC_VER positively (x86-64 or
# no architecture) is compiled by neither.
# Every object must also need no symbol an MSVC link lacks by default (only DLL imports, the
# C runtime's as wine's ucrtbase/vcruntime140 import libraries list them, and the family's own).
# Prints PASS/FAIL lines, exits 1 on any FAIL; a missing tool is a FAIL naming the package.
# Needs (Debian): clang (any version; 14 here; brings libclang-common-<N>-dev, clang's headers),
# llvm (llvm-nm), libwine-dev (wine's headers and import libraries).
set -u
cd "$(dirname "$0")/.." || exit 1
OUT=build/msvc
rm -rf "$OUT"
mkdir -p "$OUT"
CLANG=${CLANG:-clang}
VERBOSE=${MSVC_CHECK_VERBOSE:-0}
[ "${1:-}" = -v ] && VERBOSE=1
WINE_INC=/usr/include/wine/wine
M=tests/msvc
HEADERS="kv vec graph export"
fails=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
start=$(date +%s)

command -v "$CLANG" >/dev/null 2>&1 || { fail "msvc_toolchain: $CLANG is missing (apt-get install -y clang)"; exit 1; }
[ -f "$WINE_INC/msvcrt/io.h" ] && [ -f "$WINE_INC/windows/windows.h" ] ||
    { fail "msvc_toolchain: wine's MSVC-style headers ($WINE_INC) are missing (apt-get install -y libwine-dev)"; exit 1; }
RES=$("$CLANG" -print-resource-dir)/include
CLANG_MAJOR=$(echo __clang_major__ | "$CLANG" -E -P -x c - 2>/dev/null | tr -d ' \n')
[ -f "$RES/intrin.h" ] ||
    { fail "msvc_toolchain: clang's intrin.h is missing (apt-get install -y libclang-common-$CLANG_MAJOR-dev)"; exit 1; }

COMMON=(--target=x86_64-pc-windows-msvc -fms-compatibility -fms-extensions -fms-compatibility-version=19.30
    -nostdinc -isystem "$M/include" -isystem "$RES" -isystem "$WINE_INC/msvcrt" -isystem "$WINE_INC/windows"
    -include "$M/sdk_fixups.h" -Wall -Wextra -Werror -O0)
CL=(-pedantic -Wno-language-extension-token -Wno-builtin-macro-redefined -Wundef -Wvla
    -msse4.2 -mssse3 -mpopcnt -mavx2 -mfma -mf16c -mbmi -mbmi2 -mlzcnt -mpclmul -maes -mxsave
    -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512cd -mavx512vnni -mavxvnni)
CLANGCL=()
langf() { # c|cpp: the language flags in lf
    if [ "$1" = c ]; then lf=(-x c -std=c11); else lf=(-x c++ -std=c++14); fi
}

# The translation units: each header with its IMPLEMENTATION macro, and all four together.
WHATS="$HEADERS all"
for w in $WHATS; do
    if [ "$w" = all ]; then
        printf '#define LLMSPELL_IMPLEMENTATION\n'
        for h in $HEADERS; do printf '#include "llmspell_%s.h"\n' "$h"; done
    else
        printf '#define LLMSPELL_%s_IMPLEMENTATION\n#include "llmspell_%s.h"\n' "$(echo "$w" | tr '[:lower:]' '[:upper:]')" "$w"
    fi > "$OUT/$w.c"
    printf 'int llmspell_msvc_check_unit;\n' >> "$OUT/$w.c"
done

# cl.exe's predefined macros (x64, VS 2022): kept. So are clang's value macros (__INT_MAX__,
# __FLT_EPSILON__ ...), which clang's <limits.h> / <float.h> macros expand to in the
# headers' code (with clang-cl too); every other clang predefine is undefined.
CL_KEEP='^(_MSC_VER|_MSC_FULL_VER|_MSC_BUILD|_MSC_EXTENSIONS|_MSVC_LANG|_MSVC_EXECUTION_CHARACTER_SET|_WIN32|_WIN64|_M_X64|_M_AMD64|_INTEGRAL_MAX_BITS|_MT|_CPPRTTI|_CPPUNWIND|_NATIVE_WCHAR_T_DEFINED|_WCHAR_T_DEFINED|__STDC_HOSTED__|__STDC_VERSION__|__cplusplus|__STDCPP_DEFAULT_NEW_ALIGNMENT__|__STDCPP_THREADS__|__CHAR_BIT__|__FLT_RADIX__)$'
CL_VALUE='_(TYPE|MAX|MIN|WIDTH|EPSILON|DIG|MANT_DIG|MAX_EXP|MIN_EXP|MAX_10_EXP|MIN_10_EXP|DENORM_MIN|NORM_MAX|HAS_DENORM|HAS_INFINITY|HAS_QUIET_NAN|DECIMAL_DIG|EVAL_METHOD|C_SUFFIX|FMT[a-zA-Z]*)__$'
for l in c cpp; do
    langf $l
    "$CLANG" "${COMMON[@]}" "${CL[@]}" "${lf[@]}" -dM -E /dev/null 2>/dev/null | awk '{ sub(/\(.*/, "", $2); print $2 }' |
        grep -v -E "$CL_KEEP" | grep -v -E "$CL_VALUE" | sed 's/^/#undef /' > "$OUT/cl_undef_$l.h"
    [ -s "$OUT/cl_undef_$l.h" ] || fail "msvc_toolchain: $CLANG -dM -E failed for $l"
done
# The system headers the llmspell headers include directly when compiled as by cl.exe: read
# first, with clang's macros; the llmspell headers' own includes of them are then no-ops.
# The poison follows them: wine's macros may expand to GNU spellings where the SDK's do not.
POISON="__attribute__ __asm__ __asm asm __extension__ __int128 __typeof__ __typeof typeof $(grep -oh '__builtin_[A-Za-z0-9_]*' llmspell_*.h | sort -u | tr '\n' ' ')"
langf c
{ echo '#include "cl_undef_c.h"'; echo "#include \"../../$M/cl_predef.h\""; cat "$OUT/all.c"; } > "$OUT/syshdr.c"
"$CLANG" "${COMMON[@]}" "${CL[@]}" "${lf[@]}" -I. -E -H -o /dev/null "$OUT/syshdr.c" 2> "$OUT/syshdr.log"
awk '/^\.+ / { d = length($1); f = $2; st[d] = f
               if (d > 1 && st[d - 1] ~ /llmspell_[a-z]+\.h$/ && f !~ /llmspell_[a-z]+\.h$/ && !seen[f]++) print f }' \
    "$OUT/syshdr.log" > "$OUT/syshdr.list"
[ -s "$OUT/syshdr.list" ] || fail "msvc_toolchain: no system headers found ($(head -2 "$OUT/syshdr.log" | tr '\n' ' '))"
for w in $WHATS; do
    for l in c cpp; do
        { sed -e "s|^$M/include/||; s|^$RES/||; s|^$WINE_INC/msvcrt/||; s|^$WINE_INC/windows/||" \
              -e 's/.*/#include <&>/' "$OUT/syshdr.list"
          echo "#include \"cl_undef_$l.h\""
          echo "#include \"../../$M/cl_predef.h\""
          echo "#pragma GCC poison $POISON"
          cat "$OUT/$w.c"; } > "$OUT/$w.cl_$l.c"
    done
done

# The object's undefined symbols must be ones an MSVC link resolves by default: DLL imports,
# the C runtime's (the functions wine's ucrtbase / vcruntime140 import libraries define, plus
# the compiler support symbols of the static CRT: __chkstk, _fltused, /GS and SEH helpers) and
# the family's own. Anything else (e.g. __cpu_model from __builtin_cpu_supports: clang's
# compiler-rt, which neither link.exe nor clang-cl adds by default) is an unresolved external.
LINK_OK='^(__imp_.*|llmspell_.*|__chkstk|_fltused|__security_cookie|__security_check_cookie|__GSHandlerCheck|__C_specific_handler|__CxxFrameHandler[34]|_tls_index|_Init_thread_.*)$'
NM=$(command -v llvm-nm || command -v "llvm-nm-$CLANG_MAJOR")
[ -n "$NM" ] || fail "msvc_toolchain: llvm-nm is missing (apt-get install -y llvm)"
WINE_LIB=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows
if [ -n "$NM" ] && [ -f "$WINE_LIB/libucrtbase.a" ]; then
    "$NM" --defined-only "$WINE_LIB/libucrtbase.a" "$WINE_LIB/libvcruntime140.a" 2>/dev/null |
        awk 'NF == 3 { print $3 }' | sort -u > "$OUT/crt.syms"
else
    fail "msvc_toolchain: wine's ucrtbase import library ($WINE_LIB) is missing (apt-get install -y libwine-dev)"
    : > "$OUT/crt.syms"
fi
compile() { # NAME SOURCE FLAGS...: compile to an object, PASS or FAIL with the first errors
    local name=$1 src=$2 log="$OUT/$1.log" bad
    shift 2
    if "$CLANG" "${COMMON[@]}" "$@" -I. -c "$src" -o "$OUT/$name.obj" > "$log" 2>&1; then
        bad=$([ -n "$NM" ] && "$NM" --undefined-only "$OUT/$name.obj" | awk '{ print $NF }' | grep -v -E "$LINK_OK" | grep -v -x -F -f "$OUT/crt.syms" | tr '\n' ' ')
        if [ -n "$bad" ]; then
            echo "FAIL $name: compiles, but needs symbols an MSVC link does not provide by default: $bad"
        else
            echo "PASS $name"
        fi
    else
        echo "FAIL $name: $(grep -E 'error|warning' "$log" | grep -v 'errors generated' | head -4 | sed 's|^\./||' | tr '\n' ' ')"
    fi
}
# All the compiles in parallel, printed in order.
n=0
for l in c cpp; do
    langf $l
    for w in $WHATS; do
        n=$((n + 1)); compile "msvc_${w}_$l" "$OUT/$w.cl_$l.c" "${CL[@]}" "${lf[@]}" > "$OUT/r.$n.msvc" &
    done
done
for l in c cpp; do
    langf $l
    for w in $WHATS; do
        n=$((n + 1)); compile "clangcl${CLANG_MAJOR}_${w}_$l" "$OUT/$w.c" "${CLANGCL[@]}" "${lf[@]}" > "$OUT/r.$n.cc" &
    done
done
wait
for i in $(seq 1 $n); do cat "$OUT"/r.$i.*; done
fails=$((fails + $(cat "$OUT"/r.* | grep -c '^FAIL')))

# msvc_branches: instrumented copies of the headers (a marker after each #if/#elif/#else),
# `all` preprocessed in both configurations.
P=$OUT/probe
mkdir -p "$P"
: > "$P/table"
for h in $HEADERS; do
    awk -v META="$P/$h.meta" -v TAG="$h" -f "$M/probe.awk" "llmspell_$h.h" > "$P/llmspell_$h.h"
done
langf c
for cfg in cl clangcl; do
    if [ $cfg = cl ]; then src=$OUT/all.cl_c.c flags=("${CL[@]}"); else src=$OUT/all.c flags=("${CLANGCL[@]}"); fi
    "$CLANG" -I"$P" "${COMMON[@]}" "${flags[@]}" "${lf[@]}" -E -P "$src" 2> "$P/$cfg.err" |
        grep -o 'LLMSPELL_MSVC_PROBE_[a-z]*_[0-9]*' | sed 's/LLMSPELL_MSVC_PROBE_//' | sort -u > "$P/$cfg.taken"
    [ -s "$P/$cfg.taken" ] || fail "msvc_branches: preprocessing for $cfg failed: $(head -2 "$P/$cfg.err" | tr '\n' ' ')"
done
for h in $HEADERS; do
    awk -F'\t' -v H="$h" -v CLF="$P/cl.taken" -v CCF="$P/clangcl.taken" '
        BEGIN { while ((getline l < CLF) > 0) cl[l] = 1; while ((getline l < CCF) > 0) cc[l] = 1 }
        { line[NR] = $1; ch[NR] = $2; txt[NR] = $3
          if ($3 ~ /_MSC_VER|__clang__|__GNUC__|__MINGW|_WIN32|_WIN64|_M_X64|_M_AMD64|_M_IX86|_M_ARM|__x86_64__|__i386__|__aarch64__|__arm__|__ARM_|__SSE|__AVX|__SIZEOF_INT128__|__BYTE_ORDER__|__LITTLE_ENDIAN__|__has_builtin|__has_attribute/) mark[$2] = 1 }
        END { for (i = 1; i <= NR; i++) if (mark[ch[i]])
                  printf "llmspell_%s.h:%d\t%s\t%s\t%s\t%s\n", H, line[i], ((H "_" line[i]) in cl) ? "cl" : "-",
                      ((H "_" line[i]) in cc) ? "clang-cl" : "-", txt[i], H ":" ch[i] }' \
        "$P/$h.meta" >> "$P/table"
done
# Required: names _MSC_VER positively, not for ARM, and no earlier branch of its chain is the
# one cl.exe takes on x64 (a later `#elif defined(_MSC_VER)` is then for other targets).
never=$(awk -F'\t' '$4 ~ /_MSC_VER/ && $4 !~ /! *defined *\(? *_MSC_VER|#ifndef _MSC_VER|_M_ARM|__aarch64__|__arm__/ &&
                    $2 == "-" && $3 == "-" && !clseen[$5] { printf "%s %s; ", $1, $4 }
                    $2 == "cl" { clseen[$5] = 1 }' "$P/table")
[ "$VERBOSE" = 1 ] && awk -F'\t' '{ printf "INFO msvc_branch %-26s %-2s %-8s %s\n", $1, $2, $3, $4 }' "$P/table"
n_cl_only=$(awk -F'\t' '$2 == "cl" && $3 == "-"' "$P/table" | wc -l)
n_cc_only=$(awk -F'\t' '$2 == "-" && $3 == "clang-cl"' "$P/table" | wc -l)
if [ -n "$never" ]; then
    fail "msvc_branches: MSVC x64 branches compiled by neither configuration: $never"
else
    echo "PASS msvc_branches ($(wc -l < "$P/table") branches in compiler/platform #if chains: $n_cl_only compiled only as by cl.exe, $n_cc_only only by clang-cl; -v lists them)"
fi
echo "msvc_check: $(($(date +%s) - start))s"
[ "$fails" -eq 0 ]
