// SPDX-License-Identifier: GPL-2.0
/*
 * The report as text: a table per VM (and vCPU) in the columns of perf
 * kvm stat, histogram bars, returns to userspace, port/MMIO tallies and
 * the event accounting; and the -I lines (include/print.h).
 */
#define _GNU_SOURCE	/* strerrorname_np */
#include <math.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hist.h"
#include "msr_names.h"
#include "print.h"
#include "util.h"

static const char *uexit_name(const struct reason_table *names, const struct uexit_row *u,
			      char *buf, size_t len)
{
	if (u->flags & UEXIT_FLAG_ERRNO) {
		const char *e = strerrorname_np(u->reason);

		if (e)
			snprintf(buf, len, "errno %s", e);
		else
			snprintf(buf, len, "errno %u", u->reason);
		return buf;
	}
	return kvm_exit_name(names, u->reason, buf, len);
}

static const char *row_name(const struct reason_table *names, const struct reason_row *s,
			    char *buf, size_t len)
{
	char unknown[32];
	const char *name = reason_name(names, s->isa, s->reason, unknown, sizeof(unknown));

	snprintf(buf, len, "%s%s", name, s->flags & HIST_FLAG_FAILED_VMENTRY ? " (failed entry)" : "");
	return buf;
}

static bool row_is_halt(const struct reason_table *names, const struct reason_row *s)
{
	char unknown[32];

	return reason_is_halt(reason_name(names, s->isa, s->reason, unknown, sizeof(unknown)));
}

struct set_totals {
	struct hist all;
	__u64 time_no_halt;
};

static void set_totals(const struct reason_rows *set, const struct reason_table *names,
		       struct set_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < set->nr; i++) {
		hist_merge(&t->all, &set->rows[i].h);
		if (!row_is_halt(names, &set->rows[i]))
			t->time_no_halt += set->rows[i].h.sum_ns;
	}
}

static void print_pct(FILE *out, __u64 part, __u64 whole)
{
	if (whole)
		fprintf(out, " %6.1f%%", 100.0 * part / whole);
	else
		fprintf(out, " %7s", "-");
}

/* A percentile: one in the overflow bucket is only known to be at least that (">4398s"). */
static void format_percentile(char *buf, size_t len, const struct hist *h, double q)
{
	__u64 v = hist_percentile(h, q);

	buf[0] = '>';
	format_ns(buf + (v >= HIST_OVERFLOW_NS), len - 1, v);
}

static void print_latencies(FILE *out, const struct hist *h)
{
	static const double quantiles[] = { 0.5, 0.99, 0.999 };
	char buf[32];
	double sd;

	format_ns(buf, sizeof(buf), h->min_ns);
	fprintf(out, " %8s", buf);
	format_ns(buf, sizeof(buf), (double)h->sum_ns / h->count);
	fprintf(out, " %8s", buf);
	sd = hist_stddev(h);
	/* "-": a dump from before the sums of squares were kept. */
	if (isnan(sd))
		snprintf(buf, sizeof(buf), "-");
	else
		format_ns(buf, sizeof(buf), sd);
	fprintf(out, " %8s", buf);
	for (size_t i = 0; i < ARRAY_SIZE(quantiles); i++) {
		format_percentile(buf, sizeof(buf), h, quantiles[i]);
		fprintf(out, " %8s", buf);
	}
	format_ns(buf, sizeof(buf), h->max_ns);
	fprintf(out, " %8s\n", buf);
}

