/* kv_no_threads.c - llmspell_kv built with LLMSPELL_NO_THREADS, for bench_kv_threads.c: the
   same store code without the sync layer, as the "before" of the single-thread lines. Every
   function is static (LLMSPELL_STATIC), so this copy lives beside the threaded one. */
#define LLMSPELL_STATIC
#define LLMSPELL_NO_THREADS
#define LLMSPELL_KV_IMPLEMENTATION
#include "../llmspell_kv.h"

#include "kv_threads_bench.h"

int nothreads_open_memory(llmspell_kv *kv) { return llmspell_kv_open_memory(kv, NULL) != LLMSPELL_OK; }

int nothreads_put(llmspell_kv *kv, const void *k, size_t kn, const void *v, size_t vn) {
    return llmspell_kv_put(kv, k, kn, v, vn) != LLMSPELL_OK;
}

int nothreads_get(llmspell_kv *kv, const void *k, size_t kn, const void **v, size_t *vn) {
    return llmspell_kv_get(kv, k, kn, v, vn) != LLMSPELL_OK;
}

int nothreads_begin(llmspell_kv *kv) { return llmspell_kv_begin(kv) != LLMSPELL_OK; }

int nothreads_commit(llmspell_kv *kv) { return llmspell_kv_commit(kv) != LLMSPELL_OK; }

void nothreads_close(llmspell_kv *kv) { llmspell_kv_close(kv); }
