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
#include "print.h"
#include "summary.h"

static FILE *devnull;

static void render(const struct run *run, const struct reason_table *names)
{
	const struct print_opts opts = { .per_vcpu = true, .hist = "all" };
	static const char *const views[] = { "all", "vmm", "hlt" };
	struct summary sum = {};
	struct heatmap hm;

	if (!summary_of_run(run, 0, run->nr_intervals, &sum)) {
		summary_sort(&sum, SORT_P99);
		print_report_text(devnull, &sum, names, &opts);
		print_report_json(devnull, &sum, names, &opts);
	}
	summary_free(&sum);
	if (run->nr_intervals && !summary_of_run(run, 0, 1, &sum)) {
		sum.interval_index = 1;
		print_interval_text(devnull, &sum, names, &opts);
	}
	summary_free(&sum);
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
