/* TSC-based time so every wait has a timeout. The frequency comes from the
 * first time source that applies, in the order the program gives (tests/
 * puts Hyper-V's own sources first, then the PIT): the kernel knows nothing
 * about Hyper-V, the hv/ layer supplies its sources as tsc_source entries.
 * A failed or implausible measurement is an error the caller turns into a
 * Bail out, never a run with wrong timeouts. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H
#include <stddef.h>
#include <stdint.h>

enum tsc_result {
    TSC_OK,         /* hz and source are set */
    TSC_NOT_HERE,   /* this source does not exist on this machine: try the next */
    TSC_FAILED,     /* it exists but gave no usable answer: why says what */
};

struct tsc_reading {
    uint64_t hz;
    const char *source;     /* printed as "tsc: N Hz (source)" */
    char note[200];         /* why an earlier source was passed over, or "" */
    char why[200];          /* TSC_FAILED: the reason */
};

struct tsc_source {
    const char *name;
    enum tsc_result (*measure)(struct tsc_reading *r);
};

/* The legacy 8254 PIT (channel 2 counter, read back through the latch):
 * TSC_FAILED when no PIT answers (its counter never moves). */
extern const struct tsc_source time_pit_source;

/* Try the sources in order. 0 when one gave a plausible frequency (now in
 * use), -1 with the reason in why otherwise. */
int time_init(const struct tsc_source *const *sources, int n, char *why, size_t whylen);
uint64_t time_tsc_hz(void);
const char *time_source(void);
/* Why a better source was passed over ("" when none was). */
const char *time_note(void);

/* Pure, host-tested (kernel/time_calc.c). */
#define TSC_HZ_MIN 100000000ull         /* 100 MHz: below any x86-64 TSC */
#define TSC_HZ_MAX 10000000000ull       /* 10 GHz */
/* NULL when hz is a believable TSC frequency, else why not. */
const char *time_implausible(uint64_t hz);
/* cycles / (units of unit_hz), e.g. 100 ns units: unit_hz = 10^7.
 * 0 when units is 0 or the result would overflow. */
uint64_t time_hz_from(uint64_t cycles, uint64_t units, uint64_t unit_hz);
/* Ticks a down-counter advanced from prev to cur, with one wrap at 2^16. */
uint32_t time_pit_elapsed(uint16_t prev, uint16_t cur);
/* Calibration readings are wrong both ways on a busy nested host: too high
 * when the vCPU was descheduled past a PIT wrap, too low once (31 MHz for a
 * 2.09 GHz TSC in a nested L2). Answer: the lower of the first two that
 * agree within 2%, 0 when no two do. */
#define TIME_MAX_READINGS 8
uint64_t time_hz_agreed(const uint64_t *hz, unsigned n);
/* The median (the lower middle for even n), 0 for n = 0 or n > TIME_MAX_READINGS. */
uint64_t time_hz_median(const uint64_t *hz, unsigned n);

uint64_t time_us_to_tsc(uint64_t us);
uint64_t time_tsc_to_ns(uint64_t cycles);

typedef struct { uint64_t end; } deadline_t;
deadline_t deadline_after_us(uint64_t us);
int deadline_passed(deadline_t d);
void delay_us(uint64_t us);

#endif
