/* test_threads_vec.c - llmspell_vec.h shared among threads: results checked, not just run
   cc -std=c99 -O1 -g -Wall -Wextra -Wpedantic -pthread -I. tests/test_threads_vec.c -o build/test_threads_vec -lm
   (also with -fsanitize=thread, -fsanitize=address,undefined, and -DLLMSPELL_NO_THREADS, where
   every test runs its threads one after another)

   a. searches and gets beside one writer (adds, updates, deletes) on an in-memory collection,
      one in a memory kv and one in a file kv: every hit is a record that existed, whole (its
      vector, score and metadata all belong to one version of it), a record deleted before the
      search began never comes back, pointers returned stay intact until the thread's next
      call; filtered searches through field indexes the writes keep return only matches;
      afterwards recall matches a serial rebuild                              stress_<where>
   b. add_batch on 2 and 4 threads: every record there and findable, recall
      close to the one-thread build                                           parallel_build_<n>
   c. two writers at once: the second waits, nothing is lost                 test_two_writers
   d. the message of a failure is the calling thread's                       test_errmsg
   e. llmspell_vec_each's callback may read, a write from it is ERR_BUSY     test_each_nested
   Threads come from the family's own layer (llmspell__thread_start), so the test builds where
   the headers do. Each stress run lasts about a second (a few under ThreadSanitizer). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_VEC_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "compat.h"
#include "../llmspell_vec.h"

#include <math.h>
#include <time.h>

static const char *rc_name(int rc);
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

static const char *rc_name(int rc) { return llmspell_strerror((llmspell_result)rc); }

static char g_tmpdir[512];

/* ---- threads: the family's layer, or one after another without it ------------------------ */

#ifndef LLMSPELL_NO_THREADS
#define T_THREADS 1
typedef llmspell__atomic t_atomic;
#define T_LOAD(p) llmspell__aload(p)
#define T_STORE(p, x) llmspell__astore((p), (x))
#define T_ADD(p, d) llmspell__aadd((p), (d))
#else
#define T_THREADS 0
typedef long t_atomic;
#define T_LOAD(p) (*(p))
#define T_STORE(p, x) (*(p) = (x))
#define T_ADD(p, d) (*(p) += (d))
#endif

typedef struct t_thread {
#ifndef LLMSPELL_NO_THREADS
    llmspell__thread th;
    int started;
#endif
    void (*fn)(void *);
    void *arg;
} t_thread;

/* Starts fn(arg) on a thread (without threads: runs it now). */
static void t_start(t_thread *t, void (*fn)(void *), void *arg) {
    t->fn = fn;
    t->arg = arg;
#ifndef LLMSPELL_NO_THREADS
    t->started = llmspell__thread_start(&t->th, fn, arg) == 0;
    if (!t->started) fn(arg);
#else
    fn(arg);
#endif
}

static void t_join(t_thread *t) {
#ifndef LLMSPELL_NO_THREADS
    if (t->started) llmspell__thread_join(&t->th);
#else
    (void)t;
#endif
}

/* Sleeps about 50 us: a wait that lets the other threads run even on a loaded machine (where
   a yield loop burns the time it waits for). */
static void t_nap(void) {
#if defined(_WIN32)
    Sleep(0);
#else
    struct timespec ts = {0, 50000};
    nanosleep(&ts, NULL);
#endif
}

/* ---- records whose every part says who they are ------------------------------------------- */

#define DIM 16
#define K 10

static uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* The vector of version ver of record i: random, but a function of (i, ver). */
static void vec_of(long i, long ver, float *x) {
    int j;
    for (j = 0; j < DIM; j++) x[j] = (float)((double)(mix((uint64_t)i * 1000003u + (uint64_t)ver * 7919u + (uint64_t)j) >> 11) / 9007199254740992.0 * 2 - 1);
}

static void id_of(long i, char *out) { snprintf(out, 24, "r%ld", i); }

static void meta_of(long i, long ver, char *out) { snprintf(out, 96, "{\"id\":%ld,\"ver\":%ld,\"pad\":\"%08lx\"}", i, ver, (unsigned long)mix((uint64_t)i + (uint64_t)ver)); }

static llmspell_vec_record rec_of(const char *id, const float *x, const char *meta) {
    llmspell_vec_record r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.embedding = x;
    r.dim = DIM;
    r.metadata = meta;
    return r;
}

/* Adds record i at version ver (its id, vector and metadata as the helpers above make them). */
static llmspell_result add_version(llmspell_vec *v, long i, long ver) {
    char id[24], meta[96];
    float x[DIM];
    llmspell_vec_record r;
    id_of(i, id);
    meta_of(i, ver, meta);
    vec_of(i, ver, x);
    r = rec_of(id, x, meta);
    return llmspell_vec_add(v, &r);
}

