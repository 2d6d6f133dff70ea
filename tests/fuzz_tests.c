/* fuzz.post: seeded, reproducible HvCallPostMessage inputs.
 *
 * `fuzz=N` iterations (default FUZZ_DEFAULT), drawn from the test's seed
 * (derived from `seed=S` and the name), so `seed=S fuzz=N tests=fuzz.post`
 * replays a run exactly: the draws never depend on what the hypervisor
 * answered. Each iteration varies: the connection id (the helper's
 * connection, the same with reserved bits 31:24 set, an id nobody created,
 * 0), RsvdZ, MessageType, PayloadSize (0..300 weighted at the edges, and
 * huge), the control word (fast, variable header size, rep count and rep
 * start, reserved bits 27-30/44-47/60-63; never the call code and never bit
 * 31, "nested", which addresses another hypervisor), the input's place (any
 * offset and alignment in the two input pages, across their page boundary,
 * or a GPA outside the GPA space), the output GPA (0, the output page,
 * junk: the call has no output), the payload bytes, and - where the helper
 * survives it - the SynIC state (SCONTROL or the SIM page disabled).
 *
 * Invariants checked on every call:
 *   1. no fault (#UD, #GP...) from the hypercall;
 *   2. the status is one the TLFS allows for this call: SUCCESS, the
 *      spec page's table (INVALID_CONNECTION_ID, INVALID_PORT_ID,
 *      INVALID_PARAMETER, INSUFFICIENT_BUFFERS, INVALID_VP_INDEX,
 *      INVALID_SYNIC_STATE; ACCESS_DENIED only without the PostMessages
 *      privilege, and this test needs it) plus the TLFS's common hypercall
 *      codes that its general rules give this call: INVALID_HYPERCALL_INPUT
 *      (control-word rules) and INVALID_ALIGNMENT (input GPA rules). Not
 *      INVALID_HYPERCALL_CODE: 0x005C is an assigned code and the code field
 *      is never varied, so that status can only be wrong;
 *   3. an input that breaks a TLFS rule is refused, with a status one of the
 *      named tests that break that rule alone accepts; a valid input
 *      succeeds (INSUFFICIENT_BUFFERS is retried, bounded: the TLFS status
 *      for a port whose buffer is still busy, transient, as Linux's
 *      hv_post_message treats it);
 *   4. nothing is delivered after a refused post (checked for FUZZ_QUIET_US
 *      after it, and again before every later iteration);
 *   5. a SUCCESS delivers exactly the posted type, size and first n bytes,
 *      with no input byte beyond n (canary) and zero reserved header bits;
 *      the slot is then emptied and EOM written;
 *   6. the guest survives (the test reaches its end).
 *
 * Classes. Most rules the fuzzer breaks are also checked one at a time by
 * a named test (post.rsvdz_nonzero, abi.align_4, ...). A violation that such
 * a test covers is counted under that test's name ("known class": the named
 * test already carries the verdict, and the profile its reason) and does not
 * fail fuzz.post; with several broken rules the class is the first in the
 * order a hypervisor is likely to check them (control word, input GPA,
 * PayloadSize, RsvdZ, MessageType: checks of the input alone; then the
 * connection lookup and the target SynIC) and the line lists all. Everything else - a fault, a status the call may never
 * return, a valid input refused, a wrong or missing delivery of a valid
 * post, a message after a refused valid post, a stray message - is a new
 * class and fails the test. The first violation of every class is printed
 * with its iteration's decoded input; the test's message is the first new
 * one, with the command that replays it.
 *
 * Exclusion (only when the helper is QEMU's hyperv-testdev, printed as a
 * note): QEMU aborts - the VM dies, ending the run - on a 240-byte payload
 * to a testdev connection (hyperv_testdev.c msg_handler asserts
 * payload_size < 240) and on a post while SCONTROL or the SIM page is
 * disabled (msg_cb asserts; see profiles/qemu-kvm.txt post.payload_240,
 * post.synic_disabled, post.simp_disabled). So on that helper a draw of
 * size 240 to its connection (reserved id bits or not: QEMU masks them)
 * becomes 239, and the SynIC state is never varied. */
#include "bench.h"
#include "hvtest.h"
#include "../hv/detect.h"
#include "../hv/helper.h"
#include "../hv/hypercall.h"
#include "../hv/synic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"
#include "../kernel/fmt.h"
#include "../kernel/print.h"
#include "../kernel/string.h"
#include "../kernel/time.h"

