#include "console.h"
#include "cpu.h"
#include "serial.h"
#include "string.h"
#include "time.h"
#include "virtio_console.h"

static int virtio_on;
/* APs may print while the BSP does: the virtio path has one buffer. A
 * bounded wait, so a fault inside a write can't deadlock the next one. */
static volatile int busy;
static volatile unsigned acks;      /* writes the virtio console's host gave back */
static unsigned acks_at_mark;

void console_sync_mark(void) { acks_at_mark = acks; }

enum console_sync console_sync_host(void)
{
    if (acks - acks_at_mark >= 2) return CONSOLE_SYNC_PROVEN;
    delay_us(CONSOLE_SYNC_WAIT_US);
    return CONSOLE_SYNC_TIMED;
}

enum console_sync console_sync_now(int steps, const char *why)
{
    if (virtio_on) {
        unsigned start = acks;
        console_write("# host event loop: ");
        console_write(why);
        for (int i = 2; i < 2 * steps; i++) console_write(".");
        console_write("\n");
        if (acks - start >= 2u * (unsigned)steps) return CONSOLE_SYNC_PROVEN;
    }
    /* COM1, or the virtio console stopped on the way */
    delay_us((uint64_t)steps * CONSOLE_SYNC_WAIT_US);
    return CONSOLE_SYNC_TIMED;
}

const char *console_use_virtio(char *where, size_t wherelen)
{
    const char *why = virtio_console_init(where, wherelen);
    if (!why) virtio_on = 1;
    return why;
}

void console_write(const char *s)
{
    if (!*s) return;        /* QEMU's virtqueue_map_desc refuses a zero-sized buffer */
    if (!virtio_on) {
        serial_write(s);
        return;
    }
    for (int i = 0; i < 10000000 && __atomic_exchange_n(&busy, 1, __ATOMIC_ACQUIRE); i++)
        pause();
    if (virtio_console_write(s, strlen(s))) {
        virtio_on = 0;
        serial_write("\n# console: the virtio console stopped taking output; COM1 from here (a line may be lost)\n");
        serial_write(s);
    } else {
        acks++;
    }
    __atomic_store_n(&busy, 0, __ATOMIC_RELEASE);
}
