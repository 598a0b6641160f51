/* bench_kv_threads.c - llmspell_kv shared by threads, against LMDB readers, in one run.

   cc -std=c99 -O2 -DNDEBUG -I. bench/bench_kv_threads.c bench/kv_no_threads.c -o build/bench_kv_threads -llmdb -pthread
   build/bench_kv_threads [--quick]      (--quick: 10x smaller, a smoke run)

   Data: N = 1,000,000 keys "k%08u" scrambled, 100-byte values holding the key's index (every
   read is checked). Each thread reads all N keys in its own random order.
   Every read is checked against the whole expected value (a caller uses what it reads).
   Lines:
     single thread, with and without the sync layer (bench/kv_no_threads.c is the same code
     built with LLMSPELL_NO_THREADS, i.e. the library before threads): get, put, and
     transactions of 10 puts (staged: see >>staging in llmspell_kv.h); a plain get copies the
     value for the caller, a get inside a read snapshot does not
     2 reader threads against 1: ours (memory and file backends; plain gets, and gets inside
     one read snapshot per thread, as LMDB reads inside one read transaction per thread) and
     LMDB, and ours against LMDB at 2 threads
     reads beside one writer that commits continuously (memory; file with FAST and SAFE
     durability): reads/s with the writer against reads/s alone, and the writer's commits/s
   Every figure is the best of 3 runs; the machine has 2 cores, so 2 threads is the most that
   can scale. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#include "../llmspell_kv.h"

#include "kv_threads_bench.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VLEN 100
#define KLEN 11
#define RUNS 3

static size_t N = 1000000;
static char workdir[64];
static char *keys;          /* key i at keys + i * 12 */
static uint32_t *orders[2]; /* each reader's lookup order */

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench_kv_threads: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#define KEY(i) (keys + (size_t)(i) * 12)

static void make_value(uint32_t i, uint8_t *v) {
    size_t j;
    memcpy(v, &i, 4);
    for (j = 4; j < VLEN; j++) v[j] = (uint8_t)(i + j);
}

/* Reads the whole value, as a caller that uses it does. */
static void check_value(uint32_t i, const void *v, size_t n) {
    uint8_t want[VLEN];
    if (n != VLEN) die("key %u: value of %zu bytes", (unsigned)i, n);
    make_value(i, want);
    if (memcmp(v, want, VLEN) != 0) die("key %u: wrong value", (unsigned)i);
}

static void gen_data(void) {
    uint64_t s = 42;
    size_t i, t;
    keys = (char *)malloc(N * 12);
    if (!keys) die("out of memory");
    for (i = 0; i < N; i++) snprintf(KEY(i), 12, "k%08u", (unsigned)((i * 2654435761u) % 100000000u));
    for (t = 0; t < 2; t++) {
        orders[t] = (uint32_t *)malloc(N * sizeof *orders[t]);
        if (!orders[t]) die("out of memory");
        for (i = 0; i < N; i++) orders[t][i] = (uint32_t)i;
        for (i = N - 1; i > 0; i--) {
            size_t j = (size_t)(splitmix64(&s) % (i + 1));
            uint32_t x = orders[t][i];
            orders[t][i] = orders[t][j];
            orders[t][j] = x;
        }
    }
}

/* ---- readers -------------------------------------------------------------------------- */

typedef enum { OURS, OURS_SNAPSHOT, OURS_BEFORE, LMDB } store_kind;

typedef struct reader {
    store_kind kind;
    llmspell_kv *kv;
    MDB_env *env;
    MDB_dbi dbi;
    const uint32_t *order;
    volatile int *stop;  /* NULL: read all N once; else loop until *stop */
    double seconds;
    size_t reads;
} reader;

