/* test_json.c - tests for the codec of llmspell_export.h (JSON writer, reader, DOM, base64)
   cc -std=c99 -O1 -g -Wall -Wextra -I. tests/test_json.c -o build/test_json
   build/test_json [path/to/JSONTestSuite/test_parsing]

   a. JSONTestSuite: every y_ accepted, every n_ rejected, every i_ as the table below says;
      DOM, 1-byte streaming and chunked streaming agree on acceptance, values and error
      positions (only when the suite folder is given: tests/run.sh passes it when present)
   b. built-in cases that always run: y/n cases, the named bad inputs (100,000 nested brackets,
      60-digit numbers, -0.0, 1e-999, 2^63, lone surrogates, BOM), options, error positions
   c. numbers: parser vs strtod on random and hard decimal strings, writer double round trip
      on 1e6 random bit patterns, int64 edges
   d. writer: round trips compact/pretty, buffer = FILE* = sink, escaping, UTF-8 rejection,
      chunked strings and base64, misuse
   e. streaming: bounded memory, chunked strings, read_value / skip / peek / path / fail
   f. base64: RFC 4648 vectors, strict failures with positions, every implementation against
      the reference on random valid and invalid inputs, streaming decoder
   g. allocation failure at every allocation of a DOM parse, a streaming read and a writer
      session: ERR_NOMEM and nothing leaked */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#define LLMSPELL_EXPORT_IMPLEMENTATION
#define LLMSPELL_KV_IMPLEMENTATION
#include "compat.h"
#include "../llmspell_export.h"

#include <math.h>
#include <stdint.h>

static const char *rc_name(int rc);
#define HARNESS_RC_NAME(rc) rc_name(rc)
#include "harness.h"

/* ------------------------------------------------------------------------------------------ */
/* >>helpers                                                                                  */

#define S(lit) (lit), (sizeof(lit) - 1)

static const char *rc_name(int rc) {
    static const char *const names[] = {
        "OK", "ERR_NOT_FOUND", "ERR_INVALID", "ERR_NOMEM", "ERR_IO", "ERR_CORRUPT", "ERR_BUSY",
        "ERR_EXISTS", "ERR_QUOTA", "ERR_FORMAT", "ERR_UNSUPPORTED", "ERR_CONFLICT", "ERR_TOO_LARGE",
        "ERR_RESERVED", "ERR_TXN", "ERR_CLOSED", "ERR_READONLY", "ERR_NOT_A_FILE", "ERR_PARSE"};
    if (rc >= 0 && (size_t)rc < sizeof names / sizeof names[0]) return names[rc];
    return "(unknown code)";
}

typedef struct rng { uint64_t s; } rng;
static uint64_t rng_next(rng *r) {
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static unsigned rng_below(rng *r, unsigned n) { return (unsigned)(rng_next(r) % n); }

/* A growable byte string. */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;
static void sb_put(sbuf *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = (char *)realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_fmt(sbuf *b, const char *fmt, ...) {
    char t[128];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    sb_put(b, t, (size_t)n);
}

/* Counting allocator: live allocations and bytes, peak bytes, and failure of the N-th call. */
typedef struct acount {
    long live, calls, fail_at, allocs;
    size_t cur, peak;
    size_t max_size; /* requests larger than this fail (0: no limit) */
} acount;
static void *ac_alloc(void *ctx, size_t n) {
    acount *a = (acount *)ctx;
    size_t *p;
    if (a->fail_at && ++a->calls == a->fail_at) return NULL;
    if (a->max_size && n > a->max_size) return NULL;
    if (!(p = (size_t *)malloc(n + 16))) return NULL;
    p[0] = n;
    a->live++;
    a->allocs++;
    a->cur += n;
    if (a->cur > a->peak) a->peak = a->cur;
    return (char *)p + 16;
}
static void ac_free(void *ctx, void *ptr) {
    acount *a = (acount *)ctx;
    size_t *p;
    if (!ptr) return;
    p = (size_t *)(void *)((char *)ptr - 16);
    a->live--;
    a->cur -= p[0];
    free(p);
}
static void *ac_realloc(void *ctx, void *ptr, size_t n) {
    acount *a = (acount *)ctx;
    size_t *p, old;
    if (!ptr) return ac_alloc(ctx, n);
    if (a->fail_at && ++a->calls == a->fail_at) return NULL;
    if (a->max_size && n > a->max_size) return NULL;
    p = (size_t *)(void *)((char *)ptr - 16);
    old = p[0];
    if (!(p = (size_t *)realloc(p, n + 16))) return NULL;
    p[0] = n;
    a->cur = a->cur - old + n;
    if (a->cur > a->peak) a->peak = a->cur;
    return (char *)p + 16;
}
static llmspell_allocator ac_make(acount *a) {
    llmspell_allocator al;
    al.alloc = ac_alloc;
    al.realloc = ac_realloc;
    al.free = ac_free;
    al.ctx = a;
    return al;
}

/* A source that hands out data[0..n) `step` bytes at a time. */
typedef struct memsrc { const char *p; size_t n, off, step; } memsrc;
static llmspell_result memsrc_read(void *user, void *buf, size_t cap, size_t *got) {
    memsrc *m = (memsrc *)user;
    size_t k = m->n - m->off;
    if (k > cap) k = cap;
    if (k > m->step) k = m->step;
    memcpy(buf, m->p + m->off, k);
    m->off += k;
    *got = k;
    return LLMSPELL_OK;
}

static const char *alloc_doc_text(void);

/* Canonical text of a value stream: structure, decoded strings, number text + value bits. */
static void canon_num(sbuf *b, const char *s, size_t n, int is_int, int64_t i, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    sb_put(b, "N", 1);
    sb_put(b, s, n);
    sb_fmt(b, "|%d|%lld|%016llx", is_int, (long long)(is_int ? i : 0), (unsigned long long)bits);
}
static void canon_str(sbuf *b, char tag, const char *s, size_t n) {
    sb_fmt(b, "%c%zu:", tag, n);
    sb_put(b, s, n);
}

/* Reads every event of r into out; returns the final code. Chunked strings are joined. */
static llmspell_result canon_events(llmspell_json_reader *r, sbuf *out) {
    llmspell_json_token t;
    llmspell_result rc;
    sbuf str = {0, 0, 0};
    for (;;) {
        if ((rc = llmspell_json_next(r, &t)) != LLMSPELL_OK) break;
        switch (t.event) {
        case LLMSPELL_JSON_EV_END: free(str.p); return LLMSPELL_OK;
        case LLMSPELL_JSON_EV_OBJECT_BEGIN: sb_put(out, "{", 1); break;
        case LLMSPELL_JSON_EV_OBJECT_END: sb_put(out, "}", 1); break;
        case LLMSPELL_JSON_EV_ARRAY_BEGIN: sb_put(out, "[", 1); break;
        case LLMSPELL_JSON_EV_ARRAY_END: sb_put(out, "]", 1); break;
        case LLMSPELL_JSON_EV_KEY: canon_str(out, 'K', t.str, t.len); break;
        case LLMSPELL_JSON_EV_STRING:
            sb_put(&str, t.str, t.len);
            if (!t.more) {
                canon_str(out, 'S', str.p ? str.p : "", str.n);
                str.n = 0;
            }
            break;
        case LLMSPELL_JSON_EV_NUMBER: canon_num(out, t.str, t.len, t.is_int, t.i, t.d); break;
        case LLMSPELL_JSON_EV_BOOL: sb_put(out, t.b ? "T" : "F", 1); break;
        case LLMSPELL_JSON_EV_NULL: sb_put(out, "Z", 1); break;
        }
    }
    free(str.p);
    return rc;
}

static void canon_dom(const llmspell_json_value *v, sbuf *out) {
    size_t i;
    switch (v->type) {
    case LLMSPELL_JSON_NULL: sb_put(out, "Z", 1); break;
    case LLMSPELL_JSON_BOOL: sb_put(out, v->b ? "T" : "F", 1); break;
    case LLMSPELL_JSON_NUMBER: canon_num(out, v->u.str, v->len, v->is_int, v->i, v->d); break;
    case LLMSPELL_JSON_STRING: canon_str(out, 'S', v->u.str, v->len); break;
    case LLMSPELL_JSON_ARRAY:
        sb_put(out, "[", 1);
        for (i = 0; i < v->len; i++) canon_dom(&v->u.items[i], out);
        sb_put(out, "]", 1);
        break;
    case LLMSPELL_JSON_OBJECT:
        sb_put(out, "{", 1);
        for (i = 0; i < v->len; i++) {
            canon_str(out, 'K', v->u.members[i].key, v->u.members[i].klen);
            canon_dom(&v->u.members[i].value, out);
        }
        sb_put(out, "}", 1);
        break;
    }
}

/* One input through three readers: DOM over the buffer, events over a 1-byte source, events
   over a 64-byte-buffer source with chunked strings. Checks that they agree; returns the DOM
   result and its error. */
static llmspell_result parse_all_ways(const char *file, int line, const char *data, size_t n,
                                      const llmspell_json_read_options *opts, llmspell_json_error *err_out) {
    llmspell_json_read_options o;
    llmspell_json_doc *doc = NULL;
    llmspell_json_error err;
    llmspell_json_reader *r;
    llmspell_result rc_dom, rc_s1, rc_s2;
    sbuf c_dom = {0, 0, 0}, c_s1 = {0, 0, 0}, c_s2 = {0, 0, 0};
    memsrc m1, m2;
    llmspell_json_error e1, e2;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    rc_dom = llmspell_json_parse(data, n, &o, &doc, &err);
    if (rc_dom == LLMSPELL_OK) canon_dom(llmspell_json_doc_root(doc), &c_dom);
    llmspell_json_doc_free(doc);

    m1.p = data; m1.n = n; m1.off = 0; m1.step = 1;
    if (llmspell_json_reader_open_source(&r, memsrc_read, &m1, &o) != LLMSPELL_OK) abort();
    rc_s1 = canon_events(r, &c_s1);
    e1 = *llmspell_json_reader_error(r);
    llmspell_json_reader_close(r);

    m2 = m1;
    m2.off = 0;
    m2.step = 7;
    o.buffer_size = 64;
    o.flags |= LLMSPELL_JSON_CHUNKED_STRINGS;
    if (llmspell_json_reader_open_source(&r, memsrc_read, &m2, &o) != LLMSPELL_OK) abort();
    rc_s2 = canon_events(r, &c_s2);
    e2 = *llmspell_json_reader_error(r);
    llmspell_json_reader_close(r);

    CHECK_AT(file, line, rc_dom == rc_s1 && rc_dom == rc_s2, "results differ: dom %s, stream(1) %s, stream(64) %s",
             rc_name(rc_dom), rc_name(rc_s1), rc_name(rc_s2));
    if (rc_dom == LLMSPELL_OK && rc_s1 == LLMSPELL_OK && rc_s2 == LLMSPELL_OK) {
        CHECK_AT(file, line, c_dom.n == c_s1.n && !memcmp(c_dom.p, c_s1.p, c_dom.n), "dom and 1-byte stream values differ");
        CHECK_AT(file, line, c_dom.n == c_s2.n && !memcmp(c_dom.p, c_s2.p, c_dom.n), "dom and chunked stream values differ");
    } else if (rc_dom != LLMSPELL_OK && rc_dom == rc_s1 && rc_dom == rc_s2) {
        /* the same error at the same place, however the input arrives (a 64-byte buffer may
           report a too-long token at its start instead: only compare with the 1-byte source
           for TOO_LARGE) */
        CHECK_AT(file, line, err.offset == e1.offset && err.line == e1.line && err.column == e1.column,
                 "error position differs: dom %llu (%llu:%llu) '%s', stream %llu (%llu:%llu) '%s'",
                 (unsigned long long)err.offset, (unsigned long long)err.line, (unsigned long long)err.column,
                 err.message, (unsigned long long)e1.offset, (unsigned long long)e1.line,
                 (unsigned long long)e1.column, e1.message);
        CHECK_AT(file, line, !strcmp(err.path, e1.path), "error path differs: '%s' vs '%s'", err.path, e1.path);
        CHECK_AT(file, line, err.offset == e2.offset, "error offset differs (chunked): %llu vs %llu '%s'",
                 (unsigned long long)err.offset, (unsigned long long)e2.offset, e2.message);
    }
    if (err_out) *err_out = err;
    free(c_dom.p);
    free(c_s1.p);
    free(c_s2.p);
    return rc_dom;
}
#define PARSE3(...) parse_all_ways(__FILE__, __LINE__, __VA_ARGS__)

/* Messages of a writer / reader error (never NULL, which keeps gcc's -Wstringop-overread calm). */
static const char *wmsg(const llmspell_json_writer *w) {
    const llmspell_json_error *e = llmspell_json_writer_error(w);
    return e ? e->message : "";
}
static const char *wpath(const llmspell_json_writer *w) {
    const llmspell_json_error *e = llmspell_json_writer_error(w);
    return e ? e->path : "";
}
static const char *rmsg(const llmspell_json_reader *r) {
    const llmspell_json_error *e = llmspell_json_reader_error(r);
    return e ? e->message : "";
}

static llmspell_json_doc *parse_ok(const char *file, int line, const char *s, size_t n, unsigned flags) {
    llmspell_json_read_options o;
    llmspell_json_doc *doc = NULL;
    llmspell_json_error err;
    memset(&o, 0, sizeof o);
    o.flags = flags;
    if (llmspell_json_parse(s, n, &o, &doc, &err) != LLMSPELL_OK)
        harness_fail(file, line, "parse of '%.60s' failed: %s", s, err.message);
    return doc;
}
#define PARSE_OK(lit) parse_ok(__FILE__, __LINE__, S(lit), 0)

/* ------------------------------------------------------------------------------------------ */
/* >>a. JSONTestSuite                                                                          */

static const char *suite_dir;

/* The documented behaviour for each implementation-defined file (see the header). */
static const struct { const char *name; int accept; } i_expect[] = {
    {"i_number_double_huge_neg_exp.json", 1},
    {"i_number_huge_exp.json", 0},
    {"i_number_neg_int_huge_exp.json", 0},
    {"i_number_pos_double_huge_exp.json", 0},
    {"i_number_real_neg_overflow.json", 0},
    {"i_number_real_pos_overflow.json", 0},
    {"i_number_real_underflow.json", 1},
    {"i_number_too_big_neg_int.json", 1},
    {"i_number_too_big_pos_int.json", 1},
    {"i_number_very_big_negative_int.json", 1},
    {"i_object_key_lone_2nd_surrogate.json", 0},
    {"i_string_1st_surrogate_but_2nd_missing.json", 0},
    {"i_string_1st_valid_surrogate_2nd_invalid.json", 0},
    {"i_string_UTF-16LE_with_BOM.json", 0},
    {"i_string_UTF-8_invalid_sequence.json", 0},
    {"i_string_UTF8_surrogate_U+D800.json", 0},
    {"i_string_incomplete_surrogate_and_escape_valid.json", 0},
    {"i_string_incomplete_surrogate_pair.json", 0},
    {"i_string_incomplete_surrogates_escape_valid.json", 0},
    {"i_string_invalid_lonely_surrogate.json", 0},
    {"i_string_invalid_surrogate.json", 0},
    {"i_string_invalid_utf-8.json", 0},
    {"i_string_inverted_surrogates_U+1D11E.json", 0},
    {"i_string_iso_latin_1.json", 0},
    {"i_string_lone_second_surrogate.json", 0},
    {"i_string_lone_utf8_continuation_byte.json", 0},
    {"i_string_not_in_unicode_range.json", 0},
    {"i_string_overlong_sequence_2_bytes.json", 0},
    {"i_string_overlong_sequence_6_bytes.json", 0},
    {"i_string_overlong_sequence_6_bytes_null.json", 0},
    {"i_string_truncated-utf-8.json", 0},
    {"i_string_utf16BE_no_BOM.json", 0},
    {"i_string_utf16LE_no_BOM.json", 0},
    {"i_structure_500_nested_arrays.json", 1},
    {"i_structure_UTF-8_BOM_empty_object.json", 0},
};

static char *read_file(const char *path, size_t *n) {
    FILE *f = compat_fopen(path, "rb");
    char *p;
    long sz;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    p = (char *)malloc((size_t)sz + 1);
    if (p && fread(p, 1, (size_t)sz, f) != (size_t)sz) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void test_suite_files(void) {
    compat_dir d;
    const char *name;
    int ny = 0, nn = 0, ni = 0;
    size_t k;
    char path[4096];
    REQUIRE(compat_dir_open(&d, suite_dir), "cannot open %s", suite_dir);
    while ((name = compat_dir_next(&d)) != NULL) {
        size_t n;
        char *data;
        llmspell_result rc;
        llmspell_json_error err;
        if (name[0] != 'y' && name[0] != 'n' && name[0] != 'i') continue;
        snprintf(path, sizeof path, "%s/%s", suite_dir, name);
        if (!(data = read_file(path, &n))) {
            CHECK(0, "cannot read %s", path);
            continue;
        }
        rc = PARSE3(data, n, NULL, &err);
        if (name[0] == 'y') {
            ny++;
            CHECK(rc == LLMSPELL_OK, "%s rejected: %s", name, err.message);
        } else if (name[0] == 'n') {
            nn++;
            CHECK(rc != LLMSPELL_OK, "%s accepted", name);
            CHECK(rc == LLMSPELL_ERR_PARSE || rc == LLMSPELL_ERR_TOO_LARGE, "%s: %s", name, rc_name(rc));
            CHECK(err.line >= 1 && err.column >= 1 && err.message[0], "%s: error without a position", name);
        } else {
            int found = 0;
            ni++;
            for (k = 0; k < sizeof i_expect / sizeof i_expect[0]; k++) {
                if (strcmp(i_expect[k].name, name)) continue;
                found = 1;
                CHECK((rc == LLMSPELL_OK) == i_expect[k].accept, "%s: %s, documented as %s", name,
                      rc == LLMSPELL_OK ? "accepted" : err.message, i_expect[k].accept ? "accepted" : "rejected");
            }
            CHECK(found, "%s: not in the documented i_ table", name);
        }
        free(data);
    }
    compat_dir_close(&d);
    CHECK(ny == 95 && nn == 188 && ni == 35, "suite has %d y, %d n, %d i files (expected 95/188/35)", ny, nn, ni);
}

/* ------------------------------------------------------------------------------------------ */
/* >>b. built-in cases                                                                         */

static const char *const builtin_yes[] = {
    "[]", "{}", "0", "-0", "1.5e+3", "\"\"", "null", "true", "false", " [ 1 , 2 ] ",
    "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}", "[1e1, 1E-1, -0.0e0, 0.5]", "\"\\u0000\"", "\"\\ud83d\\ude00\"",
    "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\xE2\x82\xAC\xF0\x9F\x98\x80\"", "[[[[[]]]]]", "{\"a\":1,\"a\":2}",
    "123456789012345678901234567890", "\t\r\n[\n]\n", "\"\x7F\"", "[\"\xEF\xBF\xBF\"]", "1e-999", "-1e-400",
};
static const char *const builtin_no[] = {
    "", " ", "[", "]", "[1,]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{\"a\":}", "[1 2]", "01", "1.", ".5",
    "+1", "-", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity", "tru", "nul", "True", "[1]x", "{} {}",
    "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\uD800\"", "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\t\"", "\"\n\"",
    "\"\x80\"", "\"\xC0\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "[1,,2]",
    "[,1]", "{,}", "{\"a\":1 \"b\":2}", "'a'", "[1] // c", "/* c */ 1", "\xEF\xBB\xBF{}", "1e999",
    "-1e400", "[\"a\":1]", "{\"a\",1}",
};

static void test_builtin_cases(void) {
    size_t i;
    for (i = 0; i < sizeof builtin_yes / sizeof builtin_yes[0]; i++) {
        llmspell_json_error err;
        llmspell_result rc = PARSE3(builtin_yes[i], strlen(builtin_yes[i]), NULL, &err);
        CHECK(rc == LLMSPELL_OK, "'%s' rejected: %s", builtin_yes[i], err.message);
    }
    for (i = 0; i < sizeof builtin_no / sizeof builtin_no[0]; i++) {
        llmspell_json_error err;
        llmspell_result rc = PARSE3(builtin_no[i], strlen(builtin_no[i]), NULL, &err);
        CHECK(rc == LLMSPELL_ERR_PARSE || rc == LLMSPELL_ERR_TOO_LARGE, "'%s': %s", builtin_no[i], rc_name(rc));
        CHECK(err.line >= 1 && err.column >= 1, "'%s': no position", builtin_no[i]);
    }
    /* a NUL byte outside strings, and in the middle of the input */
    CHECK_RC(PARSE3("[1,\0 2]", 7, NULL, NULL), LLMSPELL_ERR_PARSE);
}

static void test_deep_nesting(void) {
    size_t n = 100000, i;
    char *s = (char *)malloc(2 * n + 1);
    llmspell_json_read_options o;
    llmspell_json_error err;
    llmspell_json_doc *doc = NULL;
    llmspell_json_writer *w;
    llmspell_json_writer_options wo;
    const llmspell_json_value *v;
    size_t len;
    REQUIRE(s, "malloc");
    for (i = 0; i < n; i++) {
        s[i] = '[';
        s[2 * n - 1 - i] = ']';
    }
    /* default limit: a clean error at depth 513, in every reader */
    CHECK_RC(PARSE3(s, 2 * n, NULL, &err), LLMSPELL_ERR_TOO_LARGE);
    CHECK(err.offset == 512 && err.line == 1 && err.column == 513, "depth error at %llu: %s",
          (unsigned long long)err.offset, err.message);
    CHECK(strstr(err.message, "max_depth") != NULL, "message: %s", err.message);
    /* unclosed brackets too */
    CHECK_RC(PARSE3(s, n, NULL, NULL), LLMSPELL_ERR_TOO_LARGE);
    /* with the limit raised, 100,000 levels parse and write back without recursion */
    memset(&o, 0, sizeof o);
    o.max_depth = n;
    REQUIRE_RC(llmspell_json_parse(s, 2 * n, &o, &doc, &err), LLMSPELL_OK);
    for (v = llmspell_json_doc_root(doc), i = 1; v->type == LLMSPELL_JSON_ARRAY && v->len == 1; v = &v->u.items[0]) i++;
    CHECK(i == n && v->type == LLMSPELL_JSON_ARRAY && v->len == 0, "depth %zu", i);
    memset(&wo, 0, sizeof wo);
    wo.max_depth = n;
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, &wo), LLMSPELL_OK);
    CHECK_RC(llmspell_json_write_value(w, llmspell_json_doc_root(doc)), LLMSPELL_OK);
    CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
    CHECK(!memcmp(llmspell_json_writer_data(w, &len), s, 2 * n) && len == 2 * n, "written back differently");
    llmspell_json_writer_free(w);
    /* the default writer refuses depth 513 */
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_json_write_value(w, llmspell_json_doc_root(doc)), LLMSPELL_ERR_TOO_LARGE);
    llmspell_json_writer_free(w);
    llmspell_json_doc_free(doc);
    free(s);
}

