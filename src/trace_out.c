// SPDX-License-Identifier: GPL-2.0
/*
 * The slow exits as a Chrome trace event / Perfetto JSON file
 * (include/trace_out.h). Timestamps are CLOCK_MONOTONIC in microseconds
 * (the clock of the host's perf and ftrace traces); the wall time and the
 * guest's TSC of each exit are in its args, to line it up with the
 * guest's own trace.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "print.h"
#include "trace_out.h"
#include "util.h"

/* A vCPU's track id: the vCPU number, with unknown vCPUs on a track of their own. */
static __u64 track_of(const struct outlier *o)
{
	return o->ev.vcpu == VCPU_UNKNOWN ? 1000000 : o->ev.vcpu;
}

/* The VMs and vCPUs named so far: a few, however many slow exits. */
struct seen {
	struct { __u32 pid; __u64 start; __u32 vcpu; } *keys;
	size_t nr;
};

/* Whether (o's VM, vcpu) is new, noting it; vcpu VCPU_ANY for the VM alone. -1: no memory. */
#define VCPU_ANY (VCPU_UNKNOWN - 1)
static int first_of(struct seen *seen, const struct outlier *o, __u32 vcpu)
{
	for (size_t i = 0; i < seen->nr; i++)
		if (seen->keys[i].pid == o->ev.pid && seen->keys[i].start == o->ev.vm_start &&
		    seen->keys[i].vcpu == vcpu)
			return 0;
	if (!array_append(&seen->keys, &seen->nr, sizeof(*seen->keys)))
		return -1;
	seen->keys[seen->nr - 1].pid = o->ev.pid;
	seen->keys[seen->nr - 1].start = o->ev.vm_start;
	seen->keys[seen->nr - 1].vcpu = vcpu;
	return 1;
}

static void metadata(struct json_writer *w, const char *what, __u32 pid, __u64 tid, bool thread,
		     const char *name)
{
	jsonw_break(w);
	jsonw_start_object(w);
	jsonw_string_field(w, "name", what);
	jsonw_string_field(w, "ph", "M");
	jsonw_uint_field(w, "pid", pid);
	if (thread)
		jsonw_uint_field(w, "tid", tid);
	jsonw_object_field(w, "args");
	jsonw_string_field(w, "name", name);
	jsonw_end_object(w);
	jsonw_end_object(w);
}

/* Microseconds with nanosecond digits, as the format's ts and dur take them. */
static void micros_field(struct json_writer *w, const char *name, __u64 ns)
{
	jsonw_name(w, name);
	jsonw_decimal(w, ns, 3);
}

int trace_out_write(FILE *out, const struct run *run, const struct reason_table *names)
{
	struct seen seen = {};
	struct json_writer w;
	int first = 0;
	char name[192], reason[64];

	jsonw_init(&w, out);
	jsonw_start_object(&w);
	jsonw_string_field(&w, "displayTimeUnit", "ns");
	jsonw_object_field(&w, "otherData");
	jsonw_string_field(&w, "source", "vmexitprof --slower-than");
	jsonw_string_field(&w, "clock", "CLOCK_MONOTONIC");
	jsonw_uint_field(&w, "slower_than_ns", run->slower_than_ns);
	jsonw_end_object(&w);
	jsonw_array_field(&w, "traceEvents");
	for (size_t i = 0; i < run->nr_outliers; i++) {
		const struct outlier *o = &run->outliers[i];
		const struct run_vm *vm = run_vm(run, o->ev.pid, o->ev.vm_start);

		if ((first = first_of(&seen, o, VCPU_ANY)) < 0)
			break;
		if (first) {
			snprintf(name, sizeof(name), "%s (pid %u)", vm ? vm->name : "VM", o->ev.pid);
			metadata(&w, "process_name", o->ev.pid, 0, false, name);
		}
		if ((first = first_of(&seen, o, o->ev.vcpu)) < 0)
			break;
		if (first) {
			if (o->ev.vcpu == VCPU_UNKNOWN)
				snprintf(name, sizeof(name), "vCPU unknown");
			else
				snprintf(name, sizeof(name), "vCPU %u", o->ev.vcpu);
			metadata(&w, "thread_name", o->ev.pid, track_of(o), true, name);
		}
		jsonw_break(&w);
		jsonw_start_object(&w);
		jsonw_string_field(&w, "name", reason_name(names, o->ev.isa, o->ev.reason, reason,
							    sizeof(reason)));
		jsonw_string_field(&w, "cat", "kvm_exit");
		jsonw_string_field(&w, "ph", "X");
		micros_field(&w, "ts", o->ev.exit_ns);
		micros_field(&w, "dur", o->ev.duration_ns);
		jsonw_uint_field(&w, "pid", o->ev.pid);
		jsonw_uint_field(&w, "tid", track_of(o));
		jsonw_object_field(&w, "args");
		outlier_json_fields(&w, o, names);
		jsonw_end_object(&w);
		jsonw_end_object(&w);
	}
	jsonw_break(&w);
	jsonw_end_array(&w);
	jsonw_end_object(&w);
	fputc('\n', out);
	free(seen.keys);
	return first < 0 ? ENOMEM : 0;
}
