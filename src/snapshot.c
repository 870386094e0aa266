// SPDX-License-Identifier: GPL-2.0
/*
 * Snapshots of the maps, the intervals between them, and the run that
 * holds them (include/snapshot.h). The model: it knows no printer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "snapshot.h"
#include "util.h"

const char *const vmm_clock_names[NR_VMM_CLOCKS] = {
	"auto", "kvm_fpu", "usdt", "syscall", "fentry",
};
const char *const attach_mode_names[NR_ATTACH_MODES] = { "auto", "tp_btf", "classic" };

const char *const counter_names[NR_COUNTERS] = {
	[CNT_EXITS] = "exits",
	[CNT_ENTRIES] = "entries",
	[CNT_PAIRED] = "paired",
	[CNT_ENTRY_WITHOUT_EXIT] = "entry_without_exit",
	[CNT_EXIT_OVERWRITTEN] = "exit_overwritten",
	[CNT_HIST_FULL] = "hist_full",
	[CNT_HIST_ALLOC_FAILED] = "hist_alloc_failed",
	[CNT_USERSPACE_EXITS] = "userspace_exits",
	[CNT_UEXIT_DROPPED] = "userspace_exits_dropped",
	[CNT_VMM_PAIRED] = "vmm_intervals",
	[CNT_IO_DROPPED] = "io_dropped",
	[CNT_VMM_DROPPED] = "vmm_intervals_dropped",
	[CNT_SLOT_FAILED] = "slot_failed",
	[CNT_VMM_UNTIMED] = "vmm_untimed",
	[CNT_VMS_SEEN_FULL] = "vms_seen_full",
	[CNT_MINMAX_CONTENDED] = "minmax_contended",
	[CNT_IO_UNTRACKED] = "io_untracked",
	[CNT_HALT_DROPPED] = "halt_dropped",
	[CNT_OUTLIERS] = "outliers",
	[CNT_OUTLIERS_LOST] = "outliers_lost",
};

__u64 counters_exits_pending(const __u64 *c)
{
	__u64 done = c[CNT_PAIRED] + c[CNT_EXIT_OVERWRITTEN] + c[CNT_HIST_FULL] +
		     c[CNT_HIST_ALLOC_FAILED] + c[CNT_SLOT_FAILED];

	return c[CNT_EXITS] > done ? c[CNT_EXITS] - done : 0;
}

bool counters_kvm_exit_fired(const __u64 *c)
{
	return c[CNT_EXITS] || !c[CNT_USERSPACE_EXITS];
}

int snapshot_add_hist(struct snapshot *s, const struct hist_key *key, const struct hist *h)
{
	struct snap_hist *e = array_append(&s->hists, &s->nr_hists, sizeof(*e));

	__u64 in_buckets = 0;

	if (!e)
		return -ENOMEM;
	e->key = *key;
	e->h = *h;
	/*
	 * Read while a program is halfway through hist_add(), the count can be
	 * ahead of the buckets. The buckets are the truth: every one only ever
	 * grows, so intervals taken from them stay whole and add up.
	 */
	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++)
		in_buckets += h->buckets[b];
	e->h.count = in_buckets;
	return 0;
}

