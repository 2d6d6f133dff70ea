/* Host-side helpers behind one interface: a test asks for "a message
 * connection to SINT s of VP v" and gets a connection id, whoever provides
 * it. Today: QEMU's hyperv-testdev (I/O port 0x3000); VMBus's connection 1, which
 * real Hyper-V also has, is in hv/vmbus.h. A test's connections are its own
 * until helper_reset(), which the suite calls before every test (it may keep
 * one, idle and flushed, for a later test asking for the same VP and SINT). */
#ifndef HV_HELPER_H
#define HV_HELPER_H
#include <stdint.h>

/* When the helper's I/O port may be probed (the harness's helper= argument):
 * auto = where the hypervisor says it is KVM, always, or never. */
enum helper_probe { HELPER_PROBE_AUTO = 0, HELPER_PROBE_ALWAYS, HELPER_PROBE_NEVER };
void helper_detect(enum helper_probe mode);
/* "QEMU hyperv-testdev (port 0x3000)" or NULL. */
const char *helper_name(void);
/* The reason tests that need a connection SKIP, or NULL when one exists. */
const char *helper_absent_reason(void);

/* 0 and the id on success, -1 when the helper can't (no helper, no ids). */
int helper_msg_conn_create(int vp, int sint, uint32_t *conn_id);
int helper_evt_conn_create(int vp, int sint, uint32_t *conn_id);
/* As helper_msg_conn_create, for any VP index, one the partition doesn't
 * have included: what the helper does then is the host's (QEMU's testdev
 * dies; see post.vp_index_missing). */
int helper_msg_conn_create_any(int vp, int sint, uint32_t *conn_id);
/* Delete one message connection now (its port goes away). */
int helper_msg_conn_destroy(uint32_t conn_id);
/* Break one message connection now, as it stands: messages of it the host
 * still holds are not delivered first (helper_msg_conn_destroy's are).
 * What the host then does with them is the test's question (QEMU's testdev
 * dies: deliver.conn_broken). */
int helper_msg_conn_break(uint32_t conn_id);
/* An id no connection uses. */
uint32_t helper_unused_conn_id(void);
/* Flush the running test's connections (the suite calls it when a test
 * ends, before its result line goes out); helper_reset() before the next
 * test keeps or drops them, and flushes itself when no helper_quiesce()
 * came first. Its caller makes sure the host's event loop has run what the
 * flush and the EOMs since set going (console_sync_host(), kernel/console.h)
 * before helper_reset() drops or reuses a connection. */
void helper_quiesce(void);
void helper_reset(void);

#endif
