/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's TSC at a moment of CLOCK_MONOTONIC. BPF cannot read the
 * TSC on 6.1-6.18, so the BPF side stamps events with bpf_ktime_get_ns;
 * here (rdtsc, CLOCK_MONOTONIC) pairs sampled together in userspace, as
 * trace-cmd's tsc2nsec and perf-prof do, turn that into the host's TSC,
 * and the vCPU's TSC offset and scaling ratio from KVM's debugfs into
 * the guest's. x86 only; elsewhere tsc_supported() is false.
 */
#ifndef VMEXITPROF_TSC_H
#define VMEXITPROF_TSC_H

#include <stdbool.h>
#include <linux/types.h>

/* One (host TSC, CLOCK_MONOTONIC) pair, and how far apart its two reads were. */
struct tsc_pair {
	__u64 tsc;		/* the middle of two rdtsc around the clock read */
	__u64 mono_ns;
	__u64 width;		/* TSC ticks between those two rdtsc */
};

struct tsc_clock {
	struct tsc_pair first, prev, cur;	/* the first, and the last two */
	int nr;					/* pairs sampled */
};

bool tsc_supported(void);
/* Sample a pair (the tightest of a few tries) into c. */
void tsc_sample(struct tsc_clock *c);
/*
 * The host TSC at mono_ns: through the last two pairs, from the rate over
 * all of them; *err_ticks bounds how far off it can be (see
 * docs/usage.md). false with fewer than two pairs.
 */
bool tsc_at(const struct tsc_clock *c, __u64 mono_ns, __u64 *tsc, __u64 *err_ticks);

/*
 * The guest's TSC from the host's for vCPU vcpu_id of VM process pid:
 * ((host * tsc-scaling-ratio) >> frac bits) + tsc-offset, from
 * /sys/kernel/debug/kvm/PID-FD/vcpuN (the ratio is 1 where the file is
 * absent: no TSC scaling). The offset is *offset where the caller has the
 * one in effect at the time (the BPF side's, read at the exit), else
 * debugfs's now. false where debugfs lacks the vCPU or the VM process has
 * more than one VM (no telling which).
 */
/*
 * A vCPU's TSC scaling as debugfs last gave it (ratio 0: none), kept by the
 * caller per vCPU: tsc_guest fills it, and uses it, with the offset at the
 * exit, for an event that arrives after the VM and its debugfs are gone.
 */
struct tsc_scaling {
	__u32 pid, vcpu_id;
	__u64 ratio;
	unsigned int frac_bits;
	bool valid;
};

bool tsc_guest(__u32 pid, __u32 vcpu_id, const __s64 *offset, __u64 host_tsc, __u64 *guest_tsc,
	       double *ratio, struct tsc_scaling *last);

/*
 * Each vCPU's TSC offset in KVM's debugfs now (/sys/kernel/debug/kvm/
 * PID-FD/vcpuN/tsc-offset): fn(ctx, pid, vcpu_id, offset) for each.
 */
void tsc_offsets_now(void (*fn)(void *ctx, __u32 pid, __u32 vcpu_id, __s64 offset), void *ctx);

#endif /* VMEXITPROF_TSC_H */
