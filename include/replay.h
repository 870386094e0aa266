/* SPDX-License-Identifier: GPL-2.0 */
/* `vmexitprof report FILE`: a saved run (a --heatmap-out .json dump) printed again. */
#ifndef VMEXITPROF_REPLAY_H
#define VMEXITPROF_REPLAY_H

#include "output.h"

/*
 * Bigger dumps are refused rather than parsed into memory. A dump takes
 * about 800 bytes per interval per (VM, vCPU, reason) seen in it (624,566
 * bytes for 807 intervals of one such key, measured); long runs at short
 * intervals need a longer -I to stay under this.
 */
#define MAX_DUMP_BYTES (1ULL << 30)

/* Read the dump at path and do what output_run() does with a live run. Returns the exit status. */
int replay(const char *path, const struct output_opts *opts);

#endif /* VMEXITPROF_REPLAY_H */
