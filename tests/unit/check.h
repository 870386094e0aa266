/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny assertion kit for the unit tests: no framework, no allocation.
 *
 *   SECTION("what is checked");       start a group; the previous one is summed up
 *   CHECK(cond, "fmt", ...);          one check; prints file:line and the message if false
 *   CHECK_EQ_U64(got, want, "fmt", ...), CHECK_STR(got, want, "fmt", ...)
 *   KNOWN_BUG(cond, "fmt", ...);      a check that fails today because of a reported bug in
 *                                     src/: printed as KNOWN BUG, not counted as failed; once
 *                                     it passes it fails as FIXED, to be turned into a CHECK
 *   return check_done();              prints "N checks, M failed", returns the exit status
 *
 * Passing checks print nothing (some loops run a million of them); each
 * section prints one line with how many checks it ran and how many failed.
 * After MAX_PRINTED failures the rest are only counted.
 */
#ifndef VMEXITPROF_TESTS_CHECK_H
#define VMEXITPROF_TESTS_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CHECK_MAX_PRINTED 40

static unsigned long check_total, check_failed, check_printed, check_known;
static unsigned long check_sec_total, check_sec_failed, check_sec_known;
static const char *check_sec_name;

static void check_section_end(void)
{
	if (!check_sec_name)
		return;
	printf("%-4s %s (%lu check%s", check_sec_failed ? "FAIL" : "ok", check_sec_name,
	       check_sec_total, check_sec_total == 1 ? "" : "s");
	if (check_sec_failed)
		printf(", %lu failed", check_sec_failed);
	if (check_sec_known)
		printf(", %lu known bug%s", check_sec_known, check_sec_known == 1 ? "" : "s");
	printf(")\n");
	fflush(stdout);
	check_sec_name = NULL;
}

static inline void SECTION(const char *name)
{
	check_section_end();
	check_sec_name = name;
	check_sec_total = check_sec_failed = check_sec_known = 0;
}

__attribute__((format(printf, 4, 5)))
static int check_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	check_total++;
	check_sec_total++;
	if (ok)
		return 1;
	check_failed++;
	check_sec_failed++;
	if (++check_printed > CHECK_MAX_PRINTED) {
		if (check_printed == CHECK_MAX_PRINTED + 1)
			printf("     ... further failures are counted, not printed\n");
		return 0;
	}
	printf("     %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return 0;
}

#define CHECK(cond, ...) check_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5), unused))
static int known_bug_(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return check_(0, file, line, "FIXED: this known bug no longer shows; make it a CHECK");
	check_total++;
	check_sec_total++;
	check_known++;
	check_sec_known++;
	printf("     KNOWN BUG (not counted as a failure) %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	return 0;
}

#define KNOWN_BUG(cond, ...) known_bug_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

#define CHECK_EQ_U64(got, want, fmt, ...)                                                   \
	do {                                                                                \
		unsigned long long got_ = (got), want_ = (want);                            \
		check_(got_ == want_, __FILE__, __LINE__, fmt ": got %llu, expected %llu",  \
		       ##__VA_ARGS__, got_, want_);                                         \
	} while (0)

#define CHECK_STR(got, want, fmt, ...)                                                      \
	do {                                                                                \
		const char *gots_ = (got), *wants_ = (want);                                \
		check_(gots_ && !strcmp(gots_, wants_), __FILE__, __LINE__,                 \
		       fmt ": got \"%s\", expected \"%s\"", ##__VA_ARGS__,                   \
		       gots_ ? gots_ : "(null)", wants_);                                    \
	} while (0)

/* Sum up and return the exit status: 0 when every check passed, else 1. */
static inline int check_done(void)
{
	check_section_end();
	if (check_known)
		printf("%lu checks, %lu failed (and %lu known bug%s)\n", check_total, check_failed,
		       check_known, check_known == 1 ? "" : "s");
	else
		printf("%lu checks, %lu failed\n", check_total, check_failed);
	return check_failed ? 1 : 0;
}

/* A deterministic PRNG (xorshift64*), the same sequence on every libc. */
static unsigned long long check_rng_state = 0x9e3779b97f4a7c15ULL;

static inline void rng_seed(unsigned long long seed)
{
	check_rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline unsigned long long rng_u64(void)
{
	unsigned long long x = check_rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	check_rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Uniform in [0, 1). */
static inline double rng_unit(void)
{
	return (rng_u64() >> 11) * (1.0 / 9007199254740992.0);
}

#endif /* VMEXITPROF_TESTS_CHECK_H */
