# llmspell-c: make demo | make test | make bench
CC     ?= cc
CXX    ?= c++
CFLAGS ?= -O2 -g
WARN    = -Wall -Wextra -Wpedantic
SAN     = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
TSAN    = -fsanitize=thread
HEADERS = $(wildcard llmspell_*.h)

.PHONY: all demo test bench bench-vec bench-vec-quick fuzz clean
all: build/llmspell build/demo build/test_kv build/crash_kv build/crashsim_kv build/test_vec build/test_graph build/test_json build/test_export

build:
	mkdir -p build

build/demo: examples/demo.c $(HEADERS) | build
	@test -f /usr/include/sqlite3.h || { echo "make: the demo imports into SQLite: apt-get install -y libsqlite3-dev"; exit 1; }
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. -DLLMSPELL_KV_SQLITE $< -o $@ -lsqlite3 -lm

# The command-line tool (tools/llmspell.c's first line is the same build as one cc command).
# the tool speaks PostgreSQL when libpq-dev is installed
CLI_PG = $(if $(wildcard /usr/include/postgresql/libpq-fe.h),$(PG),)
CLI_PQ = $(if $(wildcard /usr/include/postgresql/libpq-fe.h),-lpq,)
build/llmspell: tools/llmspell.c $(HEADERS) | build
	@test -f /usr/include/sqlite3.h || { echo "make: llmspell needs SQLite: apt-get install -y libsqlite3-dev"; exit 1; }
	$(CC) -std=c99 $(CFLAGS) $(WARN) $(CLI_PG) -I. $< -o $@ -lsqlite3 $(CLI_PQ) -lm

build/llmspell_san: tools/llmspell.c $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(CLI_PG) -I. $< -o $@ -lsqlite3 $(CLI_PQ) -lm

build/test_kv: tests/test_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3

build/test_kv_san: tests/test_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3

# The PostgreSQL backend (libpq-dev; make test starts a server for them: tests/pg_server.sh)
PG = -DLLMSPELL_KV_POSTGRES -I$(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
build/test_kv_pg: tests/test_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq
build/test_kv_pg_san: tests/test_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq
build/test_vec_pg: tests/test_vec.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq -lm
build/test_graph_pg: tests/test_graph.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq -lm
build/test_export_pg: tests/test_export.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq -lm
build/isolation_pg: tests/isolation.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) $(PG) -I. $< -o $@ -lsqlite3 -lpq -lm

# One store shared by threads: plain, under ThreadSanitizer (a race fails the test) and ASan.
build/test_threads_kv: tests/test_threads_kv.c tests/harness.h tests/failalloc.h tests/gate.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3 -lm -pthread

build/test_threads_kv_tsan: tests/test_threads_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(TSAN) $(WARN) -I. $< -o $@ -lsqlite3 -lm -pthread

build/test_threads_kv_san: tests/test_threads_kv.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3 -lm -pthread

build/test_threads_graph: tests/test_threads_graph.c tests/harness.h tests/gate.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_graph_tsan: tests/test_threads_graph.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(TSAN) $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_graph_san: tests/test_threads_graph.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lm -pthread

# the same checks with every lock compiled out: threads run one after another
build/test_threads_graph_nt: tests/test_threads_graph.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g -DLLMSPELL_NO_THREADS $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_vec: tests/test_threads_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_vec_tsan: tests/test_threads_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(TSAN) $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_vec_san: tests/test_threads_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lm -pthread

# the "wide" builds give an index 4-byte links from its 201st node (16,777,217th otherwise), so
# that the suites cross the widening and run on both link widths
build/test_threads_vec_wide_tsan: tests/test_threads_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(TSAN) -DLLMSPELL__LINK3_NODES=200 $(WARN) -I. $< -o $@ -lm -pthread

build/test_threads_vec_nt: tests/test_threads_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g -DLLMSPELL_NO_THREADS $(WARN) -I. $< -o $@ -lm -pthread

build/crash_kv: tests/crash_kv.c $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@

build/crash_kv_san: tests/crash_kv.c $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@

build/crashsim_kv: tests/crashsim_kv.c $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@

build/crashsim_kv_san: tests/crashsim_kv.c $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@

build/corrupt_kv: tests/corrupt_kv.c $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lm

build/corrupt_kv_san: tests/corrupt_kv.c $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lm

