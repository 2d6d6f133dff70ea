/* Posting VMBus messages: HV message type 1 on connection 1, built in the
 * harness's input page. */
#include "vmbus.h"
#include "hypercall.h"
#include "tlfs.h"
#include "../kernel/string.h"

uint16_t vmbus_post(const void *msg, uint32_t len)
{
    struct hv_post_message_input *in = (void *)hv_input_pages;
    memset(in, 0, sizeof *in);
    in->connection_id = VMBUS_MESSAGE_CONNECTION_ID;
    in->message_type = VMBUS_HV_MESSAGE_TYPE;
    in->payload_size = len;
    memcpy(in->payload, msg, len < HV_MESSAGE_PAYLOAD_MAX ? len : HV_MESSAGE_PAYLOAD_MAX);
    return HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0));
}

uint16_t vmbus_probe(void)
{
    static int probed;
    static uint16_t status;
    if (!probed) {
        uint32_t request_offers[2] = { VMBUS_MSG_REQUESTOFFERS, 0 };
        status = vmbus_post(request_offers, sizeof request_offers);
        probed = 1;
    }
    return status;
}
