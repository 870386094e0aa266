// SPDX-License-Identifier: GPL-2.0
/*
 * CLOCK_MONOTONIC to the guest's TSC (include/tsc.h): sampled
 * (rdtsc, clock_gettime) pairs for the host TSC, KVM's debugfs for the
 * vCPU's offset and scaling.
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tsc.h"
#include "util.h"

#define TSC_TRIES 8
/* CLOCK_MONOTONIC's rate may differ from the TSC's by at most this (NTP's MAXFREQ, 500 ppm). */
#define MONO_SLEW_PPM 500

#if defined(__x86_64__) || defined(__i386__)
static inline __u64 rdtsc(void)
{
	__u32 lo, hi;

	__asm__ __volatile__("lfence; rdtsc; lfence" : "=a"(lo), "=d"(hi));
	return ((__u64)hi << 32) | lo;
}

bool tsc_supported(void)
{
	return true;
}
#else
static inline __u64 rdtsc(void)
{
	return 0;
}

bool tsc_supported(void)
{
	return false;
}
#endif

void tsc_sample(struct tsc_clock *c)
{
	struct tsc_pair best = { .width = ~0ULL };

	for (int i = 0; i < TSC_TRIES; i++) {
		struct timespec ts;
		__u64 a = rdtsc(), b;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		b = rdtsc();
		if (b - a < best.width)
			best = (struct tsc_pair){ a + (b - a) / 2, ts.tv_sec * 1000000000ULL + ts.tv_nsec,
						  b - a };
	}
	if (!c->nr)
		c->first = best;
	c->prev = c->nr ? c->cur : best;
	c->cur = best;
	c->nr++;
}

bool tsc_at(const struct tsc_clock *c, __u64 mono_ns, __u64 *tsc, __u64 *err_ticks)
{
	const struct tsc_pair *near;
	double ticks_per_ns, dist_ns;

	if (c->nr < 2 || c->cur.mono_ns <= c->first.mono_ns)
		return false;
	/* The rate over the whole run: its pairs' widths weigh least there. */
	ticks_per_ns = (double)(c->cur.tsc - c->first.tsc) / (c->cur.mono_ns - c->first.mono_ns);
	/* From the nearer of the last two pairs (the event lies mostly between them). */
	near = (mono_ns > c->cur.mono_ns ? mono_ns - c->cur.mono_ns : c->cur.mono_ns - mono_ns) <
	       (mono_ns > c->prev.mono_ns ? mono_ns - c->prev.mono_ns : c->prev.mono_ns - mono_ns) ?
	       &c->cur : &c->prev;
	dist_ns = (double)mono_ns - (double)near->mono_ns;
	*tsc = near->tsc + (__s64)(dist_ns * ticks_per_ns);
	/*
	 * Half the pair's width (its clock read was somewhere between its
	 * two rdtsc), and the monotonic clock's greatest slew against the
	 * TSC over the distance to the pair.
	 */
	if (dist_ns < 0)
		dist_ns = -dist_ns;
	*err_ticks = near->width / 2 + 1 + (__u64)(dist_ns * ticks_per_ns * MONO_SLEW_PPM / 1e6);
	return true;
}

/* A number from a debugfs file; false if it cannot be read. */
static bool read_s64(const char *path, long long *v)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lld", v) == 1;
	fclose(f);
	return ok;
}

/* host_tsc through scaling and offset; the ratio as a number into *ratio_out. */
static void guest_of(const struct tsc_scaling *s, long long offset, __u64 host_tsc, __u64 *guest_tsc,
		     double *ratio_out)
{
	if (s->ratio) {
		*guest_tsc = (__u64)(((unsigned __int128)host_tsc * s->ratio) >> s->frac_bits) + offset;
		*ratio_out = (double)s->ratio / (double)(1ULL << s->frac_bits);
	} else {
		*guest_tsc = host_tsc + offset;
		*ratio_out = 1.0;
	}
}

bool tsc_guest(__u32 pid, __u32 vcpu_id, const __s64 *offset_at, __u64 host_tsc, __u64 *guest_tsc,
	       double *ratio_out, struct tsc_scaling *last)
{
	char pattern[96], path[320];
	long long offset = offset_at ? *offset_at : 0, ratio = 0, frac = 0;
	glob_t g;
	bool ok = false;

	snprintf(pattern, sizeof(pattern), "/sys/kernel/debug/kvm/%u-*/vcpu%u", pid, vcpu_id);
	if (glob(pattern, 0, NULL, &g)) {
		/*
		 * Its VM gone, and its debugfs with it (a slow exit just before the
		 * VM ended arrives after): with the offset at the exit, the scaling
		 * as it was last read.
		 */
		if (!offset_at || !last->valid || last->pid != pid || last->vcpu_id != vcpu_id)
			return false;
		guest_of(last, offset, host_tsc, guest_tsc, ratio_out);
		return true;
	}
	/* One VM in the process, else no telling which fd's vCPU this was. */
	if (g.gl_pathc != 1)
		goto out;
	snprintf(path, sizeof(path), "%s/tsc-offset", g.gl_pathv[0]);
	if (!offset_at && !read_s64(path, &offset))
		goto out;
	snprintf(path, sizeof(path), "%s/tsc-scaling-ratio", g.gl_pathv[0]);
	if (read_s64(path, &ratio)) {
		snprintf(path, sizeof(path), "%s/tsc-scaling-ratio-frac-bits", g.gl_pathv[0]);
		if (!read_s64(path, &frac) || frac <= 0 || frac >= 64 || ratio <= 0)
			goto out;
	}
	*last = (struct tsc_scaling){ .pid = pid, .vcpu_id = vcpu_id, .ratio = (__u64)ratio,
				      .frac_bits = (unsigned int)frac, .valid = true };
	guest_of(last, offset, host_tsc, guest_tsc, ratio_out);
	ok = true;
out:
	globfree(&g);
	return ok;
}

void tsc_offsets_now(void (*fn)(void *ctx, __u32 pid, __u32 vcpu_id, __s64 offset), void *ctx)
{
	glob_t g;

	if (glob("/sys/kernel/debug/kvm/*-*/vcpu*/tsc-offset", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		unsigned int pid, fd, vcpu_id;
		long long offset;
		char end;

		if (sscanf(g.gl_pathv[i], "/sys/kernel/debug/kvm/%u-%u/vcpu%u/tsc-offse%c", &pid, &fd,
			   &vcpu_id, &end) != 4 || end != 't' || !read_s64(g.gl_pathv[i], &offset))
			continue;
		fn(ctx, pid, vcpu_id, offset);
	}
	globfree(&g);
}
