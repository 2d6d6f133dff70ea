/* Kernel command line: `tests=GLOB[,GLOB]`, `list`, `verbose`, `seed=N`,
 * `after=NAME` (resume a crashed run after that test), `until=NAME` (end the
 * run after that test, as a complete run ends), `fuzz=N` (fuzz.post's
 * iterations, 1..OPT_MAX_FUZZ), `bench` (run the latency benchmark instead
 * of the suite), `bench_iters=N` (samples per figure, 1..OPT_MAX_BENCH_ITERS),
 * `helper=auto|testdev|none`: which host-side helper may be probed.
 * auto (default) probes QEMU's hyperv-testdev (I/O port 0x3000) only where
 * the hypervisor says it is KVM (its "KVMKVMKVM" leaf at 0x40000100);
 * testdev probes it on any machine (a user who knows it is there); none
 * never touches the port (tests needing a connection SKIP or use VMBus),
 * `console=com1|virtio`: where the output goes. com1 (default) is the
 * contract; virtio sends the same bytes through a legacy virtio console
 * (one VM exit per line instead of per byte: the nested runner's choice),
 * falling back to COM1 with a note when there is none,
 * and `avoid=KEY[,KEY]` (what the host can't survive; the runner derives it
 * from the profile's `avoid` lines):
 *   payload_240   no 240-byte payload to the helper's connection (fuzz.post
 *                 draws 239; post.payload_240 posts to VMBus's connection 1)
 *   scontrol_off  never disables the target VP's SCONTROL around a call
 *   simp_off      never disables the target VP's SIM page around a call
 *   conn_missing_vp  no helper connection to a missing VP (post.vp_index_missing SKIPs)
 * and `require=ITEM[,ITEM]`: what the guest must have (REQUIRE_* below, and
 * vps=N), else the run bails out with what is missing.
 * Pure, host-tested.
 * Each key at most once (tests= may repeat: the patterns add up). Anything
 * unknown, malformed or repeated is an error with a message; the caller
 * turns it into a Bail out. Nothing is dropped here: the boot paths remove a
 * loader's image path themselves (multiboot1: QEMU -kernel puts it first;
 * EFI: the Shell's image token); GRUB 2's multiboot2 passes only the
 * arguments (observed: grub.cfg "multiboot2 /boot/hvconform.elf list" gives
 * "list"). */
#ifndef HARNESS_CMDLINE_H
#define HARNESS_CMDLINE_H
#include <stddef.h>
#include <stdint.h>

#define OPT_MAX_PATTERNS 16
#define OPT_MAX_TEXT 512
#define OPT_MAX_FUZZ 10000000u
#define OPT_MAX_BENCH_ITERS 65536u

enum opt_helper { OPT_HELPER_AUTO = 0, OPT_HELPER_TESTDEV, OPT_HELPER_NONE };
enum opt_console { OPT_CONSOLE_COM1 = 0, OPT_CONSOLE_VIRTIO };
#define AVOID_PAYLOAD_240  (1u << 0)
#define AVOID_SCONTROL_OFF (1u << 1)
#define AVOID_SIMP_OFF     (1u << 2)
#define AVOID_CONN_MISSING_VP (1u << 3)
/* require=: what the configuration needs of the guest (tools/configs.cfg
 * `require`, passed by the runner); a guest lacking one is a Bail out with
 * the reason (harness/suite.h suite_require), never a run of SKIPs. */
#define REQUIRE_HYPERV    (1u << 0)     /* the Hyper-V interface, "Hv#1" */
#define REQUIRE_HYPERCALL (1u << 1)     /* AccessHypercallMsrs */
#define REQUIRE_SYNIC     (1u << 2)     /* AccessSynicRegs */
#define REQUIRE_NOSYNIC   (1u << 3)     /* ... absent */
#define REQUIRE_POST      (1u << 4)     /* the PostMessages privilege */
#define REQUIRE_NOPOST    (1u << 5)     /* ... absent */
#define REQUIRE_HELPER    (1u << 6)     /* a host helper that makes message connections */
#define REQUIRE_VMBUS     (1u << 7)     /* VMBus's message connection 1 accepts a post */
#define REQUIRE_COUNT 8
/* The names, in bit order ("hyperv", ...); vps=N is apart. Pure. */
extern const char *const require_names[REQUIRE_COUNT];

struct options {
    const char *tests[OPT_MAX_PATTERNS];
    int ntests;                 /* 0 = run the default suite */
    int list;
    int verbose;
    uint64_t seed;
    int seed_given;
    const char *after;          /* NULL = from the start */
    const char *until;          /* NULL = to the end of the selection */
    uint32_t fuzz;              /* fuzz= iterations; 0 = not given (the test's default) */
    int bench;                  /* `bench`: benchmark instead of the suite */
    uint32_t bench_iters;       /* bench_iters=; 0 = not given (time-budgeted default) */
    int helper;                 /* enum opt_helper: helper= */
    uint32_t avoid;             /* avoid=: AVOID_* bits */
    uint32_t require;           /* require=: REQUIRE_* bits */
    int require_vps;            /* require=...,vps=N: at least N VPs running; 0 = not required */
    int console;                /* enum opt_console: console= */
    char text[OPT_MAX_TEXT];    /* storage the pointers above point into */
};

/* 0 on success; -1 with a message in err on bad input. */
int options_parse(const char *cmdline, struct options *o, char *err, size_t errlen);

#endif
