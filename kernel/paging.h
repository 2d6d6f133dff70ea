/* The kernel's own page tables, the same on every boot path: identity map of
 * the first 4 GiB, user-accessible (the CPL3 trampoline runs kernel code),
 * with page 0 left unmapped so a NULL dereference faults. Nothing is mapped
 * at or above 4 GiB, which gives tests a known unmapped address. */
#ifndef KERNEL_PAGING_H
#define KERNEL_PAGING_H
#include <stdint.h>

#define PAGING_UNMAPPED_ADDR 0x100001234ull

void paging_init(void);
/* A 16-bit value from page 0 (the BIOS data area), mapped for the read. */
uint16_t paging_read_page0_u16(uint32_t offset);

#endif
