#include "tap.h"
#include "../kernel/fmt.h"

/* One line of directive text: newlines would break the TAP stream. */
static void flatten(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r') *s = ' ';
}

/* A result line and its YAML block leave in one write: on a virtio console
 * every write is a VM exit, the costliest step of printing. The block is printed after its test ran, so nothing
 * waits in it while a test could kill the VM. A piece that would overflow
 * sends what is held first: every write still ends a line. */
struct block {
    struct tap *t;
    size_t len;
    char buf[2048];
};

static void block_flush(struct block *b)
{
    if (b->len) b->t->out(b->buf);
    b->len = 0;
    b->buf[0] = '\0';
}

static void block_put(struct block *b, const char *text)
{
    size_t n = 0;
    while (text[n]) n++;
    if (b->len + n >= sizeof b->buf) block_flush(b);
    if (n >= sizeof b->buf) {
        b->t->out(text);
        return;
    }
    for (size_t i = 0; i <= n; i++) b->buf[b->len + i] = text[i];
    b->len += n;
}

/* One or more whole lines into the block. */
static void add(struct block *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct block *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof buf) buf[sizeof buf - 2] = '\n';   /* cut short: still end the line */
    block_put(b, buf);
}

/* Lines written at once (a block of their own). */
#define emit(t, ...) do { struct block b_ = { (t), 0, "" }; add(&b_, __VA_ARGS__); block_flush(&b_); } while (0)

static void result(struct block *b, const char *status, const char *name, const char *directive, const char *why)
{
    char text[400];
    fmt_snprintf(text, sizeof text, "%s", why ? why : "");
    flatten(text);
    if (directive || text[0])
        add(b, "%s %d - %s # %s%s\n", status, b->t->next, name, directive ? directive : "", text);
    else
        add(b, "%s %d - %s\n", status, b->t->next, name);
    b->t->next++;
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

/* The source as a YAML double-quoted scalar: " and \ escaped, control
 * characters as spaces; cut (with "...") where it would overflow. */
static void quoted(char *out, size_t size, const char *s)
{
    size_t n = 0;
    out[n++] = '"';
    for (; s && *s && n + 6 < size; s++) {
        char c = *s;
        if (c == '"' || c == '\\') out[n++] = '\\';
        out[n++] = (unsigned char)c < 32 ? ' ' : c;
    }
    if (s && *s) { out[n++] = '.'; out[n++] = '.'; out[n++] = '.'; }
    out[n++] = '"';
    out[n] = '\0';
}

static const char *kind_of(const struct tap_diag *d) { return d && d->kind ? d->kind : "normative"; }

/* One whole line "<prefix><key>: "..."\n". */
static void quoted_line(struct block *b, const char *prefix, const char *key, const char *value)
{
    char src[700], line[740];
    quoted(src, sizeof src, value);
    fmt_snprintf(line, sizeof line, "%s%s: %s\n", prefix, key, src);
    block_put(b, line);
}

static void source_line(struct block *b, const char *prefix, const char *source)
{
    quoted_line(b, prefix, "source", source);
}

/* The YAML block after the result line in b, then both out. */
static void diag(struct block *b, const struct tap_diag *d, int failed)
{
    add(b, "  ---\n  kind: %s\n", kind_of(d));
    source_line(b, "  ", d ? d->source : "");
    if (d && d->status_only && d->status_only[0]) quoted_line(b, "  ", "status_only", d->status_only);
    if (failed && d && d->observed && d->observed[0]) quoted_line(b, "  ", "observed", d->observed);
    if (d && d->verbose) add(b, "  checks: %d\n  time_us: %llu\n", d->checks, d->time_us);
    add(b, "  ...\n");
    block_flush(b);
}

void tap_pass(struct tap *t, const char *name, const struct tap_diag *d)
{
    struct block b = { t, 0, "" };
    t->passed++;
    result(&b, "ok", name, 0, 0);
    diag(&b, d, 0);
}

void tap_fail(struct tap *t, const char *name, const char *why, const struct tap_diag *d)
{
    struct block b = { t, 0, "" };
    t->failed++;
    result(&b, "not ok", name, 0, why && *why ? why : "failed (no reason given)");
    diag(&b, d, 1);
}

void tap_skip(struct tap *t, const char *name, const char *why, const struct tap_diag *d)
{
    struct block b = { t, 0, "" };
    t->skipped++;
    result(&b, "ok", name, "SKIP ", why && *why ? why : "no reason given");
    diag(&b, d, 0);
}

void tap_listed(struct tap *t, const char *name, const struct tap_diag *d)
{
    struct block b = { t, 0, "" };
    add(&b, "# test %s\n", name);
    if (d && d->verbose) {
        add(&b, "#   kind: %s\n", kind_of(d));
        source_line(&b, "#   ", d->source);
    }
    block_flush(&b);
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
