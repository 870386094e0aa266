// SPDX-License-Identifier: GPL-2.0
/*
 * The dump (src/dump.c, src/dump_read.c): a run written and read back is
 * the same run, field for field; and a document that is not a whole,
 * valid dump is refused with a one-line reason that says where. The
 * good document is built here by hand, not by the writer, so the two
 * sides are checked against the schema and not only against each other.
 */
#define _GNU_SOURCE	/* open_memstream */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "check.h"
#include "util.h"	/* ARRAY_SIZE */

/* The three histogram bucket lower bounds this build has, as JSON. */
static char bounds[HIST_NR_BUCKETS * 14];

static void make_bounds(void)
{
	size_t n = 0;

	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++)
		n += snprintf(bounds + n, sizeof(bounds) - n, "%s%llu", b ? "," : "",
			      (unsigned long long)hist_bucket_lower(b));
}

/*
 * A valid dump, with HIST, UEXIT and IO as the first interval's records
 * and EXTRA spliced in at the top level.
 */
static char *doc(const char *hist, const char *uexit, const char *io, const char *extra)
{
	char *out;

	if (asprintf(&out,
		     "{\"format\":\"vmexitprof-dump\",\"version\":2,\"interval_ns\":100000000,"
		     "\"duration_ns\":200000000,\"vmm_time_source\":\"usdt\",\"kvm_exit_fired\":true,"
		     "\"ports\":true,\"mmio\":false,\"bucket_lower_ns\":[%s],"
		     "\"vms\":[{\"pid\":42,\"start_ticks\":7,\"name\":\"web1\",\"exited\":true}],"
		     "\"vmx_reasons\":[{\"code\":10,\"name\":\"CPUID\"}],"
		     "\"svm_reasons\":[{\"code\":114,\"name\":\"cpuid\"},{\"code\":-1,\"name\":\"err\"}],"
		     "\"kvm_exit_reasons\":[{\"code\":2,\"name\":\"IO\"}],"
		     "\"intervals\":[{\"start_ns\":0,\"end_ns\":100,\"counters\":{\"exits\":5,"
		     "\"entries\":5,\"paired\":5,\"entry_without_exit\":0,\"exit_overwritten\":0,"
		     "\"hist_full\":0,\"hist_alloc_failed\":0,\"userspace_exits\":2,"
		     "\"userspace_exits_dropped\":0,\"vmm_intervals\":2,\"io_dropped\":0,"
		     "\"vmm_intervals_dropped\":0},\"hists\":[%s],\"userspace\":[%s],\"io\":[%s]},"
		     "{\"start_ns\":100,\"end_ns\":200,\"counters\":{\"exits\":1,\"entries\":1,"
		     "\"paired\":1,\"entry_without_exit\":0,\"exit_overwritten\":0,\"hist_full\":0,"
		     "\"hist_alloc_failed\":0,\"userspace_exits\":0,\"userspace_exits_dropped\":0,"
		     "\"vmm_intervals\":0,\"io_dropped\":0,\"vmm_intervals_dropped\":0},"
		     "\"hists\":[],\"userspace\":[],\"io\":[]}]%s}",
		     bounds, hist, uexit, io, extra) < 0)
		abort();
	return out;
}

#define HIST "{\"pid\":42,\"start_ticks\":7,\"vcpu\":1,\"isa\":2,\"reason\":114,\"flags\":0," \
	     "\"count\":5,\"sum_ns\":5000,\"min_ns\":900,\"max_ns\":1100,\"to_userspace\":0," \
	     "\"sum_sq_lo\":5040000,\"sum_sq_hi\":3,\"buckets\":[[150,2],[153,3]]}"
#define HIST_NULL_VCPU "{\"pid\":42,\"start_ticks\":7,\"vcpu\":null,\"isa\":3,\"reason\":2," \
	     "\"flags\":0,\"count\":1,\"sum_ns\":4000,\"min_ns\":4000,\"max_ns\":4000," \
	     "\"to_userspace\":0,\"buckets\":[[250,1]]}"
