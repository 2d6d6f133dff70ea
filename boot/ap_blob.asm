; The flat AP trampoline (boot/ap_trampoline.asm -> build/ap_trampoline.bin)
; as bytes the kernel copies to 0x8000.
section .rodata
global ap_trampoline_start, ap_trampoline_end
ap_trampoline_start:
    incbin "ap_trampoline.bin"
ap_trampoline_end:
