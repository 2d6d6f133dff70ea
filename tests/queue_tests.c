/* deliver.*: the SynIC's message queues (TLFS 6.0b 11.3-11.4 and the EOM
 * register, 11.8): what brings a queued message into the slot, what keeps
 * it queued, what becomes of it when its connection breaks. Each test's row
 * in tests/rules_synic.c has its source. A message carries its tag in
 * payload byte 0. The SINT is masked unless the test is about the
 * interrupt: no interrupt, so no EOI acknowledges anything behind the
 * test's back, and the EOM the test writes is the only trigger. */
#include "hvtest.h"
#include "../hv/helper.h"
#include "../hv/synic.h"
#include "../kernel/apic.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"
#include "../kernel/time.h"

#define SLOT (&hv_simp_page.slot[TEST_SINT])
#define QUEUE_US 20000      /* after a post behind a full slot: time to queue it (QEMU does it in the vCPU thread) */
#define QUIET_US 50000      /* a message or interrupt that must not come is watched for this long */

/* A transient INSUFFICIENT_BUFFERS is retried for REFUSAL_RETRY_US (QEMU's
 * test device refuses a post until its main loop has completed the
 * previous one: seen refused for more than 50 ms on a loaded host). */
static int post_tag(struct test_ctx *t, uint32_t conn, uint8_t tag, const char *what)
{
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 4);
    in->payload[0] = tag;
    uint16_t st;
    deadline_t d = deadline_after_us(REFUSAL_RETRY_US);
    while ((st = post_at(0)) == HV_STATUS_INSUFFICIENT_BUFFERS && !deadline_passed(d)) delay_us(50);
    return expect_status(t, st, HV_STATUS_SUCCESS, what);
}

/* Message `tag` in the slot within DELIVERY_TIMEOUT_US. */
static int arrives(struct test_ctx *t, uint8_t tag, const char *what)
{
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "%s: not in the slot within %d ms", what,
               DELIVERY_TIMEOUT_MS)) return 0;
    return check(t, SLOT->payload[0] == tag, "%s: the slot holds message %#x, want %#x", what, SLOT->payload[0], tag);
}

/* The guest's side of "the slot is empty": MessageType None, nothing else. */
static void empty(void)
{
    SLOT->header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();
}

/* Called right after the trigger (EOM) written while delivery is off:
 * whether a message lands within QUIET_US, or by the time the host has run
 * what the trigger set going. The test turns delivery on next, and a
 * message that landed only then would look like one delivered rightly.
 * QEMU redelivers on EOM through a chain of main-loop steps
 * (hw/hyperv/hyperv.c sint_ack_handler, the ack eventfd's handler, schedules
 * sint_msg_bh; the test device's msg_cb schedules msg_retry, whose
 * hyperv_post_msg queues cpu_post_msg on the vCPU): console_sync_now proves
 * SYNC_STEPS main-loop iterations, more than the chain has. */
#define SYNC_STEPS 4
static int lands_while_off(void)
{
    if (synic_wait_message(TEST_SINT, QUIET_US)) return 1;
    console_sync_now(SYNC_STEPS, "the EOM's work done before delivery is turned on again");
    return SLOT->header.message_type != HV_MESSAGE_TYPE_NONE;
}

/* Message 1 in the slot, message 2 posted behind it through the same
 * connection and given time to be queued. */
static int slot_and_queue(struct test_ctx *t, uint32_t conn, int masked)
{
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), masked, 0);
    if (!post_tag(t, conn, 1, "the first post") || !arrives(t, 1, "message 1")) return 0;
    if (!post_tag(t, conn, 2, "a post behind the full slot")) return 0;
    delay_us(QUEUE_US);
    return 1;
}

/* After the slot was emptied and EOM written with message `tag` queued:
 * `tag` in the slot. The slot was empty and the SIM page on when EOM was
 * written, so EOM had to deliver the queued message (EOM Register). If it
 * has not come within WITNESS_US, a witness (`wtag`, posted once through
 * `wconn` to the same SINT) shows whether the hypervisor delivers into that
 * slot at all: the witness landing instead means `tag` was not delivered,
 * without waiting out DELIVERY_TIMEOUT_US; a slow hypervisor that delivers
 * `tag` first leaves the witness queued behind it (*witnessed says so). */
