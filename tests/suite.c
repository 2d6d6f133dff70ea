/* Suite environment (tests/suite.h): detect Hyper-V, set up the hypercall
 * page and SynIC once, and bring them back to a known state before every
 * test, whatever the previous test did to them. */
#include "suite.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../hv/tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/smp.h"
#include "../kernel/time.h"

static struct tap *out;
static void line(const char *text) { tap_comment(out, "%s", text); }

/* Let messages still queued for this VP land (a test may have left its
 * SynIC or SIM page off), so none arrives in a later test. */
static void vp_drain(void *arg)
{
    (void)arg;
    if (!hv_has_synic()) return;
    wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&hv_simp_pages[cpu_index()] | HV_SIMP_ENABLE);
    synic_drain();
}

static void vp_reset(void *arg)
{
    (void)arg;
    if (hv_has_synic()) synic_reset();
}

/* The boot VP directly, the others through the cross-CPU primitive. */
static void on_every_vp(void (*fn)(void *))
{
    fn(0);
    for (int cpu = 1; cpu < smp_cpus(); cpu++) smp_run_on(cpu, fn, 0, 200000, 0);
}

/* Each AP's SynIC starts like the boot VP's. */
static void ap_setup(int index)
{
    (void)index;
    vp_reset(0);
}

void suite_preamble(struct tap *t)
{
    out = t;
    hv_detect();
    hv_describe(line);
    if (hv_absent_reason()) return;

    if (hv.priv_low & HV_ACCESS_FREQUENCY_REGS) {
        time_set_tsc_hz(rdmsr(HV_X64_MSR_TSC_FREQUENCY), "HV_X64_MSR_TSC_FREQUENCY");
        tap_comment(t, "tsc: %llu Hz (%s)", (unsigned long long)time_tsc_hz(), time_source());
    }
    const char *err = hv_hypercall_enable();
    if (err) tap_comment(t, "hypercall page: not enabled: %s", err);
    else tap_comment(t, "hypercall page: enabled at GPA %#llx, %d bytes overlaid by the hypervisor",
                     (unsigned long long)(uintptr_t)hv_hypercall_page, hv_hypercall_page_overlaid());
    if (hv_has_synic()) {
        synic_init();
        synic_reset();
        tap_comment(t, "synic: SIMP at %#llx, SIEFP at %#llx, SVERSION %#llx",
                    (unsigned long long)(uintptr_t)&hv_simp_page, (unsigned long long)(uintptr_t)hv_siefp_page,
                    (unsigned long long)rdmsr(HV_X64_MSR_SVERSION));
    } else {
        tap_comment(t, "synic: not offered (CPUID 0x40000003 EAX bit 2 AccessSynicRegs clear)");
    }
    smp_ap_setup = ap_setup;
    tap_comment(t, "cpus: %d running (INIT-SIPI-SIPI broadcast)", smp_start(500000));
    helper_detect();
    tap_comment(t, "host helper: %s", helper_name() ? helper_name() : helper_absent_reason());
}

void suite_reset(void)
{
    cli();
    if (hv_absent_reason()) return;
    on_every_vp(vp_drain);
    helper_reset();         /* connections go only once nothing is in flight */
    if (hv_has_hypercall_msrs() && !hv_hypercall_enabled()) hv_hypercall_enable();
    on_every_vp(vp_reset);
    hv_clear_io_pages();
}
