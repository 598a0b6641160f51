/* test_vec.c - tests for llmspell_vec.h
   cc -std=c99 -O1 -g -Wall -Wextra -I. tests/test_vec.c -o build/test_vec -lsqlite3 -lm

   a. distance kernels against the scalar reference      test_kernels, test_kernel_forced, test_kernels_quant
   a2. quantized collections (f16, int8)                 test_quantized
   b. search recall per metric, scores, order, k >= count recall_<metric>
   c. deletes, slot reuse, updates, reachability         test_deletes, test_updates, test_*_reachable
   d. TTL with an injected clock                         test_ttl
   e. filters against a brute-force reference            test_filters, test_filter_values, test_field_indexes
   f. dimension routing                                  test_dims
   g. persistence on every backend, tenants, names       persist_<backend>, test_tenants, test_names
   h. corrupt / missing / stale snapshots and records    test_corrupt_*
   i. bad input, quotas, transactions                    test_bad_*, test_txn, test_quotas
   j. allocation failure sweep                           test_alloc_failure
   k. kv write failure sweep (a failing user backend)    test_kv_write_failure
   Every data set comes from a fixed-seed PRNG; scratch files live under a mkdtemp directory
   in /tmp that is removed at the end. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define COMPAT_WANT_SQLITE /* unless -DLLMSPELL_TEST_NO_SQLITE, and on Windows only with -DLLMSPELL_KV_SQLITE */
#include "compat.h"
#include "../llmspell_vec.h"

#include <limits.h>
#include <math.h>

static const char *rc_name(int rc);
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* >>small helpers                                                                             */

#define S(lit) (lit), (sizeof(lit) - 1)
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *rc_name(int rc)
{
    static const char *const names[] = {
        "OK", "ERR_NOT_FOUND", "ERR_INVALID", "ERR_NOMEM", "ERR_IO", "ERR_CORRUPT", "ERR_BUSY",
        "ERR_EXISTS", "ERR_QUOTA", "ERR_FORMAT", "ERR_UNSUPPORTED", "ERR_CONFLICT", "ERR_TOO_LARGE",
        "ERR_RESERVED", "ERR_TXN", "ERR_CLOSED", "ERR_READONLY", "ERR_NOT_A_FILE", "ERR_PARSE"};
    if (rc >= 0 && (size_t)rc < sizeof names / sizeof names[0]) return names[rc];
    return "(unknown code)";
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "test: out of memory\n"); abort(); }
    return p;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) { fprintf(stderr, "test: out of memory\n"); abort(); }
    return p;
}

/* Deterministic PRNG (splitmix64): the runs are reproducible, independent of libc's rand. */
typedef struct rng { uint64_t s; } rng;
static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned rng_below(rng *r, unsigned n) { return (unsigned)(rng_next(r) % n); }
static double rng_unit(rng *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); } /* [0, 1) */
static float rng_sym(rng *r) { return (float)(2.0 * rng_unit(r) - 1.0); }                           /* [-1, 1) */
static double rng_gauss(rng *r)
{
    double u = rng_unit(r) + 1e-12, w = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * w);
}

/* An injected clock: tests set ->now. */
typedef struct tclock { llmspell_time now; } tclock;
static llmspell_time tclock_now(void *ctx) { return ((tclock *)ctx)->now; }

static llmspell_vec_options opts_clock(tclock *c)
{
    llmspell_vec_options o;
    memset(&o, 0, sizeof o);
    if (c) {
        o.clock.now = tclock_now;
        o.clock.ctx = c;
    }
    o.seed = 12345;
    return o;
}

static llmspell_vec_config config_of(llmspell_metric m, uint32_t M, uint32_t efc, uint32_t efs)
{
    llmspell_vec_config c;
    memset(&c, 0, sizeof c);
    c.metric = m;
    c.M = M;
    c.ef_construction = efc;
    c.ef_search = efs;
    return c;
}

/* Filter values and nodes. */
static llmspell_vec_value VS(const char *s) { llmspell_vec_value v; memset(&v, 0, sizeof v); v.type = LLMSPELL_VAL_STRING; v.s = s; return v; }
static llmspell_vec_value VI(int64_t i) { llmspell_vec_value v; memset(&v, 0, sizeof v); v.type = LLMSPELL_VAL_INT; v.i = i; return v; }
static llmspell_vec_value VD(double d) { llmspell_vec_value v; memset(&v, 0, sizeof v); v.type = LLMSPELL_VAL_DOUBLE; v.d = d; return v; }
static llmspell_vec_value VB(int b) { llmspell_vec_value v; memset(&v, 0, sizeof v); v.type = LLMSPELL_VAL_BOOL; v.i = b; return v; }
static llmspell_vec_value VN(void) { llmspell_vec_value v; memset(&v, 0, sizeof v); v.type = LLMSPELL_VAL_NULL; return v; }

static llmspell_vec_filter FC(llmspell_vec_op op, const char *field, llmspell_vec_value a)
{
    llmspell_vec_filter f;
    memset(&f, 0, sizeof f);
    f.op = op;
    f.field = field;
    f.value = a;
    return f;
}
static llmspell_vec_filter FR(const char *field, llmspell_vec_value lo, llmspell_vec_value hi)
{
    llmspell_vec_filter f = FC(LLMSPELL_F_RANGE, field, lo);
    f.value2 = hi;
    return f;
}
static llmspell_vec_filter FIN(const char *field, const llmspell_vec_value *vals, size_t n)
{
    llmspell_vec_filter f;
    memset(&f, 0, sizeof f);
    f.op = LLMSPELL_F_IN;
    f.field = field;
    f.values = vals;
    f.nvalues = n;
    return f;
}
static llmspell_vec_filter FB(llmspell_vec_op op, const llmspell_vec_filter *kids, size_t n)
{
    llmspell_vec_filter f;
    memset(&f, 0, sizeof f);
    f.op = op;
    f.children = kids;
    f.nchildren = n;
    return f;
}

/* The kv under the suite's collections: memory, or, in a build with PostgreSQL and with
   LLMSPELL_TEST_BACKEND=postgres (tests/run.sh sets it), a fresh PostgreSQL store: the same
   tests run there. */
static llmspell_result test_kv_open(llmspell_kv *kv)
{
#if COMPAT_HAS_POSTGRES
    const char *b = getenv("LLMSPELL_TEST_BACKEND");
    if (b && strcmp(b, "postgres") == 0) {
        char conninfo[COMPAT_PATH_MAX], why[512];
        if (!compat_pg_fresh(conninfo, sizeof conninfo, why, sizeof why)) {
            fprintf(stderr, "no PostgreSQL store: %s\n", why);
            return LLMSPELL_ERR_IO;
        }
        return llmspell_kv_open_postgres(kv, conninfo, NULL);
    }
#endif
    return llmspell_kv_open_memory(kv, NULL);
}

static llmspell_vec_record rec_of(const char *id, const float *x, uint32_t dim, const char *meta)
{
    llmspell_vec_record r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.embedding = x;
    r.dim = dim;
    r.metadata = meta;
    return r;
}

/* ------------------------------------------------------------------------------------------ */
/* >>files                                                                                     */

static char g_tmpdir[COMPAT_PATH_MAX - 64]; /* made by main, removed at the end */

static void tmp_path(char *out, size_t cap, const char *tag)
{
    static unsigned counter; /* with the pid: unique across the forked test processes */
    snprintf(out, cap, "%s/%s-%ld-%u", g_tmpdir, tag, compat_getpid(), counter++);
}

/* ------------------------------------------------------------------------------------------ */
/* >>kernels                                                                                   */

static const char *const KERNEL_NAMES[] = {"scalar", "sse", "avx2", "avx512", "neon"};

/* A float buffer whose end touches an inaccessible page: a kernel that reads past the end of
   an input placed flush against it faults (the sanitizers do not see inside intrinsics). */
typedef struct guarded { uint8_t *base; size_t len; float *end; } guarded;

static int guarded_make(guarded *g, size_t floats)
{
    size_t page = compat_page_size(), body = (floats * 4 + page - 1) / page * page;
    void *p;
    g->len = body + page;
    p = compat_pages_map(g->len);
    if (!p) return 0;
    g->base = (uint8_t *)p;
    if (compat_pages_guard(g->base + body, page) != 0) return 0;
    g->end = (float *)(void *)(g->base + body);
    return 1;
}

static void guarded_free(guarded *g)
{
    if (g->base) compat_pages_unmap(g->base, g->len);
    g->base = NULL;
}

/* Exact references in double (a float product is exact in double; the sums of up to 4100
   terms are far more precise than float). */
static double dref_dot(const float *a, const float *b, size_t n, double *absum)
{
    double s = 0, t = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        s += (double)a[i] * b[i];
        t += fabs((double)a[i] * b[i]);
    }
    if (absum) *absum = t;
    return s;
}

static double dref_l2sq(const float *a, const float *b, size_t n)
{
    double s = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        s += d * d;
    }
    return s;
}

static double dref_cos(const float *a, const float *b, size_t n)
{
    double d = 0, x = 0, y = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        d += (double)a[i] * b[i];
        x += (double)a[i] * a[i];
        y += (double)b[i] * b[i];
    }
    return x > 0 && y > 0 ? d / (sqrt(x) * sqrt(y)) : 0.0;
}

/* Every kernel this machine runs, against the scalar reference, on every length 1..4100, with
   the inputs 64-byte aligned, shifted by one float, and flush against a guard page.

   Tolerances (S = sum of |a_i*b_i| for dot, sum of (a_i-b_i)^2 for l2sq):
     random inputs in [-1, 1):    |x - scalar| <= 1e-5 * S + 1e-6   (dot, l2sq)
                                  |x - scalar| <= 3e-5              (cosine, a value in [-1, 1]:
                                  its error is at most the relative errors of three sums whose
                                  terms are bounded by the norms, by Cauchy-Schwarz)
     and the scalar kernel itself is held to the same bounds against a double reference.
   exact inputs (multiples of 1/16 in [-1, 1]: every product and every partial sum up to 4100
   terms is exactly representable in float, so the summation order cannot matter):
                                  x == exact value, bit for bit (dot, l2sq), and
                                  |x - scalar| <= 1e-6 (cosine: same sums, one sqrt/divide). */
static void test_kernels(void)
{
    enum { MAXN = 4100 };
    const llmspell_vec_kernel *ks[COUNT_OF(KERNEL_NAMES)], *scalar, *best;
    size_t nk = 0, i, n, t;
    guarded ga, gb;
    rng r = {2024};
    char tested[128] = "";
    double worst[3] = {0, 0, 0}, worst_k[3] = {0, 0, 0};
    int layout, kind, best_ok = 0;

    memset(&ga, 0, sizeof ga);
    memset(&gb, 0, sizeof gb);
    for (i = 0; i < COUNT_OF(KERNEL_NAMES); i++) {
        const llmspell_vec_kernel *k = llmspell_vec_kernel_get(KERNEL_NAMES[i]);
        if (!k) continue;
        CHECK(k->name && strcmp(k->name, KERNEL_NAMES[i]) == 0, "kernel_get(\"%s\") returned kernel named \"%s\"",
              KERNEL_NAMES[i], k->name ? k->name : "(null)");
        CHECK(k->dot && k->l2sq && k->cosine, "kernel %s lacks a function", KERNEL_NAMES[i]);
        ks[nk++] = k;
        strcat(tested, " ");
        strcat(tested, KERNEL_NAMES[i]);
    }
    fprintf(stderr, "note: kernels tested:%s\n", tested);
    scalar = llmspell_vec_kernel_get("scalar");
    REQUIRE(scalar != NULL, "the scalar kernel is missing");
#if defined(__x86_64__) && !defined(LLMSPELL_VEC_NO_SIMD) && (defined(__GNUC__) || defined(__clang__))
    /* x86-64 always has SSE2; AVX2 / AVX-512 must be offered whenever the CPU and OS run them
       (the compiler's own detection, which checks XCR0 as well, is the judge) */
    __builtin_cpu_init();
    CHECK(llmspell_vec_kernel_get("sse") != NULL, "x86-64 without the sse kernel");
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        CHECK(llmspell_vec_kernel_get("avx2") != NULL, "the CPU runs AVX2+FMA but kernel_get(\"avx2\") is NULL");
    if (__builtin_cpu_supports("avx512f"))
        CHECK(llmspell_vec_kernel_get("avx512") != NULL, "the CPU runs AVX-512F but kernel_get(\"avx512\") is NULL");
    else
        fprintf(stderr, "note: this CPU has no AVX-512F: the avx512 kernel is not tested\n");
#endif
    best = llmspell_vec_kernel_best();
    REQUIRE(best != NULL, "kernel_best returned NULL");
    for (i = 0; i < nk; i++) best_ok |= ks[i] == best || strcmp(ks[i]->name, best->name) == 0;
    CHECK(best_ok, "kernel_best \"%s\" is not one of the available kernels", best->name);
    CHECK(best == ks[nk - 1], "kernel_best is \"%s\", the most capable available kernel is \"%s\"", best->name, ks[nk - 1]->name);
    CHECK(llmspell_vec_kernel_get("nope") == NULL, "kernel_get(\"nope\") is not NULL");
    CHECK(llmspell_vec_kernel_get("") == NULL, "kernel_get(\"\") is not NULL");
    CHECK(llmspell_vec_kernel_get(NULL) == NULL, "kernel_get(NULL) is not NULL");
    CHECK(llmspell_vec_kernel_get("SSE") == NULL, "kernel_get(\"SSE\") is not NULL (names are exact)");

    REQUIRE(guarded_make(&ga, MAXN + 32) && guarded_make(&gb, MAXN + 32), "mmap failed");
    for (n = 1; n <= MAXN && harness_failures < 20; n++) {
        for (layout = 0; layout < 3; layout++) {
            float *a, *b;
            if (layout == 0) { a = (float *)(void *)ga.base; b = (float *)(void *)gb.base; }      /* page aligned */
            else if (layout == 1) { a = (float *)(void *)ga.base + 1; b = (float *)(void *)gb.base + 1; } /* one float off */
            else { a = ga.end - n; b = gb.end - n; }                                              /* flush with the guard */
            for (kind = 0; kind < 2; kind++) {
                double S, Sl, exd, exl, exc;
                float sd, sl, sc;
                for (i = 0; i < n; i++) {
                    if (kind == 0) {
                        a[i] = rng_sym(&r);
                        b[i] = rng_sym(&r);
                    } else {
                        a[i] = (float)((int)rng_below(&r, 33) - 16) / 16.0f;
                        b[i] = (float)((int)rng_below(&r, 33) - 16) / 16.0f;
                    }
                }
                exd = dref_dot(a, b, n, &S);
                exl = dref_l2sq(a, b, n);
                Sl = exl;
                exc = dref_cos(a, b, n);
                sd = scalar->dot(a, b, n);
                sl = scalar->l2sq(a, b, n);
                sc = scalar->cosine(a, b, n);
                if (kind == 0) {
                    if (fabs(sd - exd) / (S + 1e-30) > worst[0]) worst[0] = fabs(sd - exd) / (S + 1e-30);
                    if (fabs(sl - exl) / (Sl + 1e-30) > worst[1]) worst[1] = fabs(sl - exl) / (Sl + 1e-30);
                    if (fabs(sc - exc) > worst[2]) worst[2] = fabs(sc - exc);
                    CHECK(fabs(sd - exd) <= 1e-5 * S + 1e-6, "scalar dot n=%zu: %.9g, exact %.9g", n, sd, exd);
                    CHECK(fabs(sl - exl) <= 1e-5 * Sl + 1e-6, "scalar l2sq n=%zu: %.9g, exact %.9g", n, sl, exl);
                    CHECK(fabs(sc - exc) <= 3e-5, "scalar cosine n=%zu: %.9g, exact %.9g", n, sc, exc);
                } else {
                    CHECK(sd == (float)exd, "scalar dot n=%zu exact inputs: %.9g, exact %.9g", n, sd, exd);
                    CHECK(sl == (float)exl, "scalar l2sq n=%zu exact inputs: %.9g, exact %.9g", n, sl, exl);
                }
                for (t = 0; t < nk; t++) {
                    const llmspell_vec_kernel *k = ks[t];
                    float xd = k->dot(a, b, n), xl = k->l2sq(a, b, n), xc = k->cosine(a, b, n);
                    if (kind == 0) {
                        if (fabs(xd - sd) / (S + 1e-30) > worst_k[0]) worst_k[0] = fabs(xd - sd) / (S + 1e-30);
                        if (fabs(xl - sl) / (Sl + 1e-30) > worst_k[1]) worst_k[1] = fabs(xl - sl) / (Sl + 1e-30);
                        if (fabs(xc - sc) > worst_k[2]) worst_k[2] = fabs(xc - sc);
                        CHECK(fabs(xd - sd) <= 1e-5 * S + 1e-6, "%s dot n=%zu layout %d: %.9g, scalar %.9g", k->name, n, layout, xd, sd);
                        CHECK(fabs(xl - sl) <= 1e-5 * Sl + 1e-6, "%s l2sq n=%zu layout %d: %.9g, scalar %.9g", k->name, n, layout, xl,
                              sl);
                        CHECK(fabs(xc - sc) <= 3e-5, "%s cosine n=%zu layout %d: %.9g, scalar %.9g", k->name, n, layout, xc, sc);
                    } else {
                        CHECK(xd == (float)exd, "%s dot n=%zu layout %d exact inputs: %.9g, want %.9g", k->name, n, layout, xd, exd);
                        CHECK(xl == (float)exl, "%s l2sq n=%zu layout %d exact inputs: %.9g, want %.9g", k->name, n, layout, xl, exl);
                        CHECK(fabs(xc - sc) <= 1e-6, "%s cosine n=%zu layout %d exact inputs: %.9g, scalar %.9g", k->name, n, layout, xc,
                              sc);
                    }
                    CHECK(xc >= -1.0001f && xc <= 1.0001f, "%s cosine n=%zu out of [-1,1]: %.9g", k->name, n, xc);
                }
            }
        }
    }
    fprintf(stderr, "note: scalar kernel, worst error / S: dot %.2e, l2sq %.2e; cosine abs %.2e\n", worst[0], worst[1], worst[2]);
    fprintf(stderr, "note: kernels vs scalar, worst difference / S: dot %.2e, l2sq %.2e; cosine abs %.2e (tolerances 1e-5, 1e-5, 3e-5)\n",
            worst_k[0], worst_k[1], worst_k[2]);

    /* a zero vector has cosine 0 (either side, any length, every kernel); identical vectors 1 */
    for (t = 0; t < nk; t++) {
        static const size_t lens[] = {1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 64, 100, 385, 1000};
        size_t li;
        for (li = 0; li < COUNT_OF(lens); li++) {
            float *z = ga.end - lens[li], *y = gb.end - lens[li], c1, c2, c3, c4;
            for (i = 0; i < lens[li]; i++) {
                z[i] = 0.0f;
                y[i] = rng_sym(&r) + 2.0f;
            }
            c1 = ks[t]->cosine(z, y, lens[li]);
            c2 = ks[t]->cosine(y, z, lens[li]);
            c3 = ks[t]->cosine(z, z, lens[li]);
            c4 = ks[t]->cosine(y, y, lens[li]);
            CHECK(c1 == 0.0f && c2 == 0.0f && c3 == 0.0f, "%s cosine with a zero vector (n=%zu): %g %g %g", ks[t]->name, lens[li], c1, c2,
                  c3);
            CHECK(fabsf(c4 - 1.0f) <= 1e-5f, "%s cosine(y, y) n=%zu = %.9g", ks[t]->name, lens[li], c4);
            CHECK(ks[t]->dot(z, y, lens[li]) == 0.0f && ks[t]->l2sq(y, y, lens[li]) == 0.0f, "%s: dot with zero / l2sq to itself not 0",
                  ks[t]->name);
        }
    }
    guarded_free(&ga);
    guarded_free(&gb);
}

/* Half precision: every half value survives a round trip through float32; a float32 becomes the
   nearest half (ties to even), saturating to infinity past 65504. The f16 and int8 kernels of
   every kernel this machine runs against the scalar references: int8 exactly (an integer sum),
   f16 within float rounding and exactly on inputs whose sums are exact (multiples of 1/16);
   lengths 1..2100, aligned, shifted by one element, and flush against a guard page. */
static void test_kernels_quant(void)
{
    enum { MAXN = 2100 };
    const llmspell_vec_kernel *ks[COUNT_OF(KERNEL_NAMES)], *scalar = llmspell_vec_kernel_get("scalar");
    size_t nk = 0, i, n, t;
    guarded ga, gb;
    rng r = {99};
    uint32_t h;
    int layout, kind, bad = 0;
    memset(&ga, 0, sizeof ga);
    memset(&gb, 0, sizeof gb);
    for (i = 0; i < COUNT_OF(KERNEL_NAMES); i++)
        if ((ks[nk] = llmspell_vec_kernel_get(KERNEL_NAMES[i])) != NULL) {
            CHECK(ks[nk]->dot_f16 && ks[nk]->l2sq_f16 && ks[nk]->dot_i8, "kernel %s lacks a quantized function", KERNEL_NAMES[i]);
            nk++;
        }
    for (h = 0; h < 0x10000 && bad < 5; h++) { /* every half that is not NaN round-trips */
        float f = llmspell__f16_f32((uint16_t)h);
        if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;
        if (llmspell__f32_f16(f) != h) { bad++; CHECK(0, "half 0x%04x -> %g -> 0x%04x", (unsigned)h, f, (unsigned)llmspell__f32_f16(f)); }
    }
    CHECK(llmspell__f16_f32(0x3C00) == 1.0f && llmspell__f16_f32(0x7BFF) == 65504.0f && llmspell__f16_f32(0x0001) == 5.9604644775390625e-8f &&
              llmspell__f16_f32(0xC000) == -2.0f, "half constants decode wrong");
    CHECK(llmspell__f32_f16(65519.0f) == 0x7BFF && llmspell__f32_f16(65520.0f) == 0x7C00 && llmspell__f32_f16(-1e9f) == 0xFC00,
          "the largest half / overflow to infinity");
    CHECK(llmspell__f32_f16(1.0f + 1.0f / 2048) == 0x3C00 && llmspell__f32_f16(1.0f + 3.0f / 2048) == 0x3C02, "ties go to even");
    for (i = 0; i < 200000 && bad < 10; i++) { /* nearest: no neighbouring half is closer */
        float f = (float)(rng_gauss(&r) * pow(2.0, (double)rng_below(&r, 50) - 30));
        uint16_t y = llmspell__f32_f16(f);
        double e = fabs((double)llmspell__f16_f32(y) - f), lo, hi;
        if ((y & 0x7FFF) >= 0x7C00) continue;
        lo = (y & 0x7FFF) ? fabs((double)llmspell__f16_f32((uint16_t)(y - 1)) - f) : e;
        hi = (y & 0x7FFF) < 0x7BFF ? fabs((double)llmspell__f16_f32((uint16_t)(y + 1)) - f) : e;
        if (e > lo || e > hi) { bad++; CHECK(0, "%.9g became half %.9g, a neighbour is closer", f, llmspell__f16_f32(y)); }
    }
    REQUIRE(guarded_make(&ga, MAXN + 32) && guarded_make(&gb, MAXN + 32), "mmap failed");
    for (n = 1; n <= MAXN && harness_failures < 20; n += n < 300 ? 1 : 7) {
        for (layout = 0; layout < 3; layout++) {
            for (kind = 0; kind < 2; kind++) {
                uint16_t *a, *b;
                int8_t *p, *q;
                double S = 0, Sl = 0;
                int32_t want;
                float sd, sl;
                if (layout == 0) { a = (uint16_t *)(void *)ga.base; b = (uint16_t *)(void *)gb.base; }
                else if (layout == 1) { a = (uint16_t *)(void *)ga.base + 1; b = (uint16_t *)(void *)gb.base + 1; }
                else { a = (uint16_t *)(void *)ga.end - n; b = (uint16_t *)(void *)gb.end - n; }
                for (i = 0; i < n; i++) {
                    float x = kind ? (float)((int)rng_below(&r, 33) - 16) / 16.0f : rng_sym(&r) * 3.0f;
                    float y = kind ? (float)((int)rng_below(&r, 33) - 16) / 16.0f : rng_sym(&r) * 3.0f;
                    a[i] = llmspell__f32_f16(x);
                    b[i] = llmspell__f32_f16(y);
                    x = llmspell__f16_f32(a[i]);
                    y = llmspell__f16_f32(b[i]);
                    S += fabs((double)x * y);
                    Sl += ((double)x - y) * ((double)x - y);
                }
                sd = scalar->dot_f16(a, b, n);
                sl = scalar->l2sq_f16(a, b, n);
                for (t = 0; t < nk; t++) {
                    float xd = ks[t]->dot_f16(a, b, n), xl = ks[t]->l2sq_f16(a, b, n);
                    if (kind) {
                        CHECK(xd == sd && xl == sl, "%s f16 n=%zu layout %d exact inputs: dot %.9g / %.9g, l2sq %.9g / %.9g", ks[t]->name, n,
                              layout, xd, sd, xl, sl);
                    } else {
                        CHECK(fabs(xd - sd) <= 1e-5 * S + 1e-6, "%s dot_f16 n=%zu layout %d: %.9g, scalar %.9g", ks[t]->name, n, layout, xd, sd);
                        CHECK(fabs(xl - sl) <= 1e-5 * Sl + 1e-6, "%s l2sq_f16 n=%zu layout %d: %.9g, scalar %.9g", ks[t]->name, n, layout, xl, sl);
                    }
                }
                if (layout == 0) { p = (int8_t *)ga.base; q = (int8_t *)gb.base; }
                else if (layout == 1) { p = (int8_t *)ga.base + 1; q = (int8_t *)gb.base + 3; }
                else { p = (int8_t *)(void *)ga.end - n; q = (int8_t *)(void *)gb.end - n; }
                want = 0;
                for (i = 0; i < n; i++) {
                    p[i] = (int8_t)(kind ? (i & 1 ? -127 : 127) : (int)rng_below(&r, 255) - 127);
                    q[i] = (int8_t)(kind ? 127 : (int)rng_below(&r, 255) - 127);
                    want += (int32_t)p[i] * q[i];
                }
                for (t = 0; t < nk; t++) {
                    int32_t got = ks[t]->dot_i8(p, q, n);
                    CHECK(got == want, "%s dot_i8 n=%zu layout %d: %ld, want %ld", ks[t]->name, n, layout, (long)got, (long)want);
                }
            }
        }
    }
    { /* the extreme the format allows: 65536 products of 127 * 127 (int8 values of -127..127) */
        int8_t *p = (int8_t *)xmalloc(65536), *q = (int8_t *)xmalloc(65536);
        memset(p, 127, 65536);
        memset(q, 0x81, 65536); /* -127 */
        for (t = 0; t < nk; t++)
            CHECK(ks[t]->dot_i8(p, q, 65536) == -127 * 127 * 65536, "%s dot_i8 over 65536 extremes: %ld", ks[t]->name,
                  (long)ks[t]->dot_i8(p, q, 65536));
        free(p);
        free(q);
    }
    guarded_free(&ga);
    guarded_free(&gb);
}

/* Clustered vectors for the quantized collections: what embeddings look like (not uniform). */
static float *quant_data(size_t n, uint32_t dim, uint64_t seed)
{
    float *x = (float *)xmalloc(n * dim * sizeof *x), *c = (float *)xmalloc(16 * (size_t)dim * sizeof *c);
    rng r;
    size_t i, j;
    r.s = seed;
    for (i = 0; i < 16 * (size_t)dim; i++) c[i] = (float)rng_gauss(&r);
    for (i = 0; i < n; i++)
        for (j = 0; j < dim; j++) x[i * dim + j] = c[(i % 16) * dim + j] + 0.6f * (float)rng_gauss(&r);
    free(c);
    return x;
}

/* The exact top k of q over x[0..n) in double: ids "q<i>", best first. */
static void quant_truth(const float *x, size_t n, uint32_t dim, const float *q, llmspell_metric m, size_t k, size_t *best)
{
    double *bd = (double *)xmalloc(k * sizeof *bd), qq = 0;
    size_t i, j, have = 0;
    for (j = 0; j < dim; j++) qq += (double)q[j] * q[j];
    for (i = 0; i < n; i++) {
        double s = 0, xx = 0, d;
        size_t p;
        for (j = 0; j < dim; j++) {
            double a = x[i * dim + j];
            s += m == LLMSPELL_METRIC_L2 ? (a - q[j]) * (a - q[j]) : a * q[j];
            xx += a * a;
        }
        d = m == LLMSPELL_METRIC_L2 ? s : m == LLMSPELL_METRIC_IP ? -s : -s / sqrt(xx * qq);
        if (have == k && d >= bd[k - 1]) continue;
        p = have < k ? have++ : k - 1;
        while (p > 0 && bd[p - 1] > d) { bd[p] = bd[p - 1]; best[p] = best[p - 1]; p--; }
        bd[p] = d;
        best[p] = i;
    }
    free(bd);
}

/* The score search gives x for q, in double: cosine similarity, Euclidean distance, or the dot product. */
static double quant_exact_score(const float *x, const float *q, uint32_t dim, llmspell_metric m)
{
    double s = 0, xx = 0, qq = 0, l2 = 0;
    uint32_t j;
    for (j = 0; j < dim; j++) {
        s += (double)x[j] * q[j];
        xx += (double)x[j] * x[j];
        qq += (double)q[j] * q[j];
        l2 += ((double)x[j] - q[j]) * ((double)x[j] - q[j]);
    }
    return m == LLMSPELL_METRIC_L2 ? sqrt(l2) : m == LLMSPELL_METRIC_IP ? s : s / sqrt(xx * qq);
}

/* The float32 a kv keeps for record id of collection "qc" (bit for bit what was added). */
static int quant_stored(llmspell_kv *kv, const char *id, float *out, uint32_t dim)
{
    uint8_t key[600];
    const void *val;
    size_t kn = llmspell__vkey(key, sizeof key, 'r', "qc", 2, id, strlen(id), 0, 0, 0, 0), vn;
    llmspell__recview rv;
    if (llmspell_kv_get(kv, key, kn, &val, &vn) != LLMSPELL_OK || !llmspell__rec_parse((const uint8_t *)val, vn, &rv) || rv.dim != dim) return 0;
    llmspell__vec_decode(rv.vec, out, dim);
    return 1;
}

/* f16 and int8 collections, every metric, on a file store:
   - recall@10 of search against the exact float32 answer: f16 within 0.01 of an f32
     collection's on the same data, int8 >= 0.9; get's vector within the rounding of its form;
   - memory: each vector's block smaller by what its form saves;
   - closed and reopened (the saved graph, a deleted waypoint in it): the same answers bit for
     bit; the kv keeps every float32 exactly;
   - exported and imported into a new store: the setting comes back, the same float32 are kept,
     get returns the same values and search_exact the same answers;
   - a query whose values are beyond half precision searches an f16 collection (saturated);
   - re-ranked (query.rerank): exact scores, in order, recall no lower. */
