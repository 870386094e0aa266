// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots and intervals (src/snapshot.c): a histogram read half-updated
 * (count ahead of its bucket) must not split an interval, and intervals
 * must add up to the run; and names (src/util.c) are made safe to print.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "snapshot.h"
#include "summary.h"
#include "util.h"

static struct hist *hist_with(__u64 count, const __u32 *buckets, const __u64 *n, int nr)
{
	struct hist *h = calloc(1, sizeof(*h));

	h->count = count;
	for (int i = 0; i < nr; i++) {
		h->buckets[buckets[i]] = n[i];
		h->sum_ns += n[i] * hist_bucket_lower(buckets[i]);
	}
	h->min_ns = hist_bucket_lower(buckets[0]);
	h->max_ns = hist_bucket_lower(buckets[nr - 1]);
	return h;
}

static void test_torn_reads(void)
{
	const struct hist_key key = { .pid = 7, .vcpu = 1, .reason = 0x72, .isa = ISA_SVM };
	static const __u32 b[] = { 100, 120 };
	static const __u64 first[] = { 4, 0 }, second[] = { 5, 3 }, third[] = { 6, 3 };
	struct snapshot s0 = {}, s1 = {}, s2 = {}, s3 = {}, empty = {};
	struct interval iv[3], all;
	struct summary rep = {};
	struct run run = {};
	struct hist *h;
	__u64 sum = 0;

	SECTION("a torn read (count ahead of its bucket) does not split an interval");
	/* Read 1: count says 5, the fifth sample's bucket not written yet. */
	h = hist_with(5, b, first, 2);
	snapshot_add_hist(&s1, &key, h);
	free(h);
	CHECK_EQ_U64(s1.hists[0].h.count, 4, "snapshot count is the buckets' sum");
	/* Read 2: consistent, 8. Read 3: count 8 again, one more in a bucket. */
	h = hist_with(8, b, second, 2);
	snapshot_add_hist(&s2, &key, h);
	free(h);
	h = hist_with(8, b, third, 2);
	snapshot_add_hist(&s3, &key, h);
	free(h);
	CHECK(!snapshot_diff(&s1, &s0, &iv[0]) && !snapshot_diff(&s2, &s1, &iv[1]) &&
	      !snapshot_diff(&s3, &s2, &iv[2]), "diffs");
	for (int i = 0; i < 3; i++) {
		__u64 in_buckets = 0;

		CHECK_EQ_U64(iv[i].nr_hists, 1, "interval %d has the key", i);
		for (__u32 k = 0; k < iv[i].hists[0].nr_buckets; k++)
			in_buckets += iv[i].hists[0].buckets[k].count;
		CHECK_EQ_U64(iv[i].hists[0].count, in_buckets, "interval %d: count = its buckets", i);
		sum += iv[i].hists[0].count;
	}
	CHECK_EQ_U64(sum, 9, "intervals add up to the last read");
	CHECK(!snapshot_diff(&s3, &empty, &all) && all.hists[0].count == 9, "the whole run: 9");
	run.intervals = iv;
	run.nr_intervals = 3;
	CHECK(!summary_of_run(&run, 0, 3, &rep), "the three intervals summed");
	CHECK(rep.nr_vms == 1 && rep.vms[0].reasons.nr == 1, "one VM, one reason");
	if (rep.nr_vms == 1 && rep.vms[0].reasons.nr == 1) {
		const struct hist *t = &rep.vms[0].reasons.rows[0].h;

		CHECK_EQ_U64(t->count, all.hists[0].count, "merged intervals: count");
		CHECK_EQ_U64(t->sum_ns, all.hists[0].sum_ns, "merged intervals: sum");
		CHECK_EQ_U64(t->min_ns, all.hists[0].min_ns, "merged intervals: min");
		CHECK_EQ_U64(t->max_ns, all.hists[0].max_ns, "merged intervals: max");
	}
	summary_free(&rep);
	for (int i = 0; i < 3; i++)
		interval_free(&iv[i]);
	interval_free(&all);
	snapshot_free(&s1);
	snapshot_free(&s2);
	snapshot_free(&s3);
}

