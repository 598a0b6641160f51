/* Crash simulation for the file backend (modelled on SQLite's crash tests).
   A simulated disk sits behind llmspell_kv_io: it keeps what was written (the "cache") apart
   from what a sync made durable. A scripted workload runs against it and the disk "loses
   power" at its N-th sync point: every write since the file's last sync is kept, dropped or
   torn (a random sector onwards replaced by garbage), and directory changes since the last
   directory sync survive only as a prefix. The store is then reopened from what survived and
   compared with a model of the acknowledged transactions. N sweeps over every sync point of
   the workload, several times with different fates, in safe, balanced and fast mode.
   A second sweep injects EIO / ENOSPC at the N-th write, sync or rename instead of a crash.

   Two fault models: POSIX (a rename, a link or an unlink is durable only after a directory
   sync) and Win32 (MoveFileExW with MOVEFILE_WRITE_THROUGH returns once the rename, and the
   NTFS journal before it, is on disk; a rename cannot replace a file that is open, so the
   backend must let go of the old file first; "syncing the directory" is flushing the file the
   path names, which flushes the journal). `crashsim_kv [posix|win32]` runs one; default both.

   Checks: open never fails after a crash; the store equals the acknowledged state, or that
   plus the one transaction in flight (all of it); in safe mode nothing acknowledged is lost;
   in the other modes nothing acknowledged before the last completed sync is lost. */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L
#define LLMSPELL_KV_IMPLEMENTATION
#include "compat.h"
#include "../llmspell_kv.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* >>the simulated disk ----------------------------------------------------------------- */

#define MAXF 16
#define MAXFD 32
#define MAXOPS 4096

typedef struct op { int ino; int kind; uint64_t off; size_t len; uint8_t *data; } op; /* kind 0 write, 1 truncate */
typedef struct inode { int used; uint8_t *cur, *dur; size_t curlen, durlen, curcap, durcap; } inode;
typedef struct dent { char name[128]; int ino; } dent;
typedef struct dirop { int kind; char a[128], b[128]; int ino; } dirop; /* 0 add a->ino, 1 remove a, 2 rename a->b */

typedef struct disk {
    inode ino[MAXF];
    dent cur[MAXF], dur[MAXF];        /* the namespace as seen, and as durable */
    int ncur, ndur;
    op ops[MAXOPS];                   /* unsynced data changes, in order */
    int nops;
    dirop dops[64];                   /* unsynced directory changes, in order */
    int ndops;
    int fd_ino[MAXFD], fd_lock[MAXFD];
    long syncs;                       /* sync points reached */
    long completed;                   /* syncs that made the store's own file durable */
    long crash_at;                    /* crash at this sync point (0: never) */
    int crashed;
    long fail_at, calls;              /* inject an error at this write/sync/rename (0: never) */
    int fail_errno, injected;
    unsigned rng;
    int win32;                        /* the Win32 fault model (see the top) */
} disk;

static unsigned rnd(disk *d) { d->rng = d->rng * 1103515245u + 12345u; return d->rng >> 8; }

static void grow(uint8_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return;
    *cap = need * 2 + 64;
    *p = (uint8_t *)realloc(*p, *cap);
    if (!*p) abort();
}

static void set_len(uint8_t **p, size_t *len, size_t *cap, size_t n) {
    grow(p, cap, n);
    if (n > *len) memset(*p + *len, 0, n - *len);
    *len = n;
}

static void apply_write(uint8_t **p, size_t *len, size_t *cap, uint64_t off, const uint8_t *data, size_t n) {
    if (off + n > *len) set_len(p, len, cap, (size_t)(off + n));
    if (n) memcpy(*p + off, data, n);
}

static int find(const dent *ns, int n, const char *name) {
    int i;
    for (i = 0; i < n; i++)
        if (strcmp(ns[i].name, name) == 0) return i;
    return -1;
}

static void ns_add(dent *ns, int *n, const char *name, int ino) {
    int i = find(ns, *n, name);
    if (i < 0) i = (*n)++;
    snprintf(ns[i].name, sizeof ns[i].name, "%s", name);
    ns[i].ino = ino;
}

static void ns_remove(dent *ns, int *n, const char *name) {
    int i = find(ns, *n, name);
    if (i >= 0) ns[i] = ns[--*n];
}

