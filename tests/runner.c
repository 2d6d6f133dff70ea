/* The harness: parse the command line, select, run each test inside a fault
 * context, print TAP, exit with the verdict. Entered from the kernel once
 * the CPU is set up (kernel/start.h). */
#include "bench.h"
#include "tap.h"
#include "test.h"
#include "select.h"
#include "suite.h"
#include "cmdline.h"
#include "../kernel/cpu.h"
#include "../kernel/exit.h"
#include "../kernel/fault.h"
#include "../kernel/fmt.h"
#include "../kernel/serial.h"
#include "../kernel/start.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

#define HVCONFORM_VERSION "0.1.0"
#define MAX_TESTS 512

extern const struct test __start_hvtests[], __stop_hvtests[];

static struct options opts;
static int selected[MAX_TESTS];

const struct options *runner_options(void) { return &opts; }

static uint64_t mix(uint64_t seed, const char *name)
{
    uint64_t h = seed ^ 0xcbf29ce484222325ull;     /* FNV-1a over the name */
    for (; *name; name++) h = (h ^ (uint8_t)*name) * 0x100000001b3ull;
    return h ? h : 1;
}

struct running { const struct test *test; struct test_ctx *ctx; };

static void run_body(void *arg)
{
    struct running *r = arg;
    r->test->fn(r->ctx);
}

static void run_one(struct tap *tap, const struct test *test)
{
    static struct test_ctx ctx;
    ctx = (struct test_ctx){ .name = test->name, .seed = mix(opts.seed, test->name), .verbose = opts.verbose };
    tap_running(tap, test->name);
    suite_reset();

    struct fault f;
    uint64_t t0 = rdtsc();
    struct running r = { test, &ctx };
    if (fault_catch(run_body, &r, &f)) {
        char what[160], why[sizeof ctx.msg + 200];
        fault_describe(what, sizeof what, &f);
        fmt_snprintf(why, sizeof why, "unexpected %s%s%s", what,
                     ctx.failures ? "; earlier: " : "", ctx.failures ? ctx.msg : "");
        tap_fail(tap, test->name, why);
    } else if (ctx.failures) {
        tap_fail(tap, test->name, ctx.msg);
    } else if (ctx.skipped) {
        tap_skip(tap, test->name, ctx.msg);
    } else if (ctx.checks == 0) {
        tap_fail(tap, test->name, "the test made no check (a harness bug, not a pass)");
    } else {
        tap_pass(tap, test->name);
    }
    if (opts.verbose)
        tap_comment(tap, "%s: %d checks, %llu us", test->name, ctx.checks,
                    (unsigned long long)(time_tsc_to_ns(rdtsc() - t0) / 1000));
}

static void bail(struct tap *tap, const char *why) __attribute__((noreturn));
static void bail(struct tap *tap, const char *why)
{
    tap_bail(tap, why);
    serial_write(END_MARKER);
    kernel_exit(EXIT_BAILED);
}

void hvconform_main(const char *bootpath, const char *cmdline)
{
    struct tap tap;
    char err[200];
    tap_begin(&tap, serial_write, HVCONFORM_VERSION, bootpath);
    if (options_parse(cmdline, &opts, err, sizeof err)) {
        bail(&tap, err);
    }
    if (!opts.seed_given) opts.seed = rdtsc() & 0xFFFFFFFF;
    tap_comment(&tap, "command line: %s", cmdline && *cmdline ? cmdline : "(none)");
    tap_comment(&tap, "seed: %llu (replay with seed=%llu)", (unsigned long long)opts.seed, (unsigned long long)opts.seed);
    tap_comment(&tap, "tsc: %llu Hz (%s)", (unsigned long long)time_tsc_hz(), time_source());

    int nreg = (int)(__stop_hvtests - __start_hvtests);
    int n = select_tests(__start_hvtests, nreg, &opts, selected, MAX_TESTS, err, sizeof err);
    if (n < 0) {
        bail(&tap, err);
    }
    if (opts.list) {
        for (int i = 0; i < n; i++) tap_comment(&tap, "test %s", __start_hvtests[selected[i]].name);
        tap_plan(&tap, 0);
        tap_end(&tap);
        kernel_exit(EXIT_PASSED);
    }

    suite_preamble(&tap);
    if (opts.bench) {       /* the latency benchmark instead of the suite (tests/bench.h) */
        int bad = bench_run(&tap, &opts);
        tap_end(&tap);
        kernel_exit(bad ? EXIT_FAILED : EXIT_PASSED);
    }
    tap_plan(&tap, n);
    for (int i = 0; i < n; i++)
        run_one(&tap, &__start_hvtests[selected[i]]);
    tap_end(&tap);
    kernel_exit(tap.failed ? EXIT_FAILED : EXIT_PASSED);
}
