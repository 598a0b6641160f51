/* fuzz_kernels.c - differential: every SIMD distance kernel of llmspell_vec.h against the scalar
   reference on arbitrary float data and lengths (tails, subnormals, large magnitudes).
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_kernels.c -o build/fuzz_kernels -lm

   The input is split into two float vectors (non-finite values replaced by 0, magnitudes kept
   below 1e15 so sums cannot overflow); each kernel must agree with the scalar reference within
   a bound on float rounding of a different summation order: |x - ref| <= 1e-5 * S + 1e-30, with S
   the sum of |a_i b_i| (dot) or of (a_i - b_i)^2 (l2sq). Cosine within 1e-4, widened by what
   float rounding can do to it when the squared norms reach the subnormal range: every product
   and sum there may be off by a 2^-149 step, so a norm made of a few such steps is only known
   to a few percent, in every kernel alike (FMA or not decides which way it rounds).
   The same bytes also go through the int8 kernels (exactly equal to the reference) and the
   half-precision ones (the float bound above, over the decoded halves).
   32-bit ARM: NEON there always flushes subnormal inputs and results to zero (the architecture's
   fixed mode), so subnormal inputs are replaced by 0 and the rounding step is 2^-126. */
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "llmspell_vec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__arm__) && !defined(__aarch64__)
#define FUZZ_FLUSH 1
#define FUZZ_STEP 1.1754943508222875e-38 /* 2^-126: results below it are flushed */
#else
#define FUZZ_FLUSH 0
#define FUZZ_STEP 1.401298464324817e-45 /* 2^-149: the smallest subnormal */
#endif

#define CHECK(c, what)                                                                   \
    do {                                                                                 \
        if (!(c)) {                                                                      \
            fprintf(stderr, "fuzz_kernels: %s (line %d): %s\n", what, __LINE__, #c);     \
            abort();                                                                     \
        }                                                                                \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const names[] = {"sse", "avx2", "avx512", "neon"};
    const llmspell_vec_kernel *ref = llmspell_vec_kernel_get("scalar");
    size_t n = size / 8, i, k;
    float *a, *b;
    double sdot = 0, sl2 = 0, na = 0, nb = 0, dot = 0, tiny, ctol;
    if (n == 0) return 0;
    a = (float *)malloc(n * sizeof *a);
    b = (float *)malloc(n * sizeof *b);
    for (i = 0; i < n; i++) {
        memcpy(&a[i], data + 8 * i, 4);
        memcpy(&b[i], data + 8 * i + 4, 4);
        if (!(fabsf(a[i]) < 1e15f)) a[i] = 0; /* NaN, infinity, huge */
        if (!(fabsf(b[i]) < 1e15f)) b[i] = 0;
        if (FUZZ_FLUSH && fabsf(a[i]) < 1.17549435e-38f) a[i] = 0;
        if (FUZZ_FLUSH && fabsf(b[i]) < 1.17549435e-38f) b[i] = 0;
        sdot += fabs((double)a[i] * b[i]);
        sl2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
        dot += (double)a[i] * b[i];
    }
    tiny = 2.0 * (double)n * FUZZ_STEP; /* n products and n sums, a rounding step each */
    ctol = 1e-4;
    if (na > 0 && nb > 0) { /* |d cos| <= (|d dot| + |dot| * (relative error of sqrt(na nb))) / sqrt(na nb) */
        double rel = 0.5 * ((1e-5 * na + tiny) / na + (1e-5 * nb + tiny) / nb);
        ctol += 2.0 * (1e-5 * sdot + tiny + fabs(dot) * rel) / sqrt(na * nb);
    }
    for (k = 0; k < sizeof names / sizeof names[0]; k++) {
        const llmspell_vec_kernel *x = llmspell_vec_kernel_get(names[k]);
        float d, l, c;
        if (!x) continue;
        d = x->dot(a, b, n);
        l = x->l2sq(a, b, n);
        c = x->cosine(a, b, n);
        CHECK(fabs((double)d - ref->dot(a, b, n)) <= 1e-5 * sdot + 1e-30, "dot differs from the reference");
        CHECK(fabs((double)l - ref->l2sq(a, b, n)) <= 1e-5 * sl2 + 1e-30, "l2sq differs from the reference");
        CHECK(fabs((double)c - ref->cosine(a, b, n)) <= ctol || (isnan(c) && isnan(ref->cosine(a, b, n))), "cosine differs");
    }
    { /* the same bytes as int8 (-128 taken as -127, the format's range): exact; as half
         precision (infinity and NaN taken as 0): within float rounding of the order */
        const int8_t *p = (const int8_t *)data, *q = (const int8_t *)data + size / 2;
        int8_t *ip = (int8_t *)malloc(size / 2 + 1), *iq = (int8_t *)malloc(size / 2 + 1);
        uint16_t *hp = (uint16_t *)malloc((size / 4 + 1) * 2), *hq = (uint16_t *)malloc((size / 4 + 1) * 2);
        size_t m = size / 2, h = size / 4;
        double hs = 0, hl = 0;
        for (i = 0; i < m; i++) {
            ip[i] = p[i] == -128 ? -127 : p[i];
            iq[i] = q[i] == -128 ? -127 : q[i];
        }
        for (i = 0; i < h; i++) {
            double x, y;
            hp[i] = (uint16_t)(data[4 * i] | data[4 * i + 1] << 8);
            hq[i] = (uint16_t)(data[4 * i + 2] | data[4 * i + 3] << 8);
            if ((hp[i] & 0x7C00) == 0x7C00) hp[i] = 0;
            if ((hq[i] & 0x7C00) == 0x7C00) hq[i] = 0;
            x = llmspell__f16_f32(hp[i]);
            y = llmspell__f16_f32(hq[i]);
            hs += fabs(x * y);
            hl += (x - y) * (x - y);
        }
        for (k = 0; k < sizeof names / sizeof names[0]; k++) {
            const llmspell_vec_kernel *x = llmspell_vec_kernel_get(names[k]);
            if (!x) continue;
            CHECK(x->dot_i8(ip, iq, m) == ref->dot_i8(ip, iq, m), "dot_i8 differs from the reference");
            CHECK(fabs((double)x->dot_f16(hp, hq, h) - ref->dot_f16(hp, hq, h)) <= 1e-5 * hs + 1e-30, "dot_f16 differs from the reference");
            CHECK(fabs((double)x->l2sq_f16(hp, hq, h) - ref->l2sq_f16(hp, hq, h)) <= 1e-5 * hl + 1e-30, "l2sq_f16 differs from the reference");
        }
        free(ip);
        free(iq);
        free(hp);
        free(hq);
    }
    free(a);
    free(b);
    return 0;
}
