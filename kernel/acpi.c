#include "acpi.h"
#include "acpi_parse.h"
#include "cpu.h"
#include "fmt.h"
#include "paging.h"
#include "console.h"
#include "string.h"
#include "time.h"

#define RSDP_LEN 36
#define MAPPED_LIMIT (4ull << 30)   /* kernel/paging.c identity-maps 0-4 GiB */
#define SLP_EN (1u << 13)
#define SLP_TYP_SHIFT 10
#define SCI_EN 1u

static uint8_t rsdp_copy[RSDP_LEN];
static int have_rsdp, bios_scan;
static const char *rsdp_source = "none";

void acpi_keep_rsdp(const void *rsdp, uint32_t len, const char *source)
{
    if (have_rsdp && len < 36) return;      /* keep an ACPI 2.0 copy over a 1.0 one */
    memset(rsdp_copy, 0, sizeof rsdp_copy);
    memcpy(rsdp_copy, rsdp, len < RSDP_LEN ? len : RSDP_LEN);
    have_rsdp = 1;
    rsdp_source = source;
}

void acpi_allow_bios_scan(void) { bios_scan = 1; }

static int is_rsdp(const uint8_t *p)
{
    return memcmp(p, "RSD PTR ", 8) == 0 && acpi_checksum_ok(p, 20);
}

static const uint8_t *scan(uint32_t from, uint32_t to)
{
    for (uint32_t a = from & ~15u; a + 20 <= to; a += 16)
        if (is_rsdp((const uint8_t *)(uintptr_t)a)) return (const uint8_t *)(uintptr_t)a;
    return 0;
}

static const uint8_t *find_rsdp(void)
{
    if (have_rsdp) return is_rsdp(rsdp_copy) ? rsdp_copy : 0;
    if (!bios_scan) return 0;
    const uint8_t *p = 0;
    uint32_t ebda = (uint32_t)paging_read_page0_u16(0x40E) << 4;   /* BIOS data area */
    if (ebda >= 0x80000 && ebda < 0xA0000) p = scan(ebda, ebda + 1024);
    if (!p) p = scan(0xE0000, 0x100000);
    if (p) rsdp_source = "BIOS area scan";
    return p;
}

/* A table by physical address, if mapped, long enough and checksummed. */
static const uint8_t *table(uint64_t pa, const char *sig)
{
    if (!pa || pa + 36 > MAPPED_LIMIT) return 0;
    const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
    uint32_t len;
    memcpy(&len, t + 4, 4);
    if (len < 36 || pa + len > MAPPED_LIMIT) return 0;
    if (sig && memcmp(t, sig, 4) != 0) return 0;
    return acpi_checksum_ok(t, len) ? t : 0;
}

static const uint8_t *find_table(const uint8_t *rsdp, const char *sig)
{
    uint64_t xsdt = 0;
    uint32_t rsdt;
    memcpy(&rsdt, rsdp + 16, 4);
    if (rsdp[15] >= 2) memcpy(&xsdt, rsdp + 24, 8);
    const uint8_t *root = xsdt ? table(xsdt, "XSDT") : 0;
    int wide = root != 0;
    if (!root) root = table(rsdt, "RSDT");
    if (!root) return 0;
    uint32_t len;
    memcpy(&len, root + 4, 4);
    for (uint32_t off = 36; off + (wide ? 8 : 4) <= len; off += wide ? 8 : 4) {
        uint64_t pa = 0;
        memcpy(&pa, root + off, wide ? 8 : 4);
        const uint8_t *t = table(pa, sig);
        if (t) return t;
    }
    return 0;
}

int acpi_cpu_count(void)
{
    const uint8_t *rsdp = find_rsdp();
    const uint8_t *madt = rsdp ? find_table(rsdp, "APIC") : 0;
    uint32_t len;
    if (!madt) return 0;
    memcpy(&len, madt + 4, 4);
    return acpi_madt_cpus(madt, len);
}

static uint16_t reg_read(struct acpi_reg r)
{
    return r.space == ACPI_IO ? inw((uint16_t)r.addr) : *(volatile uint16_t *)(uintptr_t)r.addr;
}

