/* smp.*: HvCallPostMessage across virtual processors. The connection's
 * target VP decides where the message lands (spec: "queued for delivery to
 * a virtual processor within the partition associated with the port"). */
#include "hvtest.h"
#include "../hv/helper.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/smp.h"
#include "../kernel/time.h"
#include "../hv/hypercall.h"

#define VP1 1                   /* the second CPU (kernel index, by arrival order) */
#define AP_TIMEOUT_US 500000

static int need_vp1(struct test_ctx *t)
{
    if (!need_synic(t) || !need_post_privilege(t)) return 0;
    if (smp_cpus() < 2) { skip(t, "needs a second VP (run-qemu.sh --smp 2); %d running", smp_cpus()); return 0; }
    return 1;
}

struct on_vp1 { int sint; int masked; uint32_t count; int got_message; uint32_t type, size; uint64_t value; };

static void vp1_vp_index(void *arg) { ((struct on_vp1 *)arg)->value = rdmsr(HV_X64_MSR_VP_INDEX); }

/* A connection to SINT s of the second CPU, addressed by its VP index (CPUs
 * are numbered by arrival, VPs by the hypervisor). */
static int conn_on_vp1(struct test_ctx *t, int sint, uint32_t *id)
{
    if (!need_vp1(t)) return 0;
    const char *why = helper_absent_reason();
    if (why) { skip(t, "%s", why); return 0; }
    struct on_vp1 a = { 0 };
    if (!check(t, smp_run_on(VP1, vp1_vp_index, &a, AP_TIMEOUT_US, 0) == 0, "CPU 1 did not report its VP index")) return 0;
    if (helper_msg_conn_create((int)a.value, sint, id)) { skip(t, "host helper %s could not target VP %llu", helper_name(), (unsigned long long)a.value); return 0; }
    return 1;
}

static void vp1_unmask(void *arg) { struct on_vp1 *a = arg; synic_sint_set(a->sint, SINT_VECTOR(a->sint), a->masked, 0); }

static void vp1_wait(void *arg)
{
    struct on_vp1 *a = arg;
    a->got_message = synic_wait_message(a->sint, DELIVERY_TIMEOUT_US);
    volatile struct hv_message *m = &hv_simp_pages[cpu_index()].slot[a->sint];
    a->type = m->header.message_type;
    a->size = m->header.payload_size;
    synic_wait_irq(a->sint, 0, 50000);
    a->count = sint_records_vp[cpu_index()][a->sint].count;
    synic_clear_slot(a->sint);
}

/* TLFS "Virtual Processor Index": each VP has a distinct index from 0 to
 * n-1; the boot VP's was checked by hv.vp_index. */
TEST_ROW(smp, vp_index)
{
    if (!need_vp1(t)) return;
    int n = smp_cpus();
    uint64_t seen = 1;                      /* bit v: VP index v taken (the boot VP has 0) */
    for (int cpu = 1; cpu < n; cpu++) {
        struct on_vp1 a = { 0 };
        if (!check(t, smp_run_on(cpu, vp1_vp_index, &a, AP_TIMEOUT_US, 0) == 0, "CPU %d did not run the function within 500 ms", cpu)) return;
        if (!check(t, a.value < (uint64_t)n, "CPU %d's VP_INDEX is %llu, want < %d (the partition's VP count)", cpu, (unsigned long long)a.value, n)) continue;
        check(t, !(seen & (1ull << a.value)), "CPU %d's VP_INDEX %llu is already another VP's", cpu, (unsigned long long)a.value);
        seen |= 1ull << a.value;
    }
}

/* A message to SINT 2 of VP 1 lands in VP 1's slot and interrupts there,
 * not on VP 0. */
