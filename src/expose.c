// SPDX-License-Identifier: GPL-2.0
/*
 * A run's cumulative state in Prometheus' text exposition format 0.0.4
 * (include/expose.h). Each family's samples are written together after
 * its HELP and TYPE; times are seconds, written exactly from integer
 * nanoseconds (no float rounding); counters are the run's cumulative
 * fields, which only grow.
 */
#define _GNU_SOURCE	/* strerrorname_np */
#include <stdlib.h>
#include <string.h>

#include "expose.h"
#include "hist.h"
#include "util.h"

_Static_assert(HIST_SUB % EXPOSE_LE_PER_OCTAVE == 0 && EXPOSE_LE_MIN_SHIFT >= HIST_MIN_SHIFT,
	       "each le bound must be a bucket edge of hist.h");

__u32 expose_le_bucket(unsigned int i)
{
	/* Octave k's bounds are at 2^k (1 + j/4): hist.h's sub-buckets 0, 4, 8 and 12 of it. */
	return 1 + (EXPOSE_LE_MIN_SHIFT - HIST_MIN_SHIFT) * HIST_SUB + i * (HIST_SUB / EXPOSE_LE_PER_OCTAVE);
}

/*
 * What each counter of the BPF side is: an event counted, or a loss
 * (something dropped, unpaired or not timed). Every counter must be one
 * or the other: tests/unit/test_expose.c checks that none is left out.
 */
enum counter_family { COUNTER_UNSET, COUNTER_EVENT, COUNTER_LOSS };

static const enum counter_family counter_families[NR_COUNTERS] = {
	[CNT_EXITS] = COUNTER_EVENT,
	[CNT_ENTRIES] = COUNTER_EVENT,
	[CNT_PAIRED] = COUNTER_EVENT,
	[CNT_USERSPACE_EXITS] = COUNTER_EVENT,
	[CNT_VMM_PAIRED] = COUNTER_EVENT,
	[CNT_ENTRY_WITHOUT_EXIT] = COUNTER_LOSS,
	[CNT_EXIT_OVERWRITTEN] = COUNTER_LOSS,
	[CNT_HIST_FULL] = COUNTER_LOSS,
	[CNT_HIST_ALLOC_FAILED] = COUNTER_LOSS,
	[CNT_UEXIT_DROPPED] = COUNTER_LOSS,
	[CNT_IO_DROPPED] = COUNTER_LOSS,
	[CNT_VMM_DROPPED] = COUNTER_LOSS,
	[CNT_SLOT_FAILED] = COUNTER_LOSS,
	[CNT_VMM_UNTIMED] = COUNTER_LOSS,
	[CNT_VMS_SEEN_FULL] = COUNTER_LOSS,
	[CNT_MINMAX_CONTENDED] = COUNTER_LOSS,
	[CNT_IO_UNTRACKED] = COUNTER_LOSS,
	[CNT_HALT_DROPPED] = COUNTER_LOSS,
	[CNT_OUTLIERS] = COUNTER_EVENT,
	[CNT_OUTLIERS_LOST] = COUNTER_LOSS,
};

static void family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants: backslash, double quote and newline. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* ',name="value"' (no comma before the first label of a set: first). */
static void put_label(FILE *out, bool first, const char *name, const char *value)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	put_escaped(out, value);
	fputc('"', out);
}

/* Nanoseconds as seconds, exactly: "0.000001023", "12.5", "0". */
static void put_seconds(FILE *out, __u64 ns)
{
	char frac[16];
	int n = snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(ns % 1000000000));

	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = 0;
	fprintf(out, "%llu%s%s", (unsigned long long)(ns / 1000000000), n ? "." : "", frac);
}

/*
 * The labels of one VM, or of one of its vCPUs: what every per-VM series
 * starts with. start_ticks (the process's start, as in the JSON) makes a
 * later process on the same pid another series; uuid only when QEMU has one.
 */
struct scope {
	char labels[768];
	const struct reason_rows *reasons, *vmm;
	const struct uexit_rows *uexits;
};

