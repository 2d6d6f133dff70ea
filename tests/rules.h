/* The HvCallPostMessage rules, written once (in the spirit of XTF's
 * table-driven tests). Each row is one test: its name, its source, the one
 * thing it changes on an otherwise valid post, and what the TLFS allows
 * then: a status from `ok`, or the fault `fault`. From this table
 *   - the post.* and abi.* rule tests are registered (TEST_RULES in
 *     post_tests.c / abi_tests.c) and run (rule_test, tests/rule_tests.c);
 *   - fuzz.post builds its oracle (tests/fuzz_oracle.c): a drawn input
 *     breaks the rows whose class [mask, lo, hi] holds the changed value;
 *   - the README's coverage section is generated (make coverage).
 * Pure data; host-compiled too. */
#ifndef TESTS_RULES_H
#define TESTS_RULES_H
#include <stdint.h>

/* What a row changes. The order is the order in which a hypervisor is
 * likely to check (control word, input GPA, the input's fields, the
 * connection, the target SynIC): the fuzzer names the first broken one. */
enum rule_field {
    RF_OWN,             /* a test with its own steps (TEST_ROW): the row gives name and source only */
    RF_NONE,            /* the valid post itself */
    RF_CALL,            /* how the call is made: CPL3, page disabled, raw instruction */
    RF_CONTROL,         /* bits ORed into the hypercall input value */
    RF_INPUT_GPA,       /* the input's offset in two page-aligned input pages: alignment */
    RF_INPUT_SPAN,      /* the same offset: the 256 bytes span a page boundary */
    RF_GPA_OUTSIDE,     /* the input GPA is just past MAXPHYADDR */
    RF_OUTPUT_GPA,      /* the output GPA (the call has no output) */
    RF_SIZE,            /* PayloadSize */
    RF_RSVDZ,           /* input offset 4 */
    RF_TYPE,            /* MessageType */
    RF_CONN_RSVD,       /* ConnectionId bits 31:24 set on the valid id */
    RF_CONN_ID,         /* ConnectionId bits 23:0 replaced: 0, or an id nobody created */
    RF_SYNIC,           /* the target VP's SCONTROL or SIMP MSR written before the call */
    RF_COUNT
};

/* RF_CALL's values */
enum { CALL_CPL3 = 1, CALL_PAGE_DISABLED, CALL_RAW };
/* RF_CONN_ID's value for "an id nobody created" */
#define RULE_CONN_UNKNOWN 0x00ABCDEFu
/* RF_SYNIC's values */
enum { SYNIC_SCONTROL_OFF = 1, SYNIC_SIMP_OFF };

/* A row's class [mask, lo, hi] when it is one of the usual ones (rows are
 * designated initializers: { .name = ..., .field = RF_SIZE, .value = 241,
 * .mask = 0xFFFFFFFFu, .lo = 241, .hi = 0xFFFFFFFFu, .ok = ... }). */
#define RULE_NEVER .mask = 0, .lo = 1, .hi = 0      /* no input is in it: the fuzzer never draws it */
#define RULE_ONLY(x) .mask = ~0ull, .lo = (x), .hi = (x)    /* the value x alone */
#define RULE_BITS(m) .mask = (m), .lo = 1, .hi = (m)        /* any of the bits of m set */

#define RULE_OK(status) (1ull << (status))          /* statuses below 64 */
#define RULE_ANY_ERROR (~RULE_OK(0))                 /* any status but SUCCESS */
#define RULE_UD 6                                    /* #UD */
#define RULE_GP 13                                   /* #GP */

struct rule {
    const char *name;           /* the test: "post.payload_241" */
    int kind;                   /* NORMATIVE or READING (harness/test.h) */
    const char *source;         /* TLFS online page + 6.0b section and its words, or "reading: ..." */
    const char *what;           /* the change, in words */
    int field;                  /* enum rule_field */
    uint64_t value;             /* what the test sets */
    uint64_t mask, lo, hi;      /* the inputs the row stands for: lo <= (x & mask) <= hi */
    uint64_t ok;                /* statuses the TLFS allows (RULE_OK bits); RULE_OK(0) alone: a valid input */
    int fault;                  /* a fault vector the TLFS allows instead (6 = #UD), 0: none */
};

/* The table: rows of tests/rules_post.c, rules_abi.c, rules_synic.c. */
int rule_count(void);
const struct rule *rule_at(int i);

/* A row by test name, or NULL. */
const struct rule *rule_find(const char *name);
/* The row stands for a valid input (SUCCESS is its only status). */
int rule_valid(const struct rule *r);
/* Does the row's class hold x? */
int rule_holds(const struct rule *r, uint64_t x);

#endif
