/* cc -std=c99 -O2 -I. -DLLMSPELL_KV_SQLITE examples/demo.c -o demo -lsqlite3 -lm && ./demo
   The end-to-end story on the file backend, the embedded default: an agent runtime keeps, for
   tenant acme, its state (kv), its documents' vectors and a bi-temporal knowledge graph in one
   file; it survives a restart; then everything is exported to the llmspell v1.0 JSON format,
   imported into SQLite, and checked to read back identical there. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_vec.h"
#include "llmspell_graph.h"
#include "llmspell_export.h"
#include <stdio.h>
#include <string.h>

/* on failure: which call, its code and the handle's own message; then the demo exits 1 */
#define TRY(expr, why)                                                                          \
    do {                                                                                        \
        llmspell_result r_ = (expr);                                                            \
        if (r_ != LLMSPELL_OK) {                                                                \
            fprintf(stderr, "demo: %s failed: %s (%s)\n", #expr, llmspell_strerror(r_), (why)); \
            return 1;                                                                           \
        }                                                                                       \
    } while (0)
#define FAIL(...) return fprintf(stderr, "demo: " __VA_ARGS__), fputc('\n', stderr), 1

#define DIM 64
#define NDOCS 200
#define DAY (86400LL * 1000000LL)       /* llmspell_time is in microseconds */
#define JAN1 (1704067200LL * 1000000LL) /* 2024-01-01T00:00:00Z */
static const char *files[] = {"demo.db", "demo.sqlite", "demo.sqlite-wal", "demo.sqlite-shm", "demo-export.json"};

static llmspell_time clock_now = JAN1 + 10 * DAY; /* the graph's clock, moved by the story */
static llmspell_time story_clock(void *ctx) { (void)ctx; return clock_now; }

static unsigned rng = 12345; /* a fixed LCG: every run builds the same vectors */
static void random_vector(float *x) {
    int i;
    for (i = 0; i < DIM; i++) {
        rng = rng * 1103515245u + 12345u;
        x[i] = (float)((rng >> 9) & 0xFFFF) / 65536.0f - 0.5f;
    }
}

static float query[DIM];      /* stands for the embedding of the user's question */
static llmspell_vec_hit hits[5];
static char first_ids[5][16]; /* step b's answer, which every later search must repeat */
static float first_scores[5];

/* The 5 nearest documents from 2021 on into hits; checks each hit against the filter itself,
   and against step b's answer when `again`. */
static int search(llmspell_vec *docs, int again) {
    llmspell_vec_filter recent = {.op = LLMSPELL_F_GE, .field = "year", .value = {.type = LLMSPELL_VAL_INT, .i = 2021}};
    llmspell_vec_query q = {.vector = query, .dim = DIM, .k = 5, .filter = &recent};
    size_t i, n;
    TRY(llmspell_vec_search(docs, &q, hits, &n), llmspell_vec_errmsg(docs));
    if (n != 5) FAIL("expected 5 hits, got %zu", n);
    for (i = 0; i < n; i++) {
        llmspell_json_doc *doc;
        const llmspell_json_value *year;
        int ok;
        TRY(llmspell_json_parse(hits[i].metadata, hits[i].metadata_len, NULL, &doc, NULL), "a hit's metadata");
        year = llmspell_json_get(llmspell_json_doc_root(doc), "year");
        ok = year && year->is_int && year->i >= 2021;
        llmspell_json_doc_free(doc);
        if (!ok) FAIL("hit %s breaks the filter: %.*s", hits[i].id, (int)hits[i].metadata_len, hits[i].metadata);
        if (again && (strcmp(hits[i].id, first_ids[i]) != 0 || hits[i].score != first_scores[i]))
            FAIL("hit %zu is %s (%f), was %s (%f)", i, hits[i].id, hits[i].score, first_ids[i], first_scores[i]);
        if (!again) {
            snprintf(first_ids[i], sizeof first_ids[i], "%s", hits[i].id);
            first_scores[i] = hits[i].score;
        }
    }
    return 0;
}

static int step_kv(llmspell_kv *acme) {
    static const char *kv[3][2] = {{"agent:planner:state", "waiting-for-tool"},
                                   {"session:42:summary", "user asked for a refund of order 1234"},
                                   {"session:42:turns", "7"}};
    int i;
    TRY(llmspell_kv_begin(acme), llmspell_kv_errmsg(acme));
    for (i = 0; i < 3; i++)
        TRY(llmspell_kv_put(acme, kv[i][0], strlen(kv[i][0]), kv[i][1], strlen(kv[i][1])), llmspell_kv_errmsg(acme));
    TRY(llmspell_kv_commit(acme), llmspell_kv_errmsg(acme));
    printf("a. opened demo.db (file backend), tenant acme: 3 keys (agent state, session summary) in one transaction\n");
    return 0;
}

static int step_vectors(llmspell_kv *acme) {
    static const char *topics[4] = {"billing", "shipping", "returns", "accounts"};
    static float emb[NDOCS][DIM];
    static char ids[NDOCS][16], meta[NDOCS][48];
    static llmspell_vec_record recs[NDOCS];
    llmspell_vec_config cosine = {.metric = LLMSPELL_METRIC_COSINE}; /* zero M / ef: the defaults */
    llmspell_vec *docs;
    int i;
    TRY(llmspell_vec_create(acme, "docs", &cosine, NULL), llmspell_kv_errmsg(acme));
    TRY(llmspell_vec_open(&docs, acme, "docs", NULL, NULL), llmspell_kv_errmsg(acme));
    for (i = 0; i < NDOCS; i++) {
        random_vector(emb[i]);
        snprintf(ids[i], sizeof ids[i], "doc%03d", i);
        snprintf(meta[i], sizeof meta[i], "{\"topic\":\"%s\",\"year\":%d}", topics[i % 4], 2015 + i % 10);
        recs[i] = (llmspell_vec_record){.id = ids[i], .embedding = emb[i], .dim = DIM, .metadata = meta[i]};
    }
    TRY(llmspell_vec_add_batch(docs, recs, NDOCS), llmspell_vec_errmsg(docs)); /* one kv transaction */
    random_vector(query);
    if (search(docs, 0)) return 1;
    printf("b. collection docs (cosine): %d vectors of dimension %d; the 5 nearest with year >= 2021 all match it,\n"
           "   top hit %s, score %.4f, %.*s\n", NDOCS, DIM, hits[0].id, hits[0].score, (int)hits[0].metadata_len,
           hits[0].metadata);
    llmspell_vec_close(docs);
    return 0;
}

/* alice's employer at valid time v as known at transaction time t, into out ("nobody" if none) */
static int employer(llmspell_graph *g, llmspell_time v, llmspell_time t, char *out, size_t cap) {
    llmspell_graph_rows rows;
    memset(&rows, 0, sizeof rows);
    TRY(llmspell_graph_neighbors(g, "alice", LLMSPELL_GRAPH_OUT, "works_at", v, t, &rows), llmspell_graph_errmsg(g));
    snprintf(out, cap, "%s", rows.count == 1 ? rows.entity[0].name : "nobody");
    llmspell_graph_rows_free(&rows);
    return 0;
}

static int step_graph(llmspell_graph *g) {
    const llmspell_time inf = LLMSPELL_TIME_MAX, feb1 = JAN1 + 31 * DAY, feb15 = JAN1 + 45 * DAY, mar1 = JAN1 + 60 * DAY;
    char before[32], now[32];
    /* day 10: alice has worked at Initech since January 1st (one transaction time for all four) */
    TRY(llmspell_graph_begin(g), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_entity(g, "alice", "person", "Alice", NULL, JAN1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_entity(g, "initech", "company", "Initech", NULL, JAN1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_entity(g, "acme", "company", "Acme", NULL, JAN1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_rel(g, "alice-initech", "works_at", "alice", "initech", NULL, JAN1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_commit(g), llmspell_graph_errmsg(g));
    /* day 70: she moved to Acme on March 1st */
    clock_now = JAN1 + 70 * DAY;
    TRY(llmspell_graph_begin(g), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_delete_rel(g, "alice-initech", mar1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_rel(g, "alice-acme", "works_at", "alice", "acme", NULL, mar1, inf), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_commit(g), llmspell_graph_errmsg(g));
    /* day 100, a correction about the past: the move was on February 1st */
    clock_now = JAN1 + 100 * DAY;
    TRY(llmspell_graph_begin(g), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_delete_rel(g, "alice-initech", feb1, mar1), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_put_rel(g, "alice-acme", "works_at", "alice", "acme", NULL, feb1, mar1), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_commit(g), llmspell_graph_errmsg(g));

    if (employer(g, feb15, JAN1 + 80 * DAY, before, sizeof before) || employer(g, feb15, LLMSPELL_GRAPH_NOW, now, sizeof now))
        return 1;
    printf("c. graph: where did alice work on 2024-02-15? As known on day 80, before the correction: %s;\n"
           "   as known now, after the day-100 correction: %s\n", before, now);
    if (strcmp(before, "Initech") != 0 || strcmp(now, "Acme") != 0) FAIL("wrong as-of answers");
    return 0;
}

static int step_reopen(llmspell_kv *db, llmspell_kv *acme, llmspell_graph *g, llmspell_graph_options *go) {
    llmspell_vec *docs;
    llmspell_vec_info vi;
    llmspell_graph_info gi;
    llmspell_kv_stats st;
    llmspell_graph_close(g);
    llmspell_kv_close(acme);
    llmspell_kv_close(db);
    TRY(llmspell_kv_open_file(db, "demo.db", NULL), llmspell_kv_errmsg(db));
    TRY(llmspell_kv_open_tenant(acme, db, "acme", 4), llmspell_kv_errmsg(db));
    TRY(llmspell_kv_stats_get(db, &st), llmspell_kv_errmsg(db));
    TRY(llmspell_vec_open(&docs, acme, "docs", NULL, NULL), llmspell_kv_errmsg(acme));
    TRY(llmspell_vec_info_get(docs, &vi), llmspell_vec_errmsg(docs));
    if (search(docs, 1)) return 1;
    llmspell_vec_close(docs);
    TRY(llmspell_graph_open(g, acme, go), llmspell_graph_errmsg(g));
    TRY(llmspell_graph_info_get(g, &gi), llmspell_graph_errmsg(g));
    printf("d. closed and reopened demo.db (%llu bytes, %llu keys): docs has %llu vectors, HNSW graph %s,\n"
           "   same 5 hits; the knowledge graph has %llu entities, %llu relationships (%llu versions)\n",
           (unsigned long long)st.file_size, (unsigned long long)st.keys, (unsigned long long)vi.count,
           vi.graph_loaded ? "loaded from its saved pages" : "rebuilt", (unsigned long long)gi.entities,
           (unsigned long long)gi.relationships, (unsigned long long)(gi.entity_versions + gi.rel_versions));
    if (vi.count != NDOCS || gi.entities != 3 || gi.relationships != 2) FAIL("the reopened store lost data");
    return 0;
}

/* [*start, *start + *len): the value (object or array) of the top-level member `key`, as written */
static int member_span(const char *text, size_t n, const char *key, size_t *start, size_t *len) {
    llmspell_json_reader *r;
    llmspell_json_token t;
    int in = 0, found = 0;
    if (llmspell_json_reader_open_buffer(&r, text, n, NULL) != LLMSPELL_OK) return 0;
    while (!found && llmspell_json_next(r, &t) == LLMSPELL_OK && t.event != LLMSPELL_JSON_EV_END) {
        if (t.depth != 1) continue; /* only the top-level members and the brackets of their values */
        if (t.event == LLMSPELL_JSON_EV_KEY) in = t.len == strlen(key) && memcmp(t.str, key, t.len) == 0;
        else if (in && (t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN || t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN))
            *start = (size_t)t.offset;
        else if (in && (t.event == LLMSPELL_JSON_EV_OBJECT_END || t.event == LLMSPELL_JSON_EV_ARRAY_END)) {
            *len = (size_t)t.offset + 1 - *start; /* up to and with the closing bracket */
            found = 1;
        }
    }
    llmspell_json_reader_close(r);
    return found;
}

/* The exports of a and b have the same bytes in member `key`; *len gets how many. */
static int same_member(const char *a, size_t na, const char *b, size_t nb, const char *key, size_t *len) {
    size_t as = 0, al = 0, bs = 0, bl = 0;
    if (!member_span(a, na, key, &as, &al) || !member_span(b, nb, key, &bs, &bl)) return 0;
    *len = al;
    return al == bl && memcmp(a + as, b + bs, al) == 0;
}

/* The export of kv in memory: the writer (the caller frees it) or NULL. */
static llmspell_json_writer *export_buffer(llmspell_kv *kv) {
    llmspell_json_writer *w;
    llmspell_json_error err;
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) return NULL;
    if (llmspell_export_store(kv, w, NULL, NULL, &err) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK) return w;
    fprintf(stderr, "demo: export of the %s store failed: %s\n", llmspell_kv_name(kv), err.message);
    llmspell_json_writer_free(w);
    return NULL;
}

static int step_export_import(llmspell_kv *db, llmspell_kv *sq) {
    llmspell_export_stats st;
    llmspell_json_error err;
    llmspell_json_writer *wf, *ws;
    llmspell_kv sqacme;
    llmspell_vec *docs;
    const char *tf, *ts;
    size_t nf, ns, ndata = 0, ncoll = 0;
    int same;
    long bytes;
    FILE *f = fopen("demo-export.json", "wb");
    if (!f) FAIL("cannot create demo-export.json");
    TRY(llmspell_export_store_file(db, f, NULL, &st, &err), err.message);
    bytes = ftell(f);
    if (fclose(f) != 0) FAIL("cannot write demo-export.json");
    printf("e. exported the store to demo-export.json: %ld bytes, %zu records (%zu kv, %zu vectors, %zu entity and\n"
           "   %zu relationship versions)\n", bytes, st.total, st.kv_entries, st.vectors, st.entities, st.relationships);
    TRY(llmspell_kv_open_sqlite(sq, "demo.sqlite", NULL), llmspell_kv_errmsg(sq));
    if (!(f = fopen("demo-export.json", "rb"))) FAIL("cannot reopen demo-export.json");
    TRY(llmspell_export_import_file(sq, f, NULL, &st, &err), err.message); /* one SQLite transaction */
    fclose(f);
    printf("   imported it into demo.sqlite: kv_entries %zu, vectors %zu, entities %zu, relationships %zu, collections %zu\n",
           st.kv_entries, st.vectors, st.entities, st.relationships, st.collections);

    /* exported_at and source_backend differ; the data and the collection settings must not */
    if (!(wf = export_buffer(db)) || !(ws = export_buffer(sq))) return 1;
    tf = llmspell_json_writer_data(wf, &nf);
    ts = llmspell_json_writer_data(ws, &ns);
    same = same_member(tf, nf, ts, ns, "data", &ndata) && same_member(tf, nf, ts, ns, "llmspell_collections", &ncoll);
    llmspell_json_writer_free(wf);
    llmspell_json_writer_free(ws);
    if (!same) FAIL("the SQLite copy exports different data");
    /* and it answers the same search (its HNSW graph is built from the records at this open) */
    TRY(llmspell_kv_open_tenant(&sqacme, sq, "acme", 4), llmspell_kv_errmsg(sq));
    TRY(llmspell_vec_open(&docs, &sqacme, "docs", NULL, NULL), llmspell_kv_errmsg(&sqacme));
    same = search(docs, 1) == 0;
    llmspell_vec_close(docs);
    llmspell_kv_close(&sqacme);
    if (!same) return 1;
    printf("   identical: both stores export the same %zu bytes of data (and %zu of collection settings),\n"
           "   and the search on demo.sqlite returns the same 5 hits, %s first\n", ndata, ncoll, first_ids[0]);
    return 0;
}

int main(void) {
    llmspell_kv db, acme, sq;
    llmspell_graph g;
    llmspell_graph_options go;
    size_t i;
    for (i = 0; i < sizeof files / sizeof *files; i++) remove(files[i]); /* a fresh start */
    memset(&go, 0, sizeof go);
    go.clock.now = story_clock; /* transaction times follow the story, so every run prints the same */

    TRY(llmspell_kv_open_file(&db, "demo.db", NULL), llmspell_kv_errmsg(&db));
    TRY(llmspell_kv_open_tenant(&acme, &db, "acme", 4), llmspell_kv_errmsg(&db));
    TRY(llmspell_graph_open(&g, &acme, &go), llmspell_graph_errmsg(&g));
    if (step_kv(&acme) || step_vectors(&acme) || step_graph(&g) || step_reopen(&db, &acme, &g, &go) ||
        step_export_import(&db, &sq))
        return 1;
    llmspell_kv_close(&sq);
    llmspell_graph_close(&g);
    llmspell_kv_close(&acme);
    llmspell_kv_close(&db);

    for (i = 0; i < sizeof files / sizeof *files; i++) remove(files[i]);
    printf("f. removed demo.db, demo.sqlite and demo-export.json\n");
    return 0;
}
