/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What each kvm tracepoint does, with the tracepoint's fields as scalar
 * arguments: bpf/vmexitprof.bpf.c calls these from its programs, and
 * bench/bpf_cost.bpf.c runs the same code through BPF_PROG_TEST_RUN to
 * time it natively where kvm_exit never fires. Pairs per thread (task
 * storage), never per CPU: a vCPU thread may be preempted and migrate
 * between exit and entry.
 */
#ifndef VMEXITPROF_KVM_EVENTS_BPF_H
#define VMEXITPROF_KVM_EVENTS_BPF_H

#include "exit_entry.bpf.h"
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight_by_task SEC(".maps");

/*
 * Every VM (pid, start) that had a thread traced, with its process name:
 * the loader names VMs from /proc while they run, and from here those
 * that came and went between two of its looks. Sized from --max-keys.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DEFAULT_MAX_HIST_KEYS);
	__type(key, struct vm_id);
	__type(value, struct vm_seen);
} vms_seen SEC(".maps");

/* The vCPUs whose vcpu_id differs from their number (struct vcpu_id_key); sized from --max-keys. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DEFAULT_MAX_HIST_KEYS);
	__type(key, struct vcpu_id_key);
	__type(value, __u32);
} vcpu_ids SEC(".maps");

/* /proc's unit for a process's start time; the loader sets it from sysconf(_SC_CLK_TCK). */
const volatile __u64 ns_per_clock_tick = 10000000;

/* When the current thread's process started, as /proc/PID/stat says: part of the VM's identity. */
static __always_inline __u64 current_vm_start(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_boottime) / ns_per_clock_tick;
}

static __always_inline void note_vm(struct task_struct *task, __u64 start)
{
	struct vm_id id = { .pid = bpf_get_current_pid_tgid() >> 32, .start = start };
	struct vm_seen seen = {};
	int err;

	BPF_CORE_READ_STR_INTO(&seen.comm, task, group_leader, comm);
	/* int: before 6.2 only the low half of this helper's return is valid (see hist_insert). */
	err = bpf_map_update_elem(&vms_seen, &id, &seen, BPF_NOEXIST);
	if (err && err != -EEXIST)
		count_event(CNT_VMS_SEEN_FULL);
}

/*
 * The current thread's slot (task is bpf_get_current_task_btf()), created
 * if create is set. Task storage dies with its task, so a new thread that
 * gets a dead one's id starts afresh.
 */
