// SPDX-License-Identifier: GPL-2.0
/*
 * testvmm's arm64 side: the guest's setup, its exits and their handling.
 * Not a compilation unit of its own: testvmm.c includes it when built
 * for arm64, in place of its x86 functions of the same names.
 *
 * The VM has no irqchip (no vGIC), the guest runs at EL1 with the MMU off
 * and DAIF masked, so nothing interrupts it. Its exits (guest_arm64.S):
 * system register reads, HVCs and WFIs are handled by KVM in the kernel
 * and counted by the guest in x19-x21; MMIO writes and reads and the
 * phase ends come to us as KVM_EXIT_MMIO. A WFI traps (HCR_EL2.TWI) and
 * blocks in the kernel until something is pending: we send the vCPU
 * thread a signal every --wfi-wake-us while its guest is in a phase's
 * WFIs, and KVM_RUN returns EINTR.
 *
 * A WFI traps only when it would wait (HCR_EL2.TWI, by the architecture):
 * one that finds an interrupt for the host pending completes in the guest
 * without an exit. Under TCG that happens to a few in a thousand, so the
 * guest's count ("wfi" in "caused") is of WFIs executed, and how many
 * KVM handled comes from KVM's own per-vCPU statistics (KVM_GET_STATS_FD,
 * "kvm_stats" in the JSON: wfi_exit_stat and the rest).
 */
#include <asm/ptrace.h>

/* glibc names the union member only since 2.37. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static int phase_end(struct vcpu *v, unsigned int index);
static int unexpected_exit(struct vcpu *v);

static void usage(FILE *f)
{
	fprintf(f,
		"usage: testvmm [--vcpus N] [--sysreg N] [--hvc N] [--mmio N] [--mmio-read N]\n"
		"               [--wfi N] [--scale M0,M1,...]\n"
		"               [--phase sysreg=N,hvc=N,mmio=N,mmio_read=N,wfi=N]...\n"
		"               [--duration SEC] [--delay MS] [--wait-for PATH]\n"
		"               [--wfi-wake-us US] [--hot-add K [--reuse-tids]]\n"
		"               [--linger-for PATH] [--help]\n"
		"\n"
		"Runs an arm64 EL1 guest that, per phase, reads ID_AA64PFR0_EL1 (trapped\n"
		"by KVM), calls HVC SMCCC_VERSION, writes and reads a byte at MMIO 0x%x\n"
		"and executes WFI the given number of times, then marks the phase end\n"
		"with a byte write to MMIO 0x%x. Prints JSON ground truth on stdout.\n"
		"\n"
		"  --vcpus N          vCPU threads (default 1, max %d and KVM_CAP_MAX_VCPUS)\n"
		"  --sysreg/--hvc/--mmio/--mmio-read/--wfi N\n"
		"                     counts of a single phase (default 0)\n"
		USAGE_PHASES_TO_WAIT_FOR
		"  --wfi-wake-us US   while a vCPU's guest is in its WFIs, signal its thread\n"
		"                     every US (default %d): the wake-up that ends each\n"
		"                     WFI, with KVM_RUN returning EINTR\n"
		USAGE_HOT_ADD_REUSE_TIDS
		USAGE_LINGER_FOR,
		TESTVMM_MMIO_GPA, TESTVMM_CTRL_GPA, TESTVMM_MAX_VCPUS,
		TESTVMM_MAX_PHASES, IDLE_DEFAULT_US);
}

#define CORE_REG(name) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
			KVM_REG_ARM_CORE_REG(name))
#define REG_PC		CORE_REG(regs.pc)
#define REG_PSTATE	CORE_REG(regs.pstate)
#define REG_X(n)	CORE_REG(regs.regs[n])
#define REG_VBAR_EL1	ARM64_SYS_REG(3, 0, 12, 0, 0)
#define REG_ESR_EL1	ARM64_SYS_REG(3, 0, 5, 2, 0)
#define REG_ELR_EL1	ARM64_SYS_REG(3, 0, 4, 0, 1)
#define REG_FAR_EL1	ARM64_SYS_REG(3, 0, 6, 0, 0)

/* EL1 with SP_EL1, debug, SError, IRQ and FIQ masked. */
#define GUEST_PSTATE	(PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

/* What KVM_ARM_VCPU_INIT gets for every vCPU: this host's preferred target. */
static struct kvm_vcpu_init vcpu_init_template;

static int get_reg(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return vcpu_ioctl(v, KVM_GET_ONE_REG, &reg);
}

static int set_reg(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return vcpu_ioctl(v, KVM_SET_ONE_REG, &reg);
}

static uint64_t blob_gpa(const unsigned char *label)
{
	return TESTVMM_CODE_BASE + (uint64_t)(label - guest_code_start);
}

