/* The pure arithmetic of TSC calibration (host-tested). */
#include "time.h"

const char *time_implausible(uint64_t hz)
{
    if (hz == 0) return "0 Hz";
    if (hz < TSC_HZ_MIN) return "below 100 MHz, slower than any x86-64 TSC";
    if (hz > TSC_HZ_MAX) return "above 10 GHz";
    return 0;
}

uint64_t time_hz_from(uint64_t cycles, uint64_t units, uint64_t unit_hz)
{
    if (!units || !unit_hz) return 0;
    /* cycles * unit_hz / units without overflowing the product */
    uint64_t q = cycles / units, r = cycles % units;
    if (q && unit_hz > UINT64_MAX / q) return 0;
    uint64_t hi = q * unit_hz;
    if (r && unit_hz > UINT64_MAX / r) return 0;  /* units beyond any calibration window */
    uint64_t lo = r * unit_hz / units;
    if (hi > UINT64_MAX - lo) return 0;
    return hi + lo;
}

uint32_t time_pit_elapsed(uint16_t prev, uint16_t cur)
{
    return (uint16_t)(prev - cur);
}

/* Two readings agree when they differ by at most 1/50 (2%) of the lower. */
static int agree(uint64_t a, uint64_t b)
{
    uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
    return hi - lo <= lo / 50;
}

uint64_t time_hz_agreed(const uint64_t *hz, unsigned n)
{
    for (unsigned j = 1; j < n; j++)
        for (unsigned i = 0; i < j; i++)
            if (agree(hz[i], hz[j])) return hz[i] < hz[j] ? hz[i] : hz[j];
    return 0;
}

uint64_t time_hz_median(const uint64_t *hz, unsigned n)
{
    uint64_t s[TIME_MAX_READINGS];
    if (n == 0 || n > TIME_MAX_READINGS) return 0;
    for (unsigned i = 0; i < n; i++) {          /* insertion sort: n is tiny */
        unsigned k = i;
        for (; k > 0 && s[k - 1] > hz[i]; k--) s[k] = s[k - 1];
        s[k] = hz[i];
    }
    return s[(n - 1) / 2];                       /* the lower middle for even n */
}