static void scope_labels(struct scope *sc, const struct run_vm *vm, const struct vcpu_summary *vcpu)
{
	char num[24];
	size_t len = 0;
	FILE *f = fmemopen(sc->labels, sizeof(sc->labels), "w");

	if (!f) {
		sc->labels[0] = 0;
		return;
	}
	put_label(f, true, "vm", vm->name);
	snprintf(num, sizeof(num), "%u", vm->pid);
	put_label(f, false, "pid", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)vm->start);
	put_label(f, false, "start_ticks", num);
	if (vm->uuid[0])
		put_label(f, false, "uuid", vm->uuid);
	if (vcpu && vcpu->vcpu != VCPU_UNKNOWN) {
		snprintf(num, sizeof(num), "%u", vcpu->vcpu);
		put_label(f, false, "vcpu", num);
	}
	len = ftell(f);
	fclose(f);
	/* A name is at most 127 bytes, doubled by escaping: the labels fit. */
	sc->labels[len < sizeof(sc->labels) ? len : sizeof(sc->labels) - 1] = 0;
}

/* One scope per VM, or per vCPU with --per-vcpu (then no per-VM sums: they would count twice). */
static struct scope *scopes_of(const struct summary *sum, bool per_vcpu, size_t *nr)
{
	struct scope *scopes = NULL, *sc;

	*nr = 0;
	for (size_t i = 0; i < sum->nr_vms; i++) {
		const struct vm_summary *vm = &sum->vms[i];

		for (size_t j = 0; j < (per_vcpu ? vm->nr_vcpus : 1); j++) {
			const struct vcpu_summary *v = per_vcpu ? &vm->vcpus[j] : NULL;

			sc = array_append(&scopes, nr, sizeof(*sc));
			if (!sc)
				return scopes;	/* out of memory: what fits is shown */
			scope_labels(sc, &vm->vm, v);
			sc->reasons = v ? &v->reasons : &vm->reasons;
			sc->vmm = v ? &v->vmm : &vm->vmm;
			sc->uexits = v ? &v->uexits : &vm->uexits;
		}
	}
	return scopes;
}

/* {scope's labels,isa="svm",reason="npf"} */
static void put_reason_labels(FILE *out, const struct scope *sc, const struct reason_row *r,
			      const struct reason_table *names)
{
	char unknown[32], name[96];

	snprintf(name, sizeof(name), "%s%s", reason_name(names, r->isa, r->reason, unknown, sizeof(unknown)),
		 r->flags & HIST_FLAG_FAILED_VMENTRY ? " (failed entry)" : "");
	fprintf(out, "{%s", sc->labels);
	put_label(out, false, "isa", reason_isa_name(r->isa));
	put_label(out, false, "reason", name);
}

static void put_kvm_exit_labels(FILE *out, const struct scope *sc, __u32 reason,
				const struct reason_table *names)
{
	char buf[64];

	fprintf(out, "{%s", sc->labels);
	put_label(out, false, "kvm_exit", kvm_exit_name(names, reason, buf, sizeof(buf)));
}

/*
 * A histogram's samples; the caller has written "{labels" for each line
 * through put_open(ctx). Buckets are cumulative counts of the samples
 * below each bound, summed from hist.h's buckets: exact, never
 * interpolated. A bound is a bucket edge less 1 ns, since samples are
 * whole nanoseconds and `le` includes its bound.
 */
static void put_histogram(FILE *out, const char *name, const struct hist *h,
			  void (*put_open)(FILE *out, const void *ctx), const void *ctx)
{
	__u64 below = 0;
	__u32 b = 0;

	for (unsigned int i = 0; i < EXPOSE_NR_LE; i++) {
		__u32 edge = expose_le_bucket(i);

		for (; b < edge; b++)
			below += h->buckets[b];
		fprintf(out, "%s_bucket", name);
		put_open(out, ctx);
		fputs(",le=\"", out);
		put_seconds(out, hist_bucket_lower(edge) - 1);
		fprintf(out, "\"} %llu\n", (unsigned long long)below);
	}
	fprintf(out, "%s_bucket", name);
	put_open(out, ctx);
	fprintf(out, ",le=\"+Inf\"} %llu\n%s_sum", (unsigned long long)h->count, name);
	put_open(out, ctx);
	fputs("} ", out);
	put_seconds(out, h->sum_ns);
	fprintf(out, "\n%s_count", name);
	put_open(out, ctx);
	fprintf(out, "} %llu\n", (unsigned long long)h->count);
}

