/* llmspell_vec.h - vector collections for RAG and agent memory: a self-contained HNSW index
   with SIMD distance kernels chosen at run time, metadata filters, deletes, TTL, persistence.

   Recipe: in exactly one C or C++ file,
       #define LLMSPELL_KV_IMPLEMENTATION
       #define LLMSPELL_VEC_IMPLEMENTATION      (or LLMSPELL_IMPLEMENTATION for the whole family)
       #define LLMSPELL_EXPORT_IMPLEMENTATION   (llmspell_export.h's: the JSON of metadata)
       #include "llmspell_vec.h"                (it includes llmspell_kv.h and llmspell_export.h)
   Link nothing extra: the kernels are compiled for SSE2/AVX2/AVX-512 (x86-64 with GCC, clang
   or MSVC; 32-bit x86 when built for SSE2) or NEON (arm64; 32-bit ARM built with NEON) inside
   the header and the best one the CPU and OS support is picked when a collection opens, so a
   plain `cc -O2` build runs AVX2 on an AVX2 machine.

   Example:
       llmspell_kv kv;  llmspell_vec *docs;
       llmspell_kv_open_file(&kv, "app.db", NULL);
       llmspell_vec_create(&kv, "docs", NULL, NULL);            // cosine, M 16, ef 200 / 50
       llmspell_vec_open(&docs, &kv, "docs", NULL, NULL);
       llmspell_vec_record r = {0};
       r.id = "doc1"; r.embedding = emb; r.dim = 384; r.metadata = "{\"lang\":\"en\"}";
       llmspell_vec_add(docs, &r);
       llmspell_vec_hit hits[10]; size_t n;
       llmspell_vec_query q = {0};  q.vector = query; q.dim = 384; q.k = 10;
       llmspell_vec_search(docs, &q, hits, &n);                 // hits[i].id, .score, .metadata
       llmspell_vec_close(docs);

   Options (define before the implementation):
       LLMSPELL_VEC_NO_SIMD       use the scalar reference kernels only
       LLMSPELL_VEC_MAX_DIM       largest dimension of a new record or a query (default 65536)
       LLMSPELL_VEC_MAX_ID        longest id of a new record in bytes (default 512)
   These two limit what is written, in the file where they are defined: keep them the same in
   every file that implements a header of the family. What is stored is read whatever they are
   (ids up to 65535 bytes, any dimension), so a store written with larger values still opens,
   exports and imports everywhere.

   Model. A collection has a name, a metric and HNSW parameters. Its records have a string id
   (adding an existing id replaces the record), a float32 embedding, a metadata JSON object, a
   scope string, created/updated times and an optional expiry. Vectors of different dimensions
   live in separate indexes inside the collection and a query goes to the index of its
   dimension ("dimension routing"). Scores, best first:
       cosine   cosine similarity in [-1, 1], higher is better
       l2       Euclidean distance, lower is better
       ip       inner product, higher is better
   Deletes and expiry are visible at once; deleted nodes stay in the graph as waypoints until a
   later add reuses their slot, so the graph never needs a rebuild.
   Quantized collections (config.quant f16 or int8) hold their vectors in 2 or 1 bytes a
   dimension in memory, and measure distances on them (scores are approximate, as the vectors
   are); the kv still keeps every float32 exactly, for export and for rebuilds.

   Persistence: with a llmspell_kv (root or tenant view) every record lives in the kv and every
   write also writes the index pages it changed, in one kv transaction. Opening a collection
   loads the saved graph (checksummed, versioned pages) instead of rebuilding it; pages that are
   missing, corrupt or older than the records are detected and the graph is rebuilt from the
   records. With kv NULL the collection lives in memory only.

   Threads: any number of threads may share one llmspell_vec handle (link -pthread on POSIX).
   Reads (search, search_exact, get, each, info_get) run concurrently with each other and with
   a writer; writes (add, add_batch, delete, purge_expired) take turns: a second writer waits,
   it never gets ERR_BUSY. A read never sees part of a write: a record becomes visible, changes
   and disappears whole, records and arrays change only while reads are held off for a moment,
   and the long part of a write (linking new nodes into the HNSW graph) runs beside the reads,
   each node's link lists guarded by its own lock (a sequence lock: readers copy a list without
   writing shared memory). A record deleted before a search begins is never in its answer.
   With a kv, a write begins its kv transaction first (the family's lock order: the store's
   lock before vec's), so writers of one store take turns there; memory changes before the
   commit, so a search may see a write whose commit then fails (an I/O error), until the handle
   reloads itself from the store. add_batch_ex can link a batch on several threads. Pointers a
   read returns stay valid until the calling thread's next call on the handle: a write never
   frees a record a thread's last answer points into (it waits in a limbo until that thread's
   next call), and get's vector is the thread's own copy. llmspell_vec_errmsg() is the calling
   thread's last failure. Callbacks of llmspell_vec_each run under the read lock: they may read
   (v, the kv), a write to v from one is ERR_BUSY. A thread inside a kv transaction of its own
   may read v but its writes to v are ERR_TXN. Open and close are one thread's business (no
   other call on the handle meanwhile). LLMSPELL_NO_THREADS (implied by LLMSPELL_NO_OS): no
   locks, no copies, batches linked on the calling thread.

   Contents (search for the >> markers):
     declarations     >>kernels >>collections >>records >>filters >>field indexes >>search
     stored form      >>storage: keys, "LVR1" records, "LVC1" settings, "LVF1" field indexes
                      (also compiled for export)
     implementation   >>kernels >>structures >>sync (lock order, node sequence locks) >>ids
                      >>field names >>hnsw (>>hnsw search layer, >>hnsw filtered search layer,
                      >>hnsw select neighbours, >>hnsw insert, >>hnsw parallel inserts) >>filters
                      >>field indexes (postings, the planner's ranges) >>indexes >>saving the
                      graph >>holds (what a read returned, kept from writers) >>loading >>writes
                      >>public API >>search (the filtered search's planner)
*/
#ifndef LLMSPELL_VEC_H
#define LLMSPELL_VEC_H

#include "llmspell_kv.h"

#ifndef LLMSPELL_VEC_MAX_DIM
#define LLMSPELL_VEC_MAX_DIM 65536
#endif
#ifndef LLMSPELL_VEC_MAX_ID
#define LLMSPELL_VEC_MAX_ID 512
#endif
#define LLMSPELL_VEC_MAX_NAME 256   /* collection names: 1..256 bytes, any but NUL */
#define LLMSPELL_VEC_MAX_K 100000   /* largest k of one search */

#ifdef __cplusplus
extern "C" {
#endif

/* >>kernels: distances between vectors of any length: float32, and the two quantized forms a
   collection may hold (IEEE half-precision bits; int8 in -127..127). */
typedef struct llmspell_vec_kernel {
    const char *name; /* "scalar", "sse", "avx2", "avx512", "neon" */
    float (*dot)(const float *a, const float *b, size_t n);
    float (*l2sq)(const float *a, const float *b, size_t n);  /* squared Euclidean distance */
    float (*cosine)(const float *a, const float *b, size_t n); /* similarity; 0 if a norm is 0 */
    float (*dot_f16)(const uint16_t *a, const uint16_t *b, size_t n);
    float (*l2sq_f16)(const uint16_t *a, const uint16_t *b, size_t n);
    int32_t (*dot_i8)(const int8_t *a, const int8_t *b, size_t n); /* exact for n <= 65536 */
} llmspell_vec_kernel;

/* The best kernel this CPU and OS run (the scalar one under LLMSPELL_VEC_NO_SIMD). */
LLMSPELL_DEF const llmspell_vec_kernel *llmspell_vec_kernel_best(void);
/* A kernel by name, or NULL when it is not compiled in or the machine cannot run it. */
LLMSPELL_DEF const llmspell_vec_kernel *llmspell_vec_kernel_get(const char *name);

/* >>collections */
typedef enum llmspell_metric {
    LLMSPELL_METRIC_COSINE = 0,
    LLMSPELL_METRIC_L2,
    LLMSPELL_METRIC_IP
} llmspell_metric;

/* How a collection's index holds its vectors in memory. The kv keeps every record's float32
   vector exactly whatever this is (export writes it, a rebuild re-quantizes it); get and each
   return what the index holds, so a quantized collection without a kv keeps no float32.
     f32   4 bytes a dimension, exact.
     f16   2 bytes: IEEE half precision, rounded to nearest (relative error 2^-11; magnitudes
           over 65504 saturate to 65504).
     int8  1 byte and 8 bytes a vector: x ~ s * q with q in -127..127 and s = max |x| / 127,
           a scale per vector. Per vector rather than per dimension: nothing to train, no
           drift as the data changes, and the dot product of two vectors is an exact integer
           sum times their two scales (cosine needs neither scale). */
typedef enum llmspell_vec_quant { LLMSPELL_VEC_F32 = 0, LLMSPELL_VEC_F16, LLMSPELL_VEC_INT8 } llmspell_vec_quant;

/* Collection settings, fixed at creation; zero fields mean the defaults. */
typedef struct llmspell_vec_config {
    llmspell_metric metric;   /* default cosine */
    uint32_t M;               /* links per node and layer (16; layer 0 has 2M); 2..100 */
    uint32_t ef_construction; /* candidate list while adding (200) */
    uint32_t ef_search;       /* candidate list while searching (50); a query may override */
    llmspell_vec_quant quant; /* how the index holds vectors in memory (f32); see below */
} llmspell_vec_config;

/* Per-handle options; zero fields mean the defaults. The quotas count per kv handle, which is
   per tenant when the kv is a tenant view (0 = no limit). */
typedef struct llmspell_vec_options {
    llmspell_allocator allocator;   /* used when kv is NULL; otherwise the kv's allocator */
    llmspell_clock clock;           /* created/updated times and TTL */
    const char *kernel;             /* force a kernel by name (tests, benchmarks); NULL = best */
    uint64_t seed;                  /* for the HNSW level generator (0 = fixed default) */
    uint64_t max_collections;       /* quota, checked by llmspell_vec_create */
    uint64_t max_vectors;           /* quota per collection */
    uint64_t max_total_vectors;     /* quota over all collections of this kv handle */
} llmspell_vec_options;

typedef struct llmspell_vec llmspell_vec; /* an open collection */

/* Creates collection `name` in kv (1..LLMSPELL_VEC_MAX_NAME bytes, NUL-terminated; any bytes
   including ':' '/' are fine: keys are tuple-encoded). ERR_EXISTS if it exists, ERR_QUOTA past
   max_collections. Errors are described by llmspell_kv_errmsg(kv). cfg and opts may be NULL. */
LLMSPELL_DEF llmspell_result llmspell_vec_create(llmspell_kv *kv, const char *name, const llmspell_vec_config *cfg,
                                                 const llmspell_vec_options *opts);
/* Opens a collection of kv; with kv NULL makes a new in-memory collection (cfg applies then;
   with a kv cfg must be NULL or equal to what the collection was created with). On failure
   *out is NULL and the message is in llmspell_kv_errmsg(kv) (kv NULL: only the code). */
LLMSPELL_DEF llmspell_result llmspell_vec_open(llmspell_vec **out, llmspell_kv *kv, const char *name,
                                               const llmspell_vec_config *cfg, const llmspell_vec_options *opts);
/* Frees the handle (the data stays in kv). */
LLMSPELL_DEF void llmspell_vec_close(llmspell_vec *v);
/* Deletes a collection and all its records and pages. ERR_NOT_FOUND if absent. Close open
   handles of it first. */
LLMSPELL_DEF llmspell_result llmspell_vec_drop(llmspell_kv *kv, const char *name);
/* Calls fn for every collection whose name starts with prefix (NULL or "" = all), in name
   order; a non-zero return stops the listing. */
typedef int (*llmspell_vec_list_fn)(void *user, const char *name);
LLMSPELL_DEF llmspell_result llmspell_vec_list(llmspell_kv *kv, const char *prefix, llmspell_vec_list_fn fn, void *user);

#define LLMSPELL_VEC_INFO_DIMS 16
typedef struct llmspell_vec_info {
    uint64_t count;           /* live records */
    llmspell_vec_config config;
    uint32_t ndims;           /* dimensions present (the first LLMSPELL_VEC_INFO_DIMS listed) */
    uint32_t dims[LLMSPELL_VEC_INFO_DIMS];
    uint64_t dim_counts[LLMSPELL_VEC_INFO_DIMS];
    uint64_t memory_bytes;    /* held by this handle: vectors, graph, records, metadata */
    const char *kernel;       /* the distance kernel in use */
    int graph_loaded;         /* 1: the graph was loaded from saved pages at open; 0: rebuilt or new */
    uint32_t field_indexes;   /* fields indexed (llmspell_vec_index_field) */
} llmspell_vec_info;
LLMSPELL_DEF llmspell_result llmspell_vec_info_get(llmspell_vec *v, llmspell_vec_info *out);
LLMSPELL_DEF const char *llmspell_vec_errmsg(const llmspell_vec *v);

/* The name of a metric ("cosine", "l2", "ip"; NULL for others), and back (ERR_INVALID). */
LLMSPELL_DEF const char *llmspell_vec_metric_name(llmspell_metric m);
LLMSPELL_DEF llmspell_result llmspell_vec_metric_parse(const char *name, llmspell_metric *m);
/* "f32", "f16", "int8" (NULL for an unknown value), and back (ERR_INVALID for an unknown name). */
LLMSPELL_DEF const char *llmspell_vec_quant_name(llmspell_vec_quant q);
LLMSPELL_DEF llmspell_result llmspell_vec_quant_parse(const char *name, llmspell_vec_quant *q);
/* A vector written as JSON text, "[0.1, 0.2, ...]" (n LLMSPELL_JSON_STRLEN: NUL-terminated):
   its numbers as float32 into out[0..cap), their count in *dim. ERR_PARSE for anything but a
   JSON array of numbers, ERR_TOO_LARGE for more than cap, ERR_NOMEM. */
LLMSPELL_DEF llmspell_result llmspell_vec_parse_text(const char *text, size_t n, float *out, uint32_t cap, uint32_t *dim);

/* >>records */
typedef struct llmspell_vec_record {
    const char *id;          /* 1..LLMSPELL_VEC_MAX_ID bytes, NUL-terminated */
    const float *embedding;  /* dim finite floats; for cosine not all zero */
    uint32_t dim;            /* 1..LLMSPELL_VEC_MAX_DIM */
    const char *metadata;    /* a JSON object, NULL = {}; read with the family's JSON rules (llmspell_export.h
                                >>json-canonical: duplicates, lone surrogates and malformed text are
                                ERR_PARSE, not an object ERR_INVALID, overflowing numbers and nesting past
                                LLMSPELL_JSON_STORED_DEPTH ERR_TOO_LARGE) and kept in canonical form */
    size_t metadata_len;     /* 0 = strlen(metadata) */
    const char *scope;       /* free text kept for export ("global", "session:x"...); NULL = "global" */
    llmspell_time ttl;       /* on add: > 0 expires ttl microseconds after now; 0 = never */
    /* filled in by get: */
    llmspell_time created_at, updated_at, expires_at; /* expires_at LLMSPELL_TIME_MAX = never */
} llmspell_vec_record;

/* Adds or replaces one record (the vector is copied). Visible to search at once. */
LLMSPELL_DEF llmspell_result llmspell_vec_add(llmspell_vec *v, const llmspell_vec_record *rec);
/* All or nothing: every record is checked first (duplicate ids in one batch: ERR_INVALID). */
LLMSPELL_DEF llmspell_result llmspell_vec_add_batch(llmspell_vec *v, const llmspell_vec_record *recs, size_t n);

/* Options of one batch; zero fields mean the defaults. */
typedef struct llmspell_vec_batch_options {
    uint32_t threads; /* threads linking the batch into the HNSW graph, the calling one included:
                         0 or 1 = the calling thread only; at most LLMSPELL_VEC_MAX_THREADS. With
                         N > 1 the inserts run on N threads at once (as hnswlib's parallel
                         addPoint): about 1/N of the time, the same recall, a graph that depends
                         on the timing. Checks, the kv writes and the commit stay on the calling
                         thread. Without threads (LLMSPELL_NO_THREADS) they run one after another. */
} llmspell_vec_batch_options;
#define LLMSPELL_VEC_MAX_THREADS 64
/* llmspell_vec_add_batch with options (NULL: the defaults). */
LLMSPELL_DEF llmspell_result llmspell_vec_add_batch_ex(llmspell_vec *v, const llmspell_vec_record *recs, size_t n,
                                                       const llmspell_vec_batch_options *opts);
/* Fills *out (id, embedding, dim, metadata, scope, times): copies that stay valid until the
   calling thread's next call on v. An expired record is ERR_NOT_FOUND. */
LLMSPELL_DEF llmspell_result llmspell_vec_get(llmspell_vec *v, const char *id, llmspell_vec_record *out);
/* ERR_NOT_FOUND if absent (or expired). */
LLMSPELL_DEF llmspell_result llmspell_vec_delete(llmspell_vec *v, const char *id);
/* Deletes every expired record; *purged (may be NULL) receives how many. Writes also purge. */
LLMSPELL_DEF llmspell_result llmspell_vec_purge_expired(llmspell_vec *v, size_t *purged);
/* Calls fn for every live record in id order (for export); a non-zero return stops. The
   record's pointers are valid during the call only. The collection is read-locked meanwhile
   (and a kv collection's store holds a read snapshot): fn may read v and the kv, but a write
   to v from fn is ERR_BUSY. */
typedef int (*llmspell_vec_each_fn)(void *user, const llmspell_vec_record *rec);
LLMSPELL_DEF llmspell_result llmspell_vec_each(llmspell_vec *v, llmspell_vec_each_fn fn, void *user);

/* >>filters over the metadata's top-level scalar fields (string, integer, float, bool, null).
   Numbers compare numerically across integer and float; strings by bytes; bool and null only
   with eq / ne / in. A record without the field, or with a nested value there, matches no
   condition on it (ne included), as in SQL. */
typedef enum llmspell_vec_value_type {
    LLMSPELL_VAL_NULL = 0,
    LLMSPELL_VAL_BOOL,
    LLMSPELL_VAL_INT,
    LLMSPELL_VAL_DOUBLE,
    LLMSPELL_VAL_STRING
} llmspell_vec_value_type;

typedef struct llmspell_vec_value {
    llmspell_vec_value_type type;
    int64_t i;      /* INT, and BOOL (0/1) */
    double d;       /* DOUBLE */
    const char *s;  /* STRING (NUL-terminated unless slen > 0) */
    size_t slen;
} llmspell_vec_value;

typedef enum llmspell_vec_op {
    LLMSPELL_F_EQ = 1, LLMSPELL_F_NE, LLMSPELL_F_LT, LLMSPELL_F_LE, LLMSPELL_F_GT, LLMSPELL_F_GE,
    LLMSPELL_F_RANGE, /* lo <= x <= hi (value, value2) */
    LLMSPELL_F_IN,    /* x equals one of values[0..nvalues) */
    LLMSPELL_F_AND,   /* every child */
    LLMSPELL_F_OR     /* any child */
} llmspell_vec_op;

typedef struct llmspell_vec_filter {
    llmspell_vec_op op;
    const char *field;                     /* comparisons */
    llmspell_vec_value value, value2;
    const llmspell_vec_value *values;      /* IN */
    size_t nvalues;
    const struct llmspell_vec_filter *children; /* AND / OR (at most 64 deep) */
    size_t nchildren;
} llmspell_vec_filter;

/* >>field indexes on top-level metadata fields that filters use often (tenant, document type,
   date): a filter on an indexed field finds its matches without testing every record, so
   llmspell_vec_search answers a selective filter exactly from the matches and searches the
   graph over the matches of a broader one. Equality and IN for every scalar; <, <=, >, >= and
   RANGE for numbers (on strings, and ne, the filter tests records as without an index). About
   16 bytes per record that has the field. The declaration is kept in the kv (in memory for a
   collection without one); the index is built from the records when the collection opens.
   Answers are the same with or without an index. */
/* Indexes field (1..LLMSPELL_VEC_MAX_NAME bytes). ERR_EXISTS if it is indexed already. */
LLMSPELL_DEF llmspell_result llmspell_vec_index_field(llmspell_vec *v, const char *field);
/* Drops the index of field. ERR_NOT_FOUND if it has none. */
LLMSPELL_DEF llmspell_result llmspell_vec_unindex_field(llmspell_vec *v, const char *field);

/* >>search */
typedef struct llmspell_vec_query {
    const float *vector;
    uint32_t dim;                      /* routes the query to the index of that dimension */
    size_t k;                          /* 1..LLMSPELL_VEC_MAX_K */
    uint32_t ef;                       /* 0 = the collection's ef_search; raised to k when smaller */
    const llmspell_vec_filter *filter; /* NULL = none */
    size_t rerank;                     /* quantized collection with a kv: the best max(k, rerank)
                                          candidates are scored again on the float32 the kv
                                          keeps, and the best k of them returned with exact
                                          scores (0, f32 or no kv: as measured); search only */
} llmspell_vec_query;

typedef struct llmspell_vec_hit {
    const char *id;
    float score;                       /* see the metric table at the top */
    const char *metadata;              /* the JSON object as added, in canonical form (compact) */
    size_t metadata_len;
} llmspell_vec_hit;

/* Writes up to q->k hits, best first, to hits[] and their number to *n (fewer than k when the
   collection, or the filter, has fewer). A dimension the collection has no vectors of gives
   ERR_NOT_FOUND. With a filter the planner scans the matching records exactly when they are
   few, and otherwise searches the graph keeping only matches, widening the search until k are
   found. The pointers in hits are copies that stay valid until the calling thread's next call
   on v. */
LLMSPELL_DEF llmspell_result llmspell_vec_search(llmspell_vec *v, const llmspell_vec_query *q, llmspell_vec_hit *hits,
                                                 size_t *n);
/* The exact k best by brute force (same filter rules): for recall measurements and tests. */
LLMSPELL_DEF llmspell_result llmspell_vec_search_exact(llmspell_vec *v, const llmspell_vec_query *q, llmspell_vec_hit *hits,
                                                       size_t *n);

#ifdef __cplusplus
}
#endif
#endif /* LLMSPELL_VEC_H */

/* ======================================================================================== */
/*   STORED FORM: vec's keys, records and settings. Compiled, as static functions, into the   */
/*   file that implements vec and into the one that implements llmspell_export.h, so the     */
/*   format has one owner and export needs no link to vec.                                   */
/* ======================================================================================== */
#if (defined(LLMSPELL_IMPLEMENTATION) || defined(LLMSPELL_VEC_IMPLEMENTATION) || defined(LLMSPELL_EXPORT_IMPLEMENTATION)) && \
    !defined(LLMSPELL__VEC_FORM_ONCE)
#include "llmspell_export.h" /* canonical metadata; its implementation may compile this section first */
#endif
#if (defined(LLMSPELL_IMPLEMENTATION) || defined(LLMSPELL_VEC_IMPLEMENTATION) || defined(LLMSPELL_EXPORT_IMPLEMENTATION)) && \
    !defined(LLMSPELL__VEC_FORM_ONCE)
#define LLMSPELL__VEC_FORM_ONCE
#include <string.h>

/* >>storage: keys and blobs. Everything of collection `name` sits under
       0xFF 'V' 'm' tuple(name)                           settings "LVC1", write generation, count
       0xFF 'V' 'r' tuple(name) tuple(id)                 one record "LVR1"
       0xFF 'V' 'h' tuple(name) u32(dim)                  graph header of one dimension
       0xFF 'V' 'p' tuple(name) u32(dim) u32(page)        64 graph nodes "LVP1"
       0xFF 'V' 'f' tuple(name) tuple(field)              a declared field index "LVF1"
   Every write transaction bumps the generation in the settings and in each graph header, so a
   header whose generation differs from the settings' belongs to another state of the records
   (written by something that did not update the graph, say an import): the graph is rebuilt.
   Readers enforce the format's own bounds only (ids up to 65535 bytes: a page stores their
   length in 16 bits; any dimension from 1), never LLMSPELL_VEC_MAX_* of the file reading, so a
   store written with larger options still loads, exports and imports everywhere. */
#define LLMSPELL__VEC_FORM_MAX_ID 65535u
#define LLMSPELL__VTAG_SETTINGS 'm' /* the key tags above */
#define LLMSPELL__VTAG_RECORD 'r'
#define LLMSPELL__VTAG_HEADER 'h'
#define LLMSPELL__VTAG_PAGE 'p'
#define LLMSPELL__VEC_FORM_MAX_NAME LLMSPELL_VEC_MAX_NAME /* fixed, not an option */
LLMSPELL__UNUSED_DATA static const char *const llmspell__vec_metric_names[3] = {"cosine", "l2", "ip"}; /* by llmspell_metric */
LLMSPELL__UNUSED_DATA static const char *const llmspell__vec_quant_names[3] = {"f32", "f16", "int8"}; /* by llmspell_vec_quant */

/* 0xFF 'V' tag tuple(name) [+ tuple(id)] [+ u32 dim [+ u32 page]] into k[0..cap); returns the
   length the key needs (written only when it fits, snprintf style). */
LLMSPELL__UNUSED static size_t llmspell__vkey(uint8_t *k, size_t cap, char tag, const char *name, size_t nlen, const char *id, size_t idlen, int ndim,
                             uint32_t dim, int npage, uint32_t page) {
    size_t n = llmspell__ns_head(k, cap, LLMSPELL__NS_VEC, tag);
    n += llmspell_tuple_put_bytes(k ? k + n : NULL, cap > n ? cap - n : 0, name, nlen);
    if (id) n += llmspell_tuple_put_bytes(k ? k + n : NULL, cap > n ? cap - n : 0, id, idlen);
    if (ndim) n += llmspell_tuple_put_u64(k ? k + n : NULL, cap > n ? cap - n : 0, dim);
    if (npage) n += llmspell_tuple_put_u64(k ? k + n : NULL, cap > n ? cap - n : 0, page);
    return n;
}

/* settings: "LVC1" u8 metric, u8 quant (0 before quantized collections), u16 M, u32 ef_construction, u32 ef_search, u64 generation,
   u64 live records, i64 created, u32 0, u32 CRC-32C of the 44 bytes before it */
#define LLMSPELL__META_SIZE 48
LLMSPELL__UNUSED static void llmspell__meta_blob(uint8_t b[LLMSPELL__META_SIZE], const llmspell_vec_config *cfg, uint64_t gen, uint64_t count,
                                llmspell_time created) {
    memcpy(b, "LVC1", 4);
    b[4] = (uint8_t)cfg->metric;
    b[5] = (uint8_t)cfg->quant;
    b[6] = (uint8_t)cfg->M;
    b[7] = (uint8_t)(cfg->M >> 8);
    llmspell__put32(b + 8, cfg->ef_construction);
    llmspell__put32(b + 12, cfg->ef_search);
    llmspell__put64(b + 16, gen);
    llmspell__put64(b + 24, count);
    llmspell__puti64(b + 32, created);
    llmspell__put32(b + 40, 0);
    llmspell__put32(b + 44, llmspell_crc32c(0, b, 44));
}

/* a declared field index: "LVF1", u32 CRC-32C of "LVF1" and the field's name (the key's) */
#define LLMSPELL__FDECL_SIZE 8
LLMSPELL__UNUSED static void llmspell__fdecl_blob(uint8_t b[LLMSPELL__FDECL_SIZE], const char *field, size_t n) {
    memcpy(b, "LVF1", 4);
    llmspell__put32(b + 4, llmspell_crc32c(llmspell_crc32c(0, b, 4), field, n));
}

LLMSPELL__UNUSED static int llmspell__fdecl_ok(const uint8_t *b, size_t bn, const char *field, size_t n) {
    return bn == LLMSPELL__FDECL_SIZE && memcmp(b, "LVF1", 4) == 0 && llmspell__get32(b + 4) == llmspell_crc32c(llmspell_crc32c(0, b, 4), field, n);
}

/* The ranges llmspell_vec_create accepts (after defaults): NULL, or what is wrong. */
LLMSPELL__UNUSED static const char *llmspell__vec_config_error(const llmspell_vec_config *c) {
    if ((unsigned)c->metric > LLMSPELL_METRIC_IP) return "unknown metric";
    if ((unsigned)c->quant > LLMSPELL_VEC_INT8) return "unknown quantization";
    if (c->M < 2 || c->M > 100) return "M is outside 2..100";
    if (c->ef_construction < 1 || c->ef_construction > 100000) return "ef_construction is outside 1..100000";
    if (c->ef_search < 1 || c->ef_search > 100000) return "ef_search is outside 1..100000";
    return NULL;
}

LLMSPELL__UNUSED static int llmspell__meta_parse(const uint8_t *b, size_t n, llmspell_vec_config *cfg, uint64_t *gen, uint64_t *count,
                                llmspell_time *created) {
    if (n != LLMSPELL__META_SIZE || memcmp(b, "LVC1", 4) != 0 || llmspell__get32(b + 44) != llmspell_crc32c(0, b, 44)) return 0;
    memset(cfg, 0, sizeof *cfg);
    cfg->metric = (llmspell_metric)b[4];
    cfg->quant = (llmspell_vec_quant)b[5];
    cfg->M = (uint32_t)b[6] | (uint32_t)b[7] << 8;
    cfg->ef_construction = llmspell__get32(b + 8);
    cfg->ef_search = llmspell__get32(b + 12);
    *gen = llmspell__get64(b + 16);
    *count = llmspell__get64(b + 24);
    *created = llmspell__geti64(b + 32);
    return llmspell__vec_config_error(cfg) == NULL;
}

/* The settings a bulk writer that does not maintain the HNSW graph (import) leaves: a new
   generation, so every saved graph of the collection is stale and rebuilt at the next open. */
LLMSPELL__UNUSED static void llmspell__meta_after_bulk(uint8_t b[LLMSPELL__META_SIZE], const llmspell_vec_config *cfg, uint64_t old_gen,
                                      uint64_t count, llmspell_time created) {
    llmspell__meta_blob(b, cfg, old_gen + 1, count, created);
}

/* Metadata as vec keeps it: llmspell_export.h's canonical form of a JSON object, members in
   the order given. */
LLMSPELL__UNUSED static llmspell_result llmspell__vec_meta_canon(llmspell_json_doc *doc, const char *text, size_t n, llmspell_json_sink sink,
                                                                 void *user, llmspell_json_error *err) {
    return llmspell_json_canonical(doc, text, n, LLMSPELL_JSON_CANON_OBJECT, sink, user, err);
}

/* A vector written as JSON text "[0.1, 2, ...]" (rs-llmspell's PostgreSQL export, the
   command line), parsed into doc: its count of numbers in *count. NULL, or what is wrong (""
   when out of memory). llmspell__vec_text_floats then gives the numbers as float32. */
LLMSPELL__UNUSED static const char *llmspell__vec_text_parse(llmspell_json_doc *doc, const char *s, size_t n, size_t *count) {
    const llmspell_json_value *root;
    llmspell_json_error je;
    size_t i;
    *count = 0;
    if (llmspell_json_parse_into(doc, s, n, NULL, &je) != LLMSPELL_OK) return je.code == LLMSPELL_ERR_NOMEM ? "" : "its text is not valid JSON";
    root = llmspell_json_doc_root(doc);
    if (root->type != LLMSPELL_JSON_ARRAY) return "its text is not a JSON array";
    for (i = 0; i < root->len; i++)
        if (root->u.items[i].type != LLMSPELL_JSON_NUMBER) return "its text holds something other than numbers";
    *count = root->len;
    return NULL;
}
LLMSPELL__UNUSED static void llmspell__vec_text_floats(const llmspell_json_doc *doc, float *out) {
    const llmspell_json_value *root = llmspell_json_doc_root(doc);
    size_t i;
    for (i = 0; i < root->len; i++) out[i] = (float)root->u.items[i].d;
}

/* record: "LVR1" u32 dim, i64 created, updated, expires, u32 scope len, u32 metadata len,
   scope, metadata, dim float32 (little-endian), u32 CRC-32C of all before it */
typedef struct llmspell__recview {
    uint32_t dim;
    llmspell_time created, updated, expires;
    const char *scope, *meta;
    uint32_t scopelen, metalen;
    const uint8_t *vec; /* dim little-endian float32 */
} llmspell__recview;

LLMSPELL__UNUSED static int llmspell__rec_parse(const uint8_t *b, size_t n, llmspell__recview *rv) {
    if (n < 44 || memcmp(b, "LVR1", 4) != 0 || llmspell__get32(b + n - 4) != llmspell_crc32c(0, b, n - 4)) return 0;
    n -= 4;
    rv->dim = llmspell__get32(b + 4);
    rv->created = llmspell__geti64(b + 8);
    rv->updated = llmspell__geti64(b + 16);
    rv->expires = llmspell__geti64(b + 24);
    rv->scopelen = llmspell__get32(b + 32);
    rv->metalen = llmspell__get32(b + 36);
    if (rv->dim == 0 || rv->scopelen > n || rv->metalen > n || (n - 40) / 4 < rv->dim ||
        40 + (size_t)rv->scopelen + rv->metalen + 4 * (size_t)rv->dim != n)
        return 0;
    rv->scope = (const char *)b + 40;
    rv->meta = rv->scope + rv->scopelen;
    rv->vec = (const uint8_t *)rv->meta + rv->metalen;
    return 1;
}

LLMSPELL__UNUSED static size_t llmspell__rec_size(const llmspell__recview *rv) {
    return 40 + (size_t)rv->scopelen + rv->metalen + (size_t)rv->dim * 4 + 4;
}

/* Writes the record to b (llmspell__rec_size bytes): the vector from host floats when given,
   else rv->vec's little-endian bytes. */
LLMSPELL__UNUSED static void llmspell__rec_write(uint8_t *b, const llmspell__recview *rv, const float *host) {
    size_t n = llmspell__rec_size(rv), i;
    uint8_t *p = b + 40;
    memcpy(b, "LVR1", 4);
    llmspell__put32(b + 4, rv->dim);
    llmspell__puti64(b + 8, rv->created);
    llmspell__puti64(b + 16, rv->updated);
    llmspell__puti64(b + 24, rv->expires);
    llmspell__put32(b + 32, rv->scopelen);
    llmspell__put32(b + 36, rv->metalen);
    if (rv->scopelen) memcpy(p, rv->scope, rv->scopelen);
    p += rv->scopelen;
    if (rv->metalen) memcpy(p, rv->meta, rv->metalen);
    p += rv->metalen;
    if (host) {
        for (i = 0; i < rv->dim; i++, p += 4) {
            uint32_t u;
            memcpy(&u, &host[i], 4);
            llmspell__put32(p, u);
        }
    } else {
        memcpy(p, rv->vec, (size_t)rv->dim * 4);
        p += (size_t)rv->dim * 4;
    }
    llmspell__put32(p, llmspell_crc32c(0, b, n - 4)); /* so a changed byte is never taken as data */
}

#endif /* LLMSPELL__VEC_FORM_ONCE */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#if defined(LLMSPELL_IMPLEMENTATION) && !defined(LLMSPELL_VEC_IMPLEMENTATION)
#define LLMSPELL_VEC_IMPLEMENTATION
#endif

#ifdef LLMSPELL_VEC_IMPLEMENTATION
#ifndef LLMSPELL_VEC_IMPLEMENTATION_ONCE
#define LLMSPELL_VEC_IMPLEMENTATION_ONCE

/* Metadata is JSON in the family's one dialect: llmspell_export.h's reader and canonical form,
   so its implementation must be in the program too (LLMSPELL_EXPORT_IMPLEMENTATION). */
#include "llmspell_export.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LLMSPELL_MALLOC / REALLOC / FREE: llmspell_kv.h's shared section */

/* One place decides which SIMD variants are compiled (see STYLE.md: no && / || chains at the
   use sites). Each is still only called after llmspell_cpu_features (llmspell_kv.h, the one
   owner of CPU detection) says the CPU and OS run it.
     x86     x86-64 (GCC, clang, MSVC); 32-bit x86 only when built for SSE2 (-msse2, /arch:SSE2),
             the sse kernel's baseline. AVX2 / AVX-512 code is compiled per function (a target
             attribute on GCC / clang; MSVC compiles the intrinsics without flags).
     NEON    aarch64, and 32-bit ARM built with NEON (-mfpu=neon...): always present then. */
#if defined(__x86_64__) || (defined(_M_X64) && !defined(_M_ARM64EC))
#define LLMSPELL__VEC_X86_ARCH 1
#elif defined(__i386__) || defined(_M_IX86)
#if defined(__SSE2__) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define LLMSPELL__VEC_X86_ARCH 1
#endif
#endif
#if defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER)
#define LLMSPELL__VEC_X86_CC 1
#endif
#if !defined(LLMSPELL_VEC_NO_SIMD) && defined(LLMSPELL__VEC_X86_ARCH) && defined(LLMSPELL__VEC_X86_CC)
#define LLMSPELL__VEC_X86 1
#include <immintrin.h>
#if defined(_MSC_VER) && defined(__clang__) /* clang-cl before 19: immintrin.h leaves out what -m does not enable */
#include <smmintrin.h>
#include <avxintrin.h>
#include <avx2intrin.h>
#include <fmaintrin.h>
#include <avx512fintrin.h>
#include <avx512bwintrin.h>
#include <avx512vnniintrin.h>
#include <f16cintrin.h>
#endif
#endif
#if !defined(LLMSPELL_VEC_NO_SIMD) && (defined(__ARM_NEON) || defined(_M_ARM64))
#define LLMSPELL__VEC_NEON 1
#include <arm_neon.h>
#endif

