// SPDX-License-Identifier: GPL-2.0
/*
 * include/hist.h bucket math against a reference computed another way,
 * src/hist.c (hist_merge, hist_percentile) against exact percentiles of
 * known samples, and format_ns from src/util.c.
 */
#include <linux/types.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "util.h"
#include "vmexitprof.h"
#include "check.h"

#define NR_QUANTILES 4
static const double quantiles[NR_QUANTILES] = { 0.5, 0.9, 0.99, 0.999 };
/* Per mille, for the exact rank in integers: q = permille / 1000. */
static const unsigned int permille[NR_QUANTILES] = { 500, 900, 990, 999 };

/* ---- the reference ----------------------------------------------------- */

/*
 * The bucket of v from the layout's definition, without hist.h's code:
 * frexp() gives the exponent, and the sub-bucket is which sixteenth of
 * [2^e, 2^(e+1)) v falls in. Exact in doubles for v < 2^53; above that
 * every value is an overflow anyway (rounding can only go up).
 */
static unsigned int ref_bucket(__u64 v)
{
	double m;
	int e;

	if (v < 16)
		return 0;
	m = frexp((double)v, &e);	/* v = m * 2^e, m in [0.5, 1) */
	e -= 1;				/* v = (2m) * 2^e, 2m in [1, 2) */
	if (e >= 42)
		return 1 + (42 - 4) * 16;
	return 1 + (e - 4) * 16 + (unsigned int)floor((2 * m - 1) * 16);
}

/* The lower bound of bucket b, from its definition, in doubles. */
static double ref_lower(unsigned int b)
{
	if (b == 0)
		return 0;
	if (b >= 1 + (42 - 4) * 16)
		return ldexp(1, 42);
	b -= 1;
	return ldexp(1 + (b % 16) / 16.0, 4 + b / 16);
}

