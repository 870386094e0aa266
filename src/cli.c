// SPDX-License-Identifier: GPL-2.0
/*
 * The command line (include/cli.h): each option is one row of a table
 * that carries its name, argument, range and help; getopt's table and
 * --help are made from it. Every bad value is one line and exit status 2.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "version.h"

/* In enum order. */
static const char *const sort_key_names[] = { "count", "time", "avg", "max", "p99" };
static const char *const color_names[] = { "auto", "always", "never" };
/* In enum attach_mode order. */

/* --attach's words; reports name the modes by attach_mode_names ("tp_btf"). */
static const char *const attach_names[NR_ATTACH_MODES] = { "auto", "btf", "classic" };

static const char doc[] =
"Profile KVM VM exits: per exit reason and vCPU, how many and how long from\n"
"exit back to guest entry, as histograms aggregated in the kernel.\n"
"\n"
"Exit-to-entry time covers the in-kernel handling, any trip to the VMM in\n"
"userspace, preemption of the vCPU thread, and, for HLT, the time the vCPU\n"
"sat halted. TIME% is each reason's share of all exit time; NOHLT% leaves\n"
"HLT out of the total.\n"
"\n"
"USAGE: vmexitprof [-p PID[,PID...]] [--vcpu N[,N...]] [-d SECONDS] [-I MS [-c N]]\n"
"                  [--sort count|time|avg|max|p99] [--per-vcpu]\n"
"                  [--hist REASON|all] [--json] [--ports] [--mmio]\n"
"                  [--msr] [--cpuid] [--halt]\n"
"                  [--vmm-time auto|fentry|kvm_fpu|usdt|syscall]\n"
"                  [--attach auto|btf|classic]\n"
"                  [--heatmap[=REASON|all|vmm]] [--heatmap-out FILE] [--color WHEN]\n"
"                  [--prometheus [ADDR:]PORT] [--textfile FILE.prom]\n"
"                  [--slower-than DURATION [--trace-out FILE.json]]\n"
"       vmexitprof report FILE [--sort KEY] [--per-vcpu] [--hist REASON|all]\n"
"                  [--heatmap[=REASON|all|vmm]] [--heatmap-out FILE] [--json] [--color WHEN]\n"
"                  [--trace-out FILE.json]\n"
"\n"
"EXAMPLES:\n"
"    vmexitprof                  # every VM on the host, until Ctrl-C\n"
"    vmexitprof -p 1234 -d 10    # one QEMU process for 10 seconds\n"
"    vmexitprof -p 1234 --vcpu 0,1 --per-vcpu   # vCPUs 0 and 1, each apart\n"
"    vmexitprof --sort p99 --hist npf           # NPF latency histogram\n"
"    vmexitprof -d 5 --json      # machine-readable summary\n"
"    vmexitprof -p 1234 --ports --sort time     # which ports cost the VMM most\n"
"    vmexitprof -p 1234 --msr --cpuid --halt    # which MSRs and leaves, halt polling\n"
"    vmexitprof -p 1234 --vmm-time=usdt         # QEMU's own view of its handling time\n"
"    vmexitprof -p 1234 -I 1000 -c 60 --heatmap=npf  # a minute, NPF latency over time\n"
"    vmexitprof -p 1234 -I 100 -d 30 --heatmap-out run.json  # save, then:\n"
"    vmexitprof report run.json --heatmap --heatmap-out run.svg\n"
"    vmexitprof -p 1234 --slower-than 2ms --trace-out slow.json  # each slow exit, for Perfetto\n"
"    vmexitprof --prometheus 9560   # always on: http://127.0.0.1:9560/metrics";

static const char *prog_name = "vmexitprof";

struct cli_option;
/* Parse arg into the row's field; 0, or -1 after a one-line error. */
typedef int (*parse_fn)(struct cli *cli, const struct cli_option *o, const char *arg);

/*
 * One option. Its field is at offset in struct cli (lists: their count at
 * nr_offset); min and max bound numbers; keywords name the choices; what
 * names the number in errors ("a number of milliseconds"); live_only, if
 * set, is how errors name an option that `report FILE` refuses because it
 * only means something to a live run.
 */
