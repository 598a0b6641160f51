/* compat.h - the few operating-system calls the tests need, on POSIX and on Win32 (MinGW-w64).

   Include it first in a test, after the test's own feature macros (_POSIX_C_SOURCE ...) and
   before the llmspell headers: it decides whether the SQLite backend is tested, and on POSIX
   it sets _FILE_OFFSET_BITS as the implementation would (so that the test and the library
   agree on off_t on 32-bit hosts).

   SQLite: on POSIX the suites that define COMPAT_WANT_SQLITE before including this file test
   the SQLite backend (link -lsqlite3) unless built with
   -DLLMSPELL_TEST_NO_SQLITE (cross builds without a cross SQLite). On Windows it is tested
   only when built with -DLLMSPELL_KV_SQLITE (and an SQLite for the target). COMPAT_HAS_SQLITE
   says which; compat_note_no_sqlite() prints a visible SKIP line when it is off.

   Paths are UTF-8 everywhere, as the library takes them: on Windows the helpers convert them
   to UTF-16 for the W functions. */
#ifndef COMPAT_H
#define COMPAT_H

#if !defined(_WIN32) && !defined(_FILE_OFFSET_BITS)
#define _FILE_OFFSET_BITS 64
#endif
/* MinGW: the C99 printf family (%zu, %lld), as harness.h's format checks assume */
#if defined(_WIN32) && defined(__MINGW32__) && !defined(__USE_MINGW_ANSI_STDIO)
#define __USE_MINGW_ANSI_STDIO 1
#endif

#if defined(COMPAT_WANT_SQLITE) && !defined(LLMSPELL_KV_SQLITE) && !defined(LLMSPELL_TEST_NO_SQLITE) && !defined(_WIN32)
#define LLMSPELL_KV_SQLITE
#endif
#if defined(LLMSPELL_KV_SQLITE) && defined(LLMSPELL_TEST_NO_SQLITE)
#error "compat.h: LLMSPELL_KV_SQLITE and LLMSPELL_TEST_NO_SQLITE contradict each other"
#endif
#ifdef LLMSPELL_KV_SQLITE
#define COMPAT_HAS_SQLITE 1
#else
#define COMPAT_HAS_SQLITE 0
#endif
/* PostgreSQL: a suite built with -DLLMSPELL_KV_POSTGRES (link -lpq) tests it on the server
   that make test starts (tests/pg_server.sh), whose conninfo is in LLMSPELL_TEST_PG. */
#ifdef LLMSPELL_KV_POSTGRES
#define COMPAT_HAS_POSTGRES 1
#include <libpq-fe.h>
#else
#define COMPAT_HAS_POSTGRES 0
#endif

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#define COMPAT_WIN32 1
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <shellapi.h>
#include <direct.h>
#include <io.h>
#include <process.h>
#define COMPAT_PATH_MAX 4096
#else
#define COMPAT_WIN32 0
#include <dirent.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <time.h>
#ifdef PATH_MAX
#define COMPAT_PATH_MAX PATH_MAX
#else
#define COMPAT_PATH_MAX 4096
#endif
#endif

/* printf for size_t without %zu (MinGW's Microsoft printf family has none): "%llu", COMPAT_ULL(n) */
#define COMPAT_ULL(x) ((unsigned long long)(x))

#if defined(__GNUC__) || defined(__clang__)
#define COMPAT_UNUSED __attribute__((unused))
#else
#define COMPAT_UNUSED
#endif

/* A visible reason, on stdout, when the SQLite parts of a suite are not compiled. */
static COMPAT_UNUSED void compat_note_no_sqlite(const char *suite)
{
    if (!COMPAT_HAS_SQLITE)
        printf("SKIP %s: SQLite backend tests not compiled (no LLMSPELL_KV_SQLITE: %s)\n", suite,
               COMPAT_WIN32 ? "build with -DLLMSPELL_KV_SQLITE and an SQLite for Windows to run them"
                            : "built with -DLLMSPELL_TEST_NO_SQLITE");
}

