/* SPDX-License-Identifier: GPL-2.0 */
/* The end of a run, live or saved: the report, the heatmaps, and --heatmap-out. */
#ifndef VMEXITPROF_OUTPUT_H
#define VMEXITPROF_OUTPUT_H

#include "env.h"
#include "reasons.h"
#include "snapshot.h"

/* Whether --heatmap-out can be written, asked before tracing starts. 0, or -1 after a message. */
int output_check_writable(const char *path);

/*
 * Print the run's report (totals from total when given, the live run's
 * last snapshot; else the sum of the run's intervals), then the heatmaps
 * --heatmap asks for, then write --heatmap-out. Returns the exit status.
 */
int output_run(const struct run *run, const struct snapshot *total, const struct env *env,
	       const struct reason_table *names);

/* "vmexitprof report FILE": read a dump and do the same. Returns the exit status. */
int report_file(const struct env *env);

#endif /* VMEXITPROF_OUTPUT_H */