#define FUZZ_DEFAULT 2000u
#define FUZZ_DELIVERY_US 20000u     /* a SUCCESS's message must be in the slot by then */
#define FUZZ_QUIET_US 100u          /* a refused post's message must not appear within */
#define FUZZ_BUSY_US 50u
#define FUZZ_BUSY_LIMIT 1000u       /* 1000 x 50 us = 50 ms of INSUFFICIENT_BUFFERS */
#define CANARY 0xA5
#define TESTDEV_PREFIX "QEMU hyperv-testdev"

/* --- rules an input can break, each with the named test that covers it -- */

enum {
    D_FAST, D_VARHEAD, D_REP_COUNT, D_REP_START, D_RSVD_27_30, D_RSVD_44_47, D_RSVD_60_63,
    D_ALIGN_1, D_ALIGN_2, D_ALIGN_4, D_CROSS_PAGE, D_GPA_OUTSIDE,
    D_SIZE_241, D_SIZE_256, D_SIZE_MAX, D_RSVDZ,
    D_TYPE_ZERO, D_TYPE_MSB, D_TYPE_HV, D_TYPE_ONES,
    D_CONN_RSVD, D_CONN_ZERO, D_CONN_UNKNOWN, D_SYNIC_OFF, D_SIMP_OFF,
    D_COUNT
};

#define S_INPUT HV_STATUS_INVALID_HYPERCALL_INPUT
#define S_ALIGN HV_STATUS_INVALID_ALIGNMENT
#define S_PARAM HV_STATUS_INVALID_PARAMETER
#define S_CONN HV_STATUS_INVALID_CONNECTION_ID
#define S_SYNIC HV_STATUS_INVALID_SYNIC_STATE

/* what the named test accepts when the rule is broken alone */
static const struct rule { const char *test, *what; uint16_t ok[3]; int nok; } rules[D_COUNT] = {
    [D_FAST]        = { "abi.fast", "fast bit", { S_INPUT }, 1 },
    [D_VARHEAD]     = { "abi.varhead", "variable header size", { S_INPUT }, 1 },
    [D_REP_COUNT]   = { "abi.rep_count", "rep count on a simple call", { S_INPUT }, 1 },
    [D_REP_START]   = { "abi.rep_start", "rep start", { S_INPUT }, 1 },
    [D_RSVD_27_30]  = { "abi.rsvd_27_30", "control bits 27-30", { S_INPUT }, 1 },
    [D_RSVD_44_47]  = { "abi.rsvd_44_47", "control bits 44-47", { S_INPUT }, 1 },
    [D_RSVD_60_63]  = { "abi.rsvd_60_63", "control bits 60-63", { S_INPUT }, 1 },
    [D_ALIGN_1]     = { "abi.align_1", "input GPA odd", { S_ALIGN }, 1 },
    [D_ALIGN_2]     = { "abi.align_2", "input GPA 4n+2", { S_ALIGN }, 1 },
    [D_ALIGN_4]     = { "abi.align_4", "input GPA 8n+4", { S_ALIGN }, 1 },
    [D_CROSS_PAGE]  = { "abi.cross_page", "input spans pages", { S_ALIGN }, 1 },
    [D_GPA_OUTSIDE] = { "abi.gpa_outside", "input GPA outside the GPA space", { S_ALIGN }, 1 },
    [D_CONN_ZERO]   = { "post.conn_zero", "connection 0", { S_CONN }, 1 },
    [D_CONN_UNKNOWN]= { "post.conn_unknown", "unknown connection", { S_CONN }, 1 },
    [D_CONN_RSVD]   = { "post.conn_reserved_bits", "connection id bits 31:24", { S_CONN, S_PARAM, S_INPUT }, 3 },
    [D_RSVDZ]       = { "post.rsvdz_nonzero", "RsvdZ nonzero", { S_PARAM, S_INPUT }, 2 },
    [D_TYPE_ZERO]   = { "post.type_zero", "type 0", { S_PARAM }, 1 },
    [D_TYPE_MSB]    = { "post.type_msb", "type bit 31", { S_PARAM }, 1 },
    [D_TYPE_HV]     = { "post.type_hypervisor_range", "hypervisor message type", { S_PARAM }, 1 },
    [D_TYPE_ONES]   = { "post.type_all_ones", "type 0xffffffff", { S_PARAM }, 1 },
    [D_SIZE_241]    = { "post.payload_241", "payload over 240", { S_PARAM }, 1 },
    [D_SIZE_256]    = { "post.payload_256", "payload 256", { S_PARAM }, 1 },
    [D_SIZE_MAX]    = { "post.payload_max", "payload 0xffffffff", { S_PARAM }, 1 },
    [D_SYNIC_OFF]   = { "post.synic_disabled", "SCONTROL disabled", { S_SYNIC }, 1 },
    [D_SIMP_OFF]    = { "post.simp_disabled", "SIM page disabled", { S_SYNIC }, 1 },
};

