/* SPDX-License-Identifier: GPL-2.0 */
/* The report: histograms summed over CPUs, grouped per VM and vCPU, and printed. */
#ifndef VMEXITPROF_REPORT_H
#define VMEXITPROF_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "env.h"
#include "reasons.h"
#include "vmexitprof.h"

struct reason_stats {
	__u16 isa;
	__u16 flags;
	__u32 reason;
	struct hist h;
};

struct reason_set {
	struct reason_stats *rows;
	size_t nr;
};

/* Returns to the VMM by KVM_EXIT_* reason, or by -errno (UEXIT_FLAG_ERRNO). */
struct uexit_row {
	__u32 reason;
	__u32 flags;
	__u64 count;
};

struct uexit_set {
	struct uexit_row *rows;
	size_t nr;
};

struct io_row {
	struct io_key key;
	struct io_stats stats;		/* summed over CPUs */
};

struct io_set {
	struct io_row *rows;
	size_t nr;
};

struct vcpu_stats {
	__u32 vcpu;
	struct reason_set reasons;
	struct uexit_set uexits;
	struct reason_set vmm;		/* ISA_VMM: handling time per KVM_EXIT reason */
};

struct vm_stats {
	__u32 pid;
	__u64 start;		/* process start, clock ticks after boot: pid and start name a VM */
	char name[128];		/* QEMU's -name, else the process name */
	bool exited;		/* gone by the end of the run */
	struct reason_set reasons;	/* all vCPUs together */
	struct uexit_set uexits;	/* all vCPUs together */
	struct reason_set vmm;		/* all vCPUs together */
	struct io_set io;		/* --ports/--mmio tallies */
	struct vcpu_stats *vcpus;
	size_t nr_vcpus;
};

struct report {
	struct vm_stats *vms;
	size_t nr_vms;
	__u64 counters[NR_COUNTERS];
	__u64 duration_ns;
	bool no_kvm_exit;	/* guests ran, kvm:kvm_exit never fired (PVM) */
	const char *vmm_time_source;	/* vmm_clock_names[]: what marked the next KVM_RUN */
	/* -I: which interval this report covers; interval_index 0 is the whole run. */
	__u64 interval_index, interval_start_ns, interval_end_ns;
};

/* Histogram arithmetic (src/hist.c). */
void hist_merge(struct hist *dst, const struct hist *src);
/* The q-quantile (0 < q <= 1) read from the buckets, clamped to [min, max]. */
__u64 hist_percentile(const struct hist *h, double q);

/* Add one key's (already CPU-summed) histogram. Returns the VM, or NULL on ENOMEM. */
struct vm_stats *report_add(struct report *r, const struct hist_key *key, const struct hist *h);
/* Add one key's (CPU-summed) count of returns to userspace. NULL on ENOMEM. */
struct vm_stats *report_add_uexit(struct report *r, const struct uexit_key *key, __u64 count);
/* Add one port/MMIO tally (CPU-summed). NULL on ENOMEM. */
struct vm_stats *report_add_io(struct report *r, const struct io_key *key, const struct io_stats *st);
void report_free(struct report *r);

/* s as a JSON string, quoted and escaped. */
void json_string(FILE *out, const char *s);

/* "812ns", "3.41us", "12.5ms", "1.20s" */
void format_ns(char *buf, size_t len, double ns);

void report_print(FILE *out, const struct report *r, const struct reason_table *names,
		  const struct env *env);
void report_print_json(FILE *out, const struct report *r, const struct reason_table *names,
		       const struct env *env);
/* -I: the header once, then a line per VM and reason for each interval. */
void report_print_interval_header(FILE *out, const struct env *env);
void report_print_interval(FILE *out, const struct report *r, const struct reason_table *names,
			   const struct env *env);

#endif /* VMEXITPROF_REPORT_H */
