/* The pure part of ACPI power-off (host-tested): table checksums, the FADT
 * fields S5 needs, and SLP_TYPa/b from the \_S5 package found by a minimal
 * AML byte search (NameOp "_S5_" PackageOp ...), as small kernels do. */
#ifndef KERNEL_ACPI_PARSE_H
#define KERNEL_ACPI_PARSE_H
#include <stdint.h>

enum { ACPI_IO = 1, ACPI_MEM = 2 };     /* how a register is reached; 0 = absent */

struct acpi_reg { int space; uint64_t addr; };

struct acpi_fadt {
    uint64_t dsdt;                  /* X_DSDT when present and nonzero, else DSDT */
    struct acpi_reg pm1a_cnt, pm1b_cnt;
    struct acpi_reg sleep_ctl;      /* hardware-reduced ACPI's SLEEP_CONTROL_REG */
    int hw_reduced;                 /* FADT flags bit 20 */
    uint32_t smi_cmd;
    uint8_t acpi_enable;
};

/* Sum of len bytes is 0 (mod 256). */
int acpi_checksum_ok(const uint8_t *p, uint32_t len);
/* 0 on success; -1 when the table is too short or carries no way to sleep. */
int acpi_parse_fadt(const uint8_t *fadt, uint32_t len, struct acpi_fadt *out);
/* Processors the MADT lists as enabled (Local APIC and x2APIC entries, flags
 * bit 0); 0 when the table is malformed. */
int acpi_madt_cpus(const uint8_t *madt, uint32_t len);
/* 0 and SLP_TYPa/b (3 bits each) when a \_S5 package is found. */
int acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *typ_a, uint8_t *typ_b);

#endif
