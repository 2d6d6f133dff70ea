/* post.*: HvCallPostMessage's input and return-value tables
 * (shared/spec/HvCallPostMessage.md). Every test that needs a valid
 * connection gets one from the host helper and breaks exactly one field, so
 * the expected status doesn't depend on the order a hypervisor checks in. */
#include "hvtest.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/time.h"

/* A valid post succeeds and is delivered as posted (spec: "queued for
 * delivery to a virtual processor within the partition associated with the
 * port"). */
TEST(post, success)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 64);
    post_canary(in);
    if (expect_status(t, post_at(0), HV_STATUS_SUCCESS, "valid post, 64 bytes") && echo)
        expect_delivered(t, TEST_SINT, in, "valid post");
}

/* --- ConnectionId ------------------------------------------------------ */

/* Return values: "The specified connection ID is invalid." */
TEST(post, conn_unknown)
{
    if (!need_post_privilege(t)) return;
    post_input(0, helper_unused_conn_id(), TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_CONNECTION_ID, "connection 0xabcdef (never created)");
}

/* No connection with Id 0 exists unless someone created it; the guest
 * didn't, and neither QEMU's helper nor Hyper-V's VMBus use 0. */
TEST(post, conn_zero)
{
    if (!need_post_privilege(t)) return;
    post_input(0, 0, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_CONNECTION_ID, "connection 0");
}

/* HV_CONNECTION_ID is a 24-bit Id with 8 reserved bits (TLFS data types).
 * Reading taken: reserved bits set make the id invalid input; the TLFS names
 * no single status, so INVALID_CONNECTION_ID, INVALID_PARAMETER and
 * INVALID_HYPERCALL_INPUT are accepted. Ignoring the bits (SUCCESS) is not:
 * a caller bug would then reach the wrong port silently. */
TEST(post, conn_reserved_bits)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    static const uint16_t ok[] = { HV_STATUS_INVALID_CONNECTION_ID, HV_STATUS_INVALID_PARAMETER, HV_STATUS_INVALID_HYPERCALL_INPUT };
    post_input(0, conn | 0x01000000u, TEST_TYPE, 8);
    expect_one_of(t, post_at(0), ok, 3, "valid id with bit 24 set");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
    post_input(0, conn | 0xFF000000u, TEST_TYPE, 8);
    expect_one_of(t, post_at(0), ok, 3, "valid id with bits 31:24 set");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

/* --- RsvdZ -------------------------------------------------------------- */

/* Input offset 4 is RsvdZ. Reading taken: a nonzero RsvdZ field is invalid
 * input; INVALID_PARAMETER or INVALID_HYPERCALL_INPUT accepted, SUCCESS not. */
TEST(post, rsvdz_nonzero)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    static const uint16_t ok[] = { HV_STATUS_INVALID_PARAMETER, HV_STATUS_INVALID_HYPERCALL_INPUT };
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    in->rsvdz = 1;
    expect_one_of(t, post_at(0), ok, 2, "RsvdZ = 1");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

/* --- MessageType -------------------------------------------------------- */

static void bad_type(struct test_ctx *t, uint32_t type)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    post_input(0, conn, type, 8);
    /* spec: "The most significant bit of the specified message type is set"
     * / "The MessageType parameter specifies a value of zero" */
    expect_status(t, post_at(0), HV_STATUS_INVALID_PARAMETER, "refused message type");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

TEST(post, type_zero) { bad_type(t, 0); }
TEST(post, type_msb) { bad_type(t, 0x80000000u); }
TEST(post, type_hypervisor_range) { bad_type(t, 0x80000010u); }  /* HvMessageTimerExpired */
TEST(post, type_all_ones) { bad_type(t, 0xFFFFFFFFu); }

static void good_type(struct test_ctx *t, uint32_t type)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    struct hv_post_message_input *in = post_input(0, conn, type, 8);
    /* spec: "any 32-bit message type whose most significant bit is cleared,
     * with the exception of zero"; it "will appear within the message header" */
    if (expect_status(t, post_at(0), HV_STATUS_SUCCESS, "allowed message type") && echo)
        expect_delivered(t, TEST_SINT, in, "allowed message type");
}

TEST(post, type_one) { good_type(t, 1); }
TEST(post, type_max) { good_type(t, 0x7FFFFFFFu); }

/* --- PayloadSize ------------------------------------------------------- */

static void good_size(struct test_ctx *t, uint32_t size)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, size);
    post_canary(in);
    /* spec: "up to 240 bytes total. Only the first n bytes are actually sent" */
    if (expect_status(t, post_at(0), HV_STATUS_SUCCESS, "payload within 240 bytes") && echo)
        expect_delivered(t, TEST_SINT, in, "payload");
}

TEST(post, payload_0) { good_size(t, 0); }
TEST(post, payload_1) { good_size(t, 1); }
TEST(post, payload_239) { good_size(t, 239); }
TEST(post, payload_240) { good_size(t, 240); }

static void bad_size(struct test_ctx *t, uint32_t size)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    post_input(0, conn, TEST_TYPE, size);
    /* spec: "The specified payload size exceeds 240 bytes." */
    expect_status(t, post_at(0), HV_STATUS_INVALID_PARAMETER, "payload over 240 bytes");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

TEST(post, payload_241) { bad_size(t, 241); }
TEST(post, payload_256) { bad_size(t, 256); }
TEST(post, payload_max) { bad_size(t, 0xFFFFFFFFu); }

/* --- INSUFFICIENT_BUFFERS ------------------------------------------------ */

#define FLOOD_LIMIT 64

