/* cc -std=c99 -O2 -I. examples/fixed_allocator.c -o fixed_allocator -lm && ./fixed_allocator
   Game-style memory discipline: a spatial index of the world's entities (an in-memory vector
   collection) and a key-value store for game state draw from one fixed 4 MiB arena through an
   allocator with a context pointer: no malloc at all. When the arena is full the calls say
   LLMSPELL_ERR_NOMEM, change nothing, and everything keeps working. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_vec.h"
#include <stdio.h>
#include <string.h>

/* A first-fit arena: each block has a header with its size; freed blocks go to a list. */
typedef struct block { size_t size; struct block *next; } block;
typedef struct arena { unsigned char *base; size_t size, used, live; block *free; } arena;

#define ALIGN 16
#define HDR ((sizeof(block) + ALIGN - 1) / ALIGN * ALIGN)

static void *arena_alloc(void *ctx, size_t n) {
    arena *a = (arena *)ctx;
    block **p, *b;
    n = (n + ALIGN - 1) / ALIGN * ALIGN;
    for (p = &a->free; *p; p = &(*p)->next) /* reuse a freed block that fits */
        if ((*p)->size >= n) {
            b = *p;
            *p = b->next;
            a->live += b->size;
            return (unsigned char *)b + HDR;
        }
    if (a->used + HDR + n > a->size) return NULL; /* full: the library reports ERR_NOMEM */
    b = (block *)(a->base + a->used);
    b->size = n;
    a->used += HDR + n;
    a->live += n;
    return (unsigned char *)b + HDR;
}

static void arena_free(void *ctx, void *ptr) {
    arena *a = (arena *)ctx;
    block *b;
    if (!ptr) return;
    b = (block *)((unsigned char *)ptr - HDR);
    a->live -= b->size;
    b->next = a->free;
    a->free = b;
}

static void *arena_realloc(void *ctx, void *ptr, size_t n) {
    void *q;
    if (ptr && ((block *)((unsigned char *)ptr - HDR))->size >= n) return ptr;
    q = arena_alloc(ctx, n);
    if (q && ptr) {
        memcpy(q, ptr, ((block *)((unsigned char *)ptr - HDR))->size);
        arena_free(ctx, ptr);
    }
    return q;
}

static union { long double align; unsigned char bytes[4u << 20]; } memory; /* aligned for any type */

int main(void) {
    arena a = {memory.bytes, sizeof memory.bytes, 0, 0, NULL};
    llmspell_kv_options o;
    llmspell_vec_options vo;
    llmspell_kv kv;
    llmspell_vec *world;
    llmspell_vec_record r;
    llmspell_vec_hit hit;
    llmspell_vec_query q;
    float pos[3];
    char id[32];
    size_t n;
    int i;
    llmspell_result rc = LLMSPELL_OK;

    memset(&o, 0, sizeof o);
    o.allocator.alloc = arena_alloc;
    o.allocator.realloc = arena_realloc;
    o.allocator.free = arena_free;
    o.allocator.ctx = &a;
    if (llmspell_kv_open_memory(&kv, &o) != LLMSPELL_OK) return 1; /* game state */
    memset(&vo, 0, sizeof vo);
    vo.allocator = o.allocator;
    if (llmspell_vec_open(&world, NULL, "entities", NULL, &vo) != LLMSPELL_OK) return 1; /* kv NULL: in memory */
    if (llmspell_kv_put(&kv, "level", 5, "dungeon-3", 9) != LLMSPELL_OK) return 1;
    for (i = 0; rc == LLMSPELL_OK; i++) { /* spawn entities until the arena is full */
        snprintf(id, sizeof id, "npc-%d", i);
        pos[0] = (float)(i % 97);
        pos[1] = (float)(i % 89);
        pos[2] = 1.0f + (float)(i % 7);
        memset(&r, 0, sizeof r);
        r.id = id;
        r.embedding = pos;
        r.dim = 3;
        r.metadata = "{\"kind\":\"npc\"}";
        rc = llmspell_vec_add(world, &r);
    }
    printf("spawned %d entities in a 4 MiB arena, then: %s\n", i - 1, llmspell_strerror(rc));
    printf("  (%s)\n", llmspell_vec_errmsg(world));
    memset(&q, 0, sizeof q); /* the world still answers */
    pos[0] = 10;
    pos[1] = 10;
    pos[2] = 4;
    q.vector = pos;
    q.dim = 3;
    q.k = 1;
    if (llmspell_vec_search(world, &q, &hit, &n) != LLMSPELL_OK || n != 1) {
        printf("search after the arena filled up: %s\n", llmspell_vec_errmsg(world));
    } else {
        printf("the world still answers: nearest to (10,10,4) is %s\n", hit.id);
    }
    if (llmspell_vec_delete(world, "npc-0") == LLMSPELL_OK) printf("and still takes writes: npc-0 deleted\n");
    {
        const void *v;
        size_t vn;
        if (llmspell_kv_get(&kv, "level", 5, &v, &vn) == LLMSPELL_OK) printf("game state intact: level = %.*s\n", (int)vn, (const char *)v);
    }
    llmspell_vec_close(world);
    llmspell_kv_close(&kv);
    printf("after close: %zu bytes still allocated from the arena\n", a.live);
    return a.live == 0 ? 0 : 1;
}
