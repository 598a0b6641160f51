/* cc -std=c99 -O2 -I. examples/quickstart_kv.c -o quickstart_kv && ./quickstart_kv
   The key-value store in one page: put, get, an ordered prefix scan, an atomic batch, a
   transaction rolled back, and the same code on the memory and the file backend. */
#define LLMSPELL_KV_IMPLEMENTATION
#include "llmspell_kv.h"
#include <stdio.h>
#include <string.h>

static int show(void *user, const void *k, size_t kn, const void *v, size_t vn) {
    (void)user;
    printf("    %.*s = %.*s\n", (int)kn, (const char *)k, (int)vn, (const char *)v);
    return 0; /* non-zero would stop the scan */
}

static int tour(llmspell_kv *kv) {
    llmspell_kv_entry batch[3] = {
        {"task:1", 6, "write report", 12}, {"task:2", 6, "review PR", 9}, {"note:1", 6, "buy milk", 8}};
    const void *v;
    size_t n;
    if (llmspell_kv_put(kv, "task:0", 6, "plan the week", 13) != LLMSPELL_OK) return 1;
    if (llmspell_kv_put_batch(kv, batch, 3) != LLMSPELL_OK) return 1; /* all three or none */
    if (llmspell_kv_get(kv, "task:2", 6, &v, &n) != LLMSPELL_OK) return 1;
    printf("  get task:2 -> %.*s\n", (int)n, (const char *)v);
    printf("  scan of prefix \"task:\", in key order:\n");
    if (llmspell_kv_scan(kv, "task:", 5, NULL, 0, show, NULL) != LLMSPELL_OK) return 1;
    llmspell_kv_begin(kv); /* a change of mind: undone as a whole */
    llmspell_kv_delete(kv, "task:0", 6);
    llmspell_kv_put(kv, "task:9", 6, "oops", 4);
    llmspell_kv_rollback(kv);
    printf("  after a rolled-back transaction task:0 is %s and task:9 %s\n",
           llmspell_kv_get(kv, "task:0", 6, &v, &n) == LLMSPELL_OK ? "still there" : "gone",
           llmspell_kv_get(kv, "task:9", 6, &v, &n) == LLMSPELL_ERR_NOT_FOUND ? "never existed" : "exists");
    if (llmspell_kv_put(kv, "\xFFmine", 5, "x", 1) == LLMSPELL_ERR_RESERVED) /* the system namespace */
        printf("  keys starting with 0xFF are refused: %s\n", llmspell_kv_errmsg(kv));
    return 0;
}

int main(void) {
    llmspell_kv mem, file;
    llmspell_kv_stats st;
    printf("memory backend:\n");
    if (llmspell_kv_open_memory(&mem, NULL) != LLMSPELL_OK || tour(&mem)) return 1;
    llmspell_kv_close(&mem);
    printf("file backend (quickstart.db):\n");
    remove("quickstart.db");
    if (llmspell_kv_open_file(&file, "quickstart.db", NULL) != LLMSPELL_OK) {
        fprintf(stderr, "quickstart: %s\n", llmspell_kv_errmsg(&file));
        return 1;
    }
    if (tour(&file)) return 1;
    llmspell_kv_stats_get(&file, &st);
    printf("  %llu keys, %llu bytes in a %llu-byte file\n", (unsigned long long)st.keys, (unsigned long long)st.bytes,
           (unsigned long long)st.file_size);
    llmspell_kv_close(&file);
    remove("quickstart.db");
    return 0;
}
