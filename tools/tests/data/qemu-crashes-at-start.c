/* A stand-in for qemu-system-x86_64 that crashes (abort) at the start of
 * every boot: --version answers, L1's idle VM (-S) holds a KVM vCPU. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--version") == 0) {
			printf("QEMU emulator version 7.2.99 (crashes at start)\n");
			return 0;
		}
		if (strcmp(argv[i], "-S") == 0) {
			int kvm = open("/dev/kvm", O_RDWR);
			int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
			if (vm < 0 || ioctl(vm, KVM_CREATE_VCPU, 0) < 0)
				return 1;
			for (;;)
				pause();
		}
	}
	abort();
}