static void print_table(FILE *out, const struct reason_rows *set, const struct reason_table *names,
			const char *indent)
{
	struct set_totals t;
	char name[64];

	set_totals(set, names, &t);
	fprintf(out, "%s%-24s %10s %7s %7s %7s %8s %8s %8s %8s %8s %8s %8s\n", indent, "REASON",
		"COUNT", "COUNT%", "TIME%", "NOHLT%", "MIN", "AVG", "STDDEV", "P50", "P99", "P99.9", "MAX");
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];

		if (!s->h.count)
			continue;
		fprintf(out, "%s%-24s %10llu", indent, row_name(names, s, name, sizeof(name)),
			(unsigned long long)s->h.count);
		print_pct(out, s->h.count, t.all.count);
		print_pct(out, s->h.sum_ns, t.all.sum_ns);
		if (row_is_halt(names, s))
			fprintf(out, " %7s", "-");
		else
			print_pct(out, s->h.sum_ns, t.time_no_halt);
		print_latencies(out, &s->h);
	}
	if (!t.all.count)
		return;
	fprintf(out, "%s%-24s %10llu", indent, "TOTAL", (unsigned long long)t.all.count);
	print_pct(out, t.all.count, t.all.count);
	print_pct(out, t.all.sum_ns, t.all.sum_ns);
	print_pct(out, t.time_no_halt, t.time_no_halt);
	print_latencies(out, &t.all);
}

static bool hist_selected(const struct print_opts *opts, const char *name)
{
	return opts->hist && (!strcasecmp(opts->hist, "all") || !strcasecmp(opts->hist, name));
}

/* Non-empty buckets only; a row of dots marks a run of empty ones. */
static void print_hist(FILE *out, const struct hist *h, const char *title)
{
	__u64 peak = 0;
	int prev = -1;

	for (unsigned int b = 0; b < HIST_NR_BUCKETS; b++)
		if (h->buckets[b] > peak)
			peak = h->buckets[b];
	fprintf(out, "\n  %s: %llu exits\n", title, (unsigned long long)h->count);
	if (!peak)
		return;
	fprintf(out, "  %21s %10s  distribution\n", "latency range", "count");
	for (unsigned int b = 0; b < HIST_NR_BUCKETS; b++) {
		char lo[16], hi[16], bar[41];
		int width;

		if (!h->buckets[b])
			continue;
		if (prev >= 0 && b != (unsigned int)prev + 1)
			fprintf(out, "  %21s\n", "...");
		prev = b;
		width = (int)(40.0 * h->buckets[b] / peak + 0.5);
		format_ns(lo, sizeof(lo), hist_bucket_lower(b));
		if (b >= HIST_OVERFLOW)
			snprintf(hi, sizeof(hi), "...");
		else
			format_ns(hi, sizeof(hi), hist_bucket_lower(b + 1));
		memset(bar, '*', width);
		bar[width] = 0;
		fprintf(out, "  %9s - %-9s %10llu |%-40s|\n", lo, hi,
			(unsigned long long)h->buckets[b], bar);
	}
}

static void print_hists(FILE *out, const struct reason_rows *set, const struct reason_table *names,
			const struct print_opts *opts, const char *what)
{
	char name[64], title[160];

	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];

		row_name(names, s, name, sizeof(name));
		if (!s->h.count || !hist_selected(opts, name))
			continue;
		snprintf(title, sizeof(title), "%s, %s", name, what);
		print_hist(out, &s->h, title);
	}
}

