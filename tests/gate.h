/* gate.h - a reusable barrier for the thread tests, on the family's sync layer (include it
   after the file that implements llmspell_kv.h). */
#ifndef TESTS_GATE_H
#define TESTS_GATE_H
/* A barrier so that threads overlap: each wait returns when all have arrived; reusable. */
typedef struct gate {
    llmspell__mutex m;
    llmspell__cond c;
    int arrived, total, round;
} gate;

static void gate_init(gate *g, int total) {
    llmspell__mutex_init(&g->m);
    llmspell__cond_init(&g->c);
    g->arrived = 0;
    g->total = total;
    g->round = 0;
}
static void gate_wait(gate *g) {
    int round;
    llmspell__mutex_lock(&g->m);
    round = g->round;
    if (++g->arrived == g->total) {
        g->arrived = 0;
        g->round++;
        llmspell__cond_broadcast(&g->c);
    }
    while (g->round == round) llmspell__cond_wait(&g->c, &g->m);
    llmspell__mutex_unlock(&g->m);
}
static void gate_free(gate *g) {
    llmspell__cond_destroy(&g->c);
    llmspell__mutex_destroy(&g->m);
}
#endif
