/* bench_graph.c - llmspell_graph against SQLite with the seeds' schema, in one run.

   cc -std=c99 -O2 -DNDEBUG -I. bench/bench_graph.c bench/graph_no_threads.c -o build/bench_graph -lsqlite3 -lm -pthread
   build/bench_graph [--quick]      (--quick: everything 10x smaller, a smoke run)

   Data (fixed seed): E = 100,000 entities written 3 times each (valid ranges [0,inf),
   [1000,inf), [2000,inf): rule 3 keeps 5 versions per entity) and R = 1,000,000 relationships
   between random entities (one version each, valid from a random time in [0,3000)), all in
   batches of 1,000 writes per transaction, the transaction time from an injected clock.
   SQLite gets exactly the same versions (read back from our graph): the seeds' V4 tables and
   indexes (rs-llmspell's sqlite/V4__temporal_graph.sql), with the primary key made composite so
   versions fit: (id, transaction_time_start, valid_time_start) - a correction splits a version
   into pieces that share their transaction start, so valid start must be part of the key.
   SQLite runs in memory (":memory:", prepared statements), like our indexes.
   Queries (the same random inputs for both; every answer of SQLite is checked against ours):
     as-of point lookup: random id, random past valid time v and transaction time t
     2-hop and 3-hop neighbourhood (outgoing) as of a past (v, t): our traversal vs a recursive
     CTE counting the distinct entities reached through visible relationships and entities.
   Threads (memory): the single-thread cost of the sync layer (as-of lookups in a graph built
   with and without it, bench/graph_no_threads.c), as-of lookups from 2 threads against 1, and one reader beside a writer that
   commits continuously (transactions of 10 entity versions).
   Also: ingest rate on the memory and file backends (file: durability "safe", an fsync per
   batch), and the time to open the file-backed graph (kv load + graph index rebuild).
   Output: one line per measurement, lines starting with '#' for context. Any failure aborts. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "../llmspell_graph.h"
#include "graph_threads_bench.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static size_t E, R, NLOOK, NLOOK_SQL, NHOP, NHOP_SQL;
#define BATCH 1000
#define NTYPES 8
static char path[256];

static void die(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "bench_graph: FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (path[0]) unlink(path);
    exit(1);
}
#define OK(call) do { llmspell_result r_ = (call); if (r_ != LLMSPELL_OK) die("%s: %s (%s)", #call, llmspell_strerror(r_), g_err()); } while (0)
static llmspell_graph *g_cur;
static const char *g_err(void) { return g_cur ? llmspell_graph_errmsg(g_cur) : ""; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng_s = 42;
static uint64_t rnd(void)
{
    uint64_t z = (rng_s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The injected clock: 1 ms per reading, from 2024-01-01. */
static llmspell_time clk_now(void *ctx)
{
    llmspell_time *t = (llmspell_time *)ctx;
    return *t += 1000;
}

static uint32_t *src_of, *dst_of;
static int32_t *rel_vf;
static llmspell_time tx_ent_done, tx_mid_rel; /* transaction times of the data's phases */

static void ent_id(char *b, size_t i) { sprintf(b, "e%07zu", i); }
static void rel_id(char *b, size_t i) { sprintf(b, "r%08zu", i); }

