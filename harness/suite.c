/* Suite environment (harness/suite.h): detect Hyper-V, set up the hypercall
 * page and SynIC once, and bring them back to a known state between tests
 * (when one ends, and before the next), whatever a test did to them. */
#include "suite.h"
#include "../kernel/console.h"
#include "../hv/clock.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../hv/vmbus.h"
#include "../hv/tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/fmt.h"
#include "../kernel/acpi.h"
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

/* The boot VP directly, the others through the cross-CPU primitive. An AP
 * runs fn in microseconds when it is scheduled; a nested vCPU may not be for
 * a while, so the wait is long, and an AP still busy after it is named: the
 * next test that needs it fails with "busy", and this line says why. */
#define ON_VP_TIMEOUT_US 5000000
static void on_every_vp(void (*fn)(void *), const char *what)
{
    fn(0);
    for (int cpu = 1; cpu < smp_cpus(); cpu++)
        if (smp_run_on(cpu, fn, 0, ON_VP_TIMEOUT_US, 0))
            tap_comment(out, "harness: VP %d did not finish its %s within %d ms", cpu, what,
                        ON_VP_TIMEOUT_US / 1000);
}

/* Each AP's SynIC starts like the boot VP's. */
static void ap_setup(int index)
{
    (void)index;
    vp_reset(0);
}

int suite_time_init(char *why, size_t whylen)
{
    static const struct tsc_source *const sources[] = { &hv_tsc_source, &time_pit_source };
    return time_init(sources, 2, why, whylen);
}

void suite_preamble(struct tap *t, const struct options *o)
{
    out = t;
    vmbus_set_log(line);
    hv_detect();
    hv_describe(line);
    if (hv_absent_reason()) return;

    const char *err = hv_hypercall_enable();
    uint64_t boot = hv_hypercall_msr_at_boot();
    if (boot) tap_comment(t, "hypercall page: HV_X64_MSR_HYPERCALL was %#llx before us (%s%s, GPA %#llx)",
                          (unsigned long long)boot, boot & HV_HYPERCALL_ENABLE ? "enabled" : "disabled",
                          boot & HV_HYPERCALL_LOCKED ? ", locked: its page is used as it is" : "",
                          (unsigned long long)(boot & ~0xFFFull));
    if (err) tap_comment(t, "hypercall page: not enabled: %s", err);
    else tap_comment(t, "hypercall page: enabled at GPA %#llx, %d bytes overlaid by the hypervisor",
                     (unsigned long long)(uintptr_t)hv_hypercall_code, hv_hypercall_page_overlaid());
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
    int madt = acpi_cpu_count();
    int cpus = smp_start(3000000, madt);
    char listed[40] = "";
    if (madt) fmt_snprintf(listed, sizeof listed, " of %d in the MADT", madt);
    if (smp_startup_page())
        tap_comment(t, "cpus: %d running%s (INIT-SIPI-SIPI broadcast, start-up page %#x from the %s)", cpus,
                    listed, smp_startup_page(), smp_startup_source());
    else
        tap_comment(t, "cpus: %d running (APs not started: %s)", cpus, smp_startup_source());
    static const enum helper_probe probe[] = { [OPT_HELPER_AUTO] = HELPER_PROBE_AUTO,
        [OPT_HELPER_TESTDEV] = HELPER_PROBE_ALWAYS, [OPT_HELPER_NONE] = HELPER_PROBE_NEVER };
    helper_detect(probe[o->helper]);
    tap_comment(t, "host helper: %s", helper_name() ? helper_name() : helper_absent_reason());
}

/* Each REQUIRE_* item (harness/cmdline.h): does the guest have it, and why not. */
static int has_item(int k, const char **why)
{
    static const char *const not_hyperv_call = "partition lacks AccessHypercallMsrs (CPUID 0x40000003 EAX bit 5)";
    switch (1u << k) {
    case REQUIRE_HYPERV: *why = hv_absent_reason(); return !*why;
    case REQUIRE_HYPERCALL: *why = not_hyperv_call; return hv_has_hypercall_msrs();
    case REQUIRE_SYNIC: *why = "no SynIC: CPUID 0x40000003 EAX bit 2 (AccessSynicRegs) clear"; return hv_has_synic();
    case REQUIRE_NOSYNIC: *why = "the partition has a SynIC (CPUID 0x40000003 EAX bit 2)"; return !hv_has_synic();
    case REQUIRE_POST: *why = "no PostMessages privilege (CPUID 0x40000003 EBX bit 4)"; return hv_can_post_messages();
    case REQUIRE_NOPOST: *why = "the partition holds the PostMessages privilege (CPUID 0x40000003 EBX bit 4)";
        return !hv_can_post_messages();
    case REQUIRE_HELPER: *why = helper_absent_reason(); return helper_name() != 0;
    case REQUIRE_VMBUS: {
        static char text[120];
        if (!hv_has_synic() || !hv_can_post_messages()) { *why = "no SynIC or no PostMessages privilege to reach VMBus"; return 0; }
        uint16_t st = vmbus_probe();
        fmt_snprintf(text, sizeof text, "VMBus's message connection 1 refused a post (0x%04x %s)", st, hv_status_name(st));
        *why = text;
        return st == HV_STATUS_SUCCESS;
    }
    }
    *why = "unknown item";
    return 0;
}