/* Called by vm_create once the code and RAM are in place. */
static int guest_arch_setup(struct vmm *vmm)
{
	if (ioctl(vmm->vm_fd, KVM_ARM_PREFERRED_TARGET, &vcpu_init_template) < 0) {
		fprintf(stderr, "testvmm: KVM_ARM_PREFERRED_TARGET: %s\n", strerror(errno));
		return 1;
	}
	/* No features: no PSCI 0.2 power-off start, no PMU, no SVE. */
	memset(vcpu_init_template.features, 0, sizeof(vcpu_init_template.features));
	return 0;
}

/* Nothing can interrupt the guest: an exception stops the run instead. */
static uint32_t stray_interrupts(const struct vmm *vmm)
{
	return 0;
}

static bool vcpu_needs_wake_timer(const struct vcpu *v)
{
	const struct config *cfg = &v->vmm->cfg;
	unsigned int p;

	for (p = 0; p < cfg->nr_phases; p++)
		if (scaled(v, p, C_WFI))
			return true;
	return false;
}

/* In the vCPU's own thread (its tid is known). */
static int vcpu_setup(struct vcpu *v)
{
	struct kvm_vcpu_init init = vcpu_init_template;
	uint64_t params = TESTVMM_PARAM_BASE + (uint64_t)v->id * TESTVMM_PARAM_STRIDE;

	if (vcpu_ioctl(v, KVM_ARM_VCPU_INIT, &init) < 0) {
		vcpu_fail(v, "KVM_ARM_VCPU_INIT (target %u): %s", init.target, strerror(errno));
		return -1;
	}
	if (set_reg(v, REG_PC, blob_gpa(guest_entry)) < 0 ||
	    set_reg(v, REG_PSTATE, GUEST_PSTATE) < 0 ||
	    set_reg(v, REG_X(0), params) < 0 ||
	    set_reg(v, REG_VBAR_EL1, TESTVMM_CODE_BASE) < 0) {
		vcpu_fail(v, "KVM_SET_ONE_REG: %s", strerror(errno));
		return -1;
	}
	if (vcpu_needs_wake_timer(v)) {
		struct sigevent sev = {
			.sigev_notify = SIGEV_THREAD_ID,
			.sigev_signo = SIGUSR1,
		};

		sev.sigev_notify_thread_id = v->tid;
		if (timer_create(CLOCK_MONOTONIC, &sev, &v->wake_timer) < 0) {
			vcpu_fail(v, "timer_create: %s", strerror(errno));
			return -1;
		}
		v->has_wake_timer = true;
	}
	return 0;
}

static void wfi_wake_arm(struct vcpu *v, bool on)
{
	uint64_t ns = (uint64_t)v->vmm->cfg.idle_us * 1000;
	struct itimerspec its = { 0 };

	if (on) {
		ns_to_timespec(ns, &its.it_value);
		its.it_interval = its.it_value;
	}
	if (timer_settime(v->wake_timer, 0, &its, NULL) == 0)
		v->wake_armed = on;
}

/*
 * Before each KVM_RUN: the wake-up signals run while the guest can be in
 * the current phase's WFIs, that is once its MMIO writes and reads (the
 * last exits we see before the WFIs) are done, until its end marker.
 */
static void wfi_wake_update(struct vcpu *v)
{
	unsigned int p = v->next_phase;
	bool want;

	if (!v->has_wake_timer)
		return;
	want = scaled(v, p, C_WFI) &&
	       v->caused[C_MMIO] - v->phase_start[C_MMIO] == scaled(v, p, C_MMIO) &&
	       v->caused[C_MMIO_READ] - v->phase_start[C_MMIO_READ] == scaled(v, p, C_MMIO_READ);
	if (want != v->wake_armed)
		wfi_wake_arm(v, want);
}

static void wfi_wake_delete(struct vcpu *v)
{
	if (!v->has_wake_timer)
		return;
	timer_delete(v->wake_timer);
	v->has_wake_timer = false;
	v->wake_armed = false;
}

/* Best effort, for error messages only: where the guest is. */
static void vcpu_where(struct vcpu *v, char *buf, size_t len)
{
	uint64_t pc, pstate;

	if (get_reg(v, REG_PC, &pc) < 0 || get_reg(v, REG_PSTATE, &pstate) < 0) {
		snprintf(buf, len, "unknown pc (%s)", strerror(errno));
		return;
	}
	snprintf(buf, len, "pc 0x%" PRIx64 " (guest code +0x%" PRIx64 ") pstate 0x%" PRIx64,
		 pc, pc - TESTVMM_CODE_BASE, pstate);
}

