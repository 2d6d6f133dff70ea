/* Picking the AP start-up page from the boot memory map (multiboot1,
 * multiboot2 or EFI, converted by the boot path): a 4 KiB page the map says
 * is usable RAM and no entry says is anything else, not page 0 (real-mode
 * IVT and BIOS data), and below 0xA0000, since SIPI vectors 0xA0-0xBF are
 * reserved (Intel SDM vol. 3, "MP initialization"). Pure, host-tested. */
#ifndef KERNEL_LOWMEM_H
#define KERNEL_LOWMEM_H
#include <stdint.h>

#define LOWMEM_LIMIT 0xA0000u
#define LOWMEM_PAGES (LOWMEM_LIMIT >> 12)

struct lowmem {
    uint8_t usable[LOWMEM_PAGES];   /* some entry says usable */
    uint8_t other[LOWMEM_PAGES];    /* some entry says reserved/in use */
    int entries;
};

void lowmem_init(struct lowmem *m);
/* One map entry; usable = free RAM after boot. */
void lowmem_add(struct lowmem *m, uint64_t base, uint64_t len, int usable);
/* The highest page wholly usable and in no other entry; 0 when none. */
uint32_t lowmem_pick(const struct lowmem *m);

#endif
