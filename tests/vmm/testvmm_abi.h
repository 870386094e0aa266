/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Contract between testvmm and its real-mode guest (guest.S). Only
 * #defines: this file is included from both C and assembly.
 */
#ifndef TESTVMM_ABI_H
#define TESTVMM_ABI_H

/*
 * An OUT of one byte here is one "pio" exit, an IN of one byte one "pio_in"
 * exit (the VMM answers TESTVMM_READ_BYTE).
 */
#define TESTVMM_DATA_PORT		0x6000
/* An OUT of the phase index here marks the end of a phase. */
#define TESTVMM_CTRL_PORT		0x6001
/* An OUT here says a read returned this byte, not TESTVMM_READ_BYTE (testvmm fails). */
#define TESTVMM_BAD_READ_PORT		0x6002

/*
 * Guest RAM: one memory slot at GPA 0. The real-mode IVT sits at 0 (every
 * vector points at the BIOS-style dummy handler below), the guest code at
 * TESTVMM_CODE_BASE, entered as CS = TESTVMM_CODE_BASE >> 4, IP = 0.
 */
#define TESTVMM_MEM_SIZE		0x80000
#define TESTVMM_CODE_BASE		0x400
#define TESTVMM_CODE_MAX		(0x1000 - TESTVMM_CODE_BASE)

/* Per-vCPU stacks, after the parameter blocks: SS = (base + id * stride) >> 4, SP = stride. */
#define TESTVMM_STACK_BASE		0x61000
#define TESTVMM_STACK_STRIDE		0x40

/*
 * A 64 KiB "BIOS" slot at F000:0000, all IRET, whose F000:FF53 (the PC
 * BIOS's dummy interrupt handler) first counts into F000:FF00. The guest
 * gets no interrupts from KVM (no irqchip); under nested SVM emulated by TCG
 * an interrupt is now and then delivered into it anyway (vectoring through
 * F000:FF53).
 * This lets the guest return from that unharmed, and lets the VMM report it.
 */
#define TESTVMM_BIOS_GPA		0xF0000
#define TESTVMM_BIOS_SIZE		0x10000
#define TESTVMM_STRAY_HANDLER		0xFF53
#define TESTVMM_STRAY_COUNTER		0xFF00

/*
 * Unbacked by any slot, so a byte write here is one "mmio" exit, a byte
 * read one "mmio_read" exit (the VMM answers TESTVMM_READ_BYTE).
 */
#define TESTVMM_MMIO_GPA		0xE0000

/* What the VMM returns for the guest's port and MMIO reads. */
#define TESTVMM_READ_BYTE		0x5a

/*
 * The MSR of the "rdmsr" and "wrmsr" exits: IA32_BIOS_SIGN_ID (microcode
 * revision). KVM intercepts it on VMX and SVM and handles it in the
 * kernel; a guest write (of 0, as Linux does before reading it) is
 * accepted and changes nothing, and it needs no guest CPUID bit.
 */
#define TESTVMM_MSR			0x8b

/*
 * Per-vCPU parameter block at TESTVMM_PARAM_BASE + id * TESTVMM_PARAM_STRIDE,
 * addressed by the guest through DS (block >> 4). 1024 blocks end at
 * 0x61000, where the stacks begin.
 */
#define TESTVMM_PARAM_BASE		0x1000
#define TESTVMM_PARAM_STRIDE		0x180
#define TESTVMM_MAX_VCPUS		1024

/* Offsets inside a parameter block; all little-endian. */
#define TESTVMM_P_NPHASES		0x00	/* u32, 1..TESTVMM_MAX_PHASES */
#define TESTVMM_P_CPUID_DONE		0x08	/* u64, incremented by the guest */
#define TESTVMM_P_RDMSR_DONE		0x10	/* u64, incremented by the guest */
#define TESTVMM_P_WRMSR_DONE		0x18	/* u64, incremented by the guest */
#define TESTVMM_P_PHASES		0x20	/* phase records follow */
#define TESTVMM_MAX_PHASES		8
#define TESTVMM_PHASE_SIZE		32
/* u32 counts inside one phase record */
#define TESTVMM_PH_CPUID		0x0
#define TESTVMM_PH_PIO			0x4
#define TESTVMM_PH_MMIO			0x8
#define TESTVMM_PH_HLT			0xc
#define TESTVMM_PH_RDMSR		0x10
#define TESTVMM_PH_WRMSR		0x14
#define TESTVMM_PH_PIO_IN		0x18
#define TESTVMM_PH_MMIO_READ		0x1c

