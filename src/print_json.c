// SPDX-License-Identifier: GPL-2.0
/*
 * The report as one JSON document (--json), the total or one -I interval,
 * through the JSON emitter (include/print.h). Schema: docs/json.md.
 */
#define _GNU_SOURCE	/* strerrorname_np */
#include <math.h>
#include <string.h>

#include "hist.h"
#include "json_writer.h"
#include "msr_names.h"
#include "print.h"
#include "util.h"

/*
 * The latency fields of a histogram; with_to_userspace puts that count
 * after "count", as the reasons' rows have it. An interval's row can hold
 * sums without samples (a torn read; the next interval counts them): its
 * latencies are null, so that every field of the intervals still adds up.
 */
static void latency_fields(struct json_writer *w, const struct hist *h, bool with_to_userspace)
{
	static const char *const names[] = { "min_ns", "avg_ns", "p50_ns", "p99_ns", "p999_ns", "max_ns",
					      "stddev_ns" };
	double sd;

	jsonw_uint_field(w, "count", h->count);
	if (with_to_userspace)
		jsonw_uint_field(w, "to_userspace", h->to_userspace);
	jsonw_uint_field(w, "total_ns", h->sum_ns);
	if (!h->count) {
		for (size_t i = 0; i < ARRAY_SIZE(names); i++)
			jsonw_null_field(w, names[i]);
		return;
	}
	jsonw_uint_field(w, "min_ns", h->min_ns);
	jsonw_uint_field(w, "avg_ns", h->sum_ns / h->count);
	jsonw_uint_field(w, "p50_ns", hist_percentile(h, 0.5));
	jsonw_uint_field(w, "p99_ns", hist_percentile(h, 0.99));
	jsonw_uint_field(w, "p999_ns", hist_percentile(h, 0.999));
	jsonw_uint_field(w, "max_ns", h->max_ns);
	/* Appended, so the fields before keep their order; null where a dump lacks the squares. */
	sd = hist_stddev(h);
	if (isnan(sd))
		jsonw_null_field(w, "stddev_ns");
	else
		jsonw_uint_field(w, "stddev_ns", (__u64)(sd + 0.5));
}

/*
 * "split": where the row's time went (docs/json.md), parts that add up to
 * total_ns; a VMM handling row has no vmm_ns or halted_ns of its own.
 */
static void split_json(struct json_writer *w, const struct hist *h, bool halt, bool vmm_row, bool bql)
{
	struct time_split t;

	hist_split(h, halt, &t);
	jsonw_object_field(w, "split");
	jsonw_uint_field(w, vmm_row ? "on_cpu_ns" : "kernel_ns", t.kernel_ns);
	if (!vmm_row)
		jsonw_uint_field(w, "vmm_ns", t.vmm_ns);
	jsonw_uint_field(w, "preempted_ns", t.preempted_ns);
	jsonw_uint_field(w, "blocked_ns", t.blocked_ns);
	if (!vmm_row)
		jsonw_uint_field(w, "halted_ns", t.halted_ns);
	/* Not a part of its own: of the VMM's time (on or off the CPU), waiting for the BQL. */
	if (bql)
		jsonw_uint_field(w, "bql_wait_ns", t.bql_ns);
	jsonw_end_object(w);
}

static void reasons_json(struct json_writer *w, const struct reason_rows *set,
			 const struct reason_table *names, bool sched, bool bql)
{
	jsonw_array_field(w, "reasons");
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];
		char unknown[32];

		if (!s->h.count && !s->h.sum_ns && !s->h.to_userspace)
			continue;
		jsonw_start_object(w);
		jsonw_string_field(w, "isa", reason_isa_name(s->isa));
		jsonw_uint_field(w, "code", s->reason);
		jsonw_string_field(w, "name", reason_name(names, s->isa, s->reason, unknown, sizeof(unknown)));
		jsonw_bool_field(w, "failed_vmentry", s->flags & HIST_FLAG_FAILED_VMENTRY);
		latency_fields(w, &s->h, true);
		if (sched)
			split_json(w, &s->h, reason_is_halt(reason_name(names, s->isa, s->reason, unknown,
									 sizeof(unknown))), false, bql);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

