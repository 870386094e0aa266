/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --slower-than, live: the slow exits from the BPF ring buffer, given
 * their wall time and guest TSC, printed as they come (text or JSON
 * lines) and kept in the run for --heatmap-out and --trace-out.
 */
#ifndef VMEXITPROF_OUTLIERS_H
#define VMEXITPROF_OUTLIERS_H

#include <stdbool.h>
#include <linux/types.h>

#include "reasons.h"
#include "snapshot.h"
#include "tsc.h"

struct ring_buffer;

#define OUTLIER_SCALINGS	256

struct outlier_reader {
	struct ring_buffer *rb;
	struct run *run;		/* where they are kept, if keep */
	bool keep;
	bool json;			/* --json: JSON lines */
	const struct reason_table *names;
	__u64 start_mono_ns;		/* the run's start */
	__s64 wall_minus_mono_ns;	/* CLOCK_REALTIME - CLOCK_MONOTONIC, taken once at the start */
	struct tsc_clock clock;
	bool said_no_tsc;		/* the one line saying why guest_tsc is absent */
	/* Each vCPU's TSC scaling as last read (tsc_guest), the oldest replaced. */
	struct tsc_scaling scalings[OUTLIER_SCALINGS];
	unsigned int next_scaling;
	int err;			/* -ENOMEM from keeping one */
};

/* 0, or -1 after a one-line error. */
int outliers_open(struct outlier_reader *r, int map_fd, struct run *run, bool keep, bool json,
		  const struct reason_table *names, __u64 start_mono_ns);
/* Wait up to ms for slow exits and handle those there. 0 or -errno. */
int outliers_wait(struct outlier_reader *r, int ms);
/* Handle what is left (after detaching). 0 or -errno. */
int outliers_drain(struct outlier_reader *r);
void outliers_close(struct outlier_reader *r);

#endif /* VMEXITPROF_OUTLIERS_H */
