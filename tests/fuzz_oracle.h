/* fuzz.post's pure half: the seeded draws and the oracle built from the
 * rule table (tests/rules.h). No hypervisor, no I/O: host-tested, because a
 * replay (`seed=S fuzz=N tests=fuzz.post`) depends on the draws being the
 * same for the same seed and environment, whatever the hypervisor answered. */
#ifndef TESTS_FUZZ_ORACLE_H
#define TESTS_FUZZ_ORACLE_H
#include <stddef.h>
#include <stdint.h>
#include "rules.h"

struct fuzz_rng { uint64_t s; };
uint64_t fuzz_rand(struct fuzz_rng *r);         /* xorshift64* */

/* What the draws depend on, fixed for a run. */
struct fuzz_env {
    uint32_t valid;             /* the helper's connection id, 0 = none */
    uint64_t input_base;        /* GPA of the two page-aligned input pages */
    uint64_t output_page;       /* GPA of the output page */
    unsigned maxphys;           /* MAXPHYADDR */
    uint32_t avoid;             /* AVOID_* of harness/cmdline.h */
};

enum { CK_VALID, CK_VALID_RSVD, CK_UNKNOWN, CK_UNKNOWN_RSVD, CK_ZERO };

/* One iteration's input, and what the oracle makes of it. */
struct fz {
    uint32_t iter;
    int ck, synic, outside, excluded;     /* synic: 0, SYNIC_SCONTROL_OFF or SYNIC_SIMP_OFF */
    uint32_t conn, rsvdz, type, size;
    uint64_t control, in_gpa, out_gpa;
    uint32_t offset;            /* in the input pages, when !outside */
    uint64_t fill;              /* payload stream seed */
    short broken[RF_COUNT];     /* per field, the rule row the input breaks, or -1 */
    int first;                  /* the first broken row in field order, or -1 */
    int varied;                 /* for a valid input: the valid row that stands for a varied field, or -1 */
    uint16_t status;
    uint32_t busy;              /* INSUFFICIENT_BUFFERS retries */
};

/* Draw iteration `iter` and classify it (fuzz_classify). */
void fuzz_draw(struct fuzz_rng *r, const struct fuzz_env *e, struct fz *f, uint32_t iter);
/* Fill broken[], first and varied from the table: per field, the row with
 * the narrowest class that holds the input's value. */
void fuzz_classify(const struct fuzz_env *e, struct fz *f);
int fuzz_targets_valid(const struct fuzz_env *e, const struct fz *f);
/* A status HvCallPostMessage may return at all with the PostMessages privilege. */
int fuzz_status_allowed(uint16_t st);
/* Does some broken row allow st? */
int fuzz_accepts(const struct fz *f, uint16_t st);
/* May the input be accepted: nothing broken, or every broken row allows
 * SUCCESS (a reserved field a row reads as "refused or ignored"). */
int fuzz_may_succeed(const struct fz *f);
/* The class of a violation by an input that breaks rows: the first broken
 * row (in field order) that does not allow SUCCESS, else -1 (then the
 * first broken row). A reserved field read as "refused or ignored" names
 * a violation only when nothing firmer is broken. */
int fuzz_refusing_row(const struct fz *f);
/* The input in words: "iter 3: conn valid 0x10, rsvdz 0, ...; breaks: ..." */
int fuzz_describe(char *buf, size_t size, const struct fz *f);

#endif
