/* test_graph.c - tests for llmspell_graph.h
   cc -std=c99 -O1 -g -Wall -Wextra -I. tests/test_graph.c -o build/test_graph -lsqlite3

   a. one table test per rule of DESIGN.md section 5          test_rule<N>_*
   b. bad input, each with its documented code               test_bad_*
   c. reads: update merge, neighbours, traversal, paths, query, retention, transactions
   d. the same scripted scenario on memory, file and SQLite, and after reopen: identical dumps
   e. tenant isolation
   f. failures: the N-th allocation, the N-th kv write; the store and indexes stay as before
   g. randomized model test: random operation sequences against a naive list of versions
   Scratch files live under a mkdtemp directory in /tmp that is removed at the end. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define COMPAT_WANT_SQLITE /* unless -DLLMSPELL_TEST_NO_SQLITE, and on Windows only with -DLLMSPELL_KV_SQLITE */
#include "compat.h"
#include "../llmspell_graph.h"

static const char *rc_name(int rc);
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

static const char *rc_name(int rc)
{
    static const char *const names[] = {
        "OK", "ERR_NOT_FOUND", "ERR_INVALID", "ERR_NOMEM", "ERR_IO", "ERR_CORRUPT", "ERR_BUSY",
        "ERR_EXISTS", "ERR_QUOTA", "ERR_FORMAT", "ERR_UNSUPPORTED", "ERR_CONFLICT", "ERR_TOO_LARGE",
        "ERR_RESERVED", "ERR_TXN", "ERR_CLOSED", "ERR_READONLY", "ERR_NOT_A_FILE", "ERR_PARSE"};
    if (rc >= 0 && (size_t)rc < sizeof names / sizeof names[0]) return names[rc];
    return "(unknown code)";
}

#define NOW LLMSPELL_GRAPH_NOW
#define INF LLMSPELL_TIME_MAX
#define NINF LLMSPELL_TIME_MIN

static char g_tmpdir[COMPAT_PATH_MAX];

/* Deterministic PRNG (splitmix64). */
typedef struct rng { uint64_t s; } rng;
static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned rng_below(rng *r, unsigned n) { return (unsigned)(rng_next(r) % n); }

/* ------------------------------------------------------------------------------------------ */
/* >>environment: a test clock, a kv of some kind and a graph on it                            */

typedef struct tclock { llmspell_time now; } tclock;
static llmspell_time tclock_now(void *ctx) { return ((tclock *)ctx)->now; }

typedef enum bkind { B_MEMORY, B_FILE, B_SQLITE, B_POSTGRES } bkind;
static const char *const BNAMES[] = {"memory", "file", "sqlite", "postgres"};
#define NBACKENDS (COMPAT_HAS_POSTGRES ? 4 : COMPAT_HAS_SQLITE ? 3 : 2) /* the backends compiled in (PostgreSQL builds have SQLite) */

typedef struct env {
    bkind kind;
    llmspell_kv kv;
    llmspell_graph g;
    tclock clk;
    llmspell_graph_options go;
    llmspell_kv_options ko;
    char path[COMPAT_PATH_MAX + 64];
    int kv_open, g_open;
} env;

static llmspell_result env_open_kv(env *e)
{
    llmspell_result r;
    switch (e->kind) {
    case B_MEMORY: r = llmspell_kv_open_memory(&e->kv, &e->ko); break;
    case B_FILE: r = llmspell_kv_open_file(&e->kv, e->path, &e->ko); break;
#if COMPAT_HAS_POSTGRES
    case B_POSTGRES: r = llmspell_kv_open_postgres(&e->kv, e->path, &e->ko); break; /* path: the conninfo */
#endif
#if COMPAT_HAS_SQLITE
    default: r = llmspell_kv_open_sqlite(&e->kv, e->path, &e->ko); break;
#else
    default: r = LLMSPELL_ERR_UNSUPPORTED; break;
#endif
    }
    e->kv_open = r == LLMSPELL_OK;
    return r;
}

static llmspell_result env_open_graph(env *e)
{
    llmspell_result r = llmspell_graph_open(&e->g, &e->kv, &e->go);
    e->g_open = r == LLMSPELL_OK;
    return r;
}

/* Opens a fresh store of the kind (a unique file for file/SQLite) and a graph with the test clock at 1000. */
static llmspell_result env_open(env *e, bkind kind, const char *name)
{
    static int serial;
    llmspell_result r;
    memset(e, 0, sizeof *e);
#if COMPAT_HAS_POSTGRES /* the whole suite on postgres: tests/run.sh sets it for this build */
    if (getenv("LLMSPELL_TEST_BACKEND") && strcmp(getenv("LLMSPELL_TEST_BACKEND"), "postgres") == 0) kind = B_POSTGRES;
#endif
    e->kind = kind;
    e->clk.now = 1000;
    e->go.clock.now = tclock_now;
    e->go.clock.ctx = &e->clk;
    snprintf(e->path, sizeof e->path, "%s/%s-%d.db", g_tmpdir, name, ++serial);
#if COMPAT_HAS_POSTGRES
    if (kind == B_POSTGRES) {
        char why[512];
        if (!compat_pg_fresh(e->path, sizeof e->path, why, sizeof why)) {
            fprintf(stderr, "no PostgreSQL store: %s\n", why);
            return LLMSPELL_ERR_IO;
        }
    }
#endif
    if ((r = env_open_kv(e)) != LLMSPELL_OK) return r;
    return env_open_graph(e);
}

/* Closes the graph (and a persistent store) and opens them again: indexes are rebuilt. */
static llmspell_result env_reopen(env *e)
{
    llmspell_result r;
    if (e->g_open) llmspell_graph_close(&e->g);
    e->g_open = 0;
    if (e->kind != B_MEMORY) {
        llmspell_kv_close(&e->kv);
        e->kv_open = 0;
        if ((r = env_open_kv(e)) != LLMSPELL_OK) return r;
    }
    return env_open_graph(e);
}

static void env_close(env *e)
{
    if (e->g_open) llmspell_graph_close(&e->g);
    if (e->kv_open) llmspell_kv_close(&e->kv);
    e->g_open = e->kv_open = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* >>dumps: everything a graph answers, as text, to compare graphs                             */

typedef struct sbuf { char *p; size_t n, cap; } sbuf;
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int k;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room && b->p) { b->n += (size_t)k; return; }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = (char *)realloc(b->p, b->cap);
        if (!b->p) abort();
    }
}
static void sb_free(sbuf *b) { free(b->p); memset(b, 0, sizeof *b); }

static void dump_e(sbuf *b, const llmspell_graph_entity *x)
{
    sb_printf(b, "E %s|%s|%s|%s|%lld|%lld|%lld|%lld|%lld\n", x->id, x->type, x->name, x->properties, (long long)x->valid_from,
              (long long)x->valid_to, (long long)x->tx_from, (long long)x->tx_to, (long long)x->created_at);
}
static void dump_r(sbuf *b, const llmspell_graph_rel *x)
{
    sb_printf(b, "R %s|%s|%s>%s|%s|%lld|%lld|%lld|%lld|%lld\n", x->id, x->type, x->source, x->target, x->properties,
              (long long)x->valid_from, (long long)x->valid_to, (long long)x->tx_from, (long long)x->tx_to,
              (long long)x->created_at);
}

/* Relationship ids, read from the store's records. */
static int rel_ids(llmspell_kv *kv, char ids[][64], int max)
{
    llmspell_kv_iter *it;
    const void *k;
    size_t kn, idn;
    int n = 0;
    if (llmspell_kv_iter_open(kv, "\xFFGR", 3, &it) != LLMSPELL_OK) return -1;
    while (llmspell_kv_iter_next(it, &k, &kn, NULL, NULL) == LLMSPELL_OK) {
        const uint8_t *p = (const uint8_t *)k + 3;
        char id[64];
        if (llmspell_tuple_get_bytes(&p, (const uint8_t *)k + kn, (uint8_t *)id, sizeof id - 1, &idn) != LLMSPELL_OK) break;
        id[idn < 63 ? idn : 63] = 0;
        if (n && strcmp(ids[n - 1], id) == 0) continue;
        if (n < max) strcpy(ids[n++], id);
    }
    llmspell_kv_iter_close(it);
    return n;
}

/* Everything: all versions, relationship histories, neighbours and type / name lookups at a
   few snapshots, counts. times: snapshot times to probe. */
static void dump_graph(llmspell_graph *g, sbuf *b, const llmspell_time *times, int ntimes)
{
    static char rids[512][64];
    llmspell_graph_query_desc q;
    llmspell_graph_rows rows, nb;
    llmspell_graph_info info;
    size_t i, j;
    int nr, k, t;
    char ents[512][64];
    int ne = 0;
    memset(&q, 0, sizeof q);
    memset(&rows, 0, sizeof rows);
    memset(&nb, 0, sizeof nb);
    if (llmspell_graph_query(g, &q, &rows) != LLMSPELL_OK) sb_printf(b, "query failed: %s\n", llmspell_graph_errmsg(g));
    for (i = 0; i < rows.count; i++) {
        dump_e(b, &rows.entity[i]);
        if ((!ne || strcmp(ents[ne - 1], rows.entity[i].id) != 0) && ne < 512) strcpy(ents[ne++], rows.entity[i].id);
    }
    nr = rel_ids(g->kv, rids, 512);
    for (k = 0; k < nr; k++) {
        if (llmspell_graph_rel_history(g, rids[k], &rows) != LLMSPELL_OK) sb_printf(b, "rel history %s failed\n", rids[k]);
        for (i = 0; i < rows.count; i++) dump_r(b, &rows.rel[i]);
    }
    for (t = 0; t < ntimes; t++) {
        for (k = 0; k < ne; k++) {
            llmspell_result r = llmspell_graph_neighbors(g, ents[k], LLMSPELL_GRAPH_BOTH, NULL, times[t], times[t], &nb);
            sb_printf(b, "N %s@%lld rc=%d:", ents[k], (long long)times[t], (int)r);
            for (j = 0; j < nb.count; j++) sb_printf(b, " %s/%s", nb.rel[j].id, nb.entity[j].id);
            sb_printf(b, "\n");
        }
    }
    /* the type and name indexes must agree with a full scan */
    for (k = 0; k < ne; k++) {
        llmspell_graph_entity e;
        if (llmspell_graph_get_entity(g, ents[k], NOW, NOW, &e) != LLMSPELL_OK) continue;
        memset(&q, 0, sizeof q);
        q.type = e.type;
        llmspell_graph_query(g, &q, &rows);
        sb_printf(b, "T %s %zu\n", e.type, rows.count);
        memset(&q, 0, sizeof q);
        q.name = e.name;
        llmspell_graph_query(g, &q, &rows);
        sb_printf(b, "M %s %zu\n", e.name, rows.count);
    }
    if (llmspell_graph_info_get(g, &info) == LLMSPELL_OK)
        sb_printf(b, "I %llu %llu %llu %llu %lld\n", (unsigned long long)info.entities, (unsigned long long)info.relationships,
                  (unsigned long long)info.entity_versions, (unsigned long long)info.rel_versions, (long long)info.last_tx);
    llmspell_graph_rows_free(&rows);
    llmspell_graph_rows_free(&nb);
}

static void dump_kv(llmspell_kv *kv, sbuf *b)
{
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn, i;
    if (llmspell_kv_iter_open(kv, NULL, 0, &it) != LLMSPELL_OK) { sb_printf(b, "iter failed\n"); return; }
    while (llmspell_kv_iter_next(it, &k, &kn, &v, &vn) == LLMSPELL_OK) {
        for (i = 0; i < kn; i++) sb_printf(b, "%02x", ((const uint8_t *)k)[i]);
        sb_printf(b, "=");
        for (i = 0; i < vn; i++) sb_printf(b, "%02x", ((const uint8_t *)v)[i]);
        sb_printf(b, "\n");
    }
    llmspell_kv_iter_close(it);
}

/* First differing line of two dumps, for messages. */
static const char *dump_diff(const char *a, const char *b, char *out, size_t cap)
{
    size_t i = 0, ls = 0;
    while (a[i] && a[i] == b[i]) { if (a[i] == '\n') ls = i + 1; i++; }
    snprintf(out, cap, "first difference: [%.150s] vs [%.150s]", a + ls, b + ls);
    return out;
}

