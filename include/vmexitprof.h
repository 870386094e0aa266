/* SPDX-License-Identifier: GPL-2.0 */
/* Types shared by bpf/vmexitprof.bpf.c and the loader. */
#ifndef VMEXITPROF_H
#define VMEXITPROF_H

#include "hist.h"

#define MAX_TARGET_PIDS		16
#define MAX_VCPU_FILTER		1024	/* vCPU ids 0..1023 can be selected */
#define DEFAULT_MAX_HIST_KEYS	16384
#define RESERVE_HIST_KEYS	32	/* preallocated: 32 x ~5 KiB */
#define DEFAULT_KEEP_EXITED	64	/* exited VMs reported apart (--keep-exited) */

/* kvm_exit's isa field (arch/x86/kvm/trace.h: KVM_ISA_VMX/KVM_ISA_SVM). */
#define ISA_VMX	1
#define ISA_SVM	2
/*
 * Not an ISA: histograms of the VMM's handling time, from a return to
 * userspace (kvm_userspace_exit) to the thread's next KVM_RUN (kvm_fpu
 * load), keyed by the KVM_EXIT_* reason. They share the hists maps.
 */
#define ISA_VMM	3
/*
 * arm64's kvm_exit (arch/arm64/kvm/trace_arm.h): the exit reason is the
 * pair (exception type, ESR exception class), the class 0 unless the type
 * is a trap. Its code: the exception type, ARM_EXCEPTION_CODE(ret), for
 * the others; ARM64_TRAP_REASON(class) for a trap, in bit 31, which
 * ARM_EXCEPTION_CODE clears (it is the "SError pending too" flag). Names
 * from the format's two __print_symbolic tables (src/reasons.c).
 */
#define ISA_ARM64	4
#define ARM64_EXCEPTION_TRAP	2
#define ARM64_SERROR_BIT	0x80000000U
#define ARM64_TRAP_REASON(ec)	(ARM64_SERROR_BIT | (ec))
#define ARM64_REASON_IS_TRAP(r)	(!!((r) & ARM64_SERROR_BIT))
#define ARM64_REASON_EC(r)	((r) & 0x3f)

/* VMX: the basic reason is the low 16 bits; bit 31 flags a failed VM-entry. */
#define VMX_BASIC_REASON_MASK	0xffff
#define VMX_FAILED_VMENTRY	0x80000000U
#define HIST_FLAG_FAILED_VMENTRY 1

#define VCPU_UNKNOWN	0xffffffffU
/* The exit reason where the vendor's vCPU state could not be read (tp_btf): never a real one. */
#define EXIT_REASON_UNREADABLE	0xffffffffU

/*
 * A VM is its process: pid and start time. The start time (in clock ticks
 * after boot, as /proc/PID/stat gives it) tells apart two processes that
 * had the same pid one after the other during a run.
 */

/* The VMs seen (vms_seen), with their process name for those that exit before the loader looks. */
struct vm_id {
	__u32 pid;
	__u32 pad;
	__u64 start;		/* as hist_key.vm_start */
};

struct vm_seen {
	char comm[16];		/* the process's name (its main thread's) */
};

/*
 * A vCPU's KVM vcpu_id (on x86 its APIC ID) where it differs from the
 * number vmexitprof gives it, QEMU's CPU index (see vcpu in hist_key).
 */
struct vcpu_id_key {
	__u32 pid;
	__u32 vcpu;		/* QEMU's CPU index */
	__u64 vm_start;
};

/* One histogram per VM, vCPU, ISA and exit reason. */
struct hist_key {
	__u32 pid;		/* the VM process (tgid of the vCPU thread) */
	/*
	 * QEMU's CPU index, the n of its "CPU n/KVM" thread (KVM's vcpu_idx);
	 * for a VMM that names its threads otherwise, kvm_exit's vcpu_id;
	 * VCPU_UNKNOWN if neither is known.
	 */
	__u32 vcpu;
	__u32 reason;		/* VMX: basic reason; SVM: exit code, whole */
	__u16 isa;
	__u16 flags;		/* HIST_FLAG_* */
	__u64 vm_start;		/* the VM process's start, clock ticks after boot */
};

struct hist {
	__u64 count;
	__u64 sum_ns;
	__u64 min_ns;		/* 0 while count == 0 */
	__u64 max_ns;
	__u64 to_userspace;	/* of count, those that returned to the VMM */
	__u64 buckets[HIST_NR_BUCKETS];
};

