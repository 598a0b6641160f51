/* graph_threads_bench.h - what bench/graph_no_threads.c gives bench_graph.c: a graph built
   without the sync layer, behind an opaque handle (the two builds share no struct). */
#ifndef GRAPH_THREADS_BENCH_H
#define GRAPH_THREADS_BENCH_H
void *ntg_open(llmspell_time (*now)(void *ctx), void *ctx);
int ntg_begin(void *h);
int ntg_commit(void *h);
int ntg_put_entity(void *h, const char *id, const char *type, const char *name, const char *props, llmspell_time vf,
                   llmspell_time vt);
int ntg_get_entity(void *h, const char *id, llmspell_time v, llmspell_time t);
void ntg_close(void *h);
#endif
