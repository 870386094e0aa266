/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BPF side's life: choose the VMM clock, open the object, set its
 * filters and which programs load, load it, create the histograms the
 * running VMs will need, attach, and detach in the order that loses no
 * VMM handling time under way.
 */
#ifndef VMEXITPROF_LOADER_H
#define VMEXITPROF_LOADER_H

#include <bpf/libbpf.h>

#include "cli.h"
#include "reasons.h"

struct vmexitprof_bpf;

/* The programs of one attach mode, by the tracepoint they are on. */
struct prog_set {
	struct bpf_program *exit, *entry, *uexit, *fpu, *pio, *mmio, *msr, *cpuid, *wakeup;
};

struct loader {
	struct vmexitprof_bpf *skel;
	enum vmm_clock vmm_clock;		/* the one in use (never auto) */
	enum attach_mode attach;		/* the one in use (never auto) */
	struct prog_set progs;			/* the loaded set's */
	/* Two USDT links per target, two more with --bql, owned here (the skeleton attaches the rest). */
	struct bpf_link *usdt_links[4 * MAX_TARGET_PIDS];
	int nr_usdt_links;
	unsigned int nr_bql;			/* --bql: targets whose global mutex is followed */
};

/*
 * Choose the VMM clock, open and load the programs with opts' filters,
 * and create the common histograms up front. 0, or -1 after a one-line
 * error (libbpf's log too, unless it was the kernel refusing).
 */
int loader_open(struct loader *l, const struct trace_opts *opts, const struct reason_table *names);
/* Attach: kvm_userspace_exit last. 0, or -1 after a one-line error. */
int loader_attach(struct loader *l, const struct trace_opts *opts);
/*
 * Detach kvm_userspace_exit first, give the VMM handling under way a
 * moment to end, then the rest, so the numbers stop moving.
 */
void loader_detach(struct loader *l);
void loader_close(struct loader *l);
/* The fd of the slow exits' ring buffer (--slower-than). */
int loader_outliers_fd(const struct loader *l);

#endif /* VMEXITPROF_LOADER_H */
