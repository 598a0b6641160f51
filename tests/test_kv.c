/* test_kv.c - tests for llmspell_kv.h
   cc -std=c99 -g -O1 -Wall -Wextra -I. tests/test_kv.c -o build/test_kv -lsqlite3

   a. conformance suite, run against every backend        conformance_<backend>_<test>
   b. randomized model test per backend                   model_<backend>
   c. tenant isolation                                    tenant_isolation_<root>
   d. bad input                                           conformance_<backend>_bad_input, test_*
   e. file backend recovery and compaction                test_file_*
   f. tuple encoding, key successor, crc32c               test_tuple_*, ...
   g. allocation failure                                  alloc_failure_<backend>
   h. entry info (times, kv_id, metadata), tenants()      conformance_<backend>_entries, test_entry_*, tenants_*
   i. transactions joined through views                   txn_join_<backend>, test_txn_join_failure
   Scratch files live under a mkdtemp directory in /tmp that is removed at the end. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define COMPAT_WANT_SQLITE /* unless -DLLMSPELL_TEST_NO_SQLITE, and on Windows only with -DLLMSPELL_KV_SQLITE */
#include "compat.h"
#include "../llmspell_kv.h"

#include <limits.h>
#if !COMPAT_WIN32
#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#endif

static const char *rc_name(int rc);
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* >>small helpers                                                                             */

/* A string literal as (pointer, length) without its terminator: put(kv, S("k"), S("v")). */
#define S(lit) (lit), (sizeof(lit) - 1)

static const char *rc_name(int rc)
{
    static const char *const names[] = {
        "OK", "ERR_NOT_FOUND", "ERR_INVALID", "ERR_NOMEM", "ERR_IO", "ERR_CORRUPT", "ERR_BUSY",
        "ERR_EXISTS", "ERR_QUOTA", "ERR_FORMAT", "ERR_UNSUPPORTED", "ERR_CONFLICT", "ERR_TOO_LARGE",
        "ERR_RESERVED", "ERR_TXN", "ERR_CLOSED", "ERR_READONLY", "ERR_NOT_A_FILE", "ERR_PARSE"};
    if (rc >= 0 && (size_t)rc < sizeof names / sizeof names[0]) return names[rc];
    return "(unknown code)";
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

static void fill_pattern(uint8_t *buf, size_t n, uint32_t seed)
{
    size_t i;
    for (i = 0; i < n; i++) buf[i] = (uint8_t)((i * 131u + seed * 7u + (i >> 8)) & 0xFF);
}

/* memcmp order, a shorter key before its extensions: the order every backend must use. */
static int key_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    size_t m = al < bl ? al : bl;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

static int starts_with(const void *k, size_t kl, const void *p, size_t pl)
{
    return kl >= pl && (pl == 0 || memcmp(k, p, pl) == 0);
}

/* Printable form of a byte string for failure messages (static buffer ring). */
static const char *hexs(const void *p, size_t n)
{
    enum { CAP = 160, ROOM = CAP - 24 }; /* ROOM: where escapes stop, leaving space for "...(n)" */
    static char bufs[4][CAP];
    static int which;
    char *b = bufs[which++ & 3];
    const uint8_t *s = (const uint8_t *)p;
    size_t i, o = 0;
    if (!p) n = 0;
    for (i = 0; i < n && o + 4 < ROOM; i++) {
        if (s[i] >= 0x21 && s[i] < 0x7f && s[i] != '\\') b[o++] = (char)s[i];
        else o += (size_t)snprintf(b + o, CAP - o, "\\x%02X", s[i]);
    }
    if (i < n) snprintf(b + o, CAP - o, "...(%zu)", n);
    else b[o] = 0;
    return b;
}

/* ------------------------------------------------------------------------------------------ */
/* >>pairs: an owned list of key/value copies; sorted, it is also the reference model.          */

typedef struct pair { uint8_t *k; size_t kl; uint8_t *v; size_t vl; } pair;
typedef struct pairs { pair *p; size_t n, cap; } pairs;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { fprintf(stderr, "test: out of memory\n"); abort(); }
    return p;
}

static pair pair_make(const void *k, size_t kl, const void *v, size_t vl)
{
    pair e;
    e.k = (uint8_t *)xmalloc(kl + vl);
    if (kl) memcpy(e.k, k, kl);
    e.v = e.k + kl;
    if (vl) memcpy(e.v, v, vl);
    e.kl = kl;
    e.vl = vl;
    return e;
}

static void pairs_reserve(pairs *ps, size_t n)
{
    if (n <= ps->cap) return;
    ps->cap = ps->cap ? ps->cap * 2 : 16;
    if (ps->cap < n) ps->cap = n;
    ps->p = (pair *)realloc(ps->p, ps->cap * sizeof *ps->p);
    if (!ps->p) abort();
}

static void pairs_add(pairs *ps, const void *k, size_t kl, const void *v, size_t vl)
{
    pairs_reserve(ps, ps->n + 1);
    ps->p[ps->n++] = pair_make(k, kl, v, vl);
}

static void pairs_clear(pairs *ps)
{
    size_t i;
    for (i = 0; i < ps->n; i++) free(ps->p[i].k);
    ps->n = 0;
}

static void pairs_free(pairs *ps)
{
    pairs_clear(ps);
    free(ps->p);
    ps->p = NULL;
    ps->cap = 0;
}

static void pairs_copy(pairs *dst, const pairs *src)
{
    size_t i;
    pairs_clear(dst);
    for (i = 0; i < src->n; i++) pairs_add(dst, src->p[i].k, src->p[i].kl, src->p[i].v, src->p[i].vl);
}

/* Index of the first key >= k in a sorted list; *found says whether it equals k. */
static size_t pairs_lower(const pairs *ps, const void *k, size_t kl, int *found)
{
    size_t lo = 0, hi = ps->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (key_cmp(ps->p[mid].k, ps->p[mid].kl, k, kl) < 0) lo = mid + 1;
        else hi = mid;
    }
    if (found) *found = lo < ps->n && key_cmp(ps->p[lo].k, ps->p[lo].kl, k, kl) == 0;
    return lo;
}

static const pair *pairs_get(const pairs *ps, const void *k, size_t kl)
{
    int found;
    size_t i = pairs_lower(ps, k, kl, &found);
    return found ? &ps->p[i] : NULL;
}

static void pairs_set(pairs *ps, const void *k, size_t kl, const void *v, size_t vl)
{
    int found;
    size_t i = pairs_lower(ps, k, kl, &found);
    if (found) {
        free(ps->p[i].k);
        ps->p[i] = pair_make(k, kl, v, vl);
        return;
    }
    pairs_reserve(ps, ps->n + 1);
    memmove(ps->p + i + 1, ps->p + i, (ps->n - i) * sizeof *ps->p);
    ps->p[i] = pair_make(k, kl, v, vl);
    ps->n++;
}

static int pairs_del(pairs *ps, const void *k, size_t kl)
{
    int found;
    size_t i = pairs_lower(ps, k, kl, &found);
    if (!found) return 0;
    free(ps->p[i].k);
    memmove(ps->p + i, ps->p + i + 1, (ps->n - i - 1) * sizeof *ps->p);
    ps->n--;
    return 1;
}

/* The sum of key and value lengths, as stats count them. */
static uint64_t pairs_bytes(const pairs *ps)
{
    uint64_t sum = 0;
    size_t i;
    for (i = 0; i < ps->n; i++) sum += ps->p[i].kl + ps->p[i].vl;
    return sum;
}

/* What a scan of a sorted model under prefix from start must return. */
static void pairs_expect_scan(const pairs *model, const void *prefix, size_t plen, const void *start,
                              size_t slen, pairs *out)
{
    size_t i;
    pairs_clear(out);
    for (i = 0; i < model->n; i++) {
        const pair *e = &model->p[i];
        if (!starts_with(e->k, e->kl, prefix, plen)) continue;
        if (start && key_cmp(e->k, e->kl, start, slen) < 0) continue;
        pairs_add(out, e->k, e->kl, e->v, e->vl);
    }
}

/* Keys that do (sys = 1) or do not (sys = 0) start with 0xFF. */
static void pairs_split(const pairs *all, int sys, pairs *out)
{
    size_t i;
    pairs_clear(out);
    for (i = 0; i < all->n; i++) {
        int is_sys = all->p[i].kl > 0 && all->p[i].k[0] == 0xFF;
        if (is_sys == sys) pairs_add(out, all->p[i].k, all->p[i].kl, all->p[i].v, all->p[i].vl);
    }
}

/* 1 if equal; otherwise 0 and a description of the first difference in why. */
static int pairs_equal(const pairs *got, const pairs *want, char *why, size_t cap)
{
    size_t i;
    for (i = 0; i < got->n && i < want->n; i++) {
        const pair *g = &got->p[i], *w = &want->p[i];
        if (key_cmp(g->k, g->kl, w->k, w->kl) != 0) {
            snprintf(why, cap, "entry %zu: got key %s, expected key %s", i, hexs(g->k, g->kl), hexs(w->k, w->kl));
            return 0;
        }
        if (g->vl != w->vl || (g->vl && memcmp(g->v, w->v, g->vl) != 0)) {
            snprintf(why, cap, "entry %zu key %s: got value %s, expected %s", i, hexs(g->k, g->kl),
                     hexs(g->v, g->vl), hexs(w->v, w->vl));
            return 0;
        }
    }
    if (got->n != want->n) {
        const pair *x = got->n > want->n ? &got->p[i] : &want->p[i];
        snprintf(why, cap, "got %zu entries, expected %zu (first %s: key %s)", got->n, want->n,
                 got->n > want->n ? "extra" : "missing", hexs(x->k, x->kl));
        return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------------------------------ */
/* >>scan helpers                                                                              */

static int collect_cb(void *user, const void *k, size_t kl, const void *v, size_t vl)
{
    pairs_add((pairs *)user, k, kl, v, vl);
    return 0;
}

static llmspell_result scan_collect(llmspell_kv *kv, const void *prefix, size_t plen, const void *start,
                                    size_t slen, pairs *out)
{
    pairs_clear(out);
    return llmspell_kv_scan(kv, prefix, plen, start, slen, collect_cb, out);
}

/* The same through the iterator; seek may be NULL. */
static llmspell_result iter_collect(llmspell_kv *kv, const void *prefix, size_t plen, const void *seek,
                                    size_t slen, pairs *out)
{
    llmspell_kv_iter *it = NULL;
    llmspell_result rc;
    const void *k, *v;
    size_t kl, vl;
    pairs_clear(out);
    rc = llmspell_kv_iter_open(kv, prefix, plen, &it);
    if (rc != LLMSPELL_OK) return rc;
    if (seek) rc = llmspell_kv_iter_seek(it, seek, slen);
    while (rc == LLMSPELL_OK && (rc = llmspell_kv_iter_next(it, &k, &kl, &v, &vl)) == LLMSPELL_OK)
        pairs_add(out, k, kl, v, vl);
    llmspell_kv_iter_close(it);
    return rc == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : rc;
}

/* Checks that both the scan and the iterator return exactly want (a sorted list). */
static void check_scan_at(const char *file, int line, llmspell_kv *kv, const void *prefix, size_t plen,
                          const void *start, size_t slen, const pairs *want)
{
    pairs got = {0};
    char why[512];
    CHECK_RC_AT(file, line, scan_collect(kv, prefix, plen, start, slen, &got), LLMSPELL_OK);
    CHECK_AT(file, line, pairs_equal(&got, want, why, sizeof why), "scan prefix %s start %s: %s",
             hexs(prefix, plen), start ? hexs(start, slen) : "NULL", why);
    CHECK_RC_AT(file, line, iter_collect(kv, prefix, plen, start, slen, &got), LLMSPELL_OK);
    CHECK_AT(file, line, pairs_equal(&got, want, why, sizeof why), "iterator prefix %s seek %s: %s",
             hexs(prefix, plen), start ? hexs(start, slen) : "NULL", why);
    pairs_free(&got);
}
#define CHECK_SCAN(...) check_scan_at(__FILE__, __LINE__, __VA_ARGS__)

/* Checks the whole content of kv (every key, system ones included) against a sorted model. */
#define CHECK_CONTENT(kv, model) check_scan_at(__FILE__, __LINE__, kv, NULL, 0, NULL, 0, model)

static void check_value_at(const char *file, int line, llmspell_kv *kv, const void *k, size_t kl,
                           const void *want, size_t wl)
{
    const void *v = NULL;
    size_t vl = 0;
    int ex = -1;
    llmspell_result rc = llmspell_kv_get(kv, k, kl, &v, &vl);
    CHECK_AT(file, line, rc == LLMSPELL_OK, "get %s returned %s, expected OK", hexs(k, kl), rc_name(rc));
    if (rc == LLMSPELL_OK)
        CHECK_AT(file, line, vl == wl && (wl == 0 || memcmp(v, want, wl) == 0), "get %s = %s, expected %s",
                 hexs(k, kl), hexs(v, vl), hexs(want, wl));
    CHECK_RC_AT(file, line, llmspell_kv_exists(kv, k, kl, &ex), LLMSPELL_OK);
    CHECK_AT(file, line, ex == 1, "exists %s = %d, expected 1", hexs(k, kl), ex);
}
/* variadic so that S("...") may stand for two arguments */
#define CHECK_VALUE(...) check_value_at(__FILE__, __LINE__, __VA_ARGS__)

static void check_absent_at(const char *file, int line, llmspell_kv *kv, const void *k, size_t kl)
{
    const void *v = NULL;
    size_t vl = 0;
    int ex = -1;
    CHECK_RC_AT(file, line, llmspell_kv_get(kv, k, kl, &v, &vl), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC_AT(file, line, llmspell_kv_exists(kv, k, kl, &ex), LLMSPELL_OK);
    CHECK_AT(file, line, ex == 0, "exists %s = %d, expected 0", hexs(k, kl), ex);
}
#define CHECK_ABSENT(...) check_absent_at(__FILE__, __LINE__, __VA_ARGS__)

/* ------------------------------------------------------------------------------------------ */
/* >>files and processes                                                                       */

static char g_tmpdir[COMPAT_PATH_MAX - 128]; /* made by main, removed at the end */

static void tmp_path(char *out, size_t cap, const char *tag)
{
    static unsigned counter; /* with the pid: unique across the forked test processes */
    snprintf(out, cap, "%s/%s-%ld-%u", g_tmpdir, tag, compat_getpid(), counter++);
}

static long file_size_of(const char *path)
{
    return (long)compat_file_size(path);
}

/* Reads a whole file into a malloc'ed buffer (NULL if it cannot). */
static uint8_t *read_whole(const char *path, size_t *n)
{
    FILE *f = compat_fopen(path, "rb");
    long sz;
    uint8_t *buf;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (uint8_t *)xmalloc(sz > 0 ? (size_t)sz : 1);
    if (sz < 0 || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return buf;
}

static int write_whole(const char *path, const void *data, size_t n)
{
    FILE *f = compat_fopen(path, "wb");
    int ok;
    if (!f) return 0;
    ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static int append_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = compat_fopen(path, "ab");
    int ok;
    if (!f) return 0;
    ok = fwrite(data, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static int copy_file(const char *from, const char *to)
{
    size_t n;
    uint8_t *b = read_whole(from, &n);
    int ok = b && write_whole(to, b, n);
    free(b);
    return ok;
}

static int files_equal(const char *path, const uint8_t *data, size_t n)
{
    size_t m;
    uint8_t *b = read_whole(path, &m);
    int eq = b && m == n && memcmp(b, data, n) == 0;
    free(b);
    return eq;
}

#define remove_tree compat_remove_tree

#if !COMPAT_WIN32
/* Runs fn(arg) in a forked child and turns its checks into failures of the calling test.
   The child leaves with _exit: it must not run the parent's atexit work or flush its stdio. */
static void in_child_at(const char *file, int line, void (*fn)(void *), const char *fn_name, void *arg)
{
    int fds[2], status = 0;
    char msg[1024];
    size_t got = 0;
    pid_t pid;
    if (pipe(fds) != 0) { harness_fail(file, line, "pipe failed"); return; }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) { harness_fail(file, line, "fork failed"); close(fds[0]); close(fds[1]); return; }
    if (pid == 0) {
        char text[1024];
        const char *res;
        close(fds[0]);
        harness_failures = 0;
        harness_first[0] = 0;
        fn(arg);
        res = harness_result_text(text, sizeof text);
        if (res && write(fds[1], res, strlen(res)) < 0) _exit(3);
        _exit(res ? 1 : 0);
    }
    close(fds[1]);
    for (;;) {
        ssize_t r = read(fds[0], msg + got, sizeof msg - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0 || (got += (size_t)r) == sizeof msg - 1) break;
    }
    msg[got] = 0;
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (got) harness_fail(file, line, "in child: %s", msg);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        harness_fail(file, line, "child ended with %s %d", WIFEXITED(status) ? "status" : "signal",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    (void)fn_name;
}
#else
/* Windows has no fork: the child is this program again, started as
   "test_kv.exe --child <fn_name> <arg>" (main runs the named function from CHILD_FNS and
   prints its first failure on stdout), so the child is a separate process as on POSIX. */
static void in_child_at(const char *file, int line, void (*fn)(void *), const char *fn_name, void *arg)
{
    const char *args[3];
    HANDLE proc, out;
    DWORD code = 0;
    char msg[1024];
    size_t got;
    args[0] = "--child";
    args[1] = fn_name;
    args[2] = (const char *)arg;
    (void)fn;
    if (compat_spawn_self(args, 3, &proc, &out) != 0) {
        harness_fail(file, line, "cannot start the child process (error %lu)", (unsigned long)GetLastError());
        return;
    }
    got = compat_read_all(out, msg, sizeof msg);
    CloseHandle(out);
    WaitForSingleObject(proc, INFINITE);
    GetExitCodeProcess(proc, &code);
    CloseHandle(proc);
    if (got) harness_fail(file, line, "in child: %s", msg);
    else if (code != 0) harness_fail(file, line, "child ended with status %lu", (unsigned long)code);
}
#endif
#define IN_CHILD(fn, arg) in_child_at(__FILE__, __LINE__, fn, #fn, arg)

/* The error message of a failed call must say something. */
#define CHECK_ERRMSG(kv) \
    CHECK(llmspell_kv_errmsg(kv) != NULL && llmspell_kv_errmsg(kv)[0] != 0, "empty llmspell_kv_errmsg")

/* A failing call: its code, and a message on the handle. */
#define CHECK_FAILS(kv, expr, code) \
    do { CHECK_RC(expr, code); CHECK_ERRMSG(kv); } while (0)

/* ------------------------------------------------------------------------------------------ */
/* >>backend factory: opens a fresh store of one kind, reopens it, closes it                  */

typedef enum backend_kind {
    K_MEMORY, K_FILE, K_SQLITE_FILE, K_SQLITE_MEM, K_VIEW_MEMORY, K_VIEW_FILE, K_VIEW_NESTED, K_USER, K_POSTGRES, K_VIEW_POSTGRES
} backend_kind;

/* >>a user-defined backend: a sorted array, filled into struct llmspell_kv by hand, to show
   that a backend is one struct away and that the whole suite holds for it too. */
typedef struct ua_item { uint8_t *k, *v; size_t kn, vn; } ua_item;
typedef struct ua_store { ua_item *items, *saved; size_t n, cap, nsaved; int in_txn; } ua_store;
typedef struct ua_cursor { llmspell_kv *kv; uint8_t *last; size_t lastn; int excl; } ua_cursor;

static int ua_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (an < bn ? -1 : an > bn);
}

/* First position whose key is >= k (or > k when excl). */
static size_t ua_find(const ua_store *u, const uint8_t *k, size_t kn, int excl)
{
    size_t lo = 0, hi = u->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = ua_cmp(u->items[mid].k, u->items[mid].kn, k, kn);
        if (c < 0 || (excl && c == 0)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static uint8_t *ua_dup(llmspell_kv *kv, const void *p, size_t n)
{
    uint8_t *q = (uint8_t *)llmspell_kv_alloc(kv, n + 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

static void ua_items_free(llmspell_kv *kv, ua_item *items, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        llmspell_kv_free(kv, items[i].k);
        llmspell_kv_free(kv, items[i].v);
    }
    llmspell_kv_free(kv, items);
}

static llmspell_result ua_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn)
{
    ua_store *u = (ua_store *)kv->ctx;
    size_t i = ua_find(u, k, kn, 0);
    if (i == u->n || ua_cmp(u->items[i].k, u->items[i].kn, k, kn) != 0) return LLMSPELL_ERR_NOT_FOUND;
    *v = u->items[i].v;
    *vn = u->items[i].vn;
    return LLMSPELL_OK;
}

static llmspell_result ua_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn)
{
    ua_store *u = (ua_store *)kv->ctx;
    size_t i = ua_find(u, k, kn, 0);
    int found = i < u->n && ua_cmp(u->items[i].k, u->items[i].kn, k, kn) == 0;
    uint8_t *nv = ua_dup(kv, v, vn), *nk = found ? NULL : ua_dup(kv, k, kn);
    if (!nv) {
        llmspell_kv_free(kv, nk);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
    }
    if (!found) {
        if (!nk) { llmspell_kv_free(kv, nv); return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory"); }
        if (u->n == u->cap) {
            size_t ncap = u->n ? u->n * 2 : 16;
            ua_item *ni = (ua_item *)llmspell_kv_alloc(kv, ncap * sizeof *ni);
            if (!ni) {
                llmspell_kv_free(kv, nv);
                llmspell_kv_free(kv, nk);
                return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
            }
            if (u->n) memcpy(ni, u->items, u->n * sizeof *ni);
            llmspell_kv_free(kv, u->items);
            u->items = ni;
            u->cap = ncap;
        }
        memmove(&u->items[i + 1], &u->items[i], (u->n - i) * sizeof *u->items);
        u->items[i].k = nk;
        u->items[i].kn = kn;
        u->items[i].v = NULL;
        u->n++;
    }
    llmspell_kv_free(kv, u->items[i].v);
    u->items[i].v = nv;
    u->items[i].vn = vn;
    return LLMSPELL_OK;
}

static llmspell_result ua_del(llmspell_kv *kv, const uint8_t *k, size_t kn)
{
    ua_store *u = (ua_store *)kv->ctx;
    size_t i = ua_find(u, k, kn, 0);
    if (i == u->n || ua_cmp(u->items[i].k, u->items[i].kn, k, kn) != 0) return LLMSPELL_ERR_NOT_FOUND;
    llmspell_kv_free(kv, u->items[i].k);
    llmspell_kv_free(kv, u->items[i].v);
    memmove(&u->items[i], &u->items[i + 1], (u->n - i - 1) * sizeof *u->items);
    u->n--;
    return LLMSPELL_OK;
}

static llmspell_result ua_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur)
{
    ua_cursor *c = (ua_cursor *)llmspell_kv_alloc(kv, sizeof *c);
    if (!c) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
    memset(c, 0, sizeof *c);
    c->kv = kv;
    *cur = (llmspell_kv_cursor *)c;
    return LLMSPELL_OK;
}

static llmspell_result ua_remember(ua_cursor *c, const uint8_t *k, size_t kn, int excl)
{
    uint8_t *copy = ua_dup(c->kv, k, kn);
    if (!copy) return llmspell_kv_set_error(c->kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
    llmspell_kv_free(c->kv, c->last);
    c->last = copy;
    c->lastn = kn;
    c->excl = excl;
    return LLMSPELL_OK;
}

static llmspell_result ua_cursor_seek(llmspell_kv_cursor *cur, const uint8_t *k, size_t kn)
{
    return ua_remember((ua_cursor *)cur, k, kn, 0);
}

/* Each step searches afresh from the last key: simple, and writes in between are harmless. */
static llmspell_result ua_cursor_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn, const void **v, size_t *vn)
{
    ua_cursor *c = (ua_cursor *)cur;
    ua_store *u = (ua_store *)c->kv->ctx;
    size_t i = ua_find(u, c->last, c->lastn, c->excl);
    llmspell_result r;
    if (i == u->n) return LLMSPELL_ERR_NOT_FOUND;
    if ((r = ua_remember(c, u->items[i].k, u->items[i].kn, 1)) != LLMSPELL_OK) return r;
    *k = u->items[i].k;
    *kn = u->items[i].kn;
    *v = u->items[i].v;
    *vn = u->items[i].vn;
    return LLMSPELL_OK;
}

static void ua_cursor_close(llmspell_kv_cursor *cur)
{
    ua_cursor *c = (ua_cursor *)cur;
    llmspell_kv_free(c->kv, c->last);
    llmspell_kv_free(c->kv, c);
}

/* A transaction keeps a deep copy of the items to restore on rollback. */
static llmspell_result ua_begin(llmspell_kv *kv)
{
    ua_store *u = (ua_store *)kv->ctx;
    size_t i;
    ua_item *copy = (ua_item *)llmspell_kv_alloc(kv, (u->n + 1) * sizeof *copy);
    if (!copy) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
    for (i = 0; i < u->n; i++) {
        copy[i].kn = u->items[i].kn;
        copy[i].vn = u->items[i].vn;
        copy[i].k = ua_dup(kv, u->items[i].k, u->items[i].kn);
        copy[i].v = ua_dup(kv, u->items[i].v, u->items[i].vn);
        if (!copy[i].k || !copy[i].v) {
            ua_items_free(kv, copy, i + 1);
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "user-array: out of memory");
        }
    }
    u->saved = copy;
    u->nsaved = u->n;
    u->in_txn = 1;
    return LLMSPELL_OK;
}

static llmspell_result ua_commit(llmspell_kv *kv)
{
    ua_store *u = (ua_store *)kv->ctx;
    ua_items_free(kv, u->saved, u->nsaved);
    u->saved = NULL;
    u->in_txn = 0;
    return LLMSPELL_OK;
}

static llmspell_result ua_rollback(llmspell_kv *kv)
{
    ua_store *u = (ua_store *)kv->ctx;
    ua_items_free(kv, u->items, u->n);
    u->items = u->saved;
    u->n = u->cap = u->nsaved;
    u->saved = NULL;
    u->in_txn = 0;
    return LLMSPELL_OK;
}

static llmspell_result ua_stats(llmspell_kv *kv, llmspell_kv_stats *st)
{
    ua_store *u = (ua_store *)kv->ctx;
    size_t i;
    st->keys = u->n;
    for (i = 0; i < u->n; i++) st->bytes += u->items[i].kn + u->items[i].vn;
    return LLMSPELL_OK;
}

static void ua_chars(llmspell_kv *kv, llmspell_kv_characteristics *c)
{
    (void)kv;
    c->transactional = 1;
    c->supports_prefix_scan = 1;
    c->supports_atomic_ops = 1;
}

static void ua_close(llmspell_kv *kv)
{
    ua_store *u = (ua_store *)kv->ctx;
    if (u->in_txn) ua_rollback(kv);
    ua_items_free(kv, u->items, u->n);
    llmspell_kv_free(kv, u);
}

static llmspell_result ua_open(llmspell_kv *kv, const llmspell_kv_options *o)
{
    ua_store *u;
    memset(kv, 0, sizeof *kv);
    if (o) kv->allocator = o->allocator;
    u = (ua_store *)llmspell_kv_alloc(kv, sizeof *u);
    if (!u) return LLMSPELL_ERR_NOMEM;
    memset(u, 0, sizeof *u);
    kv->ctx = u;
    kv->name = "user-array";
    kv->get = ua_get;
    kv->put = ua_put;
    kv->del = ua_del;
    kv->cursor_open = ua_cursor_open;
    kv->cursor_seek = ua_cursor_seek;
    kv->cursor_next = ua_cursor_next;
    kv->cursor_close = ua_cursor_close;
    kv->begin = ua_begin;
    kv->commit = ua_commit;
    kv->rollback = ua_rollback;
    kv->stats = ua_stats;
    kv->characteristics = ua_chars;
    kv->close = ua_close;
    kv->open = 1;
    return LLMSPELL_OK;
}

typedef struct backend_desc {
    const char *name;    /* used in the test names */
    backend_kind kind;
    int persistent;      /* survives close + reopen; the expected characteristics.persistent */
    const char *kv_name; /* expected llmspell_kv_name */
} backend_desc;

static const backend_desc BACKENDS[] = {
    {"memory", K_MEMORY, 0, "memory"},
    {"file", K_FILE, 1, "file"},
#if COMPAT_HAS_SQLITE
    {"sqlite", K_SQLITE_FILE, 1, "sqlite"},
    {"sqlite_memory", K_SQLITE_MEM, 0, "sqlite"},
#endif
    {"view_memory", K_VIEW_MEMORY, 0, "tenant"},
    {"view_file", K_VIEW_FILE, 1, "tenant"},
    {"view_nested", K_VIEW_NESTED, 0, "tenant"},
    {"user", K_USER, 0, "user-array"},
#if COMPAT_HAS_POSTGRES /* (run on their own: tests/run.sh runs this build with HARNESS_ONLY=postgres) */
    {"postgres", K_POSTGRES, 1, "postgres"},
    {"view_postgres", K_VIEW_POSTGRES, 1, "tenant"},
#endif
};
#define N_BACKENDS (sizeof BACKENDS / sizeof BACKENDS[0])

static int is_view(const backend_desc *b)
{
    return b->kind == K_VIEW_MEMORY || b->kind == K_VIEW_FILE || b->kind == K_VIEW_NESTED || b->kind == K_VIEW_POSTGRES;
}

/* The handle under test is kv. For views, root is the real store and (nested) mid is the view
   between. Views are tested with other data around them ("noise": root user keys and a
   sibling tenant whose id is a prefix of the tested one), which must come through untouched. */
typedef struct store {
    const backend_desc *b;
    llmspell_kv root, mid, leaf;
    llmspell_kv *kv;
    llmspell_kv_options opts;
    char path[COMPAT_PATH_MAX];
} store;

#define LEAF_TENANT "tenantA"
#define SIBLING_TENANT "tenant"   /* a prefix of LEAF_TENANT */
#define MID_TENANT "outer"

static const char *const NOISE_KEYS[] = {"a", "k1", "tenantAk", "\xFE", "zz"};
#define N_NOISE (sizeof NOISE_KEYS / sizeof NOISE_KEYS[0])

/* The handle the leaf view hangs from: root, or mid for the nested view. */
static llmspell_kv *store_parent(store *s) { return s->b->kind == K_VIEW_NESTED ? &s->mid : &s->root; }

static llmspell_result store_open_layers(store *s)
{
    llmspell_result rc = LLMSPELL_OK;
    switch (s->b->kind) {
    case K_MEMORY: case K_VIEW_MEMORY: case K_VIEW_NESTED:
        rc = llmspell_kv_open_memory(&s->root, &s->opts); break;
    case K_FILE: case K_VIEW_FILE:
        rc = llmspell_kv_open_file(&s->root, s->path, &s->opts); break;
#if COMPAT_HAS_SQLITE
    case K_SQLITE_FILE:
        rc = llmspell_kv_open_sqlite(&s->root, s->path, &s->opts); break;
    case K_SQLITE_MEM:
        rc = llmspell_kv_open_sqlite(&s->root, ":memory:", &s->opts); break;
#else
    case K_SQLITE_FILE: case K_SQLITE_MEM:
        rc = LLMSPELL_ERR_UNSUPPORTED; break;
#endif
    case K_USER:
        rc = ua_open(&s->root, &s->opts); break;
    case K_POSTGRES: case K_VIEW_POSTGRES:
#if COMPAT_HAS_POSTGRES
        rc = llmspell_kv_open_postgres(&s->root, s->path, &s->opts); break; /* path: the conninfo of a fresh schema */
#else
        rc = LLMSPELL_ERR_UNSUPPORTED; break;
#endif
    }
    if (rc != LLMSPELL_OK) return rc;
    s->kv = &s->root;
    if (s->b->kind == K_VIEW_NESTED) {
        rc = llmspell_kv_open_tenant(&s->mid, &s->root, S(MID_TENANT));
        if (rc != LLMSPELL_OK) { llmspell_kv_close(&s->root); return rc; }
    }
    if (is_view(s->b)) {
        rc = llmspell_kv_open_tenant(&s->leaf, store_parent(s), S(LEAF_TENANT));
        if (rc != LLMSPELL_OK) {
            if (s->b->kind == K_VIEW_NESTED) llmspell_kv_close(&s->mid);
            llmspell_kv_close(&s->root);
            return rc;
        }
        s->kv = &s->leaf;
    }
    return LLMSPELL_OK;
}

static void store_close_layers(store *s)
{
    if (is_view(s->b)) CHECK_RC(llmspell_kv_close(&s->leaf), LLMSPELL_OK);
    if (s->b->kind == K_VIEW_NESTED) CHECK_RC(llmspell_kv_close(&s->mid), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&s->root), LLMSPELL_OK);
    s->kv = NULL;
}

/* Noise: root user keys, and the same keys in a sibling tenant next to the tested view. */
static void noise_expected(pairs *root_user, pairs *sibling)
{
    size_t i;
    for (i = 0; i < N_NOISE; i++) {
        pairs_set(root_user, NOISE_KEYS[i], strlen(NOISE_KEYS[i]), S("root-noise"));
        pairs_set(sibling, NOISE_KEYS[i], strlen(NOISE_KEYS[i]), S("sibling-noise"));
    }
}

static int noise_write(store *s)
{
    llmspell_kv sib;
    size_t i;
    int ok = 1;
    for (i = 0; i < N_NOISE; i++)
        ok &= llmspell_kv_put(&s->root, NOISE_KEYS[i], strlen(NOISE_KEYS[i]), S("root-noise")) == LLMSPELL_OK;
    if (llmspell_kv_open_tenant(&sib, store_parent(s), S(SIBLING_TENANT)) != LLMSPELL_OK) return 0;
    for (i = 0; i < N_NOISE; i++)
        ok &= llmspell_kv_put(&sib, NOISE_KEYS[i], strlen(NOISE_KEYS[i]), S("sibling-noise")) == LLMSPELL_OK;
    ok &= llmspell_kv_close(&sib) == LLMSPELL_OK;
    return ok;
}

static void noise_check_at(const char *file, int line, store *s)
{
    pairs want_root = {0}, want_sib = {0}, all = {0}, user = {0};
    char why[512];
    llmspell_kv sib;
    noise_expected(&want_root, &want_sib);
    CHECK_RC_AT(file, line, scan_collect(&s->root, NULL, 0, NULL, 0, &all), LLMSPELL_OK);
    pairs_split(&all, 0, &user);
    CHECK_AT(file, line, pairs_equal(&user, &want_root, why, sizeof why), "root user keys changed by the view: %s", why);
    CHECK_RC_AT(file, line, llmspell_kv_open_tenant(&sib, store_parent(s), S(SIBLING_TENANT)), LLMSPELL_OK);
    if (llmspell_kv_name(&sib) && strcmp(llmspell_kv_name(&sib), "closed") != 0) {
        CHECK_RC_AT(file, line, scan_collect(&sib, NULL, 0, NULL, 0, &all), LLMSPELL_OK);
        CHECK_AT(file, line, pairs_equal(&all, &want_sib, why, sizeof why), "sibling tenant changed by the view: %s", why);
        llmspell_kv_close(&sib);
    }
    pairs_free(&want_root); pairs_free(&want_sib); pairs_free(&all); pairs_free(&user);
}

/* Opens a fresh store of kind b (opts may be NULL); 0 (with a recorded failure) if it cannot. */
static int store_open_at(const char *file, int line, store *s, const backend_desc *b, const llmspell_kv_options *opts)
{
    llmspell_result rc;
    memset(s, 0, sizeof *s);
    s->b = b;
    if (opts) s->opts = *opts;
    tmp_path(s->path, sizeof s->path, b->name);
#if COMPAT_HAS_POSTGRES
    if (b->kind == K_POSTGRES || b->kind == K_VIEW_POSTGRES) {
        char why[512];
        if (!compat_pg_fresh(s->path, sizeof s->path, why, sizeof why)) {
            harness_fail(file, line, "no PostgreSQL store: %s", why);
            return 0;
        }
    }
#endif
    rc = store_open_layers(s);
    if (rc != LLMSPELL_OK) {
        harness_fail(file, line, "opening a %s store failed: %s (%s)", b->name, rc_name(rc), llmspell_kv_errmsg(&s->root));
        return 0;
    }
    if (is_view(b) && !noise_write(s)) {
        harness_fail(file, line, "writing the noise around the view failed");
        store_close_layers(s);
        return 0;
    }
    return 1;
}
#define OPEN_STORE(s, b, opts) do { if (!store_open_at(__FILE__, __LINE__, &(s), b, opts)) return; } while (0)

/* Closes every layer and opens the same store again (persistent kinds only). */
static int store_reopen_at(const char *file, int line, store *s)
{
    llmspell_result rc;
    if (!s->b->persistent) { harness_fail(file, line, "test bug: reopen of a non-persistent store"); return 0; }
    store_close_layers(s);
    rc = store_open_layers(s);
    if (rc != LLMSPELL_OK) {
        harness_fail(file, line, "reopening the %s store failed: %s (%s)", s->b->name, rc_name(rc), llmspell_kv_errmsg(&s->root));
        return 0;
    }
    return 1;
}
#define REOPEN_STORE(s) do { if (!store_reopen_at(__FILE__, __LINE__, &(s))) return; } while (0)

static void store_close_at(const char *file, int line, store *s)
{
    if (!s->kv) return;
    if (is_view(s->b)) noise_check_at(file, line, s);
    store_close_layers(s);
}
#define CLOSE_STORE(s) store_close_at(__FILE__, __LINE__, &(s))

/* ------------------------------------------------------------------------------------------ */
/* >>conformance suite: every function takes the backend and runs on a fresh store             */

static void conf_basic(const void *arg)
{
    store s;
    llmspell_kv *kv;
    int ex = -1;
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;

    CHECK_ABSENT(kv, S("k1"));
    CHECK_RC(llmspell_kv_put(kv, S("k1"), S("v1")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("k1"), S("v1"));
    CHECK_RC(llmspell_kv_put(kv, S("k1"), S("value-2")), LLMSPELL_OK); /* overwrite, longer */
    CHECK_VALUE(kv, S("k1"), S("value-2"));
    CHECK_RC(llmspell_kv_put(kv, S("k1"), S("3")), LLMSPELL_OK);       /* overwrite, shorter */
    CHECK_VALUE(kv, S("k1"), S("3"));
    CHECK_RC(llmspell_kv_put(kv, S("k2"), S("v2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_exists(kv, S("k2"), &ex), LLMSPELL_OK);
    CHECK(ex == 1, "exists k2 = %d", ex);
    CHECK_ABSENT(kv, S("k"));   /* a prefix of existing keys is not a key */
    CHECK_ABSENT(kv, S("k10")); /* nor is an extension */

    CHECK_RC(llmspell_kv_delete(kv, S("k1")), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("k1"));
    CHECK_RC(llmspell_kv_delete(kv, S("k1")), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_delete(kv, S("never")), LLMSPELL_ERR_NOT_FOUND);
    CHECK_VALUE(kv, S("k2"), S("v2"));
    /* a deleted key can come back */
    CHECK_RC(llmspell_kv_put(kv, S("k1"), S("again")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("k1"), S("again"));
    CLOSE_STORE(s);
}

static void conf_values(const void *arg)
{
    store s;
    llmspell_kv *kv;
    uint8_t bin_val[300], *maxkey, *big;
    size_t i;
    const size_t big_n = 1u << 20;
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;

    /* empty value: present, length 0 */
    CHECK_RC(llmspell_kv_put(kv, S("empty"), "", 0), LLMSPELL_OK);
    CHECK_VALUE(kv, S("empty"), "", 0);

    /* binary keys and values with 0x00 bytes: lengths, not terminators, count */
    for (i = 0; i < sizeof bin_val; i++) bin_val[i] = (uint8_t)i;
    CHECK_RC(llmspell_kv_put(kv, S("\0"), S("zero")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("\0\0"), S("zero-zero")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a\0b"), bin_val, sizeof bin_val), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("\0\0\0")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a\0"), S("a-zero")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("\0"), S("zero"));
    CHECK_VALUE(kv, S("\0\0"), S("zero-zero"));
    CHECK_VALUE(kv, S("a\0b"), bin_val, sizeof bin_val);
    CHECK_VALUE(kv, S("a"), S("\0\0\0"));
    CHECK_VALUE(kv, S("a\0"), S("a-zero"));
    CHECK_ABSENT(kv, S("a\0c"));

    /* the largest key */
    maxkey = (uint8_t *)xmalloc(LLMSPELL_KV_MAX_KEY);
    fill_pattern(maxkey, LLMSPELL_KV_MAX_KEY, 1);
    maxkey[0] = 'm';
    CHECK_RC(llmspell_kv_put(kv, maxkey, LLMSPELL_KV_MAX_KEY, S("max")), LLMSPELL_OK);
    CHECK_VALUE(kv, maxkey, LLMSPELL_KV_MAX_KEY, S("max"));
    CHECK_ABSENT(kv, maxkey, LLMSPELL_KV_MAX_KEY - 1);
    CHECK_RC(llmspell_kv_delete(kv, maxkey, LLMSPELL_KV_MAX_KEY), LLMSPELL_OK);
    CHECK_ABSENT(kv, maxkey, LLMSPELL_KV_MAX_KEY);

    /* a 1 MiB value, then overwritten by a small one */
    big = (uint8_t *)xmalloc(big_n);
    fill_pattern(big, big_n, 2);
    CHECK_RC(llmspell_kv_put(kv, S("big"), big, big_n), LLMSPELL_OK);
    CHECK_VALUE(kv, S("big"), big, big_n);
    CHECK_RC(llmspell_kv_put(kv, S("big"), S("small")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("big"), S("small"));
    CHECK_RC(llmspell_kv_put(kv, maxkey, LLMSPELL_KV_MAX_KEY, big, big_n), LLMSPELL_OK);
    CHECK_VALUE(kv, maxkey, LLMSPELL_KV_MAX_KEY, big, big_n);
    free(maxkey);
    free(big);
    CLOSE_STORE(s);
}

static void conf_get_copy(const void *arg)
{
    store s;
    llmspell_kv *kv;
    void *c1 = NULL, *c2 = NULL;
    size_t n1 = 0, n2 = 99;
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("value\0one")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("e"), "", 0), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_get_copy(kv, S("k"), &c1, &n1), LLMSPELL_OK);
    /* the copy is ours: it outlives later calls and writes on the handle */
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("other")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("k2"), S("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")), LLMSPELL_OK);
    CHECK(c1 && n1 == 9 && memcmp(c1, "value\0one", 9) == 0, "copy = %s", hexs(c1, n1));
    if (c1) memset(c1, 'X', n1); /* writing the copy must not touch the store */
    CHECK_VALUE(kv, S("k"), S("other"));
    CHECK_RC(llmspell_kv_get_copy(kv, S("e"), &c2, &n2), LLMSPELL_OK);
    CHECK(n2 == 0, "copy of an empty value has length %zu", n2);
    llmspell_kv_free(kv, c1);
    llmspell_kv_free(kv, c2);
    c1 = NULL;
    CHECK_RC(llmspell_kv_get_copy(kv, S("missing"), &c1, &n1), LLMSPELL_ERR_NOT_FOUND);
    CLOSE_STORE(s);
}

static void conf_get_batch(const void *arg)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[5];
    void *block = NULL;
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("alpha")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("b"), "", 0), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("c\0"), S("see\0zero")), LLMSPELL_OK);
    memset(e, 0, sizeof e);
    e[0].key = "a"; e[0].klen = 1;
    e[1].key = "x"; e[1].klen = 1;          /* absent */
    e[2].key = "b"; e[2].klen = 1;          /* present, empty */
    e[3].key = "c\0"; e[3].klen = 2;
    e[4].key = "a"; e[4].klen = 1;          /* the same key twice */
    e[1].val = "junk"; e[1].vlen = 4;       /* must be reset to NULL/0 */
    REQUIRE_RC(llmspell_kv_get_batch(kv, e, 5, &block), LLMSPELL_OK);
    /* the values are copies: a write on the handle does not change them */
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("changed")), LLMSPELL_OK);
    CHECK(e[0].vlen == 5 && e[0].val && memcmp(e[0].val, "alpha", 5) == 0, "a = %s", hexs(e[0].val, e[0].vlen));
    CHECK(e[1].val == NULL && e[1].vlen == 0, "absent key: val %p vlen %zu", e[1].val, e[1].vlen);
    CHECK(e[2].vlen == 0, "empty value: vlen %zu", e[2].vlen);
    CHECK(e[3].vlen == 8 && e[3].val && memcmp(e[3].val, "see\0zero", 8) == 0, "c = %s", hexs(e[3].val, e[3].vlen));
    CHECK(e[4].vlen == 5 && e[4].val && memcmp(e[4].val, "alpha", 5) == 0, "a again = %s", hexs(e[4].val, e[4].vlen));
    llmspell_kv_free(kv, block);

    /* only absent keys */
    block = NULL;
    e[0].key = "q"; e[0].klen = 1;
    e[1].key = "r"; e[1].klen = 1;
    CHECK_RC(llmspell_kv_get_batch(kv, e, 2, &block), LLMSPELL_OK);
    CHECK(e[0].val == NULL && e[1].val == NULL, "absent keys got values");
    llmspell_kv_free(kv, block);
    CLOSE_STORE(s);
}

