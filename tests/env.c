/* Suite environment (tests/suite.h). Until hv/ exists: no platform. */
#include "suite.h"

void suite_preamble(struct tap *t)
{
    tap_comment(t, "hypervisor: not detected");
}

void suite_reset(void) {}
