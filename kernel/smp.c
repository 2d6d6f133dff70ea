#include "smp.h"
#include "apic.h"
#include "cpu.h"
#include "fault.h"
#include "gdt.h"
#include "idt.h"
#include "percpu.h"
#include "string.h"
#include "time.h"

#define AP_STACK_SIZE 16384

extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];
static uint8_t ap_stacks[MAX_CPUS][AP_STACK_SIZE] __attribute__((aligned(16)));

struct params {         /* boot/ap_trampoline.asm's parameter block, at +8 */
    uint64_t cr3, entry, stacks, stack_size;
    volatile uint32_t count, pad;
    uint32_t pm32; uint16_t pm32_sel, pad1;     /* offsets in the blob: += page */
    uint32_t lm64; uint16_t lm64_sel, pad2;
    uint16_t gdt_limit; uint32_t gdt_base; uint16_t pad3;
} __attribute__((packed));

static uint32_t startup_page;
static const char *startup_source = "no boot memory map";

void smp_set_startup_page(uint32_t page, const char *source)
{
    startup_page = page;
    startup_source = source;
}
uint32_t smp_startup_page(void) { return startup_page; }
const char *smp_startup_source(void) { return startup_source; }

struct work {
    void (*volatile fn)(void *);
    void *volatile arg;
    volatile int busy;              /* set by the BSP, cleared by the AP when done */
    volatile int taken;             /* the AP left its idle loop for this work */
    struct fault fault;
};

/* An idle AP halts with interrupts off (a pending SINT stays pending, as it
 * would while it spun), so only an NMI wakes it. The NMI can land between
 * its look at `busy` and its hlt, so the BSP sends another until the AP has
 * taken the work. Spinning instead would cost a host CPU for the whole run
 * (under nested virtualization, one of the few the L1 has). */
#define WAKE_RESEND_US 500
#define WAKE_WAIT_US 50000

static void on_nmi(struct irq_frame *f)
{
    if (this_cpu()->index == 0) fault_handle(f);    /* the BSP is never sent one */
    /* an AP: a wake-up, perhaps a late one while it runs work: nothing to do */
}

static struct work work[MAX_CPUS];
static volatile int online[MAX_CPUS];
static int ncpus = 1;
void (*smp_ap_setup)(int index);

static void ap_run(void *arg)
{
    struct work *w = arg;
    w->fn(w->arg);
}

void ap_entry(int index);
void ap_entry(int index)
{
    if (index >= MAX_CPUS) halt_forever();     /* more CPUs than we track: park it */
    gdt_load_ap();
    percpu_init(index);
    idt_load();
    apic_init();
    this_cpu()->apic_id = apic_id();
    if (smp_ap_setup) smp_ap_setup(index);
    online[index] = 1;
    struct work *w = &work[index];
    for (;;) {
        while (!w->busy) __asm__ volatile("hlt" ::: "memory");
        w->taken = 1;
        fault_catch(ap_run, w, &w->fault);
        cli();
        barrier();
        w->busy = 0;
    }
}

int smp_start(uint64_t wait_us, int expect)
{
    size_t len = (size_t)(ap_trampoline_end - ap_trampoline_start);
    uint32_t page = startup_page;
    if (!page || len > 4096) return ncpus;
    if (expect == 1) {      /* nothing to start: no INIT-SIPI-SIPI, none of its waits */
        smp_set_startup_page(0, "the MADT lists no other CPU");
        return ncpus;
    }
    memcpy((void *)(uintptr_t)page, ap_trampoline_start, len);
    struct params *p = (struct params *)(uintptr_t)(page + 8);
    p->cr3 = read_cr3();
    p->entry = (uint64_t)(uintptr_t)ap_entry;
    p->stacks = (uint64_t)(uintptr_t)ap_stacks;
    p->stack_size = AP_STACK_SIZE;
    p->count = 0;
    p->pm32 += page;
    p->lm64 += page;
    p->gdt_base += page;

    idt_set_handler(2, on_nmi);
    apic_send_ipi_all_but_self(0x00004500);                 /* INIT, assert */
    delay_us(10000);
    for (int i = 0; i < 2; i++) {
        apic_send_ipi_all_but_self(0x00004600 | (page >> 12));   /* SIPI */
        delay_us(200);
    }
    /* wait (bounded) until the expected APs (the MADT's count) have finished
     * setup; with no count, until arrivals stop for 20 ms. A loaded host can
     * take far longer than 20 ms to run a new vCPU, so the count is preferred. */
    deadline_t d = deadline_after_us(wait_us);
    uint32_t seen = 0;
    deadline_t quiet = deadline_after_us(20000);
    while (!deadline_passed(d)) {
        if (p->count != seen) { seen = p->count; quiet = deadline_after_us(20000); }
        int up = 1;
        for (uint32_t i = 1; i <= seen && i < MAX_CPUS; i++) up &= online[i];
        if (up && (expect > 1 ? (int)seen + 1 >= expect : deadline_passed(quiet))) break;
        pause();
    }
    ncpus = 1;
    while (ncpus < MAX_CPUS && online[ncpus]) ncpus++;
    return ncpus;
}

int smp_cpus(void) { return ncpus; }

/* NMIs to an idle AP until it takes its work, for at most until_us. */
static void wake(int cpu, uint64_t until_us)
{
    deadline_t d = deadline_after_us(until_us);
    while (!work[cpu].taken && work[cpu].busy && !deadline_passed(d)) {
        apic_send_nmi(percpu[cpu].apic_id);
        deadline_t next = deadline_after_us(WAKE_RESEND_US);
        while (!work[cpu].taken && !deadline_passed(next)) pause();
    }
}

int smp_start_on(int cpu, void (*fn)(void *), void *arg)
{
    if (cpu <= 0 || cpu >= ncpus || work[cpu].busy) return -1;
    work[cpu].fn = fn;
    work[cpu].arg = arg;
    work[cpu].taken = 0;
    barrier();
    work[cpu].busy = 1;
    wake(cpu, WAKE_WAIT_US);    /* tests expect it to start now, as when it spun */
    return 0;
}

int smp_wait(int cpu, uint64_t timeout_us, struct fault *f)
{
    if (cpu <= 0 || cpu >= ncpus) return -1;
    deadline_t d = deadline_after_us(timeout_us);
    while (work[cpu].busy) {
        if (deadline_passed(d)) return -1;
        wake(cpu, WAKE_RESEND_US);      /* an AP slow to be scheduled: again */
    }
    if (f) *f = work[cpu].fault;
    return 0;
}

int smp_run_on(int cpu, void (*fn)(void *), void *arg, uint64_t timeout_us, struct fault *f)
{
    if (smp_start_on(cpu, fn, arg)) return -1;
    return smp_wait(cpu, timeout_us, f);
}
