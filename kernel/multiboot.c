/* Multiboot entry (called from boot/multiboot.asm in long mode): take what
 * the kernel needs out of the loader's information structure, either
 * protocol, before anything can overwrite it: the command line (copied),
 * the memory map (for the AP start-up page, kernel/lowmem.h) and, from
 * multiboot2, the loader's copy of the ACPI RSDP (kernel/acpi.h). */
#include <stdint.h>
#include "acpi.h"
#include "exit.h"
#include "grubline.h"
#include "lowmem.h"
#include "serial.h"
#include "smp.h"
#include "start.h"

#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36D76289u
#define MB1_INFO_CMDLINE (1u << 2)
#define MB1_INFO_MMAP (1u << 6)
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MMAP 6
#define MB2_TAG_EFI32 11
#define MB2_TAG_EFI64 12
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB_MEMORY_AVAILABLE 1
#define CMDLINE_MAX 1024

void boot_multiboot(uint32_t magic, uint32_t info);

static char cmdline[CMDLINE_MAX];
static struct lowmem lowmem;

static void keep_cmdline(const char *s)
{
    int n = 0;
    while (s[n] && n < CMDLINE_MAX - 1) { cmdline[n] = s[n]; n++; }
    cmdline[n] = '\0';
}

static void keep_startup_page(const char *source)
{
    uint32_t page = lowmem_pick(&lowmem);
    smp_set_startup_page(page, page ? source : "no free page below 0xA0000 in the boot memory map");
}

/* Multiboot1 loaders (QEMU -kernel, GRUB) put the image path first, even a
 * relative one like "build/hvconform.elf": drop that token. */
static void mb1(const uint32_t *mbi)
{
    if (mbi[0] & MB1_INFO_CMDLINE) {
        const char *s = (const char *)(uintptr_t)mbi[4];
        while (*s == ' ') s++;
        while (*s && *s != ' ') s++;
        while (*s == ' ') s++;
        keep_cmdline(s);
    }
    lowmem_init(&lowmem);
    acpi_allow_bios_scan();                 /* multiboot1: a BIOS boot */
    if (mbi[0] & MB1_INFO_MMAP) {
        const uint8_t *p = (const uint8_t *)(uintptr_t)mbi[12], *end = p + mbi[11];
        while (p + 24 <= end) {         /* u32 size, u64 base, u64 len, u32 type */
            const uint32_t *e = (const uint32_t *)p;
            uint64_t base = e[1] | (uint64_t)e[2] << 32, len = e[3] | (uint64_t)e[4] << 32;
            lowmem_add(&lowmem, base, len, e[5] == MB_MEMORY_AVAILABLE);
            p += e[0] + 4;
        }
        keep_startup_page("multiboot1 memory map");
    } else {
        smp_set_startup_page(0, "multiboot1 loader gave no memory map");
    }
}

static void mb2(const uint8_t *mbi)
{
    uint32_t total = *(const uint32_t *)mbi;
    int have_mmap = 0, efi = 0;
    lowmem_init(&lowmem);
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint32_t *tag = (const uint32_t *)(mbi + off);
        const uint8_t *body = (const uint8_t *)(tag + 2);
        if (tag[0] == MB2_TAG_END) break;
        if (tag[0] == MB2_TAG_CMDLINE) { keep_cmdline((const char *)body); grub_cmdline_unquote(cmdline); }
        if (tag[0] == MB2_TAG_EFI32 || tag[0] == MB2_TAG_EFI64) efi = 1;
        if (tag[0] == MB2_TAG_ACPI_OLD || tag[0] == MB2_TAG_ACPI_NEW)
            acpi_keep_rsdp(body, tag[1] - 8, tag[0] == MB2_TAG_ACPI_NEW ? "multiboot2 ACPI new tag" : "multiboot2 ACPI old tag");
        if (tag[0] == MB2_TAG_MMAP) {
            uint32_t esize = tag[2];    /* entry_size, entry_version, entries */
            have_mmap = esize >= 24;
            for (uint32_t e = 16; have_mmap && e + esize <= tag[1]; e += esize) {
                const uint8_t *ent = (const uint8_t *)tag + e;
                const uint32_t *w = (const uint32_t *)ent;
                lowmem_add(&lowmem, w[0] | (uint64_t)w[1] << 32, w[2] | (uint64_t)w[3] << 32, w[4] == MB_MEMORY_AVAILABLE);
            }
        }
        off += (tag[1] + 7) & ~7u;
    }
    if (!efi) acpi_allow_bios_scan();      /* only where a BIOS is */
    if (have_mmap) keep_startup_page("multiboot2 memory map");
    else smp_set_startup_page(0, "multiboot2 loader gave no memory map tag");
}

void boot_multiboot(uint32_t magic, uint32_t info)
{
    if (magic == MB1_BOOT_MAGIC) {
        mb1((const uint32_t *)(uintptr_t)info);
        kernel_start("multiboot1", cmdline);
    }
    if (magic == MB2_BOOT_MAGIC) {
        mb2((const uint8_t *)(uintptr_t)info);
        kernel_start("multiboot2", cmdline);
    }
    serial_init();
    kernel_bail("unknown boot loader magic %#x: boot with multiboot1 or multiboot2", magic);
}
