#include "paging.h"
#include "cpu.h"

#define P 1ull
#define W 2ull
#define U 4ull
#define PCD 16ull
#define PS 128ull

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[4][512] __attribute__((aligned(4096)));
static uint64_t pt0[512] __attribute__((aligned(4096)));   /* first 2 MiB in 4 KiB pages */

void paging_init(void)
{
    for (int i = 1; i < 512; i++) pt0[i] = ((uint64_t)i << 12) | P | W | U;
    pt0[0] = 0;
    for (int g = 0; g < 4; g++) {
        for (int i = 0; i < 512; i++) {
            uint64_t addr = ((uint64_t)g << 30) | ((uint64_t)i << 21);
            /* the top GiB holds the APIC and other MMIO: uncached */
            pd[g][i] = addr | P | W | U | PS | (g == 3 ? PCD : 0);
        }
        pdpt[g] = (uint64_t)pd[g] | P | W | U;
    }
    pd[0][0] = (uint64_t)pt0 | P | W | U;
    pml4[0] = (uint64_t)pdpt | P | W | U;
    write_cr3((uint64_t)pml4);
}

uint16_t paging_read_page0_u16(uint32_t offset)
{
    uintptr_t va = 0;
    uint16_t v;
    pt0[0] = P;                             /* read-only, supervisor */
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
    __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(va + (offset & 0xFFE)) : "memory");
    pt0[0] = 0;
    __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory");
    return v;
}
