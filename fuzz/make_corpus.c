/* make_corpus.c - writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/.
   cc -std=c99 -O1 -g -I. fuzz/make_corpus.c -o build/make_corpus -lm && ./build/make_corpus
   The store file, record blob and graph page are produced by the library itself. */
#define _POSIX_C_SOURCE 200809L
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_vec.h"
#include "llmspell_export.h"
#include "ramdisk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void put(const char *dir, const char *name, const void *pre, size_t pn, const void *p, size_t n) {
    char path[512];
    FILE *f;
    snprintf(path, sizeof path, "fuzz/corpus/%s", dir);
    mkdir("fuzz/corpus", 0755);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "fuzz/corpus/%s/%s", dir, name);
    if (pn + n >= 4096) { fprintf(stderr, "%s: too big (%zu)\n", path, pn + n); exit(1); }
    if (!(f = fopen(path, "wb")) || fwrite(pre, 1, pn, f) != pn || fwrite(p, 1, n, f) != n || fclose(f)) {
        perror(path);
        exit(1);
    }
}

static void fill_store(llmspell_kv *kv, int vec) {
    llmspell_kv t;
    llmspell_kv_put(kv, "alpha", 5, "1", 1);
    llmspell_kv_put(kv, "beta", 4, "\x00\x01\x02", 3);
    llmspell_kv_put(kv, "k\x00z", 3, "", 0);
    llmspell_kv_delete(kv, "alpha", 5);
    llmspell_kv_begin(kv);
    llmspell_kv_put(kv, "gamma", 5, "in a transaction", 16);
    llmspell_kv_commit(kv);
    llmspell_kv_open_tenant(&t, kv, "t1", 2);
    llmspell_kv_put(&t, "tk", 2, "tv", 2);
    llmspell_kv_close(&t);
    if (vec) {
        llmspell_vec *v;
        float e[3] = {1, 0, 0.5f};
        llmspell_vec_record r;
        llmspell_vec_create(kv, "docs", NULL, NULL);
        if (llmspell_vec_open(&v, kv, "docs", NULL, NULL) == LLMSPELL_OK) {
            memset(&r, 0, sizeof r);
            r.id = "d1";
            r.embedding = e;
            r.dim = 3;
            r.metadata = "{\"a\":1}";
            llmspell_vec_add(v, &r);
            llmspell_vec_close(v);
        }
    }
}

static void kv_corpus(void) {
    static const struct { const char *name; int vec, compact; } kinds[] = {
        {"store_small.kv", 0, 0}, {"store_compacted.kv", 0, 1}, {"store_with_vec.kv", 1, 0}};
    size_t i;
    for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        ramdisk d;
        llmspell_kv_io io;
        llmspell_kv_options o;
        llmspell_kv kv;
        const uint8_t *c;
        size_t n = 0;
        rd_init(&d, &io, NULL, NULL, 0);
        memset(&o, 0, sizeof o);
        o.io = &io;
        o.auto_compact_ratio = -1;
        if (llmspell_kv_open_file(&kv, "/ram/store.kv", &o) != LLMSPELL_OK) { fprintf(stderr, "%s\n", kv.errmsg); exit(1); }
        fill_store(&kv, kinds[i].vec);
        if (kinds[i].compact) llmspell_kv_compact(&kv);
        llmspell_kv_close(&kv);
        c = rd_content(&d, "/ram/store.kv", &n);
        put("fuzz_kv_file_open", kinds[i].name, "", 0, c, n);
        if (i == 0) { /* a torn tail and an empty file */
            put("fuzz_kv_file_open", "store_torn.kv", "", 0, c, n - 3);
            put("fuzz_kv_file_open", "empty.kv", "", 0, "", 0);
            put("fuzz_kv_file_open", "magic_only.kv", "", 0, c, 8);
        }
        rd_free(&d);
    }
}

