/* bench_json.c - the codec of llmspell_export.h against cJSON and simdjson, in one run.

   cc -std=c99 -O2 -DNDEBUG -I. bench/bench_json.c -o build/bench_json -lcjson -lm
   build/bench_json [--quick] [--general]   (--quick: fewer runs and the export document 10x
                                             smaller; --general: the general documents only)
   BENCH_JSON_DOCS="canada.json citm_catalog.json twitter.json" build/bench_json   (also files)

   First, general JSON (see "the general documents" below: numbers, objects, text, API
   responses, nesting): parse into a fresh tree and write it back, ours against cJSON and
   simdjson's DOM parser (build/bench_simdjson, when libsimdjson-dev is installed), one line
   per document and a geomean per set with the goals. Then the export-shaped document:

   an llmspell v1.0 export as our writer produces it: {"version", "exported_at",
   "source_backend", "migrations", "data": {"vector_embeddings": {"1536": [records]}}} with
   100,000 records (10,000 with --quick), each an id, tenant, scope, dimension, a metadata object
   (strings, ints, a double, an array) and the base64 of 1536 little-endian float32 (8,192
   characters), about 850 MB (85 MB). It is written once to a temporary file by our FILE* writer.
   Measured, single thread, best of several runs:
     - base64 of 64 MB: encode (64 MB of bytes) and decode (64 MB of text), every implementation
     - JSON parse of the same bytes in memory: our DOM (llmspell_json_parse, a fresh tree each
       time; and llmspell_json_parse_into reusing one document's memory), our pull reader walking
       every event, cJSON (cJSON_ParseWithLength; its freed nodes are recycled by malloc from one
       run to the next); simdjson (build/bench_simdjson, C++, run on the same file, parser
       buffers reused) for reference when it was built
     - JSON write: our writer producing the document into a counting sink (no I/O)
     - the same parses once each in a fresh process ("cold": the tree's memory is page-faulted
       in; warm runs may reuse what the previous run freed, which favours many small mallocs)
     - peak memory (getrusage ru_maxrss of that fresh process) of reading the file with the DOM,
       with the pull reader taking one record at a time (what an importer does), and with cJSON
   Every measured run checks what it parsed (record count, an embedding value), so nothing can be
   optimised away or silently wrong. Output: one line per measurement, '#' lines for context. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define LLMSPELL_KV_IMPLEMENTATION
#include "../llmspell_export.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <math.h>
#include <time.h>
#include <unistd.h>

#define DIM 1536

#if defined(__GNUC__) || defined(__clang__)
__attribute__((noreturn, format(printf, 1, 2)))
#endif
static void die(const char *fmt, ...);
static void die(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "bench_json: FAILED: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The calling thread's CPU time: the general documents are timed with it, so that a run the
   scheduler interrupts on this shared machine does not count the time it waited. */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng_state = 12345;
static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The embedding of record i: deterministic, so readers can check any value. */
static float emb_value(size_t i, size_t k) { return (float)((double)((i * 7919 + k * 104729) % 20001) / 10000.0 - 1.0); }

/* ---- the document ----------------------------------------------------------------------- */

static void write_export(llmspell_json_writer *w, size_t records) {
    static float v[DIM];
    size_t i, k;
    char id[64], scope[32];
    llmspell_json_object_begin(w);
    llmspell_json_key(w, "version", 7);
    llmspell_json_string(w, "1.0", 3);
    llmspell_json_key(w, "exported_at", 11);
    llmspell_json_string(w, "2026-01-01T00:00:00Z", 20);
    llmspell_json_key(w, "source_backend", 14);
    llmspell_json_string(w, "memory", 6);
    llmspell_json_key(w, "migrations", 10);
    llmspell_json_array_begin(w);
    llmspell_json_string(w, "V3", 2);
    llmspell_json_array_end(w);
    llmspell_json_key(w, "data", 4);
    llmspell_json_object_begin(w);
    llmspell_json_key(w, "vector_embeddings", 17);
    llmspell_json_object_begin(w);
    llmspell_json_key(w, "1536", 4);
    llmspell_json_array_begin(w);
    for (i = 0; i < records; i++) {
        for (k = 0; k < DIM; k++) v[k] = emb_value(i, k);
        snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", i);
        snprintf(scope, sizeof scope, "session:s%zu", i % 97);
        llmspell_json_object_begin(w);
        llmspell_json_key(w, "id", 2);
        llmspell_json_string(w, id, strlen(id));
        llmspell_json_key(w, "tenant_id", 9);
        llmspell_json_string(w, "tenant-7", 8);
        llmspell_json_key(w, "scope", 5);
        llmspell_json_string(w, scope, strlen(scope));
        llmspell_json_key(w, "dimension", 9);
        llmspell_json_int(w, DIM);
        llmspell_json_key(w, "embedding", 9);
        llmspell_json_base64(w, v, sizeof v);
        llmspell_json_key(w, "metadata", 8);
        llmspell_json_object_begin(w);
        llmspell_json_key(w, "source", 6);
        llmspell_json_string(w, "docs/guide.md", 13);
        llmspell_json_key(w, "chunk", 5);
        llmspell_json_int(w, (int64_t)(i % 1000));
        llmspell_json_key(w, "score", 5);
        llmspell_json_double(w, (double)(i % 977) / 977.0);
        llmspell_json_key(w, "tags", 4);
        llmspell_json_array_begin(w);
        llmspell_json_string(w, "rag", 3);
        llmspell_json_string(w, "caf\xC3\xA9", 5);
        llmspell_json_array_end(w);
        llmspell_json_object_end(w);
        llmspell_json_key(w, "created_at", 10);
        llmspell_json_int(w, 1767225600000000LL + (int64_t)i);
        llmspell_json_key(w, "updated_at", 10);
        llmspell_json_int(w, 1767225600000000LL + (int64_t)i);
        llmspell_json_object_end(w);
    }
    llmspell_json_array_end(w);
    llmspell_json_object_end(w);
    llmspell_json_object_end(w);
    llmspell_json_object_end(w);
    if (llmspell_json_writer_finish(w) != LLMSPELL_OK) die("writer: %s", llmspell_json_writer_error(w)->message);
}

static llmspell_result count_sink(void *user, const void *data, size_t n) {
    (void)data;
    *(uint64_t *)user += n;
    return LLMSPELL_OK;
}

