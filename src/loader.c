// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF side's life (include/loader.h): the VMM clock chosen, the
 * object opened with its filters, the programs loaded and attached, the
 * common histograms created up front, and everything detached.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/kvm.h>

#include "host.h"
#include "loader.h"
#include "proc.h"
#include "tsc.h"
#include "usdt.h"
#include "util.h"
#include "vmexitprof.skel.h"

_Static_assert(UEXIT_REASON_IO == KVM_EXIT_IO && UEXIT_REASON_MMIO == KVM_EXIT_MMIO,
	       "KVM_EXIT_* codes as linux/kvm.h has them");

/* How long VMM handling under way at the end may take to finish and be timed. */
#define DETACH_GRACE_MS 20

/* -v: libbpf's debug output too. */
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

/*
 * Whether every target's binary carries QEMU's two KVM_RUN probes. When
 * one does not and why_not, say why on one line.
 */
static bool targets_have_probes(const struct trace_opts *opts, bool why_not)
{
	for (unsigned int i = 0; i < opts->nr_pids; i++) {
		struct binary_probes probes;
		char exe[40], name[64], note[320];
		int err;

		snprintf(exe, sizeof(exe), "/proc/%u/exe", opts->pids[i]);
		err = binary_probes_read(exe, &probes);
		if (!err && (probes.qemu & QEMU_PROBES_ALL) == QEMU_PROBES_ALL)
			continue;
		if (!why_not)
			return false;
		vm_name(opts->pids[i], name, sizeof(name));
		target_exe_note(opts->pids[i], note, sizeof(note));
		if (err)
			fprintf(stderr, "vmexitprof: cannot read the binary of process %u (%s) for USDT "
				"probes: %s%s%s\n", opts->pids[i], name, strerror(-err), *note ? "; " : "",
				note);
		else
			fprintf(stderr, "vmexitprof: process %u (%s) has no qemu:kvm_run_exit and "
				"qemu:kvm_vcpu_ioctl USDT probes (%s)%s%s\n", opts->pids[i], name,
				probes.has_symtab ? "a QEMU built without the dtrace trace backend"
						  : "a QEMU built without the dtrace trace backend, or "
						    "its stripped binary lost .note.stapsdt",
				*note ? "; " : "", note);
		return false;
	}
	return true;
}

/*
 * The mechanism for the VMM handling time that is tried first: what was
 * asked for if it can work, else (auto) the first of these that can, most
 * exact and cheapest first (bench/vmm-time measures them):
 *  - fentry on KVM_RUN's entry: exact, no trap; where the kernel refuses
 *    it (our PVM hosts: EPERM), loader_attach() falls back to kvm_fpu;
 *  - kvm_fpu: a tracepoint KVM_RUN passes anyway, but after its own
 *    re-entry work (vcpu_load), which it counts;
 *  - syscall: exact, but every task on the host then takes the syscall
 *    trace path; only asked for, or where kvm_fpu does not exist.
 * usdt (QEMU's probes) is never chosen by itself: two uprobe traps per
 * round trip cost the VM more than perf kvm stat record does. -1 after
 * an error message.
 */
static int choose_vmm_clock(const struct trace_opts *opts, enum vmm_clock *out)
{
#if defined(__aarch64__)
	/* arm64 has the event (include/trace/events/kvm.h), but only x86 fires it. */
	bool have_kvm_fpu = false;
#else
	bool have_kvm_fpu = tracepoint_exists("kvm/kvm_fpu");
#endif
	enum vmm_clock clock = opts->vmm_clock;

	if (clock == VMM_CLOCK_KVM_FPU && !have_kvm_fpu) {
		fprintf(stderr, "vmexitprof: --vmm-time=kvm_fpu: this kernel has no kvm:kvm_fpu "
			"tracepoint%s (try --vmm-time=usdt or syscall)\n",
			tracepoint_exists("kvm/kvm_fpu") ? " that fires (arm64 KVM never does)" : "");
		return -1;
	}
	if (clock == VMM_CLOCK_USDT && !targets_have_probes(opts, true)) {
		clock = have_kvm_fpu ? VMM_CLOCK_KVM_FPU : VMM_CLOCK_SYSCALL;
		fprintf(stderr, "vmexitprof: VMM handling time from %s instead\n", vmm_clock_names[clock]);
	}
	if (clock == VMM_CLOCK_AUTO)
		clock = have_kvm_fpu ? VMM_CLOCK_FENTRY : VMM_CLOCK_SYSCALL;
	*out = clock;
	return 0;
}

