/* A small printf-style formatter, pure (no I/O) so host tests can run it.
 * Conversions: %d %i %u %x %X %o %c %s %p %%, flags '-' '0' '+' ' ' '#',
 * width and precision (also '*'), length modifiers hh h l ll z t j.
 * Output is always NUL-terminated when size > 0; the return value is the
 * length the full output would have (as C's snprintf). */
#ifndef KERNEL_FMT_H
#define KERNEL_FMT_H
#include <stdarg.h>
#include <stddef.h>

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