static void dirop_log(disk *d, int kind, const char *a, const char *b, int ino) {
    dirop *o = &d->dops[d->ndops++];
    if (d->ndops > 64) abort();
    o->kind = kind;
    snprintf(o->a, sizeof o->a, "%s", a);
    snprintf(o->b, sizeof o->b, "%s", b ? b : "");
    o->ino = ino;
}

static void dirop_apply(dent *ns, int *n, const dirop *o) {
    if (o->kind == 0) ns_add(ns, n, o->a, o->ino);
    else if (o->kind == 1) ns_remove(ns, n, o->a);
    else {
        int i = find(ns, *n, o->a);
        if (i >= 0) {
            int ino = ns[i].ino;
            ns_remove(ns, n, o->a);
            ns_add(ns, n, o->b, ino);
        }
    }
}

/* Power loss: what survives becomes the whole disk. */
static void crash_image(disk *d) {
    int i, keep_dirs;
    for (i = 0; i < d->nops; i++) {
        op *o = &d->ops[i];
        inode *in = &d->ino[o->ino];
        unsigned fate = rnd(d) % 3; /* 0 kept, 1 dropped, 2 torn */
        if (o->kind == 1) {
            if (fate != 1) set_len(&in->dur, &in->durlen, &in->durcap, (size_t)o->off);
            continue;
        }
        if (fate == 0) {
            apply_write(&in->dur, &in->durlen, &in->durcap, o->off, o->data, o->len);
        } else if (fate == 2) {
            size_t cut = o->len > 1 ? (size_t)(rnd(d) % o->len) / 512 * 512 : 0, k;
            uint8_t *torn = (uint8_t *)malloc(o->len);
            memcpy(torn, o->data, o->len);
            for (k = cut; k < o->len; k++) torn[k] = (uint8_t)rnd(d);
            apply_write(&in->dur, &in->durlen, &in->durcap, o->off, torn, o->len);
            free(torn);
        }
    }
    keep_dirs = d->ndops ? (int)(rnd(d) % (unsigned)(d->ndops + 1)) : 0;
    for (i = 0; i < keep_dirs; i++) dirop_apply(d->dur, &d->ndur, &d->dops[i]);
    /* reboot: the durable state is all there is */
    for (i = 0; i < MAXF; i++) {
        inode *in = &d->ino[i];
        if (!in->used) continue;
        set_len(&in->cur, &in->curlen, &in->curcap, 0);
        apply_write(&in->cur, &in->curlen, &in->curcap, 0, in->dur, in->durlen);
    }
    memcpy(d->cur, d->dur, sizeof d->cur);
    d->ncur = d->ndur;
    for (i = 0; i < d->nops; i++) free(d->ops[i].data);
    d->nops = d->ndops = 0;
    for (i = 0; i < MAXFD; i++) d->fd_ino[i] = -1;
    d->crashed = 0;
    d->crash_at = 0;
}

static int dead(disk *d) { return d->crashed ? EIO : 0; }

static int inject(disk *d) {
    if (d->fail_at && ++d->calls == d->fail_at) {
        d->injected = 1;
        return d->fail_errno;
    }
    return 0;
}

static int sync_point(disk *d) {
    if (d->crashed) return EIO;
    if (d->crash_at && ++d->syncs == d->crash_at) {
        d->crashed = 1; /* the power goes before this sync completes */
        return EIO;
    }
    if (!d->crash_at) d->syncs++;
    return 0;
}

static int s_open(void *ctx, const char *path, int write, int create, unsigned mode, int *fd) {
    disk *d = (disk *)ctx;
    int i = find(d->cur, d->ncur, path), f, ino;
    (void)write;
    (void)mode;
    if (dead(d)) return EIO;
    if (i < 0) {
        if (!create) return ENOENT;
        for (ino = 0; ino < MAXF && d->ino[ino].used; ino++) {
        }
        if (ino == MAXF) return ENOSPC;
        memset(&d->ino[ino], 0, sizeof d->ino[ino]);
        d->ino[ino].used = 1;
        ns_add(d->cur, &d->ncur, path, ino);
        dirop_log(d, 0, path, NULL, ino);
    } else {
        ino = d->cur[i].ino;
        if (create == 2 && d->ino[ino].curlen) {
            op *o = &d->ops[d->nops++];
            o->ino = ino;
            o->kind = 1;
            o->off = 0;
            o->len = 0;
            o->data = NULL;
            d->ino[ino].curlen = 0;
        }
    }
    for (f = 0; f < MAXFD && d->fd_ino[f] >= 0; f++) {
    }
    if (f == MAXFD) return EMFILE;
    d->fd_ino[f] = ino;
    d->fd_lock[f] = 0;
    *fd = f;
    return 0;
}