/* Exits neither paired nor overwritten are still waiting for their entry. */
static void print_counters(FILE *out, const struct summary *sum)
{
	const __u64 *c = sum->counters;

	fprintf(out, "\nEvents: %llu exits, %llu entries, %llu exit-to-entry intervals recorded.\n",
		(unsigned long long)c[CNT_EXITS], (unsigned long long)c[CNT_ENTRIES],
		(unsigned long long)c[CNT_PAIRED]);
	fprintf(out,
		"Unpaired: %llu entries without an exit before them (each vCPU thread's first entry "
		"after start is one), %llu exits overwritten by another exit; dropped: %llu intervals "
		"because the histogram map and its reserve were full (--max-keys), %llu because the "
		"kernel had no memory for a new histogram and the reserve was full.\n",
		(unsigned long long)c[CNT_ENTRY_WITHOUT_EXIT],
		(unsigned long long)c[CNT_EXIT_OVERWRITTEN], (unsigned long long)c[CNT_HIST_FULL],
		(unsigned long long)c[CNT_HIST_ALLOC_FAILED]);
	fprintf(out, "Pending: %llu exits had no entry yet when tracing stopped (a vCPU thread's "
		"last exit before it stopped or while it waited in the VMM).\n",
		(unsigned long long)counters_exits_pending(c));
	if (c[CNT_UEXIT_DROPPED] || c[CNT_VMM_DROPPED] || c[CNT_IO_DROPPED])
		fprintf(out, "Also dropped: %llu returns to userspace (their map was full, --max-keys), "
			"%llu VMM handling times (the histogram map and its reserve were full, or "
			"the kernel had no memory), %llu port/MMIO accesses (their map was full).\n",
			(unsigned long long)c[CNT_UEXIT_DROPPED], (unsigned long long)c[CNT_VMM_DROPPED],
			(unsigned long long)c[CNT_IO_DROPPED]);
	if (c[CNT_SLOT_FAILED] || c[CNT_VMM_UNTIMED] || c[CNT_IO_UNTRACKED] || c[CNT_VMS_SEEN_FULL] ||
	    c[CNT_MINMAX_CONTENDED])
		fprintf(out, "Also lost: %llu exits not paired and %llu returns to userspace not timed "
			"(the kernel had no per-thread slot for them), %llu port/MMIO accesses not "
			"followed to the VMM (no slot either), %llu VMs not recorded for naming and moving "
			"out (vms_seen was full, --max-keys), %llu min/max updates given up against "
			"racing writers.\n",
			(unsigned long long)c[CNT_SLOT_FAILED], (unsigned long long)c[CNT_VMM_UNTIMED],
			(unsigned long long)c[CNT_IO_UNTRACKED], (unsigned long long)c[CNT_VMS_SEEN_FULL],
			(unsigned long long)c[CNT_MINMAX_CONTENDED]);
	if (c[CNT_HALT_DROPPED])
		fprintf(out, "Also lost: %llu halt or wake-to-entry times (--halt: the histogram map and "
			"its reserve were full, no memory, or no per-thread slot).\n",
			(unsigned long long)c[CNT_HALT_DROPPED]);
	if (c[CNT_OUTLIERS] || c[CNT_OUTLIERS_LOST])
		fprintf(out, "Slow exits (--slower-than): %llu, of which %llu lost because the ring "
			"buffer was full (not printed, not in the files).\n",
			(unsigned long long)c[CNT_OUTLIERS], (unsigned long long)c[CNT_OUTLIERS_LOST]);
}

/*
 * The returns to the VMM with the VMM's handling time (until the thread's
 * next KVM_RUN), and for each kvm_exit reason how many of its exits went
 * on to userspace (IO handled by QEMU, not an ioeventfd).
 */
static void print_uexits(FILE *out, const struct uexit_rows *set, const struct reason_rows *vmm,
			 const struct reason_rows *exits, const struct reason_table *names,
			 const char *indent, const char *vmm_interval)
{
	char name[64];
	__u64 total = 0;
	bool any = false;

	if (!set->nr)
		return;
	fprintf(out, "\n%sReturns to userspace, and the VMM's handling time until the next KVM_RUN "
		"(%s):\n", indent, vmm_interval);
	fprintf(out, "%s%-24s %10s %10s %8s %8s %8s %8s %8s %8s %8s\n", indent, "KVM_EXIT", "COUNT",
		"HANDLED", "MIN", "AVG", "STDDEV", "P50", "P99", "P99.9", "MAX");
	for (size_t i = 0; i < set->nr; i++) {
		const struct hist *h = summary_vmm_hist(vmm, &set->rows[i]);

		fprintf(out, "%s%-24s %10llu", indent,
			uexit_name(names, &set->rows[i], name, sizeof(name)),
			(unsigned long long)set->rows[i].count);
		if (h) {
			fprintf(out, " %10llu", (unsigned long long)h->count);
			print_latencies(out, h);
		} else {
			fputc('\n', out);
		}
		total += set->rows[i].count;
	}
	fprintf(out, "%s%-24s %10llu\n", indent, "TOTAL", (unsigned long long)total);
	for (size_t i = 0; i < exits->nr; i++) {
		const struct reason_row *s = &exits->rows[i];

		if (!s->h.to_userspace)
			continue;
		fprintf(out, "%s%s %s %llu of %llu", indent, any ? "," : "Went on to userspace:",
			row_name(names, s, name, sizeof(name)),
			(unsigned long long)s->h.to_userspace, (unsigned long long)s->h.count);
		indent = "";
		any = true;
	}
	if (any)
		fputc('\n', out);
}