static void test_quantized(void)
{
    enum { N = 1000, DIM = 72, NQ = 30, K = 10 };
    static const llmspell_metric metrics[] = {LLMSPELL_METRIC_COSINE, LLMSPELL_METRIC_L2, LLMSPELL_METRIC_IP};
    float *x = quant_data(N + NQ, DIM, 4242), *back = (float *)xmalloc(DIM * sizeof *back);
    static llmspell_vec_record recs[250];
    static char recids[250][16];
    llmspell_vec_options o = opts_clock(NULL);
    size_t mi, i, j, best[K];
    for (mi = 0; mi < COUNT_OF(metrics); mi++) {
        double recall[3] = {0, 0, 0};
        uint64_t mem[3] = {0, 0, 0};
        int quant;
        for (quant = 0; quant < 3; quant++) {
            llmspell_vec_config c = config_of(metrics[mi], 8, 64, 0); /* small: the test also runs under valgrind */
            llmspell_kv kv, kv2;
            llmspell_vec *v, *v2;
            llmspell_vec_info info;
            llmspell_vec_hit h1[K], h2[K];
            llmspell_vec_query q;
            llmspell_vec_record g;
            char path[COMPAT_PATH_MAX], path2[COMPAT_PATH_MAX], id[16], ids[K][16];
            size_t n1, n2, qi;
            FILE *f;
            c.quant = (llmspell_vec_quant)quant;
            tmp_path(path, sizeof path, "quant");
            tmp_path(path2, sizeof path2, "quant2");
            REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
            REQUIRE_RC(llmspell_vec_create(&kv, "qc", &c, &o), LLMSPELL_OK);
            REQUIRE_RC(llmspell_vec_open(&v, &kv, "qc", NULL, &o), LLMSPELL_OK);
            for (i = 0; i < N; i++) { /* in batches of 250: one kv commit each */
                snprintf(recids[i % 250], sizeof recids[0], "q%zu", i);
                recs[i % 250] = rec_of(recids[i % 250], x + i * DIM, DIM, NULL);
                if (i % 250 == 249) REQUIRE_RC(llmspell_vec_add_batch(v, recs, 250), LLMSPELL_OK);
            }
            CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
            CHECK(info.config.quant == c.quant, "info.config.quant %d, created with %d", (int)info.config.quant, quant);
            mem[quant] = info.memory_bytes;
            memset(&q, 0, sizeof q);
            q.dim = DIM;
            q.k = K;
            q.ef = 64;
            for (qi = 0; qi < NQ; qi++) {
                q.vector = x + (N + qi) * DIM;
                quant_truth(x, N, DIM, q.vector, metrics[mi], K, best);
                REQUIRE_RC(llmspell_vec_search(v, &q, h1, &n1), LLMSPELL_OK);
                for (i = 0; i < n1; i++)
                    for (j = 0; j < K; j++) {
                        snprintf(id, sizeof id, "q%zu", best[j]);
                        recall[quant] += strcmp(id, h1[i].id) == 0;
                    }
            }
            recall[quant] /= NQ * K;
            if (quant != LLMSPELL_VEC_F32) { /* re-ranked on the kept float32: exact scores, recall no worse */
                double rr = 0;
                q.rerank = 40;
                for (qi = 0; qi < NQ; qi++) {
                    q.vector = x + (N + qi) * DIM;
                    quant_truth(x, N, DIM, q.vector, metrics[mi], K, best);
                    REQUIRE_RC(llmspell_vec_search(v, &q, h1, &n1), LLMSPELL_OK);
                    CHECK(n1 == K, "re-ranked search: %zu hits", n1);
                    for (i = 0; i < n1; i++) {
                        size_t row = (size_t)strtoul(h1[i].id + 1, NULL, 10);
                        double want = quant_exact_score(x + row * DIM, q.vector, DIM, metrics[mi]);
                        CHECK(fabs(h1[i].score - want) <= 1e-4 * (1 + fabs(want)), "re-ranked %s: score %.7g, exact %.7g", h1[i].id, h1[i].score, want);
                        CHECK(i == 0 || (metrics[mi] == LLMSPELL_METRIC_L2 ? h1[i].score >= h1[i - 1].score : h1[i].score <= h1[i - 1].score),
                              "re-ranked hits out of order at %zu", i);
                        for (j = 0; j < K; j++) {
                            snprintf(id, sizeof id, "q%zu", best[j]);
                            rr += strcmp(id, h1[i].id) == 0;
                        }
                    }
                }
                q.rerank = 0;
                rr /= NQ * K;
                fprintf(stderr, "note: quantized %s %s: recall@10 %.3f, re-ranked from 40 %.3f\n", llmspell_vec_metric_name(metrics[mi]),
                        llmspell_vec_quant_name(c.quant), recall[quant], rr);
                CHECK(rr >= recall[quant], "%s %s: re-ranked recall %.3f below %.3f", llmspell_vec_metric_name(metrics[mi]),
                      llmspell_vec_quant_name(c.quant), rr, recall[quant]);
            }
            for (i = 0; i < N; i += 97) { /* get: the index's values, within their rounding */
                double worst = 0, mx = 0;
                snprintf(id, sizeof id, "q%zu", i);
                REQUIRE_RC(llmspell_vec_get(v, id, &g), LLMSPELL_OK);
                for (j = 0; j < DIM; j++) {
                    double e = fabs((double)g.embedding[j] - x[i * DIM + j]);
                    if (quant == LLMSPELL_VEC_F16) e /= fabs((double)x[i * DIM + j]) + 1e-30;
                    worst = e > worst ? e : worst;
                    mx = fabs((double)x[i * DIM + j]) > mx ? fabs((double)x[i * DIM + j]) : mx;
                }
                if (quant == LLMSPELL_VEC_F32) CHECK(worst == 0, "f32 get changed the vector of %s", id);
                if (quant == LLMSPELL_VEC_F16) CHECK(worst <= 1.0 / 2048, "f16 get of %s: relative error %g", id, worst);
                if (quant == LLMSPELL_VEC_INT8) CHECK(worst <= mx / 127 * 0.5001, "int8 get of %s: error %g over a step of %g", id, worst, mx / 127);
            }
            /* delete a few (waypoints in the saved graph), then the saved graph answers the same */
            for (i = 0; i < N; i += 211) {
                snprintf(id, sizeof id, "q%zu", i);
                CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
            }
            for (i = N; i < N + 3; i++) { /* and add a few: some of them take a deleted node's slot */
                llmspell_vec_record rec;
                snprintf(id, sizeof id, "q%zu", i);
                rec = rec_of(id, x + (i - N + 5) * DIM, DIM, NULL);
                CHECK_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
            }
            q.vector = x + N * DIM;
            CHECK_RC(llmspell_vec_search(v, &q, h1, &n1), LLMSPELL_OK);
            for (i = 0; i < n1; i++) snprintf(ids[i], sizeof ids[i], "%s", h1[i].id); /* the hits point into v */
            llmspell_vec_close(v);
            REQUIRE_RC(llmspell_vec_open(&v, &kv, "qc", NULL, &o), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
            CHECK(info.graph_loaded == 1, "quant %d: the saved graph was not loaded", quant);
            CHECK_RC(llmspell_vec_search(v, &q, h2, &n2), LLMSPELL_OK);
            CHECK(n1 == n2, "reopened: %zu hits, %zu before", n2, n1);
            for (i = 0; i < n1 && i < n2; i++)
                CHECK(strcmp(ids[i], h2[i].id) == 0 && h1[i].score == h2[i].score, "quant %d reopened hit %zu: %s %.9g, before %s %.9g", quant, i,
                      h2[i].id, h2[i].score, ids[i], h1[i].score);
            for (i = 1; i < N; i += 131) {
                snprintf(id, sizeof id, "q%zu", i);
                if (i % 211 == 0) continue;
                CHECK(quant_stored(&kv, id, back, DIM) && memcmp(back, x + i * DIM, DIM * sizeof *back) == 0, "quant %d: the kv's float32 of %s changed",
                      quant, id);
            }
            /* export, import into a new store */
            REQUIRE((f = tmpfile()) != NULL, "tmpfile");
            CHECK_RC(llmspell_export_store_file(&kv, f, NULL, NULL, NULL), LLMSPELL_OK);
            rewind(f);
            REQUIRE_RC(llmspell_kv_open_file(&kv2, path2, NULL), LLMSPELL_OK);
            CHECK_RC(llmspell_export_import_file(&kv2, f, NULL, NULL, NULL), LLMSPELL_OK);
            fclose(f);
            REQUIRE_RC(llmspell_vec_open(&v2, &kv2, "qc", NULL, &o), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_info_get(v2, &info), LLMSPELL_OK);
            CHECK(info.config.quant == c.quant && info.count == N + 3 - (N + 210) / 211, "imported: quant %d (want %d), %llu records",
                  (int)info.config.quant, quant, (unsigned long long)info.count);
            for (i = 1; i < N; i += 131) {
                llmspell_vec_record g2;
                snprintf(id, sizeof id, "q%zu", i);
                if (i % 211 == 0) continue;
                CHECK(quant_stored(&kv2, id, back, DIM) && memcmp(back, x + i * DIM, DIM * sizeof *back) == 0,
                      "quant %d: the imported float32 of %s differ", quant, id);
                REQUIRE_RC(llmspell_vec_get(v, id, &g), LLMSPELL_OK);
                memcpy(back, g.embedding, DIM * sizeof *back);
                REQUIRE_RC(llmspell_vec_get(v2, id, &g2), LLMSPELL_OK);
                CHECK(memcmp(back, g2.embedding, DIM * sizeof *back) == 0, "quant %d: get of %s differs after import", quant, id);
            }
            CHECK_RC(llmspell_vec_search_exact(v, &q, h1, &n1), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_search_exact(v2, &q, h2, &n2), LLMSPELL_OK);
            for (i = 0; i < n1 && i < n2; i++)
                CHECK(n1 == n2 && strcmp(h1[i].id, h2[i].id) == 0 && h1[i].score == h2[i].score, "quant %d imported exact hit %zu: %s, before %s", quant,
                      i, h2[i].id, h1[i].id);
            if (quant == LLMSPELL_VEC_F16) { /* beyond half precision: saturated, still an answer */
                float big[DIM];
                for (j = 0; j < DIM; j++) big[j] = j & 1 ? 1e6f : -3.0f;
                q.vector = big;
                CHECK_RC(llmspell_vec_search(v, &q, h1, &n1), LLMSPELL_OK);
                CHECK(n1 == K, "f16 search with values past 65504: %zu hits", n1);
            }
            llmspell_vec_close(v2);
            llmspell_vec_close(v);
            llmspell_kv_close(&kv2);
            llmspell_kv_close(&kv);
        }
        fprintf(stderr, "note: quantized %s: recall@10 f32 %.3f f16 %.3f int8 %.3f; memory f32 %llu B, f16 %llu, int8 %llu\n",
                llmspell_vec_metric_name(metrics[mi]), recall[0], recall[1], recall[2], (unsigned long long)mem[0], (unsigned long long)mem[1],
                (unsigned long long)mem[2]);
        CHECK(recall[1] >= recall[0] - 0.01, "%s: f16 recall %.3f, f32 %.3f", llmspell_vec_metric_name(metrics[mi]), recall[1], recall[0]);
        CHECK(recall[2] >= 0.9, "%s: int8 recall %.3f", llmspell_vec_metric_name(metrics[mi]), recall[2]);
        /* every block smaller by what the form saves: f16 2 bytes a dimension, int8 3 less the 4 of its second float */
        CHECK(mem[0] - mem[1] >= (uint64_t)N * 2 * DIM && mem[0] - mem[2] >= (uint64_t)N * (3 * DIM - 4), "%s: memory f32 %llu, f16 %llu, int8 %llu",
              llmspell_vec_metric_name(metrics[mi]), (unsigned long long)mem[0], (unsigned long long)mem[1], (unsigned long long)mem[2]);
    }
    { /* settings: an unknown quant is refused; reopening with another one is a conflict */
        llmspell_kv kv;
        llmspell_vec *v;
        llmspell_vec_config c = config_of(LLMSPELL_METRIC_L2, 0, 0, 0), c2;
        llmspell_vec_quant qv;
        REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
        c.quant = (llmspell_vec_quant)3;
        CHECK_RC(llmspell_vec_create(&kv, "bad", &c, NULL), LLMSPELL_ERR_INVALID);
        CHECK(strstr(llmspell_kv_errmsg(&kv), "quantization") != NULL, "message: %s", llmspell_kv_errmsg(&kv));
        c.quant = LLMSPELL_VEC_INT8;
        CHECK_RC(llmspell_vec_create(&kv, "i8", &c, NULL), LLMSPELL_OK);
        c2 = c;
        c2.quant = LLMSPELL_VEC_F16;
        CHECK_RC(llmspell_vec_open(&v, &kv, "i8", &c2, NULL), LLMSPELL_ERR_CONFLICT);
        CHECK_RC(llmspell_vec_open(&v, &kv, "i8", &c, NULL), LLMSPELL_OK);
        llmspell_vec_close(v);
        CHECK(llmspell_vec_quant_parse("int8", &qv) == LLMSPELL_OK && qv == LLMSPELL_VEC_INT8 && llmspell_vec_quant_parse("i8", &qv) == LLMSPELL_ERR_INVALID &&
                  strcmp(llmspell_vec_quant_name(LLMSPELL_VEC_F16), "f16") == 0 && llmspell_vec_quant_name((llmspell_vec_quant)7) == NULL,
              "quant names");
        llmspell_kv_close(&kv);
    }
    free(back);
    free(x);
}

/* A collection opened with a forced kernel reports it and finds the same neighbours. */
static void test_kernel_forced(void)
{
    enum { N = 400, DIM = 19 };
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config c = config_of(LLMSPELL_METRIC_L2, 0, 0, 0);
    float *x = (float *)xmalloc((size_t)N * DIM * sizeof *x);
    rng r = {77};
    size_t i, t;
    for (i = 0; i < (size_t)N * DIM; i++) x[i] = rng_sym(&r);
    for (t = 0; t < COUNT_OF(KERNEL_NAMES); t++) {
        llmspell_vec *v;
        llmspell_vec_info info;
        llmspell_vec_record rec;
        llmspell_vec_query q;
        llmspell_vec_hit hits[5];
        size_t n;
        char id[16];
        if (!llmspell_vec_kernel_get(KERNEL_NAMES[t])) continue;
        o.kernel = KERNEL_NAMES[t];
        REQUIRE_RC(llmspell_vec_open(&v, NULL, "forced", &c, &o), LLMSPELL_OK);
        for (i = 0; i < N; i++) {
            memset(&rec, 0, sizeof rec);
            snprintf(id, sizeof id, "v%zu", i);
            rec.id = id;
            rec.embedding = x + i * DIM;
            rec.dim = DIM;
            CHECK_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
        }
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.kernel && strcmp(info.kernel, KERNEL_NAMES[t]) == 0, "info.kernel %s, forced %s", info.kernel ? info.kernel : "(null)",
              KERNEL_NAMES[t]);
        memset(&q, 0, sizeof q);
        q.vector = x + 123 * DIM;
        q.dim = DIM;
        q.k = 5;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 5 && strcmp(hits[0].id, "v123") == 0 && hits[0].score <= 1e-3f, "kernel %s: own vector is not the nearest (%s %g)",
              KERNEL_NAMES[t], n ? hits[0].id : "-", n ? hits[0].score : -1.0);
        llmspell_vec_close(v);
    }
    o.kernel = "nope";
    {
        llmspell_vec *v = (llmspell_vec *)&o; /* must be reset to NULL */
        CHECK_RC(llmspell_vec_open(&v, NULL, "forced", &c, &o), LLMSPELL_ERR_UNSUPPORTED);
        CHECK(v == NULL, "a failed open left *out set");
    }
    free(x);
}

/* ------------------------------------------------------------------------------------------ */
/* >>data sets: clustered vectors from a fixed seed                                            */

typedef struct dataset { uint32_t n, dim; float *x; } dataset;

static const float *ds_vec(const dataset *d, uint32_t i) { return d->x + (size_t)i * d->dim; }

/* n points around nclusters Gaussian centres (noise per coordinate); vary_norm scales each
   point by a factor in [0.5, 2) so that inner product differs from cosine. */
static void ds_make_noise(dataset *d, uint32_t n, uint32_t dim, uint32_t nclusters, uint64_t seed, int vary_norm, float noise)
{
    rng r;
    float *centres = (float *)xmalloc((size_t)nclusters * dim * sizeof *centres);
    uint32_t i, j;
    r.s = seed;
    d->n = n;
    d->dim = dim;
    d->x = (float *)xmalloc((size_t)n * dim * sizeof *d->x);
    for (i = 0; i < nclusters * dim; i++) centres[i] = (float)rng_gauss(&r);
    for (i = 0; i < n; i++) {
        const float *c = centres + (size_t)rng_below(&r, nclusters) * dim;
        float scale = vary_norm ? (float)(0.5 + 1.5 * rng_unit(&r)) : 1.0f;
        for (j = 0; j < dim; j++) d->x[(size_t)i * dim + j] = (c[j] + noise * (float)rng_gauss(&r)) * scale;
    }
    free(centres);
}

static void ds_make(dataset *d, uint32_t n, uint32_t dim, uint32_t nclusters, uint64_t seed, int vary_norm)
{
    ds_make_noise(d, n, dim, nclusters, seed, vary_norm, 0.4f);
}

static void ds_free(dataset *d) { free(d->x); d->x = NULL; }

static double ref_score(llmspell_metric m, const float *a, const float *b, uint32_t dim)
{
    if (m == LLMSPELL_METRIC_COSINE) return dref_cos(a, b, dim);
    if (m == LLMSPELL_METRIC_L2) return sqrt(dref_l2sq(a, b, dim));
    return dref_dot(a, b, dim, NULL);
}

static int score_better(llmspell_metric m, double a, double b) { return m == LLMSPELL_METRIC_L2 ? a < b : a > b; }

/* Adds points [from, to) as ids pfx<i>, in batches; meta(i) gives the metadata (NULL fn: none). */
typedef const char *(*meta_fn)(uint32_t i, char *buf, size_t cap);

static llmspell_result add_range(llmspell_vec *v, const dataset *d, uint32_t src_off, const char *pfx, uint32_t from, uint32_t to,
                                 uint32_t batch, meta_fn meta)
{
    llmspell_vec_record *recs = (llmspell_vec_record *)xcalloc(batch, sizeof *recs);
    char (*ids)[32] = (char (*)[32])xmalloc((size_t)batch * 32);
    char (*metas)[512] = (char (*)[512])xmalloc((size_t)batch * 512);
    llmspell_result rc = LLMSPELL_OK;
    uint32_t i, k;
    for (i = from; i < to && rc == LLMSPELL_OK; i += k) {
        for (k = 0; k < batch && i + k < to; k++) {
            memset(&recs[k], 0, sizeof recs[k]);
            snprintf(ids[k], 32, "%s%u", pfx, i + k);
            recs[k].id = ids[k];
            recs[k].embedding = ds_vec(d, src_off + i + k);
            recs[k].dim = d->dim;
            recs[k].metadata = meta ? meta(i + k, metas[k], 512) : NULL;
        }
        rc = llmspell_vec_add_batch(v, recs, k);
    }
    free(recs);
    free(ids);
    free(metas);
    return rc;
}

/* The id's number after its prefix, or -1. */
static long id_num(const char *id, const char *pfx)
{
    size_t pl = strlen(pfx);
    char *end;
    long x;
    if (strncmp(id, pfx, pl) != 0 || !id[pl]) return -1;
    x = strtol(id + pl, &end, 10);
    return *end ? -1 : x;
}

/* |got ∩ want| / |want| by id. */
static double overlap(const llmspell_vec_hit *got, size_t ng, const llmspell_vec_hit *want, size_t nw)
{
    size_t i, j, c = 0;
    if (nw == 0) return ng == 0 ? 1.0 : 0.0;
    for (i = 0; i < nw; i++)
        for (j = 0; j < ng; j++)
            if (strcmp(want[i].id, got[j].id) == 0) { c++; break; }
    return (double)c / (double)nw;
}

static int sorted_best_first(llmspell_metric m, const llmspell_vec_hit *h, size_t n)
{
    size_t i;
    for (i = 1; i < n; i++)
        if (score_better(m, h[i].score, h[i - 1].score)) return 0;
    return 1;
}

static int distinct_ids(const llmspell_vec_hit *h, size_t n)
{
    size_t i, j;
    for (i = 0; i < n; i++)
        for (j = 0; j < i; j++)
            if (strcmp(h[i].id, h[j].id) == 0) return 0;
    return 1;
}

static llmspell_vec_query query_of(const float *x, uint32_t dim, size_t k, uint32_t ef, const llmspell_vec_filter *f)
{
    llmspell_vec_query q;
    memset(&q, 0, sizeof q);
    q.vector = x;
    q.dim = dim;
    q.k = k;
    q.ef = ef;
    q.filter = f;
    return q;
}

/* Mean recall@k of search vs search_exact over queries [qfrom, qfrom+nq) of d. */
static double mean_recall(llmspell_vec *v, const dataset *d, uint32_t qfrom, uint32_t nq, size_t k, uint32_t ef, int *errors)
{
    llmspell_vec_hit *a = (llmspell_vec_hit *)xcalloc(k, sizeof *a), *b = (llmspell_vec_hit *)xcalloc(k, sizeof *b);
    double sum = 0;
    uint32_t i;
    for (i = 0; i < nq; i++) {
        llmspell_vec_query q = query_of(ds_vec(d, qfrom + i), d->dim, k, ef, NULL);
        size_t na = 0, nb = 0;
        if (llmspell_vec_search(v, &q, a, &na) != LLMSPELL_OK || llmspell_vec_search_exact(v, &q, b, &nb) != LLMSPELL_OK) {
            (*errors)++;
            continue;
        }
        if (na != nb) (*errors)++;
        sum += overlap(a, na, b, nb);
    }
    free(a);
    free(b);
    return nq ? sum / nq : 1.0;
}

/* ------------------------------------------------------------------------------------------ */
/* >>recall per metric                                                                         */

typedef struct metric_case { const char *name; llmspell_metric m; } metric_case;
static const metric_case METRICS[] = {{"cosine", LLMSPELL_METRIC_COSINE}, {"l2", LLMSPELL_METRIC_L2}, {"ip", LLMSPELL_METRIC_IP}};

/* 5000 clustered vectors of dim 32, 100 queries: recall@10 of the graph search at ef 64
   against search_exact must reach RECALL_FLOOR; search_exact must agree with a brute force in
   double; hits are sorted best first with scores that match a direct computation:
   cosine = similarity in [-1, 1] (within 1e-4), l2 = Euclidean distance, ip = dot product
   (within 1e-4 relative). */
#define RECALL_FLOOR 0.95

static void test_recall(const void *arg)
{
    const metric_case *mc = (const metric_case *)arg;
    enum { N = 5000, DIM = 32, NQ = 100, K = 10 };
    dataset d;
    llmspell_vec *v;
    llmspell_vec_config cfg = config_of(mc->m, 0, 0, 0);
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_info info;
    llmspell_vec_hit hits[K], ex[K];
    double recall = 0, recall_default = 0;
    double *all = (double *)xmalloc(N * sizeof *all);
    uint32_t qi, i;
    int errors = 0;

    /* overlapping clusters (noise as large as the spread of the centres): a hard set */
    ds_make_noise(&d, N + NQ, DIM, 40, 4242, mc->m == LLMSPELL_METRIC_IP, 1.0f);
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "recall", &cfg, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "v", 0, N, 500, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == N && info.ndims == 1 && info.dims[0] == DIM && info.dim_counts[0] == N,
          "info: count %llu ndims %u dims[0] %u counts[0] %llu", (unsigned long long)info.count, info.ndims, info.dims[0],
          (unsigned long long)info.dim_counts[0]);
    CHECK(info.config.metric == mc->m && info.config.M == 16 && info.config.ef_construction == 200 && info.config.ef_search == 50,
          "info.config: metric %d M %u efc %u efs %u (defaults 16/200/50)", (int)info.config.metric, info.config.M,
          info.config.ef_construction, info.config.ef_search);
    CHECK(info.kernel && strcmp(info.kernel, llmspell_vec_kernel_best()->name) == 0, "info.kernel %s", info.kernel ? info.kernel : "-");
    CHECK(info.memory_bytes >= (uint64_t)N * DIM * 4, "memory_bytes %llu is less than the vectors alone", (unsigned long long)info.memory_bytes);

    for (qi = 0; qi < NQ && harness_failures < 10; qi++) {
        const float *qv = ds_vec(&d, N + qi);
        llmspell_vec_query q = query_of(qv, DIM, K, 64, NULL);
        size_t n = 0, ne = 0, j;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_search_exact(v, &q, ex, &ne), LLMSPELL_OK);
        CHECK(n == K && ne == K, "query %u: %zu hits, %zu exact, want %d", qi, n, ne, K);
        CHECK(sorted_best_first(mc->m, hits, n) && sorted_best_first(mc->m, ex, ne), "query %u: hits not sorted best first", qi);
        CHECK(distinct_ids(hits, n), "query %u: an id twice", qi);
        /* the exact search against a brute force in double: the k-th best score must agree */
        for (i = 0; i < N; i++) all[i] = ref_score(mc->m, qv, ds_vec(&d, i), DIM);
        for (j = 0; j < ne; j++) {
            long x = id_num(ex[j].id, "v");
            size_t better = 0;
            REQUIRE(x >= 0 && x < N, "exact hit id %s", ex[j].id);
            for (i = 0; i < N; i++) better += score_better(mc->m, all[i], all[x]) && fabs(all[i] - all[x]) > 1e-5 * (1 + fabs(all[x]));
            CHECK(better <= j, "query %u: exact hit %zu (%s) has %zu better records", qi, j, ex[j].id, better);
        }
        for (j = 0; j < n; j++) {
            long x = id_num(hits[j].id, "v");
            double want;
            REQUIRE(x >= 0 && x < N, "hit id %s", hits[j].id);
            want = all[x];
            if (mc->m == LLMSPELL_METRIC_COSINE) {
                CHECK(hits[j].score >= -1.0f && hits[j].score <= 1.0f, "cosine score %.9g out of [-1, 1]", hits[j].score);
                CHECK(fabs(hits[j].score - want) <= 1e-4, "query %u %s: cosine score %.9g, direct %.9g", qi, hits[j].id, hits[j].score, want);
            } else {
                CHECK(fabs(hits[j].score - want) <= 1e-4 * (1 + fabs(want)), "query %u %s: %s score %.9g, direct %.9g", qi, hits[j].id,
                      mc->name, hits[j].score, want);
            }
            CHECK(hits[j].metadata && hits[j].metadata_len == 2 && memcmp(hits[j].metadata, "{}", 2) == 0,
                  "metadata of a record added without any: %.*s", (int)hits[j].metadata_len, hits[j].metadata ? hits[j].metadata : "");
        }
        recall += overlap(hits, n, ex, ne);
    }
    recall /= NQ;
    recall_default = mean_recall(v, &d, N, NQ, K, 0, &errors);
    fprintf(stderr, "note: %s: recall@10 %.4f at ef 64, %.4f at the default ef 50 (floor %.2f)\n", mc->name, recall, recall_default,
            RECALL_FLOOR);
    CHECK(recall >= RECALL_FLOOR, "%s: recall@10 at ef 64 is %.4f, floor %.2f", mc->name, recall, RECALL_FLOOR);
    CHECK(errors == 0, "%d searches failed", errors);
    { /* k >= count: every record, each once, best first */
        llmspell_vec_hit *every = (llmspell_vec_hit *)xcalloc(N + 5, sizeof *every);
        llmspell_vec_query q = query_of(ds_vec(&d, N), DIM, N + 5, 0, NULL);
        size_t n = 0;
        CHECK_RC(llmspell_vec_search(v, &q, every, &n), LLMSPELL_OK);
        CHECK(n == N && distinct_ids(every, n) && sorted_best_first(mc->m, every, n), "%s: k = %d > count gives %zu hits, want all %d",
              mc->name, N + 5, n, N);
        { /* the same with a filter every record passes */
            llmspell_vec_filter all = FB(LLMSPELL_F_AND, NULL, 0);
            q.filter = &all;
            CHECK_RC(llmspell_vec_search(v, &q, every, &n), LLMSPELL_OK);
            CHECK(n == N && distinct_ids(every, n), "%s: filtered k = %d > count gives %zu hits, want all %d", mc->name, N + 5, n, N);
        }
        free(every);
    }
    llmspell_vec_close(v);
    ds_free(&d);
    free(all);
}

/* ------------------------------------------------------------------------------------------ */
/* >>deletes and updates                                                                       */

static int has_prefix_parity(const llmspell_vec_hit *h, size_t n, const char *pfx, int parity)
{
    size_t i;
    for (i = 0; i < n; i++) {
        long x = id_num(h[i].id, pfx);
        if (x >= 0 && x % 2 == parity) return 1;
    }
    return 0;
}

/* Delete half, then add as many new ones: deleted ids never come back, their slots are
   reused (memory does not grow), recall holds, a reopen loads the same graph. */
