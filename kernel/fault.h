/* Fault recovery. fault_catch() runs a function with faults armed: a fault
 * inside it comes back as a value (vector, error code, RIP, CR2) instead of
 * killing the kernel, in the spirit of XTF's exception table. Contexts nest,
 * so the harness can wrap each test while the test arms its own. A fault with
 * no context armed is a Bail out. */
#ifndef KERNEL_FAULT_H
#define KERNEL_FAULT_H
#include <stddef.h>
#include <stdint.h>
#include "idt.h"

#define FAULT_NONE (-1)
enum { VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_UD = 6, VEC_DF = 8,
       VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13, VEC_PF = 14, VEC_AC = 17 };

struct fault {
    int vector;             /* FAULT_NONE when nothing faulted */
    uint32_t error_code;
    uint64_t rip, cr2;
    int from_user;          /* the fault was raised at CPL3 */
};

/* Returns 1 and fills *f when fn faulted, 0 (f->vector = FAULT_NONE) when
 * it returned normally. */
int fault_catch(void (*fn)(void *), void *arg, struct fault *f);

/* "#GP[0000] at rip 0x1234" (+ " cr2 0x..." for #PF) */
int fault_describe(char *buf, size_t size, const struct fault *f);
const char *fault_mnemonic(int vector);
/* Does this vector push an error code? */
int fault_has_error_code(int vector);

/* Leave the innermost fault_catch() as if fn had returned normally (used by
 * the user-mode trampoline's return gate). */
void fault_return_normally(void) __attribute__((noreturn));

/* Called by isr_dispatch for vectors 0-31. */
void fault_handle(struct irq_frame *f);

#endif
