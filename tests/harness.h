/* harness.h - a tiny test harness for the llmspell-c tests.

   A test is a function `static void test_xxx(void)` (or, for tests run once per backend,
   `static void fn(const void *arg)`). Inside it:
       CHECK(cond, fmt, ...)       records a failure (file:line + message) and goes on
       CHECK_RC(expr, expected)    the same for a result code, naming both codes
       REQUIRE / REQUIRE_RC        the same, but return from the test function at once
   RUN(test_xxx) / RUN_ARG("name", fn, arg) run one test and print exactly one line:
       PASS name
       FAIL name: file:line: first failure message (+N more)
   harness_exit() prints "<passed> passed, <failed> failed" and returns nonzero if any failed.

   On POSIX each test runs in a forked child, so a crash, a hang (SIGALRM after HARNESS_TIMEOUT
   seconds, default 600, 0 = none) or a sanitizer report at the child's exit is reported as
   that test's FAIL and the other tests still run. HARNESS_NOFORK=1 runs tests in-process
   (for debuggers); on Windows (no fork) tests always run in-process, so there a crash ends
   the whole run (the summary line is then missing, which tests/run.sh counts as a failure), HARNESS_ONLY=text runs only the tests whose name contains text,
   HARNESS_SKIP=a,b leaves out the tests named exactly a and b (each says so on stderr; tests/run.sh uses it under valgrind for
   sweeps that run in the other builds), and
   HARNESS_VERBOSE=1 prints every failure to stderr. Nothing but PASS/FAIL lines starts with "PASS" or "FAIL": diagnostics go
   to stderr, and messages are folded onto one line.

   Define HARNESS_RC_NAME(rc) before including to name result codes in CHECK_RC messages. */
#ifndef HARNESS_H
#define HARNESS_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#define HARNESS_FORK 1
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#else
#define HARNESS_FORK 0
#endif

#ifndef HARNESS_RC_NAME
#define HARNESS_RC_NAME(rc) ""
#endif

static int harness_passed, harness_failed; /* PASS / FAIL lines printed */
static int harness_failures;               /* failures recorded in the current test */
static char harness_first[768];            /* the first of them, "file:line: message" */

static void harness_failv(const char *file, int line, const char *fmt, va_list ap)
{
    const char *verbose = getenv("HARNESS_VERBOSE");
    if (verbose && *verbose && strcmp(verbose, "0") != 0) { /* every failure, to stderr */
        va_list aq;
        va_copy(aq, ap);
        fprintf(stderr, "  failure at %s:%d: ", file, line);
        vfprintf(stderr, fmt, aq);
        fputc('\n', stderr);
        va_end(aq);
    }
    if (harness_failures++ == 0) {
        int n = snprintf(harness_first, sizeof harness_first, "%s:%d: ", file, line);
        size_t i;
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof harness_first) n = (int)sizeof harness_first - 1;
        vsnprintf(harness_first + n, sizeof harness_first - (size_t)n, fmt, ap);
        /* one line per test, whatever the message holds */
        for (i = 0; harness_first[i]; i++)
            if ((unsigned char)harness_first[i] < 0x20 || (unsigned char)harness_first[i] == 0x7f)
                harness_first[i] = ' ';
    }
}

#if defined(__MINGW32__)
__attribute__((format(gnu_printf, 3, 4))) /* the tests use MinGW's ANSI printf (see compat.h) */
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 3, 4)))
#endif
static void harness_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    harness_failv(file, line, fmt, ap);
    va_end(ap);
}

#define CHECK_AT(file, line, cond, ...) \
    do { if (!(cond)) harness_fail((file), (line), __VA_ARGS__); } while (0)
#define CHECK(cond, ...) CHECK_AT(__FILE__, __LINE__, cond, __VA_ARGS__)
#define REQUIRE(cond, ...) \
    do { if (!(cond)) { harness_fail(__FILE__, __LINE__, __VA_ARGS__); return; } } while (0)

#define HARNESS_RC_CMP_(file, line, expr, expected, onfail) \
    do { \
        int harness_rc_ = (int)(expr), harness_ex_ = (int)(expected); \
        if (harness_rc_ != harness_ex_) { \
            harness_fail((file), (line), "%s returned %d %s, expected %d %s", #expr, harness_rc_, \
                         HARNESS_RC_NAME(harness_rc_), harness_ex_, HARNESS_RC_NAME(harness_ex_)); \
            onfail; \
        } \
    } while (0)
