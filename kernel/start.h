/* Boot paths end here: kernel_start() sets up the CPU (GDT, IDT, page
 * tables, serial, time) and runs the program, hvconform_main(), which the
 * test harness provides. That call is the kernel's only upward reference. */
#ifndef KERNEL_START_H
#define KERNEL_START_H

void kernel_start(const char *bootpath, const char *cmdline) __attribute__((noreturn));
void hvconform_main(const char *bootpath, const char *cmdline);

#endif
