// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a JSON dump back (include/dump.h), parsed by json-c. The file
 * may be truncated, corrupt or not ours at all: every field is checked
 * for type and range, and the first problem is reported with its place in
 * the document ("intervals[3].hists[0].buckets[2]: ..."). The fields are
 * those of dump.c's tables. tests/fuzz/ fuzzes this.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "dump.h"
#include "util.h"

/* json-c nests objects and arrays this deep at most; a dump needs five. */
#define MAX_DEPTH 32

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

static json_object *member(const json_object *obj, const char *key)
{
	json_object *v = NULL;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/*
 * v as an unsigned integer literal. json-c clamps a literal past 2^64 - 1
 * to that value, so 2^64 - 1 itself is refused as well: no dump field
 * can reach it.
 */
static bool as_u64(const json_object *v, __u64 *out)
{
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return false;
	*out = json_object_get_uint64(v);
	return *out != ~0ULL;
}

/* obj.key as an integer in [min, max]. */
static bool get_uint(struct reader *r, const json_object *obj, const char *key, __u64 min,
		     __u64 max, __u64 *out, const char *where)
{
	const json_object *v = member(obj, key);

	if (!v)
		return fail(r, where, "\"%s\" is missing", key);
	if (max == ~0ULL)
		max--;
	if (!as_u64(v, out) || *out < min || *out > max)
		return fail(r, where, "\"%s\" must be an integer from %llu to %llu", key,
			    (unsigned long long)min, (unsigned long long)max);
	return true;
}

static bool get_bool(struct reader *r, const json_object *obj, const char *key, bool *out,
		     const char *where)
{
	const json_object *v = member(obj, key);

	if (!json_object_is_type(v, json_type_boolean))
		return fail(r, where, "\"%s\" must be true or false", key);
	*out = json_object_get_boolean(v);
	return true;
}

/* A name: a non-empty string without NULs or control characters, at most max - 1 bytes. */
static bool get_name(struct reader *r, const json_object *obj, const char *key, char *out,
		     size_t max, const char *where)
{
	const json_object *v = member(obj, key);
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string((json_object *)v) : NULL;
	size_t len = s ? (size_t)json_object_get_string_len(v) : 0;

	if (!s || !len || len >= max || memchr(s, 0, len))
		return fail(r, where, "\"%s\" must be a string of 1 to %zu characters", key, max - 1);
	memcpy(out, s, len + 1);
	name_sanitize(out);
	if (memcmp(out, s, len))
		return fail(r, where, "\"%s\" holds control characters", key);
	return true;
}

static const json_object *get_array(struct reader *r, const json_object *obj, const char *key,
				    const char *where)
{
	const json_object *v = member(obj, key);

	if (!json_object_is_type(v, json_type_array)) {
		fail(r, where, "\"%s\" must be an array", key);
		return NULL;
	}
	return v;
}

static size_t array_len(const json_object *arr)
{
	return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

static const json_object *array_at(const json_object *arr, size_t i)
{
	return json_object_array_get_idx(arr, i);
}

/* The fields of rec, from obj into record. */
static bool read_fields(struct reader *r, const json_object *obj, const struct dump_record *rec,
			void *record, const char *where)
{
	if (!json_object_is_type(obj, json_type_object))
		return fail(r, where, "must be an object");
	for (size_t i = 0; i < rec->nr_fields; i++) {
		const struct dump_field *f = &rec->fields[i];
		const json_object *v = member(obj, f->name);
		__u64 min = f->min, value = 0;
		bool b = false;

		if (f->at_least) {
			for (size_t j = 0; j < i; j++)
				if (!strcmp(rec->fields[j].name, f->at_least))
					min = dump_field_get(&rec->fields[j], record);
		}
		if (f->kind == DUMP_VCPU && json_object_is_type(v, json_type_null))
			value = VCPU_UNKNOWN;
		else if ((f->kind == DUMP_OPTIONAL || f->kind == DUMP_NONZERO) && !v)
			value = 0;
		else if (f->kind == DUMP_BOOL) {
			if (!get_bool(r, obj, f->name, &b, where))
				return false;
			value = b;
		} else if (!get_uint(r, obj, f->name, min, f->max, &value, where))
			return false;
		dump_field_set(f, record, value);
	}
	return true;
}

static bool read_names(struct reader *r, const json_object *doc, const struct dump_names_table *t,
		       struct reason_table *names)
{
	const json_object *arr;
	char where[64], name[64];

	if (t->optional && !member(doc, t->key))
		return true;
	arr = get_array(r, doc, t->key, "");
	if (!arr)
		return false;
	for (size_t i = 0; i < array_len(arr); i++) {
		const json_object *e = array_at(arr, i), *code_v = member(e, DUMP_KEY_REASON_CODE);
		__s64 code = json_object_get_int64(code_v);

		snprintf(where, sizeof(where), "%s[%zu]", t->key, i);
		if (!json_object_is_type(code_v, json_type_int) || code < -1 || code > 0xffffffffLL)
			return fail(r, where, "\"%s\" must be an integer from -1 to 4294967295",
				    DUMP_KEY_REASON_CODE);
		if (!get_name(r, e, DUMP_KEY_REASON_NAME, name, sizeof(name), where))
			return false;
		if (reasons_add(names, t->isa, code, name))
			return fail(r, where, "out of memory");
	}
	return true;
}

/* A histogram's buckets: [[bucket, count], ...], in order, adding up to its count. */
static bool read_buckets(struct reader *r, const json_object *e, struct sparse_hist *h,
			 const char *where)
{
	const json_object *buckets = get_array(r, e, DUMP_KEY_BUCKETS, where);
	__u64 sum = 0, prev = 0;
	char at[128];

	if (!buckets)
		return false;
	if (array_len(buckets) > HIST_NR_BUCKETS)
		return fail(r, where, "more buckets than the %d there are", HIST_NR_BUCKETS);
	h->buckets = calloc(array_len(buckets) ? array_len(buckets) : 1, sizeof(*h->buckets));
	if (!h->buckets)
		return fail(r, where, "out of memory");
	for (size_t i = 0; i < array_len(buckets); i++) {
		const json_object *pair = array_at(buckets, i);
		__u64 b, n;

		snprintf(at, sizeof(at), "%s.%s[%zu]", where, DUMP_KEY_BUCKETS, i);
		if (array_len(pair) != 2 || !as_u64(array_at(pair, 0), &b) ||
		    !as_u64(array_at(pair, 1), &n))
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

/*
 * An interval's array of rec's records into a fresh array (*arr, *nr): its
 * items are counted as read, so that what was read is freed on failure.
 */
static bool read_records(struct reader *r, const json_object *iv_json,
			 const struct dump_record *rec, void **arr, size_t *nr, const char *where)
{
	const json_object *a = get_array(r, iv_json, rec->array, where);
	char at[96];

	if (!a)
		return false;
	*arr = calloc(array_len(a) ? array_len(a) : 1, rec->size);
	if (!*arr)
		return fail(r, where, "out of memory");
	for (size_t i = 0; i < array_len(a); i++) {
		void *record = (char *)*arr + i * rec->size;

		snprintf(at, sizeof(at), "%s.%s[%zu]", where, rec->array, i);
		(*nr)++;
		if (!read_fields(r, array_at(a, i), rec, record, at))
			return false;
		if (rec == &dump_hist_record && !read_buckets(r, array_at(a, i), record, at))
			return false;
	}
	return true;
}

static bool read_interval(struct reader *r, const json_object *iv_json, struct interval *iv,
			  __u64 prev_end, const char *where)
{
	const json_object *counters = member(iv_json, DUMP_KEY_COUNTERS);
	char at[96];

	if (!json_object_is_type(iv_json, json_type_object))
		return fail(r, where, "must be an object");
	if (!get_uint(r, iv_json, DUMP_KEY_START, prev_end, ~0ULL, &iv->start_ns, where) ||
	    !get_uint(r, iv_json, DUMP_KEY_END, iv->start_ns, ~0ULL, &iv->end_ns, where))
		return false;
	if (!json_object_is_type(counters, json_type_object))
		return fail(r, where, "\"%s\" must be an object", DUMP_KEY_COUNTERS);
	snprintf(at, sizeof(at), "%s.%s", where, DUMP_KEY_COUNTERS);
	for (int c = 0; c < NR_COUNTERS; c++) {
		/* Counters added since version 1's first dumps: absent means none were counted. */
		if (c >= DUMP_FIRST_OPTIONAL_COUNTER && !member(counters, counter_names[c]))
			continue;
		if (!get_uint(r, counters, counter_names[c], 0, ~0ULL, &iv->counters[c], at))
			return false;
	}
	return read_records(r, iv_json, &dump_hist_record, (void **)&iv->hists, &iv->nr_hists, where) &&
	       read_records(r, iv_json, &dump_uexit_record, (void **)&iv->uexits, &iv->nr_uexits, where) &&
	       read_records(r, iv_json, &dump_io_record, (void **)&iv->io, &iv->nr_io, where);
}

static bool read_vms(struct reader *r, const json_object *doc, struct run *run)
{
	const json_object *vms = get_array(r, doc, DUMP_KEY_VMS, "");
	char where[64];

	if (!vms)
		return false;
	for (size_t i = 0; i < array_len(vms); i++) {
		struct run_vm vm = {};

		snprintf(where, sizeof(where), "%s[%zu]", DUMP_KEY_VMS, i);
		if (!read_fields(r, array_at(vms, i), &dump_vm_record, &vm, where) ||
		    !get_name(r, array_at(vms, i), DUMP_KEY_VM_NAME, vm.name, sizeof(vm.name), where))
			return false;
		if (run_vm(run, vm.pid, vm.start))
			return fail(r, where, "pid %u (start %llu) is listed twice", vm.pid,
				    (unsigned long long)vm.start);
		if (run_add_vm(run, vm.pid, vm.start, vm.name, vm.exited))
			return fail(r, where, "out of memory");
	}
	return true;
}

/* "vcpu_ids", where dumps before it have none. */
static bool read_vcpu_ids(struct reader *r, const json_object *doc, struct run *run)
{
	const json_object *arr;
	char where[64];

	if (!member(doc, dump_vcpu_id_record.array))
		return true;
	if (!(arr = get_array(r, doc, dump_vcpu_id_record.array, "")))
		return false;
	for (size_t i = 0; i < array_len(arr); i++) {
		struct run_vcpu_id v = {};

		snprintf(where, sizeof(where), "%s[%zu]", dump_vcpu_id_record.array, i);
		if (!read_fields(r, array_at(arr, i), &dump_vcpu_id_record, &v, where))
			return false;
		if (run_add_vcpu_id(run, v.pid, v.start, v.vcpu, v.vcpu_id))
			return fail(r, where, "out of memory");
	}
	return true;
}

/* "slower_than_ns" and "outliers", where the run had --slower-than. */
static bool read_outliers(struct reader *r, const json_object *doc, struct run *run)
{
	const json_object *arr;
	char where[64];

	if (!member(doc, DUMP_KEY_SLOWER_THAN))
		return true;
	if (!get_uint(r, doc, DUMP_KEY_SLOWER_THAN, 1, ~0ULL, &run->slower_than_ns, ""))
		return false;
	if (!(arr = get_array(r, doc, dump_outlier_record.array, "")))
		return false;
	for (size_t i = 0; i < array_len(arr); i++) {
		struct outlier o = {};

		snprintf(where, sizeof(where), "%s[%zu]", dump_outlier_record.array, i);
		if (!read_fields(r, array_at(arr, i), &dump_outlier_record, &o, where))
			return false;
		if (run_add_outlier(run, &o))
			return fail(r, where, "out of memory");
	}
	return true;
}

static bool read_run(struct reader *r, const json_object *doc, struct run *run,
		     struct reason_table *names)
{
	const json_object *intervals, *bounds, *format = member(doc, DUMP_KEY_FORMAT);
	__u64 version, prev_end = 0;
	char where[64];
	bool known = false;

	if (!json_object_is_type(format, json_type_string) ||
	    strcmp(json_object_get_string((json_object *)format), DUMP_FORMAT))
		return fail(r, "", "not a vmexitprof dump (no \"%s\": \"" DUMP_FORMAT "\")",
			    DUMP_KEY_FORMAT);
	if (!get_uint(r, doc, DUMP_KEY_VERSION, 0, ~0ULL, &version, ""))
		return false;
	if (version == 1)
		return fail(r, "", "dump version 1, from a vmexitprof whose histograms stopped at 68.7 s; "
			    "this one reads version %d", DUMP_VERSION);
	if (version != DUMP_VERSION)
		return fail(r, "", "dump version %llu; this vmexitprof reads version %d",
			    (unsigned long long)version, DUMP_VERSION);
	if (!read_fields(r, doc, &dump_run_record, run, "") ||
	    !get_name(r, doc, DUMP_KEY_VMM_TIME, run->vmm_time_source, sizeof(run->vmm_time_source), ""))
		return false;
	/* A clock the run used (never auto), or none. */
	known = !strcmp(run->vmm_time_source, "none");
	for (int i = VMM_CLOCK_AUTO + 1; i < NR_VMM_CLOCKS; i++)
		known |= !strcmp(run->vmm_time_source, vmm_clock_names[i]);
	if (!known)
		return fail(r, "", "\"%s\" '%s' is not usdt, kvm_fpu, syscall or none",
			    DUMP_KEY_VMM_TIME, run->vmm_time_source);
	if (member(doc, DUMP_KEY_ATTACH)) {
		if (!get_name(r, doc, DUMP_KEY_ATTACH, run->attach, sizeof(run->attach), ""))
			return false;
		if (strcmp(run->attach, attach_mode_names[ATTACH_TP_BTF]) &&
		    strcmp(run->attach, attach_mode_names[ATTACH_CLASSIC]))
			return fail(r, "", "\"%s\" '%s' is not tp_btf or classic", DUMP_KEY_ATTACH,
				    run->attach);
	}
	/* Another build's histogram layout would be misread, not rejected, without this. */
	if (!(bounds = get_array(r, doc, DUMP_KEY_BOUNDS, "")))
		return false;
	if (array_len(bounds) != HIST_NR_BUCKETS)
		return fail(r, "", "%zu histogram buckets; this vmexitprof has %d", array_len(bounds),
			    HIST_NR_BUCKETS);
	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++) {
		__u64 lower;

		if (!as_u64(array_at(bounds, b), &lower) || lower != hist_bucket_lower(b))
			return fail(r, "", "%s[%u] differs from this vmexitprof's buckets",
				    DUMP_KEY_BOUNDS, b);
	}
	if (!read_vms(r, doc, run) || !read_vcpu_ids(r, doc, run) || !read_outliers(r, doc, run))
		return false;
	for (size_t t = 0; t < ARRAY_SIZE(dump_names_tables); t++)
		if (!read_names(r, doc, &dump_names_tables[t], names))
			return false;
	if (!(intervals = get_array(r, doc, DUMP_KEY_INTERVALS, "")))
		return false;
	if (!array_len(intervals))
		return fail(r, "", "no intervals");
	for (size_t i = 0; i < array_len(intervals); i++) {
		struct interval iv = {};
		bool ok;

		snprintf(where, sizeof(where), "%s[%zu]", DUMP_KEY_INTERVALS, i);
		ok = read_interval(r, array_at(intervals, i), &iv, prev_end, where);
		prev_end = iv.end_ns;
		if (!ok || run_add_interval(run, &iv)) {
			interval_free(&iv);
			return ok ? fail(r, where, "out of memory") : false;
		}
	}
	return true;
}

/* Parse buf whole as one JSON value; NULL with a one-line reason ("line 3, column 17: ..."). */
static json_object *parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
	json_object *doc = NULL;
	enum json_tokener_error e;
	size_t end, line = 1, col = 1;

	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* RFC 8259 only, valid UTF-8, nothing after the value. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* json-c takes an int length; read_file() refuses files near that. */
	if (len > 0x7ffffffe) {
		snprintf(err, errlen, "too big");
		json_tokener_free(tok);
		return NULL;
	}
	doc = json_tokener_parse_ex(tok, buf, len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	/* A value that ends with the input (a number) is complete only once the input ends. */
	if (!doc && e == json_tokener_continue) {
		doc = json_tokener_parse_ex(tok, "", 1);
		if (!doc) {
			snprintf(err, errlen, "unexpected end of input");
			json_tokener_free(tok);
			return NULL;
		}
	} else if (!doc) {
		for (size_t i = 0; i < end && i < len; i++, col++) {
			if (buf[i] == '\n') {
				line++;
				col = 0;
			}
		}
		snprintf(err, errlen, "line %zu, column %zu: %s", line, col, json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	return doc;
}

int dump_read(const char *buf, size_t len, struct run *run, struct reason_table *names,
	      char *err, size_t errlen)
{
	struct reader r = { err, errlen };
	json_object *doc;
	char why[200];
	bool ok;

	memset(run, 0, sizeof(*run));
	doc = parse(buf, len, why, sizeof(why));
	if (!doc) {
		snprintf(err, errlen, "not valid JSON (truncated or corrupt?): %s", why);
		return -1;
	}
	ok = read_run(&r, doc, run, names);
	json_object_put(doc);
	if (!ok) {
		run_free(run);
		reasons_free(names);
		return -1;
	}
	return 0;
}
