// SPDX-License-Identifier: GPL-2.0
/* Grouping and printing: the table, histograms and JSON. */
#define _GNU_SOURCE	/* strerrorname_np */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "report.h"

static struct reason_stats *reason_slot(struct reason_set *set, const struct hist_key *k)
{
	struct reason_stats *rows;

	for (size_t i = 0; i < set->nr; i++) {
		struct reason_stats *s = &set->rows[i];

		if (s->isa == k->isa && s->flags == k->flags && s->reason == k->reason)
			return s;
	}
	rows = realloc(set->rows, (set->nr + 1) * sizeof(*rows));
	if (!rows)
		return NULL;
	set->rows = rows;
	memset(&rows[set->nr], 0, sizeof(rows[0]));
	rows[set->nr].isa = k->isa;
	rows[set->nr].flags = k->flags;
	rows[set->nr].reason = k->reason;
	return &rows[set->nr++];
}

static struct vm_stats *vm_slot(struct report *r, __u32 pid, __u64 start)
{
	struct vm_stats *vms;

	for (size_t i = 0; i < r->nr_vms; i++)
		if (r->vms[i].pid == pid && r->vms[i].start == start)
			return &r->vms[i];
	vms = realloc(r->vms, (r->nr_vms + 1) * sizeof(*vms));
	if (!vms)
		return NULL;
	r->vms = vms;
	memset(&vms[r->nr_vms], 0, sizeof(vms[0]));
	vms[r->nr_vms].pid = pid;
	vms[r->nr_vms].start = start;
	return &vms[r->nr_vms++];
}

static struct vcpu_stats *vcpu_slot(struct vm_stats *vm, __u32 vcpu)
{
	struct vcpu_stats *v;

	for (size_t i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].vcpu == vcpu)
			return &vm->vcpus[i];
	v = realloc(vm->vcpus, (vm->nr_vcpus + 1) * sizeof(*v));
	if (!v)
		return NULL;
	vm->vcpus = v;
	memset(&v[vm->nr_vcpus], 0, sizeof(v[0]));
	v[vm->nr_vcpus].vcpu = vcpu;
	return &v[vm->nr_vcpus++];
}

struct vm_stats *report_add(struct report *r, const struct hist_key *key, const struct hist *h)
{
	struct vm_stats *vm = vm_slot(r, key->pid, key->vm_start);
	struct reason_stats *all, *one;
	struct vcpu_stats *vcpu;

	if (!vm || !(vcpu = vcpu_slot(vm, key->vcpu)))
		return NULL;
	if (key->isa == ISA_VMM) {
		all = reason_slot(&vm->vmm, key);
		one = all ? reason_slot(&vcpu->vmm, key) : NULL;
	} else {
		all = reason_slot(&vm->reasons, key);
		one = all ? reason_slot(&vcpu->reasons, key) : NULL;
	}
	if (!one)
		return NULL;
	hist_merge(&all->h, h);
	hist_merge(&one->h, h);
	return vm;
}

static struct uexit_row *uexit_slot(struct uexit_set *set, const struct uexit_key *k)
{
	struct uexit_row *rows;

	for (size_t i = 0; i < set->nr; i++)
		if (set->rows[i].reason == k->reason && set->rows[i].flags == k->flags)
			return &set->rows[i];
	rows = realloc(set->rows, (set->nr + 1) * sizeof(*rows));
	if (!rows)
		return NULL;
	set->rows = rows;
	rows[set->nr] = (struct uexit_row){ .reason = k->reason, .flags = k->flags };
	return &rows[set->nr++];
}

struct vm_stats *report_add_uexit(struct report *r, const struct uexit_key *key, __u64 count)
{
	struct vm_stats *vm = vm_slot(r, key->pid, key->vm_start);
	struct uexit_row *all, *one;
	struct vcpu_stats *vcpu;

	if (!vm || !(vcpu = vcpu_slot(vm, key->vcpu)))
		return NULL;
	all = uexit_slot(&vm->uexits, key);
	one = all ? uexit_slot(&vcpu->uexits, key) : NULL;
	if (!one)
		return NULL;
	all->count += count;
	one->count += count;
	return vm;
}

struct vm_stats *report_add_io(struct report *r, const struct io_key *key, const struct io_stats *st)
{
	struct vm_stats *vm = vm_slot(r, key->pid, key->vm_start);
	struct io_row *rows;

