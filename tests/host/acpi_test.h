/* kernel/acpi_parse.c: checksums, the FADT's sleep registers, \_S5 in AML. */
#include "../../kernel/acpi_parse.h"

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> 8 * i); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

static int s5(const uint8_t *aml, uint32_t len, int *a, int *b)
{
    uint8_t ta = 0xEE, tb = 0xEE;
    int rc = acpi_find_s5(aml, len, &ta, &tb);
    *a = ta;
    *b = tb;
    return rc;
}

static void test_acpi(void)
{
    uint8_t sum[4] = { 1, 2, 3, 250 };
    CHECK(acpi_checksum_ok(sum, 4));
    sum[0] = 2;
    CHECK(!acpi_checksum_ok(sum, 4));

    /* ACPI 1.0 FADT (116 bytes): QEMU i440fx shape */
    static uint8_t f[276];
    struct acpi_fadt o;
    memset(f, 0, sizeof f);
    put32(f + 40, 0x7fe0040);
    put32(f + 48, 0xb2);
    f[52] = 0xf1;
    put32(f + 64, 0x604);
    CHECK_INT(acpi_parse_fadt(f, 116, &o), 0);
    CHECK_UINT(o.dsdt, 0x7fe0040);
    CHECK_INT(o.pm1a_cnt.space, ACPI_IO);
    CHECK_UINT(o.pm1a_cnt.addr, 0x604);
    CHECK_INT(o.pm1b_cnt.space, 0);
    CHECK_UINT(o.smi_cmd, 0xb2);
    CHECK_UINT(o.acpi_enable, 0xf1);
    CHECK_INT(o.hw_reduced, 0);
    CHECK_INT(acpi_parse_fadt(f, 115, &o), -1);    /* too short */

    /* ACPI 2.0+: X_DSDT and X_PM1a_CNT_BLK (memory) win over the 32-bit fields */
    put64(f + 140, 0x123456000ull);
    f[172] = 0;                                     /* system memory */
    put64(f + 176, 0xfed00004ull);
    f[184] = 1;                                     /* PM1b: system I/O */
    put64(f + 188, 0x804);
    CHECK_INT(acpi_parse_fadt(f, 244, &o), 0);
    CHECK_UINT(o.dsdt, 0x123456000ull);
    CHECK_INT(o.pm1a_cnt.space, ACPI_MEM);
    CHECK_UINT(o.pm1a_cnt.addr, 0xfed00004ull);
    CHECK_INT(o.pm1b_cnt.space, ACPI_IO);
    CHECK_UINT(o.pm1b_cnt.addr, 0x804);
    f[172] = 7;                                     /* unknown space: the 32-bit field stays */
    CHECK_INT(acpi_parse_fadt(f, 244, &o), 0);
    CHECK_INT(o.pm1a_cnt.space, ACPI_IO);
    CHECK_UINT(o.pm1a_cnt.addr, 0x604);

    /* hardware-reduced: no PM1 blocks, SLEEP_CONTROL_REG */
    memset(f, 0, sizeof f);
    put32(f + 112, 1u << 20);
    CHECK_INT(acpi_parse_fadt(f, 276, &o), -1);    /* nothing to write */
    f[244] = 1;
    put64(f + 248, 0x400);
    CHECK_INT(acpi_parse_fadt(f, 276, &o), 0);
    CHECK_INT(o.hw_reduced, 1);
    CHECK_INT(o.pm1a_cnt.space, 0);
    CHECK_INT(o.sleep_ctl.space, ACPI_IO);
    CHECK_UINT(o.sleep_ctl.addr, 0x400);

    /* \_S5 packages */
    int a, b;
    const uint8_t qemu[] = { 0x10, 0x08, 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
    CHECK_INT(s5(qemu, sizeof qemu, &a, &b), 0);
    CHECK_INT(a, 0);
    CHECK_INT(b, 0);
    const uint8_t bytes[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x0A, 0x04, 0x0A, 0x07, 0x0A, 0x05, 0x00, 0x00 };
    CHECK_INT(s5(bytes, sizeof bytes, &a, &b), 0);
    CHECK_INT(a, 7);
    CHECK_INT(b, 5);
    const uint8_t one[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x01, 0x0B, 0x06, 0x00 };
    CHECK_INT(s5(one, sizeof one, &a, &b), 0);
    CHECK_INT(a, 1);
    CHECK_INT(b, 6);
    /* a two-byte PkgLength */
    const uint8_t longpkg[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x40, 0x01, 0x02, 0x0A, 0x03, 0x0A, 0x03 };
    CHECK_INT(s5(longpkg, sizeof longpkg, &a, &b), 0);
    CHECK_INT(a, 3);
    /* a method call or a reference named _S5_ is no package: keep looking */
    const uint8_t decoy[] = { 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x01, 0x0A, 0x02 };
    CHECK_INT(s5(decoy, sizeof decoy, &a, &b), 0);
    CHECK_INT(a, 2);
    CHECK_INT(b, 0);
    /* none, or cut short: no answer and no read past the end (ASan) */
    const uint8_t none[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x01, 0x0A, 0x02 };
    CHECK_INT(s5(none, sizeof none, &a, &b), -1);
    CHECK_INT(s5(qemu, 9, &a, &b), -1);
    CHECK_INT(s5(bytes, 8, &a, &b), -1);
    CHECK_INT(s5(qemu, 0, &a, &b), -1);

    /* MADT: two enabled Local APICs, one disabled, one enabled x2APIC; an I/O APIC */
    uint8_t madt[44 + 8 * 3 + 12 + 16] = { 'A', 'P', 'I', 'C' };
    uint32_t off = 44;
    for (int i = 0; i < 3; i++, off += 8) {
        madt[off] = 0; madt[off + 1] = 8; madt[off + 3] = (uint8_t)i; madt[off + 4] = i == 2 ? 0 : 1;
    }
    madt[off] = 1; madt[off + 1] = 12; off += 12;                   /* I/O APIC: not a CPU */
    madt[off] = 9; madt[off + 1] = 16; madt[off + 8] = 1; off += 16;
    CHECK_INT(acpi_madt_cpus(madt, off), 3);
    CHECK_INT(acpi_madt_cpus(madt, 44 + 8), 1);
    CHECK_INT(acpi_madt_cpus(madt, 44 + 7), 0);                     /* an entry cut short */
    CHECK_INT(acpi_madt_cpus(madt, 20), 0);
    madt[44 + 1] = 0;                                               /* a zero length never loops */
    CHECK_INT(acpi_madt_cpus(madt, off), 0);
}
