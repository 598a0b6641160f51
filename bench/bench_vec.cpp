/* bench_vec.cpp - llmspell_vec (HNSW + run-time dispatched SIMD kernels) against hnswlib and
   SimSIMD, in one run, single thread.

   Build (see the Makefile rule build/bench_vec; every part with the same -O2 -DNDEBUG, no -march):
       cc  -std=c99 -O2 -DNDEBUG -I. -c bench/vec_impl.c -o build/vec_impl.o
       cc  -O2 -DNDEBUG -I$SIMSIMD/include -c $SIMSIMD/c/lib.c -o build/simsimd.o        (optional)
       c++ -std=c++17 -O2 -DNDEBUG -I. [-DBENCH_SIMSIMD -I$SIMSIMD/include] bench/bench_vec.cpp \
           build/vec_impl.o [build/simsimd.o] -o build/bench_vec
   Run from the repository root:
       ./build/bench_vec [--quick] [--data DIR] [--only PART]    (DIR defaults to ../shared/data)
   --quick: siftsmall only (every section runs on it, so the smoke run covers all the code),
   fewer repetitions. --only kernels|siftsmall|glove100k|threads|single runs one part: threads
   is the section on one handle shared by threads (parallel build, 2-thread search, reads beside
   a writer, each against hnswlib; wall time); single prints the 1-thread build and search
   figures that `sh bench/bench_vec.sh before-after` compares with the last commit's headers.

   Data: ../shared/data (see its README): siftsmall (10K x 128, L2) and glove100k (100K x 100,
   cosine), texmex fvecs/ivecs with the exact top-100 of every query.
   Peers:
     hnswlib (Debian libhnswlib-dev, header only), M=16, ef_construction=200, seed 100, compiled
     with the same flags, so it uses the SIMD the compiler enables by default (SSE on x86-64).
     For cosine it gets L2-normalised vectors and InnerProductSpace; the base is normalised
     inside its build time and every query inside its search time (ours takes the raw vectors
     with METRIC_COSINE and keeps inverse norms).
     SimSIMD (npm package simsimd, its C headers and c/lib.c compiled with its own run-time
     dispatch, SIMSIMD_DYNAMIC_DISPATCH=1) for the kernels, when it was built in.
   Ours: llmspell_vec with M=16, ef_construction=200, the kernel llmspell_vec_kernel_best picks,
   in memory (kv NULL) for the sweeps; through a file-backed kv for the persistence and filter
   sections. Records are added with add_batch in batches of 1000, ids are the decimal row number.
   Timing: compute is timed in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID; the bench machine
   is shared, and a preempted single-threaded loop should not be charged for other jobs' time;
   on an idle machine it is the wall time); the file-backed build and the open are wall time.
   Each QPS figure is the best of 3 timed passes over the query set (1 in --quick),
   after an untimed warm-up pass that also gives the recall; a pass repeats the query set until
   it lasts >= 0.3 s; ours and hnswlib passes alternate. Every search result is turned into
   row numbers inside the timed loop for both libraries.
   Output: one line per measurement, "vec <dataset> <what>: ours ..., <peer> ..., ratio ...",
   plus '#' lines for context. Any failed call aborts with a message and exit status 1. */
#include "../llmspell_vec.h"

#include <hnswlib/hnswlib.h>
#ifdef BENCH_USEARCH
#include <usearch/index_dense.hpp>
#endif

#ifdef BENCH_SIMSIMD
#define SIMSIMD_DYNAMIC_DISPATCH 1
#define SIMSIMD_NATIVE_F16 0
#define SIMSIMD_NATIVE_BF16 0
#include <simsimd/simsimd.h>
#endif

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

/* ---- settings ----------------------------------------------------------------------------- */

static bool g_quick = false;
static int g_passes = 3;            /* timed passes per QPS figure (best kept) */
static double g_min_pass_s = 0.3;   /* a pass repeats the query set until it lasts this long */
static const int K = 10;            /* recall@10 */
static const uint32_t HNSW_M = 16, HNSW_EFC = 200;
static const int EFS[] = {10, 20, 40, 80, 160, 320};
static const int NEFS = (int)(sizeof EFS / sizeof EFS[0]);
static const double TARGET_RECALL = 0.95;
static volatile double g_sink; /* keeps timed results alive */
static char g_workdir[256];
static std::string g_only;          /* --only kernels|siftsmall|glove100k: run one section */

/* ---- failure handling --------------------------------------------------------------------- */

