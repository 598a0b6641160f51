/* cc -std=c99 -O2 -I. tools/llmspell.c -o llmspell -lsqlite3 -lm
   (with PostgreSQL: add -DLLMSPELL_KV_POSTGRES -I/usr/include/postgresql ... -lpq; make does when
   libpq-dev is installed)
   llmspell - the command-line tool of llmspell-c: export, import, validate, inspect and migrate
   stores, and read or write their keys, vectors and graph from a shell script.

   Every command takes the store as --backend memory|file|sqlite|postgres (default file) and
   --path DB (for postgres, a libpq conninfo such as "host=/run/postgresql dbname=app");
   a memory store starts empty, or loaded from the export file named by --path, and ends with
   the process, so only reading commands accept it. --tenant T works inside tenant T's view.
   Exit codes: 0 success, 1 bad data or a failed operation (stderr says what and where),
   2 usage error (stderr shows the usage). `--help` after any command shows its usage.
   Reading commands open the store read-only, so a typo'd path is an error, not a new file. */
#define LLMSPELL_IMPLEMENTATION
#define LLMSPELL_KV_SQLITE
#include "llmspell_kv.h"
#include "llmspell_vec.h"
#include "llmspell_graph.h"
#include "llmspell_export.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

/* ---- usage texts ------------------------------------------------------------------------- */

static const char *const usage_main =
    "usage: llmspell <group> <command> [options]     (llmspell <group> <command> --help for details)\n"
    "\n"
    "  storage export    --path DB [--output FILE|-] [--pretty]     whole store as llmspell v1.0 JSON\n"
    "  storage import    --path DB --input FILE|-                    all-or-nothing, prints the counts\n"
    "  storage validate  --input FILE|-                              check an export without importing\n"
    "  storage info      --path DB                                   backend, sizes, tenants, collections, graph\n"
    "  storage compact   --path DB                                   reclaim space left by overwrites, deletes\n"
    "  storage migrate   --from KIND:DB --to KIND:DB                 copy a whole store between backends\n"
    "  kv get|put|del|scan   KEY [VALUE] / [PREFIX]                  user keys\n"
    "  vec create|add|search|info   NAME ...                         vector collections\n"
    "  graph put|get|history|neighbors|traverse   ID ...             the bi-temporal graph\n"
    "\n"
    "Store options (every command): --backend memory|file|sqlite|postgres (default file), --path DB,\n"
    "--tenant T. Times (--valid-at, --tx-at, --valid-from, --valid-to): RFC 3339\n"
    "(2024-05-01T12:00:00Z, 2024-05-01, offsets and fractions allowed), integer microseconds since\n"
    "1970, now, +inf or -inf. Exit codes: 0 ok, 1 failed (stderr says why), 2 usage error.\n";

typedef struct cli cli;

typedef struct command_def {
    const char *group, *name;
    const char *options; /* allowed options: "name=" takes a value, "name" is a flag, "name*" repeats */
    int min_args, max_args;
    const char *usage;
    int (*run)(cli *c);
} command_def;

#define STORE_OPTS "backend= path= tenant= "

/* ---- command line ------------------------------------------------------------------------ */

#define MAX_ARGS 8
#define MAX_OPTS 32

struct cli {
    const command_def *def;
    const char *args[MAX_ARGS];
    int nargs;
    const char *opt_name[MAX_OPTS], *opt_val[MAX_OPTS];
    size_t opt_len[MAX_OPTS];
    int nopts;
};

#if defined(__GNUC__) || defined(__clang__)
#define PRINTF_LIKE __attribute__((format(printf, 2, 3)))
#else
#define PRINTF_LIKE
#endif

