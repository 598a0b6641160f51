/* fuzz_kv_file_open.c - arbitrary bytes as the content of a file-backend store.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_kv_file_open.c -o build/fuzz_kv_file_open

   The input is the file "/ram/store.kv" on an in-memory llmspell_kv_io (fuzz/ramdisk.h): no
   real file is touched. Byte 0 of the input also picks read-only or read-write when it is
   not the file magic's first byte ('l'). Then:
     open must succeed or fail with a result code (never crash, leak, or leave a descriptor);
     if it opens: scan every key; get each (same value as the scan); a read-write handle puts
     and deletes a few keys (autocommit and a rolled back transaction), compacts, closes;
     reopening the file must then succeed and hold exactly the expected keys and values. */
#define LLMSPELL_KV_IMPLEMENTATION
#include "llmspell_kv.h"
#include "ramdisk.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                                 \
    do {                                                                                         \
        if (!(c)) {                                                                              \
            fprintf(stderr, "fuzz_kv_file_open: check failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                             \
        }                                                                                        \
    } while (0)

#define PATH "/ram/store.kv"

typedef struct pair {
    uint8_t *k, *v;
    size_t kn, vn;
} pair;
typedef struct pairs {
    pair *p;
    size_t n, cap;
} pairs;

static int collect(void *user, const void *key, size_t klen, const void *val, size_t vlen) {
    pairs *ps = (pairs *)user;
    pair *x;
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 16;
        ps->p = (pair *)realloc(ps->p, ps->cap * sizeof *ps->p);
        CHECK(ps->p);
    }
    x = &ps->p[ps->n++];
    x->kn = klen;
    x->vn = vlen;
    x->k = (uint8_t *)malloc(klen ? klen : 1);
    x->v = (uint8_t *)malloc(vlen ? vlen : 1);
    CHECK(x->k && x->v);
    memcpy(x->k, key, klen);
    if (vlen) memcpy(x->v, val, vlen);
    return 0;
}
static void pairs_free(pairs *ps) {
    size_t i;
    for (i = 0; i < ps->n; i++) {
        free(ps->p[i].k);
        free(ps->p[i].v);
    }
    free(ps->p);
    memset(ps, 0, sizeof *ps);
}
static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = memcmp(a, b, m);
    return c ? c : (an < bn ? -1 : an > bn ? 1 : 0);
}
/* index of key in ps or -1 */
static long pairs_find(const pairs *ps, const void *k, size_t kn) {
    size_t i;
    for (i = 0; i < ps->n; i++)
        if (ps->p[i].kn == kn && memcmp(ps->p[i].k, k, kn) == 0) return (long)i;
    return -1;
}
static void pairs_set(pairs *ps, const void *k, size_t kn, const void *v, size_t vn) {
    long i = pairs_find(ps, k, kn);
    if (i >= 0) {
        free(ps->p[i].v);
        ps->p[i].v = (uint8_t *)malloc(vn ? vn : 1);
        CHECK(ps->p[i].v);
        if (vn) memcpy(ps->p[i].v, v, vn);
        ps->p[i].vn = vn;
        return;
    }
    collect(ps, k, kn, v, vn);
}
static void pairs_del(pairs *ps, const void *k, size_t kn) {
    long i = pairs_find(ps, k, kn);
    if (i < 0) return;
    free(ps->p[i].k);
    free(ps->p[i].v);
    ps->p[i] = ps->p[--ps->n];
}
/* every key of ps is in the store with the same value, and the store has no other key */
static void check_same(llmspell_kv *kv, const pairs *want) {
    pairs have = {0};
    size_t i;
    CHECK(llmspell_kv_scan(kv, NULL, 0, NULL, 0, collect, &have) == LLMSPELL_OK);
    CHECK(have.n == want->n);
    for (i = 0; i < want->n; i++) {
        long j = pairs_find(&have, want->p[i].k, want->p[i].kn);
        CHECK(j >= 0);
        CHECK(have.p[j].vn == want->p[i].vn && memcmp(have.p[j].v, want->p[i].v, want->p[i].vn) == 0);
    }
    pairs_free(&have);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ramdisk disk;
    llmspell_kv_io io;
    llmspell_kv_options opts;
    llmspell_kv kv;
    llmspell_result rc;
    pairs ps = {0};
    size_t i;
    int read_only = size > 0 && data[0] != 'l' && (data[0] & 1);

    rd_init(&disk, &io, PATH, data, size);
    memset(&opts, 0, sizeof opts);
    opts.io = &io;
    opts.no_create = 1;
    opts.read_only = read_only;
    opts.auto_compact_ratio = -1; /* compaction only when called below */

    rc = llmspell_kv_open_file(&kv, PATH, &opts);
    if (rc != LLMSPELL_OK) {
        CHECK(rc > LLMSPELL_OK && rc < LLMSPELL_RESULT_COUNT);
        CHECK(strlen(llmspell_kv_errmsg(&kv)) > 0);
        CHECK(llmspell_kv_put(&kv, "a", 1, "b", 1) == LLMSPELL_ERR_CLOSED);
        llmspell_kv_close(&kv);
        CHECK(rd_free(&disk) == 0);
        return 0;
    }

    /* scan, then get each key: same value, in increasing order */
    CHECK(llmspell_kv_scan(&kv, NULL, 0, NULL, 0, collect, &ps) == LLMSPELL_OK);
    for (i = 0; i < ps.n; i++) {
        const void *v;
        size_t vn;
        if (i) CHECK(key_cmp(ps.p[i - 1].k, ps.p[i - 1].kn, ps.p[i].k, ps.p[i].kn) < 0);
        CHECK(llmspell_kv_get(&kv, ps.p[i].k, ps.p[i].kn, &v, &vn) == LLMSPELL_OK);
        CHECK(vn == ps.p[i].vn && (vn == 0 || memcmp(v, ps.p[i].v, vn) == 0));
    }
    {
        llmspell_kv_stats st;
        CHECK(llmspell_kv_stats_get(&kv, &st) == LLMSPELL_OK);
        CHECK(st.keys == ps.n);
    }

    if (read_only) {
        CHECK(llmspell_kv_put(&kv, "x", 1, "y", 1) == LLMSPELL_ERR_READONLY);
    } else {
        static const char big[300] = {0};
        /* autocommitted writes */
        CHECK(llmspell_kv_put(&kv, "fuzz:a", 6, "1", 1) == LLMSPELL_OK);
        pairs_set(&ps, "fuzz:a", 6, "1", 1);
        CHECK(llmspell_kv_put(&kv, "fuzz:big", 8, big, sizeof big) == LLMSPELL_OK);
        pairs_set(&ps, "fuzz:big", 8, big, sizeof big);
        if (ps.n > 2) { /* delete the first key found (a system key is fine: put_sys/delete_sys) */
            uint8_t k[LLMSPELL_KV_MAX_KEY];
            size_t kn = ps.p[0].kn;
            memcpy(k, ps.p[0].k, kn);
            CHECK(llmspell_kv_delete_sys(&kv, k, kn) == LLMSPELL_OK);
            pairs_del(&ps, k, kn);
        }
        /* a transaction that is rolled back changes nothing */
        CHECK(llmspell_kv_begin(&kv) == LLMSPELL_OK);
        CHECK(llmspell_kv_put(&kv, "fuzz:gone", 9, "x", 1) == LLMSPELL_OK);
        CHECK(llmspell_kv_delete(&kv, "fuzz:a", 6) == LLMSPELL_OK);
        CHECK(llmspell_kv_rollback(&kv) == LLMSPELL_OK);
        /* a committed one */
        CHECK(llmspell_kv_begin(&kv) == LLMSPELL_OK);
        CHECK(llmspell_kv_put(&kv, "fuzz:b", 6, "22", 2) == LLMSPELL_OK);
        CHECK(llmspell_kv_delete(&kv, "fuzz:big", 8) == LLMSPELL_OK);
        CHECK(llmspell_kv_commit(&kv) == LLMSPELL_OK);
        pairs_set(&ps, "fuzz:b", 6, "22", 2);
        pairs_del(&ps, "fuzz:big", 8);
        check_same(&kv, &ps);
        if (size & 2) {
            CHECK(llmspell_kv_compact(&kv) == LLMSPELL_OK);
            check_same(&kv, &ps);
        }
    }
    CHECK(llmspell_kv_close(&kv) == LLMSPELL_OK);

    /* reopen: what we wrote (and what was there) must be read back */
    opts.read_only = 0;
    rc = llmspell_kv_open_file(&kv, PATH, &opts);
    if (rc != LLMSPELL_OK) fprintf(stderr, "fuzz_kv_file_open: reopen failed: %s\n", llmspell_kv_errmsg(&kv));
    CHECK(rc == LLMSPELL_OK);
    check_same(&kv, &ps);
    CHECK(llmspell_kv_close(&kv) == LLMSPELL_OK);

    pairs_free(&ps);
    CHECK(rd_free(&disk) == 0);
    return 0;
}