static void test_deletes(void)
{
    enum { N = 3000, DIM = 16, NQ = 40, K = 10 };
    dataset d;
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_COSINE, 0, 0, 0);
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_info i0, i1, i2;
    llmspell_vec_record rec;
    llmspell_vec_hit *hits = (llmspell_vec_hit *)xcalloc(N, sizeof *hits), *h2 = (llmspell_vec_hit *)xcalloc(N, sizeof *h2);
    char id[32], (*saved_ids)[32] = (char (*)[32])xmalloc(NQ * K * 32);
    float saved_scores[NQ * K];
    size_t n, n2, saved_n[NQ];
    uint32_t i;
    int errors = 0;
    double rec0, rec1, rec2;

    ds_make(&d, N + N / 2 + NQ, DIM, 30, 99, 0);
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "del", &cfg, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "del", NULL, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "v", 0, N, 300, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &i0), LLMSPELL_OK);
    rec0 = mean_recall(v, &d, N + N / 2, NQ, K, 64, &errors);

    for (i = 0; i < N; i += 2) {
        snprintf(id, sizeof id, "v%u", i);
        CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_vec_delete(v, "v0"), LLMSPELL_ERR_NOT_FOUND);
    CHECK(llmspell_vec_errmsg(v)[0] != 0, "no message for a missing id");
    CHECK_RC(llmspell_vec_delete(v, "never-added"), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(v, "v0", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(v, "v2998", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(v, "v1", &rec), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &i1), LLMSPELL_OK);
    CHECK(i1.count == N / 2 && i1.dim_counts[0] == N / 2, "count after deleting half: %llu / %llu", (unsigned long long)i1.count,
          (unsigned long long)i1.dim_counts[0]);
    rec1 = mean_recall(v, &d, N + N / 2, NQ, K, 64, &errors);
    for (i = 0; i < NQ; i++) {
        llmspell_vec_query q = query_of(ds_vec(&d, N + N / 2 + i), DIM, K, 64, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == K && !has_prefix_parity(hits, n, "v", 0), "query %u: %zu hits, a deleted id among them: %d", i, n,
              has_prefix_parity(hits, n, "v", 0));
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == K && !has_prefix_parity(hits, n, "v", 0), "exact query %u returned a deleted id", i);
    }
    { /* everything: exactly the live half, from the graph too (deleted nodes are waypoints) */
        llmspell_vec_query q = query_of(ds_vec(&d, N + N / 2), DIM, N, 0, NULL);
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == N / 2 && !has_prefix_parity(hits, n, "v", 0) && distinct_ids(hits, n), "exact k=%d: %zu hits", N, n);
        q.k = N / 2;
        CHECK_RC(llmspell_vec_search(v, &q, h2, &n2), LLMSPELL_OK);
        CHECK(n2 == N / 2 && !has_prefix_parity(h2, n2, "v", 0) && distinct_ids(h2, n2), "graph k=%d: %zu hits", N / 2, n2);
    }

    /* new records take the freed slots */
    CHECK_RC(add_range(v, &d, N - 0, "w", 0, N / 2, 250, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &i2), LLMSPELL_OK);
    CHECK(i2.count == N, "count after re-adding: %llu", (unsigned long long)i2.count);
    CHECK(i2.memory_bytes <= i0.memory_bytes + i0.memory_bytes / 10,
          "memory grew from %llu to %llu bytes though every new record had a free slot", (unsigned long long)i0.memory_bytes,
          (unsigned long long)i2.memory_bytes);
    rec2 = mean_recall(v, &d, N + N / 2, NQ, K, 64, &errors);
    fprintf(stderr, "note: deletes: recall@10 %.4f before, %.4f after deleting half, %.4f after re-adding (memory %llu -> %llu)\n", rec0,
            rec1, rec2, (unsigned long long)i0.memory_bytes, (unsigned long long)i2.memory_bytes);
    CHECK(rec0 >= RECALL_FLOOR && rec1 >= RECALL_FLOOR && rec2 >= RECALL_FLOOR, "recall %.4f / %.4f / %.4f, floor %.2f", rec0, rec1, rec2,
          RECALL_FLOOR);
    for (i = 0; i < NQ; i++) {
        llmspell_vec_query q = query_of(ds_vec(&d, N + N / 2 + i), DIM, K, 64, NULL);
        size_t j;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(!has_prefix_parity(hits, n, "v", 0), "query %u after re-adding returned a deleted id", i);
        saved_n[i] = n;
        for (j = 0; j < n && j < K; j++) {
            snprintf(saved_ids[i * K + j], 32, "%s", hits[j].id);
            saved_scores[i * K + j] = hits[j].score;
        }
    }
    /* the saved graph is the same graph */
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "del", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &i1), LLMSPELL_OK);
    CHECK(i1.graph_loaded == 1 && i1.count == N, "reopen: graph_loaded %d count %llu", i1.graph_loaded, (unsigned long long)i1.count);
    for (i = 0; i < NQ; i++) {
        llmspell_vec_query q = query_of(ds_vec(&d, N + N / 2 + i), DIM, K, 64, NULL);
        size_t j;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == saved_n[i], "query %u after reopen: %zu hits, %zu before", i, n, saved_n[i]);
        for (j = 0; j < n && j < saved_n[i]; j++)
            CHECK(strcmp(hits[j].id, saved_ids[i * K + j]) == 0 && hits[j].score == saved_scores[i * K + j],
                  "query %u hit %zu after reopen: %s %.9g, before %s %.9g", i, j, hits[j].id, hits[j].score, saved_ids[i * K + j],
                  saved_scores[i * K + j]);
    }
    CHECK_RC(llmspell_vec_get(v, "v0", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK(errors == 0, "%d searches failed", errors);
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    ds_free(&d);
    free(hits);
    free(h2);
    free(saved_ids);
}

static const char *meta_ver(uint32_t i, char *buf, size_t cap)
{
    snprintf(buf, cap, "{\"i\":%u,\"ver\":1}", i);
    return buf;
}

/* Re-adding an id replaces its vector and metadata: search finds the new vector, not the old;
   created_at is kept, updated_at moves. Replacing every record keeps recall. */
static void test_updates(void)
{
    enum { N = 2000, DIM = 16, NQ = 40, K = 10 };
    dataset d;
    tclock clk = {1000};
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_record rec, up;
    llmspell_vec_hit hits[K];
    llmspell_vec_info info;
    size_t n;
    uint32_t i;
    int errors = 0;
    char id[32], meta[64];
    double r0, r1;

    ds_make(&d, 3 * N + NQ, DIM, 30, 555, 0);
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "upd", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "upd", NULL, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "v", 0, N, 200, meta_ver), LLMSPELL_OK);
    r0 = mean_recall(v, &d, 3 * N, NQ, K, 64, &errors);
    CHECK_RC(llmspell_vec_get(v, "v5", &rec), LLMSPELL_OK);
    CHECK(rec.created_at == 1000 && rec.updated_at == 1000 && rec.expires_at == LLMSPELL_TIME_MAX, "times %lld %lld %lld",
          (long long)rec.created_at, (long long)rec.updated_at, (long long)rec.expires_at);

    /* one update at a time, for every 7th record */
    clk.now = 2000;
    for (i = 0; i < N; i += 7) {
        memset(&up, 0, sizeof up);
        snprintf(id, sizeof id, "v%u", i);
        snprintf(meta, sizeof meta, "{\"i\":%u,\"ver\":2,\"nested\":{\"a\":[1,2]}}", i);
        up.id = id;
        up.embedding = ds_vec(&d, N + i);
        up.dim = DIM;
        up.metadata = meta;
        up.scope = "session:upd";
        CHECK_RC(llmspell_vec_add(v, &up), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == N, "count after updates: %llu", (unsigned long long)info.count);
    for (i = 0; i < N && harness_failures < 10; i += 7) {
        llmspell_vec_query q;
        size_t j;
        snprintf(id, sizeof id, "v%u", i);
        snprintf(meta, sizeof meta, "{\"i\":%u,\"ver\":2,\"nested\":{\"a\":[1,2]}}", i);
        CHECK_RC(llmspell_vec_get(v, id, &rec), LLMSPELL_OK);
        CHECK(rec.dim == DIM && memcmp(rec.embedding, ds_vec(&d, N + i), DIM * 4) == 0, "%s: get returns the old vector", id);
        CHECK(rec.metadata_len == strlen(meta) && memcmp(rec.metadata, meta, rec.metadata_len) == 0, "%s: metadata %.*s", id,
              (int)rec.metadata_len, rec.metadata);
        CHECK(rec.created_at == 1000 && rec.updated_at == 2000, "%s: created %lld updated %lld (want 1000, 2000)", id,
              (long long)rec.created_at, (long long)rec.updated_at);
        CHECK(strcmp(rec.scope, "session:upd") == 0, "%s: scope %s", id, rec.scope);
        /* the new vector finds it */
        q = query_of(ds_vec(&d, N + i), DIM, 1, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 1 && strcmp(hits[0].id, id) == 0 && hits[0].score > 0.9999f, "%s: its new vector finds %s (%.6f)", id,
              n ? hits[0].id : "-", n ? hits[0].score : 0.0);
        /* the old vector does not: where the id shows up, its score is that of the new vector */
        q = query_of(ds_vec(&d, i), DIM, K, 0, NULL);
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        for (j = 0; j < n; j++)
            if (strcmp(hits[j].id, id) == 0)
                CHECK(fabs(hits[j].score - dref_cos(ds_vec(&d, i), ds_vec(&d, N + i), DIM)) <= 1e-4, "%s scored against its old vector",
                      id);
    }
    /* replace every record, in one batch per 250 */
    clk.now = 3000;
    CHECK_RC(add_range(v, &d, 2 * N, "v", 0, N, 250, meta_ver), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == N, "count after replacing all: %llu", (unsigned long long)info.count);
    r1 = mean_recall(v, &d, 3 * N, NQ, K, 64, &errors);
    fprintf(stderr, "note: updates: recall@10 %.4f before, %.4f after replacing every vector\n", r0, r1);
    { /* k >= count: every record (none may have become unreachable) */
        llmspell_vec_hit *all = (llmspell_vec_hit *)xcalloc(N + 10, sizeof *all);
        llmspell_vec_query qa = query_of(ds_vec(&d, 0), DIM, N + 10, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &qa, all, &n), LLMSPELL_OK);
        CHECK(n == N && distinct_ids(all, n), "after replacing every vector, a search with k = %d > count finds %zu of the %d records", N + 10,
              n, N);
        free(all);
    }
    CHECK(r0 >= RECALL_FLOOR && r1 >= RECALL_FLOOR, "recall %.4f / %.4f, floor %.2f", r0, r1, RECALL_FLOOR);
    for (i = 0; i < N; i += 10) { /* each record's own (new) vector finds it */
        llmspell_vec_query q = query_of(ds_vec(&d, 2 * N + i), DIM, 1, 0, NULL);
        snprintf(id, sizeof id, "v%u", i);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 1 && strcmp(hits[0].id, id) == 0, "after replacing all, %s's vector finds %s", id, n ? hits[0].id : "(nothing)");
    }
    CHECK(errors == 0, "%d searches failed", errors);
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    ds_free(&d);
}

/* The record the search starts from is replaced: the collection must stay searchable. Each
   record of a small collection is replaced in turn (one of them is the entry point), and
   after each replacement every record must still be reachable (k = all). */
static void test_update_each_reachable(void)
{
    enum { N = 300, DIM = 8 };
    dataset d;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_L2, 8, 64, 32);
    llmspell_vec_record up;
    llmspell_vec_hit *hits = (llmspell_vec_hit *)xcalloc(N, sizeof *hits);
    size_t n;
    uint32_t i;
    char id[32];
    int bad = 0;

    ds_make(&d, 2 * N, DIM, 10, 31337, 0);
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "entry", &cfg, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "v", 0, N, 50, NULL), LLMSPELL_OK);
    for (i = 0; i < N; i++) {
        llmspell_vec_query q;
        memset(&up, 0, sizeof up);
        snprintf(id, sizeof id, "v%u", i);
        up.id = id;
        up.embedding = ds_vec(&d, N + i);
        up.dim = DIM;
        CHECK_RC(llmspell_vec_add(v, &up), LLMSPELL_OK);
        q = query_of(ds_vec(&d, (i * 7) % (2 * N)), DIM, N, N, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        if (n != N && bad++ < 3) CHECK(0, "after replacing %s, a search for all %d records finds %zu", id, N, n);
        q = query_of(ds_vec(&d, N + i), DIM, 1, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        if ((n != 1 || strcmp(hits[0].id, id) != 0) && bad++ < 3)
            CHECK(0, "after replacing %s, its new vector finds %s", id, n ? hits[0].id : "nothing");
    }
    CHECK(bad == 0, "%d searches went wrong after replacements", bad);
    llmspell_vec_close(v);
    ds_free(&d);
    free(hits);
}

/* Deleting records and adding new ones one at a time (the new one takes the slot just freed)
   must keep every record reachable, whichever node the graph's entry point was. */
static void test_delete_readd_reachable(void)
{
    enum { N = 300, DIM = 8 };
    dataset d;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_COSINE, 8, 64, 32);
    llmspell_vec_record up;
    llmspell_vec_hit *hits = (llmspell_vec_hit *)xcalloc(N, sizeof *hits);
    size_t n;
    uint32_t i;
    char id[32];
    int bad = 0;

    ds_make(&d, 2 * N, DIM, 10, 4711, 0);
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "entry2", &cfg, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "v", 0, N, 50, NULL), LLMSPELL_OK);
    for (i = 0; i < N; i++) {
        llmspell_vec_query q;
        snprintf(id, sizeof id, "v%u", i);
        CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
        memset(&up, 0, sizeof up);
        snprintf(id, sizeof id, "w%u", i);
        up.id = id;
        up.embedding = ds_vec(&d, N + i);
        up.dim = DIM;
        CHECK_RC(llmspell_vec_add(v, &up), LLMSPELL_OK);
        q = query_of(ds_vec(&d, i), DIM, N, N, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        if (n != N && bad++ < 3) CHECK(0, "after deleting v%u and adding %s, a search for all %d records finds %zu", i, id, N, n);
    }
    CHECK(bad == 0, "%d searches went wrong", bad);
    llmspell_vec_close(v);
    ds_free(&d);
    free(hits);
}

/* ------------------------------------------------------------------------------------------ */
/* >>keys of the stored form (the implementation's >>storage section)                          */

#define VKEY_CAP 2048
/* 0xFF 'V' tag tuple(name) [tuple(id)] [u64 dim [u64 page]] */
static size_t vkey(uint8_t *k, char tag, const char *name, size_t nlen, const char *id, int has_dim, uint32_t dim, int has_page,
                   uint32_t page)
{
    size_t n = 3;
    k[0] = 0xFF;
    k[1] = 'V';
    k[2] = (uint8_t)tag;
    n += llmspell_tuple_put_bytes(k + n, VKEY_CAP - n, name, nlen);
    if (id) n += llmspell_tuple_put_bytes(k + n, VKEY_CAP - n, id, strlen(id));
    if (has_dim) n += llmspell_tuple_put_u64(k + n, VKEY_CAP - n, dim);
    if (has_page) n += llmspell_tuple_put_u64(k + n, VKEY_CAP - n, page);
    return n;
}

static int kv_has(llmspell_kv *kv, const uint8_t *k, size_t kn)
{
    int e = 0;
    if (llmspell_kv_exists(kv, k, kn, &e) != LLMSPELL_OK) return -1;
    return e;
}

static int rec_key_exists(llmspell_kv *kv, const char *name, const char *id)
{
    uint8_t k[VKEY_CAP];
    return kv_has(kv, k, vkey(k, 'r', name, strlen(name), id, 0, 0, 0, 0));
}

/* Keys under a prefix. */
static long kv_count_prefix(llmspell_kv *kv, const void *prefix, size_t plen)
{
    llmspell_kv_iter *it;
    const void *k;
    size_t kl;
    long n = 0;
    if (llmspell_kv_iter_open(kv, prefix, plen, &it) != LLMSPELL_OK) return -1;
    while (llmspell_kv_iter_next(it, &k, &kl, NULL, NULL) == LLMSPELL_OK) n++;
    llmspell_kv_iter_close(it);
    return n;
}

/* ------------------------------------------------------------------------------------------ */
/* >>TTL                                                                                       */

static void ttl_add(llmspell_vec *v, const dataset *d, const char *pfx, uint32_t from, uint32_t to, llmspell_time ttl, int *errs)
{
    uint32_t i;
    char id[32];
    for (i = from; i < to; i++) {
        llmspell_vec_record r;
        memset(&r, 0, sizeof r);
        snprintf(id, sizeof id, "%s%u", pfx, i - from);
        r.id = id;
        r.embedding = ds_vec(d, i);
        r.dim = d->dim;
        r.ttl = ttl;
        if (llmspell_vec_add(v, &r) != LLMSPELL_OK) (*errs)++;
    }
}

/* Any hit whose id starts with pfx. */
static int hits_with(const llmspell_vec_hit *h, size_t n, const char *pfx)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strncmp(h[i].id, pfx, strlen(pfx)) == 0) return 1;
    return 0;
}

typedef struct each_count { long n, with_t; } each_count;
static int each_counter(void *user, const llmspell_vec_record *r)
{
    each_count *c = (each_count *)user;
    c->n++;
    c->with_t += r->id[0] == 't';
    return 0;
}

/* A record with a ttl is visible before now+ttl and gone at now+ttl exactly (get, search,
   search_exact, delete, each); purge_expired counts and removes them from the store (checked
   after reopening the file); later writes purge too. */
static void test_ttl(void)
{
    enum { NP = 100, NT = 20, NU = 20, DIM = 12 };
    const llmspell_time T0 = 1700000000000000LL;
    tclock clk = {T0};
    dataset d;
    llmspell_kv kv;
    llmspell_kv_options ko;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_record rec;
    llmspell_vec_hit hits[200];
    llmspell_vec_info info;
    char path[COMPAT_PATH_MAX], id[32];
    size_t n, purged = 99;
    uint32_t i;
    int errs = 0;
    each_count ec;

    ds_make(&d, NP + NT + NU + 10, DIM, 8, 1234, 0);
    tmp_path(path, sizeof path, "ttl");
    memset(&ko, 0, sizeof ko);
    ko.durability = LLMSPELL_DURABILITY_FAST;
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &ko), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "ttl", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "ttl", NULL, &o), LLMSPELL_OK);
    ttl_add(v, &d, "p", 0, NP, 0, &errs);
    ttl_add(v, &d, "t", NP, NP + NT, 1000, &errs);
    ttl_add(v, &d, "u", NP + NT, NP + NT + NU, 5000, &errs);
    CHECK(errs == 0, "%d adds failed", errs);
    CHECK_RC(llmspell_vec_get(v, "t0", &rec), LLMSPELL_OK);
    CHECK(rec.expires_at == T0 + 1000 && rec.created_at == T0, "t0: expires_at %lld (want %lld)", (long long)rec.expires_at,
          (long long)(T0 + 1000));
    CHECK_RC(llmspell_vec_get(v, "p0", &rec), LLMSPELL_OK);
    CHECK(rec.expires_at == LLMSPELL_TIME_MAX, "p0 without ttl expires at %lld", (long long)rec.expires_at);

    /* one microsecond before: still there */
    clk.now = T0 + 999;
    CHECK_RC(llmspell_vec_get(v, "t3", &rec), LLMSPELL_OK);
    {
        llmspell_vec_query q = query_of(ds_vec(&d, NP + 3), DIM, 1, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 1 && strcmp(hits[0].id, "t3") == 0, "before expiry the search finds %s", n ? hits[0].id : "nothing");
        q.k = 200;
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == NP + NT + NU, "before expiry exact k=200 finds %zu", n);
    }
    CHECK_RC(llmspell_vec_purge_expired(v, &purged), LLMSPELL_OK);
    CHECK(purged == 0, "purge before expiry purged %zu", purged);

    /* at now + ttl: gone everywhere */
    clk.now = T0 + 1000;
    CHECK_RC(llmspell_vec_get(v, "t3", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(v, "u3", &rec), LLMSPELL_OK);
    {
        llmspell_vec_query q = query_of(ds_vec(&d, NP + 3), DIM, 200, 200, NULL);
        llmspell_vec_filter f;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == NP + NU && !hits_with(hits, n, "t"), "after expiry search k=200: %zu hits, expired among them: %d", n,
              hits_with(hits, n, "t"));
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == NP + NU && !hits_with(hits, n, "t"), "after expiry exact: %zu hits, expired among them: %d", n, hits_with(hits, n, "t"));
        q.k = 1;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 1 && hits[0].id[0] != 't', "after expiry the nearest is %s", n ? hits[0].id : "nothing");
        memset(&f, 0, sizeof f); /* a filter that every record passes (an empty AND) */
        f.op = LLMSPELL_F_AND;
        q.k = 200;
        q.filter = &f;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == NP + NU && !hits_with(hits, n, "t"), "after expiry, filtered: %zu hits", n);
    }
    CHECK_RC(llmspell_vec_delete(v, "t4"), LLMSPELL_ERR_NOT_FOUND);
    memset(&ec, 0, sizeof ec);
    CHECK_RC(llmspell_vec_each(v, each_counter, &ec), LLMSPELL_OK);
    CHECK(ec.n == NP + NU && ec.with_t == 0, "each after expiry: %ld records, %ld expired", ec.n, ec.with_t);
    CHECK(rec_key_exists(&kv, "ttl", "t3") == 1, "expired record left the store before any write");

    CHECK_RC(llmspell_vec_purge_expired(v, &purged), LLMSPELL_OK);
    CHECK(purged == NT, "purge_expired purged %zu, want %d", purged, NT);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == NP + NU, "count after purge %llu", (unsigned long long)info.count);
    CHECK_RC(llmspell_vec_purge_expired(v, &purged), LLMSPELL_OK);
    CHECK(purged == 0, "second purge purged %zu", purged);
    CHECK_RC(llmspell_vec_purge_expired(v, NULL), LLMSPELL_OK);
    for (i = 0; i < NT; i++) {
        snprintf(id, sizeof id, "t%u", i);
        CHECK(rec_key_exists(&kv, "ttl", id) == 0, "purged %s is still in the store", id);
    }

    /* gone for good: reopen the file */
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &ko), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "ttl", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == NP + NU && info.graph_loaded == 1, "after reopen: count %llu graph_loaded %d", (unsigned long long)info.count,
          info.graph_loaded);
    CHECK_RC(llmspell_vec_get(v, "t3", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK(rec_key_exists(&kv, "ttl", "t3") == 0, "t3 is back in the store after reopen");
    CHECK_RC(llmspell_vec_get(v, "u3", &rec), LLMSPELL_OK);
    CHECK(rec.expires_at == T0 + 5000, "u3 expires_at after reopen %lld", (long long)rec.expires_at);

    /* a later write purges what expired meanwhile, without purge_expired */
    clk.now = T0 + 5000;
    CHECK_RC(llmspell_vec_get(v, "u0", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK(rec_key_exists(&kv, "ttl", "u0") == 1, "u0 left the store before any write");
    ttl_add(v, &d, "n", NP + NT + NU, NP + NT + NU + 1, 0, &errs);
    CHECK(errs == 0, "add failed");
    for (i = 0; i < NU; i++) {
        snprintf(id, sizeof id, "u%u", i);
        CHECK(rec_key_exists(&kv, "ttl", id) == 0, "expired %s is still in the store after a later write", id);
    }
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == NP + 1, "count after the purging write %llu", (unsigned long long)info.count);
    CHECK_RC(llmspell_vec_purge_expired(v, &purged), LLMSPELL_OK);
    CHECK(purged == 0, "purge after the purging write purged %zu", purged);
    /* a ttl that reaches past the end of time never expires */
    {
        llmspell_vec_record r;
        memset(&r, 0, sizeof r);
        r.id = "forever";
        r.embedding = ds_vec(&d, 0);
        r.dim = DIM;
        r.ttl = LLMSPELL_TIME_MAX - 5;
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_get(v, "forever", &rec), LLMSPELL_OK);
        CHECK(rec.expires_at > clk.now, "a huge ttl wrapped around: expires_at %lld", (long long)rec.expires_at);
    }
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    ds_free(&d);
}

/* ------------------------------------------------------------------------------------------ */
/* >>filters against a brute-force reference                                                   */

typedef struct fval { int present; int type; int64_t i; double d; char s[16]; size_t slen; } fval; /* type: llmspell_vec_value_type, -1 nested */

typedef struct frec {
    fval cat, n, x, f, b, z, nest;
    char json[512];
    char canon[512]; /* json in llmspell_export.h's canonical form: what vec keeps */
} frec;

/* json's canonical form (member order kept) into out, by the family's one definition. */
static llmspell_result canon_sink(void *user, const void *data, size_t n) {
    char *out = (char *)user;
    size_t have = strlen(out);
    if (have + n >= 512) return LLMSPELL_ERR_TOO_LARGE;
    memcpy(out + have, data, n);
    out[have + n] = 0;
    return LLMSPELL_OK;
}
static int canon_of(const char *json, char out[512]) {
    llmspell_json_doc *d;
    llmspell_result rc;
    out[0] = 0;
    if (llmspell_json_doc_new(NULL, &d) != LLMSPELL_OK) return 0;
    rc = llmspell_json_canonical(d, json, strlen(json), LLMSPELL_JSON_CANON_OBJECT, canon_sink, out, NULL);
    llmspell_json_doc_free(d);
    return rc == LLMSPELL_OK;
}

static const char *const CATS[] = {"alpha", "beta", "gamma", "delta", "Alpha", "alp", "be"};

/* Random metadata, with its JSON text in varying styles: escapes that decode to the plain
   string, integers written as floats, exponents, nested values, whitespace. */
static void frec_make(frec *m, rng *r)
{
    char *p = m->json;
    size_t cap = sizeof m->json;
    int w;
    unsigned c;
    memset(m, 0, sizeof *m);
#define PUT(...) do { w = snprintf(p, cap, __VA_ARGS__); p += w; cap -= (size_t)w; } while (0)
    PUT(rng_below(r, 4) == 0 ? "{ " : "{");
    if (rng_below(r, 10) != 0) { /* cat: 10% missing */
        c = rng_below(r, 10);
        c = c < 3 ? 0 : c < 5 ? 1 : c < 6 ? 2 : c < 7 ? 3 : c < 8 ? 4 : c < 9 ? 5 : 6;
        m->cat.present = 1;
        m->cat.type = LLMSPELL_VAL_STRING;
        strcpy(m->cat.s, CATS[c]);
        m->cat.slen = strlen(CATS[c]);
        if (c == 0 && rng_below(r, 2)) PUT("\"cat\":\"\\u0061lpha\",");  /* decodes to "alpha" */
        else if (c == 1 && rng_below(r, 2)) PUT("\"c\\u0061t\" : \"beta\","); /* the name escaped */
        else PUT("\"cat\":\"%s\",", CATS[c]);
    }
    if (rng_below(r, 10) != 0) { /* n: integer 0..99, sometimes written as a float */
        int v = (int)rng_below(r, 100);
        unsigned style = rng_below(r, 10);
        m->n.present = 1;
        if (style == 0) { m->n.type = LLMSPELL_VAL_DOUBLE; m->n.d = v; PUT("\"n\":%d.0,", v); }
        else if (style == 1) { m->n.type = LLMSPELL_VAL_DOUBLE; m->n.d = v; PUT("\"n\":%de0,", v); }
        else { m->n.type = LLMSPELL_VAL_INT; m->n.i = v; PUT("\"n\":%d,", v); }
    }
    { /* x: always, half integers, half halves */
        int v = (int)rng_below(r, 61);
        m->x.present = 1;
        if (v % 2 == 0) { m->x.type = LLMSPELL_VAL_INT; m->x.i = v / 2; PUT("\"x\":%d,", v / 2); }
        else { m->x.type = LLMSPELL_VAL_DOUBLE; m->x.d = v / 2.0; PUT("\"x\":%.1f,", v / 2.0); }
    }
    { /* f: always, three decimals */
        char txt[16];
        snprintf(txt, sizeof txt, "0.%03u", rng_below(r, 1000));
        m->f.present = 1;
        m->f.type = LLMSPELL_VAL_DOUBLE;
        m->f.d = strtod(txt, NULL);
        PUT("\"f\":%s,", txt);
    }
    if (rng_below(r, 5) != 0) {
        m->b.present = 1;
        m->b.type = LLMSPELL_VAL_BOOL;
        m->b.i = rng_below(r, 2);
        PUT("\"b\":%s,", m->b.i ? "true" : "false");
    }
    if (rng_below(r, 10) < 3) {
        m->z.present = 1;
        m->z.type = LLMSPELL_VAL_NULL;
        PUT("\"z\": null,");
    }
    m->nest.present = 1;
    m->nest.type = -1;
    if (rng_below(r, 2)) PUT("\"nest\":{\"cat\":\"alpha\",\"n\":5,\"deep\":[1,{\"k\":[true,null,\"}\"]}],\"e\":{}}");
    else PUT("\"nest\" : [ 1, 2.5, \"x\\\"y\", [] ]");
    PUT(rng_below(r, 4) == 0 ? " }" : "}");
#undef PUT
}

static const fval *frec_field(const frec *m, const char *name)
{
    if (strcmp(name, "cat") == 0) return &m->cat;
    if (strcmp(name, "n") == 0) return &m->n;
    if (strcmp(name, "x") == 0) return &m->x;
    if (strcmp(name, "f") == 0) return &m->f;
    if (strcmp(name, "b") == 0) return &m->b;
    if (strcmp(name, "z") == 0) return &m->z;
    if (strcmp(name, "nest") == 0) return &m->nest;
    return NULL;
}

/* -1 / 0 / 1, or 2 when the two cannot be compared (different kinds; bool and null are only
   equal or not: 3 for unequal bools). Written from the header's rules, not from the code. */
static int ref_cmp(const fval *x, const llmspell_vec_value *y)
{
    int xn = x->type == LLMSPELL_VAL_INT || x->type == LLMSPELL_VAL_DOUBLE;
    int yn = y->type == LLMSPELL_VAL_INT || y->type == LLMSPELL_VAL_DOUBLE;
    if (xn && yn) {
        long double a = x->type == LLMSPELL_VAL_INT ? (long double)x->i : (long double)x->d;
        long double b = y->type == LLMSPELL_VAL_INT ? (long double)y->i : (long double)y->d;
        return a < b ? -1 : a > b ? 1 : 0;
    }
    if (x->type == LLMSPELL_VAL_STRING && y->type == LLMSPELL_VAL_STRING) {
        size_t yl = y->slen ? y->slen : strlen(y->s), m = x->slen < yl ? x->slen : yl;
        int c = memcmp(x->s, y->s, m);
        if (c) return c < 0 ? -1 : 1;
        return x->slen < yl ? -1 : x->slen > yl ? 1 : 0;
    }
    if (x->type == LLMSPELL_VAL_BOOL && y->type == LLMSPELL_VAL_BOOL) return (x->i != 0) == (y->i != 0) ? 0 : 3;
    if (x->type == LLMSPELL_VAL_NULL && y->type == LLMSPELL_VAL_NULL) return 0;
    return 2;
}

static int ref_match(const llmspell_vec_filter *f, const frec *m)
{
    const fval *x;
    size_t i;
    int c, ordered;
    if (f->op == LLMSPELL_F_AND) {
        for (i = 0; i < f->nchildren; i++)
            if (!ref_match(&f->children[i], m)) return 0;
        return 1;
    }
    if (f->op == LLMSPELL_F_OR) {
        for (i = 0; i < f->nchildren; i++)
            if (ref_match(&f->children[i], m)) return 1;
        return 0;
    }
    x = frec_field(m, f->field);
    if (!x || !x->present || x->type < 0) return 0; /* missing or nested: nothing matches, ne included */
    ordered = x->type == LLMSPELL_VAL_INT || x->type == LLMSPELL_VAL_DOUBLE || x->type == LLMSPELL_VAL_STRING;
    switch (f->op) {
    case LLMSPELL_F_IN:
        for (i = 0; i < f->nvalues; i++)
            if (ref_cmp(x, &f->values[i]) == 0) return 1;
        return 0;
    case LLMSPELL_F_EQ: return ref_cmp(x, &f->value) == 0;
    case LLMSPELL_F_NE: return ref_cmp(x, &f->value) != 0;
    case LLMSPELL_F_LT: c = ref_cmp(x, &f->value); return ordered && c == -1;
    case LLMSPELL_F_LE: c = ref_cmp(x, &f->value); return ordered && (c == -1 || c == 0);
    case LLMSPELL_F_GT: c = ref_cmp(x, &f->value); return ordered && c == 1;
    case LLMSPELL_F_GE: c = ref_cmp(x, &f->value); return ordered && (c == 1 || c == 0);
    case LLMSPELL_F_RANGE: {
        int lo = ref_cmp(x, &f->value), hi = ref_cmp(x, &f->value2);
        return ordered && (lo == 1 || lo == 0) && (hi == -1 || hi == 0);
    }
    default: return 0;
    }
}


typedef struct scored { double s; uint32_t i; } scored;
static int scored_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return x > y ? -1 : x < y;
}

/* llmspell_vec_search with the planner's choice forced (tests see the implementation):
   LLMSPELL__PLAN_SCAN (an index's candidates, or every record), _ACORN or _AFTER. */
static llmspell_result forced_search(llmspell_vec *v, const llmspell_vec_query *q, int plan, llmspell_vec_hit *hits, size_t *n)
{
    llmspell__squery sq;
    llmspell_result r = llmspell__squery_init(v, q, q->k, &sq);
    *n = 0;
    if (r == LLMSPELL_OK) r = llmspell__plan_search(v, &sq, plan) ? llmspell__emit(v, &sq, hits, n, NULL) : LLMSPELL_ERR_NOMEM;
    llmspell__squery_end(v, &sq);
    return r;
}

/* 4000 records of dim 16 with random metadata; for each filter, queries compare the k = 10
   hits (as sets) with a brute force over the records: count == min(k, matches) always, every
   hit matches, the metadata comes back in canonical form, selective filters (<= 5% match) give the exact
   answer, and the mean recall of each filter is >= FILTER_RECALL. search_exact with the
   filter must be exact. Twice: without field indexes, then with every field indexed; each
   time also with each plan of the planner forced (the scan exact, the graph plans at least
   FILTER_RECALL where a tenth or more match). */
#define FILTER_RECALL 0.95

static void test_filters(void)
{
    enum { N = 4000, DIM = 16, NQ = 12, K = 10 };
    dataset d;
    frec *m = (frec *)xmalloc(N * sizeof *m);
    scored *sc = (scored *)xmalloc(N * sizeof *sc);
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record *recs = (llmspell_vec_record *)xcalloc(N, sizeof *recs);
    char (*ids)[16] = (char (*)[16])xmalloc(N * 16);
    llmspell_vec_hit hits[K], ex[K];
    rng r = {8080};
    uint32_t i, fi, qi;
    llmspell_vec_value in_cat[3], in_n[3], in_b[1];
    llmspell_vec_filter and1[2], or1[2], inner_or[2], and2[3], or_bool[2], and_all[1], or_none[1];
    llmspell_vec_filter F[40];
    const char *FN[40];
    size_t nf = 0;
    long graph_path_queries = 0;
    int pass, plan;
    static const char *const INDEXED[] = {"cat", "n", "x", "f", "b", "z", "nest", "deep", "missing"};
    static const char *const PLANS[] = {"auto", "scan", "acorn", "search then filter"};

    ds_make(&d, N + NQ, DIM, 25, 6060, 0);
    for (i = 0; i < N; i++) {
        frec_make(&m[i], &r);
        REQUIRE(canon_of(m[i].json, m[i].canon), "canonical form of %s", m[i].json);
        snprintf(ids[i], 16, "r%u", i);
        recs[i].id = ids[i];
        recs[i].embedding = ds_vec(&d, i);
        recs[i].dim = DIM;
        recs[i].metadata = m[i].json;
    }
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "filters", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_add_batch(v, recs, N), LLMSPELL_OK);

    in_cat[0] = VS("beta"); in_cat[1] = VS("gamma"); in_cat[2] = VS("nope");
    in_n[0] = VI(1); in_n[1] = VI(2); in_n[2] = VD(3.0);
    in_b[0] = VB(0);
