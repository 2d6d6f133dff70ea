/* What tests may ask the runner (harness/runner.c): the parsed command line,
 * and the verdicts of tests already run in this boot; and the benchmark the
 * runner takes from the tests. */
#ifndef HARNESS_RUNNER_H
#define HARNESS_RUNNER_H
#include "cmdline.h"
#include "tap.h"

const struct options *runner_options(void);

enum { RESULT_NOT_RUN, RESULT_PASSED, RESULT_FAILED, RESULT_SKIPPED };
/* The verdict of the test named `name` in this boot, RESULT_NOT_RUN if it
 * hasn't run (not selected, later in the order, or run before a restart). */
int runner_result(const char *name);

/* The latency benchmark (`bench` on the command line; not part of the test
 * verdict), defined by the tests (tests/bench.c). Runs after
 * suite_preamble() instead of the suite; prints plan, result and summary
 * (not the end marker). Returns 1 when bench.run failed.
 *
 * Output: TAP with a plan of one test, `bench.run`; per figure two human
 * comment lines (cycles, ns) and one machine-readable line
 *   # bench name=post_error n=2000 min=.. median=.. p99=.. max=.. unit=cycles tsc_hz=..
 * which tools/bench turns into a table. */
int bench_run(struct tap *tap, const struct options *o);

#endif
