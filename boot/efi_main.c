/* UEFI entry (GNU-EFI): crt0's _start has applied the image's relocations
 * and calls efi_main(image, systab) with the SysV ABI. Here we find the
 * kernel command line, leave boot services and hand the machine to
 * kernel_start("efi", cmdline), exactly where the multiboot path ends up.
 *
 * The command line comes from, first match wins:
 *  1. LoadOptions (UCS-2), as the UEFI Shell or a Boot#### entry with text
 *     optional data passes them. A Shell's leading image token ("fs0:\x.efi",
 *     "BOOTX64.EFI") is dropped here.
 *     Boot managers attach binary optional data to entries they create
 *     (OVMF: a GUID); anything that is not printable UCS-2 text counts as
 *     no command line.
 *  2. \EFI\BOOT\cmdline.txt on the volume the image was loaded from, ASCII
 *     (or UCS-2 with a byte-order mark); line breaks count as spaces. Other
 *     control bytes are kept as '?' so a garbled file fails loudly as an
 *     unknown argument (Bail out!) instead of being silently dropped.
 * A command line longer than CMDLINE_MAX - 1 characters, from either, is a
 * Bail out! with that reason, never silently cut.
 *
 * After ExitBootServices the kernel installs its own GDT, IDT and page
 * tables, which identity-map 0-4 GiB only: the firmware must have loaded
 * this image below 4 GiB (OVMF and Hyper-V Gen2 do). The kernel runs on a
 * stack inside the image (the same 64 KiB as the multiboot path), not on
 * the firmware's. */
#include <efi.h>
#include "../kernel/acpi.h"
#include "../kernel/exit.h"
#include "../kernel/lowmem.h"
#include "../kernel/serial.h"
#include "../kernel/smp.h"
#include "../kernel/start.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

#define CMDLINE_MAX 1024    /* harness/cmdline.c takes up to OPT_MAX_TEXT */

static char cmdline[CMDLINE_MAX];
static const char *cmdline_source = "none";
static int cmdline_too_long;        /* the source held more than CMDLINE_MAX - 1 characters */
static UINT8 mmap_static[64 * 1024] __attribute__((aligned(8)));
static uint8_t kstack[65536] __attribute__((aligned(16)));

static struct lowmem lowmem;
static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;
static EFI_GUID simple_fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;

static void con(EFI_SYSTEM_TABLE *st, const CHAR16 *s)
{
    if (st->ConOut) st->ConOut->OutputString(st->ConOut, (CHAR16 *)s);
}

/* ASCII into a CHAR16 buffer for ConOut (cmdline is ASCII by now). */
static void con_ascii(EFI_SYSTEM_TABLE *st, const char *s)
{
    CHAR16 buf[128];
    while (*s) {
        UINTN n = 0;
        while (*s && n < 127) buf[n++] = (CHAR16)(unsigned char)*s++;
        buf[n] = 0;
        con(st, buf);
    }
}

/* The UEFI Shell passes the command as typed, image first: "fs0:\x.efi",
 * "BOOTX64.EFI" or "\EFI\BOOT\BOOTX64.EFI". harness/cmdline.c skips nothing,
 * so drop any first token that has a ':' or '\' or ends in ".efi": no
 * kernel argument looks like that. */
static void drop_image_token(void)
{
    char *s = cmdline, *e;
    while (*s == ' ') s++;
    int pathlike = 0;
    for (e = s; *e && *e != ' '; e++)
        if (*e == ':' || *e == '\\') pathlike = 1;
    if (e - s >= 4 && e[-4] == '.' && (e[-3] | 0x20) == 'e' && (e[-2] | 0x20) == 'f' && (e[-1] | 0x20) == 'i')
        pathlike = 1;
    if (!pathlike) return;
    char *d = cmdline;
    while (*e == ' ') e++;
    while ((*d++ = *e++)) {}
}

