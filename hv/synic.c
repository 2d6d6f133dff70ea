#include "synic.h"
#include "detect.h"
#include "../kernel/apic.h"
#include "../kernel/cpu.h"
#include "../kernel/idt.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

struct hv_message_page hv_simp_page __attribute__((aligned(4096)));
uint8_t hv_siefp_page[4096] __attribute__((aligned(4096)));
struct sint_record sint_records[HV_SINT_COUNT];
static int auto_eoi[HV_SINT_COUNT];

static void on_sint(struct irq_frame *f)
{
    int s = (int)f->vector - SINT_VECTOR(0);
    sint_records[s].in_service = apic_in_service((int)f->vector);
    sint_records[s].last_tsc = rdtsc();
    sint_records[s].count++;
    if (!auto_eoi[s]) apic_eoi();
}

void synic_init(void)
{
    for (int s = 0; s < HV_SINT_COUNT; s++) idt_set_handler(SINT_VECTOR(s), on_sint);
}

void synic_sint_set(int sint, int vector, int masked, int aeoi)
{
    auto_eoi[sint] = aeoi;
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, ((uint64_t)vector & HV_SINT_VECTOR_MASK) |
          (masked ? HV_SINT_MASKED : 0) | (aeoi ? HV_SINT_AUTO_EOI : 0));
}

void synic_eom(void) { wrmsr(HV_X64_MSR_EOM, 0); }

/* Empty every slot and EOM until nothing more arrives for a while, so
 * messages still queued from the previous test land now, not later. */
void synic_drain(void)
{
    if (!hv_has_synic() || !(rdmsr(HV_X64_MSR_SIMP) & HV_SIMP_ENABLE)) return;
    deadline_t quiet = deadline_after_us(5000), limit = deadline_after_us(100000);
    while (!deadline_passed(quiet) && !deadline_passed(limit)) {
        for (int s = 0; s < HV_SINT_COUNT; s++) {
            if (hv_simp_page.slot[s].header.message_type == HV_MESSAGE_TYPE_NONE) continue;
            hv_simp_page.slot[s].header.message_type = HV_MESSAGE_TYPE_NONE;
            barrier();
            synic_eom();
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
    memset((void *)&hv_simp_page, 0, sizeof hv_simp_page);
    memset(hv_siefp_page, 0, sizeof hv_siefp_page);
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)&hv_simp_page | HV_SIMP_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uint64_t)hv_siefp_page | HV_SIEFP_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
    synic_eom();
    memset(sint_records, 0, sizeof sint_records);
}

void synic_clear_slot(int sint)
{
    volatile struct hv_message *m = &hv_simp_page.slot[sint];
    int pending = m->header.message_flags & HV_MESSAGE_FLAG_PENDING;
    m->header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();
    if (pending) synic_eom();
}

int synic_wait_message(int sint, uint64_t timeout_us)
{
    deadline_t d = deadline_after_us(timeout_us);
    while (hv_simp_page.slot[sint].header.message_type == HV_MESSAGE_TYPE_NONE) {
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
    while (!(got = sint_records[sint].count != before) && !deadline_passed(d)) pause();
    cli();
    return got || sint_records[sint].count != before;
}
