// SPDX-License-Identifier: GPL-2.0
/*
 * The slow exits of a live run (include/outliers.h): read from the ring
 * buffer, their times converted, printed at once, kept for the files.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "outliers.h"
#include "print.h"

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Why there is no guest TSC, said once. */
static void no_tsc(struct outlier_reader *r, const char *why)
{
	if (r->said_no_tsc)
		return;
	r->said_no_tsc = true;
	fprintf(stderr, "vmexitprof: --slower-than: no guest TSC in the slow exits: %s\n", why);
}

/* The vCPU's slot in r->scalings: its own, or the next one to reuse. */
static struct tsc_scaling *scaling_of(struct outlier_reader *r, __u32 pid, __u32 vcpu_id)
{
	struct tsc_scaling *s;

	for (unsigned int i = 0; i < OUTLIER_SCALINGS; i++) {
		s = &r->scalings[i];
		if (s->valid && s->pid == pid && s->vcpu_id == vcpu_id)
			return s;
	}
	s = &r->scalings[r->next_scaling++ % OUTLIER_SCALINGS];
	s->valid = false;
	return s;
}

static void guest_tsc_of(struct outlier_reader *r, struct outlier *o)
{
	__u64 host, err;
	double ratio;

	if (!tsc_supported())
		return no_tsc(r, "this is not x86");
	if (o->ev.vcpu_id == VCPU_UNKNOWN)
		return;
	if (!tsc_at(&r->clock, o->ev.exit_ns, &host, &err))
		return;
	/* The offset at the exit where the BPF side read it; debugfs's is of now. */
	if (!tsc_guest(o->ev.pid, o->ev.vcpu_id, o->ev.flags & OUTLIER_TSC_OFFSET ? &o->ev.tsc_offset : NULL,
		       host, &o->guest_tsc, &ratio, scaling_of(r, o->ev.pid, o->ev.vcpu_id))) {
		if (access("/sys/kernel/debug/kvm", F_OK))
			no_tsc(r, "KVM's debugfs (/sys/kernel/debug/kvm) is not there; mount debugfs");
		return;
	}
	o->guest_tsc_err = (__u64)(err * ratio) + 1;
	o->has_guest_tsc = true;
}

static int on_event(void *ctx, void *data, size_t len)
{
	struct outlier_reader *r = ctx;
	struct outlier o = {};

	if (len < sizeof(o.ev))
		return 0;
	memcpy(&o.ev, data, sizeof(o.ev));
	o.since_start_ns = o.ev.exit_ns > r->start_mono_ns ? o.ev.exit_ns - r->start_mono_ns : 0;
	o.wall_ns = o.ev.exit_ns + r->wall_minus_mono_ns;
	guest_tsc_of(r, &o);
	if (r->json)
		print_outlier_json(stdout, &o, r->names);
	else
		print_outlier_text(stdout, &o, r->names);
	if (r->keep && run_add_outlier(r->run, &o)) {
		r->err = -ENOMEM;
		return -ENOMEM;
	}
	return 0;
}

int outliers_open(struct outlier_reader *r, int map_fd, struct run *run, bool keep, bool json,
		  const struct reason_table *names, __u64 start_mono_ns)
{
	__u64 a, wall, b;

	*r = (struct outlier_reader){ .run = run, .keep = keep, .json = json, .names = names,
				      .start_mono_ns = start_mono_ns };
	/* The wall clock once, from the middle of two monotonic reads around it. */
	a = clock_ns(CLOCK_MONOTONIC);
	wall = clock_ns(CLOCK_REALTIME);
	b = clock_ns(CLOCK_MONOTONIC);
	r->wall_minus_mono_ns = (__s64)(wall - (a + (b - a) / 2));
	tsc_sample(&r->clock);
	r->rb = ring_buffer__new(map_fd, on_event, r, NULL);
	if (!r->rb) {
		fprintf(stderr, "vmexitprof: --slower-than: cannot read the ring buffer: %s\n",
			strerror(errno));
		return -1;
	}
	if (!json)
		print_outlier_header(stdout);
	return 0;
}

/* A pair now, after the events waiting and before they are read: they lie between two pairs. */
static int consume(struct outlier_reader *r)
{
	int n;

	tsc_sample(&r->clock);
	n = ring_buffer__consume(r->rb);
	if (n > 0)
		fflush(stdout);
	if (r->err)
		return r->err;
	return n < 0 ? n : 0;
}

int outliers_wait(struct outlier_reader *r, int ms)
{
	struct epoll_event ev;
	int n = epoll_wait(ring_buffer__epoll_fd(r->rb), &ev, 1, ms);

	if (n < 0 && errno != EINTR)
		return -errno;
	return consume(r);
}

int outliers_drain(struct outlier_reader *r)
{
	return r->rb ? consume(r) : 0;
}

void outliers_close(struct outlier_reader *r)
{
	ring_buffer__free(r->rb);
	r->rb = NULL;
}
