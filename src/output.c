// SPDX-License-Identifier: GPL-2.0
/* The report, heatmaps and files at the end of a run, live or saved (include/output.h). */
#define _GNU_SOURCE	/* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dump.h"
#include "heatmap.h"
#include "output.h"
#include "report.h"

/*
 * Bigger dumps are refused rather than parsed into memory. A dump takes
 * about 800 bytes per interval per (VM, vCPU, reason) seen in it (624,566
 * bytes for 807 intervals of one such key, measured); long runs at short
 * intervals need a longer -I to stay under this.
 */
#define MAX_DUMP_BYTES (1ULL << 30)

static void dir_of(const char *path, char *dir, size_t len)
{
	char *copy = strdup(path);

	snprintf(dir, len, "%s", copy ? dirname(copy) : ".");
	free(copy);
}

int output_check_writable(const char *path)
{
	char dir[4096];
	struct stat st;

	dir_of(path, dir, sizeof(dir));
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmexitprof: --heatmap-out: no directory %s\n", dir);
		return -1;
	}
	if (access(dir, W_OK)) {
		fprintf(stderr, "vmexitprof: --heatmap-out: cannot write in %s: %s\n", dir, strerror(errno));
		return -1;
	}
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmexitprof: --heatmap-out: %s is a directory\n", path);
		return -1;
	}
	return 0;
}

struct file_content {
	const struct run *run;
	const struct reason_table *names;
	const struct env *env;
};

static int build_heatmaps(const struct run *run, const struct env *env,
			  const struct reason_table *names, struct heatmap **out, size_t *nr);

static int write_content(FILE *f, const struct file_content *c)
{
	struct heatmap *maps = NULL;
	size_t nr = 0;
	int err;

	if (c->env->heatmap_out_kind == OUT_CSV) {
		dump_write_csv(f, c->run, c->names);
		return 0;
	}
	if (c->env->heatmap_out_kind == OUT_JSON) {
		dump_write_json(f, c->run, c->names);
		return 0;
	}
	err = build_heatmaps(c->run, c->env, c->names, &maps, &nr);
	if (!err)
		heatmap_write_svg(f, maps, nr);
	for (size_t i = 0; i < nr; i++)
		heatmap_free(&maps[i]);
	free(maps);
	return err;
}

/* Make a rename durable: sync the directory that holds the name. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Write path whole or not at all: into an unnamed file in the same
 * directory (O_TMPFILE; a named temporary where that is unsupported),
 * synced, then linked under a temporary name and renamed over path. A run
 * killed on the way leaves path as it was.
 */
static int write_atomic(const char *path, const struct file_content *c)
{
	char dir[4096], tmp[4200], proc[64];
	bool named = false;
	FILE *f = NULL;
	int fd, err = 0;

	dir_of(path, dir, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s/.vmexitprof-XXXXXX", dir);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		fd = mkstemp(tmp);
		named = fd >= 0;
		if (named)
			fchmod(fd, 0644);
	}
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	if (write_content(f, c)) {
		err = ENOMEM;
		goto fail;
	}
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		err = errno ? errno : EIO;
		goto fail;
	}
	if (!named) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(f));
		/* linkat cannot replace: link under a fresh name, then rename. */
		for (int tries = 0;; tries++) {
			snprintf(tmp, sizeof(tmp), "%s/.vmexitprof-%d-%d", dir, getpid(), tries);
			if (!linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
				break;
			if (errno != EEXIST || tries > 100) {
				err = errno;
				goto fail;
			}
		}
		named = true;
	}
	if (rename(tmp, path)) {
		err = errno;
		goto fail;
	}
	fclose(f);	/* flushed and synced above: nothing left to fail */
	sync_dir(dir);
	return 0;
fail:
	if (f)
		fclose(f);
	if (named)
		unlink(tmp);
	fprintf(stderr, "vmexitprof: --heatmap-out: cannot write %s: %s; it was left as it was\n", path,
		strerror(err));
	return -1;
}

