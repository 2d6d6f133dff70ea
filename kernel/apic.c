#include "apic.h"
#include "cpu.h"
#include "idt.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define REG_ID 0x20
#define REG_VERSION 0x30
#define REG_EOI 0xB0
#define REG_SVR 0xF0
#define REG_ISR 0x100
#define REG_LVT_TIMER 0x320
#define REG_LVT_THERMAL 0x330
#define REG_LVT_PERF 0x340
#define REG_LVT_LINT0 0x350
#define REG_LVT_LINT1 0x360
#define REG_LVT_ERROR 0x370
#define LVT_MASKED (1u << 16)

static int x2apic;
static volatile uint32_t *mmio;

static uint32_t rd(uint32_t reg)
{
    return x2apic ? (uint32_t)rdmsr(0x800 + (reg >> 4)) : mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    if (x2apic) wrmsr(0x800 + (reg >> 4), v);
    else mmio[reg / 4] = v;
}

static void on_spurious(struct irq_frame *f) { (void)f; /* no EOI for spurious */ }

void apic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    int has_x2 = (cpuid(1, 0).c >> 21) & 1;
    base |= APIC_BASE_ENABLE;
    if (has_x2) base |= APIC_BASE_X2APIC;
    wrmsr(MSR_APIC_BASE, base);
    x2apic = has_x2;
    mmio = (volatile uint32_t *)(uintptr_t)(base & 0xFFFFF000ull);

    idt_set_handler(APIC_SPURIOUS_VECTOR, on_spurious);
    const uint32_t lvts[] = { REG_LVT_TIMER, REG_LVT_LINT0, REG_LVT_LINT1, REG_LVT_ERROR };
    for (unsigned i = 0; i < sizeof lvts / sizeof lvts[0]; i++)
        wr(lvts[i], LVT_MASKED);
    /* thermal and perf LVTs exist only when the max-LVT field says so (an
     * x2APIC write to a missing register would #GP) */
    uint32_t max_lvt = (rd(REG_VERSION) >> 16) & 0xFF;
    if (max_lvt >= 4) wr(REG_LVT_PERF, LVT_MASKED);
    if (max_lvt >= 5) wr(REG_LVT_THERMAL, LVT_MASKED);
    /* SVR bit 8: without it the APIC drops every interrupt, SINTs included */
    wr(REG_SVR, (1u << 8) | APIC_SPURIOUS_VECTOR);
}

void apic_eoi(void) { wr(REG_EOI, 0); }

void apic_sw_enable(int on) { wr(REG_SVR, (on ? 1u << 8 : 0) | APIC_SPURIOUS_VECTOR); }

#define REG_ICR_LO 0x300
#define REG_ICR_HI 0x310
#define ICR_PENDING (1u << 12)

void apic_send_ipi_all_but_self(uint32_t low)
{
    low |= 3u << 18;                        /* shorthand: all excluding self */
    if (x2apic) { wrmsr(0x830, low); return; }
    wr(REG_ICR_HI, 0);
    wr(REG_ICR_LO, low);
    for (int i = 0; i < 1000000 && (rd(REG_ICR_LO) & ICR_PENDING); i++) pause();
}

void apic_send_nmi(uint32_t dest)
{
    uint32_t low = 4u << 8;                 /* delivery mode NMI, physical destination */
    if (x2apic) { wrmsr(0x830, (uint64_t)dest << 32 | low); return; }
    wr(REG_ICR_HI, dest << 24);
    wr(REG_ICR_LO, low);
    for (int i = 0; i < 1000000 && (rd(REG_ICR_LO) & ICR_PENDING); i++) pause();
}

uint32_t apic_id(void)
{
    uint32_t id = rd(REG_ID);
    return x2apic ? id : id >> 24;
}

int apic_in_service(int vector)
{
    return (rd(REG_ISR + 0x10 * (uint32_t)(vector / 32)) >> (vector % 32)) & 1;
}
