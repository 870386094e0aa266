/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exit->entry pairing core: maps, filters and scalar-argument handlers.
 * bpf/vmexitprof.bpf.c drives it from the kvm tracepoints;
 * tests/bpf/exit_entry_test.bpf.c drives the same code with synthetic
 * events through BPF_PROG_TEST_RUN.
 */
#ifndef VMEXITPROF_EXIT_ENTRY_BPF_H
#define VMEXITPROF_EXIT_ENTRY_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "vmexitprof.h"
#include "outliers.bpf.h"

#define E2BIG 7
#define EEXIST 17

/* Set by the loader before load; zero means "no filter". */
/* --ports: follow port reads that go to the VMM to their completion. */
const volatile bool track_port_reads = false;
const volatile __u32 target_pids[MAX_TARGET_PIDS] = {};
const volatile __u32 nr_target_pids = 0;
const volatile __u64 vcpu_filter[MAX_VCPU_FILTER / 64] = {};
const volatile bool filter_vcpus = false;
/* --msr/--cpuid: put each tallied exit's exit->entry time into its row. */
const volatile bool time_exit_tallies = false;
/* --halt: kvm_vcpu_wakeup is traced, so time each wakeup to the next entry. */
const volatile bool trace_halts = false;

/* A thread's exit, waiting for its entry. */
struct inflight {
	__u64 exit_ns;		/* 0: none pending */
	__u64 vm_start;		/* the thread's process start (hist_key.vm_start); 0: not read yet */
	__u32 reason;
	__u32 vcpu;
	__u16 isa;
	__u16 hist_flags;	/* the pending exit's HIST_FLAG_* (its histogram key's flags) */
	__u32 state;		/* INFLIGHT_*: what the thread is in the middle of */
	__u64 uexit_ns;		/* return to userspace waiting for the next KVM_RUN; 0: none */
	__u32 uexit_reason;	/* its KVM_EXIT_* */
	__u32 uexit_vcpu;
	struct io_key io;	/* the last port/MMIO access, while INFLIGHT_IO_* says so */
	__u32 comm_vcpu;	/* vCPU id from the thread name (or VCPU_UNKNOWN), once INFLIGHT_COMM_READ */
	__u64 pio_read_ns;	/* the VMM's handling time of a port read, once INFLIGHT_PIO_READ_TIMED */
	/* The time split (bpf/sched_split.bpf.h), while INFLIGHT_EXIT_SPLIT / INFLIGHT_VMM_SPLIT. */
	__u64 off_ns;		/* switched out at, inside a pending exit or VMM handling; 0: not */
	__u64 exit_runnable_ns, exit_blocked_ns, exit_vmm_ns, exit_vmm_off_ns;
	__u64 vmm_runnable_ns, vmm_blocked_ns;
	/* --bql (bpf/bql.bpf.h): a wait for QEMU's global mutex under way, and the waits' sums. */
	__u64 bql_lock_ns, vmm_bql_ns, exit_vmm_bql_ns;
	__u64 wake_ns;		/* --halt: the last wakeup from a halt, while INFLIGHT_WOKEN */
	struct outlier_exit ox;	/* --slower-than: the pending exit's details */
};

#define INFLIGHT_VCPU_KNOWN	1	/* vcpu came from a kvm_exit */
#define INFLIGHT_TO_USERSPACE	2	/* the pending exit went on to the VMM */
#define INFLIGHT_IO_PENDING	4	/* io: an access of this exit, not yet resolved */
#define INFLIGHT_IO_IN_VMM	8	/* io: handed to the VMM, awaiting the next KVM_RUN */
#define INFLIGHT_MMIO_READ	16	/* an unsatisfied MMIO read: its completion is no new access */
#define INFLIGHT_COMM_READ	32	/* comm_vcpu holds the thread name's vCPU id */
#define INFLIGHT_PIO_READ_IN_VMM 64	/* a port read went to the VMM: its kvm_pio comes once done */
#define INFLIGHT_PIO_READ_TIMED	128	/* ... and the VMM's handling time of it is in pio_read_ns */
#define INFLIGHT_VCPU_ID_NOTED	256	/* this thread's vcpu_id went into vcpu_ids */
#define INFLIGHT_EXIT_SPLIT	512	/* exit_*_ns hold the pending exit's split */
#define INFLIGHT_VMM_SPLIT	1024	/* vmm_*_ns hold the VMM handling's off-CPU time */
#define INFLIGHT_OFF_BLOCKED	2048	/* off_ns: switched out asleep, not woken yet */
#define INFLIGHT_EXIT_TALLY	4096	/* io holds this exit's MSR or CPUID row: time the exit into it */
#define INFLIGHT_WOKEN		8192	/* woken from a halt at wake_ns, no entry yet */
#define INFLIGHT_WOKEN_BLOCKED	16384	/* ... and that halt blocked (waited) */
/*
 * What a thread keeps from one exit to the next: facts about the thread
 * itself, and what belongs to its VMM handling (ended by record_kvm_run).
 */
