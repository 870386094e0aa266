// SPDX-License-Identifier: GPL-2.0
/*
 * bpf_cost: native BPF time per event of vmexitprof's programs, from the
 * kernel's own bpf_stats (run_time_ns / run_cnt), for bench/run.
 *
 *   bpf_cost testrun [--pairs N] [--rounds R] [--slower-than NS]
 *	Runs the exit and entry handlers (bench/bpf_cost.bpf.c; tp_btf's,
 *	and classic's) N times per round through BPF_PROG_TEST_RUN on this thread, each pair followed
 *	by a pair of empty programs run the same way (the floor) and by the
 *	two reference pairs (clock only; the least per-thread timer), the
 *	two probe reads of SVM's exit reason, the sched_switch handler for a
 *	traced thread with nothing pending (bpf/sched_split.bpf.h), and
 *	prints per round the ns per run of each. It checks that every exit
 *	was paired into the histogram, so what was timed is the full path.
 *	With --halt-msr, as with --msr --halt: an MSR access (kvm_msr) and a
 *	wakeup (kvm_vcpu_wakeup) run between each exit and its entry, timed
 *	too ("msr", "wakeup"), and the entry puts both into their rows.
 *	--slower-than NS loads the handlers as vmexitprof --slower-than
 *	does (every exit's details kept; none reaches NS unless NS is 1, and
 *	then each is sent: the ring buffer must have had them all or lost
 *	them counted), and times svm_detail_reads, the SVM reads it makes
 *	instead of svm_reason_reads.
 *
 *   bpf_cost attach-empty [--raw]
 *	Attaches empty programs to kvm:kvm_userspace_exit, kvm:kvm_fpu,
 *	kvm:kvm_pio, kvm:kvm_exit and kvm:kvm_entry (the floor there; with
 *	--raw, raw tracepoint programs on kvm_exit and kvm_entry instead) and
 *	holds bpf_stats on until SIGINT or SIGTERM; then prints their run
 *	counts and times.
 *
 * Output is one JSON document on stdout. Exit status 0, 1 on failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "vmexitprof.h"
#include "bpf_cost.h"
#include "bench/bpf_cost.skel.h"

#define SVM_EXIT_CPUID 0x72
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

struct run_stats {
	__u64 cnt;
	__u64 ns;
};

static int prog_stats(const struct bpf_program *prog, struct run_stats *out)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
		return -errno;
	out->cnt = info.run_cnt;
	out->ns = info.run_time_ns;
	return 0;
}

static int test_run(const struct bpf_program *prog, const struct bench_kvm_event *ev)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ev, .ctx_size_in = sizeof(*ev));

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &opts) ? -errno : 0;
}

static __u64 counter(struct bpf_cost_bpf *skel, enum counter c)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 values[ncpus], sums[NR_COUNTERS] = {};

	for (__u32 key = 0; key < NR_COUNTERS; key++) {
		if (bpf_map__lookup_elem(skel->maps.counters, &key, sizeof(key), values,
					 sizeof(values), 0))
			return 0;
		for (int i = 0; i < ncpus; i++)
			sums[key] += values[i];
	}
	counters_derive(sums);
	return sums[c];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[n];

	memcpy(s, v, sizeof(s));
	qsort(s, n, sizeof(s[0]), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

enum {
	P_EXIT, P_ENTRY, P_EMPTY_EXIT, P_EMPTY_ENTRY, P_CLOCK_EXIT, P_CLOCK_ENTRY,
	P_TIMER_EXIT, P_TIMER_ENTRY, P_CLASSIC_EXIT, P_CLASSIC_ENTRY, P_SVM_REASON_READS,
	P_SCHED_SWITCH, P_MSR, P_WAKEUP, P_SVM_DETAIL_READS, NR_TIMED
};
static const char *const timed_names[NR_TIMED] = {
	"exit", "entry", "empty_exit", "empty_entry", "clock_exit", "clock_entry",
	"timer_exit", "timer_entry", "classic_exit", "classic_entry", "svm_reason_reads",
	"sched_switch", "msr", "wakeup", "svm_detail_reads",
};

static int testrun(struct bpf_cost_bpf *skel, long pairs, int rounds, bool halt_msr)
{
	const struct bpf_program *progs[NR_TIMED] = {
		skel->progs.bench_kvm_exit, skel->progs.bench_kvm_entry,
		skel->progs.empty_exit, skel->progs.empty_entry,
		skel->progs.clock_exit, skel->progs.clock_entry,
		skel->progs.timer_exit, skel->progs.timer_entry,
		skel->progs.bench_classic_exit, skel->progs.bench_classic_entry,
		skel->progs.svm_reason_reads, skel->progs.bench_sched_switch,
		skel->progs.bench_kvm_msr, skel->progs.bench_kvm_wakeup, skel->progs.svm_detail_reads,
	};
	/*
	 * The order they run in; with --halt-msr an MSR access and a wakeup come
	 * between the exit and its entry, which then times both into their rows.
	 */
	static const int plain[] = { P_EXIT, P_ENTRY, P_EMPTY_EXIT, P_EMPTY_ENTRY, P_CLOCK_EXIT,
				     P_CLOCK_ENTRY, P_TIMER_EXIT, P_TIMER_ENTRY, P_CLASSIC_EXIT,
				     P_CLASSIC_ENTRY, P_SVM_REASON_READS, P_SCHED_SWITCH, P_SVM_DETAIL_READS };
	static const int with[] = { P_EXIT, P_MSR, P_WAKEUP, P_ENTRY, P_EMPTY_EXIT, P_EMPTY_ENTRY,
				    P_CLOCK_EXIT, P_CLOCK_ENTRY, P_TIMER_EXIT, P_TIMER_ENTRY,
				    P_CLASSIC_EXIT, P_CLASSIC_ENTRY, P_SVM_REASON_READS, P_SCHED_SWITCH,
				    P_SVM_DETAIL_READS };
	const int *order = halt_msr ? with : plain;
	int nr = halt_msr ? (int)ARRAY_SIZE(with) : (int)ARRAY_SIZE(plain);
	struct bench_kvm_event ev = { .vcpu = 0, .isa = ISA_SVM, .reason = SVM_EXIT_CPUID };
	double per_run[NR_TIMED][rounds], above[rounds];
	long warmup = pairs / 10 + 1, total = 0;
	struct run_stats before[NR_TIMED], after[NR_TIMED];
	__u64 exits, entries, paired;
	int err = 0;

	for (int r = -1; r < rounds && !err; r++) {
		long n = r < 0 ? warmup : pairs;	/* round -1 warms the caches and creates the slot */

		for (int p = 0; p < NR_TIMED && !err; p++)
			err = prog_stats(progs[p], &before[p]);
		for (long i = 0; i < n && !err; i++)
			for (int p = 0; p < nr && !err; p++)
				err = test_run(progs[order[p]], &ev);
		for (int p = 0; p < NR_TIMED && !err; p++)
			err = prog_stats(progs[p], &after[p]);
		if (err)
			break;
		total += n;
		if (r < 0)
			continue;
		for (int p = 0; p < NR_TIMED; p++) {
			__u64 cnt = after[p].cnt - before[p].cnt;

			if (!halt_msr && (p == P_MSR || p == P_WAKEUP)) {
				per_run[p][r] = 0;
				continue;
			}
			if (cnt != (__u64)n) {
				fprintf(stderr, "bpf_cost: %s ran %llu times in a round of %ld: "
					"bpf_stats not counting?\n", timed_names[p],
					(unsigned long long)cnt, n);
				return 1;
			}
			per_run[p][r] = (double)(after[p].ns - before[p].ns) / cnt;
		}
		above[r] = per_run[P_EXIT][r] + per_run[P_ENTRY][r] -
			   per_run[P_EMPTY_EXIT][r] - per_run[P_EMPTY_ENTRY][r];
	}
	if (err) {
		fprintf(stderr, "bpf_cost: BPF_PROG_TEST_RUN or prog info failed: %s\n", strerror(-err));
		return 1;
	}
	/* The timed path must be the whole one: each exit paired into its histogram. */
	exits = counter(skel, CNT_EXITS);
	entries = counter(skel, CNT_ENTRIES);
	paired = counter(skel, CNT_PAIRED);
	/* Two pairs of handlers (tp_btf's, classic's) ran total times each. */
	if (exits != 2ULL * total || entries != 2ULL * total || paired != 2ULL * total) {
		fprintf(stderr, "bpf_cost: %ld pairs run but exits %llu, entries %llu, paired %llu\n",
			2 * total, (unsigned long long)exits, (unsigned long long)entries,
			(unsigned long long)paired);
		return 1;
	}
	if (halt_msr && (counter(skel, CNT_IO_DROPPED) || counter(skel, CNT_HALT_DROPPED))) {
		fprintf(stderr, "bpf_cost: --halt-msr: MSR accesses or halts dropped\n");
		return 1;
	}

	printf("{\"mode\":\"testrun\",\"halt_msr\":%s,\"pairs_per_round\":%ld,\"rounds\":[",
	       halt_msr ? "true" : "false", pairs);
	for (int r = 0; r < rounds; r++) {
		printf("%s{", r ? "," : "");
		for (int p = 0; p < NR_TIMED; p++)
			printf("\"%s_ns\":%.1f,", timed_names[p], per_run[p][r]);
		printf("\"above_floor_ns\":%.1f}", above[r]);
	}
	printf("],\"median\":{");
	for (int p = 0; p < NR_TIMED; p++)
		printf("\"%s_ns\":%.1f,", timed_names[p], median(per_run[p], rounds));
	printf("\"above_floor_ns\":%.1f},", median(above, rounds));
	printf("\"slower_than_ns\":%llu,\"counters\":{\"exits\":%llu,\"entries\":%llu,\"paired\":%llu,"
	       "\"outliers\":%llu,\"outliers_lost\":%llu}}\n",
	       (unsigned long long)skel->rodata->slower_than_ns,
	       (unsigned long long)exits, (unsigned long long)entries, (unsigned long long)paired,
	       (unsigned long long)counter(skel, CNT_OUTLIERS),
	       (unsigned long long)counter(skel, CNT_OUTLIERS_LOST));
	return 0;
}

