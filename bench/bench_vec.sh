#!/bin/sh
# bench_vec.sh - locates the peers of bench/bench_vec.cpp. Nothing is vendored into the repository.
#
#   sh bench/bench_vec.sh hnswlib          exit 0 if <hnswlib/hnswlib.h> is installed, else say how to get it
#   sh bench/bench_vec.sh before-after [N] builds build/bench_vec_before from the last commit's headers
#                                          (git show HEAD:..., into a temp dir) and build/bench_vec_after
#                                          from the work tree, the same way as build/bench_vec, then runs
#                                          `--only single` of each in turn N times (default 3): the cost
#                                          of the thread layer on one thread. Run it on an idle machine.
#   sh bench/bench_vec.sh simsimd [DIR]    make sure SimSIMD's C sources are in DIR (default
#                                          /tmp/simsimd/package): `npm pack simsimd` in DIR/.., untar into DIR.
#                                          Exit 0 when DIR/include/simsimd/simsimd.h and DIR/c/lib.c exist.
#   sh bench/bench_vec.sh usearch [DIR]    the same for usearch's C++ headers (default /tmp/usearch/package;
#                                          DIR/include/usearch/index_dense.hpp), and its NumKong kernels
#                                          compiled into DIR/../numkong-o as its Node build does.
set -u

# npm_fetch PACKAGE DIR FILE...: unpacks the npm package into DIR (npm pack in DIR/..) unless
# every FILE (relative to DIR) is there already; says why not and fails when it cannot.
npm_fetch() {
    pkg=$1 dir=$2
    shift 2
    have() { for f in "$@"; do [ -f "$dir/$f" ] || return 1; done; }
    have "$@" && return 0
    parent=$(dirname "$dir")
    case "$parent" in
    "$(pwd)"|"$(pwd)"/*) echo "bench: refusing to fetch $pkg inside the repository ($parent)"; return 1 ;;
    esac
    if ! command -v npm >/dev/null 2>&1; then
        echo "bench: $pkg not available (npm is missing; install Node.js/npm, or put the $pkg npm package in $dir)"
        return 1
    fi
    mkdir -p "$parent" || return 1
    echo "bench: fetching $pkg into $parent (npm pack $pkg)"
    tgz=$(cd "$parent" && npm pack "$pkg" --silent 2>/dev/null | tail -n 1)
    if [ -z "$tgz" ] || [ ! -f "$parent/$tgz" ] || ! mkdir -p "$dir" || ! tar -xzf "$parent/$tgz" -C "$dir" --strip-components=1 || ! have "$@"; then
        echo "bench: $pkg not available (npm pack $pkg failed or the package lacks $* in $dir)"
        return 1
    fi
}

case "${1:-}" in
hnswlib)
    if [ -f /usr/include/hnswlib/hnswlib.h ]; then exit 0; fi
    echo "bench: hnswlib is missing: apt-get install -y libhnswlib-dev   (Debian/Ubuntu; header-only C++ library)"
    exit 1
    ;;
simsimd)
    npm_fetch simsimd "${2:-/tmp/simsimd/package}" include/simsimd/simsimd.h c/lib.c || {
        echo "bench: the kernel comparison runs without SimSIMD"
        exit 1
    }
    exit 0
    ;;
usearch)
    dir="${2:-/tmp/usearch/package}"
    npm_fetch usearch "$dir" include/usearch/index_dense.hpp || exit 1
    # its SIMD kernels (NumKong, shipped in the package) compiled as its Node build does: probed
    # ISAs, run-time dispatch; into DIR/../numkong-o, which the Makefile links
    out="$(dirname "$dir")/numkong-o"
    [ -f "$out/.done" ] && exit 0
    command -v node >/dev/null 2>&1 || { echo "bench: usearch's NumKong needs node to probe the ISAs"; exit 1; }
    (cd "$dir/numkong" && node probes/probe.js >/dev/null 2>&1) || { echo "bench: NumKong's probe failed"; exit 1; }
    mkdir -p "$out" || exit 1
    for f in "$dir"/numkong/c/*.c; do
        ${CC:-cc} -std=c11 -O2 -w -Wno-psabi -DNK_NATIVE_F16=0 -DNK_NATIVE_BF16=0 -DNK_DYNAMIC_DISPATCH=1 -include "$dir/numkong/nk_probes.h" \
            -I"$dir/numkong/include" -c "$f" -o "$out/$(basename "$f" .c).o" || { echo "bench: NumKong $f failed"; exit 1; }
    done
    touch "$out/.done"
    exit 0
    ;;
before-after)
    runs="${2:-3}"
    sh "$0" hnswlib || exit 1
    head=$(mktemp -d /tmp/llmspell_head.XXXXXX) || exit 1
    mkdir -p "$head/bench" build || exit 1
    for f in llmspell_kv.h llmspell_vec.h llmspell_export.h llmspell_graph.h; do
        git show "HEAD:$f" > "$head/$f" || exit 1
    done
    cp bench/vec_impl.c "$head/bench/" || exit 1
    set -x
    ${CC:-cc} -std=c99 -O2 -DNDEBUG -I"$head" -c "$head/bench/vec_impl.c" -o build/vec_impl_before.o &&
        ${CXX:-c++} -std=c++17 -O2 -DNDEBUG -DBENCH_BEFORE -I"$head" bench/bench_vec.cpp build/vec_impl_before.o -o build/bench_vec_before -lm &&
        ${CC:-cc} -std=c99 -O2 -DNDEBUG -I. -c bench/vec_impl.c -o build/vec_impl_after.o &&
        ${CXX:-c++} -std=c++17 -O2 -DNDEBUG -I. bench/bench_vec.cpp build/vec_impl_after.o -o build/bench_vec_after -lm -pthread || exit 1
    set +x
    rm -rf "$head"
    i=0
    while [ "$i" -lt "$runs" ]; do # interleaved, so that a change of machine load hits both
        ./build/bench_vec_before --only single | grep '^vec' || exit 1
        ./build/bench_vec_after --only single | grep '^vec' || exit 1
        i=$((i + 1))
    done
    exit 0
    ;;
*)
    echo "usage: sh bench/bench_vec.sh hnswlib | simsimd [DIR] | usearch [DIR] | before-after [N]" >&2
    exit 2
    ;;
esac
