/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tp_btf kvm_exit program reads from the vendor module's vCPU
 * (kvm_amd's vcpu_svm, kvm_intel's vcpu_vmx), with CO-RE against that
 * module's BTF: bpf/vmexitprof.bpf.c calls it with the tracepoint's
 * vcpu, tests/bpf/exit_entry_test.bpf.c with stand-in structures laid out
 * from the same BTF by its runner. Kernel probe reads, which work on any
 * kernel address, since vcpu_svm lies beyond what the verifier lets a
 * program load from a struct kvm_vcpu pointer.
 */
#ifndef VMEXITPROF_VENDOR_BPF_H
#define VMEXITPROF_VENDOR_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "vmexitprof.h"

/*
 * The vendor module loaded on this host, set by the loader: ISA_SVM for
 * kvm_amd, ISA_VMX for kvm_intel, 0 for neither (PVM). Its reader below
 * is then not under a BTF existence check: if its types are missing (no
 * BTF for that module) the CO-RE relocation fails, so do the tp_btf
 * programs' load, and the loader takes the classic tracepoints, instead of
 * every exit reading as unreadable.
 */
const volatile __u32 vendor_isa = 0;

/*
 * The exit reason from the vendor's vCPU, since the tracepoint's
 * arguments (vcpu, isa) do not carry it. SVM: the exit code in the
 * current VMCB (L1's or L2's), read as u32 (a u64 from 6.19 on: its low
 * half). VMX: vcpu_vmx's exit_reason.full, in vcpu_vt since 6.16.
 */
static __always_inline __u32 exit_reason_of(struct kvm_vcpu *vcpu, __u32 isa)
{
	if (isa == ISA_SVM && (vendor_isa == ISA_SVM || bpf_core_type_exists(struct vcpu_svm))) {
		struct vcpu_svm *svm = (void *)vcpu - bpf_core_field_offset(struct vcpu_svm, vcpu);

		return BPF_CORE_READ(svm, vmcb, control.exit_code);
	}
	if (isa != ISA_VMX)
		return EXIT_REASON_UNREADABLE;
	/* Nested, so that the verifier sees one of the two readers at most (the other's relocation fails). */
	if (bpf_core_field_exists(struct vcpu_vmx___vt, vt)) {
		struct vcpu_vmx___vt *vmx = (void *)vcpu - bpf_core_field_offset(struct vcpu_vmx___vt, vcpu);

		return BPF_CORE_READ(vmx, vt.exit_reason.full);
	} else if (vendor_isa == ISA_VMX || bpf_core_field_exists(struct vcpu_vmx, exit_reason)) {
		struct vcpu_vmx *vmx = (void *)vcpu - bpf_core_field_offset(struct vcpu_vmx, vcpu);

		return BPF_CORE_READ(vmx, exit_reason.full);
	}
	return EXIT_REASON_UNREADABLE;
}

#endif /* VMEXITPROF_VENDOR_BPF_H */