static void set_filters(struct vmexitprof_bpf *skel, const struct trace_opts *opts)
{
	for (unsigned int i = 0; i < opts->nr_pids; i++)
		skel->rodata->target_pids[i] = opts->pids[i];
	skel->rodata->nr_target_pids = opts->nr_pids;
	for (unsigned int i = 0; i < opts->nr_vcpus; i++)
		skel->rodata->vcpu_filter[opts->vcpus[i] / 64] |= 1ULL << (opts->vcpus[i] % 64);
	skel->rodata->filter_vcpus = opts->nr_vcpus > 0;
	skel->rodata->track_port_reads = opts->ports;
	skel->rodata->time_exit_tallies = opts->msr || opts->cpuid;
	skel->rodata->trace_halts = opts->halt;
#if !defined(__aarch64__)
	/* The loaded vendor module's reader must relocate (bpf/vendor.bpf.h). */
	skel->rodata->vendor_isa = !access("/sys/module/kvm_amd", F_OK)     ? ISA_SVM :
				   !access("/sys/module/kvm_intel", F_OK) ? ISA_VMX : 0;
#endif
	/* So that the BPF side reads process start times in /proc's unit. */
	skel->rodata->ns_per_clock_tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	skel->rodata->slower_than_ns = opts->slower_than_ns;
	skel->rodata->outlier_off_cpu = !opts->no_sched;
}

static struct prog_set prog_set(struct vmexitprof_bpf *skel, enum attach_mode mode)
{
	if (mode == ATTACH_TP_BTF)
		return (struct prog_set){ skel->progs.kvm_exit_btf, skel->progs.kvm_entry_btf,
					  skel->progs.kvm_userspace_exit_btf, skel->progs.kvm_fpu_btf,
					  skel->progs.kvm_pio_btf, skel->progs.kvm_mmio_btf,
					  skel->progs.kvm_msr_btf, skel->progs.kvm_cpuid_btf,
					  skel->progs.kvm_vcpu_wakeup_btf };
	return (struct prog_set){ skel->progs.kvm_exit, skel->progs.kvm_entry,
				  skel->progs.kvm_userspace_exit, skel->progs.kvm_fpu,
				  skel->progs.kvm_pio, skel->progs.kvm_mmio, skel->progs.kvm_msr,
				  skel->progs.kvm_cpuid, skel->progs.kvm_vcpu_wakeup };
}

static void set_prog_set(const struct prog_set *p, bool load, const struct trace_opts *opts,
			 bool fpu)
{
	bpf_program__set_autoload(p->exit, load);
	bpf_program__set_autoload(p->entry, load);
	bpf_program__set_autoload(p->uexit, load);
	/* The tallies cost an event per access: only when asked for. */
	bpf_program__set_autoload(p->pio, load && opts->ports);
	bpf_program__set_autoload(p->mmio, load && opts->mmio);
	bpf_program__set_autoload(p->msr, load && opts->msr);
	bpf_program__set_autoload(p->cpuid, load && opts->cpuid);
	bpf_program__set_autoload(p->wakeup, load && opts->halt);
	bpf_program__set_autoload(p->fpu, load && fpu);
	/* These the loader attaches itself, in order (loader_attach). */
	bpf_program__set_autoattach(p->uexit, false);
	bpf_program__set_autoattach(p->fpu, false);
}

/*
 * Open and load with one attach mode and clock; fentry_too loads the
 * fentry program beside kvm_fpu's, for loader_attach to try first. 0 or
 * the (negative) libbpf error, the object closed.
 */
