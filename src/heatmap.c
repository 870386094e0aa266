// SPDX-License-Identifier: GPL-2.0
/* Latency heatmaps (include/heatmap.h): built from intervals, drawn as text or SVG. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heatmap.h"
#include "util.h"

#define MIN_ROWS 30	/* the issue's "about 30-40 rows" */
#define LABEL_WIDTH 9	/* "  2.05ms " */

/* Buckets 0 (underflow) and the overflow fold into their neighbours' rows. */
static __u32 clamp_bucket(__u32 b)
{
	return b < 1 ? 1 : b >= HIST_OVERFLOW ? HIST_OVERFLOW - 1 : b;
}

static bool key_selected(const struct hist_key *k, const struct run_vm *vm, __u32 vcpu,
			 const char *what, const struct reason_table *names)
{
	return k->pid == vm->pid && k->vm_start == vm->start &&
	       (vcpu == VCPU_UNKNOWN || k->vcpu == vcpu) &&
	       reason_key_matches(names, k->isa, k->reason, what);
}

static void make_title(struct heatmap *hm, const struct run_vm *vm, __u32 vcpu, const char *what)
{
	char where[160], per[32] = "";

	if (vcpu != VCPU_UNKNOWN)
		snprintf(per, sizeof(per), ", vCPU %u", vcpu);
	snprintf(where, sizeof(where), "VM pid %u (%s)%s", vm->pid, vm->name, per);
	if (!strcasecmp(what, "vmm"))
		snprintf(hm->title, sizeof(hm->title), "VMM handling time, %s", where);
	else if (!strcasecmp(what, "all"))
		snprintf(hm->title, sizeof(hm->title), "Exit-to-entry latency, all reasons, %s", where);
	else
		snprintf(hm->title, sizeof(hm->title), "Exit-to-entry latency of %s, %s", what, where);
}

int heatmap_build(struct heatmap *hm, const struct run *run, const struct run_vm *vm, __u32 vcpu,
		  const char *what, const struct reason_table *names)
{
	__u32 lo = HIST_OVERFLOW, hi = 0, step = 1, first, last;

	memset(hm, 0, sizeof(*hm));
	make_title(hm, vm, vcpu, what);
	for (size_t i = 0; i < run->nr_intervals; i++) {
		const struct interval *iv = &run->intervals[i];

		for (size_t h = 0; h < iv->nr_hists; h++) {
			const struct sparse_hist *s = &iv->hists[h];

			if (!key_selected(&s->key, vm, vcpu, what, names))
				continue;
			for (__u32 b = 0; b < s->nr_buckets; b++) {
				__u32 c = clamp_bucket(s->buckets[b].bucket);

				lo = c < lo ? c : lo;
				hi = c > hi ? c : hi;
			}
		}
	}
	if (hi < lo)
		return 0;	/* nothing selected */
	/* Rows of 1, 2, 4, 8 or 16 sub-buckets (an octave): the finest that fits. */
	for (;;) {
		first = 1 + (lo - 1) / step * step;
		last = 1 + (hi - 1) / step * step;
		hm->nr_rows = (last - first) / step + 1;
		if (hm->nr_rows <= HEATMAP_MAX_ROWS || step == HIST_SUB)
			break;
		step *= 2;
	}
	/* At least MIN_ROWS where the histogram's range allows: room around the data. */
	while (hm->nr_rows < MIN_ROWS) {
		bool grew = false;

		if (first > step) {
			first -= step;
			hm->nr_rows++;
			grew = true;
		}
		if (hm->nr_rows < MIN_ROWS && last + step < HIST_OVERFLOW) {
			last += step;
			hm->nr_rows++;
			grew = true;
		}
		if (!grew)
			break;
	}
	for (unsigned int r = 0; r <= hm->nr_rows; r++)
		hm->row_lower_ns[r] = hist_bucket_lower(first + r * step);
	hm->nr_cols = run->nr_intervals;
	hm->col_start_ns = calloc(hm->nr_cols + 1, sizeof(*hm->col_start_ns));
	hm->cells = calloc(hm->nr_cols * hm->nr_rows, sizeof(*hm->cells));
	if (!hm->col_start_ns || !hm->cells) {
		heatmap_free(hm);
		return -ENOMEM;
	}
	for (size_t i = 0; i < run->nr_intervals; i++) {
		const struct interval *iv = &run->intervals[i];

		hm->col_start_ns[i] = iv->start_ns;
		hm->col_start_ns[i + 1] = iv->end_ns;
		for (size_t h = 0; h < iv->nr_hists; h++) {
			const struct sparse_hist *s = &iv->hists[h];

			if (!key_selected(&s->key, vm, vcpu, what, names))
				continue;
			for (__u32 b = 0; b < s->nr_buckets; b++) {
				unsigned int row = (clamp_bucket(s->buckets[b].bucket) - first) / step;
				__u64 *cell = &hm->cells[i * hm->nr_rows + row];

				*cell += s->buckets[b].count;
				hm->total += s->buckets[b].count;
				if (*cell > hm->max_cell)
					hm->max_cell = *cell;
			}
		}
	}
	return 0;
}