static int s_close(void *ctx, int fd) {
    disk *d = (disk *)ctx;
    d->fd_ino[fd] = -1;
    d->fd_lock[fd] = 0;
    return 0;
}

static int s_stat(void *ctx, int fd, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]) {
    disk *d = (disk *)ctx;
    if (dead(d)) return EIO;
    *size = d->ino[d->fd_ino[fd]].curlen;
    *regular = 1;
    *mode = 0644;
    id[0] = 1;
    id[1] = (uint64_t)d->fd_ino[fd];
    return 0;
}

static int s_stat_path(void *ctx, const char *path, uint64_t id[2]) {
    disk *d = (disk *)ctx;
    int i = find(d->cur, d->ncur, path);
    if (dead(d)) return EIO;
    if (i < 0) return ENOENT;
    id[0] = 1;
    id[1] = (uint64_t)d->cur[i].ino;
    return 0;
}

static int s_lock(void *ctx, int fd, int exclusive) {
    disk *d = (disk *)ctx;
    int f;
    for (f = 0; f < MAXFD; f++)
        if (f != fd && d->fd_ino[f] == d->fd_ino[fd] && d->fd_lock[f]) return EWOULDBLOCK;
    d->fd_lock[fd] = exclusive ? 2 : 1;
    return 0;
}

static int s_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off, size_t *got) {
    disk *d = (disk *)ctx;
    inode *in = &d->ino[d->fd_ino[fd]];
    if (dead(d)) return EIO;
    *got = off >= in->curlen ? 0 : (in->curlen - off < n ? in->curlen - (size_t)off : n);
    if (*got) memcpy(buf, in->cur + off, *got);
    return 0;
}

static int s_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off) {
    disk *d = (disk *)ctx;
    inode *in = &d->ino[d->fd_ino[fd]];
    op *o;
    int e;
    if (dead(d)) return EIO;
    if ((e = inject(d)) != 0) { /* a failed write may still have written a part */
        size_t part = n / 2;
        if (part) {
            o = &d->ops[d->nops++];
            o->ino = d->fd_ino[fd]; o->kind = 0; o->off = off; o->len = part;
            o->data = (uint8_t *)malloc(part);
            memcpy(o->data, buf, part);
            apply_write(&in->cur, &in->curlen, &in->curcap, off, (const uint8_t *)buf, part);
        }
        return e;
    }
    if (d->nops == MAXOPS) abort();
    o = &d->ops[d->nops++];
    o->ino = d->fd_ino[fd];
    o->kind = 0;
    o->off = off;
    o->len = n;
    o->data = (uint8_t *)malloc(n ? n : 1);
    memcpy(o->data, buf, n);
    apply_write(&in->cur, &in->curlen, &in->curcap, off, (const uint8_t *)buf, n);
    return 0;
}

static int s_truncate(void *ctx, int fd, uint64_t size) {
    disk *d = (disk *)ctx;
    inode *in = &d->ino[d->fd_ino[fd]];
    op *o;
    if (dead(d)) return EIO;
    o = &d->ops[d->nops++];
    o->ino = d->fd_ino[fd];
    o->kind = 1;
    o->off = size;
    o->len = 0;
    o->data = NULL;
    set_len(&in->cur, &in->curlen, &in->curcap, (size_t)size);
    return 0;
}