/* A function compiled for more than the build's baseline (the run-time check guards each call). */
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__VEC_TARGET(t) __attribute__((target(t)))
#else
#define LLMSPELL__VEC_TARGET(t)
#endif

/* A hint that a vector will be read soon (the HNSW neighbour loop). */
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__VEC_PREFETCH(p) __builtin_prefetch(p)
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86)) && !defined(_M_ARM64EC)
#include <xmmintrin.h>
#define LLMSPELL__VEC_PREFETCH(p) _mm_prefetch((const char *)(p), _MM_HINT_T0)
#else
#define LLMSPELL__VEC_PREFETCH(p) ((void)0)
#endif

/* >>kernels: the scalar reference is the definition; the variants must agree with it within
   float rounding (the summation order differs). */

static float llmspell__dot_ref(const float *a, const float *b, size_t n) {
    float s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static float llmspell__l2sq_ref(const float *a, const float *b, size_t n) {
    float s = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

static float llmspell__cos_finish(float dot, float na, float nb) {
    return na > 0 && nb > 0 ? dot / (sqrtf(na) * sqrtf(nb)) : 0.0f;
}

static float llmspell__cos_ref(const float *a, const float *b, size_t n) {
    float d = 0, na = 0, nb = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        d += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
    }
    return llmspell__cos_finish(d, na, nb);
}

/* IEEE half precision, the reference conversions (F16C's and NEON's agree with them). */
static float llmspell__f16_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (uint32_t)(h >> 10) & 0x1Fu, m = h & 0x3FFu, u;
    float f;
    if (e == 0) { /* zero or subnormal: m * 2^-24 */
        f = (float)m * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    u = sign | (e == 31 ? 0x7F800000u : (e + 112) << 23) | m << 13;
    memcpy(&f, &u, 4);
    return f;
}

/* Rounded to nearest, ties to even; beyond 65504 (after rounding) infinity. */
static uint16_t llmspell__f32_f16(float f) {
    uint32_t u, sign, e, m, h, rest, half, shift;
    memcpy(&u, &f, 4);
    sign = (u >> 16) & 0x8000u;
    e = (u >> 23) & 0xFFu;
    m = u & 0x7FFFFFu;
    if (e == 0xFF) return (uint16_t)(sign | 0x7C00u | (m ? 0x200u : 0)); /* infinity, NaN */
    if (e >= 143) return (uint16_t)(sign | 0x7C00u);                      /* 2^16 and beyond */
    if (e >= 113) {                                                          /* a normal half */
        h = sign | (e - 112) << 10 | m >> 13;
        rest = m & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++; /* a carry into the exponent is right, up to infinity */
        return (uint16_t)h;
    }
    if (e < 102) return (uint16_t)sign; /* under half the smallest subnormal */
    m |= 0x800000u;                     /* a subnormal half: m * 2^(e - 150) in units of 2^-24 */
    shift = 126 - e;
    h = m >> shift;
    rest = m & ((1u << shift) - 1);
    half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

static float llmspell__dot_f16_ref(const uint16_t *a, const uint16_t *b, size_t n) {
    float s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += llmspell__f16_f32(a[i]) * llmspell__f16_f32(b[i]);
    return s;
}

static float llmspell__l2sq_f16_ref(const uint16_t *a, const uint16_t *b, size_t n) {
    float s = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        float d = llmspell__f16_f32(a[i]) - llmspell__f16_f32(b[i]);
        s += d * d;
    }
    return s;
}

static int32_t llmspell__dot_i8_ref(const int8_t *a, const int8_t *b, size_t n) {
    int32_t s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += (int32_t)a[i] * b[i];
    return s;
}

static const llmspell_vec_kernel llmspell__k_scalar = {"scalar",          llmspell__dot_ref,      llmspell__l2sq_ref,
                                                       llmspell__cos_ref, llmspell__dot_f16_ref, llmspell__l2sq_f16_ref,
                                                       llmspell__dot_i8_ref};

#ifdef LLMSPELL__VEC_X86
/* SSE2 is part of x86-64, and of every 32-bit build the gate above lets in. */
static float llmspell__hsum128(__m128 v) {
    __m128 s = _mm_add_ps(v, _mm_movehl_ps(v, v));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

static float llmspell__dot_sse(const float *a, const float *b, size_t n) {
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    }
    for (; i + 4 <= n; i += 4) s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    s = llmspell__hsum128(_mm_add_ps(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static float llmspell__l2sq_sse(const float *a, const float *b, size_t n) {
    __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        __m128 d0 = _mm_sub_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i));
        __m128 d1 = _mm_sub_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4));
        s0 = _mm_add_ps(s0, _mm_mul_ps(d0, d0));
        s1 = _mm_add_ps(s1, _mm_mul_ps(d1, d1));
    }
    for (; i + 4 <= n; i += 4) {
        __m128 d = _mm_sub_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i));
        s0 = _mm_add_ps(s0, _mm_mul_ps(d, d));
    }
    s = llmspell__hsum128(_mm_add_ps(s0, s1));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

static float llmspell__cos_sse(const float *a, const float *b, size_t n) {
    __m128 d = _mm_setzero_ps(), x = _mm_setzero_ps(), y = _mm_setzero_ps();
    __m128 d2 = _mm_setzero_ps(), x2 = _mm_setzero_ps(), y2 = _mm_setzero_ps();
    size_t i = 0;
    float sd, sx, sy;
    for (; i + 8 <= n; i += 8) { /* two sets of sums: independent chains hide the add latency */
        __m128 va = _mm_loadu_ps(a + i), vb = _mm_loadu_ps(b + i);
        __m128 wa = _mm_loadu_ps(a + i + 4), wb = _mm_loadu_ps(b + i + 4);
        d = _mm_add_ps(d, _mm_mul_ps(va, vb));
        x = _mm_add_ps(x, _mm_mul_ps(va, va));
        y = _mm_add_ps(y, _mm_mul_ps(vb, vb));
        d2 = _mm_add_ps(d2, _mm_mul_ps(wa, wb));
        x2 = _mm_add_ps(x2, _mm_mul_ps(wa, wa));
        y2 = _mm_add_ps(y2, _mm_mul_ps(wb, wb));
    }
    d = _mm_add_ps(d, d2);
    x = _mm_add_ps(x, x2);
    y = _mm_add_ps(y, y2);
    for (; i + 4 <= n; i += 4) {
        __m128 va = _mm_loadu_ps(a + i), vb = _mm_loadu_ps(b + i);
        d = _mm_add_ps(d, _mm_mul_ps(va, vb));
        x = _mm_add_ps(x, _mm_mul_ps(va, va));
        y = _mm_add_ps(y, _mm_mul_ps(vb, vb));
    }
    sd = llmspell__hsum128(d);
    sx = llmspell__hsum128(x);
    sy = llmspell__hsum128(y);
    for (; i < n; i++) {
        sd += a[i] * b[i];
        sx += a[i] * a[i];
        sy += b[i] * b[i];
    }
    return llmspell__cos_finish(sd, sx, sy);
}

LLMSPELL__VEC_TARGET("avx2,fma") static float llmspell__hsum256(__m256 v) {
    return llmspell__hsum128(_mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1)));
}

/* Four accumulators hide the FMA latency. */
LLMSPELL__VEC_TARGET("avx2,fma") static float llmspell__dot_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s = llmspell__hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

LLMSPELL__VEC_TARGET("avx2,fma") static float llmspell__l2sq_avx2(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    s = llmspell__hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

LLMSPELL__VEC_TARGET("avx2,fma") static float llmspell__cos_avx2(const float *a, const float *b, size_t n) {
    __m256 d = _mm256_setzero_ps(), x = _mm256_setzero_ps(), y = _mm256_setzero_ps();
    __m256 d2 = _mm256_setzero_ps(), x2 = _mm256_setzero_ps(), y2 = _mm256_setzero_ps();
    size_t i = 0;
    float sd, sx, sy;
    for (; i + 16 <= n; i += 16) { /* two sets of sums: independent FMA chains */
        __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        __m256 wa = _mm256_loadu_ps(a + i + 8), wb = _mm256_loadu_ps(b + i + 8);
        d = _mm256_fmadd_ps(va, vb, d);
        x = _mm256_fmadd_ps(va, va, x);
        y = _mm256_fmadd_ps(vb, vb, y);
        d2 = _mm256_fmadd_ps(wa, wb, d2);
        x2 = _mm256_fmadd_ps(wa, wa, x2);
        y2 = _mm256_fmadd_ps(wb, wb, y2);
    }
    d = _mm256_add_ps(d, d2);
    x = _mm256_add_ps(x, x2);
    y = _mm256_add_ps(y, y2);
    for (; i + 8 <= n; i += 8) {
        __m256 va = _mm256_loadu_ps(a + i), vb = _mm256_loadu_ps(b + i);
        d = _mm256_fmadd_ps(va, vb, d);
        x = _mm256_fmadd_ps(va, va, x);
        y = _mm256_fmadd_ps(vb, vb, y);
    }
    sd = llmspell__hsum256(d);
    sx = llmspell__hsum256(x);
    sy = llmspell__hsum256(y);
    for (; i < n; i++) {
        sd += a[i] * b[i];
        sx += a[i] * a[i];
        sy += b[i] * b[i];
    }
    return llmspell__cos_finish(sd, sx, sy);
}

/* SSE2 has no byte multiply: bytes widened to 16 bits (each doubled, then shifted back with
   its sign), pairs multiplied and summed to 32 bits. Half-precision conversion is F16C's. */
static int32_t llmspell__dot_i8_sse(const int8_t *a, const int8_t *b, size_t n) {
    __m128i s = _mm_setzero_si128();
    size_t i = 0;
    int32_t r;
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(a + i)), y = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i xl = _mm_srai_epi16(_mm_unpacklo_epi8(x, x), 8), yl = _mm_srai_epi16(_mm_unpacklo_epi8(y, y), 8);
        __m128i xh = _mm_srai_epi16(_mm_unpackhi_epi8(x, x), 8), yh = _mm_srai_epi16(_mm_unpackhi_epi8(y, y), 8);
        s = _mm_add_epi32(s, _mm_add_epi32(_mm_madd_epi16(xl, yl), _mm_madd_epi16(xh, yh)));
    }
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    r = _mm_cvtsi128_si32(s);
    for (; i < n; i++) r += (int32_t)a[i] * b[i];
    return r;
}

LLMSPELL__VEC_TARGET("avx2,fma,f16c") static float llmspell__dot_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i))), s0);
        s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i + 8))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i + 8))), s1);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i))),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i))), s0);
    s = llmspell__hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) s += llmspell__f16_f32(a[i]) * llmspell__f16_f32(b[i]);
    return s;
}

LLMSPELL__VEC_TARGET("avx2,fma,f16c") static float llmspell__l2sq_f16_avx2(const uint16_t *a, const uint16_t *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = _mm256_sub_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i))),
                                  _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i))));
        __m256 d1 = _mm256_sub_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i + 8))),
                                  _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i + 8))));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(a + i))),
                                 _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + i))));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    s = llmspell__hsum256(_mm256_add_ps(s0, s1));
    for (; i < n; i++) {
        float d = llmspell__f16_f32(a[i]) - llmspell__f16_f32(b[i]);
        s += d * d;
    }
    return s;
}

/* |x| times y with x's sign (maddubs multiplies unsigned by signed bytes), pairs summed to 16
   bits (at most 2 * 127 * 127: no saturation in -127..127), then to 32. */
LLMSPELL__VEC_TARGET("avx2,fma") static int32_t llmspell__dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256(), one = _mm256_set1_epi16(1);
    __m128i t;
    size_t i = 0;
    int32_t r;
    for (; i + 64 <= n; i += 64) {
        __m256i x0 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i)), y0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
        __m256i x1 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i + 32));
        __m256i y1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i + 32));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(x0, x0), _mm256_sign_epi8(y0, x0)), one));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(x1, x1), _mm256_sign_epi8(y1, x1)), one));
    }
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(a + i)), y = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x)), one));
    }
    s0 = _mm256_add_epi32(s0, s1);
    t = _mm_add_epi32(_mm256_castsi256_si128(s0), _mm256_extracti128_si256(s0, 1));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm_add_epi32(t, _mm_shuffle_epi32(t, _MM_SHUFFLE(2, 3, 0, 1)));
    r = _mm_cvtsi128_si32(t);
    for (; i < n; i++) r += (int32_t)a[i] * b[i];
    return r;
}

/* GCC 12's AVX-512 intrinsics seed results with a self-initialised "undefined" vector, which
   its own -Wuninitialized then reports under C++ -O2: silence that here only. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

/* Folds 16 lanes to one. */
LLMSPELL__VEC_TARGET("avx512f") static float llmspell__hsum512(__m512 v) {
    __m512 t = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    t = _mm512_add_ps(t, _mm512_shuffle_f32x4(t, t, _MM_SHUFFLE(2, 3, 0, 1)));
    return llmspell__hsum128(_mm512_castps512_ps128(t));
}

/* AVX-512: masked loads take the tail, so there is no scalar loop. */
LLMSPELL__VEC_TARGET("avx512f") static float llmspell__dot_avx512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
    }
    return llmspell__hsum512(_mm512_add_ps(s0, s1));
}

LLMSPELL__VEC_TARGET("avx512f") static float llmspell__l2sq_avx512(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    return llmspell__hsum512(_mm512_add_ps(s0, s1));
}

LLMSPELL__VEC_TARGET("avx512f") static float llmspell__cos_avx512(const float *a, const float *b, size_t n) {
    __m512 d = _mm512_setzero_ps(), x = _mm512_setzero_ps(), y = _mm512_setzero_ps();
    __m512 d2 = _mm512_setzero_ps(), x2 = _mm512_setzero_ps(), y2 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) { /* two sets of sums: independent FMA chains */
        __m512 va = _mm512_loadu_ps(a + i), vb = _mm512_loadu_ps(b + i);
        __m512 wa = _mm512_loadu_ps(a + i + 16), wb = _mm512_loadu_ps(b + i + 16);
        d = _mm512_fmadd_ps(va, vb, d);
        x = _mm512_fmadd_ps(va, va, x);
        y = _mm512_fmadd_ps(vb, vb, y);
        d2 = _mm512_fmadd_ps(wa, wb, d2);
        x2 = _mm512_fmadd_ps(wa, wa, x2);
        y2 = _mm512_fmadd_ps(wb, wb, y2);
    }
    d = _mm512_add_ps(d, d2);
    x = _mm512_add_ps(x, x2);
    y = _mm512_add_ps(y, y2);
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 va = _mm512_maskz_loadu_ps(m, a + i), vb = _mm512_maskz_loadu_ps(m, b + i);
        d = _mm512_fmadd_ps(va, vb, d);
        x = _mm512_fmadd_ps(va, va, x);
        y = _mm512_fmadd_ps(vb, vb, y);
    }
    return llmspell__cos_finish(llmspell__hsum512(d), llmspell__hsum512(x), llmspell__hsum512(y));
}

/* Half precision 16 lanes at a time (AVX-512F converts); the tail as the reference does. Bytes
   use VNNI (below) where the CPU has it and BW, else AVX2's kernel. */
LLMSPELL__VEC_TARGET("avx512f") static float llmspell__dot_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + i))),
                             _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(b + i))), s0);
        s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + i + 16))),
                             _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(b + i + 16))), s1);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + i))),
                             _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(b + i))), s0);
    s = llmspell__hsum512(_mm512_add_ps(s0, s1));
    for (; i < n; i++) s += llmspell__f16_f32(a[i]) * llmspell__f16_f32(b[i]);
    return s;
}

LLMSPELL__VEC_TARGET("avx512f") static float llmspell__l2sq_f16_avx512(const uint16_t *a, const uint16_t *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps();
    size_t i = 0;
    float s;
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(a + i))),
                                 _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(b + i))));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    s = llmspell__hsum512(s0);
    for (; i < n; i++) {
        float d = llmspell__f16_f32(a[i]) - llmspell__f16_f32(b[i]);
        s += d * d;
    }
    return s;
}

/* Bytes with AVX-512 VNNI (and BW): |x| as unsigned bytes times y negated where x is negative,
   four products summed into each 32-bit lane by one instruction (no 16-bit step: nothing
   saturates); masked loads take the tail. Offered as the avx512 kernel's where the CPU has it. */
LLMSPELL__VEC_TARGET("avx512f,avx512bw,avx512vnni") static int32_t llmspell__dot_i8_vnni(const int8_t *a, const int8_t *b, size_t n) {
    __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512(), zero = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        __m512i x0 = _mm512_loadu_si512((const void *)(a + i)), y0 = _mm512_loadu_si512((const void *)(b + i));
        __m512i x1 = _mm512_loadu_si512((const void *)(a + i + 64)), y1 = _mm512_loadu_si512((const void *)(b + i + 64));
        s0 = _mm512_dpbusd_epi32(s0, _mm512_abs_epi8(x0), _mm512_mask_sub_epi8(y0, _mm512_movepi8_mask(x0), zero, y0));
        s1 = _mm512_dpbusd_epi32(s1, _mm512_abs_epi8(x1), _mm512_mask_sub_epi8(y1, _mm512_movepi8_mask(x1), zero, y1));
    }
    for (; i < n; i += 64) {
        __mmask64 m = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        __m512i x = _mm512_maskz_loadu_epi8(m, a + i), y = _mm512_maskz_loadu_epi8(m, b + i);
        s0 = _mm512_dpbusd_epi32(s0, _mm512_abs_epi8(x), _mm512_mask_sub_epi8(y, _mm512_movepi8_mask(x), zero, y));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1));
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

static const llmspell_vec_kernel llmspell__k_sse = {"sse",          llmspell__dot_sse,     llmspell__l2sq_sse,     llmspell__cos_sse,
                                                    llmspell__dot_f16_ref, llmspell__l2sq_f16_ref, llmspell__dot_i8_sse};
static const llmspell_vec_kernel llmspell__k_avx2 = {"avx2",          llmspell__dot_avx2,      llmspell__l2sq_avx2,
                                                     llmspell__cos_avx2, llmspell__dot_f16_avx2, llmspell__l2sq_f16_avx2,
                                                     llmspell__dot_i8_avx2};
static const llmspell_vec_kernel llmspell__k_avx512 = {"avx512",          llmspell__dot_avx512,      llmspell__l2sq_avx512,
                                                       llmspell__cos_avx512, llmspell__dot_f16_avx512, llmspell__l2sq_f16_avx512,
                                                       llmspell__dot_i8_avx2};
static const llmspell_vec_kernel llmspell__k_avx512_vnni = {"avx512",          llmspell__dot_avx512,      llmspell__l2sq_avx512,
                                                            llmspell__cos_avx512, llmspell__dot_f16_avx512, llmspell__l2sq_f16_avx512,
                                                            llmspell__dot_i8_vnni};

/* The avx512 kernel, with VNNI's byte products where the CPU has them. */
static const llmspell_vec_kernel *llmspell__k_avx512_for(unsigned f) {
    return (f & LLMSPELL_CPU_AVX512_VNNI) ? &llmspell__k_avx512_vnni : &llmspell__k_avx512;
}

#endif /* LLMSPELL__VEC_X86 */

#ifdef LLMSPELL__VEC_NEON
/* aarch64 has a fused multiply-add and an add across lanes. 32-bit ARM NEON has the fused one
   only with VFPv4 (-mfpu=neon-vfpv4: __ARM_FEATURE_FMA), else multiply then add (vmla), and
   folds the lanes pairwise. (ARMv7 NEON also flushes subnormal inputs and results to zero.) */
#if defined(__aarch64__) || defined(_M_ARM64) || defined(__ARM_FEATURE_FMA)
#define LLMSPELL__VEC_FMA(s, a, b) vfmaq_f32(s, a, b)
#else
#define LLMSPELL__VEC_FMA(s, a, b) vmlaq_f32(s, a, b)
#endif

static float llmspell__hsum_neon(float32x4_t v) {
#if defined(__aarch64__) || defined(_M_ARM64)
    return vaddvq_f32(v);
#else
    float32x2_t t = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(vpadd_f32(t, t), 0);
#endif
}

