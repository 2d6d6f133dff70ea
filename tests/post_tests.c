/* post.*: HvCallPostMessage's input and return-value tables
 * (docs/spec/HvCallPostMessage.md). The rows that break one field of a
 * valid post are the rule table's (tests/rules_post.c, run by rule_test);
 * here are the rows that need steps of their own: a full port, a port of
 * another kind or state, a missing VP, a partition without the privilege. */
#include "hvtest.h"
#include "rules.h"
#include "../harness/runner.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/smp.h"
#include "../kernel/time.h"

TEST_RULES(post);

/* --- the port's message buffers (INSUFFICIENT_BUFFERS) --------------------- */

#define FLOOD_LIMIT 64          /* 6.0b 11.3: 16 buffers per port, so 17 posts fill a port behind its slot */
#define PORT_BUFFERS 16
#define REFUSAL_US 50000        /* a refusal must last this long to count (a buffer may be freed late) */

struct flood {
    int accepted;               /* posts accepted, the first one landing in the empty slot */
    uint16_t refusal;           /* the status that ended the flood */
    int lost, dup, reordered, pending_missing, extra;
};

/* Post numbered messages while the slot stays full until one is refused
 * for REFUSAL_US, then drain as the TLFS recommends (6.0b 11.4, 11.10):
 * empty the slot, then test MessagePending and EOM if set. The flag "may be
 * set ... at any time afterwards", so a clear flag is waited for (bounded)
 * while messages are still queued. */
static void flood(uint32_t conn, struct flood *r)
{
    *r = (struct flood){ 0 };
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    deadline_t refused = { 0 };
    int refusing = 0;
    while (r->accepted < FLOOD_LIMIT) {
        struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 4);
        in->payload[0] = (uint8_t)r->accepted;
        r->refusal = post_at(0);
        if (r->refusal == HV_STATUS_SUCCESS) {
            if (r->accepted++ == 0) synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US);
            refusing = 0;
            continue;
        }
        if (r->refusal != HV_STATUS_INSUFFICIENT_BUFFERS) break;
        if (!refusing++) refused = deadline_after_us(REFUSAL_US);
        if (deadline_passed(refused)) break;
        delay_us(50);
    }
    int seen[FLOOD_LIMIT] = { 0 }, next = 0;
    for (int i = 0; i < r->accepted; i++) {
        if (!synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US)) { r->lost = r->accepted - i; break; }
        int seq = m->payload[0] % FLOOD_LIMIT;
        if (seen[seq]++) r->dup++;
        if (seq != next) r->reordered++;
        next = seq + 1;
        m->header.message_type = HV_MESSAGE_TYPE_NONE;
        barrier();
        deadline_t d = deadline_after_us(DELIVERY_TIMEOUT_US);
        while (i + 1 < r->accepted && !(m->header.message_flags & HV_MESSAGE_FLAG_PENDING) &&
               m->header.message_type == HV_MESSAGE_TYPE_NONE && !deadline_passed(d))
            pause();
        if (i + 1 < r->accepted && !(m->header.message_flags & HV_MESSAGE_FLAG_PENDING) &&
            m->header.message_type == HV_MESSAGE_TYPE_NONE)
            r->pending_missing++;
        synic_eom();
    }
    r->extra = synic_wait_message(TEST_SINT, 50000);
    if (r->extra) synic_clear_slot(TEST_SINT);
}

/* A connection, flooded and drained; 0 when the test SKIPped. */
static int flooded(struct test_ctx *t, struct flood *r)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return 0;
    flood(conn, r);
    note(t, "%d posts accepted before 0x%04x %s", r->accepted, r->refusal, hv_status_name(r->refusal));
    return 1;
}

TEST_ROW(post, insufficient_buffers)
{
    struct flood r;
    if (!flooded(t, &r)) return;
    if (!expect_status(t, r.refusal, HV_STATUS_INSUFFICIENT_BUFFERS, "post while the slot and the port's buffers are full")) return;
    observe(t, "queue=short");
    check(t, r.accepted >= PORT_BUFFERS, "refused after %d accepted posts, while the port's %d buffers can't all be in use",
          r.accepted, PORT_BUFFERS);
    observe(t, "delivery=extra_message");
    check(t, !r.extra, "a message arrived after every accepted one was drained: the refused post was delivered, or one twice");
    observe(t, "delivery=lost");
    check(t, !r.lost, "%d accepted messages not delivered (none for %d ms)", r.lost, DELIVERY_TIMEOUT_MS);
    observe(t, "delivery=%s", r.dup ? "duplicate" : "out_of_order");
    check(t, !r.dup && !r.reordered, "drained out of posting order: %d duplicated, %d out of order", r.dup, r.reordered);
    observe(t, "delivery=pending_clear");
    check(t, !r.pending_missing, "MessagePending stayed clear for %d ms after emptying the slot, %d times, while messages "
          "were queued", DELIVERY_TIMEOUT_MS, r.pending_missing);
}

/* The count alone: the reading of "sixteen buffers" (the delivery rules of
 * the same flood are post.insufficient_buffers', normative). */
TEST_ROW(post, buffer_count)
{
    struct flood r;
    if (!flooded(t, &r)) return;
    observe(t, "queue=%s", r.accepted < PORT_BUFFERS ? "short" : "long");
    check(t, r.accepted == PORT_BUFFERS || r.accepted == PORT_BUFFERS + 1,
          "%d posts accepted behind a full slot before a refusal (0x%04x %s), want %d queued (+1 in the slot)",
          r.accepted, r.refusal, hv_status_name(r.refusal), PORT_BUFFERS);
}

/* --- INVALID_CONNECTION_ID beside a live id ---------------------------- */