static void conf_put_batch(const void *arg)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[4];
    uint8_t *bigkey = (uint8_t *)xmalloc(LLMSPELL_KV_MAX_KEY + 1);
    memset(bigkey, 'K', LLMSPELL_KV_MAX_KEY + 1);
    memset(e, 0, sizeof e);
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;

    e[0].key = "a"; e[0].klen = 1; e[0].val = "1"; e[0].vlen = 1;
    e[1].key = "b"; e[1].klen = 1; e[1].val = "2"; e[1].vlen = 1;
    e[2].key = "a"; e[2].klen = 1; e[2].val = "3"; e[2].vlen = 1; /* a later equal key wins */
    e[3].key = "c\0"; e[3].klen = 2; e[3].val = ""; e[3].vlen = 0;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 4), LLMSPELL_OK);
    CHECK_VALUE(kv, S("a"), S("3"));
    CHECK_VALUE(kv, S("b"), S("2"));
    CHECK_VALUE(kv, S("c\0"), "", 0);

    /* all or nothing: one bad entry anywhere and nothing is written */
    e[0].key = "n1"; e[0].klen = 2;
    e[1].key = "b"; e[1].klen = 1; e[1].val = "overwritten"; e[1].vlen = 11;
    e[2].key = ""; e[2].klen = 0;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 3), LLMSPELL_ERR_INVALID);
    e[2].key = "\xFFsys"; e[2].klen = 4;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 3), LLMSPELL_ERR_RESERVED);
    e[2].key = bigkey; e[2].klen = LLMSPELL_KV_MAX_KEY + 1;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 3), LLMSPELL_ERR_TOO_LARGE);
    e[2].key = NULL; e[2].klen = 3;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 3), LLMSPELL_ERR_INVALID);
    CHECK_ABSENT(kv, S("n1"));
    CHECK_VALUE(kv, S("b"), S("2"));

    /* inside a transaction the batch joins it */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    e[2].key = "n2"; e[2].klen = 2;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 3), LLMSPELL_OK);
    CHECK_VALUE(kv, S("n1"), S("1"));
    CHECK_VALUE(kv, S("b"), S("overwritten"));
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("n1"));
    CHECK_ABSENT(kv, S("n2"));
    CHECK_VALUE(kv, S("b"), S("2"));
    CHECK_RC(llmspell_kv_put_batch(kv, e, 0), LLMSPELL_OK); /* empty batch: nothing to do */
    free(bigkey);
    CLOSE_STORE(s);
}

static void conf_delete_batch(const void *arg)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[4];
    memset(e, 0, sizeof e);
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("b"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("c"), S("3")), LLMSPELL_OK);
    e[0].key = "a"; e[0].klen = 1;
    e[1].key = "missing"; e[1].klen = 7; /* absent keys are skipped */
    e[2].key = "c"; e[2].klen = 1;
    e[3].key = "a"; e[3].klen = 1;       /* twice */
    CHECK_RC(llmspell_kv_delete_batch(kv, e, 4), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("a"));
    CHECK_ABSENT(kv, S("c"));
    CHECK_VALUE(kv, S("b"), S("2"));
    /* all or nothing */
    e[0].key = "b"; e[0].klen = 1;
    e[1].key = ""; e[1].klen = 0;
    CHECK_FAILS(kv, llmspell_kv_delete_batch(kv, e, 2), LLMSPELL_ERR_INVALID);
    e[1].key = "\xFFx"; e[1].klen = 2;
    CHECK_FAILS(kv, llmspell_kv_delete_batch(kv, e, 2), LLMSPELL_ERR_RESERVED);
    CHECK_VALUE(kv, S("b"), S("2"));
    /* inside a transaction */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete_batch(kv, e, 1), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("b"));
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_VALUE(kv, S("b"), S("2"));
    CLOSE_STORE(s);
}

static void conf_clear(const void *arg)
{
    store s;
    llmspell_kv *kv;
    pairs none = {0}, want = {0};
    llmspell_kv_stats st;
    int i;
    char k[16];
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    for (i = 0; i < 50; i++) {
        snprintf(k, sizeof k, "k%02d", i);
        CHECK_RC(llmspell_kv_put(kv, k, 3, k, 3), LLMSPELL_OK);
        pairs_set(&want, k, 3, k, 3);
    }
    /* a clear inside a transaction is rolled back like any write */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_clear(kv), LLMSPELL_OK);
    CHECK_CONTENT(kv, &none);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_CONTENT(kv, &want);

    CHECK_RC(llmspell_kv_clear(kv), LLMSPELL_OK);
    CHECK_CONTENT(kv, &none);
    CHECK_ABSENT(kv, S("k00"));
    CHECK_RC(llmspell_kv_stats_get(kv, &st), LLMSPELL_OK);
    CHECK(st.keys == 0 && st.bytes == 0, "after clear: keys %llu bytes %llu", (unsigned long long)st.keys,
          (unsigned long long)st.bytes);
    CHECK_RC(llmspell_kv_clear(kv), LLMSPELL_OK); /* clearing an empty store is fine */
    CHECK_RC(llmspell_kv_put(kv, S("after"), S("1")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("after"), S("1"));
    pairs_free(&want);
    CLOSE_STORE(s);
}

/* Keys in memcmp order, a shorter key before its extensions, 0x00 and high bytes included. */
static const char *const ORDER_KEYS[] = {"b", "a", "ab", "a\0", "a\xFF", "\x01", "\0", "abc", "b\0",
                                         "\xFE", "ac", "a\xFF\xFF", "a\x7F", "a\x80", "\xFE\xFF", "aa"};
static const size_t ORDER_LENS[] = {1, 1, 2, 2, 2, 1, 1, 3, 2, 1, 2, 3, 2, 2, 2, 2};
#define N_ORDER (sizeof ORDER_LENS / sizeof ORDER_LENS[0])

static void conf_scan_order(const void *arg)
{
    static const struct { const char *p; size_t n; } prefixes[] = {
        {"", 0}, {"a", 1}, {"a\xFF", 2}, {"ab", 2}, {"\0", 1}, {"\xFE", 1}, {"zz", 2}, {"a\0", 2},
        {"abcd", 4}, {"b", 1}};
    store s;
    llmspell_kv *kv;
    pairs model = {0}, want = {0};
    size_t i;
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    for (i = 0; i < N_ORDER; i++) { /* inserted out of order on purpose */
        char v[8];
        snprintf(v, sizeof v, "v%zu", i);
        CHECK_RC(llmspell_kv_put(kv, ORDER_KEYS[i], ORDER_LENS[i], v, strlen(v)), LLMSPELL_OK);
        pairs_set(&model, ORDER_KEYS[i], ORDER_LENS[i], v, strlen(v));
    }
    /* spot-check the model itself, so a wrong model cannot hide a wrong backend */
    REQUIRE(model.n == N_ORDER && model.p[0].kl == 1 && model.p[0].k[0] == 0 && model.p[1].k[0] == 1,
            "model order is wrong");
    for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        pairs_expect_scan(&model, prefixes[i].p, prefixes[i].n, NULL, 0, &want);
        CHECK_SCAN(kv, prefixes[i].p, prefixes[i].n, NULL, 0, &want);
    }
    /* the exact order under "a", written out */
    {
        static const char *const a_keys[] = {"a", "a\0", "aa", "ab", "abc", "ac", "a\x7F", "a\x80", "a\xFF", "a\xFF\xFF"};
        static const size_t a_lens[] = {1, 2, 2, 2, 3, 2, 2, 2, 2, 3};
        pairs got = {0};
        CHECK_RC(scan_collect(kv, S("a"), NULL, 0, &got), LLMSPELL_OK);
        CHECK(got.n == 10, "prefix a: %zu keys", got.n);
        for (i = 0; i < got.n && i < 10; i++)
            CHECK(key_cmp(got.p[i].k, got.p[i].kl, a_keys[i], a_lens[i]) == 0, "prefix a, entry %zu: %s, expected %s",
                  i, hexs(got.p[i].k, got.p[i].kl), hexs(a_keys[i], a_lens[i]));
        pairs_free(&got);
    }
    pairs_free(&model);
    pairs_free(&want);
    CLOSE_STORE(s);
}

