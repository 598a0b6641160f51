/* test_threads_kv.c - one store shared by threads: readers beside a writer, writers in turn.
   cc -std=c99 -g -O1 -Wall -Wextra -I. tests/test_threads_kv.c -o build/test_threads_kv -lsqlite3 -pthread
   (make test also builds it with -fsanitize=thread and runs that build: a race is a FAIL.)

   Every test checks answers, not just the absence of crashes: each answer must be one that
   some serial order of the writes could give.
     a. bank: a writer moves money between accounts in transactions; readers see the total
        unchanged in a snapshot and in get_batch, and every value is one some commit wrote;
        per backend (memory, file, SQLite, a tenant view)                    bank_<backend>
     b. counter: writers in several threads increment one key in transactions: no update
        is lost (writers take turns)                                         counter_<backend>
     c. sequence: a writer publishes seq then data; readers that see seq = n find data n,
        and seq never goes back for one reader                               sequence_<backend>
     d. rules: a commit from another thread, a write in a read snapshot, read_end without
        begin, each thread's own message, a returned value kept intact while another thread
        overwrites it, iterators while another thread writes                  test_*, keep_<backend>
     e. export while a writer commits: the export is one state (its accounts add up after an
        import into a fresh store)                                           export_<backend> */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define COMPAT_WANT_SQLITE
#include "compat.h"
#include "../llmspell_kv.h"
#include "../llmspell_export.h"

#include "harness.h"

#define S(lit) (lit), (sizeof(lit) - 1)
#define ACCOUNTS 8
#define START 1000

static char dir[256];

/* ------------------------------------------------------------------------------------------ */
/* >>backends: each test runs against every store a user can share */

typedef struct backend {
    const char *name;
    int (*open)(llmspell_kv *kv, llmspell_kv *root, const char *tag); /* 0 ok */
} backend;

static int open_memory(llmspell_kv *kv, llmspell_kv *root, const char *tag) {
    (void)root;
    (void)tag;
    return llmspell_kv_open_memory(kv, NULL) != LLMSPELL_OK;
}

static int open_file(llmspell_kv *kv, llmspell_kv *root, const char *tag) {
    char path[512];
    llmspell_kv_options o;
    (void)root;
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST; /* the lock, not the disk, is under test */
    snprintf(path, sizeof path, "%s/%s.db", dir, tag);
    remove(path);
    return llmspell_kv_open_file(kv, path, &o) != LLMSPELL_OK;
}

#ifdef LLMSPELL_KV_SQLITE
static int open_sqlite(llmspell_kv *kv, llmspell_kv *root, const char *tag) {
    char path[512];
    llmspell_kv_options o;
    (void)root;
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST;
    snprintf(path, sizeof path, "%s/%s.sqlite", dir, tag);
    remove(path);
    return llmspell_kv_open_sqlite(kv, path, &o) != LLMSPELL_OK;
}
#endif

/* A tenant view over a file store: the view is what the threads share. */
static int open_view(llmspell_kv *kv, llmspell_kv *root, const char *tag) {
    if (open_file(root, NULL, tag)) return 1;
    return llmspell_kv_open_tenant(kv, root, S("tenant-a")) != LLMSPELL_OK;
}

static const backend backends[] = {
    {"memory", open_memory},
    {"file", open_file},
#ifdef LLMSPELL_KV_SQLITE
    {"sqlite", open_sqlite},
#endif
    {"view", open_view},
};

/* ------------------------------------------------------------------------------------------ */
/* >>small helpers */

static void put_int(char *buf, size_t cap, long v) { snprintf(buf, cap, "%ld", v); }

static int get_int(llmspell_kv *kv, const char *key, long *out) {
    const void *v;
    size_t n;
    char tmp[32];
    if (llmspell_kv_get(kv, key, strlen(key), &v, &n) != LLMSPELL_OK || n == 0 || n >= sizeof tmp) return 0;
    memcpy(tmp, v, n);
    tmp[n] = 0;
    *out = strtol(tmp, NULL, 10);
    return 1;
}

static void account_key(char *buf, int i) { snprintf(buf, 16, "acct:%02d", i); }

#include "gate.h"

/* ------------------------------------------------------------------------------------------ */
/* >>bank: transfers in transactions; readers check the sum */

typedef struct bank {
    llmspell_kv *kv;
    gate start;
    llmspell__atomic done;   /* the writer finished */
    llmspell__atomic commits;
    int transfers;
    /* what readers found wrong (written by each reader in its own slot) */
    char problem[4][200];
    long reads[4];
} bank;

typedef struct reader_arg {
    bank *b;
    int id;
} reader_arg;

static void bank_writer(void *p) {
    bank *b = (bank *)p;
    uint64_t x = 12345;
    int i;
    gate_wait(&b->start);
    for (i = 0; i < b->transfers; i++) {
        char ka[16], kb[16], va[32], vb[32];
        long a, c;
        int from, to;
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        from = (int)((x >> 33) % ACCOUNTS);
        to = (int)((x >> 40) % ACCOUNTS);
        if (from == to) to = (to + 1) % ACCOUNTS;
        account_key(ka, from);
        account_key(kb, to);
        if (llmspell_kv_begin(b->kv) != LLMSPELL_OK) break;
        if (!get_int(b->kv, ka, &a) || !get_int(b->kv, kb, &c)) { llmspell_kv_rollback(b->kv); break; }
        put_int(va, sizeof va, a - 7);
        put_int(vb, sizeof vb, c + 7);
        if (llmspell_kv_put(b->kv, ka, strlen(ka), va, strlen(va)) != LLMSPELL_OK ||
            llmspell_kv_put(b->kv, kb, strlen(kb), vb, strlen(vb)) != LLMSPELL_OK) {
            llmspell_kv_rollback(b->kv);
            break;
        }
        if (llmspell_kv_commit(b->kv) != LLMSPELL_OK) break;
        llmspell__aadd(&b->commits, 1);
    }
    llmspell__astore(&b->done, 1);
}