#define INFLIGHT_THREAD_STATE	(INFLIGHT_COMM_READ | INFLIGHT_VCPU_ID_NOTED | INFLIGHT_VMM_SPLIT)

/*
 * Not per CPU: a new per-CPU key takes ~4 KiB per possible CPU from the
 * per-CPU allocator's atomic pool, which a burst of new keys (a VM with
 * many vCPUs starting, VMs coming and going) empties within a few keys,
 * and the intervals were dropped; here it is one ~4 KiB slab object. One
 * writer per key at a time is the rule (a vCPU runs under KVM's vcpu
 * mutex), but a key can be shared (vCPU unknown), so hist_add() adds with
 * atomics. The loader sizes it from --max-keys.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, DEFAULT_MAX_HIST_KEYS);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

/*
 * Preallocated spill-over for new keys that `hists` cannot take: when it
 * is full, or when allocating a new element inside BPF fails (no memory
 * at that moment). The loader reads both maps; a key lives in one of them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RESERVE_HIST_KEYS);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists_reserve SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NR_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/*
 * Source of a new histogram's value (too big for the BPF stack): zero but
 * for min_ns, which starts above any value so that the first sample's
 * compare-and-exchange needs no "is it the first" test (which would race).
 * The loader reads min_ns only where count says there were samples.
 */
static struct hist zero_hist = { .min_ns = ~0ULL };
/* A new port/MMIO tally: per CPU, so its min cannot start at ~0 (see store_extreme). */
static const struct io_stats zero_io;

/*
 * Count an event. The counters are per CPU, and tracepoint programs run
 * with preemption off, so a plain ++ is exact; a uprobe's program (the
 * USDT VMM clock) can be preempted by another on its CPU, so it passes
 * preemptible and adds atomically.
 */
static __always_inline void count_event_on(enum counter c, bool preemptible)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return;
	if (preemptible)
		__sync_fetch_and_add(v, 1);
	else
		(*v)++;
}

static __always_inline void count_event(enum counter c)
{
	count_event_on(c, false);
}

/* How often a min or max update retries against racing writers before it is counted as lost. */
#define MINMAX_TRIES 16

/*
 * *p = min(*p, v), or with want_max the max (which starts at 0), for a
 * value other writers may update at the same time: compare-and-exchange,
 * retried while another changed it between the read and the exchange. A
 * min starts at ~0 (zero_hist), or at 0 meaning none yet where zero_unset
 * (a per-CPU value: only the inserting CPU's copy gets the initial value).
 */
static __always_inline void store_extreme(__u64 *p, __u64 v, bool want_max, bool zero_unset,
					  bool preemptible)
{
	for (int i = 0; i < MINMAX_TRIES; i++) {
		__u64 cur = *(volatile __u64 *)p;

		if (want_max ? cur >= v : cur <= v && (cur || !zero_unset))
			return;
		if (__sync_val_compare_and_swap(p, cur, v) == cur)
			return;
	}
	count_event_on(CNT_MINMAX_CONTENDED, preemptible);
}

/* The value for key, inserting zero first if there is none; NULL if the map is full. */
static __always_inline void *lookup_or_insert(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(map, key);
}

static __always_inline bool pid_wanted(__u32 pid)
{
	if (!nr_target_pids)
		return true;
	for (int i = 0; i < MAX_TARGET_PIDS; i++) {
		if (i >= nr_target_pids)
			break;
		if (target_pids[i] == pid)
			return true;
	}
	return false;
}

static __always_inline bool vcpu_wanted(__u32 vcpu)
{
	__u64 v = vcpu;

	if (!filter_vcpus)
		return true;
	/* Check and index the same 64-bit register (see record_entry). */
	barrier_var(v);
	if (v >= MAX_VCPU_FILTER)
		return false;
	return (vcpu_filter[v / 64] >> (v % 64)) & 1;
}

