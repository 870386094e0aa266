/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testvmm guest: 16-bit real-mode code, copied by the VMM to GPA 0x400 and
 * entered at CS:IP 0x40:0 with DS = its parameter block (>> 4) and ES = the
 * MMIO window (>> 4). It has its own stack, and KVM injects no interrupts
 * into it (no irqchip), so every exit comes from an instruction below.
 *
 * It loops over rounds forever; each round runs every phase of the
 * parameter block in order, and each phase does its cpuid, pio (OUT),
 * pio_in (IN), mmio (write), mmio_read, hlt, rdmsr and wrmsr counts, then
 * reports the phase index on the control port. The VMM decides when to
 * stop.
 *
 * Registers: %edi phase index, %si phase record (DS-relative), %ebp loop
 * counter. cpuid clobbers %eax/%ebx/%ecx/%edx, so nothing lives there.
 */
#if defined(__aarch64__)
#include "guest_arm64.S"
#else
#include "testvmm_abi.h"

	/* Data for the host: the VMM copies it into guest RAM. */
	.section .rodata, "a"
	.code16

	.globl	guest_code_start
	.globl	guest_code_end
	.globl	guest_after_cpuid
	.globl	guest_cpuid_carry
	.globl	guest_after_rdmsr
	.globl	guest_rdmsr_carry
	.globl	guest_after_wrmsr
	.globl	guest_wrmsr_carry
	.globl	guest_bad_rdmsr
	.globl	guest_gp_isr
	.globl	guest_timer_isr
	.globl	guest_pio_out
	.globl	guest_pio_in

guest_code_start:
round:
	cmpl	$0, TESTVMM_P_X_DONE
	jne	1f
	call	extras
	movl	$1, TESTVMM_P_X_DONE
1:	xorl	%edi, %edi
	movw	$TESTVMM_P_PHASES, %si

phase:
	cmpl	TESTVMM_P_NPHASES, %edi
	jae	round

	movl	TESTVMM_PH_CPUID(%si), %ebp
	jmp	2f
1:	xorl	%eax, %eax
	xorl	%ecx, %ecx
	cpuid
	/*
	 * If the VMM stops us here, that cpuid happened but is not counted
	 * yet; it checks RIP against these two labels to stay exact.
	 */
guest_after_cpuid:
	addl	$1, TESTVMM_P_CPUID_DONE
guest_cpuid_carry:
	adcl	$0, TESTVMM_P_CPUID_DONE + 4
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	/*
	 * Each port access first notes the guest's TSC in the parameter
	 * block (no exit: RDTSC is not intercepted), so the VMM can give the
	 * guest's own time of a slow exit (TESTVMM_P_PIO_TSC).
	 */
	movl	TESTVMM_PH_PIO(%si), %ebp
	jmp	2f
1:	rdtsc
	movl	%eax, TESTVMM_P_PIO_TSC
	movl	%edx, TESTVMM_P_PIO_TSC + 4
	movw	$TESTVMM_DATA_PORT, %dx
	/* The RIP of a data-port write's exit (testvmm's JSON, pio_out_rip). */
guest_pio_out:
	outb	%al, %dx
	call	tsc_jump
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	/* Port reads: the VMM supplies the byte (TESTVMM_READ_BYTE). */
	movl	TESTVMM_PH_PIO_IN(%si), %ebp
	jmp	2f
1:	rdtsc
	movl	%eax, TESTVMM_P_PIO_TSC
	movl	%edx, TESTVMM_P_PIO_TSC + 4
	movw	$TESTVMM_DATA_PORT, %dx
guest_pio_in:
	inb	%dx, %al
	cmpb	$TESTVMM_READ_BYTE, %al
	jne	read_wrong
	call	tsc_jump
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_PH_MMIO(%si), %ebp
	jmp	2f
1:	movb	%al, %es:0
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_PH_MMIO_READ(%si), %ebp
	jmp	2f
1:	movb	%es:0, %al
	cmpb	$TESTVMM_READ_BYTE, %al
	jne	read_wrong
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_PH_HLT(%si), %ebp
	jmp	2f
1:	hlt
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	/* MSR exits are handled in the kernel: counted here, like cpuid. */
	movl	TESTVMM_PH_RDMSR(%si), %ebp
	movl	$TESTVMM_MSR, %ecx
	jmp	2f
1:	rdmsr
guest_after_rdmsr:
	addl	$1, TESTVMM_P_RDMSR_DONE
guest_rdmsr_carry:
	adcl	$0, TESTVMM_P_RDMSR_DONE + 4
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_PH_WRMSR(%si), %ebp
	movl	$TESTVMM_MSR, %ecx
	jmp	2f