static void bank_reader(void *p) {
    reader_arg *ra = (reader_arg *)p;
    bank *b = ra->b;
    char *problem = b->problem[ra->id];
    int round = 0;
    gate_wait(&b->start);
    while (!problem[0] && (!llmspell__aload(&b->done) || round < 3)) {
        long sum = 0, v;
        int i;
        round++;
        switch (round % 3) {
        case 0: { /* a snapshot: the accounts read one by one add up */
            if (llmspell_kv_read_begin(b->kv) != LLMSPELL_OK) {
                snprintf(problem, 200, "read_begin: %s", llmspell_kv_errmsg(b->kv));
                break;
            }
            for (i = 0; i < ACCOUNTS; i++) {
                char k[16];
                account_key(k, i);
                if (!get_int(b->kv, k, &v)) snprintf(problem, 200, "snapshot get %s: %s", k, llmspell_kv_errmsg(b->kv));
                sum += v;
            }
            llmspell_kv_read_end(b->kv);
            if (!problem[0] && sum != ACCOUNTS * START) snprintf(problem, 200, "snapshot sum %ld, expected %d", sum, ACCOUNTS * START);
            break;
        }
        case 1: { /* get_batch is one read */
            llmspell_kv_entry e[ACCOUNTS];
            char keys[ACCOUNTS][16];
            void *block = NULL;
            for (i = 0; i < ACCOUNTS; i++) {
                account_key(keys[i], i);
                e[i].key = keys[i];
                e[i].klen = strlen(keys[i]);
            }
            if (llmspell_kv_get_batch(b->kv, e, ACCOUNTS, &block) != LLMSPELL_OK) {
                snprintf(problem, 200, "get_batch: %s", llmspell_kv_errmsg(b->kv));
                break;
            }
            for (i = 0; i < ACCOUNTS; i++) sum += e[i].val ? strtol((const char *)e[i].val, NULL, 10) : -99999;
            llmspell_kv_free(b->kv, block);
            if (sum != ACCOUNTS * START) snprintf(problem, 200, "get_batch sum %ld, expected %d", sum, ACCOUNTS * START);
            break;
        }
        default: { /* an iterator outside a snapshot: every value is one a commit wrote (START +- 7k) */
            llmspell_kv_iter *it;
            const void *k, *val;
            size_t kn, vn;
            int seen = 0;
            if (llmspell_kv_iter_open(b->kv, S("acct:"), &it) != LLMSPELL_OK) {
                snprintf(problem, 200, "iter_open: %s", llmspell_kv_errmsg(b->kv));
                break;
            }
            while (llmspell_kv_iter_next(it, &k, &kn, &val, &vn) == LLMSPELL_OK) {
                char tmp[32];
                if (vn == 0 || vn >= sizeof tmp) { snprintf(problem, 200, "iterator value of %zu bytes", vn); break; }
                memcpy(tmp, val, vn);
                tmp[vn] = 0;
                v = strtol(tmp, NULL, 10);
                if ((v - START) % 7 != 0) snprintf(problem, 200, "iterator value %ld was never written", v);
                seen++;
            }
            llmspell_kv_iter_close(it);
            if (!problem[0] && seen != ACCOUNTS) snprintf(problem, 200, "iterator saw %d accounts", seen);
        }
        }
        b->reads[ra->id]++;
    }
}

static void bank_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv root, kv;
    bank b;
    reader_arg ra[3];
    llmspell__thread th[4];
    int i, nreaders = 3;
    long sum = 0, v;
    memset(&b, 0, sizeof b);
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "bank") == 0, "open %s: %s", be->name, llmspell_kv_errmsg(&kv));
    for (i = 0; i < ACCOUNTS; i++) {
        char k[16], val[16];
        account_key(k, i);
        put_int(val, sizeof val, START);
        REQUIRE_RC(llmspell_kv_put(&kv, k, strlen(k), val, strlen(val)), LLMSPELL_OK);
    }
    b.kv = &kv;
    b.transfers = 400;
    gate_init(&b.start, nreaders + 1);
    REQUIRE(llmspell__thread_start(&th[0], bank_writer, &b) == 0, "thread");
    for (i = 0; i < nreaders; i++) {
        ra[i].b = &b;
        ra[i].id = i;
        REQUIRE(llmspell__thread_start(&th[i + 1], bank_reader, &ra[i]) == 0, "thread");
    }
    for (i = 0; i <= nreaders; i++) llmspell__thread_join(&th[i]);
    gate_free(&b.start);
    for (i = 0; i < nreaders; i++) {
        CHECK(!b.problem[i][0], "reader %d: %s", i, b.problem[i]);
        CHECK(b.reads[i] >= 3, "reader %d made %ld reads", i, b.reads[i]);
    }
    CHECK(llmspell__aload(&b.commits) == b.transfers, "%ld of %d transfers committed: %s", (long)llmspell__aload(&b.commits),
          b.transfers, llmspell_kv_errmsg(&kv));
    for (i = 0; i < ACCOUNTS; i++) {
        char k[16];
        account_key(k, i);
        CHECK(get_int(&kv, k, &v), "final get");
        sum += v;
    }
    CHECK(sum == ACCOUNTS * START, "final sum %ld", sum);
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>counter: read-modify-write transactions from several threads lose nothing */

typedef struct counter {
    llmspell_kv *kv;
    gate start;
    int rounds;
    llmspell__atomic failures;
} counter;

