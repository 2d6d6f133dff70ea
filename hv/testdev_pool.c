/* The connection table and pool (hv/testdev_pool.h). */
#include "testdev_pool.h"

/* kind: MSG_CONN_CREATE or EVT_CONN_CREATE. busy: the running test's; else
 * idle in the pool (below). gone: destroyed already, by unblock() (below). */
struct conn { uint32_t id; int kind, vp, sint, busy, gone; };
static struct conn conns[POOL_MAX_CONNS];
static int nconns;
static uint32_t next_id = POOL_FIRST_ID;

static void drop(const struct conn *c);

/* VP 0's SINTs whose route was removed with none added since. QEMU removes
 * a route from its table only and hands KVM the table when it adds one
 * (accel/kvm: kvm_irqchip_release_virq does not commit, the next
 * kvm_irqchip_add_hv_sint_route does): until then KVM acknowledges the
 * dead route, and a connection kept beside it to that SINT would lose its
 * EOI redelivery. */
static uint16_t stale;

/* The idle one in the pool (pool_reset) for this VP and SINT, or -1. */
static int idle(int vp, int sint)
{
    for (int i = 0; i < nconns; i++)
        if (!conns[i].busy && conns[i].vp == vp && conns[i].sint == sint) return i;
    return -1;
}

/* The pool's connection to this SINT, else a new one. Before a new one, an
 * idle one to the same SINT goes (its marker completed before this test:
 * pool_reset), and so does any idle one when the table is full. Why not two: KVM sends a
 * SINT's EOI acknowledgement to one of its routes only (the highest GSI:
 * arch/x86/kvm/hyperv.c kvm_hv_irq_routing_update), so an idle route there
 * would take the redelivery of the test's queued message. */
int pool_create(int cmd, int vp, int sint, uint32_t *id, int any_vp)
{
    /* only VPs that run, unless asked: the device aborts QEMU for a missing one */
    if (vp < 0 || vp > 0xFF || (!any_vp && vp >= pool_dev_vps()) || sint < 0 || sint > 15) return -1;
    int i = idle(vp, sint);
    if (i >= 0 && conns[i].kind == cmd) {
        conns[i].busy = 1;
        *id = conns[i].id;
        return 0;
    }
    if (i >= 0) { drop(&conns[i]); conns[i] = conns[--nconns]; }
    for (i = 0; i < nconns && nconns == POOL_MAX_CONNS; i++)
        if (!conns[i].busy) { drop(&conns[i]); conns[i] = conns[--nconns]; }
    if (nconns == POOL_MAX_CONNS || next_id > 0xFD) return -1;
    *id = next_id++;
    pool_dev_ctl(cmd, vp, sint, *id);
    stale = 0;                  /* the new route committed the table */
    conns[nconns++] = (struct conn){ *id, cmd, vp, sint, 1, 0 };
    return 0;
}

/* A message connection goes only once the device holds none of its
 * messages (hv/testdev_flush.h: the device would use it after freeing it).
 * Shown for VP 0's connections; the others' SIM pages are their VPs'.
 * flush() is testdev_flush()'s answer, FLUSH_NOT_POSTED for the others; a
 * marker that went out needs pool_dev_sync() before drop(). */
static enum flush_result flush(const struct conn *c)
{
    if (c->kind != MSG_CONN_CREATE || c->vp != 0) return FLUSH_NOT_POSTED;
    return pool_dev_flush(c->id, c->sint);
}

static void drop(const struct conn *c)
{
    pool_dev_ctl(c->kind == MSG_CONN_CREATE ? MSG_CONN_DESTROY : EVT_CONN_DESTROY, 0, 0, c->id);
    if (c->vp == 0) stale |= 1u << c->sint;
}

static void destroy(const struct conn *c)
{
    if (flush(c) != FLUSH_NOT_POSTED) pool_dev_sync();
    drop(c);
}

int pool_destroy(uint32_t id, int flush_first)
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

