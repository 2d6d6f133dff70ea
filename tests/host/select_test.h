/* harness/select.c against a fake registry. */
#include "../../harness/select.h"

static void fake_fn(struct test_ctx *t) { (void)t; }

static const struct test fake_reg[] = {
    { "cpu.basic", fake_fn, 0, NORMATIVE, "src", 0 },                        /* 0 */
    { "cpu.ext", fake_fn, 0, NORMATIVE, "src", 0 },                          /* 1 */
    { "harness.fail_on_purpose", fake_fn, TEST_EXPLICIT, NORMATIVE, "src", 0 }, /* 2 */
    { "harness.selftest", fake_fn, 0, NORMATIVE, "src", 0 },                 /* 3 */
    { "hv.ident", fake_fn, 0, NORMATIVE, "src", 0 },                         /* 4 */
    { "hv.hypercall", fake_fn, 0, NORMATIVE, "src", 0 },                     /* 5 */
    { "hv.crash_on_purpose", fake_fn, TEST_EXPLICIT, NORMATIVE, "src", 0 },  /* 6 */
    { "mem.map", fake_fn, 0, NORMATIVE, "src", 0 },                          /* 7 */
};
#define NFAKE ((int)(sizeof fake_reg / sizeof fake_reg[0]))

static int sel[16 + 4];
static char sel_err[200];

/* Parse the command line, select with room for max, return the count.
 * sel[] past max must stay untouched. */
static int run_select(const char *line, int max)
{
    struct options o;
    char perr[128];
    for (size_t i = 0; i < sizeof sel / sizeof sel[0]; i++) sel[i] = -77;
    sel_err[0] = '\0';
    if (options_parse(line, &o, perr, sizeof perr) != 0) {
        printf("    (parse failed: %s)\n", perr);
        return -99;
    }
    return select_tests(fake_reg, NFAKE, &o, sel, max, sel_err, sizeof sel_err);
}

/* The selection is exactly the given indexes, in that order. */
static void check_sel(const char *file, int line, const char *cmd, int max, const int *want, int nwant)
{
    int n = run_select(cmd, max);
    int ok = n == nwant;
    for (int i = 0; ok && i < nwant; i++) ok = sel[i] == want[i];
    for (int i = n < 0 ? 0 : n; ok && i < (int)(sizeof sel / sizeof sel[0]); i++) ok = sel[i] == -77;
    if (!check_result(ok, file, line)) {
        printf("select(\"%s\", max %d): got %d [", cmd, max, n);
        for (int i = 0; i < n && i < 20; i++) printf("%s%d", i ? " " : "", sel[i]);
        printf("] want %d [", nwant);
        for (int i = 0; i < nwant; i++) printf("%s%d", i ? " " : "", want[i]);
        printf("] err \"%s\"\n", sel_err);
    }
}
#define SEL(cmd, ...) do {                                                          \
        static const int want_[] = { __VA_ARGS__ };                                 \
        check_sel(__FILE__, __LINE__, cmd, 16, want_, (int)(sizeof want_ / sizeof want_[0])); \
    } while (0)
#define SEL_NONE(cmd) check_sel(__FILE__, __LINE__, cmd, 16, NULL, 0)
#define SEL_BAD(cmd, max, mention) do {                                             \
        int n_ = run_select(cmd, max);                                              \
        check_int(__FILE__, __LINE__, "select_tests(\"" cmd "\")", n_, -1);         \
        check_has(__FILE__, __LINE__, "err for \"" cmd "\"", sel_err, mention);     \
    } while (0)

