/* test_export.c - tests for the store export / import / migration of llmspell_export.h
   cc -std=c99 -O1 -g -Wall -Wextra -I. tests/test_export.c -o build/test_export -lsqlite3 -lm

   a. round trip: memory, file and SQLite sources (binary values, non-UTF-8 keys and tenants,
      several tenants, vectors of 3 dimensions with nested metadata, graph histories with
      corrections) -> import into each other backend -> export: identical `data` (and
      collection list); searches and as-of queries answer the same
   b. a hand-made file in rs-llmspell's style (pgvector text embeddings, base64 of text,
      empty optional sections, null optional fields, sections we do not model) imports with
      the right counts and its unknown sections come back on export
   c. bad input: a valid export truncated at every byte offset (rejected, store unchanged);
      version 2.0; dimension key vs length; bad base64; duplicates; overlaps; dangling
      endpoints; error positions and JSON paths
   d. a failure injected at every write (put, delete, commit) of an import leaves the target
      unchanged (memory, file and SQLite backends)
   e. migration memory -> file -> SQLite -> memory with progress; tenant view export/import */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define COMPAT_WANT_SQLITE /* unless -DLLMSPELL_TEST_NO_SQLITE, and on Windows only with -DLLMSPELL_KV_SQLITE */
#include "compat.h"
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "../llmspell_kv.h"
#include "../llmspell_vec.h"
#include "../llmspell_graph.h"
#include "../llmspell_export.h"

#include <math.h>
#include <stdint.h>

static const char *rc_name(int rc) { return rc >= 0 && rc < LLMSPELL_RESULT_COUNT ? llmspell_strerror((llmspell_result)rc) : "?"; }
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

#define S(lit) (lit), (sizeof(lit) - 1)

/* >>helpers ------------------------------------------------------------------------------- */

typedef struct tclock { llmspell_time now; } tclock;
static llmspell_time tclock_now(void *ctx) { return ((tclock *)ctx)->now; }

static char tmpdir[COMPAT_PATH_MAX];
static int tmpcount;

static void make_tmpdir(void) {
    if (!tmpdir[0] && !compat_make_tmpdir(tmpdir, sizeof tmpdir, "llmspell_test_export_")) {
        fprintf(stderr, "cannot make a temporary directory\n");
        exit(2);
    }
}

/* kind 0 memory, 1 file, 2 SQLite, then PostgreSQL (each when compiled in: a build with
   PostgreSQL has SQLite too); a fresh store each time */
static const char *kind_name[4] = {"memory", "file", "sqlite", "postgres"};
#define NKINDS (COMPAT_HAS_POSTGRES ? 4 : COMPAT_HAS_SQLITE ? 3 : 2)
static llmspell_result open_kind(llmspell_kv *kv, int kind) {
    char path[COMPAT_PATH_MAX + 64];
    make_tmpdir();
    snprintf(path, sizeof path, "%s/s%ld_%d.db", tmpdir, compat_getpid(), tmpcount++);
    compat_unlink(path);
    if (kind == 0) return llmspell_kv_open_memory(kv, NULL);
    if (kind == 1) return llmspell_kv_open_file(kv, path, NULL);
#if COMPAT_HAS_POSTGRES
    if (kind == 3) {
        char why[512];
        if (!compat_pg_fresh(path, sizeof path, why, sizeof why)) {
            fprintf(stderr, "no PostgreSQL store: %s\n", why);
            return LLMSPELL_ERR_IO;
        }
        return llmspell_kv_open_postgres(kv, path, NULL);
    }
#endif
#if COMPAT_HAS_SQLITE
    return llmspell_kv_open_sqlite(kv, path, NULL);
#else
    return LLMSPELL_ERR_UNSUPPORTED;
#endif
}

/* FNV over every key and value of the whole store (root, system keys included) */
/* Hash of the records under prefix[0..pn) (pn 0: the whole store). */
static uint64_t prefix_hash(llmspell_kv *kv, const void *prefix, size_t pn, size_t *nkeys) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn, n = 0;
    uint64_t h = 1469598103934665603ull;
    if (llmspell_kv_iter_open(kv, prefix, pn, &it) != LLMSPELL_OK) return 0;
    while (llmspell_kv_iter_next(it, &k, &kn, &v, &vn) == LLMSPELL_OK) {
        h = llmspell__x_hash(h, &kn, sizeof kn);
        h = llmspell__x_hash(h, k, kn);
        h = llmspell__x_hash(h, &vn, sizeof vn);
        h = llmspell__x_hash(h, v, vn);
        n++;
    }
    llmspell_kv_iter_close(it);
    if (nkeys) *nkeys = n;
    return h;
}
static uint64_t store_hash(llmspell_kv *kv, size_t *nkeys) { return prefix_hash(kv, NULL, 0, nkeys); }

/* The export of kv as a malloc'd NUL-terminated string. */
static char *export_text(llmspell_kv *kv, const llmspell_export_options *o, llmspell_export_stats *st, size_t *len) {
    llmspell_json_writer *w;
    llmspell_json_error err;
    const char *d;
    size_t n;
    char *out = NULL;
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) return NULL;
    if (llmspell_export_store(kv, w, o, st, &err) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK) {
        d = llmspell_json_writer_data(w, &n);
        out = (char *)malloc(n + 1);
        memcpy(out, d, n + 1);
        if (len) *len = n;
    } else {
        fprintf(stderr, "export failed: %s\n", err.message);
    }
    llmspell_json_writer_free(w);
    return out;
}

/* member `key` of the JSON object text, re-written compact (malloc'd), "" if absent */
static char *member_text(const char *json, const char *key) {
    llmspell_json_doc *doc;
    llmspell_json_writer *w;
    const llmspell_json_value *v;
    char *out;
    size_t n;
    if (!json || llmspell_json_parse(json, strlen(json), NULL, &doc, NULL) != LLMSPELL_OK) return NULL;
    v = llmspell_json_get(llmspell_json_doc_root(doc), key);
    llmspell_json_writer_open_buffer(&w, NULL);
    if (v) llmspell_json_write_value(w, v);
    else llmspell_json_null(w);
    llmspell_json_writer_finish(w);
    {
        const char *d = llmspell_json_writer_data(w, &n);
        out = (char *)malloc(n + 1);
        memcpy(out, d, n + 1);
    }
    llmspell_json_writer_free(w);
    llmspell_json_doc_free(doc);
    return out;
}

/* >>a store with everything --------------------------------------------------------------- */

static const char *META[4] = {
    "{\"lang\":\"en\",\"tags\":[\"a\",\"b\"],\"nested\":{\"x\":1,\"y\":[1,2.5,{\"z\":null}]},\"ok\":true}",
    "{ \"lang\" : \"fr\", \"n\": {\"deep\": {\"deeper\": [\"\\u00e9t\\u00e9\", -0.0, 1e300]}} }",
    "{}",
    "{\"k\":\"line\\nbreak \\\"quoted\\\"\",\"num\":12345678901234567}"};

static void fill_vectors(llmspell_kv *kv, const char *coll, const llmspell_vec_config *cfg, const uint32_t *dims, int ndims, int count,
                         uint32_t seed, tclock *clk) {
    llmspell_vec *v;
    llmspell_vec_options vo;
    int i, d;
    memset(&vo, 0, sizeof vo);
    vo.clock.now = tclock_now;
    vo.clock.ctx = clk;
    CHECK_RC(llmspell_vec_create(kv, coll, cfg, &vo), LLMSPELL_OK);
    if (llmspell_vec_open(&v, kv, coll, NULL, &vo) != LLMSPELL_OK) { CHECK(0, "open %s: %s", coll, llmspell_kv_errmsg(kv)); return; }
    for (d = 0; d < ndims; d++) {
        for (i = 0; i < count; i++) {
            float e[16];
            char id[64];
            uint32_t j;
            llmspell_vec_record r;
            for (j = 0; j < dims[d]; j++) {
                seed = seed * 1664525u + 1013904223u;
                e[j] = (float)((int)(seed >> 8) % 2000 - 1000) / 137.0f;
            }
            e[0] += 0.5f; /* never all zero */
            snprintf(id, sizeof id, "%s-%u-%03d", coll, dims[d], i);
            if (i == 3) snprintf(id, sizeof id, "b64:looks-escaped-%u", dims[d]);
            memset(&r, 0, sizeof r);
            r.id = id;
            r.embedding = e;
            r.dim = dims[d];
            r.metadata = META[i % 4];
            r.scope = i % 2 ? "session:s1" : "global";
            if (i == 5) r.ttl = (llmspell_time)1000000000000000ll; /* an expiry far away */
            clk->now += 7;
            CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
        }
    }
    llmspell_vec_close(v);
}

