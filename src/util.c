// SPDX-License-Identifier: GPL-2.0
/* Helpers that know no tool (include/util.h). */
#define _GNU_SOURCE	/* O_TMPFILE, qsort_r */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void *array_append(void *arr_ptr, size_t *nr, size_t sz)
{
	void **arr = arr_ptr;
	char *grown;

	/* Doubling: nr is a power of two exactly when the array is full. */
	if (!*nr || !(*nr & (*nr - 1))) {
		grown = realloc(*arr, (*nr ? *nr * 2 : 8) * sz);
		if (!grown)
			return NULL;
		*arr = grown;
	}
	grown = (char *)*arr + (*nr)++ * sz;
	memset(grown, 0, sz);
	return grown;
}

void sort_array(void *arr, size_t nr, size_t sz, int (*cmp)(const void *, const void *))
{
	if (nr > 1)
		qsort(arr, nr, sz, cmp);
}

void sort_array_r(void *arr, size_t nr, size_t sz,
		  int (*cmp)(const void *, const void *, void *), void *ctx)
{
	if (nr > 1)
		qsort_r(arr, nr, sz, cmp, ctx);
}

void format_ns(char *buf, size_t len, double ns)
{
	static const struct { double scale; const char *unit; } units[] = {
		{ 1, "ns" }, { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" },
	};
	size_t i = 0;
	double v = ns;

	/* Pick the unit after rounding, so 999.6 ns is "1.00us", not "1000ns". */
	for (;;) {
		v = ns / units[i].scale;
		if (i + 1 == ARRAY_SIZE(units) || v < 999.5)
			break;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0fns", v);
	else
		snprintf(buf, len, v >= 99.95 ? "%.0f%s" : v >= 9.995 ? "%.1f%s" : "%.2f%s", v,
			 units[i].unit);
}

void name_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		unsigned int c = *p, n, cp, i;
		bool ok;

		if (c >= 0x20 && c < 0x7f) {
			p++;
			continue;
		}
		/* Lead byte: how many continuation bytes follow (0: not a lead). */
		n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
		cp = c & (0x3f >> n);
		ok = n > 0;
		/* A NUL ends the loop here too: it is no continuation byte. */
		for (i = 1; ok && i <= n; i++) {
			ok = (p[i] & 0xc0) == 0x80;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates, past U+10FFFF, and the C1 controls. */
		if (ok && ((n == 1 && cp < 0xa0) || (n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			   (n == 3 && (cp < 0x10000 || cp > 0x10ffff))))
			ok = false;
		if (!ok) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

char *read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *grown;
	size_t cap = 0, n = 0, got;
	int err = 0;

	if (!f)
		return NULL;
	errno = 0;
	do {
		if (n + 65536 + 1 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			if (cap > max + 65536 + 1) {
				err = EFBIG;
				break;
			}
			grown = realloc(buf, cap);
			if (!grown) {
				err = ENOMEM;
				break;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, 65536, f);
		n += got;
	} while (got == 65536);
	if (!err && ferror(f))
		err = errno ? errno : EIO;	/* EISDIR for a directory */
	if (!err && n > max)
		err = EFBIG;
	fclose(f);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

unsigned long long mem_available(void)
{
	unsigned long long kib = 0;
	char line[128];
	bool found = false;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "MemAvailable: %llu kB", &kib) == 1;
	fclose(f);
	return found ? kib * 1024 : 0;
}

void dir_of(const char *path, char *dir, size_t len)
{
	char *copy = strdup(path);

	snprintf(dir, len, "%s", copy ? dirname(copy) : ".");
	free(copy);
}

/* Make a rename durable: sync the directory that holds the name. */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Into an unnamed file in the same directory (O_TMPFILE; a named
 * temporary where that is unsupported), then linked under a temporary
 * name and renamed over path.
 */
int write_file_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx)
{
	char dir[4096], tmp[4200], proc[64];
	bool named = false;
	FILE *f = NULL;
	int fd, err = 0;

	dir_of(path, dir, sizeof(dir));
	snprintf(tmp, sizeof(tmp), "%s/.vmexitprof-XXXXXX", dir);
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		fd = mkstemp(tmp);
		named = fd >= 0;
		if (named)
			fchmod(fd, 0644);
	}
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		err = errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	err = fill(f, ctx);
	if (err)
		goto fail;
	if (fflush(f) || ferror(f) || fsync(fileno(f))) {
		err = errno ? errno : EIO;
		goto fail;
	}
	if (!named) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(f));
		/* linkat cannot replace: link under a fresh name, then rename. */
		for (int tries = 0;; tries++) {
			snprintf(tmp, sizeof(tmp), "%s/.vmexitprof-%d-%d", dir, getpid(), tries);
			if (!linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW))
				break;
			if (errno != EEXIST || tries > 100) {
				err = errno;
				goto fail;
			}
		}
		named = true;
	}
	if (rename(tmp, path)) {
		err = errno;
		goto fail;
	}
	fclose(f);	/* flushed and synced above: nothing left to fail */
	sync_dir(dir);
	return 0;
fail:
	if (f)
		fclose(f);
	if (named)
		unlink(tmp);
	return err;
}