build/test_vec: tests/test_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/test_vec_san: tests/test_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/test_vec_wide_san: tests/test_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) -DLLMSPELL__LINK3_NODES=200 $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/test_vec_wide_nt: tests/test_vec.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g -DLLMSPELL_NO_THREADS -DLLMSPELL__LINK3_NODES=200 $(WARN) -I. $< -o $@ -lsqlite3 -lm

# bench_vec: llmspell_vec against hnswlib (Debian libhnswlib-dev), SimSIMD (npm package simsimd,
# fetched into $(SIMSIMD)) and usearch (npm package usearch, into $(USEARCH)), outside the repository. Every part is built with -O2 -DNDEBUG and no
# -march: our kernels dispatch at run time, hnswlib uses what the compiler enables by default.
SIMSIMD ?= /tmp/simsimd/package
USEARCH ?= /tmp/usearch/package

build/bench_vec: bench/bench_vec.cpp bench/vec_impl.c bench/bench_vec.sh $(HEADERS) | build
	@sh bench/bench_vec.sh hnswlib
	$(CC) -std=c99 -O2 -DNDEBUG -I. -c bench/vec_impl.c -o build/vec_impl.o
	@peers=""; objs=""; \
	if sh bench/bench_vec.sh simsimd $(SIMSIMD); then \
	    $(CC) -O2 -DNDEBUG -I$(SIMSIMD)/include -c $(SIMSIMD)/c/lib.c -o build/simsimd.o || exit 1; \
	    peers="-DBENCH_SIMSIMD -isystem $(SIMSIMD)/include"; objs=build/simsimd.o; \
	else echo "bench: SimSIMD not available: building bench_vec without it (the kernel lines say so)"; fi; \
	if sh bench/bench_vec.sh usearch $(USEARCH); then \
	    peers="$$peers -DBENCH_USEARCH -DUSEARCH_USE_NUMKONG=1 -DNK_DYNAMIC_DISPATCH=1 -DNK_NATIVE_F16=0 -DNK_NATIVE_BF16=0"; \
	    peers="$$peers -isystem $(USEARCH)/include -isystem $(USEARCH)/numkong/include"; objs="$$objs $(USEARCH)/../numkong-o/*.o"; \
	else echo "bench: usearch not available: building bench_vec without it (the quantized lines say so)"; fi; \
	set -x; $(CXX) -std=c++17 -O2 -DNDEBUG -I. $$peers $< build/vec_impl.o $$objs -o $@ -lm -pthread

bench-vec: build/bench_vec
	./build/bench_vec

bench-vec-quick: build/bench_vec
	./build/bench_vec --quick

build/test_graph: tests/test_graph.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3

build/test_graph_san: tests/test_graph.c tests/harness.h tests/failalloc.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3

build/test_json: tests/test_json.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@

build/test_json_san: tests/test_json.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@

# the portable paths (no SSE2 or SSSE3) on this machine too, under the sanitizers
build/test_json_nosimd_san: tests/test_json.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -DLLMSPELL_EXPORT_NO_SIMD -I. $< -o $@

build/bench_json: bench/bench_json.c $(HEADERS) | build
	@test -f /usr/include/cjson/cJSON.h || { echo "bench: cJSON is missing: apt-get install -y libcjson-dev"; exit 1; }
	$(CC) -std=c99 -O2 -DNDEBUG -I. $< -o $@ -lcjson -lm

# simdjson is bench_json's second peer (C++, the DOM parser); built when its header is there
build/bench_simdjson: bench/bench_simdjson.cpp | build
	$(CXX) -std=c++17 -O2 -DNDEBUG $< -o $@ -lsimdjson

# one program of three files with different limits in each (tests/split/main.c)
build/split: tests/split/main.c tests/split/impl_kv_vec.c tests/split/impl_export_graph.c $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. tests/split/main.c tests/split/impl_kv_vec.c tests/split/impl_export_graph.c -o $@ -lm

build/test_export: tests/test_export.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/test_export_san: tests/test_export.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/isolation: tests/isolation.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 $(CFLAGS) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/isolation_san: tests/isolation.c tests/harness.h $(HEADERS) | build
	$(CC) -std=c99 -O1 -g $(SAN) $(WARN) -I. $< -o $@ -lsqlite3 -lm

