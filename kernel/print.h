/* kprintf: formatted output to the serial console. */
#ifndef KERNEL_PRINT_H
#define KERNEL_PRINT_H

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
