/* cc -std=c99 -O2 -I. examples/agent_memory.c -o agent_memory -lm && ./agent_memory
   Agent memory with the bi-temporal graph: the agent learns that Alice lives in Paris, later
   learns she moved to Berlin, and later still a correction arrives: she had moved a month
   earlier than it was told. Each question can be asked "as the world was" (valid time) and
   "as the agent knew it" (transaction time). The clock is injected so the story is repeatable. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_graph.h"
#include <stdio.h>
#include <string.h>

#define DAY (86400LL * 1000000LL) /* llmspell_time is in microseconds */

static llmspell_time clock_now; /* the agent's clock, moved by the story */
static llmspell_time story_clock(void *ctx) { (void)ctx; return clock_now; }

static void ask(llmspell_graph *g, const char *question, llmspell_time valid, llmspell_time known) {
    llmspell_graph_entity e;
    if (llmspell_graph_get_entity(g, "alice", valid, known, &e) == LLMSPELL_OK)
        printf("  %-58s %s\n", question, e.properties);
    else
        printf("  %-58s (nothing known)\n", question);
}

/* "inf" for an open end, else the day number */
static void day_or_end(char *out, size_t n, llmspell_time t, llmspell_time origin) {
    if (t == LLMSPELL_TIME_MAX) snprintf(out, n, "inf");
    else snprintf(out, n, "%lld", (long long)((t - origin) / DAY));
}

int main(void) {
    llmspell_kv kv;
    llmspell_graph g;
    llmspell_graph_options opts;
    llmspell_graph_rows rows;
    llmspell_time jan1 = 1704067200LL * 1000000LL;
    size_t i;

    memset(&opts, 0, sizeof opts);
    opts.clock.now = story_clock;
    if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK || llmspell_graph_open(&g, &kv, &opts) != LLMSPELL_OK) return 1;

    /* day 0: "Alice lives in Paris" (true since January 1st) */
    clock_now = jan1 + 10 * DAY;
    if (llmspell_graph_put_entity(&g, "alice", "person", "Alice", "{\"city\":\"Paris\"}", jan1, LLMSPELL_TIME_MAX)) goto fail;
    /* day 70: "Alice has moved to Berlin, as of March 1st" */
    clock_now = jan1 + 70 * DAY;
    if (llmspell_graph_put_entity(&g, "alice", "person", "Alice", "{\"city\":\"Berlin\"}", jan1 + 60 * DAY, LLMSPELL_TIME_MAX))
        goto fail;
    /* day 100: a correction: she moved on February 1st, not March 1st */
    clock_now = jan1 + 100 * DAY;
    if (llmspell_graph_put_entity(&g, "alice", "person", "Alice", "{\"city\":\"Berlin\"}", jan1 + 31 * DAY, jan1 + 60 * DAY))
        goto fail;

    printf("Where did Alice live on February 15th?\n");
    ask(&g, "as the agent knew it on day 50 (before the move was told)", jan1 + 45 * DAY, jan1 + 50 * DAY);
    ask(&g, "as the agent knew it on day 80 (move told, no correction)", jan1 + 45 * DAY, jan1 + 80 * DAY);
    ask(&g, "as the agent knows it now (after the correction)", jan1 + 45 * DAY, LLMSPELL_GRAPH_NOW);
    printf("Where does Alice live today?\n");
    ask(&g, "current knowledge", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW);

    memset(&rows, 0, sizeof rows);
    if (llmspell_graph_entity_history(&g, "alice", &rows) != LLMSPELL_OK) goto fail;
    printf("Every version of alice, in days since January 1st:\n");
    for (i = 0; i < rows.count; i++) {
        const llmspell_graph_entity *v = &rows.entity[i];
        char vt[16], tt[16];
        day_or_end(vt, sizeof vt, v->valid_to, jan1);
        day_or_end(tt, sizeof tt, v->tx_to, jan1);
        printf("  %-18s valid [%3lld, %-3s)  recorded [%3lld, %-3s)\n", v->properties, (long long)((v->valid_from - jan1) / DAY), vt,
               (long long)((v->tx_from - jan1) / DAY), tt);
    }
    llmspell_graph_rows_free(&rows);
    llmspell_graph_close(&g);
    llmspell_kv_close(&kv);
    return 0;
fail:
    fprintf(stderr, "agent_memory: %s\n", llmspell_graph_errmsg(&g));
    return 1;
}