static void *read_all(void *p) {
    reader *r = (reader *)p;
    MDB_txn *txn = NULL;
    double t0 = now_s();
    size_t i = 0;
    if (r->kind == LMDB && mdb_txn_begin(r->env, NULL, MDB_RDONLY, &txn) != 0) die("mdb_txn_begin");
    if (r->kind == OURS_SNAPSHOT && llmspell_kv_read_begin(r->kv) != LLMSPELL_OK) die("read_begin");
    for (;;) {
        uint32_t k;
        const void *v = NULL;
        size_t n = 0;
        if (r->stop ? *r->stop : i >= N) break;
        k = r->order[i % N];
        if (r->kind == OURS || r->kind == OURS_SNAPSHOT) {
            if (llmspell_kv_get(r->kv, KEY(k), KLEN, &v, &n) != LLMSPELL_OK) die("get: %s", llmspell_kv_errmsg(r->kv));
        } else if (r->kind == OURS_BEFORE) {
            if (nothreads_get(r->kv, KEY(k), KLEN, &v, &n)) die("get (no threads)");
        } else {
            MDB_val mk, mv;
            mk.mv_data = KEY(k);
            mk.mv_size = KLEN;
            if (mdb_get(txn, r->dbi, &mk, &mv) != 0) die("mdb_get");
            v = mv.mv_data;
            n = mv.mv_size;
        }
        check_value(k, v, n);
        i++;
    }
    if (txn) mdb_txn_abort(txn);
    if (r->kind == OURS_SNAPSHOT) llmspell_kv_read_end(r->kv);
    r->seconds = now_s() - t0;
    r->reads = i;
    return NULL;
}

static double dmax(double a, double b) { return a > b ? a : b; }

/* Reads per second of `threads` readers together (each reads N keys), best of RUNS. */
static double read_rate(store_kind kind, llmspell_kv *kv, MDB_env *env, MDB_dbi dbi, int threads) {
    double best = 0;
    int run, t;
    for (run = 0; run < RUNS; run++) {
        reader r[2];
        pthread_t th[2];
        double t0 = now_s(), rate;
        size_t total = 0;
        for (t = 0; t < threads; t++) {
            memset(&r[t], 0, sizeof r[t]);
            r[t].kind = kind;
            r[t].kv = kv;
            r[t].env = env;
            r[t].dbi = dbi;
            r[t].order = orders[t];
            if (pthread_create(&th[t], NULL, read_all, &r[t]) != 0) die("pthread_create");
        }
        for (t = 0; t < threads; t++) {
            pthread_join(th[t], NULL);
            total += r[t].reads;
        }
        rate = (double)total / (now_s() - t0);
        if (rate > best) best = rate;
    }
    return best;
}

/* ---- a writer that commits continuously ---------------------------------------------- */

typedef struct writer {
    llmspell_kv *kv;
    volatile int stop;
    size_t commits;
} writer;

/* Transactions of 10 puts over the loaded keys (values rewritten with their own index, so
   readers' checks still hold). */
static void *write_loop(void *p) {
    writer *w = (writer *)p;
    uint64_t s = 7;
    uint8_t v[VLEN];
    while (!w->stop) {
        int j;
        if (llmspell_kv_begin(w->kv) != LLMSPELL_OK) die("begin: %s", llmspell_kv_errmsg(w->kv));
        for (j = 0; j < 10; j++) {
            uint32_t k = (uint32_t)(splitmix64(&s) % N);
            make_value(k, v);
            if (llmspell_kv_put(w->kv, KEY(k), KLEN, v, VLEN) != LLMSPELL_OK) die("put: %s", llmspell_kv_errmsg(w->kv));
        }
        if (llmspell_kv_commit(w->kv) != LLMSPELL_OK) die("commit: %s", llmspell_kv_errmsg(w->kv));
        w->commits++;
    }
    return NULL;
}

