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
 * Not an ISA either: halt polling (--halt), from kvm:kvm_vcpu_wakeup, keyed
 * by HALT_*: the halt's own duration (the tracepoint's ns, KVM's clock, not
 * ours) by whether the vCPU was woken while polling or had to block, and
 * the time from that wakeup to the vCPU's next kvm_entry. They share the
 * hists maps; HIST_FLAG_INVALID_WAKEUP marks a wakeup KVM called invalid.
 */
#define ISA_HALT 4
#define HALT_POLLED		0	/* waited == 0: never scheduled out */
#define HALT_BLOCKED		1	/* waited == 1 */
#define HALT_WAKE_POLLED	2	/* wakeup -> next entry, after a polled halt */
#define HALT_WAKE_BLOCKED	3	/* wakeup -> next entry, after a blocked one */
#define HALT_NR_REASONS		4
/*
 * arm64's kvm_exit (arch/arm64/kvm/trace_arm.h): the exit reason is the
 * pair (exception type, ESR exception class), the class 0 unless the type
 * is a trap. Its code: the exception type, ARM_EXCEPTION_CODE(ret), for
 * the others; ARM64_TRAP_REASON(class) for a trap, in bit 31, which
 * ARM_EXCEPTION_CODE clears (it is the "SError pending too" flag). Names
 * from the format's two __print_symbolic tables (src/reasons.c).
 */
#define ISA_ARM64	5
#define ARM64_EXCEPTION_TRAP	2
#define ARM64_SERROR_BIT	0x80000000U
#define ARM64_TRAP_REASON(ec)	(ARM64_SERROR_BIT | (ec))
#define ARM64_REASON_IS_TRAP(r)	(!!((r) & ARM64_SERROR_BIT))
#define ARM64_REASON_EC(r)	((r) & 0x3f)

/* VMX: the basic reason is the low 16 bits; bit 31 flags a failed VM-entry. */
#define VMX_BASIC_REASON_MASK	0xffff
#define VMX_FAILED_VMENTRY	0x80000000U
#define HIST_FLAG_FAILED_VMENTRY 1
#define HIST_FLAG_INVALID_WAKEUP 2	/* ISA_HALT: kvm_vcpu_wakeup's valid was 0 */

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
	/*
	 * The sum of the samples' squares (ns^2), exact as a 128-bit number:
	 * the standard deviation's. A u64 would overflow after 18 million
	 * 1 ms halts; 128 bits hold 2^40 samples of 73 minutes (2^42 ns) each.
	 */
	__u64 sum_sq_lo, sum_sq_hi;
	/*
	 * Where the time went (bpf/sched_split.bpf.h): off the CPU, runnable
	 * (preempted, or woken and waiting for a CPU) or blocked (asleep; in
	 * an HLT exit, halted), from sched_switch and sched_wakeup. For an
	 * exit also the VMM's handling time inside it, and how much of that
	 * was off the CPU (already in runnable_ns or blocked_ns). For a VMM
	 * handling histogram (ISA_VMM), runnable and blocked only.
	 */
	__u64 runnable_ns, blocked_ns, vmm_ns, vmm_off_ns;
	/*
	 * Of the VMM's handling (an exit's vmm_ns, or a VMM handling
	 * histogram's time), how long the vCPU thread waited for QEMU's global
	 * mutex: qemu:qemu_mutex_lock to qemu:qemu_mutex_locked (--bql).
	 */
	__u64 bql_ns;
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
/*
 * --msr and --cpuid share the tallies (kvm:kvm_msr, kvm:kvm_cpuid): per VM,
 * MSR index (addr) and direction, or CPUID leaf and subleaf (addr = leaf <<
 * 32 | subleaf, dir and size 0). Their handled_* fields hold the enclosing
 * exit's exit->entry time instead of the VMM's handling time.
 */
#define IO_KIND_MSR		2
#define IO_KIND_CPUID		3
#define IO_NR_KINDS		4

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
	__u64 faults;		/* --msr: accesses that raised #GP (kvm_msr's exception) */
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
	CNT_HALT_DROPPED,		/* --halt: a halt or wake-to-entry time not recorded: maps full, no memory or no slot */
	CNT_OUTLIERS,			/* --slower-than: exits at or over the threshold, sent or not */
	CNT_OUTLIERS_LOST,		/* ... of those, not sent: the ring buffer was full */
	NR_COUNTERS,
};

/*
 * --slower-than: one exit whose exit->entry time reached the threshold,
 * from the BPF ring buffer `outliers`. Times are bpf_ktime_get_ns
 * (CLOCK_MONOTONIC); the loader adds wall time and the guest's TSC.
 */
#define OUTLIER_RING_BYTES	(1U << 20)	/* the ring buffer with --slower-than */
#define OUTLIER_RIP		1	/* rip is the guest's RIP at the exit */
#define OUTLIER_INFO		2	/* info1/info2 are the exit's (SVM exit_info_1/2, VMX qualification/intr info) */
#define OUTLIER_TO_USERSPACE	4	/* it went to the VMM: uexit_reason is the KVM_EXIT_* */
#define OUTLIER_UEXIT_ERRNO	8	/* ... KVM_RUN returned an error instead: uexit_reason is the errno */
#define OUTLIER_VMM_TIMED	16	/* vmm_ns is the VMM's handling time of it */
#define OUTLIER_FAILED_VMENTRY	32	/* VMX: a failed VM-entry */
#define OUTLIER_OFF_CPU		64	/* runnable_ns/blocked_ns: its time off the CPU (the sched split on) */
#define OUTLIER_TSC_OFFSET	128	/* tsc_offset is the vCPU's TSC offset at the exit (x86) */
/* --slower-than with classic tracepoints: vCPUs whose TSC offsets are tracked (an LRU map, preallocated). */
#define TSC_OFFSET_VCPUS	4096

/* --slower-than with classic tracepoints (x86): a vCPU's TSC offset, as kvm_write_tsc_offset last set it. */
struct tsc_offset_key {
	__u32 pid;		/* the VMM's */
	__u32 vcpu_id;		/* KVM's */
};

struct outlier_event {
	__u64 exit_ns;		/* at kvm_exit */
	__u64 duration_ns;	/* exit -> entry */
	__u64 vm_start;		/* as hist_key.vm_start */
	__u64 rip;
	__u64 info1, info2;
	__u64 vmm_ns;
	__u64 runnable_ns, blocked_ns;	/* off the CPU inside the exit: preempted, asleep */
	__s64 tsc_offset;	/* with OUTLIER_TSC_OFFSET: kvm_vcpu_arch.tsc_offset at the exit */
	__u32 pid, tid;
	__u32 vcpu;		/* as hist_key.vcpu */
	__u32 vcpu_id;		/* KVM's vcpu_id (debugfs's vcpuN), VCPU_UNKNOWN if not known */
	__u32 reason;		/* as hist_key.reason */
	__u32 uexit_reason;
	__u16 isa;
	__u16 flags;		/* OUTLIER_* */
	__u32 exit_cpu, entry_cpu;	/* host CPUs */
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
