/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --bql: how long a vCPU thread's VMM handling waited for QEMU's global
 * mutex, from QEMU's qemu:qemu_mutex_lock and qemu:qemu_mutex_locked USDT
 * probes (they fire for every QemuMutex: the loader passes the global
 * one's address, from the binary's symbol table, as the probes' cookie).
 * Only inside a traced vCPU's VMM handling (a return to userspace whose
 * next KVM_RUN is pending); record_kvm_run() folds the sum in.
 */
#ifndef VMEXITPROF_BQL_BPF_H
#define VMEXITPROF_BQL_BPF_H

#include "kvm_events.bpf.h"

/* The thread asks for the mutex (locked false), or got it (locked true). */
static __always_inline void on_bql(bool locked)
{
	struct inflight *slot = current_slot(bpf_get_current_task_btf(), false);
	__u64 now;

	if (!slot || !slot->uexit_ns)
		return;
	now = bpf_ktime_get_ns();
	if (!locked) {
		slot->bql_lock_ns = now;
		return;
	}
	if (!slot->bql_lock_ns)
		return;
	slot->vmm_bql_ns += now - slot->bql_lock_ns;
	slot->bql_lock_ns = 0;
	slot->state |= INFLIGHT_VMM_SPLIT;
}

#endif /* VMEXITPROF_BQL_BPF_H */
