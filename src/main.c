// SPDX-License-Identifier: GPL-2.0
/*
 * vmexitprof: KVM exit-to-entry latency per VM, vCPU and exit reason.
 * main: the command line to the loader, the loop that reads the maps
 * while the guests run, and the output at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collect.h"
#include "host.h"
#include "loader.h"
#include "output.h"
#include "proc.h"
#include "publish.h"
#include "reasons.h"
#include "replay.h"
#include "snapshot.h"
#include "version.h"

/* How long kvm_userspace_exit may fire alone before we call the host silent. */
#define SILENT_KVM_EXIT_CHECK_MS 3000
#define POLL_MS 100
/* How often the entries of exited VMs move from the maps to userspace. */
#define MOVE_EXITED_MS 1000
/* How often --prometheus's text is made again: a scrape sees numbers at most this old. */
#define PUBLISH_MS 1000

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Every -p target gone, a zombie, or its pid taken by another process since the start. */
static bool all_targets_exited(const struct trace_opts *opts, const __u64 *starts)
{
	for (unsigned int i = 0; i < opts->nr_pids; i++)
		if (vm_alive(opts->pids[i], starts[i]))
			return false;
	return opts->nr_pids > 0;
}

/*
 * Guests ran (kvm_userspace_exit fired) but kvm_exit never did: say so at
 * once, rather than let an empty latency table suggest that nothing happened.
 * The returns to userspace are still counted and reported.
 */
static bool host_is_silent(const __u64 *counters)
{
	if (counters[CNT_EXITS] || !counters[CNT_USERSPACE_EXITS])
		return false;
	fprintf(stderr,
		"vmexitprof: kvm:kvm_exit never fired although the guests returned to userspace %llu "
		"times: this host's KVM does not emit kvm_exit/kvm_entry%s, so there are no "
		"exit-to-entry latencies here, only the returns to userspace (run 'make demo' to see "
		"vmexitprof in a nested guest)\n",
		(unsigned long long)counters[CNT_USERSPACE_EXITS],
		access("/sys/module/kvm_pvm", F_OK) ? "" : " (it is PVM: kvm_pvm)");
	return true;
}

/* A live run's state between the loop's steps. */
struct session {
	const struct cli *cli;
	const struct reason_table *names;
	struct collector collector;
	struct run run;
	struct snapshot prev, cur;	/* the last interval's end, and now */
	bool keep_intervals;		/* for the heatmap or the dump */
	bool exporting;			/* --prometheus or --textfile: -I publishes, prints nothing */
	struct publisher pub;
	bool no_kvm_exit;		/* guests ran, kvm_exit never fired: said so on stderr */
	__u64 target_starts[MAX_TARGET_PIDS];	/* -p's processes' start times */
	__u64 interval_start_ns;	/* since the run started */
};

/*
 * The interval since the last snapshot: kept in the run, printed as -I
 * lines, then dropped unless a heatmap or dump wants it.
 */
static int end_interval(struct session *s, __u64 end_ns, bool keep)
{
	struct run *run = &s->run;
	struct interval iv;
	int err = snapshot_diff(&s->cur, &s->prev, &iv);

	if (err)
		return err;
	iv.start_ns = s->interval_start_ns;
	iv.end_ns = end_ns;
	/* As of this snapshot: guests ran and kvm_exit never fired is what PVM looks like. */
	run->kvm_exit_fired = counters_kvm_exit_fired(s->cur.counters);
	err = run_add_interval(run, &iv);
	run->nr_ended++;
	/* Without -I, nothing to print: the total is the run's report. */
	if (!err && s->cli->interval_ms && !s->exporting)
		err = output_interval(run, run->nr_intervals - 1, run->nr_ended, &s->cli->output,
				      s->names);
	if (!keep && run->nr_intervals)
		interval_free(&run->intervals[--run->nr_intervals]);
	snapshot_free(&s->prev);
	s->prev = s->cur;
	memset(&s->cur, 0, sizeof(s->cur));
	s->interval_start_ns = end_ns;
	return err;
}

/*
 * Move exited VMs' entries out of the maps; those the collector folded
 * into the merged VM are folded in the last interval's snapshot and the
 * run's names too, so that the next interval's difference is right.
 */
static int move_exited(struct session *s)
{
	struct vm_id *folded;
	size_t nr;
	int err = collect_move_exited(&s->collector, &s->run, &folded, &nr);

	for (size_t i = 0; i < nr && !err; i++) {
		err = snapshot_fold_vm(&s->prev, folded[i].pid, folded[i].start);
		if (!err)
			err = run_fold_vm(&s->run, folded[i].pid, folded[i].start);
	}
	free(folded);
	return err;
}