struct row_ctx {
	const struct scope *sc;
	const struct reason_row *row;
	const struct reason_table *names;
};

static void open_reason(FILE *out, const void *ctx)
{
	const struct row_ctx *c = ctx;

	put_reason_labels(out, c->sc, c->row, c->names);
}

static void open_vmm(FILE *out, const void *ctx)
{
	const struct row_ctx *c = ctx;

	put_kvm_exit_labels(out, c->sc, c->row->reason, c->names);
}

static void exit_families(FILE *out, const struct scope *scopes, size_t nr,
			  const struct reason_table *names)
{
	static const char *const names_[] = { "vmexitprof_exits_total", "vmexitprof_exits_to_userspace_total" };
	static const char *const helps[] = {
		"KVM exits (kvm:kvm_exit) whose guest entry was seen, per exit reason.",
		"Of vmexitprof_exits_total, those that went on to the VMM in userspace.",
	};

	for (int which = 0; which < 2; which++) {
		family(out, names_[which], "counter", helps[which]);
		for (size_t i = 0; i < nr; i++) {
			for (size_t j = 0; j < scopes[i].reasons->nr; j++) {
				const struct reason_row *r = &scopes[i].reasons->rows[j];

				fputs(names_[which], out);
				put_reason_labels(out, &scopes[i], r, names);
				fprintf(out, "} %llu\n", (unsigned long long)(which ? r->h.to_userspace : r->h.count));
			}
		}
	}
	family(out, "vmexitprof_exit_latency_seconds", "histogram",
	       "Time from a KVM exit to the vCPU's next guest entry, per exit reason.");
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < scopes[i].reasons->nr; j++) {
			struct row_ctx c = { &scopes[i], &scopes[i].reasons->rows[j], names };

			put_histogram(out, "vmexitprof_exit_latency_seconds", &c.row->h, open_reason, &c);
		}
	}
}

static void userspace_families(FILE *out, const struct scope *scopes, size_t nr,
			       const struct reason_table *names)
{
	family(out, "vmexitprof_userspace_exits_total", "counter",
	       "Returns of KVM_RUN to the VMM (kvm:kvm_userspace_exit), per KVM_EXIT reason.");
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < scopes[i].uexits->nr; j++) {
			const struct uexit_row *u = &scopes[i].uexits->rows[j];

			if (u->flags & UEXIT_FLAG_ERRNO)
				continue;
			fputs("vmexitprof_userspace_exits_total", out);
			put_kvm_exit_labels(out, &scopes[i], u->reason, names);
			fprintf(out, "} %llu\n", (unsigned long long)u->count);
		}
	}
	family(out, "vmexitprof_userspace_errors_total", "counter",
	       "Returns of KVM_RUN to the VMM with an error (EINTR and the like), per errno.");
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < scopes[i].uexits->nr; j++) {
			const struct uexit_row *u = &scopes[i].uexits->rows[j];
			const char *e = strerrorname_np(u->reason);

			if (!(u->flags & UEXIT_FLAG_ERRNO))
				continue;
			fprintf(out, "vmexitprof_userspace_errors_total{%s", scopes[i].labels);
			put_label(out, false, "errno", e ? e : "?");
			fprintf(out, "} %llu\n", (unsigned long long)u->count);
		}
	}
	family(out, "vmexitprof_vmm_handling_seconds", "histogram",
	       "Time the VMM took from a return to userspace to the vCPU's next KVM_RUN, per KVM_EXIT "
	       "reason.");
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < scopes[i].vmm->nr; j++) {
			struct row_ctx c = { &scopes[i], &scopes[i].vmm->rows[j], names };

			put_histogram(out, "vmexitprof_vmm_handling_seconds", &c.row->h, open_vmm, &c);
		}
	}
}

/*
 * --ports, --mmio, --msr and --cpuid rows: per VM (not per vCPU) and row.
 * Each kind has its families (counters of one io_stats field, then a
 * summary of the handling or exit time) and its address labels.
 */
enum io_value { IO_COUNT, IO_TO_USERSPACE, IO_FAULTS, IO_TIME };

