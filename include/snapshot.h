/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF maps held at one moment (summed over CPUs), and the
 * difference between two such moments: one interval of -I, or the whole
 * run. Intervals keep only non-zero buckets, so a long run stays small;
 * they are what the dump file, the heatmaps and the per-interval reports
 * are made from.
 */
#ifndef VMEXITPROF_SNAPSHOT_H
#define VMEXITPROF_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "outlier.h"
#include "vmexitprof.h"

struct snap_hist {
	struct hist_key key;
	struct hist h;
};

struct snap_uexit {
	struct uexit_key key;
	__u64 count;
};

struct snap_io {
	struct io_key key;
	struct io_stats st;
};

/* Cumulative totals since the programs were attached, each array sorted by key. */
struct snapshot {
	__u64 counters[NR_COUNTERS];
	struct snap_hist *hists;
	size_t nr_hists;
	struct snap_uexit *uexits;
	size_t nr_uexits;
	struct snap_io *io;
	size_t nr_io;
};

/* A histogram with only its non-zero buckets. */
struct bucket_count {
	__u32 bucket;
	__u64 count;
};

struct sparse_hist {
	struct hist_key key;
	__u64 count, sum_ns, min_ns, max_ns, to_userspace;
	struct bucket_count *buckets;
	__u32 nr_buckets;
	__u64 sum_sq_lo, sum_sq_hi;	/* struct hist's sum of squares */
	__u64 runnable_ns, blocked_ns, vmm_ns, vmm_off_ns, bql_ns;	/* struct hist's split */
};

/* What happened between two snapshots; times are since the run started. */
struct interval {
	__u64 start_ns, end_ns;
	__u64 counters[NR_COUNTERS];
	struct sparse_hist *hists;
	size_t nr_hists;
	struct snap_uexit *uexits;
	size_t nr_uexits;
	struct snap_io *io;
	size_t nr_io;
};

/*
 * The pseudo-VM that VMs which exited long ago are merged into (see
 * --keep-exited), so that a run under churn stays in bounded memory: pid 0
 * and start 0, which no process has, all its vCPUs as one.
 */
#define FOLDED_VM_PID	0

/* What marks the next KVM_RUN, which ends the VMM's handling time (--vmm-time). */
enum vmm_clock {
	VMM_CLOCK_AUTO, VMM_CLOCK_KVM_FPU, VMM_CLOCK_USDT, VMM_CLOCK_SYSCALL, VMM_CLOCK_FENTRY,
	NR_VMM_CLOCKS
};
/* Their names on the command line, in reports and in dumps: "auto", "kvm_fpu", ... */
extern const char *const vmm_clock_names[NR_VMM_CLOCKS];

/* Which programs see the kvm tracepoints (--attach): BTF-typed, or classic. */
enum attach_mode { ATTACH_AUTO, ATTACH_TP_BTF, ATTACH_CLASSIC, NR_ATTACH_MODES };
/* Their names in reports and dumps: "tp_btf", "classic" ("auto" is never used). */
extern const char *const attach_mode_names[NR_ATTACH_MODES];

/* A VM as the report names it: pid and start (hist_key.vm_start) say which. */
struct run_vm {
	__u32 pid;
	__u64 start;
	char name[128];
	char uuid[40];		/* QEMU's -uuid; "" if none (not in dumps) */
	bool exited;
};

/* A vCPU whose KVM vcpu_id differs from its number (QEMU's CPU index). */
struct run_vcpu_id {
	__u32 pid;
	__u32 vcpu;
	__u64 start;
	__u32 vcpu_id;
};

/*
 * A whole run: its intervals in order (one for the whole run without -I)
 * and what the report needs besides. Live, or read back from a dump.
 */
