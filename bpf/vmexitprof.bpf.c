// SPDX-License-Identifier: GPL-2.0
/*
 * kvm:kvm_exit -> kvm:kvm_entry latency per VM, vCPU and exit reason,
 * aggregated in the kernel. The kvm tracepoint programs read their
 * tracepoint's fields and hand them to bpf/kvm_events.bpf.h.
 *
 * Two sets of programs on the same tracepoints, and the loader loads one
 * (--attach): BTF-typed ones (tp_btf), which get the tracepoint's raw
 * arguments, and classic ones, which get the trace record the kernel
 * filled for them first: for kvm_exit that is a call to the vendor's
 * get_exit_info (on Intel, VMREADs of RIP and the exit qualification). The
 * classic set is the fallback where the BTF-typed one cannot load (no
 * module BTF, a CO-RE relocation that fails).
 *
 * Every classic program returns 1: a 0 would drop the event from perf
 * (perf kvm stat) as well.
 */
#include "kvm_events.bpf.h"
#include "sched_split.bpf.h"
#include "bql.bpf.h"
#if defined(__TARGET_ARCH_arm64)
#include "arm64_exits.bpf.h"
#else
#include "vendor.bpf.h"
#endif
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>

/* linux/kvm.h: _IO(KVMIO, 0x80). */
#define KVM_RUN_IOCTL 0xae80

char LICENSE[] SEC("license") = "GPL";

/* x86_64's ioctl, and ioctl in the 32-bit (int 0x80) table. */
#define NR_IOCTL 16
#define NR_IA32_IOCTL 54

/*
 * Whether the current thread is in ioctl(fd, KVM_RUN): its syscall's user
 * registers say (tracepoint programs may call bpf_task_pt_regs from 5.15 on;
 * tested on 6.1, 6.12 and 6.18). A 64-bit task's syscall 54 is setsockopt,
 * which loads no guest FPU.
 */
static __always_inline bool in_kvm_run_ioctl(void)
{
#if defined(__TARGET_ARCH_x86)
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	if (regs->orig_ax == NR_IOCTL)
		return (__u32)regs->si == KVM_RUN_IOCTL;
	return regs->orig_ax == NR_IA32_IOCTL && (__u32)regs->cx == KVM_RUN_IOCTL;
#else
	return true;	/* kvm_fpu is x86's */
#endif
}

/* ---- BTF-typed (tp_btf) ---------------------------------------------------- */

/* x86's; arm64's are in bpf/arm64_exits.bpf.h. */
#if !defined(__TARGET_ARCH_arm64)
SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_btf, struct kvm_vcpu *vcpu, u32 isa)
{
	struct exit_detail d = { .vcpu_id = VCPU_UNKNOWN };
	__u32 reason;

	/* The verifier does not know the tracepoint never passes NULL. */
	if (!vcpu)
		return 0;
	/* --slower-than is off by default: then the verifier drops the details. */
	reason = slower_than_ns ? exit_reason_detail_of(vcpu, isa, &d) : exit_reason_of(vcpu, isa);
	on_kvm_exit_btf(vcpu->vcpu_idx, vcpu->vcpu_id, isa, reason, &d);
	return 0;
}

/* (vcpu) in early 6.1, (vcpu, force_immediate_exit) in 6.12: only vcpu is read. */
SEC("tp_btf/kvm_entry")
int BPF_PROG(kvm_entry_btf, struct kvm_vcpu *vcpu)
{
	if (!vcpu)
		return 0;
	on_kvm_entry_btf(vcpu->vcpu_idx);
	return 0;
}

#endif

SEC("tp_btf/kvm_userspace_exit")
int BPF_PROG(kvm_userspace_exit_btf, u32 reason, int err)
{
	on_kvm_userspace_exit(reason, err);
	return 0;
}

/* As the classic kvm_fpu below: only a load inside ioctl(KVM_RUN) counts. */
SEC("tp_btf/kvm_fpu")
int BPF_PROG(kvm_fpu_btf, int load)
{
	if (load && in_kvm_run_ioctl())
		kvm_run_entered(false);
	return 0;
}

