/* bench_kv.c - llmspell_kv memory and file backends against LMDB and SQLite, in one run.

   cc -std=c99 -O2 -DNDEBUG -I. bench/bench_kv.c -o build/bench_kv -llmdb -lsqlite3
   build/bench_kv [--quick]      (--quick: everything 10x smaller, a smoke run)

   Data: N = 1,000,000 keys of 16-24 bytes in N/1000 prefixes "p%03d/" (1,000 keys each, the
   rest of the key random [a-z0-9]), 100-byte values, generated from a fixed seed. Every store
   is loaded in the same random order and read in the same random order, single thread.
   Peers: LMDB (MDB_NOSYNC for the bulk load, since the memory backend is not durable; reads
   in one read transaction), SQLite (table kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID,
   prepared statements; ":memory:" for reads, WAL + synchronous=FULL for durable commits).
   Every measured loop checks what it reads (value length and the key index stored in the
   value) so nothing can be optimised away or silently wrong.
   Output: one line per measurement,
       kv <name>: ours <x> <unit>, <peer> <y> <unit>, ratio <x/y> (goal ...)
   plus lines starting with '#' for context. Any failed call aborts with a message. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_KV_SQLITE
#include "../llmspell_kv.h"

#include <dirent.h>
#include <errno.h>
#include <lmdb.h>
#include <malloc.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define VLEN 100
#define KEYS_PER_PREFIX 1000
#define MAX_KLEN 24

/* ---- scale ---------------------------------------------------------------------------- */

static size_t N;          /* keys */
static size_t NPREFIX;    /* prefixes, N / KEYS_PER_PREFIX */
static size_t NSCANS;     /* prefix scans measured */
static size_t NCOMMITS;   /* durable commits of BATCH keys */
#define BATCH 1000

/* ---- failure handling and work dir ---------------------------------------------------- */

static char workdir[256];

