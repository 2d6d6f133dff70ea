/* Where the kernel's output goes: COM1 (always set up, the default and the
 * fallback) or, when asked on the command line, a virtio console. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stddef.h>

void console_write(const char *s);
/* Switch to the virtio console. NULL on success (`where` describes it),
 * else why not; output stays on COM1 either way until it succeeds. */
const char *console_use_virtio(char *where, size_t wherelen);

#endif
