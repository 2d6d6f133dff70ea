/* Which tests run, from the command line's tests=, after= and until=. Pure, so
 * host tests can check it against a fake registry. */
#ifndef HARNESS_SELECT_H
#define HARNESS_SELECT_H
#include <stddef.h>
#include "test.h"
#include "cmdline.h"

/* Fills out[] with indexes into reg[] in registry order; returns the count,
 * or -1 with a message in err (a pattern matching nothing, an after= or
 * until= naming no selected test, an until= before the after=). The
 * selection is every wanted test after after= through until=. */
int select_tests(const struct test *reg, int nreg, const struct options *o,
                 int *out, int max, char *err, size_t errlen);

#endif
