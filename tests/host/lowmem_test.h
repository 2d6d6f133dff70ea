/* kernel/lowmem.c: the AP start-up page from a boot memory map. */
#include "../../kernel/lowmem.h"

static void test_lowmem(void)
{
    static struct lowmem m;

    lowmem_init(&m);
    CHECK_UINT(lowmem_pick(&m), 0);                 /* no map: no page */

    /* QEMU/SeaBIOS e820: 0-0x9fc00 usable, EBDA reserved */
    lowmem_init(&m);
    lowmem_add(&m, 0, 0x9fc00, 1);
    lowmem_add(&m, 0x9fc00, 0x400, 0);
    lowmem_add(&m, 0xf0000, 0x10000, 0);
    lowmem_add(&m, 0x100000, 0x7ee0000, 1);
    CHECK_UINT(lowmem_pick(&m), 0x9e000);           /* 0x9f000 is cut by the EBDA */

    /* never page 0, never at or above 0xA0000 (SIPI vectors 0xA0-0xBF) */
    lowmem_init(&m);
    lowmem_add(&m, 0, 0x1000, 1);
    CHECK_UINT(lowmem_pick(&m), 0);
    lowmem_add(&m, 0xA0000, 0x60000, 1);
    CHECK_UINT(lowmem_pick(&m), 0);
    lowmem_add(&m, 0x9F000, 0x1000, 1);
    CHECK_UINT(lowmem_pick(&m), 0x9F000);

    /* a usable entry that doesn't cover a whole page gives none */
    lowmem_init(&m);
    lowmem_add(&m, 0x8800, 0x1000, 1);
    CHECK_UINT(lowmem_pick(&m), 0);

    /* overlapping entries: anything not usable wins (EFI LoaderData, a
     * firmware-reserved page inside a usable e820 range) */
    lowmem_init(&m);
    lowmem_add(&m, 0x1000, 0x9e000, 1);
    lowmem_add(&m, 0x9e000, 0x1, 0);
    CHECK_UINT(lowmem_pick(&m), 0x9d000);
    lowmem_add(&m, 0x1000, 0x9f000, 0);
    CHECK_UINT(lowmem_pick(&m), 0);

    /* EFI-like map: conventional pages between reserved ones */
    lowmem_init(&m);
    lowmem_add(&m, 0, 0x1000, 0);
    lowmem_add(&m, 0x1000, 0x7000, 1);
    lowmem_add(&m, 0x8000, 0x98000, 0);
    CHECK_UINT(lowmem_pick(&m), 0x7000);

    /* huge and wrapping entries don't overflow */
    lowmem_init(&m);
    lowmem_add(&m, 0x2000, UINT64_MAX, 1);
    CHECK_UINT(lowmem_pick(&m), 0x9F000);
    lowmem_add(&m, 0x50000, UINT64_MAX - 0x10000, 0);
    CHECK_UINT(lowmem_pick(&m), 0x4F000);
    CHECK_INT(m.entries, 2);
}
