// SPDX-License-Identifier: GPL-2.0
/* VM processes and their threads, through /proc (include/proc.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

static void vm_name_raw(__u32 pid, char *buf, size_t len);

bool pid_alive(__u32 pid)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%u", pid);
	return !access(path, F_OK);
}

/* State (R, S, Z, ...) and start time of pid from /proc/PID/stat; false if it is gone. */
static bool read_stat(__u32 pid, char *state, __u64 *start)
{
	char path[32], stat[1024], *p;
	unsigned long long ticks;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(stat, 1, sizeof(stat) - 1, f);
	fclose(f);
	stat[n] = 0;
	/* After "pid (comm)", where comm may hold spaces and parentheses: fields 3 and 22. */
	p = strrchr(stat, ')');
	if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
			 "%*d %*d %*d %llu", state, &ticks) != 2)
		return false;
	*start = ticks;
	return true;
}

__u64 pid_start_ticks(__u32 pid)
{
	__u64 start;
	char state;

	return read_stat(pid, &state, &start) ? start : 0;
}

bool vm_alive(__u32 pid, __u64 start_ticks)
{
	__u64 start;
	char state;

	/* A zombie runs no guest any more: only its parent has yet to reap it. */
	if (!read_stat(pid, &state, &start) || state == 'Z' || state == 'X')
		return false;
	return !start_ticks || start == start_ticks;
}

__u32 pid_tgid(__u32 pid)
{
	char path[32], line[128];
	unsigned int tgid = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "Tgid: %u", &tgid) == 1;
	fclose(f);
	return found ? tgid : 0;
}

bool pid_is_vm(__u32 pid)
{
	char dir[32], path[300], target[64];
	struct dirent *d;
	bool found = false;
	DIR *fds;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	fds = opendir(dir);
	if (!fds)
		return false;
	while (!found && (d = readdir(fds))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		found = !strcmp(target, "anon_inode:kvm-vm");
	}
	closedir(fds);
	return found;
}

/*
 * One item of a QEMU option value ("guest=web1", ",," a literal comma),
 * decoded into out (up to len - 1 bytes); returns where the next begins.
 */
static const char *option_item(const char *p, const char *end, char *out, size_t len)
{
	size_t n = 0;

	for (; p < end && *p; p++) {
		if (*p == ',' && (p + 1 >= end || p[1] != ',')) {
			out[n] = 0;
			return p + 1;
		}
		if (*p == ',')
			p++;	/* ",," */
		if (n + 1 < len)
			out[n++] = *p;
	}
	out[n] = 0;
	return p;
}

/* The value of the last -OPT or --OPT in a NUL-separated command line (the last wins, as in QEMU). */
static const char *last_option_value(const char *cmdline, size_t len, const char *opt)
{
	const char *p = cmdline, *end = cmdline + len, *value = NULL;

	while (p < end) {
		const char *arg = p;

		p += strnlen(p, end - p) + 1;
		if (arg[0] == '-' && (!strcmp(arg + 1, opt) || (arg[1] == '-' && !strcmp(arg + 2, opt))) &&
		    p < end)
			value = p;
	}
	return value;
}

bool cmdline_vm_name(const char *cmdline, size_t len, char *buf, size_t buflen)
{
	const char *end = cmdline + len, *value = last_option_value(cmdline, len, "name");
	bool found = false;

	if (!value)
		return false;
	end = value + strnlen(value, end - value);
	/* "-name web1,process=x": a first item without '=' is the implied guest= key. */
	for (bool first = true; value < end; first = false) {
		char item[256];

		value = option_item(value, end, item, sizeof(item));
		if (!strncmp(item, "guest=", 6) || (first && !strchr(item, '='))) {
			snprintf(buf, buflen, "%s", first && strncmp(item, "guest=", 6) ? item : item + 6);
			found = *buf;
		}
	}
	return found;
}

bool cmdline_vm_uuid(const char *cmdline, size_t len, char *buf, size_t buflen)
{
	const char *value = last_option_value(cmdline, len, "uuid");
	size_t n = value ? strnlen(value, cmdline + len - value) : 0;

	/* QEMU takes only the 8-4-4-4-12 hex form; anything else is not shown. */
	if (n != 36 || buflen < 37)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? value[i] != '-' : !isxdigit((unsigned char)value[i]))
			return false;
		buf[i] = tolower((unsigned char)value[i]);
	}
	buf[n] = 0;
	return true;
}

/* /proc/PID/cmdline into buf (NUL-terminated); its length, 0 if it cannot be read. */
static size_t read_cmdline(__u32 pid, char *buf, size_t len)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	return n;
}

/* Names come from the VM's own command line: keep them printable and valid UTF-8. */
void vm_name(__u32 pid, char *buf, size_t len)
{
	vm_name_raw(pid, buf, len);
	name_sanitize(buf);
}

void vm_uuid(__u32 pid, char *buf, size_t len)
{
	char cmdline[8192];
	size_t n = read_cmdline(pid, cmdline, sizeof(cmdline));

	if (!cmdline_vm_uuid(cmdline, n, buf, len) && len)
		buf[0] = 0;
}

static void vm_name_raw(__u32 pid, char *buf, size_t len)
{
	char path[64], cmdline[8192];
	size_t n = read_cmdline(pid, cmdline, sizeof(cmdline));
	FILE *f;

	if (cmdline_vm_name(cmdline, n, buf, len))
		return;
	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	f = fopen(path, "r");
	if (f && fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = 0;
		fclose(f);
		return;
	}
	if (f)
		fclose(f);
	snprintf(buf, len, "?");
}

int vm_vcpu_ids(__u32 pid, __u32 *ids, int max)
{
	char dir[32], path[300], comm[32];
	struct dirent *d;
	int n = 0;
	DIR *tasks;

	snprintf(dir, sizeof(dir), "/proc/%u/task", pid);
	tasks = opendir(dir);
	if (!tasks)
		return 0;
	while (n < max && (d = readdir(tasks))) {
		unsigned int id;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && sscanf(comm, "CPU %u/KVM", &id) == 1)
			ids[n++] = id;
		fclose(f);
	}
	closedir(tasks);
	return n;
}

int find_vms(__u32 *pids, int max)
{
	struct dirent *d;
	DIR *proc = opendir("/proc");
	int n = 0;

	if (!proc)
		return 0;
	while (n < max && (d = readdir(proc))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (pid_is_vm(pid))
			pids[n++] = pid;
	}
	closedir(proc);
	return n;
}
