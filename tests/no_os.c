/* no_os.c - the family on a microcontroller with no operating system (LLMSPELL_NO_OS): the
   memory backend, a tenant view, a vector collection, a bi-temporal graph and an export into a
   RAM buffer, on a tick clock. tests/platforms.sh links it for a Cortex-M4 with newlib:
       arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -std=c99 -Os \
           -I. tests/no_os.c -o no_os.elf --specs=nosys.specs -lm
   It also builds and runs on a host (cc -std=c99 -I. tests/no_os.c -lm && ./a.out), which is
   how its answers are checked. */
#define LLMSPELL_NO_OS
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_vec.h"
#include "llmspell_graph.h"
#include "llmspell_export.h"
#include <string.h>

static volatile uint32_t ticks_ms = 1000; /* a SysTick handler would advance this */
static llmspell_time board_clock(void *ctx) {
    (void)ctx;
    return (llmspell_time)1704067200000000LL + (llmspell_time)ticks_ms * 1000;
}

static char out[8192]; /* the export goes to RAM (a real board would stream it to flash) */
static size_t out_len;
static llmspell_result to_ram(void *user, const void *data, size_t n) {
    (void)user;
    if (n > sizeof out - out_len) return LLMSPELL_ERR_TOO_LARGE;
    memcpy(out + out_len, data, n);
    out_len += n;
    return LLMSPELL_OK;
}

static int holds(const char *s, size_t n, const char *what) {
    size_t i, k = strlen(what);
    for (i = 0; i + k <= n; i++)
        if (memcmp(s + i, what, k) == 0) return 1;
    return 0;
}

int main(void) {
    llmspell_kv kv, dev;
    llmspell_vec *v;
    llmspell_vec_options vo;
    llmspell_graph g;
    llmspell_graph_options go;
    llmspell_json_writer *w;
    llmspell_json_writer_options wo;
    llmspell_export_options eo;
    llmspell_vec_hit hits[2];
    llmspell_vec_query q;
    llmspell_vec_record rec;
    float a[4] = {1, 0, 0, 0}, b[4] = {0, 1, 0, 0};
    size_t n = 0;
    int bad = 0;
    if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK) return 1;
    if (llmspell_kv_open_tenant(&dev, &kv, "sensor-7", 8) != LLMSPELL_OK) return 2;
    bad |= llmspell_kv_put(&dev, "calib", 5, "1.25", 4) != LLMSPELL_OK;

    memset(&vo, 0, sizeof vo);
    vo.clock.now = board_clock;
    bad |= llmspell_vec_create(&dev, "events", NULL, NULL) != LLMSPELL_OK;
    if (llmspell_vec_open(&v, &dev, "events", NULL, &vo) != LLMSPELL_OK) return 3;
    memset(&rec, 0, sizeof rec);
    rec.id = "spike", rec.embedding = a, rec.dim = 4, rec.metadata = "{\"level\":3}";
    bad |= llmspell_vec_add(v, &rec) != LLMSPELL_OK;
    rec.id = "drift", rec.embedding = b;
    bad |= llmspell_vec_add(v, &rec) != LLMSPELL_OK;
    memset(&q, 0, sizeof q);
    q.vector = a, q.dim = 4, q.k = 2;
    bad |= llmspell_vec_search(v, &q, hits, &n) != LLMSPELL_OK || n != 2 || strcmp(hits[0].id, "spike") != 0;
    llmspell_vec_close(v);

    memset(&go, 0, sizeof go);
    go.clock.now = board_clock;
    if (llmspell_graph_open(&g, &dev, &go) != LLMSPELL_OK) return 4;
    bad |= llmspell_graph_put_entity(&g, "pump", "device", "Pump", "{\"rpm\":1200}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX) != LLMSPELL_OK;
    ticks_ms += 500;
    bad |= llmspell_graph_put_entity(&g, "pump", "device", "Pump", "{\"rpm\":1500}", LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX) != LLMSPELL_OK;
    llmspell_graph_close(&g);

    memset(&wo, 0, sizeof wo);
    memset(&eo, 0, sizeof eo);
    eo.clock.now = board_clock;
    wo.buffer_size = 256; /* RAM is scarce: stage little */
    if (llmspell_json_writer_open_sink(&w, to_ram, NULL, &wo) != LLMSPELL_OK) return 5;
    bad |= llmspell_export_store(&kv, w, &eo, NULL, NULL) != LLMSPELL_OK;
    bad |= llmspell_json_writer_finish(w) != LLMSPELL_OK;
    llmspell_json_writer_free(w);
    bad |= !holds(out, out_len, "\"rpm\":1500") || !holds(out, out_len, "\"calib\"") || !holds(out, out_len, "\"spike\"");
    llmspell_kv_close(&dev);
    llmspell_kv_close(&kv);
    return bad ? 10 : 0;
}
