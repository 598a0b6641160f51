/* bench_kv_pg.c - llmspell_kv's PostgreSQL backend against raw libpq on the same table (the
   wrapper's cost) and against llmspell_kv's SQLite backend, in one run.

   cc -std=c99 -O2 -DNDEBUG -DLLMSPELL_KV_POSTGRES -I/usr/include/postgresql -I. bench/bench_kv_pg.c -o build/bench_kv_pg -lpq -lsqlite3
   LLMSPELL_BENCH_PG=CONNINFO build/bench_kv_pg [--quick]
   (make bench starts a throwaway server with fsync on for it: tests/pg_server.sh)

   Data: N = 100,000 keys of 16 bytes ("p%03u/" prefix of 1,000 keys, then the key's number),
   100-byte values. Measured, single thread, each on a store of its own holding the same data:
     random get        N gets in a random order (ours: llmspell_kv_get; raw: the same prepared
                       SELECT with binary parameters)
     durable batches   commits of 1,000 new keys (ours: begin, 1,000 puts, commit; raw: the same
                       statements, pipelined as ours are; SQLite: WAL, synchronous=FULL)
     prefix scan       all 1,000 keys of a prefix (ours: an iterator, pages of 128 rows; raw: one
                       SELECT of the key range)
   Every loop checks what it reads. Output: "kv postgres <name>: ours X, raw libpq Y, ratio ...". */
#define _POSIX_C_SOURCE 200809L
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_KV_SQLITE
#include "../llmspell_kv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define VLEN 100
#define PER_PREFIX 1000
#define BATCH 1000

static size_t N, NCOMMITS, NSCANS;
static char workdir[256];

static void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "bench_kv_pg: FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}
#define KV_CHECK(kv, call)                                                                                    \
    do {                                                                                                      \
        llmspell_result r_ = (call);                                                                          \
        if (r_ != LLMSPELL_OK) die("%s:%d: %s -> %s (%s)", __FILE__, __LINE__, #call, llmspell_strerror(r_), llmspell_kv_errmsg(kv)); \
    } while (0)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void key_of(size_t i, char k[24]) { snprintf(k, 24, "p%03u/%011u", (unsigned)(i / PER_PREFIX) % 1000, (unsigned)i % 100000000u); } /* 16 bytes */
static void value_of(size_t i, uint8_t v[VLEN]) {
    size_t j;
    memcpy(v, &i, sizeof i);
    for (j = sizeof i; j < VLEN; j++) v[j] = (uint8_t)(i + j);
}
static int value_ok(size_t i, const void *v, size_t n) {
    size_t got;
    if (n != VLEN) return 0;
    memcpy(&got, v, sizeof got);
    return got == i;
}
static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- ours (either backend) ----------------------------------------------------------------- */

/* Commits of BATCH keys from `from`; keys per second. */
static double ours_batches(llmspell_kv *kv, size_t from, size_t commits) {
    size_t c, j;
    char k[24];
    uint8_t v[VLEN];
    double t0 = now_s();
    for (c = 0; c < commits; c++) {
        KV_CHECK(kv, llmspell_kv_begin(kv));
        for (j = 0; j < BATCH; j++) {
            size_t i = from + c * BATCH + j;
            key_of(i, k);
            value_of(i, v);
            KV_CHECK(kv, llmspell_kv_put(kv, k, 16, v, VLEN));
        }
        KV_CHECK(kv, llmspell_kv_commit(kv));
    }
    return (double)(commits * BATCH) / (now_s() - t0);
}

static double ours_gets(llmspell_kv *kv, const uint32_t *order) {
    size_t i;
    char k[24];
    double t0 = now_s();
    for (i = 0; i < N; i++) {
        const void *v;
        size_t vn;
        key_of(order[i], k);
        KV_CHECK(kv, llmspell_kv_get(kv, k, 16, &v, &vn));
        if (!value_ok(order[i], v, vn)) die("%s: wrong value for key %u", llmspell_kv_name(kv), (unsigned)order[i]);
    }
    return (double)N / (now_s() - t0);
}

/* Microseconds per autocommitted put of an existing key (the latency characteristics report). */
static double ours_put_latency(llmspell_kv *kv, size_t n) {
    size_t i;
    char k[24];
    uint8_t v[VLEN];
    double t0 = now_s();
    for (i = 0; i < n; i++) {
        key_of(i, k);
        value_of(i, v);
        KV_CHECK(kv, llmspell_kv_put(kv, k, 16, v, VLEN));
    }
    return (now_s() - t0) * 1e6 / (double)n;
}

/* Microseconds per scan of one prefix. */
static double ours_scans(llmspell_kv *kv, const uint32_t *prefixes) {
    size_t s;
    double t0 = now_s();
    for (s = 0; s < NSCANS; s++) {
        char p[8];
        llmspell_kv_iter *it;
        const void *k, *v;
        size_t kn, vn, n = 0;
        snprintf(p, sizeof p, "p%03u/", (unsigned)prefixes[s]);
        KV_CHECK(kv, llmspell_kv_iter_open(kv, p, 5, &it));
        while (llmspell_kv_iter_next(it, &k, &kn, &v, &vn) == LLMSPELL_OK)
            if (value_ok((size_t)prefixes[s] * PER_PREFIX + n, v, vn)) n++;
        llmspell_kv_iter_close(it);
        if (n != PER_PREFIX) die("%s: scan of %s returned %zu right keys", llmspell_kv_name(kv), p, n);
    }
    return (now_s() - t0) * 1e6 / (double)NSCANS;
}

/* ---- raw libpq, the same table and statements ---------------------------------------------- */

static void raw_ok(PGconn *c, PGresult *r, ExecStatusType want, const char *what) {
    if (PQresultStatus(r) != want) die("raw %s: %s", what, PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) : PQerrorMessage(c));
    PQclear(r);
}