int snapshot_add_uexit(struct snapshot *s, const struct uexit_key *key, __u64 count)
{
	struct snap_uexit *e = array_append(&s->uexits, &s->nr_uexits, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->key = *key;
	e->count = count;
	return 0;
}

int snapshot_add_io(struct snapshot *s, const struct io_key *key, const struct io_stats *st)
{
	struct snap_io *e = array_append(&s->io, &s->nr_io, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->key = *key;
	e->st = *st;
	return 0;
}

/* The keys have no padding holes (see vmexitprof.h), so memcmp orders them. */
static int cmp_hist(const void *a, const void *b)
{
	return memcmp(&((const struct snap_hist *)a)->key, &((const struct snap_hist *)b)->key,
		      sizeof(struct hist_key));
}

static int cmp_uexit(const void *a, const void *b)
{
	return memcmp(&((const struct snap_uexit *)a)->key, &((const struct snap_uexit *)b)->key,
		      sizeof(struct uexit_key));
}

static int cmp_io(const void *a, const void *b)
{
	return memcmp(&((const struct snap_io *)a)->key, &((const struct snap_io *)b)->key,
		      sizeof(struct io_key));
}

static void merge_hist(void *dst, const void *src)
{
	hist_merge(&((struct snap_hist *)dst)->h, &((const struct snap_hist *)src)->h);
}

static void merge_uexit(void *dst, const void *src)
{
	((struct snap_uexit *)dst)->count += ((const struct snap_uexit *)src)->count;
}

static void merge_io(void *dst, const void *src)
{
	io_stats_merge(&((struct snap_io *)dst)->st, &((const struct snap_io *)src)->st);
}

/*
 * In a sorted array, merge each run of entries with equal keys into its
 * first: a key is in the maps once, but the entries of exited VMs are
 * kept apart once moved out of them, and a key can be in both (a VM taken
 * for gone that was not).
 */
static void merge_equal_keys(void *arr, size_t *nr, size_t sz, int (*cmp)(const void *, const void *),
			     void (*merge)(void *dst, const void *src))
{
	char *a = arr;
	size_t n = 0;

	for (size_t i = 0; i < *nr; i++) {
		if (n && !cmp(a + (n - 1) * sz, a + i * sz))
			merge(a + (n - 1) * sz, a + i * sz);
		else if (n++ != i)
			memcpy(a + (n - 1) * sz, a + i * sz, sz);
	}
	*nr = n;
}

void snapshot_sort(struct snapshot *s)
{
	sort_array(s->hists, s->nr_hists, sizeof(s->hists[0]), cmp_hist);
	sort_array(s->uexits, s->nr_uexits, sizeof(s->uexits[0]), cmp_uexit);
	sort_array(s->io, s->nr_io, sizeof(s->io[0]), cmp_io);
	merge_equal_keys(s->hists, &s->nr_hists, sizeof(s->hists[0]), cmp_hist, merge_hist);
	merge_equal_keys(s->uexits, &s->nr_uexits, sizeof(s->uexits[0]), cmp_uexit, merge_uexit);
	merge_equal_keys(s->io, &s->nr_io, sizeof(s->io[0]), cmp_io, merge_io);
}

int snapshot_fold_vm(struct snapshot *s, __u32 pid, __u64 start)
{
	for (size_t i = 0; i < s->nr_hists; i++) {
		struct hist_key *k = &s->hists[i].key;

		if (k->pid == pid && k->vm_start == start) {
			k->pid = FOLDED_VM_PID;
			k->vm_start = 0;
			k->vcpu = VCPU_UNKNOWN;
		}
	}
	for (size_t i = 0; i < s->nr_uexits; i++) {
		struct uexit_key *k = &s->uexits[i].key;

		if (k->pid == pid && k->vm_start == start) {
			k->pid = FOLDED_VM_PID;
			k->vm_start = 0;
			k->vcpu = VCPU_UNKNOWN;
		}
	}
	for (size_t i = 0; i < s->nr_io; i++) {
		struct io_key *k = &s->io[i].key;

		if (k->pid == pid && k->vm_start == start) {
			k->pid = FOLDED_VM_PID;
			k->vm_start = 0;
		}
	}
	snapshot_sort(s);	/* merges the folded keys with those already there */
	return 0;
}

int snapshot_add_all(struct snapshot *dst, const struct snapshot *src)
{
	for (size_t i = 0; i < src->nr_hists; i++)
		if (snapshot_add_hist(dst, &src->hists[i].key, &src->hists[i].h))
			return -ENOMEM;
	for (size_t i = 0; i < src->nr_uexits; i++)
		if (snapshot_add_uexit(dst, &src->uexits[i].key, src->uexits[i].count))
			return -ENOMEM;
	for (size_t i = 0; i < src->nr_io; i++)
		if (snapshot_add_io(dst, &src->io[i].key, &src->io[i].st))
			return -ENOMEM;
	return 0;
}

void snapshot_free(struct snapshot *s)
{
	free(s->hists);
	free(s->uexits);
	free(s->io);
	memset(s, 0, sizeof(*s));
}

static const void *find(const void *key, const void *arr, size_t nr, size_t sz,
			int (*cmp)(const void *, const void *))
{
	return nr ? bsearch(key, arr, nr, sz, cmp) : NULL;
}

/* One key's histogram over the interval, from its cumulative values now and before. */
static int diff_hist(const struct snap_hist *cur, const struct snap_hist *prev, struct sparse_hist *out)
{
	static const struct hist empty;
	const struct hist *c = &cur->h, *p = prev ? &prev->h : &empty;
	__u32 nr = 0, lo = HIST_NR_BUCKETS, hi = 0;
	__u64 bucket_lo, bucket_hi;

	for (__u32 b = 0; b < HIST_NR_BUCKETS; b++) {
		if (c->buckets[b] == p->buckets[b])
			continue;
		nr++;
		if (lo == HIST_NR_BUCKETS)
			lo = b;
		hi = b;
	}
	out->key = cur->key;
	out->count = c->count - p->count;
	out->sum_ns = c->sum_ns - p->sum_ns;
	out->to_userspace = c->to_userspace - p->to_userspace;
	/* 128-bit difference: the borrow from the low word. */
	out->sum_sq_lo = c->sum_sq_lo - p->sum_sq_lo;
	out->sum_sq_hi = c->sum_sq_hi - p->sum_sq_hi - (c->sum_sq_lo < p->sum_sq_lo);
	out->runnable_ns = c->runnable_ns - p->runnable_ns;
	out->blocked_ns = c->blocked_ns - p->blocked_ns;
	out->vmm_ns = c->vmm_ns - p->vmm_ns;
	out->vmm_off_ns = c->vmm_off_ns - p->vmm_off_ns;
	out->bql_ns = c->bql_ns - p->bql_ns;
	out->buckets = nr ? calloc(nr, sizeof(*out->buckets)) : NULL;
	if (nr && !out->buckets)
		return -ENOMEM;
	for (__u32 b = lo; nr && b <= hi; b++)
		if (c->buckets[b] != p->buckets[b])
			out->buckets[out->nr_buckets++] = (struct bucket_count){ b, c->buckets[b] - p->buckets[b] };
	if (!out->count)
		return 0;	/* sums of samples whose buckets the next interval counts */
	/*
	 * Within the buckets counted here: the run's min or max where it moved
	 * in this interval and lies in them (a torn read can show a sample's
	 * min or max before its bucket), else the buckets' bounds, tightened
	 * by the run's extremes. Merged back, intervals give the exact ones.
	 */
	bucket_lo = hist_bucket_lower(lo);
	bucket_hi = hi >= HIST_OVERFLOW ? ~0ULL : hist_bucket_lower(hi + 1) - 1;
	out->min_ns = (!p->count || c->min_ns < p->min_ns) && c->min_ns >= bucket_lo ? c->min_ns :
		      bucket_lo > c->min_ns ? bucket_lo : c->min_ns;
	out->max_ns = (!p->count || c->max_ns > p->max_ns) && c->max_ns <= bucket_hi ? c->max_ns :
		      bucket_hi < c->max_ns ? bucket_hi : c->max_ns;
	if (out->min_ns > bucket_hi)
		out->min_ns = bucket_hi;
	if (out->max_ns < out->min_ns)
		out->max_ns = out->min_ns;
	return 0;
}

static void diff_io(const struct snap_io *cur, const struct snap_io *prev, struct snap_io *out)
{
	static const struct io_stats empty;
	const struct io_stats *c = &cur->st, *p = prev ? &prev->st : &empty;
	struct io_stats *o = &out->st;

	out->key = cur->key;
	o->count = c->count - p->count;
	o->to_userspace = c->to_userspace - p->to_userspace;
	o->handled = c->handled - p->handled;
	o->handled_sum_ns = c->handled_sum_ns - p->handled_sum_ns;
	o->faults = c->faults - p->faults;
	if (!o->handled)
		return;
	/*
	 * No buckets here: where the run's min/max did not move, the interval's
	 * average stands in. It lies within the interval's true range, so
	 * intervals merged back still give the run's exact min and max.
	 */
	o->handled_min_ns = !p->handled || c->handled_min_ns < p->handled_min_ns ?
			    c->handled_min_ns : o->handled_sum_ns / o->handled;
	o->handled_max_ns = !p->handled || c->handled_max_ns > p->handled_max_ns ?
			    c->handled_max_ns : o->handled_sum_ns / o->handled;
}

static bool hist_sums_moved(const struct hist *p, const struct hist *c)
{
	return p->count != c->count || p->sum_ns != c->sum_ns || p->to_userspace != c->to_userspace ||
	       p->sum_sq_lo != c->sum_sq_lo || p->sum_sq_hi != c->sum_sq_hi ||
	       p->runnable_ns != c->runnable_ns || p->blocked_ns != c->blocked_ns ||
	       p->vmm_ns != c->vmm_ns || p->vmm_off_ns != c->vmm_off_ns || p->bql_ns != c->bql_ns;
}

int snapshot_diff(const struct snapshot *cur, const struct snapshot *prev, struct interval *out)
{
	memset(out, 0, sizeof(*out));
	for (int c = 0; c < NR_COUNTERS; c++)
		out->counters[c] = cur->counters[c] - prev->counters[c];
	for (size_t i = 0; i < cur->nr_hists; i++) {
		const struct snap_hist *p = find(&cur->hists[i], prev->hists, prev->nr_hists,
						 sizeof(prev->hists[0]), cmp_hist);
		struct sparse_hist *o;

		/*
		 * Every field only grows: a key moved if any of the additive ones
		 * did (those written after the count too: a torn read's rest).
		 */
		if (p && !hist_sums_moved(&p->h, &cur->hists[i].h))
			continue;
		o = array_append(&out->hists, &out->nr_hists, sizeof(*o));
		if (!o || diff_hist(&cur->hists[i], p, o))
			goto nomem;
	}
	for (size_t i = 0; i < cur->nr_uexits; i++) {
		const struct snap_uexit *p = find(&cur->uexits[i], prev->uexits, prev->nr_uexits,
						  sizeof(prev->uexits[0]), cmp_uexit);
		struct snap_uexit *o;

		if (p && p->count == cur->uexits[i].count)
			continue;
		o = array_append(&out->uexits, &out->nr_uexits, sizeof(*o));
		if (!o)
			goto nomem;
		o->key = cur->uexits[i].key;
		o->count = cur->uexits[i].count - (p ? p->count : 0);
	}
	for (size_t i = 0; i < cur->nr_io; i++) {
		const struct snap_io *p = find(&cur->io[i], prev->io, prev->nr_io, sizeof(prev->io[0]),
					       cmp_io);
		struct snap_io *o;

		if (p && !memcmp(&p->st, &cur->io[i].st, sizeof(p->st)))
			continue;
		o = array_append(&out->io, &out->nr_io, sizeof(*o));
		if (!o)
			goto nomem;
		diff_io(&cur->io[i], p, o);
	}
	return 0;
nomem:
	interval_free(out);
	return -ENOMEM;
}

void interval_free(struct interval *iv)
{
	for (size_t i = 0; i < iv->nr_hists; i++)
		free(iv->hists[i].buckets);
	free(iv->hists);
	free(iv->uexits);
	free(iv->io);
	memset(iv, 0, sizeof(*iv));
}

void sparse_hist_expand(const struct sparse_hist *s, struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->count = s->count;
	h->sum_ns = s->sum_ns;
	h->min_ns = s->min_ns;
	h->max_ns = s->max_ns;
	h->to_userspace = s->to_userspace;
	h->sum_sq_lo = s->sum_sq_lo;
	h->sum_sq_hi = s->sum_sq_hi;
	h->runnable_ns = s->runnable_ns;
	h->blocked_ns = s->blocked_ns;
	h->vmm_ns = s->vmm_ns;
	h->vmm_off_ns = s->vmm_off_ns;
	h->bql_ns = s->bql_ns;
	for (__u32 i = 0; i < s->nr_buckets; i++)
		if (s->buckets[i].bucket < HIST_NR_BUCKETS)
			h->buckets[s->buckets[i].bucket] += s->buckets[i].count;
}

void io_stats_merge(struct io_stats *dst, const struct io_stats *src)
{
	if (src->handled && (!dst->handled || src->handled_min_ns < dst->handled_min_ns))
		dst->handled_min_ns = src->handled_min_ns;
	if (src->handled_max_ns > dst->handled_max_ns)
		dst->handled_max_ns = src->handled_max_ns;
	dst->count += src->count;
	dst->to_userspace += src->to_userspace;
	dst->handled += src->handled;
	dst->handled_sum_ns += src->handled_sum_ns;
	dst->faults += src->faults;
}

int run_add_interval(struct run *run, struct interval *iv)
{
	struct interval *slot = array_append(&run->intervals, &run->nr_intervals, sizeof(*slot));

	if (!slot)
		return -ENOMEM;
	*slot = *iv;
	memset(iv, 0, sizeof(*iv));
	return 0;
}

const struct run_vm *run_vm(const struct run *run, __u32 pid, __u64 start)
{
	for (size_t i = 0; i < run->nr_vms; i++)
		if (run->vms[i].pid == pid && run->vms[i].start == start)
			return &run->vms[i];
	return NULL;
}

int run_add_vm(struct run *run, __u32 pid, __u64 start, const char *name, bool exited)
{
	struct run_vm *vm = (struct run_vm *)run_vm(run, pid, start);

	if (!vm) {
		vm = array_append(&run->vms, &run->nr_vms, sizeof(*vm));
		if (!vm)
			return -ENOMEM;
		vm->pid = pid;
		vm->start = start;
	}
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	vm->exited = exited;
	return 0;
}

int run_add_vcpu_id(struct run *run, __u32 pid, __u64 start, __u32 vcpu, __u32 vcpu_id)
{
	struct run_vcpu_id *v;

	if (run_vcpu_id(run, pid, start, vcpu) != VCPU_UNKNOWN)
		return 0;
	v = array_append(&run->vcpu_ids, &run->nr_vcpu_ids, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*v = (struct run_vcpu_id){ .pid = pid, .vcpu = vcpu, .start = start, .vcpu_id = vcpu_id };
	return 0;
}

__u32 run_vcpu_id(const struct run *run, __u32 pid, __u64 start, __u32 vcpu)
{
	for (size_t i = 0; i < run->nr_vcpu_ids; i++) {
		const struct run_vcpu_id *v = &run->vcpu_ids[i];

		if (v->pid == pid && v->start == start && v->vcpu == vcpu)
			return v->vcpu_id;
	}
	return VCPU_UNKNOWN;
}

int run_fold_vm(struct run *run, __u32 pid, __u64 start)
{
	struct run_vm *vm = (struct run_vm *)run_vm(run, pid, start);
	char name[64];
	size_t n = 0;

	if (vm) {
		memmove(vm, vm + 1, (run->vms + run->nr_vms - (vm + 1)) * sizeof(*vm));
		run->nr_vms--;
	}
	/* Its vCPUs are merged into one: their vcpu_ids go. */
	for (size_t i = 0; i < run->nr_vcpu_ids; i++)
		if (run->vcpu_ids[i].pid != pid || run->vcpu_ids[i].start != start)
			run->vcpu_ids[n++] = run->vcpu_ids[i];
	run->nr_vcpu_ids = n;
	run->nr_folded_vms++;
	snprintf(name, sizeof(name), "%zu VM%s that exited earlier, merged", run->nr_folded_vms,
		 run->nr_folded_vms == 1 ? "" : "s");
	return run_add_vm(run, FOLDED_VM_PID, 0, name, true);
}

int run_add_outlier(struct run *run, const struct outlier *o)
{
	struct outlier *e = array_append(&run->outliers, &run->nr_outliers, sizeof(*e));

	if (!e)
		return -ENOMEM;
	*e = *o;
	return 0;
}

void run_free(struct run *run)
{
	for (size_t i = 0; i < run->nr_intervals; i++)
		interval_free(&run->intervals[i]);
	free(run->intervals);
	free(run->vms);
	free(run->vcpu_ids);
	free(run->outliers);
	memset(run, 0, sizeof(*run));
}