static char *read_all(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *p;
    if (!f || fstat(fileno(f), &st) != 0) die("cannot open %s", path);
    p = (char *)malloc((size_t)st.st_size + 1);
    if (!p || fread(p, 1, (size_t)st.st_size, f) != (size_t)st.st_size) die("cannot read %s", path);
    fclose(f);
    p[st.st_size] = 0; /* cJSON wants room to look at */
    *n = (size_t)st.st_size;
    return p;
}

/* ---- checks: each parser must have seen every record and the right embedding --------------- */

static void check_embedding(const char *b64, size_t n, size_t rec) {
    static float v[DIM];
    size_t got;
    if (llmspell_b64_decode(v, sizeof v, b64, n, &got, NULL) != LLMSPELL_OK || got != sizeof v)
        die("record %zu: embedding does not decode", rec);
    if (v[DIM - 1] != emb_value(rec, DIM - 1)) die("record %zu: wrong embedding", rec);
}

static void check_dom(const llmspell_json_doc *doc, size_t records) {
    const llmspell_json_value *arr =
        llmspell_json_get(llmspell_json_get(llmspell_json_get(llmspell_json_doc_root(doc), "data"), "vector_embeddings"),
                          "1536");
    const llmspell_json_value *last, *e;
    if (!arr || arr->len != records) die("DOM: %zu records", arr ? arr->len : 0);
    last = llmspell_json_at(arr, records - 1);
    e = llmspell_json_get(last, "embedding");
    check_embedding(e->u.str, e->len, records - 1);
}

static void check_cjson(const cJSON *root, size_t records) {
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "data"), "vector_embeddings"), "1536");
    const cJSON *last, *e;
    if (!arr || (size_t)cJSON_GetArraySize(arr) != records) die("cJSON: wrong record count");
    last = arr->child;
    while (last->next) last = last->next;
    e = cJSON_GetObjectItemCaseSensitive(last, "embedding");
    check_embedding(e->valuestring, strlen(e->valuestring), records - 1);
}

/* Walks every event of a pull reader; returns the number of records (objects at depth 4). */
static size_t walk_events(llmspell_json_reader *r) {
    llmspell_json_token t;
    size_t recs = 0, strings = 0;
    for (;;) {
        if (llmspell_json_next(r, &t) != LLMSPELL_OK) die("reader: %s", llmspell_json_reader_error(r)->message);
        if (t.event == LLMSPELL_JSON_EV_END) break;
        if (t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN && t.depth == 4) recs++;
        if (t.event == LLMSPELL_JSON_EV_STRING) strings += t.len;
    }
    if (!strings) die("reader saw no strings");
    return recs;
}

/* The importer pattern: one record at a time as a small DOM. */
static size_t stream_records(llmspell_json_reader *r) {
    llmspell_json_token t;
    llmspell_json_doc *rec;
    size_t n = 0;
    int i;
    llmspell_result rc;
    /* { "version" .. "migrations" [..] "data" { "vector_embeddings" { "1536" [ */
    for (;;) {
        if (llmspell_json_next(r, &t) != LLMSPELL_OK) die("reader: %s", llmspell_json_reader_error(r)->message);
        if (t.event == LLMSPELL_JSON_EV_KEY && t.len == 4 && !memcmp(t.str, "1536", 4)) break;
        if (t.event == LLMSPELL_JSON_EV_KEY && t.len == 10 && !memcmp(t.str, "migrations", 10)) llmspell_json_skip(r);
    }
    if (llmspell_json_next(r, &t) != LLMSPELL_OK || t.event != LLMSPELL_JSON_EV_ARRAY_BEGIN) die("no record array");
    while ((rc = llmspell_json_read_value(r, &rec)) == LLMSPELL_OK) {
        const llmspell_json_value *e = llmspell_json_get(llmspell_json_doc_root(rec), "embedding");
        if (!e) die("record without embedding");
        if (n % 997 == 0) check_embedding(e->u.str, e->len, n);
        llmspell_json_doc_free(rec);
        n++;
    }
    if (rc != LLMSPELL_ERR_NOT_FOUND) die("reader: %s", llmspell_json_reader_error(r)->message);
    for (i = 0; i < 4; i++)
        if (llmspell_json_next(r, &t) != LLMSPELL_OK) die("reader: %s", llmspell_json_reader_error(r)->message);
    if (llmspell_json_next(r, &t) != LLMSPELL_OK || t.event != LLMSPELL_JSON_EV_END) die("trailing content");
    return n;
}

/* ---- peak memory: a fresh process per reader ---------------------------------------------- */

/* Runs one reader in this (fresh) process; writes the seconds it took to fd. */
static int child_mem(const char *what, const char *path, size_t records, int fd) {
    char msg[64];
    double t0, dt = 0;
    int n;
    if (!strcmp(what, "dom")) {
        size_t len;
        char *buf = read_all(path, &len);
        llmspell_json_doc *doc;
        llmspell_json_error err;
        t0 = now();
        if (llmspell_json_parse(buf, len, NULL, &doc, &err) != LLMSPELL_OK) die("parse: %s", err.message);
        dt = now() - t0;
        check_dom(doc, records);
        llmspell_json_doc_free(doc);
        free(buf);
    } else if (!strcmp(what, "stream")) {
        FILE *f = fopen(path, "rb");
        llmspell_json_reader *r;
        t0 = now();
        if (!f || llmspell_json_reader_open_file(&r, f, NULL) != LLMSPELL_OK) die("open %s", path);
        if (stream_records(r) != records) die("stream: wrong record count");
        llmspell_json_reader_close(r);
        dt = now() - t0;
        fclose(f);
    } else if (!strcmp(what, "cjson")) {
        size_t len;
        char *buf = read_all(path, &len);
        cJSON *root;
        t0 = now();
        root = cJSON_ParseWithLength(buf, len);
        dt = now() - t0;
        if (!root) die("cJSON parse failed");
        check_cjson(root, records);
        cJSON_Delete(root);
        free(buf);
    } else {
        die("unknown child %s", what);
    }
    n = snprintf(msg, sizeof msg, "%.9f", dt);
    if (write(fd, msg, (size_t)n) != n) die("pipe");
    return 0;
}