static int eom_brings(struct test_ctx *t, uint8_t tag, const char *what, uint32_t wconn, uint8_t wtag, int *witnessed)
{
    int in_slot = synic_wait_message(TEST_SINT, WITNESS_US);
    *witnessed = 0;
    if (!in_slot) {
        post_input(0, wconn, TEST_TYPE, 4)->payload[0] = wtag;
        uint16_t st = post_at(0);       /* one try: a refusal leaves the plain wait */
        *witnessed = st == HV_STATUS_SUCCESS;
        if (!*witnessed) note(t, "the witness post was refused: %s", hv_status_name(st));
        in_slot = synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US - WITNESS_US);
    }
    int overtaken = in_slot && *witnessed && SLOT->payload[0] == wtag;
    if (!check(t, in_slot && !overtaken, "%s: not in the slot %s %d ms%s", what, overtaken ? "after" : "within",
               overtaken ? WITNESS_US / 1000 : DELIVERY_TIMEOUT_MS,
               overtaken ? "; a message posted then through another connection landed in the emptied slot instead" : "")) {
        if (overtaken) synic_clear_slot(TEST_SINT);     /* the witness is accounted for */
        return 0;
    }
    return check(t, SLOT->payload[0] == tag, "%s: the slot holds message %#x, want %#x", what, SLOT->payload[0], tag);
}

/* Connection A's message queued behind B's, then B's behind A's: each
 * time the slot is emptied and EOM written, and the queued one must come,
 * whichever port it was posted through. B's second message is also the
 * witness for A's, posted early when A's is slow. */
TEST_ROW(deliver, eom_all_ports)
{
    uint32_t a, b;
    if (!need_msg_conn(t, TEST_SINT, &a) || !need_msg_conn(t, TEST_SINT, &b)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    if (!post_tag(t, b, 0xB1, "a post through connection B") || !arrives(t, 0xB1, "B's first message")) return;
    if (!post_tag(t, a, 0xA1, "a post through connection A behind B's message")) return;
    delay_us(QUEUE_US);
    empty();
    synic_eom();
    int b2_posted;
    if (!eom_brings(t, 0xA1, "connection A's message, queued behind B's, after EOM", b, 0xB2, &b2_posted)) return;
    if (!b2_posted && !post_tag(t, b, 0xB2, "a post through B behind A's message")) return;
    delay_us(QUEUE_US);
    empty();
    synic_eom();
    if (arrives(t, 0xB2, "connection B's message, queued behind A's, after EOM")) synic_clear_slot(TEST_SINT);
}

/* The connection is broken (not flushed first) while its message waits
 * behind the full slot; the slot emptied and EOM: the message comes. */
TEST_ROW(deliver, conn_broken)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn) || !slot_and_queue(t, conn, 1)) return;
    if (!check(t, helper_msg_conn_break(conn) == 0, "host helper %s could not break connection %#x", helper_name(), conn)) return;
    empty();
    synic_eom();
    if (arrives(t, 2, "message 2, queued before its connection was broken, after EOM")) synic_clear_slot(TEST_SINT);
}

/* Message 2 queued: once the slot is emptied, MessagePending says so
 * (bounded: "or at any time afterwards"), and EOM then brings it. */
TEST_ROW(deliver, pending_set)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn) || !slot_and_queue(t, conn, 1)) return;
    empty();
    deadline_t d = deadline_after_us(DELIVERY_TIMEOUT_US);
    int flag;
    while (!(flag = SLOT->header.message_flags & HV_MESSAGE_FLAG_PENDING) && SLOT->header.message_type == HV_MESSAGE_TYPE_NONE &&
           !deadline_passed(d))
        pause();
    if (SLOT->header.message_type != HV_MESSAGE_TYPE_NONE) {
        /* delivered without a trigger: the flag had nothing to announce */
        note(t, "message %#x arrived in the emptied slot without EOM", SLOT->payload[0]);
        if (arrives(t, 2, "message 2")) synic_clear_slot(TEST_SINT);
        return;
    }
    if (!check(t, flag, "MessagePending clear (flags %#x) for %d ms after the slot was emptied, with message 2 queued",
               SLOT->header.message_flags, DELIVERY_TIMEOUT_MS)) return;
    synic_eom();
    if (arrives(t, 2, "message 2 after EOM")) synic_clear_slot(TEST_SINT);
}