static PGconn *raw_open(const char *conninfo) {
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) die("raw connect: %s", PQerrorMessage(c));
    raw_ok(c, PQexec(c, "CREATE TABLE IF NOT EXISTS llmspell_kv (k bytea PRIMARY KEY, v bytea NOT NULL, c bigint NOT NULL DEFAULT 0, u bigint NOT NULL DEFAULT 0)"),
           PGRES_COMMAND_OK, "create");
    raw_ok(c, PQprepare(c, "get", "SELECT v FROM llmspell_kv WHERE k = $1", 0, NULL), PGRES_COMMAND_OK, "prepare");
    raw_ok(c, PQprepare(c, "put", "INSERT INTO llmspell_kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v", 0, NULL),
           PGRES_COMMAND_OK, "prepare");
    raw_ok(c, PQprepare(c, "range", "SELECT k, v FROM llmspell_kv WHERE k >= $1 AND k < $2 ORDER BY k", 0, NULL), PGRES_COMMAND_OK, "prepare");
    return c;
}

static double raw_batches(PGconn *c, size_t from, size_t commits) {
    static const int bin[2] = {1, 1};
    size_t n, j;
    char k[24];
    uint8_t v[VLEN];
    double t0 = now_s();
    for (n = 0; n < commits; n++) {
        PGresult *r;
        int lens[2] = {16, VLEN};
        const char *vals[2] = {k, (const char *)v};
        if (PQenterPipelineMode(c) != 1 || PQsendQueryParams(c, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1) die("raw begin");
        for (j = 0; j < BATCH; j++) {
            size_t i = from + n * BATCH + j;
            key_of(i, k);
            value_of(i, v);
            if (PQsendQueryPrepared(c, "put", 2, vals, lens, bin, 1) != 1) die("raw put: %s", PQerrorMessage(c));
            if (j % 64 == 63) (void)PQconsumeInput(c);
        }
        if (PQsendQueryParams(c, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 || PQpipelineSync(c) != 1) die("raw commit");
        for (;;) {
            r = PQgetResult(c);
            if (!r) continue;
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                PQclear(r);
                break;
            }
            raw_ok(c, r, PGRES_COMMAND_OK, "batch");
        }
        if (PQexitPipelineMode(c) != 1) die("raw exit pipeline: %s", PQerrorMessage(c));
    }
    return (double)(commits * BATCH) / (now_s() - t0);
}

static double raw_gets(PGconn *c, const uint32_t *order) {
    static const int bin[1] = {1};
    size_t i;
    char k[24];
    const char *vals[1] = {k};
    int lens[1] = {16};
    double t0 = now_s();
    for (i = 0; i < N; i++) {
        PGresult *r;
        key_of(order[i], k);
        r = PQexecPrepared(c, "get", 1, vals, lens, bin, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || !value_ok(order[i], PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0)))
            die("raw get of key %u", (unsigned)order[i]);
        PQclear(r);
    }
    return (double)N / (now_s() - t0);
}