/* Runs `what` in a fresh process (exec of this program): its peak RSS in MiB and its time. */
static double fresh_run(const char *self, const char *what, const char *path, size_t records, double *secs) {
    char num[32], fdnum[16], msg[64];
    int fds[2], st;
    ssize_t got;
    pid_t pid;
    struct rusage ru;
    snprintf(num, sizeof num, "%zu", records);
    if (pipe(fds) != 0) die("pipe");
    snprintf(fdnum, sizeof fdnum, "%d", fds[1]);
    fflush(stdout);
    pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(fds[0]);
        execl(self, self, "--child", what, path, num, fdnum, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    got = read(fds[0], msg, sizeof msg - 1);
    close(fds[0]);
    if (wait4(pid, &st, 0, &ru) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || got <= 0)
        die("child '%s' failed", what);
    msg[got] = 0;
    *secs = strtod(msg, NULL);
    return (double)ru.ru_maxrss / 1024.0; /* KiB -> MiB */
}

/* ---- base64 ------------------------------------------------------------------------------- */

static double b64_rate(int decode, llmspell_b64_impl impl, const unsigned char *bytes, size_t nbytes, const char *text,
                       size_t ntext, unsigned char *out, size_t cap, int runs) {
    double best = 1e9;
    int i;
    for (i = 0; i < runs; i++) {
        size_t n = 0, pos;
        double t0 = now(), dt;
        llmspell_result rc = decode ? llmspell_b64_decode_with(impl, out, cap, text, ntext, &n, &pos)
                                    : llmspell_b64_encode_with(impl, (char *)out, bytes, nbytes, &n);
        dt = now() - t0;
        if (rc != LLMSPELL_OK) die("base64 %s failed", llmspell_b64_impl_name(impl));
        if (decode ? (n != nbytes || memcmp(out, bytes, n)) : (n != ntext || memcmp(out, text, n)))
            die("base64 %s produced different bytes", llmspell_b64_impl_name(impl));
        if (dt < best) best = dt;
    }
    return (double)(decode ? ntext : nbytes) / best / 1e9;
}

static void bench_base64(void) {
    size_t nb = (size_t)64 << 20, i;
    size_t nt = llmspell_b64_encoded_len(nb), nb_dec = nt / 4 * 3;
    unsigned char *bytes = (unsigned char *)malloc(nb), *out = (unsigned char *)malloc(nt + 64);
    char *text = (char *)malloc(nt);
    llmspell_b64_impl impls[3] = {LLMSPELL_B64_SSSE3, LLMSPELL_B64_TABLE, LLMSPELL_B64_SCALAR};
    double enc[3] = {0, 0, 0}, dec[3] = {0, 0, 0};
    size_t ntext_dec = (size_t)64 << 20; /* decode exactly 64 MB of text */
    if (!bytes || !out || !text) die("malloc");
    for (i = 0; i < nb; i += 8) {
        uint64_t x = rng_next();
        memcpy(bytes + i, &x, 8);
    }
    llmspell_b64_encode_with(LLMSPELL_B64_SCALAR, text, bytes, nb, &nt);
    (void)nb_dec;
    for (i = 0; i < 3; i++) {
        if (impls[i] == LLMSPELL_B64_SSSE3 && llmspell_b64_best() != LLMSPELL_B64_SSSE3) continue;
        enc[i] = b64_rate(0, impls[i], bytes, nb, text, nt, out, nt + 64, 5);
        dec[i] = b64_rate(1, impls[i], bytes, ntext_dec / 4 * 3, text, ntext_dec, out, nt + 64, 5);
    }
    printf("# base64: fast path = %s (chosen at run time); table = portable 24-bit-word path; scalar = reference\n",
           llmspell_b64_impl_name(llmspell_b64_best()));
    printf("base64 encode 64 MB: fast %.2f GB/s, table %.2f GB/s, scalar %.2f GB/s\n", enc[0] ? enc[0] : enc[1], enc[1],
           enc[2]);
    printf("base64 decode 64 MB: fast %.2f GB/s, table %.2f GB/s, scalar %.2f GB/s (goal >= 2 GB/s)\n",
           dec[0] ? dec[0] : dec[1], dec[1], dec[2]);
    free(bytes);
    free(out);
    free(text);
}

/* ---- the general documents ------------------------------------------------------------------
   Five documents in the shapes of the usual JSON benchmark files and of an agent's traffic,
   generated here (deterministic), about 0.5 to 2 MB each:
     numbers  GeoJSON polygons: [lon, lat] pairs of 17 significant digits (compact; canada.json)
     objects  an event catalog: objects keyed by id, integer ids and times, short strings,
              4-space pretty print (citm_catalog.json)
     text     social-media statuses: Japanese and emoji text, escaped slashes and newlines, user
              objects, 2-space pretty print (twitter.json)
     api      chat-completion responses of an LLM API: markdown content with escapes, tool calls
              whose arguments are JSON inside strings (compact)
     nested   a configuration tree 24 levels deep: small objects and arrays inside each other
   More files (say the standard canada, citm_catalog and twitter) are measured beside them when
   named in BENCH_JSON_DOCS (space-separated paths); the goals are read on the general set. */

typedef struct gbuf {
    char *p;
    size_t n, cap;
} gbuf;

static void g_put(gbuf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 1 << 16;
        while (c < b->n + n + 1) c *= 2;
        if (!(b->p = (char *)realloc(b->p, c))) die("malloc");
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void g_s(gbuf *b, const char *s) { g_put(b, s, strlen(s)); }
static void g_vf(gbuf *b, const char *fmt, va_list ap) {
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0 || (size_t)n >= sizeof tmp) die("generator: a piece too long");
    g_put(b, tmp, (size_t)n);
}
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static void g_f(gbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    g_vf(b, fmt, ap);
    va_end(ap);
}
/* A newline and the indent of `level` (pretty documents), or nothing (width 0). */
static void g_nl(gbuf *b, int width, int level);
/* A line at `level`: the newline and indent, then the formatted text. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 4, 5)))
#endif
static void g_line(gbuf *b, int width, int level, const char *fmt, ...) {
    va_list ap;
    g_nl(b, width, level);
    va_start(ap, fmt);
    g_vf(b, fmt, ap);
    va_end(ap);
}
static void g_nl(gbuf *b, int width, int level) {
    static const char sp[] = "                                                                ";
    if (!width) return;
    g_put(b, "\n", 1);
    g_put(b, sp, (size_t)(width * level) < sizeof sp - 1 ? (size_t)(width * level) : sizeof sp - 1);
}
static const char *g_colon(int width) { return width ? ": " : ":"; }
static unsigned g_rand(unsigned n) { return (unsigned)(rng_next() % n); }

/* Words of several scripts, as UTF-8. */
static const char *const g_ja[] = {"名前", "前田あゆみ", "第一印象", "なんか怖っ", "今の印象", "とりあえず", "キモい", "噛み合わない",
                                   "好きなところ", "ぶすでキモいとこ", "最近", "ほんとに", "ありがとう", "野球部", "マネージャー",
                                   "最高の夏", "東京", "今日", "明日", "写真"};
static const char *const g_en[] = {"the", "model", "returns", "a", "tool", "call", "with", "arguments", "for", "search",
                                   "results", "context", "window", "tokens", "agent", "memory", "vector", "graph", "query", "store"};
static const char *const g_emoji[] = {"\xE2\x9D\xA4\xEF\xB8\x8E", "\xF0\x9F\x98\x80", "\xF0\x9F\x8E\x89", "\xE2\x9C\xA8", "\xF0\x9F\x91\x8D"};

static void gen_numbers(gbuf *b) {
    int ring, pt;
    g_s(b, "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"name\":\"Canada\"},"
           "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[");
    for (ring = 0; ring < 480; ring++) {
        double lon = -141.0 + (double)g_rand(8900) / 100.0, lat = 41.0 + (double)g_rand(4200) / 100.0;
        if (ring) g_s(b, ",");
        g_s(b, "[");
        for (pt = 0; pt < 120; pt++) {
            lon += ((double)g_rand(2000001) - 1000000.0) * 1e-9 * 1000.0;
            lat += ((double)g_rand(2000001) - 1000000.0) * 1e-9 * 1000.0;
            g_f(b, "%s[%.15f,%.15f]", pt ? "," : "", lon, lat);
        }
        g_s(b, "]");
    }
    g_s(b, "]}}]}");
}

static void gen_objects(gbuf *b) {
    const int W = 4;
    int i, j, k;
    g_s(b, "{");
    g_line(b, W, 1, "\"areaNames\"%s{", g_colon(W));
    for (i = 0; i < 300; i++) {
        g_s(b, i ? "," : "");
        g_line(b, W, 2, "\"%d\"%s\"%s %s %d\"", 205705993 + i * 7, g_colon(W), "Arri\xC3\xA8re-sc\xC3\xA8ne", g_en[g_rand(20)], i);
    }
    g_line(b, W, 1, "},");
    g_line(b, W, 1, "\"events\"%s{", g_colon(W));
    for (i = 0; i < 1000; i++) {
        int id = 138586341 + i * 13;
        g_s(b, i ? "," : "");
        g_line(b, W, 2, "\"%d\"%s{", id, g_colon(W));
        g_line(b, W, 3, "\"description\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"id\"%s%d,", g_colon(W), id);
        g_nl(b, W, 3);
        if (i % 3) g_f(b, "\"logo\"%s\"/images/UE0AAAAACEKo6QAAAAZDSVRN%d\",", g_colon(W), i);
        else g_f(b, "\"logo\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"name\"%s\"%s %s %d\",", g_colon(W), g_en[g_rand(20)], g_en[g_rand(20)], i);
        g_line(b, W, 3, "\"subTopicIds\"%s[", g_colon(W));
        for (j = 0; j < 4; j++) {
            g_s(b, j ? "," : "");
            g_line(b, W, 4, "%d", 337184269 + (int)g_rand(100000));
        }
        g_line(b, W, 3, "],");
        g_line(b, W, 3, "\"subjectCode\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"subtitle\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"topicIds\"%s[", g_colon(W));
        g_line(b, W, 4, "%d,", 324846099 + (int)g_rand(1000));
        g_line(b, W, 4, "%d", 107888604 + (int)g_rand(1000));
        g_line(b, W, 3, "]");
        g_line(b, W, 2, "}");
    }
    g_line(b, W, 1, "},");
    g_line(b, W, 1, "\"performances\"%s[", g_colon(W));
    for (i = 0; i < 900; i++) {
        g_s(b, i ? "," : "");
        g_line(b, W, 2, "{");
        g_line(b, W, 3, "\"eventId\"%s%d,", g_colon(W), 138586341 + (int)g_rand(1000) * 13);
        g_line(b, W, 3, "\"id\"%s%d,", g_colon(W), 339887544 + i);
        g_line(b, W, 3, "\"prices\"%s[", g_colon(W));
        for (j = 0; j < 3; j++) {
            g_s(b, j ? "," : "");
            g_line(b, W, 4, "{");
            g_line(b, W, 5, "\"amount\"%s%d,", g_colon(W), 90250 - j * 10000);
            g_line(b, W, 5, "\"audienceSubCategoryId\"%s%d,", g_colon(W), 337100890);
            g_line(b, W, 5, "\"seatCategoryId\"%s%d", g_colon(W), 338937295 + j);
            g_line(b, W, 4, "}");
        }
        g_line(b, W, 3, "],");
        g_line(b, W, 3, "\"seatCategories\"%s[", g_colon(W));
        for (j = 0; j < 2; j++) {
            g_s(b, j ? "," : "");
            g_line(b, W, 4, "{");
            g_line(b, W, 5, "\"areas\"%s[", g_colon(W));
            for (k = 0; k < 3; k++) {
                g_s(b, k ? "," : "");
                g_line(b, W, 6, "{\"areaId\"%s%d,\"blockIds\"%s[]}", g_colon(W), 205705999 + k, g_colon(W));
            }
            g_line(b, W, 5, "],");
            g_line(b, W, 5, "\"seatCategoryId\"%s%d", g_colon(W), 338937295 + j);
            g_line(b, W, 4, "}");
        }
        g_line(b, W, 3, "],");
        g_line(b, W, 3, "\"seatMapImage\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"start\"%s%lld,", g_colon(W), 1372701600000LL + (long long)i * 86400000LL);
        g_line(b, W, 3, "\"venueCode\"%s\"PLEYEL_PLEYEL\"", g_colon(W));
        g_line(b, W, 2, "}");
    }
    g_line(b, W, 1, "]");
    g_line(b, W, 0, "}");
}

/* Japanese words with emoji, spaces and escaped newlines. */
static void g_ja_text(gbuf *b, int words) {
    int i;
    for (i = 0; i < words; i++) {
        g_s(b, g_ja[g_rand(20)]);
        switch (g_rand(6)) {
        case 0: g_s(b, "\\n"); break;
        case 1: g_s(b, g_emoji[g_rand(5)]); break;
        case 2: g_s(b, " "); break;
        default: break;
        }
    }
}

static void gen_text(gbuf *b) {
    const int W = 2;
    int i;
    g_s(b, "{");
    g_line(b, W, 1, "\"statuses\"%s[", g_colon(W));
    for (i = 0; i < 500; i++) {
        long long id = 505874924095815681LL + i;
        g_s(b, i ? "," : "");
        g_line(b, W, 2, "{");
        g_line(b, W, 3, "\"metadata\"%s{\"result_type\"%s\"recent\",\"iso_language_code\"%s\"ja\"},", g_colon(W), g_colon(W), g_colon(W));
        g_line(b, W, 3, "\"created_at\"%s\"Sun Aug 31 00:29:%02d +0000 2014\",", g_colon(W), i % 60);
        g_line(b, W, 3, "\"id\"%s%lld,", g_colon(W), id);
        g_line(b, W, 3, "\"id_str\"%s\"%lld\",", g_colon(W), id);
        g_line(b, W, 3, "\"text\"%s\"@aym0566x ", g_colon(W));
        g_ja_text(b, 12 + (int)g_rand(20));
        g_s(b, " http:\\/\\/t.co\\/");
        g_f(b, "%08x\",", (unsigned)g_rand(0xFFFFFFFFu));
        g_line(b, W, 3, "\"source\"%s\"<a href=\\\"http:\\/\\/twitter.com\\/download\\/iphone\\\" rel=\\\"nofollow\\\">Twitter for iPhone<\\/a>\",",
            g_colon(W));
        g_line(b, W, 3, "\"truncated\"%sfalse,", g_colon(W));
        g_line(b, W, 3, "\"in_reply_to_status_id\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"user\"%s{", g_colon(W));
        g_line(b, W, 4, "\"id\"%s%u,", g_colon(W), 1186275104u + (unsigned)i);
        g_line(b, W, 4, "\"name\"%s\"", g_colon(W));
        g_ja_text(b, 2);
        g_s(b, "\",");
        g_line(b, W, 4, "\"screen_name\"%s\"ayuu%04d\",", g_colon(W), i);
        g_line(b, W, 4, "\"location\"%s\"\xE6\x9D\xB1\xE4\xBA\xAC\",", g_colon(W));
        g_line(b, W, 4, "\"description\"%s\"", g_colon(W));
        g_ja_text(b, 10);
        g_s(b, "\",");
        g_line(b, W, 4, "\"url\"%snull,", g_colon(W));
        g_line(b, W, 4, "\"entities\"%s{\"description\"%s{\"urls\"%s[]}},", g_colon(W), g_colon(W), g_colon(W));
        g_line(b, W, 4, "\"protected\"%sfalse,", g_colon(W));
        g_line(b, W, 4, "\"followers_count\"%s%u,", g_colon(W), g_rand(5000));
        g_line(b, W, 4, "\"friends_count\"%s%u,", g_colon(W), g_rand(5000));
        g_line(b, W, 4, "\"created_at\"%s\"Fri Feb 15 23:26:%02d +0000 2013\",", g_colon(W), i % 60);
        g_line(b, W, 4, "\"profile_image_url\"%s\"http:\\/\\/pbs.twimg.com\\/profile_images\\/%u\\/LDjAwR_y_normal.jpeg\",", g_colon(W),
            (unsigned)g_rand(1000000000));
        g_line(b, W, 4, "\"profile_background_color\"%s\"C0DEED\",", g_colon(W));
        g_line(b, W, 4, "\"verified\"%sfalse", g_colon(W));
        g_line(b, W, 3, "},");
        g_line(b, W, 3, "\"geo\"%snull,", g_colon(W));
        g_line(b, W, 3, "\"retweet_count\"%s%u,", g_colon(W), g_rand(100));
        g_line(b, W, 3, "\"entities\"%s{", g_colon(W));
        g_line(b, W, 4, "\"hashtags\"%s[],", g_colon(W));
        g_line(b, W, 4, "\"user_mentions\"%s[{\"screen_name\"%s\"aym0566x\",\"name\"%s\"\xE5\x89\x8D\xE7\x94\xB0\xE3\x81\x82\xE3\x82\x86\xE3\x81\xBF\","
               "\"id\"%s866260188,\"indices\"%s[0,9]}]",
            g_colon(W), g_colon(W), g_colon(W), g_colon(W), g_colon(W));
        g_line(b, W, 3, "},");
        g_line(b, W, 3, "\"favorited\"%sfalse,", g_colon(W));
        g_line(b, W, 3, "\"lang\"%s\"ja\"", g_colon(W));
        g_line(b, W, 2, "}");
    }
    g_line(b, W, 1, "]");
    g_line(b, W, 0, "}");
}

static void g_en_text(gbuf *b, int words) {
    int i;
    for (i = 0; i < words; i++) {
        g_s(b, g_en[g_rand(20)]);
        switch (g_rand(12)) {
        case 0: g_s(b, ".\\n\\n"); break;
        case 1: g_s(b, " \\\""); break;
        case 2: g_s(b, "\\\" "); break;
        case 3: g_s(b, " `code` "); break;
        case 4: g_s(b, " \xE2\x80\x94 "); break;
        default: g_s(b, " "); break;
        }
    }
}

static void gen_api(gbuf *b) {
    int i;
    g_s(b, "[");
    for (i = 0; i < 1200; i++) {
        g_f(b, "%s{\"id\":\"chatcmpl-%08x%08x\",\"object\":\"chat.completion\",\"created\":%u,\"model\":\"gpt-4o-2024-08-06\",\"choices\":[{\"index\":0,"
               "\"message\":{\"role\":\"assistant\",\"content\":\"",
            i ? "," : "", (unsigned)g_rand(0xFFFFFFFFu), (unsigned)g_rand(0xFFFFFFFFu), 1733400000u + (unsigned)i);
        g_en_text(b, 40 + (int)g_rand(80));
        g_s(b, "\"");
        if (i % 2 == 0) {
            g_f(b, ",\"tool_calls\":[{\"id\":\"call_%08x\",\"type\":\"function\",\"function\":{\"name\":\"search_memory\",\"arguments\":"
                   "\"{\\\"query\\\": \\\"",
                (unsigned)g_rand(0xFFFFFFFFu));
            g_en_text(b, 6);
            g_f(b, "\\\", \\\"k\\\": %u, \\\"filter\\\": {\\\"scope\\\": \\\"session:%u\\\"}}\"}}]", 5 + g_rand(20), g_rand(1000));
        }
        g_f(b, "},\"logprobs\":null,\"finish_reason\":\"%s\"}],\"usage\":{\"prompt_tokens\":%u,\"completion_tokens\":%u,\"total_tokens\":%u},"
               "\"system_fingerprint\":\"fp_%08x\"}",
            i % 2 ? "stop" : "tool_calls", 200 + g_rand(3000), 20 + g_rand(500), 3700 + g_rand(500), (unsigned)g_rand(0xFFFFFFFFu));
    }
    g_s(b, "]");
}

static void g_tree(gbuf *b, int depth) {
    int i;
    g_f(b, "{\"name\":\"node%u\",\"enabled\":%s,\"weight\":%u.%u,\"tags\":[\"%s\",\"%s\"],\"limits\":[%u,%u,%u]", g_rand(1000),
        g_rand(2) ? "true" : "false", g_rand(100), g_rand(100), g_en[g_rand(20)], g_en[g_rand(20)], g_rand(100), g_rand(1000),
        g_rand(10000));
    if (depth < 24) {
        g_s(b, ",\"children\":[");
        for (i = 0; i < (depth % 6 == 5 ? 2 : 1); i++) {
            g_s(b, i ? "," : "");
            g_tree(b, depth + 1);
        }
        g_s(b, "]");
    }
    g_s(b, "}");
}

static void gen_nested(gbuf *b) {
    int i;
    g_s(b, "[");
    for (i = 0; i < 60; i++) {
        g_s(b, i ? "," : "");
        g_tree(b, 0);
    }
    g_s(b, "]");
}

/* Elements of a tree (every value, containers included), to check that each parser read it all. */
static size_t count_ours(const llmspell_json_value *v) {
    size_t n = 1, i;
    if (v->type == LLMSPELL_JSON_ARRAY)
        for (i = 0; i < v->len; i++) n += count_ours(&v->u.items[i]);
    else if (v->type == LLMSPELL_JSON_OBJECT)
        for (i = 0; i < v->len; i++) n += count_ours(&v->u.members[i].value);
    return n;
}
static size_t count_cjson(const cJSON *v) {
    size_t n = 1;
    const cJSON *c;
    if (cJSON_IsArray(v) || cJSON_IsObject(v))
        for (c = v->child; c; c = c->next) n += count_cjson(c);
    return n;
}

typedef struct gdoc {
    char name[300];
    char *text;
    size_t len, values;
    char path[300];
    double ours, cjson, simdjson, w_ours, w_cjson; /* MB/s */
} gdoc;

static int g_runs(double first, int quick) {
    int r = first > 0 ? (int)(0.3 / first) : 200;
    if (r < 5) r = 5;
    if (r > (quick ? 20 : 200)) r = quick ? 20 : 200;
    return r;
}

/* Parse (a fresh tree each time, freed outside the timing) and write (the tree back to compact
   text in memory), ours and cJSON's, best of several runs; every run checked. */
static void g_measure(gdoc *g, int quick) {
    double t, best = 1e9, mb = (double)g->len / 1e6;
    int r, runs = 1;
    llmspell_json_doc *doc = NULL;
    llmspell_json_error err;
    cJSON *root = NULL;
    for (r = 0; r < runs; r++) {
        llmspell_json_doc *d;
        t = cpu_now();
        if (llmspell_json_parse(g->text, g->len, NULL, &d, &err) != LLMSPELL_OK) die("%s: parse: %s", g->name, err.message);
        t = cpu_now() - t;
        if (t < best) best = t;
        if (r == 0) runs = g_runs(t, quick);
        if (count_ours(llmspell_json_doc_root(d)) != g->values && g->values) die("%s: ours read %zu values", g->name, count_ours(llmspell_json_doc_root(d)));
        if (!g->values) g->values = count_ours(llmspell_json_doc_root(d));
        llmspell_json_doc_free(d);
    }
    g->ours = mb / best;
    best = 1e9;
    for (r = 0; r < runs; r++) {
        cJSON *c;
        t = cpu_now();
        c = cJSON_ParseWithLength(g->text, g->len);
        t = cpu_now() - t;
        if (!c) die("%s: cJSON parse failed", g->name);
        if (t < best) best = t;
        if (r == 0 && count_cjson(c) != g->values) die("%s: cJSON read %zu values, ours %zu", g->name, count_cjson(c), g->values);
        cJSON_Delete(c);
    }
    g->cjson = mb / best;

    if (llmspell_json_parse(g->text, g->len, NULL, &doc, &err) != LLMSPELL_OK) die("%s: parse: %s", g->name, err.message);
    if (!(root = cJSON_ParseWithLength(g->text, g->len))) die("%s: cJSON parse failed", g->name);
    best = 1e9;
    for (r = 0; r < runs; r++) {
        llmspell_json_writer *w;
        const char *out;
        size_t n;
        t = cpu_now();
        if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK || llmspell_json_write_value(w, llmspell_json_doc_root(doc)) != LLMSPELL_OK ||
            llmspell_json_writer_finish(w) != LLMSPELL_OK)
            die("%s: write", g->name);
        out = llmspell_json_writer_data(w, &n);
        t = cpu_now() - t;
        if (t < best) best = t;
        if (r == 0) { /* what it wrote reads back to as many values */
            llmspell_json_doc *back;
            if (llmspell_json_parse(out, n, NULL, &back, &err) != LLMSPELL_OK || count_ours(llmspell_json_doc_root(back)) != g->values)
                die("%s: the written text does not read back", g->name);
            llmspell_json_doc_free(back);
        }
        llmspell_json_writer_free(w);
    }
    g->w_ours = mb / best;
    best = 1e9;
    for (r = 0; r < runs; r++) {
        char *out;
        t = cpu_now();
        out = cJSON_PrintUnformatted(root);
        t = cpu_now() - t;
        if (!out) die("%s: cJSON print failed", g->name);
        if (t < best) best = t;
        free(out);
    }
    g->w_cjson = mb / best;
    llmspell_json_doc_free(doc);
    cJSON_Delete(root);
}

