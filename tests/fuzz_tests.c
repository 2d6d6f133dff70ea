/* fuzz.post: seeded, reproducible HvCallPostMessage inputs, judged by the
 * rule table (tests/rules.h) through the oracle of tests/fuzz_oracle.h.
 *
 * `fuzz=N` iterations (default FUZZ_DEFAULT), drawn from the test's seed
 * (derived from `seed=S` and the name), so `seed=S fuzz=N tests=fuzz.post`
 * replays a run exactly: the draws never depend on what the hypervisor
 * answered. Each iteration varies the connection id, RsvdZ, MessageType,
 * PayloadSize, the control word, the input's place (any offset, across the
 * page boundary, outside the GPA space), the output GPA, the payload bytes
 * and - unless `avoid=` says the host can't survive it - the target SynIC
 * state (SCONTROL or the SIM page disabled around the call).
 *
 * Checked on every call:
 *   1. no fault from the hypercall;
 *   2. the status is one HvCallPostMessage may return (fuzz_status_allowed);
 *   3. an input that breaks rows of the table is refused with a status one
 *      of them allows; a valid input succeeds (INSUFFICIENT_BUFFERS is
 *      retried, bounded, as Linux's hv_post_message treats it);
 *   4. nothing is delivered after a refused post (FUZZ_QUIET_US after it,
 *      and again before every later iteration);
 *   5. a SUCCESS to the helper's connection delivers exactly what was posted;
 *   6. the guest survives.
 *
 * A violation is classed by the row it concerns (the first broken row, or
 * for a valid input the valid row standing for its varied field, e.g.
 * post.rsvdz_nonzero, abi.output_ignored) and by what was observed: the
 * status (got=0xNNNN), the fault (fault=#XX) or the delivery difference
 * (delivery=NAME); a valid input still refused with INSUFFICIENT_BUFFERS
 * after the bounded retries is fuzz.busy, whatever field was varied (the
 * transient status says nothing of that field). Every class in a normative
 * row, or in none, fails
 * fuzz.post and is listed in the YAML block's `observed:` as RULE:TOKEN
 * (fuzz.* names the classes without a row); the checker excuses only the
 * classes a profile pins (profiles/README.md), so a hypervisor that starts
 * to answer a broken row differently fails the run. A class in a row of kind
 * reading is printed and does not fail fuzz.post. Each class's first
 * violation prints the command that replays it. */
#include "fuzz_oracle.h"
#include "pattern.h"
#include "hvtest.h"
#include "../harness/runner.h"
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
#define FUZZ_LANDING_US 20000u      /* an accepted input that need not deliver may land by then */
#define FUZZ_QUIET_US 100u          /* a refused post's message must not appear within */
#define FUZZ_BUSY_US 50u
#define FUZZ_BUSY_LIMIT 1000u       /* 1000 x 50 us = 50 ms of INSUFFICIENT_BUFFERS */
#define CANARY POST_CANARY
#define MAX_ROWS 128

/* classes without a row, after the rows */
enum { N_FAULT, N_STATUS, N_REFUSED, N_BUSY, N_DELIVERY, N_AFTER_REFUSAL, N_STRAY, N_COUNT };
static const char *const new_class[N_COUNT] = {
    [N_FAULT] = "fuzz.fault",               /* a fault from the hypercall */
    [N_STATUS] = "fuzz.status",             /* a status HvCallPostMessage may not return */
    [N_REFUSED] = "fuzz.refused",           /* a valid input refused */
    [N_BUSY] = "fuzz.busy",                 /* a valid input still INSUFFICIENT_BUFFERS after the retries */
    [N_DELIVERY] = "fuzz.delivery",         /* a SUCCESS without the posted message */
    [N_AFTER_REFUSAL] = "fuzz.after_refusal",  /* a message after a refused valid post */
    [N_STRAY] = "fuzz.stray",               /* a stray message before an iteration */
};
#define NEW(n) (MAX_ROWS + (n))
#define MAX_CLASSES 48

/* One class: a row (or NEW(n)) and what was observed. */
struct cls { int row; char outcome[28]; uint32_t count, first_iter; };

struct tally {
    struct cls c[MAX_CLASSES];
    int n, failed;
    uint32_t dropped;           /* violations of classes beyond MAX_CLASSES */
};

struct run {
    struct test_ctx *t;
    const struct options *o;
    struct fuzz_env env;
    struct fuzz_rng rng;
    struct tally y;
    struct fz last_refused;     /* the latest refused post to the helper's connection */
    int have_last_refused;
};

