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

/* x86's VCPU_REGS_RIP: the index of RIP in kvm_vcpu_arch.regs. */
#define KVM_VCPU_REGS_RIP 16

/*
 * exit_reason_of() with --slower-than's details of the exit (vcpu: the
 * tp_btf program's own argument, loaded from directly), where they cost
 * no VMREAD and no further read: the guest RIP from KVM's register cache
 * when regs_avail says it is current (SVM copies RIP from the VMCB at
 * every exit; VMX reads it lazily, so mostly absent there, never stale);
 * on SVM exit_info_1/2, which follow exit_code in the VMCB, in the same
 * probe read as the exit code (VMX's qualification is a VMREAD: absent).
 */
static __always_inline __u32 exit_reason_detail_of(struct kvm_vcpu *vcpu, __u32 isa,
						   struct exit_detail *d)
{
	d->vcpu_id = vcpu->vcpu_id;
#if defined(__TARGET_ARCH_x86)
	if (bpf_core_field_exists(vcpu->arch.regs_avail) &&
	    (vcpu->arch.regs_avail & (1U << KVM_VCPU_REGS_RIP))) {
		d->rip = vcpu->arch.regs[KVM_VCPU_REGS_RIP];
		d->flags |= OUTLIER_RIP;
	}
	/*
	 * The offset the CPU added to the guest's TSC at this exit: the
	 * loader's debugfs read comes later, after a guest write of its TSC
	 * (kvm_write_tsc_offset) maybe. One load from the vCPU.
	 */
	if (bpf_core_field_exists(vcpu->arch.tsc_offset)) {
		d->tsc_offset = vcpu->arch.tsc_offset;
		d->flags |= OUTLIER_TSC_OFFSET;
	}
	if (isa == ISA_SVM && (vendor_isa == ISA_SVM || bpf_core_type_exists(struct vcpu_svm)) &&
	    bpf_core_field_exists(struct vmcb_control_area, exit_info_2) &&
	    bpf_core_field_offset(struct vmcb_control_area, exit_info_1) ==
	    bpf_core_field_offset(struct vmcb_control_area, exit_code) + 8 &&
	    bpf_core_field_offset(struct vmcb_control_area, exit_info_2) ==
	    bpf_core_field_offset(struct vmcb_control_area, exit_code) + 16) {
		struct vcpu_svm *svm = (void *)vcpu - bpf_core_field_offset(struct vcpu_svm, vcpu);
		struct vmcb *vmcb = BPF_CORE_READ(svm, vmcb);
		/* exit_code (its low half where it is a u64), exit_info_1, exit_info_2. */
		__u64 control[3];

		if (bpf_probe_read_kernel(control, sizeof(control), &vmcb->control.exit_code))
			return EXIT_REASON_UNREADABLE;
		d->info1 = control[1];
		d->info2 = control[2];
		d->flags |= OUTLIER_INFO;
		return (__u32)control[0];
	}
#endif
	return exit_reason_of(vcpu, isa);
}

#endif /* VMEXITPROF_VENDOR_BPF_H */