#define UEXIT "{\"pid\":42,\"start_ticks\":7,\"vcpu\":1,\"reason\":4,\"flags\":1,\"count\":2}"
#define IO "{\"pid\":42,\"start_ticks\":7,\"kind\":0,\"dir\":1,\"size\":1,\"addr\":24576," \
	   "\"count\":2,\"to_userspace\":2,\"handled\":2,\"handled_sum_ns\":50," \
	   "\"handled_min_ns\":20,\"handled_max_ns\":30}"

static int read_doc(const char *text, struct run *run, struct reason_table *names, char *err,
		    size_t errlen)
{
	memset(names, 0, sizeof(*names));
	err[0] = 0;
	return dump_read(text, strlen(text), run, names, err, errlen);
}

static void test_good(void)
{
	char *text = doc(HIST "," HIST_NULL_VCPU, UEXIT, IO, "");
	struct reason_table names;
	struct run run;
	char err[256];

	SECTION("a good dump reads back every field");
	if (!CHECK(!read_doc(text, &run, &names, err, sizeof(err)), "rejected: %s", err)) {
		free(text);
		return;
	}
	CHECK_EQ_U64(run.interval_ns, 100000000, "interval_ns");
	CHECK_EQ_U64(run.duration_ns, 200000000, "duration_ns");
	CHECK_STR(run.vmm_time_source, "usdt", "vmm_time_source");
	CHECK(run.kvm_exit_fired && run.ports && !run.mmio, "the three flags");
	CHECK(run.nr_vms == 1 && run.vms[0].pid == 42 && run.vms[0].start == 7 &&
	      run.vms[0].exited && !strcmp(run.vms[0].name, "web1"), "the VM");
	CHECK(names.nr_vmx == 1 && names.nr_svm == 2 && names.nr_kvm_exit == 1 &&
	      names.svm[1].code == -1, "the name tables");
	CHECK_EQ_U64(run.nr_intervals, 2, "intervals");
	if (run.nr_intervals == 2 && run.intervals[0].nr_hists == 2) {
		const struct interval *iv = &run.intervals[0];
		const struct sparse_hist *h = &iv->hists[0];

		CHECK_EQ_U64(iv->counters[CNT_USERSPACE_EXITS], 2, "a counter by name");
		CHECK(h->key.pid == 42 && h->key.vm_start == 7 && h->key.vcpu == 1 &&
		      h->key.isa == ISA_SVM && h->key.reason == 114, "hist key");
		CHECK(h->count == 5 && h->sum_ns == 5000 && h->min_ns == 900 && h->max_ns == 1100,
		      "hist values");
		CHECK(h->sum_sq_lo == 5040000 && h->sum_sq_hi == 3, "sums of squares");
		CHECK(!iv->hists[1].sum_sq_lo && !iv->hists[1].sum_sq_hi, "no squares: 0");
		CHECK(h->nr_buckets == 2 && h->buckets[1].bucket == 153 && h->buckets[1].count == 3,
		      "buckets");
		CHECK_EQ_U64(iv->hists[1].key.vcpu, VCPU_UNKNOWN, "vcpu null is unknown");
		CHECK(iv->nr_uexits == 1 && iv->uexits[0].key.flags == UEXIT_FLAG_ERRNO &&
		      iv->uexits[0].count == 2, "userspace");
		CHECK(iv->nr_io == 1 && iv->io[0].key.addr == 24576 && iv->io[0].key.dir == IO_DIR_WRITE &&
		      iv->io[0].st.handled_max_ns == 30, "io");
	}
	run_free(&run);
	reasons_free(&names);
	free(text);
}

