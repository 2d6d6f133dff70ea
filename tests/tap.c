#include "tap.h"
#include "../kernel/fmt.h"

/* One line of directive text: newlines would break the TAP stream. */
static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

static void emit(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct tap *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof buf) buf[sizeof buf - 2] = '\n';   /* cut short: still end the line */
    t->out(buf);
}

static void result(struct tap *t, const char *status, const char *name, const char *directive, const char *why)
{
    char text[400];
    fmt_snprintf(text, sizeof text, "%s", why ? why : "");
    flatten(text);
    if (directive || text[0])
        emit(t, "%s %d - %s # %s%s\n", status, t->next, name, directive ? directive : "", text);
    else
        emit(t, "%s %d - %s\n", status, t->next, name);
    t->next++;
}

void tap_begin(struct tap *t, tap_sink out, const char *version, const char *bootpath)
{
    *t = (struct tap){ .out = out, .next = 1 };
    emit(t, "TAP version 13\n# hvconform %s %s\n", version, bootpath);
}

void tap_comment(struct tap *t, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    flatten(buf);
    emit(t, "# %s\n", buf);
}

void tap_plan(struct tap *t, int n) { emit(t, "1..%d\n", n); }

void tap_running(struct tap *t, const char *name) { emit(t, "# running %d %s\n", t->next, name); }

void tap_pass(struct tap *t, const char *name) { t->passed++; result(t, "ok", name, 0, 0); }

void tap_fail(struct tap *t, const char *name, const char *why)
{
    t->failed++;
    result(t, "not ok", name, 0, why && *why ? why : "failed (no reason given)");
}

void tap_skip(struct tap *t, const char *name, const char *why)
{
    t->skipped++;
    result(t, "ok", name, "SKIP ", why && *why ? why : "no reason given");
}

/* A bail reason too long for one line loses its middle, not its end: the
 * reason ("... names no test") comes last in many messages. */
void tap_bail(struct tap *t, const char *why)
{
    char text[TAP_BAIL_MAX + 1];
    size_t n = 0, len = 0;
    while (why[len]) len++;
    if (len <= TAP_BAIL_MAX) {
        for (; n < len; n++) text[n] = why[n];
    } else {
        size_t head = (TAP_BAIL_MAX - 5) / 2, tail = TAP_BAIL_MAX - 5 - head;
        for (; n < head; n++) text[n] = why[n];
        for (const char *d = " ... "; *d; d++) text[n++] = *d;
        for (size_t i = len - tail; i < len; i++) text[n++] = why[i];
    }
    text[n] = '\0';
    flatten(text);
    emit(t, "Bail out! %s\n", text);
}

void tap_end(struct tap *t)
{
    emit(t, "# hvconform: %d passed, %d failed, %d skipped\n# hvconform: end\n", t->passed, t->failed, t->skipped);
}