/* simdjson's DOM parse of every document, one run of build/bench_simdjson (0 when not built). */
static void g_simdjson(const char *self, gdoc *g, size_t n, int quick) {
    char simd[1100], *cmd, line[1400];
    size_t i, len = 0;
    FILE *p;
    snprintf(simd, sizeof simd, "%s", self);
    {
        char *slash = strrchr(simd, '/');
        if (slash) snprintf(slash + 1, sizeof simd - (size_t)(slash + 1 - simd), "bench_simdjson");
    }
    for (i = 0; i < n; i++) g[i].simdjson = 0;
    if (access(simd, X_OK) != 0) return;
    for (i = 0; i < n; i++) len += strlen(g[i].path) + 4;
    if (!(cmd = (char *)malloc(len + sizeof simd + 64))) die("malloc");
    snprintf(cmd, len + sizeof simd + 64, "'%s' --docs %d", simd, quick ? 10 : 50);
    for (i = 0; i < n; i++) {
        strcat(cmd, " '");
        strcat(cmd, g[i].path);
        strcat(cmd, "'");
    }
    fflush(stdout);
    if (!(p = popen(cmd, "r"))) die("cannot run %s", simd);
    while (fgets(line, sizeof line, p)) {
        char file[1300];
        double mbs;
        size_t values;
        if (sscanf(line, "simdjson %1299s %lf %zu", file, &mbs, &values) != 3) die("bench_simdjson said: %s", line);
        for (i = 0; i < n; i++) {
            if (strcmp(file, g[i].path) != 0) continue;
            if (values != g[i].values) die("%s: simdjson read %zu values, ours %zu", g[i].name, values, g[i].values);
            g[i].simdjson = mbs;
        }
    }
    if (pclose(p) != 0) die("bench_simdjson failed");
    free(cmd);
    for (i = 0; i < n; i++)
        if (!g[i].simdjson) die("%s: no figure from bench_simdjson", g[i].name);
}