/*
 * The other torn reads: hist_add() stores min and max, adds count, sum and
 * to_userspace, and only then the bucket, so a read can see any of them
 * ahead of the buckets. Each field's intervals must add up to its last
 * value (none lost, none invented), and an interval's min and max must lie
 * within the buckets it counts.
 */
static void test_torn_fields(void)
{
	const struct hist_key key = { .pid = 7, .vcpu = 1, .reason = 0x72, .isa = ISA_SVM };
	struct snapshot snaps[4] = {}, empty = {};
	struct interval iv[3];
	struct hist h = {};
	const __u32 b_fast = 100, b_slow = 200;
	const __u64 fast = hist_bucket_lower(b_fast), slow = hist_bucket_lower(b_slow) + 7;
	const __u64 faster = hist_bucket_lower(b_fast - 1) + 1;	/* a new minimum, a bucket lower */
	__u64 count = 0, sum = 0, to_userspace = 0;

	SECTION("torn reads lose or invent no field; interval min/max lie in its counted buckets");
	/* Read 0: three fast samples, consistent. */
	h.count = 3, h.sum_ns = 3 * fast, h.min_ns = fast, h.max_ns = fast, h.buckets[b_fast] = 3;
	snapshot_add_hist(&snaps[0], &key, &h);
	/* Read 1: a slow sample, to userspace, half written: max, count, sum and to_userspace, no bucket. */
	h.max_ns = slow, h.count = 4, h.sum_ns += slow, h.to_userspace = 1;
	snapshot_add_hist(&snaps[1], &key, &h);
	/* Read 2: its bucket is in; and a faster one has stored its min and nothing else. */
	h.buckets[b_slow] = 1, h.min_ns = faster;
	snapshot_add_hist(&snaps[2], &key, &h);
	/* Read 3: that one is whole. */
	h.count = 5, h.sum_ns += faster, h.buckets[b_fast - 1] = 1;
	snapshot_add_hist(&snaps[3], &key, &h);
	for (int i = 0; i < 3; i++) {
		const struct sparse_hist *x;

		if (!CHECK(!snapshot_diff(&snaps[i + 1], &snaps[i], &iv[i]), "diff %d", i))
			return;
		if (!iv[i].nr_hists)
			continue;
		x = &iv[i].hists[0];
		count += x->count;
		sum += x->sum_ns;
		to_userspace += x->to_userspace;
		if (x->count) {
			__u64 lo = hist_bucket_lower(x->buckets[0].bucket);
			__u64 hi = hist_bucket_lower(x->buckets[x->nr_buckets - 1].bucket + 1) - 1;

			CHECK(x->min_ns >= lo && x->min_ns <= hi, "interval %d: min %llu outside [%llu, %llu]",
			      i, (unsigned long long)x->min_ns, (unsigned long long)lo, (unsigned long long)hi);
			CHECK(x->max_ns >= lo && x->max_ns <= hi, "interval %d: max %llu outside [%llu, %llu]",
			      i, (unsigned long long)x->max_ns, (unsigned long long)lo, (unsigned long long)hi);
		}
	}
	CHECK_EQ_U64(count, 2, "counts add up");
	CHECK_EQ_U64(sum, slow + faster, "sums add up (none lost when the buckets did not move)");
	CHECK_EQ_U64(to_userspace, 1, "to_userspace adds up");
	{
		/* The intervals summed, as 'report FILE' does, against the last read, as the live total. */
		struct interval all[4];
		struct run run = { .intervals = all, .nr_intervals = 4 };
		struct summary a = {};

		CHECK(!snapshot_diff(&snaps[0], &empty, &all[0]), "first read");
		memcpy(&all[1], iv, sizeof(iv));
		if (CHECK(!summary_of_run(&run, 0, 4, &a) && a.nr_vms == 1 && a.vms[0].reasons.nr == 1,
			  "summary of the intervals")) {
			const struct hist *t = &a.vms[0].reasons.rows[0].h;

			CHECK(t->count == 5 && t->sum_ns == h.sum_ns && t->to_userspace == 1,
			      "intervals summed: count %llu sum %llu to_userspace %llu, the read says 5 %llu 1",
			      (unsigned long long)t->count, (unsigned long long)t->sum_ns,
			      (unsigned long long)t->to_userspace, (unsigned long long)h.sum_ns);
			CHECK(t->min_ns == faster && t->max_ns == slow, "min %llu max %llu, exact",
			      (unsigned long long)t->min_ns, (unsigned long long)t->max_ns);
		}
		summary_free(&a);
		interval_free(&all[0]);
	}
	for (int i = 0; i < 3; i++)
		interval_free(&iv[i]);
	for (int i = 0; i < 4; i++)
		snapshot_free(&snaps[i]);
}

