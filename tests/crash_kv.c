/* crash_kv.c - real-process crash test of the llmspell_kv file backend.

   cc -std=c99 -O2 -g -Wall -Wextra -I. tests/crash_kv.c -o build/crash_kv
   build/crash_kv [kills]        (default 200)

   Each round forks a child that opens one file store in LLMSPELL_DURABILITY_SAFE and commits
   transactions T = last+1, last+2, ... as fast as it can. Transaction T is generated from a
   PRNG seeded with T alone: K (1..300) operations on keys drawn from a set of NKEYS keys,
   mostly puts of the value "T:<T>|" padded to a length chosen by T, sometimes a delete,
   sometimes one 100 KB value (sometimes 8-15 of them: a transaction over 1 MB), and the
   meta key "last" = T, all in one begin/commit (sometimes the puts go through put_batch
   inside the transaction, sometimes an explicit compact follows; automatic compaction is
   tuned to run often). After each successful commit the child writes T (8 bytes) to a pipe.
   The parent SIGKILLs the child after 0-30 ms, collects the acknowledged T's and reopens the
   store itself. Because every transaction is a pure function of its number, the parent
   replays 1..L (L = the stored "last") into a model and checks:
     (a) the open succeeds: a torn tail is recovered, never ERR_CORRUPT;
     (b) L >= the highest acknowledged T: a commit that returned in safe mode survives the
         death of the process;
     (c) every key transaction L wrote holds "T:<L>...", every key it deleted is absent;
     (d) no key holds a value of a transaction > L (nothing partial or from the future);
     (e) every key holds exactly the model's value (point get for every key of the set and a
         full ordered scan that must find exactly the model's keys, in order).
   Also: L never goes backwards between rounds, and a child continues at exactly L+1.
   Prints one line per failure, then a PASS/FAIL line and "<p> passed, <f> failed".

   On Windows the writer is this program started again (`crash_kv --child PATH ROUND`, its
   acknowledgements on its stdout pipe) and ended with TerminateProcess; the parent waits for
   its first acknowledgement before timing the kill, since starting a process takes longer there.
   Like SIGKILL, that proves what the death of a process leaves behind, not a power cut (the
   crash simulator, tests/crashsim_kv.c, models that for both POSIX and Win32). */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "compat.h"
#define LLMSPELL_KV_IMPLEMENTATION
#include "../llmspell_kv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _WIN32
#include <fcntl.h>
#else
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#define NKEYS 2000
#define MAX_OPS 300
#define BIG_LEN (100u * 1024u)
#define MAX_FAIL_LINES_PER_ROUND 20

/* ---- deterministic transactions ------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

enum { OP_PUT = 0, OP_PUT_BIG = 1, OP_DEL = 2 };

typedef struct txn_op {
    uint32_t key;
    int type;
} txn_op;

typedef struct txn_plan {
    uint64_t t;
    size_t nops;
    size_t vlen;       /* length of the small value */
    int use_batch;     /* puts go through put_batch inside the transaction */
    int compact_after; /* an explicit compact after the commit */
    txn_op ops[MAX_OPS];
} txn_plan;

static void plan_txn(uint64_t t, txn_plan *p) {
    uint64_t s = t * 0xD1B54A32D192ED03ull ^ 0x5DEECE66Dull;
    size_t i;
    int big;
    p->t = t;
    p->nops = 1 + (size_t)(splitmix64(&s) % MAX_OPS);
    p->vlen = 24 + (size_t)(splitmix64(&s) % 200);
    big = splitmix64(&s) % 16 == 0;
    p->use_batch = splitmix64(&s) % 5 == 0;
    p->compact_after = splitmix64(&s) % 60 == 0;
    for (i = 0; i < p->nops; i++) {
        p->ops[i].key = (uint32_t)(splitmix64(&s) % NKEYS);
        p->ops[i].type = splitmix64(&s) % 12 == 0 ? OP_DEL : OP_PUT;
    }
    if (big) {
        /* usually one 100 KB value; sometimes 8-15 of them, a transaction over 1 MB that a
           writer may have to spill to the file before its commit */
        int nbig = splitmix64(&s) % 4 == 0 ? 8 + (int)(splitmix64(&s) % 8) : 1;
        while (nbig--) p->ops[splitmix64(&s) % p->nops].type = OP_PUT_BIG;
    }
}

