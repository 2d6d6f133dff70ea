/* What a test file sees. A test is one function declared with TEST() next to
 * its code; TEST() also puts {name, function} into the `hvtests` linker
 * section, so there is no central list to edit. Order = link order.
 *
 *   TEST(post, payload_241) {
 *       uint16_t st = ...;
 *       expect_status(t, st, HV_STATUS_INVALID_PARAMETER);
 *   }
 *
 * Verdicts: a test passes when it made at least one check and none failed;
 * check()/fail() fail it (the first message is what TAP shows), skip() skips
 * it with a reason; a test that checked nothing is reported as failed. */
#ifndef TESTS_TEST_H
#define TESTS_TEST_H
#include <stdint.h>

struct test_ctx {
    const char *name;
    int checks, failures, skipped;
    char msg[320];
    uint64_t seed;              /* per-test seed, derived from seed= and the name */
    int verbose;
};

struct test {
    const char *name;
    void (*fn)(struct test_ctx *t);
    unsigned flags;
};

/* Only run when tests= names it exactly (no wildcard): self-tests of the
 * harness that fail on purpose, and so on. */
#define TEST_EXPLICIT 1u

#define TEST_F(group, tname, tflags)                                              \
    static void test_##group##_##tname(struct test_ctx *t);                      \
    static const struct test reg_##group##_##tname                               \
        __attribute__((section("hvtests"), used, aligned(8))) =                   \
        { #group "." #tname, test_##group##_##tname, tflags };                    \
    static void test_##group##_##tname(struct test_ctx *t)
#define TEST(group, tname) TEST_F(group, tname, 0)

/* Record one check; on failure keep the (first) message. Returns cond. */
int check(struct test_ctx *t, int cond, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fail(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void skip(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A diagnostic line (TAP comment) under the test's result; verbose only
 * unless the test fails. */
void note(struct test_ctx *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Deterministic pseudo-random numbers from the test's seed. */
uint64_t test_rand(struct test_ctx *t);

#endif