static void counter_writer(void *p) {
    counter *c = (counter *)p;
    int i;
    gate_wait(&c->start);
    for (i = 0; i < c->rounds; i++) {
        char val[32];
        long v = 0;
        if (llmspell_kv_begin(c->kv) != LLMSPELL_OK) { llmspell__aadd(&c->failures, 1); continue; }
        if (!get_int(c->kv, "counter", &v)) v = 0;
        put_int(val, sizeof val, v + 1);
        if (llmspell_kv_put(c->kv, S("counter"), val, strlen(val)) != LLMSPELL_OK || llmspell_kv_commit(c->kv) != LLMSPELL_OK) {
            llmspell_kv_rollback(c->kv);
            llmspell__aadd(&c->failures, 1);
        }
        /* and a plain put between transactions */
        if (llmspell_kv_put(c->kv, S("other"), val, strlen(val)) != LLMSPELL_OK) llmspell__aadd(&c->failures, 1);
    }
}

static void counter_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv root, kv;
    counter c;
    llmspell__thread th[3];
    int i, n = 3;
    long v = -1;
    memset(&c, 0, sizeof c);
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "counter") == 0, "open %s", be->name);
    c.kv = &kv;
    c.rounds = 150;
    gate_init(&c.start, n);
    for (i = 0; i < n; i++) REQUIRE(llmspell__thread_start(&th[i], counter_writer, &c) == 0, "thread");
    for (i = 0; i < n; i++) llmspell__thread_join(&th[i]);
    gate_free(&c.start);
    CHECK(llmspell__aload(&c.failures) == 0, "%ld writes failed", (long)llmspell__aload(&c.failures));
    CHECK(get_int(&kv, "counter", &v) && v == (long)n * c.rounds, "counter %ld, expected %d", v, n * c.rounds);
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>sequence: data n is written before seq = n, in one transaction with it */

typedef struct sequence {
    llmspell_kv *kv;
    gate start;
    llmspell__atomic done;
    int last;
    char problem[4][200];
} sequence;

static void sequence_writer(void *p) {
    sequence *q = (sequence *)p;
    int i;
    gate_wait(&q->start);
    for (i = 1; i <= q->last; i++) {
        char k[32], v[32];
        snprintf(k, sizeof k, "data:%06d", i);
        snprintf(v, sizeof v, "%d", i);
        if (i % 2) { /* odd: a transaction; even: a batch */
            if (llmspell_kv_begin(q->kv) != LLMSPELL_OK) break;
            llmspell_kv_put(q->kv, k, strlen(k), v, strlen(v));
            llmspell_kv_put(q->kv, S("seq"), v, strlen(v));
            if (llmspell_kv_commit(q->kv) != LLMSPELL_OK) break;
        } else {
            llmspell_kv_entry e[2];
            e[0].key = k; e[0].klen = strlen(k); e[0].val = v; e[0].vlen = strlen(v);
            e[1].key = "seq"; e[1].klen = 3; e[1].val = v; e[1].vlen = strlen(v);
            if (llmspell_kv_put_batch(q->kv, e, 2) != LLMSPELL_OK) break;
        }
    }
    llmspell__astore(&q->done, 1);
}

static void sequence_reader(void *p) {
    reader_arg *ra = (reader_arg *)p;
    sequence *q = (sequence *)(void *)ra->b;
    char *problem = q->problem[ra->id];
    long last = 0;
    gate_wait(&q->start);
    while (!problem[0] && !llmspell__aload(&q->done)) {
        long s = 0, d = 0;
        char k[32];
        if (!get_int(q->kv, "seq", &s)) continue; /* not written yet */
        if (s < last) snprintf(problem, 200, "seq went back from %ld to %ld", last, s);
        last = s;
        snprintf(k, sizeof k, "data:%06ld", s);
        if (!get_int(q->kv, k, &d) || d != s) snprintf(problem, 200, "seq %ld but %s is missing: %s", s, k, llmspell_kv_errmsg(q->kv));
    }
}

static void sequence_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv root, kv;
    sequence q;
    reader_arg ra[2];
    llmspell__thread th[3];
    int i;
    memset(&q, 0, sizeof q);
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "sequence") == 0, "open %s", be->name);
    q.kv = &kv;
    q.last = 600;
    gate_init(&q.start, 3);
    REQUIRE(llmspell__thread_start(&th[0], sequence_writer, &q) == 0, "thread");
    for (i = 0; i < 2; i++) {
        ra[i].b = (bank *)(void *)&q;
        ra[i].id = i;
        REQUIRE(llmspell__thread_start(&th[i + 1], sequence_reader, &ra[i]) == 0, "thread");
    }
    for (i = 0; i < 3; i++) llmspell__thread_join(&th[i]);
    gate_free(&q.start);
    for (i = 0; i < 2; i++) CHECK(!q.problem[i][0], "reader %d: %s", i, q.problem[i]);
    {
        long s = 0;
        CHECK(get_int(&kv, "seq", &s) && s == q.last, "seq ended at %ld", s);
    }
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>rules */

typedef struct other {
    llmspell_kv *kv;
    llmspell_result rc;
    char msg[256];
} other;

static void commit_from_other(void *p) {
    other *o = (other *)p;
    o->rc = llmspell_kv_commit(o->kv);
    snprintf(o->msg, sizeof o->msg, "%s", llmspell_kv_errmsg(o->kv));
}

/* A transaction belongs to its thread: another's commit is ERR_TXN at once, not a wait. */
static void test_commit_from_another_thread(void) {
    llmspell_kv kv;
    other o;
    llmspell__thread th;
    const void *v;
    size_t n;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&kv, S("k"), S("v")), LLMSPELL_OK);
    o.kv = &kv;
    REQUIRE(llmspell__thread_start(&th, commit_from_other, &o) == 0, "thread");
    llmspell__thread_join(&th);
    CHECK_RC(o.rc, LLMSPELL_ERR_TXN);
    CHECK(strstr(o.msg, "another thread") != NULL, "message: %s", o.msg);
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK); /* the owner still can */
    CHECK_RC(llmspell_kv_get(&kv, S("k"), &v, &n), LLMSPELL_OK);
    llmspell_kv_close(&kv);
}