static int s_sync(void *ctx, int fd) {
    disk *d = (disk *)ctx;
    int ino = d->fd_ino[fd], i, j, e;
    inode *in = &d->ino[ino];
    if ((e = sync_point(d)) != 0) return e;
    if ((e = inject(d)) != 0) return e; /* the data stays unsynced */
    set_len(&in->dur, &in->durlen, &in->durcap, 0);
    apply_write(&in->dur, &in->durlen, &in->durcap, 0, in->cur, in->curlen);
    i = find(d->dur, d->ndur, "db"); /* a sync of a side file (compaction) protects nothing yet */
    if (i >= 0 && d->dur[i].ino == ino) d->completed++;
    for (i = j = 0; i < d->nops; i++) {
        if (d->ops[i].ino == ino) free(d->ops[i].data);
        else d->ops[j++] = d->ops[i];
    }
    d->nops = j;
    return 0;
}

static int s_sync_dir(void *ctx, const char *path) {
    disk *d = (disk *)ctx;
    int e;
    (void)path;
    if ((e = sync_point(d)) != 0) return e;
    memcpy(d->dur, d->cur, sizeof d->dur);
    d->ndur = d->ncur;
    d->ndops = 0;
    d->completed++; /* a renamed, synced file is now the store */
    return 0;
}

static long g_replacing_renames; /* renames over an existing file: compactions that got that far */

static int s_rename(void *ctx, const char *from, const char *to) {
    disk *d = (disk *)ctx;
    int i = find(d->cur, d->ncur, from), t = find(d->cur, d->ncur, to), e, f;
    if (dead(d)) return EIO;
    if ((e = inject(d)) != 0) return e;
    if (i < 0) return ENOENT;
    if (d->win32 && t >= 0)
        for (f = 0; f < MAXFD; f++)
            if (d->fd_ino[f] == d->cur[t].ino) return EACCES; /* Windows replaces no open file */
    if (t >= 0) g_replacing_renames++;
    dirop_log(d, 2, from, to, 0);
    dirop_apply(d->cur, &d->ncur, &d->dops[d->ndops - 1]);
    if (d->win32) { /* write-through: the power may go before it returns, else it is durable */
        if ((e = sync_point(d)) != 0) return e;
        memcpy(d->dur, d->cur, sizeof d->dur);
        d->ndur = d->ncur;
        d->ndops = 0;
        d->completed++; /* the renamed, synced file is now the store */
    }
    return 0;
}

static int s_link(void *ctx, const char *from, const char *to) {
    disk *d = (disk *)ctx;
    int i = find(d->cur, d->ncur, from);
    if (dead(d)) return EIO;
    if (i < 0) return ENOENT;
    if (find(d->cur, d->ncur, to) >= 0) return EEXIST;
    ns_add(d->cur, &d->ncur, to, d->cur[i].ino);
    dirop_log(d, 0, to, NULL, d->cur[i].ino);
    return 0;
}

static int s_unlink(void *ctx, const char *path) {
    disk *d = (disk *)ctx;
    if (dead(d)) return EIO;
    if (find(d->cur, d->ncur, path) < 0) return ENOENT;
    ns_remove(d->cur, &d->ncur, path);
    dirop_log(d, 1, path, NULL, 0);
    return 0;
}

static void disk_init(disk *d) {
    int i;
    memset(d, 0, sizeof *d);
    for (i = 0; i < MAXFD; i++) d->fd_ino[i] = -1;
}

static void disk_free(disk *d) {
    int i;
    for (i = 0; i < MAXF; i++) {
        free(d->ino[i].cur);
        free(d->ino[i].dur);
    }
    for (i = 0; i < d->nops; i++) free(d->ops[i].data);
}

/* >>the model: a map of 64 small keys; a state is the value of each (0 = absent) ---------- */

#define NK 64
typedef struct state { uint32_t v[NK]; } state;

/* One scripted step: the keys it writes (value 0 deletes) in one transaction, or a compaction. */
typedef struct step { int compact, sync, n, big, rollback; int key[40]; uint32_t val[40]; } step;

#define NSTEPS 48
#define FATES 8 /* kept / dropped / torn draws per sync point */
static step script[NSTEPS];

