#include "time.h"
#include "cpu.h"

#define PIT_HZ 1193182u
#define CAL_MS 20u
/* Fallback when the PIT doesn't tick (e.g. no PIT on UEFI-only machines):
 * a deliberately high guess makes timeouts longer, never shorter. */
#define FALLBACK_HZ 5000000000ull

static uint64_t tsc_hz = FALLBACK_HZ;
static const char *source = "fallback guess";

/* PIT channel 2 in one-shot mode; the gate is bit 0 of port 0x61 and the
 * output (terminal count) is readable in bit 5. */
static uint64_t calibrate_pit(void)
{
    uint32_t count = PIT_HZ * CAL_MS / 1000;
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
    outb(0x43, 0xB0);                      /* ch2, lo/hi, mode 0 */
    outb(0x42, count & 0xFF);
    outb(0x42, count >> 8);
    uint64_t t0 = rdtsc();
    /* bounded: give up after ~1e8 reads when there is no PIT */
    for (uint32_t i = 0; !(inb(0x61) & 0x20); i++)
        if (i > 100000000u) { outb(0x61, p61); return 0; }
    uint64_t t1 = rdtsc();
    outb(0x61, p61);
    return (t1 - t0) * 1000 / CAL_MS;
}

void time_init(void)
{
    uint64_t hz = calibrate_pit();
    if (hz > 1000000) { tsc_hz = hz; source = "PIT calibration"; }
}

uint64_t time_tsc_hz(void) { return tsc_hz; }
const char *time_source(void) { return source; }

void time_set_tsc_hz(uint64_t hz, const char *src)
{
    if (hz) { tsc_hz = hz; source = src; }
}

uint64_t time_us_to_tsc(uint64_t us)
{
    return us * (tsc_hz / 1000000);
}

uint64_t time_tsc_to_ns(uint64_t cycles)
{
    /* split to avoid overflow for large cycle counts */
    return cycles / tsc_hz * 1000000000ull + cycles % tsc_hz * 1000000000ull / tsc_hz;
}

deadline_t deadline_after_us(uint64_t us)
{
    return (deadline_t){ rdtsc() + time_us_to_tsc(us) };
}

int deadline_passed(deadline_t d)
{
    return (int64_t)(rdtsc() - d.end) >= 0;
}

void delay_us(uint64_t us)
{
    deadline_t d = deadline_after_us(us);
    while (!deadline_passed(d)) pause();
}
