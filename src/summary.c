// SPDX-License-Identifier: GPL-2.0
/* A run's intervals summed per VM, vCPU and reason, and sorted (include/summary.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hist.h"
#include "summary.h"
#include "util.h"

static struct reason_row *reason_slot(struct reason_rows *set, const struct hist_key *k)
{
	struct reason_row *row;

	for (size_t i = 0; i < set->nr; i++) {
		row = &set->rows[i];
		if (row->isa == k->isa && row->flags == k->flags && row->reason == k->reason)
			return row;
	}
	row = array_append(&set->rows, &set->nr, sizeof(*row));
	if (row)
		*row = (struct reason_row){ .isa = k->isa, .flags = k->flags, .reason = k->reason };
	return row;
}

static struct vm_summary *vm_slot(struct summary *sum, __u32 pid, __u64 start)
{
	struct vm_summary *vm;

	for (size_t i = 0; i < sum->nr_vms; i++)
		if (sum->vms[i].vm.pid == pid && sum->vms[i].vm.start == start)
			return &sum->vms[i];
	vm = array_append(&sum->vms, &sum->nr_vms, sizeof(*vm));
	if (vm) {
		vm->vm.pid = pid;
		vm->vm.start = start;
	}
	return vm;
}

static struct vcpu_summary *vcpu_slot(struct vm_summary *vm, __u32 vcpu)
{
	struct vcpu_summary *v;

	for (size_t i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].vcpu == vcpu)
			return &vm->vcpus[i];
	v = array_append(&vm->vcpus, &vm->nr_vcpus, sizeof(*v));
	if (v)
		v->vcpu = vcpu;
	return v;
}

/* One key's (CPU-summed) histogram, into its VM's and its vCPU's rows. */
static int add_hist(struct summary *sum, const struct hist_key *key, const struct hist *h)
{
	struct vm_summary *vm = vm_slot(sum, key->pid, key->vm_start);
	struct vcpu_summary *vcpu = vm ? vcpu_slot(vm, key->vcpu) : NULL;
	struct reason_row *all, *one;

	if (!vcpu)
		return -ENOMEM;
	all = reason_slot(key->isa == ISA_VMM ? &vm->vmm : key->isa == ISA_HALT ? &vm->halt : &vm->reasons, key);
	one = all ? reason_slot(key->isa == ISA_VMM ? &vcpu->vmm :
				key->isa == ISA_HALT ? &vcpu->halt : &vcpu->reasons, key) : NULL;
	if (!one)
		return -ENOMEM;
	hist_merge(&all->h, h);
	hist_merge(&one->h, h);
	return 0;
}

static struct uexit_row *uexit_slot(struct uexit_rows *set, const struct uexit_key *k)
{
	struct uexit_row *row;

	for (size_t i = 0; i < set->nr; i++)
		if (set->rows[i].reason == k->reason && set->rows[i].flags == k->flags)
			return &set->rows[i];
	row = array_append(&set->rows, &set->nr, sizeof(*row));
	if (row)
		*row = (struct uexit_row){ .reason = k->reason, .flags = k->flags };
	return row;
}

static int add_uexit(struct summary *sum, const struct uexit_key *key, __u64 count)
{
	struct vm_summary *vm = vm_slot(sum, key->pid, key->vm_start);
	struct vcpu_summary *vcpu = vm ? vcpu_slot(vm, key->vcpu) : NULL;
	struct uexit_row *all = vcpu ? uexit_slot(&vm->uexits, key) : NULL;
	struct uexit_row *one = all ? uexit_slot(&vcpu->uexits, key) : NULL;

	if (!one)
		return -ENOMEM;
	all->count += count;
	one->count += count;
	return 0;
}

/* A port/MMIO tally, merged into the VM's row for the same key, or a new row. */
static int add_io(struct summary *sum, const struct snap_io *e)
{
	struct vm_summary *vm = vm_slot(sum, e->key.pid, e->key.vm_start);
	struct io_row *row;

	if (!vm)
		return -ENOMEM;
	for (size_t i = 0; i < vm->io.nr; i++) {
		if (!memcmp(&vm->io.rows[i].key, &e->key, sizeof(e->key))) {
			io_stats_merge(&vm->io.rows[i].stats, &e->st);
			return 0;
		}
	}
	row = array_append(&vm->io.rows, &vm->io.nr, sizeof(*row));
	if (!row)
		return -ENOMEM;
	*row = (struct io_row){ .key = e->key, .stats = e->st };
	return 0;
}

