/* Corruption sweeps: a small store written in safe mode is damaged in every way at every place
   and opened again. The file backend must either recover exactly the committed prefix (a torn
   tail: damage inside the last transaction) or fail with LLMSPELL_ERR_CORRUPT / FORMAT naming
   the place - never crash, never return a value that was not committed. A vector collection's
   saved graph pages are truncated and bit-flipped the same way: opening must rebuild the graph
   and answer exactly as before.
   Sweeps: truncation at every offset, one-bit flips (two bits per byte) at every byte, 16 zero
   bytes at every 16-byte boundary; for the vec pages truncation at every length and a flip at
   every byte of one page. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "compat.h"
#include "../llmspell_vec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTX 24
#define NK 32
typedef struct state { uint32_t v[NK]; } state; /* 0 = absent */

static state states[NTX + 1];  /* the model after each commit */
static long ends[NTX + 1];     /* the file size after each commit (ends[0]: the empty store) */
static char dir[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX + 16], work[COMPAT_PATH_MAX + 16];

static long file_size(const char *p) {
    FILE *f = fopen(p, "rb");
    long n;
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fclose(f);
    return n;
}

static unsigned char *slurp(const char *p, long *n) {
    FILE *f = fopen(p, "rb");
    unsigned char *b;
    *n = file_size(p);
    b = (unsigned char *)malloc((size_t)*n + 1);
    if (!f || !b || fread(b, 1, (size_t)*n, f) != (size_t)*n) exit(2);
    fclose(f);
    return b;
}

static void spit(const char *p, const unsigned char *b, long n) {
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(b, 1, (size_t)n, f) != (size_t)n) exit(2);
    fclose(f);
}

static void key_of(int k, char *out) { out[0] = 'k'; out[1] = (char)('0' + k / 10); out[2] = (char)('0' + k % 10); out[3] = 0; }

/* Writes the store: NTX transactions in safe mode, some single puts, some multi-key ones with
   deletes; records the model and the file size after each commit. */
static int build(void) {
    llmspell_kv kv;
    unsigned r = 11;
    int t, i;
    memset(states, 0, sizeof states);
    if (llmspell_kv_open_file(&kv, path, NULL) != LLMSPELL_OK) return 0;
    ends[0] = file_size(path);
    for (t = 1; t <= NTX; t++) {
        int n = t % 3 ? 1 : 5;
        states[t] = states[t - 1];
        if (n > 1 && llmspell_kv_begin(&kv) != LLMSPELL_OK) return 0;
        for (i = 0; i < n; i++) {
            char key[4];
            int k;
            r = r * 1103515245u + 12345u;
            k = (int)((r >> 8) % NK);
            key_of(k, key);
            if ((r >> 4) % 6 == 0 && states[t].v[k]) {
                if (llmspell_kv_delete(&kv, key, 3) != LLMSPELL_OK) return 0;
                states[t].v[k] = 0;
            } else {
                uint32_t val = (uint32_t)(t * 1000 + i + 1);
                if (llmspell_kv_put(&kv, key, 3, &val, 4) != LLMSPELL_OK) return 0;
                states[t].v[k] = val;
            }
        }
        if (n > 1 && llmspell_kv_commit(&kv) != LLMSPELL_OK) return 0;
        ends[t] = file_size(path);
    }
    return llmspell_kv_close(&kv) == LLMSPELL_OK;
}

/* 1: the store at `work` opens and equals states[j]; 0: it opens with other data (the worst
   outcome); -1: it fails with a code (and *rc says which). */
static int open_equals(int j, llmspell_result *rc, char *msg, size_t msglen) {
    llmspell_kv kv;
    int k, same = 1;
    *rc = llmspell_kv_open_file(&kv, work, NULL);
    if (*rc != LLMSPELL_OK) {
        snprintf(msg, msglen, "%s", llmspell_kv_errmsg(&kv));
        return -1;
    }
    for (k = 0; k < NK; k++) {
        char key[4];
        const void *v;
        size_t n;
        llmspell_result r;
        key_of(k, key);
        r = llmspell_kv_get(&kv, key, 3, &v, &n);
        if (states[j].v[k] == 0) same &= r == LLMSPELL_ERR_NOT_FOUND;
        else same &= r == LLMSPELL_OK && n == 4 && memcmp(v, &states[j].v[k], 4) == 0;
    }
    {
        llmspell_kv_stats st;
        int live = 0;
        for (k = 0; k < NK; k++) live += states[j].v[k] != 0;
        same &= llmspell_kv_stats_get(&kv, &st) == LLMSPELL_OK && st.keys == (uint64_t)live;
    }
    llmspell_kv_close(&kv);
    return same;
}

/* The commit whose records hold byte `off` (1..NTX), or 0 for the header. */
static int txn_at(long off) {
    int t;
    if (off < ends[0]) return 0;
    for (t = 1; t <= NTX; t++)
        if (off < ends[t]) return t;
    return NTX + 1;
}

