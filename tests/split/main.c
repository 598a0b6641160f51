/* tests/split/main.c - options that shape stored bytes cannot make a store unreadable elsewhere
   in the same program. impl_kv_vec.c builds kv and vec with LLMSPELL_KV_MAX_KEY 8192 and
   LLMSPELL_VEC_MAX_ID 1024; impl_export_graph.c builds export with the defaults (4096, 512).
   A 6000-byte kv key and a 700-byte vector id written through the first must export and
   import (into a second store) through the second, and come back as the same export.
   cc -std=c99 -I. tests/split/main.c tests/split/impl_kv_vec.c tests/split/impl_export_graph.c -lm */
#include "llmspell_kv.h"
#include "llmspell_vec.h"
#include "llmspell_export.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *export_of(llmspell_kv *kv, size_t *n) {
    llmspell_json_writer *w;
    llmspell_json_error err;
    llmspell_export_options eo;
    char *out = NULL;
    const char *d;
    memset(&eo, 0, sizeof eo);
    eo.clock.now = NULL;
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) return NULL;
    if (llmspell_export_store(kv, w, &eo, NULL, &err) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK) {
        d = strstr(llmspell_json_writer_data(w, n), "\"data\""); /* exported_at differs between calls */
        if (d && (out = (char *)malloc(strlen(d) + 1)) != NULL) strcpy(out, d);
    } else {
        printf("FAIL split_export: %s\n", err.message);
    }
    llmspell_json_writer_free(w);
    return out;
}

int main(void) {
    static char key[6001], id[701];
    llmspell_kv a, b;
    llmspell_vec *v;
    llmspell_vec_record r;
    llmspell_json_error err;
    float e[3] = {1, 2, 3};
    char *ea, *eb;
    size_t n;
    int fails = 0;
    memset(key, 'k', 6000);
    memset(id, 'i', 700);
    if (llmspell_kv_open_memory(&a, NULL) != LLMSPELL_OK || llmspell_kv_put(&a, key, 6000, "v", 1) != LLMSPELL_OK ||
        llmspell_vec_create(&a, "c", NULL, NULL) != LLMSPELL_OK || llmspell_vec_open(&v, &a, "c", NULL, NULL) != LLMSPELL_OK) {
        printf("FAIL split_write: %s\n", llmspell_kv_errmsg(&a));
        return 1;
    }
    memset(&r, 0, sizeof r);
    r.id = id;
    r.embedding = e;
    r.dim = 3;
    r.metadata = "{\"n\": 1}";
    if (llmspell_vec_add(v, &r) != LLMSPELL_OK) {
        printf("FAIL split_write: %s\n", llmspell_vec_errmsg(v));
        return 1;
    }
    llmspell_vec_close(v);
    llmspell_kv_open_memory(&b, NULL);
    {
        llmspell_json_writer *w;
        const char *d;
        llmspell_json_writer_open_buffer(&w, NULL);
        llmspell_export_store(&a, w, NULL, NULL, &err);
        llmspell_json_writer_finish(w);
        d = llmspell_json_writer_data(w, &n);
        if (llmspell_export_import_buffer(&b, d, n, NULL, NULL, &err) != LLMSPELL_OK) {
            printf("FAIL split_import: %s\n", err.message);
            fails++;
        } else {
            printf("PASS split_import: a 6000-byte key and a 700-byte id, written under larger limits, import where export has the defaults\n");
        }
        llmspell_json_writer_free(w);
    }
    ea = export_of(&a, &n);
    eb = export_of(&b, &n);
    if (ea && eb && strcmp(ea, eb) == 0) printf("PASS split_roundtrip: the copy exports the same data\n");
    else { printf("FAIL split_roundtrip: the copy exports other data\n"); fails++; }
    free(ea);
    free(eb);
    llmspell_kv_close(&a);
    llmspell_kv_close(&b);
    return fails != 0;
}