#define ADD_F(name, expr) do { FN[nf] = (name); F[nf++] = (expr); } while (0)
    ADD_F("eq cat alpha", FC(LLMSPELL_F_EQ, "cat", VS("alpha")));
    ADD_F("eq cat gamma", FC(LLMSPELL_F_EQ, "cat", VS("gamma")));
    ADD_F("ne cat alpha", FC(LLMSPELL_F_NE, "cat", VS("alpha")));
    ADD_F("lt n 50", FC(LLMSPELL_F_LT, "n", VI(50)));
    ADD_F("le n 50", FC(LLMSPELL_F_LE, "n", VI(50)));
    ADD_F("gt n 96", FC(LLMSPELL_F_GT, "n", VI(96)));
    ADD_F("ge n 96.5", FC(LLMSPELL_F_GE, "n", VD(96.5)));
    ADD_F("eq n 42.0", FC(LLMSPELL_F_EQ, "n", VD(42.0)));
    ADD_F("gt x 12.5", FC(LLMSPELL_F_GT, "x", VD(12.5)));
    ADD_F("ge x 13", FC(LLMSPELL_F_GE, "x", VI(13)));
    ADD_F("le x 0.5", FC(LLMSPELL_F_LE, "x", VD(0.5)));
    ADD_F("range f 0.2..0.4", FR("f", VD(0.2), VD(0.4)));
    ADD_F("range x 3..4 (int bounds)", FR("x", VI(3), VI(4)));
    ADD_F("range f empty", FR("f", VD(0.5), VD(0.4)));
    ADD_F("in cat beta/gamma/nope", FIN("cat", in_cat, 3));
    ADD_F("in n 1/2/3.0", FIN("n", in_n, 3));
    ADD_F("in b false", FIN("b", in_b, 1));
    ADD_F("eq b true", FC(LLMSPELL_F_EQ, "b", VB(1)));
    ADD_F("ne b true", FC(LLMSPELL_F_NE, "b", VB(1)));
    ADD_F("lt b true (bool is not ordered)", FC(LLMSPELL_F_LT, "b", VB(1)));
    ADD_F("eq z null", FC(LLMSPELL_F_EQ, "z", VN()));
    ADD_F("lt cat alpha (bytewise)", FC(LLMSPELL_F_LT, "cat", VS("alpha")));
    ADD_F("ge cat b", FC(LLMSPELL_F_GE, "cat", VS("b")));
    ADD_F("le cat be", FC(LLMSPELL_F_LE, "cat", VS("be")));
    ADD_F("eq missing", FC(LLMSPELL_F_EQ, "missing", VS("x")));
    ADD_F("ne missing", FC(LLMSPELL_F_NE, "missing", VI(1)));
    ADD_F("eq nest (nested)", FC(LLMSPELL_F_EQ, "nest", VS("alpha")));
    ADD_F("ne nest (nested)", FC(LLMSPELL_F_NE, "nest", VI(5)));
    ADD_F("eq deep (inside nest)", FC(LLMSPELL_F_EQ, "deep", VI(1)));
    and1[0] = FC(LLMSPELL_F_EQ, "cat", VS("beta"));
    and1[1] = FC(LLMSPELL_F_LT, "f", VD(0.5));
    ADD_F("and(cat=beta, f<0.5)", FB(LLMSPELL_F_AND, and1, 2));
    or1[0] = FC(LLMSPELL_F_EQ, "cat", VS("delta"));
    or1[1] = FC(LLMSPELL_F_GT, "n", VI(90));
    ADD_F("or(cat=delta, n>90)", FB(LLMSPELL_F_OR, or1, 2));
    inner_or[0] = FC(LLMSPELL_F_EQ, "b", VB(1));
    inner_or[1] = FC(LLMSPELL_F_EQ, "cat", VS("gamma"));
    and2[0] = FB(LLMSPELL_F_OR, inner_or, 2);
    and2[1] = FR("n", VI(10), VD(60.0));
    and2[2] = FC(LLMSPELL_F_NE, "cat", VS("beta"));
    ADD_F("and(or(b, cat=gamma), n in 10..60, cat!=beta)", FB(LLMSPELL_F_AND, and2, 3));
    /* non-selective: the graph path */
    ADD_F("ne cat zzz", FC(LLMSPELL_F_NE, "cat", VS("zzz")));
    ADD_F("ge f 0.05", FC(LLMSPELL_F_GE, "f", VD(0.05)));
    ADD_F("lt n 95", FC(LLMSPELL_F_LT, "n", VI(95)));
    or_bool[0] = FC(LLMSPELL_F_EQ, "b", VB(1));
    or_bool[1] = FC(LLMSPELL_F_EQ, "b", VB(0));
    ADD_F("or(b=true, b=false)", FB(LLMSPELL_F_OR, or_bool, 2));
    ADD_F("and() (matches all)", FB(LLMSPELL_F_AND, NULL, 0));
    ADD_F("or() (matches none)", FB(LLMSPELL_F_OR, NULL, 0));
    and_all[0] = FC(LLMSPELL_F_LE, "x", VI(30));
    ADD_F("and(x<=30)", FB(LLMSPELL_F_AND, and_all, 1));
    or_none[0] = FC(LLMSPELL_F_GT, "x", VI(30));
    ADD_F("or(x>30)", FB(LLMSPELL_F_OR, or_none, 1));
#undef ADD_F

    for (pass = 0; pass < 2; pass++)
    for (fi = 0; fi < nf && harness_failures < 10; fi++) {
        double rsum = 0, psum[4] = {0, 0, 0, 0};
        size_t nmatch = 0;
        if (pass == 1 && fi == 0) {
            llmspell_vec_info info;
            for (i = 0; i < sizeof INDEXED / sizeof *INDEXED; i++) CHECK_RC(llmspell_vec_index_field(v, INDEXED[i]), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_index_field(v, "cat"), LLMSPELL_ERR_EXISTS);
            CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
            CHECK(info.field_indexes == sizeof INDEXED / sizeof *INDEXED, "%u field indexes", (unsigned)info.field_indexes);
        }
        for (i = 0; i < N; i++) nmatch += (size_t)ref_match(&F[fi], &m[i]);
        for (qi = 0; qi < NQ; qi++) {
            const float *qv = ds_vec(&d, N + qi);
            llmspell_vec_query q = query_of(qv, DIM, K, 0, &F[fi]);
            size_t n = 0, ne = 0, ns = 0, want, j, good = 0;
            double kth;
            for (i = 0; i < N; i++)
                if (ref_match(&F[fi], &m[i])) { sc[ns].s = dref_cos(qv, ds_vec(&d, i), DIM); sc[ns].i = i; ns++; }
            qsort(sc, ns, sizeof *sc, scored_desc);
            want = ns < K ? ns : K;
            kth = want ? sc[want - 1].s : 0;
            CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
            CHECK_RC(llmspell_vec_search_exact(v, &q, ex, &ne), LLMSPELL_OK);
            CHECK(n == want, "filter '%s' query %u: %zu hits, %zu records match (want %zu)", FN[fi], qi, n, ns, want);
            CHECK(ne == want, "filter '%s' query %u: search_exact %zu hits, want %zu", FN[fi], qi, ne, want);
            CHECK(sorted_best_first(LLMSPELL_METRIC_COSINE, hits, n) && distinct_ids(hits, n), "filter '%s': hits unsorted or repeated",
                  FN[fi]);
            for (j = 0; j < n; j++) {
                long x = id_num(hits[j].id, "r");
                REQUIRE(x >= 0 && x < N, "hit id %s", hits[j].id);
                CHECK(ref_match(&F[fi], &m[x]), "filter '%s': hit %s does not match (%s)", FN[fi], hits[j].id, m[x].json);
                CHECK(hits[j].metadata_len == strlen(m[x].canon) && memcmp(hits[j].metadata, m[x].canon, hits[j].metadata_len) == 0,
                      "hit %s metadata not in canonical form: %.*s", hits[j].id, (int)hits[j].metadata_len, hits[j].metadata);
                /* a hit is right when it is at least as good as the true k-th (ties count) */
                good += dref_cos(qv, ds_vec(&d, (uint32_t)x), DIM) >= kth - 1e-6;
            }
            for (j = 0; j < ne; j++) {
                long x = id_num(ex[j].id, "r");
                REQUIRE(x >= 0 && x < N, "exact hit id %s", ex[j].id);
                CHECK(ref_match(&F[fi], &m[x]) && dref_cos(qv, ds_vec(&d, (uint32_t)x), DIM) >= kth - 1e-6,
                      "filter '%s' query %u: search_exact hit %s is not among the true top %zu", FN[fi], qi, ex[j].id, want);
            }
            for (plan = LLMSPELL__PLAN_SCAN; qi % 3 == 0 && plan <= LLMSPELL__PLAN_AFTER; plan++) { /* a third of the queries: time under emulation */
                llmspell_vec_hit ph[K];
                size_t pn = 0, pgood = 0;
                q.ef = 64;
                CHECK_RC(forced_search(v, &q, plan, ph, &pn), LLMSPELL_OK);
                q.ef = 0;
                CHECK(pn == want, "pass %d filter '%s' query %u plan %s: %zu hits, want %zu", pass, FN[fi], qi, PLANS[plan], pn, want);
                CHECK(sorted_best_first(LLMSPELL_METRIC_COSINE, ph, pn) && distinct_ids(ph, pn), "filter '%s' plan %s: hits unsorted or repeated",
                      FN[fi], PLANS[plan]);
                for (j = 0; j < pn; j++) {
                    long x = id_num(ph[j].id, "r");
                    REQUIRE(x >= 0 && x < N, "hit id %s", ph[j].id);
                    CHECK(ref_match(&F[fi], &m[x]), "filter '%s' plan %s: hit %s does not match (%s)", FN[fi], PLANS[plan], ph[j].id, m[x].json);
                    pgood += dref_cos(qv, ds_vec(&d, (uint32_t)x), DIM) >= kth - 1e-6;
                }
                psum[plan] += want ? (double)pgood / (double)want : 1;
                if (plan == LLMSPELL__PLAN_SCAN)
                    CHECK(pgood == want, "pass %d filter '%s' query %u: the forced scan found %zu of the true top %zu", pass, FN[fi], qi, pgood, want);
            }
            if (want) {
                rsum += (double)good / (double)want;
                if (ns * 20 <= N)
                    CHECK(good == want, "selective filter '%s' (%zu of %d match) query %u: only %zu of the true top %zu", FN[fi], ns, N, qi,
                          good, want);
            } else {
                rsum += 1;
            }
            graph_path_queries += ns * 2 > N;
        }
        CHECK(rsum / NQ >= FILTER_RECALL, "pass %d filter '%s' (%zu of %d match): mean recall %.3f, floor %.2f", pass, FN[fi], nmatch, N, rsum / NQ,
              FILTER_RECALL);
        for (plan = LLMSPELL__PLAN_ACORN; plan <= LLMSPELL__PLAN_AFTER; plan++)
            if (nmatch * 10 >= N)
                CHECK(psum[plan] / (NQ / 3) >= FILTER_RECALL, "pass %d filter '%s' (%zu of %d match) plan %s: mean recall %.3f, floor %.2f", pass,
                      FN[fi], nmatch, N, PLANS[plan], psum[plan] / (NQ / 3), FILTER_RECALL);
        if (rsum / NQ < 1.0) fprintf(stderr, "note: filter '%s' (%zu matches): recall %.3f\n", FN[fi], nmatch, rsum / NQ);
    }
    CHECK(graph_path_queries > 0, "no query used a non-selective filter");
    /* get returns the canonical metadata too */
    for (i = 0; i < N; i += 37) {
        llmspell_vec_record rec;
        CHECK_RC(llmspell_vec_get(v, ids[i], &rec), LLMSPELL_OK);
        CHECK(rec.metadata_len == strlen(m[i].canon) && memcmp(rec.metadata, m[i].canon, rec.metadata_len) == 0,
              "get %s metadata not in canonical form", ids[i]);
    }
    llmspell_vec_close(v);
    ds_free(&d);
    free(m);
    free(sc);
    free(recs);
    free(ids);
}

/* Postings of field index fx that belong to a live record with the field: every posting
   not counted stale (tests see the implementation). */
static int fx_consistent(llmspell_vec *v)
{
    uint32_t i, r, have;
    for (i = 0; i < v->nfx; i++) {
        for (r = 0, have = 0; r < v->nrecs; r++) have += v->recs[r].ix != LLMSPELL__NONE && llmspell__rec_field(&v->recs[r], v->fx[i].fid);
        if (v->fx[i].n - v->fx[i].stale != have || v->fx[i].nsorted > v->fx[i].n) return 0;
    }
    return 1;
}

/* The exact answer (search_exact) against the forced exact plan over a field index's
   candidates (the same ids in the same order) and the planner's own answer (count, matches). */
static void fx_compare(llmspell_vec *v, const llmspell_vec_filter *f, const char *what, const float *qv, uint32_t dim, const char *when)
{
    llmspell_vec_hit ex[20], sc[20], au[20];
    size_t ne = 0, ns = 0, na = 0, j;
    llmspell_vec_query q = query_of(qv, dim, 20, 0, f);
    CHECK_RC(llmspell_vec_search_exact(v, &q, ex, &ne), LLMSPELL_OK);
    CHECK_RC(forced_search(v, &q, LLMSPELL__PLAN_SCAN, sc, &ns), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_search(v, &q, au, &na), LLMSPELL_OK);
    CHECK(ns == ne && na == ne, "%s, filter %s: exact %zu hits, index scan %zu, search %zu", when, what, ne, ns, na);
    for (j = 0; j < ns && j < ne; j++) /* some records share a vector: equal scores may come in either order */
        CHECK(ex[j].score == sc[j].score,
              "%s, filter %s: hit %zu is %s (%.7f) by the index, %s (%.7f) exactly", when, what, j, sc[j].id, sc[j].score, ex[j].id, ex[j].score);
    for (j = 0; j < na && j < ne; j++)
        CHECK(au[j].score <= ex[j].score, "%s, filter %s: search hit %zu scores %.7f over the exact %.7f", when, what, j, au[j].score, ex[j].score);
}

static int kv_modify(llmspell_kv *kv, const uint8_t *k, size_t kn, size_t at, uint8_t xor_with);

static int fx_each_index(void *user, const llmspell_vec_record *r)
{
    llmspell_vec *v = (llmspell_vec *)user;
    (void)r;
    CHECK_RC(llmspell_vec_index_field(v, "zz"), LLMSPELL_ERR_BUSY);
    return 1;
}

/* >>field indexes: declared on a kv collection; random rounds of updates (values move, some
   records change dimension or lose the field), deletes, re-adds and expiries leave stale
   postings, grow the tail, merge and rebuild; after each round every filter's answer through
   the index equals the exact one and the postings add up. The declarations persist through
   reopening, a corrupt one is left out, unindex and drop remove them, bad names fail. */
static void test_field_indexes(void)
{
    enum { N = 3000, DIM = 8, ROUNDS = 25, OPS = 150 };
    dataset d;
    llmspell_kv kv;
    llmspell_vec *v;
    tclock clk = {1000};
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_info info;
    llmspell_vec_value tin[2];
    llmspell_vec_filter F[12], both[2], either[2];
    const char *FN[12] = {"g == 7", "g in [10,14]", "g < 3", "t == tag3", "t in (tag1, tag5)", "and(g == 7, t == tag2)",
                          "or(g == 49, t == tag6)", "g == 7.0", "g >= 40", "g in [-20.5,-3]", "g == 0 (-0.0 too)", "g >= -0.0"};
    char id[16], meta[64], longname[LLMSPELL_VEC_MAX_NAME + 2];
    rng r = {4242};
    uint32_t i, round, op, fi, merged = 0, rebuilt = 0, sorted_before[2] = {0, 0}, stale_before[2] = {0, 0};
    uint8_t k[VKEY_CAP];
    size_t kn;
    ds_make(&d, N + 16, DIM, 12, 777, 0);
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "fx", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "fx", NULL, &o), LLMSPELL_OK);
    tin[0] = VS("tag1");
    tin[1] = VS("tag5");
    F[0] = FC(LLMSPELL_F_EQ, "g", VI(7));
    F[1] = FR("g", VI(10), VI(14));
    F[2] = FC(LLMSPELL_F_LT, "g", VI(3));
    F[3] = FC(LLMSPELL_F_EQ, "t", VS("tag3"));
    F[4] = FIN("t", tin, 2);
    both[0] = FC(LLMSPELL_F_EQ, "g", VI(7));
    both[1] = FC(LLMSPELL_F_EQ, "t", VS("tag2"));
    F[5] = FB(LLMSPELL_F_AND, both, 2);
    either[0] = FC(LLMSPELL_F_EQ, "g", VI(49));
    either[1] = FC(LLMSPELL_F_EQ, "t", VS("tag6"));
    F[6] = FB(LLMSPELL_F_OR, either, 2);
    F[7] = FC(LLMSPELL_F_EQ, "g", VD(7.0));
    F[8] = FC(LLMSPELL_F_GE, "g", VI(40));
    F[9] = FR("g", VD(-20.5), VI(-3));
    F[10] = FC(LLMSPELL_F_EQ, "g", VI(0));
    F[11] = FC(LLMSPELL_F_GE, "g", VD(-0.0));
    F[0].value.s = (const char *)(uintptr_t)16; /* not a string: never read */    /* bad names and nothing to drop */
    CHECK_RC(llmspell_vec_index_field(v, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_index_field(v, ""), LLMSPELL_ERR_INVALID);
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK_RC(llmspell_vec_index_field(v, longname), LLMSPELL_ERR_TOO_LARGE);
    CHECK(strstr(llmspell_vec_errmsg(v), "field name") != NULL, "message: %s", llmspell_vec_errmsg(v));
    CHECK_RC(llmspell_vec_unindex_field(v, "g"), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_index_field(v, "g"), LLMSPELL_OK); /* before any record: built empty, kept by the adds */
    for (i = 0; i < N; i++) {
        llmspell_vec_record rec;
        snprintf(id, sizeof id, "r%u", i);
        snprintf(meta, sizeof meta, "{\"g\":%u,\"t\":\"tag%u\"}", i % 50, i % 7);
        rec = rec_of(id, ds_vec(&d, i), DIM, meta);
        REQUIRE_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
    }
    for (i = 0; i < 6; i++) { /* -0.0 is 0, through the index too */
        llmspell_vec_record rec;
        snprintf(id, sizeof id, "z%u", i);
        rec = rec_of(id, ds_vec(&d, N + 8 + i), DIM, i % 2 ? "{\"g\":-0.0,\"t\":\"tag0\"}" : "{\"g\":-0,\"t\":\"tag0\"}");
        REQUIRE_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_vec_index_field(v, "t"), LLMSPELL_OK); /* after: built from the records */
    CHECK_RC(llmspell_vec_index_field(v, "t"), LLMSPELL_ERR_EXISTS);
    CHECK(fx_consistent(v), "postings after the adds");
    for (round = 0; round < ROUNDS && harness_failures < 10; round++) {
        char when[48];
        for (op = 0; op < OPS; op++) {
            unsigned which = rng_below(&r, N), kind = rng_below(&r, 10);
            llmspell_vec_record rec;
            snprintf(id, sizeof id, "r%u", which);
            if (kind < 2) {
                llmspell_result rc = llmspell_vec_delete(v, id);
                CHECK(rc == LLMSPELL_OK || rc == LLMSPELL_ERR_NOT_FOUND, "delete %s: %s", id, rc_name(rc));
                continue;
            }
            if (kind == 2) snprintf(meta, sizeof meta, "{\"t\":\"tag%u\"}", rng_below(&r, 7)); /* without g */
            else if (kind == 3) snprintf(meta, sizeof meta, "{\"g\":%u.5,\"t\":\"tag%u\"}", rng_below(&r, 50), rng_below(&r, 7));
            else if (kind == 6) snprintf(meta, sizeof meta, "{\"g\":-%u.25,\"t\":\"tag%u\"}", rng_below(&r, 50), rng_below(&r, 7));
            else if (kind == 7) snprintf(meta, sizeof meta, "{\"g\":-%u,\"t\":\"tag%u\"}", rng_below(&r, 50), rng_below(&r, 7));
            else snprintf(meta, sizeof meta, "{\"g\":%u,\"t\":\"tag%u\"}", rng_below(&r, 50), rng_below(&r, 7));
            rec = rec_of(id, ds_vec(&d, rng_below(&r, N)), kind == 4 ? 4 : DIM, meta); /* some move to dimension 4 */
            rec.ttl = kind == 5 ? 100 : 0;
            CHECK_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
        }
        clk.now += 60; /* the ttl-ed ones of the round before expire */
        for (i = 0; i < v->nfx && i < 2; i++) { /* the sorted part grows by merges; stale postings go by rebuilds */
            merged += v->fx[i].nsorted > sorted_before[i];
            rebuilt += v->fx[i].stale < stale_before[i];
            sorted_before[i] = v->fx[i].nsorted;
            stale_before[i] = v->fx[i].stale;
        }
        CHECK(fx_consistent(v), "postings after round %u", round);
        snprintf(when, sizeof when, "round %u", round);
        for (fi = 0; fi < 12; fi++) fx_compare(v, &F[fi], FN[fi], ds_vec(&d, N + round % 16), DIM, when);
        fx_compare(v, &F[0], FN[0], ds_vec(&d, N + 1), 4, when); /* the other dimension */
    }
    CHECK(merged > 0 && rebuilt > 0, "the rounds never merged (%u) or rebuilt (%u) an index", merged, rebuilt);
    fprintf(stderr, "note: field_indexes: %u merges and %u rebuilds seen between rounds\n", merged, rebuilt);
    CHECK_RC(llmspell_vec_each(v, fx_each_index, v), LLMSPELL_OK);
    /* persisted: both come back after reopening, built from the records */
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "fx", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.field_indexes == 2, "reopened with %u field indexes", (unsigned)info.field_indexes);
    CHECK(fx_consistent(v), "postings after reopening");
    for (fi = 0; fi < 12; fi++) fx_compare(v, &F[fi], FN[fi], ds_vec(&d, N + 3), DIM, "reopened");
    /* unindex persists too */
    CHECK_RC(llmspell_vec_unindex_field(v, "t"), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_unindex_field(v, "t"), LLMSPELL_ERR_NOT_FOUND);
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "fx", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.field_indexes == 1, "after unindex t and reopening: %u field indexes", (unsigned)info.field_indexes);
    for (fi = 0; fi < 12; fi++) fx_compare(v, &F[fi], FN[fi], ds_vec(&d, N + 4), DIM, "after unindex");
    /* a corrupt declaration is left out (an index only speeds filters up) */
    llmspell_vec_close(v);
    kn = vkey(k, 'f', "fx", 2, "g", 0, 0, 0, 0);
    CHECK(kv_modify(&kv, k, kn, 5, 0x10), "corrupting the declaration of g");
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "fx", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.field_indexes == 0, "a corrupt declaration was used: %u field indexes", (unsigned)info.field_indexes);
    fx_compare(v, &F[0], FN[0], ds_vec(&d, N + 5), DIM, "without indexes");
    CHECK_RC(llmspell_vec_index_field(v, "g"), LLMSPELL_OK); /* declared afresh over the corrupt one */
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "fx", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.field_indexes == 1, "declared again: %u field indexes", (unsigned)info.field_indexes);
    llmspell_vec_close(v);
    /* drop removes the declarations with the rest */
    CHECK_RC(llmspell_vec_drop(&kv, "fx"), LLMSPELL_OK);
    CHECK(kv_has(&kv, k, kn) == 0, "the declaration of g survived the drop");
    llmspell_kv_close(&kv);
    ds_free(&d);
}

/* Numbers compare numerically across integer and float, strings by bytes (NUL and UTF-8
   included), with small hand-made records whose answers are known. */
static void test_filter_values(void)
{
    static const char *const metas[] = {
        "{\"v\":9007199254740993}",        /* 0: 2^53 + 1, not a double */
        "{\"v\":9007199254740992.0}",      /* 1: 2^53 as a float */
        "{\"v\":-1}",                      /* 2 */
        "{\"v\":1}",                       /* 3 */
        "{\"v\":1.0}",                     /* 4 */
        "{\"v\":0.1}",                     /* 5 */
        "{\"v\":1e2}",                     /* 6: 100.0 */
        "{\"s\":\"a\\u0000b\"}",           /* 7: three bytes, a NUL inside */
        "{\"s\":\"a\"}",                   /* 8 */
        "{\"s\":\"\\u00e9\"}",             /* 9: C3 A9 */
        "{\"s\":\"z\"}",                   /* 10 */
        "{\"s\":\"\"}",                    /* 11: empty */
        "{\"v\":\"1\"}",                   /* 12: a string, not a number */
        "{\"v\":true}",                    /* 13 */
        "{\"v\":null}",                    /* 14 */
        "{\"v\":{\"v\":1}}",               /* 15: nested */
        "{\"v\":9223372036854775807}",     /* 16: INT64_MAX */
        "{\"v\":-9223372036854775808}",    /* 17: INT64_MIN */
    };
    enum { NM = sizeof metas / sizeof metas[0] };
    struct fcase { llmspell_vec_filter f; const char *name; unsigned expect[NM + 1]; } cases[24];
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_L2, 0, 0, 0);
    float x[NM][2];
    char ids[NM][8];
    size_t i, nc = 0, c;
    llmspell_vec_value sv;

    REQUIRE_RC(llmspell_vec_open(&v, NULL, "values", &cfg, &o), LLMSPELL_OK);
    for (i = 0; i < NM; i++) {
        llmspell_vec_record r;
        memset(&r, 0, sizeof r);
        x[i][0] = (float)i;
        x[i][1] = 0;
        snprintf(ids[i], sizeof ids[i], "m%zu", i);
        r.id = ids[i];
        r.embedding = x[i];
        r.dim = 2;
        r.metadata = metas[i];
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    }
#define CASE(filter, nm, ...) \
    do { \
        unsigned e_[] = {__VA_ARGS__, 999}; \
        size_t k_; \
        cases[nc].f = (filter); \
        cases[nc].name = (nm); \
        for (k_ = 0; k_ < COUNT_OF(e_); k_++) { cases[nc].expect[k_] = e_[k_]; } \
        nc++; \
    } while (0)
    CASE(FC(LLMSPELL_F_GT, "v", VD(9007199254740992.0)), "2^53+1 > 2^53 (int vs float)", 0, 16);
    CASE(FC(LLMSPELL_F_EQ, "v", VI(9007199254740992LL)), "2^53.0 == int 2^53", 1);
    CASE(FC(LLMSPELL_F_EQ, "v", VI(1)), "1 == 1 and 1.0", 3, 4);
    CASE(FC(LLMSPELL_F_EQ, "v", VD(1.0)), "1.0 == 1 and 1.0", 3, 4);
    CASE(FC(LLMSPELL_F_EQ, "v", VD(0.1)), "0.1 == 0.1", 5);
    CASE(FC(LLMSPELL_F_EQ, "v", VI(100)), "1e2 == 100", 6);
    CASE(FR("v", VD(-1.5), VD(1.0)), "range -1.5..1.0", 2, 3, 4, 5);
    CASE(FC(LLMSPELL_F_LT, "v", VI(0)), "v < 0", 2, 17);
    CASE(FC(LLMSPELL_F_GT, "v", VI(9223372036854775806LL)), "v > INT64_MAX-1", 16);
    CASE(FC(LLMSPELL_F_LT, "v", VI(-9223372036854775807LL)), "v < INT64_MIN+1", 17);
    CASE(FC(LLMSPELL_F_EQ, "v", VS("1")), "string \"1\"", 12);
    CASE(FC(LLMSPELL_F_EQ, "v", VB(1)), "true", 13);
    CASE(FC(LLMSPELL_F_EQ, "v", VN()), "null", 14);
    sv = VS("a");
    sv.s = "a\0b";
    sv.slen = 3;
    CASE(FC(LLMSPELL_F_EQ, "s", sv), "eq a\\0b (slen 3)", 7);
    CASE(FC(LLMSPELL_F_EQ, "s", VS("a")), "eq a", 8);
    CASE(FC(LLMSPELL_F_GT, "s", VS("a")), "gt a: a\\0b, \\u00e9, z", 7, 9, 10);
    CASE(FC(LLMSPELL_F_GT, "s", VS("z")), "gt z: \\u00e9 (bytes C3 A9)", 9);
    CASE(FC(LLMSPELL_F_LT, "s", VS("a")), "lt a: the empty string", 11);
    CASE(FC(LLMSPELL_F_EQ, "s", VS("")), "eq empty string", 11);
    CASE(FC(LLMSPELL_F_LE, "s", VS("a")), "le a", 8, 11);
#undef CASE
    for (c = 0; c < nc; c++) {
        llmspell_vec_query q = query_of(x[0], 2, NM, 0, &cases[c].f);
        llmspell_vec_hit hits[NM];
        size_t n = 0, want = 0, j, k;
        int ok;
        while (cases[c].expect[want] != 999) want++;
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        ok = n == want;
        for (j = 0; ok && j < want; j++) {
            int found = 0;
            for (k = 0; k < n; k++) found |= strcmp(hits[k].id, ids[cases[c].expect[j]]) == 0;
            ok = found;
        }
        if (!ok) {
            char got[256] = "";
            for (k = 0; k < n; k++) {
                strcat(got, " ");
                strcat(got, hits[k].id);
            }
            CHECK(0, "filter '%s': got {%s }, want %zu records (first m%u)", cases[c].name, got, want, want ? cases[c].expect[0] : 0);
        }
    }
    llmspell_vec_close(v);
}

/* ------------------------------------------------------------------------------------------ */
/* >>dimension routing                                                                         */

static void test_dims(void)
{
    static const uint32_t dims[] = {3, 8, 384};
    enum { PER = 50 };
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record recs[3 * PER], rec;
    llmspell_vec_info info;
    llmspell_vec_hit hits[3 * PER];
    float *x[3];
    char ids[3 * PER][16];
    rng r = {303};
    size_t i, j, n;
    uint32_t di;

    for (di = 0; di < 3; di++) {
        x[di] = (float *)xmalloc((size_t)PER * dims[di] * sizeof(float));
        for (i = 0; i < (size_t)PER * dims[di]; i++) x[di][i] = rng_sym(&r);
    }
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "dims", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "dims", NULL, &o), LLMSPELL_OK);
    /* one batch, the dimensions interleaved */
    for (i = 0; i < 3 * PER; i++) {
        di = (uint32_t)(i % 3);
        memset(&recs[i], 0, sizeof recs[i]);
        snprintf(ids[i], sizeof ids[i], "d%u-%zu", dims[di], i / 3);
        recs[i].id = ids[i];
        recs[i].embedding = x[di] + (i / 3) * dims[di];
        recs[i].dim = dims[di];
    }
    CHECK_RC(llmspell_vec_add_batch(v, recs, 3 * PER), LLMSPELL_OK);
    for (j = 0; j < 2; j++) {
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.count == 3 * PER && info.ndims == 3, "info: count %llu ndims %u", (unsigned long long)info.count, info.ndims);
        for (di = 0; di < 3; di++) {
            int found = 0;
            for (i = 0; i < info.ndims && i < LLMSPELL_VEC_INFO_DIMS; i++)
                if (info.dims[i] == dims[di]) {
                    found = 1;
                    CHECK(info.dim_counts[i] == PER, "dim %u count %llu", dims[di], (unsigned long long)info.dim_counts[i]);
                }
            CHECK(found, "info does not list dim %u", dims[di]);
        }
        for (di = 0; di < 3; di++) {
            char pfx[16];
            llmspell_vec_query q = query_of(x[di] + 7 * dims[di], dims[di], 3 * PER, 0, NULL);
            snprintf(pfx, sizeof pfx, "d%u-", dims[di]);
            CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
            CHECK(n == PER, "dim %u: %zu hits for k=%d, want the %d of that dim", dims[di], n, 3 * PER, PER);
            for (i = 0; i < n; i++) CHECK(strncmp(hits[i].id, pfx, strlen(pfx)) == 0, "dim %u query returned %s", dims[di], hits[i].id);
            CHECK(n && strcmp(hits[0].id, (snprintf(pfx, sizeof pfx, "d%u-7", dims[di]), pfx)) == 0, "dim %u: nearest %s", dims[di],
                  n ? hits[0].id : "-");
            snprintf(pfx, sizeof pfx, "d%u-9", dims[di]);
            CHECK_RC(llmspell_vec_get(v, pfx, &rec), LLMSPELL_OK);
            CHECK(rec.dim == dims[di] && memcmp(rec.embedding, x[di] + 9 * dims[di], dims[di] * 4) == 0, "get %s: dim %u", pfx, rec.dim);
        }
        {
            float q5[5] = {1, 2, 3, 4, 5};
            llmspell_vec_query q = query_of(q5, 5, 3, 0, NULL);
            CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_NOT_FOUND);
            CHECK(n == 0 && llmspell_vec_errmsg(v)[0], "a missing dimension: n %zu, message '%s'", n, llmspell_vec_errmsg(v));
            CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_ERR_NOT_FOUND);
        }
        /* the same after a reopen */
        llmspell_vec_close(v);
        REQUIRE_RC(llmspell_vec_open(&v, &kv, "dims", NULL, &o), LLMSPELL_OK);
    }
    /* every vector of dim 8 deleted: the collection has none of that dimension any more */
    for (i = 0; i < PER; i++) {
        char id[16];
        snprintf(id, sizeof id, "d8-%zu", i);
        CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
    }
    for (j = 0; j < 2; j++) {
        llmspell_vec_query q = query_of(x[1], 8, 3, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_NOT_FOUND);
        CHECK(n == 0, "dim 8 after deleting all its vectors: %zu hits", n);
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        for (i = 0; i < info.ndims && i < LLMSPELL_VEC_INFO_DIMS; i++)
            CHECK(info.dims[i] != 8 || info.dim_counts[i] == 0, "dim 8 listed with %llu vectors", (unsigned long long)info.dim_counts[i]);
        CHECK(info.count == 2 * PER, "count %llu", (unsigned long long)info.count);
        llmspell_vec_close(v);
        REQUIRE_RC(llmspell_vec_open(&v, &kv, "dims", NULL, &o), LLMSPELL_OK);
    }
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    for (di = 0; di < 3; di++) free(x[di]);
}

