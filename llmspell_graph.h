/* llmspell_graph.h - bi-temporal knowledge graph for LLM agent runtimes, part of llmspell-c.

   Recipe: in exactly one C or C++ file,
       #define LLMSPELL_GRAPH_IMPLEMENTATION   (or LLMSPELL_IMPLEMENTATION for the whole family)
       #define LLMSPELL_KV_IMPLEMENTATION      (llmspell_kv.h's own implementation, once per program)
       #define LLMSPELL_EXPORT_IMPLEMENTATION  (llmspell_export.h's: the JSON of properties, once)
       #include "llmspell_graph.h"
   and include it without the defines anywhere else. It includes llmspell_kv.h and
   llmspell_export.h itself and needs only standard C on top of them.

   Example:
       llmspell_kv kv;
       llmspell_graph g;
       llmspell_graph_entity e;
       llmspell_kv_open_file(&kv, "app.db", NULL);
       if (llmspell_graph_open(&g, &kv, NULL) != LLMSPELL_OK) { puts(llmspell_graph_errmsg(&g)); return 1; }
       llmspell_graph_put_entity(&g, "alice", "person", "Alice", "{\"city\":\"Paris\"}",
                                 LLMSPELL_GRAPH_NOW, LLMSPELL_TIME_MAX);
       if (llmspell_graph_get_entity(&g, "alice", LLMSPELL_GRAPH_NOW, LLMSPELL_GRAPH_NOW, &e) == LLMSPELL_OK)
           printf("%s lives in %s\n", e.name, e.properties);
       llmspell_graph_close(&g);
       llmspell_kv_close(&kv);

   Options (define before the implementation):
       LLMSPELL_MALLOC(sz) / LLMSPELL_REALLOC(p,sz) / LLMSPELL_FREE(p)   all three or none; used
                                   only when the kv handle has no allocator of its own
       LLMSPELL_STATIC             every public function static to the implementing file
       LLMSPELL_GRAPH_MAX_ID       longest entity / relationship id in bytes (default 255)
       LLMSPELL_GRAPH_MAX_TEXT     longest type or name in bytes (default 4096)
       LLMSPELL_GRAPH_MAX_PROPS    longest properties text in bytes (default 1 MiB)
       LLMSPELL_GRAPH_MAX_DEPTH    deepest traversal / shortest path in hops (default 10, as rs-llmspell)

   >>model
   Entities (id, type, name, properties) and relationships (id, type, source id, target id,
   properties). Every id has versions; each version carries its content and four times
   (llmspell_time, microseconds since the Unix epoch): valid time [valid_from, valid_to) - when it
   was true in the world - and transaction time [tx_from, tx_to) - when the graph held it - plus
   created_at, the transaction time at which the id was first created. Entity ids and
   relationship ids are separate namespaces. A relationship's source and target are part of its
   identity: they never change between its versions. Properties are a JSON object given as text.

   The rules (DESIGN.md section 5):
   1. Intervals are half-open and non-empty: valid_from < valid_to, otherwise ERR_INVALID.
      LLMSPELL_TIME_MAX as an end means "until further notice", LLMSPELL_TIME_MIN as a start
      "since always".
   2. Transaction time T = max(clock, last + 1 us): it never goes backwards, whatever the clock
      does. A transaction opened with llmspell_graph_begin_at (import) names T itself; it must be
      after the last one (ERR_CONFLICT otherwise).
   3. A write over valid time [a,b) replaces exactly [a,b) of that id for every snapshot from T
      on; valid time outside [a,b) keeps its content, and snapshots before T answer as before.
      Precisely: a current version (tx_to = +inf) whose content changes at any point is closed
      (tx_to = T) - or dropped, if the same transaction created it, since no snapshot could see
      it - and the changed points plus the rest of the closed versions are covered again by new
      versions (tx_from = T), one per maximal run of adjacent points with equal content.
      Current versions whose content does not change anywhere stay as they are.
   4. Ending validity is a delete over [t, +inf): history stays. Erase removes every version of
      an id and, for an entity, every relationship touching it, in the store and in memory.
   5. As-of (v, t) gives the version with valid_from <= v < valid_to and tx_from <= t < tx_to.
      Range queries select versions whose intervals overlap the window.
   6. A relationship is visible in a snapshot only if both its endpoints are; every hop of a
      traversal uses the caller's one snapshot.
   7. Re-asserting identical content creates no version (and takes no transaction time).
      "Identical" means the same type, name and canonical properties: llmspell_export.h's
      canonical form with members sorted (>>json-canonical): no insignificant whitespace,
      strings compared decoded ("\u0061" is "a"), numbers as written (1.0 differs from 1),
      object members sorted by key at every level. Properties follow the family's JSON rules:
      not an object is ERR_INVALID; malformed JSON, duplicate keys and lone surrogates are
      ERR_PARSE; numbers past the double range and nesting past LLMSPELL_JSON_STORED_DEPTH are
      ERR_TOO_LARGE.

   Snapshot shortcuts: as a valid time, LLMSPELL_GRAPH_NOW means the clock's now; as a
   transaction time it means "current knowledge" (versions with tx_to = +inf). Both are
   LLMSPELL_TIME_MAX, which no half-open interval can contain, so nothing is lost. As the start of
   a write's valid range, LLMSPELL_GRAPH_NOW is the clock's now too.

   >>transactions
   Every write is atomic: on any failure (bad input, ERR_NOMEM, a failed kv write) the store and
   the in-memory indexes are exactly as before. A write outside a transaction commits on its own
   (one kv transaction, one transaction time). llmspell_graph_begin / begin_at ... commit groups
   writes under one transaction time and one kv transaction; other records may be written to the
   same kv handle inside it and commit with it. If a kv transaction is already open on the
   handle the graph was opened on, the graph joins it instead of beginning one: each write (or
   each graph transaction) then takes its own transaction time, and whether it happened is
   decided by your commit or rollback of the kv transaction - the graph notices a rollback on
   its next call (it keeps a sequence number in the store) and restores its indexes.
   If a write inside a kv transaction fails in the kv, the kv allows only rollback; so does the
   graph (llmspell_graph_commit returns ERR_TXN).

   >>seeds: the rs-llmspell KnowledgeGraph API maps onto these calls directly
       add_entity(e)                 put_entity(g, id, type, name, props, NOW, TIME_MAX)
                                     (or the entity's event time as valid_from)
       update_entity(id, changes)    update_entity(g, id, NULL, NULL, changes_json, NOW, TIME_MAX)
       get_entity(id)                get_entity(g, id, NOW, NOW, &e)
       get_entity_at(id, event_time) get_entity(g, id, event_time, NOW, &e)
       add_relationship(r)           put_rel(g, id, type, from, to, props, NOW, TIME_MAX)
       get_related(id, rel_type)     neighbors(g, id, LLMSPELL_GRAPH_OUT, rel_type, NOW, NOW, &rows)
       get_relationships(id)         neighbors(g, id, LLMSPELL_GRAPH_BOTH, NULL, NOW, NOW, &rows): rows.rel
       query_temporal(q)             query(g, &q, &rows): entity_type -> type, event_time_start/end ->
                                     valid window, ingestion_time_start/end -> tx window,
                                     property_filters -> filters, limit -> limit
       delete_before(ts)             delete_before(g, ts, &n) - see its note: history superseded
                                     before ts goes; current knowledge is kept (use delete / erase)
       traverse(id, type, depth, at) traverse(g, id, LLMSPELL_GRAPH_OUT, type, depth, at or NOW, NOW,
                                     &rows): rows 1.. are the seeds' (entity, depth, path) tuples
   (all names with the llmspell_graph_ prefix and LLMSPELL_GRAPH_ constants).

   >>storage: every record lives in the kv's 0xFF system namespace, so a tenant view gives a
   tenant its own graph. Keys use llmspell_kv.h's tuple encoding; integers in values are 8-byte
   little-endian, lengths 4-byte little-endian:
       0xFF 'G' 'M'                                meta: u8 1, i64 last transaction time, u64 sequence
       0xFF 'G' 'E' bytes(id) i64(tx_from) i64(valid_from)
                                                   u8 1, i64 valid_to, i64 tx_to, i64 created_at,
                                                   len+type, len+name, len+properties
       0xFF 'G' 'R' bytes(id) i64(tx_from) i64(valid_from)
                                                   u8 1, i64 valid_to, i64 tx_to, i64 created_at,
                                                   len+type, len+source, len+target, len+properties
   One record per version: this is what an export writes (entity_id, entity_type, name,
   properties, valid_time_start/end, transaction_time_start/end, created_at; relationships
   likewise). An import can rebuild the same versions through this API: for each distinct
   transaction time T in increasing order, begin_at(T), delete [valid_from, valid_to) of every
   version whose tx_to is T, put every version whose tx_from is T, commit.

   Threads: any number of threads may share one graph handle (link -pthread on POSIX).
     reads    get_entity, get_rel, the histories, query, neighbors, traverse, shortest_path and
              info_get run together, each with its own scratch.
     writes   writers take turns: a second writer waits (no ERR_BUSY). Once a second thread
              has used the graph, readers run beside a write and beside a graph transaction
              from begin to commit or rollback: they read the graph as it was before it began
              and wait only while it changes the indexes in memory (an instant per write) and
              while it commits, so a read never sees part of a write or of a transaction. A
              transaction that erases or calls delete_before holds the graph alone from then
              to its end; writes that joined a kv transaction you opened are part of it, and
              other threads' reads wait until it ends. A graph write or transaction holds its
              kv store alone, so kv reads of that store (not graph reads) wait for it.
     owner    a transaction belongs to the thread that began it, which ends it through the
              graph (ending its kv transaction directly is noticed at the thread's next graph
              call or another thread's next write; until then other threads' reads see the
              graph before it; with the graph held alone it can deadlock) and must not wait
              meanwhile for another thread that uses the graph or its store.
     pointers the strings a read returns are the graph's own, not copies: they stay valid until
              the calling thread's next call on the graph (a write in another thread that
              retires them keeps their memory until then), and inside a kv read snapshot of the
              graph's store (llmspell_kv_read_begin) until it ends, as graph writers wait for it.
     messages llmspell_graph_errmsg() is the calling thread's last failure.
     order    the family's lock order: a write takes the kv store's lock (its transaction)
              before the graph's, and a read that must consult the store takes a read snapshot
              of it first; the graph never waits for the store while it holds its own lock, so
              threads may mix kv and graph calls freely.
   The clock and the kv's allocator are called from every thread that uses the graph. Opening
   and closing a handle is one thread's business. LLMSPELL_NO_THREADS (implied by
   LLMSPELL_NO_OS) removes every lock. The library never prints, aborts or exits.

   Contents (search for the >> markers):
     this comment     >>model >>transactions >>seeds >>storage
     declarations     >>open / close >>transactions >>writes >>reads
     stored form      version keys and values, the meta record, canonical properties (also
                      compiled for export)
     implementation   >>internals >>alloc >>retire >>errors >>strings >>maps >>json >>nodes
                      >>visibility >>records >>undo log and write groups >>threads >>planning
                      a write on one node >>argument checks >>writes >>transactions >>rows
                      >>reads >>walks >>open / close
*/
#ifndef LLMSPELL_GRAPH_H
#define LLMSPELL_GRAPH_H

#ifndef LLMSPELL_KV_H
#include "llmspell_kv.h"
#endif

#ifndef LLMSPELL_GRAPH_MAX_ID
#define LLMSPELL_GRAPH_MAX_ID 255
#endif
#ifndef LLMSPELL_GRAPH_MAX_TEXT
#define LLMSPELL_GRAPH_MAX_TEXT 4096
#endif
#ifndef LLMSPELL_GRAPH_MAX_PROPS
#define LLMSPELL_GRAPH_MAX_PROPS (1u << 20)
#endif
#ifndef LLMSPELL_GRAPH_MAX_DEPTH
#define LLMSPELL_GRAPH_MAX_DEPTH 10
#endif

/* As a valid time: the clock's now. As a transaction time: current knowledge. */
#define LLMSPELL_GRAPH_NOW LLMSPELL_TIME_MAX
/* rows.parent of a traversal's start row. */
#define LLMSPELL_GRAPH_NO_PARENT 0xFFFFFFFFu

#ifdef __cplusplus
extern "C" {
#endif

/* Options; all-zero (or a NULL pointer) means the defaults. */
typedef struct llmspell_graph_options {
    llmspell_clock clock; /* transaction time and "now"; all-zero: the system clock. Called from
                             every thread that uses the graph. */
} llmspell_graph_options;

/* A graph handle. Declare one, open it, close it; the fields are for reading only. */
typedef struct llmspell_graph {
    llmspell_kv *kv;  /* the store it was opened on; not owned, must stay open while the graph is */
    void *impl;       /* private */
    char errmsg[256]; /* a failed open's message, see llmspell_graph_errmsg */
} llmspell_graph;

/* One version of an entity. The strings are NUL-terminated and belong to the graph: they stay
   valid until the calling thread's next call on the graph, or, inside a kv read snapshot of its
   store (llmspell_kv_read_begin), until that ends; other threads' writes never free them sooner. */
typedef struct llmspell_graph_entity {
    const char *id, *type, *name, *properties; /* properties: canonical JSON object text */
    llmspell_time valid_from, valid_to, tx_from, tx_to, created_at;
} llmspell_graph_entity;

/* One version of a relationship; strings as for llmspell_graph_entity. */
typedef struct llmspell_graph_rel {
    const char *id, *type, *source, *target, *properties;
    llmspell_time valid_from, valid_to, tx_from, tx_to, created_at;
} llmspell_graph_rel;

typedef enum llmspell_graph_dir {
    LLMSPELL_GRAPH_OUT = 1, /* follow relationships from source to target */
    LLMSPELL_GRAPH_IN = 2,  /* from target to source */
    LLMSPELL_GRAPH_BOTH = 3 /* either way (a self-loop counts once) */
} llmspell_graph_dir;

/* Results of the list calls. Zero-initialise one, pass it to any number of calls (each call
   replaces its contents and reuses its memory), free it with llmspell_graph_rows_free. Which
   arrays a call fills is said at the call; the strings inside follow llmspell_graph_entity's
   lifetime rule, the arrays belong to the rows. One thread uses a rows at a time. */
typedef struct llmspell_graph_rows {
    size_t count;
    llmspell_graph_entity *entity; /* count entity versions */
    llmspell_graph_rel *rel;       /* count relationship versions */
    uint32_t *depth;               /* traverse / shortest_path: hops from the start */
    uint32_t *parent;              /* traverse / shortest_path: the row reached from */
    size_t cap;                    /* private */
    llmspell_allocator alloc;      /* private: the allocator of the arrays */
} llmspell_graph_rows;

/* A property equality filter: the top-level member `key` (matched as written in the JSON, without
   decoding escapes) equals `value`, a JSON value as text ("\"Paris\"", "42", "true", "null"),
   compared canonically (see rule 7). */
typedef struct llmspell_graph_filter {
    const char *key;
    const char *value;
} llmspell_graph_filter;

/* A temporal query over entity versions; all-zero selects every version of every entity. */
typedef struct llmspell_graph_query_desc {
    const char *type;                  /* exact type, NULL: any */
    const char *name;                  /* exact name, NULL: any */
    llmspell_time valid_from, valid_to; /* versions overlapping [from,to); both 0: all valid time */
    llmspell_time tx_from, tx_to;      /* versions overlapping [from,to); both 0: all; both
                                          LLMSPELL_GRAPH_NOW: current knowledge only */
    const llmspell_graph_filter *filters; /* all must match */
    size_t nfilters;
    size_t limit;                      /* at most this many rows (the first in result order); 0: all */
} llmspell_graph_query_desc;

typedef struct llmspell_graph_info {
    uint64_t entities, relationships;          /* ids with at least one version */
    uint64_t entity_versions, rel_versions;    /* versions of every transaction time */
    llmspell_time last_tx;                     /* the last transaction time used */
    int in_txn;                                /* the calling thread's graph transaction is open */
} llmspell_graph_info;

/* >>open / close */
/* Opens the graph stored in kv (the root or a tenant view) and rebuilds its in-memory indexes by
   scanning the records. kv must stay open until llmspell_graph_close. On failure the handle is
   closed and llmspell_graph_errmsg says why (ERR_CORRUPT names the bad record). opts may be NULL. */
LLMSPELL_DEF llmspell_result llmspell_graph_open(llmspell_graph *g, llmspell_kv *kv, const llmspell_graph_options *opts);
/* Frees the indexes; an open graph transaction is rolled back. The kv stays open. Safe on NULL
   and on a closed handle (the family's rule: closing never fails where nothing can be lost). */
LLMSPELL_DEF void llmspell_graph_close(llmspell_graph *g);
/* The message of the calling thread's last failure on this handle ("" if none); valid until
   its next call. A failed open, a closed handle, a thread that never made a call: g->errmsg. */
LLMSPELL_DEF const char *llmspell_graph_errmsg(const llmspell_graph *g);
/* Counts and state. */
LLMSPELL_DEF llmspell_result llmspell_graph_info_get(llmspell_graph *g, llmspell_graph_info *out);

/* >>transactions (see "transactions" above). A nested begin, or commit / rollback without
   begin, is ERR_TXN. begin_at: tx must be after every transaction time used so far
   (ERR_CONFLICT) and not LLMSPELL_TIME_MIN / MAX (ERR_INVALID). With threads, begin waits until
   no other thread writes; then the transaction is the calling thread's (see "Threads"): only
   it writes, commits or rolls back; other threads' writes wait until it does, and their reads
   see the graph as it was before it began. */
LLMSPELL_DEF llmspell_result llmspell_graph_begin(llmspell_graph *g);
LLMSPELL_DEF llmspell_result llmspell_graph_begin_at(llmspell_graph *g, llmspell_time tx);
LLMSPELL_DEF llmspell_result llmspell_graph_commit(llmspell_graph *g);
/* Undoes every write since begin. If the graph joined a kv transaction you opened, that whole
   kv transaction is rolled back (a kv transaction cannot be rolled back in part). */
LLMSPELL_DEF llmspell_result llmspell_graph_rollback(llmspell_graph *g);

/* >>writes. Common rules: ids are 1..LLMSPELL_GRAPH_MAX_ID bytes (ERR_INVALID when NULL or
   empty, ERR_TOO_LARGE when longer), type and name at most LLMSPELL_GRAPH_MAX_TEXT (NULL means
   ""), properties at most LLMSPELL_GRAPH_MAX_PROPS and a JSON object (ERR_PARSE otherwise, with
   the byte offset in the message; NULL means "{}"). [valid_from, valid_to) must be non-empty
   (ERR_INVALID); valid_from may be LLMSPELL_GRAPH_NOW. All text is copied. */

/* Sets the entity's content over [valid_from, valid_to) (rule 3), creating the id if new. */
LLMSPELL_DEF llmspell_result llmspell_graph_put_entity(llmspell_graph *g, const char *id, const char *type,
                                                       const char *name, const char *properties,
                                                       llmspell_time valid_from, llmspell_time valid_to);
/* Changes the content of every version valid within [valid_from, valid_to), only there: type and
   name when not NULL, and properties merged with `patch` (a JSON object, NULL: none): each
   top-level member of the patch replaces the member of the same key, a null member removes it.
   ERR_NOT_FOUND when the id is unknown or has no current version overlapping the range. */
LLMSPELL_DEF llmspell_result llmspell_graph_update_entity(llmspell_graph *g, const char *id, const char *type,
                                                          const char *name, const char *patch,
                                                          llmspell_time valid_from, llmspell_time valid_to);
/* Ends the entity's validity over [valid_from, valid_to) (rule 4: "stopped being true at t" is
   [t, LLMSPELL_TIME_MAX)). History stays. ERR_NOT_FOUND for an unknown id; a range where it is
   not valid anyway changes nothing. Its relationships become invisible there (rule 6). */
LLMSPELL_DEF llmspell_result llmspell_graph_delete_entity(llmspell_graph *g, const char *id,
                                                          llmspell_time valid_from, llmspell_time valid_to);
/* Removes every version of the entity and every relationship touching it, from the store and
   the indexes: no later query at any snapshot returns any of it. The id may be used again
   afterwards, as a new entity. ERR_NOT_FOUND for an unknown id. */
LLMSPELL_DEF llmspell_result llmspell_graph_erase_entity(llmspell_graph *g, const char *id);

/* Sets a relationship's content over the range. source and target must be entities that have
   at least one version (ERR_NOT_FOUND otherwise: missing or erased); an existing id with other
   endpoints is ERR_CONFLICT. */
LLMSPELL_DEF llmspell_result llmspell_graph_put_rel(llmspell_graph *g, const char *id, const char *type,
                                                    const char *source, const char *target,
                                                    const char *properties, llmspell_time valid_from,
                                                    llmspell_time valid_to);
/* As update_entity, for a relationship (type when not NULL, properties merged with patch). */
LLMSPELL_DEF llmspell_result llmspell_graph_update_rel(llmspell_graph *g, const char *id, const char *type,
                                                       const char *patch, llmspell_time valid_from,
                                                       llmspell_time valid_to);
/* As delete_entity / erase_entity, for a relationship. */
LLMSPELL_DEF llmspell_result llmspell_graph_delete_rel(llmspell_graph *g, const char *id,
                                                       llmspell_time valid_from, llmspell_time valid_to);
LLMSPELL_DEF llmspell_result llmspell_graph_erase_rel(llmspell_graph *g, const char *id);

/* Retention: removes every version (entity and relationship) whose transaction time ended at or
   before t (tx_to <= t), i.e. history that no snapshot at or after t can see. Current knowledge
   is never removed by it. *removed (may be NULL) gets the number of versions removed. Unlike
   the seeds' delete_before, which drops rows by ingestion time, snapshots at or after t answer
   exactly as before. */
LLMSPELL_DEF llmspell_result llmspell_graph_delete_before(llmspell_graph *g, llmspell_time t, size_t *removed);

/* >>reads. v: valid time (LLMSPELL_GRAPH_NOW: the clock's now); t: transaction time
   (LLMSPELL_GRAPH_NOW: current knowledge). Unknown ids are ERR_NOT_FOUND. */

/* The version visible at (v, t), or ERR_NOT_FOUND (unknown id, or not visible then). */
LLMSPELL_DEF llmspell_result llmspell_graph_get_entity(llmspell_graph *g, const char *id, llmspell_time v,
                                                       llmspell_time t, llmspell_graph_entity *out);
/* The same for a relationship; rule 6 applies (both endpoints must be visible at (v, t)). */
LLMSPELL_DEF llmspell_result llmspell_graph_get_rel(llmspell_graph *g, const char *id, llmspell_time v,
                                                    llmspell_time t, llmspell_graph_rel *out);
/* Every version of the id with its four times, ordered by (tx_from, valid_from): fills rows.entity
   (entity_history) or rows.rel (rel_history). */
LLMSPELL_DEF llmspell_result llmspell_graph_entity_history(llmspell_graph *g, const char *id,
                                                           llmspell_graph_rows *rows);
LLMSPELL_DEF llmspell_result llmspell_graph_rel_history(llmspell_graph *g, const char *id, llmspell_graph_rows *rows);
/* Entity versions matching q (see llmspell_graph_query_desc), ordered by (id bytes, tx_from,
   valid_from): fills rows.entity. ERR_INVALID for an empty or inverted window, ERR_PARSE for a
   filter value that is not JSON. */
LLMSPELL_DEF llmspell_result llmspell_graph_query(llmspell_graph *g, const llmspell_graph_query_desc *q,
                                                  llmspell_graph_rows *rows);
/* The neighbours of entity id at (v, t): one row per visible relationship in the direction (of
   the type rel_type when not NULL) whose other endpoint is visible; rows.rel is the relationship,
   rows.entity the entity at its other end. Ordered by relationship id (out before in for BOTH).
   An entity not visible at (v, t) has no neighbours (rule 6). */
LLMSPELL_DEF llmspell_result llmspell_graph_neighbors(llmspell_graph *g, const char *id, llmspell_graph_dir dir,
                                                      const char *rel_type, llmspell_time v, llmspell_time t,
                                                      llmspell_graph_rows *rows);
/* Breadth-first k-hop traversal at (v, t): every entity reachable within max_depth hops, once,
   at its smallest depth, in breadth-first order (ties by relationship id), cycles included.
   Row 0 is the start (depth 0, parent LLMSPELL_GRAPH_NO_PARENT); row i > 0 has rows.depth[i],
   rows.rel[i] (the relationship that reached it) and rows.parent[i] (the row it was reached
   from): its path is given by llmspell_graph_rows_path. No row if the start is not visible.
   max_depth: 1..LLMSPELL_GRAPH_MAX_DEPTH (0 is ERR_INVALID, more is ERR_TOO_LARGE). */
LLMSPELL_DEF llmspell_result llmspell_graph_traverse(llmspell_graph *g, const char *id, llmspell_graph_dir dir,
                                                     const char *rel_type, unsigned max_depth, llmspell_time v,
                                                     llmspell_time t, llmspell_graph_rows *rows);
/* A shortest path (fewest hops, at most max_depth) from `from` to `to` at (v, t): rows 0..count-1
   are the entities along it, rows.rel[i] the relationship into row i (i > 0), depth[i] = i.
   ERR_NOT_FOUND if there is none. max_depth as for traverse. */
LLMSPELL_DEF llmspell_result llmspell_graph_shortest_path(llmspell_graph *g, const char *from, const char *to,
                                                          llmspell_graph_dir dir, const char *rel_type,
                                                          unsigned max_depth, llmspell_time v, llmspell_time t,
                                                          llmspell_graph_rows *rows);

/* The path of traverse row i: writes up to cap entity ids, start first, to ids and returns the
   path's length (depth + 1), so cap 0 measures. */
LLMSPELL_DEF size_t llmspell_graph_rows_path(const llmspell_graph_rows *rows, size_t i, const char **ids, size_t cap);
/* Frees the arrays of rows and zeroes it. Works after the graph is closed. */
LLMSPELL_DEF void llmspell_graph_rows_free(llmspell_graph_rows *rows);

#ifdef __cplusplus
}
#endif
#endif /* LLMSPELL_GRAPH_H */