/* The id is bits 23:0: a live connection's id with bits 23:8 changed is
 * another one, which nobody created. A host that compares fewer bits takes
 * it for the live one (and delivers it, which the quiesce after the test
 * sees too). */
TEST_ROW(post, conn_near)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    post_input(0, conn ^ 0xABCD00u, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_CONNECTION_ID, "post to a live connection's id xor 0xabcd00");
}

/* --- INVALID_PORT_ID ----------------------------------------------------- */

TEST_ROW(post, port_not_message)
{
    uint32_t evt;
    if (!need_synic(t) || !need_post_privilege(t)) return;
    if (helper_absent_reason()) { skip(t, "%s", helper_absent_reason()); return; }
    if (helper_evt_conn_create(0, TEST_SINT + 1, &evt)) { skip(t, "host helper %s could not create an event connection", helper_name()); return; }
    post_input(0, evt, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_PORT_ID, "post to an event connection");
}

TEST_ROW(post, port_deleted)
{
    if (!need_synic(t)) return;
    skip(t, "needs a connection that outlives its port: on Hyper-V the port's owner deletes it (HvCallDeletePort, a "
            "root-partition call); QEMU's hyperv-testdev removes a connection's handler and SINT route together "
            "(hw/hyperv/hyperv_testdev.c msg_conn_destroy), so its id is then unknown (INVALID_CONNECTION_ID)");
}

TEST_ROW(post, port_partition_inactive)
{
    if (!need_synic(t)) return;
    skip(t, "needs a port owned by a second partition that is not active: a guest can neither create one nor stop its "
            "owner (Hyper-V: HvCreatePort/HvDeletePartition are root calls; QEMU/KVM has a single partition)");
}

/* --- INVALID_VP_INDEX ---------------------------------------------------- */

/* The host helper makes a connection to a VP index the partition doesn't
 * have (the VP count). A helper that dies doing it, before any
 * HvCallPostMessage, is the profile's `avoid conn_missing_vp` (the runner's
 * avoid=): the test SKIPs, naming the helper, instead of blaming the call. */
TEST_ROW(post, vp_index_missing)
{
    uint32_t conn;
    if (!need_synic(t) || !need_post_privilege(t)) return;
    if (helper_absent_reason()) { skip(t, "%s; needs a helper that can target a missing VP", helper_absent_reason()); return; }
    if (runner_options()->avoid & AVOID_CONN_MISSING_VP) {
        skip(t, "the host helper %s can't make a connection to a VP the partition lacks without dying, before any "
                "HvCallPostMessage (avoid=conn_missing_vp, from the profile); no other way to target a missing VP",
             helper_name());
        return;
    }
    int vp = smp_cpus();
    if (helper_msg_conn_create_any(vp, TEST_SINT, &conn)) { skip(t, "host helper %s can't target VP %d", helper_name(), vp); return; }
    post_input(0, conn, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_VP_INDEX, "post to a connection whose target VP doesn't exist");
}

/* --- ACCESS_DENIED ------------------------------------------------------- */

/* The privilege is a property of the partition, so the call fails whatever
 * the input: a well-formed post to connection 1 (VMBus on current Hyper-V). */
TEST_ROW(post, access_denied)
{
    if (!need_hypercall(t)) return;
    if (hv_can_post_messages()) {
        skip(t, "partition holds the PostMessages privilege (CPUID 0x40000003 EBX bit 4); runs in a partition without it (run-qemu.sh --config enforce)");
        return;
    }
    post_input(0, 1, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_ACCESS_DENIED, "post without PostMessages");
}

/* The privilege first: every malformed input of the rule table that a
 * plain post can carry (the control word, the input GPA, the input's
 * fields; the rows whose statuses exclude SUCCESS), posted by a partition
 * without PostMessages, is refused with ACCESS_DENIED. */
TEST_ROW(post, access_denied_first)
{
    if (!need_hypercall(t)) return;
    if (hv_can_post_messages()) {
        skip(t, "partition holds the PostMessages privilege (CPUID 0x40000003 EBX bit 4); runs in a partition without it (run-qemu.sh --config enforce)");
        return;
    }
    int n = 0;
    for (int i = 0; i < rule_count(); i++) {
        const struct rule *r = rule_at(i);
        size_t off = 0;
        uint64_t control = 0;
        uint32_t conn = 1, type = TEST_TYPE, size = 8;
        if ((r->ok & RULE_OK(HV_STATUS_SUCCESS)) || r->fault) continue;
        switch (r->field) {
        case RF_CONTROL: control = r->value; break;
        case RF_INPUT_GPA: case RF_INPUT_SPAN: off = (size_t)r->value; break;
        case RF_GPA_OUTSIDE: break;
        case RF_SIZE: size = (uint32_t)r->value; break;
        case RF_TYPE: type = (uint32_t)r->value; break;
        case RF_CONN_ID: conn = (uint32_t)r->value; break;
        case RF_CONN_RSVD: conn |= (uint32_t)r->value; break;
        default: continue;
        }
        post_input(off, conn, type, size);
        uint64_t gpa = r->field == RF_GPA_OUTSIDE ? 1ull << gpa_bits() : (uint64_t)(uintptr_t)(hv_input_pages + off);
        uint16_t st = post_ctl(control, gpa, 0);
        n++;
        check(t, st == HV_STATUS_ACCESS_DENIED, "%s (as %s) without PostMessages: got 0x%04x %s, want 0x%04x %s", r->what,
              r->name, st, hv_status_name(st), HV_STATUS_ACCESS_DENIED, hv_status_name(HV_STATUS_ACCESS_DENIED));
    }
    note(t, "%d malformed inputs posted", n);
}
