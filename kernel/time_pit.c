/* TSC calibration against the legacy 8254 PIT, for machines without a
 * hypervisor time source. Channel 2 runs as a rate generator with its gate
 * on (port 0x61 bit 0, speaker off); the counter is read through the latch
 * command, so nothing waits on port 0x61's output bit (which never rises on
 * Hyper-V Gen1: toaruos issue 296). A missing PIT (QEMU
 * q35 pit=off, Hyper-V Gen2) reads a counter that never moves: that is
 * TSC_FAILED, not a guess. Every loop is bounded by a count of reads. */
#include "time.h"
#include "cpu.h"
#include "fmt.h"

#define PIT_HZ 1193182u
/* 10 ms per measurement: a read's own time (three port I/Os) bounds the
 * error at each end, well under the precision the suite needs (its
 * shortest wait is 100 us, its windows 5-200 ms); each boot pays it at
 * least twice (pit_measure). docs/DESIGN.md has the measured spread. */
#define CAL_TICKS (PIT_HZ / 100)
#define STILL_READS 100000u            /* a live PIT moves every 838 ns */
#define MAX_READS 50000000u

static uint16_t latch_ch2(void)
{
    outb(0x43, 0x80);                  /* counter latch, channel 2 */
    uint8_t lo = inb(0x42);
    uint8_t hi = inb(0x42);
    return (uint16_t)(lo | hi << 8);
}

static enum tsc_result pit_once(struct tsc_reading *r)
{
    uint8_t p61 = inb(0x61);
    outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));   /* gate on, speaker off */
    outb(0x43, 0xB4);                  /* channel 2, lo/hi, mode 2, binary */
    outb(0x42, 0xFF);
    outb(0x42, 0xFF);

    enum tsc_result res = TSC_FAILED;
    uint16_t first = latch_ch2(), prev = first, cur = first;
    uint32_t reads = 0, still = 0;
    /* start on a counter change, so t0 and the count belong together */
    while (cur == first) {
        cur = latch_ch2();
        if (++still > STILL_READS) {
            fmt_snprintf(r->why, sizeof r->why, "no PIT: channel 2's counter stays at %#x for %u reads "
                         "(no 8254 on this machine, e.g. Hyper-V Gen2 or QEMU pit=off)", cur, STILL_READS);
            goto out;
        }
    }
    uint64_t t0 = rdtsc(), t1 = t0;
    uint32_t ticks = 0;
    prev = cur;
    still = 0;
    while (ticks < CAL_TICKS) {
        cur = latch_ch2();
        t1 = rdtsc();
        if (cur == prev) {
            if (++still > STILL_READS) {
                fmt_snprintf(r->why, sizeof r->why, "PIT channel 2 stopped at %#x after %u ticks", cur, ticks);
                goto out;
            }
        } else {
            still = 0;
            ticks += time_pit_elapsed(prev, cur);
            prev = cur;
        }
        if (++reads > MAX_READS) {
            fmt_snprintf(r->why, sizeof r->why, "PIT channel 2 advanced only %u ticks in %u reads", ticks, MAX_READS);
            goto out;
        }
    }
    r->hz = time_hz_from(t1 - t0, ticks, PIT_HZ);
    r->source = "PIT";
    res = TSC_OK;
out:
    outb(0x61, p61);
    return res;
}

/* A vCPU descheduled for over a PIT period (55 ms) during a measurement
 * misses a wrap of the counter and measures too high, and a nested L2's PIT
 * counts from L1's clock, which can jump (too low). So one measurement is
 * never trusted alone: they go on until two agree (time_hz_agreed), at most
 * PIT_TRIES; when none do, the median is used and the log says so. */
#define PIT_TRIES 5
_Static_assert(PIT_TRIES == 5 && PIT_TRIES <= TIME_MAX_READINGS, "the note prints five readings");

static enum tsc_result pit_measure(struct tsc_reading *r)
{
    uint64_t hz[PIT_TRIES];
    unsigned n = 0;
    while (n < PIT_TRIES) {
        enum tsc_result res = pit_once(r);
        if (res != TSC_OK) return res;
        hz[n++] = r->hz;
        uint64_t agreed = time_hz_agreed(hz, n);
        if (agreed) {
            r->hz = agreed;
            return TSC_OK;
        }
    }
    r->hz = time_hz_median(hz, n);
    fmt_snprintf(r->note, sizeof r->note, "PIT: no two of %u measurements agreed within 2%% "
                 "(%llu, %llu, %llu, %llu, %llu Hz), the median used", n, (unsigned long long)hz[0],
                 (unsigned long long)hz[1], (unsigned long long)hz[2], (unsigned long long)hz[3],
                 (unsigned long long)hz[4]);
    return TSC_OK;
}

const struct tsc_source time_pit_source = { "PIT", pit_measure };
