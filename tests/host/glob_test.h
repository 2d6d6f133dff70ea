/* harness/glob.c: '*' any run, '?' one character, everything else literal. */
#include "../../harness/glob.h"

#define GLOB_YES(p, s) check_true(glob_match(p, s) == 1, __FILE__, __LINE__, "glob_match(\"" p "\", \"" s "\") should match")
#define GLOB_NO(p, s) check_true(glob_match(p, s) == 0, __FILE__, __LINE__, "glob_match(\"" p "\", \"" s "\") should not match")

static void test_glob(void)
{
    /* literal */
    GLOB_YES("cpu.basic", "cpu.basic");
    GLOB_NO("cpu.basic", "cpu.basi");
    GLOB_NO("cpu.basic", "cpu.basics");
    GLOB_NO("cpu.basic", "cpu_basic");
    GLOB_NO("abc", "ABC");          /* case-sensitive */
    GLOB_NO("a.c", "abc");          /* '.' is not a wildcard */
    /* empty */
    GLOB_YES("", "");
    GLOB_NO("", "a");
    GLOB_NO("a", "");
    GLOB_YES("*", "");
    GLOB_YES("**", "");
    GLOB_NO("?", "");
    /* '*' */
    GLOB_YES("*", "anything.at_all");
    GLOB_YES("cpu.*", "cpu.");
    GLOB_YES("cpu.*", "cpu.basic");
    GLOB_NO("cpu.*", "cpu");
    GLOB_NO("cpu.*", "xcpu.basic");
    GLOB_YES("*.basic", "cpu.basic");
    GLOB_YES("*.basic", ".basic");
    GLOB_NO("*.basic", "cpu.basicx");
    GLOB_YES("c*c", "cc");
    GLOB_YES("c*c", "cpu.basic");
    GLOB_NO("c*c", "c");
    GLOB_YES("*basic*", "cpu.basic");
    GLOB_YES("*basic*", "basic");
    GLOB_YES("*basic*", "xxbasicyy");
    GLOB_NO("*basic*", "basi");
    /* '?' */
    GLOB_YES("?", "a");
    GLOB_NO("?", "ab");
    GLOB_YES("cpu.?asic", "cpu.basic");
    GLOB_YES("???", "abc");
    GLOB_NO("???", "ab");
    GLOB_NO("???", "abcd");
    GLOB_YES("?*", "a");
    GLOB_NO("?*", "");
    GLOB_YES("*?", "ab");
    GLOB_NO("*?", "");
    GLOB_YES("a?c*", "abcdef");
    /* several stars */
    GLOB_YES("a*b*c", "abc");
    GLOB_YES("a*b*c", "aXXbYYc");
    GLOB_NO("a*b*c", "aXXbYY");
    GLOB_YES("***a***", "a");
    GLOB_YES("*.*.*", "a.b.c");
    GLOB_YES("*.*.*", "..");
    GLOB_NO("*.*.*", "a.b");
    GLOB_YES("a**b", "ab");
    GLOB_YES("a**b", "axyzb");
    /* backtracking: the first place a star could stop is the wrong one */
    GLOB_YES("*ab", "aab");
    GLOB_YES("*ab", "abab");
    GLOB_YES("*aab", "aaab");
    GLOB_YES("a*ab", "aaab");
    GLOB_YES("*abc", "ababc");
    GLOB_YES("*a?c", "abcabc");
    GLOB_NO("*ab", "aba");
    GLOB_YES("a*b*c*d", "abcabcabcd");
    GLOB_NO("a*b*c*d", "abcabcabc");
    GLOB_YES("*x*yz", "xyxyxyz");
    GLOB_NO("*x*yz", "xyxyxy");
    GLOB_YES("*.hv_*.t?", "grp.hv_a.hv_b.tx");
    GLOB_YES("hv*hv", "hvhvhv");
    GLOB_NO("hv*hvx", "hvhvhv");
    /* a long non-match stays correct (and finishes) */
    GLOB_NO("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    GLOB_YES("*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");

    /* glob_is_literal: 1 when there is NO wildcard */
    CHECK_INT(glob_is_literal("cpu.basic"), 1);
    CHECK_INT(glob_is_literal(""), 1);
    CHECK_INT(glob_is_literal("a_b.c9"), 1);
    CHECK_INT(glob_is_literal("*"), 0);
    CHECK_INT(glob_is_literal("?"), 0);
    CHECK_INT(glob_is_literal("cpu.*"), 0);
    CHECK_INT(glob_is_literal("cpu.basi?"), 0);
    CHECK_INT(glob_is_literal("*cpu"), 0);
    CHECK_INT(glob_is_literal("a*b?c"), 0);
}