static float llmspell__dot_neon(const float *a, const float *b, size_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        s0 = LLMSPELL__VEC_FMA(s0, vld1q_f32(a + i), vld1q_f32(b + i));
        s1 = LLMSPELL__VEC_FMA(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
    }
    for (; i + 4 <= n; i += 4) s0 = LLMSPELL__VEC_FMA(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s = llmspell__hsum_neon(vaddq_f32(s0, s1));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

static float llmspell__l2sq_neon(const float *a, const float *b, size_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        float32x4_t d0 = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
        float32x4_t d1 = vsubq_f32(vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
        s0 = LLMSPELL__VEC_FMA(s0, d0, d0);
        s1 = LLMSPELL__VEC_FMA(s1, d1, d1);
    }
    for (; i + 4 <= n; i += 4) {
        float32x4_t d = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
        s0 = LLMSPELL__VEC_FMA(s0, d, d);
    }
    s = llmspell__hsum_neon(vaddq_f32(s0, s1));
    for (; i < n; i++) {
        float d = a[i] - b[i];
        s += d * d;
    }
    return s;
}

static float llmspell__cos_neon(const float *a, const float *b, size_t n) {
    float32x4_t d = vdupq_n_f32(0), x = vdupq_n_f32(0), y = vdupq_n_f32(0);
    size_t i = 0;
    float sd, sx, sy;
    for (; i + 4 <= n; i += 4) {
        float32x4_t va = vld1q_f32(a + i), vb = vld1q_f32(b + i);
        d = LLMSPELL__VEC_FMA(d, va, vb);
        x = LLMSPELL__VEC_FMA(x, va, va);
        y = LLMSPELL__VEC_FMA(y, vb, vb);
    }
    sd = llmspell__hsum_neon(d);
    sx = llmspell__hsum_neon(x);
    sy = llmspell__hsum_neon(y);
    for (; i < n; i++) {
        sd += a[i] * b[i];
        sx += a[i] * a[i];
        sy += b[i] * b[i];
    }
    return llmspell__cos_finish(sd, sx, sy);
}

/* Bytes: 8 products of 16 bits at a time, added in pairs into 32-bit lanes (ARMv7 too). */
static int32_t llmspell__dot_i8_neon(const int8_t *a, const int8_t *b, size_t n) {
    int32x4_t s0 = vdupq_n_s32(0), s1 = vdupq_n_s32(0);
    size_t i = 0;
    int32_t r;
    for (; i + 16 <= n; i += 16) {
        int8x16_t x = vld1q_s8(a + i), y = vld1q_s8(b + i);
        s0 = vpadalq_s16(s0, vmull_s8(vget_low_s8(x), vget_low_s8(y)));
        s1 = vpadalq_s16(s1, vmull_s8(vget_high_s8(x), vget_high_s8(y)));
    }
    s0 = vaddq_s32(s0, s1);
#if defined(__aarch64__) || defined(_M_ARM64)
    r = vaddvq_s32(s0);
#else
    {
        int32x2_t t = vadd_s32(vget_low_s32(s0), vget_high_s32(s0));
        r = vget_lane_s32(vpadd_s32(t, t), 0);
    }
#endif
    for (; i < n; i++) r += (int32_t)a[i] * b[i];
    return r;
}

/* Half precision: aarch64 converts (FCVTL) in every AdvSIMD unit; 32-bit ARM needs an FPU
   option GCC does not assume, and MSVC's ARM64 headers spell the types otherwise: both take
   the reference conversion. */
#if defined(__aarch64__)
#define LLMSPELL__VEC_NEON_F16 1
#define LLMSPELL__H2F_LO(x) vcvt_f32_f16(vreinterpret_f16_u16(vget_low_u16(x)))
#define LLMSPELL__H2F_HI(x) vcvt_f32_f16(vreinterpret_f16_u16(vget_high_u16(x)))
static float llmspell__dot_f16_neon(const uint16_t *a, const uint16_t *b, size_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t x = vld1q_u16(a + i), y = vld1q_u16(b + i);
        s0 = vfmaq_f32(s0, LLMSPELL__H2F_LO(x), LLMSPELL__H2F_LO(y));
        s1 = vfmaq_f32(s1, LLMSPELL__H2F_HI(x), LLMSPELL__H2F_HI(y));
    }
    s = vaddvq_f32(vaddq_f32(s0, s1));
    for (; i < n; i++) s += llmspell__f16_f32(a[i]) * llmspell__f16_f32(b[i]);
    return s;
}

static float llmspell__l2sq_f16_neon(const uint16_t *a, const uint16_t *b, size_t n) {
    float32x4_t s0 = vdupq_n_f32(0), s1 = vdupq_n_f32(0);
    size_t i = 0;
    float s;
    for (; i + 8 <= n; i += 8) {
        uint16x8_t x = vld1q_u16(a + i), y = vld1q_u16(b + i);
        float32x4_t d0 = vsubq_f32(LLMSPELL__H2F_LO(x), LLMSPELL__H2F_LO(y)), d1 = vsubq_f32(LLMSPELL__H2F_HI(x), LLMSPELL__H2F_HI(y));
        s0 = vfmaq_f32(s0, d0, d0);
        s1 = vfmaq_f32(s1, d1, d1);
    }
    s = vaddvq_f32(vaddq_f32(s0, s1));
    for (; i < n; i++) {
        float d = llmspell__f16_f32(a[i]) - llmspell__f16_f32(b[i]);
        s += d * d;
    }
    return s;
}
#else
#define llmspell__dot_f16_neon llmspell__dot_f16_ref
#define llmspell__l2sq_f16_neon llmspell__l2sq_f16_ref
#endif

static const llmspell_vec_kernel llmspell__k_neon = {"neon",          llmspell__dot_neon,      llmspell__l2sq_neon,
                                                     llmspell__cos_neon, llmspell__dot_f16_neon, llmspell__l2sq_f16_neon,
                                                     llmspell__dot_i8_neon};
#endif /* LLMSPELL__VEC_NEON */

LLMSPELL_DEF const llmspell_vec_kernel *llmspell_vec_kernel_best(void) {
#ifdef LLMSPELL__VEC_X86
    unsigned f = llmspell_cpu_features(); /* the instructions AND the OS saving the wide registers */
    return (f & LLMSPELL_CPU_AVX512) ? llmspell__k_avx512_for(f) : (f & LLMSPELL_CPU_AVX2) ? &llmspell__k_avx2 : &llmspell__k_sse;
#elif defined(LLMSPELL__VEC_NEON)
    return &llmspell__k_neon;
#else
    return &llmspell__k_scalar;
#endif
}

LLMSPELL_DEF const llmspell_vec_kernel *llmspell_vec_kernel_get(const char *name) {
    if (!name) return NULL;
    if (strcmp(name, "scalar") == 0) return &llmspell__k_scalar;
#ifdef LLMSPELL__VEC_X86
    if (strcmp(name, "sse") == 0) return &llmspell__k_sse;
    if (strcmp(name, "avx2") == 0) return (llmspell_cpu_features() & LLMSPELL_CPU_AVX2) ? &llmspell__k_avx2 : NULL;
    if (strcmp(name, "avx512") == 0) return (llmspell_cpu_features() & LLMSPELL_CPU_AVX512) ? llmspell__k_avx512_for(llmspell_cpu_features()) : NULL;
#endif
#ifdef LLMSPELL__VEC_NEON
    if (strcmp(name, "neon") == 0) return &llmspell__k_neon;
#endif
    return NULL;
}

/* >>structures ----------------------------------------------------------------------------- */

#define LLMSPELL__NONE 0xFFFFFFFFu
#define LLMSPELL__PAGE_NODES 64u   /* graph nodes per saved page */
#define LLMSPELL__MAX_LEVEL 31
#define LLMSPELL__MAX_M0 200       /* 2M for the largest M */
#define LLMSPELL__CHUNK_SHIFT 10
#define LLMSPELL__CHUNK (1u << LLMSPELL__CHUNK_SHIFT) /* level-0 blocks per chunk */
#ifndef LLMSPELL__LINK3_NODES                    /* tests lower it to widen small indexes */
#define LLMSPELL__LINK3_NODES (1u << 24)         /* an index this big takes 4-byte links */
#endif

typedef struct llmspell__vfld { /* one filterable top-level field of a record's metadata */
    uint32_t id;                /* interned field name */
    uint32_t type;              /* llmspell_vec_value_type */
    int64_t i;
    double d;
    const char *s;
    size_t slen;
} llmspell__vfld;

typedef struct llmspell__vrec { /* a collection holds one per vector: what is here is what a search reads */
    char *blob;                 /* one allocation: the head below, then the rest of the record */
    uint32_t ix, node;          /* its index (dimension) and node there; ix NONE: free slot */
} llmspell__vrec;

/* A record's blob: its head; then what the head's flags say is there: the i64 update time
   (when it is not the creation time), the i64 expiry (when there is one), the u32 scope
   length, metadata length and field count, and a u32 of padding (when scope or metadata is not
   the default); then fields[], the id, the scope and the metadata, each NUL-terminated. The
   defaults (scope "global", metadata {}, no expiry, never updated) take no bytes, so the common
   record is its head and id. Searches and saving read only the head and id (llmspell__rid);
   everything else is decoded into llmspell__rparts. */
typedef struct llmspell__rhead {
    llmspell_time created;
    uint32_t hash;              /* of the id: the id map compares it first */
    uint16_t idlen;             /* at most LLMSPELL__VEC_FORM_MAX_ID */
    uint8_t flags;              /* LLMSPELL__R_* */
    uint8_t unused;
} llmspell__rhead;
#define LLMSPELL__R_UPDATED 1u
#define LLMSPELL__R_EXPIRES 2u
#define LLMSPELL__R_EXTRA 4u
#define LLMSPELL__RHEAD(r) ((const llmspell__rhead *)(const void *)(r)->blob)

#define LLMSPELL__SCOPE_DEFAULT "global" /* what a record without a scope has */
#define LLMSPELL__META_DEFAULT "{}"       /* what a record without metadata has */

typedef struct llmspell__rparts {
    const char *id, *scope, *meta;
    const llmspell__vfld *fields;
    uint32_t idlen, scopelen, metalen, nfields;
    llmspell_time created, updated, expires;
    size_t size;                /* of the blob */
} llmspell__rparts;

static size_t llmspell__rfixed(unsigned flags) { /* bytes from the blob's start to fields[] */
    return sizeof(llmspell__rhead) + (flags & LLMSPELL__R_UPDATED ? 8u : 0u) + (flags & LLMSPELL__R_EXPIRES ? 8u : 0u) +
           (flags & LLMSPELL__R_EXTRA ? 16u : 0u);
}

static const uint32_t *llmspell__rextra(const llmspell__rhead *h) { /* scope length, metadata length, field count */
    return (const uint32_t *)(const void *)((const char *)h + llmspell__rfixed(h->flags) - 16);
}

static const char *llmspell__rid(const llmspell__vrec *r) {
    const llmspell__rhead *h = LLMSPELL__RHEAD(r);
    size_t at = llmspell__rfixed(h->flags);
    if (h->flags & LLMSPELL__R_EXTRA) at += (size_t)llmspell__rextra(h)[2] * sizeof(llmspell__vfld);
    return r->blob + at;
}

static llmspell_time llmspell__rexpires(const llmspell__vrec *r) {
    const llmspell__rhead *h = LLMSPELL__RHEAD(r);
    if (!(h->flags & LLMSPELL__R_EXPIRES)) return LLMSPELL_TIME_MAX;
    return ((const llmspell_time *)(const void *)(h + 1))[h->flags & LLMSPELL__R_UPDATED ? 1 : 0];
}

static llmspell_time llmspell__rupdated(const llmspell__vrec *r) {
    const llmspell__rhead *h = LLMSPELL__RHEAD(r);
    return h->flags & LLMSPELL__R_UPDATED ? *(const llmspell_time *)(const void *)(h + 1) : h->created;
}

static const llmspell__vfld *llmspell__rfields(const llmspell__vrec *r, uint32_t *n) {
    const llmspell__rhead *h = LLMSPELL__RHEAD(r);
    *n = h->flags & LLMSPELL__R_EXTRA ? llmspell__rextra(h)[2] : 0;
    return (const llmspell__vfld *)(const void *)(r->blob + llmspell__rfixed(h->flags));
}

static void llmspell__rparts_of(const llmspell__vrec *r, llmspell__rparts *o) {
    const llmspell__rhead *h = LLMSPELL__RHEAD(r);
    o->created = h->created;
    o->updated = llmspell__rupdated(r);
    o->expires = llmspell__rexpires(r);
    o->fields = llmspell__rfields(r, &o->nfields);
    o->id = llmspell__rid(r);
    o->idlen = h->idlen;
    if (h->flags & LLMSPELL__R_EXTRA) {
        o->scopelen = llmspell__rextra(h)[0];
        o->metalen = llmspell__rextra(h)[1];
        o->scope = o->id + o->idlen + 1;
        o->meta = o->scope + o->scopelen + 1;
        o->size = (size_t)(o->meta + o->metalen + 1 - r->blob);
        {
            uint32_t i;
            for (i = 0; i < o->nfields; i++)
                if (o->fields[i].type == LLMSPELL_VAL_STRING) o->size += o->fields[i].slen + 1;
        }
    } else {
        o->scope = LLMSPELL__SCOPE_DEFAULT;
        o->scopelen = sizeof LLMSPELL__SCOPE_DEFAULT - 1;
        o->meta = LLMSPELL__META_DEFAULT;
        o->metalen = sizeof LLMSPELL__META_DEFAULT - 1;
        o->size = (size_t)(o->id + o->idlen + 1 - r->blob);
    }
}

/* One HNSW index: the vectors of one dimension. A node's level-0 block holds its link count,
   its 2M links, their sequence lock, the inverse norm and the vector: what a search reads of a
   node comes in adjacent cache lines (as in hnswlib).
   The blocks live in chunks of LLMSPELL__CHUNK nodes: a growing index adds a chunk instead of
   copying every block into an array twice the size; only the last chunk grows, so at most an
   eighth of a chunk is held unused (llmspell__vix_blocks).
   Upper levels are separate arrays; a node has one list of (1 + wm) u32 per level above 0
   (llmspell__up_new).
   Threads (see >>sync): the arrays, vectors, levels and rec change only under the collection's
   lock held exclusively; link lists change under their node's sequence lock while searches
   run; entry, indeg and dirty are atomics. */
typedef struct llmspell__hnsw {
    uint32_t dim, M, M0;
    uint32_t lw, w0, wm;        /* bytes of a link (3 or 4, >>links); words of a level-0 list's links, an upper one's */
    size_t stride;              /* bytes of one level-0 block */
    uint32_t vbytes;            /* of them, the vector's (its head and values, below) */
    uint8_t **l0;               /* chunks of LLMSPELL__CHUNK blocks */
    uint32_t nchunks, capchunks, caplast; /* chunks allocated, room in l0[], blocks in the last chunk */
    uint32_t **up;
    uint8_t *level;
    uint32_t *indeg;            /* level-0 links pointing at each node (pruning must not orphan one) */
    uint32_t n, cap;            /* node slots in use / allocated */
    uint32_t *free;             /* deleted slots waiting for reuse */
    uint32_t nfree, capfree;
    uint32_t entry;             /* atomic: searches read it while inserts move it */
    int maxlevel;               /* the entry's level; writers only (searches read level[entry]) */
    uint64_t live;
    uint32_t *dirty;            /* a bit per page changed since the last save */
    uint32_t dirty_pages;       /* bits allocated */
} llmspell__hnsw;

/* A node's level-0 block: u32 count, links[M0] in w0 words, u32 sequence lock of its links (all levels),
   u32 its record (NONE once deleted), then the vector as the collection's quant holds it, from
   its head (LLMSPELL__NV; a query is prepared in the same form):
     f32   float 1/|x| (cosine; 1 otherwise), float x[dim]
     f16   float 1/|x| of the half values (cosine; 1 otherwise), u16 x[dim], padded to 4 bytes
     int8  float s, float aux, int8 q[dim] padded, x ~ s q; aux is 1/|q| (cosine: the scales
           cancel) or |s q|^2 (l2: |a - b|^2 = |a|^2 + |b|^2 - 2 a.b), else 0 */
#define LLMSPELL__L0(ix, node) \
    ((uint32_t *)((ix)->l0[(node) >> LLMSPELL__CHUNK_SHIFT] + (size_t)((node) & (LLMSPELL__CHUNK - 1)) * (ix)->stride))
#define LLMSPELL__SEQ(ix, node) (LLMSPELL__L0(ix, node) + 1 + (ix)->w0)
#define LLMSPELL__REC(ix, node) (LLMSPELL__L0(ix, node)[2 + (ix)->w0])
#define LLMSPELL__NV(ix, node) ((float *)(LLMSPELL__L0(ix, node) + 3 + (ix)->w0))
#define LLMSPELL__VEC(ix, node) ((const float *)(LLMSPELL__L0(ix, node) + 4 + (ix)->w0)) /* f32 only */

typedef struct llmspell__fname { char *s; size_t n; uint32_t hash; } llmspell__fname;

struct llmspell_vec {
    llmspell_kv *kv;
    llmspell_allocator a;
    llmspell_clock clock;
    const llmspell_vec_kernel *k;
    llmspell_vec_config cfg;
    llmspell_vec_options opts;
    char *name;
    size_t nlen;
    llmspell__vrec *recs;
    uint32_t nrecs, caprecs, free_rec, nfree_rec; /* free slots chained through .node */
    uint32_t *idmap;            /* open addressing of record index + 1 */
    size_t idmask, idcount;
    llmspell__fname *fnames;    /* interned metadata field names */
    uint32_t nfnames, capfnames;
    uint32_t *fmap;
    size_t fmask;
    llmspell__hnsw **ix;
    uint32_t nix;
    struct llmspell__findex *fx; /* declared field indexes (>>field indexes) */
    uint32_t nfx;
    uint64_t live, gen;
    llmspell_time next_expiry;  /* earliest expiry among records (MAX: none) */
    uint64_t rng;
    int graph_loaded;
    int broken;                 /* memory is empty after a failed write or reload: reload on the next call */
    int shared;                 /* other processes write the store too (>>shared stores) */
    uint32_t gen32;             /* atomic: gen's low bits, for the check without the writers' lock */
    /* writer scratch (one writer at a time) */
    struct llmspell__vscratch *ws;
    llmspell_json_doc *jdoc;    /* reading metadata (llmspell_export.h) */
    char *jbuf;                 /* canonical metadata */
    uint32_t njbuf, capjbuf;
    int xdepth;                 /* the writer's nesting of llmspell__vx_lock */
    void **hz;                  /* the writer's sorted copy of every thread's holds (see llmspell__retire) */
    uint32_t nhz, caphz;
    int hz_all;                 /* the copy could not be made: take every blob as held */
    char **limbo;               /* record blobs a write dropped while a thread still held them */
    uint32_t nlimbo, caplimbo;
#ifndef LLMSPELL_NO_THREADS
    llmspell__rw rw;            /* reads shared; changes of the structure (records, arrays) exclusive */
    llmspell__mutex wlock;      /* writers take turns (held through a write, link work included) */
    llmspell__mutex top;        /* inserts that raise an index's top level */
#endif
    llmspell__tslots ts;        /* per thread: error message, returned copies, search scratch */
    char errmsg[256];           /* the message when a thread has no slot (out of memory) */
};

/* >>sync: vec's part of the family's thread layer (llmspell_kv.h >>sync has the rest).
   Lock order: the kv store's lock (a transaction or a read snapshot) before any of vec's, and
   never a wait for kv while holding one of vec's: a write begins its kv transaction before
   wlock; reads (search, get, info) never call kv; each and the reload of a broken handle take a
   kv read snapshot first. Inside vec: wlock, then rw (exclusive), then top, then node locks.
   Node locks are sequence locks: a writer makes a node's count odd while it changes that node's
   links, a reader copies the links between two reads of the same even count. Readers thus
   never write shared memory (two searching cores trade no cache lines) and never see half a
   list; a writer holds one node at a time and reads no other node's links while holding it,
   so two writers never wait for each other in a cycle.
   32-bit atomics on plain uint32_t (the layer's are on long): relaxed loads and stores, add,
   or, compare-and-swap, acquire / release fences. */
#if defined(LLMSPELL_NO_THREADS)
static uint32_t llmspell__ld32(const uint32_t *p) { return *p; }
static void llmspell__st32(uint32_t *p, uint32_t x) { *p = x; }
static uint32_t llmspell__add32(uint32_t *p, uint32_t d) { return *p += d; }
static void llmspell__or32(uint32_t *p, uint32_t bits) { *p |= bits; }
#elif defined(__GNUC__) || defined(__clang__)
static uint32_t llmspell__ld32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static void llmspell__st32(uint32_t *p, uint32_t x) { __atomic_store_n(p, x, __ATOMIC_RELAXED); }
static uint32_t llmspell__add32(uint32_t *p, uint32_t d) { return __atomic_add_fetch(p, d, __ATOMIC_RELAXED); }
static void llmspell__or32(uint32_t *p, uint32_t bits) { (void)__atomic_fetch_or(p, bits, __ATOMIC_RELAXED); }
static int llmspell__cas32(uint32_t *p, uint32_t expect, uint32_t want) {
    return __atomic_compare_exchange_n(p, &expect, want, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
static uint32_t llmspell__ld32_acq(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static void llmspell__st32_rel(uint32_t *p, uint32_t x) { __atomic_store_n(p, x, __ATOMIC_RELEASE); }
#define LLMSPELL__FENCE_ACQ() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define LLMSPELL__FENCE_REL() __atomic_thread_fence(__ATOMIC_RELEASE)
#elif defined(_MSC_VER)
/* volatile accesses of aligned 32-bit words are atomic; Interlocked functions are full barriers */
static uint32_t llmspell__ld32(const uint32_t *p) { return *(const volatile uint32_t *)p; }
static void llmspell__st32(uint32_t *p, uint32_t x) { *(volatile uint32_t *)p = x; }
static uint32_t llmspell__add32(uint32_t *p, uint32_t d) { return (uint32_t)InterlockedExchangeAdd((volatile long *)p, (long)d) + d; }
static void llmspell__or32(uint32_t *p, uint32_t bits) { (void)InterlockedOr((volatile long *)p, (long)bits); }
static int llmspell__cas32(uint32_t *p, uint32_t expect, uint32_t want) {
    return (uint32_t)InterlockedCompareExchange((volatile long *)p, (long)want, (long)expect) == expect;
}
static uint32_t llmspell__ld32_acq(const uint32_t *p) {
    uint32_t x = *(const volatile uint32_t *)p;
    LLMSPELL__FENCE();
    return x;
}
static void llmspell__st32_rel(uint32_t *p, uint32_t x) {
    LLMSPELL__FENCE();
    *(volatile uint32_t *)p = x;
}
#define LLMSPELL__FENCE_ACQ() LLMSPELL__FENCE()
#define LLMSPELL__FENCE_REL() LLMSPELL__FENCE()
#else /* C11 <stdatomic.h>, as the layer chose */
static uint32_t llmspell__ld32(const uint32_t *p) { return atomic_load_explicit((_Atomic uint32_t *)p, memory_order_relaxed); }
static void llmspell__st32(uint32_t *p, uint32_t x) { atomic_store_explicit((_Atomic uint32_t *)p, x, memory_order_relaxed); }
static uint32_t llmspell__add32(uint32_t *p, uint32_t d) { return atomic_fetch_add_explicit((_Atomic uint32_t *)p, d, memory_order_relaxed) + d; }
static void llmspell__or32(uint32_t *p, uint32_t bits) { (void)atomic_fetch_or_explicit((_Atomic uint32_t *)p, bits, memory_order_relaxed); }
static int llmspell__cas32(uint32_t *p, uint32_t expect, uint32_t want) {
    return atomic_compare_exchange_strong_explicit((_Atomic uint32_t *)p, &expect, want, memory_order_acquire, memory_order_relaxed);
}
static uint32_t llmspell__ld32_acq(const uint32_t *p) { return atomic_load_explicit((_Atomic uint32_t *)p, memory_order_acquire); }
static void llmspell__st32_rel(uint32_t *p, uint32_t x) { atomic_store_explicit((_Atomic uint32_t *)p, x, memory_order_release); }
#define LLMSPELL__FENCE_ACQ() atomic_thread_fence(memory_order_acquire)
#define LLMSPELL__FENCE_REL() atomic_thread_fence(memory_order_release)
#endif

/* Takes node's sequence lock; returns the even count it had (pass it to unlock). A writer
   holds it for a few distance computations at most: spin, then let the holder run. */
static uint32_t llmspell__node_lock(const llmspell__hnsw *ix, uint32_t node) {
#ifdef LLMSPELL_NO_THREADS
    (void)ix;
    (void)node;
    return 0;
#else
    uint32_t *q = LLMSPELL__SEQ(ix, node), s;
    unsigned spins = 0;
    for (;;) {
        s = llmspell__ld32(q);
        if (!(s & 1) && llmspell__cas32(q, s, s + 1)) break;
        if (++spins > 64) llmspell__yield();
    }
    LLMSPELL__FENCE_REL(); /* the odd count is visible before any change it covers */
    return s;
#endif
}

static void llmspell__node_unlock(const llmspell__hnsw *ix, uint32_t node, uint32_t s) {
#ifdef LLMSPELL_NO_THREADS
    (void)ix;
    (void)node;
    (void)s;
#else
    llmspell__st32_rel(LLMSPELL__SEQ(ix, node), s + 2); /* every change is visible before the even count */
#endif
}

/* The writer's exclusive hold on the collection (nests: loading interns field names). */
static void llmspell__vx_lock(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    if (v->xdepth == 0) llmspell__rw_write_lock(&v->rw);
#endif
    v->xdepth++;
}
static void llmspell__vx_unlock(llmspell_vec *v) {
    v->xdepth--;
#ifndef LLMSPELL_NO_THREADS
    if (v->xdepth == 0) llmspell__rw_write_unlock(&v->rw);
#endif
}
static void llmspell__vw_lock(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__mutex_lock(&v->wlock);
#else
    (void)v;
#endif
}
static void llmspell__vw_unlock(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__mutex_unlock(&v->wlock);
#else
    (void)v;
#endif
}
static void llmspell__top_lock(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__mutex_lock(&v->top);
#else
    (void)v;
#endif
}
static void llmspell__top_unlock(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__mutex_unlock(&v->top);
#else
    (void)v;
#endif
}

/* The calling thread's slot (NULL: out of memory). */
static llmspell__tslot *llmspell__vslot(llmspell_vec *v) { return llmspell__tslot_get(&v->ts, &v->a); }

/* Where the calling thread's message goes. */
static char *llmspell__vmsg(llmspell_vec *v) {
    llmspell__tslot *t = llmspell__vslot(v);
    return t ? t->errmsg : v->errmsg;
}

static llmspell_result llmspell__vfail(llmspell_vec *v, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4)
    ;
static llmspell_result llmspell__vfail(llmspell_vec *v, llmspell_result code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(llmspell__vmsg(v), sizeof v->errmsg, fmt, ap);
    va_end(ap);
    return code;
}

static void *llmspell__valloc(const llmspell_vec *v, size_t n) {
    if (n == 0) n = 1;
    return v->a.alloc ? v->a.alloc(v->a.ctx, n) : LLMSPELL_MALLOC(n);
}
static void *llmspell__vrealloc(const llmspell_vec *v, void *p, size_t n) {
    if (n == 0) n = 1;
    return v->a.realloc ? v->a.realloc(v->a.ctx, p, n) : LLMSPELL_REALLOC(p, n);
}
static void llmspell__vfree(const llmspell_vec *v, void *p) {
    if (!p) return;
    if (v->a.free) v->a.free(v->a.ctx, p);
    else LLMSPELL_FREE(p);
}

/* The capacity an array of cap elements grows to when it needs room for need: a quarter more at
   least, so the copies stay amortised and a large array holds little it does not use. */
static size_t llmspell__grown(size_t cap, size_t need) {
    size_t n = cap + cap / 4;
    if (n < need) n = need;
    return n < 16 ? 16 : n;
}

/* Grows an array to hold at least need elements of size sz (llmspell__grown). */
static int llmspell__vgrow(const llmspell_vec *v, void **arr, uint32_t *cap, size_t need, size_t sz) {
    size_t n = llmspell__grown(*cap, need);
    void *p;
    if (need <= *cap) return 1;
    if (n > 0xFFFFFFF0u || n > ((size_t)-1) / sz) return 0;
    p = llmspell__vrealloc(v, *arr, n * sz);
    if (!p) return 0;
    *arr = p;
    *cap = (uint32_t)n;
    return 1;
}

static uint32_t llmspell__vhash(const void *p, size_t n) { /* FNV-1a, then mixed */
    const unsigned char *s = (const unsigned char *)p;
    uint32_t h = 2166136261u;
    while (n--) h = (h ^ *s++) * 16777619u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return h;
}

static uint64_t llmspell__vrand(llmspell_vec *v) { /* splitmix64 */
    uint64_t z = (v->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int llmspell__vrandom_level(llmspell_vec *v) {
    double u = ((double)(llmspell__vrand(v) >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
    double l = -log(u) / log((double)v->cfg.M);
    return l >= LLMSPELL__MAX_LEVEL ? LLMSPELL__MAX_LEVEL : (int)l;
}

/* >>ids: record index by id */

static uint32_t llmspell__id_find(const llmspell_vec *v, const char *id, size_t n, uint32_t h) {
    size_t i;
    if (!v->idmap) return LLMSPELL__NONE;
    for (i = h & v->idmask; v->idmap[i]; i = (i + 1) & v->idmask) {
        const llmspell__vrec *r = &v->recs[v->idmap[i] - 1];
        if (LLMSPELL__RHEAD(r)->hash == h && LLMSPELL__RHEAD(r)->idlen == n && memcmp(llmspell__rid(r), id, n) == 0) return v->idmap[i] - 1;
    }
    return LLMSPELL__NONE;
}

static int llmspell__id_reserve(llmspell_vec *v, size_t more) {
    size_t cap = v->idmap ? v->idmask + 1 : 0, ncap, i;
    uint32_t *m;
    if (v->idcount + more <= cap / 4 * 3) return 1;
    for (ncap = cap ? cap : 64; ncap / 4 * 3 < v->idcount + more; ncap *= 2) {
    }
    m = (uint32_t *)llmspell__valloc(v, ncap * sizeof *m);
    if (!m) return 0;
    memset(m, 0, ncap * sizeof *m);
    for (i = 0; i < cap; i++) {
        if (v->idmap[i]) {
            size_t j = LLMSPELL__RHEAD(&v->recs[v->idmap[i] - 1])->hash & (ncap - 1);
            while (m[j]) j = (j + 1) & (ncap - 1);
            m[j] = v->idmap[i];
        }
    }
    llmspell__vfree(v, v->idmap);
    v->idmap = m;
    v->idmask = ncap - 1;
    return 1;
}

static void llmspell__id_insert(llmspell_vec *v, uint32_t r) {
    size_t i = LLMSPELL__RHEAD(&v->recs[r])->hash & v->idmask;
    while (v->idmap[i]) i = (i + 1) & v->idmask;
    v->idmap[i] = r + 1;
    v->idcount++;
}

static void llmspell__id_remove(llmspell_vec *v, uint32_t r) {
    size_t i = LLMSPELL__RHEAD(&v->recs[r])->hash & v->idmask, j;
    while (v->idmap[i] != r + 1) i = (i + 1) & v->idmask;
    v->idcount--;
    for (j = (i + 1) & v->idmask; v->idmap[j]; j = (j + 1) & v->idmask) { /* backward shift */
        size_t home = LLMSPELL__RHEAD(&v->recs[v->idmap[j] - 1])->hash & v->idmask;
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            v->idmap[i] = v->idmap[j];
            i = j;
        }
    }
    v->idmap[i] = 0;
}

/* >>field names: interned so that a filter compares small integers */

static uint32_t llmspell__fname_find(const llmspell_vec *v, const char *s, size_t n) {
    uint32_t h = llmspell__vhash(s, n);
    size_t i;
    if (!v->fmap) return LLMSPELL__NONE;
    for (i = h & v->fmask; v->fmap[i]; i = (i + 1) & v->fmask) {
        const llmspell__fname *f = &v->fnames[v->fmap[i] - 1];
        if (f->hash == h && f->n == n && memcmp(f->s, s, n) == 0) return v->fmap[i] - 1;
    }
    return LLMSPELL__NONE;
}

static uint32_t llmspell__fname_add(llmspell_vec *v, const char *s, size_t n, uint32_t h);

/* The id of field name s, added when new (NONE: out of memory). */
static uint32_t llmspell__fname_intern(llmspell_vec *v, const char *s, size_t n) {
    uint32_t id = llmspell__fname_find(v, s, n), h = llmspell__vhash(s, n);
    if (id != LLMSPELL__NONE) return id;
    llmspell__vx_lock(v); /* searches read the names (a filter's, llmspell__fname_find) */
    id = llmspell__fname_add(v, s, n, h);
    llmspell__vx_unlock(v);
    return id;
}

static uint32_t llmspell__fname_add(llmspell_vec *v, const char *s, size_t n, uint32_t h) {
    size_t i;
    char *copy;
    if (!v->fmap || v->nfnames + 1 > (v->fmask + 1) / 2) { /* grow the map */
        size_t ncap = v->fmap ? (v->fmask + 1) * 2 : 64, k;
        uint32_t *m = (uint32_t *)llmspell__valloc(v, ncap * sizeof *m);
        if (!m) return LLMSPELL__NONE;
        memset(m, 0, ncap * sizeof *m);
        for (k = 0; k < v->nfnames; k++) {
            size_t j = v->fnames[k].hash & (ncap - 1);
            while (m[j]) j = (j + 1) & (ncap - 1);
            m[j] = (uint32_t)k + 1;
        }
        llmspell__vfree(v, v->fmap);
        v->fmap = m;
        v->fmask = ncap - 1;
    }
    if (!llmspell__vgrow(v, (void **)&v->fnames, &v->capfnames, v->nfnames + 1, sizeof *v->fnames)) return LLMSPELL__NONE;
    if (!(copy = (char *)llmspell__valloc(v, n + 1))) return LLMSPELL__NONE;
    memcpy(copy, s, n);
    copy[n] = 0;
    v->fnames[v->nfnames].s = copy;
    v->fnames[v->nfnames].n = n;
    v->fnames[v->nfnames].hash = h;
    for (i = h & v->fmask; v->fmap[i]; i = (i + 1) & v->fmask) {
    }
    v->fmap[i] = v->nfnames + 1;
    return v->nfnames++;
}

/* >>hnsw ----------------------------------------------------------------------------------- */

/* >>links: a list is its u32 count, then its links. Below LLMSPELL__LINK3_NODES nodes a link
   takes 3 bytes, four packed in three words: 32 links in 96 bytes, not 128, so a 100-d block
   is 512 bytes, not 544 (an index that outgrows that is widened once, llmspell__vix_widen).
   Words are read and written whole and atomically: searches copy a list under its node's
   sequence lock while its writer holds the lock. */
static uint32_t llmspell__lwords(uint32_t lw, uint32_t cap) { return lw == 4 ? cap : (3 * cap + 3) / 4; }

static uint32_t *llmspell__links(const llmspell__hnsw *ix, uint32_t node, int l) {
    return l == 0 ? LLMSPELL__L0(ix, node) : ix->up[node] + (size_t)(l - 1) * (1 + ix->wm);
}

/* Link i (from 0) of list ln. */
static uint32_t llmspell__lk(const llmspell__hnsw *ix, const uint32_t *ln, uint32_t i) {
    uint32_t bit = 24 * i, sh = bit & 31, x;
    const uint32_t *w = ln + 1 + (bit >> 5);
    if (ix->lw == 4) return llmspell__ld32(ln + 1 + i);
    x = llmspell__ld32(w) >> sh;
    if (sh > 8) x |= llmspell__ld32(w + 1) << (32 - sh);
    return x & 0xFFFFFFu;
}

/* Sets link i of list ln to t (its node's lock held). */
static void llmspell__lk_set(const llmspell__hnsw *ix, uint32_t *ln, uint32_t i, uint32_t t) {
    uint32_t bit = 24 * i, sh = bit & 31, *w = ln + 1 + (bit >> 5);
    if (ix->lw == 4) {
        llmspell__st32(ln + 1 + i, t);
        return;
    }
    llmspell__st32(w, (llmspell__ld32(w) & ~(0xFFFFFFu << sh)) | t << sh);
    if (sh > 8) llmspell__st32(w + 1, (llmspell__ld32(w + 1) & ~(0xFFFFFFu >> (32 - sh))) | t >> (32 - sh));
}

/* The count of list ln and its links in out[] (its node's lock held, or no writer). */
static uint32_t llmspell__lk_all(const llmspell__hnsw *ix, const uint32_t *ln, uint32_t *out) {
    uint32_t n = ln[0], i;
    for (i = 0; i < n; i++) out[i] = llmspell__lk(ix, ln, i);
    return n;
}

/* Appends t to list ln (its node's lock held; the list has room). */
static void llmspell__lk_append(const llmspell__hnsw *ix, uint32_t *ln, uint32_t t) {
    llmspell__lk_set(ix, ln, ln[0], t);
    llmspell__st32(&ln[0], ln[0] + 1);
}

static void llmspell__mark_dirty(llmspell__hnsw *ix, uint32_t node) {
    uint32_t page = node / LLMSPELL__PAGE_NODES;
    if (page < ix->dirty_pages) llmspell__or32(&ix->dirty[page / 32], 1u << (page % 32));
}

/* The links of node at level l, as *out[0..count): a copy in buf (LLMSPELL__MAX_M0 entries)
   taken under the node's sequence lock, so writers may change them meanwhile (without threads
   the list itself). */
static uint32_t llmspell__links_get(const llmspell__hnsw *ix, uint32_t node, int l, uint32_t *buf, const uint32_t **out) {
    const uint32_t *ln = llmspell__links(ix, node, l);
#ifdef LLMSPELL_NO_THREADS
    if (ix->lw == 4) {
        *out = ln + 1;
        return ln[0];
    }
    *out = buf;
    return llmspell__lk_all(ix, ln, buf);
#else
    const uint32_t *q = LLMSPELL__SEQ(ix, node);
    uint32_t cap = l == 0 ? ix->M0 : ix->M, s, n = 0, i;
    unsigned spins = 0;
    for (;;) {
        s = llmspell__ld32_acq(q); /* the links are read after the count */
        if (!(s & 1)) {
            n = llmspell__ld32(ln);
            if (n > cap) n = cap; /* torn by a writer: the recheck below throws it away */
            for (i = 0; i < n; i++) buf[i] = llmspell__lk(ix, ln, i);
            LLMSPELL__FENCE_ACQ(); /* ... and before the count is read again */
            if (llmspell__ld32(q) == s) break;
        }
        if (++spins > 64) llmspell__yield();
    }
    *out = buf;
    return n;
#endif
}

/* Distance used inside the graph, between two vectors in the block's form (from their heads):
   smaller is closer. f32 vectors are kept as given (get returns them bit for bit); cosine
   multiplies the dot product by the stored inverse norms. */
static float llmspell__dist_f32cos(float (*dot)(const float *, const float *, size_t), const float *a, const float *b, uint32_t dim) {
    return 1.0f - dot(a + 1, b + 1, dim) * a[0] * b[0];
}

static float llmspell__dist(const llmspell_vec *v, const float *a, const float *b, uint32_t dim) {
    if (v->cfg.quant == LLMSPELL_VEC_F32) {
        if (v->cfg.metric == LLMSPELL_METRIC_L2) return v->k->l2sq(a + 1, b + 1, dim);
        if (v->cfg.metric == LLMSPELL_METRIC_IP) return 1.0f - v->k->dot(a + 1, b + 1, dim);
        return llmspell__dist_f32cos(v->k->dot, a, b, dim); /* also search_layer's own */
    }
    if (v->cfg.quant == LLMSPELL_VEC_F16) {
        const uint16_t *x = (const uint16_t *)(const void *)(a + 1), *y = (const uint16_t *)(const void *)(b + 1);
        if (v->cfg.metric == LLMSPELL_METRIC_L2) return v->k->l2sq_f16(x, y, dim);
        if (v->cfg.metric == LLMSPELL_METRIC_IP) return 1.0f - v->k->dot_f16(x, y, dim);
        return 1.0f - v->k->dot_f16(x, y, dim) * a[0] * b[0];
    } else {
        float d = (float)v->k->dot_i8((const int8_t *)(const void *)(a + 2), (const int8_t *)(const void *)(b + 2), dim);
        if (v->cfg.metric == LLMSPELL_METRIC_L2) return a[1] + b[1] - 2.0f * a[0] * b[0] * d;
        if (v->cfg.metric == LLMSPELL_METRIC_IP) return 1.0f - a[0] * b[0] * d;
        return 1.0f - d * a[1] * b[1];
    }
}

/* The distance from q (a vector's head) to a node. */
#define LLMSPELL__DQ(v, ix, q, node) llmspell__dist(v, q, LLMSPELL__NV(ix, node), (ix)->dim)

static float llmspell__score(const llmspell_vec *v, float dist) {
    if (v->cfg.metric == LLMSPELL_METRIC_L2) return sqrtf(dist > 0 ? dist : 0);
    return 1.0f - dist;
}

typedef struct llmspell__dn { float d; uint32_t id; } llmspell__dn;

/* Binary heaps of (distance, node): max-heap for results, min-heap for candidates. */
typedef struct llmspell__heap {
    llmspell__dn *h;
    uint32_t n, cap;
    int max;
    int fixed;  /* the writer's heaps never allocate: a full candidate heap drops the new one */
} llmspell__heap;

/* The sifts move a hole instead of swapping pairs, and test the heap's kind once rather than at
   every step: a search spends a tenth of its time here. */
static int llmspell__heap_push(const llmspell_vec *v, llmspell__heap *q, float d, uint32_t id) {
    uint32_t i;
    if (q->n == q->cap) {
        if (q->fixed) return 1;
        if (!llmspell__vgrow(v, (void **)&q->h, &q->cap, (size_t)q->n + 1, sizeof *q->h)) return 0;
    }
    i = q->n++;
    if (q->max)
        for (; i > 0 && q->h[(i - 1) / 2].d < d; i = (i - 1) / 2) q->h[i] = q->h[(i - 1) / 2];
    else
        for (; i > 0 && q->h[(i - 1) / 2].d > d; i = (i - 1) / 2) q->h[i] = q->h[(i - 1) / 2];
    q->h[i].d = d;
    q->h[i].id = id;
    return 1;
}

static llmspell__dn llmspell__heap_pop(llmspell__heap *q) {
    llmspell__dn top = q->h[0], last = q->h[--q->n];
    uint32_t i = 0, c, n = q->n;
    if (q->max) {
        for (; (c = 2 * i + 1) < n; i = c) {
            if (c + 1 < n && q->h[c + 1].d > q->h[c].d) c++;
            if (!(q->h[c].d > last.d)) break;
            q->h[i] = q->h[c];
        }
    } else {
        for (; (c = 2 * i + 1) < n; i = c) {
            if (c + 1 < n && q->h[c + 1].d < q->h[c].d) c++;
            if (!(q->h[c].d < last.d)) break;
            q->h[i] = q->h[c];
        }
    }
    if (n) q->h[i] = last;
    return top;
}

/* Per-search memory: a visited bitset and the two heaps. Searches allocate their own, so
   concurrent readers never share it; the writer keeps one on the handle. */
typedef struct llmspell__vscratch {
    char apart[64];             /* a thread's search writes here on every step: no line shared with another's */
    uint64_t *visited;
    uint32_t vwords, vcap;
    llmspell__heap cand, res;
    llmspell__dn *sel;          /* neighbour selection */
    uint32_t nsel, capsel;
    uint8_t *match;             /* filter cache: 0 unknown, 1 no, 2 yes */
    uint32_t capmatch;
    uint32_t *cands;            /* the nodes a field index names for a filter */
    uint32_t ncands, capcands;
    float *qform;               /* a search's query in the index's form */
    uint32_t capqform;
    void **hold;                /* a thread's: the record blobs its last read returned pointers into */
    uint32_t nhold, caphold;
    char apart_end[64];
} llmspell__vscratch;

static int llmspell__scratch_reset(const llmspell_vec *v, llmspell__vscratch *s, uint32_t nodes) {
    uint32_t words = (nodes + 63) / 64;
    if (words > s->vcap && (s->cand.fixed || !llmspell__vgrow(v, (void **)&s->visited, &s->vcap, words, sizeof *s->visited)))
        return 0;
    memset(s->visited, 0, (size_t)words * sizeof *s->visited);
    s->vwords = words;
    s->cand.n = s->res.n = 0;
    s->cand.max = 0;
    s->res.max = 1;
    return 1;
}

static void llmspell__scratch_free(const llmspell_vec *v, llmspell__vscratch *s) {
    if (!s) return;
    llmspell__vfree(v, s->visited);
    llmspell__vfree(v, s->cand.h);
    llmspell__vfree(v, s->res.h);
    llmspell__vfree(v, s->sel);
    llmspell__vfree(v, s->match);
    llmspell__vfree(v, s->cands);
    llmspell__vfree(v, s->qform);
    llmspell__vfree(v, (void *)s->hold);
    memset(s, 0, sizeof *s);
}

static int llmspell__visit(llmspell__vscratch *s, uint32_t id) {
    uint64_t bit = (uint64_t)1 << (id & 63), *w = &s->visited[id >> 6];
    if (*w & bit) return 0;
    *w |= bit;
    return 1;
}

/* Decides which nodes may be results: live ones, and those the filter accepts. */
typedef struct llmspell__accept {
    const llmspell_vec *v;
    const struct llmspell__cfilter *f;
    llmspell__vscratch *s;      /* caches filter answers per node */
    uint32_t skip;              /* a node never accepted (the one being inserted) */
    llmspell_time now;
} llmspell__accept;

static int llmspell__filter_match(const llmspell_vec *v, const struct llmspell__cfilter *f, const llmspell__vrec *r);

static int llmspell__accepts(const llmspell__hnsw *ix, const llmspell__accept *acc, uint32_t node) {
    uint32_t r = LLMSPELL__REC(ix, node);
    const llmspell__vrec *rec;
    if (r == LLMSPELL__NONE || node == acc->skip) return 0;
    if (!acc->f) /* nothing can have expired: skip the record (a cache miss) */
        return acc->now < acc->v->next_expiry || llmspell__rexpires(&acc->v->recs[r]) > acc->now;
    if (!acc->s->match[node]) {
        rec = &acc->v->recs[r];
        acc->s->match[node] = (uint8_t)(llmspell__rexpires(rec) > acc->now && llmspell__filter_match(acc->v, acc->f, rec) ? 2 : 1);
    }
    return acc->s->match[node] == 2;
}

/* Greedy descent on one upper level: moves *cur to the closest neighbour while it improves. */
static void llmspell__search_greedy(const llmspell_vec *v, const llmspell__hnsw *ix, const float *q, uint32_t *cur, float *dcur,
                             int l) {
    uint32_t buf[LLMSPELL__MAX_M0];
    int changed = 1;
    while (changed) {
        const uint32_t *ln;
        uint32_t n = llmspell__links_get(ix, *cur, l, buf, &ln), i;
        changed = 0;
        for (i = 0; i < n; i++) {
            float d = LLMSPELL__DQ(v, ix, q, ln[i]);
            if (d < *dcur) {
                *dcur = d;
                *cur = ln[i];
                changed = 1;
            }
        }
    }
}

/* Asks for the vector of a node not visited yet, four neighbours ahead of its distance: up to
   its first 1 KB, not its first line alone (14% more queries a second at 100-d, 9% for int8
   at 1536-d); the hardware streams the rest of a longer one (asking for all of a 6 KB one is
   12% slower). */
static void llmspell__prefetch_span(const void *at, size_t n) { /* every cache line of [at, at + n) */
    uintptr_t p = (uintptr_t)at, end = p + n;
    for (p &= ~(uintptr_t)63; p < end; p += 64) LLMSPELL__VEC_PREFETCH((const void *)p);
}

static void llmspell__prefetch_vec(const llmspell__hnsw *ix, const llmspell__vscratch *s, uint32_t node) {
    if (s->visited[node >> 6] & ((uint64_t)1 << (node & 63))) return;
    llmspell__prefetch_span(LLMSPELL__NV(ix, node), ix->vbytes < 1024 ? ix->vbytes : 1024);
}

/* >>hnsw search layer: the beam search on level l from ep; leaves up to ef accepted nodes in s->res
   (max-heap). Every node is a candidate (deleted and filtered-out ones too: they keep the
   graph connected); only accepted ones become results. Returns 0 on NOMEM. */
static int llmspell__search_layer(const llmspell_vec *v, const llmspell__hnsw *ix, const float *q, uint32_t ep, float dep,
                                  uint32_t ef, int l, const llmspell__accept *acc, llmspell__vscratch *s) {
    float bound = 1e30f;
    /* the commonest distance without the call through llmspell__dist */
    const int f32cos = v->cfg.quant == LLMSPELL_VEC_F32 && v->cfg.metric == LLMSPELL_METRIC_COSINE;
    float (*const dot)(const float *, const float *, size_t) = v->k->dot;
    s->cand.n = s->res.n = 0;
    llmspell__visit(s, ep);
    if (!llmspell__heap_push(v, &s->cand, dep, ep)) return 0;
    if (llmspell__accepts(ix, acc, ep)) {
        if (!llmspell__heap_push(v, &s->res, dep, ep)) return 0;
        bound = dep;
    }
    while (s->cand.n) {
        llmspell__dn c = llmspell__heap_pop(&s->cand);
        uint32_t buf[LLMSPELL__MAX_M0], i, cnt;
        const uint32_t *ln;
        if (c.d > bound && s->res.n >= ef) break;
        cnt = llmspell__links_get(ix, c.id, l, buf, &ln);
        for (i = 0; i < cnt && i < 4; i++) llmspell__prefetch_vec(ix, s, ln[i]);
        for (i = 0; i < cnt; i++) {
            uint32_t nb = ln[i];
            float d;
            if (i + 4 < cnt) llmspell__prefetch_vec(ix, s, ln[i + 4]);
            if (!llmspell__visit(s, nb)) continue;
            d = f32cos ? llmspell__dist_f32cos(dot, q, LLMSPELL__NV(ix, nb), ix->dim) : LLMSPELL__DQ(v, ix, q, nb);
            if (s->res.n < ef || d < bound) {
                if (!llmspell__heap_push(v, &s->cand, d, nb)) return 0;
                if (llmspell__accepts(ix, acc, nb)) {
                    if (!llmspell__heap_push(v, &s->res, d, nb)) return 0;
                    if (s->res.n > ef) llmspell__heap_pop(&s->res);
                    bound = s->res.h[0].d;
                }
            }
        }
        if (l == 0 && s->cand.n) /* the next round reads the best candidate's links: fetch them meanwhile */
            llmspell__prefetch_span(LLMSPELL__L0(ix, s->cand.h[0].id), ix->stride - ix->vbytes);
    }
    return 1;
}

/* Offers an accepted node at distance d to the beam: a candidate and a result while it beats the
   ef-th result. */
static int llmspell__beam_offer(const llmspell_vec *v, llmspell__vscratch *s, uint32_t ef, float d, uint32_t node, float *bound) {
    if (s->res.n >= ef && d >= *bound) return 1;
    if (!llmspell__heap_push(v, &s->cand, d, node) || !llmspell__heap_push(v, &s->res, d, node)) return 0;
    if (s->res.n > ef) llmspell__heap_pop(&s->res);
    *bound = s->res.h[0].d;
    return 1;
}

/* >>hnsw filtered search layer: the beam search of level 0 over the nodes a filter accepts,
   after ACORN-1 (Patel et al., SIGMOD 2024): a node's neighbours are its accepted neighbours,
   then the accepted neighbours of its first M0/4 rejected ones (two hops), up to M0/2 in all.
   Distances are measured for accepted nodes only and only they enter the beam, so the cost
   hardly depends on the share that matches (search then filter walks about ef / share
   nodes); the second hop keeps the accepted part of the graph connected. The limits trade a
   little recall for half the time (glove100k at 10%: recall 0.979 against 0.998 with M0 and
   M0). Rejected nodes (deleted ones too) are stepping stones, each crossed once. */
static int llmspell__search_acorn(const llmspell_vec *v, const llmspell__hnsw *ix, const float *q, uint32_t ep, float dep,
                                  uint32_t ef, const llmspell__accept *acc, llmspell__vscratch *s) {
    float bound = 1e30f;
    s->cand.n = s->res.n = 0;
    llmspell__visit(s, ep);
    if (llmspell__accepts(ix, acc, ep)) {
        if (!llmspell__beam_offer(v, s, ef, dep, ep, &bound)) return 0;
    } else if (!llmspell__heap_push(v, &s->cand, dep, ep)) { /* a stepping stone to start from */
        return 0;
    }
    while (s->cand.n) {
        llmspell__dn c = llmspell__heap_pop(&s->cand);
        uint32_t buf[LLMSPELL__MAX_M0], buf2[LLMSPELL__MAX_M0], hop[LLMSPELL__MAX_M0], i, j, cnt, nhop = 0, took = 0;
        const uint32_t *ln, *ln2;
        if (c.d > bound && s->res.n >= ef) break;
        cnt = llmspell__links_get(ix, c.id, 0, buf, &ln);
        for (i = 0; i < cnt; i++) {
            uint32_t nb = ln[i];
            if (!llmspell__visit(s, nb)) continue;
            if (!llmspell__accepts(ix, acc, nb)) {
                hop[nhop++] = nb;
                continue;
            }
            took++;
            if (!llmspell__beam_offer(v, s, ef, LLMSPELL__DQ(v, ix, q, nb), nb, &bound)) return 0;
        }
        for (i = 0; i < nhop && i < ix->M0 / 4 && took < ix->M0 / 2; i++) {
            cnt = llmspell__links_get(ix, hop[i], 0, buf2, &ln2);
            for (j = 0; j < cnt && took < ix->M0 / 2; j++) {
                uint32_t nb = ln2[j];
                if (!llmspell__accepts(ix, acc, nb) || !llmspell__visit(s, nb)) continue; /* a rejected one stays open to a direct visit */
                took++;
                if (!llmspell__beam_offer(v, s, ef, LLMSPELL__DQ(v, ix, q, nb), nb, &bound)) return 0;
            }
        }
    }
    return 1;
}

static int llmspell__dn_cmp(const void *a, const void *b) {
    float x = ((const llmspell__dn *)a)->d, y = ((const llmspell__dn *)b)->d;
    return x < y ? -1 : x > y;
}

/* >>hnsw select neighbours: the heuristic of the HNSW paper: from candidates sorted by distance to the base,
   keep one only if it is closer to the base than to every one kept so far (spreads the links
   around the base instead of bunching them). Keeps at most m; returns how many. */
static uint32_t llmspell__select_neighbors(const llmspell_vec *v, const llmspell__hnsw *ix, llmspell__dn *c, uint32_t n, uint32_t m) {
    uint32_t kept = 0, i, j;
    for (i = 0; i < n && kept < m; i++) {
        int good = 1;
        const float *vi = LLMSPELL__NV(ix, c[i].id);
        for (j = 0; j < kept; j++) {
            if (LLMSPELL__DQ(v, ix, vi, c[j].id) < c[i].d) {
                good = 0;
                break;
            }
        }
        if (good) c[kept++] = c[i];
    }
    return kept;
}

/* Level-0 nodes whose last incoming link an insert took away: reattached at its end. */
typedef struct llmspell__lost {
    uint32_t n;
    uint32_t id[256];
} llmspell__lost;

static void llmspell__lost_add(llmspell__lost *lo, uint32_t id) {
    if (lo->n < 256) lo->id[lo->n++] = id;
}

/* Whether node's level-0 list holds t (the caller holds node's lock). */
static int llmspell__links_have(const llmspell__hnsw *ix, uint32_t node, uint32_t t) {
    const uint32_t *ln = llmspell__links(ix, node, 0);
    uint32_t i;
    for (i = 0; i < ln[0]; i++)
        if (llmspell__lk(ix, ln, i) == t) return 1;
    return 0;
}

/* A node whose last incoming level-0 link was pruned would be unreachable by any search:
   link it from its closest out-neighbour, into a free place, or in place of a link whose
   target has others. Other inserts may run meanwhile: each list is changed under its lock,
   after checking again that the change still makes sense. */
static void llmspell__reattach(const llmspell_vec *v, llmspell__hnsw *ix, uint32_t t) {
    uint32_t buf[LLMSPELL__MAX_M0], i, j, n, best = LLMSPELL__NONE, s;
    const uint32_t *out;
    const float *x = LLMSPELL__NV(ix, t);
    float bd = 0;
    if (llmspell__ld32(&ix->indeg[t])) return; /* linked again meanwhile */
    n = llmspell__links_get(ix, t, 0, buf, &out);
    for (i = 0; i < n; i++) { /* the closest out-neighbour with room */
        uint32_t m = out[i];
        float d = LLMSPELL__DQ(v, ix, x, m);
        if (llmspell__ld32(llmspell__links(ix, m, 0)) < ix->M0 && (best == LLMSPELL__NONE || d < bd)) { best = m; bd = d; }
    }
    if (best != LLMSPELL__NONE) {
        uint32_t *ln = llmspell__links(ix, best, 0);
        s = llmspell__node_lock(ix, best);
        if (ln[0] < ix->M0 && !llmspell__links_have(ix, best, t)) {
            llmspell__lk_append(ix, ln, t);
            llmspell__add32(&ix->indeg[t], 1);
            llmspell__node_unlock(ix, best, s);
            llmspell__mark_dirty(ix, best);
            return;
        }
        llmspell__node_unlock(ix, best, s); /* filled meanwhile */
    }
    for (i = 0; i < n; i++) { /* all full: replace the farthest link that has company */
        uint32_t m = out[i], *ln = llmspell__links(ix, m, 0), farthest = 0, cur[LLMSPELL__MAX_M0], nc;
        int linked = 0;
        float fd = -1;
        s = llmspell__node_lock(ix, m);
        nc = llmspell__lk_all(ix, ln, cur);
        for (j = 0; j < nc && !linked; j++) {
            float d;
            linked = cur[j] == t; /* meanwhile */
            if (linked || llmspell__ld32(&ix->indeg[cur[j]]) < 2) continue;
            d = LLMSPELL__DQ(v, ix, LLMSPELL__NV(ix, m), cur[j]);
            if (d > fd) { fd = d; farthest = j + 1; }
        }
        if (farthest && !linked) {
            llmspell__add32(&ix->indeg[cur[farthest - 1]], (uint32_t)-1);
            llmspell__lk_set(ix, ln, farthest - 1, t);
            llmspell__add32(&ix->indeg[t], 1);
        }
        llmspell__node_unlock(ix, m, s);
        if (linked) return;
        if (farthest) {
            llmspell__mark_dirty(ix, m);
            return;
        }
    }
}

/* Writes ids[0..m) as node's list at level l (its lock held), keeping the level-0 in-degrees:
   what the list held before loses one, and any node that loses its last goes to lost. Links
   other inserts added meanwhile (node is reachable while it is linked) are kept while there is
   room. Returns the count written. */
static uint32_t llmspell__links_put(llmspell__hnsw *ix, uint32_t node, int l, const uint32_t *ids, uint32_t m, int keep, llmspell__lost *lo) {
    uint32_t *ln = llmspell__links(ix, node, l), cap = l == 0 ? ix->M0 : ix->M, old[LLMSPELL__MAX_M0], nold, n = 0, i, j;
    nold = llmspell__lk_all(ix, ln, old);
    for (i = 0; i < m; i++) llmspell__lk_set(ix, ln, n++, ids[i]);
    for (i = 0; keep && i < nold && n < cap; i++) {
        for (j = 0; j < m && ids[j] != old[i]; j++) {
        }
        if (j == m) llmspell__lk_set(ix, ln, n++, old[i]);
    }
    llmspell__st32(&ln[0], n);
    if (l == 0) { /* increments first: a node in both lists never reads 0 */
        for (i = 0; i < n; i++) llmspell__add32(&ix->indeg[llmspell__lk(ix, ln, i)], 1);
        for (i = 0; i < nold; i++)
            if (llmspell__add32(&ix->indeg[old[i]], (uint32_t)-1) == 0) llmspell__lost_add(lo, old[i]);
    }
    return n;
}

/* Adds `node` to the links of nb at level l, re-selecting nb's links when full. */
static void llmspell__link_back(llmspell_vec *v, llmspell__hnsw *ix, uint32_t nb, uint32_t node, int l, llmspell__vscratch *s) {
    uint32_t *ln = llmspell__links(ix, nb, l), cap = l == 0 ? ix->M0 : ix->M, i, kept, seq, ids[LLMSPELL__MAX_M0];
    const float *base = LLMSPELL__NV(ix, nb);
    llmspell__lost dropped;
    dropped.n = 0;
    seq = llmspell__node_lock(ix, nb);
    for (i = 0; i < ln[0]; i++)
        if (llmspell__lk(ix, ln, i) == node) { /* a reused slot may still be linked */
            llmspell__node_unlock(ix, nb, seq);
            return;
        }
    if (ln[0] < cap) {
        llmspell__lk_append(ix, ln, node);
        if (l == 0) llmspell__add32(&ix->indeg[node], 1);
    } else { /* full: the heuristic over its links and node (vectors only: no other lock) */
        for (i = 0; i < cap; i++) { /* s->sel holds at least M0 + 2 (llmspell__insert_reserve) */
            s->sel[i].id = llmspell__lk(ix, ln, i);
            s->sel[i].d = LLMSPELL__DQ(v, ix, base, s->sel[i].id);
        }
        s->sel[cap].id = node;
        s->sel[cap].d = LLMSPELL__DQ(v, ix, base, node);
        qsort(s->sel, (size_t)cap + 1, sizeof *s->sel, llmspell__dn_cmp);
        kept = llmspell__select_neighbors(v, ix, s->sel, cap + 1, cap);
        for (i = 0; i < kept; i++) ids[i] = s->sel[i].id;
        (void)llmspell__links_put(ix, nb, l, ids, kept, 0, &dropped);
    }
    llmspell__node_unlock(ix, nb, seq);
    llmspell__mark_dirty(ix, nb);
    for (i = 0; i < dropped.n; i++) llmspell__reattach(v, ix, dropped.id[i]); /* left with no link to them */
}

/* Reserves the writer's scratch so that connecting a node into an index of `nodes` slots
   cannot fail: the graph is never left half linked. */
static int llmspell__insert_reserve(const llmspell_vec *v, llmspell__vscratch *s, uint32_t nodes) {
    uint32_t ef = v->cfg.ef_construction, m0 = 2 * v->cfg.M, cand = 32 * ef + 1024;
    if (cand > nodes + 1) cand = nodes + 1;
    s->cand.fixed = s->res.fixed = 0;
    return llmspell__vgrow(v, (void **)&s->visited, &s->vcap, (nodes + 63) / 64 + 1, sizeof *s->visited) &&
           llmspell__vgrow(v, (void **)&s->cand.h, &s->cand.cap, cand, sizeof *s->cand.h) &&
           llmspell__vgrow(v, (void **)&s->res.h, &s->res.cap, (size_t)ef + 2, sizeof *s->res.h) &&
           llmspell__vgrow(v, (void **)&s->sel, &s->capsel, (size_t)(ef > m0 * (m0 + 1) ? ef : m0 * (m0 + 1)) + 2, sizeof *s->sel);
}

/* Whether a node's lock count s1 (just taken) shows no change since the hold that began at s0. */
static int llmspell__node_same(uint32_t s1, uint32_t s0) {
#ifdef LLMSPELL_NO_THREADS
    (void)s1;
    (void)s0;
    return 1;
#else
    return s1 == s0 + 2;
#endif
}

/* A reused slot lets go of its old links, and its old neighbours of their links to it (made
   for its old vector, they would mislead searches); a neighbour left short of links is
   refilled from its two-hop neighbourhood, as hnswlib repairs an update. The neighbourhood is
   gathered with no lock held; the refill is written only if the neighbour did not change
   meanwhile (then another insert has just given it links). */
static void llmspell__unlink_old(llmspell_vec *v, llmspell__hnsw *ix, uint32_t node, llmspell__vscratch *s, llmspell__lost *lo) {
    uint32_t old[LLMSPELL__MAX_M0], snap[LLMSPELL__MAX_M0], buf[LLMSPELL__MAX_M0], ids[LLMSPELL__MAX_M0];
    uint32_t *ln = llmspell__links(ix, node, 0), nold, i, j, k, seq;
    int l;
    seq = llmspell__node_lock(ix, node);
    nold = llmspell__lk_all(ix, ln, old);
    (void)llmspell__links_put(ix, node, 0, NULL, 0, 0, lo); /* empty: its old targets lose a link */
    for (l = 1; l <= ix->level[node]; l++) llmspell__st32(llmspell__links(ix, node, l), 0);
    llmspell__node_unlock(ix, node, seq);
    for (i = 0; i < nold; i++) {
        uint32_t o = old[i], *back = llmspell__links(ix, o, 0), nb, nc = 0, kept, s0, s1;
        const float *ov = LLMSPELL__NV(ix, o);
        s0 = llmspell__node_lock(ix, o);
        nb = llmspell__lk_all(ix, back, snap);
        for (j = 0; j < nb; j++) {
            if (snap[j] != node) continue;
            snap[j] = snap[nb - 1];
            llmspell__lk_set(ix, back, j, snap[j]);
            llmspell__st32(&back[0], --nb);
            llmspell__add32(&ix->indeg[node], (uint32_t)-1);
            break;
        }
        llmspell__node_unlock(ix, o, s0);
        llmspell__mark_dirty(ix, o);
        if (nb >= ix->M) continue;
        (void)llmspell__scratch_reset(v, s, ix->n); /* reserved: cannot fail */
        llmspell__visit(s, o);
        llmspell__visit(s, node);
        for (j = 0; j < nb; j++) { /* o's links and theirs, chosen by the usual heuristic */
            const uint32_t *two;
            uint32_t ntwo = llmspell__links_get(ix, snap[j], 0, buf, &two);
            if (llmspell__visit(s, snap[j])) { s->sel[nc].id = snap[j]; s->sel[nc++].d = LLMSPELL__DQ(v, ix, ov, snap[j]); }
            for (k = 0; k < ntwo && nc < ix->M0 * (ix->M0 + 1); k++)
                if (llmspell__visit(s, two[k])) { s->sel[nc].id = two[k]; s->sel[nc++].d = LLMSPELL__DQ(v, ix, ov, two[k]); }
        }
        qsort(s->sel, nc, sizeof *s->sel, llmspell__dn_cmp);
        kept = llmspell__select_neighbors(v, ix, s->sel, nc, ix->M0);
        for (j = 0; j < kept; j++) ids[j] = s->sel[j].id;
        s1 = llmspell__node_lock(ix, o);
        if (llmspell__node_same(s1, s0)) (void)llmspell__links_put(ix, o, 0, ids, kept, 0, lo);
        llmspell__node_unlock(ix, o, s1);
    }
}

/* >>hnsw insert: connects node (its vector and level already in place) into the graph: a
   greedy descent to its level, then on each level a search layer and select neighbours. The
   scratch was reserved by llmspell__insert_reserve, so nothing here allocates or fails.
   Several inserts may run at once (a parallel batch), and searches beside them: every list is
   read through llmspell__links_get and written under its node's lock (see >>sync). An insert
   that raises the top level holds `top` throughout, as hnswlib does, so the others start from
   a finished entry point. */
static void llmspell__insert(llmspell_vec *v, llmspell__hnsw *ix, uint32_t node, llmspell__vscratch *s) {
    const float *q = LLMSPELL__NV(ix, node);
    float dcur;
    int L = ix->level[node], l, maxl, top;
    uint32_t cur, i, ids[LLMSPELL__MAX_M0], buf[LLMSPELL__MAX_M0];
    llmspell__accept acc;
    llmspell__lost lost; /* old neighbours whose only incoming link this was */
    memset(&acc, 0, sizeof acc);
    acc.v = v;
    acc.s = s;
    acc.skip = node;
    acc.now = LLMSPELL_TIME_MIN; /* expired records still shape the graph */
    lost.n = 0;
    llmspell__unlink_old(v, ix, node, s, &lost);
    llmspell__mark_dirty(ix, node);
    llmspell__top_lock(v);
    cur = llmspell__ld32(&ix->entry);
    maxl = ix->maxlevel;
    if (cur == LLMSPELL__NONE || cur == node) {
        llmspell__st32(&ix->entry, node);
        ix->maxlevel = L;
        llmspell__top_unlock(v);
        return;
    }
    top = L > maxl;
    if (!top) llmspell__top_unlock(v);
    s->cand.fixed = s->res.fixed = 1;
    dcur = LLMSPELL__DQ(v, ix, q, cur);
    for (l = maxl; l > L; l--) llmspell__search_greedy(v, ix, q, &cur, &dcur, l);
    for (l = L < maxl ? L : maxl; l >= 0; l--) {
        uint32_t m, cnt, seq;
        (void)llmspell__scratch_reset(v, s, ix->n); /* reserved: cannot fail */
        (void)llmspell__search_layer(v, ix, q, cur, dcur, v->cfg.ef_construction, l, &acc, s);
        cnt = s->res.n;
        for (i = 0; i < cnt; i++) s->sel[i] = s->res.h[i];
        qsort(s->sel, cnt, sizeof *s->sel, llmspell__dn_cmp);
        if (cnt) { cur = s->sel[0].id; dcur = s->sel[0].d; }
        m = llmspell__select_neighbors(v, ix, s->sel, cnt, ix->M);
        for (i = 0; i < m; i++) ids[i] = s->sel[i].id;
        seq = llmspell__node_lock(ix, node);
        (void)llmspell__links_put(ix, node, l, ids, m, 1, &lost);
        llmspell__node_unlock(ix, node, seq);
        for (i = 0; i < m; i++) llmspell__link_back(v, ix, ids[i], node, l, s);
        if (l == 0 && m) { /* if every new neighbour pruned it, links from elsewhere would not lead here */
            int linked = 0;
            for (i = 0; i < m && !linked; i++) {
                const uint32_t *back;
                uint32_t nb = llmspell__links_get(ix, ids[i], 0, buf, &back), j;
                for (j = 0; j < nb && !linked; j++) linked = back[j] == node;
            }
            if (!linked) llmspell__reattach(v, ix, node);
        }
    }
    for (i = 0; i < lost.n; i++) llmspell__reattach(v, ix, lost.id[i]); /* reattach checks it is still unlinked */
    if (top) {
        llmspell__st32(&ix->entry, node);
        ix->maxlevel = L;
        llmspell__top_unlock(v);
    }
    s->cand.fixed = s->res.fixed = 0;
}

/* >>filters: compiled once per query (field names to interned ids), evaluated per record. */

#define LLMSPELL__FILTER_DEPTH 64

typedef struct llmspell__cfilter {
    const llmspell_vec_filter *f;
    uint32_t fid;                       /* NONE: no record has this field */
    struct llmspell__cfilter *kids;     /* AND / OR */
} llmspell__cfilter;

static size_t llmspell__fvalue_len(const llmspell_vec_value *x) { return x->slen ? x->slen : (x->s ? strlen(x->s) : 0); }
static int llmspell__fvalue_num(const llmspell_vec_value *x) { return x->type == LLMSPELL_VAL_INT || x->type == LLMSPELL_VAL_DOUBLE; }

static llmspell_result llmspell__filter_check(llmspell_vec *v, const llmspell_vec_filter *f, int depth, size_t *nodes) {
    size_t i;
    if (depth > LLMSPELL__FILTER_DEPTH) return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "filter: nested deeper than %d", LLMSPELL__FILTER_DEPTH);
    (*nodes)++;
    switch (f->op) {
    case LLMSPELL_F_AND:
    case LLMSPELL_F_OR:
        if (!f->children && f->nchildren) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "filter: AND/OR without children");
        for (i = 0; i < f->nchildren; i++) {
            llmspell_result r = llmspell__filter_check(v, &f->children[i], depth + 1, nodes);
            if (r != LLMSPELL_OK) return r;
        }
        return LLMSPELL_OK;
    case LLMSPELL_F_EQ: case LLMSPELL_F_NE: case LLMSPELL_F_LT: case LLMSPELL_F_LE: case LLMSPELL_F_GT:
    case LLMSPELL_F_GE: case LLMSPELL_F_RANGE: case LLMSPELL_F_IN:
        if (!f->field || !*f->field) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "filter: a comparison needs a field name");
        if (f->op == LLMSPELL_F_IN && !f->values && f->nvalues) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "filter: IN without values");
        return LLMSPELL_OK;
    }
    return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "filter: unknown operator %d", (int)f->op);
}

/* Compiles f into node c; children sit side by side in out[] from *used on (out was sized by
   llmspell__filter_check). */
static void llmspell__filter_build(const llmspell_vec *v, const llmspell_vec_filter *f, llmspell__cfilter *c,
                                   llmspell__cfilter *out, size_t *used) {
    size_t i;
    c->f = f;
    c->fid = LLMSPELL__NONE;
    c->kids = NULL;
    if (f->op == LLMSPELL_F_AND || f->op == LLMSPELL_F_OR) {
        c->kids = &out[*used];
        *used += f->nchildren;
        for (i = 0; i < f->nchildren; i++) llmspell__filter_build(v, &f->children[i], &c->kids[i], out, used);
    } else {
        c->fid = llmspell__fname_find(v, f->field, strlen(f->field));
    }
}

/* An integer against a double, exactly (through double, 2^53 + 1 would equal 2^53). */
static int llmspell__cmp_i64_f64(int64_t a, double b) {
    double fb;
    int64_t ib;
    if (b != b) return 2;
    if (b >= 9223372036854775808.0) return -1;
    if (b < -9223372036854775808.0) return 1;
    fb = floor(b);
    ib = (int64_t)fb;
    if (a != ib) return a < ib ? -1 : 1;
    return fb == b ? 0 : -1; /* a == floor(b) < b */
}

/* Compares a record's field with a filter value: -1, 0, 1, or 2 when they cannot be ordered
   (different kinds, or bool/null under an ordering operator). */
static int llmspell__fcmp(const llmspell__vfld *x, const llmspell_vec_value *y) {
    int xnum = x->type == LLMSPELL_VAL_INT || x->type == LLMSPELL_VAL_DOUBLE;
    int ynum = llmspell__fvalue_num(y);
    if (xnum && ynum) {
        if (x->type == LLMSPELL_VAL_INT && y->type == LLMSPELL_VAL_INT) return x->i < y->i ? -1 : x->i > y->i;
        if (x->type == LLMSPELL_VAL_INT) return llmspell__cmp_i64_f64(x->i, y->d);
        if (y->type == LLMSPELL_VAL_INT) return -llmspell__cmp_i64_f64(y->i, x->d);
        return x->d < y->d ? -1 : x->d > y->d ? 1 : x->d == y->d ? 0 : 2; /* NaN never occurs in JSON */
    }
    if (x->type == LLMSPELL_VAL_STRING && y->type == LLMSPELL_VAL_STRING) {
        size_t yn = llmspell__fvalue_len(y), m = x->slen < yn ? x->slen : yn;
        int c = m ? memcmp(x->s, y->s, m) : 0;
        if (c) return c < 0 ? -1 : 1;
        return x->slen < yn ? -1 : x->slen > yn;
    }
    if ((unsigned)x->type == (unsigned)y->type) { /* bool or null: equal or not, never ordered */
        return x->type == LLMSPELL_VAL_BOOL && (x->i != 0) != (y->i != 0) ? 3 : 0;
    }
    return 2;
}

static const llmspell__vfld *llmspell__rec_field(const llmspell__vrec *r, uint32_t fid) {
    uint32_t i, n;
    const llmspell__vfld *f = llmspell__rfields(r, &n);
    for (i = 0; i < n; i++)
        if (f[i].id == fid) return &f[i];
    return NULL;
}

static int llmspell__cf_match(const llmspell__cfilter *c, const llmspell__vrec *r) {
    const llmspell_vec_filter *f = c->f;
    const llmspell__vfld *x = NULL;
    size_t i;
    int cmp;
    if (f->op == LLMSPELL_F_AND) {
        for (i = 0; i < f->nchildren; i++)
            if (!llmspell__cf_match(&c->kids[i], r)) return 0;
        return 1;
    }
    if (f->op == LLMSPELL_F_OR) {
        for (i = 0; i < f->nchildren; i++)
            if (llmspell__cf_match(&c->kids[i], r)) return 1;
        return 0;
    }
    if (c->fid == LLMSPELL__NONE || !(x = llmspell__rec_field(r, c->fid))) return 0; /* missing (or nested): no condition matches */
    if (f->op != LLMSPELL_F_EQ && f->op != LLMSPELL_F_NE && f->op != LLMSPELL_F_IN &&
        (x->type == LLMSPELL_VAL_BOOL || x->type == LLMSPELL_VAL_NULL))
        return 0; /* bool and null are not ordered */
    if (f->op == LLMSPELL_F_IN) {
        for (i = 0; i < f->nvalues; i++)
            if (llmspell__fcmp(x, &f->values[i]) == 0) return 1;
        return 0;
    }
    cmp = llmspell__fcmp(x, &f->value);
    switch (f->op) {
    case LLMSPELL_F_EQ: return cmp == 0;
    case LLMSPELL_F_NE: return cmp != 0;
    case LLMSPELL_F_LT: return cmp == -1;
    case LLMSPELL_F_LE: return cmp == -1 || cmp == 0;
    case LLMSPELL_F_GT: return cmp == 1;
    case LLMSPELL_F_GE: return cmp == 1 || cmp == 0;
    case LLMSPELL_F_RANGE: {
        int hi = llmspell__fcmp(x, &f->value2);
        return (cmp == 1 || cmp == 0) && (hi == -1 || hi == 0);
    }
    default: return 0;
    }
}

static int llmspell__filter_match(const llmspell_vec *v, const struct llmspell__cfilter *f, const llmspell__vrec *r) {
    (void)v;
    return llmspell__cf_match(f, r);
}

/* >>field indexes: the postings of a declared metadata field, (key, index, node) sorted by key,
   so that a filter on the field finds and counts its matches without reading every record.
   A key keeps what a filter needs of a value: its kind in the top 2 bits (null, bool, number,
   string), then numbers in order (the double made sortable, its 2 lowest bits dropped) or
   strings by a 62-bit hash. Equal values get equal keys and numbers keep their order, so a
   key range holds every match; the filter decides on each candidate, so a posting a record
   left behind when it changed or went (its node may be someone else's now) costs a check,
   never a wrong answer. A write appends to an unsorted tail, which searches read whole and
   which is merged into the sorted part when it grows; a rebuild drops the stale postings when
   they are a quarter. Postings are memory only, built from the records at open (which reads
   every record anyway, and rebuilding is faster than reading them back); the declarations
   persist (>>storage 'f'). Threads: they change only under the collection's exclusive lock. */

#define LLMSPELL__PK_KIND(k) ((uint64_t)(k) << 62)
#define LLMSPELL__PK_NUM LLMSPELL__PK_KIND(2)
#define LLMSPELL__PK_STR LLMSPELL__PK_KIND(3)

typedef struct llmspell__posting { uint64_t key; uint32_t ix, node; } llmspell__posting;

typedef struct llmspell__findex {
    char *name;
    size_t nlen;
    uint32_t fid;               /* the interned name (found again after every load) */
    llmspell__posting *p;       /* p[0..nsorted) sorted by key, p[nsorted..n) in arrival order */
    uint32_t n, nsorted, cap;
    uint32_t stale;             /* postings whose record has changed or gone since */
} llmspell__findex;

static uint64_t llmspell__pkey_num(double d) {
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    if ((b << 1) == 0) b = 0; /* -0 and 0 are one number (on the bits: fast-math may drop d == 0 tests) */
    b = b >> 63 ? ~b : b | 0x8000000000000000ull; /* ordered as an unsigned integer */
    return LLMSPELL__PK_NUM | b >> 2;
}

/* The key of a value (a record's field or a filter's). */
static uint64_t llmspell__pkey(uint32_t type, int64_t i, double d, const char *s, size_t slen) {
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    switch (type) {
    case LLMSPELL_VAL_NULL: return LLMSPELL__PK_KIND(0);
    case LLMSPELL_VAL_BOOL: return LLMSPELL__PK_KIND(1) | (uint64_t)(i != 0);
    case LLMSPELL_VAL_INT: return llmspell__pkey_num((double)i); /* rounds, keeping the order */
    case LLMSPELL_VAL_DOUBLE: return llmspell__pkey_num(d);
    default:
        while (slen--) h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
        return LLMSPELL__PK_STR | h >> 2;
    }
}

static uint64_t llmspell__pkey_of(const llmspell_vec_value *x) { /* s is read for strings only */
    return llmspell__pkey(x->type, x->i, x->d, x->s, x->type == LLMSPELL_VAL_STRING ? llmspell__fvalue_len(x) : 0);
}

static int llmspell__posting_cmp(const void *a, const void *b) {
    const llmspell__posting *x = (const llmspell__posting *)a, *y = (const llmspell__posting *)b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->ix != y->ix) return x->ix < y->ix ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static llmspell__findex *llmspell__fx_find(const llmspell_vec *v, const char *name, size_t n) {
    uint32_t i;
    for (i = 0; i < v->nfx; i++)
        if (v->fx[i].nlen == n && memcmp(v->fx[i].name, name, n) == 0) return &v->fx[i];
    return NULL;
}

/* Appends record slot's posting to fx, if it has the field (room reserved). */
static void llmspell__fx_put(const llmspell_vec *v, llmspell__findex *fx, uint32_t slot) {
    const llmspell__vrec *r = &v->recs[slot];
    const llmspell__vfld *f = llmspell__rec_field(r, fx->fid);
    llmspell__posting *p;
    if (!f) return;
    p = &fx->p[fx->n++];
    p->key = llmspell__pkey(f->type, f->i, f->d, f->s, f->slen);
    p->ix = r->ix;
    p->node = r->node;
}

/* fx afresh from every record, sorted; 0 when out of memory (fx unchanged). */
static int llmspell__fx_build(const llmspell_vec *v, llmspell__findex *fx) {
    llmspell__findex t = *fx;
    uint32_t r, n = 0;
    for (r = 0; r < v->nrecs; r++)
        n += v->recs[r].ix != LLMSPELL__NONE && llmspell__rec_field(&v->recs[r], fx->fid);
    t.cap = n + 16;
    if (!(t.p = (llmspell__posting *)llmspell__valloc(v, (size_t)t.cap * sizeof *t.p))) return 0;
    t.n = 0;
    for (r = 0; r < v->nrecs; r++)
        if (v->recs[r].ix != LLMSPELL__NONE) llmspell__fx_put(v, &t, r);
    qsort(t.p, t.n, sizeof *t.p, llmspell__posting_cmp);
    t.nsorted = t.n;
    t.stale = 0;
    llmspell__vfree(v, fx->p);
    *fx = t;
    return 1;
}

/* Room for n more postings in every index (before a write changes anything). */
static int llmspell__fx_reserve(const llmspell_vec *v, size_t n) {
    uint32_t i;
    for (i = 0; i < v->nfx; i++)
        if (!llmspell__vgrow(v, (void **)&v->fx[i].p, &v->fx[i].cap, (size_t)v->fx[i].n + n, sizeof *v->fx[i].p)) return 0;
    return 1;
}

/* A record came (add) or is going: its postings follow. */
static void llmspell__fx_note(llmspell_vec *v, uint32_t slot, int add) {
    uint32_t i;
    for (i = 0; i < v->nfx; i++) {
        if (add) llmspell__fx_put(v, &v->fx[i], slot);
        else v->fx[i].stale += llmspell__rec_field(&v->recs[slot], v->fx[i].fid) != NULL;
    }
}

/* After a write: merges a grown tail into the sorted part, or rebuilds an index that is a
   quarter stale. Best effort: out of memory leaves an index as it was, still correct. */
static void llmspell__fx_tidy(llmspell_vec *v) {
    uint32_t i;
    for (i = 0; i < v->nfx; i++) {
        llmspell__findex *fx = &v->fx[i];
        uint32_t tail = fx->n - fx->nsorted, a = fx->nsorted, b = tail, k = fx->n;
        llmspell__posting *t;
        if (fx->stale > 64 + fx->n / 4) {
            (void)llmspell__fx_build(v, fx);
            continue;
        }
        if (tail <= 64 + fx->nsorted / 16 || !(t = (llmspell__posting *)llmspell__valloc(v, (size_t)tail * sizeof *t))) continue;
        memcpy(t, fx->p + fx->nsorted, (size_t)tail * sizeof *t);
        qsort(t, tail, sizeof *t, llmspell__posting_cmp);
        while (b) /* merged from the back, into place */
            fx->p[--k] = a && llmspell__posting_cmp(&fx->p[a - 1], &t[b - 1]) > 0 ? fx->p[--a] : t[--b];
        fx->nsorted = fx->n;
        llmspell__vfree(v, t);
    }
}

static void llmspell__fx_free(const llmspell_vec *v) {
    uint32_t i;
    for (i = 0; i < v->nfx; i++) {
        llmspell__vfree(v, v->fx[i].name);
        llmspell__vfree(v, v->fx[i].p);
    }
    llmspell__vfree(v, v->fx);
}

/* The postings of fx with keys in [lo, hi]: p[a..b) of the sorted part, and those of the tail. */
typedef struct llmspell__prange {
    const llmspell__findex *fx;
    uint64_t lo, hi;
    uint32_t a, b;
} llmspell__prange;

typedef struct llmspell__plan {
    llmspell__prange *r;
    uint32_t n, cap;
} llmspell__plan;

static uint32_t llmspell__fx_lower(const llmspell__findex *fx, uint64_t key) {
    uint32_t lo = 0, hi = fx->nsorted;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (fx->p[mid].key < key) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Adds the range [lo, hi] of fx to the plan; its count of postings (-1: out of memory). */
static int64_t llmspell__plan_add(const llmspell_vec *v, llmspell__plan *pl, const llmspell__findex *fx, uint64_t lo, uint64_t hi) {
    llmspell__prange *r;
    int64_t n;
    uint32_t i;
    if (lo > hi) return 0;
    if (!llmspell__vgrow(v, (void **)&pl->r, &pl->cap, (size_t)pl->n + 1, sizeof *pl->r)) return -1;
    r = &pl->r[pl->n++];
    r->fx = fx;
    r->lo = lo;
    r->hi = hi;
    r->a = llmspell__fx_lower(fx, lo);
    r->b = hi == ~(uint64_t)0 ? fx->nsorted : llmspell__fx_lower(fx, hi + 1);
    n = (int64_t)r->b - r->a;
    for (i = fx->nsorted; i < fx->n; i++) n += fx->p[i].key >= lo && fx->p[i].key <= hi;
    return n;
}

/* Appends to pl posting ranges that hold every record c accepts; returns how many postings
   they hold, or -1 when the declared indexes cannot answer c (or out of memory). AND takes its
   narrowest answerable part, OR needs every part. */
static int64_t llmspell__plan_ranges(const llmspell_vec *v, const llmspell__cfilter *c, llmspell__plan *pl) {
    const llmspell_vec_filter *f = c->f;
    const llmspell__findex *fx = NULL;
    int64_t best = -1, n, total = 0;
    uint32_t base = pl->n, i, start;
    size_t j;
    if (f->op == LLMSPELL_F_AND) {
        for (j = 0; j < f->nchildren; j++) {
            start = pl->n;
            n = llmspell__plan_ranges(v, &c->kids[j], pl);
            if (n >= 0 && (best < 0 || n < best)) { /* the narrowest so far replaces the last */
                memmove(pl->r + base, pl->r + start, (size_t)(pl->n - start) * sizeof *pl->r);
                pl->n = base + (pl->n - start);
                best = n;
            } else {
                pl->n = start;
            }
        }
        return best;
    }
    if (f->op == LLMSPELL_F_OR) {
        for (j = 0; j < f->nchildren; j++) {
            if ((n = llmspell__plan_ranges(v, &c->kids[j], pl)) < 0) return -1;
            total += n;
        }
        return total;
    }
    if (c->fid == LLMSPELL__NONE) return 0; /* no record has the field: nothing matches */
    for (i = 0; i < v->nfx && !fx; i++)
        if (v->fx[i].fid == c->fid) fx = &v->fx[i];
    if (!fx || (unsigned)f->value.type > LLMSPELL_VAL_STRING) return -1;
    switch (f->op) {
    case LLMSPELL_F_EQ: return llmspell__plan_add(v, pl, fx, llmspell__pkey_of(&f->value), llmspell__pkey_of(&f->value));
    case LLMSPELL_F_IN:
        for (j = 0; j < f->nvalues; j++) {
            uint64_t k;
            if ((unsigned)f->values[j].type > LLMSPELL_VAL_STRING) return -1;
            k = llmspell__pkey_of(&f->values[j]);
            if ((n = llmspell__plan_add(v, pl, fx, k, k)) < 0) return -1;
            total += n;
        }
        return total;
    case LLMSPELL_F_LT: case LLMSPELL_F_LE:
        if (!llmspell__fvalue_num(&f->value)) return -1; /* strings by hash: no order */
        return llmspell__plan_add(v, pl, fx, LLMSPELL__PK_NUM, llmspell__pkey_of(&f->value));
    case LLMSPELL_F_GT: case LLMSPELL_F_GE:
        if (!llmspell__fvalue_num(&f->value)) return -1;
        return llmspell__plan_add(v, pl, fx, llmspell__pkey_of(&f->value), LLMSPELL__PK_STR - 1);
    case LLMSPELL_F_RANGE:
        if (!llmspell__fvalue_num(&f->value) || !llmspell__fvalue_num(&f->value2)) return -1;
        return llmspell__plan_add(v, pl, fx, llmspell__pkey_of(&f->value), llmspell__pkey_of(&f->value2));
    default: return -1; /* NE: nearly everything */
    }
}

/* The nodes of index ixno that pl's ranges hold, into s->cands (a node may come twice). */
static int llmspell__plan_nodes(const llmspell_vec *v, const llmspell__plan *pl, uint32_t ixno, llmspell__vscratch *s) {
    uint32_t i, j;
    s->ncands = 0;
    for (i = 0; i < pl->n; i++) {
        const llmspell__prange *r = &pl->r[i];
        const llmspell__findex *fx = r->fx;
        if (!llmspell__vgrow(v, (void **)&s->cands, &s->capcands, (size_t)s->ncands + (r->b - r->a) + (fx->n - fx->nsorted), sizeof *s->cands))
            return 0;
        for (j = r->a; j < r->b; j++)
            if (fx->p[j].ix == ixno) s->cands[s->ncands++] = fx->p[j].node;
        for (j = fx->nsorted; j < fx->n; j++)
            if (fx->p[j].ix == ixno && fx->p[j].key >= r->lo && fx->p[j].key <= r->hi) s->cands[s->ncands++] = fx->p[j].node;
    }
    return 1;
}

#define LLMSPELL__VKEY_MAX (3 + 2 * LLMSPELL_VEC_MAX_NAME + 2 + 2 * LLMSPELL_VEC_MAX_ID + 2 + 16)


/* A prepared record: everything allocated and checked before anything changes. */
typedef struct llmspell__vprep {
    llmspell__vrec r;        /* the in-memory record (blob owned until it is installed) */
    const float *vec;        /* the caller's vector */
    uint32_t dim;
    uint8_t *kvblob;         /* the stored form (NULL without kv) */
    size_t kvlen;
    int level;
    uint32_t *up;            /* upper-level links for a fresh node */
    uint32_t upw;            /* words of each of its lists' links (>>links: the index's width decides) */
} llmspell__vprep;


static llmspell_result llmspell__vjs_sink(void *user, const void *data, size_t n) {
    llmspell_vec *v = (llmspell_vec *)user;
    if (!llmspell__vgrow(v, (void **)&v->jbuf, &v->capjbuf, (size_t)v->njbuf + n + 1, 1)) return LLMSPELL_ERR_NOMEM;
    memcpy(v->jbuf + v->njbuf, data, n);
    v->njbuf += (uint32_t)n;
    return LLMSPELL_OK;
}

/* Builds the in-memory record: one blob holding fields[], id, scope, metadata and the decoded
   strings the fields point at. New metadata (stored 0) is read with the family's JSON rules and
   kept in llmspell_export.h's canonical form (member order kept), so export and import give
   back the same bytes; stored metadata is kept as stored and only read for its fields. */
static llmspell_result llmspell__rec_build(llmspell_vec *v, llmspell__vrec *r, const char *id, size_t idlen, const char *scope,
                                           size_t scopelen, const char *meta, size_t metalen, const llmspell_time times[3],
                                           const char *where, int stored) {
    llmspell__vfld *fld = NULL;
    uint32_t nf = 0, capf = 0;
    const llmspell_json_value *root;
    llmspell_json_error e;
    llmspell_result rc;
    llmspell__rhead *h;
    llmspell__vfld *f;
    llmspell_time *t;
    unsigned flags;
    char *p;
    size_t need, i, k;
    if (!v->jdoc && llmspell_json_doc_new(&v->a, &v->jdoc) != LLMSPELL_OK)
        return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where);
    if (!stored) {
        v->njbuf = 0;
        rc = llmspell__vec_meta_canon(v->jdoc, meta, metalen, llmspell__vjs_sink, v, &e);
        meta = v->jbuf;
        metalen = v->njbuf;
    } else { /* written by this or an earlier version: read it as leniently as they wrote it */
        llmspell_json_read_options o;
        memset(&o, 0, sizeof o);
        o.allocator = v->a;
        o.flags = LLMSPELL_JSON_ALLOW_OVERFLOW;
        rc = llmspell_json_parse_into(v->jdoc, meta, metalen, &o, &e);
        if (rc == LLMSPELL_OK && llmspell_json_doc_root(v->jdoc)->type != LLMSPELL_JSON_OBJECT) {
            rc = LLMSPELL_ERR_CORRUPT;
            snprintf(e.message, sizeof e.message, "not a JSON object");
        }
    }
    if (rc == LLMSPELL_ERR_NOMEM) return llmspell__vfail(v, rc, "%s: out of memory", where);
    if (rc != LLMSPELL_OK) return llmspell__vfail(v, stored ? LLMSPELL_ERR_CORRUPT : rc, "%s: metadata: %s", where, e.message);
    root = llmspell_json_doc_root(v->jdoc);
    /* the top-level scalars are the filterable fields; a nested value is kept verbatim in the
       metadata but is not filterable */
    for (i = 0; i < root->len; i++) {
        const llmspell_json_member *m = &root->u.members[i];
        const llmspell_json_value *x = &m->value;
        llmspell__vfld f;
        uint32_t fid;
        memset(&f, 0, sizeof f);
        switch (x->type) {
        case LLMSPELL_JSON_NULL: f.type = LLMSPELL_VAL_NULL; break;
        case LLMSPELL_JSON_BOOL: f.type = LLMSPELL_VAL_BOOL; f.i = x->b; break;
        case LLMSPELL_JSON_NUMBER:
            if (x->is_int) { f.type = LLMSPELL_VAL_INT; f.i = x->i; }
            else { f.type = LLMSPELL_VAL_DOUBLE; f.d = x->d; }
            break;
        case LLMSPELL_JSON_STRING: f.type = LLMSPELL_VAL_STRING; f.s = x->u.str; f.slen = x->len; break;
        default: continue;
        }
        fid = llmspell__fname_intern(v, m->key, m->klen);
        if (fid == LLMSPELL__NONE) { llmspell__vfree(v, fld); return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where); }
        for (k = 0; k < nf; k++)
            if (fld[k].id == fid) break;
        if (k < nf) continue; /* a duplicate in stored metadata: the first one counts */
        if (!llmspell__vgrow(v, (void **)&fld, &capf, (size_t)nf + 1, sizeof *fld)) {
            llmspell__vfree(v, fld);
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where);
        }
        f.id = fid;
        fld[nf++] = f;
    }
    flags = (times[1] != times[0] ? LLMSPELL__R_UPDATED : 0u) | (times[2] != LLMSPELL_TIME_MAX ? LLMSPELL__R_EXPIRES : 0u) |
            (nf || scopelen != sizeof LLMSPELL__SCOPE_DEFAULT - 1 || memcmp(scope, LLMSPELL__SCOPE_DEFAULT, scopelen) != 0 ||
                     metalen != sizeof LLMSPELL__META_DEFAULT - 1 || memcmp(meta, LLMSPELL__META_DEFAULT, metalen) != 0
                 ? LLMSPELL__R_EXTRA
                 : 0u);
    need = llmspell__rfixed(flags) + nf * sizeof(llmspell__vfld) + idlen + 1;
    if (flags & LLMSPELL__R_EXTRA) need += scopelen + 1 + metalen + 1;
    for (i = 0; i < nf; i++)
        if (fld[i].type == LLMSPELL_VAL_STRING) need += fld[i].slen + 1;
    r->blob = (char *)llmspell__valloc(v, need);
    if (!r->blob) {
        llmspell__vfree(v, fld);
        return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where);
    }
    h = (llmspell__rhead *)(void *)r->blob;
    memset(h, 0, sizeof *h);
    h->created = times[0];
    h->hash = llmspell__vhash(id, idlen);
    h->idlen = (uint16_t)idlen;
    h->flags = (uint8_t)flags;
    t = (llmspell_time *)(void *)(h + 1);
    if (flags & LLMSPELL__R_UPDATED) *t++ = times[1];
    if (flags & LLMSPELL__R_EXPIRES) *t++ = times[2];
    if (flags & LLMSPELL__R_EXTRA) {
        uint32_t *x = (uint32_t *)(void *)t;
        x[0] = (uint32_t)scopelen;
        x[1] = (uint32_t)metalen;
        x[2] = nf;
        x[3] = 0;
    }
    f = (llmspell__vfld *)(void *)(r->blob + llmspell__rfixed(flags));
    p = (char *)(f + nf);
    memcpy(p, id, idlen); p[idlen] = 0; p += idlen + 1;
    if (flags & LLMSPELL__R_EXTRA) {
        memcpy(p, scope, scopelen); p[scopelen] = 0; p += scopelen + 1;
        memcpy(p, meta, metalen); p[metalen] = 0; p += metalen + 1;
    }
    for (i = 0; i < nf; i++) {
        f[i] = fld[i];
        if (fld[i].type == LLMSPELL_VAL_STRING) {
            if (fld[i].slen) memcpy(p, fld[i].s, fld[i].slen);
            p[fld[i].slen] = 0;
            f[i].s = p;
            p += fld[i].slen + 1;
        }
    }
    llmspell__vfree(v, fld);
    return LLMSPELL_OK;
}

