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

/*
 * print_outlier.c: one slow exit (--slower-than) as a text line, or as a
 * JSON line ("type":"outlier"); and the dump's and trace's fields of it.
 */
struct outlier;
void print_outlier_header(FILE *out);
void print_outlier_text(FILE *out, const struct outlier *o, const struct reason_table *names);
void print_outlier_json(FILE *out, const struct outlier *o, const struct reason_table *names);
struct json_writer;
/* Its members, into the JSON object being written (the JSON line's, the trace slice's args). */
void outlier_json_fields(struct json_writer *w, const struct outlier *o,
			 const struct reason_table *names);

#endif /* VMEXITPROF_PRINT_H */
