/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit reason names, from the running kernel's kvm_exit tracepoint format
 * (its __print_symbolic tables), else from the uapi VMX_EXIT_REASONS and
 * SVM_EXIT_REASONS tables this was built with. Never typed by hand.
 */
#ifndef VMEXITPROF_REASONS_H
#define VMEXITPROF_REASONS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct reason_name {
	long long code;
	char *name;
};

struct reason_table {
	struct reason_name *vmx, *svm;
	size_t nr_vmx, nr_svm;
	/* ISA_ARM64 codes (include/vmexitprof.h): the exception types, and a trap's classes */
	struct reason_name *arm64;
	size_t nr_arm64;
	struct reason_name *kvm_exit;	/* KVM_EXIT_* from kvm_userspace_exit's format */
	size_t nr_kvm_exit;
	const char *source;	/* "tracepoint format" or "uapi headers" */
};

/* Load from the tracefs format file at path (NULL: the usual places); falls back to uapi. */
int reasons_load(struct reason_table *t, const char *format_path);
/* Parse a kvm_exit "print fmt:" text; returns 0 if it held at least one table. */
int reasons_parse_format(struct reason_table *t, const char *text);
void reasons_free(struct reason_table *t);

/*
 * KVM_EXIT_* names, from the running kernel's kvm_userspace_exit format
 * (linux/kvm.h has no table to build in). Added to t; load after
 * reasons_load. kvm_exit_name() drops the KVM_EXIT_ prefix ("IO"), or
 * prints "unknown(N)".
 */
int kvm_exit_names_load(struct reason_table *t);
int kvm_exit_names_parse(struct reason_table *t, const char *text);
const char *kvm_exit_name(const struct reason_table *t, __u32 code, char *buf, size_t len);

/*
 * Name of (isa, code), or "unknown(0x..)" written into buf. isa is
 * ISA_VMX, ISA_SVM or ISA_ARM64; VMX codes are basic reasons (low 16 bits).
 */
const char *reason_name(const struct reason_table *t, unsigned int isa, __u32 code, char *buf,
			size_t len);
/* An exit reason's ISA as JSON and the exporter name it: "vmx", "svm" or "arm64". */
const char *reason_isa_name(unsigned int isa);
/* Whether this exit's interval includes halted time (HLT, SVM idle-halt, arm64's WFI/WFE: WFx). */
int reason_is_halt(const char *name);
/*
 * An ISA_HALT row's name (HALT_*): "polled" and "blocked" for the halts,
 * "wake_polled" and "wake_blocked" for their wake-to-entry times.
 */
const char *halt_reason_name(__u32 reason);
/* Look a name up in one ISA's table (case-insensitive); 0 and *code when found, else -ENOENT. */
int reason_lookup(const struct reason_table *t, unsigned int isa, const char *name, __u32 *code);

/* Add a name: isa ISA_VMX, ISA_SVM or ISA_ARM64 for exit reasons, ISA_VMM for a KVM_EXIT_* one. */
int reasons_add(struct reason_table *t, unsigned int isa, long long code, const char *name);
/*
 * Whether a histogram key (isa, code) is what a --hist/--heatmap argument
 * names: 'all' takes every exit reason, 'vmm' the VMM handling times.
 */
bool reason_key_matches(const struct reason_table *t, unsigned int isa, __u32 code, const char *arg);
/* 0 if arg names a reason (or 'all', or 'vmm' if vmm_too); else a one-line error and -1. */
int reason_arg_check(const struct reason_table *t, const char *opt, const char *arg, bool vmm_too);

#endif /* VMEXITPROF_REASONS_H */