	if (!vm)
		return NULL;
	rows = realloc(vm->io.rows, (vm->io.nr + 1) * sizeof(*rows));
	if (!rows)
		return NULL;
	vm->io.rows = rows;
	rows[vm->io.nr++] = (struct io_row){ .key = *key, .stats = *st };
	return vm;
}

void report_free(struct report *r)
{
	for (size_t i = 0; i < r->nr_vms; i++) {
		struct vm_stats *vm = &r->vms[i];

		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			free(vm->vcpus[j].reasons.rows);
			free(vm->vcpus[j].uexits.rows);
			free(vm->vcpus[j].vmm.rows);
		}
		free(vm->vcpus);
		free(vm->reasons.rows);
		free(vm->uexits.rows);
		free(vm->vmm.rows);
		free(vm->io.rows);
	}
	free(r->vms);
	memset(r, 0, sizeof(*r));
}

void format_ns(char *buf, size_t len, double ns)
{
	static const struct { double scale; const char *unit; } units[] = {
		{ 1, "ns" }, { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" },
	};
	size_t i = 0;
	double v = ns;

	/* Pick the unit after rounding, so 999.6 ns is "1.00us", not "1000ns". */
	for (;;) {
		v = ns / units[i].scale;
		if (i + 1 == sizeof(units) / sizeof(units[0]) || v < 999.5)
			break;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0fns", v);
	else
		snprintf(buf, len, v >= 99.95 ? "%.0f%s" : v >= 9.995 ? "%.1f%s" : "%.2f%s", v,
			 units[i].unit);
}

/* ---- ordering ---------------------------------------------------------- */

static enum sort_key sort_by;

static double sort_value(const struct reason_stats *s)
{
	switch (sort_by) {
	case SORT_TIME:
		return s->h.sum_ns;
	case SORT_AVG:
		return s->h.count ? (double)s->h.sum_ns / s->h.count : 0;
	case SORT_MAX:
		return s->h.max_ns;
	case SORT_P99:
		return hist_percentile(&s->h, 0.99);
	case SORT_COUNT:
	default:
		return s->h.count;
	}
}

static int cmp_rows(const void *a, const void *b)
{
	const struct reason_stats *x = a, *y = b;
	double vx = sort_value(x), vy = sort_value(y);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	/* Stable, readable ties: by ISA, then code. */
	if (x->isa != y->isa)
		return x->isa - y->isa;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static int cmp_vcpus(const void *a, const void *b)
{
	const struct vcpu_stats *x = a, *y = b;

	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/* qsort with an empty array: its pointer may be NULL, which qsort may not take. */
static void sort_rows(void *rows, size_t nr, size_t size, int (*cmp)(const void *, const void *))
{
	if (nr > 1)
		qsort(rows, nr, size, cmp);
}

static void sort_set(struct reason_set *set, enum sort_key key)
{
	sort_by = key;
	sort_rows(set->rows, set->nr, sizeof(set->rows[0]), cmp_rows);
}

/* Returns with a KVM_EXIT reason first, by count; errno returns last. */
static int cmp_uexits(const void *a, const void *b)
{
	const struct uexit_row *x = a, *y = b;

	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static void sort_uexits(struct uexit_set *set)
{
	sort_rows(set->rows, set->nr, sizeof(set->rows[0]), cmp_uexits);
}

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

/* ---- text -------------------------------------------------------------- */

static const char *row_name(const struct reason_table *names, const struct reason_stats *s,
			    char *buf, size_t len)
{
	char unknown[32];
	const char *name = reason_name(names, s->isa, s->reason, unknown, sizeof(unknown));

	snprintf(buf, len, "%s%s", name, s->flags & HIST_FLAG_FAILED_VMENTRY ? " (failed entry)" : "");
	return buf;
}

static bool row_is_halt(const struct reason_table *names, const struct reason_stats *s)
{
	char unknown[32];

	return reason_is_halt(reason_name(names, s->isa, s->reason, unknown, sizeof(unknown)));
}

struct set_totals {
	struct hist all;
	__u64 time_no_halt;
};

static void set_totals(const struct reason_set *set, const struct reason_table *names,
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

static void print_latencies(FILE *out, const struct hist *h)
{
	const double values[] = {
		h->min_ns, (double)h->sum_ns / h->count, hist_percentile(h, 0.5),
		hist_percentile(h, 0.99), hist_percentile(h, 0.999), h->max_ns,
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		format_ns(buf, sizeof(buf), values[i]);
		fprintf(out, " %8s", buf);
	}
	fputc('\n', out);
}

static void print_table(FILE *out, const struct reason_set *set, const struct reason_table *names,
			const char *indent)
{
	struct set_totals t;
	char name[64];

	set_totals(set, names, &t);
	fprintf(out, "%s%-24s %10s %7s %7s %7s %8s %8s %8s %8s %8s %8s\n", indent, "REASON", "COUNT",
		"COUNT%", "TIME%", "NOHLT%", "MIN", "AVG", "P50", "P99", "P99.9", "MAX");
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_stats *s = &set->rows[i];

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

static bool hist_selected(const struct env *env, const char *name)
{
	return env->hist && (!strcasecmp(env->hist, "all") || !strcasecmp(env->hist, name));
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

static void print_hists(FILE *out, const struct reason_set *set, const struct reason_table *names,
			const struct env *env, const char *what)
{
	char name[64], title[160];

	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_stats *s = &set->rows[i];

		row_name(names, s, name, sizeof(name));
		if (!s->h.count || !hist_selected(env, name))
			continue;
		snprintf(title, sizeof(title), "%s, %s", name, what);
		print_hist(out, &s->h, title);
	}
}

/* Exits neither paired nor overwritten are still waiting for their entry. */
static __u64 exits_pending(const __u64 *c)
{
	__u64 done = c[CNT_PAIRED] + c[CNT_EXIT_OVERWRITTEN] + c[CNT_HIST_FULL] +
		     c[CNT_HIST_ALLOC_FAILED];

	return c[CNT_EXITS] > done ? c[CNT_EXITS] - done : 0;
}

static void print_counters(FILE *out, const struct report *r)
{
	const __u64 *c = r->counters;

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
		(unsigned long long)exits_pending(c));
	if (c[CNT_UEXIT_DROPPED] || c[CNT_VMM_DROPPED] || c[CNT_IO_DROPPED])
		fprintf(out, "Also dropped: %llu returns to userspace (their map was full, --max-keys), "
			"%llu VMM handling times (the histogram map and its reserve were full, or "
			"the kernel had no memory), %llu port/MMIO accesses (their map was full).\n",
			(unsigned long long)c[CNT_UEXIT_DROPPED], (unsigned long long)c[CNT_VMM_DROPPED],
			(unsigned long long)c[CNT_IO_DROPPED]);
}

/* --sort time orders by the VMM's handling time, anything else by count. */
static int cmp_io(const void *a, const void *b)
{
	const struct io_row *x = a, *y = b;
	__u64 vx = sort_by == SORT_TIME ? x->stats.handled_sum_ns : x->stats.count;
	__u64 vy = sort_by == SORT_TIME ? y->stats.handled_sum_ns : y->stats.count;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->key.kind != y->key.kind)
		return x->key.kind - y->key.kind;
	return x->key.addr < y->key.addr ? -1 : x->key.addr > y->key.addr;
}

static void sort_report(const struct report *r, const struct env *env)
{
	for (size_t i = 0; i < r->nr_vms; i++) {
		struct vm_stats *vm = &r->vms[i];

		sort_set(&vm->reasons, env->sort);
		sort_uexits(&vm->uexits);
		sort_rows(vm->io.rows, vm->io.nr, sizeof(vm->io.rows[0]), cmp_io);
		sort_rows(vm->vcpus, vm->nr_vcpus, sizeof(vm->vcpus[0]), cmp_vcpus);
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			sort_set(&vm->vcpus[j].reasons, env->sort);
			sort_uexits(&vm->vcpus[j].uexits);
		}
	}
}

/* The VMM's handling-time histogram for a KVM_EXIT reason, if any. */
static const struct hist *vmm_hist(const struct reason_set *vmm, const struct uexit_row *u)
{
	if (u->flags & UEXIT_FLAG_ERRNO)
		return NULL;
	for (size_t i = 0; i < vmm->nr; i++)
		if (vmm->rows[i].reason == u->reason && vmm->rows[i].h.count)
			return &vmm->rows[i].h;
	return NULL;
}

/*
 * The returns to the VMM with the VMM's handling time (until the thread's
 * next KVM_RUN), and for each kvm_exit reason how many of its exits went
 * on to userspace (IO handled by QEMU, not an ioeventfd).
 */
static void print_uexits(FILE *out, const struct uexit_set *set, const struct reason_set *vmm,
			 const struct reason_set *exits, const struct reason_table *names,
			 const char *indent, const char *vmm_interval)
{
	char name[64];
	__u64 total = 0;
	bool any = false;

	if (!set->nr)
		return;
	fprintf(out, "\n%sReturns to userspace, and the VMM's handling time until the next KVM_RUN "
		"(%s):\n", indent, vmm_interval);
	fprintf(out, "%s%-24s %10s %10s %8s %8s %8s %8s %8s %8s\n", indent, "KVM_EXIT", "COUNT",
		"HANDLED", "MIN", "AVG", "P50", "P99", "P99.9", "MAX");
	for (size_t i = 0; i < set->nr; i++) {
		const struct hist *h = vmm_hist(vmm, &set->rows[i]);

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
		const struct reason_stats *s = &exits->rows[i];

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


static void vcpu_label(char *buf, size_t len, __u32 vcpu)
{
	if (vcpu == VCPU_UNKNOWN)
		snprintf(buf, len, "vCPU ?");
	else
		snprintf(buf, len, "vCPU %u", vcpu);
}

static void print_io(FILE *out, const struct io_set *set, unsigned int kind)
{
	char lo[16], avg[16], hi[16];
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
		fprintf(out, kind == IO_KIND_PIO ? "0x%-16llx" : "0x%-16llx", (unsigned long long)io->key.addr);
		fprintf(out, " %-5s %4u %10llu %10llu %10llu", io->key.dir == IO_DIR_WRITE ? "write" : "read",
			io->key.size, (unsigned long long)st->count, (unsigned long long)st->to_userspace,
			(unsigned long long)st->handled);
		if (st->handled) {
			format_ns(lo, sizeof(lo), st->handled_min_ns);
			format_ns(avg, sizeof(avg), (double)st->handled_sum_ns / st->handled);
			format_ns(hi, sizeof(hi), st->handled_max_ns);
			fprintf(out, " %8s %8s %8s", lo, avg, hi);
		}
		fputc('\n', out);
	}
}

/* What the VMM handling time runs between, for each --vmm-time mechanism. */
static const char *vmm_interval(const char *source)
{
	if (source && !strcmp(source, "usdt"))
		return "QEMU's USDT qemu:kvm_run_exit to qemu:kvm_vcpu_ioctl(KVM_RUN)";
	if (source && !strcmp(source, "syscall"))
		return "kvm_userspace_exit to syscalls:sys_enter_ioctl(KVM_RUN)";
	return "kvm_userspace_exit to kvm_fpu load, so with KVM_RUN's re-entry";
}

static bool pid_reused(const struct report *r, const struct vm_stats *vm)
{
	for (size_t i = 0; i < r->nr_vms; i++)
		if (r->vms[i].pid == vm->pid && &r->vms[i] != vm)
			return true;
	return false;
}

void report_print(FILE *out, const struct report *r, const struct reason_table *names,
		  const struct env *env)
{
	const char *interval = vmm_interval(r->vmm_time_source);
	char dur[32];

	sort_report(r, env);
	format_ns(dur, sizeof(dur), r->duration_ns);
	if (!r->nr_vms)
		fprintf(out, "No VM exits recorded in %s.\n", dur);
	for (size_t i = 0; i < r->nr_vms; i++) {
		const struct vm_stats *vm = &r->vms[i];
		char what[64], started[48] = "";

		/* Processes that had the same pid one after the other: say which is which. */
		if (pid_reused(r, vm))
			snprintf(started, sizeof(started), ", started %.2fs after boot",
				 (double)vm->start / sysconf(_SC_CLK_TCK));
		fprintf(out, "%sVM pid %u (%s%s)%s: %zu vCPU%s, %s\n\n", i ? "\n" : "", vm->pid, vm->name,
			started, vm->exited ? " [exited during the run]" : "", vm->nr_vcpus,
			vm->nr_vcpus == 1 ? "" : "s", dur);
		if (vm->reasons.nr)
			print_table(out, &vm->reasons, names, "");
		else if (r->no_kvm_exit)
			fprintf(out, "No exit-to-entry latencies: kvm:kvm_exit never fired on this host.\n");
		snprintf(what, sizeof(what), "VM pid %u", vm->pid);
		print_hists(out, &vm->reasons, names, env, what);
		print_uexits(out, &vm->uexits, &vm->vmm, &vm->reasons, names, "", interval);
		if (env->ports)
			print_io(out, &vm->io, IO_KIND_PIO);
		if (env->mmio)
			print_io(out, &vm->io, IO_KIND_MMIO);
		if (!env->per_vcpu)
			continue;
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			const struct vcpu_stats *v = &vm->vcpus[j];
			char label[32];

			vcpu_label(label, sizeof(label), v->vcpu);
			fprintf(out, "\n  %s\n", label);
			if (v->reasons.nr)
				print_table(out, &v->reasons, names, "  ");
			snprintf(what, sizeof(what), "VM pid %u %s", vm->pid, label);
			print_hists(out, &v->reasons, names, env, what);
			print_uexits(out, &v->uexits, &v->vmm, &v->reasons, names, "  ", interval);
		}
	}
	fprintf(out,
		"\nExit-to-entry time includes in-kernel handling, trips to the VMM in userspace, "
		"preemption, and for HLT the time the vCPU sat halted; NOHLT%% leaves HLT out.\n");
	print_counters(out, r);
}

/* ---- JSON -------------------------------------------------------------- */

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_reasons(FILE *out, const struct reason_set *set, const struct reason_table *names)
{
	bool first = true;

	fputc('[', out);
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_stats *s = &set->rows[i];
		char unknown[32];
		const struct hist *h = &s->h;

		if (!h->count)
			continue;
		fprintf(out, "%s{\"isa\":\"%s\",\"code\":%u,\"name\":", first ? "" : ",",
			s->isa == ISA_SVM ? "svm" : "vmx", s->reason);
		json_string(out, reason_name(names, s->isa, s->reason, unknown, sizeof(unknown)));
		fprintf(out,
			",\"failed_vmentry\":%s,\"count\":%llu,\"to_userspace\":%llu,\"total_ns\":%llu,\"min_ns\":%llu,"
			"\"avg_ns\":%llu,\"p50_ns\":%llu,\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu}",
			s->flags & HIST_FLAG_FAILED_VMENTRY ? "true" : "false",
			(unsigned long long)h->count, (unsigned long long)h->to_userspace,
			(unsigned long long)h->sum_ns,
			(unsigned long long)h->min_ns, (unsigned long long)(h->sum_ns / h->count),
			(unsigned long long)hist_percentile(h, 0.5),
			(unsigned long long)hist_percentile(h, 0.99),
			(unsigned long long)hist_percentile(h, 0.999), (unsigned long long)h->max_ns);
		first = false;
	}
	fputc(']', out);
}

/* "userspace":[{"reason":"IO","code":2,"count":N}],"userspace_errors":[{"errno":4,"name":"EINTR","count":N}] */
static void json_latencies(FILE *out, const struct hist *h)
{
	fprintf(out,
		"{\"count\":%llu,\"total_ns\":%llu,\"min_ns\":%llu,\"avg_ns\":%llu,\"p50_ns\":%llu,"
		"\"p99_ns\":%llu,\"p999_ns\":%llu,\"max_ns\":%llu}",
		(unsigned long long)h->count, (unsigned long long)h->sum_ns,
		(unsigned long long)h->min_ns, (unsigned long long)(h->sum_ns / h->count),
		(unsigned long long)hist_percentile(h, 0.5), (unsigned long long)hist_percentile(h, 0.99),
		(unsigned long long)hist_percentile(h, 0.999), (unsigned long long)h->max_ns);
}

static void json_uexits(FILE *out, const struct uexit_set *set, const struct reason_set *vmm,
			const struct reason_table *names)
{
	char buf[64];

	for (int errors = 0; errors < 2; errors++) {
		bool first = true;

		fprintf(out, errors ? ",\"userspace_errors\":[" : ",\"userspace\":[");
		for (size_t i = 0; i < set->nr; i++) {
			const struct uexit_row *u = &set->rows[i];
			const char *e;

			if (!(u->flags & UEXIT_FLAG_ERRNO) != !errors)
				continue;
			fputs(first ? "{" : ",{", out);
			first = false;
			if (errors) {
				e = strerrorname_np(u->reason);
				fprintf(out, "\"errno\":%u,\"name\":", u->reason);
				json_string(out, e ? e : "?");
			} else {
				fprintf(out, "\"code\":%u,\"reason\":", u->reason);
				json_string(out, kvm_exit_name(names, u->reason, buf, sizeof(buf)));
			}
			fprintf(out, ",\"count\":%llu", (unsigned long long)u->count);
			if (!errors) {
				const struct hist *h = vmm_hist(vmm, u);

				fputs(",\"handling\":", out);
				if (h)
					json_latencies(out, h);
				else
					fputs("null", out);
			}
			fputc('}', out);
		}
		fputc(']', out);
	}
}

void report_print_json(FILE *out, const struct report *r, const struct reason_table *names,
		       const struct env *env)
{
	static const char *const counter_names[NR_COUNTERS] = COUNTER_NAMES;


	sort_report(r, env);
	if (r->interval_index)
		fprintf(out, "{\"type\":\"interval\",\"interval\":%llu,\"start_ns\":%llu,\"end_ns\":%llu,",
			(unsigned long long)r->interval_index,
			(unsigned long long)r->interval_start_ns,
			(unsigned long long)r->interval_end_ns);
	else
		fprintf(out, "{\"type\":\"total\",");
	fprintf(out, "\"version\":1,\"duration_ns\":%llu,\"kvm_exit_fired\":%s,"
		"\"vmm_time_source\":\"%s\",\"counters\":{",
		(unsigned long long)r->duration_ns, r->no_kvm_exit ? "false" : "true",
		r->vmm_time_source ? r->vmm_time_source : "none");
	for (int c = 0; c < NR_COUNTERS; c++)
		fprintf(out, "\"%s\":%llu,", counter_names[c], (unsigned long long)r->counters[c]);
	/* A state at the end of the run, not a count: an interval has none. */
	if (r->interval_index)
		fprintf(out, "\"exits_pending\":null},\"vms\":[");
	else
		fprintf(out, "\"exits_pending\":%llu},\"vms\":[",
			(unsigned long long)exits_pending(r->counters));
	for (size_t i = 0; i < r->nr_vms; i++) {
		const struct vm_stats *vm = &r->vms[i];

		fprintf(out, "%s{\"pid\":%u,\"start_ticks\":%llu,\"name\":", i ? "," : "", vm->pid,
			(unsigned long long)vm->start);
		json_string(out, vm->name);
		fprintf(out, ",\"exited\":%s,\"reasons\":", vm->exited ? "true" : "false");
		json_reasons(out, &vm->reasons, names);
		json_uexits(out, &vm->uexits, &vm->vmm, names);
		for (unsigned int kind = IO_KIND_PIO; kind <= IO_KIND_MMIO; kind++) {
			bool first = true;

			if (!(kind == IO_KIND_PIO ? env->ports : env->mmio))
				continue;
			fprintf(out, kind == IO_KIND_PIO ? ",\"ports\":[" : ",\"mmio\":[");
			for (size_t j = 0; j < vm->io.nr; j++) {
				const struct io_row *io = &vm->io.rows[j];
				const struct io_stats *st = &io->stats;

				if (io->key.kind != kind)
					continue;
				fprintf(out,
					"%s{\"%s\":%llu,\"dir\":\"%s\",\"size\":%u,\"count\":%llu,"
					"\"to_userspace\":%llu,\"handled\":%llu,\"handled_total_ns\":%llu,"
					"\"handled_min_ns\":%llu,\"handled_max_ns\":%llu}",
					first ? "" : ",", kind == IO_KIND_PIO ? "port" : "gpa_page",
					(unsigned long long)io->key.addr,
					io->key.dir == IO_DIR_WRITE ? "write" : "read", io->key.size,
					(unsigned long long)st->count, (unsigned long long)st->to_userspace,
					(unsigned long long)st->handled, (unsigned long long)st->handled_sum_ns,
					(unsigned long long)st->handled_min_ns,
					(unsigned long long)st->handled_max_ns);
				first = false;
			}
			fputc(']', out);
		}
		if (env->per_vcpu) {
			fprintf(out, ",\"vcpus\":[");
			for (size_t j = 0; j < vm->nr_vcpus; j++) {
				const struct vcpu_stats *v = &vm->vcpus[j];

				if (v->vcpu == VCPU_UNKNOWN)
					fprintf(out, "%s{\"vcpu\":null,\"reasons\":", j ? "," : "");
				else
					fprintf(out, "%s{\"vcpu\":%u,\"reasons\":", j ? "," : "", v->vcpu);
				json_reasons(out, &v->reasons, names);
				json_uexits(out, &v->uexits, &v->vmm, names);
				fputc('}', out);
			}
			fputc(']', out);
		}
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}

/* ---- -I: a line per VM and reason, each interval ------------------------- */

void report_print_interval_header(FILE *out, const struct env *env)
{
	fprintf(out, "#%13s %7s %5s %-20s %10s %11s %8s %8s %8s %8s\n", "time", "pid",
		env->per_vcpu ? "vcpu" : "", "reason", "count", "rate/s", "avg", "p50", "p99", "max");
}

static void interval_rows(FILE *out, const struct report *r, __u32 pid, const char *vcpu,
			  const struct reason_set *set, const struct reason_table *names,
			  const char *prefix)
{
	double secs = (r->interval_end_ns - r->interval_start_ns) / 1e9;

	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_stats *s = &set->rows[i];
		char buf[64], label[80], avg[16], p50[16], p99[16], max[16];
		const char *name = s->isa == ISA_VMM ? kvm_exit_name(names, s->reason, buf, sizeof(buf)) :
				   reason_name(names, s->isa, s->reason, buf, sizeof(buf));

		snprintf(label, sizeof(label), "%s%s", prefix, name);
		format_ns(avg, sizeof(avg), (double)s->h.sum_ns / s->h.count);
		format_ns(p50, sizeof(p50), hist_percentile(&s->h, 0.5));
		format_ns(p99, sizeof(p99), hist_percentile(&s->h, 0.99));
		format_ns(max, sizeof(max), s->h.max_ns);
		fprintf(out, "%14.6f %7u %5s %-20s %10llu %11.1f %8s %8s %8s %8s\n",
			r->interval_end_ns / 1e9, pid, vcpu, label, (unsigned long long)s->h.count,
			secs > 0 ? s->h.count / secs : 0.0, avg, p50, p99, max);
	}
}

void report_print_interval(FILE *out, const struct report *r, const struct reason_table *names,
			   const struct env *env)
{
	static const enum counter lost[] = {
		CNT_EXIT_OVERWRITTEN, CNT_HIST_FULL, CNT_HIST_ALLOC_FAILED, CNT_UEXIT_DROPPED,
		CNT_IO_DROPPED,
	};
	static const char *const counter_names[NR_COUNTERS] = COUNTER_NAMES;
	bool any = false;

	sort_report(r, env);
	if (!r->nr_vms)
		fprintf(out, "%14.6f %7s %5s %-20s %10d\n", r->interval_end_ns / 1e9, "-", "",
			"(no exits)", 0);
	for (size_t i = 0; i < r->nr_vms; i++) {
		const struct vm_stats *vm = &r->vms[i];

		if (!env->per_vcpu) {
			interval_rows(out, r, vm->pid, "", &vm->reasons, names, "");
			interval_rows(out, r, vm->pid, "", &vm->vmm, names, "vmm:");
			continue;
		}
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			char label[16];

			if (vm->vcpus[j].vcpu == VCPU_UNKNOWN)
				snprintf(label, sizeof(label), "?");
			else
				snprintf(label, sizeof(label), "%u", vm->vcpus[j].vcpu);
			interval_rows(out, r, vm->pid, label, &vm->vcpus[j].reasons, names, "");
			interval_rows(out, r, vm->pid, label, &vm->vcpus[j].vmm, names, "vmm:");
		}
	}
	/* Say what could not be counted in this interval, where it happened. */
	for (size_t i = 0; i < sizeof(lost) / sizeof(lost[0]); i++) {
		if (!r->counters[lost[i]])
			continue;
		fprintf(out, "%s%s %llu", any ? ", " : "#   lost or unpaired in this interval: ",
			counter_names[lost[i]], (unsigned long long)r->counters[lost[i]]);
		any = true;
	}
	if (any)
		fputc('\n', out);
	fflush(out);
}
