/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --slower-than: the exits whose exit->entry time reaches a threshold,
 * each sent whole through a ring buffer (struct outlier_event); every
 * other exit pays one compare. What the event needs from the exit (its
 * CPU, guest RIP, exit info) waits in the thread's slot with the exit.
 * With the threshold 0 (the default) the verifier drops all of it: the
 * loader sets it before load. Also the vCPUs' TSC offsets for classic
 * tracepoints (kvm_write_tsc_offset), for the guest TSC at the exit.
 */
#ifndef VMEXITPROF_OUTLIERS_BPF_H
#define VMEXITPROF_OUTLIERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vmexitprof.h"

/* --slower-than in ns; 0: off. */
const volatile __u64 slower_than_ns = 0;
/* The sched programs run (not --no-sched): an exit's off-CPU parts are known (sched_split.bpf.h). */
const volatile bool outlier_off_cpu = false;

/* The loader sizes it (a power of two of pages); a page when off. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} outliers SEC(".maps");

/*
 * Classic tracepoints carry no vCPU to read the TSC offset from (the
 * tp_btf program does: bpf/vendor.bpf.h), so kvm_write_tsc_offset keeps
 * each vCPU's here, and the loader seeds the vCPUs that were there before
 * it attached from debugfs (BPF_NOEXIST, so a write seen first wins). LRU:
 * exited VMs' entries give way; a vCPU evicted (past TSC_OFFSET_VCPUS) or
 * never seen gets no OUTLIER_TSC_OFFSET, and userspace takes debugfs's
 * offset when the event arrives. The loader sizes it; one entry when unused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct tsc_offset_key);
	__type(value, __s64);
} tsc_offsets SEC(".maps");

/* What an outlier needs from its exit, kept in the slot until the entry. */
struct outlier_exit {
	__u64 rip;		/* valid with OUTLIER_RIP */
	__u64 info1, info2;	/* valid with OUTLIER_INFO */
	__u64 vmm_ns;		/* valid with OUTLIER_VMM_TIMED */
	__s64 tsc_offset;	/* valid with OUTLIER_TSC_OFFSET */
	__u32 vcpu_id;
	__u32 exit_cpu;
	__u32 uexit_reason;	/* valid with OUTLIER_TO_USERSPACE (or _ERRNO: the errno) */
	__u16 flags;		/* OUTLIER_* */
	__u16 pad;
};

/* The exit's details as the tracepoint's program read them (flags say which). */
struct exit_detail {
	__u64 rip, info1, info2;
	__s64 tsc_offset;
	__u32 vcpu_id;
	__u16 flags;		/* OUTLIER_RIP, OUTLIER_INFO, OUTLIER_TSC_OFFSET */
	__u16 pad;
};

/* Classic kvm_exit: the exit's vCPU's TSC offset, where one was seen or seeded. */
static __always_inline void tsc_offset_note(__u32 vcpu_id, struct exit_detail *d)
{
	struct tsc_offset_key k = { .pid = bpf_get_current_pid_tgid() >> 32, .vcpu_id = vcpu_id };
	__s64 *offset = bpf_map_lookup_elem(&tsc_offsets, &k);

	if (offset) {
		d->tsc_offset = *offset;
		d->flags |= OUTLIER_TSC_OFFSET;
	}
}

/* kvm_write_tsc_offset, in the process that set it (its vCPU thread, or the VMM creating or restoring it). */
static __always_inline void tsc_offset_set(__u32 vcpu_id, __u64 next_offset)
{
	struct tsc_offset_key k = { .pid = bpf_get_current_pid_tgid() >> 32, .vcpu_id = vcpu_id };
	__s64 offset = (__s64)next_offset;

	bpf_map_update_elem(&tsc_offsets, &k, &offset, BPF_ANY);
}

/* kvm_exit: keep the exit's details for its entry. Only with --slower-than. */
static __always_inline void outlier_note_exit(struct outlier_exit *x, const struct exit_detail *d)
{
	x->flags = d->flags;
	x->rip = d->rip;
	x->info1 = d->info1;
	x->info2 = d->info2;
	x->tsc_offset = d->tsc_offset;
	x->vcpu_id = d->vcpu_id;
	x->exit_cpu = bpf_get_smp_processor_id();
}

/* kvm_userspace_exit of a pending exit: reason, or -err where KVM_RUN failed (EINTR). */
static __always_inline void outlier_note_uexit(struct outlier_exit *x, __u32 reason, int err)
{
	if (err < 0) {
		x->uexit_reason = -err;
		x->flags |= OUTLIER_TO_USERSPACE | OUTLIER_UEXIT_ERRNO;
	} else {
		x->uexit_reason = reason;
		x->flags |= OUTLIER_TO_USERSPACE;
	}
}

/* The next KVM_RUN of a pending exit: the VMM's handling time of it. */
static __always_inline void outlier_note_vmm(struct outlier_exit *x, __u64 vmm_ns)
{
	x->vmm_ns = vmm_ns;
	x->flags |= OUTLIER_VMM_TIMED;
}

/*
 * kvm_entry of an exit that took delta >= slower_than_ns: send it. Returns
 * false where the ring buffer was full: the caller counts it lost.
 */
static __always_inline bool outlier_send(const struct outlier_exit *x, const struct hist_key *key,
					 __u64 exit_ns, __u64 delta, __u64 runnable_ns, __u64 blocked_ns)
{
	struct outlier_event *e = bpf_ringbuf_reserve(&outliers, sizeof(*e), 0);

	if (!e)
		return false;
	e->exit_ns = exit_ns;
	e->duration_ns = delta;
	e->vm_start = key->vm_start;
	e->rip = x->rip;
	e->info1 = x->info1;
	e->info2 = x->info2;
	e->vmm_ns = x->vmm_ns;
	e->runnable_ns = runnable_ns;
	e->blocked_ns = blocked_ns;
	e->tsc_offset = x->tsc_offset;
	e->pid = key->pid;
	e->tid = (__u32)bpf_get_current_pid_tgid();
	e->vcpu = key->vcpu;
	e->vcpu_id = x->vcpu_id;
	e->reason = key->reason;
	e->uexit_reason = x->uexit_reason;
	e->isa = key->isa;
	e->flags = x->flags | (key->flags & HIST_FLAG_FAILED_VMENTRY ? OUTLIER_FAILED_VMENTRY : 0) |
		   (outlier_off_cpu ? OUTLIER_OFF_CPU : 0);
	e->exit_cpu = x->exit_cpu;
	e->entry_cpu = bpf_get_smp_processor_id();
	bpf_ringbuf_submit(e, 0);
	return true;
}

#endif /* VMEXITPROF_OUTLIERS_BPF_H */
