// SPDX-License-Identifier: GPL-2.0
/*
 * Runner for tests/bpf/exit_entry_test.bpf.c: feeds synthetic kvm_exit /
 * kvm_entry events to the pairing core (bpf/exit_entry.bpf.h) through
 * BPF_PROG_TEST_RUN and checks `hists` and `counters` exactly. Each
 * scenario loads a fresh skeleton with its own filters. Events are spread
 * round-robin over the CPUs we may run on (BPF_F_TEST_RUN_ON_CPU), so
 * pairing must be per thread and the per-CPU maps must be summed.
 *
 * `hists` is preallocated here (BPF_F_NO_PREALLOC cleared, max_entries
 * TEST_HIST_KEYS unless a scenario sets its own): as compiled, creating a
 * key allocates memory from BPF context, which can fail with -ENOMEM
 * (counted as CNT_HIST_ALLOC_FAILED, not lost silently), so exact counts
 * could be flaky. --as-compiled keeps the map as compiled.
 *
 * Then threads on two CPUs at once race bursts of samples on two shared
 * keys (exit_entry_race, BPF_F_TEST_RUN_ON_CPU): min, max, sum, count and
 * buckets must stay exact, and the USDT way's per-CPU counts where one
 * thread's bursts interrupt the other's on its CPU (sent there by IPI).
 *
 * Last, bpf/vmexitprof.bpf.c itself must pass the verifier with pid and
 * vCPU filters set (skipped, with a note, where it cannot load at all).
 *
 * Prints every difference, then "N checks, M failed". Exits 0 when all
 * pass, 1 on a failure, 77 (skip) when not root or when the kernel cannot
 * BPF_PROG_TEST_RUN a raw_tp program. -v: verbose, with libbpf debug.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/kvm.h>	/* KVM_EXIT_* */

#include <bpf/btf.h>

#include "proc.h"	/* pid_start_ticks */
#include "util.h"	/* ARRAY_SIZE */
#include "snapshot.h"	/* counter_names */
#include "vmexitprof.h"
#include "exit_entry_test.h"
#include "tests/bpf/exit_entry_test.skel.h"
#include "vmexitprof.skel.h"

#define SKIP 77
#define TEST_HIST_KEYS 32	/* preallocated hists size; scenarios need <= 21 */
#ifndef ENOTSUPP
#define ENOTSUPP 524	/* the kernel's internal "not supported" */
#endif

/* VMX basic exit reasons and SVM exit codes used below. */
#define VMX_EXTERNAL_INTERRUPT	1
#define VMX_CPUID		10
#define VMX_HLT			12
#define VMX_IO_INSTRUCTION	30
#define VMX_EPT_VIOLATION	48
#define SVM_CPUID		0x72
#define SVM_IOIO		0x7b
#define SVM_NPF			0x400
#define SVM_VMGEXIT		0x403


/* The process start time (hist_key.vm_start) of the events sent, unless a scenario changes it. */
#define VM_START 4242
static __u64 vm_start = VM_START;

static unsigned int nr_checks, nr_failed;
static const char *scenario = "setup";
static int ncpus;		/* possible CPUs: per-CPU value array length */
static int run_cpus[1024];	/* CPUs we may run on, for BPF_F_TEST_RUN_ON_CPU */
static int nr_run_cpus, next_cpu;
static bool verbose, as_compiled;

static void fail(const char *fmt, ...)
{
	va_list ap;

	nr_failed++;
	printf("FAIL [%s] ", scenario);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static bool check_u64(const char *what, __u64 got, __u64 want)
{
	nr_checks++;
	if (got == want)
		return true;
	fail("%s: got %llu (0x%llx), want %llu (0x%llx)", what, (unsigned long long)got,
	     (unsigned long long)got, (unsigned long long)want, (unsigned long long)want);
	return false;
}

static const char *key_str(const struct hist_key *k)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "{pid %u start %llu vcpu %u isa %u reason 0x%x flags %u}", k->pid,
		 (unsigned long long)k->vm_start, k->vcpu, k->isa, k->reason, k->flags);
	return buf;
}

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* ---- one scenario's BPF object ---- */

struct filters {
	const __u32 *pids;	/* target_pids[]: pids_len of them written */
	unsigned int pids_len;
	unsigned int nr_pids;	/* nr_target_pids; 0: no pid filter */
	const __u32 *vcpus;	/* vCPUs to set in vcpu_filter; NULL: no vcpu filter */
	unsigned int nr_vcpus;
	__u32 max_hist_keys;	/* 0: TEST_HIST_KEYS (as compiled with --as-compiled) */
	__u32 max_reserve_keys;	/* 0: as compiled */
	bool race_progs;	/* load exit_entry_race and its nested copy (bpf_loop: 5.17+) */
};

/* Which way kvm_entry updates histograms in this pass (see main). */
static bool entry_one_writer;

static struct exit_entry_test_bpf *load(const struct filters *f)
{
	struct exit_entry_test_bpf *skel = exit_entry_test_bpf__open();
	int err = 0;

	nr_checks++;	/* it loads */
	if (!skel) {
		fail("exit_entry_test_bpf__open: %s", strerror(errno));
		return NULL;
	}
	skel->rodata->entry_one_writer = entry_one_writer;
	bpf_program__set_autoload(skel->progs.exit_entry_race, f && f->race_progs);
	bpf_program__set_autoload(skel->progs.exit_entry_race_nested, f && f->race_progs);
	/* As the loader: process start times in /proc's unit (EE_*_BTF read the runner's). */
	skel->rodata->ns_per_clock_tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	if (f) {
		for (unsigned int i = 0; i < f->pids_len; i++)
			skel->rodata->target_pids[i] = f->pids[i];
		skel->rodata->nr_target_pids = f->nr_pids;
		for (unsigned int i = 0; i < f->nr_vcpus; i++)
			skel->rodata->vcpu_filter[f->vcpus[i] / 64] |= 1ULL << (f->vcpus[i] % 64);
		skel->rodata->filter_vcpus = f->vcpus != NULL;
	}
	if (!as_compiled) {
		__u32 max = f && f->max_hist_keys ? f->max_hist_keys : TEST_HIST_KEYS;

		err = bpf_map__set_map_flags(skel->maps.hists,
					     bpf_map__map_flags(skel->maps.hists) & ~BPF_F_NO_PREALLOC);
		if (!err)
			err = bpf_map__set_max_entries(skel->maps.hists, max);
	} else if (f && f->max_hist_keys) {
		err = bpf_map__set_max_entries(skel->maps.hists, f->max_hist_keys);
	}
	if (!err && f && f->max_reserve_keys)
		err = bpf_map__set_max_entries(skel->maps.hists_reserve, f->max_reserve_keys);
	if (err) {
		fail("resizing hists before load: %s", strerror(-err));
		exit_entry_test_bpf__destroy(skel);
		return NULL;
	}
	err = exit_entry_test_bpf__load(skel);
	if (err) {
		fail("exit_entry_test_bpf__load: %s", strerror(-err));
		exit_entry_test_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* One test run of the program on CPU cpu; returns 0 or -errno, retval in *ret. */
static int run_on(struct exit_entry_test_bpf *skel, const struct ee_event *ev, int cpu,
		  __u32 *ret)
{
	/* cpu -1: on this thread, wherever it runs (the tp_btf kinds use its task storage). */
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.ctx_in = ev,
		.ctx_size_in = sizeof(*ev),
		.flags = cpu >= 0 ? BPF_F_TEST_RUN_ON_CPU : 0,
		.cpu = cpu >= 0 ? cpu : 0,
	);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.exit_entry_event), &opts);

	if (err)
		return err < 0 ? err : -errno;
	*ret = opts.retval;
	return 0;
}

/* Runs one event on the next CPU in turn and checks what the program returned. */
static void event(struct exit_entry_test_bpf *skel, enum ee_kind kind, __u64 tid, __u32 pid,
		  __u32 vcpu, __u32 isa, __u32 reason, __u64 now, enum ee_ret want)
{
	static const char *const ret_names[] = {
		[EE_RET_FILTERED] = "filtered", [EE_RET_HANDLED] = "handled",
		[EE_RET_NO_SLOT] = "no slot", [EE_RET_BAD_KIND] = "bad kind",
	};
	struct ee_event ev = {
		.kind = kind, .tid = tid, .now = now,
		.pid = pid, .vcpu = vcpu, .isa = isa, .reason = reason, .vm_start = vm_start,
	};
	const char *what = kind == EE_EXIT ? "exit" : kind == EE_ENTRY ? "entry" :
			   kind == EE_UEXIT ? "userspace exit" : kind == EE_EXIT_BTF ? "tp_btf exit" :
			   kind == EE_ENTRY_BTF ? "tp_btf entry" : "KVM_RUN";
	/* Another CPU's run would find another task current there. */
	bool own_thread = kind == EE_EXIT_BTF || kind == EE_ENTRY_BTF;
	int cpu = own_thread ? -1 : run_cpus[next_cpu++ % nr_run_cpus];
	__u32 ret;
	int err;

	if (!skel)
		return;
	nr_checks++;
	err = run_on(skel, &ev, cpu, &ret);
	if (err) {
		fail("%s tid %llu t=%llu on cpu %d: BPF_PROG_TEST_RUN failed: %s", what,
		     (unsigned long long)tid, (unsigned long long)now, cpu, strerror(-err));
		return;
	}
	if (ret != want)
		fail("%s tid %llu pid %u vcpu %u t=%llu: program returned %u (%s), want %u (%s)",
		     what, (unsigned long long)tid, pid, vcpu, (unsigned long long)now, ret,
		     ret < 4 ? ret_names[ret] : "?", want, ret_names[want]);
}