static void test_snapshot_rules(void) {
    llmspell_kv kv, view;
    const void *v;
    size_t n;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_open_tenant(&view, &kv, S("t")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_read_end(&kv), LLMSPELL_ERR_TXN);
    REQUIRE_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_read_begin(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_read_begin(&kv), LLMSPELL_OK); /* nests */
    CHECK_RC(llmspell_kv_get(&kv, S("a"), &v, &n), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_ERR_BUSY);
    CHECK(strstr(llmspell_kv_errmsg(&kv), "snapshot") != NULL, "message: %s", llmspell_kv_errmsg(&kv));
    CHECK_RC(llmspell_kv_put(&view, S("b"), S("2")), LLMSPELL_ERR_BUSY); /* the same store */
    CHECK_RC(llmspell_kv_begin(&kv), LLMSPELL_ERR_BUSY);
    CHECK_RC(llmspell_kv_read_end(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_ERR_BUSY); /* one level still open */
    CHECK_RC(llmspell_kv_read_end(&view), LLMSPELL_OK); /* any handle of the store ends it */
    CHECK_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_OK);
    /* inside a transaction a snapshot is just reads */
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_read_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_read_end(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("c"), S("3")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    llmspell_kv_close(&view);
    llmspell_kv_close(&kv);
}

/* Each thread sees its own last failure. */
typedef struct errs {
    llmspell_kv *kv;
    gate *start;
    int which;
    char mine[256], after[256];
} errs;

static void fail_in_thread(void *p) {
    errs *e = (errs *)p;
    static char big[5000];
    memset(big, 'x', sizeof big);
    gate_wait(e->start);
    if (e->which == 0) llmspell_kv_delete(e->kv, S("missing"));
    else llmspell_kv_put(e->kv, big, sizeof big, S("v"));
    snprintf(e->mine, sizeof e->mine, "%s", llmspell_kv_errmsg(e->kv));
    gate_wait(e->start); /* both failed before either reads again */
    snprintf(e->after, sizeof e->after, "%s", llmspell_kv_errmsg(e->kv));
}

static void test_errmsg_per_thread(void) {
    llmspell_kv kv;
    errs e[2];
    llmspell__thread th[2];
    gate g;
    int i;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    gate_init(&g, 2);
    for (i = 0; i < 2; i++) {
        memset(&e[i], 0, sizeof e[i]);
        e[i].kv = &kv;
        e[i].which = i;
        e[i].start = &g;
        REQUIRE(llmspell__thread_start(&th[i], fail_in_thread, &e[i]) == 0, "thread");
    }
    for (i = 0; i < 2; i++) llmspell__thread_join(&th[i]);
    gate_free(&g);
    CHECK(strstr(e[0].mine, "no such key") != NULL, "thread 0: %s", e[0].mine);
    CHECK(strstr(e[1].mine, "over the") != NULL, "thread 1: %s", e[1].mine);
    CHECK(strcmp(e[0].mine, e[0].after) == 0, "thread 0's message changed to %s", e[0].after);
    CHECK(strcmp(e[1].mine, e[1].after) == 0, "thread 1's message changed to %s", e[1].after);
    CHECK(strstr(llmspell_kv_errmsg(&kv), "no such key") == NULL && strstr(llmspell_kv_errmsg(&kv), "over the") == NULL,
          "the main thread sees another's message: %s", llmspell_kv_errmsg(&kv));
    llmspell_kv_close(&kv);
}

/* A value a read returned stays intact until the reader's next call, whatever others write. */
typedef struct keeper {
    llmspell_kv *kv;
    gate *g;
    int rounds;
} keeper;

static void overwriter(void *p) {
    keeper *k = (keeper *)p;
    static char big[3000];
    int i;
    memset(big, 'z', sizeof big);
    for (i = 0; i < k->rounds; i++) {
        gate_wait(k->g); /* the reader holds its pointer */
        llmspell_kv_put(k->kv, S("key"), big, (size_t)(i % 3) * 1000 + 1);
        llmspell_kv_delete(k->kv, S("key"));
        llmspell_kv_compact(k->kv);
        llmspell_kv_put(k->kv, S("key"), S("short"));
        gate_wait(k->g);
    }
}

static void keep_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv root, kv;
    keeper k;
    gate g;
    llmspell__thread th;
    int i, bad = 0;
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "keep") == 0, "open %s", be->name);
    REQUIRE_RC(llmspell_kv_put(&kv, S("key"), S("short")), LLMSPELL_OK);
    gate_init(&g, 2);
    k.kv = &kv;
    k.g = &g;
    k.rounds = 30;
    REQUIRE(llmspell__thread_start(&th, overwriter, &k) == 0, "thread");
    for (i = 0; i < k.rounds; i++) {
        const void *v = NULL;
        size_t n = 0;
        llmspell_kv_iter *it = NULL;
        const void *ik = NULL, *iv = NULL;
        size_t ikn = 0, ivn = 0;
        if (llmspell_kv_get(&kv, S("key"), &v, &n) != LLMSPELL_OK) bad++;
        if (llmspell_kv_iter_open(&kv, S("key"), &it) != LLMSPELL_OK || llmspell_kv_iter_next(it, &ik, &ikn, &iv, &ivn) != LLMSPELL_OK) bad++;
        gate_wait(&g);
        gate_wait(&g); /* the other thread overwrote, deleted, compacted and wrote again */
        if (n != 5 || memcmp(v, "short", 5) != 0) bad++;
        if (ikn != 3 || memcmp(ik, "key", 3) != 0 || ivn != 5 || memcmp(iv, "short", 5) != 0) bad++;
        llmspell_kv_iter_close(it);
    }
    llmspell__thread_join(&th);
    gate_free(&g);
    CHECK(bad == 0, "%d reads changed under the reader", bad);
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* An export taken while transfers commit is one state of the store. */
typedef struct exporter {
    bank *b;
    int exports;
    char problem[200];
} exporter;