/* ------------------------------------------------------------------------------------------ */
/* >>persistence                                                                               */

typedef enum { B_MEMORY, B_FILE, B_SQLITE, B_TENANT_FILE, B_POSTGRES } bkind;
typedef struct backend { const char *name; bkind kind; } backend;
static const backend BACKENDS[] = {{"memory", B_MEMORY},
                                   {"file", B_FILE},
#if COMPAT_HAS_SQLITE
                                   {"sqlite", B_SQLITE},
#endif
#if COMPAT_HAS_POSTGRES
                                   {"postgres", B_POSTGRES},
#endif
                                   {"tenant_file", B_TENANT_FILE}};

typedef struct store {
    bkind kind;
    llmspell_kv root, view;
    llmspell_kv *kv;
    int root_open, view_open;
    char path[COMPAT_PATH_MAX];
} store;

static llmspell_result store_open(store *s)
{
    llmspell_result rc;
    llmspell_kv_options ko;
    memset(&ko, 0, sizeof ko);
    ko.durability = LLMSPELL_DURABILITY_FAST; /* close still syncs; the run does not wait for the disk */
    if (s->kind == B_MEMORY && s->root_open) return LLMSPELL_OK; /* memory: the kv stays, only vec handles reopen */
    if (s->kind == B_MEMORY) rc = llmspell_kv_open_memory(&s->root, NULL);
#if COMPAT_HAS_SQLITE
    else if (s->kind == B_SQLITE) rc = llmspell_kv_open_sqlite(&s->root, s->path, &ko);
#endif
#if COMPAT_HAS_POSTGRES
    else if (s->kind == B_POSTGRES) rc = llmspell_kv_open_postgres(&s->root, s->path, &ko); /* path: the conninfo */
#endif
    else rc = llmspell_kv_open_file(&s->root, s->path, &ko);
    if (rc != LLMSPELL_OK) return rc;
    s->root_open = 1;
    s->kv = &s->root;
    if (s->kind == B_TENANT_FILE) {
        if ((rc = llmspell_kv_open_tenant(&s->view, &s->root, S("tenant:a/b"))) != LLMSPELL_OK) return rc;
        s->view_open = 1;
        s->kv = &s->view;
    }
    return LLMSPELL_OK;
}

/* Closes what a reopen must close (final: everything). */
static void store_close(store *s, int final)
{
    if (s->kind == B_MEMORY && !final) return;
    if (s->view_open) llmspell_kv_close(&s->view);
    if (s->root_open) llmspell_kv_close(&s->root);
    s->view_open = s->root_open = 0;
}

/* Everything observable about a collection: every record (via each), info, and the hits of a
   fixed set of queries. */
typedef struct srec {
    char id[40];
    float *emb;
    uint32_t dim;
    char *meta, *scope;
    size_t metalen;
    llmspell_time c, u, e;
} srec;

typedef struct snap {
    srec *r;
    size_t n, cap;
    llmspell_vec_info info;
    size_t nq, qn[32];
    char qid[32][10][40];
    float qscore[32][10];
    char qmeta[32][10][64];
} snap;

static int snap_each(void *user, const llmspell_vec_record *rec)
{
    snap *s = (snap *)user;
    srec *x;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->r = (srec *)realloc(s->r, s->cap * sizeof *s->r);
        if (!s->r) abort();
    }
    x = &s->r[s->n++];
    memset(x, 0, sizeof *x);
    snprintf(x->id, sizeof x->id, "%s", rec->id);
    x->dim = rec->dim;
    x->emb = (float *)xmalloc((size_t)rec->dim * 4);
    memcpy(x->emb, rec->embedding, (size_t)rec->dim * 4);
    x->metalen = rec->metadata_len;
    x->meta = (char *)xmalloc(rec->metadata_len + 1);
    memcpy(x->meta, rec->metadata, rec->metadata_len);
    x->scope = (char *)xmalloc(strlen(rec->scope) + 1);
    strcpy(x->scope, rec->scope);
    x->c = rec->created_at;
    x->u = rec->updated_at;
    x->e = rec->expires_at;
    return 0;
}

static void snap_free(snap *s)
{
    size_t i;
    for (i = 0; i < s->n; i++) {
        free(s->r[i].emb);
        free(s->r[i].meta);
        free(s->r[i].scope);
    }
    free(s->r);
    memset(s, 0, sizeof *s);
}

static llmspell_result snap_take(llmspell_vec *v, snap *s, const float *const *queries, const uint32_t *qdims, size_t nq)
{
    llmspell_result rc;
    size_t i, j;
    snap_free(s);
    if ((rc = llmspell_vec_each(v, snap_each, s)) != LLMSPELL_OK) return rc;
    if ((rc = llmspell_vec_info_get(v, &s->info)) != LLMSPELL_OK) return rc;
    s->nq = nq;
    for (i = 0; i < nq; i++) {
        llmspell_vec_hit hits[10];
        llmspell_vec_query q = query_of(queries[i], qdims[i], 10, 0, NULL);
        if ((rc = llmspell_vec_search(v, &q, hits, &s->qn[i])) != LLMSPELL_OK) return rc;
        for (j = 0; j < s->qn[i]; j++) {
            snprintf(s->qid[i][j], 40, "%s", hits[j].id);
            s->qscore[i][j] = hits[j].score;
            snprintf(s->qmeta[i][j], 64, "%.*s", (int)hits[j].metadata_len, hits[j].metadata);
        }
    }
    return LLMSPELL_OK;
}

/* Reports the first difference (0 when equal). */
static int snap_diff(const snap *a, const snap *b, char *why, size_t cap)
{
    size_t i, j;
    if (a->n != b->n) return snprintf(why, cap, "%zu records, %zu before", b->n, a->n), 1;
    for (i = 0; i < a->n; i++) {
        const srec *x = &a->r[i], *y = &b->r[i];
        if (strcmp(x->id, y->id) != 0) return snprintf(why, cap, "record %zu is %s, was %s", i, y->id, x->id), 1;
        if (x->dim != y->dim || memcmp(x->emb, y->emb, (size_t)x->dim * 4) != 0)
            return snprintf(why, cap, "%s: embedding differs (dim %u / %u)", x->id, y->dim, x->dim), 1;
        if (x->metalen != y->metalen || memcmp(x->meta, y->meta, x->metalen) != 0)
            return snprintf(why, cap, "%s: metadata %.*s, was %.*s", x->id, (int)y->metalen, y->meta, (int)x->metalen, x->meta), 1;
        if (strcmp(x->scope, y->scope) != 0) return snprintf(why, cap, "%s: scope %s, was %s", x->id, y->scope, x->scope), 1;
        if (x->c != y->c || x->u != y->u || x->e != y->e)
            return snprintf(why, cap, "%s: times %lld/%lld/%lld, were %lld/%lld/%lld", x->id, (long long)y->c, (long long)y->u,
                            (long long)y->e, (long long)x->c, (long long)x->u, (long long)x->e), 1;
    }
    if (a->info.count != b->info.count || a->info.ndims != b->info.ndims ||
        memcmp(&a->info.config, &b->info.config, sizeof a->info.config) != 0)
        return snprintf(why, cap, "info differs: count %llu/%llu ndims %u/%u", (unsigned long long)b->info.count,
                        (unsigned long long)a->info.count, b->info.ndims, a->info.ndims), 1;
    for (i = 0; i < a->info.ndims && i < LLMSPELL_VEC_INFO_DIMS; i++) { /* the same dims and counts, in any order */
        int found = 0;
        for (j = 0; j < b->info.ndims && j < LLMSPELL_VEC_INFO_DIMS; j++)
            found |= a->info.dims[i] == b->info.dims[j] && a->info.dim_counts[i] == b->info.dim_counts[j];
        if (!found) return snprintf(why, cap, "info: dim %u with %llu vectors is gone", a->info.dims[i],
                                    (unsigned long long)a->info.dim_counts[i]), 1;
    }
    for (i = 0; i < a->nq; i++) {
        if (a->qn[i] != b->qn[i]) return snprintf(why, cap, "query %zu: %zu hits, %zu before", i, b->qn[i], a->qn[i]), 1;
        for (j = 0; j < a->qn[i]; j++)
            if (strcmp(a->qid[i][j], b->qid[i][j]) != 0 || a->qscore[i][j] != b->qscore[i][j] || strcmp(a->qmeta[i][j], b->qmeta[i][j]) != 0)
                return snprintf(why, cap, "query %zu hit %zu: %s %.9g, was %s %.9g", i, j, b->qid[i][j], b->qscore[i][j], a->qid[i][j],
                                a->qscore[i][j]), 1;
    }
    return 0;
}

static const char *meta_persist(uint32_t i, char *buf, size_t cap)
{
    switch (i % 4) {
    case 0: snprintf(buf, cap, "{\"i\":%u,\"tags\":[\"a\",\"b\"],\"o\":{\"k\":{\"deep\":[1,2.5e-3,null,true]}}}", i); break;
    case 1: snprintf(buf, cap, " { \"i\" : %u , \"s\" : \"caf\\u00e9 \\\"q\\\" \\\\ \\/\" } ", i); break;
    case 2: snprintf(buf, cap, "{}"); break;
    default: snprintf(buf, cap, "{\"i\":%u,\"u\":\"\xE6\x97\xA5\xE6\x9C\xAC\",\"f\":-0.0}", i); break;
    }
    return buf;
}

/* A collection written on one handle is the same collection after close and reopen: every
   record bit for bit (embedding, metadata bytes, scope, times), info, and the hits of every
   query; the saved graph is loaded, not rebuilt. Twice, with writes in between. */
static void test_persist(const void *arg)
{
    const backend *b = (const backend *)arg;
    enum { N = 800, DIM = 24, NQ = 20 };
    store st;
    tclock clk = {5000000};
    llmspell_vec *v, *w;
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_COSINE, 12, 100, 40), cfg2 = config_of(LLMSPELL_METRIC_L2, 0, 0, 0);
    dataset d, d5;
    snap s1, s2, t1, t2;
    const float *qs[NQ + 4];
    uint32_t qd[NQ + 4], i, round;
    char why[512], id[32], meta[512];
    llmspell_vec_info info;
    llmspell_vec_record rec;

    memset(&st, 0, sizeof st);
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    memset(&t1, 0, sizeof t1);
    memset(&t2, 0, sizeof t2);
    st.kind = b->kind;
    tmp_path(st.path, sizeof st.path, b->name);
#if COMPAT_HAS_POSTGRES
    if (b->kind == B_POSTGRES) REQUIRE(compat_pg_fresh(st.path, sizeof st.path, why, sizeof why), "no PostgreSQL store: %s", why);
#endif
    ds_make(&d, N + 100 + NQ, DIM, 20, 777, 0);
    ds_make(&d5, 200, 5, 5, 778, 0);
    REQUIRE_RC(store_open(&st), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(st.kv, "docs", &cfg, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(st.kv, "docs:l2", &cfg2, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, st.kv, "docs", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&w, st.kv, "docs:l2", &cfg2, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "doc-", 0, N, 100, meta_persist), LLMSPELL_OK);
    for (i = 0; i < 100; i++) { /* scopes, ttls */
        memset(&rec, 0, sizeof rec);
        snprintf(id, sizeof id, "doc-%u", i);
        rec.id = id;
        rec.embedding = ds_vec(&d, i);
        rec.dim = DIM;
        rec.metadata = meta_persist(i, meta, sizeof meta);
        rec.scope = i % 3 == 0 ? "session:abc" : i % 3 == 1 ? "" : NULL;
        rec.ttl = i % 2 ? 1000000000000LL : 0;
        CHECK_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
    }
    clk.now += 10;
    for (i = 100; i < 150; i++) { /* deletes */
        snprintf(id, sizeof id, "doc-%u", i);
        CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
    }
    clk.now += 10;
    CHECK_RC(add_range(v, &d, N - 150, "doc-", 150, 180, 10, meta_persist), LLMSPELL_OK); /* updates */
    CHECK_RC(add_range(w, &d, 0, "a", 0, 150, 50, NULL), LLMSPELL_OK);
    {
        dataset *pd = &d5;
        CHECK_RC(add_range(w, pd, 0, "b", 0, 150, 50, meta_persist), LLMSPELL_OK);
    }
    for (i = 0; i < NQ; i++) { qs[i] = ds_vec(&d, N + 100 + i); qd[i] = DIM; }
    for (i = 0; i < 4; i++) { qs[NQ + i] = ds_vec(&d5, 150 + i); qd[NQ + i] = 5; }

    for (round = 0; round < 2; round++) {
        CHECK_RC(snap_take(v, &s1, qs, qd, NQ), LLMSPELL_OK);
        CHECK_RC(snap_take(w, &t1, qs, qd, NQ + 4), LLMSPELL_OK);
        CHECK(s1.n == N - 50 + round * 20 - round * 5, "round %u: %zu records", round, s1.n);
        llmspell_vec_close(v);
        llmspell_vec_close(w);
        store_close(&st, 0);
        REQUIRE_RC(store_open(&st), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_open(&v, st.kv, "docs", &cfg, &o), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_open(&w, st.kv, "docs:l2", NULL, &o), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.graph_loaded == 1, "%s round %u: the saved graph was not loaded", b->name, round);
        CHECK_RC(llmspell_vec_info_get(w, &info), LLMSPELL_OK);
        CHECK(info.graph_loaded == 1 && info.ndims == 2, "%s round %u: l2 collection graph_loaded %d ndims %u", b->name, round,
              info.graph_loaded, info.ndims);
        CHECK_RC(snap_take(v, &s2, qs, qd, NQ), LLMSPELL_OK);
        CHECK_RC(snap_take(w, &t2, qs, qd, NQ + 4), LLMSPELL_OK);
        if (snap_diff(&s1, &s2, why, sizeof why)) CHECK(0, "%s round %u: docs after reopen: %s", b->name, round, why);
        if (snap_diff(&t1, &t2, why, sizeof why)) CHECK(0, "%s round %u: docs:l2 after reopen: %s", b->name, round, why);
        for (i = 100; i < 150; i++) {
            snprintf(id, sizeof id, "doc-%u", i);
            CHECK_RC(llmspell_vec_get(v, id, &rec), LLMSPELL_ERR_NOT_FOUND);
        }
        /* writes on the reopened handle, kept by the next round */
        clk.now += 10;
        CHECK_RC(add_range(v, &d, N, "new-", round * 20, round * 20 + 20, 20, meta_persist), LLMSPELL_OK);
        for (i = 0; i < 5; i++) {
            snprintf(id, sizeof id, "doc-%u", 200 + round * 5 + i);
            CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
        }
    }
    llmspell_vec_close(v);
    llmspell_vec_close(w);
    snap_free(&s1);
    snap_free(&s2);
    snap_free(&t1);
    snap_free(&t2);
    store_close(&st, 1);
    ds_free(&d);
    ds_free(&d5);
}

/* Two tenants' collections of the same name are separate collections. */
static void test_tenants(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv root, ta, tb, tab;
    llmspell_vec *va, *vb, *vab;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record rec;
    llmspell_vec_hit hits[10];
    float xa[4] = {1, 0, 0, 0}, xb[4] = {0, 1, 0, 0};
    size_t n;
    llmspell_vec_info info;

    tmp_path(path, sizeof path, "tenants");
    REQUIRE_RC(llmspell_kv_open_file(&root, path, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&ta, &root, S("a")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&tb, &root, S("b")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&tab, &root, S("a:b")), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&ta, "docs", NULL, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&tb, "docs", NULL, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&tab, "docs", NULL, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&ta, "c", NULL, NULL), LLMSPELL_OK); /* tenant "a" + "c" vs tenant "a:b"... */
    REQUIRE_RC(llmspell_vec_open(&va, &ta, "docs", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&vb, &tb, "docs", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&vab, &tab, "docs", NULL, &o), LLMSPELL_OK);
    memset(&rec, 0, sizeof rec);
    rec.id = "shared-id";
    rec.embedding = xa;
    rec.dim = 4;
    rec.metadata = "{\"owner\":\"a\"}";
    CHECK_RC(llmspell_vec_add(va, &rec), LLMSPELL_OK);
    rec.id = "only-a";
    CHECK_RC(llmspell_vec_add(va, &rec), LLMSPELL_OK);
    rec.id = "shared-id";
    rec.embedding = xb;
    rec.metadata = "{\"owner\":\"b\"}";
    CHECK_RC(llmspell_vec_add(vb, &rec), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(vb, "only-a", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(vab, "only-a", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(vb, "shared-id", &rec), LLMSPELL_OK);
    CHECK(rec.metadata_len == 13 && memcmp(rec.metadata, "{\"owner\":\"b\"}", 13) == 0 && rec.embedding[1] == 1.0f, "b's record is a's");
    CHECK_RC(llmspell_vec_get(va, "shared-id", &rec), LLMSPELL_OK);
    CHECK(memcmp(rec.metadata, "{\"owner\":\"a\"}", 13) == 0 && rec.embedding[0] == 1.0f, "a's record is b's");
    {
        llmspell_vec_query q = query_of(xa, 4, 10, 0, NULL);
        CHECK_RC(llmspell_vec_search(vb, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 1 && strcmp(hits[0].id, "shared-id") == 0, "b sees %zu records", n);
        CHECK_RC(llmspell_vec_search(vab, &q, hits, &n), LLMSPELL_ERR_NOT_FOUND); /* empty: no dim 4 */
    }
    CHECK_RC(llmspell_vec_info_get(va, &info), LLMSPELL_OK);
    CHECK(info.count == 2, "a: %llu records", (unsigned long long)info.count);
    /* the root has no collections of its own */
    CHECK(kv_count_prefix(&root, "\xFF" "V", 2) == 0, "the root sees %ld vec keys", kv_count_prefix(&root, "\xFF" "V", 2));
    {
        llmspell_vec *vr = NULL;
        CHECK_RC(llmspell_vec_open(&vr, &root, "docs", NULL, &o), LLMSPELL_ERR_NOT_FOUND);
        if (vr) llmspell_vec_close(vr);
    }
    /* drop in a: b's same-named collection is untouched */
    llmspell_vec_close(va);
    CHECK_RC(llmspell_vec_drop(&ta, "docs"), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_open(&va, &ta, "docs", NULL, &o), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(vb, "shared-id", &rec), LLMSPELL_OK);
    llmspell_vec_close(vb);
    llmspell_vec_close(vab);
    llmspell_kv_close(&ta);
    llmspell_kv_close(&tb);
    llmspell_kv_close(&tab);
    llmspell_kv_close(&root);
    /* after reopening the file */
    REQUIRE_RC(llmspell_kv_open_file(&root, path, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&tb, &root, S("b")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&vb, &tb, "docs", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(vb, "shared-id", &rec), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(vb, "only-a", &rec), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_info_get(vb, &info), LLMSPELL_OK);
    CHECK(info.count == 1 && info.graph_loaded == 1, "b after reopen: %llu records, graph_loaded %d", (unsigned long long)info.count,
          info.graph_loaded);
    llmspell_vec_close(vb);
    llmspell_kv_close(&tb);
    llmspell_kv_close(&root);
}

typedef struct namelist { char names[32][300]; size_t n, stop_after; } namelist;
static int list_collect(void *user, const char *name)
{
    namelist *l = (namelist *)user;
    if (l->n < 32) snprintf(l->names[l->n], sizeof l->names[0], "%s", name);
    l->n++;
    return l->stop_after && l->n >= l->stop_after;
}

static int cmp_bytes(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b); /* strcmp compares as unsigned char */
}

/* The collection of a 0xFF 'V' key (0 when it does not parse). */
static int vkey_name(const uint8_t *k, size_t kl, char *name, size_t cap)
{
    const uint8_t *p = k + 3;
    size_t n;
    if (kl < 3 || k[0] != 0xFF || k[1] != 'V') return 0;
    if (llmspell_tuple_get_bytes(&p, k + kl, (uint8_t *)name, cap - 1, &n) != LLMSPELL_OK || n >= cap) return 0;
    name[n] = 0;
    return 1;
}

/* Names with ':' '/' 0xFF, and names that are prefixes of each other, do not collide; list
   by prefix in name order, with an early stop; drop removes every key of one collection and
   nothing of the others. */
static void test_names(void)
{
    static const char *const names[] = {"a", "ab", "a:b", "a/b", "a:", "a\x01", "b", "a\xff\xfe", "ab:c/d", "a b"};
    enum { NN = sizeof names / sizeof names[0] };
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record rec;
    llmspell_vec_info info;
    float x[NN][3];
    char id[32];
    const char *sorted[NN];
    namelist l;
    size_t i, j, k;
    char longname[LLMSPELL_VEC_MAX_NAME + 1];

    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    for (i = 0; i < NN; i++) {
        REQUIRE_RC(llmspell_vec_create(&kv, names[i], NULL, NULL), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_open(&v, &kv, names[i], NULL, &o), LLMSPELL_OK);
        for (j = 0; j < 3; j++) {
            memset(&rec, 0, sizeof rec);
            x[i][0] = (float)i + 1;
            x[i][1] = (float)j;
            x[i][2] = 1;
            snprintf(id, sizeof id, "rec-%zu-%zu", i, j);
            rec.id = id;
            rec.embedding = x[i];
            rec.dim = 3;
            CHECK_RC(llmspell_vec_add(v, &rec), LLMSPELL_OK);
        }
        llmspell_vec_close(v);
    }
    memset(longname, 'n', LLMSPELL_VEC_MAX_NAME);
    longname[LLMSPELL_VEC_MAX_NAME] = 0;
    CHECK_RC(llmspell_vec_create(&kv, longname, NULL, NULL), LLMSPELL_OK); /* the longest allowed name */
    CHECK_RC(llmspell_vec_drop(&kv, longname), LLMSPELL_OK);
    for (i = 0; i < NN; i++) {
        REQUIRE_RC(llmspell_vec_open(&v, &kv, names[i], NULL, &o), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.count == 3 && info.graph_loaded == 1, "collection %zu: %llu records, graph_loaded %d", i, (unsigned long long)info.count,
              info.graph_loaded);
        for (k = 0; k < NN; k++) {
            snprintf(id, sizeof id, "rec-%zu-1", k);
            CHECK_RC(llmspell_vec_get(v, id, &rec), k == i ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND);
        }
        llmspell_vec_close(v);
    }
    /* list: all, in name order */
    for (i = 0; i < NN; i++) sorted[i] = names[i];
    qsort(sorted, NN, sizeof *sorted, cmp_bytes);
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_vec_list(&kv, NULL, list_collect, &l), LLMSPELL_OK);
    CHECK(l.n == NN, "list(NULL) gave %zu names, want %d", l.n, NN);
    for (i = 0; i < l.n && i < NN; i++) CHECK(strcmp(l.names[i], sorted[i]) == 0, "list position %zu: '%s', want '%s'", i, l.names[i], sorted[i]);
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_vec_list(&kv, "", list_collect, &l), LLMSPELL_OK);
    CHECK(l.n == NN, "list(\"\") gave %zu names", l.n);
    /* by prefix */
    {
        static const char *const prefixes[] = {"a", "a:", "ab", "b", "a\xff", "c", "a:b/"};
        for (k = 0; k < COUNT_OF(prefixes); k++) {
            size_t want = 0, at = 0;
            memset(&l, 0, sizeof l);
            CHECK_RC(llmspell_vec_list(&kv, prefixes[k], list_collect, &l), LLMSPELL_OK);
            for (i = 0; i < NN; i++) {
                if (strncmp(sorted[i], prefixes[k], strlen(prefixes[k])) != 0) continue;
                want++;
                CHECK(at < l.n && strcmp(l.names[at], sorted[i]) == 0, "list('%s') position %zu: '%s', want '%s'", prefixes[k], at,
                      at < l.n ? l.names[at] : "(none)", sorted[i]);
                at++;
            }
            CHECK(l.n == want, "list('%s') gave %zu names, want %zu", prefixes[k], l.n, want);
        }
    }
    memset(&l, 0, sizeof l);
    l.stop_after = 2;
    CHECK_RC(llmspell_vec_list(&kv, NULL, list_collect, &l), LLMSPELL_OK);
    CHECK(l.n == 2, "a listing told to stop after 2 called back %zu times", l.n);
    /* drop "a": its keys go, the others' stay */
    CHECK_RC(llmspell_vec_drop(&kv, "a"), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_drop(&kv, "a"), LLMSPELL_ERR_NOT_FOUND);
    CHECK(llmspell_kv_errmsg(&kv)[0] != 0, "no message for dropping a missing collection");
    CHECK_RC(llmspell_vec_open(&v, &kv, "a", NULL, &o), LLMSPELL_ERR_NOT_FOUND);
    {
        llmspell_kv_iter *it;
        const void *kk;
        size_t kl;
        long others = 0, of_a = 0;
        char nm[300];
        REQUIRE_RC(llmspell_kv_iter_open(&kv, "\xFF" "V", 2, &it), LLMSPELL_OK);
        while (llmspell_kv_iter_next(it, &kk, &kl, NULL, NULL) == LLMSPELL_OK) {
            if (!vkey_name((const uint8_t *)kk, kl, nm, sizeof nm)) { CHECK(0, "a vec key that does not parse"); continue; }
            if (strcmp(nm, "a") == 0) of_a++;
            else others++;
        }
        llmspell_kv_iter_close(it);
        CHECK(of_a == 0, "%ld keys of the dropped collection remain", of_a);
        /* each of the other 9 has settings, 3 records, a header and a page */
        CHECK(others == (NN - 1) * 6, "%ld keys of the other collections, want %d", others, (NN - 1) * 6);
    }
    for (i = 1; i < NN; i++) {
        REQUIRE_RC(llmspell_vec_open(&v, &kv, names[i], NULL, &o), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.count == 3, "'%s' after dropping 'a': %llu records", names[i], (unsigned long long)info.count);
        llmspell_vec_close(v);
    }
    for (i = 1; i < NN; i++) CHECK_RC(llmspell_vec_drop(&kv, names[i]), LLMSPELL_OK);
    CHECK(kv_count_prefix(&kv, "\xFF" "V", 2) == 0, "%ld vec keys remain after dropping everything", kv_count_prefix(&kv, "\xFF" "V", 2));
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_vec_list(&kv, NULL, list_collect, &l), LLMSPELL_OK);
    CHECK(l.n == 0, "list after dropping everything: %zu", l.n);
    /* a dropped name can be created again, empty */
    CHECK_RC(llmspell_vec_create(&kv, "a", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "a", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == 0 && info.ndims == 0, "re-created collection has %llu records", (unsigned long long)info.count);
    CHECK_RC(llmspell_vec_get(v, "rec-0-1", &rec), LLMSPELL_ERR_NOT_FOUND);
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
}

/* ------------------------------------------------------------------------------------------ */
/* >>corrupt and stale snapshots                                                               */

/* A memory kv with collection "cc" of N clustered vectors (dim 16): the fixture of the
   corruption tests. */
enum { CN = 1200, CDIM = 16, CNQ = 30 };
typedef struct cfix { llmspell_kv kv; dataset d; llmspell_vec_options o; } cfix;

static int cfix_make(cfix *f)
{
    llmspell_vec *v;
    int ok;
    memset(f, 0, sizeof *f);
    f->o = opts_clock(NULL);
    ds_make(&f->d, CN + CNQ + 1, CDIM, 20, 999, 0);
    if (llmspell_kv_open_memory(&f->kv, NULL) != LLMSPELL_OK) return 0;
    if (llmspell_vec_create(&f->kv, "cc", NULL, &f->o) != LLMSPELL_OK) return 0;
    if (llmspell_vec_open(&v, &f->kv, "cc", NULL, &f->o) != LLMSPELL_OK) return 0;
    ok = add_range(v, &f->d, 0, "v", 0, CN, 200, meta_persist) == LLMSPELL_OK;
    llmspell_vec_close(v);
    return ok;
}

static void cfix_free(cfix *f)
{
    llmspell_kv_close(&f->kv);
    ds_free(&f->d);
}

/* Opens "cc" and checks count, graph_loaded, every record's presence and recall. */
static void cfix_check_at(const char *file, int line, cfix *f, uint64_t count, int loaded, const char *what)
{
    llmspell_vec *v;
    llmspell_vec_info info;
    llmspell_vec_record rec;
    uint32_t i;
    char id[32];
    int errors = 0;
    double recall;
    llmspell_result rc = llmspell_vec_open(&v, &f->kv, "cc", NULL, &f->o);
    CHECK_AT(file, line, rc == LLMSPELL_OK, "%s: open returned %s (%s)", what, rc_name(rc), llmspell_kv_errmsg(&f->kv));
    if (rc != LLMSPELL_OK) return;
    llmspell_vec_info_get(v, &info);
    CHECK_AT(file, line, info.count == count, "%s: %llu records, want %llu", what, (unsigned long long)info.count, (unsigned long long)count);
    CHECK_AT(file, line, info.graph_loaded == loaded, "%s: graph_loaded %d, want %d", what, info.graph_loaded, loaded);
    for (i = 0; i < CN; i += 5) {
        snprintf(id, sizeof id, "v%u", i);
        rc = llmspell_vec_get(v, id, &rec);
        if (rc == LLMSPELL_ERR_NOT_FOUND && count < CN) continue;
        CHECK_AT(file, line, rc == LLMSPELL_OK && memcmp(rec.embedding, ds_vec(&f->d, i), CDIM * 4) == 0, "%s: get %s: %s", what, id,
                 rc_name(rc));
    }
    recall = mean_recall(v, &f->d, CN, CNQ, 10, 64, &errors);
    CHECK_AT(file, line, recall >= RECALL_FLOOR && errors == 0, "%s: recall %.4f (floor %.2f), %d errors", what, recall, RECALL_FLOOR, errors);
    llmspell_vec_close(v);
}
#define CFIX_CHECK(f, count, loaded, what) cfix_check_at(__FILE__, __LINE__, f, count, loaded, what)

static int kv_modify(llmspell_kv *kv, const uint8_t *k, size_t kn, size_t at, uint8_t xor_with)
{
    void *val;
    size_t vn;
    int ok;
    if (llmspell_kv_get_copy(kv, k, kn, &val, &vn) != LLMSPELL_OK || at >= vn) return 0;
    ((uint8_t *)val)[at] ^= xor_with;
    ok = llmspell_kv_put_sys(kv, k, kn, val, vn) == LLMSPELL_OK;
    llmspell_kv_free(kv, val);
    return ok;
}

/* One graph page with a flipped byte: the open notices, rebuilds (graph_loaded 0), answers
   correctly, saves the rebuilt graph, and the next open loads it. */
static void test_corrupt_page(void)
{
    cfix f;
    uint8_t k[VKEY_CAP];
    size_t kn, vn;
    const void *val;
    REQUIRE(cfix_make(&f), "fixture");
    CFIX_CHECK(&f, CN, 1, "intact");
    kn = vkey(k, 'p', "cc", 2, NULL, 1, CDIM, 1, 5);
    REQUIRE_RC(llmspell_kv_get(&f.kv, k, kn, &val, &vn), LLMSPELL_OK);
    REQUIRE(kv_modify(&f.kv, k, kn, vn / 2, 0x10), "could not rewrite page 5");
    CFIX_CHECK(&f, CN, 0, "page 5 corrupt (middle)");
    CFIX_CHECK(&f, CN, 1, "reopen after the rebuild");
    /* the page's first byte, its last (the checksum), and the header */
    REQUIRE_RC(llmspell_kv_get(&f.kv, k, kn, &val, &vn), LLMSPELL_OK);
    REQUIRE(kv_modify(&f.kv, k, kn, vn - 1, 0x01), "could not rewrite page 5");
    CFIX_CHECK(&f, CN, 0, "page 5 checksum byte");
    kn = vkey(k, 'p', "cc", 2, NULL, 1, CDIM, 1, 0);
    REQUIRE(kv_modify(&f.kv, k, kn, 0, 0x20), "could not rewrite page 0");
    CFIX_CHECK(&f, CN, 0, "page 0 magic");
    kn = vkey(k, 'h', "cc", 2, NULL, 1, CDIM, 0, 0);
    REQUIRE(kv_modify(&f.kv, k, kn, 10, 0x01), "could not rewrite the header");
    CFIX_CHECK(&f, CN, 0, "header byte");
    CFIX_CHECK(&f, CN, 1, "reopen after the header rebuild");
    cfix_free(&f);
}