static void vsay(const cli *c, const char *fmt, va_list ap) {
    fprintf(stderr, "llmspell %s %s: ", c->def->group, c->def->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/* One line on stderr, "llmspell <group> <command>: ..." */
static void say(const cli *c, const char *fmt, ...) PRINTF_LIKE;
static void say(const cli *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(c, fmt, ap);
    va_end(ap);
}

/* Reports a usage error (printf-style) followed by the command's usage; returns EXIT_USAGE. */
static int usage_error(const cli *c, const char *fmt, ...) PRINTF_LIKE;
static int usage_error(const cli *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsay(c, fmt, ap);
    va_end(ap);
    fputs(c->def->usage, stderr);
    return EXIT_USAGE;
}

/* Where the option is in def->options: its spelling ends at '=', '*' or a space. */
static const char *option_spec(const command_def *d, const char *name, size_t n) {
    const char *p = d->options;
    while (*p) {
        size_t len = strcspn(p, "=* ");
        if (len == n && memcmp(p, name, n) == 0) return p + len;
        p += len;
        p += strspn(p, "=* ");
    }
    return NULL;
}

static int parse_cli(cli *c, const command_def *d, int argc, char **argv) {
    int i, options_done = 0;
    memset(c, 0, sizeof *c);
    c->def = d;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *eq, *spec;
        size_t n;
        if (options_done || a[0] != '-' || a[1] != '-' ) {
            if (c->nargs == MAX_ARGS) return usage_error(c, "too many arguments");
            c->args[c->nargs++] = a;
            continue;
        }
        if (a[2] == 0) { /* "--": the rest are arguments, even when they start with -- */
            options_done = 1;
            continue;
        }
        eq = strchr(a + 2, '=');
        n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
        spec = option_spec(d, a + 2, n);
        if (!spec) return usage_error(c, "unknown option %s", a);
        if (c->nopts == MAX_OPTS) return usage_error(c, "too many options");
        c->opt_name[c->nopts] = a + 2;
        c->opt_len[c->nopts] = n;
        if (*spec == '=' || *spec == '*') {
            if (eq) c->opt_val[c->nopts] = eq + 1;
            else if (i + 1 < argc) c->opt_val[c->nopts] = argv[++i];
            else return usage_error(c, "missing value after %s", a);
        } else if (eq) {
            return usage_error(c, "takes no value: %s", a);
        } else {
            c->opt_val[c->nopts] = "";
        }
        c->nopts++;
    }
    if (c->nargs < d->min_args) return usage_error(c, "missing argument");
    if (c->nargs > d->max_args) return usage_error(c, "unexpected argument %s", c->args[d->max_args]);
    return 0;
}

/* The value of option name (the last one given), or NULL. */
static const char *opt(const cli *c, const char *name) {
    int i;
    size_t n = strlen(name);
    for (i = c->nopts - 1; i >= 0; i--)
        if (c->opt_len[i] == n && memcmp(c->opt_name[i], name, n) == 0) return c->opt_val[i];
    return NULL;
}

/* The k-th value of a repeatable option, or NULL. */
static const char *opt_nth(const cli *c, const char *name, int k) {
    int i;
    size_t n = strlen(name);
    for (i = 0; i < c->nopts; i++)
        if (c->opt_len[i] == n && memcmp(c->opt_name[i], name, n) == 0 && k-- == 0) return c->opt_val[i];
    return NULL;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    if (!s || !*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        if (v > (max - (uint64_t)(*s - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

/* An integer option within [lo, hi]; returns 0 (and leaves *out) when absent. */
static int opt_u64(const cli *c, const char *name, uint64_t lo, uint64_t hi, uint64_t *out) {
    const char *s = opt(c, name);
    uint64_t v;
    if (!s) return 0;
    if (parse_u64(s, hi, &v) != 0 || v < lo)
        return usage_error(c, "--%s must be an integer in %llu..%llu, not %s", name, (unsigned long long)lo, (unsigned long long)hi, s);
    *out = v;
    return 0;
}

/* ---- time: RFC 3339 <-> microseconds ------------------------------------------------------- */

static void format_time(llmspell_time t, char *buf, size_t cap) { (void)llmspell_time_format(t, buf, cap); }

/* "now" (LLMSPELL_GRAPH_NOW), or what llmspell_time_parse reads: RFC 3339, a date, +inf / -inf,
   integer microseconds. */
static int parse_time(const char *s, llmspell_time *out) {
    if (strcmp(s, "now") == 0) {
        *out = LLMSPELL_GRAPH_NOW;
        return 0;
    }
    return llmspell_time_parse(s, LLMSPELL_STRLEN, out) == LLMSPELL_OK ? 0 : -1;
}

static int opt_time(const cli *c, const char *name, llmspell_time dflt, llmspell_time *out) {
    const char *s = opt(c, name);
    *out = dflt;
    if (s && parse_time(s, out) != 0)
        return usage_error(c, "--%s wants RFC 3339, microseconds, now, +inf or -inf, not '%s'", name, s);
    return 0;
}

/* ---- output ------------------------------------------------------------------------------ */

/* Bytes as text for a terminal or a tab-separated line: UTF-8 and printable ASCII as they are,
   backslash, tab, newline and other control bytes escaped. */
static void put_escaped(FILE *f, const void *p, size_t n) {
    const unsigned char *s = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch == '\\') fputs("\\\\", f);
        else if (ch == '\t') fputs("\\t", f);
        else if (ch == '\n') fputs("\\n", f);
        else if (ch < 0x20 || ch == 0x7F) fprintf(f, "\\x%02x", ch);
        else fputc(ch, f);
    }
}

/* ---- stores ------------------------------------------------------------------------------ */

typedef struct store {
    llmspell_kv root, view;
    llmspell_kv *kv; /* what the command works on: root or the tenant view */
    char name[600];  /* "file:app.db" for messages */
    const char *path;
    int created;     /* this command created the file: a failed command removes it again */
} store;

static int load_export_into(const cli *c, llmspell_kv *kv, const char *path);

enum { OPEN_READ, OPEN_WRITE, OPEN_EXISTING }; /* read-only / writable, created if new / writable, must exist */

/* Opens kind ("memory", "file", "sqlite", "postgres") at path (postgres: a conninfo). */
static int store_open_kind(const cli *c, store *s, const char *kind, const char *path, int mode) {
    llmspell_kv_options o;
    llmspell_result rc;
    int writable = mode != OPEN_READ;
    memset(s, 0, sizeof *s);
    memset(&o, 0, sizeof o);
    o.read_only = !writable;
    o.no_create = mode != OPEN_WRITE;
    snprintf(s->name, sizeof s->name, "%s:%s", kind, path && strstr(path, "password") ? "(conninfo with a password)" : path ? path : "");
    s->path = path;
    if (strcmp(kind, "memory") == 0) {
        if (writable) return usage_error(c, "the memory backend ends with this process: write to --backend file, sqlite or postgres");
        rc = llmspell_kv_open_memory(&s->root, NULL);
        if (rc == LLMSPELL_OK && path && load_export_into(c, &s->root, path) != 0) {
            llmspell_kv_close(&s->root);
            return EXIT_FAIL;
        }
    } else if (strcmp(kind, "postgres") == 0) {
#ifdef LLMSPELL_KV_POSTGRES
        if (!path || !*path) return usage_error(c, "--path is required for the postgres backend (a conninfo)");
        rc = llmspell_kv_open_postgres(&s->root, path, &o); /* the table is created only by writing commands */
#else
        say(c, "this llmspell was built without PostgreSQL (build it with -DLLMSPELL_KV_POSTGRES ... -lpq)");
        return EXIT_FAIL;
#endif
    } else if (strcmp(kind, "file") != 0 && strcmp(kind, "sqlite") != 0) {
        return usage_error(c, "unknown backend '%s' (memory, file, sqlite or postgres)", kind);
    } else if (!path || !*path) {
        return usage_error(c, "--path is required for the %s backend", kind);
    } else {
        s->created = writable && access(path, F_OK) != 0;
        if (strcmp(kind, "file") == 0) rc = llmspell_kv_open_file(&s->root, path, &o);
        else rc = llmspell_kv_open_sqlite(&s->root, path, &o);
    }
    if (rc != LLMSPELL_OK) {
        say(c, "cannot open %s: %s", s->name, llmspell_kv_errmsg(&s->root));
        return EXIT_FAIL;
    }
    s->kv = &s->root;
    return 0;
}

/* Closes the store; when the command failed (status != 0) and created the store's file, the
   file goes too (SQLite's -wal and -shm with it), so a failed command leaves nothing behind. */
static void store_close(store *s, int status) {
    if (s->kv == &s->view) llmspell_kv_close(&s->view);
    llmspell_kv_close(&s->root);
    s->kv = NULL;
    if (status != 0 && s->created) {
        char side[4200];
        remove(s->path);
        snprintf(side, sizeof side, "%s-wal", s->path);
        remove(side);
        snprintf(side, sizeof side, "%s-shm", s->path);
        remove(side);
    }
}

/* The store of --backend, --path and --tenant. */
static int store_open(const cli *c, store *s, int mode) {
    const char *tenant = opt(c, "tenant");
    int rc = store_open_kind(c, s, opt(c, "backend") ? opt(c, "backend") : "file", opt(c, "path"), mode);
    if (rc != 0 || !tenant) return rc;
    if (llmspell_kv_open_tenant(&s->view, &s->root, tenant, strlen(tenant)) != LLMSPELL_OK) {
        say(c, "tenant '%s': %s", tenant, llmspell_kv_errmsg(&s->view));
        store_close(s, EXIT_FAIL);
        return EXIT_FAIL;
    }
    s->kv = &s->view;
    return 0;
}

/* "KIND:PATH" of migrate. */
static int store_open_spec(const cli *c, store *s, const char *spec, int mode) {
    char kind[16];
    const char *colon = strchr(spec, ':');
    size_t n = colon ? (size_t)(colon - spec) : 0;
    if (!colon || n == 0 || n >= sizeof kind)
        return usage_error(c, "'%s' is not KIND:PATH (memory:EXPORT.json, file:DB, sqlite:DB or postgres:CONNINFO)", spec);
    memcpy(kind, spec, n);
    kind[n] = 0;
    return store_open_kind(c, s, kind, colon[1] ? colon + 1 : NULL, mode);
}

/* ---- progress (stderr, only when it is a terminal) ----------------------------------------- */

static int show_progress(void *user, const llmspell_export_progress *p) {
    static const char *const phase[] = {"", "export", "import: checking", "import: writing"};
    (void)user;
    fprintf(stderr, "\r%s: %llu records, %.1f MB   ", phase[p->phase], (unsigned long long)p->records, (double)p->bytes / 1e6);
    fflush(stderr);
    return 0;
}

static void progress_setup(llmspell_export_progress_fn *fn, uint64_t *every) {
    if (!isatty(2)) return;
    *fn = show_progress;
    *every = 5000;
}

static void progress_done(void) {
    if (isatty(2)) fputs("\r\033[K", stderr);
}

static void print_stats(const char *verb, const char *where, const llmspell_export_stats *st) {
    printf("%s %zu total records %s:\n", verb, st->total, where);
    printf("  - Vectors: %zu\n  - Entities: %zu\n  - Relationships: %zu\n  - Patterns: %zu\n", st->vectors, st->entities,
           st->relationships, st->patterns);
    printf("  - Agent states: %zu\n  - KV entries: %zu\n  - Workflow states: %zu\n  - Sessions: %zu\n", st->agent_states,
           st->kv_entries, st->workflow_states, st->sessions);
    printf("  - Artifact content: %zu\n  - Artifacts: %zu\n  - Events: %zu\n  - Hooks: %zu\n", st->artifact_content, st->artifacts,
           st->events, st->hooks);
    printf("  - Collections: %zu\n", st->collections);
    if (st->skipped_empty_embeddings) printf("  - Skipped empty embeddings: %zu\n", st->skipped_empty_embeddings);
}

/* ---- storage ----------------------------------------------------------------------------- */

/* An input file, or stdin copied to a temporary file (import reads its input twice). */
static FILE *open_input(const cli *c, const char *path) {
    FILE *f;
    char buf[65536];
    size_t n;
    if (strcmp(path, "-") != 0) {
        if (!(f = fopen(path, "rb"))) say(c, "cannot open '%s' for reading", path);
        return f;
    }
    if (!(f = tmpfile())) {
        say(c, "cannot create a temporary file for standard input");
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0)
        if (fwrite(buf, 1, n, f) != n) break;
    if (ferror(stdin) || ferror(f) || fseek(f, 0, SEEK_SET) != 0) {
        say(c, "cannot copy standard input to a temporary file");
        fclose(f);
        return NULL;
    }
    return f;
}

static void import_options(const cli *c, llmspell_import_options *io) {
    memset(io, 0, sizeof *io);
    io->skip_empty_embeddings = opt(c, "skip-empty-embeddings") != NULL;
    io->times_in_seconds = opt(c, "times-in-seconds") != NULL;
    progress_setup(&io->progress, &io->progress_every);
}

/* The memory backend's --path: an export loaded into the fresh store. */
static int load_export_into(const cli *c, llmspell_kv *kv, const char *path) {
    llmspell_import_options io;
    llmspell_json_error err;
    FILE *f = open_input(c, path);
    llmspell_result rc;
    if (!f) return EXIT_FAIL;
    import_options(c, &io);
    rc = llmspell_export_import_file(kv, f, &io, NULL, &err);
    progress_done();
    fclose(f);
    if (rc == LLMSPELL_OK) return 0;
    say(c, "loading %s into memory: %s (%s)", path, err.message, llmspell_strerror(err.code));
    return EXIT_FAIL;
}

static int cmd_export(cli *c) {
    store s;
    llmspell_export_options eo;
    llmspell_export_stats st;
    llmspell_json_error err;
    llmspell_json_writer_options wo;
    llmspell_json_writer *w = NULL;
    const char *out = opt(c, "output") ? opt(c, "output") : "-";
    char tmp[4200];
    FILE *f;
    llmspell_result rc;
    int to_stdout = strcmp(out, "-") == 0, status, moved = 1;
    if (!*out) return usage_error(c, "--output wants a file name, or - for standard output");
    if ((status = store_open(c, &s, OPEN_READ)) != 0) return status;
    /* a file is written beside its final name and renamed at the end: a failed export never
       leaves half a file where a good one was */
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid());
    if (to_stdout) f = stdout;
    else if (!(f = fopen(tmp, "wb"))) {
        say(c, "cannot create '%s'", tmp);
        store_close(&s, status);
        return EXIT_FAIL;
    }
    memset(&eo, 0, sizeof eo);
    memset(&wo, 0, sizeof wo);
    eo.tenant_id = opt(c, "tenant");
    wo.indent = opt(c, "pretty") ? 2 : 0;
    progress_setup(&eo.progress, &eo.progress_every);
    memset(&err, 0, sizeof err);
    rc = llmspell_json_writer_open_file(&w, f, &wo);
    if (rc == LLMSPELL_OK) rc = llmspell_export_store(s.kv, w, &eo, &st, &err);
    if (rc == LLMSPELL_OK) rc = llmspell_json_writer_finish(w);
    if (rc == LLMSPELL_OK && wo.indent == 0 && fputc('\n', f) == EOF) rc = LLMSPELL_ERR_IO;
    if (rc == LLMSPELL_OK && fflush(f) != 0) rc = LLMSPELL_ERR_IO;
    progress_done();
    if (!to_stdout) {
        if (fclose(f) != 0 && rc == LLMSPELL_OK) rc = LLMSPELL_ERR_IO;
        if (rc == LLMSPELL_OK && rename(tmp, out) != 0) rc = LLMSPELL_ERR_IO, moved = 0;
        if (rc != LLMSPELL_OK) remove(tmp);
    }
    if (!moved) {
        say(c, "cannot rename '%s' to '%s': %s", tmp, out, strerror(errno));
    } else if (rc != LLMSPELL_OK) {
        if (err.code == LLMSPELL_OK && w) err = *llmspell_json_writer_error(w);
        say(c, "%s: %s", s.name, err.message[0] ? err.message : llmspell_strerror(rc));
    } else {
        fprintf(stderr, "exported %zu records (vectors %zu, entities %zu, relationships %zu, kv entries %zu; collections %zu) "
                        "from %s to %s, %llu bytes\n",
                st.total, st.vectors, st.entities, st.relationships, st.kv_entries, st.collections, s.name,
                to_stdout ? "standard output" : out, (unsigned long long)llmspell_json_writer_bytes(w));
    }
    llmspell_json_writer_free(w);
    status = rc == LLMSPELL_OK ? 0 : EXIT_FAIL;
    store_close(&s, status);
    return status;
}

/* storage import, and storage validate (the same checking pass, then no write: against the
   store named by --path, so its ids and collection settings count, or an empty one). */
static int import_or_validate(cli *c, int validate_only) {
    store s;
    llmspell_import_options io;
    llmspell_export_stats st;
    llmspell_json_error err;
    const char *input = opt(c, "input"), *shown;
    char where[700];
    FILE *f;
    llmspell_result rc;
    int status;
    if (!input) return usage_error(c, "--input FILE (or - for standard input) is required");
    shown = strcmp(input, "-") ? input : "<stdin>";
    if (!(f = open_input(c, input))) return EXIT_FAIL;
    if (!validate_only) status = store_open(c, &s, OPEN_WRITE);
    else if (opt(c, "path")) status = store_open(c, &s, OPEN_READ);
    else status = store_open_kind(c, &s, "memory", NULL, OPEN_READ);
    if (status != 0) {
        fclose(f);
        return status;
    }
    import_options(c, &io);
    io.validate_only = validate_only;
    rc = llmspell_export_import_file(s.kv, f, &io, &st, &err);
    progress_done();
    fclose(f);
    snprintf(where, sizeof where, "into %s", validate_only && !opt(c, "path") ? "an empty store" : s.name);
    if (rc != LLMSPELL_OK) {
        say(c, "%s: %s%s (%s); nothing was written", shown, validate_only ? "invalid: " : "", err.message, llmspell_strerror(err.code));
        status = EXIT_FAIL;
    } else if (validate_only) {
        printf("%s: valid llmspell export\n", shown);
        print_stats("Would import", where, &st);
    } else {
        print_stats("Imported", where, &st);
    }
    store_close(&s, status);
    return status;
}

static int cmd_import(cli *c) { return import_or_validate(c, 0); }
static int cmd_validate(cli *c) { return import_or_validate(c, 1); }

static int cmd_migrate(cli *c) {
    store from, to;
    llmspell_export_options eo;
    llmspell_import_options io;
    llmspell_export_stats st;
    llmspell_json_error err;
    const char *a = opt(c, "from"), *b = opt(c, "to");
    llmspell_result rc;
    int status;
    if (!a || !b) return usage_error(c, "--from and --to are both required");
    if (strcmp(a, b) == 0) return usage_error(c, "--from and --to name the same store '%s'", a);
    if ((status = store_open_spec(c, &from, a, OPEN_READ)) != 0) return status;
    if ((status = store_open_spec(c, &to, b, OPEN_WRITE)) != 0) {
        store_close(&from, status);
        return status;
    }
    memset(&eo, 0, sizeof eo);
    progress_setup(&eo.progress, &eo.progress_every);
    import_options(c, &io);
    rc = llmspell_export_migrate(from.kv, to.kv, NULL, &eo, &io, &st, &err);
    progress_done();
    if (rc == LLMSPELL_OK) {
        char where[1300];
        snprintf(where, sizeof where, "from %s to %s", from.name, to.name);
        print_stats("Migrated", where, &st);
    } else {
        say(c, "%s -> %s: %s (%s); the target is unchanged", from.name, to.name, err.message, llmspell_strerror(err.code));
        status = EXIT_FAIL;
    }
    store_close(&to, status);
    store_close(&from, status);
    return status;
}

/* ---- storage info ------------------------------------------------------------------------ */

typedef struct info_ctx {
    const cli *c;
    llmspell_kv *kv;
    int failed;
} info_ctx;

static void print_collection(const char *name, const llmspell_vec_info *in) {
    uint32_t i;
    printf("  collection \"");
    put_escaped(stdout, name, strlen(name));
    printf("\": %llu records, %s, %s, M %u, ef %u/%u, dimensions", (unsigned long long)in->count, llmspell_vec_metric_name(in->config.metric),
           llmspell_vec_quant_name(in->config.quant), in->config.M, in->config.ef_construction, in->config.ef_search);
    for (i = 0; i < in->ndims && i < LLMSPELL_VEC_INFO_DIMS; i++) printf(" %u (%llu)", in->dims[i], (unsigned long long)in->dim_counts[i]);
    if (in->ndims == 0) printf(" none yet");
    printf("\n");
}

/* llmspell_vec_list callback: opens the collection (its graph loads) and prints its line. */
static int info_collection(void *user, const char *name) {
    info_ctx *x = (info_ctx *)user;
    llmspell_vec *v;
    llmspell_vec_info in;
    if (llmspell_vec_open(&v, x->kv, name, NULL, NULL) != LLMSPELL_OK) {
        say(x->c, "collection '%s': %s", name, llmspell_kv_errmsg(x->kv));
        x->failed = 1;
        return 1;
    }
    if (llmspell_vec_info_get(v, &in) == LLMSPELL_OK) print_collection(name, &in);
    llmspell_vec_close(v);
    return 0;
}

/* One tenant (or the store itself): user keys, collections, graph. */
static int info_namespace(const cli *c, llmspell_kv *kv) {
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    uint64_t keys = 0, bytes = 0;
    llmspell_graph g;
    llmspell_graph_info gi;
    info_ctx x;
    char t[40];
    llmspell_result rc;
    if (llmspell_kv_iter_open(kv, "", 0, &it) != LLMSPELL_OK) {
        say(c, "%s", llmspell_kv_errmsg(kv));
        return EXIT_FAIL;
    }
    /* user keys sort before the 0xFF system namespace */
    while ((rc = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK && ((const uint8_t *)k)[0] != 0xFF) {
        keys++;
        bytes += kn + vn;
    }
    llmspell_kv_iter_close(it);
    if (rc != LLMSPELL_OK && rc != LLMSPELL_ERR_NOT_FOUND) {
        say(c, "reading keys: %s", llmspell_kv_errmsg(kv));
        return EXIT_FAIL;
    }
    printf("  kv: %llu user keys, %llu bytes\n", (unsigned long long)keys, (unsigned long long)bytes);
    x.c = c;
    x.kv = kv;
    x.failed = 0;
    if (llmspell_vec_list(kv, NULL, info_collection, &x) != LLMSPELL_OK || x.failed) {
        if (!x.failed) say(c, "listing collections: %s", llmspell_kv_errmsg(kv));
        return EXIT_FAIL;
    }
    if (llmspell_graph_open(&g, kv, NULL) != LLMSPELL_OK) {
        say(c, "graph: %s", llmspell_graph_errmsg(&g));
        return EXIT_FAIL;
    }
    llmspell_graph_info_get(&g, &gi);
    if (gi.entity_versions + gi.rel_versions > 0) {
        format_time(gi.last_tx, t, sizeof t);
        printf("  graph: %llu entities (%llu versions), %llu relationships (%llu versions), last transaction %s\n",
               (unsigned long long)gi.entities, (unsigned long long)gi.entity_versions, (unsigned long long)gi.relationships,
               (unsigned long long)gi.rel_versions, t);
    } else {
        printf("  graph: empty\n");
    }
    llmspell_graph_close(&g);
    return 0;
}

typedef struct tenant_walk {
    const cli *c;
    llmspell_kv *kv;
    size_t n;
    int status;
} tenant_walk;

static int info_tenant(void *user, const void *tenant, size_t tn) {
    tenant_walk *tw = (tenant_walk *)user;
    llmspell_kv view;
    tw->n++;
    printf("tenant \"");
    put_escaped(stdout, tenant, tn);
    printf("\"\n");
    if (llmspell_kv_open_tenant(&view, tw->kv, tenant, tn) != LLMSPELL_OK) {
        say(tw->c, "tenant: %s", llmspell_kv_errmsg(&view));
        tw->status = EXIT_FAIL;
        return 1;
    }
    tw->status = info_namespace(tw->c, &view);
    llmspell_kv_close(&view);
    return tw->status != 0;
}

static int cmd_info(cli *c) {
    store s;
    llmspell_kv_characteristics ch;
    llmspell_kv_stats st;
    tenant_walk tw;
    size_t skipped = 0;
    int status;
    llmspell_result rc;
    if ((status = store_open(c, &s, OPEN_READ)) != 0) return status;
    llmspell_kv_characteristics_get(s.kv, &ch);
    llmspell_kv_stats_get(s.kv, &st);
    printf("store %s\n", s.name);
    printf("  backend: %s (persistent %s, transactional %s, native prefix scan %s, atomic batches %s)\n", llmspell_kv_name(&s.root),
           ch.persistent ? "yes" : "no", ch.transactional ? "yes" : "no", ch.supports_prefix_scan ? "yes" : "no",
           ch.supports_atomic_ops ? "yes" : "no");
    printf("  typical latency: read %llu ns, write %llu ns\n", (unsigned long long)ch.read_latency_ns,
           (unsigned long long)ch.write_latency_ns);
    printf("  keys: %llu in every namespace, %llu bytes of keys and values\n", (unsigned long long)st.keys,
           (unsigned long long)st.bytes);
    if (st.file_size)
        printf("  on disk: %llu bytes, %llu dead (llmspell storage compact reclaims them)\n", (unsigned long long)st.file_size,
               (unsigned long long)st.dead_bytes);
    printf("tenant \"%s\" (the store itself)\n", opt(c, "tenant") ? opt(c, "tenant") : "");
    if ((status = info_namespace(c, s.kv)) != 0) goto out;
    memset(&tw, 0, sizeof tw);
    tw.c = c;
    tw.kv = s.kv;
    rc = llmspell_kv_tenants(s.kv, info_tenant, &tw, &skipped);
    status = tw.status;
    if (rc != LLMSPELL_OK) {
        say(c, "reading %s: %s", s.name, llmspell_kv_errmsg(s.kv));
        status = EXIT_FAIL;
    } else if (skipped) {
        say(c, "%s: %zu tenant keys that do not decode", s.name, skipped);
        status = EXIT_FAIL;
    }
    printf("tenants: %zu\n", tw.n);
out:
    store_close(&s, status);
    return status;
}

/* Rewrites the store without its dead bytes (the file backend: temp file, fsync, rename). */
static int cmd_compact(cli *c) {
    store s;
    llmspell_kv_stats a, b;
    int status;
    if ((status = store_open(c, &s, OPEN_EXISTING)) != 0) return status;
    llmspell_kv_stats_get(&s.root, &a);
    if (llmspell_kv_compact(&s.root) != LLMSPELL_OK) {
        say(c, "%s: %s", s.name, llmspell_kv_errmsg(&s.root));
        status = EXIT_FAIL;
    } else {
        llmspell_kv_stats_get(&s.root, &b);
        printf("compacted %s: %llu bytes on disk before, %llu after (%llu keys)\n", s.name, (unsigned long long)a.file_size,
               (unsigned long long)b.file_size, (unsigned long long)b.keys);
    }
    store_close(&s, status);
    return status;
}

/* ---- kv ---------------------------------------------------------------------------------- */

static int kv_failed(const cli *c, const store *s, const char *key, llmspell_result rc) {
    if (rc == LLMSPELL_ERR_NOT_FOUND) say(c, "key '%s' not found in %s", key, s->name);
    else say(c, "key '%s' in %s: %s", key, s->name, llmspell_kv_errmsg(s->kv));
    return EXIT_FAIL;
}

static int cmd_kv_get(cli *c) {
    store s;
    const void *v;
    size_t n;
    llmspell_result rc;
    int status;
    if ((status = store_open(c, &s, OPEN_READ)) != 0) return status;
    rc = llmspell_kv_get(s.kv, c->args[0], strlen(c->args[0]), &v, &n);
    if (rc == LLMSPELL_OK) {
        fwrite(v, 1, n, stdout);
        if (!opt(c, "raw")) fputc('\n', stdout);
    } else {
        status = kv_failed(c, &s, c->args[0], rc);
    }
    store_close(&s, status);
    return status;
}

/* VALUE from the argument, or all of standard input when it is absent. */
static int cmd_kv_put(cli *c) {
    store s;
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    llmspell_result rc;
    int status;
    if (c->nargs == 2) {
        n = strlen(c->args[1]);
    } else {
        do {
            char *nb;
            if (n == cap) {
                cap = cap ? cap * 2 : 65536;
                if (cap > (size_t)LLMSPELL_KV_MAX_VALUE * 2 || !(nb = (char *)realloc(buf, cap))) {
                    free(buf);
                    say(c, "standard input is larger than a value may be");
                    return EXIT_FAIL;
                }
                buf = nb;
            }
            got = fread(buf + n, 1, cap - n, stdin);
            n += got;
        } while (got > 0);
    }
    if ((status = store_open(c, &s, OPEN_WRITE)) != 0) {
        free(buf);
        return status;
    }
    rc = llmspell_kv_put(s.kv, c->args[0], strlen(c->args[0]), c->nargs == 2 ? c->args[1] : buf, n);
    if (rc != LLMSPELL_OK) status = kv_failed(c, &s, c->args[0], rc);
    free(buf);
    store_close(&s, status);
    return status;
}

static int cmd_kv_del(cli *c) {
    store s;
    llmspell_result rc;
    int status;
    if ((status = store_open(c, &s, OPEN_WRITE)) != 0) return status;
    rc = llmspell_kv_delete(s.kv, c->args[0], strlen(c->args[0]));
    if (rc != LLMSPELL_OK) status = kv_failed(c, &s, c->args[0], rc);
    store_close(&s, status);
    return status;
}

/* key <TAB> value per line, escaped; user keys only (the 0xFF namespace is the family's). */
static int cmd_kv_scan(cli *c) {
    store s;
    llmspell_kv_iter *it;
    const void *k, *v;
    size_t kn, vn;
    const char *prefix = c->nargs ? c->args[0] : "";
    uint64_t limit = UINT64_MAX, shown = 0;
    llmspell_result rc = LLMSPELL_OK;
    int status;
    if ((status = opt_u64(c, "limit", 1, UINT64_MAX, &limit)) != 0) return status;
    if ((status = store_open(c, &s, OPEN_READ)) != 0) return status;
    if (llmspell_kv_iter_open(s.kv, prefix, strlen(prefix), &it) != LLMSPELL_OK) {
        say(c, "%s", llmspell_kv_errmsg(s.kv));
        store_close(&s, status);
        return EXIT_FAIL;
    }
    while (shown < limit && (rc = llmspell_kv_iter_next(it, &k, &kn, &v, &vn)) == LLMSPELL_OK && ((const uint8_t *)k)[0] != 0xFF) {
        put_escaped(stdout, k, kn);
        fputc('\t', stdout);
        put_escaped(stdout, v, vn);
        fputc('\n', stdout);
        shown++;
    }
    llmspell_kv_iter_close(it);
    if (rc != LLMSPELL_OK && rc != LLMSPELL_ERR_NOT_FOUND) {
        say(c, "reading %s: %s", s.name, llmspell_kv_errmsg(s.kv));
        status = EXIT_FAIL;
    }
    store_close(&s, status);
    return status;
}

/* ---- vec --------------------------------------------------------------------------------- */

/* --vector "[0.1, 0.2]" or "0.1,0.2" into a new float array *out (free it). */
static int parse_vector(const cli *c, const char *text, float **out, uint32_t *dim) {
    size_t n = strlen(text);
    char *wrapped = (char *)malloc(n + 3);
    llmspell_result rc;
    int status = 0;
    *out = NULL;
    if (!wrapped) return EXIT_FAIL;
    if (text[strspn(text, " ")] == '[') memcpy(wrapped, text, n + 1);
    else snprintf(wrapped, n + 3, "[%s]", text);
    rc = llmspell_vec_parse_text(wrapped, LLMSPELL_JSON_STRLEN, NULL, 0, dim); /* the count first */
    if (rc == LLMSPELL_OK || rc == LLMSPELL_ERR_TOO_LARGE) {
        if (*dim == 0 || *dim > LLMSPELL_VEC_MAX_DIM) {
            status = usage_error(c, "--vector wants 1..%d numbers", LLMSPELL_VEC_MAX_DIM);
        } else if (!(*out = (float *)malloc(*dim * sizeof **out))) {
            status = EXIT_FAIL;
        } else if ((rc = llmspell_vec_parse_text(wrapped, LLMSPELL_JSON_STRLEN, *out, *dim, dim)) != LLMSPELL_OK) {
            status = EXIT_FAIL;
        }
    } else {
        status = usage_error(c, "--vector is a list of numbers, '[0.1, 0.2]' or '0.1,0.2': malformed, or an item is not a number (%s)",
                             llmspell_strerror(rc));
    }
    if (status) {
        free(*out);
        *out = NULL;
    }
    free(wrapped);
    return status;
}

static int vec_failed(const cli *c, const store *s, const char *name, llmspell_result rc) {
    say(c, "collection '%s' in %s: %s (%s)", name, s->name, llmspell_kv_errmsg(s->kv), llmspell_strerror(rc));
    return EXIT_FAIL;
}

static int cmd_vec_create(cli *c) {
    store s;
    llmspell_vec_config cfg;
    const char *m = opt(c, "metric"), *qn = opt(c, "quant");
    uint64_t M = 16, efc = 200, efs = 50;
    llmspell_result rc;
    int status;
    memset(&cfg, 0, sizeof cfg);
    if (m && llmspell_vec_metric_parse(m, &cfg.metric) != LLMSPELL_OK) return usage_error(c, "--metric is cosine, l2 or ip, not %s", m);
    if (qn && llmspell_vec_quant_parse(qn, &cfg.quant) != LLMSPELL_OK) return usage_error(c, "--quant is f32, f16 or int8, not %s", qn);
    if ((status = opt_u64(c, "M", 2, 100, &M)) || (status = opt_u64(c, "ef-construction", 1, 100000, &efc)) ||
        (status = opt_u64(c, "ef-search", 1, 100000, &efs)))
        return status;
    cfg.M = (uint32_t)M;
    cfg.ef_construction = (uint32_t)efc;
    cfg.ef_search = (uint32_t)efs;
    if ((status = store_open(c, &s, OPEN_WRITE)) != 0) return status;
    rc = llmspell_vec_create(s.kv, c->args[0], &cfg, NULL);
    if (rc == LLMSPELL_OK)
        printf("created collection '%s' (%s, %s, M %u) in %s\n", c->args[0], llmspell_vec_metric_name(cfg.metric), llmspell_vec_quant_name(cfg.quant),
               cfg.M, s.name);
    else status = vec_failed(c, &s, c->args[0], rc);
    store_close(&s, status);
    return status;
}

/* One record per line of JSON Lines input: {"id", "vector", "metadata"?, "scope"?, "ttl_seconds"?}. */
typedef struct vec_batch {
    llmspell_vec_record *recs;
    size_t n, cap;
    llmspell_json_doc **docs; /* each record's strings live in its document */
    float **vecs;
} vec_batch;

static void batch_free(vec_batch *b) {
    size_t i;
    for (i = 0; i < b->n; i++) {
        llmspell_json_doc_free(b->docs[i]);
        free(b->vecs[i]);
    }
    free(b->recs);
    free(b->docs);
    free(b->vecs);
}

static int batch_line(const cli *c, vec_batch *b, llmspell_json_doc *doc, const char *input, uint64_t line) {
    const llmspell_json_value *r = llmspell_json_doc_root(doc), *id, *vec, *md, *sc, *ttl;
    llmspell_vec_record *rec;
    size_t i;
    id = llmspell_json_get(r, "id");
    vec = llmspell_json_get(r, "vector");
    md = llmspell_json_get(r, "metadata");
    sc = llmspell_json_get(r, "scope");
    ttl = llmspell_json_get(r, "ttl_seconds");
    if (!id || id->type != LLMSPELL_JSON_STRING || !vec || vec->type != LLMSPELL_JSON_ARRAY || vec->len == 0 ||
        (md && md->type != LLMSPELL_JSON_OBJECT && md->type != LLMSPELL_JSON_NULL) || (sc && sc->type != LLMSPELL_JSON_STRING) ||
        (ttl && (ttl->type != LLMSPELL_JSON_NUMBER || !ttl->is_int || ttl->i < 0))) {
        say(c, "%s: line %llu: a record is {\"id\": string, \"vector\": [numbers], \"metadata\": {...}, \"scope\": string, "
               "\"ttl_seconds\": integer}; nothing was added",
            input, (unsigned long long)line);
        return EXIT_FAIL;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        void *p1 = realloc(b->recs, cap * sizeof *b->recs), *p2, *p3;
        if (p1) b->recs = (llmspell_vec_record *)p1;
        p2 = p1 ? realloc(b->docs, cap * sizeof *b->docs) : NULL;
        if (p2) b->docs = (llmspell_json_doc **)p2;
        p3 = p2 ? realloc(b->vecs, cap * sizeof *b->vecs) : NULL;
        if (!p3) {
            say(c, "out of memory at line %llu", (unsigned long long)line);
            return EXIT_FAIL;
        }
        b->vecs = (float **)p3;
        b->cap = cap;
    }
    rec = &b->recs[b->n];
    memset(rec, 0, sizeof *rec);
    if (!(b->vecs[b->n] = (float *)malloc(vec->len * sizeof(float)))) {
        say(c, "out of memory at line %llu", (unsigned long long)line);
        return EXIT_FAIL;
    }
    for (i = 0; i < vec->len; i++) {
        const llmspell_json_value *x = llmspell_json_at(vec, i);
        if (x->type != LLMSPELL_JSON_NUMBER) {
            free(b->vecs[b->n]);
            say(c, "%s: line %llu: vector item %zu is not a number; nothing was added", input, (unsigned long long)line, i);
            return EXIT_FAIL;
        }
        b->vecs[b->n][i] = (float)x->d;
    }
    b->docs[b->n] = doc;
    rec->id = id->u.str;
    rec->embedding = b->vecs[b->n];
    rec->dim = (uint32_t)vec->len;
    rec->scope = sc ? sc->u.str : NULL;
    rec->ttl = ttl ? ttl->i * 1000000 : 0;
    b->n++;
    return 0;
}

/* Metadata of a JSON Lines record, written back compact (it was parsed as part of the line). */
static int batch_metadata(vec_batch *b, char ***texts) {
    size_t i;
    *texts = (char **)calloc(b->n ? b->n : 1, sizeof **texts);
    if (!*texts) return -1;
    for (i = 0; i < b->n; i++) {
        const llmspell_json_value *md = llmspell_json_get(llmspell_json_doc_root(b->docs[i]), "metadata");
        llmspell_json_writer *w;
        size_t n;
        if (!md || md->type != LLMSPELL_JSON_OBJECT) continue;
        if (llmspell_json_writer_open_buffer(&w, NULL) != LLMSPELL_OK) return -1;
        if (llmspell_json_write_value(w, md) == LLMSPELL_OK && llmspell_json_writer_finish(w) == LLMSPELL_OK) {
            const char *d = llmspell_json_writer_data(w, &n);
            if (((*texts)[i] = (char *)malloc(n + 1)) != NULL) memcpy((*texts)[i], d, n + 1);
        }
        llmspell_json_writer_free(w);
        if (!(*texts)[i]) return -1;
        b->recs[i].metadata = (*texts)[i];
    }
    return 0;
}

static int vec_add_input(cli *c, llmspell_vec *v, const store *s) {
    vec_batch b;
    llmspell_json_reader *r = NULL;
    llmspell_json_read_options ro;
    llmspell_json_doc *doc;
    llmspell_json_token t;
    char **md = NULL;
    const char *input = opt(c, "input");
    FILE *f = strcmp(input, "-") == 0 ? stdin : fopen(input, "rb");
    int status = 0;
    size_t i;
    memset(&b, 0, sizeof b);
    if (!f) {
        say(c, "cannot open '%s' for reading", input);
        return EXIT_FAIL;
    }
    memset(&ro, 0, sizeof ro);
    ro.flags = LLMSPELL_JSON_ALLOW_MULTIPLE;
    if (llmspell_json_reader_open_file(&r, f, &ro) != LLMSPELL_OK) {
        status = EXIT_FAIL;
        say(c, "out of memory");
        goto out;
    }
    for (;;) {
        llmspell_result rc;
        memset(&t, 0, sizeof t);
        rc = llmspell_json_peek(r, &t);
        if (rc == LLMSPELL_OK && t.event == LLMSPELL_JSON_EV_END) break;
        if (rc == LLMSPELL_OK) rc = llmspell_json_read_value(r, &doc);
        if (rc != LLMSPELL_OK) {
            /* the record that does not parse may end lines later: name where it starts too */
            if (t.line) say(c, "%s: the record starting at line %llu: %s; nothing was added", input, (unsigned long long)t.line,
                            llmspell_json_reader_error(r)->message);
            else say(c, "%s: %s; nothing was added", input, llmspell_json_reader_error(r)->message);
            status = EXIT_FAIL;
            goto out;
        }
        if (llmspell_json_doc_root(doc)->type != LLMSPELL_JSON_OBJECT) {
            llmspell_json_doc_free(doc);
            say(c, "%s: line %llu: each line must be a JSON object; nothing was added", input, (unsigned long long)t.line);
            status = EXIT_FAIL;
            goto out;
        }
        if ((status = batch_line(c, &b, doc, input, t.line)) != 0) {
            llmspell_json_doc_free(doc);
            goto out;
        }
    }
    if (batch_metadata(&b, &md) != 0) {
        say(c, "out of memory");
        status = EXIT_FAIL;
        goto out;
    }
    /* one batch: all records or none */
    if (llmspell_vec_add_batch(v, b.recs, b.n) != LLMSPELL_OK) {
        say(c, "%s: %s; nothing was added", input, llmspell_vec_errmsg(v));
        status = EXIT_FAIL;
    } else {
        printf("added %zu record%s to '%s' in %s\n", b.n, b.n == 1 ? "" : "s", c->args[0], s->name);
    }
out:
    if (md)
        for (i = 0; i < b.n; i++) free(md[i]);
    free(md);
    batch_free(&b);
    llmspell_json_reader_close(r);
    if (f && f != stdin) fclose(f);
    return status;
}

static int cmd_vec_add(cli *c) {
    store s;
    llmspell_vec *v;
    llmspell_vec_record rec;
    float *emb = NULL;
    uint64_t ttl = 0;
    llmspell_result rc;
    int status;
    if (opt(c, "input") ? c->nargs != 1 || opt(c, "vector") : c->nargs != 2 || !opt(c, "vector"))
        return usage_error(c, "give NAME ID --vector V, or NAME --input FILE");
    if (opt(c, "input") && (opt(c, "metadata") || opt(c, "scope") || opt(c, "ttl")))
        return usage_error(c, "with --input each line gives its own metadata, scope and ttl_seconds");
    if ((status = opt_u64(c, "ttl", 1, (uint64_t)INT64_MAX / 1000000, &ttl)) != 0) return status;
    memset(&rec, 0, sizeof rec);
    if (!opt(c, "input") && (status = parse_vector(c, opt(c, "vector"), &emb, &rec.dim)) != 0) return status;
    if ((status = store_open(c, &s, OPEN_WRITE)) != 0) {
        free(emb);
        return status;
    }
    if ((rc = llmspell_vec_open(&v, s.kv, c->args[0], NULL, NULL)) != LLMSPELL_OK) {
        status = vec_failed(c, &s, c->args[0], rc);
    } else if (opt(c, "input")) {
        status = vec_add_input(c, v, &s);
        llmspell_vec_close(v);
    } else {
        rec.id = c->args[1];
        rec.embedding = emb;
        rec.metadata = opt(c, "metadata");
        rec.scope = opt(c, "scope");
        rec.ttl = (llmspell_time)ttl * 1000000;
        if (llmspell_vec_add(v, &rec) == LLMSPELL_OK) printf("added '%s' (dimension %u) to '%s'\n", rec.id, rec.dim, c->args[0]);
        else {
            say(c, "%s", llmspell_vec_errmsg(v));
            status = EXIT_FAIL;
        }
        llmspell_vec_close(v);
    }
    free(emb);
    store_close(&s, status);
    return status;
}

/* --where FIELD<op>VALUE, op one of = != < <= > >=; VALUE a JSON scalar (42, 1.5, true, null,
   "text") or else plain text. */
typedef struct where {
    char field[256];
    char text[1024];
    llmspell_vec_filter f;
} where;

static int parse_where(const cli *c, const char *s, where *w) {
    size_t at = strcspn(s, "=!<>"), oplen = 1;
    const char *val;
    llmspell_json_doc *doc = NULL;
    memset(w, 0, sizeof *w);
    if (at == 0 || !s[at] || at >= sizeof w->field) return usage_error(c, "--where wants FIELD<op>VALUE (op = != < <= > >=), not %s", s);
    memcpy(w->field, s, at);
    w->f.field = w->field;
    if (s[at] == '!' && s[at + 1] == '=') w->f.op = LLMSPELL_F_NE, oplen = 2;
    else if (s[at] == '<' && s[at + 1] == '=') w->f.op = LLMSPELL_F_LE, oplen = 2;
    else if (s[at] == '>' && s[at + 1] == '=') w->f.op = LLMSPELL_F_GE, oplen = 2;
    else if (s[at] == '=') w->f.op = LLMSPELL_F_EQ;
    else if (s[at] == '<') w->f.op = LLMSPELL_F_LT;
    else if (s[at] == '>') w->f.op = LLMSPELL_F_GT;
    else return usage_error(c, "--where wants FIELD<op>VALUE (op = != < <= > >=), not %s", s);
    val = s + at + oplen;
    if (strlen(val) >= sizeof w->text) return usage_error(c, "--where value too long: %s", s);
    strcpy(w->text, val);
    w->f.value.type = LLMSPELL_VAL_STRING;
    w->f.value.s = w->text;
    w->f.value.slen = strlen(w->text);
    if (llmspell_json_parse(val, strlen(val), NULL, &doc, NULL) == LLMSPELL_OK) {
        const llmspell_json_value *j = llmspell_json_doc_root(doc);
        if (j->type == LLMSPELL_JSON_NULL) w->f.value.type = LLMSPELL_VAL_NULL;
        else if (j->type == LLMSPELL_JSON_BOOL) w->f.value.type = LLMSPELL_VAL_BOOL, w->f.value.i = j->b;
        else if (j->type == LLMSPELL_JSON_NUMBER && j->is_int) w->f.value.type = LLMSPELL_VAL_INT, w->f.value.i = j->i;
        else if (j->type == LLMSPELL_JSON_NUMBER) w->f.value.type = LLMSPELL_VAL_DOUBLE, w->f.value.d = j->d;
        else if (j->type == LLMSPELL_JSON_STRING && j->len < sizeof w->text) {
            memcpy(w->text, j->u.str, j->len + 1);
            w->f.value.slen = j->len;
        }
        llmspell_json_doc_free(doc);
    }
    if (w->f.value.slen == 0 && w->f.value.type == LLMSPELL_VAL_STRING) w->f.value.s = ""; /* slen 0: NUL-terminated */
    return 0;
}

#define MAX_WHERE 8

static int cmd_vec_search(cli *c) {
    store s;
    llmspell_vec *v;
    llmspell_vec_query q;
    llmspell_vec_filter all;
    llmspell_vec_filter fs[MAX_WHERE];
    where *ws = NULL;
    llmspell_vec_hit *hits = NULL;
    uint64_t k = 10, ef = 0;
    float *emb;
    size_t n, i;
    int nw = 0, status;
    llmspell_result rc;
    if ((status = opt_u64(c, "k", 1, LLMSPELL_VEC_MAX_K, &k)) || (status = opt_u64(c, "ef", 1, 1000000, &ef))) return status;
    if (!opt(c, "vector")) return usage_error(c, "--vector is required");
    while (opt_nth(c, "where", nw)) nw++;
    if (nw > MAX_WHERE) return usage_error(c, "at most 8 --where conditions");
    if (!(ws = (where *)calloc(nw ? (size_t)nw : 1, sizeof *ws))) return EXIT_FAIL;
    for (i = 0; i < (size_t)nw; i++) {
        if ((status = parse_where(c, opt_nth(c, "where", (int)i), &ws[i])) != 0) {
            free(ws);
            return status;
        }
        fs[i] = ws[i].f;
    }
    memset(&q, 0, sizeof q);
    if ((status = parse_vector(c, opt(c, "vector"), &emb, &q.dim)) != 0) {
        free(ws);
        return status;
    }
    memset(&all, 0, sizeof all);
    all.op = LLMSPELL_F_AND;
    all.children = fs;
    all.nchildren = (size_t)nw;
    q.vector = emb;
    q.k = (size_t)k;
    q.ef = (uint32_t)ef;
    q.filter = nw == 0 ? NULL : nw == 1 ? &fs[0] : &all;
    if ((status = store_open(c, &s, OPEN_READ)) != 0) goto out;
    if ((rc = llmspell_vec_open(&v, s.kv, c->args[0], NULL, NULL)) != LLMSPELL_OK) {
        status = vec_failed(c, &s, c->args[0], rc);
    } else {
        if (!(hits = (llmspell_vec_hit *)malloc((size_t)k * sizeof *hits))) rc = LLMSPELL_ERR_NOMEM;
        else rc = opt(c, "exact") ? llmspell_vec_search_exact(v, &q, hits, &n) : llmspell_vec_search(v, &q, hits, &n);
        if (rc != LLMSPELL_OK) {
            say(c, "%s", rc == LLMSPELL_ERR_NOMEM ? "out of memory" : llmspell_vec_errmsg(v));
            status = EXIT_FAIL;
        }
        for (i = 0; rc == LLMSPELL_OK && i < n; i++) {
            printf("%zu\t", i + 1);
            put_escaped(stdout, hits[i].id, strlen(hits[i].id));
            printf("\t%.6f\t%.*s\n", (double)hits[i].score, (int)hits[i].metadata_len, hits[i].metadata);
        }
        llmspell_vec_close(v);
    }
    store_close(&s, status);
out:
    free(hits);
    free(emb);
    free(ws);
    return status;
}

static int cmd_vec_info(cli *c) {
    store s;
    info_ctx x;
    int status;
    if ((status = store_open(c, &s, OPEN_READ)) != 0) return status;
    x.c = c;
    x.kv = s.kv;
    x.failed = 0;
    if (c->nargs == 1) {
        llmspell_vec *v;
        llmspell_vec_info in;
        llmspell_result rc = llmspell_vec_open(&v, s.kv, c->args[0], NULL, NULL);
        if (rc != LLMSPELL_OK) {
            status = vec_failed(c, &s, c->args[0], rc);
        } else {
            memset(&in, 0, sizeof in);
            llmspell_vec_info_get(v, &in);
            print_collection(c->args[0], &in);
            printf("  kernel %s; index %s; %llu bytes in memory\n", in.kernel ? in.kernel : "none",
                   in.graph_loaded ? "loaded from its saved pages" : "built at open", (unsigned long long)in.memory_bytes);
            llmspell_vec_close(v);
        }
    } else if (llmspell_vec_list(s.kv, NULL, info_collection, &x) != LLMSPELL_OK || x.failed) {
        if (!x.failed) say(c, "%s", llmspell_kv_errmsg(s.kv));
        status = EXIT_FAIL;
    }
    store_close(&s, status);
    return status;
}

/* ---- graph ------------------------------------------------------------------------------- */

typedef struct graph_cmd {
    store s;
    llmspell_graph g;
    llmspell_time valid_at, tx_at;
} graph_cmd;

static int graph_open(cli *c, graph_cmd *gc, int writable) {
    int status;
    if ((status = opt_time(c, "valid-at", LLMSPELL_GRAPH_NOW, &gc->valid_at)) ||
        (status = opt_time(c, "tx-at", LLMSPELL_GRAPH_NOW, &gc->tx_at)))
        return status;
    if ((status = store_open(c, &gc->s, writable ? OPEN_WRITE : OPEN_READ)) != 0) return status;
    if (llmspell_graph_open(&gc->g, gc->s.kv, NULL) != LLMSPELL_OK) {
        say(c, "graph in %s: %s", gc->s.name, llmspell_graph_errmsg(&gc->g));
        store_close(&gc->s, EXIT_FAIL);
        return EXIT_FAIL;
    }
    return 0;
}

static void graph_close(graph_cmd *gc, int status) {
    llmspell_graph_close(&gc->g);
    store_close(&gc->s, status);
}

static int graph_failed(const cli *c, graph_cmd *gc, const char *id, llmspell_result rc) {
    if (rc == LLMSPELL_ERR_NOT_FOUND && !llmspell_graph_errmsg(&gc->g)[0]) say(c, "'%s' not found (or not visible at that time) in %s", id, gc->s.name);
    else say(c, "'%s' in %s: %s", id, gc->s.name, llmspell_graph_errmsg(&gc->g));
    return EXIT_FAIL;
}

static void print_interval(const char *label, llmspell_time a, llmspell_time b) {
    char x[40], y[40];
    format_time(a, x, sizeof x);
    format_time(b, y, sizeof y);
    printf("  %s [%s, %s)\n", label, x, y);
}

static void print_entity(const llmspell_graph_entity *e) {
    char t[40];
    printf("entity %s\n  type %s\n  name %s\n  properties %s\n", e->id, e->type, e->name, e->properties);
    print_interval("valid", e->valid_from, e->valid_to);
    print_interval("recorded", e->tx_from, e->tx_to);
    format_time(e->created_at, t, sizeof t);
    printf("  created %s\n", t);
}

static void print_rel(const llmspell_graph_rel *r) {
    char t[40];
    printf("relationship %s\n  type %s\n  source %s\n  target %s\n  properties %s\n", r->id, r->type, r->source, r->target,
           r->properties);
    print_interval("valid", r->valid_from, r->valid_to);
    print_interval("recorded", r->tx_from, r->tx_to);
    format_time(r->created_at, t, sizeof t);
    printf("  created %s\n", t);
}

/* An entity, or with --source and --target a relationship, over [--valid-from, --valid-to). */
static int cmd_graph_put(cli *c) {
    graph_cmd gc;
    llmspell_time vf, vt;
    const char *src = opt(c, "source"), *dst = opt(c, "target");
    llmspell_result rc;
    int status;
    if ((status = opt_time(c, "valid-from", LLMSPELL_GRAPH_NOW, &vf)) || (status = opt_time(c, "valid-to", LLMSPELL_TIME_MAX, &vt)))
        return status;
    if (!src != !dst) return usage_error(c, "a relationship needs both --source and --target");
    if (src && opt(c, "name")) return usage_error(c, "--name is for entities; a relationship has --type only");
    if ((status = graph_open(c, &gc, 1)) != 0) return status;
    if (src)
        rc = llmspell_graph_put_rel(&gc.g, c->args[0], opt(c, "type"), src, dst, opt(c, "props"), vf, vt);
    else
        rc = llmspell_graph_put_entity(&gc.g, c->args[0], opt(c, "type"), opt(c, "name"), opt(c, "props"), vf, vt);
    if (rc == LLMSPELL_OK) printf("stored %s '%s' in %s\n", src ? "relationship" : "entity", c->args[0], gc.s.name);
    else status = graph_failed(c, &gc, c->args[0], rc);
    graph_close(&gc, status);
    return status;
}

static int cmd_graph_get(cli *c) {
    graph_cmd gc;
    llmspell_graph_entity e;
    llmspell_graph_rel r;
    llmspell_result rc;
    int status;
    if ((status = graph_open(c, &gc, 0)) != 0) return status;
    if (opt(c, "rel")) {
        if ((rc = llmspell_graph_get_rel(&gc.g, c->args[0], gc.valid_at, gc.tx_at, &r)) == LLMSPELL_OK) print_rel(&r);
    } else if ((rc = llmspell_graph_get_entity(&gc.g, c->args[0], gc.valid_at, gc.tx_at, &e)) == LLMSPELL_OK) {
        print_entity(&e);
    }
    if (rc != LLMSPELL_OK) status = graph_failed(c, &gc, c->args[0], rc);
    graph_close(&gc, status);
    return status;
}

/* One tab-separated line per version: valid_from valid_to tx_from tx_to type name|source>target properties */
static int cmd_graph_history(cli *c) {
    graph_cmd gc;
    llmspell_graph_rows rows;
    llmspell_result rc;
    size_t i;
    int status, rel = opt(c, "rel") != NULL;
    if ((status = graph_open(c, &gc, 0)) != 0) return status;
    memset(&rows, 0, sizeof rows);
    rc = rel ? llmspell_graph_rel_history(&gc.g, c->args[0], &rows) : llmspell_graph_entity_history(&gc.g, c->args[0], &rows);
    if (rc != LLMSPELL_OK) status = graph_failed(c, &gc, c->args[0], rc);
    else printf("valid_from\tvalid_to\trecorded_from\trecorded_to\ttype\t%s\tproperties\n", rel ? "source>target" : "name");
    for (i = 0; rc == LLMSPELL_OK && i < rows.count; i++) {
        char a[40], b[40], x[40], y[40];
        llmspell_time t[4];
        if (rel) t[0] = rows.rel[i].valid_from, t[1] = rows.rel[i].valid_to, t[2] = rows.rel[i].tx_from, t[3] = rows.rel[i].tx_to;
        else t[0] = rows.entity[i].valid_from, t[1] = rows.entity[i].valid_to, t[2] = rows.entity[i].tx_from, t[3] = rows.entity[i].tx_to;
        format_time(t[0], a, sizeof a);
        format_time(t[1], b, sizeof b);
        format_time(t[2], x, sizeof x);
        format_time(t[3], y, sizeof y);
        if (rel)
            printf("%s\t%s\t%s\t%s\t%s\t%s>%s\t%s\n", a, b, x, y, rows.rel[i].type, rows.rel[i].source, rows.rel[i].target,
                   rows.rel[i].properties);
        else
            printf("%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a, b, x, y, rows.entity[i].type, rows.entity[i].name, rows.entity[i].properties);
    }
    llmspell_graph_rows_free(&rows);
    graph_close(&gc, status);
    return status;
}

static int parse_dir(const cli *c, llmspell_graph_dir *d) {
    const char *s = opt(c, "dir");
    *d = LLMSPELL_GRAPH_OUT;
    if (!s || strcmp(s, "out") == 0) return 0;
    if (strcmp(s, "in") == 0) *d = LLMSPELL_GRAPH_IN;
    else if (strcmp(s, "both") == 0) *d = LLMSPELL_GRAPH_BOTH;
    else return usage_error(c, "--dir is out, in or both, not %s", s);
    return 0;
}

/* relationship <TAB> type <TAB> -> or <- <TAB> entity <TAB> its name */
static int cmd_graph_neighbors(cli *c) {
    graph_cmd gc;
    llmspell_graph_rows rows;
    llmspell_graph_dir dir;
    llmspell_result rc;
    size_t i;
    int status;
    if ((status = parse_dir(c, &dir)) || (status = graph_open(c, &gc, 0))) return status;
    memset(&rows, 0, sizeof rows);
    rc = llmspell_graph_neighbors(&gc.g, c->args[0], dir, opt(c, "type"), gc.valid_at, gc.tx_at, &rows);
    if (rc != LLMSPELL_OK) status = graph_failed(c, &gc, c->args[0], rc);
    for (i = 0; rc == LLMSPELL_OK && i < rows.count; i++)
        printf("%s\t%s\t%s\t%s\t%s\n", rows.rel[i].id, rows.rel[i].type, strcmp(rows.rel[i].source, c->args[0]) == 0 ? "->" : "<-",
               rows.entity[i].id, rows.entity[i].name);
    llmspell_graph_rows_free(&rows);
    graph_close(&gc, status);
    return status;
}

/* depth <TAB> entity <TAB> name <TAB> path (start > ... > entity) */
static int cmd_graph_traverse(cli *c) {
    graph_cmd gc;
    llmspell_graph_rows rows;
    llmspell_graph_dir dir;
    uint64_t depth = 2;
    const char *path[LLMSPELL_GRAPH_MAX_DEPTH + 1];
    llmspell_result rc;
    size_t i, j, n;
    int status;
    if ((status = parse_dir(c, &dir)) || (status = opt_u64(c, "depth", 1, LLMSPELL_GRAPH_MAX_DEPTH, &depth)) ||
        (status = graph_open(c, &gc, 0)))
        return status;
    memset(&rows, 0, sizeof rows);
    rc = llmspell_graph_traverse(&gc.g, c->args[0], dir, opt(c, "type"), (unsigned)depth, gc.valid_at, gc.tx_at, &rows);
    if (rc == LLMSPELL_OK && rows.count == 0) rc = LLMSPELL_ERR_NOT_FOUND; /* the start is not visible then */
    if (rc != LLMSPELL_OK) status = graph_failed(c, &gc, c->args[0], rc);
    for (i = 0; rc == LLMSPELL_OK && i < rows.count; i++) {
        printf("%u\t%s\t%s\t", rows.depth[i], rows.entity[i].id, rows.entity[i].name);
        n = llmspell_graph_rows_path(&rows, i, path, sizeof path / sizeof *path);
        for (j = 0; j < n && j < sizeof path / sizeof *path; j++) printf("%s%s", j ? " > " : "", path[j]);
        printf("\n");
    }
    llmspell_graph_rows_free(&rows);
    graph_close(&gc, status);
    return status;
}

/* ---- commands ---------------------------------------------------------------------------- */

#define U_STORE "  --backend memory|file|sqlite|postgres   default file; memory: --path is an export file loaded first\n" \
                "  --path DB                      the store (file, SQLite database or PostgreSQL conninfo)\n"  \
                "  --tenant T                     work inside tenant T's view\n"
#define U_TIMES "  --valid-at TIME                as of this valid time (default now)\n"                    \
                "  --tx-at TIME                   as the graph knew it at this time (default: current knowledge)\n"

static const command_def commands[] = {
    {"storage", "export", STORE_OPTS "output= pretty", 0, 0,
     "usage: llmspell storage export --path DB [--backend B] [--tenant T] [--output FILE|-] [--pretty]\n"
     "Writes the whole store as one llmspell v1.0 JSON document (default: to standard output).\n"
     "With --tenant only that tenant is written, labelled with its id, so a plain import restores it there.\n" U_STORE
     "  --output FILE|-                written to FILE.tmpPID and renamed when complete\n"
     "  --pretty                       indented\n",
     cmd_export},
    {"storage", "import", STORE_OPTS "input= skip-empty-embeddings times-in-seconds", 0, 0,
     "usage: llmspell storage import --path DB --input FILE|- [--backend file|sqlite|postgres] [--tenant T]\n"
     "Validates the whole file, then writes it in one transaction: all of it or, on any error, nothing.\n"
     "Prints the number of records per section.\n" U_STORE
     "  --input FILE|-                 an llmspell v1.0 export (- reads standard input); with --tenant T\n"
     "                                 the file's own records (tenant_id \"\") go to tenant T\n"
     "  --skip-empty-embeddings        skip vectors whose embedding is \"\" (rs-llmspell SQLite exports)\n"
     "  --times-in-seconds             the file's times are seconds (rs-llmspell SQLite exports)\n",
     cmd_import},
    {"storage", "validate", STORE_OPTS "input= skip-empty-embeddings times-in-seconds", 0, 0,
     "usage: llmspell storage validate --input FILE|- [--path DB [--backend B]]\n"
     "Checks an export as import would (format, fields, base64, dimensions, duplicates, references)\n"
     "without writing anything; with --path, also against that store's existing data.\n" U_STORE
     "  --input FILE|-                 the export to check\n",
     cmd_validate},
    {"storage", "info", STORE_OPTS, 0, 0,
     "usage: llmspell storage info --path DB [--backend B] [--tenant T]\n"
     "Backend and its characteristics, keys and bytes, file size, and per tenant: user keys,\n"
     "collections (records, metric, dimensions) and graph sizes.\n" U_STORE,
     cmd_info},
    {"storage", "compact", "backend= path=", 0, 0,
     "usage: llmspell storage compact --path DB [--backend file|sqlite|postgres]\n"
     "Rewrites the store without the bytes that overwritten and deleted keys left behind (the file\n"
     "backend: a new file, fsync'd, then renamed over the old one; a crash at any point keeps one of the two;\n"
     "postgres: VACUUM).\n"
     "  --backend file|sqlite|postgres default file\n"
     "  --path DB                      the store\n",
     cmd_compact},
    {"storage", "migrate", "from= to= skip-empty-embeddings times-in-seconds", 0, 0,
     "usage: llmspell storage migrate --from KIND:DB --to KIND:DB\n"
     "Copies a whole store (every tenant, collection and graph version) through the export format,\n"
     "in one transaction on the target. KIND is file, sqlite or postgres (postgres:CONNINFO); --from may\n"
     "also be memory:EXPORT.json.\n",
     cmd_migrate},
    {"kv", "get", STORE_OPTS "raw", 1, 1,
     "usage: llmspell kv get KEY [--raw] [store options]\n"
     "Prints the value (and a newline, unless --raw).\n" U_STORE, cmd_kv_get},
    {"kv", "put", STORE_OPTS, 1, 2,
     "usage: llmspell kv put KEY [VALUE] [store options]\n"
     "Sets KEY to VALUE, or to all of standard input when VALUE is not given.\n" U_STORE, cmd_kv_put},
    {"kv", "del", STORE_OPTS, 1, 1, "usage: llmspell kv del KEY [store options]\n" U_STORE, cmd_kv_del},
    {"kv", "scan", STORE_OPTS "limit=", 0, 1,
     "usage: llmspell kv scan [PREFIX] [--limit N] [store options]\n"
     "Prints key<TAB>value per line in key order (control bytes and backslash escaped).\n" U_STORE, cmd_kv_scan},
    {"vec", "create", STORE_OPTS "metric= quant= M= ef-construction= ef-search=", 1, 1,
     "usage: llmspell vec create NAME [--metric cosine|l2|ip] [--quant f32|f16|int8] [--M 16] [--ef-construction 200] [--ef-search 50]\n" U_STORE,
     cmd_vec_create},
    {"vec", "add", STORE_OPTS "vector= metadata= scope= ttl= input=", 1, 2,
     "usage: llmspell vec add NAME ID --vector '[0.1, 0.2, ...]' [--metadata JSON] [--scope S] [--ttl SECONDS]\n"
     "       llmspell vec add NAME --input FILE|-\n"
     "The second form adds JSON Lines {\"id\", \"vector\", \"metadata\", \"scope\", \"ttl_seconds\"} as one batch:\n"
     "every record or none.\n" U_STORE,
     cmd_vec_add},
    {"vec", "search", STORE_OPTS "vector= k= ef= where* exact", 1, 1,
     "usage: llmspell vec search NAME --vector V [--k 10] [--ef N] [--where 'year>=2023']... [--exact]\n"
     "Prints rank<TAB>id<TAB>score<TAB>metadata, best first. --where FIELD<op>VALUE (op = != < <= > >=)\n"
     "on top-level metadata fields, repeated conditions all hold; --exact scans instead of the index.\n" U_STORE,
     cmd_vec_search},
    {"vec", "info", STORE_OPTS, 0, 1,
     "usage: llmspell vec info [NAME] [store options]\n"
     "One collection's records, metric, parameters and dimensions; without NAME every collection.\n" U_STORE,
     cmd_vec_info},
    {"graph", "put", STORE_OPTS "type= name= props= source= target= valid-from= valid-to=", 1, 1,
     "usage: llmspell graph put ID [--type T] [--name N] [--props JSON] [--valid-from TIME] [--valid-to TIME]\n"
     "       llmspell graph put ID --source A --target B [--type T] [--props JSON] [--valid-from ...]\n"
     "Sets an entity (or a relationship) over valid time [from, to): default [now, +inf).\n" U_STORE,
     cmd_graph_put},
    {"graph", "get", STORE_OPTS "rel valid-at= tx-at=", 1, 1,
     "usage: llmspell graph get ID [--rel] [--valid-at TIME] [--tx-at TIME]\n"
     "The version of an entity (--rel: a relationship) at the snapshot.\n" U_STORE U_TIMES,
     cmd_graph_get},
    {"graph", "history", STORE_OPTS "rel", 1, 1,
     "usage: llmspell graph history ID [--rel]\n"
     "Every version with its valid and recorded (transaction) intervals, tab-separated.\n" U_STORE,
     cmd_graph_history},
    {"graph", "neighbors", STORE_OPTS "dir= type= valid-at= tx-at=", 1, 1,
     "usage: llmspell graph neighbors ID [--dir out|in|both] [--type T] [--valid-at TIME] [--tx-at TIME]\n"
     "Prints relationship<TAB>type<TAB>-> or <-<TAB>entity<TAB>name.\n" U_STORE U_TIMES,
     cmd_graph_neighbors},
    {"graph", "traverse", STORE_OPTS "dir= type= depth= valid-at= tx-at=", 1, 1,
     "usage: llmspell graph traverse ID [--depth 2] [--dir out|in|both] [--type T] [--valid-at TIME] [--tx-at TIME]\n"
     "Every entity within --depth hops (1..10), breadth first: depth<TAB>entity<TAB>name<TAB>path.\n" U_STORE U_TIMES,
     cmd_graph_traverse},
};

int main(int argc, char **argv) {
    size_t i;
    int group_known = 0;
    cli c;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("llmspell %s (llmspell-c)\n", LLMSPELL_VERSION_STRING);
        return 0;
    }
    if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        for (i = 0; i < sizeof commands / sizeof *commands; i++)
            if (strcmp(argv[1], commands[i].group) == 0) fputs(commands[i].usage, stdout), group_known = 1;
        if (group_known) return 0;
    }
    for (i = 0; i < sizeof commands / sizeof *commands; i++) {
        const command_def *d = &commands[i];
        int k, status;
        if (strcmp(argv[1], d->group) != 0) continue;
        group_known = 1;
        if (argc < 3 || strcmp(argv[2], d->name) != 0) continue;
        for (k = 3; k < argc && strcmp(argv[k], "--") != 0; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                fputs(d->usage, stdout);
                return 0;
            }
        if ((status = parse_cli(&c, d, argc - 3, argv + 3)) != 0) return status;
        return d->run(&c);
    }
    if (!group_known) fprintf(stderr, "llmspell: unknown group '%s'\n\n", argv[1]);
    else if (argc < 3) fprintf(stderr, "llmspell %s: which command?\n\n", argv[1]);
    else fprintf(stderr, "llmspell %s: unknown command '%s'\n\n", argv[1], argv[2]);
    if (group_known) {
        for (i = 0; i < sizeof commands / sizeof *commands; i++)
            if (strcmp(argv[1], commands[i].group) == 0) fprintf(stderr, "  llmspell %s %s\n", commands[i].group, commands[i].name);
        fputc('\n', stderr);
    }
    fputs(usage_main, stderr);
    return EXIT_USAGE;
}