static double l2(const float *a, const float *b) {
    double s = 0;
    int j;
    for (j = 0; j < DIM; j++) s += ((double)a[j] - b[j]) * ((double)a[j] - b[j]);
    return sqrt(s);
}

/* Checks that a hit (or a get) is one whole version of one record: the id, the metadata and
   (when q) the score against q all agree. *ver receives the version. */
static double g_score_tol = 1e-3; /* relative: a score against the vector its metadata's version has */

static int whole(const char *id, const char *meta, size_t mlen, const float *q, float score, long *ver, char *why, size_t cap) {
    long i = -1, mi = -2, mv = -1;
    char want[96];
    float x[DIM];
    if (!id || sscanf(id, "r%ld", &i) != 1) return snprintf(why, cap, "foreign id '%s'", id ? id : "(null)"), 0;
    if (!meta || sscanf(meta, "{\"id\":%ld,\"ver\":%ld", &mi, &mv) != 2 || mi != i)
        return snprintf(why, cap, "id %s with metadata '%.60s'", id, meta ? meta : "(null)"), 0;
    meta_of(i, mv, want);
    if (mlen != strlen(want) || memcmp(meta, want, mlen) != 0) return snprintf(why, cap, "%s: metadata '%.60s' is not whole", id, meta), 0;
    if (q) {
        vec_of(i, mv, x);
        if (fabs(l2(q, x) - score) > g_score_tol * (1 + score))
            return snprintf(why, cap, "%s version %ld: score %g, its vector gives %g", id, mv, score, l2(q, x)), 0;
    }
    *ver = mv;
    return 1;
}

/* ---- a: readers beside a writer ------------------------------------------------------------ */

#define SN 1500     /* ids 0..SN-1; the first SN/2 exist at the start */

typedef struct stress {
    llmspell_vec *v;
    t_atomic stop;
    t_atomic epoch;            /* deletes done so far */
    t_atomic del_epoch[SN];    /* 0: never deleted; -1: being deleted; else the epoch its delete returned at */
    t_atomic latest[SN];       /* the newest version written (0: none yet) */
    t_atomic ready, ops, searches, bad;
    int alone;                 /* the writer runs with no reader */
    int rerank;                /* int8 collection: searches re-ranked on the kv's float32 */
    char first_bad[256];
    t_atomic bad_once;
} stress;

static void stress_fail(stress *st, const char *why) {
    T_ADD(&st->bad, 1);
    if (T_ADD(&st->bad_once, 1) == 1) snprintf(st->first_bad, sizeof st->first_bad, "%s", why);
}

static void stress_writer(void *arg) {
    stress *st = (stress *)arg;
    uint64_t rng = 99;
    long next = SN / 2, op;
    char id[24], meta[96], why[256];
    float x[DIM];
    while (T_THREADS && !st->alone && T_LOAD(&st->ready) < 2) t_nap(); /* both readers are searching */
    for (op = 0; op < 2000; op++) {
        long i, ver, spins = 0;
        llmspell_result r;
        while (T_THREADS && !st->alone && T_LOAD(&st->searches) < op / 8 && spins++ < 2000) t_nap(); /* the readers keep up */
        if (op % 250 == 0) { /* a field index comes and goes while the readers search through the others */
            r = op % 500 ? llmspell_vec_unindex_field(st->v, "pad") : llmspell_vec_index_field(st->v, "pad");
            if (r != LLMSPELL_OK) {
                snprintf(why, sizeof why, "%sindex pad: %s (%.160s)", op % 500 ? "un" : "", rc_name(r), llmspell_vec_errmsg(st->v));
                stress_fail(st, why);
            }
        }
        rng = mix(rng + 1);
        if (rng % 3 == 0 && next < SN) { /* a new record */
            i = next++;
            ver = 1;
        } else if (rng % 3 == 1) { /* an update of a live one */
            i = (long)((rng >> 8) % (uint64_t)next);
            if (T_LOAD(&st->del_epoch[i])) continue;
            ver = T_LOAD(&st->latest[i]) + 1;
        } else { /* a delete, for good */
            i = (long)((rng >> 8) % (uint64_t)next);
            if (T_LOAD(&st->del_epoch[i]) || i % 5) continue;
            id_of(i, id);
            T_STORE(&st->del_epoch[i], -1);
            if ((r = llmspell_vec_delete(st->v, id)) != LLMSPELL_OK) {
                snprintf(why, sizeof why, "delete %s: %s (%.160s)", id, rc_name(r), llmspell_vec_errmsg(st->v));
                stress_fail(st, why);
                continue;
            }
            T_STORE(&st->del_epoch[i], T_LOAD(&st->epoch) + 1); /* before the epoch: a reader that sees it sees this */
            T_ADD(&st->epoch, 1);
            T_ADD(&st->ops, 1);
            continue;
        }
        id_of(i, id);
        meta_of(i, ver, meta);
        vec_of(i, ver, x);
        T_STORE(&st->latest[i], ver); /* before the write: a reader may see it as soon as it starts */
        {
            llmspell_vec_record rec = rec_of(id, x, meta);
            if ((r = llmspell_vec_add(st->v, &rec)) != LLMSPELL_OK) {
                snprintf(why, sizeof why, "add %s: %s (%.160s)", id, rc_name(r), llmspell_vec_errmsg(st->v));
                stress_fail(st, why);
            }
        }
        T_ADD(&st->ops, 1);
    }
    T_STORE(&st->stop, 1);
}

