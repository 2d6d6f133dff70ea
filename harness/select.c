#include "select.h"
#include "glob.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"

/* An explicit-only test runs only when a pattern names it literally. */
static int wanted(const struct test *t, const struct options *o)
{
    if (o->ntests == 0) return !(t->flags & TEST_EXPLICIT);
    for (int i = 0; i < o->ntests; i++) {
        if (!glob_match(o->tests[i], t->name)) continue;
        if (!(t->flags & TEST_EXPLICIT) || glob_is_literal(o->tests[i])) return 1;
    }
    return 0;
}

/* The registry index of the selected test `key=name` names, or -1 with a
 * message: a name, not a glob, and one that tests= selects (an after= or
 * until= outside the selection would name a test that never runs). */
static int named(const struct test *reg, int nreg, const struct options *o, const char *key,
                 const char *name, char *err, size_t errlen)
{
    for (int i = 0; i < nreg; i++) {
        if (strcmp(reg[i].name, name) != 0) continue;
        if (wanted(&reg[i], o)) return i;
        fmt_snprintf(err, errlen, "%s=%s is not a selected test (tests= leaves it out)", key, name);
        return -1;
    }
    fmt_snprintf(err, errlen, "%s=%s names no test", key, name);
    return -1;
}

int select_tests(const struct test *reg, int nreg, const struct options *o,
                 int *out, int max, char *err, size_t errlen)
{
    for (int p = 0; p < o->ntests; p++) {
        int hit = 0;
        for (int i = 0; i < nreg && !hit; i++)
            hit = glob_match(o->tests[p], reg[i].name) &&
                  (!(reg[i].flags & TEST_EXPLICIT) || glob_is_literal(o->tests[p]));
        if (!hit) {
            fmt_snprintf(err, errlen, "tests=%s matches no test (the 'list' argument prints them)", o->tests[p]);
            return -1;
        }
    }
    /* the window [start, end) of registry indexes: after after=, through until= */
    int start = 0, end = nreg;
    if (o->after) {
        int a = named(reg, nreg, o, "after", o->after, err, errlen);
        if (a < 0) return -1;
        start = a + 1;
    }
    if (o->until) {
        int u = named(reg, nreg, o, "until", o->until, err, errlen);
        if (u < 0) return -1;
        /* until= the after= test itself is an empty window, as after= the
         * last test is: a run ending there resumed after its death there */
        if (u + 1 < start) {
            fmt_snprintf(err, errlen, "until=%s comes before after=%s: no test lies between them", o->until, o->after);
            return -1;
        }
        end = u + 1;
    }
    int n = 0;
    for (int i = start; i < end; i++) {
        if (!wanted(&reg[i], o)) continue;
        if (n == max) { fmt_snprintf(err, errlen, "more than %d tests selected", max); return -1; }
        out[n++] = i;
    }
    return n;
}