/* Key i: "k%04u" plus 0..23 filler bytes, so key lengths vary (5..28 bytes). */
static size_t key_name(uint32_t i, char *out) {
    int n = sprintf(out, "k%04u", (unsigned)i);
    size_t extra = (size_t)((i * 7u) % 24u), j;
    for (j = 0; j < extra; j++) out[n + (int)j] = (char)('a' + (char)((i + j) % 26));
    out[n + (int)extra] = 0;
    return (size_t)n + extra;
}

/* Value of transaction t with length len: "T:<t>|" then a filler that depends on t. */
static void make_value(uint64_t t, size_t len, char *out) {
    char head[32];
    int h = sprintf(head, "T:%llu|", (unsigned long long)t);
    size_t i;
    char c = (char)('a' + (char)(t % 26));
    memcpy(out, head, (size_t)h < len ? (size_t)h : len);
    for (i = (size_t)h; i < len; i++) out[i] = (i % 64 == 63) ? '\n' : c;
}

/* ---- child ---------------------------------------------------------------------------- */

static void child_die(const char *what, llmspell_kv *kv, llmspell_result r) {
    fprintf(stderr, "crash_kv child: %s: %s (%s)\n", what, llmspell_strerror(r),
            kv ? llmspell_kv_errmsg(kv) : "");
    fflush(stderr);
    _exit(3);
}

static void write_all(int fd, const void *buf, size_t n) {
    const char *p = (const char *)buf;
    while (n) {
#ifdef _WIN32
        long w = _write(fd, p, (unsigned)n);
#else
        long w = (long)write(fd, p, n);
#endif
        if (w < 0) {
            if (errno == EINTR) continue;
            _exit(4);
        }
        p += w;
        n -= (size_t)w;
    }
}

static void child_main(const char *path, int fd, uint64_t round) {
    static txn_plan plan;
    static char small[256];
    static char big[BIG_LEN];
    static llmspell_kv_entry batch[MAX_OPS];
    llmspell_kv kv;
    llmspell_kv_options opts;
    llmspell_result r;
    const void *v;
    size_t vn;
    uint64_t t;
    char keys[MAX_OPS][40];
    size_t klens[MAX_OPS];

    memset(&opts, 0, sizeof opts);
    opts.durability = LLMSPELL_DURABILITY_SAFE;
    /* vary automatic compaction so it also runs (and gets killed) often */
    if (round % 3 == 1) opts.auto_compact_min_bytes = 256 * 1024;
    if (round % 3 == 2) opts.auto_compact_ratio = 0.3;
    r = llmspell_kv_open_file(&kv, path, &opts);
    if (r != LLMSPELL_OK) child_die("open", &kv, r);
    r = llmspell_kv_get(&kv, "last", 4, &v, &vn);
    if (r == LLMSPELL_OK) {
        char tmp[32];
        if (vn == 0 || vn >= sizeof tmp) child_die("bad 'last' value", NULL, LLMSPELL_ERR_CORRUPT);
        memcpy(tmp, v, vn);
        tmp[vn] = 0;
        t = strtoull(tmp, NULL, 10) + 1;
    } else if (r == LLMSPELL_ERR_NOT_FOUND) {
        t = 1;
    } else {
        child_die("get last", &kv, r);
        return;
    }
    for (;; t++) {
        size_t i, nb = 0;
        char lastbuf[32];
        int ln;
        plan_txn(t, &plan);
        make_value(t, plan.vlen, small);
        for (i = 0; i < plan.nops; i++)
            if (plan.ops[i].type == OP_PUT_BIG) make_value(t, BIG_LEN, big);
        r = llmspell_kv_begin(&kv);
        if (r != LLMSPELL_OK) child_die("begin", &kv, r);
        for (i = 0; i < plan.nops; i++) {
            const txn_op *op = &plan.ops[i];
            klens[i] = key_name(op->key, keys[i]);
            if (op->type == OP_DEL) {
                int ex = 0;
                if (nb) {
                    r = llmspell_kv_put_batch(&kv, batch, nb);
                    if (r != LLMSPELL_OK) child_die("put_batch", &kv, r);
                    nb = 0;
                }
                r = llmspell_kv_exists(&kv, keys[i], klens[i], &ex);
                if (r != LLMSPELL_OK) child_die("exists", &kv, r);
                if (ex) {
                    r = llmspell_kv_delete(&kv, keys[i], klens[i]);
                    if (r != LLMSPELL_OK) child_die("delete of an existing key", &kv, r);
                }
            } else {
                const char *val = op->type == OP_PUT_BIG ? big : small;
                size_t vl = op->type == OP_PUT_BIG ? BIG_LEN : plan.vlen;
                if (plan.use_batch) {
                    batch[nb].key = keys[i];
                    batch[nb].klen = klens[i];
                    batch[nb].val = val;
                    batch[nb].vlen = vl;
                    nb++;
                } else {
                    r = llmspell_kv_put(&kv, keys[i], klens[i], val, vl);
                    if (r != LLMSPELL_OK) child_die("put", &kv, r);
                }
            }
        }
        if (nb) {
            r = llmspell_kv_put_batch(&kv, batch, nb);
            if (r != LLMSPELL_OK) child_die("put_batch", &kv, r);
        }
        ln = sprintf(lastbuf, "%llu", (unsigned long long)t);
        r = llmspell_kv_put(&kv, "last", 4, lastbuf, (size_t)ln);
        if (r != LLMSPELL_OK) child_die("put last", &kv, r);
        r = llmspell_kv_commit(&kv);
        if (r != LLMSPELL_OK) child_die("commit", &kv, r);
        write_all(fd, &t, sizeof t);
        if (plan.compact_after) {
            r = llmspell_kv_compact(&kv);
            if (r != LLMSPELL_OK) child_die("compact", &kv, r);
        }
    }
}

