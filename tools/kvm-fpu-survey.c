// SPDX-License-Identifier: GPL-2.0
/*
 * One kind of vCPU ioctl, N times, outside KVM_RUN: tools/kvm-fpu-survey
 * counts the kvm:kvm_fpu loads each fires (issue 12, item 10).
 *
 *     kvm-fpu-survey-probe KIND N [irqchip]
 *
 * Sets up a VM (with an in-kernel irqchip if asked) and one vCPU with
 * KVM's supported CPUID, as QEMU -cpu host would, runs it once (a port
 * write), then does KIND N times. KIND "none" with N 0 is the baseline.
 * Exit status 0, 2 for an unknown KIND; how many succeeded on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

static int vcpu;

/* KVM_GET_MSRS of one MSR, and with set KVM_SET_MSRS of what it read: 0 if it did. */
static int msr(unsigned int index, int set)
{
	struct { struct kvm_msrs hdr; struct kvm_msr_entry e; } m = { .hdr.nmsrs = 1, .e.index = index };

	if (ioctl(vcpu, KVM_GET_MSRS, &m) != 1)
		return -1;
	return set && ioctl(vcpu, KVM_SET_MSRS, &m) != 1 ? -1 : 0;
}

static const struct { const char *name; unsigned int index; } msrs[] = {
	{ "U_CET", 0x6a0 }, { "S_CET", 0x6a2 }, { "PL0_SSP", 0x6a4 }, { "PL3_SSP", 0x6a7 },
	{ "INT_SSP_TAB", 0x6a8 }, { "BNDCFGS", 0xd90 }, { "XSS", 0xda0 }, { "SYSENTER_CS", 0x174 },
};

static int once(const char *kind)
{
	static struct kvm_xsave xsave;
	struct kvm_vcpu_events events;
	struct kvm_mp_state mp;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_xcrs xcrs;
	struct kvm_fpu fpu;
	unsigned int i;

#define GET_SET(name, get, set, arg)						\
	if (!strcmp(kind, "GET_" name))						\
		return ioctl(vcpu, get, arg);					\
	if (!strcmp(kind, "SET_" name))						\
		return ioctl(vcpu, get, arg) ? -1 : ioctl(vcpu, set, arg);
	GET_SET("MP_STATE", KVM_GET_MP_STATE, KVM_SET_MP_STATE, &mp)
	GET_SET("XSAVE", KVM_GET_XSAVE, KVM_SET_XSAVE, &xsave)
	GET_SET("XCRS", KVM_GET_XCRS, KVM_SET_XCRS, &xcrs)
	GET_SET("FPU", KVM_GET_FPU, KVM_SET_FPU, &fpu)
	GET_SET("REGS", KVM_GET_REGS, KVM_SET_REGS, &regs)
	GET_SET("SREGS", KVM_GET_SREGS, KVM_SET_SREGS, &sregs)
	GET_SET("VCPU_EVENTS", KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, &events)
	/* An INIT that KVM_GET_MP_STATE processes (needs the irqchip): RIP becomes 0xfff0. */
	if (!strcmp(kind, "INIT")) {
		if (ioctl(vcpu, KVM_GET_VCPU_EVENTS, &events))
			return -1;
		events.flags = KVM_VCPUEVENT_VALID_SMM;
		events.smi.latched_init = 1;
		return ioctl(vcpu, KVM_SET_VCPU_EVENTS, &events) ? -1 : ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	}
	for (i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		if (!strncmp(kind, "GET_MSR_", 8) && !strcmp(kind + 8, msrs[i].name))
			return msr(msrs[i].index, 0);
		if (!strncmp(kind, "SET_MSR_", 8) && !strcmp(kind + 8, msrs[i].name))
			return msr(msrs[i].index, 1);
	}
	if (!strcmp(kind, "none"))
		return 0;
	fprintf(stderr, "kvm-fpu-survey-probe: unknown kind %s\n", kind);
	exit(2);
}

int main(int argc, char **argv)
{
	struct { struct kvm_cpuid2 hdr; struct kvm_cpuid_entry2 e[256]; } cpuid = { .hdr.nent = 256 };
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	struct kvm_regs regs = { .rip = 0x100, .rflags = 2 };
	int kvm, vm, n, i, ok = 0, err = 0;
	struct kvm_sregs sregs;
	unsigned char *mem;

	if (argc < 3)
		return 2;
	n = atoi(argv[2]);
	kvm = open("/dev/kvm", O_RDWR);
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (kvm < 0 || vm < 0 || mem == MAP_FAILED || (argc > 3 && ioctl(vm, KVM_CREATE_IRQCHIP, 0))) {
		perror("kvm-fpu-survey-probe: setup");
		return 1;
	}
	memcpy(mem + 0x100, "\xe6\x80\xf4", 3);	/* out 0x80, al; hlt */
	region.userspace_addr = (unsigned long)mem;
	ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0 || ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) || ioctl(vcpu, KVM_SET_CPUID2, &cpuid) ||
	    ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
		perror("kvm-fpu-survey-probe: vCPU setup");
		return 1;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs) ||
	    !mmap(NULL, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0) ||
	    ioctl(vcpu, KVM_RUN, 0)) {
		perror("kvm-fpu-survey-probe: KVM_RUN");
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (once(argv[1]))
			err = errno;
		else
			ok++;
	}
	fprintf(stderr, "%s: %d of %d succeeded%s%s\n", argv[1], ok, n, err ? ", errno " : "",
		err ? strerror(err) : "");
	return 0;
}
