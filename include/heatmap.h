/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Latency heatmaps: time on x (a column per interval), log-scaled latency
 * on y (rows of whole histogram sub-buckets), count as colour. Built from
 * a run's intervals; drawn in the terminal or as SVG.
 */
#ifndef VMEXITPROF_HEATMAP_H
#define VMEXITPROF_HEATMAP_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "reasons.h"
#include "snapshot.h"

#define HEATMAP_MAX_ROWS 40

struct heatmap {
	char title[320];
	size_t nr_cols;
	__u64 *col_start_ns;	/* nr_cols + 1 edges, since the run started */
	unsigned int nr_rows;	/* row 0 the fastest */
	__u64 row_lower_ns[HEATMAP_MAX_ROWS + 1];	/* nr_rows + 1 edges */
	__u64 *cells;		/* cells[col * nr_rows + row] */
	__u64 max_cell, total;
};

/*
 * The heatmap of one VM (and one vCPU, unless vcpu is VCPU_UNKNOWN meaning
 * all of them) for the keys that `what` selects (reason_key_matches).
 * Returns 0, or -ENOMEM; hm->total is 0 when nothing matched.
 */
int heatmap_build(struct heatmap *hm, const struct run *run, const struct run_vm *vm, __u32 vcpu,
		  const char *what, const struct reason_table *names);
void heatmap_free(struct heatmap *hm);
/*
 * The heatmaps of every VM of run, and of each of its vCPUs if per_vcpu,
 * for what (as in heatmap_build; "all" becomes "vmm" where kvm_exit never
 * fired): *out holds *nr, to be freed by heatmaps_free(). -ENOMEM or 0.
 */
int heatmaps_build(const struct run *run, const char *what, bool per_vcpu,
		   const struct reason_table *names, struct heatmap **out, size_t *nr);
void heatmaps_free(struct heatmap *maps, size_t nr);

/* Draw in width columns (downsampling intervals to fit), in ANSI colour or in ASCII. */
void heatmap_print(FILE *out, const struct heatmap *hm, unsigned int width, bool color);
/* One self-contained SVG document with all the maps, stacked. */
void heatmap_write_svg(FILE *out, const struct heatmap *maps, size_t nr);

#endif /* VMEXITPROF_HEATMAP_H */
