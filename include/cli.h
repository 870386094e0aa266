/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The command line: what the user asked for, parsed from a table of
 * options (src/cli.c), grouped by who needs it, so that the loader gets
 * trace_opts and the printers output_opts, not the whole command line.
 */
#ifndef VMEXITPROF_CLI_H
#define VMEXITPROF_CLI_H

#include <stdbool.h>
#include <linux/types.h>

#include "output.h"
#include "vmexitprof.h"

/* What to trace and how: the loader's part. */
struct trace_opts {
	__u32 pids[MAX_TARGET_PIDS];
	unsigned int nr_pids;
	__u32 vcpus[MAX_VCPU_FILTER];
	unsigned int nr_vcpus;
	bool ports;			/* --ports: tally kvm_pio per port */
	bool mmio;			/* --mmio: tally kvm_mmio per guest-physical page */
	bool msr;			/* --msr: tally kvm_msr per MSR and direction */
	bool cpuid;			/* --cpuid: tally kvm_cpuid per leaf and subleaf */
	bool halt;			/* --halt: halt polling from kvm_vcpu_wakeup */
	enum vmm_clock vmm_clock;	/* --vmm-time */
	enum attach_mode attach;	/* --attach */
	__u32 max_hist_keys;
	__u64 slower_than_ns;		/* --slower-than: exits this slow become events; 0: off */
	bool verbose;
	bool no_sched;			/* --no-sched: no sched_switch/sched_wakeup programs */
	bool bql;			/* --bql: QEMU's mutex probes, for its global mutex */
};

/* --prometheus and --textfile: the exporter's part. */
struct export_opts {
	bool http;			/* --prometheus given */
	char http_addr[64];		/* default 127.0.0.1 */
	__u32 http_port;		/* 0: any free port */
	const char *textfile;		/* --textfile FILE.prom */
};

/* -I's default with --prometheus/--textfile: Prometheus' default scrape interval. */
#define DEFAULT_EXPORT_INTERVAL_MS 15000

struct cli {
	struct trace_opts trace;
	struct output_opts output;
	struct export_opts export;
	__u64 duration_ms;		/* 0: until Ctrl-C (or every -p target exited) */
	__u64 interval_ms;		/* -I: 0 for one report at the end */
	__u64 interval_count;		/* -c: stop after this many intervals; 0: no limit */
	__u32 keep_exited;		/* --keep-exited: exited VMs reported apart; 0: all */
	const char *report_file;	/* "report FILE": re-render a dump, trace nothing */
};

/*
 * Parse argv into cli. Returns 0 on success, -1 after printing a one-line
 * error for bad usage (exit status 2), 1 when --help/--version printed and
 * the program should exit 0.
 */
int cli_parse(struct cli *cli, int argc, char **argv);

#endif /* VMEXITPROF_CLI_H */
