/* Where the kernel's output goes: COM1 (always set up, the default and the
 * fallback) or, when asked on the command line, a virtio console. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stddef.h>

void console_write(const char *s);
/* Switch to the virtio console. NULL on success (`where` describes it),
 * else why not; output stays on COM1 either way until it succeeds. */
const char *console_use_virtio(char *where, size_t wherelen);
/* How many writes the host's console device has taken and given back
 * (virtio: through its used ring, from QEMU's main loop), counting from 0;
 * COM1's never count (its bytes are taken on the vCPU's own exit). A count
 * that moved shows the host's event loop ran after a point. */
unsigned console_host_acks(void);

#endif
