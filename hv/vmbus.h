/* A minimal VMBus contact: the one message connection a guest finds on real
 * Hyper-V as well as QEMU's vmbus-bridge. INITIATE_CONTACT goes out with
 * HvCallPostMessage on connection 1 and the host answers VERSION_RESPONSE
 * on SINT 2 (Linux drivers/hv/connection.c, QEMU hw/hyperv/vmbus.c). */
#ifndef HV_VMBUS_H
#define HV_VMBUS_H
#include <stdint.h>

#define VMBUS_MESSAGE_CONNECTION_ID 1   /* protocol versions below 5.0 */
#define VMBUS_MESSAGE_SINT 2
#define VMBUS_HV_MESSAGE_TYPE 1         /* HV message type of every VMBus message */
#define VMBUS_VERSION_WIN10 0x00040000u
#define VMBUS_MSG_REQUESTOFFERS 3
#define VMBUS_MSG_INITIATE_CONTACT 14
#define VMBUS_MSG_VERSION_RESPONSE 15
#define VMBUS_MSG_UNLOAD 16
#define VMBUS_MSG_UNLOAD_RESPONSE 17

struct vmbus_initiate_contact {
    uint32_t msgtype, padding;
    uint32_t version_requested;
    uint32_t target_vcpu;
    uint64_t interrupt_page;
    uint64_t monitor_page1, monitor_page2;
} __attribute__((packed));

struct vmbus_version_response {
    uint32_t msgtype, padding;
    uint8_t version_supported;
    uint8_t connection_state;
    uint16_t padding2;
    uint32_t msg_conn_id;
} __attribute__((packed));

struct hv_post_message_input;

/* HvCallPostMessage of a VMBus message (len bytes) to connection 1, with
 * transient statuses retried (bounded, each retry reported to the log). */
uint16_t vmbus_post(const void *msg, uint32_t len);
/* The same for an input built by the caller (anywhere in the input pages). */
uint16_t vmbus_post_input(const struct hv_post_message_input *in);
/* Where retries and UNLOADs are reported (TAP comments); NULL = silent. */
void vmbus_set_log(void (*line)(const char *text));
/* INITIATE_CONTACT was accepted and no UNLOAD has followed. */
int vmbus_contact_open(void);
/* Post UNLOAD; 1 when UNLOAD_RESPONSE arrived in SINT 2's slot in time
 * (needs the boot VP's SIM page on). *status: the post's status. */
int vmbus_unload(uint64_t timeout_us, uint16_t *status);
/* Every contact ends with UNLOAD: one still open (a test failed or timed
 * out before its own UNLOAD) is unloaded between tests and at the end of
 * the run. Reports to the log. */
void vmbus_hygiene(int end_of_run);
/* Is a VMBus host behind connection 1? Posts REQUESTOFFERS once (a host
 * ignores it before INITIATE_CONTACT) and returns that status from then on. */
uint16_t vmbus_probe(void);

#endif