static void g_report(const char *set, gdoc *g, size_t n) {
    double lp = 0, ls = 0, lw = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        printf("json doc %s (%.2f MB, %zu values): parse ours %.0f MB/s, cjson %.0f MB/s", g[i].name, (double)g[i].len / 1e6,
               g[i].values, g[i].ours, g[i].cjson);
        if (g[i].simdjson) printf(", simdjson %.0f MB/s", g[i].simdjson);
        printf("; ours/cjson %.2f", g[i].ours / g[i].cjson);
        if (g[i].simdjson) printf(", ours/simdjson %.2f", g[i].ours / g[i].simdjson);
        printf(" | write ours %.0f MB/s, cjson %.0f MB/s, ours/cjson %.2f\n", g[i].w_ours, g[i].w_cjson, g[i].w_ours / g[i].w_cjson);
        lp += log(g[i].ours / g[i].cjson);
        if (g[i].simdjson) ls += log(g[i].ours / g[i].simdjson);
        lw += log(g[i].w_ours / g[i].w_cjson);
    }
    printf("json %s, geomean of %zu: parse ours/cjson %.2f (goal >= 4)", set, n, exp(lp / (double)n));
    if (g[0].simdjson) printf(", ours/simdjson %.2f (goal >= 0.5)", exp(ls / (double)n));
    else printf(", simdjson not built (build/bench_simdjson needs libsimdjson-dev)");
    printf("; write ours/cjson %.2f (goal >= 3)\n", exp(lw / (double)n));
}