/* Checks hits of one search: whole, existing, not deleted before the search began. */
static void check_hits(stress *st, const float *q, const llmspell_vec_hit *hits, size_t n, long epoch0) {
    size_t j;
    char why[256];
    for (j = 0; j < n; j++) {
        long ver = 0, i = -1, de;
        if (!whole(hits[j].id, hits[j].metadata, hits[j].metadata_len, q, hits[j].score, &ver, why, sizeof why)) {
            stress_fail(st, why);
            continue;
        }
        (void)sscanf(hits[j].id, "r%ld", &i);
        if (i < 0 || i >= SN || ver < 1 || ver > T_LOAD(&st->latest[i])) { /* latest is stored before the write */
            snprintf(why, sizeof why, "%s version %ld was never written", hits[j].id, ver);
            stress_fail(st, why);
            continue;
        }
        de = T_LOAD(&st->del_epoch[i]);
        if (de > 0 && de <= epoch0) {
            snprintf(why, sizeof why, "%s came back: deleted at epoch %ld, the search began at %ld", hits[j].id, de, epoch0);
            stress_fail(st, why);
        }
    }
}

static int each_check(void *user, const llmspell_vec_record *rec) {
    stress *st = (stress *)user;
    long ver;
    char why[256];
    if (!whole(rec->id, rec->metadata, rec->metadata_len, NULL, 0, &ver, why, sizeof why)) stress_fail(st, why);
    return 0;
}