static void json_corpus(void) {
    static const char *docs[] = {
        "{\"a\":[1,2.5,-3e10,true,false,null],\"b\":{\"c\":\"d\\u00e9\\n\"}}",
        "[\"\\ud83d\\ude00\",\"\xc3\xa9\",12345678901234567890,1e400,-0.0]",
        "{\"dup\":1,\"dup\":2}",
        "[1,2,]",
        "\xef\xbb\xbf{\"bom\":true}",
        "[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]",
        "\"a long string with escapes \\\" \\\\ \\/ \\b \\f \\r \\t and more text to cross a 64-byte buffer\"",
    };
    static const unsigned char sel[] = {0x00, 0x00, 0x01, 0x04, 0x02, 0x20, 0x10};
    size_t i;
    char name[32];
    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        snprintf(name, sizeof name, "doc%02u.json", (unsigned)i);
        put("fuzz_json_reader", name, &sel[i], 1, docs[i], strlen(docs[i]));
    }
    /* a real export of a small store */
    {
        llmspell_kv kv;
        llmspell_json_writer *w;
        const char *out;
        size_t n;
        llmspell_export_options eo;
        llmspell_kv_open_memory(&kv, NULL);
        fill_store(&kv, 1);
        memset(&eo, 0, sizeof eo);
        if (llmspell_json_writer_open_buffer(&w, NULL) == LLMSPELL_OK &&
            llmspell_export_store(&kv, w, &eo, NULL, NULL) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK &&
            (out = llmspell_json_writer_data(w, &n)) != NULL) {
            put("fuzz_json_reader", "export.json", "\x00", 1, out, n);
            put("fuzz_json_reader", "export_dups.json", "\x01", 1, out, n);
        } else fprintf(stderr, "make_corpus: export failed (skipped)\n");
        llmspell_json_writer_free(w);
        llmspell_kv_close(&kv);
    }
}

static void b64_corpus(void) {
    static const char *s[] = {"", "TWFu", "TWE=", "TQ==", "TWFuTWFuTWFuTWFuTWFuTWFuTWFuTWFuTWFu",
                              "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZH",
                              "TR==", "TWF", "TW=u", "TWFu\n", "-_-_", "////++++////++++////++++////++++"};
    size_t i;
    char name[32];
    for (i = 0; i < sizeof s / sizeof s[0]; i++) {
        snprintf(name, sizeof name, "b64_%02u.txt", (unsigned)i);
        put("fuzz_base64", name, "", 0, s[i], strlen(s[i]));
    }
}

static void tuple_corpus(void) {
    uint8_t b[256];
    size_t n;
    /* program 0x00: bytes elements */
    n = llmspell_tuple_put_bytes(b, sizeof b, "tenant", 6);
    n += llmspell_tuple_put_bytes(b + n, sizeof b - n, "a\0b", 3);
    put("fuzz_tuple", "bytes2.bin", "\x00", 1, b, n);
    /* program: bytes, u64, i64, bytes = 0b00 10 01 00 = 0x24 */
    n = llmspell_tuple_put_bytes(b, sizeof b, "name", 4);
    n += llmspell_tuple_put_u64(b + n, sizeof b - n, 42);
    n += llmspell_tuple_put_i64(b + n, sizeof b - n, -5);
    n += llmspell_tuple_put_bytes(b + n, sizeof b - n, "", 0);
    put("fuzz_tuple", "mixed.bin", "\x24", 1, b, n);
    /* a vec record key after 0xFF 'V' 'r' */
    n = llmspell_tuple_put_bytes(b, sizeof b, "docs", 4);
    n += llmspell_tuple_put_bytes(b + n, sizeof b - n, "d1", 2);
    put("fuzz_tuple", "veckey.bin", "\x00", 1, b, n);
    put("fuzz_tuple", "ff.bin", "\x55", 1, "\xff\xff\x00\xff\x00\x01\xff", 7);
    put("fuzz_tuple", "bad_escape.bin", "\x00", 1, "ab\x00\x02", 4);
}

/* One collection "c" as fuzz_vec_load.c builds it (quantization quant), its seeds written with
   byte 1 = quant: records, graph page 0 (holding the deleted r7) and the header. */
