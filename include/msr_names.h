/* SPDX-License-Identifier: GPL-2.0 */
/* Names of x86 MSRs for --msr rows (src/msr_names.c). */
#ifndef VMEXITPROF_MSR_NAMES_H
#define VMEXITPROF_MSR_NAMES_H

#include <linux/types.h>

/* The kernel's name of MSR index ("IA32_TSC_DEADLINE", "X2APIC_EOI"), or NULL if we have none. */
const char *msr_name(__u32 index);

#endif /* VMEXITPROF_MSR_NAMES_H */
