/* abi.*: the TLFS's general hypercall rules as they apply to
 * HvCallPostMessage. Each test uses a valid connection and message and breaks
 * only the calling convention. Statuses from the TLFS's common hypercall
 * status codes: INVALID_HYPERCALL_INPUT (rep count on a simple call, rep
 * start not below rep count, reserved input-value bits), INVALID_ALIGNMENT
 * (GPA not 8-byte aligned, list spans pages, GPA outside the GPA space). */
#include "hvtest.h"
#include "../hv/detect.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"
#include "../kernel/user.h"

static int echo;

static int valid_post(struct test_ctx *t, size_t offset)
{
    uint32_t conn;
    if (!need_valid_conn(t, &conn, &echo)) return 0;
    post_input(offset, conn, TEST_TYPE, 8);
    return 1;
}

static uint64_t gpa(size_t offset) { return (uint64_t)(uintptr_t)(hv_input_pages + offset); }

static void refused(struct test_ctx *t, uint64_t extra_control, size_t offset, uint16_t want, const char *what)
{
    if (!valid_post(t, offset)) return;
    expect_status(t, post_ctl(extra_control, gpa(offset), 0), want, what);
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

TEST(abi, align_1) { refused(t, 0, 1, HV_STATUS_INVALID_ALIGNMENT, "input GPA 8n+1"); }
TEST(abi, align_2) { refused(t, 0, 2, HV_STATUS_INVALID_ALIGNMENT, "input GPA 8n+2"); }
TEST(abi, align_4) { refused(t, 0, 4, HV_STATUS_INVALID_ALIGNMENT, "input GPA 8n+4"); }
/* 256 bytes starting 128 bytes before a page end: 8-aligned, spans pages */
TEST(abi, cross_page) { refused(t, 0, HV_PAGE - 128, HV_STATUS_INVALID_ALIGNMENT, "input spanning two pages"); }

TEST(abi, rep_count) { refused(t, 1ull << HV_HC_REP_COUNT_SHIFT, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "rep count 1 on a simple call"); }
TEST(abi, rep_start) { refused(t, 1ull << HV_HC_REP_START_SHIFT, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "rep start 1, rep count 0"); }
TEST(abi, rsvd_27_30) { refused(t, HV_HC_RSVD_27_30, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "control bits 27-30 set"); }
TEST(abi, rsvd_44_47) { refused(t, HV_HC_RSVD_44_47, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "control bits 44-47 set"); }
TEST(abi, rsvd_60_63) { refused(t, HV_HC_RSVD_60_63, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "control bits 60-63 set"); }
/* Reading taken: PostMessage has no variable header, so a nonzero variable
 * header size is a malformed input value -> INVALID_HYPERCALL_INPUT. */
TEST(abi, varhead) { refused(t, 1ull << HV_HC_VARHEAD_SHIFT, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "variable header size 1"); }
/* Reading taken: the call code is "Simple" (memory-based) only; the fast
 * bit on it is a malformed input value -> INVALID_HYPERCALL_INPUT. */
TEST(abi, fast) { refused(t, HV_HC_FAST, 0, HV_STATUS_INVALID_HYPERCALL_INPUT, "fast bit on a memory-only call"); }

/* "The input or output GPA pointer is not within the bounds of the GPA
 * space": the first address past MAXPHYADDR (CPUID 0x80000008). */
TEST(abi, gpa_outside)
{
    if (!valid_post(t, 0)) return;
    unsigned bits = cpuid(0x80000000u, 0).a >= 0x80000008u ? (cpuid(0x80000008u, 0).a & 0xFF) : 36;
    uint64_t outside = 1ull << bits;
    expect_status(t, post_ctl(0, outside, 0), HV_STATUS_INVALID_ALIGNMENT, "input GPA just past MAXPHYADDR");
    expect_no_message(t, TEST_SINT, 20000, "after a refused post");
}

/* TLFS "Alignment Requirements": a call without output parameters ignores
 * the output GPA, so a misaligned one must not matter. */
TEST(abi, output_ignored)
{
    if (!valid_post(t, 0)) return;
    const struct hv_post_message_input *in = (const void *)hv_input_pages;
    if (expect_status(t, post_ctl(0, gpa(0), 0xFFFFFFFFFFFFF001ull), HV_STATUS_SUCCESS, "output GPA misaligned and out of range") && echo)
        expect_delivered(t, TEST_SINT, in, "post with a junk output GPA");
}

/* The raw instruction and the hypercall page must behave the same. */
TEST(abi, raw_instruction)
{
    if (!valid_post(t, 0)) return;
    const struct hv_post_message_input *in = (const void *)hv_input_pages;
    uint16_t st = HV_RESULT_STATUS(hv_call_raw(HVCALL_POST_MESSAGE, gpa(0), 0));
    if (expect_status(t, st, HV_STATUS_SUCCESS, hv.cpu_amd ? "post via raw vmmcall" : "post via raw vmcall") && echo)
        expect_delivered(t, TEST_SINT, in, "raw post");
}

static void post_from_user(void *arg) { *(uint64_t *)arg = hv_call(HVCALL_POST_MESSAGE, gpa(0), 0); }

/* TLFS: a hypercall from CPL > 0 raises #UD. */
TEST(abi, cpl3)
{
    if (!valid_post(t, 0)) return;
    struct fault f;
    uint64_t r = HV_CALL_SENTINEL;
    int faulted = user_call(post_from_user, &r, &f);
    check(t, faulted && f.vector == VEC_UD && f.from_user,
          "hypercall at CPL3: got %s (status 0x%04llx), want #UD at CPL3", faulted ? fault_mnemonic(f.vector) : "no fault",
          (unsigned long long)(r & 0xFFFF));
    expect_no_message(t, TEST_SINT, 20000, "after a CPL3 hypercall");
}

static void raw_post(void *arg) { *(uint64_t *)arg = hv_call_raw(HVCALL_POST_MESSAGE, gpa(0), 0); }

/* TLFS "Establishing the Hypercall Interface": with the hypercall page
 * disabled, the hypercall instruction raises #UD. */
TEST(abi, page_disabled)
{
    if (!valid_post(t, 0)) return;
    if (hv_hypercall_locked()) {
        skip(t, "HV_X64_MSR_HYPERCALL was locked by firmware (bit 1): the page can't be disabled until reset");
        return;
    }
    hv_hypercall_disable();
    struct fault f;
    uint64_t r = HV_CALL_SENTINEL;
    int faulted = fault_catch(raw_post, &r, &f);
    check(t, faulted && f.vector == VEC_UD, "%s with the hypercall page disabled: got %s (status 0x%04llx), want #UD",
          hv.cpu_amd ? "vmmcall" : "vmcall", faulted ? fault_mnemonic(f.vector) : "no fault", (unsigned long long)(r & 0xFFFF));
    expect_no_message(t, TEST_SINT, 20000, "after a hypercall with the page disabled");
}
