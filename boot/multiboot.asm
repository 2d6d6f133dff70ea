; Multiboot headers (v2 for GRUB, v1 with the a.out kludge for QEMU -kernel)
; and the 32-bit entry shared by both loaders: build page tables identity
; mapping the first 4 GiB with 2 MiB pages, enter long mode, call
; boot_multiboot(magic, info) in C. Later C code installs its own GDT, IDT
; and page tables; this file only has to get there.

bits 32

MB2_MAGIC      equ 0xE85250D6
MB2_ARCH_I386  equ 0
MB1_MAGIC      equ 0x1BADB002
MB1_FLAGS      equ (1 << 1) | (1 << 16)     ; memory info, address fields valid

extern __load_start, __load_end, __bss_end
extern boot_multiboot

section .multiboot
align 8
mb2_header:
    dd MB2_MAGIC, MB2_ARCH_I386, mb2_end - mb2_header
    dd -(MB2_MAGIC + MB2_ARCH_I386 + (mb2_end - mb2_header))
    ; address tag: load the image as one contiguous block (same as mb1)
    align 8
    dw 2, 0
    dd 24
    dd mb2_header, __load_start, __load_end, __bss_end
    ; entry address tag
    align 8
    dw 3, 0
    dd 12
    dd _start32
    ; end tag
    align 8
    dw 0, 0
    dd 8
mb2_end:

align 4
mb1_header:
    dd MB1_MAGIC, MB1_FLAGS, -(MB1_MAGIC + MB1_FLAGS)
    dd mb1_header, __load_start, __load_end, __bss_end, _start32

section .text32 progbits alloc exec nowrite
global _start32
_start32:
    cli
    cld
    mov esp, boot_stack_top
    mov edi, eax                ; loader magic (kept for C)
    mov esi, ebx                ; loader info pointer

    ; The 4 page directories map 0-4 GiB with 2 MiB pages.
    mov ecx, 0
.fill_pd:
    mov eax, ecx
    shl eax, 21
    or eax, 0x87                ; present, writable, user, 2 MiB
    mov [boot_pd + ecx*8], eax
    mov eax, ecx
    shr eax, 11                 ; high dword: (ecx << 21) >> 32
    mov [boot_pd + ecx*8 + 4], eax
    inc ecx
    cmp ecx, 2048
    jne .fill_pd

    mov ecx, 0
.fill_pdpt:
    mov eax, ecx
    shl eax, 12
    add eax, boot_pd
    or eax, 0x7
    mov [boot_pdpt + ecx*8], eax
    inc ecx
    cmp ecx, 4
    jne .fill_pdpt

    mov eax, boot_pdpt
    or eax, 0x7
    mov [boot_pml4], eax

    mov eax, boot_pml4
    mov cr3, eax
    mov eax, cr4
    or eax, (1 << 5)            ; PAE
    mov cr4, eax
    mov ecx, 0xC0000080         ; EFER
    rdmsr
    or eax, (1 << 8)            ; LME
    wrmsr
    mov eax, cr0
    or eax, (1 << 31) | 1       ; PG, PE
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    jmp 0x08:long_entry

bits 64
long_entry:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    mov rsp, boot_stack_top
    ; edi = magic, esi = info: already the first two SysV arguments
    mov edi, edi
    mov esi, esi
    call boot_multiboot
.hang:
    cli
    hlt
    jmp .hang

section .rodata
align 8
boot_gdt:
    dq 0
    dq 0x00AF9A000000FFFF       ; 0x08: 64-bit code
    dq 0x00CF92000000FFFF       ; 0x10: data
boot_gdt_end:
boot_gdt_ptr:
    dw boot_gdt_end - boot_gdt - 1
    dq boot_gdt

section .bss
alignb 4096
boot_pml4:  resb 4096
boot_pdpt:  resb 4096
boot_pd:    resb 4096 * 4
boot_stack: resb 65536
boot_stack_top:
