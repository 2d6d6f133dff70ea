/* Tiny host test framework: each CHECK* is one check; a failing one prints
 * `FAIL file:line expr: got ... want ...`; main() prints the totals. */
#ifndef TESTS_HOST_CHECK_H
#define TESTS_HOST_CHECK_H
#include <stdio.h>
#include <string.h>

static int checks_passed, checks_failed;

/* Print s with C escapes so a stray newline or NUL shows up. */
static void put_escaped(const char *s)
{
    if (!s) { fputs("(NULL)", stdout); return; }
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n') fputs("\\n", stdout);
        else if (c == '\r') fputs("\\r", stdout);
        else if (c == '\t') fputs("\\t", stdout);
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 32 || c >= 127) printf("\\x%02x", c);
        else putchar(c);
    }
    putchar('"');
}

static int check_result(int ok, const char *file, int line)
{
    if (ok) { checks_passed++; return 1; }
    checks_failed++;
    printf("FAIL %s:%d ", file, line);
    return 0;
}

static int check_true(int ok, const char *file, int line, const char *expr)
{
    if (!check_result(ok, file, line)) printf("%s\n", expr);
    return ok;
}

static int check_int(const char *file, int line, const char *expr, long long got, long long want)
{
    int ok = got == want;
    if (!check_result(ok, file, line)) printf("%s: got %lld want %lld\n", expr, got, want);
    return ok;
}

static int check_uint(const char *file, int line, const char *expr,
                      unsigned long long got, unsigned long long want)
{
    int ok = got == want;
    if (!check_result(ok, file, line)) printf("%s: got %llu (0x%llx) want %llu (0x%llx)\n", expr, got, got, want, want);
    return ok;
}

static int check_str(const char *file, int line, const char *expr, const char *got, const char *want)
{
    int ok = got && want ? strcmp(got, want) == 0 : got == want;
    if (!check_result(ok, file, line)) {
        printf("%s: got ", expr);
        put_escaped(got);
        fputs(" want ", stdout);
        put_escaped(want);
        putchar('\n');
    }
    return ok;
}

/* got contains want as a substring */
static int check_has(const char *file, int line, const char *expr, const char *got, const char *want)
{
    int ok = got && want && strstr(got, want) != NULL;
    if (!check_result(ok, file, line)) {
        printf("%s: got ", expr);
        put_escaped(got);
        fputs(" which does not contain ", stdout);
        put_escaped(want);
        putchar('\n');
    }
    return ok;
}

#define CHECK(cond) check_true(!!(cond), __FILE__, __LINE__, #cond)
#define CHECK_INT(got, want) check_int(__FILE__, __LINE__, #got, (long long)(got), (long long)(want))
#define CHECK_UINT(got, want) check_uint(__FILE__, __LINE__, #got, (unsigned long long)(got), (unsigned long long)(want))
#define CHECK_STR(got, want) check_str(__FILE__, __LINE__, #got, (got), (want))
#define CHECK_HAS(got, want) check_has(__FILE__, __LINE__, #got, (got), (want))

#endif
