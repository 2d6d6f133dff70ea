/* kernel/fmt.c: every promised conversion, flag and length modifier, compared
 * with the host C library's snprintf, plus truncation at every buffer size. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "../../kernel/fmt.h"

/* After fmt_snprintf(buf, size, ...) returned n: is buf the first size-1
 * bytes of want, NUL-terminated, with nothing written past size? */
static int trunc_ok(const char *buf, size_t bufcap, size_t size, const char *want, int wantn, int n)
{
    if (n != wantn) return 0;
    if (size > 0) {
        size_t keep = (size_t)wantn < size - 1 ? (size_t)wantn : size - 1;
        if (memcmp(buf, want, keep) != 0 || buf[keep] != '\0') return 0;
        for (size_t i = keep + 1; i < bufcap; i++)
            if (buf[i] != 'Z') return 0;
    } else {
        for (size_t i = 0; i < bufcap; i++)
            if (buf[i] != 'Z') return 0;
    }
    return 1;
}

/* One case: fmt_snprintf must give the host's text and length, and truncate
 * right at every buffer size from 0 to length+1. Counts as two checks. */
#define FMT_CMP(...) do {                                                           \
        char want_[256], got_[256];                                                 \
        int wn_ = snprintf(want_, sizeof want_, __VA_ARGS__);                       \
        memset(got_, 'Z', sizeof got_);                                             \
        int gn_ = fmt_snprintf(got_, sizeof got_, __VA_ARGS__);                     \
        check_str(__FILE__, __LINE__, #__VA_ARGS__, got_, want_);                   \
        int bad_ = -1;                                                              \
        for (size_t sz_ = 0; sz_ <= (size_t)wn_ + 1 && bad_ < 0; sz_++) {          \
            char t_[256];                                                           \
            memset(t_, 'Z', sizeof t_);                                             \
            int tn_ = fmt_snprintf(t_, sz_, __VA_ARGS__);                           \
            if (!trunc_ok(t_, sizeof t_, sz_, want_, wn_, tn_)) bad_ = (int)sz_;    \
        }                                                                           \
        if (!check_result(bad_ < 0 && gn_ == wn_, __FILE__, __LINE__))              \
            printf("%s: return %d (host %d); first bad truncation at size %d\n",   \
                   #__VA_ARGS__, gn_, wn_, bad_);                                   \
    } while (0)

/* For flag combinations C defines but gcc's -Wformat calls redundant
 * ("'0' flag ignored with '-' flag" and the like). */
#define FMT_CMP_QUIET(...) do {                                                     \
        _Pragma("GCC diagnostic push")                                              \
        _Pragma("GCC diagnostic ignored \"-Wformat\"")                            \
        FMT_CMP(__VA_ARGS__);                                                       \
        _Pragma("GCC diagnostic pop")                                               \
    } while (0)

/* Expected text given literally (cases where the host differs or C leaves
 * it undefined). */
