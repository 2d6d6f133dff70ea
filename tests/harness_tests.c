/* harness.*: the harness checks itself. Faults armed on purpose must come
 * back with the right vector, error code and CR2; an unarmed fault must fail
 * only its own test. */
#include "../harness/test.h"
#include "../kernel/cpu.h"
#include "../kernel/fault.h"
#include "../kernel/paging.h"
#include "../kernel/smp.h"
#include "hvtest.h"
#include "../hv/helper.h"
#include "../hv/synic.h"
#include "../kernel/time.h"
#include "../kernel/user.h"

/* Fails on purpose: run it by name (tests=harness.unexpected_fault,harness.*)
 * and the next test must still run and pass. */
TEST_F(harness, unexpected_fault, TEST_EXPLICIT, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): an unarmed fault fails only its own test (fails on purpose)")
{
    check(t, 1, "reached the fault");
    __asm__ volatile("ud2");
}

/* Kills the VM on purpose (empty IDT, then int3: #GP -> #DF -> triple
 * fault), to prove the runner reports "VM died during" and resumes. */
TEST_F(harness, triple_fault, TEST_EXPLICIT, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): a triple fault ends the VM and the runner reports the death (kills the VM on purpose)")
{
    check(t, 1, "about to triple-fault");
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) none = { 0, 0 };
    __asm__ volatile("lidt %0\n\tint3" :: "m"(none));
}

static void do_ud2(void *arg) { (void)arg; __asm__ volatile("ud2"); }

TEST(harness, ud_caught, NORMATIVE, "Intel SDM Vol. 2 UD2: 'Generates an invalid opcode exception'; the harness returns it as #UD")
{
    struct fault f;
    int faulted = fault_catch(do_ud2, 0, &f);
    check(t, faulted, "ud2 did not fault");
    check(t, f.vector == VEC_UD, "got vector %d (%s), want 6 (#UD)", f.vector, fault_mnemonic(f.vector));
}

/* An unimplemented MSR index: rdmsr must #GP(0) (Intel SDM, RDMSR). */
#define BOGUS_MSR 0xDEADBEEFu
static void do_bad_rdmsr(void *arg) { *(uint64_t *)arg = rdmsr(BOGUS_MSR); }

TEST(harness, gp_caught, NORMATIVE, "Intel SDM Vol. 2 RDMSR: 'Specifying a reserved or unimplemented MSR address in ECX will also cause a general protection exception' (#GP(0))")
{
    struct fault f;
    uint64_t v = 0;
    int faulted = fault_catch(do_bad_rdmsr, &v, &f);
    observe(t, "fault=none");
    check(t, faulted, "rdmsr %#x did not fault (read %#llx)", BOGUS_MSR, (unsigned long long)v);
    observe(t, "fault=%s", faulted ? fault_mnemonic(f.vector) : "none");
    check(t, f.vector == VEC_GP && f.error_code == 0, "got %s[%04x], want #GP[0000]", fault_mnemonic(f.vector), f.error_code);
}

/* A selector beyond the GDT limit: #GP with the selector as error code,
 * which proves the harness returns the error code, not just the vector. */
#define BAD_SELECTOR 0x78
static void do_bad_selector(void *arg)
{
    (void)arg;
    __asm__ volatile("mov %0, %%ax\n\tmov %%ax, %%fs" :: "i"(BAD_SELECTOR) : "rax");
}

TEST(harness, gp_error_code, NORMATIVE, "Intel SDM Vol. 3 6.15 #GP: a segment selector beyond the descriptor table limit gives #GP with the selector as error code")
{
    struct fault f;
    int faulted = fault_catch(do_bad_selector, 0, &f);
    check(t, faulted, "loading selector %#x did not fault", BAD_SELECTOR);
    check(t, f.vector == VEC_GP && f.error_code == BAD_SELECTOR,
          "got %s[%04x], want #GP[%04x]", fault_mnemonic(f.vector), f.error_code, BAD_SELECTOR);
}

