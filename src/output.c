// SPDX-License-Identifier: GPL-2.0
/* The -I lines, and the end of a run: report, heatmaps, --heatmap-out (include/output.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "heatmap.h"
#include "output.h"
#include "trace_out.h"
#include "util.h"

int output_check_writable(const char *opt, const char *path)
{
	char dir[4096];
	struct stat st;

	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmexitprof: %s: no directory %s\n", opt, dir);
		return -1;
	}
	if (access(dir, W_OK)) {
		fprintf(stderr, "vmexitprof: %s: cannot write in %s: %s\n", opt, dir, strerror(errno));
		return -1;
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmexitprof: %s: %s is a directory\n", opt, path);
		return -1;
	}
	return 0;
}

/* The sorted summary printed as text or JSON. */
static void print_summary(struct summary *sum, const struct output_opts *opts,
			  const struct reason_table *names, bool interval_line)
{
	summary_sort(sum, opts->sort);
	if (opts->json)
		print_report_json(stdout, sum, names, &opts->print);
	else if (interval_line)
		print_interval_text(stdout, sum, names, &opts->print);
	else
		print_report_text(stdout, sum, names, &opts->print);
}

void output_interval_header(const struct output_opts *opts)
{
	if (!opts->json)
		print_interval_header(stdout, &opts->print);
}

int output_interval(const struct run *run, size_t i, __u64 index, const struct output_opts *opts,
		    const struct reason_table *names)
{
	struct summary sum = {};
	int err = summary_of_run(run, i, 1, &sum);

	if (!err) {
		sum.interval_index = index;
		print_summary(&sum, opts, names, true);
		fflush(stdout);
	}
	summary_free(&sum);
	return err;
}

struct file_content {
	const struct run *run;
	const struct reason_table *names;
	const struct output_opts *opts;
};

/* write_file_atomic()'s filler: the file --heatmap-out names. 0 or a positive errno. */
static int write_content(FILE *f, void *ctx)
{
	const struct file_content *c = ctx;
	struct heatmap *maps = NULL;
	size_t nr = 0;

	if (c->opts->heatmap_out_kind == OUT_CSV) {
		dump_write_csv(f, c->run, c->names);
		return 0;
	}
	if (c->opts->heatmap_out_kind == OUT_JSON) {
		dump_write_json(f, c->run, c->names);
		return 0;
	}
	if (heatmaps_build(c->run, c->opts->heatmap ? c->opts->heatmap : "all",
			   c->opts->print.per_vcpu, c->names, &maps, &nr))
		return ENOMEM;
	heatmap_write_svg(f, maps, nr);
	heatmaps_free(maps, nr);
	return 0;
}

static bool use_color(enum color_mode mode)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	/* https://no-color.org: any non-empty NO_COLOR turns colour off. */
	return isatty(STDOUT_FILENO) && !(no_color && *no_color) && !(term && !strcmp(term, "dumb"));
}

static unsigned int terminal_width(void)
{
	struct winsize ws;
	const char *columns = getenv("COLUMNS");

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	if (columns && atoi(columns) > 0)
		return atoi(columns);
	return 80;
}

static int print_heatmaps(const struct run *run, const struct output_opts *opts,
			  const struct reason_table *names)
{
	struct heatmap *maps = NULL;
	bool color = use_color(opts->color);
	unsigned int width = terminal_width();
	size_t nr = 0;
	int err = heatmaps_build(run, opts->heatmap, opts->print.per_vcpu, names, &maps, &nr);

	for (size_t i = 0; i < nr; i++)
		heatmap_print(stdout, &maps[i], width, color);
	heatmaps_free(maps, nr);
	return err;
}

/* write_file_atomic()'s filler for --trace-out. */
static int write_trace(FILE *f, void *ctx)
{
	const struct file_content *c = ctx;

	return trace_out_write(f, c->run, c->names);
}

/* report FILE: the dump's slow exits, as a live run printed them. */
static void list_outliers(const struct run *run, const struct output_opts *opts,
			  const struct reason_table *names)
{
	if (!run->nr_outliers)
		return;
	if (!opts->json)
		print_outlier_header(stdout);
	for (size_t i = 0; i < run->nr_outliers; i++) {
		if (opts->json)
			print_outlier_json(stdout, &run->outliers[i], names);
		else
			print_outlier_text(stdout, &run->outliers[i], names);
	}
}

int output_run(const struct run *run, const struct snapshot *total, const struct output_opts *opts,
	       const struct reason_table *names)
{
	struct summary sum = {};
	int err;

	if (opts->trace_out && !run->slower_than_ns) {
		fprintf(stderr, "vmexitprof: --trace-out: this run has no slow exits: it was not "
			"taken with --slower-than\n");
		return 1;
	}
	if (opts->list_outliers)
		list_outliers(run, opts, names);

	/* The totals from the live run's last snapshot, exact even when intervals were dropped. */
	if (total)
		err = summary_of_total(run, total, &sum);
	else
		err = summary_of_run(run, 0, run->nr_intervals, &sum);
	if (err)
		goto nomem;
	sum.duration_ns = run->duration_ns;
	sum.interval_start_ns = sum.interval_end_ns = 0;
	print_summary(&sum, opts, names, false);
	summary_free(&sum);
	if (opts->heatmap && !opts->json && print_heatmaps(run, opts, names))
		goto nomem;
	fflush(stdout);
	if (opts->heatmap_out) {
		struct file_content c = { run, names, opts };

		err = write_file_atomic(opts->heatmap_out, write_content, &c);
		if (err) {
			fprintf(stderr, "vmexitprof: --heatmap-out: cannot write %s: %s; it was left as "
				"it was\n", opts->heatmap_out, strerror(err));
			return 1;
		}
	}
	if (opts->trace_out) {
		struct file_content c = { run, names, opts };

		err = write_file_atomic(opts->trace_out, write_trace, &c);
		if (err) {
			fprintf(stderr, "vmexitprof: --trace-out: cannot write %s: %s; it was left as "
				"it was\n", opts->trace_out, strerror(err));
			return 1;
		}
	}
	return 0;
nomem:
	summary_free(&sum);
	fprintf(stderr, "vmexitprof: out of memory\n");
	return 1;
}
