/* Multi-tenant isolation through every API: tenants with adversarial ids (separators, ids that
   are prefixes of one another, empty, 0x00, 0xFF, long) each write the same kv key, a vector
   collection of the same name and a graph entity of the same id, every value carrying a marker
   of its tenant. Then every read, list, search, traversal and export of one tenant must show
   only its own markers, and a clear of one tenant must leave all the others intact. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#define LLMSPELL_IMPLEMENTATION
#define COMPAT_WANT_SQLITE /* unless -DLLMSPELL_TEST_NO_SQLITE, and on Windows only with -DLLMSPELL_KV_SQLITE */
#include "compat.h"
#include "../llmspell_export.h"
#include "../llmspell_graph.h"
#include "../llmspell_vec.h"
#include "harness.h"
#include <stdio.h>
#include <string.h>

#define NT 12
static const char *tid[NT];
static size_t tlen[NT];
static char longid[1001];

static void ids_init(void) {
    static const struct { const char *s; size_t n; } t[NT - 1] = {
        {"t1", 2}, {"t10", 3}, {"", 0}, {"a:b", 3}, {"a", 1}, {"/x", 2}, {"\0", 1}, {"\0\xFF", 2}, {"\xFF", 1}, {"\xFF\xFF", 2}, {"t1\0", 3}};
    int i;
    for (i = 0; i < NT - 1; i++) {
        tid[i] = t[i].s;
        tlen[i] = t[i].n;
    }
    memset(longid, 'z', 1000);
    tid[NT - 1] = longid;
    tlen[NT - 1] = 1000;
}

typedef struct { int seen[NT]; } markers;

/* Records which tenants' markers ("MARK<i>_") occur in text[0..n). */
static void scan_markers(const char *text, size_t n, markers *m) {
    size_t i;
    for (i = 0; i + 6 < n; i++) {
        if (memcmp(text + i, "MARK", 4) == 0) {
            int v = 0;
            size_t j = i + 4;
            while (j < n && text[j] >= '0' && text[j] <= '9') v = v * 10 + (text[j++] - '0');
            if (j < n && text[j] == '_' && v >= 0 && v < NT) m->seen[v] = 1;
        }
    }
}

static int only(const markers *m, int t) {
    int i;
    for (i = 0; i < NT; i++)
        if (m->seen[i] != (i == t)) return 0;
    return 1;
}

static int each_rec(void *user, const llmspell_vec_record *r) {
    scan_markers(r->metadata, r->metadata_len, (markers *)user);
    return 0;
}

static int scan_kv(void *user, const void *k, size_t kn, const void *v, size_t vn) {
    (void)k;
    (void)kn;
    scan_markers((const char *)v, vn, (markers *)user);
    return 0;
}

static void fill(llmspell_kv *view, int i) {
    char val[32], meta[64], props[64];
    float x[3];
    llmspell_vec *v;
    llmspell_vec_record r;
    llmspell_graph g;
    snprintf(val, sizeof val, "MARK%d_kv", i);
    snprintf(meta, sizeof meta, "{\"tag\":\"MARK%d_vec\"}", i);
    snprintf(props, sizeof props, "{\"tag\":\"MARK%d_graph\"}", i);
    CHECK_RC(llmspell_kv_put(view, "k", 1, val, strlen(val)), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(view, "k:sub", 5, val, strlen(val)), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(view, "docs", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, view, "docs", NULL, NULL), LLMSPELL_OK);
    x[0] = 1.0f + (float)i;
    x[1] = 1.0f;
    x[2] = 0.5f;
    memset(&r, 0, sizeof r);
    r.id = "r";
    r.embedding = x;
    r.dim = 3;
    r.metadata = meta;
    CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_graph_open(&g, view, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&g, "e", "thing", "E", props, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&g, "f", "thing", "F", props, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_rel(&g, "ef", "knows", "e", "f", props, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX), LLMSPELL_OK);
    llmspell_graph_close(&g);
}