#define EXIT(tid, pid, vcpu, isa, reason, t) \
	event(skel, EE_EXIT, tid, pid, vcpu, isa, reason, t, EE_RET_HANDLED)
#define ENTRY(tid, pid, vcpu, t) \
	event(skel, EE_ENTRY, tid, pid, vcpu, 0, 0, t, EE_RET_HANDLED)
#define UEXIT(tid, pid, vcpu, reason, err, t) \
	event(skel, EE_UEXIT, tid, pid, vcpu, (__u32)(err), reason, t, EE_RET_HANDLED)
#define EXIT_BTF(vcpu_idx, vcpu_id, isa, reason, want) \
	event(skel, EE_EXIT_BTF, vcpu_id, 0, vcpu_idx, isa, reason, 0, want)
#define ENTRY_BTF(vcpu_idx, want) \
	event(skel, EE_ENTRY_BTF, 0, 0, vcpu_idx, 0, 0, 0, want)
#define KVM_RUN_AGAIN(tid, pid, t) \
	event(skel, EE_KVM_RUN, tid, pid, 0, 0, 0, t, EE_RET_HANDLED)
#define EXIT_FILTERED(tid, pid, vcpu, isa, reason, t) \
	event(skel, EE_EXIT, tid, pid, vcpu, isa, reason, t, EE_RET_FILTERED)
#define ENTRY_FILTERED(tid, pid, vcpu, t) \
	event(skel, EE_ENTRY, tid, pid, vcpu, 0, 0, t, EE_RET_FILTERED)

/* ---- reading and checking the maps ---- */

static struct hist_key mkkey(__u32 pid, __u32 vcpu, __u32 isa, __u32 reason, __u32 flags)
{
	struct hist_key k;

	memset(&k, 0, sizeof(k));
	k.pid = pid;
	k.vcpu = vcpu;
	k.isa = isa;
	k.reason = reason;
	k.flags = flags;
	k.vm_start = VM_START;
	return k;
}

/* One key's histogram (one for all CPUs: hists is not per CPU). */
static int read_hist(struct exit_entry_test_bpf *skel, const struct hist_key *key,
		     struct hist *h)
{
	memset(h, 0, sizeof(*h));
	return bpf_map__lookup_elem(skel->maps.hists, key, sizeof(*key), h, sizeof(*h), 0);
}

