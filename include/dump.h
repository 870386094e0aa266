/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run's data on disk (--heatmap-out): a JSON dump that "vmexitprof
 * report" reads back, and a CSV of histogram cells for spreadsheets.
 * Schema in README ("Saved runs").
 */
#ifndef VMEXITPROF_DUMP_H
#define VMEXITPROF_DUMP_H

#include <stdio.h>

#include "reasons.h"
#include "snapshot.h"

#define DUMP_FORMAT "vmexitprof-dump"
#define DUMP_VERSION 1

void dump_write_json(FILE *out, const struct run *run, const struct reason_table *names);
void dump_write_csv(FILE *out, const struct run *run, const struct reason_table *names);

/*
 * Read a JSON dump from buf into run, and the names it carries into names.
 * Returns 0, or -1 with a one-line reason in err (what is wrong, and where).
 */
int dump_read(const char *buf, size_t len, struct run *run, struct reason_table *names,
	      char *err, size_t errlen);

#endif /* VMEXITPROF_DUMP_H */
