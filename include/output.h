/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a run prints and writes, live or replayed: the -I lines as each
 * interval ends; at the end the report, the heatmaps --heatmap asks for,
 * and --heatmap-out. Decides text or JSON, colour and width; the printers
 * do the rest.
 */
#ifndef VMEXITPROF_OUTPUT_H
#define VMEXITPROF_OUTPUT_H

#include <stdbool.h>

#include "print.h"
#include "reasons.h"
#include "snapshot.h"
#include "summary.h"

enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
enum out_kind { OUT_JSON, OUT_CSV, OUT_SVG };	/* from --heatmap-out's ending */

struct output_opts {
	struct print_opts print;
	enum sort_key sort;
	bool json;
	const char *heatmap;		/* --heatmap: NULL, "all", "vmm" or a reason name */
	const char *heatmap_out;	/* --heatmap-out FILE (.json, .csv or .svg) */
	enum out_kind heatmap_out_kind;
	enum color_mode color;		/* --color */
	const char *trace_out;		/* --trace-out FILE.json: the slow exits for Perfetto */
	bool list_outliers;		/* report FILE: print the dump's slow exits first */
};

/* Whether opt's file (--heatmap-out, --textfile) can be written, asked before tracing starts. 0, or -1 after a message. */
int output_check_writable(const char *opt, const char *path);

/* -I: the column header of the text lines (none for JSON), once before the first interval. */
void output_interval_header(const struct output_opts *opts);
/* -I: interval i of run, printed as interval number index. -ENOMEM or 0. */
int output_interval(const struct run *run, size_t i, __u64 index, const struct output_opts *opts,
		    const struct reason_table *names);

/*
 * Print the run's report (totals from total when given, the live run's
 * last snapshot; else the sum of the run's intervals), then the heatmaps
 * --heatmap asks for, then write --heatmap-out. Returns the exit status.
 */
int output_run(const struct run *run, const struct snapshot *total, const struct output_opts *opts,
	       const struct reason_table *names);

#endif /* VMEXITPROF_OUTPUT_H */