static void vcpu_label(char *buf, size_t len, const struct vcpu_summary *v)
{
	if (v->vcpu == VCPU_UNKNOWN)
		snprintf(buf, len, "vCPU ?");
	else if (v->vcpu_id != VCPU_UNKNOWN)
		snprintf(buf, len, "vCPU %u (vcpu_id %u)", v->vcpu, v->vcpu_id);
	else
		snprintf(buf, len, "vCPU %u", v->vcpu);
}

/*
 * A row's HANDLED column and its MIN, AVG and MAX (nothing where none was
 * timed): the VMM's handling for ports and MMIO, the exits' exit-to-entry
 * time for MSRs and CPUIDs.
 */
static void print_handled_times(FILE *out, const struct io_stats *st)
{
	char lo[16], avg[16], hi[16];

	fprintf(out, " %10llu", (unsigned long long)st->handled);
	if (st->handled) {
		format_ns(lo, sizeof(lo), st->handled_min_ns);
		format_ns(avg, sizeof(avg), (double)st->handled_sum_ns / st->handled);
		format_ns(hi, sizeof(hi), st->handled_max_ns);
		fprintf(out, " %8s %8s %8s", lo, avg, hi);
	}
	fputc('\n', out);
}

static void print_io(FILE *out, const struct io_rows *set, unsigned int kind)
{
	bool header = false;

	for (size_t i = 0; i < set->nr; i++) {
		const struct io_row *io = &set->rows[i];
		const struct io_stats *st = &io->stats;

		if (io->key.kind != kind)
			continue;
		if (!header) {
			fprintf(out, "\n%s:\n%-18s %-5s %4s %10s %10s %10s %8s %8s %8s\n",
				kind == IO_KIND_PIO ? "Port I/O (kvm:kvm_pio)" : "MMIO by guest-physical page (kvm:kvm_mmio)",
				kind == IO_KIND_PIO ? "PORT" : "GPA PAGE", "DIR", "SIZE", "COUNT", "TO-VMM",
				"HANDLED", "MIN", "AVG", "MAX");
			header = true;
		}
		fprintf(out, "0x%-16llx %-5s %4u %10llu %10llu", (unsigned long long)io->key.addr,
			io->key.dir == IO_DIR_WRITE ? "write" : "read", io->key.size,
			(unsigned long long)st->count, (unsigned long long)st->to_userspace);
		print_handled_times(out, st);
	}
}

