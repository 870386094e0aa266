/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel types bpf/ reads, reduced by hand from the kernel's BTF
 * instead of a 3 MB generated vmlinux.h. Under preserve_access_index every
 * field access is a CO-RE relocation, resolved at load time against the
 * running kernel (the kvm structs live in the kvm module's BTF where kvm
 * is a module), so only the fields named here must exist, with these
 * names; offsets and sizes may differ. Fields that some kernels lack are
 * guarded with bpf_core_field_exists() at the use site.
 *
 * vmlinux-btf/check compares this file against a kernel's BTF.
 */
#ifndef VMEXITPROF_VMLINUX_H
#define VMEXITPROF_VMLINUX_H
/* Tells libbpf's bpf_tracing.h that pt_regs has the kernel's field names. */
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef _Bool bool;
typedef int pid_t;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

enum {
	false = 0,
	true = 1,
};

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
	BPF_MAP_TYPE_TASK_STORAGE = 29,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum {
	BPF_F_NO_PREALLOC = 1,
};

enum {
	BPF_LOCAL_STORAGE_GET_F_CREATE = 1,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *group_leader;
	u64 start_boottime;
	char comm[16];
};

/* The common header of every trace event record. */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* kvm:kvm_exit (arch/x86/kvm/trace.h). isa and vcpu_id are not in every kernel. */
struct trace_event_raw_kvm_exit {	/* only x86 */
	struct trace_entry ent;
	unsigned int exit_reason;
	unsigned long guest_rip;	/* optional: --slower-than reads it */
	u32 isa;		/* optional: not before SVM tracing */
	u64 info1;		/* optional: --slower-than reads it */
	u64 info2;		/* optional: --slower-than reads it */
	unsigned int vcpu_id;	/* optional: not in older kernels */
};

/* kvm:kvm_entry */
struct trace_event_raw_kvm_entry {	/* only x86 */
	struct trace_entry ent;
	unsigned int vcpu_id;
};

/* kvm:kvm_userspace_exit (include/trace/events/kvm.h) */
struct trace_event_raw_kvm_userspace_exit {
	struct trace_entry ent;
	__u32 reason;
	int errno;
};

/* kvm:kvm_pio */
struct trace_event_raw_kvm_pio {	/* only x86: arm64 has no port I/O */
	struct trace_entry ent;
	unsigned int rw;
	unsigned int port;
	unsigned int size;
};

/* kvm:kvm_mmio (include/trace/events/kvm.h) */
struct trace_event_raw_kvm_mmio {
	struct trace_entry ent;
	u32 type;
	u32 len;
	u64 gpa;
};

/* kvm:kvm_msr (arch/x86/kvm/trace.h): --msr */
struct trace_event_raw_kvm_msr {	/* only x86 */
	struct trace_entry ent;
	unsigned int write;
	u32 ecx;
	u64 data;
	u8 exception;
};

/* kvm:kvm_cpuid (arch/x86/kvm/trace.h): --cpuid */
struct trace_event_raw_kvm_cpuid {	/* only x86 */
	struct trace_entry ent;
	unsigned int function;
	unsigned int index;
};

/* kvm:kvm_write_tsc_offset (arch/x86/kvm/trace.h): --slower-than's guest TSC, classic */
struct trace_event_raw_kvm_write_tsc_offset {	/* only x86 */
	struct trace_entry ent;
	unsigned int vcpu_id;
	u64 previous_tsc_offset;
	u64 next_tsc_offset;
};

/* kvm:kvm_vcpu_wakeup (include/trace/events/kvm.h): --halt */
struct trace_event_raw_kvm_vcpu_wakeup {
	struct trace_entry ent;
	u64 ns;
	bool waited;
	bool valid;
};

/*
 * A task's user registers: libbpf's usdt.bpf.h reads a uprobe's ip by name
 * (the arguments by offset); the kvm_fpu program reads the syscall the
 * thread is in (orig_ax) and an ioctl's command (si; cx for a 32-bit one).
 */