static __always_inline bool event_wanted(__u32 pid, __u32 vcpu)
{
	return pid_wanted(pid) && vcpu_wanted(vcpu);
}

static __always_inline void split_clear_exit(struct inflight *slot)
{
	slot->exit_runnable_ns = 0;
	slot->exit_blocked_ns = 0;
	slot->exit_vmm_ns = 0;
	slot->exit_vmm_off_ns = 0;
	slot->exit_vmm_bql_ns = 0;
}

/* h->f += v: atomic where other writers may share the histogram. */
#define HIST_ADD(h, f, v, shared)				\
	do {							\
		if (shared)					\
			__sync_fetch_and_add(&(h)->f, (v));	\
		else						\
			(h)->f += (v);				\
	} while (0)

/* The split of the exit just closed into its histogram; the slot's sums start again. */
static __always_inline void split_add_exit(struct hist *h, struct inflight *slot, bool shared)
{
	HIST_ADD(h, runnable_ns, slot->exit_runnable_ns, shared);
	HIST_ADD(h, blocked_ns, slot->exit_blocked_ns, shared);
	HIST_ADD(h, vmm_ns, slot->exit_vmm_ns, shared);
	HIST_ADD(h, vmm_off_ns, slot->exit_vmm_off_ns, shared);
	if (slot->exit_vmm_bql_ns)
		HIST_ADD(h, bql_ns, slot->exit_vmm_bql_ns, shared);
	split_clear_exit(slot);
	slot->state &= ~INFLIGHT_EXIT_SPLIT;
}

/*
 * kvm_exit: remember when and why this thread left the guest. Without a
 * slot (task storage could not be had) the exit is counted, and that it
 * could not be paired.
 */
static __always_inline void record_exit(struct inflight *slot, __u64 now, __u32 vcpu,
					__u32 isa, __u32 exit_reason)
{
	count_event(CNT_EXITS);
	if (!slot) {
		count_event(CNT_SLOT_FAILED);
		return;
	}
	if (slot->exit_ns)
		count_event(CNT_EXIT_OVERWRITTEN);
	if (slot->state & INFLIGHT_EXIT_SPLIT)
		split_clear_exit(slot);		/* an overwritten exit's */
	slot->exit_ns = now;
	slot->vcpu = vcpu;
	slot->isa = isa;
	slot->state = (slot->state & INFLIGHT_THREAD_STATE) | INFLIGHT_VCPU_KNOWN;
	if (isa == ISA_VMX) {
		slot->reason = exit_reason & VMX_BASIC_REASON_MASK;
		slot->hist_flags = (exit_reason & VMX_FAILED_VMENTRY) ? HIST_FLAG_FAILED_VMENTRY : 0;
	} else {
		slot->reason = exit_reason;
		slot->hist_flags = 0;
	}
}

/* Insert a zeroed histogram for key into map; 0 or the (int) error. */
static __always_inline int hist_insert(void *map, struct hist_key *key)
{
	/*
	 * int, not long: before 6.2 the map op behind this call returns an int
	 * whose upper 32 bits are garbage in r0, so only the low half is valid.
	 */
	int err = bpf_map_update_elem(map, key, &zero_hist, BPF_NOEXIST);

	return err == -EEXIST ? 0 : err;
}

/* key's histogram, created if need be; NULL, counted as full or nomem, if it cannot be. */
static __always_inline struct hist *hist_for(struct hist_key *key, enum counter full,
					     enum counter nomem, bool preemptible)
{
	struct hist *h = bpf_map_lookup_elem(&hists, key);
	int err;

	if (h)
		return h;
	h = bpf_map_lookup_elem(&hists_reserve, key);
	if (h)
		return h;
	err = hist_insert(&hists, key);
	if (!err) {
		h = bpf_map_lookup_elem(&hists, key);
		if (h)
			return h;
	}
	if (!hist_insert(&hists_reserve, key)) {
		h = bpf_map_lookup_elem(&hists_reserve, key);
		if (h)
			return h;
	}
	/* Both failed. A full map says E2BIG; anything else is the allocator. */
	count_event_on(err == -E2BIG ? full : nomem, preemptible);
	return NULL;
}