/*
 * The exposition made again from the maps now, served, and with textfile
 * written (a failed write is said and tried again next time). -errno.
 */
static int publish_now(struct session *s, bool textfile)
{
	struct snapshot total = {};
	int err = collect_snapshot(&s->collector, &total);

	if (!err)
		err = publish_refresh(&s->pub, &total, &s->run, s->names, s->collector.exited,
				      s->collector.nr_exited, textfile);
	snapshot_free(&total);
	if (!err && textfile)
		publish_textfile(&s->pub);
	return err;
}

/* Trace until a signal, -d, -c, or every -p target exited. 0, or -errno reading the maps. */
static int trace_loop(struct session *s, __u64 start)
{
	const struct cli *cli = s->cli;
	struct kvm_modules kvm_modules;
	__u64 now, elapsed_ms, nr_done = 0, last_move_ms = 0, last_publish_ms = 0, counters[NR_COUNTERS];
	bool checked_silence = false;
	int err;

	kvm_modules_init(&kvm_modules);
	/* Served, and the textfile there, from the start: empty, with build_info. */
	if (s->exporting && (err = publish_now(s, true)))
		return err;
	while (!exiting) {
		__u64 next_ms = cli->interval_ms ? (nr_done + 1) * cli->interval_ms : 0;

		now = now_ns();
		elapsed_ms = (now - start) / 1000000;
		/* Wake for the next interval's end on time; else poll. */
		sleep_ms(next_ms && next_ms - elapsed_ms < POLL_MS ? next_ms - elapsed_ms : POLL_MS);
		kvm_modules_check(&kvm_modules);
		now = now_ns();
		elapsed_ms = (now - start) / 1000000;
		collect_new_vm_names(&s->collector, &s->run);
		collect_vcpu_ids(&s->collector, &s->run);
		if (elapsed_ms - last_move_ms >= MOVE_EXITED_MS) {
			last_move_ms = elapsed_ms;
			err = move_exited(s);
			if (err)
				return err;
		}
		/* Each second; an interval's end below publishes anyway. */
		if (s->exporting && elapsed_ms - last_publish_ms >= PUBLISH_MS && !(next_ms && elapsed_ms >= next_ms)) {
			last_publish_ms = elapsed_ms;
			err = publish_now(s, false);
			if (err)
				return err;
		}
		if (cli->duration_ms && elapsed_ms >= cli->duration_ms)
			break;
		if (all_targets_exited(&cli->trace, s->target_starts))
			break;
		if (next_ms && elapsed_ms >= next_ms) {
			/* The last interval is read after detaching, in main. */
			if (cli->interval_count && nr_done + 1 >= cli->interval_count)
				break;
			/* An exporter's interval is the textfile's: no -I lines. */
			if (s->exporting) {
				err = publish_now(s, true);
				last_publish_ms = elapsed_ms;
			} else {
				err = collect_snapshot(&s->collector, &s->cur);
				if (!err)
					err = end_interval(s, now - start, s->keep_intervals);
			}
			if (err)
				return err;
			/* Fell behind (a stopped terminal?): skip, don't burst. */
			nr_done = elapsed_ms / cli->interval_ms;
		}
		if (!checked_silence && elapsed_ms >= SILENT_KVM_EXIT_CHECK_MS) {
			checked_silence = true;
			if (collect_counters(&s->collector, counters) == 0 && host_is_silent(counters))
				s->no_kvm_exit = true;
		}
	}
	return 0;
}

/* The run after tracing stopped: the last interval, the names, the report. Exit status. */
static int finish(struct session *s)
{
	const struct cli *cli = s->cli;
	int err = collect_snapshot(&s->collector, &s->cur);

	if (err) {
		fprintf(stderr, "vmexitprof: cannot read the BPF maps: %s\n", strerror(-err));
		return 1;
	}
	if (!s->no_kvm_exit)
		s->no_kvm_exit = host_is_silent(s->cur.counters);
	collect_new_vm_names(&s->collector, &s->run);
	collect_vcpu_ids(&s->collector, &s->run);
	collect_final_vm_names(&s->run, &s->cur);
	for (unsigned int i = 0; i < cli->trace.nr_pids; i++)
		if (!vm_alive(cli->trace.pids[i], s->target_starts[i]))
			fprintf(stderr, "vmexitprof: process %u exited during the run; showing what was "
				"collected\n", cli->trace.pids[i]);
	/* The last interval; without -I, the whole run. */
	if (end_interval(s, s->run.duration_ns, true)) {
		fprintf(stderr, "vmexitprof: out of memory\n");
		return 1;
	}
	/* The totals are the last snapshot itself (prev, now), so exact even when intervals were dropped. */
	return output_run(&s->run, &s->prev, &cli->output, s->names);
}

