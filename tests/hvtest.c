#include "hvtest.h"
#include "pattern.h"
#include "rules.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../hv/vmbus.h"
#include "../kernel/apic.h"
#include "../kernel/cpu.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"

/* Set while a test posts to VMBus's connection (see need_valid_conn). */
static uint32_t vmbus_conn_in_use;

int need_hyperv(struct test_ctx *t)
{
    const char *why = hv_absent_reason();
    if (why) skip(t, "%s", why);
    return !why;
}

int need_hypercall(struct test_ctx *t)
{
    if (!need_hyperv(t)) return 0;
    if (!hv_has_hypercall_msrs()) { skip(t, "partition lacks AccessHypercallMsrs (CPUID 0x40000003 EAX bit 5)"); return 0; }
    return 1;
}

int need_synic(struct test_ctx *t)
{
    if (!need_hypercall(t)) return 0;
    if (!hv_has_synic()) { skip(t, "no SynIC: CPUID 0x40000003 EAX bit 2 (AccessSynicRegs) clear (QEMU: add hv-synic)"); return 0; }
    return 1;
}

int need_post_privilege(struct test_ctx *t)
{
    if (!need_hypercall(t)) return 0;
    if (!hv_can_post_messages()) {
        skip(t, "partition lacks the PostMessages privilege (CPUID 0x40000003 EBX bit 4); this runs where it is held");
        return 0;
    }
    return 1;
}

int need_msg_conn(struct test_ctx *t, int sint, uint32_t *id)
{
    vmbus_conn_in_use = 0;
    if (!need_synic(t) || !need_post_privilege(t)) return 0;
    const char *why = helper_absent_reason();
    if (why) { skip(t, "%s", why); return 0; }
    if (helper_msg_conn_create(0, sint, id)) { skip(t, "host helper %s could not create a message connection", helper_name()); return 0; }
    synic_sint_set(sint, SINT_VECTOR(sint), 0, 0);
    return 1;
}


int need_valid_conn(struct test_ctx *t, uint32_t *id, int *echo)
{
    vmbus_conn_in_use = 0;
    if (!need_synic(t) || !need_post_privilege(t)) return 0;
    if (!helper_absent_reason()) {
        *echo = 1;
        return need_msg_conn(t, TEST_SINT, id);
    }
    *echo = 0;
    return need_vmbus_conn(t, id, helper_absent_reason());
}

int need_vmbus_conn(struct test_ctx *t, uint32_t *id, const char *why)
{
    vmbus_conn_in_use = 0;
    if (!need_synic(t) || !need_post_privilege(t)) return 0;
    uint16_t st = vmbus_probe();
    if (st != HV_STATUS_SUCCESS) {
        skip(t, "%s, and VMBus's message connection 1 refused a post (0x%04x %s)", why, st, hv_status_name(st));
        return 0;
    }
    *id = vmbus_conn_in_use = VMBUS_MESSAGE_CONNECTION_ID;
    status_only(t, "posted to VMBus connection 1, which echoes nothing (%s): delivery is not checked", why);
    return 1;
}

struct hv_post_message_input *post_input(size_t offset, uint32_t conn, uint32_t type, uint32_t size)
{
    struct hv_post_message_input *in = (void *)(hv_input_pages + offset);
    memset(in, 0, sizeof *in);
    in->connection_id = conn;
    in->message_type = type;
    in->payload_size = size;
    for (uint32_t i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++) in->payload[i] = post_pattern(i);
    if (vmbus_conn_in_use && (conn & HV_CONNECTION_ID_MASK) == vmbus_conn_in_use) {
        memset(in->payload, 0, 8);      /* a VMBus message the host ignores */
        in->payload[0] = VMBUS_MSG_REQUESTOFFERS;
        if (type == TEST_TYPE) in->message_type = VMBUS_HV_MESSAGE_TYPE;   /* tests of other types keep theirs */
    }
    return in;
}

uint16_t post_at(size_t offset)
{
    const struct hv_post_message_input *in = (const void *)(hv_input_pages + offset);
    /* a well-formed post to VMBus's connection goes the VMBus way: its
     * transient statuses are retried (and reported), as a real guest does */
    if (vmbus_conn_in_use && offset % 8 == 0 && offset + sizeof *in <= sizeof hv_input_pages &&
        in->connection_id == vmbus_conn_in_use && in->message_type == VMBUS_HV_MESSAGE_TYPE &&
        in->payload_size <= HV_MESSAGE_PAYLOAD_MAX)
        return vmbus_post_input(in);
    return HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0));
}

uint16_t post_ctl(uint64_t extra, uint64_t in, uint64_t out)
{
    return HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE | extra, in, out));
}

int expect_status(struct test_ctx *t, uint16_t got, uint16_t want, const char *what)
{
    observe(t, "got=0x%04x", got);
    return check(t, got == want, "%s: got 0x%04x %s, want 0x%04x %s", what, got, hv_status_name(got), want, hv_status_name(want));
}

