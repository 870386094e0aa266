// SPDX-License-Identifier: GPL-2.0
/*
 * Finds QEMU's qemu:kvm_run_exit and qemu:kvm_vcpu_ioctl USDT probes (and
 * its qemu_mutex ones) in a binary's .note.stapsdt (the SystemTap SDT note
 * layout: three addresses, then "provider\0name\0args\0"), so that the
 * loader can choose them, or say why not, before asking libbpf to attach;
 * and a data symbol's address in a running target (QEMU's global mutex).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usdt.h"

#define NT_STAPSDT 3

static unsigned int qemu_probe_bit(const char *desc, size_t len, int elf_class)
{
	size_t addrs = 3 * (elf_class == ELFCLASS64 ? 8 : 4);
	const char *provider = desc + addrs, *name;

	if (len <= addrs || !memchr(provider, 0, len - addrs))
		return 0;
	name = provider + strlen(provider) + 1;
	if (name >= desc + len || !memchr(name, 0, desc + len - name) || strcmp(provider, "qemu"))
		return 0;
	if (!strcmp(name, "kvm_run_exit"))
		return QEMU_PROBE_KVM_RUN_EXIT;
	if (!strcmp(name, "kvm_vcpu_ioctl"))
		return QEMU_PROBE_KVM_VCPU_IOCTL;
	if (!strcmp(name, "qemu_mutex_lock"))
		return QEMU_PROBE_MUTEX_LOCK;
	if (!strcmp(name, "qemu_mutex_locked"))
		return QEMU_PROBE_MUTEX_LOCKED;
	return 0;
}

/* path opened for reading as ELF into *fd and *elf (both to close); 0 or -errno. */
static int elf_open(const char *path, int *fd, Elf **elf)
{
	*elf = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return -errno;
	*elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (!*elf || elf_kind(*elf) != ELF_K_ELF) {
		if (*elf)
			elf_end(*elf);
		close(*fd);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_close(int fd, Elf *elf)
{
	elf_end(elf);
	close(fd);
}

int binary_probes_read(const char *path, struct binary_probes *out)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int fd, err, elf_class;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	if (elf_getshdrstrndx(elf, &shstrndx)) {
		err = -ENOEXEC;
		goto out;
	}
	elf_class = gelf_getclass(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		const char *name;
		Elf_Data *data;
		GElf_Nhdr nhdr;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &shdr))
			continue;
		if (shdr.sh_type == SHT_SYMTAB)
			out->has_symtab = true;
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (shdr.sh_type != SHT_NOTE || !name || strcmp(name, ".note.stapsdt"))
			continue;
		data = elf_getdata(scn, NULL);
		while (data && (off = gelf_getnote(data, off, &nhdr, &name_off, &desc_off)) > 0) {
			if (nhdr.n_type == NT_STAPSDT && nhdr.n_namesz == sizeof("stapsdt") &&
			    !memcmp((char *)data->d_buf + name_off, "stapsdt", sizeof("stapsdt")))
				out->qemu |= qemu_probe_bit((char *)data->d_buf + desc_off,
							    nhdr.n_descsz, elf_class);
		}
	}
out:
	elf_close(fd, elf);
	return err;
}

static bool same_mount_ns(__u32 pid)
{
	char path[40];
	struct stat ours, theirs;

	snprintf(path, sizeof(path), "/proc/%u/ns/mnt", pid);
	if (stat("/proc/self/ns/mnt", &ours) || stat(path, &theirs))
		return true;	/* cannot tell: /proc/PID/exe works either way */
	return ours.st_ino == theirs.st_ino && ours.st_dev == theirs.st_dev;
}

void target_exe_note(__u32 pid, char *note, size_t len)
{
	char link[40], target[256];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = 0;
	if (n > 10 && !strcmp(target + n - 10, " (deleted)"))
		snprintf(note, len, "its binary %s was deleted after it started (an upgrade?)", target);
	else if (!same_mount_ns(pid))
		snprintf(note, len, "it runs in another mount namespace (its %s is not ours)", target);
	else
		note[0] = 0;
}

/* name's st_value and the file offset it maps to, from .symtab or .dynsym; 0 or -errno. */
static int symbol_file_offset(const char *path, const char *name, __u64 *off)
{
	Elf_Scn *scn = NULL;
	GElf_Sym found = {};
	size_t nphdr;
	bool have = false;
	int fd, err;
	Elf *elf;

	err = elf_open(path, &fd, &elf);
	if (err)
		return err;
	err = -ENOENT;
	if (elf_getphdrnum(elf, &nphdr)) {
		err = -ENOEXEC;
		goto out;
	}
	while (!have && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_SYMTAB && shdr.sh_type != SHT_DYNSYM) ||
		    !shdr.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < shdr.sh_size / shdr.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;

			if (!gelf_getsym(data, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_OBJECT ||
			    sym.st_shndx == SHN_UNDEF)
				continue;
			n = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (n && !strcmp(n, name)) {
				found = sym;
				have = true;
				break;
			}
		}
	}
	/* The segment that holds it: its file offset, as /proc/PID/maps counts. */
	for (size_t i = 0; have && i < nphdr; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD && found.st_value >= ph.p_vaddr &&
		    found.st_value < ph.p_vaddr + ph.p_memsz) {
			*off = found.st_value - ph.p_vaddr + ph.p_offset;
			err = 0;
			break;
		}
	}
out:
	elf_close(fd, elf);
	return err;
}

int target_symbol_addr(__u32 pid, const char *name, __u64 *addr)
{
	char path[40], line[512];
	struct stat exe;
	__u64 off = 0;
	FILE *maps;
	int err;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	if (stat(path, &exe))
		return -errno;
	err = symbol_file_offset(path, name, &off);
	if (err)
		return err;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	maps = fopen(path, "re");
	if (!maps)
		return -errno;
	err = -ESRCH;
	/* "start-end perms offset dev inode path": the binary's mapping that holds the offset. */
	while (fgets(line, sizeof(line), maps)) {
		unsigned long long start, end, moff, ino;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %llu", &start, &end, &moff, &ino) != 4 ||
		    ino != exe.st_ino || off < moff || off >= moff + (end - start))
			continue;
		*addr = start + (off - moff);
		err = 0;
		break;
	}
	fclose(maps);
	return err;
}
