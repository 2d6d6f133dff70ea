/* synic.*: one end-to-end delivery through the host helper. */
#include "hvtest.h"
#include "../hv/synic.h"
#include "../kernel/apic.h"

/* TLFS "SynIC Message Flow": the message lands in the SIMP slot of the
 * connection's SINT and the SINT interrupt fires; EOM frees the slot. */
TEST(synic, deliver_one)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    post_input(0, conn, TEST_TYPE, 16);
    uint32_t before = sint_records[TEST_SINT].count;
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post 16 bytes")) return;
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "no message in SINT%d's slot after 200 ms", TEST_SINT)) return;
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    check(t, m->header.message_type == TEST_TYPE, "slot type %#x, want %#x", m->header.message_type, TEST_TYPE);
    check(t, m->header.payload_size == 16, "slot size %u, want 16", m->header.payload_size);
    check(t, synic_wait_irq(TEST_SINT, before, DELIVERY_TIMEOUT_US), "no SINT%d interrupt (vector %#x) within 200 ms", TEST_SINT, SINT_VECTOR(TEST_SINT));
    synic_clear_slot(TEST_SINT);
    synic_eom();
}
