/* deliver.*: what the receiver sees (the SynIC chapter; each test's row in
 * tests/rules_synic.c has its source). */
#include "hvtest.h"
#include "pattern.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/time.h"
#include "../kernel/apic.h"
#include "../hv/vmbus.h"
#include "../hv/hypercall.h"

/* An unmasked SINT interrupts, once, on its vector. */
TEST_ROW(deliver, interrupt)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post")) return;
    check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt on vector %#x within %d ms", SINT_VECTOR(TEST_SINT),
          DELIVERY_TIMEOUT_MS);
    synic_wait_irq(TEST_SINT, 1, 20000);    /* a second one would be a duplicate */
    check(t, sint_records[TEST_SINT].count == 1, "%u interrupts for one message, want 1", sint_records[TEST_SINT].count);
    expect_delivered(t, TEST_SINT, in, "unmasked SINT");
}

/* A masked SINT gets the message in its slot but no interrupt. */
TEST_ROW(deliver, masked_sint)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to a masked SINT")) return;
    expect_delivered(t, TEST_SINT, in, "masked SINT");
    check(t, !synic_wait_irq(TEST_SINT, 0, 50000), "masked SINT%d interrupted (vector %#x)", TEST_SINT, SINT_VECTOR(TEST_SINT));
}

/* AutoEOI: the hypervisor EOIs on delivery, so the handler finds the
 * vector's in-service bit clear. */
TEST_ROW(deliver, auto_eoi)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 1);
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to an AutoEOI SINT")) return;
    if (!check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt within %d ms", DELIVERY_TIMEOUT_MS)) return;
    check(t, !sint_records[TEST_SINT].in_service, "in-service bit of vector %#x still set inside the handler with AutoEOI", SINT_VECTOR(TEST_SINT));
    expect_delivered(t, TEST_SINT, in, "AutoEOI SINT");
}

/* Two connections to two SINTs: each message lands in its own slot and
 * interrupts on its own vector. */
TEST_ROW(deliver, independent_sints)
{
    uint32_t a, b;
    if (!need_msg_conn(t, TEST_SINT, &a) || !need_msg_conn(t, TEST_SINT + 1, &b)) return;
    struct hv_post_message_input *in = post_input(0, a, TEST_TYPE, 8);
    in->payload[0] = 0xAA;
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to SINT A")) return;
    if (!expect_delivered(t, TEST_SINT, in, "SINT A")) return;
    in = post_input(0, b, TEST_TYPE + 1, 8);
    in->payload[0] = 0xBB;
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to SINT B")) return;
    expect_delivered(t, TEST_SINT + 1, in, "SINT B");
    check(t, hv_simp_page.slot[TEST_SINT].header.message_type == HV_MESSAGE_TYPE_NONE, "SINT A's slot got SINT B's message too");
    synic_wait_irq(TEST_SINT + 1, 0, DELIVERY_TIMEOUT_US);
    check(t, sint_records[TEST_SINT].count == 1 && sint_records[TEST_SINT + 1].count == 1,
          "interrupts: SINT A %u, SINT B %u, want 1 each", sint_records[TEST_SINT].count, sint_records[TEST_SINT + 1].count);
}

/* Delivery through the VMBus contact: INITIATE_CONTACT posted to connection
 * 1 must be accepted and answered by VERSION_RESPONSE in SINT 2's slot.
 * This connection exists on real Hyper-V too. UNLOAD afterwards leaves the
 * host's VMBus as it was (Hyper-V's UEFI does the same at ExitBootServices). */