1:	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
guest_after_wrmsr:
	addl	$1, TESTVMM_P_WRMSR_DONE
guest_wrmsr_carry:
	adcl	$0, TESTVMM_P_WRMSR_DONE + 4
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movw	$TESTVMM_CTRL_PORT, %dx
	movl	%edi, %eax
	outb	%al, %dx

	incl	%edi
	addw	$TESTVMM_PHASE_SIZE, %si
	jmp	phase

	/* Once per vCPU, before its first phase: see TESTVMM_P_X_* (testvmm_abi.h). */
extras:
	movl	TESTVMM_P_X_MSR_FAULT, %ebp
	movl	$TESTVMM_BAD_MSR, %ecx
	jmp	2f
guest_bad_rdmsr:
1:	rdmsr				/* #GP: guest_gp_isr steps over it */
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_P_X_CPUID_SUB, %ebp
	jmp	2f
1:	movl	$TESTVMM_SUB_LEAF, %eax
	movl	$TESTVMM_SUBLEAF, %ecx
	cpuid
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b

	movl	TESTVMM_P_X_HLT_QUICK, %eax
	orl	TESTVMM_P_X_HLT_LATE, %eax
	jz	3f
	cli
	movl	$TESTVMM_MSR_APIC_BASE, %ecx
	rdmsr
	orl	$0xc00, %eax		/* APIC on, x2APIC mode */
	wrmsr
	movl	$TESTVMM_MSR_X2APIC_SPIV, %ecx
	movl	$0x1ff, %eax		/* software-enabled, spurious vector 0xff */
	xorl	%edx, %edx
	wrmsr
	movl	$TESTVMM_MSR_X2APIC_LVTT, %ecx
	movl	$TESTVMM_TIMER_VECTOR, %eax	/* one-shot, unmasked */
	wrmsr
	movl	$TESTVMM_MSR_X2APIC_TDCR, %ecx
	movl	$0xb, %eax		/* divide by 1 */
	wrmsr
	movl	TESTVMM_P_X_HLT_QUICK, %ebp
	movl	TESTVMM_P_X_QUICK_NS, %ebx
	call	timed_halts
	movl	TESTVMM_P_X_HLT_LATE, %ebp
	movl	TESTVMM_P_X_LATE_NS, %ebx
	call	timed_halts
	sti
3:	ret

	/* %ebp HLTs, each woken by the timer %ebx ns after it was armed. */
timed_halts:
	jmp	2f
1:	cli
	movl	$TESTVMM_MSR_X2APIC_TMICT, %ecx
	movl	%ebx, %eax
	xorl	%edx, %edx
	wrmsr
	/* sti's shadow covers the hlt: the interrupt comes after it, even an early one. */
	sti
	hlt
	decl	%ebp
2:	testl	%ebp, %ebp
	jnz	1b
	ret

	/* Vector 13 while msr_fault runs: step over guest_bad_rdmsr (2 bytes), nothing else. */
guest_gp_isr:
	pushw	%bp
	movw	%sp, %bp
	cmpw	$(guest_bad_rdmsr - guest_code_start), 2(%bp)
	jne	1f
	addw	$2, 2(%bp)
1:	popw	%bp
	iret

	/* The timer's interrupt: end it (EOI), so that the next one comes; count it (DS is ours). */
guest_timer_isr:
	incl	TESTVMM_P_X_EOIS
	pushl	%eax
	pushl	%ecx
	pushl	%edx
	movl	$TESTVMM_MSR_X2APIC_EOI, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
	wrmsr
	popl	%edx
	popl	%ecx
	popl	%eax
	iret

	/*
	 * After each port access: where the VMM asked (--tsc-jump, after a
	 * slow exit), write the guest's TSC forward by TESTVMM_P_TSC_JUMP_BY.
	 * Clobbers %eax, %ecx, %edx (each loop sets them again).
	 */
tsc_jump:
	cmpl	$0, TESTVMM_P_TSC_JUMP_NOW
	je	1f
	movl	$0, TESTVMM_P_TSC_JUMP_NOW
	rdtsc
	addl	TESTVMM_P_TSC_JUMP_BY, %eax
	adcl	TESTVMM_P_TSC_JUMP_BY + 4, %edx
	movl	$TESTVMM_MSR_IA32_TSC, %ecx
	wrmsr
1:	ret

	/* A read did not return the VMM's byte: say which, for good. */
read_wrong:
	movw	$TESTVMM_BAD_READ_PORT, %dx
	outb	%al, %dx
	jmp	read_wrong
guest_code_end:

	.code64

	.section .note.GNU-stack, "", @progbits
#endif
