/* kernel/fmt.c's edges: truncation at small buffer sizes, the va_list
 * entry point, NULL arguments and conversions it does not know. Included
 * by fmt_test.h (call_vsnprintf and FMT_IS come from there). */

static void test_fmt_truncation(void)
{
    char buf[16];

    /* size 0: nothing written (buffer may even be NULL), full length returned */
    CHECK_INT(fmt_snprintf(NULL, 0, "%d", 12345), 5);
    CHECK_INT(fmt_snprintf(NULL, 0, "%s", ""), 0);
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 0, "abc"), 3);
    CHECK(buf[0] == 'Z');

    /* size 1: just the NUL */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 1, "abc%d", 42), 5);
    CHECK_INT(buf[0], '\0');
    CHECK(buf[1] == 'Z');

    /* size 4: three characters and the NUL */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 4, "%s", "abcdef"), 6);
    CHECK_STR(buf, "abc");
    CHECK(buf[4] == 'Z');

    /* exact fit and one short */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 6, "%d", -1234), 5);
    CHECK_STR(buf, "-1234");
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 5, "%d", -1234), 5);
    CHECK_STR(buf, "-123");

    /* truncation inside padding, prefix and precision zeros */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 4, "%#10.6x", 0xabu), 10);
    CHECK_STR(buf, "  0");             /* "  0x0000ab" */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 4, "%#.6x", 0xabu), 8);
    CHECK_STR(buf, "0x0");
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, 3, "%-8s|", "ab"), 9);
    CHECK_STR(buf, "ab");

    /* return value counts output far beyond the buffer */
    char big[64];
    memset(big, 'Z', sizeof big);
    CHECK_INT(fmt_snprintf(big, sizeof big, "%600d", 1), 600);
    CHECK_INT(strlen(big), sizeof big - 1);
    CHECK_INT(big[sizeof big - 2], ' ');
    CHECK_INT(fmt_snprintf(NULL, 0, "%.300u|%-200s|", 1u, "x"), 300 + 1 + 200 + 1);
    CHECK_INT(fmt_snprintf(NULL, 0, "%*s", 1000, ""), 1000);

    /* the va_list entry point behaves the same */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(call_vsnprintf(buf, sizeof buf, "%s-%d-%llx", "v", -7, 0xabcULL), 8);
    CHECK_STR(buf, "v--7-abc");
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(call_vsnprintf(buf, 3, "%s", "vwxyz"), 5);
    CHECK_STR(buf, "vw");
}

static void test_fmt_special(void)
{
    const char *volatile null_str = NULL;   /* volatile: keep gcc's -Wformat quiet */
    void *volatile null_ptr = NULL;
    char buf[32];

    /* NULL %s prints "(null)" whatever the precision says (glibc differs for
     * small precisions, so these are literal) */
    FMT_IS("(null)", "%s", null_str);
    FMT_IS("[  (null)]", "[%8s]", null_str);
    FMT_IS("[(null)  ]", "[%-8s]", null_str);
    FMT_IS("[(nu]", "[%.3s]", null_str);
    FMT_IS("a (null) b", "a %s b", null_str);

    /* NULL %p: glibc says "(nil)"; this formatter prints the number 0
     * (a zero value gets no 0x, as with %#x). Pinned so a change is noticed. */
    FMT_IS("0", "%p", null_ptr);
    FMT_IS("[    0]", "[%5p]", null_ptr);

    /* %c with NUL puts a NUL and counts it */
    memset(buf, 'Z', sizeof buf);
    CHECK_INT(fmt_snprintf(buf, sizeof buf, "a%cb", 0), 3);
    CHECK(buf[0] == 'a' && buf[1] == '\0' && buf[2] == 'b' && buf[3] == '\0');

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
    /* '+' and ' ' mean nothing for unsigned conversions (C: undefined
     * combination for glibc's checker, but glibc ignores them too) */
    FMT_IS("[5]", "[%+u]", 5u);
    FMT_IS("[5]", "[% u]", 5u);
    FMT_IS("[ff]", "[%+x]", 0xffu);
    FMT_IS("[    0xff]", "[%08p]", (void *)0xff);  /* '0' is dropped for %p */
    /* a lone '%' at the end is dropped; an unknown conversion is copied */
    FMT_IS("abc", "abc%");
    FMT_IS("[%q]", "[%q]");
    FMT_IS("[%y5]", "[%y%d]", 5);
#pragma GCC diagnostic pop
}