/* ======================================================================================== */
/*   STORED FORM: graph versions, the meta record and canonical properties. Compiled, as     */
/*   static functions, into the file that implements graph and into the one that           */
/*   implements llmspell_export.h, so the format has one owner and export needs no link to   */
/*   graph. The layout is in >>storage at the top of this file.                             */
/* ======================================================================================== */
#if (defined(LLMSPELL_IMPLEMENTATION) || defined(LLMSPELL_GRAPH_IMPLEMENTATION) || defined(LLMSPELL_EXPORT_IMPLEMENTATION)) && \
    !defined(LLMSPELL__GRAPH_FORM_ONCE)
#include "llmspell_export.h" /* canonical properties; its implementation may compile this section first */
#endif
#if (defined(LLMSPELL_IMPLEMENTATION) || defined(LLMSPELL_GRAPH_IMPLEMENTATION) || defined(LLMSPELL_EXPORT_IMPLEMENTATION)) && \
    !defined(LLMSPELL__GRAPH_FORM_ONCE)
#define LLMSPELL__GRAPH_FORM_ONCE
#include <string.h>

/* Readers enforce the format's bounds only, never LLMSPELL_GRAPH_MAX_* of the file reading:
   ids up to 4000 bytes, texts up to what a kv value holds. */
#define LLMSPELL__GRAPH_FORM_MAX_ID 4000u
#define LLMSPELL__GRAPH_META_SIZE 17
#define LLMSPELL__GKIND_ENTITY 'E' /* the kinds: the tag after 0xFF 'G' of their versions' keys */
#define LLMSPELL__GKIND_REL 'R' 
LLMSPELL__UNUSED_DATA static const uint8_t llmspell__gmeta_key[3] = {0xFF, LLMSPELL__NS_GRAPH, 'M'};

/* One stored version, decoded (pointers into the key buffer given and the value). */
typedef struct llmspell__gform {
    int kind;                         /* 'E' entity or 'R' relationship: the key tag */
    const char *id;                   /* decoded into the caller's buffer */
    size_t idn;
    llmspell_time tf, vf, vt, tt, created;
    const char *type, *a, *b, *props; /* a: name (E) or source id (R); b: target id (R) */
    size_t typen, an, bn, propsn;
} llmspell__gform;

/* 0xFF 'G' kind tuple(id) [i64(tf) i64(vf)] into k[0..cap); returns the length the key needs
   (written only when it fits). times 0: the prefix of every version of the id. */
LLMSPELL__UNUSED static size_t llmspell__gform_key(uint8_t *k, size_t cap, int kind, const char *id, size_t idn, int times,
                                                   llmspell_time tf, llmspell_time vf) {
    size_t n = llmspell__ns_head(k, cap, LLMSPELL__NS_GRAPH, (char)kind);
    n += llmspell_tuple_put_bytes(k ? k + n : NULL, cap > n ? cap - n : 0, id, idn);
    if (times) {
        n += llmspell_tuple_put_i64(k ? k + n : NULL, cap > n ? cap - n : 0, tf);
        n += llmspell_tuple_put_i64(k ? k + n : NULL, cap > n ? cap - n : 0, vf);
    }
    return n;
}

/* value: u8 1, i64 valid_to, i64 tx_to, i64 created_at, then u32-length-prefixed type, name
   (E) or source and target (R), properties */
LLMSPELL__UNUSED static size_t llmspell__gform_size(const llmspell__gform *f) {
    return 25 + 4 + f->typen + 4 + f->an + (f->kind == 'R' ? 4 + f->bn : 0) + 4 + f->propsn;
}

LLMSPELL__UNUSED static uint8_t *llmspell__gform_text(uint8_t *p, const char *s, size_t n) {
    llmspell__put32(p, (uint32_t)n);
    if (n) memcpy(p + 4, s, n);
    return p + 4 + n;
}

LLMSPELL__UNUSED static void llmspell__gform_write(uint8_t *p, const llmspell__gform *f) {
    p[0] = 1;
    llmspell__puti64(p + 1, f->vt);
    llmspell__puti64(p + 9, f->tt);
    llmspell__puti64(p + 17, f->created);
    p = llmspell__gform_text(p + 25, f->type, f->typen);
    p = llmspell__gform_text(p, f->a, f->an);
    if (f->kind == 'R') p = llmspell__gform_text(p, f->b, f->bn);
    (void)llmspell__gform_text(p, f->props, f->propsn);
}

LLMSPELL__UNUSED static int llmspell__gform_rd(const uint8_t **p, const uint8_t *end, const char **s, size_t *n) {
    uint32_t len;
    if (end - *p < 4) return -1;
    len = llmspell__get32(*p);
    if ((size_t)(end - *p - 4) < len) return -1;
    *s = (const char *)*p + 4;
    *n = len;
    *p += 4 + len;
    return 0;
}

/* Decodes a version from its key after the tag (key..kend) and its value; the id goes to
   idbuf (at least LLMSPELL__GRAPH_FORM_MAX_ID bytes). NULL, or what is wrong: "unknown record
   version" is a newer format (ERR_FORMAT), anything else damage (ERR_CORRUPT). */
LLMSPELL__UNUSED static const char *llmspell__gform_decode(int kind, const uint8_t *key, const uint8_t *kend, const void *val, size_t vn,
                                                          char *idbuf, llmspell__gform *f) {
    const uint8_t *q = (const uint8_t *)val, *qe = q + vn;
    memset(f, 0, sizeof *f);
    f->kind = kind;
    if (llmspell_tuple_get_bytes(&key, kend, (uint8_t *)idbuf, LLMSPELL__GRAPH_FORM_MAX_ID, &f->idn) != LLMSPELL_OK || f->idn == 0 ||
        f->idn > LLMSPELL__GRAPH_FORM_MAX_ID || memchr(idbuf, 0, f->idn) || llmspell_tuple_get_i64(&key, kend, &f->tf) != LLMSPELL_OK ||
        llmspell_tuple_get_i64(&key, kend, &f->vf) != LLMSPELL_OK || key != kend)
        return "malformed key";
    f->id = idbuf;
    if (vn >= 1 && q[0] != 1) return "unknown record version";
    if (vn < 25) return "short value";
    f->vt = llmspell__geti64(q + 1);
    f->tt = llmspell__geti64(q + 9);
    f->created = llmspell__geti64(q + 17);
    q += 25;
    if (llmspell__gform_rd(&q, qe, &f->type, &f->typen) || llmspell__gform_rd(&q, qe, &f->a, &f->an) ||
        (kind == 'R' && llmspell__gform_rd(&q, qe, &f->b, &f->bn)) || llmspell__gform_rd(&q, qe, &f->props, &f->propsn) || q != qe)
        return "malformed value";
    if (f->vf >= f->vt || f->tf >= f->tt) return "empty interval";
    if (kind == 'R' && (f->an == 0 || f->an > LLMSPELL__GRAPH_FORM_MAX_ID || f->bn == 0 || f->bn > LLMSPELL__GRAPH_FORM_MAX_ID ||
                        memchr(f->a, 0, f->an) || memchr(f->b, 0, f->bn)))
        return "bad endpoint";
    return NULL;
}

/* meta: u8 1, i64 last transaction time, u64 sequence of the last write group. 0 when valid,
   else the error code (a newer format, or damage). */
LLMSPELL__UNUSED static void llmspell__gmeta_write(uint8_t m[LLMSPELL__GRAPH_META_SIZE], llmspell_time last, uint64_t seq) {
    m[0] = 1;
    llmspell__puti64(m + 1, last);
    llmspell__put64(m + 9, seq);
}
LLMSPELL__UNUSED static llmspell_result llmspell__gmeta_read(const void *v, size_t vn, llmspell_time *last, uint64_t *seq) {
    const uint8_t *m = (const uint8_t *)v;
    if (vn >= 1 && m[0] != 1) return LLMSPELL_ERR_FORMAT;
    if (vn != LLMSPELL__GRAPH_META_SIZE) return LLMSPELL_ERR_CORRUPT;
    *last = llmspell__geti64(m + 1);
    *seq = llmspell__get64(m + 9);
    return LLMSPELL_OK;
}

/* Rule 5 needs at most one version of an id visible at any (valid, transaction) point: two
   versions clash when both their valid and their transaction intervals overlap. */
LLMSPELL__UNUSED static int llmspell__gform_clash(llmspell_time avf, llmspell_time avt, llmspell_time atf, llmspell_time att,
                                                  llmspell_time bvf, llmspell_time bvt, llmspell_time btf, llmspell_time btt) {
    return avf < bvt && bvf < avt && atf < btt && btf < att;
}

/* Canonical properties (rule 7): llmspell_export.h's canonical form, members sorted, an object. */
LLMSPELL__UNUSED static llmspell_result llmspell__gform_props(llmspell_json_doc *doc, const char *text, size_t n, llmspell_json_sink sink,
                                                              void *user, llmspell_json_error *err) {
    return llmspell_json_canonical(doc, text, n, LLMSPELL_JSON_CANON_SORT | LLMSPELL_JSON_CANON_OBJECT, sink, user, err);
}

#endif /* LLMSPELL__GRAPH_FORM_ONCE */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#if defined(LLMSPELL_IMPLEMENTATION) && !defined(LLMSPELL_GRAPH_IMPLEMENTATION)
#define LLMSPELL_GRAPH_IMPLEMENTATION
#endif

#ifdef LLMSPELL_GRAPH_IMPLEMENTATION
#ifndef LLMSPELL_GRAPH_IMPLEMENTATION_ONCE
#define LLMSPELL_GRAPH_IMPLEMENTATION_ONCE

/* The whole family in one file: make sure kv's implementation is compiled too. */
#if defined(LLMSPELL_IMPLEMENTATION) && !defined(LLMSPELL_KV_IMPLEMENTATION_ONCE)
#ifndef LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_KV_IMPLEMENTATION
#endif
#include "llmspell_kv.h"
#endif

/* Properties are JSON in the family's one dialect: llmspell_export.h's reader and canonical
   form, so its implementation must be in the program too (LLMSPELL_EXPORT_IMPLEMENTATION). */
#include "llmspell_export.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LLMSPELL_MALLOC / REALLOC / FREE: llmspell_kv.h's shared section */

#if LLMSPELL_GRAPH_MAX_ID < 1 || LLMSPELL_GRAPH_MAX_ID > 4000
#error "llmspell: LLMSPELL_GRAPH_MAX_ID must be within 1..4000 (it is part of a kv key)"
#endif
#if LLMSPELL_GRAPH_MAX_DEPTH < 1 || LLMSPELL_GRAPH_MAX_DEPTH > 1000
#error "llmspell: LLMSPELL_GRAPH_MAX_DEPTH must be within 1..1000"
#endif

/* >>internals ----------------------------------------------------------------------------- */

enum { LLMSPELL__GE = 'E', LLMSPELL__GR = 'R' }; /* node kinds, also the key tags */

/* An interned, reference-counted string: types, names and properties. Equal text is one
   object, so "identical content" (rule 7) is three pointer comparisons. Type and name strings
   also list the entity nodes that use them (the type / name index); entries for nodes that no
   longer use them are tolerated and skipped by queries, and removed when the node dies. */
typedef struct llmspell__gstr {
    struct llmspell__gstr *next; /* hash chain */
    struct llmspell__gnode **nodes;
    uint64_t born; /* the write generation that made it (see >>retire) */
    uint32_t refs, len, hash, nn, ncap, sweep;
    char s[1]; /* len bytes + NUL */
} llmspell__gstr;

/* One version. Arrays of versions own one reference to each of their strings. */
typedef struct llmspell__gver {
    llmspell_time vf, vt, tf, tt, created;
    llmspell__gstr *type, *name, *props; /* name is NULL for relationships */
} llmspell__gver;

/* One id. Its version array is followed in the same allocation by a tail: u32 nclosed, u32
   idlen and the id with its NUL (llmspell__gvbytes), written when the array is installed; arrays are not
   changed once installed, so a saved one keeps a tail that matches it. A lookup finds all it
   needs in the map slot and the array, without touching the node.
   v[0..nclosed) are closed versions (tx_to < +inf) sorted by tx_to, then tx_from,
   valid_from; v[nclosed..nv) are the current ones, sorted by valid_from, with disjoint valid
   ranges. Closing always happens at the newest transaction time, so appending keeps the order. */
typedef struct llmspell__gnode {
    struct llmspell__gnode **out, **in; /* entity: relationships, sorted by id */
    struct llmspell__gnode *src, *dst;  /* relationship: endpoints */
    llmspell__gstr **mem;               /* entity: the type / name lists it is in (one ref each) */
    uint32_t vcap, nout, outcap, nin, incap, nmem, memcap;
    uint32_t epoch, row;
    uint64_t born; /* the write generation that made it (see >>retire) */
    /* what finds and walks read, together and next to the id */
    llmspell__gver *v;
    uint32_t nv, nclosed, hash, idlen;
    uint8_t kind, dead, doomed;
    char id[1]; /* idlen bytes + NUL */
} llmspell__gnode;

/* A map slot carries the node's hash and a copy of its version array pointer and count, so a
   probe compares hashes without touching nodes, and a lookup fetches the versions while it
   compares the id (llmspell__gmap_sync keeps the copy in step with the node). */
typedef struct llmspell__gslot {
    llmspell__gnode *n; /* NULL: empty */
    const llmspell__gver *v;
    uint32_t hash, nv;
} llmspell__gslot;

typedef struct llmspell__gmap { /* open addressing, linear probing, load <= 1/2 */
    llmspell__gslot *slot;
    size_t mask, count;
} llmspell__gmap;

typedef struct llmspell__gbuf {
    char *p;
    size_t n, cap;
} llmspell__gbuf;

/* Undo log. A group is the writes of one transaction (or of one write when joining a kv
   transaction); it starts with a MARK carrying its sequence number and the previous last
   transaction time. */
enum { LLMSPELL__U_MARK, LLMSPELL__U_SAVE, LLMSPELL__U_CREATE, LLMSPELL__U_ERASE };
typedef struct llmspell__gundo {
    int op;
    llmspell__gnode *n;
    llmspell__gver *v; /* SAVE: the node's previous versions */
    uint32_t nv, nclosed;
    uint64_t seq;          /* MARK */
    llmspell_time last_tx; /* MARK */
} llmspell__gundo;

/* A piece of a write: content over [a,b); props NULL means "no content" (delete). */
typedef struct llmspell__gpiece {
    llmspell_time a, b;
    llmspell__gstr *type, *name, *props;
} llmspell__gpiece;

typedef struct llmspell__gseg { /* an elementary valid-time segment while planning a write */
    llmspell_time s, e;
    int32_t old; /* index of the current version covering it, or -1 */
    llmspell__gstr *type, *name, *props;
} llmspell__gseg;

/* What a write does to one node: its new version array, plus what to tell the store. */
typedef struct llmspell__gplan {
    llmspell__gver *arr;
    uint32_t nv, nclosed, nold_closed;
    uint32_t nfresh, nremoved;
    int changed;
} llmspell__gplan;

/* What each thread keeps on a handle, in its llmspell__tslot (llmspell_kv.h's >>sync): the
   scratch of its reads, so that reads share nothing they change. */
typedef struct llmspell__gseen { /* an entity a walk reached; entries of older walks are stale */
    const struct llmspell__gnode *n;
    uint32_t walk;
} llmspell__gseen;

typedef struct llmspell__gthr {
    struct llmspell__gnode **qn; /* breadth-first search: the node of each row */
    size_t capqn;
    llmspell__gseen *seen;       /* the entities it reached: open addressing by id hash */
    size_t seenmask, nseen;
    uint32_t walk;               /* the current walk's tag in seen */
    uint64_t pin;                /* the generation its last call read (0: none), see >>retire */
    llmspell_graph_rows path;    /* shortest_path: the search, before the path is taken out */
    llmspell__gbuf js, jfil;     /* query: one canonical filter value, all of them */
    size_t *fil, capfil;         /* offset and length of each in jfil */
    llmspell_json_doc *jdoc;
    int lost;                    /* its graph transaction was ended on the kv */
    int in_txn;                  /* its graph transaction is open */
    uint64_t txn_seq;            /* which one (llmspell__gimpl.txn_seq at its begin) */
} llmspell__gthr;

typedef struct llmspell__gimpl {
    llmspell_graph *g;
    llmspell_kv *kv;
    llmspell_allocator a;
    llmspell_clock clock;
#ifndef LLMSPELL_NO_THREADS
    llmspell__rw lock; /* reads shared; a write, or a transaction from begin to end, exclusive */
#endif
    llmspell__tslots ts; /* a slot per thread: its message and llmspell__gthr */
    uint64_t gen;        /* write generation: +1 each time a thread takes the lock to write */
    struct llmspell__glimbo *limbo; /* retired blocks a thread may still read */
    size_t nlimbo, limbo_kept;      /* how many; how many the last sweep kept */
    uint64_t limbo_lo;              /* the oldest pin at the last sweep */
    llmspell__gmap ents, rels;
    llmspell__gstr **sb; /* string table buckets */
    size_t smask, scount;
    uint32_t sweep;
    llmspell_time last_tx;
    uint64_t seq;
    uint32_t epoch;
    /* transaction (and the write in progress): only the thread holding the lock looks */
    int shared;            /* other processes write the store too: memory is a cache (llmspell__gcatch_up) */
    int txn, txn_owns, txn_failed, txn_dirty;
    int txn_alone;         /* the open transaction holds the lock from now to its end */
    int hide;              /* a write or transaction of its own kv one is under way: other
                              threads read as of txn_seen, the last transaction time before it */
    llmspell_time txn_T;
    llmspell_time txn_seen;
    uint64_t txn_seq;      /* +1 at each begin */
    llmspell__gundo *undo;
    size_t nundo, capundo, nlife; /* nlife: CREATE + ERASE entries, each may need a grave slot */
    llmspell__gnode **grave;
    size_t ngrave, capgrave;
    /* the writer's scratch (reads have their own, per thread) */
    llmspell__gbuf key, val, js, jpatch, jmerge;
    llmspell_json_doc *jdoc, *jdoc2; /* parsing properties (llmspell_export.h) */
    llmspell_time *bnd;
    size_t capbnd;
    llmspell__gseg *seg;
    size_t capseg;
    uint8_t *rep, *fresh;
    size_t caprep, capfresh;
    llmspell__gver *runs;
    size_t capruns;
    llmspell__gpiece *pieces;
    size_t cappieces;
    llmspell_time *removed; /* (tx_from, valid_from) pairs */
    size_t capremoved;
    llmspell__gnode **qn; /* erase, delete_before: the nodes touched */
    size_t capqn;
    /* open: the nodes of each kind ([0] entities, [1] relationships) in load order; while
       pend[k], they are not in the map yet (they are owned here) */
    llmspell__gnode **ld[2];
    size_t nld[2], capld[2];
    int pend[2], sorted[2];
} llmspell__gimpl;

#define LLMSPELL__GI(g) ((llmspell__gimpl *)(g)->impl)

/* >>alloc: the kv handle's allocator, copied, so rows and the graph outlive nothing. */
static void *llmspell__galloc(const llmspell_allocator *a, size_t n) {
    if (n == 0) n = 1;
    return a->alloc ? a->alloc(a->ctx, n) : LLMSPELL_MALLOC(n);
}
static void *llmspell__grealloc(const llmspell_allocator *a, void *p, size_t n) {
    if (n == 0) n = 1;
    return a->realloc ? a->realloc(a->ctx, p, n) : LLMSPELL_REALLOC(p, n);
}
static void llmspell__gfree(const llmspell_allocator *a, void *p) {
    if (!p) return;
    if (a->free) a->free(a->ctx, p); else LLMSPELL_FREE(p);
}

/* Grows *buf (elements of size sz, capacity *cap) to hold need elements; doubling. */
static int llmspell__ggrow(const llmspell_allocator *a, void **buf, size_t *cap, size_t need, size_t sz) {
    size_t n;
    void *p;
    if (need <= *cap) return 0;
    n = *cap ? *cap : 8;
    while (n < need) {
        if (n > ((size_t)-1) / 4 / sz) return -1;
        n *= 2;
    }
    p = llmspell__grealloc(a, *buf, n * sz);
    if (!p) return -1;
    *buf = p;
    *cap = n;
    return 0;
}
#define LLMSPELL__GROW(I, arr, cap, need) llmspell__ggrow(&(I)->a, (void **)&(arr), &(cap), (need), sizeof *(arr))

/* 32-bit capacities of the node arrays */
static int llmspell__ggrow32(const llmspell_allocator *a, void **buf, uint32_t *cap, size_t need, size_t sz) {
    size_t c = *cap;
    if (need > 0x7FFFFFFFu) return -1;
    if (llmspell__ggrow(a, buf, &c, need, sz)) return -1;
    *cap = (uint32_t)c;
    return 0;
}

static int llmspell__gbuf_add(const llmspell_allocator *a, llmspell__gbuf *b, const void *s, size_t n) {
    if (llmspell__ggrow(a, (void **)&b->p, &b->cap, b->n + n + 1, 1)) return -1;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}
