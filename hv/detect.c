#include "detect.h"
#include "tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"

struct hv_info hv;

static void sig(char out[13], struct cpuid r)
{
    memcpy(out, &r.b, 4);
    memcpy(out + 4, &r.c, 4);
    memcpy(out + 8, &r.d, 4);
    out[12] = '\0';
    for (int i = 0; i < 12; i++)        /* keep the log printable */
        if (out[i] && (out[i] < 0x20 || out[i] > 0x7e)) out[i] = '?';
}

void hv_detect(void)
{
    memset(&hv, 0, sizeof hv);
    struct cpuid v = cpuid(0, 0);
    hv.cpu_amd = v.b == 0x68747541u;    /* "AuthenticAMD" */
    hv.hypervisor_bit = (cpuid(1, 0).c >> 31) & 1;
    if (!hv.hypervisor_bit) return;

    struct cpuid r = cpuid(HV_CPUID_VENDOR_AND_MAX, 0);
    hv.max_leaf = r.a;
    sig(hv.vendor, r);
    if (hv.max_leaf < HV_CPUID_INTERFACE) return;
    hv.interface = cpuid(HV_CPUID_INTERFACE, 0).a;
    hv.is_hyperv = hv.interface == HV_INTERFACE_HV1 && hv.max_leaf >= HV_CPUID_IMPLEMENT_LIMITS;
    if (!hv.is_hyperv) return;

    r = cpuid(HV_CPUID_VERSION, 0);
    hv.build = r.a; hv.version = r.b; hv.service_pack = r.c; hv.service_branch_number = r.d;
    r = cpuid(HV_CPUID_FEATURES, 0);
    hv.priv_low = r.a; hv.priv_high = r.b; hv.features_ecx = r.c; hv.features_edx = r.d;
    r = cpuid(HV_CPUID_ENLIGHTENMENT_INFO, 0);
    hv.recommendations = r.a; hv.spin_retries = r.b;
    r = cpuid(HV_CPUID_IMPLEMENT_LIMITS, 0);
    hv.max_vps = r.a; hv.max_lps = r.b;

    /* KVM puts its own signature at 0x40000100 when it offers Hyper-V's */
    r = cpuid(HV_CPUID_KVM_BASE, 0);
    sig(hv.impl, r);
    if (strcmp(hv.impl, "KVMKVMKVM") != 0) hv.impl[0] = '\0';
}

const char *hv_absent_reason(void)
{
    if (!hv.hypervisor_bit) return "no hypervisor (CPUID.1:ECX[31] clear)";
    if (!hv.is_hyperv) return "hypervisor does not offer the Hyper-V interface (CPUID 0x40000001 EAX is not \"Hv#1\")";
    return 0;
}

static const char *const low_names[] = {
    "AccessVpRunTimeReg", "AccessPartitionReferenceCounter", "AccessSynicRegs", "AccessSyntheticTimerRegs",
    "AccessIntrCtrlRegs", "AccessHypercallMsrs", "AccessVpIndex", "AccessResetReg", "AccessStatsReg",
    "AccessPartitionReferenceTsc", "AccessGuestIdleReg", "AccessFrequencyRegs", "AccessDebugRegs",
    "AccessReenlightenmentControls",
};
static const char *const high_names[] = {
    "CreatePartitions", "AccessPartitionId", "AccessMemoryPool", "bit35", "PostMessages", "SignalEvents",
    "CreatePort", "ConnectPort", "AccessStats", "bit41", "bit42", "Debugging", "CpuManagement", "bit45",
    "bit46", "bit47", "AccessVSM", "AccessVpRegisters", "bit50", "bit51", "EnableExtendedHypercalls",
    "StartVirtualProcessor",
};

/* "name name ..." for each set bit; unnamed bits print as bitN. */
static void bits(char *buf, size_t size, uint32_t v, const char *const *names, int nnames, int base)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 0; i < 32 && n < size; i++) {
        if (!(v & (1u << i))) continue;
        n += i < nnames ? (size_t)fmt_snprintf(buf + n, size - n, " %s", names[i])
                        : (size_t)fmt_snprintf(buf + n, size - n, " bit%d", base + i);
    }
}

void hv_describe(void (*line)(const char *text))
{
    char buf[480], list[400];
    if (!hv.hypervisor_bit) { line("hypervisor: none (CPUID.1:ECX[31] clear)"); return; }
    fmt_snprintf(buf, sizeof buf, "hypervisor: vendor \"%s\" max leaf %#x interface %#x%s%s%s",
                 hv.vendor, hv.max_leaf, hv.interface,
                 hv.interface == HV_INTERFACE_HV1 ? " \"Hv#1\"" : " (not Hv#1)",
                 hv.impl[0] ? " implementation " : "", hv.impl[0] ? "QEMU/KVM (KVMKVMKVM at 0x40000100)" : "");
    line(buf);
    if (!hv.is_hyperv) return;
    fmt_snprintf(buf, sizeof buf, "version: build %u version %u.%u service pack %u branch %u/%u",
                 hv.build, hv.version >> 16, hv.version & 0xFFFF, hv.service_pack,
                 hv.service_branch_number >> 24, hv.service_branch_number & 0xFFFFFF);
    line(buf);
    bits(list, sizeof list, hv.priv_low, low_names, 14, 0);
    fmt_snprintf(buf, sizeof buf, "privileges (0x40000003 EAX %#x):%s", hv.priv_low, list[0] ? list : " none");
    line(buf);
    bits(list, sizeof list, hv.priv_high, high_names, 22, 32);
    fmt_snprintf(buf, sizeof buf, "privileges (0x40000003 EBX %#x):%s", hv.priv_high, list[0] ? list : " none");
    line(buf);
    fmt_snprintf(buf, sizeof buf, "features: 0x40000003 ECX %#x EDX %#x; recommendations 0x40000004 EAX %#x spin retries %#x",
                 hv.features_ecx, hv.features_edx, hv.recommendations, hv.spin_retries);
    line(buf);
    fmt_snprintf(buf, sizeof buf, "limits: max VPs %u, max LPs %u; cpu vendor %s (raw hypercall: %s)",
                 hv.max_vps, hv.max_lps, hv.cpu_amd ? "AMD" : "Intel/other", hv.cpu_amd ? "vmmcall" : "vmcall");
    line(buf);
}
