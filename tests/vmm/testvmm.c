// SPDX-License-Identifier: GPL-2.0
/*
 * testvmm: a tiny KVM VMM that makes an exactly known mix of VM exits on
 * N vCPU threads and prints the ground truth as JSON on stdout, for
 * testing the VM-exit profiler. It mimics what the profiler looks for in
 * QEMU: vCPU thread names and the qemu:kvm_vcpu_ioctl / qemu:kvm_run_exit
 * USDT probes. The guest is tests/vmm/guest.S; the contract between the
 * two is tests/vmm/testvmm_abi.h. Built for arm64, the guest, its exits
 * and their handling are those of tests/vmm/testvmm_arm64.c instead
 * (guest_arm64.S, testvmm_abi_arm64.h); the rest is shared.
 *
 * Exit status: 0 success, 1 runtime failure, 2 bad usage.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/kvm.h>

/* Same probe ABI as QEMU's dtrace backend: probes behind semaphores. */
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>

#if defined(__aarch64__)
#include "testvmm_abi_arm64.h"
#else
#include "testvmm_abi.h"
#endif
#include "proc.h"
#include "util.h"

__extension__ unsigned short qemu_kvm_vcpu_ioctl_semaphore
	__attribute__((unused)) __attribute__((section(".probes")));
__extension__ unsigned short qemu_kvm_run_exit_semaphore
	__attribute__((unused)) __attribute__((section(".probes")));

#define QEMU_KVM_VCPU_IOCTL_ENABLED() \
	__builtin_expect(qemu_kvm_vcpu_ioctl_semaphore, 0)
#define QEMU_KVM_VCPU_IOCTL(cpu_index, type, arg) \
	DTRACE_PROBE3(qemu, kvm_vcpu_ioctl, cpu_index, type, arg)
#define QEMU_KVM_RUN_EXIT_ENABLED() \
	__builtin_expect(qemu_kvm_run_exit_semaphore, 0)
#define QEMU_KVM_RUN_EXIT(cpu_index, reason) \
	DTRACE_PROBE2(qemu, kvm_run_exit, cpu_index, reason)

#if !defined(__aarch64__)
/*
 * QEMU's mutex probes (util/qemu-thread-posix.c: qemu_mutex_lock(mutex,
 * file, line) before pthread_mutex_lock, qemu_mutex_locked after it,
 * qemu_mutex_unlock before the unlock), around a mutex named as QEMU's
 * big lock, qemu_global_mutex, which --bql-hold-us makes another thread
 * hold for known times: the ground truth of vmexitprof --bql.
 */
__extension__ unsigned short qemu_qemu_mutex_lock_semaphore
	__attribute__((unused)) __attribute__((section(".probes")));
__extension__ unsigned short qemu_qemu_mutex_locked_semaphore
	__attribute__((unused)) __attribute__((section(".probes")));
__extension__ unsigned short qemu_qemu_mutex_unlock_semaphore
	__attribute__((unused)) __attribute__((section(".probes")));

struct qemu_mutex {
	pthread_mutex_t lock;
};
/* Not static: the profiler finds it by this name in the symbol table. */
struct qemu_mutex qemu_global_mutex = { PTHREAD_MUTEX_INITIALIZER };

static void bql_lock(void)
{
	static const char file[] = __FILE__;

	DTRACE_PROBE3(qemu, qemu_mutex_lock, &qemu_global_mutex, file, __LINE__);
	pthread_mutex_lock(&qemu_global_mutex.lock);
	DTRACE_PROBE3(qemu, qemu_mutex_locked, &qemu_global_mutex, file, __LINE__);
}

static void bql_unlock(void)
{
	static const char file[] = __FILE__;

	DTRACE_PROBE3(qemu, qemu_mutex_unlock, &qemu_global_mutex, file, __LINE__);
	pthread_mutex_unlock(&qemu_global_mutex.lock);
}
#endif

#define NSEC_PER_SEC 1000000000ULL
#define MAX_DURATION_SEC 1000000000ULL
#define MAX_SLOW_MS 3600000		/* an hour */
#define MAX_SLOW_TSCS 256		/* slow exits whose guest TSC the JSON lists, per vCPU */
#define X86_EFLAGS_CF 0x1

/* Guest blob and labels inside it, from guest.S. */
extern const unsigned char guest_code_start[], guest_code_end[];

/*
 * What the guest causes, per architecture: PHASE_COUNTS are the per-phase
 * counts, as X(cause, --phase key, option, offset in the phase record);
 * VMM_CAUSES the exits the VMM counts besides, as X(cause, name).
 */
#if defined(__aarch64__)
#define TESTVMM_ARCH "arm64"
extern const unsigned char guest_entry[], guest_after_sysreg[], guest_after_hvc[],
	guest_after_wfi[];

#define PHASE_COUNTS(X)							\
	X(C_SYSREG, "sysreg", "sysreg", TESTVMM_PH_SYSREG)		\
	X(C_HVC, "hvc", "hvc", TESTVMM_PH_HVC)				\
	X(C_MMIO, "mmio", "mmio", TESTVMM_PH_MMIO)			\
	X(C_MMIO_READ, "mmio_read", "mmio-read", TESTVMM_PH_MMIO_READ)	\
	X(C_WFI, "wfi", "wfi", TESTVMM_PH_WFI)
#define VMM_CAUSES(X) X(C_CONTROL, "control")
#define COUNT_OPTION_LIST "--sysreg/--hvc/--mmio/--mmio-read/--wfi"
#define PHASE_KEY_LIST "sysreg, hvc, mmio, mmio_read or wfi"
/* The VMM wakes a WFI after this long (cfg.idle_us); it must. */
#define IDLE_OPTION "wfi-wake-us"
#define IDLE_KEY "wfi_wake_us"
#define IDLE_DEFAULT_US 200
#define GUEST_RAM_AFTER_PARAMS TESTVMM_MEM_SIZE
#else
#define TESTVMM_ARCH "x86_64"
extern const unsigned char guest_after_cpuid[], guest_cpuid_carry[];
/* The data-port OUT and IN instructions: the guest RIP of their exits. */
extern const unsigned char guest_pio_out[], guest_pio_in[];
extern const unsigned char guest_after_rdmsr[], guest_rdmsr_carry[];
extern const unsigned char guest_after_wrmsr[], guest_wrmsr_carry[];
extern const unsigned char guest_gp_isr[], guest_timer_isr[];

#define PHASE_COUNTS(X)							\
	X(C_CPUID, "cpuid", "cpuid", TESTVMM_PH_CPUID)			\
	X(C_PIO, "pio", "pio", TESTVMM_PH_PIO)				\
	X(C_MMIO, "mmio", "mmio", TESTVMM_PH_MMIO)			\
	X(C_HLT, "hlt", "hlt", TESTVMM_PH_HLT)				\
	X(C_RDMSR, "rdmsr", "rdmsr", TESTVMM_PH_RDMSR)			\
	X(C_WRMSR, "wrmsr", "wrmsr", TESTVMM_PH_WRMSR)			\
	X(C_PIO_IN, "pio_in", "pio-in", TESTVMM_PH_PIO_IN)		\
	X(C_MMIO_READ, "mmio_read", "mmio-read", TESTVMM_PH_MMIO_READ)
/* The failed VM entries (--fail-entry) are the VMM's doing, one per vCPU. */
#define VMM_CAUSES(X) X(C_CONTROL, "control") X(C_FAIL_ENTRY, "fail_entry")
#define COUNT_OPTION_LIST "--cpuid/--pio/--mmio/--hlt/--rdmsr/--wrmsr/--pio-in/--mmio-read"
#define PHASE_KEY_LIST "cpuid, pio, mmio, hlt, rdmsr, wrmsr, pio_in or mmio_read"
/* The VMM sleeps this long on each HLT exit (cfg.idle_us). */
#define IDLE_OPTION "hlt-sleep-us"
#define IDLE_KEY "hlt_sleep_us"
#define IDLE_DEFAULT_US 0
#define GUEST_RAM_AFTER_PARAMS TESTVMM_STACK_BASE
_Static_assert(TESTVMM_STACK_BASE + TESTVMM_MAX_VCPUS * TESTVMM_STACK_STRIDE <=
	       TESTVMM_MEM_SIZE, "stacks overflow guest RAM");
#endif

#define CAUSE_ENUM(cause, name, ...) cause,
#define CAUSE_NAME(cause, name, ...) [cause] = name,
/* The single-count options (OPT_COUNT + cause) of parse_args. */
#define COUNT_OPTION(cause, name, option, offset) \
	{ option, required_argument, NULL, OPT_COUNT + (cause) },
enum cause { PHASE_COUNTS(CAUSE_ENUM) VMM_CAUSES(CAUSE_ENUM) NR_CAUSES };
#define NR_PHASE_COUNTS C_CONTROL

static const char *const cause_names[NR_CAUSES] = {
	PHASE_COUNTS(CAUSE_NAME) VMM_CAUSES(CAUSE_NAME)
};

/* The phase record layout is count[cause] as u32s. */
#define PHASE_LAYOUT(cause, name, option, offset) \
	_Static_assert((offset) == 4 * (cause), "phase layout: " name);
PHASE_COUNTS(PHASE_LAYOUT)
_Static_assert(TESTVMM_PHASE_SIZE == 4 * NR_PHASE_COUNTS, "phase layout");
_Static_assert(TESTVMM_P_PHASES + TESTVMM_MAX_PHASES * TESTVMM_PHASE_SIZE <=
	       TESTVMM_PARAM_STRIDE, "phase records overflow the block");
#if !defined(__aarch64__)
_Static_assert(TESTVMM_P_PHASES + TESTVMM_MAX_PHASES * TESTVMM_PHASE_SIZE <= TESTVMM_P_X_MSR_FAULT &&
	       TESTVMM_P_X_END <= TESTVMM_PARAM_STRIDE, "extras overlap the phases or overflow the block");
_Static_assert(TESTVMM_P_PIO_TSC >= TESTVMM_P_X_END && TESTVMM_P_PIO_TSC % 8 == 0 &&
	       TESTVMM_P_PIO_TSC + 8 <= TESTVMM_P_TSC_JUMP_NOW &&
	       TESTVMM_P_TSC_JUMP_NOW + 4 <= TESTVMM_P_TSC_JUMP_BY && TESTVMM_P_TSC_JUMP_BY % 8 == 0 &&
	       TESTVMM_P_TSC_JUMP_BY + 8 <= TESTVMM_PARAM_STRIDE, "the guest's TSC note and jump");
#endif
_Static_assert(TESTVMM_PARAM_BASE + TESTVMM_MAX_VCPUS * TESTVMM_PARAM_STRIDE <=
	       GUEST_RAM_AFTER_PARAMS, "parameter blocks overflow what follows them");

#if !defined(__aarch64__)
/*
 * The exits that never reach the VMM, counted by the guest itself in its
 * parameter block: where the counter is, and the labels right after the
 * instruction and before the carry into the high half (see
 * vcpu_final_counts).
 */
static const struct guest_counter {
	enum cause cause;
	unsigned int offset;
	const unsigned char *after, *carry;
} guest_counters[] = {
	{ C_CPUID, TESTVMM_P_CPUID_DONE, guest_after_cpuid, guest_cpuid_carry },
	{ C_RDMSR, TESTVMM_P_RDMSR_DONE, guest_after_rdmsr, guest_rdmsr_carry },
	{ C_WRMSR, TESTVMM_P_WRMSR_DONE, guest_after_wrmsr, guest_wrmsr_carry },
};
#endif

/* Names straight from <linux/kvm.h> so numbers can never drift. */
#define KVM_EXIT_REASONS(X)						\
	X(UNKNOWN) X(EXCEPTION) X(IO) X(HYPERCALL) X(DEBUG) X(HLT)	\
	X(MMIO) X(IRQ_WINDOW_OPEN) X(SHUTDOWN) X(FAIL_ENTRY) X(INTR)	\
	X(SET_TPR) X(TPR_ACCESS) X(S390_SIEIC) X(S390_RESET) X(DCR)	\
	X(NMI) X(INTERNAL_ERROR) X(OSI) X(PAPR_HCALL) X(S390_UCONTROL)	\
	X(WATCHDOG) X(S390_TSCH) X(EPR) X(SYSTEM_EVENT) X(S390_STSI)	\
	X(IOAPIC_EOI) X(HYPERV) X(ARM_NISV) X(X86_RDMSR) X(X86_WRMSR)	\
	X(DIRTY_RING_FULL) X(AP_RESET_HOLD) X(X86_BUS_LOCK) X(XEN)	\
	X(RISCV_SBI) X(RISCV_CSR) X(NOTIFY)