static void cleanup_workdir(void) {
    DIR *d;
    struct dirent *e;
    char p[600];
    if (!g_workdir[0]) return;
    if ((d = opendir(g_workdir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", g_workdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(g_workdir);
    g_workdir[0] = 0;
}

[[noreturn]] static void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "bench_vec: FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    cleanup_workdir();
    exit(1);
}

static void vcheck(llmspell_result r, llmspell_vec *v, const char *what) {
    if (r != LLMSPELL_OK) die("%s: %s (%s)", what, llmspell_strerror(r), llmspell_vec_errmsg(v));
}

static void kcheck(llmspell_result r, llmspell_kv *kv, const char *what) {
    if (r != LLMSPELL_OK) die("%s: %s (%s)", what, llmspell_strerror(r), llmspell_kv_errmsg(kv));
}

/* Compute is timed in this thread's CPU time: the machine is shared (other jobs on 2 cores), and
   a single-threaded loop that is preempted should not be charged for the other job's slices. On
   an idle machine it equals the wall time. Anything touching the file system is timed with
   wall_s(). */
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double wall_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Bytes malloc has handed out and not got back (arena + mmapped chunks). */
static size_t heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

/* ---- data --------------------------------------------------------------------------------- */

struct Data {
    std::string name;
    bool cosine = false;
    int n = 0, d = 0, nq = 0, gk = 0;
    std::vector<float> base, query;
    std::vector<int32_t> gt; /* nq x gk, nearest first */
    std::vector<char> ids;   /* n x IDLEN, "%d" */
};
static const int IDLEN = 12;

static bool file_exists(const std::string &p) {
    struct stat st;
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/* texmex .fvecs / .ivecs: records of int32 dim + dim 4-byte values, all of one dim. */
template <class T>
static void read_vecs(const std::string &path, std::vector<T> &out, int &n, int &d) {
    FILE *f = fopen(path.c_str(), "rb");
    int32_t dim;
    long size;
    if (!f) die("cannot open %s", path.c_str());
    if (fread(&dim, 4, 1, f) != 1 || dim <= 0 || dim > 1000000) die("%s: bad header", path.c_str());
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) die("%s: cannot seek", path.c_str());
    if (size % (4 + 4L * dim) != 0) die("%s: size %ld is not a multiple of the record size", path.c_str(), size);
    n = (int)(size / (4 + 4L * dim));
    d = dim;
    out.resize((size_t)n * (size_t)d);
    for (int i = 0; i < n; i++) {
        int32_t di;
        if (fread(&di, 4, 1, f) != 1 || di != dim) die("%s: record %d has dim %d, not %d", path.c_str(), i, (int)di, (int)dim);
        if (fread(&out[(size_t)i * (size_t)d], 4, (size_t)d, f) != (size_t)d) die("%s: short read", path.c_str());
    }
    fclose(f);
}

static bool load(Data &D, const std::string &dir, const char *name, const char *gtname, bool cosine) {
    std::string b = dir + "/" + name + "/" + name + "_base.fvecs", q = dir + "/" + name + "/" + name + "_query.fvecs",
                g = dir + "/" + name + "/" + gtname;
    int n2, d2;
    if (!file_exists(b) || !file_exists(q) || !file_exists(g)) return false;
    D.name = name;
    D.cosine = cosine;
    read_vecs(b, D.base, D.n, D.d);
    read_vecs(q, D.query, D.nq, d2);
    if (d2 != D.d) die("%s: queries have dim %d, the base %d", name, d2, D.d);
    read_vecs(g, D.gt, n2, D.gk);
    if (n2 != D.nq || D.gk < K) die("%s: ground truth is %d x %d for %d queries", name, n2, D.gk, D.nq);
    for (int i = 0; i < D.nq * D.gk; i++)
        if (D.gt[(size_t)i] < 0 || D.gt[(size_t)i] >= D.n) die("%s: ground truth id %d out of range", name, (int)D.gt[(size_t)i]);
    D.ids.resize((size_t)D.n * IDLEN);
    for (int i = 0; i < D.n; i++) snprintf(&D.ids[(size_t)i * IDLEN], IDLEN, "%d", i);
    return true;
}

static inline int parse_id(const char *s) {
    int x = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        x = x * 10 + (*s - '0');
    }
    return x;
}

/* recall@10 of out (nq x K row numbers, -1 = none) against the file's exact top-10. */
static double recall_gt(const Data &D, const std::vector<int> &out) {
    long good = 0;
    for (int q = 0; q < D.nq; q++)
        for (int j = 0; j < K; j++) {
            int id = out[(size_t)q * K + j];
            if (id < 0) continue;
            for (int g = 0; g < K; g++)
                if (D.gt[(size_t)q * D.gk + g] == id) {
                    good++;
                    break;
                }
        }
    return (double)good / (10.0 * D.nq);
}

/* recall of out against ref (both nq x K, -1 = none); the denominator counts ref's entries. */
static double recall_ref(const std::vector<int> &out, const std::vector<int> &ref, int nq) {
    long good = 0, total = 0;
    for (int q = 0; q < nq; q++)
        for (int g = 0; g < K; g++) {
            int want = ref[(size_t)q * K + g];
            if (want < 0) continue;
            total++;
            for (int j = 0; j < K; j++)
                if (out[(size_t)q * K + j] == want) {
                    good++;
                    break;
                }
        }
    return total ? (double)good / (double)total : 1.0;
}

/* ---- ours --------------------------------------------------------------------------------- */

static llmspell_vec_config our_config(const Data &D) {
    llmspell_vec_config c;
    memset(&c, 0, sizeof c);
    c.metric = D.cosine ? LLMSPELL_METRIC_COSINE : LLMSPELL_METRIC_L2;
    c.M = HNSW_M;
    c.ef_construction = HNSW_EFC;
    return c;
}

/* Adds every base vector in batches of 1000 (rows [from, to), all by default) linked on
   `threads` threads; metadata {"bucket": i % 1000} when asked. */
static double ours_add_all(llmspell_vec *v, const Data &D, bool metadata, uint32_t threads = 1, int from = 0, int to = -1) {
    const int B = 1000;
    if (to < 0) to = D.n;
    std::vector<llmspell_vec_record> recs((size_t)B);
    std::vector<char> meta(metadata ? (size_t)B * 24 : 0);
    double t0 = threads > 1 ? wall_s() : now_s(); /* threads: wall time */
    for (int i = from; i < to; i += B) {
        int m = std::min(B, to - i);
        for (int j = 0; j < m; j++) {
            llmspell_vec_record &r = recs[(size_t)j];
            memset(&r, 0, sizeof r);
            r.id = &D.ids[(size_t)(i + j) * IDLEN];
            r.embedding = &D.base[(size_t)(i + j) * (size_t)D.d];
            r.dim = (uint32_t)D.d;
            if (metadata) {
                snprintf(&meta[(size_t)j * 24], 24, "{\"bucket\":%d}", (i + j) % 1000);
                r.metadata = &meta[(size_t)j * 24];
            }
        }
#ifdef BENCH_BEFORE
        vcheck(llmspell_vec_add_batch(v, recs.data(), (size_t)m), v, "llmspell_vec_add_batch");
#else
        llmspell_vec_batch_options bo;
        memset(&bo, 0, sizeof bo);
        bo.threads = threads;
        vcheck(llmspell_vec_add_batch_ex(v, recs.data(), (size_t)m, &bo), v, "llmspell_vec_add_batch_ex");
#endif
    }
    return (threads > 1 ? wall_s() : now_s()) - t0;
}

/* One pass over the queries; out gets the row numbers. Returns the seconds it took. */
static double ours_pass(llmspell_vec *v, const Data &D, uint32_t ef, const llmspell_vec_filter *f, bool exact, std::vector<int> &out,
                        int nq, size_t rerank = 0) {
    llmspell_vec_hit hits[K];
    size_t nh;
    double t0 = now_s();
    for (int qi = 0; qi < nq; qi++) {
        llmspell_vec_query q;
        memset(&q, 0, sizeof q);
        q.vector = &D.query[(size_t)qi * (size_t)D.d];
        q.dim = (uint32_t)D.d;
        q.k = K;
        q.ef = ef;
        q.filter = f;
        q.rerank = rerank;
        llmspell_result r = exact ? llmspell_vec_search_exact(v, &q, hits, &nh) : llmspell_vec_search(v, &q, hits, &nh);
        if (r != LLMSPELL_OK) vcheck(r, v, exact ? "llmspell_vec_search_exact" : "llmspell_vec_search");
        if (nh > (size_t)K) die("search returned %zu hits for k %d", nh, K);
        for (int j = 0; j < K; j++) {
            int id = j < (int)nh ? parse_id(hits[j].id) : -1;
            if (j < (int)nh && id < 0) die("search returned a foreign id '%s'", hits[j].id);
            out[(size_t)qi * K + j] = id;
        }
    }
    return now_s() - t0;
}

/* ---- hnswlib ------------------------------------------------------------------------------ */

struct Peer {
    hnswlib::SpaceInterface<float> *space = nullptr;
    hnswlib::HierarchicalNSW<float> *h = nullptr;
    std::vector<float> qn; /* query scratch for normalising */
    ~Peer() {
        delete h;
        delete space;
    }
};

static void normalise(float *dst, const float *src, int d) {
    double s = 0;
    for (int i = 0; i < d; i++) s += (double)src[i] * src[i];
    float inv = s > 0 ? (float)(1.0 / sqrt(s)) : 0.0f;
    for (int i = 0; i < d; i++) dst[i] = src[i] * inv;
}

/* hnswlib's space for D, and the rows it indexes: normalised into nb for cosine (hnswlib's
   inner product on unit vectors), else D's own. */
static const float *peer_space(Peer &P, const Data &D, std::vector<float> &nb) {
    if (D.cosine) {
        nb.resize(D.base.size());
        for (int i = 0; i < D.n; i++) normalise(&nb[(size_t)i * D.d], &D.base[(size_t)i * D.d], D.d);
        P.space = new hnswlib::InnerProductSpace((size_t)D.d);
        return nb.data();
    }
    P.space = new hnswlib::L2Space((size_t)D.d);
    return D.base.data();
}

static double peer_build(Peer &P, const Data &D) {
    double t0 = now_s();
    std::vector<float> nb;
    const float *src = peer_space(P, D, nb);
    try {
        P.h = new hnswlib::HierarchicalNSW<float>(P.space, (size_t)D.n, HNSW_M, HNSW_EFC, 100);
        for (int i = 0; i < D.n; i++) P.h->addPoint(src + (size_t)i * D.d, (hnswlib::labeltype)i);
    } catch (const std::exception &e) {
        die("hnswlib build: %s", e.what());
    }
    P.qn.resize((size_t)D.d);
    return now_s() - t0;
}

static double peer_pass(Peer &P, const Data &D, size_t ef, std::vector<int> &out, int nq) {
    double t0 = now_s();
    P.h->setEf(ef);
    for (int qi = 0; qi < nq; qi++) {
        const float *q = &D.query[(size_t)qi * (size_t)D.d];
        if (D.cosine) {
            normalise(P.qn.data(), q, D.d);
            q = P.qn.data();
        }
        std::priority_queue<std::pair<float, hnswlib::labeltype>> pq;
        try {
            pq = P.h->searchKnn(q, K);
        } catch (const std::exception &e) {
            die("hnswlib searchKnn: %s", e.what());
        }
        int m = (int)pq.size();
        if (m > K) die("hnswlib returned %d results for k %d", m, K);
        for (int j = K - 1; j >= 0; j--) {
            if (j >= m) {
                out[(size_t)qi * K + j] = -1;
                continue;
            }
            out[(size_t)qi * K + j] = (int)pq.top().second;
            pq.pop();
        }
    }
    return now_s() - t0;
}

/* The index proper: level-0 blocks (links + vector + label) and the upper-level link lists,
   plus the per-element level. Excludes the label hash map, the per-element mutexes, the 65536
   update mutexes and the visited-list pool, which the heap delta includes. */
static double peer_index_bytes(const Peer &P) {
    const hnswlib::HierarchicalNSW<float> *h = P.h;
    double b = (double)h->cur_element_count * (double)h->size_data_per_element_;
    for (size_t i = 0; i < h->cur_element_count; i++)
        b += (double)h->element_levels_[i] * (double)h->size_links_per_element_ + sizeof(int) + sizeof(char *);
    return b;
}

/* ---- timing helpers ----------------------------------------------------------------------- */

/* Repeats run(out) until the pass lasts g_min_pass_s; returns queries per second. `warm` is the
   seconds of one untimed run of the query set (to size the pass). */
template <class F>
static double qps_pass(F run, double warm, int nq) {
    if (warm >= 3.0) return nq / warm; /* one pass of the query set is long enough: it is the measurement */
    int reps = warm > 0 ? (int)std::ceil(g_min_pass_s / warm) : 1;
    if (reps < 1) reps = 1;
    double t = 0;
    for (int r = 0; r < reps; r++) t += run();
    return (double)reps * nq / t;
}

static const char *fmt_qps(double q, char *buf) {
    snprintf(buf, 32, q >= 100 ? "%.0f" : "%.1f", q);
    return buf;
}

/* ---- kernels ------------------------------------------------------------------------------ */

typedef float (*kfn)(const float *, const float *, size_t);

template <class F>
static double kernel_run(F f, const float *A, const float *B, size_t P, size_t dim, size_t calls) {
    double s = 0, t0 = now_s();
    size_t p = 0;
    for (size_t c = 0; c < calls; c++) {
        s += f(A + p * dim, B + p * dim, dim);
        if (++p == P) p = 0;
    }
    double t = now_s() - t0;
    g_sink = g_sink + s;
    return t;
}

/* ns per call: calibrated to ~20 ms runs (5 ms in --quick), median of 5 runs (3). */
template <class F>
static double kernel_ns(F f, const float *A, const float *B, size_t P, size_t dim) {
    size_t calls = P;
    double t, want = g_quick ? 0.005 : 0.02;
    int runs = g_quick ? 3 : 5;
    for (;;) {
        t = kernel_run(f, A, B, P, dim, calls);
        if (t >= want / 2 || calls > ((size_t)1 << 40)) break;
        calls *= 2;
    }
    calls = (size_t)((double)calls * want / t) + 1;
    std::vector<double> v;
    for (int r = 0; r < runs; r++) v.push_back(kernel_run(f, A, B, P, dim, calls) * 1e9 / (double)calls);
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

#ifdef BENCH_SIMSIMD
static const char *simsimd_cap_name(simsimd_capability_t c) {
    switch (c) {
    case simsimd_cap_serial_k: return "serial";
    case simsimd_cap_haswell_k: return "haswell";
    case simsimd_cap_skylake_k: return "skylake";
    case simsimd_cap_ice_k: return "ice";
    case simsimd_cap_genoa_k: return "genoa";
    case simsimd_cap_sapphire_k: return "sapphire";
    case simsimd_cap_turin_k: return "turin";
    case simsimd_cap_sierra_k: return "sierra";
    case simsimd_cap_neon_k: return "neon";
    case simsimd_cap_sve_k: return "sve";
    default: return "other";
    }
}
static const char *simsimd_used(simsimd_metric_kind_t kind) {
    simsimd_kernel_punned_t k = 0;
    simsimd_capability_t used = simsimd_cap_serial_k;
    simsimd_find_kernel_punned(kind, simsimd_datatype_f32_k, simsimd_capabilities(), simsimd_cap_any_k, &k, &used);
    return k ? simsimd_cap_name(used) : "none";
}
static float ss_dot(const float *a, const float *b, size_t n) {
    simsimd_distance_t d;
    simsimd_dot_f32(a, b, n, &d);
    return (float)d;
}
static float ss_l2sq(const float *a, const float *b, size_t n) {
    simsimd_distance_t d;
    simsimd_l2sq_f32(a, b, n, &d);
    return (float)d;
}
static float ss_cos(const float *a, const float *b, size_t n) { /* SimSIMD returns the distance 1 - cos */
    simsimd_distance_t d;
    simsimd_cos_f32(a, b, n, &d);
    return (float)d;
}
#endif

static void bench_kernels(void) {
    static const char *names[] = {"scalar", "sse", "avx2", "avx512"};
    const int NV = 4;
    const llmspell_vec_kernel *ks[NV];
    static const size_t dims[] = {128, 384, 768, 1536, 3072};
    static const char *ops[] = {"dot", "l2sq", "cosine"};
    const llmspell_vec_kernel *best = llmspell_vec_kernel_best();
    int bi = -1;
    for (int i = 0; i < NV; i++) {
        ks[i] = llmspell_vec_kernel_get(names[i]);
        if (ks[i] && best && !strcmp(ks[i]->name, best->name)) bi = i;
    }
    if (!ks[0]) die("llmspell_vec_kernel_get(\"scalar\") returned NULL");
    printf("# kernels: ns per call through the function pointer, working set of P pairs (<= 512 KiB, rotated), "
           "median of %d runs of ~%d ms; (Nx) = speed-up over our scalar reference\n",
           g_quick ? 3 : 5, g_quick ? 5 : 20);
    for (int i = 0; i < NV; i++)
        if (!ks[i]) printf("# kernels: our '%s' variant is not available on this machine\n", names[i]);
#ifdef BENCH_SIMSIMD
    printf("# SimSIMD %d.%d.%d (run-time dispatch) uses: dot %s, l2sq %s, cos %s\n", SIMSIMD_VERSION_MAJOR, SIMSIMD_VERSION_MINOR,
           SIMSIMD_VERSION_PATCH, simsimd_used(simsimd_metric_dot_k), simsimd_used(simsimd_metric_l2sq_k),
           simsimd_used(simsimd_metric_cos_k));
#else
    printf("# SimSIMD: not built in (fetch it with `sh bench/bench_vec.sh simsimd` - npm pack simsimd into "
           "/tmp/simsimd - and rebuild); the SimSIMD columns are skipped\n");
#endif
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        size_t dim = dims[di];
        size_t P = std::max<size_t>(16, std::min<size_t>(1000, (512 * 1024) / (8 * dim)));
        std::vector<float> A(P * dim), B(P * dim);
        uint64_t s = 0x9E3779B97F4A7C15ull ^ dim;
        for (size_t i = 0; i < P * dim; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            A[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            B[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
        }
        /* agreement with a double-precision reference: dot relative to |a||b|, l2sq relative,
           cosine absolute */
        double err[NV + 1] = {0};
        for (size_t p = 0; p < P; p++) {
            const float *a = &A[p * dim], *b = &B[p * dim];
            double dd = 0, na = 0, nb = 0, l2 = 0;
            for (size_t i = 0; i < dim; i++) {
                dd += (double)a[i] * b[i];
                na += (double)a[i] * a[i];
                nb += (double)b[i] * b[i];
                l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
            }
            double cs = dd / sqrt(na * nb), nn = sqrt(na * nb);
            for (int i = 0; i <= NV; i++) {
                double e1, e2, e3;
                if (i < NV) {
                    if (!ks[i]) continue;
                    e1 = fabs(ks[i]->dot(a, b, dim) - dd) / nn;
                    e2 = fabs(ks[i]->l2sq(a, b, dim) - l2) / l2;
                    e3 = fabs(ks[i]->cosine(a, b, dim) - cs);
                } else {
#ifdef BENCH_SIMSIMD
                    e1 = fabs(ss_dot(a, b, dim) - dd) / nn;
                    e2 = fabs(ss_l2sq(a, b, dim) - l2) / l2;
                    e3 = fabs((1.0 - ss_cos(a, b, dim)) - cs);
#else
                    continue;
#endif
                }
                err[i] = std::max(err[i], std::max(e1, std::max(e2, e3)));
            }
        }
        for (int op = 0; op < 3; op++) {
            double ns[NV] = {0}, ss = 0;
            char line[1024];
            int len = snprintf(line, sizeof line, "vec kernel %s dim=%zu:", ops[op], dim);
            for (int i = 0; i < NV; i++) {
                if (!ks[i]) {
                    len += snprintf(line + len, sizeof line - (size_t)len, " %s n/a,", names[i]);
                    continue;
                }
                kfn f = op == 0 ? ks[i]->dot : op == 1 ? ks[i]->l2sq : ks[i]->cosine;
                ns[i] = kernel_ns([f](const float *a, const float *b, size_t n) { return f(a, b, n); }, A.data(), B.data(), P, dim);
                if (i == 0) len += snprintf(line + len, sizeof line - (size_t)len, " scalar %.1f ns,", ns[0]);
                else len += snprintf(line + len, sizeof line - (size_t)len, " %s %.1f ns (%.1fx),", names[i], ns[i], ns[0] / ns[i]);
            }
#ifdef BENCH_SIMSIMD
            kfn sf = op == 0 ? ss_dot : op == 1 ? ss_l2sq : ss_cos;
            ss = kernel_ns([sf](const float *a, const float *b, size_t n) { return sf(a, b, n); }, A.data(), B.data(), P, dim);
            len += snprintf(line + len, sizeof line - (size_t)len, " simsimd %.1f ns (%.1fx);", ss, ns[0] / ss);
#else
            len += snprintf(line + len, sizeof line - (size_t)len, " simsimd n/a;");
#endif
            if (ks[2]) len += snprintf(line + len, sizeof line - (size_t)len, " avx2/scalar speed-up %.1fx (goal >= 8)", ns[0] / ns[2]);
            else len += snprintf(line + len, sizeof line - (size_t)len, " avx2 n/a (goal >= 8 not measurable)");
            if (bi >= 0 && ss > 0)
                len += snprintf(line + len, sizeof line - (size_t)len, ", ours(%s) vs simsimd speed %.2fx", names[bi], ss / ns[bi]);
            printf("%s\n", line);
            (void)len;
        }
#ifndef BENCH_BEFORE
        if (dim == 1536) { /* the quantized forms' products (timing only: the floats' bytes read as int8 / half) */
            for (int form = 0; form < 2; form++) {
                double ns[NV] = {0}, ss = 0;
                printf("vec kernel %s dim=%zu:", form ? "dot_f16" : "dot_i8", dim);
                for (int i = 0; i < NV; i++) {
                    if (!ks[i]) continue;
                    const llmspell_vec_kernel *k = ks[i];
                    if (form)
                        ns[i] = kernel_ns([k](const float *a, const float *b, size_t n) {
                            return k->dot_f16((const uint16_t *)(const void *)a, (const uint16_t *)(const void *)b, n);
                        }, A.data(), B.data(), P, dim);
                    else
                        ns[i] = kernel_ns([k](const float *a, const float *b, size_t n) {
                            return (float)k->dot_i8((const int8_t *)(const void *)a, (const int8_t *)(const void *)b, n);
                        }, A.data(), B.data(), P, dim);
                    printf(" %s %.1f ns", names[i], ns[i]);
                    if (i) printf(" (%.1fx)", ns[0] / ns[i]);
                    printf(",");
                }
#ifdef BENCH_SIMSIMD
                if (form)
                    ss = kernel_ns([](const float *a, const float *b, size_t n) {
                        simsimd_distance_t d;
                        simsimd_dot_f16((const simsimd_f16_t *)(const void *)a, (const simsimd_f16_t *)(const void *)b, n, &d);
                        return (float)d;
                    }, A.data(), B.data(), P, dim);
                else
                    ss = kernel_ns([](const float *a, const float *b, size_t n) {
                        simsimd_distance_t d;
                        simsimd_dot_i8((const simsimd_i8_t *)(const void *)a, (const simsimd_i8_t *)(const void *)b, n, &d);
                        return (float)d;
                    }, A.data(), B.data(), P, dim);
                printf(" simsimd %.1f ns", ss);
                if (bi >= 0) printf("; ours(%s) vs simsimd speed %.2fx", names[bi], ss / ns[bi]);
#else
                printf(" simsimd n/a");
#endif
                printf("%s\n", form || !(llmspell_cpu_features() & LLMSPELL_CPU_AVX512_VNNI) ? "" : " (avx512 with VNNI)");
            }
        }
#endif
        printf("# kernel agreement dim=%zu (P=%zu pairs): max error vs double (dot/|a||b|, l2sq relative, cos absolute):", dim, P);
        for (int i = 0; i < NV; i++)
            if (ks[i]) printf(" %s %.1e", names[i], err[i]);
#ifdef BENCH_SIMSIMD
        printf(" simsimd %.1e", err[NV]);
#endif
        printf("\n");
        fflush(stdout);
    }
}

/* ---- the HNSW sweep and the matched-recall point ------------------------------------------ */

struct Sweep {
    double build_ours = 0, build_peer = 0;
    double heap_ours = 0, heap_peer = 0; /* bytes */
    uint64_t mem_ours = 0, count_ours = 0;
    double index_peer = 0;
    int ef_ours = 0, ef_peer = 0;       /* smallest ef reaching TARGET_RECALL (0: none) */
    double r_ours = 0, r_peer = 0, q_ours = 0, q_peer = 0;
    double rs_ours[NEFS], rs_peer[NEFS];
};

/* Smallest ef with recall(ef) >= TARGET_RECALL by bisection between the sweep's bracketing
   points (lo fails or is below k, hi reaches). 0 when even 4 * the largest sweep ef fails. */
template <class R>
static int smallest_ef(R recall, const double *sweep, double *rec_at) {
    int lo = K - 1, hi = 0;
    for (int e = 0; e < NEFS; e++) {
        if (sweep[e] >= TARGET_RECALL) {
            hi = EFS[e];
            *rec_at = sweep[e];
            break;
        }
        lo = EFS[e];
    }
    if (!hi) {
        for (int ef = EFS[NEFS - 1] * 2; ef <= EFS[NEFS - 1] * 4; ef *= 2) {
            double r = recall(ef);
            if (r >= TARGET_RECALL) {
                hi = ef;
                *rec_at = r;
                break;
            }
            lo = ef;
        }
        if (!hi) return 0;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        double r = recall(mid);
        if (r >= TARGET_RECALL) {
            hi = mid;
            *rec_at = r;
        } else {
            lo = mid;
        }
    }
    return hi;
}

static void bench_sweep(const Data &D, llmspell_vec **keep, Peer &P, Sweep &S) {
    char b1[32], b2[32];
    std::vector<int> out((size_t)D.nq * K);
    llmspell_vec_config cfg = our_config(D);
    llmspell_vec *v = NULL;
    llmspell_vec_info info;

    /* builds: ours first, then hnswlib, heap measured around each */
    size_t h0 = heap_in_use();
    vcheck(llmspell_vec_open(&v, NULL, D.name.c_str(), &cfg, NULL), v, "llmspell_vec_open (memory)");
    S.build_ours = ours_add_all(v, D, false);
    S.heap_ours = (double)(heap_in_use() - h0);
    vcheck(llmspell_vec_info_get(v, &info), v, "llmspell_vec_info_get");
    if (info.count != (uint64_t)D.n) die("%s: count %llu after adding %d", D.name.c_str(), (unsigned long long)info.count, D.n);
    S.mem_ours = info.memory_bytes;
    S.count_ours = info.count;
    h0 = heap_in_use();
    S.build_peer = peer_build(P, D);
    S.heap_peer = (double)(heap_in_use() - h0);
    S.index_peer = peer_index_bytes(P);
    if (P.h->cur_element_count != (size_t)D.n) die("hnswlib: %zu elements after adding %d", P.h->cur_element_count, D.n);
    printf("vec %s build (%d x %d, M=%u, ef_construction=%u, 1 thread, CPU time): ours %.2f s, hnswlib %.2f s, time ratio %.2f%s\n",
           D.name.c_str(), D.n, D.d, HNSW_M, HNSW_EFC, S.build_ours, S.build_peer, S.build_ours / S.build_peer,
           D.name == "glove100k" ? " (goal <= 0.8)" : "");
    fflush(stdout);

    /* the ef sweep, passes of ours and hnswlib alternating */
    for (int e = 0; e < NEFS; e++) {
        int ef = EFS[e];
        double wo = ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq);
        double ro = recall_gt(D, out);
        double wp = peer_pass(P, D, (size_t)ef, out, D.nq);
        double rp = recall_gt(D, out);
        double qo = 0, qp = 0;
        for (int p = 0; p < g_passes; p++) {
            qo = std::max(qo, qps_pass([&] { return ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq); }, wo, D.nq));
            qp = std::max(qp, qps_pass([&] { return peer_pass(P, D, (size_t)ef, out, D.nq); }, wp, D.nq));
        }
        S.rs_ours[e] = ro;
        S.rs_peer[e] = rp;
        printf("vec %s ef=%d: ours recall@10 %.3f QPS %s, hnswlib recall@10 %.3f QPS %s, QPS ratio %.2f\n", D.name.c_str(), ef, ro,
               fmt_qps(qo, b1), rp, fmt_qps(qp, b2), qo / qp);
        fflush(stdout);
    }

    /* matched recall: the smallest ef of each reaching 0.95, by bisection */
    S.ef_ours = smallest_ef(
        [&](int ef) {
            ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq);
            return recall_gt(D, out);
        },
        S.rs_ours, &S.r_ours);
    S.ef_peer = smallest_ef(
        [&](int ef) {
            peer_pass(P, D, (size_t)ef, out, D.nq);
            return recall_gt(D, out);
        },
        S.rs_peer, &S.r_peer);
    if (!S.ef_ours || !S.ef_peer) {
        printf("vec %s matched recall@10 >= %.2f: not reached by %s up to ef=%d\n", D.name.c_str(), TARGET_RECALL,
               !S.ef_ours && !S.ef_peer ? "either" : !S.ef_ours ? "ours" : "hnswlib", EFS[NEFS - 1] * 4);
    } else {
        double wo = ours_pass(v, D, (uint32_t)S.ef_ours, NULL, false, out, D.nq);
        double wp = peer_pass(P, D, (size_t)S.ef_peer, out, D.nq);
        for (int p = 0; p < g_passes; p++) {
            S.q_ours = std::max(S.q_ours, qps_pass([&] { return ours_pass(v, D, (uint32_t)S.ef_ours, NULL, false, out, D.nq); }, wo, D.nq));
            S.q_peer = std::max(S.q_peer, qps_pass([&] { return peer_pass(P, D, (size_t)S.ef_peer, out, D.nq); }, wp, D.nq));
        }
        printf("vec %s matched recall@10 >= %.2f (each at its smallest ef reaching it, found by bisection between the sweep "
               "points): ours ef=%d recall@10 %.3f QPS %s, hnswlib ef=%d recall@10 %.3f QPS %s, QPS ratio %.2f%s\n",
               D.name.c_str(), TARGET_RECALL, S.ef_ours, S.r_ours, fmt_qps(S.q_ours, b1), S.ef_peer, S.r_peer, fmt_qps(S.q_peer, b2),
               S.q_ours / S.q_peer, D.name == "glove100k" ? " (goal >= 1.3)" : "");
    }
    {
        /* Total memory is what the heap grew by during the build, for both (malloc's own count).
           hnswlib's includes a fixed part that does not grow with n: its 65536 update mutexes. */
        double fixed_peer = (double)hnswlib::HierarchicalNSW<float>::max_update_element_locks * sizeof(std::mutex) / D.n;
        double arrays_ours = (double)S.mem_ours / (double)S.count_ours;
        printf("vec %s memory per vector (%d-d = %d B of floats): total (heap growth of the build / n): ours %.0f B, hnswlib %.0f B "
               "(%.0f B of it its fixed 65536 update mutexes), ratio %.2f%s; the index alone: ours %.0f B (info.memory_bytes: blocks, "
               "upper links, records with ids and times, id map), hnswlib %.0f B (level-0 blocks with 8-byte labels, upper links, "
               "levels; not its label map or per-node mutexes), ratio %.2f\n",
               D.name.c_str(), D.d, D.d * 4, S.heap_ours / D.n, S.heap_peer / D.n, fixed_peer, S.heap_ours / S.heap_peer,
               D.name == "glove100k" ? " (goal <= 1)" : "", arrays_ours, S.index_peer / D.n, arrays_ours / (S.index_peer / D.n));
    }
    fflush(stdout);
    *keep = v;
}

