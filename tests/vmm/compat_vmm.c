// SPDX-License-Identifier: GPL-2.0
/*
 * A 32-bit VMM, for the compat path: built freestanding with -m32 (no
 * 32-bit libc needed), it makes every syscall through int 0x80. Its one
 * vCPU thread, named "CPU 0/KVM", waits until ./compat_vmm.go exists, then
 * runs a real-mode guest that writes port 0x80 three times and halts: four
 * KVM_RUN returns (3 IO, 1 HLT), three of them followed by another
 * KVM_RUN. Exit status 0 if so. The test that builds it:
 * tests/host/vmexitprof-vmm-sync.sh.
 */
#include <linux/kvm.h>

#define SYS_EXIT_GROUP	252
#define SYS_OPEN	5
#define SYS_ACCESS	33
#define SYS_IOCTL	54
#define SYS_PRCTL	172
#define SYS_NANOSLEEP	162
#define SYS_MMAP2	192
#define PR_SET_NAME	15

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
	long r;

	__asm__ volatile("push %%ebp; mov %7, %%ebp; int $0x80; pop %%ebp"
			 : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e), "g"(f)
			 : "memory");
	return r;
}

static void quit(long status)
{
	sys(SYS_EXIT_GROUP, status, 0, 0, 0, 0, 0);
}

static struct kvm_userspace_memory_region region = { .memory_size = 0x1000 };
static struct kvm_regs regs = { .rflags = 2 };
static struct kvm_sregs sregs;
static struct { long sec, nsec; } tick = { 0, 10000000 };
/* out 0x80, al (three times); hlt */
static const unsigned char guest[] = { 0xe6, 0x80, 0xe6, 0x80, 0xe6, 0x80, 0xf4 };

void _start(void)
{
	long kvm = sys(SYS_OPEN, (long)"/dev/kvm", 2, 0, 0, 0, 0), vm, vcpu, size, i;
	unsigned char *mem;
	struct kvm_run *run;

	vm = sys(SYS_IOCTL, kvm, KVM_CREATE_VM, 0, 0, 0, 0);
	mem = (void *)sys(SYS_MMAP2, 0, 0x1000, 3, 0x22, -1, 0);	/* RW, private anonymous */
	if (kvm < 0 || vm < 0 || (unsigned long)mem > -4096UL)
		quit(2);
	for (i = 0; i < (long)sizeof(guest); i++)
		mem[i] = guest[i];
	region.userspace_addr = (unsigned long)mem;
	vcpu = sys(SYS_IOCTL, vm, KVM_CREATE_VCPU, 0, 0, 0, 0);
	size = sys(SYS_IOCTL, kvm, KVM_GET_VCPU_MMAP_SIZE, 0, 0, 0, 0);
	run = (void *)sys(SYS_MMAP2, 0, size, 3, 1, vcpu, 0);		/* RW, shared */
	if (sys(SYS_IOCTL, vm, KVM_SET_USER_MEMORY_REGION, (long)&region, 0, 0, 0) ||
	    vcpu < 0 || size <= 0 || (unsigned long)run > -4096UL ||
	    sys(SYS_IOCTL, vcpu, KVM_GET_SREGS, (long)&sregs, 0, 0, 0))
		quit(2);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (sys(SYS_IOCTL, vcpu, KVM_SET_SREGS, (long)&sregs, 0, 0, 0) ||
	    sys(SYS_IOCTL, vcpu, KVM_SET_REGS, (long)&regs, 0, 0, 0))
		quit(2);
	sys(SYS_PRCTL, PR_SET_NAME, (long)"CPU 0/KVM", 0, 0, 0, 0);
	while (sys(SYS_ACCESS, (long)"compat_vmm.go", 0, 0, 0, 0, 0))
		sys(SYS_NANOSLEEP, (long)&tick, 0, 0, 0, 0, 0);
	for (i = 0; i < 4; i++) {
		if (sys(SYS_IOCTL, vcpu, KVM_RUN, 0, 0, 0, 0) < 0)
			quit(3);
		if (run->exit_reason != (i < 3 ? KVM_EXIT_IO : KVM_EXIT_HLT))
			quit(4);
	}
	quit(0);
}
