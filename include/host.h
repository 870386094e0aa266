/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the host must provide, checked before loading and watched while
 * running: privileges, BTF, tracefs, the kvm modules, the targets. Every
 * problem is one line on stderr that says what to do.
 */
#ifndef VMEXITPROF_HOST_H
#define VMEXITPROF_HOST_H

#include <stdbool.h>
#include <linux/types.h>

/* 0, or -1 after printing why this host or one of the nr target pids cannot be profiled. */
int host_check(const __u32 *pids, unsigned int nr);
/* Whether tracefs has the tracepoint "group/name" (once host_check mounted it). */
bool tracepoint_exists(const char *group_name);

/* Whether a libbpf error (< 0) is the kernel refusing for want of privileges. */
bool bpf_refused(int err);
/*
 * One line for a failed libbpf step ("load the BPF programs"), err < 0.
 * A refusal is explained: it is about privileges, not about BPF.
 */
void explain_bpf_failure(const char *step, int err);

/*
 * The KVM vendor modules (kvm_amd, kvm_intel, kvm_pvm) loaded when tracing
 * began. kvm itself cannot go while we run: every attached kvm tracepoint
 * holds a reference to it. A vendor module can, once its VMs are gone.
 */
struct kvm_modules {
	unsigned int loaded;	/* bit i: vendor module i was loaded at the last look */
	unsigned int seen;	/* ... at any look: the ones we report on */
};

void kvm_modules_init(struct kvm_modules *m);
/* Print a note for each vendor module unloaded or loaded again since the last call. */
void kvm_modules_check(struct kvm_modules *m);

#endif /* VMEXITPROF_HOST_H */