/* run written by dump_write_json, then read back into run2: 0, or non-zero with err set. */
static int write_and_read_back(const struct run *run, const struct reason_table *names,
			       struct run *run2, struct reason_table *names2, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	if (!f) {
		snprintf(err, errlen, "open_memstream failed");
		return 1;
	}
	dump_write_json(f, run, names);
	fclose(f);
	r = read_doc(text, run2, names2, err, errlen);
	free(text);
	return r;
}

/* Written by dump_write_json and read back: the same run. */
static void test_round_trip(void)
{
	char *text = doc(HIST "," HIST_NULL_VCPU, UEXIT, IO, ""), err[256];
	struct reason_table names, names2;
	struct run run, run2;

	SECTION("a dump written back and read again is the same run");
	if (!CHECK(!read_doc(text, &run, &names, err, sizeof(err)), "rejected: %s", err))
		goto out;
	if (CHECK(!write_and_read_back(&run, &names, &run2, &names2, err, sizeof(err)),
		  "its own output rejected: %s", err)) {
		CHECK(run2.nr_intervals == run.nr_intervals && run2.nr_vms == run.nr_vms &&
		      run2.interval_ns == run.interval_ns && !strcmp(run2.vms[0].name, run.vms[0].name),
		      "run fields");
		for (size_t i = 0; i < run.nr_intervals && i < run2.nr_intervals; i++) {
			const struct interval *a = &run.intervals[i], *b = &run2.intervals[i];

			CHECK(!memcmp(a->counters, b->counters, sizeof(a->counters)) &&
			      a->nr_hists == b->nr_hists && a->nr_uexits == b->nr_uexits &&
			      a->nr_io == b->nr_io, "interval %zu: sizes and counters", i);
			for (size_t h = 0; h < a->nr_hists && h < b->nr_hists; h++)
				CHECK(!memcmp(&a->hists[h].key, &b->hists[h].key, sizeof(a->hists[h].key)) &&
				      a->hists[h].count == b->hists[h].count &&
				      a->hists[h].max_ns == b->hists[h].max_ns &&
				      a->hists[h].sum_sq_lo == b->hists[h].sum_sq_lo &&
				      a->hists[h].sum_sq_hi == b->hists[h].sum_sq_hi &&
				      a->hists[h].nr_buckets == b->hists[h].nr_buckets &&
				      !memcmp(a->hists[h].buckets, b->hists[h].buckets,
					      a->hists[h].nr_buckets * sizeof(*a->hists[h].buckets)),
				      "interval %zu hist %zu", i, h);
			for (size_t u = 0; u < a->nr_uexits && u < b->nr_uexits; u++)
				CHECK(!memcmp(&a->uexits[u], &b->uexits[u], sizeof(a->uexits[u])),
				      "interval %zu userspace %zu", i, u);
			for (size_t u = 0; u < a->nr_io && u < b->nr_io; u++)
				CHECK(!memcmp(&a->io[u], &b->io[u], sizeof(a->io[u])), "interval %zu io %zu", i, u);
		}
		run_free(&run2);
		reasons_free(&names2);
	}
	run_free(&run);
	reasons_free(&names);
out:
	free(text);
}

/* A slow exit of each ISA a kvm_exit can have (arm64's too) is written and read back. */
static void test_outlier_isas(void)
{
	static const __u16 isas[] = { ISA_VMX, ISA_SVM, ISA_ARM64 };
	char *text = doc(HIST, UEXIT, IO, ""), err[256];
	struct reason_table names, names2;
	struct run run, run2;

	SECTION("slow exits of every ISA survive a dump's round trip");
	if (!CHECK(!read_doc(text, &run, &names, err, sizeof(err)), "rejected: %s", err))
		goto out;
	run.slower_than_ns = 1000;
	run.outliers = calloc(ARRAY_SIZE(isas), sizeof(*run.outliers));
	run.nr_outliers = run.outliers ? ARRAY_SIZE(isas) : 0;
	for (size_t i = 0; i < run.nr_outliers; i++) {
		run.outliers[i].ev.pid = run.vms[0].pid;
		run.outliers[i].ev.vm_start = run.vms[0].start;
		run.outliers[i].ev.vcpu = 0;
		run.outliers[i].ev.vcpu_id = 0;
		run.outliers[i].ev.isa = isas[i];
		run.outliers[i].ev.duration_ns = 2000;
	}
	if (CHECK(!write_and_read_back(&run, &names, &run2, &names2, err, sizeof(err)),
		  "its own output rejected: %s", err)) {
		CHECK(run2.nr_outliers == ARRAY_SIZE(isas), "%zu slow exits read back", run2.nr_outliers);
		for (size_t i = 0; i < run2.nr_outliers && i < ARRAY_SIZE(isas); i++)
			CHECK(run2.outliers[i].ev.isa == isas[i], "slow exit %zu: isa %u", i,
			      run2.outliers[i].ev.isa);
		run_free(&run2);
		reasons_free(&names2);
	}
	run_free(&run);
	reasons_free(&names);
out:
	free(text);
}