/* classes no named test covers: they fail fuzz.post */
enum { N_FAULT, N_STATUS, N_REFUSED, N_DELIVERY, N_AFTER_REFUSAL, N_STRAY, N_COUNT };
static const char *const new_class[N_COUNT] = {
    [N_FAULT] = "new: fault from the hypercall",
    [N_STATUS] = "new: status HvCallPostMessage may not return",
    [N_REFUSED] = "new: valid input refused",
    [N_DELIVERY] = "new: SUCCESS without the posted message",
    [N_AFTER_REFUSAL] = "new: message after a refused valid post",
    [N_STRAY] = "new: stray message before an iteration",
};
#define NCLASS (D_COUNT + N_COUNT + 1)
#define C_OUTPUT_IGNORED (D_COUNT + N_COUNT)   /* abi.output_ignored: valid but junk output GPA refused */

static const char *class_name(int c)
{
    if (c < D_COUNT) return rules[c].test;
    if (c == C_OUTPUT_IGNORED) return "abi.output_ignored";
    return new_class[c - D_COUNT];
}
static int class_known(int c) { return c < D_COUNT || c == C_OUTPUT_IGNORED; }

/* --- one iteration's input --------------------------------------------- */

enum { CK_VALID, CK_VALID_RSVD, CK_UNKNOWN, CK_UNKNOWN_RSVD, CK_ZERO };
static const char *const conn_kind_name[] = { "valid", "valid+rsvd", "unknown", "unknown+rsvd", "zero" };
enum { SY_ON, SY_SCONTROL_OFF, SY_SIMP_OFF };
static const char *const synic_name[] = { "on", "SCONTROL=0", "SIMP disabled" };

struct fz {
    uint32_t iter;
    int ck, synic, outside, excluded;
    uint32_t conn, rsvdz, type, size;
    uint64_t control, in_gpa, out_gpa;
    uint32_t offset;            /* in hv_input_pages, when !outside */
    uint64_t fill;              /* payload stream seed */
    uint32_t defects;           /* 1 << D_* */
    uint16_t status;
    uint32_t busy;              /* INSUFFICIENT_BUFFERS retries */
};

struct fuzz_state {
    uint32_t valid;             /* the helper's connection id (0: none) */
    int testdev;
    unsigned maxphys;
};

static uint32_t rnd(struct test_ctx *t, uint32_t n) { return (uint32_t)((test_rand(t) >> 11) % n); }
static int one_in(struct test_ctx *t, uint32_t n) { return rnd(t, n) == 0; }

static uint32_t draw_type(struct test_ctx *t)
{
    switch (rnd(t, 16)) {
    case 12: return one_in(t, 2) ? 1 : 0x7FFFFFFFu;
    case 13: return 0;
    case 14: {
        static const uint32_t msb[] = { 0x80000000u, 0x80000010u, 0xFFFFFFFFu, 0x80000001u };
        return one_in(t, 2) ? msb[rnd(t, 4)] : (0x80000000u | (uint32_t)test_rand(t));
    }
    case 15: return (uint32_t)test_rand(t);
    default: return one_in(t, 2) ? TEST_TYPE : 1 + rnd(t, 0x7FFFFFFFu);
    }
}

static uint32_t draw_size(struct test_ctx *t)
{
    static const uint32_t edge[] = { 0, 1, 239, 240 }, over[] = { 241, 255, 256 },
                          huge[] = { 0xFFFFFFFFu, 0x80000000u, 0x100u + 0xF0u, 0x10000u };
    switch (rnd(t, 16)) {
    case 10: return edge[rnd(t, 4)];
    case 11: case 12: return 241 + rnd(t, 60);
    case 13: return over[rnd(t, 3)];
    case 14: return one_in(t, 2) ? huge[rnd(t, 4)] : (uint32_t)test_rand(t) | 0x100u;
    case 15: return rnd(t, 301);
    default: return rnd(t, 241);
    }
}

