// SPDX-License-Identifier: GPL-2.0
/*
 * Names of x86 MSRs, for --msr: the kernel's own (arch/x86/include/asm/
 * msr-index.h, without its MSR_ prefix) for the ones guests commonly touch,
 * KVM's paravirtual ones from the uapi header (asm/kvm_para.h) so their
 * numbers cannot drift, and the x2APIC range by its register
 * (arch/x86/include/asm/apicdef.h). Not every MSR: the rest go by number.
 */
#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#include <asm/kvm_para.h>
#endif

#include "msr_names.h"
#include "util.h"

struct msr_entry {
	__u32 index;
	const char *name;
};

static const struct msr_entry msrs[] = {
	{ 0x00000010, "IA32_TSC" },
	{ 0x0000001b, "IA32_APICBASE" },
	{ 0x0000003a, "IA32_FEAT_CTL" },
	{ 0x0000003b, "IA32_TSC_ADJUST" },
	{ 0x00000048, "IA32_SPEC_CTRL" },
	{ 0x00000049, "IA32_PRED_CMD" },
	{ 0x0000008b, "IA32_UCODE_REV" },
	{ 0x000000e7, "IA32_MPERF" },
	{ 0x000000e8, "IA32_APERF" },
	{ 0x000000fe, "MTRRcap" },
	{ 0x0000010a, "IA32_ARCH_CAPABILITIES" },
	{ 0x00000174, "IA32_SYSENTER_CS" },
	{ 0x00000175, "IA32_SYSENTER_ESP" },
	{ 0x00000176, "IA32_SYSENTER_EIP" },
	{ 0x00000179, "IA32_MCG_CAP" },
	{ 0x0000017a, "IA32_MCG_STATUS" },
	{ 0x000001a0, "IA32_MISC_ENABLE" },
	{ 0x000001d9, "IA32_DEBUGCTLMSR" },
	{ 0x00000277, "IA32_CR_PAT" },
	{ 0x000002ff, "MTRRdefType" },
	{ 0x000006e0, "IA32_TSC_DEADLINE" },
	{ 0x00000da0, "IA32_XSS" },
	{ 0xc0000080, "EFER" },
	{ 0xc0000081, "STAR" },
	{ 0xc0000082, "LSTAR" },
	{ 0xc0000083, "CSTAR" },
	{ 0xc0000084, "SYSCALL_MASK" },
	{ 0xc0000100, "FS_BASE" },
	{ 0xc0000101, "GS_BASE" },
	{ 0xc0000102, "KERNEL_GS_BASE" },
	{ 0xc0000103, "TSC_AUX" },
	{ 0xc0010015, "K7_HWCR" },
	{ 0xc0010114, "VM_CR" },
	{ 0xc0010117, "VM_HSAVE_PA" },
#ifdef MSR_KVM_WALL_CLOCK
	{ MSR_KVM_WALL_CLOCK, "KVM_WALL_CLOCK" },
	{ MSR_KVM_SYSTEM_TIME, "KVM_SYSTEM_TIME" },
	{ MSR_KVM_WALL_CLOCK_NEW, "KVM_WALL_CLOCK_NEW" },
	{ MSR_KVM_SYSTEM_TIME_NEW, "KVM_SYSTEM_TIME_NEW" },
	{ MSR_KVM_ASYNC_PF_EN, "KVM_ASYNC_PF_EN" },
	{ MSR_KVM_STEAL_TIME, "KVM_STEAL_TIME" },
	{ MSR_KVM_PV_EOI_EN, "KVM_PV_EOI_EN" },
	{ MSR_KVM_POLL_CONTROL, "KVM_POLL_CONTROL" },
	{ MSR_KVM_ASYNC_PF_INT, "KVM_ASYNC_PF_INT" },
	{ MSR_KVM_ASYNC_PF_ACK, "KVM_ASYNC_PF_ACK" },
#endif
};

/* x2APIC MSR 0x800 + (APIC register offset >> 4): the registers guests touch. */
static const struct msr_entry x2apic[] = {
	{ 0x02, "X2APIC_ID" },
	{ 0x03, "X2APIC_LVR" },
	{ 0x08, "X2APIC_TASKPRI" },
	{ 0x0b, "X2APIC_EOI" },
	{ 0x0d, "X2APIC_LDR" },
	{ 0x0f, "X2APIC_SPIV" },
	{ 0x28, "X2APIC_ESR" },
	{ 0x30, "X2APIC_ICR" },
	{ 0x32, "X2APIC_LVTT" },
	{ 0x33, "X2APIC_LVTTHMR" },
	{ 0x34, "X2APIC_LVTPC" },
	{ 0x35, "X2APIC_LVT0" },
	{ 0x36, "X2APIC_LVT1" },
	{ 0x37, "X2APIC_LVTERR" },
	{ 0x38, "X2APIC_TMICT" },
	{ 0x39, "X2APIC_TMCCT" },
	{ 0x3e, "X2APIC_TDCR" },
	{ 0x3f, "X2APIC_SELF_IPI" },
};

static const char *lookup(const struct msr_entry *tab, size_t nr, __u32 index)
{
	for (size_t i = 0; i < nr; i++)
		if (tab[i].index == index)
			return tab[i].name;
	return NULL;
}

const char *msr_name(__u32 index)
{
	if (index >= 0x800 && index <= 0x8ff)
		return lookup(x2apic, ARRAY_SIZE(x2apic), index - 0x800);
	return lookup(msrs, ARRAY_SIZE(msrs), index);
}
