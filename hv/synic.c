#include "synic.h"
#include "detect.h"
#include "../kernel/apic.h"
#include "../kernel/cpu.h"
#include "../kernel/idt.h"
#include "../kernel/percpu.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

struct hv_message_page hv_simp_pages[MAX_CPUS] __attribute__((aligned(4096)));
uint8_t hv_siefp_pages[MAX_CPUS][4096] __attribute__((aligned(4096)));
struct sint_record sint_records_vp[MAX_CPUS][HV_SINT_COUNT];
static int auto_eoi[MAX_CPUS][HV_SINT_COUNT];
struct synic_stray synic_strays[MAX_CPUS];

/* this VP's */
#define SIMP (&hv_simp_pages[cpu_index()])
#define RECORDS (sint_records_vp[cpu_index()])

static void on_sint(struct irq_frame *f)
{
    int s = (int)f->vector - SINT_VECTOR(0);
    struct sint_record *r = &RECORDS[s];
    r->in_service = apic_in_service((int)f->vector);
    r->last_tsc = rdtsc();
    r->count++;
    if (!auto_eoi[cpu_index()][s]) apic_eoi();
}

void synic_init(void)
{
    for (int s = 0; s < HV_SINT_COUNT; s++) idt_set_handler(SINT_VECTOR(s), on_sint);
}

void synic_sint_set(int sint, int vector, int masked, int aeoi)
{
    auto_eoi[cpu_index()][sint] = aeoi;
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, ((uint64_t)vector & HV_SINT_VECTOR_MASK) |
          (masked ? HV_SINT_MASKED : 0) | (aeoi ? HV_SINT_AUTO_EOI : 0));
}

void synic_eom(void) { wrmsr(HV_X64_MSR_EOM, 0); }

void synic_note_stray(int sint)
{
    struct synic_stray *s = &synic_strays[cpu_index()];
    volatile struct hv_message *m = &SIMP->slot[sint];
    if (!s->count++) *s = (struct synic_stray){ 1, sint, m->header.message_type, m->header.payload_size };
}

void synic_take_strays(void)
{
    if (!hv_has_synic() || !(rdmsr(HV_X64_MSR_SIMP) & HV_SIMP_ENABLE)) return;
    for (int s = 0; s < HV_SINT_COUNT; s++) {
        if (SIMP->slot[s].header.message_type == HV_MESSAGE_TYPE_NONE) continue;
        synic_note_stray(s);
        synic_clear_slot(s);
        synic_eom();
    }
}

/* Empty every slot and EOM until nothing more arrives for a while, so
 * messages still queued from the previous test land now, not later. A
 * message that says MessagePending (TLFS 6.0b 11.10, SynIC Message Flags: the
 * hypervisor holds another for that SINT) is followed by one more, however
 * slowly the host delivers it: the drain waits for it (bounded), so no
 * delivery is still under way when the caller tears a connection down.
 * (QEMU 7.2's hyperv-testdev frees a connection whose held message still
 * refers to it: hyperv_testdev.c msg_conn_destroy vs. hyperv.c sint_msg_bh
 * -> msg_cb -> msg_retry; the held message's delivery then crashes it.) */
void synic_drain(void)
{
    if (!hv_has_synic() || !(rdmsr(HV_X64_MSR_SIMP) & HV_SIMP_ENABLE)) return;
    deadline_t quiet = deadline_after_us(5000), limit = deadline_after_us(100000);
    deadline_t owed_limit = deadline_after_us(2000000);
    uint32_t owed = 0;      /* SINTs whose last message said MessagePending */
    while (owed ? !deadline_passed(owed_limit) : !deadline_passed(quiet) && !deadline_passed(limit)) {
        for (int s = 0; s < HV_SINT_COUNT; s++) {
            if (SIMP->slot[s].header.message_type == HV_MESSAGE_TYPE_NONE) continue;
            synic_note_stray(s);
            if (synic_clear_slot(s)) {
                owed |= 1u << s;
            } else {
                owed &= ~(1u << s);
                synic_eom();        /* every message is EOMed here, flagged or not */
            }
            quiet = deadline_after_us(5000);
        }
        pause();
    }
}

void synic_reset(void)
{
    cli();
    if (!hv_has_synic()) return;
    for (int s = 0; s < HV_SINT_COUNT; s++) synic_sint_set(s, SINT_VECTOR(s), 1, 0);
    uint8_t *siefp = hv_siefp_pages[cpu_index()];
    memset((void *)SIMP, 0, sizeof *SIMP);
    memset(siefp, 0, 4096);
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)SIMP | HV_SIMP_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uint64_t)(uintptr_t)siefp | HV_SIEFP_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
    synic_eom();
    memset((void *)RECORDS, 0, sizeof RECORDS);
}

int synic_clear_slot(int sint)
{
    volatile struct hv_message *m = &SIMP->slot[sint];
    m->header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();      /* the flag after the slot is free: the TLFS order */
    int pending = m->header.message_flags & HV_MESSAGE_FLAG_PENDING;
    if (pending) synic_eom();
    return pending;
}

int synic_wait_message(int sint, uint64_t timeout_us)
{
    deadline_t d = deadline_after_us(timeout_us);
    while (SIMP->slot[sint].header.message_type == HV_MESSAGE_TYPE_NONE) {
        if (deadline_passed(d)) return 0;
        pause();
    }
    return 1;
}

int synic_wait_irq(int sint, uint32_t before, uint64_t timeout_us)
{
    deadline_t d = deadline_after_us(timeout_us);
    int got;
    sti();
    while (!(got = RECORDS[sint].count != before) && !deadline_passed(d)) pause();
    cli();
    return got || RECORDS[sint].count != before;
}
