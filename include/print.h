/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The printers of a summary: the text report, the -I lines, and JSON.
 * They are given a sorted summary and a print_opts, never the command line.
 */
#ifndef VMEXITPROF_PRINT_H
#define VMEXITPROF_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "reasons.h"
#include "summary.h"

struct print_opts {
	bool per_vcpu;		/* a table (or JSON array) per vCPU too */
	const char *hist;	/* NULL, "all" or a reason name: histogram bars in the text report */
};

/* print_text.c */
void print_report_text(FILE *out, const struct summary *sum, const struct reason_table *names,
		       const struct print_opts *opts);
/* -I: the header once, then a line per VM and reason for each interval. */
void print_interval_header(FILE *out, const struct print_opts *opts);
void print_interval_text(FILE *out, const struct summary *sum, const struct reason_table *names,
			 const struct print_opts *opts);

/*
 * print_split.c: where each row's time went (struct time_split), as a
 * table; a set of ISA_VMM rows (the VMM's handling) gets its own columns.
 */
void print_split_text(FILE *out, const struct reason_rows *set, const struct reason_table *names,
		      const char *indent, bool bql);

/* print_json.c: one JSON document (a line), the total or, with interval_index, one interval. */
void print_report_json(FILE *out, const struct summary *sum, const struct reason_table *names,
		       const struct print_opts *opts);

#endif /* VMEXITPROF_PRINT_H */