static void fill_graph(llmspell_kv *kv, tclock *clk, const char *p) {
    llmspell_graph g;
    llmspell_graph_options go;
    char a[64], b[64], c[64], r1[64], r2[64];
    memset(&go, 0, sizeof go);
    go.clock.now = tclock_now;
    go.clock.ctx = clk;
    snprintf(a, sizeof a, "%salice", p);
    snprintf(b, sizeof b, "%sbob", p);
    snprintf(c, sizeof c, "%scarol", p);
    snprintf(r1, sizeof r1, "%sknows", p);
    snprintf(r2, sizeof r2, "%sworks", p);
    if (llmspell_graph_open(&g, kv, &go) != LLMSPELL_OK) { CHECK(0, "graph open: %s", llmspell_graph_errmsg(&g)); return; }
    clk->now = 1000000;
    CHECK_RC(llmspell_graph_put_entity(&g, a, "person", "Alice", "{\"city\":\"Paris\",\"age\":30,\"tags\":[\"x\"]}", 0, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_put_entity(&g, b, "person", "Bob", NULL, 100, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_put_entity(&g, c, "org", "Carol \xC3\xA9", "{\"n\":{\"deep\":[1,{\"a\":null}]}}", LLMSPELL_TIME_MIN, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    /* a correction of the past: Alice lived in Lyon over [50, 150) */
    CHECK_RC(llmspell_graph_update_entity(&g, a, NULL, NULL, "{\"city\":\"Lyon\"}", 50, 150), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_put_rel(&g, r1, "knows", a, b, "{\"since\":2020}", 100, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_put_rel(&g, r2, "works_at", b, c, NULL, 0, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_update_rel(&g, r1, NULL, "{\"since\":2019,\"close\":true}", 120, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_delete_entity(&g, b, 500, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    clk->now += 1000;
    CHECK_RC(llmspell_graph_put_entity(&g, a, NULL, "Alice B.", "{\"city\":\"Paris\",\"age\":31}", 300, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    llmspell_graph_close(&g);
}

static const uint8_t BIN[] = {0, 1, 2, 0xFF, 0xFE, 0x80, 0, 'x', 0xC3};

static void build_store(llmspell_kv *kv, int small) {
    static const char *tenants[4] = {"acme", "beta", ("\xFF\x01" "bin"), ""};
    static const size_t tlen[4] = {4, 4, 5, 0};
    static const uint32_t dims3[3] = {3, 8, 5};
    tclock clk;
    llmspell_vec_config l2, ip;
    int t;
    clk.now = 5000000;
    memset(&l2, 0, sizeof l2);
    l2.metric = LLMSPELL_METRIC_L2;
    l2.M = 8;
    l2.ef_construction = 64;
    memset(&ip, 0, sizeof ip);
    ip.metric = LLMSPELL_METRIC_IP;
    CHECK_RC(llmspell_kv_put(kv, S("alpha"), BIN, sizeof BIN), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("\xC3\x28" "bad-utf8"), S("v1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("b64:literal"), S("")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("with\nnewline \"q\""), S("{\"json\":1}")), LLMSPELL_OK);
    fill_graph(kv, &clk, "root-");
    fill_vectors(kv, "notes", &l2, dims3 + 2, 1, small ? 2 : 12, 7, &clk);
    for (t = 0; t < 4; t++) {
        llmspell_kv view;
        char key[32];
        int i;
        if (small && t >= 2) break;
        CHECK_RC(llmspell_kv_open_tenant(&view, kv, tenants[t], tlen[t]), LLMSPELL_OK);
        for (i = 0; i < (small ? 2 : 20); i++) {
            snprintf(key, sizeof key, "k%03d", i);
            CHECK_RC(llmspell_kv_put(&view, key, strlen(key), BIN, (size_t)(i % (int)sizeof BIN)), LLMSPELL_OK);
        }
        if (t == 0) {
            fill_vectors(&view, "docs", NULL, dims3, 3, small ? 2 : 20, 11, &clk);
            fill_vectors(&view, "empty", &ip, dims3, 0, 0, 1, &clk);
            fill_graph(&view, &clk, "");
        }
        if (t == 1 && !small) fill_vectors(&view, "img", &ip, dims3, 2, 9, 13, &clk);
        if (t == 2) fill_graph(&view, &clk, "t2-");
        llmspell_kv_close(&view);
    }
}

/* >>comparisons --------------------------------------------------------------------------- */

static void compare_vectors(llmspell_kv *a, llmspell_kv *b, const char *coll, const uint32_t *dims, int ndims) {
    llmspell_vec *va, *vb;
    int d, q;
    if (llmspell_vec_open(&va, a, coll, NULL, NULL) != LLMSPELL_OK) { CHECK(0, "open a %s: %s", coll, llmspell_kv_errmsg(a)); return; }
    if (llmspell_vec_open(&vb, b, coll, NULL, NULL) != LLMSPELL_OK) {
        CHECK(0, "open b %s: %s", coll, llmspell_kv_errmsg(b));
        llmspell_vec_close(va);
        return;
    }
    for (d = 0; d < ndims; d++) {
        for (q = 0; q < 4; q++) {
            float x[16];
            uint32_t j, seed = (uint32_t)(q * 77 + 5);
            llmspell_vec_query qu;
            llmspell_vec_hit ha[10], hb[10];
            size_t na = 0, nb = 0, i;
            for (j = 0; j < dims[d]; j++) {
                seed = seed * 1664525u + 1013904223u;
                x[j] = (float)((int)(seed >> 8) % 100) / 10.0f - 5.0f;
            }
            memset(&qu, 0, sizeof qu);
            qu.vector = x;
            qu.dim = dims[d];
            qu.k = 5;
            CHECK_RC(llmspell_vec_search(va, &qu, ha, &na), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_search(vb, &qu, hb, &nb), LLMSPELL_OK);
            CHECK(na == nb && na > 0, "%s dim %u: %zu vs %zu hits", coll, dims[d], na, nb);
            for (i = 0; i < na && i < nb; i++) {
                CHECK(strcmp(ha[i].id, hb[i].id) == 0 && ha[i].score == hb[i].score, "%s hit %zu: %s %g vs %s %g", coll, i, ha[i].id,
                      (double)ha[i].score, hb[i].id, (double)hb[i].score);
            }
        }
    }
    {
        llmspell_vec_info ia, ib;
        memset(&ia, 0, sizeof ia);
        memset(&ib, 0, sizeof ib);
        CHECK_RC(llmspell_vec_info_get(va, &ia), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(vb, &ib), LLMSPELL_OK);
        CHECK(ia.count == ib.count && ia.config.metric == ib.config.metric && ia.config.M == ib.config.M, "%s info differs", coll);
    }
    llmspell_vec_close(va);
    llmspell_vec_close(vb);
}

static void compare_graph(llmspell_kv *a, llmspell_kv *b, const char *p) {
    llmspell_graph ga, gb;
    static const llmspell_time vs[] = {0, 60, 100, 140, 200, 400, 600, LLMSPELL_GRAPH_NOW};
    static const llmspell_time ts[] = {1000000, 1001500, 1003500, 1005500, 1007500, LLMSPELL_GRAPH_NOW};
    const char *ids[3] = {"alice", "bob", "carol"};
    char id[64];
    size_t i, j, k;
    REQUIRE_RC(llmspell_graph_open(&ga, a, NULL), LLMSPELL_OK);
    if (llmspell_graph_open(&gb, b, NULL) != LLMSPELL_OK) {
        CHECK(0, "graph open b: %s", llmspell_graph_errmsg(&gb));
        llmspell_graph_close(&ga);
        return;
    }
    for (k = 0; k < 3; k++) {
        snprintf(id, sizeof id, "%s%s", p, ids[k]);
        for (i = 0; i < sizeof vs / sizeof *vs; i++)
            for (j = 0; j < sizeof ts / sizeof *ts; j++) {
                llmspell_graph_entity ea, eb;
                llmspell_result ra = llmspell_graph_get_entity(&ga, id, vs[i], ts[j], &ea);
                llmspell_result rb = llmspell_graph_get_entity(&gb, id, vs[i], ts[j], &eb);
                CHECK(ra == rb, "%s at (%lld,%lld): %d vs %d", id, (long long)vs[i], (long long)ts[j], ra, rb);
                if (ra == LLMSPELL_OK && rb == LLMSPELL_OK)
                    CHECK(strcmp(ea.name, eb.name) == 0 && strcmp(ea.properties, eb.properties) == 0 && ea.tx_from == eb.tx_from &&
                              ea.valid_to == eb.valid_to && ea.created_at == eb.created_at,
                          "%s differs at (%lld,%lld)", id, (long long)vs[i], (long long)ts[j]);
            }
    }
    {
        llmspell_graph_info ia, ib;
        llmspell_graph_rows ra, rb;
        memset(&ra, 0, sizeof ra);
        memset(&rb, 0, sizeof rb);
        llmspell_graph_info_get(&ga, &ia);
        llmspell_graph_info_get(&gb, &ib);
        CHECK(ia.entity_versions == ib.entity_versions && ia.rel_versions == ib.rel_versions && ia.last_tx == ib.last_tx,
              "graph info: %llu/%llu %llu/%llu %lld/%lld", (unsigned long long)ia.entity_versions, (unsigned long long)ib.entity_versions,
              (unsigned long long)ia.rel_versions, (unsigned long long)ib.rel_versions, (long long)ia.last_tx, (long long)ib.last_tx);
        snprintf(id, sizeof id, "%salice", p);
        CHECK_RC(llmspell_graph_neighbors(&ga, id, LLMSPELL_GRAPH_OUT, NULL, 200, LLMSPELL_GRAPH_NOW, &ra), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_neighbors(&gb, id, LLMSPELL_GRAPH_OUT, NULL, 200, LLMSPELL_GRAPH_NOW, &rb), LLMSPELL_OK);
        CHECK(ra.count == rb.count && ra.count == 1, "neighbors %zu vs %zu", ra.count, rb.count);
        llmspell_graph_rows_free(&ra);
        llmspell_graph_rows_free(&rb);
    }
    /* the imported graph keeps working: a new write goes after every imported time */
    CHECK_RC(llmspell_graph_put_entity(&gb, "newcomer", "x", "y", NULL, 0, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    llmspell_graph_close(&ga);
    llmspell_graph_close(&gb);
}

/* >>a. round trip ------------------------------------------------------------------------- */

static void test_roundtrip(void) {
    int src, dst;
    static const uint32_t d358[3] = {3, 8, 5}, d5[1] = {5}, d38[2] = {3, 8};
    for (src = 0; src < NKINDS; src++) {
        llmspell_kv a;
        char *e1, *data1, *coll1;
        llmspell_export_stats s1;
        size_t n1;
        REQUIRE_RC(open_kind(&a, src), LLMSPELL_OK);
        build_store(&a, 0);
        e1 = export_text(&a, NULL, &s1, &n1);
        REQUIRE(e1 != NULL, "export of %s", kind_name[src]);
        CHECK(s1.kv_entries == 4 + 80 && s1.vectors == 12 + 60 + 18 && s1.entities > 8 && s1.relationships >= 9 && s1.collections == 4,
              "export counts: kv %zu vec %zu ent %zu rel %zu coll %zu", s1.kv_entries, s1.vectors, s1.entities, s1.relationships, s1.collections);
        CHECK(s1.total == s1.kv_entries + s1.vectors + s1.entities + s1.relationships, "total");
        data1 = member_text(e1, "data");
        coll1 = member_text(e1, "llmspell_collections");
        for (dst = 0; dst < NKINDS; dst++) {
            llmspell_kv b, va, vb;
            llmspell_export_stats s2;
            llmspell_json_error err;
            char *e2, *data2, *coll2;
            if (dst == src) continue;
            REQUIRE_RC(open_kind(&b, dst), LLMSPELL_OK);
            CHECK_RC(llmspell_export_import_buffer(&b, e1, n1, NULL, &s2, &err), LLMSPELL_OK);
            if (err.code) fprintf(stderr, "import %s -> %s: %s\n", kind_name[src], kind_name[dst], err.message);
            CHECK(s2.kv_entries == s1.kv_entries && s2.vectors == s1.vectors && s2.entities == s1.entities &&
                      s2.relationships == s1.relationships && s2.total == s1.total && s2.collections == 4,
                  "import counts %s -> %s", kind_name[src], kind_name[dst]);
            e2 = export_text(&b, NULL, NULL, NULL);
            data2 = member_text(e2, "data");
            coll2 = member_text(e2, "llmspell_collections");
            CHECK(data1 && data2 && strcmp(data1, data2) == 0, "data differs %s -> %s (%zu vs %zu bytes)", kind_name[src], kind_name[dst],
                  data1 ? strlen(data1) : 0, data2 ? strlen(data2) : 0);
            CHECK(coll1 && coll2 && strcmp(coll1, coll2) == 0, "collections differ: %s vs %s", coll1, coll2);
            /* answers */
            compare_vectors(&a, &b, "notes", d5, 1);
            llmspell_kv_open_tenant(&va, &a, "acme", 4);
            llmspell_kv_open_tenant(&vb, &b, "acme", 4);
            compare_vectors(&va, &vb, "docs", d358, 3);
            compare_graph(&va, &vb, "");
            llmspell_kv_close(&va);
            llmspell_kv_close(&vb);
            llmspell_kv_open_tenant(&va, &a, "beta", 4);
            llmspell_kv_open_tenant(&vb, &b, "beta", 4);
            compare_vectors(&va, &vb, "img", d38, 2);
            llmspell_kv_close(&va);
            llmspell_kv_close(&vb);
            compare_graph(&a, &b, "root-");
            {
                const void *v;
                size_t vn;
                llmspell_kv t2;
                CHECK_RC(llmspell_kv_get(&b, S("alpha"), &v, &vn), LLMSPELL_OK);
                CHECK(vn == sizeof BIN && memcmp(v, BIN, vn) == 0, "binary value");
                CHECK_RC(llmspell_kv_get(&b, S("\xC3\x28" "bad-utf8"), &v, &vn), LLMSPELL_OK);
                CHECK_RC(llmspell_kv_get(&b, S("b64:literal"), &v, &vn), LLMSPELL_OK);
                llmspell_kv_open_tenant(&t2, &b, "\xFF\x01" "bin", 5);
                CHECK_RC(llmspell_kv_get(&t2, S("k003"), &v, &vn), LLMSPELL_OK);
                llmspell_kv_close(&t2);
                llmspell_kv_open_tenant(&t2, &b, "", 0);
                CHECK_RC(llmspell_kv_get(&t2, S("k019"), &v, &vn), LLMSPELL_OK);
                llmspell_kv_close(&t2);
            }
            free(e2);
            free(data2);
            free(coll2);
            llmspell_kv_close(&b);
        }
        free(e1);
        free(data1);
        free(coll1);
        llmspell_kv_close(&a);
    }
}

/* >>b. rs-llmspell style ------------------------------------------------------------------ */

static const char *RS_FILE =
    "{\n"
    "  \"version\": \"1.0\",\n"
    "  \"exported_at\": \"2025-11-02T10:00:00.123456Z\",\n"
    "  \"source_backend\": \"postgresql\",\n"
    "  \"migrations\": [\"V3\", \"V4\", \"V6\", \"V7\", \"V8\", \"V11\"],\n"
    "  \"data\": {\n"
    "    \"vector_embeddings\": {\n"
    "      \"3\": [\n"
    "        {\"id\": \"6f9619ff-8b86-d011-b42d-00c04fc964ff\", \"tenant_id\": \"tenant-a\", \"scope\": \"session:abc\", \"dimension\": 3,\n"
    "         \"embedding\": \"[0.1,0.2,0.3]\", \"metadata\": {\"source\": \"doc.md\", \"chunk\": {\"i\": 1}}, \"created_at\": 1730000000000000, \"updated_at\": 1730000000000000},\n"
    "        {\"id\": \"7f9619ff-8b86-d011-b42d-00c04fc964ff\", \"tenant_id\": \"tenant-a\", \"scope\": \"global\", \"dimension\": 3,\n"
    "         \"embedding\": \"WzAuNSwgLTAuMjUsIDEuMF0=\", \"metadata\": null, \"created_at\": 1730000000000001, \"updated_at\": 1730000000000001},\n"
    "        {\"id\": \"8f9619ff-8b86-d011-b42d-00c04fc964ff\", \"tenant_id\": \"tenant-b\", \"scope\": \"user:u1\", \"dimension\": 3,\n"
    "         \"embedding\": \"AACAPwAAAEAAAEBA\", \"metadata\": {}, \"created_at\": 1730000000000002, \"updated_at\": 1730000000000002}\n"
    "      ],\n"
    "      \"384\": []\n"
    "    },\n"
    "    \"knowledge_graph\": {\n"
    "      \"entities\": [\n"
    "        {\"entity_id\": \"e1\", \"tenant_id\": \"tenant-a\", \"entity_type\": \"person\", \"name\": \"Ada\", \"properties\": {\"b\": 2, \"a\": 1},\n"
    "         \"valid_time_start\": 1700000000000000, \"valid_time_end\": null, \"transaction_time_start\": 1700000000000000,\n"
    "         \"transaction_time_end\": null, \"created_at\": 1700000000000000},\n"
    "        {\"entity_id\": \"e2\", \"tenant_id\": \"tenant-a\", \"entity_type\": \"org\", \"name\": \"ACME\", \"properties\": null,\n"
    "         \"valid_time_start\": 1700000000000000, \"valid_time_end\": 9223372036854775807, \"transaction_time_start\": 1700000000000001,\n"
    "         \"transaction_time_end\": 9223372036854775807, \"created_at\": null}\n"
    "      ],\n"
    "      \"relationships\": [\n"
    "        {\"relationship_id\": \"r1\", \"tenant_id\": \"tenant-a\", \"source_entity_id\": \"e1\", \"target_entity_id\": \"e2\",\n"
    "         \"relationship_type\": \"works_at\", \"properties\": {}, \"valid_time_start\": 1700000000000000, \"valid_time_end\": null,\n"
    "         \"transaction_time_start\": 1700000000000002, \"transaction_time_end\": null, \"created_at\": 1700000000000002}\n"
    "      ]\n"
    "    },\n"
    "    \"procedural_memory\": [],\n"
    "    \"agent_state\": [\n"
    "      {\"state_id\": \"s1\", \"tenant_id\": \"tenant-a\", \"agent_id\": \"a1\", \"agent_type\": \"chat\", \"state_data\": {\"x\": [1, 2]},\n"
    "       \"schema_version\": 1, \"data_version\": 3, \"checksum\": \"abc\", \"created_at\": 1, \"updated_at\": 2}\n"
    "    ],\n"
    "    \"kv_store\": [\n"
    "      {\"kv_id\": \"k1\", \"tenant_id\": \"tenant-a\", \"key\": \"config:theme\", \"value\": \"ZGFyaw==\", \"metadata\": null,\n"
    "       \"created_at\": 1, \"updated_at\": 2},\n"
    "      {\"kv_id\": \"k2\", \"tenant_id\": \"tenant-b\", \"key\": \"x\", \"value\": \"\", \"metadata\": \"{\\\"m\\\":1}\",\n"
    "       \"created_at\": 1, \"updated_at\": 2}\n"
    "    ],\n"
    "    \"workflow_states\": [\n"
    "      {\"tenant_id\": \"tenant-a\", \"workflow_id\": \"w1\", \"workflow_name\": null, \"state_data\": {}, \"current_step\": 0,\n"
    "       \"status\": \"running\", \"started_at\": null, \"completed_at\": null, \"last_updated\": 5, \"created_at\": 4}\n"
    "    ],\n"
    "    \"sessions\": [],\n"
    "    \"artifacts\": {\"content\": [], \"artifacts\": []},\n"
    "    \"event_log\": [\n"
    "      {\"id\": \"ev1\", \"tenant_id\": \"tenant-a\", \"event_id\": \"e\", \"event_type\": \"t\", \"correlation_id\": \"c\",\n"
    "       \"timestamp\": 9, \"sequence\": 1, \"language\": \"lua\", \"payload\": {\"p\": \"\\u00e9\"}}\n"
    "    ],\n"
    "    \"hook_history\": []\n"
    "  }\n"
    "}\n";

static void test_rs_style(void) {
    llmspell_kv kv, ta;
    llmspell_export_stats st;
    llmspell_json_error err;
    char *e, *agent, *ev, *wf;
    const void *v;
    size_t vn;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_export_import_buffer(&kv, RS_FILE, strlen(RS_FILE), NULL, &st, &err), LLMSPELL_OK);
    if (err.code) fprintf(stderr, "%s\n", err.message);
    CHECK(st.vectors == 3 && st.entities == 2 && st.relationships == 1 && st.patterns == 0 && st.agent_states == 1 && st.kv_entries == 2 &&
              st.workflow_states == 1 && st.sessions == 0 && st.artifact_content == 0 && st.artifacts == 0 && st.events == 1 && st.hooks == 0 &&
              st.total == 11 && st.collections == 2,
          "counts: v%zu e%zu r%zu a%zu kv%zu wf%zu ev%zu total %zu coll %zu", st.vectors, st.entities, st.relationships, st.agent_states,
          st.kv_entries, st.workflow_states, st.events, st.total, st.collections);
    llmspell_kv_open_tenant(&ta, &kv, "tenant-a", 8);
    CHECK_RC(llmspell_kv_get(&ta, S("config:theme"), &v, &vn), LLMSPELL_OK);
    CHECK(vn == 4 && memcmp(v, "dark", 4) == 0, "kv value");
    {
        llmspell_vec *vc;
        llmspell_vec_record r;
        if (llmspell_vec_open(&vc, &ta, "default", NULL, NULL) == LLMSPELL_OK) {
            CHECK_RC(llmspell_vec_get(vc, "6f9619ff-8b86-d011-b42d-00c04fc964ff", &r), LLMSPELL_OK);
            CHECK(r.dim == 3 && r.embedding[0] == (float)0.1f && r.embedding[2] == (float)0.3f && /* casts: x87 keeps 0.1f in long double */ strcmp(r.scope, "session:abc") == 0, "text embedding");
            CHECK_RC(llmspell_vec_get(vc, "7f9619ff-8b86-d011-b42d-00c04fc964ff", &r), LLMSPELL_OK);
            CHECK(r.dim == 3 && r.embedding[0] == 0.5f && r.embedding[1] == -0.25f && r.embedding[2] == 1.0f, "base64 of text embedding");
            llmspell_vec_close(vc);
        } else {
            CHECK(0, "vec open: %s", llmspell_kv_errmsg(&ta));
        }
    }
    {
        llmspell_graph g;
        llmspell_graph_entity en;
        REQUIRE_RC(llmspell_graph_open(&g, &ta, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_get_entity(&g, "e1", 1700000000000005ll, LLMSPELL_GRAPH_NOW, &en), LLMSPELL_OK);
        CHECK(strcmp(en.properties, "{\"a\":1,\"b\":2}") == 0 && en.valid_to == LLMSPELL_TIME_MAX, "canonical properties: %s", en.properties);
        CHECK_RC(llmspell_graph_get_entity(&g, "e2", 1700000000000005ll, LLMSPELL_GRAPH_NOW, &en), LLMSPELL_OK);
        CHECK(en.created_at == 1700000000000001ll && strcmp(en.properties, "{}") == 0, "null created_at / properties");
        llmspell_graph_close(&g);
    }
    llmspell_kv_close(&ta);
    /* the sections we do not model come back */
    e = export_text(&kv, NULL, &st, NULL);
    REQUIRE(e != NULL, "export");
    agent = member_text(e, "data");
    CHECK(agent && strstr(agent, "\"agent_state\":[{\"state_id\":\"s1\",\"tenant_id\":\"tenant-a\",\"agent_id\":\"a1\"") != NULL, "agent_state back");
    CHECK(agent && strstr(agent, "\"workflow_name\":null") && strstr(agent, "\"artifacts\":{\"content\":[],\"artifacts\":[]}") &&
              strstr(agent, "\"procedural_memory\":[]") && strstr(agent, "\"hook_history\":[]"),
          "empty and null fields back");
    ev = strstr(agent ? agent : "", "\"procedural_memory\"");
    wf = strstr(agent ? agent : "", "\"kv_store\"");
    CHECK(ev && wf && ev < wf, "sections in rs-llmspell's order");
    CHECK(st.agent_states == 1 && st.events == 1 && st.workflow_states == 1 && st.total == 11, "export counts %zu", st.total);
    CHECK(strstr(e, "\"migrations\":[\"V3\",\"V4\",\"V5\",\"V6\",\"V7\",\"V8\",\"V9\",\"V10\",\"V11\",\"V13\"]") != NULL, "migrations");
    free(agent);
    free(e);
    llmspell_kv_close(&kv);
}

static char *replace(const char *s, const char *from, const char *to) {
    const char *p = strstr(s, from);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *out = (char *)malloc(n + 1);
    if (!p) {
        free(out);
        return NULL;
    }
    memcpy(out, s, (size_t)(p - s));
    strcpy(out + (p - s), to);
    strcat(out, p + strlen(from));
    return out;
}

static void test_embedding_forms(void) {
    llmspell_kv kv;
    llmspell_export_stats st;
    llmspell_json_error err;
    llmspell_import_options o;
    char *f;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    /* "" (rs-llmspell's SQLite export): an error that says so, or skipped and counted */
    f = replace(RS_FILE, "\"AACAPwAAAEAAAEBA\"", "\"\"");
    CHECK_RC(llmspell_export_import_buffer(&kv, f, strlen(f), NULL, &st, &err), LLMSPELL_ERR_INVALID);
    CHECK(strcmp(err.path, "data.vector_embeddings.3[2].embedding") == 0 && strstr(err.message, "empty embedding"), "%s", err.message);
    memset(&o, 0, sizeof o);
    o.skip_empty_embeddings = 1;
    CHECK_RC(llmspell_export_import_buffer(&kv, f, strlen(f), &o, &st, &err), LLMSPELL_OK);
    CHECK(st.vectors == 2 && st.skipped_empty_embeddings == 1, "skipped %zu", st.skipped_empty_embeddings);
    free(f);
    llmspell_kv_close(&kv);
    /* seconds (rs-llmspell SQLite): 9999999999 is +infinity */
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    {
        const char *doc = "{\"version\":\"1.0\",\"data\":{\"knowledge_graph\":{\"entities\":[{\"entity_id\":\"e\",\"tenant_id\":\"\",\"entity_type\":\"t\","
                          "\"name\":\"n\",\"properties\":{},\"valid_time_start\":1700000000,\"valid_time_end\":9999999999,"
                          "\"transaction_time_start\":1700000000,\"transaction_time_end\":9999999999,\"created_at\":1700000000}]}}}";
        llmspell_graph g;
        llmspell_graph_entity en;
        memset(&o, 0, sizeof o);
        o.times_in_seconds = 1;
        CHECK_RC(llmspell_export_import_buffer(&kv, doc, strlen(doc), &o, &st, &err), LLMSPELL_OK);
        REQUIRE_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_get_entity(&g, "e", 1700000000000000ll, LLMSPELL_GRAPH_NOW, &en), LLMSPELL_OK);
        CHECK(en.valid_to == LLMSPELL_TIME_MAX && en.tx_from == 1700000000000000ll, "seconds");
        llmspell_graph_close(&g);
    }
    llmspell_kv_close(&kv);
}

/* >>c. bad input ---------------------------------------------------------------------------- */

static void expect_fail(llmspell_kv *kv, const char *doc, llmspell_result code, const char *path, const char *msgpart) {
    llmspell_export_stats st;
    llmspell_json_error err;
    size_t n0, n1;
    uint64_t h0 = store_hash(kv, &n0), h1;
    llmspell_result r = llmspell_export_import_buffer(kv, doc, strlen(doc), NULL, &st, &err);
    h1 = store_hash(kv, &n1);
    CHECK(r == code, "expected %s, got %s: %s", rc_name(code), rc_name(r), err.message);
    CHECK(h0 == h1 && n0 == n1, "store changed by a failed import");
    if (path) CHECK(strcmp(err.path, path) == 0, "path '%s' (expected '%s'): %s", err.path, path, err.message);
    if (msgpart) CHECK(strstr(err.message, msgpart) != NULL, "message '%s' lacks '%s'", err.message, msgpart);
    CHECK(st.total == 0, "stats of a failure");
}

static void test_truncated(void) {
    llmspell_kv a, b;
    char *e;
    size_t n, i, n0, n1;
    uint64_t h0;
    llmspell_json_error err;
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    build_store(&a, 1);
    {
        const char *rs = RS_FILE; /* kept sections too */
        llmspell_kv t;
        llmspell_kv_open_memory(&t, NULL);
        CHECK_RC(llmspell_export_import_buffer(&t, rs, strlen(rs), NULL, NULL, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_export_migrate(&t, &a, NULL, NULL, NULL, NULL, &err), LLMSPELL_OK);
        llmspell_kv_close(&t);
    }
    e = export_text(&a, NULL, NULL, &n);
    REQUIRE(e != NULL, "export");
    REQUIRE_RC(llmspell_kv_open_memory(&b, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&b, S("pre-existing"), S("value")), LLMSPELL_OK);
    h0 = store_hash(&b, &n0);
    for (i = 0; i < n; i++) {
        llmspell_result r = llmspell_export_import_buffer(&b, e, i, NULL, NULL, &err);
        if (r == LLMSPELL_OK) {
            CHECK(0, "truncated at %zu of %zu accepted", i, n);
            break;
        }
        if (err.code == LLMSPELL_OK || err.line == 0) {
            CHECK(0, "truncated at %zu: no position (%s)", i, err.message);
            break;
        }
    }
    CHECK(store_hash(&b, &n1) == h0 && n1 == n0, "store changed");
    CHECK_RC(llmspell_export_import_buffer(&b, e, n, NULL, NULL, &err), LLMSPELL_OK);
    free(e);
    llmspell_kv_close(&a);
    llmspell_kv_close(&b);
}

#define HEAD "{\"version\":\"1.0\",\"exported_at\":\"x\",\"source_backend\":\"memory\",\"migrations\":[],\"data\":"
#define VEC(id, dim, emb) "{\"id\":\"" id "\",\"tenant_id\":\"\",\"scope\":\"global\",\"dimension\":" #dim ",\"embedding\":\"" emb "\",\"metadata\":{},\"created_at\":1,\"updated_at\":1}"
#define ENT(id, vs, ve, ts) "{\"entity_id\":\"" id "\",\"tenant_id\":\"\",\"entity_type\":\"t\",\"name\":\"n\",\"properties\":{},\"valid_time_start\":" #vs ",\"valid_time_end\":" #ve ",\"transaction_time_start\":" #ts ",\"transaction_time_end\":null,\"created_at\":1}"

static void test_bad_inputs(void) {
    llmspell_kv kv;
    char big[16384];
    int i;
    size_t o;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("keep"), S("me")), LLMSPELL_OK);
    expect_fail(&kv, "{\"version\":\"2.0\",\"data\":{}}", LLMSPELL_ERR_FORMAT, "version", "unsupported export version \"2.0\"");
    expect_fail(&kv, "{\"version\":\"10.1\",\"data\":{}}", LLMSPELL_ERR_FORMAT, "version", NULL);
    expect_fail(&kv, "{\"data\":{}}", LLMSPELL_ERR_INVALID, NULL, "missing required field 'version'");
    expect_fail(&kv, "[1]", LLMSPELL_ERR_INVALID, NULL, "an export is a JSON object");
    /* dimension key vs dimension vs length */
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 4, "AACAPwAAAEAAAEBA") "]}}}", LLMSPELL_ERR_INVALID,
                "data.vector_embeddings.3[0].dimension", "disagrees");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"4\":[" VEC("a", 4, "AACAPwAAAEAAAEBA") "]}}}", LLMSPELL_ERR_INVALID,
                "data.vector_embeddings.4[0].embedding", "has 3 values but the dimension is 4");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"03\":[]}}}", LLMSPELL_ERR_INVALID, "data.vector_embeddings.03", "dimension key");
    /* base64: bad padding, bad characters, bits under the padding */
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "AACAPwAAAEAAAEB=") "]}}}", LLMSPELL_ERR_PARSE,
                "data.vector_embeddings.3[0].embedding", "not valid base64 (at character 15)");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "AACAPwAAAEAAAEBA=") "]}}}", LLMSPELL_ERR_PARSE, NULL, "base64");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "AACAPw@AAEAAAEBA") "]}}}", LLMSPELL_ERR_PARSE, NULL, "at character 6");
    expect_fail(&kv, HEAD "{\"kv_store\":[{\"key\":\"k\",\"value\":\"AB==\"}]}}", LLMSPELL_ERR_PARSE, "data.kv_store[0].value", "base64");
    expect_fail(&kv, HEAD "{\"kv_store\":[{\"key\":\"b64:!!\",\"value\":\"\"}]}}", LLMSPELL_ERR_PARSE, "data.kv_store[0].key", NULL);
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "[1,2,\\\"x\\\"]") "]}}}", LLMSPELL_ERR_PARSE, NULL, "other than numbers");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "AAAAAAAAAAAAAAAA") "]}}}", LLMSPELL_ERR_INVALID,
                "data.vector_embeddings.3[0].embedding", "all-zero");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"1\":[" VEC("a", 1, "AACAfw==") "]}}}", LLMSPELL_ERR_INVALID, NULL, "not finite");
    /* duplicates in a section */
    expect_fail(&kv, HEAD "{\"kv_store\":[{\"key\":\"k\",\"value\":\"\"},{\"key\":\"k\",\"value\":\"AA==\"}]}}", LLMSPELL_ERR_CONFLICT,
                "data.kv_store[1].key", "duplicate");
    expect_fail(&kv, HEAD "{\"vector_embeddings\":{\"3\":[" VEC("a", 3, "AACAPwAAAEAAAEBA") "," VEC("a", 3, "[1,2,3]") "]}}}",
                LLMSPELL_ERR_CONFLICT, "data.vector_embeddings.3[1].id", "duplicate");
    expect_fail(&kv, HEAD "{\"knowledge_graph\":{\"entities\":[" ENT("e", 1, 5, 10) "," ENT("e", 1, 9, 10) "]}}}", LLMSPELL_ERR_CONFLICT,
                "data.knowledge_graph.entities[1].entity_id", "duplicate");
    expect_fail(&kv, HEAD "{\"kv_store\":[],\"kv_store\":[]}}", LLMSPELL_ERR_PARSE, NULL, "duplicate");
    /* graph: overlap of current versions, empty interval, dangling endpoint, types */
    expect_fail(&kv, HEAD "{\"knowledge_graph\":{\"entities\":[" ENT("e", 1, 5, 10) "," ENT("e", 4, 9, 11) "]}}}", LLMSPELL_ERR_CONFLICT,
                "data.knowledge_graph.entities[1].valid_time_start", "visible at the same");
    expect_fail(&kv,
                HEAD "{\"knowledge_graph\":{\"relationships\":[{\"relationship_id\":\"r\",\"source_entity_id\":\"nobody\",\"target_entity_id\":\"x\","
                     "\"valid_time_start\":0,\"transaction_time_start\":5}]}}}",
                LLMSPELL_ERR_NOT_FOUND, "data.knowledge_graph.relationships[0].source_entity_id", "no entity");
    expect_fail(&kv, HEAD "{\"knowledge_graph\":{\"entities\":[" ENT("e", "1", 5, 10) "]}}}", LLMSPELL_ERR_INVALID,
                "data.knowledge_graph.entities[0].valid_time_start", "must be an integer");
    expect_fail(&kv, HEAD "{\"kv_store\":[{\"value\":\"\"}]}}", LLMSPELL_ERR_INVALID, "data.kv_store[0]", "missing required field 'key'");
    expect_fail(&kv, HEAD "{\"kv_store\":[{\"key\":\"\\u00ff\\u0000\",\"value\":\"\"},{\"key\":\"b64:/w==\",\"value\":\"\"}]}}",
                LLMSPELL_ERR_RESERVED, "data.kv_store[1].key", "0xFF");
    /* the brief's example: data.knowledge_graph.entities[17].valid_time_end, with line:column */
    o = (size_t)snprintf(big, sizeof big, "%s", HEAD "{\"knowledge_graph\":{\"entities\":[\n");
    for (i = 0; i < 18; i++) {
        char id[16];
        snprintf(id, sizeof id, "e%d", i);
        o += (size_t)snprintf(big + o, sizeof big - o,
                              "%s{\"entity_id\":\"%s\",\"tenant_id\":\"\",\"entity_type\":\"t\",\"name\":\"n\",\"properties\":{},"
                              "\"valid_time_start\":100,\"valid_time_end\":%d,\"transaction_time_start\":5,\"transaction_time_end\":null,\"created_at\":1}\n",
                              i ? "," : "", id, i == 17 ? 50 : 200);
    }
    snprintf(big + o, sizeof big - o, "]}}}");
    {
        llmspell_json_error err;
        expect_fail(&kv, big, LLMSPELL_ERR_INVALID, "data.knowledge_graph.entities[17].valid_time_end", "line 19, column ");
        llmspell_export_import_buffer(&kv, big, strlen(big), NULL, NULL, &err);
        CHECK(err.line == 19 && err.column > 100 && big[err.offset] == '5', "position %llu:%llu", (unsigned long long)err.line,
              (unsigned long long)err.column);
    }
    /* a target that already has the id */
    {
        llmspell_graph g;
        REQUIRE_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_graph_put_entity(&g, "e", "t", "n", NULL, 0, LLMSPELL_TIME_MAX), LLMSPELL_OK);
        llmspell_graph_close(&g);
        expect_fail(&kv, HEAD "{\"knowledge_graph\":{\"entities\":[" ENT("e", 1, 5, 10) "]}}}", LLMSPELL_ERR_CONFLICT,
                    "data.knowledge_graph.entities[0].entity_id", "already has versions");
    }
    /* an open transaction */
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_export_import_buffer(&kv, S(HEAD "{}}"), NULL, NULL, NULL), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
    llmspell_kv_close(&kv);
}

