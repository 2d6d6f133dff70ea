/* QEMU's hyperv-testdev (hw/hyperv/hyperv_testdev.c): one 32-bit write to
 * port 0x3000 = conn_id << 24 | command << 16 | vp << 8 | sint. Connection
 * ids are 8 bits. The device asserts (aborting QEMU) on a duplicate id, on
 * destroying an unknown id, and when the SINT route can't be made (a VP that
 * doesn't exist), so this file keeps its own table and never asks for those
 * unless a test says so (helper_msg_conn_create_any). */
#include "helper.h"
#include "detect.h"
#include "testdev_flush.h"
#include "synic.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"
#include "../kernel/smp.h"
#include "../kernel/string.h"

#define TESTDEV_PORT 0x3000
enum { MSG_CONN_CREATE = 4, MSG_CONN_DESTROY = 5, EVT_CONN_CREATE = 6, EVT_CONN_DESTROY = 7 };
#define FIRST_ID 0x10
#define MAX_CONNS 32

/* kind: MSG_CONN_CREATE or EVT_CONN_CREATE. busy: the running test's; else
 * idle in the pool (below). gone: destroyed already, by unblock() (below). */
struct conn { uint32_t id; int kind, vp, sint, busy, gone; };
static struct conn conns[MAX_CONNS];
static int nconns;
static uint32_t next_id = FIRST_ID;
static int present;

static void ctl(int cmd, int vp, int sint, uint32_t id)
{
    outl(TESTDEV_PORT, (id << 24) | ((uint32_t)cmd << 16) | ((uint32_t)vp << 8) | (uint32_t)sint);
}

static const char *not_probed;

/* Port 0x3000 is only read where the device can be: a hypervisor that says
 * it is KVM (QEMU's device needs KVM's SynIC), or when the user asks. On an
 * unknown machine (real Hyper-V) the port is never touched. */
void helper_detect(enum helper_probe mode)
{
    present = 0;
    not_probed = 0;
    if (!hv_has_synic()) return;
    if (mode == HELPER_PROBE_NEVER) {
        not_probed = "no host-side helper (helper=none: I/O port 0x3000 not probed)";
        return;
    }
    if (mode == HELPER_PROBE_AUTO && strcmp(hv.impl, "KVMKVMKVM") != 0) {
        not_probed = "no host-side helper: the hypervisor does not identify as KVM (no \"KVMKVMKVM\" at CPUID "
                     "0x40000100), so QEMU's hyperv-testdev port 0x3000 is not probed (helper=testdev probes it)";
        return;
    }
    /* the device reads as 0; an empty ISA port reads as all ones */
    present = inl(TESTDEV_PORT) == 0;
}

const char *helper_name(void) { return present ? "QEMU hyperv-testdev (port 0x3000)" : 0; }

const char *helper_absent_reason(void)
{
    if (present) return 0;
    if (!hv_has_synic()) return "no SynIC (CPUID 0x40000003 EAX bit 2 AccessSynicRegs clear), so no host helper can deliver messages";
    if (not_probed) return not_probed;
    return "no host-side helper to create a message connection (QEMU: -device hyperv-testdev)";
}

static void drop(const struct conn *c);

/* VP 0's SINTs whose route was removed with none added since. QEMU removes
 * a route from its table only, and hands KVM the table when it adds one
 * (accel/kvm kvm_irqchip_release_virq: no commit; seen: a connection kept
 * beside a destroyed one to its SINT lost its EOI redelivery, because KVM
 * still acknowledged the dead route). */
static uint16_t stale;

/* The idle one in the pool (helper_reset) for this VP and SINT, or -1. */
static int idle(int vp, int sint)
{
    for (int i = 0; i < nconns; i++)
        if (!conns[i].busy && conns[i].vp == vp && conns[i].sint == sint) return i;
    return -1;
}

/* The pool's connection to this SINT, else a new one. Before a new one, an
 * idle one to the same SINT goes (its marker completed before this test:
 * helper_reset), and
 * so does any idle one when the table is full. Why not two: KVM sends a
 * SINT's EOI acknowledgement to one of its routes only (the highest GSI:
 * arch/x86/kvm/hyperv.c kvm_hv_irq_routing_update), so an idle route there
 * would take the redelivery of the test's queued message. */