/* One reader for `seconds` beside the writer: prints reads/s with it against reads/s alone. */
static void beside_writer(const char *name, llmspell_kv *kv, double alone, double seconds) {
    reader r;
    writer w;
    pthread_t rt, wt;
    volatile int stop = 0;
    double t0;
    memset(&r, 0, sizeof r);
    memset(&w, 0, sizeof w);
    r.kind = OURS;
    r.kv = kv;
    r.order = orders[0];
    r.stop = &stop;
    w.kv = kv;
    t0 = now_s();
    if (pthread_create(&wt, NULL, write_loop, &w) != 0 || pthread_create(&rt, NULL, read_all, &r) != 0) die("pthread_create");
    while (now_s() - t0 < seconds) usleep(10000);
    stop = 1;
    pthread_join(rt, NULL);
    w.stop = 1;
    pthread_join(wt, NULL);
    printf("kv %s: 1 reader beside 1 writer %.0f reads/s, alone %.0f reads/s, ratio %.2f; writer %.0f commits/s of 10 puts\n",
           name, (double)r.reads / r.seconds, alone, (double)r.reads / r.seconds / alone, (double)w.commits / (now_s() - t0));
}

/* ---- loading ------------------------------------------------------------------------- */

/* Both stores are loaded the same way (autocommitted puts), so that their memory is laid out
   alike and the single-thread lines compare the read paths alone. */
static void load(llmspell_kv *kv, int before) {
    uint8_t v[VLEN];
    size_t i;
    for (i = 0; i < N; i++) {
        make_value((uint32_t)i, v);
        if (before ? nothreads_put(kv, KEY(i), KLEN, v, VLEN) : llmspell_kv_put(kv, KEY(i), KLEN, v, VLEN) != LLMSPELL_OK)
            die("put %zu", i);
    }
}

/* A single-thread read rate (best of RUNS) measured in a fresh process that loads its own store,
   so that the builds compared run in the same conditions (two stores in one process share a
   heap, one laid out after the other). */
/* One pass of N reads by one reader thread: reads per second. */
static double read_pass(store_kind kind, llmspell_kv *kv) {
    reader r;
    pthread_t th;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.kv = kv;
    r.order = orders[0];
    if (pthread_create(&th, NULL, read_all, &r) != 0) die("pthread_create");
    pthread_join(th, NULL);
    return (double)r.reads / r.seconds;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The sync layer's cost to one reader: in a fresh process, a store built with it and one
   built without (bench/kv_no_threads.c), loaded alike; PAIRS rounds each read both (and the
   former in a read snapshot) once, in turn, so that a slow moment of this shared machine hits
   both. out: the median of the rounds' ratios (with / without, snapshot / without), then the
   best rate of each. */
#define PAIRS 7
static void single_reader_cost(double out[5]) {
    int fd[2], status, i;
    pid_t pid;
    fflush(stdout);
    if (pipe(fd) != 0 || (pid = fork()) < 0) die("pipe/fork: %s", strerror(errno));
    if (pid == 0) {
        llmspell_kv with, without;
        double ratio[2][PAIRS], res[5] = {0, 0, 0, 0, 0};
        close(fd[0]);
        if (nothreads_open_memory(&without) != 0 || llmspell_kv_open_memory(&with, NULL) != LLMSPELL_OK) _exit(1);
        load(&without, 1);
        load(&with, 0);
        for (i = 0; i < PAIRS; i++) {
            double b = read_pass(OURS_BEFORE, &without), o = read_pass(OURS, &with), sn = read_pass(OURS_SNAPSHOT, &with);
            ratio[0][i] = o / b;
            ratio[1][i] = sn / b;
            res[2] = dmax(res[2], o);
            res[3] = dmax(res[3], sn);
            res[4] = dmax(res[4], b);
        }
        qsort(ratio[0], PAIRS, sizeof(double), cmp_double);
        qsort(ratio[1], PAIRS, sizeof(double), cmp_double);
        res[0] = ratio[0][PAIRS / 2];
        res[1] = ratio[1][PAIRS / 2];
        _exit(write(fd[1], res, sizeof res) == (ssize_t)sizeof res ? 0 : 1);
    }
    close(fd[1]);
    if (read(fd[0], out, 5 * sizeof(double)) != (ssize_t)(5 * sizeof(double))) die("the single-thread measurement's process failed");
    close(fd[0]);
    waitpid(pid, &status, 0);
}

/* Writes per second into a fresh memory store, best of RUNS: autocommitted puts (txn 0), or
   transactions of txn puts (what a transaction costs to begin, stage and commit; see
   >>staging in llmspell_kv.h). */
static double write_rate(int before, size_t txn) {
    double best = 0;
    int run;
    for (run = 0; run < RUNS; run++) {
        llmspell_kv kv;
        uint8_t v[VLEN];
        size_t i;
        double t0, rate;
        if (before ? nothreads_open_memory(&kv) : llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK) die("open");
        t0 = now_s();
        for (i = 0; i < N; i++) {
            if (txn && i % txn == 0 && (before ? nothreads_begin(&kv) : llmspell_kv_begin(&kv) != LLMSPELL_OK)) die("begin");
            make_value((uint32_t)i, v);
            if (before ? nothreads_put(&kv, KEY(i), KLEN, v, VLEN) : llmspell_kv_put(&kv, KEY(i), KLEN, v, VLEN) != LLMSPELL_OK)
                die("put");
            if (txn && i % txn == txn - 1 && (before ? nothreads_commit(&kv) : llmspell_kv_commit(&kv) != LLMSPELL_OK)) die("commit");
        }
        rate = (double)(txn ? N / txn : N) / (now_s() - t0);
        if (rate > best) best = rate;
        if (before) nothreads_close(&kv);
        else llmspell_kv_close(&kv);
    }
    return best;
}

static void remove_workdir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", workdir);
    if (system(cmd) != 0) fprintf(stderr, "bench_kv_threads: could not remove %s\n", workdir);
}

