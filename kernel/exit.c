#include "exit.h"
#include "cpu.h"
#include "fmt.h"
#include "serial.h"

#define DEBUG_EXIT_PORT 0xf4

void kernel_exit(enum exit_code code)
{
    outl(DEBUG_EXIT_PORT, code);
    /* Still here: no isa-debug-exit (e.g. real Hyper-V). The end marker is
     * already out; stop quietly. */
    halt_forever();
}

void kernel_bail(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    serial_write("Bail out! ");
    serial_write(buf);
    serial_write("\n" END_MARKER);
    kernel_exit(EXIT_BAILED);
}
