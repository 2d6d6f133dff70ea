/* Where the kernel's output goes: COM1 (always set up, the default and the
 * fallback) or, when asked on the command line, a virtio console. */
#ifndef KERNEL_CONSOLE_H
#define KERNEL_CONSOLE_H
#include <stddef.h>

void console_write(const char *s);
/* Switch to the virtio console. NULL on success (`where` describes it),
 * else why not; output stays on COM1 either way until it succeeds. */
const char *console_use_virtio(char *where, size_t wherelen);

/* Has the host's event loop run what the guest set going before the last
 * console_sync_mark()? QEMU finishes some of a guest's requests later, in
 * its main loop (hw/hyperv/hyperv.c: the bottom half sint_msg_bh that
 * completes a posted message, sint_ack_handler for KVM's EOM
 * acknowledgement). console_sync_host() proves it when the host's console
 * device took two writes since the mark: the virtio console's queue is
 * served from QEMU's main loop under KVM (virtio_queue_host_notifier_read,
 * the ioeventfd handler, then virtio-serial's handle_output), each write
 * waits for its used entry, and the second is served in a later main-loop
 * iteration than the first, whose aio_dispatch ran the bottom halves
 * (aio_bh_poll) scheduled by then. COM1's bytes are taken on the vCPU's own
 * exit and show nothing of the main loop: then, and with fewer than two
 * writes, it waits CONSOLE_SYNC_WAIT_US instead. Every mode takes the same
 * path; which one it took is returned. (Under TCG QEMU serves the queue in
 * the vCPU thread, so two writes prove nothing there; but the work this
 * waits for exists only under KVM: QEMU's Hyper-V message path and its
 * test device need KVM's SynIC: hyperv_sint_route_new's
 * kvm_irqchip_add_hv_sint_route.) */
enum console_sync { CONSOLE_SYNC_PROVEN, CONSOLE_SYNC_TIMED };
#define CONSOLE_SYNC_WAIT_US 10000
void console_sync_mark(void);
enum console_sync console_sync_host(void);
/* The same proof made now, for `steps` main-loop iterations from here
 * (steps of a chain of work the host runs one after another): with the
 * virtio console it writes the two writes per step itself, as one TAP
 * comment line "# host event loop: WHY" (a comment, so TAP readers skip
 * it); without, it waits CONSOLE_SYNC_WAIT_US per step. */
enum console_sync console_sync_now(int steps, const char *why);

#endif