/* Add an interval's numbers (several intervals add up). -ENOMEM or 0. */
static int add_interval(struct summary *sum, const struct interval *iv)
{
	struct hist *h = malloc(sizeof(*h));
	int err = 0;

	if (!h)
		return -ENOMEM;
	for (int c = 0; c < NR_COUNTERS; c++)
		sum->counters[c] += iv->counters[c];
	for (size_t i = 0; i < iv->nr_hists && !err; i++) {
		sparse_hist_expand(&iv->hists[i], h);
		err = add_hist(sum, &iv->hists[i].key, h);
	}
	for (size_t i = 0; i < iv->nr_uexits && !err; i++)
		if (iv->uexits[i].count)
			err = add_uexit(sum, &iv->uexits[i].key, iv->uexits[i].count);
	/* Handled in this interval, accessed in an earlier one: still counts. */
	for (size_t i = 0; i < iv->nr_io && !err; i++)
		if (iv->io[i].st.count || iv->io[i].st.to_userspace || iv->io[i].st.handled)
			err = add_io(sum, &iv->io[i]);
	free(h);
	return err;
}

int summary_of_run(const struct run *run, size_t first, size_t nr, struct summary *sum)
{
	int err = 0;

	for (size_t i = first; i < first + nr && i < run->nr_intervals && !err; i++)
		err = add_interval(sum, &run->intervals[i]);
	if (err)
		return err;
	if (nr == 1 && first < run->nr_intervals) {
		sum->interval_start_ns = run->intervals[first].start_ns;
		sum->interval_end_ns = run->intervals[first].end_ns;
		sum->duration_ns = sum->interval_end_ns - sum->interval_start_ns;
	} else {
		sum->duration_ns = run->duration_ns;
	}
	sum->kvm_exit_fired = run->kvm_exit_fired;
	sum->ports = run->ports;
	sum->sched = run->sched;
	sum->bql = run->bql;
	sum->mmio = run->mmio;
	sum->msr = run->msr;
	sum->cpuid = run->cpuid;
	sum->halt = run->halt;
	sum->vmm_time_source = run->vmm_time_source;
	sum->attach = run->attach;
	for (size_t i = 0; i < sum->nr_vms; i++) {
		struct run_vm *vm = &sum->vms[i].vm;
		const struct run_vm *known = run_vm(run, vm->pid, vm->start);

		snprintf(vm->name, sizeof(vm->name), "%s", known ? known->name : "?");
		snprintf(vm->uuid, sizeof(vm->uuid), "%s", known ? known->uuid : "");
		vm->exited = known && known->exited;
		for (size_t j = 0; j < sum->vms[i].nr_vcpus; j++) {
			struct vcpu_summary *v = &sum->vms[i].vcpus[j];

			v->vcpu_id = run_vcpu_id(run, vm->pid, vm->start, v->vcpu);
		}
	}
	return 0;
}

int summary_of_total(const struct run *run, const struct snapshot *total, struct summary *sum)
{
	static const struct snapshot empty;
	struct run whole = *run;
	struct interval all;
	int err = snapshot_diff(total, &empty, &all);

	if (err)
		return err;
	all.end_ns = run->duration_ns;
	whole.intervals = &all;
	whole.nr_intervals = 1;
	err = summary_of_run(&whole, 0, 1, sum);
	interval_free(&all);
	/* The run's own, not the copy's: whole ends here (attach points into it). */
	sum->vmm_time_source = run->vmm_time_source;
	sum->attach = run->attach;
	sum->duration_ns = run->duration_ns;
	sum->interval_start_ns = sum->interval_end_ns = 0;
	return err;
}

static void free_vcpu(struct vcpu_summary *v)
{
	free(v->reasons.rows);
	free(v->uexits.rows);
	free(v->vmm.rows);
	free(v->halt.rows);
}

static void free_vm(struct vm_summary *vm)
{
	for (size_t j = 0; j < vm->nr_vcpus; j++)
		free_vcpu(&vm->vcpus[j]);
	free(vm->vcpus);
	free(vm->reasons.rows);
	free(vm->uexits.rows);
	free(vm->vmm.rows);
	free(vm->halt.rows);
	free(vm->io.rows);
}

void summary_free(struct summary *sum)
{
	for (size_t i = 0; i < sum->nr_vms; i++)
		free_vm(&sum->vms[i]);
	free(sum->vms);
	memset(sum, 0, sizeof(*sum));
}

void summary_drop_vms(struct summary *sum, bool (*drop)(const struct run_vm *vm, void *ctx), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < sum->nr_vms; i++) {
		if (drop(&sum->vms[i].vm, ctx))
			free_vm(&sum->vms[i]);
		else
			sum->vms[n++] = sum->vms[i];
	}
	sum->nr_vms = n;
}

