/* Ending the run: QEMU's isa-debug-exit (port 0xf4) when present, which
 * makes QEMU exit with (code << 1) | 1; otherwise ACPI S5 power-off
 * (kernel/acpi.h), and a halt when that fails too. Every verdict code is
 * nonzero so a QEMU exit status of 1 (failed to start) can't be mistaken
 * for one. */
#ifndef KERNEL_EXIT_H
#define KERNEL_EXIT_H

enum exit_code {
    EXIT_PASSED = 0x10,     /* QEMU status 33 */
    EXIT_FAILED = 0x11,     /* QEMU status 35 */
    EXIT_BAILED = 0x12,     /* QEMU status 37 */
};

#define END_MARKER "# hvconform: end\n"

void kernel_exit(enum exit_code code) __attribute__((noreturn));
/* Print "Bail out! <reason>" and the end marker, then exit EXIT_BAILED. */
void kernel_bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif
