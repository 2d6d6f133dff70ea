#include "time.h"
#include "cpu.h"
#include "fmt.h"
#include "string.h"

/* Until time_init succeeds: a deliberately high guess makes any timeout
 * longer, never shorter (nothing waits before time_init today). */
static uint64_t tsc_hz = TSC_HZ_MAX;
static const char *source = "not calibrated";
static char note[200];

int time_init(const struct tsc_source *const *sources, int n, char *why, size_t whylen)
{
    static struct tsc_reading r;
    note[0] = '\0';
    for (int i = 0; i < n; i++) {
        memset(&r, 0, sizeof r);
        enum tsc_result res = sources[i]->measure(&r);
        if (r.note[0]) memcpy(note, r.note, sizeof note);
        if (res == TSC_NOT_HERE) continue;
        if (res == TSC_FAILED) {
            fmt_snprintf(why, whylen, "TSC calibration (%s) failed: %s", sources[i]->name, r.why);
            return -1;
        }
        const char *bad = time_implausible(r.hz);
        if (bad) {
            fmt_snprintf(why, whylen, "TSC frequency %llu Hz from %s is implausible (%s)",
                         (unsigned long long)r.hz, r.source, bad);
            return -1;
        }
        tsc_hz = r.hz;
        source = r.source;
        return 0;
    }
    fmt_snprintf(why, whylen, "no time source to calibrate the TSC against");
    return -1;
}

uint64_t time_tsc_hz(void) { return tsc_hz; }
const char *time_source(void) { return source; }
const char *time_note(void) { return note; }

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