/* Everything tenant i can see must carry only its own marker. present: whether it still has data. */
static void check(llmspell_kv *view, int i, int present) {
    markers m;
    llmspell_vec *v;
    llmspell_graph g;
    llmspell_graph_entity e;
    llmspell_graph_rows rows;
    llmspell_json_writer *w;
    llmspell_json_error err;
    llmspell_export_options eo;
    const void *val;
    size_t n;
    float x[3] = {1, 1, 0.5f};
    memset(&m, 0, sizeof m);
    if (llmspell_kv_get(view, "k", 1, &val, &n) == LLMSPELL_OK) scan_markers((const char *)val, n, &m);
    CHECK_RC(llmspell_kv_scan(view, "", 0, NULL, 0, scan_kv, &m), LLMSPELL_OK);
    if (llmspell_vec_open(&v, view, "docs", NULL, NULL) == LLMSPELL_OK) {
        llmspell_vec_hit hits[NT];
        llmspell_vec_query q;
        size_t h, k;
        memset(&q, 0, sizeof q);
        q.vector = x;
        q.dim = 3;
        q.k = NT;
        if (llmspell_vec_search(v, &q, hits, &h) == LLMSPELL_OK)
            for (k = 0; k < h; k++) scan_markers(hits[k].metadata, hits[k].metadata_len, &m);
        CHECK_RC(llmspell_vec_each(v, each_rec, &m), LLMSPELL_OK);
        llmspell_vec_close(v);
    } else {
        CHECK(!present, "tenant %d: its collection is gone", i);
    }
    REQUIRE_RC(llmspell_graph_open(&g, view, NULL), LLMSPELL_OK);
    if (llmspell_graph_get_entity(&g, "e", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &e) == LLMSPELL_OK)
        scan_markers(e.properties, strlen(e.properties), &m);
    memset(&rows, 0, sizeof rows);
    if (llmspell_graph_traverse(&g, "e", LLMSPELL_GRAPH_BOTH, NULL, 3, LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &rows) == LLMSPELL_OK) {
        size_t k;
        for (k = 0; k < rows.count; k++) scan_markers(rows.entity[k].properties, strlen(rows.entity[k].properties), &m);
    }
    llmspell_graph_rows_free(&rows);
    llmspell_graph_close(&g);
    memset(&eo, 0, sizeof eo); /* the export of the view */
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_export_store(view, w, &eo, NULL, &err), LLMSPELL_OK);
    if (llmspell_json_writer_finish(w) == LLMSPELL_OK) {
        const char *text = llmspell_json_writer_data(w, &n);
        scan_markers(text, n, &m);
    }
    llmspell_json_writer_free(w);
    if (present) CHECK(only(&m, i), "tenant %d sees other tenants' data (or misses its own)", i);
    else {
        int j, any = 0;
        for (j = 0; j < NT; j++) any |= m.seen[j];
        CHECK(!any, "tenant %d was cleared but still sees data", i);
    }
}

static void run_on(llmspell_kv *root) {
    llmspell_kv views[NT];
    int i, j;
    for (i = 0; i < NT; i++) {
        REQUIRE_RC(llmspell_kv_open_tenant(&views[i], root, tid[i], tlen[i]), LLMSPELL_OK);
        fill(&views[i], i);
    }
    for (i = 0; i < NT; i++) check(&views[i], i, 1);
    /* clearing one tenant ("t1", a prefix of "t10" and of "t1\0") touches nobody else */
    CHECK_RC(llmspell_kv_clear(&views[0]), LLMSPELL_OK);
    check(&views[0], 0, 0);
    for (j = 1; j < NT; j++) check(&views[j], j, 1);
    /* the root's own user keys see none of it; its export holds every remaining tenant */
    {
        markers m;
        llmspell_json_writer *w;
        llmspell_json_error err;
        size_t n;
        memset(&m, 0, sizeof m);
        CHECK_RC(llmspell_kv_scan(root, "", 0, NULL, 0, scan_kv, &m), LLMSPELL_OK); /* includes the 0xFF namespace */
        REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
        memset(&m, 0, sizeof m);
        CHECK_RC(llmspell_export_store(root, w, NULL, NULL, &err), LLMSPELL_OK);
        if (llmspell_json_writer_finish(w) == LLMSPELL_OK) {
            const char *text = llmspell_json_writer_data(w, &n);
            scan_markers(text, n, &m);
        }
        llmspell_json_writer_free(w);
        for (j = 1; j < NT; j++) CHECK(m.seen[j], "the root export misses tenant %d", j);
        CHECK(!m.seen[0], "the root export holds the cleared tenant");
    }
    for (i = 0; i < NT; i++) CHECK_RC(llmspell_kv_close(&views[i]), LLMSPELL_OK);
}

static void test_isolation_memory(void) {
    llmspell_kv root;
    REQUIRE_RC(llmspell_kv_open_memory(&root, NULL), LLMSPELL_OK);
    run_on(&root);
    llmspell_kv_close(&root);
}

static void test_isolation_file(void) {
    char dir[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX + 16];
    llmspell_kv root;
    REQUIRE(compat_make_tmpdir(dir, sizeof dir, "llmspell-iso-"), "cannot make a temporary directory");
    snprintf(path, sizeof path, "%s/iso.db", dir);
    REQUIRE_RC(llmspell_kv_open_file(&root, path, NULL), LLMSPELL_OK);
    run_on(&root);
    llmspell_kv_close(&root);
    compat_unlink(path);
    compat_rmdir(dir);
}

#if COMPAT_HAS_SQLITE
static void test_isolation_sqlite(void) {
    llmspell_kv root;
    REQUIRE_RC(llmspell_kv_open_sqlite(&root, ":memory:", NULL), LLMSPELL_OK);
    run_on(&root);
    llmspell_kv_close(&root);
}
#endif

#if COMPAT_HAS_POSTGRES
static void test_isolation_postgres(void) {
    char conninfo[COMPAT_PATH_MAX], why[512];
    llmspell_kv root;
    REQUIRE(compat_pg_fresh(conninfo, sizeof conninfo, why, sizeof why), "no PostgreSQL store: %s", why);
    REQUIRE_RC(llmspell_kv_open_postgres(&root, conninfo, NULL), LLMSPELL_OK);
    run_on(&root);
    llmspell_kv_close(&root);
}
#endif

int main(void) {
    ids_init();
    RUN(test_isolation_memory);
    RUN(test_isolation_file);
#if COMPAT_HAS_SQLITE
    RUN(test_isolation_sqlite);
#else
    compat_note_no_sqlite("isolation");
#endif
#if COMPAT_HAS_POSTGRES
    RUN(test_isolation_postgres);
#endif
    return harness_exit();
}
