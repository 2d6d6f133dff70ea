/* Latency benchmark (bench_run, harness/runner.h). Every figure is N samples of one
 * operation timed with the TSC (lfence; rdtsc on both sides), sorted with a
 * heapsort on a static array, reported as min, median, p99 (nearest rank)
 * and max. Figures:
 *   post_error   HvCallPostMessage to a connection id nobody created
 *                (INVALID_CONNECTION_ID): the hypercall's error path
 *   post_success HvCallPostMessage to a helper connection, the call alone;
 *                slot drained and EOM written between samples, untimed
 *   post_to_slot from before the call until the message is seen in the SIM
 *                slot (polling)
 *   post_to_irq  from before the call until the SINT's interrupt handler ran
 *                (its rdtsc, hv/synic.h sint_records[].last_tsc)
 *   null_hypercall  call code 0x0FFF (unassigned): the cheapest hypercall
 *   cpuid        CPUID leaf 0x40000000: the cheapest exit
 * Without bench_iters= each figure samples until it has BENCH_DEFAULT_MAX
 * samples or its share of a ~1 s budget is used (at least BENCH_MIN). Every
 * wait is bounded; a figure whose operation fails is reported and skipped. */
#include "hvtest.h"
#include "../harness/runner.h"
#include "../harness/suite.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/time.h"

#define BENCH_MAX OPT_MAX_BENCH_ITERS
#define BENCH_DEFAULT_MAX 5000u
#define BENCH_MIN 50u
#define BENCH_BUDGET_US 1000000u            /* whole run, default mode */
#define BENCH_FIGURES 6
#define BENCH_WAIT_US 100000u                /* one message / interrupt */

static uint64_t samples[BENCH_MAX];

static inline uint64_t tsc_begin(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}
static inline uint64_t tsc_end(void) { return tsc_begin(); }

static void sift(uint64_t *a, uint32_t root, uint32_t n)
{
    for (;;) {
        uint32_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && a[c + 1] > a[c]) c++;
        if (a[root] >= a[c]) return;
        uint64_t x = a[root]; a[root] = a[c]; a[c] = x;
        root = c;
    }
}

static void heapsort(uint64_t *a, uint32_t n)
{
    if (n < 2) return;
    for (uint32_t i = n / 2; i-- > 0;) sift(a, i, n);
    for (uint32_t end = n - 1; end > 0; end--) {
        uint64_t x = a[0]; a[0] = a[end]; a[end] = x;
        sift(a, 0, end);
    }
}

struct figure {
    const char *name, *what;
    /* One sample in cycles; 0 = the operation failed (reason in *why). */
    uint64_t (*sample)(const char **why);
    int needs_conn;
};

static uint32_t conn_id;
/* Samples retaken because the post was refused with INSUFFICIENT_BUFFERS
 * (QEMU frees a connection's staged message only when its main loop has
 * run, a little after the message is in the slot; the TLFS status for a
 * port with no free buffer, which Linux's hv_post_message also retries). */
static uint32_t busy_retries;
#define BUSY_RETRY_US 50u
#define BUSY_LIMIT 2000u             /* 2000 x 50 us = 100 ms */

static uint64_t s_post_error(const char **why)
{
    uint64_t in = (uint64_t)(uintptr_t)hv_input_pages;
    uint64_t t0 = tsc_begin();
    uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, in, 0));
    uint64_t t1 = tsc_end();
    if (st != HV_STATUS_INVALID_CONNECTION_ID) { *why = hv_status_name(st); return 0; }
    return t1 - t0 ? t1 - t0 : 1;
}

/* drain after a successful post: not timed */
static int drain(void)
{
    int ok = synic_wait_message(TEST_SINT, BENCH_WAIT_US);
    hv_simp_page.slot[TEST_SINT].header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();
    synic_eom();
    return ok;
}

/* Retake a sample refused as busy, after a pause; bounded. */
#define RETRY_BUSY(st, attempt)                                                 \
    if ((st) == HV_STATUS_INSUFFICIENT_BUFFERS && (attempt) < BUSY_LIMIT) {     \
        busy_retries++;                                                         \
        delay_us(BUSY_RETRY_US);                                                \
        continue;                                                               \
    }

static uint64_t s_post_success(const char **why)
{
    uint64_t in = (uint64_t)(uintptr_t)(hv_input_pages + HV_PAGE);
    for (uint32_t attempt = 0;; attempt++) {
        uint64_t t0 = tsc_begin();
        uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, in, 0));
        uint64_t t1 = tsc_end();
        RETRY_BUSY(st, attempt);
        if (st != HV_STATUS_SUCCESS) { *why = hv_status_name(st); return 0; }
        if (!drain()) { *why = "message not delivered within 100 ms"; return 0; }
        return t1 - t0 ? t1 - t0 : 1;
    }
}

