/* fuzz.post's draws and oracle (tests/fuzz_oracle.h). */
#include "fuzz_oracle.h"
#include "../harness/cmdline.h"
#include "../hv/tlfs.h"
#include "../kernel/fmt.h"

#define PAGE 4096u
#define INPUT_SIZE 256u

uint64_t fuzz_rand(struct fuzz_rng *r)
{
    uint64_t x = r->s ? r->s : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static uint32_t rnd(struct fuzz_rng *r, uint32_t n) { return (uint32_t)((fuzz_rand(r) >> 11) % n); }
static int one_in(struct fuzz_rng *r, uint32_t n) { return rnd(r, n) == 0; }

static uint32_t draw_type(struct fuzz_rng *r, uint32_t usual)
{
    static const uint32_t msb[] = { 0x80000000u, 0x80000010u, 0xFFFFFFFFu, 0x80000001u };
    switch (rnd(r, 16)) {
    case 12: return one_in(r, 2) ? 1 : 0x7FFFFFFFu;
    case 13: return 0;
    case 14: return one_in(r, 2) ? msb[rnd(r, 4)] : (0x80000000u | (uint32_t)fuzz_rand(r));
    case 15: return (uint32_t)fuzz_rand(r);
    default: return one_in(r, 2) ? usual : 1 + rnd(r, 0x7FFFFFFFu);
    }
}

static uint32_t draw_size(struct fuzz_rng *r)
{
    static const uint32_t edge[] = { 0, 1, 239, 240 }, over[] = { 241, 255, 256 },
                          huge[] = { 0xFFFFFFFFu, 0x80000000u, 0x100u + 0xF0u, 0x10000u };
    switch (rnd(r, 16)) {
    case 10: return edge[rnd(r, 4)];
    case 11: case 12: return 241 + rnd(r, 60);
    case 13: return over[rnd(r, 3)];
    case 14: return one_in(r, 2) ? huge[rnd(r, 4)] : (uint32_t)fuzz_rand(r) | 0x100u;
    case 15: return rnd(r, 301);
    default: return rnd(r, 241);
    }
}

/* Never the call code and never bit 31 ("nested": another hypervisor). */
static uint64_t draw_control(struct fuzz_rng *r)
{
    uint64_t c = HVCALL_POST_MESSAGE;
    if (!one_in(r, 8)) return c;
    int n = 1 + (int)rnd(r, 2);
    for (int i = 0; i < n; i++) {
        switch (rnd(r, 7)) {
        case 0: c |= HV_HC_FAST; break;
        case 1: c |= (uint64_t)(1 + rnd(r, 511)) << HV_HC_VARHEAD_SHIFT; break;
        case 2: c |= (uint64_t)(1 + rnd(r, 4095)) << HV_HC_REP_COUNT_SHIFT; break;
        case 3: c |= (uint64_t)(1 + rnd(r, 4095)) << HV_HC_REP_START_SHIFT; break;
        case 4: c |= 1ull << (27 + rnd(r, 4)); break;
        case 5: c |= 1ull << (44 + rnd(r, 4)); break;
        default: c |= 1ull << (60 + rnd(r, 4)); break;
        }
    }
    return c;
}

void fuzz_draw(struct fuzz_rng *r, const struct fuzz_env *e, struct fz *f, uint32_t iter)
{
    *f = (struct fz){ .iter = iter };
    uint32_t k = rnd(r, 16);
    f->ck = k <= 10 ? CK_VALID : k == 11 ? CK_VALID_RSVD : k <= 13 ? CK_UNKNOWN : k == 14 ? CK_UNKNOWN_RSVD : CK_ZERO;
    /* unknown ids from 0x100 up: the testdev's ids are 8-bit, VMBus uses 1 and 4 */
    uint32_t unknown = 0x100 + rnd(r, 0x00FFFF00u), top = (1 + rnd(r, 255)) << 24;
    if (!e->valid && f->ck == CK_VALID) f->ck = CK_UNKNOWN;
    if (!e->valid && f->ck == CK_VALID_RSVD) f->ck = CK_UNKNOWN_RSVD;
    f->conn = f->ck == CK_VALID ? e->valid : f->ck == CK_VALID_RSVD ? e->valid | top
            : f->ck == CK_UNKNOWN ? unknown : f->ck == CK_UNKNOWN_RSVD ? unknown | top : 0;
    f->rsvdz = one_in(r, 12) ? (one_in(r, 2) ? 1u << rnd(r, 32) : (uint32_t)fuzz_rand(r) | 1) : 0;
    f->type = draw_type(r, 0x4856u);
    f->size = draw_size(r);
    f->control = draw_control(r);
    k = rnd(r, 16);
    uint32_t page = rnd(r, 2) * PAGE;
    if (k <= 11) f->offset = page + 8 * rnd(r, (PAGE - INPUT_SIZE) / 8 + 1);
    else if (k == 12) f->offset = page + 8 * rnd(r, (PAGE - INPUT_SIZE) / 8) + 1 + rnd(r, 7);
    else if (k <= 14) f->offset = PAGE - 255 + rnd(r, 255);     /* spans the boundary */
    else f->outside = 1;
    if (f->outside) {
        /* unassigned: just past MAXPHYADDR, or with high GPA bits set */
        f->in_gpa = one_in(r, 2) ? (1ull << e->maxphys) + 8 * rnd(r, 512)
                                 : ((uint64_t)(1 + rnd(r, 4095)) << 52) | (8ull * rnd(r, 4096));
        f->offset = 0;
    } else {
        f->in_gpa = e->input_base + f->offset;
    }
    k = rnd(r, 4);
    f->out_gpa = k <= 1 ? 0 : k == 2 ? e->output_page : fuzz_rand(r);
    f->fill = fuzz_rand(r);
    k = rnd(r, 64);
    if (e->valid && k == 0 && !(e->avoid & AVOID_SCONTROL_OFF)) f->synic = SYNIC_SCONTROL_OFF;
    if (e->valid && k == 1 && !(e->avoid & AVOID_SIMP_OFF)) f->synic = SYNIC_SIMP_OFF;
    if ((e->avoid & AVOID_PAYLOAD_240) && fuzz_targets_valid(e, f) && f->size == 240) {
        f->size = 239;
        f->excluded = 1;
    }
    fuzz_classify(e, f);
}

int fuzz_targets_valid(const struct fuzz_env *e, const struct fz *f)
{
    return e->valid && (f->conn & HV_CONNECTION_ID_MASK) == e->valid;
}

/* The input's value for a field; 0 when the field doesn't apply. */
static int value_of(const struct fuzz_env *e, const struct fz *f, int field, uint64_t *x)
{
    uint32_t id = f->conn & HV_CONNECTION_ID_MASK;
    if (f->outside && field != RF_CONTROL && field != RF_GPA_OUTSIDE && field != RF_OUTPUT_GPA)
        return 0;       /* what lies there isn't the input: its fields don't count */
    switch (field) {
    case RF_CONTROL: *x = f->control; return 1;
    case RF_INPUT_GPA: case RF_INPUT_SPAN: *x = f->in_gpa; return 1;
    case RF_GPA_OUTSIDE: *x = (uint64_t)f->outside; return 1;
    case RF_OUTPUT_GPA: *x = f->out_gpa != 0 && f->out_gpa != e->output_page; return 1;
    case RF_SIZE: *x = f->size; return 1;
    case RF_RSVDZ: *x = f->rsvdz; return 1;
    case RF_TYPE: *x = f->type; return 1;
    case RF_CONN_RSVD: *x = f->conn; return 1;
    case RF_CONN_ID: *x = id; return !(e->valid && id == e->valid);
    case RF_SYNIC: *x = (uint64_t)f->synic; return fuzz_targets_valid(e, f);
    default: return 0;
    }
}

void fuzz_classify(const struct fuzz_env *e, struct fz *f)
{
    int valid_row[RF_COUNT];
    f->first = f->varied = -1;
    for (int field = 0; field < RF_COUNT; field++) {
        uint64_t x, width[2] = { ~0ull, ~0ull };
        int best[2] = { -1, -1 };       /* [0] invalid rows, [1] valid rows */
        f->broken[field] = -1;
        valid_row[field] = -1;
        if (!value_of(e, f, field, &x)) continue;
        for (int i = 0; i < rule_count(); i++) {
            const struct rule *r = rule_at(i);
            int v = rule_valid(r);
            if (r->field != field || !rule_holds(r, x) || r->hi - r->lo >= width[v]) continue;
            best[v] = i;
            width[v] = r->hi - r->lo;
        }
        f->broken[field] = (short)best[0];
        valid_row[field] = best[1];
        if (best[0] >= 0 && f->first < 0) f->first = best[0];
    }
    for (int field = 0; field < RF_COUNT && f->first < 0 && f->varied < 0; field++)
        f->varied = valid_row[field];
}

int fuzz_status_allowed(uint16_t st)
{
    switch (st) {
    case HV_STATUS_SUCCESS: case HV_STATUS_INVALID_CONNECTION_ID: case HV_STATUS_INVALID_PORT_ID:
    case HV_STATUS_INVALID_PARAMETER: case HV_STATUS_INSUFFICIENT_BUFFERS: case HV_STATUS_INVALID_VP_INDEX:
    case HV_STATUS_INVALID_SYNIC_STATE: case HV_STATUS_INVALID_HYPERCALL_INPUT: case HV_STATUS_INVALID_ALIGNMENT:
        return 1;
    default:
        return 0;       /* ACCESS_DENIED too: fuzz.post runs only with the PostMessages privilege */
    }
}

int fuzz_refusing_row(const struct fz *f)
{
    for (int field = 0; field < RF_COUNT; field++)
        if (f->broken[field] >= 0 && !(rule_at(f->broken[field])->ok & RULE_OK(HV_STATUS_SUCCESS))) return f->broken[field];
    return -1;
}

int fuzz_may_succeed(const struct fz *f) { return fuzz_refusing_row(f) < 0; }

int fuzz_accepts(const struct fz *f, uint16_t st)
{
    for (int field = 0; field < RF_COUNT; field++)
        if (f->broken[field] >= 0 && st < 64 && (rule_at(f->broken[field])->ok & RULE_OK(st))) return 1;
    return 0;
}

static const char *const conn_kind_name[] = { "valid", "valid+rsvd", "unknown", "unknown+rsvd", "zero" };
static const char *const synic_name[] = { "on", "SCONTROL=0", "SIMP disabled" };

int fuzz_describe(char *buf, size_t size, const struct fz *f)
{
    int n = fmt_snprintf(buf, size, "iter %u: conn %s %#x, rsvdz %#x, type %#x, size %u, control %#llx, input ",
                         f->iter, conn_kind_name[f->ck], f->conn, f->rsvdz, f->type, f->size, (unsigned long long)f->control);
    if (f->outside)
        n += fmt_snprintf(buf + n, size - (size_t)n, "GPA %#llx (outside)", (unsigned long long)f->in_gpa);
    else
        n += fmt_snprintf(buf + n, size - (size_t)n, "pages+%#x (GPA %#llx)", f->offset, (unsigned long long)f->in_gpa);
    n += fmt_snprintf(buf + n, size - (size_t)n, ", output GPA %#llx, synic %s%s", (unsigned long long)f->out_gpa,
                      synic_name[f->synic], f->excluded ? ", size 240->239 (avoid=payload_240)" : "");
    if (f->first >= 0) {
        n += fmt_snprintf(buf + n, size - (size_t)n, "; breaks:");
        for (int field = 0; field < RF_COUNT; field++)
            if (f->broken[field] >= 0)
                n += fmt_snprintf(buf + n, size - (size_t)n, " %s", rule_at(f->broken[field])->name);
    }
    return n;
}