struct cli_option {
	const char *name;
	int short_name;
	int has_arg;			/* getopt's no_argument, required_argument, ... */
	const char *metavar;		/* the argument in --help */
	const char *help;		/* '\n' starts a continuation line */
	parse_fn parse;
	size_t offset, size, nr_offset;
	unsigned long long min, max;
	const char *const *keywords;
	int nr_keywords;
	const char *what;
	const char *live_only;
};

/* The name errors use: the short form where there is one ("-p"), else the long one. */
static const char *opt_label(const struct cli_option *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "-%c", o->short_name);
	else
		snprintf(buf, len, "--%s", o->name);
	return buf;
}

static void *field(struct cli *cli, const struct cli_option *o)
{
	return (char *)cli + o->offset;
}

/* A whole decimal number in [min, max]; no sign, no spaces, no suffix. */
static int parse_uint(const char *s, unsigned long long min, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_flag(struct cli *cli, const struct cli_option *o, const char *arg)
{
	*(bool *)field(cli, o) = true;
	return 0;
}

/* A number in [min, max] into a __u64 or __u32 field. */
static int parse_number(struct cli *cli, const struct cli_option *o, const char *arg)
{
	unsigned long long v;
	char label[32];

	if (parse_uint(arg, o->min, o->max, &v)) {
		fprintf(stderr, "%s: %s: '%s' is not %s from %llu to %llu\n", prog_name,
			opt_label(o, label, sizeof(label)), arg, o->what, o->min, o->max);
		return -1;
	}
	if (o->size == sizeof(__u32))
		*(__u32 *)field(cli, o) = v;
	else
		*(__u64 *)field(cli, o) = v;
	return 0;
}

/*
 * A comma-separated list of numbers in [min, max], no duplicates, into a
 * __u32 array of max_items; a repeated option adds to the list.
 */
static int parse_list(struct cli *cli, const struct cli_option *o, const char *arg)
{
	unsigned int *nr = (unsigned int *)((char *)cli + o->nr_offset);
	unsigned int cap = o->size / sizeof(__u32);
	__u32 *out = field(cli, o);
	char *copy = strdup(arg), *tok, *save = NULL, label[32];
	int err = -1;

	opt_label(o, label, sizeof(label));
	if (!copy) {
		fprintf(stderr, "%s: out of memory\n", prog_name);
		return -1;
	}
	if (!*arg) {
		fprintf(stderr, "%s: %s needs a value\n", prog_name, label);
		goto out;
	}
	/* strtok would skip empty items; a stray comma is an error. */
	if (arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		fprintf(stderr, "%s: %s: empty item in the list\n", prog_name, label);
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long v;

		if (parse_uint(tok, o->min, o->max, &v)) {
			fprintf(stderr, "%s: %s: '%s' is not a number from %llu to %llu\n",
				prog_name, label, tok, o->min, o->max);
			goto out;
		}
		for (unsigned int i = 0; i < *nr; i++) {
			if (out[i] == v) {
				fprintf(stderr, "%s: %s: %llu is given twice\n", prog_name, label, v);
				goto out;
			}
		}
		if (*nr >= cap) {
			fprintf(stderr, "%s: %s: at most %u values\n", prog_name, label, cap);
			goto out;
		}
		out[(*nr)++] = v;
	}
	err = 0;
out:
	free(copy);
	return err;
}

/* Seconds with up to millisecond precision ("10", "0.5", "2.25"), as ms. */
static int parse_seconds(struct cli *cli, const struct cli_option *o, const char *s)
{
	unsigned long long whole = 0, frac = 0;
	unsigned int digits = 0;
	const char *p = s;
	char label[32];
	bool ok = *p && *p != '.';

	for (; ok && *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		ok = whole <= o->max / 1000;
	}
	if (ok && *p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits < 3) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		}
		ok = p[-1] != '.';
	}
	while (digits++ < 3)
		frac *= 10;
	if (!ok || *p || whole * 1000 + frac < o->min) {
		fprintf(stderr, "%s: %s: '%s' is not %s (%.3f to %llu)\n", prog_name,
			opt_label(o, label, sizeof(label)), s, o->what, o->min / 1000.0, o->max / 1000);
		return -1;
	}
	*(__u64 *)field(cli, o) = whole * 1000 + frac;
	return 0;
}