/* ---- HNSW vs exact ------------------------------------------------------------------------ */

static void bench_exact(const Data &D, llmspell_vec *v, const Sweep &S) {
    char b1[32], b2[32];
    std::vector<int> out((size_t)D.nq * K);
    int ef = S.ef_ours ? S.ef_ours : EFS[NEFS - 1];
    int nq = D.nq;
    double t = ours_pass(v, D, 0, NULL, true, out, nq);
    double re = recall_gt(D, out);
    double qe = nq / t;
    for (int p = 1; p < g_passes; p++) qe = std::max(qe, qps_pass([&] { return ours_pass(v, D, 0, NULL, true, out, nq); }, t, nq));
    double w = ours_pass(v, D, (uint32_t)ef, NULL, false, out, nq);
    double rh = recall_gt(D, out), qh = 0;
    for (int p = 0; p < g_passes; p++)
        qh = std::max(qh, qps_pass([&] { return ours_pass(v, D, (uint32_t)ef, NULL, false, out, nq); }, w, nq));
    printf("vec %s HNSW vs exact (%d vectors): ours llmspell_vec_search ef=%d recall@10 %.3f QPS %s, llmspell_vec_search_exact "
           "recall@10 %.3f QPS %s, speed-up %.1fx%s\n",
           D.name.c_str(), D.n, ef, rh, fmt_qps(qh, b1), re, fmt_qps(qe, b2), qh / qe, D.name == "glove100k" ? " (goal >= 50)" : "");
    if (re < 0.99) printf("# WARNING: %s exact search recall %.4f against the ground-truth file (expected ~1)\n", D.name.c_str(), re);
    fflush(stdout);
}