static void do_read_unmapped(void *arg)
{
    *(volatile uint64_t *)arg = *(volatile uint64_t *)PAGING_UNMAPPED_ADDR;
}

TEST(harness, pf_caught, NORMATIVE, "Intel SDM Vol. 3 4.7: a not-present supervisor read gives #PF with error code 0 and CR2 the address")
{
    struct fault f;
    uint64_t v;
    int faulted = fault_catch(do_read_unmapped, &v, &f);
    check(t, faulted, "reading %#llx did not fault", PAGING_UNMAPPED_ADDR);
    check(t, f.vector == VEC_PF, "got %s, want #PF", fault_mnemonic(f.vector));
    check(t, f.cr2 == PAGING_UNMAPPED_ADDR, "got cr2 %#llx, want %#llx", (unsigned long long)f.cr2, PAGING_UNMAPPED_ADDR);
    /* not-present, read, supervisor: error code 0 */
    check(t, f.error_code == 0, "got #PF error code %#x, want 0 (not-present supervisor read)", f.error_code);
}

static void inner_faults(void *arg)
{
    struct fault *inner = arg;
    fault_catch(do_ud2, 0, inner);
    /* still armed by the outer context: this one must go there */
    do_read_unmapped(&(uint64_t){ 0 });
}

TEST(harness, nested_catch, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): nested fault contexts: an inner one catches its fault, the outer one the next")
{
    struct fault outer, inner;
    int faulted = fault_catch(inner_faults, &inner, &outer);
    check(t, faulted, "outer context saw no fault");
    check(t, inner.vector == VEC_UD, "inner: got %s, want #UD", fault_mnemonic(inner.vector));
    check(t, outer.vector == VEC_PF, "outer: got %s, want #PF", fault_mnemonic(outer.vector));
}

static void no_fault(void *arg) { *(int *)arg = 42; }

TEST(harness, no_fault, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): a function that does not fault returns normally through fault_catch")
{
    struct fault f;
    int v = 0;
    int faulted = fault_catch(no_fault, &v, &f);
    check(t, !faulted, "a function that does not fault reported %s", fault_mnemonic(f.vector));
    check(t, v == 42 && f.vector == FAULT_NONE, "got value %d vector %d, want 42 and none", v, f.vector);
}

static void user_store(void *arg) { *(volatile int *)arg = 7; }
static void user_cli(void *arg) { (void)arg; __asm__ volatile("cli"); }

TEST(harness, user_mode, NORMATIVE, "Intel SDM Vol. 2 CLI: at CPL3 with IOPL 0 (and no VME/PVI) CLI raises #GP(0); the harness runs code at CPL3")
{
    struct fault f;
    volatile int v = 0;
    int faulted = user_call(user_store, (void *)&v, &f);
    check(t, !faulted, "CPL3 store faulted: %s[%04x]", fault_mnemonic(f.vector), f.error_code);
    check(t, v == 7, "CPL3 function did not run (value %d, want 7)", v);
    faulted = user_call(user_cli, 0, &f);
    check(t, faulted, "cli at CPL3 with IOPL 0 did not fault");
    check(t, f.vector == VEC_GP && f.error_code == 0 && f.from_user,
          "cli at CPL3: got %s[%04x] from_user=%d, want #GP[0000] from CPL3", fault_mnemonic(f.vector), f.error_code, f.from_user);
}

TEST(harness, time, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): the TSC frequency is plausible and bounded delays take about as long as asked")
{
    uint64_t hz = time_tsc_hz();
    check(t, hz >= 100000000ull && hz <= 10000000000ull, "TSC frequency %llu Hz is implausible", (unsigned long long)hz);
    deadline_t d = deadline_after_us(20000);
    check(t, !deadline_passed(d), "a 20 ms deadline passed at once");
    /* Never shorter than asked, every time; not far longer at least once in
     * three: a vCPU the host deschedules overshoots any delay, and a nested
     * guest on a busy host is descheduled for hundreds of milliseconds. */
    uint64_t best = ~0ull;
    for (int i = 0; i < 3 && best >= 200000000; i++) {
        uint64_t t0 = rdtsc();
        delay_us(2000);
        uint64_t ns = time_tsc_to_ns(rdtsc() - t0);
        if (!check(t, ns >= 2000000, "delay_us(2000) took %llu ns, less than asked", (unsigned long long)ns)) return;
        if (ns < best) best = ns;
    }
    check(t, best < 200000000, "delay_us(2000) took %llu ns at best in three tries", (unsigned long long)best);
}


