// SPDX-License-Identifier: GPL-2.0
/*
 * Slow exits (--slower-than) as they are printed (include/print.h): a text
 * line each, like perf stat -I's, or a JSON line each with --json.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "json_writer.h"
#include "outlier.h"
#include "reasons.h"
#include "print.h"
#include "util.h"

/* "2026-12-01T12:03:04.123456789Z" */
static void format_wall(char *buf, size_t len, __u64 wall_ns)
{
	time_t secs = wall_ns / 1000000000ULL;
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09lluZ", (unsigned long long)(wall_ns % 1000000000ULL));
}

void print_outlier_header(FILE *out)
{
	fprintf(out, "# slow exits (--slower-than): seconds since the start, then the exit's fields\n");
}

void print_outlier_text(FILE *out, const struct outlier *o, const struct reason_table *names)
{
	const struct outlier_event *e = &o->ev;
	char buf[64], dur[32], wall[48], vmm[32], kvm_exit[64], runnable[32], blocked[32];
	const char *reason = reason_name(names, e->isa, e->reason, buf, sizeof(buf));

	format_ns(dur, sizeof(dur), e->duration_ns);
	format_wall(wall, sizeof(wall), o->wall_ns);
	fprintf(out, "%14.6f slow-exit pid=%u", o->since_start_ns / 1e9, e->pid);
	if (e->vcpu == VCPU_UNKNOWN)
		fprintf(out, " vcpu=-");
	else
		fprintf(out, " vcpu=%u", e->vcpu);
	fprintf(out, " reason=%s%s duration=%s wall=%s cpu=%u->%u", reason,
		e->flags & OUTLIER_FAILED_VMENTRY ? "(failed-vmentry)" : "", dur, wall, e->exit_cpu,
		e->entry_cpu);
	if (o->has_guest_tsc)
		fprintf(out, " guest_tsc=%llu+-%llu", (unsigned long long)o->guest_tsc,
			(unsigned long long)o->guest_tsc_err);
	if (e->flags & OUTLIER_RIP)
		fprintf(out, " rip=%#llx", (unsigned long long)e->rip);
	if (e->flags & OUTLIER_INFO)
		fprintf(out, " info1=%#llx info2=%#llx", (unsigned long long)e->info1,
			(unsigned long long)e->info2);
	if (e->flags & OUTLIER_UEXIT_ERRNO) {
		fprintf(out, " userspace=errno%u", e->uexit_reason);
	} else if (e->flags & OUTLIER_TO_USERSPACE) {
		fprintf(out, " userspace=%s", kvm_exit_name(names, e->uexit_reason, kvm_exit,
							   sizeof(kvm_exit)));
		if (e->flags & OUTLIER_VMM_TIMED) {
			format_ns(vmm, sizeof(vmm), e->vmm_ns);
			fprintf(out, " vmm=%s", vmm);
		}
	}
	if (e->flags & OUTLIER_OFF_CPU) {
		format_ns(runnable, sizeof(runnable), e->runnable_ns);
		format_ns(blocked, sizeof(blocked), e->blocked_ns);
		fprintf(out, " preempted=%s blocked=%s", runnable, blocked);
	}
	fputc('\n', out);
}

void outlier_json_fields(struct json_writer *w, const struct outlier *o,
			 const struct reason_table *names)
{
	const struct outlier_event *e = &o->ev;
	char buf[64];

	jsonw_uint_field(w, "since_start_ns", o->since_start_ns);
	jsonw_uint_field(w, "mono_ns", e->exit_ns);
	jsonw_uint_field(w, "wall_ns", o->wall_ns);
	format_wall(buf, sizeof(buf), o->wall_ns);
	jsonw_string_field(w, "wall", buf);
	jsonw_uint_field(w, "duration_ns", e->duration_ns);
	jsonw_uint_field(w, "pid", e->pid);
	jsonw_uint_field(w, "start_ticks", e->vm_start);
	jsonw_uint_field(w, "tid", e->tid);
	if (e->vcpu == VCPU_UNKNOWN)
		jsonw_null_field(w, "vcpu");
	else
		jsonw_uint_field(w, "vcpu", e->vcpu);
	if (e->vcpu_id == VCPU_UNKNOWN)
		jsonw_null_field(w, "vcpu_id");
	else
		jsonw_uint_field(w, "vcpu_id", e->vcpu_id);
	jsonw_uint_field(w, "exit_cpu", e->exit_cpu);
	jsonw_uint_field(w, "entry_cpu", e->entry_cpu);
	jsonw_string_field(w, "isa", reason_isa_name(e->isa));
	jsonw_uint_field(w, "code", e->reason);
	jsonw_string_field(w, "name", reason_name(names, e->isa, e->reason, buf, sizeof(buf)));
	jsonw_bool_field(w, "failed_vmentry", e->flags & OUTLIER_FAILED_VMENTRY);
	if (o->has_guest_tsc) {
		jsonw_uint_field(w, "guest_tsc", o->guest_tsc);
		jsonw_uint_field(w, "guest_tsc_err", o->guest_tsc_err);
	} else {
		jsonw_null_field(w, "guest_tsc");
		jsonw_null_field(w, "guest_tsc_err");
	}
	if (e->flags & OUTLIER_RIP)
		jsonw_uint_field(w, "guest_rip", e->rip);
	else
		jsonw_null_field(w, "guest_rip");
	if (e->flags & OUTLIER_INFO) {
		jsonw_uint_field(w, "exit_info1", e->info1);
		jsonw_uint_field(w, "exit_info2", e->info2);
	} else {
		jsonw_null_field(w, "exit_info1");
		jsonw_null_field(w, "exit_info2");
	}
	/* null: the sched split was off (--no-sched). */
	if (e->flags & OUTLIER_OFF_CPU) {
		jsonw_object_field(w, "off_cpu");
		jsonw_uint_field(w, "runnable_ns", e->runnable_ns);
		jsonw_uint_field(w, "blocked_ns", e->blocked_ns);
		jsonw_end_object(w);
	} else {
		jsonw_null_field(w, "off_cpu");
	}
	/* null: it did not go to the VMM. */
	if (!(e->flags & OUTLIER_TO_USERSPACE)) {
		jsonw_null_field(w, "userspace");
		return;
	}
	jsonw_object_field(w, "userspace");
	if (e->flags & OUTLIER_UEXIT_ERRNO) {
		jsonw_null_field(w, "code");
		jsonw_uint_field(w, "errno", e->uexit_reason);
	} else {
		jsonw_uint_field(w, "code", e->uexit_reason);
		jsonw_string_field(w, "reason", kvm_exit_name(names, e->uexit_reason, buf, sizeof(buf)));
	}
	if (e->flags & OUTLIER_VMM_TIMED)
		jsonw_uint_field(w, "vmm_ns", e->vmm_ns);
	else
		jsonw_null_field(w, "vmm_ns");
	jsonw_end_object(w);
}

void print_outlier_json(FILE *out, const struct outlier *o, const struct reason_table *names)
{
	struct json_writer w;

	jsonw_init(&w, out);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "type", "outlier");
	outlier_json_fields(&w, o, names);
	jsonw_end_object(&w);
	fputc('\n', out);
}
