/* harness/cmdline.c: tests=, list, verbose, seed=, after=, until=, image path, errors. */
#include "../../harness/cmdline.h"

static struct options opt;
static char err[256];

static int parse(const char *line)
{
    memset(&opt, 0xA5, sizeof opt);     /* parse must reset everything */
    memset(err, 'Z', sizeof err - 1);
    err[sizeof err - 1] = '\0';
    return options_parse(line, &opt, err, sizeof err);
}

static int points_into_text(const char *p)
{
    return p >= opt.text && p < opt.text + sizeof opt.text;
}

/* The line parses, nothing set but what the caller checks next. */
#define PARSE_OK(line) do {                                                     \
        int rc_ = parse(line);                                                  \
        if (!check_int(__FILE__, __LINE__, "options_parse(" #line ")", rc_, 0)) \
            printf("    err: %s\n", err);                                       \
        else check_str(__FILE__, __LINE__, "err after " #line, err, "");        \
    } while (0)
/* The line is rejected with a message that contains `mention`. */
#define PARSE_BAD(line, mention) do {                                           \
        int rc_ = parse(line);                                                  \
        check_int(__FILE__, __LINE__, "options_parse(" #line ")", rc_, -1);     \
        check_has(__FILE__, __LINE__, "err for " #line, err, mention);          \
    } while (0)

static void check_defaults(const char *file, int line)
{
    int ok = opt.ntests == 0 && opt.list == 0 && opt.verbose == 0 && opt.seed == 0 &&
             opt.seed_given == 0 && opt.after == NULL && opt.until == NULL;
    if (!check_result(ok, file, line))
        printf("options not all default: ntests=%d list=%d verbose=%d seed=%llu seed_given=%d after=%p until=%p\n",
               opt.ntests, opt.list, opt.verbose, (unsigned long long)opt.seed, opt.seed_given,
               (const void *)opt.after, (const void *)opt.until);
}
#define CHECK_DEFAULTS() check_defaults(__FILE__, __LINE__)

static void test_cmdline_basic(void)
{
    PARSE_OK(NULL);
    CHECK_DEFAULTS();
    PARSE_OK("");
    CHECK_DEFAULTS();
    PARSE_OK("   ");
    CHECK_DEFAULTS();
    PARSE_OK(" \t\n\r ");
    CHECK_DEFAULTS();

    PARSE_OK("list");
    CHECK_INT(opt.list, 1);
    CHECK_INT(opt.verbose, 0);
    CHECK_INT(opt.ntests, 0);
    PARSE_OK("verbose");
    CHECK_INT(opt.verbose, 1);
    CHECK_INT(opt.list, 0);
    PARSE_OK("  list   verbose  ");
    CHECK_INT(opt.list, 1);
    CHECK_INT(opt.verbose, 1);
    PARSE_BAD("list list", "'list' given twice");     /* issue 10: no silent repeat */
    PARSE_BAD("verbose list verbose", "'verbose' given twice");

    /* tabs, newlines, CR are separators too */
    PARSE_OK("list\tverbose\nseed=3\r\ntests=a.b\t");
    CHECK_INT(opt.list, 1);
    CHECK_INT(opt.verbose, 1);
    CHECK_UINT(opt.seed, 3);
    CHECK_INT(opt.ntests, 1);
    CHECK_STR(opt.tests[0], "a.b");

    /* everything at once */
    PARSE_OK("tests=cpu.*,hv.ident seed=0x10 after=cpu.basic verbose list");
    CHECK_INT(opt.ntests, 2);
    CHECK_STR(opt.tests[0], "cpu.*");
    CHECK_STR(opt.tests[1], "hv.ident");
    CHECK_UINT(opt.seed, 16);
    CHECK_INT(opt.seed_given, 1);
    CHECK_STR(opt.after, "cpu.basic");
    CHECK_INT(opt.list, 1);
    CHECK_INT(opt.verbose, 1);

    /* a second parse starts from scratch */
    PARSE_OK("verbose");
    CHECK_INT(opt.list, 0);
    CHECK_INT(opt.ntests, 0);
    CHECK(opt.after == NULL);
    CHECK_INT(opt.seed_given, 0);

    /* the result does not point into the caller's string */
    char line[] = "tests=abc after=xyz";
    PARSE_OK(line);
    memset(line, 'Q', sizeof line - 1);
    CHECK_STR(opt.tests[0], "abc");
    CHECK_STR(opt.after, "xyz");
    CHECK(points_into_text(opt.tests[0]));
    CHECK(points_into_text(opt.after));
}

static void test_cmdline_seed(void)
{
    PARSE_OK("seed=42");
    CHECK_UINT(opt.seed, 42);
    CHECK_INT(opt.seed_given, 1);
    PARSE_OK("seed=0");
    CHECK_UINT(opt.seed, 0);
    CHECK_INT(opt.seed_given, 1);
    PARSE_OK("seed=007");           /* leading zeros: still decimal */
    CHECK_UINT(opt.seed, 7);
    PARSE_OK("seed=09");
    CHECK_UINT(opt.seed, 9);
    PARSE_OK("seed=0x1f");
    CHECK_UINT(opt.seed, 0x1f);
    PARSE_OK("seed=0X1F");
    CHECK_UINT(opt.seed, 0x1f);
    PARSE_OK("seed=0xDeadBeef");
    CHECK_UINT(opt.seed, 0xdeadbeef);
    PARSE_OK("seed=0x0");
    CHECK_UINT(opt.seed, 0);
    PARSE_OK("seed=18446744073709551615");
    CHECK_UINT(opt.seed, UINT64_MAX);
    PARSE_OK("seed=18446744073709551614");
    CHECK_UINT(opt.seed, UINT64_MAX - 1);
    PARSE_OK("seed=0xffffffffffffffff");
    CHECK_UINT(opt.seed, UINT64_MAX);
    PARSE_OK("seed=0x0000000000000000000001");   /* leading zeros don't overflow */
    CHECK_UINT(opt.seed, 1);
    PARSE_BAD("seed=1 seed=2", "'seed' given twice");  /* issue 10: no silent override */
    PARSE_BAD("seed=1 list seed", "'seed' given twice");

    /* overflow */
    PARSE_BAD("seed=18446744073709551616", "18446744073709551616");
    PARSE_BAD("seed=18446744073709551620", "18446744073709551620");
    PARSE_BAD("seed=99999999999999999999", "99999999999999999999");
    PARSE_BAD("seed=0x10000000000000000", "0x10000000000000000");
    PARSE_BAD("seed=0x1ffffffffffffffff", "0x1ffffffffffffffff");
    /* garbage */
    PARSE_BAD("seed=abc", "abc");
    PARSE_BAD("seed=12abc", "12abc");
    PARSE_BAD("seed=-1", "-1");
    PARSE_BAD("seed=+1", "+1");
    PARSE_BAD("seed=1.5", "1.5");
    PARSE_BAD("seed=0x1g", "0x1g");
    PARSE_BAD("seed=0xx1", "0xx1");
    PARSE_BAD("seed=ff", "ff");     /* hex needs 0x */
    PARSE_BAD("seed=1e3", "1e3");
    PARSE_BAD("seed= 1", "seed=");  /* the value is a separate token */
    /* empty */
    PARSE_BAD("seed=", "seed=");
    PARSE_BAD("seed", "seed");
    PARSE_BAD("seed=0x", "0x");
    PARSE_BAD("seed=0X", "0X");
}

static void test_cmdline_tests(void)
{
    PARSE_OK("tests=cpu.basic");
    CHECK_INT(opt.ntests, 1);
    CHECK_STR(opt.tests[0], "cpu.basic");
    CHECK(points_into_text(opt.tests[0]));

    PARSE_OK("tests=cpu.*,hv.ident,*_x?,a_b.c9");
    CHECK_INT(opt.ntests, 4);
    CHECK_STR(opt.tests[0], "cpu.*");
    CHECK_STR(opt.tests[1], "hv.ident");
    CHECK_STR(opt.tests[2], "*_x?");
    CHECK_STR(opt.tests[3], "a_b.c9");

    PARSE_OK("tests=a tests=b,c");  /* several tests= add up */
    CHECK_INT(opt.ntests, 3);
    CHECK_STR(opt.tests[0], "a");
    CHECK_STR(opt.tests[1], "b");
    CHECK_STR(opt.tests[2], "c");

    PARSE_OK("tests=*");
    CHECK_INT(opt.ntests, 1);
    CHECK_STR(opt.tests[0], "*");

    /* empty */
    PARSE_BAD("tests=", "tests=");
    PARSE_BAD("tests", "tests");
    PARSE_BAD("tests=a,", "''");
    PARSE_BAD("tests=,a", "''");
    PARSE_BAD("tests=a,,b", "''");
    PARSE_BAD("tests=,", "''");
    /* bad characters */
    PARSE_BAD("tests=CPU.basic", "CPU.basic");
    PARSE_BAD("tests=cpu-basic", "cpu-basic");
    PARSE_BAD("tests=ok,b@d", "b@d");
    PARSE_BAD("tests=a/b", "a/b");
    PARSE_BAD("tests=a=b", "a=b");
    PARSE_BAD("tests=[ab]", "[ab]");

    /* 16 patterns fit, 17 do not */
    PARSE_OK("tests=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p");
    CHECK_INT(opt.ntests, OPT_MAX_PATTERNS);
    CHECK_STR(opt.tests[15], "p");
    PARSE_BAD("tests=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "16");
    PARSE_BAD("tests=a,b,c,d,e,f,g,h tests=i,j,k,l,m,n,o,p tests=q", "16");
}

static void test_cmdline_other(void)
{
    /* after= */
    PARSE_OK("after=cpu.basic");
    CHECK_STR(opt.after, "cpu.basic");
    CHECK_INT(opt.ntests, 0);
    CHECK(points_into_text(opt.after));
    PARSE_BAD("after=", "after=");
    PARSE_BAD("after", "after");
    PARSE_BAD("after=Cpu.basic", "after=");
    PARSE_BAD("after=a,b", "after=");

    /* until= (a name, checked like after=; the selection checks it names a test) */
    PARSE_OK("until=cpu.basic");
    CHECK_STR(opt.until, "cpu.basic");
    CHECK(opt.after == NULL);
    CHECK_INT(opt.ntests, 0);
    CHECK(points_into_text(opt.until));
    PARSE_OK("after=cpu.basic until=hv.ident");
    CHECK_STR(opt.after, "cpu.basic");
    CHECK_STR(opt.until, "hv.ident");
    PARSE_OK("until=hv.ident after=cpu.basic");      /* either order */
    CHECK_STR(opt.after, "cpu.basic");
    CHECK_STR(opt.until, "hv.ident");
    PARSE_BAD("until=", "until=");
    PARSE_BAD("until", "until=");
    PARSE_BAD("until=Cpu.basic", "until=");
    PARSE_BAD("until=a,b", "until=");

    /* unknown keys, with and without a value */
    PARSE_BAD("bogus", "'bogus'");
    PARSE_BAD("list bogus verbose", "'bogus'");
    PARSE_BAD("bogus=1", "bogus");
    PARSE_BAD("Tests=a", "Tests");
    PARSE_BAD("lists", "'lists'");
    PARSE_BAD("lis", "'lis'");
    PARSE_BAD("--list", "--list");
    PARSE_BAD("quiet splash", "quiet");

    /* flags with a value */
    PARSE_BAD("list=1", "list=1");
    PARSE_BAD("verbose=yes", "verbose=yes");
    PARSE_BAD("list=", "list");
    PARSE_BAD("verbose=", "verbose");

    /* options_parse drops nothing: a first argument starting with '/', '('
     * or '\\' is an error like any other (issue 10: it was dropped as an
     * image path; the boot paths remove their loader's path themselves, and
     * GRUB 2's multiboot2 passes none) */
    PARSE_BAD("/boot/hvconform.elf", "/boot/hvconform.elf");
    PARSE_BAD("(tests=post.*)", "unknown kernel argument '(tests'");
    PARSE_BAD("/list", "/list");
    PARSE_BAD("\\EFI\\BOOT\\BOOTX64.EFI tests=a.b", "\\EFI");
    PARSE_BAD("list /boot/x", "/boot/x");

    /* 64 arguments fit, 65 do not */
    {
        char line[64 * 8 + 8] = "";
        for (int i = 0; i < 64; i++) strcat(line, "tests=a ");     /* tests= may repeat */
        PARSE_BAD(line, "more than 16 patterns");                 /* all 64 were read */
        strcat(line, "list");
        PARSE_BAD(line, "64");
    }

    /* overlong lines: a 511-byte token fits text[512] with its NUL, 512
     * bytes do not (the message says "longer than 510 bytes": one off, but
     * on the safe side) */
    {
        char line[2048];
        memset(line, 0, sizeof line);
        memcpy(line, "after=", 6);
        memset(line + 6, 'a', 511 - 6);
        PARSE_OK(line);
        CHECK_INT(strlen(opt.after), 511 - 6);
        CHECK(opt.after + strlen(opt.after) < opt.text + sizeof opt.text);
        line[511] = 'a';
        PARSE_BAD(line, "longer");
        memset(line + 6, 'b', sizeof line - 7);
        PARSE_BAD(line, "longer");
        /* the limit counts every token: many short ones overflow too */
        memset(line, 0, sizeof line);
        for (int i = 0; i < 40; i++) strcat(line, "tests=abcdefghij.klmnopq ");
        PARSE_BAD(line, "");
        CHECK(err[0] != '\0');
    }

    /* the error message is truncated to errlen and NUL-terminated */
    {
        char small[8];
        memset(small, 'Z', sizeof small);
        CHECK_INT(options_parse("bogus_argument", &opt, small, sizeof small), -1);
        CHECK_STR(small, "unknown");
        char one = 'Z';
        CHECK_INT(options_parse("bogus", &opt, &one, 1), -1);
        CHECK_INT(one, '\0');
        CHECK_INT(options_parse("bogus", &opt, &one, 0), -1);   /* errlen 0: nothing written */
        CHECK_INT(options_parse("list", &opt, &one, 0), 0);
    }
}

static void test_cmdline(void)
{
    test_cmdline_basic();
    test_cmdline_seed();
    test_cmdline_tests();
    test_cmdline_other();
}