static void conf_scan_start(const void *arg)
{
    static const struct { const char *s; size_t n; } starts[] = {
        {"k5", 2}, {"k55", 3}, {"a", 1}, {"k", 1}, {"z", 1}, {"k9", 2}, {"k9\0", 3}, {"k\xFF", 2}, {"j\xFF", 2}};
    store s;
    llmspell_kv *kv;
    pairs model = {0}, want = {0}, got = {0};
    llmspell_kv_iter *it = NULL;
    const void *k, *v;
    size_t kl, vl, i;
    char key[16];
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%zu", i);
        CHECK_RC(llmspell_kv_put(kv, key, 2, key, 2), LLMSPELL_OK);
        pairs_set(&model, key, 2, key, 2);
    }
    CHECK_RC(llmspell_kv_put(kv, S("j"), S("j")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("l"), S("l")), LLMSPELL_OK);
    pairs_set(&model, S("j"), S("j"));
    pairs_set(&model, S("l"), S("l"));
    for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        pairs_expect_scan(&model, S("k"), starts[i].s, starts[i].n, &want);
        CHECK_SCAN(kv, S("k"), starts[i].s, starts[i].n, &want);
        pairs_expect_scan(&model, NULL, 0, starts[i].s, starts[i].n, &want);
        CHECK_SCAN(kv, NULL, 0, starts[i].s, starts[i].n, &want);
    }
    /* seeking again, backwards and forwards, on one iterator */
    REQUIRE_RC(llmspell_kv_iter_open(kv, S("k"), &it), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_iter_seek(it, S("k7")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_iter_next(it, &k, &kl, &v, &vl), LLMSPELL_OK);
    CHECK(key_cmp(k, kl, S("k7")) == 0, "after seek k7: %s", hexs(k, kl));
    CHECK_RC(llmspell_kv_iter_seek(it, S("k2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_iter_next(it, &k, &kl, &v, &vl), LLMSPELL_OK);
    CHECK(key_cmp(k, kl, S("k2")) == 0, "after seek back to k2: %s", hexs(k, kl));
    CHECK_RC(llmspell_kv_iter_next(it, &k, &kl, &v, &vl), LLMSPELL_OK);
    CHECK(key_cmp(k, kl, S("k3")) == 0, "after k2: %s", hexs(k, kl));
    CHECK_RC(llmspell_kv_iter_seek(it, S("l")), LLMSPELL_OK); /* past the prefix */
    CHECK_RC(llmspell_kv_iter_next(it, &k, &kl, &v, &vl), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_iter_next(it, &k, &kl, &v, &vl), LLMSPELL_ERR_NOT_FOUND); /* and stays there */
    llmspell_kv_iter_close(it);
    pairs_free(&model); pairs_free(&want); pairs_free(&got);
    CLOSE_STORE(s);
}

typedef struct stop_ctx { int calls, stop_after; char last[8]; } stop_ctx;
static int stop_cb(void *user, const void *k, size_t kl, const void *v, size_t vl)
{
    stop_ctx *c = (stop_ctx *)user;
    (void)v; (void)vl;
    c->calls++;
    snprintf(c->last, sizeof c->last, "%.*s", (int)kl, (const char *)k);
    return c->calls >= c->stop_after;
}

static void conf_scan_stop(const void *arg)
{
    store s;
    llmspell_kv *kv;
    stop_ctx c;
    int i;
    char key[16];
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%d", i);
        CHECK_RC(llmspell_kv_put(kv, key, 2, "v", 1), LLMSPELL_OK);
    }
    memset(&c, 0, sizeof c);
    c.stop_after = 3;
    CHECK_RC(llmspell_kv_scan(kv, S("k"), NULL, 0, stop_cb, &c), LLMSPELL_OK);
    CHECK(c.calls == 3 && strcmp(c.last, "k2") == 0, "stopped after %d calls at %s", c.calls, c.last);
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    CHECK_RC(llmspell_kv_scan(kv, S("k"), S("k4"), stop_cb, &c), LLMSPELL_OK);
    CHECK(c.calls == 1 && strcmp(c.last, "k4") == 0, "stopped after %d calls at %s", c.calls, c.last);
    memset(&c, 0, sizeof c);
    c.stop_after = 100;
    CHECK_RC(llmspell_kv_scan(kv, S("k"), NULL, 0, stop_cb, &c), LLMSPELL_OK);
    CHECK(c.calls == 10, "full scan made %d calls", c.calls);
    /* the store is still fine after a stopped scan */
    CHECK_RC(llmspell_kv_put(kv, S("k5"), S("after")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("k5"), S("after"));
    CLOSE_STORE(s);
}

/* Writes during an iteration: the iterator continues after the last key it returned. */
static void conf_iter_writes(const void *arg)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_iter *it = NULL;
    const void *k, *v;
    size_t kl, vl;
    pairs got = {0};
    int i;
    char key[16];
    llmspell_result rc;
    static const char *const expect[] = {"k00", "k01", "k02", "k03", "k04", "k05", "k055", "k07", "k08", "k09", "k10"};
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        CHECK_RC(llmspell_kv_put(kv, key, 3, "old", 3), LLMSPELL_OK);
    }
    REQUIRE_RC(llmspell_kv_iter_open(kv, S("k"), &it), LLMSPELL_OK);
    while ((rc = llmspell_kv_iter_next(it, &k, &kl, &v, &vl)) == LLMSPELL_OK) {
        pairs_add(&got, k, kl, v, vl); /* copy before writing: the pointers die with the write */
        if (key_cmp(k, kl, S("k05")) == 0) {
            CHECK_RC(llmspell_kv_put(kv, S("k055"), S("new")), LLMSPELL_OK);  /* after: returned */
            CHECK_RC(llmspell_kv_delete(kv, S("k06")), LLMSPELL_OK);          /* after: skipped */
            CHECK_RC(llmspell_kv_put(kv, S("k03x"), S("new")), LLMSPELL_OK);  /* before: not returned */
            CHECK_RC(llmspell_kv_put(kv, S("k08"), S("new")), LLMSPELL_OK);   /* after: new value */
            CHECK_RC(llmspell_kv_put(kv, S("k10"), S("new")), LLMSPELL_OK);   /* at the end: returned */
            CHECK_RC(llmspell_kv_delete(kv, S("k05")), LLMSPELL_OK);          /* the current key */
        }
        if (got.n > 20) break;
    }
    CHECK_RC(rc, LLMSPELL_ERR_NOT_FOUND);
    llmspell_kv_iter_close(it);
    CHECK(got.n == sizeof expect / sizeof expect[0], "iteration returned %zu keys, expected %zu", got.n,
          sizeof expect / sizeof expect[0]);
    for (i = 0; i < (int)got.n && i < (int)(sizeof expect / sizeof expect[0]); i++) {
        int is_new = strcmp(expect[i], "k055") == 0 || strcmp(expect[i], "k08") == 0 || strcmp(expect[i], "k10") == 0;
        CHECK(key_cmp(got.p[i].k, got.p[i].kl, expect[i], strlen(expect[i])) == 0, "entry %d: %s, expected %s", i,
              hexs(got.p[i].k, got.p[i].kl), expect[i]);
        CHECK(key_cmp(got.p[i].v, got.p[i].vl, is_new ? "new" : "old", 3) == 0, "entry %d (%s): value %s", i,
              expect[i], hexs(got.p[i].v, got.p[i].vl));
    }
    pairs_free(&got);
    CLOSE_STORE(s);
}

static void conf_txn(const void *arg)
{
    store s;
    llmspell_kv *kv;
    pairs want = {0};
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("b"), S("2")), LLMSPELL_OK);

    /* rollback restores overwritten and deleted keys and drops new ones */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("10")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("c"), S("3")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("c"), S("33")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("a"), S("10")); /* reads see the transaction's own writes */
    CHECK_ABSENT(kv, S("b"));
    CHECK_VALUE(kv, S("c"), S("33"));
    CHECK_RC(llmspell_kv_delete(kv, S("b")), LLMSPELL_ERR_NOT_FOUND);
    pairs_set(&want, S("a"), S("10"));
    pairs_set(&want, S("c"), S("33"));
    CHECK_CONTENT(kv, &want); /* and so do scans */
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_VALUE(kv, S("a"), S("1"));
    CHECK_VALUE(kv, S("b"), S("2"));
    CHECK_ABSENT(kv, S("c"));
    pairs_clear(&want);
    pairs_set(&want, S("a"), S("1"));
    pairs_set(&want, S("b"), S("2"));
    CHECK_CONTENT(kv, &want);

    /* commit keeps them */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("10")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("c"), S("3")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    CHECK_VALUE(kv, S("a"), S("10"));
    CHECK_ABSENT(kv, S("b"));
    CHECK_VALUE(kv, S("c"), S("3"));

    /* a delete and re-put of one key in one transaction, rolled back */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("a")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("x")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_VALUE(kv, S("a"), S("10"));

    /* misuse */
    CHECK_FAILS(kv, llmspell_kv_commit(kv), LLMSPELL_ERR_TXN);
    CHECK_FAILS(kv, llmspell_kv_rollback(kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_FAILS(kv, llmspell_kv_begin(kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_put(kv, S("d"), S("4")), LLMSPELL_OK); /* the open transaction goes on */
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    CHECK_VALUE(kv, S("d"), S("4"));
    CHECK_FAILS(kv, llmspell_kv_commit(kv), LLMSPELL_ERR_TXN);
    /* an empty transaction */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    pairs_free(&want);
    CLOSE_STORE(s);
}

static void check_stats_at(const char *file, int line, llmspell_kv *kv, uint64_t keys, uint64_t bytes)
{
    llmspell_kv_stats st;
    memset(&st, 0xAB, sizeof st);
    CHECK_RC_AT(file, line, llmspell_kv_stats_get(kv, &st), LLMSPELL_OK);
    CHECK_AT(file, line, st.keys == keys && st.bytes == bytes, "stats keys %llu bytes %llu, expected %llu and %llu",
             (unsigned long long)st.keys, (unsigned long long)st.bytes, (unsigned long long)keys,
             (unsigned long long)bytes);
}
#define CHECK_STATS(kv, keys, bytes) check_stats_at(__FILE__, __LINE__, kv, keys, bytes)

static void conf_stats(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv *kv;
    llmspell_kv_stats st;
    pairs want = {0};
    OPEN_STORE(s, b, NULL);
    kv = s.kv;
    CHECK_STATS(kv, 0, 0);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("12345")), LLMSPELL_OK);         /* 1 + 5 */
    CHECK_RC(llmspell_kv_put(kv, S("bb"), "", 0), LLMSPELL_OK);             /* 2 + 0 */
    CHECK_RC(llmspell_kv_put(kv, S("c\0c"), S("\0\0\0\0")), LLMSPELL_OK);   /* 3 + 4 */
    CHECK_STATS(kv, 3, 15);
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1")), LLMSPELL_OK);             /* 1 + 1 */
    CHECK_STATS(kv, 3, 11);
    CHECK_RC(llmspell_kv_delete(kv, S("bb")), LLMSPELL_OK);
    CHECK_STATS(kv, 2, 9);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("dddd"), S("dddd")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_STATS(kv, 2, 9);
    CHECK_RC(llmspell_kv_stats_get(kv, &st), LLMSPELL_OK);
    if (b->kind == K_MEMORY || b->kind == K_VIEW_MEMORY || b->kind == K_VIEW_NESTED)
        CHECK(st.file_size == 0 && st.dead_bytes == 0, "memory: file_size %llu dead_bytes %llu",
              (unsigned long long)st.file_size, (unsigned long long)st.dead_bytes);
    if (b->kind == K_FILE || b->kind == K_VIEW_FILE)
        CHECK(st.file_size > 0, "file: file_size 0");
    /* sync and compact are valid everywhere and change no data */
    CHECK_RC(llmspell_kv_sync(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_compact(kv), LLMSPELL_OK);
    CHECK_STATS(kv, 2, 9);
    pairs_set(&want, S("a"), S("1"));
    pairs_set(&want, S("c\0c"), S("\0\0\0\0"));
    CHECK_CONTENT(kv, &want);
    pairs_free(&want);
    CLOSE_STORE(s);
}

static void conf_characteristics(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv_characteristics ch;
    const char *name;
    OPEN_STORE(s, b, NULL);
    memset(&ch, 0x5A, sizeof ch);
    CHECK_RC(llmspell_kv_characteristics_get(s.kv, &ch), LLMSPELL_OK);
    CHECK(ch.persistent == b->persistent, "persistent = %d, expected %d", ch.persistent, b->persistent);
    /* every built-in backend passes the transaction and batch tests, so it must say so */
    CHECK(ch.transactional == 1, "transactional = %d", ch.transactional);
    CHECK(ch.supports_atomic_ops == 1, "supports_atomic_ops = %d", ch.supports_atomic_ops);
    CHECK(ch.supports_prefix_scan == 0 || ch.supports_prefix_scan == 1, "supports_prefix_scan = %d",
          ch.supports_prefix_scan);
    name = llmspell_kv_name(s.kv);
    CHECK(name && strcmp(name, b->kv_name) == 0, "name %s, expected %s", name ? name : "NULL", b->kv_name);
    CLOSE_STORE(s);
    name = llmspell_kv_name(&s.root);
    CHECK(name && strcmp(name, "closed") == 0, "name after close: %s", name ? name : "NULL");
}

/* Close and reopen: committed data is there, rolled-back and uncommitted data is not. */
static void conf_persist(const void *arg)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[2];
    pairs want = {0}, none = {0};
    uint8_t *big = (uint8_t *)xmalloc(1u << 20);
    fill_pattern(big, 1u << 20, 3);
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("b"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("big"), big, 1u << 20), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("\0\xFE\0"), S("\0\0")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("empty"), "", 0), LLMSPELL_OK);
    memset(e, 0, sizeof e);
    e[0].key = "c"; e[0].klen = 1; e[0].val = "3"; e[0].vlen = 1;
    e[1].key = "d"; e[1].klen = 1; e[1].val = "4"; e[1].vlen = 1;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 2), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK); /* committed */
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("e"), S("5")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK); /* rolled back */
    CHECK_RC(llmspell_kv_put(kv, S("f"), S("6")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("c")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("d")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK); /* left open: close rolls it back */
    CHECK_RC(llmspell_kv_put(kv, S("g"), S("7")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(kv, S("a")), LLMSPELL_OK);

    pairs_set(&want, S("a"), S("1b"));
    pairs_set(&want, S("big"), big, 1u << 20);
    pairs_set(&want, S("\0\xFE\0"), S("\0\0"));
    pairs_set(&want, S("empty"), "", 0);
    pairs_set(&want, S("c"), S("3"));
    pairs_set(&want, S("e"), S("5"));
    REOPEN_STORE(s);
    kv = s.kv;
    CHECK_CONTENT(kv, &want);
    CHECK_STATS(kv, want.n, pairs_bytes(&want));
    /* a second generation of writes on the reopened store, and a clear */
    CHECK_RC(llmspell_kv_put(kv, S("h"), S("8")), LLMSPELL_OK);
    pairs_set(&want, S("h"), S("8"));
    REOPEN_STORE(s);
    kv = s.kv;
    CHECK_CONTENT(kv, &want);
    CHECK_RC(llmspell_kv_clear(kv), LLMSPELL_OK);
    REOPEN_STORE(s);
    kv = s.kv;
    CHECK_CONTENT(kv, &none);
    CHECK_RC(llmspell_kv_put(kv, S("z"), S("after clear")), LLMSPELL_OK);
    REOPEN_STORE(s);
    CHECK_VALUE(s.kv, S("z"), S("after clear"));
    free(big);
    pairs_free(&want);
    CLOSE_STORE(s);
}

/* Bad input: each call fails with its own code and a message, and changes nothing. */
static void conf_bad_input(const void *arg)
{
    store s;
    llmspell_kv *kv;
    pairs before = {0}, after = {0};
    const void *v = NULL;
    size_t vl = 0;
    int ex = 0;
    void *copy = NULL;
    llmspell_kv_entry e[2];
    uint8_t *bigkey = (uint8_t *)xmalloc(LLMSPELL_KV_MAX_KEY + 1);
    /* calloc: the pages of the oversized value are never touched unless the library reads them */
    uint8_t *bigval = (uint8_t *)calloc(1, (size_t)LLMSPELL_KV_MAX_VALUE + 1);
    char why[512];
    REQUIRE(bigval != NULL, "calloc of the oversized value failed");
    memset(bigkey, 'K', LLMSPELL_KV_MAX_KEY + 1);
    memset(e, 0, sizeof e);
    OPEN_STORE(s, (const backend_desc *)arg, NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("K"), S("2")), LLMSPELL_OK);
    CHECK_RC(scan_collect(kv, NULL, 0, NULL, 0, &before), LLMSPELL_OK);

    /* NULL handle: no message to read, only the code */
    CHECK_RC(llmspell_kv_put(NULL, S("a"), S("x")), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_kv_get(NULL, S("a"), &v, &vl), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_kv_delete(NULL, S("a")), LLMSPELL_ERR_INVALID);
    /* NULL pointers */
    CHECK_FAILS(kv, llmspell_kv_put(kv, NULL, 1, S("x")), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_put(kv, S("a"), NULL, 3), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get(kv, NULL, 1, &v, &vl), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get(kv, S("a"), NULL, &vl), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get(kv, S("a"), &v, NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get_copy(kv, S("a"), NULL, &vl), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_exists(kv, S("a"), NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_delete(kv, NULL, 1), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, NULL, 2), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_iter_open(kv, S("a"), NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_scan(kv, NULL, 0, NULL, 0, NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_stats_get(kv, NULL), LLMSPELL_ERR_INVALID);
    e[0].key = "a"; e[0].klen = 1; e[0].val = NULL; e[0].vlen = 5;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 1), LLMSPELL_ERR_INVALID);
    /* empty key */
    CHECK_FAILS(kv, llmspell_kv_put(kv, "", 0, S("x")), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get(kv, "", 0, &v, &vl), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_delete(kv, "", 0), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_exists(kv, "", 0, &ex), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_get_copy(kv, "", 0, &copy, &vl), LLMSPELL_ERR_INVALID);
    /* too large */
    CHECK_FAILS(kv, llmspell_kv_put(kv, bigkey, LLMSPELL_KV_MAX_KEY + 1, S("x")), LLMSPELL_ERR_TOO_LARGE);
    CHECK_FAILS(kv, llmspell_kv_get(kv, bigkey, LLMSPELL_KV_MAX_KEY + 1, &v, &vl), LLMSPELL_ERR_TOO_LARGE);
    CHECK_FAILS(kv, llmspell_kv_delete(kv, bigkey, LLMSPELL_KV_MAX_KEY + 1), LLMSPELL_ERR_TOO_LARGE);
    CHECK_FAILS(kv, llmspell_kv_put(kv, S("a"), bigval, (size_t)LLMSPELL_KV_MAX_VALUE + 1), LLMSPELL_ERR_TOO_LARGE);
    e[0].key = "a"; e[0].klen = 1; e[0].val = bigval; e[0].vlen = (size_t)LLMSPELL_KV_MAX_VALUE + 1;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 1), LLMSPELL_ERR_TOO_LARGE);
    /* the system namespace is not for user writes... */
    CHECK_FAILS(kv, llmspell_kv_put(kv, S("\xFFsys"), S("x")), LLMSPELL_ERR_RESERVED);
    CHECK_FAILS(kv, llmspell_kv_put(kv, S("\xFF"), S("x")), LLMSPELL_ERR_RESERVED);
    CHECK_FAILS(kv, llmspell_kv_delete(kv, S("\xFFsys")), LLMSPELL_ERR_RESERVED);
    e[0].key = "b"; e[0].klen = 1; e[0].val = "x"; e[0].vlen = 1;
    e[1].key = "\xFFsys"; e[1].klen = 4; e[1].val = "x"; e[1].vlen = 1;
    CHECK_FAILS(kv, llmspell_kv_put_batch(kv, e, 2), LLMSPELL_ERR_RESERVED);
    /* transaction misuse */
    CHECK_FAILS(kv, llmspell_kv_commit(kv), LLMSPELL_ERR_TXN);
    CHECK_FAILS(kv, llmspell_kv_rollback(kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_FAILS(kv, llmspell_kv_begin(kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);

    CHECK_RC(scan_collect(kv, NULL, 0, NULL, 0, &after), LLMSPELL_OK);
    CHECK(pairs_equal(&after, &before, why, sizeof why), "bad input changed the store: %s", why);

    /* ...but the *_sys functions write there */
    CHECK_RC(llmspell_kv_put_sys(kv, S("\xFFsys"), S("system")), LLMSPELL_OK);
    CHECK_VALUE(kv, S("\xFFsys"), S("system"));
    CHECK_RC(llmspell_kv_delete_sys(kv, S("\xFFsys")), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("\xFFsys"));
    CHECK_RC(llmspell_kv_delete_sys(kv, S("\xFFsys")), LLMSPELL_ERR_NOT_FOUND);
    CHECK_FAILS(kv, llmspell_kv_put_sys(kv, "", 0, S("x")), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_put_sys(kv, bigkey, LLMSPELL_KV_MAX_KEY + 1, S("x")), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(scan_collect(kv, NULL, 0, NULL, 0, &after), LLMSPELL_OK);
    CHECK(pairs_equal(&after, &before, why, sizeof why), "store changed: %s", why);
    free(bigkey);
    free(bigval);
    pairs_free(&before);
    pairs_free(&after);
    CLOSE_STORE(s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>randomized model test: thousands of random operations checked against a sorted array     */

#define MODEL_OPS 4000
#define MODEL_MAX_KEY 5

/* A small alphabet so that keys and prefixes collide often; 0x00, 0xFE and (past the first
   byte) 0xFF stress escaping and the prefix successor. */
static size_t model_key(rng *r, uint8_t *k, size_t maxlen, int may_be_empty)
{
    static const uint8_t alpha[] = {0x00, 0x01, 'a', 0xFE, 0xFF};
    size_t n = (may_be_empty ? 0 : 1) + rng_below(r, (unsigned)(maxlen + (may_be_empty ? 1 : 0)));
    size_t i;
    for (i = 0; i < n; i++) k[i] = alpha[rng_below(r, i == 0 ? 4 : 5)]; /* user keys never start with 0xFF */
    return n;
}

static size_t model_value(rng *r, uint8_t *v)
{
    size_t n = rng_below(r, 4) == 0 ? 0 : rng_below(r, 24), i;
    for (i = 0; i < n; i++) v[i] = (uint8_t)rng_next(r);
    return n;
}

static void model_run(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv *kv;
    llmspell_kv_options o;
    rng r = {20240601};
    pairs model = {0}, snap = {0}, want = {0}, got = {0};
    int in_txn = 0, op;
    char why[512];

    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST; /* the model checks logic, not fsync */
    OPEN_STORE(s, b, &o);
    kv = s.kv;
    for (op = 0; op < MODEL_OPS && harness_failures == 0; op++) {
        uint8_t k[MODEL_MAX_KEY], v[32], k2[MODEL_MAX_KEY];
        size_t kl, vl, k2l;
        unsigned c = rng_below(&r, 100);
        llmspell_result rc;

        if (b->persistent && op % 1000 == 999) {
            /* reopen mid-run; an open transaction is lost with the close */
            if (in_txn) { pairs_copy(&model, &snap); in_txn = 0; }
            REOPEN_STORE(s);
            kv = s.kv;
            CHECK_CONTENT(kv, &model);
            continue;
        }
        if (c < 35) { /* put */
            kl = model_key(&r, k, MODEL_MAX_KEY, 0);
            vl = model_value(&r, v);
            rc = llmspell_kv_put(kv, k, kl, v, vl);
            CHECK(rc == LLMSPELL_OK, "op %d: put %s: %s", op, hexs(k, kl), rc_name(rc));
            pairs_set(&model, k, kl, v, vl);
        } else if (c < 50) { /* delete, present or not */
            int present;
            kl = model_key(&r, k, MODEL_MAX_KEY, 0);
            present = pairs_del(&model, k, kl);
            rc = llmspell_kv_delete(kv, k, kl);
            CHECK(rc == (present ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND), "op %d: delete %s (%s): %s", op,
                  hexs(k, kl), present ? "present" : "absent", rc_name(rc));
        } else if (c < 58) { /* point read */
            const pair *e;
            const void *gv = NULL;
            size_t gl = 0;
            kl = model_key(&r, k, MODEL_MAX_KEY, 0);
            e = pairs_get(&model, k, kl);
            rc = llmspell_kv_get(kv, k, kl, &gv, &gl);
            if (e)
                CHECK(rc == LLMSPELL_OK && gl == e->vl && (gl == 0 || memcmp(gv, e->v, gl) == 0),
                      "op %d: get %s: %s %s, expected %s", op, hexs(k, kl), rc_name(rc), hexs(gv, gl), hexs(e->v, e->vl));
            else
                CHECK(rc == LLMSPELL_ERR_NOT_FOUND, "op %d: get absent %s: %s", op, hexs(k, kl), rc_name(rc));
        } else if (c < 62) { /* put batch, with duplicates */
            llmspell_kv_entry e[6];
            uint8_t keys[6][MODEL_MAX_KEY], vals[6][32];
            size_t n = 1 + rng_below(&r, 6), i;
            for (i = 0; i < n; i++) {
                if (i > 0 && rng_below(&r, 3) == 0) { memcpy(keys[i], e[i - 1].key, e[i - 1].klen); e[i].klen = e[i - 1].klen; }
                else e[i].klen = model_key(&r, keys[i], MODEL_MAX_KEY, 0);
                e[i].key = keys[i];
                e[i].vlen = model_value(&r, vals[i]);
                e[i].val = vals[i];
            }
            rc = llmspell_kv_put_batch(kv, e, n);
            CHECK(rc == LLMSPELL_OK, "op %d: put_batch: %s", op, rc_name(rc));
            for (i = 0; i < n; i++) pairs_set(&model, e[i].key, e[i].klen, e[i].val, e[i].vlen);
        } else if (c < 65) { /* delete batch */
            llmspell_kv_entry e[4];
            uint8_t keys[4][MODEL_MAX_KEY];
            size_t n = 1 + rng_below(&r, 4), i;
            memset(e, 0, sizeof e);
            for (i = 0; i < n; i++) {
                e[i].klen = model_key(&r, keys[i], MODEL_MAX_KEY, 0);
                e[i].key = keys[i];
            }
            rc = llmspell_kv_delete_batch(kv, e, n);
            CHECK(rc == LLMSPELL_OK, "op %d: delete_batch: %s", op, rc_name(rc));
            for (i = 0; i < n; i++) pairs_del(&model, e[i].key, e[i].klen);
        } else if (c < 71) { /* transactions */
            if (!in_txn) {
                rc = llmspell_kv_begin(kv);
                CHECK(rc == LLMSPELL_OK, "op %d: begin: %s", op, rc_name(rc));
                pairs_copy(&snap, &model);
                in_txn = 1;
            } else if (rng_below(&r, 2)) {
                rc = llmspell_kv_commit(kv);
                CHECK(rc == LLMSPELL_OK, "op %d: commit: %s", op, rc_name(rc));
                in_txn = 0;
            } else {
                rc = llmspell_kv_rollback(kv);
                CHECK(rc == LLMSPELL_OK, "op %d: rollback: %s", op, rc_name(rc));
                pairs_copy(&model, &snap);
                in_txn = 0;
            }
        } else if (c < 93) { /* scan a random prefix, sometimes from a start key */
            int with_start = rng_below(&r, 2);
            kl = model_key(&r, k, 2, 1);
            k2l = model_key(&r, k2, MODEL_MAX_KEY, 0);
            pairs_expect_scan(&model, k, kl, with_start ? k2 : NULL, k2l, &want);
            if (rng_below(&r, 2)) rc = scan_collect(kv, k, kl, with_start ? k2 : NULL, k2l, &got);
            else rc = iter_collect(kv, k, kl, with_start ? k2 : NULL, k2l, &got);
            CHECK(rc == LLMSPELL_OK, "op %d: scan: %s", op, rc_name(rc));
            CHECK(pairs_equal(&got, &want, why, sizeof why), "op %d: scan prefix %s start %s: %s", op, hexs(k, kl),
                  with_start ? hexs(k2, k2l) : "NULL", why);
        } else if (c < 95) { /* stats */
            llmspell_kv_stats st;
            rc = llmspell_kv_stats_get(kv, &st);
            CHECK(rc == LLMSPELL_OK && st.keys == model.n && st.bytes == pairs_bytes(&model),
                  "op %d: stats %s keys %llu bytes %llu, expected %zu and %llu", op, rc_name(rc),
                  (unsigned long long)st.keys, (unsigned long long)st.bytes, model.n,
                  (unsigned long long)pairs_bytes(&model));
        } else if (c < 97) { /* exists */
            int ex = -1;
            kl = model_key(&r, k, MODEL_MAX_KEY, 0);
            rc = llmspell_kv_exists(kv, k, kl, &ex);
            CHECK(rc == LLMSPELL_OK && ex == (pairs_get(&model, k, kl) != NULL), "op %d: exists %s: %s %d", op,
                  hexs(k, kl), rc_name(rc), ex);
        } else if (c < 99) { /* get_batch */
            llmspell_kv_entry e[3];
            uint8_t keys[3][MODEL_MAX_KEY];
            void *block = NULL;
            size_t i;
            memset(e, 0, sizeof e);
            for (i = 0; i < 3; i++) { e[i].klen = model_key(&r, keys[i], MODEL_MAX_KEY, 0); e[i].key = keys[i]; }
            rc = llmspell_kv_get_batch(kv, e, 3, &block);
            CHECK(rc == LLMSPELL_OK, "op %d: get_batch: %s", op, rc_name(rc));
            for (i = 0; rc == LLMSPELL_OK && i < 3; i++) {
                const pair *m = pairs_get(&model, e[i].key, e[i].klen);
                if (m) CHECK(e[i].vlen == m->vl && (m->vl == 0 || (e[i].val && memcmp(e[i].val, m->v, m->vl) == 0)),
                             "op %d: get_batch %s = %s, expected %s", op, hexs(e[i].key, e[i].klen),
                             hexs(e[i].val, e[i].vlen), hexs(m->v, m->vl));
                else CHECK(e[i].val == NULL, "op %d: get_batch absent %s has a value", op, hexs(e[i].key, e[i].klen));
            }
            llmspell_kv_free(kv, block);
        } else if (rng_below(&r, 3) == 0) { /* now and then, a clear */
            rc = llmspell_kv_clear(kv);
            CHECK(rc == LLMSPELL_OK, "op %d: clear: %s", op, rc_name(rc));
            pairs_clear(&model);
        }
    }
    if (in_txn) CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    CHECK_CONTENT(kv, &model);
    if (b->persistent) {
        REOPEN_STORE(s);
        CHECK_CONTENT(s.kv, &model);
    }
    pairs_free(&model); pairs_free(&snap); pairs_free(&want); pairs_free(&got);
    CLOSE_STORE(s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>tenant isolation                                                                          */

typedef struct tenant_id { const char *id; size_t n; } tenant_id;
#define T(lit) {(lit), sizeof(lit) - 1}
static const tenant_id TENANTS[] = {
    T("t1"), T("t10"), T(""), T("a:b"), T("a"), T("a\0b"), T(":"), T("/"), T("t1/x"), T("t1\0"), T("\0"),
    T("\xFF"), T("\xFF\xFF"), T("t1\xFF"), T("x:/\0\xFFy"), {NULL, 1000} /* the long id, filled in at run time */
};
#define N_TENANTS (sizeof TENANTS / sizeof TENANTS[0])
/* Keys that would collide under a naive "tenant + key" or "tenant:key" encoding. */
static const char *const TKEYS[] = {"k", "0k", ":bk", ":b", "\0k", "b:k", "\xFE", "/x", "\0", "1"};
static const size_t TKEY_LENS[] = {1, 2, 3, 2, 2, 3, 1, 2, 1, 1};
#define N_TKEYS (sizeof TKEY_LENS / sizeof TKEY_LENS[0])

typedef struct tenant_world {
    store s;                          /* the root store (memory or file) */
    llmspell_kv views[N_TENANTS];
    pairs want[N_TENANTS];            /* what each view must hold */
    pairs root_user;                  /* the root's own user keys */
    size_t extra_sys[N_TENANTS];      /* keys of views nested in view i */
    uint8_t long_id[1000];
} tenant_world;

static const void *tenant_bytes(tenant_world *w, size_t i) { return TENANTS[i].id ? (const void *)TENANTS[i].id : (const void *)w->long_id; }

static int tenant_open_views(tenant_world *w)
{
    size_t i;
    for (i = 0; i < N_TENANTS; i++) {
        llmspell_result rc = llmspell_kv_open_tenant(&w->views[i], w->s.kv, tenant_bytes(w, i), TENANTS[i].n);
        CHECK(rc == LLMSPELL_OK, "open_tenant %zu (%s): %s", i, hexs(tenant_bytes(w, i), TENANTS[i].n), rc_name(rc));
        if (rc != LLMSPELL_OK) return 0;
    }
    return 1;
}

static void tenant_close_views(tenant_world *w)
{
    size_t i;
    for (i = 0; i < N_TENANTS; i++) CHECK_RC(llmspell_kv_close(&w->views[i]), LLMSPELL_OK);
}

/* Every view holds exactly its own keys (plus extra_sys[i] system keys of views nested in it);
   the root's user keys are its own, and everything the views wrote sits in the root under 0xFF. */
static void tenant_check_all_at(const char *file, int line, tenant_world *w, const char *when)
{
    pairs all = {0}, part = {0}, want_part = {0};
    char why[512];
    size_t i, j, view_keys = 0;
    for (i = 0; i < N_TENANTS; i++) {
        CHECK_RC_AT(file, line, scan_collect(&w->views[i], NULL, 0, NULL, 0, &all), LLMSPELL_OK);
        pairs_split(&all, 0, &part);
        pairs_split(&w->want[i], 0, &want_part);
        CHECK_AT(file, line, pairs_equal(&part, &want_part, why, sizeof why), "%s: tenant %zu (%s): %s", when, i,
                 hexs(tenant_bytes(w, i), TENANTS[i].n), why);
        pairs_split(&all, 1, &part);
        pairs_split(&w->want[i], 1, &want_part);
        CHECK_AT(file, line, part.n == want_part.n + w->extra_sys[i], "%s: tenant %zu has %zu system keys, expected %zu",
                 when, i, part.n, want_part.n + w->extra_sys[i]);
        for (j = 0; j < want_part.n; j++) {
            const pair *g = pairs_get(&part, want_part.p[j].k, want_part.p[j].kl);
            CHECK_AT(file, line, g && g->vl == want_part.p[j].vl && memcmp(g->v, want_part.p[j].v, g->vl) == 0,
                     "%s: tenant %zu: system key %s missing or wrong", when, i, hexs(want_part.p[j].k, want_part.p[j].kl));
        }
        view_keys += w->want[i].n + w->extra_sys[i];
    }
    CHECK_RC_AT(file, line, scan_collect(w->s.kv, NULL, 0, NULL, 0, &all), LLMSPELL_OK);
    pairs_split(&all, 0, &part);
    CHECK_AT(file, line, pairs_equal(&part, &w->root_user, why, sizeof why), "%s: root user keys: %s", when, why);
    pairs_split(&all, 1, &part);
    CHECK_AT(file, line, part.n == view_keys, "%s: root has %zu system keys, the views hold %zu", when, part.n, view_keys);
    pairs_free(&all);
    pairs_free(&part);
    pairs_free(&want_part);
}
#define TENANT_CHECK_ALL(w, when) tenant_check_all_at(__FILE__, __LINE__, w, when)

static void tenant_isolation(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    tenant_world *w = (tenant_world *)calloc(1, sizeof *w);
    size_t i, j;
    char val[64];
    llmspell_kv_entry e[2];
    llmspell_kv nested, *t1, *t10;
    pairs nested_want = {0};
    REQUIRE(w != NULL, "calloc");
    fill_pattern(w->long_id, sizeof w->long_id, 9);
    w->long_id[10] = 0; w->long_id[20] = 0xFF; w->long_id[30] = ':';
    if (!store_open_at(__FILE__, __LINE__, &w->s, b, NULL)) { free(w); return; }

    for (j = 0; j < N_TKEYS; j++) { /* the root holds the same keys */
        CHECK_RC(llmspell_kv_put(w->s.kv, TKEYS[j], TKEY_LENS[j], S("root")), LLMSPELL_OK);
        pairs_set(&w->root_user, TKEYS[j], TKEY_LENS[j], S("root"));
    }
    if (!tenant_open_views(w)) goto out;
    for (i = 0; i < N_TENANTS; i++) {
        for (j = 0; j < N_TKEYS; j++) {
            snprintf(val, sizeof val, "tenant-%zu-key-%zu", i, j);
            CHECK_RC(llmspell_kv_put(&w->views[i], TKEYS[j], TKEY_LENS[j], val, strlen(val)), LLMSPELL_OK);
            pairs_set(&w->want[i], TKEYS[j], TKEY_LENS[j], val, strlen(val));
        }
        CHECK_STATS(&w->views[i], w->want[i].n, pairs_bytes(&w->want[i]));
        /* a view's own system keys stay inside the view too */
        CHECK_RC(llmspell_kv_put_sys(&w->views[i], S("\xFFsys"), S("view-sys")), LLMSPELL_OK);
        pairs_set(&w->want[i], S("\xFFsys"), S("view-sys"));
        CHECK_RC(llmspell_kv_put(&w->views[i], S("\xFFsys"), S("x")), LLMSPELL_ERR_RESERVED);
    }
    /* "t1\0" must not be reachable from "t1": not as a system key of t1 (an escaped 0x00 in the
       tenant id must not look like the end of "t1" followed by a 0xFF key) */
    {
        const void *v = NULL;
        size_t vl = 0;
        llmspell_result rc = llmspell_kv_get(&w->views[0], S("\xFF\0k"), &v, &vl);
        CHECK(rc == LLMSPELL_ERR_NOT_FOUND, "view t1 reads key \\xFF\\0k as %s %s: tenant t1\\0's data leaks into t1",
              rc_name(rc), rc == LLMSPELL_OK ? hexs(v, vl) : "");
        rc = llmspell_kv_get(&w->views[2], S("\xFF\0k"), &v, &vl);
        CHECK(rc == LLMSPELL_ERR_NOT_FOUND, "view \"\" reads key \\xFF\\0k as %s %s: tenant \\0's data leaks",
              rc_name(rc), rc == LLMSPELL_OK ? hexs(v, vl) : "");
    }
    TENANT_CHECK_ALL(w, "after the writes");
    CHECK_ABSENT(w->s.kv, S("\xFFsys"));
    for (i = 0; i < N_TENANTS; i++) {
        snprintf(val, sizeof val, "tenant-%zu-key-%zu", i, (size_t)0);
        CHECK_VALUE(&w->views[i], S("k"), val, strlen(val));
    }
    CHECK_RC(llmspell_kv_put(w->s.kv, S("only-in-root"), S("r")), LLMSPELL_OK);
    pairs_set(&w->root_user, S("only-in-root"), S("r"));
    for (i = 0; i < N_TENANTS; i++) CHECK_ABSENT(&w->views[i], S("only-in-root"));

    t1 = &w->views[0];
    t10 = &w->views[1];
    /* delete in t1 leaves t10 and the root alone */
    CHECK_RC(llmspell_kv_delete(t1, S("k")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(t1, S("0k")), LLMSPELL_OK);
    pairs_del(&w->want[0], S("k"));
    pairs_del(&w->want[0], S("0k"));
    CHECK_RC(llmspell_kv_delete(t1, S("k")), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_delete(t1, S("only-in-root")), LLMSPELL_ERR_NOT_FOUND);
    TENANT_CHECK_ALL(w, "after deletes in t1");
    /* delete_batch in "a" leaves "a:b" alone */
    memset(e, 0, sizeof e);
    e[0].key = ":bk"; e[0].klen = 3;
    e[1].key = ":b"; e[1].klen = 2;
    CHECK_RC(llmspell_kv_delete_batch(&w->views[4], e, 2), LLMSPELL_OK);
    pairs_del(&w->want[4], S(":bk"));
    pairs_del(&w->want[4], S(":b"));
    TENANT_CHECK_ALL(w, "after delete_batch in a");
    /* clear of the empty tenant and of "\xFF" leaves everybody else alone */
    CHECK_RC(llmspell_kv_clear(&w->views[2]), LLMSPELL_OK);
    pairs_clear(&w->want[2]);
    CHECK_RC(llmspell_kv_clear(&w->views[11]), LLMSPELL_OK);
    pairs_clear(&w->want[11]);
    TENANT_CHECK_ALL(w, "after clears");
    for (i = 0; i < N_TENANTS; i++) CHECK_STATS(&w->views[i], w->want[i].n, pairs_bytes(&w->want[i]));
    /* a transaction through one view covers the store; a rollback undoes it everywhere */
    CHECK_RC(llmspell_kv_begin(t10), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(t10, S("txn"), S("x")), LLMSPELL_OK);
    CHECK_VALUE(t10, S("txn"), S("x"));
    CHECK_ABSENT(t1, S("txn"));
    CHECK_RC(llmspell_kv_rollback(t10), LLMSPELL_OK);
    CHECK_ABSENT(t10, S("txn"));

    /* a nested view: inside t1, visible to t1 only under 0xFF, invisible to t10 and the root */
    CHECK_RC(llmspell_kv_open_tenant(&nested, t1, S("0")), LLMSPELL_OK);
    for (j = 0; j < N_TKEYS; j++) {
        CHECK_RC(llmspell_kv_put(&nested, TKEYS[j], TKEY_LENS[j], S("nested")), LLMSPELL_OK);
        pairs_set(&nested_want, TKEYS[j], TKEY_LENS[j], S("nested"));
    }
    CHECK_CONTENT(&nested, &nested_want);
    w->extra_sys[0] = N_TKEYS;
    TENANT_CHECK_ALL(w, "with a nested view");
    CHECK_RC(llmspell_kv_clear(&nested), LLMSPELL_OK);
    pairs_clear(&nested_want);
    CHECK_CONTENT(&nested, &nested_want);
    w->extra_sys[0] = 0;
    TENANT_CHECK_ALL(w, "after clearing the nested view");
    CHECK_RC(llmspell_kv_put(&nested, S("stay"), S("n")), LLMSPELL_OK);
    pairs_set(&nested_want, S("stay"), S("n"));
    w->extra_sys[0] = 1;
    CHECK_RC(llmspell_kv_close(&nested), LLMSPELL_OK);
    TENANT_CHECK_ALL(w, "after the nested view");

    if (b->persistent) {
        pairs before = {0}, after = {0};
        char why[512];
        CHECK_RC(scan_collect(w->s.kv, NULL, 0, NULL, 0, &before), LLMSPELL_OK);
        tenant_close_views(w);
        REOPEN_STORE(w->s);
        if (tenant_open_views(w)) {
            CHECK_RC(scan_collect(w->s.kv, NULL, 0, NULL, 0, &after), LLMSPELL_OK);
            CHECK(pairs_equal(&after, &before, why, sizeof why), "root after reopen: %s", why);
            TENANT_CHECK_ALL(w, "after reopen");
            CHECK_RC(llmspell_kv_open_tenant(&nested, &w->views[0], S("0")), LLMSPELL_OK);
            CHECK_CONTENT(&nested, &nested_want);
            CHECK_RC(llmspell_kv_close(&nested), LLMSPELL_OK);
        }
        pairs_free(&before);
        pairs_free(&after);
    }
    tenant_close_views(w);
out:
    for (i = 0; i < N_TENANTS; i++) pairs_free(&w->want[i]);
    pairs_free(&w->root_user);
    pairs_free(&nested_want);
    CLOSE_STORE(w->s);
    free(w);
}

/* ------------------------------------------------------------------------------------------ */
/* >>closed handles                                                                            */

/* Every call on a closed (or never opened) handle is ERR_CLOSED with a message. */
static void check_closed_at(const char *file, int line, llmspell_kv *kv)
{
    const void *v;
    void *copy = NULL, *block = NULL;
    size_t vl;
    int ex;
    llmspell_kv_entry e;
    llmspell_kv_iter *it = NULL;
    llmspell_kv_stats st;
    llmspell_kv_characteristics ch;
    llmspell_kv view;
    const char *name = llmspell_kv_name(kv);
    memset(&e, 0, sizeof e);
    e.key = "a"; e.klen = 1; e.val = "v"; e.vlen = 1;
#define CLOSED_CALL(expr) \
    do { CHECK_RC_AT(file, line, expr, LLMSPELL_ERR_CLOSED); \
         CHECK_AT(file, line, llmspell_kv_errmsg(kv)[0] != 0, "no message after %s", #expr); } while (0)
    CLOSED_CALL(llmspell_kv_get(kv, S("a"), &v, &vl));
    CLOSED_CALL(llmspell_kv_get_copy(kv, S("a"), &copy, &vl));
    CLOSED_CALL(llmspell_kv_exists(kv, S("a"), &ex));
    CLOSED_CALL(llmspell_kv_put(kv, S("a"), S("v")));
    CLOSED_CALL(llmspell_kv_delete(kv, S("a")));
    CLOSED_CALL(llmspell_kv_get_batch(kv, &e, 1, &block));
    CLOSED_CALL(llmspell_kv_put_batch(kv, &e, 1));
    CLOSED_CALL(llmspell_kv_delete_batch(kv, &e, 1));
    CLOSED_CALL(llmspell_kv_clear(kv));
    CLOSED_CALL(llmspell_kv_put_sys(kv, S("\xFF" "a"), S("v")));
    CLOSED_CALL(llmspell_kv_delete_sys(kv, S("\xFF" "a")));
    CLOSED_CALL(llmspell_kv_begin(kv));
    CLOSED_CALL(llmspell_kv_commit(kv));
    CLOSED_CALL(llmspell_kv_rollback(kv));
    CLOSED_CALL(llmspell_kv_iter_open(kv, NULL, 0, &it));
    CLOSED_CALL(llmspell_kv_scan(kv, NULL, 0, NULL, 0, collect_cb, NULL));
    CLOSED_CALL(llmspell_kv_sync(kv));
    CLOSED_CALL(llmspell_kv_compact(kv));
    CLOSED_CALL(llmspell_kv_stats_get(kv, &st));
    CLOSED_CALL(llmspell_kv_characteristics_get(kv, &ch));
#undef CLOSED_CALL
    CHECK_RC_AT(file, line, llmspell_kv_open_tenant(&view, kv, S("t")), LLMSPELL_ERR_CLOSED);
    CHECK_AT(file, line, name && strcmp(name, "closed") == 0, "name of a closed handle: %s", name ? name : "NULL");
    CHECK_RC_AT(file, line, llmspell_kv_close(kv), LLMSPELL_OK); /* closing again is safe */
}
#define CHECK_CLOSED(kv) check_closed_at(__FILE__, __LINE__, kv)

static void test_closed_handle(void)
{
    llmspell_kv kv;
    memset(&kv, 0, sizeof kv); /* never opened */
    CHECK_CLOSED(&kv);
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("a"), S("v")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK); /* close rolls back and frees an open transaction */
    CHECK_RC(llmspell_kv_put(&kv, S("b"), S("v")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    CHECK_CLOSED(&kv);
    CHECK(llmspell_kv_errmsg(NULL) != NULL, "errmsg(NULL) is NULL");
    CHECK(llmspell_kv_name(NULL) != NULL, "name(NULL) is NULL");
}

/* A failed open leaves the handle closed, whatever the struct held before. */
static void test_closed_after_failed_open(void)
{
    llmspell_kv kv;
    char dir[COMPAT_PATH_MAX];
    tmp_path(dir, sizeof dir, "dir");
    REQUIRE(compat_mkdir(dir) == 0, "mkdir");
    memset(&kv, 0x7B, sizeof kv); /* garbage in: a failed open still leaves it closed */
    CHECK_RC(llmspell_kv_open_file(&kv, dir, NULL), LLMSPELL_ERR_NOT_A_FILE);
    CHECK_ERRMSG(&kv);
    CHECK_CLOSED(&kv);
}

/* ------------------------------------------------------------------------------------------ */
/* >>file backend: bad files and locks                                                         */

static int open_file_rc(const char *path, const llmspell_kv_options *o, char *msg, size_t cap)
{
    llmspell_kv kv;
    llmspell_result rc = llmspell_kv_open_file(&kv, path, o);
    if (msg) snprintf(msg, cap, "%s", llmspell_kv_errmsg(&kv));
    if (rc == LLMSPELL_OK) llmspell_kv_close(&kv);
    return rc;
}

/* A small valid file: keys k00..k{n-1}, one committed put each. */
static int make_file(const char *path, int n, size_t vlen, const llmspell_kv_options *o)
{
    llmspell_kv kv;
    uint8_t val[256];
    char key[16];
    int i, ok = 1;
    if (llmspell_kv_open_file(&kv, path, o) != LLMSPELL_OK) return 0;
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        fill_pattern(val, vlen, (uint32_t)i);
        ok &= llmspell_kv_put(&kv, key, strlen(key), val, vlen) == LLMSPELL_OK;
    }
    ok &= llmspell_kv_close(&kv) == LLMSPELL_OK;
    return ok;
}

/* Checks that kv holds k00..k{n-1} as make_file wrote them. */
static void check_made_at(const char *file, int line, llmspell_kv *kv, int n, size_t vlen)
{
    uint8_t val[256];
    char key[16];
    int i;
    for (i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        fill_pattern(val, vlen, (uint32_t)i);
        check_value_at(file, line, kv, key, strlen(key), val, vlen);
    }
}
#define CHECK_MADE(kv, n, vlen) check_made_at(__FILE__, __LINE__, kv, n, vlen)

static void test_file_not_a_file(void)
{
    char dir[COMPAT_PATH_MAX], msg[256];
    tmp_path(dir, sizeof dir, "dir");
    REQUIRE(compat_mkdir(dir) == 0, "mkdir");
    CHECK_RC(open_file_rc(dir, NULL, msg, sizeof msg), LLMSPELL_ERR_NOT_A_FILE);
    CHECK(msg[0] != 0, "no message");
    /* a directory with read_only too (no write access asked for) */
    {
        llmspell_kv_options o;
        memset(&o, 0, sizeof o);
        o.read_only = 1;
        CHECK_RC(open_file_rc(dir, &o, msg, sizeof msg), LLMSPELL_ERR_NOT_A_FILE);
    }
    /* a device: /dev/null, or NUL on Windows */
    CHECK_RC(open_file_rc(COMPAT_WIN32 ? "NUL" : "/dev/null", NULL, msg, sizeof msg), LLMSPELL_ERR_NOT_A_FILE);
    CHECK(msg[0] != 0, "no message");
}

static void test_file_no_create(void)
{
    char path[COMPAT_PATH_MAX], msg[256];
    llmspell_kv_options o;
    llmspell_kv kv;
    memset(&o, 0, sizeof o);
    o.no_create = 1;
    tmp_path(path, sizeof path, "missing");
    CHECK_RC(open_file_rc(path, &o, msg, sizeof msg), LLMSPELL_ERR_NOT_FOUND);
    CHECK(msg[0] != 0, "no message");
    CHECK(file_size_of(path) == -1, "no_create created the file");
#if COMPAT_HAS_SQLITE
    CHECK_RC(llmspell_kv_open_sqlite(&kv, path, &o), LLMSPELL_ERR_NOT_FOUND);
    CHECK_ERRMSG(&kv);
    CHECK(file_size_of(path) == -1, "sqlite no_create created the file");
#else
    (void)kv;
#endif
    /* an existing file opens with no_create */
    REQUIRE(make_file(path, 3, 10, NULL), "make_file");
    CHECK_RC(open_file_rc(path, &o, msg, sizeof msg), LLMSPELL_OK);
}

#if COMPAT_HAS_SQLITE
#define OPEN_RO_BACKEND(backend, kv, path, o) ((backend) ? llmspell_kv_open_sqlite(kv, path, o) : llmspell_kv_open_file(kv, path, o))
#else
#define OPEN_RO_BACKEND(backend, kv, path, o) ((void)(backend), llmspell_kv_open_file(kv, path, o))
#endif

static void test_file_read_only(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv_options o;
    llmspell_kv kv;
    llmspell_kv_entry e;
    int backend;
    memset(&e, 0, sizeof e);
    e.key = "n"; e.klen = 1; e.val = "v"; e.vlen = 1;
    for (backend = 0; backend < 1 + COMPAT_HAS_SQLITE; backend++) { /* the file and the SQLite backend */
        memset(&o, 0, sizeof o);
        tmp_path(path, sizeof path, backend ? "ro.sqlite" : "ro");
        REQUIRE_RC(OPEN_RO_BACKEND(backend, &kv, path, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
        o.read_only = 1;
        REQUIRE_RC(OPEN_RO_BACKEND(backend, &kv, path, &o), LLMSPELL_OK);
        CHECK_VALUE(&kv, S("a"), S("1"));
        CHECK_FAILS(&kv, llmspell_kv_put(&kv, S("a"), S("2")), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_delete(&kv, S("a")), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_put_batch(&kv, &e, 1), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_delete_batch(&kv, &e, 1), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_clear(&kv), LLMSPELL_ERR_READONLY);
        CHECK_FAILS(&kv, llmspell_kv_put_sys(&kv, S("\xFFs"), S("2")), LLMSPELL_ERR_READONLY);
        CHECK_VALUE(&kv, S("a"), S("1"));
        CHECK_ABSENT(&kv, S("b"));
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
        /* read_only never creates */
        tmp_path(path, sizeof path, "ro-missing");
        CHECK((OPEN_RO_BACKEND(backend, &kv, path, &o)) != LLMSPELL_OK,
              "read_only open of a missing path succeeded");
        CHECK(file_size_of(path) == -1, "read_only open created %s", path);
        llmspell_kv_close(&kv);
    }
}

#if !COMPAT_WIN32
/* Runs as uid 65534 (the tests run as root, who may write anything): a 0444 file opened for
   writing is ERR_READONLY, and opens fine with read_only. (POSIX permission bits; the Windows
   counterpart is test_file_readonly_attribute.) */
static void child_mode_0444(void *arg)
{
    const char *dir = (const char *)arg;
    char path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    llmspell_kv_options o;
    REQUIRE(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0, "dropping root: %s", strerror(errno));
    REQUIRE(getuid() == 65534 && access("/", W_OK) != 0, "still privileged");
    snprintf(path, sizeof path, "%s/ro.db", dir);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE(chmod(path, 0444) == 0, "chmod");
    CHECK_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_ERR_READONLY);
    CHECK_ERRMSG(&kv);
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    CHECK_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("a"), S("1"));
    llmspell_kv_close(&kv);
}

static void test_file_mode_0444(void)
{
    char dir[] = "/tmp/llmspell-ro-XXXXXX"; /* outside the 0700 scratch dir: uid 65534 must reach it */
    REQUIRE(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK(chmod(dir, 0777) == 0, "chmod 0777");
    IN_CHILD(child_mode_0444, dir);
    remove_tree(dir);
}
#else
/* Windows: a file with FILE_ATTRIBUTE_READONLY opened for writing is ERR_READONLY and stays as
   it was on disk; it opens with read_only; once the attribute is gone it opens for writing. */
static void test_file_readonly_attribute(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    llmspell_kv_options o;
    uint8_t *before;
    size_t n;
    tmp_path(path, sizeof path, "roattr");
    REQUIRE(make_file(path, 5, 20, NULL), "make_file");
    before = read_whole(path, &n);
    REQUIRE(before != NULL, "read");
    REQUIRE(compat_set_readonly(path, 1) == 0, "SetFileAttributes(FILE_ATTRIBUTE_READONLY) failed: %lu", (unsigned long)GetLastError());
    if (compat_can_open_for_writing(path)) {
        /* Windows refuses this to everybody; wine maps the attribute to permission bits, which
           root (and only root) may ignore: then the library is right to open the file */
        printf("SKIP test_file_readonly_attribute (the ERR_READONLY part): this system opens a FILE_ATTRIBUTE_READONLY "
               "file for writing (wine running as root?): run as another user to check it\n");
    } else {
        CHECK_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_ERR_READONLY);
        CHECK_ERRMSG(&kv);
        CHECK(files_equal(path, before, n), "a failed open for writing changed the read-only file");
    }
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    if (llmspell_kv_open_file(&kv, path, &o) == LLMSPELL_OK) {
        CHECK_MADE(&kv, 5, 20);
        CHECK_FAILS(&kv, llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_ERR_READONLY);
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    } else {
        CHECK(0, "read_only open of a read-only file: %s", llmspell_kv_errmsg(&kv));
    }
    CHECK(files_equal(path, before, n), "a read_only handle changed the file");
    REQUIRE(compat_set_readonly(path, 0) == 0, "clearing FILE_ATTRIBUTE_READONLY failed");
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_MADE(&kv, 5, 20);
    CHECK_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    free(before);
}
#endif

/* A path with non-ASCII characters (UTF-8; UTF-16 for the W functions on Windows): create,
   write, compact (a rename over the store), reopen; the name on disk is the one asked for. */
static void test_file_utf8_path(void)
{
    static const char NAME[] = "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac.db"; /* cafe with an acute e, then 2 CJK characters */
    char dir[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX + 32];
    llmspell_kv kv;
    compat_dir d;
    const char *name;
    int found = 0, others = 0;
    tmp_path(dir, sizeof dir, "utf8");
    REQUIRE(compat_mkdir(dir) == 0, "mkdir");
    snprintf(path, sizeof path, "%s/%s", dir, NAME);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("k"), S("v1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("k"), S("v2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_compact(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("after"), S("compact")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("k"), S("v2"));
    CHECK_VALUE(&kv, S("after"), S("compact"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    CHECK(file_size_of(path) > 0, "no file at the UTF-8 path");
    REQUIRE(compat_dir_open(&d, dir), "cannot list %s", dir);
    while ((name = compat_dir_next(&d)) != NULL) {
        if (strcmp(name, NAME) == 0) found++;
        else others++;
    }
    compat_dir_close(&d);
    CHECK(found == 1 && others == 0, "directory holds the store %d times and %d other files", found, others);
}

static void test_file_bad_format(void)
{
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                  0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89};
    uint8_t buf[4096];
    char path[COMPAT_PATH_MAX], msg[256];
    rng r = {77};
    size_t i;
    struct { const char *what; const uint8_t *data; size_t n; } cases[5];
    for (i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)rng_next(&r);
    cases[0].what = "random bytes"; cases[0].data = buf; cases[0].n = sizeof buf;
    cases[1].what = "a PNG"; cases[1].data = png; cases[1].n = sizeof png;
    cases[2].what = "text"; cases[2].data = (const uint8_t *)"hello, world\n"; cases[2].n = 13;
    cases[3].what = "SQLite"; cases[3].data = NULL; cases[3].n = 0;
    cases[4].what = "one byte"; cases[4].data = (const uint8_t *)"x"; cases[4].n = 1;
    {
        static uint8_t sq[4096];
        memcpy(sq, "SQLite format 3\0", 16);
        for (i = 16; i < sizeof sq; i++) sq[i] = (uint8_t)(i * 7);
        cases[3].data = sq;
        cases[3].n = sizeof sq;
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tmp_path(path, sizeof path, "foreign");
        REQUIRE(write_whole(path, cases[i].data, cases[i].n), "write");
        CHECK(open_file_rc(path, NULL, msg, sizeof msg) == LLMSPELL_ERR_FORMAT, "%s: got %s (%s), expected ERR_FORMAT",
              cases[i].what, rc_name(open_file_rc(path, NULL, msg, sizeof msg)), msg);
        CHECK(msg[0] != 0, "%s: no message", cases[i].what);
        /* a foreign file is never rewritten */
        CHECK(files_equal(path, cases[i].data, cases[i].n), "%s: the file was modified", cases[i].what);
    }
}

/* The file header, as the implementation lays it out (the ">>file backend" notes there):
   "llmspkv\0" | u32 version | u32 header size | 12 zero bytes | u32 CRC-32C of bytes 0..27,
   integers little-endian. */
#define FILE_MAGIC_LEN 8
#define FILE_VERSION_OFFSET 8
#define FILE_HEADER_CRC_OFFSET 28
#define FILE_HEADER_LEN 32

static void test_file_truncated_header(void)
{
    char good[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX], msg[256];
    uint8_t *data;
    size_t n, cut;
    tmp_path(good, sizeof good, "good");
    REQUIRE(make_file(good, 5, 20, NULL), "make_file");
    data = read_whole(good, &n);
    REQUIRE(data && n > FILE_HEADER_LEN, "read");
    /* the magic is there but the header is cut short */
    for (cut = FILE_MAGIC_LEN; cut < FILE_HEADER_LEN; cut++) {
        tmp_path(path, sizeof path, "cut");
        REQUIRE(write_whole(path, data, cut), "write");
        CHECK(open_file_rc(path, NULL, msg, sizeof msg) == LLMSPELL_ERR_CORRUPT,
              "header cut at %zu: got %s (%s), expected ERR_CORRUPT", cut, rc_name(open_file_rc(path, NULL, msg, sizeof msg)), msg);
        CHECK(files_equal(path, data, cut), "header cut at %zu: the file was modified", cut);
    }
    free(data);
}

/* Rewrites the version field of a valid file to a newer value (and the header checksum with it,
   when the header has one, so that only the version is wrong). */
static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int bump_version(uint8_t *data, size_t n)
{
    if (n < FILE_HEADER_LEN || memcmp(data, "llmspkv", FILE_MAGIC_LEN) != 0) return 0;
    if (get_le32(data + FILE_HEADER_CRC_OFFSET) != llmspell_crc32c(0, data, FILE_HEADER_CRC_OFFSET)) return 0;
    put_le32(data + FILE_VERSION_OFFSET, get_le32(data + FILE_VERSION_OFFSET) + 1);
    put_le32(data + FILE_HEADER_CRC_OFFSET, llmspell_crc32c(0, data, FILE_HEADER_CRC_OFFSET));
    return 1;
}

static void test_file_newer_version(void)
{
    char path[COMPAT_PATH_MAX], msg[256];
    uint8_t *data;
    size_t n;
    tmp_path(path, sizeof path, "newer");
    REQUIRE(make_file(path, 5, 20, NULL), "make_file");
    data = read_whole(path, &n);
    REQUIRE(data && bump_version(data, n), "read, or the header layout is not the one this test knows");
    REQUIRE(write_whole(path, data, n), "write");
    CHECK_RC(open_file_rc(path, NULL, msg, sizeof msg), LLMSPELL_ERR_FORMAT);
    CHECK(msg[0] != 0, "no message");
    CHECK(files_equal(path, data, n), "a newer file was modified");
    free(data);
}

static void child_expect_busy(void *arg)
{
    char msg[256];
    CHECK_RC(open_file_rc((const char *)arg, NULL, msg, sizeof msg), LLMSPELL_ERR_BUSY);
    CHECK(msg[0] != 0, "no message");
}

static void child_expect_open(void *arg)
{
    llmspell_kv kv;
    REQUIRE_RC(llmspell_kv_open_file(&kv, (const char *)arg, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("child"), S("was here")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
}

static void test_file_busy(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv a, b;
    tmp_path(path, sizeof path, "busy");
    REQUIRE_RC(llmspell_kv_open_file(&a, path, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&a, S("k"), S("v")), LLMSPELL_OK);
    /* flock locks belong to the open file description: a second open in one process conflicts */
    CHECK_RC(llmspell_kv_open_file(&b, path, NULL), LLMSPELL_ERR_BUSY);
    CHECK_ERRMSG(&b);
    IN_CHILD(child_expect_busy, path);
    CHECK_VALUE(&a, S("k"), S("v")); /* the holder is unaffected */
    CHECK_RC(llmspell_kv_close(&a), LLMSPELL_OK);
    IN_CHILD(child_expect_open, path); /* released at close */
    REQUIRE_RC(llmspell_kv_open_file(&b, path, NULL), LLMSPELL_OK);
    CHECK_VALUE(&b, S("child"), S("was here"));
    CHECK_VALUE(&b, S("k"), S("v"));
    CHECK_RC(llmspell_kv_close(&b), LLMSPELL_OK);
}

static void test_strerror(void)
{
    int i, j;
    for (i = 0; i < LLMSPELL_RESULT_COUNT; i++) {
        const char *a = llmspell_strerror((llmspell_result)i);
        CHECK(a != NULL && a[0] != 0, "strerror(%s) is empty", rc_name(i));
        for (j = 0; a && j < i; j++) {
            const char *b = llmspell_strerror((llmspell_result)j);
            CHECK(b == NULL || strcmp(a, b) != 0, "strerror(%s) == strerror(%s) = \"%s\"", rc_name(i), rc_name(j), a);
        }
    }
    CHECK(llmspell_strerror(LLMSPELL_RESULT_COUNT) != NULL, "strerror(COUNT) is NULL");
    CHECK(llmspell_strerror((llmspell_result)-1) != NULL, "strerror(-1) is NULL");
    CHECK(llmspell_strerror((llmspell_result)1000) != NULL, "strerror(1000) is NULL");
}

/* ------------------------------------------------------------------------------------------ */
/* >>file backend: recovery and compaction                                                     */

static void test_file_torn_tail(void)
{
    static const int cuts[] = {1, 2, 3, 5, 8, 13};
    char good[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    const void *v;
    size_t vl, i;
    long size;
    tmp_path(good, sizeof good, "torn");
    REQUIRE(make_file(good, 10, 100, NULL), "make_file");
    REQUIRE_RC(llmspell_kv_open_file(&kv, good, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("last"), S("L")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    size = file_size_of(good);
    for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        llmspell_result rc;
        tmp_path(path, sizeof path, "torn-copy");
        REQUIRE(copy_file(good, path) && compat_truncate(path, size - cuts[i]) == 0, "copy + truncate");
        rc = llmspell_kv_open_file(&kv, path, NULL);
        CHECK(rc == LLMSPELL_OK, "cut %d bytes: open %s (%s)", cuts[i], rc_name(rc), llmspell_kv_errmsg(&kv));
        if (rc != LLMSPELL_OK) continue;
        CHECK_MADE(&kv, 10, 100);
        /* the torn record is gone or whole, never garbage */
        rc = llmspell_kv_get(&kv, S("last"), &v, &vl);
        CHECK(rc == LLMSPELL_ERR_NOT_FOUND || (rc == LLMSPELL_OK && vl == 1 && memcmp(v, "L", 1) == 0),
              "cut %d: last = %s %s", cuts[i], rc_name(rc), rc == LLMSPELL_OK ? hexs(v, vl) : "");
        /* the store goes on: new commits after the torn tail survive the next open */
        CHECK_RC(llmspell_kv_put(&kv, S("new"), S("N")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
        rc = llmspell_kv_open_file(&kv, path, NULL);
        CHECK(rc == LLMSPELL_OK, "cut %d, written, reopened: %s (%s)", cuts[i], rc_name(rc), llmspell_kv_errmsg(&kv));
        if (rc != LLMSPELL_OK) continue;
        CHECK_MADE(&kv, 10, 100);
        CHECK_VALUE(&kv, S("new"), S("N"));
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    }
}

static void test_file_garbage_tail(void)
{
    char good[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX];
    uint8_t junk[4096];
    llmspell_kv kv;
    rng r = {5};
    size_t i, lens[] = {1, 7, 37, 4096};
    int kind;
    tmp_path(good, sizeof good, "gtail");
    REQUIRE(make_file(good, 10, 100, NULL), "make_file");
    for (kind = 0; kind < 2; kind++) { /* random junk, and zeros (a preallocated or extended tail) */
        for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            llmspell_result rc;
            size_t j;
            for (j = 0; j < lens[i]; j++) junk[j] = kind ? 0 : (uint8_t)rng_next(&r);
            tmp_path(path, sizeof path, "gtail-copy");
            REQUIRE(copy_file(good, path) && append_bytes(path, junk, lens[i]), "copy + append");
            rc = llmspell_kv_open_file(&kv, path, NULL);
            CHECK(rc == LLMSPELL_OK, "%zu %s bytes appended: open %s (%s)", lens[i], kind ? "zero" : "random",
                  rc_name(rc), llmspell_kv_errmsg(&kv));
            if (rc != LLMSPELL_OK) continue;
            CHECK_MADE(&kv, 10, 100);
            CHECK_RC(llmspell_kv_put(&kv, S("new"), S("N")), LLMSPELL_OK);
            CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
            rc = llmspell_kv_open_file(&kv, path, NULL);
            CHECK(rc == LLMSPELL_OK, "%zu bytes appended, written, reopened: %s (%s)", lens[i], rc_name(rc),
                  llmspell_kv_errmsg(&kv));
            if (rc != LLMSPELL_OK) continue;
            CHECK_MADE(&kv, 10, 100);
            CHECK_VALUE(&kv, S("new"), S("N"));
            CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
        }
    }
}

/* A corrupt record followed by valid committed ones is corruption, reported with its offset,
   and the file is left as it was (never cut back to the corrupt record). */
static void test_file_flipped_byte(void)
{
    char good[COMPAT_PATH_MAX], path[COMPAT_PATH_MAX];
    uint8_t *data;
    size_t n, i;
    llmspell_kv kv;
    tmp_path(good, sizeof good, "flip");
    REQUIRE(make_file(good, 60, 50, NULL), "make_file");
    data = read_whole(good, &n);
    REQUIRE(data && n > 1000, "read");
    for (i = 1; i <= 5; i++) {
        size_t at = n * i / 7; /* spread through the middle, well after the header, well before the end */
        llmspell_result rc;
        const char *msg;
        tmp_path(path, sizeof path, "flip-copy");
        data[at] ^= 0x20;
        REQUIRE(write_whole(path, data, n), "write");
        data[at] ^= 0x20;
        rc = llmspell_kv_open_file(&kv, path, NULL);
        msg = llmspell_kv_errmsg(&kv);
        CHECK(rc == LLMSPELL_ERR_CORRUPT, "byte %zu of %zu flipped: open %s, expected ERR_CORRUPT", at, n, rc_name(rc));
        CHECK(strstr(msg, "offset") != NULL && strpbrk(msg, "0123456789") != NULL,
              "byte %zu flipped: the message names no offset: \"%s\"", at, msg);
        if (rc == LLMSPELL_OK) llmspell_kv_close(&kv);
        data[at] ^= 0x20;
        CHECK(files_equal(path, data, n), "byte %zu flipped: the file was modified by the open", at);
        data[at] ^= 0x20;
    }
    free(data);
}

/* A child that dies with an open transaction: nothing of it may be visible after reopen. */
static void child_crash_in_txn(void *arg)
{
    llmspell_kv kv;
    uint8_t big[1024];
    char key[16];
    int i;
    fill_pattern(big, sizeof big, 11);
    REQUIRE_RC(llmspell_kv_open_file(&kv, (const char *)arg, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("auto"), S("2")), LLMSPELL_OK); /* committed */
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    /* enough data that a buffering writer must put part of it into the file */
    for (i = 0; i < 2000; i++) {
        snprintf(key, sizeof key, "x%04d", i);
        CHECK_RC(llmspell_kv_put(&kv, key, strlen(key), big, sizeof big), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_kv_delete(&kv, S("base")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("auto"), S("in txn")), LLMSPELL_OK);
    if (harness_failures) return;
    _exit(0); /* the crash: no commit, no close */
}

static void test_file_crash_uncommitted(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    pairs all = {0};
    long size_after_crash;
    tmp_path(path, sizeof path, "crash");
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("base"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    IN_CHILD(child_crash_in_txn, path);
    size_after_crash = file_size_of(path);
    if (size_after_crash < 100 * 1024) /* legal (the writer may buffer until commit), but worth knowing */
        fprintf(stderr, "note: the crashed transaction left only %ld bytes in the file\n", size_after_crash);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("base"), S("1"));
    CHECK_VALUE(&kv, S("auto"), S("2"));
    CHECK_ABSENT(&kv, S("x0000"));
    CHECK_ABSENT(&kv, S("x1999"));
    CHECK_RC(scan_collect(&kv, NULL, 0, NULL, 0, &all), LLMSPELL_OK);
    CHECK(all.n == 2, "%zu keys after the crash, expected 2", all.n);
    CHECK_STATS(&kv, 2, 4 + 1 + 4 + 1);
    /* later commits land after the dead transaction and survive */
    CHECK_RC(llmspell_kv_put(&kv, S("after"), S("3")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("base"), S("1"));
    CHECK_VALUE(&kv, S("auto"), S("2"));
    CHECK_VALUE(&kv, S("after"), S("3"));
    CHECK_ABSENT(&kv, S("x0000"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    pairs_free(&all);
}

static void test_file_compact(void)
{
    char path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_kv_stats before, after;
    pairs model = {0};
    uint8_t val[100];
    char key[16];
    int i, round;
    memset(&o, 0, sizeof o);
    o.auto_compact_ratio = -1; /* only the explicit compaction */
    o.durability = LLMSPELL_DURABILITY_FAST;
    tmp_path(path, sizeof path, "compact");
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    for (round = 0; round < 5; round++) {
        for (i = 0; i < 200; i++) {
            snprintf(key, sizeof key, "key%03d", i);
            fill_pattern(val, sizeof val, (uint32_t)(i * 10 + round));
            CHECK_RC(llmspell_kv_put(&kv, key, strlen(key), val, sizeof val), LLMSPELL_OK);
            pairs_set(&model, key, strlen(key), val, sizeof val);
        }
    }
    for (i = 0; i < 200; i += 3) {
        snprintf(key, sizeof key, "key%03d", i);
        CHECK_RC(llmspell_kv_delete(&kv, key, strlen(key)), LLMSPELL_OK);
        pairs_del(&model, key, strlen(key));
    }
    CHECK_RC(llmspell_kv_sync(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_stats_get(&kv, &before), LLMSPELL_OK);
    CHECK(before.keys == model.n && before.bytes == pairs_bytes(&model), "stats before: keys %llu bytes %llu",
          (unsigned long long)before.keys, (unsigned long long)before.bytes);
    CHECK(before.file_size == (uint64_t)file_size_of(path), "stats file_size %llu, on disk %ld",
          (unsigned long long)before.file_size, file_size_of(path));
    CHECK(before.dead_bytes > before.file_size / 2, "dead_bytes %llu of %llu after overwriting everything 5 times",
          (unsigned long long)before.dead_bytes, (unsigned long long)before.file_size);
    REQUIRE_RC(llmspell_kv_compact(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_stats_get(&kv, &after), LLMSPELL_OK);
    CHECK(after.keys == before.keys && after.bytes == before.bytes, "compaction changed keys/bytes");
    CHECK(after.file_size < before.file_size / 3, "file_size %llu -> %llu", (unsigned long long)before.file_size,
          (unsigned long long)after.file_size);
    CHECK(after.dead_bytes == 0, "dead_bytes after compaction: %llu", (unsigned long long)after.dead_bytes);
    CHECK(after.file_size == (uint64_t)file_size_of(path), "stats file_size %llu, on disk %ld",
          (unsigned long long)after.file_size, file_size_of(path));
    CHECK_CONTENT(&kv, &model);
    /* the handle keeps working on the new file */
    CHECK_RC(llmspell_kv_put(&kv, S("post"), S("compact")), LLMSPELL_OK);
    pairs_set(&model, S("post"), S("compact"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_CONTENT(&kv, &model);
    CHECK_STATS(&kv, model.n, pairs_bytes(&model));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    pairs_free(&model);
}

/* Overwrites one key many times; with auto compaction the file stays small, without it grows. */
static uint64_t overwrite_many(const char *path, double ratio, uint64_t min_bytes, int in_txns)
{
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_kv_stats st;
    uint8_t val[1024];
    int i;
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST;
    o.auto_compact_ratio = ratio;
    o.auto_compact_min_bytes = min_bytes;
    if (llmspell_kv_open_file(&kv, path, &o) != LLMSPELL_OK) return 0;
    for (i = 0; i < 2000; i++) {
        fill_pattern(val, sizeof val, (uint32_t)i);
        if (in_txns) CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&kv, S("k"), val, sizeof val), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&kv, S("stable"), S("s")), LLMSPELL_OK);
        if (in_txns) CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_kv_stats_get(&kv, &st), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("k"), val, sizeof val);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    /* and it reopens with the last values */
    CHECK_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("k"), val, sizeof val);
    CHECK_VALUE(&kv, S("stable"), S("s"));
    CHECK_STATS(&kv, 2, 1 + sizeof val + 6 + 1);
    llmspell_kv_close(&kv);
    return st.file_size;
}

/* 2000 x 1 KiB overwrites of one key: with compaction at dead/file > 0.5 past 16 KiB, the file
   stays a few KiB; without, it holds every version. Autocommitted puts and explicit
   transactions are both writes and both count. */
static void test_file_auto_compact(void)
{
    char path[COMPAT_PATH_MAX];
    uint64_t size;
    int in_txns;
    for (in_txns = 0; in_txns < 2; in_txns++) {
        const char *how = in_txns ? "transactions" : "autocommitted puts";
        tmp_path(path, sizeof path, "auto");
        size = overwrite_many(path, 0, 16 * 1024, in_txns); /* ratio 0: the default 0.5 */
        CHECK(size > 0 && size < 64 * 1024, "%s: with auto compaction the file is %llu bytes", how, (unsigned long long)size);
        tmp_path(path, sizeof path, "auto-never");
        size = overwrite_many(path, -1, 16 * 1024, in_txns);
        CHECK(size > 2000 * 1024, "%s: without auto compaction the file is only %llu bytes", how, (unsigned long long)size);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* >>tuple encoding, key successor, crc32c, clock                                              */

/* Encodes a byte string; returns its length (asserting the measure and the write agree). */
static size_t enc_bytes(uint8_t *out, size_t cap, const void *s, size_t n)
{
    size_t need = llmspell_tuple_put_bytes(NULL, 0, s, n);
    size_t got = llmspell_tuple_put_bytes(out, cap, s, n);
    CHECK(need == got, "put_bytes measures %zu but returns %zu", need, got);
    return got;
}

static void test_tuple_roundtrip(void)
{
    static const struct { const char *s; size_t n; } strs[] = {
        {"", 0}, {"a", 1}, {"\0", 1}, {"\xFF", 1}, {"\0\xFF", 2}, {"\xFF\0", 2}, {"a\0b\0\0c", 6}, {"\0\0\0", 3}, {"t1", 2}};
    static const int64_t ints[] = {INT64_MIN, INT64_MIN + 1, -256, -1, 0, 1, 255, 256, INT64_MAX - 1, INT64_MAX};
    static const uint64_t uints[] = {0, 1, 255, 256, 0x0102030405060708ull, UINT64_MAX - 1, UINT64_MAX};
    uint8_t buf[64], out[64];
    size_t i, n, dn;
    const uint8_t *p;

    for (i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        size_t zeros = 0, j;
        for (j = 0; j < strs[i].n; j++) zeros += strs[i].s[j] == 0;
        n = enc_bytes(buf, sizeof buf, strs[i].s, strs[i].n);
        CHECK(n == strs[i].n + zeros + 2, "%s encodes to %zu bytes", hexs(strs[i].s, strs[i].n), n);
        CHECK(n > 1 && buf[n - 2] == 0 && buf[n - 1] == 1, "%s: no 00 01 terminator", hexs(strs[i].s, strs[i].n));
        /* measure, then decode */
        p = buf;
        dn = 999;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, NULL, 0, &dn), LLMSPELL_OK);
        CHECK(dn == strs[i].n && p == buf + n, "measure %s: n %zu, consumed %td", hexs(strs[i].s, strs[i].n), dn, p - buf);
        p = buf;
        memset(out, 0xEE, sizeof out);
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
        CHECK(dn == strs[i].n && (dn == 0 || memcmp(out, strs[i].s, dn) == 0) && p == buf + n, "round trip of %s: %s",
              hexs(strs[i].s, strs[i].n), hexs(out, dn));
        /* a short output buffer gets the first cap bytes and the full length */
        if (strs[i].n > 1) {
            p = buf;
            memset(out, 0xEE, sizeof out);
            CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, 1, &dn), LLMSPELL_OK);
            CHECK(dn == strs[i].n && out[0] == (uint8_t)strs[i].s[0] && out[1] == 0xEE, "cap 1 decode of %s",
                  hexs(strs[i].s, strs[i].n));
        }
        /* too small a cap: nothing written, the needed size returned */
        memset(out, 0xEE, sizeof out);
        CHECK(llmspell_tuple_put_bytes(out, n - 1, strs[i].s, strs[i].n) == n && out[0] == 0xEE,
              "put_bytes with a short buffer wrote or mismeasured");
    }
    for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int64_t back = 0;
        n = llmspell_tuple_put_i64(buf, sizeof buf, ints[i]);
        CHECK(n == 8, "i64 encodes to %zu bytes", n);
        CHECK(llmspell_tuple_put_i64(NULL, 0, ints[i]) == 8, "i64 measure");
        p = buf;
        CHECK_RC(llmspell_tuple_get_i64(&p, buf + n, &back), LLMSPELL_OK);
        CHECK(back == ints[i] && p == buf + 8, "i64 %lld came back as %lld", (long long)ints[i], (long long)back);
    }
    /* the documented layout: big-endian, sign bit flipped */
    llmspell_tuple_put_i64(buf, sizeof buf, -1);
    CHECK(memcmp(buf, "\x7F\xFF\xFF\xFF\xFF\xFF\xFF\xFF", 8) == 0, "i64 -1 = %s", hexs(buf, 8));
    llmspell_tuple_put_i64(buf, sizeof buf, 0);
    CHECK(memcmp(buf, "\x80\0\0\0\0\0\0\0", 8) == 0, "i64 0 = %s", hexs(buf, 8));
    for (i = 0; i < sizeof uints / sizeof uints[0]; i++) {
        uint64_t back = 0;
        n = llmspell_tuple_put_u64(buf, sizeof buf, uints[i]);
        CHECK(n == 8, "u64 encodes to %zu bytes", n);
        p = buf;
        CHECK_RC(llmspell_tuple_get_u64(&p, buf + n, &back), LLMSPELL_OK);
        CHECK(back == uints[i] && p == buf + 8, "u64 %llu came back as %llu", (unsigned long long)uints[i],
              (unsigned long long)back);
    }
    llmspell_tuple_put_u64(buf, sizeof buf, 0x0102030405060708ull);
    CHECK(memcmp(buf, "\1\2\3\4\5\6\7\x08", 8) == 0, "u64 is not big-endian: %s", hexs(buf, 8));
    /* a composite: elements follow each other and read back in order */
    {
        int64_t iv = 0;
        uint64_t uv = 0;
        n = 0;
        n += llmspell_tuple_put_bytes(buf + n, sizeof buf - n, S("a\0b"));
        n += llmspell_tuple_put_i64(buf + n, sizeof buf - n, -5);
        n += llmspell_tuple_put_bytes(buf + n, sizeof buf - n, S(""));
        n += llmspell_tuple_put_u64(buf + n, sizeof buf - n, 7);
        p = buf;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
        CHECK(dn == 3 && memcmp(out, "a\0b", 3) == 0, "element 1");
        CHECK_RC(llmspell_tuple_get_i64(&p, buf + n, &iv), LLMSPELL_OK);
        CHECK(iv == -5, "element 2: %lld", (long long)iv);
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
        CHECK(dn == 0, "element 3");
        CHECK_RC(llmspell_tuple_get_u64(&p, buf + n, &uv), LLMSPELL_OK);
        CHECK(uv == 7 && p == buf + n, "element 4: %llu", (unsigned long long)uv);
    }
    /* a byte string followed by an element whose first byte is 0xFF: the terminator must not
       read as the escape of a 0x00 byte */
    {
        int64_t iv = 0;
        n = llmspell_tuple_put_bytes(buf, sizeof buf, S("ab"));
        n += llmspell_tuple_put_i64(buf + n, sizeof buf - n, INT64_MAX);
        p = buf;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
        CHECK(dn == 2 && memcmp(out, "ab", 2) == 0, "(ab, INT64_MAX): first element decodes to %s", hexs(out, dn));
        CHECK(llmspell_tuple_get_i64(&p, buf + n, &iv) == LLMSPELL_OK && iv == INT64_MAX,
              "(ab, INT64_MAX): second element does not decode to INT64_MAX");
        n = llmspell_tuple_put_bytes(buf, sizeof buf, S("ab"));
        n += llmspell_tuple_put_bytes(buf + n, sizeof buf - n, S("\xFFx"));
        p = buf;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
        CHECK(dn == 2 && memcmp(out, "ab", 2) == 0, "(ab, \\xFFx): first element decodes to %s", hexs(out, dn));
    }
}

/* A random tuple of up to 4 elements with the fixed schema (bytes, i64, bytes, u64). */
typedef struct tup { int n; uint8_t s[2][4]; size_t sl[2]; int64_t i; uint64_t u; } tup;

static void tup_random(rng *r, tup *t)
{
    static const uint8_t alpha[] = {0x00, 0x01, 'a', 0xFE, 0xFF};
    static const int64_t ints[] = {INT64_MIN, -2, -1, 0, 1, 2, INT64_MAX};
    static const uint64_t uints[] = {0, 1, 0xFF, 0x100, UINT64_MAX};
    int e;
    size_t j;
    t->n = (int)rng_below(r, 5);
    for (e = 0; e < 2; e++) {
        t->sl[e] = rng_below(r, 4);
        for (j = 0; j < t->sl[e]; j++) t->s[e][j] = alpha[rng_below(r, 5)];
    }
    t->i = ints[rng_below(r, 7)];
    t->u = uints[rng_below(r, 5)];
}

static size_t tup_encode(const tup *t, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (t->n > 0) n += llmspell_tuple_put_bytes(out + n, cap - n, t->s[0], t->sl[0]);
    if (t->n > 1) n += llmspell_tuple_put_i64(out + n, cap - n, t->i);
    if (t->n > 2) n += llmspell_tuple_put_bytes(out + n, cap - n, t->s[1], t->sl[1]);
    if (t->n > 3) n += llmspell_tuple_put_u64(out + n, cap - n, t->u);
    return n;
}

/* Element-by-element comparison; a tuple sorts before its extensions. */
static int tup_cmp(const tup *a, const tup *b)
{
    int e, c;
    for (e = 0; e < a->n && e < b->n; e++) {
        switch (e) {
        case 0: c = key_cmp(a->s[0], a->sl[0], b->s[0], b->sl[0]); break;
        case 1: c = a->i < b->i ? -1 : a->i > b->i; break;
        case 2: c = key_cmp(a->s[1], a->sl[1], b->s[1], b->sl[1]); break;
        default: c = a->u < b->u ? -1 : a->u > b->u; break;
        }
        if (c) return c;
    }
    return a->n < b->n ? -1 : a->n > b->n;
}

static int sign(int x) { return (x > 0) - (x < 0); }

static void test_tuple_order(void)
{
    rng r = {42};
    int i;
    for (i = 0; i < 20000 && harness_failures == 0; i++) {
        tup a, b;
        uint8_t ea[64], eb[64];
        size_t na, nb;
        tup_random(&r, &a);
        tup_random(&r, &b);
        na = tup_encode(&a, ea, sizeof ea);
        nb = tup_encode(&b, eb, sizeof eb);
        CHECK(sign(key_cmp(ea, na, eb, nb)) == sign(tup_cmp(&a, &b)), "pair %d: encodings compare %d, tuples %d (%s vs %s)",
              i, key_cmp(ea, na, eb, nb), tup_cmp(&a, &b), hexs(ea, na), hexs(eb, nb));
    }
    /* the collisions the encoding exists to prevent */
    {
        uint8_t x[32], y[32];
        size_t nx = 0, ny = 0;
        nx += llmspell_tuple_put_bytes(x + nx, sizeof x - nx, S("a"));
        nx += llmspell_tuple_put_bytes(x + nx, sizeof x - nx, S("b:c"));
        ny += llmspell_tuple_put_bytes(y + ny, sizeof y - ny, S("a:b"));
        ny += llmspell_tuple_put_bytes(y + ny, sizeof y - ny, S("c"));
        CHECK(key_cmp(x, nx, y, ny) != 0, "(a, b:c) == (a:b, c)");
        nx = llmspell_tuple_put_bytes(x, sizeof x, S("t1"));
        ny = llmspell_tuple_put_bytes(y, sizeof y, S("t10"));
        CHECK(!starts_with(y, ny, x, nx), "(t1) is a prefix of (t10)");
    }
}

static void test_tuple_malformed(void)
{
    uint8_t buf[32], out[32];
    const uint8_t *p;
    size_t n, cut, dn;
    uint64_t u;
    int64_t i64;
    /* every proper prefix of "abc" 0x00 0x01 lacks its terminator */
    n = llmspell_tuple_put_bytes(buf, sizeof buf, S("abc"));
    for (cut = 0; cut < n; cut++) {
        p = buf;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + cut, out, sizeof out, &dn), LLMSPELL_ERR_CORRUPT);
        CHECK(p == buf, "cut %zu: *p moved on failure", cut);
    }
    /* "a" 0x00 0xFF "b" 0x00 0x01: no cut before the end is a whole encoding */
    n = llmspell_tuple_put_bytes(buf, sizeof buf, S("a\0b"));
    REQUIRE(n == 6, "encoding of a\\0b has %zu bytes", n);
    p = buf;
    CHECK_RC(llmspell_tuple_get_bytes(&p, buf + n, out, sizeof out, &dn), LLMSPELL_OK);
    CHECK(dn == 3 && memcmp(out, "a\0b", 3) == 0 && p == buf + n, "a\\0b decodes to %s", hexs(out, dn));
    for (cut = 0; cut < n; cut++) {
        p = buf;
        CHECK_RC(llmspell_tuple_get_bytes(&p, buf + cut, out, sizeof out, &dn), LLMSPELL_ERR_CORRUPT);
        CHECK(p == buf, "cut %zu: *p moved on failure", cut);
    }
    /* a zero byte followed by neither 0xFF nor 0x01 is malformed; 00 01 alone is the empty string */
    p = (const uint8_t *)"a\0\x02";
    CHECK_RC(llmspell_tuple_get_bytes(&p, p + 3, out, sizeof out, &dn), LLMSPELL_ERR_CORRUPT);
    p = (const uint8_t *)"\0";
    CHECK_RC(llmspell_tuple_get_bytes(&p, p + 1, out, sizeof out, &dn), LLMSPELL_ERR_CORRUPT);
    p = (const uint8_t *)"\0\x01";
    CHECK_RC(llmspell_tuple_get_bytes(&p, p + 2, out, sizeof out, &dn), LLMSPELL_OK);
    CHECK(dn == 0, "00 01 decodes to %zu bytes", dn);
    p = (const uint8_t *)"ab"; /* no terminator at all */
    CHECK_RC(llmspell_tuple_get_bytes(&p, p + 2, out, sizeof out, &dn), LLMSPELL_ERR_CORRUPT);
    n = llmspell_tuple_put_u64(buf, sizeof buf, 12345);
    for (cut = 0; cut < n; cut++) {
        p = buf;
        CHECK_RC(llmspell_tuple_get_u64(&p, buf + cut, &u), LLMSPELL_ERR_CORRUPT);
        CHECK(p == buf, "u64 cut %zu: *p moved", cut);
        p = buf;
        CHECK_RC(llmspell_tuple_get_i64(&p, buf + cut, &i64), LLMSPELL_ERR_CORRUPT);
        CHECK(p == buf, "i64 cut %zu: *p moved", cut);
    }
}

static void test_key_successor(void)
{
    static const struct { const char *in; size_t n; const char *out; size_t on; } cases[] = {
        {"ab", 2, "ac", 2}, {"a\xFF", 2, "b", 1}, {"a\xFF\xFF", 3, "b", 1}, {"\0", 1, "\1", 1}, {"\xFE", 1, "\xFF", 1},
        {"\xFE\xFF", 2, "\xFF", 1}, {"a\0", 2, "a\1", 2}, {"\xFF", 1, "", 0}, {"\xFF\xFF\xFF", 3, "", 0}, {"", 0, "", 0},
        {"x\xFF" "a", 3, "x\xFF" "b", 3}};
    uint8_t out[8];
    size_t i, n;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 0xEE, sizeof out);
        n = llmspell_key_successor(out, cases[i].in, cases[i].n);
        CHECK(n == cases[i].on && (n == 0 || memcmp(out, cases[i].out, n) == 0), "successor(%s) = %s, expected %s",
              hexs(cases[i].in, cases[i].n), hexs(out, n), hexs(cases[i].out, cases[i].on));
    }
}

static void test_crc32c(void)
{
    uint32_t a = llmspell_crc32c(0, "123456789", 9);
    uint32_t b = llmspell_crc32c(llmspell_crc32c(0, "1234", 4), "56789", 5);
    uint8_t zeros[32];
    memset(zeros, 0, sizeof zeros);
    CHECK(a == 0xE3069283u, "crc32c(123456789) = %08X", (unsigned)a);
    CHECK(b == a, "crc32c in two pieces = %08X", (unsigned)b);
    CHECK(llmspell_crc32c(0, "", 0) == 0, "crc32c of nothing");
    CHECK(llmspell_crc32c(0, zeros, 32) == 0x8A9136AAu, "crc32c(32 zero bytes) = %08X", (unsigned)llmspell_crc32c(0, zeros, 32));
}

static llmspell_time fixed_now(void *ctx) { return *(llmspell_time *)ctx; }

static void test_time_clock(void)
{
    llmspell_time t = 1234567890123456;
    llmspell_clock c;
    llmspell_time now;
    c.now = fixed_now;
    c.ctx = &t;
    CHECK(llmspell_time_now(&c) == t, "an injected clock is not used");
    t = LLMSPELL_TIME_MIN + 1;
    CHECK(llmspell_time_now(&c) == t, "an injected clock is not used");
    now = llmspell_time_now(NULL);
    CHECK(now > 1600000000ll * 1000000 && now < 4102444800ll * 1000000, "system clock: %lld us", (long long)now);
}

/* ------------------------------------------------------------------------------------------ */
/* >>entries: created/updated times, kv_id and metadata (llmspell_kv_get_info / put_info)     */

/* The clock of these tests: the time is whatever *ctx holds. */
static llmspell_time test_clock(void *ctx) { return *(const llmspell_time *)ctx; }

/* A derived kv_id: a lowercase UUID in the version-4 layout. */
static int is_uuid(const char *s, size_t n)
{
    size_t i;
    if (!s || n != 36) return 0;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-') return 0;
        } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* Checks the info of key: the times, the id (NULL: a derived one), the metadata (NULL: none). */
static void check_info_at(const char *file, int line, llmspell_kv *kv, const void *k, size_t kl, llmspell_time created,
                          llmspell_time updated, const char *id, size_t idlen, const char *meta, size_t metalen)
{
    llmspell_kv_info in;
    llmspell_result rc = llmspell_kv_get_info(kv, k, kl, &in);
    CHECK_AT(file, line, rc == LLMSPELL_OK, "get_info %s: %s (%s)", hexs(k, kl), rc_name(rc), llmspell_kv_errmsg(kv));
    if (rc != LLMSPELL_OK) return;
    CHECK_AT(file, line, in.created == created && in.updated == updated, "get_info %s: times %lld/%lld, expected %lld/%lld",
             hexs(k, kl), (long long)in.created, (long long)in.updated, (long long)created, (long long)updated);
    if (id)
        CHECK_AT(file, line, in.id && in.idlen == idlen && memcmp(in.id, id, idlen) == 0, "get_info %s: id %s, expected %s",
                 hexs(k, kl), hexs(in.id, in.idlen), hexs(id, idlen));
    else
        CHECK_AT(file, line, is_uuid(in.id, in.idlen), "get_info %s: id %s is not a derived UUID", hexs(k, kl), hexs(in.id, in.idlen));
    if (meta)
        CHECK_AT(file, line, in.metadata && in.metalen == metalen && memcmp(in.metadata, meta, metalen) == 0,
                 "get_info %s: metadata %s, expected %s", hexs(k, kl), in.metadata ? hexs(in.metadata, in.metalen) : "NULL",
                 hexs(meta, metalen));
    else
        CHECK_AT(file, line, in.metadata == NULL && in.metalen == 0, "get_info %s: metadata %s, expected none", hexs(k, kl),
                 hexs(in.metadata, in.metalen));
}
#define CHECK_INFO(...) check_info_at(__FILE__, __LINE__, __VA_ARGS__)

/* The derived id of key, copied into out[37]. */
static void derived_id_at(const char *file, int line, llmspell_kv *kv, const void *k, size_t kl, char *out)
{
    llmspell_kv_info in;
    out[0] = 0;
    CHECK_RC_AT(file, line, llmspell_kv_get_info(kv, k, kl, &in), LLMSPELL_OK);
    if (in.idlen == 36) {
        memcpy(out, in.id, 36);
        out[36] = 0;
    }
}
#define DERIVED_ID(...) derived_id_at(__FILE__, __LINE__, __VA_ARGS__)

static llmspell_kv_info make_info(llmspell_time created, llmspell_time updated, const char *id, const char *meta)
{
    llmspell_kv_info in;
    in.created = created;
    in.updated = updated;
    in.id = id;
    in.idlen = id ? strlen(id) : 0;
    in.metadata = meta;
    in.metalen = meta ? strlen(meta) : 0;
    return in;
}

/* The number of side records (0xFF 'E' ...) the handle holds. */
static size_t side_records(llmspell_kv *kv)
{
    pairs all = {0};
    size_t n;
    if (scan_collect(kv, S("\xFF" "E"), NULL, 0, &all) != LLMSPELL_OK) { pairs_free(&all); return (size_t)-1; }
    n = all.n;
    pairs_free(&all);
    return n;
}

/* Every backend, views included: times from the handle's clock, put_info, side records. The
   user-defined backend keeps no times (it has no get_times): it reports 0. */
static void conf_entries(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv *kv;
    llmspell_kv_options o;
    llmspell_kv_info in;
    llmspell_kv_entry e[2];
    llmspell_time now = 1000;
    int timed = b->kind != K_USER;
    char id_k[37], id2[37], *big;
    int reopened;
#define TT(x) (timed ? (llmspell_time)(x) : 0)
    memset(&o, 0, sizeof o);
    o.clock.now = test_clock;
    o.clock.ctx = &now;
    OPEN_STORE(s, b, &o);
    kv = s.kv;

    CHECK_RC(llmspell_kv_get_info(kv, S("k"), &in), LLMSPELL_ERR_NOT_FOUND);
    /* created stays, updated moves; same size (in place) and other sizes alike */
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("v1")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(1000), TT(1000), NULL, 0, NULL, 0);
    DERIVED_ID(kv, S("k"), id_k);
    now = 2000;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("v2")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(1000), TT(2000), id_k, 36, NULL, 0);
    now = 3000;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("v3")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(1000), TT(3000), id_k, 36, NULL, 0);
    now = 3500;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("longer value")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(1000), TT(3500), id_k, 36, NULL, 0);
    /* a delete forgets them: the next put starts again (the derived id does not change) */
    CHECK_RC(llmspell_kv_delete(kv, S("k")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_get_info(kv, S("k"), &in), LLMSPELL_ERR_NOT_FOUND);
    now = 4000;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("v")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(4000), TT(4000), id_k, 36, NULL, 0);
    /* a rollback restores the times; a transaction's writes share the time of its first one */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    now = 5000;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("x")), LLMSPELL_OK);
    now = 5500;
    CHECK_RC(llmspell_kv_put(kv, S("k2"), S("n")), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(4000), TT(5000), id_k, 36, NULL, 0);
    CHECK_INFO(kv, S("k2"), TT(5000), TT(5000), NULL, 0, NULL, 0);
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(4000), TT(4000), id_k, 36, NULL, 0);
    CHECK_RC(llmspell_kv_get_info(kv, S("k2"), &in), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    now = 6000;
    CHECK_RC(llmspell_kv_put(kv, S("k"), S("y")), LLMSPELL_OK);
    now = 7000;
    CHECK_RC(llmspell_kv_put(kv, S("k3"), S("z")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(4000), TT(6000), id_k, 36, NULL, 0);
    CHECK_INFO(kv, S("k3"), TT(6000), TT(6000), NULL, 0, NULL, 0);
    /* a batch is one time */
    now = 8000;
    memset(e, 0, sizeof e);
    e[0].key = "k"; e[0].klen = 1; e[0].val = "b"; e[0].vlen = 1;
    e[1].key = "k4"; e[1].klen = 2; e[1].val = "b4"; e[1].vlen = 2;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 2), LLMSPELL_OK);
    CHECK_INFO(kv, S("k"), TT(4000), TT(8000), id_k, 36, NULL, 0);
    CHECK_INFO(kv, S("k4"), TT(8000), TT(8000), NULL, 0, NULL, 0);
    /* the derived id is stable and differs between keys */
    DERIVED_ID(kv, S("k4"), id2);
    CHECK(strcmp(id_k, id2) != 0, "keys k and k4 derive the same id %s", id_k);

    /* put_info: explicit times, id and metadata, all kept as given */
    in = make_info(11, 22, "my-id", "{\"a\":1}");
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv"), &in), LLMSPELL_OK);
    CHECK_VALUE(kv, S("p"), S("pv"));
    CHECK_INFO(kv, S("p"), TT(11), TT(22), S("my-id"), S("{\"a\":1}"));
    CHECK(side_records(kv) == 1, "%zu side records, expected 1", side_records(kv));
    /* a plain put keeps the side record (the same entry) and created */
    now = 9000;
    CHECK_RC(llmspell_kv_put(kv, S("p"), S("pv2")), LLMSPELL_OK);
    CHECK_INFO(kv, S("p"), TT(11), TT(9000), S("my-id"), S("{\"a\":1}"));
    /* neither id nor metadata: the side record goes, the id is derived again */
    in = make_info(0, 0, NULL, NULL);
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv3"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("p"), 0, 0, NULL, 0, NULL, 0);
    CHECK(side_records(kv) == 0, "%zu side records, expected 0", side_records(kv));
    /* empty id and empty metadata are values, not "none"; created MIN keeps the entry's */
    in = make_info(40, 50, "", "");
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv4"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("p"), TT(40), TT(50), "", 0, "", 0);
    in = make_info(LLMSPELL_TIME_MIN, 60, "x", NULL);
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv5"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("p"), TT(40), TT(60), S("x"), NULL, 0);
    in = make_info(70, 80, NULL, "[1,2]");
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv6"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("p"), TT(70), TT(80), NULL, 0, S("[1,2]"));
    /* any bytes in the id, up to the limit */
    big = (char *)xmalloc(LLMSPELL_KV_MAX_ENTRY_ID + 1);
    memset(big, 0, LLMSPELL_KV_MAX_ENTRY_ID + 1);
    big[7] = (char)0xFF;
    in = make_info(1, 2, NULL, NULL);
    in.id = big;
    in.idlen = LLMSPELL_KV_MAX_ENTRY_ID;
    CHECK_RC(llmspell_kv_put_info(kv, S("q"), S("qv"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("q"), TT(1), TT(2), big, LLMSPELL_KV_MAX_ENTRY_ID, NULL, 0);
    in.idlen = LLMSPELL_KV_MAX_ENTRY_ID + 1;
    CHECK_FAILS(kv, llmspell_kv_put_info(kv, S("q"), S("qv2"), &in), LLMSPELL_ERR_TOO_LARGE);
    CHECK_VALUE(kv, S("q"), S("qv"));
    free(big);
    /* a delete takes the side record with the key, and a new put does not bring it back */
    CHECK_RC(llmspell_kv_delete(kv, S("q")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_get_info(kv, S("q"), &in), LLMSPELL_ERR_NOT_FOUND);
    now = 9500;
    CHECK_RC(llmspell_kv_put(kv, S("q"), S("again")), LLMSPELL_OK);
    CHECK_INFO(kv, S("q"), TT(9500), TT(9500), NULL, 0, NULL, 0);
    CHECK(side_records(kv) == 1, "%zu side records after the delete, expected 1 (p's)", side_records(kv));
    /* delete_batch too */
    in = make_info(1, 2, "r1", "{}");
    CHECK_RC(llmspell_kv_put_info(kv, S("r1"), S("1"), &in), LLMSPELL_OK);
    in = make_info(1, 2, "r2", NULL);
    CHECK_RC(llmspell_kv_put_info(kv, S("r2"), S("2"), &in), LLMSPELL_OK);
    CHECK(side_records(kv) == 3, "%zu side records, expected 3", side_records(kv));
    e[0].key = "r1"; e[0].klen = 2;
    e[1].key = "r2"; e[1].klen = 2;
    CHECK_RC(llmspell_kv_delete_batch(kv, e, 2), LLMSPELL_OK);
    CHECK(side_records(kv) == 1, "%zu side records after delete_batch, expected 1", side_records(kv));
    CHECK_ABSENT(kv, S("r1"));
    /* put_info joins a transaction: a rollback takes value, times and side record back */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    in = make_info(5, 6, "t", "{}");
    CHECK_RC(llmspell_kv_put_info(kv, S("t"), S("tv"), &in), LLMSPELL_OK);
    in = make_info(7, 8, "p-new", NULL);
    CHECK_RC(llmspell_kv_put_info(kv, S("p"), S("pv7"), &in), LLMSPELL_OK);
    CHECK_INFO(kv, S("t"), TT(5), TT(6), S("t"), S("{}"));
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("t"));
    CHECK_INFO(kv, S("p"), TT(70), TT(80), NULL, 0, S("[1,2]"));
    CHECK(side_records(kv) == 1, "%zu side records after the rollback, expected 1", side_records(kv));
    /* bad arguments */
    CHECK_FAILS(kv, llmspell_kv_get_info(kv, S("\xFFsys"), &in), LLMSPELL_ERR_RESERVED);
    CHECK_FAILS(kv, llmspell_kv_get_info(kv, S("k"), NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_put_info(kv, S("k"), S("v"), NULL), LLMSPELL_ERR_INVALID);
    CHECK_FAILS(kv, llmspell_kv_put_info(kv, "", 0, S("v"), &in), LLMSPELL_ERR_INVALID);
    /* system keys carry no times */
    CHECK_RC(llmspell_kv_put_sys(kv, S("\xFFsys"), S("s")), LLMSPELL_OK);
    /* persistence: reopen (and, for the file, compaction) keeps everything */
    for (reopened = 0; reopened < 3 && b->persistent; reopened++) {
        if (reopened == 1) CHECK_RC(llmspell_kv_compact(kv), LLMSPELL_OK);
        else REOPEN_STORE(s);
        kv = s.kv;
        CHECK_INFO(kv, S("k"), TT(4000), TT(8000), id_k, 36, NULL, 0);
        CHECK_INFO(kv, S("k3"), TT(6000), TT(6000), NULL, 0, NULL, 0);
        CHECK_INFO(kv, S("k4"), TT(8000), TT(8000), id2, 36, NULL, 0);
        CHECK_INFO(kv, S("p"), TT(70), TT(80), NULL, 0, S("[1,2]"));
        CHECK_INFO(kv, S("q"), TT(9500), TT(9500), NULL, 0, NULL, 0);
        CHECK_VALUE(kv, S("p"), S("pv6"));
    }
#undef TT
    CLOSE_STORE(s);
}

/* The derived id is the documented hash of the key as stored: pinned values (computed
   independently), the same for the same key and tenant, different across tenants. */
static void test_entry_derived_ids(void)
{
    llmspell_kv root, a, b, a2, n, empty;
    char r[37], ia[37], ib[37], ia2[37], in_[37], ie[37];
    REQUIRE_RC(llmspell_kv_open_memory(&root, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&a, &root, S("t1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&b, &root, S("t2")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&n, &a, S("t1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&empty, &root, "", 0), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&root, S("a"), S("x")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&a, S("a"), S("x")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&b, S("a"), S("x")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&n, S("a"), S("x")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&empty, S("a"), S("x")), LLMSPELL_OK);
    DERIVED_ID(&root, S("a"), r);
    DERIVED_ID(&a, S("a"), ia);
    DERIVED_ID(&b, S("a"), ib);
    DERIVED_ID(&n, S("a"), in_);
    DERIVED_ID(&empty, S("a"), ie);
    /* FNV-1a 128 of "a" is d228cb696f1a8caf78912b704e4a8964 (the published test vector) */
    CHECK(strcmp(r, "d228cb69-6f1a-4caf-b891-2b704e4a8964") == 0, "root key a: %s", r);
    /* of 0xFF 'T' tuple("t1") "a" */
    CHECK(strcmp(ia, "0f364fc1-974f-478b-9f68-20400c8fdaa9") == 0, "tenant t1 key a: %s", ia);
    CHECK(strcmp(ia, ib) && strcmp(ia, in_) && strcmp(ia, ie) && strcmp(r, ie) && strcmp(ib, in_) && strcmp(r, ia),
          "ids collide across tenants: %s %s %s %s %s", r, ia, ib, in_, ie);
    /* another handle on the same tenant sees the same id */
    REQUIRE_RC(llmspell_kv_open_tenant(&a2, &root, S("t1")), LLMSPELL_OK);
    DERIVED_ID(&a2, S("a"), ia2);
    CHECK(strcmp(ia, ia2) == 0, "tenant t1 key a: %s, then %s", ia, ia2);
    CHECK_RC(llmspell_kv_close(&a2), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&n), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&empty), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&b), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&a), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&root), LLMSPELL_OK);
}

/* tenants(): every tenant once, in key order, views of views under their own view only; keys
   under 0xFF 'T' that do not decode are skipped and counted; a non-zero return stops. */
typedef struct tenant_list { char names[8][16]; size_t lens[8]; int n, stop_after; llmspell_kv *kv; int opened; } tenant_list;

static int tenant_cb(void *user, const void *t, size_t n)
{
    tenant_list *l = (tenant_list *)user;
    if (l->n < 8 && n < 16) {
        memcpy(l->names[l->n], t, n);
        l->lens[l->n] = n;
    }
    l->n++;
    if (l->kv) { /* like `llmspell info`: open the tenant's view and write through it meanwhile */
        llmspell_kv v;
        if (llmspell_kv_open_tenant(&v, l->kv, t, n) == LLMSPELL_OK) {
            l->opened += llmspell_kv_put(&v, S("seen"), S("1")) == LLMSPELL_OK;
            llmspell_kv_close(&v);
        }
    }
    return l->stop_after && l->n >= l->stop_after;
}

static void tenants_run(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    static const struct { const char *id; size_t n; } ids[] = {{"a", 1}, {"b\0c", 3}, {"", 0}, {"a\0", 2}};
    store s;
    llmspell_kv v[4], nested;
    tenant_list l;
    size_t i, skipped = 99;
    char key[16];
    int j;
    OPEN_STORE(s, b, NULL);
    for (i = 0; i < 4; i++) {
        REQUIRE_RC(llmspell_kv_open_tenant(&v[i], s.kv, ids[i].id, ids[i].n), LLMSPELL_OK);
        for (j = 0; j < 20; j++) { /* several keys each: each tenant comes once */
            snprintf(key, sizeof key, "k%02d", j);
            CHECK_RC(llmspell_kv_put(&v[i], key, strlen(key), S("v")), LLMSPELL_OK);
        }
    }
    REQUIRE_RC(llmspell_kv_open_tenant(&nested, &v[0], S("inner")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&nested, S("x"), S("y")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put_sys(s.kv, S("\xFF" "T" "junk-without-end"), S("?")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("plain"), S("root key")), LLMSPELL_OK);
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_kv_tenants(s.kv, tenant_cb, &l, &skipped), LLMSPELL_OK);
    CHECK(l.n == 4, "%d tenants, expected 4", l.n);
    /* in key order of the encoding: "" < "a" < "a\0" < "b\0c" */
    CHECK(l.n >= 4 && l.lens[0] == 0 && l.lens[1] == 1 && memcmp(l.names[1], "a", 1) == 0 && l.lens[2] == 2 &&
              memcmp(l.names[2], "a\0", 2) == 0 && l.lens[3] == 3 && memcmp(l.names[3], "b\0c", 3) == 0,
          "tenants in the wrong order or wrong: %s %s %s %s", hexs(l.names[0], l.lens[0]), hexs(l.names[1], l.lens[1]),
          hexs(l.names[2], l.lens[2]), hexs(l.names[3], l.lens[3]));
    CHECK(skipped == 1, "%zu keys skipped, expected 1", skipped);
    /* early stop, no skipped counter, the callback writing through a view meanwhile */
    memset(&l, 0, sizeof l);
    l.stop_after = 2;
    l.kv = s.kv;
    CHECK_RC(llmspell_kv_tenants(s.kv, tenant_cb, &l, NULL), LLMSPELL_OK);
    CHECK(l.n == 2 && l.opened == 2, "stopped after %d tenants (%d written), expected 2", l.n, l.opened);
    /* a view lists the views opened on it */
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_kv_tenants(&v[0], tenant_cb, &l, &skipped), LLMSPELL_OK);
    CHECK(l.n == 1 && l.lens[0] == 5 && memcmp(l.names[0], "inner", 5) == 0 && skipped == 0, "tenants of view a: %d", l.n);
    memset(&l, 0, sizeof l);
    CHECK_RC(llmspell_kv_tenants(&v[1], tenant_cb, &l, &skipped), LLMSPELL_OK);
    CHECK(l.n == 0, "view b\\0c has %d tenants", l.n);
    CHECK_FAILS(s.kv, llmspell_kv_tenants(s.kv, NULL, NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_kv_close(&nested), LLMSPELL_OK);
    for (i = 0; i < 4; i++) CHECK_RC(llmspell_kv_close(&v[i]), LLMSPELL_OK);
    CLOSE_STORE(s);
}

/* >>transactions through views: each write through any handle of a store joins the store's
   open transaction, whichever handle began it (root, view, view of a view). */
enum { JOIN_PUT, JOIN_DEL, JOIN_PUT_SYS, JOIN_DEL_SYS, JOIN_PUT_BATCH, JOIN_DEL_BATCH, JOIN_CLEAR, JOIN_PUT_INFO, JOIN_NOPS };
static const char *const JOIN_OPS[] = {"put", "delete", "put_sys", "delete_sys", "put_batch", "delete_batch", "clear", "put_info"};
static const char *const JOIN_HANDLES[] = {"root", "view", "view of a view"};

/* What the writer holds before the transaction. */
static void join_prepare(llmspell_kv *w, int op)
{
    switch (op) {
    case JOIN_DEL: CHECK_RC(llmspell_kv_put(w, S("jd"), S("x")), LLMSPELL_OK); break;
    case JOIN_DEL_SYS: CHECK_RC(llmspell_kv_put_sys(w, S("\xFFjd"), S("x")), LLMSPELL_OK); break;
    case JOIN_DEL_BATCH:
        CHECK_RC(llmspell_kv_put(w, S("je1"), S("1")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(w, S("je2"), S("2")), LLMSPELL_OK);
        break;
    case JOIN_CLEAR:
        CHECK_RC(llmspell_kv_put(w, S("jc1"), S("1")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put_sys(w, S("\xFFjc2"), S("2")), LLMSPELL_OK);
        break;
    default: break;
    }
}

static llmspell_result join_apply(llmspell_kv *w, int op)
{
    llmspell_kv_entry e[2];
    llmspell_kv_info in;
    memset(e, 0, sizeof e);
    switch (op) {
    case JOIN_PUT: return llmspell_kv_put(w, S("jk"), S("v"));
    case JOIN_DEL: return llmspell_kv_delete(w, S("jd"));
    case JOIN_PUT_SYS: return llmspell_kv_put_sys(w, S("\xFFjs"), S("v"));
    case JOIN_DEL_SYS: return llmspell_kv_delete_sys(w, S("\xFFjd"));
    case JOIN_PUT_BATCH:
        e[0].key = "jb1"; e[0].klen = 3; e[0].val = "1"; e[0].vlen = 1;
        e[1].key = "jb2"; e[1].klen = 3; e[1].val = "2"; e[1].vlen = 1;
        return llmspell_kv_put_batch(w, e, 2);
    case JOIN_DEL_BATCH:
        e[0].key = "je1"; e[0].klen = 3;
        e[1].key = "je2"; e[1].klen = 3;
        return llmspell_kv_delete_batch(w, e, 2);
    case JOIN_CLEAR: return llmspell_kv_clear(w);
    case JOIN_PUT_INFO:
        in = make_info(5, 6, "ID", "{}");
        return llmspell_kv_put_info(w, S("ji"), S("v"), &in);
    }
    return LLMSPELL_ERR_INVALID;
}

/* The writer's state: done = 0 as before the operation, 1 with it applied. */
static void join_check_at(const char *file, int line, llmspell_kv *w, int op, int done, const char *when)
{
    pairs all = {0};
    const void *v;
    size_t vl;
    int ok = 1;
    switch (op) {
    case JOIN_PUT: ok = (llmspell_kv_get(w, S("jk"), &v, &vl) == LLMSPELL_OK) == done; break;
    case JOIN_DEL: ok = (llmspell_kv_get(w, S("jd"), &v, &vl) == LLMSPELL_OK) == !done; break;
    case JOIN_PUT_SYS: ok = (llmspell_kv_get(w, S("\xFFjs"), &v, &vl) == LLMSPELL_OK) == done; break;
    case JOIN_DEL_SYS: ok = (llmspell_kv_get(w, S("\xFFjd"), &v, &vl) == LLMSPELL_OK) == !done; break;
    case JOIN_PUT_BATCH:
        ok = (llmspell_kv_get(w, S("jb1"), &v, &vl) == LLMSPELL_OK) == done && (llmspell_kv_get(w, S("jb2"), &v, &vl) == LLMSPELL_OK) == done;
        break;
    case JOIN_DEL_BATCH:
        ok = (llmspell_kv_get(w, S("je1"), &v, &vl) == LLMSPELL_OK) == !done && (llmspell_kv_get(w, S("je2"), &v, &vl) == LLMSPELL_OK) == !done;
        break;
    case JOIN_CLEAR:
        ok = scan_collect(w, NULL, 0, NULL, 0, &all) == LLMSPELL_OK && (done ? all.n == 0 : all.n == 2);
        break;
    case JOIN_PUT_INFO: {
        llmspell_kv_info in;
        llmspell_result rc = llmspell_kv_get_info(w, S("ji"), &in);
        ok = done ? rc == LLMSPELL_OK && in.created == 5 && in.updated == 6 && in.idlen == 2 && memcmp(in.id, "ID", 2) == 0 &&
                        in.metalen == 2 && side_records(w) == 1
                  : rc == LLMSPELL_ERR_NOT_FOUND && side_records(w) == 0;
        break;
    }
    }
    pairs_free(&all);
    CHECK_AT(file, line, ok, "%s: the writer does not hold %s", when, done ? "the write" : "the state from before");
}
#define JOIN_CHECK(w, op, done, when) join_check_at(__FILE__, __LINE__, w, op, done, when)

static void txn_join(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv view, nested, *h[3];
    llmspell_kv_options o;
    int op, bi, wi, commit;
    char when[160];
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST; /* some hundred commits */
    OPEN_STORE(s, b, &o);
    REQUIRE_RC(llmspell_kv_open_tenant(&view, s.kv, S("v")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&nested, &view, S("n")), LLMSPELL_OK);
    h[0] = s.kv;
    h[1] = &view;
    h[2] = &nested;
    for (op = 0; op < JOIN_NOPS; op++) {
        for (bi = 0; bi < 3; bi++) {
            for (wi = 0; wi < 3; wi++) {
                if (wi == bi) continue;
                for (commit = 0; commit < 2; commit++) {
                    llmspell_result rc;
                    snprintf(when, sizeof when, "%s through the %s in a transaction begun on the %s, %s", JOIN_OPS[op],
                             JOIN_HANDLES[wi], JOIN_HANDLES[bi], commit ? "committed" : "rolled back");
                    CHECK_RC(llmspell_kv_clear(s.kv), LLMSPELL_OK);
                    join_prepare(h[wi], op);
                    JOIN_CHECK(h[wi], op, 0, when);
                    CHECK_RC(llmspell_kv_begin(h[bi]), LLMSPELL_OK);
                    rc = join_apply(h[wi], op);
                    CHECK(rc == LLMSPELL_OK, "%s: %s (%s)", when, rc_name(rc), llmspell_kv_errmsg(h[wi]));
                    JOIN_CHECK(h[wi], op, 1, when); /* visible inside */
                    rc = commit ? llmspell_kv_commit(h[bi]) : llmspell_kv_rollback(h[bi]);
                    CHECK(rc == LLMSPELL_OK, "%s: ending it: %s (%s)", when, rc_name(rc), llmspell_kv_errmsg(h[bi]));
                    JOIN_CHECK(h[wi], op, commit, when);
                    /* nothing is left open: every handle can begin again */
                    CHECK_RC(llmspell_kv_begin(h[wi]), LLMSPELL_OK);
                    CHECK_RC(llmspell_kv_rollback(h[wi]), LLMSPELL_OK);
                    if (harness_failures) goto out;
                }
            }
        }
    }
    /* a nested begin through any handle of the store is refused, and the transaction goes on */
    CHECK_RC(llmspell_kv_begin(&view), LLMSPELL_OK);
    CHECK_FAILS(s.kv, llmspell_kv_begin(s.kv), LLMSPELL_ERR_TXN);
    CHECK_FAILS(&nested, llmspell_kv_begin(&nested), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_put(&nested, S("still"), S("open")), LLMSPELL_OK);
    /* commit and rollback belong to the handle that began it */
    CHECK_FAILS(s.kv, llmspell_kv_commit(s.kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_commit(&view), LLMSPELL_OK);
    CHECK_VALUE(&nested, S("still"), S("open"));
out:
    CHECK_RC(llmspell_kv_close(&nested), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&view), LLMSPELL_OK);
    CLOSE_STORE(s);
}

/* >>file format versions: a version-1 file (no times) written here by hand, as the library
   before the times wrote it. */

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Appends one version-1 record: u32 crc | type | flags | 0 0 | klen | vlen | txn | key | value. */
static size_t v1_record(uint8_t *out, uint32_t seed, int type, int flags, uint64_t txn, const char *k, size_t kn, const void *v, size_t vn)
{
    size_t need = 24 + kn + vn;
    memset(out, 0, 24);
    out[4] = (uint8_t)type;
    out[5] = (uint8_t)flags;
    put_le32(out + 8, (uint32_t)kn);
    put_le32(out + 12, (uint32_t)vn);
    put_le64(out + 16, txn);
    if (kn) memcpy(out + 24, k, kn);
    if (vn) memcpy(out + 24 + kn, v, vn);
    put_le32(out, llmspell_crc32c(seed, out + 4, need - 4));
    return need;
}

/* A version-1 store: a=1 (then deleted), b=22, c=333, and a tenant key t/x=tx. */
static size_t make_v1_file(uint8_t *f)
{
    const uint64_t salt = 0x0123456789ABCDEFull;
    const uint32_t seed = (uint32_t)salt ^ (uint32_t)(salt >> 32);
    size_t n = 32, start;
    uint8_t off[8];
    memset(f, 0, 32);
    memcpy(f, "llmspkv", 8);
    put_le32(f + 8, 1);
    put_le32(f + 12, 32);
    put_le64(f + 16, salt);
    put_le32(f + 28, llmspell_crc32c(0, f, 28));
    n += v1_record(f + n, seed, 1, 3, 1, "a", 1, "1", 1);             /* autocommitted put, safe mode */
    start = n;
    n += v1_record(f + n, seed, 1, 0, 2, "b", 1, "22", 2);            /* a transaction of three */
    n += v1_record(f + n, seed, 2, 0, 2, "a", 1, NULL, 0);
    n += v1_record(f + n, seed, 1, 0, 2, "\xFFT" "t\0\1x", 6, "tx", 2);
    put_le64(off, start);
    n += v1_record(f + n, seed, 3, 3, 2, NULL, 0, off, 8);              /* its commit record */
    n += v1_record(f + n, seed, 1, 3, 3, "c", 1, "333", 3);
    return n;
}

static void check_v1_data_at(const char *file, int line, llmspell_kv *kv)
{
    llmspell_kv view;
    check_absent_at(file, line, kv, "a", 1);
    check_value_at(file, line, kv, "b", 1, "22", 2);
    check_value_at(file, line, kv, "c", 1, "333", 3);
    check_info_at(file, line, kv, "b", 1, 0, 0, NULL, 0, NULL, 0); /* version 1 knew no times */
    CHECK_RC_AT(file, line, llmspell_kv_open_tenant(&view, kv, "t", 1), LLMSPELL_OK);
    check_value_at(file, line, &view, "x", 1, "tx", 2);
    llmspell_kv_close(&view);
}
#define CHECK_V1_DATA(kv) check_v1_data_at(__FILE__, __LINE__, kv)

/* The real OS, except that the compaction's side file cannot be created (a full disk). */
static int nocompact_open(void *ctx, const char *path, int write, int create, unsigned mode, int *fd)
{
    const llmspell_kv_io *os = llmspell_kv_io_os();
    size_t n = strlen(path);
    (void)ctx;
    if (n > 8 && strcmp(path + n - 8, ".compact") == 0) return ENOSPC;
    return os->open(os->ctx, path, write, create, mode, fd);
}

static void test_file_version1(void)
{
    static uint8_t v1[1024];
    char path[COMPAT_PATH_MAX];
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_kv_io io;
    llmspell_time now = 777;
    uint8_t *data;
    size_t n = make_v1_file(v1), m;
    memset(&o, 0, sizeof o);
    o.clock.now = test_clock;
    o.clock.ctx = &now;

    /* read-only: read as it is, never written */
    tmp_path(path, sizeof path, "v1");
    REQUIRE(write_whole(path, v1, n), "write");
    o.read_only = 1;
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_V1_DATA(&kv);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    CHECK(files_equal(path, v1, n), "a read-only open changed the version-1 file");

    /* writable, but the upgrade cannot run: the handle goes on in version 1, and loses nothing */
    io = *llmspell_kv_io_os();
    io.open = nocompact_open;
    o.read_only = 0;
    o.io = &io;
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_V1_DATA(&kv);
    CHECK_RC(llmspell_kv_put(&kv, S("d"), S("4")), LLMSPELL_OK);
    CHECK_INFO(&kv, S("d"), 0, 0, NULL, 0, NULL, 0); /* a version-1 record has no room for times */
    CHECK_RC(llmspell_kv_delete(&kv, S("c")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    data = read_whole(path, &m);
    CHECK(data && m > n && get_le32(data + FILE_VERSION_OFFSET) == 1 && memcmp(data, v1, n) == 0,
          "the version-1 file was not appended to as version 1");
    free(data);
    o.io = NULL;
    o.read_only = 1; /* read-only reads version 1 as it is: so every record is a version-1 one */
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("d"), S("4"));
    CHECK_ABSENT(&kv, S("c"));
    CHECK_VALUE(&kv, S("b"), S("22"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);

    /* writable: upgraded to version 2 at open, data kept, times from then on */
    REQUIRE(write_whole(path, v1, n), "write");
    o.read_only = 0;
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_V1_DATA(&kv);
    data = read_whole(path, &m);
    CHECK(data && m >= 32 && get_le32(data + FILE_VERSION_OFFSET) == 2, "not upgraded to version 2 at open");
    free(data);
    CHECK_RC(llmspell_kv_put(&kv, S("e"), S("5")), LLMSPELL_OK);
    CHECK_INFO(&kv, S("e"), 777, 777, NULL, 0, NULL, 0);
    now = 888;
    CHECK_RC(llmspell_kv_put(&kv, S("b"), S("23")), LLMSPELL_OK);
    CHECK_INFO(&kv, S("b"), 0, 888, NULL, 0, NULL, 0); /* created stays "not known" */
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("b"), S("23"));
    CHECK_VALUE(&kv, S("c"), S("333"));
    CHECK_INFO(&kv, S("c"), 0, 0, NULL, 0, NULL, 0);
    CHECK_INFO(&kv, S("e"), 777, 777, NULL, 0, NULL, 0);
    CHECK_INFO(&kv, S("b"), 0, 888, NULL, 0, NULL, 0);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);

    /* a version-1 file with a record that only version 2 has (flag 4) is damage, not data */
    {
        uint8_t bad[1024];
        const uint32_t seed = 0x89ABCDEFu ^ 0x01234567u;
        size_t bn;
        memcpy(bad, v1, n);
        bn = n + v1_record(bad + n, seed, 1, 3 | 4, 4, "0123456789abcdefX", 17, "v", 1); /* 16 bytes of "times", key X */
        tmp_path(path, sizeof path, "v1-flag4");
        REQUIRE(write_whole(path, bad, bn), "write");
        o.read_only = 1;
        REQUIRE_RC(llmspell_kv_open_file(&kv, path, &o), LLMSPELL_OK);
        CHECK_ABSENT(&kv, S("X"));
        CHECK_VALUE(&kv, S("c"), S("333"));
        CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    }
}

/* Times come back from the log after a crash: replay restores them, for committed writes. */
static void child_crash_times(void *arg)
{
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_time now = 100;
    memset(&o, 0, sizeof o);
    o.clock.now = test_clock;
    o.clock.ctx = &now;
    REQUIRE_RC(llmspell_kv_open_file(&kv, (const char *)arg, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("k1"), S("a")), LLMSPELL_OK);
    now = 200;
    CHECK_RC(llmspell_kv_put(&kv, S("k1"), S("b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    now = 300;
    CHECK_RC(llmspell_kv_put(&kv, S("k2"), S("c")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    now = 400;
    CHECK_RC(llmspell_kv_put(&kv, S("k1"), S("never")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("k3"), S("never")), LLMSPELL_OK);
    if (harness_failures) return;
    _exit(0); /* no commit, no close */
}

static void test_file_times_recovery(void)
{
    char path[COMPAT_PATH_MAX], copy[COMPAT_PATH_MAX];
    llmspell_kv kv;
    long size;
    tmp_path(path, sizeof path, "times-crash");
    IN_CHILD(child_crash_times, path);
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("k1"), S("b"));
    CHECK_INFO(&kv, S("k1"), 100, 200, NULL, 0, NULL, 0);
    CHECK_INFO(&kv, S("k2"), 300, 300, NULL, 0, NULL, 0);
    CHECK_ABSENT(&kv, S("k3"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    /* a torn last record: the one before keeps its times */
    size = file_size_of(path);
    tmp_path(copy, sizeof copy, "times-torn");
    REQUIRE(copy_file(path, copy) && compat_truncate(copy, size - 3) == 0, "copy + truncate");
    REQUIRE_RC(llmspell_kv_open_file(&kv, copy, NULL), LLMSPELL_OK);
    CHECK_INFO(&kv, S("k1"), 100, 200, NULL, 0, NULL, 0);
    CHECK_ABSENT(&kv, S("k2"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
}

#if COMPAT_HAS_SQLITE || COMPAT_HAS_POSTGRES
/* A read snapshot on a store other processes write too (here a second handle with a connection
   of its own) sees one state: the other's commits during it appear only after read_end. */
static void snapshot_shared(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    store s;
    llmspell_kv other;
    llmspell_result r;
    pairs got = {0};
    OPEN_STORE(s, b, NULL);
#if COMPAT_HAS_POSTGRES
    if (b->kind == K_POSTGRES) r = llmspell_kv_open_postgres(&other, s.path, NULL);
    else
#endif
        r = llmspell_kv_open_sqlite(&other, s.path, NULL);
    REQUIRE_RC(r, LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("sa"), S("1")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("sb"), S("1")), LLMSPELL_OK);

    CHECK_RC(llmspell_kv_read_begin(s.kv), LLMSPELL_OK);
    CHECK_VALUE(s.kv, S("sa"), S("1"));
    CHECK_RC(llmspell_kv_put(&other, S("sa"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&other, S("sc"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(&other, S("sb")), LLMSPELL_OK);
    CHECK_VALUE(s.kv, S("sa"), S("1"));
    CHECK_VALUE(s.kv, S("sb"), S("1"));
    CHECK_ABSENT(s.kv, S("sc"));
    CHECK_RC(scan_collect(s.kv, S("s"), NULL, 0, &got), LLMSPELL_OK);
    CHECK(got.n == 2, "the snapshot's scan found %zu keys, not 2", got.n);
    CHECK_RC(llmspell_kv_read_begin(s.kv), LLMSPELL_OK); /* nested: the same state */
    CHECK_VALUE(s.kv, S("sa"), S("1"));
    CHECK_RC(llmspell_kv_read_end(s.kv), LLMSPELL_OK);
    CHECK_ABSENT(s.kv, S("sc"));
    CHECK_RC(llmspell_kv_put(s.kv, S("sd"), S("1")), LLMSPELL_ERR_BUSY);
    CHECK_RC(llmspell_kv_read_end(s.kv), LLMSPELL_OK);

    CHECK_VALUE(s.kv, S("sa"), S("2"));
    CHECK_ABSENT(s.kv, S("sb"));
    CHECK_VALUE(s.kv, S("sc"), S("2"));
    CHECK_RC(scan_collect(s.kv, S("s"), NULL, 0, &got), LLMSPELL_OK);
    CHECK(got.n == 2, "after the snapshot the scan found %zu keys, not 2", got.n);
    CHECK_RC(llmspell_kv_put(s.kv, S("sd"), S("1")), LLMSPELL_OK); /* writes work again */
    CHECK_VALUE(&other, S("sd"), S("1"));
    pairs_free(&got);
    CHECK_RC(llmspell_kv_close(&other), LLMSPELL_OK);
    CLOSE_STORE(s);
}
#endif

#if COMPAT_HAS_SQLITE
/* An SQLite store from before the times (table kv(k, v)): read as it is read-only, given the
   two columns when opened for writing. */
static void test_sqlite_old_table(void)
{
    char path[COMPAT_PATH_MAX];
    sqlite3 *db;
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_time now = 55;
    tmp_path(path, sizeof path, "old-sqlite");
    REQUIRE(sqlite3_open(path, &db) == SQLITE_OK, "sqlite3_open");
    REQUIRE(sqlite3_exec(db, "CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;"
                             "INSERT INTO kv VALUES (x'6f6c64', x'7631')", NULL, NULL, NULL) == SQLITE_OK, "old table");
    sqlite3_close(db);
    memset(&o, 0, sizeof o);
    o.clock.now = test_clock;
    o.clock.ctx = &now;
    o.read_only = 1;
    REQUIRE_RC(llmspell_kv_open_sqlite(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("old"), S("v1"));
    CHECK_INFO(&kv, S("old"), 0, 0, NULL, 0, NULL, 0);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    o.read_only = 0;
    REQUIRE_RC(llmspell_kv_open_sqlite(&kv, path, &o), LLMSPELL_OK);
    CHECK_VALUE(&kv, S("old"), S("v1"));
    CHECK_INFO(&kv, S("old"), 0, 0, NULL, 0, NULL, 0);
    CHECK_RC(llmspell_kv_put(&kv, S("new"), S("n")), LLMSPELL_OK);
    now = 66;
    CHECK_RC(llmspell_kv_put(&kv, S("old"), S("v2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_sqlite(&kv, path, &o), LLMSPELL_OK);
    CHECK_INFO(&kv, S("new"), 55, 55, NULL, 0, NULL, 0);
    CHECK_INFO(&kv, S("old"), 0, 66, NULL, 0, NULL, 0);
    CHECK_VALUE(&kv, S("old"), S("v2"));
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
}
#endif

/* ------------------------------------------------------------------------------------------ */
/* >>allocation failure                                                                        */

#include "failalloc.h"

/* Reopening a file sorts the replayed keys in one go (radix over 7-byte chunks): keys that
   are prefixes of one another, zero bytes, and ties running over many chunks must come back
   in memcmp order, shorter first. */
static void test_file_reopen_order(void)
{
    enum { NK = 3000 };
    static uint8_t keys[NK][48];
    static size_t klen[NK];
    static size_t order[NK];
    llmspell_kv kv;
    llmspell_kv_iter *it;
    char path[COMPAT_PATH_MAX];
    const void *k;
    size_t kn, i, j, got = 0;
    unsigned x = 99;
    tmp_path(path, sizeof path, "order");
    for (i = 0; i < NK; i++) {
        x = x * 1103515245u + 12345u;
        klen[i] = 1 + (x >> 8) % 40;
        for (j = 0; j < klen[i]; j++) { /* a tiny alphabet and long shared stems force deep ties */
            x = x * 1103515245u + 12345u;
            keys[i][j] = j < (x >> 20) % 30 ? (uint8_t)'s' : (uint8_t)"\0\1s\xFE"[(x >> 8) % 4];
        }
    }
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    for (i = 0; i < NK; i++) REQUIRE_RC(llmspell_kv_put(&kv, keys[i], klen[i], "v", 1), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    /* the expected order, by a plain comparison sort of the distinct keys */
    for (i = 0; i < NK; i++) order[i] = i;
    for (i = 1; i < NK; i++) {
        size_t o = order[i];
        for (j = i; j > 0 && llmspell__keycmp(keys[order[j - 1]], klen[order[j - 1]], keys[o], klen[o]) > 0; j--) order[j] = order[j - 1];
        order[j] = o;
    }
    REQUIRE_RC(llmspell_kv_open_file(&kv, path, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_iter_open(&kv, NULL, 0, &it), LLMSPELL_OK);
    for (i = 0; i < NK; i++) {
        if (i && llmspell__keycmp(keys[order[i]], klen[order[i]], keys[order[i - 1]], klen[order[i - 1]]) == 0) continue; /* duplicate */
        if (llmspell_kv_iter_next(it, &k, &kn, NULL, NULL) != LLMSPELL_OK) break;
        got++;
        CHECK(kn == klen[order[i]] && memcmp(k, keys[order[i]], kn) == 0, "position %zu after reopen holds another key", got - 1);
        if (harness_failures) break;
    }
    CHECK(llmspell_kv_iter_next(it, &k, &kn, NULL, NULL) == LLMSPELL_ERR_NOT_FOUND, "more keys than expected after reopen");
    llmspell_kv_iter_close(it);
    CHECK(got > NK / 2, "only %zu keys came back", got);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
}

/* Memory compaction re-lays every entry out in key order: the data, the order, an open
   iterator and later writes must not notice, and a compaction that runs out of memory part
   way must leave the store exactly as it was. */
static int compact_check(llmspell_kv *kv, const char *model, int nkeys)
{
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    int i = 0, ok = 1;
    char key[16];
    if (llmspell_kv_iter_open(kv, NULL, 0, &it) != LLMSPELL_OK) return 0;
    while (llmspell_kv_iter_next(it, &k, &kn, &v, &vn) == LLMSPELL_OK) {
        while (i < nkeys && !model[i]) i++;
        snprintf(key, sizeof key, "k%06d", i);
        if (i >= nkeys || kn != strlen(key) || memcmp(k, key, kn) != 0 || vn != 1 || *(const char *)v != model[i]) ok = 0;
        i++;
    }
    while (i < nkeys && !model[i]) i++;
    llmspell_kv_iter_close(it);
    return ok && i >= nkeys;
}

static void test_memory_compact(void)
{
    enum { NK = 6000 };
    static char model[NK];
    counting_alloc ca = {0, 0, 0, 0};
    llmspell_kv_options o;
    llmspell_kv kv;
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    char key[16], val;
    long n;
    int i, seen;
    unsigned x = 7;
    memset(&o, 0, sizeof o);
    failalloc_use(&o.allocator, &ca);
    REQUIRE_RC(llmspell_kv_open_memory(&kv, &o), LLMSPELL_OK);
    memset(model, 0, sizeof model);
    for (i = 0; i < 3 * NK; i++) { /* random puts and deletes leave free chunks and separators behind */
        int j;
        x = x * 1103515245u + 12345u;
        j = (int)((x >> 8) % NK);
        snprintf(key, sizeof key, "k%06d", j);
        if ((x >> 4) % 4 == 0) {
            if (model[j]) CHECK_RC(llmspell_kv_delete(&kv, key, strlen(key)), LLMSPELL_OK);
            model[j] = 0;
        } else {
            val = (char)('a' + (x >> 12) % 26);
            CHECK_RC(llmspell_kv_put(&kv, key, strlen(key), &val, 1), LLMSPELL_OK);
            model[j] = val;
        }
    }
    /* an iterator half way through survives the compaction */
    REQUIRE_RC(llmspell_kv_iter_open(&kv, "k", 1, &it), LLMSPELL_OK);
    for (seen = 0; seen < 100; seen++) REQUIRE_RC(llmspell_kv_iter_next(it, &k, &kn, &v, &vn), LLMSPELL_OK);
    memcpy(key, k, kn);
    key[kn] = 0;
    /* out of memory at each allocation of the compaction: nothing changes */
    for (n = 1;; n++) {
        llmspell_result r;
        ca.calls = 0;
        ca.fail_at = n;
        ca.injected = 0;
        r = llmspell_kv_compact(&kv);
        if (!ca.injected) { CHECK_RC(r, LLMSPELL_OK); break; }
        CHECK_RC(r, LLMSPELL_ERR_NOMEM);
        REQUIRE(compact_check(&kv, model, NK), "store changed by a compaction that failed at allocation %ld", n);
    }
    ca.fail_at = 0;
    CHECK(n > 2, "compaction made only %ld allocations", n - 1);
    CHECK(compact_check(&kv, model, NK), "store differs from the model after compaction");
    /* the iterator goes on after the last key it returned */
    REQUIRE_RC(llmspell_kv_iter_next(it, &k, &kn, &v, &vn), LLMSPELL_OK);
    CHECK(llmspell__keycmp((const uint8_t *)k, kn, (const uint8_t *)key, strlen(key)) > 0, "iterator went back after compaction");
    llmspell_kv_iter_close(it);
    /* writes after compaction, then compact again (in a transaction it is refused) */
    for (i = 0; i < NK; i += 3) {
        snprintf(key, sizeof key, "k%06d", i);
        if (model[i]) CHECK_RC(llmspell_kv_delete(&kv, key, strlen(key)), LLMSPELL_OK);
        model[i] = 0;
    }
    CHECK(compact_check(&kv, model, NK), "store differs from the model after deletes");
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_compact(&kv), LLMSPELL_ERR_TXN);
    CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_compact(&kv), LLMSPELL_OK);
    CHECK(compact_check(&kv, model, NK), "store differs from the model after the second compaction");
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    CHECK(ca.live == 0, "%ld blocks leaked", ca.live);
}

/* One run of the scripted scenario; returns 0 when it must stop (a failure was recorded).
   An operation that meets the injected failure must say ERR_NOMEM and change nothing; the
   retry (the allocator fails only once) must then work: the handle stays usable. */
typedef struct scenario { counting_alloc *ca; long n; int file; char path[COMPAT_PATH_MAX]; } scenario;

#define STEP(expr) \
    do { \
        llmspell_result step_rc_ = (expr); \
        if (step_rc_ == LLMSPELL_ERR_NOMEM) { \
            CHECK(sc->ca->injected, "N=%ld: %s: ERR_NOMEM with no injected failure", sc->n, #expr); \
            step_rc_ = (expr); \
        } \
        if (step_rc_ != LLMSPELL_OK) { \
            harness_fail(__FILE__, __LINE__, "N=%ld: %s returned %s (%s)", sc->n, #expr, rc_name(step_rc_), \
                         llmspell_kv_errmsg(kv)); \
            goto out; \
        } \
    } while (0)

static llmspell_result scenario_open(scenario *sc, llmspell_kv *kv, const llmspell_kv_options *o)
{
    llmspell_result rc = sc->file ? llmspell_kv_open_file(kv, sc->path, o) : llmspell_kv_open_memory(kv, o);
    if (rc != LLMSPELL_OK) {
        /* a failed open leaves nothing allocated and a closed handle */
        CHECK(sc->ca->live == 0, "N=%ld: failed open leaks %ld blocks", sc->n, sc->ca->live);
        CHECK(strcmp(llmspell_kv_name(kv), "closed") == 0, "N=%ld: failed open left the handle open", sc->n);
    }
    return rc;
}

/* A full scan compared with the model; a scan that meets the injected failure is retried. */
static llmspell_result scenario_scan(llmspell_kv *kv, const void *prefix, size_t plen, const pairs *want, long n)
{
    pairs got = {0};
    char why[512];
    llmspell_result rc = scan_collect(kv, prefix, plen, NULL, 0, &got);
    if (rc == LLMSPELL_ERR_NOMEM) rc = scan_collect(kv, prefix, plen, NULL, 0, &got);
    if (rc == LLMSPELL_OK && !pairs_equal(&got, want, why, sizeof why)) {
        harness_fail(__FILE__, __LINE__, "N=%ld: content: %s", n, why);
        rc = LLMSPELL_ERR_CORRUPT;
    }
    if (rc == LLMSPELL_OK) { /* the iterator, too */
        rc = iter_collect(kv, prefix, plen, NULL, 0, &got);
        if (rc == LLMSPELL_ERR_NOMEM) rc = iter_collect(kv, prefix, plen, NULL, 0, &got);
        if (rc == LLMSPELL_OK && !pairs_equal(&got, want, why, sizeof why)) {
            harness_fail(__FILE__, __LINE__, "N=%ld: iterated content: %s", n, why);
            rc = LLMSPELL_ERR_CORRUPT;
        }
    }
    pairs_free(&got);
    return rc;
}

/* A transaction whose writes may meet the injected failure: then commit must refuse (ERR_TXN),
   rollback must work, and the whole transaction is run again. commit = 0: always rolled back. */
static llmspell_result scenario_txn(scenario *sc, llmspell_kv *kv, pairs *model, int commit)
{
    /* the committed transaction adds, deletes and changes other keys than the rolled-back one */
    const char *add = commit ? "txn-new" : "txn-rb", *del = commit ? "k00" : "k02", *chg = commit ? "k01" : "k03";
    int attempt;
    for (attempt = 0; attempt < 3; attempt++) {
        int failed = 0;
        llmspell_result rc = llmspell_kv_begin(kv);
        if (rc == LLMSPELL_ERR_NOMEM) continue;
        if (rc != LLMSPELL_OK) return rc;
        failed |= llmspell_kv_put(kv, add, strlen(add), S("t")) != LLMSPELL_OK;
        failed |= llmspell_kv_delete(kv, del, strlen(del)) != LLMSPELL_OK;
        failed |= llmspell_kv_put(kv, chg, strlen(chg), S("txn-changed")) != LLMSPELL_OK;
        if (!failed) {
            const void *v;
            size_t vl;
            rc = llmspell_kv_get(kv, add, strlen(add), &v, &vl);
            if (rc == LLMSPELL_ERR_NOMEM) rc = llmspell_kv_get(kv, add, strlen(add), &v, &vl);
            CHECK(rc == LLMSPELL_OK, "N=%ld: get inside the transaction: %s", sc->n, rc_name(rc));
        }
        if (failed) {
            CHECK(sc->ca->injected, "N=%ld: a write in the transaction failed without an injected failure", sc->n);
            rc = llmspell_kv_commit(kv);
            CHECK(rc == LLMSPELL_ERR_TXN, "N=%ld: commit after a failed write: %s, expected ERR_TXN", sc->n, rc_name(rc));
            rc = llmspell_kv_rollback(kv);
            if (rc != LLMSPELL_OK) return rc;
            continue;
        }
        if (!commit) return llmspell_kv_rollback(kv);
        rc = llmspell_kv_commit(kv);
        if (rc == LLMSPELL_ERR_NOMEM) {
            /* a commit that fails commits nothing; what is left is rolled back */
            llmspell_result rb = llmspell_kv_rollback(kv);
            CHECK(rb == LLMSPELL_OK || rb == LLMSPELL_ERR_TXN, "N=%ld: rollback after a failed commit: %s", sc->n, rc_name(rb));
            continue;
        }
        if (rc == LLMSPELL_OK) {
            pairs_set(model, add, strlen(add), S("t"));
            pairs_del(model, del, strlen(del));
            pairs_set(model, chg, strlen(chg), S("txn-changed"));
        }
        return rc;
    }
    return LLMSPELL_ERR_NOMEM;
}

/* Returns 1 when the run met no injected failure (the search is over). */
static int scenario_run(scenario *sc)
{
    llmspell_kv kv_s, view_s, *kv = &kv_s, *view = &view_s;
    llmspell_kv_options o;
    llmspell_kv_entry e[3];
    pairs model = {0}, vmodel = {0};
    void *copy = NULL, *block = NULL;
    size_t vl;
    char key[16];
    int i, view_open = 0, kv_open = 0;
    llmspell_result rc;

    memset(&o, 0, sizeof o);
    o.allocator.alloc = ca_alloc;
    o.allocator.realloc = ca_realloc;
    o.allocator.free = ca_free;
    o.allocator.ctx = sc->ca;
    o.durability = LLMSPELL_DURABILITY_FAST;
    memset(e, 0, sizeof e);
    if (sc->file) unlink(sc->path);

    rc = scenario_open(sc, kv, &o);
    if (rc == LLMSPELL_ERR_NOMEM) rc = scenario_open(sc, kv, &o);
    STEP(rc);
    kv_open = 1;
    for (i = 0; i < 20; i++) {
        snprintf(key, sizeof key, "k%02d", i);
        STEP(llmspell_kv_put(kv, key, 3, key, 3));
        pairs_set(&model, key, 3, key, 3);
    }
    STEP(llmspell_kv_put(kv, S("k05"), S("overwritten")));
    pairs_set(&model, S("k05"), S("overwritten"));
    STEP(llmspell_kv_delete(kv, S("k06"))); /* a delete that failed and yet deleted would be NOT_FOUND here */
    pairs_del(&model, S("k06"));
    e[0].key = "b1"; e[0].klen = 2; e[0].val = "x"; e[0].vlen = 1;
    e[1].key = "b2"; e[1].klen = 2; e[1].val = "y"; e[1].vlen = 1;
    e[2].key = "k07"; e[2].klen = 3; e[2].val = "z"; e[2].vlen = 1;
    STEP(llmspell_kv_put_batch(kv, e, 3));
    pairs_set(&model, S("b1"), S("x"));
    pairs_set(&model, S("b2"), S("y"));
    pairs_set(&model, S("k07"), S("z"));
    STEP(scenario_scan(kv, NULL, 0, &model, sc->n)); /* a failed batch must have written nothing */
    STEP(llmspell_kv_delete_batch(kv, e, 2));
    pairs_del(&model, S("b1"));
    pairs_del(&model, S("b2"));
    STEP(llmspell_kv_get_copy(kv, S("k05"), &copy, &vl));
    CHECK(vl == 11 && memcmp(copy, "overwritten", 11) == 0, "N=%ld: get_copy", sc->n);
    llmspell_kv_free(kv, copy);
    e[0].key = "k05"; e[0].klen = 3;
    e[1].key = "zz"; e[1].klen = 2;
    STEP(llmspell_kv_get_batch(kv, e, 2, &block));
    CHECK(e[0].vlen == 11 && e[1].val == NULL, "N=%ld: get_batch", sc->n);
    llmspell_kv_free(kv, block);
    {   /* entry info: the value and its side record (flags 3, id length 2, "id", "{}") in one unit */
        llmspell_kv_info in = make_info(7, 8, "id", "{}");
        STEP(llmspell_kv_put_info(kv, S("pi"), S("p"), &in));
        pairs_set(&model, S("pi"), S("p"));
        pairs_set(&model, S("\xFF" "Epi"), S("\x03\x02" "id{}"));
        STEP(llmspell_kv_get_info(kv, S("pi"), &in));
        CHECK(in.created == 7 && in.updated == 8 && in.idlen == 2 && in.metalen == 2, "N=%ld: get_info after put_info", sc->n);
        STEP(llmspell_kv_get_info(kv, S("k05"), &in));
        CHECK(is_uuid(in.id, in.idlen) && !in.metadata, "N=%ld: get_info of a plain key", sc->n);
        STEP(scenario_scan(kv, NULL, 0, &model, sc->n));
    }
    STEP(scenario_txn(sc, kv, &model, 1));
    STEP(scenario_txn(sc, kv, &model, 0));
    STEP(scenario_scan(kv, NULL, 0, &model, sc->n));
    if (sc->file) { /* reopen and compact */
        STEP(llmspell_kv_close(kv));
        kv_open = 0;
        rc = scenario_open(sc, kv, &o);
        if (rc == LLMSPELL_ERR_NOMEM) rc = scenario_open(sc, kv, &o);
        STEP(rc);
        kv_open = 1;
        STEP(scenario_scan(kv, NULL, 0, &model, sc->n));
        STEP(llmspell_kv_compact(kv));
        STEP(scenario_scan(kv, NULL, 0, &model, sc->n));
    }
    STEP(llmspell_kv_delete(kv, S("pi"))); /* the side record goes with it */
    pairs_del(&model, S("pi"));
    pairs_del(&model, S("\xFF" "Epi"));
    STEP(scenario_scan(kv, NULL, 0, &model, sc->n));
    /* a tenant view */
    STEP(llmspell_kv_open_tenant(view, kv, S("tenant")));
    view_open = 1;
    STEP(llmspell_kv_put(view, S("v1"), S("1")));
    STEP(llmspell_kv_put(view, S("v2"), S("2")));
    STEP(llmspell_kv_put(view, S("k00"), S("view")));
    pairs_set(&vmodel, S("v1"), S("1"));
    pairs_set(&vmodel, S("v2"), S("2"));
    pairs_set(&vmodel, S("k00"), S("view"));
    STEP(llmspell_kv_delete(view, S("v2")));
    pairs_del(&vmodel, S("v2"));
    {
        llmspell_kv_info in = make_info(1, 2, NULL, NULL);
        tenant_list tl;
        STEP(llmspell_kv_put_info(view, S("vi"), S("x"), &in));
        pairs_set(&vmodel, S("vi"), S("x"));
        memset(&tl, 0, sizeof tl);
        STEP(llmspell_kv_tenants(kv, tenant_cb, &tl, NULL));
        CHECK(tl.n == 1 || (tl.n == 2 && sc->ca->injected), "N=%ld: %d tenants", sc->n, tl.n); /* a retried listing counts twice */
    }
    STEP(scenario_scan(view, NULL, 0, &vmodel, sc->n));
    STEP(llmspell_kv_close(view));
    view_open = 0;
    {   /* the root's user keys are unchanged by the view */
        pairs all = {0}, user = {0};
        char why[512];
        STEP(scan_collect(kv, NULL, 0, NULL, 0, &all));
        pairs_split(&all, 0, &user);
        CHECK(pairs_equal(&user, &model, why, sizeof why), "N=%ld: root after the view: %s", sc->n, why);
        pairs_free(&all);
        pairs_free(&user);
    }
out:
    if (view_open) llmspell_kv_close(view);
    if (kv_open) llmspell_kv_close(kv);
    CHECK(sc->ca->live == 0, "N=%ld: %ld blocks still allocated after close", sc->n, sc->ca->live);
    pairs_free(&model);
    pairs_free(&vmodel);
    return !sc->ca->injected;
}

/* A write that fails inside a joined transaction marks the store's transaction failed,
   whichever handle began it: only a rollback is then allowed. */
static void test_txn_join_failure(void)
{
    static uint8_t big[40000]; /* over the slab size: its own allocation, which is made to fail */
    static char longkey[2000];   /* past a view's key buffer: the view's own allocation fails */
    counting_alloc ca;
    llmspell_kv_options o;
    llmspell_kv root, view, nested;
    llmspell_kv *h[3];
    llmspell_kv_entry e;
    int bi, wi, kind;
    memset(&o, 0, sizeof o);
    failalloc_use(&o.allocator, &ca);
    REQUIRE_RC(llmspell_kv_open_memory(&root, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&view, &root, S("v")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&nested, &view, S("n")), LLMSPELL_OK);
    h[0] = &root;
    h[1] = &view;
    h[2] = &nested;
    memset(&e, 0, sizeof e);
    e.key = "big";
    e.klen = 3;
    e.val = big;
    e.vlen = sizeof big;
    memset(longkey, 'k', sizeof longkey);
    for (bi = 0; bi < 3; bi++) {
        for (wi = 0; wi < 3; wi++) {
            for (kind = 0; kind < 3; kind++) { /* a put, a batch, a view's long key */
                llmspell_result rc;
                if (kind == 2 && wi == 0) continue;
                CHECK_RC(llmspell_kv_put(&root, S("before"), S("1")), LLMSPELL_OK);
                CHECK_RC(llmspell_kv_begin(h[bi]), LLMSPELL_OK);
                CHECK_RC(llmspell_kv_put(h[wi], S("in"), S("1")), LLMSPELL_OK);
                ca.fail_at = ca.calls + 1;
                rc = kind == 2 ? llmspell_kv_put(h[wi], longkey, sizeof longkey - (size_t)(bi * 3 + kind), S("v"))
                     : kind ? llmspell_kv_put_batch(h[wi], &e, 1) : llmspell_kv_put(h[wi], e.key, e.klen, e.val, e.vlen);
                ca.fail_at = 0;
                CHECK(rc == LLMSPELL_ERR_NOMEM, "begun on the %s, written through the %s: %s", JOIN_HANDLES[bi], JOIN_HANDLES[wi],
                      rc_name(rc));
                CHECK_FAILS(h[bi], llmspell_kv_commit(h[bi]), LLMSPELL_ERR_TXN);
                CHECK_FAILS(h[(wi + 1) % 3], llmspell_kv_put(h[(wi + 1) % 3], S("more"), S("x")), LLMSPELL_ERR_TXN);
                CHECK_FAILS(h[wi], llmspell_kv_clear(h[wi]), LLMSPELL_ERR_TXN);
                CHECK_RC(llmspell_kv_rollback(h[bi]), LLMSPELL_OK);
                CHECK_ABSENT(h[wi], S("in"));
                CHECK_VALUE(&root, S("before"), S("1"));
                CHECK_RC(llmspell_kv_put(h[wi], S("after"), S("1")), LLMSPELL_OK); /* usable again */
                if (harness_failures) goto out;
            }
        }
    }
out:
    CHECK_RC(llmspell_kv_close(&nested), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&view), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&root), LLMSPELL_OK);
    CHECK(ca.live == 0, "%ld blocks leaked", ca.live);
}

static void alloc_failure(const void *arg)
{
    const backend_desc *b = (const backend_desc *)arg;
    scenario sc;
    counting_alloc ca;
    long n;
    memset(&sc, 0, sizeof sc);
    sc.ca = &ca;
    sc.file = b->kind == K_FILE;
    tmp_path(sc.path, sizeof sc.path, "alloc");
    for (n = 1; n < 100000; n++) {
        memset(&ca, 0, sizeof ca);
        ca.fail_at = n;
        sc.n = n;
        if (scenario_run(&sc)) break;
        if (harness_failures) return;
    }
    fprintf(stderr, "note: %s: the scenario was run with each of its %ld allocations failing\n", b->name, n - 1);
    CHECK(n < 100000, "the scenario never completed");
    CHECK(n > 10, "the scenario completed after only %ld allocations: is the allocator used?", n - 1);
}


#if COMPAT_HAS_POSTGRES
/* >>postgres faults: the server down at open, the connection lost inside a transaction, a
   statement the server refuses. Each leaves a clear message naming the server and the
   operation, a handle that works again, and nothing half-written. */

static const backend_desc *pg_backend(void)
{
    size_t i;
    for (i = 0; i < N_BACKENDS; i++)
        if (BACKENDS[i].kind == K_POSTGRES) return &BACKENDS[i];
    return NULL;
}

/* Runs sql on a connection of its own to the store's schema (a second client). */
static int pg_admin(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
    if (!ok) fprintf(stderr, "pg_admin %s: %s\n", sql, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
    if (r) PQclear(r);
    PQfinish(c);
    return ok;
}

/* Terminates the server process behind kv's connection, as an administrator or a crash would. */
static int pg_kill(const char *conninfo, llmspell_kv *kv)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", PQbackendPID(((llmspell__pq *)kv->ctx)->conn));
    return pg_admin(conninfo, sql);
}

static int errmsg_has(llmspell_kv *kv, const char *a, const char *b)
{
    const char *m = llmspell_kv_errmsg(kv);
    return m && strstr(m, a) && (!b || strstr(m, b));
}

static void test_postgres_server_down(void)
{
    llmspell_kv kv;
    char dir[COMPAT_PATH_MAX - 96], conninfo[COMPAT_PATH_MAX];
    tmp_path(dir, sizeof dir, "no-server"); /* a socket directory where no server listens */
    snprintf(conninfo, sizeof conninfo, "host=%s port=5432 user=postgres dbname=postgres connect_timeout=5", dir);
    CHECK_RC(llmspell_kv_open_postgres(&kv, conninfo, NULL), LLMSPELL_ERR_IO);
    CHECK(errmsg_has(&kv, "postgres postgres on ", "connect:"), "message: %s", llmspell_kv_errmsg(&kv));
    CHECK(strcmp(llmspell_kv_name(&kv), "closed") == 0, "a failed open leaves %s", llmspell_kv_name(&kv));
    CHECK_RC(llmspell_kv_put(&kv, S("k"), S("v")), LLMSPELL_ERR_CLOSED);
}

static void test_postgres_connection_lost(void)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[3];
    char big[64];
    size_t i;
    OPEN_STORE(s, pg_backend(), NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("before"), S("1")), LLMSPELL_OK);

    /* lost between two calls outside a transaction: the next call reconnects */
    REQUIRE(pg_kill(s.path, kv), "could not terminate the connection");
    CHECK_VALUE(kv, S("before"), S("1"));

    /* lost inside a transaction, its puts queued: the commit fails, nothing is written */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("txn1"), S("a")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("txn2"), S("b")), LLMSPELL_OK);
    REQUIRE(pg_kill(s.path, kv), "could not terminate the connection");
    CHECK_RC(llmspell_kv_commit(kv), LLMSPELL_ERR_IO);
    CHECK(errmsg_has(kv, "postgres", "connection lost"), "message: %s", llmspell_kv_errmsg(kv));
    (void)llmspell_kv_rollback(kv); /* the family may have ended it already */
    CHECK_ABSENT(kv, S("txn1"));
    CHECK_ABSENT(kv, S("txn2"));
    CHECK_VALUE(kv, S("before"), S("1"));

    /* lost inside a transaction before a read: the read fails, the rollback ends it */
    CHECK_RC(llmspell_kv_begin(kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(kv, S("txn3"), S("c")), LLMSPELL_OK);
    REQUIRE(pg_kill(s.path, kv), "could not terminate the connection");
    {
        const void *v;
        size_t vn;
        CHECK_RC(llmspell_kv_get(kv, S("before"), &v, &vn), LLMSPELL_ERR_IO);
        CHECK(errmsg_has(kv, "get", NULL), "message: %s", llmspell_kv_errmsg(kv));
    }
    CHECK_RC(llmspell_kv_rollback(kv), LLMSPELL_OK);
    CHECK_ABSENT(kv, S("txn3"));

    /* a batch after all that is whole */
    for (i = 0; i < 3; i++) {
        snprintf(big, sizeof big, "after%u", (unsigned)i);
        e[i].key = strdup(big);
        e[i].klen = strlen(big);
        e[i].val = "x";
        e[i].vlen = 1;
    }
    CHECK_RC(llmspell_kv_put_batch(kv, e, 3), LLMSPELL_OK);
    CHECK_VALUE(kv, S("after2"), S("x"));
    for (i = 0; i < 3; i++) free((void *)e[i].key);
    CLOSE_STORE(s);
}

static void test_postgres_statement_error(void)
{
    store s;
    llmspell_kv *kv;
    llmspell_kv_entry e[3];
    char sql[160], big[200];
    memset(big, 'b', sizeof big);
    OPEN_STORE(s, pg_backend(), NULL);
    kv = s.kv;
    CHECK_RC(llmspell_kv_put(kv, S("keep"), S("1")), LLMSPELL_OK);
    /* another client narrows the table: values of 100 bytes or more are refused */
    snprintf(sql, sizeof sql, "ALTER TABLE llmspell_kv ADD CONSTRAINT small CHECK (octet_length(v) < 100)");
    REQUIRE(pg_admin(s.path, sql), "could not add the constraint");

    CHECK_RC(llmspell_kv_put(kv, S("one"), big, sizeof big), LLMSPELL_ERR_CONFLICT);
    CHECK(errmsg_has(kv, "put", "small"), "message: %s", llmspell_kv_errmsg(kv));
    CHECK_ABSENT(kv, S("one"));

    /* in a batch the refusal arrives at commit: the batch is rolled back whole */
    e[0].key = "b0"; e[0].klen = 2; e[0].val = "ok"; e[0].vlen = 2;
    e[1].key = "b1"; e[1].klen = 2; e[1].val = big; e[1].vlen = sizeof big;
    e[2].key = "b2"; e[2].klen = 2; e[2].val = "ok"; e[2].vlen = 2;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 3), LLMSPELL_ERR_CONFLICT);
    CHECK(errmsg_has(kv, "postgres", "small"), "message: %s", llmspell_kv_errmsg(kv));
    CHECK_ABSENT(kv, S("b0"));
    CHECK_ABSENT(kv, S("b1"));
    CHECK_ABSENT(kv, S("b2"));
    CHECK_VALUE(kv, S("keep"), S("1"));
    e[1].vlen = 2;
    CHECK_RC(llmspell_kv_put_batch(kv, e, 3), LLMSPELL_OK); /* the handle is fine */
    CHECK_VALUE(kv, S("b1"), big, 2);
    CLOSE_STORE(s);
}

/* Two connections to one store (as two processes would have): each sees the other's commits,
   never what the other has not committed. */
static void test_postgres_two_clients(void)
{
    store s;
    llmspell_kv other;
    OPEN_STORE(s, pg_backend(), NULL);
    REQUIRE_RC(llmspell_kv_open_postgres(&other, s.path, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("a"), S("1")), LLMSPELL_OK);
    CHECK_VALUE(&other, S("a"), S("1"));
    CHECK_RC(llmspell_kv_begin(s.kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("a"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(s.kv, S("b"), S("2")), LLMSPELL_OK);
    CHECK_VALUE(s.kv, S("b"), S("2")); /* its own writes, inside the transaction */
    CHECK_VALUE(&other, S("a"), S("1"));
    CHECK_ABSENT(&other, S("b"));
    CHECK_RC(llmspell_kv_commit(s.kv), LLMSPELL_OK);
    CHECK_VALUE(&other, S("a"), S("2"));
    CHECK_VALUE(&other, S("b"), S("2"));
    CHECK_RC(llmspell_kv_delete(&other, S("a")), LLMSPELL_OK);
    CHECK_ABSENT(s.kv, S("a"));
    CHECK_RC(llmspell_kv_close(&other), LLMSPELL_OK);
    CLOSE_STORE(s);
}

static void test_postgres_open_modes(void)
{
    char conninfo[COMPAT_PATH_MAX], why[512];
    llmspell_kv kv, ro;
    llmspell_kv_options o;
    REQUIRE(compat_pg_fresh(conninfo, sizeof conninfo, why, sizeof why), "no PostgreSQL store: %s", why);
    memset(&o, 0, sizeof o);
    o.no_create = 1;
    CHECK_RC(llmspell_kv_open_postgres(&kv, conninfo, &o), LLMSPELL_ERR_NOT_FOUND);
    CHECK(errmsg_has(&kv, "llmspell_kv", "does not exist"), "message: %s", llmspell_kv_errmsg(&kv));
    REQUIRE_RC(llmspell_kv_open_postgres(&kv, conninfo, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("k"), S("v")), LLMSPELL_OK);
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    REQUIRE_RC(llmspell_kv_open_postgres(&ro, conninfo, &o), LLMSPELL_OK);
    CHECK_VALUE(&ro, S("k"), S("v"));
    CHECK_RC(llmspell_kv_put(&ro, S("k"), S("w")), LLMSPELL_ERR_READONLY);
    CHECK_RC(llmspell_kv_close(&ro), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_close(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_open_postgres(&kv, NULL, NULL), LLMSPELL_ERR_INVALID);
}
#endif

/* ------------------------------------------------------------------------------------------ */
/* >>main                                                                                      */

static const char *const CONF_NAMES[] = {"basic", "values", "get_copy", "get_batch", "put_batch", "delete_batch",
                                         "clear", "scan_order", "scan_start", "scan_stop", "iter_writes", "txn",
                                         "stats", "characteristics", "bad_input", "persist", "entries"};
static void (*const CONF_FNS[])(const void *) = {conf_basic, conf_values, conf_get_copy, conf_get_batch, conf_put_batch,
                                                 conf_delete_batch, conf_clear, conf_scan_order, conf_scan_start,
                                                 conf_scan_stop, conf_iter_writes, conf_txn, conf_stats,
                                                 conf_characteristics, conf_bad_input, conf_persist, conf_entries};

#if COMPAT_WIN32
/* "--child <function> <arg>": the child process of IN_CHILD (in_child_at). */
static int child_main(const char *fn_name, const char *arg)
{
    static const struct { const char *name; void (*fn)(void *); } fns[] = {
        {"child_expect_busy", child_expect_busy},
        {"child_expect_open", child_expect_open},
        {"child_crash_in_txn", child_crash_in_txn},
        {"child_crash_times", child_crash_times},
    };
    char text[1024];
    const char *res;
    size_t i;
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        if (strcmp(fns[i].name, fn_name) != 0) continue;
        harness_failures = 0;
        harness_first[0] = 0;
        fns[i].fn((void *)(uintptr_t)arg);
        res = harness_result_text(text, sizeof text);
        if (res) fputs(res, stdout);
        fflush(stdout);
        return res ? 1 : 0;
    }
    printf("no child function %s", fn_name);
    return 3;
}
#endif

/* >>time text: llmspell_time_format / llmspell_time_parse, the family's one RFC 3339 codec */
static void test_time_text(void)
{
    static const struct { const char *in; llmspell_time t; const char *out; } ok[] = {
        {"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"},
        {"2024-05-01T12:00:00.25+02:00", 1714557600250000ll, "2024-05-01T10:00:00.250000Z"},
        {"2024-02-29", 1709164800000000ll, "2024-02-29T00:00:00Z"},
        {"2016-12-31t23:59:60z", 1483228800000000ll, "2017-01-01T00:00:00Z"}, /* a leap second: the next one */
        {"1969-12-31 23:59:59.999999Z", -1, "1969-12-31T23:59:59.999999Z"},
        {"0001-01-01T00:00:00Z", -62135596800000000ll, "0001-01-01T00:00:00Z"},
        {"2024-01-01T00:00:00.1234567-05:30", 1704087000123456ll, "2024-01-01T05:30:00.123456Z"},
        {"1714564800000000", 1714564800000000ll, "2024-05-01T12:00:00Z"},
        {"-5", -5, "1969-12-31T23:59:59.999995Z"},
        {"+inf", LLMSPELL_TIME_MAX, "+inf"},
        {"inf", LLMSPELL_TIME_MAX, "+inf"},
        {"-inf", LLMSPELL_TIME_MIN, "-inf"},
    };
    static const char *const bad[] = {"", "-", "2024-05-01T12:00:00", "2023-02-29", "2024-13-01", "2024-05-01T24:00:00Z",
                                      "2024-05-01T12:00Z", "2024-05-01T12:00:00.Z", "2024-05-01X", "12a", "99999999999999999999",
                                      "2024-05-01T12:00:00+2:00", "2024-05-01T12:00:00Zjunk"};
    size_t i;
    char buf[64];
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        llmspell_time t = 0;
        CHECK_RC(llmspell_time_parse(ok[i].in, LLMSPELL_STRLEN, &t), LLMSPELL_OK);
        CHECK(t == ok[i].t, "%s: %lld, want %lld", ok[i].in, (long long)t, (long long)ok[i].t);
        CHECK(llmspell_time_format(ok[i].t, buf, sizeof buf) == strlen(ok[i].out) && strcmp(buf, ok[i].out) == 0, "format %lld: %s",
              (long long)ok[i].t, buf);
        CHECK_RC(llmspell_time_parse(buf, strlen(buf), &t), LLMSPELL_OK);
        CHECK(t == ok[i].t, "%s does not read back", buf);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmspell_time t;
        CHECK_RC(llmspell_time_parse(bad[i], LLMSPELL_STRLEN, &t), LLMSPELL_ERR_PARSE);
    }
    CHECK(llmspell_time_format(0, buf, 5) == 20 && strcmp(buf, "1970") == 0, "truncated, snprintf style");
}

int main(int argc, char **argv)
{
    char name[128];
    size_t b, t;
#if COMPAT_WIN32
    char **uargv = compat_utf8_argv(&argc); /* the child's path argument may hold any character */
    if (argc == 4 && uargv && strcmp(uargv[1], "--child") == 0) return child_main(uargv[2], uargv[3]);
#endif
    (void)argc;
    (void)argv;
    if (!compat_make_tmpdir(g_tmpdir, sizeof g_tmpdir, "llmspell-test-")) {
        perror("cannot make a temporary directory");
        return 2;
    }
    compat_note_no_sqlite("conformance_sqlite, model_sqlite and the SQLite parts of test_file_no_create and test_file_read_only");
    for (b = 0; b < N_BACKENDS; b++) {
        for (t = 0; t < sizeof CONF_FNS / sizeof CONF_FNS[0]; t++) {
            if (CONF_FNS[t] == conf_persist && !BACKENDS[b].persistent) continue; /* nothing to reopen */
            snprintf(name, sizeof name, "conformance_%s_%s", BACKENDS[b].name, CONF_NAMES[t]);
            RUN_ARG(name, CONF_FNS[t], &BACKENDS[b]);
        }
    }
    for (b = 0; b < N_BACKENDS; b++) {
        snprintf(name, sizeof name, "model_%s", BACKENDS[b].name);
        RUN_ARG(name, model_run, &BACKENDS[b]);
    }
    RUN(test_time_text);
    RUN_ARG("tenant_isolation_memory", tenant_isolation, &BACKENDS[0]);
    RUN_ARG("tenant_isolation_file", tenant_isolation, &BACKENDS[1]);
    RUN_ARG("txn_join_memory", txn_join, &BACKENDS[0]);
    RUN_ARG("txn_join_file", txn_join, &BACKENDS[1]);
    RUN_ARG("tenants_memory", tenants_run, &BACKENDS[0]);
    RUN_ARG("tenants_file", tenants_run, &BACKENDS[1]);
#if COMPAT_HAS_SQLITE
    RUN_ARG("txn_join_sqlite", txn_join, &BACKENDS[2]);
    RUN_ARG("tenants_sqlite", tenants_run, &BACKENDS[2]);
    RUN(test_sqlite_old_table);
    RUN_ARG("snapshot_shared_sqlite", snapshot_shared, &BACKENDS[2]);
#endif
    RUN(test_txn_join_failure);
    RUN(test_entry_derived_ids);

    RUN(test_closed_handle);
    RUN(test_closed_after_failed_open);
    RUN(test_strerror);
    RUN(test_file_not_a_file);
    RUN(test_file_no_create);
    RUN(test_file_read_only);
#if COMPAT_WIN32
    RUN(test_file_readonly_attribute);
#else
    RUN(test_file_mode_0444);
#endif
    RUN(test_file_utf8_path);
    RUN(test_file_bad_format);
    RUN(test_file_truncated_header);
    RUN(test_file_newer_version);
    RUN(test_file_busy);

    RUN(test_file_torn_tail);
    RUN(test_file_garbage_tail);
    RUN(test_file_flipped_byte);
    RUN(test_file_crash_uncommitted);
    RUN(test_file_compact);
    RUN(test_memory_compact);
    RUN(test_file_reopen_order);
    RUN(test_file_auto_compact);
    RUN(test_file_version1);
    RUN(test_file_times_recovery);

    RUN(test_tuple_roundtrip);
    RUN(test_tuple_order);
    RUN(test_tuple_malformed);
    RUN(test_key_successor);
    RUN(test_crc32c);
    RUN(test_time_clock);

#if COMPAT_HAS_POSTGRES
    RUN(test_postgres_server_down);
    RUN(test_postgres_connection_lost);
    RUN(test_postgres_statement_error);
    RUN(test_postgres_two_clients);
    RUN_ARG("snapshot_shared_postgres", snapshot_shared, pg_backend());
    RUN(test_postgres_open_modes);
#endif
    RUN_ARG("alloc_failure_memory", alloc_failure, &BACKENDS[0]);
    RUN_ARG("alloc_failure_file", alloc_failure, &BACKENDS[1]);

    remove_tree(g_tmpdir);
    return harness_exit();
}