struct attached {
	const struct bpf_program *prog;
	const char *tp;
};

static int attach_empty(struct bpf_cost_bpf *skel, bool raw)
{
	const struct attached classic[] = {
		{ skel->progs.empty_userspace_exit, "kvm:kvm_userspace_exit" },
		{ skel->progs.empty_fpu, "kvm:kvm_fpu" },
		{ skel->progs.empty_pio, "kvm:kvm_pio" },
		{ skel->progs.empty_tp_exit, "kvm:kvm_exit" },
		{ skel->progs.empty_tp_entry, "kvm:kvm_entry" },
	}, raw_tps[] = {
		{ skel->progs.empty_raw_exit, "raw kvm_exit" },
		{ skel->progs.empty_raw_entry, "raw kvm_entry" },
	};
	const struct attached *progs = raw ? raw_tps : classic;
	const int n = raw ? 2 : 5;
	int err = bpf_cost_bpf__attach(skel);

	if (err) {
		fprintf(stderr, "bpf_cost: cannot attach: %s\n", strerror(-err));
		return 1;
	}
	fprintf(stderr, "bpf_cost: attached\n");
	while (!exiting)
		pause();
	bpf_cost_bpf__detach(skel);
	printf("{\"mode\":\"attach-empty\",\"programs\":[");
	for (int i = 0; i < n; i++) {
		struct run_stats s = {};

		prog_stats(progs[i].prog, &s);
		printf("%s{\"name\":\"%s\",\"tracepoint\":\"%s\",\"run_cnt\":%llu,\"run_time_ns\":%llu}",
		       i ? "," : "", bpf_program__name(progs[i].prog), progs[i].tp,
		       (unsigned long long)s.cnt, (unsigned long long)s.ns);
	}
	printf("]}\n");
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bpf_cost testrun [--pairs N] [--rounds R] [--halt-msr] [--slower-than NS]\n"
		   "       bpf_cost attach-empty [--raw]\n");
}

