// SPDX-License-Identifier: GPL-2.0
/*
 * Writing the run's data (include/dump.h): the JSON dump through the JSON
 * emitter, the CSV of heatmap cells; and the field tables the reader
 * (dump_read.c) shares.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "dump.h"
#include "json_writer.h"
#include "util.h"

#define FIELD(type, member, name, kind, min, max) \
	{ name, offsetof(type, member), sizeof(((type *)0)->member), kind, min, max, NULL }
#define UINT(type, member, name, min, max) FIELD(type, member, name, DUMP_UINT, min, max)
#define U64(type, member, name) UINT(type, member, name, 0, ~0ULL)
/* A VM is its pid and its process's start time. */
#define VM_FIELDS(type, pid, start)						\
	UINT(type, pid, "pid", 1, 0x7fffffff),					\
	FIELD(type, start, "start_ticks", DUMP_OPTIONAL, 0, ~0ULL)
#define RECORD(type, array_name, table) \
	{ array_name, table, ARRAY_SIZE(table), sizeof(type) }

static const struct dump_field run_fields[] = {
	U64(struct run, interval_ns, "interval_ns"),
	U64(struct run, duration_ns, "duration_ns"),
	FIELD(struct run, kvm_exit_fired, "kvm_exit_fired", DUMP_BOOL, 0, 1),
	FIELD(struct run, ports, "ports", DUMP_BOOL, 0, 1),
	FIELD(struct run, mmio, "mmio", DUMP_BOOL, 0, 1),
	/* 1 where off-CPU time was split out; absent: not (--no-sched, or an older dump). */
	FIELD(struct run, sched, "sched", DUMP_NONZERO, 0, 1),
	FIELD(struct run, bql, "bql", DUMP_NONZERO, 0, 1),
	FIELD(struct run, msr, "msr", DUMP_OPTIONAL, 0, 1),
	FIELD(struct run, cpuid, "cpuid", DUMP_OPTIONAL, 0, 1),
	FIELD(struct run, halt, "halt", DUMP_OPTIONAL, 0, 1),
};

static const struct dump_field vm_fields[] = {
	VM_FIELDS(struct run_vm, pid, start),
	FIELD(struct run_vm, exited, "exited", DUMP_BOOL, 0, 1),
};

static const struct dump_field vcpu_id_fields[] = {
	VM_FIELDS(struct run_vcpu_id, pid, start),
	UINT(struct run_vcpu_id, vcpu, "vcpu", 0, VCPU_UNKNOWN - 1),
	UINT(struct run_vcpu_id, vcpu_id, "vcpu_id", 0, VCPU_UNKNOWN - 1),
};

static const struct dump_field hist_fields[] = {
	VM_FIELDS(struct sparse_hist, key.pid, key.vm_start),
	FIELD(struct sparse_hist, key.vcpu, "vcpu", DUMP_VCPU, 0, VCPU_UNKNOWN - 1),
	UINT(struct sparse_hist, key.isa, "isa", ISA_VMX, ISA_ARM64),	/* ISA_HALT (4) between */
	UINT(struct sparse_hist, key.reason, "reason", 0, 0xffffffff),
	UINT(struct sparse_hist, key.flags, "flags", 0, 0xffff),
	/* An interval holds only the keys that moved in it; a torn read can move the sums alone. */
	U64(struct sparse_hist, count, "count"),
	U64(struct sparse_hist, sum_ns, "sum_ns"),
	U64(struct sparse_hist, min_ns, "min_ns"),
	{ "max_ns", offsetof(struct sparse_hist, max_ns), 8, DUMP_UINT, 0, ~0ULL, "min_ns" },
	/* Not bounded by count: an interval can see the one before its bucket. */
	U64(struct sparse_hist, to_userspace, "to_userspace"),
	/*
	 * The sum of squares, 128 bits in two words. Dumps from before it lack
	 * them, and a dump read from one writes none back (0 means unknown).
	 */
	FIELD(struct sparse_hist, sum_sq_lo, "sum_sq_lo", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct sparse_hist, sum_sq_hi, "sum_sq_hi", DUMP_NONZERO, 0, ~0ULL),
	/* The time split (struct hist), where there was any. */
	FIELD(struct sparse_hist, runnable_ns, "runnable_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct sparse_hist, blocked_ns, "blocked_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct sparse_hist, vmm_ns, "vmm_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct sparse_hist, vmm_off_ns, "vmm_off_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct sparse_hist, bql_ns, "bql_ns", DUMP_NONZERO, 0, ~0ULL),
};