#define CHECK_RC_AT(file, line, expr, expected) HARNESS_RC_CMP_(file, line, expr, expected, (void)0)
#define CHECK_RC(expr, expected) HARNESS_RC_CMP_(__FILE__, __LINE__, expr, expected, (void)0)
#define REQUIRE_RC(expr, expected) HARNESS_RC_CMP_(__FILE__, __LINE__, expr, expected, return)

typedef struct harness_test {
    void (*fn0)(void);
    void (*fn1)(const void *);
    const void *arg;
} harness_test;

static void harness_report(const char *name, const char *failure)
{
    if (failure) {
        printf("FAIL %s: %s\n", name, failure);
        harness_failed++;
    } else {
        printf("PASS %s\n", name);
        harness_passed++;
    }
    fflush(stdout);
}

static void harness_call(const harness_test *t)
{
    harness_failures = 0;
    harness_first[0] = 0;
    if (t->fn0) t->fn0();
    else t->fn1(t->arg);
}

/* "first message (+N more)" for the current test, or NULL when it passed. */
static const char *harness_result_text(char *buf, size_t cap)
{
    if (harness_failures == 0) return NULL;
    if (harness_failures > 1) snprintf(buf, cap, "%s (+%d more)", harness_first, harness_failures - 1);
    else snprintf(buf, cap, "%s", harness_first);
    return buf;
}

/* Whether name is one of HARNESS_SKIP's comma-separated names. */
static int harness_skipped(const char *name)
{
    const char *p = getenv("HARNESS_SKIP");
    size_t n = strlen(name);
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

static void harness_run_test(const char *name, const harness_test *t)
{
    char text[1024];
    const char *env = getenv("HARNESS_NOFORK");
    const char *only = getenv("HARNESS_ONLY"); /* run only the tests whose name contains it */
#if HARNESS_FORK
    char msg[1032];
    int fds[2], status = 0;
    size_t got = 0;
    pid_t pid;
#endif

    if (only && *only && !strstr(name, only)) return;
    if (harness_skipped(name)) {
        fprintf(stderr, "note: %s left out (HARNESS_SKIP)\n", name);
        return;
    }
    if (!HARNESS_FORK || (env && *env && strcmp(env, "0") != 0)) {
        harness_call(t);
        harness_report(name, harness_result_text(text, sizeof text));
        return;
    }
#if HARNESS_FORK
    if (pipe(fds) != 0) {
        harness_report(name, "harness: pipe() failed");
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        harness_report(name, "harness: fork() failed");
        return;
    }
    if (pid == 0) {
        const char *tmo = getenv("HARNESS_TIMEOUT");
        const char *res;
        size_t len, off = 0;
        close(fds[0]);
        alarm(tmo ? (unsigned)atoi(tmo) : 600u); /* a hung test fails instead of hanging the run */
        harness_call(t);
        res = harness_result_text(text, sizeof text);
        /* protocol: "P" or "F<message>" */
        snprintf(msg, sizeof msg, "%c%s", res ? 'F' : 'P', res ? res : "");
        len = strlen(msg);
        while (off < len) {
            ssize_t w = write(fds[1], msg + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) break;
            off += (size_t)w;
        }
        close(fds[1]);
        exit(0); /* exit, not _exit: sanitizer leak checks run and show up in the status */
    }
    close(fds[1]);
    for (;;) {
        ssize_t r = read(fds[0], msg + got, sizeof msg - 1 - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
        if (got == sizeof msg - 1) break;
    }
    msg[got] = 0;
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}

    if (got > 0 && msg[0] == 'F') {
        harness_report(name, msg + 1);
    } else if (got == 0 || msg[0] != 'P') {
        if (WIFSIGNALED(status))
            snprintf(text, sizeof text, "test process killed by signal %d%s", WTERMSIG(status),
                     WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
        else
            snprintf(text, sizeof text, "test process exited with status %d before reporting",
                     WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        harness_report(name, text);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(text, sizeof text,
                 "checks passed but the test process ended with %s %d (sanitizer report on stderr?)",
                 WIFEXITED(status) ? "status" : "signal",
                 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        harness_report(name, text);
    } else {
        harness_report(name, NULL);
    }
#endif /* HARNESS_FORK */
}

#define RUN(fn) \
    do { harness_test harness_t_ = {fn, NULL, NULL}; harness_run_test(#fn, &harness_t_); } while (0)
#define RUN_ARG(name, fn, arg) \
    do { harness_test harness_t_ = {NULL, fn, arg}; harness_run_test(name, &harness_t_); } while (0)

/* Prints the summary line; returns the process exit status. */
static int harness_exit(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    fflush(stdout);
    return harness_failed ? 1 : 0;
}

#endif /* HARNESS_H */
