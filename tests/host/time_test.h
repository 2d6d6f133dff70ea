/* kernel/time_calc.c: plausibility of a TSC frequency, the ratio arithmetic
 * of a calibration, the PIT counter's wrap. */
#include "../../kernel/time.h"

static void test_time(void)
{
    CHECK(time_implausible(0) != NULL);
    CHECK(time_implausible(1352000) != NULL);           /* issue 9: q35,pit=off */
    CHECK_HAS(time_implausible(1352000), "100 MHz");
    CHECK(time_implausible(TSC_HZ_MIN - 1) != NULL);
    CHECK(time_implausible(TSC_HZ_MIN) == NULL);
    CHECK(time_implausible(2696492400ull) == NULL);
    CHECK(time_implausible(TSC_HZ_MAX) == NULL);
    CHECK(time_implausible(TSC_HZ_MAX + 1) != NULL);
    CHECK(time_implausible(UINT64_MAX) != NULL);

    /* 50 ms of 100 ns units at 2.5 GHz */
    CHECK_UINT(time_hz_from(125000000ull, 500000, 10000000), 2500000000ull);
    /* 50 ms of PIT ticks */
    CHECK_UINT(time_hz_from(100000000ull, 59659, 1193182), 2000003352ull);  /* 59659 ticks = 49.99986 ms */
    CHECK_UINT(time_hz_from(1, 3, 10000000), 3333333);
    CHECK_UINT(time_hz_from(12345, 0, 10000000), 0);    /* no elapsed units */
    CHECK_UINT(time_hz_from(12345, 10, 0), 0);
    CHECK_UINT(time_hz_from(UINT64_MAX, 1, 10), 0);     /* overflow is 0, not a wrap */
    CHECK_UINT(time_hz_from(UINT64_MAX, UINT64_MAX, 10000000), 10000000);
    CHECK_UINT(time_hz_from(0, 500000, 10000000), 0);

    CHECK_UINT(time_pit_elapsed(0xFFFF, 0xFF00), 0xFF);
    CHECK_UINT(time_pit_elapsed(5, 5), 0);
    CHECK_UINT(time_pit_elapsed(0x0002, 0xFFFE), 4);    /* reload 0xFFFF passed */

    /* measurements: agreement within pct, the low side kept */
    uint64_t two[] = { 2000000000ull, 2010000000ull };
    CHECK_UINT(time_hz_consistent(two, 2, 2), 2000000000ull);
    uint64_t wrapped[] = { 15186344728ull, 2000000000ull };          /* one descheduled: too high */
    CHECK_UINT(time_hz_consistent(wrapped, 2, 2), 0);
    uint64_t third[] = { 15186344728ull, 2000000000ull, 2001000000ull };
    CHECK_UINT(time_hz_consistent(third, 3, 2), 2000000000ull);
    uint64_t far[] = { 2000000000ull, 2100000000ull, 3000000000ull };
    CHECK_UINT(time_hz_consistent(far, 3, 2), 0);
    uint64_t zeros[] = { 0, 0 };
    CHECK_UINT(time_hz_consistent(zeros, 2, 2), 0);
    uint64_t lowest[] = { 3000000000ull, 3001000000ull, 2000000000ull, 2001000000ull };
    CHECK_UINT(time_hz_consistent(lowest, 4, 2), 2000000000ull);
}
