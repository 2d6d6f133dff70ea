/* The harness: parse the command line, select, run each test inside a fault
 * context, print TAP, exit with the verdict. Entered from the kernel once
 * the CPU is set up (kernel/start.h). */
#include "runner.h"
#include "tap.h"
#include "test.h"
#include "select.h"
#include "suite.h"
#include "cmdline.h"
#include "../kernel/cpu.h"
#include "../kernel/exit.h"
#include "../kernel/fault.h"
#include "../kernel/fmt.h"
#include "../kernel/console.h"
#include "../kernel/start.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

#define HVCONFORM_VERSION "0.1.0"
#define MAX_TESTS 512

extern const struct test __start_hvtests[], __stop_hvtests[];

static struct options opts;
static int selected[MAX_TESTS];
static struct test tests[MAX_TESTS];    /* the registry with the rule table's rows expanded */
static int ntests;
static signed char results[MAX_TESTS];

const struct options *runner_options(void) { return &opts; }

static int prefixed(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int runner_result(const char *name)
{
    for (int i = 0; i < ntests; i++)
        if (strcmp(tests[i].name, name) == 0) return results[i];
    return RESULT_NOT_RUN;
}

static int add(const struct test *t, char *err, size_t errlen)
{
    if (ntests == MAX_TESTS) { fmt_snprintf(err, errlen, "more than %d tests", MAX_TESTS); return -1; }
    tests[ntests++] = *t;
    return 0;
}

/* The rule table's row named `name` in *row, or 0. */
static int row_named(const char *name, struct test *row)
{
    int own;
    for (int i = 0; rule_row(i, row, &own); i++)
        if (strcmp(row->name, name) == 0) return 1;
    return 0;
}

/* Registry order; a TEST_RULES marker becomes its group's table rows, a
 * test without a source (TEST_ROW) takes its row's. Every row must be a
 * test: a row without one is a harness error, not a silent gap. */
static int expand(char *err, size_t errlen)
{
    struct test row;
    int own;
    for (const struct test *e = __start_hvtests; e < __stop_hvtests; e++) {
        if (!e->name) {
            for (int i = 0; rule_row(i, &row, &own); i++) {
                row.fn = e->fn;
                if (!own && prefixed(row.name, e->source) && add(&row, err, errlen)) return -1;
            }
        } else if (!e->source) {
            if (!row_named(e->name, &row)) { fmt_snprintf(err, errlen, "test %s has no row in the rule table (tests/rules_*.c)", e->name); return -1; }
            struct test t = { e->name, e->fn, e->flags, row.kind, row.source, row.rule };
            if (add(&t, err, errlen)) return -1;
        } else if (add(e, err, errlen)) {
            return -1;
        }
    }
    for (int i = 0; rule_row(i, &row, &own); i++) {
        int found = 0;
        for (int k = 0; k < ntests && !found; k++) found = tests[k].rule == row.rule;
        if (!found) { fmt_snprintf(err, errlen, "rule %s has no test (TEST_ROW or TEST_RULES)", row.name); return -1; }
    }
    return 0;
}

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

static int run_one(struct tap *tap, const struct test *test)
{
    static struct test_ctx ctx;
    ctx = (struct test_ctx){ .name = test->name, .rule = test->rule, .seed = mix(opts.seed, test->name), .verbose = opts.verbose };
    tap_running(tap, test->name);
    suite_reset();

    struct fault f;
    uint64_t t0 = rdtsc();
    struct running r = { test, &ctx };
    int faulted = fault_catch(run_body, &r, &f);
    uint64_t us = time_tsc_to_ns(rdtsc() - t0) / 1000;
    suite_quiesce();
    char stray[200];
    if (suite_strays(stray, sizeof stray) && !ctx.leaves_messages) {
        observe(&ctx, "delivery=late_message");
        fail(&ctx, "%s", stray);
    }
    struct tap_diag d = { test_kind_name(test->kind), test->source, opts.verbose, ctx.checks, us,
                          ctx.status_only, ctx.observed };
    if (faulted) {
        char what[160], why[sizeof ctx.msg + 200], token[32];
        fault_describe(what, sizeof what, &f);
        fmt_snprintf(token, sizeof token, "fault=%s", fault_mnemonic(f.vector));
        observed_add(&ctx, token);
        fmt_snprintf(why, sizeof why, "unexpected %s%s%s", what,
                     ctx.failures ? "; earlier: " : "", ctx.failures ? ctx.msg : "");
        tap_fail(tap, test->name, why, &d);
    } else if (ctx.failures) {
        tap_fail(tap, test->name, ctx.msg, &d);
    } else if (ctx.skipped) {
        tap_skip(tap, test->name, ctx.msg, &d);
        return RESULT_SKIPPED;
    } else if (ctx.checks == 0) {
        observed_add(&ctx, "check=0");
        tap_fail(tap, test->name, "the test made no check (a harness bug, not a pass)", &d);
    } else {
        tap_pass(tap, test->name, &d);
        return RESULT_PASSED;
    }
    return RESULT_FAILED;
}

static void bail(struct tap *tap, const char *why) __attribute__((noreturn));
static void bail(struct tap *tap, const char *why)
{
    tap_bail(tap, why);
    console_write(END_MARKER);
    kernel_exit(EXIT_BAILED);
}

void hvconform_main(const char *bootpath, const char *cmdline)
{
    struct tap tap;
    char err[OPT_MAX_TEXT + 200];       /* a whole bad value and the words around it */
    /* the console is chosen before the first byte goes out */
    int bad = options_parse(cmdline, &opts, err, sizeof err);
    char where[160] = "COM1";
    const char *no_virtio = 0;
    if (!bad && opts.console == OPT_CONSOLE_VIRTIO)
        no_virtio = console_use_virtio(where, sizeof where);
    tap_begin(&tap, console_write, HVCONFORM_VERSION, bootpath);
    if (bad) bail(&tap, err);
    if (!opts.seed_given) opts.seed = rdtsc() & 0xFFFFFFFF;
    tap_comment(&tap, "command line: %s", cmdline && *cmdline ? cmdline : "(none)");
    if (no_virtio) tap_comment(&tap, "console: COM1 (console=virtio: %s)", no_virtio);
    else if (opts.console == OPT_CONSOLE_VIRTIO) tap_comment(&tap, "console: %s", where);
    tap_comment(&tap, "seed: %llu (replay with seed=%llu)", (unsigned long long)opts.seed, (unsigned long long)opts.seed);
    if (suite_time_init(err, sizeof err)) {
        bail(&tap, err);
    }
    tap_comment(&tap, "tsc: %llu Hz (%s)", (unsigned long long)time_tsc_hz(), time_source());
    if (time_note()[0]) tap_comment(&tap, "tsc: %s", time_note());

    if (expand(err, sizeof err)) bail(&tap, err);
    int n = select_tests(tests, ntests, &opts, selected, MAX_TESTS, err, sizeof err);
    if (n < 0) {
        bail(&tap, err);
    }
    if (opts.list) {
        for (int i = 0; i < n; i++) {
            const struct test *t = &tests[selected[i]];
            struct tap_diag d = { test_kind_name(t->kind), t->source, opts.verbose, 0, 0, 0, 0 };
            tap_listed(&tap, t->name, &d);
        }
        tap_plan(&tap, 0);
        tap_end(&tap);
        kernel_exit(EXIT_PASSED);
    }

    suite_preamble(&tap, &opts);
    if (suite_require(&tap, &opts, err, sizeof err)) {
        suite_finish();
        bail(&tap, err);
    }
    if (opts.bench) {       /* the latency benchmark instead of the suite (runner.h) */
        int bad = bench_run(&tap, &opts);
        suite_finish();
        tap_end(&tap);
        kernel_exit(bad ? EXIT_FAILED : EXIT_PASSED);
    }
    tap_plan(&tap, n);
    for (int i = 0; i < n; i++)
        results[selected[i]] = (signed char)run_one(&tap, &tests[selected[i]]);
    suite_finish();
    tap_end(&tap);
    kernel_exit(tap.failed ? EXIT_FAILED : EXIT_PASSED);
}
