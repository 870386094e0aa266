/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers that know nothing of KVM or of this tool: arrays, numbers as
 * text, names made safe to print, and whole files read and written.
 */
#ifndef VMEXITPROF_UTIL_H
#define VMEXITPROF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Grow *arr_ptr (an array of *nr items of size sz) by one zeroed item and
 * return it, or NULL (array unchanged) when out of memory. The capacity
 * doubles, and is implied by *nr: an array is full when *nr is 0 or a
 * power of two, so only arrays grown this way may be passed.
 */
void *array_append(void *arr_ptr, size_t *nr, size_t sz);

/* qsort that takes an empty array, whose pointer may be NULL. */
void sort_array(void *arr, size_t nr, size_t sz, int (*cmp)(const void *, const void *));
/* The same with a context for the comparison (no globals). */
void sort_array_r(void *arr, size_t nr, size_t sz,
		  int (*cmp)(const void *, const void *, void *), void *ctx);

/* "812ns", "3.41us", "12.5ms", "1.20s" */
void format_ns(char *buf, size_t len, double ns);

/*
 * In place: bytes that are not well-formed UTF-8, and control characters
 * (C0, DEL, C1), become '?', so a name is safe in a terminal, JSON and SVG.
 */
void name_sanitize(char *s);

/*
 * A whole file, NUL-terminated, its length in *len; NULL with errno set
 * (EFBIG when it holds more than max bytes).
 */
char *read_file(const char *path, size_t max, size_t *len);

/* MemAvailable from /proc/meminfo, in bytes; 0 if it cannot be read. */
unsigned long long mem_available(void);

/* The directory part of path ("." for a bare name). */
void dir_of(const char *path, char *dir, size_t len);

/*
 * Write path whole or not at all: fill(f, ctx) fills an unnamed file in
 * the same directory, which is synced, then linked and renamed over path.
 * A run killed on the way leaves path as it was. Returns 0, or a positive
 * errno (what fill() returned when that failed, else the failing call's).
 */
int write_file_atomic(const char *path, int (*fill)(FILE *f, void *ctx), void *ctx);

#endif /* VMEXITPROF_UTIL_H */
