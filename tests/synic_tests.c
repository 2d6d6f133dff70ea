/* synic.*: one end-to-end delivery through the host helper, and the SynIC
 * MSRs' own rules (EOM, SINTx vectors). */
#include "hvtest.h"
#include "../hv/synic.h"
#include "../kernel/apic.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"

/* The message lands in the SIMP slot of the connection's SINT and the SINT
 * interrupt fires; EOM frees the slot. */
TEST_ROW(synic, deliver_one)
{
    uint32_t conn;
    if (!need_msg_conn(t, TEST_SINT, &conn)) return;
    post_input(0, conn, TEST_TYPE, 16);
    uint32_t before = sint_records[TEST_SINT].count;
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "post 16 bytes")) return;
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "no message in SINT%d's slot within %d ms", TEST_SINT,
               DELIVERY_TIMEOUT_MS)) return;
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    check(t, m->header.message_type == TEST_TYPE, "slot type %#x, want %#x", m->header.message_type, TEST_TYPE);
    check(t, m->header.payload_size == 16, "slot size %u, want 16", m->header.payload_size);
    check(t, synic_wait_irq(TEST_SINT, before, DELIVERY_TIMEOUT_US), "no SINT%d interrupt (vector %#x) within %d ms", TEST_SINT,
          SINT_VECTOR(TEST_SINT), DELIVERY_TIMEOUT_MS);
    synic_clear_slot(TEST_SINT);
    synic_eom();
}

static void read_eom(void *arg) { *(uint64_t *)arg = rdmsr(HV_X64_MSR_EOM); }

TEST_ROW(synic, eom_read)
{
    if (!need_synic(t)) return;
    struct fault f;
    uint64_t v = 0xDEAD;
    int faulted = fault_catch(read_eom, &v, &f);
    check(t, !faulted && v == 0, "rdmsr HV_X64_MSR_EOM: got %s%s%#llx, want 0", faulted ? fault_mnemonic(f.vector) : "value ",
          faulted ? " instead of " : "", (unsigned long long)v);
}

/* Nothing queued: the EOM write must change nothing (no message, no
 * interrupt on the unmasked SINTs). */
TEST_ROW(synic, eom_empty)
{
    if (!need_synic(t)) return;
    for (int s = 0; s < HV_SINT_COUNT; s++) synic_sint_set(s, SINT_VECTOR(s), 0, 0);
    synic_eom();
    uint32_t irqs = 0;
    int arrived = -1;
    synic_wait_irq(TEST_SINT, 0, 20000);
    for (int s = 0; s < HV_SINT_COUNT; s++) {
        irqs += sint_records[s].count;
        if (arrived < 0 && hv_simp_page.slot[s].header.message_type != HV_MESSAGE_TYPE_NONE) arrived = s;
    }
    check(t, arrived < 0, "a message appeared in SINT%d's slot after an EOM with nothing queued", arrived);
    check(t, irqs == 0, "%u SINT interrupts after an EOM with nothing queued", irqs);
}

static void set_sint_15(void *arg) { (void)arg; wrmsr(HV_X64_MSR_SINT0 + TEST_SINT, 15); }

TEST_ROW(synic, sint_vector_low)
{
    if (!need_synic(t)) return;
    uint64_t before = rdmsr(HV_X64_MSR_SINT0 + TEST_SINT);
    struct fault f;
    int faulted = fault_catch(set_sint_15, 0, &f);
    uint64_t after = rdmsr(HV_X64_MSR_SINT0 + TEST_SINT);
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    check(t, faulted && f.vector == VEC_GP, "SINT%d = vector 15, unmasked: got %s, want #GP", TEST_SINT,
          faulted ? fault_mnemonic(f.vector) : "no fault");
    check(t, !faulted || after == before, "SINT%d changed to %#llx although the write faulted", TEST_SINT, (unsigned long long)after);
}
