#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: initdb into a new directory, listening on a unix
# socket in that directory only (no TCP, so no port can clash: the port only names the socket),
# fsync off (the tests check our behaviour, not the server's disks; LLMSPELL_PG_FSYNC=on for
# benchmarks of durable commits).
#   eval "$(bash tests/pg_server.sh start)"   sets LLMSPELL_TEST_PG (a conninfo) and LLMSPELL_TEST_PG_DIR
#   bash tests/pg_server.sh stop DIR           stops it and removes DIR
# As root the server runs as the postgres user (initdb refuses root). Exits non-zero, saying
# why, when PostgreSQL is not installed or does not start.
set -u
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
case ${1:-} in
start)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
        echo "pg_server: PostgreSQL is not installed (apt-get install postgresql)" >&2
        exit 1
    fi
    dir=$(mktemp -d /tmp/llmspell-pg.XXXXXX)
    as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$dir"
        as=(runuser -u postgres --)
    fi
    if ! "${as[@]}" "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C -N > "$dir/initdb.log" 2>&1; then
        echo "pg_server: initdb failed:" >&2
        tail -5 "$dir/initdb.log" >&2
        exit 1
    fi
    if ! "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-c listen_addresses='' -k $dir -p 5432 -c fsync=${LLMSPELL_PG_FSYNC:-off} -c max_connections=50" > /dev/null 2>&1; then
        echo "pg_server: the server did not start:" >&2
        tail -5 "$dir/server.log" >&2
        exit 1
    fi
    echo "export LLMSPELL_TEST_PG='host=$dir port=5432 user=postgres dbname=postgres'"
    echo "export LLMSPELL_TEST_PG_DIR='$dir'"
    ;;
stop)
    dir=${2:?usage: pg_server.sh stop DIR}
    as=()
    [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
    "${as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1
    rm -rf "$dir"
    ;;
*)
    echo "usage: pg_server.sh start | stop DIR" >&2
    exit 2
    ;;
esac