static uint8_t *llmspell__rec_blob(const llmspell_vec *v, const llmspell__vrec *r, const float *vec, uint32_t dim, size_t *len) {
    llmspell__recview rv;
    llmspell__rparts pt;
    uint8_t *b;
    memset(&rv, 0, sizeof rv);
    rv.dim = dim;
    llmspell__rparts_of(r, &pt);
    rv.created = pt.created;
    rv.updated = pt.updated;
    rv.expires = pt.expires;
    rv.scope = pt.scope;
    rv.scopelen = pt.scopelen;
    rv.meta = pt.meta;
    rv.metalen = pt.metalen;
    *len = llmspell__rec_size(&rv);
    if (!(b = (uint8_t *)llmspell__valloc(v, *len))) return NULL;
    llmspell__rec_write(b, &rv, vec);
    return b;
}

static int llmspell__vec_ok(const float *x, uint32_t dim, int cosine, double *norm2) {
    double s = 0;
    uint32_t i;
    *norm2 = -1; /* "not finite" until the loop says otherwise */
    for (i = 0; i < dim; i++) {
        if (!(x[i] - x[i] == 0.0f)) return 0; /* NaN or infinity */
        s += (double)x[i] * x[i];
    }
    *norm2 = s;
    return !cosine || s > 0;
}