/* floor(log2(v)) by counting shifts. */
static unsigned int ref_log2(__u64 v)
{
	unsigned int r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* Accumulate one sample the way bpf/exit_entry.bpf.h does. */
static void hist_add(struct hist *h, __u64 v)
{
	__u32 b = hist_bucket(v);

	if (b >= HIST_NR_BUCKETS) {
		CHECK(0, "hist_bucket(%llu) = %u is past the last bucket", (unsigned long long)v, b);
		return;
	}
	if (!h->count || v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	h->count++;
	h->sum_ns += v;
	h->buckets[b]++;
	{
		unsigned __int128 sq = ((unsigned __int128)h->sum_sq_hi << 64 | h->sum_sq_lo) +
				       (unsigned __int128)v * v;

		h->sum_sq_lo = (__u64)sq;
		h->sum_sq_hi = (__u64)(sq >> 64);
	}
}

/* ---- the value set ------------------------------------------------------ */

static __u64 *values;
static size_t nr_values, cap_values;

static void add_value(__u64 v)
{
	if (nr_values == cap_values) {
		cap_values = cap_values ? 2 * cap_values : 1 << 16;
		values = realloc(values, cap_values * sizeof(*values));
		if (!values) {
			perror("realloc");
			exit(2);
		}
	}
	values[nr_values++] = v;
}

static void build_values(void)
{
	for (__u64 v = 0; v <= 70000; v++)
		add_value(v);
	for (int k = 0; k < 64; k++) {
		__u64 p = 1ULL << k;

		add_value(p - 1);
		add_value(p);
		add_value(p + 1);
		/* The sub-bucket edges just around each power: p + j * p/16. */
		if (k >= 4)
			for (int j = 1; j < 16; j++) {
				add_value(p + j * (p >> 4) - 1);
				add_value(p + j * (p >> 4));
			}
	}
	add_value(UINT64_MAX);
	add_value(UINT64_MAX - 1);
	rng_seed(20240611);
	for (int i = 0; i < 1000000; i++) {
		/* Log-uniform: a random exponent, then random bits below it. */
		unsigned int e = rng_u64() % 45;
		__u64 v = (1ULL << e) | (rng_u64() & ((1ULL << e) - 1));

		add_value(v);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* ---- bucket math -------------------------------------------------------- */

static void test_constants(void)
{
	SECTION("layout constants: 16 sub-buckets, 16 ns to 2^42 ns (73.3 min), 610 buckets");
	CHECK_EQ_U64(HIST_SUB, 16, "HIST_SUB");
	CHECK_EQ_U64(HIST_OVERFLOW, 1 + 38 * 16, "HIST_OVERFLOW");
	CHECK_EQ_U64(HIST_OVERFLOW_NS, 1ULL << 42, "HIST_OVERFLOW_NS");
	CHECK_EQ_U64(HIST_NR_BUCKETS, HIST_OVERFLOW + 1, "HIST_NR_BUCKETS");
	CHECK_EQ_U64(sizeof(((struct hist *)0)->buckets) / sizeof(__u64), HIST_NR_BUCKETS,
		     "struct hist has one slot per bucket");
}

static void test_log2(void)
{
	SECTION("hist_log2 = floor(log2 v) for every value in the set and 2^k-1, 2^k, 2^k+1 to 2^63");
	for (size_t i = 0; i < nr_values; i++) {
		__u64 v = values[i];

		if (!v)
			continue;
		if (!CHECK(hist_log2(v) == ref_log2(v), "hist_log2(%llu) = %u, expected %u",
			   (unsigned long long)v, hist_log2(v), ref_log2(v)))
			break;
	}
	for (int k = 0; k < 64; k++) {
		__u64 p = 1ULL << k;

		CHECK_EQ_U64(hist_log2(p), k, "hist_log2(2^%d)", k);
		if (k > 1)
			CHECK_EQ_U64(hist_log2(p - 1), k - 1, "hist_log2(2^%d - 1)", k);
		if (k > 0)
			CHECK_EQ_U64(hist_log2(p + 1), k, "hist_log2(2^%d + 1)", k);
	}
	CHECK_EQ_U64(hist_log2(UINT64_MAX), 63, "hist_log2(UINT64_MAX)");
}

static void test_bucket_vs_reference(void)
{
	unsigned long bad = 0;

	SECTION("hist_bucket = frexp()-based reference: 0..70000, powers of two +-1 and sub-bucket edges "
		"to 2^63, 10^6 seeded log-uniform values");
	for (size_t i = 0; i < nr_values; i++) {
		__u64 v = values[i];
		unsigned int got = hist_bucket(v), want = ref_bucket(v);

		if (!CHECK(got == want, "hist_bucket(%llu) = %u, reference %u", (unsigned long long)v,
			   got, want) && ++bad > 20)
			break;
	}
	/* Named edges, written out. */
	CHECK_EQ_U64(hist_bucket(0), 0, "hist_bucket(0)");
	CHECK_EQ_U64(hist_bucket(15), 0, "hist_bucket(15)");
	CHECK_EQ_U64(hist_bucket(16), 1, "hist_bucket(16)");
	CHECK_EQ_U64(hist_bucket(17), 2, "hist_bucket(17)");
	CHECK_EQ_U64(hist_bucket(31), 16, "hist_bucket(31)");
	CHECK_EQ_U64(hist_bucket(32), 17, "hist_bucket(32)");
	CHECK_EQ_U64(hist_bucket(33), 17, "hist_bucket(33)");
	CHECK_EQ_U64(hist_bucket(34), 18, "hist_bucket(34)");
	CHECK_EQ_U64(hist_bucket(HIST_OVERFLOW_NS - 1), HIST_OVERFLOW - 1, "hist_bucket(2^42 - 1)");
	CHECK_EQ_U64(hist_bucket(HIST_OVERFLOW_NS), HIST_OVERFLOW, "hist_bucket(2^42)");
	CHECK_EQ_U64(hist_bucket(UINT64_MAX), HIST_OVERFLOW, "hist_bucket(UINT64_MAX)");
}

static void test_lower_bounds(void)
{
	SECTION("hist_bucket_lower(b) = reference lower bound, is the first value of b, "
		"strictly increasing, width <= lower/16");
	for (unsigned int b = 0; b <= HIST_OVERFLOW; b++) {
		__u64 lo = hist_bucket_lower(b);

		CHECK((double)lo == ref_lower(b), "hist_bucket_lower(%u) = %llu, reference %.0f", b,
		      (unsigned long long)lo, ref_lower(b));
		CHECK_EQ_U64(hist_bucket(lo), b, "hist_bucket(hist_bucket_lower(%u))", b);
		if (b > 0)
			CHECK_EQ_U64(hist_bucket(lo - 1), b - 1, "hist_bucket(hist_bucket_lower(%u) - 1)", b);
		if (b < HIST_OVERFLOW) {
			__u64 hi = hist_bucket_lower(b + 1);

			CHECK(hi > lo, "bucket %u: lower %llu, next lower %llu", b,
			      (unsigned long long)lo, (unsigned long long)hi);
			CHECK_EQ_U64(hist_bucket(hi - 1), b, "hist_bucket(last value of bucket %u)", b);
			if (b > 0)
				CHECK((hi - lo) * 16 <= lo, "bucket %u [%llu, %llu) is wider than lower/16",
				      b, (unsigned long long)lo, (unsigned long long)hi);
			else
				CHECK_EQ_U64(hi, 16, "the underflow bucket ends at 16 ns");
		}
	}
	CHECK_EQ_U64(hist_bucket_lower(HIST_OVERFLOW), HIST_OVERFLOW_NS, "overflow starts at 2^42");
	CHECK_EQ_U64(hist_bucket_lower(HIST_OVERFLOW + 7), HIST_OVERFLOW_NS,
		     "buckets past the overflow clamp to it");
}

static void test_containment_and_monotonicity(void)
{
	__u64 *sorted = malloc(nr_values * sizeof(*sorted));
	unsigned long bad = 0;

	SECTION("lower(bucket(v)) <= v < lower(bucket(v) + 1); bucket(v) non-decreasing, "
		"steps of at most 1 over 0..70000");
	for (size_t i = 0; i < nr_values; i++) {
		__u64 v = values[i];
		unsigned int b = hist_bucket(v);
		int ok;

		ok = CHECK(b <= HIST_OVERFLOW, "hist_bucket(%llu) = %u is past the overflow",
			   (unsigned long long)v, b);
		ok &= CHECK(hist_bucket_lower(b) <= v, "v %llu below its bucket %u's lower %llu",
			    (unsigned long long)v, b, (unsigned long long)hist_bucket_lower(b));
		if (b < HIST_OVERFLOW)
			ok &= CHECK(v < hist_bucket_lower(b + 1),
				    "v %llu not below bucket %u's upper %llu", (unsigned long long)v,
				    b, (unsigned long long)hist_bucket_lower(b + 1));
		if (!ok && ++bad > 20)
			break;
	}
	if (!sorted) {
		CHECK(0, "out of memory");
		return;
	}
	memcpy(sorted, values, nr_values * sizeof(*sorted));
	qsort(sorted, nr_values, sizeof(*sorted), cmp_u64);
	bad = 0;
	for (size_t i = 1; i < nr_values; i++) {
		unsigned int a = hist_bucket(sorted[i - 1]), b = hist_bucket(sorted[i]);

		if (!CHECK(a <= b, "not monotonic: bucket(%llu) = %u > bucket(%llu) = %u",
			   (unsigned long long)sorted[i - 1], a, (unsigned long long)sorted[i], b) &&
		    ++bad > 20)
			break;
		if (sorted[i] <= 70000 && sorted[i] == sorted[i - 1] + 1)
			CHECK(b - a <= 1, "bucket jumps from %u to %u between %llu and %llu", a, b,
			      (unsigned long long)sorted[i - 1], (unsigned long long)sorted[i]);
	}
	free(sorted);
}

/* ---- percentiles --------------------------------------------------------- */

struct sample_set {
	const char *name;
	__u64 *v;
	size_t n;
};

static double gauss(void)
{
	double u1 = rng_unit(), u2 = rng_unit();

	if (u1 < 1e-300)
		u1 = 1e-300;
	return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

static __u64 *alloc_samples(size_t n)
{
	__u64 *v = malloc((n ? n : 1) * sizeof(*v));

	if (!v) {
		perror("malloc");
		exit(2);
	}
	return v;
}

/* The smallest sample with at least q = pm/1000 of them at or below it. */
static __u64 exact_percentile(const __u64 *sorted, size_t n, unsigned int pm)
{
	size_t rank = ((unsigned long long)n * pm + 999) / 1000;

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void check_set(struct sample_set *s)
{
	struct hist h;
	__u64 got[NR_QUANTILES], exact;

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < s->n; i++)
		hist_add(&h, s->v[i]);
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (int i = 0; i < NR_QUANTILES; i++) {
		double tol;

		got[i] = hist_percentile(&h, quantiles[i]);
		exact = exact_percentile(s->v, s->n, permille[i]);
		if (exact >= HIST_OVERFLOW_NS) {
			/* In the overflow the buckets know only "at least 2^42 ns" (or the min). */
			CHECK_EQ_U64(got[i], h.min_ns > HIST_OVERFLOW_NS ? h.min_ns : HIST_OVERFLOW_NS,
				     "%s: p%g in the overflow (exact %llu) reads its bound",
				     s->name, quantiles[i] * 100, (unsigned long long)exact);
			continue;
		}
		/* Half a bucket is <= 1/32 of its lower bound; bucket 0 is 16 ns wide. */
		tol = exact < 16 ? 8 : 0.032 * exact;
		CHECK(fabs((double)got[i] - (double)exact) <= tol,
		      "%s (n=%zu): p%g = %llu, exact %llu, off by %.2f%% (allowed 3.2%%, or 8 ns under 16 ns)",
		      s->name, s->n, quantiles[i] * 100, (unsigned long long)got[i],
		      (unsigned long long)exact,
		      exact ? 100.0 * fabs((double)got[i] - (double)exact) / exact : 0.0);
	}
	CHECK(h.min_ns <= got[0] && got[0] <= got[1] && got[1] <= got[2] && got[2] <= got[3] &&
	      got[3] <= h.max_ns,
	      "%s: not min %llu <= p50 %llu <= p90 %llu <= p99 %llu <= p99.9 %llu <= max %llu",
	      s->name, (unsigned long long)h.min_ns, (unsigned long long)got[0],
	      (unsigned long long)got[1], (unsigned long long)got[2], (unsigned long long)got[3],
	      (unsigned long long)h.max_ns);
	/* q = 1 is the largest sample's bucket, clamped: within 3.2% of the max. */
	exact = s->v[s->n - 1];
	if (exact < HIST_OVERFLOW_NS)
		CHECK(fabs((double)hist_percentile(&h, 1.0) - (double)exact) <=
		      (exact < 16 ? 8 : 0.032 * exact),
		      "%s: p100 = %llu, max %llu", s->name,
		      (unsigned long long)hist_percentile(&h, 1.0), (unsigned long long)exact);
	else
		CHECK_EQ_U64(hist_percentile(&h, 1.0), h.min_ns > HIST_OVERFLOW_NS ? h.min_ns : HIST_OVERFLOW_NS,
			     "%s: p100 in the overflow", s->name);
}

/* The case the range was too short for: three halts of 70, 80 and 1000 s. */
static void test_long_halts(void)
{
	struct hist h = {};

	SECTION("p50 of {70 s, 80 s, 1000 s} is 80 s within 3.2%, not the max");
	hist_add(&h, 70000000000ULL);
	hist_add(&h, 80000000000ULL);
	hist_add(&h, 1000000000000ULL);
	CHECK(fabs((double)hist_percentile(&h, 0.5) - 80e9) <= 0.032 * 80e9, "p50 = %llu",
	      (unsigned long long)hist_percentile(&h, 0.5));
}

static void test_percentiles(void)
{
	static const size_t sizes[] = { 1, 2, 3, 7, 10, 100, 999, 1000, 1001, 20011 };
	struct sample_set s;
	char name[96];

	SECTION("hist_percentile within 3.2% of the exact percentile (8 ns under 16 ns, the max in "
		"the overflow) for q = .5 .9 .99 .999, and min <= p50 <= p90 <= p99 <= p99.9 <= max: "
		"uniform, log-normal, bimodal, constant, single, underflow, overflow, mixed");
	rng_seed(42);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		size_t n = sizes[si];

		s.n = n;
		s.name = name;
		s.v = alloc_samples(n);

		snprintf(name, sizeof(name), "uniform 100ns..100us");
		for (size_t i = 0; i < n; i++)
			s.v[i] = 100 + rng_u64() % 99901;
		check_set(&s);

		snprintf(name, sizeof(name), "log-normal around 2us");
		for (size_t i = 0; i < n; i++)
			s.v[i] = (__u64)exp(log(2000) + 1.5 * gauss());
		check_set(&s);

		snprintf(name, sizeof(name), "bimodal 90%% ~1us, 10%% ~1ms");
		for (size_t i = 0; i < n; i++)
			s.v[i] = rng_u64() % 10 ? 900 + rng_u64() % 200 : 900000 + rng_u64() % 200000;
		check_set(&s);

		snprintf(name, sizeof(name), "constant 5000");
		for (size_t i = 0; i < n; i++)
			s.v[i] = 5000;
		check_set(&s);

		snprintf(name, sizeof(name), "constant 1234567 (mid-bucket)");
		for (size_t i = 0; i < n; i++)
			s.v[i] = 1234567;
		check_set(&s);

		snprintf(name, sizeof(name), "underflow 0..15");
		for (size_t i = 0; i < n; i++)
			s.v[i] = rng_u64() % 16;
		check_set(&s);

		/* Halts of idle vCPUs: past the old 2^36 ns (68.7 s) edge, inside the range now. */
		snprintf(name, sizeof(name), "long halts 70s..1000s");
		for (size_t i = 0; i < n; i++)
			s.v[i] = 70000000000ULL + rng_u64() % 930000000000ULL;
		check_set(&s);

		snprintf(name, sizeof(name), "overflow 2^42 ns and up");
		for (size_t i = 0; i < n; i++)
			s.v[i] = HIST_OVERFLOW_NS + rng_u64() % 1000000000000000ULL;
		check_set(&s);

		snprintf(name, sizeof(name), "mixed: underflow, 16..2^42, overflow");
		for (size_t i = 0; i < n; i++) {
			switch (rng_u64() % 4) {
			case 0: s.v[i] = rng_u64() % 16; break;
			case 1: s.v[i] = HIST_OVERFLOW_NS + rng_u64() % (1ULL << 46); break;
			default: {
				unsigned int e = 4 + rng_u64() % 32;

				s.v[i] = (1ULL << e) | (rng_u64() & ((1ULL << e) - 1));
			}
			}
		}
		check_set(&s);

		snprintf(name, sizeof(name), "every bucket's edges");
		for (size_t i = 0; i < n; i++) {
			unsigned int b = rng_u64() % HIST_OVERFLOW;

			s.v[i] = rng_u64() % 2 ? hist_bucket_lower(b) : hist_bucket_lower(b + 1) - 1;
		}
		check_set(&s);
		free(s.v);
	}

	/* Single samples at the edges. */
	{
		static const __u64 singles[] = {
			0, 1, 15, 16, 17, 31, 32, 33, 47, 1000, 1023, 1024, 1025,
			HIST_OVERFLOW_NS - 1, HIST_OVERFLOW_NS, UINT64_MAX,
		};
		__u64 one;

		s.v = &one;
		s.n = 1;
		s.name = name;
		for (size_t i = 0; i < sizeof(singles) / sizeof(singles[0]); i++) {
			struct hist h;

			one = singles[i];
			snprintf(name, sizeof(name), "single sample %llu", (unsigned long long)one);
			check_set(&s);
			/* With one sample, min = max, so the clamp must give it exactly. */
			memset(&h, 0, sizeof(h));
			hist_add(&h, one);
			CHECK_EQ_U64(hist_percentile(&h, 0.5), one, "single sample %llu: p50 is the sample",
				     (unsigned long long)one);
		}
	}
	{
		struct hist h;

		memset(&h, 0, sizeof(h));
		CHECK_EQ_U64(hist_percentile(&h, 0.99), 0, "an empty histogram reads 0");
	}
}

/* ---- merge ---------------------------------------------------------------- */

static void test_merge(void)
{
	struct hist a, b, all, m, empty, before;

	SECTION("hist_merge: count, sum, min, max and every bucket add up; empty sides change nothing");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&all, 0, sizeof(all));
	memset(&empty, 0, sizeof(empty));
	rng_seed(7);
	for (int i = 0; i < 5000; i++) {
		__u64 v = 20 + rng_u64() % 5000000;

		hist_add(i % 3 ? &a : &b, v);
		hist_add(&all, v);
	}
	hist_add(&b, 3);			/* b has the min ... */
	hist_add(&all, 3);
	hist_add(&a, 100ULL << 40);		/* ... a the max, in the overflow */
	hist_add(&all, 100ULL << 40);

	m = a;
	hist_merge(&m, &b);
	CHECK_EQ_U64(m.count, all.count, "a+b count");
	CHECK_EQ_U64(m.sum_ns, all.sum_ns, "a+b sum");
	CHECK_EQ_U64(m.min_ns, 3, "a+b min (from b)");
	CHECK_EQ_U64(m.max_ns, 100ULL << 40, "a+b max (from a)");
	CHECK(!memcmp(m.buckets, all.buckets, sizeof(m.buckets)), "a+b buckets differ from all samples'");

	m = b;
	hist_merge(&m, &a);
	CHECK(!memcmp(&m, &all, sizeof(m)), "b+a differs from the histogram of all samples");

	m = empty;
	hist_merge(&m, &a);
	CHECK(!memcmp(&m, &a, sizeof(m)), "empty+a differs from a (min must come from a, not stay 0)");
	CHECK_EQ_U64(m.min_ns, a.min_ns, "empty+a min");

	before = a;
	hist_merge(&a, &empty);
	CHECK(!memcmp(&a, &before, sizeof(a)), "a+empty changed a");

	m = empty;
	hist_merge(&m, &empty);
	CHECK(!memcmp(&m, &empty, sizeof(m)), "empty+empty is not empty");

	/* A src whose min is above dst's, and max below: dst keeps both. */
	{
		struct hist lo, mid;

		memset(&lo, 0, sizeof(lo));
		memset(&mid, 0, sizeof(mid));
		hist_add(&lo, 10);
		hist_add(&lo, 1000000);
		hist_add(&mid, 500);
		hist_merge(&lo, &mid);
		CHECK_EQ_U64(lo.min_ns, 10, "min kept when src's is larger");
		CHECK_EQ_U64(lo.max_ns, 1000000, "max kept when src's is smaller");
		CHECK_EQ_U64(lo.count, 3, "count");
		CHECK_EQ_U64(lo.sum_ns, 1000510, "sum");
		CHECK_EQ_U64(lo.buckets[hist_bucket(500)], 1, "500's bucket");
	}
}

/* ---- standard deviation --------------------------------------------------- */

/* The sample standard deviation by the textbook's two passes, in long double. */
static double ref_stddev(const __u64 *v, size_t n)
{
	long double mean = 0, m2 = 0;

	if (n < 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		mean += v[i];
	mean /= n;
	for (size_t i = 0; i < n; i++)
		m2 += (v[i] - mean) * (v[i] - mean);
	return sqrtl(m2 / (n - 1));
}

static void check_stddev_of(const __u64 *v, size_t n, double rel, const char *what)
{
	struct hist h;
	double got, want = ref_stddev(v, n);

	memset(&h, 0, sizeof(h));
	for (size_t i = 0; i < n; i++)
		hist_add(&h, v[i]);
	got = hist_stddev(&h);
	CHECK(fabs(got - want) <= rel * want + 1e-9, "%s: stddev %.9g, two-pass %.9g", what, got, want);
}

static void test_stddev(void)
{
	static const __u64 textbook[] = { 2, 4, 4, 4, 5, 5, 7, 9 };	/* sample sd sqrt(32/7) */
	/* A mean of 10^15 ns and a spread of 1 ns: sum_sq - sum^2/n in doubles would be noise. */
	static const __u64 tight[] = { 1000000000000000ULL, 1000000000000001ULL, 1000000000000002ULL };
	/* Squares past 2^64 (an hour's halt) and sums of squares past 2^64. */
	static const __u64 huge[] = { 3600000000000ULL, 1ULL << 42, 5000, 1ULL << 40, 1234567890123ULL };
	__u64 *r = malloc(100000 * sizeof(*r));
	struct hist h, a, b;

	SECTION("hist_stddev: exact sums against a two-pass reference; n - 1; merge and difference");
	memset(&h, 0, sizeof(h));
	hist_add(&h, 1000);
	CHECK(hist_stddev(&h) == 0, "one sample: %g", hist_stddev(&h));
	hist_add(&h, 3000);
	CHECK(fabs(hist_stddev(&h) - sqrt(2e6)) < 1e-6, "1000, 3000: %g, want sqrt(2e6) (n - 1)",
	      hist_stddev(&h));
	check_stddev_of(textbook, ARRAY_SIZE(textbook), 1e-12, "textbook set");
	CHECK(fabs(hist_stddev(&h) - sqrt(2e6)) < 1e-6, "again");
	check_stddev_of(tight, ARRAY_SIZE(tight), 1e-12, "mean 1e15, spread 1");
	check_stddev_of(huge, ARRAY_SIZE(huge), 1e-12, "squares past 2^64");
	rng_seed(11);
	for (int i = 0; i < 100000; i++)
		r[i] = 500 + rng_u64() % (i % 100 ? 50000 : 50000000000ULL);
	check_stddev_of(r, 100000, 1e-9, "100000 random, a few 1000 times longer");

	/* Merged halves (and the halves' difference from the whole) give the whole's sums. */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 100000; i++) {
		hist_add(i & 1 ? &a : &b, r[i]);
		hist_add(&h, r[i]);
	}
	hist_merge(&a, &b);
	CHECK_EQ_U64(a.sum_sq_lo, h.sum_sq_lo, "merged sum_sq_lo");
	CHECK_EQ_U64(a.sum_sq_hi, h.sum_sq_hi, "merged sum_sq_hi");
	{
		__u64 lo = ~0ULL, hi = 0;

		sum_sq_add128(&lo, &hi, 1, 0);
		CHECK(lo == 0 && hi == 1, "carry: %llx:%llx", (unsigned long long)hi, (unsigned long long)lo);
	}
	/* A dump without the squares: unknown, not 0. */
	memset(&h, 0, sizeof(h));
	h.count = 2;
	h.sum_ns = 3000;
	CHECK(isnan(hist_stddev(&h)), "no squares: %g, want NAN", hist_stddev(&h));
	/* Squares short of the sum (a torn read): 0, not a negative variance. */
	h.sum_sq_lo = 1000;
	CHECK(hist_stddev(&h) == 0, "squares short: %g", hist_stddev(&h));
	free(r);
}

/* ---- format_ns ------------------------------------------------------------ */

static void test_format_ns(void)
{
	static const struct { double ns; const char *want; } cases[] = {
		{ 0, "0ns" },
		{ 1, "1ns" },
		{ 812, "812ns" },
		{ 999, "999ns" },
		{ 1000, "1.00us" },
		{ 3410, "3.41us" },
		{ 12500, "12.5us" },
		{ 123456, "123us" },
		{ 1000000, "1.00ms" },
		{ 12500000, "12.5ms" },
		{ 999000000, "999ms" },
		{ 1e9, "1.00s" },
		{ 1.2e9, "1.20s" },
		{ 45.6e9, "45.6s" },
		{ 3600e9, "3600s" },
		/* Rounding may carry into the next unit or digit count. */
		{ 999.6, "1.00us" },
		{ 9999, "10.0us" },
		{ 99999, "100us" },
		{ 999999, "1.00ms" },
		{ 999999999, "1.00s" },
	};
	char buf[32];

	SECTION("format_ns: 3 significant digits and the largest unit that is >= 1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		format_ns(buf, sizeof(buf), cases[i].ns);
		CHECK_STR(buf, cases[i].want, "format_ns(%.0f)", cases[i].ns);
	}
	/* It truncates to the buffer like snprintf. */
	memset(buf, 'x', sizeof(buf));
	format_ns(buf, 4, 3410);
	CHECK_STR(buf, "3.4", "format_ns(3410) into 4 bytes");
	CHECK(buf[4] == 'x', "format_ns wrote past its 4-byte buffer");
}

int main(void)
{
	build_values();
	printf("test_hist: %zu values in the bucket-math set\n", nr_values);
	test_constants();
	test_log2();
	test_bucket_vs_reference();
	test_lower_bounds();
	test_containment_and_monotonicity();
	test_percentiles();
	test_long_halts();
	test_merge();
	test_stddev();
	test_format_ns();
	free(values);
	return check_done();
}
