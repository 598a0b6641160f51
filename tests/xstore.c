/* xstore.c - a store file moves between platforms (x86-64, s390x big-endian, arm64, Windows)
   and means the same on each. Built for every platform by tests/platforms.sh.

       xstore write PATH PART     adds part 1 or 2 of a fixed data set to the file store PATH:
                                  kv keys in two tenants, a vector collection (adds, a delete,
                                  an update) and a bi-temporal graph, all on a fixed clock
       xstore export PATH OUT     exports the store in the llmspell v1.0 format to OUT, on a
                                  fixed clock
       xstore kernel              prints the distance kernel chosen on this machine

   Two exports of the same data are byte-identical whichever platform wrote or read the file,
   so the script compares them with cmp. Prints PASS/FAIL lines; exit 1 on any failure. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_vec.h"
#include "llmspell_graph.h"
#include "llmspell_export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIM 24
#define PER_PART 40
#define JAN1 (1704067200LL * 1000000LL)
#define DAY (86400LL * 1000000LL)

static llmspell_time fixed_now = JAN1;
static llmspell_time fixed_clock(void *ctx) { (void)ctx; return fixed_now; }

static int fail(const char *what, const char *msg) {
    printf("FAIL xstore: %s: %s\n", what, msg);
    return 1;
}
#define TRY(expr, msg) do { if ((expr) != LLMSPELL_OK) return fail(#expr, msg); } while (0)

/* The same floats on every platform: integer arithmetic, then an exact conversion. */
static void vector_of(int n, float *x) {
    unsigned s = 2166136261u ^ (unsigned)n;
    int i;
    for (i = 0; i < DIM; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)(int)((s >> 12) & 0x3FF) / 512.0f - 1.0f;
    }
}

static int write_part(llmspell_kv *db, int part) {
    llmspell_kv acme, globex;
    llmspell_vec *docs;
    llmspell_graph g;
    llmspell_graph_options go;
    llmspell_vec_options vo;
    llmspell_vec_config cfg;
    char key[32], val[64], id[16], meta[64];
    float emb[DIM];
    int i, base = (part - 1) * PER_PART;
    fixed_now = JAN1 + part * DAY;
    TRY(llmspell_kv_open_tenant(&acme, db, "acme", 4), llmspell_kv_errmsg(db));
    TRY(llmspell_kv_open_tenant(&globex, db, "globex", 6), llmspell_kv_errmsg(db));
    TRY(llmspell_kv_begin(db), llmspell_kv_errmsg(db));
    for (i = base; i < base + PER_PART; i++) {
        snprintf(key, sizeof key, "session:%03d", i);
        snprintf(val, sizeof val, "turns=%d \xe2\x82\xac %c", i * 7, 'a' + i % 26);
        TRY(llmspell_kv_put(&acme, key, strlen(key), val, strlen(val)), llmspell_kv_errmsg(&acme));
        TRY(llmspell_kv_put(&globex, key, strlen(key), "\0\xff\x01", 3), llmspell_kv_errmsg(&globex));
    }
    if (part == 2) TRY(llmspell_kv_delete(&acme, "session:003", 11), llmspell_kv_errmsg(&acme));
    TRY(llmspell_kv_commit(db), llmspell_kv_errmsg(db));

    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    cfg.M = 8;
    memset(&vo, 0, sizeof vo);
    vo.clock.now = fixed_clock;
    if (part == 1) TRY(llmspell_vec_create(&acme, "docs", &cfg, NULL), llmspell_kv_errmsg(&acme));
    TRY(llmspell_vec_open(&docs, &acme, "docs", NULL, &vo), llmspell_kv_errmsg(&acme));
    for (i = base; i < base + PER_PART; i++) {
        llmspell_vec_record rec;
        memset(&rec, 0, sizeof rec);
        vector_of(i, emb);
        snprintf(id, sizeof id, "doc%03d", i);
        snprintf(meta, sizeof meta, "{\"n\":%d,\"half\":%.1f,\"odd\":%s}", i, i / 2.0, i % 2 ? "true" : "false");
        rec.id = id;
        rec.embedding = emb;
        rec.dim = DIM;
        rec.metadata = meta;
        if (llmspell_vec_add(docs, &rec) != LLMSPELL_OK) {
            fail("llmspell_vec_add", llmspell_vec_errmsg(docs));
            llmspell_vec_close(docs);
            return 1;
        }
    }
    if (part == 2 && llmspell_vec_delete(docs, "doc005") != LLMSPELL_OK) {
        fail("llmspell_vec_delete", llmspell_vec_errmsg(docs));
        llmspell_vec_close(docs);
        return 1;
    }
    llmspell_vec_close(docs);

    memset(&go, 0, sizeof go);
    go.clock.now = fixed_clock;
    TRY(llmspell_graph_open(&g, &acme, &go), llmspell_graph_errmsg(&g));
    for (i = part * 3; i < part * 3 + 3; i++) {
        char props[64];
        snprintf(id, sizeof id, "e%d", i);
        snprintf(props, sizeof props, "{\"rank\":%d,\"w\":%.3f}", i, i / 8.0);
        if (llmspell_graph_put_entity(&g, id, "person", id, props, JAN1 + i * DAY, LLMSPELL_TIME_MAX) != LLMSPELL_OK)
            return fail("llmspell_graph_put_entity", llmspell_graph_errmsg(&g));
    }
    if (part == 2 && llmspell_graph_put_rel(&g, "r1", "knows", "e3", "e6", NULL, JAN1, LLMSPELL_TIME_MAX) != LLMSPELL_OK)
        return fail("llmspell_graph_put_rel", llmspell_graph_errmsg(&g));
    llmspell_graph_close(&g);
    llmspell_kv_close(&globex);
    llmspell_kv_close(&acme);
    printf("PASS xstore_write_part%d\n", part);
    return 0;
}