static uint64_t draw_control(struct test_ctx *t)
{
    uint64_t c = HVCALL_POST_MESSAGE;
    if (!one_in(t, 8)) return c;
    int n = 1 + (int)rnd(t, 2);
    for (int i = 0; i < n; i++) {
        switch (rnd(t, 7)) {
        case 0: c |= HV_HC_FAST; break;
        case 1: c |= (uint64_t)(1 + rnd(t, 1023)) << HV_HC_VARHEAD_SHIFT; break;
        case 2: c |= (uint64_t)(1 + rnd(t, 4095)) << HV_HC_REP_COUNT_SHIFT; break;
        case 3: c |= (uint64_t)(1 + rnd(t, 4095)) << HV_HC_REP_START_SHIFT; break;
        case 4: c |= 1ull << (27 + rnd(t, 4)); break;
        case 5: c |= 1ull << (44 + rnd(t, 4)); break;
        default: c |= 1ull << (60 + rnd(t, 4)); break;
        }
    }
    return c;
}

static void draw(struct test_ctx *t, const struct fuzz_state *s, struct fz *f, uint32_t iter)
{
    *f = (struct fz){ .iter = iter };
    /* connection */
    uint32_t r = rnd(t, 16);
    f->ck = r <= 10 ? CK_VALID : r == 11 ? CK_VALID_RSVD : r <= 13 ? CK_UNKNOWN : r == 14 ? CK_UNKNOWN_RSVD : CK_ZERO;
    /* unknown ids from 0x100 up: the testdev's ids are 8-bit, VMBus uses 1 and 4 */
    uint32_t unknown = 0x100 + rnd(t, 0x00FFFF00u), top = (1 + rnd(t, 255)) << 24;
    if (!s->valid && f->ck == CK_VALID) f->ck = CK_UNKNOWN;
    if (!s->valid && f->ck == CK_VALID_RSVD) f->ck = CK_UNKNOWN_RSVD;
    f->conn = f->ck == CK_VALID ? s->valid : f->ck == CK_VALID_RSVD ? s->valid | top
            : f->ck == CK_UNKNOWN ? unknown : f->ck == CK_UNKNOWN_RSVD ? unknown | top : 0;
    /* header fields */
    f->rsvdz = one_in(t, 12) ? (one_in(t, 2) ? 1u << rnd(t, 32) : (uint32_t)test_rand(t) | 1) : 0;
    f->type = draw_type(t);
    f->size = draw_size(t);
    f->control = draw_control(t);
    /* where the input is */
    r = rnd(t, 16);
    uint32_t page = rnd(t, 2) * HV_PAGE;
    if (r <= 11) f->offset = page + 8 * rnd(t, (HV_PAGE - 256) / 8 + 1);
    else if (r == 12) f->offset = page + 8 * rnd(t, (HV_PAGE - 256) / 8) + 1 + rnd(t, 7);
    else if (r <= 14) f->offset = HV_PAGE - 255 + rnd(t, 255);     /* spans the boundary */
    else f->outside = 1;
    if (f->outside) {
        /* unassigned: just past MAXPHYADDR, or with high GPA bits set */
        f->in_gpa = one_in(t, 2) ? (1ull << s->maxphys) + 8 * rnd(t, 512)
                                 : ((uint64_t)(1 + rnd(t, 4095)) << 52) | (8ull * rnd(t, 4096));
        f->offset = 0;
    } else {
        f->in_gpa = (uint64_t)(uintptr_t)(hv_input_pages + f->offset);
    }
    r = rnd(t, 4);
    f->out_gpa = r <= 1 ? 0 : r == 2 ? (uint64_t)(uintptr_t)hv_output_page : test_rand(t);
    f->fill = test_rand(t);
    /* SynIC state: never on QEMU's testdev (it aborts) */
    r = rnd(t, 64);
    f->synic = s->valid && !s->testdev && r == 0 ? SY_SCONTROL_OFF : s->valid && !s->testdev && r == 1 ? SY_SIMP_OFF : SY_ON;
    /* the testdev exclusion */
    if (s->testdev && s->valid && (f->conn & HV_CONNECTION_ID_MASK) == s->valid && f->size == 240) {
        f->size = 239;
        f->excluded = 1;
    }
}

static int targets_valid(const struct fuzz_state *s, const struct fz *f)
{
    return s->valid && (f->conn & HV_CONNECTION_ID_MASK) == s->valid;
}

