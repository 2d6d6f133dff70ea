/* Hyper-V's time sources for kernel/time.h's calibration. */
#ifndef HV_CLOCK_H
#define HV_CLOCK_H
#include "../kernel/time.h"

/* HV_X64_MSR_TSC_FREQUENCY, else HV_X64_MSR_TIME_REF_COUNT; runs hv_detect(). */
extern const struct tsc_source hv_tsc_source;

#endif