static void reg_write(struct acpi_reg r, uint16_t v)
{
    if (r.space == ACPI_IO) outw((uint16_t)r.addr, v);
    else *(volatile uint16_t *)(uintptr_t)r.addr = v;
}

static int reg_ok(struct acpi_reg r)
{
    return r.space == ACPI_IO ? r.addr <= 0xFFFE : r.space == ACPI_MEM && r.addr + 2 <= MAPPED_LIMIT;
}

#define FAIL(...) do { fmt_snprintf(why, whylen, __VA_ARGS__); return; } while (0)

void acpi_poweroff(char *why, size_t whylen)
{
    const uint8_t *rsdp = find_rsdp();
    if (!rsdp) FAIL(have_rsdp ? "the RSDP from %s is not valid" : "no ACPI RSDP (%s)", have_rsdp ? rsdp_source :
                    "the loader handed none over and this is no BIOS boot");
    const uint8_t *fadt_t = find_table(rsdp, "FACP");
    if (!fadt_t) FAIL("no valid FADT below 4 GiB (RSDP from %s)", rsdp_source);
    struct acpi_fadt f;
    uint32_t flen;
    memcpy(&flen, fadt_t + 4, 4);
    if (acpi_parse_fadt(fadt_t, flen, &f)) FAIL("the FADT names no PM1a control block or sleep control register");
    const uint8_t *dsdt = table(f.dsdt, "DSDT");
    if (!dsdt) FAIL("no valid DSDT below 4 GiB (FADT says %#llx)", (unsigned long long)f.dsdt);
    uint32_t dlen;
    memcpy(&dlen, dsdt + 4, 4);
    uint8_t typ_a, typ_b;
    if (acpi_find_s5(dsdt + 36, dlen - 36, &typ_a, &typ_b)) FAIL("the DSDT has no \\_S5 package");

    struct acpi_reg main = f.pm1a_cnt.space ? f.pm1a_cnt : f.sleep_ctl;
    if (!reg_ok(main) || (f.pm1b_cnt.space && !reg_ok(f.pm1b_cnt))) FAIL("sleep register out of reach");
    char line[200];
    fmt_snprintf(line, sizeof line, "hvconform: powering off: ACPI S5 (RSDP from %s, %s %s %#llx, SLP_TYPa %u)\n",
                 rsdp_source, f.pm1a_cnt.space ? "PM1a_CNT" : "SLEEP_CONTROL_REG",
                 main.space == ACPI_IO ? "port" : "memory", (unsigned long long)main.addr, typ_a);
    console_write(line);

    if (f.pm1a_cnt.space) {
        /* ACPI mode first, when firmware left the machine in legacy mode */
        if (!(reg_read(f.pm1a_cnt) & SCI_EN) && f.smi_cmd && f.smi_cmd <= 0xFFFF && f.acpi_enable) {
            outb((uint16_t)f.smi_cmd, f.acpi_enable);
            deadline_t d = deadline_after_us(300000);
            while (!(reg_read(f.pm1a_cnt) & SCI_EN) && !deadline_passed(d)) pause();
        }
        uint16_t keep = reg_read(f.pm1a_cnt) & (uint16_t)~(7u << SLP_TYP_SHIFT | SLP_EN);
        if (f.pm1b_cnt.space) {
            uint16_t keep_b = reg_read(f.pm1b_cnt) & (uint16_t)~(7u << SLP_TYP_SHIFT | SLP_EN);
            reg_write(f.pm1b_cnt, keep_b | (uint16_t)(typ_b << SLP_TYP_SHIFT) | SLP_EN);
        }
        reg_write(f.pm1a_cnt, keep | (uint16_t)(typ_a << SLP_TYP_SHIFT) | SLP_EN);
    } else {
        uint8_t v = (uint8_t)((typ_a & 7) << 2 | 1 << 5);     /* SLP_TYPx, SLP_EN */
        if (main.space == ACPI_IO) outb((uint16_t)main.addr, v);
        else *(volatile uint8_t *)(uintptr_t)main.addr = v;
    }
    deadline_t d = deadline_after_us(1000000);
    while (!deadline_passed(d)) pause();
    FAIL("still running 1 s after SLP_EN");
}