static void stress_reader(void *arg) {
    stress *st = (stress *)arg;
    uint64_t rng = (uint64_t)(uintptr_t)&rng;
    llmspell_vec_hit hits[K];
    char why[256];
    long round = 0;
    T_ADD(&st->ready, 1);
    while ((!T_LOAD(&st->stop) && T_THREADS) || round < 20) { /* without threads: 20 rounds before the writer runs */
        float q[DIM];
        size_t n = 0, j;
        long epoch0 = T_LOAD(&st->epoch), i;
        llmspell_vec_query qq;
        llmspell_result r;
        rng = mix(rng + 7);
        i = (long)(rng % SN);
        vec_of(i, 1, q);
        memset(&qq, 0, sizeof qq);
        qq.vector = q;
        qq.dim = DIM;
        qq.k = K;
        qq.rerank = st->rerank ? 2 * K : 0;
        r = llmspell_vec_search(st->v, &qq, hits, &n);
        if (r != LLMSPELL_OK) {
            snprintf(why, sizeof why, "search: %s (%.160s)", rc_name(r), llmspell_vec_errmsg(st->v));
            stress_fail(st, why);
        }
        check_hits(st, q, hits, n, epoch0);
        { /* a write or two goes on while this thread holds the hits */
            long ops0 = T_LOAD(&st->ops);
            for (j = 0; j < 20 && T_LOAD(&st->ops) < ops0 + 2 && !T_LOAD(&st->stop); j++) t_nap();
        }
        check_hits(st, q, hits, n, epoch0); /* the pointers are still good and unchanged */
        T_ADD(&st->searches, 1);
        if (round % 2) { /* through the field indexes the writer keeps meanwhile: a few ids (the exact
                            scan of the candidates), or the updated records (the graph) */
            llmspell_vec_filter f;
            long lo = (long)(rng >> 20) % SN;
            memset(&f, 0, sizeof f);
            f.field = round % 4 == 1 ? "id" : "ver";
            f.op = round % 4 == 1 ? LLMSPELL_F_RANGE : LLMSPELL_F_GE;
            f.value.type = f.value2.type = LLMSPELL_VAL_INT;
            f.value.i = round % 4 == 1 ? lo : 2;
            f.value2.i = lo + 40;
            qq.filter = &f;
            epoch0 = T_LOAD(&st->epoch);
            if ((r = llmspell_vec_search(st->v, &qq, hits, &n)) != LLMSPELL_OK) {
                snprintf(why, sizeof why, "filtered search: %s (%.160s)", rc_name(r), llmspell_vec_errmsg(st->v));
                stress_fail(st, why);
                n = 0;
            }
            check_hits(st, q, hits, n, epoch0);
            for (j = 0; j < n; j++) {
                long hi = -1, ver = 0;
                (void)sscanf(hits[j].id, "r%ld", &hi);
                (void)whole(hits[j].id, hits[j].metadata, hits[j].metadata_len, q, hits[j].score, &ver, why, sizeof why);
                if (round % 4 == 1 ? hi < lo || hi > lo + 40 : ver < 2) {
                    snprintf(why, sizeof why, "filtered search: %s (version %ld) is outside %s", hits[j].id, ver, f.field);
                    stress_fail(st, why);
                }
            }
        }
        if (round % 4 == 0) { /* a get: whole, with its vector */
            llmspell_vec_record got;
            char id[24];
            float x[DIM];
            long ver;
            epoch0 = T_LOAD(&st->epoch);
            id_of(i, id);
            r = llmspell_vec_get(st->v, id, &got);
            if (r == LLMSPELL_OK) {
                if (!whole(got.id, got.metadata, got.metadata_len, NULL, 0, &ver, why, sizeof why)) {
                    stress_fail(st, why);
                } else {
                    vec_of(i, ver, x);
                    if (st->rerank) { /* what the int8 form gives back */
                        float h[2 + DIM];
                        llmspell__vform(st->v, h, x, DIM);
                        llmspell__vform_values(st->v, h, x, DIM);
                    }
                    if (got.dim != DIM || memcmp(got.embedding, x, sizeof x) != 0) {
                        snprintf(why, sizeof why, "get %s: the vector is not version %ld's", id, ver);
                        stress_fail(st, why);
                    }
                    if (T_LOAD(&st->del_epoch[i]) > 0 && T_LOAD(&st->del_epoch[i]) <= epoch0) {
                        snprintf(why, sizeof why, "get %s: found after its delete", id);
                        stress_fail(st, why);
                    }
                }
            } else if (r != LLMSPELL_ERR_NOT_FOUND) {
                snprintf(why, sizeof why, "get %s: %s (%.160s)", id, rc_name(r), llmspell_vec_errmsg(st->v));
                stress_fail(st, why);
            } else if (i < SN / 2 && T_LOAD(&st->del_epoch[i]) == 0) { /* present from the start, never deleted */
                snprintf(why, sizeof why, "get %s: not found, never deleted", id);
                stress_fail(st, why);
            }
        }
        if (round % 50 == 25 && (r = llmspell_vec_each(st->v, each_check, st)) != LLMSPELL_OK) {
            snprintf(why, sizeof why, "each: %s (%.160s)", rc_name(r), llmspell_vec_errmsg(st->v));
            stress_fail(st, why);
        }
        round++;
    }
}

/* recall@10 of search against search_exact over nq queries */
static double recall_of(llmspell_vec *v, int nq, uint64_t seed) {
    llmspell_vec_hit h[K], e[K];
    double got = 0, want = 0;
    int qi;
    for (qi = 0; qi < nq; qi++) {
        float q[DIM];
        size_t n = 0, ne = 0, a, b;
        llmspell_vec_query qq;
        char ids[K][24];
        vec_of((long)mix(seed + (uint64_t)qi) % 100000, 3, q);
        memset(&qq, 0, sizeof qq);
        qq.vector = q;
        qq.dim = DIM;
        qq.k = K;
        if (llmspell_vec_search_exact(v, &qq, e, &ne) != LLMSPELL_OK) return -1;
        for (a = 0; a < ne; a++) snprintf(ids[a], sizeof ids[a], "%s", e[a].id); /* the next call ends them */
        if (llmspell_vec_search(v, &qq, h, &n) != LLMSPELL_OK) return -1;
        for (a = 0; a < ne; a++)
            for (b = 0; b < n; b++)
                if (strcmp(ids[a], h[b].id) == 0) { got++; break; }
        want += (double)ne;
    }
    return want ? got / want : 1;
}

typedef struct rebuild_ctx { llmspell_vec *dst; llmspell_result r; } rebuild_ctx;

static int rebuild_each(void *user, const llmspell_vec_record *rec) {
    rebuild_ctx *c = (rebuild_ctx *)user;
    llmspell_vec_record r = *rec;
    r.ttl = 0;
    if (c->r == LLMSPELL_OK) c->r = llmspell_vec_add(c->dst, &r);
    return c->r != LLMSPELL_OK;
}

