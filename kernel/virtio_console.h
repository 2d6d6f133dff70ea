/* Output through a virtio console (legacy virtio-pci interface, port 0,
 * no multiport): one VM exit per write instead of one per byte on COM1.
 * Each write waits until the device has taken the bytes, so a line is out
 * before whatever the kernel does next (a test that kills the VM). */
#ifndef KERNEL_VIRTIO_CONSOLE_H
#define KERNEL_VIRTIO_CONSOLE_H
#include <stddef.h>

/* NULL when the console is ready, else why not (the kernel stays on COM1).
 * `where` gets a description of the device found. */
const char *virtio_console_init(char *where, size_t wherelen);
/* 0 when the device took all len bytes; -1 when it stopped answering. */
int virtio_console_write(const char *buf, size_t len);

#endif