static void make_script(void) {
    unsigned r = 7;
    int s, i;
    for (s = 0; s < NSTEPS; s++) {
        step *st = &script[s];
        memset(st, 0, sizeof *st);
        r = r * 1103515245u + 12345u;
        if (s % 11 == 10) { st->compact = 1; continue; }
        if (s % 7 == 6) st->sync = 1;
        st->n = 1 + (int)((r >> 8) % (s % 5 == 0 ? 40 : 4));
        st->big = s % 13 == 3 || s % 9 == 4; /* values of 300 KB: the transaction spills past the write buffer */
        st->rollback = s % 9 == 4;            /* ...and is then rolled back: its records are in the file */
        if (st->rollback && st->n < 6) st->n = 6;
        for (i = 0; i < st->n; i++) {
            r = r * 1103515245u + 12345u;
            st->key[i] = (int)((r >> 8) % NK);
            st->val[i] = (r >> 4) % 7 == 0 ? 0 : (uint32_t)(s * 100 + i + 1);
        }
    }
}

static void key_of(int k, char *out) { out[0] = 'k'; out[1] = (char)('0' + k / 10); out[2] = (char)('0' + k % 10); out[3] = 0; }

static size_t value_of(uint32_t v, int big, uint8_t *out) {
    size_t n = big ? 300000 : 16, i;
    for (i = 0; i < n; i++) out[i] = (uint8_t)(v * 31 + i);
    memcpy(out, &v, 4);
    return n;
}

static uint8_t valbuf[300000];

static void apply_step(state *s, const step *st) {
    int i;
    if (st->rollback) return;
    for (i = 0; i < st->n; i++) s->v[st->key[i]] = st->val[i];
}

/* Runs the script until the disk fails; returns how many steps were acknowledged, and sets
   *synced to how many were acknowledged before the last completed sync. */
static int run_script(llmspell_kv *kv, disk *d, int *synced, int *inflight) {
    int s, i;
    *synced = 0;
    for (s = 0; s < NSTEPS; s++) {
        const step *st = &script[s];
        llmspell_result r = LLMSPELL_OK;
        long syncs_before = d->completed;
        *inflight = s;
        if (st->compact) {
            r = llmspell_kv_compact(kv);
        } else if (st->n == 1 && !st->big && !st->rollback) { /* autocommit */
            char key[8];
            key_of(st->key[0], key);
            if (st->val[0]) r = llmspell_kv_put(kv, key, 3, valbuf, value_of(st->val[0], 0, valbuf));
            else {
                r = llmspell_kv_delete(kv, key, 3);
                if (r == LLMSPELL_ERR_NOT_FOUND) r = LLMSPELL_OK;
            }
        } else {
            r = llmspell_kv_begin(kv);
            for (i = 0; i < st->n && r == LLMSPELL_OK; i++) {
                char key[8];
                key_of(st->key[i], key);
                if (st->val[i]) r = llmspell_kv_put(kv, key, 3, valbuf, value_of(st->val[i], st->big, valbuf));
                else {
                    r = llmspell_kv_delete(kv, key, 3);
                    if (r == LLMSPELL_ERR_NOT_FOUND) r = LLMSPELL_OK;
                }
            }
            if (r == LLMSPELL_OK && st->rollback) r = llmspell_kv_rollback(kv);
            else if (r == LLMSPELL_OK) r = llmspell_kv_commit(kv);
            else (void)llmspell_kv_rollback(kv);
        }
        if (r == LLMSPELL_OK && st->sync) r = llmspell_kv_sync(kv);
        if (r != LLMSPELL_OK) return s;
        if (d->completed > syncs_before || st->sync) *synced = s + 1; /* a completed sync covers all before */
    }
    *inflight = -1;
    return NSTEPS;
}

static int store_is(llmspell_kv *kv, const state *s) {
    int k;
    for (k = 0; k < NK; k++) {
        char key[8];
        const void *v;
        size_t n;
        llmspell_result r;
        key_of(k, key);
        r = llmspell_kv_get(kv, key, 3, &v, &n);
        if (s->v[k] == 0) {
            if (r != LLMSPELL_ERR_NOT_FOUND) return 0;
        } else if (r != LLMSPELL_OK || n < 4 || memcmp(v, &s->v[k], 4) != 0 ||
                   (n != 16 && !(n == 300000 && ((const uint8_t *)v)[299999] == (uint8_t)(s->v[k] * 31 + 299999)))) {
            return 0;
        }
    }
    return 1;
}

/* The store must equal the state after some number of steps in lo..hi, or hi plus the step
   that was in flight (all of it or nothing of it). */
