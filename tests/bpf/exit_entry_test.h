/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The synthetic-event ABI between tests/bpf/exit_entry_test.bpf.c and its
 * runner tests/bpf/exit_entry_test.c. One BPF_PROG_TEST_RUN of the raw_tp
 * program is one event: ctx_in is a struct ee_event (raw_tp test runs take
 * up to 12 u64 "arguments" of context, which the program reads as this
 * struct), and the run's retval (enum ee_ret) says what the program did.
 * The 32-bit fields are read with 32-bit loads, like the tracepoint's.
 */
#ifndef EXIT_ENTRY_TEST_H
#define EXIT_ENTRY_TEST_H

enum ee_kind {
	EE_EXIT = 1,	/* as kvm:kvm_exit */
	EE_ENTRY = 2,	/* as kvm:kvm_entry */
	EE_UEXIT = 3,	/* as kvm:kvm_userspace_exit: reason is KVM_EXIT_*, isa the errno (s32) */
	EE_KVM_RUN = 4,	/* as kvm:kvm_fpu with load = 1: KVM_RUN entered again; isa 1: as the USDT probe */
	/*
	 * As the tp_btf programs, through their very handlers (bpf/kvm_events.bpf.h)
	 * on the runner's own thread: its task storage, its pid and process start,
	 * the clock. vcpu is vcpu_idx; for an exit, tid is vcpu_id.
	 */
	EE_EXIT_BTF = 5,
	EE_ENTRY_BTF = 6,
};

struct ee_event {
	__u64 kind;	/* enum ee_kind */
	__u64 tid;	/* synthetic thread id: selects the struct inflight slot */
	__u64 now;	/* timestamp in ns, instead of bpf_ktime_get_ns() */
	__u32 pid;	/* process (VM) the thread belongs to */
	__u32 vcpu;	/* vcpu_id of the event */
	__u32 isa;	/* exits only: ISA_VMX or ISA_SVM */
	__u32 reason;	/* exits only: raw exit_reason as the tracepoint gives it */
	__u64 vm_start;	/* the process's start time, as bpf/vmexitprof.bpf.c reads it from the task */
};

enum ee_ret {
	EE_RET_FILTERED,	/* event_wanted() said no: nothing touched */
	EE_RET_HANDLED,		/* passed to record_exit() / record_entry() */
	EE_RET_NO_SLOT,		/* exit: could not create the thread's slot */
	EE_RET_BAD_KIND,	/* unknown kind */
};

#define EE_MAX_THREADS 1024

/*
 * The context of exit_entry_race (and exit_entry_race_nested): n samples
 * of thread tid, alternately on its process's rising key (VCPU_UNKNOWN,
 * up_reason) at up_base + k and its falling key at down_base - k, k
 * taken from a counter shared by every run (see the runner's race
 * scenario); retval: the samples done.
 */
struct ee_race {
	__u64 tid;
	__u64 now;
	__u64 vm_start;
	__u64 up_base;
	__u64 down_base;
	__u32 pid;
	__u32 n;
	__u32 up_reason;
	__u32 down_reason;
	__u32 preemptible;	/* KVM_RUN as the USDT probe sees it */
	__u32 pad;
};

/*
 * The context of read_exit_reason, which runs bpf/vendor.bpf.h's
 * exit_reason_of on stand-in vendor structures the runner lays out in the
 * fake_vendor map's one value from the module's BTF. Offsets are into that
 * value. The program stores there a pointer to ptr_to at ptr_at (svm->vmcb;
 * ptr_at ~0: none), and calls exit_reason_of(value + vcpu_at, isa); its
 * retval is what that returned.
 */
struct ee_vendor_read {
	__u64 isa;
	__u64 vcpu_at;
	__u64 ptr_at;
	__u64 ptr_to;
};

#define EE_FAKE_VENDOR_SIZE (1 << 16)

#endif /* EXIT_ENTRY_TEST_H */