static void ap_count(void *arg) { __atomic_add_fetch((volatile int *)arg, 1, __ATOMIC_SEQ_CST); }

/* An idle AP halts with interrupts off and only an NMI wakes it
 * (kernel/smp.c): a lost wake-up would show as a run that never finishes. */
TEST(harness, ap_wake, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): an idle AP, halted with interrupts off, is woken by the harness for each piece of work: 100 runs in a row on every AP finish")
{
    if (smp_cpus() < 2) { skip(t, "one CPU running: needs a second VP (run-qemu.sh --config smp2; APs start only on Hyper-V)"); return; }
    for (int cpu = 1; cpu < smp_cpus(); cpu++) {
        volatile int n = 0;
        for (int i = 0; i < 100; i++) {
            if (!check(t, smp_run_on(cpu, ap_count, (void *)&n, 2000000, 0) == 0,
                       "CPU %d: run %d did not finish within 2 s (%d finished)", cpu, i + 1, n)) return;
        }
        check(t, n == 100, "CPU %d: the function ran %d times for 100 runs", cpu, n);
    }
}

/* QEMU's hyperv-testdev crashes if a connection is destroyed while it holds
 * one of its messages and the guest then writes EOM; the harness flushes a
 * connection before tearing it down (hv/testdev_flush.h). This is that
 * sequence on purpose: the VM must survive it. */
TEST(harness, helper_teardown, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): a helper connection torn down while the host holds one of its messages (posted behind a full slot, the slot emptied without EOM) leaves nothing behind: the next EOM is harmless")
{
    uint32_t id;
    if (!need_msg_conn(t, TEST_SINT, &id)) return;
    leaves_messages(t);                 /* the held message, delivered by the teardown's flush */
    volatile struct hv_message *m = &hv_simp_page.slot[TEST_SINT];
    post_input(0, id, TEST_TYPE, 16);
    if (!expect_status(t, post_at(0), HV_STATUS_SUCCESS, "the first post")) return;
    if (!check(t, synic_wait_message(TEST_SINT, DELIVERY_TIMEOUT_US), "the first message not in the slot within %d ms",
               DELIVERY_TIMEOUT_MS)) return;
    post_at(0);                         /* held behind the full slot (any status will do) */
    delay_us(20000);
    m->header.message_type = HV_MESSAGE_TYPE_NONE;    /* emptied, no EOM */
    check(t, helper_msg_conn_destroy(id) == 0, "the helper did not destroy connection %#x", id);
    synic_eom();
    delay_us(100000);                   /* a host that crashes does it here */
    synic_drain();
}

/* Fails on purpose: run it by name (tests=harness.late_message,...). A
 * message the test never looks at, as a hypervisor that refused a post but
 * queued it anyway would leave: the end-of-test drain must fail the test
 * (harness/suite.h suite_strays), and the next test must not see it. */
TEST_F(harness, late_message, TEST_EXPLICIT, NORMATIVE, "harness self-check (not a TLFS rule; must hold for any verdict to count): a message found after a test that expected none fails that test (fails on purpose)")
{
    uint32_t id;
    if (!need_msg_conn(t, TEST_SINT, &id)) return;
    synic_sint_set(TEST_SINT, SINT_VECTOR(TEST_SINT), 1, 0);
    post_input(0, id, TEST_TYPE, 8);
    expect_status(t, post_at(0), HV_STATUS_SUCCESS, "a post the test then ignores");
}
