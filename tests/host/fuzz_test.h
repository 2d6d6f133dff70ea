/* tests/rules*.c and tests/fuzz_oracle.c: the table is well formed, the
 * draws are deterministic (replay depends on it) and honour avoid=, and the
 * oracle names the row an input breaks. */
#include "../fuzz_oracle.h"
#include "../../harness/cmdline.h"
#include "../../hv/tlfs.h"

static const struct fuzz_env FENV = { 0x10, 0x200000, 0x203000, 39, 0 };

static const char *row_name(int i) { return i >= 0 ? rule_at(i)->name : "(none)"; }

/* a valid input to the valid connection, then one change */
static struct fz fz_valid(void)
{
    struct fz f = { .conn = 0x10, .type = 0x4856, .size = 8, .control = HVCALL_POST_MESSAGE,
                    .in_gpa = FENV.input_base + 0x100, .offset = 0x100 };
    fuzz_classify(&FENV, &f);
    return f;
}
#define BROKEN(f, field) row_name((f).broken[field])

static uint64_t draws_hash(const struct fuzz_env *e, uint64_t seed, int n)
{
    struct fuzz_rng r = { seed };
    struct fz f;
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < n; i++) {
        fuzz_draw(&r, e, &f, (uint32_t)i);
        uint64_t v[] = { f.conn, f.rsvdz, f.type, f.size, f.control, f.in_gpa, f.out_gpa, f.fill, (uint64_t)f.synic,
                         (uint64_t)(f.first + 1) };
        for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) h = (h ^ v[k]) * 0x100000001b3ull;
    }
    return h;
}

static void test_rules_table(void)
{
    CHECK(rule_count() > 60);
    for (int i = 0; i < rule_count(); i++) {
        const struct rule *r = rule_at(i);
        CHECK(rule_find(r->name) == r);                             /* names unique */
        CHECK(strncmp(r->name, "post.", 5) == 0 || strncmp(r->name, "abi.", 4) == 0 || strncmp(r->name, "deliver.", 8) == 0 ||
              strncmp(r->name, "synic.", 6) == 0 || strncmp(r->name, "smp.", 4) == 0);
        CHECK(r->what && r->what[0] && r->source && strlen(r->source) > 40);
        if (r->kind == READING) CHECK(strncmp(r->source, "reading: ", 9) == 0);
        else CHECK(strncmp(r->source, "TLFS ", 5) == 0);
        if (r->field != RF_OWN) CHECK(r->ok || r->fault);
        if (r->field == RF_SIZE || r->field == RF_TYPE || r->field == RF_CONTROL || r->field == RF_INPUT_GPA ||
            r->field == RF_INPUT_SPAN || r->field == RF_RSVDZ || r->field == RF_SYNIC || r->field == RF_CONN_ID)
            CHECK(rule_holds(r, r->value));                         /* the test's value is in the row's class */
    }
    CHECK(rule_find("post.nonexistent") == NULL);
    CHECK(rule_at(rule_count()) == NULL);
}

