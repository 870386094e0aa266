// SPDX-License-Identifier: GPL-2.0
/* Host checks before loading, and the kvm modules watched while running. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <linux/capability.h>

#include "host.h"
#include "proc.h"
#include "util.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUGFS_TRACING "/sys/kernel/debug/tracing"

/*
 * Whether path can be reached with this process's effective ids and
 * capabilities. Not access(): for a user other than root the kernel checks
 * it with the real ids and no capabilities, so a service user given
 * CAP_DAC_READ_SEARCH would be told tracefs (mode 0700) is not there.
 */
static bool reachable(const char *path)
{
	return !faccessat(AT_FDCWD, path, F_OK, AT_EACCESS);
}

/* libbpf finds tracepoint ids in tracefs: mount it if nobody has. */
static int check_tracefs(void)
{
	int err;

	if (reachable(TRACEFS "/events"))
		return 0;
	err = errno;
	if (reachable(DEBUGFS_TRACING "/events"))
		return 0;
	/* Mounted, but closed to us (mode 0700): not root, and no CAP_DAC_READ_SEARCH. */
	if (err == EACCES) {
		fprintf(stderr, "vmexitprof: cannot read tracefs (" TRACEFS ": %s), where the kvm "
			"tracepoints' ids and formats are: run as root, or with CAP_DAC_READ_SEARCH "
			"besides CAP_BPF and CAP_PERFMON\n", strerror(err));
		return -1;
	}
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL)) {
		fprintf(stderr, "vmexitprof: tracefs is not mounted and mounting it failed (%s); "
			"try: mount -t tracefs nodev " TRACEFS "\n", strerror(errno));
		return -1;
	}
	return 0;
}

bool tracepoint_exists(const char *group_name)
{
	char path[128], legacy[128];

	snprintf(path, sizeof(path), TRACEFS "/events/%s", group_name);
	snprintf(legacy, sizeof(legacy), DEBUGFS_TRACING "/events/%s", group_name);
	return reachable(path) || reachable(legacy);
}

/* Whether this process has capability cap in effect (CapEff in /proc/self/status). */
static bool has_capability(unsigned int cap)
{
	unsigned long long eff = 0;
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return true;	/* cannot tell: let the kernel decide */
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return !found || (eff >> cap) & 1;
}

/*
 * What BPF tracing needs, whoever runs it: CAP_BPF and CAP_PERFMON, or
 * CAP_SYS_ADMIN, which covers both. Root is not required: the service
 * (contrib/vmexitprof.service) runs as its own user with just those two
 * (and CAP_DAC_READ_SEARCH for tracefs, see check_tracefs). Root in a user
 * namespace passes this (its capabilities are its namespace's) and is
 * refused at load instead.
 */
static int check_privileges(void)
{
	if (has_capability(CAP_SYS_ADMIN) || (has_capability(CAP_BPF) && has_capability(CAP_PERFMON)))
		return 0;
	if (geteuid() != 0)
		fprintf(stderr, "vmexitprof: must run as root or with CAP_BPF and CAP_PERFMON: loading BPF "
			"programs on kvm tracepoints needs them (try: sudo vmexitprof)\n");
	else
		fprintf(stderr, "vmexitprof: runs as root but without the capabilities BPF tracing "
			"needs: CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN (dropped by a container runtime, "
			"capsh or setpriv?)\n");
	return -1;
}

int host_check(const __u32 *pids, unsigned int nr)
{
	if (check_privileges())
		return -1;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fprintf(stderr, "vmexitprof: this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); "
			"vmexitprof needs a kernel built with CONFIG_DEBUG_INFO_BTF=y\n");
		return -1;
	}
	for (unsigned int i = 0; i < nr; i++) {
		char name[64];

		__u32 tgid = pid_tgid(pids[i]);

		if (!pid_alive(pids[i])) {
			fprintf(stderr, "vmexitprof: no such process: %u\n", pids[i]);
			return -1;
		}
		/* BPF compares the thread's tgid: a thread id would match nothing. */
		if (tgid && tgid != pids[i]) {
			vm_name(tgid, name, sizeof(name));
			fprintf(stderr, "vmexitprof: %u is a thread of process %u (%s); use -p %u\n",
				pids[i], tgid, name, tgid);
			return -1;
		}
		if (!vm_alive(pids[i], 0)) {
			fprintf(stderr, "vmexitprof: process %u has exited (a zombie its parent has not "
				"reaped)\n", pids[i]);
			return -1;
		}
		if (!pid_is_vm(pids[i])) {
			vm_name(pids[i], name, sizeof(name));
			fprintf(stderr, "vmexitprof: process %u (%s) is not a KVM VM: it holds no kvm-vm "
				"file descriptor\n", pids[i], name);
			return -1;
		}
	}
	if (check_tracefs())
		return -1;
	if (!tracepoint_exists("kvm/kvm_exit")) {
		fprintf(stderr, "vmexitprof: kvm is not loaded: there is no kvm:kvm_exit tracepoint "
			"(load kvm_intel or kvm_amd)\n");
		return -1;
	}
	return 0;
}

bool bpf_refused(int err)
{
	/* EPERM only: the verifier says EACCES of a program it rejects (a bad access). */
	return err == -EPERM;
}

void explain_bpf_failure(const char *step, int err)
{
	if (bpf_refused(err)) {
		fprintf(stderr, "vmexitprof: cannot %s: %s: the kernel refused BPF to this process; it "
			"needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) in the host's initial user "
			"namespace, which root inside a container or user namespace does not have (-v shows "
			"libbpf's log)\n", step, strerror(-err));
		return;
	}
	fprintf(stderr, "vmexitprof: cannot %s: %s (run with -v for libbpf's log)\n", step, strerror(-err));
}

static const char *const vendor_modules[] = { "kvm_amd", "kvm_intel", "kvm_pvm" };
#define NR_VENDOR_MODULES ARRAY_SIZE(vendor_modules)

static unsigned int vendor_modules_loaded(void)
{
	unsigned int loaded = 0;
	char path[64];

	for (unsigned int i = 0; i < NR_VENDOR_MODULES; i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", vendor_modules[i]);
		if (!access(path, F_OK))
			loaded |= 1U << i;
	}
	return loaded;
}

void kvm_modules_init(struct kvm_modules *m)
{
	m->loaded = m->seen = vendor_modules_loaded();
}

void kvm_modules_check(struct kvm_modules *m)
{
	unsigned int now = vendor_modules_loaded(), changed = (now ^ m->loaded) & m->seen;

	for (unsigned int i = 0; i < NR_VENDOR_MODULES; i++) {
		if (!(changed & (1U << i)))
			continue;
		if (now & (1U << i))
			fprintf(stderr, "vmexitprof: %s is loaded again; its guests' exits are traced as "
				"before\n", vendor_modules[i]);
		else
			fprintf(stderr, "vmexitprof: %s was unloaded during the run: no guest can run until "
				"it is loaded again; still tracing (kvm stays loaded: the attached tracepoints "
				"hold it)\n", vendor_modules[i]);
	}
	m->loaded = now;
	m->seen |= now;
}