int main(int argc, char **argv) {
    llmspell_kv kv;
    llmspell_kv_options o;
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    char path[128];
    double ours1, ours2, snap1, snap2, lm1, lm2, file1, file2, put_now, put_before, txn_now, txn_before, cost[5];
    size_t i;
    if (argc > 1 && strcmp(argv[1], "--quick") == 0) N /= 10;
    gen_data();
    snprintf(workdir, sizeof workdir, "/tmp/bench_kv_threads.XXXXXX");
    if (!mkdtemp(workdir)) die("mkdtemp: %s", strerror(errno));
    atexit(remove_workdir);
    printf("# llmspell_kv shared by threads, LMDB %d.%d.%d; %zu keys of %d bytes, %d-byte values; best of %d runs; %ld CPUs\n",
           MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, N, KLEN, VLEN, RUNS, sysconf(_SC_NPROCESSORS_ONLN));

    /* single thread: the sync layer's cost */
    put_before = write_rate(1, 0);
    put_now = write_rate(0, 0);
    txn_before = write_rate(1, 10);
    txn_now = write_rate(0, 10);
    single_reader_cost(cost);
    if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK) die("open");
    load(&kv, 0);
    printf("kv memory random get 1 thread: with the sync layer %.0f ops/s, without %.0f ops/s (best passes), "
           "ratio %.3f (median of %d interleaved passes; goal >= 0.95)\n", cost[2], cost[4], cost[0], PAIRS);
    printf("kv memory random get 1 thread in a read snapshot: with the sync layer %.0f ops/s, without %.0f ops/s (best passes), "
           "ratio %.3f (median of %d interleaved passes; goal >= 0.95)\n", cost[3], cost[4], cost[1], PAIRS);
    printf("kv memory put 1 thread: with the sync layer %.0f ops/s, without %.0f ops/s, ratio %.3f (goal >= 0.95)\n", put_now, put_before,
           put_now / put_before);
    printf("kv memory transactions of 10 puts 1 thread: with the sync layer %.0f txn/s, without %.0f txn/s, ratio %.3f (goal >= 0.95)\n",
           txn_now, txn_before, txn_now / txn_before);

    /* 1 and 2 readers of this process's store (the scaling compares one store with itself) */
    ours1 = read_rate(OURS, &kv, NULL, 0, 1);
    snap1 = read_rate(OURS_SNAPSHOT, &kv, NULL, 0, 1);
    ours2 = read_rate(OURS, &kv, NULL, 0, 2);
    snap2 = read_rate(OURS_SNAPSHOT, &kv, NULL, 0, 2);

    /* LMDB, loaded in one transaction, read by 1 and 2 threads (a read transaction each) */
    snprintf(path, sizeof path, "%s/lmdb", workdir);
    if (mkdir(path, 0755) != 0) die("mkdir");
    if (mdb_env_create(&env) || mdb_env_set_mapsize(env, (size_t)4 << 30) || mdb_env_open(env, path, MDB_NOSYNC, 0644))
        die("lmdb open");
    if (mdb_txn_begin(env, NULL, 0, &txn) || mdb_dbi_open(txn, NULL, 0, &dbi)) die("lmdb txn");
    for (i = 0; i < N; i++) {
        uint8_t v[VLEN];
        MDB_val mk, mv;
        make_value((uint32_t)i, v);
        mk.mv_data = KEY(i);
        mk.mv_size = KLEN;
        mv.mv_data = v;
        mv.mv_size = VLEN;
        if (mdb_put(txn, dbi, &mk, &mv, 0)) die("mdb_put");
    }
    if (mdb_txn_commit(txn)) die("mdb commit");
    lm1 = read_rate(LMDB, NULL, env, dbi, 1);
    lm2 = read_rate(LMDB, NULL, env, dbi, 2);
    mdb_env_close(env);
    printf("kv memory random get 2 threads vs 1: ours %.0f vs %.0f ops/s, ratio %.2f (goal >= 1.8); lmdb %.0f vs %.0f ops/s, ratio %.2f\n",
           ours2, ours1, ours2 / ours1, lm2, lm1, lm2 / lm1);
    printf("kv memory random get 2 threads in read snapshots vs 1: ours %.0f vs %.0f ops/s, ratio %.2f (goal >= 1.8)\n", snap2, snap1,
           snap2 / snap1);
    printf("kv memory random get 2 threads: ours %.0f ops/s (in read snapshots %.0f), lmdb %.0f ops/s, ratio %.2f (%.2f)\n", ours2, snap2,
           lm2, ours2 / lm2, snap2 / lm2);

    /* reads beside a writer: memory */
    beside_writer("memory", &kv, ours1, N >= 1000000 ? 2.0 : 0.5);
    llmspell_kv_close(&kv);

    /* the file backend: 1 and 2 readers, then beside a writer (FAST, then SAFE durability) */
    snprintf(path, sizeof path, "%s/store.db", workdir);
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST;
    if (llmspell_kv_open_file(&kv, path, &o) != LLMSPELL_OK) die("open file: %s", llmspell_kv_errmsg(&kv));
    load(&kv, 0);
    file1 = read_rate(OURS, &kv, NULL, 0, 1);
    file2 = read_rate(OURS, &kv, NULL, 0, 2);
    printf("kv file random get 2 threads vs 1: ours %.0f vs %.0f ops/s, ratio %.2f; against lmdb at 2 threads %.2f\n", file2, file1,
           file2 / file1, file2 / lm2);
    beside_writer("file (fast durability)", &kv, file1, N >= 1000000 ? 2.0 : 0.5);
    llmspell_kv_close(&kv);
    o.durability = LLMSPELL_DURABILITY_SAFE;
    if (llmspell_kv_open_file(&kv, path, &o) != LLMSPELL_OK) die("open file: %s", llmspell_kv_errmsg(&kv));
    beside_writer("file (safe durability)", &kv, file1, N >= 1000000 ? 2.0 : 0.5);
    llmspell_kv_close(&kv);
    return 0;
}