/* >>indexes */

static void llmspell__vix_free(const llmspell_vec *v, llmspell__hnsw *ix) {
    uint32_t i;
    if (!ix) return;
    if (ix->up)
        for (i = 0; i < ix->n; i++) llmspell__vfree(v, ix->up[i]);
    llmspell__vfree(v, ix->up);
    for (i = 0; i < ix->nchunks; i++) llmspell__vfree(v, ix->l0[i]);
    llmspell__vfree(v, ix->l0);
    llmspell__vfree(v, ix->level);
    llmspell__vfree(v, ix->indeg);
    llmspell__vfree(v, ix->free);
    llmspell__vfree(v, ix->dirty);
    llmspell__vfree(v, ix);
}

static llmspell__hnsw *llmspell__vix_find(const llmspell_vec *v, uint32_t dim, uint32_t *at) {
    uint32_t i;
    for (i = 0; i < v->nix; i++)
        if (v->ix[i]->dim == dim) { if (at) *at = i; return v->ix[i]; }
    return NULL;
}

/* Bytes of a vector in the block's form (its head and values, padded to 4). */
static uint32_t llmspell__vbytes(llmspell_vec_quant quant, uint32_t dim) {
    if (quant == LLMSPELL_VEC_F16) return 4 + (2 * dim + 3) / 4 * 4;
    if (quant == LLMSPELL_VEC_INT8) return 8 + (dim + 3) / 4 * 4;
    return 4 + 4 * dim;
}

/* The sizes that follow from a link width (>>links). */
static void llmspell__vix_layout(llmspell__hnsw *ix, uint32_t lw) {
    ix->lw = lw;
    ix->w0 = llmspell__lwords(lw, ix->M0);
    ix->wm = llmspell__lwords(lw, ix->M);
    ix->stride = 4 * (3 + (size_t)ix->w0) + ix->vbytes;
}

/* A node's upper lists for `level` levels above 0, each of `words` words of links, empty. */
static uint32_t *llmspell__up_new(const llmspell_vec *v, int level, uint32_t words) {
    size_t n = (size_t)level * (1 + words) * sizeof(uint32_t);
    uint32_t *up = (uint32_t *)llmspell__valloc(v, n);
    if (up) memset(up, 0, n);
    return up;
}

static llmspell__hnsw *llmspell__vix_new(llmspell_vec *v, uint32_t dim) {
    llmspell__hnsw *ix = (llmspell__hnsw *)llmspell__valloc(v, sizeof *ix);
    if (!ix) return NULL;
    memset(ix, 0, sizeof *ix);
    ix->dim = dim;
    ix->M = v->cfg.M;
    ix->M0 = 2 * v->cfg.M;
    ix->vbytes = llmspell__vbytes(v->cfg.quant, dim);
    llmspell__vix_layout(ix, 3);
    ix->entry = LLMSPELL__NONE;
    ix->maxlevel = -1;
    return ix;
}

/* Level-0 blocks for nodes [0, need). Only the last chunk grows (doubling from 16 blocks to an
   eighth of a chunk, then by eighths), so at most an eighth of a chunk is held unused at any
   size; full chunks never move. The collection is held exclusively here: no search holds a
   block of the chunk that moves. */
static int llmspell__vix_blocks(llmspell_vec *v, llmspell__hnsw *ix, size_t need) {
    const uint32_t step = LLMSPELL__CHUNK / 8;
    if (need > LLMSPELL__NONE - LLMSPELL__CHUNK || ix->stride > ((size_t)-1) / LLMSPELL__CHUNK) return 0;
    for (;;) {
        /* the chunk that grows: the last, or a new one after a full last */
        uint32_t c = ix->nchunks && ix->caplast < LLMSPELL__CHUNK ? ix->nchunks - 1 : ix->nchunks;
        uint32_t have = c < ix->nchunks ? ix->caplast : 0, n = have ? have : 16;
        size_t want;
        uint8_t *p;
        if ((size_t)c * LLMSPELL__CHUNK + have >= need) return 1;
        want = need - (size_t)c * LLMSPELL__CHUNK;
        while (n < want && n < LLMSPELL__CHUNK) n = n < step ? 2 * n : n + step;
        if (!llmspell__vgrow(v, (void **)&ix->l0, &ix->capchunks, (size_t)c + 1, sizeof *ix->l0)) return 0;
        if (!(p = (uint8_t *)llmspell__vrealloc(v, c < ix->nchunks ? ix->l0[c] : NULL, (size_t)n * ix->stride))) return 0;
        memset(p + (size_t)have * ix->stride, 0, (size_t)(n - have) * ix->stride); /* sequence locks start even */
        ix->l0[c] = p;
        ix->nchunks = c + 1;
        ix->caplast = n;
    }
}

/* Gives ix 4-byte links (>>links) when it is to hold more nodes than 3 bytes can name: every
   block and upper list is copied into the wider layout, or, short of memory, nothing changes.
   The collection is held exclusively. */
static int llmspell__vix_widen(llmspell_vec *v, llmspell__hnsw *ix) {
    llmspell__hnsw w = *ix;
    uint32_t **up = NULL, node, c, i, ln[LLMSPELL__MAX_M0];
    int l;
    w.l0 = NULL;
    w.nchunks = w.capchunks = w.caplast = 0;
    llmspell__vix_layout(&w, 4);
    if (ix->cap && !(up = (uint32_t **)llmspell__valloc(v, (size_t)ix->cap * sizeof *up))) return 0;
    if (ix->cap) memset(up, 0, (size_t)ix->cap * sizeof *up);
    w.up = up;
    for (node = 0; node < ix->n; node++) /* the memory first, so that failing changes nothing */
        if (ix->up[node] && !(up[node] = llmspell__up_new(v, ix->level[node], w.wm))) break;
    if (node < ix->n || !llmspell__vix_blocks(v, &w, ix->n)) {
        for (i = 0; i < node && i < ix->n; i++) llmspell__vfree(v, up[i]);
        for (c = 0; c < w.nchunks; c++) llmspell__vfree(v, w.l0[c]);
        llmspell__vfree(v, w.l0);
        llmspell__vfree(v, up);
        return 0;
    }
    for (node = 0; node < ix->n; node++) {
        for (l = 0; l <= ix->level[node]; l++) {
            const uint32_t *from = llmspell__links(ix, node, l);
            uint32_t *to = llmspell__links(&w, node, l), n = llmspell__lk_all(ix, from, ln);
            to[0] = n;
            memcpy(to + 1, ln, (size_t)n * 4);
        }
        *LLMSPELL__SEQ(&w, node) = *LLMSPELL__SEQ(ix, node);
        LLMSPELL__REC(&w, node) = LLMSPELL__REC(ix, node);
        memcpy(LLMSPELL__NV(&w, node), LLMSPELL__NV(ix, node), ix->vbytes);
        llmspell__vfree(v, ix->up[node]);
    }
    for (c = 0; c < ix->nchunks; c++) llmspell__vfree(v, ix->l0[c]);
    llmspell__vfree(v, ix->l0);
    llmspell__vfree(v, ix->up);
    *ix = w;
    return 1;
}

/* Room for `more` node slots (and their dirty-page bits) without allocating later. The arrays
   beside the blocks grow as llmspell__vgrow's do (a few bytes a node: a copy costs little). */
static int llmspell__vix_reserve(llmspell_vec *v, llmspell__hnsw *ix, uint32_t more) {
    size_t need = (size_t)ix->n + more, pages;
    if (ix->lw == 3 && need > LLMSPELL__LINK3_NODES && !llmspell__vix_widen(v, ix)) return 0;
    if (!llmspell__vix_blocks(v, ix, need)) return 0;
    if (need > ix->cap) {
        size_t ncap = llmspell__grown(ix->cap, need);
        void *p;
        if (ncap >= LLMSPELL__NONE || ncap > ((size_t)-1) / sizeof *ix->up) return 0;
        if (!(p = llmspell__vrealloc(v, ix->up, ncap * sizeof *ix->up))) return 0;
        ix->up = (uint32_t **)p;
        if (!(p = llmspell__vrealloc(v, ix->level, ncap))) return 0;
        ix->level = (uint8_t *)p;
        if (!(p = llmspell__vrealloc(v, ix->indeg, ncap * sizeof *ix->indeg))) return 0;
        ix->indeg = (uint32_t *)p;
        ix->cap = (uint32_t)ncap;
    }
    pages = (need + LLMSPELL__PAGE_NODES - 1) / LLMSPELL__PAGE_NODES;
    if (pages > ix->dirty_pages) {
        size_t nw = (pages * 2 + 31) / 32, old = (ix->dirty_pages + 31) / 32;
        uint32_t *d = (uint32_t *)llmspell__vrealloc(v, ix->dirty, nw * sizeof *d);
        if (!d) return 0;
        memset(d + old, 0, (nw - old) * sizeof *d);
        ix->dirty = d;
        ix->dirty_pages = (uint32_t)(nw * 32);
    }
    return 1;
}

/* Room on the free list for `more` nodes: a write makes room for every node it may free before
   it changes anything, so the list never grows while the write applies. */
static int llmspell__free_room(const llmspell_vec *v, llmspell__hnsw *ix, size_t more) {
    return llmspell__vgrow(v, (void **)&ix->free, &ix->capfree, (size_t)ix->nfree + more, sizeof *ix->free);
}

/* Puts float32 x into the block's form at head h (a node's, or a query's; see >>structures):
   f32 as given, f16 rounded, int8 scaled. The same x always gives the same bytes (a rebuild
   from the records, an import, find what the graph was built with). f16 saturates beyond
   65504 (x itself is finite: checked); a cosine vector that is zero in f16 keeps a zero
   inverse norm (similarity 0 to everything). */
static void llmspell__vform(const llmspell_vec *v, float *h, const float *x, uint32_t dim) {
    int cosine = v->cfg.metric == LLMSPELL_METRIC_COSINE;
    double s2 = 0;
    uint32_t i;
    h[0] = 1.0f;
    if (v->cfg.quant == LLMSPELL_VEC_F32) {
        if (h + 1 != x) memcpy(h + 1, x, (size_t)dim * 4);
        for (i = 0; cosine && i < dim; i++) s2 += (double)x[i] * x[i];
    } else if (v->cfg.quant == LLMSPELL_VEC_F16) {
        uint16_t *y = (uint16_t *)(void *)(h + 1);
        for (i = 0; i < dim; i++) {
            double f;
            y[i] = llmspell__f32_f16(x[i]);
            if ((y[i] & 0x7C00u) == 0x7C00u) y[i] = (uint16_t)((y[i] & 0x8000u) | 0x7BFFu);
            f = llmspell__f16_f32(y[i]);
            s2 += f * f;
        }
        if (s2 == 0 && cosine) h[0] = 0.0f;
    } else {
        int8_t *q = (int8_t *)(void *)(h + 2);
        double mx = 0, r;
        for (i = 0; i < dim; i++) /* (a stored record is not checked for NaN or infinity: no harm from them) */
            if (fabs((double)x[i]) > mx && fabs((double)x[i]) <= 3.5e38) mx = fabs((double)x[i]);
        r = mx > 0 ? 127.0 / mx : 0;
        for (i = 0; i < dim; i++) {
            double t = floor((double)x[i] * r + 0.5);
            q[i] = (int8_t)(t > 127 ? 127 : t < -127 ? -127 : t == t ? t : 0);
            s2 += (double)q[i] * q[i];
        }
        h[0] = (float)(mx / 127.0);
        if (v->cfg.metric == LLMSPELL_METRIC_L2) { /* |s q|^2, kept finite (a float cast of more is undefined) */
            double n2 = (double)h[0] * h[0] * s2;
            h[1] = n2 < 3.4e38 ? (float)n2 : 3.4e38f;
        } else {
            h[1] = cosine && s2 > 0 ? (float)(1.0 / sqrt(s2)) : 0.0f;
        }
        return;
    }
    if (cosine && s2 > 0) h[0] = (float)(1.0 / sqrt(s2));
}

/* The float32 values of a vector in the block's form (what get and each return). */
static void llmspell__vform_values(const llmspell_vec *v, const float *h, float *out, uint32_t dim) {
    uint32_t i;
    if (v->cfg.quant == LLMSPELL_VEC_F32) memcpy(out, h + 1, (size_t)dim * 4);
    else if (v->cfg.quant == LLMSPELL_VEC_F16)
        for (i = 0; i < dim; i++) out[i] = llmspell__f16_f32(((const uint16_t *)(const void *)(h + 1))[i]);
    else
        for (i = 0; i < dim; i++) out[i] = h[0] * (float)((const int8_t *)(const void *)(h + 2))[i];
}

static void llmspell__vix_setvec(const llmspell_vec *v, llmspell__hnsw *ix, uint32_t node, const float *x) {
    llmspell__vform(v, LLMSPELL__NV(ix, node), x, ix->dim);
}

/* Takes a node slot for record r: a deleted slot when there is one (its level grows to the
   new one if needed, using `up` prepared by the caller), else a new one. Never allocates. */
static uint32_t llmspell__vix_take(llmspell__hnsw *ix, uint32_t r, int level, uint32_t **up) {
    uint32_t node, entry = llmspell__ld32(&ix->entry);
    if (ix->nfree && ix->free[ix->nfree - 1] == entry && ix->nfree > 1) { /* keep the entry point's links */
        uint32_t t = ix->free[0];
        ix->free[0] = ix->free[ix->nfree - 1];
        ix->free[ix->nfree - 1] = t;
    }
    if (ix->nfree && ix->free[ix->nfree - 1] != entry) {
        node = ix->free[--ix->nfree];
        if (level > ix->level[node]) {
            /* caller prepared up for `level`; the old array is released by the caller */
            uint32_t *old = ix->up[node];
            ix->up[node] = *up;
            *up = old;
            ix->level[node] = (uint8_t)level;
        }
    } else {
        node = ix->n++;
        ix->up[node] = *up;
        *up = NULL;
        ix->level[node] = (uint8_t)level;
        LLMSPELL__L0(ix, node)[0] = 0;
        ix->indeg[node] = 0;
    }
    LLMSPELL__REC(ix, node) = r;
    ix->live++;
    return node;
}

/* >>saving the graph: a page is "LVP1" u32 page, u32 nodes, then per node u8 level, u8 live,
   u16 id length, the id, and per level 0..level a u32 count and the links; a deleted node
   (a waypoint) also carries its vector, which no record holds any more, in the index's form
   (f32: dim float32; f16: float 1/|x|, dim u16; int8: float s, float aux, dim bytes; all
   little-endian). A CRC-32C ends it. */
static size_t llmspell__wp_size(const llmspell_vec *v, const llmspell__hnsw *ix) {
    return v->cfg.quant == LLMSPELL_VEC_F32 ? 4 * (size_t)ix->dim : v->cfg.quant == LLMSPELL_VEC_F16 ? 4 + 2 * (size_t)ix->dim : 8 + (size_t)ix->dim;
}

static void llmspell__wp_put(const llmspell_vec *v, const llmspell__hnsw *ix, const float *h, uint8_t *p) {
    uint32_t i, u, heads = v->cfg.quant == LLMSPELL_VEC_F32 ? 0 : v->cfg.quant == LLMSPELL_VEC_F16 ? 1 : 2;
    for (i = 0; i < heads; i++, p += 4) {
        memcpy(&u, &h[i], 4);
        llmspell__put32(p, u);
    }
    if (v->cfg.quant == LLMSPELL_VEC_INT8) {
        memcpy(p, h + 2, ix->dim);
    } else if (v->cfg.quant == LLMSPELL_VEC_F16) {
        const uint16_t *x = (const uint16_t *)(const void *)(h + 1);
        for (i = 0; i < ix->dim; i++, p += 2) { p[0] = (uint8_t)x[i]; p[1] = (uint8_t)(x[i] >> 8); }
    } else {
        for (i = 0; i < ix->dim; i++, p += 4) {
            memcpy(&u, &h[1 + i], 4);
            llmspell__put32(p, u);
        }
    }
}

static void llmspell__wp_get(const llmspell_vec *v, const llmspell__hnsw *ix, const uint8_t *p, float *h) {
    uint32_t i, u, heads = v->cfg.quant == LLMSPELL_VEC_F32 ? 0 : v->cfg.quant == LLMSPELL_VEC_F16 ? 1 : 2;
    for (i = 0; i < heads; i++, p += 4) {
        u = llmspell__get32(p);
        memcpy(&h[i], &u, 4);
    }
    if (v->cfg.quant == LLMSPELL_VEC_INT8) { /* -128 is outside the form (the kernels differ on it): -127 */
        int8_t *q = (int8_t *)(void *)(h + 2);
        for (i = 0; i < ix->dim; i++) q[i] = (int8_t)(p[i] == 0x80 ? -127 : (int)p[i] - (p[i] > 127 ? 256 : 0));
    } else if (v->cfg.quant == LLMSPELL_VEC_F16) {
        uint16_t *x = (uint16_t *)(void *)(h + 1);
        for (i = 0; i < ix->dim; i++, p += 2) x[i] = (uint16_t)(p[0] | p[1] << 8);
    } else {
        for (i = 0; i < ix->dim; i++, p += 4) {
            u = llmspell__get32(p);
            memcpy(&h[1 + i], &u, 4);
        }
        llmspell__vform(v, h, h + 1, ix->dim); /* its inverse norm */
    }
}

static uint8_t *llmspell__page_blob(const llmspell_vec *v, const llmspell__hnsw *ix, uint32_t page, size_t *len) {
    uint32_t first = page * LLMSPELL__PAGE_NODES, last = first + LLMSPELL__PAGE_NODES, node;
    size_t n = 12 + 4;
    uint8_t *b, *p;
    int l;
    if (last > ix->n) last = ix->n;
    for (node = first; node < last; node++) {
        uint32_t r = LLMSPELL__REC(ix, node);
        n += 4 + (r == LLMSPELL__NONE ? llmspell__wp_size(v, ix) : LLMSPELL__RHEAD(&v->recs[r])->idlen);
        for (l = 0; l <= ix->level[node]; l++) n += 4 + 4 * (size_t)llmspell__links(ix, node, l)[0];
    }
    if (!(b = (uint8_t *)llmspell__valloc(v, n))) return NULL;
    memcpy(b, "LVP1", 4);
    llmspell__put32(b + 4, page);
    llmspell__put32(b + 8, last - first);
    p = b + 12;
    for (node = first; node < last; node++) {
        uint32_t r = LLMSPELL__REC(ix, node), i;
        p[0] = ix->level[node];
        p[1] = r != LLMSPELL__NONE;
        if (r != LLMSPELL__NONE) {
            uint32_t idlen = LLMSPELL__RHEAD(&v->recs[r])->idlen;
            p[2] = (uint8_t)idlen;
            p[3] = (uint8_t)(idlen >> 8);
            memcpy(p + 4, llmspell__rid(&v->recs[r]), idlen);
            p += 4 + idlen;
        } else {
            p[2] = p[3] = 0;
            llmspell__wp_put(v, ix, LLMSPELL__NV(ix, node), p + 4);
            p += 4 + llmspell__wp_size(v, ix);
        }
        for (l = 0; l <= ix->level[node]; l++) {
            const uint32_t *ln = llmspell__links(ix, node, l); /* saved 4 bytes a link at any width */
            llmspell__put32(p, ln[0]);
            for (i = 0, p += 4; i < ln[0]; i++, p += 4) llmspell__put32(p, llmspell__lk(ix, ln, i));
        }
    }
    llmspell__put32(p, llmspell_crc32c(0, b, (size_t)(p - b)));
    *len = n;
    return b;
}

#define LLMSPELL__HEAD_SIZE 44
static void llmspell__head_blob(const llmspell_vec *v, const llmspell__hnsw *ix, uint8_t b[LLMSPELL__HEAD_SIZE]) {
    memcpy(b, "LVH1", 4);
    llmspell__put32(b + 4, 1);
    llmspell__put64(b + 8, v->gen);
    llmspell__put32(b + 16, ix->dim);
    llmspell__put32(b + 20, ix->M);
    llmspell__put32(b + 24, ix->n);
    llmspell__put32(b + 28, llmspell__ld32(&ix->entry));
    llmspell__put32(b + 32, (uint32_t)ix->maxlevel);
    llmspell__put32(b + 36, (uint32_t)ix->live);
    llmspell__put32(b + 40, llmspell_crc32c(0, b, 40));
}

