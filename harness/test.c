/* The verdict helpers of harness/test.h. */
#include "test.h"
#include "../kernel/fmt.h"
#include "../kernel/print.h"
#include "../kernel/string.h"

const char *test_kind_name(int kind) { return kind == READING ? "reading" : "normative"; }

void observed_add(struct test_ctx *t, const char *token)
{
    size_t len = 0, n = 0;
    while (t->observed[len]) len++;
    while (token[n]) n++;
    for (size_t i = 0; i < len; i++) {         /* once: compare with each token */
        if ((i == 0 || t->observed[i - 1] == ',') && !memcmp(t->observed + i, token, n) &&
            (t->observed[i + n] == ',' || t->observed[i + n] == '\0')) return;
    }
    if (len + n + 2 > sizeof t->observed) return;
    if (len) t->observed[len++] = ',';
    memcpy(t->observed + len, token, n + 1);
}

void observe(struct test_ctx *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(t->obs_next, sizeof t->obs_next, fmt, ap);
    va_end(ap);
}

static void record(struct test_ctx *t, const char *fmt, va_list ap)
{
    char buf[sizeof t->msg];
    if (t->obs_next[0]) {
        observed_add(t, t->obs_next);
    } else {
        char token[24];
        fmt_snprintf(token, sizeof token, "check=%d", t->checks);
        observed_add(t, token);
    }
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    if (t->failures == 0)
        fmt_snprintf(t->msg, sizeof t->msg, "%s", buf);
    else
        kprintf("#   also: %s\n", buf);
    t->failures++;
}

int check(struct test_ctx *t, int cond, const char *fmt, ...)
{
    t->checks++;
    if (!cond) {
        va_list ap;
        va_start(ap, fmt);
        record(t, fmt, ap);
        va_end(ap);
    }
    t->obs_next[0] = '\0';
    return cond;
}

void fail(struct test_ctx *t, const char *fmt, ...)
{
    va_list ap;
    t->checks++;
    va_start(ap, fmt);
    record(t, fmt, ap);
    va_end(ap);
    t->obs_next[0] = '\0';
}

void skip(struct test_ctx *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!t->skipped) fmt_vsnprintf(t->msg, sizeof t->msg, fmt, ap);
    va_end(ap);
    t->skipped = 1;
}

void status_only(struct test_ctx *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(t->status_only, sizeof t->status_only, fmt, ap);
    va_end(ap);
}

void note(struct test_ctx *t, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    if (!t->verbose) return;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kprintf("#   %s\n", buf);
}
