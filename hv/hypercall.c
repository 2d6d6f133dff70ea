#include "hypercall.h"
#include "detect.h"
#include "tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/fmt.h"
#include "../kernel/string.h"

uint8_t hv_input_pages[2 * HV_PAGE] __attribute__((aligned(HV_PAGE)));
uint8_t hv_output_page[HV_PAGE] __attribute__((aligned(HV_PAGE)));
uint8_t hv_hypercall_page[HV_PAGE] __attribute__((aligned(HV_PAGE)));

#define POISON 0xC3     /* ret: calling a page nobody overlaid returns at once */

uint8_t *hv_hypercall_code = hv_hypercall_page;
static int msr_read, locked;
static uint64_t msr_at_boot;

/* TLFS "Establishing the Hypercall Interface": HV_X64_MSR_HYPERCALL bit 0
 * enables the page, bit 1 locks the MSR (no change until reset), bits 63:12
 * are the page's GPA. Firmware may have left it enabled, or locked: read it
 * first; a locked MSR is never rewritten and its page is the one we call. */
const char *hv_hypercall_enable(void)
{
    static char why[160];
    if (!hv_has_hypercall_msrs()) return "partition lacks AccessHypercallMsrs (CPUID 0x40000003 EAX bit 5)";
    uint64_t cur = rdmsr(HV_X64_MSR_HYPERCALL);
    if (!msr_read) { msr_read = 1; msr_at_boot = cur; }
    if (cur & HV_HYPERCALL_LOCKED) {
        locked = 1;
        uint64_t gpa = cur & ~0xFFFull;
        if (!(cur & HV_HYPERCALL_ENABLE)) {
            fmt_snprintf(why, sizeof why, "HV_X64_MSR_HYPERCALL is locked with the page disabled (%#llx)", (unsigned long long)cur);
            return why;
        }
        if (gpa >= (4ull << 30)) {
            fmt_snprintf(why, sizeof why, "HV_X64_MSR_HYPERCALL is locked on a page above 4 GiB (%#llx), which this kernel doesn't map",
                         (unsigned long long)cur);
            return why;
        }
        if (!rdmsr(HV_X64_MSR_GUEST_OS_ID)) wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_HVCONFORM);
        hv_hypercall_code = (uint8_t *)(uintptr_t)gpa;
        return 0;
    }
    hv_hypercall_code = hv_hypercall_page;
    memset(hv_hypercall_page, POISON, sizeof hv_hypercall_page);
    wrmsr(HV_X64_MSR_GUEST_OS_ID, HV_GUEST_OS_ID_HVCONFORM);
    wrmsr(HV_X64_MSR_HYPERCALL, (uint64_t)hv_hypercall_page | HV_HYPERCALL_ENABLE);
    if (!(rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE)) return "HV_X64_MSR_HYPERCALL enable bit did not stick";
    return 0;
}

uint64_t hv_hypercall_msr_at_boot(void) { return msr_at_boot; }
int hv_hypercall_locked(void) { return locked; }

void hv_hypercall_disable(void)
{
    if (!locked) wrmsr(HV_X64_MSR_HYPERCALL, 0);
}

int hv_hypercall_enabled(void)
{
    return hv_has_hypercall_msrs() && (rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE);
}

int hv_hypercall_page_overlaid(void)
{
    int n = 0;
    for (int i = 0; i < HV_PAGE; i++) n += hv_hypercall_code[i] != POISON;
    return n;
}

/* The x64 hypercall ABI preserves everything but RAX and the Microsoft-ABI
 * volatile registers. */
uint64_t hv_call(uint64_t control, uint64_t input_gpa, uint64_t output_gpa)
{
    uint64_t ret = HV_CALL_SENTINEL;
    register uint64_t r8 __asm__("r8") = output_gpa;
    __asm__ volatile("call *%[page]"
                     : "+a"(ret), "+c"(control), "+d"(input_gpa), "+r"(r8)
                     : [page] "r"((uint64_t)(uintptr_t)hv_hypercall_code)
                     : "r9", "r10", "r11", "memory", "cc");
    return ret;
}

uint64_t hv_call_raw(uint64_t control, uint64_t input_gpa, uint64_t output_gpa)
{
    uint64_t ret = HV_CALL_SENTINEL;
    register uint64_t r8 __asm__("r8") = output_gpa;
    if (hv.cpu_amd)
        __asm__ volatile("vmmcall" : "+a"(ret), "+c"(control), "+d"(input_gpa), "+r"(r8)
                         :: "r9", "r10", "r11", "memory", "cc");
    else
        __asm__ volatile("vmcall" : "+a"(ret), "+c"(control), "+d"(input_gpa), "+r"(r8)
                         :: "r9", "r10", "r11", "memory", "cc");
    return ret;
}

void hv_clear_io_pages(void)
{
    memset(hv_input_pages, 0, sizeof hv_input_pages);
    memset(hv_output_page, 0, sizeof hv_output_page);
}
