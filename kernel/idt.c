#include "idt.h"
#include "gdt.h"
#include "fault.h"

struct gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, rsvd;
} __attribute__((packed));

static struct gate idt[256] __attribute__((aligned(16)));
static irq_handler_t handlers[256];
extern const uint64_t isr_stub_table[256];

volatile uint64_t irq_unexpected_count;
volatile int irq_unexpected_last = -1;

static void set_gate(int v, uint8_t type, uint8_t ist)
{
    uint64_t off = isr_stub_table[v];
    idt[v] = (struct gate){ (uint16_t)off, SEL_KCODE, ist, type, (uint16_t)(off >> 16), (uint32_t)(off >> 32), 0 };
}

void idt_init(void)
{
    for (int v = 0; v < 256; v++)
        set_gate(v, 0x8E, v == 8 ? IST_DOUBLE_FAULT : 0);   /* interrupt gate, DPL0 */
    idt_load();
}

void idt_load(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) ptr = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" :: "m"(ptr));
}

void idt_set_handler(int vector, irq_handler_t h) { handlers[vector] = h; }

void idt_set_user_gate(int vector) { set_gate(vector, 0xEE, 0); }

void isr_dispatch(struct irq_frame *f);
void isr_dispatch(struct irq_frame *f)
{
    int v = (int)f->vector;
    if (handlers[v]) { handlers[v](f); return; }
    if (v < 32) { fault_handle(f); return; }
    irq_unexpected_count++;
    irq_unexpected_last = v;
}
