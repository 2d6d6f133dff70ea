/* abi.*: the TLFS's general hypercall rules as they apply to
 * HvCallPostMessage. The rows (alignment, page crossing, GPA space, control
 * word, output GPA, CPL3, the page disabled, the raw instruction) are the
 * rule table's (tests/rules_abi.c, run by rule_test). */
#include "hvtest.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"

TEST_RULES(abi);

/* Zeroing GUEST_OS_ID disables the hypercall page (the suite's reset
 * enables it again before the next test). */
TEST_ROW(abi, guest_os_id_zero)
{
    if (!need_hypercall(t)) return;
    if (!check(t, hv_hypercall_enabled(), "the hypercall page is not enabled to begin with")) return;
    uint64_t id = rdmsr(HV_X64_MSR_GUEST_OS_ID);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
    uint64_t msr = rdmsr(HV_X64_MSR_HYPERCALL);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, id);
    check(t, !(msr & 1), "HV_X64_MSR_HYPERCALL reads %#llx after GUEST_OS_ID = 0: enable bit still set",
          (unsigned long long)msr);
}

static void write_hypercall_msr(void *arg) { wrmsr(HV_X64_MSR_HYPERCALL, *(uint64_t *)arg); }

/* With GUEST_OS_ID zero, a write of the enable bit leaves it clear (the
 * suite's reset enables the page again before the next test). */
TEST_ROW(abi, hypercall_enable_no_os_id)
{
    if (!need_hypercall(t)) return;
    if (hv_hypercall_locked()) {
        skip(t, "HV_X64_MSR_HYPERCALL was locked by firmware (bit 1): the page can't be disabled until reset");
        return;
    }
    uint64_t id = rdmsr(HV_X64_MSR_GUEST_OS_ID), value = (uint64_t)(uintptr_t)hv_hypercall_code | HV_HYPERCALL_ENABLE;
    hv_hypercall_disable();
    wrmsr(HV_X64_MSR_GUEST_OS_ID, 0);
    struct fault f;
    int faulted = fault_catch(write_hypercall_msr, &value, &f);
    uint64_t msr = rdmsr(HV_X64_MSR_HYPERCALL);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, id);
    hv_hypercall_enable();
    if (faulted) note(t, "the write raised %s", fault_mnemonic(f.vector));
    check(t, !(msr & HV_HYPERCALL_ENABLE), "HV_X64_MSR_HYPERCALL reads %#llx after %#llx was written with GUEST_OS_ID = 0: "
          "enable bit set", (unsigned long long)msr, (unsigned long long)value);
}

struct gpa_call { uint64_t gpa, result; };
static void call_at(void *arg)
{
    struct gpa_call *c = arg;
    c->result = hv_call(HVCALL_POST_MESSAGE, c->gpa, 0);
}

#define MSR_APIC_BASE 0x1B

/* Input GPAs with no RAM behind them: the GPA space's last page, which
 * nothing backs, and the local APIC's MMIO page (IA32_APIC_BASE, on every
 * x86 machine). There is no input to read, so nothing may be posted. A
 * valid post goes first, so a hypervisor that fell back on a stale copy of
 * the last input would post that one again. */
TEST_ROW(abi, gpa_not_ram)
{
    uint32_t conn;
    int echo;
    if (!need_valid_conn(t, &conn, &echo)) return;
    const uint64_t gpas[2] = { (1ull << gpa_bits()) - HV_PAGE, rdmsr(MSR_APIC_BASE) & ~0xFFFull & ((1ull << gpa_bits()) - 1) };
    static const char *const what[2] = { "unmapped: the GPA space's last page", "MMIO: the local APIC's page" };
    for (int i = 0; i < 2; i++) {
        struct hv_post_message_input *in = post_input(0, conn, TEST_TYPE, 8);
        if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "a valid post first")) return;
        if (echo && !expect_delivered(t, TEST_SINT, in, "the valid post")) return;
        struct gpa_call c = { gpas[i], HV_CALL_SENTINEL };
        struct fault f;
        int faulted = fault_catch(call_at, &c, &f);
        uint16_t st = HV_RESULT_STATUS(c.result);
        if (faulted) note(t, "input GPA %#llx (%s): %s", (unsigned long long)c.gpa, what[i], fault_mnemonic(f.vector));
        else note(t, "input GPA %#llx (%s): status 0x%04x %s", (unsigned long long)c.gpa, what[i], st, hv_status_name(st));
        check(t, faulted || st != HV_STATUS_SUCCESS, "input GPA %#llx (%s): got 0x0000 HV_STATUS_SUCCESS, want a refusal",
              (unsigned long long)c.gpa, what[i]);
        if (echo) expect_no_message(t, TEST_SINT, 20000, "after a post from an input GPA with no RAM behind it");
    }
}