/*
 * Where threads may share a key (shared: a VM's VMM handling times with
 * the vCPU unknown, vCPUs numbered from thread names, a preemptible
 * uprobe program), counts and sums are atomic adds and min and max
 * compare-and-exchange loops, so they stay exact. Where one writer is
 * guaranteed (a tp_btf kvm_entry: the key holds KVM's own vcpu_idx, and
 * KVM_RUN holds that vCPU's mutex), plain updates: a locked instruction
 * each costs more than the rest of the update (bench/bpf_cost).
 */
/*
 * delta^2 as a 128-bit number, *hi:*lo. Below 2^32 ns (4.3 s), nearly
 * every exit, one multiplication; above, by 32-bit halves a and b:
 * (a 2^32 + b)^2 = a^2 2^64 + ab 2^33 + b^2, each part within 64 bits.
 */
static __always_inline __u64 square_128(__u64 delta, __u64 *hi)
{
	__u64 a = delta >> 32, b = delta & 0xffffffffULL, ab, lo, part;

	if (!a) {
		*hi = 0;
		return delta * delta;
	}
	ab = a * b;
	lo = b * b;
	part = ab << 33;
	*hi = a * a + (ab >> 31);
	lo += part;
	*hi += lo < part;
	return lo;
}

/*
 * h->sum_sq += delta^2, 128 bits. shared: the low word's add is atomic
 * and returns the old value, so each writer sees its own carry exactly.
 */
static __always_inline void sum_sq_add(struct hist *h, __u64 delta, bool shared)
{
	__u64 hi, lo = square_128(delta, &hi), old;

	if (!shared) {
		h->sum_sq_lo += lo;
		h->sum_sq_hi += hi + (h->sum_sq_lo < lo);
		return;
	}
	old = __sync_fetch_and_add(&h->sum_sq_lo, lo);
	hi += old + lo < old;
	if (hi)
		__sync_fetch_and_add(&h->sum_sq_hi, hi);
}

static __always_inline void hist_add(struct hist *h, __u64 delta, bool to_userspace,
				     bool preemptible, bool shared)
{
	__u64 b = hist_bucket(delta);

	/* Check and index the same register: older verifiers lose the bound on a copy. */
	barrier_var(b);
	if (!shared) {
		if (delta < h->min_ns)
			h->min_ns = delta;
		if (delta > h->max_ns)
			h->max_ns = delta;
		h->count++;
		h->sum_ns += delta;
		h->to_userspace += to_userspace;
		if (b < HIST_NR_BUCKETS)
			h->buckets[b]++;
		sum_sq_add(h, delta, false);
		return;
	}
	store_extreme(&h->min_ns, delta, false, false, preemptible);
	store_extreme(&h->max_ns, delta, true, false, preemptible);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum_ns, delta);
	if (to_userspace)
		__sync_fetch_and_add(&h->to_userspace, 1);
	if (b < HIST_NR_BUCKETS)
		__sync_fetch_and_add(&h->buckets[b], 1);
	sum_sq_add(h, delta, true);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, MAX_IO_KEYS);
	__type(key, struct io_key);
	__type(value, struct io_stats);
} io_tallies SEC(".maps");

/*
 * A port or MMIO access the VMM handled in delta ns. The tallies are per
 * CPU: plain updates are exact in a tracepoint's program, but a preempted
 * uprobe program (preemptible) may share its CPU's value with another.
 */
static __always_inline void io_handled(struct io_stats *io, __u64 delta, bool preemptible)
{
	if (preemptible) {
		store_extreme(&io->handled_min_ns, delta, false, true, true);
		store_extreme(&io->handled_max_ns, delta, true, false, true);
		__sync_fetch_and_add(&io->handled, 1);
		__sync_fetch_and_add(&io->handled_sum_ns, delta);
		return;
	}
	if (!io->handled || delta < io->handled_min_ns)
		io->handled_min_ns = delta;
	if (delta > io->handled_max_ns)
		io->handled_max_ns = delta;
	io->handled++;
	io->handled_sum_ns += delta;
}

/* The vCPU a thread's events go by: its last exit's, else its name's. */
static __always_inline __u32 slot_vcpu(const struct inflight *slot)
{
	if (slot->state & INFLIGHT_VCPU_KNOWN)
		return slot->vcpu;
	return (slot->state & INFLIGHT_COMM_READ) ? slot->comm_vcpu : VCPU_UNKNOWN;
}

