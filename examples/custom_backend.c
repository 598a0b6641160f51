/* cc -std=c99 -O2 -I. examples/custom_backend.c -o custom_backend -lm && ./custom_backend
   A backend of your own under the whole family: fill in struct llmspell_kv (here a sorted
   array in memory; a game's save system, LMDB or a network store would do the same) and the
   vector collections and the knowledge graph run on it unchanged. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_graph.h"
#include "llmspell_vec.h"
#include <stdio.h>
#include <string.h>

/* >>the backend: a sorted array of (key, value) pairs. Transactions keep a copy to restore. */
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



int main(void) {
    llmspell_kv store;
    llmspell_vec *notes;
    llmspell_graph g;
    llmspell_graph_entity e;
    llmspell_vec_hit hits[2];
    llmspell_vec_query q;
    llmspell_kv_stats st;
    size_t n, i;
    static const float emb[3][4] = {{1, 0, 0, 0}, {0.9f, 0.1f, 0, 0}, {0, 0, 1, 0}};
    static const char *const ids[3] = {"sword", "dagger", "shield"};

    if (ua_open(&store, NULL) != LLMSPELL_OK) return 1;
    if (llmspell_vec_create(&store, "items", NULL, NULL) != LLMSPELL_OK || llmspell_vec_open(&notes, &store, "items", NULL, NULL) != LLMSPELL_OK) {
        fprintf(stderr, "custom_backend: %s\n", llmspell_kv_errmsg(&store));
        return 1;
    }
    for (i = 0; i < 3; i++) {
        llmspell_vec_record r;
        memset(&r, 0, sizeof r);
        r.id = ids[i];
        r.embedding = emb[i];
        r.dim = 4;
        if (llmspell_vec_add(notes, &r) != LLMSPELL_OK) return 1;
    }
    memset(&q, 0, sizeof q);
    q.vector = emb[0];
    q.dim = 4;
    q.k = 2;
    if (llmspell_vec_search(notes, &q, hits, &n) != LLMSPELL_OK) return 1;
    printf("vectors on the custom store: nearest to 'sword' are %s (%.3f) and %s (%.3f)\n", hits[0].id, hits[0].score, hits[1].id,
           hits[1].score);
    llmspell_vec_close(notes);

    if (llmspell_graph_open(&g, &store, NULL) != LLMSPELL_OK) return 1;
    if (llmspell_graph_put_entity(&g, "hero", "character", "Hero", "{\"hp\":30}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX) != LLMSPELL_OK ||
        llmspell_graph_get_entity(&g, "hero", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &e) != LLMSPELL_OK) {
        fprintf(stderr, "custom_backend: %s\n", llmspell_graph_errmsg(&g));
        return 1;
    }
    printf("graph on the custom store: %s is a %s with %s\n", e.name, e.type, e.properties);
    llmspell_graph_close(&g);
    llmspell_kv_stats_get(&store, &st);
    printf("the custom store holds %llu keys (%llu bytes), all in the 0xFF system namespace\n", (unsigned long long)st.keys,
           (unsigned long long)st.bytes);
    llmspell_kv_close(&store);
    return 0;
}
