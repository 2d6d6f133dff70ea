#include "testdev_flush.h"
#include "hypercall.h"
#include "synic.h"
#include "tlfs.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"
#include "../kernel/percpu.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

#define FLUSH_LIMIT_US 1000000
#define ARRIVAL_US 200000
#define MARKER_TYPE 0x484Du         /* an ordinary guest message type, none of the tests' */
/* The device echoes each message from one buffer per connection, all 240
 * bytes of it, having copied in only PayloadSize bytes: a full-size marker
 * of zeros leaves that buffer as a new connection's (zeroed; 239 is the
 * most it takes, hw/hyperv/hyperv_testdev.c msg_handler asserts below 240),
 * so a connection the pool keeps (hv/testdev_pool.c) can't hand a later
 * test bytes from an earlier one's messages beyond their PayloadSize. */
#define MARKER_SIZE 239u

static uint16_t post_marker(uint32_t id)
{
    struct hv_post_message_input *in = (struct hv_post_message_input *)hv_input_pages;
    memset(in, 0, sizeof *in);
    in->connection_id = id;
    in->message_type = MARKER_TYPE;
    in->payload_size = MARKER_SIZE;
    uint16_t st = (uint16_t)hv_call(HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0);
    console_sync_mark();        /* its completion is the host's work from here */
    return st;
}

static int is_marker(int sint)
{
    volatile struct hv_message *m = &hv_simp_page.slot[sint];
    return m->header.message_type == MARKER_TYPE && m->header.payload_size == MARKER_SIZE;
}

/* Empty the slot; anything but a marker is a message no test took (a
 * stray). 1 when its message said MessagePending: EOM (in
 * synic_clear_slot) asks for the held one, which is waited for (KVM's
 * acknowledgement reaches hw/hyperv/hyperv.c sint_ack_handler, whose
 * sint_msg_bh completes the held one with -EAGAIN; the device's msg_cb then
 * retries it from a bottom half, msg_retry, which asserts that the staging
 * area is free). */
static int take(int sint)
{
    if (hv_simp_page.slot[sint].header.message_type == HV_MESSAGE_TYPE_NONE) return 0;
    if (!is_marker(sint)) synic_note_stray(sint);
    if (!synic_clear_slot(sint)) return 0;
    synic_wait_message(sint, ARRIVAL_US);
    return 1;
}

static enum flush_result flush(int sint, uint32_t id)
{
    deadline_t d = deadline_after_us(FLUSH_LIMIT_US);
    while (!deadline_passed(d)) {
        while (take(sint) && !deadline_passed(d)) {}
        uint16_t st = post_marker(id);
        if (st == HV_STATUS_INSUFFICIENT_BUFFERS) {
            /* a message is held (its flag went with a message consumed
             * without EOM): release it, and let its retry land first */
            synic_eom();
            synic_wait_message(sint, ARRIVAL_US);
            continue;
        }
        if (st != HV_STATUS_SUCCESS) return FLUSH_UNPROVEN;
        /* done when the marker itself comes with nothing behind it; what
         * the device still held comes first (a stray, taken) */
        while (synic_wait_message(sint, ARRIVAL_US) && !deadline_passed(d)) {
            int marker = is_marker(sint);
            if (!take(sint) && marker) return FLUSH_DONE;
            if (marker) break;
        }
    }
    return FLUSH_UNPROVEN;
}

enum flush_result testdev_flush(uint32_t id, int sint)
{
    uint64_t simp = rdmsr(HV_X64_MSR_SIMP);
    /* without the harness's SIM page the marker would be lost, or kill
     * QEMU (no SIM page: see the profile's avoid simp_off); the synic_*
     * calls act on the VP they run on, which must be VP 0 */
    if (cpu_index() != 0 || !(simp & HV_SIMP_ENABLE) ||
        (simp & ~0xFFFull) != (uint64_t)(uintptr_t)&hv_simp_pages[0]) return FLUSH_NOT_POSTED;
    /* the SINT masked meanwhile: the markers land in the slot without an
     * interrupt a later test would see */
    uint64_t cfg = rdmsr(HV_X64_MSR_SINT0 + (uint32_t)sint);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, cfg | HV_SINT_MASKED);
    enum flush_result r = flush(sint, id);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, cfg);
    return r;
}
