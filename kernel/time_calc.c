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