/* Writes the whole data set; returns versions per second. */
static double ingest(llmspell_graph *g, llmspell_time *clock, int record_times)
{
    static const char *const types[NTYPES] = {"person", "place", "org", "event", "concept", "doc", "tool", "task"};
    static const char *const rtypes[4] = {"knows", "part_of", "mentions", "created_by"};
    char id[32], name[32], props[96], s[32], d[32];
    size_t i, round, n = 0;
    double t0 = now_s();
    (void)clock;
    for (round = 0; round < 3; round++) {
        for (i = 0; i < E; i++) {
            if (n % BATCH == 0) OK(llmspell_graph_begin(g));
            ent_id(id, i);
            sprintf(name, "name %zu", i);
            sprintf(props, "{\"k\":%zu,\"version\":%zu,\"score\":%zu}", i, round, (size_t)(rnd() % 100));
            OK(llmspell_graph_put_entity(g, id, types[i % NTYPES], name, props, (llmspell_time)round * 1000, LLMSPELL_TIME_MAX));
            if (++n % BATCH == 0) OK(llmspell_graph_commit(g));
        }
    }
    if (n % BATCH) OK(llmspell_graph_commit(g));
    if (record_times) {
        llmspell_graph_info info;
        OK(llmspell_graph_info_get(g, &info));
        tx_ent_done = info.last_tx;
    }
    for (i = 0; i < R; i++) {
        if (i % BATCH == 0) OK(llmspell_graph_begin(g));
        rel_id(id, i);
        ent_id(s, src_of[i]);
        ent_id(d, dst_of[i]);
        OK(llmspell_graph_put_rel(g, id, rtypes[i % 4], s, d, "{}", rel_vf[i], LLMSPELL_TIME_MAX));
        if ((i + 1) % BATCH == 0 || i + 1 == R) {
            OK(llmspell_graph_commit(g));
            if (record_times && i + 1 == (R / 2 / BATCH) * BATCH) {
                llmspell_graph_info info;
                OK(llmspell_graph_info_get(g, &info));
                tx_mid_rel = info.last_tx;
            }
        }
    }
    return (double)(3 * E + R) / (now_s() - t0);
}

/* ---- SQLite with the seeds' schema -------------------------------------------------------- */

static sqlite3 *db;
static void sq(const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) die("sqlite: %s: %s", sql, err ? err : "?");
}
static sqlite3_stmt *prep(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die("sqlite prepare: %s", sqlite3_errmsg(db));
    return st;
}

static const char *SCHEMA =
    "CREATE TABLE entities (entity_id TEXT NOT NULL, tenant_id TEXT NOT NULL, entity_type TEXT NOT NULL, name TEXT NOT NULL,"
    " properties TEXT NOT NULL DEFAULT '{}', valid_time_start INTEGER NOT NULL, valid_time_end INTEGER NOT NULL,"
    " transaction_time_start INTEGER NOT NULL, transaction_time_end INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " PRIMARY KEY (entity_id, transaction_time_start, valid_time_start),"
    " CHECK (valid_time_start < valid_time_end), CHECK (transaction_time_start < transaction_time_end));"
    "CREATE INDEX idx_entities_tenant ON entities(tenant_id);"
    "CREATE INDEX idx_entities_type ON entities(entity_type);"
    "CREATE INDEX idx_entities_name ON entities(name);"
    "CREATE INDEX idx_entities_valid_time_start ON entities(valid_time_start);"
    "CREATE INDEX idx_entities_valid_time_end ON entities(valid_time_end);"
    "CREATE INDEX idx_entities_tx_time_start ON entities(transaction_time_start);"
    "CREATE INDEX idx_entities_tx_time_end ON entities(transaction_time_end);"
    "CREATE TABLE relationships (relationship_id TEXT NOT NULL, tenant_id TEXT NOT NULL, from_entity TEXT NOT NULL,"
    " to_entity TEXT NOT NULL, relationship_type TEXT NOT NULL, properties TEXT NOT NULL DEFAULT '{}',"
    " valid_time_start INTEGER NOT NULL, valid_time_end INTEGER NOT NULL, transaction_time_start INTEGER NOT NULL,"
    " transaction_time_end INTEGER NOT NULL, created_at INTEGER NOT NULL,"
    " PRIMARY KEY (relationship_id, transaction_time_start, valid_time_start),"
    " CHECK (valid_time_start < valid_time_end), CHECK (transaction_time_start < transaction_time_end));"
    "CREATE INDEX idx_relationships_tenant ON relationships(tenant_id);"
    "CREATE INDEX idx_relationships_from ON relationships(from_entity);"
    "CREATE INDEX idx_relationships_to ON relationships(to_entity);"
    "CREATE INDEX idx_relationships_type ON relationships(relationship_type);"
    "CREATE INDEX idx_relationships_from_type ON relationships(from_entity, relationship_type);"
    "CREATE INDEX idx_relationships_valid_time_start ON relationships(valid_time_start);"
    "CREATE INDEX idx_relationships_valid_time_end ON relationships(valid_time_end);"
    "CREATE INDEX idx_relationships_tx_time_start ON relationships(transaction_time_start);"
    "CREATE INDEX idx_relationships_tx_time_end ON relationships(transaction_time_end);";

