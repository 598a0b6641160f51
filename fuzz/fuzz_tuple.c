/* fuzz_tuple.c - the tuple codec and llmspell_key_successor of llmspell_kv.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_tuple.c -o build/fuzz_tuple

   1. Byte 0 is a program (2 bits per element: bytes, u64, i64, bytes); the rest is decoded
      element by element with get_bytes / get_u64 / get_i64 until one fails. Every decoded
      element is re-encoded with put_*; the encodings concatenated must equal the consumed
      input (the encoding is canonical). A failed get leaves *p unchanged and is ERR_CORRUPT.
      get_bytes measured with out NULL, with a short cap and with a full cap agree.
   2. The rest as raw bytes: put_bytes then get_bytes round-trips; measuring (cap 0) gives the
      same length; the encoding has no 00 01 before its end (prefix-free).
   3. key_successor(x): empty or all-0xFF gives 0; otherwise s > x, s is not a prefix-extension
      of x (every key starting with x is < s), and s is the shortest such: s = x without its
      trailing 0xFF bytes, last byte + 1. Order: memcmp of two tuple encodings of byte strings
      agrees with the order of the strings. */
#define LLMSPELL_KV_IMPLEMENTATION
#include "llmspell_kv.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                         \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "fuzz_tuple: check failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                     \
        }                                                                                \
    } while (0)

static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *in, *p, *end;
    size_t n, i;
    unsigned prog;
    uint8_t *re, *buf;
    size_t relen = 0, recap;
    if (size < 1) return 0;
    prog = data[0];
    in = data + 1;
    n = size - 1;
    end = in + n;
    recap = 2 * n + 16;
    re = (uint8_t *)malloc(recap);
    buf = (uint8_t *)malloc(n + 1);
    CHECK(re && buf);

    /* 1. decode, re-encode */
    p = in;
    for (i = 0;; i++) {
        unsigned kind = (prog >> (2 * (i % 4))) & 3;
        const uint8_t *before = p;
        llmspell_result rc;
        if (p == end) break;
        if (kind == 1) {
            uint64_t v;
            rc = llmspell_tuple_get_u64(&p, end, &v);
            if (rc != LLMSPELL_OK) {
                CHECK(rc == LLMSPELL_ERR_CORRUPT && p == before && end - p < 8);
                break;
            }
            CHECK(p == before + 8);
            CHECK(llmspell_tuple_put_u64(NULL, 0, v) == 8);
            CHECK(llmspell_tuple_put_u64(re + relen, recap - relen, v) == 8);
            relen += 8;
        } else if (kind == 2) {
            int64_t v;
            rc = llmspell_tuple_get_i64(&p, end, &v);
            if (rc != LLMSPELL_OK) {
                CHECK(rc == LLMSPELL_ERR_CORRUPT && p == before && end - p < 8);
                break;
            }
            CHECK(p == before + 8);
            CHECK(llmspell_tuple_put_i64(re + relen, recap - relen, v) == 8);
            relen += 8;
        } else {
            size_t m = (size_t)-1, m2 = (size_t)-1, m3 = (size_t)-1, w;
            const uint8_t *p2 = p, *p3 = p;
            rc = llmspell_tuple_get_bytes(&p, end, NULL, 0, &m);
            if (rc != LLMSPELL_OK) {
                CHECK(rc == LLMSPELL_ERR_CORRUPT && p == before);
                /* the same with an output buffer */
                CHECK(llmspell_tuple_get_bytes(&p2, end, buf, n, &m2) == LLMSPELL_ERR_CORRUPT && p2 == before);
                break;
            }
            CHECK(m <= (size_t)(p - before) - 2);
            /* a full cap gives the bytes */
            CHECK(llmspell_tuple_get_bytes(&p2, end, buf, n, &m2) == LLMSPELL_OK && p2 == p && m2 == m);
            /* a short cap: same length and position, a prefix of the bytes */
            if (m > 0) {
                uint8_t *shortb = (uint8_t *)malloc(m);
                CHECK(shortb);
                CHECK(llmspell_tuple_get_bytes(&p3, end, shortb, m - 1, &m3) == LLMSPELL_OK && p3 == p && m3 == m);
                CHECK(m == 1 || memcmp(shortb, buf, m - 1) == 0);
                free(shortb);
            }
            w = llmspell_tuple_put_bytes(NULL, 0, buf, m);
            CHECK(w == (size_t)(p - before));
            CHECK(llmspell_tuple_put_bytes(re + relen, recap - relen, buf, m) == w);
            relen += w;
        }
    }
    CHECK(relen == (size_t)(p - in));
    CHECK(relen == 0 || memcmp(re, in, relen) == 0);

    /* 2. encode the raw bytes, decode back */
    {
        size_t need = llmspell_tuple_put_bytes(NULL, 0, in, n), got = 0, k;
        uint8_t *enc = (uint8_t *)malloc(need);
        const uint8_t *q;
        CHECK(enc);
        CHECK(need >= n + 2);
        CHECK(llmspell_tuple_put_bytes(enc, need - 1, in, n) == need); /* too small: measures only */
        CHECK(llmspell_tuple_put_bytes(enc, need, in, n) == need);
        CHECK(enc[need - 2] == 0 && enc[need - 1] == 1);
        for (k = 0; k + 1 < need - 2; k++) CHECK(!(enc[k] == 0 && enc[k + 1] == 1));
        q = enc;
        CHECK(llmspell_tuple_get_bytes(&q, enc + need, buf, n, &got) == LLMSPELL_OK);
        CHECK(q == enc + need && got == n && (n == 0 || memcmp(buf, in, n) == 0));
        /* every strict prefix of the encoding is corrupt (truncated) */
        for (k = 0; k < need && k < 64; k++) {
            q = enc;
            CHECK(llmspell_tuple_get_bytes(&q, enc + k, buf, n, &got) == LLMSPELL_ERR_CORRUPT && q == enc);
        }
        /* 3a. order: split the input in two and compare the encodings */
        {
            size_t h = n / 2;
            size_t na = llmspell_tuple_put_bytes(NULL, 0, in, h), nb = llmspell_tuple_put_bytes(NULL, 0, in + h, n - h);
            uint8_t *ea = (uint8_t *)malloc(na), *eb = (uint8_t *)malloc(nb);
            CHECK(ea && eb);
            llmspell_tuple_put_bytes(ea, na, in, h);
            llmspell_tuple_put_bytes(eb, nb, in + h, n - h);
            CHECK(cmp_bytes(ea, na, eb, nb) == cmp_bytes(in, h, in + h, n - h));
            free(ea);
            free(eb);
        }
        free(enc);
    }

    /* 3b. key_successor */
    {
        uint8_t *s = (uint8_t *)malloc(n + 1);
        size_t sn, t = n;
        CHECK(s);
        while (t > 0 && in[t - 1] == 0xFF) t--;
        sn = llmspell_key_successor(s, in, n);
        if (t == 0) CHECK(sn == 0);
        else {
            CHECK(sn == t);
            CHECK(memcmp(s, in, t - 1) == 0 && s[t - 1] == (uint8_t)(in[t - 1] + 1));
            CHECK(cmp_bytes(s, sn, in, n) > 0);
            /* x followed by anything (here: 0xFF bytes, the largest continuation) stays below s */
            {
                uint8_t *x = (uint8_t *)malloc(n + 4);
                CHECK(x);
                memcpy(x, in, n);
                memset(x + n, 0xFF, 4);
                CHECK(cmp_bytes(x, n + 4, s, sn) < 0);
                free(x);
            }
        }
        free(s);
    }
    free(re);
    free(buf);
    return 0;
}
