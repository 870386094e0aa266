// SPDX-License-Identifier: GPL-2.0
/*
 * vmexitprof: KVM exit-to-entry latency per VM, vCPU and exit reason.
 * The loader: checks the environment, loads bpf/vmexitprof.bpf.c with its
 * filters, waits, sums the per-CPU maps and hands them to the report.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/kvm.h>

#include "env.h"
#include "environment.h"
#include "report.h"
#include "output.h"
#include "reasons.h"
#include "snapshot.h"
#include "usdt.h"
#include "vms.h"
#include "vmexitprof.skel.h"

_Static_assert(UEXIT_REASON_IO == KVM_EXIT_IO && UEXIT_REASON_MMIO == KVM_EXIT_MMIO,
	       "KVM_EXIT_* codes as linux/kvm.h has them");

/* How long kvm_userspace_exit may fire alone before we call the host silent. */
#define SILENT_KVM_EXIT_CHECK_MS 3000
#define POLL_MS 100
/* How long VMM handling under way at the end may take to finish and be timed. */
#define DETACH_GRACE_MS 20
/* How often the entries of exited VMs move from the maps to userspace. */
#define MOVE_EXITED_MS 1000

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static bool verbose;

/*
 * libbpf's warnings while it opens, loads and attaches are held back here:
 * when the kernel refuses for want of privileges, one explained line says
 * more than libbpf's several (-v prints them as they come).
 */
static FILE *held_log;
static char *held_buf;
static size_t held_len;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(held_log ? held_log : stderr, fmt, args);
}

static void hold_libbpf_log(void)
{
	if (!verbose)
		held_log = open_memstream(&held_buf, &held_len);
}