static int create(int cmd, int vp, int sint, uint32_t *id, int any_vp)
{
    if (!present) return -1;
    /* only VPs that run, unless asked: the device aborts QEMU for a missing one */
    if (vp < 0 || vp > 0xFF || (!any_vp && vp >= smp_cpus()) || sint < 0 || sint > 15) return -1;
    int i = idle(vp, sint);
    if (i >= 0 && conns[i].kind == cmd) {
        conns[i].busy = 1;
        *id = conns[i].id;
        return 0;
    }
    if (i >= 0) { drop(&conns[i]); conns[i] = conns[--nconns]; }
    for (i = 0; i < nconns && nconns == MAX_CONNS; i++)
        if (!conns[i].busy) { drop(&conns[i]); conns[i] = conns[--nconns]; }
    if (nconns == MAX_CONNS || next_id > 0xFD) return -1;
    *id = next_id++;
    ctl(cmd, vp, sint, *id);
    stale = 0;                  /* the new route committed the table */
    conns[nconns++] = (struct conn){ *id, cmd, vp, sint, 1, 0 };
    return 0;
}

int helper_msg_conn_create(int vp, int sint, uint32_t *id) { return create(MSG_CONN_CREATE, vp, sint, id, 0); }
int helper_evt_conn_create(int vp, int sint, uint32_t *id) { return create(EVT_CONN_CREATE, vp, sint, id, 0); }
int helper_msg_conn_create_any(int vp, int sint, uint32_t *id) { return create(MSG_CONN_CREATE, vp, sint, id, 1); }

/* A message connection goes only once the device holds none of its
 * messages (hv/testdev_flush.h: the device would use it after freeing it).
 * Shown for VP 0's connections; the others' SIM pages are their VPs'.
 * flush() is testdev_flush()'s answer, FLUSH_NOT_POSTED for the others; a
 * marker that went out needs console_sync_host() before drop(). */
static enum flush_result flush(const struct conn *c)
{
    if (c->kind != MSG_CONN_CREATE || c->vp != 0) return FLUSH_NOT_POSTED;
    return testdev_flush(c->id, c->sint);
}

static void drop(const struct conn *c)
{
    ctl(c->kind == MSG_CONN_CREATE ? MSG_CONN_DESTROY : EVT_CONN_DESTROY, 0, 0, c->id);
    if (c->vp == 0) stale |= 1u << c->sint;
}

static void destroy(const struct conn *c)
{
    if (flush(c) != FLUSH_NOT_POSTED) console_sync_host();
    drop(c);
}

static int destroy_id(uint32_t id, int flush_first)
{
    for (int i = 0; i < nconns; i++) {
        if (conns[i].id != id || conns[i].kind != MSG_CONN_CREATE) continue;
        if (flush_first) destroy(&conns[i]);
        else drop(&conns[i]);
        conns[i] = conns[--nconns];
        return 0;
    }
    return -1;
}

int helper_msg_conn_destroy(uint32_t id) { return destroy_id(id, 1); }
int helper_msg_conn_break(uint32_t id) { return destroy_id(id, 0); }

/* 24-bit, far above the 8-bit ids the test device can use */
uint32_t helper_unused_conn_id(void) { return 0x00ABCDEF; }

/* helper_quiesce's answers for helper_reset: flush() per connection. */
static enum flush_result flushed[MAX_CONNS];
static int quiesced;

/* A SINT's route that isn't the one KVM acknowledges never hears of an EOM
 * or EOI: KVM keeps one GSI per SINT (arch/x86/kvm/hyperv.c
 * kvm_hv_irq_routing_update -> sint_to_gsi) and kvm_hv_notify_acked_sint
 * signals that one only. So a connection whose SINT has a second one can
 * hold a message its flush never gets out (deliver.eom_all_ports), and
 * destroying it then would crash QEMU. The others to that SINT go (their
 * flushes came back), and a connection made and destroyed on SPARE_SINT
 * hands KVM QEMU's route table without them (QEMU commits routes only when
 * it adds one), so the acknowledgement reaches the held message's route.
 * 1 when the flush may be tried again. */