static void test_named_numbers(void) {
    llmspell_json_doc *doc;
    const llmspell_json_value *v;
    const char *sixty = "123456789012345678901234567890123456789012345678901234567890";
    char buf[256];
    uint64_t bits;
    double d;
    /* 60 digits: the correctly rounded double, and the text verbatim */
    snprintf(buf, sizeof buf, "[%s, -%s.5e-10]", sixty, sixty);
    doc = parse_ok(__FILE__, __LINE__, buf, strlen(buf), 0);
    REQUIRE(doc, "parse");
    v = llmspell_json_at(llmspell_json_doc_root(doc), 0);
    CHECK(v->type == LLMSPELL_JSON_NUMBER && !v->is_int && v->d == strtod(sixty, NULL), "60 digits: %.17g", v->d);
    CHECK(v->len == 60 && !strcmp(v->u.str, sixty), "text kept: %s", v->u.str);
    v = llmspell_json_at(llmspell_json_doc_root(doc), 1);
    snprintf(buf, sizeof buf, "-%s.5e-10", sixty);
    CHECK(v->d == strtod(buf, NULL) && !strcmp(v->u.str, buf), "-60.5 digits: %.17g", v->d);
    llmspell_json_doc_free(doc);
    /* -0.0 and -0 keep the sign */
    doc = PARSE_OK("[-0.0, -0, 0, 0.0]");
    REQUIRE(doc, "parse");
    v = llmspell_json_doc_root(doc);
    memcpy(&bits, &v->u.items[0].d, 8);
    CHECK(bits == 0x8000000000000000ull && !v->u.items[0].is_int, "-0.0 bits %llx", (unsigned long long)bits);
    memcpy(&bits, &v->u.items[1].d, 8);
    CHECK(bits == 0x8000000000000000ull && !v->u.items[1].is_int, "-0 bits %llx", (unsigned long long)bits);
    CHECK(v->u.items[2].is_int && v->u.items[2].i == 0, "0");
    memcpy(&bits, &v->u.items[3].d, 8);
    CHECK(bits == 0 && !v->u.items[3].is_int, "0.0");
    llmspell_json_doc_free(doc);
    /* 1e-999 underflows to +0.0 */
    doc = PARSE_OK("1e-999");
    REQUIRE(doc, "parse");
    d = llmspell_json_doc_root(doc)->d;
    memcpy(&bits, &d, 8);
    CHECK(bits == 0, "1e-999 -> %g", d);
    llmspell_json_doc_free(doc);
    /* 2^63 does not fit int64: a double, with its text */
    doc = PARSE_OK("[9223372036854775808, 9223372036854775807, -9223372036854775808, -9223372036854775809, "
                   "18446744073709551616]");
    REQUIRE(doc, "parse");
    v = llmspell_json_doc_root(doc);
    CHECK(!v->u.items[0].is_int && v->u.items[0].d == 9223372036854775808.0 &&
              !strcmp(v->u.items[0].u.str, "9223372036854775808"), "2^63");
    CHECK(v->u.items[1].is_int && v->u.items[1].i == INT64_MAX, "2^63-1");
    CHECK(v->u.items[2].is_int && v->u.items[2].i == INT64_MIN, "-2^63");
    CHECK(!v->u.items[3].is_int && v->u.items[3].d == -9223372036854775808.0, "-2^63-1");
    CHECK(!v->u.items[4].is_int && v->u.items[4].d == 18446744073709551616.0, "2^64");
    llmspell_json_doc_free(doc);
}

