/* fuzz_import.c - import of arbitrary bytes as an llmspell v1.0 export into a store that already
   holds data: it must succeed or fail with a code and a position, never crash, and a failed
   import must leave the store exactly as it was (its full export before and after compared).
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_import.c -o build/fuzz_import -lm */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dump(llmspell_kv *kv, size_t *n) {
    llmspell_json_writer *w;
    llmspell_json_error err;
    llmspell_export_options eo;
    char *copy = NULL;
    memset(&eo, 0, sizeof eo);
    eo.clock.now = NULL;
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) abort();
    if (llmspell_export_store(kv, w, &eo, NULL, &err) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK) {
        const char *t = llmspell_json_writer_data(w, n);
        const char *d = strstr(t, "\"data\""); /* exported_at differs between calls: compare from data on */
        if (d) {
            *n -= (size_t)(d - t);
            copy = (char *)malloc(*n + 1);
            memcpy(copy, d, *n + 1);
        }
    }
    llmspell_json_writer_free(w);
    if (!copy) abort();
    return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmspell_kv kv;
    llmspell_export_stats st;
    llmspell_json_error err;
    llmspell_result r;
    char *before, *after;
    size_t nb, na;
    if (llmspell_kv_open_memory(&kv, NULL) != LLMSPELL_OK) abort();
    if (llmspell_kv_put(&kv, "existing", 8, "value", 5) != LLMSPELL_OK) abort();
    before = dump(&kv, &nb);
    r = llmspell_export_import_buffer(&kv, data, size, NULL, &st, &err);
    if (r != LLMSPELL_OK) {
        after = dump(&kv, &na);
        if (na != nb || memcmp(before, after, nb) != 0) {
            fprintf(stderr, "fuzz_import: a failed import (%s) changed the store\n", llmspell_strerror(r));
            abort();
        }
        free(after);
    }
    free(before);
    llmspell_kv_close(&kv);
    return 0;
}
