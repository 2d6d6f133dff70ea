/* TAP 13 emitter (docs/DESIGN.md's serial contract). Pure: it writes through a
 * sink function, so host tests can capture the exact text.
 *
 * Every result line (ok / not ok / ok # SKIP) is followed by a YAML
 * diagnostic block, always:
 *
 *   not ok 12 - post.type_zero # refused message type: got ..., want ...
 *     ---
 *     kind: normative
 *     source: "TLFS HvCallPostMessage (online page) / 6.0b 11.11: ..."
 *     observed: "got=0x0000"   (a failure: what failed, as tokens)
 *     checks: 3            (verbose only)
 *     time_us: 140         (verbose only)
 *     ...
 *
 * kind is `normative` (a TLFS rule) or `reading` (the suite's reading of a
 * sentence the TLFS leaves open); source is a double-quoted string with "
 * and \ escaped, on one line. observed is what a profile pins (profiles/
 * README.md): comma-separated tokens, one per failing check - got=0xNNNN (a
 * status), fault=#XX (an exception), delivery=NAME (a named delivery
 * difference), check=N (the Nth check, not named), RULE:TOKEN (fuzz.post's
 * classes) - so a deviation that changes is seen by the checker. */
#ifndef HARNESS_TAP_H
#define HARNESS_TAP_H

typedef void (*tap_sink)(const char *text);

struct tap {
    tap_sink out;
    int next;                   /* number of the next result */
    int passed, failed, skipped;
};

/* What the YAML block after a result says. */
struct tap_diag {
    const char *kind;           /* "normative" or "reading" */
    const char *source;
    int verbose;                /* print checks and time_us too */
    int checks;
    unsigned long long time_us;
    const char *status_only;    /* non-empty: "status_only: ..." in the YAML block */
    const char *observed;       /* tap_fail: the test's observed tokens ("" or NULL: none) */
};

void tap_begin(struct tap *t, tap_sink out, const char *version, const char *bootpath);
void tap_comment(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_plan(struct tap *t, int n);
void tap_running(struct tap *t, const char *name);
void tap_pass(struct tap *t, const char *name, const struct tap_diag *d);
void tap_fail(struct tap *t, const char *name, const char *why, const struct tap_diag *d);
void tap_skip(struct tap *t, const char *name, const char *why, const struct tap_diag *d);
/* `list`: "# test NAME"; with verbose also "#   kind: K" and "#   source: "S"". */
void tap_listed(struct tap *t, const char *name, const struct tap_diag *d);
/* One line; a reason longer than TAP_BAIL_MAX loses its middle, not its end. */
#define TAP_BAIL_MAX 480
void tap_bail(struct tap *t, const char *why);
/* "# hvconform: P passed, F failed, S skipped" and the end marker. */
void tap_end(struct tap *t);

#endif