/* One of the row's keywords, as its index, into an enum field. */
static int parse_keyword(struct cli *cli, const struct cli_option *o, const char *arg)
{
	char label[32];

	for (int i = 0; i < o->nr_keywords; i++) {
		if (!strcmp(arg, o->keywords[i])) {
			*(int *)field(cli, o) = i;
			return 0;
		}
	}
	fprintf(stderr, "%s: %s: '%s' is not one of", prog_name, opt_label(o, label, sizeof(label)), arg);
	for (int i = 0; i < o->nr_keywords; i++)
		fprintf(stderr, "%s %s", i ? "," : "", o->keywords[i]);
	fputc('\n', stderr);
	return -1;
}

/*
 * A reason name (checked against the kernel's names later, once they are
 * read); what says what it may be. An optional argument left out is
 * "all".
 */
static int parse_reason(struct cli *cli, const struct cli_option *o, const char *arg)
{
	char label[32];

	if (arg && !*arg) {
		fprintf(stderr, "%s: %s needs %s\n", prog_name, opt_label(o, label, sizeof(label)), o->what);
		return -1;
	}
	*(const char **)field(cli, o) = arg ? arg : "all";
	return 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	/* "x.json", not ".json" alone: a file needs a name. */
	return n > m && !strcmp(s + n - m, suffix) && s[n - m - 1] != '/';
}

/* --heatmap-out FILE: its ending says what to write. */
static int parse_heatmap_out(struct cli *cli, const struct cli_option *o, const char *arg)
{
	static const struct { const char *suffix; enum out_kind kind; } kinds[] = {
		{ ".json", OUT_JSON }, { ".csv", OUT_CSV }, { ".svg", OUT_SVG },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		if (has_suffix(arg, kinds[i].suffix)) {
			cli->output.heatmap_out_kind = kinds[i].kind;
			cli->output.heatmap_out = arg;
			return 0;
		}
	}
	fprintf(stderr, "%s: --%s: '%s' is not a file name ending in .json, .csv or .svg\n", prog_name,
		o->name, arg);
	return -1;
}

/* A duration with its unit: "500us", "2ms", "1.5s", "800ns"; into a __u64 of ns in [min, max]. */
static int parse_duration(struct cli *cli, const struct cli_option *o, const char *arg)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 },
	};
	char label[32], *end = NULL;
	size_t digits = strspn(arg, "0123456789");
	double v = -1;

	/* Decimal digits and at most one point: no sign, exponent, hex, inf or nan. */
	if (digits && (arg[digits] != '.' || strspn(arg + digits + 1, "0123456789")))
		v = strtod(arg, &end);
	if (v >= 0 && end && end == arg + digits + (arg[digits] == '.' ?
						    1 + strspn(arg + digits + 1, "0123456789") : 0)) {
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			double ns = v * units[i].ns;

			if (strcmp(end, units[i].unit))
				continue;
			if (ns < o->min || ns > o->max)
				break;
			*(__u64 *)field(cli, o) = (__u64)(ns + 0.5);
			return 0;
		}
	}
	fprintf(stderr, "%s: %s: '%s' is not %s (a number and ns, us, ms or s: 500us, 2ms; "
		"%lluns to %llus)\n", prog_name, opt_label(o, label, sizeof(label)), arg, o->what,
		o->min, o->max / 1000000000ULL);
	return -1;
}

/* --trace-out FILE.json: the Chrome trace event format is JSON. */
static int parse_trace_out(struct cli *cli, const struct cli_option *o, const char *arg)
{
	if (!has_suffix(arg, ".json")) {
		fprintf(stderr, "%s: --%s: '%s' is not a file name ending in .json\n", prog_name,
			o->name, arg);
		return -1;
	}
	cli->output.trace_out = arg;
	return 0;
}

/*
 * --prometheus [ADDR:]PORT: an IPv4 address, or an IPv6 one in brackets
 * ("[::1]:9100"); without one, 127.0.0.1: nothing else is bound unless
 * asked for.
 */
static int parse_listen(struct cli *cli, const struct cli_option *o, const char *arg)
{
	const char *given = arg, *colon = strrchr(arg, ':'), *port = colon ? colon + 1 : arg;
	size_t len = colon ? (size_t)(colon - arg) : 0;
	unsigned long long v;
	unsigned char addr[16];
	bool v6 = len >= 2 && arg[0] == '[' && arg[len - 1] == ']';

	if (v6) {
		arg++;
		len -= 2;
	}
	if (!colon) {
		arg = "127.0.0.1";
		len = strlen(arg);
	}
	if (len >= sizeof(cli->export.http_addr) || parse_uint(port, 0, 65535, &v))
		goto bad;
	snprintf(cli->export.http_addr, sizeof(cli->export.http_addr), "%.*s", (int)len, arg);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, cli->export.http_addr, addr) != 1)
		goto bad;
	cli->export.http = true;
	cli->export.http_port = v;
	return 0;