static const struct dump_field uexit_fields[] = {
	VM_FIELDS(struct snap_uexit, key.pid, key.vm_start),
	FIELD(struct snap_uexit, key.vcpu, "vcpu", DUMP_VCPU, 0, VCPU_UNKNOWN - 1),
	UINT(struct snap_uexit, key.reason, "reason", 0, 0xffffffff),
	UINT(struct snap_uexit, key.flags, "flags", 0, UEXIT_FLAG_ERRNO),
	UINT(struct snap_uexit, count, "count", 1, ~0ULL),
};

static const struct dump_field io_fields[] = {
	VM_FIELDS(struct snap_io, key.pid, key.vm_start),
	UINT(struct snap_io, key.kind, "kind", IO_KIND_PIO, IO_NR_KINDS - 1),
	UINT(struct snap_io, key.dir, "dir", IO_DIR_READ, IO_DIR_WRITE),
	UINT(struct snap_io, key.size, "size", 0, 0xffff),
	U64(struct snap_io, key.addr, "addr"),
	/* An interval can hold the access and not its handling, or the reverse. */
	U64(struct snap_io, st.count, "count"),
	U64(struct snap_io, st.to_userspace, "to_userspace"),
	U64(struct snap_io, st.handled, "handled"),
	U64(struct snap_io, st.handled_sum_ns, "handled_sum_ns"),
	U64(struct snap_io, st.handled_min_ns, "handled_min_ns"),
	{ "handled_max_ns", offsetof(struct snap_io, st.handled_max_ns), 8, DUMP_UINT, 0, ~0ULL,
	  "handled_min_ns" },
	FIELD(struct snap_io, st.faults, "faults", DUMP_OPTIONAL, 0, ~0ULL),
};

/*
 * A slow exit (--slower-than): the BPF side's event, flags saying what is
 * valid, but for tsc_offset: the guest TSC made from it is written instead.
 */