/* ---- parent: model and checks --------------------------------------------------------- */

typedef struct model_key {
    uint64_t t;   /* transaction of the value; 0: absent */
    uint32_t len; /* value length */
} model_key;

static model_key model[NKEYS];
static uint64_t model_t; /* the model holds transactions 1..model_t */
static txn_plan pplan;

static void model_apply(uint64_t t) {
    size_t i;
    plan_txn(t, &pplan);
    for (i = 0; i < pplan.nops; i++) {
        model_key *m = &model[pplan.ops[i].key];
        if (pplan.ops[i].type == OP_DEL) {
            m->t = 0;
            m->len = 0;
        } else {
            m->t = t;
            m->len = pplan.ops[i].type == OP_PUT_BIG ? BIG_LEN : (uint32_t)pplan.vlen;
        }
    }
}

static void model_advance(uint64_t to) {
    if (to < model_t) {
        memset(model, 0, sizeof model);
        model_t = 0;
    }
    while (model_t < to) model_apply(++model_t);
}

static int nfail_lines;
static int round_fail_lines;

static void fail(uint64_t round, const char *fmt, ...) LLMSPELL__PRINTF(2, 3);
static void fail(uint64_t round, const char *fmt, ...) {
    va_list ap;
    nfail_lines++;
    if (++round_fail_lines > MAX_FAIL_LINES_PER_ROUND) return;
    printf("FAIL round %llu: ", (unsigned long long)round);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (round_fail_lines == MAX_FAIL_LINES_PER_ROUND) printf("  (further failures of this round not printed)\n");
    fflush(stdout);
}

/* Transaction number in a value "T:<n>|...", or 0 when it does not parse. */
static uint64_t value_txn(const void *v, size_t n) {
    const char *s = (const char *)v;
    uint64_t t = 0;
    size_t i;
    if (n < 4 || s[0] != 'T' || s[1] != ':') return 0;
    for (i = 2; i < n && s[i] >= '0' && s[i] <= '9' && i < 22; i++) t = t * 10 + (uint64_t)(s[i] - '0');
    if (i >= n || s[i] != '|') return 0;
    return t;
}

