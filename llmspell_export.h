/* llmspell_export.h - JSON and base64 codec of llmspell-c, with no dependency but libc.

   Recipe: in exactly one C or C++ file,
       #define LLMSPELL_EXPORT_IMPLEMENTATION  (or LLMSPELL_IMPLEMENTATION for the whole family)
       #include "llmspell_export.h"
   and include it without the define anywhere else. It includes llmspell_kv.h (result codes,
   allocator); define LLMSPELL_KV_IMPLEMENTATION in the same file, or in another one, once.

   Example (write, then read back with the DOM):
       llmspell_json_writer *w;
       llmspell_json_writer_open_buffer(&w, NULL);
       llmspell_json_object_begin(w);
       llmspell_json_key(w, "id", LLMSPELL_JSON_STRLEN);  llmspell_json_int(w, 42);
       llmspell_json_key(w, "v", LLMSPELL_JSON_STRLEN);   llmspell_json_base64(w, floats, 6144);
       llmspell_json_object_end(w);
       if (llmspell_json_writer_finish(w) == LLMSPELL_OK) {
           size_t n; const char *text = llmspell_json_writer_data(w, &n);
           llmspell_json_doc *doc; llmspell_json_error err;
           if (llmspell_json_parse(text, n, NULL, &doc, &err) != LLMSPELL_OK) puts(err.message);
           else { printf("%lld\n", (long long)llmspell_json_get(llmspell_json_doc_root(doc), "id")->i);
                  llmspell_json_doc_free(doc); }
       }
       llmspell_json_writer_free(w);

   It also holds export and import of whole stores in the llmspell v1.0 format (>>stores).

   Contents (search for the >> markers; declarations first, then the implementation):
     >>base64          RFC 4648 codec                >>json-common      errors, limits
     >>json-writer     streaming writer              >>json-reader      pull reader
     >>json-dom        documents                     >>json-canonical   the stored-value form
     >>stores          export / import API           >>ex-alloc, >>utf8, >>numbers, >>json-levels
     >>export: ...     tenants, sections, document   >>import: ...      records, sections, checks

   What is here:
     base64    RFC 4648 encode / strict decode, one-shot and streaming; scalar reference, a
               table path and an SSSE3 path chosen at run time, all byte-identical
     writer    streaming JSON to a growing buffer, a FILE* or a callback; compact or pretty;
               strings escaped and checked to be UTF-8; int64 exact; doubles that parse back
               to the same bits; base64 and long strings streamed in pieces
     reader    pull parser over a buffer, a FILE* or a callback with a bounded buffer: events
               with line:column, the current JSON path, one-event lookahead, skip, and
               "read the next value as a DOM" so that a multi-GB export is walked one record
               at a time
     DOM       arena-allocated tree for small documents: order kept, lookup by key, decoded
               strings with length, numbers as int64 when exact else double, and their text;
               a document can be reused so that parsing record after record recycles its memory

   Options (define before the implementation):
       LLMSPELL_MALLOC(sz) / LLMSPELL_REALLOC(p,sz) / LLMSPELL_FREE(p)   all three or none
       LLMSPELL_STATIC              every public function static to the implementing file
       LLMSPELL_EXPORT_NO_SIMD      no SSE2/SSSE3 code: the portable paths only

   Reading is RFC 8259 strict by default: one value, no BOM, no comments, no trailing commas,
   UTF-8 validated (overlong forms, surrogates and code points past U+10FFFF are errors), lone
   \u surrogates are errors, control characters must be escaped. Flags relax it (see
   llmspell_json_read_options). Limits, each an option: depth 512, 128 MiB per string / key /
   number token. Recursion is never used, so any input depth gives a clean ERR_TOO_LARGE.
   Numbers: an integer literal (no fraction, no exponent) that fits int64 is exact; every
   other number is the correctly rounded double (Eisel-Lemire with a big-decimal fallback,
   no strtod, no locale). "-0" reads as the double -0.0 to keep its sign. Underflow gives 0;
   overflow (1e999) is ERR_TOO_LARGE unless LLMSPELL_JSON_ALLOW_OVERFLOW. The number's text
   is always available (60-digit numbers can be kept verbatim).
   Duplicate keys are valid JSON (RFC 8259: names SHOULD be unique) and accepted by default;
   LLMSPELL_JSON_REJECT_DUPLICATES turns them into ERR_PARSE (importers should set it).

   JSONTestSuite implementation-defined (i_) cases, with the default options:
     accepted  i_number_double_huge_neg_exp, i_number_real_underflow (both read as 0.0),
               i_number_too_big_neg_int, i_number_too_big_pos_int,
               i_number_very_big_negative_int (doubles; the text is kept),
               i_structure_500_nested_arrays (the default depth limit is 512)
     rejected  i_number_huge_exp, i_number_neg_int_huge_exp, i_number_pos_double_huge_exp,
               i_number_real_neg_overflow, i_number_real_pos_overflow (overflow: TOO_LARGE),
               i_structure_UTF-8_BOM_empty_object (BOM: PARSE; accepted with ALLOW_BOM),
               every i_string_* and i_object_key_lone_2nd_surrogate: invalid UTF-8, UTF-16
               input, lone or inverted surrogates (PARSE)

   Errors: every function returns an llmspell_result; parsers fill an llmspell_json_error with
   the code, a message "line L, column C: what (at path)", the byte offset, line, column (1-based,
   columns count bytes) and the JSON path (data.kv_store[3].key). Errors on a reader or a
   writer are sticky: after one, every call returns the same code and the handle can only be
   freed (a failed allocation of a new document by read_value is the exception: nothing was
   consumed, so it can be retried). The library never prints, aborts or exits, and keeps no global mutable state.
   Threads: a JSON handle is used by one thread at a time; documents are read-only and may be
   shared after parsing. Export and import run beside other threads on a shared store: an
   export reads one state of it (a read snapshot), an import is one writer (a transaction).

   Memory: a buffer reader allocates only its depth stack (strings without escapes point into
   the input). A FILE* / callback reader holds buffer_size bytes, the longest string (or one
   piece), the depth stack, and with REJECT_DUPLICATES the keys of the open objects. A DOM takes
   about the decoded text plus 40 bytes per value (56 per object member); building one keeps 56
   bytes per value of the open containers on a stack the reader holds until it is closed.
*/
#ifndef LLMSPELL_EXPORT_H
#define LLMSPELL_EXPORT_H

#include "llmspell_kv.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE */

#ifdef __cplusplus
extern "C" {
#endif

/* >>base64 ================================================================================ */
/* RFC 4648 section 4 alphabet (A-Z a-z 0-9 + /) with '=' padding. Decoding is strict: the
   length must be a multiple of 4; '=' only as the last one or two characters; the bits that
   the padding drops must be zero; no whitespace or any other character (line-wrapped MIME
   base64 and the URL-safe alphabet are rejected). On bad input the result is
   LLMSPELL_ERR_PARSE and *err_pos (when not NULL) is the offset of the first character at
   which the input stops being the start of some valid base64: a stray character, an '=' too
   early (or the first '=' when the bits it pads are not zero), a character after the padding,
   or the end of the input when only the length is wrong. Every implementation and the
   streaming decoder report the same offset. */

/* Characters needed to encode n bytes: 4 * ceil(n / 3). SIZE_MAX when that overflows. */
LLMSPELL_DEF size_t llmspell_b64_encoded_len(size_t n);
/* An upper bound of the bytes decoded from n characters (3 * ceil(n / 4)). */
LLMSPELL_DEF size_t llmspell_b64_decoded_max(size_t n);
/* Writes llmspell_b64_encoded_len(n) characters to out (no terminating NUL) and returns that
   number. out and in must not overlap. */
LLMSPELL_DEF size_t llmspell_b64_encode(char *out, const void *in, size_t n);
/* Decodes in[0..n) into out[0..cap). *out_len receives the decoded length (on ERR_TOO_LARGE,
   the length needed). cap >= llmspell_b64_decoded_max(n) is always enough. */
LLMSPELL_DEF llmspell_result llmspell_b64_decode(void *out, size_t cap, const char *in, size_t n, size_t *out_len,
                                                 size_t *err_pos);

/* The implementations, for tests and benchmarks. AUTO picks the fastest the CPU has; every
   variant gives the same bytes, results and error positions as SCALAR, the reference. */
typedef enum llmspell_b64_impl {
    LLMSPELL_B64_AUTO = 0,
    LLMSPELL_B64_SCALAR, /* one character at a time, no tables: the reference */
    LLMSPELL_B64_TABLE,  /* 256-entry table, 4 characters to a 24-bit word, portable */
    LLMSPELL_B64_SSSE3   /* 16 characters per step (x86-64 with SSSE3, detected at run time) */
} llmspell_b64_impl;
/* ERR_UNSUPPORTED when the CPU or the build lacks the implementation. */
LLMSPELL_DEF llmspell_result llmspell_b64_encode_with(llmspell_b64_impl impl, char *out, const void *in, size_t n,
                                                      size_t *out_len);
LLMSPELL_DEF llmspell_result llmspell_b64_decode_with(llmspell_b64_impl impl, void *out, size_t cap, const char *in,
                                                      size_t n, size_t *out_len, size_t *err_pos);
/* What AUTO uses: the fastest the CPU has. (Built with MSVC without /arch:AVX, which has no
   process-wide answer to keep, AUTO asks the CPU only for inputs of 32 KiB and more and takes
   TABLE below that: same bytes either way.) */
LLMSPELL_DEF llmspell_b64_impl llmspell_b64_best(void);
LLMSPELL_DEF const char *llmspell_b64_impl_name(llmspell_b64_impl impl); /* "scalar", ... */

/* Streaming decoder for base64 that arrives in pieces (a chunked JSON string). Same rules and
   errors as llmspell_b64_decode; positions count from the first character ever given.
   Zero-initialise (or call init), call update for each piece and finish at the end. */
typedef struct llmspell_b64_decoder {
    char carry[4];  /* an incomplete group held between pieces */
    unsigned ncarry;
    int done;       /* a padded group was seen: nothing may follow */
    uint64_t pos;   /* characters of the complete groups decoded so far */
} llmspell_b64_decoder;
LLMSPELL_DEF void llmspell_b64_decoder_init(llmspell_b64_decoder *d);
/* out needs room for llmspell_b64_decoded_max(n + 3) bytes; *out_len gets the bytes written. */
LLMSPELL_DEF llmspell_result llmspell_b64_decoder_update(llmspell_b64_decoder *d, void *out, size_t cap,
                                                         const char *in, size_t n, size_t *out_len,
                                                         uint64_t *err_pos);
/* ERR_PARSE (err_pos = total length) when the input stopped inside a group. */
LLMSPELL_DEF llmspell_result llmspell_b64_decoder_finish(llmspell_b64_decoder *d, uint64_t *err_pos);

/* >>json-common =========================================================================== */

/* A parse or write failure. message is self-contained:
   "line 3, column 17: expected ':' after an object key (at data.kv_store[2])". */
typedef struct llmspell_json_error {
    llmspell_result code; /* LLMSPELL_OK when there is no error */
    uint64_t offset;      /* byte offset in the input (reader) or bytes written (writer) */
    uint64_t line;        /* 1-based; 0 for writer errors */
    uint64_t column;      /* 1-based, in bytes; 0 for writer errors */
    char path[160];       /* JSON path of the value concerned, "" at the top level */
    char message[384];
} llmspell_json_error;

/* Pass as a length to mean "NUL-terminated, use strlen" (the family's LLMSPELL_STRLEN). */
#define LLMSPELL_JSON_STRLEN LLMSPELL_STRLEN

/* 1 when s[0..n) is valid UTF-8 (RFC 3629: no overlong forms, no surrogates, <= U+10FFFF);
   otherwise 0 and *bad (if not NULL) is the offset of the first invalid sequence. */
LLMSPELL_DEF int llmspell_json_utf8_valid(const void *s, size_t n, size_t *bad);

/* >>json-writer =========================================================================== */

/* Receives output. Return LLMSPELL_OK, or any code to stop the writer with that code. */
typedef llmspell_result (*llmspell_json_sink)(void *user, const void *data, size_t n);

/* All-zero (or NULL) means the defaults. */
typedef struct llmspell_json_writer_options {
    llmspell_allocator allocator;
    int indent;          /* 0: compact; 1..16: pretty, indented by this many spaces */
    int ascii_only;      /* write every non-ASCII character as \uXXXX (surrogate pairs above U+FFFF) */
    size_t max_depth;    /* 0: 512 */
    size_t buffer_size;  /* FILE* and callback writers: bytes staged before each write (0: 64 KiB) */
} llmspell_json_writer_options;

typedef struct llmspell_json_writer llmspell_json_writer;

/* Output into a growing memory buffer: see llmspell_json_writer_data. */
LLMSPELL_DEF llmspell_result llmspell_json_writer_open_buffer(llmspell_json_writer **w,
                                                              const llmspell_json_writer_options *opts);
/* Output to f (not closed by the writer; fflush is left to the caller). A short write is ERR_IO. */
LLMSPELL_DEF llmspell_result llmspell_json_writer_open_file(llmspell_json_writer **w, FILE *f,
                                                            const llmspell_json_writer_options *opts);
/* Output to sink(user, ...), in pieces of at most buffer_size bytes (except a flush of a larger run). */
LLMSPELL_DEF llmspell_result llmspell_json_writer_open_sink(llmspell_json_writer **w, llmspell_json_sink sink,
                                                            void *user, const llmspell_json_writer_options *opts);
/* Checks that exactly one complete value was written and flushes staged output. A newline is
   appended in pretty mode. */
LLMSPELL_DEF llmspell_result llmspell_json_writer_finish(llmspell_json_writer *w);
/* Buffer writers: the output so far, NUL-terminated, and its length in *n (may be NULL). Valid
   until the next call on the writer. NULL for other writers. */
LLMSPELL_DEF const char *llmspell_json_writer_data(const llmspell_json_writer *w, size_t *n);
/* Total bytes produced so far (staged or delivered). */
LLMSPELL_DEF uint64_t llmspell_json_writer_bytes(const llmspell_json_writer *w);
/* The last failure (code LLMSPELL_OK if none). Valid until the writer is freed. */
LLMSPELL_DEF const llmspell_json_error *llmspell_json_writer_error(const llmspell_json_writer *w);
/* Frees the writer and its buffer; does not flush (call finish first). NULL is fine. */
LLMSPELL_DEF void llmspell_json_writer_free(llmspell_json_writer *w);

/* Values. Inside an object every value must follow a key; misuse (a value without a key, an
   end that does not match, a second top-level value, too deep) is ERR_INVALID, or ERR_TOO_LARGE
   past max_depth. Strings are copied out immediately; the writer keeps no pointer. Duplicate
   keys are not checked. */
LLMSPELL_DEF llmspell_result llmspell_json_object_begin(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_object_end(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_array_begin(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_array_end(llmspell_json_writer *w);
/* Keys and strings must be valid UTF-8 (ERR_INVALID otherwise, see llmspell_json_utf8_valid).
   n may be LLMSPELL_JSON_STRLEN. Embedded NUL bytes are written as \u0000. */
LLMSPELL_DEF llmspell_result llmspell_json_key(llmspell_json_writer *w, const char *s, size_t n);
LLMSPELL_DEF llmspell_result llmspell_json_string(llmspell_json_writer *w, const char *s, size_t n);
LLMSPELL_DEF llmspell_result llmspell_json_int(llmspell_json_writer *w, int64_t v);
LLMSPELL_DEF llmspell_result llmspell_json_uint(llmspell_json_writer *w, uint64_t v);
/* Shortest of 15, 16 or 17 significant digits that reads back to the same bits; always has a
   '.' or an exponent (1.0, 1e+300 -> 1e300), so it reads back as a double. NaN and infinities
   are ERR_INVALID (JSON has no spelling for them). */
LLMSPELL_DEF llmspell_result llmspell_json_double(llmspell_json_writer *w, double v);
LLMSPELL_DEF llmspell_result llmspell_json_bool(llmspell_json_writer *w, int v);
LLMSPELL_DEF llmspell_result llmspell_json_null(llmspell_json_writer *w);
/* A number written verbatim from its text (e.g. a 60-digit number read earlier); the text must
   match the RFC 8259 number grammar (ERR_INVALID otherwise). */
LLMSPELL_DEF llmspell_result llmspell_json_number_text(llmspell_json_writer *w, const char *s, size_t n);
/* A complete JSON value given as text, checked with the strict reader and written verbatim
   without its surrounding whitespace (not re-indented). ERR_PARSE if it is not exactly one
   valid value. */
LLMSPELL_DEF llmspell_result llmspell_json_raw(llmspell_json_writer *w, const char *json, size_t n);
/* A string holding the base64 of data[0..n) (RFC 4648, padded). */
LLMSPELL_DEF llmspell_result llmspell_json_base64(llmspell_json_writer *w, const void *data, size_t n);
/* A string written in pieces: begin, any number of appends, end. A UTF-8 sequence may be split
   across appends; the string must be valid UTF-8 as a whole. Nothing else may be written in
   between. The base64 variant encodes the bytes given to its appends as one base64 string. */
LLMSPELL_DEF llmspell_result llmspell_json_string_begin(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_string_append(llmspell_json_writer *w, const char *s, size_t n);
LLMSPELL_DEF llmspell_result llmspell_json_string_end(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_base64_begin(llmspell_json_writer *w);
LLMSPELL_DEF llmspell_result llmspell_json_base64_append(llmspell_json_writer *w, const void *data, size_t n);
LLMSPELL_DEF llmspell_result llmspell_json_base64_end(llmspell_json_writer *w);

/* >>json-reader =========================================================================== */

/* Reader flags (all off by default; each relaxes or tightens RFC 8259 as named). */
#define LLMSPELL_JSON_REJECT_DUPLICATES 0x01u /* a repeated key in one object is ERR_PARSE */
#define LLMSPELL_JSON_ALLOW_BOM 0x02u         /* skip a UTF-8 byte order mark at the start */
#define LLMSPELL_JSON_ALLOW_TRAILING_COMMAS 0x04u /* [1,2,] and {"a":1,} */
#define LLMSPELL_JSON_ALLOW_OVERFLOW 0x08u    /* numbers past the double range read as +-infinity */
#define LLMSPELL_JSON_ALLOW_MULTIPLE 0x10u    /* a sequence of values (JSON Lines, concatenated);
                                                 empty input is then zero values */
#define LLMSPELL_JSON_CHUNKED_STRINGS 0x20u   /* FILE* and callback readers: a string longer than
                                                 buffer_size arrives in pieces of at most
                                                 buffer_size + 4 bytes (token.more), never
                                                 splitting a character, instead of being gathered
                                                 whole; then max_string limits a piece, not the
                                                 string. Keys are never split. Buffer readers
                                                 return every string whole. */

/* All-zero (or NULL) means the defaults. */
typedef struct llmspell_json_read_options {
    llmspell_allocator allocator;
    unsigned flags;      /* LLMSPELL_JSON_* above */
    size_t max_depth;    /* nesting limit (0: 512); deeper input is ERR_TOO_LARGE */
    size_t max_string;   /* longest decoded string, key or number text (0: 128 MiB; ERR_TOO_LARGE) */
    size_t buffer_size;  /* FILE* and callback readers: read buffer (0: 64 KiB, at least 64) */
} llmspell_json_read_options;

/* Produces input: write up to cap bytes to buf and their number to *got; *got = 0 means the
   end of the input. Any code but LLMSPELL_OK stops the reader with that code. */
typedef llmspell_result (*llmspell_json_source)(void *user, void *buf, size_t cap, size_t *got);

typedef enum llmspell_json_event {
    LLMSPELL_JSON_EV_END = 0,       /* no more values (repeated on every further call) */
    LLMSPELL_JSON_EV_OBJECT_BEGIN,
    LLMSPELL_JSON_EV_OBJECT_END,
    LLMSPELL_JSON_EV_ARRAY_BEGIN,
    LLMSPELL_JSON_EV_ARRAY_END,
    LLMSPELL_JSON_EV_KEY,
    LLMSPELL_JSON_EV_STRING,
    LLMSPELL_JSON_EV_NUMBER,
    LLMSPELL_JSON_EV_BOOL,
    LLMSPELL_JSON_EV_NULL
} llmspell_json_event;

typedef struct llmspell_json_token {
    llmspell_json_event event;
    /* KEY / STRING: the decoded UTF-8 (may contain NUL; not NUL-terminated). NUMBER: the
       number's text as written. Valid until the next call on the reader (lookahead included). */
    const char *str;
    size_t len;
    int more;          /* STRING with LLMSPELL_JSON_CHUNKED_STRINGS: more pieces follow */
    int is_int;        /* NUMBER: an integer literal that fits int64; i is exact */
    int64_t i;         /* NUMBER when is_int */
    double d;          /* NUMBER: correctly rounded value (also set when is_int) */
    int b;             /* BOOL: 0 or 1 */
    size_t depth;      /* containers open around the token (BEGIN/END: around the container) */
    uint64_t offset;   /* where the token starts: byte offset, 1-based line, column in bytes */
    uint64_t line, column;
} llmspell_json_token;

typedef struct llmspell_json_reader llmspell_json_reader;

/* A reader over data[0..len), which is not copied and must stay valid and unchanged until the
   reader is closed. Strings without escapes are returned pointing into it. */
LLMSPELL_DEF llmspell_result llmspell_json_reader_open_buffer(llmspell_json_reader **r, const void *data, size_t len,
                                                              const llmspell_json_read_options *opts);
/* A reader over f (read from its current position; not closed). Memory stays bounded:
   buffer_size + the longest string (or one piece of it with CHUNKED_STRINGS) + the depth. */
LLMSPELL_DEF llmspell_result llmspell_json_reader_open_file(llmspell_json_reader **r, FILE *f,
                                                            const llmspell_json_read_options *opts);
LLMSPELL_DEF llmspell_result llmspell_json_reader_open_source(llmspell_json_reader **r, llmspell_json_source src,
                                                              void *user, const llmspell_json_read_options *opts);
/* The next event. After the last top-level value (and nothing but whitespace after it) it is
   EV_END. On malformed input: ERR_PARSE (syntax, UTF-8, duplicates), ERR_TOO_LARGE (depth,
   string size, number overflow), ERR_IO / the source's code, ERR_NOMEM. */
LLMSPELL_DEF llmspell_result llmspell_json_next(llmspell_json_reader *r, llmspell_json_token *tok);
/* The next event without consuming it (tok may be NULL); the following next() returns it. */
LLMSPELL_DEF llmspell_result llmspell_json_peek(llmspell_json_reader *r, llmspell_json_token *tok);
/* Consumes the next value whole (a scalar, or a container up to its matching end).
   ERR_NOT_FOUND, consuming nothing, when the next event does not start a value (an END, a KEY
   or EV_END): so `while (skip(r) == OK)` walks the rest of an array. */
LLMSPELL_DEF llmspell_result llmspell_json_skip(llmspell_json_reader *r);
/* The current JSON path (e.g. data.knowledge_graph.entities[17].valid_time_end; keys that are
   not [A-Za-z0-9_-]+ are written ["like this"], keys are cut after 40 bytes with "...") into
   buf, snprintf style: returns the length of the whole path, writes at most cap - 1 characters
   and a NUL. It names the value of the last token; a container stays in the path until the
   call after its END. A peeked KEY or array element is already counted. */
LLMSPELL_DEF size_t llmspell_json_reader_path(const llmspell_json_reader *r, char *buf, size_t cap);
/* The last failure (code LLMSPELL_OK if none); valid until the reader is closed. */
LLMSPELL_DEF const llmspell_json_error *llmspell_json_reader_error(const llmspell_json_reader *r);
/* Records an error found by the caller (an importer rejecting a field) at the last token's
   position and the current path, with a printf-style message; makes the reader fail with
   code from now on, and returns code. */
LLMSPELL_DEF llmspell_result llmspell_json_reader_fail(llmspell_json_reader *r, llmspell_result code,
                                                       const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4)
    ;
/* Closes the reader (not the FILE*) and frees its memory. NULL is fine. */
LLMSPELL_DEF void llmspell_json_reader_close(llmspell_json_reader *r);

/* >>json-dom ============================================================================== */

typedef enum llmspell_json_type {
    LLMSPELL_JSON_NULL = 0,
    LLMSPELL_JSON_BOOL,
    LLMSPELL_JSON_NUMBER,
    LLMSPELL_JSON_STRING,
    LLMSPELL_JSON_ARRAY,
    LLMSPELL_JSON_OBJECT
} llmspell_json_type;

typedef struct llmspell_json_value llmspell_json_value;
typedef struct llmspell_json_member llmspell_json_member;

/* A node of a document; everything it points to lives in the document's arena. */
struct llmspell_json_value {
    llmspell_json_type type;
    unsigned char is_int; /* NUMBER: the literal was an integer that fits int64; i is exact */
    unsigned char b;      /* BOOL: 0 or 1 */
    size_t len;           /* STRING: bytes; NUMBER: bytes of its text; ARRAY: items; OBJECT: members */
    union {
        const char *str;                     /* STRING: decoded UTF-8, NUL-terminated (may hold NUL)
                                                NUMBER: the text as written, NUL-terminated */
        const llmspell_json_value *items;    /* ARRAY, in document order */
        const llmspell_json_member *members; /* OBJECT, in document order, duplicates kept */
    } u;
    int64_t i; /* NUMBER when is_int */
    double d;  /* NUMBER: correctly rounded (also set when is_int) */
};
struct llmspell_json_member {
    const char *key; /* decoded, NUL-terminated (may hold NUL) */
    size_t klen;
    llmspell_json_value value;
};

typedef struct llmspell_json_doc llmspell_json_doc;

/* Parses data[0..len) (not kept: the document copies what it needs) as exactly one value.
   On failure *doc is NULL and err (may be NULL) says what and where. */
LLMSPELL_DEF llmspell_result llmspell_json_parse(const void *data, size_t len, const llmspell_json_read_options *opts,
                                                 llmspell_json_doc **doc, llmspell_json_error *err);
/* Reads the next value of a pull reader into its own document (one record of a large export,
   say). ERR_NOT_FOUND, consuming nothing, when the next event does not start a value.
   Chunked strings are gathered whole here (up to max_string). The document uses the reader's
   allocator and outlives the reader. */
LLMSPELL_DEF llmspell_result llmspell_json_read_value(llmspell_json_reader *r, llmspell_json_doc **doc);
/* Reuse: an empty document (allocator may be NULL) whose memory the _into functions recycle.
   Each _into call first empties doc (every value from it becomes invalid), keeps its memory,
   and builds the new tree there: parsing many documents or records into one doc allocates
   nothing once it has grown (a larger document, or one of another shape, may add blocks). On
   failure doc is left empty (root null). Free with llmspell_json_doc_free. */
LLMSPELL_DEF llmspell_result llmspell_json_doc_new(const llmspell_allocator *allocator, llmspell_json_doc **doc);
LLMSPELL_DEF llmspell_result llmspell_json_parse_into(llmspell_json_doc *doc, const void *data, size_t len,
                                                      const llmspell_json_read_options *opts, llmspell_json_error *err);
LLMSPELL_DEF llmspell_result llmspell_json_read_value_into(llmspell_json_reader *r, llmspell_json_doc *doc);
/* The root value; valid until llmspell_json_doc_free. */
LLMSPELL_DEF const llmspell_json_value *llmspell_json_doc_root(const llmspell_json_doc *doc);
/* Bytes of the document's arena (for memory accounting). */
LLMSPELL_DEF size_t llmspell_json_doc_memory(const llmspell_json_doc *doc);
LLMSPELL_DEF void llmspell_json_doc_free(llmspell_json_doc *doc);
/* The member of obj named key (NUL-terminated) or key[0..klen); NULL when obj is not an object
   or has no such key. With duplicate keys the last one wins, as in JavaScript. Linear. */
LLMSPELL_DEF const llmspell_json_value *llmspell_json_get(const llmspell_json_value *obj, const char *key);
LLMSPELL_DEF const llmspell_json_value *llmspell_json_getn(const llmspell_json_value *obj, const char *key, size_t klen);
/* Item i of an array; NULL when out of range or not an array. */
LLMSPELL_DEF const llmspell_json_value *llmspell_json_at(const llmspell_json_value *arr, size_t i);
/* Writes a DOM value (numbers from their original text when they have one). */
LLMSPELL_DEF llmspell_result llmspell_json_write_value(llmspell_json_writer *w, const llmspell_json_value *v);

/* >>json-canonical =========================================================================
   The family's one form for a stored JSON value (vec metadata, graph properties), so that what
   vec or graph accepts, export writes and import reads back to the same bytes. Read with one
   set of rules: RFC 8259 strict, a duplicate key is ERR_PARSE, a number past the double range
   is ERR_TOO_LARGE, at most LLMSPELL_JSON_STORED_DEPTH levels (ERR_TOO_LARGE). Written compact
   by the writer: strings decoded and escaped one way (only '"', '\\' and control characters are
   escaped), numbers exactly as written, members in document order or, with
   LLMSPELL_JSON_CANON_SORT, ordered by llmspell_json_key_compare at every level. */
#define LLMSPELL_JSON_STORED_DEPTH 128
#define LLMSPELL_JSON_CANON_SORT 0x1u   /* members sorted by key at every level */
#define LLMSPELL_JSON_CANON_OBJECT 0x2u /* the value must be an object (ERR_INVALID otherwise) */
/* The read options of the stored-value rules above (for callers that parse such values). */
LLMSPELL_DEF void llmspell_json_stored_options(llmspell_json_read_options *o, const llmspell_allocator *a);
/* Parses text[0..n) into doc (reused: earlier values from it become invalid) and writes its
   canonical form to sink. On failure err (may be NULL) says what and where; sink may have
   received part of the output. */
LLMSPELL_DEF llmspell_result llmspell_json_canonical(llmspell_json_doc *doc, const void *text, size_t n, unsigned flags,
                                                     llmspell_json_sink sink, void *user, llmspell_json_error *err);
/* Canonical member order: the decoded key bytes compared with memcmp, a prefix first. */
LLMSPELL_DEF int llmspell_json_key_compare(const char *a, size_t an, const char *b, size_t bn);

/* >>stores =================================================================================
   Export / import of a whole llmspell_kv (root or tenant view) in the llmspell v1.0 format
   (reference/llmspell-export-v1.md; field names as rs-llmspell writes them).

   Export walks the store's keys directly (no collection or graph is opened, so memory does not
   grow with the store or the output: one record at a time plus a few small tables) and writes:
     kv_store          the user keys of every tenant: {kv_id, tenant_id, key, value (base64),
                       metadata, created_at, updated_at}, all from what llmspell_kv.h keeps
                       about each entry (>>entries there): the times of its puts, and the
                       kv_id and metadata (a string holding JSON, or null) an import gave it;
                       without those, a UUID derived from the key (stable between exports)
                       and null. Import gives them back to kv (llmspell_kv_put_info).
     vector_embeddings every record of every collection, grouped by dimension ("3": [...]),
                       embedding = base64 of little-endian float32, plus two fields of ours:
                       "collection" (the collection name) and "expires_at" (only when the record
                       has a TTL). Collection settings go in a top-level "llmspell_collections"
                       array [{tenant_id, name, metric, M, ef_construction, ef_search}, plus
                       "quantization" ("f16" or "int8") for a quantized collection] so that
                       empty collections and settings survive. Embeddings are the kept
                       float32 whatever the quantization. Both are extensions: a reader that
                       ignores unknown fields (serde's default; the reference does not say
                       whether rs-llmspell sets deny_unknown_fields) is unaffected.
     knowledge_graph   every version of every entity / relationship with its four times;
                       +infinity is 9223372036854775807, -infinity -9223372036854775808.
     other sections    (procedural_memory, agent_state, ..., and any unknown data key) that an
                       earlier import stored: written back element by element, compact. They are
                       kept whole (not per tenant) under 0xFF 'X' of the handle the import was
                       given, and exported from the handle that holds them.
   Records are in key order (tenant, then collection/id/times), numbers keep their text, and
   JSON members (metadata, properties) are written compact: two exports of the same content
   give the same `data` bytes whatever the backend.

   Tenants: a tenant view keeps its keys as 0xFF 'T' tuple(tenant) + key in its parent. An
   export of a handle writes the handle's own data with tenant_id = options.tenant_id (default
   "") and the data of every tenant view under it (one level: views nested in views are
   skipped and counted in skipped_keys) with its tenant id. Import maps back the same way:
   tenant_id equal to options.tenant_id (default "") goes to the handle itself, any other to
   the tenant view of that id under the handle. So exporting a tenant view exports just that
   tenant (as tenant "", or the label you give).

   Text that is not valid UTF-8 (kv keys, tenant ids, vector / entity ids, names, types,
   scopes, collection names: all are bytes to us) is written "b64:" + base64 of the bytes; so
   is text that itself starts with "b64:", and the tenant view whose id is empty ("b64:").
   Import decodes the same rule, so every key round-trips.

   Import reads the document twice. Pass 1 validates everything without writing: version
   major 1 (ERR_FORMAT otherwise), types, required fields, limits, base64, dimensions,
   duplicates in a section (ERR_CONFLICT), relationship endpoints (an entity in the file or in
   the target), a graph id that already has versions in the target (ERR_CONFLICT: imports do
   not merge histories), a collection whose settings differ from the target's. Pass 2 writes
   everything in ONE kv transaction on the target; on any failure it rolls back, so the store
   is unchanged. Errors fill llmspell_json_error: "line L, column C: what (at
   data.knowledge_graph.entities[17].valid_time_end)". Memory: pass 1 keeps the identity of
   each record (its key bytes + about 40 bytes) to find duplicates, and the current graph
   versions' intervals; vectors and values are never held beyond one record.
   Vectors and graph records are written in their stored forms (llmspell_vec.h and
   llmspell_graph.h >>storage): a collection's settings get a new generation so its HNSW graph
   is rebuilt the next time it is opened, and the graph's meta record gets the last
   transaction time. Close vec and graph handles of the target before importing. The first
   llmspell_vec_open of an imported collection builds its HNSW graph from the records (and
   saves it), which takes as long as adding them would.
   Existing kv keys and vector ids are replaced; unknown sections replace the stored section
   of the same name.
   Embedding forms read: base64 of little-endian float32, base64 of "[0.1,...]" text, bare
   "[0.1,...]" text, and "" (rs-llmspell's SQLite export lost the vector): ERR_INVALID unless
   skip_empty_embeddings, which skips and counts the record. Decoded bytes that start with '['
   are read as text, as rs-llmspell does, unless they are exactly dimension * 4 bytes and not
   a JSON array of `dimension` numbers: about 1 float32 vector in 256 starts with that byte,
   and rs-llmspell's importer misreads those (a defect of the format, not of our files). */

/* Counts per section: rs-llmspell's ImportStats, plus ours. */
typedef struct llmspell_export_stats {
    size_t vectors, entities, relationships, patterns, agent_states, kv_entries, workflow_states,
        sessions, artifact_content, artifacts, events, hooks;
    size_t total;                    /* the sum of the twelve above */
    size_t collections;              /* vector collections (listed or used) */
    size_t skipped_empty_embeddings; /* import with skip_empty_embeddings */
    size_t skipped_keys;             /* export: system keys of no known kind (not exported) */
} llmspell_export_stats;

typedef enum llmspell_export_phase {
    LLMSPELL_EXPORT_PHASE_EXPORT = 1, /* writing */
    LLMSPELL_EXPORT_PHASE_VALIDATE,   /* import pass 1 */
    LLMSPELL_EXPORT_PHASE_APPLY       /* import pass 2 */
} llmspell_export_phase;

typedef struct llmspell_export_progress {
    llmspell_export_phase phase;
    uint64_t records; /* records of this phase so far */
    uint64_t bytes;   /* JSON bytes written (export) or read (import) so far */
} llmspell_export_progress;
/* Called every `progress_every` records and once at the end of a phase. Return 0 to go on,
   non-zero to stop: the call then fails with ERR_INVALID ("cancelled") and, on import,
   nothing is written. */
typedef int (*llmspell_export_progress_fn)(void *user, const llmspell_export_progress *p);

/* All-zero (or NULL) means the defaults. */
typedef struct llmspell_export_options {
    const char *tenant_id;      /* tenant_id of the handle's own data (NULL: "") */
    const char *source_backend; /* NULL: llmspell_kv_name(kv) */
    llmspell_clock clock;       /* exported_at */
    llmspell_export_progress_fn progress;
    void *progress_user;
    uint64_t progress_every;    /* 0: 10000 */
} llmspell_export_options;

typedef struct llmspell_import_options {
    llmspell_allocator allocator;     /* scratch memory (all-zero: the kv's allocator) */
    const char *tenant_id;            /* records of this tenant_id go to the handle itself (NULL: "") */
    const char *default_collection;   /* vectors without "collection" (NULL: "default") */
    int skip_empty_embeddings;        /* skip (and count) vectors whose embedding is "" */
    int times_in_seconds;             /* rs-llmspell SQLite exports: every time is in seconds
                                         and 9999999999 means +infinity */
    size_t max_string;                /* longest string token (0: 128 MiB) */
    llmspell_clock clock;             /* times of records that give null */
    int validate_only;                /* pass 1 only: check the input against kv, write nothing;
                                         stats are what an import would write */
    llmspell_export_progress_fn progress;
    void *progress_user;
    uint64_t progress_every;          /* 0: 10000 */
} llmspell_import_options;

/* Writes the whole export of kv (one JSON object) to w, which must be empty; the caller
   finishes and frees w. The export reads one state of the store (a read snapshot, see
   llmspell_kv_read_begin): writers in other threads wait until it ends, and the progress
   callback must not write to the store. stats (may be NULL) receives the counts written; err (may be NULL) the
   failure: a kv read error (message from llmspell_kv_errmsg), a writer error (ERR_IO from a
   FILE*, the sink's code), ERR_CORRUPT for a stored record that does not parse. */
LLMSPELL_DEF llmspell_result llmspell_export_store(llmspell_kv *kv, llmspell_json_writer *w,
                                                   const llmspell_export_options *opts,
                                                   llmspell_export_stats *stats, llmspell_json_error *err);
/* Convenience: export to f (compact), flushed. */
LLMSPELL_DEF llmspell_result llmspell_export_store_file(llmspell_kv *kv, FILE *f, const llmspell_export_options *opts,
                                                        llmspell_export_stats *stats, llmspell_json_error *err);
/* Imports data[0..len) into kv (see above). kv must have no open transaction (ERR_TXN).
   stats and err may be NULL; on failure stats are zero. */
LLMSPELL_DEF llmspell_result llmspell_export_import_buffer(llmspell_kv *kv, const void *data, size_t len,
                                                           const llmspell_import_options *opts,
                                                           llmspell_export_stats *stats, llmspell_json_error *err);
/* The same from f, read from its current position to the end, twice (f must be seekable). */
LLMSPELL_DEF llmspell_result llmspell_export_import_file(llmspell_kv *kv, FILE *f, const llmspell_import_options *opts,
                                                         llmspell_export_stats *stats, llmspell_json_error *err);
/* Backend-to-backend copy through the same code: exports `from` into `scratch` (a FILE*
   opened for reading and writing, e.g. tmpfile(); NULL: tmpfile() is used and closed), then
   imports it into `to` in one transaction. Memory stays bounded as for export and import; the
   progress callbacks of both options are called. */
LLMSPELL_DEF llmspell_result llmspell_export_migrate(llmspell_kv *from, llmspell_kv *to, FILE *scratch,
                                                     const llmspell_export_options *eopts,
                                                     const llmspell_import_options *iopts,
                                                     llmspell_export_stats *stats, llmspell_json_error *err);

#ifdef __cplusplus
}
#endif
#endif /* LLMSPELL_EXPORT_H */

/* ======================================================================================== */
/*                                     IMPLEMENTATION                                       */
/* ======================================================================================== */
#if defined(LLMSPELL_IMPLEMENTATION) && !defined(LLMSPELL_EXPORT_IMPLEMENTATION)
#define LLMSPELL_EXPORT_IMPLEMENTATION
#endif

#ifdef LLMSPELL_EXPORT_IMPLEMENTATION
#ifndef LLMSPELL_EXPORT_IMPLEMENTATION_ONCE
#define LLMSPELL_EXPORT_IMPLEMENTATION_ONCE

/* The stored forms of vec and graph: export and import read and write them through their
   owners' stored-form sections, compiled here as static functions (no link to vec or graph). */
#include "llmspell_vec.h"
#include "llmspell_graph.h"

#include <float.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* LLMSPELL_MALLOC / REALLOC / FREE: llmspell_kv.h's shared section */

/* One place decides the SIMD paths: x86-64 with GCC, clang or MSVC. SSE2 is part of x86-64;
   SSSE3 code is compiled per function (a target attribute on GCC / clang; MSVC compiles the
   intrinsics without flags) and only called after a CPU check (llmspell__ex_has_ssse3). */
#if defined(__x86_64__) || (defined(_M_X64) && !defined(_M_ARM64EC))
#define LLMSPELL__EX_X64 1
#else
#define LLMSPELL__EX_X64 0
#endif
#if defined(__GNUC__) || defined(__clang__) || defined(_MSC_VER)
#define LLMSPELL__EX_SIMD_CC 1
#else
#define LLMSPELL__EX_SIMD_CC 0
#endif
#if !defined(LLMSPELL_EXPORT_NO_SIMD) && LLMSPELL__EX_X64 && LLMSPELL__EX_SIMD_CC
#define LLMSPELL__EX_SSE2 1
#define LLMSPELL__EX_SSSE3 1
#include <immintrin.h>
#if defined(_MSC_VER) && defined(__clang__) /* clang-cl before 19: immintrin.h leaves out what -m does not enable */
#include <tmmintrin.h>
#endif
#else
#define LLMSPELL__EX_SSE2 0
#define LLMSPELL__EX_SSSE3 0
#endif
/* AArch64 always has NEON (Advanced SIMD): the JSON string and whitespace loops use it there. */
#if !defined(LLMSPELL_EXPORT_NO_SIMD) && (defined(__aarch64__) || defined(_M_ARM64)) && LLMSPELL__EX_SIMD_CC
#define LLMSPELL__EX_NEON 1
#include <arm_neon.h>
#else
#define LLMSPELL__EX_NEON 0
#endif
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__EX_TARGET(t) __attribute__((target(t)))
#else
#define LLMSPELL__EX_TARGET(t)
#endif

/* Bit scans: the compiler's builtins, MSVC's intrinsics, else a loop. */
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

/* A hot function the compiler should copy into its callers (C99 inline alone is a hint). */
#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__EX_INLINE __attribute__((always_inline)) static inline
#elif defined(_MSC_VER)
#define LLMSPELL__EX_INLINE static __forceinline
#else
#define LLMSPELL__EX_INLINE static
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LLMSPELL__EX_LIKELY(x) __builtin_expect(!!(x), 1)
#define LLMSPELL__EX_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LLMSPELL__EX_LIKELY(x) (x)
#define LLMSPELL__EX_UNLIKELY(x) (x)
#endif

/* >>ex-alloc ------------------------------------------------------------------------------ */

static void *llmspell__ex_alloc(const llmspell_allocator *a, size_t n) {
    if (n == 0) n = 1;
    return a->alloc ? a->alloc(a->ctx, n) : LLMSPELL_MALLOC(n);
}

static void llmspell__ex_free(const llmspell_allocator *a, void *p) {
    if (!p) return;
    if (a->alloc) {
        if (a->free) a->free(a->ctx, p);
    } else {
        LLMSPELL_FREE(p);
    }
}

/* realloc through the allocator; a user allocator without realloc gets alloc + copy + free. */
static void *llmspell__ex_realloc(const llmspell_allocator *a, void *p, size_t old, size_t n) {
    void *q;
    if (n == 0) n = 1;
    if (!a->alloc) return LLMSPELL_REALLOC(p, n);
    if (a->realloc) return a->realloc(a->ctx, p, n);
    if (!(q = a->alloc(a->ctx, n))) return NULL;
    if (p) {
        memcpy(q, p, old < n ? old : n);
        if (a->free) a->free(a->ctx, p);
    }
    return q;
}

/* Grows *p (an array of *cap elements of size elem) to hold at least need elements, doubling.
   Returns 0, or -1 on overflow or allocation failure (then *p is unchanged). */
static int llmspell__ex_grow(const llmspell_allocator *a, void **p, size_t *cap, size_t need, size_t elem) {
    size_t nc = *cap ? *cap : 16;
    void *q;
    if (need <= *cap) return 0;
    while (nc < need) {
        if (nc > ((size_t)-1) / 2) return -1;
        nc *= 2;
    }
    if (nc > ((size_t)-1) / elem) return -1;
    if (!(q = llmspell__ex_realloc(a, *p, *cap * elem, nc * elem))) return -1;
    *p = q;
    *cap = nc;
    return 0;
}

/* A user allocator must give alloc and free (realloc is optional). */
static int llmspell__ex_allocator_ok(const llmspell_allocator *a) { return !a->alloc || a->free; }

/* Whether the SSSE3 code may run, for an input of n bytes or characters. Known when the build
   targets SSSE3 (-mssse3, -march=x86-64-v2, /arch:AVX). Otherwise GCC and clang keep the CPU's
   answer themselves (their runtime fills it in before main, as for llmspell_crc32c), and other
   compilers (MSVC, clang-cl) ask llmspell_cpu_features: a few cpuid instructions, which a
   hypervisor traps (about 9 us each time on a cloud VM), so only for inputs of at least
   LLMSPELL__EX_ASK bytes, where SSSE3 pays that back; smaller ones take the portable path. No
   answer is kept between calls (the family keeps no global mutable state). */
#define LLMSPELL__EX_ASK ((size_t)32 * 1024)
static int llmspell__ex_has_ssse3(size_t n) {
#if !LLMSPELL__EX_SSSE3
    (void)n;
    return 0;
#elif defined(__SSSE3__) || defined(__AVX__)
    (void)n;
    return 1;
#elif (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER)
    (void)n;
    return __builtin_cpu_supports("ssse3") ? 1 : 0;
#else
    return n >= LLMSPELL__EX_ASK && (llmspell_cpu_features() & LLMSPELL_CPU_SSSE3) != 0;
#endif
}

/* >>utf8 ---------------------------------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (n >= 1 bytes available): 1..4 when valid (RFC 3629), 0
   when invalid, -1 when valid so far but cut short by the end of the bytes. */
static int llmspell__ex_utf8(const unsigned char *s, size_t n) {
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    int need, i;
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0; /* a continuation byte, or an overlong 2-byte lead */
    if (c < 0xE0) {
        need = 2;
    } else if (c < 0xF0) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;      /* overlong */
        else if (c == 0xED) hi = 0x9F; /* UTF-16 surrogates */
    } else if (c < 0xF5) {
        need = 4;
        if (c == 0xF0) lo = 0x90;      /* overlong */
        else if (c == 0xF4) hi = 0x8F; /* past U+10FFFF */
    } else {
        return 0;
    }
    for (i = 1; i < need; i++) {
        if ((size_t)i >= n) return -1;
        if (i == 1 ? (s[1] < lo || s[1] > hi) : ((s[i] & 0xC0) != 0x80)) return 0;
    }
    return need;
}

#if LLMSPELL__EX_SSSE3
/* UTF-8 checked 16 bytes at a time (after Keiser and Lemire, "Validating UTF-8 in less than one
   instruction per byte", 2021). Every error shows in a pair of neighbouring bytes: three table
   lookups, by the high nibble of the first byte, its low nibble and the high nibble of the
   second, each give the error kinds that nibble allows, and a kind all three allow is there.
   Continuations where a 3- or 4-byte form needs them are checked apart, from the bytes two and
   three back. 1 when s[0..n) is valid, else 0 (the scalar loop then finds where). */
#define LLMSPELL__U8_SHORT 0x01     /* a lead without its continuation */
#define LLMSPELL__U8_LONG 0x02      /* a continuation after ASCII */
#define LLMSPELL__U8_OVER3 0x04     /* E0 80..9F */
#define LLMSPELL__U8_LARGE 0x08     /* F4 90..BF, F5..FF 90..BF */
#define LLMSPELL__U8_SURR 0x10      /* ED A0..BF */
#define LLMSPELL__U8_OVER2 0x20     /* C0, C1 */
#define LLMSPELL__U8_OVER4 0x40     /* F0 80..8F; also F5..FF 80..8F (LARGE's other half) */
#define LLMSPELL__U8_CONTS 0x80     /* two continuations: right only inside a 3- or 4-byte form */
#define LLMSPELL__U8_ANY (LLMSPELL__U8_SHORT | LLMSPELL__U8_LONG | LLMSPELL__U8_CONTS)
LLMSPELL__EX_TARGET("ssse3") static int llmspell__utf8_ssse3(const unsigned char *s, size_t n) {
    const __m128i hi1 = _mm_setr_epi8(
        LLMSPELL__U8_LONG, LLMSPELL__U8_LONG, LLMSPELL__U8_LONG, LLMSPELL__U8_LONG, LLMSPELL__U8_LONG, LLMSPELL__U8_LONG,
        LLMSPELL__U8_LONG, LLMSPELL__U8_LONG, (char)LLMSPELL__U8_CONTS, (char)LLMSPELL__U8_CONTS, (char)LLMSPELL__U8_CONTS,
        (char)LLMSPELL__U8_CONTS, LLMSPELL__U8_SHORT | LLMSPELL__U8_OVER2, LLMSPELL__U8_SHORT,
        LLMSPELL__U8_SHORT | LLMSPELL__U8_OVER3 | LLMSPELL__U8_SURR, LLMSPELL__U8_SHORT | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4);
    const __m128i lo1 = _mm_setr_epi8(
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_OVER3 | LLMSPELL__U8_OVER2 | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_OVER2),
        (char)LLMSPELL__U8_ANY, (char)LLMSPELL__U8_ANY, (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4 | LLMSPELL__U8_SURR),
        (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4), (char)(LLMSPELL__U8_ANY | LLMSPELL__U8_LARGE | LLMSPELL__U8_OVER4));
    const __m128i hi2 = _mm_setr_epi8(
        LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT,
        LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT,
        (char)(LLMSPELL__U8_LONG | LLMSPELL__U8_OVER2 | LLMSPELL__U8_CONTS | LLMSPELL__U8_OVER3 | LLMSPELL__U8_OVER4),
        (char)(LLMSPELL__U8_LONG | LLMSPELL__U8_OVER2 | LLMSPELL__U8_CONTS | LLMSPELL__U8_OVER3 | LLMSPELL__U8_LARGE),
        (char)(LLMSPELL__U8_LONG | LLMSPELL__U8_OVER2 | LLMSPELL__U8_CONTS | LLMSPELL__U8_SURR | LLMSPELL__U8_LARGE),
        (char)(LLMSPELL__U8_LONG | LLMSPELL__U8_OVER2 | LLMSPELL__U8_CONTS | LLMSPELL__U8_SURR | LLMSPELL__U8_LARGE),
        LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT, LLMSPELL__U8_SHORT);
    const __m128i nib = _mm_set1_epi8(0x0F), x80 = _mm_set1_epi8((char)0x80);
    __m128i prev = _mm_setzero_si128(), err = _mm_setzero_si128();
    unsigned char tail[32];
    size_t i = 0;
    for (;;) {
        __m128i cur, p1, p2, p3, sc, must;
        if (n - i >= 16) {
            cur = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        } else { /* the rest, then zeros (also a whole block of them after a last full one): a
                    form cut short by the end meets ASCII there and shows as an error */
            memset(tail, 0, sizeof tail);
            memcpy(tail, s + i, n - i);
            cur = _mm_loadu_si128((const __m128i *)(const void *)tail);
        }
        if (!_mm_movemask_epi8(_mm_or_si128(cur, prev)) && n - i >= 16) { /* ASCII after ASCII */
            prev = cur;
            i += 16;
            continue;
        }
        p1 = _mm_alignr_epi8(cur, prev, 15);
        p2 = _mm_alignr_epi8(cur, prev, 14);
        p3 = _mm_alignr_epi8(cur, prev, 13);
        sc = _mm_and_si128(_mm_and_si128(_mm_shuffle_epi8(hi1, _mm_and_si128(_mm_srli_epi16(p1, 4), nib)),
                                         _mm_shuffle_epi8(lo1, _mm_and_si128(p1, nib))),
                           _mm_shuffle_epi8(hi2, _mm_and_si128(_mm_srli_epi16(cur, 4), nib)));
        must = _mm_and_si128(_mm_or_si128(_mm_subs_epu8(p2, _mm_set1_epi8(0x60)), _mm_subs_epu8(p3, _mm_set1_epi8(0x70))), x80);
        err = _mm_or_si128(err, _mm_xor_si128(must, sc));
        if (n - i < 16) break;
        prev = cur;
        i += 16;
    }
    return _mm_movemask_epi8(_mm_cmpeq_epi8(err, _mm_setzero_si128())) == 0xFFFF;
}
#endif

LLMSPELL_DEF int llmspell_json_utf8_valid(const void *s, size_t n, size_t *bad) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (!s && n) {
        if (bad) *bad = 0;
        return 0;
    }
#if LLMSPELL__EX_SSSE3
    if (n >= 16 && llmspell__ex_has_ssse3(n) && llmspell__utf8_ssse3(p, n)) return 1; /* else the loop says where */
#endif
    while (i < n) {
        int k;
        if (p[i] < 0x80) {
            /* ASCII runs 16 or 8 bytes at a time */
#if LLMSPELL__EX_SSE2
            while (i + 16 <= n && !_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)))) i += 16;
#endif
            while (i + 8 <= n) {
                uint64_t x;
                memcpy(&x, p + i, 8);
                if (x & 0x8080808080808080ull) break;
                i += 8;
            }
            while (i < n && p[i] < 0x80) i++;
            continue;
        }
        /* the common 3-byte (most of CJK) and 2-byte forms inline; the rest, and errors, below */
        if (p[i] >= 0xE1 && p[i] <= 0xEF && p[i] != 0xED && n - i >= 3 && (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
            i += 3;
            continue;
        }
        if (p[i] >= 0xC2 && p[i] < 0xE0 && n - i >= 2 && (p[i + 1] & 0xC0) == 0x80) {
            i += 2;
            continue;
        }
        k = llmspell__ex_utf8(p + i, n - i);
        if (k <= 0) {
            if (bad) *bad = i;
            return 0;
        }
        i += (size_t)k;
    }
    return 1;
}

/* >>base64 -------------------------------------------------------------------------------- */

static const char llmspell__b64_chars[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Table of the TABLE and SSSE3 paths: the 6-bit value of a character, 0xFF when not base64. */
static const unsigned char llmspell__b64_dtab[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 62,  255, 255, 255, 63,
    52,  53,  54,  55,  56,  57,  58,  59,  60,  61,  255, 255, 255, 255, 255, 255,
    255, 0,   1,   2,   3,   4,   5,   6,   7,   8,   9,   10,  11,  12,  13,  14,
    15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25,  255, 255, 255, 255, 255,
    255, 26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
    41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51,  255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255};

/* The reference: the value of one character by comparisons, -1 when not base64. */
static int llmspell__b64_val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

LLMSPELL_DEF size_t llmspell_b64_encoded_len(size_t n) {
    size_t groups = n / 3 + (n % 3 != 0);
    if (groups > ((size_t)-1) / 4) return (size_t)-1;
    return groups * 4;
}

LLMSPELL_DEF size_t llmspell_b64_decoded_max(size_t n) { return (n / 4 + (n % 4 != 0)) * 3; }

LLMSPELL_DEF llmspell_b64_impl llmspell_b64_best(void) {
    return llmspell__ex_has_ssse3((size_t)-1) ? LLMSPELL_B64_SSSE3 : LLMSPELL_B64_TABLE;
}

/* What AUTO means for an input of n bytes or characters. */
static llmspell_b64_impl llmspell__b64_auto(size_t n) {
    return llmspell__ex_has_ssse3(n) ? LLMSPELL_B64_SSSE3 : LLMSPELL_B64_TABLE;
}

LLMSPELL_DEF const char *llmspell_b64_impl_name(llmspell_b64_impl impl) {
    switch (impl) {
    case LLMSPELL_B64_AUTO: return "auto";
    case LLMSPELL_B64_SCALAR: return "scalar";
    case LLMSPELL_B64_TABLE: return "table";
    case LLMSPELL_B64_SSSE3: return "ssse3";
    }
    return "unknown";
}

/* Encoders: each writes 4 characters per 3 bytes for the part it handles and returns the
   number of input bytes done; the scalar one finishes the tail with padding. */
static void llmspell__b64_enc_scalar(char *out, const unsigned char *in, size_t n) {
    const char *t = llmspell__b64_chars;
    size_t i = 0;
    for (; i + 3 <= n; i += 3, out += 4) {
        out[0] = t[in[i] >> 2];
        out[1] = t[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[2] = t[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        out[3] = t[in[i + 2] & 63];
    }
    if (n - i == 1) {
        out[0] = t[in[i] >> 2];
        out[1] = t[(in[i] & 3) << 4];
        out[2] = out[3] = '=';
    } else if (n - i == 2) {
        out[0] = t[in[i] >> 2];
        out[1] = t[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        out[2] = t[(in[i + 1] & 15) << 2];
        out[3] = '=';
    }
}

static size_t llmspell__b64_enc_table(char *out, const unsigned char *in, size_t n) {
    const char *t = llmspell__b64_chars;
    size_t i = 0;
    /* 12 bytes -> 48 characters per step, through 24-bit words */
    for (; i + 12 <= n; i += 12, out += 16) {
        int k;
        for (k = 0; k < 4; k++) {
            uint32_t x = ((uint32_t)in[i + 3 * k] << 16) | ((uint32_t)in[i + 3 * k + 1] << 8) | in[i + 3 * k + 2];
            out[4 * k] = t[x >> 18];
            out[4 * k + 1] = t[(x >> 12) & 63];
            out[4 * k + 2] = t[(x >> 6) & 63];
            out[4 * k + 3] = t[x & 63];
        }
    }
    return i;
}

#if LLMSPELL__EX_SSSE3
/* Wojciech Mula's and Alfred Klomp's SSSE3 base64 (aklomp/base64, BSD-2): 12 bytes -> 16
   characters. Reads 16 input bytes per step, so it stops 4 bytes early. */
LLMSPELL__EX_TARGET("ssse3") static size_t llmspell__b64_enc_ssse3(char *out, const unsigned char *in,
                                                                       size_t n) {
    size_t i = 0;
    const __m128i shuf = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
    const __m128i lut = _mm_setr_epi8(65, 71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 0, 0);
    for (; i + 16 <= n; i += 12, out += 16) {
        __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(in + i)), shuf);
        __m128i t0 = _mm_and_si128(v, _mm_set1_epi32(0x0FC0FC00));
        __m128i t1 = _mm_mulhi_epu16(t0, _mm_set1_epi32(0x04000040));
        __m128i t2 = _mm_and_si128(v, _mm_set1_epi32(0x003F03F0));
        __m128i t3 = _mm_mullo_epi16(t2, _mm_set1_epi32(0x01000010));
        __m128i idx = _mm_or_si128(t1, t3); /* 16 six-bit values */
        __m128i r = _mm_subs_epu8(idx, _mm_set1_epi8(51));
        r = _mm_sub_epi8(r, _mm_cmpgt_epi8(idx, _mm_set1_epi8(25)));
        _mm_storeu_si128((__m128i *)(void *)out, _mm_add_epi8(idx, _mm_shuffle_epi8(lut, r)));
    }
    return i;
}
#endif

LLMSPELL_DEF llmspell_result llmspell_b64_encode_with(llmspell_b64_impl impl, char *out, const void *in, size_t n,
                                                      size_t *out_len) {
    const unsigned char *p = (const unsigned char *)in;
    size_t done = 0, len = llmspell_b64_encoded_len(n);
    if (out_len) *out_len = 0;
    if ((!out || !in) && n) return LLMSPELL_ERR_INVALID;
    if (len == (size_t)-1) return LLMSPELL_ERR_TOO_LARGE;
    if (impl == LLMSPELL_B64_AUTO) impl = llmspell__b64_auto(n);
    switch (impl) {
    case LLMSPELL_B64_SCALAR: break;
    case LLMSPELL_B64_TABLE: done = llmspell__b64_enc_table(out, p, n); break;
    case LLMSPELL_B64_SSSE3:
#if LLMSPELL__EX_SSSE3
        if (!llmspell__ex_has_ssse3((size_t)-1)) return LLMSPELL_ERR_UNSUPPORTED;
        done = llmspell__b64_enc_ssse3(out, p, n);
        done += llmspell__b64_enc_table(out + done / 3 * 4, p + done, n - done);
        break;
#else
        return LLMSPELL_ERR_UNSUPPORTED;
#endif
    default: return LLMSPELL_ERR_INVALID;
    }
    llmspell__b64_enc_scalar(out + done / 3 * 4, p + done, n - done);
    if (out_len) *out_len = len;
    return LLMSPELL_OK;
}

LLMSPELL_DEF size_t llmspell_b64_encode(char *out, const void *in, size_t n) {
    size_t len = 0;
    if (llmspell_b64_encode_with(LLMSPELL_B64_AUTO, out, in, n, &len) != LLMSPELL_OK) return 0;
    return len;
}

/* Decodes one group of 4 characters that may end with padding, by the reference rules.
   Returns the bytes written (3, or 2 / 1 for a padded group), or -1 - i when character i is the
   first at which the input stops being a prefix of valid base64. */
static int llmspell__b64_group(const unsigned char *g, unsigned char *o) {
    int v0, v1, v2, v3;
    if ((v0 = llmspell__b64_val(g[0])) < 0) return -1;
    if ((v1 = llmspell__b64_val(g[1])) < 0) return -2;
    if (g[2] == '=') {
        if (v1 & 15) return -3; /* the bits the padding drops must be zero */
        if (g[3] != '=') return -4;
        o[0] = (unsigned char)((v0 << 2) | (v1 >> 4));
        return 1;
    }
    if ((v2 = llmspell__b64_val(g[2])) < 0) return -3;
    if (g[3] == '=') {
        if (v2 & 3) return -4;
        o[0] = (unsigned char)((v0 << 2) | (v1 >> 4));
        o[1] = (unsigned char)(((v1 & 15) << 4) | (v2 >> 2));
        return 2;
    }
    if ((v3 = llmspell__b64_val(g[3])) < 0) return -4;
    o[0] = (unsigned char)((v0 << 2) | (v1 >> 4));
    o[1] = (unsigned char)(((v1 & 15) << 4) | (v2 >> 2));
    o[2] = (unsigned char)(((v2 & 3) << 6) | v3);
    return 3;
}

/* The first offending index in an incomplete group g[0..k) (k < 4), or k when it is a valid
   prefix (then only the end of the input is wrong). */
static size_t llmspell__b64_prefix_bad(const unsigned char *g, size_t k) {
    int v1 = 0;
    size_t i;
    for (i = 0; i < k; i++) {
        if (i == 2 && g[2] == '=') {
            if (v1 & 15) return 2;
            continue;
        }
        if (llmspell__b64_val(g[i]) < 0) return i;
        if (i == 1) v1 = llmspell__b64_val(g[1]);
    }
    return k;
}

/* Body decoders: decode whole groups of in[0..n) (n a multiple of 4, no group is the last of
   the input) and return the characters done: all, or up to the group holding the first
   character they reject ('=' included), which the reference then examines. */
static size_t llmspell__b64_dec_table(unsigned char *out, const unsigned char *in, size_t n) {
    const unsigned char *t = llmspell__b64_dtab;
    size_t i = 0;
    for (; i + 8 <= n; i += 8, out += 6) {
        uint32_t a0 = t[in[i]], a1 = t[in[i + 1]], a2 = t[in[i + 2]], a3 = t[in[i + 3]];
        uint32_t b0 = t[in[i + 4]], b1 = t[in[i + 5]], b2 = t[in[i + 6]], b3 = t[in[i + 7]];
        uint32_t x, y;
        if ((a0 | a1 | a2 | a3 | b0 | b1 | b2 | b3) & 0x80) break;
        x = (a0 << 18) | (a1 << 12) | (a2 << 6) | a3;
        y = (b0 << 18) | (b1 << 12) | (b2 << 6) | b3;
        out[0] = (unsigned char)(x >> 16);
        out[1] = (unsigned char)(x >> 8);
        out[2] = (unsigned char)x;
        out[3] = (unsigned char)(y >> 16);
        out[4] = (unsigned char)(y >> 8);
        out[5] = (unsigned char)y;
    }
    for (; i + 4 <= n; i += 4, out += 3) {
        uint32_t a0 = t[in[i]], a1 = t[in[i + 1]], a2 = t[in[i + 2]], a3 = t[in[i + 3]], x;
        if ((a0 | a1 | a2 | a3) & 0x80) break;
        x = (a0 << 18) | (a1 << 12) | (a2 << 6) | a3;
        out[0] = (unsigned char)(x >> 16);
        out[1] = (unsigned char)(x >> 8);
        out[2] = (unsigned char)x;
    }
    return i;
}

#if LLMSPELL__EX_SSSE3
/* 16 characters -> 12 bytes per step (Mula / Klomp, as above); stores 16 bytes, so it stops
   while fewer than 24 characters remain. Any invalid character ends it at its block. */
LLMSPELL__EX_TARGET("ssse3") static size_t llmspell__b64_dec_ssse3(unsigned char *out, const unsigned char *in,
                                                                       size_t n) {
    const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1A,
                                         0x1B, 0x1B, 0x1B, 0x1A);
    const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10,
                                         0x10, 0x10, 0x10, 0x10);
    const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0);
    const __m128i mask_2f = _mm_set1_epi8(0x2F);
    const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1);
    size_t i = 0;
    for (; i + 24 <= n; i += 16, out += 12) {
        __m128i s = _mm_loadu_si128((const __m128i *)(const void *)(in + i));
        __m128i hi_n = _mm_and_si128(_mm_srli_epi32(s, 4), mask_2f);
        __m128i lo_n = _mm_and_si128(s, mask_2f);
        __m128i hi = _mm_shuffle_epi8(lut_hi, hi_n), lo = _mm_shuffle_epi8(lut_lo, lo_n);
        __m128i roll, m;
        if (_mm_movemask_epi8(_mm_cmpgt_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()))) break;
        roll = _mm_shuffle_epi8(lut_roll, _mm_add_epi8(_mm_cmpeq_epi8(s, mask_2f), hi_n));
        s = _mm_add_epi8(s, roll); /* 16 six-bit values */
        m = _mm_maddubs_epi16(s, _mm_set1_epi32(0x01400140));
        m = _mm_madd_epi16(m, _mm_set1_epi32(0x00011000));
        _mm_storeu_si128((__m128i *)(void *)out, _mm_shuffle_epi8(m, pack));
    }
    return i;
}
#endif

/* Reference-rule decode of in[from..n) (from a multiple of 4) into out at the matching offset:
   finds the exact error, or finishes the last group. */
static llmspell_result llmspell__b64_dec_rest(unsigned char *out, const unsigned char *in, size_t from, size_t n,
                                              size_t *err_pos) {
    size_t i;
    unsigned char tmp[3];
    for (i = from; i + 4 <= n; i += 4) {
        int r = llmspell__b64_group(in + i, out ? out + i / 4 * 3 : tmp);
        if (r < 0) {
            if (err_pos) *err_pos = i + (size_t)(-r - 1);
            return LLMSPELL_ERR_PARSE;
        }
        if (r < 3 && i + 4 < n) { /* padding ends the data */
            if (err_pos) *err_pos = i + 4;
            return LLMSPELL_ERR_PARSE;
        }
    }
    if (i < n) { /* the length is not a multiple of 4 */
        if (err_pos) *err_pos = i + llmspell__b64_prefix_bad(in + i, n - i);
        return LLMSPELL_ERR_PARSE;
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_b64_decode_with(llmspell_b64_impl impl, void *out, size_t cap, const char *in,
                                                      size_t n, size_t *out_len, size_t *err_pos) {
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t need, body, done = 0;
    if (out_len) *out_len = 0;
    if (err_pos) *err_pos = 0;
    if ((!in && n) || (!out && cap)) return LLMSPELL_ERR_INVALID;
    if (impl == LLMSPELL_B64_AUTO) impl = llmspell__b64_auto(n);
    if (impl != LLMSPELL_B64_SCALAR && impl != LLMSPELL_B64_TABLE && impl != LLMSPELL_B64_SSSE3)
        return LLMSPELL_ERR_INVALID;
    if (impl == LLMSPELL_B64_SSSE3 && !llmspell__ex_has_ssse3((size_t)-1)) return LLMSPELL_ERR_UNSUPPORTED;
    if (n == 0) return LLMSPELL_OK;
    if (n % 4) /* malformed whatever the characters: find the first offending one, write nothing */
        return llmspell__b64_dec_rest(NULL, s, 0, n, err_pos);
    need = n / 4 * 3 - (s[n - 1] == '=') - (s[n - 1] == '=' && s[n - 2] == '=');
    if (cap < need) {
        if (out_len) *out_len = need;
        return LLMSPELL_ERR_TOO_LARGE;
    }
    body = n - 4; /* every group but the last, which may be padded */
#if LLMSPELL__EX_SSSE3
    if (impl == LLMSPELL_B64_SSSE3) done = llmspell__b64_dec_ssse3(o, s, body);
#endif
    if (impl != LLMSPELL_B64_SCALAR) done += llmspell__b64_dec_table(o + done / 4 * 3, s + done, body - done);
    {
        llmspell_result rc = llmspell__b64_dec_rest(o, s, done, n, err_pos);
        if (rc != LLMSPELL_OK) return rc;
    }
    if (out_len) *out_len = need;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_b64_decode(void *out, size_t cap, const char *in, size_t n, size_t *out_len,
                                                 size_t *err_pos) {
    return llmspell_b64_decode_with(LLMSPELL_B64_AUTO, out, cap, in, n, out_len, err_pos);
}

LLMSPELL_DEF void llmspell_b64_decoder_init(llmspell_b64_decoder *d) {
    if (d) memset(d, 0, sizeof *d);
}

LLMSPELL_DEF llmspell_result llmspell_b64_decoder_update(llmspell_b64_decoder *d, void *out, size_t cap,
                                                         const char *in, size_t n, size_t *out_len,
                                                         uint64_t *err_pos) {
    const unsigned char *s = (const unsigned char *)in;
    unsigned char *o = (unsigned char *)out;
    size_t i = 0, w = 0;
    if (out_len) *out_len = 0;
    if (err_pos) *err_pos = 0;
    if (!d || (!in && n) || (!out && cap) || d->ncarry > 3) return LLMSPELL_ERR_INVALID;
    if (cap < llmspell_b64_decoded_max(n + 3)) return LLMSPELL_ERR_TOO_LARGE;
    if (n && d->done) { /* nothing may follow padding */
        if (err_pos) *err_pos = d->pos;
        return LLMSPELL_ERR_PARSE;
    }
    while (i < n) {
        size_t body, done, k;
        int r;
        if (d->ncarry) { /* complete the group held from the last piece */
            while (d->ncarry < 4 && i < n) d->carry[d->ncarry++] = (char)s[i++];
            if (d->ncarry < 4) {
                k = llmspell__b64_prefix_bad((const unsigned char *)d->carry, d->ncarry);
                if (k < d->ncarry) {
                    if (err_pos) *err_pos = d->pos + k;
                    return LLMSPELL_ERR_PARSE;
                }
                break;
            }
            r = llmspell__b64_group((const unsigned char *)d->carry, o + w);
            if (r < 0) {
                if (err_pos) *err_pos = d->pos + (uint64_t)(-r - 1);
                return LLMSPELL_ERR_PARSE;
            }
            d->pos += 4;
            d->ncarry = 0;
            w += (size_t)r;
            if (r < 3) d->done = 1;
            if (d->done && i < n) {
                if (err_pos) *err_pos = d->pos;
                return LLMSPELL_ERR_PARSE;
            }
            continue;
        }
        /* whole groups straight from the input; the fast path stops at any '=' */
        body = (n - i) / 4 * 4;
        done = 0;
        if (body) {
            llmspell_b64_impl best = llmspell__b64_auto(body);
#if LLMSPELL__EX_SSSE3
            if (best == LLMSPELL_B64_SSSE3) done = llmspell__b64_dec_ssse3(o + w, s + i, body);
#endif
            (void)best;
            done += llmspell__b64_dec_table(o + w + done / 4 * 3, s + i + done, body - done);
            w += done / 4 * 3;
            d->pos += done;
            i += done;
        }
        if (done < body) { /* this group has padding or a bad character */
            r = llmspell__b64_group(s + i, o + w);
            if (r < 0) {
                if (err_pos) *err_pos = d->pos + (uint64_t)(-r - 1);
                return LLMSPELL_ERR_PARSE;
            }
            w += (size_t)r;
            d->pos += 4;
            i += 4;
            if (r < 3) {
                d->done = 1;
                if (i < n) {
                    if (err_pos) *err_pos = d->pos;
                    return LLMSPELL_ERR_PARSE;
                }
            }
            continue;
        }
        /* fewer than 4 left: check them now so the error is found as early as possible */
        k = llmspell__b64_prefix_bad(s + i, n - i);
        if (k < n - i) {
            if (err_pos) *err_pos = d->pos + k;
            return LLMSPELL_ERR_PARSE;
        }
        while (i < n) d->carry[d->ncarry++] = (char)s[i++];
    }
    if (out_len) *out_len = w;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_b64_decoder_finish(llmspell_b64_decoder *d, uint64_t *err_pos) {
    if (err_pos) *err_pos = 0;
    if (!d) return LLMSPELL_ERR_INVALID;
    if (d->ncarry) {
        if (err_pos) *err_pos = d->pos + d->ncarry;
        return LLMSPELL_ERR_PARSE;
    }
    return LLMSPELL_OK;
}

/* >>numbers ------------------------------------------------------------------------------- */
/* Text to double, correctly rounded, without strtod (locale) and without allocation:
   1. Clinger's fast path when the digits and the power of ten are both exact doubles;
   2. Eisel-Lemire (as in fast_float, Apache-2.0/MIT) with 128-bit powers of five;
   3. a big-decimal algorithm (after Go's strconv decimal.go, BSD) for more than 19 significant
      digits or the rare case Eisel-Lemire cannot decide. */

/* 5^q for q in [-342, 308], normalized to 128 bits (high, low), truncated; fast_float's table. */
static const uint64_t llmspell__j_pow5[1302] = {
    0xeef453d6923bd65au,0x113faa2906a13b3fu,0x9558b4661b6565f8u,0x4ac7ca59a424c507u,0xbaaee17fa23ebf76u,0x5d79bcf00d2df649u,
    0xe95a99df8ace6f53u,0xf4d82c2c107973dcu,0x91d8a02bb6c10594u,0x79071b9b8a4be869u,0xb64ec836a47146f9u,0x9748e2826cdee284u,
    0xe3e27a444d8d98b7u,0xfd1b1b2308169b25u,0x8e6d8c6ab0787f72u,0xfe30f0f5e50e20f7u,0xb208ef855c969f4fu,0xbdbd2d335e51a935u,
    0xde8b2b66b3bc4723u,0xad2c788035e61382u,0x8b16fb203055ac76u,0x4c3bcb5021afcc31u,0xaddcb9e83c6b1793u,0xdf4abe242a1bbf3du,
    0xd953e8624b85dd78u,0xd71d6dad34a2af0du,0x87d4713d6f33aa6bu,0x8672648c40e5ad68u,0xa9c98d8ccb009506u,0x680efdaf511f18c2u,
    0xd43bf0effdc0ba48u,0x0212bd1b2566def2u,0x84a57695fe98746du,0x014bb630f7604b57u,0xa5ced43b7e3e9188u,0x419ea3bd35385e2du,
    0xcf42894a5dce35eau,0x52064cac828675b9u,0x818995ce7aa0e1b2u,0x7343efebd1940993u,0xa1ebfb4219491a1fu,0x1014ebe6c5f90bf8u,
    0xca66fa129f9b60a6u,0xd41a26e077774ef6u,0xfd00b897478238d0u,0x8920b098955522b4u,0x9e20735e8cb16382u,0x55b46e5f5d5535b0u,
    0xc5a890362fddbc62u,0xeb2189f734aa831du,0xf712b443bbd52b7bu,0xa5e9ec7501d523e4u,0x9a6bb0aa55653b2du,0x47b233c92125366eu,
    0xc1069cd4eabe89f8u,0x999ec0bb696e840au,0xf148440a256e2c76u,0xc00670ea43ca250du,0x96cd2a865764dbcau,0x380406926a5e5728u,
    0xbc807527ed3e12bcu,0xc605083704f5ecf2u,0xeba09271e88d976bu,0xf7864a44c633682eu,0x93445b8731587ea3u,0x7ab3ee6afbe0211du,
    0xb8157268fdae9e4cu,0x5960ea05bad82964u,0xe61acf033d1a45dfu,0x6fb92487298e33bdu,0x8fd0c16206306babu,0xa5d3b6d479f8e056u,
    0xb3c4f1ba87bc8696u,0x8f48a4899877186cu,0xe0b62e2929aba83cu,0x331acdabfe94de87u,0x8c71dcd9ba0b4925u,0x9ff0c08b7f1d0b14u,
    0xaf8e5410288e1b6fu,0x07ecf0ae5ee44dd9u,0xdb71e91432b1a24au,0xc9e82cd9f69d6150u,0x892731ac9faf056eu,0xbe311c083a225cd2u,
    0xab70fe17c79ac6cau,0x6dbd630a48aaf406u,0xd64d3d9db981787du,0x092cbbccdad5b108u,0x85f0468293f0eb4eu,0x25bbf56008c58ea5u,
    0xa76c582338ed2621u,0xaf2af2b80af6f24eu,0xd1476e2c07286faau,0x1af5af660db4aee1u,0x82cca4db847945cau,0x50d98d9fc890ed4du,
    0xa37fce126597973cu,0xe50ff107bab528a0u,0xcc5fc196fefd7d0cu,0x1e53ed49a96272c8u,0xff77b1fcbebcdc4fu,0x25e8e89c13bb0f7au,
    0x9faacf3df73609b1u,0x77b191618c54e9acu,0xc795830d75038c1du,0xd59df5b9ef6a2417u,0xf97ae3d0d2446f25u,0x4b0573286b44ad1du,
    0x9becce62836ac577u,0x4ee367f9430aec32u,0xc2e801fb244576d5u,0x229c41f793cda73fu,0xf3a20279ed56d48au,0x6b43527578c1110fu,
    0x9845418c345644d6u,0x830a13896b78aaa9u,0xbe5691ef416bd60cu,0x23cc986bc656d553u,0xedec366b11c6cb8fu,0x2cbfbe86b7ec8aa8u,
    0x94b3a202eb1c3f39u,0x7bf7d71432f3d6a9u,0xb9e08a83a5e34f07u,0xdaf5ccd93fb0cc53u,0xe858ad248f5c22c9u,0xd1b3400f8f9cff68u,
    0x91376c36d99995beu,0x23100809b9c21fa1u,0xb58547448ffffb2du,0xabd40a0c2832a78au,0xe2e69915b3fff9f9u,0x16c90c8f323f516cu,
    0x8dd01fad907ffc3bu,0xae3da7d97f6792e3u,0xb1442798f49ffb4au,0x99cd11cfdf41779cu,0xdd95317f31c7fa1du,0x40405643d711d583u,
    0x8a7d3eef7f1cfc52u,0x482835ea666b2572u,0xad1c8eab5ee43b66u,0xda3243650005eecfu,0xd863b256369d4a40u,0x90bed43e40076a82u,
    0x873e4f75e2224e68u,0x5a7744a6e804a291u,0xa90de3535aaae202u,0x711515d0a205cb36u,0xd3515c2831559a83u,0x0d5a5b44ca873e03u,
    0x8412d9991ed58091u,0xe858790afe9486c2u,0xa5178fff668ae0b6u,0x626e974dbe39a872u,0xce5d73ff402d98e3u,0xfb0a3d212dc8128fu,
    0x80fa687f881c7f8eu,0x7ce66634bc9d0b99u,0xa139029f6a239f72u,0x1c1fffc1ebc44e80u,0xc987434744ac874eu,0xa327ffb266b56220u,
    0xfbe9141915d7a922u,0x4bf1ff9f0062baa8u,0x9d71ac8fada6c9b5u,0x6f773fc3603db4a9u,0xc4ce17b399107c22u,0xcb550fb4384d21d3u,
    0xf6019da07f549b2bu,0x7e2a53a146606a48u,0x99c102844f94e0fbu,0x2eda7444cbfc426du,0xc0314325637a1939u,0xfa911155fefb5308u,
    0xf03d93eebc589f88u,0x793555ab7eba27cau,0x96267c7535b763b5u,0x4bc1558b2f3458deu,0xbbb01b9283253ca2u,0x9eb1aaedfb016f16u,
    0xea9c227723ee8bcbu,0x465e15a979c1cadcu,0x92a1958a7675175fu,0x0bfacd89ec191ec9u,0xb749faed14125d36u,0xcef980ec671f667bu,
    0xe51c79a85916f484u,0x82b7e12780e7401au,0x8f31cc0937ae58d2u,0xd1b2ecb8b0908810u,0xb2fe3f0b8599ef07u,0x861fa7e6dcb4aa15u,
    0xdfbdcece67006ac9u,0x67a791e093e1d49au,0x8bd6a141006042bdu,0xe0c8bb2c5c6d24e0u,0xaecc49914078536du,0x58fae9f773886e18u,
    0xda7f5bf590966848u,0xaf39a475506a899eu,0x888f99797a5e012du,0x6d8406c952429603u,0xaab37fd7d8f58178u,0xc8e5087ba6d33b83u,
    0xd5605fcdcf32e1d6u,0xfb1e4a9a90880a64u,0x855c3be0a17fcd26u,0x5cf2eea09a55067fu,0xa6b34ad8c9dfc06fu,0xf42faa48c0ea481eu,
    0xd0601d8efc57b08bu,0xf13b94daf124da26u,0x823c12795db6ce57u,0x76c53d08d6b70858u,0xa2cb1717b52481edu,0x54768c4b0c64ca6eu,
    0xcb7ddcdda26da268u,0xa9942f5dcf7dfd09u,0xfe5d54150b090b02u,0xd3f93b35435d7c4cu,0x9efa548d26e5a6e1u,0xc47bc5014a1a6dafu,
    0xc6b8e9b0709f109au,0x359ab6419ca1091bu,0xf867241c8cc6d4c0u,0xc30163d203c94b62u,0x9b407691d7fc44f8u,0x79e0de63425dcf1du,
    0xc21094364dfb5636u,0x985915fc12f542e4u,0xf294b943e17a2bc4u,0x3e6f5b7b17b2939du,0x979cf3ca6cec5b5au,0xa705992ceecf9c42u,
    0xbd8430bd08277231u,0x50c6ff782a838353u,0xece53cec4a314ebdu,0xa4f8bf5635246428u,0x940f4613ae5ed136u,0x871b7795e136be99u,
    0xb913179899f68584u,0x28e2557b59846e3fu,0xe757dd7ec07426e5u,0x331aeada2fe589cfu,0x9096ea6f3848984fu,0x3ff0d2c85def7621u,
    0xb4bca50b065abe63u,0x0fed077a756b53a9u,0xe1ebce4dc7f16dfbu,0xd3e8495912c62894u,0x8d3360f09cf6e4bdu,0x64712dd7abbbd95cu,
    0xb080392cc4349decu,0xbd8d794d96aacfb3u,0xdca04777f541c567u,0xecf0d7a0fc5583a0u,0x89e42caaf9491b60u,0xf41686c49db57244u,
    0xac5d37d5b79b6239u,0x311c2875c522ced5u,0xd77485cb25823ac7u,0x7d633293366b828bu,0x86a8d39ef77164bcu,0xae5dff9c02033197u,
    0xa8530886b54dbdebu,0xd9f57f830283fdfcu,0xd267caa862a12d66u,0xd072df63c324fd7bu,0x8380dea93da4bc60u,0x4247cb9e59f71e6du,
    0xa46116538d0deb78u,0x52d9be85f074e608u,0xcd795be870516656u,0x67902e276c921f8bu,0x806bd9714632dff6u,0x00ba1cd8a3db53b6u,
    0xa086cfcd97bf97f3u,0x80e8a40eccd228a4u,0xc8a883c0fdaf7df0u,0x6122cd128006b2cdu,0xfad2a4b13d1b5d6cu,0x796b805720085f81u,
    0x9cc3a6eec6311a63u,0xcbe3303674053bb0u,0xc3f490aa77bd60fcu,0xbedbfc4411068a9cu,0xf4f1b4d515acb93bu,0xee92fb5515482d44u,
    0x991711052d8bf3c5u,0x751bdd152d4d1c4au,0xbf5cd54678eef0b6u,0xd262d45a78a0635du,0xef340a98172aace4u,0x86fb897116c87c34u,
    0x9580869f0e7aac0eu,0xd45d35e6ae3d4da0u,0xbae0a846d2195712u,0x8974836059cca109u,0xe998d258869facd7u,0x2bd1a438703fc94bu,
    0x91ff83775423cc06u,0x7b6306a34627ddcfu,0xb67f6455292cbf08u,0x1a3bc84c17b1d542u,0xe41f3d6a7377eecau,0x20caba5f1d9e4a93u,
    0x8e938662882af53eu,0x547eb47b7282ee9cu,0xb23867fb2a35b28du,0xe99e619a4f23aa43u,0xdec681f9f4c31f31u,0x6405fa00e2ec94d4u,
    0x8b3c113c38f9f37eu,0xde83bc408dd3dd04u,0xae0b158b4738705eu,0x9624ab50b148d445u,0xd98ddaee19068c76u,0x3badd624dd9b0957u,
    0x87f8a8d4cfa417c9u,0xe54ca5d70a80e5d6u,0xa9f6d30a038d1dbcu,0x5e9fcf4ccd211f4cu,0xd47487cc8470652bu,0x7647c3200069671fu,
    0x84c8d4dfd2c63f3bu,0x29ecd9f40041e073u,0xa5fb0a17c777cf09u,0xf468107100525890u,0xcf79cc9db955c2ccu,0x7182148d4066eeb4u,
    0x81ac1fe293d599bfu,0xc6f14cd848405530u,0xa21727db38cb002fu,0xb8ada00e5a506a7cu,0xca9cf1d206fdc03bu,0xa6d90811f0e4851cu,
    0xfd442e4688bd304au,0x908f4a166d1da663u,0x9e4a9cec15763e2eu,0x9a598e4e043287feu,0xc5dd44271ad3cdbau,0x40eff1e1853f29fdu,
    0xf7549530e188c128u,0xd12bee59e68ef47cu,0x9a94dd3e8cf578b9u,0x82bb74f8301958ceu,0xc13a148e3032d6e7u,0xe36a52363c1faf01u,
    0xf18899b1bc3f8ca1u,0xdc44e6c3cb279ac1u,0x96f5600f15a7b7e5u,0x29ab103a5ef8c0b9u,0xbcb2b812db11a5deu,0x7415d448f6b6f0e7u,
    0xebdf661791d60f56u,0x111b495b3464ad21u,0x936b9fcebb25c995u,0xcab10dd900beec34u,0xb84687c269ef3bfbu,0x3d5d514f40eea742u,
    0xe65829b3046b0afau,0x0cb4a5a3112a5112u,0x8ff71a0fe2c2e6dcu,0x47f0e785eaba72abu,0xb3f4e093db73a093u,0x59ed216765690f56u,
    0xe0f218b8d25088b8u,0x306869c13ec3532cu,0x8c974f7383725573u,0x1e414218c73a13fbu,0xafbd2350644eeacfu,0xe5d1929ef90898fau,
    0xdbac6c247d62a583u,0xdf45f746b74abf39u,0x894bc396ce5da772u,0x6b8bba8c328eb783u,0xab9eb47c81f5114fu,0x066ea92f3f326564u,
    0xd686619ba27255a2u,0xc80a537b0efefebdu,0x8613fd0145877585u,0xbd06742ce95f5f36u,0xa798fc4196e952e7u,0x2c48113823b73704u,
    0xd17f3b51fca3a7a0u,0xf75a15862ca504c5u,0x82ef85133de648c4u,0x9a984d73dbe722fbu,0xa3ab66580d5fdaf5u,0xc13e60d0d2e0ebbau,
    0xcc963fee10b7d1b3u,0x318df905079926a8u,0xffbbcfe994e5c61fu,0xfdf17746497f7052u,0x9fd561f1fd0f9bd3u,0xfeb6ea8bedefa633u,
    0xc7caba6e7c5382c8u,0xfe64a52ee96b8fc0u,0xf9bd690a1b68637bu,0x3dfdce7aa3c673b0u,0x9c1661a651213e2du,0x06bea10ca65c084eu,
    0xc31bfa0fe5698db8u,0x486e494fcff30a62u,0xf3e2f893dec3f126u,0x5a89dba3c3efccfau,0x986ddb5c6b3a76b7u,0xf89629465a75e01cu,
    0xbe89523386091465u,0xf6bbb397f1135823u,0xee2ba6c0678b597fu,0x746aa07ded582e2cu,0x94db483840b717efu,0xa8c2a44eb4571cdcu,
    0xba121a4650e4ddebu,0x92f34d62616ce413u,0xe896a0d7e51e1566u,0x77b020baf9c81d17u,0x915e2486ef32cd60u,0x0ace1474dc1d122eu,
    0xb5b5ada8aaff80b8u,0x0d819992132456bau,0xe3231912d5bf60e6u,0x10e1fff697ed6c69u,0x8df5efabc5979c8fu,0xca8d3ffa1ef463c1u,
    0xb1736b96b6fd83b3u,0xbd308ff8a6b17cb2u,0xddd0467c64bce4a0u,0xac7cb3f6d05ddbdeu,0x8aa22c0dbef60ee4u,0x6bcdf07a423aa96bu,
    0xad4ab7112eb3929du,0x86c16c98d2c953c6u,0xd89d64d57a607744u,0xe871c7bf077ba8b7u,0x87625f056c7c4a8bu,0x11471cd764ad4972u,
    0xa93af6c6c79b5d2du,0xd598e40d3dd89bcfu,0xd389b47879823479u,0x4aff1d108d4ec2c3u,0x843610cb4bf160cbu,0xcedf722a585139bau,
    0xa54394fe1eedb8feu,0xc2974eb4ee658828u,0xce947a3da6a9273eu,0x733d226229feea32u,0x811ccc668829b887u,0x0806357d5a3f525fu,
    0xa163ff802a3426a8u,0xca07c2dcb0cf26f7u,0xc9bcff6034c13052u,0xfc89b393dd02f0b5u,0xfc2c3f3841f17c67u,0xbbac2078d443ace2u,
    0x9d9ba7832936edc0u,0xd54b944b84aa4c0du,0xc5029163f384a931u,0x0a9e795e65d4df11u,0xf64335bcf065d37du,0x4d4617b5ff4a16d5u,
    0x99ea0196163fa42eu,0x504bced1bf8e4e45u,0xc06481fb9bcf8d39u,0xe45ec2862f71e1d6u,0xf07da27a82c37088u,0x5d767327bb4e5a4cu,
    0x964e858c91ba2655u,0x3a6a07f8d510f86fu,0xbbe226efb628afeau,0x890489f70a55368bu,0xeadab0aba3b2dbe5u,0x2b45ac74ccea842eu,
    0x92c8ae6b464fc96fu,0x3b0b8bc90012929du,0xb77ada0617e3bbcbu,0x09ce6ebb40173744u,0xe55990879ddcaabdu,0xcc420a6a101d0515u,
    0x8f57fa54c2a9eab6u,0x9fa946824a12232du,0xb32df8e9f3546564u,0x47939822dc96abf9u,0xdff9772470297ebdu,0x59787e2b93bc56f7u,
    0x8bfbea76c619ef36u,0x57eb4edb3c55b65au,0xaefae51477a06b03u,0xede622920b6b23f1u,0xdab99e59958885c4u,0xe95fab368e45ecedu,
    0x88b402f7fd75539bu,0x11dbcb0218ebb414u,0xaae103b5fcd2a881u,0xd652bdc29f26a119u,0xd59944a37c0752a2u,0x4be76d3346f0495fu,
    0x857fcae62d8493a5u,0x6f70a4400c562ddbu,0xa6dfbd9fb8e5b88eu,0xcb4ccd500f6bb952u,0xd097ad07a71f26b2u,0x7e2000a41346a7a7u,
    0x825ecc24c873782fu,0x8ed400668c0c28c8u,0xa2f67f2dfa90563bu,0x728900802f0f32fau,0xcbb41ef979346bcau,0x4f2b40a03ad2ffb9u,
    0xfea126b7d78186bcu,0xe2f610c84987bfa8u,0x9f24b832e6b0f436u,0x0dd9ca7d2df4d7c9u,0xc6ede63fa05d3143u,0x91503d1c79720dbbu,
    0xf8a95fcf88747d94u,0x75a44c6397ce912au,0x9b69dbe1b548ce7cu,0xc986afbe3ee11abau,0xc24452da229b021bu,0xfbe85badce996168u,
    0xf2d56790ab41c2a2u,0xfae27299423fb9c3u,0x97c560ba6b0919a5u,0xdccd879fc967d41au,0xbdb6b8e905cb600fu,0x5400e987bbc1c920u,
    0xed246723473e3813u,0x290123e9aab23b68u,0x9436c0760c86e30bu,0xf9a0b6720aaf6521u,0xb94470938fa89bceu,0xf808e40e8d5b3e69u,
    0xe7958cb87392c2c2u,0xb60b1d1230b20e04u,0x90bd77f3483bb9b9u,0xb1c6f22b5e6f48c2u,0xb4ecd5f01a4aa828u,0x1e38aeb6360b1af3u,
    0xe2280b6c20dd5232u,0x25c6da63c38de1b0u,0x8d590723948a535fu,0x579c487e5a38ad0eu,0xb0af48ec79ace837u,0x2d835a9df0c6d851u,
    0xdcdb1b2798182244u,0xf8e431456cf88e65u,0x8a08f0f8bf0f156bu,0x1b8e9ecb641b58ffu,0xac8b2d36eed2dac5u,0xe272467e3d222f3fu,
    0xd7adf884aa879177u,0x5b0ed81dcc6abb0fu,0x86ccbb52ea94baeau,0x98e947129fc2b4e9u,0xa87fea27a539e9a5u,0x3f2398d747b36224u,
    0xd29fe4b18e88640eu,0x8eec7f0d19a03aadu,0x83a3eeeef9153e89u,0x1953cf68300424acu,0xa48ceaaab75a8e2bu,0x5fa8c3423c052dd7u,
    0xcdb02555653131b6u,0x3792f412cb06794du,0x808e17555f3ebf11u,0xe2bbd88bbee40bd0u,0xa0b19d2ab70e6ed6u,0x5b6aceaeae9d0ec4u,
    0xc8de047564d20a8bu,0xf245825a5a445275u,0xfb158592be068d2eu,0xeed6e2f0f0d56712u,0x9ced737bb6c4183du,0x55464dd69685606bu,
    0xc428d05aa4751e4cu,0xaa97e14c3c26b886u,0xf53304714d9265dfu,0xd53dd99f4b3066a8u,0x993fe2c6d07b7fabu,0xe546a8038efe4029u,
    0xbf8fdb78849a5f96u,0xde98520472bdd033u,0xef73d256a5c0f77cu,0x963e66858f6d4440u,0x95a8637627989aadu,0xdde7001379a44aa8u,
    0xbb127c53b17ec159u,0x5560c018580d5d52u,0xe9d71b689dde71afu,0xaab8f01e6e10b4a6u,0x9226712162ab070du,0xcab3961304ca70e8u,
    0xb6b00d69bb55c8d1u,0x3d607b97c5fd0d22u,0xe45c10c42a2b3b05u,0x8cb89a7db77c506au,0x8eb98a7a9a5b04e3u,0x77f3608e92adb242u,
    0xb267ed1940f1c61cu,0x55f038b237591ed3u,0xdf01e85f912e37a3u,0x6b6c46dec52f6688u,0x8b61313bbabce2c6u,0x2323ac4b3b3da015u,
    0xae397d8aa96c1b77u,0xabec975e0a0d081au,0xd9c7dced53c72255u,0x96e7bd358c904a21u,0x881cea14545c7575u,0x7e50d64177da2e54u,
    0xaa242499697392d2u,0xdde50bd1d5d0b9e9u,0xd4ad2dbfc3d07787u,0x955e4ec64b44e864u,0x84ec3c97da624ab4u,0xbd5af13bef0b113eu,
    0xa6274bbdd0fadd61u,0xecb1ad8aeacdd58eu,0xcfb11ead453994bau,0x67de18eda5814af2u,0x81ceb32c4b43fcf4u,0x80eacf948770ced7u,
    0xa2425ff75e14fc31u,0xa1258379a94d028du,0xcad2f7f5359a3b3eu,0x096ee45813a04330u,0xfd87b5f28300ca0du,0x8bca9d6e188853fcu,
    0x9e74d1b791e07e48u,0x775ea264cf55347eu,0xc612062576589ddau,0x95364afe032a819eu,0xf79687aed3eec551u,0x3a83ddbd83f52205u,
    0x9abe14cd44753b52u,0xc4926a9672793543u,0xc16d9a0095928a27u,0x75b7053c0f178294u,0xf1c90080baf72cb1u,0x5324c68b12dd6339u,
    0x971da05074da7beeu,0xd3f6fc16ebca5e04u,0xbce5086492111aeau,0x88f4bb1ca6bcf585u,0xec1e4a7db69561a5u,0x2b31e9e3d06c32e6u,
    0x9392ee8e921d5d07u,0x3aff322e62439fd0u,0xb877aa3236a4b449u,0x09befeb9fad487c3u,0xe69594bec44de15bu,0x4c2ebe687989a9b4u,
    0x901d7cf73ab0acd9u,0x0f9d37014bf60a11u,0xb424dc35095cd80fu,0x538484c19ef38c95u,0xe12e13424bb40e13u,0x2865a5f206b06fbau,
    0x8cbccc096f5088cbu,0xf93f87b7442e45d4u,0xafebff0bcb24aafeu,0xf78f69a51539d749u,0xdbe6fecebdedd5beu,0xb573440e5a884d1cu,
    0x89705f4136b4a597u,0x31680a88f8953031u,0xabcc77118461cefcu,0xfdc20d2b36ba7c3eu,0xd6bf94d5e57a42bcu,0x3d32907604691b4du,
    0x8637bd05af6c69b5u,0xa63f9a49c2c1b110u,0xa7c5ac471b478423u,0x0fcf80dc33721d54u,0xd1b71758e219652bu,0xd3c36113404ea4a9u,
    0x83126e978d4fdf3bu,0x645a1cac083126eau,0xa3d70a3d70a3d70au,0x3d70a3d70a3d70a4u,0xccccccccccccccccu,0xcccccccccccccccdu,
    0x8000000000000000u,0x0000000000000000u,0xa000000000000000u,0x0000000000000000u,0xc800000000000000u,0x0000000000000000u,
    0xfa00000000000000u,0x0000000000000000u,0x9c40000000000000u,0x0000000000000000u,0xc350000000000000u,0x0000000000000000u,
    0xf424000000000000u,0x0000000000000000u,0x9896800000000000u,0x0000000000000000u,0xbebc200000000000u,0x0000000000000000u,
    0xee6b280000000000u,0x0000000000000000u,0x9502f90000000000u,0x0000000000000000u,0xba43b74000000000u,0x0000000000000000u,
    0xe8d4a51000000000u,0x0000000000000000u,0x9184e72a00000000u,0x0000000000000000u,0xb5e620f480000000u,0x0000000000000000u,
    0xe35fa931a0000000u,0x0000000000000000u,0x8e1bc9bf04000000u,0x0000000000000000u,0xb1a2bc2ec5000000u,0x0000000000000000u,
    0xde0b6b3a76400000u,0x0000000000000000u,0x8ac7230489e80000u,0x0000000000000000u,0xad78ebc5ac620000u,0x0000000000000000u,
    0xd8d726b7177a8000u,0x0000000000000000u,0x878678326eac9000u,0x0000000000000000u,0xa968163f0a57b400u,0x0000000000000000u,
    0xd3c21bcecceda100u,0x0000000000000000u,0x84595161401484a0u,0x0000000000000000u,0xa56fa5b99019a5c8u,0x0000000000000000u,
    0xcecb8f27f4200f3au,0x0000000000000000u,0x813f3978f8940984u,0x4000000000000000u,0xa18f07d736b90be5u,0x5000000000000000u,
    0xc9f2c9cd04674edeu,0xa400000000000000u,0xfc6f7c4045812296u,0x4d00000000000000u,0x9dc5ada82b70b59du,0xf020000000000000u,
    0xc5371912364ce305u,0x6c28000000000000u,0xf684df56c3e01bc6u,0xc732000000000000u,0x9a130b963a6c115cu,0x3c7f400000000000u,
    0xc097ce7bc90715b3u,0x4b9f100000000000u,0xf0bdc21abb48db20u,0x1e86d40000000000u,0x96769950b50d88f4u,0x1314448000000000u,
    0xbc143fa4e250eb31u,0x17d955a000000000u,0xeb194f8e1ae525fdu,0x5dcfab0800000000u,0x92efd1b8d0cf37beu,0x5aa1cae500000000u,
    0xb7abc627050305adu,0xf14a3d9e40000000u,0xe596b7b0c643c719u,0x6d9ccd05d0000000u,0x8f7e32ce7bea5c6fu,0xe4820023a2000000u,
    0xb35dbf821ae4f38bu,0xdda2802c8a800000u,0xe0352f62a19e306eu,0xd50b2037ad200000u,0x8c213d9da502de45u,0x4526f422cc340000u,
    0xaf298d050e4395d6u,0x9670b12b7f410000u,0xdaf3f04651d47b4cu,0x3c0cdd765f114000u,0x88d8762bf324cd0fu,0xa5880a69fb6ac800u,
    0xab0e93b6efee0053u,0x8eea0d047a457a00u,0xd5d238a4abe98068u,0x72a4904598d6d880u,0x85a36366eb71f041u,0x47a6da2b7f864750u,
    0xa70c3c40a64e6c51u,0x999090b65f67d924u,0xd0cf4b50cfe20765u,0xfff4b4e3f741cf6du,0x82818f1281ed449fu,0xbff8f10e7a8921a4u,
    0xa321f2d7226895c7u,0xaff72d52192b6a0du,0xcbea6f8ceb02bb39u,0x9bf4f8a69f764490u,0xfee50b7025c36a08u,0x02f236d04753d5b4u,
    0x9f4f2726179a2245u,0x01d762422c946590u,0xc722f0ef9d80aad6u,0x424d3ad2b7b97ef5u,0xf8ebad2b84e0d58bu,0xd2e0898765a7deb2u,
    0x9b934c3b330c8577u,0x63cc55f49f88eb2fu,0xc2781f49ffcfa6d5u,0x3cbf6b71c76b25fbu,0xf316271c7fc3908au,0x8bef464e3945ef7au,
    0x97edd871cfda3a56u,0x97758bf0e3cbb5acu,0xbde94e8e43d0c8ecu,0x3d52eeed1cbea317u,0xed63a231d4c4fb27u,0x4ca7aaa863ee4bddu,
    0x945e455f24fb1cf8u,0x8fe8caa93e74ef6au,0xb975d6b6ee39e436u,0xb3e2fd538e122b44u,0xe7d34c64a9c85d44u,0x60dbbca87196b616u,
    0x90e40fbeea1d3a4au,0xbc8955e946fe31cdu,0xb51d13aea4a488ddu,0x6babab6398bdbe41u,0xe264589a4dcdab14u,0xc696963c7eed2dd1u,
    0x8d7eb76070a08aecu,0xfc1e1de5cf543ca2u,0xb0de65388cc8ada8u,0x3b25a55f43294bcbu,0xdd15fe86affad912u,0x49ef0eb713f39ebeu,
    0x8a2dbf142dfcc7abu,0x6e3569326c784337u,0xacb92ed9397bf996u,0x49c2c37f07965404u,0xd7e77a8f87daf7fbu,0xdc33745ec97be906u,
    0x86f0ac99b4e8dafdu,0x69a028bb3ded71a3u,0xa8acd7c0222311bcu,0xc40832ea0d68ce0cu,0xd2d80db02aabd62bu,0xf50a3fa490c30190u,
    0x83c7088e1aab65dbu,0x792667c6da79e0fau,0xa4b8cab1a1563f52u,0x577001b891185938u,0xcde6fd5e09abcf26u,0xed4c0226b55e6f86u,
    0x80b05e5ac60b6178u,0x544f8158315b05b4u,0xa0dc75f1778e39d6u,0x696361ae3db1c721u,0xc913936dd571c84cu,0x03bc3a19cd1e38e9u,
    0xfb5878494ace3a5fu,0x04ab48a04065c723u,0x9d174b2dcec0e47bu,0x62eb0d64283f9c76u,0xc45d1df942711d9au,0x3ba5d0bd324f8394u,
    0xf5746577930d6500u,0xca8f44ec7ee36479u,0x9968bf6abbe85f20u,0x7e998b13cf4e1ecbu,0xbfc2ef456ae276e8u,0x9e3fedd8c321a67eu,
    0xefb3ab16c59b14a2u,0xc5cfe94ef3ea101eu,0x95d04aee3b80ece5u,0xbba1f1d158724a12u,0xbb445da9ca61281fu,0x2a8a6e45ae8edc97u,
    0xea1575143cf97226u,0xf52d09d71a3293bdu,0x924d692ca61be758u,0x593c2626705f9c56u,0xb6e0c377cfa2e12eu,0x6f8b2fb00c77836cu,
    0xe498f455c38b997au,0x0b6dfb9c0f956447u,0x8edf98b59a373fecu,0x4724bd4189bd5eacu,0xb2977ee300c50fe7u,0x58edec91ec2cb657u,
    0xdf3d5e9bc0f653e1u,0x2f2967b66737e3edu,0x8b865b215899f46cu,0xbd79e0d20082ee74u,0xae67f1e9aec07187u,0xecd8590680a3aa11u,
    0xda01ee641a708de9u,0xe80e6f4820cc9495u,0x884134fe908658b2u,0x3109058d147fdcddu,0xaa51823e34a7eedeu,0xbd4b46f0599fd415u,
    0xd4e5e2cdc1d1ea96u,0x6c9e18ac7007c91au,0x850fadc09923329eu,0x03e2cf6bc604ddb0u,0xa6539930bf6bff45u,0x84db8346b786151cu,
    0xcfe87f7cef46ff16u,0xe612641865679a63u,0x81f14fae158c5f6eu,0x4fcb7e8f3f60c07eu,0xa26da3999aef7749u,0xe3be5e330f38f09du,
    0xcb090c8001ab551cu,0x5cadf5bfd3072cc5u,0xfdcb4fa002162a63u,0x73d9732fc7c8f7f6u,0x9e9f11c4014dda7eu,0x2867e7fddcdd9afau,
    0xc646d63501a1511du,0xb281e1fd541501b8u,0xf7d88bc24209a565u,0x1f225a7ca91a4226u,0x9ae757596946075fu,0x3375788de9b06958u,
    0xc1a12d2fc3978937u,0x0052d6b1641c83aeu,0xf209787bb47d6b84u,0xc0678c5dbd23a49au,0x9745eb4d50ce6332u,0xf840b7ba963646e0u,
    0xbd176620a501fbffu,0xb650e5a93bc3d898u,0xec5d3fa8ce427affu,0xa3e51f138ab4cebeu,0x93ba47c980e98cdfu,0xc66f336c36b10137u,
    0xb8a8d9bbe123f017u,0xb80b0047445d4184u,0xe6d3102ad96cec1du,0xa60dc059157491e5u,0x9043ea1ac7e41392u,0x87c89837ad68db2fu,
    0xb454e4a179dd1877u,0x29babe4598c311fbu,0xe16a1dc9d8545e94u,0xf4296dd6fef3d67au,0x8ce2529e2734bb1du,0x1899e4a65f58660cu,
    0xb01ae745b101e9e4u,0x5ec05dcff72e7f8fu,0xdc21a1171d42645du,0x76707543f4fa1f73u,0x899504ae72497ebau,0x6a06494a791c53a8u,
    0xabfa45da0edbde69u,0x0487db9d17636892u,0xd6f8d7509292d603u,0x45a9d2845d3c42b6u,0x865b86925b9bc5c2u,0x0b8a2392ba45a9b2u,
    0xa7f26836f282b732u,0x8e6cac7768d7141eu,0xd1ef0244af2364ffu,0x3207d795430cd926u,0x8335616aed761f1fu,0x7f44e6bd49e807b8u,
    0xa402b9c5a8d3a6e7u,0x5f16206c9c6209a6u,0xcd036837130890a1u,0x36dba887c37a8c0fu,0x802221226be55a64u,0xc2494954da2c9789u,
    0xa02aa96b06deb0fdu,0xf2db9baa10b7bd6cu,0xc83553c5c8965d3du,0x6f92829494e5acc7u,0xfa42a8b73abbf48cu,0xcb772339ba1f17f9u,
    0x9c69a97284b578d7u,0xff2a760414536efbu,0xc38413cf25e2d70du,0xfef5138519684abau,0xf46518c2ef5b8cd1u,0x7eb258665fc25d69u,
    0x98bf2f79d5993802u,0xef2f773ffbd97a61u,0xbeeefb584aff8603u,0xaafb550ffacfd8fau,0xeeaaba2e5dbf6784u,0x95ba2a53f983cf38u,
    0x952ab45cfa97a0b2u,0xdd945a747bf26183u,0xba756174393d88dfu,0x94f971119aeef9e4u,0xe912b9d1478ceb17u,0x7a37cd5601aab85du,
    0x91abb422ccb812eeu,0xac62e055c10ab33au,0xb616a12b7fe617aau,0x577b986b314d6009u,0xe39c49765fdf9d94u,0xed5a7e85fda0b80bu,
    0x8e41ade9fbebc27du,0x14588f13be847307u,0xb1d219647ae6b31cu,0x596eb2d8ae258fc8u,0xde469fbd99a05fe3u,0x6fca5f8ed9aef3bbu,
    0x8aec23d680043beeu,0x25de7bb9480d5854u,0xada72ccc20054ae9u,0xaf561aa79a10ae6au,0xd910f7ff28069da4u,0x1b2ba1518094da04u,
    0x87aa9aff79042286u,0x90fb44d2f05d0842u,0xa99541bf57452b28u,0x353a1607ac744a53u,0xd3fa922f2d1675f2u,0x42889b8997915ce8u,
    0x847c9b5d7c2e09b7u,0x69956135febada11u,0xa59bc234db398c25u,0x43fab9837e699095u,0xcf02b2c21207ef2eu,0x94f967e45e03f4bbu,
    0x8161afb94b44f57du,0x1d1be0eebac278f5u,0xa1ba1ba79e1632dcu,0x6462d92a69731732u,0xca28a291859bbf93u,0x7d7b8f7503cfdcfeu,
    0xfcb2cb35e702af78u,0x5cda735244c3d43eu,0x9defbf01b061adabu,0x3a0888136afa64a7u,0xc56baec21c7a1916u,0x088aaa1845b8fdd0u,
    0xf6c69a72a3989f5bu,0x8aad549e57273d45u,0x9a3c2087a63f6399u,0x36ac54e2f678864bu,0xc0cb28a98fcf3c7fu,0x84576a1bb416a7ddu,
    0xf0fdf2d3f3c30b9fu,0x656d44a2a11c51d5u,0x969eb7c47859e743u,0x9f644ae5a4b1b325u,0xbc4665b596706114u,0x873d5d9f0dde1feeu,
    0xeb57ff22fc0c7959u,0xa90cb506d155a7eau,0x9316ff75dd87cbd8u,0x09a7f12442d588f2u,0xb7dcbf5354e9beceu,0x0c11ed6d538aeb2fu,
    0xe5d3ef282a242e81u,0x8f1668c8a86da5fau,0x8fa475791a569d10u,0xf96e017d694487bcu,0xb38d92d760ec4455u,0x37c981dcc395a9acu,
    0xe070f78d3927556au,0x85bbe253f47b1417u,0x8c469ab843b89562u,0x93956d7478ccec8eu,0xaf58416654a6babbu,0x387ac8d1970027b2u,
    0xdb2e51bfe9d0696au,0x06997b05fcc0319eu,0x88fcf317f22241e2u,0x441fece3bdf81f03u,0xab3c2fddeeaad25au,0xd527e81cad7626c3u,
    0xd60b3bd56a5586f1u,0x8a71e223d8d3b074u,0x85c7056562757456u,0xf6872d5667844e49u,0xa738c6bebb12d16cu,0xb428f8ac016561dbu,
    0xd106f86e69d785c7u,0xe13336d701beba52u,0x82a45b450226b39cu,0xecc0024661173473u,0xa34d721642b06084u,0x27f002d7f95d0190u,
    0xcc20ce9bd35c78a5u,0x31ec038df7b441f4u,0xff290242c83396ceu,0x7e67047175a15271u,0x9f79a169bd203e41u,0x0f0062c6e984d386u,
    0xc75809c42c684dd1u,0x52c07b78a3e60868u,0xf92e0c3537826145u,0xa7709a56ccdf8a82u,0x9bbcc7a142b17ccbu,0x88a66076400bb691u,
    0xc2abf989935ddbfeu,0x6acff893d00ea435u,0xf356f7ebf83552feu,0x0583f6b8c4124d43u,0x98165af37b2153deu,0xc3727a337a8b704au,
    0xbe1bf1b059e9a8d6u,0x744f18c0592e4c5cu,0xeda2ee1c7064130cu,0x1162def06f79df73u,0x9485d4d1c63e8be7u,0x8addcb5645ac2ba8u,
    0xb9a74a0637ce2ee1u,0x6d953e2bd7173692u,0xe8111c87c5c1ba99u,0xc8fa8db6ccdd0437u,0x910ab1d4db9914a0u,0x1d9c9892400a22a2u,
    0xb54d5e4a127f59c8u,0x2503beb6d00cab4bu,0xe2a0b5dc971f303au,0x2e44ae64840fd61du,0x8da471a9de737e24u,0x5ceaecfed289e5d2u,
    0xb10d8e1456105dadu,0x7425a83e872c5f47u,0xdd50f1996b947518u,0xd12f124e28f77719u,0x8a5296ffe33cc92fu,0x82bd6b70d99aaa6fu,
    0xace73cbfdc0bfb7bu,0x636cc64d1001550bu,0xd8210befd30efa5au,0x3c47f7e05401aa4eu,0x8714a775e3e95c78u,0x65acfaec34810a71u,
    0xa8d9d1535ce3b396u,0x7f1839a741a14d0du,0xd31045a8341ca07cu,0x1ede48111209a050u,0x83ea2b892091e44du,0x934aed0aab460432u,
    0xa4e4b66b68b65d60u,0xf81da84d5617853fu,0xce1de40642e3f4b9u,0x36251260ab9d668eu,0x80d2ae83e9ce78f3u,0xc1d72b7c6b426019u,
    0xa1075a24e4421730u,0xb24cf65b8612f81fu,0xc94930ae1d529cfcu,0xdee033f26797b627u,0xfb9b7cd9a4a7443cu,0x169840ef017da3b1u,
    0x9d412e0806e88aa5u,0x8e1f289560ee864eu,0xc491798a08a2ad4eu,0xf1a6f2bab92a27e2u,0xf5b5d7ec8acb58a2u,0xae10af696774b1dbu,
    0x9991a6f3d6bf1765u,0xacca6da1e0a8ef29u,0xbff610b0cc6edd3fu,0x17fd090a58d32af3u,0xeff394dcff8a948eu,0xddfc4b4cef07f5b0u,
    0x95f83d0a1fb69cd9u,0x4abdaf101564f98eu,0xbb764c4ca7a4440fu,0x9d6d1ad41abe37f1u,0xea53df5fd18d5513u,0x84c86189216dc5edu,
    0x92746b9be2f8552cu,0x32fd3cf5b4e49bb4u,0xb7118682dbb66a77u,0x3fbc8c33221dc2a1u,0xe4d5e82392a40515u,0x0fabaf3feaa5334au,
    0x8f05b1163ba6832du,0x29cb4d87f2a7400eu,0xb2c71d5bca9023f8u,0x743e20e9ef511012u,0xdf78e4b2bd342cf6u,0x914da9246b255416u,
    0x8bab8eefb6409c1au,0x1ad089b6c2f7548eu,0xae9672aba3d0c320u,0xa184ac2473b529b1u,0xda3c0f568cc4f3e8u,0xc9e5d72d90a2741eu,
    0x8865899617fb1871u,0x7e2fa67c7a658892u,0xaa7eebfb9df9de8du,0xddbb901b98feeab7u,0xd51ea6fa85785631u,0x552a74227f3ea565u,
    0x8533285c936b35deu,0xd53a88958f87275fu,0xa67ff273b8460356u,0x8a892abaf368f137u,0xd01fef10a657842cu,0x2d2b7569b0432d85u,
    0x8213f56a67f6b29bu,0x9c3b29620e29fc73u,0xa298f2c501f45f42u,0x8349f3ba91b47b8fu,0xcb3f2f7642717713u,0x241c70a936219a73u,
    0xfe0efb53d30dd4d7u,0xed238cd383aa0110u,0x9ec95d1463e8a506u,0xf4363804324a40aau,0xc67bb4597ce2ce48u,0xb143c6053edcd0d5u,
    0xf81aa16fdc1b81dau,0xdd94b7868e94050au,0x9b10a4e5e9913128u,0xca7cf2b4191c8326u,0xc1d4ce1f63f57d72u,0xfd1c2f611f63a3f0u,
    0xf24a01a73cf2dccfu,0xbc633b39673c8cecu,0x976e41088617ca01u,0xd5be0503e085d813u,0xbd49d14aa79dbc82u,0x4b2d8644d8a74e18u,
    0xec9c459d51852ba2u,0xddf8e7d60ed1219eu,0x93e1ab8252f33b45u,0xcabb90e5c942b503u,0xb8da1662e7b00a17u,0x3d6a751f3b936243u,
    0xe7109bfba19c0c9du,0x0cc512670a783ad4u,0x906a617d450187e2u,0x27fb2b80668b24c5u,0xb484f9dc9641e9dau,0xb1f9f660802dedf6u,
    0xe1a63853bbd26451u,0x5e7873f8a0396973u,0x8d07e33455637eb2u,0xdb0b487b6423e1e8u,0xb049dc016abc5e5fu,0x91ce1a9a3d2cda62u,
    0xdc5c5301c56b75f7u,0x7641a140cc7810fbu,0x89b9b3e11b6329bau,0xa9e904c87fcb0a9du,0xac2820d9623bf429u,0x546345fa9fbdcd44u,
    0xd732290fbacaf133u,0xa97c177947ad4095u,0x867f59a9d4bed6c0u,0x49ed8eabcccc485du,0xa81f301449ee8c70u,0x5c68f256bfff5a74u,
    0xd226fc195c6a2f8cu,0x73832eec6fff3111u,0x83585d8fd9c25db7u,0xc831fd53c5ff7eabu,0xa42e74f3d032f525u,0xba3e7ca8b77f5e55u,
    0xcd3a1230c43fb26fu,0x28ce1bd2e55f35ebu,0x80444b5e7aa7cf85u,0x7980d163cf5b81b3u,0xa0555e361951c366u,0xd7e105bcc332621fu,
    0xc86ab5c39fa63440u,0x8dd9472bf3fefaa7u,0xfa856334878fc150u,0xb14f98f6f0feb951u,0x9c935e00d4b9d8d2u,0x6ed1bf9a569f33d3u,
    0xc3b8358109e84f07u,0x0a862f80ec4700c8u,0xf4a642e14c6262c8u,0xcd27bb612758c0fau,0x98e7e9cccfbd7dbdu,0x8038d51cb897789cu,
    0xbf21e44003acdd2cu,0xe0470a63e6bd56c3u,0xeeea5d5004981478u,0x1858ccfce06cac74u,0x95527a5202df0ccbu,0x0f37801e0c43ebc8u,
    0xbaa718e68396cffdu,0xd30560258f54e6bau,0xe950df20247c83fdu,0x47c6b82ef32a2069u,0x91d28b7416cdd27eu,0x4cdc331d57fa5441u,
    0xb6472e511c81471du,0xe0133fe4adf8e952u,0xe3d8f9e563a198e5u,0x58180fddd97723a6u,0x8e679c2f5e44ff8fu,0x570f09eaa7ea7648u,
};

#if defined(__SIZEOF_INT128__)
__extension__ typedef unsigned __int128 llmspell__j_u128;
static void llmspell__j_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    llmspell__j_u128 p = (llmspell__j_u128)a * b;
    *hi = (uint64_t)(p >> 64);
    *lo = (uint64_t)p;
}
#elif defined(_MSC_VER) && !defined(__clang__) && defined(_M_X64) && !defined(_M_ARM64EC)
static void llmspell__j_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    unsigned __int64 h;
    *lo = _umul128(a, b, &h);
    *hi = h;
}
#else
static void llmspell__j_mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    *lo = (mid << 32) | (ll & 0xFFFFFFFFu);
    *hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
}
#endif

static int llmspell__j_clz64(uint64_t x) { /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_clzll(x);
#elif defined(_MSC_VER) && (defined(_M_X64) || defined(_M_ARM64))
    unsigned long i;
    _BitScanReverse64(&i, x);
    return 63 - (int)i;
#elif defined(_MSC_VER)
    unsigned long i;
    if (x >> 32) {
        _BitScanReverse(&i, (unsigned long)(x >> 32));
        return 31 - (int)i;
    }
    _BitScanReverse(&i, (unsigned long)x);
    return 63 - (int)i;
#else
    int n = 0;
    while (!(x & 0x8000000000000000ull)) { x <<= 1; n++; }
    return n;
#endif
}

#define LLMSPELL__J_INF_BITS 0x7FF0000000000000ull

/* w * 10^q (w != 0, at most 19 digits) as IEEE binary64 bits without the sign. Returns 0
   when the answer is not certain (the caller then takes the big-decimal path). */
static int llmspell__j_lemire(uint64_t w, int64_t q, uint64_t *bits) {
    uint64_t hi, lo, hi2, lo2, m;
    int lz, upper, shift;
    int64_t p2, t;
    size_t idx;
    if (q < -342) { *bits = 0; return 1; }
    if (q > 308) { *bits = LLMSPELL__J_INF_BITS; return 1; }
    lz = llmspell__j_clz64(w);
    w <<= lz;
    idx = (size_t)(2 * (q + 342));
    llmspell__j_mul64(w, llmspell__j_pow5[idx], &hi, &lo);
    if ((hi & 0x1FF) == 0x1FF) { /* the low bits may carry: refine with the next 64 bits */
        llmspell__j_mul64(w, llmspell__j_pow5[idx + 1], &hi2, &lo2);
        lo += hi2;
        if (hi2 > lo) hi++;
    }
    if (lo == 0xFFFFFFFFFFFFFFFFull && (q < -27 || q > 55)) return 0; /* the original paper's guard */
    upper = (int)(hi >> 63);
    shift = upper + 64 - 52 - 3;
    m = hi >> shift;
    t = (152170 + 65536) * q; /* floor(log2(10^q)) via a fixed-point constant */
    p2 = (t >= 0 ? t >> 16 : -((-t + 65535) >> 16)) + 63 + upper - lz + 1023;
    if (p2 <= 0) { /* subnormal */
        if (-p2 + 1 >= 64) { *bits = 0; return 1; }
        m >>= -p2 + 1;
        m += m & 1;
        m >>= 1;
        p2 = m < (1ull << 52) ? 0 : 1;
        *bits = (m & ((1ull << 52) - 1)) | ((uint64_t)p2 << 52);
        return 1;
    }
    /* exactly halfway between two doubles (possible only for small q): round to even */
    if (lo <= 1 && q >= -4 && q <= 23 && (m & 3) == 1 && (m << shift) == hi) m &= ~1ull;
    m += m & 1;
    m >>= 1;
    if (m >= (2ull << 52)) {
        m = 1ull << 52;
        p2++;
    }
    m &= ~(1ull << 52);
    if (p2 >= 0x7FF) { *bits = LLMSPELL__J_INF_BITS; return 1; }
    *bits = m | ((uint64_t)p2 << 52);
    return 1;
}

/* The big-decimal fallback: value = 0.d[0]d[1]...d[nd-1] * 10^dp, digits as 0..9. 800 digits
   are enough to decide the rounding of any double; beyond them `trunc` remembers non-zeros. */
#define LLMSPELL__J_DEC_MAX 800
typedef struct llmspell__j_dec {
    int nd, dp, trunc;
    unsigned char d[LLMSPELL__J_DEC_MAX];
} llmspell__j_dec;

static void llmspell__j_dec_trim(llmspell__j_dec *a) {
    while (a->nd > 0 && a->d[a->nd - 1] == 0) a->nd--;
    if (a->nd == 0) a->dp = 0;
}

/* a /= 2^k, k <= 60 */
static void llmspell__j_dec_rshift(llmspell__j_dec *a, unsigned k) {
    int r = 0, w = 0;
    uint64_t n = 0, mask = (1ull << k) - 1;
    for (; (n >> k) == 0; r++) {
        if (r >= a->nd) {
            if (n == 0) { a->nd = 0; return; }
            while ((n >> k) == 0) { n *= 10; r++; }
            break;
        }
        n = n * 10 + a->d[r];
    }
    a->dp -= r - 1;
    for (; r < a->nd; r++) {
        unsigned char dig = (unsigned char)(n >> k);
        n &= mask;
        a->d[w++] = dig;
        n = n * 10 + a->d[r];
    }
    while (n > 0) {
        unsigned char dig = (unsigned char)(n >> k);
        n &= mask;
        if (w < LLMSPELL__J_DEC_MAX) a->d[w++] = dig;
        else if (dig > 0) a->trunc = 1;
        n *= 10;
    }
    a->nd = w;
    llmspell__j_dec_trim(a);
}

/* a *= 2^k, k <= 60: digits produced from the right into a scratch array */
static void llmspell__j_dec_lshift(llmspell__j_dec *a, unsigned k) {
    unsigned char tmp[LLMSPELL__J_DEC_MAX + 24];
    int r, w = (int)sizeof tmp, nn, i;
    uint64_t n = 0;
    for (r = a->nd - 1; r >= 0; r--) {
        n += (uint64_t)a->d[r] << k;
        tmp[--w] = (unsigned char)(n % 10);
        n /= 10;
    }
    while (n > 0) {
        tmp[--w] = (unsigned char)(n % 10);
        n /= 10;
    }
    nn = (int)sizeof tmp - w;
    a->dp += nn - a->nd;
    if (nn > LLMSPELL__J_DEC_MAX) {
        for (i = LLMSPELL__J_DEC_MAX; i < nn; i++)
            if (tmp[w + i]) a->trunc = 1;
        nn = LLMSPELL__J_DEC_MAX;
    }
    memcpy(a->d, tmp + w, (size_t)nn);
    a->nd = nn;
    llmspell__j_dec_trim(a);
}

static void llmspell__j_dec_shift(llmspell__j_dec *a, int k) {
    if (a->nd == 0) return;
    for (; k > 60; k -= 60) llmspell__j_dec_lshift(a, 60);
    for (; k < -60; k += 60) llmspell__j_dec_rshift(a, 60);
    if (k > 0) llmspell__j_dec_lshift(a, (unsigned)k);
    else if (k < 0) llmspell__j_dec_rshift(a, (unsigned)-k);
}

/* Rounds to the integer part, halfway to even (up when digits were dropped). */
static uint64_t llmspell__j_dec_round(const llmspell__j_dec *a) {
    uint64_t n = 0;
    int i, up;
    if (a->dp > 20) return 0xFFFFFFFFFFFFFFFFull;
    for (i = 0; i < a->dp && i < a->nd; i++) n = n * 10 + a->d[i];
    for (; i < a->dp; i++) n *= 10;
    if (a->dp < 0 || a->dp >= a->nd) up = 0;
    else if (a->d[a->dp] == 5 && a->dp + 1 == a->nd) up = a->trunc || (a->dp > 0 && (a->d[a->dp - 1] & 1));
    else up = a->d[a->dp] >= 5;
    return n + (uint64_t)up;
}

/* Bits (no sign) of the decimal number text s[0..n), grammar already checked. */
static uint64_t llmspell__j_slow(const char *s, size_t n) {
    static const int powtab[9] = {1, 3, 6, 9, 13, 16, 19, 23, 26};
    llmspell__j_dec a;
    size_t i = 0;
    int exp2 = 0, seen_point = 0;
    long e = 0;
    uint64_t mant;
    a.nd = a.dp = a.trunc = 0;
    if (i < n && s[i] == '-') i++;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.') { seen_point = 1; continue; }
        if (c < '0' || c > '9') break;
        if (c == '0' && a.nd == 0) { /* leading zeros only move the point */
            if (seen_point) a.dp--;
            continue;
        }
        if (!seen_point) a.dp++;
        if (a.nd < LLMSPELL__J_DEC_MAX) a.d[a.nd++] = (unsigned char)(c - '0');
        else if (c != '0') a.trunc = 1;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int neg = 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        if (neg) e = -e;
    }
    llmspell__j_dec_trim(&a);
    if (a.nd == 0) return 0;
    a.dp += (int)e;
    if (a.dp > 310) return LLMSPELL__J_INF_BITS;
    if (a.dp < -330) return 0;
    /* scale by powers of two into [0.5, 1) */
    while (a.dp > 0) {
        int k = a.dp >= 9 ? 27 : powtab[a.dp];
        llmspell__j_dec_shift(&a, -k);
        exp2 += k;
    }
    while (a.dp < 0 || (a.dp == 0 && a.d[0] < 5)) {
        int k = -a.dp >= 9 ? 27 : powtab[-a.dp];
        llmspell__j_dec_shift(&a, k);
        exp2 -= k;
    }
    exp2--; /* [0.5, 1) -> [1, 2) */
    if (exp2 < -1022) { /* subnormal: fix the exponent, lose precision */
        llmspell__j_dec_shift(&a, -(-1022 - exp2));
        exp2 = -1022;
    }
    if (exp2 + 1023 >= 0x7FF) return LLMSPELL__J_INF_BITS;
    llmspell__j_dec_shift(&a, 53);
    mant = llmspell__j_dec_round(&a);
    if (mant == (2ull << 52)) { /* rounding carried into a new bit */
        mant >>= 1;
        exp2++;
        if (exp2 + 1023 >= 0x7FF) return LLMSPELL__J_INF_BITS;
    }
    if (!(mant & (1ull << 52))) exp2 = -1023; /* subnormal */
    return (mant & ((1ull << 52) - 1)) | ((uint64_t)(exp2 + 1023) << 52);
}

/* Checks s[0..n) against the RFC 8259 number grammar. Returns 1, or 0 with *bad = the offset of
   the first byte that breaks it (n when the text stops too early). */
static int llmspell__j_number_check(const char *s, size_t n, size_t *bad) {
    size_t i = 0;
#define LLMSPELL__J_DIG(c) ((c) >= '0' && (c) <= '9')
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && LLMSPELL__J_DIG(s[i])) i++;
    else goto bad;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || !LLMSPELL__J_DIG(s[i])) goto bad;
        while (i < n && LLMSPELL__J_DIG(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || !LLMSPELL__J_DIG(s[i])) goto bad;
        while (i < n && LLMSPELL__J_DIG(s[i])) i++;
    }
    if (i == n) return 1;
bad:
    *bad = i;
    return 0;
#undef LLMSPELL__J_DIG
}

/* The value of a grammar-checked number s[0..n) from its parts: the sign, the first 19
   significant digits w (many: there were more) times 10^q, and whether it was written as an
   integer (no fraction, no exponent). Integer literals that fit int64 are exact (is_int);
   everything else is the correctly rounded double. Returns 0, or -1 when the magnitude
   overflows the double range (d is then +-infinity). */
static int llmspell__j_number_value(int neg, uint64_t w, int64_t q, int many, int integer, const char *s, size_t n, int *is_int,
                                    int64_t *iv, double *dv) {
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    uint64_t bits;
    double d;
    *is_int = 0;
    *iv = 0;
    if (integer && !many && w != 0) {
        if (!neg && w <= (uint64_t)INT64_MAX) {
            *is_int = 1;
            *iv = (int64_t)w;
            *dv = (double)*iv;
            return 0;
        }
        if (neg && w <= (uint64_t)INT64_MAX + 1u) {
            *is_int = 1;
            *iv = w == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)w;
            *dv = (double)*iv;
            return 0;
        }
    }
    if (integer && !many && w == 0 && !neg) { /* "0" */
        *is_int = 1;
        *dv = 0.0;
        return 0;
    }
    if (many) {
        bits = llmspell__j_slow(s, n);
    } else if (w == 0) {
        bits = 0;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    } else if (w <= (1ull << 53) && q >= -22 && q <= 22) { /* both exact: one rounding */
        d = (double)w;
        d = q < 0 ? d / p10[-q] : d * p10[q];
        memcpy(&bits, &d, 8);
#endif
    } else if (!llmspell__j_lemire(w, q, &bits)) {
        bits = llmspell__j_slow(s, n);
    }
    (void)p10;
    if (neg) bits |= 0x8000000000000000ull;
    memcpy(&d, &bits, 8);
    *dv = d;
    return (bits & LLMSPELL__J_INF_BITS) == LLMSPELL__J_INF_BITS ? -1 : 0;
}

/* Value of a grammar-checked number text (see llmspell__j_number_value). */
static int llmspell__j_number(const char *s, size_t n, int *is_int, int64_t *iv, double *dv) {
    size_t i = 0;
    int neg = 0, nd = 0, many = 0, frac = 0, expo = 0;
    uint64_t w = 0;
    int64_t q = 0, e = 0;
    if (s[0] == '-') { neg = 1; i++; }
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (nd == 0 && s[i] == '0') continue;
        if (nd < 19) { w = w * 10 + (uint64_t)(s[i] - '0'); nd++; }
        else many = 1;
    }
    if (i < n && s[i] == '.') {
        frac = 1;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (nd == 0 && s[i] == '0') { q--; continue; }
            if (nd < 19) { w = w * 10 + (uint64_t)(s[i] - '0'); nd++; q--; }
            else many = 1;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        expo = 1;
        i++;
        if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
        for (; i < n; i++)
            if (e < 1000000) e = e * 10 + (s[i] - '0');
        q += eneg ? -e : e;
    }
    return llmspell__j_number_value(neg, w, q, many, !frac && !expo, s, n, is_int, iv, dv);
}

/* Shortest of %.15g / %.16g / %.17g that reads back to the same bits, made locale-proof and
   tidied: "1e+20" -> "1e20", "1e-07" -> "1e-7", "2" -> "2.0". v must be finite. out >= 40. */
static size_t llmspell__j_fmt_double(double v, char *out) {
    char tmp[64];
    size_t n = 0, k, j;
    int prec;
    for (prec = 15; prec <= 17; prec++) {
        int len = snprintf(tmp, sizeof tmp, "%.*g", prec, v), is_int, run = 0;
        int64_t iv;
        double back;
        if (len <= 0 || (size_t)len >= sizeof tmp) len = 0;
        /* a locale may spell the decimal point as anything, even several bytes: map it to '.' */
        for (n = 0, k = 0; k < (size_t)len; k++) {
            char c = tmp[k];
            if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e' || c == 'E') {
                out[n++] = c;
                run = 0;
            } else if (!run) {
                out[n++] = '.';
                run = 1;
            }
        }
        if (prec == 17) break;
        if (llmspell__j_number_check(out, n, &k) && llmspell__j_number(out, n, &is_int, &iv, &back) == 0 &&
            memcmp(&back, &v, sizeof v) == 0)
            break;
    }
    /* tidy the exponent */
    for (k = 0; k < n && out[k] != 'e' && out[k] != 'E'; k++) {}
    if (k < n) {
        size_t d = k + 1;
        out[k] = 'e';
        if (d < n && out[d] == '+') {
            memmove(out + d, out + d + 1, n - d - 1);
            n--;
        } else if (d < n && out[d] == '-') {
            d++;
        }
        for (j = d; j + 1 < n && out[j] == '0'; j++) {}
        if (j > d) {
            memmove(out + d, out + j, n - j);
            n -= j - d;
        }
    } else {
        for (j = 0; j < n && out[j] != '.'; j++) {}
        if (j == n) {
            out[n++] = '.';
            out[n++] = '0';
        }
    }
    out[n] = 0;
    return n;
}

/* >>json-levels --------------------------------------------------------------------------- */
/* The open containers of a reader or writer: kind, count and the last key (first bytes only,
   for paths), plus the reader's duplicate-key bookkeeping. */

#define LLMSPELL__J_PATH_KEY 40
#define LLMSPELL__J_DEFAULT_DEPTH 512

typedef struct llmspell__j_level {
    unsigned char kind;   /* '{' or '[' */
    unsigned char klen;   /* bytes of key kept */
    unsigned char ktrunc; /* the key was longer */
    uint64_t count;       /* values started (arrays) or keys read (objects) */
    char key[LLMSPELL__J_PATH_KEY];
    size_t dk_first, dk_bytes; /* duplicate detection: this object's first entry and byte */
    size_t *dk_tab;            /* its hash index (entry + 1, 0 empty) once it has many keys */
    size_t dk_tabcap;
} llmspell__j_level;

typedef struct llmspell__j_stack {
    llmspell__j_level *lv;
    size_t depth, cap, max;
} llmspell__j_stack;

/* Pushes a container. Returns OK, TOO_LARGE past max, or NOMEM. */
static llmspell_result llmspell__j_push(const llmspell_allocator *a, llmspell__j_stack *st, unsigned char kind) {
    llmspell__j_level *l;
    if (st->depth >= st->max) return LLMSPELL_ERR_TOO_LARGE;
    if (st->depth == st->cap && llmspell__ex_grow(a, (void **)&st->lv, &st->cap, st->depth + 1, sizeof *st->lv))
        return LLMSPELL_ERR_NOMEM;
    l = &st->lv[st->depth++];
    l->kind = kind;
    l->klen = l->ktrunc = 0;
    l->count = 0;
    l->dk_first = l->dk_bytes = 0;
    l->dk_tab = NULL;
    l->dk_tabcap = 0;
    return LLMSPELL_OK;
}

static void llmspell__j_setkey(llmspell__j_level *l, const char *k, size_t n) {
    l->ktrunc = n > LLMSPELL__J_PATH_KEY;
    if (n > LLMSPELL__J_PATH_KEY) n = LLMSPELL__J_PATH_KEY;
    if (n) memcpy(l->key, k, n);
    l->klen = (unsigned char)n;
}

/* snprintf-style appender */
typedef struct llmspell__j_out {
    char *buf;
    size_t cap, n;
} llmspell__j_out;

static void llmspell__j_outc(llmspell__j_out *o, char c) {
    if (o->n + 1 < o->cap) o->buf[o->n] = c;
    o->n++;
}

static void llmspell__j_outs(llmspell__j_out *o, const char *s, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) llmspell__j_outc(o, s[i]);
}

static void llmspell__j_outu(llmspell__j_out *o, uint64_t v) {
    char t[24];
    int n = 0;
    do { t[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) llmspell__j_outc(o, t[--n]);
}

/* data.kv_store[3]["odd key"].x */
static size_t llmspell__j_path(const llmspell__j_stack *st, char *buf, size_t cap) {
    llmspell__j_out o;
    size_t d, i;
    o.buf = buf;
    o.cap = cap;
    o.n = 0;
    for (d = 0; d < st->depth; d++) {
        const llmspell__j_level *l = &st->lv[d];
        if (l->kind == '[') {
            if (!l->count) continue; /* no element yet: the path is the array itself */
            llmspell__j_outc(&o, '[');
            llmspell__j_outu(&o, l->count - 1);
            llmspell__j_outc(&o, ']');
        } else if (l->count) {
            int plain = l->klen > 0;
            for (i = 0; i < l->klen && plain; i++) {
                char c = l->key[i];
                plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                        c == '-';
            }
            if (plain) {
                if (o.n) llmspell__j_outc(&o, '.');
                llmspell__j_outs(&o, l->key, l->klen);
                if (l->ktrunc) llmspell__j_outs(&o, "...", 3);
            } else {
                llmspell__j_outs(&o, "[\"", 2);
                for (i = 0; i < l->klen; i++) {
                    unsigned char c = (unsigned char)l->key[i];
                    if (c == '"' || c == '\\') {
                        llmspell__j_outc(&o, '\\');
                        llmspell__j_outc(&o, (char)c);
                    } else if (c < 0x20) {
                        static const char hex[] = "0123456789abcdef";
                        llmspell__j_outs(&o, "\\u00", 4);
                        llmspell__j_outc(&o, hex[c >> 4]);
                        llmspell__j_outc(&o, hex[c & 15]);
                    } else {
                        llmspell__j_outc(&o, (char)c);
                    }
                }
                llmspell__j_outs(&o, l->ktrunc ? "...\"]" : "\"]", l->ktrunc ? 5 : 2);
            }
        }
    }
    if (cap) buf[o.n < cap ? o.n : cap - 1] = 0;
    return o.n;
}

/* Fills e: code, position, path and "line L, column C: what (at path)". line 0: no position. */
static void llmspell__j_seterr(llmspell_json_error *e, const llmspell__j_stack *st, llmspell_result code,
                               uint64_t off, uint64_t line, uint64_t col, const char *fmt, va_list ap) {
    char what[256];
    int n;
    e->code = code;
    e->offset = off;
    e->line = line;
    e->column = col;
    llmspell__j_path(st, e->path, sizeof e->path);
    LLMSPELL__VSNPRINTF(what, sizeof what, fmt, ap);
    if (line)
        n = snprintf(e->message, sizeof e->message, "line %llu, column %llu: %s", (unsigned long long)line,
                     (unsigned long long)col, what);
    else
        n = snprintf(e->message, sizeof e->message, "%s", what);
    if (e->path[0] && n >= 0 && (size_t)n < sizeof e->message)
        snprintf(e->message + n, sizeof e->message - (size_t)n, " (at %s)", e->path);
}

/* Characters a JSON string can hold as they are (writer) or that need no attention (reader):
   anything but '"', '\\', control characters and non-ASCII. Returns the first other one. */
#if LLMSPELL__EX_SSE2
static int llmspell__ex_ctz32(unsigned x) { /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctz(x);
#else
    unsigned long i;
    _BitScanForward(&i, x);
    return (int)i;
#endif
}
#endif
#if LLMSPELL__EX_NEON
/* NEON has no movemask: each byte of a 0x00/0xFF comparison becomes 4 bits of a 64-bit word
   (a narrowing shift), so the first set byte is the lowest set bit / 4. 0: none. */
static uint64_t llmspell__ex_neon_mask(uint8x16_t m) {
    return vget_lane_u64(vreinterpret_u64_u8(vshrn_n_u16(vreinterpretq_u16_u8(m), 4)), 0);
}
static int llmspell__ex_neon_first(uint64_t mask) { /* mask != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_ctzll(mask) >> 2;
#else
    unsigned long i;
    _BitScanForward64(&i, mask);
    return (int)(i >> 2);
#endif
}
#endif

static const unsigned char *llmspell__j_scan(const unsigned char *p, const unsigned char *e) {
#if LLMSPELL__EX_SSE2
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: < 0x20 catches control characters and every byte >= 0x80 */
        int m = _mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp)));
        if (m) return p + llmspell__ex_ctz32((unsigned)m);
        p += 16;
    }
#else
    while (e - p >= 8) {
        uint64_t x, t;
        memcpy(&x, p, 8);
        t = ((x ^ 0x2222222222222222ull) - 0x0101010101010101ull) & ~(x ^ 0x2222222222222222ull);
        t |= ((x ^ 0x5C5C5C5C5C5C5C5Cull) - 0x0101010101010101ull) & ~(x ^ 0x5C5C5C5C5C5C5C5Cull);
        t |= (x - 0x2020202020202020ull) & ~x;
        t |= x;
        if (t & 0x8080808080808080ull) break; /* something in these 8: find it bytewise */
        p += 8;
    }
#endif
    while (p < e && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') p++;
    return p;
}

/* The plain run of a JSON string's body, copied (the DOM's fast path and the writer): bytes
   from *pp up to e go to *po until a quote, a backslash or a control character; both pointers
   advance to that byte (or to e). *high, while NULL, becomes the first byte >= 0x80 or the
   start of the 16-byte block that had one. Up to 15 bytes past the stop are written too. */
LLMSPELL__EX_INLINE void llmspell__j_copy_plain(const unsigned char **pp, const unsigned char *e, char **po, const unsigned char **high) {
    const unsigned char *p = *pp;
    char *o = *po;
#if LLMSPELL__EX_SSE2
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1F);
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q), _mm_cmpeq_epi8(v, bs)),
                                                              _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f)));
        _mm_storeu_si128((__m128i *)(void *)o, v);
        if (!*high && _mm_movemask_epi8(v)) *high = p; /* bytes after the stop count too: it only costs a check */
        if (m) {
            int k = llmspell__ex_ctz32(m);
            *pp = p + k;
            *po = o + k;
            return;
        }
        p += 16;
        o += 16;
    }
#elif LLMSPELL__EX_NEON
    const uint8x16_t q = vdupq_n_u8('"'), bs = vdupq_n_u8('\\'), c1f = vdupq_n_u8(0x1F);
    while (e - p >= 16) {
        uint8x16_t v = vld1q_u8(p);
        uint64_t m = llmspell__ex_neon_mask(vorrq_u8(vorrq_u8(vceqq_u8(v, q), vceqq_u8(v, bs)), vcleq_u8(v, c1f)));
        vst1q_u8((uint8_t *)(void *)o, v);
        if (!*high && vmaxvq_u8(v) >= 0x80) *high = p;
        if (m) {
            int k = llmspell__ex_neon_first(m);
            *pp = p + k;
            *po = o + k;
            return;
        }
        p += 16;
        o += 16;
    }
#endif
    while (p < e && *p >= 0x20 && *p != '"' && *p != '\\') {
        if (*p >= 0x80 && !*high) *high = p;
        *o++ = (char)*p++;
    }
    *pp = p;
    *po = o;
}

/* >>json-writer --------------------------------------------------------------------------- */

struct llmspell_json_writer {
    llmspell_allocator al;
    int mode; /* 0 buffer, 1 FILE*, 2 sink */
    FILE *fp;
    llmspell_json_sink sink;
    void *user;
    char *buf;
    size_t len, cap;  /* buffer mode: the whole output (+1 for the NUL); else staged bytes */
    uint64_t flushed; /* bytes delivered to the FILE* / sink */
    int indent, ascii;
    llmspell__j_stack st;
    int after_key; /* a key was written; its value is next */
    int done;      /* the top-level value is complete */
    int in_str;    /* 1: string_begin, 2: base64_begin */
    unsigned char pend[4]; /* string: an incomplete UTF-8 sequence; base64: up to 2 bytes */
    unsigned npend;
    llmspell_result failed;
    llmspell_json_error err;
};

static llmspell_result llmspell__jw_fail(llmspell_json_writer *w, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4)
    ;
static llmspell_result llmspell__jw_fail(llmspell_json_writer *w, llmspell_result code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    llmspell__j_seterr(&w->err, &w->st, code, w->flushed + w->len, 0, 0, fmt, ap);
    va_end(ap);
    w->failed = code;
    return code;
}

static llmspell_result llmspell__jw_flush(llmspell_json_writer *w) {
    if (w->mode == 0 || w->len == 0) return LLMSPELL_OK;
    if (w->mode == 1) {
        if (fwrite(w->buf, 1, w->len, w->fp) != w->len) return llmspell__jw_fail(w, LLMSPELL_ERR_IO, "write failed");
    } else {
        llmspell_result rc = w->sink(w->user, w->buf, w->len);
        if (rc != LLMSPELL_OK) return llmspell__jw_fail(w, rc, "the output sink failed: %s", llmspell_strerror(rc));
    }
    w->flushed += w->len;
    w->len = 0;
    return LLMSPELL_OK;
}

/* Room for n more bytes at buf + len (n <= cap for streaming writers). */
static llmspell_result llmspell__jw_room(llmspell_json_writer *w, size_t n) {
    if (LLMSPELL__EX_LIKELY(w->len + n < w->cap)) return LLMSPELL_OK;
    if (w->mode != 0) return llmspell__jw_flush(w);
    if (w->len + n + 1 < w->len ||
        llmspell__ex_grow(&w->al, (void **)&w->buf, &w->cap, w->len + n + 1, 1))
        return llmspell__jw_fail(w, LLMSPELL_ERR_NOMEM, "out of memory growing the output to %llu bytes",
                                 (unsigned long long)(w->len + n + 1));
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_put(llmspell_json_writer *w, const void *s, size_t n) {
    if (w->mode != 0 && n >= w->cap) { /* a large run goes out directly */
        llmspell_result rc = llmspell__jw_flush(w);
        if (rc != LLMSPELL_OK) return rc;
        if (w->mode == 1) {
            if (fwrite(s, 1, n, w->fp) != n) return llmspell__jw_fail(w, LLMSPELL_ERR_IO, "write failed");
        } else if ((rc = w->sink(w->user, s, n)) != LLMSPELL_OK) {
            return llmspell__jw_fail(w, rc, "the output sink failed: %s", llmspell_strerror(rc));
        }
        w->flushed += n;
        return LLMSPELL_OK;
    }
    if (llmspell__jw_room(w, n) != LLMSPELL_OK) return w->failed;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_newline(llmspell_json_writer *w, size_t depth) {
    size_t n = 1 + depth * (size_t)w->indent, i;
    if (w->mode != 0 && n >= w->cap) n = w->cap - 1; /* absurd depth x indent: cut the indent */
    if (llmspell__jw_room(w, n) != LLMSPELL_OK) return w->failed;
    w->buf[w->len] = '\n';
    for (i = 1; i < n; i++) w->buf[w->len + i] = ' ';
    w->len += n;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_open(llmspell_json_writer **out, int mode, FILE *fp, llmspell_json_sink sink,
                                         void *user, const llmspell_json_writer_options *opts) {
    llmspell_json_writer_options o;
    llmspell_json_writer *w;
    if (!out) return LLMSPELL_ERR_INVALID;
    *out = NULL;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    if (!llmspell__ex_allocator_ok(&o.allocator) || o.indent < 0 || o.indent > 16) return LLMSPELL_ERR_INVALID;
    if (!o.max_depth) o.max_depth = LLMSPELL__J_DEFAULT_DEPTH;
    if (!o.buffer_size) o.buffer_size = 64 * 1024;
    if (o.buffer_size < 64) o.buffer_size = 64;
    if (!(w = (llmspell_json_writer *)llmspell__ex_alloc(&o.allocator, sizeof *w))) return LLMSPELL_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->al = o.allocator;
    w->mode = mode;
    w->fp = fp;
    w->sink = sink;
    w->user = user;
    w->indent = o.indent;
    w->ascii = o.ascii_only != 0;
    w->st.max = o.max_depth;
    w->cap = mode == 0 ? 256 : o.buffer_size;
    if (!(w->buf = (char *)llmspell__ex_alloc(&w->al, w->cap))) {
        llmspell__ex_free(&w->al, w);
        return LLMSPELL_ERR_NOMEM;
    }
    *out = w;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_writer_open_buffer(llmspell_json_writer **w,
                                                              const llmspell_json_writer_options *opts) {
    return llmspell__jw_open(w, 0, NULL, NULL, NULL, opts);
}

LLMSPELL_DEF llmspell_result llmspell_json_writer_open_file(llmspell_json_writer **w, FILE *f,
                                                            const llmspell_json_writer_options *opts) {
    if (!f) {
        if (w) *w = NULL;
        return LLMSPELL_ERR_INVALID;
    }
    return llmspell__jw_open(w, 1, f, NULL, NULL, opts);
}

LLMSPELL_DEF llmspell_result llmspell_json_writer_open_sink(llmspell_json_writer **w, llmspell_json_sink sink,
                                                            void *user, const llmspell_json_writer_options *opts) {
    if (!sink) {
        if (w) *w = NULL;
        return LLMSPELL_ERR_INVALID;
    }
    return llmspell__jw_open(w, 2, NULL, sink, user, opts);
}

LLMSPELL_DEF void llmspell_json_writer_free(llmspell_json_writer *w) {
    if (!w) return;
    llmspell__ex_free(&w->al, w->st.lv);
    llmspell__ex_free(&w->al, w->buf);
    llmspell__ex_free(&w->al, w);
}

LLMSPELL_DEF const char *llmspell_json_writer_data(const llmspell_json_writer *w, size_t *n) {
    if (n) *n = 0;
    if (!w || w->mode != 0) return NULL;
    w->buf[w->len] = 0; /* room for it is always kept */
    if (n) *n = w->len;
    return w->buf;
}

LLMSPELL_DEF uint64_t llmspell_json_writer_bytes(const llmspell_json_writer *w) {
    return w ? w->flushed + w->len : 0;
}

LLMSPELL_DEF const llmspell_json_error *llmspell_json_writer_error(const llmspell_json_writer *w) {
    return w ? &w->err : NULL;
}

LLMSPELL_DEF llmspell_result llmspell_json_writer_finish(llmspell_json_writer *w) {
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    if (w->in_str) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "finish inside an unterminated string");
    if (!w->done)
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, w->st.depth ? "finish with %llu container(s) still open"
                                                                      : "finish before any value was written",
                                 (unsigned long long)w->st.depth);
    if (w->indent && w->done == 1) {
        if (llmspell__jw_put(w, "\n", 1) != LLMSPELL_OK) return w->failed;
        w->done = 2; /* the newline is written once */
    }
    return llmspell__jw_flush(w);
}

/* Separator and indentation before a value; checks that a value is allowed here. */
static llmspell_result llmspell__jw_value(llmspell_json_writer *w) {
    llmspell__j_level *l;
    if (LLMSPELL__EX_UNLIKELY(w->failed)) return w->failed;
    if (LLMSPELL__EX_UNLIKELY(w->in_str))
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a value inside an unterminated string");
    if (!w->st.depth) {
        if (w->done) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a second top-level value");
        return LLMSPELL_OK;
    }
    l = &w->st.lv[w->st.depth - 1];
    if (l->kind == '{') {
        if (!w->after_key) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a value in an object needs a key first");
        w->after_key = 0;
        return LLMSPELL_OK;
    }
    if (l->count++ && llmspell__jw_put(w, ",", 1) != LLMSPELL_OK) return w->failed;
    if (w->indent) return llmspell__jw_newline(w, w->st.depth);
    return LLMSPELL_OK;
}

static void llmspell__jw_after(llmspell_json_writer *w) {
    if (!w->st.depth) w->done = 1;
}

static llmspell_result llmspell__jw_begin(llmspell_json_writer *w, unsigned char kind) {
    llmspell_result rc;
    if (llmspell__jw_value(w) != LLMSPELL_OK) return w->failed;
    if ((rc = llmspell__j_push(&w->al, &w->st, kind)) != LLMSPELL_OK)
        return llmspell__jw_fail(w, rc, rc == LLMSPELL_ERR_TOO_LARGE ? "nesting deeper than max_depth (%llu)"
                                                                     : "out of memory (depth %llu)",
                                 (unsigned long long)w->st.max);
    return llmspell__jw_put(w, kind == '{' ? "{" : "[", 1);
}

static llmspell_result llmspell__jw_end(llmspell_json_writer *w, unsigned char kind) {
    llmspell__j_level *l;
    if (w->failed) return w->failed;
    if (w->in_str) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a container end inside an unterminated string");
    if (!w->st.depth || (l = &w->st.lv[w->st.depth - 1])->kind != kind)
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "%s does not match the open container",
                                 kind == '{' ? "object_end" : "array_end");
    if (w->after_key) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "object_end after a key without a value");
    w->st.depth--;
    if (l->count && w->indent && llmspell__jw_newline(w, w->st.depth) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_put(w, kind == '{' ? "}" : "]", 1) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_object_begin(llmspell_json_writer *w) {
    return w ? llmspell__jw_begin(w, '{') : LLMSPELL_ERR_INVALID;
}
LLMSPELL_DEF llmspell_result llmspell_json_object_end(llmspell_json_writer *w) {
    return w ? llmspell__jw_end(w, '{') : LLMSPELL_ERR_INVALID;
}
LLMSPELL_DEF llmspell_result llmspell_json_array_begin(llmspell_json_writer *w) {
    return w ? llmspell__jw_begin(w, '[') : LLMSPELL_ERR_INVALID;
}
LLMSPELL_DEF llmspell_result llmspell_json_array_end(llmspell_json_writer *w) {
    return w ? llmspell__jw_end(w, '[') : LLMSPELL_ERR_INVALID;
}

/* The escape of a quote, a backslash or a control character c into out: its length. */
static size_t llmspell__jw_esc1(unsigned c, char *out) {
    static const char hex[] = "0123456789abcdef";
    out[0] = '\\';
    switch (c) {
    case '"': out[1] = '"'; return 2;
    case '\\': out[1] = '\\'; return 2;
    case '\b': out[1] = 'b'; return 2;
    case '\f': out[1] = 'f'; return 2;
    case '\n': out[1] = 'n'; return 2;
    case '\r': out[1] = 'r'; return 2;
    case '\t': out[1] = 't'; return 2;
    default:
        out[1] = 'u'; out[2] = '0'; out[3] = '0';
        out[4] = hex[c >> 4]; out[5] = hex[c & 15];
        return 6;
    }
}

/* Strings up to this long are escaped straight into the buffer, with room for the worst case
   (6 bytes per byte) made first; longer ones, and ascii_only, take llmspell__jw_escape. */
#define LLMSPELL__JW_DIRECT ((size_t)16 << 10)

/* Writes s[0..n) escaped into the buffer, which has room for 6n + 16 bytes: 16-byte blocks are
   copied whole, up to the next quote, backslash or control character; UTF-8 is checked once,
   at the end, and a string that fails leaves nothing written. */
static llmspell_result llmspell__jw_escape_direct(llmspell_json_writer *w, const unsigned char *s, size_t n) {
    const unsigned char *p = s, *e = s + n, *high = NULL;
    char *o = w->buf + w->len;
    size_t bad = 0;
    for (;;) {
        llmspell__j_copy_plain(&p, e, &o, &high);
        if (p == e) break;
        o += llmspell__jw_esc1(*p++, o);
    }
    if (high && !llmspell_json_utf8_valid(high, (size_t)(e - high), &bad))
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "string is not valid UTF-8 (byte %llu)",
                                 (unsigned long long)(bad + (size_t)(high - s)));
    w->len = (size_t)(o - w->buf);
    return LLMSPELL_OK;
}

/* Writes the escaped form of s[0..n) (no quotes). With tail != NULL an incomplete UTF-8
   sequence at the very end is not an error: *tail receives its offset. */
static llmspell_result llmspell__jw_escape(llmspell_json_writer *w, const unsigned char *s, size_t n, size_t *tail) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = s, *e = s + n, *run = s;
    char esc[12];
    if (tail) *tail = n;
    for (;;) {
        size_t k = 0;
        unsigned c;
        p = llmspell__j_scan(p, e);
        if (p == e) break;
        c = *p;
        if (c >= 0x80) {
            int len = llmspell__ex_utf8(p, (size_t)(e - p));
            unsigned cp;
            if (len < 0 && tail) {
                *tail = (size_t)(p - s);
                break;
            }
            if (len <= 0)
                return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "string is not valid UTF-8 (byte %llu)",
                                         (unsigned long long)(p - s));
            if (!w->ascii) { /* valid: it stays in the run */
                p += len;
                continue;
            }
            cp = len == 2 ? ((c & 0x1Fu) << 6) | (p[1] & 0x3Fu)
               : len == 3 ? ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu)
                          : ((c & 0x07u) << 18) | ((p[1] & 0x3Fu) << 12) | ((p[2] & 0x3Fu) << 6) | (p[3] & 0x3Fu);
            if (cp >= 0x10000) { /* surrogate pair */
                unsigned hi = 0xD800 + ((cp - 0x10000) >> 10), lo = 0xDC00 + ((cp - 0x10000) & 0x3FF);
                esc[k++] = '\\'; esc[k++] = 'u';
                esc[k++] = hex[hi >> 12]; esc[k++] = hex[(hi >> 8) & 15]; esc[k++] = hex[(hi >> 4) & 15]; esc[k++] = hex[hi & 15];
                cp = lo;
            }
            esc[k++] = '\\'; esc[k++] = 'u';
            esc[k++] = hex[cp >> 12]; esc[k++] = hex[(cp >> 8) & 15]; esc[k++] = hex[(cp >> 4) & 15]; esc[k++] = hex[cp & 15];
            if (llmspell__jw_put(w, run, (size_t)(p - run)) != LLMSPELL_OK) return w->failed;
            p += len;
        } else {
            k = llmspell__jw_esc1(c, esc);
            if (llmspell__jw_put(w, run, (size_t)(p - run)) != LLMSPELL_OK) return w->failed;
            p++;
        }
        if (llmspell__jw_put(w, esc, k) != LLMSPELL_OK) return w->failed;
        run = p;
    }
    return llmspell__jw_put(w, run, (size_t)(p - run));
}

static llmspell_result llmspell__jw_quoted(llmspell_json_writer *w, const char *s, size_t n) {
    if (!w->ascii && n <= LLMSPELL__JW_DIRECT) {
        if (llmspell__jw_room(w, 6 * n + 18) != LLMSPELL_OK) return w->failed;
        if (w->cap - w->len > 6 * n + 18) { /* a flushed FILE* or sink buffer may still be too small */
            size_t at = w->len;
            w->buf[w->len++] = '"';
            if (llmspell__jw_escape_direct(w, (const unsigned char *)s, n) != LLMSPELL_OK) {
                w->len = at;
                return w->failed;
            }
            w->buf[w->len++] = '"';
            return LLMSPELL_OK;
        }
    }
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_escape(w, (const unsigned char *)s, n, NULL) != LLMSPELL_OK) return w->failed;
    return llmspell__jw_put(w, "\"", 1);
}

LLMSPELL_DEF llmspell_result llmspell_json_key(llmspell_json_writer *w, const char *s, size_t n) {
    llmspell__j_level *l;
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    if (!s && n) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL key");
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(s);
    if (w->in_str) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a key inside an unterminated string");
    if (!w->st.depth || (l = &w->st.lv[w->st.depth - 1])->kind != '{' || w->after_key)
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "a key is only allowed in an object, before its value");
    if (l->count++ && llmspell__jw_put(w, ",", 1) != LLMSPELL_OK) return w->failed;
    if (w->indent && llmspell__jw_newline(w, w->st.depth) != LLMSPELL_OK) return w->failed;
    llmspell__j_setkey(l, s ? s : "", n);
    if (llmspell__jw_quoted(w, s, n) != LLMSPELL_OK) return w->failed;
    w->after_key = 1;
    return llmspell__jw_put(w, w->indent ? ": " : ":", w->indent ? 2 : 1);
}

LLMSPELL_DEF llmspell_result llmspell_json_string(llmspell_json_writer *w, const char *s, size_t n) {
    if (!w) return LLMSPELL_ERR_INVALID;
    if (llmspell__jw_value(w) != LLMSPELL_OK) return w->failed;
    if (!s && n) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL string");
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(s);
    if (llmspell__jw_quoted(w, s, n) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_scalar(llmspell_json_writer *w, const char *text, size_t n) {
    if (llmspell__jw_value(w) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_put(w, text, n) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

static size_t llmspell__j_utoa(char *end, uint64_t v) { /* writes backwards before end */
    size_t n = 0;
    do { *--end = (char)('0' + v % 10); v /= 10; n++; } while (v);
    return n;
}

LLMSPELL_DEF llmspell_result llmspell_json_int(llmspell_json_writer *w, int64_t v) {
    char t[24];
    size_t n;
    if (!w) return LLMSPELL_ERR_INVALID;
    n = llmspell__j_utoa(t + sizeof t, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0) t[sizeof t - ++n] = '-';
    return llmspell__jw_scalar(w, t + sizeof t - n, n);
}

LLMSPELL_DEF llmspell_result llmspell_json_uint(llmspell_json_writer *w, uint64_t v) {
    char t[24];
    size_t n;
    if (!w) return LLMSPELL_ERR_INVALID;
    n = llmspell__j_utoa(t + sizeof t, v);
    return llmspell__jw_scalar(w, t + sizeof t - n, n);
}

LLMSPELL_DEF llmspell_result llmspell_json_double(llmspell_json_writer *w, double v) {
    char t[48];
    size_t n;
    uint64_t bits;
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    memcpy(&bits, &v, 8);
    if ((bits & LLMSPELL__J_INF_BITS) == LLMSPELL__J_INF_BITS)
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "%s has no JSON spelling", v != v ? "NaN" : "infinity");
    n = llmspell__j_fmt_double(v, t);
    return llmspell__jw_scalar(w, t, n);
}

LLMSPELL_DEF llmspell_result llmspell_json_bool(llmspell_json_writer *w, int v) {
    if (!w) return LLMSPELL_ERR_INVALID;
    return llmspell__jw_scalar(w, v ? "true" : "false", v ? 4 : 5);
}

LLMSPELL_DEF llmspell_result llmspell_json_null(llmspell_json_writer *w) {
    if (!w) return LLMSPELL_ERR_INVALID;
    return llmspell__jw_scalar(w, "null", 4);
}

LLMSPELL_DEF llmspell_result llmspell_json_number_text(llmspell_json_writer *w, const char *s, size_t n) {
    size_t bad;
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    if (!s) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL number text");
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(s);
    if (!llmspell__j_number_check(s, n, &bad))
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "not a JSON number (byte %llu of \"%.*s\")",
                                 (unsigned long long)bad, (int)(n < 40 ? n : 40), s);
    return llmspell__jw_scalar(w, s, n);
}

/* Encodes whole groups of 3 bytes straight into the output, in slices. */
static llmspell_result llmspell__jw_b64(llmspell_json_writer *w, const unsigned char *p, size_t n) {
    while (n) {
        size_t take = n, room;
        if (w->mode != 0) { /* a slice that fits the staging buffer */
            room = (w->cap - 1) / 4 * 3;
            if (take > room) take = room;
        } else if (take > ((size_t)1 << 24)) {
            take = ((size_t)1 << 24) / 3 * 3; /* whole groups: padding only at the very end */
        }
        if (llmspell__jw_room(w, llmspell_b64_encoded_len(take)) != LLMSPELL_OK) return w->failed;
        w->len += llmspell_b64_encode(w->buf + w->len, p, take);
        p += take;
        n -= take;
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_base64(llmspell_json_writer *w, const void *data, size_t n) {
    if (!w) return LLMSPELL_ERR_INVALID;
    if (llmspell__jw_value(w) != LLMSPELL_OK) return w->failed;
    if (!data && n) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL data");
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_b64(w, (const unsigned char *)data, n) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_str_begin(llmspell_json_writer *w, int kind) {
    if (!w) return LLMSPELL_ERR_INVALID;
    if (llmspell__jw_value(w) != LLMSPELL_OK) return w->failed;
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    w->in_str = kind;
    w->npend = 0;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jw_str_check(llmspell_json_writer *w, int kind, const void *s, size_t n) {
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    if (w->in_str != kind)
        return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "%s without a matching begin",
                                 kind == 1 ? "string_append/end" : "base64_append/end");
    if (!s && n) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL data");
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_string_begin(llmspell_json_writer *w) { return llmspell__jw_str_begin(w, 1); }
LLMSPELL_DEF llmspell_result llmspell_json_base64_begin(llmspell_json_writer *w) { return llmspell__jw_str_begin(w, 2); }

LLMSPELL_DEF llmspell_result llmspell_json_string_append(llmspell_json_writer *w, const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t tail;
    if (llmspell__jw_str_check(w, 1, s, n) != LLMSPELL_OK) return w ? w->failed : LLMSPELL_ERR_INVALID;
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(s);
    while (w->npend && n) { /* finish the sequence split by the previous piece */
        int len;
        if (w->npend >= sizeof w->pend) /* cannot happen: a 4th byte completes or breaks it */
            return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "string is not valid UTF-8");
        w->pend[w->npend++] = *p++;
        n--;
        len = llmspell__ex_utf8(w->pend, w->npend);
        if (len == 0) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "string is not valid UTF-8");
        if (len > 0) {
            if (llmspell__jw_escape(w, w->pend, w->npend, NULL) != LLMSPELL_OK) return w->failed;
            w->npend = 0;
        }
    }
    if (llmspell__jw_escape(w, p, n, &tail) != LLMSPELL_OK) return w->failed;
    if (tail < n) {
        memcpy(w->pend, p + tail, n - tail);
        w->npend = (unsigned)(n - tail);
    }
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_string_end(llmspell_json_writer *w) {
    if (llmspell__jw_str_check(w, 1, NULL, 0) != LLMSPELL_OK) return w ? w->failed : LLMSPELL_ERR_INVALID;
    if (w->npend) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "string ends inside a UTF-8 sequence");
    w->in_str = 0;
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_base64_append(llmspell_json_writer *w, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    size_t whole;
    if (llmspell__jw_str_check(w, 2, data, n) != LLMSPELL_OK) return w ? w->failed : LLMSPELL_ERR_INVALID;
    while (w->npend && w->npend < 3 && n) { /* complete the carried group */
        w->pend[w->npend++] = *p++;
        n--;
    }
    if (w->npend == 3) {
        if (llmspell__jw_b64(w, w->pend, 3) != LLMSPELL_OK) return w->failed;
        w->npend = 0;
    }
    whole = n / 3 * 3;
    if (llmspell__jw_b64(w, p, whole) != LLMSPELL_OK) return w->failed;
    memcpy(w->pend + w->npend, p + whole, n - whole);
    w->npend += (unsigned)(n - whole);
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_base64_end(llmspell_json_writer *w) {
    char t[4];
    if (llmspell__jw_str_check(w, 2, NULL, 0) != LLMSPELL_OK) return w ? w->failed : LLMSPELL_ERR_INVALID;
    if (w->npend) {
        llmspell_b64_encode(t, w->pend, w->npend);
        if (llmspell__jw_put(w, t, 4) != LLMSPELL_OK) return w->failed;
    }
    w->in_str = 0;
    w->npend = 0;
    if (llmspell__jw_put(w, "\"", 1) != LLMSPELL_OK) return w->failed;
    llmspell__jw_after(w);
    return LLMSPELL_OK;
}

/* >>json-reader --------------------------------------------------------------------------- */

enum {
    LLMSPELL__JR_START,     /* nothing read: a BOM check, then the first value */
    LLMSPELL__JR_TOP,       /* a top-level value */
    LLMSPELL__JR_VALUE,     /* a value after ':' */
    LLMSPELL__JR_ARR_FIRST, /* after '[': a value or ']' */
    LLMSPELL__JR_ARR_NEXT,  /* after ',' in an array */
    LLMSPELL__JR_OBJ_FIRST, /* after '{': a key or '}' */
    LLMSPELL__JR_OBJ_NEXT,  /* after ',' in an object */
    LLMSPELL__JR_COLON,     /* after a key */
    LLMSPELL__JR_AFTER,     /* after a value in a container: ',' or the end */
    LLMSPELL__JR_END,       /* after the top-level value: only whitespace */
    LLMSPELL__JR_EOF        /* EV_END was returned */
};

typedef struct llmspell__j_dkent {
    uint64_t h;
    size_t off, len;
} llmspell__j_dkent;

struct llmspell_json_reader {
    llmspell_allocator al;
    unsigned flags;
    size_t max_string;
    int mode; /* 0 buffer, 1 FILE*, 2 source */
    FILE *fp;
    llmspell_json_source src;
    void *user;
    const char *buf; /* the input (buffer mode) or own */
    char *own;
    size_t pos, end, cap;
    int eof;                        /* nothing beyond end */
    uint64_t base;                  /* input offset of buf[0] */
    uint64_t line, line_start;      /* current line and the input offset of its first byte */
    char *scr;                      /* decoded strings and numbers that could not stay in buf */
    size_t scr_len, scr_cap;
    llmspell__j_stack st;
    int state;
    int pop_pending;                /* the last token closed the innermost level */
    int in_chunk;                   /* a chunked string continues at pos */
    int cont;                       /* the last token was a continuation piece */
    uint64_t str_off, str_line, str_col; /* where the current string started */
    int peeked, peek_cont;
    llmspell_json_token peek;
    uint64_t tok_off, tok_line, tok_col; /* the last token returned */
    void *bfr, *bms;                /* the DOM builder's stacks, kept for the next value */
    size_t bfr_cap, bms_cap;
    char *bg;                       /* ...and its buffer for gathering chunked strings */
    size_t bg_cap;
    llmspell__j_dkent *dk;          /* keys of the open objects (REJECT_DUPLICATES) */
    size_t dk_n, dk_cap;
    char *dkb;
    size_t dkb_len, dkb_cap;
    llmspell_result failed;
    llmspell_json_error err;
};

static llmspell_result llmspell__jr_fail_at(llmspell_json_reader *r, llmspell_result code, uint64_t off,
                                            const char *fmt, ...)
    LLMSPELL__PRINTF(4, 5)
    ;
static llmspell_result llmspell__jr_fail_at(llmspell_json_reader *r, llmspell_result code, uint64_t off,
                                            const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    llmspell__j_seterr(&r->err, &r->st, code, off, r->line, off >= r->line_start ? off - r->line_start + 1 : 1, fmt,
                       ap);
    va_end(ap);
    r->failed = code;
    return code;
}

static const char *llmspell__jr_what(int c, char *buf, size_t cap) {
    if (c < 0) return "end of input";
    if (c > 0x20 && c < 0x7F) snprintf(buf, cap, "'%c'", c);
    else snprintf(buf, cap, "byte 0x%02X", (unsigned)c);
    return buf;
}

/* Reads more input after buf[pos..end) (moved to the front). Returns 1 when bytes were added,
   0 at the end of the input, -1 on a read failure (recorded). Callers keep pos..end short. */
static int llmspell__jr_fill(llmspell_json_reader *r) {
    size_t keep, got = 0;
    if (r->mode == 0 || r->eof) return 0;
    keep = r->end - r->pos;
    if (r->pos) {
        memmove(r->own, r->own + r->pos, keep);
        r->base += r->pos;
        r->pos = 0;
        r->end = keep;
    }
    if (r->mode == 1) {
        got = fread(r->own + r->end, 1, r->cap - r->end, r->fp);
        if (got == 0 && ferror(r->fp)) {
            llmspell__jr_fail_at(r, LLMSPELL_ERR_IO, r->base + r->end, "read error");
            return -1;
        }
    } else {
        llmspell_result rc = r->src(r->user, r->own + r->end, r->cap - r->end, &got);
        if (rc != LLMSPELL_OK) {
            llmspell__jr_fail_at(r, rc, r->base + r->end, "the input source failed: %s", llmspell_strerror(rc));
            return -1;
        }
        if (got > r->cap - r->end) {
            llmspell__jr_fail_at(r, LLMSPELL_ERR_INVALID, r->base + r->end, "the input source returned too many bytes");
            return -1;
        }
    }
    if (got == 0) {
        r->eof = 1;
        return 0;
    }
    r->end += got;
    return 1;
}

/* Skips whitespace; returns the next byte (not consumed), -1 at the end, -2 on failure. */
static int llmspell__jr_ws(llmspell_json_reader *r) {
    for (;;) {
        const char *b = r->buf;
        size_t i = r->pos, e = r->end;
        while (i < e) {
            char c = b[i];
            if (c == ' ' || c == '\t' || c == '\r') {
                i++;
            } else if (c == '\n') {
                i++;
                r->line++;
                r->line_start = r->base + i;
            } else {
                r->pos = i;
                return (unsigned char)c;
            }
        }
        r->pos = e;
        switch (llmspell__jr_fill(r)) {
        case 0: return -1;
        case -1: return -2;
        default: break;
        }
    }
}

static void llmspell__jr_here(llmspell_json_reader *r, llmspell_json_token *t) {
    t->offset = r->base + r->pos;
    t->line = r->line;
    t->column = t->offset >= r->line_start ? t->offset - r->line_start + 1 : 1;
    t->depth = r->st.depth;
}

static llmspell_result llmspell__jr_scr(llmspell_json_reader *r, const void *p, size_t n) {
    if (n > r->max_string - r->scr_len)
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, r->str_off,
                                    "token longer than max_string (%llu bytes)", (unsigned long long)r->max_string);
    if (llmspell__ex_grow(&r->al, (void **)&r->scr, &r->scr_cap, r->scr_len + n, 1))
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_NOMEM, r->str_off, "out of memory for a %llu-byte token",
                                    (unsigned long long)(r->scr_len + n));
    if (n) memcpy(r->scr + r->scr_len, p, n);
    r->scr_len += n;
    return LLMSPELL_OK;
}

static int llmspell__jr_hex4(const unsigned char *p, const unsigned char *e, unsigned *v) {
    int i;
    *v = 0;
    for (i = 0; i < 4; i++) {
        unsigned c;
        if (p + i >= e) return i;
        c = p[i];
        if (c >= '0' && c <= '9') c -= '0';
        else if (c >= 'a' && c <= 'f') c -= 'a' - 10;
        else if (c >= 'A' && c <= 'F') c -= 'A' - 10;
        else return i;
        *v = (*v << 4) | c;
    }
    return 4;
}

/* The byte a one-letter escape (the letter after '\\') stands for, or -1. */
static int llmspell__j_unescape1(unsigned char c) {
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return -1;
    }
}

/* Decodes the escape at p ('\\') into out (<= 4 bytes, *olen): the bytes consumed, or 0 when
   it is not a valid one (the reader and the DOM's fast path share these rules). */
static size_t llmspell__j_unescape(const unsigned char *p, const unsigned char *e, unsigned char *out, size_t *olen) {
    unsigned cp, lo;
    size_t used = 6;
    int c;
    *olen = 1;
    if (e - p < 2) return 0;
    if ((c = llmspell__j_unescape1(p[1])) >= 0) {
        out[0] = (unsigned char)c;
        return 2;
    }
    if (p[1] != 'u') return 0;
    if (llmspell__jr_hex4(p + 2, e, &cp) < 4) return 0;
    if (cp >= 0xD800 && cp <= 0xDBFF) { /* must pair with a low surrogate */
        if (!(e - p >= 12 && p[6] == '\\' && p[7] == 'u' && llmspell__jr_hex4(p + 8, e, &lo) == 4 && lo >= 0xDC00 && lo <= 0xDFFF))
            return 0;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        used = 12;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return 0;
    }
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
    } else if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        *olen = 2;
    } else if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        *olen = 3;
    } else {
        out[0] = (unsigned char)(0xF0 | (cp >> 18));
        out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (unsigned char)(0x80 | (cp & 0x3F));
        *olen = 4;
    }
    return used;
}

/* The reader's escape: decoded, or 0 after recording why it is not valid. */
static size_t llmspell__jr_escape(llmspell_json_reader *r, const unsigned char *p, const unsigned char *e,
                                  unsigned char *out, size_t *olen) {
    const unsigned char *b = (const unsigned char *)r->buf;
    uint64_t at = r->base + (uint64_t)(p - b);
    size_t used = llmspell__j_unescape(p, e, out, olen);
    unsigned cp;
    int k;
    char w[24];
    if (used) return used;
    if (e - p < 2) {
        llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + (uint64_t)(e - b), "unterminated string");
    } else if (p[1] != 'u') {
        llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, at + 1, "invalid escape: %s after '\\'", llmspell__jr_what(p[1], w, sizeof w));
    } else if ((k = llmspell__jr_hex4(p + 2, e, &cp)) < 4) {
        llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, at + 2 + (uint64_t)k,
                             p + 2 + k >= e ? "unterminated string" : "invalid \\u escape: expected 4 hex digits");
    } else if (cp >= 0xD800 && cp <= 0xDBFF) {
        llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, at, "lone surrogate \\u%04X (not followed by a low surrogate): not valid Unicode", cp);
    } else {
        llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, at, "lone low surrogate \\u%04X: not valid Unicode", cp);
    }
    return 0;
}

/* Reads a string from r->pos (just past the opening quote, or inside a chunked string).
   Without escapes and within the buffer the result points into the buffer; otherwise it is
   gathered in the scratch buffer. */
static llmspell_result llmspell__jr_string(llmspell_json_reader *r, llmspell_json_token *t, int key) {
    int gather = 0;
    int chunked = !key && r->mode != 0 && (r->flags & LLMSPELL_JSON_CHUNKED_STRINGS);
    r->scr_len = 0;
    for (;;) {
        const unsigned char *b = (const unsigned char *)r->buf, *e = b + r->end, *run = b + r->pos, *p = run;
        for (;;) { /* the run: plain bytes and valid UTF-8 */
            int len;
            p = llmspell__j_scan(p, e);
            if (p == e || *p < 0x80) break;
            len = llmspell__ex_utf8(p, (size_t)(e - p));
            if (len > 0) {
                p += len;
                continue;
            }
            if (len < 0 && r->mode != 0 && !r->eof) break; /* cut by the buffer end: read more */
            if (r->scr_len + (size_t)(p - run) > r->max_string) /* in input order the limit came first */
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, r->str_off, "string longer than max_string (%llu bytes)",
                                            (unsigned long long)r->max_string);
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + (uint64_t)(p - b),
                                        "invalid UTF-8 in a string (byte 0x%02X)", *p);
        }
        if (p < e && *p == '"') {
            size_t n = (size_t)(p - run);
            if (!gather) {
                if (n > r->max_string)
                    return llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, r->str_off,
                                                "string longer than max_string (%llu bytes)",
                                                (unsigned long long)r->max_string);
                t->str = (const char *)run;
                t->len = n;
            } else {
                if (llmspell__jr_scr(r, run, n) != LLMSPELL_OK) return r->failed;
                t->str = r->scr ? r->scr : "";
                t->len = r->scr_len;
            }
            r->pos = (size_t)(p + 1 - b);
            r->in_chunk = 0;
            t->more = 0;
            return LLMSPELL_OK;
        }
        if (chunked && r->scr_len && r->scr_len + (size_t)(p - run) > r->cap) {
            /* deliver what is gathered first, so pieces stay near buffer_size */
            t->str = r->scr;
            t->len = r->scr_len;
            t->more = 1;
            r->in_chunk = 1;
            r->pos = (size_t)(run - b);
            return LLMSPELL_OK;
        }
        if (llmspell__jr_scr(r, run, (size_t)(p - run)) != LLMSPELL_OK) return r->failed;
        gather = 1;
        r->pos = (size_t)(p - b);
        if (p == e || *p >= 0x80) { /* more input needed */
            int cut = p != e, f = llmspell__jr_fill(r);
            if (f < 0) return r->failed;
            if (f == 0 && cut) /* a sequence cut by the end of input: the same error a whole buffer gives */
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + r->pos, "invalid UTF-8 in a string (byte 0x%02X)",
                                            ((const unsigned char *)r->buf)[r->pos]);
            if (f == 0)
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + r->end,
                                            "unterminated string (it starts at line %llu, column %llu)",
                                            (unsigned long long)r->str_line, (unsigned long long)r->str_col);
        } else if (*p == '\\') {
            unsigned char out[4];
            size_t olen, used;
            while (e - p < 12 && r->mode != 0 && !r->eof) { /* an escape may take 12 bytes */
                if (llmspell__jr_fill(r) < 0) return r->failed;
                b = (const unsigned char *)r->buf;
                p = b + r->pos;
                e = b + r->end;
            }
            if (!(used = llmspell__jr_escape(r, p, e, out, &olen))) return r->failed;
            if (llmspell__jr_scr(r, out, olen) != LLMSPELL_OK) return r->failed;
            r->pos += used;
        } else {
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + r->pos,
                                        "control character U+%04X in a string: it must be escaped", *p);
        }
        if (chunked && r->scr_len >= r->cap) { /* deliver a piece, keep the rest for later */
            t->str = r->scr;
            t->len = r->scr_len;
            t->more = 1;
            r->in_chunk = 1;
            return LLMSPELL_OK;
        }
    }
}

static int llmspell__jr_numch(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static llmspell_result llmspell__jr_number(llmspell_json_reader *r, llmspell_json_token *t) {
    const char *text;
    size_t start = r->pos, i, n, bad;
    int gather = 0;
    r->scr_len = 0;
    r->str_off = t->offset;
    for (;;) { /* the maximal run of number characters; the grammar is checked after */
        const char *b = r->buf;
        i = r->pos;
        start = i;
        while (i < r->end && llmspell__jr_numch(b[i])) i++;
        r->pos = i;
        if (i < r->end || r->mode == 0 || r->eof) break;
        if (llmspell__jr_scr(r, b + start, i - start) != LLMSPELL_OK) return r->failed;
        gather = 1;
        if (llmspell__jr_fill(r) < 0) return r->failed;
    }
    if (gather) {
        if (llmspell__jr_scr(r, r->buf + start, r->pos - start) != LLMSPELL_OK) return r->failed;
        text = r->scr;
        n = r->scr_len;
    } else {
        text = r->buf + start;
        n = r->pos - start;
        if (n > r->max_string)
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, t->offset, "number longer than max_string");
    }
    if (!llmspell__j_number_check(text, n, &bad)) {
        char w[24];
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset + bad, "invalid number: %s %s",
                                    bad < n ? "unexpected" : "expected a digit, found",
                                    bad < n ? llmspell__jr_what((unsigned char)text[bad], w, sizeof w)
                                    : r->pos < r->end ? llmspell__jr_what((unsigned char)r->buf[r->pos], w, sizeof w)
                                                      : "end of input");
    }
    if (llmspell__j_number(text, n, &t->is_int, &t->i, &t->d) < 0 && !(r->flags & LLMSPELL_JSON_ALLOW_OVERFLOW))
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, t->offset,
                                    "number out of the double range (LLMSPELL_JSON_ALLOW_OVERFLOW reads it as "
                                    "infinity)");
    t->event = LLMSPELL_JSON_EV_NUMBER;
    t->str = text;
    t->len = n;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jr_literal(llmspell_json_reader *r, llmspell_json_token *t, int c) {
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : "null";
    size_t len = strlen(word), i = 0;
    while (i < len) {
        if (r->pos == r->end) {
            int f = llmspell__jr_fill(r);
            if (f < 0) return r->failed;
            if (f == 0)
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset + i,
                                            "unexpected end of input in '%s'", word);
        }
        if (r->buf[r->pos] != word[i]) {
            char w[24];
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset + i, "invalid literal: %s where '%s' was expected",
                                        llmspell__jr_what((unsigned char)r->buf[r->pos], w, sizeof w), word);
        }
        r->pos++;
        i++;
    }
    t->event = c == 'n' ? LLMSPELL_JSON_EV_NULL : LLMSPELL_JSON_EV_BOOL;
    t->b = c == 't';
    return LLMSPELL_OK;
}

static void llmspell__jr_done(llmspell_json_reader *r) {
    r->state = r->st.depth ? LLMSPELL__JR_AFTER : LLMSPELL__JR_END;
}

static uint64_t llmspell__j_hash(const char *s, size_t n) { /* FNV-1a */
    uint64_t h = 0xCBF29CE484222325ull;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001B3ull;
    return h;
}

/* Records key k of the innermost object; ERR_PARSE when it already has it. */
static llmspell_result llmspell__jr_dup(llmspell_json_reader *r, llmspell__j_level *l, const char *k, size_t n,
                                        uint64_t at) {
    uint64_t h = llmspell__j_hash(k, n);
    size_t i, cnt;
    llmspell__j_dkent *d;
    if (l->dk_tab) {
        size_t mask = l->dk_tabcap - 1, j = (size_t)h & mask;
        for (; l->dk_tab[j]; j = (j + 1) & mask) {
            d = &r->dk[l->dk_tab[j] - 1];
            if (d->h == h && d->len == n && (!n || !memcmp(r->dkb + d->off, k, n))) goto dup;
        }
    } else {
        for (i = l->dk_first; i < r->dk_n; i++) {
            d = &r->dk[i];
            if (d->h == h && d->len == n && (!n || !memcmp(r->dkb + d->off, k, n))) goto dup;
        }
    }
    if (llmspell__ex_grow(&r->al, (void **)&r->dk, &r->dk_cap, r->dk_n + 1, sizeof *r->dk) ||
        llmspell__ex_grow(&r->al, (void **)&r->dkb, &r->dkb_cap, r->dkb_len + n, 1))
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_NOMEM, at, "out of memory recording keys");
    d = &r->dk[r->dk_n++];
    d->h = h;
    d->off = r->dkb_len;
    d->len = n;
    if (n) memcpy(r->dkb + r->dkb_len, k, n);
    r->dkb_len += n;
    cnt = r->dk_n - l->dk_first;
    if (l->dk_tab && cnt * 2 <= l->dk_tabcap) { /* index the new key */
        size_t j = (size_t)h & (l->dk_tabcap - 1);
        while (l->dk_tab[j]) j = (j + 1) & (l->dk_tabcap - 1);
        l->dk_tab[j] = r->dk_n;
    } else if (cnt >= 16) { /* (re)build this object's hash index */
        size_t cap = 64, *tab;
        while (cap < cnt * 4) cap *= 2;
        if (!(tab = (size_t *)llmspell__ex_alloc(&r->al, cap * sizeof *tab)))
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_NOMEM, at, "out of memory indexing keys");
        memset(tab, 0, cap * sizeof *tab);
        for (i = l->dk_first; i < r->dk_n; i++) {
            size_t j = (size_t)r->dk[i].h & (cap - 1);
            while (tab[j]) j = (j + 1) & (cap - 1);
            tab[j] = i + 1;
        }
        llmspell__ex_free(&r->al, l->dk_tab);
        l->dk_tab = tab;
        l->dk_tabcap = cap;
    }
    return LLMSPELL_OK;
dup:
    return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, at, "duplicate key \"%.*s\"", (int)(n < 60 ? n : 60), k);
}

static void llmspell__jr_pop(llmspell_json_reader *r) {
    llmspell__j_level *l = &r->st.lv[--r->st.depth];
    if (l->kind == '{') {
        llmspell__ex_free(&r->al, l->dk_tab);
        l->dk_tab = NULL;
        if (r->flags & LLMSPELL_JSON_REJECT_DUPLICATES) {
            r->dk_n = l->dk_first;
            r->dkb_len = l->dk_bytes;
        }
    }
}

static llmspell_result llmspell__jr_value(llmspell_json_reader *r, llmspell_json_token *t, int c) {
    llmspell_result rc;
    char w[24];
    if (r->st.depth && r->st.lv[r->st.depth - 1].kind == '[') r->st.lv[r->st.depth - 1].count++;
    switch (c) {
    case '{':
    case '[':
        if ((rc = llmspell__j_push(&r->al, &r->st, (unsigned char)c)) != LLMSPELL_OK)
            return llmspell__jr_fail_at(r, rc, t->offset,
                                        rc == LLMSPELL_ERR_TOO_LARGE ? "nesting deeper than max_depth (%llu)"
                                                                     : "out of memory at depth %llu",
                                        (unsigned long long)r->st.max);
        r->st.lv[r->st.depth - 1].dk_first = r->dk_n;
        r->st.lv[r->st.depth - 1].dk_bytes = r->dkb_len;
        r->pos++;
        t->event = c == '{' ? LLMSPELL_JSON_EV_OBJECT_BEGIN : LLMSPELL_JSON_EV_ARRAY_BEGIN;
        r->state = c == '{' ? LLMSPELL__JR_OBJ_FIRST : LLMSPELL__JR_ARR_FIRST;
        return LLMSPELL_OK;
    case '"':
        r->pos++;
        r->str_off = t->offset;
        r->str_line = t->line;
        r->str_col = t->column;
        if (llmspell__jr_string(r, t, 0) != LLMSPELL_OK) return r->failed;
        t->event = LLMSPELL_JSON_EV_STRING;
        if (!t->more) llmspell__jr_done(r);
        return LLMSPELL_OK;
    case 't':
    case 'f':
    case 'n':
        if (llmspell__jr_literal(r, t, c) != LLMSPELL_OK) return r->failed;
        llmspell__jr_done(r);
        return LLMSPELL_OK;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            if (llmspell__jr_number(r, t) != LLMSPELL_OK) return r->failed;
            llmspell__jr_done(r);
            return LLMSPELL_OK;
        }
        return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected %s: expected a value",
                                    llmspell__jr_what(c, w, sizeof w));
    }
}

/* The level is popped at the start of the next call, so that the path still names the
   container while its END token is current (or peeked). */
static llmspell_result llmspell__jr_close(llmspell_json_reader *r, llmspell_json_token *t, int c) {
    r->pos++;
    r->pop_pending = 1;
    t->event = c == '}' ? LLMSPELL_JSON_EV_OBJECT_END : LLMSPELL_JSON_EV_ARRAY_END;
    t->depth = r->st.depth - 1;
    r->state = t->depth ? LLMSPELL__JR_AFTER : LLMSPELL__JR_END;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jr_key(llmspell_json_reader *r, llmspell_json_token *t) {
    llmspell__j_level *l = &r->st.lv[r->st.depth - 1];
    r->pos++;
    r->str_off = t->offset;
    r->str_line = t->line;
    r->str_col = t->column;
    if (llmspell__jr_string(r, t, 1) != LLMSPELL_OK) return r->failed;
    l->count++;
    llmspell__j_setkey(l, t->str, t->len);
    if ((r->flags & LLMSPELL_JSON_REJECT_DUPLICATES) &&
        llmspell__jr_dup(r, l, t->str, t->len, t->offset) != LLMSPELL_OK)
        return r->failed;
    t->event = LLMSPELL_JSON_EV_KEY;
    r->state = LLMSPELL__JR_COLON;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__jr_next(llmspell_json_reader *r, llmspell_json_token *t) {
    char w[24];
    r->cont = 0;
    if (r->pop_pending) {
        llmspell__jr_pop(r);
        r->pop_pending = 0;
    }
    if (r->in_chunk) { /* the next piece of a chunked string */
        t->offset = r->str_off;
        t->line = r->str_line;
        t->column = r->str_col;
        t->depth = r->st.depth;
        r->cont = 1;
        if (llmspell__jr_string(r, t, 0) != LLMSPELL_OK) return r->failed;
        t->event = LLMSPELL_JSON_EV_STRING;
        if (!t->more) llmspell__jr_done(r);
        return LLMSPELL_OK;
    }
    if (r->state == LLMSPELL__JR_START) {
        while (r->end - r->pos < 3) {
            int f = llmspell__jr_fill(r);
            if (f < 0) return r->failed;
            if (f == 0) break;
        }
        if (r->end - r->pos >= 3 && !memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3)) {
            if (!(r->flags & LLMSPELL_JSON_ALLOW_BOM))
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, 0,
                                            "byte order mark (U+FEFF) at the start: not allowed by RFC 8259 "
                                            "(LLMSPELL_JSON_ALLOW_BOM skips it)");
            r->pos += 3;
        }
        r->state = LLMSPELL__JR_TOP;
    }
    for (;;) {
        int c = llmspell__jr_ws(r);
        llmspell__j_level *l;
        if (c == -2) return r->failed;
        llmspell__jr_here(r, t);
        switch (r->state) {
        case LLMSPELL__JR_TOP:
            if (c < 0) {
                if (!(r->flags & LLMSPELL_JSON_ALLOW_MULTIPLE))
                    return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "empty input: expected a JSON value");
                r->state = LLMSPELL__JR_EOF;
                t->event = LLMSPELL_JSON_EV_END;
                return LLMSPELL_OK;
            }
            return llmspell__jr_value(r, t, c);
        case LLMSPELL__JR_END:
            if (c < 0) {
                r->state = LLMSPELL__JR_EOF;
                t->event = LLMSPELL_JSON_EV_END;
                return LLMSPELL_OK;
            }
            if (!(r->flags & LLMSPELL_JSON_ALLOW_MULTIPLE))
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected %s after the JSON value",
                                            llmspell__jr_what(c, w, sizeof w));
            return llmspell__jr_value(r, t, c);
        case LLMSPELL__JR_EOF:
            t->event = LLMSPELL_JSON_EV_END;
            return LLMSPELL_OK;
        case LLMSPELL__JR_VALUE:
            return llmspell__jr_value(r, t, c);
        case LLMSPELL__JR_ARR_FIRST:
            if (c == ']') return llmspell__jr_close(r, t, c);
            if (c < 0) return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected end of input: expected a value or ']'");
            return llmspell__jr_value(r, t, c);
        case LLMSPELL__JR_ARR_NEXT:
            if (c == ']' && (r->flags & LLMSPELL_JSON_ALLOW_TRAILING_COMMAS)) return llmspell__jr_close(r, t, c);
            return llmspell__jr_value(r, t, c);
        case LLMSPELL__JR_OBJ_FIRST:
        case LLMSPELL__JR_OBJ_NEXT:
            if (c == '"') return llmspell__jr_key(r, t);
            if (c == '}' && (r->state == LLMSPELL__JR_OBJ_FIRST || (r->flags & LLMSPELL_JSON_ALLOW_TRAILING_COMMAS)))
                return llmspell__jr_close(r, t, c);
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected %s: expected %s",
                                        llmspell__jr_what(c, w, sizeof w),
                                        r->state == LLMSPELL__JR_OBJ_FIRST ? "a string key or '}'"
                                                                           : "a string key after ','");
        case LLMSPELL__JR_COLON:
            if (c != ':')
                return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected %s: expected ':' after the key",
                                            llmspell__jr_what(c, w, sizeof w));
            r->pos++;
            r->state = LLMSPELL__JR_VALUE;
            continue;
        default: /* LLMSPELL__JR_AFTER */
            l = &r->st.lv[r->st.depth - 1];
            if (c == ',') {
                r->pos++;
                r->state = l->kind == '[' ? LLMSPELL__JR_ARR_NEXT : LLMSPELL__JR_OBJ_NEXT;
                continue;
            }
            if ((c == ']' && l->kind == '[') || (c == '}' && l->kind == '{')) return llmspell__jr_close(r, t, c);
            return llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t->offset, "unexpected %s: expected ',' or '%c' after %s",
                                        llmspell__jr_what(c, w, sizeof w), l->kind == '[' ? ']' : '}',
                                        l->kind == '[' ? "an array element" : "an object member");
        }
    }
}

static llmspell_result llmspell__jr_open(llmspell_json_reader **out, int mode, const void *data, size_t len, FILE *fp,
                                         llmspell_json_source src, void *user, const llmspell_json_read_options *opts) {
    llmspell_json_read_options o;
    llmspell_json_reader *r;
    if (!out) return LLMSPELL_ERR_INVALID;
    *out = NULL;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    if (!llmspell__ex_allocator_ok(&o.allocator) || (mode == 0 && !data && len)) return LLMSPELL_ERR_INVALID;
    if (!o.max_depth) o.max_depth = LLMSPELL__J_DEFAULT_DEPTH;
    if (!o.max_string) o.max_string = (size_t)128 << 20;
    if (!o.buffer_size) o.buffer_size = 64 * 1024;
    if (o.buffer_size < 64) o.buffer_size = 64;
    if (!(r = (llmspell_json_reader *)llmspell__ex_alloc(&o.allocator, sizeof *r))) return LLMSPELL_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->al = o.allocator;
    r->flags = o.flags;
    r->max_string = o.max_string;
    r->st.max = o.max_depth;
    r->mode = mode;
    r->fp = fp;
    r->src = src;
    r->user = user;
    r->line = 1;
    r->state = LLMSPELL__JR_START;
    if (mode == 0) {
        r->buf = data ? (const char *)data : "";
        r->end = r->cap = len;
        r->eof = 1;
    } else {
        if (!(r->own = (char *)llmspell__ex_alloc(&r->al, o.buffer_size))) {
            llmspell__ex_free(&r->al, r);
            return LLMSPELL_ERR_NOMEM;
        }
        r->buf = r->own;
        r->cap = o.buffer_size;
    }
    *out = r;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_reader_open_buffer(llmspell_json_reader **r, const void *data, size_t len,
                                                              const llmspell_json_read_options *opts) {
    return llmspell__jr_open(r, 0, data, len, NULL, NULL, NULL, opts);
}

LLMSPELL_DEF llmspell_result llmspell_json_reader_open_file(llmspell_json_reader **r, FILE *f,
                                                            const llmspell_json_read_options *opts) {
    if (!f) {
        if (r) *r = NULL;
        return LLMSPELL_ERR_INVALID;
    }
    return llmspell__jr_open(r, 1, NULL, 0, f, NULL, NULL, opts);
}

LLMSPELL_DEF llmspell_result llmspell_json_reader_open_source(llmspell_json_reader **r, llmspell_json_source src,
                                                              void *user, const llmspell_json_read_options *opts) {
    if (!src) {
        if (r) *r = NULL;
        return LLMSPELL_ERR_INVALID;
    }
    return llmspell__jr_open(r, 2, NULL, 0, NULL, src, user, opts);
}

LLMSPELL_DEF void llmspell_json_reader_close(llmspell_json_reader *r) {
    size_t d;
    if (!r) return;
    for (d = 0; d < r->st.depth; d++) llmspell__ex_free(&r->al, r->st.lv[d].dk_tab);
    llmspell__ex_free(&r->al, r->st.lv);
    llmspell__ex_free(&r->al, r->own);
    llmspell__ex_free(&r->al, r->scr);
    llmspell__ex_free(&r->al, r->dk);
    llmspell__ex_free(&r->al, r->dkb);
    llmspell__ex_free(&r->al, r->bfr);
    llmspell__ex_free(&r->al, r->bms);
    llmspell__ex_free(&r->al, r->bg);
    llmspell__ex_free(&r->al, r);
}

LLMSPELL_DEF llmspell_result llmspell_json_next(llmspell_json_reader *r, llmspell_json_token *t) {
    llmspell_result rc;
    if (!t) return LLMSPELL_ERR_INVALID;
    memset(t, 0, sizeof *t); /* defined contents even on failure */
    if (!r) return LLMSPELL_ERR_INVALID;
    if (r->peeked) {
        *t = r->peek;
        r->peeked = 0;
        r->cont = r->peek_cont;
    } else {
        if (r->failed) return r->failed;
        if ((rc = llmspell__jr_next(r, t)) != LLMSPELL_OK) return rc;
    }
    r->tok_off = t->offset;
    r->tok_line = t->line;
    r->tok_col = t->column;
    return LLMSPELL_OK;
}

LLMSPELL_DEF llmspell_result llmspell_json_peek(llmspell_json_reader *r, llmspell_json_token *t) {
    llmspell_result rc;
    if (t) memset(t, 0, sizeof *t);
    if (!r) return LLMSPELL_ERR_INVALID;
    if (!r->peeked) {
        if (r->failed) return r->failed;
        memset(&r->peek, 0, sizeof r->peek);
        if ((rc = llmspell__jr_next(r, &r->peek)) != LLMSPELL_OK) return rc;
        r->peeked = 1;
        r->peek_cont = r->cont;
    }
    if (t) *t = r->peek;
    return LLMSPELL_OK;
}

/* Whether the peeked token starts a value. */
static int llmspell__jr_peek_starts_value(llmspell_json_reader *r) {
    switch (r->peek.event) {
    case LLMSPELL_JSON_EV_OBJECT_BEGIN:
    case LLMSPELL_JSON_EV_ARRAY_BEGIN:
    case LLMSPELL_JSON_EV_NUMBER:
    case LLMSPELL_JSON_EV_BOOL:
    case LLMSPELL_JSON_EV_NULL: return 1;
    case LLMSPELL_JSON_EV_STRING: return !r->peek_cont;
    default: return 0;
    }
}

LLMSPELL_DEF llmspell_result llmspell_json_skip(llmspell_json_reader *r) {
    llmspell_json_token t;
    llmspell_result rc;
    size_t depth = 0;
    if ((rc = llmspell_json_peek(r, NULL)) != LLMSPELL_OK) return rc;
    if (!llmspell__jr_peek_starts_value(r)) return LLMSPELL_ERR_NOT_FOUND;
    do {
        if ((rc = llmspell_json_next(r, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN || t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN) depth++;
        else if (t.event == LLMSPELL_JSON_EV_OBJECT_END || t.event == LLMSPELL_JSON_EV_ARRAY_END) depth--;
    } while (depth > 0 || t.more);
    return LLMSPELL_OK;
}

LLMSPELL_DEF size_t llmspell_json_reader_path(const llmspell_json_reader *r, char *buf, size_t cap) {
    if (!r) {
        if (buf && cap) buf[0] = 0;
        return 0;
    }
    return llmspell__j_path(&r->st, buf, buf ? cap : 0);
}

LLMSPELL_DEF const llmspell_json_error *llmspell_json_reader_error(const llmspell_json_reader *r) {
    return r ? &r->err : NULL;
}

LLMSPELL_DEF llmspell_result llmspell_json_reader_fail(llmspell_json_reader *r, llmspell_result code, const char *fmt,
                                                       ...) {
    va_list ap;
    if (!r || code == LLMSPELL_OK || !fmt) return LLMSPELL_ERR_INVALID;
    va_start(ap, fmt);
    llmspell__j_seterr(&r->err, &r->st, code, r->tok_off, r->tok_line, r->tok_col, fmt, ap);
    va_end(ap);
    r->failed = code;
    return code;
}

/* >>json-dom ------------------------------------------------------------------------------ */

typedef struct llmspell__j_block {
    struct llmspell__j_block *next;
    size_t cap, used;
} llmspell__j_block;
#define LLMSPELL__J_BLOCK_HDR ((sizeof(llmspell__j_block) + 15) & ~(size_t)15)
/* Blocks grow from 4 KiB to 32 KiB, and an item larger than the next block gets a block of its
   size. Every block stays with the document for its next tree (parse_into, read_value_into),
   in the order it was filled, so that trees of one shape reuse them all and allocate nothing.
   A fresh document parsed by the fast path from more than 2 KiB starts with one block of four
   times the input (most trees fit; at most 64 MiB; pages it never touches cost no memory on
   systems that map lazily): a few large allocations, which malloc implementations hand back
   without faulting fresh pages in once the program has freed one such document, where many
   small ones would be trimmed and faulted in again on every parse. */
#define LLMSPELL__JF_FIRST_MIN ((size_t)2048)
#define LLMSPELL__JF_FIRST_MAX ((size_t)64 << 20)
#define LLMSPELL__J_BLOCK_MAX ((size_t)32 << 10)

typedef struct llmspell__jf_key {
    const char *s;
    size_t n;
} llmspell__jf_key;

struct llmspell_json_doc {
    llmspell_allocator al;
    llmspell__j_block *first, *cur; /* blocks in allocation order; cur is being filled */
    size_t bytes, next;
    llmspell_json_value root;
    /* the fast path's stacks (see >>json-dom fast path), kept for the next parse */
    llmspell_json_value *fv; /* values of the open containers */
    llmspell__jf_key *fk;    /* their keys (objects), at the same index */
    size_t *ff;              /* each open container: its first value's index * 2 + is-object */
    char *ft, *ftp;          /* strings and number texts (the input's length and a little), its end */
    uint32_t *fh;            /* duplicate-key check of a large object */
    size_t fv_cap, fk_cap, ff_cap, ft_cap, fh_cap;
    int f_nomem;             /* the fast path stopped for want of memory */
};

static llmspell__j_block *llmspell__jd_block(llmspell_json_doc *d, size_t size) {
    llmspell__j_block *b;
    if (size > ((size_t)-1) - LLMSPELL__J_BLOCK_HDR) return NULL;
    if (!(b = (llmspell__j_block *)llmspell__ex_alloc(&d->al, LLMSPELL__J_BLOCK_HDR + size))) return NULL;
    b->cap = size;
    b->used = 0;
    b->next = NULL;
    d->bytes += LLMSPELL__J_BLOCK_HDR + size;
    return b;
}

static void *llmspell__jd_alloc(llmspell_json_doc *d, size_t n) {
    llmspell__j_block *b = d->cur;
    n = (n + 7) & ~(size_t)7;
    if (n < 8) n = 8; /* never hand out a zero-sized (shared) address */
    if (!b || b->cap - b->used < n) {
        if (b && b->next && b->next->cap >= n) { /* a block kept from an earlier tree */
            b = b->next;
        } else { /* a new block, after the current one */
            llmspell__j_block *nb = llmspell__jd_block(d, n > d->next ? n : d->next);
            if (!nb) return NULL;
            if (d->next < LLMSPELL__J_BLOCK_MAX) d->next *= 2;
            if (b) {
                nb->next = b->next;
                b->next = nb;
            } else {
                nb->next = d->first;
                d->first = nb;
            }
            b = nb;
        }
        d->cur = b;
    }
    b->used += n;
    return (char *)b + LLMSPELL__J_BLOCK_HDR + b->used - n;
}

static const char *llmspell__jd_str(llmspell_json_doc *d, const char *s, size_t n) {
    char *p;
    if (n == (size_t)-1 || !(p = (char *)llmspell__jd_alloc(d, n + 1))) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void llmspell__jd_free_list(llmspell_json_doc *d, llmspell__j_block *b) {
    while (b) {
        llmspell__j_block *nb = b->next;
        d->bytes -= LLMSPELL__J_BLOCK_HDR + b->cap;
        llmspell__ex_free(&d->al, b);
        b = nb;
    }
}

/* Empties the document, keeping its blocks for the next tree. */
static void llmspell__jd_reset(llmspell_json_doc *d) {
    llmspell__j_block *b;
    for (b = d->first; b; b = b->next) b->used = 0;
    d->cur = d->first;
    memset(&d->root, 0, sizeof d->root);
}

LLMSPELL_DEF llmspell_result llmspell_json_doc_new(const llmspell_allocator *allocator, llmspell_json_doc **out) {
    llmspell_allocator al;
    llmspell_json_doc *d;
    if (!out) return LLMSPELL_ERR_INVALID;
    *out = NULL;

    if (allocator) al = *allocator;
    else memset(&al, 0, sizeof al);
    if (!llmspell__ex_allocator_ok(&al)) return LLMSPELL_ERR_INVALID;
    if (!(d = (llmspell_json_doc *)llmspell__ex_alloc(&al, sizeof *d))) return LLMSPELL_ERR_NOMEM;
    memset(d, 0, sizeof *d);
    d->al = al;
    d->next = 4096;
    *out = d;
    return LLMSPELL_OK;
}

LLMSPELL_DEF void llmspell_json_doc_free(llmspell_json_doc *d) {
    llmspell_allocator al;
    if (!d) return;
    al = d->al;
    llmspell__jd_free_list(d, d->first);
    llmspell__ex_free(&al, d->fv);
    llmspell__ex_free(&al, d->fk);
    llmspell__ex_free(&al, d->ff);
    llmspell__ex_free(&al, d->ft);
    llmspell__ex_free(&al, d->fh);
    llmspell__ex_free(&al, d);
}

LLMSPELL_DEF const llmspell_json_value *llmspell_json_doc_root(const llmspell_json_doc *d) { return d ? &d->root : NULL; }
LLMSPELL_DEF size_t llmspell_json_doc_memory(const llmspell_json_doc *d) { return d ? d->bytes + d->ft_cap + sizeof *d : 0; }

typedef struct llmspell__jb_frame {
    size_t start;     /* its first member on the member stack */
    const char *ckey; /* objects: the key of the member being read */
    size_t cklen;
    int kind;
} llmspell__jb_frame;

/* Builds the value the reader is about to deliver, without recursion: members wait on a stack
   until their container ends, then move into the arena in one block. */
static llmspell_result llmspell__jr_build(llmspell_json_reader *r, llmspell_json_doc *d) {
    /* the stacks live in the reader, so reading record after record allocates nothing */
    llmspell__jb_frame *fr = (llmspell__jb_frame *)r->bfr;
    llmspell_json_member *ms = (llmspell_json_member *)r->bms;
    char *g = r->bg; /* a chunked string being gathered */
    size_t nf = 0, fcap = r->bfr_cap, nm = 0, mcap = r->bms_cap, glen = 0, gcap = r->bg_cap, i;
    llmspell_result rc = LLMSPELL_OK;
    llmspell_json_token t;
    const char *oom = NULL;
    for (;;) {
        llmspell_json_value v;
        if ((rc = llmspell_json_next(r, &t)) != LLMSPELL_OK) goto out;
        memset(&v, 0, sizeof v);
        switch (t.event) {
        case LLMSPELL_JSON_EV_KEY:
            if (!(fr[nf - 1].ckey = llmspell__jd_str(d, t.str, t.len))) { oom = "a key"; goto out; }
            fr[nf - 1].cklen = t.len;
            continue;
        case LLMSPELL_JSON_EV_OBJECT_BEGIN:
        case LLMSPELL_JSON_EV_ARRAY_BEGIN:
            if (llmspell__ex_grow(&r->al, (void **)&fr, &fcap, nf + 1, sizeof *fr)) { oom = "the build stack"; goto out; }
            fr[nf].start = nm;
            fr[nf].ckey = NULL;
            fr[nf].cklen = 0;
            fr[nf].kind = t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN ? '{' : '[';
            nf++;
            continue;
        case LLMSPELL_JSON_EV_OBJECT_END:
        case LLMSPELL_JSON_EV_ARRAY_END: {
            llmspell__jb_frame *f = &fr[nf - 1];
            size_t cnt = nm - f->start;
            if (f->kind == '{') {
                llmspell_json_member *m = NULL;
                if (cnt && !(m = (llmspell_json_member *)llmspell__jd_alloc(d, cnt * sizeof *m))) {
                    oom = "an object";
                    goto out;
                }
                if (cnt) memcpy(m, ms + f->start, cnt * sizeof *m);
                v.type = LLMSPELL_JSON_OBJECT;
                v.u.members = m;
            } else {
                llmspell_json_value *it = NULL;
                if (cnt && !(it = (llmspell_json_value *)llmspell__jd_alloc(d, cnt * sizeof *it))) {
                    oom = "an array";
                    goto out;
                }
                for (i = 0; i < cnt; i++) it[i] = ms[f->start + i].value;
                v.type = LLMSPELL_JSON_ARRAY;
                v.u.items = it;
            }
            v.len = cnt;
            nm = f->start;
            nf--;
            break;
        }
        case LLMSPELL_JSON_EV_STRING:
            if (t.more || glen) { /* gather the pieces */
                if (t.len > r->max_string - glen) {
                    rc = llmspell__jr_fail_at(r, LLMSPELL_ERR_TOO_LARGE, t.offset,
                                              "string longer than max_string (%llu bytes)",
                                              (unsigned long long)r->max_string);
                    goto out;
                }
                if (llmspell__ex_grow(&r->al, (void **)&g, &gcap, glen + t.len, 1)) { oom = "a string"; goto out; }
                memcpy(g + glen, t.str, t.len);
                glen += t.len;
                if (t.more) continue;
                t.str = g;
                t.len = glen;
                glen = 0;
            }
            v.type = LLMSPELL_JSON_STRING;
            v.len = t.len;
            if (!(v.u.str = llmspell__jd_str(d, t.str, t.len))) { oom = "a string"; goto out; }
            break;
        case LLMSPELL_JSON_EV_NUMBER:
            v.type = LLMSPELL_JSON_NUMBER;
            v.is_int = (unsigned char)t.is_int;
            v.i = t.i;
            v.d = t.d;
            v.len = t.len;
            if (!(v.u.str = llmspell__jd_str(d, t.str, t.len))) { oom = "a number"; goto out; }
            break;
        case LLMSPELL_JSON_EV_BOOL:
            v.type = LLMSPELL_JSON_BOOL;
            v.b = (unsigned char)t.b;
            break;
        case LLMSPELL_JSON_EV_NULL: v.type = LLMSPELL_JSON_NULL; break;
        default: /* EV_END cannot come inside a value */
            rc = llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t.offset, "unexpected end of input");
            goto out;
        }
        if (!nf) {
            d->root = v;
            goto out;
        }
        if (llmspell__ex_grow(&r->al, (void **)&ms, &mcap, nm + 1, sizeof *ms)) { oom = "the build stack"; goto out; }
        ms[nm].key = fr[nf - 1].kind == '{' ? fr[nf - 1].ckey : NULL;
        ms[nm].klen = fr[nf - 1].kind == '{' ? fr[nf - 1].cklen : 0;
        ms[nm].value = v;
        nm++;
    }
out:
    if (oom) rc = llmspell__jr_fail_at(r, LLMSPELL_ERR_NOMEM, t.offset, "out of memory for %s", oom);
    r->bfr = fr;
    r->bfr_cap = fcap;
    r->bms = ms;
    r->bms_cap = mcap;
    r->bg = g;
    r->bg_cap = gcap;
    return rc;
}

LLMSPELL_DEF llmspell_result llmspell_json_read_value_into(llmspell_json_reader *r, llmspell_json_doc *d) {
    llmspell_result rc;
    if (!r || !d) return LLMSPELL_ERR_INVALID;
    llmspell__jd_reset(d);
    if ((rc = llmspell_json_peek(r, NULL)) != LLMSPELL_OK) return rc;
    if (!llmspell__jr_peek_starts_value(r)) return LLMSPELL_ERR_NOT_FOUND;
    if ((rc = llmspell__jr_build(r, d)) != LLMSPELL_OK) llmspell__jd_reset(d);
    return rc;
}

LLMSPELL_DEF llmspell_result llmspell_json_read_value(llmspell_json_reader *r, llmspell_json_doc **out) {
    llmspell_json_doc *d;
    llmspell_result rc;
    if (!out) return LLMSPELL_ERR_INVALID;
    *out = NULL;
    if (!r) return LLMSPELL_ERR_INVALID;
    if ((rc = llmspell_json_peek(r, NULL)) != LLMSPELL_OK) return rc;
    if (!llmspell__jr_peek_starts_value(r)) return LLMSPELL_ERR_NOT_FOUND;
    if ((rc = llmspell_json_doc_new(&r->al, &d)) != LLMSPELL_OK) return rc;
    if ((rc = llmspell_json_read_value_into(r, d)) != LLMSPELL_OK) {
        llmspell_json_doc_free(d);
        return rc;
    }
    *out = d;
    return LLMSPELL_OK;
}

/* >>json-dom fast path: llmspell_json_parse and parse_into read a buffer here, straight into
   the tree, without the pull reader's tokens, lines and path. It accepts exactly what the
   reader accepts, under the same flags and limits, and builds the same tree (test_json and
   the fuzz target fuzz_json_dom compare the two). At anything else (an error, a limit, no
   memory, reported as such) it gives up and the reader parses the input again, so every error
   is the reader's, with its line, column and path; a bad input costs a second parse, a good
   one none. */

/* An allocation of the fast path (d->f_nomem records a failure). */
static int llmspell__jf_grow(llmspell_json_doc *d, void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    if (llmspell__ex_grow(&d->al, p, cap, need, elem)) d->f_nomem = 1;
    return d->f_nomem;
}
static void *llmspell__jf_alloc(llmspell_json_doc *d, size_t n) {
    void *p = llmspell__jd_alloc(d, n);
    if (!p) d->f_nomem = 1;
    return p;
}

#define LLMSPELL__JF_WS(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')

/* Past the whitespace that starts at p. */
static const unsigned char *llmspell__jf_ws_run(const unsigned char *p, const unsigned char *e) {
    if (++p == e || !LLMSPELL__JF_WS(*p)) return p;
#if LLMSPELL__EX_SSE2
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i w = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))),
                                 _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))));
        unsigned m = (unsigned)_mm_movemask_epi8(w) ^ 0xFFFFu;
        if (m) return p + llmspell__ex_ctz32(m);
        p += 16;
    }
#elif LLMSPELL__EX_NEON
    while (e - p >= 16) {
        uint8x16_t v = vld1q_u8(p);
        uint8x16_t w = vorrq_u8(vorrq_u8(vceqq_u8(v, vdupq_n_u8(' ')), vceqq_u8(v, vdupq_n_u8('\n'))),
                                vorrq_u8(vceqq_u8(v, vdupq_n_u8('\r')), vceqq_u8(v, vdupq_n_u8('\t'))));
        uint64_t m = llmspell__ex_neon_mask(vmvnq_u8(w));
        if (m) return p + llmspell__ex_neon_first(m);
        p += 16;
    }
#endif
    while (p < e && LLMSPELL__JF_WS(*p)) p++;
    return p;
}

/* Past whitespace: compact JSON has none (no call), pretty JSON a space, or a newline and an
   indent. */
#define LLMSPELL__JF_SKIP_WS(p, e) ((p) < (e) && LLMSPELL__JF_WS(*(p)) ? llmspell__jf_ws_run((p), (e)) : (p))

/* Strings and number texts go to d->ft, one region as long as the input and 32 bytes: each
   takes at most the bytes it had in the input (its NUL where its closing quote or the next
   byte was), so the region never runs out and needs no check, and a 16-byte store past a
   string's end stays inside it. */
#define LLMSPELL__JF_SLACK 32

/* A string from p (past its quote), decoded into the text region; the byte after it, or NULL.
   Bytes from 0x80 up are copied as they come, and the string is checked as UTF-8 once whole,
   from the first block that had one (what comes before it is ASCII). */
LLMSPELL__EX_INLINE const unsigned char *llmspell__jf_string(llmspell_json_doc *d, const unsigned char *p, const unsigned char *e, size_t max,
                                                             const char **out, size_t *outn) {
    const unsigned char *high = NULL; /* the first non-ASCII byte, or before it (the checks start there) */
    char *start = d->ftp, *o = start;
    size_t n;
    for (;;) {
        llmspell__j_copy_plain(&p, e, &o, &high);
        if (p == e) return NULL;
        if (*p == '"') break;
        if (*p == '\\') {
            int c = e - p >= 2 ? llmspell__j_unescape1(p[1]) : -1;
            size_t ulen, used;
            if (c >= 0) { /* a one-letter escape, without the call */
                *o++ = (char)c;
                p += 2;
                continue;
            }
            if (!(used = llmspell__j_unescape(p, e, (unsigned char *)o, &ulen))) return NULL;
            o += ulen;
            p += used;
        } else {
            return NULL; /* a control character */
        }
    }
    /* escapes are ASCII and decode to valid UTF-8: the raw bytes say whether the whole is */
    n = (size_t)(o - start);
    if (n > max || (high && high < p && !llmspell_json_utf8_valid(high, (size_t)(p - high), NULL))) return NULL;
    *o = 0;
    d->ftp = o + 1;
    *out = start;
    *outn = n;
    return p + 1;
}

#define LLMSPELL__JF_DIGIT(c) ((unsigned)((c) - '0') < 10u)

/* Whether the 8 bytes at p are all digits; if so *v is their value. The bytes are read as a
   little-endian word (the first digit lowest) on every machine; after subtracting '0', each
   step adds neighbours at once: pairs, then two multiplies gather the four pairs. */
static int llmspell__jf_8digits(const unsigned char *p, uint64_t *v) {
    uint64_t x = llmspell__get64(p);
    if ((x & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull ||
        ((x + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) != 0x3030303030303030ull)
        return 0;
    x -= 0x3030303030303030ull;
    x = x * 10 + (x >> 8); /* byte 2k: digits 2k and 2k+1 as a number below 100 */
    *v = ((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) + ((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
    return 1;
}

/* A number from p into *v: its grammar checked as it is read, its value from the same digits. */
static const unsigned char *llmspell__jf_number(llmspell_json_doc *d, const unsigned char *p, const unsigned char *e,
                                                unsigned flags, size_t max, llmspell_json_value *v) {
    const unsigned char *s = p;
    uint64_t w = 0, eight;
    int64_t q = 0, x = 0;
    size_t n;
    int neg = 0, nd = 0, many = 0, integer = 1, is_int;
    if (*p == '-' && ++p == e) return NULL;
    neg = p != s;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (e - p >= 8 && nd <= 11 && llmspell__jf_8digits(p, &eight)) {
            w = w * 100000000u + eight;
            nd += 8;
            p += 8;
        }
        while (p < e && LLMSPELL__JF_DIGIT(*p)) {
            if (nd < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                nd++;
            } else {
                many = 1;
            }
            p++;
        }
    } else {
        return NULL;
    }
    if (p < e && *p == '.') {
        integer = 0;
        if (++p == e || !LLMSPELL__JF_DIGIT(*p)) return NULL;
        while (nd == 0 && p < e && *p == '0') { /* leading zeros are not significant */
            q--;
            p++;
        }
        while (e - p >= 8 && nd <= 11 && llmspell__jf_8digits(p, &eight)) {
            w = w * 100000000u + eight;
            nd += 8;
            q -= 8;
            p += 8;
        }
        while (p < e && LLMSPELL__JF_DIGIT(*p)) {
            if (nd < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                nd++;
                q--;
            } else {
                many = 1;
            }
            p++;
        }
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        integer = 0;
        if (++p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        if (p == e || !LLMSPELL__JF_DIGIT(*p)) return NULL;
        do {
            if (x < 1000000) x = x * 10 + (*p - '0');
        } while (++p < e && LLMSPELL__JF_DIGIT(*p));
        q += eneg ? -x : x;
    }
    if (p < e && llmspell__jr_numch((char)*p)) return NULL; /* the reader takes the whole run: it fails */
    if ((n = (size_t)(p - s)) > max) return NULL;
    if (llmspell__j_number_value(neg, w, q, many, integer, (const char *)s, n, &is_int, &v->i, &v->d) < 0 &&
        !(flags & LLMSPELL_JSON_ALLOW_OVERFLOW))
        return NULL;
    v->type = LLMSPELL_JSON_NUMBER;
    v->is_int = (unsigned char)is_int;
    v->b = 0;
    v->len = n;
    v->u.str = d->ftp;
    if (n <= 32 && e - s >= 32) memcpy(d->ftp, s, 32); /* one fixed copy: the text region has room */
    else memcpy(d->ftp, s, n);
    d->ftp[n] = 0;
    d->ftp += n + 1;
    return p;
}

/* Whether the keys k[0..n) of one object repeat (the reader's rule: the same decoded bytes):
   1 yes, 0 no, -1 no memory. */
static int llmspell__jf_dup(llmspell_json_doc *d, const llmspell__jf_key *k, size_t n) {
    size_t i, j, cap = 32;
    if (n <= 16) {
        for (i = 1; i < n; i++)
            for (j = 0; j < i; j++)
                if (k[i].n == k[j].n && memcmp(k[i].s, k[j].s, k[i].n) == 0) return 1;
        return 0;
    }
    while (cap < 2 * n) cap *= 2;
    if (n > 0x3FFFFFFF) return -1;
    if (llmspell__jf_grow(d, (void **)&d->fh, &d->fh_cap, cap, sizeof *d->fh)) return -1;
    memset(d->fh, 0, cap * sizeof *d->fh);
    for (i = 0; i < n; i++) {
        for (j = (size_t)llmspell__j_hash(k[i].s, k[i].n) & (cap - 1); d->fh[j]; j = (j + 1) & (cap - 1)) {
            const llmspell__jf_key *o = &k[d->fh[j] - 1];
            if (o->n == k[i].n && memcmp(o->s, k[i].s, o->n) == 0) return 1;
        }
        d->fh[j] = (uint32_t)(i + 1);
    }
    return 0;
}

/* Parses p[0..e) into the empty d: 1, or 0 to leave it to the reader. A container's own value
   takes a slot on the stack, its members the slots after it, so a key waiting for its value
   stays where it is while the value's members come and go. */
static int llmspell__jf_parse(llmspell_json_doc *d, const unsigned char *p, const unsigned char *e, unsigned flags,
                              size_t max_depth, size_t max) {
    llmspell_json_value *v; /* the slot being filled: values are built where they stay */
    size_t nf = 0, nm = 0;
    int obj = 0; /* the innermost container is an object */
    if ((size_t)(e - p) > d->ft_cap - LLMSPELL__JF_SLACK || !d->ft) { /* sized exactly: its old text is dead */
        size_t need = (size_t)(e - p) + LLMSPELL__JF_SLACK;
        llmspell__ex_free(&d->al, d->ft);
        d->ft_cap = 0;
        if (need < LLMSPELL__JF_SLACK || !(d->ft = (char *)llmspell__ex_alloc(&d->al, need))) {
            d->f_nomem = 1;
            return 0;
        }
        d->ft_cap = need;
    }
    d->ftp = d->ft;
    if (!d->first && (size_t)(e - p) > LLMSPELL__JF_FIRST_MIN) { /* a fresh document: one block for most trees */
        size_t est = (size_t)(e - p) < LLMSPELL__JF_FIRST_MAX / 4 ? (size_t)(e - p) * 4 : LLMSPELL__JF_FIRST_MAX;
        if ((d->first = d->cur = llmspell__jd_block(d, est)) != NULL) d->next = est; /* else small blocks, as ever */
    }
    if ((flags & LLMSPELL_JSON_ALLOW_BOM) && e - p >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3;
    p = LLMSPELL__JF_SKIP_WS(p, e);
value:
    if (p == e || (nm >= d->fv_cap && llmspell__jf_grow(d, (void **)&d->fv, &d->fv_cap, nm + 1, sizeof *d->fv))) return 0;
    v = d->fv + nm;
    v->is_int = v->b = 0;
    v->len = 0;
    v->u.str = NULL;
    v->i = 0;
    v->d = 0.0;
    switch (*p) {
    case '{':
    case '[':
        if (nf >= max_depth || llmspell__jf_grow(d, (void **)&d->ff, &d->ff_cap, nf + 1, sizeof *d->ff)) return 0;
        obj = *p == '{';
        d->ff[nf++] = (nm + 1) * 2 + (size_t)obj; /* slot nm is its own, its members follow */
        nm++;
        p = LLMSPELL__JF_SKIP_WS(p + 1, e);
        if (p == e) return 0;
        if (*p == (obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (obj) goto key;
        goto value;
    case '"':
        if (!(p = llmspell__jf_string(d, p + 1, e, max, &v->u.str, &v->len))) return 0;
        v->type = LLMSPELL_JSON_STRING;
        break;
    case 't':
        if (e - p < 4 || memcmp(p, "true", 4) != 0) return 0;
        v->type = LLMSPELL_JSON_BOOL;
        v->b = 1;
        p += 4;
        break;
    case 'f':
        if (e - p < 5 || memcmp(p, "false", 5) != 0) return 0;
        v->type = LLMSPELL_JSON_BOOL;
        p += 5;
        break;
    case 'n':
        if (e - p < 4 || memcmp(p, "null", 4) != 0) return 0;
        v->type = LLMSPELL_JSON_NULL;
        p += 4;
        break;
    default:
        if (!(p = llmspell__jf_number(d, p, e, flags, max, v))) return 0;
        break;
    }
push: /* slot nm holds a finished value */
    if (!nf) {
        d->root = d->fv[nm];
        return LLMSPELL__JF_SKIP_WS(p, e) == e;
    }
    nm++;
    p = LLMSPELL__JF_SKIP_WS(p, e);
    if (p == e) return 0;
    if (*p == ',') {
        p = LLMSPELL__JF_SKIP_WS(p + 1, e);
        if (p == e) return 0;
        if ((flags & LLMSPELL_JSON_ALLOW_TRAILING_COMMAS) && *p == (obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (obj) goto key;
        goto value;
    }
    if (*p != (obj ? '}' : ']')) return 0;
    p++;
close: {
    size_t start = d->ff[--nf] >> 1, cnt = nm - start, i;
    const void *kids = NULL;
    if (d->ff[nf] & 1) {
        llmspell_json_member *m = NULL;
        if (cnt && !(m = (llmspell_json_member *)llmspell__jf_alloc(d, cnt * sizeof *m))) return 0;
        for (i = 0; i < cnt; i++) {
            m[i].key = d->fk[start + i].s;
            m[i].klen = d->fk[start + i].n;
            m[i].value = d->fv[start + i];
        }
        if ((flags & LLMSPELL_JSON_REJECT_DUPLICATES) && cnt > 1 && llmspell__jf_dup(d, d->fk + start, cnt) != 0) return 0;
        kids = m;
    } else if (cnt) {
        llmspell_json_value *it = (llmspell_json_value *)llmspell__jf_alloc(d, cnt * sizeof *it);
        if (!it) return 0;
        memcpy(it, d->fv + start, cnt * sizeof *it);
        kids = it;
    }
    nm = start - 1; /* the container's own slot */
    v = d->fv + nm;
    v->type = d->ff[nf] & 1 ? LLMSPELL_JSON_OBJECT : LLMSPELL_JSON_ARRAY;
    v->len = cnt;
    if (d->ff[nf] & 1) v->u.members = (const llmspell_json_member *)kids;
    else v->u.items = (const llmspell_json_value *)kids;
    obj = nf && (d->ff[nf - 1] & 1);
    goto push;
}
key:
    if (*p != '"' || (nm >= d->fk_cap && llmspell__jf_grow(d, (void **)&d->fk, &d->fk_cap, nm + 1, sizeof *d->fk)) ||
        !(p = llmspell__jf_string(d, p + 1, e, max, &d->fk[nm].s, &d->fk[nm].n)))
        return 0;
    p = LLMSPELL__JF_SKIP_WS(p, e);
    if (p == e || *p != ':') return 0;
    p = LLMSPELL__JF_SKIP_WS(p + 1, e);
    goto value;
}

LLMSPELL_DEF llmspell_result llmspell_json_parse_into(llmspell_json_doc *d, const void *data, size_t len,
                                                      const llmspell_json_read_options *opts, llmspell_json_error *err) {
    llmspell_json_reader *r;
    llmspell_json_token t;
    llmspell_result rc;
    if (err) memset(err, 0, sizeof *err);
    if (d) llmspell__jd_reset(d);
    if (d && (data || !len) && (!opts || llmspell__ex_allocator_ok(&opts->allocator))) { /* the fast path first */
        const unsigned char *p = (const unsigned char *)(data ? data : "");
        d->f_nomem = 0;
        if (llmspell__jf_parse(d, p, p + len, opts ? opts->flags : 0,
                               opts && opts->max_depth ? opts->max_depth : LLMSPELL__J_DEFAULT_DEPTH,
                               opts && opts->max_string ? opts->max_string : (size_t)128 << 20))
            return LLMSPELL_OK;
        llmspell__jd_reset(d);
        if (d->f_nomem) { /* no second try: it would need the same memory */
            if (err) {
                err->code = LLMSPELL_ERR_NOMEM;
                snprintf(err->message, sizeof err->message, "out of memory for the tree of a %llu-byte document",
                         (unsigned long long)len);
            }
            return LLMSPELL_ERR_NOMEM;
        }
    }
    if (!d || (!data && len)) rc = LLMSPELL_ERR_INVALID;
    else rc = llmspell_json_reader_open_buffer(&r, data, len, opts);
    if (rc != LLMSPELL_OK) {
        if (err) {
            err->code = rc;
            snprintf(err->message, sizeof err->message, "%s", llmspell_strerror(rc));
        }
        return rc;
    }
    rc = llmspell_json_read_value_into(r, d);
    if (rc == LLMSPELL_ERR_NOT_FOUND) /* empty input with ALLOW_MULTIPLE */
        rc = llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, r->base + r->pos, "empty input: expected a JSON value");
    if (rc == LLMSPELL_OK && (rc = llmspell_json_next(r, &t)) == LLMSPELL_OK && t.event != LLMSPELL_JSON_EV_END)
        rc = llmspell__jr_fail_at(r, LLMSPELL_ERR_PARSE, t.offset, "a second value (llmspell_json_parse reads one)");
    if (rc != LLMSPELL_OK) {
        llmspell__jd_reset(d);
        if (err) {
            *err = r->err;
            if (err->code == LLMSPELL_OK) { /* failed outside the reader */
                err->code = rc;
                snprintf(err->message, sizeof err->message, "%s", llmspell_strerror(rc));
            }
        }
    }
    llmspell_json_reader_close(r);
    return rc;
}

LLMSPELL_DEF llmspell_result llmspell_json_parse(const void *data, size_t len, const llmspell_json_read_options *opts,
                                                 llmspell_json_doc **out, llmspell_json_error *err) {
    llmspell_json_doc *d = NULL;
    llmspell_result rc;
    if (err) memset(err, 0, sizeof *err);
    if (out) *out = NULL;
    if (!out || (!data && len)) rc = LLMSPELL_ERR_INVALID;
    else rc = llmspell_json_doc_new(opts ? &opts->allocator : NULL, &d);
    if (rc == LLMSPELL_OK && (rc = llmspell_json_parse_into(d, data, len, opts, err)) == LLMSPELL_OK) {
        *out = d;
        return LLMSPELL_OK;
    }
    if (err && err->code == LLMSPELL_OK) {
        err->code = rc;
        snprintf(err->message, sizeof err->message, "%s", llmspell_strerror(rc));
    }
    llmspell_json_doc_free(d);
    return rc;
}

LLMSPELL_DEF const llmspell_json_value *llmspell_json_getn(const llmspell_json_value *obj, const char *key, size_t klen) {
    size_t i;
    if (!obj || obj->type != LLMSPELL_JSON_OBJECT || (!key && klen)) return NULL;
    for (i = obj->len; i-- > 0;) { /* from the end: the last duplicate wins */
        const llmspell_json_member *m = &obj->u.members[i];
        if (m->klen == klen && (!klen || !memcmp(m->key, key, klen))) return &m->value;
    }
    return NULL;
}

LLMSPELL_DEF const llmspell_json_value *llmspell_json_get(const llmspell_json_value *obj, const char *key) {
    return key ? llmspell_json_getn(obj, key, strlen(key)) : NULL;
}

LLMSPELL_DEF const llmspell_json_value *llmspell_json_at(const llmspell_json_value *arr, size_t i) {
    if (!arr || arr->type != LLMSPELL_JSON_ARRAY || i >= arr->len) return NULL;
    return &arr->u.items[i];
}

/* Writes v without recursion: a stack of (container, next index). */
LLMSPELL_DEF llmspell_result llmspell_json_write_value(llmspell_json_writer *w, const llmspell_json_value *v) {
    typedef struct {
        const llmspell_json_value *c;
        size_t i;
    } frame;
    frame *st = NULL;
    size_t n = 0, cap = 0;
    llmspell_result rc = LLMSPELL_OK;
    if (!w) return LLMSPELL_ERR_INVALID;
    if (!v) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL value");
    for (;;) {
        /* write v: a scalar, or open a container and push it */
        switch (v->type) {
        case LLMSPELL_JSON_NULL: rc = llmspell_json_null(w); break;
        case LLMSPELL_JSON_BOOL: rc = llmspell_json_bool(w, v->b); break;
        case LLMSPELL_JSON_NUMBER:
            if (v->u.str) rc = llmspell_json_number_text(w, v->u.str, v->len);
            else if (v->is_int) rc = llmspell_json_int(w, v->i);
            else rc = llmspell_json_double(w, v->d);
            break;
        case LLMSPELL_JSON_STRING: rc = llmspell_json_string(w, v->u.str, v->len); break;
        case LLMSPELL_JSON_ARRAY:
        case LLMSPELL_JSON_OBJECT:
            rc = v->type == LLMSPELL_JSON_ARRAY ? llmspell_json_array_begin(w) : llmspell_json_object_begin(w);
            if (rc != LLMSPELL_OK) break;
            if (llmspell__ex_grow(&w->al, (void **)&st, &cap, n + 1, sizeof *st)) {
                rc = llmspell__jw_fail(w, LLMSPELL_ERR_NOMEM, "out of memory walking the value");
                break;
            }
            st[n].c = v;
            st[n].i = 0;
            n++;
            break;
        default: rc = llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "value of unknown type %d", (int)v->type);
        }
        if (rc != LLMSPELL_OK) break;
        /* find the next value: the next child of the innermost container, closing finished ones */
        v = NULL;
        while (n && !v) {
            frame *f = &st[n - 1];
            if (f->i == f->c->len) {
                rc = f->c->type == LLMSPELL_JSON_ARRAY ? llmspell_json_array_end(w) : llmspell_json_object_end(w);
                if (rc != LLMSPELL_OK) break;
                n--;
            } else if (f->c->type == LLMSPELL_JSON_ARRAY) {
                v = &f->c->u.items[f->i++];
            } else {
                const llmspell_json_member *m = &f->c->u.members[f->i++];
                if ((rc = llmspell_json_key(w, m->key, m->klen)) != LLMSPELL_OK) break;
                v = &m->value;
            }
        }
        if (rc != LLMSPELL_OK || !v) break;
    }
    llmspell__ex_free(&w->al, st);
    return rc;
}

/* >>json-canonical -------------------------------------------------------------------------- */
LLMSPELL_DEF void llmspell_json_stored_options(llmspell_json_read_options *o, const llmspell_allocator *a) {
    memset(o, 0, sizeof *o);
    if (a) o->allocator = *a;
    o->flags = LLMSPELL_JSON_REJECT_DUPLICATES;
    o->max_depth = LLMSPELL_JSON_STORED_DEPTH;
}

LLMSPELL_DEF int llmspell_json_key_compare(const char *a, size_t an, const char *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    return c ? c : (an > bn) - (an < bn);
}

static int llmspell__jc_member_cmp(const void *x, const void *y) {
    const llmspell_json_member *a = (const llmspell_json_member *)x, *b = (const llmspell_json_member *)y;
    return llmspell_json_key_compare(a->key, a->klen, b->key, b->klen);
}

/* Sorts the members of every object under v, in place (the document is the caller's scratch).
   The depth is bounded by LLMSPELL_JSON_STORED_DEPTH, so a fixed stack does. */
static void llmspell__jc_sort(llmspell_json_value *v) {
    struct { llmspell_json_value *c; size_t i; } st[LLMSPELL_JSON_STORED_DEPTH + 1];
    size_t n = 0;
    if (v->type != LLMSPELL_JSON_OBJECT && v->type != LLMSPELL_JSON_ARRAY) return;
    st[n].c = v; st[n].i = 0; n++;
    if (v->type == LLMSPELL_JSON_OBJECT && v->len > 1)
        qsort((void *)v->u.members, v->len, sizeof *v->u.members, llmspell__jc_member_cmp);
    while (n) {
        llmspell_json_value *c = st[n - 1].c, *x;
        if (st[n - 1].i == c->len) { n--; continue; }
        x = c->type == LLMSPELL_JSON_ARRAY ? (llmspell_json_value *)&c->u.items[st[n - 1].i]
                                           : (llmspell_json_value *)&c->u.members[st[n - 1].i].value;
        st[n - 1].i++;
        if ((x->type == LLMSPELL_JSON_OBJECT || x->type == LLMSPELL_JSON_ARRAY) && n <= LLMSPELL_JSON_STORED_DEPTH) {
            if (x->type == LLMSPELL_JSON_OBJECT && x->len > 1)
                qsort((void *)x->u.members, x->len, sizeof *x->u.members, llmspell__jc_member_cmp);
            st[n].c = x; st[n].i = 0; n++;
        }
    }
}

LLMSPELL_DEF llmspell_result llmspell_json_canonical(llmspell_json_doc *doc, const void *text, size_t n, unsigned flags,
                                                     llmspell_json_sink sink, void *user, llmspell_json_error *err) {
    llmspell_json_read_options o;
    llmspell_json_writer_options wo;
    llmspell_json_writer *w;
    llmspell_json_value *root;
    llmspell_result rc;
    if (err) memset(err, 0, sizeof *err);
    if (!doc || !sink || (!text && n)) return LLMSPELL_ERR_INVALID;
    llmspell_json_stored_options(&o, &doc->al);
    if ((rc = llmspell_json_parse_into(doc, text, n, &o, err)) != LLMSPELL_OK) return rc;
    root = &doc->root;
    if ((flags & LLMSPELL_JSON_CANON_OBJECT) && root->type != LLMSPELL_JSON_OBJECT) {
        if (err) {
            err->code = LLMSPELL_ERR_INVALID;
            err->line = err->column = 1;
            snprintf(err->message, sizeof err->message, "not a JSON object");
        }
        return LLMSPELL_ERR_INVALID;
    }
    if (flags & LLMSPELL_JSON_CANON_SORT) llmspell__jc_sort(root);
    memset(&wo, 0, sizeof wo);
    wo.allocator = doc->al;
    wo.max_depth = LLMSPELL_JSON_STORED_DEPTH + 1;
    wo.buffer_size = 4096;
    if ((rc = llmspell_json_writer_open_sink(&w, sink, user, &wo)) != LLMSPELL_OK) return rc;
    if ((rc = llmspell_json_write_value(w, root)) == LLMSPELL_OK) rc = llmspell_json_writer_finish(w);
    if (rc != LLMSPELL_OK && err) *err = *llmspell_json_writer_error(w);
    llmspell_json_writer_free(w);
    return rc;
}

/* Validates with the strict reader, then copies the text without surrounding whitespace. */
LLMSPELL_DEF llmspell_result llmspell_json_raw(llmspell_json_writer *w, const char *json, size_t n) {
    llmspell_json_read_options o;
    llmspell_json_reader *r;
    llmspell_json_token t;
    llmspell_result rc;
    size_t a = 0;
    if (!w) return LLMSPELL_ERR_INVALID;
    if (w->failed) return w->failed;
    if (!json) return llmspell__jw_fail(w, LLMSPELL_ERR_INVALID, "NULL text");
    if (n == LLMSPELL_JSON_STRLEN) n = strlen(json);
    memset(&o, 0, sizeof o);
    o.allocator = w->al;
    o.max_depth = w->st.max > w->st.depth ? w->st.max - w->st.depth : 1;
    if ((rc = llmspell_json_reader_open_buffer(&r, json, n, &o)) != LLMSPELL_OK)
        return llmspell__jw_fail(w, rc, "cannot check the raw value: %s", llmspell_strerror(rc));
    while ((rc = llmspell_json_next(r, &t)) == LLMSPELL_OK && t.event != LLMSPELL_JSON_EV_END) {}
    if (rc != LLMSPELL_OK) {
        llmspell__jw_fail(w, rc, "raw value rejected: %s", r->err.message);
        llmspell_json_reader_close(r);
        return rc;
    }
    llmspell_json_reader_close(r);
    while (n && (json[n - 1] == ' ' || json[n - 1] == '\t' || json[n - 1] == '\n' || json[n - 1] == '\r')) n--;
    while (a < n && (json[a] == ' ' || json[a] == '\t' || json[a] == '\n' || json[a] == '\r')) a++;
    return llmspell__jw_scalar(w, json + a, n - a);
}

/* >>stores ---------------------------------------------------------------------------------
   Export / import of whole stores. The stored forms of vec and graph are read and written
   only through their owners' stored-form sections (llmspell_vec.h and llmspell_graph.h,
   "STORED FORM", compiled into this file as static functions): this file knows no byte of
   them. kv's own entries go through llmspell_kv.h's public API. */


/* a growing byte buffer */
typedef struct llmspell__xb {
    char *p;
    size_t n, cap;
} llmspell__xb;

static int llmspell__xb_res(const llmspell_allocator *a, llmspell__xb *b, size_t extra) {
    if (extra > (size_t)-1 - b->n - 1) return -1;
    return llmspell__ex_grow(a, (void **)&b->p, &b->cap, b->n + extra + 1, 1);
}
static int llmspell__xb_add(const llmspell_allocator *a, llmspell__xb *b, const void *s, size_t n) {
    if (llmspell__xb_res(a, b, n)) return -1;
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}
static int llmspell__xb_ch(const llmspell_allocator *a, llmspell__xb *b, char c) { return llmspell__xb_add(a, b, &c, 1); }
static void llmspell__xb_free(const llmspell_allocator *a, llmspell__xb *b) {
    llmspell__ex_free(a, b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}


/* 0xFF 'T' tuple(tenant) into b (replaced). */
static int llmspell__x_tprefix(const llmspell_allocator *a, llmspell__xb *b, const void *t, size_t n) {
    size_t need = 2 + llmspell_tuple_put_bytes(NULL, 0, t, n);
    b->n = 0;
    if (llmspell__xb_res(a, b, need)) return -1;
    b->p[0] = (char)0xFF;
    b->p[1] = LLMSPELL__NS_TENANT;
    llmspell_tuple_put_bytes((uint8_t *)b->p + 2, need - 2, t, n);
    b->n = need;
    return 0;
}
static int llmspell__x_tuple(const llmspell_allocator *a, llmspell__xb *b, const void *s, size_t n) {
    size_t need = llmspell_tuple_put_bytes(NULL, 0, s, n);
    if (llmspell__xb_res(a, b, need)) return -1;
    llmspell_tuple_put_bytes((uint8_t *)b->p + b->n, need, s, n);
    b->n += need;
    return 0;
}
static int llmspell__x_u64(const llmspell_allocator *a, llmspell__xb *b, uint64_t v) {
    if (llmspell__xb_res(a, b, 8)) return -1;
    llmspell_tuple_put_u64((uint8_t *)b->p + b->n, 8, v);
    b->n += 8;
    return 0;
}

static uint64_t llmspell__x_hash(uint64_t h, const void *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

/* One of the sections this library does not model, and rs-llmspell's ImportStats counter. */
static const char *const llmspell__x_order[] = {"vector_embeddings", "knowledge_graph", "procedural_memory", "agent_state",
                                                "kv_store", "workflow_states", "sessions", "artifacts", "event_log", "hook_history"};
static const char *const llmspell__x_migr[] = {"V3", "V4", "V5", "V6", "V7", "V8", "V9", "V10", "V11", "V13"};
#define LLMSPELL__X_NSEC 10

#define LLMSPELL__X_IS(s, sn, lit) ((sn) == sizeof(lit) - 1 && memcmp((s), (lit), (sn)) == 0)
static size_t *llmspell__x_counter(llmspell_export_stats *st, const char *sec, size_t n, const char *member, size_t mn) {
    if (LLMSPELL__X_IS(sec, n, "procedural_memory")) return &st->patterns;
    if (LLMSPELL__X_IS(sec, n, "agent_state")) return &st->agent_states;
    if (LLMSPELL__X_IS(sec, n, "workflow_states")) return &st->workflow_states;
    if (LLMSPELL__X_IS(sec, n, "sessions")) return &st->sessions;
    if (LLMSPELL__X_IS(sec, n, "event_log")) return &st->events;
    if (LLMSPELL__X_IS(sec, n, "hook_history")) return &st->hooks;
    if (LLMSPELL__X_IS(sec, n, "artifacts") && member) {
        if (LLMSPELL__X_IS(member, mn, "content")) return &st->artifact_content;
        if (LLMSPELL__X_IS(member, mn, "artifacts")) return &st->artifacts;
    }
    return NULL;
}

static void llmspell__x_total(llmspell_export_stats *s) {
    s->total = s->vectors + s->entities + s->relationships + s->patterns + s->agent_states + s->kv_entries +
               s->workflow_states + s->sessions + s->artifact_content + s->artifacts + s->events + s->hooks;
}

/* Fills err from a formatted message (no position: writer / store errors). */
static llmspell_result llmspell__x_err(llmspell_json_error *err, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4)
    ;
static llmspell_result llmspell__x_err(llmspell_json_error *err, llmspell_result code, const char *fmt, ...) {
    va_list ap;
    if (!err || err->code != LLMSPELL_OK) return code;
    memset(err, 0, sizeof *err);
    err->code = code;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

/* ---- export ---- */

typedef struct llmspell__xe {
    llmspell_kv *kv;
    llmspell_json_writer *w;
    llmspell_export_options o;
    llmspell_allocator al;
    llmspell__xb sb, pb, kb, tl; /* text scratch, tenant prefix, key scratch, tenant list (u32 len + bytes) */
    llmspell__xb nb, ib;         /* a stored collection name and record id, decoded */
    size_t ntenants;
    int tl_nomem;              /* the tenant list could not grow */
    uint32_t *dims;
    size_t ndims, capdims;
    llmspell_json_doc *doc;
    llmspell_export_stats st;
    uint64_t done;
    llmspell_json_error *err;
} llmspell__xe;

static llmspell_result llmspell__xe_nomem(llmspell__xe *e) { return llmspell__x_err(e->err, LLMSPELL_ERR_NOMEM, "export: out of memory"); }
static llmspell_result llmspell__xe_kv(llmspell__xe *e, llmspell_result r) {
    if (r == LLMSPELL_ERR_NOMEM) return llmspell__xe_nomem(e);
    return llmspell__x_err(e->err, r, "export: reading the store: %s", llmspell_kv_errmsg(e->kv));
}
static llmspell_result llmspell__xe_w(llmspell__xe *e, llmspell_result r) {
    const llmspell_json_error *we = llmspell_json_writer_error(e->w);
    if (r == LLMSPELL_OK) return r;
    if (e->err && e->err->code == LLMSPELL_OK && we && we->code != LLMSPELL_OK) {
        *e->err = *we;
        return r;
    }
    return llmspell__x_err(e->err, r, "export: writing: %s", llmspell_strerror(r));
}
static llmspell_result llmspell__xe_corrupt(llmspell__xe *e, const char *what) {
    return llmspell__x_err(e->err, LLMSPELL_ERR_CORRUPT, "export: a stored %s record does not parse", what);
}

#define LLMSPELL__XW(call)                                                                \
    do {                                                                                  \
        llmspell_result xw_rc_ = (call);                                                  \
        if (xw_rc_ != LLMSPELL_OK) return llmspell__xe_w(e, xw_rc_);                      \
    } while (0)
#define LLMSPELL__XK(e, lit) llmspell_json_key((e)->w, lit, sizeof(lit) - 1)

static llmspell_result llmspell__xe_progress(llmspell__xe *e, int final) {
    llmspell_export_progress p;
    uint64_t every = e->o.progress_every ? e->o.progress_every : 10000;
    if (!e->o.progress || (!final && e->done % every != 0)) return LLMSPELL_OK;
    p.phase = LLMSPELL_EXPORT_PHASE_EXPORT;
    p.records = e->done;
    p.bytes = llmspell_json_writer_bytes(e->w);
    if (e->o.progress(e->o.progress_user, &p)) return llmspell__x_err(e->err, LLMSPELL_ERR_INVALID, "export: cancelled");
    return LLMSPELL_OK;
}

/* Writes bytes as a JSON string, escaped as "b64:..." when needed (see the notes above). */
static llmspell_result llmspell__xe_text(llmspell__xe *e, const void *s, size_t n, int empty_is_b64) {
    int plain = !(n == 0 && empty_is_b64) && llmspell_json_utf8_valid(s, n, NULL) && !(n >= 4 && memcmp(s, "b64:", 4) == 0);
    size_t m;
    if (plain) return llmspell_json_string(e->w, (const char *)s, n);
    m = llmspell_b64_encoded_len(n);
    e->sb.n = 0;
    if (m == SIZE_MAX || llmspell__xb_res(&e->al, &e->sb, 4 + m)) return llmspell__xe_nomem(e);
    memcpy(e->sb.p, "b64:", 4);
    llmspell_b64_encode(e->sb.p + 4, s, n);
    return llmspell_json_string(e->w, e->sb.p, 4 + m);
}

/* >>export: tenants, kv entries, vectors, collections, graph versions, kept sections -------- */

/* Tenant i: -1 is the handle itself, 0.. the views under it. Sets e->pb to its key prefix and
   returns the tenant bytes through t/tn. */
static int llmspell__xe_tenant(llmspell__xe *e, long i, const char **t, size_t *tn) {
    size_t off = 0;
    long k;
    if (i < 0) {
        e->pb.n = 0;
        *t = NULL;
        *tn = 0;
        return 0;
    }
    for (k = 0; k < i; k++) off += 4 + llmspell__get32((const uint8_t *)e->tl.p + off);
    *tn = llmspell__get32((const uint8_t *)e->tl.p + off);
    *t = e->tl.p + off + 4;
    return llmspell__x_tprefix(&e->al, &e->pb, *t, *tn);
}

static llmspell_result llmspell__xe_tenant_id(llmspell__xe *e, long i) {
    const char *t;
    size_t tn;
    if (i < 0) return llmspell_json_string(e->w, e->o.tenant_id ? e->o.tenant_id : "", LLMSPELL_JSON_STRLEN);
    if (llmspell__xe_tenant(e, i, &t, &tn)) return llmspell__xe_nomem(e);
    return llmspell__xe_text(e, t, tn, 1);
}

/* The tenant views under the handle (llmspell_kv_tenants), into e->tl. */
static int llmspell__xe_tenant_add(void *user, const void *t, size_t tn) {
    llmspell__xe *e = (llmspell__xe *)user;
    uint8_t len4[4];
    llmspell__put32(len4, (uint32_t)tn);
    if (llmspell__xb_add(&e->al, &e->tl, len4, 4) || llmspell__xb_add(&e->al, &e->tl, t, tn)) {
        e->tl_nomem = 1;
        return 1;
    }
    e->ntenants++;
    return 0;
}

static llmspell_result llmspell__xe_tenants(llmspell__xe *e) {
    size_t skipped = 0;
    llmspell_result r = llmspell_kv_tenants(e->kv, llmspell__xe_tenant_add, e, &skipped);
    e->st.skipped_keys += skipped;
    if (e->tl_nomem) return llmspell__xe_nomem(e);
    return r == LLMSPELL_OK ? r : llmspell__xe_kv(e, r);
}

/* e->kb = e->pb + bytes */
static int llmspell__xe_key(llmspell__xe *e, const void *s, size_t n) {
    e->kb.n = 0;
    return llmspell__xb_add(&e->al, &e->kb, e->pb.p, e->pb.n) || llmspell__xb_add(&e->al, &e->kb, s, n);
}

static llmspell_result llmspell__xe_any(llmspell__xe *e, const void *pre, size_t pn, int *any) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    llmspell_result r;
    *any = 0;
    if (llmspell__xe_key(e, pre, pn)) return llmspell__xe_nomem(e);
    if ((r = llmspell_kv_iter_open(e->kv, e->kb.p, e->kb.n, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn);
    llmspell_kv_iter_close(it);
    if (r == LLMSPELL_OK) *any = 1;
    return r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__xe_kv(e, r);
}

/* Any user key (not 0xFF) under tenant i? */
static llmspell_result llmspell__xe_any_user(llmspell__xe *e, long i, int *any) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn, plen;
    const char *t;
    size_t tn;
    llmspell_result r;
    *any = 0;
    if (llmspell__xe_tenant(e, i, &t, &tn)) return llmspell__xe_nomem(e);
    plen = e->pb.n;
    if ((r = llmspell_kv_iter_open(e->kv, e->pb.p, plen, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn);
    if (r == LLMSPELL_OK && kn > plen && ((const uint8_t *)k)[plen] != 0xFF) *any = 1;
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__xe_kv(e, r);
}

/* System keys of no kind we know, under tenant i (the handle itself knows T V G X; a view V G). */
static llmspell_result llmspell__xe_count_skipped(llmspell__xe *e, long i) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn, plen;
    const char *t;
    size_t tn;
    uint8_t ff = 0xFF;
    llmspell_result r;
    if (llmspell__xe_tenant(e, i, &t, &tn)) return llmspell__xe_nomem(e);
    if (llmspell__xb_add(&e->al, &e->pb, &ff, 1)) return llmspell__xe_nomem(e);
    plen = e->pb.n;
    if ((r = llmspell_kv_iter_open(e->kv, e->pb.p, plen, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
        uint8_t c = kn > plen ? ((const uint8_t *)k)[plen] : 0;
        if (c == LLMSPELL__NS_VEC || c == LLMSPELL__NS_GRAPH || (i < 0 && (c == LLMSPELL__NS_TENANT || c == LLMSPELL__NS_EXPORT))) {
            size_t sn;
            if (llmspell__xb_res(&e->al, &e->kb, plen + 1)) { r = LLMSPELL_ERR_NOMEM; break; }
            memcpy(e->kb.p, e->pb.p, plen);
            e->kb.p[plen] = (char)c;
            sn = llmspell_key_successor((uint8_t *)e->kb.p, e->kb.p, plen + 1);
            if (!sn) break;
            if ((r = llmspell_kv_iter_seek(it, e->kb.p, sn)) != LLMSPELL_OK) break;
            continue;
        }
        e->st.skipped_keys++;
    }
    llmspell_kv_iter_close(it);
    if (r == LLMSPELL_ERR_NOMEM) return llmspell__xe_nomem(e);
    return r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__xe_kv(e, r);
}

/* One kv entry with what llmspell_kv.h keeps about it (kv_id, metadata, times: >>entries). */
static llmspell_result llmspell__xe_kventry(llmspell__xe *e, llmspell_kv *h, long i, const void *key, size_t keyn, const void *v, size_t vn) {
    llmspell_kv_info in;
    llmspell_result r = llmspell_kv_get_info(h, key, keyn, &in);
    if (r != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    if ((r = llmspell_json_object_begin(e->w)) != LLMSPELL_OK || (r = LLMSPELL__XK(e, "kv_id")) != LLMSPELL_OK ||
        (r = llmspell__xe_text(e, in.id, in.idlen, 0)) != LLMSPELL_OK || (r = LLMSPELL__XK(e, "tenant_id")) != LLMSPELL_OK ||
        (r = llmspell__xe_tenant_id(e, i)) != LLMSPELL_OK || (r = LLMSPELL__XK(e, "key")) != LLMSPELL_OK ||
        (r = llmspell__xe_text(e, key, keyn, 0)) != LLMSPELL_OK || (r = LLMSPELL__XK(e, "value")) != LLMSPELL_OK ||
        (r = llmspell_json_base64(e->w, v, vn)) != LLMSPELL_OK || (r = LLMSPELL__XK(e, "metadata")) != LLMSPELL_OK ||
        (r = in.metadata ? llmspell__xe_text(e, in.metadata, in.metalen, 0) : llmspell_json_null(e->w)) != LLMSPELL_OK ||
        (r = LLMSPELL__XK(e, "created_at")) != LLMSPELL_OK || (r = llmspell_json_int(e->w, in.created)) != LLMSPELL_OK ||
        (r = LLMSPELL__XK(e, "updated_at")) != LLMSPELL_OK || (r = llmspell_json_int(e->w, in.updated)) != LLMSPELL_OK ||
        (r = llmspell_json_object_end(e->w)) != LLMSPELL_OK)
        return r == LLMSPELL_ERR_NOMEM && e->err && e->err->code ? r : llmspell__xe_w(e, r);
    e->st.kv_entries++;
    e->done++;
    return llmspell__xe_progress(e, 0);
}

/* The user keys of the handle, then of each tenant view under it (read through a view, so
   kv's own info about each entry answers for the same key). */
static llmspell_result llmspell__xe_kvsection(llmspell__xe *e) {
    long i;
    llmspell_result r;
    for (i = -1; i < (long)e->ntenants; i++) {
        llmspell_kv view, *h = e->kv;
        llmspell_kv_iter *it;
        const void *k, *v;
        size_t kn, vn, tn;
        const char *t;
        if (llmspell__xe_tenant(e, i, &t, &tn)) return llmspell__xe_nomem(e);
        if (i >= 0) {
            if ((r = llmspell_kv_open_tenant(&view, e->kv, t, tn)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
            h = &view;
        }
        if ((r = llmspell_kv_iter_open(h, NULL, 0, &it)) == LLMSPELL_OK) {
            while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
                if (kn == 0 || *(const uint8_t *)k == 0xFF) break; /* the system namespace follows every user key */
                if ((r = llmspell__xe_kventry(e, h, i, k, kn, v, vn)) != LLMSPELL_OK) break;
            }
            llmspell_kv_iter_close(it);
            if (r == LLMSPELL_ERR_NOT_FOUND) r = LLMSPELL_OK; /* the end (OK: the system namespace reached) */
            else if (r != LLMSPELL_OK && !(e->err && e->err->code)) r = llmspell__xe_kv(e, r);
        } else {
            r = llmspell__xe_kv(e, r);
        }
        if (i >= 0) llmspell_kv_close(&view);
        if (r != LLMSPELL_OK) return r;
    }
    return LLMSPELL_OK;
}

/* A JSON text of the store written through the DOM: compact, numbers as written. */
static llmspell_result llmspell__xe_json(llmspell__xe *e, const char *s, size_t n, const char *what) {
    llmspell_result r;
    if (!e->doc && llmspell_json_doc_new(&e->al, &e->doc) != LLMSPELL_OK) return llmspell__xe_nomem(e);
    r = llmspell_json_parse_into(e->doc, s, n, NULL, NULL);
    if (r == LLMSPELL_ERR_NOMEM) return llmspell__xe_nomem(e);
    if (r != LLMSPELL_OK) return llmspell__xe_corrupt(e, what);
    return llmspell_json_write_value(e->w, llmspell_json_doc_root(e->doc));
}

/* A collection's settings (llmspell_vec.h >>storage, "LVC1"). */
typedef struct llmspell__xcfg {
    llmspell_vec_config c;
    uint64_t gen, count;
    llmspell_time created;
} llmspell__xcfg;
static int llmspell__x_cfg_parse(const void *b, size_t n, llmspell__xcfg *c) {
    return llmspell__meta_parse((const uint8_t *)b, n, &c->c, &c->gen, &c->count, &c->created);
}

/* One record of a walk: its key after the 3-byte prefix (key..end), its value, and the index
   of its tenant (-1: the handle's own data). A result other than OK stops the walk. */
typedef llmspell_result (*llmspell__xe_row)(llmspell__xe *e, long tenant, const uint8_t *key, const uint8_t *end, const void *v,
                                            size_t vn, void *ctx);

/* Calls row for every record under pre (0xFF and two bytes) of every tenant, in tenant order
   then key order: the one scan loop every stored-record section of the export shares. */
static llmspell_result llmspell__xe_walk(llmspell__xe *e, const uint8_t pre[3], llmspell__xe_row row, void *ctx) {
    long i;
    for (i = -1; i < (long)e->ntenants; i++) {
        llmspell_kv_iter *it;
        const void *k, *v;
        size_t kn, vn, pn, tn;
        const char *t;
        llmspell_result r;
        if (llmspell__xe_tenant(e, i, &t, &tn) || llmspell__xe_key(e, pre, 3)) return llmspell__xe_nomem(e);
        pn = e->kb.n;
        if ((r = llmspell_kv_iter_open(e->kv, e->kb.p, pn, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
        while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
            llmspell_result f = row(e, i, (const uint8_t *)k + pn, (const uint8_t *)k + kn, v, vn, ctx);
            if (f != LLMSPELL_OK) {
                llmspell_kv_iter_close(it);
                return f;
            }
        }
        llmspell_kv_iter_close(it);
        if (r != LLMSPELL_ERR_NOT_FOUND) return llmspell__xe_kv(e, r);
    }
    return LLMSPELL_OK;
}

/* A writer failure inside a row: the writer's own error, unless one is already recorded. */
#define LLMSPELL__XT(x) if ((r = (x)) != LLMSPELL_OK) return e->err && e->err->code ? r : llmspell__xe_w(e, r)

static llmspell_result llmspell__xe_dim_row(llmspell__xe *e, long tenant, const uint8_t *key, const uint8_t *end, const void *v,
                                            size_t vn, void *ctx) {
    uint32_t d;
    size_t j;
    (void)tenant;
    (void)key;
    (void)end;
    (void)ctx;
    llmspell__recview rv;
    if (!llmspell__rec_parse((const uint8_t *)v, vn, &rv)) return llmspell__xe_corrupt(e, "vector");
    d = rv.dim;
    for (j = 0; j < e->ndims && e->dims[j] < d; j++) {}
    if (j < e->ndims && e->dims[j] == d) return LLMSPELL_OK;
    if (llmspell__ex_grow(&e->al, (void **)&e->dims, &e->capdims, e->ndims + 1, sizeof *e->dims)) return llmspell__xe_nomem(e);
    memmove(e->dims + j + 1, e->dims + j, (e->ndims - j) * sizeof *e->dims);
    e->dims[j] = d;
    e->ndims++;
    return LLMSPELL_OK;
}

/* Collects the dimensions of every vector record (sorted, distinct) into e->dims. */
static llmspell_result llmspell__xe_dims(llmspell__xe *e) {
    uint8_t pre[3];
    llmspell__ns_head(pre, 3, LLMSPELL__NS_VEC, LLMSPELL__VTAG_RECORD); /* every collection's records */
    return llmspell__xe_walk(e, pre, llmspell__xe_dim_row, NULL);
}

/* Decodes one tuple element of a stored key into b (replaced): stored names and ids are read
   up to the format's bounds, whatever this file's options say. */
static int llmspell__xe_tuple_get(llmspell__xe *e, const uint8_t **p, const uint8_t *end, llmspell__xb *b, size_t max) {
    const uint8_t *q = *p;
    size_t n = 0;
    if (llmspell_tuple_get_bytes(&q, end, NULL, 0, &n) != LLMSPELL_OK || n > max) return -1;
    b->n = 0;
    if (llmspell__xb_res(&e->al, b, n + 1)) return -2;
    if (llmspell_tuple_get_bytes(p, end, (uint8_t *)b->p, n, &n) != LLMSPELL_OK) return -1;
    b->n = n;
    return 0;
}

static llmspell_result llmspell__xe_vector_row(llmspell__xe *e, long i, const uint8_t *p, const uint8_t *end, const void *v,
                                               size_t vn, void *ctx) {
    uint32_t dim = *(const uint32_t *)ctx;
    llmspell__recview rv;
    size_t nl, il;
    const char *name, *id;
    llmspell_result r;
    int rc;
    if (!llmspell__rec_parse((const uint8_t *)v, vn, &rv)) return llmspell__xe_corrupt(e, "vector");
    if (rv.dim != dim) return LLMSPELL_OK;
    if ((rc = llmspell__xe_tuple_get(e, &p, end, &e->nb, LLMSPELL__VEC_FORM_MAX_NAME)) == 0)
        rc = llmspell__xe_tuple_get(e, &p, end, &e->ib, LLMSPELL__VEC_FORM_MAX_ID);
    if (rc == -2) return llmspell__xe_nomem(e);
    if (rc || p != end || e->nb.n == 0 || e->ib.n == 0) return llmspell__xe_corrupt(e, "vector");
    name = e->nb.p;
    nl = e->nb.n;
    id = e->ib.p;
    il = e->ib.n;
    LLMSPELL__XT(llmspell_json_object_begin(e->w));
    LLMSPELL__XT(LLMSPELL__XK(e, "id"));
    LLMSPELL__XT(llmspell__xe_text(e, id, il, 0));
    LLMSPELL__XT(LLMSPELL__XK(e, "tenant_id"));
    LLMSPELL__XT(llmspell__xe_tenant_id(e, i));
    LLMSPELL__XT(LLMSPELL__XK(e, "scope"));
    LLMSPELL__XT(llmspell__xe_text(e, rv.scope, rv.scopelen, 0));
    LLMSPELL__XT(LLMSPELL__XK(e, "dimension"));
    LLMSPELL__XT(llmspell_json_int(e->w, rv.dim));
    LLMSPELL__XT(LLMSPELL__XK(e, "embedding"));
    LLMSPELL__XT(llmspell_json_base64(e->w, rv.vec, (size_t)rv.dim * 4));
    LLMSPELL__XT(LLMSPELL__XK(e, "metadata"));
    LLMSPELL__XT(llmspell__xe_json(e, rv.meta, rv.metalen, "vector metadata"));
    LLMSPELL__XT(LLMSPELL__XK(e, "created_at"));
    LLMSPELL__XT(llmspell_json_int(e->w, rv.created));
    LLMSPELL__XT(LLMSPELL__XK(e, "updated_at"));
    LLMSPELL__XT(llmspell_json_int(e->w, rv.updated));
    LLMSPELL__XT(LLMSPELL__XK(e, "collection"));
    LLMSPELL__XT(llmspell__xe_text(e, name, nl, 0));
    if (rv.expires != LLMSPELL_TIME_MAX) {
        LLMSPELL__XT(LLMSPELL__XK(e, "expires_at"));
        LLMSPELL__XT(llmspell_json_int(e->w, rv.expires));
    }
    LLMSPELL__XT(llmspell_json_object_end(e->w));
    e->st.vectors++;
    e->done++;
    return llmspell__xe_progress(e, 0);
}

static llmspell_result llmspell__xe_vectors(llmspell__xe *e, uint32_t dim) {
    uint8_t pre[3];
    llmspell__ns_head(pre, 3, LLMSPELL__NS_VEC, LLMSPELL__VTAG_RECORD);
    return llmspell__xe_walk(e, pre, llmspell__xe_vector_row, &dim);
}

static llmspell_result llmspell__xe_collection_row(llmspell__xe *e, long i, const uint8_t *p, const uint8_t *end, const void *v,
                                                   size_t vn, void *ctx) {
    llmspell__xcfg c;
    llmspell_result r;
    int rc;
    (void)ctx;
    if (!llmspell__x_cfg_parse(v, vn, &c)) return llmspell__xe_corrupt(e, "collection settings");
    rc = llmspell__xe_tuple_get(e, &p, end, &e->nb, LLMSPELL__VEC_FORM_MAX_NAME);
    if (rc == -2) return llmspell__xe_nomem(e);
    if (rc || p != end || e->nb.n == 0) return llmspell__xe_corrupt(e, "collection settings");
    LLMSPELL__XT(llmspell_json_object_begin(e->w));
    LLMSPELL__XT(LLMSPELL__XK(e, "tenant_id"));
    LLMSPELL__XT(llmspell__xe_tenant_id(e, i));
    LLMSPELL__XT(LLMSPELL__XK(e, "name"));
    LLMSPELL__XT(llmspell__xe_text(e, e->nb.p, e->nb.n, 0));
    LLMSPELL__XT(LLMSPELL__XK(e, "metric"));
    LLMSPELL__XT(llmspell_json_string(e->w, llmspell__vec_metric_names[c.c.metric], LLMSPELL_JSON_STRLEN));
    LLMSPELL__XT(LLMSPELL__XK(e, "M"));
    LLMSPELL__XT(llmspell_json_uint(e->w, c.c.M));
    LLMSPELL__XT(LLMSPELL__XK(e, "ef_construction"));
    LLMSPELL__XT(llmspell_json_uint(e->w, c.c.ef_construction));
    LLMSPELL__XT(LLMSPELL__XK(e, "ef_search"));
    LLMSPELL__XT(llmspell_json_uint(e->w, c.c.ef_search));
    if (c.c.quant != LLMSPELL_VEC_F32) { /* written only when set: f32 collections export as before */
        LLMSPELL__XT(LLMSPELL__XK(e, "quantization"));
        LLMSPELL__XT(llmspell_json_string(e->w, llmspell__vec_quant_names[c.c.quant], LLMSPELL_JSON_STRLEN));
    }
    LLMSPELL__XT(llmspell_json_object_end(e->w));
    e->st.collections++;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xe_collections(llmspell__xe *e) {
    uint8_t pre[3];
    llmspell__ns_head(pre, 3, LLMSPELL__NS_VEC, LLMSPELL__VTAG_SETTINGS);
    return llmspell__xe_walk(e, pre, llmspell__xe_collection_row, NULL);
}

/* Graph versions of one kind (entities or relationships), decoded by llmspell_graph.h's stored-form section. */
static llmspell_result llmspell__xe_graph_row(llmspell__xe *e, long i, const uint8_t *p, const uint8_t *end, const void *v, size_t vn,
                                              void *ctx) {
    int kind = *(const int *)ctx;
    llmspell_result r;
    char idb[LLMSPELL__GRAPH_FORM_MAX_ID + 1];
    llmspell__gform f;
    const char *id, *ty, *as, *bs, *pr;
    size_t idn, tyn, an, bn, prn;
    int64_t tf, vf, vt, tt, created;
    if (llmspell__gform_decode(kind, p, end, v, vn, idb, &f)) return llmspell__xe_corrupt(e, "graph");
    id = f.id; idn = f.idn; ty = f.type; tyn = f.typen; as = f.a; an = f.an; bs = f.b; bn = f.bn; pr = f.props; prn = f.propsn;
    tf = f.tf; vf = f.vf; vt = f.vt; tt = f.tt; created = f.created;
    LLMSPELL__XT(llmspell_json_object_begin(e->w));
    if (kind == LLMSPELL__GKIND_ENTITY) {
        LLMSPELL__XT(LLMSPELL__XK(e, "entity_id"));
        LLMSPELL__XT(llmspell__xe_text(e, id, idn, 0));
        LLMSPELL__XT(LLMSPELL__XK(e, "tenant_id"));
        LLMSPELL__XT(llmspell__xe_tenant_id(e, i));
        LLMSPELL__XT(LLMSPELL__XK(e, "entity_type"));
        LLMSPELL__XT(llmspell__xe_text(e, ty, tyn, 0));
        LLMSPELL__XT(LLMSPELL__XK(e, "name"));
        LLMSPELL__XT(llmspell__xe_text(e, as, an, 0));
    } else {
        LLMSPELL__XT(LLMSPELL__XK(e, "relationship_id"));
        LLMSPELL__XT(llmspell__xe_text(e, id, idn, 0));
        LLMSPELL__XT(LLMSPELL__XK(e, "tenant_id"));
        LLMSPELL__XT(llmspell__xe_tenant_id(e, i));
        LLMSPELL__XT(LLMSPELL__XK(e, "source_entity_id"));
        LLMSPELL__XT(llmspell__xe_text(e, as, an, 0));
        LLMSPELL__XT(LLMSPELL__XK(e, "target_entity_id"));
        LLMSPELL__XT(llmspell__xe_text(e, bs, bn, 0));
        LLMSPELL__XT(LLMSPELL__XK(e, "relationship_type"));
        LLMSPELL__XT(llmspell__xe_text(e, ty, tyn, 0));
    }
    LLMSPELL__XT(LLMSPELL__XK(e, "properties"));
    LLMSPELL__XT(llmspell__xe_json(e, pr, prn, "graph properties"));
    LLMSPELL__XT(LLMSPELL__XK(e, "valid_time_start"));
    LLMSPELL__XT(llmspell_json_int(e->w, vf));
    LLMSPELL__XT(LLMSPELL__XK(e, "valid_time_end"));
    LLMSPELL__XT(llmspell_json_int(e->w, vt));
    LLMSPELL__XT(LLMSPELL__XK(e, "transaction_time_start"));
    LLMSPELL__XT(llmspell_json_int(e->w, tf));
    LLMSPELL__XT(LLMSPELL__XK(e, "transaction_time_end"));
    LLMSPELL__XT(llmspell_json_int(e->w, tt));
    LLMSPELL__XT(LLMSPELL__XK(e, "created_at"));
    LLMSPELL__XT(llmspell_json_int(e->w, created));
    LLMSPELL__XT(llmspell_json_object_end(e->w));
    if (kind == LLMSPELL__GKIND_ENTITY) e->st.entities++;
    else e->st.relationships++;
    e->done++;
    return llmspell__xe_progress(e, 0);
}

static llmspell_result llmspell__xe_graph(llmspell__xe *e, int kind) {
    uint8_t pre[3];
    llmspell__ns_head(pre, 3, LLMSPELL__NS_GRAPH, (char)kind);
    return llmspell__xe_walk(e, pre, llmspell__xe_graph_row, &kind);
}

/* Sections kept verbatim: 0xFF 'X' tuple(section) holds the shape ('a': an array, 'v': one
   value, 'o': an object, then per member: 'a' or 'v', u32 length, name); the pieces are at
   0xFF 'X' tuple(section) u64(member) u64(index), member 0 for 'a' and 'v'. */
static int llmspell__x_xkey(const llmspell_allocator *a, llmspell__xb *b, size_t keep, const char *sec, size_t sn) {
    static const char pre[2] = {(char)0xFF, LLMSPELL__NS_EXPORT};
    b->n = keep;
    return llmspell__xb_add(a, b, pre, 2) || llmspell__x_tuple(a, b, sec, sn);
}

static llmspell_result llmspell__xe_chunks(llmspell__xe *e, const char *sec, size_t sn, uint64_t member, size_t *counter) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    llmspell_result r;
    if (llmspell__x_xkey(&e->al, &e->kb, 0, sec, sn) || llmspell__x_u64(&e->al, &e->kb, member)) return llmspell__xe_nomem(e);
    if ((r = llmspell_kv_iter_open(e->kv, e->kb.p, e->kb.n, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
        if ((r = llmspell_json_raw(e->w, (const char *)v, vn)) != LLMSPELL_OK) {
            llmspell_kv_iter_close(it);
            return llmspell__xe_w(e, r);
        }
        if (counter) (*counter)++;
        e->done++;
        if ((r = llmspell__xe_progress(e, 0)) != LLMSPELL_OK) { llmspell_kv_iter_close(it); return r; }
    }
    llmspell_kv_iter_close(it);
    return r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__xe_kv(e, r);
}

/* Writes section `sec` (key and value) if it is stored; *had = 1 then. */
static llmspell_result llmspell__xe_kept(llmspell__xe *e, const char *sec, size_t sn, llmspell__xb *shape, int write, int *had) {
    const void *v;
    size_t vn, off;
    llmspell_result r;
    uint64_t m = 0;
    *had = 0;
    if (llmspell__x_xkey(&e->al, &e->kb, 0, sec, sn)) return llmspell__xe_nomem(e);
    r = llmspell_kv_get(e->kv, e->kb.p, e->kb.n, &v, &vn);
    if (r == LLMSPELL_ERR_NOT_FOUND) return LLMSPELL_OK;
    if (r != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    if (vn < 1) return llmspell__xe_corrupt(e, "kept section");
    shape->n = 0;
    if (llmspell__xb_add(&e->al, shape, v, vn)) return llmspell__xe_nomem(e);
    *had = 1;
    if (!write) return LLMSPELL_OK;
    LLMSPELL__XW(llmspell_json_key(e->w, sec, sn));
    if (shape->p[0] == 'a' || shape->p[0] == 'v') {
        if (shape->p[0] == 'a') LLMSPELL__XW(llmspell_json_array_begin(e->w));
        if ((r = llmspell__xe_chunks(e, sec, sn, 0, llmspell__x_counter(&e->st, sec, sn, NULL, 0))) != LLMSPELL_OK) return r;
        if (shape->p[0] == 'a') LLMSPELL__XW(llmspell_json_array_end(e->w));
        return LLMSPELL_OK;
    }
    if (shape->p[0] != 'o') return llmspell__xe_corrupt(e, "kept section");
    LLMSPELL__XW(llmspell_json_object_begin(e->w));
    for (off = 1; off < shape->n; m++) {
        char kind;
        uint32_t len;
        const char *name;
        if (shape->n - off < 5) return llmspell__xe_corrupt(e, "kept section");
        kind = shape->p[off];
        len = llmspell__get32((const uint8_t *)shape->p + off + 1);
        if (shape->n - off - 5 < len || (kind != 'a' && kind != 'v')) return llmspell__xe_corrupt(e, "kept section");
        name = shape->p + off + 5;
        off += 5 + (size_t)len;
        LLMSPELL__XW(llmspell_json_key(e->w, name, len));
        if (kind == 'a') LLMSPELL__XW(llmspell_json_array_begin(e->w));
        if ((r = llmspell__xe_chunks(e, sec, sn, m, kind == 'a' ? llmspell__x_counter(&e->st, sec, sn, name, len) : NULL)) != LLMSPELL_OK)
            return r;
        if (kind == 'a') LLMSPELL__XW(llmspell_json_array_end(e->w));
    }
    LLMSPELL__XW(llmspell_json_object_end(e->w));
    return LLMSPELL_OK;
}

static int llmspell__x_known(const char *s, size_t n) {
    int i;
    for (i = 0; i < LLMSPELL__X_NSEC; i++)
        if (strlen(llmspell__x_order[i]) == n && memcmp(llmspell__x_order[i], s, n) == 0) return 1;
    return 0;
}

/* The names of every kept section not in llmspell__x_order, in key order, into names
   (u32 length + bytes each); *count gets their number. */
static llmspell_result llmspell__xe_kept_others(llmspell__xe *e, llmspell__xb *names, size_t *count) {
    static const uint8_t pre[2] = {0xFF, LLMSPELL__NS_EXPORT};
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    llmspell_result r;
    names->n = 0;
    *count = 0;
    if ((r = llmspell_kv_iter_open(e->kv, pre, 2, &it)) != LLMSPELL_OK) return llmspell__xe_kv(e, r);
    while ((r = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK) {
        const uint8_t *p = (const uint8_t *)k + 2, *end = (const uint8_t *)k + kn;
        size_t sn = 0, at, sk;
        uint8_t len4[4];
        if (llmspell_tuple_get_bytes(&p, end, NULL, 0, &sn) != LLMSPELL_OK) { r = LLMSPELL_ERR_CORRUPT; break; }
        at = names->n;
        if (llmspell__xb_res(&e->al, names, 4 + sn)) { r = LLMSPELL_ERR_NOMEM; break; }
        p = (const uint8_t *)k + 2;
        (void)llmspell_tuple_get_bytes(&p, end, (uint8_t *)names->p + at + 4, sn, &sn);
        llmspell__put32(len4, (uint32_t)sn);
        memcpy(names->p + at, len4, 4);
        if (!llmspell__x_known(names->p + at + 4, sn)) {
            names->n = at + 4 + sn;
            (*count)++;
        }
        /* past this section's shape and pieces */
        if (llmspell__xb_res(&e->al, &e->kb, 2 * (size_t)(p - (const uint8_t *)k))) { r = LLMSPELL_ERR_NOMEM; break; }
        memcpy(e->kb.p, k, (size_t)(p - (const uint8_t *)k));
        sk = llmspell_key_successor((uint8_t *)e->kb.p + (p - (const uint8_t *)k), e->kb.p, (size_t)(p - (const uint8_t *)k));
        if (sk == 0) break;
        if ((r = llmspell_kv_iter_seek(it, e->kb.p + (p - (const uint8_t *)k), sk)) != LLMSPELL_OK) break;
    }
    llmspell_kv_iter_close(it);
    if (r == LLMSPELL_ERR_NOMEM) return llmspell__xe_nomem(e);
    if (r == LLMSPELL_ERR_CORRUPT) return llmspell__xe_corrupt(e, "kept section");
    return r == LLMSPELL_OK || r == LLMSPELL_ERR_NOT_FOUND ? LLMSPELL_OK : llmspell__xe_kv(e, r);
}

/* RFC 3339 UTC with microseconds. */
/* >>export: the document */
static llmspell_result llmspell__xe_run(llmspell__xe *e, llmspell__xb *shape, llmspell__xb *name) {
    uint8_t gE[3], gR[3], vm[3];
    int present[LLMSPELL__X_NSEC], any, anycoll = 0, i;
    long t;
    size_t j, others = 0, off;
    char when[64];
    llmspell_result r;
    llmspell__ns_head(gE, 3, LLMSPELL__NS_GRAPH, LLMSPELL__GKIND_ENTITY);
    llmspell__ns_head(gR, 3, LLMSPELL__NS_GRAPH, LLMSPELL__GKIND_REL);
    llmspell__ns_head(vm, 3, LLMSPELL__NS_VEC, LLMSPELL__VTAG_SETTINGS);
    if ((r = llmspell__xe_tenants(e)) != LLMSPELL_OK || (r = llmspell__xe_dims(e)) != LLMSPELL_OK) return r;
    memset(present, 0, sizeof present);
    present[0] = e->ndims > 0;
    for (t = -1; t < (long)e->ntenants; t++) {
        const char *tt;
        size_t tn;
        if (llmspell__xe_tenant(e, t, &tt, &tn)) return llmspell__xe_nomem(e);
        if ((r = llmspell__xe_count_skipped(e, t)) != LLMSPELL_OK) return r;
        if (llmspell__xe_tenant(e, t, &tt, &tn)) return llmspell__xe_nomem(e);
        if (!present[1] && (r = llmspell__xe_any(e, gE, 3, &any)) != LLMSPELL_OK) return r;
        if (!present[1] && any) present[1] = 1;
        if (!present[1] && (r = llmspell__xe_any(e, gR, 3, &any)) != LLMSPELL_OK) return r;
        if (!present[1] && any) present[1] = 1;
        if (!anycoll && (r = llmspell__xe_any(e, vm, 3, &anycoll)) != LLMSPELL_OK) return r;
        if (!present[4] && (r = llmspell__xe_any_user(e, t, &present[4])) != LLMSPELL_OK) return r;
    }
    for (i = 2; i < LLMSPELL__X_NSEC; i++) {
        if (i == 4) continue;
        if ((r = llmspell__xe_kept(e, llmspell__x_order[i], strlen(llmspell__x_order[i]), shape, 0, &present[i])) != LLMSPELL_OK) return r;
    }
    if ((r = llmspell__xe_kept_others(e, name, &others)) != LLMSPELL_OK) return r;
    (void)llmspell_time_format(llmspell_time_now(&e->o.clock), when, sizeof when);
    LLMSPELL__XW(llmspell_json_object_begin(e->w));
    LLMSPELL__XW(LLMSPELL__XK(e, "version"));
    LLMSPELL__XW(llmspell_json_string(e->w, "1.0", 3));
    LLMSPELL__XW(LLMSPELL__XK(e, "exported_at"));
    LLMSPELL__XW(llmspell_json_string(e->w, when, LLMSPELL_JSON_STRLEN));
    LLMSPELL__XW(LLMSPELL__XK(e, "source_backend"));
    LLMSPELL__XW(llmspell_json_string(e->w, e->o.source_backend ? e->o.source_backend : llmspell_kv_name(e->kv), LLMSPELL_JSON_STRLEN));
    LLMSPELL__XW(LLMSPELL__XK(e, "migrations"));
    LLMSPELL__XW(llmspell_json_array_begin(e->w));
    for (i = 0; i < LLMSPELL__X_NSEC; i++)
        if (present[i]) LLMSPELL__XW(llmspell_json_string(e->w, llmspell__x_migr[i], LLMSPELL_JSON_STRLEN));
    LLMSPELL__XW(llmspell_json_array_end(e->w));
    LLMSPELL__XW(LLMSPELL__XK(e, "data"));
    LLMSPELL__XW(llmspell_json_object_begin(e->w));
    for (i = 0; i < LLMSPELL__X_NSEC; i++) {
        if (!present[i]) continue;
        if (i == 0) {
            LLMSPELL__XW(LLMSPELL__XK(e, "vector_embeddings"));
            LLMSPELL__XW(llmspell_json_object_begin(e->w));
            for (j = 0; j < e->ndims; j++) {
                char ds[16];
                snprintf(ds, sizeof ds, "%lu", (unsigned long)e->dims[j]);
                LLMSPELL__XW(llmspell_json_key(e->w, ds, LLMSPELL_JSON_STRLEN));
                LLMSPELL__XW(llmspell_json_array_begin(e->w));
                if ((r = llmspell__xe_vectors(e, e->dims[j])) != LLMSPELL_OK) return r;
                LLMSPELL__XW(llmspell_json_array_end(e->w));
            }
            LLMSPELL__XW(llmspell_json_object_end(e->w));
        } else if (i == 1) {
            LLMSPELL__XW(LLMSPELL__XK(e, "knowledge_graph"));
            LLMSPELL__XW(llmspell_json_object_begin(e->w));
            LLMSPELL__XW(LLMSPELL__XK(e, "entities"));
            LLMSPELL__XW(llmspell_json_array_begin(e->w));
            if ((r = llmspell__xe_graph(e, LLMSPELL__GKIND_ENTITY)) != LLMSPELL_OK) return r;
            LLMSPELL__XW(llmspell_json_array_end(e->w));
            LLMSPELL__XW(LLMSPELL__XK(e, "relationships"));
            LLMSPELL__XW(llmspell_json_array_begin(e->w));
            if ((r = llmspell__xe_graph(e, LLMSPELL__GKIND_REL)) != LLMSPELL_OK) return r;
            LLMSPELL__XW(llmspell_json_array_end(e->w));
            LLMSPELL__XW(llmspell_json_object_end(e->w));
        } else if (i == 4) {
            LLMSPELL__XW(LLMSPELL__XK(e, "kv_store"));
            LLMSPELL__XW(llmspell_json_array_begin(e->w));
            if ((r = llmspell__xe_kvsection(e)) != LLMSPELL_OK) return r;
            LLMSPELL__XW(llmspell_json_array_end(e->w));
        } else {
            int had;
            if ((r = llmspell__xe_kept(e, llmspell__x_order[i], strlen(llmspell__x_order[i]), shape, 1, &had)) != LLMSPELL_OK) return r;
        }
    }
    for (j = 0, off = 0; j < others; j++) {
        int had;
        uint32_t len = llmspell__get32((const uint8_t *)name->p + off);
        if ((r = llmspell__xe_kept(e, name->p + off + 4, len, shape, 1, &had)) != LLMSPELL_OK) return r;
        off += 4 + (size_t)len;
    }
    LLMSPELL__XW(llmspell_json_object_end(e->w));
    if (anycoll) {
        LLMSPELL__XW(LLMSPELL__XK(e, "llmspell_collections"));
        LLMSPELL__XW(llmspell_json_array_begin(e->w));
        if ((r = llmspell__xe_collections(e)) != LLMSPELL_OK) return r;
        LLMSPELL__XW(llmspell_json_array_end(e->w));
    }
    LLMSPELL__XW(llmspell_json_object_end(e->w));
    return llmspell__xe_progress(e, 1);
}

LLMSPELL_DEF llmspell_result llmspell_export_store(llmspell_kv *kv, llmspell_json_writer *w, const llmspell_export_options *opts,
                                                   llmspell_export_stats *stats, llmspell_json_error *err) {
    llmspell__xe e;
    llmspell__xb shape, name;
    llmspell_json_error local;
    llmspell_result r;
    memset(&e, 0, sizeof e);
    memset(&shape, 0, sizeof shape);
    memset(&name, 0, sizeof name);
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    if (stats) memset(stats, 0, sizeof *stats);
    if (!kv || !w) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "export: kv or writer is NULL");
    if (!kv->open) return llmspell__x_err(err, LLMSPELL_ERR_CLOSED, "export: the store is closed");
    e.kv = kv;
    e.w = w;
    e.err = err;
    e.al = kv->allocator;
    if (opts) e.o = *opts;
    /* one state of the store throughout: writers in other threads wait for the export */
    if ((r = llmspell_kv_read_begin(kv)) != LLMSPELL_OK) return llmspell__x_err(err, r, "export: %s", llmspell_kv_errmsg(kv));
    r = llmspell__xe_run(&e, &shape, &name);
    (void)llmspell_kv_read_end(kv);
    llmspell__xb_free(&e.al, &shape);
    llmspell__xb_free(&e.al, &name);
    llmspell__xb_free(&e.al, &e.sb);
    llmspell__xb_free(&e.al, &e.pb);
    llmspell__xb_free(&e.al, &e.kb);
    llmspell__xb_free(&e.al, &e.tl);
    llmspell__xb_free(&e.al, &e.nb);
    llmspell__xb_free(&e.al, &e.ib);
    llmspell__ex_free(&e.al, e.dims);
    if (e.doc) llmspell_json_doc_free(e.doc);
    llmspell__x_total(&e.st);
    if (r == LLMSPELL_OK && stats) *stats = e.st;
    if (r != LLMSPELL_OK && err->code == LLMSPELL_OK) llmspell__x_err(err, r, "export: %s", llmspell_strerror(r));
    return r;
}

LLMSPELL_DEF llmspell_result llmspell_export_store_file(llmspell_kv *kv, FILE *f, const llmspell_export_options *opts,
                                                        llmspell_export_stats *stats, llmspell_json_error *err) {
    llmspell_json_writer *w = NULL;
    llmspell_json_writer_options wo;
    llmspell_result r;
    llmspell_json_error local;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    if (!kv || !f) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "export: kv or file is NULL");
    memset(&wo, 0, sizeof wo);
    if (kv->open) wo.allocator = kv->allocator;
    if ((r = llmspell_json_writer_open_file(&w, f, &wo)) != LLMSPELL_OK) return llmspell__x_err(err, r, "export: cannot open a writer");
    r = llmspell_export_store(kv, w, opts, stats, err);
    if (r == LLMSPELL_OK && (r = llmspell_json_writer_finish(w)) != LLMSPELL_OK) *err = *llmspell_json_writer_error(w);
    if (r == LLMSPELL_OK && fflush(f) != 0) r = llmspell__x_err(err, LLMSPELL_ERR_IO, "export: flushing the file failed");
    llmspell_json_writer_free(w);
    if (r != LLMSPELL_OK && stats) memset(stats, 0, sizeof *stats);
    return r;
}

/* ---- import ---- */

typedef struct llmspell__xpos {
    uint64_t line, col, off;
} llmspell__xpos;

enum { LLMSPELL__XF_S = 1, LLMSPELL__XF_I, LLMSPELL__XF_J };
#define LLMSPELL__XF_REQ 1
#define LLMSPELL__XF_NULL 2
#define LLMSPELL__XF_SORT 4 /* JSON: members sorted (the graph's canonical form) */

typedef struct llmspell__xf {
    const char *name;
    int kind, flags;
    int present, isnull;
    size_t off, len;
    const char *s;
    int64_t i;
    llmspell__xpos pos;
} llmspell__xf;

typedef struct llmspell__xid {
    size_t off, len, aoff, alen;
    uint64_t h;
} llmspell__xid;

/* A set of byte strings (record identities) with an optional value each. */
typedef struct llmspell__xset {
    llmspell__xb ar;
    llmspell__xid *e;
    size_t n, cap;
    size_t *slot; /* index + 1, 0 = empty */
    size_t mask;
} llmspell__xset;

typedef struct llmspell__xcol {
    size_t koff, klen; /* the settings key (prefix + vec's settings key) in the import's arena */
    int listed, exists;
    llmspell__xcfg cfg, old;
    int zero;          /* an all-zero vector was seen: an error for a cosine collection */
    llmspell__xpos zpos;
    char zpath[160];
    uint64_t added;
} llmspell__xcol;

typedef struct llmspell__xgt { /* a tenant's graph: its key prefix, the last transaction time */
    size_t poff, plen;
    int64_t maxtx;
} llmspell__xgt;

typedef struct llmspell__xcur { /* a graph version, for the one-visible-version check */
    size_t idoff, idlen;
    int64_t vf, vt, tf, tt;
    int kind;
    size_t idx;
    llmspell__xpos pos;
    const char *kp; /* set before sorting */
} llmspell__xcur;

typedef struct llmspell__xref { /* a relationship endpoint to find */
    size_t koff, klen;
    size_t idx;
    int which;
    llmspell__xpos pos;
} llmspell__xref;

typedef struct llmspell__xi {
    llmspell_kv *kv;
    llmspell_import_options o;
    llmspell_allocator al;
    llmspell_json_reader *r;
    llmspell_json_doc *doc, *doc2;
    int apply;
    llmspell_json_error *err;
    llmspell__xb sb, kb, vb, pb, tb, ar, sh, jb, bb, nm;
    llmspell__xb *sink;        /* where llmspell__xi_sink appends */
    llmspell__xb g1, g2, g3, g4; /* a graph version's type, name or endpoints, endpoints joined */
    llmspell__xb tnb, vpb;     /* the record's tenant; the tenant prefix of the open view */
    llmspell_kv view;          /* a view of the record's tenant (kv entries are written through it) */
    int view_open;
    llmspell_kv_limits lim;    /* kv's, from the file that implements it */
    llmspell__xset ids, gids;
    llmspell__xcol *cols;
    size_t ncols, capcols, lastcol;
    llmspell__xgt *gts;
    size_t ngts, capgts;
    llmspell__xcur *cur;
    size_t ncur, capcur;
    size_t *open, capopen;     /* the check: versions of one id open at a transaction time */
    llmspell__xref *refs;
    size_t nrefs, caprefs;
    llmspell_export_stats st;
    uint64_t nrec, lastoff;
    llmspell_time now;
    int seen_version, seen_data;
    const void *buf;
    size_t len;
    FILE *f;
    long fpos;
    size_t ent_idx, rel_idx;         /* element indexes, for deferred error paths */
    char rpath[160];                 /* the path of the record being read */
    llmspell__xpos rend;             /* where it ends */
} llmspell__xi;

static llmspell_result llmspell__xi_nomem(llmspell__xi *x) { return llmspell__x_err(x->err, LLMSPELL_ERR_NOMEM, "import: out of memory"); }

static llmspell_result llmspell__xi_rerr(llmspell__xi *x, llmspell_result rc) {
    const llmspell_json_error *re = x->r ? llmspell_json_reader_error(x->r) : NULL;
    if (x->err->code != LLMSPELL_OK) return x->err->code;
    if (re && re->code != LLMSPELL_OK) *x->err = *re;
    else llmspell__x_err(x->err, rc, "import: %s", llmspell_strerror(rc));
    return rc;
}

static llmspell_result llmspell__xi_fail(llmspell__xi *x, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(3, 4)
    ;
static llmspell_result llmspell__xi_fail(llmspell__xi *x, llmspell_result code, const char *fmt, ...) {
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (x->err->code != LLMSPELL_OK) return x->err->code;
    llmspell_json_reader_fail(x->r, code, "%s", buf);
    return llmspell__xi_rerr(x, code);
}

/* An error at a remembered position; path is complete. */
static llmspell_result llmspell__xi_fail_at(llmspell__xi *x, const llmspell__xpos *pos, const char *path, llmspell_result code,
                                            const char *fmt, ...)
    LLMSPELL__PRINTF(5, 6)
    ;
static llmspell_result llmspell__xi_fail_at(llmspell__xi *x, const llmspell__xpos *pos, const char *path, llmspell_result code,
                                            const char *fmt, ...) {
    char what[300];
    va_list ap;
    llmspell_json_error *e = x->err;
    int n;
    if (e->code != LLMSPELL_OK) return e->code;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(what, sizeof what, fmt, ap);
    va_end(ap);
    e->code = code;
    e->offset = pos->off;
    e->line = pos->line;
    e->column = pos->col;
    snprintf(e->path, sizeof e->path, "%s", path);
    n = snprintf(e->message, sizeof e->message, "line %llu, column %llu: %s", (unsigned long long)pos->line,
                 (unsigned long long)pos->col, what);
    if (path[0] && n >= 0 && (size_t)n < sizeof e->message) snprintf(e->message + n, sizeof e->message - (size_t)n, " (at %s)", path);
    return code;
}

/* The current record's path + "." + field, into buf. */
static void llmspell__xi_path(llmspell__xi *x, char *buf, size_t cap, const char *field) {
    size_t n = strlen(x->rpath);
    if (n >= cap) n = cap - 1;
    memcpy(buf, x->rpath, n);
    buf[n] = 0;
    if (field) snprintf(buf + n, cap - n, "%s%s", n ? "." : "", field);
}

static llmspell_result llmspell__xi_field_fail(llmspell__xi *x, const llmspell__xf *f, llmspell_result code, const char *fmt, ...)
    LLMSPELL__PRINTF(4, 5)
    ;
static llmspell_result llmspell__xi_field_fail(llmspell__xi *x, const llmspell__xf *f, llmspell_result code, const char *fmt, ...) {
    char what[300], path[160];
    va_list ap;
    va_start(ap, fmt);
    LLMSPELL__VSNPRINTF(what, sizeof what, fmt, ap);
    va_end(ap);
    llmspell__xi_path(x, path, sizeof path, f->name);
    return llmspell__xi_fail_at(x, &f->pos, path, code, "%s", what);
}

static llmspell_result llmspell__xi_progress(llmspell__xi *x, int final) {
    llmspell_export_progress p;
    uint64_t every = x->o.progress_every ? x->o.progress_every : 10000;
    if (!x->o.progress || (!final && x->nrec % every != 0)) return LLMSPELL_OK;
    p.phase = x->apply ? LLMSPELL_EXPORT_PHASE_APPLY : LLMSPELL_EXPORT_PHASE_VALIDATE;
    p.records = x->nrec;
    p.bytes = final ? (x->buf ? (uint64_t)x->len : x->lastoff) : x->lastoff;
    if (x->o.progress(x->o.progress_user, &p)) return llmspell__x_err(x->err, LLMSPELL_ERR_INVALID, "import: cancelled");
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xi_next(llmspell__xi *x, llmspell_json_token *t) {
    llmspell_result rc = llmspell_json_next(x->r, t);
    if (rc != LLMSPELL_OK) return llmspell__xi_rerr(x, rc);
    x->lastoff = t->offset;
    return LLMSPELL_OK;
}
static llmspell_result llmspell__xi_peek(llmspell__xi *x, llmspell_json_token *t) {
    llmspell_result rc = llmspell_json_peek(x->r, t);
    return rc == LLMSPELL_OK ? rc : llmspell__xi_rerr(x, rc);
}
static llmspell_result llmspell__xi_skip(llmspell__xi *x) {
    llmspell_result rc = llmspell_json_skip(x->r);
    return rc == LLMSPELL_OK ? rc : llmspell__xi_rerr(x, rc);
}

/* >>import: sets of record identities */
static int llmspell__xset_find(llmspell__xi *x, llmspell__xset *s, const void *k, size_t kn, size_t *idx, int add, int *added) {
    uint64_t h = llmspell__x_hash(14695981039346656037ull, k, kn);
    size_t i;
    *added = 0;
    if (add && (s->n + 1) * 2 > s->mask + 1) { /* grow the table to keep it at most half full */
        size_t nm = s->mask ? s->mask * 2 + 1 : 255, j;
        size_t *ns;
        if (nm > ((size_t)-1) / sizeof *ns - 1 || !(ns = (size_t *)llmspell__ex_alloc(&x->al, (nm + 1) * sizeof *ns))) return -1;
        memset(ns, 0, (nm + 1) * sizeof *ns);
        for (j = 0; j < s->n; j++) {
            size_t p = (size_t)s->e[j].h & nm;
            while (ns[p]) p = (p + 1) & nm;
            ns[p] = j + 1;
        }
        llmspell__ex_free(&x->al, s->slot);
        s->slot = ns;
        s->mask = nm;
    }
    if (!s->slot) return 0;
    for (i = (size_t)h & s->mask; s->slot[i]; i = (i + 1) & s->mask) {
        const llmspell__xid *e = &s->e[s->slot[i] - 1];
        if (e->h == h && e->len == kn && memcmp(s->ar.p + e->off, k, kn) == 0) {
            *idx = s->slot[i] - 1;
            return 1;
        }
    }
    if (!add) return 0;
    if (llmspell__ex_grow(&x->al, (void **)&s->e, &s->cap, s->n + 1, sizeof *s->e)) return -1;
    s->e[s->n].off = s->ar.n;
    s->e[s->n].len = kn;
    s->e[s->n].aoff = s->e[s->n].alen = 0;
    s->e[s->n].h = h;
    if (llmspell__xb_add(&x->al, &s->ar, k, kn)) return -1;
    s->slot[i] = s->n + 1;
    *idx = s->n++;
    *added = 1;
    return 0;
}
static void llmspell__xset_free(llmspell__xi *x, llmspell__xset *s) {
    llmspell__xb_free(&x->al, &s->ar);
    llmspell__ex_free(&x->al, s->e);
    llmspell__ex_free(&x->al, s->slot);
    memset(s, 0, sizeof *s);
}

/* >>import: JSON values, stored as their owners keep them */
static llmspell_result llmspell__xi_sink(void *user, const void *data, size_t n) {
    llmspell__xi *x = (llmspell__xi *)user;
    return llmspell__xb_add(&x->al, x->sink, data, n) ? LLMSPELL_ERR_NOMEM : LLMSPELL_OK;
}

/* A DOM value as compact text into b (replaced). */
static llmspell_result llmspell__xi_value_text(llmspell__xi *x, const llmspell_json_value *v, llmspell__xb *b) {
    llmspell_json_writer_options wo;
    llmspell_json_writer *w;
    llmspell_result rc;
    memset(&wo, 0, sizeof wo);
    wo.allocator = x->al;
    wo.buffer_size = 4096;
    b->n = 0;
    x->sink = b;
    if ((rc = llmspell_json_writer_open_sink(&w, llmspell__xi_sink, x, &wo)) != LLMSPELL_OK) return rc;
    if ((rc = llmspell_json_write_value(w, v)) == LLMSPELL_OK) rc = llmspell_json_writer_finish(w);
    llmspell_json_writer_free(w);
    return rc;
}

/* >>import: records (one object of known fields; unknown fields are skipped) */
static llmspell_result llmspell__xi_record(llmspell__xi *x, llmspell__xf *f, size_t nf) {
    llmspell_json_token t, v;
    llmspell_result rc;
    size_t i;
    x->sb.n = 0;
    for (i = 0; i < nf; i++) {
        f[i].present = f[i].isnull = 0;
        f[i].s = NULL;
        f[i].len = 0;
        f[i].i = 0;
    }
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
    if (t.event != LLMSPELL_JSON_EV_OBJECT_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "expected an object");
    llmspell_json_reader_path(x->r, x->rpath, sizeof x->rpath);
    for (;;) {
        if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_OBJECT_END) {
            x->rend.line = t.line;
            x->rend.col = t.column;
            x->rend.off = t.offset;
            break;
        }
        for (i = 0; i < nf; i++)
            if (strlen(f[i].name) == t.len && memcmp(f[i].name, t.str, t.len) == 0) break;
        if (i == nf) {
            if ((rc = llmspell__xi_skip(x)) != LLMSPELL_OK) return rc;
            continue;
        }
        if ((rc = llmspell__xi_peek(x, &v)) != LLMSPELL_OK) return rc;
        f[i].present = 1;
        f[i].pos.line = v.line;
        f[i].pos.col = v.column;
        f[i].pos.off = v.offset;
        if (v.event == LLMSPELL_JSON_EV_NULL && (f[i].flags & LLMSPELL__XF_NULL)) {
            f[i].isnull = 1;
            if ((rc = llmspell__xi_next(x, &v)) != LLMSPELL_OK) return rc;
            continue;
        }
        if (f[i].kind == LLMSPELL__XF_S) {
            if ((rc = llmspell__xi_next(x, &v)) != LLMSPELL_OK) return rc;
            if (v.event != LLMSPELL_JSON_EV_STRING) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'%s' must be a string", f[i].name);
            f[i].off = x->sb.n;
            f[i].len = v.len;
            if (llmspell__xb_add(&x->al, &x->sb, v.str, v.len) || llmspell__xb_ch(&x->al, &x->sb, 0)) return llmspell__xi_nomem(x);
        } else if (f[i].kind == LLMSPELL__XF_I) {
            if ((rc = llmspell__xi_next(x, &v)) != LLMSPELL_OK) return rc;
            if (v.event != LLMSPELL_JSON_EV_NUMBER || !v.is_int)
                return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'%s' must be an integer (int64)", f[i].name);
            f[i].i = v.i;
        } else {
            llmspell_json_error je;
            llmspell_result cr;
            if (v.event != LLMSPELL_JSON_EV_OBJECT_BEGIN) {
                if ((rc = llmspell__xi_next(x, &v)) != LLMSPELL_OK) return rc;
                return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'%s' must be a JSON object", f[i].name);
            }
            if ((!x->doc && llmspell_json_doc_new(&x->al, &x->doc) != LLMSPELL_OK) ||
                (!x->doc2 && llmspell_json_doc_new(&x->al, &x->doc2) != LLMSPELL_OK))
                return llmspell__xi_nomem(x);
            if ((rc = llmspell_json_read_value_into(x->r, x->doc)) != LLMSPELL_OK) return llmspell__xi_rerr(x, rc);
            /* stored as its owner keeps it, by the owner's rules (duplicates, depth, ...) */
            if ((rc = llmspell__xi_value_text(x, llmspell_json_doc_root(x->doc), &x->jb)) != LLMSPELL_OK)
                return rc == LLMSPELL_ERR_NOMEM ? llmspell__xi_nomem(x) : llmspell__xi_field_fail(x, &f[i], rc, "'%s' cannot be written", f[i].name);
            f[i].off = x->sb.n;
            x->sink = &x->sb;
            cr = (f[i].flags & LLMSPELL__XF_SORT) ? llmspell__gform_props(x->doc2, x->jb.p, x->jb.n, llmspell__xi_sink, x, &je)
                                                  : llmspell__vec_meta_canon(x->doc2, x->jb.p, x->jb.n, llmspell__xi_sink, x, &je);
            if (cr == LLMSPELL_ERR_NOMEM) return llmspell__xi_nomem(x);
            if (cr != LLMSPELL_OK) return llmspell__xi_field_fail(x, &f[i], cr, "'%s': %s", f[i].name, je.message);
            f[i].len = x->sb.n - f[i].off;
            if (llmspell__xb_ch(&x->al, &x->sb, 0)) return llmspell__xi_nomem(x);
        }
    }
    for (i = 0; i < nf; i++) {
        if ((f[i].flags & LLMSPELL__XF_REQ) && !f[i].present)
            return llmspell__xi_fail_at(x, &x->rend, x->rpath, LLMSPELL_ERR_INVALID, "missing required field '%s'", f[i].name);
        if (f[i].present && !f[i].isnull && f[i].kind != LLMSPELL__XF_I) f[i].s = x->sb.p + f[i].off;
    }
    return LLMSPELL_OK;
}

/* Text field -> bytes (the "b64:" rule), into b (replaced). */
static llmspell_result llmspell__xi_text(llmspell__xi *x, const llmspell__xf *f, llmspell__xb *b) {
    b->n = 0;
    if (!f->s) return LLMSPELL_OK;
    if (f->len >= 4 && memcmp(f->s, "b64:", 4) == 0) {
        size_t got = 0, bad = 0;
        if (llmspell__xb_res(&x->al, b, llmspell_b64_decoded_max(f->len - 4))) return llmspell__xi_nomem(x);
        if (llmspell_b64_decode(b->p, b->cap, f->s + 4, f->len - 4, &got, &bad) != LLMSPELL_OK)
            return llmspell__xi_field_fail(x, f, LLMSPELL_ERR_PARSE, "'%s': bad base64 after \"b64:\" at character %zu", f->name, bad + 4);
        b->n = got;
        return LLMSPELL_OK;
    }
    return llmspell__xb_add(&x->al, b, f->s, f->len) ? llmspell__xi_nomem(x) : LLMSPELL_OK;
}

/* The key prefix of a tenant_id field into x->pb ("" for the handle itself). */
static llmspell_result llmspell__xi_tenant(llmspell__xi *x, const llmspell__xf *f) {
    const char *own = x->o.tenant_id ? x->o.tenant_id : "";
    llmspell_result rc;
    x->pb.n = 0;
    if (!f->s || (f->len == strlen(own) && memcmp(f->s, own, f->len) == 0 && !(f->len >= 4 && memcmp(f->s, "b64:", 4) == 0)))
        return LLMSPELL_OK;
    if ((rc = llmspell__xi_text(x, f, &x->tb)) != LLMSPELL_OK) return rc;
    if (x->tb.n > x->lim.max_tenant)
        return llmspell__xi_field_fail(x, f, LLMSPELL_ERR_TOO_LARGE, "tenant_id of %zu bytes is over the %zu-byte limit", x->tb.n, x->lim.max_tenant);
    x->tnb.n = 0;
    if (llmspell__xb_add(&x->al, &x->tnb, x->tb.p, x->tb.n)) return llmspell__xi_nomem(x);
    return llmspell__x_tprefix(&x->al, &x->pb, x->tb.p, x->tb.n) ? llmspell__xi_nomem(x) : LLMSPELL_OK;
}

/* The handle that writes the current record's user keys: the target itself, or a view of the
   record's tenant (kept open while records of that tenant follow). */
static llmspell_result llmspell__xi_handle(llmspell__xi *x, llmspell_kv **h) {
    llmspell_result rc;
    *h = x->kv;
    if (x->pb.n == 0) return LLMSPELL_OK;
    if (!x->view_open || x->vpb.n != x->pb.n || memcmp(x->vpb.p, x->pb.p, x->pb.n) != 0) {
        if (x->view_open) llmspell_kv_close(&x->view);
        x->view_open = 0;
        x->vpb.n = 0;
        if (llmspell__xb_add(&x->al, &x->vpb, x->pb.p, x->pb.n)) return llmspell__xi_nomem(x);
        if ((rc = llmspell_kv_open_tenant(&x->view, x->kv, x->tnb.p, x->tnb.n)) != LLMSPELL_OK)
            return llmspell__x_err(x->err, rc, "import: opening the tenant's view: %s", llmspell_kv_errmsg(&x->view));
        x->view_open = 1;
    }
    *h = &x->view;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xi_time(llmspell__xi *x, const llmspell__xf *f, int64_t dflt, int64_t *out) {
    int64_t t = f->i;
    if (!f->present || f->isnull) {
        *out = dflt;
        return LLMSPELL_OK;
    }
    if (x->o.times_in_seconds && t != INT64_MAX && t != INT64_MIN) {
        if (t == 9999999999ll) t = LLMSPELL_TIME_MAX;
        else if (t > INT64_MAX / 1000000 || t < INT64_MIN / 1000000)
            return llmspell__xi_field_fail(x, f, LLMSPELL_ERR_INVALID, "'%s': %lld seconds is out of range", f->name, (long long)t);
        else t *= 1000000;
    }
    *out = t;
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xi_kvput(llmspell__xi *x, const void *k, size_t kn, const void *v, size_t vn) {
    llmspell_result rc = llmspell_kv_put_sys(x->kv, k, kn, v, vn);
    if (rc == LLMSPELL_OK) return rc;
    return llmspell__x_err(x->err, rc, "import: writing the store: %s", llmspell_kv_errmsg(x->kv));
}

/* Registers the target key x->kb as a record of this file: a duplicate is an error. */
static llmspell_result llmspell__xi_unique(llmspell__xi *x, const llmspell__xf *f, const char *what) {
    size_t idx;
    int added, rc;
    if (x->apply) return LLMSPELL_OK;
    rc = llmspell__xset_find(x, &x->ids, x->kb.p, x->kb.n, &idx, 1, &added);
    if (rc < 0) return llmspell__xi_nomem(x);
    if (!added) return llmspell__xi_field_fail(x, f, LLMSPELL_ERR_CONFLICT, "duplicate %s in the section", what);
    return LLMSPELL_OK;
}

/* >>import: kv_store */
static llmspell_result llmspell__xi_kv(llmspell__xi *x) {
    llmspell__xf f[7];
    llmspell_kv_info in;
    llmspell_result rc;
    size_t got = 0, bad = 0;
    memset(f, 0, sizeof f);
    f[0].name = "kv_id"; f[0].kind = LLMSPELL__XF_S; f[0].flags = LLMSPELL__XF_NULL;
    f[1].name = "tenant_id"; f[1].kind = LLMSPELL__XF_S; f[1].flags = LLMSPELL__XF_NULL;
    f[2].name = "key"; f[2].kind = LLMSPELL__XF_S; f[2].flags = LLMSPELL__XF_REQ;
    f[3].name = "value"; f[3].kind = LLMSPELL__XF_S; f[3].flags = LLMSPELL__XF_REQ;
    f[4].name = "metadata"; f[4].kind = LLMSPELL__XF_S; f[4].flags = LLMSPELL__XF_NULL;
    f[5].name = "created_at"; f[5].kind = LLMSPELL__XF_I; f[5].flags = LLMSPELL__XF_NULL;
    f[6].name = "updated_at"; f[6].kind = LLMSPELL__XF_I; f[6].flags = LLMSPELL__XF_NULL;
    if ((rc = llmspell__xi_record(x, f, 7)) != LLMSPELL_OK) return rc;
    if (f[2].isnull) return llmspell__xi_field_fail(x, &f[2], LLMSPELL_ERR_INVALID, "'key' must be a string");
    if ((rc = llmspell__xi_tenant(x, &f[1])) != LLMSPELL_OK || (rc = llmspell__xi_text(x, &f[2], &x->tb)) != LLMSPELL_OK) return rc;
    if (x->tb.n == 0 || x->tb.n > x->lim.max_key)
        return llmspell__xi_field_fail(x, &f[2], LLMSPELL_ERR_INVALID, "key of %zu bytes (1..%zu allowed)", x->tb.n, x->lim.max_key);
    if ((uint8_t)x->tb.p[0] == 0xFF) return llmspell__xi_field_fail(x, &f[2], LLMSPELL_ERR_RESERVED, "a key may not start with byte 0xFF");
    x->kb.n = 0;
    if (llmspell__xb_add(&x->al, &x->kb, x->pb.p, x->pb.n) || llmspell__xb_add(&x->al, &x->kb, x->tb.p, x->tb.n)) return llmspell__xi_nomem(x);
    x->vb.n = 0;
    if (llmspell__xb_res(&x->al, &x->vb, llmspell_b64_decoded_max(f[3].len))) return llmspell__xi_nomem(x);
    if (llmspell_b64_decode(x->vb.p, x->vb.cap, f[3].s, f[3].len, &got, &bad) != LLMSPELL_OK)
        return llmspell__xi_field_fail(x, &f[3], LLMSPELL_ERR_PARSE, "'value' is not valid base64 (at character %zu)", bad);
    if (got > x->lim.max_value)
        return llmspell__xi_field_fail(x, &f[3], LLMSPELL_ERR_TOO_LARGE, "value of %zu bytes is over the limit", got);
    /* what kv keeps beside the value (>>entries in llmspell_kv.h): kv_id, metadata, times */
    memset(&in, 0, sizeof in);
    if (f[0].s) {
        if ((rc = llmspell__xi_text(x, &f[0], &x->g1)) != LLMSPELL_OK) return rc;
        if (x->g1.n > LLMSPELL_KV_MAX_ENTRY_ID)
            return llmspell__xi_field_fail(x, &f[0], LLMSPELL_ERR_TOO_LARGE, "kv_id of %zu bytes (at most %d)", x->g1.n, LLMSPELL_KV_MAX_ENTRY_ID);
        in.id = x->g1.p ? x->g1.p : "";
        in.idlen = x->g1.n;
    }
    if (f[4].s) {
        if ((rc = llmspell__xi_text(x, &f[4], &x->g2)) != LLMSPELL_OK) return rc;
        if (x->g2.n > x->lim.max_value - LLMSPELL_KV_MAX_ENTRY_ID - 16)
            return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_TOO_LARGE, "metadata of %zu bytes is over the limit", x->g2.n);
        in.metadata = x->g2.p ? x->g2.p : "";
        in.metalen = x->g2.n;
    }
    if ((rc = llmspell__xi_time(x, &f[5], x->now, &in.created)) != LLMSPELL_OK || (rc = llmspell__xi_time(x, &f[6], in.created, &in.updated)) != LLMSPELL_OK)
        return rc;
    if ((rc = llmspell__xi_unique(x, &f[2], "key")) != LLMSPELL_OK) return rc;
    if (x->apply) {
        llmspell_kv *h;
        if ((rc = llmspell__xi_handle(x, &h)) != LLMSPELL_OK) return rc;
        if ((rc = llmspell_kv_put_info(h, x->tb.p, x->tb.n, x->vb.p, got, &in)) != LLMSPELL_OK)
            return llmspell__x_err(x->err, rc, "import: writing the store: %s", llmspell_kv_errmsg(h));
    }
    x->st.kv_entries++;
    return LLMSPELL_OK;
}

/* >>import: vectors and collections */
/* x->kb = the tenant prefix + a vec key built by llmspell_vec.h's stored-form section. */
static int llmspell__xi_vkey(llmspell__xi *x, llmspell__xb *b, char tag, const char *name, size_t nl, const char *id, size_t idl) {
    size_t need = llmspell__vkey(NULL, 0, tag, name, nl, id, idl, 0, 0, 0, 0);
    b->n = 0;
    if (llmspell__xb_add(&x->al, b, x->pb.p, x->pb.n) || llmspell__xb_res(&x->al, b, need)) return -1;
    b->n += llmspell__vkey((uint8_t *)b->p + b->n, need, tag, name, nl, id, idl, 0, 0, 0, 0);
    return 0;
}

static llmspell_result llmspell__xi_colget(llmspell__xi *x, const void *name, size_t nl, llmspell__xcol **out) {
    size_t i;
    const void *v;
    size_t vn;
    llmspell_result rc;
    llmspell__xcol *c;
    if (llmspell__xi_vkey(x, &x->jb, LLMSPELL__VTAG_SETTINGS, (const char *)name, nl, NULL, 0)) return llmspell__xi_nomem(x);
    if (x->lastcol < x->ncols && x->cols[x->lastcol].klen == x->jb.n && memcmp(x->ar.p + x->cols[x->lastcol].koff, x->jb.p, x->jb.n) == 0) {
        *out = &x->cols[x->lastcol];
        return LLMSPELL_OK;
    }
    for (i = 0; i < x->ncols; i++)
        if (x->cols[i].klen == x->jb.n && memcmp(x->ar.p + x->cols[i].koff, x->jb.p, x->jb.n) == 0) {
            x->lastcol = i;
            *out = &x->cols[i];
            return LLMSPELL_OK;
        }
    if (llmspell__ex_grow(&x->al, (void **)&x->cols, &x->capcols, x->ncols + 1, sizeof *x->cols)) return llmspell__xi_nomem(x);
    c = &x->cols[x->ncols];
    memset(c, 0, sizeof *c);
    c->koff = x->ar.n;
    c->klen = x->jb.n;
    if (llmspell__xb_add(&x->al, &x->ar, x->jb.p, x->jb.n)) return llmspell__xi_nomem(x);
    rc = llmspell_kv_get(x->kv, x->jb.p, x->jb.n, &v, &vn);
    if (rc == LLMSPELL_OK) {
        if (!llmspell__x_cfg_parse(v, vn, &c->old))
            return llmspell__xi_fail(x, LLMSPELL_ERR_CORRUPT, "the target store's settings of this collection are corrupt");
        c->exists = 1;
    } else if (rc != LLMSPELL_ERR_NOT_FOUND) {
        return llmspell__x_err(x->err, rc, "import: reading the store: %s", llmspell_kv_errmsg(x->kv));
    }
    x->lastcol = x->ncols++;
    *out = c;
    return LLMSPELL_OK;
}

/* Embedding text "[0.1, 2, ...]" -> little-endian float32 bytes in x->jb (read by
   llmspell_vec.h's stored-form section). 0 or an error text ("" when out of memory). */
static const char *llmspell__xi_emb_text(llmspell__xi *x, const char *s, size_t n) {
    size_t i, count = 0;
    const char *why;
    if (!x->doc2 && llmspell_json_doc_new(&x->al, &x->doc2) != LLMSPELL_OK) return "";
    if ((why = llmspell__vec_text_parse(x->doc2, s, n, &count)) != NULL) return why;
    x->jb.n = 0;
    if (count > ((size_t)-1) / 4 - 1 || llmspell__xb_res(&x->al, &x->jb, count * 4)) return "";
    llmspell__vec_text_floats(x->doc2, (float *)(void *)x->jb.p);
    for (i = 0; i < count; i++) { /* host floats to little-endian, in place */
        uint32_t u;
        memcpy(&u, x->jb.p + 4 * i, 4);
        llmspell__put32((uint8_t *)x->jb.p + 4 * i, u);
    }
    x->jb.n = count * 4;
    return NULL;
}

static llmspell_result llmspell__xi_vec(llmspell__xi *x, uint32_t dim) {
    llmspell__xf f[10];
    llmspell_result rc;
    char name[LLMSPELL_VEC_MAX_NAME + 1];
    size_t nl, idl, i, nbytes;
    const uint8_t *fb;
    int64_t created, updated, expires;
    llmspell__xcol *col;
    int allzero = 1;
    const char *meta = "{}", *scope = "global";
    size_t metal = 2, scopel = 6;
    memset(f, 0, sizeof f);
    f[0].name = "id"; f[0].kind = LLMSPELL__XF_S; f[0].flags = LLMSPELL__XF_REQ;
    f[1].name = "tenant_id"; f[1].kind = LLMSPELL__XF_S; f[1].flags = LLMSPELL__XF_NULL;
    f[2].name = "scope"; f[2].kind = LLMSPELL__XF_S; f[2].flags = LLMSPELL__XF_NULL;
    f[3].name = "dimension"; f[3].kind = LLMSPELL__XF_I; f[3].flags = LLMSPELL__XF_REQ;
    f[4].name = "embedding"; f[4].kind = LLMSPELL__XF_S; f[4].flags = LLMSPELL__XF_REQ;
    f[5].name = "metadata"; f[5].kind = LLMSPELL__XF_J; f[5].flags = LLMSPELL__XF_NULL;
    f[6].name = "created_at"; f[6].kind = LLMSPELL__XF_I; f[6].flags = LLMSPELL__XF_NULL;
    f[7].name = "updated_at"; f[7].kind = LLMSPELL__XF_I; f[7].flags = LLMSPELL__XF_NULL;
    f[8].name = "collection"; f[8].kind = LLMSPELL__XF_S; f[8].flags = LLMSPELL__XF_NULL;
    f[9].name = "expires_at"; f[9].kind = LLMSPELL__XF_I; f[9].flags = LLMSPELL__XF_NULL;
    if ((rc = llmspell__xi_record(x, f, 10)) != LLMSPELL_OK) return rc;
    if (f[0].isnull || f[4].isnull) return llmspell__xi_field_fail(x, f[0].isnull ? &f[0] : &f[4], LLMSPELL_ERR_INVALID, "must be a string");
    if ((rc = llmspell__xi_tenant(x, &f[1])) != LLMSPELL_OK) return rc;
    /* collection */
    if (f[8].s) {
        if ((rc = llmspell__xi_text(x, &f[8], &x->tb)) != LLMSPELL_OK) return rc;
    } else {
        const char *d = x->o.default_collection ? x->o.default_collection : "default";
        x->tb.n = 0;
        if (llmspell__xb_add(&x->al, &x->tb, d, strlen(d))) return llmspell__xi_nomem(x);
    }
    nl = x->tb.n;
    if (nl == 0 || nl > LLMSPELL_VEC_MAX_NAME || memchr(x->tb.p, 0, nl))
        return llmspell__xi_field_fail(x, &f[8], LLMSPELL_ERR_INVALID, "collection name of %zu bytes (1..%d, no NUL)", nl, LLMSPELL_VEC_MAX_NAME);
    memcpy(name, x->tb.p, nl);
    if ((rc = llmspell__xi_colget(x, name, nl, &col)) != LLMSPELL_OK) return rc;
    /* id: the record key */
    if ((rc = llmspell__xi_text(x, &f[0], &x->tb)) != LLMSPELL_OK) return rc;
    idl = x->tb.n;
    if (idl == 0 || idl > LLMSPELL__VEC_FORM_MAX_ID || memchr(x->tb.p, 0, idl))
        return llmspell__xi_field_fail(x, &f[0], LLMSPELL_ERR_INVALID, "id of %zu bytes (1..%u, no NUL)", idl, (unsigned)LLMSPELL__VEC_FORM_MAX_ID);
    if (llmspell__xi_vkey(x, &x->kb, LLMSPELL__VTAG_RECORD, name, nl, x->tb.p, idl)) return llmspell__xi_nomem(x);
    if ((int64_t)dim != f[3].i)
        return llmspell__xi_field_fail(x, &f[3], LLMSPELL_ERR_INVALID, "dimension %lld disagrees with its section key \"%lu\"", (long long)f[3].i,
                                       (unsigned long)dim);
    /* embedding */
    if (f[4].len == 0) {
        if (x->o.skip_empty_embeddings) {
            x->st.skipped_empty_embeddings++;
            return LLMSPELL_OK;
        }
        return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_INVALID,
                                       "empty embedding: the exporter lost this vector (set skip_empty_embeddings to skip such records)");
    }
    if (f[4].s[0] == '[') {
        const char *why = llmspell__xi_emb_text(x, f[4].s, f[4].len);
        if (why) return why[0] ? llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_PARSE, "embedding: %s", why) : llmspell__xi_nomem(x);
        fb = (const uint8_t *)x->jb.p;
        nbytes = x->jb.n;
    } else {
        size_t got = 0, bad = 0;
        x->vb.n = 0;
        if (llmspell__xb_res(&x->al, &x->vb, llmspell_b64_decoded_max(f[4].len))) return llmspell__xi_nomem(x);
        if (llmspell_b64_decode(x->vb.p, x->vb.cap, f[4].s, f[4].len, &got, &bad) != LLMSPELL_OK)
            return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_PARSE, "embedding is not valid base64 (at character %zu)", bad);
        /* bytes starting with '[' are JSON text, as rs-llmspell reads them; but 1 float32 vector
           in 256 starts with that byte too: binary of the right length that is not a JSON array
           of `dimension` numbers stays binary */
        if (got && x->vb.p[0] == '[') {
            const char *why = llmspell__xi_emb_text(x, x->vb.p, got);
            if (why && !why[0]) return llmspell__xi_nomem(x);
            if (got == (size_t)dim * 4 && (why || x->jb.n != got)) {
                why = NULL;
                fb = (const uint8_t *)x->vb.p;
                nbytes = got;
            } else {
                if (why) return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_PARSE, "embedding: %s", why);
                fb = (const uint8_t *)x->jb.p;
                nbytes = x->jb.n;
            }
        } else {
            if (got % 4) return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_INVALID, "embedding of %zu bytes is not whole float32 values", got);
            fb = (const uint8_t *)x->vb.p;
            nbytes = got;
        }
    }
    if (nbytes / 4 != dim)
        return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_INVALID, "embedding has %zu values but the dimension is %lu", nbytes / 4,
                                       (unsigned long)dim);
    for (i = 0; i < dim; i++) {
        uint32_t u = llmspell__get32(fb + 4 * i);
        if ((u & 0x7F800000u) == 0x7F800000u)
            return llmspell__xi_field_fail(x, &f[4], LLMSPELL_ERR_INVALID, "embedding value %zu is not finite", i);
        if (u & 0x7FFFFFFFu) allzero = 0;
    }
    if (allzero && !x->apply && !col->zero) {
        col->zero = 1;
        col->zpos = f[4].pos;
        llmspell__xi_path(x, col->zpath, sizeof col->zpath, "embedding");
    }
    if (f[5].s) {
        meta = f[5].s;
        metal = f[5].len;
    }
    if (f[2].s) {
        if ((rc = llmspell__xi_text(x, &f[2], &x->tb)) != LLMSPELL_OK) return rc;
        scope = x->tb.p ? x->tb.p : "";
        scopel = x->tb.n;
    }
    if ((rc = llmspell__xi_time(x, &f[6], x->now, &created)) != LLMSPELL_OK || (rc = llmspell__xi_time(x, &f[7], created, &updated)) != LLMSPELL_OK ||
        (rc = llmspell__xi_time(x, &f[9], LLMSPELL_TIME_MAX, &expires)) != LLMSPELL_OK)
        return rc;
    if ((rc = llmspell__xi_unique(x, &f[0], "vector id")) != LLMSPELL_OK) return rc;
    x->st.vectors++;
    if (!x->apply) return LLMSPELL_OK;
    {
        llmspell__recview rv;
        size_t n;
        memset(&rv, 0, sizeof rv);
        rv.dim = dim;
        rv.created = created;
        rv.updated = updated;
        rv.expires = expires;
        rv.scope = scope;
        rv.scopelen = (uint32_t)scopel;
        rv.meta = meta;
        rv.metalen = (uint32_t)metal;
        rv.vec = fb;
        n = llmspell__rec_size(&rv);
        x->bb.n = 0;
        if (llmspell__xb_res(&x->al, &x->bb, n)) return llmspell__xi_nomem(x);
        llmspell__rec_write((uint8_t *)x->bb.p, &rv, NULL);
        if (col->exists) { /* a replaced record does not add to the count */
            const void *ov;
            size_t on;
            rc = llmspell_kv_get(x->kv, x->kb.p, x->kb.n, &ov, &on);
            if (rc == LLMSPELL_ERR_NOT_FOUND) col->added++;
            else if (rc != LLMSPELL_OK) return llmspell__x_err(x->err, rc, "import: reading the store: %s", llmspell_kv_errmsg(x->kv));
        } else {
            col->added++;
        }
        return llmspell__xi_kvput(x, x->kb.p, x->kb.n, x->bb.p, n);
    }
}

static llmspell_result llmspell__xi_collection(llmspell__xi *x) {
    llmspell__xf f[7];
    llmspell_result rc;
    llmspell__xcol *col;
    llmspell__xcfg c;
    size_t i;
    memset(f, 0, sizeof f);
    memset(&c, 0, sizeof c);
    f[0].name = "tenant_id"; f[0].kind = LLMSPELL__XF_S; f[0].flags = LLMSPELL__XF_NULL;
    f[1].name = "name"; f[1].kind = LLMSPELL__XF_S; f[1].flags = LLMSPELL__XF_REQ;
    f[2].name = "metric"; f[2].kind = LLMSPELL__XF_S; f[2].flags = LLMSPELL__XF_NULL;
    f[3].name = "M"; f[3].kind = LLMSPELL__XF_I; f[3].flags = LLMSPELL__XF_NULL;
    f[4].name = "ef_construction"; f[4].kind = LLMSPELL__XF_I; f[4].flags = LLMSPELL__XF_NULL;
    f[5].name = "ef_search"; f[5].kind = LLMSPELL__XF_I; f[5].flags = LLMSPELL__XF_NULL;
    f[6].name = "quantization"; f[6].kind = LLMSPELL__XF_S; f[6].flags = LLMSPELL__XF_NULL;
    if ((rc = llmspell__xi_record(x, f, 7)) != LLMSPELL_OK) return rc;
    if (f[1].isnull) return llmspell__xi_field_fail(x, &f[1], LLMSPELL_ERR_INVALID, "'name' must be a string");
    if ((rc = llmspell__xi_tenant(x, &f[0])) != LLMSPELL_OK || (rc = llmspell__xi_text(x, &f[1], &x->tb)) != LLMSPELL_OK) return rc;
    if (x->tb.n == 0 || x->tb.n > LLMSPELL_VEC_MAX_NAME || memchr(x->tb.p, 0, x->tb.n))
        return llmspell__xi_field_fail(x, &f[1], LLMSPELL_ERR_INVALID, "collection name of %zu bytes (1..%d, no NUL)", x->tb.n, LLMSPELL_VEC_MAX_NAME);
    c.c.M = 16;
    c.c.ef_construction = 200;
    c.c.ef_search = 50;
    if (f[2].s) {
        for (i = 0; i < 3; i++)
            if (strlen(llmspell__vec_metric_names[i]) == f[2].len && memcmp(llmspell__vec_metric_names[i], f[2].s, f[2].len) == 0) break;
        if (i == 3) return llmspell__xi_field_fail(x, &f[2], LLMSPELL_ERR_INVALID, "metric must be \"cosine\", \"l2\" or \"ip\"");
        c.c.metric = (llmspell_metric)i;
    }
    if (f[6].s) {
        for (i = 0; i < 3; i++)
            if (strlen(llmspell__vec_quant_names[i]) == f[6].len && memcmp(llmspell__vec_quant_names[i], f[6].s, f[6].len) == 0) break;
        if (i == 3) return llmspell__xi_field_fail(x, &f[6], LLMSPELL_ERR_INVALID, "quantization must be \"f32\", \"f16\" or \"int8\"");
        c.c.quant = (llmspell_vec_quant)i;
    }
    for (i = 3; i <= 5; i++) { /* vec's own ranges (llmspell_vec_create refuses the same) */
        uint32_t *dst = i == 3 ? &c.c.M : i == 4 ? &c.c.ef_construction : &c.c.ef_search;
        const char *why;
        if (!f[i].present || f[i].isnull) continue;
        *dst = f[i].i < 1 || f[i].i > 0x7FFFFFFF ? 0 : (uint32_t)f[i].i;
        if ((why = llmspell__vec_config_error(&c.c)) != NULL || *dst == 0)
            return llmspell__xi_field_fail(x, &f[i], LLMSPELL_ERR_INVALID, "'%s' %lld: %s", f[i].name, (long long)f[i].i,
                                           why ? why : "must be a positive integer");
    }
    if ((rc = llmspell__xi_colget(x, x->tb.p, x->tb.n, &col)) != LLMSPELL_OK) return rc;
    if (x->apply) return LLMSPELL_OK;
    if (col->listed) return llmspell__xi_field_fail(x, &f[1], LLMSPELL_ERR_CONFLICT, "collection listed twice");
    if (col->exists && (col->old.c.metric != c.c.metric || col->old.c.quant != c.c.quant || col->old.c.M != c.c.M || col->old.c.ef_construction != c.c.ef_construction ||
                        col->old.c.ef_search != c.c.ef_search))
        return llmspell__xi_field_fail(x, &f[1], LLMSPELL_ERR_CONFLICT, "the target store has this collection with other settings");
    col->listed = 1;
    col->cfg = c;
    return LLMSPELL_OK;
}

/* >>import: knowledge graph */
static llmspell_result llmspell__xi_gtenant(llmspell__xi *x, int64_t tx) {
    size_t i;
    llmspell__xgt *g;
    for (i = 0; i < x->ngts; i++)
        if (x->gts[i].plen == x->pb.n && (x->pb.n == 0 || memcmp(x->ar.p + x->gts[i].poff, x->pb.p, x->pb.n) == 0)) break;
    if (i == x->ngts) {
        if (llmspell__ex_grow(&x->al, (void **)&x->gts, &x->capgts, x->ngts + 1, sizeof *x->gts)) return llmspell__xi_nomem(x);
        g = &x->gts[x->ngts];
        g->poff = x->ar.n;
        g->plen = x->pb.n;
        g->maxtx = LLMSPELL_TIME_MIN;
        if (llmspell__xb_add(&x->al, &x->ar, x->pb.p, x->pb.n)) return llmspell__xi_nomem(x);
        x->ngts++;
    }
    if (tx > x->gts[i].maxtx) x->gts[i].maxtx = tx;
    return LLMSPELL_OK;
}

/* The decoded text of f into b (replaced); checks 1..max (or 0..max) bytes, no NUL. */
static llmspell_result llmspell__xi_gtext(llmspell__xi *x, const llmspell__xf *f, size_t max, int nonempty, llmspell__xb *b) {
    llmspell_result rc;
    if ((rc = llmspell__xi_text(x, f, b)) != LLMSPELL_OK) return rc;
    if ((nonempty && b->n == 0) || b->n > max || (b->n && memchr(b->p, 0, b->n)))
        return llmspell__xi_field_fail(x, f, LLMSPELL_ERR_INVALID, "'%s' of %zu bytes (%d..%zu, no NUL)", f->name, b->n, nonempty, max);
    return LLMSPELL_OK;
}

/* Does the target store have any key with prefix k[0..kn)? */
static llmspell_result llmspell__xi_has(llmspell__xi *x, const void *k, size_t kn, int *has) {
    llmspell_kv_iter *it = NULL;
    const void *a, *b;
    size_t an, bn;
    llmspell_result rc = llmspell_kv_iter_open(x->kv, k, kn, &it);
    *has = 0;
    if (rc == LLMSPELL_OK) {
        rc = llmspell_kv_iter_next(it, &a, &an, &b, &bn);
        llmspell_kv_iter_close(it);
        if (rc == LLMSPELL_OK) *has = 1;
        if (rc == LLMSPELL_ERR_NOT_FOUND) rc = LLMSPELL_OK;
    }
    if (rc != LLMSPELL_OK) return llmspell__x_err(x->err, rc, "import: reading the store: %s", llmspell_kv_errmsg(x->kv));
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xi_graph(llmspell__xi *x, int kind) {
    llmspell__xf f[11];
    llmspell_result rc;
    int64_t vf = 0, vt = 0, tf = 0, tt = 0, created = 0;
    size_t n = 0, idl, gid_len;
    llmspell__gform gf;
    int R = kind == LLMSPELL__GKIND_REL;
    llmspell__xf *fid, *ften, *fty, *fname = NULL, *fsrc = NULL, *fdst = NULL, *fprops, *fvf, *fvt, *ftf, *ftt, *fcr;
    memset(f, 0, sizeof f);
#define LLMSPELL__XFD(p, nm, k, fl) (p = &f[n], f[n].name = nm, f[n].kind = k, f[n].flags = fl, n++)
    LLMSPELL__XFD(fid, R ? "relationship_id" : "entity_id", LLMSPELL__XF_S, LLMSPELL__XF_REQ);
    LLMSPELL__XFD(ften, "tenant_id", LLMSPELL__XF_S, LLMSPELL__XF_NULL);
    if (R) {
        LLMSPELL__XFD(fsrc, "source_entity_id", LLMSPELL__XF_S, LLMSPELL__XF_REQ);
        LLMSPELL__XFD(fdst, "target_entity_id", LLMSPELL__XF_S, LLMSPELL__XF_REQ);
        LLMSPELL__XFD(fty, "relationship_type", LLMSPELL__XF_S, LLMSPELL__XF_NULL);
    } else {
        LLMSPELL__XFD(fty, "entity_type", LLMSPELL__XF_S, LLMSPELL__XF_NULL);
        LLMSPELL__XFD(fname, "name", LLMSPELL__XF_S, LLMSPELL__XF_NULL);
    }
    LLMSPELL__XFD(fprops, "properties", LLMSPELL__XF_J, LLMSPELL__XF_NULL | LLMSPELL__XF_SORT);
    LLMSPELL__XFD(fvf, "valid_time_start", LLMSPELL__XF_I, LLMSPELL__XF_REQ);
    LLMSPELL__XFD(fvt, "valid_time_end", LLMSPELL__XF_I, LLMSPELL__XF_NULL);
    LLMSPELL__XFD(ftf, "transaction_time_start", LLMSPELL__XF_I, LLMSPELL__XF_REQ);
    LLMSPELL__XFD(ftt, "transaction_time_end", LLMSPELL__XF_I, LLMSPELL__XF_NULL);
    LLMSPELL__XFD(fcr, "created_at", LLMSPELL__XF_I, LLMSPELL__XF_NULL);
#undef LLMSPELL__XFD
    if ((rc = llmspell__xi_record(x, f, n)) != LLMSPELL_OK) return rc;
    if (fid->isnull || fvf->isnull || ftf->isnull || (R && (fsrc->isnull || fdst->isnull)))
        return llmspell__xi_fail_at(x, &x->rend, x->rpath, LLMSPELL_ERR_INVALID, "a required field is null");
    if ((rc = llmspell__xi_tenant(x, ften)) != LLMSPELL_OK) return rc;
    if ((rc = llmspell__xi_time(x, fvf, 0, &vf)) != LLMSPELL_OK || (rc = llmspell__xi_time(x, fvt, LLMSPELL_TIME_MAX, &vt)) != LLMSPELL_OK ||
        (rc = llmspell__xi_time(x, ftf, 0, &tf)) != LLMSPELL_OK || (rc = llmspell__xi_time(x, ftt, LLMSPELL_TIME_MAX, &tt)) != LLMSPELL_OK ||
        (rc = llmspell__xi_time(x, fcr, tf, &created)) != LLMSPELL_OK)
        return rc;
    if (vf >= vt) return llmspell__xi_field_fail(x, fvt, LLMSPELL_ERR_INVALID, "valid_time_end must be after valid_time_start");
    if (tf == LLMSPELL_TIME_MIN || tf == LLMSPELL_TIME_MAX)
        return llmspell__xi_field_fail(x, ftf, LLMSPELL_ERR_INVALID, "transaction_time_start must be a finite time");
    if (tf >= tt) return llmspell__xi_field_fail(x, ftt, LLMSPELL_ERR_INVALID, "transaction_time_end must be after transaction_time_start");
    /* the id and its keys (llmspell_graph.h's stored form) */
    if ((rc = llmspell__xi_text(x, fid, &x->tb)) != LLMSPELL_OK) return rc;
    idl = x->tb.n;
    if (idl == 0 || idl > LLMSPELL__GRAPH_FORM_MAX_ID || memchr(x->tb.p, 0, idl))
        return llmspell__xi_field_fail(x, fid, LLMSPELL_ERR_INVALID, "id of %zu bytes (1..%u, no NUL)", idl, (unsigned)LLMSPELL__GRAPH_FORM_MAX_ID);
    {
        size_t need = llmspell__gform_key(NULL, 0, kind, x->tb.p, idl, 1, tf, vf);
        x->kb.n = 0;
        if (llmspell__xb_add(&x->al, &x->kb, x->pb.p, x->pb.n) || llmspell__xb_res(&x->al, &x->kb, need)) return llmspell__xi_nomem(x);
        gid_len = x->pb.n + llmspell__gform_key(NULL, 0, kind, x->tb.p, idl, 0, 0, 0);
        x->kb.n += llmspell__gform_key((uint8_t *)x->kb.p + x->kb.n, need, kind, x->tb.p, idl, 1, tf, vf);
    }
    /* the value */
    memset(&gf, 0, sizeof gf);
    gf.kind = kind;
    gf.vt = vt;
    gf.tt = tt;
    gf.created = created;
    if ((rc = llmspell__xi_gtext(x, fty, x->lim.max_value, 0, &x->g1)) != LLMSPELL_OK) return rc;
    if (R) {
        if ((rc = llmspell__xi_gtext(x, fsrc, LLMSPELL__GRAPH_FORM_MAX_ID, 1, &x->g2)) != LLMSPELL_OK ||
            (rc = llmspell__xi_gtext(x, fdst, LLMSPELL__GRAPH_FORM_MAX_ID, 1, &x->g3)) != LLMSPELL_OK)
            return rc;
    } else if ((rc = llmspell__xi_gtext(x, fname, x->lim.max_value, 0, &x->g2)) != LLMSPELL_OK) {
        return rc;
    }
    gf.type = x->g1.p;
    gf.typen = x->g1.n;
    gf.a = x->g2.p;
    gf.an = x->g2.n;
    gf.b = R ? x->g3.p : NULL;
    gf.bn = R ? x->g3.n : 0;
    gf.props = fprops->s ? fprops->s : "{}";
    gf.propsn = fprops->s ? fprops->len : 2;
    if (gf.propsn > x->lim.max_value)
        return llmspell__xi_field_fail(x, fprops, LLMSPELL_ERR_TOO_LARGE, "properties of %zu bytes is over the limit", gf.propsn);
    x->bb.n = 0;
    if (llmspell__xb_res(&x->al, &x->bb, llmspell__gform_size(&gf))) return llmspell__xi_nomem(x);
    x->bb.n = llmspell__gform_size(&gf);
    llmspell__gform_write((uint8_t *)x->bb.p, &gf);
    if (R) { /* the endpoints, as one NUL-separated string (ids hold no NUL) */
        x->g4.n = 0;
        if (llmspell__xb_add(&x->al, &x->g4, x->g2.p, x->g2.n) || llmspell__xb_ch(&x->al, &x->g4, 0) ||
            llmspell__xb_add(&x->al, &x->g4, x->g3.p, x->g3.n))
            return llmspell__xi_nomem(x);
    }
    if (!x->apply) {
        size_t idx;
        int added;
        if ((rc = llmspell__xi_unique(x, fid, "version (id, transaction_time_start, valid_time_start)")) != LLMSPELL_OK) return rc;
        if (llmspell__xset_find(x, &x->gids, x->kb.p, gid_len, &idx, 1, &added) < 0) return llmspell__xi_nomem(x);
        if (added) {
            int has;
            if ((rc = llmspell__xi_has(x, x->kb.p, gid_len, &has)) != LLMSPELL_OK) return rc;
            if (has) return llmspell__xi_field_fail(x, fid, LLMSPELL_ERR_CONFLICT, "this id already has versions in the target store (imports do not merge histories)");
            if (R) {
                x->gids.e[idx].aoff = x->gids.ar.n;
                x->gids.e[idx].alen = x->g4.n;
                if (llmspell__xb_add(&x->al, &x->gids.ar, x->g4.p, x->g4.n)) return llmspell__xi_nomem(x);
            }
        } else if (R && (x->gids.e[idx].alen != x->g4.n || memcmp(x->gids.ar.p + x->gids.e[idx].aoff, x->g4.p, x->g4.n) != 0)) {
            return llmspell__xi_field_fail(x, fsrc, LLMSPELL_ERR_CONFLICT, "the endpoints differ from another version of this relationship");
        }
        { /* every version, for the one-visible-version check */
            llmspell__xcur *c;
            if (llmspell__ex_grow(&x->al, (void **)&x->cur, &x->capcur, x->ncur + 1, sizeof *x->cur)) return llmspell__xi_nomem(x);
            c = &x->cur[x->ncur++];
            c->idoff = x->gids.e[idx].off;
            c->idlen = x->gids.e[idx].len;
            c->vf = vf;
            c->vt = vt;
            c->tf = tf;
            c->tt = tt;
            c->kind = kind;
            c->idx = R ? x->rel_idx : x->ent_idx;
            c->pos = fvf->pos;
            c->kp = NULL;
        }
        if (R) { /* both endpoints must be entities of the file or of the store */
            int w;
            for (w = 0; w < 2; w++) {
                const llmspell__xb *ep = w ? &x->g3 : &x->g2;
                size_t need = llmspell__gform_key(NULL, 0, LLMSPELL__GKIND_ENTITY, ep->p, ep->n, 0, 0, 0);
                llmspell__xref *rf;
                if (llmspell__ex_grow(&x->al, (void **)&x->refs, &x->caprefs, x->nrefs + 1, sizeof *x->refs)) return llmspell__xi_nomem(x);
                rf = &x->refs[x->nrefs++];
                rf->koff = x->ar.n;
                if (llmspell__xb_add(&x->al, &x->ar, x->pb.p, x->pb.n) || llmspell__xb_res(&x->al, &x->ar, need)) return llmspell__xi_nomem(x);
                x->ar.n += llmspell__gform_key((uint8_t *)x->ar.p + x->ar.n, need, LLMSPELL__GKIND_ENTITY, ep->p, ep->n, 0, 0, 0);
                rf->klen = x->ar.n - rf->koff;
                rf->idx = x->rel_idx;
                rf->which = w;
                rf->pos = w ? fdst->pos : fsrc->pos;
            }
        }
        if ((rc = llmspell__xi_gtenant(x, tt != LLMSPELL_TIME_MAX && tt > tf ? tt : tf)) != LLMSPELL_OK) return rc;
    } else if ((rc = llmspell__xi_kvput(x, x->kb.p, x->kb.n, x->bb.p, x->bb.n)) != LLMSPELL_OK) {
        return rc;
    }
    if (R) x->st.relationships++;
    else x->st.entities++;
    return LLMSPELL_OK;
}

static int llmspell__xcur_cmp(const void *a, const void *b) {
    const llmspell__xcur *x = (const llmspell__xcur *)a, *y = (const llmspell__xcur *)b;
    size_t m = x->idlen < y->idlen ? x->idlen : y->idlen;
    int c = memcmp(x->kp, y->kp, m);
    if (c) return c;
    if (x->idlen != y->idlen) return x->idlen < y->idlen ? -1 : 1;
    return x->tf < y->tf ? -1 : x->tf > y->tf;
}

/* >>import: sections kept verbatim */
static llmspell_result llmspell__xi_piece(llmspell__xi *x, const char *sec, size_t sn, uint64_t member, uint64_t index) {
    llmspell_result rc;
    if (!x->doc && llmspell_json_doc_new(&x->al, &x->doc) != LLMSPELL_OK) return llmspell__xi_nomem(x);
    if ((rc = llmspell_json_read_value_into(x->r, x->doc)) != LLMSPELL_OK) return llmspell__xi_rerr(x, rc);
    if (!x->apply) return LLMSPELL_OK;
    if ((rc = llmspell__xi_value_text(x, llmspell_json_doc_root(x->doc), &x->jb)) != LLMSPELL_OK)
        return rc == LLMSPELL_ERR_NOMEM ? llmspell__xi_nomem(x) : llmspell__xi_fail(x, rc, "an element cannot be written back");
    if (x->jb.n > x->lim.max_value) return llmspell__xi_fail(x, LLMSPELL_ERR_TOO_LARGE, "an element of %zu bytes is over the value limit", x->jb.n);
    if (llmspell__x_xkey(&x->al, &x->kb, 0, sec, sn) || llmspell__x_u64(&x->al, &x->kb, member) || llmspell__x_u64(&x->al, &x->kb, index))
        return llmspell__xi_nomem(x);
    return llmspell__xi_kvput(x, x->kb.p, x->kb.n, x->jb.p, x->jb.n);
}

static llmspell_result llmspell__xi_piece_array(llmspell__xi *x, const char *sec, size_t sn, uint64_t member, size_t *counter) {
    llmspell_json_token t;
    llmspell_result rc;
    uint64_t i;
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc; /* [ */
    for (i = 0;; i++) {
        if ((rc = llmspell__xi_peek(x, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_ARRAY_END) return llmspell__xi_next(x, &t);
        if ((rc = llmspell__xi_piece(x, sec, sn, member, i)) != LLMSPELL_OK) return rc;
        if (counter) (*counter)++;
        x->nrec++;
        if ((rc = llmspell__xi_progress(x, 0)) != LLMSPELL_OK) return rc;
    }
}

static llmspell_result llmspell__xi_kept(llmspell__xi *x, const char *sec, size_t sn) {
    llmspell_json_token t;
    llmspell_result rc;
    if (x->apply) { /* the new section replaces a stored one of the same name */
        llmspell_kv_iter *it;
        const void *k, *v;
        size_t kn, vn;
        if (llmspell__x_xkey(&x->al, &x->kb, 0, sec, sn)) return llmspell__xi_nomem(x);
        if ((rc = llmspell_kv_iter_open(x->kv, x->kb.p, x->kb.n, &it)) != LLMSPELL_OK)
            return llmspell__x_err(x->err, rc, "import: reading the store: %s", llmspell_kv_errmsg(x->kv));
        while ((rc = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK)
            if ((rc = llmspell_kv_delete_sys(x->kv, k, kn)) != LLMSPELL_OK) break;
        llmspell_kv_iter_close(it);
        if (rc != LLMSPELL_ERR_NOT_FOUND) return llmspell__x_err(x->err, rc, "import: writing the store: %s", llmspell_kv_errmsg(x->kv));
    }
    x->sh.n = 0;
    if ((rc = llmspell__xi_peek(x, &t)) != LLMSPELL_OK) return rc;
    if (t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN) {
        if (llmspell__xb_ch(&x->al, &x->sh, 'a')) return llmspell__xi_nomem(x);
        if ((rc = llmspell__xi_piece_array(x, sec, sn, 0, llmspell__x_counter(&x->st, sec, sn, NULL, 0))) != LLMSPELL_OK) return rc;
    } else if (t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN) {
        uint64_t m;
        if (llmspell__xb_ch(&x->al, &x->sh, 'o')) return llmspell__xi_nomem(x);
        if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
        for (m = 0;; m++) {
            size_t at;
            uint8_t len4[4];
            if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event == LLMSPELL_JSON_EV_OBJECT_END) break;
            at = x->sh.n;
            llmspell__put32(len4, (uint32_t)t.len);
            if (llmspell__xb_ch(&x->al, &x->sh, 'v') || llmspell__xb_add(&x->al, &x->sh, len4, 4) || llmspell__xb_add(&x->al, &x->sh, t.str, t.len))
                return llmspell__xi_nomem(x);
            if ((rc = llmspell__xi_peek(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN) {
                x->sh.p[at] = 'a';
                rc = llmspell__xi_piece_array(x, sec, sn, m, llmspell__x_counter(&x->st, sec, sn, x->sh.p + at + 5, x->sh.n - at - 5));
            } else {
                rc = llmspell__xi_piece(x, sec, sn, m, 0);
            }
            if (rc != LLMSPELL_OK) return rc;
        }
    } else {
        if (llmspell__xb_ch(&x->al, &x->sh, 'v')) return llmspell__xi_nomem(x);
        if ((rc = llmspell__xi_piece(x, sec, sn, 0, 0)) != LLMSPELL_OK) return rc;
    }
    if (!x->apply) return LLMSPELL_OK;
    if (llmspell__x_xkey(&x->al, &x->kb, 0, sec, sn)) return llmspell__xi_nomem(x);
    return llmspell__xi_kvput(x, x->kb.p, x->kb.n, x->sh.p, x->sh.n);
}

/* >>import: the document, its two passes and the checks between them */
static llmspell_result llmspell__xi_array(llmspell__xi *x, int what, uint32_t dim) {
    llmspell_json_token t;
    llmspell_result rc;
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
    if (t.event == LLMSPELL_JSON_EV_NULL) return LLMSPELL_OK;
    if (t.event != LLMSPELL_JSON_EV_ARRAY_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "expected an array");
    if (what == LLMSPELL__GKIND_ENTITY) x->ent_idx = 0;
    if (what == LLMSPELL__GKIND_REL) x->rel_idx = 0;
    for (;;) {
        if ((rc = llmspell__xi_peek(x, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_ARRAY_END) return llmspell__xi_next(x, &t);
        switch (what) {
        case 'k': rc = llmspell__xi_kv(x); break;
        case 'v': rc = llmspell__xi_vec(x, dim); break;
        case 'c': rc = llmspell__xi_collection(x); break;
        default: rc = llmspell__xi_graph(x, what); break;
        }
        if (rc != LLMSPELL_OK) return rc;
        if (what == LLMSPELL__GKIND_ENTITY) x->ent_idx++;
        if (what == LLMSPELL__GKIND_REL) x->rel_idx++;
        if (what != 'c') x->nrec++; /* collection settings are not records: export does not count them either */
        if ((rc = llmspell__xi_progress(x, 0)) != LLMSPELL_OK) return rc;
    }
}

static llmspell_result llmspell__xi_data(llmspell__xi *x) {
    llmspell_json_token t;
    llmspell_result rc;
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
    if (t.event != LLMSPELL_JSON_EV_OBJECT_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'data' must be an object");
    for (;;) {
        if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_OBJECT_END) return LLMSPELL_OK;
        if (LLMSPELL__X_IS(t.str, t.len, "kv_store")) {
            rc = llmspell__xi_array(x, 'k', 0);
        } else if (LLMSPELL__X_IS(t.str, t.len, "vector_embeddings") || LLMSPELL__X_IS(t.str, t.len, "knowledge_graph")) {
            int vec = t.str[0] == 'v';
            if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event == LLMSPELL_JSON_EV_NULL) continue;
            if (t.event != LLMSPELL_JSON_EV_OBJECT_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "expected an object");
            for (;;) {
                if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
                if (t.event == LLMSPELL_JSON_EV_OBJECT_END) break;
                if (vec) {
                    unsigned long d = 0;
                    size_t i;
                    int ok = t.len > 0 && t.len <= 6 && t.str[0] != '0';
                    for (i = 0; ok && i < t.len; i++) {
                        if (t.str[i] < '0' || t.str[i] > '9') ok = 0;
                        else d = d * 10 + (unsigned long)(t.str[i] - '0');
                    }
                    if (!ok || d == 0 || d > x->lim.max_value / 4)
                        return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "a dimension key must be a decimal integer 1..%zu",
                                                 x->lim.max_value / 4);
                    rc = llmspell__xi_array(x, 'v', (uint32_t)d);
                } else if (LLMSPELL__X_IS(t.str, t.len, "entities")) {
                    rc = llmspell__xi_array(x, LLMSPELL__GKIND_ENTITY, 0);
                } else if (LLMSPELL__X_IS(t.str, t.len, "relationships")) {
                    rc = llmspell__xi_array(x, LLMSPELL__GKIND_REL, 0);
                } else {
                    rc = llmspell__xi_skip(x);
                }
                if (rc != LLMSPELL_OK) return rc;
            }
            continue;
        } else {
            x->nm.n = 0;
            if (llmspell__xb_add(&x->al, &x->nm, t.str, t.len)) return llmspell__xi_nomem(x);
            rc = llmspell__xi_kept(x, x->nm.p, x->nm.n);
        }
        if (rc != LLMSPELL_OK) return rc;
    }
}

static llmspell_result llmspell__xi_pass(llmspell__xi *x) {
    llmspell_json_token t;
    llmspell_result rc;
    llmspell_json_read_options ro;
    memset(&ro, 0, sizeof ro);
    ro.allocator = x->al;
    ro.flags = LLMSPELL_JSON_REJECT_DUPLICATES;
    ro.max_string = x->o.max_string;
    memset(&x->st, 0, sizeof x->st);
    x->nrec = 0;
    x->lastoff = 0;
    x->seen_version = x->seen_data = 0;
    if (x->buf) {
        rc = llmspell_json_reader_open_buffer(&x->r, x->buf, x->len, &ro);
    } else {
        if (fseek(x->f, x->fpos, SEEK_SET) != 0) return llmspell__x_err(x->err, LLMSPELL_ERR_IO, "import: cannot seek the input file");
        rc = llmspell_json_reader_open_file(&x->r, x->f, &ro);
    }
    if (rc != LLMSPELL_OK) {
        x->r = NULL;
        return llmspell__x_err(x->err, rc, "import: cannot open a reader: %s", llmspell_strerror(rc));
    }
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
    if (t.event != LLMSPELL_JSON_EV_OBJECT_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "an export is a JSON object");
    for (;;) {
        if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
        if (t.event == LLMSPELL_JSON_EV_OBJECT_END) break;
        if (LLMSPELL__X_IS(t.str, t.len, "version")) {
            size_t i = 0;
            if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event != LLMSPELL_JSON_EV_STRING) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'version' must be a string");
            while (i < t.len && t.str[i] >= '0' && t.str[i] <= '9') i++;
            if (!(i == 1 && t.str[0] == '1' && (i == t.len || t.str[i] == '.')))
                return llmspell__xi_fail(x, LLMSPELL_ERR_FORMAT, "unsupported export version \"%.*s\" (major version 1 is read)", (int)(t.len > 32 ? 32 : t.len), t.str);
            x->seen_version = 1;
        } else if (LLMSPELL__X_IS(t.str, t.len, "exported_at") || LLMSPELL__X_IS(t.str, t.len, "source_backend")) {
            if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event != LLMSPELL_JSON_EV_STRING) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "expected a string");
        } else if (LLMSPELL__X_IS(t.str, t.len, "migrations")) {
            if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
            if (t.event != LLMSPELL_JSON_EV_ARRAY_BEGIN) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'migrations' must be an array of strings");
            for (;;) {
                if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
                if (t.event == LLMSPELL_JSON_EV_ARRAY_END) break;
                if (t.event != LLMSPELL_JSON_EV_STRING) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "'migrations' must be an array of strings");
            }
        } else if (LLMSPELL__X_IS(t.str, t.len, "data")) {
            if ((rc = llmspell__xi_data(x)) != LLMSPELL_OK) return rc;
            x->seen_data = 1;
        } else if (LLMSPELL__X_IS(t.str, t.len, "llmspell_collections")) {
            if ((rc = llmspell__xi_array(x, 'c', 0)) != LLMSPELL_OK) return rc;
        } else if ((rc = llmspell__xi_skip(x)) != LLMSPELL_OK) {
            return rc;
        }
    }
    if (!x->seen_version) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "missing required field 'version'");
    if (!x->seen_data) return llmspell__xi_fail(x, LLMSPELL_ERR_INVALID, "missing required field 'data'");
    if ((rc = llmspell__xi_next(x, &t)) != LLMSPELL_OK) return rc;
    llmspell_json_reader_close(x->r);
    x->r = NULL;
    x->st.collections = x->ncols;
    return llmspell__xi_progress(x, 1);
}

/* After pass 1: references, overlaps, cosine. */
static llmspell_result llmspell__xi_check(llmspell__xi *x) {
    size_t i;
    char path[160];
    llmspell_result rc;
    for (i = 0; i < x->nrefs; i++) {
        const llmspell__xref *rf = &x->refs[i];
        size_t idx;
        int added, has;
        if (llmspell__xset_find(x, &x->gids, x->ar.p + rf->koff, rf->klen, &idx, 0, &added) == 1) continue;
        if ((rc = llmspell__xi_has(x, x->ar.p + rf->koff, rf->klen, &has)) != LLMSPELL_OK) return rc;
        if (has) continue;
        snprintf(path, sizeof path, "data.knowledge_graph.relationships[%lu].%s", (unsigned long)rf->idx, rf->which ? "target_entity_id" : "source_entity_id");
        return llmspell__xi_fail_at(x, &rf->pos, path, LLMSPELL_ERR_NOT_FOUND, "no entity of this id in the file or the target store");
    }
    /* llmspell_graph.h's rule: no two versions of an id visible at one (valid, transaction)
       point. Per id, in transaction-time order, each version is checked against the versions
       still open at its start (for a history written by the graph: the current ones). */
    for (i = 0; i < x->ncur; i++) x->cur[i].kp = x->gids.ar.p + x->cur[i].idoff;
    if (x->ncur > 1) qsort(x->cur, x->ncur, sizeof *x->cur, llmspell__xcur_cmp);
    for (i = 0; i < x->ncur;) {
        size_t j = i, k, nopen = 0;
        while (j < x->ncur && x->cur[j].idlen == x->cur[i].idlen && memcmp(x->cur[j].kp, x->cur[i].kp, x->cur[i].idlen) == 0) j++;
        for (k = i; k < j; k++) {
            const llmspell__xcur *b = &x->cur[k];
            size_t o, keep = 0;
            for (o = 0; o < nopen; o++) { /* drop the versions closed by now, check the rest */
                const llmspell__xcur *a = &x->cur[x->open[o]];
                if (a->tt <= b->tf) continue;
                if (llmspell__gform_clash(a->vf, a->vt, a->tf, a->tt, b->vf, b->vt, b->tf, b->tt)) {
                    snprintf(path, sizeof path, "data.knowledge_graph.%s[%lu].valid_time_start", b->kind == LLMSPELL__GKIND_REL ? "relationships" : "entities",
                             (unsigned long)b->idx);
                    return llmspell__xi_fail_at(x, &b->pos, path, LLMSPELL_ERR_CONFLICT,
                                                "two versions of this id are visible at the same (valid, transaction) time: "
                                                "this one and %s[%lu]", a->kind == LLMSPELL__GKIND_REL ? "relationships" : "entities", (unsigned long)a->idx);
                }
                x->open[keep++] = x->open[o];
            }
            nopen = keep;
            if (llmspell__ex_grow(&x->al, (void **)&x->open, &x->capopen, nopen + 1, sizeof *x->open)) return llmspell__xi_nomem(x);
            x->open[nopen++] = k;
        }
        i = j;
    }
    for (i = 0; i < x->ncols; i++) {
        const llmspell__xcol *c = &x->cols[i];
        llmspell_metric metric = c->listed ? c->cfg.c.metric : c->exists ? c->old.c.metric : LLMSPELL_METRIC_COSINE;
        if (c->zero && metric == LLMSPELL_METRIC_COSINE)
            return llmspell__xi_fail_at(x, &c->zpos, c->zpath, LLMSPELL_ERR_INVALID, "an all-zero embedding cannot be added to a cosine collection");
    }
    return LLMSPELL_OK;
}

/* After pass 2: collection settings (new generation: the HNSW graph is rebuilt at the next
   open) and the graphs' meta records. */
static llmspell_result llmspell__xi_finish(llmspell__xi *x) {
    size_t i;
    llmspell_result rc;
    for (i = 0; i < x->ncols; i++) {
        llmspell__xcol *c = &x->cols[i];
        llmspell_vec_config cfg;
        uint8_t b[LLMSPELL__META_SIZE];
        memset(&cfg, 0, sizeof cfg);
        cfg.M = 16;
        cfg.ef_construction = 200;
        cfg.ef_search = 50;
        if (c->listed) cfg = c->cfg.c;
        else if (c->exists) cfg = c->old.c;
        llmspell__meta_after_bulk(b, &cfg, c->exists ? c->old.gen : 0, (c->exists ? c->old.count : 0) + c->added,
                                  c->exists ? c->old.created : x->now);
        if ((rc = llmspell__xi_kvput(x, x->ar.p + c->koff, c->klen, b, sizeof b)) != LLMSPELL_OK) return rc;
    }
    for (i = 0; i < x->ngts; i++) {
        const void *v;
        size_t vn;
        uint8_t m[LLMSPELL__GRAPH_META_SIZE];
        llmspell_time last = x->gts[i].maxtx, old;
        uint64_t seq = 0;
        x->kb.n = 0;
        if (llmspell__xb_add(&x->al, &x->kb, x->ar.p + x->gts[i].poff, x->gts[i].plen) ||
            llmspell__xb_add(&x->al, &x->kb, llmspell__gmeta_key, sizeof llmspell__gmeta_key))
            return llmspell__xi_nomem(x);
        rc = llmspell_kv_get(x->kv, x->kb.p, x->kb.n, &v, &vn);
        if (rc == LLMSPELL_OK && llmspell__gmeta_read(v, vn, &old, &seq) == LLMSPELL_OK) {
            if (old > last) last = old;
        } else if (rc != LLMSPELL_OK && rc != LLMSPELL_ERR_NOT_FOUND) {
            return llmspell__x_err(x->err, rc, "import: reading the store: %s", llmspell_kv_errmsg(x->kv));
        } else {
            seq = 0;
        }
        llmspell__gmeta_write(m, last, seq);
        if ((rc = llmspell__xi_kvput(x, x->kb.p, x->kb.n, m, sizeof m)) != LLMSPELL_OK) return rc;
    }
    return LLMSPELL_OK;
}

static llmspell_result llmspell__xi_import(llmspell_kv *kv, const void *buf, size_t len, FILE *f, const llmspell_import_options *opts,
                                           llmspell_export_stats *stats, llmspell_json_error *err) {
    llmspell__xi x;
    llmspell_json_error local;
    llmspell_result rc;
    if (!err) err = &local;
    memset(err, 0, sizeof *err);
    if (stats) memset(stats, 0, sizeof *stats);
    if (!kv || (!buf && !f && len)) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "import: kv or input is NULL");
    if (!kv->open) return llmspell__x_err(err, LLMSPELL_ERR_CLOSED, "import: the store is closed");
    if (llmspell_kv_in_txn(kv)) return llmspell__x_err(err, LLMSPELL_ERR_TXN, "import: the store has an open transaction; the import runs its own");
    memset(&x, 0, sizeof x);
    x.kv = kv;
    llmspell_kv_limits_get(&x.lim);
    if (opts) x.o = *opts;
    x.al = x.o.allocator.alloc ? x.o.allocator : kv->allocator;
    if (!llmspell__ex_allocator_ok(&x.al)) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "import: the allocator has no free");
    x.err = err;
    x.now = llmspell_time_now(&x.o.clock);
    x.buf = buf ? buf : (f ? NULL : "");
    x.len = len;
    x.f = f;
    if (f && (x.fpos = ftell(f)) < 0) return llmspell__x_err(err, LLMSPELL_ERR_IO, "import: the input file cannot be positioned");
    rc = llmspell__xi_pass(&x);
    if (rc == LLMSPELL_OK) rc = llmspell__xi_check(&x);
    if (x.r) llmspell_json_reader_close(x.r);
    x.r = NULL;
    if (rc == LLMSPELL_OK && !x.o.validate_only) {
        if ((rc = llmspell_kv_begin(kv)) != LLMSPELL_OK) {
            llmspell__x_err(err, rc, "import: cannot begin a transaction: %s", llmspell_kv_errmsg(kv));
        } else {
            x.apply = 1;
            rc = llmspell__xi_pass(&x);
            if (x.r) llmspell_json_reader_close(x.r);
            x.r = NULL;
            if (rc == LLMSPELL_OK) rc = llmspell__xi_finish(&x);
            if (rc == LLMSPELL_OK) {
                if ((rc = llmspell_kv_commit(kv)) != LLMSPELL_OK) {
                    llmspell__x_err(err, rc, "import: commit failed: %s", llmspell_kv_errmsg(kv));
                    if (llmspell_kv_in_txn(kv)) (void)llmspell_kv_rollback(kv);
                }
            } else {
                (void)llmspell_kv_rollback(kv);
            }
        }
    }
    if (rc != LLMSPELL_OK && err->code == LLMSPELL_OK) llmspell__x_err(err, rc, "import: %s", llmspell_strerror(rc));
    llmspell__x_total(&x.st);
    if (rc == LLMSPELL_OK && stats) *stats = x.st;
    if (x.doc) llmspell_json_doc_free(x.doc);
    if (x.doc2) llmspell_json_doc_free(x.doc2);
    llmspell__xb_free(&x.al, &x.sb); llmspell__xb_free(&x.al, &x.kb); llmspell__xb_free(&x.al, &x.vb);
    llmspell__xb_free(&x.al, &x.pb); llmspell__xb_free(&x.al, &x.tb); llmspell__xb_free(&x.al, &x.ar);
    llmspell__xb_free(&x.al, &x.sh); llmspell__xb_free(&x.al, &x.jb); llmspell__xb_free(&x.al, &x.bb);
    llmspell__xb_free(&x.al, &x.nm);
    llmspell__xb_free(&x.al, &x.g1); llmspell__xb_free(&x.al, &x.g2); llmspell__xb_free(&x.al, &x.g3);
    llmspell__xb_free(&x.al, &x.g4); llmspell__xb_free(&x.al, &x.tnb); llmspell__xb_free(&x.al, &x.vpb);
    if (x.view_open) llmspell_kv_close(&x.view);
    llmspell__ex_free(&x.al, x.open);
    llmspell__xset_free(&x, &x.ids);
    llmspell__xset_free(&x, &x.gids);
    llmspell__ex_free(&x.al, x.cols);
    llmspell__ex_free(&x.al, x.gts);
    llmspell__ex_free(&x.al, x.cur);
    llmspell__ex_free(&x.al, x.refs);
    return rc;
}

LLMSPELL_DEF llmspell_result llmspell_export_import_buffer(llmspell_kv *kv, const void *data, size_t len, const llmspell_import_options *opts,
                                                           llmspell_export_stats *stats, llmspell_json_error *err) {
    if (!data && len) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "import: data is NULL");
    return llmspell__xi_import(kv, data ? data : "", len, NULL, opts, stats, err);
}

LLMSPELL_DEF llmspell_result llmspell_export_import_file(llmspell_kv *kv, FILE *f, const llmspell_import_options *opts,
                                                         llmspell_export_stats *stats, llmspell_json_error *err) {
    if (!f) return llmspell__x_err(err, LLMSPELL_ERR_INVALID, "import: file is NULL");
    return llmspell__xi_import(kv, NULL, 0, f, opts, stats, err);
}

LLMSPELL_DEF llmspell_result llmspell_export_migrate(llmspell_kv *from, llmspell_kv *to, FILE *scratch, const llmspell_export_options *eopts,
                                                     const llmspell_import_options *iopts, llmspell_export_stats *stats,
                                                     llmspell_json_error *err) {
    FILE *f = scratch ? scratch : tmpfile();
    llmspell_result rc;
    long start;
    if (stats) memset(stats, 0, sizeof *stats);
    if (!f) return llmspell__x_err(err, LLMSPELL_ERR_IO, "migrate: cannot create a scratch file");
    if ((start = ftell(f)) < 0) {
        rc = llmspell__x_err(err, LLMSPELL_ERR_IO, "migrate: the scratch file cannot be positioned");
    } else {
        rc = llmspell_export_store_file(from, f, eopts, NULL, err);
        if (rc == LLMSPELL_OK && fseek(f, start, SEEK_SET) != 0) rc = llmspell__x_err(err, LLMSPELL_ERR_IO, "migrate: cannot rewind the scratch file");
        if (rc == LLMSPELL_OK) rc = llmspell_export_import_file(to, f, iopts, stats, err);
    }
    if (!scratch) fclose(f);
    return rc;
}

#endif /* LLMSPELL_EXPORT_IMPLEMENTATION_ONCE */
#endif /* LLMSPELL_EXPORT_IMPLEMENTATION */

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
