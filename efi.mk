# efi.mk — the UEFI application boot path (GNU-EFI), included by the Makefile.
#
#   make efi   ->  build/BOOTX64.EFI       the UEFI application
#                  build/hvconform-efi.img a FAT ESP image (no partition table)
#                                          holding EFI/BOOT/BOOTX64.EFI
#
# BOOTX64.EFI is the same kernel as build/hvconform.elf — every kernel/, hv/,
# harness/ and tests/ source of KERNEL_C except the multiboot glue (kernel/multiboot.c,
# boot/multiboot.asm), plus boot/isr.asm — compiled position independent into
# build/efi/, with boot/efi_main.c as the entry instead of boot_multiboot().
# efi_main reads the command line, leaves boot services and calls
# kernel_start("efi", cmdline); from there the kernel owns the machine (its
# own GDT, IDT and page tables identity-mapping 0-4 GiB — so the firmware must
# have loaded the image and its stack below 4 GiB, which OVMF and Hyper-V
# Gen2 do).
#
# Kernel arguments (tests=..., list, verbose, seed=...) reach the app in one
# of two ways, first match wins:
#  1. the image's LoadOptions (UCS-2), e.g. from the UEFI Shell
#     `\EFI\BOOT\BOOTX64.EFI tests=post.* verbose` or a Boot#### entry made
#     with `efibootmgr -u` / bcfg. Binary optional data (which boot managers
#     attach to auto-created entries) is ignored.
#  2. otherwise the file \EFI\BOOT\cmdline.txt on the volume the app was
#     loaded from (ASCII; line breaks count as spaces). The default image has
#     none: it runs the default suite. To run with arguments, make a copy:
#
#        cp build/hvconform-efi.img /tmp/run.img
#        printf '%s\n' 'tests=harness.* verbose' > /tmp/cmdline.txt
#        mcopy -o -i /tmp/run.img /tmp/cmdline.txt ::/EFI/BOOT/cmdline.txt
#
#     or let make do it:  make efi EFI_ARGS='tests=harness.* verbose'
#     (bakes cmdline.txt into build/hvconform-efi.img itself).
#
# Boot it under QEMU with OVMF (a writable copy of the VARS file):
#   cp /usr/share/OVMF/OVMF_VARS_4M.fd /tmp/vars.fd
#   qemu-system-x86_64 -accel tcg -m 256 -nodefaults -no-reboot -display none \
#     -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
#     -drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
#     -drive if=pflash,format=raw,file=/tmp/vars.fd \
#     -drive format=raw,file=build/hvconform-efi.img

EFI_INC      := /usr/include/efi
EFI_LIBDIR   := /usr/lib
EFI_CRT0     := $(EFI_LIBDIR)/crt0-efi-x86_64.o
EFI_LDS      := boot/efi_x86_64.lds
EFI_IMG_KB   := 4096
EFI_ARGS     ?=

EFI_C    := $(filter-out kernel/multiboot.c,$(KERNEL_C)) boot/efi_main.c
EFI_ASM  := boot/isr.asm boot/ap_blob.asm
EFI_OBJS := $(patsubst %.c,$(BUILD)/efi/%.o,$(EFI_C)) $(patsubst %.asm,$(BUILD)/efi/%.o,$(EFI_ASM))

# The kernel's flags with -fpic instead of -fno-pic/-mcmodel=small, plus
# GNU-EFI's (short wchar_t for L"" strings, MS ABI for firmware calls).
EFI_CFLAGS := $(filter-out -fno-pic -fno-pie -mcmodel=small,$(KCFLAGS)) \
              -fpic -fshort-wchar -DGNU_EFI_USE_MS_ABI \
              -isystem $(EFI_INC) -isystem $(EFI_INC)/x86_64
# --allow-multiple-definition: GNU-EFI 3.0.18 (Debian 13) defines memset and
# memcpy in libefi.a's init.o, which the link pulls in for InitializeLib; the
# first definition is kept, ours (kernel/string.c, before -lefi). A duplicate
# among our own objects still fails the kernel's link (the same sources).
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -z noexecstack \
               --allow-multiple-definition -T $(EFI_LDS) -L$(EFI_LIBDIR)

efi: $(BUILD)/BOOTX64.EFI $(BUILD)/hvconform-efi.img