bad:
	fprintf(stderr, "%s: --%s: '%s' is not [ADDR:]PORT (a port from 0 to 65535, after an IPv4 "
		"address or an IPv6 one in brackets)\n", prog_name, o->name, given);
	return -1;
}

/* --textfile FILE.prom: node_exporter's textfile collector reads only *.prom files. */
static int parse_textfile(struct cli *cli, const struct cli_option *o, const char *arg)
{
	if (!has_suffix(arg, ".prom")) {
		fprintf(stderr, "%s: --%s: '%s' is not a file name ending in .prom (node_exporter's "
			"textfile collector reads only those)\n", prog_name, o->name, arg);
		return -1;
	}
	cli->export.textfile = arg;
	return 0;
}

#define AT(member) .offset = offsetof(struct cli, member), .size = sizeof(((struct cli *)0)->member)
#define FLAG(long_, short_, member, help_, live) \
	{ .name = long_, .short_name = short_, .has_arg = no_argument, .help = help_, \
	  .parse = parse_flag, AT(member), .live_only = live }
#define NUMBER(long_, short_, member, min_, max_, what_, meta, help_, live) \
	{ .name = long_, .short_name = short_, .has_arg = required_argument, .metavar = meta, \
	  .help = help_, .parse = parse_number, AT(member), .min = min_, .max = max_, \
	  .what = what_, .live_only = live }
#define KEYWORD(long_, member, names, meta, help_, live) \
	{ .name = long_, .has_arg = required_argument, .metavar = meta, .help = help_, \
	  .parse = parse_keyword, AT(member), .keywords = names, .nr_keywords = ARRAY_SIZE(names), \
	  .live_only = live }
#define LIST(long_, short_, member, nr_member, min_, max_, meta, help_, live) \
	{ .name = long_, .short_name = short_, .has_arg = required_argument, .metavar = meta, \
	  .help = help_, .parse = parse_list, AT(member), \
	  .nr_offset = offsetof(struct cli, nr_member), .min = min_, .max = max_, .live_only = live }
/* A reason name; what_ says what else the argument may be. */
#define REASON(long_, has_arg_, member, meta, help_, what_) \
	{ .name = long_, .has_arg = has_arg_, .metavar = meta, .help = help_, \
	  .parse = parse_reason, AT(member), .what = what_ }