static const llmspell_time PROBE[] = {NOW, 1000, 1500, 2000, 2500, 3000, 5000};
#define NPROBE ((int)(sizeof PROBE / sizeof PROBE[0]))

/* ------------------------------------------------------------------------------------------ */
/* >>rules (DESIGN.md section 5)                                                               */

static void test_rule1_intervals(void)
{
    env e;
    llmspell_graph_entity x;
    REQUIRE_RC(env_open(&e, B_MEMORY, "r1"), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 10, 10), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 20, 10), LLMSPELL_ERR_INVALID);
    CHECK(strstr(llmspell_graph_errmsg(&e.g), "empty or inverted") != NULL, "message: %s", llmspell_graph_errmsg(&e.g));
    /* half-open: [10, 20) holds 10, not 20; MIN / MAX are -inf / +inf */
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 10, 20), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 10, NOW, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 19, NOW, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 20, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 9, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, NINF, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", NINF, NOW, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", INF - 1, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_from == NINF && x.valid_to == INF && x.tx_to == INF, "times %lld %lld %lld", (long long)x.valid_from,
          (long long)x.valid_to, (long long)x.tx_to);
    /* a valid range starting at NOW starts at the clock */
    e.clk.now = 5000;
    CHECK_RC(llmspell_graph_put_entity(&e.g, "c", "t", "C", NULL, NOW, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "c", NOW, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_from == 5000, "valid_from %lld", (long long)x.valid_from);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "c", "t", "C", NULL, NOW, 4000), LLMSPELL_ERR_INVALID);
    /* the same checks for the other range writes */
    CHECK_RC(llmspell_graph_delete_entity(&e.g, "a", 30, 30), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_update_entity(&e.g, "a", NULL, NULL, "{}", 30, 5), LLMSPELL_ERR_INVALID);
    env_close(&e);
}

static void test_rule2_tx_time(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_info info;
    REQUIRE_RC(env_open(&e, B_FILE, "r2"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":1}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 1000 && x.created_at == 1000, "tx_from %lld created %lld", (long long)x.tx_from, (long long)x.created_at);
    /* the clock steps back: time still moves forward by 1 us */
    e.clk.now = 400;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":2}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 1001 && x.created_at == 1000, "tx_from %lld created %lld", (long long)x.tx_from, (long long)x.created_at);
    /* a clock that stands still */
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":3}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 1002, "tx_from %lld", (long long)x.tx_from);
    /* the last time survives a reopen even with the clock far behind */
    REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":4}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 1003, "after reopen tx_from %lld", (long long)x.tx_from);
    /* import: explicit times, increasing */
    CHECK_RC(llmspell_graph_begin_at(&e.g, 1003), LLMSPELL_ERR_CONFLICT);
    CHECK_RC(llmspell_graph_begin_at(&e.g, 900), LLMSPELL_ERR_CONFLICT);
    CHECK_RC(llmspell_graph_begin_at(&e.g, INF), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_begin_at(&e.g, NINF), LLMSPELL_ERR_INVALID);
    REQUIRE_RC(llmspell_graph_begin_at(&e.g, 7000), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_commit(&e.g), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 7000, "imported tx_from %lld", (long long)x.tx_from);
    CHECK_RC(llmspell_graph_info_get(&e.g, &info), LLMSPELL_OK);
    CHECK(info.last_tx == 7000, "last_tx %lld", (long long)info.last_tx);
    /* after an import the clock (1000 < 7000) cannot take time backwards */
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "c", "t", "C", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "c", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 7001, "tx_from %lld", (long long)x.tx_from);
    env_close(&e);
}

static void test_rule3_replace_range(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "r3"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "Ann", "{\"city\":\"Oslo\"}", 0, INF), LLMSPELL_OK);
    e.clk.now = 2000; /* a retroactive correction: she was in Rome during [100, 200) */
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "Ann", "{\"city\":\"Rome\"}", 100, 200), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 50, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"city\":\"Oslo\"}") == 0 && x.valid_from == 0 && x.valid_to == 100 && x.tx_from == 2000,
          "before: %s [%lld,%lld) tx %lld", x.properties, (long long)x.valid_from, (long long)x.valid_to, (long long)x.tx_from);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 150, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"city\":\"Rome\"}") == 0 && x.valid_from == 100 && x.valid_to == 200, "inside: %s", x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 250, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"city\":\"Oslo\"}") == 0 && x.valid_from == 200 && x.valid_to == INF, "after: %s", x.properties);
    /* earlier snapshots answer as before */
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 150, 1500, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"city\":\"Oslo\"}") == 0 && x.valid_from == 0 && x.valid_to == INF && x.tx_to == 2000,
          "old snapshot: %s tx_to %lld", x.properties, (long long)x.tx_to);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 150, 999, &x), LLMSPELL_ERR_NOT_FOUND);
    /* history: the closed original plus three current pieces */
    REQUIRE_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    REQUIRE(rows.count == 4, "history has %zu versions", rows.count);
    CHECK(rows.entity[0].tx_from == 1000 && rows.entity[0].tx_to == 2000 && rows.entity[0].valid_to == INF, "v0");
    CHECK(rows.entity[1].tx_from == 2000 && rows.entity[1].valid_from == 0 && rows.entity[1].valid_to == 100, "v1");
    CHECK(rows.entity[2].valid_from == 100 && rows.entity[3].valid_from == 200 && rows.entity[3].tx_to == INF, "v2 v3");
    /* a put covering several versions replaces exactly its range with one version */
    e.clk.now = 3000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "Ann", "{\"city\":\"Lima\"}", 50, 300), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 60, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_from == 50 && x.valid_to == 300 && strstr(x.properties, "Lima"), "merged range [%lld,%lld)", (long long)x.valid_from,
          (long long)x.valid_to);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 49, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_from == 0 && x.valid_to == 50 && strstr(x.properties, "Oslo"), "left piece");
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 300, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_from == 300 && strstr(x.properties, "Oslo"), "right piece");
    /* within one transaction, a version superseded by the same transaction is dropped, not closed */
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", "{\"x\":1}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", "{\"x\":2}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_commit(&e.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_entity_history(&e.g, "b", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strstr(rows.entity[0].properties, "2"), "same-transaction history has %zu versions", rows.count);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_rule4_delete_and_erase(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rel rx;
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    llmspell_kv_iter *it;
    const void *k;
    size_t kn;
    int left = 0, t;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_FILE, "r4"), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "A", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "person", "B", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "c", "person", "C", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ab", "knows", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ca", "knows", "c", "a", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "bc", "knows", "b", "c", NULL, 0, INF), LLMSPELL_OK);
    /* delete = "stopped being true at 500": history stays, the version ends */
    e.clk.now = 2000;
    REQUIRE_RC(llmspell_graph_delete_entity(&e.g, "b", 500, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 400, NOW, &x), LLMSPELL_OK);
    CHECK(x.valid_to == 500, "valid_to %lld", (long long)x.valid_to);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 600, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 600, 1500, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "b", &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "history %zu", rows.count);
    /* deleting where it is not valid changes nothing; an unknown id is NOT_FOUND */
    CHECK_RC(llmspell_graph_delete_entity(&e.g, "b", 600, 700), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "b", &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "history after a no-op delete %zu", rows.count);
    CHECK_RC(llmspell_graph_delete_entity(&e.g, "zz", 0, INF), LLMSPELL_ERR_NOT_FOUND);
    /* erase: every version of a and its relationships, at every snapshot, in store and indexes */
    REQUIRE_RC(llmspell_graph_erase_entity(&e.g, "a"), LLMSPELL_OK);
    for (t = 0; t < NPROBE; t++) {
        CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 100, PROBE[t], &x), LLMSPELL_ERR_NOT_FOUND);
        CHECK_RC(llmspell_graph_get_rel(&e.g, "ab", 100, PROBE[t], &rx), LLMSPELL_ERR_NOT_FOUND);
        CHECK_RC(llmspell_graph_get_rel(&e.g, "ca", 100, PROBE[t], &rx), LLMSPELL_ERR_NOT_FOUND);
        CHECK_RC(llmspell_graph_neighbors(&e.g, "c", LLMSPELL_GRAPH_BOTH, NULL, 100, PROBE[t], &rows), LLMSPELL_OK);
        CHECK(rows.count == (PROBE[t] > 1000 ? 1u : 0u), "c has %zu neighbours at %lld", rows.count, (long long)PROBE[t]);
    }
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_rel_history(&e.g, "ab", &rows), LLMSPELL_ERR_NOT_FOUND);
    memset(&q, 0, sizeof q);
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    for (size_t i = 0; i < rows.count; i++) CHECK(strcmp(rows.entity[i].id, "a") != 0, "query returns erased a");
    q.name = "A";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 0, "name index still finds A: %zu", rows.count);
    /* no record of a, ab or ca in the store */
    REQUIRE_RC(llmspell_kv_iter_open(&e.kv, "\xFFG", 2, &it), LLMSPELL_OK);
    while (llmspell_kv_iter_next(it, &k, &kn, NULL, NULL) == LLMSPELL_OK) {
        const uint8_t *p = (const uint8_t *)k;
        if (kn > 5 && (p[2] == 'E' || p[2] == 'R') && ((p[3] == 'a' && p[4] == 0) || (p[3] == 'a' && p[4] == 'b') || (p[3] == 'c' && p[4] == 'a')))
            left++;
    }
    llmspell_kv_iter_close(it);
    CHECK(left == 0, "%d records of erased data remain", left);
    /* and after reopen; the id can be used again as a new entity */
    REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 100, 1500, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "person", "A2", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].name, "A2") == 0, "re-created a has %zu versions", rows.count);
    CHECK_RC(llmspell_graph_erase_entity(&e.g, "nobody"), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_erase_rel(&e.g, "nobody"), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_erase_rel(&e.g, "bc"), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "bc", 100, 1500, &rx), LLMSPELL_ERR_NOT_FOUND);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_rule5_asof_and_windows(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "r5"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":1}", 0, 100), LLMSPELL_OK);
    e.clk.now = 2000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":2}", 100, 200), LLMSPELL_OK);
    e.clk.now = 3000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":3}", 50, 150), LLMSPELL_OK);
    /* as of (v, t) */
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 75, 2500, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":1}") == 0, "(75,2500) %s", x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 75, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":3}") == 0, "(75,now) %s", x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 120, 1999, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 120, 2000, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":2}") == 0, "(120,2000) %s", x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 120, 3000, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":3}") == 0, "(120,3000) %s", x.properties);
    /* valid time NOW is the clock */
    e.clk.now = 60;
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", NOW, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":3}") == 0, "(clock 60, now) %s", x.properties);
    e.clk.now = 4000;
    /* windows select overlapping versions */
    memset(&q, 0, sizeof q);
    q.valid_from = 150;
    q.valid_to = 151;
    q.tx_from = q.tx_to = NOW;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].properties, "{\"v\":2}") == 0, "valid 150 current: %zu", rows.count);
    q.tx_from = 1000;
    q.tx_to = 2000; /* versions whose transaction time overlaps [1000, 2000) */
    q.valid_from = q.valid_to = 0;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && rows.entity[0].tx_from == 1000, "tx window: %zu", rows.count);
    q.tx_from = q.tx_to = 0;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 5, "all versions (2 closed, 3 current): %zu", rows.count);
    q.limit = 2;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2 && rows.entity[0].tx_from <= rows.entity[1].tx_from, "limit: %zu", rows.count);
    q.limit = 0;
    q.valid_from = 10;
    q.valid_to = 5;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_ERR_INVALID);
    q.valid_from = q.valid_to = 0;
    q.tx_from = 7;
    q.tx_to = 7;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_ERR_INVALID);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_rule6_visibility(void)
{
    env e;
    llmspell_graph_rel rx;
    llmspell_graph_rows rows;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "r6"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 100, 200), LLMSPELL_OK); /* b exists only in [100,200) */
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "c", "t", "C", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ab", "r", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "bc", "r", "b", "c", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "ab", 150, NOW, &rx), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "ab", 50, NOW, &rx), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "ab", 250, NOW, &rx), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 50, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 0, "a has %zu neighbours at 50", rows.count);
    /* a traversal passes through b only where b is visible */
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 3, 150, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3, "traverse at 150: %zu rows", rows.count);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 3, 250, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "traverse at 250: %zu rows", rows.count);
    /* one snapshot for every hop: a later correction does not leak into an earlier snapshot */
    e.clk.now = 2000;
    REQUIRE_RC(llmspell_graph_delete_entity(&e.g, "c", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 3, 150, 1500, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3, "snapshot 1500: %zu rows", rows.count);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 3, 150, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "snapshot now: %zu rows", rows.count);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "bc", 150, NOW, &rx), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_rel(&e.g, "bc", 150, 1500, &rx), LLMSPELL_OK);
    /* an invisible start has no neighbours and no traversal rows */
    CHECK_RC(llmspell_graph_traverse(&e.g, "b", LLMSPELL_GRAPH_BOTH, NULL, 2, 50, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 0, "invisible start: %zu rows", rows.count);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_rule7_identical(void)
{
    env e;
    llmspell_graph_rows rows;
    llmspell_graph_info info;
    llmspell_time last;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_FILE, "r7"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"b\":[1, {\"y\":2,\"x\":1}],\"a\":\"s\"}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_info_get(&e.g, &info), LLMSPELL_OK);
    last = info.last_tx;
    e.clk.now = 2000;
    /* the same content with other whitespace and member order, over a sub-range */
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", " { \"a\" : \"s\" , \"b\" : [ 1 , {\"x\":1, \"y\":2} ] } ", 10, 20), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "identical re-assertion made %zu versions", rows.count);
    CHECK(strcmp(rows.entity[0].properties, "{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}") == 0, "canonical: %s", rows.entity[0].properties);
    REQUIRE_RC(llmspell_graph_info_get(&e.g, &info), LLMSPELL_OK);
    CHECK(info.last_tx == last, "an identical write took transaction time %lld", (long long)info.last_tx);
    /* an update that changes nothing, and a merge to the same value */
    CHECK_RC(llmspell_graph_update_entity(&e.g, "a", "t", NULL, "{\"a\":\"s\"}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "no-op update made %zu versions", rows.count);
    /* a different name is different content; so is 1.0 vs 1 */
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A2", "{\"a\":\"s\",\"b\":[1,{\"x\":1,\"y\":2}]}", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "renaming made %zu versions", rows.count);
    /* extending an identical version: only the new part is new (rule 3 keeps the rest) */
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k", "t", "K", "{}", 0, 100), LLMSPELL_OK);
    e.clk.now = 3000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k", "t", "K", "{}", 50, 200), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "k", &rows), LLMSPELL_OK);
    CHECK(rows.count == 2 && rows.entity[0].valid_to == 100 && rows.entity[0].tx_to == INF && rows.entity[1].valid_from == 100 &&
              rows.entity[1].valid_to == 200,
          "extension: %zu versions", rows.count);
    /* relationships too */
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ak", "r", "a", "k", "{\"w\":1}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ak", "r", "a", "k", "{ \"w\" : 1 }", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_rel_history(&e.g, "ak", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "identical relationship made %zu versions", rows.count);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

/* ------------------------------------------------------------------------------------------ */
/* >>bad input                                                                                 */

static void test_bad_input(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    char longid[LLMSPELL_GRAPH_MAX_ID + 2];
    char *big;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "bad"), LLMSPELL_OK);
    memset(longid, 'x', sizeof longid - 1);
    longid[sizeof longid - 1] = 0;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 0, INF), LLMSPELL_OK);
    /* ids */
    CHECK_RC(llmspell_graph_put_entity(&e.g, NULL, "t", "A", NULL, 0, INF), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "", "t", "A", NULL, 0, INF), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_put_entity(&e.g, longid, "t", "A", NULL, 0, INF), LLMSPELL_ERR_TOO_LARGE);
    longid[LLMSPELL_GRAPH_MAX_ID] = 0; /* exactly the limit is fine */
    CHECK_RC(llmspell_graph_put_entity(&e.g, longid, "t", "A", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, longid, 5, NOW, &x), LLMSPELL_OK);
    /* unknown ids */
    CHECK_RC(llmspell_graph_get_entity(&e.g, "nope", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_update_entity(&e.g, "nope", NULL, NULL, "{}", 0, INF), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_update_entity(&e.g, "a", NULL, NULL, "{\"k\":1}", NINF, -5), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "nope", &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "nope", LLMSPELL_GRAPH_OUT, NULL, NOW, NOW, &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_traverse(&e.g, "nope", LLMSPELL_GRAPH_OUT, NULL, 2, NOW, NOW, &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_delete_rel(&e.g, "nope", 0, INF), LLMSPELL_ERR_NOT_FOUND);
    /* relationships to missing or erased entities; endpoints are fixed */
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "a", "ghost", NULL, 0, INF), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "ghost", "a", NULL, 0, INF), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", NULL, "a", NULL, 0, INF), LLMSPELL_ERR_INVALID);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "gone", "t", "G", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_erase_entity(&e.g, "gone"), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "a", "gone", NULL, 0, INF), LLMSPELL_ERR_NOT_FOUND);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "b", "a", NULL, 0, INF), LLMSPELL_ERR_CONFLICT);
    /* properties that are not a JSON object, or not JSON */
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "[1,2]", 0, INF), LLMSPELL_ERR_INVALID);
    CHECK(strstr(llmspell_graph_errmsg(&e.g), "not a JSON object") != NULL, "message: %s", llmspell_graph_errmsg(&e.g));
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "42", 0, INF), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK(strstr(llmspell_graph_errmsg(&e.g), "line 1, column 6") != NULL, "message: %s", llmspell_graph_errmsg(&e.g));
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":1,\"a\":2}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":1} x", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":01}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":\"\xC3\x28\"}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":\"\\x\"}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_update_entity(&e.g, "a", NULL, NULL, "[]", 0, INF), LLMSPELL_ERR_INVALID);
    /* the family's one JSON dialect: what export could not write back is refused here */
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"a\":\"\\ud800\"}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK(strstr(llmspell_graph_errmsg(&e.g), "surrogate") != NULL, "message: %s", llmspell_graph_errmsg(&e.g));
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"n\":1e400}", 0, INF), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"o\":{\"x\":1,\"x\":2}}", 0, INF), LLMSPELL_ERR_PARSE);
    CHECK_RC(llmspell_graph_put_rel(&e.g, "r1", "t", "a", "b", "nope", 0, INF), LLMSPELL_ERR_PARSE);
    {   /* nesting: the family's stored-JSON limit (llmspell_export.h), and one past it */
        char deep[2 * (LLMSPELL_JSON_STORED_DEPTH + 2) + 16];
        int i, d, n;
        for (d = LLMSPELL_JSON_STORED_DEPTH - 1; d <= LLMSPELL_JSON_STORED_DEPTH; d++) {
            n = sprintf(deep, "{\"a\":");
            for (i = 0; i < d; i++) deep[n++] = '[';
            for (i = 0; i < d; i++) deep[n++] = ']';
            deep[n++] = '}';
            deep[n] = 0;
            CHECK_RC(llmspell_graph_put_entity(&e.g, "deep", "t", "A", deep, 0, INF),
                     d < LLMSPELL_JSON_STORED_DEPTH ? LLMSPELL_OK : LLMSPELL_ERR_TOO_LARGE);
        }
        CHECK_RC(llmspell_graph_erase_entity(&e.g, "deep"), LLMSPELL_OK);
    }
    big = (char *)malloc(LLMSPELL_GRAPH_MAX_PROPS + 16);
    REQUIRE(big != NULL, "malloc");
    memset(big, ' ', LLMSPELL_GRAPH_MAX_PROPS + 8);
    big[0] = '{';
    big[LLMSPELL_GRAPH_MAX_PROPS + 8] = '}';
    big[LLMSPELL_GRAPH_MAX_PROPS + 9] = 0;
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", big, 0, INF), LLMSPELL_ERR_TOO_LARGE);
    memset(big, 'n', LLMSPELL_GRAPH_MAX_TEXT + 1);
    big[LLMSPELL_GRAPH_MAX_TEXT + 1] = 0;
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", big, "A", NULL, 0, INF), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", big, NULL, 0, INF), LLMSPELL_ERR_TOO_LARGE);
    free(big);
    /* traversal depth; cycles terminate with every entity once */
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, 0, NOW, NOW, &rows), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_OUT, NULL, LLMSPELL_GRAPH_MAX_DEPTH + 1, NOW, NOW, &rows), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "a", "b", LLMSPELL_GRAPH_OUT, NULL, 0, NOW, NOW, &rows), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", (llmspell_graph_dir)7, NULL, 2, NOW, NOW, &rows), LLMSPELL_ERR_INVALID);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "r2", "t", "b", "a", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "self", "t", "a", "a", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_traverse(&e.g, "a", LLMSPELL_GRAPH_BOTH, NULL, LLMSPELL_GRAPH_MAX_DEPTH, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "cycle a<->b plus a self-loop: %zu rows", rows.count);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "a", LLMSPELL_GRAPH_BOTH, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3, "a's relationships (r1, r2, self once): %zu", rows.count);
    /* transactions misused */
    CHECK_RC(llmspell_graph_commit(&e.g), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_graph_rollback(&e.g), LLMSPELL_ERR_TXN);
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_begin(&e.g), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_graph_rollback(&e.g), LLMSPELL_OK);
    /* NULL outputs and handles */
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", NOW, NOW, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_query(&e.g, NULL, &rows), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_graph_put_entity(NULL, "a", "t", "A", NULL, 0, INF), LLMSPELL_ERR_INVALID);
    {
        llmspell_graph_filter f = {"k", "{bad"};
        llmspell_graph_query_desc q;
        memset(&q, 0, sizeof q);
        q.filters = &f;
        q.nfilters = 1;
        CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_ERR_PARSE);
    }
    llmspell_graph_rows_free(&rows);
    env_close(&e);
    /* a closed graph, a closed kv */
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", NOW, NOW, &x), LLMSPELL_ERR_CLOSED);
    CHECK_RC(llmspell_graph_open(&e.g, &e.kv, NULL), LLMSPELL_ERR_CLOSED);
    CHECK_RC(llmspell_graph_open(&e.g, NULL, NULL), LLMSPELL_ERR_INVALID);
}

