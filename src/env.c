// SPDX-License-Identifier: GPL-2.0
/* Command-line parsing. Every bad value is one line and exit status 2. */
#include <getopt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "version.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	OPT_VCPU = 0x100,
	OPT_SORT,
	OPT_PER_VCPU,
	OPT_HIST,
	OPT_JSON,
	OPT_MAX_KEYS,
	OPT_PORTS,
	OPT_MMIO,
	OPT_VMM_TIME,
	OPT_HEATMAP,
	OPT_HEATMAP_OUT,
	OPT_COLOR,
};

static const char *const sort_names[] = { "count", "time", "avg", "max", "p99" };
const char *const vmm_clock_names[] = { "auto", "kvm_fpu", "usdt", "syscall" };
static const char *const color_names[] = { "auto", "always", "never" };

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
"                  [--vmm-time auto|kvm_fpu|usdt|syscall]\n"
"                  [--heatmap[=REASON|all|vmm]] [--heatmap-out FILE] [--color WHEN]\n"
"       vmexitprof report FILE [--sort KEY] [--per-vcpu] [--hist REASON|all]\n"
"                  [--heatmap[=REASON|all|vmm]] [--heatmap-out FILE] [--json] [--color WHEN]\n"
"\n"
"EXAMPLES:\n"
"    vmexitprof                  # every VM on the host, until Ctrl-C\n"
"    vmexitprof -p 1234 -d 10    # one QEMU process for 10 seconds\n"
"    vmexitprof -p 1234 --vcpu 0,1 --per-vcpu   # vCPUs 0 and 1, each apart\n"
"    vmexitprof --sort p99 --hist npf           # NPF latency histogram\n"
"    vmexitprof -d 5 --json      # machine-readable summary\n"
"    vmexitprof -p 1234 --ports --sort time     # which ports cost the VMM most\n"
"    vmexitprof -p 1234 --vmm-time=usdt         # QEMU's own view of its handling time\n"
"    vmexitprof -p 1234 -I 1000 -c 60 --heatmap=npf  # a minute, NPF latency over time\n"
"    vmexitprof -p 1234 -I 100 -d 30 --heatmap-out run.json  # save, then:\n"
"    vmexitprof report run.json --heatmap --heatmap-out run.svg";

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "vcpu", required_argument, NULL, OPT_VCPU },
	{ "duration", required_argument, NULL, 'd' },
	{ "sort", required_argument, NULL, OPT_SORT },
	{ "per-vcpu", no_argument, NULL, OPT_PER_VCPU },
	{ "hist", required_argument, NULL, OPT_HIST },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ports", no_argument, NULL, OPT_PORTS },
	{ "mmio", no_argument, NULL, OPT_MMIO },
	{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
	{ "vmm-time", required_argument, NULL, OPT_VMM_TIME },
	{ "interval", required_argument, NULL, 'I' },
	{ "count", required_argument, NULL, 'c' },
	{ "heatmap", optional_argument, NULL, OPT_HEATMAP },
	{ "heatmap-out", required_argument, NULL, OPT_HEATMAP_OUT },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{},
};

static const char options_help[] =
"OPTIONS:\n"
"  -p, --pid=PID[,PID...]   only these VM processes (QEMU pids), at most 16\n"
"      --vcpu=N[,N...]      only these vCPU ids (0-1023)\n"
"  -d, --duration=SECONDS   stop after SECONDS (decimals allowed)\n"
"      --sort=KEY           order rows by count, time, avg, max or p99 (default count)\n"
"      --per-vcpu           break the report down per vCPU\n"
"      --hist=REASON|all    print latency histograms for REASON (a name as shown) or all\n"
"      --json               print the report as one JSON document\n"
"      --ports              tally port I/O per port, direction and size\n"
"      --mmio               tally MMIO per guest-physical page, direction and size\n"
"      --max-keys=N         histogram slots (VM x vCPU x reason), default 16384\n"
"      --vmm-time=HOW       what marks the next KVM_RUN, ending the VMM handling\n"
"                           time: usdt (QEMU's qemu:kvm_run_exit/kvm_vcpu_ioctl\n"
"                           probes; needs -p), kvm_fpu (a kvm tracepoint; also\n"
"                           counts KVM_RUN's re-entry), syscall (sys_enter_ioctl;\n"
"                           slows every task's syscalls), or auto (default: usdt\n"
"                           if every -p target has the probes, else kvm_fpu)\n"
"  -I, --interval=MS        also print each MS milliseconds' numbers (10 to 3600000)\n"
"  -c, --count=N            with -I: stop after N intervals\n"
"      --heatmap[=REASON|all]  with -I: a latency heatmap per VM at the end, one\n"
"                           column per interval (default all exit reasons; 'vmm'\n"
"                           for the VMM handling time)\n"
"      --heatmap-out=FILE   write the run's data: FILE.json (the dump 'report'\n"
"                           reads), FILE.csv (heatmap cells) or FILE.svg\n"
"      --color=WHEN         auto (a terminal without NO_COLOR), always or never\n"
"  -v, --verbose            print libbpf debug output\n"
"  -h, --help               this help\n"
"  -V, --version            print the version\n";