/* A key added twice (moved out of the maps, then read there again) is one entry after the sort. */
static void test_merge_equal_keys(void)
{
	const struct hist_key a = { .pid = 7, .reason = 1, .isa = ISA_SVM }, b = { .pid = 7, .reason = 2, .isa = ISA_SVM };
	const struct uexit_key u = { .pid = 7, .reason = 2 };
	const struct io_key io = { .pid = 7, .addr = 0x70 };
	const struct io_stats st = { .count = 3, .handled = 1, .handled_sum_ns = 10, .handled_min_ns = 10,
				     .handled_max_ns = 10 };
	static const __u32 bk[] = { 100 };
	static const __u64 n1[] = { 2 }, n2[] = { 5 };
	struct hist *h1 = hist_with(2, bk, n1, 1), *h2 = hist_with(5, bk, n2, 1);
	struct snapshot s = {};

	SECTION("snapshot_sort merges entries added twice under one key");
	snapshot_add_hist(&s, &b, h1);
	snapshot_add_hist(&s, &a, h1);
	snapshot_add_hist(&s, &b, h2);
	snapshot_add_hist(&s, &b, h1);
	snapshot_add_uexit(&s, &u, 4);
	snapshot_add_uexit(&s, &u, 6);
	snapshot_add_io(&s, &io, &st);
	snapshot_add_io(&s, &io, &st);
	snapshot_sort(&s);
	CHECK_EQ_U64(s.nr_hists, 2, "two keys");
	if (s.nr_hists == 2) {
		CHECK(s.hists[0].key.reason == 1 && s.hists[0].h.count == 2, "a, once");
		CHECK(s.hists[1].key.reason == 2 && s.hists[1].h.count == 9 &&
		      s.hists[1].h.buckets[100] == 9, "b, merged from three");
	}
	CHECK(s.nr_uexits == 1 && s.uexits[0].count == 10, "returns to userspace merged");
	CHECK(s.nr_io == 1 && s.io[0].st.count == 6 && s.io[0].st.handled == 2, "io merged");
	snapshot_free(&s);
	free(h1);
	free(h2);
}

static void test_names(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "rigvm", "rigvm" },
		{ "testvmm-\xc3\xa9\xc3\xa9", "testvmm-\xc3\xa9\xc3\xa9" },	/* é é */
		{ "cut-\xc3", "cut-?" },			/* comm cut mid-character */
		{ "esc\x1b[31mred", "esc?[31mred" },
		{ "new\nline\x7f", "new?line?" },
		{ "c1-\xc2\x9b", "c1-??" },			/* U+009B, a C1 CSI */
		{ "overlong-\xc0\xaf", "overlong-??" },
		{ "surrogate-\xed\xa0\x80", "surrogate-???" },
		{ "past-\xf4\x90\x80\x80", "past-????" },
		{ "emoji-\xf0\x9f\x98\x80", "emoji-\xf0\x9f\x98\x80" },
		{ "", "" },
	};

	SECTION("names: invalid UTF-8 and control characters become '?'");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		name_sanitize(buf);
		CHECK_STR(buf, cases[i].out, "case %zu", i);
	}
}

