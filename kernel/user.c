#include "user.h"
#include "gdt.h"
#include "idt.h"
#include <stdint.h>

static uint8_t user_stack[16384] __attribute__((aligned(16)));

struct user_target { void (*fn)(void *); void *arg; };

void user_return_stub(void);
__asm__(".text\n.global user_return_stub\nuser_return_stub:\n"
        "  int $0x81\n"
        "  ud2\n");

static void on_user_return(struct irq_frame *f)
{
    (void)f;
    fault_return_normally();
}

void user_init(void)
{
    idt_set_user_gate(USER_RETURN_VECTOR);
    idt_set_handler(USER_RETURN_VECTOR, on_user_return);
}

/* Runs inside fault_catch: drop to CPL3 with iretq. */
static void enter_user(void *arg)
{
    struct user_target *u = arg;
    uint64_t *sp = (uint64_t *)(user_stack + sizeof user_stack);
    *--sp = 0;                               /* keeps the ABI's alignment */
    *--sp = (uint64_t)user_return_stub;      /* fn's return address */
    __asm__ volatile(
        "pushq %[ss]\n"
        "pushq %[sp]\n"
        "pushq $0x2\n"                       /* RFLAGS: IF=0, IOPL=0 */
        "pushq %[cs]\n"
        "pushq %[ip]\n"
        "iretq\n"
        :: [ss] "i"(SEL_UDATA), [sp] "r"(sp), [cs] "i"(SEL_UCODE), [ip] "r"(u->fn), "D"(u->arg)
        : "memory");
    __builtin_unreachable();
}

int user_call(void (*fn)(void *), void *arg, struct fault *f)
{
    struct user_target u = { fn, arg };
    return fault_catch(enter_user, &u, f);
}
