/* ramdisk.h - a tiny in-memory llmspell_kv_io for the fuzz targets: a few files, with
   inodes (so rename/link/unlink behave as on POSIX), no real file is touched. Used by
   fuzz_kv_file_open.c (included, not a library). */
#ifndef FUZZ_RAMDISK_H
#define FUZZ_RAMDISK_H
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RD_FILES 8
#define RD_NAME 128
#define RD_MAX_SIZE ((size_t)64 << 20) /* ENOSPC past this */

typedef struct rd_inode {
    uint8_t *data;
    size_t size, cap;
    int nlink, opens, used;
    uint64_t id;
} rd_inode;

typedef struct ramdisk {
    rd_inode ino[RD_FILES];
    struct { char name[RD_NAME]; int ino, used; } dent[RD_FILES];
    struct { int ino, used; } fd[RD_FILES];
    uint64_t next_id;
} ramdisk;

static void rd_put_inode(ramdisk *d, int i) {
    if (d->ino[i].used && d->ino[i].nlink == 0 && d->ino[i].opens == 0) {
        free(d->ino[i].data);
        memset(&d->ino[i], 0, sizeof d->ino[i]);
    }
}
static int rd_lookup(ramdisk *d, const char *path) {
    int i;
    for (i = 0; i < RD_FILES; i++)
        if (d->dent[i].used && strcmp(d->dent[i].name, path) == 0) return i;
    return -1;
}
static int rd_new_inode(ramdisk *d) {
    int i;
    for (i = 0; i < RD_FILES; i++)
        if (!d->ino[i].used) {
            memset(&d->ino[i], 0, sizeof d->ino[i]);
            d->ino[i].used = 1;
            d->ino[i].id = ++d->next_id;
            return i;
        }
    return -1;
}
static int rd_new_dent(ramdisk *d, const char *path, int ino) {
    int i;
    if (strlen(path) >= RD_NAME) return ENAMETOOLONG;
    for (i = 0; i < RD_FILES; i++)
        if (!d->dent[i].used) {
            d->dent[i].used = 1;
            strcpy(d->dent[i].name, path);
            d->dent[i].ino = ino;
            d->ino[ino].nlink++;
            return 0;
        }
    return ENOSPC;
}
static void rd_drop_dent(ramdisk *d, int e) {
    int ino = d->dent[e].ino;
    d->dent[e].used = 0;
    d->ino[ino].nlink--;
    rd_put_inode(d, ino);
}
static int rd_resize(rd_inode *n, size_t size) {
    if (size > RD_MAX_SIZE) return ENOSPC;
    if (size > n->cap) {
        size_t c = n->cap ? n->cap : 4096;
        uint8_t *p;
        while (c < size) c *= 2;
        if (!(p = (uint8_t *)realloc(n->data, c))) return ENOMEM;
        n->data = p;
        n->cap = c;
    }
    if (size > n->size) memset(n->data + n->size, 0, size - n->size);
    n->size = size;
    return 0;
}

