/* graph_no_threads.c - llmspell_graph (with its kv and export) built with LLMSPELL_NO_THREADS,
   for bench_graph.c: the same graph code without the sync layer, as the "before" of the
   single-thread line. Every function is static (LLMSPELL_STATIC), so this copy lives beside the
   threaded one; bench_graph reaches it only through the functions below. */
#define LLMSPELL_STATIC
#define LLMSPELL_NO_THREADS
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_GRAPH_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "../llmspell_graph.h"

#include "graph_threads_bench.h"

#include <stdlib.h>

typedef struct ntg {
    llmspell_kv kv;
    llmspell_graph g;
} ntg;

void *ntg_open(llmspell_time (*now)(void *ctx), void *ctx) {
    llmspell_graph_options o;
    ntg *h = (ntg *)calloc(1, sizeof *h);
    if (!h) return NULL;
    memset(&o, 0, sizeof o);
    o.clock.now = now;
    o.clock.ctx = ctx;
    if (llmspell_kv_open_memory(&h->kv, NULL) != LLMSPELL_OK || llmspell_graph_open(&h->g, &h->kv, &o) != LLMSPELL_OK) {
        free(h);
        return NULL;
    }
    return h;
}

int ntg_begin(void *h) { return llmspell_graph_begin(&((ntg *)h)->g) != LLMSPELL_OK; }
int ntg_commit(void *h) { return llmspell_graph_commit(&((ntg *)h)->g) != LLMSPELL_OK; }

int ntg_put_entity(void *h, const char *id, const char *type, const char *name, const char *props, llmspell_time vf,
                   llmspell_time vt) {
    return llmspell_graph_put_entity(&((ntg *)h)->g, id, type, name, props, vf, vt) != LLMSPELL_OK;
}

/* 0: found, 1: not found, -1: failed */
int ntg_get_entity(void *h, const char *id, llmspell_time v, llmspell_time t) {
    llmspell_graph_entity e;
    llmspell_result r = llmspell_graph_get_entity(&((ntg *)h)->g, id, v, t, &e);
    return r == LLMSPELL_OK ? 0 : r == LLMSPELL_ERR_NOT_FOUND ? 1 : -1;
}

void ntg_close(void *h) {
    llmspell_graph_close(&((ntg *)h)->g);
    llmspell_kv_close(&((ntg *)h)->kv);
    free(h);
}
