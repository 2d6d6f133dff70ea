#include "percpu.h"
#include "cpu.h"

#define MSR_GS_BASE 0xC0000101u

struct percpu percpu[MAX_CPUS];

void percpu_init(int index)
{
    struct percpu *p = &percpu[index];
    p->self = p;
    p->index = index;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
}
