/* QEMU's hyperv-testdev (hw/hyperv/hyperv_testdev.c): one 32-bit write to
 * port 0x3000 = conn_id << 24 | command << 16 | vp << 8 | sint. Connection
 * ids are 8 bits. The device asserts (aborting QEMU) on a duplicate id, on
 * destroying an unknown id, and when the SINT route can't be made (a VP that
 * doesn't exist), so hv/testdev_pool.c keeps the table of connections and
 * none of those is asked for unless a test says so
 * (helper_msg_conn_create_any). This file is the device's side: its port,
 * and what the table asks of it and of the guest (pool_dev_*). */
#include "helper.h"
#include "detect.h"
#include "testdev_flush.h"
#include "testdev_pool.h"
#include "synic.h"
#include "../kernel/console.h"
#include "../kernel/cpu.h"
#include "../kernel/smp.h"
#include "../kernel/string.h"

#define TESTDEV_PORT 0x3000
static int present;

void pool_dev_ctl(int cmd, int vp, int sint, uint32_t id)
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
    pool_clear();
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

enum flush_result pool_dev_flush(uint32_t id, int sint) { return testdev_flush(id, sint); }
void pool_dev_sync(void) { console_sync_host(); }
int pool_dev_vps(void) { return smp_cpus(); }

/* The SINT masked, so the message that lands raises no interrupt a later
 * test would count. */
void pool_dev_release(int sint)
{
    uint64_t cfg = rdmsr(HV_X64_MSR_SINT0 + (uint32_t)sint);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, cfg | HV_SINT_MASKED);
    synic_eom();
    synic_wait_message(sint, 200000);
    wrmsr(HV_X64_MSR_SINT0 + (uint32_t)sint, cfg);
}

int helper_msg_conn_create(int vp, int sint, uint32_t *id)
{
    return present ? pool_create(MSG_CONN_CREATE, vp, sint, id, 0) : -1;
}
int helper_evt_conn_create(int vp, int sint, uint32_t *id)
{
    return present ? pool_create(EVT_CONN_CREATE, vp, sint, id, 0) : -1;
}
int helper_msg_conn_create_any(int vp, int sint, uint32_t *id)
{
    return present ? pool_create(MSG_CONN_CREATE, vp, sint, id, 1) : -1;
}
int helper_msg_conn_destroy(uint32_t id) { return pool_destroy(id, 1); }
int helper_msg_conn_break(uint32_t id) { return pool_destroy(id, 0); }

/* 24-bit, far above the 8-bit ids the test device can use */
uint32_t helper_unused_conn_id(void) { return 0x00ABCDEF; }

void helper_quiesce(void) { pool_quiesce(); }
void helper_reset(void) { pool_reset(); }
