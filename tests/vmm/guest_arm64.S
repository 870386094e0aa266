/* SPDX-License-Identifier: GPL-2.0 */
/*
 * testvmm's arm64 guest (the x86 one is the rest of guest.S): EL1 code
 * with the MMU off and DAIF masked, copied by the VMM to IPA
 * TESTVMM_CODE_BASE with VBAR_EL1 pointing at its vectors, and entered at
 * guest_entry with x0 = its parameter block. There is no irqchip, so KVM
 * injects nothing and every exit comes from an instruction below.
 *
 * It loops over rounds forever; each round runs every phase of the
 * parameter block in order, and each phase does its counts of:
 *   sysreg    mrs ID_AA64PFR0_EL1: trapped by HCR_EL2.TID3 and emulated
 *             in the kernel (ESR_ELx_EC_SYS64)
 *   hvc       hvc #0 with x0 = SMCCC_VERSION, answered in the kernel
 *             (ESR_ELx_EC_HVC64)
 *   mmio      strb to TESTVMM_MMIO_GPA (ESR_ELx_EC_DABT_LOW, KVM_EXIT_MMIO)
 *   mmio_read ldrb from there (the same)
 *   wfi       wfi (ESR_ELx_EC_WFx), trapped by HCR_EL2.TWI: with nothing
 *             pending the vCPU blocks in the kernel until the VMM's
 *             wake-up signal (testvmm --wfi-wake-us)
 * then writes the phase index to TESTVMM_CTRL_GPA. The VMM decides when
 * to stop.
 *
 * Registers: x19, x20, x21 the sysreg, hvc and wfi counts (the VMM reads
 * them), x22 the MMIO window, x23 the parameter block, w24 the phase
 * index, x25 the phase record, w26 the loop counter. hvc clobbers x0-x3.
 */
#include "testvmm_abi_arm64.h"

	.section .rodata, "a"
	.balign	2048

	.globl	guest_code_start
	.globl	guest_code_end
	.globl	guest_entry
	.globl	guest_after_sysreg
	.globl	guest_after_hvc
	.globl	guest_after_wfi

guest_code_start:
	/* 16 vectors of 0x80 bytes: report the vector's index, then stop. */
	.irp	n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	.balign	0x80
	mov	x9, #\n
	b	exception
	.endr

exception:
	movz	x10, #(TESTVMM_EXC_GPA & 0xffff)
	movk	x10, #(TESTVMM_EXC_GPA >> 16), lsl #16
	str	x9, [x10]
	b	.

guest_entry:
	mov	x23, x0
	movz	x22, #(TESTVMM_MMIO_GPA & 0xffff)
	movk	x22, #(TESTVMM_MMIO_GPA >> 16), lsl #16
round:
	mov	w24, #0
	add	x25, x23, #TESTVMM_P_PHASES
phase:
	ldr	w9, [x23, #TESTVMM_P_NPHASES]
	cmp	w24, w9
	b.hs	round

	/*
	 * If the VMM stops us at a guest_after_* label, that instruction
	 * happened but is not counted yet; it checks PC to stay exact.
	 */
	ldr	w26, [x25, #TESTVMM_PH_SYSREG]
	cbz	w26, 2f
1:	mrs	x9, id_aa64pfr0_el1
guest_after_sysreg:
	add	x19, x19, #1
	subs	w26, w26, #1
	b.ne	1b
2:
	ldr	w26, [x25, #TESTVMM_PH_HVC]
	cbz	w26, 2f
1:	movz	w0, #(TESTVMM_HVC_FUNC >> 16), lsl #16
	hvc	#0
guest_after_hvc:
	add	x20, x20, #1
	subs	w26, w26, #1
	b.ne	1b
2:
	ldr	w26, [x25, #TESTVMM_PH_MMIO]
	cbz	w26, 2f
1:	strb	w26, [x22]
	subs	w26, w26, #1
	b.ne	1b
2:
	ldr	w26, [x25, #TESTVMM_PH_MMIO_READ]
	cbz	w26, 2f
1:	ldrb	w9, [x22]
	subs	w26, w26, #1
	b.ne	1b
2:
	/* Last before the phase's end: the VMM wakes WFIs from here on. */
	ldr	w26, [x25, #TESTVMM_PH_WFI]
	cbz	w26, 2f
1:	wfi
guest_after_wfi:
	add	x21, x21, #1
	subs	w26, w26, #1
	b.ne	1b
2:
	strb	w24, [x22, #(TESTVMM_CTRL_GPA - TESTVMM_MMIO_GPA)]
	add	w24, w24, #1
	add	x25, x25, #TESTVMM_PHASE_SIZE
	b	phase
guest_code_end:

	.section .note.GNU-stack, "", %progbits
