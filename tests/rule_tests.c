/* rule_test: runs one row of the rule table (tests/rules.h) - a valid post
 * with the row's one change - and judges it by the row: a status from
 * `ok`, or the fault `fault`; a SUCCESS of a valid row must deliver exactly
 * what was posted, a refusal must deliver nothing. */
#include "hvtest.h"
#include "rules.h"
#include "../harness/runner.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../hv/vmbus.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"
#include "../kernel/user.h"

struct call { uint64_t control, in, out; int raw; uint64_t result; };

static void do_call(void *arg)
{
    struct call *c = arg;
    c->result = c->raw ? hv_call_raw(c->control, c->in, c->out) : hv_call(c->control, c->in, c->out);
}

/* A connection for the row: 1 when the test may go on; *echo when the
 * helper echoes the message back (delivery can be checked). */
static int connection(struct test_ctx *t, const struct rule *r, uint32_t *conn, int *echo)
{
    *echo = 0;
    switch (r->field) {
    case RF_CONN_ID:
        *conn = (uint32_t)r->value;
        return need_post_privilege(t);
    case RF_SYNIC:
        *echo = 1;
        return need_msg_conn(t, TEST_SINT, conn);
    case RF_CALL:
        /* a #UD needs no SynIC and no connection: with neither, the input
         * names VMBus's connection 1 and nothing can be watched */
        if (!need_hypercall(t)) return 0;
        if (r->value == CALL_PAGE_DISABLED && (!hv_has_synic() || !hv_can_post_messages())) {
            /* a refusal proves something only where the same post succeeds
             * with the page enabled */
            skip(t, "needs a partition where the same post succeeds with the page enabled (SynIC and the PostMessages "
                    "privilege); here a refusal would be for want of them, not of the page");
            return 0;
        }
        if (r->value != CALL_CPL3 || (hv_has_synic() && hv_can_post_messages() && !helper_absent_reason()))
            return need_valid_conn(t, conn, echo);
        *conn = VMBUS_MESSAGE_CONNECTION_ID;
        return 1;
    case RF_SIZE:
        /* the helper can't take 240 bytes (avoid=payload_240, from the
         * profile): VMBus's connection 1 judges the call's status alone */
        if (r->value == HV_MESSAGE_PAYLOAD_MAX && (runner_options()->avoid & AVOID_PAYLOAD_240))
            return need_vmbus_conn(t, conn, "avoid=payload_240: the host helper can't take a 240-byte payload");
        return need_valid_conn(t, conn, echo);
    default:
        return need_valid_conn(t, conn, echo);
    }
}

static void set_synic(uint64_t which, int on)
{
    uint64_t simp = (uint64_t)(uintptr_t)&hv_simp_page;
    if (which == SYNIC_SCONTROL_OFF) wrmsr(HV_X64_MSR_SCONTROL, on ? HV_SCONTROL_ENABLE : 0);
    else wrmsr(HV_X64_MSR_SIMP, on ? simp | HV_SIMP_ENABLE : simp);
}

void rule_test(struct test_ctx *t)
{
    const struct rule *r = t->rule;
    uint32_t conn;
    int echo;
    if (!connection(t, r, &conn, &echo)) return;

    size_t offset = r->field == RF_INPUT_GPA || r->field == RF_INPUT_SPAN ? (size_t)r->value : 0;
    uint32_t size = r->field == RF_SIZE ? (uint32_t)r->value : r->field == RF_NONE ? 64 : 8;
    uint32_t type = r->field == RF_TYPE ? (uint32_t)r->value : TEST_TYPE;
    if (r->field == RF_CONN_RSVD) conn |= (uint32_t)r->value;
    struct hv_post_message_input *in = post_input(offset, conn, type, size);
    if (r->field == RF_RSVDZ) in->rsvdz = (uint32_t)r->value;
    if (size <= HV_MESSAGE_PAYLOAD_MAX) post_canary(in);

    struct call c = { HVCALL_POST_MESSAGE, (uint64_t)(uintptr_t)in, 0, 0, HV_CALL_SENTINEL };
    if (r->field == RF_CONTROL) c.control |= r->value;
    if (r->field == RF_GPA_OUTSIDE) c.in = 1ull << gpa_bits();
    if (r->field == RF_OUTPUT_GPA) c.out = r->value;
    c.raw = r->field == RF_CALL && r->value != CALL_CPL3;

    if (r->field == RF_CALL && r->value == CALL_PAGE_DISABLED && hv_hypercall_locked()) {
        skip(t, "HV_X64_MSR_HYPERCALL was locked by firmware (bit 1): the page can't be disabled until reset");
        return;
    }
    struct fault f;
    int faulted;
    if (r->field == RF_SYNIC) set_synic(r->value, 0);
    if (r->field == RF_CALL && r->value == CALL_PAGE_DISABLED) hv_hypercall_disable();
    if (r->field == RF_CALL && r->value == CALL_CPL3) faulted = user_call(do_call, &c, &f);
    else faulted = fault_catch(do_call, &c, &f);
    if (r->field == RF_SYNIC) set_synic(r->value, 1);
    if (r->field == RF_CALL && r->value == CALL_PAGE_DISABLED) hv_hypercall_enable();

    char want[220];
    status_set_text(want, sizeof want, r->ok);
    uint16_t st = HV_RESULT_STATUS(c.result);
    if (faulted) {
        int from_ok = r->value != CALL_CPL3 || f.from_user;
        observe(t, "fault=%s", fault_mnemonic(f.vector));
        check(t, r->fault && f.vector == r->fault && from_ok, "%s: got %s%s, want %s%s%s", r->what,
              fault_mnemonic(f.vector), f.from_user ? " at CPL3" : "", r->fault ? fault_mnemonic(r->fault) : "",
              r->fault && r->ok ? " or " : "", r->ok ? want : "");
        if (echo) expect_no_message(t, TEST_SINT, 20000, "after a faulting hypercall");
        return;
    }
    if (!r->ok) {
        observe(t, "got=0x%04x", st);
        check(t, 0, "%s: got status 0x%04x %s, want %s", r->what, st, hv_status_name(st), fault_mnemonic(r->fault));
    } else if (!expect_status_in(t, st, r->ok, r->what)) {
        if (echo && st == HV_STATUS_SUCCESS && synic_wait_message(TEST_SINT, 20000)) synic_clear_slot(TEST_SINT);
        return;
    }
    if (!echo) return;
    if (st == HV_STATUS_SUCCESS && r->ok & RULE_OK(HV_STATUS_SUCCESS))
        expect_delivered(t, TEST_SINT, in, r->what);
    else if (st != HV_STATUS_SUCCESS)
        expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}