static void export_reader(void *p) {
    exporter *x = (exporter *)p;
    gate_wait(&x->b->start);
    while (!x->problem[0] && (!llmspell__aload(&x->b->done) || x->exports < 2)) {
        llmspell_json_writer *w = NULL;
        llmspell_json_error err;
        llmspell_kv copy;
        const char *json;
        size_t n;
        long sum = 0, v;
        int i;
        if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) { snprintf(x->problem, 200, "writer"); break; }
        if (llmspell_export_store(x->b->kv, w, NULL, NULL, &err) != LLMSPELL_OK || llmspell_json_writer_finish(w) != LLMSPELL_OK) {
            snprintf(x->problem, 200, "export: %.150s", err.message);
            llmspell_json_writer_free(w);
            break;
        }
        json = llmspell_json_writer_data(w, &n);
        llmspell_kv_open_memory(&copy, NULL);
        if (llmspell_export_import_buffer(&copy, json, n, NULL, NULL, &err) != LLMSPELL_OK) snprintf(x->problem, 200, "import: %.150s", err.message);
        for (i = 0; i < ACCOUNTS && !x->problem[0]; i++) {
            char k[16];
            account_key(k, i);
            if (!get_int(&copy, k, &v)) snprintf(x->problem, 200, "the export has no %s", k);
            sum += v;
        }
        if (!x->problem[0] && sum != ACCOUNTS * START) snprintf(x->problem, 200, "the export's accounts add up to %ld", sum);
        llmspell_kv_close(&copy);
        llmspell_json_writer_free(w);
        x->exports++;
    }
}

static void export_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv root, kv;
    bank b;
    exporter x;
    llmspell__thread th[2];
    int i;
    memset(&b, 0, sizeof b);
    memset(&x, 0, sizeof x);
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "export") == 0, "open %s", be->name);
    for (i = 0; i < ACCOUNTS; i++) {
        char k[16], val[16];
        account_key(k, i);
        put_int(val, sizeof val, START);
        REQUIRE_RC(llmspell_kv_put(&kv, k, strlen(k), val, strlen(val)), LLMSPELL_OK);
    }
    for (i = 0; i < ACCOUNTS * 150; i++) { /* bulk between the accounts, for the export to walk */
        char k[32];
        snprintf(k, sizeof k, "acct:%02d/%03d", i / 150, i % 150);
        REQUIRE_RC(llmspell_kv_put(&kv, k, strlen(k), S("0123456789abcdef0123456789abcdef")), LLMSPELL_OK);
    }
    b.kv = &kv;
    b.transfers = 300;
    x.b = &b;
    gate_init(&b.start, 2);
    REQUIRE(llmspell__thread_start(&th[0], bank_writer, &b) == 0, "thread");
    REQUIRE(llmspell__thread_start(&th[1], export_reader, &x) == 0, "thread");
    for (i = 0; i < 2; i++) llmspell__thread_join(&th[i]);
    gate_free(&b.start);
    CHECK(!x.problem[0], "%s", x.problem);
    CHECK(x.exports >= 2, "%d exports", x.exports);
    CHECK(llmspell__aload(&b.commits) == b.transfers, "%ld transfers committed", (long)llmspell__aload(&b.commits));
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>staged: a transaction's writes wait in a stage until commit; readers go on beside it */

typedef struct beside {
    llmspell_kv *kv;
    llmspell__atomic done;
    char problem[200];
} beside;

/* What another thread sees while the transaction is open: the state before it. */
static void read_before(void *p) {
    beside *b = (beside *)p;
    long x = 0;
    int e = -1;
    if (!get_int(b->kv, "a", &x) || x != 1) snprintf(b->problem, sizeof b->problem, "a reads %ld, not 1", x);
    else if (llmspell_kv_exists(b->kv, S("b"), &e) != LLMSPELL_OK || !e) snprintf(b->problem, sizeof b->problem, "b is gone");
    else if (llmspell_kv_exists(b->kv, S("c"), &e) != LLMSPELL_OK || e) snprintf(b->problem, sizeof b->problem, "c is there");
    llmspell__astore(&b->done, 1);
}

static void read_nothing(void *p) {
    const void *v;
    size_t n;
    (void)llmspell_kv_get((llmspell_kv *)p, S("none"), &v, &n);
}

/* Another thread uses the store once: from then on its transactions stage their writes (a
   store only one thread has used runs them in place, as no one could read beside them). */
static void share(llmspell_kv *kv) {
    llmspell__thread th;
    if (llmspell__thread_start(&th, read_nothing, kv) == 0) llmspell__thread_join(&th);
}

/* Waits up to 30 s for flag (a thread that never finishes is a failure, not a hang). */
static int wait_flag(llmspell__atomic *flag) {
    double until = compat_seconds() + 30;
    while (!llmspell__aload(flag) && compat_seconds() < until) llmspell__yield();
    return llmspell__aload(flag) != 0;
}

static llmspell_time fake_now;
static llmspell_time fake_clock(void *ctx) {
    (void)ctx;
    return fake_now;
}

