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
    int start = 0;
    if (o->after) {
        start = -1;
        for (int i = 0; i < nreg; i++)
            if (strcmp(reg[i].name, o->after) == 0) start = i + 1;
        if (start < 0) {
            fmt_snprintf(err, errlen, "after=%s names no test", o->after);
            return -1;
        }
        if (!wanted(&reg[start - 1], o)) {       /* resuming after a test that never ran */
            fmt_snprintf(err, errlen, "after=%s is not a selected test (tests= leaves it out)", o->after);
            return -1;
        }
    }
    int n = 0;
    for (int i = start; i < nreg; i++) {
        if (!wanted(&reg[i], o)) continue;
        if (n == max) { fmt_snprintf(err, errlen, "more than %d tests selected", max); return -1; }
        out[n++] = i;
    }
    return n;
}