/* Add delta to the ISA_HALT histogram key says; counted as dropped where it cannot be had. */
static __always_inline void halt_add(struct hist_key *key, __u64 delta)
{
	struct hist *h = hist_for(key, CNT_HALT_DROPPED, CNT_HALT_DROPPED, false);

	/* Shared: vCPUs numbered from thread names may share a key (classic tracepoints). */
	if (h)
		hist_add(h, delta, false, false, true);
}

/*
 * kvm_vcpu_wakeup: a halt ended after ns (KVM's own measure, from its
 * start to the wakeup, polling included); waited says whether the thread
 * had to block. The next kvm_entry ends its wake-to-entry time.
 */
static __always_inline void record_wakeup(struct inflight *slot, __u64 now, __u32 pid,
					  __u64 vm_start, __u32 vcpu, __u64 ns, bool waited,
					  bool valid)
{
	struct hist_key key = { .pid = pid, .vm_start = vm_start, .vcpu = vcpu, .isa = ISA_HALT,
				.reason = waited ? HALT_BLOCKED : HALT_POLLED,
				.flags = valid ? 0 : HIST_FLAG_INVALID_WAKEUP };

	halt_add(&key, ns);
	if (!slot) {
		count_event(CNT_HALT_DROPPED);	/* its wake-to-entry time, untimed */
		return;
	}
	slot->wake_ns = now;
	slot->state = (slot->state & ~INFLIGHT_WOKEN_BLOCKED) | INFLIGHT_WOKEN |
		      (waited ? INFLIGHT_WOKEN_BLOCKED : 0);
}

/* The first entry after a wakeup: how long the woken vCPU took to run again. */
static __always_inline void record_wake_to_entry(struct inflight *slot, __u64 now, __u32 pid)
{
	struct hist_key key = { .pid = pid, .vm_start = slot->vm_start, .vcpu = slot_vcpu(slot),
				.isa = ISA_HALT };

	key.reason = (slot->state & INFLIGHT_WOKEN_BLOCKED) ? HALT_WAKE_BLOCKED : HALT_WAKE_POLLED;
	slot->state &= ~(INFLIGHT_WOKEN | INFLIGHT_WOKEN_BLOCKED);
	halt_add(&key, now - slot->wake_ns);
}

/*
 * kvm_entry: close this thread's pending exit, if any, into its histogram.
 * shared: whether other threads may write the same histogram (hist_add).
 */
static __always_inline void record_entry(struct inflight *slot, __u64 now, __u32 pid, bool shared)
{
	struct hist_key key = {};
	struct hist *h;
	__u64 delta;
	bool to_userspace;

	if (trace_halts && slot && (slot->state & INFLIGHT_WOKEN))
		record_wake_to_entry(slot, now, pid);
	/* No CNT_ENTRIES: each way out below is counted, and entries are their sum (counters_derive). */
	if (!slot || !slot->exit_ns) {
		count_event(CNT_ENTRY_WITHOUT_EXIT);
		return;
	}
	delta = now - slot->exit_ns;
	slot->exit_ns = 0;
	to_userspace = slot->state & INFLIGHT_TO_USERSPACE;
	if (time_exit_tallies && (slot->state & INFLIGHT_EXIT_TALLY)) {
		struct io_stats *io = bpf_map_lookup_elem(&io_tallies, &slot->io);

		if (io)
			io_handled(io, delta, false);
	}
	slot->state &= ~(INFLIGHT_TO_USERSPACE | INFLIGHT_EXIT_TALLY);

	key.pid = pid;
	key.vm_start = slot->vm_start;
	key.vcpu = slot->vcpu;
	key.reason = slot->reason;
	key.isa = slot->isa;
	key.flags = slot->hist_flags;
	h = hist_for(&key, CNT_HIST_FULL, CNT_HIST_ALLOC_FAILED, false);
	if (!h) {
		if (slot->state & INFLIGHT_EXIT_SPLIT) {
			split_clear_exit(slot);
			slot->state &= ~INFLIGHT_EXIT_SPLIT;
		}
		return;
	}
	hist_add(h, delta, to_userspace, false, shared);
	/*
	 * Off (0), the verifier drops this; on, the one compare every other exit
	 * pays. Before the split is folded in: the event takes its off-CPU parts.
	 */
	if (slower_than_ns && delta >= slower_than_ns) {
		bool split = slot->state & INFLIGHT_EXIT_SPLIT;

		count_event(CNT_OUTLIERS);
		if (!outlier_send(&slot->ox, &key, now - delta, delta, split ? slot->exit_runnable_ns : 0,
				  split ? slot->exit_blocked_ns : 0))
			count_event(CNT_OUTLIERS_LOST);
	}
	/* One test of a flag on the hot path: most exits neither left the CPU nor went to the VMM. */
	if (slot->state & INFLIGHT_EXIT_SPLIT)
		split_add_exit(h, slot, shared);
	count_event(CNT_PAIRED);
}