/* Pages or the header missing. */
static void test_corrupt_missing_page(void)
{
    cfix f;
    uint8_t k[VKEY_CAP];
    size_t kn;
    REQUIRE(cfix_make(&f), "fixture");
    kn = vkey(k, 'p', "cc", 2, NULL, 1, CDIM, 1, 7);
    REQUIRE_RC(llmspell_kv_delete_sys(&f.kv, k, kn), LLMSPELL_OK);
    CFIX_CHECK(&f, CN, 0, "page 7 missing");
    CFIX_CHECK(&f, CN, 1, "reopen after the rebuild");
    kn = vkey(k, 'p', "cc", 2, NULL, 1, CDIM, 1, (CN - 1) / 64); /* the last, partial page */
    REQUIRE_RC(llmspell_kv_delete_sys(&f.kv, k, kn), LLMSPELL_OK);
    CFIX_CHECK(&f, CN, 0, "last page missing");
    kn = vkey(k, 'h', "cc", 2, NULL, 1, CDIM, 0, 0);
    REQUIRE_RC(llmspell_kv_delete_sys(&f.kv, k, kn), LLMSPELL_OK);
    CFIX_CHECK(&f, CN, 0, "header missing");
    CFIX_CHECK(&f, CN, 1, "reopen after the rebuild");
    cfix_free(&f);
}

/* The stored record form, from the implementation's >>storage notes:
   "LVR1" u32 dim, i64 created, updated, expires, u32 scope len, u32 metadata len, scope,
   metadata, dim float32 (all little-endian), u32 CRC-32C of all before it. */
static size_t make_rec_blob(uint8_t *b, const float *x, uint32_t dim, const char *scope, const char *meta, llmspell_time t)
{
    size_t sl = strlen(scope), ml = strlen(meta), i;
    uint8_t *p = b;
    uint64_t u;
    memcpy(p, "LVR1", 4);
    p[4] = (uint8_t)dim; p[5] = (uint8_t)(dim >> 8); p[6] = (uint8_t)(dim >> 16); p[7] = (uint8_t)(dim >> 24);
    p += 8;
    for (i = 0; i < 3; i++) {
        int j;
        u = i < 2 ? (uint64_t)t : (uint64_t)LLMSPELL_TIME_MAX;
        for (j = 0; j < 8; j++) *p++ = (uint8_t)(u >> (8 * j));
    }
    for (i = 0; i < 4; i++) *p++ = (uint8_t)(sl >> (8 * i));
    for (i = 0; i < 4; i++) *p++ = (uint8_t)(ml >> (8 * i));
    memcpy(p, scope, sl);
    p += sl;
    memcpy(p, meta, ml);
    p += ml;
    for (i = 0; i < dim; i++) {
        uint32_t w;
        int j;
        memcpy(&w, &x[i], 4);
        for (j = 0; j < 4; j++) *p++ = (uint8_t)(w >> (8 * j));
    }
    {
        uint32_t crc = llmspell_crc32c(0, b, (size_t)(p - b));
        int j;
        for (j = 0; j < 4; j++) *p++ = (uint8_t)(crc >> (8 * j));
    }
    return (size_t)(p - b);
}

/* Records changed behind the graph's back (an import that bypassed it, a lost record): the
   open notices and rebuilds; the imported record is searchable. */
static void test_corrupt_stale(void)
{
    cfix f;
    uint8_t k[VKEY_CAP], blob[512];
    size_t kn, bn;
    llmspell_vec *v;
    llmspell_vec_record rec;
    llmspell_vec_hit hits[3];
    llmspell_vec_info info;
    size_t n;
    float x[CDIM];
    uint32_t i;
    REQUIRE(cfix_make(&f), "fixture");
    for (i = 0; i < CDIM; i++) x[i] = ds_vec(&f.d, CN + CNQ)[i];
    kn = vkey(k, 'r', "cc", 2, "imported", 0, 0, 0, 0);
    bn = make_rec_blob(blob, x, CDIM, "import", "{\"src\":\"import\"}", 42);
    REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, blob, bn), LLMSPELL_OK);
    CFIX_CHECK(&f, CN + 1, 0, "an extra record written directly");
    REQUIRE_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "imported", &rec), LLMSPELL_OK);
    CHECK(rec.dim == CDIM && memcmp(rec.embedding, x, sizeof x) == 0 && rec.created_at == 42 && strcmp(rec.scope, "import") == 0 &&
              rec.metadata_len == strlen("{\"src\":\"import\"}"),
          "imported record: dim %u created %lld scope %s", rec.dim, (long long)rec.created_at, rec.scope);
    {
        llmspell_vec_query q = query_of(x, CDIM, 3, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 3 && strcmp(hits[0].id, "imported") == 0 && hits[0].score > 0.9999f, "the imported record is not found by its vector: %s",
              n ? hits[0].id : "-");
    }
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.graph_loaded == 1 && info.count == CN + 1, "the rebuilt graph was not saved: graph_loaded %d", info.graph_loaded);
    llmspell_vec_close(v);
    /* a record deleted behind the graph's back */
    kn = vkey(k, 'r', "cc", 2, "v3", 0, 0, 0, 0);
    REQUIRE_RC(llmspell_kv_delete_sys(&f.kv, k, kn), LLMSPELL_OK);
    CFIX_CHECK(&f, CN, 0, "a record deleted directly");
    REQUIRE_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "v3", &rec), LLMSPELL_ERR_NOT_FOUND);
    {
        llmspell_vec_query q = query_of(ds_vec(&f.d, 3), CDIM, 3, 0, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 3 && strcmp(hits[0].id, "v3") != 0 && strcmp(hits[1].id, "v3") != 0, "a record deleted from the store is still found");
    }
    llmspell_vec_close(v);
    /* a record whose vector changed behind the graph's back (same id, same dim) */
    kn = vkey(k, 'r', "cc", 2, "v8", 0, 0, 0, 0);
    bn = make_rec_blob(blob, x, CDIM, "global", "{}", 43);
    REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, blob, bn), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_OK);
    {
        llmspell_vec_query q = query_of(x, CDIM, 2, 0, NULL);
        CHECK_RC(llmspell_vec_get(v, "v8", &rec), LLMSPELL_OK);
        CHECK(memcmp(rec.embedding, x, sizeof x) == 0, "v8: get does not return the stored vector");
        CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
        CHECK(n == 2 && hits[0].score > 0.9999f && hits[1].score > 0.9999f, "the changed record is not found by its new vector");
    }
    llmspell_vec_close(v);
    cfix_free(&f);
}

/* Every key under 0xFF 'V' tag tuple("cc"), copied. */
typedef struct keyset { uint8_t *k[64], *v[64]; size_t kn[64], vn[64], n; } keyset;
static void keyset_take(llmspell_kv *kv, char tag, keyset *ks)
{
    uint8_t pre[VKEY_CAP];
    size_t pn = vkey(pre, tag, "cc", 2, NULL, 0, 0, 0, 0);
    llmspell_kv_iter *it;
    const void *k, *val;
    size_t kl, vl;
    if (llmspell_kv_iter_open(kv, pre, pn, &it) != LLMSPELL_OK) return;
    while (ks->n < 64 && llmspell_kv_iter_next(it, &k, &kl, &val, &vl) == LLMSPELL_OK) {
        ks->k[ks->n] = (uint8_t *)xmalloc(kl);
        ks->v[ks->n] = (uint8_t *)xmalloc(vl);
        memcpy(ks->k[ks->n], k, kl);
        memcpy(ks->v[ks->n], val, vl);
        ks->kn[ks->n] = kl;
        ks->vn[ks->n] = vl;
        ks->n++;
    }
    llmspell_kv_iter_close(it);
}
static void keyset_free(keyset *ks)
{
    size_t i;
    for (i = 0; i < ks->n; i++) {
        free(ks->k[i]);
        free(ks->v[i]);
    }
    ks->n = 0;
}

/* An older snapshot of the graph put back (a restore of old pages, a write that skipped the
   graph): same ids at the same places, but the records changed since. Only the write
   generation tells: the open must not trust it. */
static void test_corrupt_old_snapshot(void)
{
    cfix f;
    keyset old, now;
    llmspell_vec *v;
    llmspell_vec_info info;
    llmspell_vec_record rec;
    llmspell_vec_hit hits[1];
    size_t i, n;
    uint32_t j;
    char id[32];
    int lost = 0;
    memset(&old, 0, sizeof old);
    memset(&now, 0, sizeof now);
    REQUIRE(cfix_make(&f), "fixture");
    keyset_take(&f.kv, 'h', &old);
    keyset_take(&f.kv, 'p', &old);
    REQUIRE(old.n == 1 + (CN + 63) / 64, "%zu graph keys", old.n);
    /* every 4th record gets another record's vector, in place */
    REQUIRE_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_OK);
    for (j = 0; j < CN; j += 4) {
        llmspell_vec_record r;
        snprintf(id, sizeof id, "v%u", j);
        r = rec_of(id, ds_vec(&f.d, CN - 1 - j), CDIM, "{}");
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    }
    llmspell_vec_close(v);
    /* put the old graph back */
    keyset_take(&f.kv, 'h', &now);
    keyset_take(&f.kv, 'p', &now);
    for (i = 0; i < now.n; i++) CHECK_RC(llmspell_kv_delete_sys(&f.kv, now.k[i], now.kn[i]), LLMSPELL_OK);
    for (i = 0; i < old.n; i++) CHECK_RC(llmspell_kv_put_sys(&f.kv, old.k[i], old.kn[i], old.v[i], old.vn[i]), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.graph_loaded == 0 && info.count == CN, "an old snapshot was trusted: graph_loaded %d, count %llu", info.graph_loaded,
          (unsigned long long)info.count);
    for (j = 0; j < CN; j += 4) {
        llmspell_vec_query q = query_of(ds_vec(&f.d, CN - 1 - j), CDIM, 1, 0, NULL);
        snprintf(id, sizeof id, "v%u", j);
        CHECK_RC(llmspell_vec_get(v, id, &rec), LLMSPELL_OK);
        CHECK(memcmp(rec.embedding, ds_vec(&f.d, CN - 1 - j), CDIM * 4) == 0, "%s: get returns the old vector", id);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
        lost += n != 1 || hits[0].score < 0.9999f;
    }
    CHECK(lost == 0, "%d changed records are not found by their own vectors", lost);
    llmspell_vec_close(v);
    keyset_free(&old);
    keyset_free(&now);
    cfix_free(&f);
}

/* Structurally broken record blobs: the open fails with ERR_CORRUPT and says why. */
static void test_corrupt_record(void)
{
    cfix f;
    uint8_t k[VKEY_CAP];
    size_t kn, vn, i;
    void *orig;
    REQUIRE(cfix_make(&f), "fixture");
    kn = vkey(k, 'r', "cc", 2, "v10", 0, 0, 0, 0);
    REQUIRE_RC(llmspell_kv_get_copy(&f.kv, k, kn, &orig, &vn), LLMSPELL_OK);
    for (i = 0; i < 8; i++) {
        uint8_t *b = (uint8_t *)xmalloc(vn + 8);
        size_t bn = vn;
        const char *what = "";
        llmspell_vec *v = (llmspell_vec *)&f; /* must come back NULL */
        llmspell_result rc;
        memcpy(b, orig, vn);
        switch (i) {
        case 0: bn = vn - 1; what = "one byte short"; break;
        case 1: bn = vn + 4; memset(b + vn, 0, 4); what = "four bytes long"; break;
        case 2: b[0] = 'X'; what = "bad magic"; break;
        case 3: b[4] = 17; what = "dimension 17 in a 16-float blob"; break;
        case 4: memset(b + 4, 0, 4); what = "dimension 0"; break;
        case 5: b[36] ^= 0x40; what = "metadata length far too big"; break;
        case 6: b[40 + 6] = 'x'; what = "metadata not JSON"; break; /* scope "global" is 6 bytes; v10's metadata is {} */
        default: bn = 20; what = "truncated to 20 bytes"; break;
        }
        REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, b, bn), LLMSPELL_OK);
        llmspell_kv_set_error(&f.kv, LLMSPELL_OK, "%s", "");
        rc = llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o);
        CHECK(rc == LLMSPELL_ERR_CORRUPT, "record %s: open returned %s, want ERR_CORRUPT", what, rc_name(rc));
        CHECK(v == NULL, "record %s: a failed open left *out set", what);
        CHECK(llmspell_kv_errmsg(&f.kv)[0] != 0, "record %s: no message", what);
        if (rc == LLMSPELL_OK) llmspell_vec_close(v);
        free(b);
    }
    REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, orig, vn), LLMSPELL_OK);
    llmspell_kv_free(&f.kv, orig);
    CFIX_CHECK(&f, CN, 1, "record restored");
    /* the settings record */
    kn = vkey(k, 'm', "cc", 2, NULL, 0, 0, 0, 0);
    REQUIRE(kv_modify(&f.kv, k, kn, 20, 0x01), "could not rewrite the settings");
    {
        llmspell_vec *v;
        CHECK_RC(llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o), LLMSPELL_ERR_CORRUPT);
        CHECK(llmspell_kv_errmsg(&f.kv)[0] != 0, "no message for corrupt settings");
    }
    cfix_free(&f);
}

/* Every single-byte change of a stored record must be detected: the open fails with
   ERR_CORRUPT rather than serving a different embedding, time or metadata as good data. */
static void test_corrupt_record_any_byte(void)
{
    cfix f;
    uint8_t k[VKEY_CAP];
    size_t kn, vn, i;
    void *orig;
    long undetected = 0, first = -1;
    REQUIRE(cfix_make(&f), "fixture");
    kn = vkey(k, 'r', "cc", 2, "v11", 0, 0, 0, 0);
    REQUIRE_RC(llmspell_kv_get_copy(&f.kv, k, kn, &orig, &vn), LLMSPELL_OK);
    for (i = 0; i < vn; i++) {
        uint8_t *b = (uint8_t *)xmalloc(vn);
        llmspell_vec *v;
        llmspell_result rc;
        memcpy(b, orig, vn);
        b[i] ^= 0x04;
        REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, b, vn), LLMSPELL_OK);
        rc = llmspell_vec_open(&v, &f.kv, "cc", NULL, &f.o);
        if (rc == LLMSPELL_OK) {
            undetected++;
            if (first < 0) first = (long)i;
            llmspell_vec_close(v);
        } else {
            CHECK(rc == LLMSPELL_ERR_CORRUPT, "byte %zu: open returned %s", i, rc_name(rc));
        }
        free(b);
    }
    CHECK(undetected == 0, "%ld of the %zu single-byte changes of a record blob were accepted as good data (first at byte %ld)",
          undetected, vn, first);
    REQUIRE_RC(llmspell_kv_put_sys(&f.kv, k, kn, orig, vn), LLMSPELL_OK);
    llmspell_kv_free(&f.kv, orig);
    cfix_free(&f);
}

/* ------------------------------------------------------------------------------------------ */
/* >>bad input                                                                                 */

/* What a failing call must not change: the count, the hits of a few queries, a few gets. */
typedef struct vstate {
    uint64_t count;
    size_t n[3];
    char ids[3][10][40];
    float scores[3][10];
    char meta0[64];
} vstate;

static void vstate_take(llmspell_vec *v, vstate *s, float q[3][4])
{
    llmspell_vec_info info;
    llmspell_vec_record rec;
    size_t i, j;
    memset(s, 0, sizeof *s);
    if (llmspell_vec_info_get(v, &info) == LLMSPELL_OK) s->count = info.count;
    for (i = 0; i < 3; i++) {
        llmspell_vec_hit hits[10];
        llmspell_vec_query qq = query_of(q[i], 4, 10, 0, NULL);
        if (llmspell_vec_search(v, &qq, hits, &s->n[i]) != LLMSPELL_OK) s->n[i] = 999;
        for (j = 0; j < s->n[i] && j < 10; j++) {
            snprintf(s->ids[i][j], 40, "%s", hits[j].id);
            s->scores[i][j] = hits[j].score;
        }
    }
    if (llmspell_vec_get(v, "b0", &rec) == LLMSPELL_OK) snprintf(s->meta0, sizeof s->meta0, "%.*s", (int)rec.metadata_len, rec.metadata);
}

static char g_primer[256];

/* Leaves a known message on the handle, so that a call that fails without writing its own
   message is noticed. */
static void prime_vec(llmspell_vec *v)
{
    llmspell_vec_record r;
    (void)llmspell_vec_get(v, "\x01primer", &r);
    snprintf(g_primer, sizeof g_primer, "%s", llmspell_vec_errmsg(v));
}
static void prime_kv(llmspell_kv *kv)
{
    (void)llmspell_kv_delete(kv, S("\x01primer-missing"));
    snprintf(g_primer, sizeof g_primer, "%s", llmspell_kv_errmsg(kv));
}

static void expect_fail_at(const char *file, int line, const char *expr, llmspell_result rc, llmspell_result want, llmspell_result want2,
                           const char *msg)
{
    CHECK_AT(file, line, rc == want || rc == want2, "%s returned %s, expected %s%s%s", expr, rc_name(rc), rc_name(want),
             want2 != want ? " or " : "", want2 != want ? rc_name(want2) : "");
    CHECK_AT(file, line, msg && msg[0] && strcmp(msg, g_primer) != 0, "%s: no message of its own ('%s')", expr, msg ? msg : "(null)");
}

static void same_state_at(const char *file, int line, llmspell_vec *v, const vstate *before, float q[3][4], const char *after)
{
    vstate now;
    vstate_take(v, &now, q);
    CHECK_AT(file, line, memcmp(&now, before, sizeof now) == 0, "the collection changed after %s (count %llu, was %llu)", after,
             (unsigned long long)now.count, (unsigned long long)before->count);
}

/* expr fails with code (or code2) and a message of its own, and the collection is unchanged */
#define EXPECT_VEC2(v, expr, code, code2) \
    do { prime_vec(v); expect_fail_at(__FILE__, __LINE__, #expr, (expr), code, code2, llmspell_vec_errmsg(v)); \
         same_state_at(__FILE__, __LINE__, v, &before, qs, #expr); } while (0)
#define EXPECT_VEC(v, expr, code) EXPECT_VEC2(v, expr, code, code)
#define EXPECT_KV2(kv, expr, code, code2) \
    do { prime_kv(kv); expect_fail_at(__FILE__, __LINE__, #expr, (expr), code, code2, llmspell_kv_errmsg(kv)); } while (0)
#define EXPECT_KV(kv, expr, code) EXPECT_KV2(kv, expr, code, code)


/* Bad records, metadata and ids: each is refused with its code and a message, and the
   collection is unchanged (whole batches included). */
static void test_bad_records(void)
{
    llmspell_kv kv;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record r, batch[4], got;
    vstate before;
    float qs[3][4] = {{1, 2, 3, 4}, {-1, 0.5f, 0, 2}, {0, 0, 1, 0}};
    float x[20][4], good[4] = {1, 1, 1, 1}, bad[4], zero[4] = {0, 0, 0, 0};
    float *huge = (float *)xmalloc((LLMSPELL_VEC_MAX_DIM + 1) * sizeof(float));
    char id[LLMSPELL_VEC_MAX_ID + 2], ids[20][8], deep[1300];
    rng rr = {11};
    size_t i;
    static const char *const bad_parse[] = {"{bad", "{\"a\":1} x", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":01}", "{\"a\":nan}",
                                            "{\"a\":\"\xff\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"\\x\"}",
                                            "{\"a\":[1,2}", "{\"a\":tru}", "{\"a\":1", "{\"a\":-}", "{'a':1}", "   ",
                                            "{\"o\":{\"x\":1,\"x\":2}}"};
    static const char *const not_object[] = {"[1]", "null", "\"str\"", "1", "true"};

    for (i = 0; i < LLMSPELL_VEC_MAX_DIM + 1; i++) huge[i] = 1.0f;
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "bad", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "bad", NULL, &o), LLMSPELL_OK);
    for (i = 0; i < 20; i++) {
        size_t j;
        for (j = 0; j < 4; j++) x[i][j] = rng_sym(&rr) + (j == 0 ? 2.0f : 0.0f);
        snprintf(ids[i], sizeof ids[i], "b%zu", i);
        r = rec_of(ids[i], x[i], 4, i == 0 ? "{\"v\":0}" : NULL);
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    }
    vstate_take(v, &before, qs);
    REQUIRE(before.count == 20 && before.n[0] == 10, "fixture: %llu records", (unsigned long long)before.count);

    /* dimensions and vectors */
    r = rec_of("bad-dim0", good, 0, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    r = rec_of("bad-dimmax", huge, LLMSPELL_VEC_MAX_DIM + 1, NULL);
    EXPECT_VEC2(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_TOO_LARGE, LLMSPELL_ERR_INVALID);
    r = rec_of("bad-null-embedding", NULL, 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    for (i = 0; i < 4; i++) {
        static const char *const what[] = {"nan-first", "nan-last", "inf", "minus-inf"};
        memcpy(bad, good, sizeof bad);
        bad[i == 1 ? 3 : 0] = i < 2 ? NAN : i == 2 ? INFINITY : -INFINITY;
        r = rec_of(what[i], bad, 4, NULL);
        EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    }
    r = rec_of("zero-cosine", zero, 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    /* ids */
    r = rec_of(NULL, good, 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    r = rec_of("", good, 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    memset(id, 'i', LLMSPELL_VEC_MAX_ID + 1);
    id[LLMSPELL_VEC_MAX_ID + 1] = 0;
    r = rec_of(id, good, 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_TOO_LARGE);
    /* metadata */
    for (i = 0; i < COUNT_OF(bad_parse); i++) {
        snprintf(id, sizeof id, "bad-json-%zu", i);
        r = rec_of(id, good, 4, bad_parse[i]);
        EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_PARSE);
    }
    for (i = 0; i < COUNT_OF(not_object); i++) {
        snprintf(id, sizeof id, "not-object-%zu", i);
        r = rec_of(id, good, 4, not_object[i]);
        EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);
    }
    { /* 600 nested arrays: over the parser's nesting limit */
        char *p = deep;
        memcpy(p, "{\"a\":", 5);
        p += 5;
        for (i = 0; i < 600; i++) *p++ = '[';
        for (i = 0; i < 600; i++) *p++ = ']';
        *p++ = '}';
        *p = 0;
    }
    r = rec_of("too-deep", good, 4, deep);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_TOO_LARGE);
    /* the family's one JSON dialect: a number export could not write back is refused here */
    r = rec_of("overflow", good, 4, "{\"n\":1e400}");
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_TOO_LARGE);
    r = rec_of("at-depth-limit", good, 4, NULL);
    {
        char *p = deep;
        memcpy(p, "{\"a\":", 5);
        p += 5;
        for (i = 0; i + 1 < LLMSPELL_JSON_STORED_DEPTH; i++) *p++ = '[';
        for (i = 0; i + 1 < LLMSPELL_JSON_STORED_DEPTH; i++) *p++ = ']';
        *p++ = '}';
        *p = 0;
    }
    r.metadata = deep;
    CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_delete(v, "at-depth-limit"), LLMSPELL_OK);
    r = rec_of("empty-meta", good, 4, "");
    EXPECT_VEC2(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID, LLMSPELL_ERR_PARSE);
    r = rec_of("neg-ttl", good, 4, NULL);
    r.ttl = -1;
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID);

    /* batches: all or nothing */
    batch[0] = rec_of("n1", good, 4, NULL);
    batch[1] = rec_of("n2", x[1], 4, NULL);
    batch[2] = rec_of("n1", x[2], 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add_batch(v, batch, 3), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_get(v, "n2", &got), LLMSPELL_ERR_NOT_FOUND);
    batch[0] = rec_of("b0", good, 4, "{\"v\":1}"); /* an update of b0 ... */
    batch[1] = rec_of("n3", x[3], 4, NULL);
    batch[2] = rec_of("n4", x[4], 4, NULL);
    memcpy(bad, good, sizeof bad);
    bad[2] = NAN;
    batch[3] = rec_of("n5", bad, 4, NULL); /* ... and a bad last record */
    EXPECT_VEC(v, llmspell_vec_add_batch(v, batch, 4), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_get(v, "n3", &got), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_get(v, "b0", &got), LLMSPELL_OK);
    CHECK(got.metadata_len == 7 && memcmp(got.metadata, "{\"v\":0}", 7) == 0 && memcmp(got.embedding, x[0], 16) == 0,
          "a failed batch changed b0");
    batch[3] = rec_of("n5", good, 4, "{\"a\":1,\"a\":2}");
    EXPECT_VEC2(v, llmspell_vec_add_batch(v, batch, 4), LLMSPELL_ERR_PARSE, LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_add(v, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_add_batch(v, NULL, 2), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_add_batch(v, batch, 0), LLMSPELL_OK);
    same_state_at(__FILE__, __LINE__, v, &before, qs, "an empty batch");

    /* delete and get */
    EXPECT_VEC(v, llmspell_vec_delete(v, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_delete(v, ""), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_delete(v, "no-such-id"), LLMSPELL_ERR_NOT_FOUND);
    memset(id, 'i', LLMSPELL_VEC_MAX_ID + 1);
    id[LLMSPELL_VEC_MAX_ID + 1] = 0;
    EXPECT_VEC(v, llmspell_vec_delete(v, id), LLMSPELL_ERR_TOO_LARGE);
    EXPECT_VEC(v, llmspell_vec_get(v, "no-such-id2", &got), LLMSPELL_ERR_NOT_FOUND);
    EXPECT_VEC(v, llmspell_vec_get(v, "", &got), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_get(v, "b1", NULL), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_each(v, NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_add(NULL, &r), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_info_get(v, NULL), LLMSPELL_ERR_INVALID);

    /* the limits themselves are fine: an id of exactly LLMSPELL_VEC_MAX_ID bytes, metadata
       read up to metadata_len */
    id[LLMSPELL_VEC_MAX_ID] = 0;
    r = rec_of(id, good, 4, "{\"a\":1}trailing garbage");
    r.metadata_len = 7;
    CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, id, &got), LLMSPELL_OK);
    CHECK(got.metadata_len == 7 && memcmp(got.metadata, "{\"a\":1}", 7) == 0, "metadata_len not honoured: %.*s", (int)got.metadata_len,
          got.metadata);
    CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
    llmspell_vec_close(v);
    /* and all of it survives a reopen unchanged */
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "bad", NULL, &o), LLMSPELL_OK);
    same_state_at(__FILE__, __LINE__, v, &before, qs, "reopen");
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    free(huge);
}

/* Metadata with a key twice is refused (the header's JSON walker: "duplicate names are an
   error"), whatever the kinds of the two values. */
static void test_bad_metadata_dup_keys(void)
{
    static const char *const dup_keys[] = {"{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":{}}", "{\"a\":{},\"a\":1}", "{\"a\":{},\"a\":{}}",
                                           "{\"a\":[1],\"a\":[2]}", "{\"a\":1,\"\\u0061\":2}", "{\"a\":null,\"b\":2,\"a\":null}",
                                           "{\"o\":{\"x\":1},\"b\":true,\"o\":\"s\"}"};
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_record r;
    float good[4] = {1, 1, 1, 1};
    char id[32];
    size_t i;
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "dups", NULL, &o), LLMSPELL_OK);
    for (i = 0; i < COUNT_OF(dup_keys); i++) {
        llmspell_result rc;
        snprintf(id, sizeof id, "dup-keys-%zu", i);
        r = rec_of(id, good, 4, dup_keys[i]);
        prime_vec(v);
        rc = llmspell_vec_add(v, &r);
        CHECK(rc == LLMSPELL_ERR_PARSE || rc == LLMSPELL_ERR_INVALID, "metadata %s (a key twice) returned %s", dup_keys[i], rc_name(rc));
        if (rc == LLMSPELL_OK) CHECK_RC(llmspell_vec_delete(v, id), LLMSPELL_OK);
        else CHECK(strcmp(llmspell_vec_errmsg(v), g_primer) != 0, "no message for %s", dup_keys[i]);
    }
    llmspell_vec_close(v);
}

/* Bad queries and filters; k beyond the collection, ef below k. */
static void test_bad_queries(void)
{
    llmspell_vec *v, *w;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config l2 = config_of(LLMSPELL_METRIC_L2, 0, 0, 0);
    llmspell_vec_record r;
    llmspell_vec_query q;
    llmspell_vec_hit hits[1000], h2[10];
    llmspell_vec_filter f, kids[2], chain[80];
    vstate before;
    float qs[3][4] = {{1, 2, 3, 4}, {-1, 0.5f, 0, 2}, {0, 0, 1, 0}};
    float x[20][4], bad[4], zero[4] = {0, 0, 0, 0};
    float *huge = (float *)xmalloc((LLMSPELL_VEC_MAX_DIM + 1) * sizeof(float));
    char ids[20][8];
    rng rr = {12};
    size_t i, n, n2;

    for (i = 0; i < LLMSPELL_VEC_MAX_DIM + 1; i++) huge[i] = 1.0f;
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "badq", NULL, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&w, NULL, "badq-l2", &l2, &o), LLMSPELL_OK);
    for (i = 0; i < 20; i++) {
        size_t j;
        for (j = 0; j < 4; j++) x[i][j] = rng_sym(&rr) + (j == 0 ? 2.0f : 0.0f);
        snprintf(ids[i], sizeof ids[i], "b%zu", i);
        r = rec_of(ids[i], x[i], 4, "{\"g\":1}");
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_add(w, &r), LLMSPELL_OK);
    }
    vstate_take(v, &before, qs);
    q = query_of(qs[0], 4, 10, 0, NULL);
    for (i = 0; i < 3; i++) {
        memcpy(bad, qs[0], sizeof bad);
        bad[i == 1 ? 3 : 0] = i == 0 ? NAN : i == 1 ? INFINITY : -INFINITY;
        q.vector = bad;
        EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
        CHECK(n == 0, "a failed search left n = %zu", n);
        EXPECT_VEC(v, llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    }
    q.vector = zero;
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    q.vector = NULL;
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    q = query_of(qs[0], 0, 10, 0, NULL);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    q = query_of(huge, LLMSPELL_VEC_MAX_DIM + 1, 10, 0, NULL);
    EXPECT_VEC2(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID, LLMSPELL_ERR_TOO_LARGE);
    q = query_of(huge, 5, 10, 0, NULL);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_NOT_FOUND);
    q = query_of(qs[0], 4, 0, 0, NULL);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    q = query_of(qs[0], 4, LLMSPELL_VEC_MAX_K + 1, 0, NULL);
    EXPECT_VEC2(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_TOO_LARGE, LLMSPELL_ERR_INVALID);
    q = query_of(qs[0], 4, 10, 0, NULL);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, NULL, &n), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_VEC(v, llmspell_vec_search(v, NULL, hits, &n), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_search(NULL, &q, hits, &n), LLMSPELL_ERR_INVALID);

    /* filters that make no sense */
    memset(&f, 0, sizeof f);
    q.filter = &f;
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID); /* op 0 */
    f.op = (llmspell_vec_op)99;
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    f = FC(LLMSPELL_F_EQ, NULL, VI(1));
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    f = FC(LLMSPELL_F_EQ, "", VI(1));
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    f = FB(LLMSPELL_F_AND, NULL, 2);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    f = FIN("g", NULL, 2);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    kids[0] = FC(LLMSPELL_F_EQ, "g", VI(1));
    kids[1] = FC((llmspell_vec_op)42, "g", VI(1));
    f = FB(LLMSPELL_F_OR, kids, 2);
    EXPECT_VEC(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_INVALID);
    for (i = 0; i < 80; i++) chain[i] = i + 1 < 80 ? FB(i % 2 ? LLMSPELL_F_AND : LLMSPELL_F_OR, &chain[i + 1], 1) : FC(LLMSPELL_F_EQ, "g", VI(1));
    q.filter = &chain[0]; /* 80 levels: over the documented 64 */
    EXPECT_VEC2(v, llmspell_vec_search(v, &q, hits, &n), LLMSPELL_ERR_TOO_LARGE, LLMSPELL_ERR_INVALID);
    q.filter = &chain[80 - 60]; /* 60 levels: fine */
    CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
    CHECK(n == 10, "a 60-level filter that every record passes gave %zu hits", n);

    /* k beyond the collection: every record, no error; ef below k is raised to k */
    q = query_of(qs[1], 4, 1000, 0, NULL);
    CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
    CHECK(n == 20 && sorted_best_first(LLMSPELL_METRIC_COSINE, hits, n) && distinct_ids(hits, n), "k=1000 over 20 records: %zu hits", n);
    CHECK_RC(llmspell_vec_search_exact(v, &q, hits, &n), LLMSPELL_OK);
    CHECK(n == 20, "exact k=1000 over 20 records: %zu hits", n);
    q = query_of(qs[1], 4, 10, 1, NULL);
    CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
    q.ef = 10;
    CHECK_RC(llmspell_vec_search(v, &q, h2, &n2), LLMSPELL_OK);
    CHECK(n == 10 && n2 == 10, "ef 1 < k 10: %zu hits (ef 10: %zu)", n, n2);
    for (i = 0; i < n && i < n2; i++)
        CHECK(strcmp(hits[i].id, h2[i].id) == 0 && hits[i].score == h2[i].score, "ef 1 hit %zu %s, ef 10 hit %s", i, hits[i].id, h2[i].id);
    q = query_of(qs[1], 4, 10, 100000, NULL); /* a huge ef is fine */
    CHECK_RC(llmspell_vec_search(v, &q, hits, &n), LLMSPELL_OK);
    CHECK(n == 10, "ef 100000: %zu hits", n);

    /* L2 takes zero vectors, both ways; the scores are the norms */
    r = rec_of("zero", zero, 4, NULL);
    CHECK_RC(llmspell_vec_add(w, &r), LLMSPELL_OK);
    q = query_of(zero, 4, 21, 0, NULL);
    CHECK_RC(llmspell_vec_search(w, &q, hits, &n), LLMSPELL_OK);
    CHECK(n == 21 && strcmp(hits[0].id, "zero") == 0 && hits[0].score == 0.0f, "l2 zero query: %zu hits, first %s %g", n,
          n ? hits[0].id : "-", n ? hits[0].score : -1.0);
    for (i = 1; i < n; i++) {
        long k = id_num(hits[i].id, "b");
        double norm;
        REQUIRE(k >= 0 && k < 20, "hit %s", hits[i].id);
        norm = sqrt(dref_l2sq(x[k], zero, 4));
        CHECK(fabs(hits[i].score - norm) <= 1e-5 * (1 + norm), "l2 score %g, norm %g", hits[i].score, norm);
    }
    same_state_at(__FILE__, __LINE__, v, &before, qs, "the valid searches");
    llmspell_vec_close(v);
    llmspell_vec_close(w);
    free(huge);
}