static uint64_t s_post_to_slot(const char **why)
{
    uint64_t in = (uint64_t)(uintptr_t)(hv_input_pages + HV_PAGE);
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    for (uint32_t attempt = 0;; attempt++) {
        deadline_t d = deadline_after_us(BENCH_WAIT_US);
        uint64_t t0 = tsc_begin();
        uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, in, 0));
        if (st == HV_STATUS_SUCCESS)
            while (m->header.message_type == HV_MESSAGE_TYPE_NONE && !deadline_passed(d)) pause();
        uint64_t t1 = tsc_end();
        RETRY_BUSY(st, attempt);
        if (st != HV_STATUS_SUCCESS) { *why = hv_status_name(st); return 0; }
        if (!drain()) { *why = "message not delivered within 100 ms"; return 0; }
        return t1 - t0 ? t1 - t0 : 1;
    }
}

static uint64_t s_post_to_irq(const char **why)
{
    uint64_t in = (uint64_t)(uintptr_t)(hv_input_pages + HV_PAGE);
    for (uint32_t attempt = 0;; attempt++) {
        uint32_t before = sint_records[TEST_SINT].count;
        deadline_t d = deadline_after_us(BENCH_WAIT_US);
        sti();
        uint64_t t0 = tsc_begin();
        uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_POST_MESSAGE, in, 0));
        if (st == HV_STATUS_SUCCESS)
            while (sint_records[TEST_SINT].count == before && !deadline_passed(d)) pause();
        cli();
        uint64_t t1 = sint_records[TEST_SINT].last_tsc;
        int got = sint_records[TEST_SINT].count != before;
        RETRY_BUSY(st, attempt);
        if (st != HV_STATUS_SUCCESS) { *why = hv_status_name(st); return 0; }
        if (!drain()) { *why = "message not delivered within 100 ms"; return 0; }
        if (!got) { *why = "no SINT interrupt within 100 ms"; return 0; }
        return t1 > t0 ? t1 - t0 : 1;
    }
}

static uint64_t s_null(const char **why)
{
    uint64_t t0 = tsc_begin();
    uint16_t st = HV_RESULT_STATUS(hv_call(HVCALL_UNKNOWN_PROBE, 0, 0));
    uint64_t t1 = tsc_end();
    if (st != HV_STATUS_INVALID_HYPERCALL_CODE) { *why = hv_status_name(st); return 0; }
    return t1 - t0 ? t1 - t0 : 1;
}

static uint64_t s_cpuid(const char **why)
{
    (void)why;
    uint64_t t0 = tsc_begin();
    struct cpuid r = cpuid(HV_CPUID_VENDOR_AND_MAX, 0);
    uint64_t t1 = tsc_end();
    barrier();
    (void)r;
    return t1 - t0 ? t1 - t0 : 1;
}

static const struct figure figures[BENCH_FIGURES] = {
    { "post_error", "HvCallPostMessage, unknown connection (error path)", s_post_error, 0 },
    { "post_success", "HvCallPostMessage, helper connection (call only)", s_post_success, 1 },
    { "post_to_slot", "post -> message visible in the SIM slot", s_post_to_slot, 1 },
    { "post_to_irq", "post -> SINT interrupt handler", s_post_to_irq, 1 },
    { "null_hypercall", "hypercall 0x0FFF (unassigned code)", s_null, 0 },
    { "cpuid", "CPUID 0x40000000 exit", s_cpuid, 0 },
};

static unsigned long long ns(uint64_t c) { return (unsigned long long)time_tsc_to_ns(c); }