static int check_store(llmspell_kv *kv, int lo, int hi, int inflight, char *why, size_t whylen) {
    state s;
    int cand, i;
    for (cand = lo; cand <= hi + (inflight >= 0 ? 1 : 0); cand++) {
        memset(&s, 0, sizeof s);
        for (i = 0; i < cand && i < NSTEPS; i++) apply_step(&s, &script[i]);
        if (store_is(kv, &s)) return 1;
    }
    for (cand = 0; cand < lo; cand++) { /* for the message: did it lose acknowledged steps? */
        memset(&s, 0, sizeof s);
        for (i = 0; i < cand; i++) apply_step(&s, &script[i]);
        if (store_is(kv, &s)) {
            snprintf(why, whylen, "store holds only %d steps; %d were required (%d acknowledged, in flight %d)", cand, lo, hi, inflight);
            return 0;
        }
    }
    snprintf(why, whylen, "store matches no state between %d and %d acknowledged steps (in flight: %d)", lo, hi, inflight);
    return 0;
}

static const llmspell_kv_io *sim_io(disk *d) {
    static llmspell_kv_io io;
    io.ctx = d;
    io.open = s_open;
    io.close = s_close;
    io.stat = s_stat;
    io.stat_path = s_stat_path;
    io.lock = s_lock;
    io.pread = s_pread;
    io.pwrite = s_pwrite;
    io.truncate = s_truncate;
    io.sync = s_sync;
    io.sync_dir = s_sync_dir;
    io.rename = s_rename;
    io.link = s_link;
    io.unlink = s_unlink;
    io.no_replace_open = d->win32;
    return &io;
}

static int g_win32; /* the fault model of the runs below */

/* One crash run: returns 0 and a reason on failure. */
static int crash_run(llmspell_durability mode, long crash_at, unsigned seed, long *syncs_total, char *why, size_t whylen) {
    disk *d = (disk *)calloc(1, sizeof *d);
    llmspell_kv kv;
    llmspell_kv_options o;
    llmspell_result r;
    int acked, synced, inflight, ok = 1;
    disk_init(d);
    d->win32 = g_win32;
    d->rng = seed;
    d->crash_at = crash_at;
    memset(&o, 0, sizeof o);
    o.durability = mode;
    o.io = sim_io(d);
    o.auto_compact_min_bytes = 64 * 1024; /* let automatic compaction happen too */
    r = llmspell_kv_open_file(&kv, "db", &o);
    if (r != LLMSPELL_OK) {
        acked = synced = 0;
        inflight = -1;
    } else {
        acked = run_script(&kv, d, &synced, &inflight);
        llmspell_kv_close(&kv);
    }
    if (syncs_total) *syncs_total = d->syncs;
    if (d->crashed || crash_at) crash_image(d);
    o.io = sim_io(d);
    r = llmspell_kv_open_file(&kv, "db", &o);
    if (r != LLMSPELL_OK) {
        snprintf(why, whylen, "reopen after the crash failed: %.200s", llmspell_kv_errmsg(&kv));
        ok = 0;
    } else {
        /* safe: everything acknowledged; others: at least what a completed sync covered */
        int lo = mode == LLMSPELL_DURABILITY_SAFE ? acked : synced;
        ok = check_store(&kv, lo, acked, inflight, why, whylen);
        llmspell_kv_close(&kv);
    }
    disk_free(d);
    free(d);
    return ok;
}

/* One error-injection run: the n-th write/sync/rename fails; the handle must report it, stay
   consistent, and a reopen (no crash) must hold every acknowledged step. */
static int error_run(long fail_at, int err, int *injected, char *why, size_t whylen) {
    disk *d = (disk *)calloc(1, sizeof *d);
    llmspell_kv kv;
    llmspell_kv_options o;
    int acked, synced, inflight, ok = 1;
    disk_init(d);
    d->win32 = g_win32;
    d->fail_at = fail_at;
    d->fail_errno = err;
    memset(&o, 0, sizeof o);
    o.io = sim_io(d);
    o.auto_compact_min_bytes = 64 * 1024;
    if (llmspell_kv_open_file(&kv, "db", &o) != LLMSPELL_OK) {
        *injected = d->injected;
        acked = 0;
        inflight = -1;
        if (!d->injected) { snprintf(why, whylen, "open failed without an injected error"); ok = 0; }
    } else {
        acked = run_script(&kv, d, &synced, &inflight);
        *injected = d->injected;
        /* an error may go unreported only where it cost nothing: in a best-effort automatic
           compaction that left the store as it was. The full check below decides. */
        llmspell_kv_close(&kv);
    }
    d->fail_at = 0;
    if (ok && llmspell_kv_open_file(&kv, "db", &o) != LLMSPELL_OK) {
        snprintf(why, whylen, "reopen after an injected error failed: %.200s", llmspell_kv_errmsg(&kv));
        ok = 0;
    } else if (ok) {
        ok = check_store(&kv, acked, acked, inflight, why, whylen);
        llmspell_kv_close(&kv);
    }
    disk_free(d);
    free(d);
    return ok;
}

