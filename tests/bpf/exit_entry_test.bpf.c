// SPDX-License-Identifier: GPL-2.0
/*
 * Drives the exit->entry pairing core (bpf/exit_entry.bpf.h) with synthetic
 * events through BPF_PROG_TEST_RUN; tests/bpf/exit_entry_test.c is the
 * runner. Deliberately thin: it only stands in for what
 * bpf/vmexitprof.bpf.c takes from the kernel. Each run's context is one
 * struct ee_event (exit_entry_test.h) instead of the tracepoint record and
 * bpf_ktime_get_ns(), and the per-thread slot lives in a hash map keyed by
 * a synthetic thread id instead of task storage, because every test run
 * happens on the one runner task. Two exceptions run the real thing: the
 * tp_btf handlers on the runner's own thread (EE_EXIT_BTF, EE_ENTRY_BTF),
 * and the vendor reader on stand-in structures (read_exit_reason). The
 * race programs (exit_entry_race) loop the same handlers in bursts, for
 * runs on several CPUs at once.
 */
#include "kvm_events.bpf.h"
#include "vendor.bpf.h"
#include "exit_entry_test.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EE_MAX_THREADS);
	__type(key, __u64);
	__type(value, struct inflight);
} inflight_by_tid SEC(".maps");

/*
 * As current_slot() in bpf/vmexitprof.bpf.c: the thread's slot, created
 * zeroed if need be, with its process's start time filled in.
 */
static __always_inline struct inflight *slot_get(__u64 *tid, __u64 vm_start, bool create)
{
	static const struct inflight zero_slot;
	struct inflight *slot = bpf_map_lookup_elem(&inflight_by_tid, tid);

	if (!slot && create) {
		bpf_map_update_elem(&inflight_by_tid, tid, &zero_slot, BPF_NOEXIST);
		slot = bpf_map_lookup_elem(&inflight_by_tid, tid);
	}
	if (slot && !slot->vm_start)
		slot->vm_start = vm_start;
	return slot;
}

/* Set by the runner: kvm_entry's histogram updates as tp_btf's (plain) or classic's (atomic). */
const volatile bool entry_one_writer = false;

static __always_inline int handle_event(struct ee_event *ev)
{
	__u64 tid = ev->tid, vm_start = ev->vm_start;
	__u32 pid = ev->pid, vcpu;
	struct inflight *slot;

	switch (ev->kind) {
	case EE_EXIT:	/* as kvm_exit in bpf/vmexitprof.bpf.c */
		if (!event_wanted(pid, ev->vcpu))
			return EE_RET_FILTERED;
		slot = slot_get(&tid, vm_start, true);
		record_exit(slot, ev->now, ev->vcpu, ev->isa, ev->reason);
		return slot ? EE_RET_HANDLED : EE_RET_NO_SLOT;
	case EE_ENTRY:	/* as kvm_entry: no slot yet means NULL */
		if (!event_wanted(pid, ev->vcpu))
			return EE_RET_FILTERED;
		record_entry(slot_get(&tid, vm_start, false), ev->now, pid, !entry_one_writer);
		return EE_RET_HANDLED;
	case EE_UEXIT:	/* as kvm_userspace_exit; vcpu stands in for the comm's */
		if (!pid_wanted(pid))
			return EE_RET_FILTERED;
		vcpu = ev->vcpu;	/* read ctx once: no pointer arithmetic on it */
		slot = slot_get(&tid, vm_start, false);
		if (slot && (slot->state & INFLIGHT_VCPU_KNOWN))
			vcpu = slot->vcpu;
		if (!vcpu_wanted(vcpu))
			return EE_RET_FILTERED;
		/* Only now create the slot, for the VMM handling time. */
		if (!slot)
			slot = slot_get(&tid, vm_start, true);
		record_userspace_exit(slot, ev->now, pid, slot ? slot->vm_start : vm_start, vcpu,
				      ev->reason, (int)ev->isa);
		return EE_RET_HANDLED;
	case EE_KVM_RUN:	/* as kvm_fpu load */
		if (!pid_wanted(pid))
			return EE_RET_FILTERED;
		record_kvm_run(slot_get(&tid, vm_start, false), ev->now, pid, ev->isa);
		return EE_RET_HANDLED;
	case EE_EXIT_BTF:	/* as kvm_exit_btf: pid is the runner's own */
		vcpu = ev->vcpu;
		if (!event_wanted(bpf_get_current_pid_tgid() >> 32, vcpu))
			return EE_RET_FILTERED;
		on_kvm_exit_btf(vcpu, tid, ev->isa, ev->reason);
		return EE_RET_HANDLED;
	case EE_ENTRY_BTF:	/* as kvm_entry_btf */
		vcpu = ev->vcpu;
		if (!event_wanted(bpf_get_current_pid_tgid() >> 32, vcpu))
			return EE_RET_FILTERED;
		on_kvm_entry_btf(vcpu);
		return EE_RET_HANDLED;
	}
	return EE_RET_BAD_KIND;
}