/* ------------------------------------------------------------------------------------------ */
/* >>reads and writes in more detail                                                           */

static void test_update_merge(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "upd"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "Ann", "{\"age\":30,\"city\":\"Oslo\",\"tags\":[1]}", 0, 100), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "person", "Ann", "{\"age\":31,\"city\":\"Oslo\"}", 100, INF), LLMSPELL_OK);
    e.clk.now = 2000;
    /* from 50 on: city changes, tags removed; both versions get it over their part of [50, inf) */
    REQUIRE_RC(llmspell_graph_update_entity(&e.g, "a", NULL, "Anne", "{\"city\":\"Rome\",\"tags\":null,\"new\":{\"z\":1,\"a\":2}}", 50, INF),
               LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 10, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"age\":30,\"city\":\"Oslo\",\"tags\":[1]}") == 0 && strcmp(x.name, "Ann") == 0, "before 50: %s %s",
          x.name, x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 60, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"age\":30,\"city\":\"Rome\",\"new\":{\"a\":2,\"z\":1}}") == 0 && strcmp(x.name, "Anne") == 0 &&
              x.valid_from == 50 && x.valid_to == 100,
          "[50,100): %s %s", x.name, x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 500, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"age\":31,\"city\":\"Rome\",\"new\":{\"a\":2,\"z\":1}}") == 0 && strcmp(x.type, "person") == 0,
          "[100,inf): %s", x.properties);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 60, 1500, &x), LLMSPELL_OK);
    CHECK(strstr(x.properties, "Oslo") != NULL, "old snapshot changed: %s", x.properties);
    /* relationships update too */
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ab", "knows", "a", "b", "{\"since\":2001}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_update_rel(&e.g, "ab", "loves", "{\"since\":null,\"w\":0.5}", 0, INF), LLMSPELL_OK);
    {
        llmspell_graph_rel r;
        CHECK_RC(llmspell_graph_get_rel(&e.g, "ab", 60, NOW, &r), LLMSPELL_OK);
        CHECK(strcmp(r.type, "loves") == 0 && strcmp(r.properties, "{\"w\":0.5}") == 0 && strcmp(r.source, "a") == 0 &&
                  strcmp(r.target, "b") == 0,
              "rel %s %s", r.type, r.properties);
    }
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