/* >>d. failure injection ------------------------------------------------------------------------ */

typedef struct finj {
    llmspell_result (*put)(llmspell_kv *, const uint8_t *, size_t, const void *, size_t);
    llmspell_result (*del)(llmspell_kv *, const uint8_t *, size_t);
    llmspell_result (*commit)(llmspell_kv *);
    llmspell_result (*rollback)(llmspell_kv *);
    long count, fail_at;
} finj;
static finj fi;

static int finj_hit(void) { return fi.fail_at > 0 && ++fi.count == fi.fail_at; }
static llmspell_result finj_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
    if (finj_hit()) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected put failure");
    return fi.put(kv, k, kn, v, vn);
}
static llmspell_result finj_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    if (finj_hit()) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected delete failure");
    return fi.del(kv, k, kn);
}
static llmspell_result finj_commit(llmspell_kv *kv) {
    if (finj_hit()) {
        (void)fi.rollback(kv); /* a failed commit has rolled back */
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "injected commit failure");
    }
    return fi.commit(kv);
}

static void test_failure_injection(void) {
    int kind;
    llmspell_kv src;
    char *e;
    size_t n;
    REQUIRE_RC(llmspell_kv_open_memory(&src, NULL), LLMSPELL_OK);
    build_store(&src, 1);
    {
        llmspell_kv t;
        llmspell_kv_open_memory(&t, NULL);
        CHECK_RC(llmspell_export_import_buffer(&t, RS_FILE, strlen(RS_FILE), NULL, NULL, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_export_migrate(&t, &src, NULL, NULL, NULL, NULL, NULL), LLMSPELL_OK);
        llmspell_kv_close(&t);
    }
    e = export_text(&src, NULL, NULL, &n);
    REQUIRE(e != NULL, "export");
    for (kind = 0; kind < NKINDS; kind++) {
        llmspell_kv kv;
        long at, writes = 0;
        uint64_t h0;
        size_t n0, n1;
        REQUIRE_RC(open_kind(&kv, kind), LLMSPELL_OK);
        /* the target has data, and a kept section the import replaces */
        CHECK_RC(llmspell_kv_put(&kv, S("existing"), S("1")), LLMSPELL_OK);
        {
            const char *d = HEAD "{\"agent_state\":[1,2,3],\"sessions\":{\"a\":[1],\"b\":2}}}";
            CHECK_RC(llmspell_export_import_buffer(&kv, d, strlen(d), NULL, NULL, NULL), LLMSPELL_OK);
        }
        h0 = store_hash(&kv, &n0);
        fi.put = kv.put;
        fi.del = kv.del;
        fi.commit = kv.commit;
        fi.rollback = kv.rollback;
        kv.put = finj_put;
        kv.del = finj_del;
        kv.commit = finj_commit;
        for (at = 1;; at++) {
            llmspell_json_error err;
            llmspell_result r;
            fi.count = 0;
            fi.fail_at = at;
            r = llmspell_export_import_buffer(&kv, e, n, NULL, NULL, &err);
            fi.fail_at = 0;
            if (r == LLMSPELL_OK) {
                writes = at - 1;
                break;
            }
            CHECK(r == LLMSPELL_ERR_IO || r == LLMSPELL_ERR_TXN, "write %ld: %s (%s)", at, rc_name(r), err.message);
            CHECK(store_hash(&kv, &n1) == h0 && n1 == n0, "%s: store changed after a failure at write %ld", kind_name[kind], at);
            if (at > 100000) break;
        }
        CHECK(writes > 50, "%s: only %ld writes", kind_name[kind], writes);
        {
            char *e2 = export_text(&kv, NULL, NULL, NULL), *d1 = member_text(e, "data"), *d2 = member_text(e2, "data");
            CHECK(d1 && d2 && strstr(d2, "\"sessions\":[]") && strstr(d2, "\"agent_state\":[{"), "replaced sections: %.300s", d2 ? strstr(d2, "\"procedural") : "");
            free(e2);
            free(d1);
            free(d2);
        }
        llmspell_kv_close(&kv);
    }
    free(e);
    llmspell_kv_close(&src);
}

/* >>e. migration, views ------------------------------------------------------------------------ */

typedef struct pcount { int calls, phases[4]; uint64_t last, final[4]; } pcount;
static int on_progress(void *user, const llmspell_export_progress *p) {
    pcount *c = (pcount *)user;
    c->calls++;
    if (p->phase >= 1 && p->phase <= 3) {
        c->phases[p->phase]++;
        c->final[p->phase] = p->records;
    }
    c->last = p->records;
    return 0;
}
static int cancel_progress(void *user, const llmspell_export_progress *p) {
    (void)user;
    return p->phase == LLMSPELL_EXPORT_PHASE_APPLY;
}

static void test_migrate(void) {
    llmspell_kv m, f, q, m2;
    llmspell_export_options eo;
    llmspell_import_options io;
    llmspell_export_stats st;
    llmspell_json_error err;
    pcount pc;
    char *e0, *e3, *d0, *d3;
    uint64_t h;
    size_t nk, nk2;
    REQUIRE_RC(open_kind(&m, 0), LLMSPELL_OK);
    REQUIRE_RC(open_kind(&f, 1), LLMSPELL_OK);
    REQUIRE_RC(open_kind(&q, NKINDS - 1), LLMSPELL_OK); /* SQLite, or a second file store without it */
    REQUIRE_RC(open_kind(&m2, 0), LLMSPELL_OK);
    build_store(&m, 0);
    memset(&eo, 0, sizeof eo);
    memset(&io, 0, sizeof io);
    memset(&pc, 0, sizeof pc);
    eo.progress = io.progress = on_progress;
    eo.progress_user = io.progress_user = &pc;
    eo.progress_every = io.progress_every = 16;
    CHECK_RC(llmspell_export_migrate(&m, &f, NULL, &eo, &io, &st, &err), LLMSPELL_OK);
    CHECK(pc.phases[1] > 5 && pc.phases[2] > 5 && pc.phases[3] > 5, "progress %d %d %d", pc.phases[1], pc.phases[2], pc.phases[3]);
    /* every phase ends at the same count: the records of the stats (collection settings are not records) */
    CHECK(pc.final[1] == st.total && pc.final[2] == st.total && pc.final[3] == st.total, "progress ends at %llu / %llu / %llu, stats total %zu",
          (unsigned long long)pc.final[1], (unsigned long long)pc.final[2], (unsigned long long)pc.final[3], st.total);
    CHECK_RC(llmspell_export_migrate(&f, &q, NULL, NULL, NULL, &st, &err), LLMSPELL_OK);
    CHECK_RC(llmspell_export_migrate(&q, &m2, NULL, NULL, NULL, &st, &err), LLMSPELL_OK);
    e0 = export_text(&m, NULL, NULL, NULL);
    e3 = export_text(&m2, NULL, NULL, NULL);
    d0 = member_text(e0, "data");
    d3 = member_text(e3, "data");
    CHECK(d0 && d3 && strcmp(d0, d3) == 0, "memory -> file -> %s -> memory changed data", kind_name[NKINDS - 1]);
    /* a cancelled import writes nothing */
    {
        llmspell_kv c;
        REQUIRE_RC(open_kind(&c, 1), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&c, S("x"), S("y")), LLMSPELL_OK);
        h = store_hash(&c, &nk);
        io.progress = cancel_progress;
        CHECK_RC(llmspell_export_migrate(&m, &c, NULL, NULL, &io, &st, &err), LLMSPELL_ERR_INVALID);
        CHECK(strstr(err.message, "cancelled") != NULL && store_hash(&c, &nk2) == h && nk == nk2, "cancel: %s", err.message);
        llmspell_kv_close(&c);
    }
    free(e0);
    free(e3);
    free(d0);
    free(d3);
    llmspell_kv_close(&m);
    llmspell_kv_close(&f);
    llmspell_kv_close(&q);
    llmspell_kv_close(&m2);
}