/* Collection names, configurations, create / open / drop / list misuse; errors go to the kv's
   message. */
static void test_bad_collections(void)
{
    llmspell_kv kv, closed;
    llmspell_vec *v;
    llmspell_vec_options o = opts_clock(NULL);
    llmspell_vec_config c;
    char longname[LLMSPELL_VEC_MAX_NAME + 2];

    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    memset(longname, 'n', LLMSPELL_VEC_MAX_NAME + 1);
    longname[LLMSPELL_VEC_MAX_NAME + 1] = 0;
    EXPECT_KV(&kv, llmspell_vec_create(&kv, NULL, NULL, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "", NULL, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_KV2(&kv, llmspell_vec_create(&kv, longname, NULL, NULL), LLMSPELL_ERR_TOO_LARGE, LLMSPELL_ERR_INVALID);
    c = config_of(LLMSPELL_METRIC_COSINE, 1, 0, 0);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "m1", &c, NULL), LLMSPELL_ERR_INVALID);
    c = config_of(LLMSPELL_METRIC_COSINE, 101, 0, 0);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "m101", &c, NULL), LLMSPELL_ERR_INVALID);
    c = config_of((llmspell_metric)3, 0, 0, 0);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "metric3", &c, NULL), LLMSPELL_ERR_INVALID);
    c = config_of(LLMSPELL_METRIC_COSINE, 0, 200000, 0);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "efc", &c, NULL), LLMSPELL_ERR_INVALID);
    CHECK(kv_count_prefix(&kv, "\xFF" "V", 2) == 0, "refused creates left keys behind");
    CHECK_RC(llmspell_vec_create(NULL, "x", NULL, NULL), LLMSPELL_ERR_INVALID);

    c = config_of(LLMSPELL_METRIC_IP, 8, 64, 20);
    CHECK_RC(llmspell_vec_create(&kv, "c", &c, NULL), LLMSPELL_OK);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "c", &c, NULL), LLMSPELL_ERR_EXISTS);
    EXPECT_KV(&kv, llmspell_vec_create(&kv, "c", NULL, NULL), LLMSPELL_ERR_EXISTS);
    v = (llmspell_vec *)&kv;
    EXPECT_KV(&kv, llmspell_vec_open(&v, &kv, "missing", NULL, &o), LLMSPELL_ERR_NOT_FOUND);
    CHECK(v == NULL, "a failed open left *out set");
    EXPECT_KV(&kv, llmspell_vec_open(&v, &kv, "", NULL, &o), LLMSPELL_ERR_INVALID);
    EXPECT_KV2(&kv, llmspell_vec_open(&v, &kv, longname, NULL, &o), LLMSPELL_ERR_TOO_LARGE, LLMSPELL_ERR_INVALID);
    /* the configuration on open must be the one the collection was created with */
    c = config_of(LLMSPELL_METRIC_L2, 8, 64, 20);
    EXPECT_KV(&kv, llmspell_vec_open(&v, &kv, "c", &c, &o), LLMSPELL_ERR_CONFLICT);
    CHECK(v == NULL, "a conflicting open left *out set");
    c = config_of(LLMSPELL_METRIC_IP, 9, 64, 20);
    EXPECT_KV(&kv, llmspell_vec_open(&v, &kv, "c", &c, &o), LLMSPELL_ERR_CONFLICT);
    c = config_of(LLMSPELL_METRIC_IP, 8, 64, 21);
    EXPECT_KV(&kv, llmspell_vec_open(&v, &kv, "c", &c, &o), LLMSPELL_ERR_CONFLICT);
    c = config_of(LLMSPELL_METRIC_IP, 8, 64, 20);
    CHECK_RC(llmspell_vec_open(&v, &kv, "c", &c, &o), LLMSPELL_OK);
    if (v) {
        llmspell_vec_info info;
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.config.metric == LLMSPELL_METRIC_IP && info.config.M == 8 && info.config.ef_construction == 64 &&
                  info.config.ef_search == 20,
              "the stored configuration: metric %d M %u efc %u efs %u", (int)info.config.metric, info.config.M,
              info.config.ef_construction, info.config.ef_search);
        llmspell_vec_close(v);
    }
    /* defaults written out are the defaults */
    CHECK_RC(llmspell_vec_create(&kv, "d", NULL, NULL), LLMSPELL_OK);
    c = config_of(LLMSPELL_METRIC_COSINE, 16, 200, 50);
    CHECK_RC(llmspell_vec_open(&v, &kv, "d", &c, &o), LLMSPELL_OK);
    llmspell_vec_close(v);
    memset(&c, 0, sizeof c);
    CHECK_RC(llmspell_vec_open(&v, &kv, "d", &c, &o), LLMSPELL_OK);
    llmspell_vec_close(v);

    EXPECT_KV(&kv, llmspell_vec_drop(&kv, "missing"), LLMSPELL_ERR_NOT_FOUND);
    EXPECT_KV(&kv, llmspell_vec_drop(&kv, ""), LLMSPELL_ERR_INVALID);
    EXPECT_KV(&kv, llmspell_vec_drop(&kv, NULL), LLMSPELL_ERR_INVALID);
    EXPECT_KV(&kv, llmspell_vec_list(&kv, NULL, NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_vec_drop(NULL, "c"), LLMSPELL_ERR_INVALID);
    llmspell_vec_close(NULL);
    CHECK(strcmp(llmspell_vec_errmsg(NULL), "") != 0, "errmsg(NULL) is empty");
    /* a closed store */
    REQUIRE_RC(llmspell_kv_open_memory(&closed, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&closed, "c", NULL, NULL), LLMSPELL_OK);
    llmspell_kv_close(&closed);
    CHECK_RC(llmspell_vec_open(&v, &closed, "c", NULL, &o), LLMSPELL_ERR_CLOSED);
    CHECK_RC(llmspell_vec_create(&closed, "e", NULL, NULL), LLMSPELL_ERR_CLOSED);
    llmspell_kv_close(&kv);
}

/* A write while the kv has a transaction open is refused (ERR_TXN) and changes nothing; the
   caller's transaction goes on untouched. */
static void test_txn(void)
{
    llmspell_kv kv;
    llmspell_vec *v;
    tclock clk = {1000};
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_record r, batch[2], got;
    vstate before;
    float qs[3][4] = {{1, 2, 3, 4}, {-1, 0.5f, 0, 2}, {0, 0, 1, 0}};
    float x[10][4];
    char ids[10][8];
    size_t i, purged = 77;
    rng rr = {13};
    const void *val;
    size_t vn;

    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "t", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "t", NULL, &o), LLMSPELL_OK);
    for (i = 0; i < 10; i++) {
        size_t j;
        for (j = 0; j < 4; j++) x[i][j] = rng_sym(&rr) + 1.5f;
        snprintf(ids[i], sizeof ids[i], "b%zu", i);
        r = rec_of(ids[i], x[i], 4, NULL);
        r.ttl = i == 9 ? 100 : 0;
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    }
    REQUIRE_RC(llmspell_vec_get(v, "b0", &got), LLMSPELL_OK);
    vstate_take(v, &before, qs);
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("user-key"), S("user-value")), LLMSPELL_OK);
    r = rec_of("in-txn", x[0], 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add(v, &r), LLMSPELL_ERR_TXN);
    batch[0] = rec_of("in-txn-1", x[1], 4, NULL);
    batch[1] = rec_of("in-txn-2", x[2], 4, NULL);
    EXPECT_VEC(v, llmspell_vec_add_batch(v, batch, 2), LLMSPELL_ERR_TXN);
    EXPECT_VEC(v, llmspell_vec_delete(v, "b1"), LLMSPELL_ERR_TXN);
    clk.now = 2000; /* b9 expired: purging is a write */
    prime_vec(v);
    {
        llmspell_result rc = llmspell_vec_purge_expired(v, &purged);
        CHECK(rc == LLMSPELL_ERR_TXN, "purge_expired inside a transaction returned %s", rc_name(rc));
    }
    CHECK_RC(llmspell_vec_get(v, "b1", &got), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "in-txn", &got), LLMSPELL_ERR_NOT_FOUND);
    clk.now = 1000;
    same_state_at(__FILE__, __LINE__, v, &before, qs, "writes in a transaction");
    CHECK(kv.in_txn == 1 && kv.txn_failed == 0, "the caller's transaction was disturbed");
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_get(&kv, S("user-key"), &val, &vn), LLMSPELL_OK);
    /* and afterwards writes work */
    CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "in-txn", &got), LLMSPELL_OK);
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "t", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "in-txn", &got), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "in-txn-1", &got), LLMSPELL_ERR_NOT_FOUND);
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
}

static int add_n(llmspell_vec *v, const char *pfx, size_t from, size_t n, llmspell_time ttl, llmspell_result *rc)
{
    llmspell_vec_record *b = (llmspell_vec_record *)xcalloc(n, sizeof *b);
    char (*ids)[24] = (char (*)[24])xmalloc(n * 24);
    float (*x)[3] = (float (*)[3])xmalloc(n * sizeof *x);
    size_t i;
    for (i = 0; i < n; i++) {
        snprintf(ids[i], 24, "%s%zu", pfx, from + i);
        x[i][0] = 1.0f + (float)(from + i);
        x[i][1] = 1.0f;
        x[i][2] = (float)i;
        b[i] = rec_of(ids[i], x[i], 3, NULL);
        b[i].ttl = ttl;
    }
    *rc = llmspell_vec_add_batch(v, b, n);
    free(b);
    free(ids);
    free(x);
    return *rc == LLMSPELL_OK;
}

static uint64_t count_of(llmspell_vec *v)
{
    llmspell_vec_info info;
    return llmspell_vec_info_get(v, &info) == LLMSPELL_OK ? info.count : (uint64_t)-1;
}

/* max_collections, max_vectors, max_total_vectors: a write past a quota is ERR_QUOTA and
   changes nothing; the quotas count per tenant. */
/* Memory held stays close to memory used at every size: level-0 blocks come in chunks (at most
   one chunk unused) and the other arrays grow by a quarter. Growth by doubling held up to twice
   the blocks right after a power of two (4097 nodes in blocks for 8192). Then a search finds
   every record, whichever chunk its block is in. */
static void test_memory_held(void)
{
    enum { N = 4200, DIM = 256, STEP = 97 };
    dataset d;
    llmspell_vec *v = NULL;
    llmspell_vec_config cfg;
    llmspell_vec_info info;
    llmspell_vec_hit hit;
    size_t stride, per, n, nh;
    uint32_t i;
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    cfg.M = 8;
    cfg.ef_construction = 32;
    ds_make(&d, N, DIM, 20, 77, 0);
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "held", &cfg, NULL), LLMSPELL_OK);
    REQUIRE_RC(add_range(v, &d, 0, "m", 0, 1, 1, NULL), LLMSPELL_OK); /* the index exists: its block size */
    stride = v->ix[0]->stride;
    per = stride + sizeof(llmspell__vrec) + 64;
    for (n = 1; n < N; n += STEP) {
        size_t to = n + STEP < N ? n + STEP : N;
        uint64_t bound;
        REQUIRE_RC(add_range(v, &d, 0, "m", (uint32_t)n, (uint32_t)to, STEP, NULL), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        bound = (uint64_t)(to + to / 4 + 16) * per + (uint64_t)LLMSPELL__CHUNK * stride + 65536;
        CHECK(info.count == to && info.memory_bytes <= bound, "%zu records: count %llu, memory %llu bytes, more than %llu", to,
              (unsigned long long)info.count, (unsigned long long)info.memory_bytes, (unsigned long long)bound);
    }
    for (i = 0; i < N; i += 37) { /* each vector's own nearest neighbour is itself */
        char want[32];
        llmspell_vec_query q = query_of(ds_vec(&d, i), DIM, 1, 0, NULL);
        snprintf(want, sizeof want, "m%u", i);
        CHECK_RC(llmspell_vec_search_exact(v, &q, &hit, &nh), LLMSPELL_OK);
        CHECK(nh == 1 && strcmp(hit.id, want) == 0, "exact search for %s: %s", want, nh ? hit.id : "no hit");
    }
    llmspell_vec_close(v);
    ds_free(&d);
}

static void test_quotas(void)
{
    llmspell_kv root, ta, tb;
    llmspell_vec *v, *w;
    tclock clk = {1000};
    llmspell_vec_options o = opts_clock(&clk), q;
    llmspell_vec_record got;
    llmspell_result rc;
    namelist l;

    REQUIRE_RC(test_kv_open(&root), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&ta, &root, S("A")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&tb, &root, S("B")), LLMSPELL_OK);
    q = o;
    q.max_collections = 3;
    CHECK_RC(llmspell_vec_create(&ta, "x1", NULL, &q), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&ta, "x2", NULL, &q), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&ta, "x3", NULL, &q), LLMSPELL_OK);
    EXPECT_KV(&ta, llmspell_vec_create(&ta, "x4", NULL, &q), LLMSPELL_ERR_QUOTA);
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_vec_list(&ta, NULL, list_collect, &l), LLMSPELL_OK);
    CHECK(l.n == 3, "after a refused create the tenant has %zu collections", l.n);
    CHECK_RC(llmspell_vec_create(&tb, "x1", NULL, &q), LLMSPELL_OK); /* another tenant: its own count */
    CHECK_RC(llmspell_vec_drop(&ta, "x3"), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_create(&ta, "x4", NULL, &q), LLMSPELL_OK);

    /* max_vectors: per collection */
    q = o;
    q.max_vectors = 10;
    REQUIRE_RC(llmspell_vec_open(&v, &ta, "x1", NULL, &q), LLMSPELL_OK);
    add_n(v, "a", 0, 8, 0, &rc);
    CHECK_RC(rc, LLMSPELL_OK);
    prime_vec(v);
    add_n(v, "a", 8, 3, 0, &rc);
    expect_fail_at(__FILE__, __LINE__, "add 3 past max_vectors 10", rc, LLMSPELL_ERR_QUOTA, LLMSPELL_ERR_QUOTA, llmspell_vec_errmsg(v));
    CHECK(count_of(v) == 8, "count after a refused batch: %llu", (unsigned long long)count_of(v));
    CHECK_RC(llmspell_vec_get(v, "a8", &got), LLMSPELL_ERR_NOT_FOUND);
    add_n(v, "a", 8, 2, 0, &rc);
    CHECK_RC(rc, LLMSPELL_OK);
    prime_vec(v);
    add_n(v, "a", 10, 1, 0, &rc);
    expect_fail_at(__FILE__, __LINE__, "add 1 past max_vectors 10", rc, LLMSPELL_ERR_QUOTA, LLMSPELL_ERR_QUOTA, llmspell_vec_errmsg(v));
    add_n(v, "a", 0, 10, 0, &rc); /* replacing existing records adds none */
    CHECK_RC(rc, LLMSPELL_OK);
    CHECK_RC(llmspell_vec_delete(v, "a0"), LLMSPELL_OK);
    add_n(v, "a", 10, 1, 0, &rc);
    CHECK_RC(rc, LLMSPELL_OK);
    CHECK(count_of(v) == 10, "count %llu", (unsigned long long)count_of(v));
    llmspell_vec_close(v);

    /* max_total_vectors: over the tenant's collections */
    q = o;
    q.max_total_vectors = 15;
    REQUIRE_RC(llmspell_vec_open(&w, &ta, "x2", NULL, &q), LLMSPELL_OK);
    prime_vec(w);
    add_n(w, "b", 0, 6, 0, &rc);
    expect_fail_at(__FILE__, __LINE__, "add 6 past max_total_vectors 15", rc, LLMSPELL_ERR_QUOTA, LLMSPELL_ERR_QUOTA,
                   llmspell_vec_errmsg(w));
    CHECK(count_of(w) == 0, "count after a refused batch %llu", (unsigned long long)count_of(w));
    add_n(w, "b", 0, 5, 0, &rc);
    CHECK_RC(rc, LLMSPELL_OK);
    prime_vec(w);
    add_n(w, "b", 5, 1, 0, &rc);
    expect_fail_at(__FILE__, __LINE__, "add 1 past max_total_vectors 15", rc, LLMSPELL_ERR_QUOTA, LLMSPELL_ERR_QUOTA,
                   llmspell_vec_errmsg(w));
    llmspell_vec_close(w);
    /* tenant B has room of its own */
    REQUIRE_RC(llmspell_vec_open(&w, &tb, "x1", NULL, &q), LLMSPELL_OK);
    add_n(w, "c", 0, 15, 0, &rc);
    CHECK_RC(rc, LLMSPELL_OK);
    llmspell_vec_close(w);

    /* expired records are gone: a write that purges them has their room */
    q = o;
    q.max_vectors = 10;
    CHECK_RC(llmspell_vec_create(&tb, "ttlq", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &tb, "ttlq", NULL, &q), LLMSPELL_OK);
    add_n(v, "keep", 0, 5, 0, &rc);
    add_n(v, "short", 0, 5, 100, &rc);
    CHECK(count_of(v) == 10, "ttl quota fixture: %llu", (unsigned long long)count_of(v));
    clk.now = 2000; /* the five short ones expired */
    CHECK_RC(llmspell_vec_get(v, "short0", &got), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_vec_delete(v, "short0"), LLMSPELL_ERR_NOT_FOUND);
    add_n(v, "new", 0, 3, 0, &rc);
    CHECK(rc == LLMSPELL_OK, "adding 3 to a collection of 5 live (+5 expired) records with max_vectors 10: %s (%s)", rc_name(rc),
          llmspell_vec_errmsg(v));
    llmspell_vec_close(v);
    llmspell_kv_close(&ta);
    llmspell_kv_close(&tb);
    llmspell_kv_close(&root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>allocation failure                                                                        */

/* Fails exactly the fail_at-th allocation (1-based) and counts live blocks; while paused
   (the test's own checks) it neither counts nor fails. */
typedef struct counting_alloc { long calls, fail_at, live; int injected, paused; } counting_alloc;

static void *ca_alloc(void *ctx, size_t n)
{
    counting_alloc *c = (counting_alloc *)ctx;
    void *p;
    if (!c->paused && ++c->calls == c->fail_at) { c->injected = 1; return NULL; }
    p = malloc(n ? n : 1);
    if (p) c->live++;
    return p;
}

static void *ca_realloc(void *ctx, void *ptr, size_t n)
{
    counting_alloc *c = (counting_alloc *)ctx;
    if (!ptr) return ca_alloc(ctx, n);
    if (!c->paused && ++c->calls == c->fail_at) { c->injected = 1; return NULL; }
    return realloc(ptr, n ? n : 1);
}

static void ca_free(void *ctx, void *ptr)
{
    counting_alloc *c = (counting_alloc *)ctx;
    if (!ptr) return;
    c->live--;
    free(ptr);
}

enum { AN = 100, ADIM = 8 };

/* The collection holds exactly the records the model says are live: get (embedding bits),
   each, an exact search for everything, and a graph search for everything. */
/* Whether got is x as v's index holds it: x itself (f32), or x put in the form and back. */
static int same_form(const llmspell_vec *v, const float *got, const float *x, uint32_t dim)
{
    float *h = (float *)xmalloc(llmspell__vbytes(v->cfg.quant, dim)), *want = (float *)xmalloc(dim * sizeof *want);
    int same;
    llmspell__vform(v, h, x, dim);
    llmspell__vform_values(v, h, want, dim);
    same = memcmp(got, want, dim * sizeof *want) == 0 && (v->cfg.quant != LLMSPELL_VEC_F32 || memcmp(got, x, dim * sizeof *x) == 0);
    free(h);
    free(want);
    return same;
}

static int alloc_verify(counting_alloc *ca, llmspell_vec *v, const dataset *d, const int *live, long N, const char *when)
{
    uint32_t i;
    int want = 0, bad = 0;
    llmspell_vec_record rec;
    llmspell_vec_hit hits[AN + 2];
    size_t n = 0; /* printed even when a search fails before setting it */
    each_count ec;
    char id[16];
    ca->paused = 1;
    for (i = 0; i < AN + 1; i++) {
        llmspell_result rc;
        snprintf(id, sizeof id, i < AN ? "a%u" : "b%u", i < AN ? i : 0);
        rc = llmspell_vec_get(v, id, &rec);
        want += live[i];
        if (rc != (live[i] ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND) || (rc == LLMSPELL_OK && !same_form(v, rec.embedding, ds_vec(d, i), ADIM))) {
            CHECK(0, "N=%ld %s: get %s returned %s, the model says %s", N, when, id, rc_name(rc), live[i] ? "live" : "absent");
            bad++;
        }
    }
    memset(&ec, 0, sizeof ec);
    if (llmspell_vec_each(v, each_counter, &ec) != LLMSPELL_OK || ec.n != want) {
        CHECK(0, "N=%ld %s: each saw %ld records, want %d", N, when, ec.n, want);
        bad++;
    }
    if (want) {
        llmspell_vec_query q = query_of(ds_vec(d, 0), ADIM, AN + 2, AN + 2, NULL);
        if (llmspell_vec_search_exact(v, &q, hits, &n) != LLMSPELL_OK || n != (size_t)want) {
            CHECK(0, "N=%ld %s: exact search found %zu, want %d", N, when, n, want);
            bad++;
        }
        if (llmspell_vec_search(v, &q, hits, &n) != LLMSPELL_OK || n != (size_t)want) {
            CHECK(0, "N=%ld %s: graph search found %zu, want %d", N, when, n, want);
            bad++;
        }
    }
    if (want) { /* g == 1: through the field index once it is declared */
        llmspell_vec_filter f = FC(LLMSPELL_F_EQ, "g", VI(1));
        llmspell_vec_query q = query_of(ds_vec(d, 0), ADIM, AN + 2, AN + 2, &f);
        size_t j;
        for (i = 1, want = 0; i < AN; i += 4) want += live[i];
        if (llmspell_vec_search(v, &q, hits, &n) != LLMSPELL_OK || n != (size_t)want) {
            CHECK(0, "N=%ld %s: filtered search found %zu, want %d", N, when, n, want);
            bad++;
        }
        for (j = 0; j < n; j++)
            if (id_num(hits[j].id, "a") % 4 != 1) {
                CHECK(0, "N=%ld %s: filtered search returned %s", N, when, hits[j].id);
                bad++;
            }
    }
    ca->paused = 0;
    return bad == 0;
}

/* One step: an ERR_NOMEM must come from the injected failure; then the collection must be as
   before (verify) and the step is run again (the allocator fails only once). */
#define ASTEP(expr, verify_live) \
    do { \
        const int *vl_ = (verify_live); \
        rc = (expr); \
        if (rc == LLMSPELL_ERR_NOMEM) { \
            CHECK(ca->injected, "N=%ld: %s: ERR_NOMEM with no injected failure", N, #expr); \
            if (v && vl_ && !alloc_verify(ca, v, d, vl_, N, "after a failed " #expr)) goto out; \
            rc = (expr); \
        } \
        if (rc != LLMSPELL_OK) { \
            CHECK(0, "N=%ld: %s returned %s (%s)", N, #expr, rc_name(rc), v ? llmspell_vec_errmsg(v) : llmspell_kv_errmsg(&kv)); \
            goto out; \
        } \
    } while (0)

static int alloc_open(llmspell_vec **v, llmspell_kv *kv, const llmspell_vec_options *o)
{
    llmspell_result rc = llmspell_vec_open(v, kv, "al", NULL, o);
    if (rc != LLMSPELL_OK && *v != NULL) return -1;
    return (int)rc;
}

/* Returns 1 when the run met no injected failure. */
static int alloc_scenario(counting_alloc *ca, long N, const dataset *d, llmspell_vec_quant quant)
{
    llmspell_kv kv;
    llmspell_kv_options ko;
    llmspell_vec *v = NULL;
    tclock clk = {1000};
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_COSINE, 6, 32, 16);
    llmspell_vec_record recs[AN], one, got;
    cfg.quant = quant;
    llmspell_vec_filter f = FC(LLMSPELL_F_EQ, "g", VI(1));
    llmspell_vec_hit hits[8];
    llmspell_vec_query q;
    llmspell_result rc;
    int live[AN + 1], none[AN + 1], kv_open = 0;
    char ids[AN][8], metas[AN][48];
    uint8_t pk[VKEY_CAP];
    size_t pkn;
    size_t n, purged = 0;
    uint32_t i;

    memset(&ko, 0, sizeof ko);
    ko.allocator.alloc = ca_alloc;
    ko.allocator.realloc = ca_realloc;
    ko.allocator.free = ca_free;
    ko.allocator.ctx = ca;
    memset(live, 0, sizeof live);
    memset(none, 0, sizeof none);
    for (i = 0; i < AN; i++) {
        snprintf(ids[i], sizeof ids[i], "a%u", i);
        snprintf(metas[i], sizeof metas[i], "{\"g\":%u,\"s\":\"text %u\",\"n\":{\"x\":[%u]}}", i % 4, i, i);
        recs[i] = rec_of(ids[i], ds_vec(d, i), ADIM, metas[i]);
        recs[i].ttl = i >= AN - 10 ? 500 : 0;
    }

    rc = llmspell_kv_open_memory(&kv, &ko);
    if (rc == LLMSPELL_ERR_NOMEM) rc = llmspell_kv_open_memory(&kv, &ko);
    if (rc != LLMSPELL_OK) { CHECK(0, "N=%ld: kv open: %s", N, rc_name(rc)); return 1; }
    kv_open = 1;
    ASTEP(llmspell_vec_create(&kv, "al", &cfg, NULL), NULL);
    ASTEP((llmspell_result)alloc_open(&v, &kv, &o), NULL);
    ASTEP(llmspell_vec_add_batch(v, recs, AN), none);
    for (i = 0; i < AN; i++) live[i] = 1;
    /* a filtered search: g == 1 matches a quarter, the exact answer */
    q = query_of(ds_vec(d, 1), ADIM, 5, 0, &f);
    ASTEP(llmspell_vec_search(v, &q, hits, &n), live);
    CHECK(n == 5 && strcmp(hits[0].id, "a1") == 0, "N=%ld: filtered search: %zu hits, first %s", N, n, n ? hits[0].id : "-");
    for (i = 0; i < n; i++) CHECK(id_num(hits[i].id, "a") % 4 == 1, "N=%ld: filtered search returned %s", N, hits[i].id);
    q.rerank = 8; /* int8: re-ranked on the kv's float32 (f32 collections take no notice) */
    ASTEP(llmspell_vec_search(v, &q, hits, &n), live);
    CHECK(n == 5 && strcmp(hits[0].id, "a1") == 0, "N=%ld: re-ranked search: %zu hits, first %s", N, n, n ? hits[0].id : "-");
    q.rerank = 0;
    /* the same through a field index on g, kept by the writes and rebuilt by the opens below */
    ASTEP(llmspell_vec_index_field(v, "g"), live);
    ASTEP(llmspell_vec_search(v, &q, hits, &n), live);
    CHECK(n == 5 && strcmp(hits[0].id, "a1") == 0, "N=%ld: search through the index: %zu hits, first %s", N, n, n ? hits[0].id : "-");
    for (i = 0; i < n; i++) CHECK(id_num(hits[i].id, "a") % 4 == 1, "N=%ld: search through the index returned %s", N, hits[i].id);
    ASTEP(llmspell_vec_delete(v, "a5"), live);
    live[5] = 0;
    ASTEP(llmspell_vec_get(v, "a6", &got), live);
    CHECK(got.metadata_len == strlen(metas[6]) && memcmp(got.metadata, metas[6], got.metadata_len) == 0, "N=%ld: get a6 metadata", N);
    clk.now = 1500; /* the last ten expire */
    for (i = AN - 10; i < AN; i++) live[i] = 0;
    ASTEP(llmspell_vec_purge_expired(v, &purged), live);
    CHECK(purged == 10, "N=%ld: purge_expired purged %zu, want 10", N, purged);
    one = rec_of("b0", ds_vec(d, AN), ADIM, "{\"new\":true}");
    ASTEP(llmspell_vec_add(v, &one), live);
    live[AN] = 1;
    if (!alloc_verify(ca, v, d, live, N, "at the end")) goto out;
    llmspell_vec_close(v);
    v = NULL;
    ASTEP((llmspell_result)alloc_open(&v, &kv, &o), NULL);
    if (!alloc_verify(ca, v, d, live, N, "after reopening")) goto out;
    /* a corrupt page: the open rebuilds the graph (and saves it), under the same sweep */
    llmspell_vec_close(v);
    v = NULL;
    pkn = vkey(pk, 'p', "al", 2, NULL, 1, ADIM, 1, 1);
    ca->paused = 1;
    rc = kv_modify(&kv, pk, pkn, 9, 0x01) ? LLMSPELL_OK : LLMSPELL_ERR_IO;
    ca->paused = 0;
    CHECK_RC(rc, LLMSPELL_OK);
    ASTEP((llmspell_result)alloc_open(&v, &kv, &o), NULL);
    if (!alloc_verify(ca, v, d, live, N, "after the rebuild")) goto out;
out:
    if (v) llmspell_vec_close(v);
    if (kv_open) llmspell_kv_close(&kv);
    CHECK(ca->live == 0, "N=%ld: %ld blocks still allocated after close", N, ca->live);
    return !ca->injected;
}
#undef ASTEP

/* The scenario (open on a memory kv using a counting allocator, add a batch, filtered search,
   delete, get, purge, add, close, reopen) run once per allocation, failing that one. */
/* The sweep for f32 and for int8 (whose open, get and each allocate for the form; f16 takes
   the same paths). */
static void alloc_sweep(llmspell_vec_quant quant)
{
    counting_alloc ca;
    dataset d;
    long n;
    ds_make(&d, AN + 1, ADIM, 4, 321, 0);
    for (n = 1; n < 200000; n++) {
        memset(&ca, 0, sizeof ca);
        ca.fail_at = n;
        if (alloc_scenario(&ca, n, &d, quant)) break;
        if (harness_failures) break;
    }
    fprintf(stderr, "note: alloc_failure (%s): the scenario was run with each of its %ld allocations failing\n", llmspell_vec_quant_name(quant), n - 1);
    CHECK(n < 200000, "the scenario never completed");
    CHECK(n > 100, "the scenario completed after only %ld allocations: is the allocator used?", n - 1);
    ds_free(&d);
}

static void test_alloc_failure(void) { alloc_sweep(LLMSPELL_VEC_F32); }
static void test_alloc_failure_int8(void) { alloc_sweep(LLMSPELL_VEC_INT8); }

/* >>link widths: an index's links take 3 bytes until it outgrows LLMSPELL__LINK3_NODES nodes,
   then 4 (the index is widened once). Widening keeps the graph (the same answers, bit for
   bit), changes nothing when any of its allocations fails, and a graph saved with 4-byte
   links loads into 3-byte ones with the same answers. The suite also runs built with a small
   LLMSPELL__LINK3_NODES (test_vec_wide), so every other test crosses the widening too. */
enum { LW_N = 1200, LW_MORE = 300, LW_DIM = 20, LW_NQ = 40, LW_K = 10 };
typedef struct lw_answers { char id[LW_NQ][LW_K][16]; float score[LW_NQ][LW_K]; size_t n[LW_NQ]; } lw_answers;

static void lw_answer(llmspell_vec *v, const dataset *d, lw_answers *a)
{
    uint32_t i;
    size_t j;
    memset(a, 0, sizeof *a);
    for (i = 0; i < LW_NQ; i++) {
        llmspell_vec_hit hits[LW_K];
        llmspell_vec_query q = query_of(ds_vec(d, LW_N + LW_MORE + i), LW_DIM, LW_K, 48, NULL);
        CHECK_RC(llmspell_vec_search(v, &q, hits, &a->n[i]), LLMSPELL_OK);
        for (j = 0; j < a->n[i]; j++) {
            snprintf(a->id[i][j], sizeof a->id[i][j], "%s", hits[j].id);
            a->score[i][j] = hits[j].score;
        }
    }
}

static int lw_same(const lw_answers *a, const lw_answers *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* Every form a record's blob takes (updated or not, an expiry or not, the default scope or
   another, no metadata or fields): get, each, a filter and a reopen from the kv give back what
   was added, and the blob holds only what is not a default. */
static void test_record_forms(void)
{
    enum { FORMS = 16, DIM = 8 };
    static const char *metas[4] = {NULL, "{}", "{\"n\": 3, \"s\": \"x\"}", "{ }"};
    tclock clk;
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    llmspell_vec_config cfg;
    llmspell_vec_hit hits[FORMS];
    llmspell_vec_filter f;
    float x[DIM];
    size_t nh, i;
    int pass, k;
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    cfg.M = 8;
    cfg.ef_construction = 32;
    clk.now = 1000000;
    REQUIRE_RC(test_kv_open(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "forms", &cfg, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "forms", NULL, &o), LLMSPELL_OK);
    for (k = 0; k < FORMS; k++) { /* bit 0 updated, 1 expires, 2 scope, 3 metadata with fields */
        char id[16], scope[24];
        llmspell_vec_record r;
        int j;
        for (j = 0; j < DIM; j++) x[j] = (float)(k * DIM + j + 1);
        snprintf(id, sizeof id, "form%d", k);
        snprintf(scope, sizeof scope, "session:%d", k);
        memset(&r, 0, sizeof r);
        r.id = id;
        r.embedding = x;
        r.dim = DIM;
        r.scope = k & 4 ? scope : (k & 1 ? "global" : NULL); /* "global" given is the default */
        r.metadata = k & 8 ? metas[2] : metas[k & 1 ? 1 : (k & 2 ? 3 : 0)];
        r.ttl = k & 2 ? 5000000 : 0;
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
        if (k & 1) {
            clk.now += 7;
            CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
            clk.now -= 7;
        }
    }
    for (pass = 0; pass < 2; pass++) {
        for (k = 0; k < FORMS; k++) {
            char id[16], scope[24];
            llmspell_vec_record g;
            snprintf(id, sizeof id, "form%d", k);
            snprintf(scope, sizeof scope, "session:%d", k);
            CHECK_RC(llmspell_vec_get(v, id, &g), LLMSPELL_OK);
            CHECK(strcmp(g.id, id) == 0 && g.dim == DIM && g.embedding && g.embedding[0] == (float)(k * DIM + 1), "pass %d %s: id or vector", pass, id);
            CHECK(strcmp(g.scope, k & 4 ? scope : "global") == 0, "pass %d %s: scope '%s'", pass, id, g.scope);
            CHECK(g.metadata_len == strlen(k & 8 ? "{\"n\":3,\"s\":\"x\"}" : "{}") &&
                      memcmp(g.metadata, k & 8 ? "{\"n\":3,\"s\":\"x\"}" : "{}", g.metadata_len) == 0,
                  "pass %d %s: metadata '%.*s'", pass, id, (int)g.metadata_len, g.metadata);
            CHECK(g.created_at == 1000000 && g.updated_at == (k & 1 ? 1000007 : 1000000), "pass %d %s: times %lld %lld", pass, id,
                  (long long)g.created_at, (long long)g.updated_at);
            CHECK(g.expires_at == (k & 2 ? (k & 1 ? 6000007 : 6000000) : LLMSPELL_TIME_MAX), "pass %d %s: expires %lld", pass, id,
                  (long long)g.expires_at);
        }
        memset(&f, 0, sizeof f);
        f.op = LLMSPELL_F_EQ;
        f.field = "s";
        f.value.type = LLMSPELL_VAL_STRING;
        f.value.s = "x";
        for (i = 0; i < DIM; i++) x[i] = 0;
        {
            llmspell_vec_query q = query_of(x, DIM, FORMS, 64, &f);
            CHECK_RC(llmspell_vec_search(v, &q, hits, &nh), LLMSPELL_OK);
            CHECK(nh == FORMS / 2, "pass %d: the filter found %zu, not %d", pass, nh, FORMS / 2);
            for (i = 0; i < nh; i++) CHECK(atoi(hits[i].id + 4) & 8, "pass %d: %s matched", pass, hits[i].id);
        }
        clk.now = 6000001; /* the expiries of the forms not updated have passed */
        for (k = 0; k < FORMS; k++) {
            char id[16];
            llmspell_vec_record g;
            snprintf(id, sizeof id, "form%d", k);
            CHECK_RC(llmspell_vec_get(v, id, &g), (k & 3) == 2 ? LLMSPELL_ERR_NOT_FOUND : LLMSPELL_OK);
        }
        clk.now = 1000000;
        llmspell_vec_close(v);
        v = NULL;
        REQUIRE_RC(llmspell_vec_open(&v, &kv, "forms", NULL, &o), LLMSPELL_OK);
    }
    for (k = 0; k < FORMS; k++) { /* the blob holds what is not a default, nothing more */
        char id[16];
        uint32_t r;
        llmspell__rparts pt;
        size_t want;
        snprintf(id, sizeof id, "form%d", k);
        r = llmspell__id_find(v, id, strlen(id), llmspell__vhash(id, strlen(id)));
        REQUIRE(r != LLMSPELL__NONE, "%s is not in the id map", id);
        llmspell__rparts_of(&v->recs[r], &pt);
        want = sizeof(llmspell__rhead) + strlen(id) + 1 + (k & 1 ? 8 : 0) + (k & 2 ? 8 : 0);
        if (k & 12) want += 16 + pt.scopelen + 1 + pt.metalen + 1 + (k & 8 ? 2 * sizeof(llmspell__vfld) + 2 : 0);
        CHECK(pt.size == want, "%s: blob of %zu bytes, not %zu", id, pt.size, want);
    }
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
}

#if COMPAT_HAS_POSTGRES && !COMPAT_WIN32
#include <sys/wait.h>
/* >>shared stores: processes on one PostgreSQL store see each other's committed writes.
   Every vector is a function of its id's number, so any process can check any record. */
enum { MP_DIM = 8 };
static void mp_vec(unsigned n, float *x)
{
    unsigned j;
    for (j = 0; j < MP_DIM; j++) x[j] = (float)sin(n * 0.7 + j * 1.3) + (float)(n % 97) * 0.01f;
}

/* Adds ids prefix0..prefix(count-1) (numbers base..) in batches, each one checked found
   right after; 0 on success, else the step that failed. Runs in a child process. */
static int mp_writer(const char *conninfo, const char *prefix, unsigned base, unsigned count, unsigned batch)
{
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    unsigned i, j;
    if (llmspell_kv_open_postgres(&kv, conninfo, NULL) != LLMSPELL_OK) return 1;
    if (llmspell_vec_open(&v, &kv, "shared", NULL, NULL) != LLMSPELL_OK) return 2;
    for (i = 0; i < count; i += batch) {
        float x[16][MP_DIM];
        char ids[16][24];
        llmspell_vec_record r[16];
        llmspell_vec_hit hit;
        llmspell_vec_query q;
        size_t nh;
        for (j = 0; j < batch && i + j < count; j++) {
            snprintf(ids[j], sizeof ids[j], "%s%u", prefix, i + j);
            mp_vec(base + i + j, x[j]);
            r[j] = rec_of(ids[j], x[j], MP_DIM, NULL);
        }
        if (llmspell_vec_add_batch(v, r, j) != LLMSPELL_OK) {
            fprintf(stderr, "%s: add_batch at %u: %s\n", prefix, i, llmspell_vec_errmsg(v));
            return 3;
        }
        q = query_of(x[j - 1], MP_DIM, 1, 64, NULL);
        if (llmspell_vec_search(v, &q, &hit, &nh) != LLMSPELL_OK || nh != 1 || strcmp(hit.id, ids[j - 1]) != 0) {
            fprintf(stderr, "%s: its own %s not found after adding it\n", prefix, ids[j - 1]);
            return 4;
        }
    }
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    return 0;
}

static pid_t mp_spawn(const char *conninfo, const char *prefix, unsigned base, unsigned count, unsigned batch)
{
    pid_t pid = fork();
    if (pid == 0) _exit(mp_writer(conninfo, prefix, base, count, batch));
    return pid;
}

static int mp_wait(pid_t pid)
{
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Every record of prefix (numbers base..base+count) is in v and is its own nearest neighbour. */
static void mp_check_all(llmspell_vec *v, const char *prefix, unsigned base, unsigned count)
{
    unsigned i, bad = 0;
    for (i = 0; i < count; i++) {
        char id[24];
        float x[MP_DIM];
        llmspell_vec_hit hit;
        size_t nh;
        llmspell_vec_query q;
        snprintf(id, sizeof id, "%s%u", prefix, i);
        mp_vec(base + i, x);
        q = query_of(x, MP_DIM, 1, 128, NULL);
        if (llmspell_vec_search(v, &q, &hit, &nh) != LLMSPELL_OK || nh != 1 || strcmp(hit.id, id) != 0) bad++;
    }
    CHECK(bad == 0, "%u of the %u records %s* are not their own nearest neighbour here", bad, count, prefix);
}

static void test_postgres_two_processes(void)
{
    char conninfo[COMPAT_PATH_MAX], why[512];
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    llmspell_vec_config cfg;
    llmspell_vec_info info;
    llmspell_vec_record got;
    pid_t a, b;
    int ra, rb;
    REQUIRE(compat_pg_fresh(conninfo, sizeof conninfo, why, sizeof why), "no PostgreSQL store: %s", why);
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    cfg.M = 8;
    cfg.ef_construction = 64;
    REQUIRE_RC(llmspell_kv_open_postgres(&kv, conninfo, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "shared", &cfg, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "shared", NULL, NULL), LLMSPELL_OK);
    CHECK(mp_writer(conninfo, "p", 0, 40, 8) == 0, "the parent's own writes failed");
    REQUIRE_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == 40, "the parent's handle sees %llu records, not 40 (written through another handle)", (unsigned long long)info.count);

    /* one other process writes and deletes while this handle stays open */
    a = mp_spawn(conninfo, "a", 1000, 60, 10);
    CHECK((ra = mp_wait(a)) == 0, "process a ended with %d", ra);
    CHECK_RC(llmspell_vec_get(v, "a59", &got), LLMSPELL_OK);
    mp_check_all(v, "a", 1000, 60);
    CHECK_RC(llmspell_vec_delete(v, "a0"), LLMSPELL_OK); /* a write here, after theirs */
    REQUIRE_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == 99, "count %llu, not 99", (unsigned long long)info.count);

    /* two processes write at once, each in many small transactions */
    a = mp_spawn(conninfo, "b", 2000, 120, 4);
    b = mp_spawn(conninfo, "c", 3000, 120, 4);
    ra = mp_wait(a);
    rb = mp_wait(b);
    CHECK(ra == 0 && rb == 0, "processes b and c ended with %d and %d", ra, rb);
    REQUIRE_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == 339, "count %llu, not 339 after both", (unsigned long long)info.count);
    CHECK_RC(llmspell_vec_get(v, "a0", &got), LLMSPELL_ERR_NOT_FOUND);
    mp_check_all(v, "p", 0, 40);
    mp_check_all(v, "b", 2000, 120);
    mp_check_all(v, "c", 3000, 120);
    llmspell_vec_close(v);
    /* and a fresh open agrees: the graph pages the writers saved in turn hold every node */
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "shared", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == 339 && info.graph_loaded, "reopened: count %llu, graph_loaded %d", (unsigned long long)info.count, info.graph_loaded);
    mp_check_all(v, "b", 2000, 120);
    mp_check_all(v, "c", 3000, 120);
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
}
#endif

static void test_link_widths(void)
{
    static lw_answers before, after;
    counting_alloc ca;
    llmspell_kv_options ko;
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    llmspell_vec_config cfg;
    llmspell_vec_info info;
    dataset d;
    llmspell__hnsw *ix;
    long k;
    int widened = 0;
    uint32_t lw0;

    memset(&ca, 0, sizeof ca);
    ca.paused = 1;
    memset(&ko, 0, sizeof ko);
    ko.allocator.alloc = ca_alloc;
    ko.allocator.realloc = ca_realloc;
    ko.allocator.free = ca_free;
    ko.allocator.ctx = &ca;
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_COSINE;
    cfg.M = 8;
    cfg.ef_construction = 48;
    ds_make(&d, LW_N + LW_MORE + LW_NQ, LW_DIM, 12, 4242, 1);
    REQUIRE_RC(llmspell_kv_open_memory(&kv, &ko), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "lw", &cfg, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "lw", NULL, NULL), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "w", 0, LW_N, 100, NULL), LLMSPELL_OK);
    ix = v->ix[0];
    lw0 = LW_N > LLMSPELL__LINK3_NODES ? 4 : 3;
    CHECK(ix->lw == lw0 && ix->stride == 4 * (3 + (size_t)llmspell__lwords(lw0, 16)) + ix->vbytes, "%u nodes: %u-byte links, block %zu",
          ix->n, ix->lw, ix->stride);
    lw_answer(v, &d, &before);

    /* every allocation of the widening fails once: then nothing has changed */
    for (k = 1; lw0 == 3 && !widened && k < 10000; k++) {
        ca.paused = 0;
        ca.calls = 0;
        ca.fail_at = k;
        ca.injected = 0;
        widened = llmspell__vix_widen(v, v->ix[0]);
        ca.paused = 1;
        CHECK(widened == !ca.injected, "allocation %ld: widen returned %d, the failure %s injected", k, widened, ca.injected ? "was" : "was not");
        if (!widened) {
            CHECK(v->ix[0]->lw == 3, "allocation %ld failed: the links are %u bytes", k, v->ix[0]->lw);
            lw_answer(v, &d, &after);
            CHECK(lw_same(&before, &after), "allocation %ld failed: the answers changed", k);
        }
    }
    ix = v->ix[0];
    CHECK(ix->lw == 4 && ix->w0 == 16 && ix->stride == 4 * (3 + 16) + ix->vbytes, "widened: %u-byte links, block %zu", ix->lw, ix->stride);
    lw_answer(v, &d, &after);
    CHECK(lw_same(&before, &after), "widening changed the answers");
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == LW_N, "count %llu", (unsigned long long)info.count);

    /* 4-byte links written, saved, and loaded into the width the size calls for */
    CHECK_RC(add_range(v, &d, 0, "w", LW_N, LW_N + LW_MORE, 50, NULL), LLMSPELL_OK);
    lw_answer(v, &d, &before);
    llmspell_vec_close(v);
    v = NULL;
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "lw", NULL, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.graph_loaded && info.count == LW_N + LW_MORE, "reopened: graph_loaded %d, count %llu", info.graph_loaded,
          (unsigned long long)info.count);
    CHECK(v->ix[0]->lw == (LW_N + LW_MORE > LLMSPELL__LINK3_NODES ? 4u : 3u), "reopened: %u-byte links", v->ix[0]->lw);
    lw_answer(v, &d, &after);
    CHECK(lw_same(&before, &after), "the saved graph answers differently after loading");
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
    CHECK(ca.live == 0, "%ld blocks leaked", ca.live);
    ds_free(&d);
}