struct run {
	struct interval *intervals;
	size_t nr_intervals;
	size_t nr_ended;		/* intervals ended so far, kept or not */
	__u64 interval_ns;		/* -I; 0 without */
	__u64 duration_ns;
	char vmm_time_source[16];	/* vmm_clock_names[] but auto, or "none" */
	char attach[16];		/* attach_mode_names[] but auto; "" where a dump does not say */
	bool kvm_exit_fired;
	bool ports, mmio;		/* whether the tallies were taken */
	bool sched;			/* whether off-CPU time was split out (not --no-sched) */
	bool bql;			/* whether waits for QEMU's global mutex were followed (--bql) */
	bool msr, cpuid, halt;		/* --msr, --cpuid, --halt */
	struct run_vm *vms;
	size_t nr_vms;
	size_t nr_folded_vms;		/* VMs merged into the FOLDED_VM_PID one */
	struct run_vcpu_id *vcpu_ids;
	size_t nr_vcpu_ids;
	__u64 slower_than_ns;		/* --slower-than; 0: not asked */
	struct outlier *outliers;	/* the slow exits received, in order */
	size_t nr_outliers;
};

/* Append iv, taking what it owns. -ENOMEM or 0. */
int run_add_interval(struct run *run, struct interval *iv);
/* Note a VM's name (once per pid and start). -ENOMEM or 0. */
int run_add_vm(struct run *run, __u32 pid, __u64 start, const char *name, bool exited);
const struct run_vm *run_vm(const struct run *run, __u32 pid, __u64 start);
/* Note a vCPU's vcpu_id (once per vCPU). -ENOMEM or 0. */
int run_add_vcpu_id(struct run *run, __u32 pid, __u64 start, __u32 vcpu, __u32 vcpu_id);
/* That vcpu_id, or VCPU_UNKNOWN where it is not known to differ from vcpu. */
__u32 run_vcpu_id(const struct run *run, __u32 pid, __u64 start, __u32 vcpu);
/* Append a slow exit. -ENOMEM or 0. */
int run_add_outlier(struct run *run, const struct outlier *o);
void run_free(struct run *run);
/*
 * Merge VM (pid, start)'s entries into the FOLDED_VM_PID VM's, in s (which
 * stays sorted), and in run its name into that VM's. -ENOMEM or 0.
 */
int snapshot_fold_vm(struct snapshot *s, __u32 pid, __u64 start);
int run_fold_vm(struct run *run, __u32 pid, __u64 start);

/* Append to a snapshot (ENOMEM: -1); snapshot_sort() once all are in. */
int snapshot_add_hist(struct snapshot *s, const struct hist_key *key, const struct hist *h);
int snapshot_add_uexit(struct snapshot *s, const struct uexit_key *key, __u64 count);
int snapshot_add_io(struct snapshot *s, const struct io_key *key, const struct io_stats *st);
/* Sort, and merge entries added twice under one key into one. */
void snapshot_sort(struct snapshot *s);
/* Append copies of src's entries (not its counters) to dst. -ENOMEM or 0. */
int snapshot_add_all(struct snapshot *dst, const struct snapshot *src);
void snapshot_free(struct snapshot *s);

/*
 * out = cur - prev (prev may be empty: the whole run), field by field, so
 * that no field of a torn read is lost or invented: every one only grows.
 * Keys only ever appear, so every key of prev is in cur. An interval's
 * min and max lie within the buckets it counts: exact where the
 * cumulative ones moved in it and fall there, else those buckets' bounds.
 * Returns 0 or -ENOMEM.
 */
int snapshot_diff(const struct snapshot *cur, const struct snapshot *prev, struct interval *out);
void interval_free(struct interval *iv);

/* dst += src for port/MMIO tallies: counts add, min and max combine. */
void io_stats_merge(struct io_stats *dst, const struct io_stats *src);
/* Expand a sparse histogram. */
void sparse_hist_expand(const struct sparse_hist *s, struct hist *h);
/* The counters' names (enum counter) in JSON, dumps and the -I lines. */
extern const char *const counter_names[NR_COUNTERS];
/* Exits neither paired, overwritten nor dropped: still waiting for their entry at the end. */
__u64 counters_exits_pending(const __u64 *counters);
/* false when guests ran (returned to userspace) and kvm_exit never fired: what PVM looks like. */
bool counters_kvm_exit_fired(const __u64 *counters);

#endif /* VMEXITPROF_SNAPSHOT_H */
