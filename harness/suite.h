/* The suite's environment, implemented by harness/suite.c on top of hv/: what
 * is printed before the plan, and the known state every test starts from. */
#ifndef HARNESS_SUITE_H
#define HARNESS_SUITE_H
#include <stddef.h>
#include "tap.h"
#include "cmdline.h"

/* Calibrate the TSC: Hyper-V's own sources first, then the PIT. 0, or -1
 * with the reason (the caller bails out). */
int suite_time_init(char *why, size_t whylen);
/* Detect the platform, print its description as TAP comments. */
void suite_preamble(struct tap *t, const struct options *o);
/* What the guest has of require='s items, printed ("# found: ..."); 0,
 * or -1 with the first missing item and why in `why` (the caller bails
 * out: a configuration that lost its device fails, it does not SKIP). */
int suite_require(struct tap *t, const struct options *o, char *why, size_t whylen);
/* Bring the machine back to the state tests start from; called before each
 * test, whatever the previous test left (the part the host must finish
 * runs in suite_quiesce, itself first when no test ran before). */
void suite_reset(void);
/* Called when a test ends, before its result is printed: what the test left
 * in flight lands while it is still the running one. */
void suite_quiesce(void);
/* Messages the harness found where the running test expected none (the
 * end-of-test drain and flush, or a slot full before the test began): the
 * count, the first described in buf; cleared. DESIGN.md: such a message
 * fails that test, whenever it is found. */
int suite_strays(char *buf, size_t size);
/* Leave the host's VMBus as the run found it (UNLOAD of a contact still
 * open); called once after the last test, before the summary. */
void suite_finish(void);

#endif