/* The key's summed histogram must hold exactly these latencies. */
static void expect_hist(struct exit_entry_test_bpf *skel, struct hist_key key,
			const __u64 *lat, unsigned int n)
{
	struct hist got, want;
	char what[256];
	int err;

	if (!skel)
		return;
	memset(&want, 0, sizeof(want));
	for (unsigned int i = 0; i < n; i++) {
		if (!want.count || lat[i] < want.min_ns)
			want.min_ns = lat[i];
		if (lat[i] > want.max_ns)
			want.max_ns = lat[i];
		want.count++;
		want.sum_ns += lat[i];
		if (hist_bucket(lat[i]) < HIST_NR_BUCKETS)
			want.buckets[hist_bucket(lat[i])]++;
		else
			fail("hist_bucket(%llu) = %u: out of range", (unsigned long long)lat[i],
			     hist_bucket(lat[i]));
	}
	nr_checks++;
	err = read_hist(skel, &key, &got);
	if (err) {
		fail("hists%s: lookup failed: %s (want %u samples)", key_str(&key),
		     strerror(-err), n);
		return;
	}
#define HIST_FIELD(f) \
	snprintf(what, sizeof(what), "hists%s." #f, key_str(&key)); \
	check_u64(what, got.f, want.f)
	HIST_FIELD(count);
	HIST_FIELD(sum_ns);
	HIST_FIELD(min_ns);
	HIST_FIELD(max_ns);
#undef HIST_FIELD
	nr_checks++;
	for (unsigned int b = 0; b < HIST_NR_BUCKETS; b++)
		if (got.buckets[b] != want.buckets[b])
			fail("hists%s.buckets[%u] (from %llu ns): got %llu, want %llu",
			     key_str(&key), b, (unsigned long long)hist_bucket_lower(b),
			     (unsigned long long)got.buckets[b],
			     (unsigned long long)want.buckets[b]);
}

static void expect_no_hist(struct exit_entry_test_bpf *skel, struct hist_key key)
{
	struct hist got;
	int err;

	if (!skel)
		return;
	nr_checks++;
	err = read_hist(skel, &key, &got);
	if (err != -ENOENT)
		fail("hists%s: want no such key, lookup gave %s (count %llu)", key_str(&key),
		     err ? strerror(-err) : "a histogram", (unsigned long long)got.count);
}

/* The map must hold exactly n keys: no histogram we did not ask for. */
static unsigned int count_keys_of(struct bpf_map *map, size_t key_size)
{
	char key[64], next[64];
	void *prev = NULL;
	unsigned int found = 0;

	while (!bpf_map__get_next_key(map, prev, next, key_size)) {
		memcpy(key, next, key_size);
		prev = key;
		if (++found > 100000)
			break;
	}
	return found;
}

static unsigned int count_keys(struct bpf_map *map)
{
	return count_keys_of(map, sizeof(struct hist_key));
}

/* The to_userspace count of one histogram. */
static void expect_to_userspace(struct exit_entry_test_bpf *skel, struct hist_key k, __u64 want)
{
	struct hist h;

	if (!skel)
		return;
	read_hist(skel, &k, &h);
	check_u64("to_userspace", h.to_userspace, want);
}

/* n keys in hists and none in the reserve. */
static void expect_nr_keys(struct exit_entry_test_bpf *skel, unsigned int n)
{
	if (!skel)
		return;
	check_u64("number of keys in hists", count_keys(skel->maps.hists), n);
	check_u64("number of keys in hists_reserve", count_keys(skel->maps.hists_reserve), 0);
}

/*
 * All counters, summed over CPUs, must equal want[] (unset ones: 0); the
 * BPF side leaves CNT_ENTRIES 0, for readers to derive (counters_derive).
 */
static void expect_counters(struct exit_entry_test_bpf *skel, const __u64 want[NR_COUNTERS])
{
	__u64 *v = calloc(ncpus, sizeof(*v)), sums[NR_COUNTERS] = {};

	if (!skel || !v) {
		free(v);
		return;
	}
	for (__u32 c = 0; c < NR_COUNTERS; c++) {
		int err = bpf_map__lookup_elem(skel->maps.counters, &c, sizeof(c), v,
					       ncpus * sizeof(*v), 0);

		if (err) {
			nr_checks++;
			fail("counters[%s]: lookup failed: %s", counter_names[c], strerror(-err));
			free(v);
			return;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			sums[c] += v[cpu];
	}
	free(v);
	check_u64("counters[entries] as the BPF side leaves it", sums[CNT_ENTRIES], 0);
	counters_derive(sums);
	for (__u32 c = 0; c < NR_COUNTERS; c++)
		check_u64(counter_names[c], sums[c], want[c]);
}

#define COUNTERS(...) ((const __u64[NR_COUNTERS]){ __VA_ARGS__ })

/* Does thread tid have a slot in inflight_by_tid, and with which exit_ns? */
static bool slot_of(struct exit_entry_test_bpf *skel, __u64 tid, __u64 *exit_ns)
{
	/* struct inflight is BPF-side only: exit_ns is its first member. */
	__u64 v[16];

	if (bpf_map__value_size(skel->maps.inflight_by_tid) > sizeof(v) ||
	    bpf_map__lookup_elem(skel->maps.inflight_by_tid, &tid, sizeof(tid), v,
				 bpf_map__value_size(skel->maps.inflight_by_tid), 0))
		return false;
	*exit_ns = v[0];
	return true;
}

static void begin(const char *name)
{
	scenario = name;
	if (verbose)
		printf("-- %s\n", name);
}

/* ---- scenarios ---- */

#define PID_A 1000
#define PID_B 2000
#define PID_C 3000

/* One exit, one entry: one 500 ns sample. */
static void scenario_simple(void)
{
	struct exit_entry_test_bpf *skel;
	struct hist h;
	struct hist_key k = mkkey(PID_A, 0, ISA_VMX, VMX_IO_INSTRUCTION, 0);

	begin("simple pairing");
	skel = load(NULL);
	EXIT(1, PID_A, 0, ISA_VMX, VMX_IO_INSTRUCTION, 1000);
	ENTRY(1, PID_A, 0, 1500);
	expect_hist(skel, k, (__u64[]){ 500 }, 1);
	/* And, independently of hist_bucket(): 500 = 2^8 + 15 * 2^4 -> bucket 1 + 4*16 + 15. */
	if (skel && !read_hist(skel, &k, &h))
		check_u64("hists.buckets[80] (496..511 ns)", h.buckets[80], 1);
	check_u64("hist_bucket(500)", hist_bucket(500), 80);
	expect_nr_keys(skel, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 1, [CNT_ENTRIES] = 1, [CNT_PAIRED] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/*
 * Threads A (pid A, vcpu 0) and B (pid B, vcpu 1) interleave: exit A, exit B,
 * entry B, entry A, on alternating CPUs. Per-thread pairing gives A 700 ns
 * and B 200 ns; per-CPU pairing would not.
 */
static void scenario_interleaved(void)
{
	struct exit_entry_test_bpf *skel;

	begin("two threads interleaved");
	skel = load(NULL);
	next_cpu = 0;
	EXIT(11, PID_A, 0, ISA_VMX, VMX_HLT, 1000);
	EXIT(12, PID_B, 1, ISA_VMX, VMX_HLT, 1100);
	ENTRY(12, PID_B, 1, 1300);
	ENTRY(11, PID_A, 0, 1700);
	expect_hist(skel, mkkey(PID_A, 0, ISA_VMX, VMX_HLT, 0), (__u64[]){ 700 }, 1);
	expect_hist(skel, mkkey(PID_B, 1, ISA_VMX, VMX_HLT, 0), (__u64[]){ 200 }, 1);
	expect_nr_keys(skel, 2);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 2, [CNT_ENTRIES] = 2, [CNT_PAIRED] = 2));
	exit_entry_test_bpf__destroy(skel);
}

/* Entry with no slot (NULL), and entry after the slot was consumed. */
static void scenario_entry_without_exit(void)
{
	struct exit_entry_test_bpf *skel;
	__u64 exit_ns = 0;

	begin("entry without exit");
	skel = load(NULL);
	ENTRY(21, PID_A, 0, 500);
	expect_nr_keys(skel, 0);
	expect_counters(skel, COUNTERS([CNT_ENTRIES] = 1, [CNT_ENTRY_WITHOUT_EXIT] = 1));
	if (skel) {
		nr_checks++;
		if (slot_of(skel, 21, &exit_ns))
			fail("an entry created a slot for its thread (exit_ns %llu)",
			     (unsigned long long)exit_ns);
	}

	/* Pair once; the slot is then cleared, so a second entry pairs with nothing. */
	EXIT(21, PID_A, 0, ISA_VMX, VMX_HLT, 1000);
	ENTRY(21, PID_A, 0, 1200);
	ENTRY(21, PID_A, 0, 1300);
	if (skel) {
		nr_checks++;
		if (!slot_of(skel, 21, &exit_ns))
			fail("no slot for thread 21 after its exit");
		else
			check_u64("slot exit_ns after pairing", exit_ns, 0);
	}
	expect_hist(skel, mkkey(PID_A, 0, ISA_VMX, VMX_HLT, 0), (__u64[]){ 200 }, 1);
	expect_nr_keys(skel, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 1, [CNT_ENTRIES] = 3, [CNT_PAIRED] = 1,
				       [CNT_ENTRY_WITHOUT_EXIT] = 2));
	exit_entry_test_bpf__destroy(skel);
}

/* exit, exit, entry: the second exit wins, the first is counted as overwritten. */
static void scenario_exit_overwritten(void)
{
	struct exit_entry_test_bpf *skel;

	begin("exit overwritten");
	skel = load(NULL);
	EXIT(31, PID_A, 2, ISA_VMX, VMX_IO_INSTRUCTION, 1000);
	EXIT(31, PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, 1400);
	ENTRY(31, PID_A, 2, 1500);
	expect_hist(skel, mkkey(PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, 0), (__u64[]){ 100 }, 1);
	expect_no_hist(skel, mkkey(PID_A, 2, ISA_VMX, VMX_IO_INSTRUCTION, 0));
	expect_nr_keys(skel, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 2, [CNT_ENTRIES] = 1, [CNT_PAIRED] = 1,
				       [CNT_EXIT_OVERWRITTEN] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/* How raw exit reasons become keys: VMX masked + failed-entry flag, SVM whole. */
static void scenario_reasons(void)
{
	static const struct {
		__u32 isa, raw, reason, flags;
	} cases[] = {
		{ ISA_VMX, 0x8000000a, VMX_CPUID, HIST_FLAG_FAILED_VMENTRY },
		{ ISA_VMX, 0x0000000a, VMX_CPUID, 0 },
		{ ISA_VMX, 0x0001000c, VMX_HLT, 0 },
		{ ISA_VMX, 0x0800001e, VMX_IO_INSTRUCTION, 0 },	/* bit 27: enclave mode */
		{ ISA_VMX, 0xffffffff, 0xffff, HIST_FLAG_FAILED_VMENTRY },
		{ ISA_SVM, SVM_NPF, SVM_NPF, 0 },
		{ ISA_SVM, SVM_VMGEXIT, SVM_VMGEXIT, 0 },
		{ ISA_SVM, 0x80000001, 0x80000001, 0 },
		{ ISA_SVM, 0x8000000a, 0x8000000a, 0 },
		{ ISA_SVM, 0xffffffff, 0xffffffff, 0 },	/* SVM_EXIT_ERR */
		{ ISA_SVM, 0x0000000a, 0x0000000a, 0 },	/* same number as VMX CPUID */
		{ ISA_SVM, 0x0001007b, 0x0001007b, 0 },	/* high bits kept for SVM */
	};
	const unsigned int n = sizeof(cases) / sizeof(cases[0]);
	struct exit_entry_test_bpf *skel;
	__u64 t = 10000;

	begin("exit reasons");
	skel = load(NULL);
	/* One thread, a distinct latency per case: 100, 200, ... ns. */
	for (unsigned int i = 0; i < n; i++) {
		EXIT(41, PID_A, 3, cases[i].isa, cases[i].raw, t);
		ENTRY(41, PID_A, 3, t + 100 * (i + 1));
		t += 100000;
	}
	for (unsigned int i = 0; i < n; i++)
		expect_hist(skel, mkkey(PID_A, 3, cases[i].isa, cases[i].reason, cases[i].flags),
			    (__u64[]){ 100 * (i + 1) }, 1);
	expect_no_hist(skel, mkkey(PID_A, 3, ISA_VMX, 0x8000000a, 0));
	expect_no_hist(skel, mkkey(PID_A, 3, ISA_VMX, 0x0001000c, 0));
	expect_no_hist(skel, mkkey(PID_A, 3, ISA_SVM, 0x80000001, HIST_FLAG_FAILED_VMENTRY));
	expect_nr_keys(skel, n);
	expect_counters(skel, COUNTERS([CNT_EXITS] = n, [CNT_ENTRIES] = n, [CNT_PAIRED] = n));
	exit_entry_test_bpf__destroy(skel);
}

/* target_pids: only the first nr_target_pids entries count. */
static void scenario_pid_filter(void)
{
	/* PID_B sits past nr_pids: it must not be a target. */
	static const __u32 pids[] = { PID_A, PID_C, PID_B };
	struct filters f = { .pids = pids, .pids_len = 3, .nr_pids = 2 };
	struct exit_entry_test_bpf *skel;
	__u64 exit_ns;

	begin("pid filter");
	skel = load(&f);
	EXIT(51, PID_A, 0, ISA_VMX, VMX_HLT, 1000);
	EXIT_FILTERED(52, PID_B, 0, ISA_VMX, VMX_HLT, 1010);
	EXIT(53, PID_C, 0, ISA_VMX, VMX_HLT, 1020);
	ENTRY_FILTERED(52, PID_B, 0, 1310);
	ENTRY(53, PID_C, 0, 1420);
	ENTRY(51, PID_A, 0, 1600);
	expect_hist(skel, mkkey(PID_A, 0, ISA_VMX, VMX_HLT, 0), (__u64[]){ 600 }, 1);
	expect_hist(skel, mkkey(PID_C, 0, ISA_VMX, VMX_HLT, 0), (__u64[]){ 400 }, 1);
	expect_no_hist(skel, mkkey(PID_B, 0, ISA_VMX, VMX_HLT, 0));
	expect_nr_keys(skel, 2);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 2, [CNT_ENTRIES] = 2, [CNT_PAIRED] = 2));
	if (skel) {
		nr_checks++;
		if (slot_of(skel, 52, &exit_ns))
			fail("filtered exit created a slot for thread 52 (exit_ns %llu)",
			     (unsigned long long)exit_ns);
	}
	exit_entry_test_bpf__destroy(skel);
}

/* vcpu_filter bitmap, both words' edges, out of range, and unknown vCPUs. */
static void scenario_vcpu_filter(void)
{
	static const __u32 vcpus[] = { 1, 3, 64, 1023 };
	static const __u32 unwanted[] = { 0, 2, 63, 65, 1022, 1024, 4096, VCPU_UNKNOWN };
	struct filters f = { .vcpus = vcpus, .nr_vcpus = 4 };
	struct exit_entry_test_bpf *skel;
	__u64 exit_ns, t = 1000;
	unsigned int i;

	begin("vcpu filter");
	skel = load(&f);
	for (i = 0; i < 4; i++) {
		EXIT(60 + i, PID_A, vcpus[i], ISA_VMX, VMX_HLT, t);
		ENTRY(60 + i, PID_A, vcpus[i], t + 100 * (i + 1));
		t += 10000;
	}
	for (i = 0; i < sizeof(unwanted) / sizeof(unwanted[0]); i++) {
		EXIT_FILTERED(70 + i, PID_A, unwanted[i], ISA_VMX, VMX_HLT, t);
		ENTRY_FILTERED(70 + i, PID_A, unwanted[i], t + 50);
		t += 10000;
	}
	for (i = 0; i < 4; i++)
		expect_hist(skel, mkkey(PID_A, vcpus[i], ISA_VMX, VMX_HLT, 0),
			    (__u64[]){ 100 * (i + 1) }, 1);
	expect_nr_keys(skel, 4);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 4, [CNT_ENTRIES] = 4, [CNT_PAIRED] = 4));

	/*
	 * An excluded exit leaves nothing behind: no slot, so a wanted entry on
	 * the same thread is an entry without exit, not a sample.
	 */
	EXIT_FILTERED(80, PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, t);
	if (skel) {
		nr_checks++;
		if (slot_of(skel, 80, &exit_ns))
			fail("filtered exit created a slot for thread 80 (exit_ns %llu)",
			     (unsigned long long)exit_ns);
	}
	ENTRY(80, PID_A, 1, t + 100);
	/* Same with a thread whose slot exists (already paired, thread 60 on vcpu 1). */
	EXIT_FILTERED(60, PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, t + 200);
	ENTRY(60, PID_A, 1, t + 300);
	/*
	 * A filtered exit is invisible: it neither replaces nor cancels a
	 * pending wanted exit, and is not counted as overwriting it.
	 */
	EXIT(61, PID_A, 3, ISA_VMX, VMX_CPUID, t + 1000);
	EXIT_FILTERED(61, PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, t + 2000);
	ENTRY(61, PID_A, 3, t + 2500);
	expect_no_hist(skel, mkkey(PID_A, 2, ISA_VMX, VMX_EPT_VIOLATION, 0));
	expect_no_hist(skel, mkkey(PID_A, 1, ISA_VMX, VMX_EPT_VIOLATION, 0));
	expect_hist(skel, mkkey(PID_A, 3, ISA_VMX, VMX_CPUID, 0), (__u64[]){ 1500 }, 1);
	expect_nr_keys(skel, 5);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 5, [CNT_ENTRIES] = 7, [CNT_PAIRED] = 5,
				       [CNT_ENTRY_WITHOUT_EXIT] = 2));
	exit_entry_test_bpf__destroy(skel);
}