/*
 * KVM_RUN returns to the VMM (kvm:kvm_userspace_exit) per VM, vCPU and
 * KVM_EXIT_* reason. A return with errno < 0 (EINTR and the like) keeps
 * -errno in reason and UEXIT_FLAG_ERRNO: its reason field is stale.
 */
#define UEXIT_FLAG_ERRNO	1
/* KVM_EXIT_IO and KVM_EXIT_MMIO (linux/kvm.h, which BPF code cannot include). */
#define UEXIT_REASON_IO		2
#define UEXIT_REASON_MMIO	6

/*
 * Port I/O and MMIO tallies (--ports, --mmio) from kvm:kvm_pio and
 * kvm:kvm_mmio, per VM, port or guest-physical page, direction and size.
 */
#define IO_KIND_PIO		0
#define IO_KIND_MMIO		1
#define IO_DIR_READ		0
#define IO_DIR_WRITE		1
#define MMIO_PAGE_MASK		(~0xfffULL)
#define MAX_IO_KEYS		4096

struct io_key {
	__u32 pid;
	__u8 kind;		/* IO_KIND_* */
	__u8 dir;		/* IO_DIR_* */
	__u16 size;		/* bytes per access */
	__u64 addr;		/* port, or the GPA's page */
	__u64 vm_start;		/* as in hist_key */
};

struct io_stats {
	__u64 count;
	__u64 to_userspace;	/* accesses handed to the VMM */
	__u64 handled;		/* of those, with a handling time (next KVM_RUN seen) */
	__u64 handled_sum_ns;
	__u64 handled_min_ns;
	__u64 handled_max_ns;
};

struct uexit_key {
	__u32 pid;
	__u32 vcpu;		/* from kvm_exit, else the "CPU n/KVM" thread name */
	__u32 reason;
	__u32 flags;
	__u64 vm_start;		/* as in hist_key */
};

/* Per-CPU event accounting, so nothing is lost silently. */
enum counter {
	CNT_EXITS,			/* kvm_exit seen for a target */
	CNT_ENTRIES,			/* kvm_entry seen for a target: derived (counters_derive) */
	CNT_PAIRED,			/* exit->entry intervals recorded */
	CNT_ENTRY_WITHOUT_EXIT,		/* first entry of a thread, or exit missed */
	CNT_EXIT_OVERWRITTEN,		/* exit followed by another exit */
	CNT_HIST_FULL,			/* dropped: hist map and reserve full */
	CNT_HIST_ALLOC_FAILED,		/* dropped: no memory for a new key, reserve full */
	CNT_USERSPACE_EXITS,		/* kvm_userspace_exit for a target */
	CNT_UEXIT_DROPPED,		/* userspace exit not counted: uexits map full */
	CNT_VMM_PAIRED,			/* VMM handling intervals recorded */
	CNT_IO_DROPPED,			/* port/MMIO access not tallied: map full */
	CNT_VMM_DROPPED,		/* VMM handling interval dropped: hist map and reserve full, or no memory */
	CNT_SLOT_FAILED,		/* an exit not paired: no per-thread slot (task storage) */
	CNT_VMM_UNTIMED,		/* return to userspace whose handling could not be timed: no slot */
	CNT_VMS_SEEN_FULL,		/* a VM not recorded in vms_seen: that map was full (--max-keys) */
	CNT_MINMAX_CONTENDED,		/* a min or max update given up after many racing writers */
	CNT_IO_UNTRACKED,		/* a port/MMIO access tallied but not followed to the VMM: no slot */
	NR_COUNTERS,
};

/*
 * Each kvm_entry the BPF side handles ends in exactly one of: paired,
 * entry_without_exit, hist_full, hist_alloc_failed (record_entry). So it
 * does not count entries itself, one increment less on the hottest path;
 * readers of the counters map fill CNT_ENTRIES in from the others.
 */
static inline void counters_derive(__u64 *c)
{
	c[CNT_ENTRIES] = c[CNT_PAIRED] + c[CNT_ENTRY_WITHOUT_EXIT] + c[CNT_HIST_FULL] +
			 c[CNT_HIST_ALLOC_FAILED];
}

#endif /* VMEXITPROF_H */