/* The first half of the ids, version 1, in one batch. */
static void stress_fill(stress *st) {
    llmspell_vec_record *recs = (llmspell_vec_record *)calloc(SN / 2, sizeof *recs);
    char (*ids)[24] = (char (*)[24])calloc(SN / 2, 24);
    char (*metas)[96] = (char (*)[96])calloc(SN / 2, 96);
    float *xs = (float *)calloc(SN / 2 * DIM, sizeof *xs);
    long i;
    if (recs && ids && metas && xs) {
        for (i = 0; i < SN / 2; i++) {
            id_of(i, ids[i]);
            meta_of(i, 1, metas[i]);
            vec_of(i, 1, xs + i * DIM);
            recs[i] = rec_of(ids[i], xs + i * DIM, metas[i]);
            st->latest[i] = 1;
        }
        CHECK_RC(llmspell_vec_add_batch(st->v, recs, SN / 2), LLMSPELL_OK);
    } else {
        CHECK(0, "out of memory");
    }
    free(recs);
    free(ids);
    free(metas);
    free(xs);
}

typedef struct where { const char *name; int kind; } where; /* 0 in memory, 1 memory kv, 2 file kv, 3 memory kv and int8 */
static const where WHERES[] = {{"memory", 0}, {"kv_memory", 1}, {"kv_file", 2}, {"kv_memory_int8", 3}};

