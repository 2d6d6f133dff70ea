/* deliver.*: what the receiver sees (TLFS "SynIC Message Flow", "SINTx"). */
#include "hvtest.h"
#include "../hv/synic.h"
#include "../kernel/apic.h"
#include "../hv/vmbus.h"
#include "../hv/hypercall.h"

/* An unmasked SINT interrupts, once, on its vector. */
TEST(deliver, interrupt)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post")) return;
    check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt on vector %#x within 200 ms", SINT_VECTOR(TEST_SINT));
    synic_wait_irq(TEST_SINT, 1, 20000);    /* a second one would be a duplicate */
    check(t, sint_records[TEST_SINT].count == 1, "%u interrupts for one message, want 1", sint_records[TEST_SINT].count);
}

/* A masked SINT gets the message in its slot but no interrupt. */
TEST(deliver, masked_sint)
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
TEST(deliver, auto_eoi)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 1);
    post_input(0, conn, TEST_TYPE, 8);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to an AutoEOI SINT")) return;
    if (!check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt within 200 ms")) return;
    check(t, !sint_records[TEST_SINT].in_service, "in-service bit of vector %#x still set inside the handler with AutoEOI", SINT_VECTOR(TEST_SINT));
}

/* Two connections to two SINTs: each message lands in its own slot and
 * interrupts on its own vector. */
TEST(deliver, independent_sints)
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

TEST(deliver, vmbus_contact)
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
    if (!check(t, synic_wait_message(VMBUS_MESSAGE_SINT, 1000000), "no VERSION_RESPONSE in SINT2's slot within 1 s")) return;
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
