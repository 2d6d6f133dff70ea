#include "gdt.h"
#include <stdint.h>

struct tss {
    uint32_t rsvd0;
    uint64_t rsp[3];
    uint64_t rsvd1;
    uint64_t ist[7];
    uint64_t rsvd2;
    uint16_t rsvd3, iomap_base;
} __attribute__((packed));

static struct tss tss;
/* CPL3 -> CPL0 transitions and #DF get stacks of their own, so a fault on a
 * broken stack is still reported instead of triple-faulting. */
static uint8_t ring0_stack[16384] __attribute__((aligned(16)));
static uint8_t df_stack[8192] __attribute__((aligned(16)));

static uint64_t gdt[7] = {
    0,
    0x00AF9A000000FFFFull,  /* 0x08 kernel code, 64-bit */
    0x00CF92000000FFFFull,  /* 0x10 kernel data */
    0x00CFF2000000FFFFull,  /* 0x18 user data, DPL3 */
    0x00AFFA000000FFFFull,  /* 0x20 user code, 64-bit, DPL3 */
    0, 0,                   /* 0x28 TSS (16 bytes) */
};

static void load(int with_tss);

void gdt_init(void)
{
    tss.rsp[0] = (uint64_t)(ring0_stack + sizeof ring0_stack);
    tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(df_stack + sizeof df_stack);
    tss.iomap_base = sizeof tss;    /* no I/O bitmap: CPL3 port access faults */

    uint64_t base = (uint64_t)&tss, limit = sizeof tss - 1;
    gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    gdt[6] = base >> 32;
    load(1);
}

/* Application processors share the GDT but not the TSS (a TSS can be loaded
 * by one CPU only): they run no CPL3 code and have no IST stack. */
void gdt_load_ap(void) { load(0); }

static void load(int with_tss)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) ptr = { sizeof gdt - 1, (uint64_t)gdt };
    __asm__ volatile(
        "lgdt %0\n"
        "pushq %1\n"
        "leaq 1f(%%rip), %%rax\n"
        "pushq %%rax\n"
        "lretq\n"
        "1:\n"
        "movw %w2, %%ax\n"
        "movw %%ax, %%ds\n"
        "movw %%ax, %%es\n"
        "movw %%ax, %%ss\n"
        "xorl %%eax, %%eax\n"
        "movw %%ax, %%fs\n"
        "movw %%ax, %%gs\n"
        :: "m"(ptr), "i"(SEL_KCODE), "r"(SEL_KDATA) : "rax", "memory");
    if (with_tss) __asm__ volatile("ltr %w0" :: "r"(SEL_TSS));
}
