/* cc -std=c99 -O2 -I. examples/demo.c -o demo && ./demo
   The end-to-end story on the file backend, the embedded default: an agent runtime keeps its
   state per tenant, commits a multi-key update atomically, survives a restart, and scans. */
#define LLMSPELL_IMPLEMENTATION
#include "llmspell_kv.h"
#include <stdio.h>
#include <string.h>

#define TRY(expr)                                                                   \
    do {                                                                            \
        llmspell_result r_ = (expr);                                                \
        if (r_ != LLMSPELL_OK) {                                                    \
            fprintf(stderr, "demo: %s failed: %s\n", #expr, llmspell_strerror(r_)); \
            return 1;                                                               \
        }                                                                           \
    } while (0)

static int put_str(llmspell_kv *kv, const char *k, const char *v) {
    return llmspell_kv_put(kv, k, strlen(k), v, strlen(v)) != LLMSPELL_OK;
}

static int print_pair(void *user, const void *k, size_t kn, const void *v, size_t vn) {
    (void)user;
    printf("    %.*s = %.*s\n", (int)kn, (const char *)k, (int)vn, (const char *)v);
    return 0;
}

int main(void) {
    const char *path = "demo.db";
    llmspell_kv db, acme, globex;
    llmspell_kv_stats st;
    llmspell_kv_characteristics ch;
    const void *v;
    size_t n;

    remove(path);
    if (llmspell_kv_open_file(&db, path, NULL) != LLMSPELL_OK) {
        fprintf(stderr, "demo: %s\n", llmspell_kv_errmsg(&db));
        return 1;
    }
    TRY(llmspell_kv_characteristics_get(&db, &ch));
    printf("1. opened %s on the '%s' backend (persistent=%d, transactional=%d)\n", path, llmspell_kv_name(&db),
           ch.persistent, ch.transactional);

    TRY(llmspell_kv_open_tenant(&acme, &db, "acme", 4));
    TRY(llmspell_kv_open_tenant(&globex, &db, "globex", 6));
    if (put_str(&acme, "agent:planner:state", "idle") || put_str(&globex, "agent:planner:state", "running")) return 1;
    TRY(llmspell_kv_get(&globex, "agent:planner:state", 19, &v, &n));
    if (n != 7 || memcmp(v, "running", 7) != 0) {
        fprintf(stderr, "demo: tenant globex sees another tenant's value\n");
        return 1;
    }
    printf("2. two tenants wrote the same key; each sees only its own value\n");

    TRY(llmspell_kv_begin(&acme));
    if (put_str(&acme, "session:42:turns", "7") || put_str(&acme, "session:42:summary", "user asked for a refund") ||
        put_str(&acme, "agent:planner:state", "waiting-for-tool"))
        return 1;
    TRY(llmspell_kv_commit(&acme));
    printf("3. committed a 3-key update to tenant acme in one transaction (fsync'd: safe mode)\n");

    TRY(llmspell_kv_begin(&acme));
    if (put_str(&acme, "session:42:turns", "999")) return 1;
    TRY(llmspell_kv_rollback(&acme));
    printf("4. rolled back a bad write; session:42:turns is still 7\n");

    llmspell_kv_close(&acme);
    llmspell_kv_close(&globex);
    llmspell_kv_close(&db);
    TRY(llmspell_kv_open_file(&db, path, NULL));
    TRY(llmspell_kv_open_tenant(&acme, &db, "acme", 4));
    TRY(llmspell_kv_get(&acme, "session:42:turns", 16, &v, &n));
    if (n != 1 || memcmp(v, "7", 1) != 0) {
        fprintf(stderr, "demo: wrong value after reopen\n");
        return 1;
    }
    printf("5. closed and reopened: the log replayed, tenant acme holds:\n");
    TRY(llmspell_kv_scan(&acme, "", 0, NULL, 0, print_pair, NULL));

    TRY(llmspell_kv_compact(&db));
    TRY(llmspell_kv_stats_get(&db, &st));
    printf("6. compacted: %llu keys, %llu bytes of data, file %llu bytes, %llu dead\n", (unsigned long long)st.keys,
           (unsigned long long)st.bytes, (unsigned long long)st.file_size, (unsigned long long)st.dead_bytes);
    llmspell_kv_close(&acme);
    llmspell_kv_close(&db);
    remove(path);
    return 0;
}
