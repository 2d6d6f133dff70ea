/* TAP 13 emitter (DESIGN.md's serial contract). Pure: it writes through a
 * sink function, so host tests can capture the exact text. */
#ifndef TESTS_TAP_H
#define TESTS_TAP_H

typedef void (*tap_sink)(const char *text);

struct tap {
    tap_sink out;
    int next;                   /* number of the next result */
    int passed, failed, skipped;
};

void tap_begin(struct tap *t, tap_sink out, const char *version, const char *bootpath);
void tap_comment(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_plan(struct tap *t, int n);
void tap_running(struct tap *t, const char *name);
void tap_pass(struct tap *t, const char *name);
void tap_fail(struct tap *t, const char *name, const char *why);
void tap_skip(struct tap *t, const char *name, const char *why);
/* One line; a reason longer than TAP_BAIL_MAX loses its middle, not its end. */
#define TAP_BAIL_MAX 480
void tap_bail(struct tap *t, const char *why);
/* "# hvconform: P passed, F failed, S skipped" and the end marker. */
void tap_end(struct tap *t);

#endif