SEC("tp_btf/kvm_pio")
int BPF_PROG(kvm_pio_btf, int rw, unsigned int port, unsigned int size)
{
	on_kvm_pio(rw, size, port);
	return 0;
}

SEC("tp_btf/kvm_mmio")
int BPF_PROG(kvm_mmio_btf, int type, int len, u64 gpa)
{
	on_kvm_mmio(type, len, gpa);
	return 0;
}

SEC("tp_btf/kvm_msr")
int BPF_PROG(kvm_msr_btf, unsigned int write, u32 ecx, u64 data, bool exception)
{
	on_kvm_msr(write, ecx, exception);
	return 0;
}

SEC("tp_btf/kvm_cpuid")
int BPF_PROG(kvm_cpuid_btf, unsigned int function, unsigned int index)
{
	on_kvm_cpuid(function, index);
	return 0;
}

SEC("tp_btf/kvm_vcpu_wakeup")
int BPF_PROG(kvm_vcpu_wakeup_btf, u64 ns, bool waited, bool valid)
{
	on_kvm_vcpu_wakeup(ns, waited, valid);
	return 0;
}

/*
 * The exact VMM clock where the kernel lets tracing programs attach to
 * functions: KVM_RUN's own entry, before vcpu_load, with no trap. (EPERM
 * on our PVM hosts; then kvm_fpu or the others, --vmm-time.)
 */
SEC("fentry/kvm_arch_vcpu_ioctl_run")
int BPF_PROG(kvm_arch_vcpu_ioctl_run)
{
	kvm_run_entered(false);
	return 0;
}

/*
 * The off-CPU split of exits (bpf/sched_split.bpf.h); not loaded with
 * --no-sched. sched_switch's prev_state is an argument from 5.18 on.
 */
#define TASK_RUNNING 0

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	on_sched_switch(prev, next, preempt || prev_state == TASK_RUNNING);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	on_sched_wakeup(p);
	return 0;
}

/* ---- classic tracepoints --------------------------------------------------- */

#if !defined(__TARGET_ARCH_arm64)
SEC("tp/kvm/kvm_exit")
int kvm_exit(struct trace_event_raw_kvm_exit *ctx)
{
	__u32 vcpu = VCPU_UNKNOWN, isa = ISA_VMX;
	struct exit_detail d = {};

	/* vcpu_id came with 5.x, isa with SVM support: older kernels lack them. */
	if (bpf_core_field_exists(ctx->vcpu_id))
		vcpu = ctx->vcpu_id;
	if (bpf_core_field_exists(ctx->isa))
		isa = ctx->isa;
	d.vcpu_id = vcpu;
	/* The record has them already (the kernel read them for it): free. */
	if (slower_than_ns && bpf_core_field_exists(ctx->guest_rip)) {
		d.rip = ctx->guest_rip;
		d.flags |= OUTLIER_RIP;
	}
	if (slower_than_ns && bpf_core_field_exists(ctx->info2)) {
		d.info1 = ctx->info1;
		d.info2 = ctx->info2;
		d.flags |= OUTLIER_INFO;
	}
	if (slower_than_ns && vcpu != VCPU_UNKNOWN)
		tsc_offset_note(vcpu, &d);
	on_kvm_exit(vcpu, isa, ctx->exit_reason, &d);
	return 1;
}

SEC("tp/kvm/kvm_entry")
int kvm_entry(struct trace_event_raw_kvm_entry *ctx)
{
	on_kvm_entry(ctx->vcpu_id);
	return 1;
}

#endif

SEC("tp/kvm/kvm_userspace_exit")
int kvm_userspace_exit(struct trace_event_raw_kvm_userspace_exit *ctx)
{
	on_kvm_userspace_exit(ctx->reason, ctx->errno);
	return 1;
}

