/* SPDX-License-Identifier: GPL-2.0 */
/* Command line: what the user asked for. */
#ifndef VMEXITPROF_ENV_H
#define VMEXITPROF_ENV_H

#include <stdbool.h>
#include <linux/types.h>
#include "vmexitprof.h"

enum sort_key { SORT_COUNT, SORT_TIME, SORT_AVG, SORT_MAX, SORT_P99 };

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
enum out_kind { OUT_JSON, OUT_CSV, OUT_SVG };	/* from --heatmap-out's ending */

/* What marks the next KVM_RUN, which ends the VMM's handling time. */
enum vmm_clock { VMM_CLOCK_AUTO, VMM_CLOCK_KVM_FPU, VMM_CLOCK_USDT, VMM_CLOCK_SYSCALL };
/* Their names on the command line and in reports: "auto", "kvm_fpu", ... */
extern const char *const vmm_clock_names[];

struct env {
	__u32 pids[MAX_TARGET_PIDS];
	unsigned int nr_pids;
	__u32 vcpus[MAX_VCPU_FILTER];
	unsigned int nr_vcpus;
	__u64 duration_ms;		/* 0: until Ctrl-C (or every -p target exited) */
	enum sort_key sort;
	bool per_vcpu;
	const char *hist;		/* NULL, "all" or a reason name */
	bool json;
	bool ports;			/* --ports: tally kvm_pio per port */
	bool mmio;			/* --mmio: tally kvm_mmio per guest-physical page */
	enum vmm_clock vmm_clock;	/* --vmm-time */
	__u64 interval_ms;		/* -I: 0 for one report at the end */
	__u64 interval_count;		/* -c: stop after this many intervals; 0: no limit */
	const char *heatmap;		/* --heatmap: NULL, "all" or a reason name */
	const char *heatmap_out;	/* --heatmap-out FILE (.json, .csv or .svg) */
	enum out_kind heatmap_out_kind;
	enum color_mode color;		/* --color */
	const char *report_file;	/* "report FILE": re-render a dump, trace nothing */
	bool verbose;
	__u32 max_hist_keys;
};

/*
 * Parse argv into env. Returns 0 on success, -1 after printing a one-line
 * error for bad usage (exit status 2), 1 when --help/--version printed and
 * the program should exit 0.
 */
int env_parse(struct env *env, int argc, char **argv);

#endif /* VMEXITPROF_ENV_H */
