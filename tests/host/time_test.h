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

    /* agreement: the lower of the first pair within 2% */
    uint64_t two[] = { 2088000000ull, 2090000000ull };
    CHECK_UINT(time_hz_agreed(two, 2), 2088000000ull);
    uint64_t low_first[] = { 31477411ull, 2088000000ull, 2089000000ull };   /* the nested L2's low reading */
    CHECK_UINT(time_hz_agreed(low_first, 2), 0);
    CHECK_UINT(time_hz_agreed(low_first, 3), 2088000000ull);
    uint64_t high_mid[] = { 2088000000ull, 9000000000ull, 2100000000ull };
    CHECK_UINT(time_hz_agreed(high_mid, 3), 2088000000ull);
    uint64_t edge[] = { 1000000000ull, 1020000000ull, 1020000001ull };
    CHECK_UINT(time_hz_agreed(edge, 2), 1000000000ull);       /* exactly 2% */
    uint64_t over[] = { 1000000000ull, 1020000001ull };
    CHECK_UINT(time_hz_agreed(over, 2), 0);
    CHECK_UINT(time_hz_agreed(two, 1), 0);
    CHECK_UINT(time_hz_agreed(two, 0), 0);

    /* median when no two agree */
    uint64_t five[] = { 9000000000ull, 31477411ull, 2088000000ull, 5000000000ull, 1500000000ull };
    CHECK_UINT(time_hz_median(five, 5), 2088000000ull);
    CHECK_UINT(time_hz_agreed(five, 5), 0);
    CHECK_UINT(time_hz_median(five, 2), 31477411ull);        /* lower middle */
    CHECK_UINT(time_hz_median(five, 1), 9000000000ull);
    CHECK_UINT(time_hz_median(five, 0), 0);
    CHECK_UINT(time_hz_median(five, TIME_MAX_READINGS + 1), 0);
}
