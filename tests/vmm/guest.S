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
	.globl	guest_pio_out
	.globl	guest_pio_in

guest_code_start:
round:
	xorl	%edi, %edi
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

	/* A read did not return the VMM's byte: say which, for good. */
read_wrong:
	movw	$TESTVMM_BAD_READ_PORT, %dx
	outb	%al, %dx
	jmp	read_wrong
guest_code_end:

	.code64

	.section .note.GNU-stack, "", @progbits
#endif