#define KVM_EXIT_NAME(name) [KVM_EXIT_##name] = #name,

static const char *const kvm_exit_names[] = {
	KVM_EXIT_REASONS(KVM_EXIT_NAME)
	/* Newer than the oldest uapi headers we build against. */
#ifdef KVM_EXIT_LOONGARCH_IOCSR
	KVM_EXIT_NAME(LOONGARCH_IOCSR)
#endif
#ifdef KVM_EXIT_MEMORY_FAULT
	KVM_EXIT_NAME(MEMORY_FAULT)
#endif
#ifdef KVM_EXIT_TDX
	KVM_EXIT_NAME(TDX)
#endif
};

#define NR_EXIT_SLOTS 64
_Static_assert(ARRAY_SIZE(kvm_exit_names) <= NR_EXIT_SLOTS, "exit slots");

struct phase {
	uint32_t count[NR_PHASE_COUNTS];
};

struct config {
	unsigned int nr_vcpus;
	unsigned int nr_phases;
	struct phase phases[TESTVMM_MAX_PHASES];
	uint32_t *scale;		/* nr_vcpus entries */
	uint64_t duration_ns;		/* 0: count mode */
	uint32_t delay_ms;
	const char *wait_for;		/* start once this path exists */
	uint32_t idle_us;		/* IDLE_OPTION */
	unsigned int hot_add;		/* the last hot_add vCPUs start once the others are done */
	bool reuse_tids;		/* hot-added vCPU j gets vCPU j's thread id */
	const char *linger_for;		/* after the JSON, exit once this path exists */
	/*
	 * --schedstat (x86's options only, so far): read each vCPU thread's
	 * schedstat around its run loop. Only when asked: an open procfs file
	 * of a thread keeps its id from being handed out again for a while,
	 * which --reuse-tids needs.
	 */
	bool schedstat;
#if !defined(__aarch64__)
	bool fail_entry;		/* each vCPU first makes one failed VM entry */
	uint32_t slow_every;		/* every slow_every-th data-port exit of a vCPU ... */
	uint32_t slow_ms;		/* ... sleeps this long in the VMM (0: none) */
	uint64_t tsc_jump;		/* --tsc-jump: then the guest writes its TSC this far forward */
	uint32_t bql_hold_us;		/* --bql-hold-us: a thread holds the BQL this long, a tenth as long not */
	bool sync_state;		/* QEMU-like state sync around each return */
	uint32_t sync_sleep_us;		/* and this long asleep after it */
	/* Once per vCPU before its first phase (TESTVMM_P_X_*), not scaled. */
	uint32_t msr_fault;		/* --msr-fault: rdmsr of TESTVMM_BAD_MSR, each a #GP */
	uint32_t cpuid_sub;		/* --cpuid-sub: cpuid leaf/subleaf TESTVMM_SUB_LEAF/SUBLEAF */
	uint32_t hlt_quick, hlt_late;	/* --hlt-quick/--hlt-late: HLTs the x2APIC timer wakes ... */
	uint32_t hlt_quick_us, hlt_late_us;	/* ... this long after it was armed */
#endif
};

#if !defined(__aarch64__)
/* The MSRs --sync-state reads and writes back, those of them KVM lists. */
static const uint32_t sync_msr_candidates[] = {
	0x174, 0x175, 0x176,			/* IA32_SYSENTER_CS/ESP/EIP */
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084, 0xc0000102, 0xc0000103,	/* FMASK, KERNEL_GS_BASE, TSC_AUX */
	0xd90,					/* IA32_BNDCFGS (MPX) */
	0xda0,					/* IA32_XSS */
	0x6a0, 0x6a2,				/* IA32_U_CET, IA32_S_CET */
	0x6a4, 0x6a5, 0x6a6, 0x6a7,		/* IA32_PL0_SSP .. IA32_PL3_SSP */
	0x6a8,					/* IA32_INT_SSP_TAB */
};
#define NR_SYNC_MSRS ARRAY_SIZE(sync_msr_candidates)

/* A vCPU's state as --sync-state last read it, to write back. */
struct vcpu_sync {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_mp_state mp_state;
	struct kvm_vcpu_events events;
	struct kvm_xcrs xcrs;
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[NR_SYNC_MSRS];
	} msrs;
	unsigned int nr_msrs;		/* those that read and write back */
	struct kvm_xsave *xsave;	/* vmm->xsave_size bytes */
	bool got;			/* read since the last write back */
};
#endif

struct vmm;

struct vcpu {
	struct vmm *vmm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	unsigned char *params;		/* host view of the parameter block */
	pthread_t thread;
	bool thread_started;
	pid_t tid;
	bool hot_added;			/* created after the first vCPUs were done */
	bool failed;

	/* Results, owned by the vCPU thread until it is joined. */
	uint64_t caused[NR_CAUSES];
	uint64_t run_returns[NR_EXIT_SLOTS];
	uint64_t run_eintr;
	/*
	 * Of those, the ones that left run->exit_reason KVM_EXIT_INTR, as
	 * kvm_userspace_exit traces it: a signal exit sets it, a return for
	 * immediate_exit (the stop) may leave the last reason in place.
	 */
	uint64_t run_eintr_intr;
	uint64_t rounds;
	unsigned int next_phase;
	uint64_t phase_start[NR_CAUSES];	/* caused[] when it began */
	unsigned int nr_phase_ends;
	uint64_t phase_end_ns[TESTVMM_MAX_PHASES];
	/*
	 * The kernel's own account of this thread over its run loop (deltas
	 * of /proc/thread-self/schedstat): time on a CPU, time runnable
	 * waiting for one; the off-CPU split's ground truth. Where the file
	 * cannot be read, schedstat_ok is false.
	 */
	uint64_t sched_on_ns, sched_delay_ns;
	bool schedstat_ok;
	uint64_t hlt_slept_ns;		/* the HLT sleeps' spans by our clock, wakeup to running included */
	uint64_t bql_wait_ns, bql_locks;	/* --bql-hold-us: waits for the BQL by our clock, and how many */
#if defined(__aarch64__)
	timer_t wake_timer;		/* signals this thread to end a WFI */
	bool has_wake_timer;
	bool wake_armed;
	struct { char name[48]; uint64_t value; } stats[64];	/* KVM's, at the end */
	unsigned int nr_stats;
#else
	uint64_t fail_entry_reason;	/* hardware_entry_failure_reason */
	uint64_t slow_exits;		/* data-port exits that slept cfg.slow_ms */
	/* The guest's TSC just before each of the first MAX_SLOW_TSCS of them (guest.S). */
	uint64_t slow_tsc[MAX_SLOW_TSCS];
	struct vcpu_sync *sync;		/* --sync-state */
	uint64_t syncs;			/* returns followed by a state sync */
	bool extras_done;		/* the guest did its TESTVMM_P_X_* extras */
	uint32_t eois;			/* its timer interrupt handler's EOIs */
#endif
};

enum gate { GATE_WAIT, GATE_RUN, GATE_ABORT };

struct vmm {
	struct config cfg;
	int kvm_fd;
	int vm_fd;
	unsigned char *mem;
	unsigned char *bios;		/* TESTVMM_BIOS_SIZE at TESTVMM_BIOS_GPA */
	size_t run_size;
	struct vcpu *vcpus;

	/* Start gate and completion tracking, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool sync_ready;
	unsigned int nr_ready;
	unsigned int nr_running;
	enum gate gate;
	bool failed;

	atomic_bool stop;
	uint64_t start_ns;
	uint64_t end_ns;
#if !defined(__aarch64__)
	/* --sync-state: what this KVM has of it (sync_setup). */
	struct kvm_cpuid2 *cpuid;	/* KVM_GET_SUPPORTED_CPUID, set in every vCPU */
	uint32_t sync_msrs[NR_SYNC_MSRS];
	unsigned int nr_sync_msrs;
	bool have_xcrs;
	unsigned long get_xsave;	/* KVM_GET_XSAVE, or KVM_GET_XSAVE2 for a larger state */
	size_t xsave_size;
#endif
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = ns / NSEC_PER_SEC;
	ts->tv_nsec = ns % NSEC_PER_SEC;
}

static const char *exit_name(uint32_t reason, char *buf, size_t len)
{
	if (reason < ARRAY_SIZE(kvm_exit_names) && kvm_exit_names[reason])
		return kvm_exit_names[reason];
	snprintf(buf, len, "unknown_%" PRIu32, reason);
	return buf;
}

