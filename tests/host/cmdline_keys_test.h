/* harness/cmdline.c: the fuzz=, bench, bench_iters=, helper=, console= and avoid= keys. */
#include "../../harness/cmdline.h"

static void test_cmdline_keys(void)
{
    /* absent: 0 means "the default" */
    PARSE_OK("list");
    CHECK_UINT(opt.fuzz, 0);
    CHECK_INT(opt.bench, 0);
    CHECK_UINT(opt.bench_iters, 0);

    /* require= */
    PARSE_OK("require=hyperv,synic,post,helper,vmbus,vps=2");
    CHECK_UINT(opt.require, REQUIRE_HYPERV | REQUIRE_SYNIC | REQUIRE_POST | REQUIRE_HELPER | REQUIRE_VMBUS);
    CHECK_INT(opt.require_vps, 2);
    PARSE_OK("require=nopost,nosynic,hypercall");
    CHECK_UINT(opt.require, REQUIRE_NOPOST | REQUIRE_NOSYNIC | REQUIRE_HYPERCALL);
    CHECK_INT(opt.require_vps, 0);
    PARSE_BAD("require=", "require=");
    PARSE_BAD("require=testdev", "unknown item 'testdev'");
    PARSE_BAD("require=vps=0", "vps=");
    PARSE_BAD("require=vps=x", "vps=");
    PARSE_BAD("require=post,nopost", "opposite");
    PARSE_BAD("require=hyperv require=synic", "given twice");

    /* avoid= */
    CHECK_UINT(opt.avoid, 0);
    PARSE_OK("avoid=payload_240");
    CHECK_UINT(opt.avoid, AVOID_PAYLOAD_240);
    PARSE_OK("avoid=simp_off,payload_240,scontrol_off");
    CHECK_UINT(opt.avoid, AVOID_PAYLOAD_240 | AVOID_SCONTROL_OFF | AVOID_SIMP_OFF);
    PARSE_OK("avoid=conn_missing_vp");
    CHECK_UINT(opt.avoid, AVOID_CONN_MISSING_VP);
    PARSE_OK("avoid=simp_off avoid=payload_240");   /* keys add up */
    CHECK_UINT(opt.avoid, AVOID_PAYLOAD_240 | AVOID_SIMP_OFF);
    PARSE_BAD("avoid=", "avoid=");
    PARSE_BAD("avoid", "avoid=");
    PARSE_BAD("avoid=payload_241", "payload_241");
    PARSE_BAD("avoid=simp_off,", "''");
    PARSE_BAD("avoid=PAYLOAD_240", "PAYLOAD_240");

    /* fuzz= */
    PARSE_OK("fuzz=1");
    CHECK_UINT(opt.fuzz, 1);
    CHECK_INT(opt.bench, 0);
    PARSE_OK("fuzz=10000 seed=7 tests=fuzz.post");
    CHECK_UINT(opt.fuzz, 10000);
    CHECK_UINT(opt.seed, 7);
    CHECK_STR(opt.tests[0], "fuzz.post");
    PARSE_OK("fuzz=0x10");
    CHECK_UINT(opt.fuzz, 16);
    PARSE_OK("fuzz=10000000");
    CHECK_UINT(opt.fuzz, OPT_MAX_FUZZ);
    PARSE_BAD("fuzz=5 fuzz=6", "'fuzz' given twice");
    PARSE_BAD("bench bench_iters=2 bench_iters=2", "'bench_iters' given twice");
    PARSE_BAD("after=a.b after=a.b", "'after' given twice");
    PARSE_BAD("until=a.b until=a.b", "'until' given twice");
    PARSE_BAD("until=a.b after=a.a until=a.c", "'until' given twice");
    PARSE_BAD("fuzz=10000001", "10000001");
    PARSE_BAD("fuzz=0", "fuzz=");
    PARSE_BAD("fuzz=", "fuzz=");
    PARSE_BAD("fuzz", "fuzz=");
    PARSE_BAD("fuzz=-1", "-1");
    PARSE_BAD("fuzz=1k", "1k");
    PARSE_BAD("fuzz=4294967297", "4294967297");     /* would wrap a uint32_t to 1 */
    PARSE_BAD("fuzz=18446744073709551616", "18446744073709551616");

    /* bench */
    PARSE_OK("bench");
    CHECK_INT(opt.bench, 1);
    CHECK_UINT(opt.bench_iters, 0);
    CHECK_INT(opt.list, 0);
    CHECK_INT(opt.verbose, 0);
    PARSE_OK("bench verbose");
    CHECK_INT(opt.bench, 1);
    CHECK_INT(opt.verbose, 1);
    PARSE_BAD("bench=1", "bench=1");
    PARSE_BAD("bench=", "bench");
    PARSE_BAD("benchmark", "'benchmark'");

    /* bench_iters= */
    PARSE_OK("bench bench_iters=2000");
    CHECK_INT(opt.bench, 1);
    CHECK_UINT(opt.bench_iters, 2000);
    PARSE_OK("bench_iters=1");
    CHECK_UINT(opt.bench_iters, 1);
    CHECK_INT(opt.bench, 0);            /* the count alone doesn't select bench mode */
    PARSE_OK("bench_iters=65536");
    CHECK_UINT(opt.bench_iters, OPT_MAX_BENCH_ITERS);
    PARSE_BAD("bench_iters=65537", "65537");
    PARSE_BAD("bench_iters=0", "bench_iters=");
    PARSE_BAD("bench_iters=", "bench_iters=");
    PARSE_BAD("bench_iters", "bench_iters=");
    PARSE_BAD("bench_iters=abc", "abc");

    /* a later parse resets the new fields too */
    PARSE_OK("bench fuzz=9 bench_iters=3");
    PARSE_OK("verbose");
    CHECK_UINT(opt.fuzz, 0);
    CHECK_INT(opt.bench, 0);
    CHECK_UINT(opt.bench_iters, 0);

    /* helper= */
    PARSE_OK("list");
    CHECK_INT(opt.helper, OPT_HELPER_AUTO);
    PARSE_OK("helper=auto");
    CHECK_INT(opt.helper, OPT_HELPER_AUTO);
    PARSE_OK("helper=testdev tests=deliver.*");
    CHECK_INT(opt.helper, OPT_HELPER_TESTDEV);
    CHECK_STR(opt.tests[0], "deliver.*");
    PARSE_OK("helper=none");
    CHECK_INT(opt.helper, OPT_HELPER_NONE);
    PARSE_BAD("helper=none helper=testdev", "given twice");   /* a repeated key is an error */
    PARSE_OK("verbose");                        /* a later parse resets it */
    CHECK_INT(opt.helper, OPT_HELPER_AUTO);
    PARSE_BAD("helper", "helper=");
    PARSE_BAD("helper=", "auto, testdev or none");
    PARSE_BAD("helper=kvm", "'kvm'");
    PARSE_BAD("helper=Testdev", "Testdev");
    PARSE_BAD("helper=none,testdev", "none,testdev");

    /* console= */
    PARSE_OK("list");
    CHECK_INT(opt.console, OPT_CONSOLE_COM1);
    PARSE_OK("console=virtio tests=post.*");
    CHECK_INT(opt.console, OPT_CONSOLE_VIRTIO);
    PARSE_OK("console=com1");
    CHECK_INT(opt.console, OPT_CONSOLE_COM1);
    PARSE_BAD("console=virtio console=com1", "'console' given twice");
    PARSE_BAD("console", "com1 or virtio");
    PARSE_BAD("console=", "com1 or virtio");
    PARSE_BAD("console=ttyS0", "'ttyS0'");
    PARSE_BAD("console=VIRTIO", "'VIRTIO'");
}
