; Application-processor start-up code, assembled flat for address 0x8000
; (SIPI vector 0x08) and copied there by kernel/smp.c, which fills in the
; parameter block. Real mode -> protected mode -> long mode on the kernel's
; page tables, then ap_entry(cpu_index) on the stack the BSP chose.

bits 16
org 0x8000

start:
    cli
    jmp 0:real16

align 8
params:
p_cr3:        dq 0          ; kernel page tables (below 4 GiB)
p_entry:      dq 0          ; void ap_entry(int index)
p_stacks:     dq 0          ; base of the AP stacks
p_stack_size: dq 0
p_count:      dd 0          ; APs that arrived (atomic)
              dd 0

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF   ; 0x08 code32
    dq 0x00CF92000000FFFF   ; 0x10 data
    dq 0x00AF9A000000FFFF   ; 0x18 code64
gdt_end:
gdt_ptr:
    dw gdt_end - gdt - 1
    dd gdt

real16:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    lgdt [gdt_ptr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    jmp 0x08:pm32

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5              ; PAE
    mov cr4, eax
    mov eax, [p_cr3]
    mov cr3, eax
    mov ecx, 0xC0000080         ; EFER.LME
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax
    jmp 0x18:lm64

bits 64
lm64:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, 1
    lock xadd [p_count], eax    ; eax = 0-based arrival order
    inc eax                     ; cpu index: the BSP is 0
    mov edi, eax
    mov rsp, [p_stacks]
    mov rcx, [p_stack_size]
    imul rcx, rdi
    add rsp, rcx                ; top of stack `index` (stack 0 unused)
    and rsp, -16
    mov rax, [p_entry]
    call rax
.hang:
    cli
    hlt
    jmp .hang