static __attribute__((unused)) uint32_t read_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static __attribute__((unused)) uint64_t read_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void write_u32(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* ---- command line ---- */

/* The usage lines both guests share; the first takes TESTVMM_MAX_PHASES. */
#define USAGE_PHASES_TO_WAIT_FOR \
		"  --phase SPEC       add a phase (up to %d; keys optional, default 0);\n" \
		"                     cannot be mixed with the single-count options\n" \
		"  --scale LIST       one multiplier per vCPU for every count (default 1)\n" \
		"  --duration SEC     repeat rounds for SEC seconds (decimals allowed)\n" \
		"                     instead of running one round per vCPU\n" \
		"  --delay MS         after printing the ready line, wait MS before running\n" \
		"  --wait-for PATH    after the ready line (and --delay), wait until PATH\n" \
		"                     exists: lets a test attach a tracer first\n"
#define USAGE_HOT_ADD_REUSE_TIDS \
		"  --hot-add K        the last K vCPUs are hot-added: created, with their\n" \
		"                     threads, only once the others have finished\n" \
		"  --reuse-tids       hot-added vCPU j gets the thread id vCPU j had, through\n" \
		"                     /proc/sys/kernel/ns_last_pid (root in the initial pid\n" \
		"                     namespace); the JSON's tids say whether it did\n"
#define USAGE_LINGER_FOR \
		"  --linger-for PATH  after printing the JSON, keep the VM until PATH exists\n"

#if defined(__aarch64__)
static void usage(FILE *f);	/* testvmm_arm64.c */
#else
static void usage(FILE *f)
{
	fprintf(f,
		"usage: testvmm [--vcpus N] [--cpuid N] [--pio N] [--mmio N] [--hlt N]\n"
		"               [--rdmsr N] [--wrmsr N] [--pio-in N] [--mmio-read N]\n"
		"               [--scale M0,M1,...]\n"
		"               [--phase cpuid=N,pio=N,mmio=N,hlt=N,rdmsr=N,wrmsr=N,\n"
		"                        pio_in=N,mmio_read=N]...\n"
		"               [--duration SEC] [--delay MS] [--wait-for PATH]\n"
		"               [--hlt-sleep-us US] [--slow-every K --slow-ms MS [--tsc-jump TICKS]]\n"
		"               [--sync-state [--sync-sleep-us US]]\n"
		"               [--hot-add K [--reuse-tids]] [--fail-entry] [--schedstat]\n"
		"               [--msr-fault N] [--cpuid-sub N]\n"
		"               [--hlt-quick N] [--hlt-late N] [--hlt-quick-us US] [--hlt-late-us US]\n"
		"               [--linger-for PATH] [--help]\n"
		"\n"
		"Runs a real-mode guest that, per phase, executes cpuid, outb to port 0x%x,\n"
		"inb from it, a byte write to MMIO 0x%x and a byte read of it, hlt, rdmsr\n"
		"and wrmsr of MSR 0x%x the given number of times, then marks the phase\n"
		"end with an outb to port 0x%x. The VMM answers the reads with 0x%x.\n"
		"Prints JSON ground truth on stdout.\n"
		"\n"
		"  --vcpus N          vCPU threads (default 1, max %d and KVM_CAP_MAX_VCPUS)\n"
		"  --cpuid/--pio/--mmio/--hlt/--rdmsr/--wrmsr/--pio-in/--mmio-read N\n"
		"                     counts of a single phase (default 0)\n"
		USAGE_PHASES_TO_WAIT_FOR
		"  --hlt-sleep-us US  sleep US after each HLT exit to emulate idle time\n"
		"  --slow-every K     every K-th data-port exit of a vCPU (writes and reads\n"
		"                     together) is slow: the VMM sleeps --slow-ms MS before\n"
		"                     re-entering; the JSON's slow_exits counts them\n"
		"  --tsc-jump TICKS   after each slow exit the guest writes its TSC (wrmsr\n"
		"                     IA32_TSC) TICKS ahead of itself: KVM changes the\n"
		"                     vCPU's TSC offset right after the slow exit\n"
		"  --schedstat        per vCPU, the thread's schedstat deltas over its run\n"
		"                     loop (on_cpu_ns, run_delay_ns) in the JSON\n"
		"  --bql-hold-us US   a thread holds qemu_global_mutex US, releases it US/10,\n"
		"                     over and over; each data-port exit is handled under\n"
		"                     it, with QEMU's qemu:qemu_mutex_lock/locked/unlock\n"
		"                     probes; the JSON's bql_wait_ns and bql_locks count\n"
		"                     the vCPU's waits for it by testvmm's clock\n"
		"  --sync-state       sync vCPU state as QEMU does: after each return from\n"
		"                     KVM_RUN read registers, XSAVE, XCRs, MSRs, MP and\n"
		"                     event state, and write XSAVE, XCRs, MSRs and MP\n"
		"                     state back before the next (with KVM's supported\n"
		"                     CPUID set in every vCPU)\n"
		"  --sync-sleep-us US with --sync-state, sleep US after the write back\n"
		USAGE_HOT_ADD_REUSE_TIDS
		"  --fail-entry       before its guest code, each vCPU enters once with an\n"
		"                     invalid TR (an available, not busy, TSS): a failed VM\n"
		"                     entry (KVM_EXIT_FAIL_ENTRY); then it runs as usual\n"
		"  --msr-fault N      once per vCPU, before its first phase: N rdmsr of MSR\n"
		"                     0x%x, which KVM answers with #GP (the guest steps over)\n"
		"  --cpuid-sub N      once per vCPU likewise: N cpuid of leaf 0x%x subleaf 0x%x\n"
		"  --hlt-quick N      once per vCPU likewise: N HLTs that the x2APIC timer\n"
		"                     wakes after --hlt-quick-us US (default 50), inside\n"
		"                     KVM's halt polling; the VM gets the in-kernel irqchip\n"
		"  --hlt-late N       then N HLTs woken after --hlt-late-us US (default 20000)\n"
		"                     The JSON's msrs and cpuid_leaves give every MSR access\n"
		"                     and CPUID per vCPU, timer setup included\n"
		USAGE_LINGER_FOR,
		TESTVMM_DATA_PORT, TESTVMM_MMIO_GPA, TESTVMM_MSR, TESTVMM_CTRL_PORT,
		TESTVMM_READ_BYTE, TESTVMM_MAX_VCPUS, TESTVMM_MAX_PHASES, TESTVMM_BAD_MSR,
		TESTVMM_SUB_LEAF, TESTVMM_SUBLEAF);
}
#endif

/* Non-negative decimal integer up to max; no sign, no spaces, no suffix. */
static int parse_uint(const char *what, const char *s, uint64_t max,
		      uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '\0') {
		fprintf(stderr, "testvmm: %s: empty value\n", what);
		return -1;
	}
	if (!isdigit((unsigned char)*s)) {
		fprintf(stderr, "testvmm: %s: '%s' is not a non-negative integer\n",
			what, s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		fprintf(stderr, "testvmm: %s: '%s' is not a non-negative integer\n",
			what, s);
		return -1;
	}
	if (errno == ERANGE || v > max) {
		fprintf(stderr, "testvmm: %s: '%s' is too large (max %" PRIu64 ")\n",
			what, s, max);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_u32(const char *what, const char *s, uint32_t *out)
{
	uint64_t v;

	if (parse_uint(what, s, UINT32_MAX, &v))
		return -1;
	*out = v;
	return 0;
}

/* Seconds with up to 9 decimals, exactly, into nanoseconds. */
static int parse_duration(const char *s, uint64_t *out)
{
	uint64_t sec = 0, frac = 0;
	const char *p = s;
	int ndec = 0;

	if (*s == '\0') {
		fprintf(stderr, "testvmm: --duration: empty value\n");
		return -1;
	}
	if (!isdigit((unsigned char)*p))
		goto bad;
	for (; isdigit((unsigned char)*p); p++) {
		sec = sec * 10 + (*p - '0');
		/* Also keeps start + duration far from overflowing. */
		if (sec > MAX_DURATION_SEC) {
			fprintf(stderr, "testvmm: --duration: '%s' is too large (max %llu)\n",
				s, MAX_DURATION_SEC);
			return -1;
		}
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++ndec > 9) {
				fprintf(stderr, "testvmm: --duration: '%s' has more than 9 decimals\n",
					s);
				return -1;
			}
			frac = frac * 10 + (*p - '0');
		}
		if (ndec == 0)
			goto bad;
	}
	if (*p != '\0')
		goto bad;
	for (; ndec < 9; ndec++)
		frac *= 10;
	*out = sec * NSEC_PER_SEC + frac;
	if (*out == 0) {
		fprintf(stderr, "testvmm: --duration: must be greater than 0\n");
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "testvmm: --duration: '%s' is not a non-negative number of seconds\n",
		s);
	return -1;
}

/* "cpuid=N,pio=N,mmio=N,...": PHASE_COUNTS' keys, any subset, each key at most once. */
static int parse_phase(const char *spec, struct phase *ph)
{
	bool seen[NR_PHASE_COUNTS] = { false };
	char *copy, *tok, *save = NULL;
	int ret = -1;

	memset(ph, 0, sizeof(*ph));
	if (*spec == '\0') {
		fprintf(stderr, "testvmm: --phase: empty value\n");
		return -1;
	}
	copy = strdup(spec);
	if (!copy) {
		perror("testvmm: strdup");
		return -1;
	}
	/* strtok_r would silently skip empty items like "cpuid=1,,pio=2". */
	for (tok = copy; tok; tok = save) {
		char what[32];
		char *eq;
		int i;

		save = strchr(tok, ',');
		if (save)
			*save++ = '\0';
		eq = strchr(tok, '=');
		if (!eq) {
			fprintf(stderr, "testvmm: --phase: '%s' is not key=N (in '%s')\n",
				tok, spec);
			goto out;
		}
		*eq = '\0';
		for (i = 0; i < NR_PHASE_COUNTS; i++)
			if (!strcmp(tok, cause_names[i]))
				break;
		if (i == NR_PHASE_COUNTS) {
			fprintf(stderr, "testvmm: --phase: unknown key '%s' (want " PHASE_KEY_LIST ")\n",
				tok);
			goto out;
		}
		if (seen[i]) {
			fprintf(stderr, "testvmm: --phase: key '%s' given twice in '%s'\n",
				tok, spec);
			goto out;
		}
		seen[i] = true;
		snprintf(what, sizeof(what), "--phase %s", tok);
		if (parse_u32(what, eq + 1, &ph->count[i]))
			goto out;
	}
	ret = 0;
out:
	free(copy);
	return ret;
}

static int parse_scale(struct config *cfg, const char *list)
{
	unsigned int n = 1, i;
	const char *p;

	if (*list == '\0') {
		fprintf(stderr, "testvmm: --scale: empty value\n");
		return -1;
	}
	for (p = list; *p; p++)
		n += *p == ',';
	if (n != cfg->nr_vcpus) {
		fprintf(stderr, "testvmm: --scale: %u value%s for %u vCPU%s\n",
			n, n == 1 ? "" : "s", cfg->nr_vcpus,
			cfg->nr_vcpus == 1 ? "" : "s");
		return -1;
	}
	p = list;
	for (i = 0; i < n; i++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[32], what[32];

		if (len >= sizeof(item)) {
			fprintf(stderr, "testvmm: --scale: value %u is too long\n", i);
			return -1;
		}
		memcpy(item, p, len);
		item[len] = '\0';
		snprintf(what, sizeof(what), "--scale value %u", i);
		if (parse_u32(what, item, &cfg->scale[i]))
			return -1;
		p += len + 1;
	}
	return 0;
}

#if !defined(__aarch64__)
/* Whether the guest makes HLTs the x2APIC timer wakes: then the VM has the in-kernel irqchip. */
static bool timed_halts(const struct config *cfg)
{
	return cfg->hlt_quick || cfg->hlt_late;
}
#endif

enum {
	OPT_VCPUS = 256, OPT_SCALE,
	OPT_PHASE, OPT_DURATION, OPT_DELAY, OPT_WAIT_FOR, OPT_IDLE_US,
	OPT_HOT_ADD, OPT_REUSE_TIDS, OPT_LINGER_FOR, OPT_FAIL_ENTRY,
	OPT_SLOW_EVERY, OPT_SLOW_MS, OPT_TSC_JUMP, OPT_SYNC_STATE, OPT_SYNC_SLEEP_US, OPT_BQL_HOLD_US, OPT_SCHEDSTAT,
	OPT_MSR_FAULT, OPT_CPUID_SUB, OPT_HLT_QUICK, OPT_HLT_LATE, OPT_HLT_QUICK_US, OPT_HLT_LATE_US,
	OPT_COUNT,	/* OPT_COUNT + c: a single phase's count of cause c */
};

/* Returns 0 to run, 1 after --help, -1 on bad usage. */
static int parse_args(struct config *cfg, int argc, char **argv)
{
	static const struct option options[] = {
		{ "vcpus", required_argument, NULL, OPT_VCPUS },
		PHASE_COUNTS(COUNT_OPTION)
#if !defined(__aarch64__)
		{ "fail-entry", no_argument, NULL, OPT_FAIL_ENTRY },
		{ "slow-every", required_argument, NULL, OPT_SLOW_EVERY },
		{ "slow-ms", required_argument, NULL, OPT_SLOW_MS },
		{ "tsc-jump", required_argument, NULL, OPT_TSC_JUMP },
		{ "sync-state", no_argument, NULL, OPT_SYNC_STATE },
		{ "sync-sleep-us", required_argument, NULL, OPT_SYNC_SLEEP_US },
		{ "bql-hold-us", required_argument, NULL, OPT_BQL_HOLD_US },
		{ "msr-fault", required_argument, NULL, OPT_MSR_FAULT },
		{ "cpuid-sub", required_argument, NULL, OPT_CPUID_SUB },
		{ "hlt-quick", required_argument, NULL, OPT_HLT_QUICK },
		{ "hlt-late", required_argument, NULL, OPT_HLT_LATE },
		{ "hlt-quick-us", required_argument, NULL, OPT_HLT_QUICK_US },
		{ "hlt-late-us", required_argument, NULL, OPT_HLT_LATE_US },
#endif
		{ "schedstat", no_argument, NULL, OPT_SCHEDSTAT },
		{ "scale", required_argument, NULL, OPT_SCALE },
		{ "phase", required_argument, NULL, OPT_PHASE },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "delay", required_argument, NULL, OPT_DELAY },
		{ "wait-for", required_argument, NULL, OPT_WAIT_FOR },
		{ IDLE_OPTION, required_argument, NULL, OPT_IDLE_US },
		{ "hot-add", required_argument, NULL, OPT_HOT_ADD },
		{ "reuse-tids", no_argument, NULL, OPT_REUSE_TIDS },
		{ "linger-for", required_argument, NULL, OPT_LINGER_FOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scale_list = NULL;
	bool single_counts = false;
	unsigned int i, p;
	uint64_t v;
	int opt;

	cfg->nr_vcpus = 1;
	cfg->idle_us = IDLE_DEFAULT_US;
#if !defined(__aarch64__)
	cfg->hlt_quick_us = 50;
	cfg->hlt_late_us = 20000;
#endif
	/* Our own messages, so every error line starts with "testvmm:". */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (opt >= OPT_COUNT && opt < OPT_COUNT + NR_PHASE_COUNTS) {
			int c = opt - OPT_COUNT;
			char what[32];

			for (i = 0; options[i].val != opt; i++)
				;
			snprintf(what, sizeof(what), "--%s", options[i].name);
			if (parse_u32(what, optarg, &cfg->phases[0].count[c]))
				return -1;
			single_counts = true;
			continue;
		}
		switch (opt) {
		case OPT_VCPUS:
			if (parse_uint("--vcpus", optarg, TESTVMM_MAX_VCPUS, &v))
				return -1;
			if (v == 0) {
				fprintf(stderr, "testvmm: --vcpus: must be at least 1\n");
				return -1;
			}
			cfg->nr_vcpus = v;
			break;
		case OPT_PHASE:
			if (cfg->nr_phases == TESTVMM_MAX_PHASES) {
				fprintf(stderr, "testvmm: --phase: at most %d phases\n",
					TESTVMM_MAX_PHASES);
				return -1;
			}
			if (parse_phase(optarg, &cfg->phases[cfg->nr_phases]))
				return -1;
			cfg->nr_phases++;
			break;
		case OPT_SCALE:
			scale_list = optarg;
			break;
		case OPT_DURATION:
			if (parse_duration(optarg, &cfg->duration_ns))
				return -1;
			break;
		case OPT_DELAY:
			if (parse_u32("--delay", optarg, &cfg->delay_ms))
				return -1;
			break;
		case OPT_WAIT_FOR:
			if (!*optarg) {
				fprintf(stderr, "testvmm: --wait-for needs a path\n");
				return -1;
			}
			cfg->wait_for = optarg;
			break;
		case OPT_IDLE_US:
			if (parse_u32("--" IDLE_OPTION, optarg, &cfg->idle_us))
				return -1;
			break;
		case OPT_HOT_ADD:
			if (parse_uint("--hot-add", optarg, TESTVMM_MAX_VCPUS, &v))
				return -1;
			cfg->hot_add = v;
			break;
		case OPT_REUSE_TIDS:
			cfg->reuse_tids = true;
			break;
#if !defined(__aarch64__)
		case OPT_FAIL_ENTRY:
			cfg->fail_entry = true;
			break;
		case OPT_SLOW_EVERY:
			if (parse_u32("--slow-every", optarg, &cfg->slow_every))
				return -1;
			if (!cfg->slow_every) {
				fprintf(stderr, "testvmm: --slow-every: must be at least 1\n");
				return -1;
			}
			break;
		case OPT_SLOW_MS:
			if (parse_uint("--slow-ms", optarg, MAX_SLOW_MS, &v))
				return -1;
			if (!v) {
				fprintf(stderr, "testvmm: --slow-ms: must be at least 1\n");
				return -1;
			}
			cfg->slow_ms = v;
			break;
		case OPT_TSC_JUMP:
			/* Up to 2^62: the guest's TSC stays far from wrapping. */
			if (parse_uint("--tsc-jump", optarg, 1ULL << 62, &v))
				return -1;
			if (!v) {
				fprintf(stderr, "testvmm: --tsc-jump: must be at least 1\n");
				return -1;
			}
			cfg->tsc_jump = v;
			break;
		case OPT_SYNC_STATE:
			cfg->sync_state = true;
			break;
		case OPT_SCHEDSTAT:
			cfg->schedstat = true;
			break;
		case OPT_BQL_HOLD_US:
			if (parse_u32("--bql-hold-us", optarg, &cfg->bql_hold_us))
				return -1;
			break;
		case OPT_SYNC_SLEEP_US:
			if (parse_u32("--sync-sleep-us", optarg, &cfg->sync_sleep_us))
				return -1;
			break;
		case OPT_MSR_FAULT:
			if (parse_u32("--msr-fault", optarg, &cfg->msr_fault))
				return -1;
			break;
		case OPT_CPUID_SUB:
			if (parse_u32("--cpuid-sub", optarg, &cfg->cpuid_sub))
				return -1;
			break;
		case OPT_HLT_QUICK:
			if (parse_u32("--hlt-quick", optarg, &cfg->hlt_quick))
				return -1;
			break;
		case OPT_HLT_LATE:
			if (parse_u32("--hlt-late", optarg, &cfg->hlt_late))
				return -1;
			break;
		case OPT_HLT_QUICK_US:
		case OPT_HLT_LATE_US:
			/* The timer counts ns in 32 bits: up to 4.29 s. */
			if (parse_uint(opt == OPT_HLT_QUICK_US ? "--hlt-quick-us" : "--hlt-late-us", optarg,
				       UINT32_MAX / 1000, &v))
				return -1;
			if (!v) {
				fprintf(stderr, "testvmm: %s: must be at least 1\n",
					opt == OPT_HLT_QUICK_US ? "--hlt-quick-us" : "--hlt-late-us");
				return -1;
			}
			*(opt == OPT_HLT_QUICK_US ? &cfg->hlt_quick_us : &cfg->hlt_late_us) = v;
			break;
#endif
		case OPT_LINGER_FOR:
			if (!*optarg) {
				fprintf(stderr, "testvmm: --linger-for needs a path\n");
				return -1;
			}
			cfg->linger_for = optarg;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "testvmm: option '%s' requires an argument\n",
				argv[optind - 1]);
			return -1;
		default:
			if (optopt == 'h')
				fprintf(stderr, "testvmm: option '--help' takes no argument\n");
			else
				fprintf(stderr, "testvmm: unrecognized option '%s' (see --help)\n",
					argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "testvmm: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (single_counts && cfg->nr_phases) {
		fprintf(stderr, "testvmm: --phase cannot be mixed with " COUNT_OPTION_LIST "\n");
		return -1;
	}
	if (!cfg->nr_phases)
		cfg->nr_phases = 1;
#if defined(__aarch64__)
	if (!cfg->idle_us) {
		fprintf(stderr, "testvmm: --" IDLE_OPTION ": must be at least 1 (nothing else ends a WFI)\n");
		return -1;
	}
#endif
#if !defined(__aarch64__)
	if (!cfg->slow_every != !cfg->slow_ms) {
		fprintf(stderr, "testvmm: --slow-every and --slow-ms go together\n");
		return -1;
	}
	if (cfg->tsc_jump && !cfg->slow_every) {
		fprintf(stderr, "testvmm: --tsc-jump needs --slow-every and --slow-ms\n");
		return -1;
	}
	if (cfg->sync_sleep_us && !cfg->sync_state) {
		fprintf(stderr, "testvmm: --sync-sleep-us needs --sync-state\n");
		return -1;
	}
	if (timed_halts(cfg)) {
		/* With the in-kernel irqchip a HLT stays in KVM: --hlt's would never wake. */
		for (p = 0; p < cfg->nr_phases; p++)
			if (cfg->phases[p].count[C_HLT]) {
				fprintf(stderr, "testvmm: --hlt (HLTs the VMM ends) cannot be mixed with "
					"--hlt-quick/--hlt-late (HLTs KVM wakes)\n");
				return -1;
			}
		if (cfg->fail_entry || cfg->sync_state) {
			fprintf(stderr, "testvmm: --hlt-quick/--hlt-late cannot be mixed with "
				"--fail-entry or --sync-state\n");
			return -1;
		}
	}
#endif
	if (cfg->hot_add && cfg->hot_add >= cfg->nr_vcpus) {
		fprintf(stderr, "testvmm: --hot-add: %u of %u vCPUs leaves none to start with\n",
			cfg->hot_add, cfg->nr_vcpus);
		return -1;
	}
	if (cfg->hot_add && cfg->duration_ns) {
		fprintf(stderr, "testvmm: --hot-add needs count mode: it cannot be mixed with --duration\n");
		return -1;
	}
	if (cfg->reuse_tids && (!cfg->hot_add || cfg->hot_add > cfg->nr_vcpus - cfg->hot_add)) {
		fprintf(stderr, "testvmm: --reuse-tids needs --hot-add K with K at most --vcpus - K\n");
		return -1;
	}

	cfg->scale = calloc(cfg->nr_vcpus, sizeof(*cfg->scale));
	if (!cfg->scale) {
		perror("testvmm: calloc");
		return -1;
	}
	if (scale_list) {
		if (parse_scale(cfg, scale_list))
			return -1;
	} else {
		for (i = 0; i < cfg->nr_vcpus; i++)
			cfg->scale[i] = 1;
	}

	/* The guest counts in 32 bits. */
	for (i = 0; i < cfg->nr_vcpus; i++) {
		for (p = 0; p < cfg->nr_phases; p++) {
			int c;

			for (c = 0; c < NR_PHASE_COUNTS; c++) {
				uint64_t n = (uint64_t)cfg->phases[p].count[c] *
					     cfg->scale[i];

				if (n > UINT32_MAX) {
					fprintf(stderr, "testvmm: phase %u %s count %" PRIu32 " times scale %" PRIu32 " of vCPU %u exceeds %" PRIu32 "\n",
						p, cause_names[c],
						cfg->phases[p].count[c],
						cfg->scale[i], i, UINT32_MAX);
					return -1;
				}
			}
		}
	}
	return 0;
}

/* ---- vCPU threads ---- */

static void vcpu_fail(struct vcpu *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "testvmm: vCPU %u: %s\n", v->id, msg);
	v->failed = true;
}

/* Every vCPU ioctl goes through here, as in QEMU's kvm_vcpu_ioctl(). */
static int vcpu_ioctl(struct vcpu *v, unsigned long type, void *arg)
{
	if (QEMU_KVM_VCPU_IOCTL_ENABLED())
		QEMU_KVM_VCPU_IOCTL((int)v->id, (int)type, arg);
	return ioctl(v->fd, type, arg);
}

static uint32_t scaled(const struct vcpu *v, unsigned int phase, int cause)
{
	return v->vmm->cfg.phases[phase].count[cause] *
	       v->vmm->cfg.scale[v->id];
}

#if defined(__aarch64__)
#include "testvmm_arm64.c"
#else
/* The guest's own counts of the exits it made without the VMM. */
static int read_guest_counters(struct vcpu *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(guest_counters); i++)
		v->caused[guest_counters[i].cause] =
			read_u64(v->params + guest_counters[i].offset);
	return 0;
}

