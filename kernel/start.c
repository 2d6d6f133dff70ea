#include "start.h"
#include "cpu.h"
#include "gdt.h"
#include "percpu.h"
#include "idt.h"
#include "paging.h"
#include "serial.h"
#include "time.h"
#include "user.h"
#include "apic.h"
#include "exit.h"

void kernel_start(const char *bootpath, const char *cmdline)
{
    cli();
    serial_init();
    /* legacy 8259 PICs fully masked: interrupts come only from the local
     * APIC, which hv/ programs */
    outb(0x21, 0xFF);
    outb(0xA1, 0xFF);
    gdt_init();
    percpu_init(0);    /* before anything can fault: the fault path uses it */
    idt_init();
    user_init();
    apic_init();
    paging_init();
    hvconform_main(bootpath, cmdline);
    kernel_bail("hvconform_main returned");
}
