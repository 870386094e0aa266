// SPDX-License-Identifier: GPL-2.0
/* Userspace side of the log-linear histograms (layout in include/hist.h). */
#include <math.h>
#include <stdbool.h>
#include <linux/types.h>

#include "hist.h"
#include "vmexitprof.h"

/* *lo:*hi += lo2:hi2, 128 bits as two words (the dump's and the BPF side's layout). */
void sum_sq_add128(__u64 *lo, __u64 *hi, __u64 lo2, __u64 hi2)
{
	*lo += lo2;
	*hi += hi2 + (*lo < lo2);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	/* An interval can hold sums without samples (a torn read): they add up all the same. */
	dst->sum_ns += src->sum_ns;
	dst->to_userspace += src->to_userspace;
	sum_sq_add128(&dst->sum_sq_lo, &dst->sum_sq_hi, src->sum_sq_lo, src->sum_sq_hi);
	dst->runnable_ns += src->runnable_ns;
	dst->blocked_ns += src->blocked_ns;
	dst->vmm_ns += src->vmm_ns;
	dst->vmm_off_ns += src->vmm_off_ns;
	dst->bql_ns += src->bql_ns;
	if (!src->count)
		return;
	if (!dst->count || src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->count += src->count;
	for (unsigned int b = 0; b < HIST_NR_BUCKETS; b++)
		dst->buckets[b] += src->buckets[b];
}

__u64 hist_percentile(const struct hist *h, double q)
{
	__u64 rank, seen = 0, v;
	unsigned int b;

	if (!h->count)
		return 0;
	/* The smallest value with at least q of the samples at or below it. */
	rank = (__u64)(q * h->count);
	if ((double)rank < q * h->count)
		rank++;
	if (rank < 1)
		rank = 1;
	for (b = 0; b < HIST_NR_BUCKETS; b++) {
		seen += h->buckets[b];
		if (seen >= rank)
			break;
	}
	/* In the overflow the buckets know no more than "at least this". */
	if (b >= HIST_OVERFLOW)
		return h->min_ns > HIST_OVERFLOW_NS ? h->min_ns : HIST_OVERFLOW_NS;
	/* The bucket's midpoint is within half a bucket (1/32) of any value in it. */
	v = (hist_bucket_lower(b) + hist_bucket_lower(b + 1)) / 2;
	if (v < h->min_ns)
		v = h->min_ns;
	if (v > h->max_ns)
		v = h->max_ns;
	return v;
}

/*
 * The samples' standard deviation, with n - 1 (as perf's stats), from the
 * exact sums: M2 = sum_sq - sum^2 / n in 128-bit integers (sum^2 < 2^128
 * for any sum), so no cancellation in floating point; only the final
 * division and square root are rounded. 0 with fewer than 2 samples, and
 * where a torn read left the sums short of what count says (M2 < 0). NAN
 * where there are no squares to go by (a dump from before they were kept):
 * samples with a non-zero sum have a non-zero sum of squares.
 */
double stddev_of_sums(__u64 count, __u64 sum, __u64 sum_sq_lo, __u64 sum_sq_hi)
{
	unsigned __int128 sq = ((unsigned __int128)sum_sq_hi << 64) | sum_sq_lo;
	unsigned __int128 s2 = (unsigned __int128)sum * sum, q, r, m2;

	if (count < 2)
		return 0;
	if (!sq && sum)
		return NAN;
	q = s2 / count;
	r = s2 % count;
	if (sq < q || (sq == q && r))
		return 0;
	m2 = sq - q;
	/* M2 = m2 - r / n exactly; r / n < 1. */
	return sqrt(((double)m2 - (double)r / count) / (count - 1));
}

double hist_stddev(const struct hist *h)
{
	return stddev_of_sums(h->count, h->sum_ns, h->sum_sq_lo, h->sum_sq_hi);
}

void hist_split(const struct hist *h, bool halt, struct time_split *out)
{
	__u64 off = h->runnable_ns + h->blocked_ns;
	/* A torn read can leave one sum ahead of another in an interval: clamp, never wrap. */
	__u64 vmm = h->vmm_ns > h->vmm_off_ns ? h->vmm_ns - h->vmm_off_ns : 0;

	out->vmm_ns = vmm;
	out->bql_ns = h->bql_ns;
	out->preempted_ns = h->runnable_ns;
	out->blocked_ns = halt ? 0 : h->blocked_ns;
	out->halted_ns = halt ? h->blocked_ns : 0;
	out->kernel_ns = h->sum_ns > off + vmm ? h->sum_ns - off - vmm : 0;
}