static void stress_run(const void *arg) {
    const where *w = (const where *)arg;
    llmspell_kv kv;
    llmspell_vec_config cfg;
    llmspell_vec *ser = NULL;
    stress *st = (stress *)calloc(1, sizeof *st), *alone = (stress *)calloc(1, sizeof *st);
    t_thread tw, tr[2];
    char path[700], id[24], meta[96];
    float x[DIM];
    long i;
    double rc, rs, ra;
    llmspell_vec_info info;
    rebuild_ctx rb;
    REQUIRE(st && alone, "out of memory");
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    cfg.M = 8;
    cfg.ef_construction = 64;
    cfg.ef_search = 32;
    if (w->kind == 3) { /* re-ranked searches read the kv beside the writer; the rest scores the int8 form */
        cfg.quant = LLMSPELL_VEC_INT8;
        st->rerank = 1;
        g_score_tol = 0.05;
    }
    memset(&kv, 0, sizeof kv);
    if (w->kind == 1 || w->kind == 3) REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    if (w->kind == 2) {
        snprintf(path, sizeof path, "%s/stress.db", g_tmpdir);
        (void)compat_unlink(path);
        REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    }
    if (w->kind) {
        REQUIRE_RC(llmspell_vec_create(&kv, "s", &cfg, NULL), LLMSPELL_OK);
        REQUIRE_RC(llmspell_vec_open(&st->v, &kv, "s", NULL, NULL), LLMSPELL_OK);
    } else {
        REQUIRE_RC(llmspell_vec_open(&st->v, NULL, "s", &cfg, NULL), LLMSPELL_OK);
    }
    stress_fill(st);
    REQUIRE_RC(llmspell_vec_index_field(st->v, "id"), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_index_field(st->v, "ver"), LLMSPELL_OK);
    t_start(&tr[0], stress_reader, st);
    t_start(&tw, stress_writer, st);
    t_start(&tr[1], stress_reader, st);
    t_join(&tw);
    t_join(&tr[0]);
    t_join(&tr[1]);
    CHECK(T_LOAD(&st->bad) == 0, "%s: %ld bad answers; the first: %s", w->name, (long)T_LOAD(&st->bad), st->first_bad);
    fprintf(stderr, "note: stress_%s: %ld writes, %ld searches beside them\n", w->name, (long)T_LOAD(&st->ops), (long)T_LOAD(&st->searches));
    /* afterwards: every live record is found by get, whole; the deleted ones are gone */
    for (i = 0; i < SN; i++) {
        llmspell_vec_record got;
        llmspell_result r;
        long ver;
        char why[256];
        id_of(i, id);
        r = llmspell_vec_get(st->v, id, &got);
        if (!T_LOAD(&st->latest[i]) || T_LOAD(&st->del_epoch[i])) {
            CHECK(r == LLMSPELL_ERR_NOT_FOUND, "%s: get %s: %s, want ERR_NOT_FOUND", w->name, id, rc_name(r));
        } else if (r != LLMSPELL_OK) {
            CHECK(0, "%s: get %s: %s", w->name, id, rc_name(r));
        } else {
            CHECK(whole(got.id, got.metadata, got.metadata_len, NULL, 0, &ver, why, sizeof why) && ver == T_LOAD(&st->latest[i]),
                  "%s: get %s: version %ld, want %ld (%s)", w->name, id, ver, (long)T_LOAD(&st->latest[i]), why);
        }
    }
    /* quality: the graph built beside the readers searches as well as the same writes made with
       no reader (one writer: the same graph), and nearly as well as a serial rebuild (updates
       and deletes cost some recall, threads or not) */
    REQUIRE_RC(llmspell_vec_open(&alone->v, NULL, "alone", &cfg, NULL), LLMSPELL_OK);
    stress_fill(alone);
    alone->alone = 1;
    stress_writer(alone);
    ra = recall_of(alone->v, 200, 5);
    llmspell_vec_close(alone->v);
    REQUIRE_RC(llmspell_vec_open(&ser, NULL, "serial", &cfg, NULL), LLMSPELL_OK);
    rb.dst = ser;
    rb.r = LLMSPELL_OK;
    CHECK_RC(llmspell_vec_each(st->v, rebuild_each, &rb), LLMSPELL_OK);
    CHECK_RC(rb.r, LLMSPELL_OK);
    CHECK_RC(llmspell_vec_info_get(st->v, &info), LLMSPELL_OK);
    rc = recall_of(st->v, 200, 5);
    rs = recall_of(ser, 200, 5);
    fprintf(stderr, "note: stress_%s: %llu records, recall@10 %.3f, the same writes with no reader %.3f, a serial rebuild %.3f\n", w->name,
            (unsigned long long)info.count, rc, ra, rs);
    CHECK(rc >= ra - 0.01, "%s: recall@10 %.3f after the writes beside readers, %.3f with no reader", w->name, rc, ra);
    CHECK(rc >= rs - 0.06, "%s: recall@10 %.3f after the concurrent writes, %.3f for a serial rebuild", w->name, rc, rs);
    llmspell_vec_close(ser);
    if (w->kind) { /* the store holds the same: reopened, the same records */
        llmspell_vec *re = NULL;
        llmspell_vec_info ri;
        llmspell_vec_close(st->v);
        st->v = NULL;
        REQUIRE_RC(llmspell_vec_open(&re, &kv, "s", NULL, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(re, &ri), LLMSPELL_OK);
        CHECK(ri.count == info.count && ri.graph_loaded, "%s: reopened: %llu records (want %llu), graph_loaded %d", w->name,
              (unsigned long long)ri.count, (unsigned long long)info.count, ri.graph_loaded);
        llmspell_vec_close(re);
        llmspell_kv_close(&kv);
        if (w->kind == 2) (void)compat_unlink(path);
    } else {
        llmspell_vec_close(st->v);
    }
    (void)meta;
    (void)x;
    g_score_tol = 1e-3;
    free(st);
    free(alone);
}

/* ---- b: parallel build --------------------------------------------------------------------- */

#define BN 2000

static double now_s(void) { return compat_seconds(); }

static llmspell_vec *build(uint32_t threads, double *secs) {
    llmspell_vec *v = NULL;
    llmspell_vec_record *recs = (llmspell_vec_record *)calloc(BN, sizeof *recs);
    char (*ids)[24] = (char (*)[24])calloc(BN, 24);
    char (*metas)[96] = (char (*)[96])calloc(BN, 96);
    float *xs = (float *)calloc((size_t)BN * DIM, sizeof *xs);
    llmspell_vec_batch_options bo;
    llmspell_vec_config cfg;
    long i;
    memset(&cfg, 0, sizeof cfg);
    cfg.metric = LLMSPELL_METRIC_L2;
    if (!recs || !ids || !metas || !xs || llmspell_vec_open(&v, NULL, "b", &cfg, NULL) != LLMSPELL_OK) {
        free(recs);
        free(ids);
        free(metas);
        free(xs);
        return NULL;
    }
    for (i = 0; i < BN; i++) {
        id_of(i, ids[i]);
        meta_of(i, 1, metas[i]);
        vec_of(i, 1, xs + i * DIM);
        recs[i] = rec_of(ids[i], xs + i * DIM, metas[i]);
    }
    memset(&bo, 0, sizeof bo);
    bo.threads = threads;
    *secs = now_s();
    for (i = 0; i < BN && v; i += 1000) /* batches after the first link into a graph already there */
        if (llmspell_vec_add_batch_ex(v, recs + i, 1000, &bo) != LLMSPELL_OK) {
            llmspell_vec_close(v);
            v = NULL;
        }
    *secs = now_s() - *secs;
    free(recs);
    free(ids);
    free(metas);
    free(xs);
    return v;
}

static void parallel_build(const void *arg) {
    uint32_t threads = *(const uint32_t *)arg;
    double t1, tn, r1, rn;
    llmspell_vec *one = build(1, &t1), *par = build(threads, &tn);
    llmspell_vec_info info;
    long i, top1 = 0;
    REQUIRE(one && par, "build failed");
    CHECK_RC(llmspell_vec_info_get(par, &info), LLMSPELL_OK);
    CHECK(info.count == BN, "%u threads: %llu records, want %d", threads, (unsigned long long)info.count, BN);
    for (i = 0; i < BN; i++) { /* each record, searched with its own vector, comes first */
        float q[DIM];
        llmspell_vec_hit h[1];
        llmspell_vec_query qq;
        size_t n = 0;
        long ver;
        char id[24], why[256];
        vec_of(i, 1, q);
        memset(&qq, 0, sizeof qq);
        qq.vector = q;
        qq.dim = DIM;
        qq.k = 1;
        CHECK_RC(llmspell_vec_search(par, &qq, h, &n), LLMSPELL_OK);
        id_of(i, id);
        if (n == 1 && strcmp(h[0].id, id) == 0) top1++;
        else if (getenv("TTV_DEBUG")) fprintf(stderr, "miss %s -> %s\n", id, n ? h[0].id : "-");
        CHECK(n == 1 && whole(h[0].id, h[0].metadata, h[0].metadata_len, q, h[0].score, &ver, why, sizeof why), "hit: %s", why);
    }
    r1 = recall_of(one, 300, 11);
    rn = recall_of(par, 300, 11);
    fprintf(stderr, "note: parallel_build_%u: found first %ld of %d, recall@10 %.3f (one thread %.3f), %.2f s (one thread %.2f s)\n",
            threads, top1, BN, rn, r1, tn, t1);
    /* the build depends on the timing: allow what an oversubscribed machine (4 threads on 2
       busy cores) was seen to give; TTV_DEBUG=1 lists the misses */
    CHECK(top1 >= BN - BN / 50, "%u threads: only %ld of %d records come first for their own vector", threads, top1, BN);
    CHECK(rn >= r1 - 0.02, "%u threads: recall@10 %.3f, one thread %.3f", threads, rn, r1);
    llmspell_vec_close(one);
    llmspell_vec_close(par);
}

/* ---- c: two writers ------------------------------------------------------------------------ */

typedef struct writer_arg { llmspell_vec *v; long first; llmspell_result r; } writer_arg;

static void writer_main(void *arg) {
    writer_arg *a = (writer_arg *)arg;
    long i;
    for (i = a->first; i < a->first + 300 && a->r == LLMSPELL_OK; i++) a->r = add_version(a->v, i, 1);
}

static void test_two_writers(void) {
    llmspell_kv kv;
    int kind;
    for (kind = 0; kind < 2; kind++) {
        llmspell_vec *v = NULL;
        writer_arg a = {NULL, 0, LLMSPELL_OK}, b = {NULL, 1000, LLMSPELL_OK};
        t_thread ta, tb;
        llmspell_vec_info info;
        if (kind) {
            REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
            REQUIRE_RC(llmspell_vec_create(&kv, "w", NULL, NULL), LLMSPELL_OK);
            REQUIRE_RC(llmspell_vec_open(&v, &kv, "w", NULL, NULL), LLMSPELL_OK);
        } else {
            REQUIRE_RC(llmspell_vec_open(&v, NULL, "w", NULL, NULL), LLMSPELL_OK);
        }
        a.v = b.v = v;
        t_start(&ta, writer_main, &a);
        t_start(&tb, writer_main, &b);
        t_join(&ta);
        t_join(&tb);
        CHECK_RC(a.r, LLMSPELL_OK);
        CHECK_RC(b.r, LLMSPELL_OK);
        CHECK_RC(llmspell_vec_info_get(v, &info), LLMSPELL_OK);
        CHECK(info.count == 600, "%s: %llu records after two writers of 300, want 600", kind ? "kv" : "memory", (unsigned long long)info.count);
        llmspell_vec_close(v);
        if (kind) llmspell_kv_close(&kv);
    }
}

/* ---- d: per-thread messages ---------------------------------------------------------------- */

typedef struct msg_arg { llmspell_vec *v; t_atomic *step; int me; int ok; char seen[256]; } msg_arg;

static void msg_main(void *arg) {
    msg_arg *m = (msg_arg *)arg;
    llmspell_vec_record got;
    char id[32];
    snprintf(id, sizeof id, "missing-%d", m->me);
    while (T_LOAD(m->step) != m->me) t_nap(); /* thread 0 fails first, then thread 1 */
    m->ok = llmspell_vec_get(m->v, id, &got) == LLMSPELL_ERR_NOT_FOUND;
    T_ADD(m->step, 1);
    while (T_THREADS && T_LOAD(m->step) < 2) t_nap(); /* both have failed: each still sees its own */
    snprintf(m->seen, sizeof m->seen, "%s", llmspell_vec_errmsg(m->v));
}

static void test_errmsg(void) {
    llmspell_vec *v = NULL;
    t_atomic step = 0;
    msg_arg a, b;
    t_thread ta, tb;
    float x[DIM];
    llmspell_vec_record r;
    vec_of(1, 1, x);
    r = rec_of("r1", x, NULL);
    REQUIRE_RC(llmspell_vec_open(&v, NULL, "m", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.v = b.v = v;
    a.step = b.step = &step;
    a.me = 0;
    b.me = 1;
    t_start(&ta, msg_main, &a);
    t_start(&tb, msg_main, &b);
    t_join(&ta);
    t_join(&tb);
    CHECK(a.ok && b.ok, "get of a missing id did not fail with ERR_NOT_FOUND");
#ifndef LLMSPELL_NO_THREADS
    CHECK(strstr(a.seen, "missing-0") != NULL, "thread 0 sees '%s'", a.seen);
    CHECK(strstr(b.seen, "missing-1") != NULL, "thread 1 sees '%s'", b.seen);
#endif
    r.embedding = NULL;
    CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_ERR_INVALID); /* and this thread its own */
    CHECK(strstr(llmspell_vec_errmsg(v), "embedding is NULL") != NULL, "main thread sees '%s'", llmspell_vec_errmsg(v));
    llmspell_vec_close(v);
}

/* ---- e: nested calls from each ------------------------------------------------------------- */

typedef struct nest { llmspell_vec *v; int reads_ok, writes_busy, calls; } nest;

static int nest_each(void *user, const llmspell_vec_record *rec) {
    nest *n = (nest *)user;
    llmspell_vec_query q;
    llmspell_vec_hit h[2];
    llmspell_vec_record got, add = *rec;
    size_t nh = 0;
    memset(&q, 0, sizeof q);
    q.vector = rec->embedding;
    q.dim = rec->dim;
    q.k = 2;
    n->calls++;
    n->reads_ok += llmspell_vec_search(n->v, &q, h, &nh) == LLMSPELL_OK && nh >= 1 && llmspell_vec_get(n->v, rec->id, &got) == LLMSPELL_OK;
    add.id = "added-inside";
    n->writes_busy += llmspell_vec_add(n->v, &add) == LLMSPELL_ERR_BUSY;
    return 0;
}

static void test_each_nested(void) {
    llmspell_kv kv;
    llmspell_vec *v = NULL;
    nest n;
    long i;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_create(&kv, "e", NULL, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_vec_open(&v, &kv, "e", NULL, NULL), LLMSPELL_OK);
    for (i = 0; i < 5; i++) CHECK_RC(add_version(v, i, 1), LLMSPELL_OK);
    memset(&n, 0, sizeof n);
    n.v = v;
    CHECK_RC(llmspell_vec_each(v, nest_each, &n), LLMSPELL_OK);
    CHECK(n.calls == 5 && n.reads_ok == 5 && n.writes_busy == 5, "each: %d calls, %d reads ok, %d writes refused (want 5 each)", n.calls,
          n.reads_ok, n.writes_busy);
    { /* and outside it writes work again */
        float x[DIM];
        llmspell_vec_record r;
        vec_of(9, 1, x);
        r = rec_of("after", x, NULL);
        CHECK_RC(llmspell_vec_add(v, &r), LLMSPELL_OK);
    }
    llmspell_vec_close(v);
    llmspell_kv_close(&kv);
}

int main(void) {
    static const uint32_t two = 2, four = 4;
    size_t i;
    char name[64];
    if (!compat_make_tmpdir(g_tmpdir, sizeof g_tmpdir, "llmspell-threads-vec-")) {
        perror("cannot make a temporary directory");
        return 2;
    }
    for (i = 0; i < sizeof WHERES / sizeof WHERES[0]; i++) {
        snprintf(name, sizeof name, "stress_%s", WHERES[i].name);
        RUN_ARG(name, stress_run, &WHERES[i]);
    }
    RUN_ARG("parallel_build_2", parallel_build, &two);
    RUN_ARG("parallel_build_4", parallel_build, &four);
    RUN(test_two_writers);
    RUN(test_errmsg);
    RUN(test_each_nested);
    compat_remove_tree(g_tmpdir);
    return harness_exit();
}