/* ---- persistence, then filters on the reopened collection ---------------------------------- */

static void bench_persist_and_filters(const Data &D, const Sweep &S) {
    char path[400], b1[32], b2[32], b3[32];
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    llmspell_vec_info info;
    llmspell_vec_config cfg = our_config(D);
    std::vector<int> out((size_t)D.nq * K), ref((size_t)D.nq * K);
    struct stat st;
    int ef = S.ef_ours ? S.ef_ours : EFS[NEFS - 1];

    snprintf(g_workdir, sizeof g_workdir, "/tmp/bench_vec.XXXXXX");
    if (!mkdtemp(g_workdir)) die("mkdtemp: %s", strerror(errno));
    snprintf(path, sizeof path, "%s/vec.db", g_workdir);
    memset(&kv, 0, sizeof kv);
    kcheck(llmspell_kv_open_file(&kv, path, NULL), &kv, "llmspell_kv_open_file");
    kcheck(llmspell_vec_create(&kv, D.name.c_str(), &cfg, NULL), &kv, "llmspell_vec_create");
    kcheck(llmspell_vec_open(&v, &kv, D.name.c_str(), NULL, NULL), &kv, "llmspell_vec_open");
    double tw = wall_s();
    double tb = ours_add_all(v, D, true);
    tw = wall_s() - tw;
    vcheck(llmspell_vec_info_get(v, &info), v, "llmspell_vec_info_get");
    if (info.count != (uint64_t)D.n) die("persisted count %llu", (unsigned long long)info.count);
    llmspell_vec_close(v);
    v = NULL;
    kcheck(llmspell_kv_close(&kv), &kv, "llmspell_kv_close");
    if (stat(path, &st) != 0) die("stat %s: %s", path, strerror(errno));
    printf("# %s through the file backend (default durability, add_batch of 1000 with {\"bucket\": i %% 1000}): build %.2f s wall "
           "(%.2f s CPU), file %.1f MB (%.0f B per vector)\n",
           D.name.c_str(), tw, tb, (double)st.st_size / 1048576.0, (double)st.st_size / D.n);

    double t0 = wall_s();
    memset(&kv, 0, sizeof kv);
    kcheck(llmspell_kv_open_file(&kv, path, NULL), &kv, "llmspell_kv_open_file (reopen)");
    double t1 = wall_s();
    kcheck(llmspell_vec_open(&v, &kv, D.name.c_str(), NULL, NULL), &kv, "llmspell_vec_open (reopen)");
    double t2 = wall_s();
    vcheck(llmspell_vec_info_get(v, &info), v, "llmspell_vec_info_get");
    if (info.count != (uint64_t)D.n) die("reopened count %llu", (unsigned long long)info.count);
    printf("vec %s persisted open (file backend, %d vectors, warm page cache, wall time): ours %.3f s = llmspell_kv_open_file %.3f s + "
           "llmspell_vec_open %.3f s%s, graph_loaded %d (must be 1: no rebuild)\n",
           D.name.c_str(), D.n, t2 - t0, t1 - t0, t2 - t1, D.name == "glove100k" ? " (goal <= 0.5 s)" : "", info.graph_loaded);
    fflush(stdout);
    if (!info.graph_loaded) printf("# WARNING: the graph was rebuilt at open, not loaded\n");
    ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq);
    printf("# %s reopened: recall@10 at ef=%d %.3f (in-memory build: %.3f), memory_bytes/count %.0f B (with metadata)\n",
           D.name.c_str(), ef, recall_gt(D, out), S.r_ours, (double)info.memory_bytes / (double)info.count);

    /* the unfiltered search on the same handle, at the same ef: what the filtered goals compare with */
    double wu = ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq), qu = 0;
    for (int p = 0; p < g_passes; p++) qu = std::max(qu, qps_pass([&] { return ours_pass(v, D, (uint32_t)ef, NULL, false, out, D.nq); }, wu, D.nq));
    printf("# %s unfiltered on the reopened collection: ef=%d QPS %s\n", D.name.c_str(), ef, fmt_qps(qu, b1));

    /* filters on bucket = i % 1000, first without a field index, then with one */
    struct Sel {
        const char *what;
        double frac, goal; /* goal: QPS >= goal x unfiltered (0: recall only) */
        llmspell_vec_op op;
        int64_t lo, hi;
    } sels[] = {{"bucket < 500", 0.5, 0, LLMSPELL_F_LT, 500, 0},
                {"bucket in [0,99]", 0.1, 0.3, LLMSPELL_F_RANGE, 0, 99},
                {"bucket in [0,9]", 0.01, 0.5, LLMSPELL_F_RANGE, 0, 9},
                {"bucket in [0,0]", 0.001, 0.5, LLMSPELL_F_RANGE, 0, 0}};
    for (int indexed = 0; indexed < 2; indexed++) {
        if (indexed) {
            double ti = wall_s();
            vcheck(llmspell_vec_index_field(v, "bucket"), v, "llmspell_vec_index_field");
            ti = wall_s() - ti;
            vcheck(llmspell_vec_info_get(v, &info), v, "llmspell_vec_info_get");
            printf("# %s: llmspell_vec_index_field(\"bucket\") %.3f s wall; memory_bytes/count %.0f B with it\n", D.name.c_str(), ti,
                   (double)info.memory_bytes / (double)info.count);
        }
        for (const Sel &s : sels) {
            llmspell_vec_filter f;
            memset(&f, 0, sizeof f);
            f.op = s.op;
            f.field = "bucket";
            f.value.type = LLMSPELL_VAL_INT;
            f.value.i = s.lo; /* LT: the bound; RANGE: the low end */
            if (s.op == LLMSPELL_F_RANGE) {
                f.value2.type = LLMSPELL_VAL_INT;
                f.value2.i = s.hi;
            }
            double te = ours_pass(v, D, 0, &f, true, ref, D.nq);
            double qe = D.nq / te;
            for (int p = 1; p < g_passes; p++) qe = std::max(qe, qps_pass([&] { return ours_pass(v, D, 0, &f, true, ref, D.nq); }, te, D.nq));
            for (size_t i = 0; i < ref.size(); i++) {
                int b = ref[i] < 0 ? -1 : ref[i] % 1000;
                bool ok = s.op == LLMSPELL_F_LT ? b < s.lo : (b >= s.lo && b <= s.hi);
                if (ref[i] >= 0 && !ok) die("exact filtered search returned row %d outside '%s'", ref[i], s.what);
            }
            double w = ours_pass(v, D, (uint32_t)ef, &f, false, out, D.nq);
            for (size_t i = 0; i < out.size(); i++) {
                int b = out[i] < 0 ? -1 : out[i] % 1000;
                bool ok = s.op == LLMSPELL_F_LT ? b < s.lo : (b >= s.lo && b <= s.hi);
                if (out[i] >= 0 && !ok) die("filtered search returned row %d outside '%s'", out[i], s.what);
            }
            double r = recall_ref(out, ref, D.nq), q = 0;
            for (int p = 0; p < g_passes; p++)
                q = std::max(q, qps_pass([&] { return ours_pass(v, D, (uint32_t)ef, &f, false, out, D.nq); }, w, D.nq));
            char goal[64] = "";
            if (s.goal > 0) snprintf(goal, sizeof goal, ", QPS ratio >= %.1f", s.goal);
            printf("vec %s filter %s (%.1f%%) %s: ours llmspell_vec_search ef=%d recall@10 %.3f QPS %s, unfiltered QPS %s (ratio %.2f), "
                   "exact filtered scan QPS %s (goals: recall >= 0.95%s)\n",
                   D.name.c_str(), s.what, s.frac * 100, indexed ? "with a field index" : "without an index", ef, r, fmt_qps(q, b1),
                   fmt_qps(qu, b2), q / qu, fmt_qps(qe, b3), indexed ? goal : "");
            fflush(stdout);
        }
    }
    /* the declaration persists; the index is rebuilt from the records at open */
    llmspell_vec_close(v);
    v = NULL;
    t0 = wall_s();
    kcheck(llmspell_vec_open(&v, &kv, D.name.c_str(), NULL, NULL), &kv, "llmspell_vec_open (reopen with an index)");
    t1 = wall_s();
    vcheck(llmspell_vec_info_get(v, &info), v, "llmspell_vec_info_get");
    if (info.field_indexes != 1) die("reopened with %u field indexes, want 1", (unsigned)info.field_indexes);
    printf("# %s reopened with the bucket index: llmspell_vec_open %.3f s (the index rebuilt from the records)\n", D.name.c_str(), t1 - t0);
    llmspell_vec_close(v);
    kcheck(llmspell_kv_close(&kv), &kv, "llmspell_kv_close");
    cleanup_workdir();
}