/* 0 ok, 1 failed */
static int run_figure(struct tap *tap, const struct figure *f, uint32_t iters, int explicit_n)
{
    uint64_t budget = time_us_to_tsc(BENCH_BUDGET_US / BENCH_FIGURES);
    uint64_t start = rdtsc();
    uint32_t n = 0;
    busy_retries = 0;
    /* warm-up, not recorded */
    for (int i = 0; i < 5; i++) {
        const char *why = 0;
        if (!f->sample(&why)) {
            tap_comment(tap, "bench %s: failed: %s", f->name, why ? why : "?");
            tap_comment(tap, "bench name=%s n=0 error=1", f->name);
            return 1;
        }
    }
    while (n < iters) {
        const char *why = 0;
        uint64_t c = f->sample(&why);
        if (!c) {
            tap_comment(tap, "bench %s: sample %u failed: %s", f->name, n, why ? why : "?");
            tap_comment(tap, "bench name=%s n=0 error=1", f->name);
            return 1;
        }
        samples[n++] = c;
        if (!explicit_n && n >= BENCH_MIN && rdtsc() - start > budget) break;
    }
    heapsort(samples, n);
    uint64_t mn = samples[0], med = samples[(n - 1) / 2], mx = samples[n - 1];
    uint32_t r99 = (uint32_t)(((uint64_t)n * 99 + 99) / 100);     /* nearest rank, ceil(0.99 n) */
    uint64_t p99 = samples[r99 ? r99 - 1 : 0];
    tap_comment(tap, "%-14s %s", f->name, f->what);
    tap_comment(tap, "%-14s n=%u cycles: min %llu median %llu p99 %llu max %llu", f->name, n,
                (unsigned long long)mn, (unsigned long long)med, (unsigned long long)p99, (unsigned long long)mx);
    tap_comment(tap, "%-14s n=%u ns:     min %llu median %llu p99 %llu max %llu", f->name, n, ns(mn), ns(med), ns(p99), ns(mx));
    if (busy_retries)
        tap_comment(tap, "%-14s %u samples retaken after INSUFFICIENT_BUFFERS (connection still busy with the previous message)",
                    f->name, busy_retries);
    tap_comment(tap, "bench name=%s n=%u min=%llu median=%llu p99=%llu max=%llu unit=cycles tsc_hz=%llu busy_retries=%u", f->name, n,
                (unsigned long long)mn, (unsigned long long)med, (unsigned long long)p99, (unsigned long long)mx,
                (unsigned long long)time_tsc_hz(), busy_retries);
    return 0;
}

int bench_run(struct tap *tap, const struct options *o)
{
    const char *name = "bench.run";
    const struct tap_diag diag = { "reading", "reading: not a TLFS rule; a latency measurement, failed only when an "
                                   "operation being measured fails", o->verbose, 0, 0, 0, 0 };
    tap_plan(tap, 1);
    tap_running(tap, name);
    suite_reset();
    const char *why = hv_absent_reason();
    if (!why && !hv_has_hypercall_msrs()) why = "partition lacks AccessHypercallMsrs (CPUID 0x40000003 EAX bit 5)";
    if (why) { tap_skip(tap, name, why, &diag); return 0; }

    /* a connection for the delivery figures, when the partition can have one */
    const char *noconn = 0;
    if (!hv_has_synic()) noconn = "no SynIC (CPUID 0x40000003 EAX bit 2 clear)";
    else if (!hv_can_post_messages()) noconn = "partition lacks the PostMessages privilege";
    else if (helper_absent_reason()) noconn = helper_absent_reason();
    else if (helper_msg_conn_create(0, TEST_SINT, &conn_id)) noconn = "host helper could not create a message connection";
    if (!noconn) {
        synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 0);
        post_input(HV_PAGE, conn_id, TEST_TYPE, 64);
    }
    post_input(0, helper_unused_conn_id(), TEST_TYPE, 64);

    int explicit_n = o->bench_iters != 0;
    uint32_t iters = explicit_n ? o->bench_iters : BENCH_DEFAULT_MAX;
    tap_comment(tap, "bench: %s; tsc %llu Hz (%s)", explicit_n ? "bench_iters= samples per figure" :
                "default: up to 5000 samples or ~1/6 s per figure", (unsigned long long)time_tsc_hz(), time_source());
    uint64_t t0 = rdtsc();
    int failed = 0, skipped = 0;
    for (int i = 0; i < BENCH_FIGURES; i++) {
        const struct figure *f = &figures[i];
        if (f->needs_conn && noconn) {
            tap_comment(tap, "bench %s: skipped: %s", f->name, noconn);
            skipped++;
            continue;
        }
        if (!f->needs_conn && !hv_can_post_messages() && f->sample == s_post_error) {
            tap_comment(tap, "bench %s: skipped: partition lacks the PostMessages privilege", f->name);
            skipped++;
            continue;
        }
        failed += run_figure(tap, f, iters, explicit_n);
    }
    cli();
    suite_reset();
    tap_comment(tap, "bench: %d figures, %d skipped, %d failed, %llu ms", BENCH_FIGURES - skipped - failed, skipped,
                failed, (unsigned long long)(time_tsc_to_ns(rdtsc() - t0) / 1000000));
    if (failed) tap_fail(tap, name, "an operation being measured failed (see the bench lines above)", &diag);
    else tap_pass(tap, name, &diag);
    return failed != 0;
}