static double raw_scans(PGconn *c, const uint32_t *prefixes) {
    static const int bin[2] = {1, 1};
    size_t s;
    double t0 = now_s();
    for (s = 0; s < NSCANS; s++) {
        char lo[8], hi[8];
        const char *vals[2] = {lo, hi};
        int lens[2] = {5, 5}, i, n = 0;
        PGresult *r;
        snprintf(lo, sizeof lo, "p%03u/", (unsigned)prefixes[s]);
        snprintf(hi, sizeof hi, "p%03u0", (unsigned)prefixes[s]); /* '0' follows '/' */
        r = PQexecPrepared(c, "range", 2, vals, lens, bin, 1);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) die("raw scan: %s", PQresultErrorMessage(r));
        for (i = 0; i < PQntuples(r); i++)
            if (value_ok((size_t)prefixes[s] * PER_PREFIX + (size_t)i, PQgetvalue(r, i, 1), (size_t)PQgetlength(r, i, 1))) n++;
        PQclear(r);
        if (n != PER_PREFIX) die("raw scan of %s returned %d right keys", lo, n);
    }
    return (now_s() - t0) * 1e6 / (double)NSCANS;
}

/* A fresh schema on the server: conninfo for it in out. */
static void fresh_schema(const char *base, const char *name, char *out, size_t cap) {
    PGconn *c = PQconnectdb(base);
    char sql[160];
    if (PQstatus(c) != CONNECTION_OK) die("connect %s: %s", base, PQerrorMessage(c));
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", name, name);
    raw_ok(c, PQexec(c, sql), PGRES_COMMAND_OK, "create schema");
    PQfinish(c);
    snprintf(out, cap, "%s options='-c search_path=%s'", base, name);
}

static void cleanup(void) {
    char cmd[300];
    if (!workdir[0]) return;
    snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
    if (system(cmd) != 0) fprintf(stderr, "bench_kv_pg: could not remove %s\n", workdir);
}