static uint32_t defects_of(const struct fuzz_state *s, const struct fz *f)
{
    uint32_t d = 0;
    uint64_t c = f->control;
    uint32_t rep_count = (uint32_t)(c >> HV_HC_REP_COUNT_SHIFT) & 0xFFF, rep_start = (uint32_t)(c >> HV_HC_REP_START_SHIFT) & 0xFFF;
    if (c & HV_HC_FAST) d |= 1u << D_FAST;
    if ((c >> HV_HC_VARHEAD_SHIFT) & 0x3FF) d |= 1u << D_VARHEAD;
    if (rep_count) d |= 1u << D_REP_COUNT;
    if (rep_start) d |= 1u << D_REP_START;
    if (c & HV_HC_RSVD_27_30) d |= 1u << D_RSVD_27_30;
    if (c & HV_HC_RSVD_44_47) d |= 1u << D_RSVD_44_47;
    if (c & HV_HC_RSVD_60_63) d |= 1u << D_RSVD_60_63;
    if (f->outside) {
        d |= 1u << D_GPA_OUTSIDE;
        return d;       /* what lies there isn't the input: the other fields don't count */
    }
    if (f->in_gpa & 1) d |= 1u << D_ALIGN_1;
    else if (f->in_gpa & 2) d |= 1u << D_ALIGN_2;
    else if (f->in_gpa & 4) d |= 1u << D_ALIGN_4;
    if ((f->in_gpa & (HV_PAGE - 1)) + sizeof(struct hv_post_message_input) > HV_PAGE) d |= 1u << D_CROSS_PAGE;
    if ((f->conn & HV_CONNECTION_ID_MASK) == 0) d |= 1u << D_CONN_ZERO;
    else if (!targets_valid(s, f)) d |= 1u << D_CONN_UNKNOWN;
    if (f->conn & ~HV_CONNECTION_ID_MASK) d |= 1u << D_CONN_RSVD;
    if (f->rsvdz) d |= 1u << D_RSVDZ;
    if (f->type == 0) d |= 1u << D_TYPE_ZERO;
    else if (f->type == 0xFFFFFFFFu) d |= 1u << D_TYPE_ONES;
    else if ((f->type & 0xFFFFFF00u) == 0x80000000u && f->type != 0x80000000u) d |= 1u << D_TYPE_HV;
    else if (f->type & 0x80000000u) d |= 1u << D_TYPE_MSB;
    if (f->size == 256) d |= 1u << D_SIZE_256;
    else if (f->size == 0xFFFFFFFFu) d |= 1u << D_SIZE_MAX;
    else if (f->size > HV_MESSAGE_PAYLOAD_MAX) d |= 1u << D_SIZE_241;
    if (f->synic == SY_SCONTROL_OFF && targets_valid(s, f)) d |= 1u << D_SYNIC_OFF;
    if (f->synic == SY_SIMP_OFF && targets_valid(s, f)) d |= 1u << D_SIMP_OFF;
    return d;
}

static int first_defect(uint32_t d)
{
    for (int i = 0; i < D_COUNT; i++)
        if (d & (1u << i)) return i;
    return -1;
}

static int call_may_return(uint16_t st)
{
    switch (st) {
    case HV_STATUS_SUCCESS: case HV_STATUS_INVALID_CONNECTION_ID: case HV_STATUS_INVALID_PORT_ID:
    case HV_STATUS_INVALID_PARAMETER: case HV_STATUS_INSUFFICIENT_BUFFERS: case HV_STATUS_INVALID_VP_INDEX:
    case HV_STATUS_INVALID_SYNIC_STATE: case HV_STATUS_INVALID_HYPERCALL_INPUT: case HV_STATUS_INVALID_ALIGNMENT:
        return 1;
    default:
        return 0;       /* ACCESS_DENIED too: this test runs only with the PostMessages privilege */
    }
}

static int any_rule_accepts(uint32_t d, uint16_t st)
{
    for (int i = 0; i < D_COUNT; i++) {
        if (!(d & (1u << i))) continue;
        for (int k = 0; k < rules[i].nok; k++)
            if (rules[i].ok[k] == st) return 1;
    }
    return 0;
}

/* --- printing ----------------------------------------------------------- */

static int describe(char *buf, size_t size, const struct fz *f)
{
    int n = fmt_snprintf(buf, size, "iter %u: conn %s %#x, rsvdz %#x, type %#x, size %u, control %#llx, input ",
                         f->iter, conn_kind_name[f->ck], f->conn, f->rsvdz, f->type, f->size, (unsigned long long)f->control);
    if (f->outside)
        n += fmt_snprintf(buf + n, size - (size_t)n, "GPA %#llx (outside)", (unsigned long long)f->in_gpa);
    else
        n += fmt_snprintf(buf + n, size - (size_t)n, "pages+%#x (GPA %#llx)", f->offset, (unsigned long long)f->in_gpa);
    n += fmt_snprintf(buf + n, size - (size_t)n, ", output GPA %#llx, synic %s%s", (unsigned long long)f->out_gpa,
                      synic_name[f->synic], f->excluded ? ", size 240->239 (testdev exclusion)" : "");
    if (f->defects) {
        n += fmt_snprintf(buf + n, size - (size_t)n, "; breaks:");
        for (int i = 0; i < D_COUNT; i++)
            if (f->defects & (1u << i)) n += fmt_snprintf(buf + n, size - (size_t)n, " %s", rules[i].what);
    }
    return n;
}