static void bench_general(const char *self, int quick) {
    static const struct {
        const char *name;
        void (*gen)(gbuf *);
    } kinds[] = {{"numbers", gen_numbers}, {"objects", gen_objects}, {"text", gen_text}, {"api", gen_api}, {"nested", gen_nested}};
    gdoc g[5], *x = NULL;
    size_t i, nx = 0;
    const char *extra = getenv("BENCH_JSON_DOCS");
    printf("# general documents: parse = bytes in memory -> a fresh tree (llmspell_json_parse; cJSON_ParseWithLength; simdjson's "
           "dom::parser, its buffers reused), write = that tree -> compact text in memory (llmspell_json_write_value into a "
           "buffer writer; cJSON_PrintUnformatted); thread CPU time, best of up to %d runs each, every run checked\n", quick ? 20 : 200);
    memset(g, 0, sizeof g);
    for (i = 0; i < 5; i++) {
        gbuf b = {NULL, 0, 0};
        FILE *f;
        rng_state = 777 + i;
        kinds[i].gen(&b);
        snprintf(g[i].name, sizeof g[i].name, "%s", kinds[i].name);
        g[i].text = b.p;
        g[i].len = b.n;
        snprintf(g[i].path, sizeof g[i].path, "/tmp/bench_json_%ld_%s.json", (long)getpid(), kinds[i].name);
        if (!(f = fopen(g[i].path, "wb")) || fwrite(b.p, 1, b.n, f) != b.n || fclose(f) != 0) die("cannot write %s", g[i].path);
        g_measure(&g[i], quick);
    }
    g_simdjson(self, g, 5, quick);
    g_report("general set (numbers, objects, text, api, nested)", g, 5);
    if (extra && *extra) { /* the user's files, measured the same way */
        char *list = strdup(extra), *tok, *save = NULL;
        if (!list) die("malloc");
        for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            if (!(x = (gdoc *)realloc(x, (nx + 1) * sizeof *x))) die("malloc");
            memset(&x[nx], 0, sizeof *x);
            snprintf(x[nx].name, sizeof x[nx].name, "%s", tok);
            snprintf(x[nx].path, sizeof x[nx].path, "%s", tok);
            x[nx].text = read_all(tok, &x[nx].len);
            g_measure(&x[nx], quick);
            nx++;
        }
        free(list);
        g_simdjson(self, x, nx, quick);
        g_report("BENCH_JSON_DOCS files", x, nx);
        for (i = 0; i < nx; i++) free(x[i].text);
        free(x);
    }
    for (i = 0; i < 5; i++) {
        if (!getenv("BENCH_JSON_KEEP")) unlink(g[i].path);
        free(g[i].text);
    }
}