/* spec: "The port has no available guest message buffers." Post while the
 * slot stays occupied until the hypervisor refuses (bounded); the slot's
 * MessagePending flag must be set while more wait; then draining (clear the
 * slot, EOM) must deliver every accepted message once, in order. */
TEST(post, insufficient_buffers)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    int accepted = 0;
    uint16_t st = HV_STATUS_SUCCESS;
    /* INSUFFICIENT_BUFFERS may be transient (TLFS; Linux retries it): while
     * fewer than two messages are accepted, retry for up to 50 ms, so a
     * hypervisor that can hold one more message behind the full slot gets
     * the chance to show it, whatever the timing. */
    deadline_t retry = deadline_after_us(50000);
    while (accepted < FLOOD_LIMIT) {
        struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 4);
        in->payload[0] = (uint8_t)accepted;
        st = post_at(0);
        if (st == HV_STATUS_SUCCESS) {
            if (accepted++ == 0) synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US);
            continue;
        }
        if (st != HV_STATUS_INSUFFICIENT_BUFFERS || accepted >= 2 || deadline_passed(retry)) break;
        delay_us(50);
    }
    note(t, "%d posts accepted before %s", accepted, hv_status_name(st));
    if (!expect_status(t, st, HV_STATUS_INSUFFICIENT_BUFFERS, "post while the slot is full")) return;
    check(t, accepted >= 1, "the first post into an empty slot was refused");
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    if (accepted > 1)
        check(t, m->header.message_flags & HV_MESSAGE_FLAG_PENDING,
              "%d messages accepted but the slot's MessagePending flag is clear", accepted);
    /* drain: each accepted message exactly once, in posting order */
    for (int i = 0; i < accepted; i++) {
        if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "message %d of %d never delivered", i, accepted)) return;
        check(t, m->payload[0] == (uint8_t)i, "message %d carries sequence %u: lost or reordered", i, m->payload[0]);
        synic_clear_slot(TEST_SINT);
        synic_eom();
    }
    expect_no_message(t, TEST_SINT, 50000, "after draining every accepted message (a refused one was delivered or one was duplicated)");
}

/* --- INVALID_SYNIC_STATE ------------------------------------------------- */

/* spec: "The target VP's SynIC is disabled" */
TEST(post, synic_disabled)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    wrmsr(HV_X64_MSR_SCONTROL, 0);
    post_input(0, conn, TEST_TYPE, 8);
    uint16_t st = post_at(0);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
    expect_status(t, st, HV_STATUS_INVALID_SYNIC_STATE, "target SynIC disabled (SCONTROL = 0)");
}

/* spec: "The target VP's SIM page is disabled." */
TEST(post, simp_disabled)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&hv_simp_page);    /* enable bit clear */
    post_input(0, conn, TEST_TYPE, 8);
    uint16_t st = post_at(0);
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&hv_simp_page | HV_SIMP_ENABLE);
    expect_status(t, st, HV_STATUS_INVALID_SYNIC_STATE, "target SIM page disabled (SIMP enable bit clear)");
}

/* --- INVALID_PORT_ID ----------------------------------------------------- */

/* spec: "The port associated with the specified connection is not a
 * 'message' type port." An event connection's id names an event port. */
TEST(post, port_not_message)
{
    uint32_t evt;
    if (!need_synic(t) || !need_post_privilege(t)) return;
    if (helper_absent_reason()) { skip(t, "%s", helper_absent_reason()); return; }
    if (helper_evt_conn_create(0, TEST_SINT + 1, &evt)) { skip(t, "host helper %s could not create an event connection", helper_name()); return; }
    post_input(0, evt, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_INVALID_PORT_ID, "post to an event connection");
}

/* spec: "The port associated with the specified connection has been
 * deleted." Needs a connection that outlives its port. */
TEST(post, port_deleted)
{
    if (!need_msg_conn(t, TEST_SINT, &(uint32_t){ 0 })) return;
    skip(t, "%s deletes a connection together with its port, so no connection outlives its port; "
            "needs a host where ports are deleted separately (Hyper-V root: HvCallDeletePort)", helper_name());
}

/* spec: port "belongs to a partition that is not in the 'active' state" */
TEST(post, port_partition_inactive)
{
    if (!need_msg_conn(t, TEST_SINT, &(uint32_t){ 0 })) return;
    skip(t, "needs a port owned by a second, non-active partition; a guest of %s can't create or stop one", helper_name());
}

/* --- INVALID_VP_INDEX ---------------------------------------------------- */

/* spec: "The target VP no longer exists or there are no available VPs" */
TEST(post, vp_index_missing)
{
    if (!need_msg_conn(t, TEST_SINT, &(uint32_t){ 0 })) return;
    skip(t, "%s asserts (aborting QEMU) when asked for a connection to a VP that doesn't exist "
            "(hw/misc/hyperv_testdev.c: assert(sint_route) in msg_conn_create); needs a helper that can target a missing VP", helper_name());
}

/* --- ACCESS_DENIED ------------------------------------------------------- */

/* spec: "The caller's partition does not possess the PostMessages privilege."
 * The privilege is a property of the partition, so the call fails whatever
 * the input: a well-formed post to connection 1 (VMBus on current Hyper-V). */
TEST(post, access_denied)
{
    if (!need_hypercall(t)) return;
    if (hv_can_post_messages()) {
        skip(t, "partition holds the PostMessages privilege (CPUID 0x40000003 EBX bit 4); runs in a partition without it (run-qemu.sh --config enforce)");
        return;
    }
    post_input(0, 1, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_ACCESS_DENIED, "post without PostMessages");
}