/*
 * kvm_fpu load fires as KVM_RUN enters (on 6.1, 6.12 and 6.18, PVM too),
 * so it ends the VMM's handling without a uprobe or a syscall tracepoint.
 * KVM loads the guest FPU elsewhere too: in KVM_GET_MP_STATE and at an INIT
 * where it supports MPX, around the CET MSRs in KVM_GET/SET_MSRS (6.18). A
 * VMM that syncs state between two KVM_RUNs, as QEMU does, would have its
 * handling ended there: only a load inside ioctl(KVM_RUN) counts.
 */
SEC("tp/kvm/kvm_fpu")
int kvm_fpu(struct trace_event_raw_kvm_fpu *ctx)
{
	if (ctx->load && in_kvm_run_ioctl())
		kvm_run_entered(false);
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
	struct inflight *slot = current_slot(bpf_get_current_task_btf(), false);

	/* Restart the clock kvm_userspace_exit started, now that QEMU has it. */
	if (slot && slot->uexit_ns) {
		slot->uexit_ns = bpf_ktime_get_ns();
		/*
		 * Off the CPU before it is the kernel's part of the exit, not the
		 * VMM's; and so is a wait for the BQL (QEMU takes it before this).
		 */
		slot->vmm_runnable_ns = 0;
		slot->vmm_blocked_ns = 0;
		slot->vmm_bql_ns = 0;
	}
	return 0;
}

SEC("usdt")
int BPF_USDT(qemu_kvm_vcpu_ioctl, int cpu_index, int type)
{
	/* A uprobe's program can be preempted: atomic counting. */
	if (type == KVM_RUN_IOCTL)
		kvm_run_entered(true);
	return 0;
}

/*
 * --bql: QEMU's mutex probes, for its global mutex only (bpf/bql.bpf.h):
 * the cookie is that mutex's address in this process.
 */
SEC("usdt")
int BPF_USDT(qemu_mutex_lock, void *mutex)
{
	if ((__u64)mutex == bpf_usdt_cookie(ctx))
		on_bql(false);
	return 0;
}

SEC("usdt")
int BPF_USDT(qemu_mutex_locked, void *mutex)
{
	if ((__u64)mutex == bpf_usdt_cookie(ctx))
		on_bql(true);
	return 0;
}

/* The last resort: every task on the host then takes the syscall trace path. */
SEC("tp/syscalls/sys_enter_ioctl")
int sys_enter_ioctl(struct syscall_trace_enter *ctx)
{
	if (ctx->args[1] == KVM_RUN_IOCTL)
		kvm_run_entered(false);
	return 1;
}

SEC("tp/kvm/kvm_pio")
int kvm_pio(struct trace_event_raw_kvm_pio *ctx)
{
	on_kvm_pio(ctx->rw, ctx->size, ctx->port);
	return 1;
}

SEC("tp/kvm/kvm_mmio")
int kvm_mmio(struct trace_event_raw_kvm_mmio *ctx)
{
	on_kvm_mmio(ctx->type, ctx->len, ctx->gpa);
	return 1;
}

SEC("tp/kvm/kvm_msr")
int kvm_msr(struct trace_event_raw_kvm_msr *ctx)
{
	on_kvm_msr(ctx->write, ctx->ecx, ctx->exception);
	return 1;
}

SEC("tp/kvm/kvm_cpuid")
int kvm_cpuid(struct trace_event_raw_kvm_cpuid *ctx)
{
	on_kvm_cpuid(ctx->function, ctx->index);
	return 1;
}

/* --slower-than with classic tracepoints only: the tp_btf kvm_exit reads the vCPU's offset. */
SEC("tp/kvm/kvm_write_tsc_offset")
int kvm_write_tsc_offset(struct trace_event_raw_kvm_write_tsc_offset *ctx)
{
	tsc_offset_set(ctx->vcpu_id, ctx->next_tsc_offset);
	return 1;
}

SEC("tp/kvm/kvm_vcpu_wakeup")
int kvm_vcpu_wakeup(struct trace_event_raw_kvm_vcpu_wakeup *ctx)
{
	on_kvm_vcpu_wakeup(ctx->ns, ctx->waited, ctx->valid);
	return 1;
}
