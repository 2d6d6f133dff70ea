/* Run a function at CPL3 (for checks that a hypercall from user mode
 * raises #UD). The function runs on a user stack with the kernel's
 * identity mapping (pages are user-accessible); when it returns, an `int`
 * through a DPL3 gate brings the CPU back to CPL0. Faults at CPL3 come back
 * like any other caught fault. */
#ifndef KERNEL_USER_H
#define KERNEL_USER_H
#include "fault.h"

#define USER_RETURN_VECTOR 0x81

void user_init(void);
/* Returns 1 and fills *f when fn faulted (f->from_user tells the CPL). */
int user_call(void (*fn)(void *), void *arg, struct fault *f);

#endif