/* --- the test ----------------------------------------------------------- */

struct tally {
    uint32_t count[NCLASS];
    uint32_t first_iter[NCLASS];
    int first_new;              /* class of the first new violation, or -1 */
    int first_any;
};

static struct fz last_refused;  /* the latest refused post that targeted the helper's connection */
static int have_last_refused;

static void violation(struct test_ctx *t, struct tally *y, const struct options *o, int cls,
                      const struct fz *f, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void violation(struct test_ctx *t, struct tally *y, const struct options *o, int cls,
                      const struct fz *f, const char *fmt, ...)
{
    char what[200], input[400];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (y->count[cls]++ == 0) {
        y->first_iter[cls] = f->iter;
        describe(input, sizeof input, f);
        kprintf("#   fuzz violation [%s]%s: %s; status 0x%04x %s%s; %s; replay: seed=%llu fuzz=%u tests=fuzz.post\n",
                class_name(cls), class_known(cls) ? " (known class)" : "", what, f->status, hv_status_name(f->status),
                f->busy ? " (after busy retries)" : "", input, (unsigned long long)o->seed, f->iter + 1);
    }
    if (y->first_any < 0) y->first_any = cls;
    if (!class_known(cls) && y->first_new < 0) {
        y->first_new = cls;
        fail(t, "fuzz iteration %u: [%s] %s; status 0x%04x %s; replay: seed=%llu fuzz=%u tests=fuzz.post",
             f->iter, class_name(cls), what, f->status, hv_status_name(f->status), (unsigned long long)o->seed, f->iter + 1);
    }
}

struct call { const struct fz *f; uint64_t result; };

static void do_call(void *arg)
{
    struct call *c = arg;
    c->result = hv_call(c->f->control, c->f->in_gpa, c->f->out_gpa);
}

static void build_input(const struct fz *f)
{
    if (f->outside) return;
    struct hv_post_message_input *in = (void *)(hv_input_pages + f->offset);
    in->connection_id = f->conn;
    in->rsvdz = f->rsvdz;
    in->message_type = f->type;
    in->payload_size = f->size;
    uint64_t x = f->fill | 1;
    for (uint32_t i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++) {
        if (i >= f->size) { in->payload[i] = CANARY; continue; }
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        uint8_t b = (uint8_t)((x * 0x2545F4914F6CDD1Dull) >> 56);
        in->payload[i] = b == CANARY ? 0 : b;   /* the canary marks bytes beyond n only */
    }
}

static void empty_slot(void)
{
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    for (int i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++) m->payload[i] = 0;
    m->header.payload_size = 0;
    m->header.message_flags = 0;
    barrier();
    m->header.message_type = HV_MESSAGE_TYPE_NONE;
    barrier();
    synic_eom();
}

static int slot_full(void) { return hv_simp_page.slot[TEST_SINT].header.message_type != HV_MESSAGE_TYPE_NONE; }

/* compares the slot with what f posted; 0 = equal, else a description */
static int delivered_differs(const struct fz *f, char *why, size_t size)
{
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    const struct hv_post_message_input *in = (const void *)(hv_input_pages + f->offset);
    uint32_t n = f->size < HV_MESSAGE_PAYLOAD_MAX ? f->size : HV_MESSAGE_PAYLOAD_MAX;
    if (m->header.message_type != f->type)
        return fmt_snprintf(why, size, "delivered type %#x, posted %#x", m->header.message_type, f->type);
    if (m->header.payload_size != f->size)
        return fmt_snprintf(why, size, "delivered size %u, posted %u", m->header.payload_size, f->size);
    if ((m->header.message_flags & ~HV_MESSAGE_FLAG_PENDING) || m->header.reserved[0] || m->header.reserved[1])
        return fmt_snprintf(why, size, "delivered header flags %#x reserved %#x %#x", m->header.message_flags,
                            m->header.reserved[0], m->header.reserved[1]);
    for (uint32_t i = 0; i < n; i++)
        if (m->payload[i] != in->payload[i])
            return fmt_snprintf(why, size, "delivered payload byte %u is %#x, posted %#x", i, m->payload[i], in->payload[i]);
    for (uint32_t i = n; i < HV_MESSAGE_PAYLOAD_MAX; i++)
        if (m->payload[i] == CANARY)
            return fmt_snprintf(why, size, "input byte %u beyond PayloadSize %u reached the slot", i, n);
    return 0;
}

static void set_synic(int state)
{
    if (state == SY_SCONTROL_OFF) wrmsr(HV_X64_MSR_SCONTROL, 0);
    else if (state == SY_SIMP_OFF) wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&hv_simp_page);
    else {
        wrmsr(HV_X64_MSR_SCONTROL, HV_SCONTROL_ENABLE);
        wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)&hv_simp_page | HV_SIMP_ENABLE);
    }
}

