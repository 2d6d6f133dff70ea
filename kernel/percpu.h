/* Per-CPU state, reached through the GS base (no swapgs anywhere, so it
 * stays valid at CPL3 and in interrupt handlers). */
#ifndef KERNEL_PERCPU_H
#define KERNEL_PERCPU_H
#include <stdint.h>

#define MAX_CPUS 8

struct percpu {
    struct percpu *self;        /* %gs:0 */
    int index;                  /* 0 = boot CPU */
    uint32_t apic_id;
    void *fault_innermost;      /* kernel/fault.c's context stack */
};

extern struct percpu percpu[MAX_CPUS];

void percpu_init(int index);

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

static inline int cpu_index(void) { return this_cpu()->index; }

#endif
