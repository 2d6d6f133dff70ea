/* GRUB 2 hands a multiboot2 kernel its arguments re-quoted (grub-core/lib/
 * cmdline.c grub_create_loader_cmdline): a backslash before every '\', '\''
 * and '"', and an argument holding a space wrapped in double quotes. Undo that
 * in place, so the kernel sees what grub.cfg said, byte for byte, as on the
 * other boot paths. Pure, host-tested. */
#ifndef KERNEL_GRUBLINE_H
#define KERNEL_GRUBLINE_H

void grub_cmdline_unquote(char *s);

#endif