TEST_ROW(smp, deliver_vp1)
{
    uint32_t conn;
    if (!conn_on_vp1(t, TEST_SINT, &conn)) return;
    struct on_vp1 a = { .sint = TEST_SINT };
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 0);      /* VP 0's same SINT, to see a stray one */
    if (!check(t, smp_run_on(VP1, vp1_unmask, &a, AP_TIMEOUT_US, 0) == 0, "VP 1 unresponsive")) return;
    post_input(0, conn, TEST_TYPE, 16);
    if (!check(t, smp_start_on(VP1, vp1_wait, &a) == 0, "VP 1 busy")) return;
    expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post from VP 0 to a connection on VP 1");
    if (!check(t, smp_wait(VP1, 2 * DELIVERY_TIMEOUT_US, 0) == 0, "VP 1 did not finish waiting")) return;
    check(t, a.got_message && a.type == TEST_TYPE && a.size == 16, "VP 1's slot: message %d type %#x size %u, want type %#x size 16",
          a.got_message, a.type, a.size, TEST_TYPE);
    check(t, a.count == 1, "VP 1 took %u SINT interrupts, want 1", a.count);
    expect_no_message(t, TEST_SINT, 20000, "VP 0's slot");
    check(t, sint_records[TEST_SINT].count == 0, "VP 0 took %u SINT interrupts for VP 1's message", sint_records[TEST_SINT].count);
}

static void vp1_msr(void *arg) { struct on_vp1 *a = arg; wrmsr((uint32_t)a->value, a->masked ? 0 : 1); }
static void vp1_nop(void *arg) { (void)arg; }

static void vp1_off(struct test_ctx *t, uint32_t msr, const char *what)
{
    uint32_t conn, conn0;
    if (!conn_on_vp1(t, TEST_SINT, &conn)) return;
    if (!need_msg_conn(t, TEST_SINT + 1, &conn0)) return;
    struct on_vp1 a = { .value = msr, .masked = 1 };
    if (!check(t, smp_run_on(VP1, vp1_msr, &a, AP_TIMEOUT_US, 0) == 0, "VP 1 unresponsive")) return;
    post_input(0, conn, TEST_TYPE, 8);
    /* spec: "The target VP's SynIC is disabled" / "SIM page is disabled" */
    expect_status(t, post_at(0), HV_STATUS_INVALID_SYNIC_STATE, what);
    /* VP 1 runs again only after its hypervisor has handled the message for
     * it (QEMU: cpu_post_msg in VP 1's thread, which an idle, halted VP 1
     * does late): a host that dies of that dies in this test, not the next */
    smp_run_on(VP1, vp1_nop, 0, AP_TIMEOUT_US, 0);
    /* VP 0's own SynIC is untouched and still receives */
    struct hv_post_message_input *in = post_input(0, conn0, TEST_TYPE, 8);
    if (expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post to VP 0 meanwhile"))
        expect_delivered(t, TEST_SINT + 1, in, "VP 0 while VP 1's SynIC is off");
}

TEST_ROW(smp, synic_disabled_vp1) { vp1_off(t, HV_X64_MSR_SCONTROL, "target VP 1 with SCONTROL disabled"); }
TEST_ROW(smp, simp_disabled_vp1) { vp1_off(t, HV_X64_MSR_SIMP, "target VP 1 with its SIM page disabled"); }

/* A VP that existed when its connection was made and is gone when the
 * message is posted. post.vp_index_missing covers a VP that never existed. */
TEST_ROW(smp, vp_missing)
{
    if (!need_vp1(t)) return;
    skip(t, "needs the host to remove a VP after the connection to it was made; a guest can't remove one of its VPs "
            "(Hyper-V: HvDeleteVp is a root call; QEMU 7.2: only a hot-plugged CPU can be unplugged, with device_del on "
            "the monitor, which no runner step does)");
}

#define PER_SENDER 16
static struct hv_post_message_input vp1_input __attribute__((aligned(8)));
static volatile int vp1_sent, vp1_refusals;

static void vp1_sender(void *arg)
{
    uint32_t conn = *(uint32_t *)arg;
    vp1_sent = vp1_refusals = 0;
    for (int i = 0; i < PER_SENDER; i++) {
        deadline_t d = deadline_after_us(REFUSAL_RETRY_US * 5);
        for (;;) {
            vp1_input = (struct hv_post_message_input){ .connection_id = conn, .message_type = TEST_TYPE, .payload_size = 2 };
            vp1_input.payload[0] = 1;
            vp1_input.payload[1] = (uint8_t)i;
            uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)&vp1_input, 0));
            if (st == HV_STATUS_SUCCESS) { vp1_sent++; break; }
            vp1_refusals++;
            if (st != HV_STATUS_INSUFFICIENT_BUFFERS || deadline_passed(d)) return;   /* TLFS: only this one is transient */
            pause();
        }
    }
}