/*
 * The 128-bit sum of squares through -I: intervals' differences (with a
 * borrow from the low word) merged back give the run's sums, and each
 * interval's standard deviation is its own samples'.
 */
static void test_sum_sq_intervals(void)
{
	const struct hist_key key = { .pid = 9, .vcpu = 0, .reason = 0x78, .isa = ISA_SVM };
	/*
	 * Two exits of 2^32 - 1 ns, their squares' low words near 2^64, then
	 * 2^32 + 5 and + 9: the running low word wraps in the second interval,
	 * so its difference borrows from the high word.
	 */
	static const __u64 lat[] = { (1ULL << 32) - 1, (1ULL << 32) - 1, (1ULL << 32) + 5, (1ULL << 32) + 9 };
	const unsigned __int128 second = (unsigned __int128)lat[2] * lat[2] + (unsigned __int128)lat[3] * lat[3];
	struct snapshot snaps[3] = {}, empty = {};
	struct interval iv[2];
	struct summary rep = {};
	struct run run = {};
	struct hist h = {};
	unsigned __int128 sq = 0;

	SECTION("sums of squares: 128-bit interval differences add back up; each interval's stddev");
	snapshot_add_hist(&snaps[0], &key, &h);
	for (int i = 0; i < 4; i++) {
		sq += (unsigned __int128)lat[i] * lat[i];
		h.count++;
		h.sum_ns += lat[i];
		h.buckets[hist_bucket(lat[i])]++;
		h.min_ns = h.min_ns && h.min_ns < lat[i] ? h.min_ns : lat[i];
		h.max_ns = h.max_ns > lat[i] ? h.max_ns : lat[i];
		h.sum_sq_lo = (__u64)sq;
		h.sum_sq_hi = (__u64)(sq >> 64);
		if (i == 1 || i == 3)
			snapshot_add_hist(&snaps[i / 2 + 1], &key, &h);
	}
	CHECK(!snapshot_diff(&snaps[1], &snaps[0], &iv[0]) && !snapshot_diff(&snaps[2], &snaps[1], &iv[1]),
	      "diffs");
	CHECK(snaps[2].hists[0].h.sum_sq_lo < snaps[1].hists[0].h.sum_sq_lo, "the low word wrapped");
	CHECK(iv[1].hists[0].sum_sq_lo == (__u64)second && iv[1].hists[0].sum_sq_hi == (__u64)(second >> 64),
	      "second interval: only its own two squares (borrow)");
	CHECK(stddev_of_sums(iv[0].hists[0].count, iv[0].hists[0].sum_ns, iv[0].hists[0].sum_sq_lo,
			     iv[0].hists[0].sum_sq_hi) == 0, "first interval: two equal halts, stddev 0");
	CHECK(fabs(stddev_of_sums(iv[1].hists[0].count, iv[1].hists[0].sum_ns, iv[1].hists[0].sum_sq_lo,
				  iv[1].hists[0].sum_sq_hi) - sqrt(8)) < 1e-6,
	      "second interval: 2^32 + 5 and + 9, stddev sqrt(8)");
	run.intervals = iv;
	run.nr_intervals = 2;
	CHECK(!summary_of_run(&run, 0, 2, &rep) && rep.nr_vms == 1 && rep.vms[0].reasons.nr == 1,
	      "summed");
	if (rep.nr_vms == 1 && rep.vms[0].reasons.nr == 1) {
		CHECK_EQ_U64(rep.vms[0].reasons.rows[0].h.sum_sq_lo, (__u64)sq, "merged: low word");
		CHECK_EQ_U64(rep.vms[0].reasons.rows[0].h.sum_sq_hi, (__u64)(sq >> 64), "merged: high word");
	}
	summary_free(&rep);
	for (int i = 0; i < 2; i++)
		interval_free(&iv[i]);
	for (int i = 0; i < 3; i++)
		snapshot_free(&snaps[i]);
	snapshot_free(&empty);
}

int main(void)
{
	test_sum_sq_intervals();
	test_torn_reads();
	test_torn_fields();
	test_merge_equal_keys();
	test_names();
	return check_done();
}