#if COMPAT_HAS_POSTGRES
/* A fresh PostgreSQL store: a new schema on the test server, and in out the conninfo whose
   search_path selects it. 0 (with the reason in why) when there is no server: a suite built for
   PostgreSQL fails then, it never skips. */
static COMPAT_UNUSED int compat_pg_fresh(char *out, size_t cap, char *why, size_t whycap)
{
    static unsigned counter;
    const char *base = getenv("LLMSPELL_TEST_PG");
    char sql[256], schema[64];
    PGconn *c;
    PGresult *r;
    int ok;
    if (!base || !*base) {
        snprintf(why, whycap, "LLMSPELL_TEST_PG is not set (make test starts a server: tests/pg_server.sh)");
        return 0;
    }
    c = PQconnectdb(base);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(why, whycap, "cannot reach the test server (%s): %s", base, PQerrorMessage(c));
        PQfinish(c);
        return 0;
    }
    snprintf(schema, sizeof schema, "t_%ld_%u", (long)getpid(), counter++);
    snprintf(sql, sizeof sql, "SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
    r = PQexec(c, sql);
    ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) snprintf(why, whycap, "CREATE SCHEMA %s: %s", schema, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    if (ok && snprintf(out, cap, "%s options='-c search_path=%s'", base, schema) >= (int)cap) {
        snprintf(why, whycap, "conninfo too long");
        ok = 0;
    }
    return ok;
}
#endif

#if COMPAT_WIN32
/* UTF-8 path -> UTF-16 in w[cap]; 0 on success. */
static COMPAT_UNUSED int compat_wpath(const char *path, wchar_t *w, int cap)
{
    return MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, cap) > 0 ? 0 : -1;
}
static COMPAT_UNUSED int compat_u8path(const wchar_t *w, char *out, int cap)
{
    return WideCharToMultiByte(CP_UTF8, 0, w, -1, out, cap, NULL, NULL) > 0 ? 0 : -1;
}
#endif

static COMPAT_UNUSED long compat_getpid(void)
{
#if COMPAT_WIN32
    return (long)GetCurrentProcessId();
#else
    return (long)getpid();
#endif
}

/* Makes a new directory <system temp>/<prefix>XXXXXX and puts its path in out: 1, or 0. */
static COMPAT_UNUSED int compat_make_tmpdir(char *out, size_t cap, const char *prefix)
{
#if COMPAT_WIN32
    wchar_t wt[MAX_PATH + 1];
    char base[MAX_PATH * 3 + 1];
    DWORD n = GetTempPathW(MAX_PATH + 1, wt);
    int tries;
    size_t bl;
    if (n == 0 || n > MAX_PATH || compat_u8path(wt, base, (int)sizeof base) != 0) return 0;
    bl = strlen(base);
    while (bl > 0 && (base[bl - 1] == '\\' || base[bl - 1] == '/')) base[--bl] = 0;
    for (tries = 0; tries < 100; tries++) {
        wchar_t w[COMPAT_PATH_MAX];
        int len = snprintf(out, cap, "%s\\%s%08lx%04x", base, prefix,
                           (unsigned long)(GetTickCount() ^ GetCurrentProcessId() * 2654435761u), (unsigned)tries);
        if (len < 0 || (size_t)len >= cap || compat_wpath(out, w, COMPAT_PATH_MAX) != 0) return 0;
        if (CreateDirectoryW(w, NULL)) return 1;
        if (GetLastError() != ERROR_ALREADY_EXISTS) return 0;
    }
    return 0;
#else
    int len = snprintf(out, cap, "/tmp/%sXXXXXX", prefix);
    if (len < 0 || (size_t)len >= cap) return 0;
    return mkdtemp(out) != NULL;
#endif
}

/* mkdir (0700 on POSIX): 0, or -1. */
static COMPAT_UNUSED int compat_mkdir(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return -1;
    return CreateDirectoryW(w, NULL) ? 0 : -1;
#else
    return mkdir(path, 0700);
#endif
}

