/* What a test file sees. A test is one function declared with TEST() next to
 * its code, with its source: the TLFS rule it checks (NORMATIVE: online page
 * and 6.0b section) or the sentence it interprets (READING). TEST() puts
 * {name, function, kind, source} into the `hvtests` linker section, so there
 * is no central list to edit. Order = link order. The HvCallPostMessage
 * rules are rows of one table instead (tests/rules.h); TEST_RULES(group)
 * puts that group's rows here, in table order.
 *
 *   TEST(hv, guest_os_id, NORMATIVE, "TLFS 'Reporting the Guest OS Identity' (6.0b 2.6): ...") {
 *       check(t, v == want, "GUEST_OS_ID reads %#llx", v);
 *   }
 *
 * Verdicts: a test passes when it made at least one check and none failed;
 * check()/fail() fail it (the first message is what TAP shows), skip() skips
 * it with a reason; a test that checked nothing is reported as failed. */
#ifndef HARNESS_TEST_H
#define HARNESS_TEST_H
#include <stdint.h>

struct rule;

enum test_kind { NORMATIVE, READING };
/* "normative" / "reading", as the YAML block and `list verbose` print them */
const char *test_kind_name(int kind);

struct test_ctx {
    const char *name;
    const struct rule *rule;    /* the table row of a rule test, else NULL */
    int checks, failures, skipped;
    char msg[320];
    char status_only[200];      /* set: what this test's verdict did not check (status_only()) */
    int leaves_messages;        /* the test leaves messages for the harness to take (leaves_messages()) */
    /* what failed, as tokens a profile pins (harness/tap.h `observed:`),
     * e.g. "got=0x0003,fault=#GP": one per failing check, each once */
    char observed[640];
    char obs_next[64];          /* observe()'s token for the next check */
    uint64_t seed;              /* per-test seed, derived from seed= and the name */
    int verbose;
};

struct test {
    const char *name;           /* NULL: a TEST_RULES marker */
    void (*fn)(struct test_ctx *t);
    unsigned flags;
    int kind;                   /* NORMATIVE or READING */
    const char *source;         /* the marker's: the group prefix, "post." */
    const struct rule *rule;
};

/* Only run when tests= names it exactly (no wildcard): self-tests of the
 * harness that fail on purpose, and so on. */
#define TEST_EXPLICIT 1u

#define TEST_F(group, tname, tflags, tkind, tsource)                              \
    static void test_##group##_##tname(struct test_ctx *t);                      \
    static const struct test reg_##group##_##tname                               \
        __attribute__((section("hvtests"), used, aligned(8))) =                   \
        { #group "." #tname, test_##group##_##tname, tflags, tkind, tsource, 0 };  \
    static void test_##group##_##tname(struct test_ctx *t)
#define TEST(group, tname, tkind, tsource) TEST_F(group, tname, 0, tkind, tsource)

/* A test with its own steps whose name, kind and source are a row of the
 * rule table (RF_OWN): the runner fails at start if the row is missing. */
#define TEST_ROW(group, tname) TEST_F(group, tname, 0, NORMATIVE, 0)

/* The rule table's rows of `group`, each run by rule_test (tests/rules.h). */
void rule_test(struct test_ctx *t);
/* The rule table's row i as the registry expands it: name, kind, source
 * and row in *out (no function, no flags); 0 past the last row. *own: the
 * row's test has its own steps (TEST_ROW), no TEST_RULES marker runs it.
 * Defined with the table (tests/rules.c). */
int rule_row(int i, struct test *out, int *own);
#define TEST_RULES(group)                                                         \
    static const struct test rules_##group                                       \
        __attribute__((section("hvtests"), used, aligned(8))) =                   \
        { 0, rule_test, 0, NORMATIVE, #group ".", 0 }

/* Record one check; on failure keep the (first) message. Returns cond. */
int check(struct test_ctx *t, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fail(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The test checked the status only (delivery could not be watched): the
 * result's YAML block says so, `status_only: "why"`, for the checker. */
void status_only(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The test leaves messages behind on purpose (why: its own steps say);
 * otherwise a message the harness finds after the test fails it. */
#define leaves_messages(t) ((t)->leaves_messages = 1)
/* The token the next check() or fail() records in `observed` if it fails
 * (a status "got=0x%04x", a fault "fault=#GP", a delivery difference
 * "delivery=NAME"); without one a failing check records "check=N", its
 * ordinal in the test. */
void observe(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A token into `observed` now (once). */
void observed_add(struct test_ctx *t, const char *token);
/* A diagnostic line (TAP comment) under the test's result; verbose only
 * unless the test fails. */
void note(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
