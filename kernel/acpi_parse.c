#include "acpi_parse.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

int acpi_checksum_ok(const uint8_t *p, uint32_t len)
{
    uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++) sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

/* A Generic Address Structure: space 0 memory, 1 system I/O. */
static struct acpi_reg gas(const uint8_t *g)
{
    uint64_t a = rd64(g + 4);
    if (!a) return (struct acpi_reg){ 0, 0 };
    if (g[0] == 0) return (struct acpi_reg){ ACPI_MEM, a };
    if (g[0] == 1) return (struct acpi_reg){ ACPI_IO, a };
    return (struct acpi_reg){ 0, 0 };
}

/* FADT offsets (ACPI 6.5 table 5.9) */
int acpi_parse_fadt(const uint8_t *f, uint32_t len, struct acpi_fadt *o)
{
    *o = (struct acpi_fadt){ 0 };
    if (len < 116) return -1;
    o->dsdt = rd32(f + 40);
    o->smi_cmd = rd32(f + 48);
    o->acpi_enable = f[52];
    uint32_t pm1a = rd32(f + 64), pm1b = rd32(f + 68);
    if (pm1a) o->pm1a_cnt = (struct acpi_reg){ ACPI_IO, pm1a };
    if (pm1b) o->pm1b_cnt = (struct acpi_reg){ ACPI_IO, pm1b };
    o->hw_reduced = (rd32(f + 112) >> 20) & 1;
    if (len >= 148 && rd64(f + 140)) o->dsdt = rd64(f + 140);
    if (len >= 184) {                       /* X_PM1a_CNT_BLK wins when set */
        struct acpi_reg x = gas(f + 172);
        if (x.space) o->pm1a_cnt = x;
    }
    if (len >= 196) {
        struct acpi_reg x = gas(f + 184);
        if (x.space) o->pm1b_cnt = x;
    }
    if (len >= 256) o->sleep_ctl = gas(f + 244);
    return o->pm1a_cnt.space || o->sleep_ctl.space ? 0 : -1;
}

/* One integer element of a package: ZeroOp, OneOp, BytePrefix, WordPrefix,
 * DWordPrefix. Returns bytes used, 0 when it is something else. */
static uint32_t aml_int(const uint8_t *p, uint32_t left, uint32_t *v)
{
    if (left < 1) return 0;
    switch (p[0]) {
    case 0x00: *v = 0; return 1;
    case 0x01: *v = 1; return 1;
    case 0x0A: if (left < 2) return 0; *v = p[1]; return 2;
    case 0x0B: if (left < 3) return 0; *v = rd16(p + 1); return 3;
    case 0x0C: if (left < 5) return 0; *v = rd32(p + 1); return 5;
    default: return 0;
    }
}

int acpi_find_s5(const uint8_t *aml, uint32_t len, uint8_t *typ_a, uint8_t *typ_b)
{
    for (uint32_t i = 1; i + 4 < len; i++) {
        if (aml[i] != '_' || aml[i + 1] != 'S' || aml[i + 2] != '5' || aml[i + 3] != '_') continue;
        /* NameOp, optionally with a root prefix: 08 "_S5_" or 08 5C "_S5_" */
        int named = aml[i - 1] == 0x08 || (i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == 0x08);
        uint32_t p = i + 4;
        if (!named || p >= len || aml[p] != 0x12) continue;        /* PackageOp */
        p++;
        if (p >= len) return -1;
        p += 1 + (aml[p] >> 6);                                     /* PkgLength */
        if (p >= len) return -1;
        uint8_t count = aml[p++];
        uint32_t a = 0, b = 0, n;
        if (count < 1 || !(n = aml_int(aml + p, len - p, &a))) continue;
        p += n;
        if (count >= 2 && !aml_int(aml + p, len - p, &b)) b = 0;
        *typ_a = (uint8_t)(a & 7);
        *typ_b = (uint8_t)(b & 7);
        return 0;
    }
    return -1;
}

int acpi_madt_cpus(const uint8_t *madt, uint32_t len)
{
    int n = 0;
    uint32_t off = 44;          /* header (36), local APIC address (4), flags (4) */
    if (len < off) return 0;
    while (off + 2 <= len) {
        uint8_t type = madt[off], elen = madt[off + 1];
        if (elen < 2 || off + elen > len) return 0;
        if (type == 0 && elen >= 8 && (madt[off + 4] & 1)) n++;         /* Processor Local APIC */
        if (type == 9 && elen >= 16 && (madt[off + 8] & 1)) n++;        /* Processor Local x2APIC */
        off += elen;
    }
    return n;
}
