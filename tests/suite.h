/* The suite's environment, implemented by tests/suite.c on top of hv/: what
 * is printed before the plan, and the known state every test starts from. */
#ifndef TESTS_SUITE_H
#define TESTS_SUITE_H
#include "tap.h"

/* Detect the platform, print its description as TAP comments. */
void suite_preamble(struct tap *t);
/* Bring the machine back to the state tests start from; called before each
 * test, whatever the previous test left. */
void suite_reset(void);

#endif