int suite_require(struct tap *t, const struct options *o, char *why, size_t whylen)
{
    char found[240];
    size_t n = 0;
    const char *missing = 0, *reason = 0;
    if (!o->require && !o->require_vps) return 0;
    for (int k = 0; k < REQUIRE_COUNT; k++) {
        if (!(o->require & (1u << k))) continue;
        const char *r;
        int yes = has_item(k, &r);
        n += (size_t)fmt_snprintf(found + n, sizeof found - n, "%s%s %s", n ? ", " : "", require_names[k], yes ? "yes" : "no");
        if (!yes && !missing) { missing = require_names[k]; reason = r; }
    }
    fmt_snprintf(found + n, sizeof found - n, "%svps %d", n ? ", " : "", smp_cpus());
    tap_comment(t, "found (require=): %s", found);
    if (!missing && smp_cpus() < o->require_vps) {
        fmt_snprintf(why, whylen, "the configuration requires %d VPs and %d run here (%s)", o->require_vps, smp_cpus(),
                     smp_startup_page() ? "the others did not start" : smp_startup_source());
        return -1;
    }
    if (!missing) return 0;
    fmt_snprintf(why, whylen, "the configuration requires %s, which this guest lacks: %s", missing, reason ? reason : "");
    return -1;
}

/* When a test ends, before its result is printed, so a VM death in it is
 * the test's: what it left in flight lands, its connections are flushed,
 * and every VP's SynIC starts over (the last EOM is here). Every message
 * the drain and the flush take is a stray (suite_strays): the runner fails
 * the test with it unless the test said it leaves messages. */
static int quiesced, tests_begun, timed_noted;

void suite_quiesce(void)
{
    cli();
    if (hv_absent_reason()) return;
    on_every_vp(vp_drain, "drain");
    helper_quiesce();
    if (hv_has_hypercall_msrs() && !hv_hypercall_enabled()) hv_hypercall_enable();
    vmbus_hygiene(0);       /* a contact a test left open ends with UNLOAD */
    on_every_vp(vp_reset, "reset");
    console_sync_mark();
    quiesced = 1;
}

/* Before each test. QEMU finishes what the quiesce set going in its main
 * loop: the test device's completion of each flush marker (until then a
 * post to that connection is refused, and a destroyed one loses its route
 * late) and the acknowledgements KVM signals for every EOM
 * (hw/hyperv/hyperv.c sint_ack_handler schedules sint_msg_bh: one that ran
 * during the next test would take that test's queued message as
 * acknowledged and retry it early). With a host helper,
 * console_sync_host() shows that done (the result line and "# running"
 * are the two console writes since the quiesce's mark) or waits; a run
 * where it had to wait between tests says so once. Before the first test
 * nothing was written since the mark: console_sync_now writes the proof
 * (on COM1 it waits, unsaid: the note after a test covers every wait). */
void suite_reset(void)
{
    cli();
    if (hv_absent_reason()) return;
    if (!quiesced) suite_quiesce();
    quiesced = 0;
    enum console_sync synced = !helper_name() ? CONSOLE_SYNC_PROVEN : tests_begun ? console_sync_host()
                               : console_sync_now(1, "the harness's setup done before the first test");
    if (synced == CONSOLE_SYNC_TIMED && tests_begun && !timed_noted) {
        timed_noted = 1;
        tap_comment(out, "isolation: between tests the harness waited %d ms for the host's event loop "
                    "instead of seeing it run (a virtio console shows it: console=virtio)", CONSOLE_SYNC_WAIT_US / 1000);
    }
    tests_begun = 1;
    helper_reset();
    hv_clear_io_pages();
    /* the reset zeroed the SIM pages: a message in VP 0's now came after
     * the last test's drain */
    if (hv_has_synic()) synic_take_strays();
}

int suite_strays(char *buf, size_t size)
{
    int total = 0, first = -1;
    for (int cpu = 0; cpu < smp_cpus() && cpu < MAX_CPUS; cpu++) {
        if (synic_strays[cpu].count && first < 0) first = cpu;
        total += (int)synic_strays[cpu].count;
    }
    if (first >= 0) {
        const struct synic_stray *s = &synic_strays[first];
        fmt_snprintf(buf, size, "a message arrived where the test expected none, found by the harness after the test's "
                     "checks: VP %d SINT%d type %#x size %u (%d in all)", first, s->sint, s->type, s->size, total);
    }
    for (int cpu = 0; cpu < MAX_CPUS; cpu++) synic_strays[cpu] = (struct synic_stray){ 0 };
    return total;
}

void suite_finish(void)
{
    cli();
    if (hv_absent_reason() || !vmbus_contact_open()) return;
    if (hv_has_synic()) vp_drain(0);        /* SIM page on, for UNLOAD_RESPONSE */
    if (hv_has_hypercall_msrs() && !hv_hypercall_enabled()) hv_hypercall_enable();
    vmbus_hygiene(1);
}