/* UCS-2 LoadOptions -> cmdline; 0 when absent or not printable text. */
static int from_load_options(const void *opts, UINT32 size)
{
    if (!opts || size < 2) return 0;
    const CHAR16 *w = opts;
    UINTN n = size / 2, len = 0;
    if (w[0] == 0xFEFF) w++, n--;
    for (UINTN i = 0; i < n && w[i]; i++) {
        CHAR16 c = w[i];
        if (c == '\t' || c == '\r' || c == '\n') c = ' ';
        if (c < 0x20 || c > 0x7E) return 0;      /* binary optional data */
        if (len + 1 >= CMDLINE_MAX) { cmdline_too_long = 1; return 1; }
        cmdline[len++] = (char)c;
    }
    cmdline[len] = '\0';
    drop_image_token();
    for (UINTN i = 0; cmdline[i]; i++)
        if (cmdline[i] != ' ') return 1;
    cmdline[0] = '\0';
    return 0;
}

static void store_file_text(const UINT8 *b, UINTN size)
{
    UINTN len = 0;
    int wide = size >= 2 && b[0] == 0xFF && b[1] == 0xFE;
    UINTN i = 0, step = wide ? 2 : 1;
    if (wide) i = 2;
    else if (size >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF) i = 3;   /* UTF-8 BOM */
    for (; i + step <= size; i += step) {
        unsigned c = wide ? (unsigned)(b[i] | b[i + 1] << 8) : b[i];
        if (c == 0) break;
        if (len + 1 >= CMDLINE_MAX) { cmdline_too_long = 1; break; }
        if (c == '\t' || c == '\r' || c == '\n') c = ' ';
        if (c < 0x20 || c > 0x7E) c = '?';
        cmdline[len++] = (char)c;
    }
    while (len && cmdline[len - 1] == ' ') len--;
    cmdline[len] = '\0';
}

/* \EFI\BOOT\cmdline.txt beside the image; 0 when there is none. */
static int from_file(EFI_SYSTEM_TABLE *st, EFI_LOADED_IMAGE *li)
{
    EFI_FILE_IO_INTERFACE *fs = 0;
    EFI_FILE_HANDLE root = 0, f = 0;
    static UINT8 buf[2 * CMDLINE_MAX + 2];     /* UCS-2 with a BOM; more is too long */
    UINTN size = sizeof buf;

    if (!li->DeviceHandle) return 0;
    if (EFI_ERROR(st->BootServices->HandleProtocol(li->DeviceHandle, &simple_fs_guid, (void **)&fs)) || !fs)
        return 0;
    if (EFI_ERROR(fs->OpenVolume(fs, &root))) return 0;
    EFI_STATUS s = root->Open(root, &f, (CHAR16 *)L"\\EFI\\BOOT\\cmdline.txt", EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(s)) { root->Close(root); return 0; }
    s = f->Read(f, &size, buf);
    f->Close(f);
    root->Close(root);
    if (EFI_ERROR(s)) return 0;
    if (size == sizeof buf) cmdline_too_long = 1;   /* the file goes on */
    store_file_text(buf, size);
    return 1;
}

/* Before a Bail out ahead of the kernel: a TAP stream of its own, so a
 * reader (tools/check-log) sees the reason rather than "not a TAP log". */
static void early_tap(void)
{
    serial_init();
    serial_write("TAP version 13\n# hvconform efi (before the kernel)\n");
}

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
    const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;
    for (int i = 0; i < 16; i++)
        if (x[i] != y[i]) return 0;
    return 1;
}

/* The RSDP from the configuration table, ACPI 2.0 preferred (copied now:
 * the table lives in firmware memory). */
static void keep_rsdp(EFI_SYSTEM_TABLE *st)
{
    for (int pass = 0; pass < 2; pass++)
        for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
            EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
            if (!guid_eq(&t->VendorGuid, pass ? &acpi10_guid : &acpi20_guid)) continue;
            acpi_keep_rsdp(t->VendorTable, pass ? 20 : 36,
                           pass ? "EFI configuration table (ACPI 1.0)" : "EFI configuration table (ACPI 2.0)");
            return;
        }
}