static const char *show(const void *v, size_t n, char *buf, size_t cap) {
    size_t i, m = n < cap - 1 ? n : cap - 1;
    for (i = 0; i < m; i++) {
        unsigned char c = ((const unsigned char *)v)[i];
        buf[i] = (c >= 32 && c < 127) ? (char)c : '.';
    }
    buf[m] = 0;
    return buf;
}

/* Compares one stored value with the model; reports (d) and (e) failures. */
static void check_value(uint64_t round, uint64_t L, uint32_t k, const void *v, size_t vn, char *expect) {
    const model_key *m = &model[k];
    char name[40], sb[48];
    uint64_t vt = value_txn(v, vn);
    key_name(k, name);
    if (vt > L) {
        fail(round, "(d) key %s holds a value of transaction %llu > last %llu", name,
             (unsigned long long)vt, (unsigned long long)L);
        return;
    }
    if (m->t == 0) {
        fail(round, "(e) key %s should be absent (deleted or never written by 1..%llu) but holds \"%s\" (%zu bytes)",
             name, (unsigned long long)L, show(v, vn, sb, 24), vn);
        return;
    }
    make_value(m->t, m->len, expect);
    if (vn != m->len || memcmp(v, expect, vn) != 0)
        fail(round, "(e) key %s: expected the value of transaction %llu (%u bytes), got \"%s\" (%zu bytes, transaction %llu)",
             name, (unsigned long long)m->t, (unsigned)m->len, show(v, vn, sb, 24), vn, (unsigned long long)vt);
}

static int parse_key(const void *k, size_t kn, uint32_t *idx) {
    const char *s = (const char *)k;
    char name[40];
    unsigned v = 0;
    size_t i;
    if (kn < 5 || kn >= sizeof name || s[0] != 'k') return 0;
    for (i = 1; i < 5; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v >= NKEYS) return 0;
    if (key_name(v, name) != kn || memcmp(name, k, kn) != 0) return 0;
    *idx = v;
    return 1;
}

/* Opens the store and runs checks (a)-(e). Returns the stored last (or prev_last when the
   store cannot be read, so the run goes on). */
