// SPDX-License-Identifier: GPL-2.0
/* Userspace side of the log-linear histograms (layout in include/hist.h). */
#include <linux/types.h>

#include "hist.h"
#include "vmexitprof.h"

void hist_merge(struct hist *dst, const struct hist *src)
{
	/* An interval can hold sums without samples (a torn read): they add up all the same. */
	dst->sum_ns += src->sum_ns;
	dst->to_userspace += src->to_userspace;
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