/* Both filters at once: an event must pass both. */
static void scenario_both_filters(void)
{
	static const __u32 pids[] = { PID_A };
	static const __u32 vcpus[] = { 0 };
	struct filters f = { .pids = pids, .pids_len = 1, .nr_pids = 1, .vcpus = vcpus, .nr_vcpus = 1 };
	struct exit_entry_test_bpf *skel;

	begin("pid and vcpu filters");
	skel = load(&f);
	EXIT(91, PID_A, 0, ISA_SVM, SVM_IOIO, 1000);
	EXIT_FILTERED(92, PID_A, 1, ISA_SVM, SVM_IOIO, 1000);
	EXIT_FILTERED(93, PID_B, 0, ISA_SVM, SVM_IOIO, 1000);
	ENTRY(91, PID_A, 0, 1250);
	ENTRY_FILTERED(92, PID_A, 1, 1250);
	ENTRY_FILTERED(93, PID_B, 0, 1250);
	expect_hist(skel, mkkey(PID_A, 0, ISA_SVM, SVM_IOIO, 0), (__u64[]){ 250 }, 1);
	expect_nr_keys(skel, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 1, [CNT_ENTRIES] = 1, [CNT_PAIRED] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/* count/sum/min/max over many samples on many CPUs, underflow and overflow. */
static void scenario_stats(void)
{
	static const __u64 lat[] = {
		5000, 0, 1, 15, 16, 17, 31, 32, 1000, 123456789,
		HIST_OVERFLOW_NS - 1, HIST_OVERFLOW_NS, 2 * HIST_OVERFLOW_NS - 1, 16 * HIST_OVERFLOW_NS,
		1ULL << 62, 777,
	};
	static const __u64 lat2[] = { 5000, 300, 7000, 300 };
	const unsigned int n = sizeof(lat) / sizeof(lat[0]), n2 = sizeof(lat2) / sizeof(lat2[0]);
	struct hist_key k = mkkey(PID_B, 7, ISA_VMX, VMX_EXTERNAL_INTERRUPT, 0);
	struct exit_entry_test_bpf *skel;
	struct hist h;
	__u64 t = 1ULL << 50;	/* large timestamps: the difference must still be exact */

	begin("stats, underflow and overflow");
	skel = load(NULL);
	for (unsigned int i = 0; i < n; i++) {
		EXIT(101, PID_B, 7, ISA_VMX, VMX_EXTERNAL_INTERRUPT, t);
		ENTRY(101, PID_B, 7, t + lat[i]);
		t += lat[i] + 1000;
	}
	/* A second key whose smallest sample is not 0. */
	for (unsigned int i = 0; i < n2; i++) {
		EXIT(102, PID_B, 8, ISA_VMX, VMX_EXTERNAL_INTERRUPT, t);
		ENTRY(102, PID_B, 8, t + lat2[i]);
		t += 100000;
	}
	expect_hist(skel, k, lat, n);
	expect_hist(skel, mkkey(PID_B, 8, ISA_VMX, VMX_EXTERNAL_INTERRUPT, 0), lat2, n2);
	/* And the edges by number, not just through hist_bucket(). */
	if (skel && !read_hist(skel, &k, &h)) {
		check_u64("underflow bucket 0 (0, 1, 15 ns)", h.buckets[0], 3);
		check_u64("bucket 1 (16 ns)", h.buckets[1], 1);
		check_u64("last regular bucket (2^42 - 1 ns)", h.buckets[HIST_OVERFLOW - 1], 1);
		check_u64("overflow bucket (2^42, 2^43 - 1, 2^46, 2^62 ns)",
			  h.buckets[HIST_OVERFLOW], 4);
	}
	expect_nr_keys(skel, 2);
	expect_counters(skel, COUNTERS([CNT_EXITS] = n + n2, [CNT_ENTRIES] = n + n2,
				       [CNT_PAIRED] = n + n2));
	exit_entry_test_bpf__destroy(skel);
}

/* hists full: intervals for new keys are dropped and counted, old keys still grow. */
static void scenario_map_full(void)
{
	const unsigned int max = 16, reserve = 2, extra = 5;
	struct filters f = { .max_hist_keys = max, .max_reserve_keys = reserve };
	struct exit_entry_test_bpf *skel;
	__u64 t = 1000;
	unsigned int i;

	begin("hists map full: the reserve takes new keys, then they are dropped");
	skel = load(&f);
	if (skel)
		check_u64("hists max_entries", bpf_map__max_entries(skel->maps.hists), max);
	/* max + extra keys (one vCPU each), each exit on its own thread. */
	for (i = 0; i < max + extra; i++)
		EXIT(200 + i, PID_C, i, ISA_SVM, SVM_NPF, t);
	for (i = 0; i < max + extra; i++)
		ENTRY(200 + i, PID_C, i, t + 100 + i);
	/* One more sample for an existing key, once the map is full. */
	EXIT(200, PID_C, 0, ISA_SVM, SVM_NPF, t + 1000);
	ENTRY(200, PID_C, 0, t + 1900);
	/* And a new key again: still dropped. */
	EXIT(300, PID_C, 999, ISA_SVM, SVM_NPF, t + 2000);
	ENTRY(300, PID_C, 999, t + 2100);
	/* A key already in the reserve keeps collecting there. */
	EXIT(200 + max, PID_C, max, ISA_SVM, SVM_NPF, t + 3000);
	ENTRY(200 + max, PID_C, max, t + 3050);
	/* A VMM handling time for a new key: dropped too, counted as such, not as an exit's. */
	UEXIT(400, PID_C, 998, KVM_EXIT_IO, 0, t + 4000);
	KVM_RUN_AGAIN(400, PID_C, t + 4100);

	if (skel) {
		check_u64("number of keys in hists", count_keys(skel->maps.hists), max);
		check_u64("number of keys in hists_reserve", count_keys(skel->maps.hists_reserve),
			  reserve);
	}
	expect_hist(skel, mkkey(PID_C, 0, ISA_SVM, SVM_NPF, 0), (__u64[]){ 100, 900 }, 2);
	for (i = 1; i < max; i++)
		expect_hist(skel, mkkey(PID_C, i, ISA_SVM, SVM_NPF, 0), (__u64[]){ 100 + i }, 1);
	for (i = max + reserve; i < max + extra; i++)
		expect_no_hist(skel, mkkey(PID_C, i, ISA_SVM, SVM_NPF, 0));
	expect_no_hist(skel, mkkey(PID_C, 999, ISA_SVM, SVM_NPF, 0));
	expect_counters(skel, COUNTERS([CNT_EXITS] = max + extra + 3,
				       [CNT_ENTRIES] = max + extra + 3,
				       [CNT_PAIRED] = max + reserve + 2,
				       [CNT_HIST_FULL] = extra - reserve + 1,
				       [CNT_USERSPACE_EXITS] = 1, [CNT_VMM_DROPPED] = 1));
	if (skel) {
		/* The reserve's samples, read from the reserve map itself. */
		struct hist_key k = mkkey(PID_C, max, ISA_SVM, SVM_NPF, 0);
		struct hist h = {};

		bpf_map__lookup_elem(skel->maps.hists_reserve, &k, sizeof(k), &h, sizeof(h), 0);
		check_u64("reserve key: samples", h.count, 2);
		check_u64("reserve key: sum_ns", h.sum_ns, 100 + max + 50);
	}
	exit_entry_test_bpf__destroy(skel);
}

/* The count of returns to userspace for one uexits key, summed over CPUs. */
/*
 * The thread slots can run out (task storage can fail to allocate): with
 * the test's slot map full, an exit is still counted, and counted as not
 * paired; a return to userspace is counted, and counted as not timed.
 */
static void scenario_no_slot(void)
{
	struct filters f = {};
	struct exit_entry_test_bpf *skel;
	__u64 t = 1000;

	begin("no thread slot: exits and returns to userspace counted, and counted as lost");
	skel = load(&f);
	for (unsigned int i = 0; i < EE_MAX_THREADS; i++)
		EXIT(1000 + i, PID_A, 0, ISA_SVM, SVM_NPF, t + i);
	for (unsigned int i = 0; i < EE_MAX_THREADS; i++)
		ENTRY(1000 + i, PID_A, 0, t + 5000 + i);
	/* Thread EE_MAX_THREADS + 1 finds no room. */
	event(skel, EE_EXIT, 9999, PID_A, 0, ISA_SVM, SVM_NPF, t + 9000, EE_RET_NO_SLOT);
	ENTRY(9999, PID_A, 0, t + 9100);
	UEXIT(9999, PID_A, 0, KVM_EXIT_IO, 0, t + 9200);
	KVM_RUN_AGAIN(9999, PID_A, t + 9300);
	expect_counters(skel, COUNTERS([CNT_EXITS] = EE_MAX_THREADS + 1,
				       [CNT_ENTRIES] = EE_MAX_THREADS + 1,
				       [CNT_PAIRED] = EE_MAX_THREADS, [CNT_ENTRY_WITHOUT_EXIT] = 1,
				       [CNT_SLOT_FAILED] = 1, [CNT_USERSPACE_EXITS] = 1,
				       [CNT_VMM_UNTIMED] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/* The USDT clock's path (preemptible): the same numbers, counted atomically. */
static void scenario_preemptible_kvm_run(void)
{
	struct filters f = {};
	struct exit_entry_test_bpf *skel;

	begin("KVM_RUN seen by a uprobe (preemptible): handling times as from the tracepoint");
	skel = load(&f);
	UEXIT(1, PID_A, 0, KVM_EXIT_IO, 0, 1000);
	event(skel, EE_KVM_RUN, 1, PID_A, 0, 1, 0, 1700, EE_RET_HANDLED);
	UEXIT(1, PID_A, 0, KVM_EXIT_IO, 0, 2000);
	event(skel, EE_KVM_RUN, 1, PID_A, 0, 1, 0, 2300, EE_RET_HANDLED);
	expect_hist(skel, mkkey(PID_A, 0, ISA_VMM, KVM_EXIT_IO, 0), (__u64[]){ 700, 300 }, 2);
	expect_counters(skel, COUNTERS([CNT_USERSPACE_EXITS] = 2, [CNT_VMM_PAIRED] = 2));
	exit_entry_test_bpf__destroy(skel);
}

static __u64 uexit_count(struct exit_entry_test_bpf *skel, __u32 pid, __u32 vcpu, __u32 reason,
			 __u32 flags)
{
	struct uexit_key k = { .pid = pid, .vcpu = vcpu, .reason = reason, .flags = flags,
			       .vm_start = VM_START };
	__u64 *v = calloc(ncpus, sizeof(*v)), sum = 0;

	if (v && !bpf_map__lookup_elem(skel->maps.uexits, &k, sizeof(k), v, ncpus * sizeof(*v), 0))
		for (int c = 0; c < ncpus; c++)
			sum += v[c];
	free(v);
	return sum;
}

static void scenario_userspace_exits(void)
{
	struct exit_entry_test_bpf *skel;

	begin("returns to userspace: counted per vCPU and reason, errno apart, marked on the exit");
	skel = load(NULL);
	/* Thread 1: an IO exit that goes to the VMM, then a CPUID that does not. */
	EXIT(1, PID_A, 3, ISA_SVM, SVM_IOIO, 1000);
	UEXIT(1, PID_A, 99, KVM_EXIT_IO, 0, 1100);	/* vCPU from the exit, not 99 */
	KVM_RUN_AGAIN(1, PID_A, 1400);			/* the VMM took 300 ns */
	KVM_RUN_AGAIN(1, PID_A, 1450);			/* nothing waiting: no sample */
	ENTRY(1, PID_A, 3, 1500);
	EXIT(1, PID_A, 3, ISA_SVM, SVM_CPUID, 2000);
	ENTRY(1, PID_A, 3, 2100);
	/* Thread 2 never exits through kvm_exit (as on PVM): vCPU from its name. */
	UEXIT(2, PID_A, 7, KVM_EXIT_MMIO, 0, 3000);
	UEXIT(2, PID_A, 7, KVM_EXIT_MMIO, 0, 3100);
	/* A failed KVM_RUN: stale reason, counted by errno. */
	UEXIT(2, PID_A, 7, KVM_EXIT_MMIO, -4, 3200);
	if (skel) {
		check_u64("IO returns of vCPU 3", uexit_count(skel, PID_A, 3, KVM_EXIT_IO, 0), 1);
		check_u64("IO returns under the event's vCPU", uexit_count(skel, PID_A, 99, KVM_EXIT_IO, 0), 0);
		check_u64("MMIO returns of vCPU 7", uexit_count(skel, PID_A, 7, KVM_EXIT_MMIO, 0), 2);
		check_u64("EINTR returns of vCPU 7", uexit_count(skel, PID_A, 7, 4, UEXIT_FLAG_ERRNO), 1);
		check_u64("keys in uexits", count_keys_of(skel->maps.uexits, sizeof(struct uexit_key)), 3);
	}
	expect_hist(skel, mkkey(PID_A, 3, ISA_SVM, SVM_IOIO, 0), (__u64[]){ 500 }, 1);
	expect_to_userspace(skel, mkkey(PID_A, 3, ISA_SVM, SVM_IOIO, 0), 1);
	expect_to_userspace(skel, mkkey(PID_A, 3, ISA_SVM, SVM_CPUID, 0), 0);
	/* The VMM's handling time, keyed by KVM_EXIT reason under ISA_VMM. */
	expect_hist(skel, mkkey(PID_A, 3, ISA_VMM, KVM_EXIT_IO, 0), (__u64[]){ 300 }, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 2, [CNT_ENTRIES] = 2, [CNT_PAIRED] = 2,
				       [CNT_USERSPACE_EXITS] = 4, [CNT_VMM_PAIRED] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/*
 * A pid reused: a VM process exits and a new one gets its pid. Each
 * thread's slot carries its own process's start time, so the two VMs keep
 * apart histograms and returns to userspace under the same pid.
 */
static void scenario_pid_reused(void)
{
	struct exit_entry_test_bpf *skel;
	struct hist_key old_io = mkkey(PID_A, 0, ISA_SVM, SVM_IOIO, 0), new_io = old_io;
	struct hist_key old_vmm = mkkey(PID_A, 0, ISA_VMM, KVM_EXIT_IO, 0), new_vmm = old_vmm;
	struct uexit_key old_ue = { .pid = PID_A, .vcpu = 0, .reason = KVM_EXIT_IO,
				    .vm_start = VM_START };
	struct uexit_key new_ue = old_ue;
	__u64 n = 0;

	begin("a pid reused by a new VM process: its own keys");
	new_io.vm_start = new_vmm.vm_start = new_ue.vm_start = VM_START + 1;
	skel = load(NULL);
	/* The first process: thread 1, vCPU 0. */
	EXIT(1, PID_A, 0, ISA_SVM, SVM_IOIO, 1000);
	UEXIT(1, PID_A, 0, KVM_EXIT_IO, 0, 1100);
	KVM_RUN_AGAIN(1, PID_A, 1200);
	ENTRY(1, PID_A, 0, 1500);
	/* The second, started later under the same pid: thread 2, vCPU 0 again. */
	vm_start = VM_START + 1;
	EXIT(2, PID_A, 0, ISA_SVM, SVM_IOIO, 5000);
	UEXIT(2, PID_A, 0, KVM_EXIT_IO, 0, 5100);
	KVM_RUN_AGAIN(2, PID_A, 5400);
	ENTRY(2, PID_A, 0, 5600);
	UEXIT(2, PID_A, 0, KVM_EXIT_IO, 0, 6000);
	vm_start = VM_START;
	expect_hist(skel, old_io, (__u64[]){ 500 }, 1);
	expect_hist(skel, new_io, (__u64[]){ 600 }, 1);
	expect_hist(skel, old_vmm, (__u64[]){ 100 }, 1);
	expect_hist(skel, new_vmm, (__u64[]){ 300 }, 1);
	if (skel) {
		__u64 *v = calloc(ncpus, sizeof(*v));

		for (int which = 0; v && which < 2; which++) {
			struct uexit_key *k = which ? &new_ue : &old_ue;

			n = 0;
			if (!bpf_map__lookup_elem(skel->maps.uexits, k, sizeof(*k), v,
						  ncpus * sizeof(*v), 0))
				for (int c = 0; c < ncpus; c++)
					n += v[c];
			check_u64(which ? "returns of the new process" : "returns of the old process",
				  n, which ? 2 : 1);
		}
		free(v);
		check_u64("number of keys in hists", count_keys(skel->maps.hists), 4);
	}
	expect_counters(skel, COUNTERS([CNT_EXITS] = 2, [CNT_ENTRIES] = 2, [CNT_PAIRED] = 2,
				       [CNT_USERSPACE_EXITS] = 3, [CNT_VMM_PAIRED] = 2));
	exit_entry_test_bpf__destroy(skel);
}

/*
 * bpf/vmexitprof.bpf.c shares the filters but not this file's codegen: the
 * verifier must accept it with every filter combination, not only without
 * filters (where it prunes the filter code as dead).
 */
static void scenario_real_program_verifies(void)
{
	static const struct {
		const char *what;
		bool pids, vcpus;
	} cases[] = {
		{ "a pid filter (-p)", true, false },
		{ "a vCPU filter (--vcpu)", false, true },
		{ "pid and vCPU filters", true, true },
	};
	struct vmexitprof_bpf *skel;
	int err;

	begin("bpf/vmexitprof.bpf.c passes the verifier with filters");
	skel = vmexitprof_bpf__open();
	/* The fentry program is refused (EPERM) on PVM hosts, where the rest loads. */
	if (skel)
		bpf_program__set_autoload(skel->progs.kvm_arch_vcpu_ioctl_run, false);
	err = skel ? vmexitprof_bpf__load(skel) : -errno;
	vmexitprof_bpf__destroy(skel);
	if (err) {
		printf("note: bpf/vmexitprof.bpf.c does not load here even without filters (%s; "
		       "no kvm module BTF?): its filter checks are skipped\n", strerror(-err));
		return;
	}
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		skel = vmexitprof_bpf__open();
		if (!skel) {
			nr_checks++;
			fail("vmexitprof_bpf__open: %s", strerror(errno));
			continue;
		}
		bpf_program__set_autoload(skel->progs.kvm_arch_vcpu_ioctl_run, false);
		if (cases[i].pids) {
			skel->rodata->target_pids[0] = PID_A;
			skel->rodata->target_pids[1] = PID_B;
			skel->rodata->nr_target_pids = 2;
		}
		if (cases[i].vcpus) {
			skel->rodata->vcpu_filter[0] = 0x3;		/* vCPUs 0, 1 */
			skel->rodata->vcpu_filter[15] = 1ULL << 63;	/* vCPU 1023 */
			skel->rodata->filter_vcpus = true;
		}
		err = vmexitprof_bpf__load(skel);
		nr_checks++;
		if (err)
			fail("bpf/vmexitprof.bpf.c does not load with %s: %s (verifier log on stderr)",
			     cases[i].what, strerror(-err));
		vmexitprof_bpf__destroy(skel);
	}
}

/*
 * The tp_btf handlers themselves (on_kvm_exit_btf, on_kvm_entry_btf), on
 * this thread: its task storage slot, its pid and start time in the key,
 * KVM's vcpu_idx as the vCPU, and a vcpu_id that differs noted in
 * vcpu_ids, once. Times are the real clock's: counts are checked.
 */
static void scenario_btf_handlers(void)
{
	struct vcpu_id_key idk = { .pid = getpid(), .vcpu = 2, .vm_start = pid_start_ticks(getpid()) };
	const __u32 one_vcpu[] = { 2 };
	struct filters only_2 = { .vcpus = one_vcpu, .nr_vcpus = 1 };
	struct exit_entry_test_bpf *skel;
	struct hist_key k = mkkey(getpid(), 2, ISA_SVM, SVM_CPUID, 0);
	struct hist h;
	__u32 vcpu_id = 0;

	begin("tp_btf handlers: task storage, vcpu_idx, vcpu_id noted");
	k.vm_start = idk.vm_start;
	skel = load(NULL);
	for (int i = 0; i < 3; i++) {
		EXIT_BTF(2, 6, ISA_SVM, SVM_CPUID, EE_RET_HANDLED);
		ENTRY_BTF(2, EE_RET_HANDLED);
	}
	/* VMX: the basic reason, and the failed-VM-entry bit as a flag. */
	EXIT_BTF(2, 6, ISA_VMX, 0x80000000u | VMX_CPUID, EE_RET_HANDLED);
	ENTRY_BTF(2, EE_RET_HANDLED);
	if (skel) {
		nr_checks++;
		if (read_hist(skel, &k, &h))
			fail("hists%s: no such key", key_str(&k));
		else
			check_u64("hists.count (SVM cpuid, vcpu_idx 2)", h.count, 3);
		k = mkkey(getpid(), 2, ISA_VMX, VMX_CPUID, HIST_FLAG_FAILED_VMENTRY);
		k.vm_start = idk.vm_start;
		nr_checks++;
		if (read_hist(skel, &k, &h))
			fail("hists%s: no such key", key_str(&k));
		else
			check_u64("hists.count (VMX cpuid, failed VM entry)", h.count, 1);
		nr_checks++;
		if (bpf_map__lookup_elem(skel->maps.vcpu_ids, &idk, sizeof(idk), &vcpu_id,
					 sizeof(vcpu_id), 0))
			fail("vcpu_ids {pid %u vcpu 2}: no entry", idk.pid);
		else
			check_u64("vcpu_ids {vcpu 2}", vcpu_id, 6);
		check_u64("keys in vcpu_ids", count_keys_of(skel->maps.vcpu_ids, sizeof(idk)), 1);
	}
	expect_nr_keys(skel, 2);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 4, [CNT_ENTRIES] = 4, [CNT_PAIRED] = 4));
	exit_entry_test_bpf__destroy(skel);

	/* --vcpu 2: vcpu_idx 3's events are not ours; no vcpu_id to note where they agree. */
	skel = load(&only_2);
	EXIT_BTF(3, 9, ISA_SVM, SVM_CPUID, EE_RET_FILTERED);
	ENTRY_BTF(3, EE_RET_FILTERED);
	EXIT_BTF(2, 2, ISA_SVM, SVM_IOIO, EE_RET_HANDLED);
	ENTRY_BTF(2, EE_RET_HANDLED);
	if (skel)
		check_u64("keys in vcpu_ids", count_keys_of(skel->maps.vcpu_ids, sizeof(idk)), 0);
	expect_nr_keys(skel, 1);
	expect_counters(skel, COUNTERS([CNT_EXITS] = 1, [CNT_ENTRIES] = 1, [CNT_PAIRED] = 1));
	exit_entry_test_bpf__destroy(skel);
}

/* Byte offset of member name in struct type id of btf, or -1; *size its size. */
static long member_offset(const struct btf *btf, __s32 id, const char *name, __u32 *size)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		if (size)
			*size = btf__resolve_size(btf, m->type);
		return btf_member_bit_offset(t, i) / 8;
	}
	return -1;
}

/* The id of a struct of module's BTF, or a negative number. */
static __s32 struct_id(const struct btf *btf, const char *name)
{
	return btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);
}

/* Run read_exit_reason on the stand-in laid out in fake[]; its result. */
static __u32 read_reason(struct exit_entry_test_bpf *skel, const void *fake, struct ee_vendor_read *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = r, .ctx_size_in = sizeof(*r));
	__u32 zero = 0;
	int err = bpf_map__update_elem(skel->maps.fake_vendor, &zero, sizeof(zero), fake,
				       EE_FAKE_VENDOR_SIZE, 0);

	if (!err)
		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.read_exit_reason), &opts);
	if (err) {
		nr_checks++;
		fail("read_exit_reason: %s", strerror(errno));
		return 0;
	}
	return opts.retval;
}