TEST_ROW(deliver, vmbus_contact)
{
    if (!need_synic(t) || !need_post_privilege(t)) return;
    synic_sint_set(VMBUS_MESSAGE_SINT, SINT_VECTOR(VMBUS_MESSAGE_SINT), 0, 0);
    struct vmbus_initiate_contact c = {
        .msgtype = VMBUS_MSG_INITIATE_CONTACT,
        .version_requested = VMBUS_VERSION_WIN10,
        .target_vcpu = 0,
        .interrupt_page = (uint64_t)(uintptr_t)hv_output_page,   /* unused from version 2.4 on */
    };
    uint16_t st = vmbus_post(&c, sizeof c);
    if (st == HV_STATUS_INVALID_CONNECTION_ID) {
        skip(t, "no VMBus host behind connection 1 (QEMU: -device vmbus-bridge; Hyper-V always has one)");
        return;
    }
    if (!expect_status(t, st, HV_STATUS_SUCCESS, "INITIATE_CONTACT to connection 1")) return;
    if (!check(t, synic_wait_message(VMBUS_MESSAGE_SINT, DELIVERY_TIMEOUT_US),
               "no VERSION_RESPONSE in SINT2's slot within %d ms", DELIVERY_TIMEOUT_MS)) return;
    volatile struct hv_message *m = &hv_simp_page.slot[VMBUS_MESSAGE_SINT];
    const volatile struct vmbus_version_response *r = (const volatile void *)m->payload;
    check(t, m->header.message_type == VMBUS_HV_MESSAGE_TYPE, "reply has HV message type %#x, want 1", m->header.message_type);
    check(t, r->msgtype == VMBUS_MSG_VERSION_RESPONSE, "reply is VMBus message %u, want 15 (VERSION_RESPONSE)", r->msgtype);
    note(t, "VMBus version 4.0 %s", r->version_supported ? "supported" : "not supported");
    synic_clear_slot(VMBUS_MESSAGE_SINT);
    synic_eom();

    /* a failure above leaves the contact open: suite_reset() UNLOADs it */
    uint16_t ust;
    int answered = vmbus_unload(1000000, &ust);
    if (expect_status(t, ust, HV_STATUS_SUCCESS, "UNLOAD to connection 1"))
        note(t, "UNLOAD_RESPONSE %s", answered ? "received" : "not received within 1 s");
}

/* Masked when the message lands: unmasking afterwards must not raise the
 * lost interrupt. */
TEST_ROW(deliver, unmask_no_irq)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to a masked SINT")) return;
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "no message in the masked SINT's slot within %d ms",
               DELIVERY_TIMEOUT_MS)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 0);
    check(t, !synic_wait_irq(TEST_SINT, 0, 50000), "unmasking SINT%d raised the interrupt lost while it was masked", TEST_SINT);
    synic_clear_slot(TEST_SINT);
}

#define SINT_POLLING (1ull << 18)

TEST_ROW(deliver, polling)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    wrmsr(HV_X64_MSR_SINT0 + TEST_SINT, SINT_VECTOR(TEST_SINT) | SINT_POLLING);
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to a polling SINT")) return;
    expect_delivered(t, TEST_SINT, in, "polling SINT");
    observe(t, "delivery=polling_interrupt");
    check(t, !synic_wait_irq(TEST_SINT, 0, 50000), "SINT%d with the Polling bit interrupted (vector %#x)", TEST_SINT, SINT_VECTOR(TEST_SINT));
}

/* Post numbered message `seq` to conn (a transient INSUFFICIENT_BUFFERS is
 * retried for REFUSAL_RETRY_US: the port's buffer count is post.insufficient_buffers'
 * rule, not these tests'; QEMU's test device refuses until its main loop
 * has completed the previous message, hw/hyperv/hyperv.c sint_msg_bh, which
 * a loaded host delays); wait until it is in TEST_SINT's slot. */
static int post_seq(struct test_ctx *t, uint32_t conn, uint8_t seq, int wait)
{
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 4);
    in->payload[0] = seq;
    uint16_t st;
    deadline_t d = deadline_after_us(REFUSAL_RETRY_US);
    while ((st = post_at(0)) == HV_STATUS_INSUFFICIENT_BUFFERS && !deadline_passed(d)) delay_us(50);
    if (!expect_status(t, st, HV_STATUS_SUCCESS, seq ? "post behind a full slot" : "post")) return 0;
    return !wait || check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "message %u not in the slot within %d ms", seq,
                            DELIVERY_TIMEOUT_MS);
}

static void empty(void)
{
    hv_simp_page.slot[TEST_SINT].header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();
}