static void llmspell__gbuf_free(const llmspell_allocator *a, llmspell__gbuf *b) {
    llmspell__gfree(a, b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

/* >>retire: reads hand out the graph's own strings (interned texts, node ids), valid until the
   calling thread's next call; so a writer frees such a block only when no other thread's last
   call could have seen it. Every block records the write generation that made it (born); each
   thread's llmspell__gthr.pin is the generation its last call read (0 when that call wrote). A
   block born at b and retired at generation r may be held by a thread whose pin p is in
   [b, r); such a block waits in the limbo list, its first bytes reused as the entry (its text
   stays), until the pins move on. An idle thread holds back at most what existed at its last
   call. With LLMSPELL_NO_THREADS there is one thread, and blocks are freed at once. */
typedef struct llmspell__glimbo {
    struct llmspell__glimbo *next;
    uint64_t born, retired;
} llmspell__glimbo;

/* Whether a thread may hold a block born at generation `born`, retired at `retired`. */
static int llmspell__gpinned(llmspell__gimpl *I, uint64_t born, uint64_t retired) {
#ifndef LLMSPELL_NO_THREADS
    const llmspell__tslot *t;
    for (t = (const llmspell__tslot *)llmspell__aload_ptr(&I->ts.head); t; t = t->next) {
        const llmspell__gthr *S = (const llmspell__gthr *)t->scratch; /* set under the lock */
        if (S && S->pin && S->pin >= born && S->pin < retired) return 1;
    }
#else
    (void)I;
    (void)born;
    (void)retired;
#endif
    return 0;
}

/* The entry overlays the block's header, never its text. */
typedef char llmspell__glimbo_fits[offsetof(llmspell__gstr, s) >= sizeof(llmspell__glimbo) &&
                                   offsetof(llmspell__gnode, id) >= sizeof(llmspell__glimbo) ? 1 : -1];

/* Frees a block that reads may have handed out (under the lock to write), or keeps it in limbo. */
static void llmspell__gretire(llmspell__gimpl *I, void *block, uint64_t born) {
    llmspell__glimbo *l = (llmspell__glimbo *)block;
    if (!llmspell__gpinned(I, born, I->gen)) {
        llmspell__gfree(&I->a, block);
        return;
    }
    l->born = born;
    l->retired = I->gen;
    l->next = I->limbo;
    I->limbo = l;
    I->nlimbo++;
}

/* Frees what no pin holds any more; before the lock to write is let go. A sweep costs the list
   times the threads: it runs when the oldest pin has moved on or the list has doubled. */
static void llmspell__glimbo_sweep(llmspell__gimpl *I) {
    llmspell__glimbo **pp = &I->limbo, *l;
    uint64_t lo = (uint64_t)-1;
#ifndef LLMSPELL_NO_THREADS
    const llmspell__tslot *t;
    for (t = (const llmspell__tslot *)llmspell__aload_ptr(&I->ts.head); t; t = t->next) {
        const llmspell__gthr *S = (const llmspell__gthr *)t->scratch;
        if (S && S->pin && S->pin < lo) lo = S->pin;
    }
#endif
    if (!I->limbo || (lo == I->limbo_lo && I->nlimbo < 2 * I->limbo_kept)) return;
    while ((l = *pp) != NULL) {
        if (llmspell__gpinned(I, l->born, l->retired)) {
            pp = &l->next;
        } else {
            *pp = l->next;
            I->nlimbo--;
            llmspell__gfree(&I->a, l);
        }
    }
    I->limbo_kept = I->nlimbo;
    I->limbo_lo = lo;
}

/* >>errors */
/* Where the calling thread's message goes: its slot; the handle's own field when it has none
   (a failed open, a closed handle, no memory for a slot) and always with LLMSPELL_NO_THREADS. */
static char *llmspell__gmsg(const llmspell_graph *g) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__tslot *me;
    if (g->impl && (me = llmspell__tslot_find(&LLMSPELL__GI(g)->ts)) != NULL) return me->errmsg;
#endif
    return (char *)g->errmsg;
}

LLMSPELL__PRINTF(3, 4)
static llmspell_result llmspell__gerr(llmspell_graph *g, llmspell_result code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(llmspell__gmsg(g), sizeof g->errmsg, fmt, ap);
    va_end(ap);
    return code;
}
/* A failure of the kv: its message, prefixed. */
static llmspell_result llmspell__gkverr(llmspell__gimpl *I, llmspell_result r, const char *what) {
    return llmspell__gerr(I->g, r, "graph: %s: %.200s", what, llmspell_kv_errmsg(I->kv));
}
/* code with the message pre id+"'"+post, the id cut at 64 bytes as "%.64s" would: the frequent
   "not found" answers of the lookups, without the cost of formatting. */
static llmspell_result llmspell__gerr_id(llmspell_graph *g, llmspell_result code, const char *pre, const char *id, const char *post) {
    size_t np = strlen(pre), ni = 0, nq = strlen(post);
    char *m;
    while (ni < 64 && id[ni]) ni++;
    if (np + ni + nq + 1 > sizeof g->errmsg) return llmspell__gerr(g, code, "%s%.64s%s", pre, id, post);
    m = llmspell__gmsg(g);
    memcpy(m, pre, np);
    memcpy(m + np, id, ni);
    memcpy(m + np + ni, post, nq + 1);
    return code;
}
#define LLMSPELL__NOMEM(I, what) llmspell__gerr((I)->g, LLMSPELL_ERR_NOMEM, "graph: out of memory %s", what)

static uint32_t llmspell__ghash(const void *data, size_t n) {
    const uint8_t *s = (const uint8_t *)data;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ (uint64_t)n, w;
    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    w = 0;
    if (n) memcpy(&w, s, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 32;
    return (uint32_t)h;
}

/* byte order, a shorter string before its extensions */
static int llmspell__gcmp(const char *a, size_t an, const char *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* >>strings: the intern table */
static llmspell__gstr *llmspell__gstr_find(const llmspell__gimpl *I, const char *s, size_t n, uint32_t h) {
    llmspell__gstr *x;
    if (!I->sb) return NULL;
    for (x = I->sb[h & I->smask]; x; x = x->next)
        if (x->hash == h && x->len == n && memcmp(x->s, s, n) == 0) return x;
    return NULL;
}

/* A referenced string equal to s[0..n); NULL when out of memory. */
static llmspell__gstr *llmspell__gstr_get(llmspell__gimpl *I, const char *s, size_t n) {
    uint32_t h = llmspell__ghash(s, n);
    llmspell__gstr *x = llmspell__gstr_find(I, s, n, h);
    if (x) {
        x->refs++;
        return x;
    }
    if (I->scount + 1 > I->smask + 1 || !I->sb) { /* load <= 1 */
        size_t nb = I->sb ? (I->smask + 1) * 2 : 256, i;
        llmspell__gstr **nt = (llmspell__gstr **)llmspell__galloc(&I->a, nb * sizeof *nt);
        if (!nt) return NULL;
        memset(nt, 0, nb * sizeof *nt);
        if (I->sb) {
            for (i = 0; i <= I->smask; i++) {
                llmspell__gstr *e = I->sb[i], *nx;
                for (; e; e = nx) {
                    nx = e->next;
                    e->next = nt[e->hash & (nb - 1)];
                    nt[e->hash & (nb - 1)] = e;
                }
            }
            llmspell__gfree(&I->a, I->sb);
        }
        I->sb = nt;
        I->smask = nb - 1;
    }
    x = (llmspell__gstr *)llmspell__galloc(&I->a, offsetof(llmspell__gstr, s) + n + 1);
    if (!x) return NULL;
    memset(x, 0, offsetof(llmspell__gstr, s));
    memcpy(x->s, s, n);
    x->s[n] = 0;
    x->len = (uint32_t)n;
    x->hash = h;
    x->refs = 1;
    x->born = I->gen;
    x->next = I->sb[h & I->smask];
    I->sb[h & I->smask] = x;
    I->scount++;
    return x;
}

static void llmspell__gstr_ref(llmspell__gstr *x) {
    if (x) x->refs++;
}

static void llmspell__gstr_unref(llmspell__gimpl *I, llmspell__gstr *x) {
    llmspell__gstr **pp;
    if (!x || --x->refs) return;
    for (pp = &I->sb[x->hash & I->smask]; *pp != x; pp = &(*pp)->next) {}
    *pp = x->next;
    I->scount--;
    llmspell__gfree(&I->a, x->nodes);
    llmspell__gretire(I, x, x->born);
}

static void llmspell__gver_ref(const llmspell__gver *v) {
    llmspell__gstr_ref(v->type);
    llmspell__gstr_ref(v->name);
    llmspell__gstr_ref(v->props);
}
static void llmspell__garr_free(llmspell__gimpl *I, llmspell__gver *v, uint32_t n) {
    uint32_t i;
    for (i = 0; i < n; i++) {
        llmspell__gstr_unref(I, v[i].type);
        llmspell__gstr_unref(I, v[i].name);
        llmspell__gstr_unref(I, v[i].props);
    }
    llmspell__gfree(&I->a, v);
}

/* Bytes of a version array of nv versions with its tail, for an id of idlen bytes. */
static size_t llmspell__gvbytes(size_t nv, size_t idlen) { return nv * sizeof(llmspell__gver) + 8 + idlen + 1; }
static void llmspell__gvtail(llmspell__gver *arr, uint32_t nv, uint32_t nclosed, const char *id, size_t idlen) {
    uint8_t *p = (uint8_t *)(arr + nv);
    uint32_t n32 = (uint32_t)idlen;
    if (!arr) return;
    memcpy(p, &nclosed, 4);
    memcpy(p + 4, &n32, 4);
    memcpy(p + 8, id, idlen + 1);
}

/* >>maps: id -> node */
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__GPREFETCH(p) __builtin_prefetch(p)
#else
#define LLMSPELL__GPREFETCH(p) ((void)(p))
#endif

static llmspell__gnode *llmspell__gmap_find(const llmspell__gmap *m, const char *id, size_t n, uint32_t h) {
    size_t i;
    if (!m->slot) return NULL;
    for (i = h & m->mask;; i = (i + 1) & m->mask) {
        const llmspell__gslot *s = &m->slot[i];
        llmspell__gnode *x = s->n;
        if (!x) return NULL;
        if (s->hash == h && x->idlen == n && memcmp(x->id, id, n) == 0) return x;
    }
}

/* As llmspell__gmap_find, for a lookup that reads the versions next: the slot of an id with
   versions, or NULL. The id is compared with the copy in the array's tail, so the node is not
   touched; the array is fetched ahead of the search. */
static const llmspell__gslot *llmspell__gmap_find_v(const llmspell__gmap *m, const char *id, size_t n, uint32_t h) {
    size_t i;
    if (!m->slot) return NULL;
    for (i = h & m->mask;; i = (i + 1) & m->mask) {
        const llmspell__gslot *s = &m->slot[i];
        if (!s->n) return NULL;
        if (s->hash != h) continue;
        if (!s->nv) { /* no versions, no tail */
            if (s->n->idlen == n && memcmp(s->n->id, id, n) == 0) return NULL;
        } else {
            /* the current versions, where the search starts, are the last ones */
            const char *vp = (const char *)(s->v + (s->nv > 3 ? s->nv - 3 : 0)), *tail = (const char *)(s->v + s->nv);
            uint32_t tn;
            for (; vp < tail; vp += 64) LLMSPELL__GPREFETCH(vp);
            LLMSPELL__GPREFETCH(tail);
            memcpy(&tn, tail + 4, 4);
            if (tn == n && memcmp(tail + 8, id, n) == 0) return s;
        }
    }
}

static void llmspell__gmap_place(llmspell__gslot *slot, size_t mask, llmspell__gnode *x) {
    size_t i = x->hash & mask;
    while (slot[i].n) i = (i + 1) & mask;
    slot[i].n = x;
    slot[i].v = x->v;
    slot[i].hash = x->hash;
    slot[i].nv = x->nv;
}

/* After x's versions changed: its slot's copy of them (nothing when x is not in m). */
static void llmspell__gmap_sync(llmspell__gmap *m, const llmspell__gnode *x) {
    size_t i;
    if (!m->slot) return;
    for (i = x->hash & m->mask; m->slot[i].n; i = (i + 1) & m->mask)
        if (m->slot[i].n == x) {
            m->slot[i].v = x->v;
            m->slot[i].nv = x->nv;
            return;
        }
}

/* Room for `need` entries; inserts up to that never allocate (rollback relies on it). */
static int llmspell__gmap_reserve(llmspell__gimpl *I, llmspell__gmap *m, size_t need) {
    size_t nc, i;
    llmspell__gslot *ns;
    if (m->slot && need * 2 <= m->mask + 1) return 0;
    nc = m->slot ? (m->mask + 1) : 16;
    while (need * 2 > nc) nc *= 2;
    if (nc > ((size_t)-1) / sizeof *ns) return -1;
    ns = (llmspell__gslot *)llmspell__galloc(&I->a, nc * sizeof *ns);
    if (!ns) return -1;
    memset(ns, 0, nc * sizeof *ns);
    if (m->slot) {
        for (i = 0; i <= m->mask; i++)
            if (m->slot[i].n) {
                size_t j = m->slot[i].hash & (nc - 1);
                while (ns[j].n) j = (j + 1) & (nc - 1);
                ns[j] = m->slot[i];
            }
        llmspell__gfree(&I->a, m->slot);
    }
    m->slot = ns;
    m->mask = nc - 1;
    return 0;
}

static void llmspell__gmap_put(llmspell__gmap *m, llmspell__gnode *x) {
    llmspell__gmap_place(m->slot, m->mask, x);
    m->count++;
}

static void llmspell__gmap_del(llmspell__gmap *m, llmspell__gnode *x) {
    size_t i = x->hash & m->mask, j, k;
    while (m->slot[i].n != x) i = (i + 1) & m->mask;
    memset(&m->slot[i], 0, sizeof m->slot[i]);
    m->count--;
    /* backward shift: move up every entry whose probe run crossed the hole */
    for (j = (i + 1) & m->mask; m->slot[j].n; j = (j + 1) & m->mask) {
        k = m->slot[j].hash & m->mask;
        if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
            m->slot[i] = m->slot[j];
            memset(&m->slot[j], 0, sizeof m->slot[j]);
            i = j;
        }
    }
}

/* >>json: properties in llmspell_export.h's canonical form (>>json-canonical, with members
   sorted: rule 7), a merge of two canonical objects, and member lookup in canonical text. */
typedef struct llmspell__gsink { /* where the JSON sink appends */
    const llmspell_allocator *a;
    llmspell__gbuf *out;
} llmspell__gsink;
static llmspell_result llmspell__gjs_sink(void *user, const void *data, size_t n) {
    llmspell__gsink *k = (llmspell__gsink *)user;
    return llmspell__gbuf_add(k->a, k->out, data, n) ? LLMSPELL_ERR_NOMEM : LLMSPELL_OK;
}

static llmspell_result llmspell__gjdoc(llmspell__gimpl *I, llmspell_json_doc **d) {
    if (!*d && llmspell_json_doc_new(&I->a, d) != LLMSPELL_OK) return LLMSPELL__NOMEM(I, "for JSON");
    return LLMSPELL_OK;
}

/* Canonical text of the JSON in text[0..n) into out (replaced), parsed with *doc (made on first
   use: the writer's, or a reading thread's). object: it must be an object. */
static llmspell_result llmspell__gjson_canon(llmspell__gimpl *I, llmspell_json_doc **doc, const char *text, size_t n, int object,
                                             const char *what, llmspell__gbuf *out) {
    llmspell_json_error e;
    llmspell_result r;
    llmspell__gsink k;
    if ((r = llmspell__gjdoc(I, doc)) != LLMSPELL_OK) return r;
    out->n = 0;
    k.a = &I->a;
    k.out = out;
    r = object ? llmspell__gform_props(*doc, text, n, llmspell__gjs_sink, &k, &e)
               : llmspell_json_canonical(*doc, text, n, LLMSPELL_JSON_CANON_SORT, llmspell__gjs_sink, &k, &e); /* a filter value */
    if (r == LLMSPELL_ERR_NOMEM) return LLMSPELL__NOMEM(I, "reading properties");
    if (r != LLMSPELL_OK) return llmspell__gerr(I->g, r, "graph: %s: %s", what, e.message);
    if (llmspell__gbuf_add(&I->a, out, "", 0)) return LLMSPELL__NOMEM(I, "for properties");
    return LLMSPELL_OK;
}

/* Canonical merge of base with patch (both canonical objects) into out: patch members
   replace, null members remove. Both member lists are sorted, so one pass merges them. */
static llmspell_result llmspell__gjson_merge(llmspell__gimpl *I, const char *b, size_t bn, const char *p, size_t pn,
                                             llmspell__gbuf *out) {
    llmspell_json_read_options o;
    llmspell_json_writer_options wo;
    llmspell_json_writer *w = NULL;
    const llmspell_json_value *vb, *vp;
    llmspell_result r;
    llmspell__gsink sk;
    size_t i = 0, k = 0;
    if ((r = llmspell__gjdoc(I, &I->jdoc)) != LLMSPELL_OK || (r = llmspell__gjdoc(I, &I->jdoc2)) != LLMSPELL_OK) return r;
    llmspell_json_stored_options(&o, &I->a);
    if (llmspell_json_parse_into(I->jdoc, b, bn, &o, NULL) != LLMSPELL_OK ||
        llmspell_json_parse_into(I->jdoc2, p, pn, &o, NULL) != LLMSPELL_OK)
        return LLMSPELL__NOMEM(I, "merging properties"); /* both were canonical: only memory can fail */
    vb = llmspell_json_doc_root(I->jdoc);
    vp = llmspell_json_doc_root(I->jdoc2);
    memset(&wo, 0, sizeof wo);
    wo.allocator = I->a;
    wo.buffer_size = 4096;
    out->n = 0;
    sk.a = &I->a;
    sk.out = out;
    if ((r = llmspell_json_writer_open_sink(&w, llmspell__gjs_sink, &sk, &wo)) == LLMSPELL_OK) r = llmspell_json_object_begin(w);
    while (r == LLMSPELL_OK && (i < vb->len || k < vp->len)) {
        const llmspell_json_member *mb = i < vb->len ? &vb->u.members[i] : NULL, *mp = k < vp->len ? &vp->u.members[k] : NULL;
        int c = !mb ? 1 : !mp ? -1 : llmspell_json_key_compare(mb->key, mb->klen, mp->key, mp->klen);
        const llmspell_json_member *m = c < 0 ? mb : mp;
        if (c <= 0) i++;
        if (c >= 0) k++;
        if (c >= 0 && m->value.type == LLMSPELL_JSON_NULL) continue; /* removed */
        if ((r = llmspell_json_key(w, m->key, m->klen)) == LLMSPELL_OK) r = llmspell_json_write_value(w, &m->value);
    }
    if (r == LLMSPELL_OK && (r = llmspell_json_object_end(w)) == LLMSPELL_OK) r = llmspell_json_writer_finish(w);
    llmspell_json_writer_free(w);
    if (r == LLMSPELL_OK && llmspell__gbuf_add(&I->a, out, "", 0)) r = LLMSPELL_ERR_NOMEM;
    return r == LLMSPELL_OK ? r : LLMSPELL__NOMEM(I, "merging properties");
}

/* Length of the canonical value starting at p (no whitespace inside, by construction). */
static size_t llmspell__gjs_skip(const char *p, const char *end) {
    const char *s = p;
    int depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\') p++;
            p++;
            if (!depth) return (size_t)(p - s);
            continue;
        }
        if (c == '{' || c == '[') depth++;
        else if (c == '}' || c == ']') {
            if (!depth) return (size_t)(p - s);
            if (!--depth) return (size_t)(p + 1 - s);
        } else if (c == ',' && !depth) return (size_t)(p - s);
        p++;
    }
    return (size_t)(p - s);
}

/* Iterates the members of a canonical object: *pos starts at 1. Returns 0 at the end. */
static int llmspell__gjs_next(const char *o, size_t n, size_t *pos, const char **k, size_t *kn, const char **v, size_t *vn) {
    const char *p = o + *pos, *end = o + n - 1, *ks;
    if (p >= end) return 0;
    if (*p == ',') p++;
    ks = p + 1;
    p += llmspell__gjs_skip(p, end); /* the key string */
    *k = ks;
    *kn = (size_t)(p - 1 - ks);
    p++; /* ':' */
    *v = p;
    *vn = llmspell__gjs_skip(p, end);
    *pos = (size_t)(p + *vn - o);
    return 1;
}

/* The value of top-level member key in a canonical object, or NULL. */
static const char *llmspell__gjson_member(const char *o, size_t n, const char *key, size_t keyn, size_t *vn) {
    size_t pos = 1, kn;
    const char *k, *v;
    while (llmspell__gjs_next(o, n, &pos, &k, &kn, &v, vn))
        if (kn == keyn && memcmp(k, key, kn) == 0) return v;
    return NULL;
}

/* >>nodes */
static llmspell__gnode *llmspell__gnode_new(llmspell__gimpl *I, int kind, const char *id, size_t n, uint32_t h) {
    llmspell__gnode *x = (llmspell__gnode *)llmspell__galloc(&I->a, offsetof(llmspell__gnode, id) + n + 1);
    if (!x) return NULL;
    memset(x, 0, offsetof(llmspell__gnode, id));
    memcpy(x->id, id, n);
    x->id[n] = 0;
    x->idlen = (uint32_t)n;
    x->hash = h;
    x->kind = (uint8_t)kind;
    x->born = I->gen;
    return x;
}

static void llmspell__gnode_free(llmspell__gimpl *I, llmspell__gnode *x) {
    uint32_t i;
    llmspell__garr_free(I, x->v, x->nv);
    for (i = 0; i < x->nmem; i++) llmspell__gstr_unref(I, x->mem[i]);
    llmspell__gfree(&I->a, x->mem);
    llmspell__gfree(&I->a, x->out);
    llmspell__gfree(&I->a, x->in);
    llmspell__gretire(I, x, x->born);
}

static llmspell__gmap *llmspell__gmap_of(llmspell__gimpl *I, int kind) { return kind == LLMSPELL__GE ? &I->ents : &I->rels; }

