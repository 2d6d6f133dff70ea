/* Powering the machine off through ACPI S5 at the end of a run, so a VM on
 * real Hyper-V stops by itself (no isa-debug-exit there). The RSDP comes
 * from the boot path (multiboot2 ACPI tag, the EFI configuration table),
 * else, on BIOS boots only, from the BIOS area scan (EBDA, 0xE0000-0xFFFFF).
 * Then the FADT's PM1a/PM1b control blocks (or hardware-reduced ACPI's
 * SLEEP_CONTROL_REG) get SLP_TYP from the DSDT's \_S5 package | SLP_EN. */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H
#include <stddef.h>
#include <stdint.h>

/* The boot path's copy of the RSDP (len bytes, up to 36 are kept). */
void acpi_keep_rsdp(const void *rsdp, uint32_t len, const char *source);
/* BIOS boots: allow the legacy RSDP scan when no RSDP was handed over. */
void acpi_allow_bios_scan(void);
/* Enabled processors in the MADT; 0 when there is no RSDP or MADT. */
int acpi_cpu_count(void);
/* Tries S5; returns only when the machine is still running (bounded, about
 * 1 s), with the reason in why. Prints one plain (non-TAP) line first. */
void acpi_poweroff(char *why, size_t whylen);

#endif