static int rd_open(void *ctx, const char *path, int write, int create, unsigned mode, int *fd) {
    ramdisk *d = (ramdisk *)ctx;
    int e = rd_lookup(d, path), ino, i, rc;
    (void)write;
    (void)mode;
    if (e < 0) {
        if (!create) return ENOENT;
        if ((ino = rd_new_inode(d)) < 0) return ENOSPC;
        if ((rc = rd_new_dent(d, path, ino)) != 0) {
            rd_put_inode(d, ino);
            return rc;
        }
    } else {
        ino = d->dent[e].ino;
        if (create == 2) d->ino[ino].size = 0;
    }
    for (i = 0; i < RD_FILES; i++)
        if (!d->fd[i].used) {
            d->fd[i].used = 1;
            d->fd[i].ino = ino;
            d->ino[ino].opens++;
            *fd = 100 + i;
            return 0;
        }
    return EMFILE;
}
static rd_inode *rd_fd(ramdisk *d, int fd) {
    int i = fd - 100;
    if (i < 0 || i >= RD_FILES || !d->fd[i].used) return NULL;
    return &d->ino[d->fd[i].ino];
}
static int rd_close(void *ctx, int fd) {
    ramdisk *d = (ramdisk *)ctx;
    int i = fd - 100, ino;
    if (!rd_fd(d, fd)) return EBADF;
    ino = d->fd[i].ino;
    d->fd[i].used = 0;
    d->ino[ino].opens--;
    rd_put_inode(d, ino);
    return 0;
}
static int rd_stat(void *ctx, int fd, uint64_t *size, int *regular, unsigned *mode, uint64_t id[2]) {
    rd_inode *n = rd_fd((ramdisk *)ctx, fd);
    if (!n) return EBADF;
    *size = n->size;
    *regular = 1;
    *mode = 0644;
    id[0] = 1;
    id[1] = n->id;
    return 0;
}
static int rd_stat_path(void *ctx, const char *path, uint64_t id[2]) {
    ramdisk *d = (ramdisk *)ctx;
    int e = rd_lookup(d, path);
    if (e < 0) return ENOENT;
    id[0] = 1;
    id[1] = d->ino[d->dent[e].ino].id;
    return 0;
}
static int rd_lock(void *ctx, int fd, int exclusive) {
    (void)exclusive;
    return rd_fd((ramdisk *)ctx, fd) ? 0 : EBADF;
}
static int rd_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off, size_t *got) {
    rd_inode *f = rd_fd((ramdisk *)ctx, fd);
    *got = 0;
    if (!f) return EBADF;
    if (off >= f->size) return 0;
    if (n > f->size - off) n = (size_t)(f->size - off);
    memcpy(buf, f->data + off, n);
    *got = n;
    return 0;
}
static int rd_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off) {
    rd_inode *f = rd_fd((ramdisk *)ctx, fd);
    int rc;
    if (!f) return EBADF;
    if (off > RD_MAX_SIZE || n > RD_MAX_SIZE - off) return ENOSPC;
    if (off + n > f->size && (rc = rd_resize(f, (size_t)(off + n))) != 0) return rc;
    memcpy(f->data + off, buf, n);
    return 0;
}
static int rd_truncate(void *ctx, int fd, uint64_t size) {
    rd_inode *f = rd_fd((ramdisk *)ctx, fd);
    if (!f) return EBADF;
    if (size > RD_MAX_SIZE) return ENOSPC;
    if (size <= f->size) {
        f->size = (size_t)size;
        return 0;
    }
    return rd_resize(f, (size_t)size);
}
static int rd_sync(void *ctx, int fd) { return rd_fd((ramdisk *)ctx, fd) ? 0 : EBADF; }
static int rd_sync_dir(void *ctx, const char *path) {
    (void)ctx;
    (void)path;
    return 0;
}
static int rd_rename(void *ctx, const char *from, const char *to) {
    ramdisk *d = (ramdisk *)ctx;
    int e = rd_lookup(d, from), t = rd_lookup(d, to);
    if (e < 0) return ENOENT;
    if (e == t) return 0;
    if (strlen(to) >= RD_NAME) return ENAMETOOLONG;
    if (t >= 0) rd_drop_dent(d, t);
    strcpy(d->dent[e].name, to);
    return 0;
}
static int rd_link(void *ctx, const char *from, const char *to) {
    ramdisk *d = (ramdisk *)ctx;
    int e = rd_lookup(d, from);
    if (e < 0) return ENOENT;
    if (rd_lookup(d, to) >= 0) return EEXIST;
    return rd_new_dent(d, to, d->dent[e].ino);
}
static int rd_unlink(void *ctx, const char *path) {
    ramdisk *d = (ramdisk *)ctx;
    int e = rd_lookup(d, path);
    if (e < 0) return ENOENT;
    rd_drop_dent(d, e);
    return 0;
}

/* A disk holding one file `path` with content data[0..n). */
static void rd_init(ramdisk *d, llmspell_kv_io *io, const char *path, const void *data, size_t n) {
    int ino;
    memset(d, 0, sizeof *d);
    io->ctx = d;
    io->open = rd_open;
    io->close = rd_close;
    io->stat = rd_stat;
    io->stat_path = rd_stat_path;
    io->lock = rd_lock;
    io->pread = rd_pread;
    io->pwrite = rd_pwrite;
    io->truncate = rd_truncate;
    io->sync = rd_sync;
    io->sync_dir = rd_sync_dir;
    io->rename = rd_rename;
    io->link = rd_link;
    io->unlink = rd_unlink;
    if (path) {
        ino = rd_new_inode(d);
        rd_new_dent(d, path, ino);
        if (n) {
            rd_resize(&d->ino[ino], n);
            memcpy(d->ino[ino].data, data, n);
        }
    }
}
/* Frees every file; returns the number of descriptors left open (a leak in the store). */
static int rd_free(ramdisk *d) {
    int i, open_fds = 0;
    for (i = 0; i < RD_FILES; i++) open_fds += d->fd[i].used;
    for (i = 0; i < RD_FILES; i++) free(d->ino[i].data);
    memset(d, 0, sizeof *d);
    return open_fds;
}
/* The content of `path` (NULL when absent). */
static const uint8_t *rd_content(ramdisk *d, const char *path, size_t *n) {
    int e = rd_lookup(d, path);
    if (e < 0) return NULL;
    *n = d->ino[d->dent[e].ino].size;
    return d->ino[d->dent[e].ino].data;
}
#endif