static const char *class_name(int c) { return c < MAX_ROWS ? rule_at(c)->name : new_class[c - MAX_ROWS]; }
static int class_reading(int c) { return c < MAX_ROWS && rule_at(c)->kind == READING; }

static struct cls *class_of(struct tally *y, int row, const char *outcome)
{
    for (int i = 0; i < y->n; i++)
        if (y->c[i].row == row && !strcmp(y->c[i].outcome, outcome)) return &y->c[i];
    if (y->n == MAX_CLASSES) return 0;
    struct cls *c = &y->c[y->n++];
    *c = (struct cls){ row, "", 0, 0 };
    fmt_snprintf(c->outcome, sizeof c->outcome, "%s", outcome);
    return c;
}

static void violation(struct run *u, int row, const struct fz *f, const char *outcome, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void violation(struct run *u, int row, const struct fz *f, const char *outcome, const char *fmt, ...)
{
    char what[200], input[480], token[80];
    va_list ap;
    va_start(ap, fmt);
    fmt_vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    struct cls *c = class_of(&u->y, row, outcome);
    if (!c) { u->y.dropped++; return; }
    if (c->count++) return;
    c->first_iter = f->iter;
    fuzz_describe(input, sizeof input, f);
    int reading = class_reading(row);
    kprintf("#   fuzz violation [%s %s]%s: %s; status 0x%04x %s%s; %s; replay: seed=%llu fuzz=%u tests=fuzz.post\n",
            class_name(row), outcome, reading ? " (a reading's row: reported, not failed)" : "", what, f->status,
            hv_status_name(f->status), f->busy ? " (after busy retries)" : "", input,
            (unsigned long long)u->o->seed, f->iter + 1);
    if (reading) return;
    fmt_snprintf(token, sizeof token, "%s:%s", class_name(row), outcome);
    if (u->y.failed++) { observed_add(u->t, token); return; }
    observe(u->t, "%s", token);
    fail(u->t, "fuzz iteration %u: [%s %s] %s; status 0x%04x %s; replay: seed=%llu fuzz=%u tests=fuzz.post", f->iter,
         class_name(row), outcome, what, f->status, hv_status_name(f->status), (unsigned long long)u->o->seed, f->iter + 1);
}

struct call { const struct fz *f; uint64_t result; };

static void do_call(void *arg)
{
    struct call *c = arg;
    c->result = hv_call(c->f->control, c->f->in_gpa, c->f->out_gpa);
}

static void build_input(const struct fz *f)
{
    struct hv_post_message_input *in = (void *)(hv_input_pages + f->offset);
    in->connection_id = f->conn;
    in->rsvdz = f->rsvdz;
    in->message_type = f->type;
    in->payload_size = f->size;
    struct fuzz_rng bytes = { f->fill | 1 };
    for (uint32_t i = 0; i < HV_MESSAGE_PAYLOAD_MAX; i++) {
        uint8_t b = (uint8_t)(fuzz_rand(&bytes) >> 56);
        in->payload[i] = i >= f->size ? CANARY : b == CANARY ? 0 : b;   /* the canary marks bytes beyond n only */
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

/* compares the slot with what f posted; 0 = equal, else a description and
 * in *tok the difference's name */
static int delivered_differs(const struct fz *f, char *why, size_t size, const char **tok)
{
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    const struct hv_post_message_input *in = (const void *)(hv_input_pages + f->offset);
    uint32_t n = f->size < HV_MESSAGE_PAYLOAD_MAX ? f->size : HV_MESSAGE_PAYLOAD_MAX;
    *tok = "delivery=type";
    if (m->header.message_type != f->type)
        return fmt_snprintf(why, size, "delivered type %#x, posted %#x", m->header.message_type, f->type);
    *tok = "delivery=size";
    if (m->header.payload_size != f->size)
        return fmt_snprintf(why, size, "delivered size %u, posted %u", m->header.payload_size, f->size);
    *tok = "delivery=header";
    if ((m->header.message_flags & ~HV_MESSAGE_FLAG_PENDING) || m->header.reserved[0] || m->header.reserved[1])
        return fmt_snprintf(why, size, "delivered header flags %#x reserved %#x %#x", m->header.message_flags,
                            m->header.reserved[0], m->header.reserved[1]);
    *tok = "delivery=payload";
    for (uint32_t i = 0; i < n; i++)
        if (m->payload[i] != in->payload[i])
            return fmt_snprintf(why, size, "delivered payload byte %u is %#x, posted %#x", i, m->payload[i], in->payload[i]);
    *tok = "delivery=beyond_size";
    for (uint32_t i = n; i < HV_MESSAGE_PAYLOAD_MAX; i++)
        if (m->payload[i] == CANARY)
            return fmt_snprintf(why, size, "input byte %u beyond PayloadSize %u reached the slot", i, n);
    return 0;
}

static void set_synic(int state)
{
    uint64_t simp = (uint64_t)(uintptr_t)&hv_simp_page;
    wrmsr(HV_X64_MSR_SCONTROL, state == SYNIC_SCONTROL_OFF ? 0 : HV_SCONTROL_ENABLE);
    wrmsr(HV_X64_MSR_SIMP, state == SYNIC_SIMP_OFF ? simp : simp | HV_SIMP_ENABLE);
}

/* The class of a refused post that nothing explains. */
static int refused_class(const struct fz *f) { return f->varied >= 0 ? f->varied : NEW(N_REFUSED); }

/* 0 = go on, 1 = stop (the guest can't be trusted after a fault) */
static int iterate(struct run *u, struct fz *f, uint32_t iter, uint64_t *calls)
{
    char why[160], got[16];
    const char *tok = "";
    const struct fuzz_env *e = &u->env;
    fuzz_draw(&u->rng, e, f, iter);

    /* invariant 4, late: nothing may have arrived since the last iteration */
    if (e->valid && slot_full()) {
        volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
        if (u->have_last_refused)
            violation(u, u->last_refused.first >= 0 ? u->last_refused.first : NEW(N_AFTER_REFUSAL), &u->last_refused,
                      "delivery=message", "message (type %#x) found before iteration %u, after this refused post", m->header.message_type, iter);
        else
            violation(u, NEW(N_STRAY), f, "delivery=message", "message (type %#x size %u) in the slot before iteration %u",
                      m->header.message_type, m->header.payload_size, iter);
        empty_slot();
    }

    if (!f->outside) build_input(f);
    if (f->synic) set_synic(f->synic);
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
    if (f->synic) set_synic(0);

    if (faulted) {
        fault_describe(why, sizeof why, &flt);
        fmt_snprintf(got, sizeof got, "fault=%s", fault_mnemonic(flt.vector));
        violation(u, NEW(N_FAULT), f, got, "the hypercall raised %s", why);
        return 1;
    }
    uint16_t st = f->status;
    int bad = 1;
    fmt_snprintf(got, sizeof got, "got=0x%04x", st);
    if (st == HV_STATUS_SUCCESS && !fuzz_may_succeed(f))
        violation(u, fuzz_refusing_row(f), f, got, "invalid input accepted");
    else if (st != HV_STATUS_SUCCESS && f->first >= 0 && !fuzz_accepts(f, st))
        violation(u, fuzz_refusing_row(f) >= 0 ? fuzz_refusing_row(f) : f->first, f, got,
                  "refused with a status no broken rule allows%s",
                  fuzz_status_allowed(st) ? "" : " (nor HvCallPostMessage at all)");
    else if (!fuzz_status_allowed(st) && f->first < 0)
        violation(u, NEW(N_STATUS), f, got, "status not among those the TLFS gives HvCallPostMessage");
    else if (st != HV_STATUS_SUCCESS && f->first < 0)
        violation(u, st == HV_STATUS_INSUFFICIENT_BUFFERS ? NEW(N_BUSY) : refused_class(f), f, got,
                  "valid input refused");
    else
        bad = 0;

    if (!fuzz_targets_valid(e, f)) return 0;
    if (st == HV_STATUS_SUCCESS) {
        /* invariant 5; a message of type 0 would look like an empty slot */
        int expect = !f->outside && f->broken[RF_CONTROL] < 0 && f->broken[RF_SYNIC] < 0 && f->type != 0;
        /* an accepted invalid input may deliver too: let it land before the slot is emptied */
        int arrived = f->type != 0 && synic_wait_message(TEST_SINT, expect ? DELIVERY_TIMEOUT_US : FUZZ_LANDING_US);
        if (expect && !arrived) {
            if (!bad) violation(u, NEW(N_DELIVERY), f, "delivery=none", "no message in the slot within %d ms", DELIVERY_TIMEOUT_MS);
        } else if (expect && delivered_differs(f, why, sizeof why, &tok)) {
            if (!bad) violation(u, NEW(N_DELIVERY), f, tok, "%s", why);
        }
        empty_slot();
        u->have_last_refused = 0;
        return 0;
    }
    /* invariant 4: a refused post delivers nothing */
    deadline_t d = deadline_after_us(FUZZ_QUIET_US);
    while (!slot_full() && !deadline_passed(d)) pause();
    if (slot_full()) {
        if (!bad) violation(u, f->first >= 0 ? f->first : NEW(N_AFTER_REFUSAL), f, "delivery=message", "refused post delivered a message (type %#x)",
                            hv_simp_page.slot[TEST_SINT].header.message_type);
        empty_slot();
    } else {
        u->last_refused = *f;
        u->have_last_refused = 1;
    }
    return 0;
}

static void report(struct run *u, uint32_t done, uint32_t n)
{
    uint32_t failing = 0, reading = 0;
    for (int i = 0; i < u->y.n; i++) {
        const struct cls *c = &u->y.c[i];
        int r = class_reading(c->row);
        kprintf("#   fuzz class %s %s: %u (first at iteration %u)%s\n", class_name(c->row), c->outcome, c->count,
                c->first_iter, r ? " reading: reported" : "");
        if (r) reading += c->count; else failing += c->count;
    }
    kprintf("#   fuzz: %u violations in %d classes (%u in rows of kind reading)\n", failing + reading, u->y.n, reading);
    observe(u->t, "fuzz.classes:overflow");
    check(u->t, !u->y.dropped, "%u violations in classes beyond the first %d not classed", u->y.dropped, MAX_CLASSES);
    check(u->t, done == n, "fuzz stopped after %u of %u iterations", done, n);
}

TEST(fuzz, post, NORMATIVE, "TLFS online 'HvCallPostMessage' / 6.0b 11.11 and 6.0b 3.12 Common Hypercall Status Codes: "
     "the statuses the call may return; the rule table's rows (tests/rules_*.c, each with its source) applied to seeded "
     "random inputs: an input breaking a row is refused with a status that row allows, a valid one succeeds and delivers "
     "what was posted (rows of kind reading are reported, not failed)")
{
    static struct run u;
    static struct fz f;
    u = (struct run){ .t = t, .o = runner_options(), .rng = { t->seed } };
    uint32_t n = u.o->fuzz ? u.o->fuzz : FUZZ_DEFAULT;
    if (!check(t, rule_count() <= MAX_ROWS, "the rule table has %d rows, fuzz.post classes %d", rule_count(), MAX_ROWS)) return;
    if (!need_synic(t) || !need_post_privilege(t)) return;
    u.env = (struct fuzz_env){ 0, (uint64_t)(uintptr_t)hv_input_pages, (uint64_t)(uintptr_t)hv_output_page,
                               cpuid(0x80000000u, 0).a >= 0x80000008u ? (cpuid(0x80000008u, 0).a & 0xFF) : 36, u.o->avoid };
    if (helper_absent_reason() || helper_msg_conn_create(0, TEST_SINT, &u.env.valid)) {
        u.env.valid = 0;
        kprintf("#   fuzz: no helper connection (%s): only refused posts are fuzzed, no delivery is checked\n",
                helper_absent_reason() ? helper_absent_reason() : "the helper could not create one");
    } else {
        synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 0, 0);
    }
    kprintf("#   fuzz: %u iterations, seed %llu (test seed %#llx), helper connection %#x, avoid %#x\n", n,
            (unsigned long long)u.o->seed, (unsigned long long)t->seed, u.env.valid, u.env.avoid);

    uint64_t calls = 0, busy = 0, t0 = rdtsc();
    uint32_t done = 0, excluded = 0, valid_inputs = 0, delivered = 0;
    for (uint32_t i = 0; i < n; i++) {
        int stop = iterate(&u, &f, i, &calls);
        done++;
        busy += f.busy;
        excluded += (uint32_t)f.excluded;
        valid_inputs += f.first < 0;
        delivered += f.status == HV_STATUS_SUCCESS && fuzz_targets_valid(&u.env, &f);
        if (stop) break;
    }
    /* the last refused post gets a longer quiet window */
    if (u.env.valid && synic_wait_message(TEST_SINT, 20000)) {
        violation(&u, u.have_last_refused && u.last_refused.first >= 0 ? u.last_refused.first : NEW(N_STRAY),
                  u.have_last_refused ? &u.last_refused : &f, "delivery=message", "message in the slot after the last iteration");
        empty_slot();
    }
    uint64_t ns = time_tsc_to_ns(rdtsc() - t0);
    kprintf("#   fuzz: %u iterations (%u valid inputs, %u accepted posts to the helper connection, %u avoided draws) "
            "in %llu ms: %llu calls/s (%llu hypercalls incl. %llu busy retries)\n",
            done, valid_inputs, delivered, excluded, (unsigned long long)(ns / 1000000),
            (unsigned long long)(ns ? (uint64_t)done * 1000000000ull / ns : 0), (unsigned long long)calls, (unsigned long long)busy);
    report(&u, done, n);
}
