/* SPDX-License-Identifier: GPL-2.0 */
/*
 * arm64's kvm_exit and kvm_entry programs (make ARCH=arm64), in place of
 * x86's in bpf/vmexitprof.bpf.c and under the same names, so that the
 * loader is the same. arch/arm64/kvm/trace_arm.h's events carry no vCPU:
 * kvm_exit(ret, esr_ec, vcpu_pc), kvm_entry(vcpu_pc). The vCPU is the
 * thread's, from its name ("CPU n/KVM", as QEMU and testvmm name them;
 * VCPU_UNKNOWN for a VMM that names them otherwise), read once per thread
 * (bpf/kvm_events.bpf.h); so two threads may share a key and the
 * histograms are updated with atomics, on both sets of programs.
 */
#ifndef VMEXITPROF_ARM64_EXITS_BPF_H
#define VMEXITPROF_ARM64_EXITS_BPF_H

#include "kvm_events.bpf.h"
#include <bpf/bpf_tracing.h>

/*
 * The reason code (include/vmexitprof.h) of an exit: ret as KVM's
 * handle_exit takes it, the SError flag cleared as the tracepoint does
 * (ARM_EXCEPTION_CODE); the class only counts for a trap, which is also
 * what the classic record keeps (ARM_EXCEPTION_IS_TRAP).
 */
static __always_inline __u32 arm64_reason(int ret, __u32 esr_ec)
{
	__u32 type = (__u32)ret & ~ARM64_SERROR_BIT;

	return type == ARM64_EXCEPTION_TRAP ? ARM64_TRAP_REASON(esr_ec & 0x3f) : type;
}

/* The guest's PC comes with the event: an outlier (--slower-than) keeps it as its RIP. */
static __always_inline void arm64_exit(int ret, unsigned int esr_ec, unsigned long vcpu_pc)
{
	struct exit_detail d = { .vcpu_id = VCPU_UNKNOWN, .rip = vcpu_pc, .flags = OUTLIER_RIP };

	on_kvm_exit(VCPU_UNKNOWN, ISA_ARM64, arm64_reason(ret, esr_ec), &d);
}

SEC("tp_btf/kvm_exit")
int BPF_PROG(kvm_exit_btf, int ret, unsigned int esr_ec, unsigned long vcpu_pc)
{
	arm64_exit(ret, esr_ec, vcpu_pc);
	return 0;
}

SEC("tp_btf/kvm_entry")
int BPF_PROG(kvm_entry_btf, unsigned long vcpu_pc)
{
	on_kvm_entry(VCPU_UNKNOWN);
	return 0;
}

/* The record already holds ARM_EXCEPTION_CODE(ret), and esr_ec 0 for all but traps. */
SEC("tp/kvm/kvm_exit")
int kvm_exit(struct trace_event_raw_kvm_exit___arm64 *ctx)
{
	arm64_exit(ctx->ret, ctx->esr_ec, ctx->vcpu_pc);
	return 1;
}

SEC("tp/kvm/kvm_entry")
int kvm_entry(void *ctx)
{
	on_kvm_entry(VCPU_UNKNOWN);
	return 1;
}

#endif /* VMEXITPROF_ARM64_EXITS_BPF_H */