#define SPARE_SINT 15
static int unblock(int i)
{
    const struct conn *c = &conns[i];
    int others = 0;
    for (int k = 0; k < nconns; k++)
        if (k != i && !conns[k].gone && conns[k].vp == c->vp && conns[k].sint == c->sint) {
            if (flushed[k] == FLUSH_UNPROVEN || c->sint == SPARE_SINT) return 0;
            others++;
        }
    if (!others || next_id > 0xFD) return 0;
    console_sync_host();                    /* their markers' completions first, as before any drop */
    for (int k = 0; k < nconns; k++)
        if (k != i && !conns[k].gone && conns[k].vp == c->vp && conns[k].sint == c->sint) {
            drop(&conns[k]);
            conns[k].gone = 1;
        }
    uint32_t spare = next_id++;
    ctl(MSG_CONN_CREATE, 0, SPARE_SINT, spare);
    ctl(MSG_CONN_DESTROY, 0, 0, spare);
    stale = 1u << SPARE_SINT;               /* the create committed; the destroy did not */
    /* acknowledged now, the held message lands, the SINT masked so it
     * raises no interrupt a later test would count; the flush takes it */
    uint64_t cfg = rdmsr(HV_X64_MSR_SINT0 + (uint32_t)c->sint);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)c->sint, cfg | HV_SINT_MASKED);
    synic_eom();
    synic_wait_message(c->sint, 200000);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)c->sint, cfg);
    return 1;
}

void helper_quiesce(void)
{
    for (int i = 0; i < nconns; i++)
        flushed[i] = conns[i].busy ? flush(&conns[i]) : FLUSH_DONE;  /* an idle one was not posted to: nothing held */
    for (int i = 0; i < nconns; i++)
        if (flushed[i] == FLUSH_UNPROVEN && !conns[i].gone && unblock(i)) flushed[i] = flush(&conns[i]);
    quiesced = 1;
}

/* The pool: a VP 0 message connection whose marker came back with nothing
 * behind it is kept, idle, for the next test that asks for the same SINT,
 * instead of being destroyed and made again. Each destroy and create
 * rewrites KVM's interrupt routes (~12 ms + ~10 ms in a nested L2: a third
 * of the time between tests). Kept is as clean as new: its marker round
 * trip shows the device holds nothing of it, and the marker's completion
 * has run (below) before any test posts to it, as before a destroy. A
 * test sees only the connections it asked for: ids stay unique (the
 * tests' unknown ids are 0x100 and up), and the others are idle.
 * Not kept: event connections, other VPs', any that did not flush, and any
 * on a SINT with a stale route (above), where the test had two. */
void helper_reset(void)
{
    int keep[MAX_CONNS];
    if (!quiesced) {
        helper_quiesce();
        console_sync_host();
    }
    quiesced = 0;
    for (int i = 0; i < nconns; i++) {
        const struct conn *c = &conns[i];
        /* ids run out at 0xFD: start again from FIRST_ID with none alive, so
         * a message still queued in QEMU for an old id can't land in a new one */
        keep[i] = !c->gone && flushed[i] == FLUSH_DONE && c->kind == MSG_CONN_CREATE && c->vp == 0 && next_id <= 0xF0;
        for (int k = 0; k < i; k++) keep[i] &= conns[k].gone || conns[k].vp != c->vp || conns[k].sint != c->sint;
    }
    for (int i = 0; i < nconns; i++)
        if (!keep[i] && !conns[i].gone) drop(&conns[i]);
    int n = 0;
    for (int i = 0; i < nconns; i++) {
        if (!keep[i]) continue;
        if (stale & (1u << conns[i].sint)) {
            drop(&conns[i]);
        } else {
            conns[n] = conns[i];
            conns[n++].busy = 0;
        }
    }
    nconns = n;
    if (!nconns && next_id > 0xF0) next_id = FIRST_ID;
}