/* Adjacency arrays are sorted by relationship id, so results do not depend on write order. */
static uint32_t llmspell__gadj_pos(llmspell__gnode *const *a, uint32_t n, const llmspell__gnode *r) {
    uint32_t lo = 0, hi = n;
    if (n && llmspell__gcmp(a[n - 1]->id, a[n - 1]->idlen, r->id, r->idlen) < 0) return n; /* appending */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (llmspell__gcmp(a[mid]->id, a[mid]->idlen, r->id, r->idlen) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}
static void llmspell__gadj_ins(llmspell__gnode **a, uint32_t *n, llmspell__gnode *r) {
    uint32_t p = llmspell__gadj_pos(a, *n, r);
    memmove(a + p + 1, a + p, (*n - p) * sizeof *a);
    a[p] = r;
    (*n)++;
}
static void llmspell__gadj_del(llmspell__gnode **a, uint32_t *n, llmspell__gnode *r) {
    uint32_t p = llmspell__gadj_pos(a, *n, r);
    while (p < *n && a[p] != r) p++;
    if (p == *n) return;
    memmove(a + p, a + p + 1, (*n - p - 1) * sizeof *a);
    (*n)--;
}
/* Room in the endpoints' arrays for one more relationship (linking then cannot fail). */
static int llmspell__glink_room(llmspell__gimpl *I, llmspell__gnode *src, llmspell__gnode *dst) {
    return llmspell__ggrow32(&I->a, (void **)&src->out, &src->outcap, (size_t)src->nout + 1, sizeof *src->out) ||
           llmspell__ggrow32(&I->a, (void **)&dst->in, &dst->incap, (size_t)dst->nin + 1, sizeof *dst->in);
}
static void llmspell__glink(llmspell__gnode *r) {
    llmspell__gadj_ins(r->src->out, &r->src->nout, r);
    llmspell__gadj_ins(r->dst->in, &r->dst->nin, r);
}
static void llmspell__gunlink(llmspell__gnode *r) {
    llmspell__gadj_del(r->src->out, &r->src->nout, r);
    llmspell__gadj_del(r->dst->in, &r->dst->nin, r);
}

static int llmspell__gin_mem(const llmspell__gnode *n, const llmspell__gstr *s) {
    uint32_t i;
    for (i = 0; i < n->nmem; i++)
        if (n->mem[i] == s) return 1;
    return 0;
}
/* Room to add the type and name of versions v[0..k) to the type / name index. */
static int llmspell__gmem_room(llmspell__gimpl *I, llmspell__gnode *n, const llmspell__gver *v, uint32_t k, const uint8_t *only) {
    uint32_t i, need = 0;
    int t;
    for (i = 0; i < k; i++) {
        if (only && !only[i]) continue;
        for (t = 0; t < 2; t++) {
            llmspell__gstr *s = t ? v[i].name : v[i].type;
            if (llmspell__gin_mem(n, s)) continue;
            if (llmspell__ggrow32(&I->a, (void **)&s->nodes, &s->ncap, (size_t)s->nn + 1, sizeof *s->nodes)) return -1;
            need++;
        }
    }
    return llmspell__ggrow32(&I->a, (void **)&n->mem, &n->memcap, (size_t)n->nmem + need, sizeof *n->mem);
}
static void llmspell__gmem_add(llmspell__gnode *n, const llmspell__gver *v, uint32_t k, const uint8_t *only) {
    uint32_t i;
    int t;
    for (i = 0; i < k; i++) {
        if (only && !only[i]) continue;
        for (t = 0; t < 2; t++) {
            llmspell__gstr *s = t ? v[i].name : v[i].type;
            if (llmspell__gin_mem(n, s)) continue;
            s->refs++;
            n->mem[n->nmem++] = s;
            s->nodes[s->nn++] = n;
        }
    }
}

/* >>visibility: the version of n visible at valid time v and transaction time t (t may be
   LLMSPELL_GRAPH_NOW: current knowledge). At any t the visible versions have disjoint valid
   ranges, so the first match is the answer. */
static const llmspell__gver *llmspell__gvis_a(const llmspell__gver *a, uint32_t nv, uint32_t nclosed, llmspell_time v, llmspell_time t) {
    const llmspell__gver *cur = a + nclosed;
    uint32_t lo = 0, hi = nv - nclosed, i;
    if (hi <= 8) { /* few: count without branches (the CPU would mostly guess wrong) */
        for (i = 0; i < hi; i++) lo += cur[i].vf <= v;
    } else {
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (cur[mid].vf <= v) lo = mid + 1;
            else hi = mid;
        }
    }
    if (lo > 0 && v < cur[lo - 1].vt && (t == LLMSPELL_GRAPH_NOW || cur[lo - 1].tf <= t)) return &cur[lo - 1];
    if (t == LLMSPELL_GRAPH_NOW) return NULL;
    if (nclosed <= 8) { /* as above; at most one closed version matches too */
        const llmspell__gver *hit = NULL;
        for (i = 0; i < nclosed; i++)
            hit = ((a[i].tf <= t) & (t < a[i].tt) & (a[i].vf <= v) & (v < a[i].vt)) ? &a[i] : hit;
        return hit;
    }
    lo = 0;
    hi = nclosed;
    while (lo < hi) { /* the first closed version with tx_to > t */
        uint32_t mid = lo + (hi - lo) / 2;
        if (a[mid].tt <= t) lo = mid + 1;
        else hi = mid;
    }
    for (i = lo; i < nclosed; i++) {
        const llmspell__gver *c = &a[i];
        if (c->tf <= t && c->vf <= v && v < c->vt) return c;
    }
    return NULL;
}
static const llmspell__gver *llmspell__gvis(const llmspell__gnode *n, llmspell_time v, llmspell_time t) {
    return llmspell__gvis_a(n->v, n->nv, n->nclosed, v, t);
}

/* A relationship version visible at (v, t) whose endpoints are visible too (rule 6). */
static const llmspell__gver *llmspell__grel_vis(const llmspell__gnode *r, llmspell_time v, llmspell_time t) {
    const llmspell__gver *x = llmspell__gvis(r, v, t);
    if (!x || !llmspell__gvis(r->src, v, t) || !llmspell__gvis(r->dst, v, t)) return NULL;
    return x;
}

/* What a read sees of a version: while another thread's transaction is open, the read sees the
   graph as it was before that began (>>threads: seen is the last transaction time before it,
   LLMSPELL_TIME_MAX when nothing is hidden), so a version that transaction closed is current. */
static llmspell_time llmspell__gtx_to(const llmspell__gver *v, llmspell_time seen) {
    return v->tt > seen ? LLMSPELL_TIME_MAX : v->tt;
}
static void llmspell__gfill_e(llmspell_graph_entity *o, const llmspell__gnode *n, const llmspell__gver *v, llmspell_time seen) {
    o->id = n->id;
    o->type = v->type->s;
    o->name = v->name->s;
    o->properties = v->props->s;
    o->valid_from = v->vf;
    o->valid_to = v->vt;
    o->tx_from = v->tf;
    o->tx_to = llmspell__gtx_to(v, seen);
    o->created_at = v->created;
}
static void llmspell__gfill_r(llmspell_graph_rel *o, const llmspell__gnode *n, const llmspell__gver *v, llmspell_time seen) {
    o->id = n->id;
    o->type = v->type->s;
    o->source = n->src->id;
    o->target = n->dst->id;
    o->properties = v->props->s;
    o->valid_from = v->vf;
    o->valid_to = v->vt;
    o->tx_from = v->tf;
    o->tx_to = llmspell__gtx_to(v, seen);
    o->created_at = v->created;
}