static COMPAT_UNUSED int compat_unlink(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return -1;
    if (DeleteFileW(w)) return 0;
    /* a read-only file cannot be deleted until the attribute is gone */
    if (GetLastError() == ERROR_ACCESS_DENIED && SetFileAttributesW(w, FILE_ATTRIBUTE_NORMAL) && DeleteFileW(w)) return 0;
    return -1;
#else
    return unlink(path);
#endif
}

static COMPAT_UNUSED int compat_rmdir(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return -1;
    return RemoveDirectoryW(w) ? 0 : -1;
#else
    return rmdir(path);
#endif
}

/* fopen with a UTF-8 path. */
static COMPAT_UNUSED FILE *compat_fopen(const char *path, const char *mode)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX], wm[16];
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0 || compat_wpath(mode, wm, 16) != 0) return NULL;
    return _wfopen(w, wm);
#else
    return fopen(path, mode);
#endif
}

/* Size of a file in bytes, or -1 when there is nothing at path. (A directory has size 0.) */
static COMPAT_UNUSED long long compat_file_size(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    WIN32_FILE_ATTRIBUTE_DATA a;
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0 || !GetFileAttributesExW(w, GetFileExInfoStandard, &a)) return -1;
    if (a.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return 0;
    return (long long)((uint64_t)a.nFileSizeHigh << 32 | a.nFileSizeLow);
#else
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
#endif
}

/* 1 if path names a directory (not following a final symlink on POSIX). */
static COMPAT_UNUSED int compat_is_dir(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    DWORD a;
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return 0;
    a = GetFileAttributesW(w);
    return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY) && !(a & FILE_ATTRIBUTE_REPARSE_POINT);
#else
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
#endif
}

/* Cuts (or extends with zeros) the file at path to size bytes: 0, or -1. */
static COMPAT_UNUSED int compat_truncate(const char *path, long long size)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    HANDLE h;
    FILE_END_OF_FILE_INFO eof;
    BOOL ok;
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return -1;
    h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return -1;
    eof.EndOfFile.QuadPart = (LONGLONG)size;
    ok = SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof eof);
    CloseHandle(h);
    return ok ? 0 : -1;
#else
    return truncate(path, (off_t)size);
#endif
}

/* Directory listing without "." and "..": open, next (NULL at the end), close. */
typedef struct compat_dir {
#if COMPAT_WIN32
    HANDLE h;
    WIN32_FIND_DATAW fd;
    int pending; /* fd holds an entry not returned yet */
    char name[MAX_PATH * 3 + 1];
#else
    DIR *d;
#endif
} compat_dir;

static COMPAT_UNUSED int compat_dir_open(compat_dir *d, const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    char pat[COMPAT_PATH_MAX];
    int n = snprintf(pat, sizeof pat, "%s\\*", path);
    d->h = INVALID_HANDLE_VALUE;
    if (n < 0 || (size_t)n >= sizeof pat || compat_wpath(pat, w, COMPAT_PATH_MAX) != 0) return 0;
    d->h = FindFirstFileW(w, &d->fd);
    d->pending = d->h != INVALID_HANDLE_VALUE;
    return d->h != INVALID_HANDLE_VALUE || GetLastError() == ERROR_FILE_NOT_FOUND;
#else
    d->d = opendir(path);
    return d->d != NULL;
#endif
}

static COMPAT_UNUSED const char *compat_dir_next(compat_dir *d)
{
#if COMPAT_WIN32
    for (;;) {
        if (d->h == INVALID_HANDLE_VALUE) return NULL;
        if (!d->pending && !FindNextFileW(d->h, &d->fd)) return NULL;
        d->pending = 0;
        if (compat_u8path(d->fd.cFileName, d->name, (int)sizeof d->name) != 0) continue;
        if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0) continue;
        return d->name;
    }