/* --msr and --cpuid: one row per MSR and direction, or per leaf and subleaf. */
static void print_tallies(FILE *out, const struct io_rows *set, unsigned int kind)
{
	bool header = false;

	for (size_t i = 0; i < set->nr; i++) {
		const struct io_row *io = &set->rows[i];
		const char *name;

		if (io->key.kind != kind)
			continue;
		if (!header && kind == IO_KIND_MSR)
			fprintf(out, "\nMSR accesses (kvm:kvm_msr); TIMED, MIN, AVG, MAX: their exits' exit-to-entry time:\n"
				"%-12s %-24s %-5s %10s %10s %10s %8s %8s %8s\n", "MSR", "NAME", "DIR",
				"COUNT", "FAULTS", "TIMED", "MIN", "AVG", "MAX");
		else if (!header)
			fprintf(out, "\nCPUID (kvm:kvm_cpuid); TIMED, MIN, AVG, MAX: their exits' exit-to-entry time:\n"
				"%-12s %-12s %10s %10s %8s %8s %8s\n", "LEAF", "SUBLEAF", "COUNT", "TIMED",
				"MIN", "AVG", "MAX");
		header = true;
		if (kind == IO_KIND_MSR) {
			name = msr_name(io->key.addr);
			fprintf(out, "0x%-10llx %-24s %-5s %10llu %10llu", (unsigned long long)io->key.addr,
				name ? name : "-", io->key.dir == IO_DIR_WRITE ? "write" : "read",
				(unsigned long long)io->stats.count, (unsigned long long)io->stats.faults);
		} else {
			fprintf(out, "0x%-10llx 0x%-10llx %10llu", (unsigned long long)(io->key.addr >> 32),
				(unsigned long long)(io->key.addr & 0xffffffff),
				(unsigned long long)io->stats.count);
		}
		print_handled_times(out, &io->stats);
	}
}

/* --halt: the halts by how they ended, and the wake-to-entry times. */
static void print_halts(FILE *out, const struct reason_rows *set, const char *indent)
{
	static const char *const labels[HALT_NR_REASONS] = {
		[HALT_POLLED] = "woken while polling", [HALT_BLOCKED] = "blocked",
		[HALT_WAKE_POLLED] = "wake to entry, polled", [HALT_WAKE_BLOCKED] = "wake to entry, blocked",
	};
	__u64 halts = 0, invalid = 0;
	bool header = false;

	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];
		char name[64];

		if (!s->h.count)
			continue;
		if (!header)
			fprintf(out, "\n%sHalt polling (kvm:kvm_vcpu_wakeup); halt times are KVM's own, from the "
				"halt to the wakeup:\n%s%-30s %10s %8s %8s %8s %8s %8s %8s\n", indent, indent,
				"HALT", "COUNT", "MIN", "AVG", "P50", "P99", "P99.9", "MAX");
		header = true;
		if (s->reason == HALT_POLLED || s->reason == HALT_BLOCKED)
			halts += s->h.count;
		if (s->flags & HIST_FLAG_INVALID_WAKEUP)
			invalid += s->h.count;
		snprintf(name, sizeof(name), "%s%s", s->reason < HALT_NR_REASONS ? labels[s->reason] : "?",
			 s->flags & HIST_FLAG_INVALID_WAKEUP ? " (invalid)" : "");
		fprintf(out, "%s%-30s %10llu", indent, name, (unsigned long long)s->h.count);
		print_latencies(out, &s->h);
	}
	if (header)
		fprintf(out, "%sInvalid wakeups: %llu of %llu halts.\n", indent,
			(unsigned long long)invalid, (unsigned long long)halts);
}

/* What the VMM handling time runs between, for each --vmm-time mechanism. */
static const char *vmm_interval(const char *source)
{
	if (source && !strcmp(source, "usdt"))
		return "QEMU's USDT qemu:kvm_run_exit to qemu:kvm_vcpu_ioctl(KVM_RUN)";
	if (source && !strcmp(source, "syscall"))
		return "kvm_userspace_exit to syscalls:sys_enter_ioctl(KVM_RUN)";
	if (source && !strcmp(source, "fentry"))
		return "kvm_userspace_exit to fentry on kvm_arch_vcpu_ioctl_run";
	return "kvm_userspace_exit to kvm_fpu load, so with KVM_RUN's re-entry";
}

static bool pid_reused(const struct summary *sum, const struct vm_summary *vm)
{
	for (size_t i = 0; i < sum->nr_vms; i++)
		if (sum->vms[i].vm.pid == vm->vm.pid && &sum->vms[i] != vm)
			return true;
	return false;
}