static uint64_t check_store(const char *path, uint64_t round, uint64_t max_ack, uint64_t prev_last) {
    static char expect[BIG_LEN];
    static unsigned char seen[NKEYS];
    llmspell_kv kv;
    llmspell_kv_iter *it = NULL;
    llmspell_result r;
    const void *v, *kp;
    size_t vn, kn, i;
    uint64_t L = 0;
    uint32_t k;
    size_t model_count = 0, scan_count = 0;
    int have_prev = 0;
    uint8_t prevk[64];
    size_t prevkn = 0;

    r = llmspell_kv_open_file(&kv, path, NULL);
    if (r != LLMSPELL_OK) {
        fail(round, "(a) reopen after SIGKILL failed: %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(&kv));
        return prev_last;
    }
    r = llmspell_kv_get(&kv, "last", 4, &v, &vn);
    if (r == LLMSPELL_OK) {
        char tmp[32];
        if (vn == 0 || vn >= sizeof tmp) {
            fail(round, "\"last\" has a bad value (%zu bytes)", vn);
        } else {
            memcpy(tmp, v, vn);
            tmp[vn] = 0;
            L = strtoull(tmp, NULL, 10);
        }
    } else if (r != LLMSPELL_ERR_NOT_FOUND) {
        fail(round, "get \"last\": %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(&kv));
    }
    if (L < max_ack)
        fail(round, "(b) last = %llu < highest acknowledged %llu: %llu acknowledged safe-mode commit(s) lost",
             (unsigned long long)L, (unsigned long long)max_ack, (unsigned long long)(max_ack - L));
    if (L < prev_last)
        fail(round, "last went backwards: %llu after %llu in the previous round", (unsigned long long)L,
             (unsigned long long)prev_last);
    model_advance(L);

    /* (c): the keys of transaction L */
    if (L > 0) {
        plan_txn(L, &pplan);
        for (i = 0; i < pplan.nops; i++) {
            char name[40];
            size_t n = key_name(pplan.ops[i].key, name);
            r = llmspell_kv_get(&kv, name, n, &v, &vn);
            if (model[pplan.ops[i].key].t == L) { /* its final op in L was a put */
                if (r != LLMSPELL_OK) fail(round, "(c) key %s written by last transaction %llu: %s", name,
                                           (unsigned long long)L, llmspell_strerror(r));
                else if (value_txn(v, vn) != L)
                    fail(round, "(c) key %s written by last transaction %llu holds transaction %llu", name,
                         (unsigned long long)L, (unsigned long long)value_txn(v, vn));
            } else if (r != LLMSPELL_ERR_NOT_FOUND) {
                fail(round, "(c) key %s deleted by last transaction %llu: get returned %s", name,
                     (unsigned long long)L, llmspell_strerror(r));
            }
        }
    }

    /* (d)+(e) by point get of every key of the set */
    for (k = 0; k < NKEYS; k++) {
        char name[40];
        size_t n = key_name(k, name);
        if (model[k].t) model_count++;
        r = llmspell_kv_get(&kv, name, n, &v, &vn);
        if (r == LLMSPELL_OK) {
            check_value(round, L, k, v, vn, expect);
        } else if (r == LLMSPELL_ERR_NOT_FOUND) {
            if (model[k].t)
                fail(round, "(e) key %s missing, expected the value of transaction %llu", name,
                     (unsigned long long)model[k].t);
        } else {
            fail(round, "get %s: %s (%s)", name, llmspell_strerror(r), llmspell_kv_errmsg(&kv));
        }
    }

    /* (d)+(e) by a full ordered scan: exactly the model's keys plus "last", in order */
    memset(seen, 0, sizeof seen);
    r = llmspell_kv_iter_open(&kv, NULL, 0, &it);
    if (r != LLMSPELL_OK) {
        fail(round, "iter_open: %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(&kv));
    } else {
        int saw_last = 0;
        while ((r = llmspell_kv_iter_next(it, &kp, &kn, &v, &vn)) == LLMSPELL_OK) {
            if (have_prev) {
                size_t m = kn < prevkn ? kn : prevkn;
                int c = memcmp(prevk, kp, m);
                if (c > 0 || (c == 0 && prevkn >= kn)) fail(round, "scan out of order");
            }
            if (kn <= sizeof prevk) {
                memcpy(prevk, kp, kn);
                prevkn = kn;
                have_prev = 1;
            }
            if (kn == 4 && memcmp(kp, "last", 4) == 0) {
                saw_last = 1;
                continue;
            }
            if (!parse_key(kp, kn, &k)) {
                char sb[48];
                fail(round, "scan found an unexpected key \"%s\" (%zu bytes)", show(kp, kn, sb, 40), kn);
                continue;
            }
            if (seen[k]) fail(round, "scan returned key %u twice", (unsigned)k);
            seen[k] = 1;
            scan_count++;
            check_value(round, L, k, v, vn, expect);
        }
        if (r != LLMSPELL_ERR_NOT_FOUND)
            fail(round, "iter_next: %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(&kv));
        llmspell_kv_iter_close(it);
        if (L > 0 && !saw_last) fail(round, "scan did not return \"last\"");
        if (scan_count != model_count)
            fail(round, "(e) scan returned %zu keys, the model has %zu after transactions 1..%llu", scan_count,
                 model_count, (unsigned long long)L);
    }
    {
        llmspell_kv_stats st;
        r = llmspell_kv_stats_get(&kv, &st);
        if (r != LLMSPELL_OK) fail(round, "stats: %s (%s)", llmspell_strerror(r), llmspell_kv_errmsg(&kv));
        else if (st.keys != model_count + (L > 0))
            fail(round, "stats say %llu keys, the model has %zu (+ \"last\")", (unsigned long long)st.keys,
                 model_count);
    }
    r = llmspell_kv_close(&kv);
    if (r != LLMSPELL_OK) fail(round, "close: %s", llmspell_strerror(r));
    return L;
}

/* ---- main ----------------------------------------------------------------------------- */

/* Files in dir other than the store itself (a compaction's temp file). */
static int count_other_files(const char *dir) {
    compat_dir d;
    const char *name;
    int n = 0;
    if (!compat_dir_open(&d, dir)) return 0;
    while ((name = compat_dir_next(&d)) != NULL)
        if (strcmp(name, ".") && strcmp(name, "..") && strcmp(name, "crash.db")) n++;
    compat_dir_close(&d);
    return n;
}

/* The writer process: started, fed from, killed and reaped the same way on both systems. */
typedef struct writer {
#ifdef _WIN32
    HANDLE proc, out;
#else
    pid_t pid;
    int fd;
#endif
} writer;

#ifdef _WIN32
#define KILL_CODE 77u /* the exit code TerminateProcess gives the writer */
static void sleep_us(long us) { Sleep((DWORD)((us + 999) / 1000)); }
static double now_s(void) { return (double)GetTickCount64() / 1000.0; }
static int writer_start(writer *w, const char *path, long round) {
    char r[32];
    const char *args[3];
    snprintf(r, sizeof r, "%ld", round);
    args[0] = "--child", args[1] = path, args[2] = r;
    return compat_spawn_self(args, 3, &w->proc, &w->out);
}
static long writer_read(writer *w, void *buf, size_t n) {
    DWORD got = 0;
    if (!ReadFile(w->out, buf, (DWORD)n, &got, NULL)) return 0; /* broken pipe: the writer is gone */
    return (long)got;
}
static void writer_kill(writer *w) { TerminateProcess(w->proc, KILL_CODE); }
/* 0 when the kill ended it; otherwise a description in why */
static int writer_reap(writer *w, char *why, size_t cap) {
    DWORD code = 0;
    CloseHandle(w->out);
    WaitForSingleObject(w->proc, INFINITE);
    GetExitCodeProcess(w->proc, &code);
    CloseHandle(w->proc);
    if (code == KILL_CODE) return 0;
    snprintf(why, cap, "writer exited with status %lu before the kill (see its message above)", (unsigned long)code);
    return 1;
}
#else
static void sleep_us(long us) {
    struct timespec ts;
    ts.tv_sec = us / 1000000;
    ts.tv_nsec = (us % 1000000) * 1000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static int writer_start(writer *w, const char *path, long round) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    w->pid = fork();
    if (w->pid < 0) return -1;
    if (w->pid == 0) {
        close(fds[0]);
        child_main(path, fds[1], (uint64_t)round);
        _exit(5);
    }
    close(fds[1]);
    w->fd = fds[0];
    return 0;
}
static long writer_read(writer *w, void *buf, size_t n) {
    for (;;) {
        ssize_t got = read(w->fd, buf, n);
        if (got < 0 && errno == EINTR) continue;
        return got < 0 ? 0 : (long)got;
    }
}
static void writer_kill(writer *w) { kill(w->pid, SIGKILL); }
static int writer_reap(writer *w, char *why, size_t cap) {
    int status;
    close(w->fd);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return 0;
    if (WIFEXITED(status))
        snprintf(why, cap, "writer exited with status %d before the kill (see its message above)", WEXITSTATUS(status));
    else
        snprintf(why, cap, "writer died of signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return 1;
}
#endif

int main(int argc, char **argv) {
    long kills = 200, round;
    char dir[4096];
    char path[4096 + 16];
    uint64_t rng = 0x1234567ull ^ (uint64_t)time(NULL);
    uint64_t last = 0, total_acks = 0, lost = 0;
    long rounds_with_acks = 0, child_errors = 0, killed_with_temp = 0, tails_cut = 0;
    double t0 = now_s();

#ifdef _WIN32
    argv = compat_utf8_argv(&argc); /* the store's path may hold any character */
    if (!argv) return 2;
    _setmode(_fileno(stdout), _O_BINARY); /* a writer's acknowledgements are raw bytes */
#endif
    if (argc == 4 && strcmp(argv[1], "--child") == 0) { /* the writer (Windows) */
#ifdef _WIN32
        child_main(argv[2], _fileno(stdout), strtoull(argv[3], NULL, 10));
#endif
        return 5;
    }
    if (argc > 1) {
        kills = strtol(argv[1], NULL, 10);
        if (kills <= 0) {
            fprintf(stderr, "usage: %s [kills]\n", argv[0]);
            return 2;
        }
    }
    if (getenv("CRASH_KV_SEED")) rng = strtoull(getenv("CRASH_KV_SEED"), NULL, 0);
    printf("crash_kv: %ld kills, timing seed %llu (set CRASH_KV_SEED to repeat)\n", kills,
           (unsigned long long)rng);
    fflush(stdout);
    if (!compat_make_tmpdir(dir, sizeof dir, "crash_kv.")) {
        perror("temporary directory");
        return 2;
    }
    snprintf(path, sizeof path, "%s/crash.db", dir);

    for (round = 1; round <= kills; round++) {
        writer w;
        long us;
        uint64_t max_ack = 0, first_ack = 0, nacks = 0, prev_ack = 0, L;
        unsigned char buf[4096];
        size_t have = 0;
        int consecutive = 1;
        char why[200];

        round_fail_lines = 0;
        if (writer_start(&w, path, round) != 0) {
            perror("starting the writer");
            return 2;
        }
#ifdef _WIN32
        { /* a new process takes long to start there: time the kill from its first commit */
            long n = writer_read(&w, buf, 8);
            have = n > 0 ? (size_t)n : 0;
        }
#endif
        /* kill at a random moment: mostly 1-30 ms, sometimes at once, sometimes later */
        switch (splitmix64(&rng) % 10) {
        case 0: us = 0; break;
        case 1: us = (long)(splitmix64(&rng) % 1000); break;
        case 2: us = 30000 + (long)(splitmix64(&rng) % 30000); break;
        default: us = 1000 + (long)(splitmix64(&rng) % 29000); break;
        }
        if (us) sleep_us(us);
        writer_kill(&w);
        for (;;) {
            size_t i, whole;
            if (have < 8) { /* after the loop body there is never a whole acknowledgement left */
                long n = writer_read(&w, buf + have, sizeof buf - have);
                if (n <= 0) break;
                have += (size_t)n;
            }
            whole = have / 8 * 8;
            for (i = 0; i < whole; i += 8) {
                uint64_t t;
                memcpy(&t, buf + i, 8);
                if (nacks == 0) first_ack = t;
                else if (t != prev_ack + 1) consecutive = 0;
                prev_ack = t;
                if (t > max_ack) max_ack = t;
                nacks++;
            }
            memmove(buf, buf + whole, have - whole);
            have -= whole;
        }
        if (writer_reap(&w, why, sizeof why) != 0) {
            child_errors++;
            fail((uint64_t)round, "%s", why);
        }
        if (nacks && first_ack != last + 1)
            fail((uint64_t)round, "writer started at transaction %llu, expected %llu (last seen by the checker + 1)",
                 (unsigned long long)first_ack, (unsigned long long)(last + 1));
        if (!consecutive) fail((uint64_t)round, "acknowledged transactions are not consecutive");
        total_acks += nacks;
        if (nacks) rounds_with_acks++;
        {
            /* coverage: was the writer killed with a temp file (compaction) around, and did the
               reopen cut a torn or uncommitted tail? */
            long long before = compat_file_size(path), after;
            if (count_other_files(dir)) killed_with_temp++;
            L = check_store(path, (uint64_t)round, max_ack, last);
            after = compat_file_size(path);
            if (before >= 0 && after >= 0 && after < before) tails_cut++;
        }
        if (L < max_ack) lost += max_ack - L;
        if (L > last) last = L;
    }
    compat_remove_tree(dir);

    printf("crash_kv: %.1f s, %ld of %ld rounds acknowledged commits, final last = %llu; reopen cut a tail %ld times, "
           "%ld kills left a temp file\n",
           now_s() - t0, rounds_with_acks, kills, (unsigned long long)last, tails_cut, killed_with_temp);
    if (nfail_lines == 0) {
        printf("PASS crash_kv: %ld kills, %llu transactions acknowledged, 0 lost\n", kills,
               (unsigned long long)total_acks);
        printf("1 passed, 0 failed\n");
        return 0;
    }
    printf("FAIL crash_kv: %ld kills, %llu transactions acknowledged, %llu lost, %d failure(s), %ld writer error(s)\n",
           kills, (unsigned long long)total_acks, (unsigned long long)lost, nfail_lines, child_errors);
    printf("0 passed, 1 failed\n");
    return 1;
}