const struct hist *summary_vmm_hist(const struct reason_rows *vmm, const struct uexit_row *u)
{
	if (u->flags & UEXIT_FLAG_ERRNO)
		return NULL;
	for (size_t i = 0; i < vmm->nr; i++)
		if (vmm->rows[i].reason == u->reason && (vmm->rows[i].h.count || vmm->rows[i].h.sum_ns))
			return &vmm->rows[i].h;
	return NULL;
}

/* ---- ordering ---------------------------------------------------------- */

static double sort_value(const struct reason_row *r, enum sort_key key)
{
	switch (key) {
	case SORT_TIME:
		return r->h.sum_ns;
	case SORT_AVG:
		return r->h.count ? (double)r->h.sum_ns / r->h.count : 0;
	case SORT_MAX:
		return r->h.max_ns;
	case SORT_P99:
		return hist_percentile(&r->h, 0.99);
	case SORT_COUNT:
	default:
		return r->h.count;
	}
}

static int cmp_reasons(const void *a, const void *b, void *ctx)
{
	const struct reason_row *x = a, *y = b;
	enum sort_key key = *(const enum sort_key *)ctx;
	double vx = sort_value(x, key), vy = sort_value(y, key);

	if (vx != vy)
		return vx < vy ? 1 : -1;
	/* Stable, readable ties: by ISA, code, then flags (a failed entry after its reason). */
	if (x->isa != y->isa)
		return x->isa - y->isa;
	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return x->flags - y->flags;
}

static void sort_reasons(struct reason_rows *set, enum sort_key key)
{
	sort_array_r(set->rows, set->nr, sizeof(set->rows[0]), cmp_reasons, &key);
}

/* Returns with a KVM_EXIT reason first, by count; errno returns last. */
static int cmp_uexits(const void *a, const void *b)
{
	const struct uexit_row *x = a, *y = b;

	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->reason < y->reason ? -1 : x->reason > y->reason;
}

static void sort_uexits(struct uexit_rows *set)
{
	sort_array(set->rows, set->nr, sizeof(set->rows[0]), cmp_uexits);
}

/* --sort time orders by the VMM's handling time, anything else by count. */
static int cmp_io(const void *a, const void *b, void *ctx)
{
	const struct io_row *x = a, *y = b;
	bool by_time = *(const enum sort_key *)ctx == SORT_TIME;
	__u64 vx = by_time ? x->stats.handled_sum_ns : x->stats.count;
	__u64 vy = by_time ? y->stats.handled_sum_ns : y->stats.count;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->key.kind != y->key.kind)
		return x->key.kind - y->key.kind;
	return x->key.addr < y->key.addr ? -1 : x->key.addr > y->key.addr;
}

/* Halt rows in HALT_* order, each valid before invalid: a fixed table. */
static int cmp_halt(const void *a, const void *b)
{
	const struct reason_row *x = a, *y = b;

	if (x->reason != y->reason)
		return x->reason < y->reason ? -1 : 1;
	return x->flags - y->flags;
}

static int cmp_vcpus(const void *a, const void *b)
{
	const struct vcpu_summary *x = a, *y = b;

	return x->vcpu < y->vcpu ? -1 : x->vcpu > y->vcpu;
}

/* VMs by pid, then by start: the same order live and from a dump, whatever the intervals held. */
static int cmp_vms(const void *a, const void *b)
{
	const struct run_vm *x = &((const struct vm_summary *)a)->vm, *y = &((const struct vm_summary *)b)->vm;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

void summary_sort(struct summary *sum, enum sort_key key)
{
	sort_array(sum->vms, sum->nr_vms, sizeof(sum->vms[0]), cmp_vms);
	for (size_t i = 0; i < sum->nr_vms; i++) {
		struct vm_summary *vm = &sum->vms[i];

		sort_reasons(&vm->reasons, key);
		sort_uexits(&vm->uexits);
		sort_array(vm->halt.rows, vm->halt.nr, sizeof(vm->halt.rows[0]), cmp_halt);
		sort_array_r(vm->io.rows, vm->io.nr, sizeof(vm->io.rows[0]), cmp_io, &key);
		sort_array(vm->vcpus, vm->nr_vcpus, sizeof(vm->vcpus[0]), cmp_vcpus);
		for (size_t j = 0; j < vm->nr_vcpus; j++) {
			sort_reasons(&vm->vcpus[j].reasons, key);
			sort_uexits(&vm->vcpus[j].uexits);
			sort_array(vm->vcpus[j].halt.rows, vm->vcpus[j].halt.nr,
				   sizeof(vm->vcpus[j].halt.rows[0]), cmp_halt);
		}
	}
}