/* Heatmaps of every VM (and of every vCPU with --per-vcpu) for --heatmap, default all. */
static int build_heatmaps(const struct run *run, const struct env *env,
			  const struct reason_table *names, struct heatmap **out, size_t *nr)
{
	const char *what = env->heatmap ? env->heatmap : "all";
	struct heatmap *maps = NULL;
	bool any_exit = false;
	size_t n = 0;

	/* Where kvm_exit never fired, "all" means all there is: the VMM handling time. */
	for (size_t i = 0; i < run->nr_intervals && !any_exit; i++)
		for (size_t h = 0; h < run->intervals[i].nr_hists && !any_exit; h++)
			any_exit = run->intervals[i].hists[h].key.isa != ISA_VMM;
	if (!any_exit && !strcasecmp(what, "all"))
		what = "vmm";

	for (size_t v = 0; v < run->nr_vms; v++) {
		__u32 vcpus[MAX_VCPU_FILTER + 1];
		size_t nr_vcpus = 0;

		vcpus[nr_vcpus++] = VCPU_UNKNOWN;	/* the VM as a whole */
		if (env->per_vcpu) {
			/* Each vCPU id the VM's histograms have, once, in order seen. */
			for (size_t i = 0; i < run->nr_intervals; i++) {
				for (size_t h = 0; h < run->intervals[i].nr_hists; h++) {
					const struct hist_key *k = &run->intervals[i].hists[h].key;
					size_t j = 1;

					if (k->pid != run->vms[v].pid || k->vm_start != run->vms[v].start ||
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
			struct heatmap *grown = realloc(maps, (n + 1) * sizeof(*maps));

			if (!grown)
				goto nomem;
			maps = grown;
			if (heatmap_build(&maps[n], run, &run->vms[v], vcpus[j], what, names))
				goto nomem;
			n++;
		}
	}
	*out = maps;
	*nr = n;
	return 0;
nomem:
	for (size_t i = 0; i < n; i++)
		heatmap_free(&maps[i]);
	free(maps);
	return -ENOMEM;
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

static int print_heatmaps(const struct run *run, const struct env *env,
			  const struct reason_table *names)
{
	struct heatmap *maps = NULL;
	bool color = use_color(env->color);
	unsigned int width = terminal_width();
	size_t nr = 0;
	int err = build_heatmaps(run, env, names, &maps, &nr);

	for (size_t i = 0; i < nr; i++) {
		heatmap_print(stdout, &maps[i], width, color);
		heatmap_free(&maps[i]);
	}
	free(maps);
	return err;
}

int output_run(const struct run *run, const struct snapshot *total, const struct env *env,
	       const struct reason_table *names)
{
	static const struct snapshot empty;
	struct report rep = {};
	struct run whole = *run;
	struct interval all;
	int err;

	if (total) {
		/* The totals as one interval from nothing, with the run's names and flags. */
		err = snapshot_diff(total, &empty, &all);
		if (err)
			goto nomem;
		all.end_ns = run->duration_ns;
		whole.intervals = &all;
		whole.nr_intervals = 1;
		err = run_report(&whole, 0, 1, &rep);
		interval_free(&all);
	} else {
		err = run_report(run, 0, run->nr_intervals, &rep);
	}
	if (err)
		goto nomem;
	rep.duration_ns = run->duration_ns;
	rep.interval_start_ns = rep.interval_end_ns = 0;
	if (env->json)
		report_print_json(stdout, &rep, names, env);
	else
		report_print(stdout, &rep, names, env);
	report_free(&rep);
	if (env->heatmap && !env->json && print_heatmaps(run, env, names))
		goto nomem;
	fflush(stdout);
	if (env->heatmap_out) {
		struct file_content c = { run, names, env };

		return write_atomic(env->heatmap_out, &c) ? 1 : 0;
	}
	return 0;
nomem:
	report_free(&rep);
	fprintf(stderr, "vmexitprof: out of memory\n");
	return 1;
}

/* The whole file, NUL-terminated; NULL with errno set, EFBIG when too big. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	errno = 0;
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > MAX_DUMP_BYTES + 65536 + 1) {
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
	} while (got == 65536);
	if (ferror(f)) {
		int err = errno ? errno : EIO;	/* EISDIR for a directory */

		free(buf);
		fclose(f);
		errno = err;
		return NULL;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

int report_file(const struct env *env)
{
	struct reason_table names = {};
	struct run run = {};
	struct env e = *env;
	char err[256];
	size_t len;
	char *buf = read_all(env->report_file, &len);
	int status = 1;

	if (!buf) {
		fprintf(stderr, "vmexitprof: report: cannot read %s: %s\n", env->report_file,
			errno == EFBIG ? "bigger than 1 GiB, not a vmexitprof dump" : strerror(errno));
		return 1;
	}
	if (dump_read(buf, len, &run, &names, err, sizeof(err))) {
		fprintf(stderr, "vmexitprof: report: %s: %s\n", env->report_file, err);
		goto out;
	}
	if ((e.hist && reason_arg_check(&names, "--hist", e.hist, false)) ||
	    (e.heatmap && reason_arg_check(&names, "--heatmap", e.heatmap, true))) {
		status = 2;
		goto out;
	}
	e.ports = run.ports;
	e.mmio = run.mmio;
	status = output_run(&run, NULL, &e, &names);
out:
	free(buf);
	run_free(&run);
	reasons_free(&names);
	return status;
}
