/* Posting VMBus messages: HV message type 1 on connection 1, built in the
 * harness's input page. Transient statuses are retried with a bounded
 * back-off, as Linux's vmbus_post_msg() (drivers/hv/connection.c) does:
 * HV_STATUS_INSUFFICIENT_MEMORY (0x000B, not in the TLFS table) and
 * HV_STATUS_INSUFFICIENT_BUFFERS always; HV_STATUS_INVALID_CONNECTION_ID
 * only once the connection has accepted a post (Linux: "we could get this
 * if we send messages too frequently") and never for INITIATE_CONTACT. */
#include "vmbus.h"
#include "hypercall.h"
#include "synic.h"
#include "tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

#define RETRIES 12
#define FIRST_WAIT_US 100
#define MAX_WAIT_US 100000

static void (*log_line)(const char *text);
static int host_seen;       /* connection 1 has accepted a post */
static int contact_open;    /* INITIATE_CONTACT accepted, no UNLOAD since */

void vmbus_set_log(void (*line)(const char *text)) { log_line = line; }
int vmbus_contact_open(void) { return contact_open; }

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[240];
    va_list ap;
    if (!log_line) return;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_line(buf);
}

static int transient(uint16_t st, uint32_t msgtype)
{
    if (st == HV_STATUS_INSUFFICIENT_MEMORY || st == HV_STATUS_INSUFFICIENT_BUFFERS) return 1;
    return st == HV_STATUS_INVALID_CONNECTION_ID && host_seen && msgtype != VMBUS_MSG_INITIATE_CONTACT;
}

uint16_t vmbus_post_input(const struct hv_post_message_input *in)
{
    uint32_t msgtype = in->payload_size >= 4 ? *(const uint32_t *)in->payload : 0;
    uint64_t wait = FIRST_WAIT_US;
    uint16_t st = 0;
    for (int attempt = 0;; attempt++) {
        st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0));
        if (st == HV_STATUS_SUCCESS) host_seen = 1;
        if (!transient(st, msgtype)) break;
        if (attempt == RETRIES) {
            say("vmbus: VMBus message %u still 0x%04x %s after %d retries: giving up", msgtype, st,
                hv_status_name(st), RETRIES);
            break;
        }
        say("vmbus: VMBus message %u got 0x%04x %s (transient, as Linux connection.c treats it): retry %d in %llu us",
            msgtype, st, hv_status_name(st), attempt + 1, (unsigned long long)wait);
        delay_us(wait);
        if (wait < MAX_WAIT_US) wait *= 2;
    }
    if (st == HV_STATUS_SUCCESS && msgtype == VMBUS_MSG_INITIATE_CONTACT) contact_open = 1;
    if (st == HV_STATUS_SUCCESS && msgtype == VMBUS_MSG_UNLOAD) contact_open = 0;
    return st;
}

uint16_t vmbus_post(const void *msg, uint32_t len)
{
    struct hv_post_message_input *in = (void *)hv_input_pages;
    memset(in, 0, sizeof *in);
    in->connection_id = VMBUS_MESSAGE_CONNECTION_ID;
    in->message_type = VMBUS_HV_MESSAGE_TYPE;
    in->payload_size = len;
    memcpy(in->payload, msg, len < HV_MESSAGE_PAYLOAD_MAX ? len : HV_MESSAGE_PAYLOAD_MAX);
    return vmbus_post_input(in);
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

/* SINT 2's slot on the boot VP: skip everything but UNLOAD_RESPONSE (a late
 * VERSION_RESPONSE, offers) until it comes or the time is up. */
static int wait_unload_response(uint64_t timeout_us)
{
    deadline_t d = deadline_after_us(timeout_us);
    volatile struct hv_message *m = &hv_simp_page.slot[VMBUS_MESSAGE_SINT];
    while (!deadline_passed(d)) {
        if (m->header.message_type == HV_MESSAGE_TYPE_NONE) { pause(); continue; }
        uint32_t type = *(const volatile uint32_t *)m->payload;
        synic_clear_slot(VMBUS_MESSAGE_SINT);
        if (type == VMBUS_MSG_UNLOAD_RESPONSE) return 1;
    }
    return 0;
}

int vmbus_unload(uint64_t timeout_us, uint16_t *status)
{
    uint32_t unload[2] = { VMBUS_MSG_UNLOAD, 0 };
    *status = vmbus_post(unload, sizeof unload);
    if (*status != HV_STATUS_SUCCESS) return 0;
    return wait_unload_response(timeout_us);
}

/* Only an open contact is unloaded: QEMU's vmbus-bridge (10.x) segfaults on
 * an UNLOAD that follows a completed one, and a host that saw only
 * REQUESTOFFERS before INITIATE_CONTACT has nothing to unload. */
void vmbus_hygiene(int end_of_run)
{
    if (!contact_open) return;
    uint16_t st;
    int answered = vmbus_unload(1000000, &st);
    contact_open = 0;
    say("vmbus: UNLOAD %s (a contact was still open): 0x%04x %s, %s",
        end_of_run ? "at the end of the run" : "before the next test", st, hv_status_name(st),
        answered ? "UNLOAD_RESPONSE received" : "no UNLOAD_RESPONSE within 1 s");
}