static void test_fuzz(void)
{
    test_rules_table();

    /* determinism: the same seed and environment give the same draws */
    uint64_t h = draws_hash(&FENV, 42, 2000);
    CHECK(h == draws_hash(&FENV, 42, 2000));
    CHECK(h != draws_hash(&FENV, 43, 2000));
    CHECK_UINT(h, 0x96a671cc14a20723ull);     /* changes when the draws or their first broken row change: replays of older seeds then differ */

    /* avoid= keys: never drawn when avoided, drawn otherwise */
    struct fuzz_env avoid = FENV;
    avoid.avoid = AVOID_PAYLOAD_240 | AVOID_SCONTROL_OFF | AVOID_SIMP_OFF;
    int n240[2] = { 0 }, synic[2] = { 0 }, excluded = 0;
    for (int a = 0; a < 2; a++) {
        struct fuzz_rng r = { 7 };
        struct fz f;
        for (int i = 0; i < 20000; i++) {
            fuzz_draw(&r, a ? &avoid : &FENV, &f, (uint32_t)i);
            n240[a] += f.size == 240 && fuzz_targets_valid(&FENV, &f);
            synic[a] += f.synic != 0;
            excluded += f.excluded;
        }
    }
    CHECK(n240[0] > 0 && synic[0] > 0);
    CHECK_INT(n240[1], 0);
    CHECK_INT(synic[1], 0);
    CHECK(excluded > 0);

    /* the oracle */
    struct fz f = fz_valid();
    CHECK_INT(f.first, -1);
    CHECK_INT(f.varied, -1);
    f.size = 256; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_SIZE), "post.payload_256");
    CHECK_STR(row_name(f.first), "post.payload_256");
    CHECK(fuzz_accepts(&f, HV_STATUS_INVALID_PARAMETER));
    CHECK(!fuzz_accepts(&f, HV_STATUS_SUCCESS) && !fuzz_accepts(&f, HV_STATUS_INVALID_HYPERCALL_INPUT));
    f.size = 300; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_SIZE), "post.payload_241");
    f.size = 0xFFFFFFFFu; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_SIZE), "post.payload_max");
    f.size = 240; fuzz_classify(&FENV, &f); CHECK_INT(f.first, -1); CHECK_STR(row_name(f.varied), "post.payload_240");
    f = fz_valid(); f.type = 0x80000010u; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_TYPE), "post.type_hypervisor_range");
    f.type = 0x80000000u; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_TYPE), "post.type_msb");
    f.type = 0x80001234u; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_TYPE), "post.type_msb");
    f.type = 0xFFFFFFFFu; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_TYPE), "post.type_all_ones");
    f.type = 0; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_TYPE), "post.type_zero");
    f = fz_valid(); f.control |= HV_HC_FAST; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_CONTROL), "abi.fast");
    CHECK(fuzz_accepts(&f, HV_STATUS_INVALID_HYPERCALL_INPUT) && !fuzz_accepts(&f, HV_STATUS_INVALID_HYPERCALL_CODE));
    f.control = HVCALL_POST_MESSAGE | (5ull << HV_HC_REP_COUNT_SHIFT); fuzz_classify(&FENV, &f);
    CHECK_STR(BROKEN(f, RF_CONTROL), "abi.rep_count");
    f.control = HVCALL_POST_MESSAGE | (1ull << HV_HC_VARHEAD_SHIFT); fuzz_classify(&FENV, &f);
    CHECK_STR(BROKEN(f, RF_CONTROL), "abi.varhead");
    /* misaligned and across the page: both rows; the control word comes first */
    f = fz_valid(); f.in_gpa = FENV.input_base + 0xFF9; f.size = 300; fuzz_classify(&FENV, &f);
    CHECK_STR(BROKEN(f, RF_INPUT_GPA), "abi.align_1");
    CHECK_STR(BROKEN(f, RF_INPUT_SPAN), "abi.cross_page");
    CHECK_STR(row_name(f.first), "abi.align_1");
    f.control |= HV_HC_RSVD_60_63; fuzz_classify(&FENV, &f); CHECK_STR(row_name(f.first), "abi.rsvd_60_63");
    f = fz_valid(); f.in_gpa = FENV.input_base + 0x1004; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_INPUT_GPA), "abi.align_4");
    CHECK_INT(f.broken[RF_INPUT_SPAN], -1);
    /* outside the GPA space: the fields there aren't the input */
    f = fz_valid(); f.outside = 1; f.size = 300; f.type = 0; fuzz_classify(&FENV, &f);
    CHECK_STR(row_name(f.first), "abi.gpa_outside");
    CHECK_INT(f.broken[RF_SIZE], -1);
    CHECK_INT(f.broken[RF_TYPE], -1);
    /* connection ids */
    f = fz_valid(); f.conn = 0; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_CONN_ID), "post.conn_zero");
    f.conn = 0x123456; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_CONN_ID), "post.conn_unknown");
    f.conn = 0x05000010; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_CONN_RSVD), "post.conn_reserved_bits");
    CHECK_INT(f.broken[RF_CONN_ID], -1);
    CHECK(fuzz_accepts(&f, HV_STATUS_INVALID_CONNECTION_ID) && !fuzz_accepts(&f, HV_STATUS_INVALID_ALIGNMENT));
    CHECK(fuzz_may_succeed(&f));        /* a reserved field: refused or ignored */
    f = fz_valid(); f.rsvdz = 5; fuzz_classify(&FENV, &f); CHECK_STR(row_name(f.first), "post.rsvdz_nonzero");
    CHECK(fuzz_may_succeed(&f) && fuzz_accepts(&f, HV_STATUS_INVALID_PARAMETER));
    f.type = 0; fuzz_classify(&FENV, &f); CHECK(!fuzz_may_succeed(&f));
    CHECK_STR(row_name(f.first), "post.rsvdz_nonzero");             /* first broken, in field order */
    CHECK_STR(row_name(fuzz_refusing_row(&f)), "post.type_zero");   /* but an acceptance is type_zero's */
    /* valid variations: refused, they are the valid row's */
    f = fz_valid(); f.out_gpa = 0x1234; fuzz_classify(&FENV, &f); CHECK_STR(row_name(f.varied), "abi.output_ignored");
    f.out_gpa = FENV.output_page; fuzz_classify(&FENV, &f); CHECK_INT(f.varied, -1);
    /* the target SynIC counts for the helper's connection only */
    f = fz_valid(); f.synic = SYNIC_SIMP_OFF; fuzz_classify(&FENV, &f); CHECK_STR(BROKEN(f, RF_SYNIC), "post.simp_disabled");
    f.conn = 0x123456; fuzz_classify(&FENV, &f); CHECK_INT(f.broken[RF_SYNIC], -1);

    CHECK(fuzz_status_allowed(HV_STATUS_INVALID_ALIGNMENT) && !fuzz_status_allowed(HV_STATUS_ACCESS_DENIED) &&
          !fuzz_status_allowed(HV_STATUS_INVALID_HYPERCALL_CODE));
    char text[600];
    f = fz_valid(); f.size = 256; fuzz_classify(&FENV, &f);
    fuzz_describe(text, sizeof text, &f);
    CHECK(strstr(text, "size 256") && strstr(text, "breaks: post.payload_256"));
}