/*
 * A port or MMIO access (kvm_pio, kvm_mmio): count it, and remember it in
 * the thread's slot so that a return to userspace right after it is put
 * to its account, with the VMM's handling time.
 */
static __always_inline void record_io(struct inflight *slot, struct io_key *key)
{
	struct io_stats *io = lookup_or_insert(&io_tallies, key, &zero_io);

	if (!io) {
		count_event(CNT_IO_DROPPED);
		return;
	}
	io->count++;
	if (!slot) {
		/* Tallied, but whether the VMM handled it cannot be followed. */
		count_event(CNT_IO_UNTRACKED);
		return;
	}
	slot->io = *key;
	slot->state = (slot->state & ~INFLIGHT_IO_IN_VMM) | INFLIGHT_IO_PENDING;
}

/*
 * An MSR access or a CPUID (kvm_msr, kvm_cpuid): count it, with its fault,
 * and mark the thread's pending exit as its own, so that its entry puts the
 * exit's time into the row (record_entry).
 */
static __always_inline void record_tally(struct inflight *slot, struct io_key *key, bool fault)
{
	struct io_stats *io = lookup_or_insert(&io_tallies, key, &zero_io);

	if (!io) {
		count_event(CNT_IO_DROPPED);
		return;
	}
	io->count++;
	io->faults += fault;
	if (!slot || !slot->exit_ns)
		return;		/* no exit of its own traced (PVM, or the first after start) */
	slot->io = *key;
	slot->state |= INFLIGHT_EXIT_TALLY;
}

/*
 * The completion of a port read that the thread's last return to
 * userspace handed to the VMM: one access, gone to the VMM, and handled
 * in the time the VMM took (if the next KVM_RUN was seen). It is not an
 * access of its own for the next return to userspace.
 */
static __always_inline void record_pio_read_done(struct inflight *slot, struct io_key *key)
{
	struct io_stats *io = lookup_or_insert(&io_tallies, key, &zero_io);
	__u64 delta = slot->pio_read_ns;
	bool timed = slot->state & INFLIGHT_PIO_READ_TIMED;

	slot->state &= ~(INFLIGHT_PIO_READ_IN_VMM | INFLIGHT_PIO_READ_TIMED);
	if (!io) {
		count_event(CNT_IO_DROPPED);
		return;
	}
	io->count++;
	io->to_userspace++;
	if (timed)
		io_handled(io, delta, false);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, DEFAULT_MAX_HIST_KEYS);	/* the loader sets --max-keys */
	__type(key, struct uexit_key);
	__type(value, __u64);
} uexits SEC(".maps");

/*
 * kvm_userspace_exit: KVM_RUN is returning to the VMM. Count it per VM,
 * vCPU and reason, and mark the thread's pending exit (if any) as one
 * that went to userspace. slot may be NULL; vcpu is the slot's when it
 * knows it (from a kvm_exit), else the caller's guess (the thread name).
 */