int main(int argc, char **argv) {
    const char *base = getenv("LLMSPELL_BENCH_PG");
    char ci_ours[1024], ci_raw[1024], path[300];
    llmspell_kv pg, sq;
    llmspell_kv_options o;
    PGconn *raw;
    uint32_t *order, *prefixes;
    uint64_t seed = 0x70677165ull;
    size_t i;
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    double g_ours, g_raw, g_sq, b_ours, b_raw, b_sq, s_ours, s_raw, s_sq;
    char pv[64], fs[16] = "?";
    PGresult *res;
    if (!base || !*base) die("LLMSPELL_BENCH_PG (a conninfo) is not set: make bench starts a server (tests/pg_server.sh)");
    N = quick ? 10000 : 100000;
    NCOMMITS = N / BATCH;
    NSCANS = quick ? 50 : 500;
    snprintf(workdir, sizeof workdir, "/tmp/bench_kv_pg.XXXXXX");
    if (!mkdtemp(workdir)) die("mkdtemp");
    atexit(cleanup);
    order = (uint32_t *)malloc(N * sizeof *order);
    prefixes = (uint32_t *)malloc(NSCANS * sizeof *prefixes);
    if (!order || !prefixes) die("out of memory");
    for (i = 0; i < N; i++) order[i] = (uint32_t)i;
    for (i = N - 1; i > 0; i--) {
        size_t j = (size_t)(rng_next(&seed) % (i + 1));
        uint32_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (i = 0; i < NSCANS; i++) prefixes[i] = (uint32_t)(rng_next(&seed) % (N / PER_PREFIX));
    raw = PQconnectdb(base);
    if (PQstatus(raw) != CONNECTION_OK) die("connect: %s", PQerrorMessage(raw));
    snprintf(pv, sizeof pv, "%s", PQparameterStatus(raw, "server_version") ? PQparameterStatus(raw, "server_version") : "?");
    res = PQexec(raw, "SHOW fsync");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) snprintf(fs, sizeof fs, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    printf("# PostgreSQL %s on a unix socket (fsync %s), libpq %d, SQLite %s; %zu keys of 16 bytes, %d-byte values%s\n", pv, fs,
           PQlibVersion(), sqlite3_libversion(), N, VLEN, quick ? " (--quick)" : "");
    PQfinish(raw);
    fresh_schema(base, "bench_ours", ci_ours, sizeof ci_ours);
    fresh_schema(base, "bench_raw", ci_raw, sizeof ci_raw);
    memset(&o, 0, sizeof o); /* durability SAFE: synchronous_commit on; SQLite synchronous=FULL */
    KV_CHECK(&pg, llmspell_kv_open_postgres(&pg, ci_ours, &o));
    raw = raw_open(ci_raw);
    snprintf(path, sizeof path, "%s/bench.sqlite", workdir);
    KV_CHECK(&sq, llmspell_kv_open_sqlite(&sq, path, &o));

    /* each store is loaded by the measured durable batches, then read */
    b_ours = ours_batches(&pg, 0, NCOMMITS);
    b_raw = raw_batches(raw, 0, NCOMMITS);
    b_sq = ours_batches(&sq, 0, NCOMMITS);
    /* both tables analysed (the planner's statistics, as autovacuum would make them later) */
    raw_ok(raw, PQexec(raw, "ANALYZE llmspell_kv"), PGRES_COMMAND_OK, "analyze");
    {
        PGconn *c = PQconnectdb(ci_ours);
        raw_ok(c, PQexec(c, "ANALYZE llmspell_kv"), PGRES_COMMAND_OK, "analyze");
        PQfinish(c);
    }
    /* reads twice, alternating, the best of each kept: the order of the runs does not favour either */
    g_ours = g_raw = s_ours = s_raw = 0;
    for (i = 0; i < 2; i++) {
        double x;
        if ((x = raw_gets(raw, order)) > g_raw) g_raw = x;
        if ((x = ours_gets(&pg, order)) > g_ours) g_ours = x;
        if ((x = raw_scans(raw, prefixes)) < s_raw || !s_raw) s_raw = x;
        if ((x = ours_scans(&pg, prefixes)) < s_ours || !s_ours) s_ours = x;
    }
    g_sq = ours_gets(&sq, order);
    s_sq = ours_scans(&sq, prefixes);
    printf("kv postgres random get (%zu keys, one at a time): ours %.0f gets/s, raw libpq %.0f gets/s, ratio %.2f; our sqlite "
           "backend %.0f gets/s\n", N, g_ours, g_raw, g_ours / g_raw, g_sq);
    printf("kv postgres durable batches (%d keys a commit, synchronous_commit on): ours %.0f keys/s, raw libpq (pipelined) %.0f "
           "keys/s, ratio %.2f; our sqlite backend (synchronous=FULL) %.0f keys/s\n", BATCH, b_ours, b_raw, b_ours / b_raw, b_sq);
    printf("kv postgres prefix scan (%d keys): ours %.0f us, raw libpq (one SELECT) %.0f us, time ratio %.2f; our sqlite backend "
           "%.0f us\n", PER_PREFIX, s_ours, s_raw, s_ours / s_raw, s_sq);
    {
        llmspell_kv fast;
        llmspell_kv_characteristics ch;
        double safe_us = ours_put_latency(&pg, quick ? 100 : 500), fast_us;
        o.durability = LLMSPELL_DURABILITY_FAST;
        KV_CHECK(&fast, llmspell_kv_open_postgres(&fast, ci_ours, &o));
        fast_us = ours_put_latency(&fast, quick ? 100 : 2000);
        KV_CHECK(&fast, llmspell_kv_close(&fast));
        KV_CHECK(&pg, llmspell_kv_characteristics_get(&pg, &ch));
        printf("# postgres latency: get %.1f us, autocommitted put %.1f us (SAFE), %.1f us (FAST: synchronous_commit off); "
               "characteristics report read %.1f us, write %.1f us (SAFE)\n", 1e6 / g_ours, safe_us, fast_us,
               (double)ch.read_latency_ns / 1e3, (double)ch.write_latency_ns / 1e3);
    }
    KV_CHECK(&pg, llmspell_kv_close(&pg));
    KV_CHECK(&sq, llmspell_kv_close(&sq));
    PQfinish(raw);
    return 0;
}
