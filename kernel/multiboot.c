/* Multiboot entry (called from boot/multiboot.asm in long mode): find the
 * command line in the loader's information structure, either protocol. */
#include <stdint.h>
#include "start.h"
#include "exit.h"
#include "serial.h"

#define MB1_BOOT_MAGIC 0x2BADB002u
#define MB2_BOOT_MAGIC 0x36D76289u
#define MB1_INFO_CMDLINE (1u << 2)
#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1

void boot_multiboot(uint32_t magic, uint32_t info);

/* Multiboot1 loaders (QEMU -kernel, GRUB) put the image path first, even a
 * relative one like "build/hvconform.elf": drop that token. */
static const char *mb1_cmdline(const uint32_t *mbi)
{
    if (!(mbi[0] & MB1_INFO_CMDLINE)) return "";
    const char *s = (const char *)(uintptr_t)mbi[4];
    while (*s == ' ') s++;
    while (*s && *s != ' ') s++;
    while (*s == ' ') s++;
    return s;
}

static const char *mb2_cmdline(const uint8_t *mbi)
{
    uint32_t total = *(const uint32_t *)mbi;
    for (uint32_t off = 8; off + 8 <= total;) {
        const uint32_t *tag = (const uint32_t *)(mbi + off);
        if (tag[0] == MB2_TAG_END) break;
        if (tag[0] == MB2_TAG_CMDLINE) return (const char *)(tag + 2);
        off += (tag[1] + 7) & ~7u;
    }
    return "";
}

void boot_multiboot(uint32_t magic, uint32_t info)
{
    if (magic == MB1_BOOT_MAGIC)
        kernel_start("multiboot1", mb1_cmdline((const uint32_t *)(uintptr_t)info));
    if (magic == MB2_BOOT_MAGIC)
        kernel_start("multiboot2", mb2_cmdline((const uint8_t *)(uintptr_t)info));
    serial_init();
    kernel_bail("unknown boot loader magic %#x: boot with multiboot1 or multiboot2", magic);
}