struct bad_case {
	const char *why;
	char *text;		/* the document */
	const char *error;	/* what the error must contain */
};

/* The good document with one string replaced. */
static char *with(const char *from, const char *to)
{
	char *text = doc(HIST, UEXIT, IO, ""), *at = strstr(text, from), *out;

	if (!at)
		abort();
	if (asprintf(&out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from)) < 0)
		abort();
	free(text);
	return out;
}

static void test_bad(void)
{
	char deep[200];
	struct bad_case cases[] = {
		{ "empty", strdup(""), "not valid JSON (truncated or corrupt?): unexpected end of input" },
		{ "cut off", NULL, "unexpected end of input" },
		{ "not JSON", strdup("{\"format\": vmexitprof}"), "line 1, column 12" },
		{ "second line", strdup("{\n  \"a\": tru }"), "line 2, column 11: boolean expected" },
		{ "trailing garbage", NULL, "not valid JSON" },
		{ "trailing comma", strdup("[1,]"), "not valid JSON" },
		{ "invalid UTF-8", strdup("\"\xff\""), "not valid JSON" },
		{ "too deep", deep, "not valid JSON" },
		{ "not ours", strdup("{\"format\":\"other\"}"), "not a vmexitprof dump" },
		{ "a bare number", strdup("12"), "not a vmexitprof dump" },
		{ "wrong version", with("\"version\":2", "\"version\":3"), "dump version 3; this vmexitprof reads version 2" },
		{ "version 1", with("\"version\":2", "\"version\":1"), "dump version 1, from a vmexitprof whose histograms stopped at 68.7 s" },
		{ "missing field", with("\"duration_ns\":200000000,", ""), "\"duration_ns\" is missing" },
		{ "negative", with("\"interval_ns\":100000000", "\"interval_ns\":-1"), "\"interval_ns\" must be an integer" },
		{ "a double", with("\"interval_ns\":100000000", "\"interval_ns\":1e8"), "\"interval_ns\" must be an integer" },
		{ "past 2^64: json-c clamps it, we refuse", with("\"duration_ns\":200000000", "\"duration_ns\":18446744073709551616"), "\"duration_ns\" must be an integer" },
		{ "a bool as a number", with("\"ports\":true", "\"ports\":1"), "\"ports\" must be true or false" },
		{ "unknown clock", with("\"usdt\"", "\"tsc\""), "\"vmm_time_source\" 'tsc' is not usdt" },
		{ "other buckets", with("\"bucket_lower_ns\":[0,", "\"bucket_lower_ns\":[1,"), "bucket_lower_ns[0] differs" },
		{ "VM twice", with("\"exited\":true}]", "\"exited\":true},{\"pid\":42,\"start_ticks\":7,\"name\":\"b\",\"exited\":false}]"), "vms[1]: pid 42 (start 7) is listed twice" },
		{ "control character in a name", with("\"web1\"", "\"web\\u001b1\""), "vms[0]: \"name\" holds control characters" },
		{ "empty name", with("\"web1\"", "\"\""), "vms[0]: \"name\" must be a string of 1 to 127" },
		{ "NUL in a name", with("\"web1\"", "\"we\\u0000b\""), "vms[0]: \"name\" must be a string" },
		{ "reason code", with("{\"code\":-1,", "{\"code\":-2,"), "svm_reasons[1]: \"code\" must be an integer from -1" },
		{ "no intervals", with("\"intervals\":[{\"start_ns\":0", "\"intervals\":[],\"x\":[{\"start_ns\":0"), "no intervals" },
		{ "time goes back", with("{\"start_ns\":100,", "{\"start_ns\":99,"), "intervals[1]: \"start_ns\" must be an integer from 100" },
		{ "counter missing", with("\"entries\":5,", ""), "intervals[0].counters: \"entries\" is missing" },
		{ "isa", with("\"isa\":2", "\"isa\":6"), "intervals[0].hists[0]: \"isa\" must be an integer from 1 to 5" },
		{ "vcpu as a string", with("\"vcpu\":1,\"isa\"", "\"vcpu\":\"1\",\"isa\""), "intervals[0].hists[0]: \"vcpu\" must be an integer" },
		{ "max below min", with("\"max_ns\":1100", "\"max_ns\":899"), "intervals[0].hists[0]: \"max_ns\" must be an integer from 900" },
		{ "buckets out of order", with("[[150,2],[153,3]]", "[[153,2],[150,3]]"), "intervals[0].hists[0].buckets[1]: bucket 150 is out of order" },
		{ "bucket past the end", with("[[150,2],[153,3]]", "[[150,2],[610,3]]"), "buckets[1]: bucket 610 is out of order or past 609" },
		{ "buckets short of the count", with("[[150,2],[153,3]]", "[[150,2],[153,2]]"), "intervals[0].hists[0]: its buckets hold 4, its count says 5" },
		{ "bucket over the count", with("[[150,2],[153,3]]", "[[150,2],[153,4]]"), "buckets[1]: count 4 does not fit the histogram's count 5" },
		{ "bucket not a pair", with("[[150,2],[153,3]]", "[[150,2],[153]]"), "buckets[1]: must be [bucket, count]" },
		{ "errno flag", with("\"flags\":1", "\"flags\":2"), "intervals[0].userspace[0]: \"flags\" must be an integer from 0 to 1" },
		{ "io kind", with("\"kind\":0", "\"kind\":4"), "intervals[0].io[0]: \"kind\" must be an integer from 0 to 3" },
		{ "io max below min", with("\"handled_max_ns\":30", "\"handled_max_ns\":19"), "intervals[0].io[0]: \"handled_max_ns\" must be an integer from 20" },
		{ "a record not an object", with(UEXIT, "7"), "intervals[0].userspace[0]: must be an object" },
	};
	struct reason_table names;
	struct run run;
	char err[256];
	char *good = doc(HIST, UEXIT, IO, "");

	/* Deeper than json-c's limit of 32. */
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = 0;
	cases[1].text = strndup(good, strlen(good) / 2);
	if (asprintf(&cases[4].text, "%s x", good) < 0)
		abort();
	SECTION("bad dumps: refused with one line that says what and where");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = read_doc(cases[i].text, &run, &names, err, sizeof(err));

		if (CHECK(rc == -1, "%s: accepted", cases[i].why)) {
			CHECK(strstr(err, cases[i].error) != NULL, "%s: error '%s', expected '%s'",
			      cases[i].why, err, cases[i].error);
			CHECK(!strchr(err, '\n'), "%s: more than one line: '%s'", cases[i].why, err);
		} else {
			run_free(&run);
			reasons_free(&names);
		}
		if (cases[i].text != deep)
			free(cases[i].text);
	}
	free(good);
}

int main(void)
{
	make_bounds();
	test_good();
	test_round_trip();
	test_outlier_isas();
	test_bad();
	return check_done();
}
