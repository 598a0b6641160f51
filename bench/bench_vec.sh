#!/bin/sh
# bench_vec.sh - locates the peers of bench/bench_vec.cpp. Nothing is vendored into the repository.
#
#   sh bench/bench_vec.sh hnswlib          exit 0 if <hnswlib/hnswlib.h> is installed, else say how to get it
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
*)
    echo "usage: sh bench/bench_vec.sh hnswlib | simsimd [DIR]" >&2
    exit 2
    ;;
esac