static void test_bad_strings_and_bom(void) {
    llmspell_json_read_options o;
    llmspell_json_doc *doc;
    llmspell_json_error err;
    memset(&o, 0, sizeof o);
    /* lone surrogates */
    CHECK_RC(PARSE3(S("\"\\uD800\""), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(strstr(err.message, "surrogate") && err.column == 2, "%s", err.message);
    CHECK_RC(PARSE3(S("[\"a\\uDFFFb\"]"), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.column == 4, "%s", err.message);
    CHECK_RC(PARSE3(S("\"\\uD800\\uD800\""), NULL, NULL), LLMSPELL_ERR_PARSE);
    CHECK_RC(PARSE3(S("{\"\\uDBFF\":1}"), NULL, NULL), LLMSPELL_ERR_PARSE);
    /* a valid pair decodes to one 4-byte character */
    doc = PARSE_OK("\"\\uD834\\uDD1E\"");
    REQUIRE(doc, "parse");
    CHECK(llmspell_json_doc_root(doc)->len == 4 && !memcmp(llmspell_json_doc_root(doc)->u.str, "\xF0\x9D\x84\x9E", 4),
          "pair decoded wrong");
    llmspell_json_doc_free(doc);
    /* BOM: rejected by default, skipped when allowed (but only at the start) */
    CHECK_RC(PARSE3(S("\xEF\xBB\xBF{}"), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(strstr(err.message, "byte order mark") != NULL, "%s", err.message);
    o.flags = LLMSPELL_JSON_ALLOW_BOM;
    CHECK_RC(PARSE3(S("\xEF\xBB\xBF{}"), &o, NULL), LLMSPELL_OK);
    CHECK_RC(PARSE3(S("\xEF\xBB\xBF"), &o, NULL), LLMSPELL_ERR_PARSE);
    CHECK_RC(PARSE3(S(" \xEF\xBB\xBF{}"), &o, NULL), LLMSPELL_ERR_PARSE);
    /* NUL in a string via \u0000 is kept with the length */
    doc = PARSE_OK("{\"k\\u0000x\":\"a\\u0000b\"}");
    REQUIRE(doc, "parse");
    CHECK(llmspell_json_getn(llmspell_json_doc_root(doc), "k\0x", 3) != NULL, "key with NUL");
    CHECK(llmspell_json_getn(llmspell_json_doc_root(doc), "k\0x", 3)->len == 3, "value with NUL");
    llmspell_json_doc_free(doc);
}

static void test_options(void) {
    llmspell_json_read_options o;
    llmspell_json_doc *doc = NULL;
    llmspell_json_error err;
    llmspell_json_reader *r;
    llmspell_json_token t;
    sbuf big = {0, 0, 0};
    int i, n;
    memset(&o, 0, sizeof o);
    /* trailing commas */
    o.flags = LLMSPELL_JSON_ALLOW_TRAILING_COMMAS;
    CHECK_RC(PARSE3(S("[1,2,]"), &o, NULL), LLMSPELL_OK);
    CHECK_RC(PARSE3(S("{\"a\":1,}"), &o, NULL), LLMSPELL_OK);
    CHECK_RC(PARSE3(S("[1,,]"), &o, NULL), LLMSPELL_ERR_PARSE);
    CHECK_RC(PARSE3(S("[,]"), &o, NULL), LLMSPELL_ERR_PARSE);
    /* overflow */
    CHECK_RC(PARSE3(S("[1e309]"), NULL, &err), LLMSPELL_ERR_TOO_LARGE);
    CHECK(err.column == 2, "%s", err.message);
    o.flags = LLMSPELL_JSON_ALLOW_OVERFLOW;
    REQUIRE_RC(llmspell_json_parse(S("[1e309,-1e309]"), &o, &doc, NULL), LLMSPELL_OK);
    CHECK(isinf(llmspell_json_doc_root(doc)->u.items[0].d) && llmspell_json_doc_root(doc)->u.items[1].d < 0, "inf");
    llmspell_json_doc_free(doc);
    /* duplicates: accepted by default (last wins in lookups), rejected on request, also in a
       large object where the hash index is used */
    doc = PARSE_OK("{\"a\":1,\"b\":2,\"a\":3}");
    REQUIRE(doc, "parse");
    CHECK(llmspell_json_get(llmspell_json_doc_root(doc), "a")->i == 3, "last duplicate wins");
    CHECK(llmspell_json_doc_root(doc)->len == 3, "both kept");
    llmspell_json_doc_free(doc);
    o.flags = LLMSPELL_JSON_REJECT_DUPLICATES;
    CHECK_RC(PARSE3(S("{\"a\":1,\"b\":2,\"a\":3}"), &o, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.column == 14 && strstr(err.message, "duplicate key \"a\""), "%s", err.message);
    CHECK_RC(PARSE3(S("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}"), &o, NULL), LLMSPELL_OK);
    CHECK_RC(PARSE3(S("{\"a\":{\"x\":1,\"x\":2}}"), &o, &err), LLMSPELL_ERR_PARSE);
    CHECK(!strcmp(err.path, "a.x"), "path %s", err.path);
    for (n = 0; n < 2; n++) {
        big.n = 0;
        sb_put(&big, "{", 1);
        for (i = 0; i < 1000; i++) sb_fmt(&big, "%s\"k%d\":{\"k%d\":%d}", i ? "," : "", i, i, i);
        if (n) sb_put(&big, ",\"k999\":0", 9);
        sb_put(&big, "}", 1);
        CHECK_RC(PARSE3(big.p, big.n, &o, &err), n ? LLMSPELL_ERR_PARSE : LLMSPELL_OK);
    }
    CHECK(strstr(err.message, "\"k999\"") != NULL, "%s", err.message);
    free(big.p);
    /* multiple values (JSON Lines) */
    o.flags = LLMSPELL_JSON_ALLOW_MULTIPLE;
    REQUIRE_RC(llmspell_json_reader_open_buffer(&r, S("{\"a\":1}\n[2]\n3\n"), &o), LLMSPELL_OK);
    for (n = 0; llmspell_json_read_value(r, &doc) == LLMSPELL_OK; n++) llmspell_json_doc_free(doc);
    CHECK(n == 3, "read %d values", n);
    CHECK_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    CHECK(t.event == LLMSPELL_JSON_EV_END, "event %d", t.event);
    llmspell_json_reader_close(r);
    CHECK_RC(llmspell_json_parse(S(""), &o, &doc, &err), LLMSPELL_ERR_PARSE); /* parse() still wants one value */
    CHECK_RC(llmspell_json_parse(S("1 2"), &o, &doc, &err), LLMSPELL_ERR_PARSE);
    CHECK_RC(PARSE3(S("1 2"), NULL, NULL), LLMSPELL_ERR_PARSE);
    /* max_string */
    o.flags = 0;
    o.max_string = 8;
    CHECK_RC(PARSE3(S("[\"12345678\"]"), &o, NULL), LLMSPELL_OK);
    CHECK_RC(PARSE3(S("[\"123456789\"]"), &o, NULL), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(PARSE3(S("[\"1234567\\n9\"]"), &o, NULL), LLMSPELL_ERR_TOO_LARGE);
    CHECK_RC(PARSE3(S("[123456789]"), &o, NULL), LLMSPELL_ERR_TOO_LARGE);
    /* bad options */
    o.max_string = 0;
    o.allocator.alloc = ac_alloc; /* alloc without free */
    CHECK_RC(llmspell_json_reader_open_buffer(&r, S("1"), &o), LLMSPELL_ERR_INVALID);
    CHECK(r == NULL, "reader set on failure");
}

static void test_error_positions(void) {
    llmspell_json_error err;
    const char *doc1 = "{\n  \"data\": {\n    \"kv_store\": [1, 2, {\"key\": tru}]\n  }\n}";
    const char *doc2 = "{\"data\": {\"knowledge_graph\": {\"entities\": [{}, {}, {\"valid_time_end\": 1x}]}}}";
    const char *doc3 = "[\"ok\", \"bad \xC3\x28\"]";
    const char *doc4 = "{\"odd key.\": [\n\n  [1, 2,\n   ]]}";
    CHECK_RC(PARSE3(doc1, strlen(doc1), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.line == 3 && err.column == 35 && !strcmp(err.path, "data.kv_store[2].key"),
          "%llu:%llu %s / %s", (unsigned long long)err.line, (unsigned long long)err.column, err.path, err.message);
    CHECK(!strncmp(err.message, "line 3, column 35: ", 19) && strstr(err.message, "(at data.kv_store[2].key)"),
          "message: %s", err.message);
    CHECK(err.offset == (uint64_t)(strstr(doc1, "tru}") - doc1) + 3, "offset %llu", (unsigned long long)err.offset);
    CHECK_RC(PARSE3(doc2, strlen(doc2), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(!strcmp(err.path, "data.knowledge_graph.entities[2].valid_time_end"), "path %s", err.path);
    CHECK(err.offset == (uint64_t)(strstr(doc2, "x}") - doc2), "offset %llu", (unsigned long long)err.offset);
    CHECK_RC(PARSE3(doc3, strlen(doc3), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.column == 13 && !strcmp(err.path, "[1]") && strstr(err.message, "UTF-8"), "%s", err.message);
    CHECK_RC(PARSE3(doc4, strlen(doc4), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.line == 4 && err.column == 4 && !strcmp(err.path, "[\"odd key.\"][0][2]"), "%llu:%llu %s",
          (unsigned long long)err.line, (unsigned long long)err.column, err.path);
    /* end of input */
    CHECK_RC(PARSE3(S("{\"a\": [1,\n"), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.line == 2 && err.column == 1 && err.offset == 10, "%s", err.message);
    CHECK_RC(PARSE3(S("\"abc"), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(err.offset == 4 && strstr(err.message, "unterminated"), "%s", err.message);
}

/* ------------------------------------------------------------------------------------------ */
/* >>c. numbers                                                                                */

static int num_bits_equal(const char *text, uint64_t *got, uint64_t *want) {
    llmspell_json_reader *r;
    llmspell_json_token t;
    double w = strtod(text, NULL);
    int ok;
    if (llmspell_json_reader_open_buffer(&r, text, strlen(text), NULL) != LLMSPELL_OK) abort();
    ok = llmspell_json_next(r, &t) == LLMSPELL_OK && t.event == LLMSPELL_JSON_EV_NUMBER;
    llmspell_json_reader_close(r);
    memcpy(want, &w, 8);
    memcpy(got, &t.d, 8);
    return ok && *got == *want;
}

static void test_number_parsing_vs_strtod(void) {
    static const char *const hard[] = {
        "2.2250738585072011e-308", "2.2250738585072012e-308", "4.9406564584124654e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308", "9007199254740993",
        "9007199254740992.5", "0.1", "0.3", "1e23", "8.98846567431158e307", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16", "3.4028235677973366e38", "1448997445238699", "5e-324", "1e-323", "0.000001",
        "123456789012345678901234567890e-30", "9.999999999999999e22", "2.2250738585072014e-308",
        "6.631236846766476e-316", "3.2379086165851934e-319", "4.35402624e-320", "9214843084008499",
        "30078505129381147446200", "1777820000000000000001", "0.500000000000000166533453693773481063544750213623046875",
        "3.518437208883201171875e13", "62.5364939768271845828", "8.10109172351e-10", "1.50000000000000011102230246251565404236316680908203125",
        "9007199254740991.4999999999999999999999999999999995", "1.7976931348623157e308", "4503599627370496.5",
        "4503599627370497.5", "10000000000000000000000000000000000000000e-17", "0.0000000000000000000000000000001e-250"};
    char buf[128];
    rng g = {42};
    size_t i;
    uint64_t got, want;
    int bad = 0;
    for (i = 0; i < sizeof hard / sizeof hard[0]; i++) {
        int ok = num_bits_equal(hard[i], &got, &want);
        CHECK(ok, "%s: got %016llx, strtod %016llx", hard[i], (unsigned long long)got, (unsigned long long)want);
        snprintf(buf, sizeof buf, "-%s", hard[i]);
        CHECK(num_bits_equal(buf, &got, &want), "%s", buf);
    }
    /* random decimal strings: 1..25 significant digits, exponents across the whole range */
    for (i = 0; i < 300000 && bad < 5; i++) {
        int nd = 1 + (int)rng_below(&g, 25), k, p = 0, point = (int)rng_below(&g, (unsigned)nd + 1);
        int e = (int)rng_below(&g, 700) - 350;
        if (rng_below(&g, 2)) buf[p++] = '-';
        buf[p++] = (char)('1' + rng_below(&g, 9));
        for (k = 1; k < nd; k++) {
            if (k == point) buf[p++] = '.';
            buf[p++] = (char)('0' + rng_below(&g, 10));
        }
        p += snprintf(buf + p, sizeof buf - (size_t)p, "e%d", e);
        if (!num_bits_equal(buf, &got, &want)) {
            double w;
            memcpy(&w, &want, 8);
            if (isinf(w)) continue; /* overflow: an error by default, checked elsewhere */
            bad++;
            CHECK(0, "%s: got %016llx, strtod %016llx", buf, (unsigned long long)got, (unsigned long long)want);
        }
    }
    /* near halfway points of random doubles, written with 17-25 digits */
    for (i = 0; i < 100000 && bad < 5; i++) {
        double d;
        uint64_t b = rng_next(&g) & 0x7FEFFFFFFFFFFFFFull;
        memcpy(&d, &b, 8);
        snprintf(buf, sizeof buf, "%.*e", 16 + (int)rng_below(&g, 9), d);
        if (!num_bits_equal(buf, &got, &want)) {
            bad++;
            CHECK(0, "%s: got %016llx, strtod %016llx", buf, (unsigned long long)got, (unsigned long long)want);
        }
    }
}

static void test_double_roundtrip_random(void) {
    rng g = {7};
    llmspell_json_writer *w;
    llmspell_json_reader *r;
    llmspell_json_token t;
    const char *text;
    size_t n, i, count = 1000000;
    double *vals = (double *)malloc(count * sizeof *vals);
    int bad = 0;
    REQUIRE(vals, "malloc");
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_json_array_begin(w), LLMSPELL_OK);
    for (i = 0; i < count; i++) {
        uint64_t b = rng_next(&g);
        if ((b & 0x7FF0000000000000ull) == 0x7FF0000000000000ull) b ^= 0x4000000000000000ull; /* finite only */
        if (i % 16 == 1) b &= 0x800FFFFFFFFFFFFFull; /* plenty of subnormals */
        memcpy(&vals[i], &b, 8);
        if (llmspell_json_double(w, vals[i]) != LLMSPELL_OK) break;
    }
    REQUIRE_RC(llmspell_json_array_end(w), LLMSPELL_OK);
    REQUIRE_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
    text = llmspell_json_writer_data(w, &n);
    REQUIRE_RC(llmspell_json_reader_open_buffer(&r, text, n, NULL), LLMSPELL_OK);
    REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    for (i = 0; i < count && bad < 5; i++) {
        if (llmspell_json_next(r, &t) != LLMSPELL_OK || t.event != LLMSPELL_JSON_EV_NUMBER) {
            CHECK(0, "value %zu: %s", i, rmsg(r));
            break;
        }
        if (memcmp(&t.d, &vals[i], 8) || t.is_int || t.len > 24) {
            bad++;
            CHECK(0, "%.17g written as '%.*s' reads back as %.17g", vals[i], (int)t.len, t.str, t.d);
        }
    }
    llmspell_json_reader_close(r);
    llmspell_json_writer_free(w);
    free(vals);
}

static void check_double_text(const char *file, int line, double v, const char *want) {
    llmspell_json_writer *w;
    const char *got;
    if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) abort();
    CHECK_RC_AT(file, line, llmspell_json_double(w, v), LLMSPELL_OK);
    if (!(got = llmspell_json_writer_data(w, NULL))) got = "(none)";
    CHECK_AT(file, line, !strcmp(got, want), "%.17g written as '%s', expected '%s'", v, got, want);
    llmspell_json_writer_free(w);
}
#define DOUBLE_TEXT(v, s) check_double_text(__FILE__, __LINE__, (v), (s))

static void test_double_text_and_refusals(void) {
    llmspell_json_writer *w;
    double zero = 0.0;
    DOUBLE_TEXT(0.1, "0.1");
    DOUBLE_TEXT(1.0, "1.0");
    DOUBLE_TEXT(-0.0, "-0.0");
    DOUBLE_TEXT(0.0, "0.0");
    DOUBLE_TEXT(1e300, "1e300");
    DOUBLE_TEXT(1e-7, "1e-7");
    DOUBLE_TEXT(123456789012345678.0, "1.2345678901234568e17");
    DOUBLE_TEXT(0.30000000000000004, "0.30000000000000004");
    DOUBLE_TEXT(1.7976931348623157e308, "1.7976931348623157e308");
    DOUBLE_TEXT(5e-324, "4.94065645841247e-324");
    DOUBLE_TEXT(-2.5, "-2.5");
    DOUBLE_TEXT(1e21, "1e21");
    /* NaN and infinities have no JSON spelling */
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_json_double(w, zero / zero), LLMSPELL_ERR_INVALID);
    CHECK(strstr(wmsg(w), "NaN") != NULL, "%s", wmsg(w));
    llmspell_json_writer_free(w);
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_json_double(w, 1.0 / zero), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_json_null(w), LLMSPELL_ERR_INVALID); /* sticky */
    llmspell_json_writer_free(w);
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_json_double(w, -1.0 / zero), LLMSPELL_ERR_INVALID);
    llmspell_json_writer_free(w);
}

static void test_int64_edges(void) {
    static const int64_t iv[] = {0, 1, -1, 9, 10, -10, 127, 255, 65535, 2147483647, -2147483647 - 1, 4294967296LL,
                                 9007199254740993LL, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1};
    llmspell_json_writer *w;
    llmspell_json_doc *doc;
    const llmspell_json_value *root;
    const char *text;
    size_t n, i, k = sizeof iv / sizeof iv[0];
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    llmspell_json_array_begin(w);
    for (i = 0; i < k; i++) CHECK_RC(llmspell_json_int(w, iv[i]), LLMSPELL_OK);
    CHECK_RC(llmspell_json_uint(w, UINT64_MAX), LLMSPELL_OK);
    CHECK_RC(llmspell_json_uint(w, 0), LLMSPELL_OK);
    llmspell_json_array_end(w);
    REQUIRE_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
    text = llmspell_json_writer_data(w, &n);
    CHECK(strstr(text, "9223372036854775807,-9223372036854775808,") && strstr(text, ",18446744073709551615,0]"),
          "%s", text);
    doc = parse_ok(__FILE__, __LINE__, text, n, 0);
    REQUIRE(doc, "parse");
    root = llmspell_json_doc_root(doc);
    REQUIRE(root->len == k + 2, "len %zu", root->len);
    for (i = 0; i < k; i++)
        CHECK(root->u.items[i].is_int && root->u.items[i].i == iv[i], "%lld read as %lld", (long long)iv[i],
              (long long)root->u.items[i].i);
    CHECK(!root->u.items[k].is_int && root->u.items[k].d == (double)18446744073709551615.0 && /* the cast: 2^64-1 is exact in x87 long double, 2^64 in double */
              !strcmp(root->u.items[k].u.str, "18446744073709551615"), "UINT64_MAX keeps its text");
    llmspell_json_doc_free(doc);
    llmspell_json_writer_free(w);
}

/* ------------------------------------------------------------------------------------------ */
/* >>d. writer                                                                                 */

/* Writes one fixed document exercising every call. */
static llmspell_result write_sample(llmspell_json_writer *w) {
    static const unsigned char bin[7] = {0, 1, 2, 0xFD, 0xFE, 0xFF, 0x80};
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("version"));
    llmspell_json_string(w, "1.0", LLMSPELL_JSON_STRLEN);
    llmspell_json_key(w, S("esc \"q\" \\ / \x01\x1f\t\n"));
    llmspell_json_string(w, S("\b\f\r\x7f \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \0end"));
    llmspell_json_key(w, S("nums"));
    llmspell_json_array_begin(w);
    llmspell_json_int(w, -42);
    llmspell_json_uint(w, 18446744073709551615ull);
    llmspell_json_double(w, 3.25);
    llmspell_json_double(w, -1e-300);
    llmspell_json_number_text(w, S("123456789012345678901234567890"));
    llmspell_json_bool(w, 1);
    llmspell_json_bool(w, 0);
    llmspell_json_null(w);
    llmspell_json_array_end(w);
    llmspell_json_key(w, S("empty"));
    llmspell_json_object_begin(w);
    llmspell_json_object_end(w);
    llmspell_json_key(w, S("ea"));
    llmspell_json_array_begin(w);
    llmspell_json_array_end(w);
    llmspell_json_key(w, S("b64"));
    llmspell_json_base64(w, bin, sizeof bin);
    llmspell_json_key(w, S("b64c"));
    llmspell_json_base64_begin(w);
    llmspell_json_base64_append(w, bin, 1);
    llmspell_json_base64_append(w, bin + 1, 0);
    llmspell_json_base64_append(w, bin + 1, 4);
    llmspell_json_base64_append(w, bin + 5, 2);
    llmspell_json_base64_end(w);
    llmspell_json_key(w, S("chunked"));
    llmspell_json_string_begin(w);
    llmspell_json_string_append(w, S("a\xF0\x9F"));
    llmspell_json_string_append(w, S("\x98"));
    llmspell_json_string_append(w, S("\x80\"z\xC3"));
    llmspell_json_string_append(w, S("\xA9"));
    llmspell_json_string_end(w);
    llmspell_json_key(w, S("raw"));
    llmspell_json_raw(w, S(" \n{\"x\": [1, 2.5e3, \"y\"]}\t "));
    llmspell_json_object_end(w);
    return llmspell_json_writer_finish(w);
}

static void check_sample(const char *file, int line, const char *text, size_t n) {
    static const unsigned char bin[7] = {0, 1, 2, 0xFD, 0xFE, 0xFF, 0x80};
    llmspell_json_doc *doc = parse_ok(file, line, text, n, LLMSPELL_JSON_REJECT_DUPLICATES);
    const llmspell_json_value *root, *v;
    unsigned char out[16];
    size_t ol;
    if (!doc) return;
    root = llmspell_json_doc_root(doc);
    CHECK_AT(file, line, root->len == 9, "members %zu", root->len);
    CHECK_AT(file, line, !strcmp(llmspell_json_get(root, "version")->u.str, "1.0"), "version");
    v = llmspell_json_getn(root, S("esc \"q\" \\ / \x01\x1f\t\n"));
    CHECK_AT(file, line, v && v->len == sizeof("\b\f\r\x7f \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \0end") - 1 &&
                             !memcmp(v->u.str, "\b\f\r\x7f \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \0end", v->len),
             "escaped string");
    v = llmspell_json_get(root, "nums");
    CHECK_AT(file, line, v && v->len == 8 && v->u.items[0].i == -42 && v->u.items[2].d == 3.25 &&
                             v->u.items[3].d == (double)-1e-300 && /* cast: no x87 excess precision */ v->u.items[5].b && !v->u.items[6].b &&
                             v->u.items[7].type == LLMSPELL_JSON_NULL &&
                             !strcmp(v->u.items[4].u.str, "123456789012345678901234567890"),
             "numbers");
    CHECK_AT(file, line, llmspell_json_get(root, "empty")->type == LLMSPELL_JSON_OBJECT, "empty object");
    v = llmspell_json_get(root, "b64");
    CHECK_AT(file, line, v && llmspell_b64_decode(out, sizeof out, v->u.str, v->len, &ol, NULL) == LLMSPELL_OK &&
                             ol == 7 && !memcmp(out, bin, 7),
             "base64");
    CHECK_AT(file, line, !strcmp(llmspell_json_get(root, "b64c")->u.str, v->u.str), "chunked base64");
    CHECK_AT(file, line, !strcmp(llmspell_json_get(root, "chunked")->u.str, "a\xF0\x9F\x98\x80\"z\xC3\xA9"), "chunked");
    v = llmspell_json_get(root, "raw");
    CHECK_AT(file, line, v && v->type == LLMSPELL_JSON_OBJECT && llmspell_json_get(v, "x")->len == 3, "raw");
    llmspell_json_doc_free(doc);
}

typedef struct sinkbuf { sbuf b; int calls; size_t maxpiece; int fail_after; } sinkbuf;
static llmspell_result sink_collect(void *user, const void *data, size_t n) {
    sinkbuf *s = (sinkbuf *)user;
    if (s->fail_after && s->calls >= s->fail_after) return LLMSPELL_ERR_IO;
    s->calls++;
    if (n > s->maxpiece) s->maxpiece = n;
    sb_put(&s->b, data, n);
    return LLMSPELL_OK;
}

static void test_writer_roundtrip(void) {
    llmspell_json_writer_options o;
    llmspell_json_writer *w;
    const char *compact, *pretty;
    size_t nc, np, fl;
    sinkbuf sk;
    FILE *f;
    char *ftext;
    int indent;
    llmspell_json_writer *wp;
    memset(&o, 0, sizeof o);
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
    REQUIRE_RC(write_sample(w), LLMSPELL_OK);
    compact = llmspell_json_writer_data(w, &nc);
    CHECK(!strchr(compact, '\n') && strstr(compact, "{\"version\":\"1.0\",\"esc") == compact, "compact: %.40s", compact);
    CHECK(strstr(compact, "\"esc \\\"q\\\" \\\\ / \\u0001\\u001f\\t\\n\"") != NULL, "key escapes: %s", compact);
    CHECK(strstr(compact, "\\b\\f\\r\x7f \xC3\xA9") && strstr(compact, "\\u0000end"), "string escapes");
    CHECK(strstr(compact, "\"raw\":{\"x\": [1, 2.5e3, \"y\"]}}") != NULL, "raw verbatim, trimmed");
    CHECK(llmspell_json_writer_bytes(w) == nc, "bytes");
    check_sample(__FILE__, __LINE__, compact, nc);
    for (indent = 1; indent <= 4; indent += 3) {
        o.indent = indent;
        REQUIRE_RC(llmspell_json_writer_open_buffer(&wp, &o), LLMSPELL_OK);
        REQUIRE_RC(write_sample(wp), LLMSPELL_OK);
        pretty = llmspell_json_writer_data(wp, &np);
        check_sample(__FILE__, __LINE__, pretty, np);
        CHECK(pretty[np - 1] == '\n' && strstr(pretty, "\"empty\": {},") != NULL, "pretty shape");
        CHECK(indent != 4 || strstr(pretty, "{\n    \"version\": \"1.0\",\n") != NULL, "indent 4: %.80s", pretty);
        CHECK(indent != 4 || strstr(pretty, "\"nums\": [\n        -42,\n") != NULL, "nested indent: %.200s", pretty);
        llmspell_json_writer_free(wp);
    }
    o.indent = 0;
    /* the same bytes through a callback and a FILE*, with a tiny staging buffer */
    memset(&sk, 0, sizeof sk);
    o.buffer_size = 64;
    REQUIRE_RC(llmspell_json_writer_open_sink(&wp, sink_collect, &sk, &o), LLMSPELL_OK);
    REQUIRE_RC(write_sample(wp), LLMSPELL_OK);
    CHECK(llmspell_json_writer_data(wp, NULL) == NULL, "data() of a sink writer");
    CHECK(sk.b.n == nc && !memcmp(sk.b.p, compact, nc), "sink output differs");
    CHECK(sk.calls > 3 && sk.maxpiece <= 64, "sink calls %d, largest %zu", sk.calls, sk.maxpiece);
    llmspell_json_writer_free(wp);
    free(sk.b.p);
    f = tmpfile();
    REQUIRE(f, "tmpfile");
    REQUIRE_RC(llmspell_json_writer_open_file(&wp, f, &o), LLMSPELL_OK);
    REQUIRE_RC(write_sample(wp), LLMSPELL_OK);
    llmspell_json_writer_free(wp);
    fl = (size_t)ftell(f);
    rewind(f);
    ftext = (char *)malloc(fl + 1);
    CHECK(fl == nc && fread(ftext, 1, fl, f) == fl && !memcmp(ftext, compact, nc), "FILE* output differs");
    free(ftext);
    fclose(f);
    /* a failing sink stops the writer with its code */
    memset(&sk, 0, sizeof sk);
    sk.fail_after = 1;
    REQUIRE_RC(llmspell_json_writer_open_sink(&wp, sink_collect, &sk, &o), LLMSPELL_OK);
    CHECK_RC(write_sample(wp), LLMSPELL_ERR_IO);
    CHECK(llmspell_json_writer_error(wp)->code == LLMSPELL_ERR_IO, "error code");
    llmspell_json_writer_free(wp);
    free(sk.b.p);
    llmspell_json_writer_free(w);
}

static void test_writer_ascii_only(void) {
    llmspell_json_writer_options o;
    llmspell_json_writer *w;
    llmspell_json_doc *doc;
    const char *text;
    size_t n;
    const char *s = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
    memset(&o, 0, sizeof o);
    o.ascii_only = 1;
    REQUIRE_RC(llmspell_json_writer_open_buffer(&w, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_json_string(w, s, LLMSPELL_JSON_STRLEN), LLMSPELL_OK);
    text = llmspell_json_writer_data(w, &n);
    CHECK(!strcmp(text, "\"caf\\u00e9 \\u20ac \\ud83d\\ude00\""), "%s", text);
    doc = parse_ok(__FILE__, __LINE__, text, n, 0);
    CHECK(doc && !strcmp(llmspell_json_doc_root(doc)->u.str, s), "ascii round trip");
    llmspell_json_doc_free(doc);
    llmspell_json_writer_free(w);
}

static void test_writer_rejects_bad_utf8(void) {
    static const char *const bad[] = {"\x80", "a\xC0\xAF", "\xC3", "\xE2\x82", "\xED\xA0\x80", "\xF4\x90\x80\x80",
                                      "\xF5\x80\x80\x80", "\xFF", "ok\xE0\x80\x80", "\xF0\x80\x80\x80", "x\xC3(y"};
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmspell_json_writer *w;
        size_t where;
        REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
        CHECK_RC(llmspell_json_string(w, bad[i], LLMSPELL_JSON_STRLEN), LLMSPELL_ERR_INVALID);
        CHECK(strstr(wmsg(w), "UTF-8") != NULL, "message");
        CHECK(!llmspell_json_utf8_valid(bad[i], strlen(bad[i]), &where), "utf8_valid accepts #%zu", i);
        llmspell_json_writer_free(w);
        /* keys and chunked strings too */
        REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
        llmspell_json_object_begin(w);
        CHECK_RC(llmspell_json_key(w, bad[i], LLMSPELL_JSON_STRLEN), LLMSPELL_ERR_INVALID);
        llmspell_json_writer_free(w);
        REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK);
        llmspell_json_string_begin(w);
        {
            llmspell_result rc = llmspell_json_string_append(w, bad[i], LLMSPELL_JSON_STRLEN);
            if (rc == LLMSPELL_OK) rc = llmspell_json_string_end(w);
            CHECK_RC(rc, LLMSPELL_ERR_INVALID);
        }
        llmspell_json_writer_free(w);
    }
    CHECK(llmspell_json_utf8_valid(S("plain \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF"), NULL),
          "valid UTF-8 rejected");
}

static void test_writer_misuse(void) {
    llmspell_json_writer *w;
#define FRESH() do { llmspell_json_writer_free(w); REQUIRE_RC(llmspell_json_writer_open_buffer(&w, NULL), LLMSPELL_OK); } while (0)
    w = NULL;
    FRESH();
    CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_ERR_INVALID); /* nothing written */
    FRESH();
    llmspell_json_object_begin(w);
    CHECK_RC(llmspell_json_int(w, 1), LLMSPELL_ERR_INVALID); /* value without a key */
    FRESH();
    llmspell_json_array_begin(w);
    CHECK_RC(llmspell_json_key(w, S("k")), LLMSPELL_ERR_INVALID); /* key in an array */
    FRESH();
    llmspell_json_array_begin(w);
    CHECK_RC(llmspell_json_object_end(w), LLMSPELL_ERR_INVALID); /* mismatched end */
    FRESH();
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("k"));
    CHECK_RC(llmspell_json_object_end(w), LLMSPELL_ERR_INVALID); /* key without value */
    FRESH();
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("k"));
    CHECK_RC(llmspell_json_key(w, S("k2")), LLMSPELL_ERR_INVALID); /* two keys */
    FRESH();
    llmspell_json_int(w, 1);
    CHECK_RC(llmspell_json_int(w, 2), LLMSPELL_ERR_INVALID); /* second top-level value */
    FRESH();
    llmspell_json_array_begin(w);
    CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_ERR_INVALID); /* unclosed */
    FRESH();
    llmspell_json_string_begin(w);
    CHECK_RC(llmspell_json_int(w, 1), LLMSPELL_ERR_INVALID); /* inside an open string */
    FRESH();
    CHECK_RC(llmspell_json_string_append(w, S("x")), LLMSPELL_ERR_INVALID);
    FRESH();
    llmspell_json_string_begin(w);
    CHECK_RC(llmspell_json_base64_append(w, "x", 1), LLMSPELL_ERR_INVALID); /* wrong kind */
    FRESH();
    CHECK_RC(llmspell_json_number_text(w, S("01")), LLMSPELL_ERR_INVALID);
    FRESH();
    CHECK_RC(llmspell_json_number_text(w, S("1.5e")), LLMSPELL_ERR_INVALID);
    FRESH();
    CHECK_RC(llmspell_json_raw(w, S("[1,]")), LLMSPELL_ERR_PARSE);
    CHECK(strstr(wmsg(w), "raw value rejected") != NULL, "%s",
          wmsg(w));
    FRESH();
    CHECK_RC(llmspell_json_raw(w, S("1 2")), LLMSPELL_ERR_PARSE);
    FRESH();
    CHECK_RC(llmspell_json_raw(w, S("")), LLMSPELL_ERR_PARSE);
    FRESH();
    /* misuse error carries the path */
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("data"));
    llmspell_json_array_begin(w);
    llmspell_json_int(w, 1);
    CHECK_RC(llmspell_json_string(w, S("\xFF")), LLMSPELL_ERR_INVALID);
    CHECK(!strcmp(wpath(w), "data[1]"), "path '%s'", wpath(w));
    llmspell_json_writer_free(w);
    CHECK_RC(llmspell_json_writer_open_buffer(NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_json_int(NULL, 1), LLMSPELL_ERR_INVALID);
#undef FRESH
}

/* DOM -> write_value -> parse gives the same values (numbers from their text, compact and pretty). */
static void test_write_value_roundtrip(void) {
    size_t i;
    int indent;
    for (i = 0; i <= sizeof builtin_yes / sizeof builtin_yes[0]; i++) {
        const char *src = i < sizeof builtin_yes / sizeof builtin_yes[0] ? builtin_yes[i] : alloc_doc_text();
        for (indent = 0; indent <= 2; indent += 2) {
            llmspell_json_writer_options o;
            llmspell_json_writer *w;
            llmspell_json_doc *a = parse_ok(__FILE__, __LINE__, src, strlen(src), 0), *b;
            sbuf ca = {0, 0, 0}, cb = {0, 0, 0};
            size_t n;
            const char *text;
            if (!a) continue;
            memset(&o, 0, sizeof o);
            o.indent = indent;
            REQUIRE_RC(llmspell_json_writer_open_buffer(&w, &o), LLMSPELL_OK);
            CHECK_RC(llmspell_json_write_value(w, llmspell_json_doc_root(a)), LLMSPELL_OK);
            CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
            text = llmspell_json_writer_data(w, &n);
            b = parse_ok(__FILE__, __LINE__, text, n, 0);
            if (b) {
                canon_dom(llmspell_json_doc_root(a), &ca);
                canon_dom(llmspell_json_doc_root(b), &cb);
                CHECK(ca.n == cb.n && !memcmp(ca.p, cb.p, ca.n), "'%.40s' changed through write_value: '%.60s'", src, text);
            }
            llmspell_json_doc_free(a);
            llmspell_json_doc_free(b);
            llmspell_json_writer_free(w);
            free(ca.p);
            free(cb.p);
        }
    }
}

/* A large base64 value through a 64-byte staging buffer, one-shot and in odd pieces. */
static void test_writer_large_base64(void) {
    size_t n = 100003, i, enc_n = llmspell_b64_encoded_len(n), k;
    unsigned char *data = (unsigned char *)malloc(n);
    char *enc = (char *)malloc(enc_n);
    llmspell_json_writer_options o;
    rng g = {5};
    int mode;
    REQUIRE(data && enc, "malloc");
    for (i = 0; i < n; i++) data[i] = (unsigned char)rng_next(&g);
    llmspell_b64_encode_with(LLMSPELL_B64_SCALAR, enc, data, n, &k);
    memset(&o, 0, sizeof o);
    o.buffer_size = 64;
    for (mode = 0; mode < 2; mode++) {
        sinkbuf sk;
        llmspell_json_writer *w;
        memset(&sk, 0, sizeof sk);
        REQUIRE_RC(llmspell_json_writer_open_sink(&w, sink_collect, &sk, &o), LLMSPELL_OK);
        if (mode == 0) {
            CHECK_RC(llmspell_json_base64(w, data, n), LLMSPELL_OK);
        } else {
            llmspell_json_base64_begin(w);
            for (i = 0; i < n; i += k) {
                k = 1 + rng_below(&g, 200);
                if (k > n - i) k = n - i;
                CHECK_RC(llmspell_json_base64_append(w, data + i, k), LLMSPELL_OK);
            }
            CHECK_RC(llmspell_json_base64_end(w), LLMSPELL_OK);
        }
        CHECK_RC(llmspell_json_writer_finish(w), LLMSPELL_OK);
        CHECK(sk.b.n == enc_n + 2 && sk.b.p[0] == '"' && sk.b.p[enc_n + 1] == '"' && !memcmp(sk.b.p + 1, enc, enc_n),
              "mode %d: base64 through the sink differs", mode);
        CHECK(sk.maxpiece <= 64, "piece of %zu bytes", sk.maxpiece);
        llmspell_json_writer_free(w);
        free(sk.b.p);
    }
    free(data);
    free(enc);
}

/* ------------------------------------------------------------------------------------------ */
/* >>e. streaming                                                                              */

/* An export-like document: {"version":"1.0","data":{"kv_store":[{id, metadata, embedding}...],
   "other":{...}}} written through a sink, so no reader ever sees it whole. */
static void make_export(sbuf *out, int records, int dim) {
    llmspell_json_writer *w;
    sinkbuf sk;
    float *v = (float *)malloc((size_t)dim * sizeof *v);
    int i, k;
    memset(&sk, 0, sizeof sk);
    if (!v || llmspell_json_writer_open_sink(&w, sink_collect, &sk, NULL) != LLMSPELL_OK) abort();
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("version"));
    llmspell_json_string(w, S("1.0"));
    llmspell_json_key(w, S("data"));
    llmspell_json_object_begin(w);
    llmspell_json_key(w, S("other"));
    llmspell_json_raw(w, S("{\"x\":[1,2,{\"y\":null}],\"z\":\"skip me\"}"));
    llmspell_json_key(w, S("kv_store"));
    llmspell_json_array_begin(w);
    for (i = 0; i < records; i++) {
        char id[32];
        for (k = 0; k < dim; k++) v[k] = (float)(i * 0.5 + k);
        snprintf(id, sizeof id, "rec-%d", i);
        llmspell_json_object_begin(w);
        llmspell_json_key(w, S("id"));
        llmspell_json_string(w, id, LLMSPELL_JSON_STRLEN);
        llmspell_json_key(w, S("metadata"));
        llmspell_json_object_begin(w);
        llmspell_json_key(w, S("n"));
        llmspell_json_int(w, i);
        llmspell_json_key(w, S("tag"));
        llmspell_json_string(w, S("caf\xC3\xA9"));
        llmspell_json_object_end(w);
        llmspell_json_key(w, S("embedding"));
        llmspell_json_base64(w, v, (size_t)dim * sizeof *v);
        llmspell_json_object_end(w);
    }
    llmspell_json_array_end(w);
    llmspell_json_object_end(w);
    llmspell_json_object_end(w);
    if (llmspell_json_writer_finish(w) != LLMSPELL_OK) abort();
    llmspell_json_writer_free(w);
    free(v);
    *out = sk.b;
}

static void test_stream_records_bounded(void) {
    sbuf doc;
    memsrc m;
    acount ac;
    llmspell_json_read_options o;
    llmspell_json_reader *r;
    llmspell_json_token t;
    llmspell_json_doc *rec;
    int n = 0, records = 2000, dim = 1536;
    float *v = (float *)malloc((size_t)dim * sizeof *v);
    make_export(&doc, records, dim);
    REQUIRE(doc.n > (size_t)records * 8000, "document only %zu bytes", doc.n);
    memset(&ac, 0, sizeof ac);
    memset(&o, 0, sizeof o);
    o.allocator = ac_make(&ac);
    o.flags = LLMSPELL_JSON_REJECT_DUPLICATES;
    m.p = doc.p; m.n = doc.n; m.off = 0; m.step = 4096;
    REQUIRE_RC(llmspell_json_reader_open_source(&r, memsrc_read, &m, &o), LLMSPELL_OK);
    /* walk: { "version" ... "data" { "other" (skipped) "kv_store" [ records ] } } */
    REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    REQUIRE(t.event == LLMSPELL_JSON_EV_OBJECT_BEGIN, "begin");
    while (llmspell_json_next(r, &t) == LLMSPELL_OK && t.event == LLMSPELL_JSON_EV_KEY) {
        if (t.len == 4 && !memcmp(t.str, "data", 4)) {
            REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
            while (llmspell_json_next(r, &t) == LLMSPELL_OK && t.event == LLMSPELL_JSON_EV_KEY) {
                char path[64];
                if (t.len != 8 || memcmp(t.str, "kv_store", 8)) {
                    CHECK_RC(llmspell_json_skip(r), LLMSPELL_OK);
                    continue;
                }
                REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
                REQUIRE(t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN, "array");
                while (llmspell_json_read_value(r, &rec) == LLMSPELL_OK) {
                    const llmspell_json_value *root = llmspell_json_doc_root(rec), *e = llmspell_json_get(root, "embedding");
                    char id[32];
                    size_t ol = 0;
                    snprintf(id, sizeof id, "rec-%d", n);
                    CHECK(!strcmp(llmspell_json_get(root, "id")->u.str, id), "record %d id", n);
                    CHECK(llmspell_json_get(llmspell_json_get(root, "metadata"), "n")->i == n, "record %d n", n);
                    CHECK(e && llmspell_b64_decode(v, (size_t)dim * 4, e->u.str, e->len, &ol, NULL) == LLMSPELL_OK &&
                              ol == (size_t)dim * 4 && v[7] == (float)(n * 0.5 + 7),
                          "record %d embedding", n);
                    llmspell_json_doc_free(rec);
                    n++;
                }
                llmspell_json_reader_path(r, path, sizeof path);
                CHECK(!strcmp(path, "data.kv_store[1999]"), "path after the records: %s", path);
                REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
                CHECK(t.event == LLMSPELL_JSON_EV_ARRAY_END, "array end");
            }
        } else {
            CHECK_RC(llmspell_json_skip(r), LLMSPELL_OK);
        }
    }
    CHECK(t.event == LLMSPELL_JSON_EV_OBJECT_END, "object end");
    CHECK_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    CHECK(t.event == LLMSPELL_JSON_EV_END, "end");
    CHECK(n == records, "read %d records", n);
    /* memory: the read buffer, one embedding string and one record, never the document */
    CHECK(ac.peak < 200 * 1024, "peak %zu bytes for a %zu-byte document", ac.peak, doc.n);
    llmspell_json_reader_close(r);
    CHECK(ac.live == 0, "%ld allocations leaked", ac.live);
    free(doc.p);
    free(v);
}

static void test_stream_chunked_strings(void) {
    size_t big = 1 << 20, i, total = 0, pieces = 0, maxpiece = 0;
    sbuf doc = {0, 0, 0}, got = {0, 0, 0};
    char *s = (char *)malloc(big);
    memsrc m;
    llmspell_json_read_options o;
    llmspell_json_reader *r;
    llmspell_json_token t;
    llmspell_json_doc *d;
    rng g = {3};
    REQUIRE(s, "malloc");
    /* a 1 MiB string with escapes and multi-byte characters scattered through it */
    for (i = 0; i < big; i++) s[i] = (char)('a' + rng_below(&g, 26));
    sb_put(&doc, "[\"", 2);
    for (i = 0; i + 1000 <= big; i += 1000) {
        sb_put(&doc, s + i, 990);
        sb_put(&doc, "\\n\\u00e9\xE2\x82\xAC", 11);
    }
    sb_put(&doc, "\", 1]", 5);
    memset(&o, 0, sizeof o);
    o.buffer_size = 4096;
    o.flags = LLMSPELL_JSON_CHUNKED_STRINGS;
    o.max_string = 8192; /* pieces are limited, the whole string is not */
    m.p = doc.p; m.n = doc.n; m.off = 0; m.step = 1000;
    REQUIRE_RC(llmspell_json_reader_open_source(&r, memsrc_read, &m, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    do {
        REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
        REQUIRE(t.event == LLMSPELL_JSON_EV_STRING, "event %d", t.event);
        CHECK(t.offset == 1 && t.line == 1 && t.column == 2, "piece position %llu", (unsigned long long)t.offset);
        sb_put(&got, t.str, t.len);
        total += t.len;
        pieces++;
        if (t.len > maxpiece) maxpiece = t.len;
        CHECK(llmspell_json_utf8_valid(t.str, t.len, NULL), "piece %zu splits a character", pieces);
    } while (t.more);
    CHECK(pieces > 200 && maxpiece <= 4096 + 4, "%zu pieces, largest %zu", pieces, maxpiece);
    CHECK(total == big / 1000 * 996 && got.n == total, "total %zu", total);
    for (i = 0; i + 996 <= got.n; i += 996) {
        if (memcmp(got.p + i, s + i / 996 * 1000, 990) || memcmp(got.p + i + 990, "\n\xC3\xA9\xE2\x82\xAC", 6)) {
            CHECK(0, "content differs near %zu", i);
            break;
        }
    }
    REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    CHECK(t.event == LLMSPELL_JSON_EV_NUMBER && t.i == 1, "after the string");
    llmspell_json_reader_close(r);
    /* without chunking the same string is over max_string */
    o.flags = 0;
    m.off = 0;
    REQUIRE_RC(llmspell_json_reader_open_source(&r, memsrc_read, &m, &o), LLMSPELL_OK);
    CHECK_RC(llmspell_json_read_value(r, &d), LLMSPELL_ERR_TOO_LARGE);
    CHECK(llmspell_json_reader_error(r)->offset == 1, "error at the string start");
    llmspell_json_reader_close(r);
    /* read_value gathers pieces whole (up to max_string) */
    o.flags = LLMSPELL_JSON_CHUNKED_STRINGS;
    o.max_string = 0;
    m.off = 0;
    REQUIRE_RC(llmspell_json_reader_open_source(&r, memsrc_read, &m, &o), LLMSPELL_OK);
    REQUIRE_RC(llmspell_json_read_value(r, &d), LLMSPELL_OK);
    CHECK(llmspell_json_doc_root(d)->u.items[0].len == got.n &&
              !memcmp(llmspell_json_doc_root(d)->u.items[0].u.str, got.p, got.n), "gathered string");
    llmspell_json_doc_free(d);
    llmspell_json_reader_close(r);
    free(doc.p);
    free(got.p);
    free(s);
}

static void test_reader_api(void) {
    const char *text = "{\"a\": [1, \"two\", {\"b\": true}], \"c\": null}";
    llmspell_json_reader *r;
    llmspell_json_token t, p;
    char path[64];
    FILE *f;
    llmspell_json_doc *d;
    REQUIRE_RC(llmspell_json_reader_open_buffer(&r, text, strlen(text), NULL), LLMSPELL_OK);
    CHECK_RC(llmspell_json_skip(r), LLMSPELL_OK); /* the whole document */
    CHECK_RC(llmspell_json_peek(r, &p), LLMSPELL_OK);
    CHECK(p.event == LLMSPELL_JSON_EV_END, "end after skip");
    CHECK_RC(llmspell_json_skip(r), LLMSPELL_ERR_NOT_FOUND);
    llmspell_json_reader_close(r);
    REQUIRE_RC(llmspell_json_reader_open_buffer(&r, text, strlen(text), NULL), LLMSPELL_OK);
    llmspell_json_next(r, &t);
    CHECK_RC(llmspell_json_skip(r), LLMSPELL_ERR_NOT_FOUND); /* a key is not a value */
    llmspell_json_next(r, &t);
    CHECK(t.event == LLMSPELL_JSON_EV_KEY && t.len == 1 && t.str[0] == 'a' && t.depth == 1, "key a");
    CHECK_RC(llmspell_json_peek(r, &p), LLMSPELL_OK);
    CHECK_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
    CHECK(p.event == t.event && p.offset == t.offset && t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN && t.offset == 6,
          "peek = next");
    llmspell_json_next(r, &t);
    llmspell_json_reader_path(r, path, sizeof path);
    CHECK(!strcmp(path, "a[0]") && t.i == 1 && t.depth == 2, "path %s", path);
    CHECK_RC(llmspell_json_skip(r), LLMSPELL_OK); /* "two" */
    CHECK_RC(llmspell_json_read_value(r, &d), LLMSPELL_OK);
    CHECK(llmspell_json_get(llmspell_json_doc_root(d), "b")->b == 1, "read_value of {b:true}");
    llmspell_json_doc_free(d);
    CHECK_RC(llmspell_json_read_value(r, &d), LLMSPELL_ERR_NOT_FOUND); /* at ']' */
    CHECK(d == NULL, "doc on NOT_FOUND");
    llmspell_json_next(r, &t);
    CHECK(t.event == LLMSPELL_JSON_EV_ARRAY_END && t.depth == 1, "array end");
    llmspell_json_next(r, &t);
    CHECK(llmspell_json_reader_path(r, path, 3) == 1 && !strcmp(path, "c"), "path c");
    CHECK(llmspell_json_reader_path(r, NULL, 0) == 1, "path length");
    /* an importer's own error, at the last token with the path */
    CHECK_RC(llmspell_json_reader_fail(r, LLMSPELL_ERR_FORMAT, "field %s must not be %s", "c", "null"),
             LLMSPELL_ERR_FORMAT);
    CHECK(!strcmp(rmsg(r), "line 1, column 32: field c must not be null (at c)"), "%s",
          rmsg(r));
    CHECK_RC(llmspell_json_next(r, &t), LLMSPELL_ERR_FORMAT); /* sticky */
    llmspell_json_reader_close(r);
    /* FILE* reader with a tiny buffer and CRLF lines */
    f = tmpfile();
    REQUIRE(f, "tmpfile");
    fputs("[\r\n 1,\r\n 2,\r\n x]", f);
    rewind(f);
    {
        llmspell_json_read_options o;
        memset(&o, 0, sizeof o);
        o.buffer_size = 64;
        REQUIRE_RC(llmspell_json_reader_open_file(&r, f, &o), LLMSPELL_OK);
        CHECK_RC(llmspell_json_read_value(r, &d), LLMSPELL_ERR_PARSE);
        CHECK(llmspell_json_reader_error(r)->line == 4 && llmspell_json_reader_error(r)->column == 2,
              "%s", rmsg(r));
        llmspell_json_reader_close(r);
    }
    fclose(f);
    CHECK_RC(llmspell_json_reader_open_file(&r, NULL, NULL), LLMSPELL_ERR_INVALID);
    CHECK_RC(llmspell_json_reader_open_buffer(&r, NULL, 5, NULL), LLMSPELL_ERR_INVALID);
}

/* One document reused: parse_into / read_value_into recycle its memory. */
static void test_doc_reuse(void) {
    acount ac;
    llmspell_allocator al;
    llmspell_json_doc *d;
    llmspell_json_error err;
    llmspell_json_reader *r;
    llmspell_json_read_options o;
    sbuf doc;
    memsrc m;
    long allocs_after_first = 0;
    int n = 0;
    size_t mem;
    memset(&ac, 0, sizeof ac);
    al = ac_make(&ac);
    REQUIRE_RC(llmspell_json_doc_new(&al, &d), LLMSPELL_OK);
    CHECK(llmspell_json_doc_root(d)->type == LLMSPELL_JSON_NULL, "new doc is null");
    REQUIRE_RC(llmspell_json_parse_into(d, S("{\"a\":[1,2,3],\"b\":\"x\"}"), NULL, &err), LLMSPELL_OK);
    CHECK(llmspell_json_get(llmspell_json_doc_root(d), "a")->len == 3, "first tree");
    mem = llmspell_json_doc_memory(d);
    REQUIRE_RC(llmspell_json_parse_into(d, S("[\"y\", {\"c\": null}]"), NULL, &err), LLMSPELL_OK);
    CHECK(llmspell_json_doc_root(d)->type == LLMSPELL_JSON_ARRAY && !strcmp(llmspell_json_doc_root(d)->u.items[0].u.str, "y"),
          "second tree");
    CHECK(llmspell_json_doc_memory(d) == mem, "memory grew from %zu to %zu", mem, llmspell_json_doc_memory(d));
    CHECK_RC(llmspell_json_parse_into(d, S("[1,"), NULL, &err), LLMSPELL_ERR_PARSE);
    CHECK(llmspell_json_doc_root(d)->type == LLMSPELL_JSON_NULL && err.code == LLMSPELL_ERR_PARSE, "empty after an error");
    REQUIRE_RC(llmspell_json_parse_into(d, S("7"), NULL, &err), LLMSPELL_OK);
    CHECK(llmspell_json_doc_root(d)->i == 7, "usable after an error");
    /* records of an export, one doc for all: no allocation once the first records are in */
    make_export(&doc, 300, 64);
    memset(&o, 0, sizeof o);
    o.allocator = al;
    m.p = doc.p; m.n = doc.n; m.off = 0; m.step = 777;
    REQUIRE_RC(llmspell_json_reader_open_source(&r, memsrc_read, &m, &o), LLMSPELL_OK);
    {
        llmspell_json_token t;
        while (llmspell_json_next(r, &t) == LLMSPELL_OK && t.event != LLMSPELL_JSON_EV_END)
            if (t.event == LLMSPELL_JSON_EV_KEY && t.len == 8 && !memcmp(t.str, "kv_store", 8)) break;
        REQUIRE_RC(llmspell_json_next(r, &t), LLMSPELL_OK);
        REQUIRE(t.event == LLMSPELL_JSON_EV_ARRAY_BEGIN, "records array");
    }
    while (llmspell_json_read_value_into(r, d) == LLMSPELL_OK) {
        char id[32];
        snprintf(id, sizeof id, "rec-%d", n);
        CHECK(!strcmp(llmspell_json_get(llmspell_json_doc_root(d), "id")->u.str, id), "record %d", n);
        if (++n == 10) allocs_after_first = ac.allocs;
    }
    CHECK(n == 300, "%d records", n);
    CHECK(ac.allocs == allocs_after_first, "%ld allocations after the tenth record", ac.allocs - allocs_after_first);
    CHECK(llmspell_json_doc_root(d)->type == LLMSPELL_JSON_NULL, "NOT_FOUND leaves the doc empty");
    llmspell_json_reader_close(r);
    llmspell_json_doc_free(d);
    CHECK(ac.live == 0, "%ld leaked", ac.live);
    free(doc.p);
    /* allocation failure inside parse_into: NOMEM, the doc stays usable, nothing leaks */
    {
        long k;
        for (k = 1; k < 200; k++) {
            llmspell_result rc;
            memset(&ac, 0, sizeof ac);
            REQUIRE_RC(llmspell_json_doc_new(&al, &d), LLMSPELL_OK);
            ac.fail_at = k;
            memset(&o, 0, sizeof o);
            o.allocator = al;
            rc = llmspell_json_parse_into(d, alloc_doc_text(), strlen(alloc_doc_text()), &o, &err);
            CHECK(rc == LLMSPELL_OK || rc == LLMSPELL_ERR_NOMEM, "fail at %ld: %s", k, rc_name(rc));
            ac.fail_at = 0;
            CHECK_RC(llmspell_json_parse_into(d, alloc_doc_text(), strlen(alloc_doc_text()), &o, &err), LLMSPELL_OK);
            llmspell_json_doc_free(d);
            CHECK(ac.live == 0, "fail at %ld: %ld leaked", k, ac.live);
            if (rc == LLMSPELL_OK) break;
        }
        CHECK(k > 3 && k < 200, "%ld allocation points", k);
    }
}

/* The UTF-8 check, its SIMD path against a byte-by-byte reference (llmspell__ex_utf8): every
   pair of bytes and every lead with two following bytes from a set of edge values, at each
   position of a block and across block boundaries, and random mixes of valid and broken text. */
static int utf8_reference(const unsigned char *p, size_t n, size_t *bad) {
    size_t i = 0;
    while (i < n) {
        int k = llmspell__ex_utf8(p + i, n - i);
        if (k <= 0) {
            *bad = i;
            return 0;
        }
        i += (size_t)k;
    }
    return 1;
}

static void utf8_agree(const unsigned char *p, size_t n, long *checked) {
    size_t bad_ref = 0, bad = 0;
    int ref = utf8_reference(p, n, &bad_ref), got = llmspell_json_utf8_valid(p, n, &bad);
    (*checked)++;
    if (ref != got || (!ref && bad != bad_ref)) {
        char hex[200];
        size_t i, o = 0;
        for (i = 0; i < n && o + 4 < sizeof hex; i++) o += (size_t)snprintf(hex + o, sizeof hex - o, "%02X ", p[i]);
        CHECK(0, "utf8_valid says %d (bad at %zu), the reference %d (at %zu): %s", got, bad, ref, bad_ref, hex);
    }
}

static void test_utf8_simd_vs_reference(void) {
    static const unsigned char edge[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                                         0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    unsigned char buf[64];
    long checked = 0;
    unsigned a, b, c, pos;
    rng g = {99};
    int r;
    for (pos = 12; pos < 20; pos++) /* every pair, around the first block boundary */
        for (a = 0; a < 256; a++)
            for (b = 0; b < 256; b++) {
                memset(buf, 'a', sizeof buf);
                buf[pos] = (unsigned char)a;
                buf[pos + 1] = (unsigned char)b;
                utf8_agree(buf, 40, &checked);
            }
    for (pos = 0; pos < 34; pos++) /* leads with two more bytes, everywhere, and cut by the end */
        for (a = 0xC0; a < 256; a++)
            for (b = 0; b < sizeof edge; b++)
                for (c = 0; c < sizeof edge; c++) {
                    memset(buf, 'a', sizeof buf);
                    buf[pos] = (unsigned char)a;
                    buf[pos + 1] = edge[b];
                    buf[pos + 2] = edge[c];
                    buf[pos + 3] = 0x80;
                    utf8_agree(buf, 36, &checked);
                }
    for (r = 0; r < 200000; r++) { /* valid text with a few random bytes */
        size_t n = 0, want = rng_below(&g, 60);
        while (n < want) {
            static const char *const forms[] = {"a", "\xC3\xA9", "\xE3\x81\x82", "\xF0\x9F\x98\x80", "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF"};
            const char *f = forms[rng_below(&g, 6)];
            size_t k = strlen(f);
            if (n + k > want) break;
            memcpy(buf + n, f, k);
            n += k;
        }
        if (n && rng_below(&g, 3) == 0) buf[rng_below(&g, (unsigned)n)] = (unsigned char)rng_next(&g);
        utf8_agree(buf, n, &checked);
    }
    printf("note: utf8: %ld inputs, the SIMD path %s\n", checked, llmspell__ex_has_ssse3((size_t)-1) ? "on" : "off (not this CPU or build)");
}

/* A fresh document parsed from more than 2 KiB first reserves one block of four times the
   input; an allocator that refuses so much gets the same tree from small blocks, no error. */
static void test_dom_first_block_refused(void) {
    acount ac;
    llmspell_json_read_options o;
    llmspell_json_doc *a = NULL, *b = NULL;
    llmspell_json_error err;
    sbuf doc, ca = {0, 0, 0}, cb = {0, 0, 0};
    make_export(&doc, 40, 64);
    REQUIRE(doc.n > 2048, "a %zu-byte document", doc.n);
    memset(&ac, 0, sizeof ac);
    ac.max_size = doc.n * 2; /* the text region (the input and a little) fits, four times does not */
    memset(&o, 0, sizeof o);
    o.allocator = ac_make(&ac);
    CHECK_RC(llmspell_json_parse(doc.p, doc.n, &o, &a, &err), LLMSPELL_OK);
    CHECK_RC(llmspell_json_parse(doc.p, doc.n, NULL, &b, &err), LLMSPELL_OK);
    if (a && b) {
        canon_dom(llmspell_json_doc_root(a), &ca);
        canon_dom(llmspell_json_doc_root(b), &cb);
        CHECK(ca.n == cb.n && !memcmp(ca.p, cb.p, ca.n), "the trees differ");
        CHECK(llmspell_json_doc_memory(a) < llmspell_json_doc_memory(b), "no smaller: %zu vs %zu bytes",
              llmspell_json_doc_memory(a), llmspell_json_doc_memory(b));
    }
    llmspell_json_doc_free(a);
    llmspell_json_doc_free(b);
    CHECK(ac.live == 0, "%ld leaked", ac.live);
    free(ca.p);
    free(cb.p);
    free(doc.p);
}

/* ------------------------------------------------------------------------------------------ */
/* >>f. base64                                                                                 */

static const llmspell_b64_impl all_impls[] = {LLMSPELL_B64_SCALAR, LLMSPELL_B64_TABLE, LLMSPELL_B64_SSSE3,
                                              LLMSPELL_B64_AUTO};

static int impl_available(llmspell_b64_impl impl) {
    char o[8];
    return llmspell_b64_encode_with(impl, o, "a", 1, NULL) == LLMSPELL_OK;
}

static void test_base64_rfc4648(void) {
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const enc[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    size_t i, k;
    CHECK(impl_available(LLMSPELL_B64_SCALAR) && impl_available(LLMSPELL_B64_TABLE), "portable impls");
    CHECK(llmspell_b64_best() == LLMSPELL_B64_SSSE3 || !impl_available(LLMSPELL_B64_SSSE3), "best");
    for (k = 0; k < sizeof all_impls / sizeof all_impls[0]; k++) {
        if (!impl_available(all_impls[k])) continue;
        for (i = 0; i < 7; i++) {
            char out[16];
            unsigned char dec[16];
            size_t n, m, pos;
            CHECK_RC(llmspell_b64_encode_with(all_impls[k], out, plain[i], strlen(plain[i]), &n), LLMSPELL_OK);
            CHECK(n == strlen(enc[i]) && !memcmp(out, enc[i], n), "%s: encode '%s'", llmspell_b64_impl_name(all_impls[k]), plain[i]);
            CHECK_RC(llmspell_b64_decode_with(all_impls[k], dec, sizeof dec, enc[i], strlen(enc[i]), &m, &pos), LLMSPELL_OK);
            CHECK(m == strlen(plain[i]) && !memcmp(dec, plain[i], m), "%s: decode '%s'", llmspell_b64_impl_name(all_impls[k]), enc[i]);
        }
    }
    CHECK(llmspell_b64_encoded_len(0) == 0 && llmspell_b64_encoded_len(1) == 4 && llmspell_b64_encoded_len(3) == 4 &&
              llmspell_b64_encoded_len(4) == 8 && llmspell_b64_encoded_len((size_t)-1) == (size_t)-1,
          "encoded_len");
    CHECK(llmspell_b64_decoded_max(4) == 3 && llmspell_b64_decoded_max(5) == 6, "decoded_max");
}

static void test_base64_strict_failures(void) {
    static const struct { const char *in; size_t pos; } bad[] = {
        {"Zg=", 3},        /* missing padding */
        {"Zg", 2},         /* no padding at all */
        {"Z", 1},          /* truncated */
        {"Zh==", 2},       /* non-zero pad bits (h = 33: low 4 bits set): at the '=' */
        {"Zm9=", 3},       /* non-zero pad bits (9 = 61: low 2 bits set) */
        {"Zg=a", 3},       /* character after a single '=' */
        {"Z===", 1},       /* '=' too early */
        {"====", 0},
        {"Zg==Zg==", 4},   /* data after padding */
        {"Zm9v\nYmFy", 4}, /* whitespace is not allowed */
        {"Zm9v YmFy", 4},
        {"Zm9vYmF-", 7},   /* URL-safe alphabet is not this one */
        {"Zm9vYmF_", 7},
        {"Zm9v*mFy", 4},
        {"Zm\x80vYmFy", 2},
        {"Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYm!y", 46}, /* past the SIMD blocks */
        {"Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYm!yZm9vYmFyZm9vYmFy", 30}, /* inside a SIMD block */
        {"Zm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9vYmFyZm9=YmFyZm9vYmFy", 59},
    };
    size_t i, k;
    for (k = 0; k < sizeof all_impls / sizeof all_impls[0]; k++) {
        if (!impl_available(all_impls[k])) continue;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            unsigned char out[128];
            size_t n, pos = 999;
            CHECK_RC(llmspell_b64_decode_with(all_impls[k], out, sizeof out, bad[i].in, strlen(bad[i].in), &n, &pos),
                     LLMSPELL_ERR_PARSE);
            CHECK(pos == bad[i].pos, "%s: '%s' error at %zu, expected %zu", llmspell_b64_impl_name(all_impls[k]),
                  bad[i].in, pos, bad[i].pos);
        }
    }
    /* output too small: the needed size */
    {
        unsigned char out[2];
        size_t n = 0;
        CHECK_RC(llmspell_b64_decode(out, sizeof out, "Zm9v", 4, &n, NULL), LLMSPELL_ERR_TOO_LARGE);
        CHECK(n == 3, "needed %zu", n);
        CHECK_RC(llmspell_b64_decode(out, sizeof out, "Zm8=", 4, &n, NULL), LLMSPELL_OK);
    }
}

/* Random differential: every implementation and the streaming decoder against the reference. */
static void test_base64_differential(void) {
    rng g = {99};
    int iter, bad = 0;
    size_t maxn = 3000;
    unsigned char *src = (unsigned char *)malloc(maxn), *ref = (unsigned char *)malloc(maxn + 64),
                  *got = (unsigned char *)malloc(maxn + 64);
    char *enc = (char *)malloc(maxn * 2), *enc2 = (char *)malloc(maxn * 2);
    REQUIRE(src && ref && got && enc && enc2, "malloc");
    for (iter = 0; iter < 20000 && bad < 5; iter++) {
        size_t n = iter < 200 ? (size_t)iter : rng_below(&g, iter % 10 ? 200 : (unsigned)maxn), m, i, k;
        size_t rlen, rpos, glen, gpos;
        llmspell_result rrc, grc;
        for (i = 0; i < n; i++) src[i] = (unsigned char)rng_next(&g);
        llmspell_b64_encode_with(LLMSPELL_B64_SCALAR, enc, src, n, &m);
        for (k = 0; k < sizeof all_impls / sizeof all_impls[0]; k++) {
            size_t m2;
            if (!impl_available(all_impls[k])) continue;
            llmspell_b64_encode_with(all_impls[k], enc2, src, n, &m2);
            if (m2 != m || memcmp(enc, enc2, m)) {
                bad++;
                CHECK(0, "%s encode differs (n=%zu)", llmspell_b64_impl_name(all_impls[k]), n);
            }
        }
        /* corrupt half of the inputs: a stray byte, '=', whitespace, truncation, extra chars */
        if (iter % 2 && m) {
            switch (rng_below(&g, 5)) {
            case 0: enc[rng_below(&g, (unsigned)m)] = (char)rng_next(&g); break;
            case 1: enc[rng_below(&g, (unsigned)m)] = '='; break;
            case 2: enc[rng_below(&g, (unsigned)m)] = "\n \t\r"[rng_below(&g, 4)]; break;
            case 3: m -= 1 + rng_below(&g, (unsigned)(m < 3 ? m : 3)); break;
            default: enc[m++] = "A=/"[rng_below(&g, 3)]; break;
            }
        }
        rrc = llmspell_b64_decode_with(LLMSPELL_B64_SCALAR, ref, maxn + 64, enc, m, &rlen, &rpos);
        CHECK(iter % 2 || (rrc == LLMSPELL_OK && rlen == n && !memcmp(ref, src, n)), "reference decode");
        for (k = 1; k < sizeof all_impls / sizeof all_impls[0]; k++) {
            if (!impl_available(all_impls[k])) continue;
            memset(got, 0, maxn + 64);
            grc = llmspell_b64_decode_with(all_impls[k], got, maxn + 64, enc, m, &glen, &gpos);
            if (grc != rrc || (rrc == LLMSPELL_OK && (glen != rlen || memcmp(got, ref, rlen))) ||
                (rrc == LLMSPELL_ERR_PARSE && gpos != rpos)) {
                bad++;
                CHECK(0, "%s: %s len %zu pos %zu, reference %s len %zu pos %zu (m=%zu)",
                      llmspell_b64_impl_name(all_impls[k]), rc_name(grc), glen, gpos, rc_name(rrc), rlen, rpos, m);
            }
        }
        /* streaming decoder over random pieces */
        {
            llmspell_b64_decoder d;
            size_t off = 0, w = 0, piece;
            uint64_t epos = 0;
            llmspell_result src_rc = LLMSPELL_OK;
            llmspell_b64_decoder_init(&d);
            while (off < m && src_rc == LLMSPELL_OK) {
                piece = 1 + rng_below(&g, 70);
                if (piece > m - off) piece = m - off;
                src_rc = llmspell_b64_decoder_update(&d, got + w, maxn + 64 - w, enc + off, piece, &glen, &epos);
                w += glen;
                off += piece;
            }
            if (src_rc == LLMSPELL_OK) src_rc = llmspell_b64_decoder_finish(&d, &epos);
            if (src_rc != rrc || (rrc == LLMSPELL_OK && (w != rlen || memcmp(got, ref, rlen))) ||
                (rrc == LLMSPELL_ERR_PARSE && epos != rpos)) {
                bad++;
                CHECK(0, "stream: %s pos %llu, reference %s pos %zu (m=%zu)", rc_name(src_rc), (unsigned long long)epos,
                      rc_name(rrc), rpos, m);
            }
        }
    }
    free(src);
    free(ref);
    free(got);
    free(enc);
    free(enc2);
}

/* ------------------------------------------------------------------------------------------ */
/* >>g. allocation failure                                                                     */

static const char *alloc_doc =
    "{\"version\":\"1.0\",\"data\":{\"kv_store\":[{\"kv_id\":\"a\",\"key\":\"k\\u00e9\",\"value\":\"AAEC\","
    "\"metadata\":null,\"n\":[1,2.5,-3e10,true,false]},{\"kv_id\":\"b\",\"x\":{\"y\":{\"z\":[[],{}]}}}],"
    "\"k01\":1,\"k02\":2,\"k03\":3,\"k04\":4,\"k05\":5,\"k06\":6,\"k07\":7,\"k08\":8,\"k09\":9,\"k10\":10,"
    "\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,\"k15\":15,\"k16\":16,\"k17\":17,\"k18\":18,\"long\":"
    "\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"}}";

static const char *alloc_doc_text(void) { return alloc_doc; }

static void test_alloc_failure_dom(void) {
    long n;
    int mode, succeeded = 0;
    for (mode = 0; mode < 2; mode++) {
        for (n = 1; n < 500; n++) {
            acount ac;
            llmspell_json_read_options o;
            llmspell_json_doc *doc = NULL;
            llmspell_json_error err;
            llmspell_result rc;
            memset(&ac, 0, sizeof ac);
            ac.fail_at = n;
            memset(&o, 0, sizeof o);
            o.allocator = ac_make(&ac);
            o.flags = LLMSPELL_JSON_REJECT_DUPLICATES;
            if (mode == 0) {
                rc = llmspell_json_parse(alloc_doc, strlen(alloc_doc), &o, &doc, &err);
            } else { /* streaming from a source with a small buffer, one record at a time */
                memsrc m;
                llmspell_json_reader *r;
                m.p = alloc_doc; m.n = strlen(alloc_doc); m.off = 0; m.step = 13;
                o.buffer_size = 64;
                rc = llmspell_json_reader_open_source(&r, memsrc_read, &m, &o);
                if (rc == LLMSPELL_OK) {
                    rc = llmspell_json_read_value(r, &doc);
                    llmspell_json_reader_close(r);
                }
            }
            if (rc == LLMSPELL_OK) {
                CHECK(llmspell_json_get(llmspell_json_get(llmspell_json_doc_root(doc), "data"), "k18")->i == 18,
                      "mode %d n %ld: wrong document", mode, n);
                llmspell_json_doc_free(doc);
                CHECK(ac.live == 0, "mode %d: %ld leaked after success", mode, ac.live);
                succeeded = 1;
                break;
            }
            CHECK(rc == LLMSPELL_ERR_NOMEM, "mode %d: allocation %ld failed gave %s", mode, n, rc_name(rc));
            CHECK(doc == NULL, "doc set on failure");
            CHECK(mode || err.code == LLMSPELL_ERR_NOMEM, "err.code %s", rc_name(err.code));
            CHECK(ac.live == 0, "mode %d: allocation %ld failed, %ld allocations leaked", mode, n, ac.live);
        }
        CHECK(n > 5 && n < 500, "mode %d: %ld allocation points", mode, n);
    }
    CHECK(succeeded, "never succeeded");
}

static void test_alloc_failure_writer(void) {
    long n;
    int pretty;
    for (pretty = 0; pretty < 2; pretty++) {
        for (n = 1; n < 500; n++) {
            acount ac;
            llmspell_json_writer_options o;
            llmspell_json_writer *w = NULL;
            llmspell_result rc;
            int i;
            memset(&ac, 0, sizeof ac);
            ac.fail_at = n;
            memset(&o, 0, sizeof o);
            o.allocator = ac_make(&ac);
            o.indent = pretty ? 2 : 0;
            o.max_depth = 4096;
            rc = llmspell_json_writer_open_buffer(&w, &o);
            if (rc == LLMSPELL_OK) {
                /* deep enough to grow the level stack, long enough to grow the buffer */
                for (i = 0; i < 100 && rc == LLMSPELL_OK; i++) rc = llmspell_json_array_begin(w);
                for (i = 0; i < 100 && rc == LLMSPELL_OK; i++) rc = llmspell_json_array_end(w);
                if (rc == LLMSPELL_OK) {
                    llmspell_json_writer_free(w);
                    rc = llmspell_json_writer_open_buffer(&w, &o);
                }
                if (rc == LLMSPELL_OK) rc = write_sample(w);
                if (rc == LLMSPELL_OK) check_sample(__FILE__, __LINE__, llmspell_json_writer_data(w, NULL),
                                                    llmspell_json_writer_bytes(w));
            }
            CHECK(rc == LLMSPELL_OK || rc == LLMSPELL_ERR_NOMEM, "allocation %ld failed gave %s", n, rc_name(rc));
            CHECK(rc == LLMSPELL_OK || !w || llmspell_json_writer_error(w)->code == LLMSPELL_ERR_NOMEM, "error code");
            llmspell_json_writer_free(w);
            CHECK(ac.live == 0, "allocation %ld failed, %ld allocations leaked", n, ac.live);
            if (rc == LLMSPELL_OK) break;
        }
        CHECK(n > 3 && n < 500, "%ld allocation points", n);
    }
}

/* ------------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    if (argc > 1) {
        suite_dir = argv[1];
        RUN(test_suite_files);
    }
    RUN(test_builtin_cases);
    RUN(test_deep_nesting);
    RUN(test_named_numbers);
    RUN(test_bad_strings_and_bom);
    RUN(test_options);
    RUN(test_error_positions);
    RUN(test_number_parsing_vs_strtod);
    RUN(test_double_roundtrip_random);
    RUN(test_double_text_and_refusals);
    RUN(test_int64_edges);
    RUN(test_writer_roundtrip);
    RUN(test_writer_ascii_only);
    RUN(test_writer_rejects_bad_utf8);
    RUN(test_utf8_simd_vs_reference);
    RUN(test_writer_misuse);
    RUN(test_write_value_roundtrip);
    RUN(test_writer_large_base64);
    RUN(test_stream_records_bounded);
    RUN(test_stream_chunked_strings);
    RUN(test_reader_api);
    RUN(test_doc_reuse);
    RUN(test_dom_first_block_refused);
    RUN(test_base64_rfc4648);
    RUN(test_base64_strict_failures);
    RUN(test_base64_differential);
    RUN(test_alloc_failure_dom);
    RUN(test_alloc_failure_writer);
    return harness_exit();
}