void print_report_text(FILE *out, const struct summary *sum, const struct reason_table *names,
		  const struct print_opts *opts)
{
	const char *interval = vmm_interval(sum->vmm_time_source);
	const char *halt = "HLT";
	char dur[32];

	format_ns(dur, sizeof(dur), sum->duration_ns);
	/* arm64's halt rows are WFx: a WFI or WFE that waited (NOHLT% leaves them out). */
	for (size_t i = 0; i < sum->nr_vms; i++)
		for (size_t r = 0; r < sum->vms[i].reasons.nr; r++)
			if (sum->vms[i].reasons.rows[r].isa == ISA_ARM64)
				halt = "WFx (WFI, WFE)";
	if (!sum->nr_vms)
		fprintf(out, "No VM exits recorded in %s.\n", dur);
	for (size_t i = 0; i < sum->nr_vms; i++) {
		const struct vm_summary *vm = &sum->vms[i];
		char what[96], started[48] = "";

		/* Processes that had the same pid one after the other: say which is which. */
		if (pid_reused(sum, vm))
			snprintf(started, sizeof(started), ", started %.2fs after boot",
				 (double)vm->vm.start / sysconf(_SC_CLK_TCK));
		if (vm->vm.pid == FOLDED_VM_PID)
			fprintf(out, "%sVMs merged (%s), all vCPUs as one, %s\n\n", i ? "\n" : "",
				vm->vm.name, dur);
		else
			fprintf(out, "%sVM pid %u (%s%s)%s: %zu vCPU%s, %s\n\n", i ? "\n" : "",
				vm->vm.pid, vm->vm.name, started,
				vm->vm.exited ? " [exited during the run]" : "", vm->nr_vcpus,
				vm->nr_vcpus == 1 ? "" : "s", dur);
		if (vm->reasons.nr)
			print_table(out, &vm->reasons, names, "");
		else if (!sum->kvm_exit_fired)
			fprintf(out, "No exit-to-entry latencies: kvm:kvm_exit never fired on this host.\n");
		if (sum->sched)
			print_split_text(out, &vm->reasons, names, "", sum->bql);
		snprintf(what, sizeof(what), "VM pid %u", vm->vm.pid);
		print_hists(out, &vm->reasons, names, opts, what);
		print_uexits(out, &vm->uexits, &vm->vmm, &vm->reasons, names, "", interval);
		if (sum->sched)
			print_split_text(out, &vm->vmm, names, "", sum->bql);
		if (sum->ports)
			print_io(out, &vm->io, IO_KIND_PIO);
		if (sum->mmio)
			print_io(out, &vm->io, IO_KIND_MMIO);
		if (sum->msr)
			print_tallies(out, &vm->io, IO_KIND_MSR);
		if (sum->cpuid)
			print_tallies(out, &vm->io, IO_KIND_CPUID);
		if (sum->halt)
			print_halts(out, &vm->halt, "");
		if (!opts->per_vcpu)
			continue;
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			const struct vcpu_summary *v = &vm->vcpus[j];
			char label[48];

			vcpu_label(label, sizeof(label), v);
			fprintf(out, "\n  %s\n", label);
			if (v->reasons.nr)
				print_table(out, &v->reasons, names, "  ");
			if (sum->sched)
				print_split_text(out, &v->reasons, names, "  ", sum->bql);
			snprintf(what, sizeof(what), "VM pid %u %s", vm->vm.pid, label);
			print_hists(out, &v->reasons, names, opts, what);
			print_uexits(out, &v->uexits, &v->vmm, &v->reasons, names, "  ", interval);
			if (sum->sched)
				print_split_text(out, &v->vmm, names, "  ", sum->bql);
			if (sum->halt)
				print_halts(out, &v->halt, "  ");
		}
	}
	fprintf(out,
		"\nExit-to-entry time includes in-kernel handling, trips to the VMM in userspace, "
		"preemption, and for %s the time the vCPU sat halted; NOHLT%% leaves %s out.\n",
		halt, halt);
	print_counters(out, sum);
}

