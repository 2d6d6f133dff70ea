/* hv/testdev_pool.c's bookkeeping against a fake device: each pool_dev_*
 * call appends a token to a log, the flush answers what the test says, and
 * the checks compare the log (which connections the device was asked to
 * make and destroy, which flushed, where the host was waited for). */
#include "../../hv/testdev_pool.h"

static char pool_log[512];
static int pool_vps = 1;
static enum flush_result pool_answer[256];      /* by id: what a flush finds */

static void pool_put(const char *tok)
{
    size_t n = strlen(pool_log);
    snprintf(pool_log + n, sizeof pool_log - n, "%s%s", n ? " " : "", tok);
}

void pool_dev_ctl(int cmd, int vp, int sint, uint32_t id)
{
    char t[24];
    if (cmd == MSG_CONN_CREATE || cmd == EVT_CONN_CREATE)
        snprintf(t, sizeof t, "%c%x@%d.%d", cmd == MSG_CONN_CREATE ? 'M' : 'E', id, vp, sint);
    else
        snprintf(t, sizeof t, "%c%x", cmd == MSG_CONN_DESTROY ? 'd' : 'e', id);
    pool_put(t);
}

enum flush_result pool_dev_flush(uint32_t id, int sint)
{
    char t[24];
    (void)sint;
    snprintf(t, sizeof t, "f%x", id);
    pool_put(t);
    return pool_answer[id & 0xFF];
}

void pool_dev_sync(void) { pool_put("s"); }

void pool_dev_release(int sint)
{
    char t[8];
    snprintf(t, sizeof t, "r%d", sint);
    pool_put(t);
}

int pool_dev_vps(void) { return pool_vps; }

static void pool_start(int vps)
{
    pool_clear();
    pool_vps = vps;
    pool_log[0] = '\0';
    for (int i = 0; i < 256; i++) pool_answer[i] = FLUSH_DONE;
}

/* the log since the last call, then cleared */
static const char *pool_took(void)
{
    static char copy[sizeof pool_log];
    memcpy(copy, pool_log, sizeof copy);
    pool_log[0] = '\0';
    return copy;
}

/* one test ending and the next starting, as harness/suite.c runs them */
static void pool_between_tests(void)
{
    pool_quiesce();
    pool_reset();
}

static void test_pool(void)
{
    uint32_t a, b, c;

    /* a flushed VP 0 message connection is kept idle and handed to the next test */
    pool_start(1);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 2, &a, 0), 0);
    CHECK_STR(pool_took(), "M10@0.2");
    pool_between_tests();
    CHECK_STR(pool_took(), "f10");
    CHECK_INT(pool_count(), 1);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 2, &b, 0), 0);
    CHECK_INT(b, a);
    CHECK_STR(pool_took(), "");

    /* one whose flush was not proven goes, and so do event connections and other VPs' */
    pool_start(2);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 3, &a, 0), 0);
    CHECK_INT(pool_create(EVT_CONN_CREATE, 0, 4, &b, 0), 0);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 1, 2, &c, 0), 0);
    pool_answer[a] = FLUSH_UNPROVEN;
    pool_took();
    pool_between_tests();
    CHECK_STR(pool_took(), "f10 d10 e11 d12");
    CHECK_INT(pool_count(), 0);

    /* a VP that does not run is refused unless asked for; SINTs are 0-15 */
    pool_start(1);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 1, 2, &a, 0), -1);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 16, &a, 0), -1);
    CHECK_STR(pool_took(), "");
    CHECK_INT(pool_create(MSG_CONN_CREATE, 1, 2, &a, 1), 0);
    CHECK_STR(pool_took(), "M10@1.2");

    /* two to one SINT: neither kept (a destroyed route stays in KVM's table
     * until a route is added: the other would be stale) */
    pool_start(1);
    pool_create(MSG_CONN_CREATE, 0, 5, &a, 0);
    pool_create(MSG_CONN_CREATE, 0, 5, &b, 0);
    pool_took();
    pool_between_tests();
    CHECK_STR(pool_took(), "f10 f11 d11 d10");
    CHECK_INT(pool_count(), 0);

    /* a route destroyed mid-test stays in KVM's table until one is added:
     * a new connection to that SINT commits it, and is kept */
    pool_start(1);
    pool_create(MSG_CONN_CREATE, 0, 2, &a, 0);
    pool_destroy(a, 0);
    pool_create(MSG_CONN_CREATE, 0, 2, &b, 0);
    pool_took();
    pool_between_tests();
    CHECK_STR(pool_took(), "f11");
    CHECK_INT(pool_count(), 1);

    /* an idle one of the other kind to the asked SINT goes before the new one */
    pool_start(1);
    pool_create(MSG_CONN_CREATE, 0, 6, &a, 0);
    pool_between_tests();
    pool_took();
    CHECK_INT(pool_create(EVT_CONN_CREATE, 0, 6, &b, 0), 0);
    CHECK_STR(pool_took(), "d10 E11@0.6");

    /* destroy flushes and waits for the host first; break does neither */
    pool_start(1);
    pool_create(MSG_CONN_CREATE, 0, 2, &a, 0);
    pool_create(MSG_CONN_CREATE, 0, 3, &b, 0);
    pool_took();
    CHECK_INT(pool_destroy(a, 1), 0);
    CHECK_STR(pool_took(), "f10 s d10");
    CHECK_INT(pool_destroy(b, 0), 0);
    CHECK_STR(pool_took(), "d11");
    CHECK_INT(pool_destroy(0x99, 1), -1);
    CHECK_STR(pool_took(), "");

    /* a flush held up by a second route to its SINT: the other goes after
     * the host caught up, a spare SINT's route commits KVM's table, the held
     * message is released and the flush tried again */
    pool_start(1);
    pool_create(MSG_CONN_CREATE, 0, 7, &a, 0);
    pool_create(MSG_CONN_CREATE, 0, 7, &b, 0);
    pool_answer[a] = FLUSH_UNPROVEN;
    pool_took();
    pool_quiesce();
    CHECK_STR(pool_took(), "f10 f11 s d11 M12@0.15 d12 r7 f10");
    pool_reset();
    CHECK_STR(pool_took(), "d10");
    CHECK_INT(pool_count(), 0);

    /* a full table: idle ones make room; with none idle the create fails */
    pool_start(1);
    for (int i = 0; i < POOL_MAX_CONNS; i++) CHECK_INT(pool_create(MSG_CONN_CREATE, 0, i % 15, &a, 0), 0);
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 1, &a, 0), -1);
    pool_took();

    /* ids run out: nothing kept near the end, and they start again only with none alive */
    pool_start(1);
    for (int i = 0; i < 0xE1; i++) {
        CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 2, &a, 0) == 0 && pool_destroy(a, 0) == 0, 1);
    }
    pool_create(MSG_CONN_CREATE, 0, 2, &a, 0);
    CHECK_INT(a, 0xF1);
    pool_took();
    pool_between_tests();
    CHECK_STR(pool_took(), "ff1 df1");
    CHECK_INT(pool_create(MSG_CONN_CREATE, 0, 2, &a, 0), 0);
    CHECK_INT(a, POOL_FIRST_ID);
}
