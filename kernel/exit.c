#include "exit.h"
#include "acpi.h"
#include "cpu.h"
#include "fmt.h"
#include "console.h"

#define DEBUG_EXIT_PORT 0xf4

void kernel_exit(enum exit_code code)
{
    static int exiting;
    outl(DEBUG_EXIT_PORT, code);
    if (exiting++) halt_forever();          /* a fault on the way out */
    /* QEMU 10's isa-debug-exit only requests the exit, which its main loop
     * carries out a moment later: give it that moment (~0.1-1 s of pause
     * where there is no such device) before the fallback prints. */
    for (uint32_t i = 0; i < (1u << 22); i++) pause();
    /* Still here: no isa-debug-exit (e.g. real Hyper-V). The end marker is
     * already out: power off so the VM stops by itself; what follows is
     * plain text, never TAP. */
    char why[200];
    acpi_poweroff(why, sizeof why);
    console_write("hvconform: no ACPI power-off: ");
    console_write(why);
    console_write("; halting\n");
    halt_forever();
}

void kernel_bail(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    console_write("Bail out! ");
    console_write(buf);
    console_write("\n" END_MARKER);
    kernel_exit(EXIT_BAILED);
}
