#include "lowmem.h"

void lowmem_init(struct lowmem *m)
{
    for (uint32_t i = 0; i < LOWMEM_PAGES; i++) m->usable[i] = m->other[i] = 0;
    m->entries = 0;
}

void lowmem_add(struct lowmem *m, uint64_t base, uint64_t len, int usable)
{
    m->entries++;
    if (!len || base >= LOWMEM_LIMIT) return;
    uint64_t end = base + len < base ? UINT64_MAX : base + len;    /* wrap-safe */
    if (end > LOWMEM_LIMIT) end = LOWMEM_LIMIT;
    if (usable) {
        /* only pages wholly inside the entry */
        for (uint64_t p = (base + 0xFFF) >> 12; ((p + 1) << 12) <= end; p++) m->usable[p] = 1;
    } else {
        /* every page the entry touches */
        for (uint64_t p = base >> 12; (p << 12) < end; p++) m->other[p] = 1;
    }
}

uint32_t lowmem_pick(const struct lowmem *m)
{
    for (uint32_t p = LOWMEM_PAGES - 1; p >= 1; p--)
        if (m->usable[p] && !m->other[p]) return p << 12;
    return 0;
}
