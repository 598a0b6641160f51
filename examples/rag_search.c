/* cc -std=c99 -O2 -I. examples/rag_search.c -o rag_search -lm && ./rag_search
   Retrieval for RAG: 100,000 GloVe word vectors from ../shared/data/glove100k (generated
   vectors when the data is absent) go into a cosine collection with metadata; a query then
   asks for the 5 nearest neighbours among the 10,000 most frequent words only (a metadata
   filter), and the answer is checked against an exact scan. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_vec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t); /* POSIX: llmspell_kv.h asked for it */
    return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* texmex .fvecs: each row is an int32 dimension then that many float32 */
static float *load_fvecs(const char *path, int *n, int *dim) {
    FILE *f = fopen(path, "rb");
    float *x;
    long size;
    int i;
    if (!f) return NULL;
    if (fread(dim, 4, 1, f) != 1 || *dim <= 0) { fclose(f); return NULL; }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    *n = (int)(size / (4 + 4L * *dim));
    x = (float *)malloc((size_t)*n * (size_t)*dim * sizeof *x);
    for (i = 0; x && i < *n; i++) {
        int d;
        if (fread(&d, 4, 1, f) != 1 || d != *dim || fread(x + (size_t)i * *dim, 4, (size_t)d, f) != (size_t)d) {
            free(x);
            x = NULL;
        }
    }
    fclose(f);
    return x;
}

static float *generate(int n, int dim) {
    float *x = (float *)malloc((size_t)n * dim * sizeof *x);
    unsigned s = 12345;
    size_t i;
    for (i = 0; x && i < (size_t)n * dim; i++) {
        s = s * 1103515245u + 12345u;
        x[i] = (float)((s >> 9) & 0xFFFF) / 65536.0f - 0.5f;
    }
    return x;
}

int main(void) {
    int n = 0, dim = 0, i, qn = 0, qdim = 0;
    float *base = load_fvecs("../shared/data/glove100k/glove100k_base.fvecs", &n, &dim);
    float *queries = load_fvecs("../shared/data/glove100k/glove100k_query.fvecs", &qn, &qdim);
    const char *source = "glove100k";
    llmspell_vec *words;
    llmspell_vec_record batch[1000];
    char ids[1000][16], meta[1000][64];
    llmspell_vec_hit fast[5], exact[5];
    llmspell_vec_query q;
    llmspell_vec_filter frequent;
    llmspell_vec_info info;
    size_t nfast, nexact, k;
    double t0, t_build, t_fast, t_exact;

    if (!base || !queries || qdim != dim) {
        free(base);
        free(queries);
        source = "generated";
        n = 20000;
        dim = qdim = 100;
        qn = 1;
        base = generate(n, dim);
        queries = generate(1, dim);
        if (!base || !queries) return 1;
    }
    if (llmspell_vec_open(&words, NULL, "words", NULL, NULL) != LLMSPELL_OK) return 1; /* in memory, cosine */
    t0 = seconds();
    for (i = 0; i < n; i += 1000) {
        int j, m = n - i < 1000 ? n - i : 1000;
        memset(batch, 0, sizeof batch);
        for (j = 0; j < m; j++) {
            snprintf(ids[j], sizeof ids[j], "w%d", i + j);
            snprintf(meta[j], sizeof meta[j], "{\"rank\":%d,\"source\":\"%s\"}", i + j, source);
            batch[j].id = ids[j];
            batch[j].embedding = base + (size_t)(i + j) * dim;
            batch[j].dim = (uint32_t)dim;
            batch[j].metadata = meta[j];
        }
        if (llmspell_vec_add_batch(words, batch, (size_t)m) != LLMSPELL_OK) {
            fprintf(stderr, "rag_search: %s\n", llmspell_vec_errmsg(words));
            return 1;
        }
    }
    t_build = seconds() - t0;
    llmspell_vec_info_get(words, &info);
    printf("indexed %llu %s vectors of dimension %d in %.1f s (kernel %s)\n", (unsigned long long)info.count, source, dim,
           t_build, info.kernel);

    memset(&frequent, 0, sizeof frequent); /* rank < 10000: the most frequent words */
    frequent.op = LLMSPELL_F_LT;
    frequent.field = "rank";
    frequent.value.type = LLMSPELL_VAL_INT;
    frequent.value.i = 10000;
    memset(&q, 0, sizeof q);
    q.vector = queries;
    q.dim = (uint32_t)dim;
    q.k = 5;
    q.ef = 100;
    q.filter = &frequent;
    t0 = seconds();
    if (llmspell_vec_search(words, &q, fast, &nfast) != LLMSPELL_OK) return 1;
    t_fast = seconds() - t0;
    t0 = seconds();
    if (llmspell_vec_search_exact(words, &q, exact, &nexact) != LLMSPELL_OK) return 1;
    t_exact = seconds() - t0;
    printf("5 nearest among the 10,000 most frequent words (search %.3f ms, exact scan %.3f ms):\n", t_fast * 1e3, t_exact * 1e3);
    for (k = 0; k < nfast; k++)
        printf("  %-8s cosine %.4f  %.*s%s\n", fast[k].id, fast[k].score, (int)fast[k].metadata_len, fast[k].metadata,
               k < nexact && strcmp(fast[k].id, exact[k].id) == 0 ? "" : "   (exact scan differs here)");
    llmspell_vec_close(words);
    free(base);
    free(queries);
    return nfast == 5 ? 0 : 1;
}