/* Two VPs post to one slot at once, retrying (boundedly) on the transient
 * INSUFFICIENT_BUFFERS: every accepted message arrives exactly once, and
 * each sender's messages in its order. When both are done and a message is
 * still missing after WITNESS_US of quiet, VP 0 posts a witness to the same
 * port, after all of them: messages to a port arrive in posting order, so
 * one still missing when the witness lands is lost (or out of order), and
 * the test need not wait out its 5 s. */
#define WITNESS_SENDER 2    /* payload[0] of the witness; 0 and 1 are the VPs */
TEST_ROW(smp, concurrent_posts)
{
    uint32_t conn;
    if (!need_vp1(t) || !need_msg_conn(t, TEST_SINT, &conn)) return;
    int seen[2][PER_SENDER] = { { 0 } }, next[2] = { 0, 0 }, sent0 = 0, order_ok = 1, dup = 0;
    enum witness witness = WITNESS_NONE;
    if (!check(t, smp_start_on(VP1, vp1_sender, &conn) == 0, "VP 1 busy")) return;
    deadline_t end = deadline_after_us(5000000), quiet = deadline_after_us(WITNESS_US);
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    while (!deadline_passed(end) && witness != WITNESS_TAKEN) {
        /* both senders done: VP 1 polled only once VP 0 is */
        int done = sent0 == PER_SENDER && smp_wait(VP1, 0, 0) == 0, got = 0;
        if (done && !witness) {
            for (int w = 0; w < 2; w++) for (int i = 0; i < PER_SENDER; i++) got += seen[w][i] != 0;
            if (got >= sent0 + vp1_sent) break;
        }
        int witness_due = done && !witness && deadline_passed(quiet);
        if (sent0 < PER_SENDER || witness_due) {
            struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 2);
            in->payload[0] = witness_due ? WITNESS_SENDER : 0;
            in->payload[1] = (uint8_t)sent0;
            uint16_t st = post_at(0);
            if (st == HV_STATUS_SUCCESS && witness_due) witness = WITNESS_POSTED;
            else if (st == HV_STATUS_SUCCESS) sent0++;
            else if (st != HV_STATUS_INSUFFICIENT_BUFFERS) {
                expect_status(t, st, HV_STATUS_SUCCESS, witness_due ? "the witness post from VP 0" : "post from VP 0");
                break;
            }
        }
        if (m->header.message_type != HV_MESSAGE_TYPE_NONE) {
            quiet = deadline_after_us(WITNESS_US);
            if (witness && m->payload[0] == WITNESS_SENDER) {
                witness = WITNESS_TAKEN;
            } else {
                int who = m->payload[0] & 1, seq = m->payload[1] % PER_SENDER;
                if (seen[who][seq]++) dup++;
                if (seq != next[who]) order_ok = 0;
                next[who] = seq + 1;
            }
            synic_clear_slot(TEST_SINT);
            synic_eom();
        }
    }
    smp_wait(VP1, AP_TIMEOUT_US, 0);
    int lost = witness == WITNESS_POSTED;      /* an accepted witness must come too */
    for (int i = 0; i < sent0; i++) lost += !seen[0][i];
    for (int i = 0; i < vp1_sent; i++) lost += !seen[1][i];
    note(t, "VP 0 sent %d, VP 1 sent %d (%d refusals)%s", sent0, vp1_sent, vp1_refusals, witness_said(witness));
    observe(t, "queue=refused");
    check(t, sent0 == PER_SENDER && vp1_sent == PER_SENDER, "accepted: VP 0 %d, VP 1 %d of %d each within the retry bound", sent0, vp1_sent, PER_SENDER);
    observe(t, "delivery=lost");
    check(t, lost == 0, "%d accepted messages not in the slot within 5 s of the first post, or before a witness posted after "
          "them", lost);
    observe(t, "delivery=duplicate");
    check(t, dup == 0, "%d messages arrived twice", dup);
    observe(t, "delivery=out_of_order");
    check(t, order_ok, "a sender's messages arrived out of order");
}