/*
 * bpf/vendor.bpf.h's exit_reason_of, whose CO-RE offsets libbpf took from
 * the vendor module's BTF, against stand-ins laid out by this runner's own
 * walk of the same BTF (libbpf's btf API, no relocation): SVM's
 * vcpu_svm->vmcb->control.exit_code (its high half or exit_code_hi
 * filled with ones, which must not be read), VMX's exit_reason (in
 * vcpu_vt where it has one). Where no vendor module is loaded (PVM), noted
 * and skipped; the rig guests load kvm_amd, the VMX rig kvm_intel.
 */
static void scenario_vendor_reader(void)
{
	static __u8 fake[EE_FAKE_VENDOR_SIZE];
	static const __u32 svm_codes[] = { SVM_CPUID, SVM_IOIO, SVM_NPF, SVM_VMGEXIT };
	static const __u32 vmx_reasons[] = { VMX_CPUID, VMX_HLT, VMX_EPT_VIOLATION,
					     0x80000000u | VMX_EXTERNAL_INTERRUPT };
	struct btf *vmlinux, *btf = NULL;
	struct exit_entry_test_bpf *skel;
	const char *module = NULL;

	begin("exit_reason_of on stand-in vendor structures laid out from module BTF");
	vmlinux = btf__load_vmlinux_btf();
	if (!access("/sys/module/kvm_amd", F_OK))
		module = "kvm_amd";
	else if (!access("/sys/module/kvm_intel", F_OK))
		module = "kvm_intel";
	if (vmlinux && module)
		btf = btf__load_module_btf(module, vmlinux);
	if (!btf) {
		printf("note: %s: the vendor reader is not checked here\n",
		       module ? "no BTF for the vendor module" : "no kvm_amd or kvm_intel loaded (PVM?)");
		btf__free(vmlinux);
		return;
	}
	skel = load(NULL);
	if (skel && !strcmp(module, "kvm_amd")) {
		__s32 svm = struct_id(btf, "vcpu_svm"), vmcb = struct_id(btf, "vmcb"),
		      ctl = struct_id(btf, "vmcb_control_area");
		__u32 code_size = 0, ignored;
		long vcpu_at = svm >= 0 ? member_offset(btf, svm, "vcpu", NULL) : -1;
		long ptr_at = svm >= 0 ? member_offset(btf, svm, "vmcb", NULL) : -1;
		long ctl_at = vmcb >= 0 ? member_offset(btf, vmcb, "control", NULL) : -1;
		long code_at = ctl >= 0 ? member_offset(btf, ctl, "exit_code", &code_size) : -1;
		long hi_at = ctl >= 0 ? member_offset(btf, ctl, "exit_code_hi", &ignored) : -1;
		long vmcb_to = EE_FAKE_VENDOR_SIZE / 2;

		nr_checks++;
		if (vcpu_at < 0 || ptr_at < 0 || ctl_at < 0 || code_at < 0 ||
		    btf__resolve_size(btf, svm) >= vmcb_to)
			fail("kvm_amd's BTF: vcpu_svm.vcpu %ld, .vmcb %ld, vmcb.control %ld, "
			     "control.exit_code %ld, sizeof(vcpu_svm) %lld", vcpu_at, ptr_at, ctl_at,
			     code_at, (long long)btf__resolve_size(btf, svm));
		else
			for (unsigned int i = 0; i < ARRAY_SIZE(svm_codes); i++) {
				struct ee_vendor_read r = { .isa = ISA_SVM, .vcpu_at = vcpu_at,
							    .ptr_at = ptr_at, .ptr_to = vmcb_to };
				__u8 *code = fake + vmcb_to + ctl_at + code_at;

				memset(fake, 0xee, sizeof(fake));
				/* u32 with exit_code_hi beside it; u64 in later kernels: ones above. */
				memcpy(code, &svm_codes[i], 4);
				if (code_size == 8)
					memset(code + 4, 0xff, 4);
				if (hi_at >= 0)
					memset(fake + vmcb_to + ctl_at + hi_at, 0xff, 4);
				printf("kvm_amd: vcpu_svm.vcpu at %ld, .vmcb at %ld, vmcb.control.exit_code at "
				       "%ld (%u bytes)\n", vcpu_at, ptr_at, ctl_at + code_at, code_size);
				check_u64("SVM exit code read", read_reason(skel, fake, &r), svm_codes[i]);
			}
	} else if (skel) {
		__s32 vmx = struct_id(btf, "vcpu_vmx"), vt = struct_id(btf, "vcpu_vt");
		long vcpu_at = vmx >= 0 ? member_offset(btf, vmx, "vcpu", NULL) : -1;
		long reason_at = vmx >= 0 ? member_offset(btf, vmx, "exit_reason", NULL) : -1;
		long vt_at = vmx >= 0 ? member_offset(btf, vmx, "vt", NULL) : -1;

		/* Since 6.16 the exit reason is vcpu_vmx.vt.exit_reason. */
		if (reason_at < 0 && vt_at >= 0 && vt >= 0) {
			long in_vt = member_offset(btf, vt, "exit_reason", NULL);

			reason_at = in_vt >= 0 ? vt_at + in_vt : -1;
		}
		nr_checks++;
		if (vcpu_at < 0 || reason_at < 0 || btf__resolve_size(btf, vmx) >= EE_FAKE_VENDOR_SIZE - 8)
			fail("kvm_intel's BTF: vcpu_vmx.vcpu %ld, exit_reason %ld, sizeof %lld", vcpu_at,
			     reason_at, (long long)btf__resolve_size(btf, vmx));
		else
			for (unsigned int i = 0; i < ARRAY_SIZE(vmx_reasons); i++) {
				struct ee_vendor_read r = { .isa = ISA_VMX, .vcpu_at = vcpu_at, .ptr_at = ~0ULL };

				memset(fake, 0xee, sizeof(fake));
				memcpy(fake + reason_at, &vmx_reasons[i], 4);
				printf("kvm_intel: vcpu_vmx.vcpu at %ld, exit_reason at %ld\n", vcpu_at,
				       reason_at);
				check_u64("VMX exit reason read", read_reason(skel, fake, &r), vmx_reasons[i]);
			}
	}
	/* The other vendor's reader is not there: the reason reads as unreadable. */
	if (skel) {
		struct ee_vendor_read r = { .isa = !strcmp(module, "kvm_amd") ? ISA_VMX : ISA_SVM,
					    .ptr_at = ~0ULL };

		memset(fake, 0, sizeof(fake));
		check_u64("the other vendor's reason", read_reason(skel, fake, &r), EXIT_REASON_UNREADABLE);
	}
	exit_entry_test_bpf__destroy(skel);
	btf__free(btf);
	btf__free(vmlinux);
}