static int load_with(struct loader *l, const struct trace_opts *opts, enum attach_mode mode,
		     enum vmm_clock clock, bool fentry_too)
{
	/*
	 * Test-only: the tp_btf attempt's CO-RE relocations against this BTF
	 * instead of the kernel's, to make them fail for real
	 * (tests/rig/vmexitprof-attach-fallback.sh; docs/tests.md).
	 */
	const char *test_btf = mode == ATTACH_TP_BTF ? getenv("VMEXITPROF_TEST_BTF") : NULL;
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = test_btf);
	struct vmexitprof_bpf *skel = vmexitprof_bpf__open_opts(&open_opts);
	bool track_tsc = mode == ATTACH_CLASSIC && opts->slower_than_ns && tsc_supported();
	struct prog_set used, unused;
	int err;

	if (!skel)
		return -errno;
	used = prog_set(skel, mode);
	unused = prog_set(skel, mode == ATTACH_TP_BTF ? ATTACH_CLASSIC : ATTACH_TP_BTF);
	set_filters(skel, opts);
	set_prog_set(&unused, false, opts, false);
	set_prog_set(&used, true, opts, clock == VMM_CLOCK_KVM_FPU || fentry_too);
	bpf_program__set_autoload(skel->progs.kvm_arch_vcpu_ioctl_run, fentry_too);
	bpf_program__set_autoattach(skel->progs.kvm_arch_vcpu_ioctl_run, false);
	bpf_program__set_autoload(skel->progs.qemu_kvm_run_exit, clock == VMM_CLOCK_USDT);
	bpf_program__set_autoload(skel->progs.qemu_kvm_vcpu_ioctl, clock == VMM_CLOCK_USDT);
	bpf_program__set_autoload(skel->progs.sys_enter_ioctl, clock == VMM_CLOCK_SYSCALL);
	/* Every context switch on the host runs these: none with --no-sched. */
	bpf_program__set_autoload(skel->progs.sched_switch_btf, !opts->no_sched);
	bpf_program__set_autoload(skel->progs.sched_wakeup_btf, !opts->no_sched);
	/* Attached after the USDT probes (loader_attach), so that those meet the same limits as before. */
	bpf_program__set_autoattach(skel->progs.sched_switch_btf, false);
	bpf_program__set_autoattach(skel->progs.sched_wakeup_btf, false);
	bpf_program__set_autoload(skel->progs.qemu_mutex_lock, opts->bql);
	bpf_program__set_autoload(skel->progs.qemu_mutex_locked, opts->bql);
	/* --slower-than's guest TSC: tp_btf reads the vCPU's offset at the exit; classic tracks it. */
	bpf_program__set_autoload(skel->progs.kvm_write_tsc_offset, track_tsc);
	bpf_map__set_max_entries(skel->maps.tsc_offsets, track_tsc ? TSC_OFFSET_VCPUS : 1);
	/* VM x vCPU x reason, for exit reasons and for KVM_EXIT reasons alike. */
	bpf_map__set_max_entries(skel->maps.hists, opts->max_hist_keys);
	bpf_map__set_max_entries(skel->maps.uexits, opts->max_hist_keys);
	bpf_map__set_max_entries(skel->maps.vms_seen, opts->max_hist_keys);
	bpf_map__set_max_entries(skel->maps.vcpu_ids, opts->max_hist_keys);
	/* --slower-than: ~9000 slow exits between two reads (100 ms); else the least there is. */
	bpf_map__set_max_entries(skel->maps.outliers, opts->slower_than_ns ? OUTLIER_RING_BYTES :
				 (__u32)sysconf(_SC_PAGESIZE));
	err = vmexitprof_bpf__load(skel);
	if (err) {
		vmexitprof_bpf__destroy(skel);
		return err;
	}
	l->skel = skel;
	l->attach = mode;
	l->progs = used;
	return 0;
}