TEST_ROW(deliver, port_field)
{
    uint32_t a, b;
    uint64_t port[3];
    if (!need_msg_conn(t, TEST_SINT, &a) || !need_msg_conn(t, TEST_SINT, &b)) return;
    uint32_t conns[3] = { a, b, a };
    for (int i = 0; i < 3; i++) {
        if (!post_seq(t, conns[i], (uint8_t)i, 1)) return;
        port[i] = hv_simp_page.slot[TEST_SINT].header.origin;
        synic_clear_slot(TEST_SINT);
        synic_eom();
    }
    note(t, "Port fields: %#llx, %#llx, %#llx", (unsigned long long)port[0], (unsigned long long)port[1], (unsigned long long)port[2]);
    observe(t, "delivery=same_port");
    check(t, port[0] != port[1], "messages through two connections to two ports both carry Port %#llx", (unsigned long long)port[0]);
    check(t, port[0] == port[2], "one port's messages carry Port %#llx, then %#llx", (unsigned long long)port[0], (unsigned long long)port[2]);
}

/* A queued behind the full slot; the slot emptied; the first message's
 * interrupt taken and EOIed at the APIC (the handler), never EOM. */
TEST_ROW(deliver, eoi_redelivery)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    if (!post_seq(t, conn, 0, 1) || !post_seq(t, conn, 1, 0)) return;
    empty();
    check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt for the first message within %d ms", DELIVERY_TIMEOUT_MS);
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "the queued message was not delivered within %d ms of the "
               "APIC EOI (no EOM written)", DELIVERY_TIMEOUT_MS)) return;
    check(t, hv_simp_page.slot[TEST_SINT].payload[0] == 1, "the slot holds message %u, want 1", hv_simp_page.slot[TEST_SINT].payload[0]);
    synic_clear_slot(TEST_SINT);
}

TEST_ROW(deliver, pending_clear)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    if (!post_seq(t, conn, 0, 1)) return;
    delay_us(20000);        /* "or at any time afterwards": give a wrong flag time to appear */
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    check(t, !(m->header.message_flags & HV_MESSAGE_FLAG_PENDING), "MessagePending set (flags %#x) with nothing queued",
          m->header.message_flags);
    synic_clear_slot(TEST_SINT);
}

TEST_ROW(deliver, simp_reenable)
{
    uint32_t conn;
    uint64_t simp = (uint64_t)(uintptr_t)&hv_simp_page;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    if (!post_seq(t, conn, 0, 1) || !post_seq(t, conn, 1, 0)) return;
    wrmsr(HV_X64_MSR_SIMP, simp);
    delay_us(1000);
    wrmsr(HV_X64_MSR_SIMP, simp | HV_SIMP_ENABLE);
    empty();
    synic_eom();
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "the message queued before the SIM page was disabled "
               "was not in the slot within %d ms of re-enabling it", DELIVERY_TIMEOUT_MS)) return;
    check(t, hv_simp_page.slot[TEST_SINT].payload[0] == 1, "the slot holds message %u, want 1", hv_simp_page.slot[TEST_SINT].payload[0]);
    synic_clear_slot(TEST_SINT);
}

/* Two messages through one connection, 200 pattern bytes then 8 with the
 * canary beyond them: the second's slot bytes 8..199 must not be the
 * first's (the canary is no pattern byte, so expect_delivered's leak check
 * can't see this; tests/pattern.h). */
TEST_ROW(deliver, stale_bytes)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 200);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post of 200 bytes")) return;
    if (!expect_delivered(t, TEST_SINT, in, "200 bytes")) return;
    in = post_input(0, conn, TEST_TYPE, 8);
    post_canary(in);
    uint16_t st;
    deadline_t d = deadline_after_us(REFUSAL_RETRY_US);    /* the first one's buffer may be freed late (post_seq) */
    while ((st = post_at(0)) == HV_STATUS_INSUFFICIENT_BUFFERS && !deadline_passed(d)) delay_us(50);
    if (!expect_status(t, st, HV_STATUS_SUCCESS, "post of 8 bytes")) return;
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "8 bytes: no message within %d ms", DELIVERY_TIMEOUT_MS)) return;
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    uint32_t first = 0, stale = 0;
    for (uint32_t i = 8; i < 200; i++)
        if (post_pattern(i) != 0 && m->payload[i] == post_pattern(i) && !stale++) first = i;
    check(t, !stale, "%u slot bytes beyond PayloadSize 8 hold the earlier 200-byte message's bytes (first: byte %u = %#x)",
          stale, first, stale ? m->payload[first] : 0);
    synic_clear_slot(TEST_SINT);
}