int main(int argc, char **argv)
{
	struct reason_table names = {};
	struct loader loader = {};
	struct publish_opts publish;
	struct session s = {};
	struct cli cli;
	__u64 start;
	int err;

	err = cli_parse(&cli, argc, argv);
	if (err)
		return err < 0 ? 2 : 0;
	if (cli.report_file)
		return replay(cli.report_file, &cli.output);
	/*
	 * Early, so a Ctrl-C during a slow load still ends with a report. A
	 * closed terminal (SIGHUP) ends the run the same way, files written.
	 */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	s.exporting = cli.export.http || cli.export.textfile;
	/*
	 * An exporter is a service: ignored, SIGHUP cannot end it (systemd's
	 * reload, a closed terminal or a careless kill -HUP); SIGTERM or
	 * SIGINT stops it. Ignored rather than caught, so that it stays so
	 * whatever the loop is doing.
	 */
	signal(SIGHUP, s.exporting ? SIG_IGN : on_signal);
	if (host_check(cli.trace.pids, cli.trace.nr_pids))
		return 1;
	reasons_load(&names, NULL);
	kvm_exit_names_load(&names);	/* without them, KVM_EXIT_* print as numbers */
	if ((cli.output.print.hist && reason_arg_check(&names, "--hist", cli.output.print.hist, false)) ||
	    (cli.output.heatmap && reason_arg_check(&names, "--heatmap", cli.output.heatmap, true))) {
		err = 2;
		goto cleanup;
	}
	err = 1;
	if (cli.output.heatmap_out && output_check_writable("--heatmap-out", cli.output.heatmap_out))
		goto cleanup;
	if (cli.export.textfile && output_check_writable("--textfile", cli.export.textfile))
		goto cleanup;
	/* Bound before loading, so that a port in use fails at once. */
	publish = (struct publish_opts){
		.http = cli.export.http, .http_addr = cli.export.http_addr, .http_port = cli.export.http_port,
		.textfile = cli.export.textfile,
		.expose = { .per_vcpu = cli.output.print.per_vcpu, .version = VMEXITPROF_VERSION },
	};
	if (s.exporting && publish_start(&s.pub, &publish))
		goto cleanup;
	if (loader_open(&loader, &cli.trace, &names) || loader_attach(&loader, &cli.trace))
		goto cleanup;

	s.cli = &cli;
	s.names = &names;
	s.keep_intervals = cli.output.heatmap || cli.output.heatmap_out;
	snprintf(s.run.vmm_time_source, sizeof(s.run.vmm_time_source), "%s",
		 vmm_clock_names[loader.vmm_clock]);
	snprintf(s.run.attach, sizeof(s.run.attach), "%s", attach_mode_names[loader.attach]);
	s.pub.opts.expose.vmm_time = s.run.vmm_time_source;
	s.pub.opts.expose.attach = s.run.attach;
	/* An exporter's run is one interval: -I only paces the textfile. */
	s.run.interval_ns = s.exporting ? 0 : cli.interval_ms * 1000000;
	s.run.ports = cli.trace.ports;
	s.run.mmio = cli.trace.mmio;
	/* Kept intervals hold every VM by its own key: nothing is folded then. */
	collector_init(&s.collector, loader.skel, s.keep_intervals ? 0 : cli.keep_exited);
	/* On stderr even with --json: scripts wait for it to know we are attached. */
	fprintf(stderr, "Tracing KVM exits%s (VMM handling time from %s; %s tracepoints)... Hit "
		"Ctrl-C to end.\n", cli.duration_ms ? " for the given duration" : "",
		s.run.vmm_time_source, s.run.attach);
	if (cli.interval_ms && !s.exporting)
		output_interval_header(&cli.output);
	for (unsigned int i = 0; i < cli.trace.nr_pids; i++) {
		s.target_starts[i] = pid_start_ticks(cli.trace.pids[i]);
		collect_name_vm(&s.run, cli.trace.pids[i], s.target_starts[i], NULL);
	}

	start = now_ns();
	err = trace_loop(&s, start);
	/* The run ends now, not after the detaching (uprobes take a while). */
	s.run.duration_ns = now_ns() - start;
	loader_detach(&loader);
	if (err) {
		fprintf(stderr, "vmexitprof: cannot read the BPF maps: %s\n", strerror(-err));
		err = 1;
		goto cleanup;
	}
	err = finish(&s);

cleanup:
	publish_stop(&s.pub);
	loader_close(&loader);
	collector_free(&s.collector);
	snapshot_free(&s.prev);
	snapshot_free(&s.cur);
	run_free(&s.run);
	reasons_free(&names);
	return err;
}