static void staged_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv kv, root;
    llmspell_kv_info info;
    llmspell__thread th;
    beside b;
    const void *v;
    size_t n;
    long x = 0;
    int e = -1;
    memset(&root, 0, sizeof root);
    memset(&b, 0, sizeof b);
    REQUIRE(be->open(&kv, &root, "staged") == 0, "open %s", be->name);
    share(&kv);
    kv.clock.now = fake_clock; /* a view's writes read its clock, in a transaction its store's */
    root.clock.now = fake_clock;
    fake_now = 1000;
    REQUIRE_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_OK);
    fake_now = 2000;
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK(llmspell_kv_in_txn(&kv), "in_txn is 0 in the owner");
    CHECK_RC(llmspell_kv_put(&kv, S("a"), S("10")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(&kv, S("b")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(&kv, S("b")), LLMSPELL_ERR_NOT_FOUND); /* deleted in this transaction */
    CHECK_RC(llmspell_kv_delete(&kv, S("zz")), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_put(&kv, S("c"), S("3")), LLMSPELL_OK);
    /* the owner reads its own writes, times included */
    CHECK(get_int(&kv, "a", &x) && x == 10, "a reads %ld in the transaction", x);
    CHECK_RC(llmspell_kv_get(&kv, S("b"), &v, &n), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_exists(&kv, S("c"), &e), LLMSPELL_OK);
    CHECK(e == 1, "c is missing in the transaction");
    CHECK_RC(llmspell_kv_get_info(&kv, S("a"), &info), LLMSPELL_OK);
    CHECK(info.created == 1000 && info.updated == 2000, "a: created %lld updated %lld", (long long)info.created, (long long)info.updated);
    CHECK_RC(llmspell_kv_get_info(&kv, S("c"), &info), LLMSPELL_OK);
    CHECK(info.created == 2000 && info.updated == 2000, "c: created %lld updated %lld", (long long)info.created, (long long)info.updated);
    /* another thread reads the state before the transaction, and is not kept waiting */
    b.kv = &kv;
    REQUIRE(llmspell__thread_start(&th, read_before, &b) == 0, "thread");
    CHECK(wait_flag(&b.done), "a reader waited for an open transaction (%s)", be->name);
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK); /* also lets a reader that waited go */
    llmspell__thread_join(&th);
    CHECK(!b.problem[0], "reader beside the transaction: %s", b.problem);
    CHECK(!llmspell_kv_in_txn(&kv), "in_txn after commit");
    /* after commit everyone sees it, with the times the transaction gave */
    CHECK(get_int(&kv, "a", &x) && x == 10, "a reads %ld after commit", x);
    CHECK_RC(llmspell_kv_get(&kv, S("b"), &v, &n), LLMSPELL_ERR_NOT_FOUND);
    CHECK_RC(llmspell_kv_get_info(&kv, S("a"), &info), LLMSPELL_OK);
    CHECK(info.created == 1000 && info.updated == 2000, "a after commit: created %lld updated %lld", (long long)info.created,
          (long long)info.updated);
    CHECK_RC(llmspell_kv_get_info(&kv, S("c"), &info), LLMSPELL_OK);
    CHECK(info.created == 2000, "c after commit: created %lld", (long long)info.created);
    /* a rolled-back transaction leaves nothing behind */
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("a"), S("99")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_delete(&kv, S("c")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_put(&kv, S("d"), S("4")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
    CHECK(get_int(&kv, "a", &x) && x == 10, "a reads %ld after rollback", x);
    CHECK_RC(llmspell_kv_exists(&kv, S("c"), &e), LLMSPELL_OK);
    CHECK(e == 1, "c lost by a rollback");
    CHECK_RC(llmspell_kv_exists(&kv, S("d"), &e), LLMSPELL_OK);
    CHECK(e == 0, "d kept by a rollback");
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* An iterator in the transaction sees its writes (they go to the backend first); from then on
   the transaction holds the store alone, as after llmspell_kv_txn_exclusive or a sync. */
typedef struct waiter {
    llmspell_kv *kv;
    llmspell__atomic started, done;
    long seen;
} waiter;

static void read_a(void *p) {
    waiter *w = (waiter *)p;
    llmspell__astore(&w->started, 1);
    if (!get_int(w->kv, "a", &w->seen)) w->seen = -1;
    llmspell__astore(&w->done, 1);
}

static void exclusive_test(const void *arg) {
    const backend *be = (const backend *)arg;
    llmspell_kv kv, root;
    llmspell_kv_iter *it;
    llmspell__thread th;
    waiter w;
    const void *k;
    size_t kn;
    int keys = 0, how;
    memset(&root, 0, sizeof root);
    REQUIRE(be->open(&kv, &root, "exclusive") == 0, "open %s", be->name);
    share(&kv);
    REQUIRE_RC(llmspell_kv_put(&kv, S("a"), S("1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_OK);
    CHECK_RC(llmspell_kv_txn_exclusive(&kv), LLMSPELL_ERR_TXN); /* outside a transaction */
    for (how = 0; how < 3; how++) {
        REQUIRE_RC(llmspell_kv_put(&kv, S("b"), S("2")), LLMSPELL_OK);
        REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&kv, S("a"), S("5")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_delete(&kv, S("b")), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_put(&kv, S("c"), S("3")), LLMSPELL_OK);
        if (how == 0) {
            REQUIRE_RC(llmspell_kv_iter_open(&kv, NULL, 0, &it), LLMSPELL_OK);
            for (keys = 0; llmspell_kv_iter_next(it, &k, &kn, NULL, NULL) == LLMSPELL_OK; keys++) {
                CHECK(!(kn == 1 && *(const char *)k == 'b'), "the iterator found the deleted key");
            }
            llmspell_kv_iter_close(it);
            CHECK(keys == 2, "the iterator found %d keys, not 2", keys);
        } else if (how == 1) {
            CHECK_RC(llmspell_kv_txn_exclusive(&kv), LLMSPELL_OK);
            CHECK_RC(llmspell_kv_txn_exclusive(&kv), LLMSPELL_OK); /* twice is once */
        } else {
            CHECK_RC(llmspell_kv_sync(&kv), LLMSPELL_OK);
        }
        memset(&w, 0, sizeof w);
        w.kv = &kv;
        REQUIRE(llmspell__thread_start(&th, read_a, &w) == 0, "thread");
        CHECK(wait_flag(&w.started), "reader never started");
        {
            double until = compat_seconds() + 0.2; /* the reader has time to finish, were it free to */
            while (compat_seconds() < until) llmspell__yield();
        }
        CHECK(!llmspell__aload(&w.done), "a reader ran inside a transaction that holds the store alone (%s)",
              how == 0 ? "iterator" : how == 1 ? "txn_exclusive" : "sync");
        if (how == 1) CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
        else CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
        llmspell__thread_join(&th);
        CHECK(w.seen == 5, "the reader saw a=%ld", w.seen); /* 5 from the first commit on; the second rolls back */
    }
    llmspell_kv_close(&kv);
    if (root.open) llmspell_kv_close(&root);
}

/* A pointer a read returned inside the transaction stays valid when the transaction's writes
   go to the backend (an iterator here): the owner has not written since (ASan checks). */
static void test_staged_pointer_after_spill(void) {
    llmspell_kv kv;
    llmspell_kv_iter *it;
    const void *v;
    size_t n;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    share(&kv);
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&kv, S("a"), S("staged value")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_get(&kv, S("a"), &v, &n), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_iter_open(&kv, NULL, 0, &it), LLMSPELL_OK);
    CHECK(n == 12 && memcmp(v, "staged value", 12) == 0, "the value read before the iterator changed");
    llmspell_kv_iter_close(it);
    CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
    llmspell_kv_close(&kv);
}

/* A transaction rolled back inside a read snapshot leaves the thread holding the store alone
   until the snapshot ends, as any write does: its writes there never race a reader, and a
   reader that waited sees the last of them. */
typedef struct late_reader {
    llmspell_kv *kv;
    llmspell__atomic started;
    long seen;
} late_reader;

static void read_k_once(void *p) {
    late_reader *r = (late_reader *)p;
    llmspell__astore(&r->started, 1);
    if (!get_int(r->kv, "k", &r->seen)) r->seen = -1;
}

static void test_staged_rollback_in_snapshot(void) {
    llmspell_kv kv;
    llmspell__thread th;
    late_reader r;
    char val[16];
    int i;
    memset(&r, 0, sizeof r);
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    share(&kv);
    REQUIRE_RC(llmspell_kv_put(&kv, S("k"), S("0")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_put(&kv, S("k"), S("1")), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_read_begin(&kv), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
    r.kv = &kv;
    REQUIRE(llmspell__thread_start(&th, read_k_once, &r) == 0, "thread");
    CHECK(wait_flag(&r.started), "reader never started");
    for (i = 2; i <= 50; i++) { /* same-size overwrites: the memory backend writes them in place */
        snprintf(val, sizeof val, "%d", i % 9 + 1);
        CHECK_RC(llmspell_kv_put(&kv, "k", 1, val, 1), LLMSPELL_OK);
    }
    CHECK_RC(llmspell_kv_read_end(&kv), LLMSPELL_OK);
    llmspell__thread_join(&th);
    CHECK(r.seen == 6, "the reader saw k=%ld, not the last write 6", r.seen);
    llmspell_kv_close(&kv);
}

/* A transaction over LLMSPELL__STAGE_MAX bytes goes to the backend as it grows; commit and
   rollback still keep or drop all of it. */
static void test_staged_spill(void) {
    llmspell_kv kv;
    static char big[1 << 20];
    char key[16];
    const void *v;
    size_t n;
    int i, round;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, NULL), LLMSPELL_OK);
    share(&kv);
    REQUIRE_RC(llmspell_kv_put(&kv, S("keep"), S("1")), LLMSPELL_OK);
    for (round = 0; round < 2; round++) {
        REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_delete(&kv, S("keep")), LLMSPELL_OK);
        for (i = 0; i < 20; i++) {
            memset(big, 'a' + i, sizeof big);
            snprintf(key, sizeof key, "big%02d", i);
            CHECK_RC(llmspell_kv_put(&kv, key, strlen(key), big, sizeof big), LLMSPELL_OK);
        }
        CHECK_RC(llmspell_kv_get(&kv, S("big03"), &v, &n), LLMSPELL_OK);
        CHECK(n == sizeof big && ((const char *)v)[n - 1] == 'd', "big03 in the transaction");
        CHECK_RC(llmspell_kv_get(&kv, S("keep"), &v, &n), LLMSPELL_ERR_NOT_FOUND);
        if (round == 0) CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
        else CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_OK);
        CHECK_RC(llmspell_kv_get(&kv, S("big19"), &v, &n), round == 0 ? LLMSPELL_ERR_NOT_FOUND : LLMSPELL_OK);
        CHECK_RC(llmspell_kv_get(&kv, S("keep"), &v, &n), round == 0 ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND);
    }
    llmspell_kv_close(&kv);
}

/* Out of memory at each allocation of a staged commit: the commit fails, the store is as it
   was before the transaction, and the store goes on; then at each allocation of the staged
   writes themselves. */
#include "failalloc.h"

static void test_staged_commit_nomem(void) {
    enum { NK = 400 };
    llmspell_kv kv;
    llmspell_kv_options o;
    counting_alloc ca;
    char key[16];
    const void *v;
    size_t n;
    long at;
    int i;
    memset(&o, 0, sizeof o);
    failalloc_use(&o.allocator, &ca);
    REQUIRE_RC(llmspell_kv_open_memory(&kv, &o), LLMSPELL_OK);
    share(&kv);
    for (i = 0; i < NK; i += 2) { /* the even keys exist */
        snprintf(key, sizeof key, "k%04d", i);
        REQUIRE_RC(llmspell_kv_put(&kv, key, strlen(key), S("old")), LLMSPELL_OK);
    }
    for (at = 1;; at++) {
        llmspell_result r;
        int ok = 1;
        REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
        for (i = 0; i < NK; i++) { /* every key rewritten, every fourth deleted */
            snprintf(key, sizeof key, "k%04d", i);
            if (i % 4 == 0) REQUIRE_RC(llmspell_kv_delete(&kv, key, strlen(key)), LLMSPELL_OK);
            else REQUIRE_RC(llmspell_kv_put(&kv, key, strlen(key), S("new")), LLMSPELL_OK);
        }
        ca.calls = 0;
        ca.fail_at = at;
        ca.injected = 0;
        r = llmspell_kv_commit(&kv);
        ca.fail_at = 0;
        CHECK(!llmspell_kv_in_txn(&kv), "the transaction is still open after commit returned %d", (int)r);
        if (!ca.injected) {
            CHECK_RC(r, LLMSPELL_OK);
            break;
        }
        CHECK_RC(r, LLMSPELL_ERR_NOMEM);
        for (i = 0; i < NK && ok; i++) { /* the state before the transaction */
            llmspell_result g;
            snprintf(key, sizeof key, "k%04d", i);
            g = llmspell_kv_get(&kv, key, strlen(key), &v, &n);
            ok = i % 2 ? g == LLMSPELL_ERR_NOT_FOUND : g == LLMSPELL_OK && n == 3 && !memcmp(v, "old", 3);
        }
        CHECK(ok, "a commit that failed at allocation %ld changed key %d", at, i - 1);
        if (harness_failures) break;
    }
    CHECK(at > 2, "the commit made only %ld allocations", at - 1);
    /* out of memory at each allocation of the staged writes: the transaction fails, its
       rollback leaves the store as the last commit made it */
    for (at = 1;; at++) {
        llmspell_result r = LLMSPELL_OK;
        int ok = 1;
        REQUIRE_RC(llmspell_kv_begin(&kv), LLMSPELL_OK);
        ca.calls = 0;
        ca.fail_at = at;
        ca.injected = 0;
        for (i = 0; i < NK && r == LLMSPELL_OK; i++) {
            snprintf(key, sizeof key, "k%04d", i);
            r = llmspell_kv_put(&kv, key, strlen(key), S("bad"));
        }
        ca.fail_at = 0;
        if (!ca.injected) {
            CHECK_RC(r, LLMSPELL_OK);
            CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
            break;
        }
        CHECK_RC(r, LLMSPELL_ERR_NOMEM);
        CHECK_RC(llmspell_kv_commit(&kv), LLMSPELL_ERR_TXN); /* a failed write: only rollback is left */
        CHECK_RC(llmspell_kv_rollback(&kv), LLMSPELL_OK);
        for (i = 0; i < NK && ok; i++) {
            llmspell_result g;
            snprintf(key, sizeof key, "k%04d", i);
            g = llmspell_kv_get(&kv, key, strlen(key), &v, &n);
            ok = i % 4 == 0 ? g == LLMSPELL_ERR_NOT_FOUND : g == LLMSPELL_OK && n == 3 && !memcmp(v, "new", 3);
        }
        CHECK(ok, "a staged write that failed at allocation %ld changed key %d", at, i - 1);
        if (harness_failures) break;
    }
    CHECK(at > 2, "the staged writes made only %ld allocations", at - 1);
    for (i = 0; i < NK; i++) { /* and the last commit wrote all of it */
        llmspell_result g;
        snprintf(key, sizeof key, "k%04d", i);
        g = llmspell_kv_get(&kv, key, strlen(key), &v, &n);
        if (i % 4 == 0) CHECK_RC(g, LLMSPELL_ERR_NOT_FOUND);
        else CHECK(g == LLMSPELL_OK && n == 3 && !memcmp(v, "new", 3), "key %d after commit", i);
    }
    llmspell_kv_close(&kv);
}

int main(void) {
    size_t i;
    if (!compat_make_tmpdir(dir, sizeof dir, "llmspell_threads")) {
        fprintf(stderr, "cannot make a scratch directory\n");
        return 1;
    }
    for (i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "bank_%s", backends[i].name);
        RUN_ARG(name, bank_test, &backends[i]);
        snprintf(name, sizeof name, "counter_%s", backends[i].name);
        RUN_ARG(name, counter_test, &backends[i]);
        snprintf(name, sizeof name, "sequence_%s", backends[i].name);
        RUN_ARG(name, sequence_test, &backends[i]);
        snprintf(name, sizeof name, "keep_%s", backends[i].name);
        RUN_ARG(name, keep_test, &backends[i]);
        snprintf(name, sizeof name, "export_%s", backends[i].name);
        RUN_ARG(name, export_test, &backends[i]);
        if (strcmp(backends[i].name, "sqlite") != 0) { /* SQLite's readers wait for its writers (see README) */
            snprintf(name, sizeof name, "staged_%s", backends[i].name);
            RUN_ARG(name, staged_test, &backends[i]);
        }
        snprintf(name, sizeof name, "exclusive_%s", backends[i].name);
        RUN_ARG(name, exclusive_test, &backends[i]);
    }
    RUN(test_commit_from_another_thread);
    RUN(test_snapshot_rules);
    RUN(test_errmsg_per_thread);
    RUN(test_staged_spill);
    RUN(test_staged_pointer_after_spill);
    RUN(test_staged_rollback_in_snapshot);
    RUN(test_staged_commit_nomem);
    compat_remove_tree(dir);
    return harness_exit();
}