/*
 * Extras, done once per vCPU before its first phase (the guest sets
 * TESTVMM_P_X_DONE after them): u32 counts after the phase records.
 *   msr_fault: rdmsr of TESTVMM_BAD_MSR, which KVM answers with #GP; the
 *     guest's #GP handler (vector 13) steps over that rdmsr alone.
 *   cpuid_sub: cpuid of leaf TESTVMM_SUB_LEAF, subleaf TESTVMM_SUBLEAF.
 *   hlt_quick, hlt_late: HLTs woken by the x2APIC timer (one-shot, divide
 *     by 1: KVM counts its 1 GHz APIC bus, one tick per ns) after
 *     TESTVMM_P_X_QUICK_NS or TESTVMM_P_X_LATE_NS. They need the in-kernel
 *     irqchip: KVM then wakes the HLT itself, halt polling and all, and
 *     never returns it to the VMM. Before the first, the guest enables
 *     x2APIC (rdmsr and wrmsr of IA32_APIC_BASE), the APIC (SPIV), the
 *     timer's vector (LVTT) and divider (TDCR); each HLT writes TMICT
 *     once, and its interrupt's handler EOI once.
 */
#define TESTVMM_P_X_MSR_FAULT		0x120
#define TESTVMM_P_X_CPUID_SUB		0x124
#define TESTVMM_P_X_HLT_QUICK		0x128
#define TESTVMM_P_X_HLT_LATE		0x12c
#define TESTVMM_P_X_QUICK_NS		0x130
#define TESTVMM_P_X_LATE_NS		0x134
#define TESTVMM_P_X_DONE		0x138	/* u32: 1 once the extras are done */
/*
 * u32: the timer interrupt handler's runs, each one EOI. One per timed HLT,
 * unless nested virtualization delivers a stray one on its vector too.
 */
#define TESTVMM_P_X_EOIS		0x13c
#define TESTVMM_P_X_END			0x140
/*
 * u64: the guest's TSC (rdtsc) just before each data-port OUT or IN, so
 * that the VMM knows the guest's own time of each slow exit. After the
 * extras (the phase records end at 0x20 + 8 * 32 = 0x120).
 */
#define TESTVMM_P_PIO_TSC		0x140
/*
 * --tsc-jump: after a slow exit the VMM sets TESTVMM_P_TSC_JUMP_NOW (u32)
 * to 1; right after that port access the guest clears it and writes its
 * own TSC (wrmsr IA32_TSC) as rdtsc + TESTVMM_P_TSC_JUMP_BY (u64), so that
 * KVM changes the vCPU's TSC offset (kvm_write_tsc_offset) just after the
 * slow exit's entry.
 */
#define TESTVMM_P_TSC_JUMP_NOW		0x148
#define TESTVMM_P_TSC_JUMP_BY		0x150
#define TESTVMM_MSR_IA32_TSC		0x10

/* Not an MSR KVM knows: a read of it raises #GP (KVM's ignore_msrs off, its default). */
#define TESTVMM_BAD_MSR			0xdead
#define TESTVMM_SUB_LEAF		0xd
#define TESTVMM_SUBLEAF			0x1
#define TESTVMM_TIMER_VECTOR		0x40
#define TESTVMM_GP_VECTOR		13	/* #GP */
/* The x2APIC MSRs the timed HLTs use (0x800 + APIC register >> 4). */
#define TESTVMM_MSR_APIC_BASE		0x1b
#define TESTVMM_MSR_X2APIC_EOI		0x80b
#define TESTVMM_MSR_X2APIC_SPIV		0x80f
#define TESTVMM_MSR_X2APIC_LVTT		0x832
#define TESTVMM_MSR_X2APIC_TMICT	0x838
#define TESTVMM_MSR_X2APIC_TDCR		0x83e

#endif /* TESTVMM_ABI_H */