static void vec_corpus_one(int quant) {
    static const char *const sfx[3] = {"", "_f16", "_int8"};
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_config cfg;
    llmspell_vec_options vo;
    uint8_t key[512];
    char name[64], sel[2];
    const void *val;
    size_t kn, vn, i;
    memset(&cfg, 0, sizeof cfg);
    cfg.M = 4;
    cfg.ef_construction = 16;
    cfg.ef_search = 16;
    cfg.quant = (llmspell_vec_quant)quant;
    memset(&vo, 0, sizeof vo);
    vo.seed = 7;
    llmspell_kv_open_memory(&kv, NULL);
    llmspell_vec_create(&kv, "c", &cfg, &vo);
    llmspell_vec_open(&v, &kv, "c", NULL, &vo);
    for (i = 0; i < 8; i++) { /* the same records as fuzz_vec_load.c */
        char id[8], meta[32];
        float e[4];
        llmspell_vec_record rec;
        size_t d;
        for (d = 0; d < 4; d++) e[d] = (float)((i * 7 + d * 3) % 11) - 4.5f;
        snprintf(id, sizeof id, "r%u", (unsigned)i);
        snprintf(meta, sizeof meta, "{\"i\":%u,\"s\":\"x\"}", (unsigned)i);
        memset(&rec, 0, sizeof rec);
        rec.id = id;
        rec.embedding = e;
        rec.dim = 4;
        rec.metadata = meta;
        rec.scope = i & 1 ? "session:a" : NULL;
        rec.ttl = i == 3 ? (llmspell_time)1000000000000ll : 0;
        llmspell_vec_add(v, &rec);
    }
    llmspell_vec_delete(v, "r7");
    llmspell_vec_close(v);
    sel[1] = (char)quant;
    /* record r1 (sel 0x0b: record 1, fix the CRC), r3 with a TTL (0x0f) */
    key[0] = 0xFF; key[1] = 'V'; key[2] = 'r';
    kn = 3 + llmspell_tuple_put_bytes(key + 3, 500, "c", 1);
    kn += llmspell_tuple_put_bytes(key + kn, 500, "r1", 2);
    sel[0] = 0x0b;
    snprintf(name, sizeof name, "record_r1%s.bin", sfx[quant]);
    if (llmspell_kv_get(&kv, key, kn, &val, &vn) == LLMSPELL_OK) put("fuzz_vec_load", name, sel, 2, val, vn);
    kn -= 4;
    kn += llmspell_tuple_put_bytes(key + kn, 500, "r3", 2);
    sel[0] = 0x0f;
    snprintf(name, sizeof name, "record_r3%s.bin", sfx[quant]);
    if (llmspell_kv_get(&kv, key, kn, &val, &vn) == LLMSPELL_OK) put("fuzz_vec_load", name, sel, 2, val, vn);
    /* graph page 0 (0x10) and header (0x20) */
    key[2] = 'p';
    kn = 3 + llmspell_tuple_put_bytes(key + 3, 500, "c", 1);
    kn += llmspell_tuple_put_u64(key + kn, 8, 4);
    kn += llmspell_tuple_put_u64(key + kn, 8, 0);
    sel[0] = 0x18;
    snprintf(name, sizeof name, "page0%s.bin", sfx[quant]);
    if (llmspell_kv_get(&kv, key, kn, &val, &vn) == LLMSPELL_OK) put("fuzz_vec_load", name, sel, 2, val, vn);
    key[2] = 'h';
    kn -= 8;
    sel[0] = 0x28;
    snprintf(name, sizeof name, "header%s.bin", sfx[quant]);
    if (llmspell_kv_get(&kv, key, kn, &val, &vn) == LLMSPELL_OK) put("fuzz_vec_load", name, sel, 2, val, vn);
    llmspell_kv_close(&kv);
}

static void vec_corpus(void) {
    int quant;
    for (quant = 0; quant < 3; quant++) vec_corpus_one(quant);
    put("fuzz_vec_load", "empty_record.bin", "\x01\x00", 2, "", 0);
}

int main(void) {
    kv_corpus();
    json_corpus();
    b64_corpus();
    tuple_corpus();
    vec_corpus();
    return 0;
}
