/* fuzz_roundtrip.c - the differential target of "one owner, one JSON dialect": whatever vec
   accepts as metadata and graph accepts as properties must come back from export + import as
   the same stored bytes and the same answers. The input is split at its first NUL (or in the
   middle): the first part is a record's metadata, the second an entity's properties.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_roundtrip.c -o build/fuzz_roundtrip -lm */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static llmspell_time fixed_now(void *ctx) { return *(const llmspell_time *)ctx; }

/* The bytes of every key and value under prefix, concatenated with their lengths (malloc'd). */
static char *records(llmspell_kv *kv, const void *prefix, size_t pn, size_t *len) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn, n = 0, cap = 256;
    char *out = (char *)malloc(cap);
    if (!out || llmspell_kv_iter_open(kv, prefix, pn, &it) != LLMSPELL_OK) abort();
    while (llmspell_kv_iter_next(it, &k, &kn, &v, &vn) == LLMSPELL_OK) {
        while (n + kn + vn + 2 * sizeof(size_t) > cap) {
            cap *= 2;
            if (!(out = (char *)realloc(out, cap))) abort();
        }
        memcpy(out + n, &kn, sizeof kn); n += sizeof kn;
        memcpy(out + n, k, kn); n += kn;
        memcpy(out + n, &vn, sizeof vn); n += sizeof vn;
        memcpy(out + n, v, vn); n += vn;
    }
    llmspell_kv_iter_close(it);
    *len = n;
    return out;
}

static void same_records(llmspell_kv *a, llmspell_kv *b, const void *prefix, size_t pn) {
    size_t na, nb;
    char *ra = records(a, prefix, pn, &na), *rb = records(b, prefix, pn, &nb);
    if (na != nb || memcmp(ra, rb, na) != 0) {
        fprintf(stderr, "stored records differ after export + import\n");
        abort();
    }
    free(ra);
    free(rb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t VR[3] = {0xFF, 'V', 'r'}, GE[3] = {0xFF, 'G', 'E'};
    const uint8_t *nul = (const uint8_t *)memchr(data, 0, size);
    size_t mlen = nul ? (size_t)(nul - data) : size / 2, plen = size - mlen - (nul ? 1 : 0);
    char *meta = (char *)malloc(mlen + 1), *props = (char *)malloc(plen + 1);
    llmspell_time now = 1700000000000000ll;
    llmspell_kv a, b;
    llmspell_vec *va, *vb;
    llmspell_graph ga, gb;
    llmspell_graph_options go;
    llmspell_vec_record rec, ra, rb;
    llmspell_graph_entity ea, eb;
    llmspell_json_writer *w;
    llmspell_json_error err;
    float emb[2] = {1, 2};
    int vec_ok, graph_ok;
    const char *text;
    size_t tn;
    if (!meta || !props) abort();
    memcpy(meta, data, mlen);
    meta[mlen] = 0;
    memcpy(props, data + size - plen, plen);
    props[plen] = 0;
    memset(&go, 0, sizeof go);
    go.clock.now = fixed_now;
    go.clock.ctx = &now;
    if (llmspell_kv_open_memory(&a, NULL) != LLMSPELL_OK || llmspell_vec_create(&a, "c", NULL, NULL) != LLMSPELL_OK ||
        llmspell_vec_open(&va, &a, "c", NULL, NULL) != LLMSPELL_OK || llmspell_graph_open(&ga, &a, &go) != LLMSPELL_OK)
        abort();
    memset(&rec, 0, sizeof rec);
    rec.id = "r";
    rec.embedding = emb;
    rec.dim = 2;
    rec.metadata = meta;
    rec.metadata_len = mlen ? mlen : 0;
    vec_ok = mlen > 0 && strlen(meta) == mlen && llmspell_vec_add(va, &rec) == LLMSPELL_OK;
    graph_ok = strlen(props) == plen &&
               llmspell_graph_put_entity(&ga, "e", "t", "n", props, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX) == LLMSPELL_OK;
    /* export a, import into b: must always work for what a accepted */
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) abort();
    if (llmspell_export_store(&a, w, NULL, NULL, &err) != LLMSPELL_OK || llmspell_json_writer_finish(w) != LLMSPELL_OK) {
        fprintf(stderr, "export of accepted data failed: %s\n", err.message);
        abort();
    }
    text = llmspell_json_writer_data(w, &tn);
    if (llmspell_kv_open_memory(&b, NULL) != LLMSPELL_OK) abort();
    if (llmspell_export_import_buffer(&b, text, tn, NULL, NULL, &err) != LLMSPELL_OK) {
        fprintf(stderr, "import of our own export failed: %s\n", err.message);
        abort();
    }
    llmspell_json_writer_free(w);
    same_records(&a, &b, VR, 3);
    same_records(&a, &b, GE, 3);
    if (llmspell_vec_open(&vb, &b, "c", NULL, NULL) != LLMSPELL_OK || llmspell_graph_open(&gb, &b, &go) != LLMSPELL_OK) abort();
    if (vec_ok) {
        if (llmspell_vec_get(va, "r", &ra) != LLMSPELL_OK || llmspell_vec_get(vb, "r", &rb) != LLMSPELL_OK ||
            ra.metadata_len != rb.metadata_len || memcmp(ra.metadata, rb.metadata, ra.metadata_len) != 0)
            abort();
    }
    if (graph_ok) {
        size_t na, nb;
        char *before, *after;
        if (llmspell_graph_get_entity(&ga, "e", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &ea) != LLMSPELL_OK) abort();
        if (llmspell_graph_get_entity(&gb, "e", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &eb) != LLMSPELL_OK) abort();
        if (strcmp(ea.properties, eb.properties) != 0) abort();
        /* rule 7 on the copy: the original text again makes no version */
        now += 10;
        before = records(&b, GE, 3, &na);
        if (llmspell_graph_put_entity(&gb, "e", "t", "n", props, LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX) != LLMSPELL_OK) abort();
        after = records(&b, GE, 3, &nb);
        if (na != nb || memcmp(before, after, na) != 0) {
            fprintf(stderr, "re-putting the same properties on the imported copy made a version\n");
            abort();
        }
        free(before);
        free(after);
    }
    llmspell_graph_close(&gb);
    llmspell_vec_close(vb);
    llmspell_kv_close(&b);
    llmspell_graph_close(&ga);
    llmspell_vec_close(va);
    llmspell_kv_close(&a);
    free(meta);
    free(props);
    return 0;
}
