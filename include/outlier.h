/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One slow exit (--slower-than) as the run keeps it: the BPF side's event
 * with what userspace adds, its wall time and the guest's TSC. Live runs
 * fill these (src/outliers.c), dumps carry them (src/dump.c), and the
 * printers (src/print_outlier.c, src/trace_out.c) show them.
 */
#ifndef VMEXITPROF_OUTLIER_H
#define VMEXITPROF_OUTLIER_H

#include <stdbool.h>
#include <linux/types.h>

#include "vmexitprof.h"

struct outlier {
	struct outlier_event ev;
	__u64 since_start_ns;	/* the exit, since the run started */
	__u64 wall_ns;		/* the exit, CLOCK_REALTIME (ns since the epoch) */
	__u64 guest_tsc;	/* the guest's TSC at the exit, if has_guest_tsc */
	__u64 guest_tsc_err;	/* ... give or take this many guest TSC ticks */
	bool has_guest_tsc;
};

#endif /* VMEXITPROF_OUTLIER_H */
