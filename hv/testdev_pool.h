/* The table of QEMU hyperv-testdev connections (hv/helper_testdev.c is the
 * device's side): which exist, which test owns them, which an ended test
 * left idle for the next (the pool), and what must go before a test starts.
 * Pure bookkeeping: what it asks of the device and the guest goes through
 * the pool_dev_* functions below, so the host unit tests run it against a
 * fake (tests/host/pool_test.h). */
#ifndef HV_TESTDEV_POOL_H
#define HV_TESTDEV_POOL_H
#include <stdint.h>
#include "testdev_flush.h"

/* The device's commands (hw/hyperv/hyperv_testdev.c hv_test_dev_control). */
enum { MSG_CONN_CREATE = 4, MSG_CONN_DESTROY = 5, EVT_CONN_CREATE = 6, EVT_CONN_DESTROY = 7 };
#define POOL_FIRST_ID 0x10
#define POOL_MAX_CONNS 32
#define POOL_SPARE_SINT 15

/* Forget every connection (the table only: a device just found has none). */
void pool_clear(void);
/* kind MSG_CONN_CREATE or EVT_CONN_CREATE: 0 and the id, or -1 (a VP that
 * does not run unless any_vp, no room, no ids left). */
int pool_create(int kind, int vp, int sint, uint32_t *id, int any_vp);
/* A message connection by id, flushed first or not: 0, or -1 if unknown. */
int pool_destroy(uint32_t id, int flush_first);
/* When a test ends: flush its connections. */
void pool_quiesce(void);
/* Before the next test, the host caught up (pool_dev_sync): keep or drop. */
void pool_reset(void);
/* How many connections the table holds (idle ones included). */
int pool_count(void);

/* What the pool asks for, from hv/helper_testdev.c (a fake in the host tests). */
void pool_dev_ctl(int cmd, int vp, int sint, uint32_t id);     /* one device command */
enum flush_result pool_dev_flush(uint32_t id, int sint);       /* testdev_flush() */
void pool_dev_sync(void);                                      /* console_sync_host() */
/* EOM with `sint` of VP 0 masked, and wait for its slot to fill */
void pool_dev_release(int sint);
int pool_dev_vps(void);                                        /* VPs running */

#endif
