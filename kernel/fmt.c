#include "fmt.h"
#include <stdint.h>

struct out { char *buf; size_t size, len; };

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size) o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0) put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

/* One integer conversion: sign/prefix, precision zeros, width padding. */
static void put_int(struct out *o, uint64_t v, int neg, unsigned base, int upper,
                    int flags, int width, int prec)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    if (v == 0 && prec == 0) n = 0;
    else do { tmp[n++] = digits[v % base]; v /= base; } while (v);

    const char *prefix = "";
    if (neg) prefix = "-";
    else if (flags & F_PLUS) prefix = "+";
    else if (flags & F_SPACE) prefix = " ";
    if ((flags & F_ALT) && base == 16 && n && !(n == 1 && tmp[0] == '0')) prefix = upper ? "0X" : "0x";
    if ((flags & F_ALT) && base == 8 && prec <= n && (n == 0 || tmp[n - 1] != '0')) prefix = "0";
    int plen = 0;
    while (prefix[plen]) plen++;

    int zeros = prec > n ? prec - n : 0;
    int total = plen + zeros + n;
    if (!(flags & F_LEFT) && (flags & F_ZERO) && prec < 0) { zeros += width > total ? width - total : 0; total = plen + zeros + n; }
    if (!(flags & F_LEFT)) pad(o, ' ', width - total);
    for (int i = 0; i < plen; i++) put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n) put(o, tmp[--n]);
    if (flags & F_LEFT) pad(o, ' ', width - total);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') { put(&o, *p); continue; }
        int flags = 0, width = 0, prec = -1, len = 0;
        for (;; p++) {
            char c = p[1];
            if (c == '-') flags |= F_LEFT;
            else if (c == '0') flags |= F_ZERO;
            else if (c == '+') flags |= F_PLUS;
            else if (c == ' ') flags |= F_SPACE;
            else if (c == '#') flags |= F_ALT;
            else break;
        }
        p++;
        if (*p == '*') { width = va_arg(ap, int); if (width < 0) { flags |= F_LEFT; width = -width; } p++; }
        else while (*p >= '0' && *p <= '9') width = width * 10 + (*p++ - '0');
        if (*p == '.') {
            p++;
            prec = 0;
            if (*p == '*') { prec = va_arg(ap, int); p++; }
            else while (*p >= '0' && *p <= '9') prec = prec * 10 + (*p++ - '0');
        }
        /* len: 0 int, -1 char, -2 short, 1 long, 2 long long/64-bit */
        for (;; p++) {
            if (*p == 'l') len = len == 1 ? 2 : 1;
            else if (*p == 'h') len = len == -2 ? -1 : -2;
            else if (*p == 'z' || *p == 't' || *p == 'j') len = 2;
            else break;
        }
        switch (*p) {
        case 'd': case 'i': {
            int64_t v = len >= 1 ? (len == 2 ? va_arg(ap, long long) : va_arg(ap, long)) : va_arg(ap, int);
            if (len == -1) v = (signed char)v;
            if (len == -2) v = (short)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            put_int(&o, mag, v < 0, 10, 0, flags, width, prec);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            uint64_t v = len >= 1 ? (len == 2 ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned long)) : va_arg(ap, unsigned);
            if (len == -1) v = (unsigned char)v;
            if (len == -2) v = (unsigned short)v;
            unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
            put_int(&o, v, 0, base, *p == 'X', flags & ~(F_PLUS | F_SPACE), width, prec);
            break;
        }
        case 'p':
            put_int(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, F_ALT | (flags & F_LEFT), width, -1);
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(flags & F_LEFT)) pad(&o, ' ', width - 1);
            put(&o, c);
            if (flags & F_LEFT) pad(&o, ' ', width - 1);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s) s = "(null)";
            int n = 0;
            while (s[n] && (prec < 0 || n < prec)) n++;
            if (!(flags & F_LEFT)) pad(&o, ' ', width - n);
            for (int i = 0; i < n; i++) put(&o, s[i]);
            if (flags & F_LEFT) pad(&o, ' ', width - n);
            break;
        }
        case '%': put(&o, '%'); break;
        case '\0': p--; break;          /* lone '%' at the end */
        default: put(&o, '%'); put(&o, *p); break;
        }
    }
    if (size) buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
