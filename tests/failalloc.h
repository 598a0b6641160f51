/* failalloc.h - an allocator for tests that fails exactly the fail_at-th allocation (1-based,
   0: never) and counts live blocks; failalloc_use points an allocator struct at one.
   Include it after compat.h. */
#ifndef TESTS_FAILALLOC_H
#define TESTS_FAILALLOC_H
#include <stdlib.h>

typedef struct counting_alloc { long calls, fail_at, live; int injected; } counting_alloc;

static void *ca_alloc(void *ctx, size_t n) {
    counting_alloc *c = (counting_alloc *)ctx;
    void *p;
    if (++c->calls == c->fail_at) { c->injected = 1; return NULL; }
    p = malloc(n ? n : 1);
    if (p) c->live++;
    return p;
}

static void *ca_realloc(void *ctx, void *ptr, size_t n) {
    counting_alloc *c = (counting_alloc *)ctx;
    if (!ptr) return ca_alloc(ctx, n);
    if (++c->calls == c->fail_at) { c->injected = 1; return NULL; }
    return realloc(ptr, n ? n : 1);
}

static void ca_free(void *ctx, void *ptr) {
    counting_alloc *c = (counting_alloc *)ctx;
    if (!ptr) return;
    c->live--;
    free(ptr);
}

static COMPAT_UNUSED void failalloc_use(llmspell_allocator *a, counting_alloc *c) {
    memset(c, 0, sizeof *c);
    a->alloc = ca_alloc;
    a->realloc = ca_realloc;
    a->free = ca_free;
    a->ctx = c;
}
#endif