int main(int argc, char **argv)
{
	struct bpf_cost_bpf *skel = NULL;
	bool testrun_mode, raw = false, halt_msr = false;
	long pairs = 200000;
	unsigned long long slower_than = 0;
	int rounds = 5, stats_fd = -1, err = 1;

	if (argc < 2 || (strcmp(argv[1], "testrun") && strcmp(argv[1], "attach-empty"))) {
		usage(stderr);
		return 2;
	}
	testrun_mode = !strcmp(argv[1], "testrun");
	for (int i = 2; i < argc; i++) {
		if (testrun_mode && i + 1 < argc && !strcmp(argv[i], "--pairs")) {
			pairs = strtol(argv[++i], NULL, 10);
		} else if (testrun_mode && i + 1 < argc && !strcmp(argv[i], "--rounds")) {
			rounds = atoi(argv[++i]);
		} else if (testrun_mode && !strcmp(argv[i], "--halt-msr")) {
			halt_msr = true;
		} else if (testrun_mode && i + 1 < argc && !strcmp(argv[i], "--slower-than")) {
			slower_than = strtoull(argv[++i], NULL, 10);
		} else if (!testrun_mode && !strcmp(argv[i], "--raw")) {
			raw = true;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (pairs < 1 || rounds < 1 || rounds > 1000) {
		usage(stderr);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	libbpf_set_print(print_libbpf);

	skel = bpf_cost_bpf__open();
	if (!skel) {
		fprintf(stderr, "bpf_cost: cannot open the BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	/* As `vmexitprof -p PID`: the handlers run their pid filter, and pass. */
	skel->rodata->target_pids[0] = getpid();
	skel->rodata->nr_target_pids = 1;
	/* As --msr --halt: the entry also times the exit's MSR row and the wakeup. */
	skel->rodata->time_exit_tallies = halt_msr;
	skel->rodata->trace_halts = halt_msr;
	bpf_program__set_autoload(skel->progs.bench_kvm_msr, testrun_mode);
	bpf_program__set_autoload(skel->progs.bench_kvm_wakeup, testrun_mode);
	skel->rodata->slower_than_ns = slower_than;
	/* Load only what this mode attaches: attach() takes every loaded program with a target. */
	bpf_program__set_autoload(skel->progs.empty_userspace_exit, !testrun_mode && !raw);
	bpf_program__set_autoload(skel->progs.empty_fpu, !testrun_mode && !raw);
	bpf_program__set_autoload(skel->progs.empty_pio, !testrun_mode && !raw);
	bpf_program__set_autoload(skel->progs.empty_tp_exit, !testrun_mode && !raw);
	bpf_program__set_autoload(skel->progs.empty_tp_entry, !testrun_mode && !raw);
	bpf_program__set_autoload(skel->progs.empty_raw_exit, raw);
	bpf_program__set_autoload(skel->progs.empty_raw_entry, raw);
	err = bpf_cost_bpf__load(skel);
	if (err) {
		fprintf(stderr, "bpf_cost: cannot load the BPF object: %s\n", strerror(-err));
		err = 1;
		goto cleanup;
	}
	/* Held for our lifetime; composes with kernel.bpf_stats_enabled. */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "bpf_cost: cannot enable bpf_stats: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (testrun_mode) {
		/* One CPU: the per-CPU maps and task storage stay warm, as on a vCPU's CPU. */
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(sched_getcpu(), &set);
		sched_setaffinity(0, sizeof(set), &set);
		err = testrun(skel, pairs, rounds, halt_msr);
	} else {
		err = attach_empty(skel, raw);
	}

cleanup:
	if (stats_fd >= 0)
		close(stats_fd);
	bpf_cost_bpf__destroy(skel);
	return err;
}