/* a chain and a diamond: 0 -> 1 -> 2 -> 3, 0 -> 4 -> 3, 3 -> 0 (a cycle), types x and y */
static void build_walk_graph(env *e)
{
    static const char *const ids[] = {"n0", "n1", "n2", "n3", "n4"};
    int i;
    for (i = 0; i < 5; i++) llmspell_graph_put_entity(&e->g, ids[i], "node", ids[i], NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e01", "x", "n0", "n1", NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e12", "x", "n1", "n2", NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e23", "x", "n2", "n3", NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e04", "y", "n0", "n4", NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e43", "y", "n4", "n3", NULL, 0, INF);
    llmspell_graph_put_rel(&e->g, "e30", "x", "n3", "n0", NULL, 0, INF);
}

static void test_walks(void)
{
    env e;
    llmspell_graph_rows rows;
    const char *path[8];
    size_t n;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "walk"), LLMSPELL_OK);
    build_walk_graph(&e);
    /* neighbours, by direction and type, ordered by relationship id */
    CHECK_RC(llmspell_graph_neighbors(&e.g, "n0", LLMSPELL_GRAPH_OUT, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2 && strcmp(rows.rel[0].id, "e01") == 0 && strcmp(rows.entity[1].id, "n4") == 0, "out: %zu", rows.count);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "n0", LLMSPELL_GRAPH_IN, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "n3") == 0, "in: %zu", rows.count);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "n0", LLMSPELL_GRAPH_BOTH, "y", NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.rel[0].id, "e04") == 0, "both y: %zu", rows.count);
    CHECK_RC(llmspell_graph_neighbors(&e.g, "n0", LLMSPELL_GRAPH_BOTH, "never-used", NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 0, "unknown type: %zu", rows.count);
    /* traversal: breadth first, smallest depth, parent paths */
    CHECK_RC(llmspell_graph_traverse(&e.g, "n0", LLMSPELL_GRAPH_OUT, NULL, 2, NOW, NOW, &rows), LLMSPELL_OK);
    REQUIRE(rows.count == 5, "2 hops: %zu rows", rows.count);
    CHECK(strcmp(rows.entity[0].id, "n0") == 0 && rows.depth[0] == 0 && rows.parent[0] == LLMSPELL_GRAPH_NO_PARENT, "row 0");
    CHECK(strcmp(rows.entity[1].id, "n1") == 0 && strcmp(rows.entity[2].id, "n4") == 0 && rows.depth[2] == 1, "depth 1");
    CHECK(strcmp(rows.entity[3].id, "n2") == 0 && strcmp(rows.entity[4].id, "n3") == 0 && rows.depth[4] == 2, "depth 2");
    CHECK(strcmp(rows.rel[4].id, "e43") == 0, "n3 reached by %s", rows.rel[4].id);
    n = llmspell_graph_rows_path(&rows, 4, path, 8);
    CHECK(n == 3 && strcmp(path[0], "n0") == 0 && strcmp(path[1], "n4") == 0 && strcmp(path[2], "n3") == 0, "path of n3: %zu", n);
    CHECK(llmspell_graph_rows_path(&rows, 4, NULL, 0) == 3, "measuring a path");
    CHECK_RC(llmspell_graph_traverse(&e.g, "n0", LLMSPELL_GRAPH_OUT, "x", 10, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 4 && rows.depth[3] == 3, "x only, cycle back to n0 ignored: %zu rows", rows.count);
    CHECK_RC(llmspell_graph_traverse(&e.g, "n3", LLMSPELL_GRAPH_IN, NULL, 1, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3, "in, 1 hop: %zu", rows.count);
    /* shortest paths */
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n0", "n3", LLMSPELL_GRAPH_OUT, NULL, 5, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3 && strcmp(rows.entity[1].id, "n4") == 0 && strcmp(rows.rel[2].id, "e43") == 0, "n0->n3: %zu", rows.count);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n0", "n3", LLMSPELL_GRAPH_OUT, "x", 5, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 4, "n0->n3 over x: %zu", rows.count);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n0", "n3", LLMSPELL_GRAPH_OUT, "x", 2, NOW, NOW, &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n1", "n1", LLMSPELL_GRAPH_OUT, NULL, 1, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "to itself: %zu", rows.count);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n1", "n0", LLMSPELL_GRAPH_BOTH, NULL, 3, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "n1-n0 both ways: %zu", rows.count);
    /* a later deletion of n4 reroutes the current path but not the old snapshot */
    e.clk.now = 5000;
    REQUIRE_RC(llmspell_graph_delete_entity(&e.g, "n4", 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n0", "n3", LLMSPELL_GRAPH_OUT, NULL, 5, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 4, "without n4: %zu", rows.count);
    CHECK_RC(llmspell_graph_shortest_path(&e.g, "n0", "n3", LLMSPELL_GRAPH_OUT, NULL, 5, 10, 4000, &rows), LLMSPELL_OK);
    CHECK(rows.count == 3, "snapshot 4000 still has n4: %zu", rows.count);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_query_filters(void)
{
    env e;
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    llmspell_graph_filter f[2];
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_MEMORY, "qf"), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "p1", "person", "Ann", "{\"city\":\"Oslo\",\"age\":30,\"ok\":true}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "p2", "person", "Bob", "{\"city\":\"Rome\",\"age\":30,\"ok\":false}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "c1", "city", "Oslo", "{\"city\":\"Oslo\",\"n\":null}", 0, INF), LLMSPELL_OK);
    memset(&q, 0, sizeof q);
    q.type = "person";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2 && strcmp(rows.entity[0].id, "p1") == 0, "type person: %zu", rows.count);
    f[0].key = "city";
    f[0].value = " \"Oslo\" ";
    q.filters = f;
    q.nfilters = 1;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "p1") == 0, "person in Oslo: %zu", rows.count);
    q.type = NULL;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "anything in Oslo: %zu", rows.count);
    f[1].key = "age";
    f[1].value = "30";
    q.nfilters = 2;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "Oslo and 30: %zu", rows.count);
    f[0].key = "ok";
    f[0].value = "false";
    q.nfilters = 1;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "p2") == 0, "ok=false: %zu", rows.count);
    f[0].key = "n";
    f[0].value = "null";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "c1") == 0, "n=null: %zu", rows.count);
    q.nfilters = 0;
    q.name = "Bob";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "p2") == 0, "name Bob: %zu", rows.count);
    q.name = "Nobody";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 0, "name Nobody: %zu", rows.count);
    /* the type index follows type changes */
    REQUIRE_RC(llmspell_graph_update_entity(&e.g, "p2", "robot", NULL, NULL, 0, INF), LLMSPELL_OK);
    memset(&q, 0, sizeof q);
    q.type = "person";
    q.tx_from = q.tx_to = NOW;
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "current persons: %zu", rows.count);
    q.type = "robot";
    CHECK_RC(llmspell_graph_query(&e.g, &q, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1 && strcmp(rows.entity[0].id, "p2") == 0, "robots: %zu", rows.count);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

static void test_delete_before(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    size_t removed = 99;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_FILE, "ret"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":1}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "gone", "t", "G", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ab", "r", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    e.clk.now = 1900;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":2}", 0, INF), LLMSPELL_OK);
    e.clk.now = 2000;
    REQUIRE_RC(llmspell_graph_delete_entity(&e.g, "gone", 0, INF), LLMSPELL_OK);
    e.clk.now = 3000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", "{\"v\":3}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_delete_rel(&e.g, "ab", 0, INF), LLMSPELL_OK);
    /* versions that ended by 2000 go: a's first, gone's only one */
    CHECK_RC(llmspell_graph_delete_before(&e.g, 2000, &removed), LLMSPELL_OK);
    CHECK(removed == 2, "removed %zu", removed);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, 1500, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, 2500, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":2}") == 0, "snapshot 2500: %s", x.properties);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "gone", &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 2, "a keeps %zu versions", rows.count);
    CHECK_RC(llmspell_graph_delete_before(&e.g, 2000, &removed), LLMSPELL_OK);
    CHECK(removed == 0, "second run removed %zu", removed);
    /* everything closed, relationships included; current knowledge stays */
    CHECK_RC(llmspell_graph_delete_before(&e.g, NOW, &removed), LLMSPELL_OK);
    CHECK(removed == 2, "removed %zu", removed);
    CHECK_RC(llmspell_graph_rel_history(&e.g, "ab", &rows), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.properties, "{\"v\":3}") == 0, "current: %s", x.properties);
    REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_entity_history(&e.g, "a", &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "after reopen a has %zu versions", rows.count);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 5, NOW, &x), LLMSPELL_OK);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

