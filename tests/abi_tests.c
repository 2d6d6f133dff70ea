/* abi.*: the TLFS's general hypercall rules as they apply to
 * HvCallPostMessage. The rows (alignment, page crossing, GPA space, control
 * word, output GPA, CPL3, the page disabled, the raw instruction) are the
 * rule table's (tests/rules_abi.c, run by rule_test). */
#include "hvtest.h"
#include "../hv/hypercall.h"
#include "../kernel/cpu.h"

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