/* Writes the settings, every header, and the changed pages (inside the open transaction). */
static llmspell_result llmspell__save(llmspell_vec *v, llmspell_time created) {
    uint8_t key[LLMSPELL__VKEY_MAX], meta[LLMSPELL__META_SIZE], head[LLMSPELL__HEAD_SIZE];
    llmspell_result r;
    uint32_t i, page;
    size_t kn;
    kn = llmspell__vkey(key, sizeof key, 'm', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    llmspell__meta_blob(meta, &v->cfg, v->gen, v->live, created);
    if ((r = llmspell_kv_put_sys(v->kv, key, kn, meta, sizeof meta)) != LLMSPELL_OK) return r;
    for (i = 0; i < v->nix; i++) {
        llmspell__hnsw *ix = v->ix[i];
        uint32_t pages = (ix->n + LLMSPELL__PAGE_NODES - 1) / LLMSPELL__PAGE_NODES;
        kn = llmspell__vkey(key, sizeof key, 'h', v->name, v->nlen, NULL, 0, 1, ix->dim, 0, 0);
        llmspell__head_blob(v, ix, head);
        if ((r = llmspell_kv_put_sys(v->kv, key, kn, head, sizeof head)) != LLMSPELL_OK) return r;
        for (page = 0; page < pages; page++) {
            uint8_t *blob;
            size_t len;
            if (!(ix->dirty[page / 32] & (1u << (page % 32)))) continue;
            if (!(blob = llmspell__page_blob(v, ix, page, &len))) return LLMSPELL_ERR_NOMEM;
            kn = llmspell__vkey(key, sizeof key, 'p', v->name, v->nlen, NULL, 0, 1, ix->dim, 1, page);
            r = llmspell_kv_put_sys(v->kv, key, kn, blob, len);
            llmspell__vfree(v, blob);
            if (r != LLMSPELL_OK) return r;
        }
    }
    return LLMSPELL_OK;
}

static void llmspell__clear_dirty(llmspell_vec *v) {
    uint32_t i;
    for (i = 0; i < v->nix; i++) memset(v->ix[i]->dirty, 0, (v->ix[i]->dirty_pages + 31) / 32 * sizeof *v->ix[i]->dirty);
}

/* >>holds: the ids and metadata a read returns point into record blobs, valid until the
   calling thread's next call on the handle. Each thread lists the blobs of its last read's
   answer (its holds, set under the read lock); a write that drops a record (delete, update,
   expiry, reload) frees the blob only if no thread holds it, else parks it in limbo until a
   later write finds it free. Memory held back is thus at most one answer per thread. The
   writer reads the holds under the exclusive lock, the same lock their owners wrote them under. */
static int llmspell__ptr_cmp(const void *a, const void *b) {
    uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;
    return x < y ? -1 : x > y;
}

/* Under the exclusive lock: a sorted copy of every thread's holds in v->hz (0: no memory, and
   then every blob counts as held). */
static int llmspell__hz_collect(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__tslot *t, *head = (llmspell__tslot *)llmspell__aload_ptr(&v->ts.head);
    size_t n = 0;
    v->nhz = 0;
    v->hz_all = 0;
    for (t = head; t; t = t->next)
        if (t->scratch) n += ((llmspell__vscratch *)t->scratch)->nhold;
    if (n && !llmspell__vgrow(v, (void **)&v->hz, &v->caphz, n, sizeof *v->hz)) {
        v->hz_all = 1;
        return 0;
    }
    for (t = head; t; t = t->next) {
        const llmspell__vscratch *s = (const llmspell__vscratch *)t->scratch;
        if (s && s->nhold) {
            memcpy(v->hz + v->nhz, s->hold, (size_t)s->nhold * sizeof *v->hz);
            v->nhz += s->nhold;
        }
    }
    if (v->nhz > 1) qsort(v->hz, v->nhz, sizeof *v->hz, llmspell__ptr_cmp);
#else
    (void)v;
#endif
    return 1;
}

static int llmspell__hz_held(const llmspell_vec *v, const void *blob) {
    return v->hz_all || (v->nhz && bsearch(&blob, v->hz, v->nhz, sizeof *v->hz, llmspell__ptr_cmp) != NULL);
}

/* Frees a dropped record's blob, or parks it while a thread holds it (v->hz is current). Out of
   memory for the limbo (only a reload can need more than a write reserved): never freed. */
static void llmspell__retire(llmspell_vec *v, char *blob) {
    if (!llmspell__hz_held(v, blob)) {
        llmspell__vfree(v, blob);
        return;
    }
    if (llmspell__vgrow(v, (void **)&v->limbo, &v->caplimbo, (size_t)v->nlimbo + 1, sizeof *v->limbo)) v->limbo[v->nlimbo++] = blob;
}

/* Frees the parked blobs no thread holds any more (v->hz is current). */
static void llmspell__limbo_sweep(llmspell_vec *v) {
    uint32_t i, k = 0;
    for (i = 0; i < v->nlimbo; i++) {
        if (llmspell__hz_held(v, v->limbo[i])) v->limbo[k++] = v->limbo[i];
        else llmspell__vfree(v, v->limbo[i]);
    }
    v->nlimbo = k;
}

/* Room for a reader's n holds, which it then fills in (under the read lock). 0: no memory. */
static int llmspell__hold_room(llmspell_vec *v, llmspell__vscratch *s, size_t n) {
    s->nhold = 0;
    if (n && !llmspell__vgrow(v, (void **)&s->hold, &s->caphold, n, sizeof *s->hold)) return 0;
    s->nhold = (uint32_t)n;
    return 1;
}

/* >>loading */

static void llmspell__unload(llmspell_vec *v) {
    uint32_t i;
    for (i = 0; i < v->nrecs; i++)
        if (v->recs[i].ix != LLMSPELL__NONE) llmspell__retire(v, v->recs[i].blob);
    llmspell__vfree(v, v->recs);
    llmspell__vfree(v, v->idmap);
    for (i = 0; i < v->nfnames; i++) llmspell__vfree(v, v->fnames[i].s);
    llmspell__vfree(v, v->fnames);
    llmspell__vfree(v, v->fmap);
    for (i = 0; i < v->nix; i++) llmspell__vix_free(v, v->ix[i]);
    llmspell__vfree(v, v->ix);
    llmspell__fx_free(v);
    v->fx = NULL;
    v->nfx = 0;
    v->recs = NULL;
    v->nrecs = v->caprecs = v->nfree_rec = 0;
    v->free_rec = LLMSPELL__NONE;
    v->idmap = NULL;
    v->idmask = v->idcount = 0;
    v->fnames = NULL;
    v->nfnames = v->capfnames = 0;
    v->fmap = NULL;
    v->fmask = 0;
    v->ix = NULL;
    v->nix = 0;
    v->live = 0;
    v->next_expiry = LLMSPELL_TIME_MAX;
}

/* A free record slot (the chain runs through .node). */
static uint32_t llmspell__rec_slot(llmspell_vec *v) {
    uint32_t r = v->free_rec;
    if (r != LLMSPELL__NONE) {
        v->free_rec = v->recs[r].node;
        v->nfree_rec--;
        return r;
    }
    return v->nrecs++;
}

static void llmspell__rec_release(llmspell_vec *v, uint32_t r) {
    llmspell__retire(v, v->recs[r].blob);
    memset(&v->recs[r], 0, sizeof v->recs[r]);
    v->recs[r].ix = LLMSPELL__NONE;
    v->recs[r].node = v->free_rec;
    v->free_rec = r;
    v->nfree_rec++;
}

static int llmspell__add_index(llmspell_vec *v, llmspell__hnsw *ix) {
    uint32_t cap = v->nix;
    void *p = llmspell__vrealloc(v, v->ix, ((size_t)cap + 1) * sizeof *v->ix);
    if (!p) return 0;
    v->ix = (llmspell__hnsw **)p;
    v->ix[v->nix++] = ix;
    return 1;
}

/* Connects every node of ix afresh, from the vectors in its blocks, in slot order. */
static int llmspell__vix_rebuild(llmspell_vec *v, llmspell__hnsw *ix) {
    llmspell__vscratch s;
    uint32_t node, n = ix->n;
    memset(&s, 0, sizeof s);
    ix->entry = LLMSPELL__NONE;
    ix->maxlevel = -1;
    for (node = 0; node < n; node++) { /* fresh levels: the old upper arrays may not fit */
        int lv = llmspell__vrandom_level(v);
        LLMSPELL__L0(ix, node)[0] = 0;
        ix->indeg[node] = 0;
        llmspell__vfree(v, ix->up[node]);
        ix->up[node] = NULL;
        ix->level[node] = 0;
        if (lv > 0) {
            if (!(ix->up[node] = llmspell__up_new(v, lv, ix->wm))) return 0;
            ix->level[node] = (uint8_t)lv;
        }
    }
    if (!llmspell__insert_reserve(v, &s, n)) { llmspell__scratch_free(v, &s); return 0; }
    for (node = 0; node < n; node++) {
        if (LLMSPELL__REC(ix, node) == LLMSPELL__NONE) continue;
        llmspell__insert(v, ix, node, &s);
    }
    llmspell__scratch_free(v, &s);
    memset(ix->dirty, 0xFF, (ix->dirty_pages + 31) / 32 * sizeof *ix->dirty);
    return 1;
}

/* Where the saved pages put each live record: id -> (index, node), built while loading. */
typedef struct llmspell__place { const uint8_t *id; uint32_t idlen, hash, ix, node; } llmspell__place;

typedef struct llmspell__loader {
    llmspell_vec *v;
    llmspell__place *pl;
    uint32_t npl, cappl;
    uint32_t *map;             /* open addressing of place index + 1 */
    size_t mask;
    uint8_t **pages;           /* page blobs kept alive while their ids are referenced */
    uint32_t npages, cappages;
    uint8_t *valid;            /* per index: 1 while its saved graph can be trusted */
    uint32_t *matched;         /* per index: live nodes that found their record */
    float *x;                  /* a record's float32 vector, for a quantized collection's form */
    uint32_t capx;
} llmspell__loader;

static uint32_t llmspell__place_find(const llmspell__loader *ld, const char *id, size_t n, uint32_t h) {
    size_t i;
    if (!ld->map) return LLMSPELL__NONE;
    for (i = h & ld->mask; ld->map[i]; i = (i + 1) & ld->mask) {
        const llmspell__place *p = &ld->pl[ld->map[i] - 1];
        if (p->hash == h && p->idlen == n && memcmp(p->id, id, n) == 0) return ld->map[i] - 1;
    }
    return LLMSPELL__NONE;
}

/* Parses one page into ix; returns 0 when it does not check out. */
static int llmspell__page_load(llmspell__loader *ld, llmspell__hnsw *ix, uint32_t ixno, uint32_t page, const uint8_t *b, size_t n) {
    llmspell_vec *v = ld->v;
    uint32_t first = page * LLMSPELL__PAGE_NODES, cnt, k, i;
    const uint8_t *p = b + 12, *end = b + n - 4;
    if (n < 16 || memcmp(b, "LVP1", 4) != 0 || llmspell__get32(b + 4) != page || llmspell__get32(end) != llmspell_crc32c(0, b, n - 4))
        return 0;
    cnt = llmspell__get32(b + 8);
    if (cnt > LLMSPELL__PAGE_NODES || first + cnt > ix->n || (first + cnt < ix->n && cnt != LLMSPELL__PAGE_NODES)) return 0;
    for (k = 0; k < cnt; k++) {
        uint32_t node = first + k, idlen;
        int level, live, l;
        if (end - p < 4) return 0;
        level = p[0];
        live = p[1];
        idlen = (uint32_t)p[2] | (uint32_t)p[3] << 8;
        p += 4;
        if (level > LLMSPELL__MAX_LEVEL || live > 1 || (live && (idlen == 0 || idlen > LLMSPELL__VEC_FORM_MAX_ID)) || (!live && idlen))
            return 0;
        ix->level[node] = (uint8_t)level;
        ix->up[node] = NULL;
        if (level > 0 && !(ix->up[node] = llmspell__up_new(v, level, ix->wm))) return 0;
        if (live) {
            llmspell__place *pl;
            uint32_t h;
            size_t j;
            if ((size_t)(end - p) < idlen) return 0;
            if (!llmspell__vgrow(v, (void **)&ld->pl, &ld->cappl, (size_t)ld->npl + 1, sizeof *ld->pl)) return 0;
            h = llmspell__vhash(p, idlen);
            if (llmspell__place_find(ld, (const char *)p, idlen, h) != LLMSPELL__NONE) return 0; /* an id twice */
            pl = &ld->pl[ld->npl];
            pl->id = p;
            pl->idlen = idlen;
            pl->hash = h;
            pl->ix = ixno;
            pl->node = node;
            for (j = h & ld->mask; ld->map[j]; j = (j + 1) & ld->mask) {
            }
            ld->map[j] = ++ld->npl;
            LLMSPELL__REC(ix, node) = LLMSPELL__NONE; /* until its record is seen */
            p += idlen;
        } else {
            if ((size_t)(end - p) < llmspell__wp_size(v, ix)) return 0;
            llmspell__wp_get(v, ix, p, LLMSPELL__NV(ix, node));
            p += llmspell__wp_size(v, ix);
            LLMSPELL__REC(ix, node) = LLMSPELL__NONE;
            ix->free[ix->nfree++] = node;
        }
        for (l = 0; l <= level; l++) {
            uint32_t *ln = llmspell__links(ix, node, l), c, cap = l == 0 ? ix->M0 : ix->M;
            if (end - p < 4) return 0;
            c = llmspell__get32(p);
            p += 4;
            if (c > cap || (size_t)(end - p) < 4 * (size_t)c) return 0;
            ln[0] = c;
            for (i = 0; i < c; i++, p += 4) {
                uint32_t t = llmspell__get32(p);
                if (t >= ix->n || t == node) return 0;
                llmspell__lk_set(ix, ln, i, t);
            }
        }
    }
    return p == end;
}

/* Loads the saved graph of one dimension; 0 means "do not trust it" (the records decide). */
static int llmspell__graph_load(llmspell__loader *ld, uint32_t ixno, const uint8_t *head, size_t hn) {
    llmspell_vec *v = ld->v;
    llmspell__hnsw *ix = v->ix[ixno];
    uint8_t key[LLMSPELL__VKEY_MAX];
    uint32_t n, pages, page, live_pages = 0;
    if (hn != LLMSPELL__HEAD_SIZE || memcmp(head, "LVH1", 4) != 0 || llmspell__get32(head + 40) != llmspell_crc32c(0, head, 40) ||
        llmspell__get32(head + 4) != 1 || llmspell__get64(head + 8) != v->gen || llmspell__get32(head + 20) != v->cfg.M)
        return 0;
    n = llmspell__get32(head + 24);
    if (n) { /* a header is only believed with its last page present: no forged count can make us reserve memory */
        const void *val;
        size_t vn, kn = llmspell__vkey(key, sizeof key, 'p', v->name, v->nlen, NULL, 0, 1, ix->dim, 1, (n - 1) / LLMSPELL__PAGE_NODES);
        if (llmspell_kv_get(v->kv, key, kn, &val, &vn) != LLMSPELL_OK || vn < 12 ||
            llmspell__get32((const uint8_t *)val + 8) != n - (n - 1) / LLMSPELL__PAGE_NODES * LLMSPELL__PAGE_NODES)
            return 0;
    }
    if (!llmspell__vix_reserve(v, ix, n)) return 0;
    /* capacity for the place map: at most n live nodes */
    if (!ld->map || (ld->mask + 1) / 2 < ld->npl + (size_t)n) {
        size_t cap = 64, i;
        uint32_t *m;
        while (cap / 2 < ld->npl + (size_t)n) cap *= 2;
        if (!(m = (uint32_t *)llmspell__valloc(v, cap * sizeof *m))) return 0;
        memset(m, 0, cap * sizeof *m);
        for (i = 0; i < ld->npl; i++) {
            size_t j = ld->pl[i].hash & (cap - 1);
            while (m[j]) j = (j + 1) & (cap - 1);
            m[j] = (uint32_t)i + 1;
        }
        llmspell__vfree(v, ld->map);
        ld->map = m;
        ld->mask = cap - 1;
    }
    if (n) memset(ix->up, 0, (size_t)n * sizeof *ix->up);
    ix->n = n;
    pages = (n + LLMSPELL__PAGE_NODES - 1) / LLMSPELL__PAGE_NODES;
    for (page = 0; page < pages; page++) {
        const void *val;
        size_t vn, kn = llmspell__vkey(key, sizeof key, 'p', v->name, v->nlen, NULL, 0, 1, ix->dim, 1, page);
        uint8_t *copy;
        if (llmspell_kv_get(v->kv, key, kn, &val, &vn) != LLMSPELL_OK) return 0;
        if (!llmspell__vgrow(v, (void **)&ld->pages, &ld->cappages, (size_t)ld->npages + 1, sizeof *ld->pages)) return 0;
        if (!(copy = (uint8_t *)llmspell__valloc(v, vn))) return 0;
        memcpy(copy, val, vn);
        ld->pages[ld->npages++] = copy; /* the place map points into it */
        if (!llmspell__free_room(v, ix, LLMSPELL__PAGE_NODES) || !llmspell__page_load(ld, ix, ixno, page, copy, vn)) return 0;
        live_pages++;
    }
    ix->entry = llmspell__get32(head + 28);
    ix->maxlevel = (int)llmspell__get32(head + 32);
    if (n && (ix->entry >= n || ix->maxlevel != ix->level[ix->entry])) return 0;
    if (!n && ix->entry != LLMSPELL__NONE) return 0;
    {
        uint32_t node;
        for (node = 0; node < n; node++) { /* every upper link must point at a node that has that level */
            int l;
            for (l = 1; l <= ix->level[node]; l++) {
                const uint32_t *ln = llmspell__links(ix, node, l);
                uint32_t i;
                for (i = 0; i < ln[0]; i++)
                    if (ix->level[llmspell__lk(ix, ln, i)] < l) return 0;
            }
        }
        memset(ix->indeg, 0, (size_t)n * sizeof *ix->indeg); /* counted again, not saved */
        for (node = 0; node < n; node++) {
            const uint32_t *ln = llmspell__links(ix, node, 0);
            uint32_t i;
            for (i = 0; i < ln[0]; i++) ix->indeg[llmspell__lk(ix, ln, i)]++;
        }
    }
    (void)live_pages;
    return 1;
}

static void llmspell__vix_reset(const llmspell_vec *v, llmspell__hnsw *ix) {
    uint32_t i;
    for (i = 0; i < ix->n; i++) {
        llmspell__vfree(v, ix->up[i]);
        ix->up[i] = NULL;
    }
    ix->n = ix->nfree = 0;
    ix->live = 0;
    ix->entry = LLMSPELL__NONE;
    ix->maxlevel = -1;
}

/* Re-lays the live nodes of ix in a fresh index and connects them (when its saved graph was
   missing, stale or corrupt). The records are told their new nodes. */
static int llmspell__vix_relay(llmspell_vec *v, uint32_t ixno) {
    llmspell__hnsw *old = v->ix[ixno], *ix = llmspell__vix_new(v, old->dim);
    uint32_t node;
    if (!ix || !llmspell__vix_reserve(v, ix, (uint32_t)old->live)) { llmspell__vix_free(v, ix); return 0; }
    for (node = 0; node < old->n; node++) {
        uint32_t r = LLMSPELL__REC(old, node), nn;
        if (r == LLMSPELL__NONE) continue;
        nn = ix->n++;
        memcpy(LLMSPELL__NV(ix, nn), LLMSPELL__NV(old, node), ix->vbytes); /* the links are made again */
        ix->up[nn] = NULL;
        ix->level[nn] = 0;
        LLMSPELL__REC(ix, nn) = r;
        ix->live++;
        v->recs[r].node = nn;
    }
    if (!llmspell__vix_rebuild(v, ix)) { llmspell__vix_free(v, ix); return 0; }
    llmspell__vix_free(v, old);
    v->ix[ixno] = ix;
    return 1;
}

static void llmspell__vec_decode(const uint8_t *p, float *out, uint32_t dim) {
    uint32_t i;
    for (i = 0; i < dim; i++, p += 4) {
        uint32_t u = llmspell__get32(p);
        memcpy(&out[i], &u, 4);
    }
}

static void llmspell__loader_free(llmspell__loader *ld) {
    uint32_t i;
    for (i = 0; i < ld->npages; i++) llmspell__vfree(ld->v, ld->pages[i]);
    llmspell__vfree(ld->v, ld->pages);
    llmspell__vfree(ld->v, ld->x);
    llmspell__vfree(ld->v, ld->pl);
    llmspell__vfree(ld->v, ld->map);
    llmspell__vfree(ld->v, ld->valid);
    llmspell__vfree(ld->v, ld->matched);
}

/* Adds a field index named name[0..n) to v, built from the records (0: out of memory). */
static int llmspell__fx_add(llmspell_vec *v, const char *name, size_t n) {
    llmspell__findex fx;
    void *more;
    memset(&fx, 0, sizeof fx);
    if ((fx.fid = llmspell__fname_intern(v, name, n)) == LLMSPELL__NONE || !(fx.name = (char *)llmspell__valloc(v, n + 1))) return 0;
    memcpy(fx.name, name, n);
    fx.name[n] = 0;
    fx.nlen = n;
    if (!llmspell__fx_build(v, &fx) || !(more = llmspell__valloc(v, ((size_t)v->nfx + 1) * sizeof *v->fx))) {
        llmspell__vfree(v, fx.name);
        llmspell__vfree(v, fx.p);
        return 0;
    }
    if (v->nfx) memcpy(more, v->fx, (size_t)v->nfx * sizeof *v->fx);
    ((llmspell__findex *)more)[v->nfx] = fx;
    llmspell__vx_lock(v); /* searches read the list */
    llmspell__vfree(v, v->fx);
    v->fx = (llmspell__findex *)more;
    v->nfx++;
    llmspell__vx_unlock(v);
    return 1;
}

/* The declared field indexes of the store, built from the loaded records. A declaration that
   fails its check is left out: an index only makes filters faster. */
static llmspell_result llmspell__fx_load(llmspell_vec *v) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    size_t pre = llmspell__vkey(key, sizeof key, 'f', v->name, v->nlen, NULL, 0, 0, 0, 0, 0), kl, vn, fn;
    llmspell_kv_iter *it;
    const void *k, *val;
    llmspell_result r = llmspell_kv_iter_open(v->kv, key, pre, &it);
    if (r != LLMSPELL_OK) return r;
    while ((r = llmspell_kv_iter_next(it, &k, &kl, &val, &vn)) == LLMSPELL_OK) {
        const uint8_t *q = (const uint8_t *)k + pre, *end = (const uint8_t *)k + kl;
        char name[LLMSPELL_VEC_MAX_NAME];
        if (llmspell_tuple_get_bytes(&q, end, (uint8_t *)name, sizeof name, &fn) != LLMSPELL_OK || q != end || fn == 0 ||
            fn > sizeof name || !llmspell__fdecl_ok((const uint8_t *)val, vn, name, fn) || llmspell__fx_find(v, name, fn))
            continue;
        if (!llmspell__fx_add(v, name, fn)) { r = LLMSPELL_ERR_NOMEM; break; }
    }
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

/* Fills an empty handle from its kv: settings, saved graphs, records; rebuilds what it
   cannot trust. */
static llmspell_result llmspell__load(llmspell_vec *v, llmspell_time *created, int *rebuilt_out) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    const void *val;
    size_t vn, kn, pre;
    llmspell_vec_config cfg;
    uint64_t count;
    llmspell__loader ld;
    llmspell_kv_iter *it = NULL;
    const void *k;
    size_t kl;
    llmspell_result r;
    uint32_t i, rebuilt = 0;
    memset(&ld, 0, sizeof ld);
    ld.v = v;
    kn = llmspell__vkey(key, sizeof key, 'm', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    r = llmspell_kv_get(v->kv, key, kn, &val, &vn);
    if (r == LLMSPELL_ERR_NOT_FOUND) return llmspell__vfail(v, r, "vec: no collection '%s'", v->name);
    if (r != LLMSPELL_OK) return llmspell__vfail(v, r, "vec '%s': %s", v->name, llmspell_kv_errmsg(v->kv));
    memset(&cfg, 0, sizeof cfg);
    if (!llmspell__meta_parse((const uint8_t *)val, vn, &cfg, &v->gen, &count, created))
        return llmspell__vfail(v, LLMSPELL_ERR_CORRUPT, "vec '%s': the collection's settings record is corrupt", v->name);
    llmspell__st32(&v->gen32, (uint32_t)v->gen);
    v->cfg = cfg;
    /* saved graphs */
    pre = llmspell__vkey(key, sizeof key, 'h', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    if ((r = llmspell_kv_iter_open(v->kv, key, pre, &it)) != LLMSPELL_OK) goto kvfail;
    while ((r = llmspell_kv_iter_next(it, &k, &kl, &val, &vn)) == LLMSPELL_OK) {
        const uint8_t *q = (const uint8_t *)k + pre;
        uint64_t dim;
        llmspell__hnsw *ix;
        if (kl != pre + 8 || llmspell_tuple_get_u64(&q, q + 8, &dim) != LLMSPELL_OK || dim == 0 || dim > 0xFFFFFFFFu)
            continue; /* not ours: ignored */
        if (!(ix = llmspell__vix_new(v, (uint32_t)dim)) || !llmspell__add_index(v, ix)) { llmspell__vix_free(v, ix); r = LLMSPELL_ERR_NOMEM; break; }
        {
            uint8_t *nv = (uint8_t *)llmspell__vrealloc(v, ld.valid, v->nix);
            uint32_t *nm = nv ? (uint32_t *)llmspell__vrealloc(v, ld.matched, v->nix * sizeof *nm) : NULL;
            if (nv) ld.valid = nv;
            if (!nm) { r = LLMSPELL_ERR_NOMEM; break; }
            ld.matched = nm;
        }
        {
            /* the iterator's pointers die at the next kv call: copy the header first */
            uint8_t head[LLMSPELL__HEAD_SIZE];
            size_t hn = vn == LLMSPELL__HEAD_SIZE ? vn : 0;
            if (hn) memcpy(head, val, hn);
            ld.matched[v->nix - 1] = 0;
            ld.valid[v->nix - 1] = (uint8_t)(hn && llmspell__graph_load(&ld, v->nix - 1, head, hn));
            if (!ld.valid[v->nix - 1]) llmspell__vix_reset(v, ix);
        }
    }
    llmspell_kv_iter_close(it);
    it = NULL;
    if (r != LLMSPELL_ERR_NOT_FOUND) goto kvfail;
    /* records */
    pre = llmspell__vkey(key, sizeof key, 'r', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    if ((r = llmspell_kv_iter_open(v->kv, key, pre, &it)) != LLMSPELL_OK) goto kvfail;
    while ((r = llmspell_kv_iter_next(it, &k, &kl, &val, &vn)) == LLMSPELL_OK) {
        const uint8_t *q = (const uint8_t *)k + pre, *q0 = q;
        char *id;
        size_t idlen = 0;
        llmspell__recview rv;
        llmspell__vrec rec;
        llmspell_time times[3];
        llmspell__hnsw *ix;
        uint32_t ixno, slot, node, pl;
        /* the id into the metadata scratch (free while loading): ids up to the format's bound */
        (void)llmspell_tuple_get_bytes(&q, (const uint8_t *)k + kl, NULL, 0, &idlen);
        q = q0;
        if (!llmspell__vgrow(v, (void **)&v->jbuf, &v->capjbuf, idlen + 1, 1)) {
            r = LLMSPELL_ERR_NOMEM;
            goto fail;
        }
        id = v->jbuf;
        if (llmspell_tuple_get_bytes(&q, (const uint8_t *)k + kl, (uint8_t *)id, idlen, &idlen) != LLMSPELL_OK ||
            idlen == 0 || idlen > LLMSPELL__VEC_FORM_MAX_ID || q != (const uint8_t *)k + kl || !llmspell__rec_parse((const uint8_t *)val, vn, &rv)) {
            r = llmspell__vfail(v, LLMSPELL_ERR_CORRUPT, "vec '%s': a record (key of %zu bytes) is corrupt", v->name, kl);
            goto fail;
        }
        id[idlen] = 0;
        memset(&rec, 0, sizeof rec);
        times[0] = rv.created;
        times[1] = rv.updated;
        times[2] = rv.expires;
        if ((r = llmspell__rec_build(v, &rec, id, idlen, rv.scope, rv.scopelen, rv.meta, rv.metalen, times, "vec load", 1)) != LLMSPELL_OK) {
            if (r != LLMSPELL_ERR_NOMEM) r = llmspell__vfail(v, LLMSPELL_ERR_CORRUPT, "vec '%s': record '%s' has bad metadata", v->name, id);
            goto fail;
        }
        if (!llmspell__vgrow(v, (void **)&v->recs, &v->caprecs, (size_t)v->nrecs + 1, sizeof *v->recs) || !llmspell__id_reserve(v, 1)) {
            llmspell__vfree(v, rec.blob);
            r = LLMSPELL_ERR_NOMEM;
            goto fail;
        }
        pl = llmspell__place_find(&ld, id, idlen, LLMSPELL__RHEAD(&rec)->hash);
        ix = NULL;
        if (pl != LLMSPELL__NONE && ld.valid[ld.pl[pl].ix] && v->ix[ld.pl[pl].ix]->dim == rv.dim &&
            LLMSPELL__REC(v->ix[ld.pl[pl].ix], ld.pl[pl].node) == LLMSPELL__NONE) {
            ixno = ld.pl[pl].ix;
            ix = v->ix[ixno];
            node = ld.pl[pl].node;
            ld.matched[ixno]++;
        } else {
            /* not in a trusted graph: append it to the index of its dimension, rebuilt below */
            if (!(ix = llmspell__vix_find(v, rv.dim, &ixno))) {
                uint8_t *nv;
                uint32_t *nm;
                if (!(ix = llmspell__vix_new(v, rv.dim)) || !llmspell__add_index(v, ix)) {
                    llmspell__vix_free(v, ix);
                    llmspell__vfree(v, rec.blob);
                    r = LLMSPELL_ERR_NOMEM;
                    goto fail;
                }
                ixno = v->nix - 1;
                nv = (uint8_t *)llmspell__vrealloc(v, ld.valid, v->nix);
                if (nv) ld.valid = nv;
                nm = nv ? (uint32_t *)llmspell__vrealloc(v, ld.matched, v->nix * sizeof *nm) : NULL;
                if (!nm) { llmspell__vfree(v, rec.blob); r = LLMSPELL_ERR_NOMEM; goto fail; }
                ld.matched = nm;
                ld.matched[ixno] = 0;
            }
            ld.valid[ixno] = 0;
            if (!llmspell__vix_reserve(v, ix, 1)) { llmspell__vfree(v, rec.blob); r = LLMSPELL_ERR_NOMEM; goto fail; }
            node = ix->n++;
            ix->up[node] = NULL;
            ix->level[node] = 0;
        }
        if (v->cfg.quant != LLMSPELL_VEC_F32 && !llmspell__vgrow(v, (void **)&ld.x, &ld.capx, rv.dim, sizeof *ld.x)) {
            llmspell__vfree(v, rec.blob);
            r = LLMSPELL_ERR_NOMEM;
            goto fail;
        }
        slot = llmspell__rec_slot(v);
        rec.ix = ixno;
        rec.node = node;
        v->recs[slot] = rec;
        llmspell__id_insert(v, slot);
        {
            float *x = v->cfg.quant == LLMSPELL_VEC_F32 ? (float *)LLMSPELL__VEC(ix, node) : ld.x;
            llmspell__vec_decode(rv.vec, x, rv.dim);
            llmspell__vix_setvec(v, ix, node, x);
        }
        LLMSPELL__REC(ix, node) = slot;
        ix->live++;
        v->live++;
        if (rv.expires < v->next_expiry) v->next_expiry = rv.expires;
    }
    llmspell_kv_iter_close(it);
    it = NULL;
    if (r != LLMSPELL_ERR_NOT_FOUND) goto kvfail;
    /* a trusted graph must have found a record for every live node */
    for (i = 0; i < ld.npl; i++)
        if (ld.valid[ld.pl[i].ix] && LLMSPELL__REC(v->ix[ld.pl[i].ix], ld.pl[i].node) == LLMSPELL__NONE) ld.valid[ld.pl[i].ix] = 0;
    for (i = 0; i < v->nix; i++) {
        if (ld.valid[i]) continue;
        if (!llmspell__vix_relay(v, i)) { r = LLMSPELL_ERR_NOMEM; goto fail; }
        rebuilt++;
    }
    /* indexes left with no records at all are dropped */
    for (i = 0; i < v->nix;) {
        if (v->ix[i]->live == 0 && v->ix[i]->n == 0) {
            uint32_t j;
            llmspell__vix_free(v, v->ix[i]);
            for (j = i; j + 1 < v->nix; j++) v->ix[j] = v->ix[j + 1];
            v->nix--;
            for (j = 0; j < v->nrecs; j++)
                if (v->recs[j].ix != LLMSPELL__NONE && v->recs[j].ix > i) v->recs[j].ix--;
            continue;
        }
        i++;
    }
    if ((r = llmspell__fx_load(v)) != LLMSPELL_OK) goto kvfail;
    llmspell__loader_free(&ld);
    v->graph_loaded = rebuilt == 0 && v->nix > 0;
    *rebuilt_out = rebuilt != 0;
    if (!rebuilt) llmspell__clear_dirty(v); /* a rebuilt graph stays dirty until it is saved */
    return LLMSPELL_OK;
kvfail:
    r = llmspell__vfail(v, r == LLMSPELL_ERR_NOMEM ? r : r, "vec '%s': reading the store: %s", v->name,
                        r == LLMSPELL_ERR_NOMEM ? "out of memory" : llmspell_kv_errmsg(v->kv));
fail:
    if (it) llmspell_kv_iter_close(it);
    llmspell__loader_free(&ld);
    llmspell__unload(v);
    return r;
}

/* Saves a graph open rebuilt, in a transaction of its own, if the records are still those it
   was built from (the generation in the settings); best effort: else the next open rebuilds. */
static void llmspell__save_rebuilt(llmspell_vec *v, llmspell_time created) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    const void *val;
    size_t vn, kn = llmspell__vkey(key, sizeof key, 'm', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    llmspell_vec_config cfg;
    uint64_t gen = 0, count;
    llmspell_time c;
    if (llmspell_kv_begin(v->kv) != LLMSPELL_OK) return;
    if (llmspell_kv_get(v->kv, key, kn, &val, &vn) != LLMSPELL_OK || !llmspell__meta_parse((const uint8_t *)val, vn, &cfg, &gen, &count, &c) ||
        gen != v->gen || llmspell__save(v, created) != LLMSPELL_OK) {
        (void)llmspell_kv_rollback(v->kv);
        return;
    }
    if (llmspell_kv_commit(v->kv) == LLMSPELL_OK) llmspell__clear_dirty(v); /* a failed commit has ended the transaction */
}

/* >>writes. A write runs in a kv transaction of its own, begun before anything else (the
   lock order), then holds wlock: checks and prepared records, the records into the store,
   then the in-memory change of records and arrays with reads held off (its memory reserved
   first, so it cannot fail half way), then the linking of new nodes beside the reads (on
   several threads for add_batch_ex), then the pages it touched, then commit. If the kv
   refuses after memory changed, memory is dropped and reloaded from the store, which rolled
   back: memory and store always agree. */

typedef struct llmspell__vwrite {
    llmspell__vprep *prep;
    size_t n;
    uint32_t *purge;           /* expired records to delete in the same transaction */
    uint32_t npurge, cappurge;
    size_t purged;             /* how many of them were live still */
    int own_txn;
} llmspell__vwrite;

static llmspell_time llmspell__created_of(llmspell_vec *v) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    const void *val;
    size_t vn, kn = llmspell__vkey(key, sizeof key, 'm', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    llmspell_vec_config cfg;
    uint64_t gen, count;
    llmspell_time created = 0;
    if (v->kv && llmspell_kv_get(v->kv, key, kn, &val, &vn) == LLMSPELL_OK)
        (void)llmspell__meta_parse((const uint8_t *)val, vn, &cfg, &gen, &count, &created);
    return created;
}

static llmspell_result llmspell__vcheck_id(llmspell_vec *v, const char *id, size_t *n) {
    *n = 0;
    if (!id) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': id is NULL", v->name);
    *n = strlen(id);
    if (*n == 0) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': id is empty", v->name);
    if (*n > LLMSPELL_VEC_MAX_ID)
        return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "vec '%s': id of %zu bytes is over the %d-byte limit", v->name, *n,
                               LLMSPELL_VEC_MAX_ID);
    return LLMSPELL_OK;
}

static void llmspell__prep_free(llmspell_vec *v, llmspell__vprep *p, size_t n) {
    size_t i;
    if (!p) return;
    for (i = 0; i < n; i++) {
        llmspell__vfree(v, p[i].r.blob);
        llmspell__vfree(v, p[i].kvblob);
        llmspell__vfree(v, p[i].up);
    }
    llmspell__vfree(v, p);
}

/* Checks and prepares records i of n: everything that can fail happens here. */
static llmspell_result llmspell__prepare(llmspell_vec *v, const llmspell_vec_record *rec, size_t i, llmspell__vprep *p,
                                         llmspell_time now) {
    char where[64];
    size_t idlen = 0, mlen;
    const char *meta = rec->metadata ? rec->metadata : LLMSPELL__META_DEFAULT;
    const char *scope = rec->scope ? rec->scope : LLMSPELL__SCOPE_DEFAULT;
    double norm2;
    llmspell_result r;
    llmspell_time times[3];
    uint32_t old;
    snprintf(where, sizeof where, "vec '%.24s' record %zu", v->name, i);
    if ((r = llmspell__vcheck_id(v, rec->id, &idlen)) != LLMSPELL_OK) return r;
    if (rec->dim == 0 || rec->dim > LLMSPELL_VEC_MAX_DIM)
        return llmspell__vfail(v, rec->dim ? LLMSPELL_ERR_TOO_LARGE : LLMSPELL_ERR_INVALID, "%s ('%s'): dimension %u is outside 1..%d", where,
                               rec->id, (unsigned)rec->dim, LLMSPELL_VEC_MAX_DIM);
    if (!rec->embedding) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "%s ('%s'): embedding is NULL", where, rec->id);
    if (!llmspell__vec_ok(rec->embedding, rec->dim, v->cfg.metric == LLMSPELL_METRIC_COSINE, &norm2))
        return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "%s ('%s'): %s", where, rec->id,
                               norm2 == 0 ? "a zero vector has no cosine similarity" : "the embedding holds NaN or infinity");
    if (rec->ttl < 0) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "%s ('%s'): negative ttl", where, rec->id);
    mlen = rec->metadata ? (rec->metadata_len ? rec->metadata_len : strlen(rec->metadata)) : sizeof LLMSPELL__META_DEFAULT - 1;
    if (mlen > 0xFFFFFFu) return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "%s ('%s'): metadata over 16 MiB", where, rec->id);
    if (strlen(scope) > 0xFFFF) return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "%s ('%s'): scope over 64 KiB", where, rec->id);
    memset(p, 0, sizeof *p);
    old = llmspell__id_find(v, rec->id, idlen, llmspell__vhash(rec->id, idlen));
    times[0] = old != LLMSPELL__NONE ? LLMSPELL__RHEAD(&v->recs[old])->created : now;
    times[1] = now;
    times[2] = rec->ttl > 0 ? (now > LLMSPELL_TIME_MAX - rec->ttl ? LLMSPELL_TIME_MAX : now + rec->ttl) : LLMSPELL_TIME_MAX;
    if ((r = llmspell__rec_build(v, &p->r, rec->id, idlen, scope, strlen(scope), meta, mlen, times, where, 0)) != LLMSPELL_OK) return r;
    p->vec = rec->embedding;
    p->dim = rec->dim;
    p->level = llmspell__vrandom_level(v);
    if (p->level > 0) {
        const llmspell__hnsw *ix = llmspell__vix_find(v, rec->dim, NULL);
        p->upw = ix ? ix->wm : llmspell__lwords(3, v->cfg.M); /* a widening in apply sizes it again */
        if (!(p->up = llmspell__up_new(v, p->level, p->upw))) return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where);
    }
    if (v->kv && !(p->kvblob = llmspell__rec_blob(v, &p->r, rec->embedding, rec->dim, &p->kvlen)))
        return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "%s: out of memory", where);
    return LLMSPELL_OK;
}

/* Records whose expiry has passed (and that the write does not replace). */
static llmspell_result llmspell__collect_expired(llmspell_vec *v, llmspell__vwrite *w, llmspell_time now) {
    uint32_t r;
    w->npurge = 0;
    if (v->next_expiry > now) return LLMSPELL_OK;
    for (r = 0; r < v->nrecs; r++) {
        if (v->recs[r].ix == LLMSPELL__NONE || llmspell__rexpires(&v->recs[r]) > now) continue;
        if (!llmspell__vgrow(v, (void **)&w->purge, &w->cappurge, (size_t)w->npurge + 1, sizeof *w->purge))
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        w->purge[w->npurge++] = r;
    }
    return LLMSPELL_OK;
}

/* Removes record r from memory (its node becomes a reusable waypoint). Never allocates: the
   free list has room (llmspell__free_room). */
static void llmspell__forget(llmspell_vec *v, uint32_t r) {
    llmspell__vrec *rec = &v->recs[r];
    llmspell__hnsw *ix = v->ix[rec->ix];
    LLMSPELL__REC(ix, rec->node) = LLMSPELL__NONE;
    ix->live--;
    ix->free[ix->nfree++] = rec->node;
    llmspell__mark_dirty(ix, rec->node);
    llmspell__fx_note(v, r, 0);
    llmspell__id_remove(v, r);
    llmspell__rec_release(v, r);
    v->live--;
}

static void llmspell__recompute_expiry(llmspell_vec *v) {
    uint32_t r;
    v->next_expiry = LLMSPELL_TIME_MAX;
    for (r = 0; r < v->nrecs; r++)
        if (v->recs[r].ix != LLMSPELL__NONE && llmspell__rexpires(&v->recs[r]) < v->next_expiry) v->next_expiry = llmspell__rexpires(&v->recs[r]);
}

static llmspell_result llmspell__kv_fail(llmspell_vec *v, llmspell_result r) {
    if (r == LLMSPELL_ERR_NOMEM && !llmspell_kv_errmsg(v->kv)[0]) return llmspell__vfail(v, r, "vec '%s': out of memory", v->name);
    return llmspell__vfail(v, r, "vec '%s': %s", v->name, llmspell_kv_errmsg(v->kv));
}

/* Total live vectors over every collection of the kv handle, for max_total_vectors. */
static uint64_t llmspell__tenant_total(llmspell_vec *v) {
    uint8_t key[3] = {0xFF, 'V', 'm'};
    llmspell_kv_iter *it;
    const void *k, *val;
    size_t kl, vn;
    uint64_t total = 0;
    if (!v->kv || llmspell_kv_iter_open(v->kv, key, 3, &it) != LLMSPELL_OK) return v->live;
    while (llmspell_kv_iter_next(it, &k, &kl, &val, &vn) == LLMSPELL_OK) {
        llmspell_vec_config cfg;
        uint64_t gen, count;
        llmspell_time created;
        if (llmspell__meta_parse((const uint8_t *)val, vn, &cfg, &gen, &count, &created)) total += count;
    }
    llmspell_kv_iter_close(it);
    return total;
}

/* A node the write must link into its index. */
typedef struct llmspell__vins { uint32_t ix, node; } llmspell__vins;

/* The write's change of memory (under the exclusive lock): room first, so that a failure
   changes nothing; then records out and in, nodes taken, vectors written. items receives the
   nodes to link. */