build/bench_export: bench/bench_export.c $(HEADERS) | build
	$(CC) -std=c99 -O2 -DNDEBUG -I. $< -o $@ -lsqlite3 -lm

build/bench_graph: bench/bench_graph.c bench/graph_no_threads.c bench/graph_threads_bench.h $(HEADERS) | build
	@test -f /usr/include/sqlite3.h || { echo "bench: SQLite is missing: apt-get install -y libsqlite3-dev"; exit 1; }
	$(CC) -std=c99 -O2 -DNDEBUG -I. bench/bench_graph.c bench/graph_no_threads.c -o $@ -lsqlite3 -lm -pthread

build/bench_kv_pg: bench/bench_kv_pg.c $(HEADERS) | build
	$(CC) -std=c99 -O2 -DNDEBUG $(PG) -I. $< -o $@ -lpq -lsqlite3

build/bench_kv: bench/bench_kv.c $(HEADERS) | build
	@test -f /usr/include/lmdb.h || { echo "bench: LMDB is missing: apt-get install -y liblmdb-dev"; exit 1; }
	@test -f /usr/include/sqlite3.h || { echo "bench: SQLite is missing: apt-get install -y libsqlite3-dev"; exit 1; }
	$(CC) -std=c99 -O2 -DNDEBUG -I. $< -o $@ -llmdb -lsqlite3

# Threads: the same store code twice, with and without the sync layer (bench/kv_no_threads.c).
build/bench_kv_threads: bench/bench_kv_threads.c bench/kv_no_threads.c bench/kv_threads_bench.h $(HEADERS) | build
	@test -f /usr/include/lmdb.h || { echo "bench: LMDB is missing: apt-get install -y liblmdb-dev"; exit 1; }
	$(CC) -std=c99 -O2 -DNDEBUG -I. bench/bench_kv_threads.c bench/kv_no_threads.c -o $@ -llmdb -pthread

# Builds everything, then runs the end-to-end story on the file backend (the embedded default).
demo: all
	cd build && ./demo
	@echo "next: ./build/llmspell --help (the command-line tool), make test, make bench"

# Everything: compile checks (C99 and C++, gcc and clang, -Werror), the suites, the same
# suites under ASan+UBSan, the crash test. Ends with "N passed, M failed".
test: build/llmspell build/llmspell_san build/test_kv build/test_kv_san build/test_kv_pg build/test_kv_pg_san \
      build/test_vec_pg build/test_graph_pg build/test_export_pg build/isolation_pg build/crash_kv build/crash_kv_san build/crashsim_kv build/crashsim_kv_san \
      build/corrupt_kv build/corrupt_kv_san build/test_threads_kv build/test_threads_kv_tsan build/test_threads_kv_san \
      build/test_threads_graph build/test_threads_graph_tsan build/test_threads_graph_san build/test_threads_graph_nt \
      build/test_threads_vec build/test_threads_vec_tsan build/test_threads_vec_san build/test_threads_vec_nt build/test_threads_vec_wide_tsan \
      build/test_vec build/test_vec_san build/test_vec_wide_san build/test_vec_wide_nt build/test_graph build/test_graph_san build/test_json build/test_json_san build/test_json_nosimd_san \
      build/test_export build/test_export_san build/isolation build/isolation_san build/split
	bash tests/run.sh

bench: build/bench_kv build/bench_kv_threads build/bench_vec build/bench_graph build/bench_json build/bench_export
	./build/bench_kv
	./build/bench_kv_threads
	@if [ -f /usr/include/postgresql/libpq-fe.h ] && ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then \
		$(MAKE) --no-print-directory build/bench_kv_pg && bash bench/bench_kv_pg.sh; \
	else echo "bench: PostgreSQL is missing (apt-get install -y postgresql libpq-dev): the kv postgres lines are skipped"; fi
	./build/bench_vec
	./build/bench_graph
	@if [ -f /usr/include/simdjson.h ]; then $(MAKE) --no-print-directory build/bench_simdjson; \
	else echo "bench: simdjson is missing (apt-get install -y libsimdjson-dev): the json simdjson figures are skipped"; fi
	./build/bench_json
	./build/bench_export

# libFuzzer targets (clang, Debian libclang-rt-14-dev), a minute each; make test runs 5 s each
fuzz:
	bash fuzz/run.sh 60

clean:
	rm -rf build