/* 0, or -errno with *probe and *pid saying which attach failed (libbpf says why in its log). */
static int attach_usdt(struct loader *l, const struct trace_opts *opts, const char **probe,
		       __u32 *pid)
{
	struct { struct bpf_program *prog; const char *name; } probes[] = {
		{ l->skel->progs.qemu_kvm_run_exit, "kvm_run_exit" },
		{ l->skel->progs.qemu_kvm_vcpu_ioctl, "kvm_vcpu_ioctl" },
	};

	for (unsigned int i = 0; i < opts->nr_pids; i++) {
		char exe[40], note[320];

		/* /proc/PID/exe reaches a deleted binary, or one in another mount namespace. */
		snprintf(exe, sizeof(exe), "/proc/%u/exe", opts->pids[i]);
		target_exe_note(opts->pids[i], note, sizeof(note));
		if (*note)
			fprintf(stderr, "vmexitprof: process %u: %s; attaching through %s\n",
				opts->pids[i], note, exe);
		for (int p = 0; p < 2; p++) {
			struct bpf_link *link = bpf_program__attach_usdt(probes[p].prog, opts->pids[i],
									exe, "qemu", probes[p].name,
									NULL);

			if (!link) {
				*probe = probes[p].name;
				*pid = opts->pids[i];
				return -errno;
			}
			l->usdt_links[l->nr_usdt_links++] = link;
		}
	}
	return 0;
}

/*
 * --bql: QEMU's mutex probes in each target that has them and its global
 * mutex's symbol, with that mutex's address as the cookie; one line for a
 * target without, whose VMM time is then not split. 0 or -errno (libbpf
 * says why in its log).
 */
#define BQL_SYMBOL "qemu_global_mutex"
static int attach_bql(struct loader *l, const struct trace_opts *opts)
{
	struct { struct bpf_program *prog; const char *name; } probes[] = {
		{ l->skel->progs.qemu_mutex_lock, "qemu_mutex_lock" },
		{ l->skel->progs.qemu_mutex_locked, "qemu_mutex_locked" },
	};

	for (unsigned int i = 0; i < opts->nr_pids; i++) {
		struct binary_probes found;
		char exe[40], name[64];
		__u64 addr = 0;
		int err;

		snprintf(exe, sizeof(exe), "/proc/%u/exe", opts->pids[i]);
		vm_name(opts->pids[i], name, sizeof(name));
		err = binary_probes_read(exe, &found);
		if (err || (found.qemu & QEMU_PROBES_MUTEX) != QEMU_PROBES_MUTEX) {
			fprintf(stderr, "vmexitprof: --bql: process %u (%s) has no qemu:qemu_mutex_lock and "
				"qemu:qemu_mutex_locked USDT probes (a QEMU built without the dtrace trace "
				"backend): its VMM time is not split by QEMU's global mutex\n", opts->pids[i],
				name);
			continue;
		}
		err = target_symbol_addr(opts->pids[i], BQL_SYMBOL, &addr);
		if (err) {
			fprintf(stderr, "vmexitprof: --bql: process %u (%s): no %s in its binary's symbol "
				"table (%s): its VMM time is not split by QEMU's global mutex\n",
				opts->pids[i], name, BQL_SYMBOL,
				err == -ENOENT ? "stripped? QEMU's debug symbols have it" : strerror(-err));
			continue;
		}
		for (int p = 0; p < 2; p++) {
			LIBBPF_OPTS(bpf_usdt_opts, uo, .usdt_cookie = addr);
			struct bpf_link *link = bpf_program__attach_usdt(probes[p].prog, opts->pids[i], exe,
									"qemu", probes[p].name, &uo);

			if (!link) {
				err = -errno;
				fprintf(stderr, "vmexitprof: --bql: cannot attach to qemu:%s in process %u: %s\n",
					probes[p].name, opts->pids[i], strerror(-err));
				return err;
			}
			l->usdt_links[l->nr_usdt_links++] = link;
		}
		l->nr_bql++;
	}
	return 0;
}

