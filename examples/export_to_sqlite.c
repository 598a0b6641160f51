/* cc -std=c99 -O2 -I. -DLLMSPELL_KV_SQLITE examples/export_to_sqlite.c -o export_to_sqlite -lsqlite3 -lm && ./export_to_sqlite
   Moving data out of the file backend: export a store to the llmspell v1.0 JSON format (the
   one rs-llmspell reads and writes, so the file can go to rs-llmspell or another machine),
   import it into SQLite, see a damaged file rejected with its line:column while the target
   stays untouched, and migrate SQLite back to a fresh file store in one call. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_vec.h"
#include "llmspell_graph.h"
#include "llmspell_export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(expr, why)                                                                                     \
    do {                                                                                                   \
        llmspell_result r_ = (expr);                                                                       \
        if (r_ != LLMSPELL_OK) {                                                                           \
            fprintf(stderr, "export_to_sqlite: %s failed: %s (%s)\n", #expr, llmspell_strerror(r_), (why)); \
            return 1;                                                                                      \
        }                                                                                                  \
    } while (0)
#define FAIL(...) return fprintf(stderr, "export_to_sqlite: " __VA_ARGS__), fputc('\n', stderr), 1

static const char *files[] = {"moving.db", "moving.json", "moving-cut.json", "moving.sqlite", "moving.sqlite-wal",
                              "moving.sqlite-shm", "moving-copy.db"};

static int put_str(llmspell_kv *kv, const char *k, const char *v) {
    TRY(llmspell_kv_put(kv, k, strlen(k), v, strlen(v)), llmspell_kv_errmsg(kv));
    return 0;
}

/* A small store: kv keys in two tenants, a collection in acme, a graph in globex. */
static int build(llmspell_kv *db) {
    llmspell_kv acme, globex;
    llmspell_vec *notes;
    llmspell_graph g;
    llmspell_vec_record r;
    float emb[8];
    char id[16], meta[48];
    unsigned s = 7;
    int i, j;
    TRY(llmspell_kv_open_tenant(&acme, db, "acme", 4), llmspell_kv_errmsg(db));
    TRY(llmspell_kv_open_tenant(&globex, db, "globex", 6), llmspell_kv_errmsg(db));
    if (put_str(&acme, "agent:planner:state", "idle") || put_str(&acme, "session:1:summary", "asked about invoices") ||
        put_str(&acme, "user:prefs", "{\"lang\":\"en\"}") || put_str(&globex, "agent:planner:state", "running") ||
        put_str(&globex, "session:9:summary", "wants a demo"))
        return 1;

    TRY(llmspell_vec_create(&acme, "notes", NULL, NULL), llmspell_kv_errmsg(&acme));
    TRY(llmspell_vec_open(&notes, &acme, "notes", NULL, NULL), llmspell_kv_errmsg(&acme));
    for (i = 0; i < 20; i++) {
        for (j = 0; j < 8; j++) {
            s = s * 1103515245u + 12345u;
            emb[j] = (float)((s >> 9) & 0xFFFF) / 65536.0f - 0.5f;
        }
        snprintf(id, sizeof id, "note%02d", i);
        snprintf(meta, sizeof meta, "{\"page\":%d}", i + 1);
        r = (llmspell_vec_record){.id = id, .embedding = emb, .dim = 8, .metadata = meta};
        TRY(llmspell_vec_add(notes, &r), llmspell_vec_errmsg(notes));
    }
    llmspell_vec_close(notes);

    TRY(llmspell_graph_open(&g, &globex, NULL), llmspell_graph_errmsg(&g));
    TRY(llmspell_graph_put_entity(&g, "bob", "person", "Bob", "{\"team\":\"sales\"}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX),
        llmspell_graph_errmsg(&g));
    TRY(llmspell_graph_put_entity(&g, "carol", "person", "Carol", NULL, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX),
        llmspell_graph_errmsg(&g));
    TRY(llmspell_graph_put_rel(&g, "bob-carol", "reports_to", "bob", "carol", NULL, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX),
        llmspell_graph_errmsg(&g));
    llmspell_graph_close(&g);
    llmspell_kv_close(&globex);
    llmspell_kv_close(&acme);
    return 0;
}

static int progress(void *user, const llmspell_export_progress *p) {
    static const char *phase[4] = {"", "export", "import pass 1 (validate)", "import pass 2 (write)"};
    (void)user;
    printf("     %-24s %3llu records, %6llu bytes\n", phase[p->phase], (unsigned long long)p->records,
           (unsigned long long)p->bytes);
    return 0; /* non-zero would cancel (nothing is written on import) */
}

static void print_stats(const llmspell_export_stats *s) {
    printf("     vectors %zu, entities %zu, relationships %zu, patterns %zu, agent_states %zu, kv_entries %zu,\n",
           s->vectors, s->entities, s->relationships, s->patterns, s->agent_states, s->kv_entries);
    printf("     workflow_states %zu, sessions %zu, artifact_content %zu, artifacts %zu, events %zu, hooks %zu;\n",
           s->workflow_states, s->sessions, s->artifact_content, s->artifacts, s->events, s->hooks);
    printf("     total %zu, and %zu vector collection(s) with their settings\n", s->total, s->collections);
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

/* 1 when a and b export the same "data" and "llmspell_collections" (exported_at and
   source_backend may differ); *n gets the bytes of data */
static int same_content(llmspell_kv *a, llmspell_kv *b, size_t *n) {
    llmspell_json_writer *w[2] = {NULL, NULL};
    const char *text[2] = {NULL, NULL};
    size_t len[2], ncoll;
    int i, same = 1;
    for (i = 0; i < 2; i++) {
        if (llmspell_json_writer_open_buffer(&w[i], NULL) != LLMSPELL_OK ||
            llmspell_export_store(i ? b : a, w[i], NULL, NULL, NULL) != LLMSPELL_OK ||
            llmspell_json_writer_finish(w[i]) != LLMSPELL_OK)
            same = 0;
        else
            text[i] = llmspell_json_writer_data(w[i], &len[i]);
    }
    same = same && same_member(text[0], len[0], text[1], len[1], "data", n) &&
           same_member(text[0], len[0], text[1], len[1], "llmspell_collections", &ncoll);
    llmspell_json_writer_free(w[0]);
    llmspell_json_writer_free(w[1]);
    return same;
}

int main(void) {
    llmspell_kv db, sq, copy;
    llmspell_kv_stats before, after;
    llmspell_export_options eo;
    llmspell_import_options io;
    llmspell_export_stats st;
    llmspell_json_error err;
    char head[201], *text;
    size_t i, n;
    long size;
    FILE *f, *cut;

    for (i = 0; i < sizeof files / sizeof *files; i++) remove(files[i]);
    TRY(llmspell_kv_open_file(&db, "moving.db", NULL), llmspell_kv_errmsg(&db));
    if (build(&db)) return 1;
    printf("1. built moving.db (file backend): tenants acme (3 keys, collection notes: 20 vectors) and globex\n"
           "   (2 keys, a graph of 2 entities and 1 relationship)\n");

    /* Export: one record at a time, so memory does not grow with the store. */
    memset(&eo, 0, sizeof eo);
    eo.progress = progress;
    eo.progress_every = 10;
    if (!(f = fopen("moving.json", "wb+"))) FAIL("cannot create moving.json");
    printf("2. exporting to moving.json:\n");
    TRY(llmspell_export_store_file(&db, f, &eo, &st, &err), err.message);
    size = ftell(f);
    printf("   wrote %zu records, %ld bytes; the file begins (the v1.0 envelope, then the sections):\n", st.total, size);
    rewind(f);
    n = fread(head, 1, 200, f);
    head[n] = 0;
    printf("   %s...\n", head);

    /* Import: pass 1 checks the whole file, pass 2 writes it in one SQLite transaction. */
    memset(&io, 0, sizeof io);
    io.progress = progress;
    io.progress_every = 10;
    TRY(llmspell_kv_open_sqlite(&sq, "moving.sqlite", NULL), llmspell_kv_errmsg(&sq));
    printf("3. importing moving.json into moving.sqlite:\n");
    rewind(f);
    TRY(llmspell_export_import_file(&sq, f, &io, &st, &err), err.message);
    printf("   imported, per section (rs-llmspell's ImportStats):\n");
    print_stats(&st);

    /* A damaged file: the first half of the export. Pass 1 fails, so nothing is written. */
    if (!(text = (char *)malloc((size_t)size))) FAIL("out of memory");
    rewind(f);
    if (fread(text, 1, (size_t)size, f) != (size_t)size) FAIL("cannot read moving.json back");
    if (!(cut = fopen("moving-cut.json", "wb+")) || fwrite(text, 1, (size_t)size / 2, cut) != (size_t)size / 2)
        FAIL("cannot write moving-cut.json");
    free(text);
    rewind(cut);
    TRY(llmspell_kv_stats_get(&sq, &before), llmspell_kv_errmsg(&sq));
    if (llmspell_export_import_file(&sq, cut, NULL, &st, &err) == LLMSPELL_OK) FAIL("a truncated file imported");
    fclose(cut);
    TRY(llmspell_kv_stats_get(&sq, &after), llmspell_kv_errmsg(&sq));
    printf("4. importing moving-cut.json (the first %ld bytes) fails: %s\n", size / 2, err.message);
    printf("   moving.sqlite is unchanged: %llu keys, %llu bytes before; %llu keys, %llu bytes after\n",
           (unsigned long long)before.keys, (unsigned long long)before.bytes, (unsigned long long)after.keys,
           (unsigned long long)after.bytes);
    if (err.line == 0 || err.column == 0 || before.keys != after.keys || before.bytes != after.bytes)
        FAIL("the failed import changed the store or gave no position");
    fclose(f);

    /* Migrate: export and import through a temporary file in one call, here SQLite -> file. */
    TRY(llmspell_kv_open_file(&copy, "moving-copy.db", NULL), llmspell_kv_errmsg(&copy));
    TRY(llmspell_export_migrate(&sq, &copy, NULL, NULL, NULL, &st, &err), err.message);
    printf("5. migrated moving.sqlite into a fresh file store moving-copy.db: %zu records\n", st.total);
    if (!same_content(&db, &copy, &n)) FAIL("moving-copy.db does not hold what moving.db held");
    printf("   moving.db and moving-copy.db export the same %zu bytes of data: the round trip lost nothing\n", n);

    llmspell_kv_close(&copy);
    llmspell_kv_close(&sq);
    llmspell_kv_close(&db);
    for (i = 0; i < sizeof files / sizeof *files; i++) remove(files[i]);
    printf("6. removed the files\n");
    return 0;
}
