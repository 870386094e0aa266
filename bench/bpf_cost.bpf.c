// SPDX-License-Identifier: GPL-2.0
/*
 * Native cost of vmexitprof's BPF code, for bench/bpf_cost.c.
 *
 * kvm_exit and kvm_entry never fire on a PVM host, so bench_kvm_exit and
 * bench_kvm_entry (and bench_classic_*) run the very handlers of bpf/vmexitprof.bpf.c
 * (bpf/kvm_events.bpf.h, task storage, clock and all) on the runner's own
 * thread through BPF_PROG_TEST_RUN, which bpf_stats times like any other
 * run. The empty raw_tp pair, run the same way, is the floor: what
 * bpf_stats reads for a program that does nothing (mostly its own clock
 * reads). Two reference pairs, run the same way, show what part of the
 * cost any per-thread exit->entry timer must pay: clock_* only read the
 * clock, timer_* are the least such a timer does (the clock, and a
 * task-storage slot for the exit time). The empty classic-tracepoint
 * programs are the floor on the tracepoints themselves, attached beside
 * vmexitprof's or alone; the empty raw_tp ones the floor of raw
 * tracepoints.
 */
#include "kvm_events.bpf.h"
#include "sched_split.bpf.h"
#include "bpf_cost.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * The exit's details with --slower-than (bpf_cost testrun --slower-than):
 * what the tp_btf program hands on, RIP and SVM's exit info; the probe
 * read of the latter is timed apart (svm_detail_reads).
 */
static const struct exit_detail no_detail = {
	.vcpu_id = 0, .rip = 0xfff0, .info1 = 0x6000, .info2 = 0x402,
	.flags = OUTLIER_RIP | OUTLIER_INFO,
};

/* The default, tp_btf programs' handlers: vcpu_idx and the reason come as arguments. */
SEC("raw_tp")
int bench_kvm_exit(struct bench_kvm_event *ev)
{
	on_kvm_exit_btf(ev->vcpu, ev->vcpu, ev->isa, ev->reason, &no_detail);
	return 0;
}

SEC("raw_tp")
int bench_kvm_entry(struct bench_kvm_event *ev)
{
	on_kvm_entry_btf(ev->vcpu);
	return 0;
}

/* The classic programs' handlers (--attach classic): the vCPU from the thread's name. */
SEC("raw_tp")
int bench_classic_exit(struct bench_kvm_event *ev)
{
	on_kvm_exit(ev->vcpu, ev->isa, ev->reason, &no_detail);
	return 0;
}

SEC("raw_tp")
int bench_classic_entry(struct bench_kvm_event *ev)
{
	on_kvm_entry(ev->vcpu);
	return 0;
}

/*
 * The sched_switch program's handler (bpf/sched_split.bpf.h) for a traced
 * vCPU thread with nothing pending, the runner switching to itself: the
 * pid test and a task-storage lookup on each side, no clock. Run after
 * the entry, so it leaves the exit-entry pair's own figures alone.
 */
SEC("raw_tp")
int bench_sched_switch(void *ctx)
{
	struct task_struct *t = bpf_get_current_task_btf();

	on_sched_switch(t, t, true);
	return 0;
}

/* --halt-msr: an MSR access and a wakeup between the exit and its entry (kvm_msr, kvm_vcpu_wakeup). */
SEC("raw_tp")
int bench_kvm_msr(struct bench_kvm_event *ev)
{
	on_kvm_msr(0, 0x8b, false);
	return 0;
}

SEC("raw_tp")
int bench_kvm_wakeup(struct bench_kvm_event *ev)
{
	on_kvm_vcpu_wakeup(1000, true, true);
	return 0;
}

SEC("raw_tp")
int empty_exit(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int empty_entry(void *ctx)
{
	return 0;
}

SEC("raw_tp")
int clock_exit(void *ctx)
{
	return bpf_ktime_get_ns() != 0;
}

SEC("raw_tp")
int clock_entry(void *ctx)
{
	return bpf_ktime_get_ns() != 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} exit_ns_by_task SEC(".maps");

__u64 timer_total_ns;

SEC("raw_tp")
int timer_exit(void *ctx)
{
	__u64 *t = bpf_task_storage_get(&exit_ns_by_task, bpf_get_current_task_btf(), 0,
					BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (t)
		*t = bpf_ktime_get_ns();
	return 0;
}

SEC("raw_tp")
int timer_entry(void *ctx)
{
	__u64 *t = bpf_task_storage_get(&exit_ns_by_task, bpf_get_current_task_btf(), 0, 0);

	if (t && *t) {
		timer_total_ns += bpf_ktime_get_ns() - *t;
		*t = 0;
	}
	return 0;
}

/*
 * Reference: what the tp_btf kvm_exit program adds on SVM to read the exit
 * reason (exit_reason_of in bpf/vmexitprof.bpf.c): two kernel probe reads,
 * svm->vmcb and then its control.exit_code. Here of the same sizes from
 * this object's own data, since this host has no vcpu_svm.
 */
__u64 svm_vmcb_stand_in;
__u32 svm_exit_code_stand_in;

SEC("raw_tp")
int svm_reason_reads(void *ctx)
{
	__u64 vmcb = 0;
	__u32 code = 0;

	bpf_probe_read_kernel(&vmcb, sizeof(vmcb), &svm_vmcb_stand_in);
	bpf_probe_read_kernel(&code, sizeof(code), &svm_exit_code_stand_in);
	return vmcb + code == 1;
}

/*
 * Reference: the same two reads as --slower-than makes them on SVM
 * (exit_reason_detail_of in bpf/vendor.bpf.h): svm->vmcb, then the exit
 * code with exit_info_1/2 after it, 24 bytes in one read. What
 * --slower-than adds there is this less svm_reason_reads. RIP is two
 * direct loads, not timed apart.
 */
__u64 svm_control_stand_in[3];

SEC("raw_tp")
int svm_detail_reads(void *ctx)
{
	__u64 vmcb = 0, control[3] = {};

	bpf_probe_read_kernel(&vmcb, sizeof(vmcb), &svm_vmcb_stand_in);
	bpf_probe_read_kernel(control, sizeof(control), svm_control_stand_in);
	return vmcb + control[0] + control[1] + control[2] == 1;
}

/* Return 1, as vmexitprof's do, so perf still sees the events. */
SEC("tp/kvm/kvm_userspace_exit")
int empty_userspace_exit(void *ctx)
{
	return 1;
}

SEC("tp/kvm/kvm_fpu")
int empty_fpu(void *ctx)
{
	return 1;
}

SEC("tp/kvm/kvm_pio")
int empty_pio(void *ctx)
{
	return 1;
}

SEC("tp/kvm/kvm_exit")
int empty_tp_exit(void *ctx)
{
	return 1;
}

SEC("tp/kvm/kvm_entry")
int empty_tp_entry(void *ctx)
{
	return 1;
}

/* The floor of raw tracepoints, which skip the classic record: for comparison. */
SEC("raw_tp/kvm_exit")
int empty_raw_exit(void *ctx)
{
	return 0;
}

SEC("raw_tp/kvm_entry")
int empty_raw_entry(void *ctx)
{
	return 0;
}
