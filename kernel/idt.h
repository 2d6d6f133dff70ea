/* Interrupt descriptor table: all 256 vectors go through boot/isr.asm to
 * isr_dispatch(). Vectors 0-31 are faults (kernel/fault.c decides what they
 * mean); others call a registered handler, or are counted as unexpected. */
#ifndef KERNEL_IDT_H
#define KERNEL_IDT_H
#include <stdint.h>

struct irq_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;      /* pushed by the CPU */
};

typedef void (*irq_handler_t)(struct irq_frame *f);

void idt_init(void);
/* Load the (shared) IDT on this CPU. */
void idt_load(void);
void idt_set_handler(int vector, irq_handler_t h);
/* Allow `int n` from CPL3 (for the user-mode trampoline's return path). */
void idt_set_user_gate(int vector);

/* Interrupts on vectors >= 32 with no handler: count and last vector. */
extern volatile uint64_t irq_unexpected_count;
extern volatile int irq_unexpected_last;

#endif