/* pool_quiesce's answers for pool_reset: flush() per connection. */
static enum flush_result flushed[POOL_MAX_CONNS];
static int quiesced;

/* A SINT's route that isn't the one KVM acknowledges never hears of an EOM
 * or EOI: KVM keeps one GSI per SINT (arch/x86/kvm/hyperv.c
 * kvm_hv_irq_routing_update -> sint_to_gsi) and kvm_hv_notify_acked_sint
 * signals that one only. So a connection whose SINT has a second one can
 * hold a message its flush never gets out (deliver.eom_all_ports), and
 * destroying it then would crash QEMU. The others to that SINT go (their
 * flushes came back), and a connection made and destroyed on POOL_SPARE_SINT
 * hands KVM QEMU's route table without them (QEMU commits routes only when
 * it adds one), so the acknowledgement reaches the held message's route.
 * 1 when the flush may be tried again. */
static int unblock(int i)
{
    const struct conn *c = &conns[i];
    int others = 0;
    for (int k = 0; k < nconns; k++)
        if (k != i && !conns[k].gone && conns[k].vp == c->vp && conns[k].sint == c->sint) {
            if (flushed[k] == FLUSH_UNPROVEN || c->sint == POOL_SPARE_SINT) return 0;
            others++;
        }
    if (!others || next_id > 0xFD) return 0;
    pool_dev_sync();                        /* their markers' completions first, as before any drop */
    for (int k = 0; k < nconns; k++)
        if (k != i && !conns[k].gone && conns[k].vp == c->vp && conns[k].sint == c->sint) {
            drop(&conns[k]);
            conns[k].gone = 1;
        }
    uint32_t spare = next_id++;
    pool_dev_ctl(MSG_CONN_CREATE, 0, POOL_SPARE_SINT, spare);
    pool_dev_ctl(MSG_CONN_DESTROY, 0, 0, spare);
    stale = 1u << POOL_SPARE_SINT;               /* the create committed; the destroy did not */
    /* acknowledged now, the held message lands; the flush takes it */
    pool_dev_release(c->sint);
    return 1;
}

void pool_quiesce(void)
{
    for (int i = 0; i < nconns; i++)
        flushed[i] = conns[i].busy ? flush(&conns[i]) : FLUSH_DONE;  /* an idle one was not posted to: nothing held */
    for (int i = 0; i < nconns; i++)
        if (flushed[i] == FLUSH_UNPROVEN && !conns[i].gone && unblock(i)) flushed[i] = flush(&conns[i]);
    quiesced = 1;
}

/* The pool: a VP 0 message connection whose marker came back with nothing
 * behind it is kept, idle, for the next test that asks for the same SINT,
 * instead of being destroyed and made again: each destroy and create
 * rewrites KVM's interrupt routes (kvm_irqchip_commit_routes, the most
 * costly step between tests). Kept is as clean as new: its marker round
 * trip shows the device holds nothing of it, and the marker's completion
 * has run (below) before any test posts to it, as before a destroy. A
 * test sees only the connections it asked for: ids stay unique (the
 * tests' unknown ids are 0x100 and up), and the others are idle.
 * Not kept: event connections, other VPs', any that did not flush, and any
 * on a SINT with a stale route (above), where the test had two. */
void pool_reset(void)
{
    int keep[POOL_MAX_CONNS];
    if (!quiesced) {
        pool_quiesce();
        pool_dev_sync();
    }
    quiesced = 0;
    for (int i = 0; i < nconns; i++) {
        const struct conn *c = &conns[i];
        /* ids run out at 0xFD: start again from POOL_FIRST_ID with none alive, so
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
    if (!nconns && next_id > 0xF0) next_id = POOL_FIRST_ID;
}

void pool_clear(void)
{
    nconns = 0;
    next_id = POOL_FIRST_ID;
    stale = 0;
    quiesced = 0;
}

int pool_count(void) { return nconns; }
