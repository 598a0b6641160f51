/* fuzz_base64.c - strict base64 of llmspell_export.h, every implementation against the scalar
   reference.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_base64.c -o build/fuzz_base64

   1. Decode the input as base64 text with SCALAR (the reference), TABLE, SSSE3 (when the CPU
      has it), AUTO, llmspell_b64_decode and the streaming decoder (pieces cut at points drawn
      from the input): same code, same bytes, same length or the same error position.
      A cap one byte short of the decoded length is ERR_TOO_LARGE with the needed length.
   2. When the decode succeeds, encoding the bytes gives the input back (strict = canonical).
   3. The input as bytes: every encoder gives the same text, of llmspell_b64_encoded_len
      characters, and every decoder gives the bytes back. */
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                          \
    do {                                                                                  \
        if (!(c)) {                                                                       \
            fprintf(stderr, "fuzz_base64: check failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                      \
        }                                                                                 \
    } while (0)

static const llmspell_b64_impl impls[] = {LLMSPELL_B64_SCALAR, LLMSPELL_B64_TABLE, LLMSPELL_B64_SSSE3, LLMSPELL_B64_AUTO};
#define NIMPL (sizeof impls / sizeof impls[0])

typedef struct dec_result {
    llmspell_result code;
    size_t len, err_pos;
} dec_result;

/* The streaming decoder over in[0..n) cut into pieces whose sizes come from seed bytes. */
static dec_result stream_decode(const char *in, size_t n, const uint8_t *seed, size_t nseed, unsigned char *out) {
    llmspell_b64_decoder d;
    dec_result r;
    size_t pos = 0, k = 0, total = 0;
    unsigned char *tmp;
    uint64_t ep = 0;
    r.code = LLMSPELL_OK;
    r.len = 0;
    r.err_pos = 0;
    llmspell_b64_decoder_init(&d);
    while (pos < n) {
        size_t piece = nseed ? (size_t)(seed[k++ % nseed] % 9) : 1, got = 0, room;
        llmspell_result rc;
        if (piece == 0) { /* an empty piece is allowed; then move on by one */
            unsigned char three[3];
            CHECK(llmspell_b64_decoder_update(&d, three, sizeof three, in + pos, 0, &got, &ep) == LLMSPELL_OK && got == 0);
            piece = 1;
        }
        if (piece > n - pos) piece = n - pos;
        room = llmspell_b64_decoded_max(piece + 3);
        tmp = (unsigned char *)malloc(room ? room : 1);
        CHECK(tmp);
        rc = llmspell_b64_decoder_update(&d, tmp, room, in + pos, piece, &got, &ep);
        if (rc == LLMSPELL_OK) {
            CHECK(got <= room);
            memcpy(out + total, tmp, got);
            total += got;
        }
        free(tmp);
        if (rc != LLMSPELL_OK) {
            r.code = rc;
            r.err_pos = (size_t)ep;
            return r;
        }
        pos += piece;
    }
    ep = 0;
    r.code = llmspell_b64_decoder_finish(&d, &ep);
    if (r.code != LLMSPELL_OK) r.err_pos = (size_t)ep;
    r.len = total;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *in = (const char *)data;
    size_t max = llmspell_b64_decoded_max(size), i;
    unsigned char *ref = (unsigned char *)malloc(max + 1), *got = (unsigned char *)malloc(max + 1);
    dec_result rr, r;
    CHECK(ref && got);
    CHECK(max >= size / 4 * 3);

    /* 1. decode with every implementation */
    rr.len = rr.err_pos = (size_t)-7;
    rr.code = llmspell_b64_decode_with(LLMSPELL_B64_SCALAR, ref, max, in, size, &rr.len, &rr.err_pos);
    CHECK(rr.code == LLMSPELL_OK || rr.code == LLMSPELL_ERR_PARSE);
    if (rr.code == LLMSPELL_OK) CHECK(rr.len <= max);
    else CHECK(rr.err_pos <= size);
    for (i = 0; i < NIMPL; i++) {
        r.len = r.err_pos = (size_t)-7;
        r.code = llmspell_b64_decode_with(impls[i], got, max, in, size, &r.len, &r.err_pos);
        if (r.code == LLMSPELL_ERR_UNSUPPORTED && impls[i] == LLMSPELL_B64_SSSE3) continue;
        if (r.code != rr.code || (r.code == LLMSPELL_OK && (r.len != rr.len || memcmp(got, ref, r.len) != 0)) ||
            (r.code != LLMSPELL_OK && r.err_pos != rr.err_pos))
            fprintf(stderr, "fuzz_base64: %s: code %d len %zu err_pos %zu; scalar: code %d len %zu err_pos %zu\n",
                    llmspell_b64_impl_name(impls[i]), (int)r.code, r.len, r.err_pos, (int)rr.code, rr.len, rr.err_pos);
        CHECK(r.code == rr.code);
        if (r.code == LLMSPELL_OK) CHECK(r.len == rr.len && memcmp(got, ref, r.len) == 0);
        else CHECK(r.err_pos == rr.err_pos);
    }
    r.len = r.err_pos = (size_t)-7;
    r.code = llmspell_b64_decode(got, max, in, size, &r.len, &r.err_pos);
    CHECK(r.code == rr.code);
    if (r.code == LLMSPELL_OK) CHECK(r.len == rr.len && memcmp(got, ref, r.len) == 0);
    else CHECK(r.err_pos == rr.err_pos);
    /* err_pos may be NULL */
    CHECK(llmspell_b64_decode(got, max, in, size, &r.len, NULL) == rr.code);

    /* the streaming decoder: one character at a time, and pieces of 0..8 */
    r = stream_decode(in, size, NULL, 0, got);
    if (r.code != rr.code || (r.code != LLMSPELL_OK && r.err_pos != rr.err_pos))
        fprintf(stderr, "fuzz_base64: stream(1): code %d err_pos %zu; scalar: code %d err_pos %zu\n", (int)r.code,
                r.err_pos, (int)rr.code, rr.err_pos);
    CHECK(r.code == rr.code);
    if (r.code == LLMSPELL_OK) CHECK(r.len == rr.len && memcmp(got, ref, r.len) == 0);
    else CHECK(r.err_pos == rr.err_pos);
    r = stream_decode(in, size, data, size, got);
    if (r.code != rr.code || (r.code != LLMSPELL_OK && r.err_pos != rr.err_pos))
        fprintf(stderr, "fuzz_base64: stream(pieces): code %d err_pos %zu; scalar: code %d err_pos %zu\n", (int)r.code,
                r.err_pos, (int)rr.code, rr.err_pos);
    CHECK(r.code == rr.code);
    if (r.code == LLMSPELL_OK) CHECK(r.len == rr.len && memcmp(got, ref, r.len) == 0);
    else CHECK(r.err_pos == rr.err_pos);

    if (rr.code == LLMSPELL_OK) {
        /* a cap one byte short */
        if (rr.len > 0) {
            for (i = 0; i < NIMPL; i++) {
                r.len = 0;
                r.code = llmspell_b64_decode_with(impls[i], got, rr.len - 1, in, size, &r.len, NULL);
                if (r.code == LLMSPELL_ERR_UNSUPPORTED && impls[i] == LLMSPELL_B64_SSSE3) continue;
                CHECK(r.code == LLMSPELL_ERR_TOO_LARGE);
                CHECK(r.len == rr.len);
            }
        }
        /* 2. canonical: encode(decode(x)) == x */
        {
            size_t el = llmspell_b64_encoded_len(rr.len);
            char *enc = (char *)malloc(el + 1);
            CHECK(enc);
            CHECK(el == size);
            CHECK(llmspell_b64_encode(enc, ref, rr.len) == el);
            CHECK(memcmp(enc, in, size) == 0);
            free(enc);
        }
    }

    /* 3. the input as bytes: encode with each implementation, decode back */
    {
        size_t el = llmspell_b64_encoded_len(size), ol;
        char *e0 = (char *)malloc(el + 1), *e1 = (char *)malloc(el + 1);
        unsigned char *back = (unsigned char *)malloc(size + 3);
        CHECK(e0 && e1 && back);
        CHECK(el == (size + 2) / 3 * 4);
        CHECK(llmspell_b64_encode(e0, data, size) == el);
        for (i = 0; i < NIMPL; i++) {
            llmspell_result rc;
            size_t ep = 0;
            ol = 0;
            rc = llmspell_b64_encode_with(impls[i], e1, data, size, &ol);
            if (rc == LLMSPELL_ERR_UNSUPPORTED && impls[i] == LLMSPELL_B64_SSSE3) continue;
            CHECK(rc == LLMSPELL_OK);
            CHECK(ol == el && memcmp(e0, e1, el) == 0);
            ol = 0;
            rc = llmspell_b64_decode_with(impls[i], back, size + 3, e0, el, &ol, &ep);
            if (rc != LLMSPELL_OK) fprintf(stderr, "fuzz_base64: %s rejects encoder output at %zu\n",
                                           llmspell_b64_impl_name(impls[i]), ep);
            CHECK(rc == LLMSPELL_OK);
            CHECK(ol == size && memcmp(back, data, size) == 0);
        }
        r = stream_decode(e0, el, data, size, back);
        CHECK(r.code == LLMSPELL_OK && r.len == size && memcmp(back, data, size) == 0);
        free(e0);
        free(e1);
        free(back);
    }
    free(ref);
    free(got);
    return 0;
}
