/* bench_export.c - export / import throughput and peak memory of llmspell_export.h stores
   cc -std=c99 -O2 -DNDEBUG -I. bench/bench_export.c -o build/bench_export -lsqlite3 -lm
   build/bench_export [records] [dim] [backend: file|sqlite|memory]     (default 100000 1536 file)
   build/bench_export quick                                             (10000 x 1536)

   1. generate: an export file of N random dim-float vectors with metadata, written with the
      streaming writer (not timed as export)
   2. import end to end (validate pass + apply pass in one transaction) into a fresh store:
      records/s and MB/s of JSON read, peak RSS of that child process
   3. export of that store to a sink that counts bytes: MB/s of JSON written, peak RSS
   Each measured phase runs in its own forked child so getrusage's ru_maxrss is its own peak;
   the RSS of the store opened before the phase is printed too (the file backend keeps an
   in-memory index of its keys; the memory backend keeps everything). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_IMPLEMENTATION
#define LLMSPELL_KV_SQLITE
#include "../llmspell_kv.h"
#include "../llmspell_vec.h"
#include "../llmspell_graph.h"
#include "../llmspell_export.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}
static long rss_kb(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static const char *backend = "file";
static char dbpath[256], jsonpath[256];

static llmspell_result open_store(llmspell_kv *kv, int fresh) {
    llmspell_kv_options o;
    memset(&o, 0, sizeof o);
    o.durability = LLMSPELL_DURABILITY_FAST;
    if (fresh) unlink(dbpath);
    if (strcmp(backend, "memory") == 0) return llmspell_kv_open_memory(kv, &o);
    if (strcmp(backend, "sqlite") == 0) return llmspell_kv_open_sqlite(kv, dbpath, &o);
    return llmspell_kv_open_file(kv, dbpath, &o);
}

static int generate(long n, unsigned dim) {
    FILE *f = fopen(jsonpath, "wb");
    llmspell_json_writer *w;
    float *v = (float *)malloc(dim * sizeof *v);
    uint64_t s = 88172645463325252ull;
    long i;
    unsigned j;
    char id[64], meta[160], ds[16];
    if (!f || !v || llmspell_json_writer_open_file(&w, f, NULL) != LLMSPELL_OK) return 1;
    snprintf(ds, sizeof ds, "%u", dim);
    llmspell_json_object_begin(w);
    llmspell_json_key(w, "version", LLMSPELL_JSON_STRLEN);
    llmspell_json_string(w, "1.0", 3);
    llmspell_json_key(w, "data", LLMSPELL_JSON_STRLEN);
    llmspell_json_object_begin(w);
    llmspell_json_key(w, "vector_embeddings", LLMSPELL_JSON_STRLEN);
    llmspell_json_object_begin(w);
    llmspell_json_key(w, ds, LLMSPELL_JSON_STRLEN);
    llmspell_json_array_begin(w);
    for (i = 0; i < n; i++) {
        for (j = 0; j < dim; j++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            v[j] = (float)((double)(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
        }
        snprintf(id, sizeof id, "%08lx-0000-4000-8000-%012lx", (unsigned long)i, (unsigned long)(i * 2654435761u));
        snprintf(meta, sizeof meta, "{\"source\":\"doc-%ld.md\",\"chunk\":%ld,\"lang\":\"en\",\"tags\":[\"a\",\"b\"],\"score\":%.3f}", i / 10, i % 10,
                 (double)v[0]);
        llmspell_json_object_begin(w);
        llmspell_json_key(w, "id", 2);
        llmspell_json_string(w, id, LLMSPELL_JSON_STRLEN);
        llmspell_json_key(w, "tenant_id", 9);
        llmspell_json_string(w, "", 0);
        llmspell_json_key(w, "scope", 5);
        llmspell_json_string(w, "global", 6);
        llmspell_json_key(w, "dimension", 9);
        llmspell_json_int(w, dim);
        llmspell_json_key(w, "embedding", 9);
        llmspell_json_base64(w, v, dim * 4); /* little-endian hosts */
        llmspell_json_key(w, "metadata", 8);
        llmspell_json_raw(w, meta, LLMSPELL_JSON_STRLEN);
        llmspell_json_key(w, "created_at", 10);
        llmspell_json_int(w, 1730000000000000ll + i);
        llmspell_json_key(w, "updated_at", 10);
        llmspell_json_int(w, 1730000000000000ll + i);
        llmspell_json_object_end(w);
    }
    llmspell_json_array_end(w);
    llmspell_json_object_end(w);
    llmspell_json_object_end(w);
    llmspell_json_object_end(w);
    if (llmspell_json_writer_finish(w) != LLMSPELL_OK) return 1;
    llmspell_json_writer_free(w);
    fclose(f);
    free(v);
    return 0;
}

