/* Host unit tests for hvconform's pure C parts (make hosttest): kernel/fmt.c,
 * harness/glob.c, harness/cmdline.c, kernel/time_calc.c, kernel/lowmem.c,
 * kernel/acpi_parse.c, harness/tap.c, harness/select.c, the rule table
 * (tests/rules*.c), fuzz.post's draws and oracle (tests/fuzz_oracle.c), the payload pattern
 * and its canary (tests/pattern.h), the testdev connection pool against a
 * fake device (hv/testdev_pool.c), and
 * docs/coverage.md's generated section. Built with
 * ASan/UBSan. Prints one `FAIL file:line ...` line per failed check and,
 * last, `N passed, N failed`; exits nonzero if anything failed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "fmt_test.h"
#include "glob_test.h"
#include "cmdline_test.h"
#include "cmdline_keys_test.h"
#include "tap_test.h"
#include "select_test.h"
#include "grubline_test.h"
#include "time_test.h"
#include "lowmem_test.h"
#include "acpi_test.h"
#include "fuzz_test.h"
#include "coverage_test.h"
#include "pattern_test.h"
#include "rules_kinds_test.h"
#include "pool_test.h"

/* Make a UBSan report fatal (the Makefile builds without
 * -fno-sanitize-recover, so it would otherwise only print). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void) { return "halt_on_error=1:print_stacktrace=1"; }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_fmt();
    test_glob();
    test_cmdline();
    test_cmdline_keys();
    test_tap();
    test_select();
    test_grubline();
    test_time();
    test_lowmem();
    test_acpi();
    test_fuzz();
    test_coverage();
    test_pattern();
    test_rules_kinds();
    test_pool();
    printf("%d passed, %d failed\n", checks_passed, checks_failed);
    return checks_failed ? 1 : 0;
}