/* ---- writers racing on one key ---- */

#define RACE_THREADS 2
#define RACE_BURSTS 1000	/* per thread and mode: against the old code, see docs/tests.md */
#define RACE_BURST 256		/* samples per burst (one test run), half on each key */
#define RACE_SAMPLES (RACE_THREADS * RACE_BURSTS * RACE_BURST / 2)	/* per key */
#define RACE_TID 600		/* thread t's synthetic tid is RACE_TID + t */
#define RACE_UP 1000000		/* ns: the rising key's samples, from here up */
#define RACE_DOWN 900000	/* ns: the falling key's, from here down */

/* Both threads start each burst together: a barrier. */
struct race_start {
	atomic_uint arrived, gen;
	atomic_bool abandoned;	/* a thread did not start: the others stop */
};

static void race_barrier(struct race_start *s)
{
	unsigned int gen = atomic_load(&s->gen);

	if (atomic_fetch_add(&s->arrived, 1) + 1 == RACE_THREADS) {
		atomic_store(&s->arrived, 0);
		atomic_fetch_add(&s->gen, 1);
		return;
	}
	/* Spin, for the bursts to start close; yield, should the other thread be off its CPU. */
	for (unsigned int spins = 0; atomic_load(&s->gen) == gen; spins++) {
		if (atomic_load(&s->abandoned))
			return;
		if (spins > 1000)
			sched_yield();
	}
}