/* ---- threads ------------------------------------------------------------------------------ */

/* CPU seconds of every thread of the process: with the wall time it tells the work done from
   the cores the machine had to spare (it is shared: other jobs may hold the second core). */
static double proc_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static double g_last_cpu; /* CPU seconds of the last on_threads / ours_add_all */

/* Runs pass(t) on each of n threads at once; returns the wall seconds (CPU in g_last_cpu). */
template <class F>
static double on_threads(int n, F pass) {
    std::vector<std::thread> th;
    double c0 = proc_s(), t0 = wall_s();
    for (int t = 1; t < n; t++) th.emplace_back([&pass, t] { pass(t); });
    pass(0);
    for (std::thread &x : th) x.join();
    g_last_cpu = proc_s() - c0;
    return wall_s() - t0;
}

static double loadavg(void) {
    double l = -1;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

/* QPS of `threads` threads each searching the whole query set `reps` times (wall time). */
static double ours_qps_threads(llmspell_vec *v, const Data &D, uint32_t ef, int threads, int reps, double *cpu_per_q) {
    double t = on_threads(threads, [&](int) {
        std::vector<int> out((size_t)D.nq * K);
        for (int r = 0; r < reps; r++) ours_pass(v, D, ef, NULL, false, out, D.nq);
    });
    *cpu_per_q = g_last_cpu / ((double)threads * reps * D.nq);
    return (double)threads * reps * D.nq / t;
}

static double peer_qps_threads(Peer &P, const Data &D, size_t ef, int threads, int reps, double *cpu_per_q) {
    P.h->setEf(ef);
    double t = on_threads(threads, [&](int) {
        std::vector<float> qn((size_t)D.d);
        for (int r = 0; r < reps; r++)
            for (int qi = 0; qi < D.nq; qi++) {
                const float *q = &D.query[(size_t)qi * (size_t)D.d];
                if (D.cosine) {
                    normalise(qn.data(), q, D.d);
                    q = qn.data();
                }
                std::priority_queue<std::pair<float, hnswlib::labeltype>> pq = P.h->searchKnn(q, K);
                if (pq.size() > (size_t)K) die("hnswlib returned %zu results", pq.size());
            }
    });
    *cpu_per_q = g_last_cpu / ((double)threads * reps * D.nq);
    return (double)threads * reps * D.nq / t;
}

/* hnswlib's parallel build: addPoint from `threads` threads taking rows in turn (its
   ParallelFor); wall time, the cosine normalisation included as in peer_build. */
static double peer_build_threads(Peer &P, const Data &D, int threads, double *cpu) {
    double t0 = wall_s(), c0 = proc_s();
    std::vector<float> nb;
    const float *src = peer_space(P, D, nb);
    P.h = new hnswlib::HierarchicalNSW<float>(P.space, (size_t)D.n, HNSW_M, HNSW_EFC, 100);
    std::atomic<int> next(0);
    on_threads(threads, [&](int) {
        for (int i; (i = next++) < D.n;) P.h->addPoint(src + (size_t)i * D.d, (hnswlib::labeltype)i);
    });
    *cpu = proc_s() - c0;
    return wall_s() - t0;
}

#ifndef BENCH_BEFORE
/* One handle shared by threads: parallel build, search from 2 threads, and reads beside a
   writer, each against hnswlib in the same run. Wall time throughout (the point is threads);
   run it on an otherwise idle machine. */
static void bench_threads(const Data &D) {
    char b1[32], b2[32], b3[32], b4[32];
    llmspell_vec_config cfg = our_config(D);
    std::vector<int> out((size_t)D.nq * K);
    const uint32_t EF = 64;
    int reps = g_quick ? 1 : std::max(1, (int)(20000 / D.nq));
    llmspell_vec *v1 = NULL, *v2 = NULL;
    printf("# threads (%s, wall time, %u cpus): add_batch_ex with threads 1 and 2, search from 1 and 2 threads at ef=%u, "
           "reads beside one writer\n",
           D.name.c_str(), (unsigned)sysconf(_SC_NPROCESSORS_ONLN), EF);

    /* builds: wall time for the goals, the CPU time of all threads for the work done */
    double c0, b_1c, b_2c, p_1c, p_2c;
    vcheck(llmspell_vec_open(&v1, NULL, "t1", &cfg, NULL), v1, "llmspell_vec_open");
    c0 = proc_s();
    double t0 = wall_s();
    ours_add_all(v1, D, false, 1);
    double b_1 = wall_s() - t0;
    b_1c = proc_s() - c0;
    vcheck(llmspell_vec_open(&v2, NULL, "t2", &cfg, NULL), v2, "llmspell_vec_open");
    c0 = proc_s();
    double b_2 = ours_add_all(v2, D, false, 2);
    b_2c = proc_s() - c0;
    Peer P1, P2;
    double p_1 = peer_build_threads(P1, D, 1, &p_1c), p_2 = peer_build_threads(P2, D, 2, &p_2c);
    ours_pass(v1, D, EF, NULL, false, out, D.nq);
    double r1 = recall_gt(D, out);
    ours_pass(v2, D, EF, NULL, false, out, D.nq);
    double r2 = recall_gt(D, out);
    printf("vec %s build with threads (wall): ours 1 thread %.2f s, 2 threads %.2f s, ratio %.2f (goal <= 0.6); hnswlib addPoint "
           "1 thread %.2f s, 2 threads %.2f s, ratio %.2f; ours 2 threads / hnswlib 2 threads %.2f (goal <= 0.8); CPU of all threads "
           "2 threads / 1 thread (the work added by sharing; a ratio above 0.5 with CPU 1.0 means the second core was busy): ours "
           "%.2f, hnswlib %.2f; recall@10 at ef=%u: 1 thread %.3f, 2 threads %.3f; load average %.1f\n",
           D.name.c_str(), b_1, b_2, b_2 / b_1, p_1, p_2, p_2 / p_1, b_2 / p_2, b_2c / b_1c, p_2c / p_1c, EF, r1, r2, loadavg());
    llmspell_vec_close(v2);
    delete P2.h;
    P2.h = nullptr;

    /* search from 1 and 2 threads, ours and hnswlib alternating; the 1-thread search runs on a
       thread of its own like the 2-thread ones. QPS: best of the passes; scaling: the median of
       each pass's 2-thread / 1-thread ratio, as one lucky 1-thread pass would skew a ratio of bests */
    double q1 = 0, q2 = 0, h1 = 0, h2 = 0, cq1 = 1e9, cq2 = 1e9, ch1 = 1e9, ch2 = 1e9, c;
    std::vector<double> qs, hs;
    for (int p = 0; p < g_passes; p++) {
        double a, b;
        std::thread([&] { a = ours_qps_threads(v1, D, EF, 1, reps, &c); }).join();
        q1 = std::max(q1, a);
        cq1 = std::min(cq1, c);
        std::thread([&] { b = peer_qps_threads(P1, D, EF, 1, reps, &c); }).join();
        h1 = std::max(h1, b);
        ch1 = std::min(ch1, c);
        double a2 = ours_qps_threads(v1, D, EF, 2, reps, &c);
        q2 = std::max(q2, a2);
        cq2 = std::min(cq2, c);
        qs.push_back(a2 / a);
        double b2 = peer_qps_threads(P1, D, EF, 2, reps, &c);
        h2 = std::max(h2, b2);
        ch2 = std::min(ch2, c);
        hs.push_back(b2 / b);
    }
    std::sort(qs.begin(), qs.end());
    std::sort(hs.begin(), hs.end());
    printf("vec %s search QPS at ef=%u (wall): ours 1 thread %s, 2 threads %s, scaling %.2fx (goal >= 1.8; median of %d passes, "
           "%.2f to %.2f); hnswlib 1 thread %s, 2 threads %s, scaling %.2fx (%.2f to %.2f); ours / hnswlib with 2 threads %.2f; CPU "
           "per search 2 threads / 1 thread: ours %.2f, hnswlib %.2f (1.0: no cost from sharing); load average %.1f\n",
           D.name.c_str(), EF, fmt_qps(q1, b1), fmt_qps(q2, b2), qs[qs.size() / 2], g_passes, qs.front(), qs.back(), fmt_qps(h1, b3),
           fmt_qps(h2, b4), hs[hs.size() / 2], hs.front(), hs.back(), q2 / h2, cq2 / cq1, ch2 / ch1, loadavg());
    llmspell_vec_close(v1);

    /* reads beside a writer: 90% built, then one thread adds the rest one record at a time
       while another searches; the search rate against the same reader alone */
    {
        int n0 = D.n - D.n / 10;
        llmspell_vec *v = NULL;
        std::atomic<int> stop(0);
        std::atomic<long> searches(0);
        vcheck(llmspell_vec_open(&v, NULL, "rw", &cfg, NULL), v, "llmspell_vec_open");
        ours_add_all(v, D, false, 2, 0, n0);
        double calone, alone = ours_qps_threads(v, D, EF, 1, 1, &calone);
        double tw = 0, t0 = wall_s();
        std::thread reader([&] {
            std::vector<int> o((size_t)D.nq * K);
            while (!stop.load()) {
                ours_pass(v, D, EF, NULL, false, o, std::min(D.nq, 100));
                searches += std::min(D.nq, 100);
            }
        });
        for (int i = n0; i < D.n; i++) {
            llmspell_vec_record r;
            memset(&r, 0, sizeof r);
            r.id = &D.ids[(size_t)i * IDLEN];
            r.embedding = &D.base[(size_t)i * (size_t)D.d];
            r.dim = (uint32_t)D.d;
            vcheck(llmspell_vec_add(v, &r), v, "llmspell_vec_add");
        }
        tw = wall_s() - t0;
        stop = 1;
        reader.join();
        printf("vec %s reads beside one writer (wall): one reader searches %s QPS while one writer adds %d records one by one (%.0f "
               "adds/s); the reader alone %s QPS, ratio %.2f\n",
               D.name.c_str(), fmt_qps((double)searches.load() / tw, b1), D.n - n0, (D.n - n0) / tw, fmt_qps(alone, b2),
               (double)searches.load() / tw / alone);
        llmspell_vec_close(v);
    }
    fflush(stdout);
}
#endif

/* Single-thread figures for the before/after comparison of the sync layer (bench_vec.sh
   before-after builds this file against the last commit's headers too): the 1-thread build
   and the search QPS at ef=64, CPU time, best of the passes. */
static void bench_single(const Data &D) {
    char b1[32];
    llmspell_vec_config cfg = our_config(D);
    std::vector<int> out((size_t)D.nq * K);
    double best_b = 1e30, best_q = 0;
    for (int p = 0; p < g_passes; p++) {
        llmspell_vec *v = NULL;
        vcheck(llmspell_vec_open(&v, NULL, "single", &cfg, NULL), v, "llmspell_vec_open");
        best_b = std::min(best_b, ours_add_all(v, D, false));
        double w = ours_pass(v, D, 64, NULL, false, out, D.nq);
        best_q = std::max(best_q, qps_pass([&] { return ours_pass(v, D, 64, NULL, false, out, D.nq); }, w, D.nq));
        llmspell_vec_close(v);
    }
    printf("vec %s single thread (%s): build %.3f s CPU, search ef=64 %s QPS\n", D.name.c_str(),
#ifdef BENCH_BEFORE
           "before",
#else
           "after",
#endif
           best_b, fmt_qps(best_q, b1));
    fflush(stdout);
}

/* ---- main --------------------------------------------------------------------------------- */

/* ---- quantized collections at 1536-d ------------------------------------------------------ */
#ifndef BENCH_BEFORE /* (the section needs the quantized collections: not in the headers of before-after's last commit) */

/* The share's vectors at 1536 dimensions: each GloVe row times a fixed 100 x 1536 Gaussian
   matrix (N(0, 1/1536), a splitmix64 stream with seed 1536). A random projection keeps cosine
   similarities to within a few percent (Johnson-Lindenstrauss), so the neighbours keep a real
   data set's structure at the width of the common 1536-d embedding models; the values are not
   those of a real 1536-d model. The exact top-10 of each query is measured here by a full scan
   in double precision. */
static void make_wide(const Data &G, Data &W, int n, int nq, int dim) {
    std::vector<float> R((size_t)G.d * (size_t)dim);
    uint64_t s = 1536;
    for (size_t i = 0; i < R.size(); i++) {
        auto next = [&s]() {
            uint64_t z = (s += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
        };
        double u = next() + 1e-12, v = next();
        R[i] = (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v) / sqrt((double)dim));
    }
    auto project = [&](const float *x, float *y) {
        for (int j = 0; j < dim; j++) y[j] = 0;
        for (int k = 0; k < G.d; k++)
            for (int j = 0; j < dim; j++) y[j] += x[k] * R[(size_t)k * dim + j];
    };
    W.name = G.name + "-1536";
    W.cosine = G.cosine;
    W.n = std::min(n, G.n);
    W.nq = std::min(nq, G.nq);
    W.d = dim;
    W.gk = K;
    W.base.resize((size_t)W.n * dim);
    W.query.resize((size_t)W.nq * dim);
    for (int i = 0; i < W.n; i++) project(&G.base[(size_t)i * G.d], &W.base[(size_t)i * dim]);
    for (int i = 0; i < W.nq; i++) project(&G.query[(size_t)i * G.d], &W.query[(size_t)i * dim]);
    std::vector<double> norm((size_t)W.n);
    for (int i = 0; i < W.n; i++) {
        double t = 0;
        for (int j = 0; j < dim; j++) t += (double)W.base[(size_t)i * dim + j] * W.base[(size_t)i * dim + j];
        norm[(size_t)i] = sqrt(t);
    }
    W.gt.assign((size_t)W.nq * K, -1);
    for (int q = 0; q < W.nq; q++) {
        const float *y = &W.query[(size_t)q * dim];
        std::vector<std::pair<double, int>> d((size_t)W.n);
        for (int i = 0; i < W.n; i++) {
            const float *x = &W.base[(size_t)i * dim];
            double s2 = 0, l2 = 0;
            for (int j = 0; j < dim; j++) {
                s2 += (double)x[j] * y[j];
                l2 += ((double)x[j] - y[j]) * ((double)x[j] - y[j]);
            }
            d[(size_t)i] = {W.cosine ? -s2 / (norm[(size_t)i] + 1e-300) : l2, i};
        }
        std::partial_sort(d.begin(), d.begin() + K, d.end());
        for (int j = 0; j < K; j++) W.gt[(size_t)q * K + j] = d[(size_t)j].second;
    }
    W.ids.resize((size_t)W.n * IDLEN);
    for (int i = 0; i < W.n; i++) snprintf(&W.ids[(size_t)i * IDLEN], IDLEN, "%d", i);
}

#ifdef BENCH_USEARCH
/* usearch (npm package usearch, its C++ headers), M=16, expansion_add=200, one thread. */
struct UPeer {
    unum::usearch::index_dense_t index;
    bool ok = false;
};

static double usearch_build(UPeer &U, const Data &D, unum::usearch::scalar_kind_t kind) {
    using namespace unum::usearch;
    double t0 = now_s();
    metric_punned_t metric((std::size_t)D.d, D.cosine ? metric_kind_t::cos_k : metric_kind_t::l2sq_k, kind);
    index_dense_config_t cfg(HNSW_M, HNSW_EFC, 64);
    auto made = index_dense_t::make(metric, cfg);
    if (!made) die("usearch make: %s", made.error.what());
    U.index = std::move(made.index);
    if (!U.index.try_reserve((std::size_t)D.n)) die("usearch reserve failed");
    for (int i = 0; i < D.n; i++) {
        auto r = U.index.add((default_key_t)i, &D.base[(size_t)i * D.d]);
        if (!r) die("usearch add: %s", r.error.what());
    }
    U.ok = true;
    return now_s() - t0;
}

static double usearch_pass(UPeer &U, const Data &D, size_t ef, std::vector<int> &out, int nq) {
    double t0 = now_s();
    U.index.change_expansion_search(ef);
    for (int qi = 0; qi < nq; qi++) {
        auto r = U.index.search(&D.query[(size_t)qi * D.d], K);
        if (!r) die("usearch search: %s", r.error.what());
        for (int j = 0; j < K; j++) out[(size_t)qi * K + j] = j < (int)r.size() ? (int)r[(std::size_t)j].member.key : -1;
    }
    return now_s() - t0;
}
#endif

/* One quantized form on the wide data: build, memory, the recall of each sweep ef. */
struct QRun {
    const char *name;
    double build = 0, bytes = 0, heap = 0; /* heap: growth of the heap during the build / n */
    double rs[NEFS];
    int ef = 0;
    double r = 0, q = 0;
};

static void bench_quant(const Data &G) {
    char b[6][32];
    Data W;
    double t0 = wall_s();
    make_wide(G, W, g_quick ? 2000 : 20000, g_quick ? 100 : 200, 1536);
    printf("# %s: %d x %d from %s (a fixed Gaussian projection), %d queries, exact top-10 by a full scan (%.1f s)\n", W.name.c_str(), W.n,
           W.d, G.name.c_str(), W.nq, wall_s() - t0);
    std::vector<int> out((size_t)W.nq * K);
    static const llmspell_vec_quant quants[3] = {LLMSPELL_VEC_F32, LLMSPELL_VEC_F16, LLMSPELL_VEC_INT8};
    QRun runs[3 + 1 + 2];
    llmspell_vec *vs[3] = {NULL, NULL, NULL};
    Peer P;
    int nr = 0;
    for (int i = 0; i < 3; i++) {
        llmspell_vec_config cfg = our_config(W);
        llmspell_vec_info info;
        cfg.quant = quants[i];
        runs[nr].name = i == 0 ? "ours f32" : i == 1 ? "ours f16" : "ours int8";
        size_t h0 = heap_in_use();
        vcheck(llmspell_vec_open(&vs[i], NULL, runs[nr].name, &cfg, NULL), vs[i], "llmspell_vec_open (memory)");
        runs[nr].build = ours_add_all(vs[i], W, false);
        runs[nr].heap = (double)(heap_in_use() - h0) / W.n;
        vcheck(llmspell_vec_info_get(vs[i], &info), vs[i], "llmspell_vec_info_get");
        runs[nr].bytes = (double)info.memory_bytes / (double)info.count;
        nr++;
    }
    runs[nr].name = "hnswlib f32";
    size_t h0 = heap_in_use();
    runs[nr].build = peer_build(P, W);
    runs[nr].heap = (double)(heap_in_use() - h0) / W.n;
    runs[nr].bytes = peer_index_bytes(P) / W.n;
    nr++;
#ifdef BENCH_USEARCH
    UPeer U[2];
    for (int i = 0; i < 2; i++) {
        runs[nr].name = i == 0 ? "usearch f16" : "usearch i8";
        runs[nr].build = usearch_build(U[i], W, i == 0 ? unum::usearch::scalar_kind_t::f16_k : unum::usearch::scalar_kind_t::i8_k);
        runs[nr].bytes = (double)U[i].index.memory_usage() / W.n;
        nr++;
    }
#endif
    auto pass = [&](int r, int ef) -> double {
        if (r < 3) return ours_pass(vs[r], W, (uint32_t)ef, NULL, false, out, W.nq);
        if (r == 3) return peer_pass(P, W, (size_t)ef, out, W.nq);
#ifdef BENCH_USEARCH
        return usearch_pass(U[r - 4], W, (size_t)ef, out, W.nq);
#else
        return 0;
#endif
    };
    printf("vec %s build (%d x %d, M=%u, ef_construction=%u, 1 thread, CPU time):", W.name.c_str(), W.n, W.d, HNSW_M, HNSW_EFC);
    for (int r = 0; r < nr; r++) printf("%s %s %.2f s", r ? "," : "", runs[r].name, runs[r].build);
    printf("; ours int8 / ours f32 %.2f, ours int8 / hnswlib %.2f\n", runs[2].build / runs[0].build, runs[2].build / runs[3].build);
    printf("vec %s memory per vector (%d-d = %d B of float32; ours info.memory_bytes / count, hnswlib its index arrays%s):", W.name.c_str(),
           W.d, W.d * 4,
#ifdef BENCH_USEARCH
           ", usearch memory_usage() / count"
#else
           ""
#endif
    );
    for (int r = 0; r < nr; r++) printf("%s %s %.0f B", r ? "," : "", runs[r].name, runs[r].bytes);
    printf("; ours f16 / ours f32 %.3f, ours int8 / ours f32 %.3f (goal <= 0.3), ours f32 / hnswlib %.3f\n", runs[1].bytes / runs[0].bytes,
           runs[2].bytes / runs[0].bytes, runs[0].bytes / runs[3].bytes);
    printf("vec %s memory per vector, total (heap growth of the build / n; hnswlib's includes %.0f B of fixed update mutexes):", W.name.c_str(),
           (double)hnswlib::HierarchicalNSW<float>::max_update_element_locks * sizeof(std::mutex) / W.n);
    for (int r = 0; r < 4; r++) printf("%s %s %.0f B", r ? "," : "", runs[r].name, runs[r].heap); /* usearch maps its own memory: malloc does not see it */
    printf("; ours f32 / hnswlib f32 %.3f\n", runs[0].heap / runs[3].heap);
#ifndef BENCH_USEARCH
    printf("# usearch is not built in (sh bench/bench_vec.sh usearch fetches it with npm): its f16 and i8 lines are missing\n");
#endif
    fflush(stdout);
    double worst_f16 = 0;
    for (int e = 0; e < NEFS; e++) {
        int ef = EFS[e];
        double w[6], q[6] = {0, 0, 0, 0, 0, 0};
        for (int r = 0; r < nr; r++) {
            w[r] = pass(r, ef);
            runs[r].rs[e] = recall_gt(W, out);
        }
        for (int p = 0; p < g_passes; p++)
            for (int r = 0; r < nr; r++) q[r] = std::max(q[r], qps_pass([&] { return pass(r, ef); }, w[r], W.nq));
        printf("vec %s ef=%d:", W.name.c_str(), ef);
        for (int r = 0; r < nr; r++) printf("%s %s recall@10 %.3f QPS %s", r ? "," : "", runs[r].name, runs[r].rs[e], fmt_qps(q[r], b[r]));
        printf("\n");
        worst_f16 = std::max(worst_f16, runs[0].rs[e] - runs[1].rs[e]);
        fflush(stdout);
    }
    for (int r = 0; r < nr; r++) {
        runs[r].ef = smallest_ef(
            [&](int ef) {
                pass(r, ef);
                return recall_gt(W, out);
            },
            runs[r].rs, &runs[r].r);
        if (runs[r].ef) {
            double w = pass(r, runs[r].ef);
            for (int p = 0; p < g_passes; p++) runs[r].q = std::max(runs[r].q, qps_pass([&] { return pass(r, runs[r].ef); }, w, W.nq));
        }
    }
    printf("vec %s matched recall@10 >= %.2f (each at its smallest ef reaching it):", W.name.c_str(), TARGET_RECALL);
    for (int r = 0; r < nr; r++) {
        if (runs[r].ef) printf("%s %s ef=%d recall@10 %.3f QPS %s", r ? "," : "", runs[r].name, runs[r].ef, runs[r].r, fmt_qps(runs[r].q, b[r]));
        else printf("%s %s not reached up to ef=%d", r ? "," : "", runs[r].name, EFS[NEFS - 1] * 4);
    }
    if (runs[0].q > 0 && runs[2].q > 0)
        printf("; QPS ours int8 / ours f32 %.2f (goal >= 1), ours int8 / hnswlib f32 %.2f", runs[2].q / runs[0].q, runs[3].q > 0 ? runs[2].q / runs[3].q : 0.0);
#ifdef BENCH_USEARCH
    if (runs[2].q > 0 && runs[5].q > 0) printf(", ours int8 / usearch i8 %.2f", runs[2].q / runs[5].q);
    if (runs[1].q > 0 && runs[4].q > 0) printf(", ours f16 / usearch f16 %.2f", runs[1].q / runs[4].q);
#endif
    printf("\n");
    printf("vec %s f16 recall@10 against f32 at every sweep ef: largest shortfall %.3f (goal <= 0.005)\n", W.name.c_str(), worst_f16);
    fflush(stdout);
    for (int i = 0; i < 3; i++) llmspell_vec_close(vs[i]);

    /* re-ranking needs the float32 a kv keeps: the int8 collection again, on a memory kv */
    {
        llmspell_kv kv;
        llmspell_vec *v = NULL;
        llmspell_vec_config cfg = our_config(W);
        const size_t RR = 50;
        cfg.quant = LLMSPELL_VEC_INT8;
        kcheck(llmspell_kv_open_memory(&kv, NULL), &kv, "llmspell_kv_open_memory");
        kcheck(llmspell_vec_create(&kv, "rerank", &cfg, NULL), &kv, "llmspell_vec_create");
        kcheck(llmspell_vec_open(&v, &kv, "rerank", NULL, NULL), &kv, "llmspell_vec_open");
        ours_add_all(v, W, false);
        printf("vec %s int8 re-ranked on the kv's float32 (memory kv, best %zu candidates scored again):", W.name.c_str(), RR);
        for (int ef : {runs[2].ef ? runs[2].ef : 40, 80}) {
            double rq[2], rr[2];
            for (int with = 0; with < 2; with++) {
                size_t rk = with ? RR : 0;
                uint32_t e = (uint32_t)std::max<size_t>((size_t)ef, rk);
                double w = ours_pass(v, W, e, NULL, false, out, W.nq, rk);
                rr[with] = recall_gt(W, out);
                rq[with] = 0;
                for (int p = 0; p < g_passes; p++)
                    rq[with] = std::max(rq[with], qps_pass([&] { return ours_pass(v, W, e, NULL, false, out, W.nq, rk); }, w, W.nq));
            }
            printf("%s ef=%d recall@10 %.3f QPS %s without, %.3f QPS %s with (ef raised to %zu)", ef == 80 ? ";" : "", ef, rr[0],
                   fmt_qps(rq[0], b[0]), rr[1], fmt_qps(rq[1], b[1]), std::max<size_t>((size_t)ef, RR));
        }
        printf("\n");
        fflush(stdout);
        llmspell_vec_close(v);
        llmspell_kv_close(&kv);
    }
}
#endif

static void print_machine(void) {
    char line[512], model[256] = "unknown";
    int family = -1, mod = -1;
    FILE *f = fopen("/proc/cpuinfo", "r");
    struct utsname u;
    if (f) {
        while (fgets(line, sizeof line, f)) {
            char *c = strchr(line, ':');
            if (!c) continue;
            if (!strncmp(line, "processor", 9) && strtol(c + 1, NULL, 10) > 0) break; /* the first cpu is enough */
            if (!strncmp(line, "cpu family", 10)) family = (int)strtol(c + 1, NULL, 10);
            else if (!strncmp(line, "model\t", 6)) mod = (int)strtol(c + 1, NULL, 10);
            else if (!strncmp(line, "model name", 10)) {
                c++;
                while (*c == ' ') c++;
                c[strcspn(c, "\n")] = 0;
                snprintf(model, sizeof model, "%s", c);
            }
        }
        fclose(f);
    }
    if (family >= 0) {
        size_t l = strlen(model);
        snprintf(model + l, sizeof model - l, " (family %d model %d)", family, mod);
    }
    if (uname(&u) == 0) printf("# cpu %s, %ld cpus, %s %s %s\n", model, sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine);
    else printf("# cpu %s\n", model);
}

int main(int argc, char **argv) {
    std::string dir = "../shared/data";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            g_quick = true;
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            g_only = argv[++i];
            if (g_only != "kernels" && g_only != "siftsmall" && g_only != "glove100k" && g_only != "threads" && g_only != "single" &&
                g_only != "quant") {
                fprintf(stderr, "--only takes kernels, siftsmall, glove100k, threads, single or quant\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--quick] [--data DIR] [--only kernels|siftsmall|glove100k]\n", argv[0]);
            return 2;
        }
    }
    if (g_quick) {
        g_passes = 1;
        g_min_pass_s = 0.1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_machine();
    const llmspell_vec_kernel *best = llmspell_vec_kernel_best();
    if (!best) die("llmspell_vec_kernel_best returned NULL");
    {
        llmspell_vec *t = NULL;
        llmspell_vec_info info;
        vcheck(llmspell_vec_open(&t, NULL, "probe", NULL, NULL), t, "llmspell_vec_open (probe)");
        vcheck(llmspell_vec_info_get(t, &info), t, "llmspell_vec_info_get");
        printf("# llmspell_vec %s: kernel picked %s (collections use %s); hnswlib (libhnswlib-dev) kernels: %s; %s\n",
               LLMSPELL_VERSION_STRING, best->name, info.kernel,
#if defined(USE_AVX512)
               "AVX-512",
#elif defined(USE_AVX)
               "AVX",
#elif defined(USE_SSE)
               "SSE (the compiler's default; hnswlib enables AVX only when built with -mavx)",
#else
               "scalar",
#endif
               g_quick ? "--quick (siftsmall only, 1 pass)" : "full run");
        llmspell_vec_close(t);
    }

    Data sift, glove;
    if (!load(sift, dir, "siftsmall", "siftsmall_groundtruth.ivecs", false)) {
        printf("bench_vec: benchmark data not found in %s/siftsmall (expected ../shared/data relative to the repository "
               "root; run ./build/bench_vec from the root, or pass --data DIR): nothing to do\n",
               dir.c_str());
        return 0;
    }
    bool want_glove = !g_quick && (g_only.empty() || g_only == "glove100k" || g_only == "threads" || g_only == "single" || g_only == "quant");
    bool have_glove = want_glove && load(glove, dir, "glove100k", "glove100k_groundtruth_cosine.ivecs", true);
    printf("# data %s: siftsmall %d x %d (%d queries, L2)", dir.c_str(), sift.n, sift.d, sift.nq);
    if (have_glove) printf(", glove100k %d x %d (%d queries, cosine)", glove.n, glove.d, glove.nq);
    printf("; recall@10 against the files' exact top-10\n");
    if (want_glove && !have_glove)
        printf("bench_vec: %s/glove100k not found: the glove100k sections (matched recall, exact, filters, persisted open) "
               "are skipped\n",
               dir.c_str());

    if (g_only == "single") {
        bench_single(have_glove ? glove : sift);
        return 0;
    }
#ifndef BENCH_BEFORE
    if (g_only == "quant") {
        bench_quant(have_glove ? glove : sift);
        return 0;
    }
    if (g_only == "threads") {
        bench_threads(have_glove ? glove : sift);
        return 0;
    }
#endif
    if (g_only.empty() || g_only == "kernels") bench_kernels();

    if (g_only.empty() || g_only == "siftsmall") {
        Sweep S;
        Peer P;
        llmspell_vec *v = NULL;
        bench_sweep(sift, &v, P, S);
        if (g_quick) bench_exact(sift, v, S);
        llmspell_vec_close(v);
        bench_persist_and_filters(sift, S); /* the filter goals on a second data set */
    }
    if (have_glove) {
        Sweep S;
        Peer P;
        llmspell_vec *v = NULL;
        bench_sweep(glove, &v, P, S);
        bench_exact(glove, v, S);
        llmspell_vec_close(v);
        delete P.h;
        P.h = nullptr;
        bench_persist_and_filters(glove, S);
    }
#ifndef BENCH_BEFORE
    if (g_only.empty()) bench_quant(have_glove ? glove : sift);
    if (g_only.empty()) bench_threads(have_glove ? glove : sift);
#endif
    printf("# done (sink %g)\n", (double)g_sink);
    return 0;
}
