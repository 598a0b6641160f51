/* bigfile_kv.c - a file store past 2 GiB, with nothing defined by the user. On 32-bit hosts that is where a 32-bit off_t would stop ("File too
   large") or wrap; tests/platforms.sh runs it on i686.

       bigfile_kv [DIR]     (default: the system's temporary directory)

   Writes 35 values of 64 MiB (2.2 GiB of log), each in its own durable commit, checks the file
   size, reads every value back (the last ones lie past 2 GiB), closes, reopens (the replay
   reads the whole log) and reads them again; then removes the store. */
#ifndef _WIN32
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#endif
#include "compat.h"
#define LLMSPELL_KV_IMPLEMENTATION
#include "../llmspell_kv.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NVALS 35
#define VLEN (64u * 1024u * 1024u)

/* value i: every 8-byte word holds (i, word index), so a value read from the wrong offset fails */
static void fill(uint8_t *v, uint32_t i) {
    size_t w;
    for (w = 0; w < VLEN / 8; w++) {
        uint32_t a = i, b = (uint32_t)w;
        memcpy(v + w * 8, &a, 4);
        memcpy(v + w * 8 + 4, &b, 4);
    }
}

static int check_all(llmspell_kv *kv, uint8_t *expect, const char *when) {
    uint32_t i;
    for (i = 0; i < NVALS; i++) {
        char key[16];
        const void *v;
        size_t n;
        llmspell_result r;
        snprintf(key, sizeof key, "big%02u", (unsigned)i);
        r = llmspell_kv_get(kv, key, strlen(key), &v, &n);
        fill(expect, i);
        if (r != LLMSPELL_OK || n != VLEN || memcmp(v, expect, VLEN) != 0) {
            printf("FAIL bigfile_kv: %s, value %u: %s %s\n", when, (unsigned)i, llmspell_strerror(r), llmspell_kv_errmsg(kv));
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    char dir[4096], path[4200];
    llmspell_kv kv;
    llmspell_kv_stats st;
    uint8_t *val = (uint8_t *)malloc(VLEN);
    uint32_t i;
    int bad = 0;
    if (!val) {
        printf("FAIL bigfile_kv: no memory for a 64 MiB value\n");
        return 1;
    }
    if (argc > 1) snprintf(dir, sizeof dir, "%s", argv[1]);
    else if (!compat_make_tmpdir(dir, sizeof dir, "bigfile_kv.")) {
        printf("FAIL bigfile_kv: cannot make a temporary directory\n");
        return 1;
    }
    snprintf(path, sizeof path, "%s/big.db", dir);
    if (llmspell_kv_open_file(&kv, path, NULL) != LLMSPELL_OK) {
        printf("FAIL bigfile_kv: open: %s\n", llmspell_kv_errmsg(&kv));
        return 1;
    }
    for (i = 0; i < NVALS && !bad; i++) {
        char key[16];
        snprintf(key, sizeof key, "big%02u", (unsigned)i);
        fill(val, i);
        if (llmspell_kv_put(&kv, key, strlen(key), val, VLEN) != LLMSPELL_OK) {
            printf("FAIL bigfile_kv: put of value %u at %.0f MiB: %s\n", (unsigned)i, (double)i * 64, llmspell_kv_errmsg(&kv));
            bad = 1;
        }
    }
    if (!bad && (llmspell_kv_stats_get(&kv, &st) != LLMSPELL_OK || st.file_size <= ((uint64_t)1 << 31))) {
        printf("FAIL bigfile_kv: the file is %llu bytes, not past 2 GiB\n", (unsigned long long)st.file_size);
        bad = 1;
    }
    if (!bad) bad = check_all(&kv, val, "before reopening");
    llmspell_kv_close(&kv);
    if (!bad && llmspell_kv_open_file(&kv, path, NULL) != LLMSPELL_OK) {
        printf("FAIL bigfile_kv: reopen: %s\n", llmspell_kv_errmsg(&kv));
        bad = 1;
    } else if (!bad) {
        bad = check_all(&kv, val, "after reopening");
        llmspell_kv_close(&kv);
    }
    compat_unlink(path);
    if (argc <= 1) compat_rmdir(dir);
    free(val);
    if (!bad)
        printf("PASS bigfile_kv: %u values of 64 MiB, a %llu-byte store, read back before and after a reopen "
               "(size_t %u bits)\n", (unsigned)NVALS, (unsigned long long)st.file_size, (unsigned)(sizeof(size_t) * 8));
    printf("%d passed, %d failed\n", !bad, bad);
    return bad;
}
