/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Contract between testvmm and its arm64 guest (guest_arm64.S), the
 * counterpart of testvmm_abi.h. Only #defines: this file is included from
 * both C and assembly.
 */
#ifndef TESTVMM_ABI_ARM64_H
#define TESTVMM_ABI_ARM64_H

/*
 * Guest RAM: one memory slot at IPA 0. The guest code, its exception
 * vectors first (VBAR_EL1 needs 2 KiB alignment), at TESTVMM_CODE_BASE;
 * it runs at EL1 with the MMU off and DAIF masked, entered at
 * TESTVMM_CODE_BASE + (guest_entry - guest_code_start) with x0 = its
 * parameter block.
 */
#define TESTVMM_MEM_SIZE		0x80000
#define TESTVMM_CODE_BASE		0x1000
#define TESTVMM_CODE_MAX		(TESTVMM_PARAM_BASE - TESTVMM_CODE_BASE)

/*
 * Unbacked by any slot, so every access here is a stage-2 data abort that
 * KVM hands to userspace as KVM_EXIT_MMIO: a byte write at
 * TESTVMM_MMIO_GPA is one "mmio" exit, a byte read there one "mmio_read"
 * exit, a byte write of the phase index at TESTVMM_CTRL_GPA the end of a
 * phase, and an 8-byte write of the vector's index at TESTVMM_EXC_GPA an
 * exception the guest took (testvmm fails).
 */
#define TESTVMM_MMIO_GPA		0xE0000
#define TESTVMM_CTRL_GPA		(TESTVMM_MMIO_GPA + 0x10)
#define TESTVMM_EXC_GPA			(TESTVMM_MMIO_GPA + 0x20)

/* "hvc" exits call this SMCCC function: SMCCC_VERSION, answered in the kernel. */
#define TESTVMM_HVC_FUNC		0x80000000

/*
 * Per-vCPU parameter block at TESTVMM_PARAM_BASE + id * TESTVMM_PARAM_STRIDE.
 * 1024 blocks end at 0x44000, inside guest RAM.
 */
#define TESTVMM_PARAM_BASE		0x4000
#define TESTVMM_PARAM_STRIDE		0x100
#define TESTVMM_MAX_VCPUS		1024

/* Offsets inside a parameter block; all little-endian. */
#define TESTVMM_P_NPHASES		0x00	/* u32, 1..TESTVMM_MAX_PHASES */
#define TESTVMM_P_PHASES		0x10	/* phase records follow */

#define TESTVMM_MAX_PHASES		8
#define TESTVMM_PHASE_SIZE		20
/* u32 counts inside one phase record */
#define TESTVMM_PH_SYSREG		0x0
#define TESTVMM_PH_HVC			0x4
#define TESTVMM_PH_MMIO			0x8
#define TESTVMM_PH_MMIO_READ		0xc
#define TESTVMM_PH_WFI			0x10

/*
 * The exits KVM handles in the kernel are counted by the guest in
 * registers, which the VMM reads with KVM_GET_ONE_REG: x19 system
 * register reads, x20 HVCs, x21 WFIs.
 */
#define TESTVMM_REG_SYSREG_DONE		19
#define TESTVMM_REG_HVC_DONE		20
#define TESTVMM_REG_WFI_DONE		21

#endif /* TESTVMM_ABI_ARM64_H */
