// SPDX-License-Identifier: GPL-2.0
/*
 * The maps read into snapshots, exited VMs' entries moved out of them,
 * and the VMs named (include/collect.h). Lookups of per-CPU maps take no
 * lock the programs take, so reading never stalls them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "collect.h"
#include "hist.h"
#include "proc.h"
#include "util.h"
#include "vmexitprof.skel.h"

void collector_init(struct collector *c, struct vmexitprof_bpf *skel, size_t keep_exited)
{
	memset(c, 0, sizeof(*c));
	c->skel = skel;
	c->keep_exited = keep_exited;
}

void collector_free(struct collector *c)
{
	snapshot_free(&c->gone);
	free(c->exited);
}

int collect_counters(const struct collector *c, __u64 *out)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *values = calloc(ncpus, sizeof(*values));
	int err = 0;

	if (!values)
		return -ENOMEM;
	for (__u32 i = 0; i < NR_COUNTERS; i++) {
		err = bpf_map__lookup_elem(c->skel->maps.counters, &i, sizeof(i), values,
					   ncpus * sizeof(*values), 0);
		if (err)
			break;
		out[i] = 0;
		for (int cpu = 0; cpu < ncpus; cpu++)
			out[i] += values[cpu];
	}
	free(values);
	if (!err)
		counters_derive(out);
	return err;
}

void collect_name_vm(struct run *run, __u32 pid, __u64 start, const char *comm)
{
	char name[128];

	if (run_vm(run, pid, start))
		return;
	/*
	 * Alive before and after the read, so the name is its own: a VM that
	 * exits in between (its /proc gone: "?") or whose pid another process
	 * took is named as one that came and went.
	 */
	if (vm_alive(pid, start)) {
		struct run_vm *vm;

		vm_name(pid, name, sizeof(name));
		if (vm_alive(pid, start)) {
			if (run_add_vm(run, pid, start, name, false))
				return;
			vm = (struct run_vm *)run_vm(run, pid, start);
			vm_uuid(pid, vm->uuid, sizeof(vm->uuid));
			return;
		}
	}
	/* Came and went between two looks: named as the BPF side saw it, if it did. */
	snprintf(name, sizeof(name), "%.15s", comm ? comm : "?");
	name_sanitize(name);
	run_add_vm(run, pid, start, name, true);
}

/* One key per VM: cheap to walk. */
void collect_new_vm_names(struct collector *c, struct run *run)
{
	struct vm_id id, next, *prev = NULL;
	struct vm_seen seen;

	while (!bpf_map__get_next_key(c->skel->maps.vms_seen, prev, &next, sizeof(next))) {
		id = next;
		prev = &id;
		if (run_vm(run, id.pid, id.start) ||
		    bpf_map__lookup_elem(c->skel->maps.vms_seen, &id, sizeof(id), &seen, sizeof(seen), 0))
			continue;
		seen.comm[sizeof(seen.comm) - 1] = 0;
		collect_name_vm(run, id.pid, id.start, seen.comm);
	}
}

void collect_vcpu_ids(struct collector *c, struct run *run)
{
	struct vcpu_id_key key, next, *prev = NULL;
	__u32 vcpu_id;

	while (!bpf_map__get_next_key(c->skel->maps.vcpu_ids, prev, &next, sizeof(next))) {
		key = next;
		prev = &key;
		if (!bpf_map__lookup_elem(c->skel->maps.vcpu_ids, &key, sizeof(key), &vcpu_id,
					  sizeof(vcpu_id), 0))
			run_add_vcpu_id(run, key.pid, key.vm_start, key.vcpu, vcpu_id);
	}
}

/* Forget the vcpu_ids of the given VMs in the map (the run keeps them). */
static void forget_vcpu_ids(struct collector *c, const struct vm_id *vms, size_t nr)
{
	struct vcpu_id_key key, next;
	bool first = true;

	while (!bpf_map__get_next_key(c->skel->maps.vcpu_ids, first ? NULL : &key, &next, sizeof(next))) {
		bool gone = false;

		key = next;
		first = false;
		for (size_t i = 0; i < nr && !gone; i++)
			gone = vms[i].pid == key.pid && vms[i].start == key.vm_start;
		/* Deleting restarts the walk from the start: the rest come again. */
		if (gone && !bpf_map__delete_elem(c->skel->maps.vcpu_ids, &key, sizeof(key), 0))
			first = true;
	}
}

/*
 * Call add(snap, key, values, ncpus) for each key of a map. For a per-CPU
 * map values holds every possible CPU's value (ours are all multiples of 8
 * bytes, as the kernel lays per-CPU values out), else ncpus is 1. Stops at
 * add's first error.
 */
typedef int (*map_add_fn)(struct snapshot *snap, const void *key, const void *values, int ncpus);

