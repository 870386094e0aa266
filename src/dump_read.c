// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a JSON dump back (include/dump.h). The file may be truncated,
 * corrupt or not ours at all: every field is checked for type and range,
 * and the first problem is reported with its place in the document
 * ("intervals[3].hists[0].buckets[2]: ..."). tests/fuzz/ fuzzes this.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "json.h"
#include "vms.h"

struct reader {
	char *err;
	size_t errlen;
};

static bool fail(struct reader *r, const char *where, const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;

	if (where && *where)
		n = snprintf(r->err, r->errlen, "%s: ", where);
	if (n < r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err + n, r->errlen - n, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* obj.key as an integer in [min, max]. */
static bool get_uint(struct reader *r, const struct json_value *obj, const char *key, __u64 min,
		     __u64 max, __u64 *out, const char *where)
{
	const struct json_value *v = json_get(obj, key);

	if (!v)
		return fail(r, where, "\"%s\" is missing", key);
	if (!json_u64(v, out) || *out < min || *out > max)
		return fail(r, where, "\"%s\" must be an integer from %llu to %llu", key,
			    (unsigned long long)min, (unsigned long long)max);
	return true;
}

static bool get_bool(struct reader *r, const struct json_value *obj, const char *key, bool *out,
		     const char *where)
{
	if (!json_bool(json_get(obj, key), out))
		return fail(r, where, "\"%s\" must be true or false", key);
	return true;
}

/* A name: a non-empty string without NULs, at most max bytes. */
static bool get_name(struct reader *r, const struct json_value *obj, const char *key, char *out,
		     size_t max, const char *where)
{
	const struct json_value *v = json_get(obj, key);
	const char *s = json_str(v);
	size_t len = json_str_len(v);

	if (!s || !len || len >= max || memchr(s, 0, len))
		return fail(r, where, "\"%s\" must be a string of 1 to %zu characters", key, max - 1);
	memcpy(out, s, len + 1);
	name_sanitize(out);
	if (memcmp(out, s, len))
		return fail(r, where, "\"%s\" holds control characters", key);
	return true;
}

/* vcpu: null (not known) or an id. */
static bool get_vcpu(struct reader *r, const struct json_value *obj, __u32 *out, const char *where)
{
	const struct json_value *v = json_get(obj, "vcpu");
	__u64 id;

	if (v && v->type == JSON_NULL) {
		*out = VCPU_UNKNOWN;
		return true;
	}
	if (!get_uint(r, obj, "vcpu", 0, VCPU_UNKNOWN - 1, &id, where))
		return false;
	*out = id;
	return true;
}

/* start_ticks: which process had the pid (optional: 0 when absent). */
static bool get_start(struct reader *r, const struct json_value *obj, __u64 *out, const char *where)
{
	*out = 0;
	return !json_get(obj, "start_ticks") || get_uint(r, obj, "start_ticks", 0, ~0ULL, out, where);
}

static const struct json_value *get_array(struct reader *r, const struct json_value *obj,
					  const char *key, const char *where)
{
	const struct json_value *v = json_get(obj, key);

	if (!v || v->type != JSON_ARRAY) {
		fail(r, where, "\"%s\" must be an array", key);
		return NULL;
	}
	return v;
}

static bool read_names(struct reader *r, const struct json_value *doc, const char *key,
		       unsigned int isa, struct reason_table *names)
{
	const struct json_value *arr = get_array(r, doc, key, "");
	char where[64], name[64];

	if (!arr)
		return false;
	for (size_t i = 0; i < json_len(arr); i++) {
		const struct json_value *e = json_at(arr, i);
		__s64 code;

		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		if (!json_s64(json_get(e, "code"), &code) || code < -1 || code > 0xffffffffLL)
			return fail(r, where, "\"code\" must be an integer from -1 to 4294967295");
		if (!get_name(r, e, "name", name, sizeof(name), where))
			return false;
		if (reasons_add(names, isa, code, name))
			return fail(r, where, "out of memory");
	}
	return true;
}

static bool read_hist(struct reader *r, const struct json_value *e, struct sparse_hist *h,
		      const char *where)
{
	const struct json_value *buckets;
	__u64 pid, start, isa, reason, flags, sum = 0, prev = 0;
	char at[128];

	if (!get_uint(r, e, "pid", 1, 0x7fffffff, &pid, where) || !get_start(r, e, &start, where) ||
	    !get_vcpu(r, e, &h->key.vcpu, where) ||
	    !get_uint(r, e, "isa", ISA_VMX, ISA_VMM, &isa, where) ||
	    !get_uint(r, e, "reason", 0, 0xffffffff, &reason, where) ||
	    !get_uint(r, e, "flags", 0, 0xffff, &flags, where) ||
	    !get_uint(r, e, "count", 1, ~0ULL, &h->count, where) ||
	    !get_uint(r, e, "sum_ns", 0, ~0ULL, &h->sum_ns, where) ||
	    !get_uint(r, e, "min_ns", 0, ~0ULL, &h->min_ns, where) ||
	    !get_uint(r, e, "max_ns", h->min_ns, ~0ULL, &h->max_ns, where) ||
	    /* Not bounded by count: an interval can see the one before its bucket. */
	    !get_uint(r, e, "to_userspace", 0, ~0ULL, &h->to_userspace, where) ||
	    !(buckets = get_array(r, e, "buckets", where)))
		return false;
	h->key = (struct hist_key){ .pid = pid, .vm_start = start, .vcpu = h->key.vcpu,
				    .reason = reason, .isa = isa, .flags = flags };
	if (json_len(buckets) > HIST_NR_BUCKETS)
		return fail(r, where, "more buckets than the %d there are", HIST_NR_BUCKETS);
	h->buckets = calloc(json_len(buckets) ? json_len(buckets) : 1, sizeof(*h->buckets));
	if (!h->buckets)
		return fail(r, where, "out of memory");
	for (size_t i = 0; i < json_len(buckets); i++) {
		const struct json_value *pair = json_at(buckets, i);
		__u64 b, n;

		snprintf(at, sizeof(at), "%s.buckets[%zu]", where, i);
		if (json_len(pair) != 2 || pair->type != JSON_ARRAY || !json_u64(json_at(pair, 0), &b) ||
		    !json_u64(json_at(pair, 1), &n))
			return fail(r, at, "must be [bucket, count]");
		if (b >= HIST_NR_BUCKETS || (i && b <= prev))
			return fail(r, at, "bucket %llu is out of order or past %d", (unsigned long long)b,
				    HIST_NR_BUCKETS - 1);
		if (!n || n > h->count - sum)
			return fail(r, at, "count %llu does not fit the histogram's count %llu",
				    (unsigned long long)n, (unsigned long long)h->count);
		sum += n;
		prev = b;
		h->buckets[h->nr_buckets++] = (struct bucket_count){ b, n };
	}
	if (sum != h->count)
		return fail(r, where, "its buckets hold %llu, its count says %llu",
			    (unsigned long long)sum, (unsigned long long)h->count);
	return true;
}

static bool read_uexit(struct reader *r, const struct json_value *e, struct snap_uexit *u,
		       const char *where)
{
	__u64 pid, reason, flags;

	if (!get_uint(r, e, "pid", 1, 0x7fffffff, &pid, where) ||
	    !get_start(r, e, &u->key.vm_start, where) || !get_vcpu(r, e, &u->key.vcpu, where) ||
	    !get_uint(r, e, "reason", 0, 0xffffffff, &reason, where) ||
	    !get_uint(r, e, "flags", 0, UEXIT_FLAG_ERRNO, &flags, where) ||
	    !get_uint(r, e, "count", 1, ~0ULL, &u->count, where))
		return false;
	u->key.pid = pid;
	u->key.reason = reason;
	u->key.flags = flags;
	return true;
}

static bool read_io(struct reader *r, const struct json_value *e, struct snap_io *io, const char *where)
{
	struct io_stats *st = &io->st;
	__u64 pid, kind, dir, size;

	if (!get_uint(r, e, "pid", 1, 0x7fffffff, &pid, where) ||
	    !get_start(r, e, &io->key.vm_start, where) ||
	    !get_uint(r, e, "kind", IO_KIND_PIO, IO_KIND_MMIO, &kind, where) ||
	    !get_uint(r, e, "dir", IO_DIR_READ, IO_DIR_WRITE, &dir, where) ||
	    !get_uint(r, e, "size", 0, 0xffff, &size, where) ||
	    !get_uint(r, e, "addr", 0, ~0ULL, &io->key.addr, where) ||
	    /* An interval can hold the access and not its handling, or the reverse. */
	    !get_uint(r, e, "count", 0, ~0ULL, &st->count, where) ||
	    !get_uint(r, e, "to_userspace", 0, ~0ULL, &st->to_userspace, where) ||
	    !get_uint(r, e, "handled", 0, ~0ULL, &st->handled, where) ||
	    !get_uint(r, e, "handled_sum_ns", 0, ~0ULL, &st->handled_sum_ns, where) ||
	    !get_uint(r, e, "handled_min_ns", 0, ~0ULL, &st->handled_min_ns, where) ||
	    !get_uint(r, e, "handled_max_ns", st->handled_min_ns, ~0ULL, &st->handled_max_ns, where))
		return false;
	io->key.pid = pid;
	io->key.kind = kind;
	io->key.dir = dir;
	io->key.size = size;
	return true;
}

/* Read array key of iv_json into a fresh array of items of size sz, by read_one. */
#define READ_ITEMS(key, arr, nr, read_one)						\
	do {										\
		const struct json_value *a_ = get_array(r, iv_json, key, where);	\
										\
		if (!a_)								\
			return false;							\
		arr = calloc(json_len(a_) ? json_len(a_) : 1, sizeof(*arr));		\
		if (!arr)								\
			return fail(r, where, "out of memory");				\
		for (size_t i_ = 0; i_ < json_len(a_); i_++) {				\
			snprintf(at, sizeof(at), "%s.%s[%zu]", where, key, i_);		\
			nr++;								\
			if (!read_one(r, json_at(a_, i_), &arr[i_], at))		\
				return false;						\
		}									\
	} while (0)

static bool read_interval(struct reader *r, const struct json_value *iv_json, struct interval *iv,
			  __u64 prev_end, const char *where)
{
	static const char *const counter_names[NR_COUNTERS] = COUNTER_NAMES;
	const struct json_value *counters = json_get(iv_json, "counters");
	char at[96];

	if (!get_uint(r, iv_json, "start_ns", prev_end, ~0ULL, &iv->start_ns, where) ||
	    !get_uint(r, iv_json, "end_ns", iv->start_ns, ~0ULL, &iv->end_ns, where))
		return false;
	if (!counters || counters->type != JSON_OBJECT)
		return fail(r, where, "\"counters\" must be an object");
	snprintf(at, sizeof(at), "%s.counters", where);
	for (int c = 0; c < NR_COUNTERS; c++)
		if (!get_uint(r, counters, counter_names[c], 0, ~0ULL, &iv->counters[c], at))
			return false;
	READ_ITEMS("hists", iv->hists, iv->nr_hists, read_hist);
	READ_ITEMS("userspace", iv->uexits, iv->nr_uexits, read_uexit);
	READ_ITEMS("io", iv->io, iv->nr_io, read_io);
	return true;
}

static bool read_run(struct reader *r, const struct json_value *doc, struct run *run,
		     struct reason_table *names)
{
	static const char *const sources[] = { "usdt", "kvm_fpu", "syscall", "none" };
	const struct json_value *vms, *intervals, *bounds, *format = json_get(doc, "format");
	__u64 version, prev_end = 0;
	char where[64];
	bool known = false;

	if (!doc || doc->type != JSON_OBJECT || !json_str(format) || strcmp(json_str(format), DUMP_FORMAT))
		return fail(r, "", "not a vmexitprof dump (no \"format\": \"" DUMP_FORMAT "\")");
	if (!get_uint(r, doc, "version", 0, ~0ULL, &version, ""))
		return false;
	if (version != DUMP_VERSION)
		return fail(r, "", "dump version %llu; this vmexitprof reads version %d",
			    (unsigned long long)version, DUMP_VERSION);
	if (!get_uint(r, doc, "interval_ns", 0, ~0ULL, &run->interval_ns, "") ||
	    !get_uint(r, doc, "duration_ns", 0, ~0ULL, &run->duration_ns, "") ||
	    !get_name(r, doc, "vmm_time_source", run->vmm_time_source, sizeof(run->vmm_time_source), "") ||
	    !get_bool(r, doc, "kvm_exit_fired", &run->kvm_exit_fired, "") ||
	    !get_bool(r, doc, "ports", &run->ports, "") || !get_bool(r, doc, "mmio", &run->mmio, ""))
		return false;
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++)
		known |= !strcmp(run->vmm_time_source, sources[i]);
	if (!known)
		return fail(r, "", "\"vmm_time_source\" '%s' is not usdt, kvm_fpu, syscall or none",
			    run->vmm_time_source);
	/* Another build's histogram layout would be misread, not rejected, without this. */
	if (!(bounds = get_array(r, doc, "bucket_lower_ns", "")))
		return false;
	if (json_len(bounds) != HIST_NR_BUCKETS)
		return fail(r, "", "%zu histogram buckets; this vmexitprof has %d", json_len(bounds),
			    HIST_NR_BUCKETS);
	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++) {
		__u64 lower;

		if (!json_u64(json_at(bounds, b), &lower) || lower != hist_bucket_lower(b))
			return fail(r, "", "bucket_lower_ns[%u] differs from this vmexitprof's buckets", b);
	}
	if (!(vms = get_array(r, doc, "vms", "")))
		return false;
	for (size_t i = 0; i < json_len(vms); i++) {
		const struct json_value *vm = json_at(vms, i);
		char name[128];
		__u64 pid, start;
		bool exited;

		snprintf(where, sizeof(where), "vms[%zu]", i);
		if (!get_uint(r, vm, "pid", 1, 0x7fffffff, &pid, where) ||
		    !get_start(r, vm, &start, where) ||
		    !get_name(r, vm, "name", name, sizeof(name), where) ||
		    !get_bool(r, vm, "exited", &exited, where))
			return false;
		if (run_vm(run, pid, start))
			return fail(r, where, "pid %llu (start %llu) is listed twice",
				    (unsigned long long)pid, (unsigned long long)start);
		if (run_add_vm(run, pid, start, name, exited))
			return fail(r, where, "out of memory");
	}
	if (!read_names(r, doc, "vmx_reasons", ISA_VMX, names) ||
	    !read_names(r, doc, "svm_reasons", ISA_SVM, names) ||
	    !read_names(r, doc, "kvm_exit_reasons", ISA_VMM, names))
		return false;
	if (!(intervals = get_array(r, doc, "intervals", "")))
		return false;
	if (!json_len(intervals))
		return fail(r, "", "no intervals");
	for (size_t i = 0; i < json_len(intervals); i++) {
		struct interval iv = {};
		bool ok;

		snprintf(where, sizeof(where), "intervals[%zu]", i);
		ok = read_interval(r, json_at(intervals, i), &iv, prev_end, where);
		prev_end = iv.end_ns;
		if (!ok || run_add_interval(run, &iv)) {
			interval_free(&iv);
			return ok ? fail(r, where, "out of memory") : false;
		}
	}
	return true;
}

int dump_read(const char *buf, size_t len, struct run *run, struct reason_table *names,
	      char *err, size_t errlen)
{
	struct reader r = { err, errlen };
	struct json_value *doc = NULL;
	char why[200];
	bool ok;

	memset(run, 0, sizeof(*run));
	if (json_parse(buf, len, &doc, why, sizeof(why))) {
		snprintf(err, errlen, "not valid JSON (truncated or corrupt?): %s", why);
		return -1;
	}
	ok = read_run(&r, doc, run, names);
	json_free(doc);
	if (!ok) {
		run_free(run);
		reasons_free(names);
		return -1;
	}
	return 0;
}