void print_interval_header(FILE *out, const struct print_opts *opts)
{
	fprintf(out, "#%13s %7s %5s %-20s %10s %11s %8s %8s %8s %8s\n", "time", "pid",
		opts->per_vcpu ? "vcpu" : "", "reason", "count", "rate/s", "avg", "p50", "p99", "max");
}

static void interval_rows(FILE *out, const struct summary *sum, __u32 pid, const char *vcpu,
			  const struct reason_rows *set, const struct reason_table *names,
			  const char *prefix)
{
	double secs = (sum->interval_end_ns - sum->interval_start_ns) / 1e9;

	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];
		char buf[64], label[80], avg[16], p50[16], p99[16], max[16];
		const char *name = s->isa == ISA_VMM ? kvm_exit_name(names, s->reason, buf, sizeof(buf)) :
				   reason_name(names, s->isa, s->reason, buf, sizeof(buf));

		/* Sums whose samples the next interval counts (a torn read): no line of their own. */
		if (!s->h.count)
			continue;
		snprintf(label, sizeof(label), "%s%s", prefix, name);
		format_ns(avg, sizeof(avg), (double)s->h.sum_ns / s->h.count);
		format_percentile(p50, sizeof(p50), &s->h, 0.5);
		format_percentile(p99, sizeof(p99), &s->h, 0.99);
		format_ns(max, sizeof(max), s->h.max_ns);
		fprintf(out, "%14.6f %7u %5s %-20s %10llu %11.1f %8s %8s %8s %8s\n",
			sum->interval_end_ns / 1e9, pid, vcpu, label, (unsigned long long)s->h.count,
			secs > 0 ? s->h.count / secs : 0.0, avg, p50, p99, max);
	}
}

void print_interval_text(FILE *out, const struct summary *sum, const struct reason_table *names,
			   const struct print_opts *opts)
{
	/* Every counter of something lost, dropped or unpaired. */
	static const enum counter lost[] = {
		CNT_ENTRY_WITHOUT_EXIT, CNT_EXIT_OVERWRITTEN, CNT_HIST_FULL, CNT_HIST_ALLOC_FAILED,
		CNT_UEXIT_DROPPED, CNT_IO_DROPPED, CNT_VMM_DROPPED, CNT_SLOT_FAILED, CNT_VMM_UNTIMED,
		CNT_VMS_SEEN_FULL, CNT_MINMAX_CONTENDED, CNT_IO_UNTRACKED, CNT_HALT_DROPPED, CNT_OUTLIERS_LOST,
	};
	bool any = false;

	if (!sum->nr_vms)
		fprintf(out, "%14.6f %7s %5s %-20s %10d\n", sum->interval_end_ns / 1e9, "-", "",
			"(no exits)", 0);
	for (size_t i = 0; i < sum->nr_vms; i++) {
		const struct vm_summary *vm = &sum->vms[i];

		if (!opts->per_vcpu) {
			interval_rows(out, sum, vm->vm.pid, "", &vm->reasons, names, "");
			interval_rows(out, sum, vm->vm.pid, "", &vm->vmm, names, "vmm:");
			continue;
		}
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			char label[16];

			if (vm->vcpus[j].vcpu == VCPU_UNKNOWN)
				snprintf(label, sizeof(label), "?");
			else
				snprintf(label, sizeof(label), "%u", vm->vcpus[j].vcpu);
			interval_rows(out, sum, vm->vm.pid, label, &vm->vcpus[j].reasons, names, "");
			interval_rows(out, sum, vm->vm.pid, label, &vm->vcpus[j].vmm, names, "vmm:");
		}
	}
	/* Say what could not be counted in this interval, where it happened. */
	for (size_t i = 0; i < ARRAY_SIZE(lost); i++) {
		if (!sum->counters[lost[i]])
			continue;
		fprintf(out, "%s%s %llu", any ? ", " : "#   lost or unpaired in this interval: ",
			counter_names[lost[i]], (unsigned long long)sum->counters[lost[i]]);
		any = true;
	}
	if (any)
		fputc('\n', out);
	fflush(out);
}
