/* TSC-based time so every wait has a timeout. The frequency comes from a
 * PIT calibration at boot, or from a better source when one is known
 * (the Hyper-V frequency MSR, set by hv/). */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H
#include <stdint.h>

void time_init(void);
uint64_t time_tsc_hz(void);
const char *time_source(void);
void time_set_tsc_hz(uint64_t hz, const char *source);

uint64_t time_us_to_tsc(uint64_t us);
uint64_t time_tsc_to_ns(uint64_t cycles);

typedef struct { uint64_t end; } deadline_t;
deadline_t deadline_after_us(uint64_t us);
int deadline_passed(deadline_t d);
void delay_us(uint64_t us);

#endif