/* validate_only runs pass 1: the same verdict and counts as an import, and no write */
static void test_validate_only(void) {
    llmspell_kv m, c;
    llmspell_import_options io;
    llmspell_export_stats sv, si;
    llmspell_json_error err;
    char *text, *bad;
    uint64_t h;
    size_t nk, nk2;
    REQUIRE_RC(open_kind(&m, 0), LLMSPELL_OK);
    REQUIRE_RC(open_kind(&c, 1), LLMSPELL_OK);
    build_store(&m, 0);
    text = export_text(&m, NULL, NULL, NULL);
    REQUIRE(text != NULL, "export failed");
    CHECK_RC(llmspell_kv_put(&c, S("x"), S("y")), LLMSPELL_OK);
    h = store_hash(&c, &nk);
    memset(&io, 0, sizeof io);
    io.validate_only = 1;
    CHECK_RC(llmspell_export_import_buffer(&c, text, strlen(text), &io, &sv, &err), LLMSPELL_OK);
    CHECK(store_hash(&c, &nk2) == h && nk == nk2, "validate_only wrote to the store");
    CHECK_RC(llmspell_export_import_buffer(&c, text, strlen(text), NULL, &si, &err), LLMSPELL_OK);
    CHECK(memcmp(&sv, &si, sizeof sv) == 0 && sv.total > 0, "validate stats differ from import stats: total %zu vs %zu", sv.total, si.total);
    /* a file that fails import fails validation with the same code and place */
    bad = strstr(text, "\"version\"");
    REQUIRE(bad != NULL, "no version member");
    memcpy(bad + 10, "\"9.0\"", 5); /* "version":"9.0" */
    {
        llmspell_json_error e2;
        llmspell_result a = llmspell_export_import_buffer(&m, text, strlen(text), &io, &sv, &err);
        llmspell_result b = llmspell_export_import_buffer(&m, text, strlen(text), NULL, &si, &e2);
        CHECK(a == LLMSPELL_ERR_FORMAT && b == a && strcmp(err.message, e2.message) == 0, "bad version: %d %d %s", a, b, err.message);
    }
    free(text);
    llmspell_kv_close(&m);
    llmspell_kv_close(&c);
}