static int do_import(long n) {
    llmspell_kv kv;
    llmspell_export_stats st;
    llmspell_json_error err;
    FILE *f = fopen(jsonpath, "rb");
    long base;
    double t0, t1;
    long size;
    if (!f || open_store(&kv, 1) != LLMSPELL_OK) return 1;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    base = rss_kb();
    t0 = now_s();
    if (llmspell_export_import_file(&kv, f, NULL, &st, &err) != LLMSPELL_OK) {
        fprintf(stderr, "import failed: %s\n", err.message);
        return 1;
    }
    t1 = now_s();
    printf("import  %-7s %ld records x %s: %.2f s, %.0f records/s, %.1f MB/s of JSON (two passes), peak RSS %.1f MB (%.1f MB before)\n", backend,
           (long)st.vectors, "vec", t1 - t0, (double)n / (t1 - t0), size / 1e6 / (t1 - t0), maxrss_kb() / 1024.0, base / 1024.0);
    llmspell_kv_close(&kv);
    fclose(f);
    return 0;
}

static llmspell_result count_sink(void *user, const void *data, size_t n) {
    (void)data;
    *(uint64_t *)user += n;
    return LLMSPELL_OK;
}

static int do_export(void) {
    llmspell_kv kv;
    llmspell_export_stats st;
    llmspell_json_error err;
    llmspell_json_writer *w;
    uint64_t bytes = 0;
    long base;
    double t0, t1;
    if (open_store(&kv, 0) != LLMSPELL_OK) return 1;
    base = rss_kb();
    if (llmspell_json_writer_open_sink(&w, count_sink, &bytes, NULL) != LLMSPELL_OK) return 1;
    t0 = now_s();
    if (llmspell_export_store(&kv, w, NULL, &st, &err) != LLMSPELL_OK || llmspell_json_writer_finish(w) != LLMSPELL_OK) {
        fprintf(stderr, "export failed: %s\n", err.message);
        return 1;
    }
    t1 = now_s();
    printf("export  %-7s %lu records: %.2f s, %.1f MB/s of JSON written (%.1f MB), peak RSS %.1f MB (%.1f MB after opening the store)\n", backend,
           (unsigned long)st.vectors, t1 - t0, bytes / 1e6 / (t1 - t0), bytes / 1e6, maxrss_kb() / 1024.0, base / 1024.0);
    llmspell_json_writer_free(w);
    llmspell_kv_close(&kv);
    return 0;
}

static int in_child(int (*fn)(long), long arg) {
    pid_t p = fork();
    int st = 0;
    fflush(stdout);
    if (p == 0) {
        int rc = fn(arg);
        fflush(stdout);
        _exit(rc);
    }
    if (p < 0 || waitpid(p, &st, 0) < 0) return 1;
    return !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
static int export_child(long unused) {
    (void)unused;
    return do_export();
}

int main(int argc, char **argv) {
    long n = 100000;
    unsigned dim = 1536;
    double t0;
    if (argc > 1 && strcmp(argv[1], "quick") == 0) n = 10000;
    else if (argc > 1) n = atol(argv[1]);
    if (argc > 2) dim = (unsigned)atoi(argv[2]);
    if (argc > 3) backend = argv[3];
    if (n <= 0 || dim == 0 || dim > 65536) return 2;
    snprintf(dbpath, sizeof dbpath, "/tmp/bench_export_%d.db", (int)getpid());
    snprintf(jsonpath, sizeof jsonpath, "/tmp/bench_export_%d.json", (int)getpid());
    t0 = now_s();
    if (generate(n, dim)) {
        fprintf(stderr, "generate failed\n");
        return 1;
    }
    {
        FILE *f = fopen(jsonpath, "rb");
        long size = 0;
        if (f) {
            fseek(f, 0, SEEK_END);
            size = ftell(f);
            fclose(f);
        }
        printf("generated %ld x %u vectors with metadata: %.1f MB of JSON in %.2f s\n", n, dim, size / 1e6, now_s() - t0);
    }
    fflush(stdout);
    if (strcmp(backend, "memory") == 0) { /* one process: the store lives in memory */
        llmspell_kv kv;
        FILE *f = fopen(jsonpath, "rb");
        llmspell_json_error err;
        llmspell_json_writer *w;
        uint64_t bytes = 0;
        double t1, t2;
        long base = rss_kb();
        open_store(&kv, 1);
        t1 = now_s();
        if (llmspell_export_import_file(&kv, f, NULL, NULL, &err) != LLMSPELL_OK) { fprintf(stderr, "%s\n", err.message); return 1; }
        t2 = now_s();
        printf("import  memory  %ld records: %.2f s, %.0f records/s, peak RSS %.1f MB (%.1f MB before; the store holds the data)\n", n, t2 - t1,
               n / (t2 - t1), maxrss_kb() / 1024.0, base / 1024.0);
        llmspell_json_writer_open_sink(&w, count_sink, &bytes, NULL);
        base = rss_kb();
        t1 = now_s();
        llmspell_export_store(&kv, w, NULL, NULL, &err);
        llmspell_json_writer_finish(w);
        t2 = now_s();
        printf("export  memory  %.2f s, %.1f MB/s of JSON written, RSS %.1f MB after (%.1f MB before)\n", t2 - t1, bytes / 1e6 / (t2 - t1),
               rss_kb() / 1024.0, base / 1024.0);
        llmspell_json_writer_free(w);
        llmspell_kv_close(&kv);
        fclose(f);
    } else {
        if (in_child(do_import, n) || in_child(export_child, 0)) {
            fprintf(stderr, "a phase failed\n");
            return 1;
        }
    }
    unlink(jsonpath);
    unlink(dbpath);
    return 0;
}