#else
    struct dirent *e;
    while (d->d && (e = readdir(d->d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) return e->d_name;
    return NULL;
#endif
}

static COMPAT_UNUSED void compat_dir_close(compat_dir *d)
{
#if COMPAT_WIN32
    if (d->h != INVALID_HANDLE_VALUE) FindClose(d->h);
    d->h = INVALID_HANDLE_VALUE;
#else
    if (d->d) closedir(d->d);
    d->d = NULL;
#endif
}

/* rm -r: removes path and, if it is a directory, everything under it (symlinks not followed). */
static COMPAT_UNUSED void compat_remove_tree(const char *path)
{
    if (compat_is_dir(path)) {
        compat_dir d;
        const char *name;
        if (compat_dir_open(&d, path)) {
            char *sub = (char *)malloc(COMPAT_PATH_MAX);
            while (sub && (name = compat_dir_next(&d)) != NULL) {
                snprintf(sub, COMPAT_PATH_MAX, "%s/%s", path, name);
                compat_remove_tree(sub);
            }
            free(sub);
            compat_dir_close(&d);
        }
        compat_rmdir(path);
    } else {
        compat_unlink(path);
    }
}

/* Marks a file read-only (FILE_ATTRIBUTE_READONLY on Windows, mode 0444 on POSIX) or writable again. */
static COMPAT_UNUSED int compat_set_readonly(const char *path, int on)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    DWORD a;
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0 || (a = GetFileAttributesW(w)) == INVALID_FILE_ATTRIBUTES) return -1;
    a = on ? (a | FILE_ATTRIBUTE_READONLY) : (a & ~(DWORD)FILE_ATTRIBUTE_READONLY);
    return SetFileAttributesW(w, a ? a : FILE_ATTRIBUTE_NORMAL) ? 0 : -1;
#else
    return chmod(path, on ? 0444 : 0644);
#endif
}

/* Whether the OS lets this process open path for writing (the file is not changed). */
static COMPAT_UNUSED int compat_can_open_for_writing(const char *path)
{
#if COMPAT_WIN32
    wchar_t w[COMPAT_PATH_MAX];
    HANDLE h;
    if (compat_wpath(path, w, COMPAT_PATH_MAX) != 0) return 0;
    h = CreateFileW(w, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) return 0;
    CloseHandle(h);
    return 1;
#else
    return access(path, W_OK) == 0;
#endif
}

/* Seconds on a monotonic clock, for the notes a test prints about its own timing. */
static COMPAT_UNUSED double compat_seconds(void)
{
#if COMPAT_WIN32
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (double)c.QuadPart / (double)f.QuadPart;
#else
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
#endif
}