static void remove_tree(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[1024];
    struct stat st;
    if (d) {
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
            else unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void cleanup(void) {
    if (workdir[0]) remove_tree(workdir);
    workdir[0] = 0;
}

static void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "bench_kv: FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1); /* atexit removes the work dir */
}

#define KV_CHECK(kv, call)                                                                          \
    do {                                                                                            \
        llmspell_result r_ = (call);                                                                \
        if (r_ != LLMSPELL_OK)                                                                      \
            die("%s:%d: %s -> %s (%s)", __FILE__, __LINE__, #call, llmspell_strerror(r_),           \
                llmspell_kv_errmsg(kv));                                                            \
    } while (0)
#define MDB_CHECK(call)                                                                             \
    do {                                                                                            \
        int rc_ = (call);                                                                           \
        if (rc_ != MDB_SUCCESS) die("%s:%d: %s -> %s", __FILE__, __LINE__, #call, mdb_strerror(rc_)); \
    } while (0)
#define SQL_CHECK(db, call, want)                                                                   \
    do {                                                                                            \
        int rc_ = (call);                                                                           \
        if (rc_ != (want))                                                                          \
            die("%s:%d: %s -> %d (%s)", __FILE__, __LINE__, #call, rc_, sqlite3_errmsg(db));        \
    } while (0)

static void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) die("out of memory (%zu bytes)", n);
    return p;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- data ----------------------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static char *keybuf;       /* key i at keybuf + i * MAX_KLEN */
static uint8_t *klen;      /* its length */
static uint32_t *put_order; /* a random permutation: load order */
static uint32_t *get_order; /* another one: lookup order */
static uint64_t key_bytes; /* sum of key lengths */

#define KEY(i) (keybuf + (size_t)(i) * MAX_KLEN)

/* Value of key i: its index (8 bytes), then a filler. */
static void make_value(uint64_t i, uint8_t *v) {
    size_t j;
    memcpy(v, &i, 8);
    for (j = 8; j < VLEN; j++) v[j] = (uint8_t)(i + j);
}

static int check_value(uint64_t i, const void *v, size_t n) {
    uint64_t got;
    if (n != VLEN) return 0;
    memcpy(&got, v, 8);
    return got == i;
}

static int cmp_keyidx(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    size_t lx = klen[x], ly = klen[y], m = lx < ly ? lx : ly;
    int c = memcmp(KEY(x), KEY(y), m);
    if (c) return c;
    return lx < ly ? -1 : lx > ly;
}

static void shuffle(uint32_t *a, size_t n, uint64_t *s) {
    size_t i;
    for (i = 0; i < n; i++) a[i] = (uint32_t)i;
    for (i = n - 1; i > 0; i--) {
        size_t j = (size_t)(splitmix64(s) % (i + 1));
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void gen_data(void) {
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    uint64_t s = 0x6C6C6D7370656C6Cull; /* fixed: every run has the same data */
    size_t i, j;
    uint32_t *sorted;
    keybuf = (char *)xmalloc(N * MAX_KLEN);
    klen = (uint8_t *)xmalloc(N);
    put_order = (uint32_t *)xmalloc(N * sizeof *put_order);
    get_order = (uint32_t *)xmalloc(N * sizeof *get_order);
    key_bytes = 0;
    for (i = 0; i < N; i++) {
        char *k = KEY(i);
        size_t len = 16 + (size_t)(splitmix64(&s) % 9); /* 16..24 */
        snprintf(k, MAX_KLEN, "p%03u/", (unsigned)(i / KEYS_PER_PREFIX));
        for (j = 5; j < len; j++) k[j] = alnum[splitmix64(&s) % 36];
        klen[i] = (uint8_t)len;
        key_bytes += len;
    }
    /* the keys must be distinct (11+ random characters: a clash is practically impossible) */
    sorted = (uint32_t *)xmalloc(N * sizeof *sorted);
    for (i = 0; i < N; i++) sorted[i] = (uint32_t)i;
    qsort(sorted, N, sizeof *sorted, cmp_keyidx);
    for (i = 1; i < N; i++)
        if (cmp_keyidx(&sorted[i - 1], &sorted[i]) == 0) die("generated keys are not distinct");
    free(sorted);
    shuffle(put_order, N, &s);
    shuffle(get_order, N, &s);
}

/* ---- memory accounting ---------------------------------------------------------------- */

static size_t rss_bytes(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (!f) die("cannot open /proc/self/statm");
    if (fscanf(f, "%lu %lu", &size, &res) != 2) die("cannot parse /proc/self/statm");
    fclose(f);
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* A counting allocator: live bytes requested, live malloc_usable_size, live allocations.
   Requested sizes are kept in an open-addressing table (pointer -> size) allocated with
   plain malloc, outside the count. */
typedef struct counter {
    uintptr_t *keys;
    size_t *sizes;
    size_t cap, used;
    size_t live_req, live_usable, live_allocs, total_allocs;
} counter;

static size_t ptr_hash(uintptr_t p, size_t cap) {
    return (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (cap - 1);
}

static void counter_insert_raw(counter *c, uintptr_t p, size_t size) {
    size_t i = ptr_hash(p, c->cap);
    while (c->keys[i]) i = (i + 1) & (c->cap - 1);
    c->keys[i] = p;
    c->sizes[i] = size;
    c->used++;
}

static void counter_grow(counter *c) {
    size_t oldcap = c->cap, i;
    uintptr_t *ok = c->keys;
    size_t *os = c->sizes;
    c->cap = oldcap ? oldcap * 2 : 1u << 16;
    c->keys = (uintptr_t *)calloc(c->cap, sizeof *c->keys);
    c->sizes = (size_t *)malloc(c->cap * sizeof *c->sizes);
    if (!c->keys || !c->sizes) die("counting allocator: out of memory");
    c->used = 0;
    for (i = 0; i < oldcap; i++)
        if (ok[i]) counter_insert_raw(c, ok[i], os[i]);
    free(ok);
    free(os);
}

static void counter_insert(counter *c, void *p, size_t size) {
    if ((c->used + 1) * 2 > c->cap) counter_grow(c);
    counter_insert_raw(c, (uintptr_t)p, size);
}

/* Removes p and returns its size; dies if p was never allocated here. */
static size_t counter_remove(counter *c, void *p) {
    size_t i, j, size;
    if (!c->cap) die("counting allocator: free of unknown pointer %p", p);
    i = ptr_hash((uintptr_t)p, c->cap);
    while (c->keys[i] != (uintptr_t)p) {
        if (!c->keys[i]) die("counting allocator: free/realloc of unknown pointer %p", p);
        i = (i + 1) & (c->cap - 1);
    }
    size = c->sizes[i];
    /* backward-shift deletion keeps probe chains intact */
    j = i;
    for (;;) {
        size_t h;
        j = (j + 1) & (c->cap - 1);
        if (!c->keys[j]) break;
        h = ptr_hash(c->keys[j], c->cap);
        if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
            c->keys[i] = c->keys[j];
            c->sizes[i] = c->sizes[j];
            i = j;
        }
    }
    c->keys[i] = 0;
    c->used--;
    return size;
}

static void *count_alloc(void *ctx, size_t size) {
    counter *c = (counter *)ctx;
    void *p = malloc(size ? size : 1);
    if (!p) return NULL;
    counter_insert(c, p, size);
    c->live_req += size;
    c->live_usable += malloc_usable_size(p);
    c->live_allocs++;
    c->total_allocs++;
    return p;
}

static void count_free(void *ctx, void *ptr) {
    counter *c = (counter *)ctx;
    if (!ptr) return;
    c->live_req -= counter_remove(c, ptr);
    c->live_usable -= malloc_usable_size(ptr);
    c->live_allocs--;
    free(ptr);
}

static void *count_realloc(void *ctx, void *ptr, size_t size) {
    counter *c = (counter *)ctx;
    size_t old, oldu;
    void *q;
    if (!ptr) return count_alloc(ctx, size);
    oldu = malloc_usable_size(ptr);
    old = counter_remove(c, ptr);
    q = realloc(ptr, size ? size : 1);
    if (!q) {
        counter_insert(c, ptr, old);
        return NULL;
    }
    counter_insert(c, q, size);
    c->live_req = c->live_req - old + size;
    c->live_usable = c->live_usable - oldu + malloc_usable_size(q);
    c->total_allocs++;
    return q;
}

/* ---- our stores ----------------------------------------------------------------------- */

static void ours_load(llmspell_kv *kv, int one_txn) {
    uint8_t v[VLEN];
    size_t i;
    if (one_txn) KV_CHECK(kv, llmspell_kv_begin(kv));
    for (i = 0; i < N; i++) {
        uint32_t k = put_order[i];
        make_value(k, v);
        KV_CHECK(kv, llmspell_kv_put(kv, KEY(k), klen[k], v, VLEN));
    }
    if (one_txn) KV_CHECK(kv, llmspell_kv_commit(kv));
}

static double ours_random_get(llmspell_kv *kv) {
    size_t i;
    double t0 = now_s();
    for (i = 0; i < N; i++) {
        uint32_t k = get_order[i];
        const void *v;
        size_t n;
        KV_CHECK(kv, llmspell_kv_get(kv, KEY(k), klen[k], &v, &n));
        if (!check_value(k, v, n)) die("%s backend: wrong value for key %u", llmspell_kv_name(kv), (unsigned)k);
    }
    return (double)N / (now_s() - t0);
}

static uint32_t *scan_prefixes; /* which prefix each measured scan reads */
static volatile unsigned scan_sink;

/* Returns microseconds per scan. */
static double ours_scan(llmspell_kv *kv) {
    size_t s;
    unsigned sum = 0;
    double t0 = now_s();
    for (s = 0; s < NSCANS; s++) {
        char prefix[8];
        llmspell_kv_iter *it;
        const void *k, *v;
        size_t kn, vn, count = 0;
        llmspell_result r;
        snprintf(prefix, sizeof prefix, "p%03u/", (unsigned)scan_prefixes[s]);
        KV_CHECK(kv, llmspell_kv_iter_open(kv, prefix, 5, &it));
        while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
            sum += ((const uint8_t *)k)[kn - 1] + ((const uint8_t *)v)[0] + (unsigned)vn;
            count++;
        }
        llmspell_kv_iter_close(it);
        if (r != LLMSPELL_ERR_NOT_FOUND) die("iter_next: %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(kv));
        if (count != KEYS_PER_PREFIX) die("scan of %s returned %zu keys, expected %d", prefix, count, KEYS_PER_PREFIX);
    }
    scan_sink += sum;
    return (now_s() - t0) * 1e6 / (double)NSCANS;
}

typedef struct scan_acc {
    unsigned sum;
    size_t count;
} scan_acc;

static int scan_cb(void *user, const void *k, size_t kn, const void *v, size_t vn) {
    scan_acc *a = (scan_acc *)user;
    a->sum += ((const uint8_t *)k)[kn - 1] + ((const uint8_t *)v)[0] + (unsigned)vn;
    a->count++;
    return 0;
}

/* The same scans through llmspell_kv_scan (callback); microseconds per scan. */
static double ours_scan_cb(llmspell_kv *kv) {
    size_t s;
    unsigned sum = 0;
    double t0 = now_s();
    for (s = 0; s < NSCANS; s++) {
        char prefix[8];
        scan_acc a = {0, 0};
        snprintf(prefix, sizeof prefix, "p%03u/", (unsigned)scan_prefixes[s]);
        KV_CHECK(kv, llmspell_kv_scan(kv, prefix, 5, NULL, 0, scan_cb, &a));
        if (a.count != KEYS_PER_PREFIX) die("scan of %s returned %zu keys, expected %d", prefix, a.count, KEYS_PER_PREFIX);
        sum += a.sum;
    }
    scan_sink += sum;
    return (now_s() - t0) * 1e6 / (double)NSCANS;
}

/* ---- LMDB ----------------------------------------------------------------------------- */

static MDB_env *lmdb_open(const char *dir, unsigned flags) {
    MDB_env *env;
    MDB_CHECK(mdb_env_create(&env));
    MDB_CHECK(mdb_env_set_mapsize(env, (size_t)N * 600 + ((size_t)64 << 20)));
    MDB_CHECK(mdb_env_open(env, dir, flags, 0644));
    return env;
}

static double lmdb_load(MDB_env *env) {
    MDB_txn *txn;
    MDB_dbi dbi;
    uint8_t v[VLEN];
    size_t i;
    double t0 = now_s();
    MDB_CHECK(mdb_txn_begin(env, NULL, 0, &txn));
    MDB_CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
    for (i = 0; i < N; i++) {
        uint32_t k = put_order[i];
        MDB_val mk, mv;
        make_value(k, v);
        mk.mv_data = KEY(k);
        mk.mv_size = klen[k];
        mv.mv_data = v;
        mv.mv_size = VLEN;
        MDB_CHECK(mdb_put(txn, dbi, &mk, &mv, 0));
    }
    MDB_CHECK(mdb_txn_commit(txn));
    return (double)N / (now_s() - t0);
}

static double lmdb_random_get(MDB_env *env) {
    MDB_txn *txn;
    MDB_dbi dbi;
    size_t i;
    double t0 = now_s(), t;
    MDB_CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    MDB_CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
    for (i = 0; i < N; i++) {
        uint32_t k = get_order[i];
        MDB_val mk, mv;
        mk.mv_data = KEY(k);
        mk.mv_size = klen[k];
        MDB_CHECK(mdb_get(txn, dbi, &mk, &mv));
        if (!check_value(k, mv.mv_data, mv.mv_size)) die("lmdb: wrong value for key %u", (unsigned)k);
    }
    mdb_txn_abort(txn);
    t = now_s() - t0;
    return (double)N / t;
}

static double lmdb_scan(MDB_env *env) {
    MDB_txn *txn;
    MDB_dbi dbi;
    size_t s;
    unsigned sum = 0;
    double t0 = now_s(), t;
    MDB_CHECK(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn));
    MDB_CHECK(mdb_dbi_open(txn, NULL, 0, &dbi));
    for (s = 0; s < NSCANS; s++) {
        char prefix[8];
        MDB_cursor *cur;
        MDB_val mk, mv;
        size_t count = 0;
        int rc;
        snprintf(prefix, sizeof prefix, "p%03u/", (unsigned)scan_prefixes[s]);
        MDB_CHECK(mdb_cursor_open(txn, dbi, &cur));
        mk.mv_data = prefix;
        mk.mv_size = 5;
        rc = mdb_cursor_get(cur, &mk, &mv, MDB_SET_RANGE);
        while (rc == MDB_SUCCESS && mk.mv_size >= 5 && memcmp(mk.mv_data, prefix, 5) == 0) {
            sum += ((const uint8_t *)mk.mv_data)[mk.mv_size - 1] + ((const uint8_t *)mv.mv_data)[0] +
                   (unsigned)mv.mv_size;
            count++;
            rc = mdb_cursor_get(cur, &mk, &mv, MDB_NEXT);
        }
        if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) die("lmdb cursor: %s", mdb_strerror(rc));
        mdb_cursor_close(cur);
        if (count != KEYS_PER_PREFIX) die("lmdb scan of %s returned %zu keys", prefix, count);
    }
    mdb_txn_abort(txn);
    t = now_s() - t0;
    scan_sink += sum;
    return t * 1e6 / (double)NSCANS;
}

/* ---- SQLite --------------------------------------------------------------------------- */

static sqlite3 *sql_open(const char *path, int wal_full) {
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) die("sqlite3_open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
    if (wal_full) {
        SQL_CHECK(db, sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
        SQL_CHECK(db, sqlite3_exec(db, "PRAGMA synchronous=FULL", NULL, NULL, NULL), SQLITE_OK);
    }
    SQL_CHECK(db, sqlite3_exec(db, "CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID", NULL, NULL, NULL),
              SQLITE_OK);
    return db;
}

static void sql_put_range(sqlite3 *db, sqlite3_stmt *ins, const uint32_t *order, size_t from, size_t to) {
    uint8_t v[VLEN];
    size_t i;
    SQL_CHECK(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (i = from; i < to; i++) {
        uint32_t k = order[i];
        make_value(k, v);
        SQL_CHECK(db, sqlite3_bind_blob(ins, 1, KEY(k), klen[k], SQLITE_STATIC), SQLITE_OK);
        SQL_CHECK(db, sqlite3_bind_blob(ins, 2, v, VLEN, SQLITE_TRANSIENT), SQLITE_OK);
        SQL_CHECK(db, sqlite3_step(ins), SQLITE_DONE);
        SQL_CHECK(db, sqlite3_reset(ins), SQLITE_OK);
    }
    SQL_CHECK(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
}

/* NCOMMITS commits of BATCH fresh keys each (the caller opened kv in safe durability) */
static double ours_durable_batches(llmspell_kv *kv) {
    size_t s, j;
    uint8_t v[VLEN];
    double t0 = now_s();
    for (s = 0; s < NCOMMITS; s++) {
        KV_CHECK(kv, llmspell_kv_begin(kv));
        for (j = s * BATCH; j < (s + 1) * BATCH; j++) {
            uint32_t k = put_order[j];
            make_value(k, v);
            KV_CHECK(kv, llmspell_kv_put(kv, KEY(k), klen[k], v, VLEN));
        }
        KV_CHECK(kv, llmspell_kv_commit(kv));
    }
    return (double)(NCOMMITS * BATCH) / (now_s() - t0);
}

static double sql_random_get(sqlite3 *db) {
    sqlite3_stmt *sel;
    size_t i;
    double t0, t;
    SQL_CHECK(db, sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE k = ?1", -1, &sel, NULL), SQLITE_OK);
    t0 = now_s();
    for (i = 0; i < N; i++) {
        uint32_t k = get_order[i];
        SQL_CHECK(db, sqlite3_bind_blob(sel, 1, KEY(k), klen[k], SQLITE_STATIC), SQLITE_OK);
        SQL_CHECK(db, sqlite3_step(sel), SQLITE_ROW);
        if (!check_value(k, sqlite3_column_blob(sel, 0), (size_t)sqlite3_column_bytes(sel, 0)))
            die("sqlite: wrong value for key %u", (unsigned)k);
        SQL_CHECK(db, sqlite3_reset(sel), SQLITE_OK);
    }
    t = now_s() - t0;
    sqlite3_finalize(sel);
    return (double)N / t;
}

/* ---- report --------------------------------------------------------------------------- */

static const char *num(double x, char *buf) {
    if (x >= 1000) snprintf(buf, 32, "%.0f", x);
    else snprintf(buf, 32, "%.3g", x);
    return buf;
}

static void line_more(const char *name, double ours, const char *peer, double theirs, const char *unit,
                      const char *goal) {
    char a[32], b[32];
    printf("kv %s: ours %s %s, %s %s %s, ratio %.3g (goal %s)\n", name, num(ours, a), unit, peer, num(theirs, b),
           unit, ours / theirs, goal);
}

static void cpu_line(void) {
    struct utsname u;
    char line[512], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                if (c) {
                    c++;
                    while (*c == ' ' || *c == '\t') c++;
                    c[strcspn(c, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", c);
                }
                break;
            }
        }
        fclose(f);
    }
    if (uname(&u) == 0) printf("# kernel %s %s %s, cpu %s, %ld cpus\n", u.sysname, u.release, u.machine, model,
                               sysconf(_SC_NPROCESSORS_ONLN));
    else printf("# cpu %s\n", model);
}

int main(int argc, char **argv) {
    int quick = 0, i;
    char path[512], lmdir[512];
    llmspell_kv kv;
    llmspell_kv_options opts;
    size_t rss0, rss1, s;
    double t0, t;
    double mem_put, mem_get, mem_scan, mem_scan_cb, mem_compact_s, mem_scan_compacted, mem_get_compacted, lm_put, lm_get, lm_scan, sql_get, file_get, file_reopen, file_load;
    double ours_durable, sql_durable, sql_load, sqb_get, sql_file_get, sqb_durable;
    double over_req, over_malloc, over_rss;
    uint64_t seed = 0xB5AD4ECEDA1CE2A9ull;
    counter cnt;
    MDB_env *env;
    sqlite3 *db;
    sqlite3_stmt *ins;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else {
            fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
            return 2;
        }
    }
    N = quick ? 100000 : 1000000;
    NPREFIX = N / KEYS_PER_PREFIX;
    NSCANS = quick ? 100 : 1000;
    NCOMMITS = quick ? 10 : 100;

    snprintf(workdir, sizeof workdir, "/tmp/bench_kv.XXXXXX");
    if (!mkdtemp(workdir)) {
        workdir[0] = 0;
        die("mkdtemp: %s", strerror(errno));
    }
    atexit(cleanup);

    cpu_line();
    printf("# llmspell_kv %s, LMDB %s, SQLite %s; %zu keys of 16-24 bytes in %zu prefixes, %d-byte values%s\n",
           LLMSPELL_VERSION_STRING, MDB_VERSION_STRING, sqlite3_libversion(), N, NPREFIX, VLEN,
           quick ? " (--quick)" : "");
    printf("# peers: LMDB bulk load in one write txn with MDB_NOSYNC, reads after reopen in one read txn; SQLite "
           "WITHOUT ROWID table, prepared statements, :memory: for reads, WAL + synchronous=FULL for durable puts\n");
    fflush(stdout);
    gen_data();
    scan_prefixes = (uint32_t *)xmalloc(NSCANS * sizeof *scan_prefixes);
    for (s = 0; s < NSCANS; s++) scan_prefixes[s] = (uint32_t)(splitmix64(&seed) % NPREFIX);

    /* 1. memory backend: load in one transaction (timed, RSS measured around it), get, scan */
    malloc_trim(0);
    rss0 = rss_bytes();
    KV_CHECK(&kv, llmspell_kv_open_memory(&kv, NULL));
    t0 = now_s();
    ours_load(&kv, 1);
    mem_put = (double)N / (now_s() - t0);
    malloc_trim(0);
    rss1 = rss_bytes();
    over_rss = ((double)rss1 - (double)rss0 - (double)key_bytes - (double)N * VLEN) / (double)N;
    mem_get = ours_random_get(&kv);
    mem_scan = ours_scan(&kv);
    mem_scan_cb = ours_scan_cb(&kv);
    /* compaction lays the entries out in key order: scans then read memory sequentially */
    t0 = now_s();
    KV_CHECK(&kv, llmspell_kv_compact(&kv));
    mem_compact_s = now_s() - t0;
    mem_scan_compacted = ours_scan(&kv);
    mem_get_compacted = ours_random_get(&kv);
    KV_CHECK(&kv, llmspell_kv_close(&kv));

    /* 2. memory backend with a counting allocator */
    memset(&cnt, 0, sizeof cnt);
    memset(&opts, 0, sizeof opts);
    opts.allocator.alloc = count_alloc;
    opts.allocator.realloc = count_realloc;
    opts.allocator.free = count_free;
    opts.allocator.ctx = &cnt;
    KV_CHECK(&kv, llmspell_kv_open_memory(&kv, &opts));
    ours_load(&kv, 1);
    {
        llmspell_kv_stats st;
        KV_CHECK(&kv, llmspell_kv_stats_get(&kv, &st));
        if (st.keys != N || st.bytes != key_bytes + (uint64_t)N * VLEN)
            die("memory stats: %llu keys / %llu bytes, expected %zu / %llu", (unsigned long long)st.keys,
                (unsigned long long)st.bytes, N, (unsigned long long)(key_bytes + (uint64_t)N * VLEN));
    }
    over_req = ((double)cnt.live_req - (double)key_bytes - (double)N * VLEN) / (double)N;
    over_malloc = ((double)cnt.live_usable + 8.0 * (double)cnt.live_allocs - (double)key_bytes - (double)N * VLEN) /
                  (double)N;
    printf("# memory backend after 1 load: %zu live allocations (%zu in all), %.1f MB requested, %.1f MB usable\n",
           cnt.live_allocs, cnt.total_allocs, (double)cnt.live_req / 1e6, (double)cnt.live_usable / 1e6);
    KV_CHECK(&kv, llmspell_kv_close(&kv));
    if (cnt.live_allocs || cnt.live_req)
        die("memory backend leaked %zu allocations (%zu bytes) after close", cnt.live_allocs, cnt.live_req);
    free(cnt.keys);
    free(cnt.sizes);
    malloc_trim(0);

    /* 3. LMDB: load in one write txn (MDB_NOSYNC), close, reopen, get in one read txn, scan */
    snprintf(lmdir, sizeof lmdir, "%s/lmdb", workdir);
    if (mkdir(lmdir, 0755) != 0) die("mkdir %s: %s", lmdir, strerror(errno));
    env = lmdb_open(lmdir, MDB_NOSYNC);
    lm_put = lmdb_load(env);
    MDB_CHECK(mdb_env_sync(env, 1));
    mdb_env_close(env);
    env = lmdb_open(lmdir, MDB_RDONLY);
    lm_get = lmdb_random_get(env);
    lm_scan = lmdb_scan(env);
    mdb_env_close(env);

    /* 4. SQLite :memory: get */
    db = sql_open(":memory:", 0);
    SQL_CHECK(db, sqlite3_prepare_v2(db, "INSERT INTO kv VALUES(?1, ?2)", -1, &ins, NULL), SQLITE_OK);
    t0 = now_s();
    sql_put_range(db, ins, put_order, 0, N);
    sql_load = (double)N / (now_s() - t0);
    sqlite3_finalize(ins);
    sql_get = sql_random_get(db);
    SQL_CHECK(db, sqlite3_close(db), SQLITE_OK);

    /* 5. file backend: load in one transaction, close, time the reopen, get */
    snprintf(path, sizeof path, "%s/big.kv", workdir);
    KV_CHECK(&kv, llmspell_kv_open_file(&kv, path, NULL));
    t0 = now_s();
    ours_load(&kv, 1);
    file_load = (double)N / (now_s() - t0);
    KV_CHECK(&kv, llmspell_kv_close(&kv));
    t0 = now_s();
    KV_CHECK(&kv, llmspell_kv_open_file(&kv, path, NULL));
    file_reopen = now_s() - t0;
    {
        llmspell_kv_stats st;
        KV_CHECK(&kv, llmspell_kv_stats_get(&kv, &st));
        if (st.keys != N) die("file store reopened with %llu keys, expected %zu", (unsigned long long)st.keys, N);
        printf("# file backend: 1 transaction of %zu puts, %.0f keys/s; file %.1f MB, %.1f MB dead\n", N, file_load,
               (double)st.file_size / 1e6, (double)st.dead_bytes / 1e6);
    }
    file_get = ours_random_get(&kv);
    KV_CHECK(&kv, llmspell_kv_close(&kv));

    /* 6. durable batches: NCOMMITS commits of BATCH fresh keys, fsync at every commit */
    snprintf(path, sizeof path, "%s/durable.kv", workdir);
    memset(&opts, 0, sizeof opts);
    opts.durability = LLMSPELL_DURABILITY_SAFE;
    KV_CHECK(&kv, llmspell_kv_open_file(&kv, path, &opts));
    ours_durable = ours_durable_batches(&kv);
    KV_CHECK(&kv, llmspell_kv_close(&kv));

    snprintf(path, sizeof path, "%s/durable.sqlite", workdir);
    db = sql_open(path, 1);
    SQL_CHECK(db, sqlite3_prepare_v2(db, "INSERT INTO kv VALUES(?1, ?2)", -1, &ins, NULL), SQLITE_OK);
    t0 = now_s();
    for (s = 0; s < NCOMMITS; s++) sql_put_range(db, ins, put_order, s * BATCH, (s + 1) * BATCH);
    t = now_s() - t0;
    sql_durable = (double)(NCOMMITS * BATCH) / t;
    sqlite3_finalize(ins);
    SQL_CHECK(db, sqlite3_close(db), SQLITE_OK);

    /* 7. our SQLite backend against raw SQLite on the same kind of file (WAL, the same table
       shape): what the wrapper costs. Both are loaded in one transaction, closed and reopened,
       so both read through a cold SQLite cache and a warm OS page cache. */
    snprintf(path, sizeof path, "%s/ours.sqlite", workdir);
    KV_CHECK(&kv, llmspell_kv_open_sqlite(&kv, path, NULL));
    ours_load(&kv, 1);
    KV_CHECK(&kv, llmspell_kv_close(&kv));
    KV_CHECK(&kv, llmspell_kv_open_sqlite(&kv, path, NULL));
    sqb_get = ours_random_get(&kv);
    KV_CHECK(&kv, llmspell_kv_close(&kv));
    snprintf(path, sizeof path, "%s/raw.sqlite", workdir);
    db = sql_open(path, 1);
    SQL_CHECK(db, sqlite3_prepare_v2(db, "INSERT INTO kv VALUES(?1, ?2)", -1, &ins, NULL), SQLITE_OK);
    sql_put_range(db, ins, put_order, 0, N);
    sqlite3_finalize(ins);
    SQL_CHECK(db, sqlite3_close(db), SQLITE_OK);
    SQL_CHECK(db, sqlite3_open(path, &db), SQLITE_OK);
    sql_file_get = sql_random_get(db);
    SQL_CHECK(db, sqlite3_close(db), SQLITE_OK);
    snprintf(path, sizeof path, "%s/durable-ours.sqlite", workdir);
    memset(&opts, 0, sizeof opts);
    opts.durability = LLMSPELL_DURABILITY_SAFE;
    KV_CHECK(&kv, llmspell_kv_open_sqlite(&kv, path, &opts));
    sqb_durable = ours_durable_batches(&kv);
    KV_CHECK(&kv, llmspell_kv_close(&kv));

    /* report */
    printf("# memory backend prefix scan through llmspell_kv_scan (callback): %.2f us/scan\n", mem_scan_cb);
    printf("# SQLite :memory: load (one transaction, same order): %.0f keys/s\n", sql_load);
    line_more("memory random get", mem_get, "lmdb", lm_get, "ops/s", ">= 5x");
    line_more("memory random get", mem_get, "sqlite-memory", sql_get, "ops/s", ">= 20x");
    line_more("memory put 1 txn", mem_put, "lmdb", lm_put, "ops/s", ">= 3x");
    line_more("prefix scan 1000 keys", mem_scan, "lmdb", lm_scan, "us/scan", "<= 0.25x");
    printf("# memory backend compact (re-layout in key order) of %zu keys: %.3f s\n", N, mem_compact_s);
    line_more("prefix scan 1000 keys after compact", mem_scan_compacted, "lmdb", lm_scan, "us/scan", "<= 0.25x");
    line_more("memory random get after compact", mem_get_compacted, "lmdb", lm_get, "ops/s", ">= 5x");
    line_more("file random get after reopen", file_get, "lmdb", lm_get, "ops/s", ">= 1x");
    {
        char name[64];
        snprintf(name, sizeof name, "file durable put %dx%zu", BATCH, NCOMMITS);
        line_more(name, ours_durable, "sqlite-wal-full", sql_durable, "keys/s", ">= 2x");
    }
    line_more("sqlite backend random get after reopen", sqb_get, "sqlite-wal-file", sql_file_get, "ops/s", "~1x: the wrapper's cost");
    {
        char name[64];
        snprintf(name, sizeof name, "sqlite backend durable put %dx%zu", BATCH, NCOMMITS);
        line_more(name, sqb_durable, "sqlite-wal-full", sql_durable, "keys/s", "~1x: the wrapper's cost");
    }
    printf("kv file reopen %zu keys: ours %.3f s (goal <= 1 s)\n", N, file_reopen);
    printf("kv memory bytes/entry beyond key+value: ours %.1f B requested, %.1f B malloc (usable + 8/alloc), "
           "%.1f B RSS (goal <= 48 B)\n",
           over_req, over_malloc, over_rss);
    fflush(stdout);
    free(keybuf);
    free(klen);
    free(put_order);
    free(get_order);
    free(scan_prefixes);
    return 0;
}
