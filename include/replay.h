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
/*
 * json-c holds the whole document as a tree: 21 bytes of memory per byte
 * of dump were measured (1.16 GB for a 56 MB dump of 8000 intervals). A
 * dump that would need more than the memory available is refused with a
 * line that says so, rather than left to the OOM killer.
 */
#define DUMP_MEMORY_PER_BYTE 24

/* Read the dump at path and do what output_run() does with a live run. Returns the exit status. */
int replay(const char *path, const struct output_opts *opts);

#endif /* VMEXITPROF_REPLAY_H */