/* VMs by pid, then start: the report's order. */
static int cmp_vm_ptrs(const void *a, const void *b)
{
	const struct run_vm *x = *(const struct run_vm *const *)a, *y = *(const struct run_vm *const *)b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

int heatmaps_build(const struct run *run, const char *what, bool per_vcpu,
		   const struct reason_table *names, struct heatmap **out, size_t *nr)
{
	const struct run_vm **vms = calloc(run->nr_vms ? run->nr_vms : 1, sizeof(*vms));
	struct heatmap *maps = NULL, *map;
	bool any_exit = false;
	size_t n = 0;

	if (!vms)
		return -ENOMEM;
	for (size_t v = 0; v < run->nr_vms; v++)
		vms[v] = &run->vms[v];
	sort_array(vms, run->nr_vms, sizeof(*vms), cmp_vm_ptrs);

	/* Where kvm_exit never fired, "all" means all there is: the VMM handling time. */
	for (size_t i = 0; i < run->nr_intervals && !any_exit; i++)
		for (size_t h = 0; h < run->intervals[i].nr_hists && !any_exit; h++)
			any_exit = run->intervals[i].hists[h].key.isa != ISA_VMM &&
				   run->intervals[i].hists[h].key.isa != ISA_HALT;
	if (!any_exit && !strcasecmp(what, "all"))
		what = "vmm";

	for (size_t v = 0; v < run->nr_vms; v++) {
		__u32 vcpus[MAX_VCPU_FILTER + 1];
		size_t nr_vcpus = 0;

		vcpus[nr_vcpus++] = VCPU_UNKNOWN;	/* the VM as a whole */
		if (per_vcpu) {
			/* Each vCPU id the VM's histograms have, once, in order seen. */
			for (size_t i = 0; i < run->nr_intervals; i++) {
				for (size_t h = 0; h < run->intervals[i].nr_hists; h++) {
					const struct hist_key *k = &run->intervals[i].hists[h].key;
					size_t j = 1;

					if (k->pid != vms[v]->pid || k->vm_start != vms[v]->start ||
					    k->vcpu == VCPU_UNKNOWN)
						continue;
					while (j < nr_vcpus && vcpus[j] != k->vcpu)
						j++;
					if (j == nr_vcpus && nr_vcpus < MAX_VCPU_FILTER + 1)
						vcpus[nr_vcpus++] = k->vcpu;
				}
			}
		}
		for (size_t j = 0; j < nr_vcpus; j++) {
			map = array_append(&maps, &n, sizeof(*maps));
			if (!map)
				goto nomem;
			if (heatmap_build(map, run, vms[v], vcpus[j], what, names)) {
				n--;
				goto nomem;
			}
		}
	}
	free(vms);
	*out = maps;
	*nr = n;
	return 0;
nomem:
	free(vms);
	heatmaps_free(maps, n);
	return -ENOMEM;
}

void heatmaps_free(struct heatmap *maps, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		heatmap_free(&maps[i]);
	free(maps);
}

void heatmap_free(struct heatmap *hm)
{
	free(hm->col_start_ns);
	free(hm->cells);
	hm->col_start_ns = NULL;
	hm->cells = NULL;
}

/* 0 for an empty cell, else 1..levels on a log scale of the count up to max. */
/*
 * 0 for an empty cell, else 1..levels on a log scale of the count up to
 * max. max is a double: a merged column's scale is the largest cell
 * times the columns merged, which overflows 64 bits for counts near 2^62;
 * and the level is clamped, so an index into a palette stays inside it.
 */
static unsigned int level(__u64 count, double max, unsigned int levels)
{
	double l;

	if (!count)
		return 0;
	if (max <= 1)
		return levels;
	l = 1 + (levels - 1) * log((double)count) / log(max) + 0.5;
	return l >= levels ? levels : (unsigned int)l;
}

/* The smallest count that reaches level l (1..levels). */
static __u64 level_floor(unsigned int l, __u64 max, unsigned int levels)
{
	if (max <= 1 || l <= 1)
		return 1;
	return (__u64)ceil(exp(((double)l - 1.5) / (levels - 1) * log((double)max)));
}

/* ANSI 256-colour backgrounds, dark blue to red; and the ASCII ramp without colour. */
static const unsigned char palette[] = {
	17, 18, 19, 20, 21, 26, 31, 36, 41, 46, 82, 118, 154, 190, 226, 220, 214, 208, 202, 196,
};
#define NR_COLORS ARRAY_SIZE(palette)
static const char ramp[] = " .:-=+*#%@";
#define NR_SHADES (sizeof(ramp) - 2)

static void put_cell(FILE *out, unsigned int lvl, bool color, int *cur)
{
	if (!color) {
		fputc(ramp[lvl], out);
		return;
	}
	if ((int)lvl != *cur) {
		if (lvl)
			fprintf(out, "\033[48;5;%um", palette[lvl - 1]);
		else
			fputs("\033[0m", out);
		*cur = lvl;
	}
	fputc(' ', out);
}

void heatmap_print(FILE *out, const struct heatmap *hm, unsigned int width, bool color)
{
	unsigned int levels = color ? NR_COLORS : NR_SHADES, avail, group, ncols;
	char label[16];

	if (!hm->total) {
		fprintf(out, "\n%s: nothing to draw\n", hm->title);
		return;
	}
	avail = width > LABEL_WIDTH + 12 ? width - LABEL_WIDTH - 2 : 10;
	group = (hm->nr_cols + avail - 1) / avail;
	ncols = (hm->nr_cols + group - 1) / group;
	fprintf(out, "\n%s\n", hm->title);
	if (group > 1)
		fprintf(out, "(%zu intervals, %u to a column to fit %u columns)\n", hm->nr_cols, group, width);
	for (int r = hm->nr_rows - 1; r >= 0; r--) {
		int cur = 0;

		format_ns(label, sizeof(label), hm->row_lower_ns[r]);
		fprintf(out, "%*s |", LABEL_WIDTH - 1, label);
		for (unsigned int c = 0; c < ncols; c++) {
			__u64 sum = 0;

			/* Saturating: cells of 2^62 merged would wrap. */
			for (unsigned int g = c * group; g < (c + 1) * group && g < hm->nr_cols; g++)
				sum = __builtin_add_overflow(sum, hm->cells[g * hm->nr_rows + r], &sum) ?
				      ~0ULL : sum;
			/* A merged column's scale grows with the number merged. */
			put_cell(out, level(sum, (double)hm->max_cell * group, levels), color, &cur);
		}
		fputs(color && cur ? "\033[0m|\n" : "|\n", out);
	}
	/* x axis: a tick and the time every 10 columns. */
	fprintf(out, "%*s +", LABEL_WIDTH - 1, "");
	for (unsigned int c = 0; c < ncols; c++)
		fputc(c % 10 ? '-' : '+', out);
	fprintf(out, "+\n%*s  ", LABEL_WIDTH - 1, "");
	for (unsigned int c = 0; c < ncols; c += 10) {
		char t[16];
		int n = snprintf(t, sizeof(t), "%.1fs", hm->col_start_ns[c * group] / 1e9);

		fprintf(out, "%-10s", n < 10 ? t : "");
	}
	fprintf(out, "\n%*s  time since the start; latency rows are log-scaled (lower bound shown)\n",
		LABEL_WIDTH - 1, "");
	/* Legend: a sample of each level with the smallest count it stands for. */
	fprintf(out, "%*s  count per cell:", LABEL_WIDTH - 1, "");
	for (unsigned int l = 1; l <= levels; l += color ? 3 : 1) {
		int cur = 0;

		fputc(' ', out);
		put_cell(out, l, color, &cur);
		if (color)
			fputs("\033[0m", out);
		fprintf(out, "%s%llu", color ? "" : "=", (unsigned long long)level_floor(l, hm->max_cell, levels));
	}
	fprintf(out, " (max %llu, log scale)\n", (unsigned long long)hm->max_cell);
}

/* ---- SVG ----------------------------------------------------------------- */

#define SVG_LEFT 90
#define SVG_TOP 40
#define SVG_ROW_H 12
#define SVG_BOTTOM 60
#define SVG_LEGEND_W 170
#define SVG_PLOT_W 800

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			fputc((unsigned char)*s < 0x20 ? '?' : *s, out);
		}
	}
}