/* The final memory map: after ExitBootServices, boot-services memory is
 * free RAM too (UEFI spec, "EFI_BOOT_SERVICES.ExitBootServices()"). */
static void keep_startup_page(const UINT8 *map, UINTN size, UINTN dsize)
{
    lowmem_init(&lowmem);
    for (UINTN off = 0; dsize && off + dsize <= size; off += dsize) {
        const EFI_MEMORY_DESCRIPTOR *d = (const EFI_MEMORY_DESCRIPTOR *)(map + off);
        int usable = d->Type == EfiConventionalMemory || d->Type == EfiBootServicesCode ||
                     d->Type == EfiBootServicesData;
        lowmem_add(&lowmem, d->PhysicalStart, d->NumberOfPages << 12, usable);
    }
    UINT32 page = lowmem_pick(&lowmem);
    smp_set_startup_page(page, page ? "EFI memory map" : "no free page below 0xA0000 in the EFI memory map");
}

static void leave_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    EFI_BOOT_SERVICES *bs = st->BootServices;
    UINT8 *map = mmap_static;
    UINTN cap = sizeof mmap_static;
    EFI_STATUS s = EFI_SUCCESS;

    for (int attempt = 0; attempt < 8; attempt++) {
        UINTN size = cap, key = 0, dsize = 0;
        UINT32 dver = 0;
        s = bs->GetMemoryMap(&size, (EFI_MEMORY_DESCRIPTOR *)map, &key, &dsize, &dver);
        if (s == EFI_BUFFER_TOO_SMALL && attempt == 0) {
            /* only before the first ExitBootServices call may we allocate */
            cap = size + 16 * (dsize ? dsize : 64);
            if (EFI_ERROR(bs->AllocatePool(EfiLoaderData, cap, (void **)&map))) break;
            continue;
        }
        if (EFI_ERROR(s)) break;
        s = bs->ExitBootServices(image, key);
        if (s == EFI_SUCCESS) { keep_startup_page(map, size, dsize); return; }
        if (s != EFI_INVALID_PARAMETER) break;   /* stale map key: fetch it again */
    }
    /* Boot services may be half torn down now: report over COM1 ourselves. */
    early_tap();
    kernel_bail("efi: ExitBootServices failed, status %#llx", (unsigned long long)s);
}

static void __attribute__((noreturn)) efi_kernel(void)
{
    kernel_start("efi", cmdline);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
    EFI_LOADED_IMAGE *li = 0;
    if (!EFI_ERROR(st->BootServices->HandleProtocol(image, &loaded_image_guid, (void **)&li)) && li) {
        if (from_load_options(li->LoadOptions, li->LoadOptionsSize)) cmdline_source = "LoadOptions";
        else if (from_file(st, li)) cmdline_source = "\\EFI\\BOOT\\cmdline.txt";
    }

    con(st, L"hvconform: command line (");
    con_ascii(st, cmdline_source);
    con(st, L"): ");
    con_ascii(st, cmdline[0] ? cmdline : "(none)");
    con(st, L"\r\nhvconform: leaving boot services; TAP follows on COM1\r\n");
    if (cmdline_too_long) {
        con(st, L"hvconform: command line too long\r\n");
        early_tap();
        kernel_bail("efi: %s: command line longer than %d characters (not cut: shorten it)",
                    cmdline_source, CMDLINE_MAX - 1);
    }

    keep_rsdp(st);
    /* no firmware timer ticks may land on the kernel's IDT */
    leave_boot_services(image, st);
    __asm__ volatile("cli");

    /* switch to the kernel's own stack and never come back */
    __asm__ volatile(
        "movq %0, %%rsp\n"
        "xorl %%ebp, %%ebp\n"
        "call *%1\n"
        "ud2\n"
        :: "r"(kstack + sizeof kstack), "r"(efi_kernel) : "memory");
    __builtin_unreachable();
}