static const char *prog_name = "vmexitprof";

static void bad(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "%s: ", prog_name);
	fprintf(stderr, fmt, arg);
	if (why)
		fprintf(stderr, ": %s", why);
	fputc('\n', stderr);
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

/* A comma-separated list of numbers in [min, max], no duplicates. */
static int parse_list(const char *opt, const char *arg, unsigned long long min,
		      unsigned long long max, __u32 *out, unsigned int cap, unsigned int *nr)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	/* No reset of *nr: a repeated option adds to the list. */
	if (!*arg) {
		bad("%s needs a value", opt, NULL);
		err = -EINVAL;
		goto out;
	}
	/* strtok would skip empty items; a stray comma is an error. */
	if (arg[0] == ',' || arg[strlen(arg) - 1] == ',' || strstr(arg, ",,")) {
		bad("%s: empty item in the list", opt, NULL);
		err = -EINVAL;
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned long long v;

		err = parse_uint(tok, min, max, &v);
		if (err) {
			fprintf(stderr, "%s: %s: '%s' is not a number from %llu to %llu\n",
				prog_name, opt, tok, min, max);
			goto out;
		}
		for (unsigned int i = 0; i < *nr; i++) {
			if (out[i] == v) {
				fprintf(stderr, "%s: %s: %llu is given twice\n", prog_name, opt, v);
				err = -EINVAL;
				goto out;
			}
		}
		if (*nr >= cap) {
			fprintf(stderr, "%s: %s: at most %u values\n", prog_name, opt, cap);
			err = -E2BIG;
			goto out;
		}
		out[(*nr)++] = v;
	}
out:
	free(copy);
	return err;
}

/* Seconds with up to millisecond precision: "10", "0.5", "2.25". */
static int parse_seconds(const char *s, __u64 *ms)
{
	unsigned long long whole = 0, frac = 0;
	unsigned int digits = 0;
	const char *p = s;

	if (!*p || *p == '.')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 365ULL * 24 * 3600)
			return -ERANGE;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (digits < 3) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		}
		if (p[-1] == '.')
			return -EINVAL;
	}
	if (*p)
		return -EINVAL;
	while (digits++ < 3)
		frac *= 10;
	*ms = whole * 1000 + frac;
	return *ms ? 0 : -ERANGE;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	/* "x.json", not ".json" alone: a file needs a name. */
	return n > m && !strcmp(s + n - m, suffix) && s[n - m - 1] != '/';
}

/* arg as one of names: *out its index. Returns 0 or -1 after a one-line error. */
static int parse_keyword(const char *opt, const char *arg, const char *const *names, int nr,
			 int *out)
{
	for (int i = 0; i < nr; i++) {
		if (!strcmp(arg, names[i])) {
			*out = i;
			return 0;
		}
	}
	fprintf(stderr, "%s: %s: '%s' is not one of", prog_name, opt, arg);
	for (int i = 0; i < nr; i++)
		fprintf(stderr, "%s %s", i ? "," : "", names[i]);
	fputc('\n', stderr);
	return -1;
}

/* One option; returns 0 or -1 after printing a one-line error. */
static int parse_option(struct env *env, int key, const char *arg)
{
	unsigned long long v;

	switch (key) {
	case 'p':
		return parse_list("-p", arg, 1, INT_MAX, env->pids, MAX_TARGET_PIDS, &env->nr_pids) ? -1 : 0;
	case OPT_VCPU:
		return parse_list("--vcpu", arg, 0, MAX_VCPU_FILTER - 1, env->vcpus, MAX_VCPU_FILTER,
				  &env->nr_vcpus) ? -1 : 0;
	case 'd':
		if (parse_seconds(arg, &env->duration_ms)) {
			bad("-d: '%s' is not a duration in seconds (0.001 to 31536000)", arg, NULL);
			return -1;
		}
		return 0;
	case OPT_SORT:
		return parse_keyword("--sort", arg, sort_names, ARRAY_SIZE(sort_names), (int *)&env->sort);
	case OPT_VMM_TIME:
		return parse_keyword("--vmm-time", arg, vmm_clock_names, ARRAY_SIZE(vmm_clock_names),
				     (int *)&env->vmm_clock);
	case OPT_PER_VCPU:
		env->per_vcpu = true;
		return 0;
	case OPT_HIST:
		if (!*arg) {
			bad("--hist needs a reason name or 'all'%s", "", NULL);
			return -1;
		}
		env->hist = arg;
		return 0;
	case OPT_JSON:
		env->json = true;
		return 0;
	case OPT_PORTS:
		env->ports = true;
		return 0;
	case OPT_MMIO:
		env->mmio = true;
		return 0;
	case OPT_MAX_KEYS:
		if (parse_uint(arg, 16, 1U << 22, &v)) {
			bad("--max-keys: '%s' is not a number from 16 to 4194304", arg, NULL);
			return -1;
		}
		env->max_hist_keys = v;
		return 0;
	case 'I':
		if (parse_uint(arg, 10, 3600000, &env->interval_ms)) {
			bad("-I: '%s' is not a number of milliseconds from 10 to 3600000", arg, NULL);
			return -1;
		}
		return 0;
	case 'c':
		if (parse_uint(arg, 1, 1ULL << 32, &env->interval_count)) {
			bad("-c: '%s' is not a count of intervals from 1 to 4294967296", arg, NULL);
			return -1;
		}
		return 0;
	case OPT_HEATMAP:
		if (arg && !*arg) {
			bad("--heatmap needs a reason name, 'all' or 'vmm'%s", "", NULL);
			return -1;
		}
		env->heatmap = arg ? arg : "all";
		return 0;
	case OPT_HEATMAP_OUT:
		if (has_suffix(arg, ".json"))
			env->heatmap_out_kind = OUT_JSON;
		else if (has_suffix(arg, ".csv"))
			env->heatmap_out_kind = OUT_CSV;
		else if (has_suffix(arg, ".svg"))
			env->heatmap_out_kind = OUT_SVG;
		else {
			bad("--heatmap-out: '%s' is not a file name ending in .json, .csv or .svg", arg, NULL);
			return -1;
		}
		env->heatmap_out = arg;
		return 0;
	case OPT_COLOR:
		return parse_keyword("--color", arg, color_names, ARRAY_SIZE(color_names),
				     (int *)&env->color);
	case 'v':
		env->verbose = true;
		return 0;
	default:
		/* getopt already printed one line: unknown option or missing value. */
		return -1;
	}
}

