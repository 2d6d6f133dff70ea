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

/* HvCallPostMessage of a VMBus message (len bytes) to connection 1. */
uint16_t vmbus_post(const void *msg, uint32_t len);
/* Is a VMBus host behind connection 1? Posts REQUESTOFFERS once (a host
 * ignores it before INITIATE_CONTACT) and returns that status from then on. */
uint16_t vmbus_probe(void);

#endif
