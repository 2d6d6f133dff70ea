/* Hyper-V's own time for the kernel's TSC calibration (kernel/time.h):
 * the TSC frequency MSR when CPUID allows it (0x40000003 EAX bit 11
 * AccessFrequencyRegs AND EDX bit 8, as Linux's mshyperv.c checks), else
 * a measurement against the partition reference counter (EAX bit 1, 100 ns
 * units). Not Hyper-V: TSC_NOT_HERE, the next source (the PIT) decides.
 * Hyper-V without either (QEMU without hv-frequencies and hv-time) is also
 * TSC_NOT_HERE, with a note; real Hyper-V always has the reference counter. */
#include "clock.h"
#include "detect.h"
#include "tlfs.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"
#include "../kernel/fmt.h"

#define REF_HZ 10000000ull              /* the reference counter counts 100 ns */
#define REF_WINDOW 500000ull            /* 50 ms */
#define MAX_READS 20000000u

struct msr_read { uint32_t msr; uint64_t value; };
static void do_rdmsr(void *arg) { struct msr_read *m = arg; m->value = rdmsr(m->msr); }

/* rdmsr that reports a #GP instead of dying: 0 on success. */
static int safe_rdmsr(uint32_t msr, uint64_t *v, char *why, size_t len)
{
    struct msr_read m = { msr, 0 };
    struct fault f;
    if (fault_catch(do_rdmsr, &m, &f)) {
        char what[120];
        fault_describe(what, sizeof what, &f);
        fmt_snprintf(why, len, "rdmsr %#x raised %s although CPUID offers it", msr, what);
        return -1;
    }
    *v = m.value;
    return 0;
}

static enum tsc_result by_ref_counter(struct tsc_reading *r)
{
    uint64_t first, cur, start, t0, t1;
    uint32_t reads = 0;
    if (safe_rdmsr(HV_X64_MSR_TIME_REF_COUNT, &first, r->why, sizeof r->why)) return TSC_FAILED;
    cur = first;
    while (cur == first) {              /* start on a counter step */
        if (++reads > MAX_READS) goto stuck;
        cur = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    }
    t0 = rdtsc();
    start = cur;
    while (cur - start < REF_WINDOW) {
        if (++reads > MAX_READS) goto stuck;
        cur = rdmsr(HV_X64_MSR_TIME_REF_COUNT);
    }
    t1 = rdtsc();
    r->hz = time_hz_from(t1 - t0, cur - start, REF_HZ);
    r->source = "HV_X64_MSR_TIME_REF_COUNT";
    return TSC_OK;
stuck:
    fmt_snprintf(r->why, sizeof r->why, "HV_X64_MSR_TIME_REF_COUNT advanced %llu units (of %llu) in %u reads",
                 (unsigned long long)(cur - first), (unsigned long long)REF_WINDOW, MAX_READS);
    return TSC_FAILED;
}

static enum tsc_result hv_measure(struct tsc_reading *r)
{
    hv_detect();
    if (!hv.is_hyperv) return TSC_NOT_HERE;
    if ((hv.priv_low & HV_ACCESS_FREQUENCY_REGS) && (hv.features_edx & HV_FEATURE_FREQUENCY_MSRS_AVAILABLE)) {
        if (safe_rdmsr(HV_X64_MSR_TSC_FREQUENCY, &r->hz, r->why, sizeof r->why)) return TSC_FAILED;
        r->source = "HV_X64_MSR_TSC_FREQUENCY";
        return TSC_OK;
    }
    if (hv.priv_low & HV_ACCESS_PARTITION_REF_CNT) return by_ref_counter(r);
    fmt_snprintf(r->note, sizeof r->note, "no HV_X64_MSR_TSC_FREQUENCY (CPUID 0x40000003 EAX bit 11 + EDX bit 8) "
                 "nor HV_X64_MSR_TIME_REF_COUNT (EAX bit 1) offered (QEMU: hv-frequencies, hv-time)");
    return TSC_NOT_HERE;
}

const struct tsc_source hv_tsc_source = { "Hyper-V", hv_measure };