.PHONY: efi-check-gnuefi
efi-check-gnuefi:
	@test -f $(EFI_CRT0) && test -f $(EFI_INC)/efi.h && test -f $(EFI_LIBDIR)/libgnuefi.a || { \
	  echo "make efi: GNU-EFI not found ($(EFI_CRT0), $(EFI_INC)/efi.h, $(EFI_LIBDIR)/libgnuefi.a)."; \
	  echo "          Install it: apt-get install gnu-efi (and mtools for the ESP image)."; exit 1; }

$(BUILD)/efi/%.o: %.c | efi-check-gnuefi
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@

$(BUILD)/efi/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -o $@ $<

$(BUILD)/efi/boot/ap_blob.o: boot/ap_blob.asm $(BUILD)/ap_trampoline.bin
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -i $(BUILD)/ -o $@ $<

$(BUILD)/efi/hvconform.so: $(EFI_OBJS) $(EFI_LDS) | efi-check-gnuefi
	$(LD) $(EFI_LDFLAGS) -o $@ $(EFI_CRT0) $(EFI_OBJS) -lefi -lgnuefi
	@# _relocate() in crt0 handles R_X86_64_RELATIVE only: refuse anything else
	@bad=$$(LC_ALL=C readelf -rW $@ | awk '/^ *[0-9a-f]+ +[0-9a-f]+ +R_X86_64_/ && $$3 != "R_X86_64_RELATIVE" && $$3 != "R_X86_64_NONE"'); \
	 if [ -n "$$bad" ]; then echo "$@: dynamic relocations _relocate() cannot apply:"; echo "$$bad"; rm -f $@; exit 1; fi
	@# every dynamic relocation must sit in the one .rela section objcopy keeps
	@extra=$$(LC_ALL=C readelf -SW $@ | awk '$$0 ~ /\] \.rela/ && $$0 !~ /\] \.rela +RELA/ {print}'); \
	 if [ -n "$$extra" ]; then echo "$@: relocation sections outside .rela:"; echo "$$extra"; rm -f $@; exit 1; fi
	@# the test registry must hold every object's hvtests entries
	@want=0; for o in $(EFI_OBJS); do \
	   for h in $$(LC_ALL=C objdump -h $$o | awk '$$2 == "hvtests" {print $$3}'); do want=$$((want + 0x$$h)); done; done; \
	 a=$$(LC_ALL=C nm $@ | awk '$$3 == "__start_hvtests" {print $$1}'); \
	 b=$$(LC_ALL=C nm $@ | awk '$$3 == "__stop_hvtests" {print $$1}'); \
	 got=$$((0x$${b:-0} - 0x$${a:-0})); \
	 if [ "$$want" -eq 0 ] || [ "$$want" -ne "$$got" ]; then \
	   echo "$@: test registry holds $$got bytes, the objects define $$want"; rm -f $@; exit 1; fi

$(BUILD)/BOOTX64.EFI: $(BUILD)/efi/hvconform.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela -j .reloc \
	        --target efi-app-x86_64 --subsystem=10 $< $@

# FAT ESP image, no partition table: OVMF boots \EFI\BOOT\BOOTX64.EFI from it
# as removable media. Rebuilt when EFI_ARGS changes (build/efi/cmdline.txt).
$(BUILD)/efi/cmdline.txt: FORCE_EFI_ARGS
	@mkdir -p $(dir $@)
	@printf '%s' '$(EFI_ARGS)' | cmp -s - $@ || printf '%s' '$(EFI_ARGS)' > $@
.PHONY: FORCE_EFI_ARGS

$(BUILD)/hvconform-efi.img: $(BUILD)/BOOTX64.EFI $(BUILD)/efi/cmdline.txt
	@command -v mformat >/dev/null && command -v mcopy >/dev/null || { \
	  echo "make efi: mtools (mformat, mmd, mcopy) not found: apt-get install mtools"; exit 1; }
	rm -f $@.tmp
	dd if=/dev/zero of=$@.tmp bs=1k count=$(EFI_IMG_KB) status=none
	mformat -i $@.tmp -v HVCONFORM ::
	mmd -i $@.tmp ::/EFI ::/EFI/BOOT
	mcopy -i $@.tmp $(BUILD)/BOOTX64.EFI ::/EFI/BOOT/BOOTX64.EFI
	if [ -s $(BUILD)/efi/cmdline.txt ]; then mcopy -i $@.tmp $(BUILD)/efi/cmdline.txt ::/EFI/BOOT/cmdline.txt; fi
	mv $@.tmp $@

-include $(EFI_OBJS:.o=.d)
