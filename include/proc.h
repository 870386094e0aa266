/* SPDX-License-Identifier: GPL-2.0 */
/* VM processes and their threads, through /proc. */
#ifndef VMEXITPROF_PROC_H
#define VMEXITPROF_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

bool pid_alive(__u32 pid);
/* When pid started, in clock ticks after boot (/proc/PID/stat's starttime); 0 if gone. */
__u64 pid_start_ticks(__u32 pid);
/*
 * Whether the process that started at start_ticks (pid_start_ticks; 0:
 * any) still runs as pid: not gone, not a zombie, not a later process
 * that got its pid.
 */
bool vm_alive(__u32 pid, __u64 start_ticks);
/* The process a thread id belongs to (Tgid in /proc/PID/status); 0 if gone. */
__u32 pid_tgid(__u32 pid);
/* Whether pid holds a KVM VM file descriptor (anon_inode:kvm-vm). */
bool pid_is_vm(__u32 pid);
/* vCPU ids of pid's threads named like QEMU's ("CPU 3/KVM"); returns how many (<= max). */
int vm_vcpu_ids(__u32 pid, __u32 *ids, int max);
/* Pids of every process holding a kvm-vm fd; returns how many (<= max). */
int find_vms(__u32 *pids, int max);
/* QEMU's -name (its guest= part), else the process name; "?" if gone. */
void vm_name(__u32 pid, char *buf, size_t len);
/* Extract the VM name from a NUL-separated command line; false if there is no -name. */
bool cmdline_vm_name(const char *cmdline, size_t len, char *buf, size_t buflen);
/* QEMU's -uuid, lower case ("" if none or not a UUID); buf holds at least 37 bytes. */
void vm_uuid(__u32 pid, char *buf, size_t len);
/* The last -uuid of a NUL-separated command line, checked and lower-cased; false if none. */
bool cmdline_vm_uuid(const char *cmdline, size_t len, char *buf, size_t buflen);

#endif /* VMEXITPROF_PROC_H */