struct io_family {
	const char *name;
	enum io_value value;		/* IO_TIME: a summary of handled_sum_ns over handled */
	const char *help;
};

#define IO_ROW_HELP(row) ", per VM, " row
#define PORT_ROW "port, direction and size"
#define MMIO_ROW "guest-physical page, direction and size"
#define MSR_ROW "MSR and direction"
#define CPUID_ROW "leaf and subleaf"

static const struct io_family io_kind_families[][3] = {
	[IO_KIND_PIO] = {
		{ "vmexitprof_port_accesses_total", IO_COUNT,
		  "Port I/O accesses (kvm:kvm_pio)" IO_ROW_HELP(PORT_ROW) "." },
		{ "vmexitprof_port_accesses_to_userspace_total", IO_TO_USERSPACE,
		  "Of those Port I/O accesses (kvm:kvm_pio), the ones handed to the VMM" IO_ROW_HELP(PORT_ROW) "." },
		{ "vmexitprof_port_handling_seconds", IO_TIME,
		  "The VMM's handling time of Port I/O accesses (kvm:kvm_pio) that went to it"
		  IO_ROW_HELP(PORT_ROW) "; _count counts those whose next KVM_RUN was seen." },
	},
	[IO_KIND_MMIO] = {
		{ "vmexitprof_mmio_accesses_total", IO_COUNT,
		  "MMIO accesses (kvm:kvm_mmio)" IO_ROW_HELP(MMIO_ROW) "." },
		{ "vmexitprof_mmio_accesses_to_userspace_total", IO_TO_USERSPACE,
		  "Of those MMIO accesses (kvm:kvm_mmio), the ones handed to the VMM" IO_ROW_HELP(MMIO_ROW) "." },
		{ "vmexitprof_mmio_handling_seconds", IO_TIME,
		  "The VMM's handling time of MMIO accesses (kvm:kvm_mmio) that went to it"
		  IO_ROW_HELP(MMIO_ROW) "; _count counts those whose next KVM_RUN was seen." },
	},
	[IO_KIND_MSR] = {
		{ "vmexitprof_msr_accesses_total", IO_COUNT,
		  "MSR accesses (kvm:kvm_msr)" IO_ROW_HELP(MSR_ROW) "." },
		{ "vmexitprof_msr_faults_total", IO_FAULTS,
		  "MSR accesses that raised #GP" IO_ROW_HELP(MSR_ROW) "." },
		{ "vmexitprof_msr_exit_seconds", IO_TIME,
		  "Exit-to-entry time of the exits of those MSR accesses" IO_ROW_HELP(MSR_ROW)
		  "; _count counts the exits timed." },
	},
	[IO_KIND_CPUID] = {
		{ "vmexitprof_cpuid_accesses_total", IO_COUNT,
		  "CPUIDs (kvm:kvm_cpuid)" IO_ROW_HELP(CPUID_ROW) "." },
		{ "vmexitprof_cpuid_exit_seconds", IO_TIME,
		  "Exit-to-entry time of the exits of those CPUIDs" IO_ROW_HELP(CPUID_ROW)
		  "; _count counts the exits timed." },
	},
};

/* A row's labels after its VM's: what it is an access to. */
static void put_io_row_labels(FILE *out, const struct io_key *key)
{
	const char *dir = key->dir == IO_DIR_WRITE ? "write" : "read";
	char a[24], b[24];

	switch (key->kind) {
	case IO_KIND_PIO:
	case IO_KIND_MMIO:
		snprintf(a, sizeof(a), "0x%llx", (unsigned long long)key->addr);
		snprintf(b, sizeof(b), "%u", key->size);
		put_label(out, false, key->kind == IO_KIND_PIO ? "port" : "gpa_page", a);
		put_label(out, false, "dir", dir);
		put_label(out, false, "size", b);
		break;
	case IO_KIND_MSR:
		snprintf(a, sizeof(a), "0x%llx", (unsigned long long)key->addr);
		put_label(out, false, "msr", a);
		put_label(out, false, "dir", dir);
		break;
	case IO_KIND_CPUID:
		snprintf(a, sizeof(a), "0x%llx", (unsigned long long)(key->addr >> 32));
		snprintf(b, sizeof(b), "0x%llx", (unsigned long long)(key->addr & 0xffffffff));
		put_label(out, false, "leaf", a);
		put_label(out, false, "subleaf", b);
		break;
	}
}