static void test_tenant_view(void) {
    llmspell_kv a, b, va, vb;
    llmspell_export_options eo;
    llmspell_import_options io;
    llmspell_export_stats st;
    llmspell_json_error err;
    char *e1, *e2, *d1, *d2;
    size_t n;
    static const uint32_t d358[3] = {3, 8, 5};
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_memory(&b, NULL), LLMSPELL_OK);
    build_store(&a, 0);
    llmspell_kv_open_tenant(&va, &a, "acme", 4);
    memset(&eo, 0, sizeof eo);
    eo.tenant_id = "acme";
    e1 = export_text(&va, &eo, &st, &n);
    REQUIRE(e1 != NULL, "export");
    CHECK(st.kv_entries == 20 && st.vectors == 60 && st.collections == 2 && strstr(e1, "root-") == NULL && strstr(e1, "\"beta\"") == NULL,
          "just the tenant: kv %zu vec %zu", st.kv_entries, st.vectors);
    CHECK(strstr(e1, "\"tenant_id\":\"acme\"") != NULL, "tenant label");
    /* into the root of another store: tenant "acme" becomes a view there too */
    CHECK_RC(llmspell_export_import_buffer(&b, e1, n, NULL, &st, &err), LLMSPELL_OK);
    llmspell_kv_open_tenant(&vb, &b, "acme", 4);
    e2 = export_text(&vb, &eo, NULL, NULL);
    compare_vectors(&va, &vb, "docs", d358, 3);
    compare_graph(&va, &vb, "");
    memset(&io, 0, sizeof io);
    io.tenant_id = "acme";
    d1 = member_text(e1, "data");
    d2 = member_text(e2, "data");
    CHECK(d1 && d2 && strcmp(d1, d2) == 0, "view round trip");
    llmspell_kv_close(&vb);
    /* into a view, with the label mapping to the view itself */
    {
        llmspell_kv c, vc;
        llmspell_kv_open_memory(&c, NULL);
        llmspell_kv_open_tenant(&vc, &c, "other", 5);
        CHECK_RC(llmspell_export_import_buffer(&vc, e1, n, &io, &st, &err), LLMSPELL_OK);
        compare_vectors(&va, &vc, "docs", d358, 3);
        llmspell_kv_close(&vc);
        llmspell_kv_close(&c);
    }
    free(e1);
    free(e2);
    free(d1);
    free(d2);
    llmspell_kv_close(&va);
    llmspell_kv_close(&a);
    llmspell_kv_close(&b);
}