/* Graph transactions, and joining a kv transaction the caller opened. */
static void test_transactions(void)
{
    env e;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    sbuf before = {0}, after = {0};
    char why[400];
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(env_open(&e, B_FILE, "txn"), LLMSPELL_OK);
    e.clk.now = 1000;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", NULL, 0, INF), LLMSPELL_OK);
    /* several writes, one transaction time, other kv records in the same transaction */
    e.clk.now = 2000;
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    e.clk.now = 2500;
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&e.g, "ab", "r", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&e.kv, "user", 4, "1", 1), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_commit(&e.g), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "b", 5, NOW, &x), LLMSPELL_OK);
    CHECK(x.tx_from == 2000, "transaction time %lld", (long long)x.tx_from);
    /* rollback restores store and indexes exactly */
    dump_graph(&e.g, &before, PROBE, NPROBE);
    dump_kv(&e.kv, &before);
    e.clk.now = 3000;
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "c", "t", "C", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_update_entity(&e.g, "a", "u", NULL, "{\"k\":1}", 10, 20), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_erase_entity(&e.g, "b"), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B again", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_delete_before(&e.g, NOW, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "c", 5, NOW, &x), LLMSPELL_OK); /* reads see the transaction */
    REQUIRE_RC(llmspell_graph_rollback(&e.g), LLMSPELL_OK);
    dump_graph(&e.g, &after, PROBE, NPROBE);
    dump_kv(&e.kv, &after);
    CHECK(strcmp(before.p, after.p) == 0, "rollback: %s", dump_diff(before.p, after.p, why, sizeof why));
    /* joining a kv transaction the caller opened: committed */
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "j1", "t", "J1", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "j2", "t", "J2", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_commit(&e.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "j1", 5, NOW, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "j2", 5, NOW, &x), LLMSPELL_OK);
    /* ... rolled back: the graph notices on its next call */
    sb_free(&before);
    dump_graph(&e.g, &before, PROBE, NPROBE);
    dump_kv(&e.kv, &before);
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "j3", "t", "J3", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_erase_entity(&e.g, "j1"), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "j3", 5, NOW, &x), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_rollback(&e.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "j3", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "j1", 5, NOW, &x), LLMSPELL_OK);
    sb_free(&after);
    dump_graph(&e.g, &after, PROBE, NPROBE);
    dump_kv(&e.kv, &after);
    CHECK(strcmp(before.p, after.p) == 0, "kv rollback: %s", dump_diff(before.p, after.p, why, sizeof why));
    /* commit, then a new kv transaction before any graph call, rolled back */
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k1", "t", "K1", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_commit(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k2", "t", "K2", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_rollback(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "k1", 5, NOW, &x), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "k2", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    REQUIRE_RC(llmspell_kv_commit(&e.kv), LLMSPELL_OK);
    /* a graph transaction inside a kv transaction */
    REQUIRE_RC(llmspell_kv_begin(&e.kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k3", "t", "K3", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_commit(&e.g), LLMSPELL_OK);
    CHECK(e.kv.in_txn, "the graph committed the caller's kv transaction");
    REQUIRE_RC(llmspell_kv_rollback(&e.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "k3", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    /* the graph's own transaction committed behind its back on the kv */
    REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "k4", "t", "K4", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_commit(&e.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_commit(&e.g), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_graph_get_entity(&e.g, "k4", 5, NOW, &x), LLMSPELL_OK);
    /* all of it as the store has it */
    sb_free(&before);
    sb_free(&after);
    dump_graph(&e.g, &before, PROBE, NPROBE);
    REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
    dump_graph(&e.g, &after, PROBE, NPROBE);
    CHECK(strcmp(before.p, after.p) == 0, "reopen: %s", dump_diff(before.p, after.p, why, sizeof why));
    sb_free(&before);
    sb_free(&after);
    llmspell_graph_rows_free(&rows);
    env_close(&e);
}

/* ------------------------------------------------------------------------------------------ */
/* >>the same scenario on every backend, and after reopen                                      */

static void scenario(env *e)
{
    e->clk.now = 1000;
    build_walk_graph(e);
    llmspell_graph_put_entity(&e->g, "p", "person", "Pat", "{\"city\":\"Oslo\",\"age\":40}", 0, INF);
    llmspell_graph_put_rel(&e->g, "pn0", "owns", "p", "n0", "{\"share\":0.5}", 100, 900);
    e->clk.now = 1500;
    llmspell_graph_update_entity(&e->g, "p", NULL, NULL, "{\"city\":\"Rome\"}", 500, INF);
    llmspell_graph_put_entity(&e->g, "n2", "node", "two", "{\"renamed\":true}", 200, 300);
    e->clk.now = 2000;
    llmspell_graph_delete_entity(&e->g, "n1", 700, INF);
    llmspell_graph_begin(&e->g);
    llmspell_graph_put_entity(&e->g, "q", "person", "Quinn", NULL, NINF, INF);
    llmspell_graph_put_rel(&e->g, "qp", "knows", "q", "p", NULL, 0, INF);
    llmspell_graph_commit(&e->g);
    e->clk.now = 2500;
    llmspell_graph_erase_entity(&e->g, "n4");
    e->clk.now = 1200; /* a clock step backwards */
    llmspell_graph_update_rel(&e->g, "qp", "loves", NULL, 50, 60);
    e->clk.now = 3000;
    llmspell_graph_delete_before(&e->g, 1600, NULL);
}

static void test_backends_agree(void)
{
    env e;
    sbuf d[NBACKENDS], r;
    char why[400];
    int b;
    memset(d, 0, sizeof d);
    memset(&r, 0, sizeof r);
    for (b = 0; b < NBACKENDS; b++) {
        REQUIRE_RC(env_open(&e, (bkind)b, "agree"), LLMSPELL_OK);
        scenario(&e);
        dump_graph(&e.g, &d[b], PROBE, NPROBE);
        REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
        sb_free(&r);
        dump_graph(&e.g, &r, PROBE, NPROBE);
        CHECK(strcmp(d[b].p, r.p) == 0, "%s after reopen: %s", BNAMES[b], dump_diff(d[b].p, r.p, why, sizeof why));
        env_close(&e);
        if (b) CHECK(strcmp(d[0].p, d[b].p) == 0, "memory vs %s: %s", BNAMES[b], dump_diff(d[0].p, d[b].p, why, sizeof why));
    }
    CHECK(strstr(d[0].p, "E q|person|Quinn") != NULL && strstr(d[0].p, "R qp|loves|q>p") != NULL, "scenario did not run: %.300s", d[0].p);
    for (b = 0; b < NBACKENDS; b++) sb_free(&d[b]);
    sb_free(&r);
}

#if COMPAT_HAS_POSTGRES && !COMPAT_WIN32
#include <sys/wait.h>
/* >>shared stores: processes on one PostgreSQL store see each other's graph writes. A writer
   puts entities prefix0.. and links each to the hub "hub", one write at a time. */
static int gp_writer(const char *conninfo, const char *prefix, int count)
{
    llmspell_kv kv;
    llmspell_graph g;
    int i;
    if (llmspell_kv_open_postgres(&kv, conninfo, NULL) != LLMSPELL_OK || llmspell_graph_open(&g, &kv, NULL) != LLMSPELL_OK) return 1;
    for (i = 0; i < count; i++) {
        char id[32], rel[40];
        llmspell_graph_entity e;
        snprintf(id, sizeof id, "%s%d", prefix, i);
        snprintf(rel, sizeof rel, "%s-hub", id);
        if (llmspell_graph_put_entity(&g, id, "person", id, NULL, LLMSPELL_TIME_MIN, LLMSPELL_TIME_MAX) != LLMSPELL_OK ||
            llmspell_graph_put_rel(&g, rel, "knows", id, "hub", NULL, LLMSPELL_TIME_MIN, LLMSPELL_TIME_MAX) != LLMSPELL_OK) {
            fprintf(stderr, "%s: write %d: %s\n", prefix, i, llmspell_graph_errmsg(&g));
            return 2;
        }
        if (llmspell_graph_get_entity(&g, id, NOW, NOW, &e) != LLMSPELL_OK) {
            fprintf(stderr, "%s: reading back %s: %s\n", prefix, id, llmspell_graph_errmsg(&g));
            return 3;
        }
    }
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
    return 0;
}

static int gp_wait(pid_t pid)
{
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static void test_postgres_two_processes(void)
{
    char conninfo[COMPAT_PATH_MAX], why[512];
    llmspell_kv kv;
    llmspell_graph g, fresh;
    llmspell_graph_info info;
    llmspell_graph_entity e;
    llmspell_graph_rows rows;
    sbuf a, b;
    pid_t p1, p2;
    int r1, r2;
    REQUIRE(compat_pg_fresh(conninfo, sizeof conninfo, why, sizeof why), "no PostgreSQL store: %s", why);
    REQUIRE_RC(llmspell_kv_open_postgres(&kv, conninfo, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g, "hub", "place", "Hub", NULL, LLMSPELL_TIME_MIN, LLMSPELL_TIME_MAX), LLMSPELL_OK);

    /* another process writes while this handle stays open */
    if ((p1 = fork()) == 0) _exit(gp_writer(conninfo, "a", 20));
    CHECK((r1 = gp_wait(p1)) == 0, "process a ended with %d", r1);
    CHECK_RC(llmspell_graph_get_entity(&g, "a19", NOW, NOW, &e), LLMSPELL_OK);
    memset(&rows, 0, sizeof rows);
    CHECK_RC(llmspell_graph_neighbors(&g, "hub", LLMSPELL_GRAPH_IN, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 20, "the hub has %zu neighbours here, not 20", (size_t)rows.count);
    llmspell_graph_rows_free(&rows);
    /* a write here after theirs follows theirs */
    CHECK_RC(llmspell_graph_put_entity(&g, "hub", "place", "Hub 2", NULL, LLMSPELL_TIME_MIN, LLMSPELL_TIME_MAX), LLMSPELL_OK);

    /* two processes write at once */
    if ((p1 = fork()) == 0) _exit(gp_writer(conninfo, "b", 40));
    if ((p2 = fork()) == 0) _exit(gp_writer(conninfo, "c", 40));
    r1 = gp_wait(p1);
    r2 = gp_wait(p2);
    CHECK(r1 == 0 && r2 == 0, "processes b and c ended with %d and %d", r1, r2);
    REQUIRE_RC(llmspell_graph_info_get(&g, &info), LLMSPELL_OK);
    CHECK(info.entities == 101 && info.relationships == 100, "%llu entities and %llu relationships here, not 101 and 100",
          (unsigned long long)info.entities, (unsigned long long)info.relationships);
    memset(&rows, 0, sizeof rows);
    CHECK_RC(llmspell_graph_neighbors(&g, "hub", LLMSPELL_GRAPH_IN, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 100, "the hub has %zu neighbours here, not 100", (size_t)rows.count);
    llmspell_graph_rows_free(&rows);
    /* this handle's view is a fresh open's, at every probe time */
    REQUIRE_RC(llmspell_graph_open(&fresh, &kv, NULL), LLMSPELL_OK);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    dump_graph(&g, &a, PROBE, NPROBE);
    dump_graph(&fresh, &b, PROBE, NPROBE);
    CHECK(a.p && b.p && strcmp(a.p, b.p) == 0, "the open handle and a fresh open differ: %.200s", dump_diff(a.p, b.p, why, sizeof why));
    sb_free(&a);
    sb_free(&b);
    llmspell_graph_close(&fresh);
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
}
#endif

static void test_tenants_isolated(void)
{
    llmspell_kv root, t1, t2;
    llmspell_graph g1, g2;
    llmspell_graph_entity x;
    llmspell_graph_rows rows;
    memset(&rows, 0, sizeof rows);
    REQUIRE_RC(llmspell_kv_open_memory(&root, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&t1, &root, "acme", 4), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&t2, &root, "acme2", 5), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g1, &t1, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g2, &t2, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g1, "a", "t", "A1", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g1, "b", "t", "B1", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&g1, "ab", "r", "a", "b", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g2, "a", "t", "A2", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&g2, "b", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_put_rel(&g2, "ab", "r", "a", "b", NULL, 0, INF), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_graph_get_entity(&g2, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.name, "A2") == 0, "tenant 2 sees %s", x.name);
    REQUIRE_RC(llmspell_graph_erase_entity(&g2, "a"), LLMSPELL_OK);
    llmspell_graph_close(&g1);
    llmspell_graph_close(&g2);
    /* reopened: each tenant's graph holds its own records only */
    REQUIRE_RC(llmspell_graph_open(&g1, &t1, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g2, &t2, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&g1, "a", 5, NOW, &x), LLMSPELL_OK);
    CHECK(strcmp(x.name, "A1") == 0, "tenant 1 sees %s", x.name);
    CHECK_RC(llmspell_graph_neighbors(&g1, "a", LLMSPELL_GRAPH_OUT, NULL, NOW, NOW, &rows), LLMSPELL_OK);
    CHECK(rows.count == 1, "tenant 1 neighbours %zu", rows.count);
    CHECK_RC(llmspell_graph_get_entity(&g2, "a", 5, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
    {   /* and the root graph sees none of them */
        llmspell_graph g0;
        llmspell_graph_info info;
        REQUIRE_RC(llmspell_graph_open(&g0, &root, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_info_get(&g0, &info), LLMSPELL_OK);
        CHECK(info.entities == 0 && info.relationships == 0, "root graph has %llu entities", (unsigned long long)info.entities);
        llmspell_graph_close(&g0);
    }
    llmspell_graph_rows_free(&rows);
    llmspell_graph_close(&g1);
    llmspell_graph_close(&g2);
    llmspell_kv_close(&t1);
    llmspell_kv_close(&t2);
    llmspell_kv_close(&root);
}

static void test_corrupt_records(void)
{
    llmspell_kv kv;
    llmspell_graph g;
    uint8_t key[64], val[8] = {1, 2, 3};
    size_t n = 0;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    key[n++] = 0xFF;
    key[n++] = 'G';
    key[n++] = 'E';
    n += llmspell_tuple_put_bytes(key + n, sizeof key - n, "a", 1);
    n += llmspell_tuple_put_i64(key + n, sizeof key - n, 5);
    n += llmspell_tuple_put_i64(key + n, sizeof key - n, 0);
    REQUIRE_RC(llmspell_kv_put_sys(&kv, key, n, val, 3), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_ERR_CORRUPT);
    CHECK(strstr(llmspell_graph_errmsg(&g), "entity record 1") != NULL, "message: %s", llmspell_graph_errmsg(&g));
    CHECK_RC(llmspell_graph_get_entity(&g, "a", 1, NOW, NULL), LLMSPELL_ERR_CLOSED);
    REQUIRE_RC(llmspell_kv_put_sys(&kv, key, n - 3, val, 3), LLMSPELL_OK); /* a truncated key */
    REQUIRE_RC(llmspell_kv_delete_sys(&kv, key, n), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_ERR_CORRUPT);
    llmspell_kv_close(&kv);
}

/* ------------------------------------------------------------------------------------------ */
/* >>failures: allocation and kv writes                                                        */

#include "failalloc.h"

/* A step of the failure scenario; each leaves the graph either changed (OK) or exactly as
   before. Steps cover every write path. */
static llmspell_result fail_step(llmspell_graph *g, tclock *clk, int i)
{
    clk->now = 1000 + 100 * i;
    switch (i) {
    case 0: return llmspell_graph_put_entity(g, "a", "person", "Ann", "{\"city\":\"Oslo\",\"l\":[1,2,{\"z\":0}]}", 0, INF);
    case 1: return llmspell_graph_put_entity(g, "b", "person", "Bob", NULL, 0, INF);
    case 2: return llmspell_graph_put_rel(g, "ab", "knows", "a", "b", "{\"w\":1}", 0, INF);
    case 3: return llmspell_graph_put_entity(g, "a", "person", "Ann", "{\"city\":\"Rome\"}", 100, 200);
    case 4: return llmspell_graph_update_entity(g, "a", "human", NULL, "{\"age\":3,\"city\":null}", 50, 150);
    case 5: return llmspell_graph_delete_entity(g, "b", 500, INF);
    case 6: return llmspell_graph_put_entity(g, "c", "city", "Oslo", NULL, 0, INF);
    case 7: return llmspell_graph_put_rel(g, "ca", "has", "c", "a", NULL, 0, INF);
    case 8: {
        llmspell_result r = llmspell_graph_begin(g);
        if (r != LLMSPELL_OK) return r;
        if ((r = llmspell_graph_put_entity(g, "d", "t", "D", NULL, 0, INF)) == LLMSPELL_OK &&
            (r = llmspell_graph_put_rel(g, "da", "r", "d", "a", NULL, 0, INF)) == LLMSPELL_OK &&
            (r = llmspell_graph_update_rel(g, "ab", NULL, "{\"w\":2}", 0, 300)) == LLMSPELL_OK)
            r = llmspell_graph_commit(g);
        if (r != LLMSPELL_OK) {
            char keep[256];
            memcpy(keep, g->errmsg, sizeof keep);
            llmspell_graph_rollback(g);
            memcpy(g->errmsg, keep, sizeof keep);
        }
        return r;
    }
    case 9: return llmspell_graph_erase_entity(g, "a");
    case 10: return llmspell_graph_delete_before(g, 1750, NULL);
    case 11: return llmspell_graph_erase_entity(g, "d");
    default: return LLMSPELL_ERR_NOT_FOUND;
    }
}
#define FAIL_STEPS 12

static void test_alloc_failure(void)
{
    long n;
    int completed = 0, injected_total = 0;
    char why[400];
    for (n = 1; n < 20000 && !completed; n++) {
        counting_alloc ca;
        llmspell_kv_options ko;
        llmspell_kv kv;
        llmspell_graph g;
        llmspell_graph_options go;
        tclock clk = {1000};
        int i;
        memset(&ca, 0, sizeof ca);
        memset(&ko, 0, sizeof ko);
        memset(&go, 0, sizeof go);
        ko.allocator.alloc = ca_alloc;
        ko.allocator.realloc = ca_realloc;
        ko.allocator.free = ca_free;
        ko.allocator.ctx = &ca;
        go.clock.now = tclock_now;
        go.clock.ctx = &clk;
        if (llmspell_kv_open_memory(&kv, &ko) != LLMSPELL_OK) continue;
        ca.fail_at = 0;
        REQUIRE_RC(llmspell_graph_open(&g, &kv, &go), LLMSPELL_OK);
        ca.calls = 0;
        ca.fail_at = n; /* the n-th allocation after open fails */
        for (i = 0; i < FAIL_STEPS; i++) {
            sbuf before = {0}, after = {0};
            long fa = ca.fail_at, calls = ca.calls;
            llmspell_result r;
            ca.fail_at = 0; /* only the steps count: the dumps neither fail nor count */
            dump_graph(&g, &before, PROBE, NPROBE);
            dump_kv(&kv, &before);
            ca.calls = calls;
            ca.fail_at = fa;
            r = fail_step(&g, &clk, i);
            ca.fail_at = 0;
            calls = ca.calls;
            if (r != LLMSPELL_OK) {
                CHECK_RC(r, LLMSPELL_ERR_NOMEM);
                dump_graph(&g, &after, PROBE, NPROBE);
                dump_kv(&kv, &after);
                CHECK(strcmp(before.p, after.p) == 0, "n=%ld step %d failed but changed the graph: %s", n, i,
                      dump_diff(before.p, after.p, why, sizeof why));
                /* and the same step works afterwards */
                CHECK_RC(fail_step(&g, &clk, i), LLMSPELL_OK);
                injected_total++;
            }
            ca.calls = calls;
            ca.fail_at = fa;
            sb_free(&before);
            sb_free(&after);
            if (harness_failures) break;
        }
        completed = !ca.injected;
        ca.fail_at = 0;
        llmspell_graph_close(&g);
        llmspell_kv_close(&kv);
        CHECK(ca.live == 0, "n=%ld: %ld blocks leaked", n, ca.live);
        if (harness_failures) return;
    }
    fprintf(stderr, "note: alloc failure: %ld allocations failed in turn (%d failed steps)\n", n - 1, injected_total);
    CHECK(completed && n > 50, "the scenario never completed without failure (n=%ld)", n);
}

/* As-of lookups against a brute-force reading of the history, for ids whose version count
   grows well past the few the lookup scans without branching (and across a reopen, which
   rebuilds the indexes from the records). */
static int asof_expect(const llmspell_graph_rows *h, int rel, llmspell_time v, llmspell_time t)
{
    size_t i;
    int found = -1;
    for (i = 0; i < h->count; i++) {
        llmspell_time vf = rel ? h->rel[i].valid_from : h->entity[i].valid_from, vt = rel ? h->rel[i].valid_to : h->entity[i].valid_to;
        llmspell_time tf = rel ? h->rel[i].tx_from : h->entity[i].tx_from, tt = rel ? h->rel[i].tx_to : h->entity[i].tx_to;
        int tx_ok = t == NOW ? tt == INF : (tf <= t && t < tt);
        if (vf <= v && v < vt && tx_ok) {
            if (found >= 0) return -2; /* two visible versions: broken history */
            found = (int)i;
        }
    }
    return found;
}

static void check_asof_grid(env *e, const char *eid, const char *rid, llmspell_time tmax, const char *when)
{
    llmspell_graph_rows h;
    int pass;
    memset(&h, 0, sizeof h);
    for (pass = 0; pass < 2; pass++) {
        const char *id = pass ? rid : eid;
        llmspell_time v, t;
        if (!id) continue;
        if (pass ? llmspell_graph_rel_history(&e->g, id, &h) : llmspell_graph_entity_history(&e->g, id, &h)) {
            CHECK(0, "%s: history of %s failed", when, id);
            break;
        }
        for (t = 900; t <= tmax + 100; t += 50) {
            llmspell_time tt = t > tmax ? NOW : t;
            for (v = -50; v <= 1100; v += 25) {
                int want = asof_expect(&h, pass, v, tt);
                llmspell_graph_entity ge;
                llmspell_graph_rel gr;
                llmspell_result r;
                if (pass && want >= 0 && /* rule 6: both endpoints visible (entities were checked in pass 0) */
                    (llmspell_graph_get_entity(&e->g, h.rel[want].source, v, tt, &ge) != LLMSPELL_OK ||
                     llmspell_graph_get_entity(&e->g, h.rel[want].target, v, tt, &ge) != LLMSPELL_OK))
                    want = -1;
                r = pass ? llmspell_graph_get_rel(&e->g, id, v, tt, &gr) : llmspell_graph_get_entity(&e->g, id, v, tt, &ge);
                CHECK(want != -2, "%s: %s has two versions visible at (%lld, %lld)", when, id, (long long)v, (long long)tt);
                if (want < 0) {
                    CHECK_RC(r, LLMSPELL_ERR_NOT_FOUND);
                } else if (r != LLMSPELL_OK) {
                    CHECK(0, "%s: %s at (%lld, %lld): %s", when, id, (long long)v, (long long)tt, llmspell_graph_errmsg(&e->g));
                } else if (pass) {
                    CHECK(gr.tx_from == h.rel[want].tx_from && gr.valid_from == h.rel[want].valid_from &&
                              strcmp(gr.properties, h.rel[want].properties) == 0 && strcmp(gr.id, id) == 0,
                          "%s: %s at (%lld, %lld): wrong version", when, id, (long long)v, (long long)tt);
                } else {
                    CHECK(ge.tx_from == h.entity[want].tx_from && ge.valid_from == h.entity[want].valid_from &&
                              strcmp(ge.properties, h.entity[want].properties) == 0 && strcmp(ge.id, id) == 0,
                          "%s: %s at (%lld, %lld): wrong version", when, id, (long long)v, (long long)tt);
                }
                if (harness_failures) goto out;
            }
        }
    }
out:
    llmspell_graph_rows_free(&h);
}

static void test_asof_many_versions(void)
{
    env e;
    rng r = {7};
    int i;
    char props[64];
    REQUIRE_RC(env_open(&e, B_FILE, "asof"), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&e.g, "b", "t", "B", NULL, NINF, INF), LLMSPELL_OK);
    for (i = 0; i < 40 && !harness_failures; i++) {
        llmspell_time a = (llmspell_time)rng_below(&r, 1000), b = a + 1 + (llmspell_time)rng_below(&r, 400);
        e.clk.now = 1000 + 100 * (i + 1);
        snprintf(props, sizeof props, "{\"i\":%d}", i);
        if (i % 7 == 6) {
            CHECK_RC(llmspell_graph_delete_entity(&e.g, "a", a, b), LLMSPELL_OK);
        } else {
            CHECK_RC(llmspell_graph_put_entity(&e.g, "a", "t", "A", props, a, i % 5 == 4 ? INF : b), LLMSPELL_OK);
        }
        if (i == 0 || i % 3 == 0) CHECK_RC(llmspell_graph_put_rel(&e.g, "ab", "r", "a", "b", props, a, b), LLMSPELL_OK);
        check_asof_grid(&e, "a", i ? "ab" : NULL, e.clk.now, "after a write");
    }
    CHECK_RC(env_reopen(&e), LLMSPELL_OK);
    check_asof_grid(&e, "a", "ab", e.clk.now, "after reopen");
    {
        llmspell_graph_entity x;
        CHECK_RC(llmspell_graph_get_entity(&e.g, "nope", NOW, NOW, &x), LLMSPELL_ERR_NOT_FOUND);
        CHECK(strcmp(llmspell_graph_errmsg(&e.g), "graph: no entity 'nope'") == 0, "message: %s", llmspell_graph_errmsg(&e.g));
        CHECK_RC(llmspell_graph_get_entity(&e.g, "a", 5000, 900, &x), LLMSPELL_ERR_NOT_FOUND);
        CHECK(strcmp(llmspell_graph_errmsg(&e.g), "graph: entity 'a' is not visible at that time") == 0, "message: %s",
              llmspell_graph_errmsg(&e.g));
    }
    env_close(&e);
}

/* Open (the index rebuild) of a populated store, with each allocation failing in turn: ERR_NOMEM,
   nothing leaked, and once it gets through, the same graph as a plain open. */
static void test_open_alloc_failure(void)
{
    counting_alloc ca;
    llmspell_kv_options ko;
    llmspell_kv kv;
    llmspell_graph g;
    llmspell_graph_options go;
    tclock clk = {1000};
    sbuf ref = {0};
    long n;
    int i, done = 0;
    memset(&ca, 0, sizeof ca);
    memset(&ko, 0, sizeof ko);
    memset(&go, 0, sizeof go);
    ko.allocator.alloc = ca_alloc;
    ko.allocator.realloc = ca_realloc;
    ko.allocator.free = ca_free;
    ko.allocator.ctx = &ca;
    go.clock.now = tclock_now;
    go.clock.ctx = &clk;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, &ko), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g, &kv, &go), LLMSPELL_OK);
    for (i = 0; i < FAIL_STEPS; i++) {
        llmspell_result r = fail_step(&g, &clk, i);
        CHECK(r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND, "step %d: %s", i, llmspell_graph_errmsg(&g));
    }
    CHECK_RC(llmspell_graph_put_entity(&g, "e", "t", "E", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&g, "f", "t", "F", NULL, 0, INF), LLMSPELL_OK);
    for (i = 0; i < 12; i++) {
        char id[16];
        snprintf(id, sizeof id, "r%02d", i);
        clk.now += 10;
        CHECK_RC(llmspell_graph_put_entity(&g, "e", "t", "E", i % 2 ? "{\"x\":1}" : "{\"x\":2}", 100 * i, INF), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_put_rel(&g, id, "r", i % 3 ? "e" : "f", i % 2 ? "f" : "e", NULL, 10 * i, INF), LLMSPELL_OK);
    }
    llmspell_graph_close(&g);
    REQUIRE_RC(llmspell_graph_open(&g, &kv, &go), LLMSPELL_OK);
    dump_graph(&g, &ref, PROBE, NPROBE);
    llmspell_graph_close(&g);
    for (n = 1; n < 5000 && !done && !harness_failures; n++) {
        long live = ca.live;
        llmspell_result r;
        ca.calls = 0;
        ca.injected = 0;
        ca.fail_at = n;
        r = llmspell_graph_open(&g, &kv, &go);
        ca.fail_at = 0;
        if (r == LLMSPELL_OK) {
            sbuf got = {0};
            char why[400];
            dump_graph(&g, &got, PROBE, NPROBE);
            CHECK(strcmp(ref.p, got.p) == 0, "n=%ld: the reopened graph differs: %s", n, dump_diff(ref.p, got.p, why, sizeof why));
            sb_free(&got);
            llmspell_graph_close(&g);
            done = !ca.injected;
        } else {
            CHECK_RC(r, LLMSPELL_ERR_NOMEM);
            CHECK(g.impl == NULL, "n=%ld: a failed open left the handle open", n);
        }
        CHECK(ca.live == live, "n=%ld: %ld blocks leaked", n, ca.live - live);
    }
    CHECK(done && n > 20, "open never completed without failure (n=%ld)", n);
    fprintf(stderr, "note: open alloc failure: %ld allocations failed in turn\n", n - 1);
    sb_free(&ref);
    llmspell_kv_close(&kv);
    CHECK(ca.live == 0, "%ld blocks leaked", ca.live);
}

/* A kv whose N-th write (put or delete) fails: the memory backend's own functions behind
   counting wrappers. */
static struct { llmspell_result (*put)(llmspell_kv *, const uint8_t *, size_t, const void *, size_t);
                llmspell_result (*del)(llmspell_kv *, const uint8_t *, size_t);
                llmspell_result (*commit)(llmspell_kv *);
                long writes, fail_at; } g_fk;
static llmspell_result fk_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn)
{
    if (++g_fk.writes == g_fk.fail_at) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected write failure");
    return g_fk.put(kv, k, kn, v, vn);
}
static llmspell_result fk_del(llmspell_kv *kv, const uint8_t *k, size_t kn)
{
    if (++g_fk.writes == g_fk.fail_at) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected delete failure");
    return g_fk.del(kv, k, kn);
}
static llmspell_result fk_commit(llmspell_kv *kv)
{
    if (++g_fk.writes == g_fk.fail_at) { /* a failed commit has rolled back */
        kv->rollback(kv);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected commit failure");
    }
    return g_fk.commit(kv);
}

static void test_kv_write_failure(void)
{
    long n;
    int completed = 0, injected = 0;
    char why[400];
    for (n = 1; n < 5000 && !completed; n++) {
        llmspell_kv kv;
        llmspell_graph g;
        llmspell_graph_options go;
        tclock clk = {1000};
        int i;
        REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
        g_fk.put = kv.put;
        g_fk.del = kv.del;
        g_fk.commit = kv.commit;
        kv.put = fk_put;
        kv.del = fk_del;
        kv.commit = fk_commit;
        g_fk.writes = 0;
        g_fk.fail_at = n;
        memset(&go, 0, sizeof go);
        go.clock.now = tclock_now;
        go.clock.ctx = &clk;
        REQUIRE_RC(llmspell_graph_open(&g, &kv, &go), LLMSPELL_OK);
        for (i = 0; i < FAIL_STEPS; i++) {
            sbuf before = {0}, after = {0};
            long fa = g_fk.fail_at;
            llmspell_result r;
            dump_graph(&g, &before, PROBE, NPROBE);
            dump_kv(&kv, &before);
            r = fail_step(&g, &clk, i);
            if (r != LLMSPELL_OK) {
                g_fk.fail_at = 0;
                CHECK_RC(r, LLMSPELL_ERR_IO);
                dump_graph(&g, &after, PROBE, NPROBE);
                dump_kv(&kv, &after);
                CHECK(strcmp(before.p, after.p) == 0, "n=%ld step %d failed but changed the graph: %s", n, i,
                      dump_diff(before.p, after.p, why, sizeof why));
                CHECK_RC(fail_step(&g, &clk, i), LLMSPELL_OK);
                injected++;
                g_fk.fail_at = fa;
            }
            sb_free(&before);
            sb_free(&after);
            if (harness_failures) break;
        }
        completed = g_fk.writes < n;
        llmspell_graph_close(&g);
        llmspell_kv_close(&kv);
        if (harness_failures) return;
    }
    fprintf(stderr, "note: kv failure: each of %ld writes failed in turn\n", n - 1);
    CHECK(completed && injected > 20, "completed %d after %ld, injected %d", completed, n, injected);
}

/* ------------------------------------------------------------------------------------------ */
/* >>the randomized model test                                                                 */

/* The reference: a plain list of versions with the rules applied, nothing clever. Properties
   are small maps {a,b,c} -> int (0 = absent) rendered canonically. */
#define MIDS 5
#define MAXROWS 4096
typedef struct mrow {
    int id, type, name;
    int props[3];
    llmspell_time vf, vt, tf, tt, created;
} mrow;
typedef struct model {
    mrow r[MAXROWS];
    int n;
    llmspell_time last;
} model;

static void props_text(const int *p, char *out, int scramble)
{
    int i, first = 1, n = 0;
    static const char *const keys[] = {"a", "b", "c"};
    n += sprintf(out + n, scramble ? " {" : "{");
    for (i = scramble ? 2 : 0; scramble ? i >= 0 : i < 3; i += scramble ? -1 : 1) {
        if (!p[i]) continue;
        n += sprintf(out + n, scramble ? "%s \"%s\" : %d" : "%s\"%s\":%d", first ? "" : ",", keys[i], p[i]);
        first = 0;
    }
    sprintf(out + n, scramble ? " } " : "}");
}

static int m_same(const mrow *x, int type, int name, const int *p)
{
    return x->type == type && x->name == name && !memcmp(x->props, p, sizeof x->props);
}

/* A write of content over [a,b) (del: none) on id, at T: rule 3 on the elementary segments. */
typedef struct mpiece { llmspell_time a, b; int del, type, name, props[3]; } mpiece;
static void m_write(model *m, int id, const mpiece *p, int np, llmspell_time T)
{
    llmspell_time bnd[256];
    int nb = 0, i, j, k, cur[64], nc = 0, rep[64];
    llmspell_time created = T;
    mrow runs[64];
    int nruns = 0, open = 0;
    for (i = 0; i < m->n; i++)
        if (m->r[i].id == id) created = m->r[i].created;
    for (i = 0; i < m->n; i++)
        if (m->r[i].id == id && m->r[i].tt == INF) cur[nc++] = i;
    for (i = 0; i < nc; i++) { bnd[nb++] = m->r[cur[i]].vf; bnd[nb++] = m->r[cur[i]].vt; rep[i] = 0; }
    for (i = 0; i < np; i++) { bnd[nb++] = p[i].a; bnd[nb++] = p[i].b; }
    for (i = 1; i < nb; i++) /* insertion sort + unique */
        for (j = i; j > 0 && bnd[j - 1] > bnd[j]; j--) { llmspell_time t = bnd[j]; bnd[j] = bnd[j - 1]; bnd[j - 1] = t; }
    for (i = j = 0; i < nb; i++)
        if (!j || bnd[j - 1] != bnd[i]) bnd[j++] = bnd[i];
    nb = j;
    for (j = 0; j + 1 < nb; j++) {
        llmspell_time s = bnd[j], e = bnd[j + 1];
        int old = -1, has = 0, type = 0, name = 0, pr[3] = {0, 0, 0};
        for (i = 0; i < nc; i++)
            if (m->r[cur[i]].vf <= s && s < m->r[cur[i]].vt) old = i;
        for (i = 0; i < np; i++)
            if (p[i].a <= s && s < p[i].b) break;
        if (i < np) {
            if (!p[i].del) { has = 1; type = p[i].type; name = p[i].name; memcpy(pr, p[i].props, sizeof pr); }
        } else if (old >= 0) {
            const mrow *o = &m->r[cur[old]];
            has = 1; type = o->type; name = o->name; memcpy(pr, o->props, sizeof pr);
        }
        if (old >= 0 && (!has || !m_same(&m->r[cur[old]], type, name, pr))) rep[old] = 1;
        /* runs are decided after all of rep is known: remember the segment */
        runs[nruns].vf = s; runs[nruns].vt = e; runs[nruns].id = has; runs[nruns].type = type; runs[nruns].name = name;
        memcpy(runs[nruns].props, pr, sizeof pr);
        runs[nruns].created = old; /* the covering version, temporarily */
        nruns++;
    }
    /* close / drop replaced versions */
    for (i = nc - 1; i >= 0; i--) {
        if (!rep[i]) continue;
        if (m->r[cur[i]].tf == T) { m->r[cur[i]] = m->r[--m->n]; }
        else m->r[cur[i]].tt = T;
    }
    /* new versions: runs over points not kept */
    for (j = 0, k = -1; j < nruns; j++) {
        mrow *s = &runs[j];
        int old = (int)s->created;
        if ((old >= 0 && !rep[old]) || !s->id) { open = 0; continue; }
        if (open && m->r[k].vt == s->vf && m_same(&m->r[k], s->type, s->name, s->props)) { m->r[k].vt = s->vt; continue; }
        k = m->n++;
        m->r[k].id = id; m->r[k].type = s->type; m->r[k].name = s->name; memcpy(m->r[k].props, s->props, sizeof s->props);
        m->r[k].vf = s->vf; m->r[k].vt = s->vt; m->r[k].tf = T; m->r[k].tt = INF; m->r[k].created = created;
        open = 1;
    }
}

static int m_cmp(const void *a, const void *b)
{
    const mrow *x = (const mrow *)a, *y = (const mrow *)b;
    if (x->id != y->id) return x->id - y->id;
    if (x->tf != y->tf) return x->tf < y->tf ? -1 : 1;
    return x->vf < y->vf ? -1 : x->vf > y->vf;
}

static int row_matches(const mrow *x, const llmspell_graph_entity *e)
{
    char id[8], ty[8], nm[8], pr[64];
    sprintf(id, "i%d", x->id);
    sprintf(ty, "t%d", x->type);
    sprintf(nm, "n%d", x->name);
    props_text(x->props, pr, 0);
    return !strcmp(e->id, id) && !strcmp(e->type, ty) && !strcmp(e->name, nm) && !strcmp(e->properties, pr) &&
           e->valid_from == x->vf && e->valid_to == x->vt && e->tx_from == x->tf && e->tx_to == x->tt && e->created_at == x->created;
}

static llmspell_time rand_time(rng *r)
{
    static const llmspell_time special[] = {NINF, INF, 0};
    unsigned k = rng_below(r, 20);
    if (k == 0) return special[rng_below(r, 3)];
    return (llmspell_time)rng_below(r, 12) * 10;
}

/* Compares the graph with the model: as-of lookups, histories, a query. Returns 0 on a mismatch. */
static int m_check(llmspell_graph *g, model *m, rng *rg, llmspell_graph_rows *rows, const char *where)
{
    int id, i, k;
    char ids[16];
    llmspell_graph_entity e;
    qsort(m->r, (size_t)m->n, sizeof *m->r, m_cmp);
    for (id = 0; id < MIDS; id++) {
        int cnt = 0, first = -1;
        llmspell_result r;
        sprintf(ids, "i%d", id);
        for (i = 0; i < m->n; i++)
            if (m->r[i].id == id) { if (first < 0) first = i; cnt++; }
        r = llmspell_graph_entity_history(g, ids, rows);
        if (cnt == 0) {
            CHECK(r == LLMSPELL_ERR_NOT_FOUND, "%s: history of %s: %d, model has none", where, ids, (int)r);
        } else {
            CHECK(r == LLMSPELL_OK && rows->count == (size_t)cnt, "%s: history of %s: rc %d, %zu versions, model %d", where, ids, (int)r,
                  rows->count, cnt);
            for (k = 0; r == LLMSPELL_OK && k < cnt && (size_t)k < rows->count; k++)
                CHECK(row_matches(&m->r[first + k], &rows->entity[k]), "%s: history of %s, version %d differs (%s [%lld,%lld) tx [%lld,%lld))",
                      where, ids, k, rows->entity[k].properties, (long long)rows->entity[k].valid_from,
                      (long long)rows->entity[k].valid_to, (long long)rows->entity[k].tx_from, (long long)rows->entity[k].tx_to);
        }
        /* as-of at random (v, t), "now" included */
        for (k = 0; k < 6; k++) {
            llmspell_time v = rand_time(rg), t;
            const mrow *want = NULL;
            if (v == INF) v = 55;
            t = rng_below(rg, 3) == 0 ? NOW : 900 + (llmspell_time)rng_below(rg, (unsigned)(m->last - 890 > 0 ? m->last - 890 : 1) + 20);
            for (i = 0; i < m->n; i++) {
                const mrow *x = &m->r[i];
                if (x->id == id && x->vf <= v && v < x->vt && (t == NOW ? x->tt == INF : x->tf <= t && t < x->tt)) {
                    CHECK(want == NULL, "%s: the model has two versions of %s at (%lld,%lld)", where, ids, (long long)v, (long long)t);
                    want = x;
                }
            }
            r = llmspell_graph_get_entity(g, ids, v, t, &e);
            if (!want) CHECK(r == LLMSPELL_ERR_NOT_FOUND, "%s: %s at (%lld,%lld) found %s, model has nothing", where, ids, (long long)v,
                             (long long)t, r == LLMSPELL_OK ? e.properties : "?");
            else CHECK(r == LLMSPELL_OK && row_matches(want, &e), "%s: %s at (%lld,%lld): rc %d", where, ids, (long long)v, (long long)t, (int)r);
        }
    }
    { /* a temporal query with random windows and a type */
        llmspell_graph_query_desc q;
        int want = 0, ty = (int)rng_below(rg, 3);
        char tys[8];
        memset(&q, 0, sizeof q);
        q.valid_from = (llmspell_time)rng_below(rg, 100);
        q.valid_to = q.valid_from + 1 + (llmspell_time)rng_below(rg, 60);
        q.tx_from = 900 + (llmspell_time)rng_below(rg, 300);
        q.tx_to = q.tx_from + 1 + (llmspell_time)rng_below(rg, 300);
        if (rng_below(rg, 2)) { sprintf(tys, "t%d", ty); q.type = tys; } else ty = -1;
        for (i = 0; i < m->n; i++) {
            const mrow *x = &m->r[i];
            if ((ty < 0 || x->type == ty) && x->vf < q.valid_to && q.valid_from < x->vt && x->tf < q.tx_to && q.tx_from < x->tt) want++;
        }
        CHECK(llmspell_graph_query(g, &q, rows) == LLMSPELL_OK && rows->count == (size_t)want, "%s: query found %zu, model %d", where,
              rows->count, want);
        for (i = 0, k = 0; i < m->n && (size_t)k < rows->count; i++) {
            const mrow *x = &m->r[i];
            if ((ty < 0 || x->type == ty) && x->vf < q.valid_to && q.valid_from < x->vt && x->tf < q.tx_to && q.tx_from < x->tt)
                CHECK(row_matches(x, &rows->entity[k++]), "%s: query row %d differs", where, k - 1);
        }
    }
    return harness_failures == 0;
}

static llmspell_time m_next_tx(model *m, llmspell_time clock) { return clock > m->last ? clock : m->last + 1; }

static void test_model_random(void)
{
    static model m;
    rng rg = {20260101};
    llmspell_graph_rows rows;
    int seq, step, nseq = 3000, steps = 25;
    long ops = 0;
    memset(&rows, 0, sizeof rows);
    for (seq = 0; seq < nseq && !harness_failures; seq++) {
        env e;
        char where[96];
        bkind kind = seq % 10 == 9 ? B_FILE : B_MEMORY;
        memset(&m, 0, sizeof m);
        m.last = NINF;
        REQUIRE_RC(env_open(&e, kind, "model"), LLMSPELL_OK);
        e.clk.now = 1000;
        for (step = 0; step < steps && !harness_failures; step++) {
            int op = (int)rng_below(&rg, 100), id = (int)rng_below(&rg, MIDS);
            char ids[16], ty[16], nm[16], pt[96];
            mpiece p;
            llmspell_result r;
            llmspell_time T;
            snprintf(where, sizeof where, "seq %d step %d op %d", seq, step, op);
            sprintf(ids, "i%d", id);
            /* the clock: forward, standing, or backwards */
            e.clk.now += (llmspell_time)rng_below(&rg, 30) - 8;
            memset(&p, 0, sizeof p);
            p.a = rand_time(&rg);
            p.b = rand_time(&rg);
            if (p.a == INF) p.a = 5;
            if (p.b == NINF) p.b = 115;
            if (p.a >= p.b) { llmspell_time t = p.a; p.a = p.b; p.b = t; }
            if (p.a == p.b) p.b = p.a == INF ? INF : p.a + 7;
            if (p.a == INF) p.a = 100;
            p.type = (int)rng_below(&rg, 3);
            p.name = (int)rng_below(&rg, 2);
            p.props[0] = (int)rng_below(&rg, 3);
            p.props[1] = (int)rng_below(&rg, 2);
            p.props[2] = 0;
            sprintf(ty, "t%d", p.type);
            sprintf(nm, "n%d", p.name);
            props_text(p.props, pt, (int)rng_below(&rg, 2));
            ops++;
            if (op < 45) { /* put (often a retroactive correction of a past range) */
                T = m_next_tx(&m, e.clk.now);
                r = llmspell_graph_put_entity(&e.g, ids, ty, nm, pt, p.a, p.b);
                CHECK_RC(r, LLMSPELL_OK);
                m_write(&m, id, &p, 1, T);
                /* a write takes time only if it changed something: compare with the store */
                {
                    llmspell_graph_info info;
                    llmspell_graph_info_get(&e.g, &info);
                    if (info.last_tx == T) m.last = T;
                }
            } else if (op < 65) { /* update: merge props {b: x, c: y-or-null} */
                int i, pb = (int)rng_below(&rg, 3), pc = (int)rng_below(&rg, 2);
                char patch[64];
                mpiece pcs[64];
                int np = 0;
                int newtype = rng_below(&rg, 3) == 0 ? (int)rng_below(&rg, 3) : -1;
                if (pb) snprintf(patch, sizeof patch, "{\"b\":%d,\"c\":%s}", pb, pc ? "9" : "null");
                else snprintf(patch, sizeof patch, "{\"c\":%s, \"b\":null}", pc ? "9" : "null");
                qsort(m.r, (size_t)m.n, sizeof *m.r, m_cmp);
                for (i = 0; i < m.n; i++) {
                    mrow *x = &m.r[i];
                    if (x->id != id || x->tt != INF) continue;
                    if (x->vt <= p.a || x->vf >= p.b) continue;
                    pcs[np].a = x->vf > p.a ? x->vf : p.a;
                    pcs[np].b = x->vt < p.b ? x->vt : p.b;
                    pcs[np].del = 0;
                    pcs[np].type = newtype >= 0 ? newtype : x->type;
                    pcs[np].name = x->name;
                    pcs[np].props[0] = x->props[0];
                    pcs[np].props[1] = pb;
                    pcs[np].props[2] = pc ? 9 : 0;
                    np++;
                }
                if (newtype >= 0) sprintf(ty, "t%d", newtype);
                r = llmspell_graph_update_entity(&e.g, ids, newtype >= 0 ? ty : NULL, NULL, patch, p.a, p.b);
                if (np == 0) CHECK_RC(r, LLMSPELL_ERR_NOT_FOUND);
                else {
                    llmspell_graph_info info;
                    CHECK_RC(r, LLMSPELL_OK);
                    /* pieces sorted by valid_from */
                    for (i = 1; i < np; i++) {
                        int j;
                        for (j = i; j > 0 && pcs[j - 1].a > pcs[j].a; j--) { mpiece t = pcs[j]; pcs[j] = pcs[j - 1]; pcs[j - 1] = t; }
                    }
                    T = m_next_tx(&m, e.clk.now);
                    m_write(&m, id, pcs, np, T);
                    llmspell_graph_info_get(&e.g, &info);
                    if (info.last_tx == T) m.last = T;
                }
            } else if (op < 78) { /* delete over a range */
                int known = 0, i;
                for (i = 0; i < m.n; i++) known |= m.r[i].id == id;
                r = llmspell_graph_delete_entity(&e.g, ids, p.a, p.b);
                if (!known) CHECK_RC(r, LLMSPELL_ERR_NOT_FOUND);
                else {
                    llmspell_graph_info info;
                    CHECK_RC(r, LLMSPELL_OK);
                    p.del = 1;
                    T = m_next_tx(&m, e.clk.now);
                    m_write(&m, id, &p, 1, T);
                    llmspell_graph_info_get(&e.g, &info);
                    if (info.last_tx == T) m.last = T;
                }
            } else if (op < 83) { /* erase */
                int known = 0, i, j;
                for (i = 0; i < m.n; i++) known |= m.r[i].id == id;
                r = llmspell_graph_erase_entity(&e.g, ids);
                CHECK_RC(r, known ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND);
                if (known) m.last = m_next_tx(&m, e.clk.now);
                for (i = j = 0; i < m.n; i++)
                    if (m.r[i].id != id) m.r[j++] = m.r[i];
                m.n = j;
            } else if (op < 88) { /* retention */
                llmspell_time t = 900 + (llmspell_time)rng_below(&rg, 400);
                size_t removed = 0;
                int i, j, want = 0;
                CHECK_RC(llmspell_graph_delete_before(&e.g, t, &removed), LLMSPELL_OK);
                for (i = j = 0; i < m.n; i++) {
                    if (m.r[i].tt <= t) want++;
                    else m.r[j++] = m.r[i];
                }
                m.n = j;
                CHECK(removed == (size_t)want, "%s: retention removed %zu, model %d", where, removed, want);
                if (want) m.last = m_next_tx(&m, e.clk.now);
            } else if (op < 94) { /* a transaction of two writes, committed or rolled back */
                int commit = (int)rng_below(&rg, 2), id2 = (int)rng_below(&rg, MIDS);
                char ids2[8];
                static model save;
                sprintf(ids2, "i%d", id2);
                save = m;
                T = m_next_tx(&m, e.clk.now);
                REQUIRE_RC(llmspell_graph_begin(&e.g), LLMSPELL_OK);
                CHECK_RC(llmspell_graph_put_entity(&e.g, ids, ty, nm, pt, p.a, p.b), LLMSPELL_OK);
                m_write(&m, id, &p, 1, T);
                p.a = p.a == NINF ? 0 : p.a + 3;
                if (p.a >= p.b) p.b = p.a + 1;
                p.props[2] = 5;
                props_text(p.props, pt, 0);
                CHECK_RC(llmspell_graph_put_entity(&e.g, ids2, ty, nm, pt, p.a, p.b), LLMSPELL_OK);
                m_write(&m, id2, &p, 1, T);
                if (commit) {
                    llmspell_graph_info info;
                    CHECK_RC(llmspell_graph_commit(&e.g), LLMSPELL_OK);
                    llmspell_graph_info_get(&e.g, &info);
                    if (info.last_tx == T) m.last = T;
                } else {
                    CHECK_RC(llmspell_graph_rollback(&e.g), LLMSPELL_OK);
                    m = save;
                }
            } else { /* reopen: rebuild the indexes from the store */
                REQUIRE_RC(env_reopen(&e), LLMSPELL_OK);
            }
            if (!m_check(&e.g, &m, &rg, &rows, where)) break;
        }
        env_close(&e);
    }
    fprintf(stderr, "note: model test: %d sequences, %ld operations\n", seq, ops);
    llmspell_graph_rows_free(&rows);
}

/* ------------------------------------------------------------------------------------------ */
/* >>main                                                                                      */

int main(void)
{
    int rc;
    if (!compat_make_tmpdir(g_tmpdir, sizeof g_tmpdir, "llmspell-graph-")) {
        perror("cannot make a temporary directory");
        return 2;
    }
    compat_note_no_sqlite("test_graph_backends_agree (memory and file only)");
    RUN(test_rule1_intervals);
    RUN(test_rule2_tx_time);
    RUN(test_rule3_replace_range);
    RUN(test_rule4_delete_and_erase);
    RUN(test_rule5_asof_and_windows);
    RUN(test_rule6_visibility);
    RUN(test_rule7_identical);
    RUN(test_bad_input);
    RUN(test_update_merge);
    RUN(test_walks);
    RUN(test_query_filters);
    RUN(test_delete_before);
    RUN(test_transactions);
    RUN(test_backends_agree);
#if COMPAT_HAS_POSTGRES && !COMPAT_WIN32
    RUN(test_postgres_two_processes);
#endif
    RUN(test_tenants_isolated);
    RUN(test_corrupt_records);
    RUN(test_alloc_failure);
    RUN(test_open_alloc_failure);
    RUN(test_asof_many_versions);
    RUN(test_kv_write_failure);
    RUN(test_model_random);
    rc = harness_exit();
    compat_remove_tree(g_tmpdir);
    return rc;
}
