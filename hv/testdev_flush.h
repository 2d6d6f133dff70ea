/* Making sure QEMU's hyperv-testdev holds no message of a connection before
 * the harness destroys it: the device frees the connection while a held
 * message still refers to it, and the next EOM then crashes QEMU
 * (profiles/debian12/qemu-kvm.txt has the source chain). */
#ifndef HV_TESTDEV_FLUSH_H
#define HV_TESTDEV_FLUSH_H
#include <stdint.h>

enum flush_result {
    FLUSH_DONE,         /* a marker posted to it arrived with nothing behind it */
    FLUSH_UNPROVEN,     /* that could not be shown within a second */
    FLUSH_NOT_POSTED,   /* nothing was posted (not VP 0, or VP 0's SIM page is not the harness's) */
};

/* For a message connection to `sint` of VP 0: does the device hold nothing
 * of it? Uses the input pages and the SINT's slot. A posted marker
 * (FLUSH_DONE or FLUSH_UNPROVEN) still completes in QEMU's main loop after
 * it arrived (hw/hyperv/hyperv.c sint_msg_bh frees the device's staging
 * area): a connection destroyed before that has its SINT route removed
 * there, during the next test, racing that test's EOI acknowledgement. So
 * each post is a console_sync_mark(), and console_sync_host() comes before
 * the connection goes: one after any number of flushes. */
enum flush_result testdev_flush(uint32_t conn_id, int sint);

#endif
