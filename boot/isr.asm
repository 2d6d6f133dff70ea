; Interrupt entry stubs for all 256 vectors and the fault-recovery context
; switch. Every stub builds the same frame (struct irq_frame in
; kernel/idt.h) and calls isr_dispatch(frame); the C side decides whether a
; fault resumes a test's recovery point, fails the test or bails out.

bits 64
default rel

extern isr_dispatch
global isr_stub_table

; vectors that push an error code themselves
%define HAS_ERR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

section .text

%macro STUB 1
isr_stub_%1:
%if HAS_ERR(%1)
%else
    push 0
%endif
    push %1
    jmp isr_common
%endmacro

%assign v 0
%rep 256
STUB v
%assign v v+1
%endrep

isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    ; align the stack for C whatever the interrupted code had
    mov rbx, rsp
    and rsp, -16
    call isr_dispatch
    mov rsp, rbx
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16                 ; vector, error code
    iretq

section .rodata
align 8
isr_stub_table:
%assign v 0
%rep 256
    dq isr_stub_ %+ v
%assign v v+1
%endrep

; ---------------------------------------------------------------------------
; int fault_try_asm(struct fault_ctx *ctx, void (*fn)(void *), void *arg)
; Saves the callee-saved state in ctx, calls fn(arg) and returns 0. If a
; fault arrives meanwhile, fault_resume(ctx) restores that state and makes
; this call return 1 instead (a setjmp/longjmp across the exception).
section .text
global fault_try_asm
global fault_resume
fault_try_asm:
    mov [rdi + 0], rbx
    mov [rdi + 8], rbp
    mov [rdi + 16], r12
    mov [rdi + 24], r13
    mov [rdi + 32], r14
    mov [rdi + 40], r15
    lea rax, [rsp + 8]          ; rsp after our return
    mov [rdi + 48], rax
    mov rax, [rsp]
    mov [rdi + 56], rax         ; return address
    pushfq
    pop rax
    mov [rdi + 64], rax
    push rdi                    ; keep ctx; also re-aligns the stack to 16
    mov rax, rsi
    mov rdi, rdx
    call rax
    pop rdi
    xor eax, eax
    ret

; void fault_resume(struct fault_ctx *ctx) — never returns
fault_resume:
    mov ax, 0x10                ; SEL_KDATA: a fault from CPL3 left SS null
    mov ss, ax
    mov ds, ax
    mov es, ax
    mov rbx, [rdi + 0]
    mov rbp, [rdi + 8]
    mov r12, [rdi + 16]
    mov r13, [rdi + 24]
    mov r14, [rdi + 32]
    mov r15, [rdi + 40]
    mov rsp, [rdi + 48]
    push qword [rdi + 64]
    popfq
    mov eax, 1
    jmp [rdi + 56]
