/* deliver.*: what the receiver sees (TLFS "SynIC Message Flow", "SINTx"). */
#include "hvtest.h"
#include "../hv/synic.h"
#include "../kernel/apic.h"

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