struct race_thread {
	struct exit_entry_test_bpf *skel;
	struct race_start *start;
	int t;
	int cpu;		/* pinned there */
	int run_cpu;		/* where its bursts run: another CPU's is by IPI */
	int prog_fd;
	bool preemptible;
	unsigned int errors;
	char first_error[160];
};

static void *race_thread_main(void *arg)
{
	struct race_thread *th = arg;
	struct ee_race ctx = {
		.tid = RACE_TID + th->t, .vm_start = vm_start, .pid = PID_A, .n = RACE_BURST,
		.up_base = RACE_UP, .down_base = RACE_DOWN, .up_reason = KVM_EXIT_IO,
		.down_reason = KVM_EXIT_MMIO, .preemptible = th->preemptible,
	};
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(th->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) && !th->errors++)
		snprintf(th->first_error, sizeof(th->first_error), "thread %d: cannot pin to cpu %d",
			 th->t, th->cpu);
	for (unsigned int b = 0; b < RACE_BURSTS; b++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = th->run_cpu);
		int err;

		/* Far apart per burst and thread: the clocks only give the deltas. */
		ctx.now = (1ULL << 40) * (th->t + 1) + (1ULL << 32) * b;
		race_barrier(th->start);
		if (atomic_load(&th->start->abandoned))
			break;
		err = bpf_prog_test_run_opts(th->prog_fd, &opts);
		if ((err || opts.retval != RACE_BURST) && !th->errors++)
			snprintf(th->first_error, sizeof(th->first_error),
				 "thread %d: burst %u on cpu %d: %s, %u samples", th->t, b, th->run_cpu,
				 err ? strerror(errno) : "ran", opts.retval);
	}
	return NULL;
}

/*
 * One mode of the race. Parallel: each thread's bursts on its own CPU, at
 * the same time. Nested: thread 0's go by IPI to thread 1's CPU, where they
 * interrupt thread 1's own (a test run holds off preemption, not
 * interrupts): two programs interleaved on one CPU, as a preempted USDT
 * program is by another, so KVM_RUN is the USDT probe's there (its
 * per-CPU counts atomic).
 */