/* ---- main ----------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
    int quick = 0, general_only = 0, runs, i;
    size_t records, n;
    char path[256], self[1024], simd[1100];
    char *buf;
    double t0, best_dom = 1e9, best_pull = 1e9, best_cjson = 1e9, best_write = 1e9, best_reuse = 1e9, mb;
    llmspell_json_doc *reuse;
    uint64_t written = 0;
    llmspell_json_writer *w;
    FILE *f;
    struct utsname u;
    ssize_t sl;

    if (argc == 6 && !strcmp(argv[1], "--child"))
        return child_mem(argv[2], argv[3], (size_t)strtoull(argv[4], NULL, 10), atoi(argv[5]));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--general")) general_only = 1;
        else die("usage: bench_json [--quick] [--general]");
    }
    records = quick ? 10000 : 100000;
    runs = quick ? 3 : 3;
    sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) die("readlink /proc/self/exe");
    self[sl] = 0;
    if (uname(&u) == 0) printf("# kernel %s %s %s, %ld cpus\n", u.sysname, u.release, u.machine, sysconf(_SC_NPROCESSORS_ONLN));
    printf("# llmspell_export %s, cJSON %d.%d.%d; %zu records of dimension %d (base64 float32)%s\n",
           LLMSPELL_VERSION_STRING, CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH, records, DIM,
           quick ? " (--quick)" : "");
    bench_general(self, quick);
    if (general_only) return 0;

    /* writer speed, then the file */
    for (i = 0; i < runs; i++) {
        written = 0;
        if (llmspell_json_writer_open_sink(&w, count_sink, &written, NULL) != LLMSPELL_OK) die("writer");
        t0 = now();
        write_export(w, records);
        t0 = now() - t0;
        if (t0 < best_write) best_write = t0;
        llmspell_json_writer_free(w);
    }
    snprintf(path, sizeof path, "/tmp/bench_json_%ld.json", (long)getpid());
    if (!(f = fopen(path, "wb"))) die("cannot create %s", path);
    if (llmspell_json_writer_open_file(&w, f, NULL) != LLMSPELL_OK) die("writer");
    write_export(w, records);
    llmspell_json_writer_free(w);
    if (fclose(f) != 0) die("write %s", path);
    mb = (double)written / 1e6;
    printf("# document: %.1f MB in %s\n", mb, path);
    printf("json write: ours %.0f MB/s (writer into a counting sink, base64 and escaping included)\n", mb / best_write);

    {
        double t_dom = 1e9, t_st = 1e9, t_cj = 1e9, dom = 0, st = 0, cj = 0, t, m;
        for (i = 0; i < runs; i++) { /* best time, highest peak */
            m = fresh_run(self, "dom", path, records, &t);
            if (t < t_dom) t_dom = t;
            if (m > dom) dom = m;
            m = fresh_run(self, "stream", path, records, &t);
            if (t < t_st) t_st = t;
            if (m > st) st = m;
            m = fresh_run(self, "cjson", path, records, &t);
            if (t < t_cj) t_cj = t;
            if (m > cj) cj = m;
        }
        printf("# cold = one parse in a fresh process (the tree's memory is page-faulted in, nothing recycled), best of %d\n",
               runs);
        printf("json parse cold: ours %.0f MB/s, cjson %.0f MB/s, ratio %.2f\n", mb / t_dom, mb / t_cj, t_cj / t_dom);
        printf("json stream import (FILE*, one record at a time as a DOM): ours %.0f MB/s\n", mb / t_st);
        printf("# peak memory = ru_maxrss of that fresh process reading the %.0f MB file (run before this process grew)\n", mb);
        printf("json peak memory: DOM %.1f MB (file buffer + tree), streaming %.1f MB (FILE*, one record at a time), "
               "cjson %.1f MB (file buffer + tree)\n", dom, st, cj);
    }
    bench_base64();

    buf = read_all(path, &n);
    if (n != written) die("file size %zu, written %llu", n, (unsigned long long)written);
    if (llmspell_json_doc_new(NULL, &reuse) != LLMSPELL_OK) die("doc_new");
    for (i = 0; i < runs; i++) {
        llmspell_json_doc *doc;
        llmspell_json_error err;
        llmspell_json_reader *r;
        cJSON *root;
        t0 = now();
        if (llmspell_json_parse(buf, n, NULL, &doc, &err) != LLMSPELL_OK) die("parse: %s", err.message);
        t0 = now() - t0;
        if (t0 < best_dom) best_dom = t0;
        check_dom(doc, records);
        llmspell_json_doc_free(doc);

        t0 = now();
        if (llmspell_json_parse_into(reuse, buf, n, NULL, &err) != LLMSPELL_OK) die("parse_into: %s", err.message);
        t0 = now() - t0;
        if (t0 < best_reuse) best_reuse = t0;
        check_dom(reuse, records);

        if (llmspell_json_reader_open_buffer(&r, buf, n, NULL) != LLMSPELL_OK) die("reader");
        t0 = now();
        if (walk_events(r) != records) die("pull: wrong record count");
        t0 = now() - t0;
        if (t0 < best_pull) best_pull = t0;
        llmspell_json_reader_close(r);

        t0 = now();
        root = cJSON_ParseWithLength(buf, n);
        t0 = now() - t0;
        if (!root) die("cJSON parse failed");
        if (t0 < best_cjson) best_cjson = t0;
        check_cjson(root, records);
        cJSON_Delete(root);
    }
    free(buf);
    printf("# parse = bytes in memory -> tree, best of %d in one process (warm: freed memory can be reused); every run checked\n", runs);
    llmspell_json_doc_free(reuse);
    printf("json parse: ours %.0f MB/s, cjson %.0f MB/s, ratio %.2f (goal >= 3x; a fresh tree each parse)\n",
           mb / best_dom, mb / best_cjson, best_cjson / best_dom);
    printf("json parse, tree memory reused: ours %.0f MB/s, cjson %.0f MB/s, ratio %.2f (goal >= 3x; ours "
           "llmspell_json_parse_into one doc, cjson's heap recycled by malloc)\n",
           mb / best_reuse, mb / best_cjson, best_cjson / best_reuse);
    printf("json pull (every event, no tree): ours %.0f MB/s\n", mb / best_pull);

    /* simdjson, for reference, on the same file */
    snprintf(simd, sizeof simd, "%s", self);
    {
        char *slash = strrchr(simd, '/');
        if (slash) snprintf(slash + 1, sizeof simd - (size_t)(slash + 1 - simd), "bench_simdjson");
    }
    if (access(simd, X_OK) == 0) {
        char cmd[1500];
        fflush(stdout);
        snprintf(cmd, sizeof cmd, "'%s' '%s' %zu %d", simd, path, records, runs);
        if (system(cmd) != 0) die("bench_simdjson failed");
    } else {
        printf("# simdjson: not built (build/bench_simdjson needs libsimdjson-dev)\n");
    }

    if (!getenv("BENCH_JSON_KEEP")) unlink(path);
    return 0;
}
