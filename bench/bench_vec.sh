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
set -u

case "${1:-}" in
hnswlib)
    if [ -f /usr/include/hnswlib/hnswlib.h ]; then exit 0; fi
    echo "bench: hnswlib is missing: apt-get install -y libhnswlib-dev   (Debian/Ubuntu; header-only C++ library)"
    exit 1
    ;;
simsimd)
    dir="${2:-/tmp/simsimd/package}"
    if [ -f "$dir/include/simsimd/simsimd.h" ] && [ -f "$dir/c/lib.c" ]; then exit 0; fi
    parent=$(dirname "$dir")
    case "$parent" in
    "$(pwd)"|"$(pwd)"/*) echo "bench: refusing to fetch SimSIMD inside the repository ($parent)"; exit 1 ;;
    esac
    if ! command -v npm >/dev/null 2>&1; then
        echo "bench: SimSIMD not available (npm is missing; install Node.js/npm, or put the simsimd npm package in $dir): the kernel comparison runs without it"
        exit 1
    fi
    mkdir -p "$parent" || exit 1
    echo "bench: fetching SimSIMD into $parent (npm pack simsimd)"
    tgz=$(cd "$parent" && npm pack simsimd --silent 2>/dev/null | tail -n 1)
    if [ -z "$tgz" ] || [ ! -f "$parent/$tgz" ] || ! mkdir -p "$dir" || ! tar -xzf "$parent/$tgz" -C "$dir" --strip-components=1 ||
        [ ! -f "$dir/include/simsimd/simsimd.h" ] || [ ! -f "$dir/c/lib.c" ]; then
        echo "bench: SimSIMD not available (npm pack simsimd failed or the package has no C sources in $dir): the kernel comparison runs without it"
        exit 1
    fi
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
    echo "usage: sh bench/bench_vec.sh hnswlib | simsimd [DIR] | before-after [N]" >&2
    exit 2
    ;;
esac
