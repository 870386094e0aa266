/* SPDX-License-Identifier: GPL-2.0 */
/* QEMU's KVM_RUN USDT probes found in a target's binary (the loader attaches them). */
#ifndef VMEXITPROF_USDT_H
#define VMEXITPROF_USDT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define QEMU_PROBE_KVM_RUN_EXIT		1	/* qemu:kvm_run_exit */
#define QEMU_PROBE_KVM_VCPU_IOCTL	2	/* qemu:kvm_vcpu_ioctl */
#define QEMU_PROBES_ALL			3
#define QEMU_PROBE_MUTEX_LOCK		4	/* qemu:qemu_mutex_lock */
#define QEMU_PROBE_MUTEX_LOCKED		8	/* qemu:qemu_mutex_locked */
#define QEMU_PROBES_MUTEX		12

struct binary_probes {
	unsigned int qemu;	/* QEMU_PROBE_* found in .note.stapsdt */
	bool has_symtab;	/* false: the binary is stripped */
};

/* Read an ELF file's stapsdt notes. Returns 0, or -errno (not ELF: -ENOEXEC). */
int binary_probes_read(const char *path, struct binary_probes *out);

/*
 * How pid's binary is to be reached: through /proc/PID/exe, which works
 * even when it was deleted or lives in another mount namespace; says
 * which of the two, if either, in note (empty otherwise).
 */
void target_exe_note(__u32 pid, char *note, size_t len);

/*
 * The address in process pid of the data symbol name (QEMU's
 * qemu_global_mutex), from its binary's symbol table (.symtab, else
 * .dynsym) and where /proc/PID/maps shows the binary loaded. 0, -ENOENT
 * (no such symbol: a stripped binary), or another -errno.
 */
int target_symbol_addr(__u32 pid, const char *name, __u64 *addr);

#endif /* VMEXITPROF_USDT_H */