/* 0 = go on, 1 = stop (the guest can't be trusted after a fault) */
static int iterate(struct test_ctx *t, const struct fuzz_state *s, struct tally *y, const struct options *o,
                   struct fz *f, uint32_t iter, uint64_t *calls)
{
    char why[160];
    draw(t, s, f, iter);
    f->defects = defects_of(s, f);

    /* invariant 4, late: nothing may have arrived since the last iteration */
    if (s->valid && slot_full()) {
        if (have_last_refused && first_defect(last_refused.defects) >= 0)
            violation(t, y, o, first_defect(last_refused.defects), &last_refused,
                      "message (type %#x) found before iteration %u, after this refused post",
                      hv_simp_page.slot[TEST_SINT].header.message_type, iter);
        else
            violation(t, y, o, D_COUNT + N_STRAY, have_last_refused ? &last_refused : f,
                      "message (type %#x size %u) in the slot before iteration %u",
                      hv_simp_page.slot[TEST_SINT].header.message_type, hv_simp_page.slot[TEST_SINT].header.payload_size, iter);
        empty_slot();
    }

    if (!f->outside) build_input(f);
    if (f->synic != SY_ON) set_synic(f->synic);
    struct call c = { f, 0 };
    struct fault flt;
    int faulted;
    for (;;) {
        faulted = fault_catch(do_call, &c, &flt);
        (*calls)++;
        f->status = HV_RESULT_STATUS(c.result);
        if (faulted || f->status != HV_STATUS_INSUFFICIENT_BUFFERS || f->busy >= FUZZ_BUSY_LIMIT) break;
        f->busy++;
        delay_us(FUZZ_BUSY_US);
    }
    if (f->synic != SY_ON) set_synic(SY_ON);

    if (faulted) {
        fault_describe(why, sizeof why, &flt);
        violation(t, y, o, D_COUNT + N_FAULT, f, "the hypercall raised %s", why);
        return 1;
    }

    int d1 = first_defect(f->defects);
    uint16_t st = f->status;
    int bad = 1;
    if (!call_may_return(st))
        violation(t, y, o, d1 >= 0 ? d1 : D_COUNT + N_STATUS, f, "status not among those the TLFS gives HvCallPostMessage");
    else if (st == HV_STATUS_SUCCESS && d1 >= 0)
        violation(t, y, o, d1, f, "invalid input accepted");
    else if (st != HV_STATUS_SUCCESS && d1 >= 0 && !any_rule_accepts(f->defects, st))
        violation(t, y, o, d1, f, "refused with a status no broken rule's named test accepts");
    else if (st != HV_STATUS_SUCCESS && d1 < 0)
        violation(t, y, o, f->out_gpa && f->out_gpa != (uint64_t)(uintptr_t)hv_output_page ? C_OUTPUT_IGNORED : D_COUNT + N_REFUSED,
                  f, "valid input refused");
    else
        bad = 0;

    if (!targets_valid(s, f)) return 0;
    if (st == HV_STATUS_SUCCESS) {
        /* invariant 5; a message of type 0 would look like an empty slot */
        int expect = !f->outside && !(f->defects & ((1u << D_FAST) | (1u << D_SYNIC_OFF) | (1u << D_SIMP_OFF))) && f->type != 0;
        if (expect) {
            if (!synic_wait_message(TEST_SINT, FUZZ_DELIVERY_US)) {
                if (!bad) violation(t, y, o, D_COUNT + N_DELIVERY, f, "no message in the slot within %u ms", FUZZ_DELIVERY_US / 1000);
            } else if (delivered_differs(f, why, sizeof why)) {
                if (!bad) violation(t, y, o, D_COUNT + N_DELIVERY, f, "%s", why);
            }
        }
        empty_slot();
        have_last_refused = 0;
    } else {
        /* invariant 4: a refused post delivers nothing */
        deadline_t d = deadline_after_us(FUZZ_QUIET_US);
        while (!slot_full() && !deadline_passed(d)) pause();
        if (slot_full()) {
            if (!bad) violation(t, y, o, d1 >= 0 ? d1 : D_COUNT + N_AFTER_REFUSAL, f, "refused post delivered a message (type %#x)",
                                hv_simp_page.slot[TEST_SINT].header.message_type);
            empty_slot();
        } else {
            last_refused = *f;
            have_last_refused = 1;
        }
    }
    return 0;
}