/* >>records: written and read through the stored-form section above */
/* The key of version (tf, vf) of n, in I->key. */
static llmspell_result llmspell__gkey(llmspell__gimpl *I, const llmspell__gnode *n, llmspell_time tf, llmspell_time vf, size_t *len) {
    size_t need = llmspell__gform_key(NULL, 0, n->kind, n->id, n->idlen, 1, tf, vf);
    if (llmspell__ggrow(&I->a, (void **)&I->key.p, &I->key.cap, need, 1)) return LLMSPELL__NOMEM(I, "for a key");
    *len = llmspell__gform_key((uint8_t *)I->key.p, need, n->kind, n->id, n->idlen, 1, tf, vf);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gput_rec(llmspell__gimpl *I, const llmspell__gnode *n, const llmspell__gver *v) {
    llmspell__gform f;
    size_t need, klen = 0;
    llmspell_result r;
    memset(&f, 0, sizeof f);
    f.kind = n->kind;
    f.vt = v->vt;
    f.tt = v->tt;
    f.created = v->created;
    f.type = v->type->s;
    f.typen = v->type->len;
    f.a = n->kind == LLMSPELL__GE ? v->name->s : n->src->id;
    f.an = n->kind == LLMSPELL__GE ? v->name->len : n->src->idlen;
    if (n->kind == LLMSPELL__GR) {
        f.b = n->dst->id;
        f.bn = n->dst->idlen;
    }
    f.props = v->props->s;
    f.propsn = v->props->len;
    need = llmspell__gform_size(&f);
    if ((r = llmspell__gkey(I, n, v->tf, v->vf, &klen)) != LLMSPELL_OK) return r;
    if (llmspell__ggrow(&I->a, (void **)&I->val.p, &I->val.cap, need, 1)) return LLMSPELL__NOMEM(I, "for a record");
    llmspell__gform_write((uint8_t *)I->val.p, &f);
    r = llmspell_kv_put_sys(I->kv, I->key.p, klen, I->val.p, need);
    return r == LLMSPELL_OK ? r : llmspell__gkverr(I, r, "writing a version");
}

static llmspell_result llmspell__gdel_rec(llmspell__gimpl *I, const llmspell__gnode *n, llmspell_time tf, llmspell_time vf) {
    size_t klen = 0;
    llmspell_result r = llmspell__gkey(I, n, tf, vf, &klen);
    if (r != LLMSPELL_OK) return r;
    r = llmspell_kv_delete_sys(I->kv, I->key.p, klen);
    if (r == LLMSPELL_ERR_NOT_FOUND)
        return llmspell__gerr(I->g, LLMSPELL_ERR_CORRUPT, "graph: the record of a version of '%.64s' is missing from the store", n->id);
    return r == LLMSPELL_OK ? r : llmspell__gkverr(I, r, "deleting a version");
}

/* >>undo log and write groups */
static int llmspell__gundo_room(llmspell__gimpl *I, size_t k) { return LLMSPELL__GROW(I, I->undo, I->capundo, I->nundo + k); }
/* Every CREATE / ERASE may send its node to the grave: keep a slot for each. */
static int llmspell__glife_room(llmspell__gimpl *I, size_t k) {
    return LLMSPELL__GROW(I, I->grave, I->capgrave, I->nlife + I->ngrave + k);
}
static void llmspell__gpush(llmspell__gimpl *I, int op, llmspell__gnode *n) {
    llmspell__gundo *u = &I->undo[I->nundo++];
    memset(u, 0, sizeof *u);
    u->op = op;
    u->n = n;
    if (op == LLMSPELL__U_CREATE || op == LLMSPELL__U_ERASE) I->nlife++;
}

/* Frees the nodes in the grave; first removes them from the type / name lists they are in. */
static void llmspell__gsweep(llmspell__gimpl *I) {
    size_t i;
    uint32_t k, j, o;
    if (!I->ngrave) return;
    for (i = 0; i < I->ngrave; i++) I->grave[i]->dead = 2;
    if (++I->sweep == 0) I->sweep = 1;
    for (i = 0; i < I->ngrave; i++) {
        llmspell__gnode *n = I->grave[i];
        for (k = 0; k < n->nmem; k++) {
            llmspell__gstr *s = n->mem[k];
            if (s->sweep == I->sweep) continue;
            s->sweep = I->sweep;
            for (j = o = 0; j < s->nn; j++)
                if (s->nodes[j]->dead != 2) s->nodes[o++] = s->nodes[j];
            s->nn = o;
        }
    }
    for (i = 0; i < I->ngrave; i++) llmspell__gnode_free(I, I->grave[i]);
    I->ngrave = 0;
}

static void llmspell__gbury(llmspell__gimpl *I, llmspell__gnode *n) {
    n->dead = 1;
    I->grave[I->ngrave++] = n;
}

/* Undoes entries [from, nundo) in reverse order. Never allocates. */
static void llmspell__gundo_to(llmspell__gimpl *I, size_t from) {
    while (I->nundo > from) {
        llmspell__gundo *u = &I->undo[--I->nundo];
        llmspell__gnode *n = u->n;
        switch (u->op) {
        case LLMSPELL__U_MARK: I->last_tx = u->last_tx; break;
        case LLMSPELL__U_SAVE:
            llmspell__garr_free(I, n->v, n->nv);
            n->v = u->v;
            n->nv = n->vcap = u->nv;
            n->nclosed = u->nclosed;
            llmspell__gmap_sync(llmspell__gmap_of(I, n->kind), n);
            break;
        case LLMSPELL__U_CREATE:
            I->nlife--;
            llmspell__gmap_del(llmspell__gmap_of(I, n->kind), n);
            if (n->kind == LLMSPELL__GR) llmspell__gunlink(n);
            llmspell__gbury(I, n);
            break;
        case LLMSPELL__U_ERASE:
            I->nlife--;
            llmspell__gmap_put(llmspell__gmap_of(I, n->kind), n);
            if (n->kind == LLMSPELL__GR) llmspell__glink(n);
            n->dead = 0;
            break;
        }
    }
    llmspell__gsweep(I);
}

/* Makes entries [from, nundo) permanent. */
static void llmspell__gfinal(llmspell__gimpl *I, size_t from) {
    size_t i;
    for (i = from; i < I->nundo; i++) {
        llmspell__gundo *u = &I->undo[i];
        if (u->op == LLMSPELL__U_SAVE) llmspell__garr_free(I, u->v, u->nv);
        else if (u->op == LLMSPELL__U_CREATE) I->nlife--;
        else if (u->op == LLMSPELL__U_ERASE) {
            I->nlife--;
            llmspell__gbury(I, u->n);
        }
    }
    I->nundo = from;
    llmspell__gsweep(I);
    if (I->nundo == 0 && I->capundo > 4096) { /* a huge transaction's log is not kept */
        llmspell__gfree(&I->a, I->undo);
        I->undo = NULL;
        I->capundo = 0;
    }
}

/* Joined kv transactions: the store's meta record holds the sequence number of the last write
   group that reached it; groups after it were rolled back with the kv transaction. ended: no kv
   transaction is open any more, so the groups left are final. The caller holds the lock to
   write and the store's lock (its transaction, or a read snapshot): reading the meta record
   never waits. */
static llmspell_result llmspell__gresolve(llmspell__gimpl *I, int ended) {
    const void *v;
    size_t vn;
    uint64_t stored = 0;
    llmspell_result r = llmspell_kv_get(I->kv, llmspell__gmeta_key, 3, &v, &vn);
    if (r == LLMSPELL_OK) {
        llmspell_time last;
        if ((r = llmspell__gmeta_read(v, vn, &last, &stored)) != LLMSPELL_OK)
            return llmspell__gerr(I->g, r, "graph: bad meta record (%zu bytes)", vn);
    } else if (r != LLMSPELL_ERR_NOT_FOUND) {
        return llmspell__gkverr(I, r, "reading the meta record");
    }
    while (I->nundo) {
        size_t m = I->nundo - 1;
        while (I->undo[m].op != LLMSPELL__U_MARK) m--;
        if (I->undo[m].seq <= stored) break;
        llmspell__gundo_to(I, m);
    }
    if (ended) llmspell__gfinal(I, 0);
    return LLMSPELL_OK;
}

/* >>threads: the graph's lock and each thread's slot. A thread holds the lock during a call,
   and from begin to commit / rollback of its graph transaction (me->depth 1; me->mode 1 to
   write). The store's lock always comes first (see "Threads" at the top). */
#define LLMSPELL__GTHR(me) ((llmspell__gthr *)(me)->scratch)

static void llmspell__gthr_free(void *owner, void *scratch) {
    llmspell__gimpl *I = (llmspell__gimpl *)owner;
    llmspell__gthr *S = (llmspell__gthr *)scratch;
    llmspell__gfree(&I->a, S->qn);
    llmspell__gfree(&I->a, S->seen);
    llmspell_graph_rows_free(&S->path);
    llmspell__gbuf_free(&I->a, &S->js);
    llmspell__gbuf_free(&I->a, &S->jfil);
    llmspell__gfree(&I->a, S->fil);
    llmspell_json_doc_free(S->jdoc);
    llmspell__gfree(&I->a, S);
}

static void llmspell__gunlock(llmspell__gimpl *I, llmspell__tslot *me) {
    if (me->mode && I->limbo) llmspell__glimbo_sweep(I);
#ifndef LLMSPELL_NO_THREADS
    if (me->mode) llmspell__rw_write_unlock(&I->lock);
    else llmspell__rw_read_unlock(&I->lock, me->stripe);
#endif
    me->depth = 0;
}

/* Takes the lock: shared to read (the thread's pin: what it reads from here on), exclusive to
   write (a new generation; the thread lets go of what it read). The thread's scratch is made
   under the lock, the first time, as writers read its pin under theirs. */
static llmspell_result llmspell__glock(llmspell__gimpl *I, llmspell__tslot *me, int write) {
    llmspell__gthr *S;
#ifndef LLMSPELL_NO_THREADS
    if (write) llmspell__rw_write_lock(&I->lock);
    else llmspell__rw_read_lock(&I->lock, me->stripe);
#endif
    me->depth = 1;
    me->mode = write;
    if (!(S = LLMSPELL__GTHR(me))) {
        if (!(S = (llmspell__gthr *)llmspell__galloc(&I->a, sizeof *S))) {
            llmspell__gunlock(I, me);
            return llmspell__gerr(I->g, LLMSPELL_ERR_NOMEM, "graph: out of memory for this thread's state");
        }
        memset(S, 0, sizeof *S);
        me->scratch = S;
        me->scratch_free = llmspell__gthr_free;
    }
    if (write) I->gen++;
    S->pin = write ? 0 : I->gen;
    return LLMSPELL_OK;
}

/* Groups wait for the outcome of kv transactions (the graph joined them): settles them under
   a read snapshot of the store, taken first, which then only this thread's own transaction can
   outlast and no writer can enter. keep: the snapshot stays (on success) for the caller to end. */
static llmspell_result llmspell__gsettle(llmspell__gimpl *I, llmspell__tslot *me, int keep) {
    llmspell_result r = llmspell_kv_read_begin(I->kv);
    if (r != LLMSPELL_OK) return llmspell__gkverr(I, r, "reading the store");
    if ((r = llmspell__glock(I, me, 1)) == LLMSPELL_OK) {
        r = I->nundo ? llmspell__gresolve(I, !llmspell_kv_in_txn(I->kv)) : LLMSPELL_OK;
        llmspell__gunlock(I, me);
    }
    if (!keep || r != LLMSPELL_OK) (void)llmspell_kv_read_end(I->kv);
    return r;
}

/* This thread's graph transaction, if its kv transaction was committed or rolled back on the
   kv directly: the graph takes note, settles its groups and lets the lock go. Another thread's
   write may have settled them first (see llmspell__gw_lock). */
static llmspell_result llmspell__glost(llmspell__gimpl *I, llmspell__tslot *me) {
    llmspell__gthr *S = LLMSPELL__GTHR(me);
    llmspell_result r;
    int ended;
    if (!S || !S->in_txn) return LLMSPELL_OK;
    if ((r = llmspell_kv_read_begin(I->kv)) != LLMSPELL_OK) return llmspell__gkverr(I, r, "reading the store");
    /* the kv transaction open now may be a later one, begun after another thread settled this */
    ended = !llmspell_kv_in_txn(I->kv) || !I->txn || I->txn_seq != S->txn_seq;
    if (ended && (me->depth || (r = llmspell__glock(I, me, 1)) == LLMSPELL_OK)) {
        if (I->txn && I->txn_seq == S->txn_seq) {
            I->txn = I->txn_alone = I->hide = 0;
            r = I->nundo ? llmspell__gresolve(I, 1) : LLMSPELL_OK;
        }
        S->in_txn = 0;
        S->lost = 1;
        llmspell__gunlock(I, me);
    }
    (void)llmspell_kv_read_end(I->kv);
    return r;
}

/* Every call starts here: the handle and its store are open, *me is the calling thread's slot
   and a graph transaction of this thread that ended behind the graph's back is accounted for. */
static llmspell_result llmspell__genter(llmspell_graph *g, llmspell__gimpl **out, llmspell__tslot **me) {
    llmspell__gimpl *I;
    if (!g) return LLMSPELL_ERR_INVALID;
    I = LLMSPELL__GI(g);
    *out = I;
    if (!I) return llmspell__gerr(g, LLMSPELL_ERR_CLOSED, "graph: handle is closed");
    if (!I->kv->open) return llmspell__gerr(g, LLMSPELL_ERR_CLOSED, "graph: its kv store was closed");
    if (!(*me = llmspell__tslot_get(&I->ts, &I->a))) return llmspell__gerr(g, LLMSPELL_ERR_NOMEM, "graph: out of memory for this thread's state");
    return llmspell__glost(I, *me);
}

/* >>shared stores. When other processes write the store (kv characteristics shared: postgres,
   an SQLite file), the graph in memory is a cache of it. The meta record's sequence number,
   which every write group puts in the transaction that writes it, says whether the store holds
   groups this handle has not seen: each call compares it first and, if so, loads the graph
   again. A call therefore sees every group another process committed before it began. A
   write compares inside its kv transaction (writers take turns across processes: postgres holds
   a lock from begin, SQLite begins immediate), so its group always follows the latest one. */

static llmspell_result llmspell__gload_all(llmspell__gimpl *I);

/* The store's sequence number (0: no group written yet). */
static llmspell_result llmspell__gstore_seq(llmspell__gimpl *I, uint64_t *seq) {
    const void *v;
    size_t vn;
    llmspell_time last;
    llmspell_result r = llmspell_kv_get(I->kv, llmspell__gmeta_key, 3, &v, &vn);
    *seq = 0;
    if (r == LLMSPELL_ERR_NOT_FOUND) return LLMSPELL_OK;
    if (r != LLMSPELL_OK) return llmspell__gkverr(I, r, "reading the meta record");
    if ((r = llmspell__gmeta_read(v, vn, &last, seq)) != LLMSPELL_OK) return llmspell__gerr(I->g, r, "graph: bad meta record (%zu bytes)", vn);
    return LLMSPELL_OK;
}

/* Whether memory may be compared with the store: no write of this process under way and no
   group waiting for its kv transaction's outcome. */
static int llmspell__gsettled(const llmspell__gimpl *I) { return !I->hide && !I->nundo && !I->txn; }

/* Frees every node (retiring what reads may hold) and empties both maps. */
static void llmspell__gdrop_nodes(llmspell__gimpl *I) {
    int pass;
    size_t i;
    for (pass = 0; pass < 2; pass++) {
        llmspell__gmap *m = pass ? &I->ents : &I->rels;
        for (i = 0; m->slot && i <= m->mask; i++)
            if (m->slot[i].n) llmspell__gnode_free(I, m->slot[i].n);
        llmspell__gfree(&I->a, m->slot);
        memset(m, 0, sizeof *m);
    }
}

/* Under the lock to write, settled: the graph leaves memory (what reads handed out is retired
   as every write retires it) and is loaded again from the store. On failure memory is empty
   and the sequence number one no store holds, so the next call tries again. */
static llmspell_result llmspell__grefresh(llmspell__gimpl *I) {
    llmspell_result r;
    llmspell__gfinal(I, 0);
    llmspell__gdrop_nodes(I);
    if ((r = llmspell__gload_all(I)) != LLMSPELL_OK) {
        llmspell__gdrop_nodes(I);
        I->seq = (uint64_t)-1;
    }
    return r;
}

/* Before a read on a shared store, holding none of the graph's locks: loads the graph again
   when another process has written it, inside a read snapshot (on PostgreSQL and SQLite one
   state of the store across processes). A backend whose snapshot is not is caught by the
   sequence number read after the reload: one that moved meanwhile loads again. */
static llmspell_result llmspell__gcatch_up(llmspell__gimpl *I, llmspell__tslot *me) {
    uint64_t seq, after = 0;
    llmspell_result r;
    int tries, same, again;
    for (tries = 0; tries < 8; tries++) {
        if ((r = llmspell__gstore_seq(I, &seq)) != LLMSPELL_OK) return r;
        if ((r = llmspell__glock(I, me, 0)) != LLMSPELL_OK) return r;
        same = seq == I->seq || !llmspell__gsettled(I);
        llmspell__gunlock(I, me);
        if (same) return LLMSPELL_OK;
        if ((r = llmspell_kv_read_begin(I->kv)) != LLMSPELL_OK) return llmspell__gkverr(I, r, "reading the store");
        again = 0;
        if ((r = llmspell__glock(I, me, 1)) == LLMSPELL_OK) {
            r = llmspell__gstore_seq(I, &seq);
            if (r == LLMSPELL_OK && seq != I->seq && llmspell__gsettled(I)) {
                r = llmspell__grefresh(I);
                if (r == LLMSPELL_OK) r = llmspell__gstore_seq(I, &after);
                again = r == LLMSPELL_OK && after != I->seq;
            }
            llmspell__gunlock(I, me);
        }
        (void)llmspell_kv_read_end(I->kv);
        if (!again) return r;
    }
    return llmspell__gerr(I->g, LLMSPELL_ERR_BUSY, "graph: other processes kept writing the graph while it was loaded again");
}

/* A read: the lock shared with other readers (none taken inside this thread's transaction,
   which holds it). If groups wait for a kv transaction, they are settled first and the read
   keeps the store's snapshot till its end, so no writer slips in between. */
typedef struct llmspell__grd {
    llmspell__gimpl *I;
    llmspell__tslot *me;
    int locked, snapshot;
    llmspell_time seen; /* another thread's transaction is open: the last time before it; else MAX */
} llmspell__grd;

static llmspell_result llmspell__grd_begin(llmspell_graph *g, llmspell__grd *c) {
    llmspell_result r;
    memset(c, 0, sizeof *c);
    c->seen = LLMSPELL_TIME_MAX;
    if ((r = llmspell__genter(g, &c->I, &c->me)) != LLMSPELL_OK || c->me->depth) return r;
    if (c->I->shared && (r = llmspell__gcatch_up(c->I, c->me)) != LLMSPELL_OK) return r;
    if ((r = llmspell__glock(c->I, c->me, 0)) != LLMSPELL_OK) return r;
    if (c->I->hide) { /* a write of its own kv transaction: nothing to settle */
        if (!LLMSPELL__GTHR(c->me)->in_txn) c->seen = c->I->txn_seen;
    } else if (c->I->nundo) {
        llmspell__gunlock(c->I, c->me); /* the store's lock comes first */
        if ((r = llmspell__gsettle(c->I, c->me, 1)) != LLMSPELL_OK) return r;
        c->snapshot = 1;
        if ((r = llmspell__glock(c->I, c->me, 0)) != LLMSPELL_OK) return r;
    }
    c->locked = 1;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__grd_end(llmspell__grd *c, llmspell_result r) {
    if (c->locked) llmspell__gunlock(c->I, c->me);
    if (c->snapshot) (void)llmspell_kv_read_end(c->I->kv);
    return r;
}

static llmspell_result llmspell__gnext_tx(llmspell__gimpl *I, llmspell_time *T) {
    llmspell_time now = llmspell_time_now(&I->clock);
    if (I->last_tx >= LLMSPELL_TIME_MAX - 1) return llmspell__gerr(I->g, LLMSPELL_ERR_CONFLICT, "graph: transaction time is exhausted");
    *T = now > I->last_tx && now < LLMSPELL_TIME_MAX ? now : I->last_tx + 1;
    return LLMSPELL_OK;
}

/* How a write reaches the store: in this thread's graph transaction, joining this thread's kv
   transaction, or in a kv transaction of its own. */
enum { LLMSPELL__GW_NONE, LLMSPELL__GW_TXN, LLMSPELL__GW_JOINED, LLMSPELL__GW_AUTO };
typedef struct llmspell__gw {
    llmspell__gimpl *I;
    llmspell__tslot *me;
    int mode;
    size_t mark;
    llmspell_time T;
} llmspell__gw;

static void llmspell__gopen_group(llmspell__gimpl *I, llmspell_time T) {
    llmspell__gpush(I, LLMSPELL__U_MARK, NULL);
    I->undo[I->nundo - 1].seq = ++I->seq;
    I->undo[I->nundo - 1].last_tx = I->last_tx;
    if (++I->epoch == 0) I->epoch = 1;
    I->txn_dirty = 0;
    I->txn_T = T;
}

static llmspell_result llmspell__gw_end(llmspell__gw *w, llmspell_result r);

/* The graph's lock exclusively (see llmspell__gw_lock); the thread's scratch exists: it cannot
   fail. Each time is a new write generation. */
static void llmspell__gw_excl(const llmspell__gw *w) {
    if (!w->me->depth) (void)llmspell__glock(w->I, w->me, 1);
}
/* Lets readers in while the write works alone (see llmspell__gw_lock); not on a graph that no
   other thread has used (there is nobody to let in, and the lock costs less held). */
static void llmspell__gw_share(const llmspell__gw *w) {
#ifndef LLMSPELL_NO_THREADS
    int may = w->mode == LLMSPELL__GW_AUTO || (w->mode == LLMSPELL__GW_TXN && !w->I->txn_alone);
    if (may && w->me->depth && llmspell__aload(&w->I->ts.count) > 1) llmspell__gunlock(w->I, w->me);
#else
    (void)w;
#endif
}

/* Takes what a write needs, the store's lock first: this thread's kv transaction, or a new
   one (waiting for other writers), then the graph's lock exclusively (waiting for readers,
   which never wait for the store while they hold it). In this thread's graph transaction the
   store's is held already, and the graph's too once the transaction holds it alone.
   Holding the store's turn, the write is the graph's only writer: it reads the graph without
   its lock, as readers do, and takes the lock exclusively only to change what readers look at
   (llmspell__gw_excl). A write of its own kv transaction, or in a graph transaction of one,
   lets readers in meanwhile (llmspell__gw_share): they read as of the time before it (hide). */
static llmspell_result llmspell__gw_lock(llmspell_graph *g, llmspell__gw *w) {
    llmspell__gimpl *I;
    llmspell_result r;
    int joined, failed;
    memset(w, 0, sizeof *w);
    if ((r = llmspell__genter(g, &w->I, &w->me)) != LLMSPELL_OK) return r;
    I = w->I;
    if (LLMSPELL__GTHR(w->me) && LLMSPELL__GTHR(w->me)->in_txn) {
        if (w->me->depth) I->gen++; /* held since begin: a new generation all the same */
        w->mode = LLMSPELL__GW_TXN;
        return LLMSPELL_OK;
    }
    joined = llmspell_kv_in_txn(I->kv); /* this thread's kv transaction: the write joins it */
    failed = joined && I->kv->txn_failed;
    if (failed) return llmspell__gerr(I->g, LLMSPELL_ERR_TXN, "graph: the kv transaction had a failed write; roll it back");
    if (!joined && (r = llmspell_kv_begin(I->kv)) != LLMSPELL_OK) return llmspell__gkverr(I, r, "beginning a transaction");
    /* the graph's own state changes with the store: its transaction holds the store alone */
    if ((r = llmspell_kv_txn_exclusive(I->kv)) != LLMSPELL_OK) {
        if (!joined) (void)llmspell_kv_rollback(I->kv);
        return llmspell__gkverr(I, r, "beginning a transaction");
    }
    if ((r = llmspell__glock(I, w->me, 1)) != LLMSPELL_OK) {
        if (!joined) (void)llmspell_kv_rollback(I->kv);
        return r;
    }
    w->mode = joined ? LLMSPELL__GW_JOINED : LLMSPELL__GW_AUTO;
    if (I->txn) /* another thread's transaction, whose kv transaction was ended on the kv (this
                   thread has the store's turn): its group is settled below as a joined one */
        I->txn = I->txn_alone = I->hide = 0;
    I->txn_dirty = 0;
    w->mark = I->nundo;
    if (I->nundo) { /* in a new kv transaction of its own, every waiting group's has ended */
        r = llmspell__gresolve(I, w->mode == LLMSPELL__GW_AUTO);
        w->mark = I->nundo;
        if (r != LLMSPELL_OK) return llmspell__gw_end(w, r);
    }
    if (I->shared && llmspell__gsettled(I)) { /* another process's groups first (>>shared stores) */
        uint64_t seq;
        r = llmspell__gstore_seq(I, &seq);
        if (r == LLMSPELL_OK && seq != I->seq) r = llmspell__grefresh(I);
        if (r != LLMSPELL_OK) return llmspell__gw_end(w, r);
    }
    if (w->mode == LLMSPELL__GW_AUTO) {
        I->hide = 1;
        I->txn_seen = I->last_tx;
        llmspell__gw_share(w);
    }
    return LLMSPELL_OK;
}

/* Starts a write: the locks, its transaction time and its write group. */
static llmspell_result llmspell__gw_begin(llmspell_graph *g, llmspell__gw *w) {
    llmspell_result r = llmspell__gw_lock(g, w);
    llmspell__gimpl *I = w->I;
    if (r != LLMSPELL_OK) return r;
    if (w->mode == LLMSPELL__GW_TXN) {
        if (I->txn_failed)
            return llmspell__gerr(I->g, LLMSPELL_ERR_TXN, "graph: an earlier write in this transaction failed; roll it back");
        w->T = I->txn_T;
        return LLMSPELL_OK;
    }
    if ((r = llmspell__gnext_tx(I, &w->T)) != LLMSPELL_OK) return llmspell__gw_end(w, r);
    if (llmspell__gundo_room(I, 1)) return llmspell__gw_end(w, LLMSPELL__NOMEM(I, "for the undo log"));
    llmspell__gopen_group(I, w->T);
    return LLMSPELL_OK;
}

/* Before a write's first record in its group: the meta record (last time, group sequence). */
static llmspell_result llmspell__gw_meta(llmspell__gimpl *I, const llmspell__gw *w) {
    uint8_t m[LLMSPELL__GRAPH_META_SIZE];
    size_t i = I->nundo;
    llmspell_result r;
    if (I->txn_dirty) return LLMSPELL_OK;
    while (I->undo[--i].op != LLMSPELL__U_MARK) {}
    llmspell__gmeta_write(m, w->T, I->undo[i].seq);
    r = llmspell_kv_put_sys(I->kv, llmspell__gmeta_key, 3, m, sizeof m);
    if (r != LLMSPELL_OK) return llmspell__gkverr(I, r, "writing the meta record");
    I->txn_dirty = 1;
    return LLMSPELL_OK;
}

/* A write that removes what other threads read (erase, delete_before): in a transaction, the
   graph's lock stays with it from here to its end. */
static void llmspell__galone(const llmspell__gw *w) {
    llmspell__gw_excl(w);
    if (w->mode == LLMSPELL__GW_TXN) w->I->txn_alone = 1;
}

/* Ends a write begun with llmspell__gw_lock: commits its own kv transaction, or leaves the
   group to the open one; the lock goes, unless this thread's graph transaction holds it. The
   kv transaction is this thread's: ending it never waits. */
static llmspell_result llmspell__gw_end(llmspell__gw *w, llmspell_result r) {
    llmspell__gimpl *I = w->I;
    if (w->mode == LLMSPELL__GW_NONE) return r;
    if (w->mode == LLMSPELL__GW_TXN) {
        if (r != LLMSPELL_OK && llmspell_kv_in_txn(I->kv) && I->kv->txn_failed) I->txn_failed = 1;
        llmspell__gw_share(w); /* readers go on, seeing the graph before the transaction */
        return r;
    }
    llmspell__gw_excl(w);
    I->hide = 0;
    if (r != LLMSPELL_OK || !I->txn_dirty) {
        if (w->mode == LLMSPELL__GW_AUTO) (void)llmspell_kv_rollback(I->kv);
        llmspell__gundo_to(I, w->mark);
    } else if (w->mode == LLMSPELL__GW_AUTO) {
        if ((r = llmspell_kv_commit(I->kv)) == LLMSPELL_OK) {
            llmspell__gfinal(I, w->mark);
        } else {
            llmspell__gkverr(I, r, "committing");
            llmspell__gundo_to(I, w->mark);
        }
    }
    llmspell__gunlock(I, w->me);
    return r;
}

/* >>planning a write on one node (rule 3, rule 7) */
static int llmspell__gtime_cmp(const void *a, const void *b) {
    llmspell_time x = *(const llmspell_time *)a, y = *(const llmspell_time *)b;
    return x < y ? -1 : x > y;
}
static int llmspell__gsame(const llmspell__gstr *t1, const llmspell__gstr *n1, const llmspell__gstr *p1, const llmspell__gstr *t2,
                           const llmspell__gstr *n2, const llmspell__gstr *p2) {
    return t1 == t2 && n1 == n2 && p1 == p2;
}

/* Plans writing pieces p[0..np) (sorted, disjoint, non-empty) on n (NULL: a new id) at
   transaction time T. On success pl->arr (when pl->changed) is the node's new version array
   (owning its references); I->fresh marks its new current versions and I->removed lists the
   (tx_from, valid_from) of versions dropped outright. Nothing is changed yet. */
static llmspell_result llmspell__gplan_write(llmspell__gimpl *I, const llmspell__gnode *n, size_t idn, const llmspell__gpiece *p,
                                             size_t np, llmspell_time T, llmspell__gplan *pl) {
    uint32_t nclosed = n ? n->nclosed : 0, nc = n ? n->nv - n->nclosed : 0, i0, i1, na, lo, hi, i, nrep = 0, nrem = 0;
    const llmspell__gver *K = n ? n->v + nclosed : NULL;
    llmspell_time created = (n && n->nv) ? n->v[0].created : T;
    size_t nb = 0, nseg = 0, nruns = 0, j, k, ai, pi, total, o, ki, ri;
    int open = 0;
    memset(pl, 0, sizeof *pl);
    lo = 0;
    hi = nc;
    while (lo < hi) { /* the current versions are sorted and disjoint: sorted by valid_to too */
        uint32_t mid = lo + (hi - lo) / 2;
        if (K[mid].vt <= p[0].a) lo = mid + 1;
        else hi = mid;
    }
    i0 = lo;
    for (i1 = i0; i1 < nc && K[i1].vf < p[np - 1].b; i1++) {}
    na = i1 - i0;
    total = 2 * (size_t)na + 2 * np;
    if (LLMSPELL__GROW(I, I->bnd, I->capbnd, total) || LLMSPELL__GROW(I, I->seg, I->capseg, total) ||
        LLMSPELL__GROW(I, I->rep, I->caprep, (size_t)na + 1) || LLMSPELL__GROW(I, I->runs, I->capruns, total))
        return LLMSPELL__NOMEM(I, "planning a write");
    for (i = i0; i < i1; i++) {
        I->bnd[nb++] = K[i].vf;
        I->bnd[nb++] = K[i].vt;
    }
    for (j = 0; j < np; j++) {
        I->bnd[nb++] = p[j].a;
        I->bnd[nb++] = p[j].b;
    }
    qsort(I->bnd, nb, sizeof *I->bnd, llmspell__gtime_cmp);
    for (j = k = 0; j < nb; j++)
        if (!k || I->bnd[k - 1] != I->bnd[j]) I->bnd[k++] = I->bnd[j];
    nb = k;
    memset(I->rep, 0, (size_t)na + 1);
    /* the content of every elementary segment before and after the write */
    for (j = 0, ai = i0, pi = 0; j + 1 < nb; j++) {
        llmspell__gseg *s = &I->seg[nseg++];
        s->s = I->bnd[j];
        s->e = I->bnd[j + 1];
        while (ai < i1 && K[ai].vt <= s->s) ai++;
        while (pi < np && p[pi].b <= s->s) pi++;
        s->old = (ai < i1 && K[ai].vf <= s->s) ? (int32_t)(ai - i0) : -1;
        if (pi < np && p[pi].a <= s->s) {
            s->type = p[pi].type;
            s->name = p[pi].name;
            s->props = p[pi].props;
        } else if (s->old >= 0) {
            s->type = K[ai].type;
            s->name = K[ai].name;
            s->props = K[ai].props;
        } else {
            s->type = s->name = s->props = NULL;
        }
        if (s->old >= 0 && (!s->props || !llmspell__gsame(s->type, s->name, s->props, K[ai].type, K[ai].name, K[ai].props)))
            I->rep[s->old] = 1;
    }
    /* new versions: maximal runs of equal content over the points not kept */
    for (j = 0; j < nseg; j++) {
        const llmspell__gseg *s = &I->seg[j];
        llmspell__gver *r;
        if ((s->old >= 0 && !I->rep[s->old]) || !s->props) {
            open = 0;
            continue;
        }
        r = &I->runs[nruns - (open ? 1 : 0)];
        if (open && r->vt == s->s && llmspell__gsame(r->type, r->name, r->props, s->type, s->name, s->props)) {
            r->vt = s->e;
            continue;
        }
        r = &I->runs[nruns++];
        r->vf = s->s;
        r->vt = s->e;
        r->tf = T;
        r->tt = LLMSPELL_TIME_MAX;
        r->created = created;
        r->type = s->type;
        r->name = s->name;
        r->props = s->props;
        open = 1;
    }
    for (i = 0; i < na; i++)
        if (I->rep[i]) {
            nrep++;
            nrem += K[i0 + i].tf == T;
        }
    pl->changed = nrep || nruns;
    if (!pl->changed) return LLMSPELL_OK;
    pl->nold_closed = nclosed;
    pl->nclosed = nclosed + nrep - nrem;
    pl->nv = pl->nclosed + (nc - nrep) + (uint32_t)nruns;
    pl->nfresh = (uint32_t)nruns;
    pl->nremoved = nrem;
    if (LLMSPELL__GROW(I, I->fresh, I->capfresh, (size_t)pl->nv - pl->nclosed + 1) ||
        LLMSPELL__GROW(I, I->removed, I->capremoved, 2 * (size_t)nrem + 2))
        return LLMSPELL__NOMEM(I, "planning a write");
    pl->arr = (llmspell__gver *)llmspell__galloc(&I->a, llmspell__gvbytes(pl->nv, idn));
    if (!pl->arr) return LLMSPELL__NOMEM(I, "for versions");
    if (nclosed) memcpy(pl->arr, n->v, nclosed * sizeof *pl->arr);
    o = nclosed;
    for (i = 0, k = 0; i < na; i++) {
        if (!I->rep[i]) continue;
        if (K[i0 + i].tf == T) { /* created by this transaction: no snapshot ever saw it */
            I->removed[k++] = K[i0 + i].tf;
            I->removed[k++] = K[i0 + i].vf;
        } else {
            pl->arr[o] = K[i0 + i];
            pl->arr[o++].tt = T;
        }
    }
    /* current: the untouched ones before, kept and new merged by valid_from, the ones after */
    for (i = 0; i < i0; i++, o++) {
        pl->arr[o] = K[i];
        I->fresh[o - pl->nclosed] = 0;
    }
    ki = i0;
    ri = 0;
    for (;;) {
        while (ki < i1 && I->rep[ki - i0]) ki++;
        if (ki >= i1 && ri >= nruns) break;
        if (ri >= nruns || (ki < i1 && K[ki].vf < I->runs[ri].vf)) {
            pl->arr[o] = K[ki++];
            I->fresh[o++ - pl->nclosed] = 0;
        } else {
            pl->arr[o] = I->runs[ri++];
            I->fresh[o++ - pl->nclosed] = 1;
        }
    }
    for (i = i1; i < nc; i++, o++) {
        pl->arr[o] = K[i];
        I->fresh[o - pl->nclosed] = 0;
    }
    for (i = 0; i < pl->nv; i++) llmspell__gver_ref(&pl->arr[i]);
    return LLMSPELL_OK;
}

/* Writes what the plan changes to the store: drops first (a new version may reuse the key). */
static llmspell_result llmspell__gplan_store(llmspell__gimpl *I, const llmspell__gnode *n, const llmspell__gplan *pl) {
    uint32_t i;
    llmspell_result r;
    for (i = 0; i < pl->nremoved; i++)
        if ((r = llmspell__gdel_rec(I, n, I->removed[2 * i], I->removed[2 * i + 1])) != LLMSPELL_OK) return r;
    for (i = pl->nold_closed; i < pl->nclosed; i++)
        if ((r = llmspell__gput_rec(I, n, &pl->arr[i])) != LLMSPELL_OK) return r;
    for (i = pl->nclosed; i < pl->nv; i++)
        if (I->fresh[i - pl->nclosed] && (r = llmspell__gput_rec(I, n, &pl->arr[i])) != LLMSPELL_OK) return r;
    return LLMSPELL_OK;
}

/* Installs a node's new version array (the old one goes to the undo log once per group). */
static void llmspell__ginstall(llmspell__gimpl *I, llmspell__gnode *n, llmspell__gver *arr, uint32_t nv, uint32_t nclosed) {
    if (n->epoch != I->epoch) {
        llmspell__gpush(I, LLMSPELL__U_SAVE, n);
        I->undo[I->nundo - 1].v = n->v;
        I->undo[I->nundo - 1].nv = n->nv;
        I->undo[I->nundo - 1].nclosed = n->nclosed;
        n->epoch = I->epoch;
    } else {
        llmspell__garr_free(I, n->v, n->nv);
    }
    n->v = arr;
    n->nv = n->vcap = nv;
    n->nclosed = nclosed;
    llmspell__gvtail(arr, nv, nclosed, n->id, n->idlen);
    llmspell__gmap_sync(llmspell__gmap_of(I, n->kind), n);
}

/* The whole write of pieces on one node: plan, reserve, store, then apply (which cannot fail).
   n NULL creates the id (src / dst: a relationship's endpoints). */
static llmspell_result llmspell__gwrite(const llmspell__gw *w, int kind, const char *id, size_t idn, llmspell__gnode *n,
                                        llmspell__gnode *src, llmspell__gnode *dst, const llmspell__gpiece *p, size_t np) {
    llmspell__gimpl *I = w->I;
    llmspell__gplan pl;
    llmspell__gnode *fresh_node = NULL;
    llmspell_result r;
    pl.arr = NULL;
    pl.nv = 0;
    if ((r = llmspell__gplan_write(I, n, idn, p, np, w->T, &pl)) != LLMSPELL_OK || !pl.changed) goto done;
    llmspell__gw_excl(w); /* room in what readers look at */
    if (!n) {
        fresh_node = llmspell__gnode_new(I, kind, id, idn, llmspell__ghash(id, idn));
        if (!fresh_node || llmspell__gmap_reserve(I, llmspell__gmap_of(I, kind), llmspell__gmap_of(I, kind)->count + 1) ||
            llmspell__glife_room(I, 1) || (kind == LLMSPELL__GR && llmspell__glink_room(I, src, dst))) {
            r = LLMSPELL__NOMEM(I, "for a new id");
            goto done;
        }
        fresh_node->src = src;
        fresh_node->dst = dst;
    }
    if (llmspell__gundo_room(I, 1) ||
        (kind == LLMSPELL__GE && llmspell__gmem_room(I, n ? n : fresh_node, pl.arr + pl.nclosed, pl.nv - pl.nclosed, I->fresh))) {
        r = LLMSPELL__NOMEM(I, "for the indexes");
        goto done;
    }
    llmspell__gw_share(w);
    if ((r = llmspell__gw_meta(I, w)) != LLMSPELL_OK) goto done;
    if ((r = llmspell__gplan_store(I, n ? n : fresh_node, &pl)) != LLMSPELL_OK) goto done;
    llmspell__gw_excl(w);
    /* apply */
    if (!n) {
        n = fresh_node;
        fresh_node = NULL;
        llmspell__gmap_put(llmspell__gmap_of(I, kind), n);
        llmspell__gpush(I, LLMSPELL__U_CREATE, n);
        n->epoch = I->epoch;
        if (kind == LLMSPELL__GR) llmspell__glink(n);
    }
    llmspell__ginstall(I, n, pl.arr, pl.nv, pl.nclosed);
    pl.arr = NULL;
    if (kind == LLMSPELL__GE) llmspell__gmem_add(n, n->v + n->nclosed, n->nv - n->nclosed, I->fresh);
    I->last_tx = w->T;
done:
    llmspell__gw_excl(w); /* freeing may drop interned strings */
    if (pl.arr) llmspell__garr_free(I, pl.arr, pl.nv);
    if (fresh_node) llmspell__gnode_free(I, fresh_node); /* nothing references it yet */
    return r;
}

/* >>argument checks */
static llmspell_result llmspell__gcheck_id(llmspell__gimpl *I, const char *id, const char *what, size_t *n) {
    if (!id) return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: %s id is NULL", what);
    *n = strlen(id);
    if (*n == 0) return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: %s id is empty", what);
    if (*n > LLMSPELL_GRAPH_MAX_ID)
        return llmspell__gerr(I->g, LLMSPELL_ERR_TOO_LARGE, "graph: %s id of %zu bytes is over the %d-byte limit", what, *n,
                              LLMSPELL_GRAPH_MAX_ID);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gcheck_range(llmspell__gimpl *I, llmspell_time *a, llmspell_time b) {
    if (*a == LLMSPELL_GRAPH_NOW) *a = llmspell_time_now(&I->clock);
    if (*a >= b)
        return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: valid range [%lld, %lld) is empty or inverted", (long long)*a,
                              (long long)b);
    return LLMSPELL_OK;
}

/* A referenced interned copy of text (NULL: dflt); max: its length limit. */
static llmspell_result llmspell__gtext(llmspell__gimpl *I, const char *text, const char *dflt, size_t max, const char *what,
                                       llmspell__gstr **out) {
    size_t n;
    if (!text) text = dflt;
    n = strlen(text);
    if (n > max) return llmspell__gerr(I->g, LLMSPELL_ERR_TOO_LARGE, "graph: %s of %zu bytes is over the %zu-byte limit", what, n, max);
    *out = llmspell__gstr_get(I, text, n);
    return *out ? LLMSPELL_OK : LLMSPELL__NOMEM(I, "for text");
}

/* Canonical properties (NULL: "{}") into I->js. */
static llmspell_result llmspell__gprops(llmspell__gimpl *I, const char *props, const char *what) {
    size_t n;
    if (!props) props = "{}";
    n = strlen(props);
    if (n > LLMSPELL_GRAPH_MAX_PROPS)
        return llmspell__gerr(I->g, LLMSPELL_ERR_TOO_LARGE, "graph: %s of %zu bytes is over the %u-byte limit", what, n,
                              (unsigned)LLMSPELL_GRAPH_MAX_PROPS);
    return llmspell__gjson_canon(I, &I->jdoc, props, n, 1, what, &I->js);
}

static void llmspell__gpieces_unref(llmspell__gimpl *I, llmspell__gpiece *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        llmspell__gstr_unref(I, p[i].type);
        llmspell__gstr_unref(I, p[i].name);
        llmspell__gstr_unref(I, p[i].props);
    }
}

/* >>writes: each runs between llmspell__gw_begin and llmspell__gw_end (the public functions
   below), so a body returns at any point and the end settles the group. */
static llmspell_result llmspell__gput(const llmspell__gw *w, int kind, const char *id, const char *type, const char *name,
                                      const char *source, const char *target, const char *props, llmspell_time a,
                                      llmspell_time b) {
    llmspell__gimpl *I = w->I;
    llmspell_graph *g = I->g;
    llmspell__gpiece p;
    llmspell__gnode *n, *src = NULL, *dst = NULL;
    size_t idn = 0, sn = 0, tn = 0;
    llmspell_result r;
    if ((r = llmspell__gcheck_id(I, id, kind == LLMSPELL__GE ? "entity" : "relationship", &idn)) != LLMSPELL_OK) return r;
    if ((r = llmspell__gcheck_range(I, &a, b)) != LLMSPELL_OK) return r;
    n = llmspell__gmap_find(llmspell__gmap_of(I, kind), id, idn, llmspell__ghash(id, idn));
    if (kind == LLMSPELL__GR) {
        if ((r = llmspell__gcheck_id(I, source, "source", &sn)) != LLMSPELL_OK) return r;
        if ((r = llmspell__gcheck_id(I, target, "target", &tn)) != LLMSPELL_OK) return r;
        src = llmspell__gmap_find(&I->ents, source, sn, llmspell__ghash(source, sn));
        dst = llmspell__gmap_find(&I->ents, target, tn, llmspell__ghash(target, tn));
        if (!src || !src->nv) return llmspell__gerr(g, LLMSPELL_ERR_NOT_FOUND, "graph: source entity '%.64s' does not exist", source);
        if (!dst || !dst->nv) return llmspell__gerr(g, LLMSPELL_ERR_NOT_FOUND, "graph: target entity '%.64s' does not exist", target);
        if (n && (n->src != src || n->dst != dst))
            return llmspell__gerr(g, LLMSPELL_ERR_CONFLICT, "graph: relationship '%.64s' links '%.64s' -> '%.64s'; its endpoints cannot change",
                                  id, n->src->id, n->dst->id);
    }
    if ((r = llmspell__gprops(I, props, "properties")) != LLMSPELL_OK) return r;
    memset(&p, 0, sizeof p);
    p.a = a;
    p.b = b;
    llmspell__gw_excl(w); /* interning changes the string table */
    if (!(p.props = llmspell__gstr_get(I, I->js.p, I->js.n))) return LLMSPELL__NOMEM(I, "for properties");
    r = llmspell__gtext(I, type, "", LLMSPELL_GRAPH_MAX_TEXT, "type", &p.type);
    if (r == LLMSPELL_OK && kind == LLMSPELL__GE) r = llmspell__gtext(I, name, "", LLMSPELL_GRAPH_MAX_TEXT, "name", &p.name);
    if (r == LLMSPELL_OK) r = llmspell__gwrite(w, kind, id, idn, n, src, dst, &p, 1);
    llmspell__gpieces_unref(I, &p, 1);
    return r;
}

/* update (patch or type/name given) and delete (del) of the current versions within [a,b) */
static llmspell_result llmspell__gchange(const llmspell__gw *w, int kind, const char *id, int del, const char *type, const char *name,
                                         const char *patch, llmspell_time a, llmspell_time b) {
    llmspell__gimpl *I = w->I;
    llmspell_graph *g = I->g;
    llmspell__gnode *n;
    llmspell__gstr *nt = NULL, *nn = NULL;
    size_t idn = 0, np = 0;
    uint32_t k;
    llmspell_result r;
    const char *what = kind == LLMSPELL__GE ? "entity" : "relationship";
    if ((r = llmspell__gcheck_id(I, id, what, &idn)) != LLMSPELL_OK) return r;
    if ((r = llmspell__gcheck_range(I, &a, b)) != LLMSPELL_OK) return r;
    n = llmspell__gmap_find(llmspell__gmap_of(I, kind), id, idn, llmspell__ghash(id, idn));
    if (!n || !n->nv) return llmspell__gerr(g, LLMSPELL_ERR_NOT_FOUND, "graph: no %s '%.64s'", what, id);
    if (del) {
        llmspell__gpiece p;
        memset(&p, 0, sizeof p);
        p.a = a;
        p.b = b;
        return llmspell__gwrite(w, kind, id, idn, n, n->src, n->dst, &p, 1);
    }
    if (patch) { /* canonical, kept aside: merging reuses the other buffers */
        if ((r = llmspell__gprops(I, patch, "patch")) != LLMSPELL_OK) return r;
        I->jpatch.n = 0;
        if (llmspell__gbuf_add(&I->a, &I->jpatch, I->js.p, I->js.n)) return LLMSPELL__NOMEM(I, "for a patch");
    }
    llmspell__gw_excl(w); /* interning changes the string table */
    if (type && (r = llmspell__gtext(I, type, "", LLMSPELL_GRAPH_MAX_TEXT, "type", &nt)) != LLMSPELL_OK) return r;
    if (name && kind == LLMSPELL__GE && (r = llmspell__gtext(I, name, "", LLMSPELL_GRAPH_MAX_TEXT, "name", &nn)) != LLMSPELL_OK) {
        llmspell__gstr_unref(I, nt);
        return r;
    }
    /* one piece per current version overlapping [a,b), with its merged content */
    for (k = n->nclosed; k < n->nv && r == LLMSPELL_OK; k++) {
        const llmspell__gver *o = &n->v[k];
        llmspell__gpiece *p;
        if (o->vt <= a || o->vf >= b) continue;
        if (LLMSPELL__GROW(I, I->pieces, I->cappieces, np + 1)) {
            r = LLMSPELL__NOMEM(I, "planning an update");
            break;
        }
        p = &I->pieces[np];
        p->a = o->vf > a ? o->vf : a;
        p->b = o->vt < b ? o->vt : b;
        p->type = nt ? nt : o->type;
        p->name = kind == LLMSPELL__GE ? (nn ? nn : o->name) : NULL;
        llmspell__gstr_ref(p->type);
        llmspell__gstr_ref(p->name);
        if (patch) {
            if (llmspell__gjson_merge(I, o->props->s, o->props->len, I->jpatch.p, I->jpatch.n, &I->jmerge) != LLMSPELL_OK ||
                !(p->props = llmspell__gstr_get(I, I->jmerge.p, I->jmerge.n))) {
                p->props = NULL;
                np++;
                r = LLMSPELL__NOMEM(I, "merging properties");
                break;
            }
        } else {
            p->props = o->props;
            llmspell__gstr_ref(p->props);
        }
        np++;
    }
    if (r == LLMSPELL_OK && np == 0)
        r = llmspell__gerr(g, LLMSPELL_ERR_NOT_FOUND, "graph: %s '%.64s' has no current version within [%lld, %lld)", what, id,
                           (long long)a, (long long)b);
    if (r == LLMSPELL_OK) r = llmspell__gwrite(w, kind, id, idn, n, n->src, n->dst, I->pieces, np);
    llmspell__gpieces_unref(I, I->pieces, np);
    llmspell__gstr_unref(I, nt);
    llmspell__gstr_unref(I, nn);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_graph_put_entity(llmspell_graph *g, const char *id, const char *type, const char *name,
                                                       const char *properties, llmspell_time valid_from, llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gput(&w, LLMSPELL__GE, id, type, name, NULL, NULL, properties, valid_from, valid_to));
}
LLMSPELL_DEF llmspell_result llmspell_graph_update_entity(llmspell_graph *g, const char *id, const char *type, const char *name,
                                                          const char *patch, llmspell_time valid_from, llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gchange(&w, LLMSPELL__GE, id, 0, type, name, patch, valid_from, valid_to));
}
LLMSPELL_DEF llmspell_result llmspell_graph_delete_entity(llmspell_graph *g, const char *id, llmspell_time valid_from,
                                                          llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gchange(&w, LLMSPELL__GE, id, 1, NULL, NULL, NULL, valid_from, valid_to));
}
LLMSPELL_DEF llmspell_result llmspell_graph_put_rel(llmspell_graph *g, const char *id, const char *type, const char *source,
                                                    const char *target, const char *properties, llmspell_time valid_from,
                                                    llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gput(&w, LLMSPELL__GR, id, type, NULL, source, target, properties, valid_from, valid_to));
}
LLMSPELL_DEF llmspell_result llmspell_graph_update_rel(llmspell_graph *g, const char *id, const char *type, const char *patch,
                                                       llmspell_time valid_from, llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gchange(&w, LLMSPELL__GR, id, 0, type, NULL, patch, valid_from, valid_to));
}
LLMSPELL_DEF llmspell_result llmspell_graph_delete_rel(llmspell_graph *g, const char *id, llmspell_time valid_from,
                                                       llmspell_time valid_to) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    if (r != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gchange(&w, LLMSPELL__GR, id, 1, NULL, NULL, NULL, valid_from, valid_to));
}

