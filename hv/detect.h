/* Hyper-V detection through CPUID 0x40000000+: what the hypervisor says it
 * is and what this partition may do. */
#ifndef HV_DETECT_H
#define HV_DETECT_H
#include <stdint.h>

struct hv_info {
    int hypervisor_bit;         /* CPUID.1:ECX[31] */
    char vendor[13];            /* 0x40000000 EBX ECX EDX */
    uint32_t max_leaf;
    uint32_t interface;         /* 0x40000001 EAX */
    int is_hyperv;              /* interface "Hv#1" and max leaf >= 0x40000005 */
    uint32_t build, version, service_pack, service_branch_number; /* 0x40000002 */
    uint32_t priv_low, priv_high, features_ecx, features_edx;     /* 0x40000003 */
    uint32_t recommendations, spin_retries;                       /* 0x40000004 */
    uint32_t max_vps, max_lps;                                    /* 0x40000005 */
    char impl[13];              /* "KVMKVMKVM" at 0x40000100 under QEMU/KVM, else "" */
    int cpu_amd;                /* AMD: raw hypercalls use vmmcall */
};

extern struct hv_info hv;

void hv_detect(void);
/* One line each: hypervisor, version, privileges, features, limits. */
void hv_describe(void (*line)(const char *text));
/* Why Hyper-V tests can't run, or NULL when they can. */
const char *hv_absent_reason(void);

static inline int hv_has_synic(void) { return hv.is_hyperv && (hv.priv_low & (1u << 2)); }
static inline int hv_has_hypercall_msrs(void) { return hv.is_hyperv && (hv.priv_low & (1u << 5)); }
static inline int hv_has_vp_index(void) { return hv.is_hyperv && (hv.priv_low & (1u << 6)); }
static inline int hv_can_post_messages(void) { return hv.is_hyperv && (hv.priv_high & (1u << 4)); }

#endif