/* export to a sink: memory stays flat (the writer stages at most its buffer) */
static llmspell_result null_sink(void *user, const void *data, size_t n) {
    (void)data;
    *(uint64_t *)user += n;
    return LLMSPELL_OK;
}
static void test_export_sink(void) {
    llmspell_kv a;
    llmspell_json_writer *w;
    llmspell_json_error err;
    llmspell_export_stats st;
    uint64_t bytes = 0;
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    build_store(&a, 0);
    REQUIRE_RC(llmspell_json_writer_open_sink(&w, null_sink, &bytes, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_export_store(&a, w, NULL, &st, &err), LLMSPELL_OK);
    CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
    CHECK(bytes == llmspell_json_writer_bytes(w) && bytes > 10000, "bytes %llu", (unsigned long long)bytes);
    llmspell_json_writer_free(w);
    /* closed store, NULL arguments */
    CHECK_RC(llmspell_export_store(NULL, NULL, NULL, NULL, &err), LLMSPELL_ERR_INVALID);
    llmspell_kv_close(&a);
}

/* >>f. allocation failures: every allocation of an import and of an export fails once */
static long al_count, al_fail;
static void *t_alloc(void *ctx, size_t n) {
    (void)ctx;
    if (al_fail && ++al_count == al_fail) return NULL;
    return malloc(n);
}
static void *t_realloc(void *ctx, void *p, size_t n) {
    (void)ctx;
    if (al_fail && ++al_count == al_fail) return NULL;
    return realloc(p, n);
}
static void t_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

static void test_alloc_failures(void) {
    llmspell_kv src, dst;
    llmspell_kv_options o;
    char *e;
    size_t n, n0, n1;
    uint64_t h0;
    long at, total = 0;
    memset(&o, 0, sizeof o);
    o.allocator.alloc = t_alloc;
    o.allocator.realloc = t_realloc;
    o.allocator.free = t_free;
    REQUIRE_RC(llmspell_kv_open_memory(&src, &o), LLMSPELL_OK);
    build_store(&src, 1);
    {
        llmspell_kv t;
        llmspell_kv_open_memory(&t, NULL);
        CHECK_RC(llmspell_export_import_buffer(&t, RS_FILE, strlen(RS_FILE), NULL, NULL, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_export_migrate(&t, &src, NULL, NULL, NULL, NULL, NULL), LLMSPELL_OK);
        llmspell_kv_close(&t);
    }
    e = export_text(&src, NULL, NULL, &n);
    REQUIRE(e != NULL, "export");
    /* export: each failure is ERR_NOMEM, nothing leaks (ASan checks at exit) */
    for (at = 1; at < 100000; at++) {
        llmspell_json_writer *w;
        llmspell_json_error err;
        llmspell_result r;
        llmspell_json_writer_open_buffer(&w, NULL);
        al_count = 0;
        al_fail = at;
        r = llmspell_export_store(&src, w, NULL, NULL, &err);
        al_fail = 0;
        llmspell_json_writer_free(w);
        if (r == LLMSPELL_OK) break;
        CHECK(r == LLMSPELL_ERR_NOMEM, "export, allocation %ld: %s (%s)", at, rc_name(r), err.message);
        total++;
    }
    CHECK(total > 5, "export allocated %ld times", total);
    /* import */
    REQUIRE_RC(llmspell_kv_open_memory(&dst, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&dst, S("keep"), S("me")), LLMSPELL_OK);
    h0 = store_hash(&dst, &n0);
    for (at = 1, total = 0; at < 100000; at++) {
        llmspell_json_error err;
        llmspell_result r;
        al_count = 0;
        al_fail = at;
        r = llmspell_export_import_buffer(&dst, e, n, NULL, NULL, &err);
        al_fail = 0;
        if (r == LLMSPELL_OK) break;
        total++;
        CHECK(r == LLMSPELL_ERR_NOMEM || r == LLMSPELL_ERR_TXN, "import, allocation %ld: %s (%s)", at, rc_name(r), err.message);
        CHECK(store_hash(&dst, &n1) == h0 && n1 == n0, "import, allocation %ld: store changed", at);
    }
    CHECK(total > 50, "import allocated %ld times", total);
    free(e);
    llmspell_kv_close(&dst);
    llmspell_kv_close(&src);
}

/* >>i. one owner per stored format, one JSON dialect (issue 11) ------------------------------ */

/* Exports a into a fresh memory store b (b is opened here). */
static int copy_store(llmspell_kv *a, llmspell_kv *b) {
    size_t len;
    char *t = export_text(a, NULL, NULL, &len);
    llmspell_json_error err;
    llmspell_result r;
    if (!t) return 0;
    if (llmspell_kv_open_memory(b, NULL) != LLMSPELL_OK) { free(t); return 0; }
    r = llmspell_export_import_buffer(b, t, len, NULL, NULL, &err);
    if (r != LLMSPELL_OK) fprintf(stderr, "import: %s\n", err.message);
    free(t);
    return r == LLMSPELL_OK;
}

static void test_one_owner(void) {
    static const uint8_t GP[3] = {0xFF, 'G', 'E'}, VP[2] = {0xFF, 'V'}; /* versions (the meta record holds a write counter) */
    llmspell_kv a, b;
    llmspell_graph ga, gb;
    llmspell_graph_options go;
    tclock clk;
    uint64_t ha, hb;
    size_t na, nb;
    memset(&go, 0, sizeof go);
    clk.now = 1700000000000000ll;
    go.clock.now = tclock_now;
    go.clock.ctx = &clk;
    /* graph properties: escapes, member order and awkward keys survive export + import as the
       same stored bytes, and the copy answers re-puts and patches as the original does */
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&ga, &a, &go), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&ga, "p", "person", "P", "{\"b\":1,\"a\":\"caf\\u00e9\",\"k\\n\":1,\"k\\t\":2,\"n\":1.50}",
                                         LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    llmspell_graph_close(&ga);
    REQUIRE(copy_store(&a, &b), "copy");
    ha = prefix_hash(&a, GP, 3, &na);
    hb = prefix_hash(&b, GP, 3, &nb);
    CHECK(ha == hb && na == nb, "graph records differ after export + import (%zu vs %zu keys)", na, nb);
    REQUIRE_RC(llmspell_graph_open(&ga, &a, &go), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&gb, &b, &go), LLMSPELL_OK);
    clk.now += 1000;
    /* the same content again, written differently: no new version on either (rule 7) */
    CHECK_RC(llmspell_graph_put_entity(&ga, "p", "person", "P", "{\"k\\t\":2,\"n\":1.50,\"a\":\"café\",\"b\":1,\"k\\n\":1}",
                                       LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&gb, "p", "person", "P", "{\"k\\t\":2,\"n\":1.50,\"a\":\"café\",\"b\":1,\"k\\n\":1}",
                                       LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    CHECK(prefix_hash(&a, GP, 3, &na) == ha && prefix_hash(&b, GP, 3, &nb) == hb, "an identical re-put made a version");
    /* a patch removing "k\n" removes it on both */
    clk.now += 1000;
    CHECK_RC(llmspell_graph_update_entity(&ga, "p", NULL, NULL, "{\"k\\n\":null}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_update_entity(&gb, "p", NULL, NULL, "{\"k\\n\":null}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    {
        llmspell_graph_entity ea, eb;
        CHECK_RC(llmspell_graph_get_entity(&ga, "p", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &ea), LLMSPELL_OK);
        CHECK(strstr(ea.properties, "k\\n") == NULL, "patch did not remove the key on the original: %s", ea.properties);
        CHECK_RC(llmspell_graph_get_entity(&gb, "p", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &eb), LLMSPELL_OK);
        CHECK(strcmp(ea.properties, eb.properties) == 0, "copy answers differently: %s vs %s", ea.properties, eb.properties);
        CHECK(strcmp(ea.properties, "{\"a\":\"café\",\"b\":1,\"k\\t\":2,\"n\":1.50}") == 0, "canonical form: %s", ea.properties);
    }
    CHECK(prefix_hash(&a, GP, 3, &na) == prefix_hash(&b, GP, 3, &nb) && na == nb, "graph records differ after the patch");
    llmspell_graph_close(&ga);
    llmspell_graph_close(&gb);
    llmspell_kv_close(&a);
    llmspell_kv_close(&b);

    /* a vec record whose id is longer than this file's LLMSPELL_VEC_MAX_ID (written by a file
       built with a larger one): it loads, exports and imports to the same bytes */
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&a, "c", NULL, NULL), LLMSPELL_OK);
    {
        enum { IDN = LLMSPELL_VEC_MAX_ID + 188 };
        char id[IDN + 1];
        uint8_t key[3 + 2 * (IDN + 8) + 16], blob[256];
        float emb[4] = {1, 2, 3, 4};
        llmspell__recview rv;
        llmspell_vec *v;
        llmspell_vec_record rec;
        size_t kn;
        memset(id, 'x', IDN);
        id[IDN] = 0;
        memset(&rv, 0, sizeof rv);
        rv.dim = 4;
        rv.created = rv.updated = 5;
        rv.expires = LLMSPELL_TIME_MAX;
        rv.scope = "global";
        rv.scopelen = 6;
        rv.meta = "{\"m\":1}";
        rv.metalen = 7;
        kn = llmspell__vkey(key, sizeof key, 'r', "c", 1, id, IDN, 0, 0, 0, 0);
        REQUIRE(kn <= sizeof key && llmspell__rec_size(&rv) <= sizeof blob, "sizes");
        llmspell__rec_write(blob, &rv, emb);
        REQUIRE_RC(llmspell_kv_put_sys(&a, key, kn, blob, llmspell__rec_size(&rv)), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_open(&v, &a, "c", NULL, NULL), LLMSPELL_OK);
        if (v) {
            CHECK_RC(llmspell_vec_get(v, id, &rec), LLMSPELL_ERR_TOO_LARGE); /* this file cannot name it... */
            llmspell_vec_close(v);
        }
        REQUIRE(copy_store(&a, &b), "copy of a store with a long id"); /* ...but moves it intact */
        CHECK(prefix_hash(&a, VP, 2, &na) != 0 && prefix_hash(&b, (const uint8_t *)key, kn, &nb) != 0 && nb == 1, "record missing");
        {
            const void *x, *y;
            size_t xn, yn;
            CHECK(llmspell_kv_get(&a, key, kn, &x, &xn) == LLMSPELL_OK && llmspell_kv_get(&b, key, kn, &y, &yn) == LLMSPELL_OK &&
                      xn == yn, "record sizes");
        }
        llmspell_kv_close(&b);
    }
    llmspell_kv_close(&a);

    /* import takes vec's own ranges and the family's JSON rules */
    REQUIRE_RC(llmspell_kv_open_memory(&a, NULL), LLMSPELL_OK);
    expect_fail(&a, HEAD "{},\"llmspell_collections\":[{\"name\":\"c\",\"ef_construction\":134217728}]}", LLMSPELL_ERR_INVALID,
                "llmspell_collections[0].ef_construction", "ef_construction");
    expect_fail(&a, HEAD "{},\"llmspell_collections\":[{\"name\":\"c\",\"ef_search\":0}]}", LLMSPELL_ERR_INVALID, NULL, NULL);
    expect_fail(&a, HEAD "{},\"llmspell_collections\":[{\"name\":\"c\",\"quantization\":\"i4\"}]}", LLMSPELL_ERR_INVALID,
                "llmspell_collections[0].quantization", "\"f32\", \"f16\" or \"int8\"");
    { /* a quantized collection's setting comes back; a store holding it with another one refuses the import */
        llmspell_vec_config c;
        llmspell_vec *v;
        llmspell_vec_info info;
        const char *doc = HEAD "{},\"llmspell_collections\":[{\"name\":\"q\",\"quantization\":\"f16\"}]}";
        CHECK_RC(llmspell_export_import_buffer(&a, doc, strlen(doc), NULL, NULL, NULL), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_open(&v, &a, "q", NULL, NULL), LLMSPELL_OK);
        CHECK(llmspell_vec_info_get(v, &info) == LLMSPELL_OK && info.config.quant == LLMSPELL_VEC_F16, "imported quantization %d", (int)info.config.quant);
        llmspell_vec_close(v);
        memset(&c, 0, sizeof c);
        c.quant = LLMSPELL_VEC_INT8;
        CHECK_RC(llmspell_vec_create(&a, "q8", &c, NULL), LLMSPELL_OK);
        expect_fail(&a, HEAD "{},\"llmspell_collections\":[{\"name\":\"q8\",\"quantization\":\"f16\"}]}", LLMSPELL_ERR_CONFLICT, NULL, "other settings");
    }
    expect_fail(&a, HEAD "{\"vector_embeddings\":{\"2\":[{\"id\":\"v\",\"dimension\":2,\"embedding\":\"AACAPwAAAEA=\",\"metadata\":{\"a\":1,\"a\":2}}]}}}",
                LLMSPELL_ERR_PARSE, NULL, "duplicate");
    expect_fail(&a, HEAD "{\"vector_embeddings\":{\"2\":[{\"id\":\"v\",\"dimension\":2,\"embedding\":\"AACAPwAAAEA=\",\"metadata\":{\"o\":{\"a\":1,\"a\":2}}}]}}}",
                LLMSPELL_ERR_PARSE, NULL, "duplicate");
    expect_fail(&a, HEAD "{\"knowledge_graph\":{\"entities\":[{\"entity_id\":\"e\",\"properties\":{\"a\":1,\"a\":2},\"valid_time_start\":1,"
                "\"transaction_time_start\":2}]}}}", LLMSPELL_ERR_PARSE, NULL, "duplicate");
    /* two closed versions visible at the same (valid, transaction) point */
    expect_fail(&a, HEAD "{\"knowledge_graph\":{\"entities\":["
                "{\"entity_id\":\"e\",\"valid_time_start\":1,\"valid_time_end\":5,\"transaction_time_start\":10,\"transaction_time_end\":20},"
                "{\"entity_id\":\"e\",\"valid_time_start\":4,\"valid_time_end\":9,\"transaction_time_start\":15,\"transaction_time_end\":30}]}}}",
                LLMSPELL_ERR_CONFLICT, "data.knowledge_graph.entities[1].valid_time_start", "visible at the same");
    /* ...while a history where they do not meet imports */
    {
        const char *ok = HEAD "{\"knowledge_graph\":{\"entities\":["
                         "{\"entity_id\":\"e\",\"valid_time_start\":1,\"valid_time_end\":5,\"transaction_time_start\":10,\"transaction_time_end\":20},"
                         "{\"entity_id\":\"e\",\"valid_time_start\":1,\"valid_time_end\":9,\"transaction_time_start\":20},"
                         "{\"entity_id\":\"e\",\"valid_time_start\":9,\"valid_time_end\":12,\"transaction_time_start\":12,\"transaction_time_end\":20}]}}}";
        llmspell_json_error err;
        CHECK_RC(llmspell_export_import_buffer(&a, ok, strlen(ok), NULL, NULL, &err), LLMSPELL_OK);
    }
    llmspell_kv_close(&a);
}

/* An rs-llmspell export (times in microseconds, +infinity written out, embeddings as base64 of
   float32, kv entries with their ids, metadata and times) comes back from import + export with
   the same data section, but for the documented extras of ours ("collection" on vectors) and
   member order (compared in canonical form). */
static const char *RS_FULL =
    "{\"version\":\"1.0\",\"exported_at\":\"2025-11-02T10:00:00Z\",\"source_backend\":\"postgresql\",\"migrations\":[],\"data\":{"
    "\"vector_embeddings\":{\"2\":["
    "{\"id\":\"6f9619ff-8b86-d011-b42d-00c04fc964ff\",\"tenant_id\":\"tenant-a\",\"scope\":\"session:abc\",\"dimension\":2,"
    "\"embedding\":\"AACAPwAAAEA=\",\"metadata\":{\"source\":\"doc.md\",\"chunk\":{\"i\":1,\"t\":\"caf\\u00e9\"}},\"created_at\":1730000000000000,\"updated_at\":1730000000000005}]},"
    "\"knowledge_graph\":{\"entities\":["
    "{\"entity_id\":\"e1\",\"tenant_id\":\"tenant-a\",\"entity_type\":\"person\",\"name\":\"Ada\",\"properties\":{\"b\":2,\"a\":[1,{\"z\":null}]},"
    "\"valid_time_start\":1700000000000000,\"valid_time_end\":9223372036854775807,\"transaction_time_start\":1700000000000000,"
    "\"transaction_time_end\":9223372036854775807,\"created_at\":1700000000000000},"
    "{\"entity_id\":\"e2\",\"tenant_id\":\"tenant-a\",\"entity_type\":\"org\",\"name\":\"ACME\",\"properties\":{},"
    "\"valid_time_start\":1600000000000000,\"valid_time_end\":9223372036854775807,\"transaction_time_start\":1700000000000001,"
    "\"transaction_time_end\":9223372036854775807,\"created_at\":1700000000000001}],"
    "\"relationships\":[{\"relationship_id\":\"r1\",\"tenant_id\":\"tenant-a\",\"source_entity_id\":\"e1\",\"target_entity_id\":\"e2\","
    "\"relationship_type\":\"works_at\",\"properties\":{\"since\":2020},\"valid_time_start\":1700000000000000,\"valid_time_end\":9223372036854775807,"
    "\"transaction_time_start\":1700000000000002,\"transaction_time_end\":9223372036854775807,\"created_at\":1700000000000002}]},"
    "\"procedural_memory\":[],"
    "\"agent_state\":[{\"state_id\":\"s1\",\"tenant_id\":\"tenant-a\",\"agent_id\":\"a1\",\"agent_type\":\"chat\",\"state_data\":{\"x\":[1,2]},"
    "\"schema_version\":1,\"data_version\":3,\"checksum\":\"abc\",\"created_at\":1,\"updated_at\":2}],"
    "\"kv_store\":["
    "{\"kv_id\":\"k1\",\"tenant_id\":\"tenant-a\",\"key\":\"config:theme\",\"value\":\"ZGFyaw==\",\"metadata\":null,\"created_at\":1730000000000000,\"updated_at\":1730000000000009},"
    "{\"kv_id\":\"6b1d3c0e-0000-4000-8000-000000000001\",\"tenant_id\":\"tenant-b\",\"key\":\"x\",\"value\":\"\",\"metadata\":\"{\\\"m\\\":1}\",\"created_at\":1,\"updated_at\":2}],"
    "\"workflow_states\":[],\"sessions\":[],\"artifacts\":{\"content\":[],\"artifacts\":[]},"
    "\"event_log\":[{\"id\":\"ev1\",\"tenant_id\":\"tenant-a\",\"event_id\":\"e\",\"event_type\":\"t\",\"correlation_id\":\"c\","
    "\"timestamp\":9,\"sequence\":1,\"language\":\"lua\",\"payload\":{\"p\":\"\\u00e9\"}}],"
    "\"hook_history\":[]}}";

static llmspell_result rs_sink(void *user, const void *data, size_t n) {
    char **buf = (char **)user;
    size_t have = *buf ? strlen(*buf) : 0;
    char *p = (char *)realloc(*buf, have + n + 1);
    if (!p) return LLMSPELL_ERR_NOMEM;
    memcpy(p + have, data, n);
    p[have + n] = 0;
    *buf = p;
    return LLMSPELL_OK;
}

/* The "data" member of doc, without our vector extras, in canonical form (members sorted). */
static char *rs_data(const char *doc, size_t n) {
    llmspell_json_doc *d, *c;
    llmspell_json_writer *w;
    const llmspell_json_value *data;
    char *out = NULL;
    size_t i, j, k, tn;
    const char *t;
    if (llmspell_json_parse(doc, n, NULL, &d, NULL) != LLMSPELL_OK) return NULL;
    data = llmspell_json_get(llmspell_json_doc_root(d), "data");
    if (!data || llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) { llmspell_json_doc_free(d); return NULL; }
    llmspell_json_object_begin(w);
    for (i = 0; i < data->len; i++) {
        const llmspell_json_member *m = &data->u.members[i];
        llmspell_json_key(w, m->key, m->klen);
        if (strcmp(m->key, "vector_embeddings") != 0) {
            llmspell_json_write_value(w, &m->value);
            continue;
        }
        llmspell_json_object_begin(w);
        for (j = 0; j < m->value.len; j++) {
            const llmspell_json_member *dm = &m->value.u.members[j];
            llmspell_json_key(w, dm->key, dm->klen);
            llmspell_json_array_begin(w);
            for (k = 0; k < dm->value.len; k++) {
                const llmspell_json_value *r = &dm->value.u.items[k];
                size_t q;
                llmspell_json_object_begin(w);
                for (q = 0; q < r->len; q++) {
                    const llmspell_json_member *f = &r->u.members[q];
                    if (strcmp(f->key, "collection") == 0 || strcmp(f->key, "expires_at") == 0) continue; /* ours, documented */
                    llmspell_json_key(w, f->key, f->klen);
                    llmspell_json_write_value(w, &f->value);
                }
                llmspell_json_object_end(w);
            }
            llmspell_json_array_end(w);
        }
        llmspell_json_object_end(w);
    }
    llmspell_json_object_end(w);
    if (llmspell_json_writer_finish(w) == LLMSPELL_OK && llmspell_json_doc_new(NULL, &c) == LLMSPELL_OK) {
        t = llmspell_json_writer_data(w, &tn);
        if (llmspell_json_canonical(c, t, tn, LLMSPELL_JSON_CANON_SORT, rs_sink, &out, NULL) != LLMSPELL_OK) {
            free(out);
            out = NULL;
        }
        llmspell_json_doc_free(c);
    }
    llmspell_json_writer_free(w);
    llmspell_json_doc_free(d);
    return out;
}

static void test_rs_roundtrip(void) {
    llmspell_kv kv;
    llmspell_json_error err;
    char *e, *want, *got;
    size_t n;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_export_import_buffer(&kv, RS_FULL, strlen(RS_FULL), NULL, NULL, &err), LLMSPELL_OK);
    e = export_text(&kv, NULL, NULL, &n);
    REQUIRE(e != NULL, "export");
    want = rs_data(RS_FULL, strlen(RS_FULL));
    got = rs_data(e, n);
    REQUIRE(want && got, "data sections");
    CHECK(strcmp(want, got) == 0, "the data section changed on its way through import and export:\n  in:  %s\n  out: %s", want, got);
    free(want);
    free(got);
    free(e);
    llmspell_kv_close(&kv);
}

static void cleanup(void) {
    if (tmpdir[0]) compat_remove_tree(tmpdir);
}

int main(void) {
    make_tmpdir();
    compat_note_no_sqlite("test_export (memory and file stores only)");
    RUN(test_roundtrip);
    RUN(test_rs_style);
    RUN(test_embedding_forms);
    RUN(test_truncated);
    RUN(test_bad_inputs);
    RUN(test_failure_injection);
    RUN(test_migrate);
    RUN(test_validate_only);
    RUN(test_tenant_view);
    RUN(test_export_sink);
    RUN(test_alloc_failures);
    RUN(test_one_owner);
    RUN(test_rs_roundtrip);
    cleanup();
    return harness_exit();
}
