#include "print.h"
#include "fmt.h"
#include "console.h"

void kprintf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write(buf);
    if (n >= (int)sizeof buf) console_write("...[truncated]\n");
}