/* Deletes every record of n from the store. */
static llmspell_result llmspell__gdel_all(llmspell__gimpl *I, const llmspell__gnode *n, uint32_t upto) {
    uint32_t i;
    llmspell_result r;
    for (i = 0; i < upto; i++)
        if ((r = llmspell__gdel_rec(I, n, n->v[i].tf, n->v[i].vf)) != LLMSPELL_OK) return r;
    return LLMSPELL_OK;
}

/* Takes a node out of the graph (kept until its group is final, for rollback). */
static void llmspell__gkill(llmspell__gimpl *I, llmspell__gnode *n) {
    llmspell__gmap_del(llmspell__gmap_of(I, n->kind), n);
    if (n->kind == LLMSPELL__GR) llmspell__gunlink(n);
    n->dead = 1;
    llmspell__gpush(I, LLMSPELL__U_ERASE, n);
}

static llmspell_result llmspell__gerase(const llmspell__gw *w, int kind, const char *id) {
    llmspell__gimpl *I = w->I;
    llmspell__gnode *n;
    size_t idn = 0, nr = 0, i;
    uint32_t k;
    const char *what = kind == LLMSPELL__GE ? "entity" : "relationship";
    llmspell_result r;
    if ((r = llmspell__gcheck_id(I, id, what, &idn)) != LLMSPELL_OK) return r;
    n = llmspell__gmap_find(llmspell__gmap_of(I, kind), id, idn, llmspell__ghash(id, idn));
    if (!n) return llmspell__gerr(I->g, LLMSPELL_ERR_NOT_FOUND, "graph: no %s '%.64s'", what, id);
    llmspell__galone(w);
    /* the relationships touching it (a self-loop is in both lists) */
    if (LLMSPELL__GROW(I, I->qn, I->capqn, (size_t)n->nout + n->nin + 1)) {
        r = LLMSPELL__NOMEM(I, "erasing");
        goto done;
    }
    for (k = 0; k < n->nout; k++) I->qn[nr++] = n->out[k];
    for (k = 0; k < n->nin; k++)
        if (n->in[k]->src != n) I->qn[nr++] = n->in[k];
    if (llmspell__gundo_room(I, nr + 1) || llmspell__glife_room(I, nr + 1)) {
        r = LLMSPELL__NOMEM(I, "for the undo log");
        goto done;
    }
    if ((r = llmspell__gw_meta(I, w)) != LLMSPELL_OK) goto done;
    for (i = 0; i < nr; i++)
        if ((r = llmspell__gdel_all(I, I->qn[i], I->qn[i]->nv)) != LLMSPELL_OK) goto done;
    if ((r = llmspell__gdel_all(I, n, n->nv)) != LLMSPELL_OK) goto done;
    for (i = 0; i < nr; i++) llmspell__gkill(I, I->qn[i]);
    llmspell__gkill(I, n);
    I->last_tx = w->T;
done:
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_graph_erase_entity(llmspell_graph *g, const char *id) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    return r != LLMSPELL_OK ? r : llmspell__gw_end(&w, llmspell__gerase(&w, LLMSPELL__GE, id));
}
LLMSPELL_DEF llmspell_result llmspell_graph_erase_rel(llmspell_graph *g, const char *id) {
    llmspell__gw w;
    llmspell_result r = llmspell__gw_begin(g, &w);
    return r != LLMSPELL_OK ? r : llmspell__gw_end(&w, llmspell__gerase(&w, LLMSPELL__GR, id));
}

