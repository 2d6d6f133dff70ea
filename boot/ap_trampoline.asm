; Application-processor start-up code, assembled flat at offset 0 and copied
; by kernel/smp.c to a free page below 1 MiB taken from the boot memory map
; (kernel/lowmem.h); the SIPI vector is that page's number, so the AP starts
; here with CS = page >> 4, IP = 0. Position-independent: real mode works
; CS-relative, and the three absolute values (the GDT's base and the two
; far-jump targets) are stored as offsets that smp.c turns into addresses by
; adding the page's base before the SIPI. Real mode -> protected mode ->
; long mode on the kernel's page tables, then ap_entry(cpu_index) on the
; stack the BSP chose.

bits 16
org 0

start:
    cli
    jmp short real16

align 8
params:                     ; +8, kernel/smp.c's struct params
p_cr3:        dq 0          ; kernel page tables (below 4 GiB)
p_entry:      dq 0          ; void ap_entry(int index)
p_stacks:     dq 0          ; base of the AP stacks
p_stack_size: dq 0
p_count:      dd 0          ; APs that arrived (atomic)
              dd 0
p_pm32:       dd pm32       ; far pointer (offset += page base)
              dw 0x08, 0
p_lm64:       dd lm64       ; far pointer (offset += page base)
              dw 0x18, 0
gdt_ptr:      dw gdt_end - gdt - 1
              dd gdt        ; += page base
              dw 0

align 8
gdt:
    dq 0
    dq 0x00CF9A000000FFFF   ; 0x08 code32
    dq 0x00CF92000000FFFF   ; 0x10 data
    dq 0x00AF9A000000FFFF   ; 0x18 code64
gdt_end:

real16:
    mov ax, cs
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor ebx, ebx
    mov bx, ax
    shl ebx, 4                  ; ebx = the page's linear base
    lgdt [gdt_ptr]
    mov eax, cr0
    or eax, 1
    mov cr0, eax
    o32 jmp far [p_pm32]

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, cr4
    or eax, 1 << 5              ; PAE
    mov cr4, eax
    mov eax, [ebx + p_cr3]
    mov cr3, eax
    mov ecx, 0xC0000080         ; EFER.LME
    rdmsr
    or eax, 1 << 8
    wrmsr
    mov eax, cr0
    or eax, 1 << 31
    mov cr0, eax
    jmp far [ebx + p_lm64]

bits 64
lm64:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, 1
    lock xadd [rel p_count], eax    ; eax = 0-based arrival order
    inc eax                     ; cpu index: the BSP is 0
    mov edi, eax
    mov rsp, [rel p_stacks]
    mov rcx, [rel p_stack_size]
    imul rcx, rdi
    add rsp, rcx                ; top of stack `index` (stack 0 unused)
    and rsp, -16
    mov rax, [rel p_entry]
    call rax
.hang:
    cli
    hlt
    jmp .hang