#define FMT_IS(want, ...) do {                                                      \
        char got_[256];                                                             \
        memset(got_, 'Z', sizeof got_);                                             \
        int gn_ = fmt_snprintf(got_, sizeof got_, __VA_ARGS__);                     \
        check_str(__FILE__, __LINE__, #__VA_ARGS__, got_, want);                    \
        check_int(__FILE__, __LINE__, "return of " #__VA_ARGS__, gn_, (long long)strlen(want)); \
    } while (0)

static int call_vsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_fmt_conversions(void)
{
    /* plain text and %% */
    FMT_CMP("%s", "");
    FMT_CMP("hello, world");
    FMT_CMP("100%%");
    FMT_CMP("%%%d%%", 5);
    FMT_CMP("a%%b%%%%c");

    /* %d %i */
    FMT_CMP("%d", 0);
    FMT_CMP("%d", 1);
    FMT_CMP("%d", -1);
    FMT_CMP("%d", 123456789);
    FMT_CMP("%d", INT_MAX);
    FMT_CMP("%d", INT_MIN);
    FMT_CMP("%i", -42);
    FMT_CMP("%i", 42);
    FMT_CMP("[%d|%i|%d]", 1, -2, 3);

    /* %u %x %X %o */
    FMT_CMP("%u", 0u);
    FMT_CMP("%u", 4000000000u);
    FMT_CMP("%u", UINT_MAX);
    FMT_CMP("%x", 0u);
    FMT_CMP("%x", 0xdeadbeefu);
    FMT_CMP("%X", 0xdeadbeefu);
    FMT_CMP("%x", UINT_MAX);
    FMT_CMP("%o", 0u);
    FMT_CMP("%o", 8u);
    FMT_CMP("%o", 0777u);
    FMT_CMP("%o", UINT_MAX);

    /* %c */
    FMT_CMP("%c", 'A');
    FMT_CMP("%c%c%c", 'x', 'y', 'z');
    FMT_CMP("%5c|", 'q');
    FMT_CMP("%-5c|", 'q');
    FMT_CMP("%c", 200);         /* converted to unsigned char */

    /* %s */
    FMT_CMP("%s", "text");
    FMT_CMP("[%10s]", "right");
    FMT_CMP("[%-10s]", "left");
    FMT_CMP("[%3s]", "longer than width");
    FMT_CMP("[%.3s]", "truncated");
    FMT_CMP("[%.0s]", "gone");
    FMT_CMP("[%.10s]", "short");
    FMT_CMP("[%8.3s]", "abcdef");
    FMT_CMP("[%-8.3s]", "abcdef");
    FMT_CMP("[%*s]", 6, "ab");
    FMT_CMP("[%*s]", -6, "ab");     /* negative '*' width = left-justify */
    FMT_CMP("[%.*s]", 2, "abcdef");
    FMT_CMP("[%.*s]", -1, "abcdef"); /* negative '*' precision = none */
    FMT_CMP("[%*.*s]", 7, 3, "abcdef");
    FMT_CMP("[%-*.*s]", 7, 3, "abcdef");

    /* %p (non-NULL; glibc prints NULL as "(nil)", see below) */
    FMT_CMP("%p", (void *)0x1234);
    FMT_CMP("%p", (void *)0xffffffff80001000ull);
    FMT_CMP("%p", (void *)UINTPTR_MAX);
    FMT_CMP("[%20p]", (void *)0xabcdef);
    FMT_CMP("[%-20p]", (void *)0xabcdef);
    {
        int local;
        FMT_CMP("%p", (void *)&local);
    }
}

static void test_fmt_flags(void)
{
    /* width */
    FMT_CMP("[%5d]", 42);
    FMT_CMP("[%5d]", -42);
    FMT_CMP("[%1d]", 12345);
    FMT_CMP("[%12x]", 0xabcu);
    /* '-' */
    FMT_CMP("[%-5d]", 42);
    FMT_CMP("[%-5d]", -42);
    FMT_CMP("[%-5u]", 7u);
    FMT_CMP("[%-#8x]", 0xffu);
    /* '0' */
    FMT_CMP("[%05d]", 42);
    FMT_CMP("[%05d]", -42);
    FMT_CMP("[%08x]", 0xbeefu);
    FMT_CMP("[%08X]", 0xbeefu);
    FMT_CMP("[%06o]", 8u);
    FMT_CMP("[%02d]", 12345);
    FMT_CMP_QUIET("[%-05d]", 42);         /* '-' beats '0' */
    FMT_CMP_QUIET("[%0-5d]", 42);
    FMT_CMP_QUIET("[%05.3d]", 7);         /* precision turns '0' off */
    FMT_CMP_QUIET("[%08.0d]", 0);
    /* '+' and ' ' */
    FMT_CMP("[%+d]", 5);
    FMT_CMP("[%+d]", -5);
    FMT_CMP("[%+d]", 0);
    FMT_CMP("[% d]", 5);
    FMT_CMP("[% d]", -5);
    FMT_CMP("[% d]", 0);
    FMT_CMP_QUIET("[%+ d]", 5);           /* '+' beats ' ' */
    FMT_CMP_QUIET("[% +d]", 5);
    FMT_CMP("[%+5d]", 5);
    FMT_CMP("[%+05d]", 5);
    FMT_CMP("[% 05d]", 5);
    FMT_CMP("[%-+5d]", 5);
    FMT_CMP("[%+i]", INT_MAX);
    /* '#' */
    FMT_CMP("[%#x]", 0xffu);
    FMT_CMP("[%#X]", 0xffu);
    FMT_CMP("[%#x]", 0u);           /* no prefix for zero */
    FMT_CMP("[%#o]", 8u);
    FMT_CMP("[%#o]", 0u);
    FMT_CMP("[%#o]", 010u);
    FMT_CMP("[%#10x]", 0x1234u);
    FMT_CMP("[%#010x]", 0x1234u);
    FMT_CMP("[%#-10x]", 0x1234u);
    FMT_CMP("[%#.6x]", 0x1234u);
    FMT_CMP("[%#.0x]", 0u);
    FMT_CMP("[%#.0o]", 0u);
    FMT_CMP("[%#.3o]", 8u);         /* precision already gives the leading 0 */
    FMT_CMP("[%#.5o]", 8u);
    FMT_CMP("[%#6.4o]", 8u);
    FMT_CMP("[%#.2o]", 8u);
    FMT_CMP("[%#.1o]", 8u);
    FMT_CMP("[%#08o]", 8u);
    FMT_CMP("[%#o]", UINT_MAX);
    FMT_CMP("[%#llo]", (unsigned long long)UINT64_MAX);
    FMT_CMP("[%#llx]", (unsigned long long)UINT64_MAX);

    /* precision */
    FMT_CMP("[%.3d]", 7);
    FMT_CMP("[%.3d]", -7);
    FMT_CMP("[%.3d]", 12345);
    FMT_CMP("[%.0d]", 0);           /* zero with precision 0 prints nothing */
    FMT_CMP("[%.0d]", 1);
    FMT_CMP("[%5.0d]", 0);
    FMT_CMP("[%+.0d]", 0);
    FMT_CMP("[% .0d]", 0);
    FMT_CMP("[%.d]", 0);            /* '.' alone = precision 0 */
    FMT_CMP("[%.0x]", 0u);
    FMT_CMP("[%.0u]", 0u);
    FMT_CMP("[%8.4x]", 0xabu);
    FMT_CMP("[%-8.4x]", 0xabu);
    FMT_CMP("[%+8.4d]", 12);
    FMT_CMP("[%.20d]", 1);
    FMT_CMP("[%.25llu]", (unsigned long long)UINT64_MAX);

    /* '*' */
    FMT_CMP("[%*d]", 6, 42);
    FMT_CMP("[%*d]", -6, 42);
    FMT_CMP("[%0*d]", 6, -42);
    FMT_CMP("[%0*d]", -6, 42);      /* negative width: left, '0' ignored */
    FMT_CMP("[%.*d]", 4, 3);
    FMT_CMP("[%.*d]", -4, 3);       /* negative precision = none */
    FMT_CMP_QUIET("[%0.*d]", -4, 3);
    FMT_CMP("[%*.*d]", 8, 4, -3);
    FMT_CMP("[%-*.*x]", 8, 4, 0xau);
    FMT_CMP("[%*d|%*d]", 3, 1, -3, 2);
}

static void test_fmt_lengths(void)
{
    /* hh */
    FMT_CMP("%hhd", 127);
    FMT_CMP("%hhd", 128);           /* wraps to -128 */
    FMT_CMP("%hhd", -129);
    FMT_CMP("%hhd", 0x1ff);
    FMT_CMP("%hhu", 255);
    FMT_CMP("%hhu", 256);
    FMT_CMP("%hhu", -1);
    FMT_CMP("%hhx", 0x1234);
    FMT_CMP("%hho", 0777);
    FMT_CMP("%hhi", 200);
    /* h */
    FMT_CMP("%hd", 32767);
    FMT_CMP("%hd", 40000);
    FMT_CMP("%hd", -32768);
    FMT_CMP("%hu", 65535);
    FMT_CMP("%hu", 65536 + 5);
    FMT_CMP("%hu", -1);
    FMT_CMP("%hx", 0x12345678);
    FMT_CMP("%hX", 0xabcdef);
    FMT_CMP("%hi", -1);
    /* l */
    FMT_CMP("%ld", LONG_MAX);
    FMT_CMP("%ld", LONG_MIN);
    FMT_CMP("%li", -1L);
    FMT_CMP("%lu", ULONG_MAX);
    FMT_CMP("%lx", 0x123456789abcdefUL);
    FMT_CMP("%lX", 0x123456789abcdefUL);
    FMT_CMP("%lo", ULONG_MAX);
    /* ll */
    FMT_CMP("%lld", (long long)INT64_MIN);
    FMT_CMP("%lld", (long long)INT64_MAX);
    FMT_CMP("%lli", -1LL);
    FMT_CMP("%llu", (unsigned long long)UINT64_MAX);
    FMT_CMP("%llx", (unsigned long long)UINT64_MAX);
    FMT_CMP("%llX", 0xFEDCBA9876543210ULL);
    FMT_CMP("%llo", (unsigned long long)UINT64_MAX);
    FMT_CMP("%llo", 1ULL << 63);
    FMT_CMP("[%+25lld]", (long long)INT64_MIN);
    FMT_CMP("[%-25lld]", (long long)INT64_MIN);
    FMT_CMP("[%025lld]", (long long)INT64_MIN);
    FMT_CMP("[%.22lld]", (long long)INT64_MIN);
    FMT_CMP("[%#030llx]", (unsigned long long)UINT64_MAX);
    /* 32-bit values must not pick up garbage from the upper half */
    FMT_CMP("%d %lld %d", -1, (long long)INT64_MIN, -1);
    FMT_CMP("%u %llu %u", UINT_MAX, (unsigned long long)UINT64_MAX, 0u);
    /* z t j */
    FMT_CMP("%zu", (size_t)SIZE_MAX);
    FMT_CMP("%zx", (size_t)0x1000);
    FMT_CMP("%zu", sizeof(long double));
    FMT_CMP("%td", (ptrdiff_t)PTRDIFF_MIN);
    FMT_CMP("%td", (ptrdiff_t)-5);
    FMT_CMP("%jd", (intmax_t)INTMAX_MIN);
    FMT_CMP("%ju", (uintmax_t)UINTMAX_MAX);
    FMT_CMP("%jx", (uintmax_t)0xabc);
    /* mixed */
    FMT_CMP("%s=%#llx (%lld) %c%%", "rax", 0xffffffff80000000ULL, (long long)INT64_MIN, '!');
    FMT_CMP("%hhd %hd %d %ld %lld %zu", (signed char)-1, (short)-2, -3, -4L, -5LL, (size_t)6);
}

#include "fmt_edge_test.h"

static void test_fmt(void)
{
    test_fmt_conversions();
    test_fmt_flags();
    test_fmt_lengths();
    test_fmt_truncation();
    test_fmt_special();
}