/* Message 1's interrupt is taken (its EOI finds nothing queued); message 2
 * is queued; EOM delivers it and must raise the SINT's interrupt. */
TEST_ROW(deliver, eom_interrupt)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    if (!post_tag(t, conn, 1, "the first post") || !arrives(t, 1, "message 1")) return;
    if (!check(t, synic_wait_irq(TEST_SINT, 0, DELIVERY_TIMEOUT_US), "no interrupt for message 1 within %d ms",
               DELIVERY_TIMEOUT_MS)) return;
    if (!post_tag(t, conn, 2, "a post behind the full slot")) return;
    delay_us(QUEUE_US);
    uint32_t before = sint_records[TEST_SINT].count;
    empty();
    synic_eom();
    if (!arrives(t, 2, "message 2 after EOM")) return;
    check(t, synic_wait_irq(TEST_SINT, before, DELIVERY_TIMEOUT_US), "message 2, delivered by EOM, raised no interrupt on "
          "vector %#x within %d ms", SINT_VECTOR(TEST_SINT), DELIVERY_TIMEOUT_MS);
    synic_clear_slot(TEST_SINT);
}

/* The slot emptied without EOM or EOI, then a third post: queueing it is
 * one of the three triggers, so message 2 comes (then 3, after EOM). */
TEST_ROW(deliver, post_trigger)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn) || !slot_and_queue(t, conn, 1)) return;
    empty();
    if (!post_tag(t, conn, 3, "a third post (the slot emptied, message 2 queued)")) return;
    if (!arrives(t, 2, "message 2 after another message was queued (no EOM, no EOI)")) return;
    empty();
    synic_eom();
    if (arrives(t, 3, "message 3 after EOM")) synic_clear_slot(TEST_SINT);
}

/* SCONTROL cleared with message 2 queued: the slot emptied and EOM bring
 * nothing while it is clear; set again, EOM brings message 2. */
TEST_ROW(deliver, scontrol_off)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn) || !slot_and_queue(t, conn, 1)) return;
    wrmsr(HV_X64_MSR_SCONTROL, 0);
    empty();
    synic_eom();
    int early = lands_while_off();
    wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
    check(t, !early, "message %#x delivered while SCONTROL was clear (slot emptied, EOM)", SLOT->payload[0]);
    if (!early) synic_eom();
    if (arrives(t, 2, early ? "the message delivered while SCONTROL was clear" : "message 2 after SCONTROL was set again and EOM"))
        synic_clear_slot(TEST_SINT);
}

/* The SIM page disabled with message 2 queued; the page's GPA, plain memory
 * now, has its slot emptied, and EOM: nothing may be written there. Enabled
 * again (its slot emptied: an overlay page may show message 1 again), EOM
 * brings message 2. */
TEST_ROW(deliver, simp_off_queued)
{
    uint32_t conn;
    uint64_t simp = (uint64_t)(uintptr_t)&hv_simp_page;
    if (!need_msg_conn(t, TEST_SINT, &conn) || !slot_and_queue(t, conn, 1)) return;
    wrmsr(HV_X64_MSR_SIMP, simp);
    empty();
    synic_eom();
    int written = lands_while_off();
    uint8_t tag = SLOT->payload[0];
    empty();
    wrmsr(HV_X64_MSR_SIMP, simp | HV_SIMP_ENABLE);
    if (!check(t, !written, "message %#x written into the SIM page's GPA while the page was disabled (slot emptied, EOM)", tag))
        return;
    empty();
    synic_eom();
    if (arrives(t, 2, "message 2 after the SIM page was enabled again and EOM")) synic_clear_slot(TEST_SINT);
}

/* The APIC software-disabled: the message lands, its interrupt is lost,
 * and enabling the APIC again does not bring it back. */
