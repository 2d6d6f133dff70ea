/* What tests may ask the runner (tests/runner.c): the parsed command line,
 * and the verdicts of tests already run in this boot. */
#ifndef TESTS_RUNNER_H
#define TESTS_RUNNER_H
#include "cmdline.h"

const struct options *runner_options(void);

enum { RESULT_NOT_RUN, RESULT_PASSED, RESULT_FAILED, RESULT_SKIPPED };
/* The verdict of the test named `name` in this boot, RESULT_NOT_RUN if it
 * hasn't run (not selected, later in the order, or run before a restart). */
int runner_result(const char *name);

#endif