/* Dark blue through green to yellow and red, for levels 1..levels. */
static void svg_color(char *buf, size_t len, unsigned int l, unsigned int levels)
{
	static const double stops[][3] = {
		{ 0x0d, 0x08, 0x87 }, { 0x1f, 0x9e, 0x89 }, { 0xb5, 0xde, 0x2b }, { 0xfd, 0xe7, 0x25 },
		{ 0xe3, 0x1a, 0x1c },
	};
	double x = levels > 1 ? (double)(l - 1) / (levels - 1) * 4 : 4;
	int i = x >= 4 ? 3 : (int)x;
	double f = x - i;

	snprintf(buf, len, "#%02x%02x%02x", (int)(stops[i][0] + f * (stops[i + 1][0] - stops[i][0])),
		 (int)(stops[i][1] + f * (stops[i + 1][1] - stops[i][1])),
		 (int)(stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
}

static unsigned int svg_height(const struct heatmap *hm)
{
	return SVG_TOP + (hm->total ? hm->nr_rows * SVG_ROW_H : SVG_ROW_H) + SVG_BOTTOM;
}

static void svg_map(FILE *out, const struct heatmap *hm, unsigned int y0)
{
	const unsigned int levels = 32;
	double cw = hm->nr_cols ? (double)SVG_PLOT_W / hm->nr_cols : SVG_PLOT_W;
	unsigned int plot_h = hm->nr_rows * SVG_ROW_H;
	char color[16], lo[16], hi[16];

	fprintf(out, "<g transform=\"translate(0,%u)\">\n<text class=\"title\" x=\"%d\" y=\"24\">",
		y0, SVG_LEFT);
	xml_text(out, hm->title);
	fputs("</text>\n", out);
	if (!hm->total) {
		fprintf(out, "<text x=\"%d\" y=\"%d\">nothing to draw</text>\n</g>\n", SVG_LEFT,
			SVG_TOP + SVG_ROW_H);
		return;
	}
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%u\" fill=\"#f4f4f4\"/>\n",
		SVG_LEFT, SVG_TOP, SVG_PLOT_W, plot_h);
	for (size_t c = 0; c < hm->nr_cols; c++) {
		for (unsigned int r = 0; r < hm->nr_rows; r++) {
			__u64 n = hm->cells[c * hm->nr_rows + r];

			if (n)
				svg_color(color, sizeof(color), level(n, hm->max_cell, levels), levels);
			else
				snprintf(color, sizeof(color), "#f4f4f4");
			format_ns(lo, sizeof(lo), hm->row_lower_ns[r]);
			format_ns(hi, sizeof(hi), hm->row_lower_ns[r + 1]);
			fprintf(out, "<rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%d\" fill=\"%s\">"
				"<title>%.3f-%.3f s, %s-%s: %llu</title></rect>\n",
				SVG_LEFT + c * cw, SVG_TOP + (hm->nr_rows - 1 - r) * SVG_ROW_H, cw + 0.05,
				SVG_ROW_H, color, hm->col_start_ns[c] / 1e9, hm->col_start_ns[c + 1] / 1e9,
				lo, hi, (unsigned long long)n);
		}
	}
	/* y axis: every other row's lower bound. */
	for (unsigned int r = 0; r <= hm->nr_rows; r += 2) {
		format_ns(lo, sizeof(lo), hm->row_lower_ns[r]);
		fprintf(out, "<text class=\"axis\" x=\"%d\" y=\"%u\" text-anchor=\"end\">%s</text>\n",
			SVG_LEFT - 6, SVG_TOP + (hm->nr_rows - r) * SVG_ROW_H + 4, lo);
	}
	fprintf(out, "<text class=\"axis\" transform=\"translate(14,%u) rotate(-90)\" "
		"text-anchor=\"middle\">latency (log scale)</text>\n", SVG_TOP + plot_h / 2);
	/* x axis: ten ticks. */
	for (int t = 0; t <= 10; t++) {
		size_t c = hm->nr_cols * t / 10;
		double x = SVG_LEFT + c * cw;

		fprintf(out, "<line x1=\"%.2f\" y1=\"%u\" x2=\"%.2f\" y2=\"%u\" stroke=\"#333\"/>"
			"<text class=\"axis\" x=\"%.2f\" y=\"%u\" text-anchor=\"middle\">%.2fs</text>\n",
			x, SVG_TOP + plot_h, x, SVG_TOP + plot_h + 5, x, SVG_TOP + plot_h + 18,
			hm->col_start_ns[c] / 1e9);
	}
	fprintf(out, "<text class=\"axis\" x=\"%d\" y=\"%u\" text-anchor=\"middle\">time since the "
		"start (a column per interval)</text>\n", SVG_LEFT + SVG_PLOT_W / 2, SVG_TOP + plot_h + 36);
	/* Legend: count per cell, log scale. */
	for (unsigned int l = levels; l >= 1; l--) {
		svg_color(color, sizeof(color), l, levels);
		fprintf(out, "<rect x=\"%d\" y=\"%u\" width=\"16\" height=\"%.2f\" fill=\"%s\"/>\n",
			SVG_LEFT + SVG_PLOT_W + 20, SVG_TOP + (levels - l) * plot_h / levels,
			(double)plot_h / levels + 0.05, color);
	}
	fprintf(out, "<text class=\"axis\" x=\"%d\" y=\"%d\">%llu</text>\n"
		"<text class=\"axis\" x=\"%d\" y=\"%u\">1</text>\n"
		"<text class=\"axis\" x=\"%d\" y=\"%d\">count per cell (log)</text>\n",
		SVG_LEFT + SVG_PLOT_W + 42, SVG_TOP + 10, (unsigned long long)hm->max_cell,
		SVG_LEFT + SVG_PLOT_W + 42, SVG_TOP + plot_h, SVG_LEFT + SVG_PLOT_W + 20, SVG_TOP - 6);
	fputs("</g>\n", out);
}

void heatmap_write_svg(FILE *out, const struct heatmap *maps, size_t nr)
{
	unsigned int height = 0, y = 0;

	for (size_t i = 0; i < nr; i++)
		height += svg_height(&maps[i]);
	if (!nr)
		height = SVG_TOP + SVG_BOTTOM;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
		"viewBox=\"0 0 %d %u\" font-family=\"sans-serif\">\n"
		"<style>.title{font-size:14px;font-weight:bold}.axis{font-size:10px}</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
		SVG_LEFT + SVG_PLOT_W + SVG_LEGEND_W, height, SVG_LEFT + SVG_PLOT_W + SVG_LEGEND_W, height);
	if (!nr)
		fprintf(out, "<text x=\"%d\" y=\"%d\">vmexitprof: no latencies to draw</text>\n", SVG_LEFT,
			SVG_TOP);
	for (size_t i = 0; i < nr; i++) {
		svg_map(out, &maps[i], y);
		y += svg_height(&maps[i]);
	}
	fputs("</svg>\n", out);
}