struct pt_regs {		/* only x86 */
	unsigned long ip;
	unsigned long orig_ax;
	unsigned long si;
	unsigned long cx;
};

/* What a syscalls:sys_enter_* tracepoint program sees. */
struct syscall_trace_enter {
	struct trace_entry ent;
	int nr;
	unsigned long args[];
};

/*
 * kvm:kvm_exit on arm64 (arch/arm64/kvm/trace_arm.h): ret is already
 * ARM_EXCEPTION_CODE(ret), esr_ec 0 unless that is a trap. (kvm_entry's
 * only field there, vcpu_pc, is not read.)
 */
struct trace_event_raw_kvm_exit___arm64 {	/* only arm64 */
	struct trace_entry ent;
	int ret;
	unsigned int esr_ec;
	unsigned long vcpu_pc;
};

/* kvm:kvm_fpu (include/trace/events/kvm.h; x86 fires it): load == 1 as KVM_RUN enters. */
struct trace_event_raw_kvm_fpu {
	struct trace_entry ent;
	u32 load;
};

/*
 * What the BTF-typed (tp_btf) programs read. struct kvm_vcpu lives in the
 * kvm module's BTF (or vmlinux's, where kvm is built in); the vendor
 * structs in kvm_amd's or kvm_intel's, and a host has one of them at most:
 * each is used only under bpf_core_type_exists().
 */
/* x86: the guest registers KVM caches, and which of them are current (--slower-than). */
struct kvm_vcpu_arch {
	unsigned long regs[17];	/* optional: x86; VCPU_REGS_RIP is 16 */
	u32 regs_avail;		/* optional: x86, a u32 on 6.1 and 6.12 */
	u64 tsc_offset;		/* optional: x86; the current one (L1's or L2's), as the CPU adds it */
};

struct kvm_vcpu {
	int vcpu_id;		/* KVM's; on x86 the APIC ID */
	int vcpu_idx;		/* its index in the VM, in creation order: QEMU's CPU index */
	struct kvm_vcpu_arch arch;	/* optional: read only on x86 */
};

/* SVM: arch/x86/kvm/svm/svm.h; vmcb is the current VMCB, L1's or L2's. */
struct vmcb_control_area {	/* optional: kvm_amd; only x86 */
	u32 exit_code;		/* one u64 at the same offset after 6.18: its low half */
	u64 exit_info_1;	/* optional: --slower-than reads it */
	u64 exit_info_2;	/* optional: --slower-than reads it */
};

struct vmcb {			/* optional: kvm_amd; only x86 */
	struct vmcb_control_area control;
};

struct vcpu_svm {		/* optional: kvm_amd; only x86 */
	struct kvm_vcpu vcpu;
	struct vmcb *vmcb;
};

/* VMX: arch/x86/kvm/vmx/vmx.h. The exit reason moved into vcpu_vt with the TDX work (6.16). */
union vmx_exit_reason {		/* optional: kvm_intel; only x86 */
	u32 full;
};

struct vcpu_vmx {		/* optional: kvm_intel; only x86 */
	struct kvm_vcpu vcpu;
	union vmx_exit_reason exit_reason;	/* optional: 6.15 and before */
};

struct vcpu_vt {		/* optional: kvm_intel since 6.16; only x86 */
	union vmx_exit_reason exit_reason;
};

struct vcpu_vmx___vt {		/* optional: kvm_intel since 6.16; only x86 */
	struct kvm_vcpu vcpu;
	struct vcpu_vt vt;	/* optional: since 6.16 */
};

#pragma clang attribute pop

#if defined(__TARGET_ARCH_arm64)
/* arm64 (make ARCH=arm64): bpf_tracing.h reads a uprobe's registers as
 * the UAPI struct user_pt_regs; a fixed layout, so no CO-RE. */
struct user_pt_regs {
	u64 regs[31];
	u64 sp;
	u64 pc;
	u64 pstate;
};
#endif

#endif /* VMEXITPROF_VMLINUX_H */
