/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A run (or some of its intervals) summed into rows per VM, vCPU and
 * reason, and sorted: what the printers print. Data, not printing.
 */
#ifndef VMEXITPROF_SUMMARY_H
#define VMEXITPROF_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "snapshot.h"
#include "vmexitprof.h"

/* How rows are ordered: --sort. */
enum sort_key { SORT_COUNT, SORT_TIME, SORT_AVG, SORT_MAX, SORT_P99 };

/* One exit reason (or, in a vmm set, one KVM_EXIT reason's handling time). */
struct reason_row {
	__u16 isa;
	__u16 flags;		/* HIST_FLAG_* */
	__u32 reason;
	struct hist h;
};

struct reason_rows {
	struct reason_row *rows;
	size_t nr;
};

/* Returns to the VMM by KVM_EXIT_* reason, or by -errno (UEXIT_FLAG_ERRNO). */
struct uexit_row {
	__u32 reason;
	__u32 flags;
	__u64 count;
};

struct uexit_rows {
	struct uexit_row *rows;
	size_t nr;
};

struct io_row {
	struct io_key key;
	struct io_stats stats;
};

struct io_rows {
	struct io_row *rows;
	size_t nr;
};

struct vcpu_summary {
	__u32 vcpu;
	__u32 vcpu_id;			/* KVM's, where it differs from vcpu; else VCPU_UNKNOWN */
	struct reason_rows reasons;
	struct uexit_rows uexits;
	struct reason_rows vmm;		/* ISA_VMM: handling time per KVM_EXIT reason */
	struct reason_rows halt;	/* ISA_HALT: halt polling (--halt) */
};

struct vm_summary {
	struct run_vm vm;		/* pid, start, name, exited: as the run knows it */
	struct reason_rows reasons;	/* all vCPUs together */
	struct uexit_rows uexits;	/* all vCPUs together */
	struct reason_rows vmm;		/* all vCPUs together */
	struct reason_rows halt;	/* all vCPUs together */
	struct io_rows io;		/* --ports/--mmio/--msr/--cpuid tallies */
	struct vcpu_summary *vcpus;
	size_t nr_vcpus;
};

struct summary {
	struct vm_summary *vms;
	size_t nr_vms;
	__u64 counters[NR_COUNTERS];
	__u64 duration_ns;
	bool kvm_exit_fired;		/* false: guests ran, kvm:kvm_exit never fired (PVM) */
	bool ports, mmio;		/* whether the tallies were taken */
	bool sched;			/* whether off-CPU time was split out (run.sched) */
	bool bql;			/* whether the BQL waits were followed (run.bql) */
	bool msr, cpuid, halt;		/* --msr, --cpuid, --halt */
	const char *vmm_time_source;	/* what marked the next KVM_RUN */
	const char *attach;		/* "tp_btf" or "classic"; "" if not known (an old dump) */
	/* Which interval this covers: index from 1; 0 for the whole run. */
	__u64 interval_index, interval_start_ns, interval_end_ns;
};

/*
 * Sum intervals [first, first + nr) of run into sum, with the run's VM
 * names and flags; nr == 1 makes it that interval's summary (times and
 * duration its own; interval_index is the caller's to set). -ENOMEM or 0.
 */
int summary_of_run(const struct run *run, size_t first, size_t nr, struct summary *sum);
/*
 * A cumulative snapshot (a live run's totals since attaching) as one
 * interval from nothing, with the run's names and flags and its duration.
 * -ENOMEM or 0.
 */
int summary_of_total(const struct run *run, const struct snapshot *total, struct summary *sum);
/*
 * Order every table: VMs by pid then start, reasons by key (ties by
 * ISA, code, then flags), returns
 * to userspace by count (errno returns last), port/MMIO rows by count
 * (by handling time for SORT_TIME), vCPUs by id.
 */
void summary_sort(struct summary *sum, enum sort_key key);
void summary_free(struct summary *sum);
/* Leave out (and free) the VMs drop(vm, ctx) says to; the rest keep their order. */
void summary_drop_vms(struct summary *sum, bool (*drop)(const struct run_vm *vm, void *ctx), void *ctx);
/* The VMM's handling-time histogram for a return to userspace's reason, if it has one. */
const struct hist *summary_vmm_hist(const struct reason_rows *vmm, const struct uexit_row *u);

#endif /* VMEXITPROF_SUMMARY_H */
