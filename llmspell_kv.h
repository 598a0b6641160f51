/* llmspell_kv.h - ordered key-value storage for LLM agent runtimes, the base of llmspell-c.

   Recipe: in exactly one C or C++ file,
       #define LLMSPELL_KV_IMPLEMENTATION      (or LLMSPELL_IMPLEMENTATION for the whole family)
       #include "llmspell_kv.h"
   and include it without the define anywhere else. No dependency but libc and the OS (POSIX
   or Win32; none with LLMSPELL_NO_OS); the SQLite backend is compiled only with
   #define LLMSPELL_KV_SQLITE  (link -lsqlite3), the PostgreSQL backend only with
   #define LLMSPELL_KV_POSTGRES  (link -lpq; libpq 14 or newer).

   Example:
       llmspell_kv kv;
       if (llmspell_kv_open_file(&kv, "app.db", NULL) != LLMSPELL_OK) {
           fprintf(stderr, "%s\n", llmspell_kv_errmsg(&kv)); return 1;
       }
       llmspell_kv_put(&kv, "user:1", 6, "alice", 5);
       const void *v; size_t n;
       if (llmspell_kv_get(&kv, "user:1", 6, &v, &n) == LLMSPELL_OK) printf("%.*s\n", (int)n, (const char *)v);
       llmspell_kv_close(&kv);

   Options (define before the implementation):
       LLMSPELL_MALLOC(sz) / LLMSPELL_REALLOC(p,sz) / LLMSPELL_FREE(p)   all three or none
       LLMSPELL_STATIC            every public function static to the implementing file
       LLMSPELL_KV_SQLITE         compile the SQLite backend
       LLMSPELL_KV_POSTGRES       compile the PostgreSQL backend
       LLMSPELL_NO_OS             no operating system (firmware): no file backend, no system clock;
                                  memory, views and your own backends remain (see >>time)
       LLMSPELL_NO_THREADS        one thread per handle, no locks (firmware; implied by LLMSPELL_NO_OS)
       LLMSPELL_NO_SIMD           never ask the CPU (llmspell_cpu_features() is 0): CRC-32C and
                                  vec's kernels run their scalar code
       LLMSPELL_KV_MAX_KEY        largest user key in bytes (default 4096, at most 32768)
       LLMSPELL_KV_MAX_VALUE      largest value in bytes (default 64 MiB)
       LLMSPELL_KV_MAX_TENANT     longest tenant id in bytes (default 1024)

   Everything persistent in llmspell-c is bytes in ONE ordered keyspace behind the struct
   llmspell_kv: a table of function pointers plus a context. The memory, file and SQLite
   backends are constructors that fill it in; tenant views are backends that wrap another one.
   A user-defined backend fills in the same struct (see "Writing a backend" below).

   Keyspace: user keys are 1..LLMSPELL_KV_MAX_KEY bytes whose first byte is not 0xFF. Keys that
   start with 0xFF are the system namespace, where views, entry info, vectors, graphs and exports keep
   their records; only the *_sys functions write there. Keys sort as unsigned bytes
   (memcmp order, a shorter key before its extensions).

   Threads: any number of threads may share a store and its views (link -pthread on POSIX).
   Each store has one readers-writer lock that every call takes: reads (get, exists, get_info,
   iterators, stats) run together, and writers take turns (a second writer waits). Once a
   second thread has used the store, a transaction on a backend with concurrent_reads (memory;
   file on the system's own I/O) keeps its writes to itself until commit: other threads go on reading the state before it, and
   wait only for an instant at begin and while the commit applies the writes (with safe
   durability, also while the file syncs). A single write
   (put, delete, a batch), and a transaction from the moment it needs the backend itself (it
   opens an iterator, calls clear, stats or sync, passes 16 MiB of writes, or asks with
   llmspell_kv_txn_exclusive) hold the store alone to their end, and readers wait for them.
   Either way a read never sees part of a write. A transaction belongs to the thread that
   began it: that thread ends it, and must not wait for another thread that uses the store
   before it does. A pointer a read returns stays valid
   until the calling thread's next call on that handle (values are copied for it); inside a
   read snapshot (llmspell_kv_read_begin) or the thread's own transaction the reads return the
   backend's pointers, valid until the snapshot ends or the thread writes. An iterator or a
   scan is a series of reads: each step sees the latest writes, like a single thread's
   iterator; take a read snapshot to see one state throughout. Iterators belong to one thread.
   llmspell_kv_errmsg() is the calling thread's last failure on the handle. The SQLite backend
   and backends without concurrent_reads run reads one at a time. Opening and closing a handle
   is one thread's business. LLMSPELL_NO_THREADS removes every lock.
   The library never prints, aborts or exits; every failure is a result code plus a message
   from llmspell_kv_errmsg().

   The family's rules (kv, vec, graph, export alike):
     errors   every function returns an llmspell_result; the message of the last failure is
              on the handle the call was made on (llmspell_*_errmsg) or in the
              llmspell_json_error it was given; a failed open reports on the handle it opened.
     closing  one _close (stores, collections, graphs, readers) or _free (writers, documents,
              rows) per handle, safe on NULL and on a closed handle, always releasing
              everything; only llmspell_kv_close returns a result (a file's last sync).
     lengths  exact wherever empty is valid (keys, values, JSON strings); LLMSPELL_STRLEN
              (= LLMSPELL_JSON_STRLEN) asks for strlen; in zero-initialised structs whose text
              cannot be empty (llmspell_vec_record.metadata_len) 0 means strlen.
     options  LLMSPELL_*_MAX_* limit what is written, in the file that defines them; keep them
              the same in every file that implements a header. Readers hold to the stored
              formats' own bounds, so data written with larger limits still opens and exports.

   Contents (search for ">>name"):
     >>results          result codes, llmspell_strerror
     >>alloc            the allocator struct
     >>time             llmspell_time and the clock
     >>tuple            order-preserving composite keys, key successor, CRC-32C, CPU features
     >>kv               the shared backend struct, options, "Writing a backend"
     >>io               the operating system as the file backend sees it
     >>open             constructors: memory, file, SQLite, tenant views
     >>ops              get, put, delete, batches, clear, the _sys functions
     >>txn              transactions (shared by a store and its views)
     >>entries          created/updated times, kv_id and metadata of user keys; tenants()
     >>scan             iterators and scans
     >>admin            sync, compact, stats, characteristics, errors
     >>helpers          for backends and the family's headers
     >>namespace        the 0xFF system namespace tags (shared by the family)
     >>bytes            little-endian helpers (shared by the family)
     >>sync             mutexes, atomics, threads, the readers-writer lock, per-thread slots
                        (shared by the family)
     --- implementation ---
     >>os               every OS call: POSIX and Win32
     >>common           strerror, errors, allocation, the clock
     >>tuple            (implementation)
     >>crc32c           table-driven
     >>cpu              CPU feature detection
     >>crc32c, hardware the SSE4.2 instruction
     >>index            the in-memory hash + B+tree of the memory and file backends
     >>sorting handles  radix sort of keys for loading an index
     >>ixstore          index + undo log = transactions
     >>memory backend
     >>file backend     the file format
     >>file write path  buffered appends, commits, durability
     >>file compaction  rewrite, rename, directory sync
     >>file recovery    replay of the log at open, torn tails, corruption
     >>file open        create, lock, load, upgrade of version-1 files
     >>sqlite backend   (opt-in)
     >>threads          the store's lock around every public call, read snapshots
     >>public operations  argument checks, transaction rules, side records
     >>iterators
     >>tenant views
     >>entries          (implementation: side records, derived ids, tenants)
*/
#ifndef LLMSPELL_KV_H
#define LLMSPELL_KV_H

/* On POSIX the implementation uses files, locks and clocks. Strict -std=c99 hides them unless
   a feature macro comes before the first system header, and 32-bit Linux needs
   _FILE_OFFSET_BITS 64 for files over 2 GiB: so include the implementing file's llmspell
   headers first, or define both yourself. */
#if (defined(LLMSPELL_KV_IMPLEMENTATION) || defined(LLMSPELL_IMPLEMENTATION)) && !defined(_WIN32) && \
    !defined(LLMSPELL_NO_OS)
#if !defined(_POSIX_C_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_GNU_SOURCE) && !defined(__APPLE__)
#define _DEFAULT_SOURCE 1
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif
#endif

#include <stddef.h>
#include <stdint.h>

#if defined(LLMSPELL_NO_OS) && !defined(LLMSPELL_NO_THREADS)
#define LLMSPELL_NO_THREADS
#endif

#define LLMSPELL_VERSION_MAJOR 0
#define LLMSPELL_VERSION_MINOR 1
#define LLMSPELL_VERSION_PATCH 0
#define LLMSPELL_VERSION_STRING "0.1.0"

#ifndef LLMSPELL_DEF
#ifdef LLMSPELL_STATIC
#define LLMSPELL_DEF static
#else
#define LLMSPELL_DEF extern
#endif
#endif

/* printf-style checking for the family's message functions. MinGW's printf family follows the
   Microsoft rules (no %zu) unless its ANSI layer is used: the family formats through
   LLMSPELL__VSNPRINTF, which is that layer on MinGW. */
#if defined(__MINGW32__)
#define LLMSPELL__PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#define LLMSPELL__VSNPRINTF __mingw_vsnprintf
#elif defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LLMSPELL__VSNPRINTF vsnprintf
#else
#define LLMSPELL__PRINTF(f, a)
#define LLMSPELL__VSNPRINTF vsnprintf
#endif

#ifndef LLMSPELL_KV_MAX_KEY
#define LLMSPELL_KV_MAX_KEY 4096
#endif
#ifndef LLMSPELL_KV_MAX_TENANT
#define LLMSPELL_KV_MAX_TENANT 1024
#endif
#ifndef LLMSPELL_KV_MAX_VALUE
#define LLMSPELL_KV_MAX_VALUE (64u * 1024u * 1024u)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* >>results: one enum for the whole family. 0 is success, every failure has its own code. */
typedef enum llmspell_result {
    LLMSPELL_OK = 0,
    LLMSPELL_ERR_NOT_FOUND,   /* no such key / record / id; also the end of an iterator */
    LLMSPELL_ERR_INVALID,     /* bad argument: NULL pointer, empty key, bad option, ... */
    LLMSPELL_ERR_NOMEM,       /* an allocation failed; the handle is still usable */
    LLMSPELL_ERR_IO,          /* the operating system refused a read, write, sync or rename */
    LLMSPELL_ERR_CORRUPT,     /* stored data failed a checksum or is structurally broken */
    LLMSPELL_ERR_BUSY,        /* locked by another writer */
    LLMSPELL_ERR_EXISTS,      /* already exists */
    LLMSPELL_ERR_QUOTA,       /* a configured quota would be exceeded */
    LLMSPELL_ERR_FORMAT,      /* not our format, or a newer version of it */
    LLMSPELL_ERR_UNSUPPORTED, /* the backend cannot do this */
    LLMSPELL_ERR_CONFLICT,    /* the operation conflicts with existing state */
    LLMSPELL_ERR_TOO_LARGE,   /* key, value or other input over its documented limit */
    LLMSPELL_ERR_RESERVED,    /* a user key in the 0xFF system namespace */
    LLMSPELL_ERR_TXN,         /* transaction misuse: commit without begin, nested begin, ... */
    LLMSPELL_ERR_CLOSED,      /* the handle was closed (or never opened) */
    LLMSPELL_ERR_READONLY,    /* write to a read-only handle or file */
    LLMSPELL_ERR_NOT_A_FILE,  /* the path is a directory or another non-regular file */
    LLMSPELL_ERR_PARSE,       /* malformed text input (JSON, numbers, times) */
    LLMSPELL_RESULT_COUNT
} llmspell_result;

/* A short constant English description of a code ("key not found"); never NULL. */
LLMSPELL_DEF const char *llmspell_strerror(llmspell_result code);

/* >>alloc: an allocator with a context pointer; all-zero means LLMSPELL_MALLOC/REALLOC/FREE. */
typedef struct llmspell_allocator {
    void *(*alloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} llmspell_allocator;

/* >>time: microseconds since 1970-01-01T00:00:00Z. MIN / MAX stand for -inf / +inf. */
typedef int64_t llmspell_time;
#define LLMSPELL_TIME_MIN INT64_MIN
#define LLMSPELL_TIME_MAX INT64_MAX

/* A clock; all-zero means the system's real-time clock. Tests inject their own. With
   LLMSPELL_NO_OS there is no system clock: give every handle a clock (an RTC, a tick counter
   plus a base). Without one, time is 0: graph transaction times then count up by 1 us per
   commit and TTLs never expire. */
typedef struct llmspell_clock {
    llmspell_time (*now)(void *ctx);
    void *ctx;
} llmspell_clock;

/* The time of `clock` (NULL or all-zero: the system clock). */
LLMSPELL_DEF llmspell_time llmspell_time_now(const llmspell_clock *clock);
/* t as RFC 3339 text in UTC, "2024-05-01T12:00:00Z", with six fraction digits when t is not a
   whole second ("...00.250000Z"); "+inf" / "-inf" for MAX / MIN. snprintf style: returns the
   length, writes at most cap - 1 characters and a NUL. */
LLMSPELL_DEF size_t llmspell_time_format(llmspell_time t, char *buf, size_t cap);
/* Reads RFC 3339 ("2024-05-01T12:00:00Z", "2024-05-01 12:00:00.25+02:00"; 't' or ' ' for 'T';
   a leap second :60 reads as the next second), a date ("2024-05-01": midnight UTC), "+inf" /
   "inf" / "-inf", or integer microseconds ("1714564800000000", "-5"). n may be
   LLMSPELL_STRLEN. ERR_PARSE for anything else (a time without a zone included). */
LLMSPELL_DEF llmspell_result llmspell_time_parse(const char *s, size_t n, llmspell_time *out);
/* As a length: "NUL-terminated, measure it". */
#define LLMSPELL_STRLEN ((size_t)-1)

/* >>tuple: order-preserving, prefix-free encoding of composite keys.
   A byte string is written with 0x00 escaped as 0x00 0xFF and ends with 0x00 0x01 (so a zero
   byte followed by anything but 0xFF is always the end); integers are 8 bytes big-endian,
   signed ones with the sign bit flipped. Comparing encodings with memcmp
   compares the tuples element by element, so ("a","b:c") and ("a:b","c") never collide and
   ("t1") is not a prefix of ("t10").
   Each writer appends to out[0..cap) and returns the number of bytes the element needs; it
   writes only when that fits, so call it with cap 0 to measure (snprintf style). */
LLMSPELL_DEF size_t llmspell_tuple_put_bytes(uint8_t *out, size_t cap, const void *s, size_t n);
LLMSPELL_DEF size_t llmspell_tuple_put_u64(uint8_t *out, size_t cap, uint64_t v);
LLMSPELL_DEF size_t llmspell_tuple_put_i64(uint8_t *out, size_t cap, int64_t v);
/* Readers take *p, consume one element and advance *p. get_bytes writes up to cap decoded
   bytes to out (out may be NULL to measure) and the decoded length to *n. A malformed or
   truncated element is LLMSPELL_ERR_CORRUPT, and *p is left unchanged. */
LLMSPELL_DEF llmspell_result llmspell_tuple_get_bytes(const uint8_t **p, const uint8_t *end,
                                                      uint8_t *out, size_t cap, size_t *n);
LLMSPELL_DEF llmspell_result llmspell_tuple_get_u64(const uint8_t **p, const uint8_t *end, uint64_t *v);
LLMSPELL_DEF llmspell_result llmspell_tuple_get_i64(const uint8_t **p, const uint8_t *end, int64_t *v);
/* The smallest key greater than every key that starts with prefix[0..n): writes it to out
   (at most n bytes) and returns its length. Returns 0 when the prefix is empty or all 0xFF
   (no such key: scan to the end). */
LLMSPELL_DEF size_t llmspell_key_successor(uint8_t *out, const void *prefix, size_t n);

/* CRC-32C (Castagnoli) of data, continuing from crc (start with 0). */
LLMSPELL_DEF uint32_t llmspell_crc32c(uint32_t crc, const void *data, size_t n);

/* What this CPU runs, for the family's kernels chosen at run time (a few cpuid instructions;
   call it once and keep the answer). The AVX flags also need the OS to save the registers. */
enum {
    LLMSPELL_CPU_SSE42 = 1,  /* x86: SSE4.2 (the CRC-32C instruction) */
    LLMSPELL_CPU_SSSE3 = 2,  /* x86: SSSE3 */
    LLMSPELL_CPU_AVX2 = 4,   /* x86: AVX2, FMA and F16C, YMM state saved */
    LLMSPELL_CPU_AVX512 = 8, /* x86: AVX-512F, ZMM and opmask state saved */
    LLMSPELL_CPU_NEON = 16,  /* ARM: NEON (always on aarch64; on armv7 when built with it) */
    LLMSPELL_CPU_AVX512_VNNI = 32 /* x86: AVX-512F with BW and VNNI (byte dot products), state saved */
};
LLMSPELL_DEF unsigned llmspell_cpu_features(void);

/* >>kv: the shared backend struct */
typedef struct llmspell_kv llmspell_kv;
typedef struct llmspell_kv_iter llmspell_kv_iter;   /* public ordered iterator */
typedef struct llmspell_kv_cursor llmspell_kv_cursor; /* a backend's own cursor (opaque) */

typedef enum llmspell_durability {
    LLMSPELL_DURABILITY_SAFE = 0, /* fsync at every commit: a commit that returned is on disk */
    LLMSPELL_DURABILITY_BALANCED, /* fsync at a commit >= 100 ms after the last one, and on sync/close */
    LLMSPELL_DURABILITY_FAST      /* the same with 1000 ms */
} llmspell_durability;

/* >>io: the operating system as the file backend sees it. NULL in the options means the real
   one (llmspell_kv_io_os); tests put a simulated disk here to crash the store at every sync
   point, or wrap the real one to make calls fail with EIO or ENOSPC. With an io other than the
   OS's the backend reads through pread only (it maps the file only with the real one).
   Every function returns 0 or an errno value. */
typedef struct llmspell_kv_io {
    void *ctx;
    /* write 0: read only. create 0: the file must exist; 1: create it if missing; 2: create or
       truncate. mode is used when creating. */
    int (*open)(void *ctx, const char *path, int write, int create, unsigned mode, int *fd);
    int (*close)(void *ctx, int fd);
    /* size, whether it is a regular file, its permission bits and its identity (device, inode) */
    int (*stat)(void *ctx, int fd, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]);
    int (*stat_path)(void *ctx, const char *path, uint64_t id[2]);
    int (*lock)(void *ctx, int fd, int exclusive);   /* EWOULDBLOCK when another handle holds it */
    /* reads up to n bytes at off; *got < n only at the end of the file */
    int (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off, size_t *got);
    int (*pwrite)(void *ctx, int fd, const void *buf, size_t n, uint64_t off); /* all n or an error */
    int (*truncate)(void *ctx, int fd, uint64_t size);
    int (*sync)(void *ctx, int fd);                   /* data and size durable */
    int (*sync_dir)(void *ctx, const char *path);     /* the directory entry of path durable */
    int (*rename)(void *ctx, const char *from, const char *to);
    int (*link)(void *ctx, const char *from, const char *to); /* EEXIST if `to` exists */
    int (*unlink)(void *ctx, const char *path);
    /* 1 where rename cannot replace a file that is open, even by the caller (Windows): the file
       backend then lets go of the old file just before it renames the compacted one over it,
       holding the new file's lock throughout. */
    int no_replace_open;
} llmspell_kv_io;

#ifndef LLMSPELL_NO_OS
/* The real operating system (POSIX or Win32), for wrappers that forward to it. On Windows the
   int handles are C runtime descriptors over Win32 handles (_get_osfhandle gives the HANDLE);
   paths are UTF-8 everywhere. */
LLMSPELL_DEF const llmspell_kv_io *llmspell_kv_io_os(void);
#endif

/* Options for every backend; all-zero (or a NULL pointer) means the defaults. */
typedef struct llmspell_kv_options {
    llmspell_allocator allocator;
    llmspell_durability durability;   /* file, SQLite and PostgreSQL backends */
    int read_only;                    /* open without writing; writes fail with ERR_READONLY */
    int no_create;                    /* fail with ERR_NOT_FOUND instead of creating the file */
    double auto_compact_ratio;        /* file: compact when dead/file bytes passes it (0: 0.5; <0: never) */
    uint64_t auto_compact_min_bytes;  /* file: ...and the file is at least this big (0: 4 MiB) */
    const llmspell_kv_io *io;         /* file: the operating system to use (NULL: the real one) */
    llmspell_clock clock;             /* the entries' created/updated times (all-zero: the system clock) */
} llmspell_kv_options;

typedef struct llmspell_kv_stats {
    uint64_t keys;        /* live keys in this handle's namespace */
    uint64_t bytes;       /* sum of their key and value lengths */
    uint64_t file_size;   /* bytes on disk (0 for memory) */
    uint64_t dead_bytes;  /* bytes on disk no longer reachable, reclaimed by compact */
    uint64_t recovered_bytes; /* file: a torn tail dropped when the file was opened */
} llmspell_kv_stats;

typedef struct llmspell_kv_characteristics {
    int persistent;             /* survives close / process exit */
    int transactional;          /* begin/commit/rollback are atomic */
    int supports_prefix_scan;   /* ordered scans are native, not emulated */
    int supports_atomic_ops;    /* batches are all-or-nothing */
    int shared;                 /* other processes may write the store between two calls (postgres,
                                   an SQLite file): caches of it (vec, graph) check for their commits */
    uint64_t read_latency_ns;   /* typical point read, as make bench measured it on a 2-core VM */
    uint64_t write_latency_ns;  /* typical autocommitted put in the handle's durability mode */
} llmspell_kv_characteristics;

/* One key/value pair for batches. */
typedef struct llmspell_kv_entry {
    const void *key;
    size_t klen;
    const void *val;
    size_t vlen;
} llmspell_kv_entry;

/* The two times kept with a user key (see >>entries), as a put hands them to a backend. */
typedef struct llmspell_kv_times {
    llmspell_time created; /* LLMSPELL_TIME_MIN: keep the entry's own if the key exists, else use updated */
    llmspell_time updated;
} llmspell_kv_times;

/* Writing a backend: fill in `ctx`, `name` and every function pointer below, and set `open`
   to 1. Keys and values arrive already validated (non-NULL, within the limits; 0xFF keys are
   allowed because views and the family headers write the system namespace). The contract:
     get       -> OK with the value pointer valid until the next call on the handle, or ERR_NOT_FOUND
     put/del   -> del of a missing key is ERR_NOT_FOUND and changes nothing
     cursor_*  -> an ordered cursor: seek(key) positions before the first key >= key, next()
                  returns it and moves on (OK) or ERR_NOT_FOUND at the end. Pointers stay valid
                  until the next cursor call or write. Writes while a cursor is open are allowed;
                  the cursor then continues after the last key it returned.
     begin/commit/rollback -> one transaction at a time; the family checks nesting for you
     clear     -> may be NULL (the family deletes key by key in a transaction)
     sync, compact -> may be NULL (treated as nothing to do)
     get_times -> may be NULL: then every entry's times are 0 ("not known"), and the backend may
                  ignore put_times. A backend that keeps times reads kv->put_times inside put:
                  NULL means "none" (the put of a system key, which reports 0), otherwise the
                  times to keep with the entry; get_times returns them (ERR_NOT_FOUND when the
                  key is absent). An entry replaced by a put without times has times 0.
     read_snapshot -> may be NULL. Called with begin 1 when the store's outermost read snapshot
                  (llmspell_kv_read_begin) starts and with 0 when it ends, alone (a backend
                  with concurrent_reads is not called). A store other processes write opens a
                  read-only transaction there, outside its own, so the snapshot's reads see one
                  state; on 0 it ends what 1 opened.
   Threads: the family runs your functions under the store's lock, one write at a time and
   never during a read. Set concurrent_reads to 1 if get, get_times and the cursor functions may
   run in several threads at once (each thread with its own cursors); 0 runs every call alone.
   With concurrent_reads, reads also run while a transaction is open: begin runs alone, then a
   transaction's put and del calls reach you only at its commit (alone again), with the
   created times already resolved through get_times.
   On failure, write a message with llmspell_kv_set_error(). `close` frees ctx. */
struct llmspell_kv {
    void *ctx;
    const char *name; /* "memory", "file", "sqlite", "postgres", "tenant", or the user's */
    llmspell_result (*get)(llmspell_kv *kv, const uint8_t *key, size_t klen, const void **val, size_t *vlen);
    llmspell_result (*put)(llmspell_kv *kv, const uint8_t *key, size_t klen, const void *val, size_t vlen);
    llmspell_result (*del)(llmspell_kv *kv, const uint8_t *key, size_t klen);
    llmspell_result (*cursor_open)(llmspell_kv *kv, llmspell_kv_cursor **cur);
    llmspell_result (*cursor_seek)(llmspell_kv_cursor *cur, const uint8_t *key, size_t klen);
    llmspell_result (*cursor_next)(llmspell_kv_cursor *cur, const uint8_t **key, size_t *klen,
                                   const void **val, size_t *vlen);
    void (*cursor_close)(llmspell_kv_cursor *cur);
    llmspell_result (*begin)(llmspell_kv *kv);
    llmspell_result (*commit)(llmspell_kv *kv);
    llmspell_result (*rollback)(llmspell_kv *kv);
    llmspell_result (*clear)(llmspell_kv *kv);
    llmspell_result (*sync)(llmspell_kv *kv);
    llmspell_result (*compact)(llmspell_kv *kv);
    llmspell_result (*stats)(llmspell_kv *kv, llmspell_kv_stats *out);
    void (*characteristics)(llmspell_kv *kv, llmspell_kv_characteristics *out);
    void (*close)(llmspell_kv *kv);
    llmspell_result (*get_times)(llmspell_kv *kv, const uint8_t *key, size_t klen, llmspell_kv_times *out); /* optional */
    llmspell_result (*read_snapshot)(llmspell_kv *kv, int begin);                                        /* optional */
    int concurrent_reads; /* see "Threads" above; a backend may change it only inside a write */
    /* kept by the family: */
    int open;           /* 1 between a successful open and close */
    int in_txn;         /* 1: inside a transaction begun through this handle; 2: begun through a view of it */
    int txn_failed;     /* a write inside the transaction failed: only rollback is allowed */
    llmspell_allocator allocator;
    llmspell_clock clock;                  /* from the options; a view's is its parent's */
    const llmspell_kv_times *put_times;    /* set during put (see "Writing a backend") */
    llmspell_time txn_time;                /* the open transaction's write time (LLMSPELL_TIME_MIN: not read yet) */
    int snapshots;                         /* read snapshots open on the store, counted under its lock (no concurrent_reads) */
    char idbuf[40];                        /* llmspell_kv_get_info's derived id (LLMSPELL_NO_THREADS) */
    void *threads;                         /* the lock and the per-thread state (see >>threads) */
    char errmsg[256];
};

/* >>open: each constructor fills in *kv. On failure *kv is closed (every call on it returns
   ERR_CLOSED) and llmspell_kv_errmsg(kv) says why. opts may be NULL. */
LLMSPELL_DEF llmspell_result llmspell_kv_open_memory(llmspell_kv *kv, const llmspell_kv_options *opts);
#ifndef LLMSPELL_NO_OS
/* One file, an append-only checksummed log; see the file backend notes in the implementation.
   path is UTF-8 on every platform. */
LLMSPELL_DEF llmspell_result llmspell_kv_open_file(llmspell_kv *kv, const char *path,
                                                   const llmspell_kv_options *opts);
#endif
#ifdef LLMSPELL_KV_SQLITE
/* path ":memory:" gives a private in-memory database. */
LLMSPELL_DEF llmspell_result llmspell_kv_open_sqlite(llmspell_kv *kv, const char *path,
                                                     const llmspell_kv_options *opts);
#endif
#ifdef LLMSPELL_KV_POSTGRES
/* A PostgreSQL server through libpq: conninfo as PQconnectdb takes it ("host=/run/postgresql
   dbname=app", "postgresql://user@host/app"). The store is table llmspell_kv in the
   connection's current schema, created if missing (unless no_create or read_only): one store
   per schema, e.g. "options='-c search_path=team1'". durability SAFE commits with
   synchronous_commit on; BALANCED and FAST turn it off (a server crash may lose the last
   commits, never half of one). Several processes may open the same store: each sees the
   others' commits (>>postgres backend). */
LLMSPELL_DEF llmspell_result llmspell_kv_open_postgres(llmspell_kv *kv, const char *conninfo,
                                                       const llmspell_kv_options *opts);
#endif
/* A view of `parent` that scopes every key under tenant[0..n) (any bytes, empty allowed, at
   most LLMSPELL_KV_MAX_TENANT).
   The view cannot read, scan, clear or delete outside its tenant. Views nest. Transactions,
   sync and compact act on the underlying store. `parent` must stay open while the view is. */
LLMSPELL_DEF llmspell_result llmspell_kv_open_tenant(llmspell_kv *view, llmspell_kv *parent,
                                                     const void *tenant, size_t n);
/* Closes and frees the backend. Rolls back an open transaction. Safe on a closed handle. */
LLMSPELL_DEF llmspell_result llmspell_kv_close(llmspell_kv *kv);

/* >>ops. Keys must be 1..LLMSPELL_KV_MAX_KEY bytes, values 0..LLMSPELL_KV_MAX_VALUE. */
/* *val points into the backend, valid until the next call on this handle. ERR_NOT_FOUND if absent. */
LLMSPELL_DEF llmspell_result llmspell_kv_get(llmspell_kv *kv, const void *key, size_t klen,
                                             const void **val, size_t *vlen);
/* As get, but *val is a copy: free it with llmspell_kv_free(kv, *val). */
LLMSPELL_DEF llmspell_result llmspell_kv_get_copy(llmspell_kv *kv, const void *key, size_t klen,
                                                  void **val, size_t *vlen);
/* *exists = 1 or 0. */
LLMSPELL_DEF llmspell_result llmspell_kv_exists(llmspell_kv *kv, const void *key, size_t klen, int *exists);
/* Copies key and value. A user key starting with 0xFF is ERR_RESERVED. */
LLMSPELL_DEF llmspell_result llmspell_kv_put(llmspell_kv *kv, const void *key, size_t klen,
                                             const void *val, size_t vlen);
/* ERR_NOT_FOUND (and no change) when the key is absent. */
LLMSPELL_DEF llmspell_result llmspell_kv_delete(llmspell_kv *kv, const void *key, size_t klen);
/* Looks up entries[i].key for i < n and sets entries[i].val/vlen (NULL/0 when absent). The
   values are copied into one block stored in *block: free it with llmspell_kv_free. */
LLMSPELL_DEF llmspell_result llmspell_kv_get_batch(llmspell_kv *kv, llmspell_kv_entry *entries, size_t n,
                                                   void **block);
/* All or nothing: every entry is checked first; on any failure nothing is written. A later key
   in the batch wins over an earlier equal one. Inside an open transaction the batch joins it. */
LLMSPELL_DEF llmspell_result llmspell_kv_put_batch(llmspell_kv *kv, const llmspell_kv_entry *entries, size_t n);
/* All or nothing; absent keys are skipped. Only .key/.klen are read. */
LLMSPELL_DEF llmspell_result llmspell_kv_delete_batch(llmspell_kv *kv, const llmspell_kv_entry *entries, size_t n);
/* Removes every key of this handle (a view: only its tenant's, system keys included). */
LLMSPELL_DEF llmspell_result llmspell_kv_clear(llmspell_kv *kv);

/* The same for the 0xFF system namespace (and any other key); for the family's headers and
   for applications that keep their own records there. */
LLMSPELL_DEF llmspell_result llmspell_kv_put_sys(llmspell_kv *kv, const void *key, size_t klen,
                                                 const void *val, size_t vlen);
LLMSPELL_DEF llmspell_result llmspell_kv_delete_sys(llmspell_kv *kv, const void *key, size_t klen);

/* >>txn: one transaction per store at a time. Reads see the transaction's own writes. A nested
   begin, or commit/rollback without begin, is ERR_TXN. If a write inside the transaction fails
   the transaction can only be rolled back (commit returns ERR_TXN).
   A store and all its tenant views (views of views too) share one transaction: begin on any of
   them opens it for all, and every write through any of them (put, delete, the _sys ones,
   put_batch, delete_batch, clear, put_info) joins it, whichever handle began it; a write that
   fails inside it marks the store's transaction failed (only a rollback is left). Commit or roll
   back through the handle that began it (through another: ERR_TXN, and the transaction goes
   on). With no transaction open, a batch, a clear and a put_info are each all or nothing on
   their own (a transaction of their own).
   Threads: the transaction belongs to the thread that began it, which alone writes through it
   and ends it (another thread's commit or rollback is ERR_TXN). Until it ends, other threads'
   writes wait (a begin waits rather than failing) and their reads see the store as it was
   before it (see "Threads" at the top for when they wait too). */
LLMSPELL_DEF llmspell_result llmspell_kv_begin(llmspell_kv *kv);
LLMSPELL_DEF llmspell_result llmspell_kv_commit(llmspell_kv *kv);
LLMSPELL_DEF llmspell_result llmspell_kv_rollback(llmspell_kv *kv);
/* Whether the calling thread has the transaction of kv's store open through kv (0 when the
   transaction is another thread's). */
LLMSPELL_DEF int llmspell_kv_in_txn(llmspell_kv *kv);
/* Makes the calling thread's open transaction hold the store alone until it ends: readers
   wait from here to its end (see "Threads" above). For code that keeps state of its own that
   must change together with the store (graph and vec writes do this). ERR_TXN outside one. */
LLMSPELL_DEF llmspell_result llmspell_kv_txn_exclusive(llmspell_kv *kv);
/* Read snapshots: between read_begin and read_end, every read this thread makes on the store
   under kv (through any of its handles and views) sees one state: writers of the store wait
   until read_end, and pointers the reads return stay valid until then. On a store that other
   processes write too (PostgreSQL, SQLite) the snapshot is a read-only transaction there, so
   their commits stay out of it as well. They nest (each begin needs its end). A write by this
   thread while it holds one is ERR_BUSY. */
LLMSPELL_DEF llmspell_result llmspell_kv_read_begin(llmspell_kv *kv);
LLMSPELL_DEF llmspell_result llmspell_kv_read_end(llmspell_kv *kv);
/* After a failure r inside a transaction this caller began: rolls it back and returns r,
   keeping r's message on the handle (a rollback would otherwise replace it). */
LLMSPELL_DEF llmspell_result llmspell_kv_abort(llmspell_kv *kv, llmspell_result r);

/* >>entries: what kv keeps about each user key besides its value (rs-llmspell's KVEntry).
   Times: every put of a user key (put, put_batch, through views too) records
     created  the time of the first put since the key was last absent (an overwrite keeps it),
     updated  the time of the latest put,
   read from the handle's clock (llmspell_kv_options.clock; a view uses its parent's; with
   LLMSPELL_NO_OS and no clock they are 0) once per put, or once per transaction for all the
   writes inside it (a batch is one). A delete forgets them. The memory,
   file and SQLite backends keep them with the entry; a backend without get_times, system keys
   and entries a version-1 file brought in report 0 ("not known").
   kv_id and metadata are set only by llmspell_kv_put_info (an import). They live in a side
   record of the same handle, 0xFF 'E' + key (value: u8 flags, 1 id set, 2 metadata set | u8 id
   length | id | metadata), which a delete of the key removes with it and a plain put keeps. Without one the id is derived from the key: the FNV-1a 128-bit
   hash (offset basis 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13b) of the key as the
   underlying store holds it (for a view: 0xFF 'T' tuple(tenant) ... + key), its 16 bytes taken
   big-endian and written as a UUID in the version-4 layout (version nibble 4, variant bits 10),
   lowercase, 36 characters: the same key under the same tenant always has the same id, and
   the same key under another tenant another id. */
#define LLMSPELL_KV_MAX_ENTRY_ID 255
typedef struct llmspell_kv_info {
    llmspell_time created;     /* first put since the key was last absent (0: not known) */
    llmspell_time updated;     /* latest put (0: not known) */
    const char *id;            /* kv_id, idlen bytes: set by put_info, else derived (a UUID) */
    size_t idlen;
    const char *metadata;      /* JSON text set by put_info, or NULL */
    size_t metalen;
} llmspell_kv_info;
/* The info of user key `key`: ERR_NOT_FOUND when absent. Pointers valid until the next call on
   this handle (or on its store). */
LLMSPELL_DEF llmspell_result llmspell_kv_get_info(llmspell_kv *kv, const void *key, size_t klen, llmspell_kv_info *info);
/* Put with the given info (import): created/updated as given (0 allowed; created
   LLMSPELL_TIME_MIN keeps the entry's own as a plain put does), id (NULL: derived; at most
   LLMSPELL_KV_MAX_ENTRY_ID bytes, any bytes), metadata (NULL: none; kv stores the bytes, it does
   not parse them). Both NULL removes a side record the key had. Atomic: value, times and side
   record together; joins an open transaction. Everything is copied. */
LLMSPELL_DEF llmspell_result llmspell_kv_put_info(llmspell_kv *kv, const void *key, size_t klen, const void *val, size_t vlen,
                                                  const llmspell_kv_info *info);
/* The tenants that have keys under kv (views opened on kv), in key order: fn(user, tenant, n)
   for each (tenant valid during the call; fn may use kv and open views on it); a non-zero
   return stops early (still OK). Keys under 0xFF 'T' that do not decode as a tenant are skipped
   and counted in *skipped (may be NULL). */
LLMSPELL_DEF llmspell_result llmspell_kv_tenants(llmspell_kv *kv, int (*fn)(void *user, const void *tenant, size_t n), void *user,
                                                 size_t *skipped);

/* >>scan: ordered iteration over the keys that start with prefix[0..plen) (plen 0: all).
   The pointers returned by next are valid until the next call on the iterator or a write on
   the handle. Writes while iterating are allowed: the iterator continues after the last key it
   returned. Free with llmspell_kv_iter_close. */
LLMSPELL_DEF llmspell_result llmspell_kv_iter_open(llmspell_kv *kv, const void *prefix, size_t plen,
                                                   llmspell_kv_iter **it);
/* Positions before the first key >= key (within the prefix). */
LLMSPELL_DEF llmspell_result llmspell_kv_iter_seek(llmspell_kv_iter *it, const void *key, size_t klen);
/* OK with the next pair, or ERR_NOT_FOUND past the last. */
LLMSPELL_DEF llmspell_result llmspell_kv_iter_next(llmspell_kv_iter *it, const void **key, size_t *klen,
                                                   const void **val, size_t *vlen);
LLMSPELL_DEF void llmspell_kv_iter_close(llmspell_kv_iter *it);

/* Calls fn for each pair under prefix, in order, starting at the first key >= start (start may
   be NULL); a non-zero return from fn stops the scan early (the scan still returns OK). */
typedef int (*llmspell_kv_scan_fn)(void *user, const void *key, size_t klen, const void *val, size_t vlen);
LLMSPELL_DEF llmspell_result llmspell_kv_scan(llmspell_kv *kv, const void *prefix, size_t plen,
                                              const void *start, size_t slen, llmspell_kv_scan_fn fn,
                                              void *user);

/* >>admin */
LLMSPELL_DEF llmspell_result llmspell_kv_sync(llmspell_kv *kv);    /* make every commit durable */
LLMSPELL_DEF llmspell_result llmspell_kv_compact(llmspell_kv *kv); /* reclaim dead bytes */
LLMSPELL_DEF llmspell_result llmspell_kv_stats_get(llmspell_kv *kv, llmspell_kv_stats *out);
LLMSPELL_DEF llmspell_result llmspell_kv_characteristics_get(llmspell_kv *kv, llmspell_kv_characteristics *out);
LLMSPELL_DEF const char *llmspell_kv_name(const llmspell_kv *kv);   /* "closed" when closed */
/* The message of the last failure on this handle ("" if none); valid until the next call. */
LLMSPELL_DEF const char *llmspell_kv_errmsg(const llmspell_kv *kv);
/* The limits the file implementing kv was built with (LLMSPELL_KV_MAX_KEY, _VALUE, _TENANT),
   for code built elsewhere that must agree with them (export's import checks against these). */
typedef struct llmspell_kv_limits {
    size_t max_key, max_value, max_tenant;
} llmspell_kv_limits;
LLMSPELL_DEF void llmspell_kv_limits_get(llmspell_kv_limits *out);

/* >>helpers for backends and the family's headers */
/* Records a failure: formats the message (printf style) into kv->errmsg and returns code. */
LLMSPELL_DEF llmspell_result llmspell_kv_set_error(llmspell_kv *kv, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4);
/* Allocates through the handle's allocator (used by the family; frees of returned copies). */
LLMSPELL_DEF void *llmspell_kv_alloc(llmspell_kv *kv, size_t size);
LLMSPELL_DEF void llmspell_kv_free(llmspell_kv *kv, void *ptr);

#ifdef __cplusplus
}
#endif
#endif /* LLMSPELL_KV_H */

/* ======================================================================================== */
/*          SHARED: stored-byte helpers for every header of the family that implements        */
/* ======================================================================================== */
/* Compiled, as static functions, into any file that implements kv, vec, graph or export, so
   that each stored format has one owner and export gains no link dependency. */
#if (defined(LLMSPELL_IMPLEMENTATION) || defined(LLMSPELL_KV_IMPLEMENTATION) || defined(LLMSPELL_VEC_IMPLEMENTATION) || \
     defined(LLMSPELL_GRAPH_IMPLEMENTATION) || defined(LLMSPELL_EXPORT_IMPLEMENTATION)) && !defined(LLMSPELL__SHARED_ONCE)
#define LLMSPELL__SHARED_ONCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The family's allocation macros: all three given, or none (the C library's). */
#if defined(LLMSPELL_MALLOC) && defined(LLMSPELL_REALLOC) && defined(LLMSPELL_FREE)
/* all three given */
#elif !defined(LLMSPELL_MALLOC) && !defined(LLMSPELL_REALLOC) && !defined(LLMSPELL_FREE)
#define LLMSPELL_MALLOC(sz) malloc(sz)
#define LLMSPELL_REALLOC(p, sz) realloc(p, sz)
#define LLMSPELL_FREE(p) free(p)
#else
#error "llmspell: define all of LLMSPELL_MALLOC, LLMSPELL_REALLOC and LLMSPELL_FREE, or none"
#endif

/* A file uses only some of these helpers (LLMSPELL_NO_OS leaves formats out, and the
   stored-form sections of vec and graph serve two implementations). MSVC has no "unused"
   attribute, but warns (C4505) about no unused inline function. */
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__UNUSED __attribute__((unused))
#define LLMSPELL__UNUSED_DATA __attribute__((unused))
#elif defined(_MSC_VER)
#define LLMSPELL__UNUSED __inline
#define LLMSPELL__UNUSED_DATA
#else
#define LLMSPELL__UNUSED
#define LLMSPELL__UNUSED_DATA
#endif

/* >>namespace: the tags after 0xFF in the system namespace, one owner for the whole family.
   0xFF tag ... (the rest of the key is the owner's). */
#define LLMSPELL__NS_TENANT 'T' /* kv tenant views: 0xFF 'T' tuple(tenant) + key */
#define LLMSPELL__NS_ENTRY 'E'  /* kv entry info set by import: 0xFF 'E' + key */
#define LLMSPELL__NS_VEC 'V'    /* llmspell_vec.h >>storage */
#define LLMSPELL__NS_GRAPH 'G'  /* llmspell_graph.h >>storage */
#define LLMSPELL__NS_EXPORT 'X' /* llmspell_export.h: sections kept verbatim */

/* The head of a family header's key, 0xFF tag sub, into k[0..cap); returns 3 (snprintf style). */
LLMSPELL__UNUSED static size_t llmspell__ns_head(uint8_t *k, size_t cap, char tag, char sub) {
    if (cap >= 3) {
        k[0] = 0xFF;
        k[1] = (uint8_t)tag;
        k[2] = (uint8_t)sub;
    }
    return 3;
}

/* >>bytes: little-endian fixed-width integers, the byte order of every stored format */
LLMSPELL__UNUSED static uint32_t llmspell__get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
LLMSPELL__UNUSED static uint64_t llmspell__get64(const uint8_t *p) { return llmspell__get32(p) | (uint64_t)llmspell__get32(p + 4) << 32; }
LLMSPELL__UNUSED static void llmspell__put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
LLMSPELL__UNUSED static void llmspell__put64(uint8_t *p, uint64_t v) { llmspell__put32(p, (uint32_t)v); llmspell__put32(p + 4, (uint32_t)(v >> 32)); }
LLMSPELL__UNUSED static int64_t llmspell__geti64(const uint8_t *p) { uint64_t u = llmspell__get64(p); int64_t x; memcpy(&x, &u, 8); return x; }
LLMSPELL__UNUSED static void llmspell__puti64(uint8_t *p, int64_t x) { uint64_t u; memcpy(&u, &x, 8); llmspell__put64(p, u); }

/* >>sync: the family's thread layer: a mutex, a condition variable, atomics, threads, a
   readers-writer lock that readers share without sharing a cache line, and per-thread state on
   a handle. pthreads on POSIX, SRW locks and condition variables on Windows; GCC/Clang
   __atomic builtins, MSVC Interlocked functions, or C11 <stdatomic.h>. With LLMSPELL_NO_THREADS
   (implied by LLMSPELL_NO_OS) every lock is a no-op and a handle has one embedded thread slot. */
#ifndef LLMSPELL_NO_THREADS
#if defined(_WIN32)
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#define LLMSPELL__SYNC_UNDEF_LEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#define LLMSPELL__SYNC_UNDEF_NOMINMAX
#endif
#include <windows.h>
#include <process.h>
#ifdef LLMSPELL__SYNC_UNDEF_LEAN
#undef WIN32_LEAN_AND_MEAN
#undef LLMSPELL__SYNC_UNDEF_LEAN
#endif
#ifdef LLMSPELL__SYNC_UNDEF_NOMINMAX
#undef NOMINMAX
#undef LLMSPELL__SYNC_UNDEF_NOMINMAX
#endif
typedef SRWLOCK llmspell__mutex;
typedef CONDITION_VARIABLE llmspell__cond;
typedef HANDLE llmspell__thread;
#else
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
typedef pthread_mutex_t llmspell__mutex;
typedef pthread_cond_t llmspell__cond;
typedef pthread_t llmspell__thread;
#endif

#if defined(__GNUC__) || defined(__clang__)
typedef long llmspell__atomic;
typedef void *llmspell__atomic_ptr;
#define llmspell__aload(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define llmspell__astore(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define llmspell__aadd(p, d) __atomic_add_fetch((p), (d), __ATOMIC_SEQ_CST) /* the new value */
#define llmspell__aload_ptr(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
LLMSPELL__UNUSED static int llmspell__acas_ptr(llmspell__atomic_ptr *p, void *expect, void *desired) {
    return __atomic_compare_exchange_n(p, &expect, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
#elif defined(_MSC_VER)
typedef volatile long llmspell__atomic;
typedef void *volatile llmspell__atomic_ptr;
/* A volatile read after an Interlocked (full-barrier) write is ordered on x86; ARM needs the fence. */
#if defined(_M_ARM) || defined(_M_ARM64)
#define LLMSPELL__FENCE() MemoryBarrier()
#else
#define LLMSPELL__FENCE() _ReadWriteBarrier()
#endif
LLMSPELL__UNUSED static long llmspell__aload(llmspell__atomic *p) { long v = *p; LLMSPELL__FENCE(); return v; }
#define llmspell__astore(p, v) ((void)InterlockedExchange((p), (v)))
#define llmspell__aadd(p, d) (InterlockedExchangeAdd((p), (d)) + (d))
LLMSPELL__UNUSED static void *llmspell__aload_ptr(llmspell__atomic_ptr *p) { void *v = *p; LLMSPELL__FENCE(); return v; }
LLMSPELL__UNUSED static int llmspell__acas_ptr(llmspell__atomic_ptr *p, void *expect, void *desired) {
    return InterlockedCompareExchangePointer(p, desired, expect) == expect;
}
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
typedef atomic_long llmspell__atomic;
typedef _Atomic(void *) llmspell__atomic_ptr;
#define llmspell__aload(p) atomic_load(p)
#define llmspell__astore(p, v) atomic_store((p), (v))
#define llmspell__aadd(p, d) (atomic_fetch_add((p), (d)) + (d))
#define llmspell__aload_ptr(p) atomic_load_explicit((p), memory_order_acquire)
LLMSPELL__UNUSED static int llmspell__acas_ptr(llmspell__atomic_ptr *p, void *expect, void *desired) {
    return atomic_compare_exchange_strong(p, &expect, desired);
}
#else
#error "llmspell: no atomics for this compiler: define LLMSPELL_NO_THREADS (one thread per handle)"
#endif

#if defined(_WIN32)
LLMSPELL__UNUSED static int llmspell__mutex_init(llmspell__mutex *m) { InitializeSRWLock(m); return 0; }
LLMSPELL__UNUSED static void llmspell__mutex_destroy(llmspell__mutex *m) { (void)m; }
LLMSPELL__UNUSED static void llmspell__mutex_lock(llmspell__mutex *m) { AcquireSRWLockExclusive(m); }
LLMSPELL__UNUSED static void llmspell__mutex_unlock(llmspell__mutex *m) { ReleaseSRWLockExclusive(m); }
LLMSPELL__UNUSED static int llmspell__cond_init(llmspell__cond *c) { InitializeConditionVariable(c); return 0; }
LLMSPELL__UNUSED static void llmspell__cond_destroy(llmspell__cond *c) { (void)c; }
LLMSPELL__UNUSED static void llmspell__cond_wait(llmspell__cond *c, llmspell__mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
LLMSPELL__UNUSED static void llmspell__cond_broadcast(llmspell__cond *c) { WakeAllConditionVariable(c); }
LLMSPELL__UNUSED static uintptr_t llmspell__thread_id(void) { return (uintptr_t)GetCurrentThreadId() + 1; }
LLMSPELL__UNUSED static void llmspell__yield(void) { SwitchToThread(); }
typedef struct llmspell__thread_start_arg { void (*fn)(void *); void *arg; } llmspell__thread_start_arg;
static unsigned __stdcall llmspell__thread_main(void *p) {
    llmspell__thread_start_arg a = *(llmspell__thread_start_arg *)p;
    HeapFree(GetProcessHeap(), 0, p);
    a.fn(a.arg);
    return 0;
}
/* 0 or an errno value; fn(arg) runs in the new thread. */
LLMSPELL__UNUSED static int llmspell__thread_start(llmspell__thread *t, void (*fn)(void *), void *arg) {
    llmspell__thread_start_arg *a = (llmspell__thread_start_arg *)HeapAlloc(GetProcessHeap(), 0, sizeof *a);
    uintptr_t h;
    if (!a) return ENOMEM;
    a->fn = fn;
    a->arg = arg;
    h = _beginthreadex(NULL, 0, llmspell__thread_main, a, 0, NULL);
    if (!h) { HeapFree(GetProcessHeap(), 0, a); return EAGAIN; }
    *t = (HANDLE)h;
    return 0;
}
LLMSPELL__UNUSED static void llmspell__thread_join(llmspell__thread *t) { WaitForSingleObject(*t, INFINITE); CloseHandle(*t); }
LLMSPELL__UNUSED static uint64_t llmspell__spin_clock_us(void) { /* monotonic */
    LARGE_INTEGER t, f;
    QueryPerformanceCounter(&t);
    QueryPerformanceFrequency(&f);
    return (uint64_t)(t.QuadPart / f.QuadPart * 1000000 + t.QuadPart % f.QuadPart * 1000000 / f.QuadPart);
}
LLMSPELL__UNUSED static unsigned llmspell__cpu_count(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors ? (unsigned)si.dwNumberOfProcessors : 1u;
}
#else
LLMSPELL__UNUSED static int llmspell__mutex_init(llmspell__mutex *m) { return pthread_mutex_init(m, NULL); }
LLMSPELL__UNUSED static void llmspell__mutex_destroy(llmspell__mutex *m) { pthread_mutex_destroy(m); }
LLMSPELL__UNUSED static void llmspell__mutex_lock(llmspell__mutex *m) { pthread_mutex_lock(m); }
LLMSPELL__UNUSED static void llmspell__mutex_unlock(llmspell__mutex *m) { pthread_mutex_unlock(m); }
LLMSPELL__UNUSED static int llmspell__cond_init(llmspell__cond *c) { return pthread_cond_init(c, NULL); }
LLMSPELL__UNUSED static void llmspell__cond_destroy(llmspell__cond *c) { pthread_cond_destroy(c); }
LLMSPELL__UNUSED static void llmspell__cond_wait(llmspell__cond *c, llmspell__mutex *m) { pthread_cond_wait(c, m); }
LLMSPELL__UNUSED static void llmspell__cond_broadcast(llmspell__cond *c) { pthread_cond_broadcast(c); }
/* pthread_t is an opaque type; a thread's own slot address is unique among live threads. */
static
#if defined(__GNUC__) || defined(__clang__)
    __thread
#else
    _Thread_local
#endif
    char llmspell__thread_anchor;
LLMSPELL__UNUSED static uintptr_t llmspell__thread_id(void) { return (uintptr_t)&llmspell__thread_anchor; }
LLMSPELL__UNUSED static void llmspell__yield(void) { sched_yield(); }
typedef struct llmspell__thread_start_arg { void (*fn)(void *); void *arg; } llmspell__thread_start_arg;
static void *llmspell__thread_main(void *p) {
    llmspell__thread_start_arg a = *(llmspell__thread_start_arg *)p;
    free(p);
    a.fn(a.arg);
    return NULL;
}
LLMSPELL__UNUSED static int llmspell__thread_start(llmspell__thread *t, void (*fn)(void *), void *arg) {
    llmspell__thread_start_arg *a = (llmspell__thread_start_arg *)malloc(sizeof *a);
    int e;
    if (!a) return ENOMEM;
    a->fn = fn;
    a->arg = arg;
    if ((e = pthread_create(t, NULL, llmspell__thread_main, a)) != 0) free(a);
    return e;
}
LLMSPELL__UNUSED static void llmspell__thread_join(llmspell__thread *t) { pthread_join(*t, NULL); }
LLMSPELL__UNUSED static uint64_t llmspell__spin_clock_us(void) {
#ifdef CLOCK_MONOTONIC
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
#else /* strict C without POSIX feature macros: CPU time, which a spinning thread advances */
    return (uint64_t)clock() * 1000000u / CLOCKS_PER_SEC;
#endif
}
LLMSPELL__UNUSED static unsigned llmspell__cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}
#endif

/* A hint inside a spin loop (lets a sibling hyperthread run). */
#if defined(_MSC_VER)
#define llmspell__relax() YieldProcessor()
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define llmspell__relax() __builtin_ia32_pause()
#elif (defined(__GNUC__) || defined(__clang__)) && (defined(__aarch64__) || (defined(__arm__) && __ARM_ARCH >= 7))
#define llmspell__relax() __asm__ __volatile__("yield")
#else
#define llmspell__relax() ((void)0)
#endif

/* The readers-writer lock. Each reader counts itself in its own stripe (one cache line each),
   so readers on different cores never write the same line; a writer raises `writing`, which
   turns new readers away, and waits on the condition variable until every stripe is empty.
   Writers queue behind one another; readers that find a writer wait for it to finish, and
   enter before the next writer does, so a writer that commits continuously cannot starve them.
   A commit usually holds the lock for a few microseconds, less than putting a thread to sleep
   and waking it costs: on a machine with more than one CPU, a reader that finds a writer, and
   a writer that waits for readers to leave, first spin for up to LLMSPELL__SPIN_US. */
#define LLMSPELL__STRIPES 8
#define LLMSPELL__SPIN_US 50
typedef struct llmspell__rw {
    struct {
        llmspell__atomic n;
        char pad[64 - sizeof(llmspell__atomic)];
    } readers[LLMSPELL__STRIPES];
    llmspell__atomic writing;
    llmspell__mutex m;
    llmspell__cond c;
    int waiting_readers;        /* readers blocked by a writer (under m) */
    int readers_turn;           /* a writer left while readers waited: they go first (under m) */
    int spin;                   /* spin before sleeping (more than one CPU); set at init */
} llmspell__rw;

/* Spins until *flag is 0 (readers 0: until no stripe holds a reader) or LLMSPELL__SPIN_US
   passed. Returns whether it got there. */
static int llmspell__rw_has_readers(llmspell__rw *rw);
static int llmspell__rw_spin(llmspell__rw *rw, llmspell__atomic *flag) {
    uint64_t until = 0;
    unsigned i;
    for (i = 0;; i++) {
        if (flag ? !llmspell__aload(flag) : !llmspell__rw_has_readers(rw)) return 1;
        if ((i & 63) == 0) { /* a clock read now and then costs little next to 64 pauses */
            uint64_t now = llmspell__spin_clock_us();
            if (!until) until = now + LLMSPELL__SPIN_US;
            else if (now >= until) return 0;
        }
        llmspell__relax();
    }
}

LLMSPELL__UNUSED static int llmspell__rw_init(llmspell__rw *rw) {
    memset(rw, 0, sizeof *rw);
    rw->spin = llmspell__cpu_count() > 1;
    if (llmspell__mutex_init(&rw->m) != 0) return -1;
    if (llmspell__cond_init(&rw->c) != 0) { llmspell__mutex_destroy(&rw->m); return -1; }
    return 0;
}
LLMSPELL__UNUSED static void llmspell__rw_destroy(llmspell__rw *rw) {
    llmspell__cond_destroy(&rw->c);
    llmspell__mutex_destroy(&rw->m);
}
LLMSPELL__UNUSED static void llmspell__rw_read_wait(llmspell__rw *rw, llmspell__atomic *n);
LLMSPELL__UNUSED static void llmspell__rw_read_lock(llmspell__rw *rw, unsigned stripe) { /* small: inlined */
    llmspell__atomic *n = &rw->readers[stripe % LLMSPELL__STRIPES].n;
    llmspell__aadd(n, 1);
    if (llmspell__aload(&rw->writing)) llmspell__rw_read_wait(rw, n);
}
/* A reader that found a writer: waits for it, then is in. */
LLMSPELL__UNUSED static void llmspell__rw_read_wait(llmspell__rw *rw, llmspell__atomic *n) {
    int spin = rw->spin;
    for (;;) {
        llmspell__aadd(n, -1); /* step back, let the writer see an empty stripe */
        llmspell__mutex_lock(&rw->m);
        llmspell__cond_broadcast(&rw->c);
        if (!spin) break; /* and wait for it below, m held */
        llmspell__mutex_unlock(&rw->m);
        spin = 0; /* one spin a call, then sleep */
        if (!llmspell__rw_spin(rw, &rw->writing)) {
            llmspell__mutex_lock(&rw->m);
            break;
        }
        llmspell__aadd(n, 1);
        if (!llmspell__aload(&rw->writing)) return;
    }
    rw->waiting_readers++;
    while (llmspell__aload(&rw->writing)) llmspell__cond_wait(&rw->c, &rw->m);
    llmspell__aadd(n, 1); /* no writer can start while m is held: this reader is in */
    if (--rw->waiting_readers == 0 && rw->readers_turn) {
        rw->readers_turn = 0;
        llmspell__cond_broadcast(&rw->c);
    }
    llmspell__mutex_unlock(&rw->m);
}
LLMSPELL__UNUSED static void llmspell__rw_read_unlock(llmspell__rw *rw, unsigned stripe) {
    llmspell__aadd(&rw->readers[stripe % LLMSPELL__STRIPES].n, -1);
    if (llmspell__aload(&rw->writing)) { /* a writer may be waiting for this stripe */
        llmspell__mutex_lock(&rw->m);
        llmspell__cond_broadcast(&rw->c);
        llmspell__mutex_unlock(&rw->m);
    }
}
static int llmspell__rw_has_readers(llmspell__rw *rw) {
    int i;
    for (i = 0; i < LLMSPELL__STRIPES; i++)
        if (llmspell__aload(&rw->readers[i].n)) return 1;
    return 0;
}
LLMSPELL__UNUSED static void llmspell__rw_write_lock(llmspell__rw *rw) {
    llmspell__mutex_lock(&rw->m);
    while (llmspell__aload(&rw->writing) || rw->readers_turn) llmspell__cond_wait(&rw->c, &rw->m);
    llmspell__astore(&rw->writing, 1);
    if (rw->spin && llmspell__rw_has_readers(rw)) { /* they leave within a read */
        llmspell__mutex_unlock(&rw->m); /* `writing` keeps the lock this writer's meanwhile */
        (void)llmspell__rw_spin(rw, NULL);
        llmspell__mutex_lock(&rw->m);
    }
    while (llmspell__rw_has_readers(rw)) llmspell__cond_wait(&rw->c, &rw->m);
    llmspell__mutex_unlock(&rw->m);
}
LLMSPELL__UNUSED static void llmspell__rw_write_unlock(llmspell__rw *rw) {
    llmspell__mutex_lock(&rw->m);
    llmspell__astore(&rw->writing, 0);
    if (rw->waiting_readers) rw->readers_turn = 1;
    llmspell__cond_broadcast(&rw->c);
    llmspell__mutex_unlock(&rw->m);
}
#endif /* !LLMSPELL_NO_THREADS */

/* Per-thread state on a handle: the calling thread's error message, a buffer that holds what a
   read returned (valid until the thread's next call on the handle) and scratch for the header
   that owns the handle. Slots are found by thread id in a list that only grows (lock-free to
   read), and are freed with the handle: a handle keeps one per thread that ever used it. */
typedef struct llmspell__tslot {
    /* read by every thread that walks the list: written once, kept off the lines below */
    uintptr_t tid;
    struct llmspell__tslot *next;
    struct llmspell__tslots *home; /* the list it belongs to */
    unsigned stripe;            /* this thread's reader stripe on the handle's lock */
    char apart[64];             /* the fields below change on every call of their thread */
    int depth;                  /* nesting of the family's calls holding the lock in this thread */
    int mode;                   /* how the outermost call holds the lock (the owner's flags) */
    int snapshots;              /* read snapshots open in this thread */
    char errmsg[256];
    void *buf;                  /* a read's copy, as the caller gets it */
    size_t cap;
    void *rbuf;                 /* what a backend read for this thread (the copy's source) */
    size_t rcap;
    void *scratch;              /* the owning header's per-thread scratch */
    void (*scratch_free)(void *owner, void *scratch);
} llmspell__tslot;

typedef struct llmspell__tslots {
#ifdef LLMSPELL_NO_THREADS
    llmspell__tslot one;
#else
    llmspell__atomic_ptr head; /* llmspell__tslot *; pushed with compare-and-swap */
    llmspell__atomic count;
    char apart[64];            /* whatever follows (a lock's reader stripes) is written often */
#endif
} llmspell__tslots;

/* The calling thread's slot, created on first use with `a` (all-zero: malloc); NULL: no memory. */
LLMSPELL__UNUSED static llmspell__tslot *llmspell__tslot_get(llmspell__tslots *ts, const llmspell_allocator *a) {
#ifdef LLMSPELL_NO_THREADS
    (void)a;
    return &ts->one;
#else
    uintptr_t me = llmspell__thread_id();
    llmspell__tslot *s, *head;
    for (s = (llmspell__tslot *)llmspell__aload_ptr(&ts->head); s; s = s->next)
        if (s->tid == me) return s;
    s = (llmspell__tslot *)(a && a->alloc ? a->alloc(a->ctx, sizeof *s) : LLMSPELL_MALLOC(sizeof *s));
    if (!s) return NULL;
    memset(s, 0, sizeof *s);
    s->tid = me;
    s->home = ts;
    s->stripe = (unsigned)llmspell__aadd(&ts->count, 1) - 1u;
    do {
        head = (llmspell__tslot *)llmspell__aload_ptr(&ts->head);
        s->next = head;
    } while (!llmspell__acas_ptr(&ts->head, head, s));
    return s;
#endif
}

/* The calling thread's slot if it has one (no allocation). */
LLMSPELL__UNUSED static llmspell__tslot *llmspell__tslot_find(llmspell__tslots *ts) {
#ifdef LLMSPELL_NO_THREADS
    return &ts->one;
#else
    uintptr_t me = llmspell__thread_id();
    llmspell__tslot *s;
    for (s = (llmspell__tslot *)llmspell__aload_ptr(&ts->head); s; s = s->next)
        if (s->tid == me) return s;
    return NULL;
#endif
}

/* Frees every slot, each slot's buffer and (through scratch_free) its scratch. */
LLMSPELL__UNUSED static void llmspell__tslots_free(llmspell__tslots *ts, const llmspell_allocator *a, void *owner) {
    llmspell__tslot *s, *next;
#ifdef LLMSPELL_NO_THREADS
    s = &ts->one;
    next = NULL;
#else
    s = (llmspell__tslot *)llmspell__aload_ptr(&ts->head);
#endif
    for (; s; s = next) {
#ifndef LLMSPELL_NO_THREADS
        next = s->next;
#endif
        if (s->scratch && s->scratch_free) s->scratch_free(owner, s->scratch);
        if (s->buf) { if (a && a->free) a->free(a->ctx, s->buf); else LLMSPELL_FREE(s->buf); }
        if (s->rbuf) { if (a && a->free) a->free(a->ctx, s->rbuf); else LLMSPELL_FREE(s->rbuf); }
#ifndef LLMSPELL_NO_THREADS
        if (a && a->free) a->free(a->ctx, s); else LLMSPELL_FREE(s);
#endif
    }
    memset(ts, 0, sizeof *ts);
}

#endif /* LLMSPELL__SHARED_ONCE */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#if defined(LLMSPELL_IMPLEMENTATION) && !defined(LLMSPELL_KV_IMPLEMENTATION)
#define LLMSPELL_KV_IMPLEMENTATION
#endif

#ifdef LLMSPELL_KV_IMPLEMENTATION
#ifndef LLMSPELL_KV_IMPLEMENTATION_ONCE
#define LLMSPELL_KV_IMPLEMENTATION_ONCE

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(LLMSPELL_NO_OS)
/* no files, no clock: memory and user backends only */
#elif defined(_WIN32)
#define LLMSPELL__OS_WIN32 1
#elif defined(__unix__) || defined(__unix) || defined(__APPLE__)
#define LLMSPELL__OS_POSIX 1
#else
#error "llmspell: no OS layer for this platform: define LLMSPELL_NO_OS (memory and user backends)"
#endif
#ifdef LLMSPELL_KV_SQLITE
#include <sqlite3.h>
#endif
#ifdef LLMSPELL_KV_POSTGRES
#include <libpq-fe.h>
#endif


#if LLMSPELL_KV_MAX_KEY > 32768 || LLMSPELL_KV_MAX_KEY < 16
#error "llmspell: LLMSPELL_KV_MAX_KEY must be within 16..32768"
#endif
/* Keys in the 0xFF system namespace may exceed LLMSPELL_KV_MAX_KEY: a tenant view stores a
   user key of the maximum size behind its tenant prefix. Stored keys are at most this long. */
#define LLMSPELL__SYS_MAX_KEY 65535u

/* >>os: every call into the operating system, in one place. POSIX and Win32 versions of the
   same small set: the clocks, a process id, the file io behind llmspell_kv_io_os(), and a
   read-only map of a whole file for replay. LLMSPELL_NO_OS compiles none of it. */
#if defined(LLMSPELL__OS_POSIX)
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static llmspell_time llmspell__os_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (llmspell_time)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
static uint64_t llmspell__os_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
static uint64_t llmspell__os_pid(void) { return (uint64_t)getpid(); }

/* off_t is 64 bits wherever _FILE_OFFSET_BITS took effect; where the user's own includes came
   first on a 32-bit host it may not be: refuse offsets it cannot hold instead of wrapping. */
static int llmspell__os_off(uint64_t off, off_t *out) {
    *out = (off_t)off;
    return (uint64_t)*out == off && *out >= 0 ? 0 : EFBIG;
}

static int llmspell__os_open(void *ctx, const char *path, int write, int create, unsigned mode, int *fd) {
    int flags = (write ? O_RDWR : O_RDONLY) | O_CLOEXEC | (create ? O_CREAT : 0) | (create == 2 ? O_TRUNC : 0);
    (void)ctx;
    *fd = open(path, flags, (mode_t)mode);
    return *fd < 0 ? errno : 0;
}
static int llmspell__os_close(void *ctx, int fd) { (void)ctx; return close(fd) != 0 ? errno : 0; }
static int llmspell__os_stat(void *ctx, int fd, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]) {
    struct stat st;
    (void)ctx;
    if (fstat(fd, &st) != 0) return errno;
    *size = (uint64_t)st.st_size;
    *regular = S_ISREG(st.st_mode) != 0;
    *mode = (unsigned)(st.st_mode & 0777);
    id[0] = (uint64_t)st.st_dev;
    id[1] = (uint64_t)st.st_ino;
    return 0;
}
static int llmspell__os_stat_path(void *ctx, const char *path, uint64_t id[2]) {
    struct stat st;
    (void)ctx;
    if (stat(path, &st) != 0) return errno;
    id[0] = (uint64_t)st.st_dev;
    id[1] = (uint64_t)st.st_ino;
    return 0;
}
static int llmspell__os_lock(void *ctx, int fd, int exclusive) {
    (void)ctx;
    return flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 ? errno : 0;
}
static int llmspell__os_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off, size_t *got) {
    uint8_t *p = (uint8_t *)buf;
    off_t end;
    (void)ctx;
    *got = 0;
    if (llmspell__os_off(off + n, &end) != 0) return EFBIG; /* then every offset below fits */
    while (*got < n) {
        ssize_t r = pread(fd, p + *got, n - *got, (off_t)(off + *got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return 0;
}
static int llmspell__os_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off) {
    const uint8_t *p = (const uint8_t *)buf;
    off_t end;
    (void)ctx;
    if (llmspell__os_off(off + n, &end) != 0) return EFBIG; /* then every offset below fits */
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}
static int llmspell__os_truncate(void *ctx, int fd, uint64_t size) {
    off_t at;
    (void)ctx;
    if (llmspell__os_off(size, &at) != 0) return EFBIG;
    return ftruncate(fd, at) != 0 ? errno : 0;
}
static int llmspell__os_sync(void *ctx, int fd) {
    (void)ctx;
#if defined(__APPLE__)
    return fcntl(fd, F_FULLFSYNC) != 0 ? errno : 0; /* fsync alone leaves data in the drive's cache */
#elif defined(__linux__)
    return fdatasync(fd) != 0 ? errno : 0;
#else
    return fsync(fd) != 0 ? errno : 0;
#endif
}
static int llmspell__os_sync_dir(void *ctx, const char *path) {
    char dir[4200];
    const char *slash = strrchr(path, '/');
    int fd, rc;
    (void)ctx;
    if (!slash) strcpy(dir, ".");
    else if (slash == path) strcpy(dir, "/");
    else {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof dir) return ENAMETOOLONG;
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    rc = fsync(fd) != 0 ? errno : 0;
    close(fd);
    return rc;
}
static int llmspell__os_rename(void *ctx, const char *from, const char *to) { (void)ctx; return rename(from, to) != 0 ? errno : 0; }
static int llmspell__os_link(void *ctx, const char *from, const char *to) { (void)ctx; return link(from, to) != 0 ? errno : 0; }
static int llmspell__os_unlink(void *ctx, const char *path) { (void)ctx; return unlink(path) != 0 ? errno : 0; }

/* A read-only view of bytes [0, len) of the file, or NULL (then the caller reads with pread).
   len may run past the end of the file: the pages there become readable as the file grows. */
static const uint8_t *llmspell__os_map(int fd, uint64_t len) {
    void *m;
    if ((uint64_t)(size_t)len != len) return NULL;
    m = mmap(NULL, (size_t)len, PROT_READ, MAP_SHARED, fd, 0);
    return m == MAP_FAILED ? NULL : (const uint8_t *)m;
}
static void llmspell__os_unmap(const uint8_t *map, uint64_t len) { munmap((void *)(uintptr_t)map, (size_t)len); }
/* Whether a map may extend past the end of the file (and so serve a growing log). */
#define LLMSPELL__OS_MAP_GROWS 1
#define LLMSPELL__OS_NO_REPLACE_OPEN 0

#elif defined(LLMSPELL__OS_WIN32)
/* Win32: UTF-8 paths become UTF-16 for the W functions; file handles travel as C runtime
   descriptors (_open_osfhandle), so llmspell_kv_io keeps its int handles on every platform. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#define LLMSPELL__UNDEF_LEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#define LLMSPELL__UNDEF_NOMINMAX
#endif
#include <windows.h>
#include <io.h>
#include <fcntl.h>
#ifdef LLMSPELL__UNDEF_LEAN
#undef WIN32_LEAN_AND_MEAN
#undef LLMSPELL__UNDEF_LEAN
#endif
#ifdef LLMSPELL__UNDEF_NOMINMAX
#undef NOMINMAX
#undef LLMSPELL__UNDEF_NOMINMAX
#endif

static llmspell_time llmspell__os_now_us(void) {
    FILETIME ft;
    uint64_t t;
    GetSystemTimePreciseAsFileTime(&ft);
    t = (uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime; /* 100 ns ticks since 1601 */
    return (llmspell_time)(t / 10) - (llmspell_time)11644473600000000; /* 1601 -> 1970 */
}
static uint64_t llmspell__os_mono_ms(void) { return (uint64_t)GetTickCount64(); }
static uint64_t llmspell__os_pid(void) { return (uint64_t)GetCurrentProcessId(); }

/* The errno value the file backend understands for a Win32 error. */
static int llmspell__win_errno(DWORD e) {
    switch (e) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE: return ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_WRITE_PROTECT: return EACCES;
    case ERROR_SHARING_VIOLATION: return EBUSY; /* another program opened it without sharing */
    case ERROR_LOCK_VIOLATION: case ERROR_IO_PENDING: return EWOULDBLOCK;
    case ERROR_FILE_EXISTS: case ERROR_ALREADY_EXISTS: return EEXIST;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return ENOMEM;
    case ERROR_INVALID_NAME: case ERROR_BAD_PATHNAME: case ERROR_NO_UNICODE_TRANSLATION: return EINVAL;
    case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
    case ERROR_NOT_SUPPORTED: case ERROR_INVALID_FUNCTION: return ENOTSUP;
    case ERROR_NOT_SAME_DEVICE: return EXDEV;
    case ERROR_DIRECTORY: return ENOTDIR;
    default: return EIO;
    }
}
static int llmspell__win_err(void) { return llmspell__win_errno(GetLastError()); }

/* path (UTF-8, at most 4096 bytes) as UTF-16 in w[]; EINVAL for bytes that are not UTF-8. */
#define LLMSPELL__WPATH 4200
static int llmspell__win_path(const char *path, wchar_t *w) {
    return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, LLMSPELL__WPATH) > 0 ? 0 : llmspell__win_err();
}
static HANDLE llmspell__win_handle(int fd) { return (HANDLE)_get_osfhandle(fd); }

static int llmspell__os_open(void *ctx, const char *path, int write, int create, unsigned mode, int *fd) {
    wchar_t w[LLMSPELL__WPATH];
    HANDLE h;
    int e;
    (void)ctx;
    (void)mode; /* Windows files carry ACLs, not permission bits: they inherit the directory's */
    *fd = -1;
    if ((e = llmspell__win_path(path, w)) != 0) return e;
    /* share everything, delete included, so the store can be compacted (renamed over) while
       readers hold it open; the lock, not the share mode, keeps writers apart */
    h = CreateFileW(w, GENERIC_READ | (write ? GENERIC_WRITE : 0), FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                    NULL, create == 2 ? CREATE_ALWAYS : create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD err = GetLastError(), attr;
        if (err == ERROR_ACCESS_DENIED && (attr = GetFileAttributesW(w)) != INVALID_FILE_ATTRIBUTES &&
            (attr & FILE_ATTRIBUTE_DIRECTORY))
            return EISDIR;
        return llmspell__win_errno(err);
    }
    *fd = _open_osfhandle((intptr_t)h, _O_BINARY | (write ? _O_RDWR : _O_RDONLY));
    if (*fd < 0) {
        CloseHandle(h);
        return EMFILE;
    }
    return 0;
}
static int llmspell__os_close(void *ctx, int fd) { (void)ctx; return _close(fd) != 0 ? EIO : 0; }
static int llmspell__win_info(HANDLE h, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]) {
    BY_HANDLE_FILE_INFORMATION bi;
    if (!GetFileInformationByHandle(h, &bi)) return llmspell__win_err();
    if (size) *size = (uint64_t)bi.nFileSizeHigh << 32 | bi.nFileSizeLow;
    if (regular) *regular = !(bi.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE));
    if (mode) *mode = (bi.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444u : 0644u;
    id[0] = bi.dwVolumeSerialNumber;
    id[1] = (uint64_t)bi.nFileIndexHigh << 32 | bi.nFileIndexLow;
    return 0;
}
static int llmspell__os_stat(void *ctx, int fd, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]) {
    (void)ctx;
    return llmspell__win_info(llmspell__win_handle(fd), size, regular, mode, id);
}
static int llmspell__os_stat_path(void *ctx, const char *path, uint64_t id[2]) {
    wchar_t w[LLMSPELL__WPATH];
    HANDLE h;
    int e;
    (void)ctx;
    if ((e = llmspell__win_path(path, w)) != 0) return e;
    h = CreateFileW(w, FILE_READ_ATTRIBUTES, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) return llmspell__win_err();
    e = llmspell__win_info(h, NULL, NULL, NULL, id);
    CloseHandle(h);
    return e;
}
/* Windows locks are mandatory byte ranges: lock one byte far past any data (at 2^62), so the
   lock keeps writers apart without blocking anybody's reads of the data itself. */
static int llmspell__os_lock(void *ctx, int fd, int exclusive) {
    OVERLAPPED ov;
    (void)ctx;
    memset(&ov, 0, sizeof ov);
    ov.OffsetHigh = 0x40000000u;
    if (!LockFileEx(llmspell__win_handle(fd), LOCKFILE_FAIL_IMMEDIATELY | (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0), 0, 1, 0,
                    &ov))
        return llmspell__win_err();
    return 0;
}
static int llmspell__os_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off, size_t *got) {
    HANDLE h = llmspell__win_handle(fd);
    uint8_t *p = (uint8_t *)buf;
    (void)ctx;
    *got = 0;
    while (*got < n) {
        OVERLAPPED ov; /* on a synchronous handle this only carries the offset */
        uint64_t at = off + *got;
        DWORD want = n - *got > (1u << 30) ? (1u << 30) : (DWORD)(n - *got), r = 0;
        memset(&ov, 0, sizeof ov);
        ov.Offset = (DWORD)at;
        ov.OffsetHigh = (DWORD)(at >> 32);
        if (!ReadFile(h, p + *got, want, &r, &ov)) {
            DWORD e = GetLastError();
            if (e == ERROR_HANDLE_EOF) break;
            return llmspell__win_errno(e);
        }
        if (r == 0) break;
        *got += r;
    }
    return 0;
}
static int llmspell__os_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off) {
    HANDLE h = llmspell__win_handle(fd);
    const uint8_t *p = (const uint8_t *)buf;
    (void)ctx;
    while (n) {
        OVERLAPPED ov;
        DWORD want = n > (1u << 30) ? (1u << 30) : (DWORD)n, w = 0;
        memset(&ov, 0, sizeof ov);
        ov.Offset = (DWORD)off;
        ov.OffsetHigh = (DWORD)(off >> 32);
        if (!WriteFile(h, p, want, &w, &ov)) return llmspell__win_err();
        if (w == 0) return EIO;
        p += w;
        n -= w;
        off += w;
    }
    return 0;
}
static int llmspell__os_truncate(void *ctx, int fd, uint64_t size) {
    FILE_END_OF_FILE_INFO eof;
    (void)ctx;
    eof.EndOfFile.QuadPart = (LONGLONG)size;
    return SetFileInformationByHandle(llmspell__win_handle(fd), FileEndOfFileInfo, &eof, sizeof eof) ? 0 : llmspell__win_err();
}
static int llmspell__os_sync(void *ctx, int fd) {
    (void)ctx;
    return FlushFileBuffers(llmspell__win_handle(fd)) ? 0 : llmspell__win_err();
}
/* Windows cannot sync a directory. NTFS journals its metadata, and flushing a file also
   flushes that journal, so flushing the file that path names makes its directory entry (a
   new link, a rename) durable. */
static int llmspell__os_sync_dir(void *ctx, const char *path) {
    wchar_t w[LLMSPELL__WPATH];
    HANDLE h;
    int e;
    (void)ctx;
    if ((e = llmspell__win_path(path, w)) != 0) return e;
    h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return llmspell__win_err();
    e = FlushFileBuffers(h) ? 0 : llmspell__win_err();
    CloseHandle(h);
    return e;
}
static int llmspell__os_rename(void *ctx, const char *from, const char *to) {
    wchar_t wf[LLMSPELL__WPATH], wt[LLMSPELL__WPATH];
    int e;
    (void)ctx;
    if ((e = llmspell__win_path(from, wf)) != 0 || (e = llmspell__win_path(to, wt)) != 0) return e;
    /* WRITE_THROUGH: returns once the move is on disk */
    return MoveFileExW(wf, wt, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH) ? 0 : llmspell__win_err();
}
static int llmspell__os_link(void *ctx, const char *from, const char *to) {
    wchar_t wf[LLMSPELL__WPATH], wt[LLMSPELL__WPATH];
    int e;
    (void)ctx;
    if ((e = llmspell__win_path(from, wf)) != 0 || (e = llmspell__win_path(to, wt)) != 0) return e;
    return CreateHardLinkW(wt, wf, NULL) ? 0 : llmspell__win_err();
}
static int llmspell__os_unlink(void *ctx, const char *path) {
    wchar_t w[LLMSPELL__WPATH];
    int e;
    (void)ctx;
    if ((e = llmspell__win_path(path, w)) != 0) return e;
    return DeleteFileW(w) ? 0 : llmspell__win_err();
}

/* A read-only view of bytes [0, len) of the file, or NULL. A Windows view cannot reach past
   the end of the file, and a mapped file can be neither truncated nor replaced, so the file
   backend maps only to replay the log at open and reads values with ReadFile. */
static const uint8_t *llmspell__os_map(int fd, uint64_t len) {
    HANDLE fm;
    void *v;
    if ((uint64_t)(size_t)len != len || len == 0) return NULL;
    fm = CreateFileMappingW(llmspell__win_handle(fd), NULL, PAGE_READONLY, 0, 0, NULL);
    if (!fm) return NULL;
    v = MapViewOfFile(fm, FILE_MAP_READ, 0, 0, (SIZE_T)len);
    CloseHandle(fm); /* the view keeps the mapping alive */
    return (const uint8_t *)v;
}
static void llmspell__os_unmap(const uint8_t *map, uint64_t len) {
    (void)len;
    UnmapViewOfFile(map);
}
#define LLMSPELL__OS_MAP_GROWS 0
#define LLMSPELL__OS_NO_REPLACE_OPEN 1 /* MoveFileExW fails on a target that is open */
#endif /* LLMSPELL__OS_WIN32 */

#ifndef LLMSPELL_NO_OS
static const llmspell_kv_io llmspell__io_os = {
    NULL, llmspell__os_open, llmspell__os_close, llmspell__os_stat, llmspell__os_stat_path, llmspell__os_lock, llmspell__os_pread,
    llmspell__os_pwrite, llmspell__os_truncate, llmspell__os_sync, llmspell__os_sync_dir, llmspell__os_rename, llmspell__os_link,
    llmspell__os_unlink, LLMSPELL__OS_NO_REPLACE_OPEN};

LLMSPELL_DEF const llmspell_kv_io *llmspell_kv_io_os(void) { return &llmspell__io_os; }
#else
static llmspell_time llmspell__os_now_us(void) { return 0; } /* no clock: see >>time in the declarations */
#endif


/* >>common ------------------------------------------------------------------------------ */

LLMSPELL_DEF const char *llmspell_strerror(llmspell_result code) {
    switch (code) {
    case LLMSPELL_OK: return "success";
    case LLMSPELL_ERR_NOT_FOUND: return "not found";
    case LLMSPELL_ERR_INVALID: return "invalid argument";
    case LLMSPELL_ERR_NOMEM: return "out of memory";
    case LLMSPELL_ERR_IO: return "input/output error";
    case LLMSPELL_ERR_CORRUPT: return "data is corrupt";
    case LLMSPELL_ERR_BUSY: return "locked by another writer";
    case LLMSPELL_ERR_EXISTS: return "already exists";
    case LLMSPELL_ERR_QUOTA: return "quota exceeded";
    case LLMSPELL_ERR_FORMAT: return "unknown or newer format";
    case LLMSPELL_ERR_UNSUPPORTED: return "not supported by this backend";
    case LLMSPELL_ERR_CONFLICT: return "conflicts with existing data";
    case LLMSPELL_ERR_TOO_LARGE: return "over the size limit";
    case LLMSPELL_ERR_RESERVED: return "key is in the reserved 0xFF system namespace";
    case LLMSPELL_ERR_TXN: return "transaction misuse";
    case LLMSPELL_ERR_CLOSED: return "handle is closed";
    case LLMSPELL_ERR_READONLY: return "store is read-only";
    case LLMSPELL_ERR_NOT_A_FILE: return "path is not a regular file";
    case LLMSPELL_ERR_PARSE: return "malformed input";
    case LLMSPELL_RESULT_COUNT: break;
    }
    return "unknown result code";
}

static char *llmspell__errbuf(llmspell_kv *kv);
#ifndef LLMSPELL_NO_THREADS
static llmspell__tslot *llmspell__slot_of(llmspell_kv *kv);
#endif

LLMSPELL_DEF llmspell_result llmspell_kv_set_error(llmspell_kv *kv, llmspell_result code, const char *fmt, ...) {
    if (kv) {
        va_list ap;
        va_start(ap, fmt);
        LLMSPELL__VSNPRINTF(llmspell__errbuf(kv), sizeof kv->errmsg, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void *llmspell__alloc(const llmspell_allocator *a, size_t n) {
    if (n == 0) n = 1;
    return a->alloc ? a->alloc(a->ctx, n) : LLMSPELL_MALLOC(n);
}
static void *llmspell__realloc(const llmspell_allocator *a, void *p, size_t n) {
    if (n == 0) n = 1;
    return a->realloc ? a->realloc(a->ctx, p, n) : LLMSPELL_REALLOC(p, n);
}
static void llmspell__free(const llmspell_allocator *a, void *p) {
    if (!p) return;
    if (a->free) a->free(a->ctx, p); else LLMSPELL_FREE(p);
}

LLMSPELL_DEF void *llmspell_kv_alloc(llmspell_kv *kv, size_t size) { return llmspell__alloc(&kv->allocator, size); }
LLMSPELL_DEF void llmspell_kv_free(llmspell_kv *kv, void *ptr) { llmspell__free(&kv->allocator, ptr); }

/* Grows *buf to hold at least need bytes (doubling); keeps the contents. */
static llmspell_result llmspell__reserve(const llmspell_allocator *a, void **buf, size_t *cap, size_t need) {
    size_t n;
    void *p;
    if (need <= *cap) return LLMSPELL_OK;
    n = *cap ? *cap : 64;
    while (n < need) {
        if (n > ((size_t)-1) / 2) return LLMSPELL_ERR_NOMEM;
        n *= 2;
    }
    p = llmspell__realloc(a, *buf, n);
    if (!p) return LLMSPELL_ERR_NOMEM;
    *buf = p;
    *cap = n;
    return LLMSPELL_OK;
}

LLMSPELL_DEF void llmspell_kv_limits_get(llmspell_kv_limits *out) {
    if (!out) return;
    out->max_key = LLMSPELL_KV_MAX_KEY;
    out->max_value = LLMSPELL_KV_MAX_VALUE;
    out->max_tenant = LLMSPELL_KV_MAX_TENANT;
}

LLMSPELL_DEF llmspell_time llmspell_time_now(const llmspell_clock *clock) {
    if (clock && clock->now) return clock->now(clock->ctx);
    return llmspell__os_now_us();
}

/* Civil dates from days since 1970-01-01 and back (H. Hinnant's algorithms, exact for every
   int64 day count that fits a year of int64). */
static int64_t llmspell__days_from_civil(int64_t y, unsigned m, unsigned d) {
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void llmspell__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    int64_t era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

LLMSPELL_DEF size_t llmspell_time_format(llmspell_time t, char *buf, size_t cap) {
    int64_t days, secs, us, y;
    unsigned mo, d;
    int n;
    if (t == LLMSPELL_TIME_MAX) n = snprintf(buf, cap, "+inf");
    else if (t == LLMSPELL_TIME_MIN) n = snprintf(buf, cap, "-inf");
    else {
        us = t % 1000000;
        secs = t / 1000000;
        if (us < 0) { us += 1000000; secs--; }
        days = secs / 86400;
        secs %= 86400;
        if (secs < 0) { secs += 86400; days--; }
        llmspell__civil_from_days(days, &y, &mo, &d);
        if (us)
            n = snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02d.%06lldZ", (long long)y, mo, d, (int)(secs / 3600),
                         (int)(secs / 60 % 60), (int)(secs % 60), (long long)us);
        else
            n = snprintf(buf, cap, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, mo, d, (int)(secs / 3600),
                         (int)(secs / 60 % 60), (int)(secs % 60));
    }
    return n < 0 ? 0 : (size_t)n;
}

static int llmspell__digits(const char **p, const char *e, int n, int *out) {
    int v = 0, i;
    if (e - *p < n) return -1;
    for (i = 0; i < n; i++) {
        if ((*p)[i] < '0' || (*p)[i] > '9') return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

LLMSPELL_DEF llmspell_result llmspell_time_parse(const char *s, size_t n, llmspell_time *out) {
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0, leap;
    int64_t us = 0, t;
    const char *p = s, *e;
    if (!s || !out) return LLMSPELL_ERR_INVALID;
    if (n == LLMSPELL_STRLEN) n = strlen(s);
    e = s + n;
    if ((n == 4 && memcmp(s, "+inf", 4) == 0) || (n == 3 && memcmp(s, "inf", 3) == 0)) { *out = LLMSPELL_TIME_MAX; return LLMSPELL_OK; }
    if (n == 4 && memcmp(s, "-inf", 4) == 0) { *out = LLMSPELL_TIME_MIN; return LLMSPELL_OK; }
    if (n < 10 || s[4] != '-') { /* integer microseconds */
        uint64_t v = 0;
        int neg = n && *p == '-';
        if (neg) p++;
        if (p == e) return LLMSPELL_ERR_PARSE;
        for (; p < e; p++) {
            if (*p < '0' || *p > '9' || v > ((uint64_t)INT64_MAX - (uint64_t)(*p - '0')) / 10) return LLMSPELL_ERR_PARSE;
            v = v * 10 + (uint64_t)(*p - '0');
        }
        *out = neg ? -(int64_t)v : (int64_t)v;
        return LLMSPELL_OK;
    }
    if (llmspell__digits(&p, e, 4, &y) || p >= e || *p++ != '-' || llmspell__digits(&p, e, 2, &mo) || p >= e || *p++ != '-' ||
        llmspell__digits(&p, e, 2, &d))
        return LLMSPELL_ERR_PARSE;
    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap)) return LLMSPELL_ERR_PARSE;
    if (p < e) {
        if (*p != 'T' && *p != 't' && *p != ' ') return LLMSPELL_ERR_PARSE;
        p++;
        if (llmspell__digits(&p, e, 2, &h) || p >= e || *p++ != ':' || llmspell__digits(&p, e, 2, &mi) || p >= e || *p++ != ':' ||
            llmspell__digits(&p, e, 2, &se))
            return LLMSPELL_ERR_PARSE;
        if (h > 23 || mi > 59 || se > 60) return LLMSPELL_ERR_PARSE; /* 60: a leap second, read as the next second */
        if (p < e && *p == '.') {
            int k = 0;
            for (p++; p < e && *p >= '0' && *p <= '9'; p++, k++)
                if (k < 6) us = us * 10 + (*p - '0');
            if (k == 0) return LLMSPELL_ERR_PARSE;
            for (; k < 6; k++) us *= 10;
        }
        if (p < e && (*p == 'Z' || *p == 'z')) {
            p++;
        } else if (p < e && (*p == '+' || *p == '-')) {
            sign = *p++ == '-' ? -1 : 1;
            if (llmspell__digits(&p, e, 2, &oh) || p >= e || *p++ != ':' || llmspell__digits(&p, e, 2, &om) || oh > 23 || om > 59)
                return LLMSPELL_ERR_PARSE;
        } else {
            return LLMSPELL_ERR_PARSE; /* RFC 3339 needs a zone */
        }
        if (p != e) return LLMSPELL_ERR_PARSE;
    }
    t = llmspell__days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    t -= sign * (oh * 3600 + om * 60);
    *out = t * 1000000 + us;
    return LLMSPELL_OK;
}

/* >>tuple -------------------------------------------------------------------------------- */

LLMSPELL_DEF size_t llmspell_tuple_put_bytes(uint8_t *out, size_t cap, const void *s, size_t n) {
    const uint8_t *p = (const uint8_t *)s;
    size_t need = n + 2, i, o = 0;
    for (i = 0; i < n; i++) need += p[i] == 0;
    if (need > cap || !out) return need;
    for (i = 0; i < n; i++) {
        out[o++] = p[i];
        if (p[i] == 0) out[o++] = 0xFF;
    }
    out[o] = 0;
    out[o + 1] = 1;
    return need;
}

LLMSPELL_DEF size_t llmspell_tuple_put_u64(uint8_t *out, size_t cap, uint64_t v) {
    int i;
    if (cap < 8 || !out) return 8;
    for (i = 7; i >= 0; i--, v >>= 8) out[i] = (uint8_t)v;
    return 8;
}

LLMSPELL_DEF size_t llmspell_tuple_put_i64(uint8_t *out, size_t cap, int64_t v) {
    return llmspell_tuple_put_u64(out, cap, (uint64_t)v ^ 0x8000000000000000ull);
}

LLMSPELL_DEF llmspell_result llmspell_tuple_get_bytes(const uint8_t **pp, const uint8_t *end, uint8_t *out,
                                                      size_t cap, size_t *n) {
    const uint8_t *p;
    size_t o = 0;
    if (!pp || !*pp || !end || !n) return LLMSPELL_ERR_INVALID;
    for (p = *pp; p < end; p++) {
        if (*p == 0) {
            if (p + 1 >= end) break;
            if (p[1] == 0xFF) { /* escaped 0x00 */
                if (out && o < cap) out[o] = 0;
                o++;
                p++;
                continue;
            }
            if (p[1] != 0x01) break; /* neither an escape nor the terminator */
            *n = o;
            *pp = p + 2;
            return LLMSPELL_OK;
        }
        if (out && o < cap) out[o] = *p;
        o++;
    }
    return LLMSPELL_ERR_CORRUPT; /* no terminator, or a stray zero byte */
}

LLMSPELL_DEF llmspell_result llmspell_tuple_get_u64(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    uint64_t x = 0;
    int i;
    if (!pp || !*pp || !end || !v) return LLMSPELL_ERR_INVALID;
    if (end - *pp < 8) return LLMSPELL_ERR_CORRUPT;
    for (i = 0; i < 8; i++) x = (x << 8) | (*pp)[i];
    *v = x;
    *pp += 8;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_tuple_get_i64(const uint8_t **pp, const uint8_t *end, int64_t *v) {
    uint64_t u;
    llmspell_result r;
    if (!v) return LLMSPELL_ERR_INVALID;
    r = llmspell_tuple_get_u64(pp, end, &u);
    if (r == LLMSPELL_OK) {
        u ^= 0x8000000000000000ull;
        memcpy(v, &u, sizeof u); /* two's complement reinterpretation without UB */
    }
    return r;
}

LLMSPELL_DEF size_t llmspell_key_successor(uint8_t *out, const void *prefix, size_t n) {
    const uint8_t *p = (const uint8_t *)prefix;
    while (n > 0 && p[n - 1] == 0xFF) n--;
    if (n == 0) return 0;
    memcpy(out, p, n);
    out[n - 1]++;
    return n;
}

/* >>crc32c: table-driven, with the SSE4.2 instruction when the CPU has it. */
static const uint32_t llmspell__crc_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

static uint32_t llmspell__crc32c_sw(uint32_t crc, const uint8_t *p, size_t n) {
    while (n--) crc = llmspell__crc_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

/* >>cpu: what the processor runs. One owner for the family: vec's kernels and export's base64
   ask here. x86 needs cpuid (and xgetbv: the OS must save the wide registers); ARM NEON is
   known at compile time (aarch64 always has it; armv7 when built with -mfpu=neon). */
#if (defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || defined(_M_IX86)) && !defined(LLMSPELL_NO_SIMD)
#define LLMSPELL__X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static void llmspell__cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    int x[4];
    __cpuidex(x, (int)leaf, (int)sub);
    r[0] = (unsigned)x[0], r[1] = (unsigned)x[1], r[2] = (unsigned)x[2], r[3] = (unsigned)x[3];
}
static uint64_t llmspell__xgetbv0(void) { return (uint64_t)_xgetbv(0); }
#else
#include <cpuid.h>
static void llmspell__cpuid(unsigned leaf, unsigned sub, unsigned r[4]) { __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]); }
static uint64_t llmspell__xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}
#endif
#endif

LLMSPELL_DEF unsigned llmspell_cpu_features(void) {
    unsigned f = 0;
#ifdef LLMSPELL__X86
    unsigned r[4], top;
    uint64_t xcr0 = 0;
    llmspell__cpuid(0, 0, r);
    top = r[0];
    if (top < 1) return 0;
    llmspell__cpuid(1, 0, r);
    if (r[2] & (1u << 20)) f |= LLMSPELL_CPU_SSE42;
    if (r[2] & (1u << 9)) f |= LLMSPELL_CPU_SSSE3;
    if (!(r[2] & (1u << 27)) || !(r[2] & (1u << 28)) || !(r[2] & (1u << 12)) || !(r[2] & (1u << 29)) || top < 7)
        return f; /* OSXSAVE, AVX, FMA, F16C */
    xcr0 = llmspell__xgetbv0();
    if ((xcr0 & 0x6u) != 0x6u) return f; /* XMM and YMM state */
    llmspell__cpuid(7, 0, r);
    if (!(r[1] & (1u << 5))) return f;
    f |= LLMSPELL_CPU_AVX2;
    if ((r[1] & (1u << 16)) && (xcr0 & 0xE6u) == 0xE6u) {
        f |= LLMSPELL_CPU_AVX512; /* opmask + ZMM state */
        if ((r[1] & (1u << 30)) && (r[2] & (1u << 11))) f |= LLMSPELL_CPU_AVX512_VNNI;
    }
#elif defined(__ARM_NEON) && !defined(LLMSPELL_NO_SIMD)
    f |= LLMSPELL_CPU_NEON;
#endif
    return f;
}

/* >>crc32c, hardware: the SSE4.2 instruction, 8 bytes at a time (x86-64). */
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(LLMSPELL_NO_SIMD) && \
    (defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER))
#define LLMSPELL__CRC_HW 1
#include <nmmintrin.h>
#if defined(__GNUC__) || defined(__clang__)
__attribute__((target("sse4.2")))
#endif
static uint32_t llmspell__crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = _mm_crc32_u64(c, w);
        p += 8;
        n -= 8;
    }
    crc = (uint32_t)c;
    while (n--) crc = _mm_crc32_u8(crc, *p++);
    return crc;
}
/* Asked once per process: GCC and clang keep the answer themselves (set before main); with
   MSVC an aligned volatile int is read and written whole, and every thread stores the same
   value, so the race is benign. */
static int llmspell__has_sse42(void) {
#if defined(__GNUC__) || (defined(__clang__) && !defined(_MSC_VER)) /* clang-cl has no runtime for it */
    return __builtin_cpu_supports("sse4.2");
#else
    static volatile int known = 0; /* 0 unknown, 1 no, 2 yes */
    if (!known) known = (llmspell_cpu_features() & LLMSPELL_CPU_SSE42) ? 2 : 1;
    return known == 2;
#endif
}
#endif

LLMSPELL_DEF uint32_t llmspell_crc32c(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
#ifdef LLMSPELL__CRC_HW
    if (llmspell__has_sse42()) return ~llmspell__crc32c_hw(crc, p, n);
#endif
    return ~llmspell__crc32c_sw(crc, p, n);
}

/* memcmp order with the shorter key first on a common prefix. */
static int llmspell__keycmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* >>index: the ordered in-memory index shared by the memory and file backends.
   A hash table for point lookups plus a B+tree of the same entries for ordered scans and
   seeks. An entry is header, key, then a payload (the value for the memory backend, the
   value's file offset for the file backend), then the entry's times when it has them (flags
   in refs say how: 8 bytes "updated" when created == updated, the common case of a key put
   once, else 16 bytes created, updated; native byte order). Entries live in 64 KiB slabs and are named by
   32-bit handles (slab number, 8-byte unit), so a hash slot is 8 bytes and a leaf slot 4:
   less memory per key and one cache miss fewer per lookup than a pointer to a malloc'd block.
   Freed entries go to exact-size free lists; compaction (memory backend) lays the entries out
   again in key order, which also makes scans read memory sequentially.
   B+tree separators are handles of entries; an entry still used as a separator after it left
   the index is kept (refs > 0) until its last separator goes, so inserts never copy keys. */

typedef uint32_t llmspell__h; /* slab << 13 | unit; 0 is "none" (slab 0 is never used) */

typedef struct llmspell__ent {
    uint32_t vlen;   /* value length */
    uint16_t klen;
    uint16_t refs;   /* separators pointing at this entry (REFS), DEAD, and the times flags */
} llmspell__ent;

#define LLMSPELL__DEAD 0x8000u /* released by its owner; freed when the last separator goes */
#define LLMSPELL__T8 0x4000u   /* times: 8 bytes (updated; created is the same) */
#define LLMSPELL__T16 0x2000u  /* times: 16 bytes (created, updated) */
#define LLMSPELL__TIMED (LLMSPELL__T8 | LLMSPELL__T16)
#define LLMSPELL__REFS 0x1FFFu /* a key is the separator of at most a few nodes */

#define LLMSPELL__SLAB_SIZE (1u << 16)
#define LLMSPELL__UNITS (LLMSPELL__SLAB_SIZE / 8)      /* units per slab */
#define LLMSPELL__BIG (LLMSPELL__SLAB_SIZE / 4)        /* larger entries get an allocation of their own */
#define LLMSPELL__MAX_SLABS (1u << 19)                 /* 32 GiB of entries */
#define LLMSPELL__KEY(e) ((uint8_t *)((e) + 1))
#define LLMSPELL__PAYLOAD(e) (LLMSPELL__KEY(e) + (e)->klen)
#define LLMSPELL__BT_FAN 64
#define LLMSPELL__BT_MAXDEPTH 24

typedef struct llmspell__node {
    uint16_t n;     /* entries (leaf) or children (inner) */
    uint16_t leaf;
    struct llmspell__node *prev, *next; /* leaf chain */
    union {
        llmspell__h e[LLMSPELL__BT_FAN];
        struct {
            llmspell__h sep[LLMSPELL__BT_FAN - 1]; /* sep[i]: smallest key of c[i+1] or less */
            struct llmspell__node *c[LLMSPELL__BT_FAN];
        } in;
    } u;
} llmspell__node;

/* Leaves are allocated without the inner part of the union. */
#define LLMSPELL__LEAF_SIZE (offsetof(llmspell__node, u) + sizeof(llmspell__h) * LLMSPELL__BT_FAN)

typedef struct llmspell__slot {
    uint32_t tag;    /* the key's hash (never 0) */
    llmspell__h h;   /* 0: empty */
} llmspell__slot;

typedef struct llmspell__index {
    llmspell_allocator a;
    /* entry storage */
    uint8_t **slab;            /* slab[i]: a 64 KiB slab, one big entry, or NULL */
    uint32_t nslab, capslab;
    uint32_t *idle;            /* slab numbers freed by big entries, for reuse */
    uint32_t nidle;
    uint32_t cur, bump;        /* the slab being filled and its next free unit */
    llmspell__h *free_units;   /* free_units[u]: a free chunk of u units, chained */
    uint64_t slab_bytes;       /* bytes held in slabs */
    size_t payload;            /* fixed payload size, or 0 for "vlen bytes" */
    /* hash */
    llmspell__slot *slots;
    size_t mask, count;
    /* B+tree */
    llmspell__node *root;
    int depth;                 /* 1 = root is a leaf */
    llmspell__node *spare[LLMSPELL__BT_MAXDEPTH]; /* preallocated inner nodes for splits */
    int nspare;
    llmspell__node *spare_leaf;                   /* and one leaf */
    uint64_t mods;             /* bumped by every change; cursors re-seek when it moved */
    int keep_leaves;           /* inside a transaction: empty leaves stay, so rollback never splits */
    int hash_only;             /* loading: the tree is built once at the end (llmspell__ix_build_tree) */
} llmspell__index;

#define LLMSPELL__E(ix, h) ((llmspell__ent *)((ix)->slab[(h) >> 13] + (size_t)((h) & 8191u) * 8u))

static uint32_t llmspell__hash(const uint8_t *p, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ ((uint64_t)n * 0xFF51AFD7ED558CCDull), w;
    while (n >= 8) {
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    w = 0;
    if (n) memcpy(&w, p, n);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    return (uint32_t)h ? (uint32_t)h : 1u;
}

/* entry storage ------------------------------------------------------------------------- */

static size_t llmspell__tsize(unsigned flags) { return flags & LLMSPELL__T16 ? 16 : flags & LLMSPELL__T8 ? 8 : 0; }

static size_t llmspell__ent_size(const llmspell__index *ix, size_t klen, size_t vlen, unsigned flags) {
    return sizeof(llmspell__ent) + klen + (ix->payload ? ix->payload : vlen) + llmspell__tsize(flags);
}

/* The times at the end of an entry (0, 0 when it has none). */
static void llmspell__ent_times(const llmspell__index *ix, const llmspell__ent *e, llmspell_kv_times *t) {
    const uint8_t *p = LLMSPELL__PAYLOAD(e) + (ix->payload ? ix->payload : e->vlen);
    t->created = t->updated = 0;
    if (e->refs & LLMSPELL__T16) {
        memcpy(&t->created, p, 8);
        memcpy(&t->updated, p + 8, 8);
    } else if (e->refs & LLMSPELL__T8) {
        memcpy(&t->updated, p, 8);
        t->created = t->updated;
    }
}

/* The flags an entry needs for times t (NULL or both 0: none). */
static unsigned llmspell__tflags(const llmspell_kv_times *t) {
    if (!t || (t->created == 0 && t->updated == 0)) return 0;
    return t->created == t->updated ? LLMSPELL__T8 : LLMSPELL__T16;
}

static void llmspell__ent_set_times(const llmspell__index *ix, llmspell__ent *e, const llmspell_kv_times *t) {
    uint8_t *p = LLMSPELL__PAYLOAD(e) + (ix->payload ? ix->payload : e->vlen);
    if (e->refs & LLMSPELL__T16) {
        memcpy(p, &t->created, 8);
        memcpy(p + 8, &t->updated, 8);
    } else if (e->refs & LLMSPELL__T8) {
        memcpy(p, &t->updated, 8);
    }
}

/* A free slab number (growing the table when needed), or 0. */
static uint32_t llmspell__slab_number(llmspell__index *ix) {
    if (ix->nidle) return ix->idle[--ix->nidle];
    if (ix->nslab == ix->capslab) {
        uint32_t ncap = ix->capslab ? ix->capslab * 2 : 64;
        uint8_t **ns;
        uint32_t *ni;
        if (ix->capslab >= LLMSPELL__MAX_SLABS) return 0;
        ns = (uint8_t **)llmspell__realloc(&ix->a, ix->slab, ncap * sizeof *ns);
        if (!ns) return 0;
        ix->slab = ns;
        ni = (uint32_t *)llmspell__realloc(&ix->a, ix->idle, ncap * sizeof *ni);
        if (!ni) return 0; /* the larger slab table is kept; harmless */
        ix->idle = ni;
        ix->capslab = ncap;
    }
    ix->slab[ix->nslab] = NULL;
    return ix->nslab++;
}

static void llmspell__units_free(llmspell__index *ix, llmspell__h h, uint32_t units) {
    memcpy(LLMSPELL__E(ix, h), &ix->free_units[units], sizeof(llmspell__h));
    ix->free_units[units] = h;
}

/* Room for an entry of `size` bytes; 0 when out of memory. */
static llmspell__h llmspell__slab_alloc(llmspell__index *ix, size_t size) {
    uint32_t units = (uint32_t)((size + 7) / 8), n;
    llmspell__h h;
    if (size > LLMSPELL__BIG) {
        uint8_t *p;
        if (!(n = llmspell__slab_number(ix))) return 0;
        if (!(p = (uint8_t *)llmspell__alloc(&ix->a, size))) {
            ix->idle[ix->nidle++] = n;
            return 0;
        }
        ix->slab[n] = p;
        ix->slab_bytes += size;
        return n << 13;
    }
    if ((h = ix->free_units[units]) != 0) {
        memcpy(&ix->free_units[units], LLMSPELL__E(ix, h), sizeof h);
        return h;
    }
    if (!ix->cur || ix->bump + units > LLMSPELL__UNITS) {
        uint8_t *p;
        if (!(n = llmspell__slab_number(ix))) return 0;
        if (!(p = (uint8_t *)llmspell__alloc(&ix->a, LLMSPELL__SLAB_SIZE))) {
            ix->idle[ix->nidle++] = n;
            return 0;
        }
        ix->slab[n] = p;
        ix->slab_bytes += LLMSPELL__SLAB_SIZE;
        while (ix->cur && ix->bump < LLMSPELL__UNITS) { /* the old slab's tail becomes free chunks */
            uint32_t rest = LLMSPELL__UNITS - ix->bump;
            if (rest > LLMSPELL__BIG / 8) rest = LLMSPELL__BIG / 8;
            llmspell__units_free(ix, ix->cur << 13 | ix->bump, rest);
            ix->bump += rest;
        }
        ix->cur = n;
        ix->bump = 0;
    }
    h = ix->cur << 13 | ix->bump;
    ix->bump += units;
    return h;
}

static void llmspell__slab_free(llmspell__index *ix, llmspell__h h) {
    llmspell__ent *e = LLMSPELL__E(ix, h);
    size_t size = llmspell__ent_size(ix, e->klen, e->vlen, e->refs);
    if (size > LLMSPELL__BIG) {
        llmspell__free(&ix->a, ix->slab[h >> 13]);
        ix->slab[h >> 13] = NULL;
        ix->slab_bytes -= size;
        ix->idle[ix->nidle++] = h >> 13;
        return;
    }
    llmspell__units_free(ix, h, (uint32_t)((size + 7) / 8));
}

static void llmspell__ent_release(llmspell__index *ix, llmspell__h h) {
    if (!h) return;
    if (LLMSPELL__E(ix, h)->refs & LLMSPELL__REFS) LLMSPELL__E(ix, h)->refs |= LLMSPELL__DEAD; /* a separator still needs its key */
    else llmspell__slab_free(ix, h);
}

static void llmspell__sep_drop(llmspell__index *ix, llmspell__h h) {
    llmspell__ent *e = LLMSPELL__E(ix, h);
    e->refs--;
    if ((e->refs & (LLMSPELL__DEAD | LLMSPELL__REFS)) == LLMSPELL__DEAD) llmspell__slab_free(ix, h);
}

/* An entry with key k, room for vlen payload bytes (or ix->payload when fixed) and the times t
   (NULL: none; stored here); 0: no memory. */
static llmspell__h llmspell__ent_new(llmspell__index *ix, const uint8_t *k, size_t kn, size_t vlen, const llmspell_kv_times *t) {
    unsigned flags = llmspell__tflags(t);
    llmspell__h h = llmspell__slab_alloc(ix, llmspell__ent_size(ix, kn, vlen, flags));
    llmspell__ent *e;
    if (!h) return 0;
    e = LLMSPELL__E(ix, h);
    e->vlen = (uint32_t)vlen;
    e->klen = (uint16_t)kn;
    e->refs = (uint16_t)flags;
    memcpy(LLMSPELL__KEY(e), k, kn);
    if (flags) llmspell__ent_set_times(ix, e, t);
    return h;
}

static llmspell_result llmspell__index_init(llmspell__index *ix, const llmspell_allocator *a, size_t payload) {
    memset(ix, 0, sizeof *ix);
    ix->a = *a;
    ix->payload = payload;
    ix->free_units = (llmspell__h *)llmspell__alloc(a, (LLMSPELL__BIG / 8 + 1) * sizeof(llmspell__h));
    ix->root = (llmspell__node *)llmspell__alloc(a, LLMSPELL__LEAF_SIZE);
    if (ix->free_units && ix->root) (void)llmspell__slab_number(ix); /* slab 0 stays unused: handle 0 is "none" */
    if (!ix->free_units || !ix->root || ix->nslab != 1) {
        llmspell__free(a, ix->free_units);
        llmspell__free(a, ix->root);
        llmspell__free(a, ix->slab);
        llmspell__free(a, ix->idle);
        memset(ix, 0, sizeof *ix);
        return LLMSPELL_ERR_NOMEM;
    }
    memset(ix->free_units, 0, (LLMSPELL__BIG / 8 + 1) * sizeof(llmspell__h));
    memset(ix->root, 0, LLMSPELL__LEAF_SIZE);
    ix->root->leaf = 1;
    ix->depth = 1;
    return LLMSPELL_OK;
}

static void llmspell__nodes_free(llmspell__index *ix, llmspell__node *n) {
    int i;
    if (!n->leaf)
        for (i = 0; i < n->n; i++) llmspell__nodes_free(ix, n->u.in.c[i]);
    llmspell__free(&ix->a, n);
}

/* Frees everything: nodes, slabs (and so every entry), tables. */
static void llmspell__index_free(llmspell__index *ix) {
    uint32_t i;
    int j;
    if (ix->root) llmspell__nodes_free(ix, ix->root);
    for (j = 0; j < ix->nspare; j++) llmspell__free(&ix->a, ix->spare[j]);
    llmspell__free(&ix->a, ix->spare_leaf);
    for (i = 0; i < ix->nslab; i++) llmspell__free(&ix->a, ix->slab[i]);
    llmspell__free(&ix->a, ix->slab);
    llmspell__free(&ix->a, ix->idle);
    llmspell__free(&ix->a, ix->free_units);
    llmspell__free(&ix->a, ix->slots);
    memset(ix, 0, sizeof *ix);
}

#ifndef LLMSPELL_NO_THREADS
/* Empties a small index in place (its entries in one slab, the root a leaf), keeping the
   memory for reuse (a transaction's stage); 0 when it is larger (free it instead). */
static int llmspell__index_empty(llmspell__index *ix) {
    if (ix->depth != 1 || ix->nidle || !(ix->nslab == 1 || (ix->nslab == 2 && ix->cur == 1))) return 0;
    memset(ix->free_units, 0, (LLMSPELL__BIG / 8 + 1) * sizeof(llmspell__h));
    if (ix->slots) memset(ix->slots, 0, (ix->mask + 1) * sizeof *ix->slots);
    ix->count = 0;
    ix->root->n = 0;
    ix->bump = 0;
    ix->mods++;
    return 1;
}
#endif

/* hash table --------------------------------------------------------------------------- */

/* Key equality in 8-byte words: lookups are short and hot, a call to memcmp costs more. */
static int llmspell__same_key(const uint8_t *a, const uint8_t *b, size_t n) {
    uint64_t x, y, diff = 0;
    for (; n >= 8; n -= 8, a += 8, b += 8) {
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        diff |= x ^ y;
    }
    while (n--) diff |= (uint64_t)(*a++ ^ *b++);
    return diff == 0;
}

static llmspell__h llmspell__hfind(const llmspell__index *ix, const uint8_t *k, size_t kn, uint32_t tag) {
    size_t i;
    if (!ix->slots) return 0;
    for (i = tag & ix->mask; ix->slots[i].h; i = (i + 1) & ix->mask) {
        if (ix->slots[i].tag == tag) {
            const llmspell__ent *e = LLMSPELL__E(ix, ix->slots[i].h);
            if (e->klen == kn && llmspell__same_key(LLMSPELL__KEY(e), k, kn)) return ix->slots[i].h;
        }
    }
    return 0;
}

static void llmspell__hplace(llmspell__slot *slots, size_t mask, llmspell__h h, uint32_t tag) {
    size_t i = tag & mask;
    while (slots[i].h) i = (i + 1) & mask;
    slots[i].tag = tag;
    slots[i].h = h;
}

/* Makes room for `more` entries: grows at 3/4 load. */
static llmspell_result llmspell__hreserve(llmspell__index *ix, size_t more) {
    size_t cap = ix->slots ? ix->mask + 1 : 0, ncap, i;
    llmspell__slot *ns;
    if (ix->count + more <= cap / 4 * 3) return LLMSPELL_OK;
    for (ncap = cap ? cap * 2 : 64; ncap / 4 * 3 < ix->count + more; ncap *= 2)
        if (ncap > ((size_t)-1) / 2 / sizeof *ns) return LLMSPELL_ERR_NOMEM;
    ns = (llmspell__slot *)llmspell__alloc(&ix->a, ncap * sizeof *ns);
    if (!ns) return LLMSPELL_ERR_NOMEM;
    memset(ns, 0, ncap * sizeof *ns);
    for (i = 0; i < cap; i++)
        if (ix->slots[i].h) llmspell__hplace(ns, ncap - 1, ix->slots[i].h, ix->slots[i].tag);
    llmspell__free(&ix->a, ix->slots);
    ix->slots = ns;
    ix->mask = ncap - 1;
    return LLMSPELL_OK;
}

/* Replaces the slot holding `old` with `h`, or removes it when h is 0. */
static void llmspell__hset(llmspell__index *ix, llmspell__h old, llmspell__h h, uint32_t tag) {
    size_t i, j;
    for (i = tag & ix->mask; ix->slots[i].h != old; i = (i + 1) & ix->mask) {
    }
    if (h) {
        ix->slots[i].h = h;
        return;
    }
    /* backward-shift deletion keeps probe chains intact without tombstones */
    ix->count--;
    for (j = (i + 1) & ix->mask; ix->slots[j].h; j = (j + 1) & ix->mask) {
        size_t home = ix->slots[j].tag & ix->mask;
        /* move j into the hole i unless its home lies cyclically in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            ix->slots[i] = ix->slots[j];
            i = j;
        }
    }
    ix->slots[i].h = 0;
    ix->slots[i].tag = 0;
}

/* B+tree ------------------------------------------------------------------------------- */

static int llmspell__entcmp(const llmspell__index *ix, llmspell__h h, const uint8_t *k, size_t kn) {
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    return llmspell__keycmp(LLMSPELL__KEY(e), e->klen, k, kn);
}

/* Child index in an inner node: the number of separators <= key. */
static int llmspell__inner_pos(const llmspell__index *ix, const llmspell__node *n, const uint8_t *k, size_t kn) {
    int lo = 0, hi = n->n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (llmspell__entcmp(ix, n->u.in.sep[mid], k, kn) <= 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* First position in a leaf whose key is >= k. */
static int llmspell__leaf_lower(const llmspell__index *ix, const llmspell__node *n, const uint8_t *k, size_t kn) {
    int lo = 0, hi = n->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (llmspell__entcmp(ix, n->u.e[mid], k, kn) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Descends to the leaf for k, recording the path (nodes and child positions). */
static llmspell__node *llmspell__descend(const llmspell__index *ix, const uint8_t *k, size_t kn, llmspell__node **path,
                                         int *pos) {
    llmspell__node *n = ix->root;
    int d = 0;
    while (!n->leaf) {
        int i = llmspell__inner_pos(ix, n, k, kn);
        if (path) { path[d] = n; pos[d] = i; }
        d++;
        n = n->u.in.c[i];
    }
    return n;
}

static llmspell_result llmspell__spares(llmspell__index *ix) {
    if (!ix->spare_leaf && !(ix->spare_leaf = (llmspell__node *)llmspell__alloc(&ix->a, LLMSPELL__LEAF_SIZE)))
        return LLMSPELL_ERR_NOMEM;
    while (ix->nspare < ix->depth) {
        llmspell__node *n = (llmspell__node *)llmspell__alloc(&ix->a, sizeof(llmspell__node));
        if (!n) return LLMSPELL_ERR_NOMEM;
        ix->spare[ix->nspare++] = n;
    }
    return LLMSPELL_OK;
}

static llmspell__node *llmspell__take_spare(llmspell__index *ix, int leaf) {
    llmspell__node *n;
    if (leaf) {
        n = ix->spare_leaf;
        ix->spare_leaf = NULL;
        memset(n, 0, LLMSPELL__LEAF_SIZE);
        n->leaf = 1;
    } else {
        n = ix->spare[--ix->nspare];
        memset(n, 0, sizeof *n);
    }
    return n;
}

/* Inserts child `right` (whose smallest key is >= sep) after position pos[d] of inner node
   path[d], splitting upwards as needed. Spares were reserved by the caller. */
static void llmspell__inner_insert(llmspell__index *ix, llmspell__node **path, int *pos, int d, llmspell__h sep,
                                   llmspell__node *right) {
    for (;;) {
        llmspell__node *n, *r, *nr;
        int i, half, j;
        llmspell__h up;
        if (d < 0) { /* grow a new root */
            nr = llmspell__take_spare(ix, 0);
            nr->n = 2;
            nr->u.in.c[0] = ix->root;
            nr->u.in.c[1] = right;
            nr->u.in.sep[0] = sep;
            ix->root = nr;
            ix->depth++;
            return;
        }
        n = path[d];
        i = pos[d];
        if (n->n < LLMSPELL__BT_FAN) {
            memmove(&n->u.in.c[i + 2], &n->u.in.c[i + 1], (size_t)(n->n - i - 1) * sizeof n->u.in.c[0]);
            memmove(&n->u.in.sep[i + 1], &n->u.in.sep[i], (size_t)(n->n - i - 1) * sizeof n->u.in.sep[0]);
            n->u.in.c[i + 1] = right;
            n->u.in.sep[i] = sep;
            n->n++;
            return;
        }
        /* full: lay the FAN+1 children out in order, split them half / half, push one sep up */
        {
            llmspell__node *cs[LLMSPELL__BT_FAN + 1];
            llmspell__h ss[LLMSPELL__BT_FAN];
            for (j = 0; j <= i; j++) cs[j] = n->u.in.c[j];
            cs[i + 1] = right;
            for (j = i + 1; j < n->n; j++) cs[j + 1] = n->u.in.c[j];
            for (j = 0; j < i; j++) ss[j] = n->u.in.sep[j];
            ss[i] = sep;
            for (j = i; j < n->n - 1; j++) ss[j + 1] = n->u.in.sep[j];
            half = (LLMSPELL__BT_FAN + 1) / 2;
            r = llmspell__take_spare(ix, 0);
            n->n = (uint16_t)half;
            for (j = 0; j < half; j++) n->u.in.c[j] = cs[j];
            for (j = 0; j < half - 1; j++) n->u.in.sep[j] = ss[j];
            up = ss[half - 1];
            r->n = (uint16_t)(LLMSPELL__BT_FAN + 1 - half);
            for (j = 0; j < r->n; j++) r->u.in.c[j] = cs[half + j];
            for (j = 0; j < r->n - 1; j++) r->u.in.sep[j] = ss[half + j];
        }
        sep = up;
        right = r;
        d--;
    }
}

/* Inserts h, whose key is not in the tree. Fails only with NOMEM, before changing anything. */
static llmspell_result llmspell__bt_insert(llmspell__index *ix, llmspell__h h) {
    llmspell__node *path[LLMSPELL__BT_MAXDEPTH];
    int pos[LLMSPELL__BT_MAXDEPTH];
    llmspell__node *leaf, *r;
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    int i, half;
    leaf = llmspell__descend(ix, LLMSPELL__KEY(e), e->klen, path, pos);
    i = llmspell__leaf_lower(ix, leaf, LLMSPELL__KEY(e), e->klen);
    if (leaf->n < LLMSPELL__BT_FAN) { /* the common case needs no allocation (rollback relies on it) */
        memmove(&leaf->u.e[i + 1], &leaf->u.e[i], (size_t)(leaf->n - i) * sizeof leaf->u.e[0]);
        leaf->u.e[i] = h;
        leaf->n++;
        return LLMSPELL_OK;
    }
    if (ix->depth >= LLMSPELL__BT_MAXDEPTH) return LLMSPELL_ERR_NOMEM;
    if (llmspell__spares(ix) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    /* split the full leaf; appends at the right end split unevenly so sequential loads fill up */
    r = llmspell__take_spare(ix, 1);
    half = (i == LLMSPELL__BT_FAN && !leaf->next) ? LLMSPELL__BT_FAN : LLMSPELL__BT_FAN / 2;
    r->n = (uint16_t)(LLMSPELL__BT_FAN - half);
    memcpy(r->u.e, &leaf->u.e[half], (size_t)r->n * sizeof r->u.e[0]);
    leaf->n = (uint16_t)half;
    if (i <= half && half != LLMSPELL__BT_FAN) {
        memmove(&leaf->u.e[i + 1], &leaf->u.e[i], (size_t)(leaf->n - i) * sizeof leaf->u.e[0]);
        leaf->u.e[i] = h;
        leaf->n++;
    } else {
        i -= half;
        memmove(&r->u.e[i + 1], &r->u.e[i], (size_t)(r->n - i) * sizeof r->u.e[0]);
        r->u.e[i] = h;
        r->n++;
    }
    r->next = leaf->next;
    r->prev = leaf;
    if (leaf->next) leaf->next->prev = r;
    leaf->next = r;
    LLMSPELL__E(ix, r->u.e[0])->refs++;
    llmspell__inner_insert(ix, path, pos, ix->depth - 2, r->u.e[0], r);
    return LLMSPELL_OK;
}

/* Unlinks an empty leaf and its emptied ancestors. Nodes are not merged otherwise (the tree
   stays balanced in depth; an underfull node only costs space). */
static void llmspell__bt_unlink(llmspell__index *ix, llmspell__node *leaf, llmspell__node **path, int *pos) {
    int d;
    ix->mods++;
    if (leaf->prev) leaf->prev->next = leaf->next;
    if (leaf->next) leaf->next->prev = leaf->prev;
    llmspell__free(&ix->a, leaf);
    for (d = ix->depth - 2; d >= 0; d--) {
        llmspell__node *n = path[d];
        int c = pos[d];
        /* drop child c and one separator next to it */
        if (n->n > 1) {
            int s = c > 0 ? c - 1 : 0;
            llmspell__sep_drop(ix, n->u.in.sep[s]);
            memmove(&n->u.in.sep[s], &n->u.in.sep[s + 1], (size_t)(n->n - 2 - s) * sizeof n->u.in.sep[0]);
        }
        memmove(&n->u.in.c[c], &n->u.in.c[c + 1], (size_t)(n->n - c - 1) * sizeof n->u.in.c[0]);
        n->n--;
        if (n->n > 0) break;
        if (d == 0) { /* the whole tree is empty: back to one leaf */
            n->leaf = 1;
            n->prev = n->next = NULL;
            ix->depth = 1;
            return;
        }
        llmspell__free(&ix->a, n);
    }
    /* a root with one child is replaced by it */
    while (!ix->root->leaf && ix->root->n == 1) {
        llmspell__node *old = ix->root;
        ix->root = old->u.in.c[0];
        llmspell__free(&ix->a, old);
        ix->depth--;
    }
}

/* Removes key k from the tree (it must be there). Never allocates. */
static void llmspell__bt_remove(llmspell__index *ix, const uint8_t *k, size_t kn) {
    llmspell__node *path[LLMSPELL__BT_MAXDEPTH];
    int pos[LLMSPELL__BT_MAXDEPTH];
    llmspell__node *leaf = llmspell__descend(ix, k, kn, path, pos);
    int i = llmspell__leaf_lower(ix, leaf, k, kn);
    memmove(&leaf->u.e[i], &leaf->u.e[i + 1], (size_t)(leaf->n - i - 1) * sizeof leaf->u.e[0]);
    leaf->n--;
    if (leaf->n == 0 && ix->depth > 1 && !ix->keep_leaves) llmspell__bt_unlink(ix, leaf, path, pos);
}

/* Frees the leaf where k would live if a transaction left it empty. */
static void llmspell__bt_prune(llmspell__index *ix, const uint8_t *k, size_t kn) {
    llmspell__node *path[LLMSPELL__BT_MAXDEPTH];
    int pos[LLMSPELL__BT_MAXDEPTH];
    llmspell__node *leaf = llmspell__descend(ix, k, kn, path, pos);
    if (leaf->n == 0 && ix->depth > 1) llmspell__bt_unlink(ix, leaf, path, pos);
}

/* Swaps the entry with h's key for h. */
static void llmspell__bt_replace(llmspell__index *ix, llmspell__h h) {
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    llmspell__node *leaf = llmspell__descend(ix, LLMSPELL__KEY(e), e->klen, NULL, NULL);
    leaf->u.e[llmspell__leaf_lower(ix, leaf, LLMSPELL__KEY(e), e->klen)] = h;
}

/* Builds the tree of an index whose tree is empty over n handles in key order, leaves filled
   to 7/8 so the next inserts do not split at once. Every node is allocated before any is
   linked, so on NOMEM nothing changed. */
static llmspell_result llmspell__bt_build(llmspell__index *ix, const llmspell__h *hs, size_t n) {
    const size_t fill = LLMSPELL__BT_FAN / 8 * 7;
    size_t counts[LLMSPELL__BT_MAXDEPTH], total = 0, got, at, i, c;
    llmspell__node **nodes;
    int levels = 0, lv;
    if (n == 0) return LLMSPELL_OK;
    counts[0] = (n + fill - 1) / fill;
    for (levels = 1; counts[levels - 1] > 1; levels++)
        counts[levels] = (counts[levels - 1] + LLMSPELL__BT_FAN - 1) / LLMSPELL__BT_FAN;
    for (lv = 0; lv < levels; lv++) total += counts[lv];
    nodes = (llmspell__node **)llmspell__alloc(&ix->a, total * sizeof *nodes);
    if (!nodes) return LLMSPELL_ERR_NOMEM;
    for (got = 0; got < total; got++) {
        size_t size = got < counts[0] ? LLMSPELL__LEAF_SIZE : sizeof(llmspell__node);
        if (!(nodes[got] = (llmspell__node *)llmspell__alloc(&ix->a, size))) break;
        memset(nodes[got], 0, size);
    }
    if (got < total) {
        for (i = 0; i < got; i++) llmspell__free(&ix->a, nodes[i]);
        llmspell__free(&ix->a, nodes);
        return LLMSPELL_ERR_NOMEM;
    }
    for (i = 0; i < counts[0]; i++) { /* leaves, evenly filled */
        llmspell__node *l = nodes[i];
        size_t from = i * n / counts[0], to = (i + 1) * n / counts[0];
        l->leaf = 1;
        l->n = (uint16_t)(to - from);
        memcpy(l->u.e, hs + from, (to - from) * sizeof *hs);
        if (i) { l->prev = nodes[i - 1]; nodes[i - 1]->next = l; }
    }
    for (at = 0, lv = 1; lv < levels; at += counts[lv - 1], lv++) { /* each level adopts the one below */
        llmspell__node **below = nodes + at, **here = nodes + at + counts[lv - 1];
        for (i = 0; i < counts[lv]; i++) {
            size_t from = i * counts[lv - 1] / counts[lv], to = (i + 1) * counts[lv - 1] / counts[lv];
            here[i]->n = (uint16_t)(to - from);
            for (c = from; c < to; c++) {
                here[i]->u.in.c[c - from] = below[c];
                if (c > from) { /* separator: the smallest key below this child */
                    llmspell__node *ch = below[c];
                    while (!ch->leaf) ch = ch->u.in.c[0];
                    LLMSPELL__E(ix, ch->u.e[0])->refs++;
                    here[i]->u.in.sep[c - from - 1] = ch->u.e[0];
                }
            }
        }
    }
    llmspell__nodes_free(ix, ix->root);
    ix->root = nodes[total - 1];
    ix->depth = levels;
    ix->mods++;
    llmspell__free(&ix->a, nodes);
    return LLMSPELL_OK;
}

/* index operations --------------------------------------------------------------------- */

static llmspell__h llmspell__ix_find(const llmspell__index *ix, const uint8_t *k, size_t kn) {
    return llmspell__hfind(ix, k, kn, llmspell__hash(k, kn));
}

static llmspell__ent *llmspell__ix_get(const llmspell__index *ix, const uint8_t *k, size_t kn) {
    llmspell__h h = llmspell__ix_find(ix, k, kn);
    return h ? LLMSPELL__E(ix, h) : NULL;
}

/* Puts entry h into the index. *old receives the entry it replaced (or 0); the caller owns it. */
/* A key looked up once, for the put that follows with no change to the index in between: its
   hash tag and its current entry (0: absent). Backends that read the entry a put replaces
   (for its times) save the second lookup. */
typedef struct llmspell__look {
    uint32_t tag;
    llmspell__h h;
} llmspell__look;

static llmspell__look llmspell__ix_look(const llmspell__index *ix, const uint8_t *k, size_t kn) {
    llmspell__look at;
    at.tag = llmspell__hash(k, kn);
    at.h = llmspell__hfind(ix, k, kn, at.tag);
    return at;
}

/* Puts entry h, whose key was looked up as *at (at->h is the entry it replaces). */
static llmspell_result llmspell__ix_put_at(llmspell__index *ix, llmspell__h h, const llmspell__look *at) {
    if (at->h) {
        llmspell__hset(ix, at->h, h, at->tag);
        if (!ix->hash_only) llmspell__bt_replace(ix, h);
    } else {
        if (llmspell__hreserve(ix, 1) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
        if (!ix->hash_only && llmspell__bt_insert(ix, h) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
        llmspell__hplace(ix->slots, ix->mask, h, at->tag);
        ix->count++;
    }
    ix->mods++;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__ix_put(llmspell__index *ix, llmspell__h h, llmspell__h *old) {
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    llmspell__look at = llmspell__ix_look(ix, LLMSPELL__KEY(e), e->klen);
    *old = at.h;
    return llmspell__ix_put_at(ix, h, &at);
}

/* Removes key k; returns its entry (the caller owns it) or 0. */
static llmspell__h llmspell__ix_del(llmspell__index *ix, const uint8_t *k, size_t kn) {
    uint32_t tag = llmspell__hash(k, kn);
    llmspell__h o = llmspell__hfind(ix, k, kn, tag);
    if (!o) return 0;
    llmspell__hset(ix, o, 0, tag);
    if (!ix->hash_only) llmspell__bt_remove(ix, k, kn);
    ix->mods++;
    return o;
}

#ifndef LLMSPELL_NO_OS /* only the file backend loads a whole index at once */
/* >>sorting handles by key: MSD radix over 7-byte chunks of the keys. Each chunk is packed
   with a length byte (0..7 bytes left in it, 8 = the key goes on), so a key sorts before its
   extensions; runs that tie on a chunk and go on are sorted by the next one. */

typedef struct llmspell__kh { uint64_t chunk; llmspell__h h; } llmspell__kh;

static uint64_t llmspell__chunk(const llmspell__index *ix, llmspell__h h, size_t at) {
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    const uint8_t *k = LLMSPELL__KEY(e);
    size_t left = e->klen > at ? e->klen - at : 0, i;
    uint64_t c = 0;
    for (i = 0; i < 7; i++) c = c << 8 | (i < left ? k[at + i] : 0);
    return c << 8 | (left > 7 ? 8 : left);
}

static void llmspell__kh_sort(llmspell__kh *a, llmspell__kh *tmp, size_t n) {
    size_t cnt[256], i;
    int pass;
    if (n < 32) { /* insertion sort */
        for (i = 1; i < n; i++) {
            llmspell__kh x = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1].chunk > x.chunk) { a[j] = a[j - 1]; j--; }
            a[j] = x;
        }
        return;
    }
    for (pass = 0; pass < 8; pass++) { /* LSD radix, byte by byte */
        int shift = pass * 8;
        size_t sum = 0;
        memset(cnt, 0, sizeof cnt);
        for (i = 0; i < n; i++) cnt[(a[i].chunk >> shift) & 0xFF]++;
        if (cnt[(a[0].chunk >> shift) & 0xFF] == n) continue; /* all equal here */
        for (i = 0; i < 256; i++) { size_t c = cnt[i]; cnt[i] = sum; sum += c; }
        for (i = 0; i < n; i++) tmp[cnt[(a[i].chunk >> shift) & 0xFF]++] = a[i];
        memcpy(a, tmp, n * sizeof *a);
    }
}

/* Sorts a[0..n) by the keys of their handles, from byte `at` on (no recursion: a stack of runs). */
static llmspell_result llmspell__sort_handles(llmspell__index *ix, llmspell__kh *a, size_t n) {
    typedef struct { size_t lo, hi, at; } run;
    run *stack = NULL;
    size_t top = 0, cap = 0;
    llmspell__kh *tmp = (llmspell__kh *)llmspell__alloc(&ix->a, (n ? n : 1) * sizeof *tmp);
    llmspell_result r = LLMSPELL_OK;
    if (!tmp) return LLMSPELL_ERR_NOMEM;
    if (llmspell__reserve(&ix->a, (void **)&stack, &cap, sizeof(run)) != LLMSPELL_OK) { llmspell__free(&ix->a, tmp); return LLMSPELL_ERR_NOMEM; }
    stack[top].lo = 0;
    stack[top].hi = n;
    stack[top++].at = 0;
    while (top) {
        run rn = stack[--top];
        size_t i, j;
        for (i = rn.lo; i < rn.hi; i++) a[i].chunk = llmspell__chunk(ix, a[i].h, rn.at);
        llmspell__kh_sort(a + rn.lo, tmp, rn.hi - rn.lo);
        for (i = rn.lo; i < rn.hi; i = j) { /* ties that go on: sort them by the next chunk */
            for (j = i + 1; j < rn.hi && a[j].chunk == a[i].chunk; j++) {
            }
            if (j - i > 1 && (a[i].chunk & 0xFF) == 8) {
                if (llmspell__reserve(&ix->a, (void **)&stack, &cap, (top + 1) * sizeof(run)) != LLMSPELL_OK) { r = LLMSPELL_ERR_NOMEM; goto out; }
                stack[top].lo = i;
                stack[top].hi = j;
                stack[top++].at = rn.at + 7;
            }
        }
    }
out:
    llmspell__free(&ix->a, stack);
    llmspell__free(&ix->a, tmp);
    return r;
}

/* After a load in hash_only mode: sorts the live entries and builds the tree in one go (far
   faster than a million inserts in log order). */
static llmspell_result llmspell__ix_build_tree(llmspell__index *ix) {
    llmspell__kh *kh;
    llmspell__h *hs;
    size_t i, n = 0;
    llmspell_result r;
    ix->hash_only = 0;
    if (!ix->count) return LLMSPELL_OK;
    kh = (llmspell__kh *)llmspell__alloc(&ix->a, ix->count * sizeof *kh);
    if (!kh) return LLMSPELL_ERR_NOMEM;
    for (i = 0; i <= ix->mask; i++)
        if (ix->slots[i].h) kh[n++].h = ix->slots[i].h;
    r = llmspell__sort_handles(ix, kh, n);
    hs = (llmspell__h *)kh; /* packed in place: h[i] fits where kh[i] was */
    if (r == LLMSPELL_OK) {
        for (i = 0; i < n; i++) hs[i] = kh[i].h;
        r = llmspell__bt_build(ix, hs, n);
    }
    llmspell__free(&ix->a, kh);
    return r;
}
#endif /* !LLMSPELL_NO_OS */

/* Lays every live entry out again, in key order, in fresh slabs, and rebuilds the hash and the
   tree around them: reclaims free chunks and makes ordered scans read memory sequentially.
   Needs room for a second copy while it works; on NOMEM nothing changed. */
static llmspell_result llmspell__ix_relayout(llmspell__index *ix) {
    llmspell__index nx;
    llmspell__h *hs = NULL;
    llmspell__node *leaf;
    size_t i = 0;
    int j;
    if (llmspell__index_init(&nx, &ix->a, ix->payload) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    if (ix->count && !(hs = (llmspell__h *)llmspell__alloc(&ix->a, ix->count * sizeof *hs))) goto fail;
    if (llmspell__hreserve(&nx, ix->count) != LLMSPELL_OK) goto fail;
    for (leaf = ix->root; !leaf->leaf; leaf = leaf->u.in.c[0]) {
    }
    for (; leaf; leaf = leaf->next) {
        for (j = 0; j < leaf->n; j++, i++) {
            const llmspell__ent *e = LLMSPELL__E(ix, leaf->u.e[j]);
            size_t size = llmspell__ent_size(ix, e->klen, e->vlen, e->refs);
            if (!(hs[i] = llmspell__slab_alloc(&nx, size))) goto fail;
            memcpy(LLMSPELL__E(&nx, hs[i]), e, size);
            LLMSPELL__E(&nx, hs[i])->refs &= LLMSPELL__TIMED; /* no separators yet; the times stay */
            llmspell__hplace(nx.slots, nx.mask, hs[i], llmspell__hash(LLMSPELL__KEY(e), e->klen));
        }
    }
    nx.count = ix->count;
    if (llmspell__bt_build(&nx, hs, nx.count) != LLMSPELL_OK) goto fail;
    llmspell__free(&ix->a, hs);
    nx.mods = ix->mods + 1;
    llmspell__index_free(ix);
    *ix = nx;
    return LLMSPELL_OK;
fail:
    llmspell__free(&ix->a, hs);
    llmspell__index_free(&nx);
    return LLMSPELL_ERR_NOMEM;
}

/* An ordered position in the index that survives writes: it remembers the last key it
   returned (or the key it was seeked to) and finds its place again when the tree changed. */
typedef struct llmspell__ixcur {
    llmspell__index *ix;
    llmspell__node *leaf;
    int i;
    uint64_t mods;
    uint8_t *last;
    size_t lastn, lastcap;
    int excl; /* 1: continue after `last`; 0: at the first key >= `last` */
} llmspell__ixcur;

static void llmspell__ixcur_place(llmspell__ixcur *c) {
    c->leaf = llmspell__descend(c->ix, c->last, c->lastn, NULL, NULL);
    c->i = llmspell__leaf_lower(c->ix, c->leaf, c->last, c->lastn);
    for (;;) {
        while (c->leaf && c->i >= c->leaf->n) { c->leaf = c->leaf->next; c->i = 0; }
        if (!c->leaf || !c->excl || llmspell__entcmp(c->ix, c->leaf->u.e[c->i], c->last, c->lastn) > 0) break;
        c->i++;
    }
    c->mods = c->ix->mods;
}

static llmspell_result llmspell__ixcur_seek(llmspell__ixcur *c, const uint8_t *k, size_t kn) {
    if (llmspell__reserve(&c->ix->a, (void **)&c->last, &c->lastcap, kn) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    if (kn) memcpy(c->last, k, kn);
    c->lastn = kn;
    c->excl = 0;
    llmspell__ixcur_place(c);
    return LLMSPELL_OK;
}

/* Next entry or NULL at the end; NOMEM is reported through *rc (the position is kept). */
static llmspell__ent *llmspell__ixcur_next(llmspell__ixcur *c, llmspell_result *rc) {
    llmspell__ent *e;
    *rc = LLMSPELL_OK;
    if (c->mods != c->ix->mods) llmspell__ixcur_place(c);
    while (c->leaf && c->i >= c->leaf->n) { c->leaf = c->leaf->next; c->i = 0; }
    if (!c->leaf) return NULL;
    e = LLMSPELL__E(c->ix, c->leaf->u.e[c->i]);
#if defined(__GNUC__) || defined(__clang__)
    if (c->i + 4 < c->leaf->n) __builtin_prefetch(LLMSPELL__E(c->ix, c->leaf->u.e[c->i + 4]));
#endif
    if (e->klen > c->lastcap && llmspell__reserve(&c->ix->a, (void **)&c->last, &c->lastcap, e->klen) != LLMSPELL_OK) {
        *rc = LLMSPELL_ERR_NOMEM;
        return NULL;
    }
    c->i++;
    memcpy(c->last, LLMSPELL__KEY(e), e->klen);
    c->lastn = e->klen;
    c->excl = 1;
    return e;
}

/* >>ixstore: an index plus the undo log that gives it transactions (memory and file backends).
   Inside a transaction every replaced or deleted entry is kept in the undo log; rollback puts
   them back in reverse order without allocating (see keep_leaves), commit releases them. */

typedef struct llmspell__undo {
    llmspell__h old, neu; /* the entry before and after the write (0: none) */
} llmspell__undo;

typedef struct llmspell__ixstore {
    llmspell__index ix;
    uint64_t bytes; /* key + value bytes of the live entries */
    uint64_t timed; /* live entries that carry times (the file backend's records of them are longer) */
    llmspell__undo *undo;
    size_t nundo, capundo;
    int in_txn;
} llmspell__ixstore;

/* The base of every backend cursor (backends cast their own struct to it). */
struct llmspell_kv_cursor {
    llmspell_kv *kv;
};

static llmspell_result llmspell__ixs_undo_room(llmspell__ixstore *s) {
    size_t cap = s->capundo * sizeof *s->undo;
    llmspell_result r;
    if (!s->in_txn) return LLMSPELL_OK;
    r = llmspell__reserve(&s->ix.a, (void **)&s->undo, &cap, (s->nundo + 1) * sizeof *s->undo);
    s->capundo = cap / sizeof *s->undo;
    return r;
}

static uint64_t llmspell__ent_bytes(const llmspell__index *ix, llmspell__h h) {
    const llmspell__ent *e = LLMSPELL__E(ix, h);
    return e->klen + (uint64_t)e->vlen;
}

static int llmspell__ent_timed(const llmspell__index *ix, llmspell__h h) { return (LLMSPELL__E(ix, h)->refs & LLMSPELL__TIMED) != 0; }

/* Puts entry h (replacing any entry with its key; at: its key's lookup, or NULL). On failure
   nothing changed and h is not taken. */
static llmspell_result llmspell__ixs_put_at(llmspell__ixstore *s, llmspell__h h, const llmspell__look *at) {
    llmspell__h old;
    if (llmspell__ixs_undo_room(s) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    if (at) {
        old = at->h;
        if (llmspell__ix_put_at(&s->ix, h, at) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    } else if (llmspell__ix_put(&s->ix, h, &old) != LLMSPELL_OK) {
        return LLMSPELL_ERR_NOMEM;
    }
    s->bytes += llmspell__ent_bytes(&s->ix, h);
    s->timed += llmspell__ent_timed(&s->ix, h);
    if (old) {
        s->bytes -= llmspell__ent_bytes(&s->ix, old);
        s->timed -= llmspell__ent_timed(&s->ix, old);
    }
    if (s->in_txn) {
        s->undo[s->nundo].old = old;
        s->undo[s->nundo++].neu = h;
    } else {
        llmspell__ent_release(&s->ix, old);
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__ixs_del(llmspell__ixstore *s, const uint8_t *k, size_t kn) {
    llmspell__h old;
    if (!llmspell__ix_find(&s->ix, k, kn)) return LLMSPELL_ERR_NOT_FOUND;
    if (llmspell__ixs_undo_room(s) != LLMSPELL_OK) return LLMSPELL_ERR_NOMEM;
    old = llmspell__ix_del(&s->ix, k, kn);
    s->bytes -= llmspell__ent_bytes(&s->ix, old);
    s->timed -= llmspell__ent_timed(&s->ix, old);
    if (s->in_txn) {
        s->undo[s->nundo].old = old;
        s->undo[s->nundo++].neu = 0;
    } else {
        llmspell__ent_release(&s->ix, old);
    }
    return LLMSPELL_OK;
}

/* A huge transaction's undo log is not kept around afterwards. */
static void llmspell__ixs_end(llmspell__ixstore *s) {
    s->nundo = 0;
    s->in_txn = 0;
    s->ix.keep_leaves = 0;
    if (s->capundo > 4096) {
        llmspell__free(&s->ix.a, s->undo);
        s->undo = NULL;
        s->capundo = 0;
    }
}

static void llmspell__ixs_begin(llmspell__ixstore *s) {
    s->in_txn = 1;
    s->nundo = 0;
    s->ix.keep_leaves = 1;
}

static void llmspell__ixs_commit(llmspell__ixstore *s) {
    size_t i;
    s->ix.keep_leaves = 0;
    for (i = 0; i < s->nundo; i++) { /* deletes may have left empty leaves behind */
        if (s->undo[i].old && !s->undo[i].neu) {
            const llmspell__ent *e = LLMSPELL__E(&s->ix, s->undo[i].old);
            llmspell__bt_prune(&s->ix, LLMSPELL__KEY(e), e->klen);
        }
    }
    for (i = 0; i < s->nundo; i++) llmspell__ent_release(&s->ix, s->undo[i].old);
    llmspell__ixs_end(s);
}

static void llmspell__ixs_rollback(llmspell__ixstore *s) {
    size_t i = s->nundo;
    while (i-- > 0) {
        llmspell__h old = s->undo[i].old, neu = s->undo[i].neu, x;
        if (neu) {
            const llmspell__ent *e = LLMSPELL__E(&s->ix, neu);
            llmspell__ix_del(&s->ix, LLMSPELL__KEY(e), e->klen);
            s->bytes -= llmspell__ent_bytes(&s->ix, neu);
            s->timed -= llmspell__ent_timed(&s->ix, neu);
            llmspell__ent_release(&s->ix, neu);
        }
        if (old) {
            /* cannot fail: the hash never shrank and the leaf has room (no leaf was freed) */
            (void)llmspell__ix_put(&s->ix, old, &x);
            s->bytes += llmspell__ent_bytes(&s->ix, old);
            s->timed += llmspell__ent_timed(&s->ix, old);
        }
    }
    llmspell__ixs_end(s);
}

static void llmspell__ixs_free(llmspell__ixstore *s) {
    if (s->in_txn) llmspell__ixs_rollback(s);
    llmspell__free(&s->ix.a, s->undo);
    llmspell__index_free(&s->ix);
}

/* A cursor over an ixstore; `fetch` turns an entry into its value bytes. */
typedef struct llmspell__ixcursor {
    llmspell_kv_cursor base;
    llmspell__ixcur c;
} llmspell__ixcursor;

static llmspell_result llmspell__ixcursor_open(llmspell_kv *kv, llmspell__ixstore *s, size_t size,
                                               llmspell_kv_cursor **out) {
    llmspell__ixcursor *c = (llmspell__ixcursor *)llmspell__alloc(&kv->allocator, size);
    if (!c) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory opening a cursor", kv->name);
    memset(c, 0, size);
    c->base.kv = kv;
    c->c.ix = &s->ix;
    c->c.leaf = NULL;
    *out = &c->base;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__ixcursor_seek(llmspell_kv_cursor *cur, const uint8_t *k, size_t kn) {
    llmspell__ixcursor *c = (llmspell__ixcursor *)cur;
    if (llmspell__ixcur_seek(&c->c, k, kn) != LLMSPELL_OK)
        return llmspell_kv_set_error(cur->kv, LLMSPELL_ERR_NOMEM, "%s: out of memory in seek", cur->kv->name);
    return LLMSPELL_OK;
}

static void llmspell__ixcursor_close(llmspell_kv_cursor *cur) {
    llmspell__ixcursor *c = (llmspell__ixcursor *)cur;
    llmspell_kv *kv = cur->kv;
    llmspell__free(&kv->allocator, c->c.last);
    llmspell__free(&kv->allocator, c);
}

/* >>memory backend ------------------------------------------------------------------------ */

typedef struct llmspell__mem {
    llmspell__ixstore s;
} llmspell__mem;

#define LLMSPELL__MEM(kv) ((llmspell__mem *)(kv)->ctx)

static llmspell_result llmspell__mem_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn) {
    llmspell__ent *e = llmspell__ix_get(&LLMSPELL__MEM(kv)->s.ix, k, kn);
    if (!e) return LLMSPELL_ERR_NOT_FOUND;
    *v = LLMSPELL__PAYLOAD(e);
    *vn = e->vlen;
    return LLMSPELL_OK;
}

/* The times a put keeps: kv->put_times with "keep created" resolved against the entry it
   replaces (old, or NULL for a new key); NULL when the put has none. */
static const llmspell_kv_times *llmspell__put_times(llmspell_kv *kv, const llmspell__index *ix, const llmspell__ent *old,
                                                    llmspell_kv_times *t) {
    const llmspell_kv_times *pt = kv->put_times;
    if (!pt) return NULL;
    *t = *pt;
    if (t->created == LLMSPELL_TIME_MIN) {
        llmspell_kv_times o;
        if (old) llmspell__ent_times(ix, old, &o); /* an entry without times keeps "not known" */
        t->created = old ? o.created : t->updated;
    }
    return llmspell__tflags(t) ? t : NULL;
}

static llmspell_result llmspell__mem_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
    llmspell__ixstore *s = &LLMSPELL__MEM(kv)->s;
    llmspell__look at = llmspell__ix_look(&s->ix, k, kn);
    llmspell__ent *e = at.h ? LLMSPELL__E(&s->ix, at.h) : NULL;
    llmspell_kv_times tbuf;
    const llmspell_kv_times *t = llmspell__put_times(kv, &s->ix, e, &tbuf);
    llmspell__h h;
    /* same-size overwrite outside a transaction, times laid out alike: in place, no allocation */
    if (!s->in_txn && e && e->vlen == vn && (e->refs & LLMSPELL__TIMED) == llmspell__tflags(t)) {
        if (vn) memcpy(LLMSPELL__PAYLOAD(e), v, vn);
        if (t) llmspell__ent_set_times(&s->ix, e, t);
        return LLMSPELL_OK;
    }
    h = llmspell__ent_new(&s->ix, k, kn, vn, t);
    if (!h) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: out of memory storing a %zu-byte value", vn);
    if (vn) memcpy(LLMSPELL__PAYLOAD(LLMSPELL__E(&s->ix, h)), v, vn);
    if (llmspell__ixs_put_at(s, h, &at) != LLMSPELL_OK) {
        llmspell__slab_free(&s->ix, h);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: out of memory growing the index");
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__mem_get_times(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    llmspell__ixstore *s = &LLMSPELL__MEM(kv)->s;
    llmspell__ent *e = llmspell__ix_get(&s->ix, k, kn);
    if (!e) return LLMSPELL_ERR_NOT_FOUND;
    llmspell__ent_times(&s->ix, e, t);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__mem_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    llmspell_result r = llmspell__ixs_del(&LLMSPELL__MEM(kv)->s, k, kn);
    if (r == LLMSPELL_ERR_NOMEM) return llmspell_kv_set_error(kv, r, "memory: out of memory in delete");
    return r;
}

static llmspell_result llmspell__mem_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur) {
    return llmspell__ixcursor_open(kv, &LLMSPELL__MEM(kv)->s, sizeof(llmspell__ixcursor), cur);
}

static llmspell_result llmspell__mem_cursor_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn,
                                                 const void **v, size_t *vn) {
    llmspell__ixcursor *c = (llmspell__ixcursor *)cur;
    llmspell_result r;
    llmspell__ent *e = llmspell__ixcur_next(&c->c, &r);
    if (!e) return r ? llmspell_kv_set_error(cur->kv, r, "memory: out of memory in scan") : LLMSPELL_ERR_NOT_FOUND;
    *k = LLMSPELL__KEY(e);
    *kn = e->klen;
    *v = LLMSPELL__PAYLOAD(e);
    *vn = e->vlen;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__mem_begin(llmspell_kv *kv) { llmspell__ixs_begin(&LLMSPELL__MEM(kv)->s); return LLMSPELL_OK; }
static llmspell_result llmspell__mem_commit(llmspell_kv *kv) { llmspell__ixs_commit(&LLMSPELL__MEM(kv)->s); return LLMSPELL_OK; }
static llmspell_result llmspell__mem_rollback(llmspell_kv *kv) { llmspell__ixs_rollback(&LLMSPELL__MEM(kv)->s); return LLMSPELL_OK; }
static llmspell_result llmspell__nothing(llmspell_kv *kv) { (void)kv; return LLMSPELL_OK; }

static llmspell_result llmspell__mem_clear(llmspell_kv *kv) {
    llmspell__mem *m = LLMSPELL__MEM(kv);
    llmspell__index fresh;
    if (m->s.in_txn) return LLMSPELL_ERR_UNSUPPORTED; /* the family falls back to deleting key by key */
    if (llmspell__index_init(&fresh, &kv->allocator, 0) != LLMSPELL_OK)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: out of memory in clear");
    fresh.mods = m->s.ix.mods + 1;
    llmspell__index_free(&m->s.ix);
    m->s.ix = fresh;
    m->s.bytes = 0;
    m->s.timed = 0;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__mem_compact(llmspell_kv *kv) {
    if (llmspell__ix_relayout(&LLMSPELL__MEM(kv)->s.ix) != LLMSPELL_OK)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: not enough memory to compact (needs a second copy)");
    return LLMSPELL_OK;
}

static llmspell_result llmspell__mem_stats(llmspell_kv *kv, llmspell_kv_stats *st) {
    llmspell__mem *m = LLMSPELL__MEM(kv);
    memset(st, 0, sizeof *st);
    st->keys = m->s.ix.count;
    st->bytes = m->s.bytes;
    return LLMSPELL_OK;
}

static void llmspell__mem_chars(llmspell_kv *kv, llmspell_kv_characteristics *c) {
    (void)kv;
    c->persistent = 0;
    c->transactional = 1;
    c->supports_prefix_scan = 1;
    c->supports_atomic_ops = 1;
    c->read_latency_ns = 300; /* make bench, 1M keys: ~3.7M random gets/s, ~0.8M puts/s */
    c->write_latency_ns = 1300;
}

static void llmspell__mem_close(llmspell_kv *kv) {
    llmspell__mem *m = LLMSPELL__MEM(kv);
    llmspell__ixs_free(&m->s);
    llmspell__free(&kv->allocator, m);
}

/* Resets *kv to the closed state, keeping the message and allocator. */
static void llmspell__kv_reset(llmspell_kv *kv, const llmspell_kv_options *opts) {
    char msg[sizeof kv->errmsg];
    memcpy(msg, kv->errmsg, sizeof msg);
    memset(kv, 0, sizeof *kv);
    memcpy(kv->errmsg, msg, sizeof msg);
    kv->name = "closed";
    kv->txn_time = LLMSPELL_TIME_MIN;
    if (opts) {
        kv->allocator = opts->allocator;
        kv->clock = opts->clock;
    }
}

static llmspell_result llmspell__check_opts(llmspell_kv *kv, const llmspell_kv_options *o) {
    if (!o) return LLMSPELL_OK;
    if ((o->allocator.alloc || o->allocator.realloc || o->allocator.free) &&
        !(o->allocator.alloc && o->allocator.realloc && o->allocator.free))
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "options: allocator needs alloc, realloc and free, or none");
    if ((unsigned)o->durability > LLMSPELL_DURABILITY_FAST)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "options: unknown durability %d", (int)o->durability);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_open_memory(llmspell_kv *kv, const llmspell_kv_options *opts) {
    llmspell__mem *m;
    llmspell_result r;
    if (!kv) return LLMSPELL_ERR_INVALID;
    kv->errmsg[0] = 0;
    llmspell__kv_reset(kv, opts);
    if ((r = llmspell__check_opts(kv, opts)) != LLMSPELL_OK) { llmspell__kv_reset(kv, NULL); return r; }
    m = (llmspell__mem *)llmspell__alloc(&kv->allocator, sizeof *m);
    if (!m) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: out of memory opening the store");
    memset(m, 0, sizeof *m);
    if (llmspell__index_init(&m->s.ix, &kv->allocator, 0) != LLMSPELL_OK) {
        llmspell__free(&kv->allocator, m);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "memory: out of memory opening the store");
    }
    kv->ctx = m;
    kv->name = "memory";
    kv->get = llmspell__mem_get;
    kv->put = llmspell__mem_put;
    kv->del = llmspell__mem_del;
    kv->cursor_open = llmspell__mem_cursor_open;
    kv->cursor_seek = llmspell__ixcursor_seek;
    kv->cursor_next = llmspell__mem_cursor_next;
    kv->cursor_close = llmspell__ixcursor_close;
    kv->begin = llmspell__mem_begin;
    kv->commit = llmspell__mem_commit;
    kv->rollback = llmspell__mem_rollback;
    kv->clear = llmspell__mem_clear;
    kv->sync = llmspell__nothing;
    kv->compact = llmspell__mem_compact;
    kv->stats = llmspell__mem_stats;
    kv->characteristics = llmspell__mem_chars;
    kv->close = llmspell__mem_close;
    kv->get_times = llmspell__mem_get_times;
    kv->concurrent_reads = 1;
    kv->open = 1;
    return LLMSPELL_OK;
}

/* >>file backend ---------------------------------------------------------------------------
   One file: a 32-byte header, then an append-only log of records. The in-memory index maps
   each key to the file offset of its value; open() rebuilds it by replaying the log.

   header  "llmspkv\0" | u32 version (2) | u32 header size (32) | u64 salt | u32 zero | u32 CRC-32C of bytes 0..27
   record  u32 CRC-32C of the rest, seeded from the salt | u8 type (1 put, 2 delete, 3 commit) | u8 flags (1: commits
           its transaction, 2: written by a handle in safe mode, 4: carries times) | u16 zero |
           u32 key length | u32 value length | u64 transaction id | [times] | key | value
           (all integers little-endian). times (puts with flag 4 only): i64 created, i64 updated
           (see >>entries). A commit record has no key and an 8-byte value: the offset of its
           transaction's first record.
   Version 1 is the same without flag 4 (and so without times). It is still read, its entries
   reporting times 0; opened for writing it is upgraded by a compaction at open (the rewrite
   is atomic, see >>file compaction), and if that fails (a full disk, say) the handle goes on
   appending version-1 records, without times, so an older library can still read the file.
   Libraries that read only version 1 refuse version 2 with ERR_FORMAT.

   A transaction's records share an id; only its last record carries the commit flag (an
   autocommitted put is one record with the flag; an explicit transaction ends with a commit
   record). Replay applies a transaction when it reaches the flag and drops records whose
   transaction never committed. A record that fails its checksum at the end of the file is a
   torn write from a crash: the file is cut back to the last commit (stats.recovered_bytes says
   how much was dropped). A bad record followed by a valid committing record of a later
   transaction written in safe mode is corruption in the middle, reported with its offset: in
   safe mode every commit was synced before the next one was written, so it cannot be a torn
   write. (Later records written in balanced or fast mode prove nothing: the disk may reorder
   unsynced writes.) Transaction
   ids only grow over the life of a file (compaction keeps counting) and each file has its
   own random salt, so bytes inside a torn value (say, a copy of another store) are never
   mistaken for later committed records. New files appear atomically (written aside, then
   linked into place), so a file shorter than its header is damage, not an interrupted create. */

#ifndef LLMSPELL_NO_OS

#define LLMSPELL__FHDR 32
#define LLMSPELL__FREC 24
#define LLMSPELL__FTIMES 16 /* the times of a put record with LLMSPELL__F_TIMES */
#define LLMSPELL__FVERSION 2u
#define LLMSPELL__WBUF_MAX (1u << 20)
enum { LLMSPELL__R_PUT = 1, LLMSPELL__R_DEL = 2, LLMSPELL__R_COMMIT = 3 };
enum { LLMSPELL__F_COMMIT = 1, LLMSPELL__F_SAFE = 2, LLMSPELL__F_TIMES = 4 };

typedef struct llmspell__file {
    llmspell__ixstore s;
    int fd;
    char *path;
    int read_only;
    llmspell_durability durability;
    uint64_t flushed;          /* bytes of the file written */
    uint8_t *wbuf;             /* records appended after `flushed`, not yet written */
    size_t wlen, wcap;
    uint64_t txn;              /* id of the open (or next) transaction */
    uint64_t txn_start;        /* log offset where the open transaction began */
    uint64_t last_sync_ms;
    int unsynced;              /* written since the last fsync */
    int broken;                /* an I/O failure left the tail unknown: writes are refused */
    uint8_t *rbuf;             /* value buffer for get when the file is not mapped */
    size_t rcap;
    const uint8_t *map;        /* read-only map of the file (values are read from it) */
    uint64_t maplen;
    double ac_ratio;
    uint64_t ac_min;
    uint32_t seed;             /* record checksum seed, from the header's salt */
    const llmspell_kv_io *io;  /* the operating system (real or simulated) */
    uint64_t recovered;        /* torn tail bytes dropped at open */
    uint32_t version;          /* of the file's format: 1 appends records without times */
} llmspell__file;

typedef struct llmspell__fcursor {
    llmspell__ixcursor ic;
    uint8_t *vbuf;
    size_t vcap;
} llmspell__fcursor;

#define LLMSPELL__FILE(kv) ((llmspell__file *)(kv)->ctx)

static const uint8_t llmspell__fmagic[8] = {'l', 'l', 'm', 's', 'p', 'k', 'v', 0};

/* A header with a fresh salt (not cryptographic: it only has to differ between files). */
static uint32_t llmspell__file_header(uint8_t h[LLMSPELL__FHDR]) {
    uint64_t mix[4], salt;
    mix[0] = (uint64_t)llmspell__os_now_us();
    mix[1] = llmspell__os_mono_ms();
    mix[2] = llmspell__os_pid();
    mix[3] = (uint64_t)(uintptr_t)h;
    salt = (uint64_t)llmspell__hash((const uint8_t *)mix, sizeof mix) << 32 | llmspell__hash((const uint8_t *)mix, 24);
    memset(h, 0, LLMSPELL__FHDR);
    memcpy(h, llmspell__fmagic, 8);
    llmspell__put32(h + 8, LLMSPELL__FVERSION);
    llmspell__put32(h + 12, LLMSPELL__FHDR);
    llmspell__put64(h + 16, salt);
    llmspell__put32(h + 28, llmspell_crc32c(0, h, 28));
    return (uint32_t)salt ^ (uint32_t)(salt >> 32);
}

static uint32_t llmspell__file_seed(const uint8_t *h) { return llmspell__get32(h + 16) ^ llmspell__get32(h + 20); }

static uint64_t llmspell__fend(const llmspell__file *f) { return f->flushed + f->wlen; }

static uint64_t llmspell__fdead(const llmspell__file *f) {
    /* what compaction would reclaim: everything but the live records and one commit record */
    uint64_t live = f->s.bytes + (uint64_t)f->s.ix.count * LLMSPELL__FREC + f->s.timed * LLMSPELL__FTIMES + LLMSPELL__FREC + 8;
    uint64_t body = llmspell__fend(f) - LLMSPELL__FHDR;
    return body > live ? body - live : 0;
}

/* Reads exactly n bytes at off; a short file is EIO (the index says the bytes are there). */
static int llmspell__read_exact(const llmspell_kv_io *io, int fd, void *buf, size_t n, uint64_t off) {
    size_t got;
    int e = io->pread(io->ctx, fd, buf, n, off, &got);
    return e ? e : got == n ? 0 : EIO;
}

/* Maps the written part of the file for reading, with room to grow. Without a map (a
   simulated disk, no address space, or an OS whose maps cannot grow) values are read with
   pread (into the reading thread's buffer). Threads read at once through the real OS; a
   simulated disk is not asked to serve them. */
static void llmspell__fmap(llmspell_kv *kv, llmspell__file *f, int force) {
    uint64_t len;
    kv->concurrent_reads = f->io == &llmspell__io_os;
    if (!force && f->flushed <= f->maplen) return;
    if (f->map) llmspell__os_unmap(f->map, f->maplen);
    f->map = NULL;
    f->maplen = 0;
    if (f->io != &llmspell__io_os || !LLMSPELL__OS_MAP_GROWS) return;
    for (len = 1u << 20; len < f->flushed * 2 && len < ((uint64_t)1 << 62); len *= 2) {
    }
    if ((f->map = llmspell__os_map(f->fd, len)) != NULL) f->maplen = len;
}

/* The value of entry e: in the write buffer, in the map, or read into *buf. */
static llmspell_result llmspell__fread_value(llmspell_kv *kv, const llmspell__ent *e, uint8_t **buf, size_t *cap,
                                             const void **v) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    uint64_t off;
    int err;
    memcpy(&off, LLMSPELL__PAYLOAD(e), 8);
    if (e->vlen == 0) { /* nothing to read (and wbuf may be NULL) */
        *v = "";
        return LLMSPELL_OK;
    }
    if (off >= f->flushed) { /* still in the write buffer */
        *v = f->wbuf + (off - f->flushed);
        return LLMSPELL_OK;
    }
    if (f->map && off + e->vlen <= f->flushed) { /* mapped: no copy */
        *v = f->map + off;
        return LLMSPELL_OK;
    }
    if (llmspell__reserve(&kv->allocator, (void **)buf, cap, e->vlen) != LLMSPELL_OK)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory reading a %u-byte value", f->path, e->vlen);
    if (e->vlen && (err = llmspell__read_exact(f->io, f->fd, *buf, e->vlen, off)) != 0)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: read at offset %llu failed: %s", f->path,
                                     (unsigned long long)off, strerror(err));
    *v = *buf;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell__ent *e = llmspell__ix_get(&f->s.ix, k, kn);
#ifndef LLMSPELL_NO_THREADS
    llmspell__tslot *t;
#endif
    if (!e) return LLMSPELL_ERR_NOT_FOUND;
    *vn = e->vlen;
#ifndef LLMSPELL_NO_THREADS
    if (kv->concurrent_reads) { /* readers share the handle: each reads into its own buffer */
        if (!(t = llmspell__slot_of(kv))) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory for this thread", f->path);
        return llmspell__fread_value(kv, e, (uint8_t **)&t->rbuf, &t->rcap, v);
    }
#endif
    return llmspell__fread_value(kv, e, &f->rbuf, &f->rcap, v);
}

static llmspell_result llmspell__file_get_times(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell__ent *e = llmspell__ix_get(&f->s.ix, k, kn);
    if (!e) return LLMSPELL_ERR_NOT_FOUND;
    llmspell__ent_times(&f->s.ix, e, t);
    return LLMSPELL_OK;
}

/* >>file write path: records are appended to a write buffer (fappend), which reaches the file
   at a commit or when it is full (fflush) and the disk as the durability mode says (fsync);
   every put and delete runs as a transaction, its own or the open one, and the index follows
   each record, with the undo log for rollback. */

/* Writes the buffered records. On failure the file is cut back to what it was. */
static llmspell_result llmspell__fflush(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    int e;
    if (!f->wlen) return LLMSPELL_OK;
    if ((e = f->io->pwrite(f->io->ctx, f->fd, f->wbuf, f->wlen, f->flushed)) != 0) {
        /* part of it may be in the file: cut it off, or stop writing if even that fails */
        if (f->io->truncate(f->io->ctx, f->fd, f->flushed) != 0) f->broken = 1;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: write at offset %llu failed: %s", f->path,
                                     (unsigned long long)f->flushed, strerror(e));
    }
    f->flushed += f->wlen;
    f->wlen = 0;
    f->unsynced = 1;
    llmspell__fmap(kv, f, 0);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__fsync_now(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    int e;
    if (!f->unsynced) return LLMSPELL_OK;
    if ((e = f->io->sync(f->io->ctx, f->fd)) != 0) {
        /* after a failed fsync the kernel may have dropped the dirty pages: never pretend */
        f->broken = 1;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: fsync failed: %s", f->path, strerror(e));
    }
    f->unsynced = 0;
    f->last_sync_ms = llmspell__os_mono_ms();
    return LLMSPELL_OK;
}

/* Appends one record to the write buffer (t: its times, NULL for none); *voff receives the log
   offset of its value. */
static llmspell_result llmspell__fappend(llmspell_kv *kv, int type, int commit, const uint8_t *k, size_t kn,
                                         const void *v, size_t vn, const llmspell_kv_times *t, uint64_t *voff) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    size_t tl = t ? LLMSPELL__FTIMES : 0, need = LLMSPELL__FREC + tl + kn + vn;
    uint8_t *h;
    if (f->wlen && f->wlen + need > LLMSPELL__WBUF_MAX) { /* keep the buffer bounded in big transactions */
        llmspell_result r = llmspell__fflush(kv);
        if (r != LLMSPELL_OK) return r;
    }
    if (llmspell__reserve(&kv->allocator, (void **)&f->wbuf, &f->wcap, f->wlen + need) != LLMSPELL_OK)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory buffering a record", f->path);
    h = f->wbuf + f->wlen;
    h[4] = (uint8_t)type;
    h[5] = (uint8_t)((commit ? LLMSPELL__F_COMMIT | (f->durability == LLMSPELL_DURABILITY_SAFE ? LLMSPELL__F_SAFE : 0) : 0) |
                     (t ? LLMSPELL__F_TIMES : 0));
    h[6] = h[7] = 0;
    llmspell__put32(h + 8, (uint32_t)kn);
    llmspell__put32(h + 12, (uint32_t)vn);
    llmspell__put64(h + 16, f->txn);
    if (t) {
        llmspell__puti64(h + LLMSPELL__FREC, t->created);
        llmspell__puti64(h + LLMSPELL__FREC + 8, t->updated);
    }
    if (kn) memcpy(h + LLMSPELL__FREC + tl, k, kn);
    if (vn) memcpy(h + LLMSPELL__FREC + tl + kn, v, vn);
    llmspell__put32(h, llmspell_crc32c(f->seed, h + 4, need - 4));
    if (voff) *voff = llmspell__fend(f) + LLMSPELL__FREC + tl + kn;
    f->wlen += need;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__fwritable(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    if (f->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "file %s: opened read-only", f->path);
    if (f->broken)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: an earlier I/O failure left the file in an unknown state; reopen it", f->path);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__fcommit_io(llmspell_kv *kv);
static void llmspell__file_maybe_compact(llmspell_kv *kv);

/* Applies one write: the record goes to the log and the entry to the index. Outside a
   transaction it runs as a transaction of its own, committed by the record's flag. */
static llmspell_result llmspell__file_write(llmspell_kv *kv, int type, const uint8_t *k, size_t kn, const void *v,
                                            size_t vn) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    int auto_txn = !f->s.in_txn;
    size_t wlen0 = f->wlen;
    uint64_t voff = 0;
    llmspell__h h = 0;
    llmspell__look at;
    llmspell_kv_times tbuf;
    const llmspell_kv_times *t = NULL;
    llmspell_result r;
    if ((r = llmspell__fwritable(kv)) != LLMSPELL_OK) return r;
    at = llmspell__ix_look(&f->s.ix, k, kn);
    if (type == LLMSPELL__R_DEL && !at.h) return LLMSPELL_ERR_NOT_FOUND;
    if (type == LLMSPELL__R_PUT) {
        if (f->version >= 2) /* a version-1 file gets no times (see the format notes) */
            t = llmspell__put_times(kv, &f->s.ix, at.h ? LLMSPELL__E(&f->s.ix, at.h) : NULL, &tbuf);
        h = llmspell__ent_new(&f->s.ix, k, kn, vn, t);
        if (!h) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory", f->path);
    }
    if (auto_txn) {
        llmspell__ixs_begin(&f->s);
        f->txn_start = llmspell__fend(f);
    }
    r = llmspell__fappend(kv, type, auto_txn, k, kn, v, vn, t, &voff);
    if (r == LLMSPELL_OK) wlen0 = f->wlen - (LLMSPELL__FREC + (t ? LLMSPELL__FTIMES : 0) + kn + vn);
    if (r == LLMSPELL_OK && h) {
        memcpy(LLMSPELL__PAYLOAD(LLMSPELL__E(&f->s.ix, h)), &voff, 8);
        if (llmspell__ixs_put_at(&f->s, h, &at) != LLMSPELL_OK)
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory growing the index", f->path);
        else h = 0;
        if (r != LLMSPELL_OK) f->wlen = wlen0;
    } else if (r == LLMSPELL_OK) {
        if (llmspell__ixs_del(&f->s, k, kn) != LLMSPELL_OK) {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory", f->path);
            f->wlen = wlen0;
        }
    }
    if (h) llmspell__slab_free(&f->s.ix, h);
    if (!auto_txn) return r;
    if (r == LLMSPELL_OK) r = llmspell__fcommit_io(kv);
    f->txn++;
    if (r != LLMSPELL_OK) {
        llmspell__ixs_rollback(&f->s);
        if (f->txn_start >= f->flushed) f->wlen = (size_t)(f->txn_start - f->flushed);
        return r;
    }
    llmspell__ixs_commit(&f->s);
    llmspell__file_maybe_compact(kv);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
    return llmspell__file_write(kv, LLMSPELL__R_PUT, k, kn, v, vn);
}
static llmspell_result llmspell__file_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    return llmspell__file_write(kv, LLMSPELL__R_DEL, k, kn, NULL, 0);
}

/* Makes the buffered commit reach the file, and the disk as the durability mode asks. */
static llmspell_result llmspell__fcommit_io(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell_result r = llmspell__fflush(kv);
    uint64_t every;
    if (r != LLMSPELL_OK) return r;
    every = f->durability == LLMSPELL_DURABILITY_SAFE ? 0 : f->durability == LLMSPELL_DURABILITY_BALANCED ? 100 : 1000;
    if (every == 0 || llmspell__os_mono_ms() - f->last_sync_ms >= every) return llmspell__fsync_now(kv);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_compact(llmspell_kv *kv);

static void llmspell__file_maybe_compact(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    uint64_t end = llmspell__fend(f);
    if (f->ac_ratio < 0 || end < f->ac_min) return;
    if ((double)llmspell__fdead(f) > f->ac_ratio * (double)end) {
        char keep[sizeof kv->errmsg];
        memcpy(keep, kv->errmsg, sizeof keep);
        (void)llmspell__file_compact(kv); /* best effort: on failure the store is unchanged */
        memcpy(kv->errmsg, keep, sizeof keep);
    }
}

static llmspell_result llmspell__file_begin(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell_result r = llmspell__fwritable(kv);
    if (r != LLMSPELL_OK) return r;
    llmspell__ixs_begin(&f->s);
    f->txn_start = llmspell__fend(f);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_rollback(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell__ixs_rollback(&f->s);
    f->txn++;
    if (f->txn_start >= f->flushed) { /* still buffered: simply dropped */
        f->wlen = (size_t)(f->txn_start - f->flushed);
        return LLMSPELL_OK;
    }
    /* A big transaction already wrote records. They were never synced, so a crash could tear
       them in front of a later commit and make recovery see corruption: cut them off. */
    f->wlen = 0;
    if (f->io->truncate(f->io->ctx, f->fd, f->txn_start) != 0) {
        f->broken = 1;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot cut a rolled-back transaction off the log; reopen it",
                                     f->path);
    }
    f->flushed = f->txn_start;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_commit(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell_result r;
    if (f->s.nundo == 0 && f->txn_start == llmspell__fend(f)) { /* nothing written */
        llmspell__ixs_commit(&f->s);
        f->txn++;
        return LLMSPELL_OK;
    }
    r = llmspell__fwritable(kv);
    if (r == LLMSPELL_OK) {
        uint8_t start[8];
        llmspell__put64(start, f->txn_start); /* lets recovery tell this transaction's records from later ones */
        r = llmspell__fappend(kv, LLMSPELL__R_COMMIT, 1, NULL, 0, start, 8, NULL, NULL);
    }
    if (r == LLMSPELL_OK) r = llmspell__fcommit_io(kv);
    if (r != LLMSPELL_OK) {
        llmspell__file_rollback(kv);
        return r;
    }
    llmspell__ixs_commit(&f->s);
    f->txn++;
    llmspell__file_maybe_compact(kv);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__file_sync(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell_result r;
    if (f->read_only) return LLMSPELL_OK;
    if (f->broken) return llmspell__fwritable(kv);
    if (f->s.in_txn) return llmspell__fsync_now(kv); /* the open transaction is not committed anyway */
    r = llmspell__fflush(kv);
    return r != LLMSPELL_OK ? r : llmspell__fsync_now(kv);
}

static llmspell_result llmspell__file_clear(llmspell_kv *kv) {
    (void)kv;
    return LLMSPELL_ERR_UNSUPPORTED; /* the family deletes key by key in one transaction */
}

/* >>file compaction: the live entries, times included, in key order, as one transaction in a
   new file (always the current version) that is synced and renamed over the old one; then the
   directory is synced. A crash at any point leaves the old file or the new one, whole. */

/* Rewrites the live entries, in key order, to a new file and renames it over the old one. */
static llmspell_result llmspell__file_compact(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    const llmspell_kv_io *io = f->io;
    char tmp[4200];
    uint8_t hdr[LLMSPELL__FHDR];
    uint8_t *out = NULL;
    size_t ocap = 0, olen = 0;
    uint64_t off = LLMSPELL__FHDR, woff = 0, left = f->s.ix.count, size, id[2];
    llmspell__node *leaf;
    unsigned mode = 0644;
    int fd = -1, i, err = 0, regular;
    llmspell_result r = llmspell__fwritable(kv);
    const char *what = "write";
    uint32_t seed;
    if (r != LLMSPELL_OK) return r;
    if (f->s.in_txn) return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "file %s: cannot compact inside a transaction", f->path);
    if ((r = llmspell__fflush(kv)) != LLMSPELL_OK) return r;
    snprintf(tmp, sizeof tmp, "%s.compact", f->path);
    (void)io->stat(io->ctx, f->fd, &size, &regular, &mode, id); /* keep the permissions */
    if ((err = io->open(io->ctx, tmp, 1, 2, mode, &fd)) != 0)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot create %s: %s", f->path, tmp, strerror(err));
    if ((err = io->lock(io->ctx, fd, 1)) != 0) { what = "lock"; goto fail; }
    seed = llmspell__file_header(hdr);
    if ((err = io->pwrite(io->ctx, fd, hdr, sizeof hdr, 0)) != 0) goto fail;
    woff = sizeof hdr;
    for (leaf = f->s.ix.root; !leaf->leaf; leaf = leaf->u.in.c[0]) {
    }
    for (; leaf; leaf = leaf->next) {
        for (i = 0; i < leaf->n; i++) {
            llmspell__ent *e = LLMSPELL__E(&f->s.ix, leaf->u.e[i]);
            int timed = (e->refs & LLMSPELL__TIMED) != 0;
            size_t tl = timed ? LLMSPELL__FTIMES : 0, need = LLMSPELL__FREC + tl + e->klen + e->vlen;
            uint64_t voff;
            uint8_t *h;
            memcpy(&voff, LLMSPELL__PAYLOAD(e), 8);
            if (olen + need > LLMSPELL__WBUF_MAX && olen) {
                if ((err = io->pwrite(io->ctx, fd, out, olen, woff)) != 0) goto fail;
                woff += olen;
                olen = 0;
            }
            if (llmspell__reserve(&kv->allocator, (void **)&out, &ocap, olen + need) != LLMSPELL_OK) {
                err = ENOMEM;
                goto fail;
            }
            h = out + olen;
            h[4] = LLMSPELL__R_PUT;
            h[5] = timed ? LLMSPELL__F_TIMES : 0;
            h[6] = h[7] = 0;
            llmspell__put32(h + 8, e->klen);
            llmspell__put32(h + 12, e->vlen);
            llmspell__put64(h + 16, f->txn); /* ids keep growing across compactions */
            if (timed) {
                llmspell_kv_times t;
                llmspell__ent_times(&f->s.ix, e, &t);
                llmspell__puti64(h + LLMSPELL__FREC, t.created);
                llmspell__puti64(h + LLMSPELL__FREC + 8, t.updated);
            }
            memcpy(h + LLMSPELL__FREC + tl, LLMSPELL__KEY(e), e->klen);
            if (e->vlen && (err = llmspell__read_exact(io, f->fd, h + LLMSPELL__FREC + tl + e->klen, e->vlen, voff)) != 0) {
                what = "read";
                goto fail;
            }
            llmspell__put32(h, llmspell_crc32c(seed, h + 4, need - 4));
            olen += need;
        }
    }
    { /* one commit record for all of them: the rewrite is atomic like any transaction */
        uint8_t *h;
        if (llmspell__reserve(&kv->allocator, (void **)&out, &ocap, olen + LLMSPELL__FREC + 8) != LLMSPELL_OK) {
            err = ENOMEM;
            goto fail;
        }
        h = out + olen;
        memset(h, 0, LLMSPELL__FREC + 8);
        h[4] = LLMSPELL__R_COMMIT;
        h[5] = 3; /* synced before it counts, like safe mode */
        llmspell__put32(h + 12, 8);
        llmspell__put64(h + 16, f->txn);
        llmspell__put64(h + LLMSPELL__FREC, LLMSPELL__FHDR);
        llmspell__put32(h, llmspell_crc32c(seed, h + 4, LLMSPELL__FREC + 8 - 4));
        olen += LLMSPELL__FREC + 8;
    }
    (void)left;
    if ((err = io->pwrite(io->ctx, fd, out, olen, woff)) != 0) goto fail;
    if ((err = io->sync(io->ctx, fd)) != 0) { what = "fsync"; goto fail; }
    if (io->no_replace_open) { /* the new file, locked, keeps other writers out meanwhile */
        if (f->map) llmspell__os_unmap(f->map, f->maplen);
        f->map = NULL;
        f->maplen = 0;
        (void)io->close(io->ctx, f->fd);
        f->fd = -1;
        if ((err = io->rename(io->ctx, tmp, f->path)) != 0) { /* take the old file back */
            int e2 = io->open(io->ctx, f->path, 1, 0, 0, &f->fd);
            if (e2 == 0 && (e2 = io->lock(io->ctx, f->fd, 1)) != 0) (void)io->close(io->ctx, f->fd);
            if (e2 != 0) {
                f->fd = -1;
                f->broken = 1; /* nothing is lost, but this handle can no longer reach the file */
            }
            llmspell__fmap(kv, f, 1);
            what = "rename";
            goto fail;
        }
    } else     if ((err = io->rename(io->ctx, tmp, f->path)) != 0) { what = "rename"; goto fail; }
    /* from here the new file is the store: switch to it, then make the rename durable */
    if (f->fd >= 0) (void)io->close(io->ctx, f->fd);
    f->fd = fd;
    for (leaf = f->s.ix.root; !leaf->leaf; leaf = leaf->u.in.c[0]) {
    }
    for (; leaf; leaf = leaf->next) {
        for (i = 0; i < leaf->n; i++) {
            llmspell__ent *e = LLMSPELL__E(&f->s.ix, leaf->u.e[i]);
            uint64_t voff = off + LLMSPELL__FREC + ((e->refs & LLMSPELL__TIMED) ? LLMSPELL__FTIMES : 0) + e->klen;
            memcpy(LLMSPELL__PAYLOAD(e), &voff, 8);
            off = voff + e->vlen;
        }
    }
    f->flushed = off + LLMSPELL__FREC + 8; /* and the commit record */
    f->txn++;
    f->seed = seed;
    f->version = LLMSPELL__FVERSION;
    f->unsynced = 0;
    f->s.ix.mods++;
    llmspell__fmap(kv, f, 1);
    llmspell__free(&kv->allocator, out);
    if ((err = io->sync_dir(io->ctx, f->path)) != 0) {
        f->broken = 1;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: syncing the directory after compaction failed: %s",
                                     f->path, strerror(err));
    }
    return LLMSPELL_OK;
fail:
    (void)io->close(io->ctx, fd);
    (void)io->unlink(io->ctx, tmp);
    llmspell__free(&kv->allocator, out);
    if (err == ENOMEM) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory compacting", f->path);
    return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: compaction %s failed: %s (store unchanged)", f->path, what,
                                 strerror(err));
}

static llmspell_result llmspell__file_stats(llmspell_kv *kv, llmspell_kv_stats *st) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    st->keys = f->s.ix.count;
    st->bytes = f->s.bytes;
    st->file_size = llmspell__fend(f);
    st->dead_bytes = llmspell__fdead(f);
    st->recovered_bytes = f->recovered;
    return LLMSPELL_OK;
}

static void llmspell__file_chars(llmspell_kv *kv, llmspell_kv_characteristics *c) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    c->persistent = 1;
    c->transactional = 1;
    c->supports_prefix_scan = 1;
    c->supports_atomic_ops = 1;
    c->read_latency_ns = 450; /* make bench, 1M keys: ~2.4M gets/s; a safe commit waits for one fsync */
    c->write_latency_ns = f->durability == LLMSPELL_DURABILITY_SAFE ? 1100000 : 1500;
}

static llmspell_result llmspell__file_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur) {
    return llmspell__ixcursor_open(kv, &LLMSPELL__FILE(kv)->s, sizeof(llmspell__fcursor), cur);
}

static llmspell_result llmspell__file_cursor_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn,
                                                  const void **v, size_t *vn) {
    llmspell__fcursor *c = (llmspell__fcursor *)cur;
    llmspell_result r;
    llmspell__ent *e = llmspell__ixcur_next(&c->ic.c, &r);
    if (!e) return r ? llmspell_kv_set_error(cur->kv, r, "file: out of memory in scan") : LLMSPELL_ERR_NOT_FOUND;
    r = llmspell__fread_value(cur->kv, e, &c->vbuf, &c->vcap, v);
    if (r != LLMSPELL_OK) {
        /* step back so that a retry returns this entry again */
        c->ic.c.excl = 0;
        c->ic.c.mods = c->ic.c.ix->mods - 1;
        return r;
    }
    *k = LLMSPELL__KEY(e);
    *kn = e->klen;
    *vn = e->vlen;
    return LLMSPELL_OK;
}

static void llmspell__file_cursor_close(llmspell_kv_cursor *cur) {
    llmspell__fcursor *c = (llmspell__fcursor *)cur;
    llmspell__free(&cur->kv->allocator, c->vbuf);
    llmspell__ixcursor_close(cur);
}

static void llmspell__file_free(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    llmspell__ixs_free(&f->s);
    if (f->map) llmspell__os_unmap(f->map, f->maplen);
    if (f->fd >= 0) (void)f->io->close(f->io->ctx, f->fd);
    llmspell__free(&kv->allocator, f->wbuf);
    llmspell__free(&kv->allocator, f->rbuf);
    llmspell__free(&kv->allocator, f->path);
    llmspell__free(&kv->allocator, f);
}

static void llmspell__file_close(llmspell_kv *kv) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    if (f->s.in_txn) llmspell__file_rollback(kv);
    if (!f->read_only && !f->broken && llmspell__fflush(kv) == LLMSPELL_OK) (void)llmspell__fsync_now(kv);
    llmspell__file_free(kv);
}

/* >>file recovery: open() replays the log into the index, applying each transaction at its
   commit flag; it stops at the first record that is not whole (a torn tail, cut off) unless a
   later committed record proves the damage is in the middle (ERR_CORRUPT). */

/* The flags a record of this file version may carry. */
static unsigned llmspell__fflags_max(const llmspell__file *f) {
    return f->version >= 2 ? (LLMSPELL__F_COMMIT | LLMSPELL__F_SAFE | LLMSPELL__F_TIMES) : (LLMSPELL__F_COMMIT | LLMSPELL__F_SAFE);
}

/* Replays the log into the index. `map` holds the whole file. */
static llmspell_result llmspell__file_replay(llmspell_kv *kv, const uint8_t *map, uint64_t size, uint64_t *good_end) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    uint64_t off = LLMSPELL__FHDR, committed = LLMSPELL__FHDR, cur_txn = 0, max_txn = 0;
    unsigned fmax = llmspell__fflags_max(f);
    int pending = 0;
    while (off < size) {
        const uint8_t *h = map + off;
        uint64_t rest = size - off, need, txn, scan;
        uint32_t kn, vn, tl;
        int type, flags, ok;
        ok = rest >= LLMSPELL__FREC;
        if (ok) {
            type = h[4];
            flags = h[5];
            kn = llmspell__get32(h + 8);
            vn = llmspell__get32(h + 12);
            txn = llmspell__get64(h + 16);
            tl = (flags & LLMSPELL__F_TIMES) ? LLMSPELL__FTIMES : 0;
            need = LLMSPELL__FREC + (uint64_t)tl + kn + vn;
            ok = type >= LLMSPELL__R_PUT && type <= LLMSPELL__R_COMMIT && (unsigned)flags <= fmax && h[6] == 0 && h[7] == 0 &&
                 kn <= 65535 && need <= rest && (type == LLMSPELL__R_COMMIT ? kn == 0 && vn == 8 && flags == (flags & 3) && (flags & 1) : kn > 0) &&
                 (type != LLMSPELL__R_DEL || (vn == 0 && !tl)) && llmspell__get32(h) == llmspell_crc32c(f->seed, h + 4, (size_t)need - 4);
        }
        if (!ok) {
            /* torn tail, or corruption in the middle? Look for a valid committing record, written
               in safe mode, of a transaction that began after the bad record */
            for (scan = off + 1; scan + LLMSPELL__FREC <= size; scan++) {
                const uint8_t *q = map + scan;
                uint64_t qn = LLMSPELL__FREC + (uint64_t)((q[5] & LLMSPELL__F_TIMES) ? LLMSPELL__FTIMES : 0) + llmspell__get32(q + 8) +
                              llmspell__get32(q + 12);
                if ((q[5] & 3) == 3 && q[5] <= fmax && q[4] >= 1 && q[4] <= 3 && (q[4] == LLMSPELL__R_PUT || q[5] == 3) && q[6] == 0 &&
                    q[7] == 0 && qn <= size - scan && llmspell__get64(q + 16) > max_txn &&
                    llmspell__get32(q) == llmspell_crc32c(f->seed, q + 4, (size_t)qn - 4) &&
                    (q[4] != LLMSPELL__R_COMMIT || (qn == LLMSPELL__FREC + 8 && llmspell__get64(q + LLMSPELL__FREC) > off))) {
                    if (pending) llmspell__ixs_rollback(&f->s);
                    return llmspell_kv_set_error(kv, LLMSPELL_ERR_CORRUPT,
                                                 "file %s: corrupt record at offset %llu (committed records follow at offset %llu)",
                                                 f->path, (unsigned long long)off, (unsigned long long)scan);
                }
            }
            break; /* a torn tail: everything from the last commit on is dropped */
        }
        if (pending && txn != cur_txn) llmspell__ixs_rollback(&f->s); /* that transaction never committed */
        if (!f->s.in_txn) {
            llmspell__ixs_begin(&f->s);
            pending = 1;
            cur_txn = txn;
        }
        if (txn > max_txn) max_txn = txn;
        if (type == LLMSPELL__R_PUT) {
            llmspell_kv_times t = {0, 0};
            llmspell__h eh;
            uint64_t voff = off + LLMSPELL__FREC + tl + kn;
            if (tl) {
                t.created = llmspell__geti64(h + LLMSPELL__FREC);
                t.updated = llmspell__geti64(h + LLMSPELL__FREC + 8);
            }
            eh = llmspell__ent_new(&f->s.ix, h + LLMSPELL__FREC + tl, kn, vn, tl ? &t : NULL);
            if (eh) memcpy(LLMSPELL__PAYLOAD(LLMSPELL__E(&f->s.ix, eh)), &voff, 8);
            if (!eh || llmspell__ixs_put_at(&f->s, eh, NULL) != LLMSPELL_OK) {
                if (eh) llmspell__slab_free(&f->s.ix, eh);
                llmspell__ixs_rollback(&f->s);
                return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory loading the index", f->path);
            }
        } else if (type == LLMSPELL__R_DEL) {
            if (llmspell__ixs_del(&f->s, h + LLMSPELL__FREC, kn) == LLMSPELL_ERR_NOMEM) {
                llmspell__ixs_rollback(&f->s);
                return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory loading the index", f->path);
            }
        }
        off += need;
        if (flags & 1) {
            llmspell__ixs_commit(&f->s);
            pending = 0;
            committed = off;
        }
    }
    if (pending) llmspell__ixs_rollback(&f->s);
    f->txn = max_txn + 1;
    *good_end = committed; /* records after the last commit can never commit: they go too */
    f->recovered = size - committed;
    return LLMSPELL_OK;
}

/* >>file open: create the file atomically if it is missing, lock it, check the header, replay
   the log, cut a torn tail, upgrade a version-1 file. */

static llmspell_result llmspell__file_load(llmspell_kv *kv, int fd, uint64_t size) {
    llmspell__file *f = LLMSPELL__FILE(kv);
    const llmspell_kv_io *io = f->io;
    uint8_t fresh[LLMSPELL__FHDR];
    const uint8_t *map;
    uint8_t *copy = NULL;
    uint64_t good = LLMSPELL__FHDR;
    llmspell_result r;
    int e;
    if (size < LLMSPELL__FHDR) {
        uint8_t got[LLMSPELL__FHDR];
        if (size && (e = llmspell__read_exact(io, fd, got, (size_t)size, 0)) != 0)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot read the header: %s", f->path, strerror(e));
        if (size && memcmp(got, llmspell__fmagic, (size_t)(size < 8 ? size : 8)) != 0)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_FORMAT, "file %s: not an llmspell kv file (bad magic)", f->path);
        if (size)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_CORRUPT, "file %s: truncated header (%llu of %d bytes)", f->path,
                                         (unsigned long long)size, LLMSPELL__FHDR);
        /* an empty file (made by the user) holds nothing to lose: make it a store */
        if (f->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_FORMAT, "file %s: empty, not an llmspell kv file", f->path);
        f->seed = llmspell__file_header(fresh);
        if ((e = io->pwrite(io->ctx, fd, fresh, sizeof fresh, 0)) != 0 || (e = io->sync(io->ctx, fd)) != 0)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot write the header: %s", f->path, strerror(e));
        f->flushed = LLMSPELL__FHDR;
        f->txn = 1;
        f->version = LLMSPELL__FVERSION;
        return LLMSPELL_OK;
    }
    if ((uint64_t)(size_t)size != size)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "file %s: %llu bytes do not fit the address space", f->path,
                                     (unsigned long long)size);
    if (io == &llmspell__io_os && (map = llmspell__os_map(fd, size)) != NULL) {
        /* replay reads the mapped file */
    } else { /* a simulated disk, or no address space for a map: read it whole */
        if (!(copy = (uint8_t *)llmspell__alloc(&kv->allocator, (size_t)size)))
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory reading %llu bytes", f->path,
                                         (unsigned long long)size);
        if ((e = llmspell__read_exact(io, fd, copy, (size_t)size, 0)) != 0) {
            llmspell__free(&kv->allocator, copy);
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot read: %s", f->path, strerror(e));
        }
        map = copy;
    }
    if (memcmp(map, llmspell__fmagic, 8) != 0) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_FORMAT, "file %s: not an llmspell kv file (bad magic)", f->path);
    } else if (llmspell__get32(map + 28) != llmspell_crc32c(0, map, 28)) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_CORRUPT, "file %s: header checksum mismatch at offset 28", f->path);
    } else if (llmspell__get32(map + 8) < 1 || llmspell__get32(map + 8) > LLMSPELL__FVERSION) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_FORMAT, "file %s: format version %u, this library reads versions 1 to %u",
                                  f->path, llmspell__get32(map + 8), LLMSPELL__FVERSION);
    } else {
        f->version = llmspell__get32(map + 8);
        f->seed = llmspell__file_seed(map);
        f->s.ix.hash_only = 1; /* the ordered tree is built once, after the replay */
        r = llmspell__file_replay(kv, map, size, &good);
        if (r == LLMSPELL_OK && llmspell__ix_build_tree(&f->s.ix) != LLMSPELL_OK)
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory building the index", f->path);
        f->s.ix.hash_only = 0;
    }
    if (copy) llmspell__free(&kv->allocator, copy);
    else llmspell__os_unmap(map, size);
    if (r != LLMSPELL_OK) return r;
    f->flushed = good;
    if (good < size && !f->read_only) { /* drop the torn tail so new records follow the last commit */
        if ((e = io->truncate(io->ctx, fd, good)) != 0 || (e = io->sync(io->ctx, fd)) != 0)
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot cut the torn tail at offset %llu: %s",
                                         f->path, (unsigned long long)good, strerror(e));
    }
    return LLMSPELL_OK;
}

/* Creates the store at path atomically: the header is written to a side file, synced, and
   linked into place (never replacing a file that appeared meanwhile). */
static llmspell_result llmspell__file_create(llmspell_kv *kv, const llmspell_kv_io *io, const char *path) {
    char tmp[4200];
    uint8_t hdr[LLMSPELL__FHDR];
    int fd, e;
    snprintf(tmp, sizeof tmp, "%s.new-%llu", path, (unsigned long long)llmspell__os_pid());
    if ((e = io->open(io->ctx, tmp, 1, 2, 0644, &fd)) != 0)
        return llmspell_kv_set_error(kv, e == EACCES || e == EROFS ? LLMSPELL_ERR_READONLY : e == ENOENT ? LLMSPELL_ERR_NOT_FOUND : LLMSPELL_ERR_IO,
                                     "file %s: cannot create: %s", path, strerror(e));
    llmspell__file_header(hdr);
    if ((e = io->pwrite(io->ctx, fd, hdr, sizeof hdr, 0)) == 0) e = io->sync(io->ctx, fd);
    (void)io->close(io->ctx, fd);
    if (!e && (e = io->link(io->ctx, tmp, path)) == EEXIST) e = 0; /* someone else made it: use theirs */
    else if (e == EPERM || e == ENOTSUP || e == EXDEV) e = io->rename(io->ctx, tmp, path); /* no hard links here */
    (void)io->unlink(io->ctx, tmp);
    if (!e) e = io->sync_dir(io->ctx, path);
    if (e) return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot create: %s", path, strerror(e));
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_open_file(llmspell_kv *kv, const char *path, const llmspell_kv_options *opts) {
    llmspell__file *f;
    llmspell_kv_options o;
    const llmspell_kv_io *io;
    llmspell_result r;
    int attempt, fd = -1, e, regular = 0;
    uint64_t size = 0, id[2], id2[2];
    unsigned mode;
    size_t plen;
    if (!kv) return LLMSPELL_ERR_INVALID;
    kv->errmsg[0] = 0;
    llmspell__kv_reset(kv, opts);
    if (!path || !*path) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "file: empty path");
    if ((r = llmspell__check_opts(kv, opts)) != LLMSPELL_OK) { llmspell__kv_reset(kv, NULL); return r; }
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    io = o.io ? o.io : &llmspell__io_os;
    plen = strlen(path);
    if (plen > 4096) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "file: path longer than 4096 bytes");
    f = (llmspell__file *)llmspell__alloc(&kv->allocator, sizeof *f);
    if (!f) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory", path);
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->io = io;
    kv->ctx = f;
    f->read_only = o.read_only;
    f->durability = o.durability;
    f->ac_ratio = o.auto_compact_ratio == 0 ? 0.5 : o.auto_compact_ratio;
    f->ac_min = o.auto_compact_min_bytes ? o.auto_compact_min_bytes : (4u << 20);
    f->last_sync_ms = llmspell__os_mono_ms();
    f->path = (char *)llmspell__alloc(&kv->allocator, plen + 1);
    if (!f->path || llmspell__index_init(&f->s.ix, &kv->allocator, 8) != LLMSPELL_OK) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "file %s: out of memory", path);
        goto fail;
    }
    memcpy(f->path, path, plen + 1);
    for (attempt = 0;; attempt++) {
        e = io->open(io->ctx, path, !o.read_only, 0, 0, &fd);
        if (e == ENOENT && !o.read_only && !o.no_create && attempt < 5) {
            if ((r = llmspell__file_create(kv, io, path)) != LLMSPELL_OK) goto fail;
            continue;
        }
        if (e) {
            fd = -1;
            if (e == ENOENT) r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_FOUND, "file %s: does not exist", path);
            else if (e == EISDIR) r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_A_FILE, "file %s: is a directory", path);
            else if (e == EBUSY) r = llmspell_kv_set_error(kv, LLMSPELL_ERR_BUSY, "file %s: held open without sharing by another program", path);
            else if (e == EACCES || e == EROFS || e == EPERM)
                r = llmspell_kv_set_error(kv, o.read_only ? LLMSPELL_ERR_IO : LLMSPELL_ERR_READONLY,
                                          "file %s: cannot open for %s: %s", path, o.read_only ? "reading" : "writing", strerror(e));
            else r = llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot open: %s", path, strerror(e));
            goto fail;
        }
        if (io->stat(io->ctx, fd, &size, &regular, &mode, id) != 0 || !regular) {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_A_FILE, "file %s: not a regular file", path);
            goto fail;
        }
        if ((e = io->lock(io->ctx, fd, !o.read_only)) != 0) {
            r = e == EWOULDBLOCK ? llmspell_kv_set_error(kv, LLMSPELL_ERR_BUSY, "file %s: locked by another writer", path)
                                 : llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "file %s: cannot lock: %s", path, strerror(e));
            goto fail;
        }
        /* a compaction elsewhere may have renamed a new file over the path before we locked */
        if (io->stat_path(io->ctx, path, id2) == 0 && id2[0] == id[0] && id2[1] == id[1]) {
            if (!o.read_only) { /* a compaction killed midway leaves its side file */
                char side[4200];
                snprintf(side, sizeof side, "%s.compact", path);
                (void)io->unlink(io->ctx, side);
            }
            break;
        }
        (void)io->close(io->ctx, fd);
        fd = -1;
        if (attempt == 5) {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_BUSY, "file %s: keeps being replaced by another process", path);
            goto fail;
        }
    }
    f->fd = fd;
    fd = -1;
    r = llmspell__file_load(kv, f->fd, size);
    if (r != LLMSPELL_OK) goto fail;
    llmspell__fmap(kv, f, 1);
    if (f->version < LLMSPELL__FVERSION && !o.read_only) {
        /* upgrade: the rewrite is atomic; if it fails the handle appends version-1 records */
        if ((r = llmspell__file_compact(kv)) != LLMSPELL_OK) {
            if (f->broken) goto fail; /* the file is there, whole, but this handle lost track of it */
            kv->errmsg[0] = 0;
        }
    }
    kv->name = "file";
    kv->get = llmspell__file_get;
    kv->put = llmspell__file_put;
    kv->del = llmspell__file_del;
    kv->cursor_open = llmspell__file_cursor_open;
    kv->cursor_seek = llmspell__ixcursor_seek;
    kv->cursor_next = llmspell__file_cursor_next;
    kv->cursor_close = llmspell__file_cursor_close;
    kv->begin = llmspell__file_begin;
    kv->commit = llmspell__file_commit;
    kv->rollback = llmspell__file_rollback;
    kv->clear = llmspell__file_clear;
    kv->sync = llmspell__file_sync;
    kv->compact = llmspell__file_compact;
    kv->stats = llmspell__file_stats;
    kv->characteristics = llmspell__file_chars;
    kv->close = llmspell__file_close;
    kv->get_times = llmspell__file_get_times;
    kv->open = 1;
    return LLMSPELL_OK;
fail:
    if (fd >= 0) (void)io->close(io->ctx, fd);
    llmspell__file_free(kv);
    llmspell__kv_reset(kv, NULL);
    return r;
}

#endif /* !LLMSPELL_NO_OS: the file backend */

/* >>paged cursors: the SQL backends' cursors read ordered pages of rows by primary-key range
   (k >= the sought key, then k > the last key returned) and copy them into the cursor. A
   write through the handle bumps the store's write count, which drops the rows read ahead:
   the next call reads again after the last key returned. The backend's fill reads one page
   with llmspell__pc_add and sets at_end on a short page. */
#if defined(LLMSPELL_KV_SQLITE) || defined(LLMSPELL_KV_POSTGRES)

#define LLMSPELL__PC_PAGE 128      /* rows of a scan's first page: a short scan reads little ahead */
#define LLMSPELL__PC_PAGE_MAX 512 /* each page doubles up to this: a long scan costs few round trips */

typedef struct llmspell__pcursor llmspell__pcursor;
struct llmspell__pcursor {
    llmspell_kv_cursor base;
    llmspell_result (*fill)(llmspell__pcursor *c); /* reads the page after (or from) last */
    const uint64_t *writes; /* the store's write count */
    const char *what;       /* the backend's name, for messages */
    uint8_t *rows;          /* (u32 klen, u32 vlen, key, value)* */
    size_t rlen, rcap, rpos;
    int nrows, at_end;
    int page;               /* rows the next page asks for (fill passes it as the LIMIT) */
    uint64_t seen;          /* the store's write count when the rows were read */
    uint8_t *last;          /* the key to continue from */
    size_t lastn, lastcap;
    int excl;               /* continue after last (a key was returned), not from it */
};

static llmspell_result llmspell__pc_open(llmspell_kv *kv, llmspell_kv_cursor **cur, llmspell_result (*fill)(llmspell__pcursor *),
                                         const uint64_t *writes, const char *what) {
    llmspell__pcursor *c = (llmspell__pcursor *)llmspell__alloc(&kv->allocator, sizeof *c);
    if (!c) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory opening a cursor", what);
    memset(c, 0, sizeof *c);
    c->base.kv = kv;
    c->fill = fill;
    c->writes = writes;
    c->what = what;
    c->at_end = 1; /* until seeked */
    c->page = LLMSPELL__PC_PAGE;
    *cur = &c->base;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__pc_seek(llmspell_kv_cursor *cur, const uint8_t *k, size_t kn) {
    llmspell__pcursor *c = (llmspell__pcursor *)cur;
    if (llmspell__reserve(&cur->kv->allocator, (void **)&c->last, &c->lastcap, kn + 1) != LLMSPELL_OK)
        return llmspell_kv_set_error(cur->kv, LLMSPELL_ERR_NOMEM, "%s: out of memory in seek", c->what);
    if (kn) memcpy(c->last, k, kn);
    c->lastn = kn;
    c->excl = 0;
    c->nrows = 0;
    c->rpos = c->rlen = 0;
    c->at_end = 0;
    c->page = LLMSPELL__PC_PAGE;
    return LLMSPELL_OK;
}

/* Starts a page (fill calls it first). */
static void llmspell__pc_restart(llmspell__pcursor *c) {
    c->rlen = c->rpos = 0;
    c->nrows = 0;
    c->seen = *c->writes;
}

/* Appends one row of the page being read. */
static llmspell_result llmspell__pc_add(llmspell__pcursor *c, const void *k, size_t kn, const void *v, size_t vn) {
    if (llmspell__reserve(&c->base.kv->allocator, (void **)&c->rows, &c->rcap, c->rlen + 8 + kn + vn) != LLMSPELL_OK)
        return llmspell_kv_set_error(c->base.kv, LLMSPELL_ERR_NOMEM, "%s: out of memory in scan", c->what);
    llmspell__put32(c->rows + c->rlen, (uint32_t)kn);
    llmspell__put32(c->rows + c->rlen + 4, (uint32_t)vn);
    if (kn) memcpy(c->rows + c->rlen + 8, k, kn);
    if (vn) memcpy(c->rows + c->rlen + 8 + kn, v, vn);
    c->rlen += 8 + kn + vn;
    c->nrows++;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__pc_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn, const void **v, size_t *vn) {
    llmspell__pcursor *c = (llmspell__pcursor *)cur;
    const uint8_t *row;
    if (c->seen != *c->writes) { /* rows read ahead may be stale */
        c->rpos = c->rlen = 0;
        c->at_end = 0;
    }
    if (c->rpos >= c->rlen) {
        llmspell_result r;
        if (c->at_end) return LLMSPELL_ERR_NOT_FOUND;
        if ((r = c->fill(c)) != LLMSPELL_OK) {
            c->rlen = c->rpos = 0;
            c->nrows = 0;
            return r;
        }
        if (c->nrows < c->page) c->at_end = 1;
        else if (c->page < LLMSPELL__PC_PAGE_MAX) c->page *= 2;
        if (c->rlen == 0) return LLMSPELL_ERR_NOT_FOUND;
    }
    row = c->rows + c->rpos;
    *kn = llmspell__get32(row);
    *vn = llmspell__get32(row + 4);
    *k = row + 8;
    *v = row + 8 + *kn;
    c->rpos += 8 + *kn + *vn;
    if (llmspell__reserve(&cur->kv->allocator, (void **)&c->last, &c->lastcap, *kn) != LLMSPELL_OK) {
        c->rpos -= 8 + *kn + *vn;
        return llmspell_kv_set_error(cur->kv, LLMSPELL_ERR_NOMEM, "%s: out of memory in scan", c->what);
    }
    memcpy(c->last, *k, *kn);
    c->lastn = *kn;
    c->excl = 1;
    return LLMSPELL_OK;
}

static void llmspell__pc_close(llmspell_kv_cursor *cur) {
    llmspell__pcursor *c = (llmspell__pcursor *)cur;
    llmspell_kv *kv = cur->kv;
    llmspell__free(&kv->allocator, c->rows);
    llmspell__free(&kv->allocator, c->last);
    llmspell__free(&kv->allocator, c);
}
#endif

/* >>sqlite backend (opt-in) ------------------------------------------------------------------
   table kv(k BLOB PRIMARY KEY, v BLOB NOT NULL, c INTEGER NOT NULL DEFAULT 0, u INTEGER NOT
   NULL DEFAULT 0) WITHOUT ROWID: c and u are the entry's created and updated times (0: none).
   WAL journal, prepared statements; cursors read ordered chunks of rows by primary-key range.
   A table from before the times (k, v only) gets the two columns by ALTER TABLE when opened for
   writing; opened read-only it is read as it is, every entry reporting times 0. */
#ifdef LLMSPELL_KV_SQLITE

typedef struct llmspell__sq {
    sqlite3 *db;
    sqlite3_stmt *get, *put, *del, *from_incl, *from_excl, *times; /* times: NULL in an old read-only table */
    uint8_t *vbuf;
    size_t vcap;
    char *path;
    int read_only;
    int in_snap; /* a read snapshot's transaction is open */
    llmspell_durability durability;
    uint64_t writes; /* bumped by every change, so cursors drop rows they read ahead */
} llmspell__sq;

#define LLMSPELL__SQ(kv) ((llmspell__sq *)(kv)->ctx)

static llmspell_result llmspell__sq_err(llmspell_kv *kv, int rc, const char *what) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    llmspell_result code = LLMSPELL_ERR_IO;
    switch (rc & 0xFF) {
    case SQLITE_NOMEM: code = LLMSPELL_ERR_NOMEM; break;
    case SQLITE_BUSY: case SQLITE_LOCKED: code = LLMSPELL_ERR_BUSY; break;
    case SQLITE_CORRUPT: code = LLMSPELL_ERR_CORRUPT; break;
    case SQLITE_NOTADB: code = LLMSPELL_ERR_FORMAT; break;
    case SQLITE_READONLY: code = LLMSPELL_ERR_READONLY; break;
    case SQLITE_FULL: case SQLITE_IOERR: code = LLMSPELL_ERR_IO; break;
    default: break;
    }
    return llmspell_kv_set_error(kv, code, "sqlite %s: %s: %s", s->path, what, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
}

static llmspell_result llmspell__sq_exec(llmspell_kv *kv, const char *sql) {
    int rc = sqlite3_exec(LLMSPELL__SQ(kv)->db, sql, NULL, NULL, NULL);
    LLMSPELL__SQ(kv)->writes++; /* ROLLBACK, DELETE and VACUUM change what a cursor sees */
    return rc == SQLITE_OK ? LLMSPELL_OK : llmspell__sq_err(kv, rc, sql);
}

static llmspell_result llmspell__sq_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    llmspell_result r = LLMSPELL_OK;
    int rc;
    sqlite3_bind_blob(s->get, 1, k, (int)kn, SQLITE_STATIC);
    rc = sqlite3_step(s->get);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(s->get, 0);
        const void *p = sqlite3_column_blob(s->get, 0);
        if (llmspell__reserve(&kv->allocator, (void **)&s->vbuf, &s->vcap, n + 1) != LLMSPELL_OK) {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "sqlite %s: out of memory reading a value", s->path);
        } else {
            if (n) memcpy(s->vbuf, p, n);
            *v = s->vbuf;
            *vn = n;
        }
    } else if (rc == SQLITE_DONE) {
        r = LLMSPELL_ERR_NOT_FOUND;
    } else {
        r = llmspell__sq_err(kv, rc, "get");
    }
    sqlite3_reset(s->get);
    sqlite3_clear_bindings(s->get);
    return r;
}

static llmspell_result llmspell__sq_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    const llmspell_kv_times *t = kv->put_times;
    int rc;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite %s: opened read-only", s->path);
    sqlite3_bind_blob(s->put, 1, k, (int)kn, SQLITE_STATIC);
    sqlite3_bind_blob(s->put, 2, vn ? v : (const void *)"", (int)vn, SQLITE_STATIC);
    if (t) { /* ?5: keep the row's created (a new row takes updated) */
        int keep = t->created == LLMSPELL_TIME_MIN;
        sqlite3_bind_int64(s->put, 3, keep ? t->updated : t->created);
        sqlite3_bind_int64(s->put, 4, t->updated);
        sqlite3_bind_int(s->put, 5, keep);
    } else {
        sqlite3_bind_int64(s->put, 3, 0);
        sqlite3_bind_int64(s->put, 4, 0);
        sqlite3_bind_int(s->put, 5, 0);
    }
    rc = sqlite3_step(s->put);
    s->writes++;
    sqlite3_reset(s->put);
    sqlite3_clear_bindings(s->put);
    return rc == SQLITE_DONE ? LLMSPELL_OK : llmspell__sq_err(kv, rc, "put");
}

static llmspell_result llmspell__sq_get_times(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    llmspell_result r = LLMSPELL_OK;
    int rc;
    sqlite3_bind_blob(s->times, 1, k, (int)kn, SQLITE_STATIC);
    rc = sqlite3_step(s->times);
    if (rc == SQLITE_ROW) {
        t->created = sqlite3_column_int64(s->times, 0);
        t->updated = sqlite3_column_int64(s->times, 1);
    } else {
        r = rc == SQLITE_DONE ? LLMSPELL_ERR_NOT_FOUND : llmspell__sq_err(kv, rc, "get times");
    }
    sqlite3_reset(s->times);
    sqlite3_clear_bindings(s->times);
    return r;
}

/* Whether table kv has columns c and u (the entries' times); -1 when it cannot tell. */
static int llmspell__sq_has_times(llmspell__sq *s, int *has_c, int *has_u) {
    sqlite3_stmt *st;
    int rc;
    *has_c = *has_u = 0;
    if (sqlite3_prepare_v2(s->db, "PRAGMA table_info(kv)", -1, &st, NULL) != SQLITE_OK) return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        if (name && strcmp(name, "c") == 0) *has_c = 1;
        if (name && strcmp(name, "u") == 0) *has_u = 1;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static llmspell_result llmspell__sq_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    int rc;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite %s: opened read-only", s->path);
    sqlite3_bind_blob(s->del, 1, k, (int)kn, SQLITE_STATIC);
    rc = sqlite3_step(s->del);
    s->writes++;
    sqlite3_reset(s->del);
    sqlite3_clear_bindings(s->del);
    if (rc != SQLITE_DONE) return llmspell__sq_err(kv, rc, "delete");
    return sqlite3_changes(s->db) ? LLMSPELL_OK : LLMSPELL_ERR_NOT_FOUND;
}

/* Reads the page after (or from) the cursor's key. */
static llmspell_result llmspell__sq_fill(llmspell__pcursor *c) {
    llmspell_kv *kv = c->base.kv;
    llmspell__sq *s = LLMSPELL__SQ(kv);
    sqlite3_stmt *st = c->excl ? s->from_excl : s->from_incl;
    llmspell_result r = LLMSPELL_OK;
    int rc;
    llmspell__pc_restart(c);
    sqlite3_bind_blob(st, 1, c->lastn ? (const void *)c->last : (const void *)"", (int)c->lastn, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, c->page);
    while (r == LLMSPELL_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
        r = llmspell__pc_add(c, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), sqlite3_column_blob(st, 1),
                             (size_t)sqlite3_column_bytes(st, 1));
    if (r == LLMSPELL_OK && rc != SQLITE_DONE) r = llmspell__sq_err(kv, rc, "scan");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return r;
}

static llmspell_result llmspell__sq_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur) {
    return llmspell__pc_open(kv, cur, llmspell__sq_fill, &LLMSPELL__SQ(kv)->writes, "sqlite");
}

static llmspell_result llmspell__sq_begin(llmspell_kv *kv) {
    if (LLMSPELL__SQ(kv)->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite: opened read-only");
    return llmspell__sq_exec(kv, "BEGIN IMMEDIATE");
}
static llmspell_result llmspell__sq_commit(llmspell_kv *kv) {
    llmspell_result r = llmspell__sq_exec(kv, "COMMIT");
    if (r != LLMSPELL_OK && !sqlite3_get_autocommit(LLMSPELL__SQ(kv)->db)) (void)sqlite3_exec(LLMSPELL__SQ(kv)->db, "ROLLBACK", NULL, NULL, NULL);
    return r;
}
static llmspell_result llmspell__sq_rollback(llmspell_kv *kv) {
    LLMSPELL__SQ(kv)->writes++;
    if (sqlite3_get_autocommit(LLMSPELL__SQ(kv)->db)) return LLMSPELL_OK; /* sqlite already rolled back */
    return llmspell__sq_exec(kv, "ROLLBACK");
}
/* A read snapshot is a deferred transaction: WAL keeps its reads on the state of its first one,
   whatever other processes commit meanwhile. Inside this handle's own transaction it is that. */
static llmspell_result llmspell__sq_snapshot(llmspell_kv *kv, int begin) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    llmspell_result r;
    if (!begin) {
        if (s->in_snap && !sqlite3_get_autocommit(s->db)) (void)llmspell__sq_exec(kv, "COMMIT");
        s->in_snap = 0;
        return LLMSPELL_OK;
    }
    if (!sqlite3_get_autocommit(s->db)) return LLMSPELL_OK;
    if ((r = llmspell__sq_exec(kv, "BEGIN")) != LLMSPELL_OK) return r;
    s->in_snap = 1;
    return LLMSPELL_OK;
}
static llmspell_result llmspell__sq_clear(llmspell_kv *kv) {
    if (LLMSPELL__SQ(kv)->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite: opened read-only");
    return llmspell__sq_exec(kv, "DELETE FROM kv");
}
static llmspell_result llmspell__sq_sync(llmspell_kv *kv) {
    if (LLMSPELL__SQ(kv)->read_only || kv->in_txn || LLMSPELL__SQ(kv)->in_snap) return LLMSPELL_OK;
    return llmspell__sq_exec(kv, "PRAGMA wal_checkpoint(FULL)");
}
static llmspell_result llmspell__sq_compact(llmspell_kv *kv) {
    if (LLMSPELL__SQ(kv)->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite: opened read-only");
    return llmspell__sq_exec(kv, "VACUUM");
}

static int64_t llmspell__sq_int(llmspell__sq *s, const char *sql, int col) {
    sqlite3_stmt *st;
    int64_t v = 0;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, col);
    sqlite3_finalize(st);
    return v;
}

static llmspell_result llmspell__sq_stats(llmspell_kv *kv, llmspell_kv_stats *st) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    int64_t psz = llmspell__sq_int(s, "PRAGMA page_size", 0);
    st->keys = (uint64_t)llmspell__sq_int(s, "SELECT count(*) FROM kv", 0);
    st->bytes = (uint64_t)llmspell__sq_int(s, "SELECT coalesce(sum(length(k) + length(v)), 0) FROM kv", 0);
    st->file_size = (uint64_t)(llmspell__sq_int(s, "PRAGMA page_count", 0) * psz);
    st->dead_bytes = (uint64_t)(llmspell__sq_int(s, "PRAGMA freelist_count", 0) * psz);
    return LLMSPELL_OK;
}

static void llmspell__sq_chars(llmspell_kv *kv, llmspell_kv_characteristics *c) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    c->persistent = strcmp(s->path, ":memory:") != 0;
    c->transactional = 1;
    c->supports_prefix_scan = 1;
    c->supports_atomic_ops = 1;
    c->shared = c->persistent;
    c->read_latency_ns = 5000; /* make bench: ~0.2M gets/s after reopen; synchronous=FULL commits ~12-14 ms */
    c->write_latency_ns = s->durability == LLMSPELL_DURABILITY_SAFE ? 12000000 : 20000;
}

static void llmspell__sq_free(llmspell_kv *kv) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    sqlite3_finalize(s->get);
    sqlite3_finalize(s->put);
    sqlite3_finalize(s->del);
    sqlite3_finalize(s->from_incl);
    sqlite3_finalize(s->from_excl);
    sqlite3_finalize(s->times);
    if (s->db) sqlite3_close(s->db);
    llmspell__free(&kv->allocator, s->vbuf);
    llmspell__free(&kv->allocator, s->path);
    llmspell__free(&kv->allocator, s);
}

static void llmspell__sq_close(llmspell_kv *kv) {
    llmspell__sq *s = LLMSPELL__SQ(kv);
    if (!sqlite3_get_autocommit(s->db)) (void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    llmspell__sq_free(kv);
}

LLMSPELL_DEF llmspell_result llmspell_kv_open_sqlite(llmspell_kv *kv, const char *path, const llmspell_kv_options *opts) {
    static const char *const sync_mode[] = {"PRAGMA synchronous=FULL", "PRAGMA synchronous=NORMAL", "PRAGMA synchronous=OFF"};
    llmspell__sq *s;
    llmspell_kv_options o;
    llmspell_result r;
    struct stat st;
    size_t plen;
    int rc, flags, mem, has_c = 0, has_u = 0;
    if (!kv) return LLMSPELL_ERR_INVALID;
    kv->errmsg[0] = 0;
    llmspell__kv_reset(kv, opts);
    if (!path || !*path) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "sqlite: empty path");
    if ((r = llmspell__check_opts(kv, opts)) != LLMSPELL_OK) { llmspell__kv_reset(kv, NULL); return r; }
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    mem = strcmp(path, ":memory:") == 0;
    if (!mem && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_A_FILE, "sqlite %s: not a regular file", path);
    if (!mem && (o.no_create || o.read_only) && stat(path, &st) != 0)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_FOUND, "sqlite %s: does not exist", path);
    if (!mem && !o.read_only && access(path, F_OK) == 0 && access(path, W_OK) != 0)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "sqlite %s: file is not writable", path);
    plen = strlen(path);
    s = (llmspell__sq *)llmspell__alloc(&kv->allocator, sizeof *s);
    if (!s) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "sqlite %s: out of memory", path);
    memset(s, 0, sizeof *s);
    kv->ctx = s;
    s->read_only = o.read_only;
    s->durability = o.durability;
    s->path = (char *)llmspell__alloc(&kv->allocator, plen + 1);
    if (!s->path) { r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "sqlite %s: out of memory", path); goto fail; }
    memcpy(s->path, path, plen + 1);
    flags = o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(path, &s->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) { r = llmspell__sq_err(kv, rc, "open"); goto fail; }
    sqlite3_extended_result_codes(s->db, 0);
    if (!mem && !o.read_only && (r = llmspell__sq_exec(kv, "PRAGMA journal_mode=WAL")) != LLMSPELL_OK) goto fail;
    if ((r = llmspell__sq_exec(kv, sync_mode[o.durability])) != LLMSPELL_OK) goto fail;
    if (!o.read_only &&
        (r = llmspell__sq_exec(kv, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL, c INTEGER NOT NULL DEFAULT 0, "
                                   "u INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID")) != LLMSPELL_OK)
        goto fail;
    if (llmspell__sq_has_times(s, &has_c, &has_u) != 0) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "sqlite %s: cannot read the columns of table kv: %s", path, sqlite3_errmsg(s->db));
        goto fail;
    }
    if (!o.read_only) { /* a table from before the times: add them (old rows report 0) */
        if (!has_c && (r = llmspell__sq_exec(kv, "ALTER TABLE kv ADD COLUMN c INTEGER NOT NULL DEFAULT 0")) != LLMSPELL_OK) goto fail;
        if (!has_u && (r = llmspell__sq_exec(kv, "ALTER TABLE kv ADD COLUMN u INTEGER NOT NULL DEFAULT 0")) != LLMSPELL_OK) goto fail;
        has_c = has_u = 1;
    }
#define LLMSPELL__PREP(stmt, sql)                                                       \
    if ((rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt, NULL)) != SQLITE_OK) { \
        r = llmspell__sq_err(kv, rc, "prepare");                                        \
        goto fail;                                                                      \
    }
    LLMSPELL__PREP(get, "SELECT v FROM kv WHERE k = ?1")
    if (has_c && has_u) {
        LLMSPELL__PREP(put, "INSERT INTO kv(k, v, c, u) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(k) DO UPDATE SET v = excluded.v, "
                            "c = CASE WHEN ?5 THEN kv.c ELSE excluded.c END, u = excluded.u")
        LLMSPELL__PREP(times, "SELECT c, u FROM kv WHERE k = ?1")
    } else { /* read-only: never run */
        LLMSPELL__PREP(put, "INSERT OR REPLACE INTO kv(k, v) VALUES (?1, ?2)")
    }
    LLMSPELL__PREP(del, "DELETE FROM kv WHERE k = ?1")
    LLMSPELL__PREP(from_incl, "SELECT k, v FROM kv WHERE k >= ?1 ORDER BY k LIMIT ?2")
    LLMSPELL__PREP(from_excl, "SELECT k, v FROM kv WHERE k > ?1 ORDER BY k LIMIT ?2")
#undef LLMSPELL__PREP
    kv->name = "sqlite";
    kv->get = llmspell__sq_get;
    kv->put = llmspell__sq_put;
    kv->del = llmspell__sq_del;
    kv->cursor_open = llmspell__sq_cursor_open;
    kv->cursor_seek = llmspell__pc_seek;
    kv->cursor_next = llmspell__pc_next;
    kv->cursor_close = llmspell__pc_close;
    kv->begin = llmspell__sq_begin;
    kv->commit = llmspell__sq_commit;
    kv->rollback = llmspell__sq_rollback;
    kv->clear = llmspell__sq_clear;
    kv->sync = llmspell__sq_sync;
    kv->compact = llmspell__sq_compact;
    kv->stats = llmspell__sq_stats;
    kv->characteristics = llmspell__sq_chars;
    kv->close = llmspell__sq_close;
    kv->get_times = s->times ? llmspell__sq_get_times : NULL;
    kv->read_snapshot = llmspell__sq_snapshot;
    kv->open = 1;
    return LLMSPELL_OK;
fail:
    llmspell__sq_free(kv);
    llmspell__kv_reset(kv, NULL);
    return r;
}
#endif /* LLMSPELL_KV_SQLITE */

/* >>postgres backend (opt-in) ----------------------------------------------------------------
   table llmspell_kv(k bytea PRIMARY KEY, v bytea NOT NULL, c bigint NOT NULL DEFAULT 0, u bigint
   NOT NULL DEFAULT 0) in the connection's current schema (search_path: one store per schema).
   bytea compares as memcmp does, so the primary key's order is the store's. Prepared
   statements with binary parameters and results; cursors read pages by key range like SQLite's
   (>>paged cursors). A transaction is BEGIN ... COMMIT on the one connection, holding an
   advisory lock on the table so that writers take turns across processes as they do inside
   one; its puts go out in libpq's pipeline mode without waiting for their results, so a batch
   of puts costs one round trip at commit (a put's failure then fails the commit, and the
   transaction rolls back whole). Reads and deletes inside a transaction send what is queued,
   then wait.
   A lost connection fails the call (and the open transaction, which the server rolls back);
   the next call outside a transaction reconnects and prepares the statements again. */
#ifdef LLMSPELL_KV_POSTGRES

typedef struct llmspell__pq {
    PGconn *conn;
    PGresult *res;    /* the last read's result: the value it returned points into it */
    char label[160];  /* "postgres DB on HOST:PORT", for messages */
    int read_only;
    int in_pipe;      /* a transaction is open: pipeline mode */
    int in_snap;      /* a read snapshot's read-only transaction is open */
    int pending;      /* queued statements whose results are not read yet */
    int broken;       /* the connection was lost: reconnect at the next call outside a transaction */
    int fast;         /* synchronous_commit off (durability BALANCED or FAST) */
    uint64_t writes;  /* bumped by every change, so cursors drop rows they read ahead */
} llmspell__pq;

#define LLMSPELL__PQ(kv) ((llmspell__pq *)(kv)->ctx)

/* bigint in PostgreSQL's binary form: network byte order */
static int64_t llmspell__pq_get64(const char *p) {
    uint64_t u = 0;
    int i;
    int64_t x;
    for (i = 0; i < 8; i++) u = u << 8 | (uint8_t)p[i];
    memcpy(&x, &u, 8);
    return x;
}
static void llmspell__pq_put64(uint8_t *p, int64_t x) {
    uint64_t u;
    int i;
    memcpy(&u, &x, 8);
    for (i = 7; i >= 0; i--, u >>= 8) p[i] = (uint8_t)u;
}

static const char *const llmspell__pq_sql[][2] = {
    {"llmspell_get", "SELECT v FROM llmspell_kv WHERE k = $1"},
    {"llmspell_times", "SELECT c, u FROM llmspell_kv WHERE k = $1"},
    {"llmspell_put", "INSERT INTO llmspell_kv AS t (k, v, c, u) VALUES ($1, $2, $3, $4) ON CONFLICT (k) DO UPDATE SET "
                     "v = EXCLUDED.v, c = CASE WHEN $5 THEN t.c ELSE EXCLUDED.c END, u = EXCLUDED.u"},
    {"llmspell_del", "DELETE FROM llmspell_kv WHERE k = $1"},
    {"llmspell_from_incl", "SELECT k, v FROM llmspell_kv WHERE k >= $1 ORDER BY k LIMIT $2::int4"},
    {"llmspell_from_excl", "SELECT k, v FROM llmspell_kv WHERE k > $1 ORDER BY k LIMIT $2::int4"},
};
enum { LLMSPELL__PQ_GET, LLMSPELL__PQ_TIMES, LLMSPELL__PQ_PUT, LLMSPELL__PQ_DEL, LLMSPELL__PQ_FROM_INCL, LLMSPELL__PQ_FROM_EXCL };

/* The family's code for a failed statement, from its SQLSTATE (or the connection's state). */
static llmspell_result llmspell__pq_code(PGconn *conn, const PGresult *res) {
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(conn) == CONNECTION_BAD || !st) return LLMSPELL_ERR_IO;
    if (!strcmp(st, "40001") || !strcmp(st, "40P01") || !strcmp(st, "55P03")) return LLMSPELL_ERR_BUSY;
    if (!strcmp(st, "25006") || !strcmp(st, "42501")) return LLMSPELL_ERR_READONLY;
    if (!strncmp(st, "54", 2)) return LLMSPELL_ERR_TOO_LARGE;
    if (!strncmp(st, "23", 2)) return LLMSPELL_ERR_CONFLICT; /* a constraint: unique, check, foreign key */
    if (!strncmp(st, "22", 2)) return LLMSPELL_ERR_INVALID;
    return LLMSPELL_ERR_IO; /* 08 connection, 53 resources, 57 operator, 58 system, ... */
}

/* Records the failure of `what` (res may be NULL: the connection's message). */
static llmspell_result llmspell__pq_fail(llmspell_kv *kv, const PGresult *res, const char *what) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    const char *msg = res && PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) : PQerrorMessage(s->conn);
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n = strlen(msg);
    int lost = PQstatus(s->conn) == CONNECTION_BAD || (st && (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))); /* 57P: shut down */
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) n--;
    if (lost) s->broken = 1;
    return llmspell_kv_set_error(kv, llmspell__pq_code(s->conn, res), "%s: %s: %s%.*s", s->label, what, lost ? "connection lost: " : "",
                                 (int)n, msg);
}

static void llmspell__pq_clear(llmspell__pq *s) {
    if (s->res) PQclear(s->res);
    s->res = NULL;
}

/* Runs a statement that takes no parameters and returns no rows, outside pipeline mode. */
static llmspell_result llmspell__pq_exec(llmspell_kv *kv, const char *sql, const char *what) {
    PGresult *res = PQexec(LLMSPELL__PQ(kv)->conn, sql);
    llmspell_result r = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK ? LLMSPELL_OK
                                                                                                         : llmspell__pq_fail(kv, res, what);
    PQclear(res);
    return r;
}

static llmspell_result llmspell__pq_prepare(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    size_t i;
    for (i = 0; i < sizeof llmspell__pq_sql / sizeof llmspell__pq_sql[0]; i++) {
        PGresult *res = PQprepare(s->conn, llmspell__pq_sql[i][0], llmspell__pq_sql[i][1], 0, NULL);
        llmspell_result r = PQresultStatus(res) == PGRES_COMMAND_OK ? LLMSPELL_OK : llmspell__pq_fail(kv, res, "prepare");
        PQclear(res);
        if (r != LLMSPELL_OK) return r;
    }
    return s->fast ? llmspell__pq_exec(kv, "SET synchronous_commit = off", "set durability") : LLMSPELL_OK;
}

/* Before a call: a connection lost outside a transaction is made again (a lost transaction
   stays failed until its rollback, which the server has done). */
static llmspell_result llmspell__pq_live(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    if (!s->broken && PQstatus(s->conn) == CONNECTION_OK) return LLMSPELL_OK;
    if (s->in_pipe || s->in_snap) {
        s->broken = 1;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_IO, "%s: connection lost in a %s", s->label,
                                     s->in_pipe ? "transaction (the server rolled it back)" : "read snapshot");
    }
    PQreset(s->conn);
    if (PQstatus(s->conn) != CONNECTION_OK) return llmspell__pq_fail(kv, NULL, "reconnect");
    s->broken = 0;
    s->writes++; /* other writers may have changed anything meanwhile */
    return llmspell__pq_prepare(kv);
}

/* Sends what a transaction has queued and reads every result up to the sync. The first failure
   is returned; *last, if given, receives the last statement's result (the caller clears it). */
static llmspell_result llmspell__pq_sync(llmspell_kv *kv, PGresult **last, const char *what) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r = LLMSPELL_OK;
    PGresult *res;
    if (last) *last = NULL;
    if (PQpipelineSync(s->conn) != 1) return llmspell__pq_fail(kv, NULL, what);
    for (;;) {
        res = PQgetResult(s->conn);
        if (!res) {
            if (PQstatus(s->conn) == CONNECTION_BAD) return r != LLMSPELL_OK ? r : llmspell__pq_fail(kv, NULL, what);
            continue; /* the end of one statement's results */
        }
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (r == LLMSPELL_OK && PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK &&
            PQresultStatus(res) != PGRES_PIPELINE_ABORTED)
            r = llmspell__pq_fail(kv, res, what);
        if (last) {
            if (*last) PQclear(*last);
            *last = res;
        } else {
            PQclear(res);
        }
    }
    s->pending = 0;
    if (r != LLMSPELL_OK && last && *last) {
        PQclear(*last);
        *last = NULL;
    }
    return r;
}

/* Runs prepared statement `stmt` with binary parameters and waits for its result (in a
   transaction, after what was queued before it). */
static llmspell_result llmspell__pq_call(llmspell_kv *kv, int stmt, int n, const char *const *vals, const int *lens, PGresult **out,
                                         const char *what) {
    static const int binary[5] = {1, 1, 1, 1, 1};
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    ExecStatusType want;
    *out = NULL;
    if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
    if (s->in_pipe) {
        if (PQsendQueryPrepared(s->conn, llmspell__pq_sql[stmt][0], n, vals, lens, binary, 1) != 1) return llmspell__pq_fail(kv, NULL, what);
        return llmspell__pq_sync(kv, out, what);
    }
    want = stmt == LLMSPELL__PQ_PUT || stmt == LLMSPELL__PQ_DEL ? PGRES_COMMAND_OK : PGRES_TUPLES_OK;
    *out = PQexecPrepared(s->conn, llmspell__pq_sql[stmt][0], n, vals, lens, binary, 1);
    if (PQresultStatus(*out) != want && PQstatus(s->conn) == CONNECTION_BAD && want == PGRES_TUPLES_OK) {
        /* the server went away since the last call (a restart, an idle timeout): a read is
           safe to send again; a write is not (it may have been done), so it fails */
        PQclear(*out);
        s->broken = 1;
        if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
        *out = PQexecPrepared(s->conn, llmspell__pq_sql[stmt][0], n, vals, lens, binary, 1);
    }
    if (PQresultStatus(*out) == want) return LLMSPELL_OK;
    r = llmspell__pq_fail(kv, *out, what);
    PQclear(*out);
    *out = NULL;
    return r;
}

static llmspell_result llmspell__pq_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    const char *vals[1];
    int lens[1];
    llmspell_result r;
    vals[0] = (const char *)k;
    lens[0] = (int)kn;
    llmspell__pq_clear(s);
    if ((r = llmspell__pq_call(kv, LLMSPELL__PQ_GET, 1, vals, lens, &s->res, "get")) != LLMSPELL_OK) return r;
    if (PQntuples(s->res) == 0) return LLMSPELL_ERR_NOT_FOUND;
    *v = PQgetvalue(s->res, 0, 0);
    *vn = (size_t)PQgetlength(s->res, 0, 0);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__pq_get_times(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    const char *vals[1];
    int lens[1];
    PGresult *res;
    llmspell_result r;
    vals[0] = (const char *)k;
    lens[0] = (int)kn;
    if ((r = llmspell__pq_call(kv, LLMSPELL__PQ_TIMES, 1, vals, lens, &res, "get times")) != LLMSPELL_OK) return r;
    if (PQntuples(res) == 0) {
        r = LLMSPELL_ERR_NOT_FOUND;
    } else if (PQgetlength(res, 0, 0) != 8 || PQgetlength(res, 0, 1) != 8) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_CORRUPT, "%s: get times: the times are not bigint", LLMSPELL__PQ(kv)->label);
    } else { /* network order */
        t->created = llmspell__pq_get64(PQgetvalue(res, 0, 0));
        t->updated = llmspell__pq_get64(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return r;
}

static llmspell_result llmspell__pq_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
    static const int binary[5] = {1, 1, 1, 1, 1};
    llmspell__pq *s = LLMSPELL__PQ(kv);
    const llmspell_kv_times *t = kv->put_times;
    uint8_t c[8], u[8], keep = t && t->created == LLMSPELL_TIME_MIN; /* keep the row's created (a new row takes updated) */
    const char *vals[5];
    int lens[5] = {(int)kn, (int)vn, 8, 8, 1};
    PGresult *res;
    llmspell_result r;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "%s: opened read-only", s->label);
    llmspell__pq_put64(c, t ? (keep ? t->updated : t->created) : 0);
    llmspell__pq_put64(u, t ? t->updated : 0);
    vals[0] = (const char *)k;
    vals[1] = vn ? (const char *)v : "";
    vals[2] = (const char *)c;
    vals[3] = (const char *)u;
    vals[4] = (const char *)&keep;
    s->writes++;
    if (s->in_pipe) { /* queued: its result is read at the next sync */
        if (s->broken) return llmspell__pq_live(kv);
        if (PQsendQueryPrepared(s->conn, llmspell__pq_sql[LLMSPELL__PQ_PUT][0], 5, vals, lens, binary, 1) != 1)
            return llmspell__pq_fail(kv, NULL, "put");
        if (++s->pending % 64 == 0 && PQconsumeInput(s->conn) != 1) return llmspell__pq_fail(kv, NULL, "put"); /* results never back up */
        return LLMSPELL_OK;
    }
    r = llmspell__pq_call(kv, LLMSPELL__PQ_PUT, 5, vals, lens, &res, "put");
    if (res) PQclear(res);
    return r;
}

static llmspell_result llmspell__pq_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    const char *vals[1];
    int lens[1];
    PGresult *res;
    llmspell_result r;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "%s: opened read-only", s->label);
    vals[0] = (const char *)k;
    lens[0] = (int)kn;
    s->writes++;
    if ((r = llmspell__pq_call(kv, LLMSPELL__PQ_DEL, 1, vals, lens, &res, "delete")) != LLMSPELL_OK) return r;
    r = strcmp(PQcmdTuples(res), "0") == 0 ? LLMSPELL_ERR_NOT_FOUND : LLMSPELL_OK;
    PQclear(res);
    return r;
}

/* Reads the page after (or from) the cursor's key. */
static llmspell_result llmspell__pq_fill(llmspell__pcursor *c) {
    llmspell_kv *kv = c->base.kv;
    const char *vals[2];
    int lens[2], i, n;
    uint8_t limit[4]; /* int4 in network order */
    PGresult *res;
    llmspell_result r;
    llmspell__pc_restart(c);
    limit[0] = (uint8_t)(c->page >> 24);
    limit[1] = (uint8_t)(c->page >> 16);
    limit[2] = (uint8_t)(c->page >> 8);
    limit[3] = (uint8_t)c->page;
    vals[0] = c->lastn ? (const char *)c->last : "";
    lens[0] = (int)c->lastn;
    vals[1] = (const char *)limit;
    lens[1] = 4;
    if ((r = llmspell__pq_call(kv, c->excl ? LLMSPELL__PQ_FROM_EXCL : LLMSPELL__PQ_FROM_INCL, 2, vals, lens, &res, "scan")) != LLMSPELL_OK) return r;
    n = PQntuples(res);
    for (i = 0; i < n && r == LLMSPELL_OK; i++)
        r = llmspell__pc_add(c, PQgetvalue(res, i, 0), (size_t)PQgetlength(res, i, 0), PQgetvalue(res, i, 1), (size_t)PQgetlength(res, i, 1));
    PQclear(res);
    return r;
}

static llmspell_result llmspell__pq_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur) {
    return llmspell__pc_open(kv, cur, llmspell__pq_fill, &LLMSPELL__PQ(kv)->writes, LLMSPELL__PQ(kv)->label);
}

static llmspell_result llmspell__pq_begin(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "%s: opened read-only", s->label);
    if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
    llmspell__pq_clear(s);
    if (PQenterPipelineMode(s->conn) != 1) return llmspell__pq_fail(kv, NULL, "begin");
    s->in_pipe = 1;
    /* one writer at a time, as on every backend: other processes' transactions on this table
       wait here until this one ends, so what it reads after begin stays what it read */
    if (PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
        PQsendQueryParams(s->conn, "SELECT pg_advisory_xact_lock('llmspell_kv'::regclass::oid::bigint)", 0, NULL, NULL, NULL, NULL, 0) != 1)
        return llmspell__pq_fail(kv, NULL, "begin");
    s->pending = 2; /* they travel with the transaction's first statements */
    return LLMSPELL_OK;
}

/* A read snapshot: the reads until its end run in one REPEATABLE READ transaction, so they see
   one state of the table however other processes commit meanwhile (a graph or a collection
   loading again after another process wrote it relies on that). Inside this handle's own
   transaction its reads already see one state. */
static llmspell_result llmspell__pq_snapshot(llmspell_kv *kv, int begin) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    llmspell__pq_clear(s);
    if (!begin) {
        if (s->in_snap && !s->broken && PQstatus(s->conn) == CONNECTION_OK) (void)llmspell__pq_exec(kv, "COMMIT", "end a read snapshot");
        s->in_snap = 0;
        return LLMSPELL_OK;
    }
    if (s->in_pipe) return LLMSPELL_OK;
    if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
    if ((r = llmspell__pq_exec(kv, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin a read snapshot")) != LLMSPELL_OK) return r;
    s->in_snap = 1;
    return LLMSPELL_OK;
}

/* Leaves pipeline mode after the transaction ended (or the connection was lost). */
static void llmspell__pq_end(llmspell__pq *s) {
    if (PQstatus(s->conn) == CONNECTION_OK) (void)PQexitPipelineMode(s->conn);
    else s->broken = 1;
    s->in_pipe = 0;
    s->pending = 0;
    s->writes++;
}

static llmspell_result llmspell__pq_rollback(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell__pq_clear(s);
    if (!s->in_pipe) return LLMSPELL_OK;
    if (!s->broken && PQstatus(s->conn) == CONNECTION_OK &&
        PQsendQueryParams(s->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) == 1)
        (void)llmspell__pq_sync(kv, NULL, "rollback"); /* a failure here leaves nothing committed either */
    llmspell__pq_end(s);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__pq_commit(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    llmspell__pq_clear(s);
    if (s->broken || PQstatus(s->conn) != CONNECTION_OK) {
        r = llmspell__pq_live(kv);
    } else if (PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1) {
        r = llmspell__pq_fail(kv, NULL, "commit");
    } else {
        r = llmspell__pq_sync(kv, NULL, "commit");
    }
    if (r != LLMSPELL_OK) { /* a statement failed: the server skipped the rest and holds the transaction aborted */
        char msg[sizeof kv->errmsg];
        snprintf(msg, sizeof msg, "%s", llmspell_kv_errmsg(kv));
        (void)llmspell__pq_rollback(kv);
        llmspell_kv_set_error(kv, r, "%s", msg);
        return r;
    }
    llmspell__pq_end(s);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__pq_clear_all(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "%s: opened read-only", s->label);
    if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
    s->writes++;
    if (!s->in_pipe) return llmspell__pq_exec(kv, "DELETE FROM llmspell_kv", "clear");
    if (PQsendQueryParams(s->conn, "DELETE FROM llmspell_kv", 0, NULL, NULL, NULL, NULL, 0) != 1) return llmspell__pq_fail(kv, NULL, "clear");
    return llmspell__pq_sync(kv, NULL, "clear");
}

static llmspell_result llmspell__pq_compact(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell_result r;
    if (s->read_only) return llmspell_kv_set_error(kv, LLMSPELL_ERR_READONLY, "%s: opened read-only", s->label);
    if ((r = llmspell__pq_live(kv)) != LLMSPELL_OK) return r;
    if (s->in_pipe || s->in_snap) return LLMSPELL_OK; /* VACUUM cannot run in a transaction; the server vacuums by itself too */
    return llmspell__pq_exec(kv, "VACUUM llmspell_kv", "compact");
}

/* One bigint from a query without parameters (0 when it fails: stats are advisory). */
static int64_t llmspell__pq_int(llmspell_kv *kv, const char *sql) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    PGresult *res;
    int64_t v = 0;
    if (s->in_pipe) {
        if (PQsendQueryParams(s->conn, sql, 0, NULL, NULL, NULL, NULL, 0) != 1 || llmspell__pq_sync(kv, &res, "stats") != LLMSPELL_OK) return 0;
    } else {
        res = PQexec(s->conn, sql);
    }
    if (res && PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (res) PQclear(res);
    return v;
}

static llmspell_result llmspell__pq_stats(llmspell_kv *kv, llmspell_kv_stats *st) {
    llmspell_result r = llmspell__pq_live(kv);
    if (r != LLMSPELL_OK) return r;
    st->keys = (uint64_t)llmspell__pq_int(kv, "SELECT count(*) FROM llmspell_kv");
    st->bytes = (uint64_t)llmspell__pq_int(kv, "SELECT coalesce(sum(octet_length(k) + octet_length(v)), 0) FROM llmspell_kv");
    st->file_size = (uint64_t)llmspell__pq_int(kv, "SELECT pg_total_relation_size('llmspell_kv')");
    st->dead_bytes = 0; /* not known exactly: the server's statistics of dead rows are estimates */
    return LLMSPELL_OK;
}

static void llmspell__pq_chars(llmspell_kv *kv, llmspell_kv_characteristics *c) {
    c->persistent = 1;
    c->transactional = 1;
    c->supports_prefix_scan = 1;
    c->supports_atomic_ops = 1;
    c->shared = 1;
    c->read_latency_ns = 80000; /* make bench (bench_kv_pg), a server on the same VM's unix socket: a get ~80 us, */
    c->write_latency_ns = LLMSPELL__PQ(kv)->fast ? 110000 : 250000; /* an autocommitted put ~250 us (SAFE), ~110 us (FAST) */
}

static void llmspell__pq_free(llmspell_kv *kv) {
    llmspell__pq *s = LLMSPELL__PQ(kv);
    llmspell__pq_clear(s);
    if (s->conn) PQfinish(s->conn);
    llmspell__free(&kv->allocator, s);
}

static void llmspell__pq_close(llmspell_kv *kv) {
    (void)llmspell__pq_rollback(kv);
    llmspell__pq_free(kv);
}

LLMSPELL_DEF llmspell_result llmspell_kv_open_postgres(llmspell_kv *kv, const char *conninfo, const llmspell_kv_options *opts) {
    llmspell__pq *s;
    llmspell_kv_options o;
    llmspell_result r;
    PGresult *res;
    int exists;
    if (!kv) return LLMSPELL_ERR_INVALID;
    kv->errmsg[0] = 0;
    llmspell__kv_reset(kv, opts);
    if (!conninfo) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "postgres: conninfo is NULL");
    if ((r = llmspell__check_opts(kv, opts)) != LLMSPELL_OK) { llmspell__kv_reset(kv, NULL); return r; }
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    s = (llmspell__pq *)llmspell__alloc(&kv->allocator, sizeof *s);
    if (!s) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "postgres: out of memory");
    memset(s, 0, sizeof *s);
    kv->ctx = s;
    s->read_only = o.read_only;
    s->fast = o.durability != LLMSPELL_DURABILITY_SAFE;
    s->conn = PQconnectdb(conninfo);
    if (!s->conn) { r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "postgres: out of memory connecting"); goto fail; }
    snprintf(s->label, sizeof s->label, "postgres %s on %s:%s", PQdb(s->conn) ? PQdb(s->conn) : "?",
             PQhost(s->conn) && PQhost(s->conn)[0] ? PQhost(s->conn) : "localhost", PQport(s->conn) ? PQport(s->conn) : "?");
    if (PQstatus(s->conn) != CONNECTION_OK) { r = llmspell__pq_fail(kv, NULL, "connect"); goto fail; }
    res = PQexec(s->conn, "SELECT to_regclass('llmspell_kv') IS NOT NULL");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) { r = llmspell__pq_fail(kv, res, "open"); PQclear(res); goto fail; }
    exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    if (!exists && (o.no_create || o.read_only)) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOT_FOUND, "%s: table llmspell_kv does not exist", s->label);
        goto fail;
    }
    if (!exists) { /* two processes may create it at once: the loser sees it exist */
        res = PQexec(s->conn, "CREATE TABLE IF NOT EXISTS llmspell_kv (k bytea PRIMARY KEY, v bytea NOT NULL, "
                              "c bigint NOT NULL DEFAULT 0, u bigint NOT NULL DEFAULT 0)");
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            if (!st || (strcmp(st, "23505") != 0 && strcmp(st, "42P07") != 0)) { r = llmspell__pq_fail(kv, res, "create table"); PQclear(res); goto fail; }
        }
        PQclear(res);
    }
    if ((r = llmspell__pq_prepare(kv)) != LLMSPELL_OK) goto fail;
    kv->name = "postgres";
    kv->get = llmspell__pq_get;
    kv->put = llmspell__pq_put;
    kv->del = llmspell__pq_del;
    kv->cursor_open = llmspell__pq_cursor_open;
    kv->cursor_seek = llmspell__pc_seek;
    kv->cursor_next = llmspell__pc_next;
    kv->cursor_close = llmspell__pc_close;
    kv->begin = llmspell__pq_begin;
    kv->commit = llmspell__pq_commit;
    kv->rollback = llmspell__pq_rollback;
    kv->clear = llmspell__pq_clear_all;
    kv->compact = llmspell__pq_compact;
    kv->stats = llmspell__pq_stats;
    kv->characteristics = llmspell__pq_chars;
    kv->close = llmspell__pq_close;
    kv->get_times = llmspell__pq_get_times;
    kv->read_snapshot = llmspell__pq_snapshot;
    kv->open = 1;
    return LLMSPELL_OK;
fail:
    llmspell__pq_free(kv);
    llmspell__kv_reset(kv, NULL);
    return r;
}
#endif /* LLMSPELL_KV_POSTGRES */


/* >>public operations: argument checks, transaction rules and error bookkeeping, then the
   backend's function pointer. */

#define LLMSPELL__CHECK_OPEN(kv)                                                          \
    do {                                                                                  \
        if (!(kv)) return LLMSPELL_ERR_INVALID;                                           \
        if (!(kv)->open) return llmspell_kv_set_error(kv, LLMSPELL_ERR_CLOSED, "handle is closed"); \
    } while (0)

/* user: a user key (at most LLMSPELL_KV_MAX_KEY, no 0xFF start); otherwise a system key,
   which may be longer (views prepend their tenant) up to the stored limit of 65535. */
static llmspell_result llmspell__check_key(llmspell_kv *kv, const void *key, size_t klen, int user) {
    size_t limit;
    if (!key) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: key is NULL", kv->name);
    if (klen == 0) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: key is empty", kv->name);
    limit = user || ((const uint8_t *)key)[0] != 0xFF ? LLMSPELL_KV_MAX_KEY : LLMSPELL__SYS_MAX_KEY;
    if (klen > limit)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "%s: key of %zu bytes is over the %zu-byte limit", kv->name,
                                     klen, limit);
    if (user && ((const uint8_t *)key)[0] == 0xFF)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_RESERVED, "%s: keys starting with 0xFF are reserved (use the _sys functions)",
                                     kv->name);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__check_val(llmspell_kv *kv, const void *val, size_t vlen) {
    if (!val && vlen) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: value is NULL", kv->name);
    if (vlen > LLMSPELL_KV_MAX_VALUE)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "%s: value of %zu bytes is over the %u-byte limit", kv->name,
                                     vlen, (unsigned)LLMSPELL_KV_MAX_VALUE);
    return LLMSPELL_OK;
}

/* A store's views (and views of views) share its transaction: the family finds the store under
   a handle by walking from view to parent. A handle of the family's own kinds only: a view on
   a user's wrapper of another handle stops at the wrapper. */
static llmspell_result llmspell__view_begin(llmspell_kv *kv);
static llmspell_kv *llmspell__parent_of(llmspell_kv *kv);

static llmspell_kv *llmspell__store(llmspell_kv *kv) {
    llmspell_kv *p;
    while ((p = llmspell__parent_of(kv)) != NULL) kv = p;
    return kv;
}

/* >>threads: the store's lock around every public call (see "Threads" at the top). The lock
   and the per-thread slots live in kv->threads, made on the handle's first call (so a user's
   backend gets them too) and freed by close. A thread's depth on its store's slot counts the
   family's calls it is inside: only the outermost takes the lock, so views, vec and graph can
   call back into kv; an open transaction holds one level of its thread's depth until it ends. */
#ifndef LLMSPELL_NO_THREADS
typedef struct llmspell__kvsync {
    llmspell__tslots slots;          /* this handle's per-thread state (first: a slot's home) */
    llmspell__rw rw;                 /* the store's lock (a view's is unused: it takes its store's) */
    llmspell__mutex writers;         /* writers take turns here before they take rw */
    llmspell__atomic_ptr txn_owner;  /* the store slot of the thread whose transaction is open */
    llmspell__ixstore staged;        /* the owner's staged writes (see >>staging; owner only) */
    llmspell__ixstore spilled;       /* a stage already applied, kept to the transaction's end */
} llmspell__kvsync;

/* How a thread's outermost call holds the store (tslot.mode). */
#define LLMSPELL__M_WRITE 1   /* a write: the thread may write under this level */
#define LLMSPELL__M_EXCL 2    /* rw is held exclusively (else shared) */
#define LLMSPELL__M_WRITERS 4 /* the writers' mutex is held */
#define LLMSPELL__M_STAGED 8  /* the thread's transaction is staged (see >>staging) */
#define LLMSPELL__STAGED(held) ((held) && ((held)->mode & LLMSPELL__M_STAGED))

static llmspell__kvsync *llmspell__sync_make(llmspell_kv *kv);
static llmspell__kvsync *llmspell__sync_of(llmspell_kv *kv) { /* small: inlined on every call */
    llmspell__kvsync *y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    return y ? y : llmspell__sync_make(kv);
}
static llmspell__kvsync *llmspell__sync_make(llmspell_kv *kv) {
    llmspell__atomic_ptr *at = (llmspell__atomic_ptr *)&kv->threads;
    llmspell__kvsync *y;
    if (!(y = (llmspell__kvsync *)llmspell__alloc(&kv->allocator, sizeof *y))) return NULL;
    memset(y, 0, sizeof *y);
    if (llmspell__rw_init(&y->rw) != 0) {
        llmspell__free(&kv->allocator, y);
        return NULL;
    }
    if (llmspell__mutex_init(&y->writers) != 0) {
        llmspell__rw_destroy(&y->rw);
        llmspell__free(&kv->allocator, y);
        return NULL;
    }
    if (!llmspell__acas_ptr(at, NULL, y)) { /* another thread's first call won */
        llmspell__mutex_destroy(&y->writers);
        llmspell__rw_destroy(&y->rw);
        llmspell__free(&kv->allocator, y);
        y = (llmspell__kvsync *)llmspell__aload_ptr(at);
    }
    return y;
}

/* The calling thread's slot on kv (NULL: no memory). */
static llmspell__tslot *llmspell__slot_of(llmspell_kv *kv) {
    llmspell__kvsync *y = llmspell__sync_of(kv);
    return y ? llmspell__tslot_get(&y->slots, &kv->allocator) : NULL;
}

static void llmspell__sync_free(llmspell_kv *kv) {
    llmspell__kvsync *y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    llmspell__tslot *t;
    if (!y) return;
    if ((t = llmspell__tslot_find(&y->slots)) != NULL) {
        memcpy(kv->errmsg, t->errmsg, sizeof kv->errmsg);
        if (t->depth && (t->mode & LLMSPELL__M_WRITERS)) llmspell__mutex_unlock(&y->writers); /* closed in a transaction */
    }
    llmspell__tslots_free(&y->slots, &kv->allocator, kv);
    if (y->staged.ix.root) llmspell__ixs_free(&y->staged); /* closed inside a transaction */
    if (y->spilled.ix.root) llmspell__ixs_free(&y->spilled);
    llmspell__mutex_destroy(&y->writers);
    llmspell__rw_destroy(&y->rw);
    llmspell__free(&kv->allocator, y);
    kv->threads = NULL;
}
#else
#define LLMSPELL__STAGED(held) 0
#endif

/* Where the calling thread's message on kv goes. */
static char *llmspell__errbuf(llmspell_kv *kv) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__tslot *t;
    if (kv->open && (t = llmspell__slot_of(kv)) != NULL) return t->errmsg;
#endif
    return kv->errmsg;
}

/* Takes the store's lock for a call on kv: shared to read, exclusive to write (or to read a
   backend without concurrent_reads). *held is the thread's store slot to pass to unlock (NULL
   when there is no lock). A write while the thread holds a read snapshot is ERR_BUSY. */
static llmspell_result llmspell__lock(llmspell_kv *kv, int write, llmspell__tslot **held) {
#ifdef LLMSPELL_NO_THREADS
    (void)kv;
    (void)write;
    *held = NULL;
    return LLMSPELL_OK;
#else
    llmspell_kv *s = llmspell__store(kv);
    llmspell__kvsync *y = llmspell__sync_of(s);
    llmspell__tslot *t = y ? llmspell__tslot_get(&y->slots, &s->allocator) : NULL;
    *held = NULL;
    if (!t) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory for this thread's state", kv->name);
    if (t->depth == 0) {
        if (write) {
            t->mode = LLMSPELL__M_WRITE | LLMSPELL__M_EXCL | LLMSPELL__M_WRITERS;
            llmspell__mutex_lock(&y->writers);
            llmspell__rw_write_lock(&y->rw);
        } else {
            t->mode = 0;
            llmspell__rw_read_lock(&y->rw, t->stripe);
            if (!s->concurrent_reads) { /* read under the shared lock: it changes only in a write */
                llmspell__rw_read_unlock(&y->rw, t->stripe);
                llmspell__rw_write_lock(&y->rw);
                t->mode = LLMSPELL__M_EXCL;
            }
        }
    } else if (write && !(t->mode & LLMSPELL__M_WRITE)) {
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_BUSY, "%s: this thread holds a read snapshot of the store; end it before writing",
                                     kv->name);
    }
    t->depth++;
    *held = t;
    return LLMSPELL_OK;
#endif
}

/* Ends a call begun with llmspell__lock. A write call that opened the store's transaction
   leaves one level of the lock to it; the call that ended it takes that level back. */
static void llmspell__unlock(llmspell_kv *kv, llmspell__tslot *t) {
#ifdef LLMSPELL_NO_THREADS
    (void)kv;
    (void)t;
#else
    llmspell__kvsync *y;
    if (!t) return;
    y = (llmspell__kvsync *)(void *)t->home;
    if (t->mode & LLMSPELL__M_WRITE) {
        llmspell_kv *s = llmspell__store(kv);
        llmspell__tslot *owner = (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner);
        if (s->in_txn && !owner) {
            (void)llmspell__acas_ptr(&y->txn_owner, NULL, t);
            t->depth++;
        } else if (!s->in_txn && owner == t) {
            (void)llmspell__acas_ptr(&y->txn_owner, t, NULL);
            t->depth--;
        }
    }
    if (--t->depth == 0) {
        if (t->mode & LLMSPELL__M_EXCL) llmspell__rw_write_unlock(&y->rw);
        else llmspell__rw_read_unlock(&y->rw, t->stripe);
        if (t->mode & LLMSPELL__M_WRITERS) llmspell__mutex_unlock(&y->writers);
    }
#endif
}

/* Whether a read returning pointers must copy them for the caller: only the outermost call of
   a thread, outside its snapshots and transaction, whose pointers another thread's write could
   invalidate as soon as the lock is released. */
static int llmspell__must_copy(const llmspell__tslot *held) {
#ifdef LLMSPELL_NO_THREADS
    (void)held;
    return 0;
#else
    return held && held->depth == 1;
#endif
}

/* A buffer of at least n bytes that belongs to the calling thread on kv: what a read returns
   is copied there. NULL: no memory (the message is set). */
#ifndef LLMSPELL_NO_THREADS
static uint8_t *llmspell__out(llmspell_kv *kv, size_t n) {
    llmspell__tslot *t = llmspell__slot_of(kv);
    if (!t || llmspell__reserve(&kv->allocator, &t->buf, &t->cap, n ? n : 1) != LLMSPELL_OK) {
        llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory copying a %zu-byte result", kv->name, n);
        return NULL;
    }
    return (uint8_t *)t->buf;
}
#endif

/* Tells a backend that keeps read snapshots (read_snapshot) when the store's outermost one
   begins and ends. It runs alone: without concurrent_reads a snapshot holds the store's lock
   exclusively, and so does every other call. */
static llmspell_result llmspell__snapshot(llmspell_kv *kv, int begin) {
    llmspell_kv *s = llmspell__store(kv);
    llmspell_result r;
    if (s->concurrent_reads) return LLMSPELL_OK;
    if (!begin) {
        if (s->snapshots > 0 && --s->snapshots == 0 && s->read_snapshot) (void)s->read_snapshot(s, 0);
        return LLMSPELL_OK;
    }
    if (s->snapshots == 0 && s->read_snapshot && (r = s->read_snapshot(s, 1)) != LLMSPELL_OK) {
        if (s != kv) llmspell_kv_set_error(kv, r, "%s", llmspell_kv_errmsg(s));
        return r;
    }
    s->snapshots++;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_read_begin(llmspell_kv *kv) {
    llmspell__tslot *t;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__lock(kv, 0, &t)) != LLMSPELL_OK) return r;
    if ((r = llmspell__snapshot(kv, 1)) != LLMSPELL_OK) {
        llmspell__unlock(kv, t);
        return r;
    }
    if (t) t->snapshots++; /* the lock's level stays until read_end */
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_read_end(llmspell_kv *kv) {
#ifndef LLMSPELL_NO_THREADS
    llmspell_kv *s;
    llmspell__kvsync *y;
    llmspell__tslot *t;
    LLMSPELL__CHECK_OPEN(kv);
    s = llmspell__store(kv);
    y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&s->threads);
    t = y ? llmspell__tslot_find(&y->slots) : NULL;
    if (!t || t->snapshots == 0)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: read_end without read_begin in this thread", kv->name);
    t->snapshots--;
    (void)llmspell__snapshot(kv, 0);
    llmspell__unlock(kv, t);
#else
    LLMSPELL__CHECK_OPEN(kv);
    (void)llmspell__snapshot(kv, 0);
#endif
    return LLMSPELL_OK;
}

/* Writes inside a transaction that failed must not be committed: a failure marks every handle
   between kv and its store that is in the transaction (the store always is). */
static llmspell_result llmspell__write_done(llmspell_kv *kv, llmspell_result r) {
    llmspell_kv *h;
    if (r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND) return r;
    for (h = kv; h; h = llmspell__parent_of(h))
        if (h->in_txn) h->txn_failed = 1;
    return r;
}

static llmspell_result llmspell__writable_txn(llmspell_kv *kv) {
    llmspell_kv *s = llmspell__store(kv);
    if (s->in_txn && s->txn_failed)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: an earlier write in this transaction failed; roll it back", kv->name);
    return LLMSPELL_OK;
}

/* The time of a write: the clock's, or inside a transaction the one time read at its first
   write (so a transaction, and a batch, reads the clock once). */
static llmspell_time llmspell__write_time(llmspell_kv *kv) {
    llmspell_kv *s = llmspell__store(kv);
    if (!s->in_txn) return llmspell_time_now(&kv->clock);
    if (s->txn_time == LLMSPELL_TIME_MIN) s->txn_time = llmspell_time_now(&s->clock);
    return s->txn_time;
}

/* >>staging: transactions that readers run beside. On a store whose backend has
   concurrent_reads, begin takes the writers' mutex, holds the store alone just long enough to
   open the backend's transaction (which checks that the store can be written), then keeps one
   shared level of the store's lock: other threads go on reading the committed state while the
   transaction's writes collect in a private index (kvsync.staged) that only the owner's reads
   consult. Commit holds the store alone only while it applies them, in key order, and commits
   the backend's transaction. A transaction that needs the backend itself (an iterator, clear,
   stats, sync, a stage over LLMSPELL__STAGE_MAX bytes, llmspell_kv_txn_exclusive) first applies
   its stage there and goes on in place, holding the store alone as a transaction on any other
   backend does; the applied stage's memory stays until the transaction ends, as the owner may
   hold pointers into it. A staged entry's payload is the value and then a tag byte: V (a value,
   with the times it will have) or D (deleted). The owner holds the writers' mutex, so the
   backend cannot change under it: a staged write resolves what it needs (the created time it
   keeps, whether a delete finds its key) when it is made. A store that no second thread has
   used does not stage: nobody would read beside the transaction. */
#define LLMSPELL__STAGE_MAX ((uint64_t)16 << 20)

#ifndef LLMSPELL_NO_THREADS
/* The calling thread's staged writes when kv is a store and its transaction is staged. */
static llmspell__ixstore *llmspell__stage_of(llmspell_kv *kv) {
    llmspell__kvsync *y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    llmspell__tslot *o;
    if (!y || !(o = (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner))) return NULL;
    /* the owner's mode is read by its own thread only */
    return o == llmspell__tslot_find(&y->slots) && (o->mode & LLMSPELL__M_STAGED) ? &y->staged : NULL;
}

/* What the stage holds for key k: 'V' or 'D' (*e is the entry), or 0 for nothing. */
static int llmspell__stage_look(llmspell__ixstore *st, const uint8_t *k, size_t kn, llmspell__ent **e) {
    if (!st->ix.root || !(*e = llmspell__ix_get(&st->ix, k, kn))) return 0;
    return LLMSPELL__PAYLOAD(*e)[(*e)->vlen - 1];
}

static void llmspell__stage_drop(llmspell__kvsync *y, llmspell__tslot *t) {
    if (y->staged.ix.root && !llmspell__index_empty(&y->staged.ix)) { /* a small one is kept for the next */
        llmspell__ixs_free(&y->staged);
        memset(&y->staged, 0, sizeof y->staged);
    }
    y->staged.bytes = y->staged.timed = 0;
    t->mode &= ~LLMSPELL__M_STAGED;
}

/* Writes the stage into store kv, in key order, inside a backend transaction the caller began. */
static llmspell_result llmspell__stage_apply(llmspell_kv *kv, llmspell__ixstore *st) {
    llmspell__node *n = st->ix.root; /* NULL: nothing was written */
    int d, i;
    for (d = st->ix.depth; n && d > 1; d--) n = n->u.in.c[0];
    for (; n; n = n->next) {
        for (i = 0; i < n->n; i++) {
            llmspell__ent *e = LLMSPELL__E(&st->ix, n->u.e[i]);
            const uint8_t *p = LLMSPELL__PAYLOAD(e);
            size_t vn = e->vlen - 1;
            llmspell_kv_times t;
            llmspell_result r;
            if (p[vn] == 'D') {
                if ((r = kv->del(kv, LLMSPELL__KEY(e), e->klen)) == LLMSPELL_ERR_NOT_FOUND) r = LLMSPELL_OK;
            } else {
                llmspell__ent_times(&st->ix, e, &t);
                kv->put_times = e->refs & LLMSPELL__TIMED ? &t : NULL;
                r = kv->put(kv, LLMSPELL__KEY(e), e->klen, p, vn);
                kv->put_times = NULL;
            }
            if (r != LLMSPELL_OK) return r;
        }
    }
    return LLMSPELL_OK;
}

/* The owner's shared level on store kv becomes the store alone (the writers' mutex is held:
   nothing changed in between). */
static void llmspell__stage_excl(llmspell__kvsync *y, llmspell__tslot *t) {
    if (t->mode & LLMSPELL__M_EXCL) return;
    llmspell__rw_read_unlock(&y->rw, t->stripe);
    llmspell__rw_write_lock(&y->rw);
    t->mode |= LLMSPELL__M_EXCL;
}

/* Holds store kv alone and writes the stage into the backend's open transaction. */
static llmspell_result llmspell__stage_flush(llmspell_kv *kv, llmspell__kvsync *y, llmspell__tslot *t) {
    llmspell__stage_excl(y, t);
    return llmspell__stage_apply(kv, &y->staged);
}

/* Turns the calling thread's staged transaction on store kv into one held alone, in place in
   the backend. On failure the transaction can only be rolled back. */
static llmspell_result llmspell__stage_spill(llmspell_kv *kv) {
    llmspell__kvsync *y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    llmspell__tslot *t = (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner);
    llmspell_result r = llmspell__stage_flush(kv, y, t);
    if (r != LLMSPELL_OK) {
        kv->txn_failed = 1; /* part of the stage reached the backend */
        return r;
    }
    y->spilled = y->staged;
    memset(&y->staged, 0, sizeof y->staged);
    t->mode &= ~LLMSPELL__M_STAGED;
    return LLMSPELL_OK;
}

/* Stages a write of key k on store kv: tag 'V' with value v and kv->put_times, or 'D'. */
static llmspell_result llmspell__stage_write(llmspell_kv *kv, llmspell__ixstore *st, const uint8_t *k, size_t kn, const void *v, size_t vn,
                                             uint8_t tag) {
    llmspell_kv_times t;
    const llmspell_kv_times *tp = NULL;
    llmspell__look at;
    llmspell__h h;
    uint8_t *p;
    if (tag == 'V' && kv->put_times) {
        t = *kv->put_times;
        if (t.created == LLMSPELL_TIME_MIN) { /* keep the replaced entry's, as a backend's put does */
            llmspell__ent *e;
            llmspell_kv_times o;
            llmspell_result r = LLMSPELL_OK;
            o.created = 0;
            switch (llmspell__stage_look(st, k, kn, &e)) {
            case 'V': llmspell__ent_times(&st->ix, e, &o); break;
            case 'D': r = LLMSPELL_ERR_NOT_FOUND; break;
            default: /* the lookup also brings the entry into the cache: the commit that applies
                        this write then holds readers off for less time */
                if (kv->get_times) r = kv->get_times(kv, k, kn, &o);
            }
            if (r == LLMSPELL_ERR_NOT_FOUND) o.created = t.updated;
            else if (r != LLMSPELL_OK) return r;
            t.created = o.created;
        }
        tp = llmspell__tflags(&t) ? &t : NULL;
    }
    if (!st->ix.root && llmspell__index_init(&st->ix, &kv->allocator, 0) != LLMSPELL_OK) /* at the first write */
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory staging a write", kv->name);
    at = llmspell__ix_look(&st->ix, k, kn);
    if (!(h = llmspell__ent_new(&st->ix, k, kn, vn + 1, tp)))
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory staging a %zu-byte value", kv->name, vn);
    p = LLMSPELL__PAYLOAD(LLMSPELL__E(&st->ix, h));
    if (vn) memcpy(p, v, vn);
    p[vn] = tag;
    if (llmspell__ixs_put_at(st, h, &at) != LLMSPELL_OK) {
        llmspell__slab_free(&st->ix, h);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory staging a write", kv->name);
    }
    return st->bytes > LLMSPELL__STAGE_MAX ? llmspell__stage_spill(kv) : LLMSPELL_OK;
}

/* begin from a thread outside any call on kv's store: on a store whose backend reads
   concurrently, a staged transaction; on a view, its parent's begin (staged if the store's
   is), which the view then joins. Returns 0 when it does not apply (nothing was done). */
static int llmspell__stage_begin(llmspell_kv *kv, llmspell_result *r) {
    llmspell_kv *s = llmspell__store(kv);
    llmspell__kvsync *y;
    llmspell__tslot *t;
    if (!(y = llmspell__sync_of(s)) || !(t = llmspell__tslot_get(&y->slots, &s->allocator)) || t->depth) return 0;
    if (s != kv) {
        if ((*r = kv->begin(kv)) == LLMSPELL_OK) {
            kv->in_txn = 1;
            kv->txn_failed = 0;
            kv->txn_time = LLMSPELL_TIME_MIN;
        }
        return 1;
    }
    llmspell__mutex_lock(&y->writers);
    /* concurrent_reads is read under the writers' mutex: it changes only in a write. A store no
       other thread has used has no reader to let by: its transaction runs as on any backend. */
    if (!kv->concurrent_reads || llmspell__aload(&y->slots.count) < 2) {
        llmspell__mutex_unlock(&y->writers);
        return 0;
    }
    llmspell__rw_write_lock(&y->rw);
    if ((*r = kv->begin(kv)) != LLMSPELL_OK) {
        llmspell__rw_write_unlock(&y->rw);
        llmspell__mutex_unlock(&y->writers);
        return 1;
    }
    llmspell__rw_write_unlock(&y->rw); /* readers go on beside the transaction from here */
    llmspell__rw_read_lock(&y->rw, t->stripe);
    t->mode = LLMSPELL__M_WRITE | LLMSPELL__M_WRITERS | LLMSPELL__M_STAGED;
    t->depth = 1; /* the transaction's level, as llmspell__unlock leaves one */
    kv->in_txn = 1;
    kv->txn_failed = 0;
    kv->txn_time = LLMSPELL_TIME_MIN;
    (void)llmspell__acas_ptr(&y->txn_owner, NULL, t);
    *r = LLMSPELL_OK;
    return 1;
}
#endif

/* The backend calls of the public layer: the owner of a staged transaction goes through its
   stage first (see >>staging); everyone else straight to the backend. */
static llmspell_result llmspell__bget(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **v, size_t *vn) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__ixstore *st = llmspell__stage_of(kv);
    llmspell__ent *e;
    if (st) {
        switch (llmspell__stage_look(st, k, kn, &e)) {
        case 'V': *v = LLMSPELL__PAYLOAD(e); *vn = e->vlen - 1; return LLMSPELL_OK;
        case 'D': return LLMSPELL_ERR_NOT_FOUND;
        }
    }
#endif
    return kv->get(kv, k, kn, v, vn);
}

static llmspell_result llmspell__bput(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *v, size_t vn) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__ixstore *st = llmspell__stage_of(kv);
    if (st) return llmspell__stage_write(kv, st, k, kn, v, vn, 'V');
#endif
    return kv->put(kv, k, kn, v, vn);
}

static llmspell_result llmspell__bdel(llmspell_kv *kv, const uint8_t *k, size_t kn) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__ixstore *st = llmspell__stage_of(kv);
    if (st) {
        llmspell__ent *e;
        llmspell_kv_times t;
        const void *v;
        size_t vn;
        llmspell_result r;
        switch (llmspell__stage_look(st, k, kn, &e)) {
        case 'D': return LLMSPELL_ERR_NOT_FOUND;
        case 0: /* the key must be there: times are a cheaper test than the value where kept */
            if ((r = kv->get_times ? kv->get_times(kv, k, kn, &t) : kv->get(kv, k, kn, &v, &vn)) != LLMSPELL_OK) return r;
        }
        return llmspell__stage_write(kv, st, k, kn, NULL, 0, 'D');
    }
#endif
    return kv->del(kv, k, kn);
}

/* The times of a user key through any backend: those without get_times report 0. */
static llmspell_result llmspell__times_of(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    const void *v;
    size_t vn;
#ifndef LLMSPELL_NO_THREADS
    llmspell__ixstore *st = llmspell__stage_of(kv);
    llmspell__ent *e;
    if (st) {
        switch (llmspell__stage_look(st, k, kn, &e)) {
        case 'V': /* the times the backend will keep: none without get_times */
            if (!kv->get_times) {
                t->created = t->updated = 0;
                return LLMSPELL_OK;
            }
            llmspell__ent_times(&st->ix, e, t);
            return LLMSPELL_OK;
        case 'D': return LLMSPELL_ERR_NOT_FOUND;
        }
    }
#endif
    if (kv->get_times) return kv->get_times(kv, k, kn, t);
    t->created = t->updated = 0;
    return kv->get(kv, k, kn, &v, &vn);
}

/* The end of the store's transaction in the backend: a staged one applies its writes first. */
static llmspell_result llmspell__txn_end(llmspell_kv *kv, int commit) {
    llmspell_result r;
#ifndef LLMSPELL_NO_THREADS
    llmspell__kvsync *y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    if (llmspell__stage_of(kv)) {
        llmspell__tslot *t = (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner);
        if (!commit) {
            llmspell__stage_excl(y, t);
            r = kv->rollback(kv);
        } else if ((r = llmspell__stage_flush(kv, y, t)) == LLMSPELL_OK) {
            r = kv->commit(kv);
        } else { /* the failed write's message stays */
            char keep[sizeof kv->errmsg];
            memcpy(keep, llmspell__errbuf(kv), sizeof keep);
            (void)kv->rollback(kv);
            memcpy(llmspell__errbuf(kv), keep, sizeof keep);
        }
        llmspell__stage_drop(y, t);
    } else
#endif
        r = commit ? kv->commit(kv) : kv->rollback(kv);
#ifndef LLMSPELL_NO_THREADS
    if (y && y->spilled.ix.root) { /* the owner's pointers into it end with the transaction */
        llmspell__ixs_free(&y->spilled);
        memset(&y->spilled, 0, sizeof y->spilled);
    }
#endif
    return r;
}

/* Before a call that reads the backend directly (cursors, stats): the calling thread's staged
   transaction on kv's store goes to the backend first. */
static llmspell_result llmspell__unstage(llmspell_kv *kv, llmspell__tslot *held) {
#ifndef LLMSPELL_NO_THREADS
    if (LLMSPELL__STAGED(held) && llmspell__stage_of(kv)) return llmspell__stage_spill(kv);
#else
    (void)kv;
    (void)held;
#endif
    return LLMSPELL_OK;
}

#ifndef LLMSPELL_NO_THREADS
/* memcpy, inlined for the short values most gets return: a call costs as much as the copy. */
static void llmspell__copy_small(uint8_t *d, const uint8_t *s, size_t n) {
    size_t i;
    if (n > 256) {
        memcpy(d, s, n);
    } else if (n >= 16) { /* 16-byte moves, the last one overlapping: few instructions */
        for (i = 0; i + 16 < n; i += 16) memcpy(d + i, s + i, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else {
        for (i = 0; i < n; i++) d[i] = s[i];
    }
}
#endif

/* Copies n bytes at *p into the calling thread's buffer on kv and points *p there. held is the
   thread's slot on kv's store: the same slot when kv is the store. */
static llmspell_result llmspell__copy_out(llmspell_kv *kv, llmspell__tslot *held, const void **p, size_t n) {
#ifdef LLMSPELL_NO_THREADS
    (void)kv;
    (void)held;
    (void)p;
    (void)n;
    return LLMSPELL_OK;
#else
    uint8_t *b;
    if (held->home == (llmspell__tslots *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads) && n <= held->cap)
        b = (uint8_t *)held->buf;
    else if (!(b = llmspell__out(kv, n))) return LLMSPELL_ERR_NOMEM;
    llmspell__copy_small(b, (const uint8_t *)*p, n);
    *p = b;
    return LLMSPELL_OK;
#endif
}

#ifndef LLMSPELL_NO_THREADS
/* The common get, kept short: a thread outside any call, snapshot or transaction on a store
   (not a view) with concurrent reads, a key of ordinary size. Measured: in lookups that miss
   the cache, every nanosecond of work around them costs several of throughput (it holds back
   the next lookup's loads), so this path skips what llmspell__lock / unlock work out for the
   general case. 0: not that case, take the full path. */
static int llmspell__get_fast(llmspell_kv *kv, const void *key, size_t klen, const void **val, size_t *vlen, llmspell_result *r) {
    llmspell__kvsync *y;
    llmspell__tslot *t;
    if (!kv || !kv->open || !key || klen - 1 >= LLMSPELL_KV_MAX_KEY || !val || !vlen || ((const uint8_t *)key)[0] == 0xFF ||
        llmspell__parent_of(kv))
        return 0;
    y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&kv->threads);
    if (!y || !(t = llmspell__tslot_find(&y->slots)) || t->depth) return 0;
    llmspell__rw_read_lock(&y->rw, t->stripe);
    if (!kv->concurrent_reads) { /* read under the lock: it changes only in a write */
        llmspell__rw_read_unlock(&y->rw, t->stripe);
        return 0;
    }
    if ((*r = kv->get(kv, (const uint8_t *)key, klen, val, vlen)) == LLMSPELL_OK) *r = llmspell__copy_out(kv, t, val, *vlen);
    llmspell__rw_read_unlock(&y->rw, t->stripe);
    return 1;
}
#endif

/* get's body: the backend's pointer when copy is 0, else the calling thread's copy. */
static llmspell_result llmspell__get(llmspell_kv *kv, const void *key, size_t klen, const void **val, size_t *vlen, int copy) {
    llmspell__tslot *held;
    llmspell_result r;
#ifndef LLMSPELL_NO_THREADS
    if (copy && llmspell__get_fast(kv, key, klen, val, vlen, &r)) return r;
#endif
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_key(kv, key, klen, 0)) != LLMSPELL_OK) return r;
    if (!val || !vlen) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: get needs val and vlen", kv->name);
    if ((r = llmspell__lock(kv, 0, &held)) != LLMSPELL_OK) return r;
    r = LLMSPELL__STAGED(held) ? llmspell__bget(kv, (const uint8_t *)key, klen, val, vlen) : kv->get(kv, (const uint8_t *)key, klen, val, vlen);
    if (r == LLMSPELL_OK && copy && llmspell__must_copy(held)) r = llmspell__copy_out(kv, held, val, *vlen);
    llmspell__unlock(kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_get(llmspell_kv *kv, const void *key, size_t klen, const void **val, size_t *vlen) {
    return llmspell__get(kv, key, klen, val, vlen, 1);
}

LLMSPELL_DEF llmspell_result llmspell_kv_get_copy(llmspell_kv *kv, const void *key, size_t klen, void **val, size_t *vlen) {
    llmspell__tslot *held;
    const void *v;
    size_t n;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if (!val || !vlen) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: get_copy needs val and vlen", kv->name);
    if ((r = llmspell__lock(kv, 0, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__get(kv, key, klen, &v, &n, 0)) == LLMSPELL_OK) {
        if ((*val = llmspell__alloc(&kv->allocator, n + 1)) != NULL) {
            if (n) memcpy(*val, v, n);
            ((uint8_t *)*val)[n] = 0; /* handy for text values */
            *vlen = n;
        } else {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory copying a %zu-byte value", kv->name, n);
        }
    }
    llmspell__unlock(kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_exists(llmspell_kv *kv, const void *key, size_t klen, int *exists) {
    const void *v;
    size_t n;
    llmspell_result r;
    if (!exists) {
        LLMSPELL__CHECK_OPEN(kv);
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: exists needs an output", kv->name);
    }
    r = llmspell__get(kv, key, klen, &v, &n, 0);
    *exists = r == LLMSPELL_OK;
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

/* user: a user key, its times from the clock; otherwise a system key written with times t
   (NULL: none), which is how a view hands its user key's times to its parent. */
static llmspell_result llmspell__put(llmspell_kv *kv, const void *key, size_t klen, const void *val, size_t vlen, int user,
                                     const llmspell_kv_times *t) {
    llmspell__tslot *held;
    llmspell_kv_times now;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_key(kv, key, klen, user)) != LLMSPELL_OK) return r;
    if ((r = llmspell__check_val(kv, val, vlen)) != LLMSPELL_OK) return r;
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__writable_txn(kv)) == LLMSPELL_OK) {
        if (user) {
            now.created = LLMSPELL_TIME_MIN; /* an overwrite keeps the entry's */
            now.updated = llmspell__write_time(kv);
            t = &now;
        }
        kv->put_times = t;
        r = llmspell__bput(kv, (const uint8_t *)key, klen, val, vlen);
        kv->put_times = NULL;
        r = llmspell__write_done(kv, r);
    }
    llmspell__unlock(kv, held);
    return r;
}

/* Runs fn inside the store's open transaction (whichever handle of the store began it), or
   inside one of its own that it commits. */
typedef llmspell_result (*llmspell__txn_body)(llmspell_kv *kv, const void *arg, size_t n);

static llmspell_result llmspell__atomically(llmspell_kv *kv, llmspell__txn_body body, const void *arg, size_t n) {
    llmspell__tslot *held;
    llmspell_result r;
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    if (llmspell__store(kv)->in_txn) {
        if ((r = llmspell__writable_txn(kv)) == LLMSPELL_OK) r = llmspell__write_done(kv, body(kv, arg, n));
    } else if ((r = llmspell_kv_begin(kv)) == LLMSPELL_OK) {
        r = body(kv, arg, n);
        r = r != LLMSPELL_OK ? llmspell_kv_abort(kv, r) : llmspell_kv_commit(kv);
    }
    llmspell__unlock(kv, held);
    return r;
}

/* The side record key of user key k, 0xFF 'E' + k (see >>entries): on the stack when short. */
typedef struct llmspell__skey {
    uint8_t *p;
    size_t n;
    uint8_t local[256];
} llmspell__skey;

static llmspell_result llmspell__skey_make(llmspell_kv *kv, llmspell__skey *sk, const void *k, size_t kn) {
    sk->n = kn + 2;
    sk->p = sk->n <= sizeof sk->local ? sk->local : (uint8_t *)llmspell__alloc(&kv->allocator, sk->n);
    if (!sk->p) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory for a %zu-byte key", kv->name, kn);
    sk->p[0] = 0xFF;
    sk->p[1] = LLMSPELL__NS_ENTRY;
    memcpy(sk->p + 2, k, kn);
    return LLMSPELL_OK;
}

static void llmspell__skey_free(llmspell_kv *kv, llmspell__skey *sk) {
    if (sk->p != sk->local) llmspell__free(&kv->allocator, sk->p);
}

/* Deletes user key k and its side record (which may be absent): one write unit. */
static llmspell_result llmspell__del_entry(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    llmspell__skey sk;
    llmspell_result r = llmspell__bdel(kv, k, kn);
    if (r != LLMSPELL_OK) return r;
    if ((r = llmspell__skey_make(kv, &sk, k, kn)) != LLMSPELL_OK) return r;
    r = llmspell__bdel(kv, sk.p, sk.n);
    llmspell__skey_free(kv, &sk);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

static llmspell_result llmspell__del_entry_body(llmspell_kv *kv, const void *arg, size_t n) {
    return llmspell__del_entry(kv, (const uint8_t *)arg, n);
}

static llmspell_result llmspell__del_locked(llmspell_kv *kv, const void *key, size_t klen, int user) {
    llmspell_result r;
    if ((r = llmspell__writable_txn(kv)) != LLMSPELL_OK) return r;
    if (user) { /* a key with a side record loses both in one unit; the others cost one lookup more */
        llmspell__skey sk;
        const void *v;
        size_t vn;
        if ((r = llmspell__skey_make(kv, &sk, key, klen)) != LLMSPELL_OK) return r;
        r = llmspell__bget(kv, sk.p, sk.n, &v, &vn);
        llmspell__skey_free(kv, &sk);
        if (r == LLMSPELL_OK) r = llmspell__atomically(kv, llmspell__del_entry_body, key, klen);
        else if (r == LLMSPELL_ERR_NOT_FOUND) r = llmspell__write_done(kv, llmspell__bdel(kv, (const uint8_t *)key, klen));
        if (r == LLMSPELL_ERR_NOT_FOUND) return llmspell_kv_set_error(kv, r, "%s: no such key", kv->name);
        return r;
    }
    r = llmspell__bdel(kv, (const uint8_t *)key, klen);
    if (r == LLMSPELL_ERR_NOT_FOUND) return llmspell_kv_set_error(kv, r, "%s: no such key", kv->name);
    return llmspell__write_done(kv, r);
}

static llmspell_result llmspell__del(llmspell_kv *kv, const void *key, size_t klen, int user) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_key(kv, key, klen, user)) != LLMSPELL_OK) return r;
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    r = llmspell__del_locked(kv, key, klen, user);
    llmspell__unlock(kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_put(llmspell_kv *kv, const void *key, size_t klen, const void *val, size_t vlen) {
    return llmspell__put(kv, key, klen, val, vlen, 1, NULL);
}
LLMSPELL_DEF llmspell_result llmspell_kv_put_sys(llmspell_kv *kv, const void *key, size_t klen, const void *val, size_t vlen) {
    return llmspell__put(kv, key, klen, val, vlen, 0, NULL);
}
LLMSPELL_DEF llmspell_result llmspell_kv_delete(llmspell_kv *kv, const void *key, size_t klen) {
    return llmspell__del(kv, key, klen, 1);
}
LLMSPELL_DEF llmspell_result llmspell_kv_delete_sys(llmspell_kv *kv, const void *key, size_t klen) {
    return llmspell__del(kv, key, klen, 0);
}

LLMSPELL_DEF llmspell_result llmspell_kv_begin(llmspell_kv *kv) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
#ifndef LLMSPELL_NO_THREADS
    if (llmspell__stage_begin(kv, &r)) return r;
#endif
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    if (llmspell__store(kv)->in_txn) {
        r = llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: a transaction of this store is already open (no nesting)", kv->name);
    } else if ((r = kv->begin(kv)) == LLMSPELL_OK) {
        kv->in_txn = 1;
        kv->txn_failed = 0;
        kv->txn_time = LLMSPELL_TIME_MIN;
    }
    llmspell__unlock(kv, held); /* an open transaction keeps the lock */
    return r;
}

/* A transaction is ended by its own thread: another thread's commit or rollback fails at once
   (waiting for the lock would wait for the transaction itself). */
static llmspell_result llmspell__txn_thread_check(llmspell_kv *kv, const char *what) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__kvsync *y = llmspell__sync_of(llmspell__store(kv));
    llmspell__tslot *owner = y ? (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner) : NULL;
    if (owner && owner != llmspell__tslot_find(&y->slots))
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: %s: the transaction belongs to another thread", kv->name, what);
#else
    (void)kv;
    (void)what;
#endif
    return LLMSPELL_OK;
}

/* Whether kv may end its transaction: it began it (in_txn 1; a view passes 2 on to its
   parent, see llmspell__view_begin), and the store's transaction is still the one. */
static llmspell_result llmspell__txn_end_check(llmspell_kv *kv, const char *what, int from_view) {
    if (!kv->in_txn) return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: %s without begin", kv->name, what);
    if (kv->in_txn == 2 && !from_view)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: %s: the transaction was begun through a view of this handle; end it there",
                                     kv->name, what);
    if (!llmspell__store(kv)->in_txn) { /* ended under it (a user's wrapper, say): forget it */
        kv->in_txn = 0;
        kv->txn_failed = 0;
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: %s: the transaction was ended through another handle", kv->name, what);
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__commit(llmspell_kv *kv, int from_view) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__txn_thread_check(kv, "commit")) != LLMSPELL_OK) return r;
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__txn_end_check(kv, "commit", from_view)) == LLMSPELL_OK) {
        if (kv->txn_failed || llmspell__store(kv)->txn_failed) {
            r = llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: an earlier write in this transaction failed; roll it back", kv->name);
        } else {
            r = llmspell__txn_end(kv, 1);
            kv->in_txn = 0; /* a failed commit has rolled back */
        }
    }
    llmspell__unlock(kv, held);
    return r;
}

static llmspell_result llmspell__rollback(llmspell_kv *kv, int from_view) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__txn_thread_check(kv, "rollback")) != LLMSPELL_OK) return r;
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__txn_end_check(kv, "rollback", from_view)) == LLMSPELL_OK) {
        kv->in_txn = 0;
        kv->txn_failed = 0;
        r = llmspell__txn_end(kv, 0);
    }
    llmspell__unlock(kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_commit(llmspell_kv *kv) { return llmspell__commit(kv, 0); }
LLMSPELL_DEF llmspell_result llmspell_kv_rollback(llmspell_kv *kv) { return llmspell__rollback(kv, 0); }

LLMSPELL_DEF int llmspell_kv_in_txn(llmspell_kv *kv) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__kvsync *y;
    llmspell__tslot *o;
    if (!kv || !kv->open) return 0;
    y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&llmspell__store(kv)->threads);
    /* another thread's transaction fields are its own: look only after the owner check */
    if (!y || !(o = (llmspell__tslot *)llmspell__aload_ptr(&y->txn_owner)) || o != llmspell__tslot_find(&y->slots)) return 0;
#else
    if (!kv || !kv->open) return 0;
#endif
    return kv->in_txn != 0;
}

LLMSPELL_DEF llmspell_result llmspell_kv_txn_exclusive(llmspell_kv *kv) {
    llmspell__tslot *held;
    llmspell_kv *s;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if (!llmspell_kv_in_txn(kv)) return llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: txn_exclusive without a transaction of this thread", kv->name);
    if ((r = llmspell__lock(kv, 1, &held)) != LLMSPELL_OK) return r;
    s = llmspell__store(kv);
    if ((r = llmspell__unstage(s, held)) != LLMSPELL_OK && s != kv) llmspell_kv_set_error(kv, r, "%s", llmspell_kv_errmsg(s));
    llmspell__unlock(kv, held);
    return r;
}

/* A batch's entries all carry the batch's one time (the transaction's, see write_time). */
static llmspell_result llmspell__put_batch_body(llmspell_kv *kv, const void *arg, size_t n) {
    const llmspell_kv_entry *e = (const llmspell_kv_entry *)arg;
    llmspell_kv_times t;
    size_t i;
    t.created = LLMSPELL_TIME_MIN;
    t.updated = llmspell__write_time(kv);
    for (i = 0; i < n; i++) {
        llmspell_result r;
        kv->put_times = &t;
        r = llmspell__bput(kv, (const uint8_t *)e[i].key, e[i].klen, e[i].val, e[i].vlen);
        kv->put_times = NULL;
        if (r != LLMSPELL_OK) return r;
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_abort(llmspell_kv *kv, llmspell_result r) {
    char keep[sizeof kv->errmsg];
    if (!kv) return r;
    memcpy(keep, llmspell__errbuf(kv), sizeof keep);
    (void)llmspell_kv_rollback(kv);
    memcpy(llmspell__errbuf(kv), keep, sizeof keep);
    return r;
}

static llmspell_result llmspell__del_batch_body(llmspell_kv *kv, const void *arg, size_t n) {
    const llmspell_kv_entry *e = (const llmspell_kv_entry *)arg;
    size_t i;
    for (i = 0; i < n; i++) {
        llmspell_result r = llmspell__del_entry(kv, (const uint8_t *)e[i].key, e[i].klen);
        if (r != LLMSPELL_OK && r != LLMSPELL_ERR_NOT_FOUND) return r;
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__check_batch(llmspell_kv *kv, const llmspell_kv_entry *e, size_t n, int vals) {
    size_t i;
    if (!e && n) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: batch entries are NULL", kv->name);
    for (i = 0; i < n; i++) {
        llmspell_result r = llmspell__check_key(kv, e[i].key, e[i].klen, 1);
        if (r == LLMSPELL_OK && vals) r = llmspell__check_val(kv, e[i].val, e[i].vlen);
        if (r != LLMSPELL_OK) {
            char msg[sizeof kv->errmsg], *buf = llmspell__errbuf(kv);
            snprintf(msg, sizeof msg, "batch entry %zu: %.200s", i, buf);
            memcpy(buf, msg, sizeof msg);
            return r;
        }
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_put_batch(llmspell_kv *kv, const llmspell_kv_entry *entries, size_t n) {
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_batch(kv, entries, n, 1)) != LLMSPELL_OK) return r;
    return n ? llmspell__atomically(kv, llmspell__put_batch_body, entries, n) : LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_delete_batch(llmspell_kv *kv, const llmspell_kv_entry *entries, size_t n) {
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_batch(kv, entries, n, 0)) != LLMSPELL_OK) return r;
    return n ? llmspell__atomically(kv, llmspell__del_batch_body, entries, n) : LLMSPELL_OK;
}

static llmspell_result llmspell__get_batch_locked(llmspell_kv *kv, llmspell_kv_entry *entries, size_t n, void **block);

LLMSPELL_DEF llmspell_result llmspell_kv_get_batch(llmspell_kv *kv, llmspell_kv_entry *entries, size_t n, void **block) {
    llmspell__tslot *held;
    llmspell_result r;
    size_t i;
    LLMSPELL__CHECK_OPEN(kv);
    if (!block) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: get_batch needs a block output", kv->name);
    *block = NULL;
    if ((r = llmspell__check_batch(kv, entries, n, 0)) != LLMSPELL_OK) {
        /* reads may name system keys: recheck without the reserved rule */
        for (i = 0; i < n; i++)
            if ((r = llmspell__check_key(kv, entries[i].key, entries[i].klen, 0)) != LLMSPELL_OK) return r;
    }
    if ((r = llmspell__lock(kv, 0, &held)) != LLMSPELL_OK) return r;
    r = llmspell__get_batch_locked(kv, entries, n, block);
    llmspell__unlock(kv, held);
    return r;
}

static llmspell_result llmspell__get_batch_locked(llmspell_kv *kv, llmspell_kv_entry *entries, size_t n, void **block) {
    size_t i, total = 0, off = 0;
    llmspell_result r;
    uint8_t *buf;
    /* two passes: sizes (pointers from get are invalidated by the next call), then copies */
    for (i = 0; i < n; i++) {
        const void *v;
        size_t vn;
        r = llmspell__bget(kv, (const uint8_t *)entries[i].key, entries[i].klen, &v, &vn);
        if (r == LLMSPELL_OK) total += vn + 1;
        else if (r != LLMSPELL_ERR_NOT_FOUND) return r;
    }
    buf = (uint8_t *)llmspell__alloc(&kv->allocator, total + 1);
    if (!buf) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory for a %zu-byte batch", kv->name, total);
    for (i = 0; i < n; i++) {
        const void *v;
        size_t vn;
        r = llmspell__bget(kv, (const uint8_t *)entries[i].key, entries[i].klen, &v, &vn);
        entries[i].val = NULL;
        entries[i].vlen = 0;
        if (r == LLMSPELL_ERR_NOT_FOUND) continue;
        if (r != LLMSPELL_OK || off + vn + 1 > total) {
            llmspell__free(&kv->allocator, buf);
            return r != LLMSPELL_OK ? r : llmspell_kv_set_error(kv, LLMSPELL_ERR_CONFLICT, "%s: values changed during get_batch", kv->name);
        }
        if (vn) memcpy(buf + off, v, vn);
        buf[off + vn] = 0;
        entries[i].val = buf + off;
        entries[i].vlen = vn;
        off += vn + 1;
    }
    *block = buf;
    return LLMSPELL_OK;
}

/* >>iterators */
struct llmspell_kv_iter {
    llmspell_kv *kv;
    llmspell_kv_cursor *cur;
    size_t plen;
    int done;
    uint8_t *copy;  /* the last key and value, when the caller needs a copy (see >>threads) */
    size_t copycap;
    /* prefix bytes follow */
};

#define LLMSPELL__ITER_PREFIX(it) ((uint8_t *)((it) + 1))

/* Scans check every key against a short prefix: a plain loop beats a call to memcmp. */
static int llmspell__has_prefix(const uint8_t *k, const uint8_t *p, size_t n) {
    size_t i;
    for (i = n; i > 0; i--) /* keys under one prefix differ first near its end */
        if (k[i - 1] != p[i - 1]) return 0;
    return 1;
}

LLMSPELL_DEF llmspell_result llmspell_kv_iter_open(llmspell_kv *kv, const void *prefix, size_t plen, llmspell_kv_iter **out) {
    llmspell__tslot *held;
    llmspell_kv_iter *it;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if (!out || (!prefix && plen)) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: iter_open needs an output and a prefix", kv->name);
    *out = NULL;
    if (plen > LLMSPELL_KV_MAX_KEY) return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "%s: prefix over the key limit", kv->name);
    it = (llmspell_kv_iter *)llmspell__alloc(&kv->allocator, sizeof *it + plen);
    if (!it) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory opening an iterator", kv->name);
    it->kv = kv;
    it->plen = plen;
    it->done = 0;
    it->copy = NULL;
    it->copycap = 0;
    if (plen) memcpy(LLMSPELL__ITER_PREFIX(it), prefix, plen);
    if ((r = llmspell__lock(kv, 0, &held)) != LLMSPELL_OK) {
        llmspell__free(&kv->allocator, it);
        return r;
    }
    if ((r = llmspell__unstage(kv, held)) == LLMSPELL_OK && (r = kv->cursor_open(kv, &it->cur)) == LLMSPELL_OK) {
        if ((r = kv->cursor_seek(it->cur, LLMSPELL__ITER_PREFIX(it), plen)) != LLMSPELL_OK) kv->cursor_close(it->cur);
    }
    llmspell__unlock(kv, held);
    if (r != LLMSPELL_OK) {
        llmspell__free(&kv->allocator, it);
        return r;
    }
    *out = it;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_kv_iter_seek(llmspell_kv_iter *it, const void *key, size_t klen) {
    llmspell__tslot *held;
    const uint8_t *pre;
    llmspell_result r;
    if (!it) return LLMSPELL_ERR_INVALID;
    LLMSPELL__CHECK_OPEN(it->kv);
    if (!key && klen) return llmspell_kv_set_error(it->kv, LLMSPELL_ERR_INVALID, "%s: seek key is NULL", it->kv->name);
    pre = LLMSPELL__ITER_PREFIX(it);
    it->done = 0;
    /* a key before the prefix starts at the prefix */
    if (llmspell__keycmp((const uint8_t *)key, klen, pre, it->plen) < 0) { key = pre; klen = it->plen; }
    if ((r = llmspell__lock(it->kv, 0, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__unstage(it->kv, held)) == LLMSPELL_OK) r = it->kv->cursor_seek(it->cur, (const uint8_t *)key, klen);
    llmspell__unlock(it->kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_iter_next(llmspell_kv_iter *it, const void **key, size_t *klen, const void **val,
                                                   size_t *vlen) {
    llmspell__tslot *held;
    const uint8_t *k = NULL;
    size_t kn = 0, vn = 0;
    const void *v = NULL;
    llmspell_result r;
    if (key) *key = NULL; /* defined outputs on every path */
    if (klen) *klen = 0;
    if (val) *val = NULL;
    if (vlen) *vlen = 0;
    if (!it) return LLMSPELL_ERR_INVALID;
    LLMSPELL__CHECK_OPEN(it->kv);
    if (it->done) return LLMSPELL_ERR_NOT_FOUND;
    if ((r = llmspell__lock(it->kv, 0, &held)) != LLMSPELL_OK) return r;
    if ((r = llmspell__unstage(it->kv, held)) == LLMSPELL_OK) r = it->kv->cursor_next(it->cur, &k, &kn, &v, &vn);
    if (r == LLMSPELL_OK && (kn < it->plen || !llmspell__has_prefix(k, LLMSPELL__ITER_PREFIX(it), it->plen))) r = LLMSPELL_ERR_NOT_FOUND;
    if (r == LLMSPELL_OK && llmspell__must_copy(held)) { /* key, then value, in the iterator's buffer */
        if (llmspell__reserve(&it->kv->allocator, (void **)&it->copy, &it->copycap, kn + vn) != LLMSPELL_OK) {
            r = llmspell_kv_set_error(it->kv, LLMSPELL_ERR_NOMEM, "%s: out of memory copying a %zu-byte entry", it->kv->name, kn + vn);
        } else {
            memcpy(it->copy, k, kn);
            if (vn) memcpy(it->copy + kn, v, vn);
            k = it->copy;
            v = it->copy + kn;
        }
    }
    llmspell__unlock(it->kv, held);
    if (r != LLMSPELL_OK) {
        if (r == LLMSPELL_ERR_NOT_FOUND) it->done = 1;
        return r;
    }
    if (key) *key = k;
    if (klen) *klen = kn;
    if (val) *val = v;
    if (vlen) *vlen = vn;
    return LLMSPELL_OK;
}

LLMSPELL_DEF void llmspell_kv_iter_close(llmspell_kv_iter *it) {
    llmspell_kv *kv;
    if (!it) return;
    kv = it->kv;
    if (kv->open && it->cur) kv->cursor_close(it->cur);
    llmspell__free(&kv->allocator, it->copy);
    llmspell__free(&kv->allocator, it);
}

LLMSPELL_DEF llmspell_result llmspell_kv_scan(llmspell_kv *kv, const void *prefix, size_t plen, const void *start, size_t slen,
                                              llmspell_kv_scan_fn fn, void *user) {
    llmspell_kv_iter *it;
    llmspell_result r;
    const void *k, *v;
    size_t kn, vn;
    LLMSPELL__CHECK_OPEN(kv);
    if (!fn) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: scan needs a callback", kv->name);
    if ((r = llmspell_kv_iter_open(kv, prefix, plen, &it)) != LLMSPELL_OK) return r;
    if (start && (r = llmspell_kv_iter_seek(it, start, slen)) != LLMSPELL_OK) {
        llmspell_kv_iter_close(it);
        return r;
    }
    while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK)
        if (fn(user, k, kn, v, vn)) break;
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

static llmspell_result llmspell__clear_body(llmspell_kv *kv, const void *arg, size_t n) {
    llmspell_kv_iter *it;
    llmspell_result r;
    const void *k;
    size_t kn;
    (void)arg;
    (void)n;
    if ((r = llmspell_kv_iter_open(kv, NULL, 0, &it)) != LLMSPELL_OK) return r;
    while ((r = llmspell_kv_iter_next(it, &k, &kn, NULL, NULL)) == LLMSPELL_OK) {
        /* the iterator continues after the deleted key */
        if ((r = llmspell__bdel(kv, (const uint8_t *)k, kn)) != LLMSPELL_OK) break;
    }
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

static llmspell_result llmspell__clear_locked(llmspell_kv *kv) {
    llmspell_result r;
    if ((r = llmspell__writable_txn(kv)) != LLMSPELL_OK) return r;
    if (kv->clear && !llmspell__store(kv)->in_txn) {
        r = kv->clear(kv);
        if (r != LLMSPELL_ERR_UNSUPPORTED) return r;
    }
    return llmspell__atomically(kv, llmspell__clear_body, NULL, 0);
}

/* The admin calls: one backend function under the lock (write: exclusive). */
typedef enum { LLMSPELL__CLEAR, LLMSPELL__SYNC, LLMSPELL__COMPACT, LLMSPELL__STATS, LLMSPELL__CHARS } llmspell__admin_op;

static llmspell_result llmspell__admin(llmspell_kv *kv, llmspell__admin_op op, void *out) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((op == LLMSPELL__STATS || op == LLMSPELL__CHARS) && !out)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: %s needs an output", kv->name, op == LLMSPELL__STATS ? "stats" : "characteristics");
    if ((r = llmspell__lock(kv, op < LLMSPELL__STATS, &held)) != LLMSPELL_OK) return r;
    switch (op) {
    case LLMSPELL__CLEAR: r = llmspell__clear_locked(kv); break;
    case LLMSPELL__SYNC:
        if ((r = llmspell__unstage(kv, held)) == LLMSPELL_OK && kv->sync) r = kv->sync(kv); /* syncs alone */
        break;
    case LLMSPELL__COMPACT:
        if (kv->in_txn) r = llmspell_kv_set_error(kv, LLMSPELL_ERR_TXN, "%s: cannot compact inside a transaction", kv->name);
        else r = kv->compact ? kv->compact(kv) : LLMSPELL_OK;
        break;
    case LLMSPELL__STATS:
        memset(out, 0, sizeof(llmspell_kv_stats));
        if ((r = llmspell__unstage(kv, held)) == LLMSPELL_OK) r = kv->stats(kv, (llmspell_kv_stats *)out);
        break;
    case LLMSPELL__CHARS:
        memset(out, 0, sizeof(llmspell_kv_characteristics));
        kv->characteristics(kv, (llmspell_kv_characteristics *)out);
        break;
    }
    llmspell__unlock(kv, held);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_clear(llmspell_kv *kv) { return llmspell__admin(kv, LLMSPELL__CLEAR, NULL); }
LLMSPELL_DEF llmspell_result llmspell_kv_sync(llmspell_kv *kv) { return llmspell__admin(kv, LLMSPELL__SYNC, NULL); }
LLMSPELL_DEF llmspell_result llmspell_kv_compact(llmspell_kv *kv) { return llmspell__admin(kv, LLMSPELL__COMPACT, NULL); }
LLMSPELL_DEF llmspell_result llmspell_kv_stats_get(llmspell_kv *kv, llmspell_kv_stats *out) {
    return llmspell__admin(kv, LLMSPELL__STATS, out);
}
LLMSPELL_DEF llmspell_result llmspell_kv_characteristics_get(llmspell_kv *kv, llmspell_kv_characteristics *out) {
    return llmspell__admin(kv, LLMSPELL__CHARS, out);
}

LLMSPELL_DEF const char *llmspell_kv_name(const llmspell_kv *kv) {
    return kv && kv->open && kv->name ? kv->name : "closed";
}

LLMSPELL_DEF const char *llmspell_kv_errmsg(const llmspell_kv *kv) {
#ifndef LLMSPELL_NO_THREADS
    llmspell__kvsync *y;
    llmspell__tslot *t;
    if (kv && kv->open && (y = (llmspell__kvsync *)llmspell__aload_ptr((llmspell__atomic_ptr *)&((llmspell_kv *)kv)->threads)) != NULL &&
        (t = llmspell__tslot_find(&y->slots)) != NULL)
        return t->errmsg;
#endif
    return kv ? kv->errmsg : "no handle";
}

LLMSPELL_DEF llmspell_result llmspell_kv_close(llmspell_kv *kv) {
    if (!kv) return LLMSPELL_ERR_INVALID;
    if (kv->open) {
#ifndef LLMSPELL_NO_THREADS
        llmspell__sync_free(kv); /* keeps this thread's message; the backend's close writes after it */
#endif
        kv->open = 0;
        if (kv->close) kv->close(kv);
    }
    llmspell__kv_reset(kv, NULL);
    return LLMSPELL_OK;
}

/* >>tenant views: every key is stored as  0xFF 'T' tuple(tenant)  + key  in the parent. */

typedef struct llmspell__view {
    llmspell_kv *parent;
    uint8_t *kbuf; /* the prefix (read by every thread, written only at open) */
    size_t plen;
} llmspell__view;

typedef struct llmspell__vcursor {
    llmspell_kv_cursor base;
    llmspell_kv_iter *it;
} llmspell__vcursor;

#define LLMSPELL__VIEW(kv) ((llmspell__view *)(kv)->ctx)

static llmspell_kv *llmspell__parent_of(llmspell_kv *kv) {
    return kv->begin == llmspell__view_begin ? LLMSPELL__VIEW(kv)->parent : NULL;
}

static llmspell_result llmspell__view_fail(llmspell_kv *kv, llmspell_result r) {
    if (r != LLMSPELL_OK && r != LLMSPELL_ERR_NOT_FOUND)
        llmspell_kv_set_error(kv, r, "tenant view: %s", llmspell_kv_errmsg(LLMSPELL__VIEW(kv)->parent));
    return r;
}

/* The parent key for k, the prefix followed by k: on the stack when short (threads share the
   view, so it has no scratch of its own). */
static llmspell_result llmspell__view_key(llmspell_kv *kv, llmspell__skey *pk, const uint8_t *k, size_t kn) {
    llmspell__view *v = LLMSPELL__VIEW(kv);
    pk->n = v->plen + kn;
    pk->p = pk->n <= sizeof pk->local ? pk->local : (uint8_t *)llmspell__alloc(&kv->allocator, pk->n);
    if (!pk->p) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "tenant view: out of memory for a %zu-byte key", kn);
    memcpy(pk->p, v->kbuf, v->plen);
    if (kn) memcpy(pk->p + v->plen, k, kn);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__view_get(llmspell_kv *kv, const uint8_t *k, size_t kn, const void **val, size_t *vn) {
    llmspell__skey pk;
    llmspell_result r = llmspell__view_key(kv, &pk, k, kn);
    if (r != LLMSPELL_OK) return r;
    r = llmspell_kv_get(LLMSPELL__VIEW(kv)->parent, pk.p, pk.n, val, vn);
    llmspell__skey_free(kv, &pk);
    return llmspell__view_fail(kv, r);
}

static llmspell_result llmspell__view_put(llmspell_kv *kv, const uint8_t *k, size_t kn, const void *val, size_t vn) {
    llmspell__skey pk;
    llmspell_result r = llmspell__view_key(kv, &pk, k, kn);
    if (r != LLMSPELL_OK) return r;
    /* a user key's times go with it (the parent sees a system key) */
    r = llmspell__put(LLMSPELL__VIEW(kv)->parent, pk.p, pk.n, val, vn, 0, kv->put_times);
    llmspell__skey_free(kv, &pk);
    return llmspell__view_fail(kv, r);
}

static llmspell_result llmspell__view_get_times(llmspell_kv *kv, const uint8_t *k, size_t kn, llmspell_kv_times *t) {
    llmspell_kv *parent = LLMSPELL__VIEW(kv)->parent;
    llmspell__skey pk;
    llmspell_result r;
    if (!parent->open) return llmspell_kv_set_error(kv, LLMSPELL_ERR_CLOSED, "tenant view: the parent store is closed");
    if ((r = llmspell__view_key(kv, &pk, k, kn)) != LLMSPELL_OK) return r;
    r = llmspell__times_of(parent, pk.p, pk.n, t);
    llmspell__skey_free(kv, &pk);
    return llmspell__view_fail(kv, r);
}

static llmspell_result llmspell__view_del(llmspell_kv *kv, const uint8_t *k, size_t kn) {
    llmspell__skey pk;
    llmspell_result r = llmspell__view_key(kv, &pk, k, kn);
    if (r != LLMSPELL_OK) return r;
    r = llmspell_kv_delete_sys(LLMSPELL__VIEW(kv)->parent, pk.p, pk.n);
    llmspell__skey_free(kv, &pk);
    return llmspell__view_fail(kv, r);
}

static llmspell_result llmspell__view_cursor_open(llmspell_kv *kv, llmspell_kv_cursor **cur) {
    llmspell__view *v = LLMSPELL__VIEW(kv);
    llmspell__vcursor *c = (llmspell__vcursor *)llmspell__alloc(&kv->allocator, sizeof *c);
    llmspell_result r;
    if (!c) return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "tenant view: out of memory opening a cursor");
    c->base.kv = kv;
    r = llmspell_kv_iter_open(v->parent, v->kbuf, v->plen, &c->it);
    if (r != LLMSPELL_OK) {
        llmspell__free(&kv->allocator, c);
        return llmspell__view_fail(kv, r);
    }
    *cur = &c->base;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__view_cursor_seek(llmspell_kv_cursor *cur, const uint8_t *k, size_t kn) {
    llmspell__vcursor *c = (llmspell__vcursor *)cur;
    llmspell__skey pk;
    llmspell_result r = llmspell__view_key(cur->kv, &pk, k, kn);
    if (r != LLMSPELL_OK) return r;
    r = llmspell_kv_iter_seek(c->it, pk.p, pk.n);
    llmspell__skey_free(cur->kv, &pk);
    return llmspell__view_fail(cur->kv, r);
}

static llmspell_result llmspell__view_cursor_next(llmspell_kv_cursor *cur, const uint8_t **k, size_t *kn, const void **val,
                                                  size_t *vn) {
    llmspell__vcursor *c = (llmspell__vcursor *)cur;
    size_t plen = LLMSPELL__VIEW(cur->kv)->plen;
    const void *pk = NULL;
    size_t pn = 0;
    llmspell_result r = llmspell_kv_iter_next(c->it, &pk, &pn, val, vn);
    if (r != LLMSPELL_OK) return llmspell__view_fail(cur->kv, r);
    *k = (const uint8_t *)pk + plen;
    *kn = pn - plen;
    return LLMSPELL_OK;
}

static void llmspell__view_cursor_close(llmspell_kv_cursor *cur) {
    llmspell__vcursor *c = (llmspell__vcursor *)cur;
    llmspell_kv_iter_close(c->it);
    llmspell__free(&cur->kv->allocator, c);
}

/* The parent joins as "begun through a view of it" (in_txn 2): only the view ends it. */
static llmspell_result llmspell__view_begin(llmspell_kv *kv) {
    llmspell_kv *parent = LLMSPELL__VIEW(kv)->parent;
    llmspell_result r = llmspell_kv_begin(parent);
    if (r == LLMSPELL_OK) parent->in_txn = 2;
    return llmspell__view_fail(kv, r);
}
static llmspell_result llmspell__view_commit(llmspell_kv *kv) { return llmspell__view_fail(kv, llmspell__commit(LLMSPELL__VIEW(kv)->parent, 1)); }
static llmspell_result llmspell__view_rollback(llmspell_kv *kv) { return llmspell__view_fail(kv, llmspell__rollback(LLMSPELL__VIEW(kv)->parent, 1)); }
static llmspell_result llmspell__view_sync(llmspell_kv *kv) { return llmspell__view_fail(kv, llmspell_kv_sync(LLMSPELL__VIEW(kv)->parent)); }
static llmspell_result llmspell__view_compact(llmspell_kv *kv) { return llmspell__view_fail(kv, llmspell_kv_compact(LLMSPELL__VIEW(kv)->parent)); }

static llmspell_result llmspell__view_stats(llmspell_kv *kv, llmspell_kv_stats *st) {
    llmspell__view *v = LLMSPELL__VIEW(kv);
    llmspell_kv_stats ps;
    llmspell_kv_iter *it;
    const void *k, *val;
    size_t kn, vn;
    llmspell_result r = llmspell_kv_stats_get(v->parent, &ps);
    if (r != LLMSPELL_OK) return llmspell__view_fail(kv, r);
    st->file_size = ps.file_size;
    st->dead_bytes = ps.dead_bytes;
    if ((r = llmspell_kv_iter_open(v->parent, v->kbuf, v->plen, &it)) != LLMSPELL_OK) return llmspell__view_fail(kv, r);
    while ((r = llmspell_kv_iter_next(it, &k, &kn, &val, &vn)) == LLMSPELL_OK) {
        st->keys++;
        st->bytes += (kn - v->plen) + vn;
    }
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__view_fail(kv, r);
}

static void llmspell__view_chars(llmspell_kv *kv, llmspell_kv_characteristics *c) {
    (void)llmspell_kv_characteristics_get(LLMSPELL__VIEW(kv)->parent, c);
}

static void llmspell__view_close(llmspell_kv *kv) {
    llmspell__view *v = LLMSPELL__VIEW(kv);
    if (kv->in_txn && v->parent->open && v->parent->in_txn) (void)llmspell__rollback(v->parent, 1);
    llmspell__free(&kv->allocator, v->kbuf);
    llmspell__free(&kv->allocator, v);
}

LLMSPELL_DEF llmspell_result llmspell_kv_open_tenant(llmspell_kv *view, llmspell_kv *parent, const void *tenant, size_t n) {
    llmspell__view *v;
    size_t plen;
    if (!view) return LLMSPELL_ERR_INVALID;
    view->errmsg[0] = 0;
    llmspell__kv_reset(view, NULL);
    if (!parent || !parent->open)
        return llmspell_kv_set_error(view, parent ? LLMSPELL_ERR_CLOSED : LLMSPELL_ERR_INVALID, "tenant view: the parent store is %s",
                                     parent ? "closed" : "NULL");
    if (!tenant && n) return llmspell_kv_set_error(view, LLMSPELL_ERR_INVALID, "tenant view: tenant id is NULL");
    view->allocator = parent->allocator;
    plen = 2 + llmspell_tuple_put_bytes(NULL, 0, tenant, n);
    if (n > LLMSPELL_KV_MAX_TENANT)
        return llmspell_kv_set_error(view, LLMSPELL_ERR_TOO_LARGE, "tenant view: tenant id of %zu bytes is over the %d-byte limit",
                                     n, LLMSPELL_KV_MAX_TENANT);
    v = (llmspell__view *)llmspell__alloc(&view->allocator, sizeof *v);
    if (!v) return llmspell_kv_set_error(view, LLMSPELL_ERR_NOMEM, "tenant view: out of memory");
    v->kbuf = (uint8_t *)llmspell__alloc(&view->allocator, plen);
    if (!v->kbuf) {
        llmspell__free(&view->allocator, v);
        return llmspell_kv_set_error(view, LLMSPELL_ERR_NOMEM, "tenant view: out of memory");
    }
    v->parent = parent;
    v->plen = plen;
    v->kbuf[0] = 0xFF;
    v->kbuf[1] = 'T';
    llmspell_tuple_put_bytes(v->kbuf + 2, plen - 2, tenant, n);
    view->ctx = v;
    view->name = "tenant";
    view->get = llmspell__view_get;
    view->put = llmspell__view_put;
    view->del = llmspell__view_del;
    view->cursor_open = llmspell__view_cursor_open;
    view->cursor_seek = llmspell__view_cursor_seek;
    view->cursor_next = llmspell__view_cursor_next;
    view->cursor_close = llmspell__view_cursor_close;
    view->begin = llmspell__view_begin;
    view->commit = llmspell__view_commit;
    view->rollback = llmspell__view_rollback;
    view->clear = NULL;
    view->sync = llmspell__view_sync;
    view->compact = llmspell__view_compact;
    view->stats = llmspell__view_stats;
    view->characteristics = llmspell__view_chars;
    view->close = llmspell__view_close;
    view->get_times = llmspell__view_get_times;
    view->clock = parent->clock;
    view->open = 1;
    return LLMSPELL_OK;
}

/* >>entries: created/updated times, kv_id and metadata of user keys (see the declarations). */

/* Side record value: u8 flags (1: id set, 2: metadata set) | u8 id length | id | metadata. */
#define LLMSPELL__SIDE_ID 1u
#define LLMSPELL__SIDE_META 2u

/* FNV-1a, 128 bits: h = (h ^ byte) * (2^88 + 0x13b) mod 2^128, in two 64-bit halves. */
typedef struct llmspell__u128 {
    uint64_t hi, lo;
} llmspell__u128;

static void llmspell__fnv128(llmspell__u128 *h, const uint8_t *p, size_t n) {
    while (n--) {
        uint64_t lo, p0, p1, sum;
        lo = h->lo ^ *p++;
        p0 = (lo & 0xFFFFFFFFu) * 0x13Bu;
        p1 = (lo >> 32) * 0x13Bu;
        sum = p0 + (p1 << 32);
        h->hi = h->hi * 0x13Bu + (p1 >> 32) + (sum < p0) + (lo << 24); /* lo * 2^88 lands in hi */
        h->lo = sum;
    }
}

/* The key as the store under kv holds it: the prefixes of the views on the way down, then k. */
static void llmspell__phys_hash(llmspell_kv *kv, llmspell__u128 *h) {
    llmspell_kv *p = llmspell__parent_of(kv);
    if (!p) return;
    llmspell__phys_hash(p, h);
    llmspell__fnv128(h, LLMSPELL__VIEW(kv)->kbuf, LLMSPELL__VIEW(kv)->plen);
}

/* The derived kv_id of user key k, into out (36 characters and a NUL). */
static void llmspell__derived_id(llmspell_kv *kv, const uint8_t *k, size_t kn, char *out) {
    static const char hex[] = "0123456789abcdef";
    llmspell__u128 h;
    uint8_t b[16];
    int i, o = 0;
    h.hi = 0x6c62272e07bb0142ull;
    h.lo = 0x62b821756295c58dull;
    llmspell__phys_hash(kv, &h);
    llmspell__fnv128(&h, k, kn);
    for (i = 0; i < 8; i++) {
        b[i] = (uint8_t)(h.hi >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(h.lo >> (56 - 8 * i));
    }
    b[6] = (uint8_t)(0x40 | (b[6] & 0x0F)); /* version 4 */
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3F)); /* variant 10 */
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = 0;
}

static llmspell_result llmspell__get_info_locked(llmspell_kv *kv, const void *key, size_t klen, llmspell_kv_info *info);

LLMSPELL_DEF llmspell_result llmspell_kv_get_info(llmspell_kv *kv, const void *key, size_t klen, llmspell_kv_info *info) {
    llmspell__tslot *held;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_key(kv, key, klen, 1)) != LLMSPELL_OK) return r;
    if (!info) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: get_info needs an output", kv->name);
    memset(info, 0, sizeof *info);
    if ((r = llmspell__lock(kv, 0, &held)) != LLMSPELL_OK) return r;
    r = llmspell__get_info_locked(kv, key, klen, info);
    llmspell__unlock(kv, held);
    return r;
}

/* get_info's body. The id and metadata are copied into the calling thread's buffer (with
   threads; without, the derived id goes to kv->idbuf and metadata points into the backend). */
static llmspell_result llmspell__get_info_locked(llmspell_kv *kv, const void *key, size_t klen, llmspell_kv_info *info) {
    llmspell_kv_times t;
    llmspell__skey sk;
    const void *v;
    size_t vn;
    llmspell_result r;
    char derived[40];
    if ((r = llmspell__times_of(kv, (const uint8_t *)key, klen, &t)) != LLMSPELL_OK) return r;
    info->created = t.created;
    info->updated = t.updated;
    if ((r = llmspell__skey_make(kv, &sk, key, klen)) != LLMSPELL_OK) return r;
    r = llmspell__bget(kv, sk.p, sk.n, &v, &vn); /* the last backend call: its pointer stays valid */
    llmspell__skey_free(kv, &sk);
    if (r == LLMSPELL_OK) {
        const uint8_t *p = (const uint8_t *)v;
        unsigned flags = vn >= 2 ? p[0] : 0xFFu;
        size_t idn = vn >= 2 ? p[1] : 0;
        if (flags & ~(LLMSPELL__SIDE_ID | LLMSPELL__SIDE_META) || 2 + idn > vn || (!(flags & LLMSPELL__SIDE_ID) && idn) ||
            (!(flags & LLMSPELL__SIDE_META) && 2 + idn != vn))
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_CORRUPT, "%s: the entry record of a %zu-byte key is malformed", kv->name, klen);
        if (flags & LLMSPELL__SIDE_ID) {
            info->id = (const char *)p + 2;
            info->idlen = idn;
        }
        if (flags & LLMSPELL__SIDE_META) {
            info->metadata = (const char *)p + 2 + idn;
            info->metalen = vn - 2 - idn;
        }
    } else if (r != LLMSPELL_ERR_NOT_FOUND) {
        return r;
    }
    if (!info->id) {
        llmspell__derived_id(kv, (const uint8_t *)key, klen, derived);
        info->id = derived;
        info->idlen = 36;
    }
#ifdef LLMSPELL_NO_THREADS
    if (info->id == derived) info->id = (const char *)memcpy(kv->idbuf, derived, sizeof derived);
#else
    {
        uint8_t *out = llmspell__out(kv, info->idlen + info->metalen);
        if (!out) return LLMSPELL_ERR_NOMEM;
        memcpy(out, info->id, info->idlen);
        if (info->metalen) memcpy(out + info->idlen, info->metadata, info->metalen);
        info->id = (const char *)out;
        if (info->metadata) info->metadata = (const char *)out + info->idlen;
    }
#endif
    return LLMSPELL_OK;
}

typedef struct llmspell__info_put {
    const uint8_t *key, *val, *rec;
    size_t klen, vlen, rlen;
    llmspell_kv_times t;
    llmspell__skey sk;
} llmspell__info_put;

static llmspell_result llmspell__put_info_body(llmspell_kv *kv, const void *arg, size_t n) {
    const llmspell__info_put *a = (const llmspell__info_put *)arg;
    llmspell_result r;
    (void)n;
    kv->put_times = &a->t;
    r = llmspell__bput(kv, a->key, a->klen, a->val, a->vlen);
    kv->put_times = NULL;
    if (r != LLMSPELL_OK) return r;
    if (a->rec) return llmspell__bput(kv, a->sk.p, a->sk.n, a->rec, a->rlen);
    r = llmspell__bdel(kv, a->sk.p, a->sk.n);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_put_info(llmspell_kv *kv, const void *key, size_t klen, const void *val, size_t vlen,
                                                  const llmspell_kv_info *info) {
    llmspell__info_put a;
    uint8_t *rec = NULL;
    size_t idn, mn;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if ((r = llmspell__check_key(kv, key, klen, 1)) != LLMSPELL_OK) return r;
    if ((r = llmspell__check_val(kv, val, vlen)) != LLMSPELL_OK) return r;
    if (!info) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: put_info needs the info", kv->name);
    idn = info->id ? info->idlen : 0;
    mn = info->metadata ? info->metalen : 0;
    if (idn > LLMSPELL_KV_MAX_ENTRY_ID)
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "%s: an id of %zu bytes is over the %d-byte limit", kv->name, idn,
                                     LLMSPELL_KV_MAX_ENTRY_ID);
    if (mn > LLMSPELL_KV_MAX_VALUE || 2 + idn > LLMSPELL_KV_MAX_VALUE - mn) /* the side record is a value too */
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_TOO_LARGE, "%s: metadata of %zu bytes is over the %u-byte value limit", kv->name,
                                     mn, (unsigned)LLMSPELL_KV_MAX_VALUE);
    memset(&a, 0, sizeof a);
    a.key = (const uint8_t *)key;
    a.klen = klen;
    a.val = (const uint8_t *)val;
    a.vlen = vlen;
    a.t.created = info->created;
    a.t.updated = info->updated;
    if (info->id || info->metadata) {
        if (!(rec = (uint8_t *)llmspell__alloc(&kv->allocator, 2 + idn + mn)))
            return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory for the entry record", kv->name);
        rec[0] = (uint8_t)((info->id ? LLMSPELL__SIDE_ID : 0) | (info->metadata ? LLMSPELL__SIDE_META : 0));
        rec[1] = (uint8_t)idn;
        if (idn) memcpy(rec + 2, info->id, idn);
        if (mn) memcpy(rec + 2 + idn, info->metadata, mn);
        a.rec = rec;
        a.rlen = 2 + idn + mn;
    }
    if ((r = llmspell__skey_make(kv, &a.sk, key, klen)) == LLMSPELL_OK) {
        r = llmspell__atomically(kv, llmspell__put_info_body, &a, 0);
        llmspell__skey_free(kv, &a.sk);
    }
    llmspell__free(&kv->allocator, rec);
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_kv_tenants(llmspell_kv *kv, int (*fn)(void *user, const void *tenant, size_t n), void *user,
                                                 size_t *skipped) {
    static const uint8_t pre[2] = {0xFF, LLMSPELL__NS_TENANT};
    /* the decoded tenant, then the key just past it (its encoding is at most 2n + 2 bytes) */
    const size_t tcap = LLMSPELL_KV_MAX_TENANT, scap = 2 + 2 * LLMSPELL_KV_MAX_TENANT + 2;
    uint8_t *buf, *skip = NULL;
    size_t skipcap = 0;
    llmspell_kv_iter *it;
    const void *k;
    size_t kn;
    llmspell_result r;
    LLMSPELL__CHECK_OPEN(kv);
    if (skipped) *skipped = 0;
    if (!fn) return llmspell_kv_set_error(kv, LLMSPELL_ERR_INVALID, "%s: tenants needs a callback", kv->name);
    if (!(buf = (uint8_t *)llmspell__alloc(&kv->allocator, tcap + scap)))
        return llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory listing tenants", kv->name);
    if ((r = llmspell_kv_iter_open(kv, pre, 2, &it)) != LLMSPELL_OK) {
        llmspell__free(&kv->allocator, buf);
        return r;
    }
    while ((r = llmspell_kv_iter_next(it, &k, &kn, NULL, NULL)) == LLMSPELL_OK) {
        const uint8_t *p = (const uint8_t *)k + 2;
        uint8_t *after = buf + tcap;
        size_t tn = 0, sn;
        if (llmspell_tuple_get_bytes(&p, (const uint8_t *)k + kn, buf, tcap, &tn) != LLMSPELL_OK || tn > tcap) {
            /* not a view's key: skip just it (the next key after it is k + 0x00) */
            if (skipped) (*skipped)++;
            if (llmspell__reserve(&kv->allocator, (void **)&skip, &skipcap, kn + 1) != LLMSPELL_OK) {
                r = llmspell_kv_set_error(kv, LLMSPELL_ERR_NOMEM, "%s: out of memory listing tenants", kv->name);
                break;
            }
            memcpy(skip, k, kn);
            skip[kn] = 0;
            if ((r = llmspell_kv_iter_seek(it, skip, kn + 1)) != LLMSPELL_OK) break;
            continue;
        }
        if (fn(user, buf, tn)) break;
        /* on past every key of this tenant */
        after[0] = pre[0];
        after[1] = pre[1];
        sn = 2 + llmspell_tuple_put_bytes(after + 2, scap - 2, buf, tn);
        if ((sn = llmspell_key_successor(after, after, sn)) == 0) break;
        if ((r = llmspell_kv_iter_seek(it, after, sn)) != LLMSPELL_OK) break;
    }
    llmspell_kv_iter_close(it);
    llmspell__free(&kv->allocator, skip);
    llmspell__free(&kv->allocator, buf);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : r;
}

#endif /* LLMSPELL_KV_IMPLEMENTATION_ONCE */
#endif /* LLMSPELL_KV_IMPLEMENTATION */

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
