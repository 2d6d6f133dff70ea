/* harness/tap.c: the exact TAP 13 text, captured through the sink. */
#include "../../harness/tap.h"

static char tap_text[8192];
static size_t tap_len;
static int tap_calls, tap_unterminated;

static void capture(const char *text)
{
    size_t n = strlen(text);
    tap_calls++;
    if (n == 0 || text[n - 1] != '\n') tap_unterminated++;
    if (tap_len + n < sizeof tap_text) {
        memcpy(tap_text + tap_len, text, n + 1);
        tap_len += n;
    }
}

static void tap_reset(void)
{
    tap_text[0] = '\0';
    tap_len = 0;
    tap_calls = tap_unterminated = 0;
}

/* the text written since the last TAP_OUT, then forget it */
static char tap_last[sizeof tap_text];
static const char *tap_take(void)
{
    memcpy(tap_last, tap_text, tap_len + 1);
    tap_reset();
    return tap_last;
}
#define TAP_OUT(want) CHECK_STR(tap_take(), want)

/* the YAML block after every result, for D */
static const struct tap_diag D = { "normative", "TLFS 3.6 'x' \"q\" \\ y", 0, 0, 0, 0, 0 };
#define Y "  ---\n  kind: normative\n  source: \"TLFS 3.6 'x' \\\"q\\\" \\\\ y\"\n  ...\n"