static __always_inline void record_userspace_exit(struct inflight *slot, __u64 now, __u32 pid,
						  __u64 vm_start, __u32 vcpu, __u32 reason, int err)
{
	struct uexit_key key = { .pid = pid, .vcpu = vcpu, .reason = reason, .vm_start = vm_start };
	static const __u64 zero;
	__u64 *n;

	count_event(CNT_USERSPACE_EXITS);
	if (slot && slot->exit_ns) {
		slot->state |= INFLIGHT_TO_USERSPACE;
		if (slower_than_ns)
			outlier_note_uexit(&slot->ox, reason, err);
	}
	if (err < 0) {
		key.reason = -err;
		key.flags = UEXIT_FLAG_ERRNO;
	} else if (!slot) {
		/* Counted below, but the VMM's handling cannot be timed without a slot. */
		count_event(CNT_VMM_UNTIMED);
	} else {
		/* The VMM handles it now; record_kvm_run() closes the interval. */
		slot->uexit_ns = now;
		slot->uexit_reason = reason;
		slot->uexit_vcpu = vcpu;
		/* The access just traced is the one handed over, if the reason agrees. */
		slot->state &= ~(INFLIGHT_PIO_READ_IN_VMM | INFLIGHT_PIO_READ_TIMED);
		if ((slot->state & INFLIGHT_IO_PENDING) &&
		    ((reason == UEXIT_REASON_IO && slot->io.kind == IO_KIND_PIO) ||
		     (reason == UEXIT_REASON_MMIO && slot->io.kind == IO_KIND_MMIO))) {
			struct io_stats *io = bpf_map_lookup_elem(&io_tallies, &slot->io);

			if (io)
				io->to_userspace++;
			slot->state |= INFLIGHT_IO_IN_VMM;
		} else if (reason == UEXIT_REASON_IO && track_port_reads) {
			/* No access traced: a port read, whose kvm_pio comes once the VMM did it. */
			slot->state |= INFLIGHT_PIO_READ_IN_VMM;
		}
		slot->state &= ~INFLIGHT_IO_PENDING;
	}
	n = lookup_or_insert(&uexits, &key, &zero);
	if (n)
		(*n)++;
	else
		count_event(CNT_UEXIT_DROPPED);
}

/*
 * KVM_RUN entered again (kvm_fpu load, or a USDT probe: preemptible): the
 * VMM's handling of the thread's last return to userspace, if one is
 * waiting, ends here.
 */
static __always_inline void record_kvm_run(struct inflight *slot, __u64 now, __u32 pid,
					   bool preemptible)
{
	struct hist_key key = { .pid = pid, .isa = ISA_VMM };
	__u64 delta, vmm_runnable, vmm_blocked, vmm_bql;
	struct hist *h;

	if (!slot || !slot->uexit_ns)
		return;
	delta = now - slot->uexit_ns;
	slot->uexit_ns = 0;
	key.vm_start = slot->vm_start;
	key.vcpu = slot->uexit_vcpu;
	key.reason = slot->uexit_reason;
	vmm_runnable = slot->vmm_runnable_ns;
	vmm_blocked = slot->vmm_blocked_ns;
	vmm_bql = slot->vmm_bql_ns;
	if (slot->state & INFLIGHT_VMM_SPLIT) {
		slot->vmm_runnable_ns = 0;
		slot->vmm_blocked_ns = 0;
		slot->vmm_bql_ns = 0;
		slot->bql_lock_ns = 0;
		slot->state &= ~INFLIGHT_VMM_SPLIT;
	}
	if (slot->exit_ns) {
		/* The pending exit's VMM part, how much of it was off the CPU, and waiting for the BQL. */
		slot->exit_vmm_ns += delta;
		slot->exit_vmm_off_ns += vmm_runnable + vmm_blocked;
		slot->exit_vmm_bql_ns += vmm_bql;
		slot->state |= INFLIGHT_EXIT_SPLIT;
	}
	/* The exit still pending went to the VMM: this is its handling time. */
	if (slower_than_ns && slot->exit_ns && (slot->state & INFLIGHT_TO_USERSPACE))
		outlier_note_vmm(&slot->ox, delta);
	if (slot->state & INFLIGHT_PIO_READ_IN_VMM) {
		slot->pio_read_ns = delta;
		slot->state |= INFLIGHT_PIO_READ_TIMED;
	}
	if (slot->state & INFLIGHT_IO_IN_VMM) {
		struct io_stats *io = bpf_map_lookup_elem(&io_tallies, &slot->io);

		slot->state &= ~INFLIGHT_IO_IN_VMM;
		if (io)
			io_handled(io, delta, preemptible);
	}
	h = hist_for(&key, CNT_VMM_DROPPED, CNT_VMM_DROPPED, preemptible);
	if (!h)
		return;
	hist_add(h, delta, false, preemptible, true);
	if (vmm_runnable)
		__sync_fetch_and_add(&h->runnable_ns, vmm_runnable);
	if (vmm_blocked)
		__sync_fetch_and_add(&h->blocked_ns, vmm_blocked);
	if (vmm_bql)
		__sync_fetch_and_add(&h->bql_ns, vmm_bql);
	count_event_on(CNT_VMM_PAIRED, preemptible);
}

#endif /* VMEXITPROF_EXIT_ENTRY_BPF_H */