/* What a damaged byte at `off` may give: damage inside the last transaction is a torn tail
   (the commits before it survive); anywhere earlier it must be reported. */
static int judge(long off, const char *what, long *tried, long *recovered, long *reported) {
    llmspell_result rc;
    char msg[300] = "";
    int t = txn_at(off), got;
    (*tried)++;
    if (t == NTX + 1) { /* beyond the last commit: nothing there to damage */
        fprintf(stderr, "corrupt_kv: %s at %ld is past the end\n", what, off);
        return 0;
    }
    got = open_equals(t == NTX ? NTX - 1 : NTX, &rc, msg, sizeof msg);
    if (t == 0) { /* the header: refused */
        if (got == -1 && (rc == LLMSPELL_ERR_CORRUPT || rc == LLMSPELL_ERR_FORMAT)) { (*reported)++; return 1; }
        fprintf(stderr, "corrupt_kv: %s at %ld (header): open gave %s\n", what, off, got == -1 ? llmspell_strerror(rc) : "data");
        return 0;
    }
    if (t == NTX) { /* the last transaction: torn, the one before is what must come back */
        if (got == 1) { (*recovered)++; return 1; }
        fprintf(stderr, "corrupt_kv: %s at %ld (last commit): %s\n", what, off, got == -1 ? msg : "wrong data returned as good");
        return 0;
    }
    if (got == -1 && rc == LLMSPELL_ERR_CORRUPT && strstr(msg, "offset")) { (*reported)++; return 1; }
    fprintf(stderr, "corrupt_kv: %s at %ld (commit %d of %d): %s\n", what, off, t, NTX,
            got == -1 ? msg : got == 1 ? "the damage went unnoticed" : "wrong data returned as good");
    return 0;
}

static int sweep_kv(void) {
    long size, off, tried = 0, recovered = 0, reported = 0, bad = 0;
    unsigned char *orig, *b;
    int t;
    if (!build()) { printf("FAIL corrupt_kv: could not build the store\n"); return 0; }
    orig = slurp(path, &size);
    b = (unsigned char *)malloc((size_t)size);
    /* truncation at every offset: always the prefix of commits that fit */
    for (off = 0; off <= size; off++) {
        llmspell_result rc;
        char msg[300];
        int j = 0, got;
        spit(work, orig, off);
        for (t = 0; t <= NTX; t++)
            if (ends[t] <= off) j = t;
        got = open_equals(j, &rc, msg, sizeof msg);
        tried++;
        if (off > 0 && off < ends[0]) { /* a cut header is damage */
            if (got == -1 && rc == LLMSPELL_ERR_CORRUPT) { reported++; continue; }
        } else if (got == 1) {
            recovered++;
            continue;
        }
        if (!bad++) fprintf(stderr, "corrupt_kv: truncated to %ld: %s\n", off, got == -1 ? msg : "wrong data");
    }
    /* one-bit flips: two bits of every byte */
    for (off = 0; off < size; off++) {
        int bit;
        for (bit = 0; bit < 8; bit += 7) {
            memcpy(b, orig, (size_t)size);
            b[off] ^= (unsigned char)(1u << bit);
            spit(work, b, size);
            if (!judge(off, "bit flip", &tried, &recovered, &reported)) bad++;
        }
    }
    /* zeroed ranges */
    for (off = 0; off + 16 <= size; off += 16) {
        long first = -1, i;
        memcpy(b, orig, (size_t)size);
        for (i = off; i < off + 16; i++) {
            if (b[i] && first < 0) first = i;
            b[i] = 0;
        }
        if (first < 0) continue; /* already zero: nothing changed */
        spit(work, b, size);
        if (!judge(first, "16 zero bytes", &tried, &recovered, &reported)) bad++;
    }
    free(orig);
    free(b);
    if (bad) {
        printf("FAIL corrupt_kv: %ld of %ld damaged files handled wrongly (first on stderr)\n", bad, tried);
        return 0;
    }
    printf("PASS corrupt_kv: %ld damaged copies of a %ld-byte log: %ld recovered the committed prefix, %ld reported corrupt, 0 wrong\n",
           tried, size, recovered, reported);
    return 1;
}

/* >>the vec graph pages */

#define VN 130
#define VDIM 8

static size_t page_key(uint8_t *k, uint32_t page) {
    size_t n = 3;
    k[0] = 0xFF;
    k[1] = 'V';
    k[2] = 'p';
    n += llmspell_tuple_put_bytes(k + n, 64, "c", 1);
    n += llmspell_tuple_put_u64(k + n, 8, VDIM);
    n += llmspell_tuple_put_u64(k + n, 8, page);
    return n;
}

