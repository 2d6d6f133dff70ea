/* Kernel command line: `tests=GLOB[,GLOB]`, `list`, `verbose`, `seed=N`,
 * `after=NAME` (resume a crashed run after that test), `fuzz=N` (fuzz.post's
 * iterations, 1..OPT_MAX_FUZZ), `bench` (run the latency benchmark instead
 * of the suite) and `bench_iters=N` (samples per figure, 1..OPT_MAX_BENCH_ITERS),
 * `avoid=KEY[,KEY]` (inputs fuzz.post never draws because the host can't
 * survive them; the runner derives it from the profile's `avoid` lines):
 *   payload_240   no 240-byte payload to the helper's connection (drawn as 239)
 *   scontrol_off  never disables the target VP's SCONTROL around a call
 *   simp_off      never disables the target VP's SIM page around a call
 * Pure, host-tested.
 * A leading loader-supplied image path ("/boot/x.elf", "(cd)/...",
 * "\EFI\BOOT\BOOTX64.EFI") is skipped. Anything unknown or malformed is an
 * error with a message; the caller turns it into a Bail out. */
#ifndef TESTS_CMDLINE_H
#define TESTS_CMDLINE_H
#include <stddef.h>
#include <stdint.h>

#define OPT_MAX_PATTERNS 16
#define OPT_MAX_TEXT 512
#define OPT_MAX_FUZZ 10000000u
#define OPT_MAX_BENCH_ITERS 65536u

#define AVOID_PAYLOAD_240  (1u << 0)
#define AVOID_SCONTROL_OFF (1u << 1)
#define AVOID_SIMP_OFF     (1u << 2)

struct options {
    const char *tests[OPT_MAX_PATTERNS];
    int ntests;                 /* 0 = run the default suite */
    int list;
    int verbose;
    uint64_t seed;
    int seed_given;
    const char *after;          /* NULL = from the start */
    uint32_t fuzz;              /* fuzz= iterations; 0 = not given (the test's default) */
    int bench;                  /* `bench`: benchmark instead of the suite */
    uint32_t bench_iters;       /* bench_iters=; 0 = not given (time-budgeted default) */
    uint32_t avoid;             /* avoid=: AVOID_* bits */
    char text[OPT_MAX_TEXT];    /* storage the pointers above point into */
};

/* 0 on success; -1 with a message in err on bad input. */
int options_parse(const char *cmdline, struct options *o, char *err, size_t errlen);

#endif