/* The guest's own count of the exits KVM handles in the kernel. */
static int read_guest_counters(struct vcpu *v)
{
	if (get_reg(v, REG_X(TESTVMM_REG_SYSREG_DONE), &v->caused[C_SYSREG]) < 0 ||
	    get_reg(v, REG_X(TESTVMM_REG_HVC_DONE), &v->caused[C_HVC]) < 0 ||
	    get_reg(v, REG_X(TESTVMM_REG_WFI_DONE), &v->caused[C_WFI]) < 0) {
		vcpu_fail(v, "KVM_GET_ONE_REG (the guest's counts): %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The guest took an exception: its vector told us which. */
static int guest_exception(struct vcpu *v, uint64_t vector)
{
	static const char *const kinds[] = { "synchronous", "IRQ", "FIQ", "SError" };
	uint64_t esr = 0, elr = 0, far = 0;

	get_reg(v, REG_ESR_EL1, &esr);
	get_reg(v, REG_ELR_EL1, &elr);
	get_reg(v, REG_FAR_EL1, &far);
	vcpu_fail(v, "the guest took a%s %s exception (vector %" PRIu64 "): ESR_EL1 0x%" PRIx64
		  " (class 0x%" PRIx64 ") ELR_EL1 0x%" PRIx64 " FAR_EL1 0x%" PRIx64
		  ", round %" PRIu64 " phase %u",
		  vector % 4 == 0 ? "" : "n", kinds[vector % 4], vector, esr, esr >> 26,
		  elr, far, v->rounds, v->next_phase);
	return -1;
}

/* The vCPU's cumulative KVM statistics (KVM_GET_STATS_FD), once it has stopped. */
static void vcpu_read_stats(struct vcpu *v)
{
	struct kvm_stats_header h;
	unsigned char *descs = NULL;
	size_t desc_size;
	uint32_t i;
	int fd;

	fd = vcpu_ioctl(v, KVM_GET_STATS_FD, NULL);
	if (fd < 0) {
		vcpu_fail(v, "KVM_GET_STATS_FD: %s", strerror(errno));
		return;
	}
	errno = 0;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		goto bad;
	desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, desc_size);
	if (!descs ||
	    pread(fd, descs, h.num_desc * desc_size, h.desc_offset) != (ssize_t)(h.num_desc * desc_size))
		goto bad;
	for (i = 0; i < h.num_desc && v->nr_stats < ARRAY_SIZE(v->stats); i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * desc_size);
		uint64_t value;

		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d->size != 1)
			continue;
		if (pread(fd, &value, sizeof(value), h.data_offset + d->offset) != sizeof(value))
			goto bad;
		snprintf(v->stats[v->nr_stats].name, sizeof(v->stats[0].name), "%.*s",
			 (int)h.name_size, d->name);
		v->stats[v->nr_stats++].value = value;
	}
	free(descs);
	close(fd);
	return;
bad:
	vcpu_fail(v, "reading the KVM statistics: %s", errno ? strerror(errno) : "short read");
	free(descs);
	close(fd);
}

static void print_kvm_stats(const struct vcpu *v)
{
	unsigned int i;

	printf(",\"kvm_stats\":{");
	for (i = 0; i < v->nr_stats; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", v->stats[i].name, v->stats[i].value);
	printf("}");
}

/* Returns 1 when the vCPU is done, 0 to re-enter, -1 on error. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t value = 0;

	if (run->exit_reason != KVM_EXIT_MMIO)
		return unexpected_exit(v);
	if (run->mmio.len <= sizeof(value))
		memcpy(&value, run->mmio.data, run->mmio.len);
	switch (run->mmio.phys_addr) {
	case TESTVMM_MMIO_GPA:
		if (run->mmio.len != 1)
			break;
		if (run->mmio.is_write) {
			v->caused[C_MMIO]++;
		} else {
			run->mmio.data[0] = 0x5a;
			v->caused[C_MMIO_READ]++;
		}
		return 0;
	case TESTVMM_CTRL_GPA:
		if (run->mmio.len != 1 || !run->mmio.is_write)
			break;
		return phase_end(v, value);
	case TESTVMM_EXC_GPA:
		if (run->mmio.len != 8 || !run->mmio.is_write)
			break;
		return guest_exception(v, value);
	}
	return unexpected_exit(v);
}

/*
 * The guest's counters miss an instruction that completed right before
 * we stopped the vCPU; PC tells whether that happened.
 */
static int vcpu_final_counts(struct vcpu *v)
{
	uint64_t pc;

	if (v->wake_armed)
		wfi_wake_arm(v, false);
	if (read_guest_counters(v))
		return -1;
	if (get_reg(v, REG_PC, &pc) < 0) {
		vcpu_fail(v, "KVM_GET_ONE_REG (pc): %s", strerror(errno));
		return -1;
	}
	if (pc == blob_gpa(guest_after_sysreg))
		v->caused[C_SYSREG]++;
	else if (pc == blob_gpa(guest_after_hvc))
		v->caused[C_HVC]++;
	else if (pc == blob_gpa(guest_after_wfi))
		v->caused[C_WFI]++;
	vcpu_read_stats(v);
	return 0;
}