/* The top-3 ids of a fixed query, as a string. */
static int answer(llmspell_kv *kv, char *out, size_t cap, int *loaded) {
    llmspell_vec *v;
    llmspell_vec_hit h[3];
    llmspell_vec_query q;
    llmspell_vec_info info;
    float x[VDIM] = {0.3f, -0.1f, 0.5f, 0.2f, -0.4f, 0.1f, 0.05f, -0.2f};
    size_t n;
    if (llmspell_vec_open(&v, kv, "c", NULL, NULL) != LLMSPELL_OK) return 0;
    memset(&q, 0, sizeof q);
    q.vector = x;
    q.dim = VDIM;
    q.k = 3;
    q.ef = 300; /* wide enough to be exact here: the answer must not depend on the graph's shape */
    if (llmspell_vec_search(v, &q, h, &n) != LLMSPELL_OK || n != 3) { llmspell_vec_close(v); return 0; }
    snprintf(out, cap, "%s %s %s", h[0].id, h[1].id, h[2].id);
    llmspell_vec_info_get(v, &info);
    *loaded = info.graph_loaded;
    llmspell_vec_close(v);
    return 1;
}

static int sweep_vec(void) {
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_record r[VN];
    char ids[VN][8], want[64], got[64];
    float x[VN][VDIM];
    uint8_t key[128], *page;
    const void *pv;
    size_t kn, plen, cut, i;
    unsigned s = 5;
    int loaded, j;
    long tried = 0, bad = 0;
    if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK || llmspell_vec_create(&kv, "c", NULL, NULL) != LLMSPELL_OK ||
        llmspell_vec_open(&v, &kv, "c", NULL, NULL) != LLMSPELL_OK) {
        printf("FAIL corrupt_vec: setup\n");
        return 0;
    }
    memset(r, 0, sizeof r);
    for (i = 0; i < VN; i++) {
        for (j = 0; j < VDIM; j++) {
            s = s * 1103515245u + 12345u;
            x[i][j] = (float)((s >> 9) & 0xFFFF) / 65536.0f - 0.5f;
        }
        snprintf(ids[i], sizeof ids[i], "r%zu", i);
        r[i].id = ids[i];
        r[i].embedding = x[i];
        r[i].dim = VDIM;
    }
    if (llmspell_vec_add_batch(v, r, VN) != LLMSPELL_OK) { printf("FAIL corrupt_vec: add\n"); return 0; }
    llmspell_vec_close(v);
    if (!answer(&kv, want, sizeof want, &loaded) || !loaded) { printf("FAIL corrupt_vec: the clean collection did not load\n"); return 0; }
    kn = page_key(key, 1);
    if (llmspell_kv_get(&kv, key, kn, &pv, &plen) != LLMSPELL_OK) { printf("FAIL corrupt_vec: no page 1\n"); return 0; }
    page = (uint8_t *)malloc(plen);
    memcpy(page, pv, plen);
    for (cut = 0; cut <= plen; cut++) { /* truncated at every length; a byte flipped at every third */
        int mode;
        for (mode = 0; mode < 2; mode++) {
            uint8_t *b = (uint8_t *)malloc(plen);
            size_t bl = mode == 0 ? cut : plen;
            if (mode == 1 && (cut == plen || cut % 3)) { free(b); break; }
            memcpy(b, page, plen);
            if (mode == 1) b[cut] ^= 0x10;
            llmspell_kv_put_sys(&kv, key, kn, b, bl);
            free(b);
            tried++;
            if (!answer(&kv, got, sizeof got, &loaded)) {
                if (!bad++) fprintf(stderr, "corrupt_vec: %s at %zu: open or search failed\n", mode ? "flip" : "cut", cut);
            } else if (strcmp(got, want) != 0) {
                if (!bad++) fprintf(stderr, "corrupt_vec: %s at %zu: answer %s, want %s\n", mode ? "flip" : "cut", cut, got, want);
            } else if (loaded && (mode == 0 ? cut != plen : 1)) {
                if (!bad++) fprintf(stderr, "corrupt_vec: %s at %zu: a damaged page was trusted\n", mode ? "flip" : "cut", cut);
            }
            llmspell_kv_put_sys(&kv, key, kn, page, plen); /* the rebuild rewrote pages: restore the original */
        }
    }
    free(page);
    llmspell_kv_close(&kv);
    if (bad) {
        printf("FAIL corrupt_vec: %ld of %ld damaged pages handled wrongly\n", bad, tried);
        return 0;
    }
    printf("PASS corrupt_vec: %ld damaged copies of a %zu-byte graph page: each detected, graph rebuilt, same answer\n", tried, plen);
    return 1;
}

int main(void) {
    int pass = 0, fail = 0;
    if (!compat_make_tmpdir(dir, sizeof dir, "llmspell-corrupt-")) return 2;
    snprintf(path, sizeof path, "%s/store.db", dir);
    snprintf(work, sizeof work, "%s/damaged.db", dir);
    if (sweep_kv()) pass++; else fail++;
    if (sweep_vec()) pass++; else fail++;
    compat_unlink(path);
    compat_unlink(work);
    compat_rmdir(dir);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}