/* ------------------------------------------------------------------------------------------ */
/* >>a kv whose writes fail                                                                    */

/* A user-defined backend: forwards to an inner kv, but the fail_at-th write (put, delete or
   commit) fails with ERR_IO (a failed commit rolls the inner transaction back). */
typedef struct failkv { llmspell_kv *inner; long ops, fail_at; int injected; } failkv;
typedef struct fk_cursor { llmspell_kv *inner; llmspell_kv_cursor *c; } fk_cursor;

static llmspell_result fk_pass(llmspell_kv *kv, llmspell_result r)
{
    failkv *f = (failkv *)kv->ctx;
    if (r != LLMSPELL_OK && r != LLMSPELL_ERR_NOT_FOUND) return llmspell_kv_set_error(kv, r, "inner: %s", llmspell_kv_errmsg(f->inner));
    return r;
}
static int fk_fails(llmspell_kv *kv)
{
    failkv *f = (failkv *)kv->ctx;
    if (++f->ops != f->fail_at) return 0;
    f->injected = 1;
    return 1;
}
static llmspell_result fk_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn)
{
    return fk_pass(kv, llmspell_kv_get(((failkv *)kv->ctx)->inner, k, kn, v, vn));
}
static llmspell_result fk_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn)
{
    if (fk_fails(kv)) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "failing kv: injected put failure");
    return fk_pass(kv, llmspell_kv_put_sys(((failkv *)kv->ctx)->inner, k, kn, v, vn));
}
static llmspell_result fk_del(llmspell_kv *kv, const uint8_t *k, size_t kn)
{
    if (fk_fails(kv)) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "failing kv: injected delete failure");
    return fk_pass(kv, llmspell_kv_delete_sys(((failkv *)kv->ctx)->inner, k, kn));
}
static llmspell_result fk_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur)
{
    failkv *f = (failkv *)kv->ctx;
    fk_cursor *c = (fk_cursor *)malloc(sizeof *c);
    llmspell_result r;
    if (!c) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "failing kv: out of memory");
    c->inner = f->inner;
    if ((r = f->inner->cursor_open(f->inner, &c->c)) != LLMSPELL_OK) {
        free(c);
        return fk_pass(kv, r);
    }
    *cur = (llmspell_kv_cursor *)c;
    return LLMSPELL_OK;
}
static llmspell_result fk_cursor_seek(llmspell_kv_cursor *cur, const uint8_t *k, size_t kn)
{
    fk_cursor *c = (fk_cursor *)cur;
    return c->inner->cursor_seek(c->c, k, kn);
}
static llmspell_result fk_cursor_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn, const void **v, size_t *vn)
{
    fk_cursor *c = (fk_cursor *)cur;
    return c->inner->cursor_next(c->c, k, kn, v, vn);
}
static void fk_cursor_close(llmspell_kv_cursor *cur)
{
    fk_cursor *c = (fk_cursor *)cur;
    c->inner->cursor_close(c->c);
    free(c);
}
static llmspell_result fk_begin(llmspell_kv *kv) { return fk_pass(kv, llmspell_kv_begin(((failkv *)kv->ctx)->inner)); }
static llmspell_result fk_commit(llmspell_kv *kv)
{
    failkv *f = (failkv *)kv->ctx;
    if (fk_fails(kv)) {
        (void)llmspell_kv_rollback(f->inner);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "failing kv: injected commit failure");
    }
    return fk_pass(kv, llmspell_kv_commit(f->inner));
}
static llmspell_result fk_rollback(llmspell_kv *kv) { return fk_pass(kv, llmspell_kv_rollback(((failkv *)kv->ctx)->inner)); }
static llmspell_result fk_stats(llmspell_kv *kv, llmspell_kv_stats *out) { return llmspell_kv_stats_get(((failkv *)kv->ctx)->inner, out); }
static void fk_chars(llmspell_kv *kv, llmspell_kv_characteristics *out)
{
    (void)llmspell_kv_characteristics_get(((failkv *)kv->ctx)->inner, out);
}
static void fk_close(llmspell_kv *kv) { (void)kv; /* the inner kv is closed by its owner */ }

static void fk_open(llmspell_kv *kv, failkv *f)
{
    memset(kv, 0, sizeof *kv);
    kv->ctx = f;
    kv->name = "failing";
    kv->get = fk_get;
    kv->put = fk_put;
    kv->del = fk_del;
    kv->cursor_open = fk_cursor_open;
    kv->cursor_seek = fk_cursor_seek;
    kv->cursor_next = fk_cursor_next;
    kv->cursor_close = fk_cursor_close;
    kv->begin = fk_begin;
    kv->commit = fk_commit;
    kv->rollback = fk_rollback;
    kv->stats = fk_stats;
    kv->characteristics = fk_chars;
    kv->close = fk_close;
    kv->open = 1;
}

/* Every key and value of a kv, serialized. */
typedef struct dump { uint8_t *b; size_t n, cap; } dump;
static void dump_put(dump *d, const void *p, size_t n)
{
    uint8_t len[4];
    len[0] = (uint8_t)n; len[1] = (uint8_t)(n >> 8); len[2] = (uint8_t)(n >> 16); len[3] = (uint8_t)(n >> 24);
    while (d->n + n + 4 > d->cap) {
        d->cap = d->cap ? 2 * d->cap : 4096;
        d->b = (uint8_t *)realloc(d->b, d->cap);
        if (!d->b) abort();
    }
    memcpy(d->b + d->n, len, 4);
    if (n) memcpy(d->b + d->n + 4, p, n);
    d->n += n + 4;
}
static int dump_take(llmspell_kv *kv, dump *d)
{
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kl, vl;
    d->n = 0;
    if (llmspell_kv_iter_open(kv, NULL, 0, &it) != LLMSPELL_OK) return 0;
    while (llmspell_kv_iter_next(it, &k, &kl, &v, &vl) == LLMSPELL_OK) {
        dump_put(d, k, kl);
        dump_put(d, v, vl);
    }
    llmspell_kv_iter_close(it);
    return 1;
}

/* Runs op with the 1st, 2nd, ... kv write failing until it runs through: each failure must
   return ERR_IO with a message and leave the kv contents and everything observable about the
   collection exactly as before the call. Returns the number of writes of the successful run. */
typedef llmspell_result (*kvf_op)(llmspell_vec *v, void *arg);
static long kvf_sweep_at(const char *file, int line, llmspell_vec *v, failkv *f, llmspell_kv *outer, const float *const *qs,
                         const uint32_t *qd, size_t nq, kvf_op op, void *arg, const char *what)
{
    dump before, now;
    snap sb, sn;
    long n;
    char why[512];
    llmspell_result rc;
    memset(&before, 0, sizeof before);
    memset(&now, 0, sizeof now);
    memset(&sb, 0, sizeof sb);
    memset(&sn, 0, sizeof sn);
    dump_take(f->inner, &before);
    CHECK_AT(file, line, snap_take(v, &sb, qs, qd, nq) == LLMSPELL_OK, "%s: snapshot", what);
    for (n = 1; n < 10000; n++) {
        f->ops = 0;
        f->fail_at = n;
        f->injected = 0;
        rc = op(v, arg);
        if (!f->injected) {
            CHECK_AT(file, line, rc == LLMSPELL_OK, "%s: the run without a failure returned %s (%s)", what, rc_name(rc), llmspell_vec_errmsg(v));
            break;
        }
        CHECK_AT(file, line, rc == LLMSPELL_ERR_IO, "%s: write %ld failing: returned %s, want ERR_IO", what, n, rc_name(rc));
        CHECK_AT(file, line, llmspell_vec_errmsg(v)[0] != 0, "%s: write %ld failing: no message", what, n);
        CHECK_AT(file, line, outer->in_txn == 0, "%s: write %ld failing left a transaction open", what, n);
        f->fail_at = 0;
        dump_take(f->inner, &now);
        CHECK_AT(file, line, now.n == before.n && memcmp(now.b, before.b, now.n) == 0, "%s: write %ld failing changed the kv contents",
                 what, n);
        if (snap_take(v, &sn, qs, qd, nq) != LLMSPELL_OK) {
            CHECK_AT(file, line, 0, "%s: write %ld failing: the collection no longer answers (%s)", what, n, llmspell_vec_errmsg(v));
            break;
        }
        if (snap_diff(&sb, &sn, why, sizeof why)) CHECK_AT(file, line, 0, "%s: write %ld failing changed the collection: %s", what, n, why);
        if (harness_failures > 5) break;
    }
    f->fail_at = 0;
    free(before.b);
    free(now.b);
    snap_free(&sb);
    snap_free(&sn);
    return f->ops;
}
#define KVF_SWEEP(...) kvf_sweep_at(__FILE__, __LINE__, __VA_ARGS__)

typedef struct batch_arg { const llmspell_vec_record *recs; size_t n; } batch_arg;
static llmspell_result op_batch(llmspell_vec *v, void *arg)
{
    batch_arg *b = (batch_arg *)arg;
    return llmspell_vec_add_batch(v, b->recs, b->n);
}
static llmspell_result op_delete(llmspell_vec *v, void *arg) { return llmspell_vec_delete(v, (const char *)arg); }
static llmspell_result op_index(llmspell_vec *v, void *arg) { return llmspell_vec_index_field(v, (const char *)arg); }
static llmspell_result op_unindex(llmspell_vec *v, void *arg) { return llmspell_vec_unindex_field(v, (const char *)arg); }
static llmspell_result op_purge(llmspell_vec *v, void *arg)
{
    size_t *purged = (size_t *)arg;
    return llmspell_vec_purge_expired(v, purged);
}

static void test_kv_write_failure(void)
{
    enum { N = 300, DIM = 12, NB = 30, NQ = 8 };
    llmspell_kv inner, outer;
    failkv f;
    dataset d;
    tclock clk = {1000};
    llmspell_vec_options o = opts_clock(&clk);
    llmspell_vec_config cfg = config_of(LLMSPELL_METRIC_COSINE, 8, 64, 32);
    llmspell_vec *v;
    llmspell_vec_record recs[NB], got;
    llmspell_vec_info info;
    batch_arg ba;
    char ids[NB][16], metas[NB][64];
    const float *qs[NQ];
    uint32_t qd[NQ], i;
    long writes;
    size_t purged = 0;
    snap s1, s2;
    char why[512];
    int errs = 0;

    memset(&f, 0, sizeof f);
    memset(&s1, 0, sizeof s1);
    memset(&s2, 0, sizeof s2);
    ds_make(&d, N + NB + NQ + 5, DIM, 12, 2468, 0);
    REQUIRE_RC(llmspell_kv_open_memory(&inner, NULL), LLMSPELL_OK);
    f.inner = &inner;
    fk_open(&outer, &f);
    REQUIRE_RC(llmspell_vec_create(&outer, "kf", &cfg, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &outer, "kf", NULL, &o), LLMSPELL_OK);
    CHECK_RC(add_range(v, &d, 0, "k", 0, N - 10, 100, meta_persist), LLMSPELL_OK);
    ttl_add(v, &d, "e", N - 10, N, 50, &errs); /* e0..e9 expire at 1050: the batch purges them */
    CHECK(errs == 0, "fixture adds failed");
    for (i = 0; i < NQ; i++) { qs[i] = ds_vec(&d, N + NB + i); qd[i] = DIM; }
    clk.now = 1100;
    for (i = 0; i < NB; i++) { /* 25 new records and 5 updates */
        if (i < 25) snprintf(ids[i], sizeof ids[i], "new%u", i);
        else snprintf(ids[i], sizeof ids[i], "k%u", (i - 25) * 3);
        snprintf(metas[i], sizeof metas[i], "{\"batch\":%u,\"o\":{\"x\":[1]}}", i);
        recs[i] = rec_of(ids[i], ds_vec(&d, N + i), DIM, metas[i]);
    }
    ba.recs = recs;
    ba.n = NB;
    /* field indexes: a failed declaration leaves none behind; the batch below keeps one */
    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_index, (void *)"batch", "index_field");
    CHECK(writes >= 2, "index_field made %ld kv writes", writes);
    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_index, (void *)"o", "index_field");
    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_unindex, (void *)"o", "unindex_field");
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.field_indexes == 1, "%u field indexes after the sweeps, want 1", (unsigned)info.field_indexes);
    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_batch, &ba, "add_batch");
    fprintf(stderr, "note: kv_write_failure: add_batch made %ld kv writes, each failed in turn\n", writes);
    CHECK(writes > NB, "add_batch of %d made only %ld kv writes", NB, writes);
    CHECK_RC(llmspell_vec_get(v, "new3", &got), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_get(v, "k3", &got), LLMSPELL_OK);
    CHECK(got.metadata_len == strlen(metas[26]) && memcmp(got.metadata, metas[26], got.metadata_len) == 0, "k3 not updated");
    CHECK(rec_key_exists(f.inner, "kf", "e3") == 0, "the batch did not purge e3");
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.count == N - 10 + 25, "count after the batch %llu", (unsigned long long)info.count);

    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_delete, (void *)"k7", "delete");
    CHECK(writes > 1, "delete made %ld kv writes", writes);
    CHECK_RC(llmspell_vec_get(v, "k7", &got), LLMSPELL_ERR_NOT_FOUND);
    clk.now = 2000;
    ttl_add(v, &d, "f", 0, 5, 10, &errs);
    clk.now = 3000;
    writes = KVF_SWEEP(v, &f, &outer, qs, qd, NQ, op_purge, &purged, "purge_expired");
    CHECK(writes > 1 && purged == 5, "purge made %ld kv writes and purged %zu", writes, purged);

    /* what the store holds is what the handle shows, and it loads */
    CHECK_RC(snap_take(v, &s1, qs, qd, NQ), LLMSPELL_OK);
    llmspell_vec_close(v);
    REQUIRE_RC(llmspell_vec_open(&v, &outer, "kf", NULL, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
    CHECK(info.graph_loaded == 1, "reopen after the failures: graph_loaded %d", info.graph_loaded);
    CHECK(info.field_indexes == 1, "reopen after the failures: %u field indexes", (unsigned)info.field_indexes);
    {
        llmspell_vec_filter fb = FC(LLMSPELL_F_EQ, "batch", VI(26));
        llmspell_vec_query q = query_of(qs[0], DIM, 5, 0, &fb);
        llmspell_vec_hit h[5];
        size_t nh = 0;
        CHECK_RC(llmspell_vec_search(v, &q, h, &nh), LLMSPELL_OK);
        CHECK(nh == 1 && strcmp(h[0].id, "k3") == 0, "batch == 26 through the index: %zu hits, first %s", nh, nh ? h[0].id : "-");
    }
    CHECK_RC(snap_take(v, &s2, qs, qd, NQ), LLMSPELL_OK);
    if (snap_diff(&s1, &s2, why, sizeof why)) CHECK(0, "after reopen: %s", why);
    llmspell_vec_close(v);
    snap_free(&s1);
    snap_free(&s2);
    llmspell_kv_close(&outer);
    llmspell_kv_close(&inner);
    ds_free(&d);
}

/* ------------------------------------------------------------------------------------------ */
/* >>main                                                                                      */

int main(void)
{
    char name[128];
    size_t i;
    if (!compat_make_tmpdir(g_tmpdir, sizeof g_tmpdir, "llmspell-vec-test-")) {
        perror("cannot make a temporary directory");
        return 2;
    }
    RUN(test_kernels);
    RUN(test_kernel_forced);
    RUN(test_kernels_quant);
    RUN(test_quantized);
    for (i = 0; i < COUNT_OF(METRICS); i++) {
        snprintf(name, sizeof name, "recall_%s", METRICS[i].name);
        RUN_ARG(name, test_recall, &METRICS[i]);
    }
    RUN(test_deletes);
    RUN(test_memory_held);
    RUN(test_link_widths);
    RUN(test_record_forms);
#if COMPAT_HAS_POSTGRES && !COMPAT_WIN32
    RUN(test_postgres_two_processes);
#endif
    RUN(test_updates);
    RUN(test_update_each_reachable);
    RUN(test_delete_readd_reachable);
    RUN(test_ttl);
    RUN(test_filters);
    RUN(test_filter_values);
    RUN(test_field_indexes);
    RUN(test_dims);
    for (i = 0; i < COUNT_OF(BACKENDS); i++) {
        snprintf(name, sizeof name, "persist_%s", BACKENDS[i].name);
        RUN_ARG(name, test_persist, &BACKENDS[i]);
    }
    compat_note_no_sqlite("persist_sqlite");
    RUN(test_tenants);
    RUN(test_names);
    RUN(test_corrupt_page);
    RUN(test_corrupt_missing_page);
    RUN(test_corrupt_stale);
    RUN(test_corrupt_old_snapshot);
    RUN(test_corrupt_record);
    RUN(test_corrupt_record_any_byte);
    RUN(test_bad_records);
    RUN(test_bad_metadata_dup_keys);
    RUN(test_bad_queries);
    RUN(test_bad_collections);
    RUN(test_txn);
    RUN(test_quotas);
    RUN(test_alloc_failure);
    RUN(test_alloc_failure_int8);
    RUN(test_kv_write_failure);
    compat_remove_tree(g_tmpdir);
    return harness_exit();
}
