# hvconform: `make` builds the kernel, `make iso` / `make efi` the bootable
# images, `make test` runs the test command's fast tier (tools/tests/run_all.py),
# `make run` boots the suite in the best mode this host offers.

BUILD    := build
CC       := gcc
NASM     := nasm
LD       := ld

# Test files first, in the order their tests run; then everything else.
TEST_ORDER := harness hv synic post deliver queue abi smp fuzz
TEST_SRCS := $(foreach g,$(TEST_ORDER),$(wildcard tests/$(g)_tests.c)) \
             $(filter-out $(foreach g,$(TEST_ORDER),tests/$(g)_tests.c),$(sort $(wildcard tests/*_tests.c)))
CORE_SRCS := $(sort $(wildcard kernel/*.c hv/*.c harness/*.c)) \
             $(filter-out $(TEST_SRCS),$(sort $(wildcard tests/*.c)))
KERNEL_C  := $(TEST_SRCS) $(CORE_SRCS)
ASM_SRCS  := boot/multiboot.asm boot/isr.asm boot/ap_blob.asm

KCFLAGS := -std=c11 -O2 -g -ffreestanding -fno-builtin -nostdlib -fno-stack-protector \
           -fno-pic -fno-pie -mno-red-zone -mgeneral-regs-only -mcmodel=small \
           -fno-toplevel-reorder -fno-asynchronous-unwind-tables \
           -Wall -Wextra -Werror -MMD -MP
KLDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker.ld

KOBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(KERNEL_C)) $(patsubst %.asm,$(BUILD)/obj/%.o,$(ASM_SRCS))

.PHONY: all iso efi test test-slow hosttest coverage coverage-docs run bench clean
all: $(BUILD)/hvconform.elf

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.asm
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -g -o $@ $<

# the AP start-up code is a flat binary for 0x8000, embedded by ap_blob.asm
$(BUILD)/ap_trampoline.bin: boot/ap_trampoline.asm
	@mkdir -p $(BUILD)
	$(NASM) -f bin -o $@ $<
$(BUILD)/obj/boot/ap_blob.o: boot/ap_blob.asm $(BUILD)/ap_trampoline.bin
	@mkdir -p $(dir $@)
	$(NASM) -f elf64 -i $(BUILD)/ -o $@ $<

$(BUILD)/hvconform.elf: $(KOBJS) linker.ld
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS)

# --- ISO: GRUB (BIOS + UEFI) via grub-mkrescue ----------------------------
iso: $(BUILD)/hvconform.iso
$(BUILD)/hvconform.iso: $(BUILD)/hvconform.elf iso/grub.cfg
	rm -rf $(BUILD)/isodir && mkdir -p $(BUILD)/isodir/boot/grub
	cp $(BUILD)/hvconform.elf $(BUILD)/isodir/boot/hvconform.elf
	cp iso/grub.cfg $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2>$(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }

# --- host unit tests of the pure C parts ------------------------------------
HOST_CFLAGS := -std=c11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined
RULES_SRCS  := tests/rules.c tests/rules_post.c tests/rules_abi.c tests/rules_synic.c
HOST_PURE   := kernel/fmt.c kernel/grubline.c harness/glob.c harness/cmdline.c kernel/time_calc.c kernel/lowmem.c kernel/acpi_parse.c harness/tap.c harness/select.c tests/fuzz_oracle.c $(RULES_SRCS) hv/testdev_pool.c
hosttest: $(BUILD)/host/unit
	$(BUILD)/host/unit
$(BUILD)/host/unit: tests/host/unit.c $(HOST_PURE) $(wildcard tests/host/*.h kernel/*.h harness/*.h tests/*.h hv/tlfs.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ tests/host/unit.c $(HOST_PURE)

# docs/coverage.md's list from the rule table: `make coverage` prints it,
# `make coverage-docs` writes it between that file's markers (hosttest checks them)
$(BUILD)/host/coverage: tests/host/coverage.c tests/host/coverage.h kernel/fmt.c $(RULES_SRCS) tests/rules.h harness/test.h
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ tests/host/coverage.c kernel/fmt.c $(RULES_SRCS)
coverage: $(BUILD)/host/coverage
	@$(BUILD)/host/coverage
coverage-docs: $(BUILD)/host/coverage
	$(BUILD)/host/coverage > $(BUILD)/coverage.md
	python3 -c 'import sys; r=open("docs/coverage.md").read(); c=open(sys.argv[1]).read(); b=r.index("<!-- coverage:begin -->"); e=r.index("<!-- coverage:end -->\n")+len("<!-- coverage:end -->\n"); open("docs/coverage.md","w").write(r[:b]+c+r[e:])' $(BUILD)/coverage.md

# make test: the fast tier (well under a minute warm); make test-slow: every case
test:
	python3 tools/tests/run_all.py

test-slow:
	python3 tools/tests/run_all.py --slow

run: all
	./run-qemu.sh

# the latency benchmark as a table (tools/bench; BENCH_ARGS e.g. "--iters 2000")
bench: all
	tools/bench $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)/obj $(BUILD)/host $(BUILD)/isodir $(BUILD)/efi $(BUILD)/*.elf $(BUILD)/*.iso $(BUILD)/*.EFI $(BUILD)/*.img

# the UEFI application (GNU-EFI) and its ESP image
-include efi.mk

-include $(KOBJS:.o=.d)