static __u64 io_counter(const struct io_stats *st, enum io_value value)
{
	return value == IO_COUNT ? st->count : value == IO_TO_USERSPACE ? st->to_userspace : st->faults;
}

static void io_families(FILE *out, const struct summary *sum, unsigned int kind)
{
	for (int f = 0; f < 3 && io_kind_families[kind][f].name; f++) {
		const struct io_family *fam = &io_kind_families[kind][f];

		family(out, fam->name, fam->value == IO_TIME ? "summary" : "counter", fam->help);
		for (size_t i = 0; i < sum->nr_vms; i++) {
			const struct vm_summary *vm = &sum->vms[i];
			struct scope sc;

			scope_labels(&sc, &vm->vm, NULL);
			for (size_t j = 0; j < vm->io.nr; j++) {
				const struct io_row *io = &vm->io.rows[j];
				char labels[1024];
				FILE *l;

				if (io->key.kind != kind)
					continue;
				l = fmemopen(labels, sizeof(labels), "w");
				if (!l)
					continue;
				fputs(sc.labels, l);
				put_io_row_labels(l, &io->key);
				fputc(0, l);
				fclose(l);
				if (fam->value != IO_TIME) {
					fprintf(out, "%s{%s} %llu\n", fam->name, labels,
						(unsigned long long)io_counter(&io->stats, fam->value));
					continue;
				}
				fprintf(out, "%s_sum{%s} ", fam->name, labels);
				put_seconds(out, io->stats.handled_sum_ns);
				fprintf(out, "\n%s_count{%s} %llu\n", fam->name, labels,
					(unsigned long long)io->stats.handled);
			}
		}
	}
}

static void process_families(FILE *out, const struct summary *sum, const struct expose_opts *opts)
{
	family(out, "vmexitprof_build_info", "gauge",
	       "Always 1: the version, how the kvm tracepoints are attached, and what ends the VMM "
	       "handling time.");
	fputs("vmexitprof_build_info{", out);
	put_label(out, true, "version", opts->version);
	put_label(out, false, "attach", opts->attach);
	put_label(out, false, "vmm_time", opts->vmm_time ? opts->vmm_time : "none");
	fputs("} 1\n", out);
	family(out, "vmexitprof_kvm_exit_fired", "gauge",
	       "0 when guests returned to userspace but kvm:kvm_exit never fired (a KVM such as PVM "
	       "that does not emit it), else 1.");
	fprintf(out, "vmexitprof_kvm_exit_fired %d\n", sum->kvm_exit_fired);
	for (int loss = 0; loss < 2; loss++) {
		const char *name = loss ? "vmexitprof_events_lost_total" : "vmexitprof_events_total";

		family(out, name, "counter", loss ?
		       "Events lost, unpaired or not timed, per kind (the JSON report's counters of that name)." :
		       "Events seen, all VMs together, per kind (the JSON report's counters of that name).");
		for (int c = 0; c < NR_COUNTERS; c++) {
			if ((counter_families[c] == COUNTER_LOSS) != loss || counter_families[c] == COUNTER_UNSET)
				continue;
			fprintf(out, "%s{", name);
			put_label(out, true, "kind", counter_names[c]);
			fprintf(out, "} %llu\n", (unsigned long long)sum->counters[c]);
		}
	}
}

void expose_write(FILE *out, const struct summary *sum, const struct reason_table *names,
		  const struct expose_opts *opts)
{
	size_t nr;
	struct scope *scopes = scopes_of(sum, opts->per_vcpu, &nr);

	process_families(out, sum, opts);
	exit_families(out, scopes, nr, names);
	userspace_families(out, scopes, nr, names);
	if (sum->ports)
		io_families(out, sum, IO_KIND_PIO);
	if (sum->mmio)
		io_families(out, sum, IO_KIND_MMIO);
	if (sum->msr)
		io_families(out, sum, IO_KIND_MSR);
	if (sum->cpuid)
		io_families(out, sum, IO_KIND_CPUID);
	free(scopes);
}