/* Stop holding libbpf's warnings; print them unless show is false. */
static void release_libbpf_log(bool show)
{
	if (!held_log)
		return;
	fclose(held_log);
	held_log = NULL;
	if (show && held_len)
		fputs(held_buf, stderr);
	free(held_buf);
	held_buf = NULL;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Whether every target's binary carries QEMU's two KVM_RUN probes. When
 * one does not and why_not, say why on one line.
 */
static bool targets_have_probes(const struct env *env, bool why_not)
{
	for (unsigned int i = 0; i < env->nr_pids; i++) {
		struct binary_probes probes;
		char exe[40], name[64], note[320];
		int err;

		snprintf(exe, sizeof(exe), "/proc/%u/exe", env->pids[i]);
		err = binary_probes_read(exe, &probes);
		if (!err && probes.qemu == QEMU_PROBES_ALL)
			continue;
		if (!why_not)
			return false;
		vm_name(env->pids[i], name, sizeof(name));
		target_exe_note(env->pids[i], note, sizeof(note));
		if (err)
			fprintf(stderr, "vmexitprof: cannot read the binary of process %u (%s) for USDT "
				"probes: %s%s%s\n", env->pids[i], name, strerror(-err), *note ? "; " : "",
				note);
		else
			fprintf(stderr, "vmexitprof: process %u (%s) has no qemu:kvm_run_exit and "
				"qemu:kvm_vcpu_ioctl USDT probes (%s)%s%s\n", env->pids[i], name,
				probes.has_symtab ? "a QEMU built without the dtrace trace backend"
						  : "a QEMU built without the dtrace trace backend, or "
						    "its stripped binary lost .note.stapsdt",
				*note ? "; " : "", note);
		return false;
	}
	return true;
}

/*
 * The mechanism for the VMM handling time: what was asked for if it can
 * work, else (auto) the first of these that can, most exact first
 * (bench/vmm-time measures them; README, "Returns to userspace"):
 *  - usdt: QEMU's own probes, when every target has them. Exact, and only
 *    the targets pay: a uprobe trap at each end of the VMM's handling.
 *  - kvm_fpu: a tracepoint KVM_RUN passes anyway; the cheapest, but it
 *    fires after KVM_RUN's own re-entry work (vcpu_load), which it counts.
 *  - syscall: exact, but every task on the host then takes the syscall
 *    trace path; only asked for, or where kvm_fpu does not exist.
 * Returns -1 after an error message.
 */
static int choose_vmm_clock(const struct env *env, enum vmm_clock *out)
{
	bool have_kvm_fpu = tracepoint_exists("kvm/kvm_fpu");
	enum vmm_clock clock = env->vmm_clock;

	if (clock == VMM_CLOCK_KVM_FPU && !have_kvm_fpu) {
		fprintf(stderr, "vmexitprof: --vmm-time=kvm_fpu: this kernel has no kvm:kvm_fpu "
			"tracepoint (try --vmm-time=usdt or syscall)\n");
		return -1;
	}
	if (clock == VMM_CLOCK_USDT && !targets_have_probes(env, true))
		clock = VMM_CLOCK_AUTO;
	if (clock == VMM_CLOCK_AUTO) {
		if (env->vmm_clock == VMM_CLOCK_AUTO && env->nr_pids && targets_have_probes(env, false))
			clock = VMM_CLOCK_USDT;
		else if (have_kvm_fpu)
			clock = VMM_CLOCK_KVM_FPU;
		else
			clock = VMM_CLOCK_SYSCALL;
		if (env->vmm_clock != VMM_CLOCK_AUTO)
			fprintf(stderr, "vmexitprof: VMM handling time from %s instead\n",
				vmm_clock_names[clock]);
	}
	*out = clock;
	return 0;
}

/* Two USDT links per target, owned here (the skeleton attaches the rest). */
struct usdt_links {
	struct bpf_link *links[2 * MAX_TARGET_PIDS];
	int nr;
};

static int attach_usdt(struct vmexitprof_bpf *skel, const struct env *env, struct usdt_links *l)
{
	struct { struct bpf_program *prog; const char *name; } probes[] = {
		{ skel->progs.qemu_kvm_run_exit, "kvm_run_exit" },
		{ skel->progs.qemu_kvm_vcpu_ioctl, "kvm_vcpu_ioctl" },
	};

	for (unsigned int i = 0; i < env->nr_pids; i++) {
		char exe[40], note[320];

		/* /proc/PID/exe reaches a deleted binary, or one in another mount namespace. */
		snprintf(exe, sizeof(exe), "/proc/%u/exe", env->pids[i]);
		target_exe_note(env->pids[i], note, sizeof(note));
		if (*note)
			fprintf(stderr, "vmexitprof: process %u: %s; attaching through %s\n",
				env->pids[i], note, exe);
		for (int p = 0; p < 2; p++) {
			struct bpf_link *link = bpf_program__attach_usdt(probes[p].prog, env->pids[i],
									exe, "qemu", probes[p].name,
									NULL);

			if (!link) {
				fprintf(stderr, "vmexitprof: cannot attach to qemu:%s in process %u: %s\n",
					probes[p].name, env->pids[i], strerror(errno));
				return -1;
			}
			l->links[l->nr++] = link;
		}
	}
	return 0;
}

static void detach_usdt(struct usdt_links *l)
{
	while (l->nr)
		bpf_link__destroy(l->links[--l->nr]);
}

static void set_filters(struct vmexitprof_bpf *skel, const struct env *env)
{
	for (unsigned int i = 0; i < env->nr_pids; i++)
		skel->rodata->target_pids[i] = env->pids[i];
	skel->rodata->nr_target_pids = env->nr_pids;
	for (unsigned int i = 0; i < env->nr_vcpus; i++)
		skel->rodata->vcpu_filter[env->vcpus[i] / 64] |= 1ULL << (env->vcpus[i] % 64);
	skel->rodata->filter_vcpus = env->nr_vcpus > 0;
	/* So that the BPF side reads process start times in /proc's unit. */
	skel->rodata->ns_per_clock_tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
}

static int read_counters(struct vmexitprof_bpf *skel, __u64 *out)
{
	int ncpus = libbpf_num_possible_cpus();
	__u64 *values = calloc(ncpus, sizeof(*values));
	int err = 0;

	if (!values)
		return -ENOMEM;
	for (__u32 c = 0; c < NR_COUNTERS; c++) {
		err = bpf_map__lookup_elem(skel->maps.counters, &c, sizeof(c), values,
					   ncpus * sizeof(*values), 0);
		if (err)
			break;
		out[c] = 0;
		for (int cpu = 0; cpu < ncpus; cpu++)
			out[c] += values[cpu];
	}
	free(values);
	return err;
}

/*
 * Name a VM (pid and start) the first time it is seen, so that one that
 * exits is still named, and a pid's next process is not named for it:
 * from /proc while it runs, else by its process name as the BPF side saw
 * it (comm; NULL: not known).
 */
static void remember_name(struct run *run, __u32 pid, __u64 start, const char *comm)
{
	char name[128];

	if (run_vm(run, pid, start))
		return;
	if (vm_alive(pid, start)) {
		vm_name(pid, name, sizeof(name));
		run_add_vm(run, pid, start, name, false);
		return;
	}
	/* Came and went between two looks: named as the BPF side saw it, if it did. */
	snprintf(name, sizeof(name), "%.15s", comm ? comm : "?");
	name_sanitize(name);
	run_add_vm(run, pid, start, name, true);
}

/* Name the VMs seen since the last look (one key per VM: cheap to walk). */
static void remember_vm_names(struct vmexitprof_bpf *skel, struct run *run)
{
	struct vm_id id, next, *prev = NULL;
	struct vm_seen seen;

	while (!bpf_map__get_next_key(skel->maps.vms_seen, prev, &next, sizeof(next))) {
		id = next;
		prev = &id;
		if (run_vm(run, id.pid, id.start) ||
		    bpf_map__lookup_elem(skel->maps.vms_seen, &id, sizeof(id), &seen, sizeof(seen), 0))
			continue;
		seen.comm[sizeof(seen.comm) - 1] = 0;
		remember_name(run, id.pid, id.start, seen.comm);
	}
}

/*
 * Exit reasons most guests take, by kernel name, per ISA: their histograms
 * are created up front (see prewarm_hists).
 */
static const char *const common_svm_reasons[] = {
	"cpuid", "io", "npf", "hlt", "msr", "interrupt", "vintr", "pause",
};
static const char *const common_vmx_reasons[] = {
	"CPUID", "IO_INSTRUCTION", "EPT_VIOLATION", "EPT_MISCONFIG", "HLT", "MSR_READ",
	"MSR_WRITE", "EXTERNAL_INTERRUPT", "PREEMPTION_TIMER", "PAUSE_INSTRUCTION",
};

static bool vcpu_selected(const struct env *env, __u32 vcpu)
{
	if (!env->nr_vcpus)
		return true;
	for (unsigned int i = 0; i < env->nr_vcpus; i++)
		if (env->vcpus[i] == vcpu)
			return true;
	return false;
}

/*
 * A new histogram key allocates per-CPU memory inside the BPF program,
 * where a burst of new keys can find the allocator empty (the key then
 * goes to the small reserve, or is dropped and counted). So create, from
 * here where allocation may sleep, the keys the running VMs' vCPUs will
 * most likely need: the common exit reasons, and the VMM handling time of
 * the common returns to userspace; within a quarter of --max-keys. Empty
 * ones are not reported.
 */
static void prewarm_hists(struct vmexitprof_bpf *skel, const struct env *env,
			  const struct reason_table *names)
{
	static const __u32 common_uexits[] = { KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_HLT };
	static __u32 pids[1024], vcpus[MAX_VCPU_FILTER];
	static const struct hist zero;
	const char *const *common = NULL;
	unsigned int isa = 0, nr_common = 0, budget = env->max_hist_keys / 4;
	struct hist_key keys[32];
	int nr_pids;

	/* No kvm_amd/kvm_intel (PVM): no kvm_exit, only the VMM handling keys. */
	if (!access("/sys/module/kvm_amd", F_OK)) {
		isa = ISA_SVM;
		common = common_svm_reasons;
		nr_common = sizeof(common_svm_reasons) / sizeof(common[0]);
	} else if (!access("/sys/module/kvm_intel", F_OK)) {
		isa = ISA_VMX;
		common = common_vmx_reasons;
		nr_common = sizeof(common_vmx_reasons) / sizeof(common[0]);
	}
	if (env->nr_pids) {
		memcpy(pids, env->pids, env->nr_pids * sizeof(pids[0]));
		nr_pids = env->nr_pids;
	} else {
		nr_pids = find_vms(pids, sizeof(pids) / sizeof(pids[0]));
	}
	for (int p = 0; p < nr_pids && budget; p++) {
		int nr_vcpus = vm_vcpu_ids(pids[p], vcpus, MAX_VCPU_FILTER);
		__u64 start = pid_start_ticks(pids[p]);

		for (int v = 0; v < nr_vcpus && budget; v++) {
			unsigned int nr_keys = 0;

			if (!vcpu_selected(env, vcpus[v]))
				continue;
			for (unsigned int r = 0; r < nr_common; r++) {
				keys[nr_keys] = (struct hist_key){ .pid = pids[p], .vm_start = start,
								   .vcpu = vcpus[v], .isa = isa };
				if (!reason_lookup(names, isa, common[r], &keys[nr_keys].reason))
					nr_keys++;
			}
			for (unsigned int r = 0; r < sizeof(common_uexits) / sizeof(common_uexits[0]); r++)
				keys[nr_keys++] = (struct hist_key){ .pid = pids[p], .vm_start = start,
								     .vcpu = vcpus[v], .isa = ISA_VMM,
								     .reason = common_uexits[r] };
			for (unsigned int k = 0; k < nr_keys && budget; k++)
				if (!bpf_map__update_elem(skel->maps.hists, &keys[k], sizeof(keys[k]), &zero,
							  sizeof(zero), BPF_NOEXIST))
					budget--;
		}
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
	if (!sum.count)
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
	char *keys = NULL, *next = malloc(key_size), *more;
	void *values = calloc(ncpus, value_size);
	size_t nr = 0, cap = 0;

	if (!next || !values) {
		err = -ENOMEM;
		goto out;
	}
	while (!bpf_map__get_next_key(map, nr ? keys + (nr - 1) * key_size : NULL, next, key_size)) {
		if (nr == cap) {
			cap = cap ? 2 * cap : 64;
			more = realloc(keys, cap * key_size);
			if (!more) {
				err = -ENOMEM;
				goto out;
			}
			keys = more;
		}
		memcpy(keys + nr++ * key_size, next, key_size);
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
static int move_exited_vms(struct vmexitprof_bpf *skel, struct snapshot *gone)
{
	struct { struct bpf_map *map; map_add_fn add; } maps[] = {
		{ skel->maps.hists, add_hist }, { skel->maps.hists_reserve, add_hist },
		{ skel->maps.uexits, add_uexit }, { skel->maps.io_tallies, add_io },
	};
	struct vm_id id, next, *prev = NULL, *vms = NULL, *more;
	size_t nr_vms = 0;
	int err = 0;

	while (!bpf_map__get_next_key(skel->maps.vms_seen, prev, &next, sizeof(next))) {
		id = next;
		prev = &id;
		if (vm_alive(id.pid, id.start))
			continue;
		more = realloc(vms, (nr_vms + 1) * sizeof(*vms));
		if (!more) {
			err = -ENOMEM;
			break;
		}
		vms = more;
		vms[nr_vms++] = id;
	}
	for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]) && nr_vms && !err; m++)
		err = move_vms(maps[m].map, maps[m].add, gone, vms, nr_vms);
	/* Merges a key moved twice (a VM wrongly taken for gone, seen again). */
	snapshot_sort(gone);
	/* Forgotten last: a VM stays in vms_seen until all its entries moved. */
	for (size_t i = 0; i < nr_vms && !err; i++)
		bpf_map__delete_elem(skel->maps.vms_seen, &vms[i], sizeof(vms[i]), 0);
	free(vms);
	return err;
}

/*
 * Everything the programs aggregated so far. A key's histogram is in hists
 * or, when that could not take it, in hists_reserve. Lookups of per-CPU
 * maps take no lock the programs take, so reading never stalls them.
 */
static int read_snapshot(struct vmexitprof_bpf *skel, const struct snapshot *gone,
			 struct snapshot *snap)
{
	int err = read_counters(skel, snap->counters);

	/* The exited VMs' entries, moved out of the maps earlier. */
	if (!err)
		err = snapshot_add_all(snap, gone);
	if (!err)
		err = for_each_value(skel->maps.hists, add_hist, snap);
	if (!err)
		err = for_each_value(skel->maps.hists_reserve, add_hist, snap);
	if (!err)
		err = for_each_value(skel->maps.uexits, add_uexit, snap);
	if (!err)
		err = for_each_value(skel->maps.io_tallies, add_io, snap);
	snapshot_sort(snap);
	return err;
}

static bool all_targets_exited(const struct env *env)
{
	for (unsigned int i = 0; i < env->nr_pids; i++)
		if (pid_alive(env->pids[i]))
			return false;
	return env->nr_pids > 0;
}

/*
 * Guests ran (kvm_userspace_exit fired) but kvm_exit never did: say so at
 * once, rather than let an empty latency table suggest that nothing happened.
 * The returns to userspace are still counted and reported.
 */
static bool host_is_silent(const __u64 *counters)
{
	if (counters[CNT_EXITS] || !counters[CNT_USERSPACE_EXITS])
		return false;
	fprintf(stderr,
		"vmexitprof: kvm:kvm_exit never fired although the guests returned to userspace %llu "
		"times: this host's KVM does not emit kvm_exit/kvm_entry%s, so there are no "
		"exit-to-entry latencies here, only the returns to userspace (run 'make demo' to see "
		"vmexitprof in a nested guest)\n",
		(unsigned long long)counters[CNT_USERSPACE_EXITS],
		access("/sys/module/kvm_pvm", F_OK) ? "" : " (it is PVM: kvm_pvm)");
	return true;
}

/* Name every VM of the run, and mark those that are gone. */
static void name_vms(struct run *run, const struct snapshot *snap)
{
	for (size_t i = 0; i < snap->nr_hists; i++)
		remember_name(run, snap->hists[i].key.pid, snap->hists[i].key.vm_start, NULL);
	for (size_t i = 0; i < snap->nr_uexits; i++)
		remember_name(run, snap->uexits[i].key.pid, snap->uexits[i].key.vm_start, NULL);
	/* Gone, or its pid now belongs to a later process. */
	for (size_t i = 0; i < run->nr_vms; i++)
		run->vms[i].exited = !vm_alive(run->vms[i].pid, run->vms[i].start);
}

/*
 * -I: the interval since the last snapshot, printed as a line per VM and
 * reason (or a JSON line), and kept in run when a heatmap or dump wants it.
 */
static int end_interval(struct run *run, struct snapshot *cur, struct snapshot *prev,
			__u64 start_ns, __u64 end_ns, bool keep, const struct env *env,
			const struct reason_table *names)
{
	struct report rep = {};
	struct interval iv;
	int err = snapshot_diff(cur, prev, &iv);

	if (err)
		return err;
	iv.start_ns = start_ns;
	iv.end_ns = end_ns;
	err = run_add_interval(run, &iv);
	run->nr_ended++;
	/* Without -I, nothing to print: the total is the run's report. */
	if (!err && env->interval_ms)
		err = run_report(run, run->nr_intervals - 1, 1, &rep);
	if (!err && env->interval_ms) {
		rep.interval_index = run->nr_ended;
		if (env->json)
			report_print_json(stdout, &rep, names, env);
		else
			report_print_interval(stdout, &rep, names, env);
		fflush(stdout);
	}
	report_free(&rep);
	/* Only the heatmap and the dump need the intervals after this. */
	if (!keep && run->nr_intervals)
		interval_free(&run->intervals[--run->nr_intervals]);
	snapshot_free(prev);
	*prev = *cur;
	memset(cur, 0, sizeof(*cur));
	return err;
}

int main(int argc, char **argv)
{
	struct vmexitprof_bpf *skel = NULL;
	struct reason_table names = {};
	struct run run = {};
	struct snapshot prev = {}, cur = {}, gone = {};
	struct usdt_links usdt = {};
	enum vmm_clock vmm_clock;
	struct kvm_modules kvm_modules;
	__u64 start, now, elapsed_ms, interval_start = 0, nr_done = 0, last_move_ms = 0;
	__u64 counters[NR_COUNTERS];
	bool checked_silence = false, no_kvm_exit = false, keep;
	struct env env;
	int err;

	err = env_parse(&env, argc, argv);
	if (err)
		return err < 0 ? 2 : 0;
	if (env.report_file)
		return report_file(&env);
	verbose = env.verbose;
	/* Early, so a Ctrl-C during a slow load still ends with a report. */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (check_environment(&env))
		return 1;
	libbpf_set_print(print_libbpf);
	reasons_load(&names, NULL);
	kvm_exit_names_load(&names);	/* without them, KVM_EXIT_* print as numbers */
	if ((env.hist && reason_arg_check(&names, "--hist", env.hist, false)) ||
	    (env.heatmap && reason_arg_check(&names, "--heatmap", env.heatmap, true))) {
		reasons_free(&names);
		return 2;
	}
	if (env.heatmap_out && output_check_writable(env.heatmap_out)) {
		reasons_free(&names);
		return 1;
	}
	if (choose_vmm_clock(&env, &vmm_clock)) {
		reasons_free(&names);
		return 1;
	}
	snprintf(run.vmm_time_source, sizeof(run.vmm_time_source), "%s", vmm_clock_names[vmm_clock]);
	run.interval_ns = env.interval_ms * 1000000;
	run.ports = env.ports;
	run.mmio = env.mmio;
	keep = env.heatmap || env.heatmap_out;

	hold_libbpf_log();
	skel = vmexitprof_bpf__open();
	if (!skel) {
		release_libbpf_log(true);
		fprintf(stderr, "vmexitprof: cannot open the BPF object: %s\n", strerror(errno));
		err = 1;
		goto cleanup;
	}
	set_filters(skel, &env);
	/* The tallies cost an event per access: only when asked for. */
	bpf_program__set_autoload(skel->progs.kvm_pio, env.ports);
	bpf_program__set_autoload(skel->progs.kvm_mmio, env.mmio);
	bpf_program__set_autoload(skel->progs.kvm_fpu, vmm_clock == VMM_CLOCK_KVM_FPU);
	bpf_program__set_autoload(skel->progs.qemu_kvm_run_exit, vmm_clock == VMM_CLOCK_USDT);
	bpf_program__set_autoload(skel->progs.qemu_kvm_vcpu_ioctl, vmm_clock == VMM_CLOCK_USDT);
	bpf_program__set_autoload(skel->progs.sys_enter_ioctl, vmm_clock == VMM_CLOCK_SYSCALL);
	bpf_program__set_autoattach(skel->progs.kvm_userspace_exit, false);	/* last: see below */
	/* VM x vCPU x reason, for exit reasons and for KVM_EXIT reasons alike. */
	bpf_map__set_max_entries(skel->maps.hists, env.max_hist_keys);
	bpf_map__set_max_entries(skel->maps.uexits, env.max_hist_keys);
	bpf_map__set_max_entries(skel->maps.vms_seen, env.max_hist_keys);
	err = vmexitprof_bpf__load(skel);
	if (err) {
		release_libbpf_log(!bpf_refused(err));
		explain_bpf_failure("load the BPF programs", err);
		err = 1;
		goto cleanup;
	}
	prewarm_hists(skel, &env, &names);
	/*
	 * kvm_userspace_exit starts each VMM handling time: attach it after
	 * whatever ends one (kvm_fpu, sys_enter_ioctl, the USDT probes), and
	 * detach it first, so that no handling started is missed at its end.
	 */
	err = vmexitprof_bpf__attach(skel);
	if (!err && vmm_clock == VMM_CLOCK_USDT && attach_usdt(skel, &env, &usdt)) {
		err = 1;
		goto cleanup;
	}
	if (!err) {
		skel->links.kvm_userspace_exit = bpf_program__attach(skel->progs.kvm_userspace_exit);
		err = libbpf_get_error(skel->links.kvm_userspace_exit);
		if (err)
			skel->links.kvm_userspace_exit = NULL;
	}
	release_libbpf_log(!bpf_refused(err));
	if (err) {
		explain_bpf_failure("attach to the kvm tracepoints", err);
		err = 1;
		goto cleanup;
	}
	/* On stderr even with --json: scripts wait for it to know we are attached. */
	fprintf(stderr, "Tracing KVM exits%s (VMM handling time from %s)... Hit Ctrl-C to end.\n",
		env.duration_ms ? " for the given duration" : "", run.vmm_time_source);
	if (env.interval_ms && !env.json)
		report_print_interval_header(stdout, &env);

	for (unsigned int i = 0; i < env.nr_pids; i++)
		remember_name(&run, env.pids[i], pid_start_ticks(env.pids[i]), NULL);
	kvm_modules_init(&kvm_modules);
	start = now_ns();
	while (!exiting) {
		__u64 next_ms = env.interval_ms ? (nr_done + 1) * env.interval_ms : 0;

		now = now_ns();
		elapsed_ms = (now - start) / 1000000;
		/* Wake for the next interval's end on time; else poll. */
		sleep_ms(next_ms && next_ms - elapsed_ms < POLL_MS ? next_ms - elapsed_ms : POLL_MS);
		kvm_modules_check(&kvm_modules);
		now = now_ns();
		elapsed_ms = (now - start) / 1000000;
		remember_vm_names(skel, &run);
		if (elapsed_ms - last_move_ms >= MOVE_EXITED_MS) {
			last_move_ms = elapsed_ms;
			err = move_exited_vms(skel, &gone);
			if (err) {
				fprintf(stderr, "vmexitprof: cannot read the BPF maps: %s\n", strerror(-err));
				err = 1;
				goto cleanup;
			}
		}
		if (env.duration_ms && elapsed_ms >= env.duration_ms)
			break;
		if (all_targets_exited(&env))
			break;
		if (next_ms && elapsed_ms >= next_ms) {
			/* The last interval is read after detaching, below. */
			if (env.interval_count && nr_done + 1 >= env.interval_count)
				break;
			err = read_snapshot(skel, &gone, &cur);
			if (!err)
				err = end_interval(&run, &cur, &prev, interval_start, now - start, keep,
						   &env, &names);
			if (err) {
				fprintf(stderr, "vmexitprof: cannot read the BPF maps: %s\n", strerror(-err));
				err = 1;
				goto cleanup;
			}
			interval_start = now - start;
			/* Fell behind (a stopped terminal?): skip, don't burst. */
			nr_done = elapsed_ms / env.interval_ms;
		}
		if (!checked_silence && elapsed_ms >= SILENT_KVM_EXIT_CHECK_MS) {
			checked_silence = true;
			if (read_counters(skel, counters) == 0 && host_is_silent(counters))
				no_kvm_exit = true;
		}
	}

	/*
	 * The run ends now, not after the detaching (uprobes take a while).
	 * No new VMM handling starts after this; those under way get a moment
	 * to end. Then detach the rest, so the numbers stop moving while we
	 * read them.
	 */
	run.duration_ns = now_ns() - start;
	bpf_link__destroy(skel->links.kvm_userspace_exit);
	skel->links.kvm_userspace_exit = NULL;
	sleep_ms(DETACH_GRACE_MS);
	detach_usdt(&usdt);
	vmexitprof_bpf__detach(skel);
	err = read_snapshot(skel, &gone, &cur);
	if (err) {
		fprintf(stderr, "vmexitprof: cannot read the BPF maps: %s\n", strerror(-err));
		err = 1;
		goto cleanup;
	}
	if (!no_kvm_exit && !cur.counters[CNT_EXITS] && cur.counters[CNT_USERSPACE_EXITS])
		no_kvm_exit = host_is_silent(cur.counters);
	run.kvm_exit_fired = !no_kvm_exit;
	remember_vm_names(skel, &run);
	name_vms(&run, &cur);
	for (unsigned int i = 0; i < env.nr_pids; i++)
		if (!pid_alive(env.pids[i]))
			fprintf(stderr, "vmexitprof: process %u exited during the run; showing what was "
				"collected\n", env.pids[i]);
	/* The last interval; without -I, the whole run. */
	err = end_interval(&run, &cur, &prev, interval_start, run.duration_ns, true, &env, &names);
	if (err) {
		fprintf(stderr, "vmexitprof: out of memory\n");
		err = 1;
		goto cleanup;
	}
	/* The totals are the last snapshot itself (prev, now), so exact even when intervals were dropped. */
	err = output_run(&run, &prev, &env, &names);

cleanup:
	detach_usdt(&usdt);
	vmexitprof_bpf__destroy(skel);
	snapshot_free(&prev);
	snapshot_free(&cur);
	snapshot_free(&gone);
	run_free(&run);
	reasons_free(&names);
	return err;
}
