/* Application processors: started with INIT-SIPI-SIPI (broadcast, so no
 * ACPI table is needed), each in long mode on the kernel's page tables with
 * its own stack, GS base and local APIC, then halted (interrupts off) until
 * an NMI says there is work (no host CPU spent while it idles). A small
 * cross-CPU primitive runs a function on CPU n and waits, with a timeout. */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H
#include <stdint.h>
#include "fault.h"

/* The page the AP start-up code goes to (the boot path found it in the
 * memory map, kernel/lowmem.h; 0 = none) and where that came from. */
void smp_set_startup_page(uint32_t page, const char *source);
uint32_t smp_startup_page(void);
const char *smp_startup_source(void);
/* Start the APs and wait up to wait_us for expect CPUs in all (the MADT's
 * count; 0 = unknown: until arrivals stop). Returns how many CPUs run (1 =
 * only the boot CPU, always when there is no start-up page; with expect 1
 * nothing is sent, and the start-up page is reported as none). */
int smp_start(uint64_t wait_us, int expect);
int smp_cpus(void);
/* Hook run on each AP once it is up (hv/ sets up the VP's SynIC there). */
extern void (*smp_ap_setup)(int index);

/* Run fn(arg) on `cpu` inside a fault context and wait for it. Returns 0
 * when it ran (fault in *f, FAULT_NONE when none), -1 when the CPU doesn't
 * exist or didn't finish within timeout_us. */
int smp_run_on(int cpu, void (*fn)(void *), void *arg, uint64_t timeout_us, struct fault *f);
/* Start fn(arg) on `cpu` without waiting; smp_wait() collects it. */
int smp_start_on(int cpu, void (*fn)(void *), void *arg);
int smp_wait(int cpu, uint64_t timeout_us, struct fault *f);

#endif
