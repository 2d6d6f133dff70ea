#include "virtio_console.h"
#include "cpu.h"
#include "fmt.h"
#include "pci.h"
#include <stdint.h>

/* Legacy ("transitional") virtio over PCI: virtio 0.9.5 / virtio 1.x 4.1.4.8.
 * Device 0x1003 is the console; its I/O BAR 0 holds these registers (no
 * MSI-X, so the device-specific part starts at 0x14 and is not needed). */
#define VIRTIO_VENDOR      0x1AF4
#define VIRTIO_CONSOLE_ID  0x1003
#define REG_GUEST_FEATURES 0x04
#define REG_QUEUE_PFN      0x08
#define REG_QUEUE_SIZE     0x0C
#define REG_QUEUE_SELECT   0x0E
#define REG_QUEUE_NOTIFY   0x10
#define REG_STATUS         0x12
#define STATUS_ACK 1u
#define STATUS_DRIVER 2u
#define STATUS_DRIVER_OK 4u
#define TRANSMITQ 1                     /* port 0: receiveq 0, transmitq 1 */
#define AVAIL_NO_INTERRUPT 1u
#define VRING_ALIGN 4096u
/* where an unassigned BAR 0 goes: the start of the PCI I/O window SeaBIOS
 * uses on QEMU's PC, where no ISA device sits */
#define IO_BASE 0xC000u
/* a wait for the device to take one write; generous, it is never reached
 * by a working device (microseconds) */
#define TAKE_SPIN_LIMIT 200000000u

struct vring_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };

/* room for a queue of 1024, QEMU's largest (VIRTQUEUE_MAX_SIZE): a legacy
 * driver must take the size the device offers, and QEMU 10's virtio-serial
 * offers 1024 (QEMU 7.2's: 128) */
static uint8_t ring[8 * 4096] __attribute__((aligned(4096)));
static char data[4096];
static uint16_t io, qsize, next_avail;
static volatile struct vring_desc *desc;
static volatile uint16_t *avail;        /* flags, idx, ring[qsize] */
static volatile uint16_t *used;         /* flags, idx, then the elements */

static size_t ring_bytes(uint16_t q)
{
    size_t first = 16u * q + 2u * (3u + q);
    first = (first + VRING_ALIGN - 1) & ~(size_t)(VRING_ALIGN - 1);
    return first + 2u * 3u + 8u * q;
}

const char *virtio_console_init(char *where, size_t wherelen)
{
    struct pci_dev d;
    if (pci_find(VIRTIO_VENDOR, VIRTIO_CONSOLE_ID, &d))
        return "no legacy virtio console (PCI 1af4:1003) on bus 0";
    int assigned;
    io = pci_io_bar(d, 0x10, IO_BASE, &assigned);
    if (!io) return "virtio console's BAR 0 is no I/O BAR, or could not be assigned";
    /* command: I/O space and bus mastering (the device reads our memory) */
    pci_write16(d, 0x04, (uint16_t)(pci_read32(d, 0x04) | 0x5));

    outb(io + REG_STATUS, 0);                       /* reset */
    outb(io + REG_STATUS, STATUS_ACK);
    outb(io + REG_STATUS, STATUS_ACK | STATUS_DRIVER);
    outl(io + REG_GUEST_FEATURES, 0);               /* no multiport: port 0 only */
    outw(io + REG_QUEUE_SELECT, TRANSMITQ);
    qsize = inw(io + REG_QUEUE_SIZE);
    if (qsize == 0 || ring_bytes(qsize) > sizeof ring) {
        outb(io + REG_STATUS, 0);
        return "virtio console's transmit queue size is 0 or over what the kernel reserved";
    }
    for (size_t i = 0; i < sizeof ring; i++) ring[i] = 0;
    desc = (volatile struct vring_desc *)ring;
    avail = (volatile uint16_t *)(ring + 16u * qsize);
    used = (volatile uint16_t *)(ring + ring_bytes(qsize) - (2u * 3u + 8u * qsize));
    avail[0] = AVAIL_NO_INTERRUPT;
    next_avail = 0;
    /* identity-mapped below 4 GiB (paging.h): the address is physical */
    outl(io + REG_QUEUE_PFN, (uint32_t)((uintptr_t)ring >> 12));
    outb(io + REG_STATUS, STATUS_ACK | STATUS_DRIVER | STATUS_DRIVER_OK);
    fmt_snprintf(where, wherelen, "virtio console at PCI 00:%02x.%u, I/O %#x%s, transmit queue of %u",
                 d.dev, d.fn, io, assigned ? " (BAR 0 assigned here: the firmware left it)" : "", qsize);
    return 0;
}

/* One buffer in flight at a time: hand it over, notify, wait until used. */
static int submit(size_t len)
{
    desc[0].addr = (uint64_t)(uintptr_t)data;
    desc[0].len = (uint32_t)len;
    desc[0].flags = 0;
    avail[2 + next_avail % qsize] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    avail[1] = ++next_avail;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    outw(io + REG_QUEUE_NOTIFY, TRANSMITQ);
    for (uint32_t i = 0; i < TAKE_SPIN_LIMIT; i++) {
        if (used[1] == next_avail) return 0;
        pause();
    }
    return -1;
}

int virtio_console_write(const char *buf, size_t len)
{
    size_t n = 0;
    while (len) {
        char c = *buf++;
        len--;
        if (c == '\n') data[n++] = '\r';       /* the same bytes COM1 sends */
        data[n++] = c;
        if (n >= sizeof data - 1 || !len) {
            if (submit(n)) return -1;
            n = 0;
        }
    }
    return 0;
}
