#!/usr/bin/env bash
# Runs build/bench_kv_pg on a throwaway PostgreSQL server with fsync on (tests/pg_server.sh).
set -u
cd "$(dirname "$0")/.."
env_lines=$(LLMSPELL_PG_FSYNC=on bash tests/pg_server.sh start) || exit 1
eval "$env_lines"
LLMSPELL_BENCH_PG=$LLMSPELL_TEST_PG ./build/bench_kv_pg "$@"
rc=$?
bash tests/pg_server.sh stop "$LLMSPELL_TEST_PG_DIR"
exit $rc