static llmspell_result llmspell__apply(llmspell_vec *v, llmspell__vwrite *w, uint32_t del_rec, llmspell_time now, llmspell__vins *items) {
    size_t i, n = w->n;
    uint32_t j;
    /* free record slots and nodes are taken first: room is needed only for the rest */
    if (!llmspell__vgrow(v, (void **)&v->recs, &v->caprecs, (size_t)v->nrecs + (n > v->nfree_rec ? n - v->nfree_rec : 0), sizeof *v->recs) ||
        !llmspell__id_reserve(v, n) ||
        !llmspell__vgrow(v, (void **)&v->limbo, &v->caplimbo, (size_t)v->nlimbo + w->npurge + n + 1, sizeof *v->limbo) ||
        !llmspell__fx_reserve(v, n) || !llmspell__hz_collect(v))
        return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
    for (i = 0; i < n; i++) {
        llmspell__hnsw *ix = llmspell__vix_find(v, w->prep[i].dim, NULL);
        if (!ix && (!(ix = llmspell__vix_new(v, w->prep[i].dim)) || !llmspell__add_index(v, ix))) {
            llmspell__vix_free(v, ix);
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        }
    }
    for (j = 0; j < v->nix; j++) {
        uint32_t more = 0;
        uint32_t spare = v->ix[j]->nfree > 1 ? v->ix[j]->nfree - 1 : 0; /* llmspell__vix_take keeps the entry */
        for (i = 0; i < n; i++) more += w->prep[i].dim == v->ix[j]->dim;
        if (!llmspell__vix_reserve(v, v->ix[j], (more > spare ? more - spare : 0) + 1) ||
            !llmspell__free_room(v, v->ix[j], (size_t)w->npurge + n + 1)) /* purged, replaced, deleted */
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        for (i = 0; i < n; i++) { /* widened just now: upper lists prepared for 3-byte links are too small */
            llmspell__vprep *p = &w->prep[i];
            uint32_t *up;
            if (!p->up || p->dim != v->ix[j]->dim || p->upw == v->ix[j]->wm) continue;
            if (!(up = llmspell__up_new(v, p->level, v->ix[j]->wm))) return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
            llmspell__vfree(v, p->up);
            p->up = up;
            p->upw = v->ix[j]->wm;
        }
    }
    /* cannot fail from here */
    for (j = 0; j < w->npurge; j++)
        if (v->recs[w->purge[j]].ix != LLMSPELL__NONE && llmspell__rexpires(&v->recs[w->purge[j]]) <= now) {
            llmspell__forget(v, w->purge[j]);
            w->purged++;
        }
    if (del_rec != LLMSPELL__NONE && v->recs[del_rec].ix != LLMSPELL__NONE) llmspell__forget(v, del_rec);
    for (i = 0; i < n; i++) {
        llmspell__vprep *p = &w->prep[i];
        uint32_t old = llmspell__id_find(v, llmspell__rid(&p->r), LLMSPELL__RHEAD(&p->r)->idlen, LLMSPELL__RHEAD(&p->r)->hash), slot, node, ixno = 0;
        llmspell__hnsw *ix = llmspell__vix_find(v, p->dim, &ixno);
        if (old != LLMSPELL__NONE) llmspell__forget(v, old);
        slot = llmspell__rec_slot(v);
        p->r.ix = ixno;
        node = llmspell__vix_take(ix, slot, p->level, &p->up);
        p->r.node = node;
        v->recs[slot] = p->r;
        p->r.blob = NULL; /* installed */
        llmspell__id_insert(v, slot);
        llmspell__fx_note(v, slot, 1);
        llmspell__vix_setvec(v, ix, node, p->vec);
        v->live++;
        if (llmspell__rexpires(&v->recs[slot]) < v->next_expiry) v->next_expiry = llmspell__rexpires(&v->recs[slot]);
        items[i].ix = ixno;
        items[i].node = node;
    }
    if (w->npurge || del_rec != LLMSPELL__NONE) llmspell__recompute_expiry(v);
    llmspell__fx_tidy(v);
    llmspell__limbo_sweep(v);
    return LLMSPELL_OK;
}

/* >>hnsw parallel inserts: threads take the next node of the list until none is left. */
typedef struct llmspell__vjob {
    llmspell_vec *v;
    const llmspell__vins *items;
    size_t n;
#ifndef LLMSPELL_NO_THREADS
    llmspell__atomic next;
#else
    size_t next;
#endif
} llmspell__vjob;

typedef struct llmspell__vworker {
    llmspell__vjob *job;
    llmspell__vscratch *s;
} llmspell__vworker;

static void llmspell__vjob_run(void *arg) {
    llmspell__vworker *wk = (llmspell__vworker *)arg;
    llmspell__vjob *job = wk->job;
    for (;;) {
#ifndef LLMSPELL_NO_THREADS
        size_t i = (size_t)(llmspell__aadd(&job->next, 1) - 1);
#else
        size_t i = job->next++;
#endif
        if (i >= job->n) return;
        llmspell__insert(job->v, job->v->ix[job->items[i].ix], job->items[i].node, wk->s);
    }
}

/* Links items[0..n) on `threads` threads: the calling one with s0, the others with xs[] (all
   reserved). A thread that cannot be started leaves its share to the others. */
static void llmspell__insert_all(llmspell_vec *v, const llmspell__vins *items, size_t n, llmspell__vscratch *s0, llmspell__vscratch *xs,
                                 uint32_t threads) {
    llmspell__vjob job;
    llmspell__vworker wk[LLMSPELL_VEC_MAX_THREADS];
#ifndef LLMSPELL_NO_THREADS
    llmspell__thread th[LLMSPELL_VEC_MAX_THREADS];
    int started[LLMSPELL_VEC_MAX_THREADS];
#endif
    uint32_t j;
    job.v = v;
    job.items = items;
    job.n = n;
    job.next = 0;
    for (j = 0; j < threads; j++) {
        wk[j].job = &job;
        wk[j].s = j ? &xs[j - 1] : s0;
    }
#ifndef LLMSPELL_NO_THREADS
    for (j = 1; j < threads; j++) started[j] = llmspell__thread_start(&th[j], llmspell__vjob_run, &wk[j]) == 0;
#endif
    llmspell__vjob_run(&wk[0]);
#ifndef LLMSPELL_NO_THREADS
    for (j = 1; j < threads; j++)
        if (started[j]) llmspell__thread_join(&th[j]);
#endif
}

/* >>shared stores. When other processes write the store (kv characteristics shared: postgres,
   an SQLite file), memory is a cache of it: every call first reads the collection's generation
   from its settings record, which each write bumps in the transaction that changes the
   records, and reloads the collection when the store's is not the one memory holds. A call
   therefore sees every write another process committed before the call began; its own are
   seen at once, as always. Writers take turns across processes (the backend's transactions
   do: postgres holds a lock from begin, SQLite begins immediate), so a write compares and
   reloads inside its transaction and changes the latest state, never a stale one. A reload
   outside a write runs in a read snapshot, one state of the store on postgres and SQLite; on
   a backend whose snapshot is not, it is checked against the generation read after it, and
   another commit meanwhile makes it load again. */

/* The store's generation of this collection (ERR_NOT_FOUND: dropped by another process). */
static llmspell_result llmspell__store_gen(llmspell_vec *v, uint64_t *gen) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    const void *val;
    size_t vn, kn = llmspell__vkey(key, sizeof key, 'm', v->name, v->nlen, NULL, 0, 0, 0, 0, 0);
    llmspell_vec_config cfg;
    uint64_t count;
    llmspell_time created;
    llmspell_result r = llmspell_kv_get(v->kv, key, kn, &val, &vn);
    if (r == LLMSPELL_ERR_NOT_FOUND) return llmspell__vfail(v, r, "vec '%s': the collection is no longer in the store", v->name);
    if (r != LLMSPELL_OK) return llmspell__kv_fail(v, r);
    if (!llmspell__meta_parse((const uint8_t *)val, vn, &cfg, gen, &count, &created))
        return llmspell__vfail(v, LLMSPELL_ERR_CORRUPT, "vec '%s': the collection's settings record is corrupt", v->name);
    return LLMSPELL_OK;
}

/* Under wlock: marks memory for a reload when the store holds another generation. */
static llmspell_result llmspell__stale_check(llmspell_vec *v) {
    uint64_t gen;
    llmspell_result r = llmspell__store_gen(v, &gen);
    if (r != LLMSPELL_OK || gen == v->gen) return r;
    llmspell__vx_lock(v);
    v->broken = 1;
    llmspell__vx_unlock(v);
    return LLMSPELL_OK;
}

/* Under wlock, with the store's lock held (the writer's transaction or a reader's snapshot):
   a handle whose memory was dropped after a failed write (broken) reloads it from the store;
   if even that fails (out of memory, say), every call tries again first. */
static llmspell_result llmspell__reload(llmspell_vec *v) {
    llmspell_time created;
    llmspell_result r;
    int rebuilt;
    if (!v->broken) return LLMSPELL_OK;
    llmspell__vx_lock(v);
    (void)llmspell__hz_collect(v);
    llmspell__unload(v);
    r = llmspell__load(v, &created, &rebuilt);
    v->broken = r != LLMSPELL_OK;
    llmspell__vx_unlock(v);
    if (r != LLMSPELL_OK)
        return llmspell__vfail(v, r, "vec '%s': reloading after an earlier failure: %s (the store is intact; tried again on the next call)",
                               v->name, llmspell_strerror(r));
    return LLMSPELL_OK; /* a rebuilt graph stays dirty: the next write saves it */
}

/* Reloads a broken handle from a thread holding none of vec's locks, in the lock order: a read
   snapshot of the store, then the writers' turn. keep: the thread's message stays (the
   failure that broke the handle). */
static llmspell_result llmspell__heal(llmspell_vec *v, int keep) {
    char msg[sizeof v->errmsg];
    llmspell_result r;
    if (keep) memcpy(msg, llmspell__vmsg(v), sizeof msg);
    if (v->kv && (r = llmspell_kv_read_begin(v->kv)) != LLMSPELL_OK) {
        r = llmspell__kv_fail(v, r);
    } else {
        llmspell__vw_lock(v);
        r = llmspell__reload(v);
        llmspell__vw_unlock(v);
        if (v->kv) (void)llmspell_kv_read_end(v->kv);
    }
    if (keep) memcpy(llmspell__vmsg(v), msg, sizeof msg);
    return r;
}

/* Before a read on a shared store, holding none of vec's locks: reloads when another process
   has written the collection (>>shared stores). */
static llmspell_result llmspell__catch_up(llmspell_vec *v) {
    uint64_t gen, after = 0;
    llmspell_result r;
    int tries, again;
    if ((r = llmspell__store_gen(v, &gen)) != LLMSPELL_OK) return r;
    if ((uint32_t)gen == llmspell__ld32(&v->gen32)) return LLMSPELL_OK; /* the common case: no lock taken */
    for (tries = 0; tries < 8; tries++) {
        if ((r = llmspell_kv_read_begin(v->kv)) != LLMSPELL_OK) return llmspell__kv_fail(v, r);
        llmspell__vw_lock(v); /* this process's writers finish first: their commit may be what differs */
        r = llmspell__stale_check(v);
        if (r == LLMSPELL_OK) r = llmspell__reload(v);
        if (r == LLMSPELL_OK) r = llmspell__store_gen(v, &after);
        again = r == LLMSPELL_OK && after != v->gen;
        if (again) { /* a commit landed during the reload: load again */
            llmspell__vx_lock(v);
            v->broken = 1;
            llmspell__vx_unlock(v);
        }
        llmspell__vw_unlock(v);
        (void)llmspell_kv_read_end(v->kv);
        if (!again) return r;
    }
    return llmspell__vfail(v, LLMSPELL_ERR_BUSY, "vec '%s': other processes kept writing the collection while it was reloaded", v->name);
}

/* Adds recs[0..n) (linked on `threads` threads), or deletes del_id, or (neither) only purges;
   every write also purges what expired. *purged (may be NULL): how many expired were dropped. */
static llmspell_result llmspell__write(llmspell_vec *v, const llmspell_vec_record *recs, size_t n, const char *del_id, uint32_t threads,
                                       size_t *purged) {
    llmspell__vwrite w;
    llmspell__tslot *t = llmspell__vslot(v);
    llmspell_time now = llmspell_time_now(&v->clock), created;
    uint8_t key[LLMSPELL__VKEY_MAX];
    llmspell_result r;
    size_t i, kn, fresh = 0;
    uint32_t j, del_rec = LLMSPELL__NONE, maxn = 0;
    llmspell__vins *items = NULL;
    llmspell__vscratch *xs = NULL; /* scratch of the extra insert threads */
    int dropped = 0;
    if (t && t->depth)
        return llmspell__vfail(v, LLMSPELL_ERR_BUSY, "vec '%s': a write from inside a read of this thread (llmspell_vec_each's callback)",
                               v->name);
    if (threads > LLMSPELL_VEC_MAX_THREADS) threads = LLMSPELL_VEC_MAX_THREADS;
    if ((size_t)threads > n) threads = (uint32_t)n;
    if (threads < 1) threads = 1;
#ifdef LLMSPELL_NO_THREADS
    threads = 1;
#endif
    memset(&w, 0, sizeof w);
    /* the lock order: the store's, then the collection's */
    if (v->kv) {
        r = llmspell_kv_begin(v->kv);
        if (r == LLMSPELL_ERR_TXN)
            return llmspell__vfail(v, r, "vec '%s': writes run in a transaction of their own; commit the open one first", v->name);
        if (r != LLMSPELL_OK) return llmspell__kv_fail(v, r);
        w.own_txn = 1;
        /* the index changes with the store: readers of the store wait for both */
        if ((r = llmspell_kv_txn_exclusive(v->kv)) != LLMSPELL_OK) {
            (void)llmspell_kv_rollback(v->kv);
            return llmspell__kv_fail(v, r);
        }
    }
    llmspell__vw_lock(v);
    if (t && t->scratch) ((llmspell__vscratch *)t->scratch)->nhold = 0; /* this call ends what its last read returned */
    if (v->shared && (r = llmspell__stale_check(v)) != LLMSPELL_OK) goto out; /* writers take turns: what it reads now stays */
    if ((r = llmspell__reload(v)) != LLMSPELL_OK) goto out;
    if (n && !(w.prep = (llmspell__vprep *)llmspell__valloc(v, n * sizeof *w.prep))) {
        r = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        goto out;
    }
    if (n) memset(w.prep, 0, n * sizeof *w.prep);
    w.n = n;
    for (i = 0; i < n; i++)
        if ((r = llmspell__prepare(v, &recs[i], i, &w.prep[i], now)) != LLMSPELL_OK) goto out;
    for (i = 0; i < n; i++) /* duplicate ids in one batch are ambiguous */
        for (j = 0; j < i; j++)
            if (LLMSPELL__RHEAD(&w.prep[i].r)->hash == LLMSPELL__RHEAD(&w.prep[j].r)->hash && LLMSPELL__RHEAD(&w.prep[i].r)->idlen == LLMSPELL__RHEAD(&w.prep[j].r)->idlen &&
                memcmp(llmspell__rid(&w.prep[i].r), llmspell__rid(&w.prep[j].r), LLMSPELL__RHEAD(&w.prep[i].r)->idlen) == 0) {
                r = llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': id '%s' appears twice in the batch (records %u and %zu)", v->name,
                                    llmspell__rid(&w.prep[i].r), (unsigned)j, i);
                goto out;
            }
    if (del_id) {
        size_t dl = strlen(del_id);
        del_rec = llmspell__id_find(v, del_id, dl, llmspell__vhash(del_id, dl));
        if (del_rec == LLMSPELL__NONE || llmspell__rexpires(&v->recs[del_rec]) <= now) {
            r = llmspell__vfail(v, LLMSPELL_ERR_NOT_FOUND, "vec '%s': no record '%s'", v->name, del_id);
            goto out;
        }
    }
    if ((r = llmspell__collect_expired(v, &w, now)) != LLMSPELL_OK) goto out;
    for (i = 0; i < n; i++) { /* records that add one: new ids, or ids whose record expired */
        uint32_t old = llmspell__id_find(v, llmspell__rid(&w.prep[i].r), LLMSPELL__RHEAD(&w.prep[i].r)->idlen, LLMSPELL__RHEAD(&w.prep[i].r)->hash);
        if (old == LLMSPELL__NONE || llmspell__rexpires(&v->recs[old]) <= now) fresh++;
    }
    if (v->opts.max_vectors && v->live - w.npurge + fresh > v->opts.max_vectors) { /* what remains after this write */
        r = llmspell__vfail(v, LLMSPELL_ERR_QUOTA, "vec '%s': %llu vectors would pass the quota of %llu", v->name,
                            (unsigned long long)(v->live - w.npurge + fresh), (unsigned long long)v->opts.max_vectors);
        goto out;
    }
    if (v->opts.max_total_vectors && fresh > w.npurge &&
        llmspell__tenant_total(v) - w.npurge + fresh > v->opts.max_total_vectors) {
        r = llmspell__vfail(v, LLMSPELL_ERR_QUOTA, "vec '%s': the total of all collections would pass the quota of %llu vectors",
                            v->name, (unsigned long long)v->opts.max_total_vectors);
        goto out;
    }
    /* the inserts' memory, private to this write: no lock needed */
    for (j = 0; j < v->nix; j++)
        if (v->ix[j]->n > maxn) maxn = v->ix[j]->n;
    maxn = (uint32_t)(maxn + n > 0xFFFFFFF0u ? 0xFFFFFFF0u : maxn + n);
    if (n && !(items = (llmspell__vins *)llmspell__valloc(v, n * sizeof *items))) r = LLMSPELL_ERR_NOMEM;
    if (r == LLMSPELL_OK && threads > 1) {
        if (!(xs = (llmspell__vscratch *)llmspell__valloc(v, (threads - 1) * sizeof *xs))) r = LLMSPELL_ERR_NOMEM;
        else memset(xs, 0, (threads - 1) * sizeof *xs);
    }
    for (j = 0; r == LLMSPELL_OK && n && j < threads; j++)
        if (!llmspell__insert_reserve(v, j ? &xs[j - 1] : v->ws, maxn)) r = LLMSPELL_ERR_NOMEM;
    if (r != LLMSPELL_OK) {
        r = llmspell__vfail(v, r, "vec '%s': out of memory", v->name);
        goto out;
    }
    /* the store first: records in, replaced and purged ones out */
    if (v->kv) {
        for (i = 0; i < n && r == LLMSPELL_OK; i++) {
            kn = llmspell__vkey(key, sizeof key, 'r', v->name, v->nlen, llmspell__rid(&w.prep[i].r), LLMSPELL__RHEAD(&w.prep[i].r)->idlen, 0, 0, 0, 0);
            r = llmspell_kv_put_sys(v->kv, key, kn, w.prep[i].kvblob, w.prep[i].kvlen);
        }
        for (j = 0; j < w.npurge && r == LLMSPELL_OK; j++) {
            const llmspell__vrec *pr = &v->recs[w.purge[j]];
            int replaced = 0;
            for (i = 0; i < n; i++)
                if (LLMSPELL__RHEAD(pr)->hash == LLMSPELL__RHEAD(&w.prep[i].r)->hash && LLMSPELL__RHEAD(pr)->idlen == LLMSPELL__RHEAD(&w.prep[i].r)->idlen &&
                    memcmp(llmspell__rid(pr), llmspell__rid(&w.prep[i].r), LLMSPELL__RHEAD(pr)->idlen) == 0)
                    replaced = 1;
            if (replaced) continue;
            kn = llmspell__vkey(key, sizeof key, 'r', v->name, v->nlen, llmspell__rid(pr), LLMSPELL__RHEAD(pr)->idlen, 0, 0, 0, 0);
            r = llmspell_kv_delete_sys(v->kv, key, kn);
        }
        if (r == LLMSPELL_OK && del_rec != LLMSPELL__NONE && llmspell__rexpires(&v->recs[del_rec]) > now) {
            kn = llmspell__vkey(key, sizeof key, 'r', v->name, v->nlen, llmspell__rid(&v->recs[del_rec]), LLMSPELL__RHEAD(&v->recs[del_rec])->idlen, 0, 0, 0, 0);
            r = llmspell_kv_delete_sys(v->kv, key, kn);
        }
        if (r != LLMSPELL_OK) {
            r = llmspell__kv_fail(v, r);
            goto out;
        }
    }
    /* memory, with searches shut out: every change of the structure, and records whole */
    llmspell__vx_lock(v);
    if ((r = llmspell__apply(v, &w, del_rec, now, items)) != LLMSPELL_OK) {
        llmspell__vx_unlock(v);
        goto out;
    }
    llmspell__vx_unlock(v);
    /* linking the new nodes, with searches running: cannot fail from here */
    llmspell__insert_all(v, items, n, v->ws, xs, threads);
    v->gen++;
    llmspell__st32(&v->gen32, (uint32_t)v->gen);
    if (v->kv) {
        created = llmspell__created_of(v);
        r = llmspell__save(v, created);
        if (r == LLMSPELL_OK) r = llmspell_kv_commit(v->kv);
        else (void)llmspell_kv_rollback(v->kv);
        w.own_txn = 0;
        if (r != LLMSPELL_OK) { /* memory is ahead of the store: drop it; reload below */
            r = llmspell__kv_fail(v, r);
            llmspell__vx_lock(v);
            (void)llmspell__hz_collect(v);
            llmspell__unload(v);
            v->broken = dropped = 1;
            llmspell__vx_unlock(v);
            goto out;
        }
        llmspell__clear_dirty(v);
    }
    if (purged) *purged = w.purged;
out:
    if (w.own_txn) (void)llmspell_kv_abort(v->kv, r);
    llmspell__vw_unlock(v);
    if (xs) {
        for (j = 0; j + 1 < threads; j++) llmspell__scratch_free(v, &xs[j]);
        llmspell__vfree(v, xs);
    }
    llmspell__vfree(v, items);
    llmspell__prep_free(v, w.prep, w.n);
    llmspell__vfree(v, w.purge);
    if (dropped) (void)llmspell__heal(v, 1); /* at once, in the lock order (the store's first) */
    return r;
}

/* >>public API */

/* The per-thread search scratch (a slot's scratch_free). */
static void llmspell__tscratch_free(void *owner, void *scratch) {
    llmspell__scratch_free((const llmspell_vec *)owner, (llmspell__vscratch *)scratch);
    llmspell__vfree((const llmspell_vec *)owner, scratch);
}

/* The handle's locks; 0 when the system has none to give. */
static int llmspell__vsync_init(llmspell_vec *v) {
#ifndef LLMSPELL_NO_THREADS
    if (llmspell__rw_init(&v->rw) != 0) return 0;
    if (llmspell__mutex_init(&v->wlock) != 0) {
        llmspell__rw_destroy(&v->rw);
        return 0;
    }
    if (llmspell__mutex_init(&v->top) != 0) {
        llmspell__mutex_destroy(&v->wlock);
        llmspell__rw_destroy(&v->rw);
        return 0;
    }
#else
    (void)v;
#endif
    return 1;
}

/* Frees what open made besides the records and indexes (llmspell__unload), the handle too. */
static void llmspell__vfree_handle(llmspell_vec *v) {
    llmspell__tslots_free(&v->ts, &v->a, v);
#ifndef LLMSPELL_NO_THREADS
    llmspell__mutex_destroy(&v->top);
    llmspell__mutex_destroy(&v->wlock);
    llmspell__rw_destroy(&v->rw);
#endif
    llmspell__scratch_free(v, v->ws);
    llmspell__vfree(v, v->ws);
    llmspell_json_doc_free(v->jdoc);
    llmspell__vfree(v, v->jbuf);
    llmspell__vfree(v, (void *)v->hz);
    llmspell__vfree(v, (void *)v->limbo);
    llmspell__vfree(v, v->name);
    llmspell__vfree(v, v);
}

/* The thread's scratch (searches, holds), made on first use; NULL: no memory. */
static llmspell__vscratch *llmspell__tscratch(llmspell_vec *v, llmspell__tslot *t) {
    llmspell__vscratch *s = (llmspell__vscratch *)t->scratch;
    if (s) return s;
    if (!(s = (llmspell__vscratch *)llmspell__valloc(v, sizeof *s))) return NULL;
    memset(s, 0, sizeof *s);
    t->scratch = s;
    t->scratch_free = llmspell__tscratch_free;
    return s;
}

/* Begins a read: the calling thread's slot, the collection read-locked (by the thread's
   outermost call only: llmspell_vec_each's callback may read again). A handle broken by a failed
   write is reloaded first. NULL: *rc says why. */
static llmspell__tslot *llmspell__vr_begin(llmspell_vec *v, llmspell_result *rc) {
    llmspell__tslot *t;
    for (;;) {
        if (!(t = llmspell__vslot(v))) {
            *rc = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory for this thread's state", v->name);
            return NULL;
        }
        if (v->shared && t->depth == 0 && (*rc = llmspell__catch_up(v)) != LLMSPELL_OK) return NULL;
#ifndef LLMSPELL_NO_THREADS
        if (t->depth == 0) llmspell__rw_read_lock(&v->rw, t->stripe);
#endif
        t->depth++;
        if (!v->broken) return t;
        t->depth--; /* a broken handle is set under the exclusive lock: never inside our own read */
#ifndef LLMSPELL_NO_THREADS
        llmspell__rw_read_unlock(&v->rw, t->stripe);
#endif
        if ((*rc = llmspell__heal(v, 0)) != LLMSPELL_OK) return NULL;
    }
}

static void llmspell__vr_end(llmspell_vec *v, llmspell__tslot *t) {
    t->depth--;
#ifndef LLMSPELL_NO_THREADS
    if (t->depth == 0) llmspell__rw_read_unlock(&v->rw, t->stripe);
#else
    (void)v;
#endif
}

/* The thread's buffer, at least n bytes (NULL: no memory; the message is set): get's copy of a
   vector, which a write may move or overwrite once the read lock is released. */
static char *llmspell__vout(llmspell_vec *v, llmspell__tslot *t, size_t n) {
    if (n > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        void *p;
        while (cap < n) cap *= 2;
        if (!(p = llmspell__valloc(v, cap))) {
            llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory copying a result of %zu bytes", v->name, n);
            return NULL;
        }
        llmspell__vfree(v, t->buf);
        t->buf = p;
        t->cap = cap;
    }
    return (char *)t->buf;
}

static llmspell_result llmspell__check_name(llmspell_kv *kv, const char *name, size_t *n) {
    *n = 0;
    if (!name) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "vec: collection name is NULL");
    *n = strlen(name);
    if (*n == 0) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "vec: collection name is empty");
    if (*n > LLMSPELL_VEC_MAX_NAME)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "vec: collection name of %zu bytes is over the %d-byte limit", *n,
                                     LLMSPELL_VEC_MAX_NAME);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__check_config(llmspell_kv *kv, const llmspell_vec_config *in, llmspell_vec_config *out) {
    memset(out, 0, sizeof *out);
    if (in) *out = *in;
    if (!out->M) out->M = 16;
    if (!out->ef_construction) out->ef_construction = 200;
    if (!out->ef_search) out->ef_search = 50;
    {
        const char *why = llmspell__vec_config_error(out);
        if (why)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "vec: %s (metric %d, quant %d, M %u, ef_construction %u, ef_search %u)",
                                         why, (int)out->metric, (int)out->quant, (unsigned)out->M, (unsigned)out->ef_construction,
                                         (unsigned)out->ef_search);
    }
    return LLMSPELL_OK;
}

static uint64_t llmspell__count_collections(llmspell_kv *kv) {
    uint8_t key[3] = {0xFF, 'V', 'm'};
    llmspell_kv_iter *it;
    const void *k;
    size_t kl;
    uint64_t n = 0;
    if (llmspell_kv_iter_open(kv, key, 3, &it) != LLMSPELL_OK) return 0;
    while (llmspell_kv_iter_next(it, &k, &kl, NULL, NULL) == LLMSPELL_OK) n++;
    llmspell_kv_iter_close(it);
    return n;
}

LLMSPELL_DEF llmspell_result llmspell_vec_create(llmspell_kv *kv, const char *name, const llmspell_vec_config *cfg,
                                                 const llmspell_vec_options *opts) {
    uint8_t key[LLMSPELL__VKEY_MAX], meta[LLMSPELL__META_SIZE];
    llmspell_vec tmp;
    size_t nlen = 0, kn;
    llmspell_result r;
    int exists;
    if (!kv) return LLMSPELL_ERR_INVALID;
    if ((r = llmspell__check_name(kv, name, &nlen)) != LLMSPELL_OK) return r;
    memset(&tmp, 0, sizeof tmp);
    if ((r = llmspell__check_config(kv, cfg, &tmp.cfg)) != LLMSPELL_OK) return r;
    kn = llmspell__vkey(key, sizeof key, 'm', name, nlen, NULL, 0, 0, 0, 0, 0);
    if ((r = llmspell_kv_exists(kv, key, kn, &exists)) != LLMSPELL_OK) return r;
    if (exists) return llmspell_kv_set_error(kv, LLMSPELL_ERR_EXISTS, "vec: collection '%s' exists", name);
    if (opts && opts->max_collections && llmspell__count_collections(kv) >= opts->max_collections)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_QUOTA, "vec: the quota of %llu collections is reached",
                                     (unsigned long long)opts->max_collections);
    llmspell__meta_blob(meta, &tmp.cfg, tmp.gen, tmp.live, llmspell_time_now(opts ? &opts->clock : NULL));
    return llmspell_kv_put_sys(kv, key, kn, meta, sizeof meta);
}

LLMSPELL_DEF llmspell_result llmspell_vec_open(llmspell_vec **out, llmspell_kv *kv, const char *name, const llmspell_vec_config *cfg,
                                               const llmspell_vec_options *opts) {
    llmspell_vec *v;
    llmspell_allocator a;
    llmspell_vec_config want;
    llmspell_time created;
    llmspell_result r;
    size_t nlen;
    if (!out) return LLMSPELL_ERR_INVALID;
    *out = NULL;
    if (kv && !kv->open) return llmspell_kv_set_error(kv, LLMSPELL_ERR_CLOSED, "vec: the store is closed");
    if (!name) name = "memory";
    nlen = strlen(name);
    if (nlen == 0 || nlen > LLMSPELL_VEC_MAX_NAME)
        return kv ? llmspell__check_name(kv, name, &nlen) : (nlen ? LLMSPELL_ERR_TOO_LARGE : LLMSPELL_ERR_INVALID);
    if ((r = llmspell__check_config(kv, cfg, &want)) != LLMSPELL_OK) return r;
    memset(&a, 0, sizeof a);
    if (kv) a = kv->allocator;
    else if (opts) a = opts->allocator;
    v = (llmspell_vec *)(a.alloc ? a.alloc(a.ctx, sizeof *v) : LLMSPELL_MALLOC(sizeof *v));
    if (!v) return kv ? llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "vec: out of memory") : LLMSPELL_ERR_NOMEM;
    memset(v, 0, sizeof *v);
    v->a = a;
    v->kv = kv;
    v->cfg = want;
    v->free_rec = LLMSPELL__NONE;
    v->next_expiry = LLMSPELL_TIME_MAX;
    if (opts) {
        v->opts = *opts;
        v->clock = opts->clock;
    }
    v->rng = v->opts.seed ? v->opts.seed : 0x5EED5EED5EEDull;
    v->k = v->opts.kernel ? llmspell_vec_kernel_get(v->opts.kernel) : llmspell_vec_kernel_best();
    if (!llmspell__vsync_init(v)) {
        llmspell__vfree(v, v);
        return kv ? llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "vec: out of memory") : LLMSPELL_ERR_NOMEM;
    }
    v->name = (char *)llmspell__valloc(v, nlen + 1);
    v->ws = (llmspell__vscratch *)llmspell__valloc(v, sizeof *v->ws);
    if (v->ws) memset(v->ws, 0, sizeof *v->ws);
    if (!v->name || !v->ws || !llmspell__vslot(v)) { r = LLMSPELL_ERR_NOMEM; goto fail; } /* the opening thread's slot, now */
    memcpy(v->name, name, nlen + 1);
    v->nlen = nlen;
    if (!v->k) {
        r = LLMSPELL_ERR_UNSUPPORTED;
        if (kv) llmspell_kv_set_error(kv, r, "vec: kernel '%s' is not available on this machine", v->opts.kernel);
        goto fail;
    }
    if (kv) { /* one state of the store throughout (other threads may write it meanwhile) */
        llmspell_kv_characteristics ch;
        int rebuilt = 0;
        v->shared = llmspell_kv_characteristics_get(kv, &ch) == LLMSPELL_OK && ch.shared;
        if ((r = llmspell_kv_read_begin(kv)) != LLMSPELL_OK) goto fail;
        r = llmspell__load(v, &created, &rebuilt);
        (void)llmspell_kv_read_end(kv);
        if (r == LLMSPELL_OK && cfg && (want.metric != v->cfg.metric || want.quant != v->cfg.quant || want.M != v->cfg.M ||
                                         want.ef_construction != v->cfg.ef_construction || want.ef_search != v->cfg.ef_search)) {
            r = llmspell__vfail(v, LLMSPELL_ERR_CONFLICT, "vec: '%s' was created with other settings", name);
            llmspell__unload(v);
        }
        if (r != LLMSPELL_OK) {
            llmspell_kv_set_error(kv, r, "%s", llmspell__vmsg(v));
            goto fail;
        }
        if (rebuilt) llmspell__save_rebuilt(v, created); /* so that the next open loads it */
    }
    *out = v;
    return LLMSPELL_OK;
fail:
    llmspell__vfree_handle(v);
    if (r == LLMSPELL_ERR_NOMEM && kv) llmspell_kv_set_error(kv, r, "vec: out of memory opening '%s'", name);
    return r;
}

LLMSPELL_DEF void llmspell_vec_close(llmspell_vec *v) {
    uint32_t i;
    if (!v) return;
    v->nhz = 0; /* no reader is left */
    v->hz_all = 0;
    llmspell__unload(v);
    for (i = 0; i < v->nlimbo; i++) llmspell__vfree(v, v->limbo[i]);
    llmspell__vfree_handle(v);
}

/* Deletes every key under 0xFF 'V' tag tuple(name), in the open transaction. */
static llmspell_result llmspell__drop_prefix(llmspell_kv *kv, char tag, const char *name, size_t nlen) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    size_t pre = llmspell__vkey(key, sizeof key, tag, name, nlen, NULL, 0, 0, 0, 0, 0);
    llmspell_kv_iter *it;
    const void *k;
    size_t kl;
    uint8_t *copy = NULL; /* the iterator's key dies with the delete; stored ids may be long */
    size_t cap = 0;
    llmspell_result r = llmspell_kv_iter_open(kv, key, pre, &it);
    if (r != LLMSPELL_OK) return r;
    while ((r = llmspell_kv_iter_next(it, &k, &kl, NULL, NULL)) == LLMSPELL_OK) {
        if (kl > cap) {
            llmspell_kv_free(kv, copy);
            if (!(copy = (uint8_t *)llmspell_kv_alloc(kv, cap = kl))) { cap = 0; r = LLMSPELL_ERR_NOMEM; break; }
        }
        memcpy(copy, k, kl);
        if ((r = llmspell_kv_delete_sys(kv, copy, kl)) != LLMSPELL_OK) break;
    }
    llmspell_kv_iter_close(it);
    llmspell_kv_free(kv, copy);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_drop(llmspell_kv *kv, const char *name) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    size_t nlen = 0, kn;
    llmspell_result r;
    int exists;
    if (!kv) return LLMSPELL_ERR_INVALID;
    if ((r = llmspell__check_name(kv, name, &nlen)) != LLMSPELL_OK) return r;
    kn = llmspell__vkey(key, sizeof key, 'm', name, nlen, NULL, 0, 0, 0, 0, 0);
    if ((r = llmspell_kv_exists(kv, key, kn, &exists)) != LLMSPELL_OK) return r;
    if (!exists) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_FOUND, "vec: no collection '%s'", name);
    if ((r = llmspell_kv_begin(kv)) != LLMSPELL_OK) return r;
    r = llmspell_kv_delete_sys(kv, key, kn);
    if (r == LLMSPELL_OK) r = llmspell__drop_prefix(kv, 'r', name, nlen);
    if (r == LLMSPELL_OK) r = llmspell__drop_prefix(kv, 'h', name, nlen);
    if (r == LLMSPELL_OK) r = llmspell__drop_prefix(kv, 'p', name, nlen);
    if (r == LLMSPELL_OK) r = llmspell__drop_prefix(kv, 'f', name, nlen);
    if (r != LLMSPELL_OK) return llmspell_kv_abort(kv, r);
    return llmspell_kv_commit(kv);
}