SEC("raw_tp")
int exit_entry_event(struct ee_event *ev)
{
	return handle_event(ev);
}

/* The race scenario's: the next sample's offset from its base, per key (0 rising, 1 falling). */
__u64 race_next[2];
/* Samples after which the key's max (min) was short of (beyond) the sample just recorded. */
__u64 race_lost[2];

struct race_loop {
	__u64 tid, now, vm_start;
	__u32 pid, preemptible;
	__u64 base[2];
	__u32 reason[2];
};

/*
 * One sample of the burst: a return to userspace and the next KVM_RUN,
 * through the very handlers, on key i % 2, with a time beyond every one
 * taken before it (above on the rising key, below on the falling); then
 * the key's max (min) must hold it, as they never go back.
 */
static long race_one(__u64 i, void *data)
{
	struct race_loop *l = data;
	__u32 down = i & 1;
	struct hist_key key = { .pid = l->pid, .vm_start = l->vm_start, .vcpu = VCPU_UNKNOWN,
				.isa = ISA_VMM };
	__u64 tid = l->tid, seq, v, now = l->now + i * 10000000ULL;
	struct inflight *slot = bpf_map_lookup_elem(&inflight_by_tid, &tid);
	struct hist *h;

	if (!slot)
		return 1;
	key.reason = l->reason[down];
	seq = __sync_fetch_and_add(&race_next[down], 1);
	v = down ? l->base[1] - seq : l->base[0] + seq;
	record_userspace_exit(slot, now, l->pid, slot->vm_start, VCPU_UNKNOWN, key.reason, 0);
	record_kvm_run(slot, now + v, l->pid, l->preemptible);
	h = bpf_map_lookup_elem(&hists, &key);
	if (h && (down ? *(volatile __u64 *)&h->min_ns > v : *(volatile __u64 *)&h->max_ns < v))
		__sync_fetch_and_add(&race_lost[down], 1);
	return 0;
}

static __always_inline int race_burst(struct ee_race *ctx)
{
	struct race_loop l = {
		.tid = ctx->tid, .now = ctx->now, .vm_start = ctx->vm_start, .pid = ctx->pid,
		.preemptible = ctx->preemptible, .base = { ctx->up_base, ctx->down_base },
		.reason = { ctx->up_reason, ctx->down_reason },
	};

	return bpf_loop(ctx->n, race_one, &l, 0);
}

/*
 * A burst of samples of one thread on two shared keys, for the runner's
 * race scenario: several threads' bursts on several CPUs at once. Loaded
 * only there (bpf_loop: 5.17+).
 */
SEC("raw_tp")
int exit_entry_race(struct ee_race *ctx)
{
	return race_burst(ctx);
}

/*
 * The same, a program of its own for bursts sent by IPI into another
 * thread's burst on its CPU: the x86 JIT gives a program one private stack
 * per CPU (6.13+), not one for each of two of its own runs at once.
 */
SEC("raw_tp")
int exit_entry_race_nested(struct ee_race *ctx)
{
	return race_burst(ctx);
}

struct ee_fake_vendor {
	__u8 bytes[EE_FAKE_VENDOR_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ee_fake_vendor);
} fake_vendor SEC(".maps");

SEC("raw_tp")
int read_exit_reason(struct ee_vendor_read *ctx)
{
	__u64 vcpu_at = ctx->vcpu_at, ptr_at = ctx->ptr_at, ptr_to = ctx->ptr_to;
	__u32 zero = 0, isa = ctx->isa;
	__u8 *fake = bpf_map_lookup_elem(&fake_vendor, &zero);
	__u64 self_at = EE_FAKE_VENDOR_SIZE - 8;
	__u64 vcpu;

	if (!fake || vcpu_at >= self_at)
		return 0;
	if (ptr_at < self_at && ptr_to < EE_FAKE_VENDOR_SIZE)
		*(__u64 *)(fake + ptr_at) = (__u64)(fake + ptr_to);
	/*
	 * The vCPU's address as a plain number, as the tracepoint's would be to
	 * exit_reason_of: stored, and read back with a probe read.
	 */
	*(__u64 *)(fake + self_at) = (__u64)(fake + vcpu_at);
	if (bpf_probe_read_kernel(&vcpu, sizeof(vcpu), fake + self_at))
		return 0;
	return exit_reason_of((struct kvm_vcpu *)vcpu, isa);
}