/* In the order `report FILE` checks for options it cannot take, and --help lists. */
static const struct cli_option options[] = {
	LIST("pid", 'p', trace.pids, trace.nr_pids, 1, INT_MAX, "PID[,PID...]",
	     "only these VM processes (QEMU pids), at most 16", "-p"),
	LIST("vcpu", 0, trace.vcpus, trace.nr_vcpus, 0, MAX_VCPU_FILTER - 1, "N[,N...]",
	     "only these vCPU ids (0-1023)", "--vcpu"),
	{ .name = "duration", .short_name = 'd', .has_arg = required_argument, .metavar = "SECONDS",
	  .help = "stop after SECONDS (decimals allowed)", .parse = parse_seconds, AT(duration_ms),
	  .min = 1, .max = 365ULL * 24 * 3600 * 1000, .what = "a duration in seconds",
	  .live_only = "-d" },
	KEYWORD("sort", output.sort, sort_key_names, "KEY",
		"order rows by count, time, avg, max or p99 (default count)", NULL),
	FLAG("per-vcpu", 0, output.print.per_vcpu, "break the report down per vCPU", NULL),
	REASON("hist", required_argument, output.print.hist, "REASON|all",
	       "print latency histograms for REASON (a name as shown) or all",
	       "a reason name or 'all'"),
	FLAG("json", 0, output.json, "print the report as one JSON document", NULL),
	FLAG("ports", 0, trace.ports, "tally port I/O per port, direction and size",
	     "--ports/--mmio"),
	FLAG("mmio", 0, trace.mmio, "tally MMIO per guest-physical page, direction and size",
	     "--ports/--mmio"),
	FLAG("no-sched", 0, trace.no_sched, "leave the scheduler tracepoints off: exit times\n"
	     "are not split into on- and off-CPU (preempted, blocked)", "--no-sched"),
	FLAG("bql", 0, trace.bql, "with -p: split the VMM's handling time by the wait\n"
	     "for QEMU's global mutex (its qemu:qemu_mutex_lock and\n"
	     "qemu_mutex_locked USDT probes: a trap per lock of any\n"
	     "QemuMutex)", "--bql"),
	FLAG("msr", 0, trace.msr, "tally MSR accesses per MSR and direction, with faults\n"
	     "and the exit-to-entry time of their exits", "--msr/--cpuid"),
	FLAG("cpuid", 0, trace.cpuid, "tally CPUID per leaf and subleaf, with the\n"
	     "exit-to-entry time of their exits", "--msr/--cpuid"),
	FLAG("halt", 0, trace.halt, "halt polling: halts woken while polling or blocked,\n"
	     "their durations (KVM's own) and wake-to-entry times", "--halt"),
	NUMBER("max-keys", 0, trace.max_hist_keys, 16, 1U << 22, "a number", "N",
	       "histogram slots (VM x vCPU x reason), default 16384", "--max-keys"),
	KEYWORD("vmm-time", trace.vmm_clock, vmm_clock_names, "HOW",
		"what marks the next KVM_RUN, ending the VMM handling\n"
		"time: fentry (on KVM_RUN itself; exact, no trap),\n"
		"kvm_fpu (a kvm tracepoint; also counts KVM_RUN's\n"
		"re-entry), usdt (QEMU's qemu:kvm_run_exit/kvm_vcpu_ioctl\n"
		"probes, two traps a round trip; needs -p), syscall\n"
		"(sys_enter_ioctl; slows every task's syscalls), or auto\n"
		"(default: fentry where the kernel allows it, else kvm_fpu)",
		"--vmm-time"),
	KEYWORD("attach", trace.attach, attach_names, "HOW",
		"btf (tp_btf programs: the tracepoints' raw arguments,\n"
		"no trace record filled), classic (classic tracepoints),\n"
		"or auto (default: btf, else classic)", "--attach"),
	NUMBER("interval", 'I', interval_ms, 10, 3600000, "a number of milliseconds", "MS",
	       "also print each MS milliseconds' numbers (10 to 3600000);\n"
	       "with --prometheus/--textfile: how often the textfile\n"
	       "is written (default 15000), and nothing is printed", "-I/-c"),
	NUMBER("count", 'c', interval_count, 1, 1ULL << 32, "a count of intervals", "N",
	       "with -I: stop after N intervals", "-I/-c"),
	NUMBER("keep-exited", 0, keep_exited, 0, 1000000, "a number of VMs", "N",
	       "report at most N VMs that exited during the run apart\n"
	       "(default 64; 0: all); older ones are merged into one row,\n"
	       "so memory stays bounded under churn (not with -I's\n"
	       "--heatmap or --heatmap-out, which keep every interval)", "--keep-exited"),
	{ .name = "prometheus", .has_arg = required_argument, .metavar = "[ADDR:]PORT",
	  .help = "serve GET /metrics (Prometheus' text format) on\n"
		  "ADDR (default 127.0.0.1) and PORT (0: any free one)\n"
		  "while tracing",
	  .parse = parse_listen, AT(export.http), .live_only = "--prometheus/--textfile" },
	{ .name = "textfile", .has_arg = required_argument, .metavar = "FILE.prom",
	  .help = "write the same metrics to FILE.prom atomically each\n"
		  "-I interval, for node_exporter's textfile collector",
	  .parse = parse_textfile, AT(export.textfile), .live_only = "--prometheus/--textfile" },
	REASON("heatmap", optional_argument, output.heatmap, "REASON|all",
	       "with -I: a latency heatmap per VM at the end, one\n"
	       "column per interval (default all exit reasons; 'vmm'\n"
	       "for the VMM handling time)", "a reason name, 'all' or 'vmm'"),
	{ .name = "heatmap-out", .has_arg = required_argument, .metavar = "FILE",
	  .help = "write the run's data: FILE.json (the dump 'report'\n"
		  "reads), FILE.csv (heatmap cells) or FILE.svg",
	  .parse = parse_heatmap_out, AT(output.heatmap_out) },
	{ .name = "slower-than", .has_arg = required_argument, .metavar = "DURATION",
	  .help = "print every exit whose exit-to-entry time is at least\n"
		  "DURATION (500us, 2ms) as it happens, with its wall\n"
		  "time, guest TSC, CPUs, RIP, exit info and VMM time;\n"
		  "kept in --heatmap-out's dump and --trace-out",
	  .parse = parse_duration, AT(trace.slower_than_ns), .min = 1, .max = 3600ULL * 1000000000,
	  .what = "a duration", .live_only = "--slower-than" },
	{ .name = "trace-out", .has_arg = required_argument, .metavar = "FILE.json",
	  .help = "write the slow exits (--slower-than) as a Chrome\n"
		  "trace / Perfetto JSON file: a track per vCPU",
	  .parse = parse_trace_out, AT(output.trace_out) },
	KEYWORD("color", output.color, color_names, "WHEN",
		"auto (a terminal without NO_COLOR), always or never", NULL),
	FLAG("verbose", 'v', trace.verbose, "print libbpf debug output", NULL),
	{ .name = "help", .short_name = 'h', .has_arg = no_argument, .help = "this help" },
	{ .name = "version", .short_name = 'V', .has_arg = no_argument, .help = "print the version" },
};

