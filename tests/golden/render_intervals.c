// SPDX-License-Identifier: GPL-2.0
/*
 * The -I lines of a saved run: reads a dump and prints each of its
 * intervals the way the live loop prints it after that interval, as text
 * (with the header) or as --json lines. tests/host/golden-output.sh
 * compares this, and `vmexitprof report` on the same dump, with outputs
 * recorded before the loader's middle was reorganised.
 *
 *   render_intervals [--json] [--per-vcpu] DUMP.json
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "output.h"
#include "util.h"

int main(int argc, char **argv)
{
	struct output_opts opts = { .sort = SORT_COUNT };
	struct reason_table names = {};
	struct run run = {};
	char err[256], *buf = NULL;
	const char *path = NULL;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			opts.json = true;
		else if (!strcmp(argv[i], "--per-vcpu"))
			opts.print.per_vcpu = true;
		else
			path = argv[i];
	}
	if (!path || !(buf = read_file(path, 1 << 30, &len))) {
		fprintf(stderr, "usage: render_intervals [--json] [--per-vcpu] DUMP.json\n");
		return 2;
	}
	if (dump_read(buf, len, &run, &names, err, sizeof(err))) {
		fprintf(stderr, "render_intervals: %s: %s\n", path, err);
		return 1;
	}
	/* What the live loop calls after each interval. */
	output_interval_header(&opts);
	for (size_t i = 0; i < run.nr_intervals; i++)
		if (output_interval(&run, i, i + 1, &opts, &names))
			return 1;
	free(buf);
	run_free(&run);
	reasons_free(&names);
	return 0;
}