static __always_inline struct inflight *current_slot(struct task_struct *task, bool create)
{
	struct inflight *slot;

	slot = bpf_task_storage_get(&inflight_by_task, task, 0,
				    create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	if (slot && !slot->vm_start) {
		/* The thread's first traced event. */
		slot->vm_start = current_vm_start(task);
		note_vm(task, slot->vm_start);
	}
	return slot;
}

/*
 * The current thread, and its process id read through it: one helper call
 * where bpf_get_current_pid_tgid() would be a second one on every event.
 */
static __always_inline struct task_struct *current_task(__u32 *pid)
{
	struct task_struct *task = bpf_get_current_task_btf();

	*pid = task->tgid;
	return task;
}

/* "CPU 12/KVM", QEMU's name for a vCPU thread (testvmm's too): 12. */
static __always_inline __u32 vcpu_from_comm(void)
{
	char comm[16];
	__u32 id = 0;
	int i;

	if (bpf_get_current_comm(comm, sizeof(comm)) ||
	    comm[0] != 'C' || comm[1] != 'P' || comm[2] != 'U' || comm[3] != ' ')
		return VCPU_UNKNOWN;
	for (i = 4; i < 9; i++) {
		if (comm[i] < '0' || comm[i] > '9')
			break;
		id = id * 10 + (comm[i] - '0');
	}
	if (i == 4 || comm[i] != '/')
		return VCPU_UNKNOWN;
	return id;
}

/*
 * QEMU's CPU index of the current thread, from its name, read once per
 * thread (slot may be NULL: then read every time).
 */
static __always_inline __u32 thread_cpu_index(struct inflight *slot)
{
	__u32 index;

	if (slot && (slot->state & INFLIGHT_COMM_READ))
		return slot->comm_vcpu;	/* bpf_get_current_comm is dear */
	index = vcpu_from_comm();
	if (slot) {
		slot->comm_vcpu = index;
		slot->state |= INFLIGHT_COMM_READ;
	}
	return index;
}

/*
 * The number an exit's vCPU goes by: QEMU's CPU index where the thread is
 * named "CPU n/KVM", else the tracepoint's vcpu_id. The first time a
 * thread's two numbers differ (topologies with gaps in the APIC IDs),
 * its vcpu_id is noted in vcpu_ids for the report.
 */
/* Once per thread: note its vcpu_id where it differs from its number. */
static __always_inline void note_vcpu_id(struct inflight *slot, __u32 pid, __u32 vcpu, __u32 vcpu_id)
{
	if (!slot || (slot->state & INFLIGHT_VCPU_ID_NOTED))
		return;
	slot->state |= INFLIGHT_VCPU_ID_NOTED;
	if (vcpu_id != vcpu && vcpu_id != VCPU_UNKNOWN) {
		struct vcpu_id_key key = { .pid = pid, .vcpu = vcpu, .vm_start = slot->vm_start };

		bpf_map_update_elem(&vcpu_ids, &key, &vcpu_id, BPF_ANY);
	}
}

static __always_inline __u32 exit_vcpu(struct inflight *slot, __u32 pid, __u32 vcpu_id)
{
	__u32 index = thread_cpu_index(slot);

	if (index == VCPU_UNKNOWN)
		return vcpu_id;
	note_vcpu_id(slot, pid, index, vcpu_id);
	return index;
}

/*
 * kvm_exit, classic tracepoint: the vCPU is numbered from the thread's
 * name (vcpu_id, and isa ISA_VMX, are what kernels without those fields
 * get: VCPU_UNKNOWN and VMX).
 */
static __always_inline void on_kvm_exit(__u32 vcpu_id, __u32 isa, __u32 exit_reason,
					const struct exit_detail *d)
{
	__u32 pid, vcpu;
	struct task_struct *task = current_task(&pid);
	struct inflight *slot;

	if (!pid_wanted(pid))
		return;
	slot = current_slot(task, true);
	vcpu = exit_vcpu(slot, pid, vcpu_id);
	if (!vcpu_wanted(vcpu))
		return;
	record_exit(slot, bpf_ktime_get_ns(), vcpu, isa, exit_reason);
	if (slower_than_ns && slot)
		outlier_note_exit(&slot->ox, d);
}

/* kvm_exit, BTF-typed: vcpu_idx is KVM's own number of the vCPU, no name to read. */
static __always_inline void on_kvm_exit_btf(__u32 vcpu_idx, __u32 vcpu_id, __u32 isa,
					    __u32 exit_reason, const struct exit_detail *d)
{
	__u32 pid;
	struct task_struct *task = current_task(&pid);
	struct inflight *slot;

	if (!event_wanted(pid, vcpu_idx))
		return;
	slot = current_slot(task, true);
	note_vcpu_id(slot, pid, vcpu_idx, vcpu_id);
	record_exit(slot, bpf_ktime_get_ns(), vcpu_idx, isa, exit_reason);
	if (slower_than_ns && slot)
		outlier_note_exit(&slot->ox, d);
}

static __always_inline void on_kvm_entry_btf(__u32 vcpu_idx)
{
	__u32 pid;
	struct task_struct *task = current_task(&pid);

	if (!event_wanted(pid, vcpu_idx))
		return;
	/* One writer per histogram: its key has vcpu_idx, and KVM_RUN holds the vCPU's mutex. */
	record_entry(current_slot(task, false), bpf_ktime_get_ns(), pid, false);
}

static __always_inline void on_kvm_entry(__u32 vcpu_id)
{
	__u32 pid;
	struct task_struct *task = current_task(&pid);
	struct inflight *slot;

	if (!pid_wanted(pid))
		return;
	slot = current_slot(task, false);
	/* The exit's numbering, cached in the slot: a filtered vCPU's entries are ignored too. */
	if (filter_vcpus && !vcpu_wanted(slot ? exit_vcpu(slot, pid, vcpu_id) : vcpu_id))
		return;
	/* Numbered from thread names, two threads could share a key: atomics. */
	record_entry(slot, bpf_ktime_get_ns(), pid, true);
}


/* kvm_userspace_exit: fires even where kvm_exit does not (PVM). */
static __always_inline void on_kvm_userspace_exit(__u32 reason, int err)
{
	__u32 pid, vcpu;
	struct task_struct *task = current_task(&pid);
	struct inflight *slot;

	if (!pid_wanted(pid))
		return;
	slot = current_slot(task, false);
	if (slot && (slot->state & INFLIGHT_VCPU_KNOWN))
		vcpu = slot->vcpu;	/* numbered at its exit */
	else
		vcpu = thread_cpu_index(slot);
	if (!vcpu_wanted(vcpu))
		return;
	/* Only now create the slot, for the VMM handling time (no kvm_exit on PVM). */
	if (!slot) {
		slot = current_slot(task, true);
		if (slot) {
			slot->comm_vcpu = vcpu;
			slot->state |= INFLIGHT_COMM_READ;
		}
	}
	record_userspace_exit(slot, bpf_ktime_get_ns(), pid,
			      slot ? slot->vm_start : current_vm_start(task),
			      vcpu, reason, err);
}

/*
 * The thread is entering KVM_RUN again: the VMM's handling under way, if
 * any, ends. preemptible: called from a uprobe (USDT) program.
 */
static __always_inline void kvm_run_entered(bool preemptible)
{
	__u32 pid;
	struct task_struct *task = current_task(&pid);

	if (pid_wanted(pid))
		record_kvm_run(current_slot(task, false), bpf_ktime_get_ns(), pid, preemptible);
}

/*
 * For a target's port or MMIO event: false if not a target's; else *slot
 * is the current thread's, created if need be (NULL if it cannot be), and
 * key's VM is filled in.
 */
static __always_inline bool io_slot(struct io_key *key, struct inflight **slot)
{
	struct task_struct *task = current_task(&key->pid);

	if (!pid_wanted(key->pid))
		return false;
	*slot = current_slot(task, true);
	key->vm_start = *slot ? (*slot)->vm_start : current_vm_start(task);
	return true;
}

/*
 * kvm_pio fires for a read only once it is satisfied: at once where the
 * kernel satisfies it, else in the next KVM_RUN, after the VMM did
 * (complete_emulator_pio_in, 6.x). That completion is the read the
 * thread's last return to userspace handed over (record_pio_read_done).
 */
static __always_inline void on_kvm_pio(__u32 rw, __u32 size, __u32 port)
{
	struct io_key key = { .kind = IO_KIND_PIO };
	struct inflight *slot;

	if (!io_slot(&key, &slot))
		return;
	key.dir = rw ? IO_DIR_WRITE : IO_DIR_READ;
	key.size = size;
	key.addr = port;
	if (!rw && slot && (slot->state & INFLIGHT_PIO_READ_IN_VMM))
		record_pio_read_done(slot, &key);
	else
		record_io(slot, &key);
}

/* kvm_mmio type: 0 a read the VMM must satisfy, 1 read, 2 write. */
static __always_inline void on_kvm_mmio(__u32 type, __u32 len, __u64 gpa)
{
	struct io_key key = { .kind = IO_KIND_MMIO };
	struct inflight *slot;

	if (!io_slot(&key, &slot))
		return;
	if (!slot) {
		/* No slot, so no telling a completion from an access: count none twice. */
		if (type == 1)
			return;
		goto tally;
	}
	/* A read handed to the VMM is traced again when it completes: count it once. */
	if (type == 1 && (slot->state & INFLIGHT_MMIO_READ)) {
		slot->state &= ~INFLIGHT_MMIO_READ;
		return;
	}
	if (type == 0)
		slot->state |= INFLIGHT_MMIO_READ;
tally:
	key.dir = type == 2 ? IO_DIR_WRITE : IO_DIR_READ;
	key.size = len;
	key.addr = gpa & MMIO_PAGE_MASK;
	record_io(slot, &key);
}

/* kvm_msr: write 0 a read, 1 a write; exception: KVM injected #GP for it. */
static __always_inline void on_kvm_msr(__u32 write, __u32 index, bool exception)
{
	struct io_key key = { .kind = IO_KIND_MSR };
	struct inflight *slot;

	if (!io_slot(&key, &slot))
		return;
	key.dir = write ? IO_DIR_WRITE : IO_DIR_READ;
	key.addr = index;
	record_tally(slot, &key, exception);
}

/* kvm_cpuid: the leaf and subleaf (EAX and ECX) the guest asked for. */
static __always_inline void on_kvm_cpuid(__u32 leaf, __u32 subleaf)
{
	struct io_key key = { .kind = IO_KIND_CPUID };
	struct inflight *slot;

	if (!io_slot(&key, &slot))
		return;
	key.addr = (__u64)leaf << 32 | subleaf;
	record_tally(slot, &key, false);
}

/*
 * kvm_vcpu_wakeup: a halted vCPU is running again (kvm_vcpu_halt). Its
 * thread is the vCPU's, numbered as its last exit was (else by its name).
 */
static __always_inline void on_kvm_vcpu_wakeup(__u64 ns, bool waited, bool valid)
{
	__u32 pid, vcpu;
	struct task_struct *task = current_task(&pid);
	struct inflight *slot;

	if (!pid_wanted(pid))
		return;
	slot = current_slot(task, true);
	if (slot && (slot->state & INFLIGHT_VCPU_KNOWN))
		vcpu = slot->vcpu;
	else
		vcpu = thread_cpu_index(slot);
	if (!vcpu_wanted(vcpu))
		return;
	record_wakeup(slot, bpf_ktime_get_ns(), pid, slot ? slot->vm_start : current_vm_start(task),
		      vcpu, ns, waited, valid);
}

#endif /* VMEXITPROF_KVM_EVENTS_BPF_H */