static int vcpu_setup(struct vcpu *v)
{
	uint16_t ds = (TESTVMM_PARAM_BASE + v->id * TESTVMM_PARAM_STRIDE) >> 4;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (vcpu_ioctl(v, KVM_GET_SREGS, &sregs) < 0) {
		vcpu_fail(v, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	/* Real mode: base = selector << 4; keep the reset limits/attrs. */
	sregs.cs.selector = TESTVMM_CODE_BASE >> 4;
	sregs.cs.base = TESTVMM_CODE_BASE;
	sregs.ds.selector = ds;
	sregs.ds.base = (uint64_t)ds << 4;
	sregs.es.selector = TESTVMM_MMIO_GPA >> 4;
	sregs.es.base = TESTVMM_MMIO_GPA;
	sregs.ss.selector = (TESTVMM_STACK_BASE + v->id * TESTVMM_STACK_STRIDE) >> 4;
	sregs.ss.base = (uint64_t)sregs.ss.selector << 4;
	if (vcpu_ioctl(v, KVM_SET_SREGS, &sregs) < 0) {
		vcpu_fail(v, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}

	memset(&regs, 0, sizeof(regs));
	regs.rip = 0;
	regs.rsp = TESTVMM_STACK_STRIDE;
	/*
	 * IF on. This VM has no irqchip, so KVM never injects an interrupt and
	 * IF changes nothing under real KVM; but TCG's nested SVM seems to use
	 * the guest's IF when it decides whether the outer VM's own interrupts
	 * may leave the guest, and with IF off it now and then spun in the
	 * guest for good. Anything it still delivers lands on F000:FF53.
	 */
	regs.rflags = 0x202;
	if (vcpu_ioctl(v, KVM_SET_REGS, &regs) < 0) {
		vcpu_fail(v, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	if (timed_halts(&v->vmm->cfg)) {
		/* x2APIC needs its CPUID bit; with the irqchip, APs would wait for a SIPI. */
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (vcpu_ioctl(v, KVM_SET_CPUID2, v->vmm->cpuid) < 0) {
			vcpu_fail(v, "--hlt-quick/--hlt-late: KVM_SET_CPUID2: %s", strerror(errno));
			return -1;
		}
		if (vcpu_ioctl(v, KVM_SET_MP_STATE, &mp) < 0) {
			vcpu_fail(v, "--hlt-quick/--hlt-late: KVM_SET_MP_STATE: %s", strerror(errno));
			return -1;
		}
	}
	if (v->vmm->cfg.sync_state) {
		/* As QEMU does: CPUID set, so XSAVE state and MSRs are the guest's. */
		if (vcpu_ioctl(v, KVM_SET_CPUID2, v->vmm->cpuid) < 0) {
			vcpu_fail(v, "--sync-state: KVM_SET_CPUID2: %s", strerror(errno));
			return -1;
		}
		v->sync = calloc(1, sizeof(*v->sync));
		if (v->sync)
			v->sync->xsave = calloc(1, v->vmm->xsave_size);
		if (!v->sync || !v->sync->xsave) {
			vcpu_fail(v, "--sync-state: out of memory");
			return -1;
		}
		v->sync->nr_msrs = v->vmm->nr_sync_msrs;
		for (unsigned int i = 0; i < v->sync->nr_msrs; i++)
			v->sync->msrs.entries[i].index = v->vmm->sync_msrs[i];
	}
	return 0;
}

/* Best effort, for error messages only: where the guest is. */
static void vcpu_where(struct vcpu *v, char *buf, size_t len)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (vcpu_ioctl(v, KVM_GET_REGS, &regs) < 0 ||
	    vcpu_ioctl(v, KVM_GET_SREGS, &sregs) < 0) {
		snprintf(buf, len, "unknown cs:rip (%s)", strerror(errno));
		return;
	}
	snprintf(buf, len, "cs 0x%x (base 0x%llx) rip 0x%llx rflags 0x%llx",
		 sregs.cs.selector, (unsigned long long)sregs.cs.base,
		 (unsigned long long)regs.rip, (unsigned long long)regs.rflags);
}
#endif

static int unexpected_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t reason = run->exit_reason;
	char buf[32], detail[256] = "", where[128];
	unsigned int i;
	int n;

	switch (reason) {
	case KVM_EXIT_IO:
		snprintf(detail, sizeof(detail),
			 ": %s port 0x%x size %u count %u",
			 run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count);
		break;
	case KVM_EXIT_MMIO:
		snprintf(detail, sizeof(detail),
			 ": %s gpa 0x%llx len %u",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr, run->mmio.len);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(detail, sizeof(detail),
			 ": hardware_entry_failure_reason 0x%llx cpu %u",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			 run->fail_entry.cpu);
		break;
	case KVM_EXIT_EXCEPTION:
		snprintf(detail, sizeof(detail), ": exception %u error_code 0x%x",
			 run->ex.exception, run->ex.error_code);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		n = snprintf(detail, sizeof(detail), ": suberror %u data",
			     run->internal.suberror);
		for (i = 0; i < run->internal.ndata && i < 16 && n > 0 &&
		     (size_t)n < sizeof(detail); i++)
			n += snprintf(detail + n, sizeof(detail) - n, " 0x%llx",
				      (unsigned long long)run->internal.data[i]);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		snprintf(detail, sizeof(detail), ": type %u",
			 run->system_event.type);
		break;
	}
	vcpu_where(v, where, sizeof(where));
	vcpu_fail(v, "unexpected exit %s (%u)%s at %s, round %" PRIu64 " phase %u%s",
		  exit_name(reason, buf, sizeof(buf)), reason, detail, where,
		  v->rounds, v->next_phase,
		  atomic_load(&v->vmm->stop) ? ", after the stop request" : "");
	return -1;
}

/*
 * The guest finished phase 'index'. Checks that exactly that phase's
 * counts happened since the previous marker. Returns 1 when the vCPU is
 * done (count mode, last phase), 0 to go on, -1 on error.
 */
static int phase_end(struct vcpu *v, unsigned int index)
{
	const struct config *cfg = &v->vmm->cfg;
	unsigned int p = v->next_phase;
	int c;

	if (index != p) {
		vcpu_fail(v, "guest reported the end of phase %u, expected phase %u (round %" PRIu64 ")%s",
			  index, p, v->rounds,
			  atomic_load(&v->vmm->stop) ? ", after the stop request" : "");
		return -1;
	}
	if (read_guest_counters(v))
		return -1;
	for (c = 0; c < NR_PHASE_COUNTS; c++) {
		uint64_t got = v->caused[c] - v->phase_start[c];

		if (got != scaled(v, p, c)) {
			vcpu_fail(v, "phase %u round %" PRIu64 ": %" PRIu64 " %s exits, expected %" PRIu32,
				  p, v->rounds, got, cause_names[c],
				  scaled(v, p, c));
			return -1;
		}
	}
	v->caused[C_CONTROL]++;
	if (v->rounds == 0)
		v->phase_end_ns[v->nr_phase_ends++] = now_ns();
	memcpy(v->phase_start, v->caused, sizeof(v->phase_start));

	if (++v->next_phase < cfg->nr_phases)
		return 0;
	v->next_phase = 0;
	v->rounds++;
	return cfg->duration_ns ? 0 : 1;
}

/*
 * One KVM_RUN: QEMU's kvm_run_exit probe after a successful one (QEMU fires
 * it only then), and the count of its return. Not inlined: one probe site,
 * as QEMU has, whoever calls it.
 */
static __attribute__((noinline)) int vcpu_run_once(struct vcpu *v)
{
	if (vcpu_ioctl(v, KVM_RUN, NULL) < 0) {
		if (errno == EINTR) {
			v->run_eintr++;
			v->run_eintr_intr += v->run->exit_reason == KVM_EXIT_INTR;
		}
		return -1;
	}
	if (QEMU_KVM_RUN_EXIT_ENABLED())
		QEMU_KVM_RUN_EXIT((int)v->id, v->run->exit_reason);
	if (v->run->exit_reason < NR_EXIT_SLOTS)
		v->run_returns[v->run->exit_reason]++;
	return 0;
}

#if !defined(__aarch64__)
/*
 * Sleeps ns on CLOCK_MONOTONIC, all of it, unless the stop request cuts it
 * short (then the vCPU does not re-enter). True if it slept all of it.
 */
static bool vmm_sleep_ns(struct vcpu *v, uint64_t ns)
{
	struct timespec deadline;
	int r;

	ns_to_timespec(now_ns() + ns, &deadline);
	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL)) == EINTR)
		if (atomic_load(&v->vmm->stop))
			return false;
	return r == 0;
}

