/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the BPF maps hold, read into snapshots; the entries of VMs that
 * exited moved out of the maps; and the VMs named.
 */
#ifndef VMEXITPROF_COLLECT_H
#define VMEXITPROF_COLLECT_H

#include <linux/types.h>

#include "snapshot.h"

struct vmexitprof_bpf;

struct collector {
	struct vmexitprof_bpf *skel;
	/* The exited VMs' entries, moved out of the maps; every snapshot includes them. */
	struct snapshot gone;
	/* Those VMs, oldest first, at most keep_exited: older ones are folded into one. */
	struct vm_id *exited;
	size_t nr_exited;
	size_t keep_exited;		/* 0: no limit */
};

/* keep_exited: how many exited VMs gone keeps apart (0: all). */
void collector_init(struct collector *c, struct vmexitprof_bpf *skel, size_t keep_exited);
void collector_free(struct collector *c);

/* The counters summed over CPUs. 0 or -errno. */
int collect_counters(const struct collector *c, __u64 *out);
/* Everything aggregated so far, sorted. 0 or -errno. */
int collect_snapshot(struct collector *c, struct snapshot *snap);
/*
 * Move the entries of VMs that have exited from the maps into gone; past
 * keep_exited of them, fold the oldest into the FOLDED_VM_PID VM, and give
 * their ids in *folded (*nr_folded of them; the caller frees the array),
 * for the caller to fold them in its own snapshots and run too. 0 or -errno.
 */
int collect_move_exited(struct collector *c, struct run *run, struct vm_id **folded, size_t *nr_folded);

/*
 * Name a VM (pid and start) the first time it is seen, so that one that
 * exits is still named, and a pid's next process is not named for it:
 * from /proc while it runs, else from comm, its process name as the BPF
 * side saw it (NULL: not known).
 */
void collect_name_vm(struct run *run, __u32 pid, __u64 start, const char *comm);
/* Note the vcpu_ids the BPF side found differing from the vCPUs' numbers. */
void collect_vcpu_ids(struct collector *c, struct run *run);
/* Name the VMs the BPF side saw since the last look. */
void collect_new_vm_names(struct collector *c, struct run *run);
/* Name every VM of snap, and mark those of run that are gone. */
void collect_final_vm_names(struct run *run, const struct snapshot *snap);

#endif /* VMEXITPROF_COLLECT_H */
