/* The latency benchmark (`bench` on the kernel command line; not part of
 * the test verdict).
 *
 * Output: TAP with a plan of one test, `bench.run`; per figure two human
 * comment lines (cycles, ns) and one machine-readable line
 *   # bench name=post_error n=2000 min=.. median=.. p99=.. max=.. unit=cycles tsc_hz=..
 * which tools/bench turns into a table. */
#ifndef TESTS_BENCH_H
#define TESTS_BENCH_H
#include "tap.h"
#include "cmdline.h"

/* Runs after suite_preamble(); prints plan, result and summary (not the end
 * marker). Returns 1 when bench.run failed. */
int bench_run(struct tap *tap, const struct options *o);

#endif