/* Memory pages: size, a read-write mapping, a guard (no access), and release. */
static COMPAT_UNUSED size_t compat_page_size(void)
{
#if COMPAT_WIN32
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (size_t)si.dwPageSize;
#else
    return (size_t)sysconf(_SC_PAGESIZE);
#endif
}
static COMPAT_UNUSED void *compat_pages_map(size_t len)
{
#if COMPAT_WIN32
    return VirtualAlloc(NULL, len, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
#else
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
#endif
}
static COMPAT_UNUSED int compat_pages_guard(void *p, size_t len)
{
#if COMPAT_WIN32
    DWORD old;
    return VirtualProtect(p, len, PAGE_NOACCESS, &old) ? 0 : -1;
#else
    return mprotect(p, len, PROT_NONE);
#endif
}
static COMPAT_UNUSED void compat_pages_unmap(void *p, size_t len)
{
#if COMPAT_WIN32
    (void)len;
    VirtualFree(p, 0, MEM_RELEASE);
#else
    munmap(p, len);
#endif
}

#if COMPAT_WIN32
/* The path of the running program (UTF-8). */
static COMPAT_UNUSED int compat_self_path(char *out, int cap)
{
    wchar_t w[COMPAT_PATH_MAX];
    DWORD n = GetModuleFileNameW(NULL, w, COMPAT_PATH_MAX);
    if (n == 0 || n >= COMPAT_PATH_MAX) return -1;
    return compat_u8path(w, out, cap);
}

/* Appends arg to cmd as one argument, quoted by the rules CommandLineToArgvW undoes. */
static COMPAT_UNUSED int compat_cmd_append(char *cmd, size_t cap, const char *arg)
{
    size_t n = strlen(cmd);
    const char *p;
#define COMPAT_PUT(c) do { if (n + 1 >= cap) return -1; cmd[n++] = (c); } while (0)
    if (n) COMPAT_PUT(' ');
    COMPAT_PUT('"');
    for (p = arg;; p++) {
        size_t bs = 0, i;
        while (*p == '\\') { bs++; p++; }
        if (!*p) { for (i = 0; i < bs * 2; i++) COMPAT_PUT('\\'); break; }
        if (*p == '"') { for (i = 0; i < bs * 2 + 1; i++) COMPAT_PUT('\\'); }
        else { for (i = 0; i < bs; i++) COMPAT_PUT('\\'); }
        COMPAT_PUT(*p);
    }
    COMPAT_PUT('"');
#undef COMPAT_PUT
    cmd[n] = 0;
    return 0;
}

/* Starts this program again with argv[1..] = args (UTF-8), its stdout on a pipe: the process
   handle in *proc and the read end of the pipe in *out. 0, or -1. */
static COMPAT_UNUSED int compat_spawn_self(const char *const *args, int nargs, HANDLE *proc, HANDLE *out)
{
    char self[COMPAT_PATH_MAX], cmd[3 * COMPAT_PATH_MAX];
    wchar_t *wcmd;
    SECURITY_ATTRIBUTES sa;
    STARTUPINFOW si;
    PROCESS_INFORMATION pi;
    HANDLE rd, wr;
    int i, ok;
    cmd[0] = 0;
    if (compat_self_path(self, (int)sizeof self) != 0 || compat_cmd_append(cmd, sizeof cmd, self) != 0) return -1;
    for (i = 0; i < nargs; i++)
        if (compat_cmd_append(cmd, sizeof cmd, args[i]) != 0) return -1;
    memset(&sa, 0, sizeof sa);
    sa.nLength = sizeof sa;
    sa.bInheritHandle = TRUE;
    if (!CreatePipe(&rd, &wr, &sa, 0)) return -1;
    SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0);
    wcmd = (wchar_t *)malloc(sizeof(wchar_t) * sizeof cmd);
    if (!wcmd || compat_wpath(cmd, wcmd, (int)sizeof cmd) != 0) {
        free(wcmd);
        CloseHandle(rd);
        CloseHandle(wr);
        return -1;
    }
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = wr;
    si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
    fflush(stdout);
    fflush(stderr);
    ok = CreateProcessW(NULL, wcmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
    free(wcmd);
    CloseHandle(wr);
    if (!ok) {
        CloseHandle(rd);
        return -1;
    }
    CloseHandle(pi.hThread);
    *proc = pi.hProcess;
    *out = rd;
    return 0;
}

/* The command line as UTF-8 strings (argv from the C runtime uses the ANSI code page); NULL
   if it cannot. Lives until the program ends. */
static COMPAT_UNUSED char **compat_utf8_argv(int *argc)
{
    int n, i;
    LPWSTR *w = CommandLineToArgvW(GetCommandLineW(), &n);
    char **out;
    if (!w) return NULL;
    out = (char **)calloc((size_t)n + 1, sizeof *out);
    for (i = 0; out && i < n; i++) {
        int len = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
        out[i] = len > 0 ? (char *)malloc((size_t)len) : NULL;
        if (!out[i] || WideCharToMultiByte(CP_UTF8, 0, w[i], -1, out[i], len, NULL, NULL) <= 0) return NULL;
    }
    LocalFree(w);
    if (out) *argc = n;
    return out;
}

/* Reads what the pipe gives until it is closed, up to cap-1 bytes; NUL-terminates. */
static COMPAT_UNUSED size_t compat_read_all(HANDLE h, char *buf, size_t cap)
{
    size_t got = 0;
    DWORD r;
    while (got + 1 < cap && ReadFile(h, buf + got, (DWORD)(cap - 1 - got), &r, NULL) && r > 0) got += r;
    buf[got] = 0;
    return got;
}
#endif

#endif /* COMPAT_H */