static void test_tap(void)
{
    struct tap t;
    memset(&t, 0x5A, sizeof t);     /* tap_begin must initialise all of it */
    tap_reset();

    tap_begin(&t, capture, "1.2.3", "multiboot2");
    TAP_OUT("TAP version 13\n# hvconform 1.2.3 multiboot2\n");
    CHECK_INT(t.next, 1);
    CHECK_INT(t.passed, 0);
    CHECK_INT(t.failed, 0);
    CHECK_INT(t.skipped, 0);

    tap_plan(&t, 7);
    TAP_OUT("1..7\n");

    tap_running(&t, "cpu.basic");
    TAP_OUT("# running 1 cpu.basic\n");
    tap_pass(&t, "cpu.basic", &D);
    CHECK_INT(tap_calls, 1);        /* the result and its YAML block: one write (one VM exit) */
    TAP_OUT("ok 1 - cpu.basic\n" Y);
    CHECK_INT(t.next, 2);

    tap_running(&t, "cpu.ext");
    TAP_OUT("# running 2 cpu.ext\n");
    tap_fail(&t, "cpu.ext", "leaf 0x40000000: got 0 want 0x40000005", &D);
    TAP_OUT("not ok 2 - cpu.ext # leaf 0x40000000: got 0 want 0x40000005\n" Y);

    tap_fail(&t, "hv.a", NULL, &D);
    TAP_OUT("not ok 3 - hv.a # failed (no reason given)\n" Y);
    tap_fail(&t, "hv.b", "", &D);
    TAP_OUT("not ok 4 - hv.b # failed (no reason given)\n" Y);

    tap_skip(&t, "hv.c", "no synic", &D);
    TAP_OUT("ok 5 - hv.c # SKIP no synic\n" Y);
    tap_skip(&t, "hv.d", "", &D);
    TAP_OUT("ok 6 - hv.d # SKIP no reason given\n" Y);
    tap_skip(&t, "hv.e", NULL, &D);
    TAP_OUT("ok 7 - hv.e # SKIP no reason given\n" Y);

    /* newlines in reasons are flattened to spaces */
    tap_fail(&t, "hv.f", "line one\nline two\r\n", &D);
    TAP_OUT("not ok 8 - hv.f # line one line two  \n" Y);
    tap_skip(&t, "hv.g", "\nwhy\n", &D);
    TAP_OUT("ok 9 - hv.g # SKIP  why \n" Y);

    tap_running(&t, "hv.h");
    TAP_OUT("# running 10 hv.h\n");
    tap_pass(&t, "hv.h", &D);
    TAP_OUT("ok 10 - hv.h\n" Y);

    CHECK_INT(t.next, 11);
    CHECK_INT(t.passed, 2);
    CHECK_INT(t.failed, 4);
    CHECK_INT(t.skipped, 4);

    tap_comment(&t, "seed: %llu (replay with seed=%llu)", 42ULL, 42ULL);
    TAP_OUT("# seed: 42 (replay with seed=42)\n");
    tap_comment(&t, "two\nlines");
    TAP_OUT("# two lines\n");

    tap_end(&t);
    TAP_OUT("# hvconform: 2 passed, 4 failed, 4 skipped\n# hvconform: end\n");

    tap_bail(&t, "tests=zzz matches no test");
    TAP_OUT("Bail out! tests=zzz matches no test\n");
    tap_bail(&t, "bad\nthing\r");
    TAP_OUT("Bail out! bad thing \n");
    CHECK_INT(t.next, 11);          /* bail, comment and end use no number */

    /* a fresh begin restarts numbering and counts */
    tap_begin(&t, capture, "v", "uefi");
    TAP_OUT("TAP version 13\n# hvconform v uefi\n");
    tap_pass(&t, "x", &D);
    TAP_OUT("ok 1 - x\n" Y);
    tap_end(&t);
    TAP_OUT("# hvconform: 1 passed, 0 failed, 0 skipped\n# hvconform: end\n");

    /* long reasons are cut, but every write is still whole lines; so are
     * long test names next to long reasons (the runner passes reasons of up
     * to ~520 bytes for faults) */
    char reason[1200], name[200];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    reason[10] = '\n';
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    tap_reset();
    tap_fail(&t, "short.name", reason, &D);
    CHECK_INT(tap_unterminated, 0);
    CHECK(strncmp(tap_text, "not ok 2 - short.name # rrrrrrrrrr rrr", 38) == 0);
    CHECK(strncmp(strchr(tap_text, '\n'), "\n  ---\n", 7) == 0);     /* one line, then the block */
    tap_reset();
    tap_fail(&t, name, reason, &D);
    CHECK_INT(tap_unterminated, 0);
    CHECK(strncmp(strchr(tap_text, '\n'), "\n  ---\n", 7) == 0);
    tap_reset();
    tap_skip(&t, name, reason, &D);
    CHECK_INT(tap_unterminated, 0);
    tap_reset();
    tap_bail(&t, reason);
    CHECK_INT(tap_unterminated, 0);
    CHECK(strncmp(tap_text, "Bail out! rrrrrrrrrr r", 22) == 0);
    /* a long bail keeps its reason, which comes last (issue 10): the middle goes */
    {
        char why[700];
        memset(why, 'v', sizeof why);
        memcpy(why, "after=", 6);
        strcpy(why + sizeof why - 15, " names no test");
        tap_reset();
        tap_bail(&t, why);
        CHECK_INT(tap_unterminated, 0);
        CHECK(strncmp(tap_text, "Bail out! after=vvv", 19) == 0);
        CHECK(strstr(tap_text, "vvv ... vvv") != NULL);
        CHECK(tap_len >= 14 + 2 && strcmp(tap_text + tap_len - 15, " names no test\n") == 0);
        CHECK_INT(tap_len, 10 + TAP_BAIL_MAX + 1);
        why[TAP_BAIL_MAX] = '\0';          /* exactly the limit: kept whole */
        tap_reset();
        tap_bail(&t, why);
        CHECK_INT(tap_len, 10 + TAP_BAIL_MAX + 1);
        CHECK(strstr(tap_text, " ... ") == NULL);
    }
    tap_reset();
    tap_comment(&t, "%s", reason);
    CHECK_INT(tap_unterminated, 0);
    tap_reset();
    tap_running(&t, name);
    CHECK_INT(tap_unterminated, 0);
    CHECK_INT(t.next, 5);

    /* verbose blocks carry checks and time; a reading says so; a long
     * source is cut but stays one quoted line */
    struct tap_diag v = { "reading", "reading: a", 1, 3, 140, 0, 0 };
    tap_reset();
    tap_pass(&t, "hv.v", &v);
    TAP_OUT("ok 5 - hv.v\n  ---\n  kind: reading\n  source: \"reading: a\"\n  checks: 3\n  time_us: 140\n  ...\n");
    /* a pass that checked the status only says so in its block */
    struct tap_diag so = { "normative", "TLFS x", 0, 1, 0, "no \"echo\"", 0 };
    tap_reset();
    tap_pass(&t, "hv.so", &so);
    TAP_OUT("ok 6 - hv.so\n  ---\n  kind: normative\n  source: \"TLFS x\"\n  status_only: \"no \\\"echo\\\"\"\n  ...\n");
    t.next--;
    t.passed--;
    v.source = reason;
    v.verbose = 0;
    tap_skip(&t, "hv.w", "why", &v);
    CHECK_INT(tap_unterminated, 0);
    CHECK(strstr(tap_text, "  source: \"rrrrrrrrrr rrr") != NULL);
    CHECK(strstr(tap_text, "rrr...\"\n  ...\n") != NULL);
    tap_reset();
    tap_listed(&t, "post.x", &D);
    TAP_OUT("# test post.x\n");
    struct tap_diag lv = D;
    lv.verbose = 1;
    tap_listed(&t, "post.x", &lv);
    TAP_OUT("# test post.x\n#   kind: normative\n#   source: \"TLFS 3.6 'x' \\\"q\\\" \\\\ y\"\n");
    /* a failure carries what was observed, quoted; a pass or skip does not */
    struct tap_diag o = D;
    o.observed = "got=0x0003,delivery=\"x\"";
    tap_reset();
    tap_fail(&t, "post.o", "got 3", &o);
    CHECK(strstr(tap_text, "\n  observed: \"got=0x0003,delivery=\\\"x\\\"\"\n  ...\n") != NULL);
    tap_reset();
    tap_pass(&t, "post.p", &o);
    CHECK(strstr(tap_text, "observed:") == NULL);
    o.observed = "";
    tap_reset();
    tap_fail(&t, "post.q", "x", &o);
    CHECK(strstr(tap_text, "observed:") == NULL);
}
