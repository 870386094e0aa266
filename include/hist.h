/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Log-linear latency histogram shared by the BPF programs and the loader.
 *
 * Each power of two from 2^HIST_MIN_SHIFT to 2^HIST_MAX_SHIFT ns is split
 * into HIST_SUB equal sub-buckets, so a bucket is at most 1/16 of its lower
 * bound wide and a percentile read at a bucket's midpoint is within about
 * +-3.2% of the truth. Bucket 0 is the underflow (< 16 ns: no exit is that
 * short), the last one the overflow (>= 2^42 ns, 73.3 minutes: past the
 * halts of vCPUs idle for minutes), whose percentiles are only "at least".
 *
 * Written for both targets: no libc, no __builtin_clzll (clang 14 crashes
 * on it for BPF), types from the includer (__u64/__u32 via linux/types.h
 * or vmlinux.h).
 */
#ifndef VMEXITPROF_HIST_H
#define VMEXITPROF_HIST_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define HIST_SUB_BITS	4
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_MIN_SHIFT	4	/* 16 ns */
#define HIST_MAX_SHIFT	42	/* 73.3 min */
#define HIST_OVERFLOW	(1 + (HIST_MAX_SHIFT - HIST_MIN_SHIFT) * HIST_SUB)
#define HIST_NR_BUCKETS	(HIST_OVERFLOW + 1)
#define HIST_OVERFLOW_NS (1ULL << HIST_MAX_SHIFT)	/* where the overflow bucket starts */

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* floor(log2(v)) for v > 0, by halving: a branchy search the BPF verifier likes. */
static __always_inline unsigned int hist_log2(__u64 v)
{
	unsigned int r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

static __always_inline __u32 hist_bucket(__u64 ns)
{
	unsigned int msb;

	if (ns < (1ULL << HIST_MIN_SHIFT))
		return 0;
	msb = hist_log2(ns);
	if (msb >= HIST_MAX_SHIFT)
		return HIST_OVERFLOW;
	return 1 + (msb - HIST_MIN_SHIFT) * HIST_SUB +
	       ((ns >> (msb - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/*
 * Smallest value that lands in bucket b. Bucket b < HIST_OVERFLOW holds
 * [hist_bucket_lower(b), hist_bucket_lower(b + 1)); the overflow has no top.
 */
static inline __u64 hist_bucket_lower(__u32 b)
{
	unsigned int msb;

	if (b == 0)
		return 0;
	if (b >= HIST_OVERFLOW)
		return 1ULL << HIST_MAX_SHIFT;
	b -= 1;
	msb = HIST_MIN_SHIFT + b / HIST_SUB;
	return (1ULL << msb) + ((__u64)(b % HIST_SUB) << (msb - HIST_SUB_BITS));
}

#ifndef __bpf__
#include <stdbool.h>
/* Userspace arithmetic on struct hist (vmexitprof.h), in src/hist.c. */
struct hist;
/* dst += src: counts and buckets add, min and max combine. */
void hist_merge(struct hist *dst, const struct hist *src);
/*
 * The q-quantile (0 < q <= 1) read from the buckets, clamped to [min, max];
 * HIST_OVERFLOW_NS where it falls in the overflow, meaning "at least".
 */
__u64 hist_percentile(const struct hist *h, double q);
/*
 * The samples' standard deviation in ns (n - 1, as perf's), from exact
 * sums; 0 below 2 samples, NAN where the squares are not known (old dumps).
 */
double hist_stddev(const struct hist *h);
double stddev_of_sums(__u64 count, __u64 sum, __u64 sum_sq_lo, __u64 sum_sq_hi);
/*
 * Where a histogram's time went (its sums runnable_ns ... vmm_off_ns):
 * parts that add up to sum_ns. halt: an HLT row, whose time asleep is the
 * vCPU halted. For a VMM handling histogram, vmm_ns stays 0 and kernel_ns
 * is the VMM's time on the CPU.
 */
struct time_split {
	__u64 kernel_ns;	/* on the CPU, in the kernel */
	__u64 vmm_ns;		/* on the CPU, in the VMM */
	__u64 preempted_ns;	/* off the CPU, runnable */
	__u64 blocked_ns;	/* off the CPU, asleep (not HLT) */
	__u64 halted_ns;	/* off the CPU, asleep in an HLT exit */
	__u64 bql_ns;		/* of the VMM's part, waiting for QEMU's global mutex (--bql; overlaps) */
};
void hist_split(const struct hist *h, bool halt, struct time_split *out);

/* *lo:*hi += lo2:hi2 (struct hist's 128-bit sum of squares). */
void sum_sq_add128(__u64 *lo, __u64 *hi, __u64 lo2, __u64 hi2);
#endif

#endif /* VMEXITPROF_HIST_H */