static const struct dump_field outlier_fields[] = {
	VM_FIELDS(struct outlier, ev.pid, ev.vm_start),
	UINT(struct outlier, ev.tid, "tid", 0, 0xffffffff),
	FIELD(struct outlier, ev.vcpu, "vcpu", DUMP_VCPU, 0, VCPU_UNKNOWN - 1),
	FIELD(struct outlier, ev.vcpu_id, "vcpu_id", DUMP_VCPU, 0, VCPU_UNKNOWN - 1),
	UINT(struct outlier, ev.isa, "isa", ISA_VMX, ISA_ARM64),	/* a kvm_exit's: 1, 2 or 5 */
	UINT(struct outlier, ev.reason, "reason", 0, 0xffffffff),
	UINT(struct outlier, ev.flags, "flags", 0, 0xffff),
	U64(struct outlier, ev.exit_ns, "mono_ns"),
	U64(struct outlier, ev.duration_ns, "duration_ns"),
	U64(struct outlier, since_start_ns, "since_start_ns"),
	U64(struct outlier, wall_ns, "wall_ns"),
	UINT(struct outlier, ev.exit_cpu, "exit_cpu", 0, 0xffffffff),
	UINT(struct outlier, ev.entry_cpu, "entry_cpu", 0, 0xffffffff),
	U64(struct outlier, ev.rip, "rip"),
	U64(struct outlier, ev.info1, "info1"),
	U64(struct outlier, ev.info2, "info2"),
	UINT(struct outlier, ev.uexit_reason, "uexit_reason", 0, 0xffffffff),
	U64(struct outlier, ev.vmm_ns, "vmm_ns"),
	/* With OUTLIER_OFF_CPU, written where not 0 (older dumps lack them). */
	FIELD(struct outlier, ev.runnable_ns, "runnable_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct outlier, ev.blocked_ns, "blocked_ns", DUMP_NONZERO, 0, ~0ULL),
	FIELD(struct outlier, has_guest_tsc, "has_guest_tsc", DUMP_BOOL, 0, 1),
	U64(struct outlier, guest_tsc, "guest_tsc"),
	U64(struct outlier, guest_tsc_err, "guest_tsc_err"),
};

const struct dump_record dump_outlier_record = RECORD(struct outlier, "outliers", outlier_fields);
const struct dump_record dump_run_record = RECORD(struct run, NULL, run_fields);
const struct dump_record dump_vm_record = RECORD(struct run_vm, DUMP_KEY_VMS, vm_fields);
const struct dump_record dump_vcpu_id_record = RECORD(struct run_vcpu_id, "vcpu_ids", vcpu_id_fields);
const struct dump_record dump_hist_record = RECORD(struct sparse_hist, "hists", hist_fields);
const struct dump_record dump_uexit_record = RECORD(struct snap_uexit, "userspace", uexit_fields);
const struct dump_record dump_io_record = RECORD(struct snap_io, "io", io_fields);

/* arm64_reasons came later: a dump without it reads as one with none. */
const struct dump_names_table dump_names_tables[4] = {
	{ "vmx_reasons", ISA_VMX, false }, { "svm_reasons", ISA_SVM, false },
	{ "kvm_exit_reasons", ISA_VMM, false },
	{ "arm64_reasons", ISA_ARM64, true },
};

__u64 dump_field_get(const struct dump_field *f, const void *record)
{
	const char *p = (const char *)record + f->offset;
	__u64 v = 0;

	switch (f->size) {
	case 1: v = *(const __u8 *)p; break;
	case 2: v = *(const __u16 *)p; break;
	case 4: v = *(const __u32 *)p; break;
	case 8: v = *(const __u64 *)p; break;
	}
	return v;
}

void dump_field_set(const struct dump_field *f, void *record, __u64 v)
{
	char *p = (char *)record + f->offset;

	switch (f->size) {
	case 1: *(__u8 *)p = v; break;
	case 2: *(__u16 *)p = v; break;
	case 4: *(__u32 *)p = v; break;
	case 8: *(__u64 *)p = v; break;
	}
}

/* The fields of one record, as members of the object being written. */
static void record_fields(struct json_writer *w, const struct dump_record *rec, const void *record)
{
	for (size_t i = 0; i < rec->nr_fields; i++) {
		const struct dump_field *f = &rec->fields[i];
		__u64 v = dump_field_get(f, record);

		if (f->kind == DUMP_NONZERO && !v)
			continue;
		if (f->kind == DUMP_VCPU && v == VCPU_UNKNOWN)
			jsonw_null_field(w, f->name);
		else if (f->kind == DUMP_BOOL)
			jsonw_bool_field(w, f->name, v);
		else
			jsonw_uint_field(w, f->name, v);
	}
}

/* An interval's array of records; hist records carry their buckets too. */
static void records_json(struct json_writer *w, const struct dump_record *rec, const void *arr,
			 size_t nr)
{
	jsonw_break(w);
	jsonw_array_field(w, rec->array);
	for (size_t i = 0; i < nr; i++) {
		const void *record = (const char *)arr + i * rec->size;

		if (i && rec == &dump_hist_record)
			jsonw_break(w);
		jsonw_start_object(w);
		record_fields(w, rec, record);
		if (rec == &dump_hist_record) {
			const struct sparse_hist *h = record;
			double sd = stddev_of_sums(h->count, h->sum_ns, h->sum_sq_lo, h->sum_sq_hi);

			/* For readers of the file, where the squares are known; report recomputes it. */
			if ((h->sum_sq_lo || h->sum_sq_hi) && !isnan(sd))
				jsonw_uint_field(w, "stddev_ns", (__u64)(sd + 0.5));
			jsonw_array_field(w, DUMP_KEY_BUCKETS);
			for (__u32 b = 0; b < h->nr_buckets; b++) {
				jsonw_start_array(w);
				jsonw_uint(w, h->buckets[b].bucket);
				jsonw_uint(w, h->buckets[b].count);
				jsonw_end_array(w);
			}
			jsonw_end_array(w);
		}
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

static void interval_json(struct json_writer *w, const struct interval *iv)
{
	jsonw_start_object(w);
	jsonw_uint_field(w, DUMP_KEY_START, iv->start_ns);
	jsonw_uint_field(w, DUMP_KEY_END, iv->end_ns);
	jsonw_object_field(w, DUMP_KEY_COUNTERS);
	for (int c = 0; c < NR_COUNTERS; c++)
		jsonw_uint_field(w, counter_names[c], iv->counters[c]);
	jsonw_end_object(w);
	records_json(w, &dump_hist_record, iv->hists, iv->nr_hists);
	records_json(w, &dump_uexit_record, iv->uexits, iv->nr_uexits);
	records_json(w, &dump_io_record, iv->io, iv->nr_io);
	jsonw_end_object(w);
}

static void names_json(struct json_writer *w, const char *key, const struct reason_name *tab,
		       size_t nr)
{
	jsonw_break(w);
	jsonw_array_field(w, key);
	for (size_t i = 0; i < nr; i++) {
		jsonw_start_object(w);
		jsonw_int_field(w, DUMP_KEY_REASON_CODE, tab[i].code);
		jsonw_string_field(w, DUMP_KEY_REASON_NAME, tab[i].name);
		jsonw_end_object(w);
	}
	jsonw_end_array(w);
}

void dump_write_json(FILE *out, const struct run *run, const struct reason_table *names)
{
	const struct { const struct reason_name *tab; size_t nr; } tables[] = {
		{ names->vmx, names->nr_vmx }, { names->svm, names->nr_svm },
		{ names->kvm_exit, names->nr_kvm_exit }, { names->arm64, names->nr_arm64 },
	};
	struct json_writer w;

	jsonw_init(&w, out);
	jsonw_start_object(&w);
	jsonw_string_field(&w, DUMP_KEY_FORMAT, DUMP_FORMAT);
	jsonw_uint_field(&w, DUMP_KEY_VERSION, DUMP_VERSION);
	record_fields(&w, &dump_run_record, run);
	jsonw_string_field(&w, DUMP_KEY_VMM_TIME, run->vmm_time_source);
	if (*run->attach)
		jsonw_string_field(&w, DUMP_KEY_ATTACH, run->attach);
	jsonw_break(&w);
	jsonw_array_field(&w, DUMP_KEY_BOUNDS);
	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++)
		jsonw_uint(&w, hist_bucket_lower(b));
	jsonw_end_array(&w);
	jsonw_break(&w);
	jsonw_array_field(&w, DUMP_KEY_VMS);
	for (size_t i = 0; i < run->nr_vms; i++) {
		jsonw_start_object(&w);
		record_fields(&w, &dump_vm_record, &run->vms[i]);
		jsonw_string_field(&w, DUMP_KEY_VM_NAME, run->vms[i].name);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	jsonw_break(&w);
	jsonw_array_field(&w, dump_vcpu_id_record.array);
	for (size_t i = 0; i < run->nr_vcpu_ids; i++) {
		jsonw_start_object(&w);
		record_fields(&w, &dump_vcpu_id_record, &run->vcpu_ids[i]);
		jsonw_end_object(&w);
	}
	jsonw_end_array(&w);
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++)
		if (tables[t].nr || !dump_names_tables[t].optional)
			names_json(&w, dump_names_tables[t].key, tables[t].tab, tables[t].nr);
	/* Only a run with --slower-than has them: other dumps stay as they were. */
	if (run->slower_than_ns) {
		jsonw_break(&w);
		jsonw_uint_field(&w, DUMP_KEY_SLOWER_THAN, run->slower_than_ns);
		jsonw_array_field(&w, dump_outlier_record.array);
		for (size_t i = 0; i < run->nr_outliers; i++) {
			jsonw_break(&w);
			jsonw_start_object(&w);
			record_fields(&w, &dump_outlier_record, &run->outliers[i]);
			jsonw_end_object(&w);
		}
		jsonw_end_array(&w);
	}
	jsonw_break(&w);
	jsonw_array_field(&w, DUMP_KEY_INTERVALS);
	for (size_t i = 0; i < run->nr_intervals; i++) {
		jsonw_break(&w);
		interval_json(&w, &run->intervals[i]);
	}
	jsonw_break(&w);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
}

/* RFC 4180: quoted, with quotes doubled, when it holds a comma, quote or line break. */
static void csv_field(FILE *out, const char *s)
{
	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

void dump_write_csv(FILE *out, const struct run *run, const struct reason_table *names)
{
	fputs("start_s,end_s,pid,vcpu,what,reason,bucket_lower_ns,bucket_upper_ns,count\n", out);
	for (size_t i = 0; i < run->nr_intervals; i++) {
		const struct interval *iv = &run->intervals[i];

		for (size_t h = 0; h < iv->nr_hists; h++) {
			const struct sparse_hist *s = &iv->hists[h];
			char buf[32], vcpu[16] = "";
			const char *name = s->key.isa == ISA_VMM ?
				kvm_exit_name(names, s->key.reason, buf, sizeof(buf)) :
				s->key.isa == ISA_HALT ? halt_reason_name(s->key.reason) :
				reason_name(names, s->key.isa, s->key.reason, buf, sizeof(buf));

			if (s->key.vcpu != VCPU_UNKNOWN)
				snprintf(vcpu, sizeof(vcpu), "%u", s->key.vcpu);
			for (__u32 b = 0; b < s->nr_buckets; b++) {
				__u32 n = s->buckets[b].bucket;

				fprintf(out, "%.9f,%.9f,%u,%s,%s,", iv->start_ns / 1e9,
					iv->end_ns / 1e9, s->key.pid, vcpu,
					s->key.isa == ISA_VMM ? "vmm" : s->key.isa == ISA_HALT ? "halt" : "exit");
				csv_field(out, name);
				fprintf(out, ",%llu,", (unsigned long long)hist_bucket_lower(n));
				if (n < HIST_OVERFLOW)
					fprintf(out, "%llu", (unsigned long long)hist_bucket_lower(n + 1));
				fprintf(out, ",%llu\n", (unsigned long long)s->buckets[b].count);
			}
		}
	}
}