static void race_mode(const char *name, bool nested)
{
	static __u64 up_lat[RACE_THREADS + RACE_SAMPLES], down_lat[RACE_THREADS + RACE_SAMPLES];
	struct hist_key up = mkkey(PID_A, VCPU_UNKNOWN, ISA_VMM, KVM_EXIT_IO, 0);
	struct hist_key down = mkkey(PID_A, VCPU_UNKNOWN, ISA_VMM, KVM_EXIT_MMIO, 0);
	struct filters with_race = { .race_progs = true };
	static struct race_thread th[RACE_THREADS];
	struct race_start start = { 0 };
	pthread_t pt[RACE_THREADS];
	struct exit_entry_test_bpf *skel;
	__u64 *v = calloc(ncpus, sizeof(*v)), sums[NR_COUNTERS] = {};
	struct timespec t0, t1;
	unsigned int n = 0;
	int started = 0;

	begin(name);
	if (nr_run_cpus < RACE_THREADS || !v) {
		printf("note: %s: needs %d CPUs, may run on %d: not checked\n", name, RACE_THREADS,
		       nr_run_cpus);
		free(v);
		return;
	}
	skel = load(&with_race);
	if (!skel) {
		free(v);
		return;
	}
	/*
	 * First, one thread at a time, a sample each below (above) the race's:
	 * the threads' slots and both keys exist before it (an insert nested in
	 * an IPI would find the interrupted run's bucket locked).
	 */
	for (int t = 0; t < RACE_THREADS; t++) {
		UEXIT(RACE_TID + t, PID_A, VCPU_UNKNOWN, KVM_EXIT_IO, 0, 1000);
		KVM_RUN_AGAIN(RACE_TID + t, PID_A, 1000 + RACE_UP - 1);
		UEXIT(RACE_TID + t, PID_A, VCPU_UNKNOWN, KVM_EXIT_MMIO, 0, 2000);
		KVM_RUN_AGAIN(RACE_TID + t, PID_A, 2000 + RACE_DOWN + 1);
		up_lat[n] = RACE_UP - 1;
		down_lat[n++] = RACE_DOWN + 1;
	}
	/* Each offset k from the base is taken once, by one sample of one thread. */
	for (unsigned int k = 0; k < RACE_SAMPLES; k++) {
		up_lat[n] = RACE_UP + k;
		down_lat[n++] = RACE_DOWN - k;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int t = 0; t < RACE_THREADS; t++) {
		th[t] = (struct race_thread){
			.skel = skel, .start = &start, .t = t, .cpu = run_cpus[t], .preemptible = nested,
			.run_cpu = nested ? run_cpus[1] : run_cpus[t],
			.prog_fd = bpf_program__fd(nested && t == 0 ? skel->progs.exit_entry_race_nested
								    : skel->progs.exit_entry_race),
		};
		if (pthread_create(&pt[t], NULL, race_thread_main, &th[t])) {
			nr_checks++;
			fail("pthread_create: %s", strerror(errno));
			break;
		}
		started++;
	}
	/* Without every thread the barrier never opens: stop the others. */
	if (started < RACE_THREADS)
		atomic_store(&start.abandoned, true);
	for (int t = 0; t < started; t++)
		pthread_join(pt[t], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("note: %s: %d threads, %u samples each, in %.2f s\n", name, started,
	       RACE_BURSTS * RACE_BURST, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int t = 0; t < started; t++) {
		nr_checks++;
		if (th[t].errors)
			fail("%u bursts failed, first: %s", th[t].errors, th[t].first_error);
	}
	if (started < RACE_THREADS)
		goto out;
	check_u64("samples after which the rising key's max was short of it (lost updates)",
		  skel->bss->race_lost[0], 0);
	check_u64("samples after which the falling key's min was beyond it (lost updates)",
		  skel->bss->race_lost[1], 0);
	expect_hist(skel, up, up_lat, n);
	expect_hist(skel, down, down_lat, n);
	expect_nr_keys(skel, 2);
	for (__u32 c = 0; c < NR_COUNTERS; c++)
		if (!bpf_map__lookup_elem(skel->maps.counters, &c, sizeof(c), v, ncpus * sizeof(*v), 0))
			for (int cpu = 0; cpu < ncpus; cpu++)
				sums[c] += v[cpu];
	check_u64("vmm_intervals (counted as the USDT probe's where nested)", sums[CNT_VMM_PAIRED], 2 * n);
	/* With two writers no exchange fails twice in a row, let alone 16 times. */
	check_u64("minmax_contended", sums[CNT_MINMAX_CONTENDED], 0);
	check_u64("vmm_intervals_dropped", sums[CNT_VMM_DROPPED], 0);
	/* A tracepoint's plain ++: its programs never nest on a CPU, but they do here. */
	if (!nested)
		check_u64("userspace_exits", sums[CNT_USERSPACE_EXITS], 2 * n);
out:
	free(v);
	exit_entry_test_bpf__destroy(skel);
}

/*
 * Threads whose vCPU is unknown share a VMM-time key: its min and max must
 * be exact under racing writers (compare-and-exchange, not plain stores),
 * and so must sum, count and buckets, and the USDT way's per-CPU counts.
 */
static void scenario_shared_key_race(void)
{
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop, NULL) <= 0) {
		printf("note: no bpf_loop (Linux 5.17+): the shared-key race is not checked\n");
		return;
	}
	race_mode("one key, two threads on two CPUs at once", false);
	race_mode("one key, USDT KVM_RUN bursts nested on one CPU by IPI", true);
}

/* ---- setup ---- */

static void find_run_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int cpu = 0; cpu < CPU_SETSIZE && nr_run_cpus < 1024; cpu++)
			if (CPU_ISSET(cpu, &set) && cpu < ncpus)
				run_cpus[nr_run_cpus++] = cpu;
	if (!nr_run_cpus)
		run_cpus[nr_run_cpus++] = sched_getcpu() >= 0 ? sched_getcpu() : 0;
}

/* Can this kernel BPF_PROG_TEST_RUN our raw_tp program? 0, SKIP, or 1. */
static int probe(void)
{
	struct exit_entry_test_bpf *skel = exit_entry_test_bpf__open();
	struct ee_event ev = { .kind = 0 };	/* kind 0: the program only returns */
	__u32 ret = ~0U;
	int err;

	if (skel) {
		bpf_program__set_autoload(skel->progs.exit_entry_race, false);
		bpf_program__set_autoload(skel->progs.exit_entry_race_nested, false);
		err = exit_entry_test_bpf__load(skel);
		if (err) {
			exit_entry_test_bpf__destroy(skel);
			skel = NULL;
			errno = -err;
		}
	}
	if (!skel) {
		err = -errno;
		if (err == -EPERM) {
			printf("SKIP: loading the BPF test program was refused (EPERM): "
			       "needs CAP_BPF and CAP_PERFMON\n");
			return SKIP;
		}
		printf("FAIL: cannot load tests/bpf/exit_entry_test.bpf.c: %s\n", strerror(-err));
		return 1;
	}
	err = run_on(skel, &ev, run_cpus[0], &ret);
	exit_entry_test_bpf__destroy(skel);
	if (err == -ENOTSUPP || err == -EOPNOTSUPP) {
		printf("SKIP: this kernel (BPF_PROG_TEST_RUN) cannot test-run raw_tp programs "
		       "(%s): needs Linux 5.10 or later\n", strerror(-err));
		return SKIP;
	}
	if (err == -EINVAL) {
		printf("SKIP: BPF_PROG_TEST_RUN rejected a raw_tp run on cpu %d "
		       "(EINVAL): BPF_F_TEST_RUN_ON_CPU for raw_tp needs Linux 5.10 or later\n",
		       run_cpus[0]);
		return SKIP;
	}
	if (err) {
		printf("FAIL: BPF_PROG_TEST_RUN failed: %s\n", strerror(-err));
		return 1;
	}
	if (ret != EE_RET_BAD_KIND) {
		printf("FAIL: probe run returned %u, want %u\n", ret, EE_RET_BAD_KIND);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else if (!strcmp(argv[i], "--as-compiled")) {
			as_compiled = true;
		} else {
			fprintf(stderr, "usage: %s [-v] [--as-compiled]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("SKIP: must run as root to load BPF programs and use BPF_PROG_TEST_RUN\n");
		return SKIP;
	}
	libbpf_set_print(print_libbpf);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		printf("FAIL: libbpf_num_possible_cpus: %s\n", strerror(-ncpus));
		return 1;
	}
	find_run_cpus();
	rc = probe();
	if (rc)
		return rc;
	if (verbose)
		printf("%d possible CPUs, events spread over %d\n", ncpus, nr_run_cpus);

	/* Each scenario twice: entries as classic's (atomics), and as tp_btf's (one writer). */
	for (int pass = 0; pass < 2; pass++) {
		entry_one_writer = pass;
		printf("== kvm_entry's histogram updates: %s\n",
		       pass ? "one writer, plain (as the tp_btf programs')" : "shared, atomic (as classic's)");
		scenario_simple();
		scenario_interleaved();
		scenario_entry_without_exit();
		scenario_exit_overwritten();
		scenario_reasons();
		scenario_pid_filter();
		scenario_vcpu_filter();
		scenario_both_filters();
		scenario_stats();
		scenario_map_full();
		scenario_no_slot();
		scenario_preemptible_kvm_run();
		scenario_userspace_exits();
		scenario_pid_reused();
	}
	scenario_shared_key_race();
	scenario_btf_handlers();
	scenario_vendor_reader();
	scenario_real_program_verifies();

	printf("%u checks, %u failed\n", nr_checks, nr_failed);
	return nr_failed ? 1 : 0;
}
