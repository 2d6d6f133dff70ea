/* The kernel's own GDT and TSS, installed by both boot paths (multiboot and
 * UEFI) so segment selectors are the same everywhere. */
#ifndef KERNEL_GDT_H
#define KERNEL_GDT_H

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA (0x18 | 3)
#define SEL_UCODE (0x20 | 3)
#define SEL_TSS   0x28

#define IST_DOUBLE_FAULT 1

void gdt_init(void);
void gdt_load_ap(void);

#endif
