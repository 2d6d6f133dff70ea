/* hv.*: the Hyper-V interface this suite stands on: CPUID, the hypercall
 * page, the synthetic MSRs. */
#include "hvtest.h"
#include "../hv/detect.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"

/* Hyper-V was detected by its interface signature (hv_absent_reason); what
 * the TLFS then promises about the leaves, each check able to fail. */
TEST(hv, detect, NORMATIVE, "TLFS online 'Feature and Interface Discovery', 6.0b 2.4 Hypervisor CPUID Leaf Range: "
     "0x40000000 EAX 'The maximum input value for hypervisor CPUID information. On Microsoft hypervisors, this will be at "
     "least 0x40000005'; EBX-EDX the vendor ID signature; 6.0b 2.4.4: a partition with AccessSynicRegs needs "
     "AccessHypercallMsrs to post (SynIC messages are sent with hypercalls)")
{
    if (!need_hyperv(t)) return;
    check(t, hv.max_leaf >= HV_CPUID_IMPLEMENT_LIMITS && hv.max_leaf <= 0x400000FFu,
          "max leaf %#x, want 0x40000005..0x400000ff", hv.max_leaf);
    check(t, hv.vendor[0] != '\0', "empty vendor signature (CPUID 0x40000000 EBX-EDX)");
    if (hv_has_synic()) check(t, hv_has_hypercall_msrs(), "AccessSynicRegs without AccessHypercallMsrs");
}

/* TLFS "Hypercall Page": the hypervisor overlays the page with a sequence
 * that makes the hypercall and returns. Poisoned with `ret` before enabling. */
TEST(hv, hypercall_page, NORMATIVE, "TLFS online 'Hypercall Interface' (Establishing the Hypercall Interface), 6.0b 3.13: the enable bit and GPFN read back, and the page is an overlay the hypervisor fills ('the guest ... issues a CALL to the beginning of the hypercall page')")
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
TEST(hv, unknown_call_code, NORMATIVE, "TLFS online 'Hypercall Interface', 6.0b 3.12 Common Hypercall Status Codes: HV_STATUS_INVALID_HYPERCALL_CODE 'The hypercall code is not recognized.'")
{
    if (!need_hypercall(t)) return;
    expect_status(t, HV_RESULT_STATUS(hv_call(HVCALL_UNKNOWN_PROBE, 0, 0)), HV_STATUS_INVALID_HYPERCALL_CODE, "call code 0x0fff via page");
    expect_status(t, HV_RESULT_STATUS(hv_call_raw(HVCALL_UNKNOWN_PROBE, 0, 0)), HV_STATUS_INVALID_HYPERCALL_CODE, "call code 0x0fff raw");
}

/* GUEST_OS_ID is read/write (TLFS "Reporting the Guest OS Identity") */
TEST(hv, guest_os_id, NORMATIVE, "TLFS online 'Partition Properties' / 6.0b 2.6 Reporting the Guest OS Identity: HV_X64_MSR_GUEST_OS_ID is written by the guest and read back")
{
    if (!need_hypercall(t)) return;
    uint64_t v = rdmsr(HV_X64_MSR_GUEST_OS_ID);
    check(t, v == HV_GUEST_OS_ID_HVCONFORM, "GUEST_OS_ID reads %#llx, want %#llx", (unsigned long long)v, (unsigned long long)HV_GUEST_OS_ID_HVCONFORM);
}

/* SynIC MSRs read back what was written (TLFS "SynIC MSRs") */
TEST(hv, synic_msrs, NORMATIVE, "TLFS online 'Inter-Partition Communication' (SynIC MSRs), 6.0b 11.8: SCONTROL, SIMP, SIEFP and SINTx are read/write; SVERSION reads 0x00000001")
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
TEST(hv, synic_msrs_absent, READING, "reading: TLFS 6.0b 2.4.4 AccessSynicRegs 'The partition has access to the synthetic MSRs associated with the SynIC'; taken: without it the MSRs don't exist and RDMSR raises #GP as for any unimplemented MSR")
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
TEST(hv, vp_index, READING, "reading: TLFS 6.0b 7.8.1 / online 'Virtual Processors': the VP index identifies a VP; taken: the boot VP is VP 0, as Hyper-V and KVM number them")
{
    if (!need_hyperv(t)) return;
    if (!hv_has_vp_index()) { skip(t, "partition lacks AccessVpIndex (CPUID 0x40000003 EAX bit 6; QEMU: hv-vpindex)"); return; }
    uint64_t v = rdmsr(HV_X64_MSR_VP_INDEX);
    check(t, v == 0, "boot VP's VP_INDEX is %llu, want 0", (unsigned long long)v);
}