static int export_to(llmspell_kv *db, const char *out) {
    llmspell_export_options eo;
    llmspell_export_stats st;
    llmspell_json_error err;
    FILE *f = fopen(out, "wb");
    if (!f) return fail("fopen", out);
    memset(&eo, 0, sizeof eo);
    eo.clock.now = fixed_clock;
    if (llmspell_export_store_file(db, f, &eo, &st, &err) != LLMSPELL_OK) {
        fclose(f);
        return fail("llmspell_export_store_file", err.message);
    }
    if (fclose(f) != 0) return fail("fclose", out);
    printf("PASS xstore_export: %llu records (%llu kv, %llu vectors, %llu entities)\n", (unsigned long long)st.total,
           (unsigned long long)st.kv_entries, (unsigned long long)st.vectors, (unsigned long long)st.entities);
    return 0;
}

int main(int argc, char **argv) {
    llmspell_kv db;
    llmspell_kv_options ko;
    int rc;
    if (argc == 2 && strcmp(argv[1], "kernel") == 0) {
        printf("%s\n", llmspell_vec_kernel_best()->name);
        return 0;
    }
    if (argc != 4 || (strcmp(argv[1], "write") != 0 && strcmp(argv[1], "export") != 0)) {
        fprintf(stderr, "usage: xstore write PATH 1|2 | xstore export PATH OUT | xstore kernel\n");
        return 2;
    }
    memset(&ko, 0, sizeof ko);
    ko.clock.now = fixed_clock; /* kv entries keep the times of their puts: the same everywhere */
    if (llmspell_kv_open_file(&db, argv[2], &ko) != LLMSPELL_OK) return fail(argv[2], llmspell_kv_errmsg(&db));
    if (strcmp(argv[1], "write") == 0) rc = write_part(&db, atoi(argv[3]));
    else rc = export_to(&db, argv[3]);
    if (llmspell_kv_close(&db) != LLMSPELL_OK) rc = fail("llmspell_kv_close", llmspell_kv_errmsg(&db));
    return rc;
}