/* getopt_long's return value for a row: its short name, or 0x100 + its index. */
static int option_key(size_t i)
{
	return options[i].short_name ? options[i].short_name : 0x100 + (int)i;
}

static const struct cli_option *option_of_key(int key)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (option_key(i) == key)
			return &options[i];
	return NULL;
}

static void print_help(void)
{
	printf("%s\n\nOPTIONS:\n", doc);
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct cli_option *o = &options[i];
		const char *help = o->help;
		char left[64];
		int n;

		n = snprintf(left, sizeof(left), "  %c%c%c --%s", o->short_name ? '-' : ' ',
			     o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name);
		if (o->metavar)
			snprintf(left + n, sizeof(left) - n, o->has_arg == optional_argument ? "[=%s]" : "=%s",
				 o->metavar);
		printf("%-26s ", left);
		if (strlen(left) > 26)
			fputc(' ', stdout);
		/* Continuation lines start under the first. */
		for (size_t len; (len = strcspn(help, "\n")), help[len]; help += len + 1)
			printf("%.*s\n%27s", (int)len, help, "");
		printf("%s\n", help);
	}
}

static void fill_long_options(struct option *longopts, char *shortopts)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		longopts[i] = (struct option){ options[i].name, options[i].has_arg, NULL, option_key(i) };
		if (!options[i].short_name)
			continue;
		shortopts[n++] = options[i].short_name;
		if (options[i].has_arg == required_argument)
			shortopts[n++] = ':';
	}
	longopts[ARRAY_SIZE(options)] = (struct option){};
	shortopts[n] = 0;
}

/* `report FILE`: a row that only means something live, given anyway; NULL if none. */
static const struct cli_option *live_option_given(const struct cli *cli, const struct cli *defaults)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		const struct cli_option *o = &options[i];
		size_t off = o->nr_offset ? o->nr_offset : o->offset;
		size_t size = o->nr_offset ? sizeof(unsigned int) : o->size;

		if (o->live_only && memcmp((const char *)cli + off, (const char *)defaults + off, size))
			return o;
	}
	return NULL;
}

