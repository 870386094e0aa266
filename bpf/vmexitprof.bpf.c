// SPDX-License-Identifier: GPL-2.0
/*
 * kvm:kvm_exit -> kvm:kvm_entry latency per VM, vCPU and exit reason,
 * aggregated in the kernel. Pairs per thread (task storage), never per
 * CPU: a vCPU thread may be preempted and migrate between exit and entry.
 *
 * Every program returns 1: for classic tracepoints a 0 would drop the
 * event from perf (perf kvm stat) as well.
 */
#include "exit_entry.bpf.h"
#include <bpf/bpf_core_read.h>
#include <bpf/usdt.bpf.h>

/* linux/kvm.h: _IO(KVMIO, 0x80). */
#define KVM_RUN_IOCTL 0xae80

char LICENSE[] SEC("license") = "GPL";

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

	BPF_CORE_READ_STR_INTO(&seen.comm, task, group_leader, comm);
	bpf_map_update_elem(&vms_seen, &id, &seen, BPF_NOEXIST);
}

/*
 * The current thread's slot, created if create is set. Task storage dies
 * with its task, so a new thread that gets a dead one's id starts afresh.
 */
static __always_inline struct inflight *current_slot(bool create)
{
	struct task_struct *task = bpf_get_current_task_btf();
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

SEC("tp/kvm/kvm_exit")
int kvm_exit(struct trace_event_raw_kvm_exit *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u32 vcpu = VCPU_UNKNOWN, isa = ISA_VMX;
	struct inflight *slot;

	/* vcpu_id came with 5.x, isa with SVM support: older kernels lack them. */
	if (bpf_core_field_exists(ctx->vcpu_id))
		vcpu = ctx->vcpu_id;
	if (bpf_core_field_exists(ctx->isa))
		isa = ctx->isa;
	if (!event_wanted(pid, vcpu))
		return 1;
	slot = current_slot(true);
	if (slot)
		record_exit(slot, bpf_ktime_get_ns(), vcpu, isa, ctx->exit_reason);
	return 1;
}

SEC("tp/kvm/kvm_entry")
int kvm_entry(struct trace_event_raw_kvm_entry *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (!event_wanted(pid, ctx->vcpu_id))
		return 1;
	record_entry(current_slot(false), bpf_ktime_get_ns(), pid);
	return 1;
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

/* Fires even where kvm_exit does not (PVM). */
SEC("tp/kvm/kvm_userspace_exit")
int kvm_userspace_exit(struct trace_event_raw_kvm_userspace_exit *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct inflight *slot;
	__u32 vcpu;

	if (!pid_wanted(pid))
		return 1;
	slot = current_slot(false);
	vcpu = slot && (slot->marks & INFLIGHT_VCPU_KNOWN) ? slot->vcpu : vcpu_from_comm();
	if (!vcpu_wanted(vcpu))
		return 1;
	/* Only now create the slot, for the VMM handling time (no kvm_exit on PVM). */
	if (!slot)
		slot = current_slot(true);
	record_userspace_exit(slot, bpf_ktime_get_ns(), pid,
			      slot ? slot->vm_start : current_vm_start(bpf_get_current_task_btf()),
			      vcpu, ctx->reason, ctx->errno);
	return 1;
}

/* The thread is entering KVM_RUN again: the VMM's handling under way, if any, ends. */
static __always_inline void kvm_run_entered(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (pid_wanted(pid))
		record_kvm_run(current_slot(false), bpf_ktime_get_ns(), pid);
}

/*
 * kvm_fpu load fires as KVM_RUN enters (on 6.1, 6.12 and 6.18, PVM too),
 * so it ends the VMM's handling without a uprobe or a syscall tracepoint.
 */
SEC("tp/kvm/kvm_fpu")
int kvm_fpu(struct trace_event_raw_kvm_fpu *ctx)
{
	if (ctx->load)
		kvm_run_entered();
	return 1;
}

/*
 * The other two ways to see the next KVM_RUN (--vmm-time), loaded only when
 * chosen. QEMU's USDT probes bracket the VMM's own view: kvm_run_exit right
 * after KVM_RUN returned, kvm_vcpu_ioctl right before it is called again.
 */
SEC("usdt")
int BPF_USDT(qemu_kvm_run_exit, int cpu_index, __u32 reason)
{
	struct inflight *slot = current_slot(false);

	/* Restart the clock kvm_userspace_exit started, now that QEMU has it. */
	if (slot && slot->uexit_ns)
		slot->uexit_ns = bpf_ktime_get_ns();
	return 0;
}

SEC("usdt")
int BPF_USDT(qemu_kvm_vcpu_ioctl, int cpu_index, int type)
{
	if (type == KVM_RUN_IOCTL)
		kvm_run_entered();
	return 0;
}

/* The last resort: every task on the host then takes the syscall trace path. */
SEC("tp/syscalls/sys_enter_ioctl")
int sys_enter_ioctl(struct syscall_trace_enter *ctx)
{
	if (ctx->args[1] == KVM_RUN_IOCTL)
		kvm_run_entered();
	return 1;
}

/* Slot of the current thread, created if need be, for a target's event; fills key's VM. */
static __always_inline struct inflight *io_slot(struct io_key *key)
{
	struct inflight *slot;

	key->pid = bpf_get_current_pid_tgid() >> 32;
	if (!pid_wanted(key->pid))
		return NULL;
	slot = current_slot(true);
	if (slot)
		key->vm_start = slot->vm_start;
	return slot;
}

SEC("tp/kvm/kvm_pio")
int kvm_pio(struct trace_event_raw_kvm_pio *ctx)
{
	struct io_key key = { .kind = IO_KIND_PIO };
	struct inflight *slot = io_slot(&key);

	if (!slot)
		return 1;
	key.dir = ctx->rw ? IO_DIR_WRITE : IO_DIR_READ;
	key.size = ctx->size;
	key.addr = ctx->port;
	record_io(slot, &key);
	return 1;
}

/* kvm_mmio type: 0 a read the VMM must satisfy, 1 read, 2 write. */
SEC("tp/kvm/kvm_mmio")
int kvm_mmio(struct trace_event_raw_kvm_mmio *ctx)
{
	struct io_key key = { .kind = IO_KIND_MMIO };
	struct inflight *slot = io_slot(&key);
	__u32 type = ctx->type;

	if (!slot)
		return 1;
	/* A read handed to the VMM is traced again when it completes: count it once. */
	if (type == 1 && (slot->marks & INFLIGHT_MMIO_READ)) {
		slot->marks &= ~INFLIGHT_MMIO_READ;
		return 1;
	}
	if (type == 0)
		slot->marks |= INFLIGHT_MMIO_READ;
	key.dir = type == 2 ? IO_DIR_WRITE : IO_DIR_READ;
	key.size = ctx->len;
	key.addr = ctx->gpa & MMIO_PAGE_MASK;
	record_io(slot, &key);
	return 1;
}
