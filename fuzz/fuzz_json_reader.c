/* fuzz_json_reader.c - differential fuzzing of the JSON reader of llmspell_export.h.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/fuzz_json_reader.c -o build/fuzz_json_reader

   Input: byte 0 selects reader options (flags, a small depth limit, a small string limit),
   the rest is the JSON text. The same text is read by
     A. the DOM parser (llmspell_json_parse: its fast path, the reader for what that refuses),
        walked into an event list;
     B. the pull reader over the buffer;
     C. the pull reader over a source that gives 1 byte per call (buffer_size 64);
     D. the pull reader over a source that gives 1..13 bytes per call (buffer_size 64..127),
        optionally with LLMSPELL_JSON_CHUNKED_STRINGS (pieces are joined before comparing);
     E. llmspell_json_read_value on a 1-byte source reader, then EV_END expected.
   All must agree on accept/reject and the result code; on success the event streams (event,
   string bytes, number text / is_int / i / bits of d, bool) must be identical; on failure
   the error offset, line and column must be identical.
   Known differences found by this target are saved in fuzz/crashes/ (see same_outcome). */
#define LLMSPELL_KV_IMPLEMENTATION
#define LLMSPELL_EXPORT_IMPLEMENTATION
#include "llmspell_kv.h"
#include "llmspell_export.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                              \
    do {                                                                                      \
        if (!(c)) {                                                                           \
            fprintf(stderr, "fuzz_json_reader: check failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* ---- an event stream serialised into a growing byte buffer ---- */
typedef struct ev_buf {
    unsigned char *p;
    size_t n, cap;
} ev_buf;

static void eb_add(ev_buf *b, const void *s, size_t n) {
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 256;
        while (c < b->n + n) c *= 2;
        b->p = (unsigned char *)realloc(b->p, c);
        CHECK(b->p);
        b->cap = c;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
}
static void eb_u64(ev_buf *b, uint64_t v) { eb_add(b, &v, sizeof v); }
static void eb_ev(ev_buf *b, int ev) { unsigned char c = (unsigned char)ev; eb_add(b, &c, 1); }
static void eb_str(ev_buf *b, const char *s, size_t n) { eb_u64(b, n); eb_add(b, s, n); }
static void eb_num(ev_buf *b, const char *s, size_t n, int is_int, int64_t i, double d) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    eb_str(b, s, n);
    eb_u64(b, (uint64_t)(is_int != 0));
    eb_u64(b, is_int ? (uint64_t)i : 0);
    eb_u64(b, bits);
}

/* ---- DOM walk ---- */
static void dom_walk(ev_buf *b, const llmspell_json_value *v) {
    size_t i;
    switch (v->type) {
    case LLMSPELL_JSON_NULL: eb_ev(b, LLMSPELL_JSON_EV_NULL); break;
    case LLMSPELL_JSON_BOOL: eb_ev(b, LLMSPELL_JSON_EV_BOOL); eb_u64(b, v->b); break;
    case LLMSPELL_JSON_NUMBER:
        eb_ev(b, LLMSPELL_JSON_EV_NUMBER);
        CHECK(v->u.str[v->len] == 0);
        eb_num(b, v->u.str, v->len, v->is_int, v->i, v->d);
        break;
    case LLMSPELL_JSON_STRING:
        eb_ev(b, LLMSPELL_JSON_EV_STRING);
        CHECK(v->u.str[v->len] == 0);
        eb_str(b, v->u.str, v->len);
        break;
    case LLMSPELL_JSON_ARRAY:
        eb_ev(b, LLMSPELL_JSON_EV_ARRAY_BEGIN);
        for (i = 0; i < v->len; i++) {
            CHECK(llmspell_json_at(v, i) == &v->u.items[i]);
            dom_walk(b, &v->u.items[i]);
        }
        CHECK(llmspell_json_at(v, v->len) == NULL);
        eb_ev(b, LLMSPELL_JSON_EV_ARRAY_END);
        break;
    case LLMSPELL_JSON_OBJECT:
        eb_ev(b, LLMSPELL_JSON_EV_OBJECT_BEGIN);
        for (i = 0; i < v->len; i++) {
            const llmspell_json_member *m = &v->u.members[i];
            CHECK(m->key[m->klen] == 0);
            eb_ev(b, LLMSPELL_JSON_EV_KEY);
            eb_str(b, m->key, m->klen);
            /* getn finds a member with this key (the last duplicate) */
            CHECK(llmspell_json_getn(v, m->key, m->klen) != NULL);
            dom_walk(b, &m->value);
        }
        eb_ev(b, LLMSPELL_JSON_EV_OBJECT_END);
        break;
    default: CHECK(0);
    }
}

/* ---- sources ---- */
typedef struct src_state {
    const uint8_t *p;
    size_t n, pos;
    uint32_t rng; /* 0: one byte per call */
} src_state;

static llmspell_result src_read(void *user, void *buf, size_t cap, size_t *got) {
    src_state *s = (src_state *)user;
    size_t k = 1;
    if (s->rng) {
        s->rng = s->rng * 1103515245u + 12345u;
        k = 1 + (s->rng >> 16) % 13;
    }
    if (k > cap) k = cap;
    if (k > s->n - s->pos) k = s->n - s->pos;
    if (k) memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *got = k;
    return LLMSPELL_OK;
}

typedef struct outcome {
    llmspell_result code;
    uint64_t offset, line, column;
} outcome;

/* Pulls every event of r into b; chunked string pieces are joined. */
static outcome pull_all(llmspell_json_reader *r, ev_buf *b) {
    outcome o;
    llmspell_json_token t;
    ev_buf str = {0};
    int in_chunks = 0;
    memset(&o, 0, sizeof o);
    for (;;) {
        llmspell_result rc = llmspell_json_next(r, &t);
        if (rc != LLMSPELL_OK) {
            const llmspell_json_error *e = llmspell_json_reader_error(r);
            CHECK(e->code == rc);
            o.code = rc;
            o.offset = e->offset;
            o.line = e->line;
            o.column = e->column;
            /* errors are sticky */
            CHECK(llmspell_json_next(r, &t) == rc);
            break;
        }
        if (in_chunks) CHECK(t.event == LLMSPELL_JSON_EV_STRING);
        if (t.event == LLMSPELL_JSON_EV_END) {
            CHECK(llmspell_json_next(r, &t) == LLMSPELL_OK && t.event == LLMSPELL_JSON_EV_END);
            break;
        }
        switch (t.event) {
        case LLMSPELL_JSON_EV_STRING:
            eb_add(&str, t.str, t.len);
            if (t.more) { in_chunks = 1; continue; }
            in_chunks = 0;
            eb_ev(b, t.event);
            eb_str(b, (const char *)str.p, str.n);
            str.n = 0;
            break;
        case LLMSPELL_JSON_EV_KEY:
            CHECK(!t.more);
            eb_ev(b, t.event);
            eb_str(b, t.str, t.len);
            break;
        case LLMSPELL_JSON_EV_NUMBER:
            eb_ev(b, t.event);
            eb_num(b, t.str, t.len, t.is_int, t.i, t.d);
            break;
        case LLMSPELL_JSON_EV_BOOL: eb_ev(b, t.event); eb_u64(b, (uint64_t)(t.b != 0)); break;
        default: eb_ev(b, t.event); break;
        }
    }
    free(str.p);
    return o;
}

/* -DFUZZ_TOLERATE_KNOWN: ignore the known difference saved in
   fuzz/crashes/fuzz_json_reader-truncated-utf8-offset.bin (a UTF-8 sequence cut by the end of
   the input inside a string: the buffer reader reports the lead byte's offset, a source reader
   the end of the input), so that a long run can look for other problems. Off by default. */
static void same_outcome(const outcome *a, const outcome *b) {
#ifdef FUZZ_TOLERATE_KNOWN
    if (a->code == LLMSPELL_ERR_PARSE && b->code == LLMSPELL_ERR_PARSE && a->offset < b->offset && a->line == b->line)
        return;
    /* fuzz/crashes/fuzz_json_reader-max-string-vs-utf8-order.bin: a string over max_string that
       also holds bad UTF-8: a source reader says TOO_LARGE at the string's start (checked while
       gathering), the buffer reader the UTF-8 error (max_string checked at the closing quote) */
    if (((a->code == LLMSPELL_ERR_PARSE && b->code == LLMSPELL_ERR_TOO_LARGE && b->offset <= a->offset) ||
         (b->code == LLMSPELL_ERR_PARSE && a->code == LLMSPELL_ERR_TOO_LARGE && a->offset <= b->offset)))
        return;
#endif
    if (a->code != b->code || (a->code != LLMSPELL_OK && (a->offset != b->offset || a->line != b->line ||
                                                          a->column != b->column)))
        fprintf(stderr, "fuzz_json_reader: outcome differs: code %d offset %llu line %llu column %llu vs code %d "
                        "offset %llu line %llu column %llu\n",
                (int)a->code, (unsigned long long)a->offset, (unsigned long long)a->line, (unsigned long long)a->column,
                (int)b->code, (unsigned long long)b->offset, (unsigned long long)b->line, (unsigned long long)b->column);
    CHECK(a->code == b->code);
    if (a->code != LLMSPELL_OK) {
        CHECK(a->offset == b->offset);
        CHECK(a->line == b->line);
        CHECK(a->column == b->column);
    }
}

static void same_events(const ev_buf *a, const ev_buf *b) {
    CHECK(a->n == b->n);
    CHECK(a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmspell_json_read_options opts;
    llmspell_json_doc *doc = NULL;
    llmspell_json_error err;
    llmspell_json_reader *r;
    ev_buf dom = {0}, evb = {0}, ev1 = {0}, evs = {0};
    outcome od, ob, o1, os, ov;
    src_state s;
    unsigned sel;
    const uint8_t *js;
    size_t jn;
    llmspell_result rc;

    if (size < 1) return 0;
    sel = data[0];
    js = data + 1;
    jn = size - 1;

    memset(&opts, 0, sizeof opts);
    /* every flag but ALLOW_MULTIPLE (the DOM reads exactly one value) and CHUNKED (below) */
    opts.flags = sel & (LLMSPELL_JSON_REJECT_DUPLICATES | LLMSPELL_JSON_ALLOW_BOM | LLMSPELL_JSON_ALLOW_TRAILING_COMMAS |
                        LLMSPELL_JSON_ALLOW_OVERFLOW);
    if (sel & 0x20) opts.max_depth = 1 + (sel >> 6) * 3; /* 1, 4, 7, 10 */
    if ((sel & 0xC0) == 0xC0) opts.max_string = 40;

    /* A. DOM */
    memset(&err, 0, sizeof err);
    rc = llmspell_json_parse(js, jn, &opts, &doc, &err);
    memset(&od, 0, sizeof od);
    od.code = rc;
    if (rc == LLMSPELL_OK) {
        CHECK(doc != NULL);
        CHECK(err.code == LLMSPELL_OK);
        dom_walk(&dom, llmspell_json_doc_root(doc));
        eb_ev(&dom, LLMSPELL_JSON_EV_END);
        llmspell_json_doc_free(doc);
    } else {
        CHECK(doc == NULL);
        CHECK(err.code == rc);
        CHECK(err.offset <= jn);
        CHECK(memchr(err.message, 0, sizeof err.message) != NULL);
        od.offset = err.offset;
        od.line = err.line;
        od.column = err.column;
    }

    /* B. pull reader over the buffer */
    CHECK(llmspell_json_reader_open_buffer(&r, js, jn, &opts) == LLMSPELL_OK);
    ob = pull_all(r, &evb);
    llmspell_json_reader_close(r);
    if (ob.code == LLMSPELL_OK) eb_ev(&evb, LLMSPELL_JSON_EV_END);
    same_outcome(&od, &ob);
    if (od.code == LLMSPELL_OK) same_events(&dom, &evb);

    /* C. 1-byte source */
    {
        llmspell_json_read_options o2 = opts;
        o2.buffer_size = 64;
        memset(&s, 0, sizeof s);
        s.p = js;
        s.n = jn;
        CHECK(llmspell_json_reader_open_source(&r, src_read, &s, &o2) == LLMSPELL_OK);
        o1 = pull_all(r, &ev1);
        llmspell_json_reader_close(r);
        if (o1.code == LLMSPELL_OK) eb_ev(&ev1, LLMSPELL_JSON_EV_END);
        same_outcome(&od, &o1);
        if (od.code == LLMSPELL_OK) same_events(&dom, &ev1);
    }

    /* D. small random pieces, small buffer, chunked strings when the limit allows it */
    {
        llmspell_json_read_options o3 = opts;
        o3.buffer_size = 64 + (sel * 7u) % 64;
        if ((sel & 0x10) && !o3.max_string) o3.flags |= LLMSPELL_JSON_CHUNKED_STRINGS;
        memset(&s, 0, sizeof s);
        s.p = js;
        s.n = jn;
        s.rng = 0x9E3779B9u ^ (uint32_t)jn ^ sel;
        CHECK(llmspell_json_reader_open_source(&r, src_read, &s, &o3) == LLMSPELL_OK);
        os = pull_all(r, &evs);
        llmspell_json_reader_close(r);
        if (os.code == LLMSPELL_OK) eb_ev(&evs, LLMSPELL_JSON_EV_END);
        same_outcome(&od, &os);
        if (od.code == LLMSPELL_OK) same_events(&dom, &evs);
    }

    /* E. read_value on a 1-byte source, then the end */
    {
        llmspell_json_read_options o4 = opts;
        llmspell_json_doc *d2 = NULL;
        ev_buf evv = {0};
        llmspell_json_token t;
        int noval = 0;
        o4.buffer_size = 64;
        memset(&s, 0, sizeof s);
        s.p = js;
        s.n = jn;
        memset(&ov, 0, sizeof ov);
        CHECK(llmspell_json_reader_open_source(&r, src_read, &s, &o4) == LLMSPELL_OK);
        rc = llmspell_json_read_value(r, &d2);
        if (rc == LLMSPELL_OK) {
            CHECK(d2 != NULL);
            dom_walk(&evv, llmspell_json_doc_root(d2));
            llmspell_json_doc_free(d2);
            rc = llmspell_json_next(r, &t);
            if (rc == LLMSPELL_OK) CHECK(t.event == LLMSPELL_JSON_EV_END);
        }
        if (rc == LLMSPELL_ERR_NOT_FOUND) {
            /* the first event does not start a value: only possible when it is an error or END;
               an empty input is the usual case */
            rc = llmspell_json_next(r, &t);
            if (rc == LLMSPELL_OK) {
                CHECK(t.event == LLMSPELL_JSON_EV_END); /* nothing else can come first */
                noval = 1;
            }
        }
        ov.code = rc;
        if (rc != LLMSPELL_OK) {
            const llmspell_json_error *e = llmspell_json_reader_error(r);
            ov.offset = e->offset;
            ov.line = e->line;
            ov.column = e->column;
        }
        llmspell_json_reader_close(r);
        if (od.code == LLMSPELL_OK) {
            CHECK(ov.code == LLMSPELL_OK);
            eb_ev(&evv, LLMSPELL_JSON_EV_END);
            same_events(&dom, &evv);
        } else if (noval) {
            /* no value at all (empty input): the DOM rejects it; the offset is the end */
            CHECK(od.offset == jn || (opts.flags & LLMSPELL_JSON_ALLOW_BOM));
        } else if (ov.code != LLMSPELL_OK) {
            same_outcome(&od, &ov);
        } else {
            CHECK(0); /* DOM rejected, read_value + END accepted */
        }
        free(evv.p);
    }

    free(dom.p);
    free(evb.p);
    free(ev1.p);
    free(evs.p);
    return 0;
}