static bool map_is_percpu(const struct bpf_map *map)
{
	enum bpf_map_type type = bpf_map__type(map);

	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

static int for_each_value(struct bpf_map *map, map_add_fn add, struct snapshot *snap)
{
	size_t key_size = bpf_map__key_size(map), value_size = bpf_map__value_size(map);
	int ncpus = map_is_percpu(map) ? libbpf_num_possible_cpus() : 1, err = 0;
	char *key = malloc(key_size), *next = malloc(key_size);
	void *values = calloc(ncpus, value_size);
	bool first = true;

	if (!key || !next || !values) {
		err = -ENOMEM;
		goto out;
	}
	while (!bpf_map__get_next_key(map, first ? NULL : key, next, key_size)) {
		memcpy(key, next, key_size);
		first = false;
		if (bpf_map__lookup_elem(map, key, key_size, values, ncpus * value_size, 0))
			continue;	/* deleted meanwhile: nothing deletes, but be safe */
		err = add(snap, key, values, ncpus);
		if (err)
			break;
	}
out:
	free(key);
	free(next);
	free(values);
	return err;
}

static int add_hist(struct snapshot *snap, const void *key, const void *values, int ncpus)
{
	const struct hist *v = values;
	struct hist sum = {};

	for (int cpu = 0; cpu < ncpus; cpu++)
		hist_merge(&sum, &v[cpu]);
	if (!sum.count && !sum.sum_ns && !sum.to_userspace)
		return 0;	/* created up front, never used (yet) */
	return snapshot_add_hist(snap, key, &sum);
}

static int add_uexit(struct snapshot *snap, const void *key, const void *values, int ncpus)
{
	const __u64 *v = values;
	__u64 sum = 0;

	for (int cpu = 0; cpu < ncpus; cpu++)
		sum += v[cpu];
	return sum ? snapshot_add_uexit(snap, key, sum) : 0;
}

static int add_io(struct snapshot *snap, const void *key, const void *values, int ncpus)
{
	const struct io_stats *v = values;
	struct io_stats sum = {};

	for (int cpu = 0; cpu < ncpus; cpu++)
		io_stats_merge(&sum, &v[cpu]);
	return sum.count ? snapshot_add_io(snap, key, &sum) : 0;
}

/* Every key type starts with the VM's pid and has its start at the same offset. */
#define KEY_VM_START_OFFSET 16
_Static_assert(offsetof(struct hist_key, vm_start) == KEY_VM_START_OFFSET &&
	       offsetof(struct uexit_key, vm_start) == KEY_VM_START_OFFSET &&
	       offsetof(struct io_key, vm_start) == KEY_VM_START_OFFSET &&
	       offsetof(struct hist_key, pid) == 0 && offsetof(struct uexit_key, pid) == 0 &&
	       offsetof(struct io_key, pid) == 0, "key layout");

static bool key_of_vms(const void *key, const struct vm_id *vms, size_t nr)
{
	__u32 pid;
	__u64 start;

	memcpy(&pid, key, sizeof(pid));
	memcpy(&start, (const char *)key + KEY_VM_START_OFFSET, sizeof(start));
	for (size_t i = 0; i < nr; i++)
		if (vms[i].pid == pid && vms[i].start == start)
			return true;
	return false;
}

/*
 * Add the entries of the given VMs to snap and delete them from the map.
 * Keys first, then values: deleting while walking would restart the walk.
 */
static int move_vms(struct bpf_map *map, map_add_fn add, struct snapshot *snap,
		    const struct vm_id *vms, size_t nr_vms)
{
	size_t key_size = bpf_map__key_size(map), value_size = bpf_map__value_size(map);
	int ncpus = map_is_percpu(map) ? libbpf_num_possible_cpus() : 1, err = 0;
	char *keys = NULL, *next = malloc(key_size), *slot;
	void *values = calloc(ncpus, value_size);
	size_t nr = 0;

	if (!next || !values) {
		err = -ENOMEM;
		goto out;
	}
	while (!bpf_map__get_next_key(map, nr ? keys + (nr - 1) * key_size : NULL, next, key_size)) {
		slot = array_append(&keys, &nr, key_size);
		if (!slot) {
			err = -ENOMEM;
			goto out;
		}
		memcpy(slot, next, key_size);
	}
	for (size_t i = 0; i < nr && !err; i++) {
		const char *key = keys + i * key_size;

		if (!key_of_vms(key, vms, nr_vms) ||
		    bpf_map__lookup_elem(map, key, key_size, values, ncpus * value_size, 0))
			continue;
		err = add(snap, key, values, ncpus);
		if (!err)
			bpf_map__delete_elem(map, key, key_size, 0);
	}
out:
	free(keys);
	free(next);
	free(values);
	return err;
}

/*
 * A VM that has exited gets no more events (a later process on its pid is
 * another VM: the start time differs). Move what the maps hold of it to
 * gone, which every snapshot then includes, so that the maps hold only
 * running VMs: --max-keys bounds the VMs that run at the same time, not
 * all those a long run saw.
 */
int collect_move_exited(struct collector *c, struct run *run, struct vm_id **folded, size_t *nr_folded)
{
	struct { struct bpf_map *map; map_add_fn add; } maps[] = {
		{ c->skel->maps.hists, add_hist }, { c->skel->maps.hists_reserve, add_hist },
		{ c->skel->maps.uexits, add_uexit }, { c->skel->maps.io_tallies, add_io },
	};
	struct vm_id id, next, *prev = NULL, *vms = NULL, *slot;
	size_t nr_vms = 0;
	int err = 0;

	while (!bpf_map__get_next_key(c->skel->maps.vms_seen, prev, &next, sizeof(next))) {
		id = next;
		prev = &id;
		if (vm_alive(id.pid, id.start))
			continue;
		/*
		 * Named here from what BPF saw, if it was not yet: a VM whose first
		 * event came after collect_new_vm_names() walked the map, and that
		 * died before this walk, would otherwise leave the map unnamed.
		 */
		if (!run_vm(run, id.pid, id.start)) {
			struct vm_seen seen = {};

			if (!bpf_map__lookup_elem(c->skel->maps.vms_seen, &id, sizeof(id), &seen, sizeof(seen), 0)) {
				seen.comm[sizeof(seen.comm) - 1] = 0;
				collect_name_vm(run, id.pid, id.start, seen.comm);
			}
		}
		slot = array_append(&vms, &nr_vms, sizeof(*vms));
		if (!slot) {
			err = -ENOMEM;
			break;
		}
		*slot = id;
	}
	for (size_t m = 0; m < ARRAY_SIZE(maps) && nr_vms && !err; m++)
		err = move_vms(maps[m].map, maps[m].add, &c->gone, vms, nr_vms);
	/* Merges a key moved twice (a VM wrongly taken for gone, seen again). */
	snapshot_sort(&c->gone);
	/* Forgotten last: a VM stays in vms_seen until all its entries moved. */
	if (nr_vms && !err)
		forget_vcpu_ids(c, vms, nr_vms);
	for (size_t i = 0; i < nr_vms && !err; i++)
		bpf_map__delete_elem(c->skel->maps.vms_seen, &vms[i], sizeof(vms[i]), 0);
	for (size_t i = 0; i < nr_vms && !err; i++) {
		slot = array_append(&c->exited, &c->nr_exited, sizeof(*c->exited));
		if (!slot)
			err = -ENOMEM;
		else
			*slot = vms[i];
	}
	free(vms);
	*folded = NULL;
	*nr_folded = 0;
	if (err || !c->keep_exited || c->nr_exited <= c->keep_exited)
		return err;
	/* The oldest beyond keep_exited go into the folded VM: gone then stays bounded. */
	*nr_folded = c->nr_exited - c->keep_exited;
	*folded = malloc(*nr_folded * sizeof(**folded));
	if (!*folded) {
		*nr_folded = 0;
		return -ENOMEM;
	}
	memcpy(*folded, c->exited, *nr_folded * sizeof(**folded));
	for (size_t i = 0; i < *nr_folded; i++)
		snapshot_fold_vm(&c->gone, (*folded)[i].pid, (*folded)[i].start);
	memmove(c->exited, c->exited + *nr_folded, c->keep_exited * sizeof(*c->exited));
	c->nr_exited = c->keep_exited;
	return 0;
}

/*
 * Everything the programs aggregated so far. A key's histogram is in hists
 * or, when that could not take it, in hists_reserve. Lookups of per-CPU
 * maps take no lock the programs take, so reading never stalls them.
 */
int collect_snapshot(struct collector *c, struct snapshot *snap)
{
	int err = collect_counters(c, snap->counters);

	/* The exited VMs' entries, moved out of the maps earlier. */
	if (!err)
		err = snapshot_add_all(snap, &c->gone);
	if (!err)
		err = for_each_value(c->skel->maps.hists, add_hist, snap);
	if (!err)
		err = for_each_value(c->skel->maps.hists_reserve, add_hist, snap);
	if (!err)
		err = for_each_value(c->skel->maps.uexits, add_uexit, snap);
	if (!err)
		err = for_each_value(c->skel->maps.io_tallies, add_io, snap);
	snapshot_sort(snap);
	return err;
}

void collect_final_vm_names(struct run *run, const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->nr_hists; i++)
		collect_name_vm(run, snap->hists[i].key.pid, snap->hists[i].key.vm_start, NULL);
	for (size_t i = 0; i < snap->nr_uexits; i++)
		collect_name_vm(run, snap->uexits[i].key.pid, snap->uexits[i].key.vm_start, NULL);
	/* Gone, or its pid now belongs to a later process. */
	for (size_t i = 0; i < run->nr_vms; i++)
		run->vms[i].exited = !vm_alive(run->vms[i].pid, run->vms[i].start);
}