/* What the options say together; 0, or -1 after a one-line error. */
static int check_combinations(const struct cli *cli, bool report)
{
#if defined(__aarch64__)
	if (cli->trace.ports) {
		fprintf(stderr, "%s: --ports: arm64 has no port I/O (its devices are MMIO: --mmio)\n",
			prog_name);
		return -1;
	}
#endif
	if (cli->trace.vmm_clock == VMM_CLOCK_USDT && !cli->trace.nr_pids) {
		fprintf(stderr, "%s: --vmm-time=usdt needs -p: the probes are in each VM's binary\n",
			prog_name);
		return -1;
	}
	if (cli->trace.bql && !cli->trace.nr_pids) {
		fprintf(stderr, "%s: --bql needs -p: the probes are in each VM's binary\n", prog_name);
		return -1;
	}
	if (cli->interval_count && !cli->interval_ms) {
		fprintf(stderr, "%s: -c counts intervals: it needs -I\n", prog_name);
		return -1;
	}
	if (cli->output.heatmap && cli->output.json) {
		fprintf(stderr, "%s: --heatmap draws in the terminal, not in --json; write it with "
			"--heatmap-out FILE.svg or .json\n", prog_name);
		return -1;
	}
	if ((cli->export.http || cli->export.textfile) && (cli->output.heatmap || cli->output.heatmap_out)) {
		/* An exporter runs for days: it keeps no intervals, which these draw. */
		fprintf(stderr, "%s: --heatmap and --heatmap-out keep every interval: not with "
			"--prometheus or --textfile, which run for days\n", prog_name);
		return -1;
	}
	if (cli->output.trace_out && !report && !cli->trace.slower_than_ns) {
		fprintf(stderr, "%s: --trace-out writes the slow exits: it needs --slower-than\n",
			prog_name);
		return -1;
	}
	if (cli->output.trace_out && (cli->export.http || cli->export.textfile)) {
		fprintf(stderr, "%s: --trace-out keeps every slow exit: not with --prometheus or "
			"--textfile, which run for days\n", prog_name);
		return -1;
	}
	if (cli->output.heatmap && !cli->interval_ms && !report) {
		fprintf(stderr, "%s: --heatmap draws one column per interval: it needs -I\n", prog_name);
		return -1;
	}
#if !defined(__x86_64__)
	/* kvm_msr and kvm_cpuid are x86's: the load would fail with libbpf's words, not ours. */
	if (cli->trace.msr || cli->trace.cpuid) {
		fprintf(stderr, "%s: --msr and --cpuid trace x86's kvm_msr and kvm_cpuid: not on this "
			"architecture\n", prog_name);
		return -1;
	}
#endif
	return 0;
}

static void set_defaults(struct cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->output.sort = SORT_COUNT;
	cli->trace.max_hist_keys = DEFAULT_MAX_HIST_KEYS;
	cli->keep_exited = DEFAULT_KEEP_EXITED;
}

int cli_parse(struct cli *cli, int argc, char **argv)
{
	struct option longopts[ARRAY_SIZE(options) + 1];
	char shortopts[2 * ARRAY_SIZE(options) + 1];
	bool report = argc > 1 && !strcmp(argv[1], "report");
	const struct cli_option *o;
	struct cli defaults;
	int key;

	set_defaults(cli);
	set_defaults(&defaults);
	fill_long_options(longopts, shortopts);
	/* 0, not 1: also resets glibc's state inside a group of short options. */
	optind = 0;
	opterr = 1;
	if (report) {
		argc--;
		argv++;
		/* "report FILE [OPTIONS]": FILE first, so "--heatmap" may take the word after it. */
		if (argc > 1 && argv[1][0] != '-') {
			cli->report_file = argv[1];
			argc--;
			argv++;
		}
	}
	while ((key = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		o = option_of_key(key);
		/* getopt already printed one line: unknown option or missing value. */
		if (!o)
			return -1;
		if (key == 'h') {
			print_help();
			return 1;
		}
		if (key == 'V') {
			printf("vmexitprof %s\n", VMEXITPROF_VERSION);
			return 1;
		}
		/* "--heatmap npf" as well as "--heatmap=npf": take a following word. */
		if (o->has_arg == optional_argument && !optarg && optind < argc && argv[optind][0] != '-' &&
		    !(report && !cli->report_file && optind == argc - 1))
			optarg = argv[optind++];
		if (o->parse(cli, o, optarg))
			return -1;
	}
	if (report) {
		if (!cli->report_file && optind < argc)
			cli->report_file = argv[optind++];
		if (!cli->report_file || !*cli->report_file) {
			fprintf(stderr, "%s: report needs the FILE that --heatmap-out wrote (.json)\n",
				prog_name);
			return -1;
		}
		o = live_option_given(cli, &defaults);
		if (o) {
			fprintf(stderr, "%s: report: %s applies to tracing, not to a saved run\n",
				prog_name, o->live_only);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog_name, argv[optind]);
		return -1;
	}
	if (check_combinations(cli, report))
		return -1;
	if ((cli->export.http || cli->export.textfile) && !cli->interval_ms)
		cli->interval_ms = DEFAULT_EXPORT_INTERVAL_MS;
	return 0;
}