int env_parse(struct env *env, int argc, char **argv)
{
	bool report = argc > 1 && !strcmp(argv[1], "report");
	int key;

	memset(env, 0, sizeof(*env));
	env->sort = SORT_COUNT;
	env->max_hist_keys = DEFAULT_MAX_HIST_KEYS;
	/* 0, not 1: also resets glibc's state inside a group of short options. */
	optind = 0;
	opterr = 1;
	if (report) {
		argc--;
		argv++;
		/* "report FILE [OPTIONS]": FILE first, so "--heatmap" may take the word after it. */
		if (argc > 1 && argv[1][0] != '-') {
			env->report_file = argv[1];
			argc--;
			argv++;
		}
	}
	while ((key = getopt_long(argc, argv, "p:d:I:c:vhV", long_options, NULL)) != -1) {
		if (key == 'h') {
			printf("%s\n\n%s", doc, options_help);
			return 1;
		}
		if (key == 'V') {
			printf("vmexitprof %s\n", VMEXITPROF_VERSION);
			return 1;
		}
		/* "--heatmap npf" as well as "--heatmap=npf": take a following word. */
		if (key == OPT_HEATMAP && !optarg && optind < argc && argv[optind][0] != '-' &&
		    !(report && !env->report_file && optind == argc - 1))
			optarg = argv[optind++];
		if (parse_option(env, key, optarg))
			return -1;
	}
	if (report) {
		/* Options that need a live run, and so mean nothing to "report FILE". */
		const struct { bool set; const char *name; } live[] = {
			{ env->nr_pids, "-p" },
			{ env->nr_vcpus, "--vcpu" },
			{ env->duration_ms, "-d" },
			{ env->interval_ms || env->interval_count, "-I/-c" },
			{ env->ports || env->mmio, "--ports/--mmio" },
			{ env->max_hist_keys != DEFAULT_MAX_HIST_KEYS, "--max-keys" },
			{ env->vmm_clock != VMM_CLOCK_AUTO, "--vmm-time" },
		};

		if (!env->report_file && optind < argc)
			env->report_file = argv[optind++];
		if (!env->report_file || !*env->report_file) {
			fprintf(stderr, "%s: report needs the FILE that --heatmap-out wrote (.json)\n",
				prog_name);
			return -1;
		}
		for (size_t i = 0; i < ARRAY_SIZE(live); i++) {
			if (live[i].set) {
				fprintf(stderr, "%s: report: %s applies to tracing, not to a saved run\n",
					prog_name, live[i].name);
				return -1;
			}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog_name, argv[optind]);
		return -1;
	}
	if (env->vmm_clock == VMM_CLOCK_USDT && !env->nr_pids) {
		fprintf(stderr, "%s: --vmm-time=usdt needs -p: the probes are in each VM's binary\n",
			prog_name);
		return -1;
	}
	if (env->interval_count && !env->interval_ms) {
		fprintf(stderr, "%s: -c counts intervals: it needs -I\n", prog_name);
		return -1;
	}
	if (env->heatmap && env->json) {
		fprintf(stderr, "%s: --heatmap draws in the terminal, not in --json; write it with "
			"--heatmap-out FILE.svg or .json\n", prog_name);
		return -1;
	}
	if (env->heatmap && !env->interval_ms && !report) {
		fprintf(stderr, "%s: --heatmap draws one column per interval: it needs -I\n", prog_name);
		return -1;
	}
	return 0;
}
