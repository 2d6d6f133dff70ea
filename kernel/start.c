#include "start.h"
#include "cpu.h"
#include "gdt.h"
#include "idt.h"
#include "paging.h"
#include "serial.h"
#include "time.h"
#include "user.h"
#include "exit.h"

void kernel_start(const char *bootpath, const char *cmdline)
{
    serial_init();
    gdt_init();
    idt_init();
    user_init();
    paging_init();
    time_init();
    hvconform_main(bootpath, cmdline);
    kernel_bail("hvconform_main returned");
}