static void detach_usdt(struct loader *l)
{
	while (l->nr_usdt_links)
		bpf_link__destroy(l->usdt_links[--l->nr_usdt_links]);
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
#if defined(__aarch64__)
/* arm64: the exception types and trap classes of src/reasons.c's arm64 table. */
static const char *const common_arm64_reasons[] = {
	"IRQ", "WFx", "HVC64", "SYS64", "DABT_LOW", "IABT_LOW",
};
#endif

static bool vcpu_selected(const struct trace_opts *opts, __u32 vcpu)
{
	if (!opts->nr_vcpus)
		return true;
	for (unsigned int i = 0; i < opts->nr_vcpus; i++)
		if (opts->vcpus[i] == vcpu)
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
static void prewarm_hists(struct vmexitprof_bpf *skel, const struct trace_opts *opts,
			  const struct reason_table *names)
{
	static const __u32 common_uexits[] = { KVM_EXIT_IO, KVM_EXIT_MMIO, KVM_EXIT_HLT };
	static __u32 pids[1024], vcpus[MAX_VCPU_FILTER];
	/* As the BPF side's zero_hist: min_ns starts above any value. */
	static const struct hist zero = { .min_ns = ~0ULL };
	const char *const *common = NULL;
	unsigned int isa = 0, nr_common = 0, budget = opts->max_hist_keys / 4;
	struct hist_key keys[32];
	int nr_pids;

	/* No kvm_amd/kvm_intel (PVM): no kvm_exit, only the VMM handling keys. */
#if defined(__aarch64__)
	isa = ISA_ARM64;
	common = common_arm64_reasons;
	nr_common = ARRAY_SIZE(common_arm64_reasons);
#endif
	if (isa) {
		/* arm64 KVM is built in */
	} else if (!access("/sys/module/kvm_amd", F_OK)) {
		isa = ISA_SVM;
		common = common_svm_reasons;
		nr_common = ARRAY_SIZE(common_svm_reasons);
	} else if (!access("/sys/module/kvm_intel", F_OK)) {
		isa = ISA_VMX;
		common = common_vmx_reasons;
		nr_common = ARRAY_SIZE(common_vmx_reasons);
	}
	if (opts->nr_pids) {
		memcpy(pids, opts->pids, opts->nr_pids * sizeof(pids[0]));
		nr_pids = opts->nr_pids;
	} else {
		nr_pids = find_vms(pids, ARRAY_SIZE(pids));
	}
	for (int p = 0; p < nr_pids && budget; p++) {
		int nr_vcpus = vm_vcpu_ids(pids[p], vcpus, MAX_VCPU_FILTER);
		__u64 start = pid_start_ticks(pids[p]);

		for (int v = 0; v < nr_vcpus && budget; v++) {
			unsigned int nr_keys = 0;

			if (!vcpu_selected(opts, vcpus[v]))
				continue;
			for (unsigned int r = 0; r < nr_common; r++) {
				keys[nr_keys] = (struct hist_key){ .pid = pids[p], .vm_start = start,
								   .vcpu = vcpus[v], .isa = isa };
				if (!reason_lookup(names, isa, common[r], &keys[nr_keys].reason))
					nr_keys++;
			}
			for (unsigned int r = 0; r < ARRAY_SIZE(common_uexits); r++)
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
 * What a failed tp_btf load's error says: libbpf's ESRCH is a BTF type not
 * found, the verifier's EACCES an access it rejects (a field relocated to
 * the wrong place).
 */
static const char *tp_btf_failure(int err)
{
	if (err == -ESRCH)
		return "a tracepoint's BTF not found";
	if (err == -EACCES)
		return "the verifier rejected an access";
	return strerror(-err);
}

int loader_open(struct loader *l, const struct trace_opts *opts, const struct reason_table *names)
{
	enum attach_mode modes[2] = { opts->attach, ATTACH_AUTO };
	enum vmm_clock clock;
	int err = 0, tp_btf_err = 0;

	memset(l, 0, sizeof(*l));
	verbose = opts->verbose;
	libbpf_set_print(print_libbpf);
	if (choose_vmm_clock(opts, &clock))
		return -1;
	/* auto: BTF-typed, and classic where those cannot load (no module BTF, a relocation). */
	if (opts->attach == ATTACH_AUTO) {
		modes[0] = ATTACH_TP_BTF;
		modes[1] = ATTACH_CLASSIC;
	}
	for (int m = 0; m < 2 && modes[m] != ATTACH_AUTO && !l->skel; m++) {
		hold_libbpf_log();
		/* fentry: loaded beside kvm_fpu, which takes over where attaching it is refused. */
		err = load_with(l, opts, modes[m], clock, clock == VMM_CLOCK_FENTRY);
		if (err && clock == VMM_CLOCK_FENTRY) {
			/* A kernel that does not even load it: kvm_fpu alone, quietly under auto. */
			release_libbpf_log(false);
			hold_libbpf_log();
			if (!load_with(l, opts, modes[m], VMM_CLOCK_KVM_FPU, false)) {
				if (opts->vmm_clock == VMM_CLOCK_FENTRY) {
					release_libbpf_log(false);
					vmexitprof_bpf__destroy(l->skel);
					l->skel = NULL;
					fprintf(stderr, "vmexitprof: --vmm-time=fentry: this kernel does not let BPF "
						"programs attach to kvm_arch_vcpu_ioctl_run (%s); --vmm-time=kvm_fpu or "
						"usdt work here\n", strerror(-err));
					return -1;
				}
				clock = VMM_CLOCK_KVM_FPU;
				err = 0;
			}
		}
		if (!err)
			break;
		/* auto: classic next, what libbpf said for -v; the line once classic has loaded. */
		if (m == 0 && modes[1] != ATTACH_AUTO) {
			release_libbpf_log(false);
			tp_btf_err = err;
			continue;
		}
		if (opts->attach == ATTACH_TP_BTF && !bpf_refused(err)) {
			/* One line; libbpf's relocation log is for -v. */
			release_libbpf_log(false);
			fprintf(stderr, "vmexitprof: --attach=btf: the BTF-typed (tp_btf) programs do not load "
				"here (%s: no BTF for the kvm modules, or a CO-RE relocation failed); "
				"--attach=classic works without\n", tp_btf_failure(err));
			return -1;
		}
		release_libbpf_log(!bpf_refused(err));
		explain_bpf_failure("load the BPF programs", err);
		return -1;
	}
	if (tp_btf_err && bpf_refused(tp_btf_err))
		/* libbpf reads module BTF through BPF_BTF_GET_FD_BY_ID, which takes CAP_SYS_ADMIN. */
		fprintf(stderr, "vmexitprof: the BTF-typed (tp_btf) programs need the kvm modules' BTF, "
			"which only CAP_SYS_ADMIN may read; classic tracepoints instead\n");
	else if (tp_btf_err)
		fprintf(stderr, "vmexitprof: the BTF-typed (tp_btf) programs do not load here (%s: no "
			"BTF for the kvm modules, or a CO-RE relocation failed); classic tracepoints "
			"instead\n", tp_btf_failure(tp_btf_err));
	l->vmm_clock = clock;
	prewarm_hists(l->skel, opts, names);
	return 0;
}

/*
 * kvm_userspace_exit starts each VMM handling time: attach it after
 * whatever ends one (kvm_fpu, sys_enter_ioctl, the USDT probes), and
 * detach it first, so that no handling started is missed at its end.
 */
/* A program's link, into its slot of the skeleton (which destroys it): 0 or -errno. */
static int attach_prog(struct bpf_program *prog, struct bpf_link **slot)
{
	*slot = bpf_program__attach(prog);
	if (!*slot)
		return -errno;
	return 0;
}

/* The skeleton's link slot of a program of its. */
static struct bpf_link **link_of(struct vmexitprof_bpf *skel, const struct bpf_program *prog)
{
	struct bpf_link **links = (struct bpf_link **)&skel->links;
	struct bpf_program **progs = (struct bpf_program **)&skel->progs;

	for (size_t i = 0; i < sizeof(skel->progs) / sizeof(progs[0]); i++)
		if (progs[i] == prog)
			return &links[i];
	return NULL;
}

static void seed_tsc_offset(void *ctx, __u32 pid, __u32 vcpu_id, __s64 offset)
{
	struct tsc_offset_key key = { .pid = pid, .vcpu_id = vcpu_id };

	/* A write kvm_write_tsc_offset saw since the attach is newer: keep it. */
	bpf_map__update_elem(ctx, &key, sizeof(key), &offset, sizeof(offset), BPF_NOEXIST);
}

int loader_attach(struct loader *l, const struct trace_opts *opts)
{
	struct vmexitprof_bpf *skel = l->skel;
	int err = vmexitprof_bpf__attach(skel);

	/*
	 * fentry where the kernel allows it (auto): on our PVM hosts attaching
	 * it is refused, and kvm_fpu, loaded beside it, ends the handling time.
	 */
	if (!err && l->vmm_clock == VMM_CLOCK_FENTRY && bpf_program__autoload(skel->progs.kvm_arch_vcpu_ioctl_run)) {
		err = attach_prog(skel->progs.kvm_arch_vcpu_ioctl_run, &skel->links.kvm_arch_vcpu_ioctl_run);
		if (err && opts->vmm_clock == VMM_CLOCK_AUTO) {
			l->vmm_clock = VMM_CLOCK_KVM_FPU;
			err = 0;
		} else if (err && !bpf_refused(err)) {
			/* arm64 6.1 loads it but refuses to attach it to a kernel function (ENOTSUPP, 524). */
			release_libbpf_log(false);
			fprintf(stderr, "vmexitprof: --vmm-time=fentry: this kernel does not let BPF programs "
				"attach to kvm_arch_vcpu_ioctl_run (%s); --vmm-time=%s work here\n",
				err == -524 ? "ENOTSUPP" : strerror(-err),
#if defined(__aarch64__)
				"syscall or usdt"
#else
				"kvm_fpu or usdt"
#endif
				);
			return -1;
		}
	} else if (l->vmm_clock == VMM_CLOCK_FENTRY) {
		l->vmm_clock = VMM_CLOCK_KVM_FPU;	/* fentry did not even load (auto) */
	}
	if (!err && l->vmm_clock == VMM_CLOCK_KVM_FPU)
		err = attach_prog(l->progs.fpu, link_of(skel, l->progs.fpu));

	if (!err && l->vmm_clock == VMM_CLOCK_USDT) {
		const char *probe;
		__u32 pid;

		err = attach_usdt(l, opts, &probe, &pid);
		if (err) {
			/* libbpf's reason, held back since the open, first; then ours. */
			release_libbpf_log(true);
			fprintf(stderr, "vmexitprof: cannot attach to qemu:%s in process %u: %s\n", probe,
				pid, strerror(-err));
			return -1;
		}
	}
	if (!err && opts->bql && attach_bql(l, opts)) {
		release_libbpf_log(true);
		return -1;
	}
	if (!err && !opts->no_sched) {
		err = attach_prog(skel->progs.sched_switch_btf, &skel->links.sched_switch_btf);
		if (!err)
			err = attach_prog(skel->progs.sched_wakeup_btf, &skel->links.sched_wakeup_btf);
	}
	if (!err)
		err = attach_prog(l->progs.uexit, link_of(skel, l->progs.uexit));
	release_libbpf_log(!bpf_refused(err));
	if (err) {
		explain_bpf_failure("attach to the kvm tracepoints", err);
		return -1;
	}
	/* Tracked from now on: the vCPUs already there start from debugfs's offsets. */
	if (bpf_program__autoload(skel->progs.kvm_write_tsc_offset))
		tsc_offsets_now(seed_tsc_offset, skel->maps.tsc_offsets);
	return 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void loader_detach(struct loader *l)
{
	struct bpf_link **uexit;

	if (!l->skel)
		return;
	uexit = link_of(l->skel, l->progs.uexit);
	bpf_link__destroy(*uexit);
	*uexit = NULL;
	sleep_ms(DETACH_GRACE_MS);
	detach_usdt(l);
	vmexitprof_bpf__detach(l->skel);
}

void loader_close(struct loader *l)
{
	release_libbpf_log(false);
	detach_usdt(l);
	vmexitprof_bpf__destroy(l->skel);
	l->skel = NULL;
}

int loader_outliers_fd(const struct loader *l)
{
	return bpf_map__fd(l->skel->maps.outliers);
}