/* Every sync point x FATES crashes in each durability mode, then an EIO and an ENOSPC at each
   write/sync/rename call, all under the fault model in g_win32. */
static void sweep(const char *model, int *pass, int *fail, long *runs_total) {
    static const char *names[] = {"safe", "balanced", "fast"};
    char why[512];
    int m;
    for (m = 0; m < 3; m++) {
        long total = 0, n, runs = 0, bad = 0;
        unsigned fate;
        char first[600] = "";
        crash_run((llmspell_durability)m, 0, 1, &total, why, sizeof why); /* count the sync points */
        for (n = 1; n <= total; n++) {
            for (fate = 1; fate <= FATES; fate++) {
                runs++;
                if (!crash_run((llmspell_durability)m, n, (unsigned)(n * 7919 + fate), NULL, why, sizeof why)) {
                    if (!bad++) snprintf(first, sizeof first, "sync point %ld, fate seed %u: %s", n, fate, why);
                }
            }
        }
        *runs_total += runs;
        if (bad) {
            printf("FAIL crashsim_%s%s: %ld of %ld crash runs wrong; first: %s\n", model, names[m], bad, runs, first);
            (*fail)++;
        } else {
            printf("PASS crashsim_%s%s: %ld sync points x %d fates = %ld crashes, 0 lost\n", model, names[m], total, FATES,
                   runs);
            (*pass)++;
        }
    }
    {
        static const int errs[] = {EIO, ENOSPC};
        int e;
        for (e = 0; e < 2; e++) {
            long n, runs = 0, bad = 0;
            char first[600] = "";
            for (n = 1;; n++) {
                int injected = 0;
                runs++;
                if (!error_run(n, errs[e], &injected, why, sizeof why) && !bad++)
                    snprintf(first, sizeof first, "call %ld: %s", n, why);
                if (!injected) break; /* the script finished before the n-th call */
            }
            if (bad) {
                printf("FAIL ioerror_%s%s: %ld of %ld runs wrong; first: %s\n", model, e ? "enospc" : "eio", bad, runs, first);
                (*fail)++;
            } else {
                printf("PASS ioerror_%s%s: an error injected at each of %ld write/sync/rename calls, 0 lost\n", model,
                       e ? "enospc" : "eio", runs - 1);
                (*pass)++;
            }
        }
    }
}

int main(int argc, char **argv) {
    int pass = 0, fail = 0;
    long runs_total = 0;
    const char *only = argc > 1 ? argv[1] : "";
    if (*only && strcmp(only, "posix") != 0 && strcmp(only, "win32") != 0) {
        fprintf(stderr, "usage: crashsim_kv [posix|win32]\n");
        return 2;
    }
    make_script();
    if (strcmp(only, "win32") != 0) {
        g_win32 = 0;
        sweep("", &pass, &fail, &runs_total);
    }
    if (strcmp(only, "posix") != 0) {
        g_win32 = 1;
        g_replacing_renames = 0;
        sweep("win32_", &pass, &fail, &runs_total);
        /* the sweep means something only if compactions reached their rename in this model */
        if (g_replacing_renames == 0) {
            printf("FAIL crashsim_win32_compaction: no compaction renamed its file over the store\n");
            fail++;
        } else {
            printf("PASS crashsim_win32_compaction: %ld compactions replaced the store with nothing of it open\n",
                   g_replacing_renames);
            pass++;
        }
    }
    fprintf(stderr, "note: crashsim: %ld simulated crashes in all\n", runs_total);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}
