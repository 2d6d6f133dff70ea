/* kernel/grubline.c: GRUB's re-quoted multiboot2 command line, undone. */
#include "../../kernel/grubline.h"

static void unq(const char *file, int line, const char *in, const char *want)
{
    char buf[256];
    size_t i = 0;
    for (; in[i] && i < sizeof buf - 1; i++) buf[i] = in[i];
    buf[i] = '\0';
    grub_cmdline_unquote(buf);
    check_str(file, line, in, buf, want);
}

static void test_grubline(void)
{
    unq(__FILE__, __LINE__, "tests=a.b verbose", "tests=a.b verbose");
    unq(__FILE__, __LINE__, "", "");
    unq(__FILE__, __LINE__, "x=\\\\047;echo\\\\040y", "x=\\047;echo\\040y");   /* \\ -> \ */
    unq(__FILE__, __LINE__, "it\\'s \\\"q\\\"", "it's \"q\"");
    unq(__FILE__, __LINE__, "\"a b\" c", "a b c");                          /* grouping quotes go */
    unq(__FILE__, __LINE__, "trail\\", "trail\\");                          /* a lone backslash stays */
    unq(__FILE__, __LINE__, "a\\b", "a\\b");
}
