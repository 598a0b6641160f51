/* fuzz_vec_load.c - arbitrary bytes as a stored vec record and as a stored HNSW graph page.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_vec_load.c -o build/fuzz_vec_load -lm

   A memory kv gets collection "c" (llmspell_vec_create) with 8 valid records of dimension 4
   (llmspell_vec_add), closed so that its graph is saved. Byte 0 of the input chooses what is
   overwritten through llmspell_kv_put_sys (keys as in the >>storage section of llmspell_vec.h,
   built with llmspell_tuple_put_bytes / put_u64):
     bit 0      record r<bits 1-2>:  0xFF 'V' 'r' tuple("c") tuple(id)
     bit 4      graph page 0:        0xFF 'V' 'p' tuple("c") u64(4) u64(0)
     bit 5      graph header:        0xFF 'V' 'h' tuple("c") u64(4)
     (none set: the record)
     bit 3      fix the CRC-32C of each blob (records and pages: the last 4 bytes, little-endian,
                over the rest; the 44-byte header: bytes 40..43 over 0..39), so that mutations
                reach the parsers behind the checksum instead of stopping at it
     bits 6-7   the metric
   byte 1 splits the rest between the targets when more than one is chosen, and its value
   modulo 3 picks the collection's quantization (f32, f16, int8: graph pages hold deleted
   nodes' vectors in that form; record r7 is deleted so that page 0 holds one).
   Fields "i" and "s" are indexed (llmspell_vec_index_field), so the open builds their
   postings from whatever records it loads. Then llmspell_vec_open must succeed (rebuilding
   the graph when it must) or fail with LLMSPELL_ERR_CORRUPT; if it opens, search /
   search_exact / each / get must work, filtered searches through the indexes must find as
   many as the exact filtered scan, a new add must work, and the collection must reopen. No
   leaks. */
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_vec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                             \
    do {                                                                                     \
        if (!(c)) {                                                                          \
            fprintf(stderr, "fuzz_vec_load: check failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                         \
        }                                                                                    \
    } while (0)

#define NREC 8
#define DIM 4

#ifdef FUZZ_TOLERATE_KNOWN
/* -DFUZZ_TOLERATE_KNOWN: the kv (and so the collection) allocates through a capped allocator
   that fails requests over 64 MiB, so that fuzz/crashes/fuzz_vec_load-header-huge-node-count.bin
   (a checksummed graph header whose node count drives a 28 GiB allocation) degrades to a
   rebuild and a long run can look for other problems. Off by default. */
static void *cap_alloc(void *ctx, size_t n) { (void)ctx; return n > ((size_t)64 << 20) ? NULL : malloc(n); }
static void *cap_realloc(void *ctx, void *p, size_t n) { (void)ctx; return n > ((size_t)64 << 20) ? NULL : realloc(p, n); }
static void cap_free(void *ctx, void *p) { (void)ctx; free(p); }
#endif

static size_t vkey(uint8_t *k, char tag, const char *id, int with_dim, int with_page, uint64_t page) {
    size_t n = 3;
    k[0] = 0xFF;
    k[1] = 'V';
    k[2] = (uint8_t)tag;
    n += llmspell_tuple_put_bytes(k + n, 512 - n, "c", 1);
    if (id) n += llmspell_tuple_put_bytes(k + n, 512 - n, id, strlen(id));
    if (with_dim) n += llmspell_tuple_put_u64(k + n, 512 - n, DIM);
    if (with_page) n += llmspell_tuple_put_u64(k + n, 512 - n, page);
    return n;
}

static uint8_t *blob(const uint8_t *p, size_t n, int fix, size_t crc_at) {
    uint8_t *b = (uint8_t *)malloc(n ? n : 1);
    uint32_t c;
    CHECK(b);
    if (n) memcpy(b, p, n);
    if (fix && crc_at + 4 <= n) {
        c = llmspell_crc32c(0, b, crc_at);
        b[crc_at] = (uint8_t)c;
        b[crc_at + 1] = (uint8_t)(c >> 8);
        b[crc_at + 2] = (uint8_t)(c >> 16);
        b[crc_at + 3] = (uint8_t)(c >> 24);
    }
    return b;
}

static int count_each(void *user, const llmspell_vec_record *rec) {
    CHECK(rec->id && rec->embedding);
    (*(size_t *)user)++;
    return 0;
}

static void exercise(llmspell_vec *v) {
    float q[DIM] = {0.5f, -0.25f, 1.0f, 0.125f};
    llmspell_vec_query query;
    llmspell_vec_hit hits[NREC + 2], hx[NREC + 2];
    size_t n = 0, nx = 0, i, ne = 0;
    llmspell_result r, rx;
    llmspell_vec_info info;
    memset(&query, 0, sizeof query);
    query.vector = q;
    query.dim = DIM;
    query.k = NREC + 2;
    r = llmspell_vec_search(v, &query, hits, &n);
    rx = llmspell_vec_search_exact(v, &query, hx, &nx);
    CHECK(r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND);
    CHECK(rx == r);
    if (r == LLMSPELL_OK) {
        CHECK(n <= NREC + 1 && nx <= NREC + 1);
        for (i = 0; i < n; i++) CHECK(hits[i].id && hits[i].metadata);
    }
    for (i = 0; i < 3; i++) { /* through the field indexes: as many as the exact answer */
        llmspell_vec_filter f;
        memset(&f, 0, sizeof f);
        f.field = i == 2 ? "s" : "i";
        f.op = i == 1 ? LLMSPELL_F_RANGE : LLMSPELL_F_EQ;
        f.value.type = i == 2 ? LLMSPELL_VAL_STRING : LLMSPELL_VAL_INT;
        f.value.s = "x";
        f.value.i = i == 1 ? 2 : 3;
        f.value2.type = LLMSPELL_VAL_DOUBLE;
        f.value2.d = 5.5;
        query.filter = &f;
        r = llmspell_vec_search(v, &query, hits, &n);
        rx = llmspell_vec_search_exact(v, &query, hx, &nx);
        CHECK(r == rx && (r == LLMSPELL_ERR_NOT_FOUND || (r == LLMSPELL_OK && n == nx)));
        query.filter = NULL;
    }
    CHECK(llmspell_vec_each(v, count_each, &ne) == LLMSPELL_OK);
    CHECK(llmspell_vec_info_get(v, &info) == LLMSPELL_OK);
    /* count includes records that expired but were not purged yet (reads do not purge; each
       skips them), so it is only an upper bound of what each visits */
    CHECK(info.count >= ne);
    for (i = 0; i < NREC; i++) {
        char id[8];
        llmspell_vec_record rec;
        snprintf(id, sizeof id, "r%u", (unsigned)i);
        r = llmspell_vec_get(v, id, &rec);
        CHECK(r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND);
        if (r == LLMSPELL_OK) CHECK(rec.dim >= 1 && rec.embedding);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    llmspell_vec_config cfg;
    llmspell_vec_options vo;
    llmspell_result r;
    uint8_t key[512];
    size_t kn, i, split;
    unsigned sel;
    const uint8_t *body;
    size_t blen;
    int targets = 0;

    if (size < 2) return 0;
    sel = data[0];
    body = data + 2;
    blen = size - 2;

    memset(&cfg, 0, sizeof cfg);
    cfg.metric = (llmspell_metric)((sel >> 6) % 3);
    cfg.quant = (llmspell_vec_quant)(data[1] % 3);
    cfg.M = 4;
    cfg.ef_construction = 16;
    cfg.ef_search = 16;
    memset(&vo, 0, sizeof vo);
    vo.seed = 7;
#ifdef FUZZ_TOLERATE_KNOWN
    {
        llmspell_kv_options ko;
        memset(&ko, 0, sizeof ko);
        ko.allocator.alloc = cap_alloc;
        ko.allocator.realloc = cap_realloc;
        ko.allocator.free = cap_free;
        CHECK(llmspell_kv_open_memory(&kv, &ko) == LLMSPELL_OK);
    }
#else
    CHECK(llmspell_kv_open_memory(&kv, NULL) == LLMSPELL_OK);
#endif
    CHECK(llmspell_vec_create(&kv, "c", &cfg, &vo) == LLMSPELL_OK);
    CHECK(llmspell_vec_open(&v, &kv, "c", NULL, &vo) == LLMSPELL_OK);
    for (i = 0; i < NREC; i++) {
        char id[8], meta[32];
        float e[DIM];
        llmspell_vec_record rec;
        size_t d;
        for (d = 0; d < DIM; d++) e[d] = (float)((i * 7 + d * 3) % 11) - 4.5f;
        snprintf(id, sizeof id, "r%u", (unsigned)i);
        snprintf(meta, sizeof meta, "{\"i\":%u,\"s\":\"x\"}", (unsigned)i);
        memset(&rec, 0, sizeof rec);
        rec.id = id;
        rec.embedding = e;
        rec.dim = DIM;
        rec.metadata = meta;
        rec.scope = i & 1 ? "session:a" : NULL;
        rec.ttl = i == 3 ? (llmspell_time)1000000000000ll : 0;
        CHECK(llmspell_vec_add(v, &rec) == LLMSPELL_OK);
    }
    CHECK(llmspell_vec_index_field(v, "i") == LLMSPELL_OK && llmspell_vec_index_field(v, "s") == LLMSPELL_OK);
    CHECK(llmspell_vec_delete(v, "r7") == LLMSPELL_OK); /* a waypoint: its vector in the page */
    llmspell_vec_close(v);
    v = NULL;

    /* what to overwrite */
    if (sel & 0x01) targets++;
    if (sel & 0x10) targets++;
    if (sel & 0x20) targets++;
    if (!targets) {
        sel |= 0x01;
        targets = 1;
    }
    split = targets > 1 ? (size_t)data[1] * blen / 255 : blen;
    if (sel & 0x01) {
        char id[8];
        uint8_t *b = blob(body, split, sel & 0x08, split >= 4 ? split - 4 : 0);
        snprintf(id, sizeof id, "r%u", (sel >> 1) & 3);
        kn = vkey(key, 'r', id, 0, 0, 0);
        CHECK(llmspell_kv_exists(&kv, key, kn, &targets) == LLMSPELL_OK && targets == 1);
        CHECK(llmspell_kv_put_sys(&kv, key, kn, b, split) == LLMSPELL_OK);
        free(b);
        body += split;
        blen -= split;
        split = blen / 2;
    }
    if (sel & 0x10) {
        size_t part = (sel & 0x20) ? split : blen;
        uint8_t *b = blob(body, part, sel & 0x08, part >= 4 ? part - 4 : 0);
        kn = vkey(key, 'p', NULL, 1, 1, 0);
        CHECK(llmspell_kv_exists(&kv, key, kn, &targets) == LLMSPELL_OK && targets == 1);
        CHECK(llmspell_kv_put_sys(&kv, key, kn, b, part) == LLMSPELL_OK);
        free(b);
        body += part;
        blen -= part;
    }
    if (sel & 0x20) {
        uint8_t *b = blob(body, blen, sel & 0x08, 40);
        kn = vkey(key, 'h', NULL, 1, 0, 0);
        CHECK(llmspell_kv_exists(&kv, key, kn, &targets) == LLMSPELL_OK && targets == 1);
        CHECK(llmspell_kv_put_sys(&kv, key, kn, b, blen) == LLMSPELL_OK);
        free(b);
    }

    r = llmspell_vec_open(&v, &kv, "c", NULL, &vo);
    if (r != LLMSPELL_OK) {
        if (r != LLMSPELL_ERR_CORRUPT) fprintf(stderr, "fuzz_vec_load: open: %d %s\n", (int)r, llmspell_kv_errmsg(&kv));
        CHECK(r == LLMSPELL_ERR_CORRUPT);
        CHECK(v == NULL);
    } else {
        float e[DIM] = {1, 2, 3, 4};
        llmspell_vec_record rec;
        exercise(v);
        memset(&rec, 0, sizeof rec);
        rec.id = "new";
        rec.embedding = e;
        rec.dim = DIM;
        CHECK(llmspell_vec_add(v, &rec) == LLMSPELL_OK);
        exercise(v);
        CHECK(llmspell_vec_delete(v, "new") == LLMSPELL_OK);
        llmspell_vec_close(v);
        v = NULL;
        /* it opened once: it opens again (the graph may have been rebuilt and saved) */
        r = llmspell_vec_open(&v, &kv, "c", NULL, &vo);
        if (r != LLMSPELL_OK) fprintf(stderr, "fuzz_vec_load: reopen: %d %s\n", (int)r, llmspell_kv_errmsg(&kv));
        CHECK(r == LLMSPELL_OK);
        exercise(v);
        llmspell_vec_close(v);
    }
    CHECK(llmspell_kv_close(&kv) == LLMSPELL_OK);
    return 0;
}