static void test_select(void)
{
    /* no patterns: everything but the explicit-only tests, in order */
    SEL("", 0, 1, 3, 4, 5, 7);
    SEL("verbose seed=9", 0, 1, 3, 4, 5, 7);
    /* globs */
    SEL("tests=*", 0, 1, 3, 4, 5, 7);
    SEL("tests=cpu.*", 0, 1);
    SEL("tests=hv.*", 4, 5);
    SEL("tests=*.basic", 0);
    SEL("tests=cpu.ex?", 1);
    SEL("tests=hv.*,cpu.basic", 0, 4, 5);          /* registry order, not pattern order */
    SEL("tests=cpu.*,cpu.basic,*basic", 0, 1);     /* no duplicates */
    SEL("tests=mem.map,cpu.ext", 1, 7);
    /* explicit-only tests: a literal name selects them, a glob does not */
    SEL("tests=harness.fail_on_purpose", 2);
    SEL("tests=harness.*", 3);
    SEL("tests=*", 0, 1, 3, 4, 5, 7);
    SEL("tests=harness.*,harness.fail_on_purpose", 2, 3);
    SEL("tests=hv.crash_on_purpose,cpu.basic", 0, 6);
    SEL_BAD("tests=harness.fail_on_purpos?", 16, "harness.fail_on_purpos?");
    SEL_BAD("tests=*on_purpose", 16, "*on_purpose");
    /* a pattern matching nothing */
    SEL_BAD("tests=nothing", 16, "nothing");
    SEL_BAD("tests=cpu.*,zzz.*", 16, "zzz.*");
    SEL_BAD("tests=cpu.basi", 16, "cpu.basi");
    /* after= skips through the named test */
    SEL("after=cpu.basic", 1, 3, 4, 5, 7);
    SEL("after=harness.selftest", 4, 5, 7);
    SEL_BAD("after=harness.fail_on_purpose", 16, "not a selected test"); /* never ran: no resume after it */
    SEL("after=cpu.ext tests=cpu.*,hv.ident", 4);
    SEL("tests=cpu.* after=cpu.basic", 1);
    SEL_NONE("after=mem.map");                       /* after the last: nothing left */
    SEL_BAD("tests=cpu.* after=hv.ident", 16, "not a selected test"); /* an emptied selection */
    SEL_BAD("after=hv.ident tests=hv.crash_on_purpose", 16, "not a selected test");
    SEL("after=hv.ident tests=hv.ident,hv.crash_on_purpose", 6);
    SEL_BAD("after=no.such", 16, "no.such");
    SEL_BAD("after=cpu.*", 16, "cpu.*");             /* after= is a name, not a glob */
    SEL_BAD("after=cpu", 16, "cpu");
    /* until= runs through the named test: a window with after= */
    SEL("until=cpu.basic", 0);
    SEL("until=hv.ident", 0, 1, 3, 4);
    SEL("until=mem.map", 0, 1, 3, 4, 5, 7);          /* the last: the whole selection */
    SEL("after=cpu.basic until=hv.ident", 1, 3, 4);
    SEL("until=hv.ident after=cpu.basic", 1, 3, 4);  /* either order */
    SEL("after=cpu.basic until=cpu.ext", 1);
    SEL_NONE("after=hv.ident until=hv.ident");       /* a run ending there, resumed after it */
    SEL_BAD("after=hv.ident until=cpu.ext", 16, "comes before after=hv.ident");
    SEL("tests=hv.*,cpu.ext until=hv.ident", 1, 4);
    SEL("tests=hv.* until=hv.hypercall after=hv.ident", 5);
    SEL("until=hv.crash_on_purpose tests=*,hv.crash_on_purpose", 0, 1, 3, 4, 5, 6);
    SEL_BAD("until=hv.crash_on_purpose", 16, "until=hv.crash_on_purpose is not a selected test");
    SEL_BAD("tests=cpu.* until=hv.ident", 16, "until=hv.ident is not a selected test");
    SEL_BAD("until=no.such", 16, "until=no.such names no test");
    SEL_BAD("until=cpu.*", 16, "until=cpu.*");      /* a name, not a glob */
    SEL_BAD("until=cpu", 16, "until=cpu");
    SEL_BAD("after=cpu.basic until=no.such", 16, "no.such");
    SEL_BAD("after=no.such until=cpu.ext", 16, "after=no.such");
    /* max */
    {
        static const int all[] = { 0, 1, 3, 4, 5, 7 };
        check_sel(__FILE__, __LINE__, "", 6, all, 6);          /* exact fit */
        check_sel(__FILE__, __LINE__, "tests=cpu.*", 2, all, 2);
        check_sel(__FILE__, __LINE__, "after=hv.ident", 2, (const int[]){ 5, 7 }, 2);
        check_sel(__FILE__, __LINE__, "until=cpu.ext", 2, all, 2);   /* the window fits max */
    }
    SEL_BAD("", 5, "5");
    SEL_BAD("tests=cpu.*", 1, "1");
    SEL_BAD("tests=cpu.basic", 0, "0");
    /* sel[] past max was not written */
    run_select("", 3);
    CHECK_INT(sel[3], -77);
    run_select("", 0);
    CHECK_INT(sel[0], -77);

    /* an empty registry */
    {
        struct options o;
        char e[64];
        int out[2] = { -77, -77 };
        CHECK_INT(options_parse("", &o, e, sizeof e), 0);
        CHECK_INT(select_tests(fake_reg, 0, &o, out, 2, e, sizeof e), 0);
        CHECK_INT(options_parse("tests=a", &o, e, sizeof e), 0);
        CHECK_INT(select_tests(fake_reg, 0, &o, out, 2, e, sizeof e), -1);
        CHECK_HAS(e, "tests=a");
        CHECK_INT(out[0], -77);
    }
}
