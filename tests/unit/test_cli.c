// SPDX-License-Identifier: GPL-2.0
/*
 * src/cli.c: cli_parse, table-driven. Good command lines must give the
 * expected struct cli and print nothing; bad ones must return -1 and print
 * exactly one line, to stderr; --help and --version return 1.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/types.h>

#include "cli.h"
#include "version.h"
#include "check.h"

#define MAX_ARGS 32

/* What cli_parse did with one command line. */
struct parsed {
	int ret;
	struct cli cli;
	char out[8192];		/* what it printed to stdout */
	char err[8192];		/* ... and to stderr */
};

/* Read back what a temporary file got, then drop it. */
static void slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
}

/*
 * Run cli_parse on "vmexitprof" + args (NULL-terminated) with stdout and
 * stderr going to temporary files.
 */
static void run(struct parsed *r, const char *const *args)
{
	char *argv[MAX_ARGS + 2];
	int argc = 0, saved_out, saved_err;
	FILE *out = tmpfile(), *err = tmpfile();

	if (!out || !err) {
		perror("tmpfile");
		exit(2);
	}
	argv[argc++] = "vmexitprof";
	for (; *args && argc <= MAX_ARGS; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;

	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	memset(&r->cli, 0x5a, sizeof(r->cli));	/* cli_parse must set every field */
	r->ret = cli_parse(&r->cli, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static const char *show_args(const char *const *args)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = 0;
	for (; *args && n < sizeof(buf) - 1; args++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s'%s'", n ? " " : "", *args);
	return buf;
}

static unsigned int count_lines(const char *s)
{
	unsigned int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- good command lines ---------------------------------------------------- */

struct good {
	const char *args[MAX_ARGS + 1];
	unsigned int nr_pids;
	__u32 pids[MAX_TARGET_PIDS];
	int nr_vcpus;		/* -1: 0..1023, all of them */
	__u32 vcpus[8];
	__u64 duration_ms;
	enum sort_key sort;
	bool per_vcpu, json, verbose, ports, mmio;
	enum vmm_clock vmm_clock;
	__u64 interval_ms, interval_count;
	const char *heatmap, *heatmap_out, *report_file;
	enum color_mode color;
	enum out_kind heatmap_out_kind;
	const char *hist;
	__u32 max_hist_keys;	/* 0: the default */
	__u64 slower_than_ns;
	const char *trace_out;
};

static const struct good good[] = {
	{ .args = { NULL } },
	{ .args = { "-p", "1,2", "--vcpu", "0,3", "-d", "0.5", "--sort", "p99", "--per-vcpu",
		    "--hist", "npf", "--json" },
	  .nr_pids = 2, .pids = { 1, 2 }, .nr_vcpus = 2, .vcpus = { 0, 3 }, .duration_ms = 500,
	  .sort = SORT_P99, .per_vcpu = true, .hist = "npf", .json = true },
	{ .args = { "--pid=1234", "--duration=10", "--sort=time", "--hist=all", "-v" },
	  .nr_pids = 1, .pids = { 1234 }, .duration_ms = 10000, .sort = SORT_TIME, .hist = "all",
	  .verbose = true },
	{ .args = { "-p42", "-d2.25", "--sort", "avg" },
	  .nr_pids = 1, .pids = { 42 }, .duration_ms = 2250, .sort = SORT_AVG },
	{ .args = { "--sort", "max", "--verbose" }, .sort = SORT_MAX, .verbose = true },
	{ .args = { "--ports", "--mmio" }, .ports = true, .mmio = true },
	{ .args = { "--mmio" }, .mmio = true },
	{ .args = { "--sort", "count" }, .sort = SORT_COUNT },
	{ .args = { "--vmm-time", "syscall" }, .vmm_clock = VMM_CLOCK_SYSCALL },
	{ .args = { "-I", "100", "-c", "5" }, .interval_ms = 100, .interval_count = 5 },
	{ .args = { "--interval=10", "--heatmap" }, .interval_ms = 10, .heatmap = "all" },
	{ .args = { "-I", "3600000", "--heatmap", "npf" }, .interval_ms = 3600000, .heatmap = "npf" },
	{ .args = { "-I1000", "--heatmap=vmm", "--color", "never" }, .interval_ms = 1000,
	  .heatmap = "vmm", .color = COLOR_NEVER },
	{ .args = { "--heatmap-out", "x.svg", "--color=always" }, .heatmap_out = "x.svg",
	  .heatmap_out_kind = OUT_SVG,
	  .color = COLOR_ALWAYS },
	{ .args = { "--heatmap-out=/tmp/run.json" }, .heatmap_out = "/tmp/run.json" },
	{ .args = { "--heatmap-out=run.csv" }, .heatmap_out = "run.csv", .heatmap_out_kind = OUT_CSV },
	{ .args = { "report", "run.json" }, .report_file = "run.json" },
	{ .args = { "report", "run.json", "--heatmap", "hlt", "--per-vcpu" }, .report_file = "run.json",
	  .heatmap = "hlt", .per_vcpu = true },
	{ .args = { "report", "--per-vcpu", "run.json" }, .report_file = "run.json", .per_vcpu = true },
	{ .args = { "report", "--heatmap", "run.json" }, .report_file = "run.json", .heatmap = "all" },
	{ .args = { "--vmm-time=kvm_fpu" }, .vmm_clock = VMM_CLOCK_KVM_FPU },
	{ .args = { "--vmm-time=auto" }, .vmm_clock = VMM_CLOCK_AUTO },
	{ .args = { "-p", "9", "--vmm-time", "usdt" }, .nr_pids = 1, .pids = { 9 },
	  .vmm_clock = VMM_CLOCK_USDT },
	{ .args = { "-p", "2147483647" }, .nr_pids = 1, .pids = { 2147483647 } },
	{ .args = { "-p", "007" }, .nr_pids = 1, .pids = { 7 } },
	/* A repeated option adds to the list. */
	{ .args = { "-p", "5", "-p", "6,7" }, .nr_pids = 3, .pids = { 5, 6, 7 } },
	{ .args = { "--vcpu", "2", "--vcpu", "1" }, .nr_vcpus = 2, .vcpus = { 2, 1 } },
	{ .args = { "-p", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16" },
	  .nr_pids = 16, .pids = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } },
	{ .args = { "--vcpu", "1023" }, .nr_vcpus = 1, .vcpus = { 1023 } },
	{ .args = { "--vcpu", "0" }, .nr_vcpus = 1, .vcpus = { 0 } },
	{ .args = { "--vcpu", "ALL" }, .nr_vcpus = -1 },	/* replaced by 0,1,...,1023 below */
	{ .args = { "-d", "0.001" }, .duration_ms = 1 },
	{ .args = { "-d", "31536000" }, .duration_ms = 31536000000ULL },
	{ .args = { "-d", "1.0005" }, .duration_ms = 1000 },	/* below a ms is dropped */
	{ .args = { "-d", "007.50" }, .duration_ms = 7500 },
	{ .args = { "--max-keys", "16" }, .max_hist_keys = 16 },
	{ .args = { "--max-keys", "4194304" }, .max_hist_keys = 4194304 },
	{ .args = { "--slower-than", "500us" }, .slower_than_ns = 500000 },
	{ .args = { "--slower-than", "2ms", "--trace-out", "t.json" }, .slower_than_ns = 2000000,
	  .trace_out = "t.json" },
	{ .args = { "--slower-than=1.5s" }, .slower_than_ns = 1500000000 },
	{ .args = { "--slower-than", "2.25us" }, .slower_than_ns = 2250 },
	{ .args = { "--slower-than", "1ns" }, .slower_than_ns = 1 },
	{ .args = { "--slower-than", "3600s" }, .slower_than_ns = 3600000000000ULL },
	{ .args = { "--slower-than", "007ms" }, .slower_than_ns = 7000000 },
	{ .args = { "--per", "--js" }, .per_vcpu = true, .json = true },	/* unique prefixes */
	{ .args = { "--hist", "PF excp" }, .hist = "PF excp" },
	/* Options after "--" are not options; nothing here takes operands though. */
	{ .args = { "--json", "--" }, .json = true },
};

static char all_vcpus[MAX_VCPU_FILTER * 5];

/* Both unset, or both set and equal. */
static bool same_opt_str(const char *got, const char *want)
{
	return !got == !want && (!want || !strcmp(got, want));
}

static void check_good(const struct good *g)
{
	const char *args_buf[MAX_ARGS + 1];
	const char *const *args = g->args;
	const char *what;
	struct parsed r;
	int nr_vcpus = g->nr_vcpus;

	if (nr_vcpus < 0) {
		/* Every vCPU id, the most --vcpu takes. */
		size_t n = 0;

		for (unsigned int i = 0; i < MAX_VCPU_FILTER; i++)
			n += snprintf(all_vcpus + n, sizeof(all_vcpus) - n, "%s%u", i ? "," : "", i);
		args_buf[0] = "--vcpu";
		args_buf[1] = all_vcpus;
		args_buf[2] = NULL;
		args = args_buf;
		nr_vcpus = MAX_VCPU_FILTER;
	}
	what = nr_vcpus == MAX_VCPU_FILTER ? "--vcpu 0,1,...,1023" : show_args(args);
	run(&r, args);
	if (!CHECK(r.ret == 0, "[%s] returned %d; stderr: %s", what, r.ret, r.err))
		return;
	CHECK(!r.out[0] && !r.err[0], "[%s] printed something: stdout '%s', stderr '%s'", what,
	      r.out, r.err);
	CHECK_EQ_U64(r.cli.trace.nr_pids, g->nr_pids, "[%s] nr_pids", what);
	for (unsigned int i = 0; i < g->nr_pids && i < r.cli.trace.nr_pids; i++)
		CHECK_EQ_U64(r.cli.trace.pids[i], g->pids[i], "[%s] pids[%u]", what, i);
	CHECK_EQ_U64(r.cli.trace.nr_vcpus, nr_vcpus, "[%s] nr_vcpus", what);
	for (int i = 0; i < nr_vcpus && i < (int)r.cli.trace.nr_vcpus; i++)
		CHECK_EQ_U64(r.cli.trace.vcpus[i], g->nr_vcpus < 0 ? (__u32)i : g->vcpus[i], "[%s] vcpus[%d]",
			     what, i);
	CHECK_EQ_U64(r.cli.duration_ms, g->duration_ms, "[%s] duration_ms", what);
	CHECK_EQ_U64(r.cli.output.sort, g->sort, "[%s] sort", what);
	CHECK_EQ_U64(r.cli.output.print.per_vcpu, g->per_vcpu, "[%s] per_vcpu", what);
	CHECK_EQ_U64(r.cli.output.json, g->json, "[%s] json", what);
	CHECK_EQ_U64(r.cli.trace.verbose, g->verbose, "[%s] verbose", what);
	CHECK_EQ_U64(r.cli.trace.ports, g->ports, "[%s] ports", what);
	CHECK_EQ_U64(r.cli.trace.mmio, g->mmio, "[%s] mmio", what);
	CHECK_EQ_U64(r.cli.trace.vmm_clock, g->vmm_clock, "[%s] vmm_clock", what);
	CHECK_EQ_U64(r.cli.interval_ms, g->interval_ms, "[%s] interval_ms", what);
	CHECK_EQ_U64(r.cli.interval_count, g->interval_count, "[%s] interval_count", what);
	CHECK_EQ_U64(r.cli.output.color, g->color, "[%s] color", what);
	CHECK_EQ_U64(r.cli.output.heatmap_out_kind, g->heatmap_out_kind, "[%s] heatmap_out_kind", what);
	CHECK(same_opt_str(r.cli.output.heatmap, g->heatmap), "[%s] heatmap '%s', expected '%s'", what,
	      r.cli.output.heatmap, g->heatmap);
	CHECK(same_opt_str(r.cli.output.heatmap_out, g->heatmap_out), "[%s] heatmap_out '%s', expected '%s'",
	      what, r.cli.output.heatmap_out, g->heatmap_out);
	CHECK(same_opt_str(r.cli.report_file, g->report_file), "[%s] report_file '%s', expected '%s'",
	      what, r.cli.report_file, g->report_file);
	CHECK_EQ_U64(r.cli.trace.max_hist_keys, g->max_hist_keys ? g->max_hist_keys : DEFAULT_MAX_HIST_KEYS,
		     "[%s] max_hist_keys", what);
	CHECK_EQ_U64(r.cli.trace.slower_than_ns, g->slower_than_ns, "[%s] slower_than_ns", what);
	CHECK(same_opt_str(r.cli.output.trace_out, g->trace_out), "[%s] trace_out '%s', expected '%s'",
	      what, r.cli.output.trace_out, g->trace_out);
	if (g->hist)
		CHECK_STR(r.cli.output.print.hist, g->hist, "[%s] hist", what);
	else
		CHECK(r.cli.output.print.hist == NULL, "[%s] hist is '%s', expected NULL", what, r.cli.output.print.hist);
}

/* ---- bad command lines ----------------------------------------------------- */

static char too_many_vcpus[MAX_VCPU_FILTER * 5 + 16];

static const char *const bad[][MAX_ARGS + 1] = {
	/* -p: negative, overflowing, out of range, empty, not a number, list syntax */
	{ "-p", "-1" },
	{ "-p", "5", "-p", "5" },	/* a repeat may not name a pid again */
	{ "-p", "99999999999999999999" },
	{ "-p", "18446744073709551616" },
	{ "-p", "2147483648" },
	{ "-p", "4294967297" },
	{ "-p", "0" },
	{ "-p", "" },
	{ "--pid=" },
	{ "-p", "abc" },
	{ "-p", "12abc" },
	{ "-p", "1.5" },
	{ "-p", "+1" },
	{ "-p", " 1" },
	{ "-p", "1 " },
	{ "-p", "0x10" },
	{ "-p", "1," },
	{ "-p", ",1" },
	{ "-p", "1,,2" },
	{ "-p", "," },
	{ "-p", "1,2,1" },
	{ "-p", "5,5" },
	{ "-p", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17" },
	/* --vcpu */
	{ "--vcpu", "1024" },
	{ "--vcpu", "-1" },
	{ "--vcpu", "" },
	{ "--vcpu", "0,3," },
	{ "--vcpu", "3,3" },
	{ "--vcpu", "x" },
	{ "--vcpu", "99999999999999999999" },
	{ "--vcpu", too_many_vcpus },	/* 0..1023 and then 0 again: 1025 values */
	/* -d */
	{ "-d", "0" },
	{ "-d", "0.0" },
	{ "-d", "0.0001" },
	{ "-d", "abc" },
	{ "-d", "1.2.3" },
	{ "-d", "" },
	{ "-d", ".5" },
	{ "-d", "5." },
	{ "-d", "-1" },
	{ "-d", "1e3" },
	{ "-d", "1s" },
	{ "-d", " 1" },
	{ "-d", "31536001" },
	{ "-d", "99999999999999999999999" },
	/* --sort, --hist, --max-keys */
	{ "--sort", "foo" },
	{ "--sort", "P99" },
	{ "--sort", "" },
	{ "--hist", "" },
	{ "--max-keys", "15" },
	{ "--max-keys", "4194305" },
	{ "--max-keys", "lots" },
	{ "--max-keys", "" },
	/* --vmm-time: an unknown way, and usdt without the pids whose binaries carry the probes */
	{ "--vmm-time", "fpu" },
	{ "--vmm-time", "" },
	{ "--vmm-time", "USDT" },
	{ "--vmm-time", "usdt" },
	{ "--vmm-time" },
	/* -I, -c, --heatmap, --heatmap-out, --color, report */
	{ "-I", "9" },
	{ "-I", "3600001" },
	{ "-I", "-100" },
	{ "-I", "" },
	{ "-I", "1s" },
	{ "-I", "99999999999999999999" },
	{ "-c", "5" },			/* without -I */
	{ "-I", "100", "-c", "0" },
	{ "-I", "100", "-c", "-1" },
	{ "-I", "100", "-c", "x" },
	{ "--heatmap" },		/* without -I */
	{ "-I", "100", "--heatmap=" },
	{ "--heatmap-out", "x.png" },
	{ "-I", "100", "--heatmap", "--json" },
	{ "--heatmap-out", "" },
	{ "--heatmap-out", ".json" },
	{ "--heatmap-out", "dir/.svg" },
	{ "--color", "yes" },
	{ "--color", "" },
	{ "report" },
	{ "report", "" },	/* an empty FILE is a missing one */
	{ "report", "a.json", "b.json" },
	{ "report", "a.json", "-p", "1" },
	{ "report", "a.json", "-I", "100" },
	{ "report", "a.json", "--ports" },
	{ "report", "a.json", "-d", "5" },
	{ "report", "a.json", "--vmm-time", "syscall" },
	/* getopt's own: unknown option, missing value, value where none goes, ambiguous */
	{ "--bogus" },
	{ "-x" },
	{ "-p" },
	{ "-d" },
	{ "--vcpu" },
	{ "--sort" },
	{ "--hist" },
	{ "--pid" },
	{ "--json=yes" },
	{ "--ver" },
	/* operands */
	{ "1234" },
	{ "-p", "1", "extra" },
	/* an error after good options still fails */
	{ "-p", "1", "--json", "--sort", "bad" },
};

static void check_bad(const char *const *args)
{
	const char *what = args[1] == too_many_vcpus ? "--vcpu 0,1,...,1023,0" : show_args(args);
	struct parsed r;

	run(&r, args);
	CHECK(r.ret == -1, "[%s] returned %d, expected -1", what, r.ret);
	CHECK(count_lines(r.err) == 1 && r.err[strlen(r.err) - 1] == '\n',
	      "[%s] printed %u lines to stderr, expected one: '%s'", what, count_lines(r.err), r.err);
	CHECK(!strncmp(r.err, "vmexitprof: ", 12), "[%s] stderr does not start with 'vmexitprof: ': '%s'",
	      what, r.err);
	CHECK(!r.out[0], "[%s] printed to stdout: '%s'", what, r.out);
}

/* ---- --help, --version, and parsing twice ---------------------------------- */

static void test_help_version(void)
{
	static const char *const help[][4] = { { "--help" }, { "-h" }, { "-p", "1", "--help" } };
	static const char *const version[][2] = { { "--version" }, { "-V" } };
	struct parsed r;

	SECTION("--help/-h and --version/-V return 1 and print to stdout only");
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		run(&r, help[i]);
		CHECK(r.ret == 1, "[%s] returned %d, expected 1", show_args(help[i]), r.ret);
		CHECK(strstr(r.out, "USAGE: vmexitprof") && strstr(r.out, "--per-vcpu") &&
		      strstr(r.out, "--max-keys"), "[%s] stdout has no usage: '%.80s'",
		      show_args(help[i]), r.out);
		CHECK(!r.err[0], "[%s] printed to stderr: '%s'", show_args(help[i]), r.err);
	}
	for (size_t i = 0; i < sizeof(version) / sizeof(version[0]); i++) {
		run(&r, version[i]);
		CHECK(r.ret == 1, "[%s] returned %d, expected 1", show_args(version[i]), r.ret);
		CHECK_STR(r.out, "vmexitprof " VMEXITPROF_VERSION "\n", "[%s] stdout",
			  show_args(version[i]));
		CHECK(!r.err[0], "[%s] printed to stderr: '%s'", show_args(version[i]), r.err);
	}
}

/*
 * Parse first, then second, in a child (a wrong getopt reset can crash):
 * returns 0 when second parsed as a fresh command line should (ret 0, no
 * output, verbose off, want_pids pids), else 1, and says what happened.
 */
static int parse_twice(const char *const *first, int first_ret, const char *const *second,
		       unsigned int want_pids, char *what, size_t len)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		snprintf(what, len, "fork failed");
		return 1;
	}
	if (pid == 0) {
		struct parsed r;

		run(&r, first);
		if (r.ret != first_ret)
			_exit(2);
		run(&r, second);
		if (r.ret == 0 && !r.out[0] && !r.err[0] && !r.cli.trace.verbose && r.cli.trace.nr_pids == want_pids)
			_exit(0);
		_exit(r.cli.trace.verbose ? 3 : 1);
	}
	waitpid(pid, &status, 0);
	if (WIFSIGNALED(status))
		snprintf(what, len, "the second parse crashed (signal %d, %s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) == 2)
		snprintf(what, len, "the first parse did not return %d", first_ret);
	else if (WEXITSTATUS(status) == 3)
		snprintf(what, len, "the second parse came out verbose, from the first's cluster");
	else if (WEXITSTATUS(status))
		snprintf(what, len, "the second parse failed or printed something");
	else
		snprintf(what, len, "ok");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/*
 * cli_parse resets getopt (optind = 1) so it can run again. A parse that
 * stopped inside a cluster of short options ("-hv": -h returns at once;
 * "-xv": -x is an error) must not leak the rest of the cluster into the
 * next parse. glibc only forgets the cluster when optind is set to 0.
 */
static void test_reparse(void)
{
	static const char *const cluster_help[] = { "-hv", NULL };
	static const char *const cluster_bad[] = { "-xv", NULL };
	static const char *const none[] = { NULL };
	static const char *const pid[] = { "-p", "9", NULL };
	static const char *const pids[] = { "-p", "1,2,3", "-v", "--json", NULL };
	char what[160];

	SECTION("parsing again starts afresh, also after a parse that stopped inside '-hv' or '-xv'");
	CHECK(!parse_twice(pids, 0, none, 0, what, sizeof(what)), "[] after [-p 1,2,3 -v --json]: %s",
	      what);
	CHECK(!parse_twice(pid, 0, pid, 1, what, sizeof(what)), "[-p 9] after [-p 9]: %s", what);
	CHECK(!parse_twice(cluster_help + 1, 0, pid, 1, what, sizeof(what)), "[-p 9] after []: %s",
	      what);
	CHECK(!parse_twice(cluster_help, 1, none, 0, what, sizeof(what)),
		  "[] right after [-hv]: %s; expected 0, no output, verbose off "
		  "(src/cli.c: optind = 1 leaves glibc's cluster pointer)", what);
	CHECK(!parse_twice(cluster_bad, -1, pid, 1, what, sizeof(what)),
		  "[-p 9] right after [-xv]: %s; expected 0, 1 pid, verbose off", what);
}

int main(void)
{
	size_t n = 0;

	printf("test_cli: %zu good and %zu bad command lines\n", sizeof(good) / sizeof(good[0]),
	       sizeof(bad) / sizeof(bad[0]));
	for (unsigned int i = 0; i < MAX_VCPU_FILTER; i++)
		n += snprintf(too_many_vcpus + n, sizeof(too_many_vcpus) - n, "%u,", i);
	snprintf(too_many_vcpus + n, sizeof(too_many_vcpus) - n, "0");

	SECTION("good command lines: every struct cli field as expected, nothing printed");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check_good(&good[i]);
	SECTION("bad command lines: -1 and exactly one 'vmexitprof: ...' line on stderr, nothing on "
		"stdout (negative, overflow, empty, non-numeric, stray commas, duplicates, 17 pids, "
		"vcpu 1024, -d 0/abc/1.2.3, --sort foo, unknown option, missing value, operands)");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_bad(bad[i]);
	test_help_version();
	test_reparse();
	return check_done();
}
