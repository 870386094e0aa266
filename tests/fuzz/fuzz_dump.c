// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the dump reader (src/dump_read.c), the input of
 * "vmexitprof report FILE". A rejected input must come with a reason; an
 * accepted one is then taken through everything report does with it (the
 * report as text and JSON, every heatmap in colour, ASCII and SVG, the
 * dump and CSV written back), so ASan and UBSan see the renderers work on
 * whatever the reader lets through.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dump.h"
#include "heatmap.h"
#include "report.h"

static FILE *devnull;

static void render(const struct run *run, const struct reason_table *names)
{
	struct env env = { .per_vcpu = true, .hist = "all", .ports = run->ports, .mmio = run->mmio };
	static const char *const views[] = { "all", "vmm", "hlt" };
	struct report rep = {};
	struct heatmap hm;

	if (!run_report(run, 0, run->nr_intervals, &rep)) {
		report_print(devnull, &rep, names, &env);
		report_print_json(devnull, &rep, names, &env);
	}
	report_free(&rep);
	if (run->nr_intervals && !run_report(run, 0, 1, &rep)) {
		rep.interval_index = 1;
		report_print_interval(devnull, &rep, names, &env);
	}
	report_free(&rep);
	for (size_t v = 0; v < run->nr_vms; v++) {
		for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++) {
			if (heatmap_build(&hm, run, &run->vms[v], VCPU_UNKNOWN, views[i], names))
				continue;
			heatmap_print(devnull, &hm, 80, true);
			heatmap_print(devnull, &hm, 30, false);
			heatmap_write_svg(devnull, &hm, 1);
			heatmap_free(&hm);
		}
	}
	dump_write_json(devnull, run, names);
	dump_write_csv(devnull, run, names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reason_table names = {};
	struct run run;
	char err[256] = "";

	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (dump_read((const char *)data, size, &run, &names, err, sizeof(err))) {
		if (!err[0]) {
			fprintf(stderr, "fuzz_dump: rejected without a reason\n");
			abort();
		}
		return 0;
	}
	render(&run, &names);
	run_free(&run);
	reasons_free(&names);
	return 0;
}
