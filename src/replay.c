// SPDX-License-Identifier: GPL-2.0
/* `vmexitprof report FILE` (include/replay.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "replay.h"
#include "util.h"

int replay(const char *path, const struct output_opts *opts)
{
	struct reason_table names = {};
	struct run run = {};
	char err[256];
	size_t len;
	char *buf = read_file(path, MAX_DUMP_BYTES, &len);
	int status = 1;

	if (!buf) {
		fprintf(stderr, "vmexitprof: report: cannot read %s: %s\n", path,
			errno == EFBIG ? "bigger than 1 GiB, not a vmexitprof dump" : strerror(errno));
		return 1;
	}
	if (mem_available() && len * DUMP_MEMORY_PER_BYTE > mem_available()) {
		fprintf(stderr, "vmexitprof: report: %s: reading this %.0f MiB dump takes about %.0f MiB "
			"of memory, and %.0f MiB are available\n", path, len / 1048576.0,
			len * DUMP_MEMORY_PER_BYTE / 1048576.0, mem_available() / 1048576.0);
		goto out;
	}
	if (dump_read(buf, len, &run, &names, err, sizeof(err))) {
		fprintf(stderr, "vmexitprof: report: %s: %s\n", path, err);
		goto out;
	}
	/* The reason names are the dump's own: only now can --hist and --heatmap be checked. */
	if ((opts->print.hist && reason_arg_check(&names, "--hist", opts->print.hist, false)) ||
	    (opts->heatmap && reason_arg_check(&names, "--heatmap", opts->heatmap, true))) {
		status = 2;
		goto out;
	}
	status = output_run(&run, NULL, opts, &names);
out:
	free(buf);
	run_free(&run);
	reasons_free(&names);
	return status;
}