/* Copies every version of our graph into SQLite. */
static void load_sqlite(llmspell_graph *g)
{
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    sqlite3_stmt *ins;
    size_t i;
    char id[32];
    double t0 = now_s();
    memset(&rows, 0, sizeof rows);
    memset(&q, 0, sizeof q);
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) die("sqlite open");
    sq(SCHEMA);
    sq("BEGIN");
    OK(llmspell_graph_query(g, &q, &rows));
    ins = prep("INSERT INTO entities VALUES (?1,'t',?2,?3,?4,?5,?6,?7,?8,?9)");
    for (i = 0; i < rows.count; i++) {
        const llmspell_graph_entity *e = &rows.entity[i];
        sqlite3_bind_text(ins, 1, e->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, e->type, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, e->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, e->properties, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 5, e->valid_from);
        sqlite3_bind_int64(ins, 6, e->valid_to);
        sqlite3_bind_int64(ins, 7, e->tx_from);
        sqlite3_bind_int64(ins, 8, e->tx_to);
        sqlite3_bind_int64(ins, 9, e->created_at);
        if (sqlite3_step(ins) != SQLITE_DONE) die("sqlite insert: %s", sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    printf("# entity versions: %zu (ids %zu)\n", rows.count, E);
    sqlite3_finalize(ins);
    ins = prep("INSERT INTO relationships VALUES (?1,'t',?2,?3,?4,?5,?6,?7,?8,?9,?10)");
    for (i = 0; i < R; i++) {
        const llmspell_graph_rel *r;
        rel_id(id, i);
        OK(llmspell_graph_rel_history(g, id, &rows));
        if (rows.count != 1) die("relationship %s has %zu versions", id, rows.count);
        r = &rows.rel[0];
        sqlite3_bind_text(ins, 1, r->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, r->source, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, r->target, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, r->type, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, r->properties, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 6, r->valid_from);
        sqlite3_bind_int64(ins, 7, r->valid_to);
        sqlite3_bind_int64(ins, 8, r->tx_from);
        sqlite3_bind_int64(ins, 9, r->tx_to);
        sqlite3_bind_int64(ins, 10, r->created_at);
        if (sqlite3_step(ins) != SQLITE_DONE) die("sqlite insert: %s", sqlite3_errmsg(db));
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    sq("COMMIT");
    sq("ANALYZE");
    printf("# sqlite %s loaded with the same versions in %.1f s\n", sqlite3_libversion(), now_s() - t0);
    llmspell_graph_rows_free(&rows);
}

/* ---- queries ------------------------------------------------------------------------------ */

/* Random inputs, ids formatted in advance so the timed loops measure only the lookups. */
typedef struct probe { uint32_t id; char s[12]; llmspell_time v, t; } probe;

static void make_probes(probe *p, size_t n, llmspell_time tlo, llmspell_time thi)
{
    size_t i;
    for (i = 0; i < n; i++) {
        p[i].id = (uint32_t)(rnd() % E);
        ent_id(p[i].s, p[i].id);
        p[i].v = (llmspell_time)(rnd() % 3000);
        p[i].t = tlo + (llmspell_time)(rnd() % (uint64_t)(thi - tlo));
    }
}

static void bench_asof(llmspell_graph *g, llmspell_time tlo, llmspell_time thi)
{
    probe *p = (probe *)malloc(NLOOK * sizeof *p);
    sqlite3_stmt *st = prep("SELECT properties FROM entities WHERE entity_id = ?1 AND valid_time_start <= ?2 AND valid_time_end > ?2"
                            " AND transaction_time_start <= ?3 AND transaction_time_end > ?3");
    size_t i, found = 0, sfound = 0;
    double t0, ours, theirs;
    char id[32];
    llmspell_graph_entity e;
    if (!p) die("malloc");
    make_probes(p, NLOOK, tlo, thi);
    t0 = now_s();
    for (i = 0; i < NLOOK; i++) {
        llmspell_result r = llmspell_graph_get_entity(g, p[i].s, p[i].v, p[i].t, &e);
        if (r == LLMSPELL_OK) found++;
        else if (r != LLMSPELL_ERR_NOT_FOUND) die("get_entity: %s", llmspell_graph_errmsg(g));
    }
    ours = NLOOK / (now_s() - t0);
    t0 = now_s();
    for (i = 0; i < NLOOK_SQL; i++) {
        int rc;
        sqlite3_bind_text(st, 1, p[i].s, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, p[i].v);
        sqlite3_bind_int64(st, 3, p[i].t);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) sfound++;
        else if (rc != SQLITE_DONE) die("sqlite as-of: %s", sqlite3_errmsg(db));
        sqlite3_reset(st);
    }
    theirs = NLOOK_SQL / (now_s() - t0);
    /* the answers agree (checked outside the timed loops) */
    for (i = 0; i < NLOOK_SQL; i++) {
        int rc, ok;
        ent_id(id, p[i].id);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, p[i].v);
        sqlite3_bind_int64(st, 3, p[i].t);
        rc = sqlite3_step(st);
        ok = llmspell_graph_get_entity(g, id, p[i].v, p[i].t, &e) == LLMSPELL_OK;
        if ((rc == SQLITE_ROW) != ok || (ok && strcmp((const char *)sqlite3_column_text(st, 0), e.properties) != 0))
            die("as-of disagrees for %s at (%lld, %lld)", id, (long long)p[i].v, (long long)p[i].t);
        if (sqlite3_step(st) == SQLITE_ROW) die("sqlite has two versions of %s at one (v, t)", id);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    printf("# as-of: %zu of %zu lookups found a version (ours), %zu of %zu (sqlite)\n", found, NLOOK, sfound, NLOOK_SQL);
    printf("graph as-of lookup: ours %.0f ops/s, sqlite %.0f ops/s, ratio %.1f (goal >= 50x)\n", ours, theirs, ours / theirs);
    free(p);
}

static const char *CTE =
    "WITH RECURSIVE reach(id, depth) AS ("
    "  SELECT e.entity_id, 0 FROM entities e WHERE e.entity_id = ?1"
    "    AND e.valid_time_start <= ?3 AND e.valid_time_end > ?3 AND e.transaction_time_start <= ?4 AND e.transaction_time_end > ?4"
    "  UNION"
    "  SELECT r.to_entity, reach.depth + 1 FROM reach"
    "  JOIN relationships r ON r.from_entity = reach.id"
    "  JOIN entities e ON e.entity_id = r.to_entity"
    "  WHERE reach.depth < ?2"
    "    AND r.valid_time_start <= ?3 AND r.valid_time_end > ?3 AND r.transaction_time_start <= ?4 AND r.transaction_time_end > ?4"
    "    AND e.valid_time_start <= ?3 AND e.valid_time_end > ?3 AND e.transaction_time_start <= ?4 AND e.transaction_time_end > ?4"
    ") SELECT COUNT(DISTINCT id) FROM reach";

static void bench_hops(llmspell_graph *g, unsigned depth, llmspell_time t)
{
    probe *p = (probe *)malloc(NHOP * sizeof *p);
    sqlite3_stmt *st = prep(CTE);
    llmspell_graph_rows rows;
    size_t i, total = 0, stotal = 0;
    double t0, ours, theirs;
    char id[32];
    memset(&rows, 0, sizeof rows);
    if (!p) die("malloc");
    make_probes(p, NHOP, t, t + 1);
    t0 = now_s();
    for (i = 0; i < NHOP; i++) {
        OK(llmspell_graph_traverse(g, p[i].s, LLMSPELL_GRAPH_OUT, NULL, depth, p[i].v, p[i].t, &rows));
        total += rows.count;
    }
    ours = NHOP / (now_s() - t0);
    t0 = now_s();
    for (i = 0; i < NHOP_SQL; i++) {
        sqlite3_bind_text(st, 1, p[i].s, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, (int)depth);
        sqlite3_bind_int64(st, 3, p[i].v);
        sqlite3_bind_int64(st, 4, p[i].t);
        if (sqlite3_step(st) != SQLITE_ROW) die("sqlite cte: %s", sqlite3_errmsg(db));
        stotal += (size_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }
    theirs = NHOP_SQL / (now_s() - t0);
    for (i = 0; i < NHOP_SQL; i++) { /* same entity counts */
        size_t c;
        ent_id(id, p[i].id);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 2, (int)depth);
        sqlite3_bind_int64(st, 3, p[i].v);
        sqlite3_bind_int64(st, 4, p[i].t);
        if (sqlite3_step(st) != SQLITE_ROW) die("sqlite cte: %s", sqlite3_errmsg(db));
        c = (size_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        OK(llmspell_graph_traverse(g, id, LLMSPELL_GRAPH_OUT, NULL, depth, p[i].v, p[i].t, &rows));
        if (c != rows.count) die("%u-hop from %s: sqlite %zu entities, ours %zu", depth, id, c, rows.count);
    }
    sqlite3_finalize(st);
    printf("# %u-hop: %.1f entities per query on average (start included)\n", depth, (double)total / NHOP);
    printf("graph %u-hop as of a past snapshot: ours %.0f queries/s, sqlite recursive CTE %.1f queries/s, ratio %.1f (goal >= 20x)\n",
           depth, ours, theirs, ours / theirs);
    (void)stotal;
    llmspell_graph_rows_free(&rows);
    free(p);
}

/* ---- the sync layer's single-thread cost --------------------------------------------------- */

/* Entities only (3 versions each, as ingest writes them), into this build's graph (nt 0) or the
   one built without the sync layer (nt 1, bench/graph_no_threads.c). */
static void ingest_entities(llmspell_graph *g, void *nth, llmspell_time *clock)
{
    char id[32], name[32], props[96];
    size_t i, round, n = 0;
    uint64_t x = 1;
    for (round = 0; round < 3; round++) {
        for (i = 0; i < E; i++) {
            if (n % BATCH == 0 && (g ? llmspell_graph_begin(g) != LLMSPELL_OK : ntg_begin(nth) != 0)) die("begin");
            ent_id(id, i);
            sprintf(name, "name %zu", i);
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            sprintf(props, "{\"k\":%zu,\"version\":%zu,\"score\":%u}", i, round, (unsigned)((x >> 33) % 100));
            if (g ? llmspell_graph_put_entity(g, id, "person", name, props, (llmspell_time)round * 1000, LLMSPELL_TIME_MAX) != LLMSPELL_OK
                  : ntg_put_entity(nth, id, "person", name, props, (llmspell_time)round * 1000, LLMSPELL_TIME_MAX) != 0)
                die("put_entity");
            if (++n % BATCH == 0 && (g ? llmspell_graph_commit(g) != LLMSPELL_OK : ntg_commit(nth) != 0)) die("commit");
        }
    }
    if (n % BATCH && (g ? llmspell_graph_commit(g) != LLMSPELL_OK : ntg_commit(nth) != 0)) die("commit");
    (void)clock;
}

/* Lookups per second of one pass over the probes: nth, the graph built without the sync
   layer, or g. */
static double lookup_pass(llmspell_graph *g, void *nth, const probe *p, size_t np)
{
    double t0 = now_s();
    size_t i;
    for (i = 0; i < np; i++) {
        int r;
        if (nth) {
            r = ntg_get_entity(nth, p[i].s, p[i].v, p[i].t);
        } else {
            llmspell_graph_entity e;
            llmspell_result rc = llmspell_graph_get_entity(g, p[i].s, p[i].v, p[i].t, &e);
            r = rc == LLMSPELL_OK ? 0 : rc == LLMSPELL_ERR_NOT_FOUND ? 1 : -1;
        }
        if (r < 0) die("lookup");
    }
    return (double)np / (now_s() - t0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The sync layer's cost to one reader: in a fresh process, the graph built with it and the
   graph built without it (bench/graph_no_threads.c), ingested alike; PAIRS rounds look up with
   each once, in turn, so that a slow moment of this shared machine hits both. out: the median
   of the rounds' ratios (with / without), then the best rate with and without. */
#define PAIRS 7
static void single_reader_cost(const probe *p, size_t np, double out[3])
{
    int fd[2], status;
    pid_t pid;
    fflush(stdout);
    if (pipe(fd) != 0 || (pid = fork()) < 0) die("pipe/fork");
    if (pid == 0) {
        llmspell_time clock = 1704067200000000LL, clock_nt = 1704067200000000LL;
        llmspell_kv kv;
        llmspell_graph g;
        llmspell_graph_options go;
        double ratio[PAIRS], res[3] = {0, 0, 0};
        void *h;
        int i;
        close(fd[0]);
        memset(&go, 0, sizeof go);
        go.clock.now = clk_now;
        go.clock.ctx = &clock;
        if (!(h = ntg_open(clk_now, &clock_nt))) _exit(1);
        if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK || llmspell_graph_open(&g, &kv, &go) != LLMSPELL_OK) _exit(1);
        ingest_entities(NULL, h, &clock_nt);
        ingest_entities(&g, NULL, &clock);
        for (i = 0; i < PAIRS; i++) {
            double without = lookup_pass(NULL, h, p, np), with = lookup_pass(&g, NULL, p, np);
            ratio[i] = with / without;
            if (with > res[1]) res[1] = with;
            if (without > res[2]) res[2] = without;
        }
        qsort(ratio, PAIRS, sizeof(double), cmp_double);
        res[0] = ratio[PAIRS / 2];
        _exit(write(fd[1], res, sizeof res) == (ssize_t)sizeof res ? 0 : 1);
    }
    close(fd[1]);
    if (read(fd[0], out, 3 * sizeof(double)) != (ssize_t)(3 * sizeof(double))) die("the single-thread measurement's process failed");
    close(fd[0]);
    waitpid(pid, &status, 0);
}

static void bench_sync_cost(void)
{
    size_t np = NLOOK;
    probe *p = (probe *)malloc(np * sizeof *p);
    double cost[3];
    if (!p) die("malloc");
    /* transaction times span about one clock reading per write */
    make_probes(p, np, 1704067200000000LL, 1704067200000000LL + (llmspell_time)(3 * E) * 1000);
    single_reader_cost(p, np, cost);
    printf("graph as-of lookup 1 thread (entities only): with the sync layer %.0f ops/s, without %.0f ops/s (best passes), "
           "ratio %.3f (median of %d interleaved passes; goal >= 0.95)\n", cost[1], cost[2], cost[0], PAIRS);
    free(p);
}

/* ---- threads: one graph shared ------------------------------------------------------------ */

/* A reader does as-of lookups (random probes) until *stop; a writer commits graph transactions
   of WBATCH entity versions until *stop. Both count what they did. */
#define WBATCH 10
typedef struct worker {
    llmspell_graph *g;
    const probe *p;
    size_t np;
    volatile int *stop;
    size_t limit;  /* reader: stop after this many lookups when stop is NULL */
    size_t done;
    double seconds;
} worker;

static void *reader_main(void *arg)
{
    worker *w = (worker *)arg;
    llmspell_graph_entity e;
    size_t i = 0;
    double t0 = now_s();
    while (w->stop ? !*w->stop : i < w->limit) {
        const probe *q = &w->p[i % w->np];
        llmspell_result r = llmspell_graph_get_entity(w->g, q->s, q->v, q->t, &e);
        if (r != LLMSPELL_OK && r != LLMSPELL_ERR_NOT_FOUND) die("get_entity: %s", llmspell_graph_errmsg(w->g));
        i++;
    }
    w->seconds = now_s() - t0;
    w->done = i;
    return NULL;
}

static void *writer_main(void *arg)
{
    worker *w = (worker *)arg;
    char id[32], props[64];
    size_t n = 0, j;
    uint64_t x = 7;
    double t0 = now_s();
    while (!*w->stop) {
        OK(llmspell_graph_begin(w->g));
        for (j = 0; j < WBATCH; j++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            ent_id(id, (size_t)((x >> 33) % E));
            sprintf(props, "{\"k\":%zu,\"writer\":true}", n);
            OK(llmspell_graph_put_entity(w->g, id, "person", "rewritten", props, 3000, LLMSPELL_TIME_MAX));
            n++;
        }
        OK(llmspell_graph_commit(w->g));
    }
    w->seconds = now_s() - t0;
    w->done = n;
    return NULL;
}

/* Lookups per second of `readers` threads, each doing n lookups. */
static double read_rate(llmspell_graph *g, const probe *p, size_t np, int readers, size_t n)
{
    pthread_t th[2];
    worker w[2];
    double t0 = now_s();
    int i;
    for (i = 0; i < readers; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].g = g;
        w[i].p = p + (size_t)i * (np / 2);
        w[i].np = np / 2;
        w[i].limit = n;
        if (pthread_create(&th[i], NULL, reader_main, &w[i]) != 0) die("pthread_create");
    }
    for (i = 0; i < readers; i++) pthread_join(th[i], NULL);
    return (double)readers * (double)n / (now_s() - t0);
}

static void bench_threads(llmspell_graph *g, llmspell_time tlo, llmspell_time thi)
{
    size_t np = NLOOK / 4, n = NLOOK / 2;
    probe *p = (probe *)malloc(np * sizeof *p);
    double one = 0, two = 0, x;
    volatile int stop = 0;
    pthread_t tr, tw;
    worker r, w;
    int pass;
    if (!p) die("malloc");
    make_probes(p, np, tlo, thi);
    for (pass = 0; pass < 3; pass++) { /* best of 3, alternating */
        if ((x = read_rate(g, p, np, 1, n)) > one) one = x;
        if ((x = read_rate(g, p, np, 2, n)) > two) two = x;
    }
    printf("graph as-of lookup 2 threads vs 1 (memory): %.0f vs %.0f ops/s, scaling %.2fx\n", two, one, two / one);
    /* one reader for about 2 s beside a writer that commits transactions of WBATCH versions */
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.g = w.g = g;
    r.p = p;
    r.np = np;
    r.stop = w.stop = &stop;
    if (pthread_create(&tw, NULL, writer_main, &w) != 0 || pthread_create(&tr, NULL, reader_main, &r) != 0) die("pthread_create");
    {
        struct timespec ts = {2, 0};
        nanosleep(&ts, NULL);
    }
    stop = 1;
    pthread_join(tr, NULL);
    pthread_join(tw, NULL);
    x = (double)r.done / r.seconds;
    printf("graph reads beside one writer (memory): 1 reader %.0f lookups/s while 1 writer commits %.0f transactions/s of %d versions; "
           "the reader alone %.0f lookups/s, ratio %.2f\n",
           x, (double)w.done / WBATCH / w.seconds, WBATCH, one, x / one);
    free(p);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    llmspell_kv kv;
    llmspell_graph g;
    llmspell_graph_options go;
    llmspell_time clock = 1704067200000000LL;
    double rate_mem, rate_file, t0, t_kv, t_graph;
    struct utsname u;
    size_t i;
    struct stat st;
    E = quick ? 10000 : 100000;
    R = quick ? 100000 : 1000000;
    NLOOK = quick ? 100000 : 1000000;
    NLOOK_SQL = quick ? 20000 : 100000;
    NHOP = quick ? 2000 : 10000;
    NHOP_SQL = quick ? 200 : 1000;
    uname(&u);
    printf("# bench_graph%s: %zu entities x 3 versions, %zu relationships, batches of %d; %s %s, %ld cpus\n", quick ? " --quick" : "", E, R,
           BATCH, u.sysname, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
    src_of = (uint32_t *)malloc(R * sizeof *src_of);
    dst_of = (uint32_t *)malloc(R * sizeof *dst_of);
    rel_vf = (int32_t *)malloc(R * sizeof *rel_vf);
    if (!src_of || !dst_of || !rel_vf) die("malloc");
    for (i = 0; i < R; i++) {
        src_of[i] = (uint32_t)(rnd() % E);
        dst_of[i] = (uint32_t)(rnd() % E);
        rel_vf[i] = (int32_t)(rnd() % 3000);
    }
    memset(&go, 0, sizeof go);
    go.clock.now = clk_now;
    go.clock.ctx = &clock;

    /* memory backend: ingest, then the queries */
    OK(llmspell_kv_open_memory(&kv, NULL));
    OK(llmspell_graph_open(&g, &kv, &go));
    g_cur = &g;
    rate_mem = ingest(&g, &clock, 1);
    load_sqlite(&g);
    bench_asof(&g, 1704067200000000LL, clock);
    bench_hops(&g, 2, tx_mid_rel);
    bench_hops(&g, 3, tx_mid_rel);
    bench_threads(&g, 1704067200000000LL, clock);
    bench_sync_cost();
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
    sqlite3_close(db);

    /* file backend: ingest, then open (kv load + graph index rebuild) */
    snprintf(path, sizeof path, "/tmp/bench_graph_%d.db", (int)getpid());
    unlink(path);
    clock = 1704067200000000LL;
    OK(llmspell_kv_open_file(&kv, path, NULL));
    OK(llmspell_graph_open(&g, &kv, &go));
    rate_file = ingest(&g, &clock, 0);
    llmspell_graph_close(&g);
    OK(llmspell_kv_close(&kv));
    printf("graph ingest (batches of %d, rule 3 applied): memory %.0f versions/s, file %.0f versions/s (durability safe)\n", BATCH,
           rate_mem, rate_file);
    if (stat(path, &st) == 0) printf("# file: %.1f MB\n", st.st_size / 1e6);
    t0 = now_s();
    OK(llmspell_kv_open_file(&kv, path, NULL));
    t_kv = now_s() - t0;
    t0 = now_s();
    OK(llmspell_graph_open(&g, &kv, &go));
    t_graph = now_s() - t0;
    {
        llmspell_graph_info info;
        OK(llmspell_graph_info_get(&g, &info));
        if (info.entities != E || info.relationships != R) die("reopened graph has %llu entities, %llu relationships",
                                                                (unsigned long long)info.entities, (unsigned long long)info.relationships);
        printf("# reopened: %llu entity versions, %llu relationship versions\n", (unsigned long long)info.entity_versions,
               (unsigned long long)info.rel_versions);
    }
    printf("graph open of %zuK entities / %zuK relationships from the file backend: %.2f s (kv load %.2f s + graph index rebuild %.2f s)\n",
           E / 1000, R / 1000, t_kv + t_graph, t_kv, t_graph);
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
    unlink(path);
    free(src_of);
    free(dst_of);
    free(rel_vf);
    return 0;
}