TEST_ROW(deliver, apic_disabled)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
    apic_sw_enable(0);
    uint16_t st = post_at(0);
    int during = synic_wait_irq(TEST_SINT, 0, QUIET_US);
    apic_sw_enable(1);
    int after = synic_wait_irq(TEST_SINT, 0, QUIET_US);
    if (!expect_status(t, st, HV_STATUS_SUCCESS, "post with the APIC software-disabled")) return;
    expect_delivered(t, TEST_SINT, in, "APIC software-disabled");
    check(t, !during && !after, "SINT%d interrupted (vector %#x) %s the APIC was software-disabled", TEST_SINT,
          SINT_VECTOR(TEST_SINT), during ? "while" : "after being enabled again: the interrupt lost while");
}

#define ORDER_N 24
#define ORDER_WITNESS ORDER_N   /* the tag of one more post, made only when the wait is slow */

/* One VP posts ORDER_N numbered messages to one connection while the slot
 * stays full, so they queue; a refusal with INSUFFICIENT_BUFFERS (the one
 * transient status) is answered by taking the slot's message and EOM, then
 * the refused post is made again. Each accepted message arrives once, in
 * posting order, and a refused one never. When all are posted and none has
 * come for WITNESS_US, a witness is posted behind them: it arrives after
 * every accepted one, so a message still missing when it lands is lost (or
 * out of order), and the test need not wait out DELIVERY_TIMEOUT_US. */
TEST_ROW(deliver, single_sender_order)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    int sent = 0, got = 0, seen[ORDER_N] = { 0 }, dup = 0, order = -1, order_prev = 0, refusals = 0;
    enum witness witness = WITNESS_NONE;
    uint8_t prev = 0xFF;
    deadline_t end = deadline_after_us(5000000), idle = deadline_after_us(DELIVERY_TIMEOUT_US), slow = deadline_after_us(WITNESS_US);
    while (!deadline_passed(end) && witness != WITNESS_TAKEN &&
           (sent < ORDER_N || ((got < sent || witness) && !deadline_passed(idle)))) {
        int refused = 0, posting = sent < ORDER_N || (!witness && got < sent && deadline_passed(slow));
        if (posting) {
            struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 4);
            in->payload[0] = (uint8_t)(sent < ORDER_N ? sent : ORDER_WITNESS);
            uint16_t st = post_at(0);
            if (st == HV_STATUS_SUCCESS && sent < ORDER_N) sent++;
            else if (st == HV_STATUS_SUCCESS) witness = WITNESS_POSTED;
            else if (st == HV_STATUS_INSUFFICIENT_BUFFERS) refused = ++refusals;
            else if (!expect_status(t, st, HV_STATUS_SUCCESS, sent < ORDER_N ? "a numbered post" : "the witness post")) break;
        }
        if ((!refused && sent < ORDER_N) || SLOT->header.message_type == HV_MESSAGE_TYPE_NONE) continue;
        uint8_t tag = SLOT->payload[0];
        empty();
        synic_eom();
        idle = deadline_after_us(DELIVERY_TIMEOUT_US);
        slow = deadline_after_us(WITNESS_US);
        if (witness && tag == ORDER_WITNESS) {
            witness = WITNESS_TAKEN;
            continue;
        }
        if (tag < ORDER_N && seen[tag]++) dup++;
        if (order < 0 && tag != (uint8_t)(prev + 1)) { order = tag; order_prev = prev; }
        prev = tag;
        got++;
    }
    if (synic_wait_message(TEST_SINT, QUIET_US)) {      /* one more than was posted, or a late one */
        uint8_t tag = SLOT->payload[0];
        if (tag < ORDER_N && !seen[tag]++ && order < 0) { order = tag; order_prev = ORDER_WITNESS; }
        else dup++;
        synic_clear_slot(TEST_SINT);
    }
    int lost = witness == WITNESS_POSTED;      /* an accepted witness must come too */
    for (int i = 0; i < sent; i++) lost += !seen[i];
    note(t, "%d posts accepted, %d refusals retried, %d messages taken%s", sent, refusals, got, witness_said(witness));
    check(t, sent == ORDER_N, "%d of %d posts accepted within 5 s", sent, ORDER_N);
    check(t, !lost && !dup, "%d accepted messages not in the slot (5 s in all, %d ms after the one before, or before the "
          "witness %d posted after them), %d arrived twice", lost, DELIVERY_TIMEOUT_MS, ORDER_WITNESS, dup);
    check(t, order < 0, "message %d arrived right after message %d: out of posting order", order, order_prev == 0xFF ? -1 : order_prev);
}
