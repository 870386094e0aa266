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
#include "report.h"

int main(int argc, char **argv)
{
	struct env env = {};
	struct reason_table names = {};
	struct run run = {};
	char err[256], *buf = NULL;
	const char *path = NULL;
	size_t len = 0, cap = 0, got;
	FILE *f;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			env.json = true;
		else if (!strcmp(argv[i], "--per-vcpu"))
			env.per_vcpu = true;
		else
			path = argv[i];
	}
	if (!path || !(f = fopen(path, "rb"))) {
		fprintf(stderr, "usage: render_intervals [--json] [--per-vcpu] DUMP.json\n");
		return 2;
	}
	do {
		if (len + 65536 + 1 > cap && !(buf = realloc(buf, cap = cap * 2 + 65537)))
			return 1;
		got = fread(buf + len, 1, 65536, f);
		len += got;
	} while (got);
	fclose(f);
	if (dump_read(buf, len, &run, &names, err, sizeof(err))) {
		fprintf(stderr, "render_intervals: %s: %s\n", path, err);
		return 1;
	}
	env.ports = run.ports;
	env.mmio = run.mmio;
	env.interval_ms = run.interval_ns / 1000000;
	if (!env.json)
		report_print_interval_header(stdout, &env);
	for (size_t i = 0; i < run.nr_intervals; i++) {
		struct report rep = {};

		if (run_report(&run, i, 1, &rep))
			return 1;
		rep.interval_index = i + 1;
		if (env.json)
			report_print_json(stdout, &rep, &names, &env);
		else
			report_print_interval(stdout, &rep, &names, &env);
		report_free(&rep);
	}
	free(buf);
	run_free(&run);
	reasons_free(&names);
	return 0;
}
