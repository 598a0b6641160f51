/* test_threads_graph.c - one graph handle shared by threads: readers beside writers, writers in turn.
   cc -std=c99 -g -O1 -Wall -Wextra -I. tests/test_threads_graph.c -o build/test_threads_graph -pthread
   (also built with -fsanitize=thread, where a race is a FAIL, and with -DLLMSPELL_NO_THREADS,
   where the "threads" of each test run one after another in the order they are started)

   Every test checks answers, not just the absence of crashes: each answer must be one that
   some serial order of the writes could give.
     a. same answers: threads reading a graph nobody writes get exactly what one thread gets
        (traversals, paths, neighbours, queries with filters, histories, as-of lookups)  same_answers
     b. rings: writers replace whole rings of entities and relationships at once (graph
        transactions, joined kv transactions, rollbacks of both, erase and recreate, a graph
        transaction inside a kv one); readers never see part of a ring, never a rolled-back
        value, never an older ring than they saw before, and as-of reads of the past are
        whole rings too; per backend (memory, file, a tenant view of a file)    rings_<backend>
     c. turns: writers in several threads, in transactions and alone: none gets ERR_BUSY,
        nothing is lost, every transaction has its own time                        turns_<backend>
     d. kv and graph mixed: a thread's kv transactions carry graph writes (committed or rolled
        back); in a kv read snapshot the graph agrees with the kv; threads writing kv and graph
        in any order never deadlock                                                mixed_<backend>
     e. rules: a read runs beside another thread's graph transaction and sees the graph before
        it, waits for one that erased and for a kv transaction the graph joined; each thread's own message; returned strings stay intact while another
        thread rewrites and erases what they came from (until the reader's next call, or through
        a kv read snapshot); a reader gone idle does not make memory grow           test_*
   Scratch files live under a temporary directory that is removed at the end. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "compat.h"
#include "../llmspell_graph.h"

#include <limits.h>
#include <time.h>

#include "harness.h"

#define S(lit) (lit), (sizeof(lit) - 1)
#define NOW LLMSPELL_GRAPH_NOW
#define INF LLMSPELL_TIME_MAX

static char dir[COMPAT_PATH_MAX];

/* ------------------------------------------------------------------------------------------ */
/* >>threads: the family's own layer; with LLMSPELL_NO_THREADS a "thread" runs at its start */

#ifndef LLMSPELL_NO_THREADS
typedef llmspell__thread tthread;
typedef llmspell__atomic tcount;
#define TLOAD(p) llmspell__aload(p)
#define TSTORE(p, v) llmspell__astore((p), (v))
#define TADD(p, d) llmspell__aadd((p), (d))
static int tstart(tthread *t, void (*fn)(void *), void *arg) { return llmspell__thread_start(t, fn, arg); }
static void tjoin(tthread *t) { llmspell__thread_join(t); }
#define TSTART_RUNS 0 /* a thread runs beside its starter */

#include "gate.h"
#else
typedef int tthread;
typedef long tcount;
#define TLOAD(p) (*(p))
#define TSTORE(p, v) (*(p) = (v))
#define TADD(p, d) (*(p) += (d))
static int tstart(tthread *t, void (*fn)(void *), void *arg) {
    *t = 0;
    fn(arg);
    return 0;
}
static void tjoin(tthread *t) { (void)t; }
#define TSTART_RUNS 1 /* a "thread" has run when tstart returns */
typedef int gate;
static void gate_init(gate *g, int total) { *g = total; }
static void gate_wait(gate *g) { (void)g; }
static void gate_free(gate *g) { (void)g; }
#endif

static void sleep_ms(int ms) {
#ifdef _WIN32
    Sleep((DWORD)ms);
#else
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
#endif
}

/* What a thread found wrong: the first problem, kept for the main thread to report. */
typedef struct problem {
    char text[300];
} problem;
#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void note(problem *p, const char *fmt, ...) {
    va_list ap;
    if (p->text[0]) return;
    va_start(ap, fmt);
    vsnprintf(p->text, sizeof p->text, fmt, ap);
    va_end(ap);
    if (!p->text[0]) p->text[0] = '?';
}

/* ------------------------------------------------------------------------------------------ */
/* >>backends: a graph on each store a user can share between threads */

typedef struct store {
    llmspell_kv root, kv; /* kv: the root itself, or a tenant view of it */
    int view;
    llmspell_graph g;
} store;

typedef struct backend {
    const char *name;
    int file, view;
} backend;

static const backend backends[] = {
    {"memory", 0, 0},
    {"file", 1, 0},
    {"view", 1, 1},
};

/* Opens a fresh store of the kind and a graph on it; 0 ok. clock NULL: the system clock. */
static int store_open(store *s, const backend *b, const char *tag, const llmspell_graph_options *go) {
    llmspell_kv_options o;
    char path[COMPAT_PATH_MAX + 64];
    memset(s, 0, sizeof *s);
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST; /* the locks, not the disk, are under test */
    if (b->file) {
        snprintf(path, sizeof path, "%s/%s-%s.db", dir, tag, b->name);
        remove(path);
        if (llmspell_kv_open_file(&s->root, path, &o) != LLMSPELL_OK) return 1;
    } else if (llmspell_kv_open_memory(&s->root, &o) != LLMSPELL_OK) {
        return 1;
    }
    s->view = b->view;
    if (b->view && llmspell_kv_open_tenant(&s->kv, &s->root, S("tenant-a")) != LLMSPELL_OK) {
        llmspell_kv_close(&s->root);
        return 1;
    }
    if (llmspell_graph_open(&s->g, b->view ? &s->kv : &s->root, go) != LLMSPELL_OK) {
        if (b->view) llmspell_kv_close(&s->kv);
        llmspell_kv_close(&s->root);
        return 1;
    }
    return 0;
}

static llmspell_kv *store_kv(store *s) { return s->view ? &s->kv : &s->root; }

static void store_close(store *s) {
    llmspell_graph_close(&s->g);
    if (s->view) llmspell_kv_close(&s->kv);
    llmspell_kv_close(&s->root);
}

/* ------------------------------------------------------------------------------------------ */
/* >>text: answers written out, to compare them */

typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;
#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 2, 3)))
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    int k;
    for (;;) {
        size_t room = b->cap - b->n;
        va_start(ap, fmt);
        k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? room : 0, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room && b->p) {
            b->n += (size_t)k;
            return;
        }
        b->cap = (b->cap + (size_t)k + 1) * 2;
        b->p = (char *)realloc(b->p, b->cap);
        if (!b->p) abort();
    }
}
static void sb_free(sbuf *b) {
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void put_e(sbuf *b, const llmspell_graph_entity *x) {
    sb_printf(b, " E%s|%s|%s|%s|%lld|%lld|%lld|%lld|%lld", x->id, x->type, x->name, x->properties, (long long)x->valid_from,
              (long long)x->valid_to, (long long)x->tx_from, (long long)x->tx_to, (long long)x->created_at);
}
static void put_r(sbuf *b, const llmspell_graph_rel *x) {
    if (!x->id) {
        sb_printf(b, " R-");
        return;
    }
    sb_printf(b, " R%s|%s|%s>%s|%s|%lld|%lld|%lld|%lld", x->id, x->type, x->source, x->target, x->properties,
              (long long)x->valid_from, (long long)x->valid_to, (long long)x->tx_from, (long long)x->tx_to);
}
static void put_rows(sbuf *b, llmspell_result rc, const llmspell_graph_rows *rows, int e, int r, int walk) {
    size_t i;
    sb_printf(b, "rc=%d n=%zu", (int)rc, rc == LLMSPELL_OK ? rows->count : 0);
    for (i = 0; rc == LLMSPELL_OK && i < rows->count; i++) {
        if (e) put_e(b, &rows->entity[i]);
        if (r) put_r(b, &rows->rel[i]);
        if (walk) sb_printf(b, " d%u p%u", rows->depth[i], rows->parent[i]);
    }
    sb_printf(b, "\n");
}

/* ------------------------------------------------------------------------------------------ */
/* >>same answers: readers of a graph nobody writes */

#define SA_E 48
static llmspell_time fixed_clock(void *ctx) {
    (void)ctx;
    return 1000; /* thread-safe; transaction times still advance (last + 1) */
}

static void sa_build(llmspell_graph *g) {
    char id[32], to[32], props[96];
    int i;
    for (i = 0; i < SA_E; i++) {
        snprintf(id, sizeof id, "e%02d", i);
        snprintf(props, sizeof props, "{\"i\":%d,\"city\":\"%s\"}", i, i % 3 ? "Oslo" : "Rome");
        llmspell_graph_put_entity(g, id, i % 2 ? "person" : "place", id, props, 0, INF);
        if (i % 5 == 0) llmspell_graph_update_entity(g, id, NULL, "renamed", "{\"v\":2}", 100, INF);
    }
    for (i = 0; i < SA_E; i++) {
        snprintf(id, sizeof id, "e%02d", i);
        snprintf(to, sizeof to, "e%02d", (i * 7 + 1) % SA_E);
        snprintf(props, sizeof props, "a%02d", i);
        llmspell_graph_put_rel(g, props, i % 3 ? "knows" : "likes", id, to, "{\"w\":1}", 0, INF);
        snprintf(to, sizeof to, "e%02d", (i + 3) % SA_E);
        snprintf(props, sizeof props, "b%02d", i);
        llmspell_graph_put_rel(g, props, "near", id, to, NULL, 50, 500);
    }
    llmspell_graph_delete_entity(g, "e07", 200, INF);
    llmspell_graph_erase_entity(g, "e11");
}

/* Everything the reads answer, as text. */
static void sa_answers(llmspell_graph *g, sbuf *b, llmspell_graph_rows *rows) {
    static const llmspell_time at[] = {NOW, 60, 150, 300, 600};
    llmspell_graph_query_desc q;
    llmspell_graph_filter f[2];
    llmspell_graph_entity e;
    llmspell_graph_info info;
    char id[32], to[32];
    size_t k;
    int i;
    for (k = 0; k < sizeof at / sizeof at[0]; k++) {
        for (i = 0; i < SA_E; i += 3) {
            llmspell_result rc;
            snprintf(id, sizeof id, "e%02d", i);
            snprintf(to, sizeof to, "e%02d", (i * 5 + 2) % SA_E);
            rc = llmspell_graph_get_entity(g, id, at[k], NOW, &e);
            sb_printf(b, "get %s@%lld rc=%d", id, (long long)at[k], (int)rc);
            if (rc == LLMSPELL_OK) put_e(b, &e);
            sb_printf(b, "\n");
            put_rows(b, llmspell_graph_traverse(g, id, LLMSPELL_GRAPH_BOTH, NULL, 3, at[k], NOW, rows), rows, 1, 1, 1);
            put_rows(b, llmspell_graph_traverse(g, id, LLMSPELL_GRAPH_OUT, "knows", 4, at[k], NOW, rows), rows, 1, 1, 1);
            put_rows(b, llmspell_graph_neighbors(g, id, LLMSPELL_GRAPH_BOTH, NULL, at[k], NOW, rows), rows, 1, 1, 0);
            put_rows(b, llmspell_graph_shortest_path(g, id, to, LLMSPELL_GRAPH_OUT, NULL, 6, at[k], NOW, rows), rows, 1, 1, 1);
        }
    }
    for (i = 0; i < SA_E; i += 4) {
        snprintf(id, sizeof id, "e%02d", i);
        put_rows(b, llmspell_graph_entity_history(g, id, rows), rows, 1, 0, 0);
        snprintf(id, sizeof id, "a%02d", i);
        put_rows(b, llmspell_graph_rel_history(g, id, rows), rows, 0, 1, 0);
    }
    memset(&q, 0, sizeof q);
    put_rows(b, llmspell_graph_query(g, &q, rows), rows, 1, 0, 0);
    q.type = "person";
    f[0].key = "city";
    f[0].value = "\"Oslo\"";
    q.filters = f;
    q.nfilters = 1;
    put_rows(b, llmspell_graph_query(g, &q, rows), rows, 1, 0, 0);
    memset(&q, 0, sizeof q);
    q.name = "renamed";
    q.tx_from = q.tx_to = NOW;
    f[1].key = "v";
    f[1].value = "2";
    q.filters = &f[1];
    q.nfilters = 1;
    put_rows(b, llmspell_graph_query(g, &q, rows), rows, 1, 0, 0);
    if (llmspell_graph_info_get(g, &info) == LLMSPELL_OK)
        sb_printf(b, "info %llu %llu %llu %llu %lld %d\n", (unsigned long long)info.entities, (unsigned long long)info.relationships,
                  (unsigned long long)info.entity_versions, (unsigned long long)info.rel_versions, (long long)info.last_tx, info.in_txn);
}

typedef struct sa_ctx {
    llmspell_graph *g;
    const char *expect;
    gate start;
    problem prob[4];
} sa_ctx;
typedef struct sa_arg {
    sa_ctx *c;
    int id;
} sa_arg;

static void sa_reader(void *p) {
    sa_arg *a = (sa_arg *)p;
    llmspell_graph_rows rows;
    sbuf b;
    int round;
    memset(&rows, 0, sizeof rows);
    memset(&b, 0, sizeof b);
    gate_wait(&a->c->start);
    for (round = 0; round < 4 && !a->c->prob[a->id].text[0]; round++) {
        size_t i = 0;
        b.n = 0;
        sa_answers(a->c->g, &b, &rows);
        if (strcmp(b.p, a->c->expect) == 0) continue;
        while (b.p[i] && b.p[i] == a->c->expect[i]) i++;
        while (i > 0 && b.p[i - 1] != '\n') i--;
        note(&a->c->prob[a->id], "round %d differs from one thread's answers at [%.120s] vs [%.120s]", round, b.p + i, a->c->expect + i);
    }
    llmspell_graph_rows_free(&rows);
    sb_free(&b);
}

static void test_same_answers(void) {
    store s;
    sa_ctx c;
    sa_arg args[4];
    tthread th[4];
    llmspell_graph_options go;
    llmspell_graph_rows rows;
    sbuf expect;
    int i;
    memset(&expect, 0, sizeof expect);
    memset(&go, 0, sizeof go);
    go.clock.now = fixed_clock;
    REQUIRE(store_open(&s, &backends[0], "same", &go) == 0, "open");
    sa_build(&s.g);
    memset(&rows, 0, sizeof rows);
    sa_answers(&s.g, &expect, &rows);
    llmspell_graph_rows_free(&rows);
    CHECK(strstr(expect.p, "rc=0 n=1") != NULL && strstr(expect.p, " d3 ") != NULL, "the script reads little: %.200s", expect.p);
    memset(&c, 0, sizeof c);
    c.g = &s.g;
    c.expect = expect.p;
    gate_init(&c.start, 4);
    for (i = 0; i < 4; i++) {
        args[i].c = &c;
        args[i].id = i;
        REQUIRE(tstart(&th[i], sa_reader, &args[i]) == 0, "thread");
    }
    for (i = 0; i < 4; i++) tjoin(&th[i]);
    for (i = 0; i < 4; i++) CHECK(!c.prob[i].text[0], "reader %d: %s", i, c.prob[i].text);
    gate_free(&c.start);
    sb_free(&expect);
    store_close(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>rings: whole rings written at once, read in parts never */

#define RINGS 5   /* rings 0-3: every version of a ring at one transaction time; 4: per write */
#define JOINED 4  /* the ring written by plain writes joining a kv transaction */
#define MEMBERS 4 /* entities per ring, linked m0 -> m1 -> m2 -> m3 -> m0 */
#define READERS 3

typedef struct rings {
    store *s;
    gate start;
    tcount writers_left, beside; /* beside: reads made while a writer was still at work */
    tcount gen[RINGS]; /* the last committed generation of each ring */
    int rounds;
    problem wprob[2], rprob[READERS];
    long reads[READERS], past_reads[READERS];
} rings;

typedef struct ring_arg {
    rings *R;
    int id;
} ring_arg;

static void member_id(char *b, int r, int k) { snprintf(b, 24, "r%dm%d", r, (k + MEMBERS) % MEMBERS); }
static void link_id(char *b, int r, int k) { snprintf(b, 24, "r%dl%d", r, k); }

static long gen_of(const char *props) {
    long g;
    return props && sscanf(props, "{\"gen\":%ld", &g) == 1 ? g : LONG_MIN;
}

/* The whole ring r at generation gen: every member and link rewritten (erase first: removed). */
static llmspell_result ring_put(llmspell_graph *g, int r, long gen, int erase) {
    char id[24], a[24], b[24], props[64], type[16];
    llmspell_result rc = LLMSPELL_OK;
    int k;
    snprintf(props, sizeof props, "{\"gen\":%ld,\"ring\":%d}", gen, r);
    snprintf(type, sizeof type, "ring%d", r);
    for (k = 0; k < MEMBERS && erase && rc == LLMSPELL_OK; k++) {
        member_id(id, r, k);
        rc = llmspell_graph_erase_entity(g, id);
    }
    for (k = 0; k < MEMBERS && rc == LLMSPELL_OK; k++) {
        member_id(id, r, k);
        rc = llmspell_graph_put_entity(g, id, type, id, props, 0, INF);
    }
    for (k = 0; k < MEMBERS && rc == LLMSPELL_OK; k++) {
        link_id(id, r, k);
        member_id(a, r, k);
        member_id(b, r, k + 1);
        rc = llmspell_graph_put_rel(g, id, "link", a, b, props, 0, INF);
    }
    return rc;
}

/* One round of a writer on ring r, in one of six ways (1 and 3 give each write its own time:
   only for the joined ring); returns the generation committed (0: none, a rollback) or -1 on a
   failure (noted). */
static long ring_round(rings *R, problem *p, int r, int how) {
    llmspell_graph *g = &R->s->g;
    llmspell_kv *kv = store_kv(R->s);
    long gen = TLOAD(&R->gen[r]) + 1;
    llmspell_result rc = LLMSPELL_OK;
    switch (how) {
    case 0: /* a graph transaction */
    case 4: /* the same, erasing and recreating the ring */
        if ((rc = llmspell_graph_begin(g)) == LLMSPELL_OK && (rc = ring_put(g, r, gen, how == 4)) == LLMSPELL_OK)
            rc = llmspell_graph_commit(g);
        break;
    case 2: /* a graph transaction rolled back */
        if ((rc = llmspell_graph_begin(g)) == LLMSPELL_OK && (rc = ring_put(g, r, -1, 0)) == LLMSPELL_OK)
            rc = llmspell_graph_rollback(g);
        gen = 0;
        break;
    case 1: /* plain writes joining a kv transaction, with a kv record */
    case 3: /* the same, rolled back */
        if ((rc = llmspell_kv_begin(kv)) != LLMSPELL_OK) break;
        if ((rc = ring_put(g, r, how == 3 ? -1 : gen, 0)) == LLMSPELL_OK) rc = llmspell_kv_put(kv, S("user:last"), S("ring"));
        if (rc == LLMSPELL_OK) rc = how == 3 ? llmspell_kv_rollback(kv) : llmspell_kv_commit(kv);
        else llmspell_kv_rollback(kv);
        if (how == 3) gen = 0;
        break;
    default: /* a graph transaction inside a kv transaction */
        if ((rc = llmspell_kv_begin(kv)) != LLMSPELL_OK) break;
        if ((rc = llmspell_graph_begin(g)) == LLMSPELL_OK && (rc = ring_put(g, r, gen, 0)) == LLMSPELL_OK) rc = llmspell_graph_commit(g);
        if (rc == LLMSPELL_OK) rc = llmspell_kv_commit(kv);
        else llmspell_kv_rollback(kv);
        break;
    }
    if (rc != LLMSPELL_OK) {
        note(p, "ring %d way %d: rc %d: %s", r, how, (int)rc, llmspell_graph_errmsg(g));
        return -1;
    }
    if (gen) TSTORE(&R->gen[r], gen);
    return gen;
}

static void ring_writer(void *p) {
    static const int ways[4] = {0, 2, 4, 5};
    ring_arg *a = (ring_arg *)p;
    rings *R = a->R;
    int i, r, how;
    gate_wait(&R->start);
    for (i = 0; i < R->rounds && !R->wprob[a->id].text[0]; i++) {
        /* writer 0 has rings 0, 2 and the joined one; writer 1 rings 1, 3 */
        if (a->id == 0 && i % 3 == 2) {
            r = JOINED;
            how = (i / 3) % 2 ? 3 : 1;
        } else {
            r = a->id + 2 * (i % 2);
            how = ways[(i / 2) % 4];
        }
        if (ring_round(R, &R->wprob[a->id], r, how) < 0) break;
    }
    TADD(&R->writers_left, -1);
}

/* rows of a walk around ring r: a whole ring (MEMBERS rows, one generation, never a rolled-back
   one), or, when empty_ok, nothing at all. Returns the generation, 0 for nothing, -1 if wrong. */
static long ring_check(problem *p, const char *what, int r, llmspell_result rc, const llmspell_graph_rows *rows, size_t want, int empty_ok) {
    long gen;
    size_t i;
    if (rc != LLMSPELL_OK) {
        note(p, "%s ring %d: rc %d", what, r, (int)rc);
        return -1;
    }
    if (rows->count == 0 && empty_ok) return 0;
    if (rows->count != want) {
        note(p, "%s ring %d: %zu rows, not %zu: part of a ring", what, r, rows->count, want);
        return -1;
    }
    gen = gen_of(rows->entity[0].properties);
    for (i = 0; i < rows->count; i++) {
        long ge = gen_of(rows->entity[i].properties), gr = rows->rel[i].id ? gen_of(rows->rel[i].properties) : gen;
        if (ge != gen || gr != gen) {
            note(p, "%s ring %d: generations %ld, %ld and %ld in one answer: part of a write", what, r, gen, ge, gr);
            return -1;
        }
    }
    if (gen < 1) {
        note(p, "%s ring %d: generation %ld: a rolled-back write", what, r, gen);
        return -1;
    }
    return gen;
}

static void ring_reader(void *p) {
    ring_arg *a = (ring_arg *)p;
    rings *R = a->R;
    llmspell_graph *g = &R->s->g;
    problem *pb = &R->rprob[a->id];
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    llmspell_graph_info info;
    llmspell_graph_entity e;
    llmspell_time past[RINGS], last_tx = LLMSPELL_TIME_MIN;
    long seen[RINGS], gen;
    char id[24], to[24], type[16];
    int round = 0, r, k;
    memset(&rows, 0, sizeof rows);
    for (r = 0; r < RINGS; r++) {
        seen[r] = 0;
        past[r] = LLMSPELL_TIME_MIN;
    }
    gate_wait(&R->start);
    while (!pb->text[0] && (TLOAD(&R->writers_left) > 0 || round < 2 * RINGS * 6)) {
        r = round % RINGS;
        k = (round / RINGS) % MEMBERS;
        member_id(id, r, k);
        member_id(to, r, k + 2);
        snprintf(type, sizeof type, "ring%d", r);
        gen = -1;
        switch ((round / RINGS) % 6) {
        case 0: /* around the ring from one member */
            gen = ring_check(pb, "traverse", r, llmspell_graph_traverse(g, id, LLMSPELL_GRAPH_OUT, "link", MEMBERS, NOW, NOW, &rows), &rows,
                             MEMBERS, 0);
            if (gen > 0 && r != JOINED) past[r] = rows.entity[1].tx_from;
            break;
        case 1: /* both neighbours */
            gen = ring_check(pb, "neighbors", r, llmspell_graph_neighbors(g, id, LLMSPELL_GRAPH_BOTH, NULL, NOW, NOW, &rows), &rows, 2, 0);
            break;
        case 2: /* every member, by type, at current knowledge */
            memset(&q, 0, sizeof q);
            q.type = type;
            q.tx_from = q.tx_to = NOW;
            rows.count = 0;
            gen = llmspell_graph_query(g, &q, &rows) == LLMSPELL_OK && rows.count == MEMBERS ? gen_of(rows.entity[0].properties) : -2;
            if (gen == -2) note(pb, "query ring %d: %zu members, not %d", r, rows.count, MEMBERS);
            for (k = 1; gen > 0 && k < MEMBERS; k++)
                if (gen_of(rows.entity[k].properties) != gen) note(pb, "query ring %d: two generations", r);
            break;
        case 3: /* half way round */
            gen = ring_check(pb, "shortest_path", r,
                             llmspell_graph_shortest_path(g, id, to, LLMSPELL_GRAPH_OUT, NULL, MEMBERS, NOW, NOW, &rows), &rows, 3, 0);
            break;
        case 4: /* one member alone: its generation only grows */
            if (llmspell_graph_get_entity(g, id, NOW, NOW, &e) != LLMSPELL_OK) note(pb, "get %s: %s", id, llmspell_graph_errmsg(g));
            else if (gen_of(e.properties) < seen[r] || gen_of(e.properties) < 1 || strcmp(e.id, id) != 0)
                note(pb, "get %s: generation %ld after %ld (%s)", id, gen_of(e.properties), seen[r], e.properties);
            break;
        default: /* the past: a whole ring, or nothing (an erase took the history) */
            if (past[r] != LLMSPELL_TIME_MIN) {
                gen = ring_check(pb, "as-of", r, llmspell_graph_traverse(g, id, LLMSPELL_GRAPH_OUT, "link", MEMBERS, 5, past[r], &rows),
                                 &rows, MEMBERS, 1);
                if (gen > seen[r]) note(pb, "as-of ring %d: generation %ld is newer than the %ld seen since", r, gen, seen[r]);
                gen = -1; /* not a current one */
                R->past_reads[a->id]++;
            }
            if (llmspell_graph_info_get(g, &info) != LLMSPELL_OK || info.last_tx < last_tx || info.in_txn)
                note(pb, "info: last_tx %lld after %lld, in_txn %d", (long long)info.last_tx, (long long)last_tx, info.in_txn);
            last_tx = info.last_tx;
            break;
        }
        if (gen > 0) {
            if (gen < seen[r]) note(pb, "ring %d: generation %ld after %ld: back in time", r, gen, seen[r]);
            seen[r] = gen;
        }
        R->reads[a->id]++;
        if (TLOAD(&R->writers_left) > 0) TADD(&R->beside, 1);
        round++;
    }
    llmspell_graph_rows_free(&rows);
}

static void rings_test(const void *arg) {
    const backend *b = (const backend *)arg;
    store s;
    rings R;
    ring_arg wa[2], ra[READERS];
    tthread th[2 + READERS];
    llmspell_graph_rows rows;
    int i, r;
    REQUIRE(store_open(&s, b, "rings", NULL) == 0, "open");
    memset(&R, 0, sizeof R);
    R.s = &s;
    R.rounds = 60;
    for (r = 0; r < RINGS; r++) { /* each ring at one time, so its past is whole too */
        REQUIRE_RC(llmspell_graph_begin(&s.g), LLMSPELL_OK);
        REQUIRE_RC(ring_put(&s.g, r, 1, 0), LLMSPELL_OK);
        REQUIRE_RC(llmspell_graph_commit(&s.g), LLMSPELL_OK);
        R.gen[r] = 1;
    }
    R.writers_left = 2;
    gate_init(&R.start, 2 + READERS);
    for (i = 0; i < 2; i++) {
        wa[i].R = &R;
        wa[i].id = i;
        REQUIRE(tstart(&th[i], ring_writer, &wa[i]) == 0, "thread");
    }
    for (i = 0; i < READERS; i++) {
        ra[i].R = &R;
        ra[i].id = i;
        REQUIRE(tstart(&th[2 + i], ring_reader, &ra[i]) == 0, "thread");
    }
    for (i = 0; i < 2 + READERS; i++) tjoin(&th[i]);
    for (i = 0; i < 2; i++) CHECK(!R.wprob[i].text[0], "writer %d: %s", i, R.wprob[i].text);
    fprintf(stderr, "note: rings_%s: %ld reads beside %d writer rounds\n", b->name, (long)TLOAD(&R.beside), 2 * R.rounds);
    for (i = 0; i < READERS; i++) {
        CHECK(!R.rprob[i].text[0], "reader %d: %s", i, R.rprob[i].text);
        CHECK(R.reads[i] > 0 && R.past_reads[i] > 0, "reader %d made %ld reads, %ld of the past", i, R.reads[i], R.past_reads[i]);
    }
    /* the end: each ring at its last committed generation, here and after a reopen */
    memset(&rows, 0, sizeof rows);
    for (r = 0; r < RINGS; r++) {
        problem p;
        char id[24];
        p.text[0] = 0;
        member_id(id, r, 0);
        CHECK(ring_check(&p, "final", r, llmspell_graph_traverse(&s.g, id, LLMSPELL_GRAPH_OUT, NULL, MEMBERS, NOW, NOW, &rows), &rows,
                         MEMBERS, 0) == TLOAD(&R.gen[r]) && !p.text[0],
              "ring %d ends at generation %ld: %s", r, (long)TLOAD(&R.gen[r]), p.text);
    }
    if (b->file) {
        llmspell_graph_close(&s.g);
        REQUIRE_RC(llmspell_graph_open(&s.g, store_kv(&s), NULL), LLMSPELL_OK);
        for (r = 0; r < RINGS; r++) {
            problem p;
            char id[24];
            p.text[0] = 0;
            member_id(id, r, 1);
            CHECK(ring_check(&p, "reopened", r, llmspell_graph_traverse(&s.g, id, LLMSPELL_GRAPH_OUT, NULL, MEMBERS, NOW, NOW, &rows),
                             &rows, MEMBERS, 0) == TLOAD(&R.gen[r]) && !p.text[0],
                  "after reopen ring %d: %s", r, p.text);
        }
    }
    llmspell_graph_rows_free(&rows);
    gate_free(&R.start);
    store_close(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>turns: writers in several threads */

#define TURNERS 3
#define TURNS 25

typedef struct turns {
    store *s;
    gate start;
    problem prob[TURNERS];
} turns;
typedef struct turn_arg {
    turns *T;
    int id;
} turn_arg;

/* Each turn: a pair and its link in one graph transaction, then a single entity alone. */
static void turn_writer(void *p) {
    turn_arg *a = (turn_arg *)p;
    llmspell_graph *g = &a->T->s->g;
    problem *pb = &a->T->prob[a->id];
    char x[32], y[32], l[32], z[32];
    int i;
    llmspell_result rc;
    gate_wait(&a->T->start);
    for (i = 0; i < TURNS && !pb->text[0]; i++) {
        snprintf(x, sizeof x, "t%d_%d_x", a->id, i);
        snprintf(y, sizeof y, "t%d_%d_y", a->id, i);
        snprintf(l, sizeof l, "t%d_%d_l", a->id, i);
        snprintf(z, sizeof z, "t%d_%d_z", a->id, i);
        if ((rc = llmspell_graph_begin(g)) != LLMSPELL_OK || (rc = llmspell_graph_put_entity(g, x, "pair", x, NULL, 0, INF)) != LLMSPELL_OK ||
            (rc = llmspell_graph_put_entity(g, y, "pair", y, NULL, 0, INF)) != LLMSPELL_OK ||
            (rc = llmspell_graph_put_rel(g, l, "pairs", x, y, NULL, 0, INF)) != LLMSPELL_OK || (rc = llmspell_graph_commit(g)) != LLMSPELL_OK ||
            (rc = llmspell_graph_put_entity(g, z, "single", z, NULL, 0, INF)) != LLMSPELL_OK)
            note(pb, "turn %d: rc %d: %s", i, (int)rc, llmspell_graph_errmsg(g));
    }
}

static int cmp_time(const void *a, const void *b) {
    llmspell_time x = *(const llmspell_time *)a, y = *(const llmspell_time *)b;
    return x < y ? -1 : x > y;
}

static void turns_test(const void *arg) {
    const backend *b = (const backend *)arg;
    store s;
    turns T;
    turn_arg ta[TURNERS];
    tthread th[TURNERS];
    llmspell_graph_info info;
    llmspell_graph_rows rows;
    llmspell_graph_entity e;
    llmspell_time times[TURNERS * TURNS * 2];
    size_t nt = 0, i;
    int t, k;
    REQUIRE(store_open(&s, b, "turns", NULL) == 0, "open");
    memset(&T, 0, sizeof T);
    T.s = &s;
    gate_init(&T.start, TURNERS);
    for (t = 0; t < TURNERS; t++) {
        ta[t].T = &T;
        ta[t].id = t;
        REQUIRE(tstart(&th[t], turn_writer, &ta[t]) == 0, "thread");
    }
    for (t = 0; t < TURNERS; t++) tjoin(&th[t]);
    for (t = 0; t < TURNERS; t++) CHECK(!T.prob[t].text[0], "writer %d: %s", t, T.prob[t].text);
    REQUIRE_RC(llmspell_graph_info_get(&s.g, &info), LLMSPELL_OK);
    CHECK(info.entities == TURNERS * TURNS * 3 && info.relationships == TURNERS * TURNS, "%llu entities, %llu relationships",
          (unsigned long long)info.entities, (unsigned long long)info.relationships);
    /* a transaction's writes share its time; every transaction and write has its own */
    memset(&rows, 0, sizeof rows);
    for (t = 0; t < TURNERS; t++)
        for (k = 0; k < TURNS; k++) {
            char x[32], y[32], z[32];
            llmspell_graph_entity ex;
            snprintf(x, sizeof x, "t%d_%d_x", t, k);
            snprintf(y, sizeof y, "t%d_%d_y", t, k);
            snprintf(z, sizeof z, "t%d_%d_z", t, k);
            if (llmspell_graph_get_entity(&s.g, x, NOW, NOW, &ex) != LLMSPELL_OK) {
                CHECK(0, "%s is missing", x);
                continue;
            }
            times[nt++] = ex.tx_from;
            CHECK(llmspell_graph_get_entity(&s.g, y, NOW, NOW, &e) == LLMSPELL_OK && e.tx_from == times[nt - 1], "%s: not in %s's transaction", y, x);
            CHECK(llmspell_graph_neighbors(&s.g, x, LLMSPELL_GRAPH_OUT, "pairs", NOW, NOW, &rows) == LLMSPELL_OK && rows.count == 1 &&
                      rows.rel[0].tx_from == times[nt - 1],
                  "%s: its link", x);
            if (llmspell_graph_get_entity(&s.g, z, NOW, NOW, &e) == LLMSPELL_OK) times[nt++] = e.tx_from;
            else CHECK(0, "%s is missing", z);
        }
    qsort(times, nt, sizeof *times, cmp_time);
    for (i = 1; i < nt; i++) CHECK(times[i] != times[i - 1], "two transactions at time %lld", (long long)times[i]);
    llmspell_graph_rows_free(&rows);
    gate_free(&T.start);
    store_close(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>mixed: kv transactions that carry graph writes, kv and graph writers side by side */

#define MIXED 40

typedef struct mixed {
    store *s;
    gate start;
    tcount done;
    problem prob[4];
    long checks[2];
} mixed;
typedef struct mixed_arg {
    mixed *m;
    int id;
} mixed_arg;

/* Entity j<i> goes with kv key k<i>, in one kv transaction (every third rolled back); some with
   a graph transaction inside it. */
static void mixed_kv_txn_writer(void *p) {
    mixed *m = (mixed *)p;
    llmspell_kv *kv = store_kv(m->s);
    llmspell_graph *g = &m->s->g;
    char k[16], j[16];
    int i;
    llmspell_result rc;
    gate_wait(&m->start);
    for (i = 0; i < MIXED && !m->prob[0].text[0]; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(j, sizeof j, "j%d", i);
        if ((rc = llmspell_kv_begin(kv)) != LLMSPELL_OK) {
            note(&m->prob[0], "kv begin %d: %s", i, llmspell_kv_errmsg(kv));
            break;
        }
        rc = llmspell_kv_put(kv, k, strlen(k), "1", 1);
        if (rc == LLMSPELL_OK && i % 4 == 1) rc = llmspell_graph_begin(g);
        if (rc == LLMSPELL_OK) rc = llmspell_graph_put_entity(g, j, "j", j, NULL, 0, INF);
        if (rc == LLMSPELL_OK && i % 4 == 1) rc = llmspell_graph_commit(g);
        if (rc != LLMSPELL_OK) note(&m->prob[0], "write %d: rc %d: %s / %s", i, (int)rc, llmspell_graph_errmsg(g), llmspell_kv_errmsg(kv));
        if (rc != LLMSPELL_OK || i % 3 == 2) rc = llmspell_kv_rollback(kv);
        else rc = llmspell_kv_commit(kv);
        if (rc != LLMSPELL_OK) note(&m->prob[0], "end %d: %s", i, llmspell_kv_errmsg(kv));
    }
    TADD(&m->done, 1);
}

/* Plain kv writes and graph writes in turn, in one thread. */
static void mixed_plain_writer(void *p) {
    mixed *m = (mixed *)p;
    llmspell_kv *kv = store_kv(m->s);
    char k[16];
    int i;
    gate_wait(&m->start);
    for (i = 0; i < MIXED && !m->prob[1].text[0]; i++) {
        snprintf(k, sizeof k, "p%d", i);
        if (llmspell_kv_put(kv, k, strlen(k), "x", 1) != LLMSPELL_OK) note(&m->prob[1], "kv put %d: %s", i, llmspell_kv_errmsg(kv));
        if (llmspell_graph_put_entity(&m->s->g, k, "p", k, NULL, 0, INF) != LLMSPELL_OK)
            note(&m->prob[1], "graph put %d: %s", i, llmspell_graph_errmsg(&m->s->g));
    }
    TADD(&m->done, 1);
}

/* In a kv read snapshot the graph and the kv agree on every pair seen. */
static void mixed_reader(void *p) {
    mixed_arg *a = (mixed_arg *)p;
    mixed *m = a->m;
    llmspell_kv *kv = store_kv(m->s);
    problem *pb = &m->prob[2 + a->id];
    llmspell_graph_entity e;
    char k[16], j[16];
    const void *v;
    size_t n;
    int round = 0, i;
    gate_wait(&m->start);
    while (!pb->text[0] && (TLOAD(&m->done) < 2 || round < 4)) {
        if (llmspell_kv_read_begin(kv) != LLMSPELL_OK) {
            note(pb, "read_begin: %s", llmspell_kv_errmsg(kv));
            break;
        }
        for (i = 0; i < MIXED; i++) {
            int in_kv, in_graph;
            llmspell_result rc;
            snprintf(k, sizeof k, "k%d", i);
            snprintf(j, sizeof j, "j%d", i);
            in_kv = llmspell_kv_get(kv, k, strlen(k), &v, &n) == LLMSPELL_OK;
            rc = llmspell_graph_get_entity(&m->s->g, j, NOW, NOW, &e);
            in_graph = rc == LLMSPELL_OK;
            if (rc != LLMSPELL_OK && rc != LLMSPELL_ERR_NOT_FOUND) note(pb, "get %s: %s", j, llmspell_graph_errmsg(&m->s->g));
            if (in_kv != in_graph) note(pb, "round %d: %s in the kv %d, %s in the graph %d", round, k, in_kv, j, in_graph);
        }
        m->checks[a->id]++;
        llmspell_kv_read_end(kv);
        round++;
    }
}

static void mixed_test(const void *arg) {
    const backend *b = (const backend *)arg;
    store s;
    mixed m;
    mixed_arg ra[2];
    tthread th[4];
    llmspell_graph_entity e;
    const void *v;
    size_t n;
    int i;
    REQUIRE(store_open(&s, b, "mixed", NULL) == 0, "open");
    memset(&m, 0, sizeof m);
    m.s = &s;
    gate_init(&m.start, 4);
    REQUIRE(tstart(&th[0], mixed_kv_txn_writer, &m) == 0, "thread");
    REQUIRE(tstart(&th[1], mixed_plain_writer, &m) == 0, "thread");
    for (i = 0; i < 2; i++) {
        ra[i].m = &m;
        ra[i].id = i;
        REQUIRE(tstart(&th[2 + i], mixed_reader, &ra[i]) == 0, "thread");
    }
    for (i = 0; i < 4; i++) tjoin(&th[i]);
    for (i = 0; i < 4; i++) CHECK(!m.prob[i].text[0], "thread %d: %s", i, m.prob[i].text);
    CHECK(m.checks[0] > 0 && m.checks[1] > 0, "readers checked %ld and %ld times", m.checks[0], m.checks[1]);
    for (i = 0; i < MIXED; i++) {
        char k[16], j[16];
        int want = i % 3 != 2;
        snprintf(k, sizeof k, "k%d", i);
        snprintf(j, sizeof j, "j%d", i);
        CHECK((llmspell_kv_get(store_kv(&s), k, strlen(k), &v, &n) == LLMSPELL_OK) == want, "%s: kv", k);
        CHECK((llmspell_graph_get_entity(&s.g, j, NOW, NOW, &e) == LLMSPELL_OK) == want, "%s: graph", j);
        snprintf(k, sizeof k, "p%d", i);
        CHECK(llmspell_graph_get_entity(&s.g, k, NOW, NOW, &e) == LLMSPELL_OK, "%s: graph", k);
    }
    gate_free(&m.start);
    store_close(&s);
}

/* ------------------------------------------------------------------------------------------ */
/* >>rules */

typedef struct waiter {
    llmspell_graph *g;
    gate step;
    const char *id;
    llmspell_result rc;
    tcount done;
    char seen[512]; /* beside: what the reader found */
} waiter;

static void wait_and_read(void *p) {
    waiter *w = (waiter *)p;
    llmspell_graph_entity e;
    gate_wait(&w->step);
    w->rc = llmspell_graph_get_entity(w->g, w->id, NOW, NOW, &e);
    TSTORE(&w->done, 1);
}

/* Waits up to 30 s for a thread to finish (one that never does is a failure, not a hang). */
static int finished(tcount *done) {
    int i;
    for (i = 0; i < 30000 && !TLOAD(done); i++) sleep_ms(1);
    return TLOAD(done) != 0;
}

/* Everything a reader can ask about the graph of test_reads_beside_txn, as text. */
static void read_all(void *p) {
    waiter *w = (waiter *)p;
    llmspell_graph_entity e;
    llmspell_graph_rel r;
    llmspell_graph_rows rows;
    llmspell_graph_query_desc q;
    llmspell_graph_info info;
    sbuf b;
    memset(&rows, 0, sizeof rows);
    memset(&b, 0, sizeof b);
    memset(&q, 0, sizeof q);
    gate_wait(&w->step);
    sb_printf(&b, "new=%d ", (int)llmspell_graph_get_entity(w->g, "new", NOW, NOW, &e));
    if (llmspell_graph_get_entity(w->g, "old", NOW, NOW, &e) == LLMSPELL_OK) sb_printf(&b, "old=%s,%s ", e.properties, e.tx_to == INF ? "inf" : "closed");
    if (llmspell_graph_get_entity(w->g, "old", NOW, INF - 1, &e) == LLMSPELL_OK) sb_printf(&b, "asof=%s ", e.properties);
    sb_printf(&b, "hist=%d:", (int)llmspell_graph_entity_history(w->g, "old", &rows));
    sb_printf(&b, "%d ", (int)rows.count);
    q.tx_from = q.tx_to = NOW;
    sb_printf(&b, "query=%d:", (int)llmspell_graph_query(w->g, &q, &rows));
    sb_printf(&b, "%d ", (int)rows.count);
    sb_printf(&b, "nb=%d:", (int)llmspell_graph_neighbors(w->g, "old", LLMSPELL_GRAPH_BOTH, NULL, NOW, NOW, &rows));
    sb_printf(&b, "%d ", (int)rows.count);
    sb_printf(&b, "rel=%d ", (int)llmspell_graph_get_rel(w->g, "link", NOW, NOW, &r));
    if (llmspell_graph_info_get(w->g, &info) == LLMSPELL_OK) sb_printf(&b, "info=%d,%d,%d", (int)info.entities, (int)info.entity_versions, info.in_txn);
    snprintf(w->seen, sizeof w->seen, "%s", b.p ? b.p : "");
    sb_free(&b);
    llmspell_graph_rows_free(&rows);
    TSTORE(&w->done, 1);
}

/* Reads beside another thread's graph transaction: they do not wait for it and see the graph
   as it was before it began (not its new ids, its new versions or what it closed), then all of
   it once it commits. An erase makes the transaction hold the graph alone: a read then waits.
   A read also waits for a kv transaction the graph joined (it does not find c, rolled back).
   With LLMSPELL_NO_THREADS the reads run at once, in the writer's thread: they see that
   thread's transaction as it is. */
static void test_reads_beside_txn(void) {
    const char *before = "new=1 old={\"v\":1},inf asof={\"v\":1} hist=0:1 query=0:1 nb=0:0 rel=1 info=1,1,0";
    const char *inside = "new=0 old={\"v\":2},inf asof={\"v\":2} hist=0:2 query=0:2 nb=0:1 rel=0 info=2,3,1";
    const char *after = "new=0 old={\"v\":2},inf asof={\"v\":2} hist=0:2 query=0:2 nb=0:1 rel=0 info=2,3,0";
    store s;
    waiter w;
    tthread th;
    REQUIRE(store_open(&s, &backends[0], "beside", NULL) == 0, "open");
    memset(&w, 0, sizeof w);
    w.g = &s.g;
    gate_init(&w.step, 2);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "old", "t", "o", "{\"v\":1}", 0, INF), LLMSPELL_OK);
    /* a first reader: the graph is shared from now on (a graph only one thread has used keeps
       its lock through a transaction: nobody waits for it) */
    REQUIRE(tstart(&th, read_all, &w) == 0, "thread");
    gate_wait(&w.step);
    tjoin(&th);
    CHECK(strcmp(w.seen, before) == 0, "read before the transaction: %s", w.seen);
    TSTORE(&w.done, 0);
    REQUIRE_RC(llmspell_graph_begin(&s.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "new", "t", "n", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "old", "t", "o", "{\"v\":2}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&s.g, "link", "knows", "old", "new", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE(tstart(&th, read_all, &w) == 0, "thread");
    gate_wait(&w.step);
    CHECK(finished(&w.done), "a read waited for another thread's open graph transaction");
    CHECK(strcmp(w.seen, TSTART_RUNS ? inside : before) == 0, "read beside the transaction: %s", w.seen);
    REQUIRE_RC(llmspell_graph_commit(&s.g), LLMSPELL_OK);
    tjoin(&th);
    TSTORE(&w.done, 0);
    REQUIRE(tstart(&th, read_all, &w) == 0, "thread");
    gate_wait(&w.step);
    tjoin(&th);
    CHECK(strcmp(w.seen, after) == 0, "read after the commit: %s", w.seen);

    /* an erase: the transaction keeps the graph from then on */
    TSTORE(&w.done, 0);
    w.id = "new";
    REQUIRE_RC(llmspell_graph_begin(&s.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_erase_entity(&s.g, "new"), LLMSPELL_OK);
    REQUIRE(tstart(&th, wait_and_read, &w) == 0, "thread");
    gate_wait(&w.step);
    sleep_ms(50); /* the reader is waiting by now (were it not, it would find "new") */
    CHECK(TSTART_RUNS || !TLOAD(&w.done), "a read ran beside a transaction that erased");
    REQUIRE_RC(llmspell_graph_commit(&s.g), LLMSPELL_OK);
    tjoin(&th);
    CHECK_RC(w.rc, LLMSPELL_ERR_NOT_FOUND);

    /* a kv transaction the graph joined */
    w.id = "c";
    REQUIRE_RC(llmspell_kv_begin(&s.root), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "c", "t", "c", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE(tstart(&th, wait_and_read, &w) == 0, "thread");
    gate_wait(&w.step);
    sleep_ms(50); /* were the reader not waiting, it would find c */
    REQUIRE_RC(llmspell_kv_rollback(&s.root), LLMSPELL_OK);
    tjoin(&th);
    CHECK_RC(w.rc, TSTART_RUNS ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND);
    gate_free(&w.step);
    store_close(&s);
}

static void put_b(void *p) {
    waiter *w = (waiter *)p;
    w->rc = llmspell_graph_put_entity(w->g, "b", "t", "b", NULL, 0, INF);
}

/* A graph transaction whose kv transaction the owner commits on the kv directly, and another
   thread's write that settles it before the owner's next graph call: the owner's later writes
   are its own (not the lost transaction's), its commit says the transaction was lost, and
   every write stays. */
static void test_txn_ended_on_kv(void) {
    store s;
    waiter w;
    tthread th;
    llmspell_graph_entity e;
    REQUIRE(store_open(&s, &backends[0], "lost", NULL) == 0, "open");
    memset(&w, 0, sizeof w);
    w.g = &s.g;
    REQUIRE(tstart(&th, put_b, &w) == 0, "thread"); /* the graph is shared from here */
    tjoin(&th);
    CHECK_RC(w.rc, LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_begin(&s.g), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "a", "t", "a", NULL, 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_commit(&s.root), LLMSPELL_OK);
    REQUIRE(tstart(&th, put_b, &w) == 0, "thread");
    tjoin(&th);
    CHECK_RC(w.rc, LLMSPELL_OK);
    REQUIRE_RC(llmspell_kv_begin(&s.root), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_put_entity(&s.g, "c", "t", "c", NULL, 0, INF), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&s.g, "c", NOW, NOW, &e), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_commit(&s.g), LLMSPELL_ERR_TXN);
    CHECK(strstr(llmspell_graph_errmsg(&s.g), "ended on the kv") != NULL, "message: %s", llmspell_graph_errmsg(&s.g));
    REQUIRE_RC(llmspell_kv_commit(&s.root), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&s.g, "a", NOW, NOW, &e), LLMSPELL_OK);
    CHECK_RC(llmspell_graph_get_entity(&s.g, "c", NOW, NOW, &e), LLMSPELL_OK);
    CHECK(e.tx_from > 0, "c's transaction time");
    store_close(&s);
}

typedef struct failer {
    llmspell_graph *g;
    gate *start;
    int id;
    problem prob;
} failer;

/* Three threads fail in three ways, many times over, and each reads its own message back. */
static void fail_in_thread(void *p) {
    failer *f = (failer *)p;
    llmspell_graph_rows rows;
    llmspell_graph_entity e;
    char id[32], want[64];
    int i;
    llmspell_result rc = LLMSPELL_OK, expect = LLMSPELL_OK;
    memset(&rows, 0, sizeof rows);
    gate_wait(f->start);
    for (i = 0; i < 300 && !f->prob.text[0]; i++) {
        switch (f->id) {
        case 0:
            snprintf(id, sizeof id, "missing-%d", i);
            snprintf(want, sizeof want, "no entity '%s'", id);
            rc = llmspell_graph_get_entity(f->g, id, NOW, NOW, &e);
            expect = LLMSPELL_ERR_NOT_FOUND;
            break;
        case 1:
            snprintf(want, sizeof want, "depth of at least 1");
            rc = llmspell_graph_traverse(f->g, "x", LLMSPELL_GRAPH_OUT, NULL, 0, NOW, NOW, &rows);
            expect = LLMSPELL_ERR_INVALID;
            break;
        default:
            snprintf(id, sizeof id, "{\"n\":%d,}", i);
            snprintf(want, sizeof want, "properties");
            rc = llmspell_graph_put_entity(f->g, "y", "t", "y", id, 0, INF);
            expect = LLMSPELL_ERR_PARSE;
            break;
        }
        if (rc != expect) note(&f->prob, "call %d: rc %d, not %d", i, (int)rc, (int)expect);
        else if (!strstr(llmspell_graph_errmsg(f->g), want)) note(&f->prob, "call %d: message '%s' lacks '%s'", i, llmspell_graph_errmsg(f->g), want);
        /* a success in between leaves the message alone */
        if (llmspell_graph_get_entity(f->g, "x", NOW, NOW, &e) != LLMSPELL_OK) note(&f->prob, "get x: %s", llmspell_graph_errmsg(f->g));
        else if (!strstr(llmspell_graph_errmsg(f->g), want)) note(&f->prob, "after a success: '%s'", llmspell_graph_errmsg(f->g));
    }
    llmspell_graph_rows_free(&rows);
}

static void test_errmsg_per_thread(void) {
    store s;
    failer f[3];
    tthread th[3];
    gate start;
    int i;
    REQUIRE(store_open(&s, &backends[0], "errmsg", NULL) == 0, "open");
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "x", "t", "x", NULL, 0, INF), LLMSPELL_OK);
    gate_init(&start, 3);
    for (i = 0; i < 3; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].g = &s.g;
        f[i].id = i;
        f[i].start = &start;
    }
    for (i = 0; i < 3; i++) REQUIRE(tstart(&th[i], fail_in_thread, &f[i]) == 0, "thread");
    for (i = 0; i < 3; i++) tjoin(&th[i]);
    for (i = 0; i < 3; i++) CHECK(!f[i].prob.text[0], "thread %d: %s", i, f[i].prob.text);
    if (!TSTART_RUNS) /* (with one thread every failure was this thread's) */
        CHECK(strcmp(llmspell_graph_errmsg(&s.g), "") == 0, "this thread failed nothing, yet: '%s'", llmspell_graph_errmsg(&s.g));
    gate_free(&start);
    store_close(&s);
}

typedef struct rewriter {
    llmspell_graph *g;
    tcount rounds;
    problem prob;
} rewriter;

/* Rewrites, erases and recreates everything the main thread holds answers about, and drops
   the history (so the old texts and ids lose their last references). */
static void rewrite_all(void *p) {
    rewriter *w = (rewriter *)p;
    char props[96];
    int i;
    for (i = 0; i < 40 && !w->prob.text[0]; i++) {
        snprintf(props, sizeof props, "{\"round\":%d,\"pad\":\"%048d\"}", i, i);
        if (llmspell_graph_erase_entity(w->g, "h0") != LLMSPELL_OK ||
            llmspell_graph_put_entity(w->g, "h0", "kind2", "other name", props, 0, INF) != LLMSPELL_OK ||
            llmspell_graph_put_entity(w->g, "h1", "kind2", "other name", props, 0, INF) != LLMSPELL_OK ||
            llmspell_graph_put_rel(w->g, "h01", "rel2", "h0", "h1", props, 0, INF) != LLMSPELL_OK ||
            llmspell_graph_delete_before(w->g, NOW, NULL) != LLMSPELL_OK)
            note(&w->prob, "round %d: %s", i, llmspell_graph_errmsg(w->g));
        TADD(&w->rounds, 1);
    }
}

/* Every string of the answer (rels: rows.rel holds answers too), as one text, to compare later. */
static void answer_text(char *b, size_t cap, const llmspell_graph_rows *rows, int rels, const llmspell_graph_entity *e) {
    size_t i, n = 0;
    b[0] = 0;
    if (e) n += (size_t)snprintf(b + n, cap - n, "%s|%s|%s|%s;", e->id, e->type, e->name, e->properties);
    for (i = 0; rows && i < rows->count && n < cap; i++) {
        const llmspell_graph_rel *r = &rows->rel[i];
        n += (size_t)snprintf(b + n, cap - n, "%s|%s|%s|%s/", rows->entity[i].id, rows->entity[i].type, rows->entity[i].name,
                              rows->entity[i].properties);
        if (n < cap && rels && r->id)
            n += (size_t)snprintf(b + n, cap - n, "%s|%s|%s>%s|%s;", r->id, r->type, r->source, r->target, r->properties);
    }
}

/* What a read returned stays intact (and, under ASan, is not freed) while another thread
   rewrites, erases and retires what it came from: until this thread's next call, and inside a
   kv read snapshot through any number of calls. */
static void test_strings_stay(void) {
    store s;
    rewriter w;
    tthread th;
    llmspell_graph_entity e;
    llmspell_graph_rows rows;
    char before[1024], after[1024];
    int phase;
    REQUIRE(store_open(&s, &backends[0], "stay", NULL) == 0, "open");
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "h0", "kind", "first name", "{\"a\":\"first\"}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&s.g, "h1", "kind", "second", "{\"a\":\"second\"}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_rel(&s.g, "h01", "rel", "h0", "h1", "{\"r\":1}", 0, INF), LLMSPELL_OK);
    memset(&rows, 0, sizeof rows);
    memset(&w, 0, sizeof w);
    w.g = &s.g;
    for (phase = 0; phase < 4; phase++) {
        llmspell_result rc;
        switch (phase) {
        case 0: rc = llmspell_graph_get_entity(&s.g, "h0", NOW, NOW, &e); break;
        case 1: rc = llmspell_graph_traverse(&s.g, "h0", LLMSPELL_GRAPH_OUT, NULL, 2, NOW, NOW, &rows); break;
        case 2: rc = llmspell_graph_entity_history(&s.g, "h1", &rows); break;
        default: rc = llmspell_graph_neighbors(&s.g, "h1", LLMSPELL_GRAPH_IN, NULL, NOW, NOW, &rows); break;
        }
        REQUIRE_RC(rc, LLMSPELL_OK);
        answer_text(before, sizeof before, phase ? &rows : NULL, phase != 2, phase ? NULL : &e); /* a history: entities */
        REQUIRE(tstart(&th, rewrite_all, &w) == 0, "thread");
        tjoin(&th);
        if (TSTART_RUNS) continue; /* one thread: the rewriter's calls were this thread's own */
        answer_text(after, sizeof after, phase ? &rows : NULL, phase != 2, phase ? NULL : &e);
        CHECK(strcmp(before, after) == 0, "phase %d: [%s] became [%s]", phase, before, after);
    }
    CHECK(!w.prob.text[0], "rewriter: %s", w.prob.text);
    CHECK_RC(llmspell_graph_get_entity(&s.g, "h0", NOW, NOW, &e), LLMSPELL_OK);
    CHECK(strcmp(e.name, "other name") == 0, "rewritten: %s", e.name);
#ifndef LLMSPELL_NO_THREADS /* (one thread: the rewriter would write inside this thread's snapshot) */
    /* a read snapshot of the store: the rewriter waits, and every answer stays through calls */
    REQUIRE_RC(llmspell_kv_read_begin(&s.root), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_traverse(&s.g, "h0", LLMSPELL_GRAPH_OUT, NULL, 2, NOW, NOW, &rows), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_get_entity(&s.g, "h1", NOW, NOW, &e), LLMSPELL_OK);
    answer_text(before, sizeof before, &rows, 1, &e);
    TSTORE(&w.rounds, 0);
    REQUIRE(tstart(&th, rewrite_all, &w) == 0, "thread");
    sleep_ms(30);
    CHECK_RC(llmspell_graph_query(&s.g, NULL, NULL), LLMSPELL_ERR_INVALID); /* more calls */
    CHECK_RC(llmspell_graph_get_rel(&s.g, "h01", NOW, NOW, NULL), LLMSPELL_ERR_INVALID);
    CHECK(TLOAD(&w.rounds) == 0, "a writer ran during the snapshot");
    answer_text(after, sizeof after, &rows, 1, &e);
    CHECK(strcmp(before, after) == 0, "in a snapshot: [%s] became [%s]", before, after);
    REQUIRE_RC(llmspell_kv_read_end(&s.root), LLMSPELL_OK);
    tjoin(&th);
    CHECK(TLOAD(&w.rounds) == 40 && !w.prob.text[0], "rewriter after the snapshot: %ld rounds, %s", (long)TLOAD(&w.rounds), w.prob.text);
#endif
    llmspell_graph_rows_free(&rows);
    store_close(&s);
}

/* An allocator that counts live bytes (from any thread). */
typedef struct counted {
    tcount live;
} counted;
static void *c_alloc(void *ctx, size_t n) {
    size_t *p = (size_t *)malloc(n + 16);
    if (!p) return NULL;
    p[0] = n;
    TADD(&((counted *)ctx)->live, (long)n);
    return (char *)p + 16;
}
static void c_free(void *ctx, void *ptr) {
    size_t *p;
    if (!ptr) return;
    p = (size_t *)(void *)((char *)ptr - 16);
    TADD(&((counted *)ctx)->live, -(long)p[0]);
    free(p);
}
static void *c_realloc(void *ctx, void *ptr, size_t n) {
    void *q = c_alloc(ctx, n);
    if (q && ptr) {
        size_t old = ((size_t *)(void *)((char *)ptr - 16))[0];
        memcpy(q, ptr, old < n ? old : n);
        c_free(ctx, ptr);
    }
    return q;
}

typedef struct churner {
    llmspell_graph *g;
    counted *mem;
    long live_early, live_late;
    problem prob;
} churner;

/* Erases and recreates entities with new texts every round: each round retires what the one
   before made. */
static void churn(void *p) {
    churner *c = (churner *)p;
    char props[64];
    int i;
    for (i = 0; i < 1500 && !c->prob.text[0]; i++) {
        snprintf(props, sizeof props, "{\"round\":%d}", i);
        if (llmspell_graph_erase_entity(c->g, i % 2 ? "x" : "y") != LLMSPELL_OK ||
            llmspell_graph_put_entity(c->g, i % 2 ? "x" : "y", "t", props, props, 0, INF) != LLMSPELL_OK)
            note(&c->prob, "round %d: %s", i, llmspell_graph_errmsg(c->g));
        if (i == 300) c->live_early = (long)TLOAD(&c->mem->live);
    }
    c->live_late = (long)TLOAD(&c->mem->live);
}

/* A thread that read once and went idle holds back only what existed when it read: while
   another thread churns, memory stays flat. */
static void test_idle_reader_bounded(void) {
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_graph g;
    llmspell_graph_entity e;
    counted mem;
    churner c;
    tthread th;
    memset(&mem, 0, sizeof mem);
    memset(&o, 0, sizeof o);
    o.allocator.alloc = c_alloc;
    o.allocator.realloc = c_realloc;
    o.allocator.free = c_free;
    o.allocator.ctx = &mem;
    REQUIRE_RC(llmspell_kv_open_memory(&kv, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_open(&g, &kv, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g, "x", "t", "x", "{\"round\":-1}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_put_entity(&g, "y", "t", "y", "{\"round\":-2}", 0, INF), LLMSPELL_OK);
    REQUIRE_RC(llmspell_graph_get_entity(&g, "x", NOW, NOW, &e), LLMSPELL_OK); /* then idle */
    memset(&c, 0, sizeof c);
    c.g = &g;
    c.mem = &mem;
    REQUIRE(tstart(&th, churn, &c) == 0, "thread");
    tjoin(&th);
    CHECK(!c.prob.text[0], "churn: %s", c.prob.text);
    if (!TSTART_RUNS) /* (one thread: the churn's calls were this thread's own) */
        CHECK(strcmp(e.properties, "{\"round\":-1}") == 0 && strcmp(e.id, "x") == 0, "the idle reader's answer: %s", e.properties);
    CHECK(c.live_late - c.live_early < 16384, "memory grew by %ld bytes over 1200 rounds behind an idle reader",
          c.live_late - c.live_early);
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
    CHECK(TLOAD(&mem.live) == 0, "%ld bytes left after close", (long)TLOAD(&mem.live));
}

int main(void) {
    size_t i;
    if (!compat_make_tmpdir(dir, sizeof dir, "llmspell-graph-threads-")) {
        fprintf(stderr, "cannot make a scratch directory\n");
        return 1;
    }
    RUN(test_same_answers);
    for (i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        char name[64];
        snprintf(name, sizeof name, "rings_%s", backends[i].name);
        RUN_ARG(name, rings_test, &backends[i]);
        snprintf(name, sizeof name, "turns_%s", backends[i].name);
        RUN_ARG(name, turns_test, &backends[i]);
        snprintf(name, sizeof name, "mixed_%s", backends[i].name);
        RUN_ARG(name, mixed_test, &backends[i]);
    }
    RUN(test_reads_beside_txn);
    RUN(test_txn_ended_on_kv);
    RUN(test_errmsg_per_thread);
    RUN(test_strings_stay);
    RUN(test_idle_reader_bounded);
    compat_remove_tree(dir);
    return harness_exit();
}
