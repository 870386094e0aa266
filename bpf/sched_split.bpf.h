/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where an exit's time went off the CPU: sched_switch and sched_wakeup,
 * for the traced vCPU threads only. A thread switched out while one of
 * its exits (or a VMM handling) is pending starts an off-CPU period; its
 * wakeup ends the blocked part, and its switch back in the runnable part
 * (a preempted thread is runnable from the start). Each part is added to
 * the pending exit's and VMM handling's sums in the thread's slot, which
 * record_entry() and record_kvm_run() fold into the histograms. Nothing
 * is read per exit: these run per context switch, and every switch on
 * the host runs them, so each does the cheap pid test first and then one
 * task-storage lookup per side (bench/bpf_cost's sched figures).
 */
#ifndef VMEXITPROF_SCHED_SPLIT_BPF_H
#define VMEXITPROF_SCHED_SPLIT_BPF_H

#include "kvm_events.bpf.h"

/* An off-CPU part of d ns, blocked or runnable, to whatever the thread has pending. */
static __always_inline void split_add_off(struct inflight *slot, __u64 d, bool blocked)
{
	if (slot->exit_ns) {
		if (blocked)
			slot->exit_blocked_ns += d;
		else
			slot->exit_runnable_ns += d;
		slot->state |= INFLIGHT_EXIT_SPLIT;
	}
	if (slot->uexit_ns) {
		if (blocked)
			slot->vmm_blocked_ns += d;
		else
			slot->vmm_runnable_ns += d;
		slot->state |= INFLIGHT_VMM_SPLIT;
	}
}

/* A traced thread's slot, without creating one; NULL for any other task. */
static __always_inline struct inflight *traced_slot(struct task_struct *task)
{
	/* The pid filter first: it spares the lookup for every other process's switches. */
	if (!task->pid || !pid_wanted(task->tgid))
		return NULL;
	return bpf_task_storage_get(&inflight_by_task, task, 0, 0);
}

/*
 * prev leaves the CPU (runnable: preempted, or still TASK_RUNNING), next
 * comes on. now is read only where a traced thread is involved.
 */
static __always_inline void on_sched_switch(struct task_struct *prev, struct task_struct *next,
					    bool runnable)
{
	struct inflight *slot = traced_slot(prev);
	__u64 now = 0;

	if (slot && (slot->exit_ns || slot->uexit_ns)) {
		now = bpf_ktime_get_ns();
		slot->off_ns = now;
		if (runnable)
			slot->state &= ~INFLIGHT_OFF_BLOCKED;
		else
			slot->state |= INFLIGHT_OFF_BLOCKED;
	}
	slot = traced_slot(next);
	if (slot && slot->off_ns) {
		if (!now)
			now = bpf_ktime_get_ns();
		split_add_off(slot, now - slot->off_ns, slot->state & INFLIGHT_OFF_BLOCKED);
		slot->off_ns = 0;
		slot->state &= ~INFLIGHT_OFF_BLOCKED;
	}
}

/* p is woken: its sleep ends, its wait for a CPU begins. */
static __always_inline void on_sched_wakeup(struct task_struct *p)
{
	struct inflight *slot = traced_slot(p);
	__u64 now;

	if (!slot || !slot->off_ns || !(slot->state & INFLIGHT_OFF_BLOCKED))
		return;
	now = bpf_ktime_get_ns();
	split_add_off(slot, now - slot->off_ns, true);
	slot->off_ns = now;
	slot->state &= ~INFLIGHT_OFF_BLOCKED;
}

#endif /* VMEXITPROF_SCHED_SPLIT_BPF_H */