TEST(fuzz, post)
{
    static struct fuzz_state s;
    static struct tally y;
    static struct fz f;
    const struct options *o = runner_options();
    uint32_t n = o->fuzz ? o->fuzz : FUZZ_DEFAULT;

    if (!need_synic(t) || !need_post_privilege(t)) return;
    s = (struct fuzz_state){ 0 };
    y = (struct tally){ .first_new = -1, .first_any = -1 };
    have_last_refused = 0;
    s.maxphys = cpuid(0x80000000u, 0).a >= 0x80000008u ? (cpuid(0x80000008u, 0).a & 0xFF) : 36;
    if (helper_absent_reason() || helper_msg_conn_create(0, TEST_SINT, &s.valid)) {
        s.valid = 0;
        kprintf("#   fuzz: no helper connection (%s): only refused posts are fuzzed, no delivery is checked\n",
                helper_absent_reason() ? helper_absent_reason() : "the helper could not create one");
    } else {
        synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 0);
    }
    const char *hn = helper_name();
    s.testdev = hn && memcmp(hn, TESTDEV_PREFIX, sizeof TESTDEV_PREFIX - 1) == 0;
    kprintf("#   fuzz: %u iterations, seed %llu (test seed %#llx), helper connection %#x\n", n,
            (unsigned long long)o->seed, (unsigned long long)t->seed, s.valid);
    if (s.testdev)
        kprintf("#   fuzz: exclusion for %s: no 240-byte payload to its connection (drawn as 239) and no SCONTROL/SIMP "
                "disabling, since QEMU aborts on both (profiles/qemu-kvm.txt: post.payload_240, post.synic_disabled, post.simp_disabled)\n", hn);

    uint64_t calls = 0, busy = 0, t0 = rdtsc();
    uint32_t done = 0, excluded = 0, valid_inputs = 0, delivered = 0;
    for (uint32_t i = 0; i < n; i++) {
        int stop = iterate(t, &s, &y, o, &f, i, &calls);
        done++;
        busy += f.busy;
        excluded += (uint32_t)f.excluded;
        if (!f.defects) valid_inputs++;
        if (f.status == HV_STATUS_SUCCESS && targets_valid(&s, &f)) delivered++;
        if (stop) break;
    }
    /* the last refused post gets a longer quiet window */
    if (s.valid && !synic_wait_message(TEST_SINT, 20000)) {
        /* quiet */
    } else if (s.valid) {
        violation(t, &y, o, have_last_refused && first_defect(last_refused.defects) >= 0 ? first_defect(last_refused.defects)
                  : D_COUNT + N_STRAY, have_last_refused ? &last_refused : &f, "message in the slot after the last iteration");
        empty_slot();
    }
    uint64_t ns = time_tsc_to_ns(rdtsc() - t0);
    uint64_t ms = ns / 1000000;
    kprintf("#   fuzz: %u iterations (%u valid inputs, %u accepted posts to the helper connection, %u excluded draws) "
            "in %llu ms: %llu calls/s (%llu hypercalls incl. %llu busy retries)\n",
            done, valid_inputs, delivered, excluded, (unsigned long long)ms,
            (unsigned long long)(ns ? (uint64_t)done * 1000000000ull / ns : 0), (unsigned long long)calls, (unsigned long long)busy);
    uint32_t known = 0, fresh = 0;
    for (int c = 0; c < NCLASS; c++) {
        if (!y.count[c]) continue;
        kprintf("#   fuzz class %s: %u (first at iteration %u)%s\n", class_name(c), y.count[c], y.first_iter[c],
                class_known(c) ? " known: its named test carries the verdict" : " NEW: fails fuzz.post");
        if (class_known(c)) known += y.count[c]; else fresh += y.count[c];
    }
    kprintf("#   fuzz: %u violations in known classes, %u in new classes; first violation: %s%s%s\n", known, fresh,
            y.first_any < 0 ? "none" : class_name(y.first_any), y.first_new < 0 ? "" : "; first new: ",
            y.first_new < 0 ? "" : class_name(y.first_new));
    check(t, done == n, "fuzz stopped after %u of %u iterations", done, n);
}