/* A data-port exit handled: with --slow-every, every K-th one sleeps --slow-ms. */
static void data_port_done(struct vcpu *v)
{
	const struct config *cfg = &v->vmm->cfg;

	if (cfg->bql_hold_us) {
		/* As QEMU handles an IO exit: under its big lock, timed by our clock. */
		uint64_t t0 = now_ns();

		bql_lock();
		v->bql_wait_ns += now_ns() - t0;
		v->bql_locks++;
		bql_unlock();
	}

	if (!cfg->slow_every ||
	    (v->caused[C_PIO] + v->caused[C_PIO_IN]) % cfg->slow_every)
		return;
	/* The guest noted its TSC right before this access: the slow exit's own guest time. */
	uint64_t guest_tsc = read_u64(v->params + TESTVMM_P_PIO_TSC);

	if (!vmm_sleep_ns(v, cfg->slow_ms * 1000000ULL))
		return;
	if (v->slow_exits < MAX_SLOW_TSCS)
		v->slow_tsc[v->slow_exits] = guest_tsc;
	v->slow_exits++;
	/* The guest writes its TSC right after this exit's entry (guest.S's tsc_jump). */
	if (cfg->tsc_jump)
		write_u32(v->params + TESTVMM_P_TSC_JUMP_NOW, 1);
}

/* Returns 1 when the vCPU is done, 0 to re-enter, -1 on error. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t sleep_us = v->vmm->cfg.idle_us;
	uint8_t byte;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.size != 1 || run->io.count != 1)
			break;
		if (run->io.direction == KVM_EXIT_IO_IN) {
			if (run->io.port != TESTVMM_DATA_PORT)
				break;
			/* KVM completes the IN with this byte in the next KVM_RUN. */
			*((uint8_t *)run + run->io.data_offset) = TESTVMM_READ_BYTE;
			v->caused[C_PIO_IN]++;
			data_port_done(v);
			return 0;
		}
		byte = *((uint8_t *)run + run->io.data_offset);
		if (run->io.port == TESTVMM_DATA_PORT) {
			v->caused[C_PIO]++;
			data_port_done(v);
			return 0;
		}
		if (run->io.port == TESTVMM_CTRL_PORT)
			return phase_end(v, byte);
		if (run->io.port == TESTVMM_BAD_READ_PORT) {
			vcpu_fail(v, "the guest read 0x%x, not the 0x%x the VMM answered (round %" PRIu64 " phase %u)",
				  byte, TESTVMM_READ_BYTE, v->rounds, v->next_phase);
			return -1;
		}
		break;
	case KVM_EXIT_MMIO:
		if (run->mmio.phys_addr != TESTVMM_MMIO_GPA || run->mmio.len != 1)
			break;
		if (!run->mmio.is_write) {
			run->mmio.data[0] = TESTVMM_READ_BYTE;
			v->caused[C_MMIO_READ]++;
			return 0;
		}
		v->caused[C_MMIO]++;
		return 0;
	case KVM_EXIT_HLT:
		v->caused[C_HLT]++;
		if (sleep_us) {
			struct timespec ts = {
				.tv_sec = sleep_us / 1000000,
				.tv_nsec = (sleep_us % 1000000) * 1000L,
			};

			uint64_t t0 = now_ns();

			/* A stop signal cuts it short; the loop checks stop. */
			nanosleep(&ts, NULL);
			v->hlt_slept_ns += now_ns() - t0;
		}
		return 0;
	}
	return unexpected_exit(v);
}

/*
 * A guest counter misses a cpuid, rdmsr or wrmsr that completed right
 * before we stopped the vCPU; RIP tells whether that happened.
 */