void status_set_text(char *buf, size_t size, uint64_t ok)
{
    size_t len = 0;
    buf[0] = '\0';
    if (ok == RULE_ANY_ERROR) { fmt_snprintf(buf, size, "any status but 0x0000 HV_STATUS_SUCCESS"); return; }
    for (uint16_t s = 0; s < 64 && len < size; s++)
        if (ok & RULE_OK(s))
            len += (size_t)fmt_snprintf(buf + len, size - len, "%s0x%04x %s", len ? " or " : "", s, hv_status_name(s));
}

int expect_status_in(struct test_ctx *t, uint16_t got, uint64_t ok, const char *what)
{
    char list[200];
    if (got < 64 && (ok & RULE_OK(got))) return check(t, 1, "%s", what);
    status_set_text(list, sizeof list, ok);
    observe(t, "got=0x%04x", got);
    return check(t, 0, "%s: got 0x%04x %s, want %s", what, got, hv_status_name(got), list);
}

int expect_no_message(struct test_ctx *t, int sint, uint64_t us, const char *what)
{
    /* a message the hypervisor queued anyway (for a SynIC or SIM page that
     * was off, behind a slot once full) must not wait for an EOM or EOI
     * the test would never write */
    synic_eom();
    apic_eoi();
    int arrived = synic_wait_message(sint, us);
    volatile struct hv_message *m = &hv_simp_page.slot[sint];
    observe(t, "delivery=unexpected_message");
    int ok = check(t, !arrived, "%s: a message arrived anyway (type %#x size %u)", what,
                   m->header.message_type, m->header.payload_size);
    if (arrived) synic_clear_slot(sint);    /* leave the slot as a later post expects it */
    return ok;
}

const char *witness_said(enum witness w)
{
    return w == WITNESS_TAKEN ? "; the witness taken" : w == WITNESS_POSTED ? "; the witness posted, not taken" : "";
}

unsigned gpa_bits(void)
{
    return cpuid(0x80000000u, 0).a >= 0x80000008u ? (cpuid(0x80000008u, 0).a & 0xFF) : 36;
}

void post_canary(struct hv_post_message_input *in)
{
    for (uint32_t i = in->payload_size; i < HV_MESSAGE_PAYLOAD_MAX; i++) in->payload[i] = POST_CANARY;
}

int expect_delivered(struct test_ctx *t, int sint, const struct hv_post_message_input *in, const char *what)
{
    observe(t, "delivery=none");
    if (!check(t, synic_wait_message(sint, DELIVERY_TIMEOUT_US), "%s: no message in SINT%d's slot within %d ms",
               what, sint, DELIVERY_TIMEOUT_MS)) return 0;
    volatile struct hv_message *m = &hv_simp_page.slot[sint];
    uint32_t n = in->payload_size;
    observe(t, "delivery=type");
    int ok = check(t, m->header.message_type == in->message_type, "%s: delivered type %#x, want %#x", what, m->header.message_type, in->message_type);
    observe(t, "delivery=size");
    ok &= check(t, m->header.payload_size == n, "%s: delivered size %u, want %u", what, m->header.payload_size, n);
    observe(t, "delivery=header");
    ok &= check(t, (m->header.message_flags & ~HV_MESSAGE_FLAG_PENDING) == 0 && m->header.reserved[0] == 0 && m->header.reserved[1] == 0,
                "%s: header flags %#x reserved %#x %#x, want reserved bits zero", what,
                m->header.message_flags, m->header.reserved[0], m->header.reserved[1]);
    uint32_t bad = HV_MESSAGE_PAYLOAD_MAX;
    for (uint32_t i = 0; i < n && i < HV_MESSAGE_PAYLOAD_MAX; i++)
        if (m->payload[i] != in->payload[i]) { bad = i; break; }
    observe(t, "delivery=payload");
    ok &= check(t, bad == HV_MESSAGE_PAYLOAD_MAX, "%s: payload byte %u is %#x, want %#x", what, bad,
                bad < HV_MESSAGE_PAYLOAD_MAX ? m->payload[bad] : 0, bad < HV_MESSAGE_PAYLOAD_MAX ? in->payload[bad] : 0);
    uint32_t leak = HV_MESSAGE_PAYLOAD_MAX;
    for (uint32_t i = n; i < HV_MESSAGE_PAYLOAD_MAX; i++)
        if (in->payload[i] == POST_CANARY && m->payload[i] == POST_CANARY) { leak = i; break; }
    observe(t, "delivery=beyond_size");
    ok &= check(t, leak == HV_MESSAGE_PAYLOAD_MAX, "%s: input byte %u beyond PayloadSize %u reached the receiver (canary %#x)",
                what, leak, n, POST_CANARY);
    synic_clear_slot(sint);
    return ok;
}