/* How many closed versions of n ended at or before t (a prefix: closed ones are sorted by tx_to). */
static uint32_t llmspell__gexpired(const llmspell__gnode *n, llmspell_time t) {
    uint32_t lo = 0, hi = n->nclosed;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (n->v[mid].tt <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static llmspell_result llmspell__gdelete_before(const llmspell__gw *w, llmspell_time t, size_t *removed) {
    llmspell__gimpl *I = w->I;
    llmspell__gver **arrs = NULL;
    size_t nt = 0, nd = 0, i, total = 0, pass;
    uint32_t k;
    llmspell_result r = LLMSPELL_OK;
    llmspell__galone(w);
    /* touched nodes into I->qn (relationships first), expired count in ->row, doomed when empty */
    for (pass = 0; pass < 2; pass++) {
        llmspell__gmap *m = pass ? &I->ents : &I->rels;
        for (i = 0; m->slot && i <= m->mask; i++) {
            llmspell__gnode *n = m->slot[i].n;
            int doom;
            if (!n) continue;
            n->row = llmspell__gexpired(n, t);
            doom = n->row == n->nv;
            if (doom && n->kind == LLMSPELL__GE) {
                for (k = 0; k < n->nout && doom; k++) doom = n->out[k]->doomed;
                for (k = 0; k < n->nin && doom; k++) doom = n->in[k]->doomed;
                if (!n->row && !n->nout && !n->nin) doom = 0; /* nothing to do for it */
            }
            if (!n->row && !doom) continue;
            if (LLMSPELL__GROW(I, I->qn, I->capqn, nt + 1)) {
                r = LLMSPELL__NOMEM(I, "for retention");
                goto done;
            }
            n->doomed = (uint8_t)doom;
            I->qn[nt++] = n;
            nd += doom;
            total += n->row;
        }
    }
    if (!nt) goto done;
    arrs = (llmspell__gver **)llmspell__galloc(&I->a, nt * sizeof *arrs);
    if (!arrs || llmspell__gundo_room(I, nt) || llmspell__glife_room(I, nd)) {
        r = LLMSPELL__NOMEM(I, "for retention");
        goto done;
    }
    memset(arrs, 0, nt * sizeof *arrs);
    for (i = 0; i < nt; i++) {
        llmspell__gnode *n = I->qn[i];
        uint32_t keep = n->nv - n->row, j;
        if (n->doomed || !keep) continue;
        if (!(arrs[i] = (llmspell__gver *)llmspell__galloc(&I->a, llmspell__gvbytes(keep, n->idlen)))) {
            r = LLMSPELL__NOMEM(I, "for retention");
            goto done;
        }
        memcpy(arrs[i], n->v + n->row, keep * sizeof **arrs);
        for (j = 0; j < keep; j++) llmspell__gver_ref(&arrs[i][j]);
    }
    if ((r = llmspell__gw_meta(I, w)) != LLMSPELL_OK) goto done;
    for (i = 0; i < nt; i++)
        if ((r = llmspell__gdel_all(I, I->qn[i], I->qn[i]->row)) != LLMSPELL_OK) goto done;
    for (i = 0; i < nt; i++) {
        llmspell__gnode *n = I->qn[i];
        if (n->doomed) llmspell__gkill(I, n);
        else {
            llmspell__ginstall(I, n, arrs[i], n->nv - n->row, n->nclosed - n->row);
            arrs[i] = NULL;
        }
    }
    I->last_tx = w->T;
    if (removed) *removed = total;
done:
    for (i = 0; i < nt; i++) {
        I->qn[i]->doomed = 0;
        if (arrs && arrs[i]) llmspell__garr_free(I, arrs[i], I->qn[i]->nv - I->qn[i]->row);
    }
    llmspell__gfree(&I->a, arrs);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_graph_delete_before(llmspell_graph *g, llmspell_time t, size_t *removed) {
    llmspell__gw w;
    llmspell_result r;
    if (removed) *removed = 0;
    if ((r = llmspell__gw_begin(g, &w)) != LLMSPELL_OK) return r;
    return llmspell__gw_end(&w, llmspell__gdelete_before(&w, t, removed));
}

/* >>transactions: begin takes the locks as a write does and keeps the store's until commit or
   rollback (see llmspell__gw_lock). The graph's lock goes between the transaction's calls, so
   other threads read beside it: they see the graph as it was before it began (all it writes
   has transaction time txn_T, after txn_seen; what it closes had tx_to MAX before). Writes that
   would change what they see otherwise (erase, delete_before) and a transaction inside your kv
   transaction (its groups are settled by reading the store) keep the graph's lock to the end. */
static llmspell_result llmspell__gbegin(llmspell_graph *g, int at, llmspell_time tx) {
    llmspell__gw w;
    llmspell__gimpl *I;
    llmspell_result r = llmspell__gw_lock(g, &w);
    if (r != LLMSPELL_OK) return r;
    I = w.I;
    if (w.mode == LLMSPELL__GW_TXN) return llmspell__gerr(g, LLMSPELL_ERR_TXN, "graph: a transaction is already open (no nesting)");
    llmspell__gw_excl(&w);
    if (!at)
        r = llmspell__gnext_tx(I, &tx);
    else if (tx == LLMSPELL_TIME_MIN || tx == LLMSPELL_TIME_MAX)
        r = llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: a transaction time must be finite");
    else if (tx <= I->last_tx)
        r = llmspell__gerr(g, LLMSPELL_ERR_CONFLICT, "graph: transaction time %lld is not after the last one (%lld)", (long long)tx,
                           (long long)I->last_tx);
    if (r == LLMSPELL_OK && llmspell__gundo_room(I, 1)) r = LLMSPELL__NOMEM(I, "for the undo log");
    if (r != LLMSPELL_OK) return llmspell__gw_end(&w, r);
    llmspell__gopen_group(I, tx);
    I->txn = 1;
    I->txn_owns = w.mode == LLMSPELL__GW_AUTO;
    I->txn_alone = !I->txn_owns;
    I->txn_failed = 0;
    I->txn_seq++;
    LLMSPELL__GTHR(w.me)->lost = 0;
    LLMSPELL__GTHR(w.me)->in_txn = 1;
    LLMSPELL__GTHR(w.me)->txn_seq = I->txn_seq;
    llmspell__gw_share(&w);
    return LLMSPELL_OK;
}

/* The calling thread's transaction, to end it: takes the graph's lock if it is not held. */
static llmspell_result llmspell__gtxn_end(llmspell_graph *g, llmspell__gimpl **I, llmspell__tslot **me, const char *what) {
    llmspell__gthr *S;
    llmspell_result r = llmspell__genter(g, I, me);
    if (r != LLMSPELL_OK) return r;
    S = LLMSPELL__GTHR(*me);
    if (!S || !S->in_txn)
        return llmspell__gerr(g, LLMSPELL_ERR_TXN, "graph: %s",
                              S && S->lost ? "the kv transaction of this graph transaction was ended on the kv" : what);
    if (!(*me)->depth && (r = llmspell__glock(*I, *me, 1)) != LLMSPELL_OK) return r;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_begin_at(llmspell_graph *g, llmspell_time tx) { return llmspell__gbegin(g, 1, tx); }
LLMSPELL_DEF llmspell_result llmspell_graph_begin(llmspell_graph *g) { return llmspell__gbegin(g, 0, 0); }

/* The index of the open transaction's MARK. */
static size_t llmspell__gtxn_mark(const llmspell__gimpl *I) {
    size_t m = I->nundo - 1;
    while (I->undo[m].op != LLMSPELL__U_MARK) m--;
    return m;
}

LLMSPELL_DEF llmspell_result llmspell_graph_commit(llmspell_graph *g) {
    llmspell__gimpl *I = NULL;
    llmspell__tslot *me = NULL;
    size_t m;
    llmspell_result r = llmspell__gtxn_end(g, &I, &me, "commit without begin");
    if (r != LLMSPELL_OK) return r;
    if (I->txn_failed) {
        if (!I->txn_alone) llmspell__gunlock(I, me);
        return llmspell__gerr(g, LLMSPELL_ERR_TXN, "graph: an earlier write in this transaction failed; roll it back");
    }
    m = llmspell__gtxn_mark(I);
    I->txn = I->txn_alone = I->hide = 0;
    LLMSPELL__GTHR(me)->in_txn = 0;
    if (!I->txn_owns) { /* the kv transaction is the caller's: the group waits for its outcome */
        if (!I->txn_dirty) llmspell__gundo_to(I, m);
    } else if ((r = llmspell_kv_commit(I->kv)) != LLMSPELL_OK) {
        llmspell__gkverr(I, r, "committing");
        llmspell__gundo_to(I, m);
    } else {
        llmspell__gfinal(I, m);
    }
    llmspell__gunlock(I, me);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_graph_rollback(llmspell_graph *g) {
    llmspell__gimpl *I = NULL;
    llmspell__tslot *me = NULL;
    llmspell_result r = llmspell__gtxn_end(g, &I, &me, "rollback without begin");
    if (r != LLMSPELL_OK) return r;
    I->txn = I->txn_alone = I->hide = 0;
    LLMSPELL__GTHR(me)->in_txn = 0;
    llmspell__gundo_to(I, llmspell__gtxn_mark(I));
    if (I->txn_owns) {
        r = llmspell_kv_rollback(I->kv);
        llmspell__gunlock(I, me);
        return r == LLMSPELL_OK ? r : llmspell__gkverr(I, r, "rolling back");
    }
    /* the caller's whole kv transaction goes: the groups it holds from before this transaction
       are settled once it is over, under the store's lock (so the graph's goes first) */
    llmspell__gunlock(I, me);
    if ((r = llmspell_kv_rollback(I->kv)) != LLMSPELL_OK) return llmspell__gkverr(I, r, "rolling back");
    return llmspell__gsettle(I, me, 0);
}

/* >>rows */
LLMSPELL_DEF void llmspell_graph_rows_free(llmspell_graph_rows *rows) {
    if (!rows) return;
    llmspell__gfree(&rows->alloc, rows->entity);
    llmspell__gfree(&rows->alloc, rows->rel);
    llmspell__gfree(&rows->alloc, rows->depth);
    llmspell__gfree(&rows->alloc, rows->parent);
    memset(rows, 0, sizeof *rows);
}

static int llmspell__grows_room(llmspell__gimpl *I, llmspell_graph_rows *rows, size_t need) {
    size_t n;
    void *p;
    if (rows->cap && memcmp(&rows->alloc, &I->a, sizeof I->a) != 0) llmspell_graph_rows_free(rows);
    if (need <= rows->cap) return 0;
    rows->alloc = I->a;
    n = rows->cap ? rows->cap * 2 : 16;
    while (n < need) n *= 2;
    if (n > ((size_t)-1) / sizeof *rows->entity) return -1;
    /* each array keeps working at the old capacity if a later one fails */
    if (!(p = llmspell__grealloc(&I->a, rows->entity, n * sizeof *rows->entity))) return -1;
    rows->entity = (llmspell_graph_entity *)p;
    if (!(p = llmspell__grealloc(&I->a, rows->rel, n * sizeof *rows->rel))) return -1;
    rows->rel = (llmspell_graph_rel *)p;
    if (!(p = llmspell__grealloc(&I->a, rows->depth, n * sizeof *rows->depth))) return -1;
    rows->depth = (uint32_t *)p;
    if (!(p = llmspell__grealloc(&I->a, rows->parent, n * sizeof *rows->parent))) return -1;
    rows->parent = (uint32_t *)p;
    rows->cap = n;
    return 0;
}

LLMSPELL_DEF size_t llmspell_graph_rows_path(const llmspell_graph_rows *rows, size_t i, const char **ids, size_t cap) {
    size_t n = 0, k;
    uint32_t j;
    if (!rows || i >= rows->count || !rows->parent) return 0;
    for (j = (uint32_t)i; j != LLMSPELL_GRAPH_NO_PARENT && n <= rows->count; j = rows->parent[j]) n++;
    for (j = (uint32_t)i, k = n; j != LLMSPELL_GRAPH_NO_PARENT && k > 0; j = rows->parent[j]) {
        k--;
        if (ids && k < cap) ids[k] = rows->entity[j].id;
    }
    return n;
}

/* >>reads: each runs between llmspell__grd_begin and llmspell__grd_end (the public functions).
   Answers point into the graph (see >>retire for how long that memory stays). */
static llmspell_time llmspell__gvt(llmspell__gimpl *I, llmspell_time v) {
    return v == LLMSPELL_GRAPH_NOW ? llmspell_time_now(&I->clock) : v;
}

/* A read's transaction time: at most what it may see (llmspell__grd.seen). */
static llmspell_time llmspell__gread_t(llmspell_time t, llmspell_time seen) { return t < seen ? t : seen; }

/* Whether n had a version by transaction time seen (an id another thread's open transaction
   made is unknown to other threads until it commits). */
static int llmspell__gknown(const llmspell__gnode *n, llmspell_time seen) {
    uint32_t i;
    if (seen == LLMSPELL_TIME_MAX) return n->nv > 0;
    for (i = 0; i < n->nv; i++)
        if (n->v[i].tf <= seen) return 1;
    return 0;
}

static llmspell__gnode *llmspell__gfind(llmspell__gimpl *I, int kind, const char *id, size_t n, llmspell_time seen) {
    llmspell__gnode *x = llmspell__gmap_find(llmspell__gmap_of(I, kind), id, n, llmspell__ghash(id, n));
    return x && llmspell__gknown(x, seen) ? x : NULL;
}

static llmspell_result llmspell__gget_entity(llmspell__gimpl *I, const char *id, llmspell_time v, llmspell_time t,
                                             llmspell_time seen, llmspell_graph_entity *out) {
    llmspell_graph *g = I->g;
    const llmspell__gslot *s;
    const llmspell__gver *x;
    uint32_t nclosed;
    size_t idn = 0;
    llmspell_result r;
    if ((r = llmspell__gcheck_id(I, id, "entity", &idn)) != LLMSPELL_OK) return r;
    if (!out) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: get_entity needs an output");
    if (!(s = llmspell__gmap_find_v(&I->ents, id, idn, llmspell__ghash(id, idn))))
        return llmspell__gerr_id(g, LLMSPELL_ERR_NOT_FOUND, "graph: no entity '", id, "'");
    memcpy(&nclosed, s->v + s->nv, 4);
    if (!(x = llmspell__gvis_a(s->v, s->nv, nclosed, llmspell__gvt(I, v), llmspell__gread_t(t, seen))))
        return llmspell__gerr_id(g, LLMSPELL_ERR_NOT_FOUND, "graph: entity '", id, "' is not visible at that time");
    llmspell__gfill_e(out, s->n, x, seen);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_get_entity(llmspell_graph *g, const char *id, llmspell_time v, llmspell_time t,
                                                       llmspell_graph_entity *out) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gget_entity(c.I, id, v, t, c.seen, out);
    return llmspell__grd_end(&c, r);
}

static llmspell_result llmspell__gget_rel(llmspell__gimpl *I, const char *id, llmspell_time v, llmspell_time t, llmspell_time seen,
                                          llmspell_graph_rel *out) {
    llmspell_graph *g = I->g;
    llmspell__gnode *n;
    const llmspell__gver *x;
    size_t idn = 0;
    llmspell_result r;
    if ((r = llmspell__gcheck_id(I, id, "relationship", &idn)) != LLMSPELL_OK) return r;
    if (!out) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: get_rel needs an output");
    n = llmspell__gfind(I, LLMSPELL__GR, id, idn, seen);
    if (!n) return llmspell__gerr_id(g, LLMSPELL_ERR_NOT_FOUND, "graph: no relationship '", id, "'");
    if (!(x = llmspell__grel_vis(n, llmspell__gvt(I, v), llmspell__gread_t(t, seen))))
        return llmspell__gerr_id(g, LLMSPELL_ERR_NOT_FOUND, "graph: relationship '", id, "' is not visible at that time");
    llmspell__gfill_r(out, n, x, seen);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_get_rel(llmspell_graph *g, const char *id, llmspell_time v, llmspell_time t,
                                                    llmspell_graph_rel *out) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gget_rel(c.I, id, v, t, c.seen, out);
    return llmspell__grd_end(&c, r);
}

static int llmspell__gcmp_e(const void *a, const void *b) {
    const llmspell_graph_entity *x = (const llmspell_graph_entity *)a, *y = (const llmspell_graph_entity *)b;
    int c = strcmp(x->id, y->id);
    if (c) return c;
    if (x->tx_from != y->tx_from) return x->tx_from < y->tx_from ? -1 : 1;
    return x->valid_from < y->valid_from ? -1 : x->valid_from > y->valid_from;
}
static int llmspell__gcmp_r(const void *a, const void *b) {
    const llmspell_graph_rel *x = (const llmspell_graph_rel *)a, *y = (const llmspell_graph_rel *)b;
    if (x->tx_from != y->tx_from) return x->tx_from < y->tx_from ? -1 : 1;
    return x->valid_from < y->valid_from ? -1 : x->valid_from > y->valid_from;
}

static llmspell_result llmspell__ghistory(llmspell__gimpl *I, int kind, const char *id, llmspell_time seen, llmspell_graph_rows *rows) {
    llmspell_graph *g = I->g;
    llmspell__gnode *n;
    size_t idn = 0;
    uint32_t i, k;
    llmspell_result r;
    const char *what = kind == LLMSPELL__GE ? "entity" : "relationship";
    if ((r = llmspell__gcheck_id(I, id, what, &idn)) != LLMSPELL_OK) return r;
    if (!rows) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: history needs rows");
    rows->count = 0;
    if (!(n = llmspell__gfind(I, kind, id, idn, seen))) return llmspell__gerr(g, LLMSPELL_ERR_NOT_FOUND, "graph: no %s '%.64s'", what, id);
    if (llmspell__grows_room(I, rows, n->nv)) return LLMSPELL__NOMEM(I, "for rows");
    for (i = k = 0; i < n->nv; i++) {
        if (n->v[i].tf > seen) continue;
        if (kind == LLMSPELL__GE) llmspell__gfill_e(&rows->entity[k++], n, &n->v[i], seen);
        else llmspell__gfill_r(&rows->rel[k++], n, &n->v[i], seen);
    }
    rows->count = k;
    if (kind == LLMSPELL__GE) qsort(rows->entity, rows->count, sizeof *rows->entity, llmspell__gcmp_e);
    else qsort(rows->rel, rows->count, sizeof *rows->rel, llmspell__gcmp_r);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_entity_history(llmspell_graph *g, const char *id, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__ghistory(c.I, LLMSPELL__GE, id, c.seen, rows);
    return llmspell__grd_end(&c, r);
}
LLMSPELL_DEF llmspell_result llmspell_graph_rel_history(llmspell_graph *g, const char *id, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__ghistory(c.I, LLMSPELL__GR, id, c.seen, rows);
    return llmspell__grd_end(&c, r);
}

static llmspell_result llmspell__gwindow(llmspell__gimpl *I, llmspell_time *a, llmspell_time *b, const char *what) {
    if (*a == 0 && *b == 0) {
        *a = LLMSPELL_TIME_MIN;
        *b = LLMSPELL_TIME_MAX;
    } else if (*a >= *b) {
        return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: %s window [%lld, %lld) is empty or inverted", what, (long long)*a,
                              (long long)*b);
    }
    return LLMSPELL_OK;
}

/* Candidates come from one list in which a node appears once (the name or type index, which
   lists each node once per string, or the map), so nothing needs marking. */
static llmspell_result llmspell__gquery(llmspell__gimpl *I, llmspell__gthr *S, const llmspell_graph_query_desc *q,
                                        llmspell_time seen, llmspell_graph_rows *rows) {
    llmspell_graph *g = I->g;
    llmspell_time va, vb, ta, tb;
    int current = 0;
    llmspell__gstr *ts = NULL, *ns = NULL;
    llmspell__gnode **list = NULL;
    size_t nlist = 0, i, f;
    uint32_t k;
    llmspell_result r;
    if (!q || !rows) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: query needs a query and rows");
    rows->count = 0;
    va = q->valid_from;
    vb = q->valid_to;
    ta = q->tx_from;
    tb = q->tx_to;
    if ((r = llmspell__gwindow(I, &va, &vb, "valid")) != LLMSPELL_OK) return r;
    if (ta == LLMSPELL_GRAPH_NOW && tb == LLMSPELL_GRAPH_NOW) current = 1;
    else if ((r = llmspell__gwindow(I, &ta, &tb, "transaction")) != LLMSPELL_OK) return r;
    if (q->nfilters && !q->filters) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: query filters are NULL");
    S->jfil.n = 0;
    if (LLMSPELL__GROW(I, S->fil, S->capfil, 2 * q->nfilters + 1)) return LLMSPELL__NOMEM(I, "for filters");
    for (f = 0; f < q->nfilters; f++) {
        const llmspell_graph_filter *x = &q->filters[f];
        if (!x->key || !x->value) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: filter %zu has a NULL key or value", f);
        if ((r = llmspell__gjson_canon(I, &S->jdoc, x->value, strlen(x->value), 0, "filter value", &S->js)) != LLMSPELL_OK) return r;
        S->fil[2 * f] = S->jfil.n;
        S->fil[2 * f + 1] = S->js.n;
        if (llmspell__gbuf_add(&I->a, &S->jfil, S->js.p, S->js.n)) return LLMSPELL__NOMEM(I, "for filters");
    }
    if (q->type && !(ts = llmspell__gstr_find(I, q->type, strlen(q->type), llmspell__ghash(q->type, strlen(q->type))))) return LLMSPELL_OK;
    if (q->name && !(ns = llmspell__gstr_find(I, q->name, strlen(q->name), llmspell__ghash(q->name, strlen(q->name))))) return LLMSPELL_OK;
    /* candidates: the name index, the type index, or every entity */
    if (ns) {
        list = ns->nodes;
        nlist = ns->nn;
    } else if (ts) {
        list = ts->nodes;
        nlist = ts->nn;
    } else {
        list = NULL;
        nlist = I->ents.slot ? I->ents.mask + 1 : 0;
    }
    for (i = 0; i < nlist; i++) {
        llmspell__gnode *n = list ? list[i] : I->ents.slot[i].n;
        if (!n || n->dead) continue;
        for (k = 0; k < n->nv; k++) {
            const llmspell__gver *x = &n->v[k];
            llmspell_time tt = llmspell__gtx_to(x, seen);
            if ((ts && x->type != ts) || (ns && x->name != ns)) continue;
            if (!(x->vf < vb && va < x->vt) || x->tf > seen) continue;
            if (current ? tt != LLMSPELL_TIME_MAX : !(x->tf < tb && ta < tt)) continue;
            for (f = 0; f < q->nfilters; f++) {
                size_t vn;
                const char *val = llmspell__gjson_member(x->props->s, x->props->len, q->filters[f].key, strlen(q->filters[f].key), &vn);
                if (!val || vn != S->fil[2 * f + 1] || memcmp(val, S->jfil.p + S->fil[2 * f], vn) != 0) break;
            }
            if (f < q->nfilters) continue;
            if (llmspell__grows_room(I, rows, rows->count + 1)) {
                rows->count = 0;
                return LLMSPELL__NOMEM(I, "for rows");
            }
            llmspell__gfill_e(&rows->entity[rows->count++], n, x, seen);
        }
    }
    if (rows->count > 1) qsort(rows->entity, rows->count, sizeof *rows->entity, llmspell__gcmp_e);
    if (q->limit && rows->count > q->limit) rows->count = q->limit;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_query(llmspell_graph *g, const llmspell_graph_query_desc *q, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gquery(c.I, LLMSPELL__GTHR(c.me), q, c.seen, rows);
    return llmspell__grd_end(&c, r);
}

/* Common checks of the graph walks; *ts is NULL for any type, *none set when no relationship
   can match (a type never used). */
static llmspell_result llmspell__gwalk_args(llmspell__gimpl *I, const char *id, llmspell_graph_dir dir, const char *rel_type,
                                            llmspell_time seen, llmspell_graph_rows *rows, llmspell__gnode **n, llmspell__gstr **ts,
                                            int *none) {
    size_t idn = 0;
    llmspell_result r;
    if ((r = llmspell__gcheck_id(I, id, "entity", &idn)) != LLMSPELL_OK) return r;
    if (!rows) return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: a walk needs rows");
    rows->count = 0;
    if (dir != LLMSPELL_GRAPH_OUT && dir != LLMSPELL_GRAPH_IN && dir != LLMSPELL_GRAPH_BOTH)
        return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: direction %d is not OUT, IN or BOTH", (int)dir);
    if (!(*n = llmspell__gfind(I, LLMSPELL__GE, id, idn, seen))) return llmspell__gerr(I->g, LLMSPELL_ERR_NOT_FOUND, "graph: no entity '%.64s'", id);
    *ts = NULL;
    *none = 0;
    if (rel_type) {
        size_t tn = strlen(rel_type);
        *ts = llmspell__gstr_find(I, rel_type, tn, llmspell__ghash(rel_type, tn));
        *none = !*ts;
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gneighbors(llmspell__gimpl *I, const char *id, llmspell_graph_dir dir, const char *rel_type, llmspell_time v,
                                            llmspell_time t, llmspell_time seen, llmspell_graph_rows *rows) {
    llmspell__gnode *n;
    llmspell__gstr *ts;
    int none, pass;
    uint32_t k;
    llmspell_result r;
    if ((r = llmspell__gwalk_args(I, id, dir, rel_type, seen, rows, &n, &ts, &none)) != LLMSPELL_OK) return r;
    v = llmspell__gvt(I, v);
    t = llmspell__gread_t(t, seen);
    if (none || !llmspell__gvis(n, v, t)) return LLMSPELL_OK;
    for (pass = 0; pass < 2; pass++) {
        llmspell__gnode **arr = pass ? n->in : n->out;
        uint32_t cnt = pass ? n->nin : n->nout;
        if (!(dir & (pass ? LLMSPELL_GRAPH_IN : LLMSPELL_GRAPH_OUT))) continue;
        for (k = 0; k < cnt; k++) {
            llmspell__gnode *rel = arr[k], *m = pass ? rel->src : rel->dst;
            const llmspell__gver *rv, *mv;
            if (pass && dir == LLMSPELL_GRAPH_BOTH && rel->src == rel->dst) continue;
            if (!(rv = llmspell__gvis(rel, v, t)) || (ts && rv->type != ts) || !(mv = llmspell__gvis(m, v, t))) continue;
            if (llmspell__grows_room(I, rows, rows->count + 1)) {
                rows->count = 0;
                return LLMSPELL__NOMEM(I, "for rows");
            }
            llmspell__gfill_e(&rows->entity[rows->count], m, mv, seen);
            llmspell__gfill_r(&rows->rel[rows->count], rel, rv, seen);
            rows->depth[rows->count] = 1;
            rows->parent[rows->count] = LLMSPELL_GRAPH_NO_PARENT;
            rows->count++;
        }
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_neighbors(llmspell_graph *g, const char *id, llmspell_graph_dir dir, const char *rel_type,
                                                      llmspell_time v, llmspell_time t, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gneighbors(c.I, id, dir, rel_type, v, t, c.seen, rows);
    return llmspell__grd_end(&c, r);
}

/* >>walks: the entities a breadth-first search has reached, a set in the calling thread's
   scratch (open addressing by id hash). Each walk has its own tag, so the entries of earlier
   walks are stale without clearing and a walk starts in O(1). */
static void llmspell__gseen_start(llmspell__gthr *S) {
    S->nseen = 0;
    if (++S->walk == 0) { /* wrapped: no old entry may look current */
        if (S->seen) memset(S->seen, 0, (S->seenmask + 1) * sizeof *S->seen);
        S->walk = 1;
    }
}

/* Room for k more entries (load <= 1/2); -1: no memory. The check is inline, the growth not. */
#define LLMSPELL__GSEEN_ROOM(I, S, k) \
    ((S)->seen && ((S)->nseen + (k)) * 2 <= (S)->seenmask + 1 ? 0 : llmspell__gseen_grow((I), (S), (k)))
static int llmspell__gseen_grow(llmspell__gimpl *I, llmspell__gthr *S, size_t k) {
    size_t nc, i, j;
    llmspell__gseen *t;
    if (S->nseen + k > ((size_t)-1) / 4 / sizeof *t) return -1;
    for (nc = S->seen ? (S->seenmask + 1) * 2 : 64; nc < (S->nseen + k) * 2;) nc *= 2;
    if (!(t = (llmspell__gseen *)llmspell__galloc(&I->a, nc * sizeof *t))) return -1;
    memset(t, 0, nc * sizeof *t);
    for (j = 0; S->seen && j <= S->seenmask; j++) {
        if (S->seen[j].walk != S->walk) continue;
        for (i = S->seen[j].n->hash & (nc - 1); t[i].walk == S->walk; i = (i + 1) & (nc - 1)) {}
        t[i] = S->seen[j];
    }
    llmspell__gfree(&I->a, S->seen);
    S->seen = t;
    S->seenmask = nc - 1;
    return 0;
}

/* n's entry in seen[0..mask] if the walk reached it (->walk is the walk's), else the free entry
   where it goes. The table is passed apart: the walk reads it in its innermost loop. */
static llmspell__gseen *llmspell__gseen_slot(llmspell__gseen *seen, size_t mask, uint32_t walk, const llmspell__gnode *n) {
    size_t i;
    for (i = n->hash & mask; seen[i].walk == walk; i = (i + 1) & mask)
        if (seen[i].n == n) break;
    return &seen[i];
}

static void llmspell__gseen_put(llmspell__gthr *S, llmspell__gseen *x, const llmspell__gnode *n, uint32_t walk) {
    x->n = n;
    x->walk = walk;
    S->nseen++;
}

/* Breadth-first search from start at (v, t) into rows (the graph's own strings); stops early
   when it reaches target. */
static llmspell_result llmspell__gbfs(llmspell__gimpl *I, llmspell__gthr *S, llmspell__gnode *start, llmspell_graph_dir dir,
                                      const llmspell__gstr *ts, int none, unsigned maxd, llmspell_time v, llmspell_time seen,
                                      llmspell_time t, llmspell_graph_rows *rows, const llmspell__gnode *target, size_t *found) {
    const llmspell__gver *sv;
    llmspell__gseen *reached;
    size_t i, smask;
    uint32_t k, walk;
    int pass;
    rows->count = 0;
    *found = (size_t)-1;
    t = llmspell__gread_t(t, seen);
    if (!(sv = llmspell__gvis(start, v, t))) return LLMSPELL_OK;
    llmspell__gseen_start(S);
    if (llmspell__grows_room(I, rows, 1) || LLMSPELL__GROW(I, S->qn, S->capqn, 1) || LLMSPELL__GSEEN_ROOM(I, S, 1))
        return LLMSPELL__NOMEM(I, "for rows");
    walk = S->walk;
    llmspell__gseen_put(S, llmspell__gseen_slot(S->seen, S->seenmask, walk, start), start, walk);
    llmspell__gfill_e(&rows->entity[0], start, sv, seen);
    memset(&rows->rel[0], 0, sizeof rows->rel[0]);
    rows->depth[0] = 0;
    rows->parent[0] = LLMSPELL_GRAPH_NO_PARENT;
    S->qn[0] = start;
    rows->count = 1;
    if (start == target) {
        *found = 0;
        return LLMSPELL_OK;
    }
    if (none) return LLMSPELL_OK;
    for (i = 0; i < rows->count && rows->depth[i] < maxd; i++) {
        llmspell__gnode *n = S->qn[i];
        for (pass = 0; pass < 2; pass++) {
            llmspell__gnode **arr = pass ? n->in : n->out;
            uint32_t cnt = pass ? n->nin : n->nout;
            if (!(dir & (pass ? LLMSPELL_GRAPH_IN : LLMSPELL_GRAPH_OUT))) continue;
            /* room for every row this node can add, once (not per candidate) */
            if ((rows->count + cnt > rows->cap && llmspell__grows_room(I, rows, rows->count + cnt)) ||
                LLMSPELL__GROW(I, S->qn, S->capqn, rows->count + cnt) || LLMSPELL__GSEEN_ROOM(I, S, cnt)) {
                rows->count = 0;
                return LLMSPELL__NOMEM(I, "for rows");
            }
            reached = S->seen;
            smask = S->seenmask;
            for (k = 0; k < cnt; k++) {
                llmspell__gnode *rel = arr[k], *m = pass ? rel->src : rel->dst;
                const llmspell__gver *rv, *mv;
                llmspell__gseen *x;
                size_t c = rows->count;
                if ((x = llmspell__gseen_slot(reached, smask, walk, m))->walk == walk) continue; /* reached before */
                if (!(rv = llmspell__gvis(rel, v, t)) || (ts && rv->type != ts) || !(mv = llmspell__gvis(m, v, t))) continue;
                llmspell__gseen_put(S, x, m, walk);
                S->qn[c] = m;
                llmspell__gfill_e(&rows->entity[c], m, mv, seen);
                llmspell__gfill_r(&rows->rel[c], rel, rv, seen);
                rows->depth[c] = rows->depth[i] + 1;
                rows->parent[c] = (uint32_t)i;
                rows->count = c + 1;
                if (m == target) {
                    *found = c;
                    return LLMSPELL_OK;
                }
            }
        }
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gcheck_depth(llmspell__gimpl *I, unsigned d) {
    if (d == 0) return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: a traversal needs a depth of at least 1");
    if (d > LLMSPELL_GRAPH_MAX_DEPTH)
        return llmspell__gerr(I->g, LLMSPELL_ERR_TOO_LARGE, "graph: depth %u is over the maximum of %d", d, LLMSPELL_GRAPH_MAX_DEPTH);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gtraverse(llmspell__gimpl *I, llmspell__gthr *S, const char *id, llmspell_graph_dir dir, const char *rel_type,
                                           unsigned max_depth, llmspell_time v, llmspell_time t, llmspell_time seen,
                                           llmspell_graph_rows *rows) {
    llmspell__gnode *n;
    llmspell__gstr *ts;
    int none;
    size_t found;
    llmspell_result r;
    if ((r = llmspell__gwalk_args(I, id, dir, rel_type, seen, rows, &n, &ts, &none)) != LLMSPELL_OK) return r;
    if ((r = llmspell__gcheck_depth(I, max_depth)) != LLMSPELL_OK) return r;
    return llmspell__gbfs(I, S, n, dir, ts, none, max_depth, llmspell__gvt(I, v), seen, t, rows, NULL, &found);
}

LLMSPELL_DEF llmspell_result llmspell_graph_traverse(llmspell_graph *g, const char *id, llmspell_graph_dir dir, const char *rel_type,
                                                     unsigned max_depth, llmspell_time v, llmspell_time t, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gtraverse(c.I, LLMSPELL__GTHR(c.me), id, dir, rel_type, max_depth, v, t, c.seen, rows);
    return llmspell__grd_end(&c, r);
}

static llmspell_result llmspell__gshortest(llmspell__gimpl *I, llmspell__gthr *S, const char *from, const char *to, llmspell_graph_dir dir,
                                           const char *rel_type, unsigned max_depth, llmspell_time v, llmspell_time t,
                                           llmspell_time seen, llmspell_graph_rows *rows) {
    llmspell__gnode *n, *target;
    llmspell__gstr *ts;
    llmspell_graph_rows *tmp = &S->path;
    int none;
    size_t found, tn = 0, len, i;
    uint32_t j;
    llmspell_result r;
    if ((r = llmspell__gwalk_args(I, from, dir, rel_type, seen, rows, &n, &ts, &none)) != LLMSPELL_OK) return r;
    if ((r = llmspell__gcheck_id(I, to, "entity", &tn)) != LLMSPELL_OK) return r;
    if (!(target = llmspell__gfind(I, LLMSPELL__GE, to, tn, seen))) return llmspell__gerr(I->g, LLMSPELL_ERR_NOT_FOUND, "graph: no entity '%.64s'", to);
    if ((r = llmspell__gcheck_depth(I, max_depth)) != LLMSPELL_OK) return r;
    if ((r = llmspell__gbfs(I, S, n, dir, ts, none, max_depth, llmspell__gvt(I, v), seen, t, tmp, target, &found)) != LLMSPELL_OK) return r;
    if (found == (size_t)-1)
        return llmspell__gerr(I->g, LLMSPELL_ERR_NOT_FOUND, "graph: no path from '%.64s' to '%.64s' within %u hops", from, to, max_depth);
    len = tmp->depth[found] + 1;
    if (llmspell__grows_room(I, rows, len)) return LLMSPELL__NOMEM(I, "for rows");
    for (j = (uint32_t)found, i = len; j != LLMSPELL_GRAPH_NO_PARENT; j = tmp->parent[j]) {
        i--;
        rows->entity[i] = tmp->entity[j];
        rows->rel[i] = tmp->rel[j];
        rows->depth[i] = (uint32_t)i;
        rows->parent[i] = i ? (uint32_t)i - 1 : LLMSPELL_GRAPH_NO_PARENT;
    }
    rows->count = len;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_shortest_path(llmspell_graph *g, const char *from, const char *to, llmspell_graph_dir dir,
                                                          const char *rel_type, unsigned max_depth, llmspell_time v,
                                                          llmspell_time t, llmspell_graph_rows *rows) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__gshortest(c.I, LLMSPELL__GTHR(c.me), from, to, dir, rel_type, max_depth, v, t, c.seen, rows);
    return llmspell__grd_end(&c, r);
}

/* >>open / close */
static int llmspell__gver_order(const void *a, const void *b) {
    const llmspell__gver *x = (const llmspell__gver *)a, *y = (const llmspell__gver *)b;
    int cx = x->tt == LLMSPELL_TIME_MAX, cy = y->tt == LLMSPELL_TIME_MAX;
    if (cx != cy) return cx - cy; /* closed first */
    if (!cx) {
        if (x->tt != y->tt) return x->tt < y->tt ? -1 : 1;
        if (x->tf != y->tf) return x->tf < y->tf ? -1 : 1;
    }
    return x->vf < y->vf ? -1 : x->vf > y->vf;
}

/* Puts the pending loaded nodes of a kind into its map (prefetching ahead: the probes are
   random). */
static int llmspell__gload_flush(llmspell__gimpl *I, int kind) {
    int k = kind == LLMSPELL__GE ? 0 : 1;
    size_t i, n = I->nld[k];
    llmspell__gnode **l = I->ld[k];
    llmspell__gmap *m = llmspell__gmap_of(I, kind);
    if (!I->pend[k]) return 0;
    if (llmspell__gmap_reserve(I, m, m->count + n)) return -1;
    for (i = 0; i < n; i++) {
        if (i + 16 < n) LLMSPELL__GPREFETCH(l[i + 16]);
        if (i + 8 < n) LLMSPELL__GPREFETCH(&m->slot[l[i + 8]->hash & m->mask]);
        llmspell__gmap_put(m, l[i]);
    }
    I->pend[k] = 0;
    return 0;
}

/* A loaded node's versions grew by doubling: give back the room left over (if realloc will). */
static void llmspell__gload_fit(llmspell__gimpl *I, llmspell__gnode *x) {
    llmspell__gver *p;
    if (!x || x->vcap <= x->nv || !x->nv) return;
    if ((p = (llmspell__gver *)llmspell__grealloc(&I->a, x->v, llmspell__gvbytes(x->nv, x->idlen))) != NULL) {
        x->v = p;
        x->vcap = x->nv;
    }
}

static llmspell__gnode *llmspell__gload_node(llmspell__gimpl *I, int kind, const char *id, size_t n) {
    uint32_t h = llmspell__ghash(id, n);
    llmspell__gmap *m = llmspell__gmap_of(I, kind);
    llmspell__gnode *x = llmspell__gmap_find(m, id, n, h);
    if (x) return x;
    if (llmspell__gmap_reserve(I, m, m->count + 1) || !(x = llmspell__gnode_new(I, kind, id, n, h))) return NULL;
    llmspell__gmap_put(m, x);
    return x;
}

static llmspell_result llmspell__gload(llmspell__gimpl *I, int kind) {
    uint8_t prefix[3];
    llmspell_kv_iter *it;
    const void *kp, *vp;
    size_t kn, vn, count = 0;
    char id[LLMSPELL__GRAPH_FORM_MAX_ID + 1];
    llmspell__gnode *last = NULL;
    llmspell_result r;
    const char *what = kind == LLMSPELL__GE ? "entity" : "relationship";
    int k = kind == LLMSPELL__GE ? 0 : 1;
    I->sorted[k] = 1;
    prefix[0] = 0xFF;
    prefix[1] = 'G';
    prefix[2] = (uint8_t)kind;
    if ((r = llmspell_kv_iter_open(I->kv, prefix, 3, &it)) != LLMSPELL_OK) return llmspell__gkverr(I, r, "scanning");
    while ((r = llmspell_kv_iter_next(it, &kp, &kn, &vp, &vn)) == LLMSPELL_OK) {
        llmspell__gform f;
        size_t idn;
        llmspell__gver *x;
        const char *bad;
        count++;
        bad = llmspell__gform_decode(kind, (const uint8_t *)kp + 3, (const uint8_t *)kp + kn, vp, vn, id, &f);
        if (bad && strcmp(bad, "empty interval") != 0 && strcmp(bad, "bad endpoint") != 0) {
            llmspell_kv_iter_close(it);
            return llmspell__gerr(I->g, bad[0] == 'u' ? LLMSPELL_ERR_FORMAT : LLMSPELL_ERR_CORRUPT, "graph: %s record %zu: %s", what, count, bad);
        }
        idn = f.idn;
        id[idn] = 0;
        if (!last || last->idlen != idn || memcmp(last->id, id, idn) != 0) {
            llmspell__gload_fit(I, last);
            if (I->sorted[k] && (!last || llmspell__gcmp(last->id, last->idlen, id, idn) < 0)) {
                /* ids come in increasing order (the store is sorted): a new one cannot be in the
                   map yet; the map is filled in one go at the end */
                last = NULL;
                if (!LLMSPELL__GROW(I, I->ld[k], I->capld[k], I->nld[k] + 1) &&
                    (last = llmspell__gnode_new(I, kind, id, idn, llmspell__ghash(id, idn))) != NULL) {
                    I->ld[k][I->nld[k]++] = last;
                    I->pend[k] = 1;
                }
            } else { /* not in order after all: the general way */
                last = NULL;
                if (!llmspell__gload_flush(I, kind)) {
                    I->sorted[k] = 0;
                    last = llmspell__gload_node(I, kind, id, idn);
                }
            }
        }
        if (last && last->nv == last->vcap) { /* most ids have one or a few versions: grow from 1 */
            uint32_t nc = last->vcap ? last->vcap * 2 : 1;
            llmspell__gver *nvv = nc < last->vcap ? NULL : (llmspell__gver *)llmspell__grealloc(&I->a, last->v, llmspell__gvbytes(nc, idn));
            if (nvv) {
                last->v = nvv;
                last->vcap = nc;
            }
        }
        if (!last || last->nv == last->vcap) {
            llmspell_kv_iter_close(it);
            return LLMSPELL__NOMEM(I, "loading the graph");
        }
        x = &last->v[last->nv];
        memset(x, 0, sizeof *x);
        x->tf = f.tf;
        x->vf = f.vf;
        x->vt = f.vt;
        x->tt = f.tt;
        x->created = f.created;
        if (!bad && kind == LLMSPELL__GR) {
            if (!last->src) { /* endpoints: entities (loaded first), or placeholders left by retention */
                if (!(last->src = llmspell__gload_node(I, LLMSPELL__GE, f.a, f.an)) ||
                    !(last->dst = llmspell__gload_node(I, LLMSPELL__GE, f.b, f.bn))) {
                    llmspell_kv_iter_close(it);
                    return LLMSPELL__NOMEM(I, "loading the graph");
                }
            } else if (last->src->idlen != f.an || memcmp(last->src->id, f.a, f.an) != 0 || last->dst->idlen != f.bn ||
                       memcmp(last->dst->id, f.b, f.bn) != 0) {
                bad = "endpoints differ between versions";
            }
        }
        if (bad) {
            llmspell_kv_iter_close(it);
            return llmspell__gerr(I->g, LLMSPELL_ERR_CORRUPT, "graph: %s record %zu ('%.64s'): %s", what, count, id, bad);
        }
        if (!(x->type = llmspell__gstr_get(I, f.type, f.typen)) || !(x->props = llmspell__gstr_get(I, f.props, f.propsn)) ||
            (kind == LLMSPELL__GE && !(x->name = llmspell__gstr_get(I, f.a, f.an)))) {
            llmspell__gstr_unref(I, x->type);
            llmspell__gstr_unref(I, x->props);
            llmspell_kv_iter_close(it);
            return LLMSPELL__NOMEM(I, "loading the graph");
        }
        last->nv++;
    }
    llmspell_kv_iter_close(it);
    if (r != LLMSPELL_ERR_NOT_FOUND) return llmspell__gkverr(I, r, "scanning");
    llmspell__gload_fit(I, last);
    return llmspell__gload_flush(I, kind) ? LLMSPELL__NOMEM(I, "loading the graph") : LLMSPELL_OK;
}

/* After loading: order the versions, check them, build the indexes. */
static llmspell_result llmspell__gfinish_node(llmspell__gimpl *I, llmspell__gnode *n, int sorted) {
    uint32_t k;
    if (n->nv > 1) qsort(n->v, n->nv, sizeof *n->v, llmspell__gver_order);
    for (n->nclosed = 0; n->nclosed < n->nv && n->v[n->nclosed].tt != LLMSPELL_TIME_MAX; n->nclosed++) {}
    llmspell__gvtail(n->v, n->nv, n->nclosed, n->id, n->idlen);
    if (!sorted) llmspell__gmap_sync(llmspell__gmap_of(I, n->kind), n); /* else the flush copied the final array */
    for (k = 0; k < n->nv; k++) {
        if (n->v[k].tf > I->last_tx) I->last_tx = n->v[k].tf;
        if (n->v[k].tt != LLMSPELL_TIME_MAX && n->v[k].tt > I->last_tx) I->last_tx = n->v[k].tt;
        if (k > n->nclosed && n->v[k - 1].vt > n->v[k].vf)
            return llmspell__gerr(I->g, LLMSPELL_ERR_CORRUPT, "graph: current versions of '%.64s' overlap in valid time", n->id);
    }
    if (n->kind == LLMSPELL__GE) {
        if (llmspell__gmem_room(I, n, n->v, n->nv, NULL)) return LLMSPELL__NOMEM(I, "loading the graph");
        llmspell__gmem_add(n, n->v, n->nv, NULL);
    } else if (sorted) { /* count the endpoints' relationships; linked below */
        n->src->outcap++;
        n->dst->incap++;
    } else {
        if (llmspell__glink_room(I, n->src, n->dst)) return LLMSPELL__NOMEM(I, "loading the graph");
        llmspell__glink(n);
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__gfinish(llmspell__gimpl *I, int kind) {
    int k = kind == LLMSPELL__GE ? 0 : 1, sorted = I->sorted[k];
    llmspell__gmap *m = llmspell__gmap_of(I, kind);
    llmspell__gnode **l = I->ld[k];
    size_t i, n = I->nld[k];
    llmspell_result r;
    if (!sorted) {
        for (i = 0; m->slot && i <= m->mask; i++)
            if (m->slot[i].n && (r = llmspell__gfinish_node(I, m->slot[i].n, 0)) != LLMSPELL_OK) return r;
        return LLMSPELL_OK;
    }
    /* every node with versions is in the list (placeholder endpoints have none) */
    for (i = 0; i < n; i++) {
        if (i + 4 < n) {
            LLMSPELL__GPREFETCH(l[i + 4]->v);
            if (kind == LLMSPELL__GR) {
                LLMSPELL__GPREFETCH(l[i + 4]->src);
                LLMSPELL__GPREFETCH(l[i + 4]->dst);
            }
        }
        if (i + 8 < n) LLMSPELL__GPREFETCH(l[i + 8]);
        if ((r = llmspell__gfinish_node(I, l[i], 1)) != LLMSPELL_OK) return r;
    }
    if (kind == LLMSPELL__GE) return LLMSPELL_OK;
    /* relationships in id order: appending keeps the adjacency arrays sorted; each sized
       exactly, from the counts in outcap / incap (the arrays are all unallocated so far) */
    for (i = 0; i < n; i++) {
        llmspell__gnode *x = l[i], *a = x->src, *b = x->dst;
        if (i + 8 < n) {
            LLMSPELL__GPREFETCH(l[i + 8]->src);
            LLMSPELL__GPREFETCH(l[i + 8]->dst);
        }
        if (!a->out && !(a->out = (llmspell__gnode **)llmspell__galloc(&I->a, (size_t)a->outcap * sizeof *a->out)))
            return LLMSPELL__NOMEM(I, "loading the graph");
        if (!b->in && !(b->in = (llmspell__gnode **)llmspell__galloc(&I->a, (size_t)b->incap * sizeof *b->in)))
            return LLMSPELL__NOMEM(I, "loading the graph");
        a->out[a->nout++] = x;
        b->in[b->nin++] = x;
    }
    return LLMSPELL_OK;
}

/* Frees what open keeps aside: the load lists, and the nodes still pending in them. */
static void llmspell__gload_done(llmspell__gimpl *I) {
    int k;
    size_t i;
    for (k = 0; k < 2; k++) {
        if (I->pend[k])
            for (i = 0; i < I->nld[k]; i++) llmspell__gnode_free(I, I->ld[k][i]);
        llmspell__gfree(&I->a, I->ld[k]);
        I->ld[k] = NULL;
        I->nld[k] = I->capld[k] = 0;
        I->pend[k] = 0;
    }
}

/* Reads the meta record, then every entity and relationship into the empty maps. */
static llmspell_result llmspell__gload_all(llmspell__gimpl *I) {
    const void *v;
    size_t vn;
    llmspell_result r = llmspell_kv_get(I->kv, llmspell__gmeta_key, 3, &v, &vn);
    I->seq = 0;
    if (r == LLMSPELL_OK) {
        if ((r = llmspell__gmeta_read(v, vn, &I->last_tx, &I->seq)) != LLMSPELL_OK)
            r = llmspell__gerr(I->g, r, "graph: bad meta record (%zu bytes)", vn);
    } else if (r == LLMSPELL_ERR_NOT_FOUND) {
        r = LLMSPELL_OK;
    } else {
        r = llmspell__gkverr(I, r, "reading the meta record");
    }
    if (r == LLMSPELL_OK) r = llmspell__gload(I, LLMSPELL__GE);
    if (r == LLMSPELL_OK) r = llmspell__gload(I, LLMSPELL__GR);
    if (r == LLMSPELL_OK) r = llmspell__gfinish(I, LLMSPELL__GE);
    if (r == LLMSPELL_OK) r = llmspell__gfinish(I, LLMSPELL__GR);
    llmspell__gload_done(I);
    return r;
}

static void llmspell__gfree_all(llmspell__gimpl *I) {
    size_t i;
    llmspell__gload_done(I);
    llmspell__gfinal(I, 0);
    llmspell__gdrop_nodes(I);
    for (i = 0; I->sb && i <= I->smask; i++) { /* nothing should be left; free it anyway */
        llmspell__gstr *x = I->sb[i], *nx;
        for (; x; x = nx) {
            nx = x->next;
            llmspell__gfree(&I->a, x->nodes);
            llmspell__gfree(&I->a, x);
        }
    }
    llmspell__gfree(&I->a, I->sb);
    llmspell__gfree(&I->a, I->undo);
    llmspell__gfree(&I->a, I->grave);
    llmspell__gbuf_free(&I->a, &I->key);
    llmspell__gbuf_free(&I->a, &I->val);
    llmspell__gbuf_free(&I->a, &I->js);
    llmspell_json_doc_free(I->jdoc);
    llmspell_json_doc_free(I->jdoc2);
    llmspell__gbuf_free(&I->a, &I->jpatch);
    llmspell__gbuf_free(&I->a, &I->jmerge);
    llmspell__gfree(&I->a, I->bnd);
    llmspell__gfree(&I->a, I->seg);
    llmspell__gfree(&I->a, I->rep);
    llmspell__gfree(&I->a, I->fresh);
    llmspell__gfree(&I->a, I->runs);
    llmspell__gfree(&I->a, I->pieces);
    llmspell__gfree(&I->a, I->removed);
    llmspell__gfree(&I->a, I->qn);
    while (I->limbo) { /* closing: no other thread uses the graph any more */
        llmspell__glimbo *l = I->limbo;
        I->limbo = l->next;
        llmspell__gfree(&I->a, l);
    }
    llmspell__tslots_free(&I->ts, &I->a, I);
#ifndef LLMSPELL_NO_THREADS
    llmspell__rw_destroy(&I->lock);
#endif
    llmspell__gfree(&I->a, I);
}

LLMSPELL_DEF llmspell_result llmspell_graph_open(llmspell_graph *g, llmspell_kv *kv, const llmspell_graph_options *opts) {
    llmspell__gimpl *I;
    llmspell_result r;
    if (!g) return LLMSPELL_ERR_INVALID;
    memset(g, 0, sizeof *g);
    if (!kv) return llmspell__gerr(g, LLMSPELL_ERR_INVALID, "graph: the kv store is NULL");
    if (!kv->open) return llmspell__gerr(g, LLMSPELL_ERR_CLOSED, "graph: the kv store is closed");
    I = (llmspell__gimpl *)llmspell__galloc(&kv->allocator, sizeof *I);
    if (!I) return llmspell__gerr(g, LLMSPELL_ERR_NOMEM, "graph: out of memory opening");
    memset(I, 0, sizeof *I);
#ifndef LLMSPELL_NO_THREADS
    if (llmspell__rw_init(&I->lock) != 0) {
        llmspell__gfree(&kv->allocator, I);
        return llmspell__gerr(g, LLMSPELL_ERR_NOMEM, "graph: cannot create its lock");
    }
#endif
    I->a = kv->allocator;
    I->g = g;
    I->kv = kv;
    if (opts) I->clock = opts->clock;
    I->last_tx = LLMSPELL_TIME_MIN;
    I->gen = 1; /* what open loads is born at 1; pin 0 means "holds nothing" */
    g->impl = I;
    g->kv = kv;
    {
        llmspell_kv_characteristics ch;
        I->shared = llmspell_kv_characteristics_get(kv, &ch) == LLMSPELL_OK && ch.shared;
    }
    if ((r = llmspell__gload_all(I)) != LLMSPELL_OK) {
        llmspell__gfree_all(I);
        g->impl = NULL;
    }
    return r;
}

/* Closing is one thread's business: no other thread may be using the graph. */
LLMSPELL_DEF void llmspell_graph_close(llmspell_graph *g) {
    llmspell__gimpl *I;
    llmspell__tslot *me;
    if (!g || !(I = LLMSPELL__GI(g))) return;
    me = llmspell__tslot_find(&I->ts);
    if (me && LLMSPELL__GTHR(me) && LLMSPELL__GTHR(me)->in_txn && I->txn && I->txn_owns && llmspell_kv_in_txn(I->kv)) {
        /* this thread's transaction */
        (void)llmspell_kv_rollback(I->kv);
        llmspell__gundo_to(I, 0);
    }
    llmspell__gfree_all(I);
    g->impl = NULL;
}

LLMSPELL_DEF const char *llmspell_graph_errmsg(const llmspell_graph *g) { return g ? llmspell__gmsg(g) : "no handle"; }

static llmspell_result llmspell__ginfo(llmspell__gimpl *I, const llmspell__gthr *S, llmspell_time seen, llmspell_graph_info *out) {
    int pass;
    size_t i;
    uint32_t k, nv;
    if (!out) return llmspell__gerr(I->g, LLMSPELL_ERR_INVALID, "graph: info needs an output");
    memset(out, 0, sizeof *out);
    for (pass = 0; pass < 2; pass++) {
        llmspell__gmap *m = pass ? &I->rels : &I->ents;
        for (i = 0; m->slot && i <= m->mask; i++) {
            llmspell__gnode *n = m->slot[i].n;
            if (!n) continue;
            if (seen == LLMSPELL_TIME_MAX) nv = n->nv;
            else
                for (k = nv = 0; k < n->nv; k++) nv += n->v[k].tf <= seen;
            if (!nv) continue;
            if (pass) {
                out->relationships++;
                out->rel_versions += nv;
            } else {
                out->entities++;
                out->entity_versions += nv;
            }
        }
    }
    out->last_tx = seen != LLMSPELL_TIME_MAX ? seen : I->last_tx;
    out->in_txn = S->in_txn;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_graph_info_get(llmspell_graph *g, llmspell_graph_info *out) {
    llmspell__grd c;
    llmspell_result r = llmspell__grd_begin(g, &c);
    if (r == LLMSPELL_OK) r = llmspell__ginfo(c.I, LLMSPELL__GTHR(c.me), c.seen, out);
    return llmspell__grd_end(&c, r);
}

#endif /* LLMSPELL_GRAPH_IMPLEMENTATION_ONCE */
#endif /* LLMSPELL_GRAPH_IMPLEMENTATION */

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
