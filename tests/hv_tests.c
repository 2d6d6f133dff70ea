/* hv.*: the Hyper-V interface this suite stands on: CPUID, the hypercall
 * page, the synthetic MSRs. */
#include "hvtest.h"
#include "../hv/detect.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"

/* TLFS "Hypervisor Discovery": max leaf >= 0x40000005 with "Hv#1" */
TEST(hv, detect)
{
    if (!need_hyperv(t)) return;
    check(t, hv.max_leaf >= HV_CPUID_IMPLEMENT_LIMITS, "max leaf %#x, want >= 0x40000005", hv.max_leaf);
    check(t, hv.interface == HV_INTERFACE_HV1, "interface %#x, want 0x31237648 (\"Hv#1\")", hv.interface);
    check(t, hv.vendor[0] != '\0', "empty vendor signature");
    /* a partition with SynIC registers must also be able to call the hypervisor */
    if (hv_has_synic()) check(t, hv_has_hypercall_msrs(), "AccessSynicRegs without AccessHypercallMsrs");
}

/* TLFS "Hypercall Page": the hypervisor overlays the page with a sequence
 * that makes the hypercall and returns. Poisoned with `ret` before enabling. */
TEST(hv, hypercall_page)
{
    if (!need_hypercall(t)) return;
    check(t, hv_hypercall_enabled(), "HV_X64_MSR_HYPERCALL enable bit clear after enabling");
    uint64_t msr = rdmsr(HV_X64_MSR_HYPERCALL);
    check(t, (msr & ~0xFFFull) == (uint64_t)(uintptr_t)hv_hypercall_code,
          "HV_X64_MSR_HYPERCALL reads %#llx, want GPA %#llx", (unsigned long long)msr, (unsigned long long)(uintptr_t)hv_hypercall_code);
    check(t, hv_hypercall_page_overlaid() > 0, "the hypercall page still holds only our `ret` poison: never overlaid");
    uint64_t r = hv_call(HVCALL_UNKNOWN_PROBE, 0, 0);
    check(t, r != HV_CALL_SENTINEL, "calling the page returned without a hypercall (RAX untouched)");
}

/* TLFS: an unrecognized call code -> HV_STATUS_INVALID_HYPERCALL_CODE */
TEST(hv, unknown_call_code)
{
    if (!need_hypercall(t)) return;
    expect_status(t, HV_RESULT_STATUS(hv_call(HVCALL_UNKNOWN_PROBE, 0, 0)), HV_STATUS_INVALID_HYPERCALL_CODE, "call code 0x0fff via page");
    expect_status(t, HV_RESULT_STATUS(hv_call_raw(HVCALL_UNKNOWN_PROBE, 0, 0)), HV_STATUS_INVALID_HYPERCALL_CODE, "call code 0x0fff raw");
}

/* GUEST_OS_ID is read/write (TLFS "Reporting the Guest OS Identity") */
TEST(hv, guest_os_id)
{
    if (!need_hypercall(t)) return;
    uint64_t v = rdmsr(HV_X64_MSR_GUEST_OS_ID);
    check(t, v == HV_GUEST_OS_ID_HVCONFORM, "GUEST_OS_ID reads %#llx, want %#llx", (unsigned long long)v, (unsigned long long)HV_GUEST_OS_ID_HVCONFORM);
}

/* SynIC MSRs read back what was written (TLFS "SynIC MSRs") */
TEST(hv, synic_msrs)
{
    if (!need_synic(t)) return;
    uint64_t simp = rdmsr(HV_X64_MSR_SIMP), siefp = rdmsr(HV_X64_MSR_SIEFP), sc = rdmsr(HV_X64_MSR_SCONTROL);
    check(t, simp == ((uint64_t)(uintptr_t)&hv_simp_page | HV_SIMP_ENABLE), "SIMP reads %#llx", (unsigned long long)simp);
    check(t, siefp == ((uint64_t)(uintptr_t)hv_siefp_page | HV_SIEFP_ENABLE), "SIEFP reads %#llx", (unsigned long long)siefp);
    check(t, sc & HV_SCONTROL_ENABLE, "SCONTROL reads %#llx, enable bit clear", (unsigned long long)sc);
    synic_sint_set(5, SINT_VECTOR(5), 0, 1);
    uint64_t s5 = rdmsr(HV_X64_MSR_SINT0 + 5);
    check(t, (s5 & 0x7FFFF) == (SINT_VECTOR(5) | HV_SINT_AUTO_EOI), "SINT5 reads %#llx, want vector %#x + AutoEoi", (unsigned long long)s5, SINT_VECTOR(5));
    uint64_t sv = rdmsr(HV_X64_MSR_SVERSION);
    check(t, sv == 1, "SVERSION reads %#llx, want 1 (TLFS)", (unsigned long long)sv);
}

static void read_scontrol(void *arg) { *(uint64_t *)arg = rdmsr(HV_X64_MSR_SCONTROL); }

/* Without AccessSynicRegs the SynIC MSRs don't exist: #GP (TLFS: MSRs a
 * partition has no privilege for are not present) */
TEST(hv, synic_msrs_absent)
{
    if (!need_hyperv(t)) return;
    if (hv_has_synic()) { skip(t, "SynIC is offered; this checks a partition without AccessSynicRegs (QEMU: no hv-synic, with hv-enforce-cpuid)"); return; }
    struct fault f;
    uint64_t v = 0;
    int faulted = fault_catch(read_scontrol, &v, &f);
    check(t, faulted && f.vector == VEC_GP, "rdmsr SCONTROL without AccessSynicRegs: got %s (value %#llx), want #GP",
          faulted ? fault_mnemonic(f.vector) : "no fault", (unsigned long long)v);
}

/* VP_INDEX of the boot VP is 0 (QEMU/KVM and Hyper-V number from 0) */
TEST(hv, vp_index)
{
    if (!need_hyperv(t)) return;
    if (!hv_has_vp_index()) { skip(t, "partition lacks AccessVpIndex (CPUID 0x40000003 EAX bit 6; QEMU: hv-vpindex)"); return; }
    uint64_t v = rdmsr(HV_X64_MSR_VP_INDEX);
    check(t, v == 0, "boot VP's VP_INDEX is %llu, want 0", (unsigned long long)v);
}