static int vcpu_final_counts(struct vcpu *v)
{
	struct kvm_regs regs;
	unsigned int i;

	if (read_guest_counters(v))
		return -1;
	v->extras_done = read_u32(v->params + TESTVMM_P_X_DONE) == 1;
	v->eois = read_u32(v->params + TESTVMM_P_X_EOIS);
	if (vcpu_ioctl(v, KVM_GET_REGS, &regs) < 0) {
		vcpu_fail(v, "KVM_GET_REGS: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(guest_counters); i++) {
		const struct guest_counter *g = &guest_counters[i];

		/* CS base is 0, so RIP is the offset into the blob. */
		if (regs.rip == (uint64_t)(g->after - guest_code_start))
			v->caused[g->cause]++;
		else if (regs.rip == (uint64_t)(g->carry - guest_code_start) &&
			 (regs.rflags & X86_EFLAGS_CF))
			/* low half wrapped, high not yet bumped */
			v->caused[g->cause] += 1ULL << 32;
	}
	return 0;
}

/*
 * --sync-state, first half, right after KVM_RUN returned: read what QEMU's
 * kvm_arch_get_registers() reads (registers, XSAVE, XCRs, MSRs, MP and
 * event state). Some of these load the guest FPU in some kernels, firing
 * kvm:kvm_fpu outside KVM_RUN (KVM_GET_MP_STATE where MPX is supported,
 * the CET MSRs on 6.18). An MSR this vCPU cannot read is left out from then
 * on. 0, or -1 on error.
 */
static int vcpu_sync_get(struct vcpu *v)
{
	struct vcpu_sync *sy = v->sync;
	int r;

#define SYNC_IOCTL(req, arg)							\
	do {									\
		if (vcpu_ioctl(v, req, arg) < 0) {				\
			vcpu_fail(v, "--sync-state: " #req ": %s", strerror(errno)); \
			return -1;						\
		}								\
	} while (0)
	SYNC_IOCTL(KVM_GET_REGS, &sy->regs);
	SYNC_IOCTL(KVM_GET_SREGS, &sy->sregs);
	SYNC_IOCTL(v->vmm->get_xsave, sy->xsave);
	if (v->vmm->have_xcrs)
		SYNC_IOCTL(KVM_GET_XCRS, &sy->xcrs);
	for (;;) {
		sy->msrs.hdr.nmsrs = sy->nr_msrs;
		r = vcpu_ioctl(v, KVM_GET_MSRS, &sy->msrs);
		if (r < 0) {
			vcpu_fail(v, "--sync-state: KVM_GET_MSRS: %s", strerror(errno));
			return -1;
		}
		if ((unsigned int)r == sy->nr_msrs)
			break;
		/* Entry r did not read: drop it for good. */
		memmove(&sy->msrs.entries[r], &sy->msrs.entries[r + 1],
			(sy->nr_msrs - r - 1) * sizeof(sy->msrs.entries[0]));
		sy->nr_msrs--;
	}
	SYNC_IOCTL(KVM_GET_MP_STATE, &sy->mp_state);
	SYNC_IOCTL(KVM_GET_VCPU_EVENTS, &sy->events);
	sy->got = true;
	return 0;
}

/*
 * --sync-state, second half, after the exit was handled: write back, as
 * QEMU's kvm_arch_put_registers() does, the values just read: XSAVE, XCRs,
 * MSRs and the MP state, then sleep --sync-sleep-us. Not the registers:
 * KVM completes a port or MMIO read into them only in the next KVM_RUN,
 * and a KVM_SET_REGS before that loses the read (on this PVM host the
 * guest then read what AL held before), so QEMU writes them only when it
 * changed them. 0, or -1 on error.
 */
static int vcpu_sync_put(struct vcpu *v)
{
	struct vcpu_sync *sy = v->sync;
	int r;

	if (!sy->got)
		return 0;
	sy->got = false;
	SYNC_IOCTL(KVM_SET_XSAVE, sy->xsave);
	if (v->vmm->have_xcrs)
		SYNC_IOCTL(KVM_SET_XCRS, &sy->xcrs);
	sy->msrs.hdr.nmsrs = sy->nr_msrs;
	r = vcpu_ioctl(v, KVM_SET_MSRS, &sy->msrs);
	if (r < 0 || (unsigned int)r != sy->nr_msrs) {
		vcpu_fail(v, "--sync-state: KVM_SET_MSRS wrote %d of %u MSRs back (%s)", r,
			  sy->nr_msrs, r < 0 ? strerror(errno) : "one it read was refused");
		return -1;
	}
	SYNC_IOCTL(KVM_SET_MP_STATE, &sy->mp_state);
#undef SYNC_IOCTL
	v->syncs++;
	if (v->vmm->cfg.sync_sleep_us)
		vmm_sleep_ns(v, v->vmm->cfg.sync_sleep_us * 1000ULL);
	return 0;
}

/*
 * --fail-entry: one KVM_RUN with TR marked an available (not busy) 32-bit
 * TSS, which VM entry's guest-state checks reject (Intel SDM 27.3.1.2:
 * TR's type must be 3 or 11); KVM does not check it beforehand when the
 * guest is unrestricted, so the entry fails (KVM_EXIT_FAIL_ENTRY, exit
 * reason 33 with bit 31 set on VMX). Then the registers are put back.
 * Returns 0, or -1 when the entry did not fail that way.
 */
static int vcpu_fail_entry(struct vcpu *v)
{
	struct kvm_sregs good, bad;
	char buf[32];
	int ret;

	if (vcpu_ioctl(v, KVM_GET_SREGS, &good) < 0) {
		vcpu_fail(v, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	bad = good;
	bad.tr.type = 9;
	if (vcpu_ioctl(v, KVM_SET_SREGS, &bad) < 0) {
		vcpu_fail(v, "--fail-entry: KVM_SET_SREGS with TR type 9: %s", strerror(errno));
		return -1;
	}
	/* A stray signal interrupts it before the entry: try again. */
	while ((ret = vcpu_run_once(v)) < 0 && errno == EINTR && !atomic_load(&v->vmm->stop))
		;
	if (ret < 0) {
		vcpu_fail(v, "--fail-entry: KVM_RUN: %s", strerror(errno));
		return -1;
	}
	if (v->run->exit_reason != KVM_EXIT_FAIL_ENTRY) {
		vcpu_fail(v, "--fail-entry: the entry with TR type 9 did not fail: KVM_RUN returned %s (%u)",
			  exit_name(v->run->exit_reason, buf, sizeof(buf)), v->run->exit_reason);
		return -1;
	}
	v->fail_entry_reason = v->run->fail_entry.hardware_entry_failure_reason;
	v->caused[C_FAIL_ENTRY]++;
	if (vcpu_ioctl(v, KVM_SET_SREGS, &good) < 0) {
		vcpu_fail(v, "--fail-entry: KVM_SET_SREGS back: %s", strerror(errno));
		return -1;
	}
	return 0;
}
#endif

static void vcpu_run_loop(struct vcpu *v)
{
	struct vmm *vmm = v->vmm;
	int ret;

#if !defined(__aarch64__)
	if (vmm->cfg.fail_entry && vcpu_fail_entry(v))
		return;
#endif
	while (!atomic_load(&vmm->stop)) {
#if defined(__aarch64__)
		wfi_wake_update(v);
#endif
		if (vcpu_run_once(v) < 0) {
			/* The stop kick, or a stray signal: re-check stop. */
			if (errno == EINTR)
				continue;
			vcpu_fail(v, "KVM_RUN: %s (errno %d)", strerror(errno),
				  errno);
			return;
		}
#if !defined(__aarch64__)
		if (vmm->cfg.sync_state && vcpu_sync_get(v))
			return;
#endif
		ret = handle_exit(v);
		if (ret < 0)
			return;
		if (ret > 0)
			break;
#if !defined(__aarch64__)
		if (vmm->cfg.sync_state && vcpu_sync_put(v))
			return;
#endif
	}
	vcpu_final_counts(v);
}

/* This thread's time on a CPU and waiting for one, in ns (/proc/thread-self/schedstat). */
static bool read_schedstat(uint64_t *on_cpu, uint64_t *run_delay)
{
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	unsigned long long a, b;
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu %llu", &a, &b) == 2;
	fclose(f);
	*on_cpu = a;
	*run_delay = b;
	return ok;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vmm *vmm = v->vmm;
	char name[16];
	bool run;

	/* Named like QEMU's vCPU threads so the profiler finds them. */
	snprintf(name, sizeof(name), "CPU %u/KVM", v->id);
	pthread_setname_np(pthread_self(), name);
	v->tid = gettid();
	vcpu_setup(v);

	pthread_mutex_lock(&vmm->lock);
	vmm->nr_ready++;
	pthread_cond_broadcast(&vmm->cond);
	while (vmm->gate == GATE_WAIT)
		pthread_cond_wait(&vmm->cond, &vmm->lock);
	run = vmm->gate == GATE_RUN && !v->failed;
	pthread_mutex_unlock(&vmm->lock);

	if (run) {
		uint64_t on0, delay0, on1, delay1;
		bool ok = vmm->cfg.schedstat && read_schedstat(&on0, &delay0);

		vcpu_run_loop(v);
		if (ok && read_schedstat(&on1, &delay1)) {
			v->sched_on_ns = on1 - on0;
			v->sched_delay_ns = delay1 - delay0;
			v->schedstat_ok = true;
		}
	}
#if defined(__aarch64__)
	wfi_wake_delete(v);
#endif

	pthread_mutex_lock(&vmm->lock);
	vmm->nr_running--;
	if (v->failed)
		vmm->failed = true;
	pthread_cond_broadcast(&vmm->cond);
	pthread_mutex_unlock(&vmm->lock);
	return NULL;
}

static void kick_handler(int sig)
{
	/* Only here so the signal interrupts KVM_RUN with EINTR. */
}

/* Make every vCPU thread leave KVM_RUN and its loop. */
static void stop_vcpus(struct vmm *vmm)
{
	unsigned int i;

	atomic_store(&vmm->stop, true);
	for (i = 0; i < vmm->cfg.nr_vcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		if (!v->thread_started)
			continue;
		/* Covers a thread between its stop check and KVM_RUN. */
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(v->thread, SIGUSR1);
	}
}

/* ---- VM setup ---- */

static int kvm_check(struct vmm *vmm, long cap)
{
	int r = ioctl(vmm->kvm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* Guest RAM at gpa from mem; what names it in the error. 0, or 1 on error. */
static int set_memory_region(struct vmm *vmm, uint32_t slot, uint64_t gpa, uint64_t size,
			     void *mem, const char *what)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	if (ioctl(vmm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fprintf(stderr, "testvmm: KVM_SET_USER_MEMORY_REGION%s: %s\n", what,
			strerror(errno));
		return 1;
	}
	return 0;
}

#if !defined(__aarch64__)
/* F000:FF53: inc dword [cs:0xff00]; iret */
static const unsigned char stray_handler[] = {
	0x66, 0x2e, 0xff, 0x06, TESTVMM_STRAY_COUNTER & 0xff, TESTVMM_STRAY_COUNTER >> 8, 0xcf,
};

static void write_u16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* What the real-mode guest needs besides its code and parameter blocks. */
static int guest_arch_setup(struct vmm *vmm)
{
	unsigned int i;

	for (i = 0; i < 256; i++) {
		write_u16(vmm->mem + 4 * i, TESTVMM_STRAY_HANDLER);
		write_u16(vmm->mem + 4 * i + 2, TESTVMM_BIOS_GPA >> 4);
	}
	vmm->bios = mmap(NULL, TESTVMM_BIOS_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vmm->bios == MAP_FAILED) {
		vmm->bios = NULL;
		fprintf(stderr, "testvmm: mmap BIOS memory: %s\n", strerror(errno));
		return 1;
	}
	memset(vmm->bios, 0xcf, TESTVMM_BIOS_SIZE);	/* iret */
	memcpy(vmm->bios + TESTVMM_STRAY_HANDLER, stray_handler, sizeof(stray_handler));
	memset(vmm->bios + TESTVMM_STRAY_COUNTER, 0, 4);
	/* The extras' own handlers, only where they are used: else a stray vector 13 or 0x40 stays counted. */
	if (vmm->cfg.msr_fault) {
		write_u16(vmm->mem + 4 * TESTVMM_GP_VECTOR, guest_gp_isr - guest_code_start);
		write_u16(vmm->mem + 4 * TESTVMM_GP_VECTOR + 2, TESTVMM_CODE_BASE >> 4);
	}
	if (timed_halts(&vmm->cfg)) {
		write_u16(vmm->mem + 4 * TESTVMM_TIMER_VECTOR, guest_timer_isr - guest_code_start);
		write_u16(vmm->mem + 4 * TESTVMM_TIMER_VECTOR + 2, TESTVMM_CODE_BASE >> 4);
	}

	return set_memory_region(vmm, 1, TESTVMM_BIOS_GPA, TESTVMM_BIOS_SIZE, vmm->bios, " (BIOS)");
}

static uint32_t stray_interrupts(const struct vmm *vmm)
{
	return read_u32(vmm->bios + TESTVMM_STRAY_COUNTER);
}
#endif

static int vcpu_create(struct vmm *vmm, struct vcpu *v)
{
	void *run;

	v->fd = ioctl(vmm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
	if (v->fd < 0) {
		fprintf(stderr, "testvmm: KVM_CREATE_VCPU %u: %s\n", v->id, strerror(errno));
		return -1;
	}
	run = mmap(NULL, vmm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED) {
		fprintf(stderr, "testvmm: mmap kvm_run of vCPU %u: %s\n", v->id, strerror(errno));
		return -1;
	}
	v->run = run;
	return 0;
}

#if !defined(__aarch64__)
/* KVM_GET_SUPPORTED_CPUID into vmm->cpuid, for KVM_SET_CPUID2. 0, or 1 after saying why (for what). */
static int supported_cpuid(struct vmm *vmm, const char *what)
{
	unsigned int nent = 64;

	for (;;) {
		vmm->cpuid = calloc(1, sizeof(*vmm->cpuid) + nent * sizeof(vmm->cpuid->entries[0]));
		if (!vmm->cpuid) {
			perror("testvmm: calloc");
			return 1;
		}
		vmm->cpuid->nent = nent;
		if (!ioctl(vmm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vmm->cpuid))
			break;
		free(vmm->cpuid);
		vmm->cpuid = NULL;
		if (errno != E2BIG || nent >= 4096) {
			fprintf(stderr, "testvmm: %s: KVM_GET_SUPPORTED_CPUID: %s\n", what,
				strerror(errno));
			return 1;
		}
		nent *= 2;
	}
	return 0;
}

/*
 * --sync-state: KVM's supported CPUID (every vCPU gets it), which of
 * sync_msr_candidates KVM lists, whether it has XCRs, and the XSAVE
 * state's size. 0, or 1 on error.
 */
static int sync_setup(struct vmm *vmm)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;
	unsigned int i, j;
	int size;

	if (supported_cpuid(vmm, "--sync-state"))
		return 1;
	if (ioctl(vmm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG) {
		fprintf(stderr, "testvmm: --sync-state: KVM_GET_MSR_INDEX_LIST: %s\n", strerror(errno));
		return 1;
	}
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list) {
		perror("testvmm: calloc");
		return 1;
	}
	list->nmsrs = probe.nmsrs;
	if (ioctl(vmm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		fprintf(stderr, "testvmm: --sync-state: KVM_GET_MSR_INDEX_LIST: %s\n", strerror(errno));
		free(list);
		return 1;
	}
	for (i = 0; i < NR_SYNC_MSRS; i++)
		for (j = 0; j < list->nmsrs; j++)
			if (list->indices[j] == sync_msr_candidates[i]) {
				vmm->sync_msrs[vmm->nr_sync_msrs++] = sync_msr_candidates[i];
				break;
			}
	free(list);
	vmm->have_xcrs = kvm_check(vmm, KVM_CAP_XCRS);
	size = kvm_check(vmm, KVM_CAP_XSAVE2);
	vmm->get_xsave = KVM_GET_XSAVE;
	vmm->xsave_size = sizeof(struct kvm_xsave);
	if (size > (int)sizeof(struct kvm_xsave)) {
		vmm->get_xsave = KVM_GET_XSAVE2;
		vmm->xsave_size = size;
	}
	return 0;
}
#endif

/* Returns 0, 1 on runtime failure, 2 on a request the host cannot meet. */
static int vm_create(struct vmm *vmm)
{
	struct config *cfg = &vmm->cfg;
	size_t code_size = guest_code_end - guest_code_start;
	unsigned int i, p;
	int max_vcpus, r;

	vmm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vmm->kvm_fd < 0) {
		fprintf(stderr, "testvmm: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	r = ioctl(vmm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "testvmm: KVM API version %d, want %d\n", r,
			KVM_API_VERSION);
		return 1;
	}
	/* KVM's own documented fallbacks when MAX_VCPUS is missing. */
	max_vcpus = kvm_check(vmm, KVM_CAP_MAX_VCPUS);
	if (!max_vcpus)
		max_vcpus = kvm_check(vmm, KVM_CAP_NR_VCPUS);
	if (!max_vcpus)
		max_vcpus = 4;
	if (cfg->nr_vcpus > (unsigned int)max_vcpus) {
		fprintf(stderr, "testvmm: --vcpus: %u exceeds this host's KVM_CAP_MAX_VCPUS (%d)\n",
			cfg->nr_vcpus, max_vcpus);
		return 2;
	}
	if (cfg->duration_ns && !kvm_check(vmm, KVM_CAP_IMMEDIATE_EXIT)) {
		fprintf(stderr, "testvmm: --duration needs KVM_CAP_IMMEDIATE_EXIT\n");
		return 1;
	}

	vmm->vm_fd = ioctl(vmm->kvm_fd, KVM_CREATE_VM, 0);
	if (vmm->vm_fd < 0) {
		fprintf(stderr, "testvmm: KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}

	vmm->mem = mmap(NULL, TESTVMM_MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vmm->mem == MAP_FAILED) {
		vmm->mem = NULL;
		fprintf(stderr, "testvmm: mmap guest memory: %s\n", strerror(errno));
		return 1;
	}
	if (code_size > TESTVMM_CODE_MAX) {
		fprintf(stderr, "testvmm: guest code is %zu bytes, max %d\n",
			code_size, TESTVMM_CODE_MAX);
		return 1;
	}
	memcpy(vmm->mem + TESTVMM_CODE_BASE, guest_code_start, code_size);
	r = guest_arch_setup(vmm);
	if (r)
		return r;
#if !defined(__aarch64__)
	if (cfg->sync_state && sync_setup(vmm))
		return 1;
	if (timed_halts(cfg)) {
		if (supported_cpuid(vmm, "--hlt-quick/--hlt-late"))
			return 1;
		/* Before any vCPU: KVM then emulates the LAPIC, its timer and the HLT's wakeup. */
		if (ioctl(vmm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
			fprintf(stderr, "testvmm: --hlt-quick/--hlt-late: KVM_CREATE_IRQCHIP: %s\n",
				strerror(errno));
			return 1;
		}
	}
#endif
	for (i = 0; i < cfg->nr_vcpus; i++) {
		unsigned char *b = vmm->mem + TESTVMM_PARAM_BASE +
				   i * TESTVMM_PARAM_STRIDE;

		write_u32(b + TESTVMM_P_NPHASES, cfg->nr_phases);
		for (p = 0; p < cfg->nr_phases; p++) {
			int c;

			/* Overflow was ruled out while parsing. */
			for (c = 0; c < NR_PHASE_COUNTS; c++)
				write_u32(b + TESTVMM_P_PHASES +
					  p * TESTVMM_PHASE_SIZE + 4 * c,
					  cfg->phases[p].count[c] * cfg->scale[i]);
		}
#if !defined(__aarch64__)
		write_u32(b + TESTVMM_P_X_MSR_FAULT, cfg->msr_fault);
		write_u32(b + TESTVMM_P_X_CPUID_SUB, cfg->cpuid_sub);
		write_u32(b + TESTVMM_P_X_HLT_QUICK, cfg->hlt_quick);
		write_u32(b + TESTVMM_P_X_HLT_LATE, cfg->hlt_late);
		write_u32(b + TESTVMM_P_X_QUICK_NS, cfg->hlt_quick_us * 1000);
		write_u32(b + TESTVMM_P_X_LATE_NS, cfg->hlt_late_us * 1000);
		memcpy(b + TESTVMM_P_TSC_JUMP_BY, &cfg->tsc_jump, sizeof(cfg->tsc_jump));
#endif
	}

	if (set_memory_region(vmm, 0, 0, TESTVMM_MEM_SIZE, vmm->mem, ""))
		return 1;

	r = ioctl(vmm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run)) {
		fprintf(stderr, "testvmm: KVM_GET_VCPU_MMAP_SIZE: %s\n",
			r < 0 ? strerror(errno) : "too small");
		return 1;
	}
	vmm->run_size = r;

	/* The hot-added ones come later (hot_add_vcpus). */
	for (i = 0; i < cfg->nr_vcpus - cfg->hot_add; i++)
		if (vcpu_create(vmm, &vmm->vcpus[i]))
			return 1;
	return 0;
}

/* ---- output ---- */

static void print_causes(const uint64_t *caused)
{
	int c;

	printf("{");
	for (c = 0; c < NR_CAUSES; c++)
		printf("%s\"%s\":%" PRIu64, c ? "," : "", cause_names[c],
		       caused[c]);
	printf("}");
}

static void print_run_returns(const uint64_t *returns, uint64_t eintr)
{
	char buf[32];
	uint32_t r;

	printf("{");
	for (r = 0; r < NR_EXIT_SLOTS; r++)
		if (returns[r])
			printf("\"%s\":%" PRIu64 ",",
			       exit_name(r, buf, sizeof(buf)), returns[r]);
	printf("\"EINTR\":%" PRIu64 "}", eintr);
}

static uint64_t timeval_ns(const struct timeval *tv)
{
	return tv->tv_sec * NSEC_PER_SEC + tv->tv_usec * 1000ULL;
}

#if !defined(__aarch64__)
/*
 * Every MSR access and CPUID the vCPU's guest made, as kvm:kvm_msr and
 * kvm:kvm_cpuid see them: the phases' rdmsr, wrmsr and cpuid, and the
 * extras, with the timed HLTs' x2APIC setup, TMICT writes and EOIs.
 */
static void print_tally_truth(const struct vcpu *v)
{
	const struct config *cfg = &v->vmm->cfg;
	uint64_t x = v->extras_done, halts = x * (cfg->hlt_quick + cfg->hlt_late);
	uint64_t apic = x && timed_halts(cfg);
	const struct { uint32_t msr; const char *dir; uint64_t count, faults; } msrs[] = {
		{ TESTVMM_MSR, "read", v->caused[C_RDMSR], 0 },
		{ TESTVMM_MSR, "write", v->caused[C_WRMSR], 0 },
		{ TESTVMM_BAD_MSR, "read", x * cfg->msr_fault, x * cfg->msr_fault },
		{ TESTVMM_MSR_APIC_BASE, "read", apic, 0 },
		{ TESTVMM_MSR_APIC_BASE, "write", apic, 0 },
		{ TESTVMM_MSR_X2APIC_SPIV, "write", apic, 0 },
		{ TESTVMM_MSR_X2APIC_LVTT, "write", apic, 0 },
		{ TESTVMM_MSR_X2APIC_TDCR, "write", apic, 0 },
		{ TESTVMM_MSR_X2APIC_TMICT, "write", halts, 0 },
		/* The handler counts its own: a stray interrupt on its vector is one more. */
		{ TESTVMM_MSR_X2APIC_EOI, "write", v->eois, 0 },
	};
	bool first = true;

	printf(",\"extras_done\":%s,\"timed_hlts\":{\"quick\":%" PRIu64 ",\"late\":%" PRIu64
	       ",\"quick_us\":%" PRIu32 ",\"late_us\":%" PRIu32 ",\"eois\":%" PRIu32 "},\"msrs\":[",
	       v->extras_done ? "true" : "false", x * cfg->hlt_quick, x * cfg->hlt_late,
	       cfg->hlt_quick_us, cfg->hlt_late_us, v->eois);
	for (size_t i = 0; i < ARRAY_SIZE(msrs); i++) {
		if (!msrs[i].count)
			continue;
		printf("%s{\"msr\":%" PRIu32 ",\"dir\":\"%s\",\"count\":%" PRIu64 ",\"faults\":%" PRIu64 "}",
		       first ? "" : ",", msrs[i].msr, msrs[i].dir, msrs[i].count, msrs[i].faults);
		first = false;
	}
	printf("],\"cpuid_leaves\":[");
	if (v->caused[C_CPUID])
		printf("{\"leaf\":0,\"subleaf\":0,\"count\":%" PRIu64 "}", v->caused[C_CPUID]);
	if (x && cfg->cpuid_sub)
		printf("%s{\"leaf\":%d,\"subleaf\":%d,\"count\":%" PRIu64 "}", v->caused[C_CPUID] ? "," : "",
		       TESTVMM_SUB_LEAF, TESTVMM_SUBLEAF, x * cfg->cpuid_sub);
	printf("]");
}
#endif

static void print_json(const struct vmm *vmm)
{
	const struct config *cfg = &vmm->cfg;
	uint64_t caused[NR_CAUSES] = { 0 };
	uint64_t returns[NR_EXIT_SLOTS] = { 0 };
	uint64_t eintr = 0;
	struct rusage ru;
	unsigned int i, p;
	int c;

	printf("{\"pid\":%d,\"start_ticks\":%llu,\"arch\":\"" TESTVMM_ARCH "\",\"mode\":\"%s\",\"duration_ns\":%" PRIu64
	       ",\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64
	       ",\"clock\":\"CLOCK_MONOTONIC\""
	       ",\"phase_ends_ns_scope\":\"per vCPU, first round, when the VMM handled each phase's control exit\""
	       ",\"" IDLE_KEY "\":%" PRIu32 ",\"stray_interrupts\":%" PRIu32,
	       (int)getpid(), (unsigned long long)pid_start_ticks(getpid()),
	       cfg->duration_ns ? "duration" : "count",
	       vmm->end_ns - vmm->start_ns, vmm->start_ns, vmm->end_ns,
	       cfg->idle_us, stray_interrupts(vmm));
#if !defined(__aarch64__)
	printf(",\"tsc_jump\":%" PRIu64, cfg->tsc_jump);
	printf(",\"slow_every\":%" PRIu32 ",\"slow_ms\":%" PRIu32 ",\"sync_state\":%s,\"sync_sleep_us\":%" PRIu32,
	       cfg->slow_every, cfg->slow_ms, cfg->sync_state ? "true" : "false", cfg->sync_sleep_us);
#endif
	printf(",\"phases\":[");
	for (p = 0; p < cfg->nr_phases; p++) {
		printf("%s{", p ? "," : "");
		for (c = 0; c < NR_PHASE_COUNTS; c++)
			printf("%s\"%s\":%" PRIu32, c ? "," : "", cause_names[c],
			       cfg->phases[p].count[c]);
		printf("}");
	}
	printf("],\"vcpus\":[");
	for (i = 0; i < cfg->nr_vcpus; i++) {
		const struct vcpu *v = &vmm->vcpus[i];
		uint32_t r;

		printf("%s{\"id\":%u,\"tid\":%d,\"hot_added\":%s,\"scale\":%" PRIu32
		       ",\"rounds\":%" PRIu64 ",\"caused\":",
		       i ? "," : "", v->id, (int)v->tid, v->hot_added ? "true" : "false",
		       cfg->scale[i], v->rounds);
		print_causes(v->caused);
		printf(",\"kvm_run_returns\":");
		print_run_returns(v->run_returns, v->run_eintr);
		printf(",\"eintr_exit_reason_intr\":%" PRIu64, v->run_eintr_intr);
#if !defined(__aarch64__)
		printf(",\"fail_entry_reason\":%" PRIu64 ",\"slow_exits\":%" PRIu64 ",\"syncs\":%" PRIu64,
		       v->fail_entry_reason, v->slow_exits, v->syncs);
		print_tally_truth(v);
		printf(",\"pio_out_rip\":%td,\"pio_in_rip\":%td", guest_pio_out - guest_code_start,
		       guest_pio_in - guest_code_start);
		printf(",\"slow_exit_guest_tsc\":[");
		for (uint64_t k = 0; k < v->slow_exits && k < MAX_SLOW_TSCS; k++)
			printf("%s%" PRIu64, k ? "," : "", v->slow_tsc[k]);
		printf("]");
#endif
#if !defined(__aarch64__)
		printf(",\"hlt_slept_ns\":%" PRIu64 ",\"bql_wait_ns\":%" PRIu64 ",\"bql_locks\":%" PRIu64,
		       v->hlt_slept_ns, v->bql_wait_ns, v->bql_locks);
#endif
		if (v->schedstat_ok)
			printf(",\"schedstat\":{\"on_cpu_ns\":%" PRIu64 ",\"run_delay_ns\":%" PRIu64 "}",
			       v->sched_on_ns, v->sched_delay_ns);
		printf(",\"phase_ends_ns\":[");
		for (p = 0; p < v->nr_phase_ends; p++)
			printf("%s%" PRIu64, p ? "," : "", v->phase_end_ns[p]);
		printf("]");
#if defined(__aarch64__)
		print_kvm_stats(v);
#endif
		printf("}");

		for (c = 0; c < NR_CAUSES; c++)
			caused[c] += v->caused[c];
		for (r = 0; r < NR_EXIT_SLOTS; r++)
			returns[r] += v->run_returns[r];
		eintr += v->run_eintr;
	}
	printf("],\"totals\":{\"caused\":");
	print_causes(caused);
	printf(",\"kvm_run_returns\":");
	print_run_returns(returns, eintr);
	/* Our own CPU time, so that a tool that runs us as its child (perf) can be told apart. */
	getrusage(RUSAGE_SELF, &ru);
	printf("},\"rusage\":{\"user_ns\":%" PRIu64 ",\"sys_ns\":%" PRIu64 "}}\n",
	       timeval_ns(&ru.ru_utime), timeval_ns(&ru.ru_stime));
	fflush(stdout);
}

/* Count mode: each vCPU did exactly one round of what it was asked. */
static int verify_counts(const struct vmm *vmm)
{
	const struct config *cfg = &vmm->cfg;
	unsigned int i, p;
	int c, ret = 0;

	for (i = 0; i < cfg->nr_vcpus; i++) {
		const struct vcpu *v = &vmm->vcpus[i];

		for (c = 0; c < NR_CAUSES; c++) {
			uint64_t want = 0;

			if (c == C_CONTROL)
				want = cfg->nr_phases;
#if !defined(__aarch64__)
			else if (c == C_FAIL_ENTRY)
				want = cfg->fail_entry;
#endif
			else
				for (p = 0; p < cfg->nr_phases; p++)
					want += (uint64_t)cfg->phases[p].count[c] *
						cfg->scale[i];
			if (v->caused[c] != want) {
				fprintf(stderr, "testvmm: vCPU %u caused %" PRIu64 " %s exits, requested %" PRIu64 "\n",
					i, v->caused[c], cause_names[c], want);
				ret = -1;
			}
		}
#if !defined(__aarch64__)
		if (!v->extras_done) {
			fprintf(stderr, "testvmm: vCPU %u did not finish its extras (--msr-fault, "
				"--cpuid-sub, --hlt-quick, --hlt-late)\n", i);
			ret = -1;
		}
#endif
	}
	return ret;
}

/* ---- main ---- */

/* Waits until all vCPU threads are done, one failed, or time is up. */
static void wait_for_vcpus(struct vmm *vmm)
{
	struct timespec deadline;

	ns_to_timespec(vmm->start_ns + vmm->cfg.duration_ns, &deadline);
	pthread_mutex_lock(&vmm->lock);
	while (vmm->nr_running && !vmm->failed) {
		if (!vmm->cfg.duration_ns) {
			pthread_cond_wait(&vmm->cond, &vmm->lock);
		} else if (pthread_cond_timedwait(&vmm->cond, &vmm->lock,
						  &deadline) == ETIMEDOUT) {
			break;
		}
	}
	pthread_mutex_unlock(&vmm->lock);
}

static int start_vcpu_thread(struct vmm *vmm, struct vcpu *v)
{
	int r;

	pthread_mutex_lock(&vmm->lock);
	vmm->nr_running++;
	pthread_mutex_unlock(&vmm->lock);
	r = pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (r) {
		pthread_mutex_lock(&vmm->lock);
		vmm->nr_running--;
		pthread_mutex_unlock(&vmm->lock);
		fprintf(stderr, "testvmm: creating thread of vCPU %u: %s\n", v->id, strerror(r));
		return -1;
	}
	v->thread_started = true;
	return 0;
}

/*
 * The next thread this process creates gets id tid, unless something else
 * takes it first: the kernel hands out the id after ns_last_pid, if free.
 * The old thread's id is free once /proc no longer lists it, which can be
 * a moment after pthread_join returned.
 */
static int ask_for_tid(pid_t tid)
{
	char path[64];
	int fd, n, tries;

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	for (tries = 0; !access(path, F_OK) && tries < 1000; tries++) {
		struct timespec ts = { .tv_nsec = 1000000L };

		nanosleep(&ts, NULL);
	}
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "testvmm: --reuse-tids: /proc/sys/kernel/ns_last_pid: %s\n",
			strerror(errno));
		return -1;
	}
	n = dprintf(fd, "%d", (int)tid - 1);
	if (n < 0) {
		fprintf(stderr, "testvmm: --reuse-tids: writing /proc/sys/kernel/ns_last_pid: %s\n",
			strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * Hot-add: once the first vCPUs are done and their threads gone, create
 * the last cfg.hot_add vCPUs (KVM_CREATE_VCPU on the running VM, as QEMU
 * does) and run them, each on a new thread; with --reuse-tids, hot-added
 * vCPU j's thread asks for the id vCPU j's thread had.
 */
static int hot_add_vcpus(struct vmm *vmm)
{
	const struct config *cfg = &vmm->cfg;
	unsigned int nr_first = cfg->nr_vcpus - cfg->hot_add, i;

	for (i = 0; i < nr_first; i++) {
		pthread_join(vmm->vcpus[i].thread, NULL);
		vmm->vcpus[i].thread_started = false;
	}
	for (i = nr_first; i < cfg->nr_vcpus; i++) {
		struct vcpu *v = &vmm->vcpus[i];

		v->hot_added = true;
		if (vcpu_create(vmm, v))
			return -1;
		if (cfg->reuse_tids && ask_for_tid(vmm->vcpus[i - nr_first].tid))
			return -1;
		if (start_vcpu_thread(vmm, v))
			return -1;
	}
	wait_for_vcpus(vmm);
	return 0;
}

#if !defined(__aarch64__)
static atomic_bool bql_holder_stop, bql_held;

/*
 * --bql-hold-us: hold the BQL that long, leave it a tenth of that, until
 * the vCPUs are done: nearly every vCPU that wants it waits.
 */
static void *bql_holder(void *arg)
{
	const struct vmm *vmm = arg;
	uint64_t hold = vmm->cfg.bql_hold_us * 1000ULL, gap = hold / 10;
	struct timespec ts = { .tv_sec = hold / NSEC_PER_SEC, .tv_nsec = hold % NSEC_PER_SEC },
			free_ts = { .tv_sec = gap / NSEC_PER_SEC, .tv_nsec = gap % NSEC_PER_SEC };

	while (!atomic_load(&bql_holder_stop)) {
		bql_lock();
		atomic_store(&bql_held, true);
		nanosleep(&ts, NULL);
		bql_unlock();
		nanosleep(&free_ts, NULL);
	}
	return NULL;
}
#endif

int main(int argc, char **argv)
{
#if !defined(__aarch64__)
	pthread_t bql_thread;
#endif
	struct vmm vmm = { .kvm_fd = -1, .vm_fd = -1, .gate = GATE_WAIT };
	struct config *cfg = &vmm.cfg;
	pthread_condattr_t cattr;
	struct sigaction sa;
	unsigned int i;
	struct rlimit nofile;
	unsigned int nr_first;
	bool failed;
	int status = 1, r;

	atomic_init(&vmm.stop, false);
	r = parse_args(cfg, argc, argv);
	if (r) {
		status = r > 0 ? 0 : 2;
		goto cleanup;
	}

	/* A file descriptor per vCPU: as QEMU does, raise the soft limit to the hard one. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	vmm.vcpus = calloc(cfg->nr_vcpus, sizeof(*vmm.vcpus));
	if (!vmm.vcpus) {
		perror("testvmm: calloc");
		goto cleanup;
	}
	for (i = 0; i < cfg->nr_vcpus; i++) {
		vmm.vcpus[i].vmm = &vmm;
		vmm.vcpus[i].id = i;
		vmm.vcpus[i].fd = -1;
	}

	r = vm_create(&vmm);
	if (r) {
		status = r;
		goto cleanup;
	}
	nr_first = cfg->nr_vcpus - cfg->hot_add;
	for (i = 0; i < cfg->nr_vcpus; i++)
		vmm.vcpus[i].params = vmm.mem + TESTVMM_PARAM_BASE +
				      i * TESTVMM_PARAM_STRIDE;

	/* No SA_RESTART: the kick must make KVM_RUN fail with EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0) {
		perror("testvmm: sigaction");
		goto cleanup;
	}

	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_mutex_init(&vmm.lock, NULL);
	pthread_cond_init(&vmm.cond, &cattr);
	pthread_condattr_destroy(&cattr);
	vmm.sync_ready = true;

	for (i = 0; i < nr_first; i++)
		if (start_vcpu_thread(&vmm, &vmm.vcpus[i]))
			goto cleanup;

	/* All threads named and registers set before anyone can attach. */
	pthread_mutex_lock(&vmm.lock);
	while (vmm.nr_ready < nr_first)
		pthread_cond_wait(&vmm.cond, &vmm.lock);
	failed = false;
	for (i = 0; i < nr_first; i++)
		failed |= vmm.vcpus[i].failed;
	pthread_mutex_unlock(&vmm.lock);
	if (failed)
		goto cleanup;

	fprintf(stderr, "testvmm: pid %d ready\n", (int)getpid());
	if (cfg->delay_ms) {
		struct timespec ts = {
			.tv_sec = cfg->delay_ms / 1000,
			.tv_nsec = (cfg->delay_ms % 1000) * 1000000L,
		};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
	while (cfg->wait_for && access(cfg->wait_for, F_OK)) {
		struct timespec ts = { .tv_nsec = 10000000L };

		nanosleep(&ts, NULL);
	}

#if !defined(__aarch64__)
	if (cfg->bql_hold_us && pthread_create(&bql_thread, NULL, bql_holder, &vmm)) {
		fprintf(stderr, "testvmm: cannot start the BQL holder thread\n");
		goto cleanup;
	}
	/* The vCPUs start once it holds the mutex: else a short run could miss it. */
	while (cfg->bql_hold_us && !atomic_load(&bql_held)) {
		struct timespec ts = { .tv_nsec = 100000L };

		nanosleep(&ts, NULL);
	}
#endif
	pthread_mutex_lock(&vmm.lock);
	vmm.start_ns = now_ns();
	vmm.gate = GATE_RUN;
	pthread_cond_broadcast(&vmm.cond);
	pthread_mutex_unlock(&vmm.lock);

	wait_for_vcpus(&vmm);
#if !defined(__aarch64__)
	if (cfg->bql_hold_us) {
		atomic_store(&bql_holder_stop, true);
		pthread_join(bql_thread, NULL);
	}
#endif
	if (cfg->hot_add && !vmm.failed && hot_add_vcpus(&vmm))
		vmm.failed = true;
	stop_vcpus(&vmm);
	for (i = 0; i < cfg->nr_vcpus; i++) {
		if (!vmm.vcpus[i].thread_started)
			continue;
		pthread_join(vmm.vcpus[i].thread, NULL);
		vmm.vcpus[i].thread_started = false;
	}
	vmm.end_ns = now_ns();

	if (vmm.failed)
		goto cleanup;
	if (!cfg->duration_ns && verify_counts(&vmm))
		goto cleanup;
	print_json(&vmm);
	status = 0;
	/* Still a VM (its fds open) until told to go. */
	while (cfg->linger_for && access(cfg->linger_for, F_OK)) {
		struct timespec ts = { .tv_nsec = 10000000L };

		nanosleep(&ts, NULL);
	}

cleanup:
	if (vmm.sync_ready) {
		/* Threads still parked at the start gate (error paths). */
		pthread_mutex_lock(&vmm.lock);
		if (vmm.gate == GATE_WAIT)
			vmm.gate = GATE_ABORT;
		pthread_cond_broadcast(&vmm.cond);
		pthread_mutex_unlock(&vmm.lock);
	}
	if (vmm.vcpus) {
		for (i = 0; i < cfg->nr_vcpus; i++) {
			struct vcpu *v = &vmm.vcpus[i];

			if (v->thread_started)
				pthread_join(v->thread, NULL);
			if (v->run)
				munmap(v->run, vmm.run_size);
			if (v->fd >= 0)
				close(v->fd);
#if !defined(__aarch64__)
			if (v->sync)
				free(v->sync->xsave);
			free(v->sync);
#endif
		}
	}
	if (vmm.sync_ready) {
		pthread_cond_destroy(&vmm.cond);
		pthread_mutex_destroy(&vmm.lock);
	}
	if (vmm.vm_fd >= 0)
		close(vmm.vm_fd);
	if (vmm.mem)
		munmap(vmm.mem, TESTVMM_MEM_SIZE);
#if !defined(__aarch64__)
	if (vmm.bios)
		munmap(vmm.bios, TESTVMM_BIOS_SIZE);
	free(vmm.cpuid);
#endif
	if (vmm.kvm_fd >= 0)
		close(vmm.kvm_fd);
	free(vmm.vcpus);
	free(cfg->scale);
	return status;
}