LLMSPELL_DEF llmspell_result llmspell_vec_list(llmspell_kv *kv, const char *prefix, llmspell_vec_list_fn fn, void *user) {
    uint8_t key[3] = {0xFF, 'V', 'm'};
    llmspell_kv_iter *it;
    const void *k;
    size_t kl, plen = prefix ? strlen(prefix) : 0;
    llmspell_result r;
    if (!kv || !fn) return kv ? llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "vec: list needs a callback") : LLMSPELL_ERR_INVALID;
    if ((r = llmspell_kv_iter_open(kv, key, 3, &it)) != LLMSPELL_OK) return r;
    while ((r = llmspell_kv_iter_next(it, &k, &kl, NULL, NULL)) == LLMSPELL_OK) {
        char name[LLMSPELL_VEC_MAX_NAME + 1];
        const uint8_t *q = (const uint8_t *)k + 3;
        size_t n;
        if (llmspell_tuple_get_bytes(&q, (const uint8_t *)k + kl, (uint8_t *)name, LLMSPELL_VEC_MAX_NAME, &n) != LLMSPELL_OK ||
            n > LLMSPELL_VEC_MAX_NAME || q != (const uint8_t *)k + kl)
            continue;
        name[n] = 0;
        if (plen && (n < plen || memcmp(name, prefix, plen) != 0)) continue;
        if (fn(user, name)) break;
    }
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND || r == LLMSPELL_OK ? LLMSPELL_OK : r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_info_get(llmspell_vec *v, llmspell_vec_info *out) {
    uint32_t i;
    uint64_t mem = sizeof *v;
    llmspell__tslot *t;
    llmspell_result r;
    if (!out) return LLMSPELL_ERR_INVALID;
    memset(out, 0, sizeof *out); /* defined on every path */
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!(t = llmspell__vr_begin(v, &r))) return r;
    out->count = v->live;
    if (v->next_expiry <= llmspell_time_now(&v->clock)) { /* expired but not purged yet: not live */
        llmspell_time now = llmspell_time_now(&v->clock);
        for (i = 0; i < v->nrecs; i++)
            if (v->recs[i].ix != LLMSPELL__NONE && llmspell__rexpires(&v->recs[i]) <= now) out->count--;
    }
    out->config = v->cfg;
    out->kernel = v->k->name;
    out->graph_loaded = v->graph_loaded;
    for (i = 0; i < v->nix; i++) {
        const llmspell__hnsw *ix = v->ix[i];
        uint32_t node;
        if (out->ndims < LLMSPELL_VEC_INFO_DIMS) {
            out->dims[out->ndims] = ix->dim;
            out->dim_counts[out->ndims] = ix->live;
            out->ndims++;
        }
        if (ix->nchunks) mem += ((uint64_t)(ix->nchunks - 1) * LLMSPELL__CHUNK + ix->caplast) * ix->stride;
        mem += (uint64_t)ix->capchunks * sizeof *ix->l0;
        mem += (uint64_t)ix->cap * (sizeof *ix->up + 1 + sizeof *ix->indeg) + (uint64_t)ix->capfree * 4;
        for (node = 0; node < ix->n; node++)
            if (ix->up[node]) mem += (uint64_t)ix->level[node] * (1 + ix->wm) * 4;
    }
    mem += (uint64_t)v->caprecs * sizeof *v->recs + (v->idmap ? (v->idmask + 1) * 4 : 0);
    for (i = 0; i < v->nrecs; i++) {
        const llmspell__vrec *r = &v->recs[i];
        if (r->ix == LLMSPELL__NONE) continue;
        llmspell__rparts pt;
        llmspell__rparts_of(r, &pt);
        mem += pt.size;
    }
    for (i = 0; i < v->nfx; i++) mem += (uint64_t)v->fx[i].cap * sizeof *v->fx[i].p + v->fx[i].nlen + 1 + sizeof *v->fx;
    out->field_indexes = v->nfx;
    out->memory_bytes = mem;
    llmspell__vr_end(v, t);
    return LLMSPELL_OK;
}

/* The calling thread's last failure on v (the shared one if the thread never got a slot). */
LLMSPELL_DEF const char *llmspell_vec_errmsg(const llmspell_vec *v) {
    llmspell__tslot *t;
    if (!v) return "no handle";
    t = llmspell__tslot_find((llmspell__tslots *)&v->ts);
    return t ? t->errmsg : v->errmsg;
}

LLMSPELL_DEF const char *llmspell_vec_metric_name(llmspell_metric m) {
    return (unsigned)m <= LLMSPELL_METRIC_IP ? llmspell__vec_metric_names[m] : NULL;
}

LLMSPELL_DEF const char *llmspell_vec_quant_name(llmspell_vec_quant q) {
    return (unsigned)q <= LLMSPELL_VEC_INT8 ? llmspell__vec_quant_names[q] : NULL;
}

LLMSPELL_DEF llmspell_result llmspell_vec_quant_parse(const char *name, llmspell_vec_quant *q) {
    int i;
    if (!name || !q) return LLMSPELL_ERR_INVALID;
    for (i = 0; i <= LLMSPELL_VEC_INT8; i++)
        if (strcmp(name, llmspell__vec_quant_names[i]) == 0) {
            *q = (llmspell_vec_quant)i;
            return LLMSPELL_OK;
        }
    return LLMSPELL_ERR_INVALID;
}

LLMSPELL_DEF llmspell_result llmspell_vec_metric_parse(const char *name, llmspell_metric *m) {
    int i;
    if (!name || !m) return LLMSPELL_ERR_INVALID;
    for (i = 0; i <= LLMSPELL_METRIC_IP; i++)
        if (strcmp(name, llmspell__vec_metric_names[i]) == 0) {
            *m = (llmspell_metric)i;
            return LLMSPELL_OK;
        }
    return LLMSPELL_ERR_INVALID;
}

LLMSPELL_DEF llmspell_result llmspell_vec_parse_text(const char *text, size_t n, float *out, uint32_t cap, uint32_t *dim) {
    llmspell_json_doc *doc;
    const char *why;
    size_t count = 0;
    llmspell_result r = LLMSPELL_OK;
    if (!text || !dim || (!out && cap)) return LLMSPELL_ERR_INVALID;
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(text);
    if (llmspell_json_doc_new(NULL, &doc) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    why = llmspell__vec_text_parse(doc, text, n, &count);
    if (why) r = why[0] ? LLMSPELL_ERR_PARSE : LLMSPELL_ERR_NOMEM;
    else if (count > cap) r = LLMSPELL_ERR_TOO_LARGE;
    else llmspell__vec_text_floats(doc, out);
    llmspell_json_doc_free(doc);
    *dim = count > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)count;
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_add(llmspell_vec *v, const llmspell_vec_record *rec) {
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!rec) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': record is NULL", v->name);
    return llmspell__write(v, rec, 1, NULL, 1, NULL);
}

LLMSPELL_DEF llmspell_result llmspell_vec_add_batch_ex(llmspell_vec *v, const llmspell_vec_record *recs, size_t n,
                                                       const llmspell_vec_batch_options *opts) {
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!recs && n) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': records are NULL", v->name);
    if (opts && opts->threads > LLMSPELL_VEC_MAX_THREADS)
        return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': %u threads is over %d", v->name, (unsigned)opts->threads,
                               LLMSPELL_VEC_MAX_THREADS);
    return n ? llmspell__write(v, recs, n, NULL, opts ? opts->threads : 1, NULL) : LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_vec_add_batch(llmspell_vec *v, const llmspell_vec_record *recs, size_t n) {
    return llmspell_vec_add_batch_ex(v, recs, n, NULL);
}

LLMSPELL_DEF llmspell_result llmspell_vec_delete(llmspell_vec *v, const char *id) {
    size_t n;
    llmspell_result r;
    if (!v) return LLMSPELL_ERR_INVALID;
    if ((r = llmspell__vcheck_id(v, id, &n)) != LLMSPELL_OK) return r;
    return llmspell__write(v, NULL, 0, id, 1, NULL);
}

LLMSPELL_DEF llmspell_result llmspell_vec_purge_expired(llmspell_vec *v, size_t *purged) {
    llmspell__tslot *t;
    llmspell_result r;
    int due;
    if (!v) return LLMSPELL_ERR_INVALID;
    if (purged) *purged = 0;
    if (!(t = llmspell__vr_begin(v, &r))) return r;
    due = v->next_expiry <= llmspell_time_now(&v->clock);
    llmspell__vr_end(v, t);
    return due ? llmspell__write(v, NULL, 0, NULL, 1, purged) : LLMSPELL_OK;
}

static void llmspell__fill_record(const llmspell_vec *v, uint32_t r, llmspell_vec_record *out) {
    const llmspell__vrec *rec = &v->recs[r];
    const llmspell__hnsw *ix = v->ix[rec->ix];
    llmspell__rparts pt;
    llmspell__rparts_of(rec, &pt);
    memset(out, 0, sizeof *out);
    out->id = pt.id;
    out->embedding = v->cfg.quant == LLMSPELL_VEC_F32 ? LLMSPELL__VEC(ix, rec->node) : NULL; /* f32: exactly as added */
    out->dim = ix->dim;
    out->metadata = pt.meta;
    out->metadata_len = pt.metalen;
    out->scope = pt.scope;
    out->created_at = pt.created;
    out->updated_at = pt.updated;
    out->expires_at = pt.expires;
}

LLMSPELL_DEF llmspell_result llmspell_vec_get(llmspell_vec *v, const char *id, llmspell_vec_record *out) {
    size_t n;
    uint32_t r;
    llmspell_result rc = LLMSPELL_OK;
    llmspell__tslot *t;
    if (!v) return LLMSPELL_ERR_INVALID;
    if ((rc = llmspell__vcheck_id(v, id, &n)) != LLMSPELL_OK) return rc;
    if (!out) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': get needs an output", v->name);
    if (!(t = llmspell__vr_begin(v, &rc))) return rc;
    r = llmspell__id_find(v, id, n, llmspell__vhash(id, n));
    if (r == LLMSPELL__NONE || llmspell__rexpires(&v->recs[r]) <= llmspell_time_now(&v->clock)) {
        rc = llmspell__vfail(v, LLMSPELL_ERR_NOT_FOUND, "vec '%s': no record '%s'", v->name, id);
    } else {
        llmspell__fill_record(v, r, out);
#ifdef LLMSPELL_NO_THREADS
        if (v->cfg.quant != LLMSPELL_VEC_F32)
#endif
        { /* the strings live in the record's blob, which the thread holds (>>holds); the vector
             lives in its node, which a write may reuse or move: copied (and a quantized one
             turned back into float32) */
            llmspell__vscratch *s = llmspell__tscratch(v, t);
            float *x = (float *)(void *)llmspell__vout(v, t, (size_t)out->dim * sizeof *x);
            if (!s || !x || !llmspell__hold_room(v, s, 1)) {
                memset(out, 0, sizeof *out);
                rc = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
            } else {
                s->hold[0] = v->recs[r].blob;
                llmspell__vform_values(v, LLMSPELL__NV(v->ix[v->recs[r].ix], v->recs[r].node), x, out->dim);
                out->embedding = x;
            }
        }
    }
    llmspell__vr_end(v, t);
    return rc;
}

static int llmspell__rec_idcmp(const void *a, const void *b, void *v) {
    const llmspell__vrec *x = &((const llmspell_vec *)v)->recs[*(const uint32_t *)a];
    const llmspell__vrec *y = &((const llmspell_vec *)v)->recs[*(const uint32_t *)b];
    size_t xn = LLMSPELL__RHEAD(x)->idlen, yn = LLMSPELL__RHEAD(y)->idlen;
    int c = memcmp(llmspell__rid(x), llmspell__rid(y), xn < yn ? xn : yn);
    return c ? c : (xn < yn ? -1 : xn > yn);
}

/* An insertion sort is enough for ids already nearly in order; otherwise a heap sort keeps
   this free of recursion and of qsort's missing context pointer. */
static void llmspell__sort_recs(const llmspell_vec *v, uint32_t *a, uint32_t n) {
    uint32_t i, end;
    for (i = n / 2; i-- > 0;) { /* heapify */
        uint32_t j = i;
        for (;;) {
            uint32_t c = 2 * j + 1, t;
            if (c >= n) break;
            if (c + 1 < n && llmspell__rec_idcmp(&a[c + 1], &a[c], (void *)(uintptr_t)v) > 0) c++;
            if (llmspell__rec_idcmp(&a[c], &a[j], (void *)(uintptr_t)v) <= 0) break;
            t = a[c]; a[c] = a[j]; a[j] = t;
            j = c;
        }
    }
    for (end = n; end > 1; end--) {
        uint32_t t = a[0], j = 0;
        a[0] = a[end - 1];
        a[end - 1] = t;
        for (;;) {
            uint32_t c = 2 * j + 1, u;
            if (c >= end - 1) break;
            if (c + 1 < end - 1 && llmspell__rec_idcmp(&a[c + 1], &a[c], (void *)(uintptr_t)v) > 0) c++;
            if (llmspell__rec_idcmp(&a[c], &a[j], (void *)(uintptr_t)v) <= 0) break;
            u = a[c]; a[c] = a[j]; a[j] = u;
            j = c;
        }
    }
}

LLMSPELL_DEF llmspell_result llmspell_vec_each(llmspell_vec *v, llmspell_vec_each_fn fn, void *user) {
    uint32_t *order, n = 0, r;
    llmspell_time now;
    llmspell__tslot *t;
    llmspell_result rc = LLMSPELL_OK;
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!fn) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': each needs a callback", v->name);
    /* fn runs with the collection read-locked: the store's snapshot first (the lock order), so
       that fn's kv calls never wait for a writer who waits for this read */
    if (v->kv && (rc = llmspell_kv_read_begin(v->kv)) != LLMSPELL_OK) return llmspell__kv_fail(v, rc);
    if ((t = llmspell__vr_begin(v, &rc)) != NULL) {
        uint32_t maxdim = 0;
        float *x = NULL; /* a quantized vector turned back into float32 */
        now = llmspell_time_now(&v->clock);
        for (r = 0; v->cfg.quant != LLMSPELL_VEC_F32 && r < v->nix; r++) maxdim = v->ix[r]->dim > maxdim ? v->ix[r]->dim : maxdim;
        order = (uint32_t *)llmspell__valloc(v, ((size_t)v->live + 1) * sizeof *order);
        if (maxdim) x = (float *)llmspell__valloc(v, (size_t)maxdim * sizeof *x);
        if (!order || (maxdim && !x)) {
            rc = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        } else {
            for (r = 0; r < v->nrecs; r++)
                if (v->recs[r].ix != LLMSPELL__NONE && llmspell__rexpires(&v->recs[r]) > now) order[n++] = r;
            llmspell__sort_recs(v, order, n);
            for (r = 0; r < n; r++) {
                llmspell_vec_record rec;
                const llmspell__vrec *vr = &v->recs[order[r]];
                llmspell__fill_record(v, order[r], &rec);
                if (x) {
                    llmspell__vform_values(v, LLMSPELL__NV(v->ix[vr->ix], vr->node), x, rec.dim);
                    rec.embedding = x;
                }
                if (fn(user, &rec)) break;
            }
        }
        llmspell__vfree(v, order);
        llmspell__vfree(v, x);
        llmspell__vr_end(v, t);
    }
    if (v->kv) (void)llmspell_kv_read_end(v->kv);
    return rc;
}

/* Declares (add) or drops the index of field: the store first, in a transaction of its own,
   then memory (an index a failed commit leaves behind is removed again). */
static llmspell_result llmspell__index_change(llmspell_vec *v, const char *field, int add) {
    llmspell__tslot *t;
    uint8_t key[LLMSPELL__VKEY_MAX], val[LLMSPELL__FDECL_SIZE];
    llmspell__findex *fx;
    size_t n, kn;
    llmspell_result r = LLMSPELL_OK;
    int own = 0;
    if (!v) return LLMSPELL_ERR_INVALID;
    t = llmspell__vslot(v);
    if (!field || !*field) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': a field index needs a field name", v->name);
    if ((n = strlen(field)) > LLMSPELL_VEC_MAX_NAME)
        return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "vec '%s': a field name of %zu bytes is over the %d-byte limit", v->name, n,
                               LLMSPELL_VEC_MAX_NAME);
    if (t && t->depth)
        return llmspell__vfail(v, LLMSPELL_ERR_BUSY, "vec '%s': a write from inside a read of this thread (llmspell_vec_each's callback)", v->name);
    if (v->kv) {
        r = llmspell_kv_begin(v->kv);
        if (r == LLMSPELL_ERR_TXN)
            return llmspell__vfail(v, r, "vec '%s': writes run in a transaction of their own; commit the open one first", v->name);
        if (r != LLMSPELL_OK) return llmspell__kv_fail(v, r);
        own = 1;
        if ((r = llmspell_kv_txn_exclusive(v->kv)) != LLMSPELL_OK) { /* the lock order, as every write */
            (void)llmspell_kv_rollback(v->kv);
            return llmspell__kv_fail(v, r);
        }
    }
    llmspell__vw_lock(v);
    if ((r = llmspell__reload(v)) != LLMSPELL_OK) goto out;
    fx = llmspell__fx_find(v, field, n);
    if (add && fx) {
        r = llmspell__vfail(v, LLMSPELL_ERR_EXISTS, "vec '%s': field '%s' is indexed already", v->name, field);
        goto out;
    }
    if (!add && !fx) {
        r = llmspell__vfail(v, LLMSPELL_ERR_NOT_FOUND, "vec '%s': field '%s' has no index", v->name, field);
        goto out;
    }
    if (v->kv) {
        kn = llmspell__vkey(key, sizeof key, 'f', v->name, v->nlen, field, n, 0, 0, 0, 0);
        llmspell__fdecl_blob(val, field, n);
        r = add ? llmspell_kv_put_sys(v->kv, key, kn, val, sizeof val) : llmspell_kv_delete_sys(v->kv, key, kn);
        if (r != LLMSPELL_OK) {
            r = llmspell__kv_fail(v, r);
            goto out;
        }
    }
    if (add && !llmspell__fx_add(v, field, n)) {
        r = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory indexing field '%s'", v->name, field);
        goto out;
    }
    if (v->kv) {
        r = llmspell_kv_commit(v->kv);
        own = 0;
        if (r != LLMSPELL_OK) {
            r = llmspell__kv_fail(v, r);
            if (add) fx = &v->fx[v->nfx - 1]; /* the one just added goes again */
            else goto out;
        }
    }
    if (!add || r != LLMSPELL_OK) {
        uint32_t i = (uint32_t)(fx - v->fx);
        llmspell__vx_lock(v);
        llmspell__vfree(v, fx->name);
        llmspell__vfree(v, fx->p);
        memmove(&v->fx[i], &v->fx[i + 1], (size_t)(v->nfx - i - 1) * sizeof *v->fx);
        v->nfx--;
        llmspell__vx_unlock(v);
    }
out:
    if (own) (void)llmspell_kv_abort(v->kv, r);
    llmspell__vw_unlock(v);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_index_field(llmspell_vec *v, const char *field) { return llmspell__index_change(v, field, 1); }

LLMSPELL_DEF llmspell_result llmspell_vec_unindex_field(llmspell_vec *v, const char *field) { return llmspell__index_change(v, field, 0); }

/* >>search */

typedef struct llmspell__squery {
    llmspell__hnsw *ix;
    uint32_t ixno;
    const float *q;            /* the query in the index's form (>>structures) */
    size_t k;
    uint32_t ef;
    llmspell__cfilter *cf;     /* compiled filter or NULL */
    llmspell__accept acc;
    llmspell__vscratch *s;     /* the thread's, kept for its next search */
    llmspell__tslot *t;
} llmspell__squery;

/* Begins a search: the read lock, the thread's scratch, the query checked (NULL-free on
   failure: llmspell__squery_end is called either way). */
static llmspell_result llmspell__squery_init(llmspell_vec *v, const llmspell_vec_query *q, size_t k, llmspell__squery *sq) {
    size_t nodes = 1;
    double n2;
    llmspell_result r = LLMSPELL_OK;
    memset(sq, 0, sizeof *sq);
    if (!(sq->t = llmspell__vr_begin(v, &r))) return r;
    if (!(sq->s = llmspell__tscratch(v, sq->t))) return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
    if (!q || !q->vector) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': query vector is NULL", v->name);
    if (q->k == 0) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': k is 0", v->name);
    if (q->k > LLMSPELL_VEC_MAX_K || q->rerank > LLMSPELL_VEC_MAX_K)
        return llmspell__vfail(v, LLMSPELL_ERR_TOO_LARGE, "vec '%s': %s %zu is over %d", v->name, q->k > LLMSPELL_VEC_MAX_K ? "k" : "rerank",
                               q->k > LLMSPELL_VEC_MAX_K ? q->k : q->rerank, LLMSPELL_VEC_MAX_K);
    if (q->dim == 0 || q->dim > LLMSPELL_VEC_MAX_DIM)
        return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': query dimension %u is outside 1..%d", v->name, (unsigned)q->dim, LLMSPELL_VEC_MAX_DIM);
    if (!llmspell__vec_ok(q->vector, q->dim, v->cfg.metric == LLMSPELL_METRIC_COSINE, &n2))
        return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': %s", v->name,
                               n2 == 0 ? "a zero query vector has no cosine similarity" : "the query holds NaN or infinity");
    sq->ix = llmspell__vix_find(v, q->dim, &sq->ixno);
    if (!sq->ix || sq->ix->live == 0)
        return llmspell__vfail(v, LLMSPELL_ERR_NOT_FOUND, "vec '%s': no vectors of dimension %u", v->name, (unsigned)q->dim);
    if (!llmspell__vgrow(v, (void **)&sq->s->qform, &sq->s->capqform, sq->ix->vbytes / 4, sizeof(float)))
        return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
    llmspell__vform(v, sq->s->qform, q->vector, q->dim);
    sq->q = sq->s->qform;
    sq->k = k;
    sq->ef = q->ef ? q->ef : v->cfg.ef_search;
    if (sq->ef < k) sq->ef = (uint32_t)k; /* documented: ef is raised to k */
    sq->acc.v = v;
    sq->acc.s = sq->s;
    sq->acc.skip = LLMSPELL__NONE;
    sq->acc.now = llmspell_time_now(&v->clock);
    sq->s->cand.fixed = sq->s->res.fixed = 0;
    if (q->filter) {
        size_t used = 1;
        if ((r = llmspell__filter_check(v, q->filter, 0, &nodes)) != LLMSPELL_OK) return r;
        sq->cf = (llmspell__cfilter *)llmspell__valloc(v, nodes * sizeof *sq->cf);
        if (!sq->cf || !llmspell__vgrow(v, (void **)&sq->s->match, &sq->s->capmatch, (size_t)sq->ix->n + 1, 1))
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory", v->name);
        memset(sq->s->match, 0, (size_t)sq->ix->n + 1);
        llmspell__filter_build(v, q->filter, sq->cf, sq->cf, &used);
        sq->acc.f = sq->cf;
    }
    return LLMSPELL_OK;
}

static void llmspell__squery_end(llmspell_vec *v, llmspell__squery *sq) {
    llmspell__vfree(v, sq->cf);
    if (sq->t) llmspell__vr_end(v, sq->t);
}

/* Turns the result heap (max-heap of up to ef) into the k best hits, best first; the thread
   holds their records (>>holds), whose blobs the ids and metadata point into. */
static llmspell_result llmspell__emit(llmspell_vec *v, llmspell__squery *sq, llmspell_vec_hit *hits, size_t *n, llmspell_time *updated) {
    llmspell__heap *res = &sq->s->res;
    size_t i, m;
    while (res->n > sq->k) llmspell__heap_pop(res);
    m = res->n;
    if (!llmspell__hold_room(v, sq->s, m)) return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory in search", v->name);
    for (i = m; i-- > 0;) {
        llmspell__dn d = llmspell__heap_pop(res);
        const llmspell__vrec *r = &v->recs[LLMSPELL__REC(sq->ix, d.id)];
        llmspell__rparts pt;
        llmspell__rparts_of(r, &pt);
        hits[i].id = pt.id;
        hits[i].score = llmspell__score(v, d.d);
        hits[i].metadata = pt.meta;
        hits[i].metadata_len = pt.metalen;
        if (updated) updated[i] = pt.updated; /* (a re-ranking checks the record did not change) */
        sq->s->hold[i] = r->blob;
    }
    *n = m;
    return LLMSPELL_OK;
}

/* Brute force over the index: every accepted node, the k best kept in the result heap. */
static int llmspell__scan(llmspell_vec *v, llmspell__squery *sq) {
    llmspell__hnsw *ix = sq->ix;
    llmspell__heap *res = &sq->s->res;
    uint32_t node;
    res->n = 0;
    res->max = 1;
    for (node = 0; node < ix->n; node++) {
        float d;
        if (!llmspell__accepts(ix, &sq->acc, node)) continue;
        d = LLMSPELL__DQ(v, ix, sq->q, node);
        if (res->n >= sq->k && d >= res->h[0].d) continue;
        if (!llmspell__heap_push(v, res, d, node)) return 0;
        if (res->n > sq->k) llmspell__heap_pop(res);
    }
    return 1;
}

/* The exact search over the nodes in s->cands (a field index's answer): each accepted one
   measured once, in node order (the postings come in value order: memory in node order is
   read ahead better), each vector fetched a few nodes ahead. */
static int llmspell__scan_cands(llmspell_vec *v, llmspell__squery *sq) {
    llmspell__hnsw *ix = sq->ix;
    llmspell__vscratch *s = sq->s;
    uint32_t i, w, n = 0, line, bytes = 8 + ix->vbytes;
    if (!llmspell__scratch_reset(v, s, ix->n)) return 0;
    for (i = 0; i < s->ncands; i++) llmspell__visit(s, s->cands[i]);
    for (w = 0; w < s->vwords; w++) { /* the set, in order and once each */
        uint64_t b = s->visited[w];
        for (i = 0; b; i += 8, b >>= 8)
            if (b & 0xFF) {
                uint32_t j;
                for (j = 0; j < 8; j++)
                    if (b >> j & 1) s->cands[n++] = w * 64 + i + j;
            }
    }
    s->ncands = n;
    for (i = 0; i < n; i++) {
        uint32_t node = s->cands[i];
        float d;
        if (i + 4 < n) /* its record index, inverse norm and vector */
            for (line = 0; line < bytes; line += 64) LLMSPELL__VEC_PREFETCH((const char *)(LLMSPELL__NV(ix, s->cands[i + 4]) - 1) + line);
        if (i + 2 < n) { /* then its record, then the fields the filter reads */
            uint32_t r2 = LLMSPELL__REC(ix, s->cands[i + 2]);
            if (r2 != LLMSPELL__NONE) LLMSPELL__VEC_PREFETCH(&v->recs[r2]);
            if (i + 1 < n && (r2 = LLMSPELL__REC(ix, s->cands[i + 1])) != LLMSPELL__NONE) LLMSPELL__VEC_PREFETCH(v->recs[r2].blob);
        }
        if (!llmspell__accepts(ix, &sq->acc, node)) continue;
        d = LLMSPELL__DQ(v, ix, sq->q, node);
        if (s->res.n >= sq->k && d >= s->res.h[0].d) continue;
        if (!llmspell__heap_push(v, &s->res, d, node)) return 0;
        if (s->res.n > sq->k) llmspell__heap_pop(&s->res);
    }
    return 1;
}

/* The graph search: greedy down the upper levels, then a beam of width ef on level 0 (acorn:
   over the accepted nodes only, >>hnsw filtered search layer). The entry point's level is the
   top one (inserts may move the entry meanwhile: any entry works). */
static int llmspell__graph(llmspell_vec *v, llmspell__squery *sq, uint32_t ef, int acorn) {
    llmspell__hnsw *ix = sq->ix;
    uint32_t cur = llmspell__ld32(&ix->entry);
    float dcur;
    int l;
    if (cur == LLMSPELL__NONE) return 1;
    if (!llmspell__scratch_reset(v, sq->s, ix->n)) return 0;
    dcur = LLMSPELL__DQ(v, ix, sq->q, cur);
    for (l = ix->level[cur]; l > 0; l--) llmspell__search_greedy(v, ix, sq->q, &cur, &dcur, l);
    if (acorn) return llmspell__search_acorn(v, ix, sq->q, cur, dcur, ef, &sq->acc, sq->s);
    return llmspell__search_layer(v, ix, sq->q, cur, dcur, ef, 0, &sq->acc, sq->s);
}

/* The filtered search's planner: the cheapest of three plans, in units of one candidate of a
   field index measured (about 85 ns on glove100k; the other figures are from the same
   measurements, make bench and the forced plans of test_vec):
     the exact scan: its candidates, or without an index 0.7 per record (each tested);
     search then filter: 37 ef / share, as it walks about ef / share nodes;
     acorn: 180 ef with an index, 500 ef without (the filter tests every node its second
     hop meets), offered only where share M0 >= 1 (below, accepted nodes hardly meet).
   With an index the share is exact (its candidates over the live nodes); without one a
   sample of 512 nodes estimates it, and few expected matches are scanned outright. */
#define LLMSPELL__COST_SCAN_RECORD 0.7
#define LLMSPELL__COST_AFTER 37.0
#define LLMSPELL__COST_ACORN 180.0
#define LLMSPELL__COST_ACORN_TESTED 500.0
enum { LLMSPELL__PLAN_AUTO, LLMSPELL__PLAN_SCAN, LLMSPELL__PLAN_ACORN, LLMSPELL__PLAN_AFTER }; /* tests force one */

static int llmspell__plan_pick(const llmspell__hnsw *ix, double scan, double share, uint32_t ef, int indexed) {
    double after = LLMSPELL__COST_AFTER * ef / (share > 1e-9 ? share : 1e-9);
    double acorn = (indexed ? LLMSPELL__COST_ACORN : LLMSPELL__COST_ACORN_TESTED) * ef;
    if (share * ix->M0 >= 1.0 && acorn < scan && acorn < after) return LLMSPELL__PLAN_ACORN;
    return scan <= after ? LLMSPELL__PLAN_SCAN : LLMSPELL__PLAN_AFTER;
}

static int llmspell__plan_search(llmspell_vec *v, llmspell__squery *sq, int plan) {
    llmspell__hnsw *ix = sq->ix;
    llmspell__vscratch *s = sq->s;
    llmspell__plan pl;
    int64_t cnt;
    double sel;
    uint32_t i;
    int ok;
    memset(&pl, 0, sizeof pl);
    cnt = llmspell__plan_ranges(v, sq->cf, &pl);
    ok = cnt < 0 || llmspell__plan_nodes(v, &pl, sq->ixno, s);
    llmspell__vfree(v, pl.r);
    if (!ok) return 0;
    if (cnt >= 0) { /* a field index named the candidates */
        sel = (double)s->ncands / (double)(ix->live ? ix->live : 1);
        if (plan == LLMSPELL__PLAN_AUTO) plan = llmspell__plan_pick(ix, s->ncands, sel, sq->ef, 1);
        if (plan == LLMSPELL__PLAN_SCAN) return llmspell__scan_cands(v, sq);
        memset(s->match, 1, ix->n); /* rejected, but for the candidates: unknown until a search meets them */
        for (i = 0; i < s->ncands; i++) s->match[s->cands[i]] = 0;
        ok = llmspell__graph(v, sq, sq->ef, plan == LLMSPELL__PLAN_ACORN);
        if (ok && s->res.n < sq->k) ok = llmspell__scan_cands(v, sq); /* never fewer than exist */
        return ok;
    }
    if (plan == LLMSPELL__PLAN_AUTO) { /* estimated on a sample of nodes */
        uint32_t step = ix->n > 512 ? ix->n / 512 : 1, node, tried = 0, hit = 0;
        for (node = 0; node < ix->n; node += step) {
            if (LLMSPELL__REC(ix, node) == LLMSPELL__NONE) continue;
            tried++;
            hit += (uint32_t)llmspell__accepts(ix, &sq->acc, node);
        }
        sel = tried ? (double)hit / tried : 0;
        plan = sel * (double)ix->live <= 2048.0 ? LLMSPELL__PLAN_SCAN
                                                : llmspell__plan_pick(ix, LLMSPELL__COST_SCAN_RECORD * (double)ix->live, sel, sq->ef, 0);
    }
    if (plan == LLMSPELL__PLAN_SCAN) return llmspell__scan(v, sq);
    ok = llmspell__graph(v, sq, sq->ef, plan == LLMSPELL__PLAN_ACORN);
    if (ok && s->res.n < sq->k) ok = llmspell__scan(v, sq);
    return ok;
}

/* The re-ranking of a quantized collection's candidates cand[0..m) on the float32 its kv
   keeps: read in one snapshot of the store after the collection's lock is let go (the lock
   order). A candidate deleted meanwhile is dropped; one written meanwhile (its update time or
   metadata differ) keeps the score the search measured, so that a hit's score and metadata
   always belong to one version. The best k go to hits, best first. */
static llmspell_result llmspell__rerank(llmspell_vec *v, const llmspell_vec_query *q, llmspell_metric metric, const llmspell_vec_hit *cand,
                                        const llmspell_time *updated, size_t m, llmspell_vec_hit *hits, size_t *n) {
    uint8_t key[LLMSPELL__VKEY_MAX];
    float *x = (float *)llmspell__valloc(v, (size_t)q->dim * sizeof *x);
    llmspell__dn *order = (llmspell__dn *)llmspell__valloc(v, (m ? m : 1) * sizeof *order);
    llmspell_result r = LLMSPELL_OK;
    size_t i, got = 0;
    int snap = 0;
    if (!x || !order) r = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory in search", v->name);
    else if ((r = llmspell_kv_read_begin(v->kv)) != LLMSPELL_OK) r = llmspell__kv_fail(v, r);
    else snap = 1;
    for (i = 0; r == LLMSPELL_OK && i < m; i++) {
        const void *val;
        size_t vn, kn = llmspell__vkey(key, sizeof key, 'r', v->name, v->nlen, cand[i].id, strlen(cand[i].id), 0, 0, 0, 0);
        llmspell__recview rv;
        float d;
        llmspell_result g = llmspell_kv_get(v->kv, key, kn, &val, &vn);
        if (g == LLMSPELL_ERR_NOT_FOUND) continue;
        if (g != LLMSPELL_OK) {
            r = llmspell__kv_fail(v, g);
            break;
        }
        if (!llmspell__rec_parse((const uint8_t *)val, vn, &rv)) continue;
        if (rv.dim != q->dim || rv.updated != updated[i] || rv.metalen != cand[i].metadata_len || memcmp(rv.meta, cand[i].metadata, rv.metalen) != 0) {
            d = metric == LLMSPELL_METRIC_L2 ? cand[i].score * cand[i].score : 1.0f - cand[i].score; /* as measured */
        } else {
            llmspell__vec_decode(rv.vec, x, q->dim);
            d = metric == LLMSPELL_METRIC_L2 ? v->k->l2sq(q->vector, x, q->dim)
                : metric == LLMSPELL_METRIC_IP ? 1.0f - v->k->dot(q->vector, x, q->dim)
                                               : 1.0f - v->k->cosine(q->vector, x, q->dim);
        }
        order[got].d = d;
        order[got++].id = (uint32_t)i;
    }

    if (snap) (void)llmspell_kv_read_end(v->kv);
    if (r == LLMSPELL_OK) {
        qsort(order, got, sizeof *order, llmspell__dn_cmp);
        for (i = 0; i < got && i < q->k; i++) {
            hits[i] = cand[order[i].id];
            hits[i].score = metric == LLMSPELL_METRIC_L2 ? sqrtf(order[i].d > 0 ? order[i].d : 0) : 1.0f - order[i].d;
        }
        *n = i;
    }
    llmspell__vfree(v, x);
    llmspell__vfree(v, order);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_search(llmspell_vec *v, const llmspell_vec_query *q, llmspell_vec_hit *hits, size_t *n) {
    llmspell__squery sq;
    llmspell_result r;
    llmspell_vec_hit *cand = NULL; /* a re-ranked search's candidates and their records' update times */
    llmspell_time *updated = NULL;
    llmspell_metric metric;
    int ok = 1;
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!hits || !n) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': search needs hits and n", v->name);
    *n = 0;
    if ((r = llmspell__squery_init(v, q, q ? q->k : 0, &sq)) != LLMSPELL_OK) {
        llmspell__squery_end(v, &sq);
        return r;
    }
    metric = v->cfg.metric; /* (read under the lock: a reload rewrites the settings) */
    if (q->rerank && v->kv && v->cfg.quant != LLMSPELL_VEC_F32) { /* wider, for the re-ranking */
        if (q->rerank > sq.k) sq.k = q->rerank;
        if (sq.ef < sq.k) sq.ef = (uint32_t)sq.k;
        if (!(cand = (llmspell_vec_hit *)llmspell__valloc(v, sq.k * sizeof *cand)) ||
            !(updated = (llmspell_time *)llmspell__valloc(v, sq.k * sizeof *updated))) {
            llmspell__squery_end(v, &sq);
            llmspell__vfree(v, cand);
            return llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory in search", v->name);
        }
    }
    if (!sq.cf) {
        ok = llmspell__graph(v, &sq, sq.ef, 0);
        /* short of k while the index holds more: answer exactly rather than return too few */
        if (ok && sq.s->res.n < sq.k && sq.ix->live > sq.s->res.n) ok = llmspell__scan(v, &sq);
    } else {
        ok = llmspell__plan_search(v, &sq, LLMSPELL__PLAN_AUTO);
    }
    if (!ok) r = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory in search", v->name);
    else r = llmspell__emit(v, &sq, cand ? cand : hits, n, updated);
    llmspell__squery_end(v, &sq);
    if (cand && r == LLMSPELL_OK) {
        size_t m = *n;
        *n = 0;
        r = llmspell__rerank(v, q, metric, cand, updated, m, hits, n);
    }
    llmspell__vfree(v, cand);
    llmspell__vfree(v, updated);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_vec_search_exact(llmspell_vec *v, const llmspell_vec_query *q, llmspell_vec_hit *hits,
                                                       size_t *n) {
    llmspell__squery sq;
    llmspell_result r;
    if (!v) return LLMSPELL_ERR_INVALID;
    if (!hits || !n) return llmspell__vfail(v, LLMSPELL_ERR_INVALID, "vec '%s': search needs hits and n", v->name);
    *n = 0;
    if ((r = llmspell__squery_init(v, q, q ? q->k : 0, &sq)) == LLMSPELL_OK) {
        if (!llmspell__scan(v, &sq)) r = llmspell__vfail(v, LLMSPELL_ERR_NOMEM, "vec '%s': out of memory in search", v->name);
        else r = llmspell__emit(v, &sq, hits, n, NULL);
    }
    llmspell__squery_end(v, &sq);
    return r;
}

#endif /* LLMSPELL_VEC_IMPLEMENTATION_ONCE */
#endif /* LLMSPELL_VEC_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
MIT License. Copyright (c) 2026 the llmspell-c authors.
Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions: The above copyright notice
and this permission notice shall be included in all copies or substantial portions of the
Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
------------------------------------------------------------------------------
*/
