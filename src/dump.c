// SPDX-License-Identifier: GPL-2.0
/* Writing the run's data (include/dump.h); reading it back is in dump_read.c. */
#include <stdio.h>
#include <string.h>

#include "dump.h"

static void names_json(FILE *out, const char *field, const struct reason_name *tab, size_t nr)
{
	fprintf(out, ",\n\"%s\":[", field);
	for (size_t i = 0; i < nr; i++) {
		fprintf(out, "%s{\"code\":%lld,\"name\":", i ? "," : "", tab[i].code);
		json_string(out, tab[i].name);
		fputc('}', out);
	}
	fputc(']', out);
}

static void vcpu_json(FILE *out, __u32 vcpu)
{
	if (vcpu == VCPU_UNKNOWN)
		fputs("null", out);
	else
		fprintf(out, "%u", vcpu);
}

static void interval_json(FILE *out, const struct interval *iv)
{
	static const char *const counter_names[NR_COUNTERS] = COUNTER_NAMES;

	fprintf(out, "{\"start_ns\":%llu,\"end_ns\":%llu,\"counters\":{",
		(unsigned long long)iv->start_ns, (unsigned long long)iv->end_ns);
	for (int c = 0; c < NR_COUNTERS; c++)
		fprintf(out, "%s\"%s\":%llu", c ? "," : "", counter_names[c],
			(unsigned long long)iv->counters[c]);
	fputs("},\n \"hists\":[", out);
	for (size_t i = 0; i < iv->nr_hists; i++) {
		const struct sparse_hist *h = &iv->hists[i];

		fprintf(out, "%s{\"pid\":%u,\"start_ticks\":%llu,\"vcpu\":", i ? ",\n  " : "", h->key.pid,
			(unsigned long long)h->key.vm_start);
		vcpu_json(out, h->key.vcpu);
		fprintf(out, ",\"isa\":%u,\"reason\":%u,\"flags\":%u,\"count\":%llu,\"sum_ns\":%llu,"
			"\"min_ns\":%llu,\"max_ns\":%llu,\"to_userspace\":%llu,\"buckets\":[",
			h->key.isa, h->key.reason, h->key.flags, (unsigned long long)h->count,
			(unsigned long long)h->sum_ns, (unsigned long long)h->min_ns,
			(unsigned long long)h->max_ns, (unsigned long long)h->to_userspace);
		for (__u32 b = 0; b < h->nr_buckets; b++)
			fprintf(out, "%s[%u,%llu]", b ? "," : "", h->buckets[b].bucket,
				(unsigned long long)h->buckets[b].count);
		fputs("]}", out);
	}
	fputs("],\n \"userspace\":[", out);
	for (size_t i = 0; i < iv->nr_uexits; i++) {
		const struct snap_uexit *u = &iv->uexits[i];

		fprintf(out, "%s{\"pid\":%u,\"start_ticks\":%llu,\"vcpu\":", i ? "," : "", u->key.pid,
			(unsigned long long)u->key.vm_start);
		vcpu_json(out, u->key.vcpu);
		fprintf(out, ",\"reason\":%u,\"flags\":%u,\"count\":%llu}", u->key.reason, u->key.flags,
			(unsigned long long)u->count);
	}
	fputs("],\n \"io\":[", out);
	for (size_t i = 0; i < iv->nr_io; i++) {
		const struct snap_io *e = &iv->io[i];

		fprintf(out, "%s{\"pid\":%u,\"start_ticks\":%llu,\"kind\":%u,\"dir\":%u,\"size\":%u,"
			"\"addr\":%llu,\"count\":%llu,"
			"\"to_userspace\":%llu,\"handled\":%llu,\"handled_sum_ns\":%llu,"
			"\"handled_min_ns\":%llu,\"handled_max_ns\":%llu}", i ? "," : "", e->key.pid,
			(unsigned long long)e->key.vm_start,
			e->key.kind, e->key.dir, e->key.size, (unsigned long long)e->key.addr,
			(unsigned long long)e->st.count, (unsigned long long)e->st.to_userspace,
			(unsigned long long)e->st.handled, (unsigned long long)e->st.handled_sum_ns,
			(unsigned long long)e->st.handled_min_ns, (unsigned long long)e->st.handled_max_ns);
	}
	fputs("]}", out);
}

void dump_write_json(FILE *out, const struct run *run, const struct reason_table *names)
{
	fprintf(out, "{\"format\":\"" DUMP_FORMAT "\",\"version\":%d,\"interval_ns\":%llu,"
		"\"duration_ns\":%llu,\"vmm_time_source\":", DUMP_VERSION,
		(unsigned long long)run->interval_ns, (unsigned long long)run->duration_ns);
	json_string(out, run->vmm_time_source);
	fprintf(out, ",\"kvm_exit_fired\":%s,\"ports\":%s,\"mmio\":%s,\n\"bucket_lower_ns\":[",
		run->kvm_exit_fired ? "true" : "false", run->ports ? "true" : "false",
		run->mmio ? "true" : "false");
	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++)
		fprintf(out, "%s%llu", b ? "," : "", (unsigned long long)hist_bucket_lower(b));
	fputs("],\n\"vms\":[", out);
	for (size_t i = 0; i < run->nr_vms; i++) {
		fprintf(out, "%s{\"pid\":%u,\"start_ticks\":%llu,\"name\":", i ? "," : "", run->vms[i].pid,
			(unsigned long long)run->vms[i].start);
		json_string(out, run->vms[i].name);
		fprintf(out, ",\"exited\":%s}", run->vms[i].exited ? "true" : "false");
	}
	fputc(']', out);
	names_json(out, "vmx_reasons", names->vmx, names->nr_vmx);
	names_json(out, "svm_reasons", names->svm, names->nr_svm);
	names_json(out, "kvm_exit_reasons", names->kvm_exit, names->nr_kvm_exit);
	fputs(",\n\"intervals\":[\n", out);
	for (size_t i = 0; i < run->nr_intervals; i++) {
		if (i)
			fputs(",\n", out);
		interval_json(out, &run->intervals[i]);
	}
	fputs("\n]}\n", out);
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
				reason_name(names, s->key.isa, s->key.reason, buf, sizeof(buf));

			if (s->key.vcpu != VCPU_UNKNOWN)
				snprintf(vcpu, sizeof(vcpu), "%u", s->key.vcpu);
			for (__u32 b = 0; b < s->nr_buckets; b++) {
				__u32 n = s->buckets[b].bucket;

				fprintf(out, "%.9f,%.9f,%u,%s,%s,", iv->start_ns / 1e9,
					iv->end_ns / 1e9, s->key.pid, vcpu,
					s->key.isa == ISA_VMM ? "vmm" : "exit");
				csv_field(out, name);
				fprintf(out, ",%llu,", (unsigned long long)hist_bucket_lower(n));
				if (n < HIST_OVERFLOW)
					fprintf(out, "%llu", (unsigned long long)hist_bucket_lower(n + 1));
				fprintf(out, ",%llu\n", (unsigned long long)s->buckets[b].count);
			}
		}
	}
}