/* "userspace":[{"code":2,"reason":"IO","count":N,"handling":{...}|null}],"userspace_errors":[...] */
static void uexits_json(struct json_writer *w, const struct uexit_rows *set,
			const struct reason_rows *vmm, const struct reason_table *names, bool sched,
			bool bql)
{
	char buf[64];

	for (int errors = 0; errors < 2; errors++) {
		jsonw_array_field(w, errors ? "userspace_errors" : "userspace");
		for (size_t i = 0; i < set->nr; i++) {
			const struct uexit_row *u = &set->rows[i];
			const struct hist *h;
			const char *e;

			if (!(u->flags & UEXIT_FLAG_ERRNO) != !errors)
				continue;
			jsonw_start_object(w);
			if (errors) {
				e = strerrorname_np(u->reason);
				jsonw_uint_field(w, "errno", u->reason);
				jsonw_string_field(w, "name", e ? e : "?");
				jsonw_uint_field(w, "count", u->count);
			} else {
				jsonw_uint_field(w, "code", u->reason);
				jsonw_string_field(w, "reason", kvm_exit_name(names, u->reason, buf, sizeof(buf)));
				jsonw_uint_field(w, "count", u->count);
				h = summary_vmm_hist(vmm, u);
				jsonw_name(w, "handling");
				if (h) {
					jsonw_start_object(w);
					latency_fields(w, h, false);
					if (sched)
						split_json(w, h, false, true, bql);
					jsonw_end_object(w);
				} else {
					jsonw_null(w);
				}
			}
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
}

/* Each kind's array in a VM's object (docs/json.md). */
static const char *const io_kind_arrays[] = {
	[IO_KIND_PIO] = "ports", [IO_KIND_MMIO] = "mmio", [IO_KIND_MSR] = "msrs", [IO_KIND_CPUID] = "cpuid",
};

/* What a row is an access to: a port or page with direction and size, an MSR, a CPUID leaf. */
static void io_key_json(struct json_writer *w, const struct io_key *key)
{
	const char *dir = key->dir == IO_DIR_WRITE ? "write" : "read";
	const char *name;

	switch (key->kind) {
	case IO_KIND_PIO:
	case IO_KIND_MMIO:
		jsonw_uint_field(w, key->kind == IO_KIND_PIO ? "port" : "gpa_page", key->addr);
		jsonw_string_field(w, "dir", dir);
		jsonw_uint_field(w, "size", key->size);
		break;
	case IO_KIND_MSR:
		name = msr_name(key->addr);
		jsonw_uint_field(w, "msr", key->addr);
		if (name)
			jsonw_string_field(w, "name", name);
		else
			jsonw_null_field(w, "name");
		jsonw_string_field(w, "dir", dir);
		break;
	case IO_KIND_CPUID:
		jsonw_uint_field(w, "leaf", key->addr >> 32);
		jsonw_uint_field(w, "subleaf", key->addr & 0xffffffff);
		break;
	}
}

/*
 * The --ports, --mmio, --msr or --cpuid rows. io_stats.handled_* are the
 * VMM's handling of ports and MMIO pages (handled_*), and the exits'
 * exit-to-entry times of MSRs and CPUIDs (exits_timed, exit_*).
 */
static void io_rows_json(struct json_writer *w, const struct io_rows *set, unsigned int kind)
{
	bool to_vmm = kind == IO_KIND_PIO || kind == IO_KIND_MMIO;

	jsonw_array_field(w, io_kind_arrays[kind]);
	for (size_t j = 0; j < set->nr; j++) {
		const struct io_row *io = &set->rows[j];
		const struct io_stats *st = &io->stats;

		if (io->key.kind != kind)
			continue;
		jsonw_start_object(w);
		io_key_json(w, &io->key);
		jsonw_uint_field(w, "count", st->count);
		if (to_vmm) {
			jsonw_uint_field(w, "to_userspace", st->to_userspace);
			jsonw_uint_field(w, "handled", st->handled);
			jsonw_uint_field(w, "handled_total_ns", st->handled_sum_ns);
			jsonw_uint_field(w, "handled_min_ns", st->handled_min_ns);
			jsonw_uint_field(w, "handled_max_ns", st->handled_max_ns);
		} else {
			if (kind == IO_KIND_MSR)
				jsonw_uint_field(w, "faults", st->faults);
			jsonw_uint_field(w, "exits_timed", st->handled);
			jsonw_uint_field(w, "exit_total_ns", st->handled_sum_ns);
			if (st->handled) {
				jsonw_uint_field(w, "exit_min_ns", st->handled_min_ns);
				jsonw_uint_field(w, "exit_max_ns", st->handled_max_ns);
			} else {
				jsonw_null_field(w, "exit_min_ns");
				jsonw_null_field(w, "exit_max_ns");
			}
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

/* --halt: one object per HALT_* row, with its histogram's latency fields. */
static void halts_json(struct json_writer *w, const struct reason_rows *set)
{
	jsonw_array_field(w, "halts");
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];

		if (!s->h.count)
			continue;
		jsonw_start_object(w);
		jsonw_string_field(w, "kind", halt_reason_name(s->reason));
		jsonw_bool_field(w, "valid", !(s->flags & HIST_FLAG_INVALID_WAKEUP));
		latency_fields(w, &s->h, false);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void vm_json(struct json_writer *w, const struct summary *sum, const struct vm_summary *vm,
		    const struct reason_table *names, const struct print_opts *opts)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, "pid", vm->vm.pid);
	jsonw_uint_field(w, "start_ticks", vm->vm.start);
	jsonw_string_field(w, "name", vm->vm.name);
	jsonw_bool_field(w, "exited", vm->vm.exited);
	reasons_json(w, &vm->reasons, names, sum->sched, sum->bql);
	uexits_json(w, &vm->uexits, &vm->vmm, names, sum->sched, sum->bql);
	if (sum->ports)
		io_rows_json(w, &vm->io, IO_KIND_PIO);
	if (sum->mmio)
		io_rows_json(w, &vm->io, IO_KIND_MMIO);
	if (sum->msr)
		io_rows_json(w, &vm->io, IO_KIND_MSR);
	if (sum->cpuid)
		io_rows_json(w, &vm->io, IO_KIND_CPUID);
	if (sum->halt)
		halts_json(w, &vm->halt);
	if (opts->per_vcpu) {
		jsonw_array_field(w, "vcpus");
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			const struct vcpu_summary *v = &vm->vcpus[j];

			jsonw_start_object(w);
			if (v->vcpu == VCPU_UNKNOWN)
				jsonw_null_field(w, "vcpu");
			else
				jsonw_uint_field(w, "vcpu", v->vcpu);
			/* KVM's own number, where it differs (x86: the APIC ID). */
			if (v->vcpu_id != VCPU_UNKNOWN)
				jsonw_uint_field(w, "vcpu_id", v->vcpu_id);
			reasons_json(w, &v->reasons, names, sum->sched, sum->bql);
			uexits_json(w, &v->uexits, &v->vmm, names, sum->sched, sum->bql);
			if (sum->halt)
				halts_json(w, &v->halt);
			jsonw_end_object(w);
		}
		jsonw_end_array(w);
	}
	jsonw_end_object(w);
}

void print_report_json(FILE *out, const struct summary *sum, const struct reason_table *names,
		       const struct print_opts *opts)
{
	struct json_writer w;

	jsonw_init(&w, out);
	jsonw_start_object(&w);
	if (sum->interval_index) {
		jsonw_string_field(&w, "type", "interval");
		jsonw_uint_field(&w, "interval", sum->interval_index);
		jsonw_uint_field(&w, "start_ns", sum->interval_start_ns);
		jsonw_uint_field(&w, "end_ns", sum->interval_end_ns);
	} else {
		jsonw_string_field(&w, "type", "total");
	}
	jsonw_uint_field(&w, "version", 1);
	jsonw_uint_field(&w, "duration_ns", sum->duration_ns);
	jsonw_bool_field(&w, "kvm_exit_fired", sum->kvm_exit_fired);
	jsonw_string_field(&w, "vmm_time_source", sum->vmm_time_source ? sum->vmm_time_source : "none");
	if (sum->attach && *sum->attach)
		jsonw_string_field(&w, "attach", sum->attach);
	/* Whether the rows have their "split" (off-CPU time from the scheduler's tracepoints). */
	jsonw_bool_field(&w, "sched", sum->sched);
	jsonw_bool_field(&w, "bql", sum->bql);
	jsonw_object_field(&w, "counters");
	for (int c = 0; c < NR_COUNTERS; c++)
		jsonw_uint_field(&w, counter_names[c], sum->counters[c]);
	/* A state at the end of the run, not a count: an interval has none. */
	if (sum->interval_index)
		jsonw_null_field(&w, "exits_pending");
	else
		jsonw_uint_field(&w, "exits_pending", counters_exits_pending(sum->counters));
	jsonw_end_object(&w);
	jsonw_array_field(&w, "vms");
	for (size_t i = 0; i < sum->nr_vms; i++)
		vm_json(&w, sum, &sum->vms[i], names, opts);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}
