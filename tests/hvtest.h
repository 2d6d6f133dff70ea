/* Shared steps of the Hyper-V tests: requirements that SKIP with a precise
 * reason, building a PostMessage input anywhere in the input pages, and
 * status checks that print numbers and names. */
#ifndef TESTS_HVTEST_H
#define TESTS_HVTEST_H
#include <stddef.h>
#include <stdint.h>
#include "../harness/test.h"
#include "../hv/tlfs.h"

/* Each returns 1 when the test may go on, else it has SKIPped. */
int need_hyperv(struct test_ctx *t);
int need_hypercall(struct test_ctx *t);
int need_synic(struct test_ctx *t);
int need_post_privilege(struct test_ctx *t);
/* A message connection to `sint` of VP 0, the SINT unmasked on its vector. */
int need_msg_conn(struct test_ctx *t, int sint, uint32_t *conn_id);
/* A connection that accepts a well-formed post, for tests that judge the
 * status: the helper's echo connection on TEST_SINT when there is one
 * (*echo = 1), else VMBus's message connection 1, which every Hyper-V host
 * has (*echo = 0: nothing comes back, and post_input() then starts the
 * payload with a VMBus REQUESTOFFERS header, which a host ignores before
 * INITIATE_CONTACT). VMBus hosts take HV message type 1 only. */
int need_valid_conn(struct test_ctx *t, uint32_t *conn_id, int *echo);
/* VMBus's message connection 1, for a post the helper's connection can't
 * take (`why`, also the status_only() reason): nothing comes back. */
int need_vmbus_conn(struct test_ctx *t, uint32_t *conn_id, const char *why);

/* The tests' SINTs (TEST_SINT and TEST_SINT + 1) are not VMBus's SINT 2
 * (hv/vmbus.h), where a VMBus host's replies land. */
#define TEST_SINT 4
#define TEST_TYPE 0x4856u       /* "HV": an ordinary guest message type */
/* How long a test waits for what the TLFS says must come: a posted message
 * in the slot, its SINT interrupt, MessagePending, a queued message after
 * the slot was emptied and EOM written, a VMBus host's reply. The TLFS gives
 * no delivery latency, so the bound is ours. A wait that passes returns as
 * soon as the message lands: only a message that never comes (a failing
 * test, a known deviation that loses one) pays the whole bound, unless a
 * later message that lands first tells sooner (WITNESS_US, below).
 * 2 s is far above the slowest passing waits seen in nested runs on a
 * loaded 2-core host (tenths of a second: under host TCG, L2 QEMU's main loop, which
 * completes a message in hw/hyperv/hyperv.c sint_msg_bh, may not run for
 * that long), so host load is not reported as a lost message. Windows in
 * which nothing may come are separate and short (expect_no_message's
 * callers, QUIET_US): what arrives after them is still caught as late. */
#define DELIVERY_TIMEOUT_US 2000000
#define DELIVERY_TIMEOUT_MS (DELIVERY_TIMEOUT_US / 1000)
/* A message that must come and has not after this long gets a witness: one
 * more message posted after it, whose landing first shows it lost (or out of
 * order) without waiting out DELIVERY_TIMEOUT_US. */
#define WITNESS_US 200000
enum witness { WITNESS_NONE, WITNESS_POSTED, WITNESS_TAKEN };
/* For a test's note: "" or what became of its witness. */
const char *witness_said(enum witness w);
/* How long a transient HV_STATUS_INSUFFICIENT_BUFFERS is retried before the
 * refusal is the verdict (the port's 16 buffers are post.insufficient_buffers'
 * rule, not the other tests'). Not DELIVERY_TIMEOUT_US: a known deviation
 * refuses for good (deliver.post_trigger, QEMU's one staged message per SINT
 * route) and pays this on every run. */
#define REFUSAL_RETRY_US 200000

/* Input at byte `offset` of the two input pages. */
struct hv_post_message_input *post_input(size_t offset, uint32_t conn, uint32_t type, uint32_t size);
/* HvCallPostMessage through the hypercall page: status only. */
uint16_t post_at(size_t offset);
uint16_t post_ctl(uint64_t extra_control, uint64_t input_gpa, uint64_t output_gpa);

int expect_status(struct test_ctx *t, uint16_t got, uint16_t want, const char *what);
/* The status is one of `ok` (RULE_OK bits, tests/rules.h). */
int expect_status_in(struct test_ctx *t, uint16_t got, uint64_t ok, const char *what);
/* "0x0005 HV_STATUS_INVALID_PARAMETER or ..." for a RULE_OK set. */
void status_set_text(char *buf, size_t size, uint64_t ok);
/* MAXPHYADDR (CPUID 0x80000008 EAX[7:0], else 36): GPAs from 1 << it on are
 * outside the GPA space. */
unsigned gpa_bits(void);
/* The slot of `sint` stays empty for `us`. */
int expect_no_message(struct test_ctx *t, int sint, uint64_t us, const char *what);
/* Wait for the message in `sint`'s slot and compare it with what `in`
 * posted: type, size, flags, reserved bytes, the first n payload bytes, and
 * that nothing of the input beyond n reached the slot. Clears the slot. */
int expect_delivered(struct test_ctx *t, int sint, const struct hv_post_message_input *in, const char *what);
/* Fill payload bytes [n, 240) with a canary the receiver must never see. */
void post_canary(struct hv_post_message_input *in);

#endif
