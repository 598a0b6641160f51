/* kv_threads_bench.h - the no-threads copy of llmspell_kv that bench_kv_threads.c compares
   against (bench/kv_no_threads.c). 0 is success. */
#ifndef KV_THREADS_BENCH_H
#define KV_THREADS_BENCH_H
int nothreads_open_memory(llmspell_kv *kv);
int nothreads_put(llmspell_kv *kv, const void *k, size_t kn, const void *v, size_t vn);
int nothreads_get(llmspell_kv *kv, const void *k, size_t kn, const void **v, size_t *vn);
int nothreads_begin(llmspell_kv *kv);
int nothreads_commit(llmspell_kv *kv);
void nothreads_close(llmspell_kv *kv);
#endif
