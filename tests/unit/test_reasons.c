// SPDX-License-Identifier: GPL-2.0
/*
 * src/reasons.c: exit reason names parsed from real kvm_exit format files
 * (tests/unit/data/, captured from the 6.1 and 6.12 rig guests and a 6.18
 * host; arm64's from the arm64 rig's 6.1 guest), from constructed
 * old-style and broken texts, and the uapi fallback.
 *
 * Usage: test_reasons [DATA_DIR]   (default tests/unit/data, from the top)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/types.h>
#include <linux/kvm.h>	/* the *_VECTOR numbers SVM_EXIT_REASONS uses */
#include <asm/svm.h>
#include <asm/vmx.h>

#include "reasons.h"
#include "util.h"
#include "vmexitprof.h"
#include "check.h"

static const char *data_dir = "tests/unit/data";

/* The uapi tables, expanded here independently of src/reasons.c. */
static const struct { long long code; const char *name; } uapi_vmx[] = { VMX_EXIT_REASONS };
static const struct { long long code; const char *name; } uapi_svm[] = { SVM_EXIT_REASONS };

/* A file of tests/unit/data, whole; exits when it cannot be read. */
static char *read_data(const char *name)
{
	char path[512];
	size_t len;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	buf = read_file(path, 1 << 20, &len);
	if (!buf) {
		fprintf(stderr, "test_reasons: cannot read %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return buf;
}

/* Count non-overlapping occurrences of s in text. */
static size_t count_of(const char *text, const char *s)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* Replace the first occurrence of from with to; returns a new string (or NULL if absent). */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	if (!p)
		return NULL;
	out = malloc(strlen(text) - strlen(from) + strlen(to) + 1);
	if (!out)
		exit(2);
	memcpy(out, text, p - text);
	strcpy(out + (p - text), to);
	strcat(out, p + strlen(from));
	return out;
}

static const char *name_of(const struct reason_table *t, unsigned int isa, __u32 code)
{
	static char buf[32];

	return reason_name(t, isa, code, buf, sizeof(buf));
}

static void check_empty(const struct reason_table *t, const char *what)
{
	CHECK(!t->nr_vmx && !t->nr_svm && !t->vmx && !t->svm,
	      "%s: the table is not left empty after an error (%zu vmx, %zu svm)", what, t->nr_vmx,
	      t->nr_svm);
}

/* ---- the real formats ------------------------------------------------------ */

struct expect {
	unsigned int isa;
	__u32 code;
	const char *name;
};

/* In every kernel's format since SVM was added. */
static const struct expect common[] = {
	{ ISA_SVM, 0x72, "cpuid" },
	{ ISA_SVM, 0x78, "hlt" },
	{ ISA_SVM, 0x7b, "io" },
	{ ISA_SVM, 0x7c, "msr" },
	{ ISA_SVM, 0x400, "npf" },
	{ ISA_SVM, 0x403, "vmgexit" },
	{ ISA_SVM, 0x000, "read_cr0" },		/* code 0 with a "0x000" spelling */
	{ ISA_SVM, 0x040, "DE excp" },		/* "0x040 + 0" */
	{ ISA_SVM, 0x04e, "PF excp" },		/* "0x040 + 14" */
	{ ISA_SVM, 0x053, "XF excp" },		/* "0x040 + 19" */
	{ ISA_SVM, 0x060, "interrupt" },
	{ ISA_SVM, 0x80000001, "vmgexit_mmio_read" },
	{ ISA_SVM, 0x8000fffd, "vmgexit_hypervisor_feature" },
	{ ISA_SVM, 0xffffffff, "invalid_guest_state" },	/* "-1" */
	{ ISA_VMX, 0, "EXCEPTION_NMI" },
	{ ISA_VMX, 1, "EXTERNAL_INTERRUPT" },
	{ ISA_VMX, 10, "CPUID" },
	{ ISA_VMX, 12, "HLT" },
	{ ISA_VMX, 30, "IO_INSTRUCTION" },
	{ ISA_VMX, 48, "EPT_VIOLATION" },
	{ ISA_VMX, 49, "EPT_MISCONFIG" },
	{ ISA_VMX, 75, "NOTIFY" },
};

/* Codes no format names. */
static const struct expect unknown[] = {
	{ ISA_VMX, 0x1234, "unknown(0x1234)" },
	{ ISA_SVM, 0x1234, "unknown(0x1234)" },
	{ ISA_VMX, 11, "unknown(0xb)" },		/* a gap in the VMX table */
	{ ISA_SVM, 0x041 + 1, "unknown(0x42)" },	/* no "0x040 + 2" */
	{ ISA_VMX, 0xffffffff, "unknown(0xffffffff)" },	/* -1 is SVM's only */
	{ ISA_VMX, 0x72, "unknown(0x72)" },		/* an SVM code is not a VMX one */
	{ ISA_SVM, 10, "unknown(0xa)" },
	{ ISA_SVM, 0x8000000c, "unknown(0x8000000c)" },
};

static void check_format(const char *file, int is_618)
{
	struct reason_table t;
	char *text = read_data(file);
	size_t entries;
	static char title[3][128];	/* SECTION keeps the pointer */
	static int nr_titles;
	int err;

	snprintf(title[nr_titles % 3], sizeof(title[0]),
		 "reasons_parse_format(%s): names, unknown codes, table sizes", file);
	SECTION(title[nr_titles++ % 3]);
	err = reasons_parse_format(&t, text);
	CHECK(err == 0, "%s: reasons_parse_format returned %d", file, err);
	CHECK_STR(t.source, "tracepoint format", "%s: source", file);
	/* Every { code, "name" } in the text is one row, except __print_flags' FAILED_VMENTRY. */
	entries = count_of(strstr(text, "print fmt:"), "\" }");
	CHECK_EQ_U64(t.nr_vmx + t.nr_svm, entries - 1, "%s: rows parsed vs { } entries in the text",
		     file);
	CHECK(t.nr_vmx >= 60 && t.nr_svm >= 100, "%s: %zu VMX and %zu SVM rows, expected >= 60 and >= 100",
	      file, t.nr_vmx, t.nr_svm);
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		CHECK_STR(name_of(&t, common[i].isa, common[i].code), common[i].name,
			  "%s: %s 0x%x", file, common[i].isa == ISA_SVM ? "SVM" : "VMX", common[i].code);
	for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
		CHECK_STR(name_of(&t, unknown[i].isa, unknown[i].code), unknown[i].name,
			  "%s: %s 0x%x", file, unknown[i].isa == ISA_SVM ? "SVM" : "VMX", unknown[i].code);
	/* Added after 6.12: only 6.18 names them. */
	CHECK_STR(name_of(&t, ISA_VMX, 77), is_618 ? "TDCALL" : "unknown(0x4d)", "%s: VMX 77", file);
	CHECK_STR(name_of(&t, ISA_SVM, 0xa6), is_618 ? "idle-halt" : "unknown(0xa6)", "%s: SVM 0xa6",
		  file);
	/* Every row's name is a name, not a piece of syntax. */
	for (size_t i = 0; i < t.nr_vmx + t.nr_svm; i++) {
		const char *n = i < t.nr_vmx ? t.vmx[i].name : t.svm[i - t.nr_vmx].name;

		CHECK(n && *n && !strpbrk(n, "\"{},()"), "%s: row %zu has the name '%s'", file, i,
		      n ? n : "(null)");
	}
	/* The buffer for unknown names is respected. */
	{
		char small[8];

		memset(small, 'x', sizeof(small));
		reason_name(&t, ISA_VMX, 0x1234, small, 5);
		CHECK(!memcmp(small, "unkn", 5) && small[5] == 'x',
		      "%s: reason_name into a 5-byte buffer: '%.8s'", file, small);
	}
	reasons_free(&t);
	CHECK(!t.nr_vmx && !t.nr_svm && !t.vmx && !t.svm, "%s: reasons_free leaves an empty table",
	      file);
	free(text);
}

static void test_halt_and_lookup(void)
{
	struct reason_table t;
	char *text = read_data("kvm_exit_format_6.18.txt");
	unsigned int isa;
	__u32 code;
	static const struct { const char *name; int halt; } halts[] = {
		{ "hlt", 1 }, { "HLT", 1 }, { "Hlt", 1 }, { "idle-halt", 1 }, { "IDLE-HALT", 1 },
		{ "halt", 0 }, { "hlt ", 0 }, { "hl", 0 }, { "", 0 }, { "vmgexit_ap_hlt_loop", 0 },
		{ "MWAIT_INSTRUCTION", 0 }, { "pause", 0 }, { "unknown(0x78)", 0 },
	};
	static const struct { const char *name; unsigned int isa; __u32 code; } found[] = {
		{ "npf", ISA_SVM, 0x400 },
		{ "NPF", ISA_SVM, 0x400 },
		{ "Vmgexit", ISA_SVM, 0x403 },
		{ "pf excp", ISA_SVM, 0x4e },
		{ "invalid_guest_state", ISA_SVM, 0xffffffff },
		{ "idle-halt", ISA_SVM, 0xa6 },
		{ "io", ISA_SVM, 0x7b },
		{ "ept_violation", ISA_VMX, 48 },
		{ "EPT_VIOLATION", ISA_VMX, 48 },
		{ "EXCEPTION_NMI", ISA_VMX, 0 },
			/* Both ISAs have these: each table answers for itself. */
		{ "hlt", ISA_VMX, 12 },
		{ "cpuid", ISA_VMX, 10 },
		{ "hlt", ISA_SVM, 0x78 },
		{ "CPUID", ISA_SVM, 0x72 },
	};
	static const char *const missing[] = { "", "np", "npff", "npf ", "unknown(0x400)", "HLT_" };

	SECTION("reason_is_halt (case-insensitive hlt, idle-halt) and reason_lookup (case-insensitive, "
		"per ISA) on the 6.18 table");
	for (size_t i = 0; i < ARRAY_SIZE(halts); i++)
		CHECK(!!reason_is_halt(halts[i].name) == halts[i].halt, "reason_is_halt(\"%s\") = %d",
		      halts[i].name, reason_is_halt(halts[i].name));
	CHECK(reasons_parse_format(&t, text) == 0, "cannot parse the 6.18 format");
	for (size_t i = 0; i < ARRAY_SIZE(found); i++) {
		int err;

		code = 12345;
		err = reason_lookup(&t, found[i].isa, found[i].name, &code);
		CHECK(!err && code == found[i].code,
		      "reason_lookup(isa %u, \"%s\") = %d, code 0x%x; expected 0, code 0x%x",
		      found[i].isa, found[i].name, err, code, found[i].code);
	}
	for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
		int err;

		for (isa = ISA_VMX; isa <= ISA_SVM; isa++) {
			code = 12345;
			err = reason_lookup(&t, isa, missing[i], &code);
			CHECK(err == -ENOENT && code == 12345,
			      "reason_lookup(isa %u, \"%s\") = %d (code 0x%x); expected -ENOENT, code untouched",
			      isa, missing[i], err, code);
		}
	}
	/* Every name round-trips: lookup(name(code)) finds a row with that name. */
	for (size_t i = 0; i < t.nr_svm; i++) {
		int err = reason_lookup(&t, ISA_SVM, t.svm[i].name, &code);

		CHECK(!err && !strcasecmp(name_of(&t, ISA_SVM, code), t.svm[i].name),
		      "reason_lookup(\"%s\") does not round-trip", t.svm[i].name);
	}
	reasons_free(&t);
	free(text);
}

/* ---- constructed texts ----------------------------------------------------- */

static void test_vmx_only(void)
{
	static const char old_style[] =
		"name: kvm_exit\nID: 42\nformat:\n"
		"\tfield:unsigned int exit_reason;\toffset:8;\tsize:4;\tsigned:0;\n\n"
		"print fmt: \"reason %s rip 0x%lx info %llx %llx\", "
		"__print_symbolic(REC->exit_reason, { 0, \"EXCEPTION_NMI\" }, { 1, \"EXTERNAL_INTERRUPT\" }, "
		"{ 10, \"CPUID\" }, { 12, \"HLT\" }, { 48, \"EPT_VIOLATION\" }), "
		"REC->guest_rip, REC->info1, REC->info2\n";
	struct reason_table t;
	char *text = read_data("kvm_exit_format_6.18.txt"), *a, *b;
	const char *svm_start = ") : __print_symbolic(REC->exit_reason, ";
	const char *svm_end = "{ -1, \"invalid_guest_state\" })";
	int err;

	SECTION("VMX-only formats (no isa selector): a minimal old-style text and 6.18's with the SVM "
		"half cut out");
	err = reasons_parse_format(&t, old_style);
	CHECK(err == 0, "old-style: reasons_parse_format returned %d", err);
	CHECK_EQ_U64(t.nr_vmx, 5, "old-style: VMX rows");
	CHECK_EQ_U64(t.nr_svm, 0, "old-style: SVM rows");
	CHECK_STR(name_of(&t, ISA_VMX, 12), "HLT", "old-style: VMX 12");
	CHECK_STR(name_of(&t, ISA_VMX, 48), "EPT_VIOLATION", "old-style: VMX 48");
	CHECK_STR(name_of(&t, ISA_VMX, 0), "EXCEPTION_NMI", "old-style: VMX 0");
	CHECK_STR(name_of(&t, ISA_VMX, 2), "unknown(0x2)", "old-style: VMX 2");
	CHECK_STR(name_of(&t, ISA_SVM, 0x78), "unknown(0x78)", "old-style: SVM has no names");
	reasons_free(&t);

	/* 6.18 minus "(REC->isa == 1) ? " and the ": __print_symbolic(svm...)" branch. */
	a = replace(text, "(REC->isa == 1) ? __print_symbolic", "__print_symbolic");
	CHECK(a != NULL, "6.18 format has no isa selector to remove");
	if (!a)
		goto out;
	{
		char *s = strstr(a, svm_start), *e = s ? strstr(s, svm_end) : NULL;

		CHECK(s && e, "6.18 format: SVM table not found");
		if (!s || !e) {
			free(a);
			goto out;
		}
		memmove(s + 1, e + strlen(svm_end), strlen(e + strlen(svm_end)) + 1);
	}
	b = a;
	/* (The __print_flags part keeps its own "(REC->isa == 1) ?".) */
	CHECK(!strstr(b, "isa == 1) ? __print_symbolic") && count_of(b, "__print_symbolic(") == 1,
	      "the constructed text still has the selector or two tables");
	err = reasons_parse_format(&t, b);
	CHECK(err == 0, "6.18 cut to VMX only: reasons_parse_format returned %d", err);
	CHECK(t.nr_vmx >= 60, "6.18 cut to VMX only: %zu VMX rows", t.nr_vmx);
	CHECK_EQ_U64(t.nr_svm, 0, "6.18 cut to VMX only: SVM rows");
	CHECK_STR(name_of(&t, ISA_VMX, 10), "CPUID", "6.18 cut to VMX only: VMX 10");
	CHECK_STR(name_of(&t, ISA_VMX, 85), "MSR_WRITE_IMM", "6.18 cut to VMX only: VMX 85 (last)");
	CHECK_STR(name_of(&t, ISA_SVM, 0x400), "unknown(0x400)", "6.18 cut to VMX only: SVM 0x400");
	reasons_free(&t);
	free(b);
out:
	free(text);
}

/* Texts that are not a kvm_exit format with reason tables: -EINVAL, nothing allocated. */
static void test_garbage(void)
{
	static const char *const bad[] = {
		"",
		"hello, world",
		"print fmt:",
		"print fmt: \"vcpu %u\", REC->vcpu_id",
		"name: kvm_entry\nprint fmt: \"vcpu %u, rip 0x%lx\", REC->vcpu_id, REC->rip",
		"print fmt: __print_symbolic(REC->exit_reason, )",
		"print fmt: __print_symbolic(REC->exit_reason",
		"print fmt: __print_symbolic(REC->exit_reason, {",
		"print fmt: __print_symbolic(REC->exit_reason, { 10",
		"print fmt: __print_symbolic(REC->exit_reason, { 10, ",
		"print fmt: __print_symbolic(REC->exit_reason, { 10, \"CPU",
		"print fmt: __print_symbolic(REC->exit_reason, { 10, \"CPUID\"",
		"print fmt: __print_symbolic(REC->exit_reason, { 10 \"CPUID\" })",
		"print fmt: __print_symbolic(REC->exit_reason, { , \"CPUID\" })",
		"print fmt: __print_symbolic(REC->exit_reason, { CPUID, \"CPUID\" })",
		"print fmt: __print_symbolic(REC->exit_reason, { 0x040 + , \"x\" })",
		"print fmt: __print_symbolic(REC->exit_reason, { 10, CPUID })",
		("print fmt: (REC->isa == 1) ? __print_symbolic(REC->exit_reason & 0xffff, { 10, \"CPUID\" }) "
		 ": __print_symbolic(REC->exit_reason, { 0x72, \"cpu"),
		"\x01\x02\xff\xfe{}{}\"\"((",
		"print fmt: __print_flags(REC->exit_reason, \" \", { 0x80000000, \"FAILED_VMENTRY\" })",
	};
	struct reason_table t;

	SECTION("garbage and broken texts: an error and an empty table, never a crash");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int err;

		memset(&t, 0xa5, sizeof(t));	/* it must not trust what was there */
		err = reasons_parse_format(&t, bad[i]);
		CHECK(err < 0, "bad text %zu (\"%.60s\") returned %d, expected an error", i, bad[i], err);
		if (err < 0)
			check_empty(&t, bad[i]);
		else
			reasons_free(&t);
	}
}

/*
 * Every prefix of the real 6.18 text, as a short read would give it. Each
 * must parse without a crash. One that stops inside the reason tables
 * must be an error (so reasons_load falls back), not a partial table
 * taken for the kernel's; one that holds both whole tables parses them all.
 */
static void test_truncated(void)
{
	static const char *const where[] = {
		"inside the VMX table", "between the VMX and SVM tables", "inside the SVM table",
	};
	char *text = read_data("kvm_exit_format_6.18.txt");
	const char *svm_marker = " : __print_symbolic(REC->exit_reason, ";
	const char *end_marker = "{ -1, \"invalid_guest_state\" })";
	const char *vmx_end, *svm_start, *tables_end;
	size_t len = strlen(text), full_vmx = 0, full_svm = 0;
	size_t partial[3] = { 0 }, first[3] = { 0 }, errors = 0;
	struct reason_table t;

	SECTION("every prefix of the 6.18 text: no crash; cut inside the tables -> error; "
		"after them -> the full tables");
	svm_start = strstr(text, svm_marker);
	tables_end = strstr(text, end_marker);
	if (!CHECK(svm_start && tables_end, "6.18 text: markers not found"))
		goto out;
	vmx_end = svm_start - 1;		/* the VMX table's ')' ends here */
	svm_start += strlen(svm_marker);	/* the SVM table's first '{' */
	tables_end += strlen(end_marker);
	if (!CHECK(!reasons_parse_format(&t, text), "the whole 6.18 text does not parse"))
		goto out;
	full_vmx = t.nr_vmx;
	full_svm = t.nr_svm;
	reasons_free(&t);
	for (size_t n = 0; n <= len; n++) {
		char *p = strndup(text, n);
		const char *cut = text + n;
		int err, part;

		if (!p)
			exit(2);
		err = reasons_parse_format(&t, p);
		if (cut >= tables_end) {
			CHECK(!err && t.nr_vmx == full_vmx && t.nr_svm == full_svm,
			      "prefix of %zu bytes (tables complete): err %d, %zu/%zu rows", n, err,
			      t.nr_vmx, t.nr_svm);
		} else if (err) {
			errors++;
			check_empty(&t, "truncated");
		} else {
			/* "Success" with part of the tables: which part was cut. */
			part = cut <= vmx_end ? 0 : cut < svm_start ? 1 : 2;
			if (!partial[part]++)
				first[part] = n;
		}
		if (!err)
			reasons_free(&t);
		free(p);
	}
	CHECK(errors > 0, "no truncated prefix gave an error at all");
	/* src/reasons.c accepts these today: see the report (parse_symbolic, reasons_parse_format). */
	for (int i = 0; i < 3; i++)
		CHECK(partial[i] == 0,
			  "%zu prefixes cut %s parse as success (0) with partial tables, expected "
			  "-EINVAL; e.g. the first %zu bytes, ending ...\"%.30s\"",
			  partial[i], where[i], first[i],
			  text + (first[i] > 30 ? first[i] - 30 : 0));
out:
	free(text);
}

/* ---- uapi --------------------------------------------------------------------- */

static void test_uapi_vs_format(void)
{
	struct reason_table t;
	char *text = read_data("kvm_exit_format_6.18.txt");
	size_t same = 0, differ = 0;

	SECTION("the uapi VMX_EXIT_REASONS/SVM_EXIT_REASONS this is built with name codes as the 6.18 "
		"format does");
	CHECK(reasons_parse_format(&t, text) == 0, "cannot parse the 6.18 format");
	for (int pass = 0; pass < 2; pass++) {
		size_t nr = pass ? ARRAY_SIZE(uapi_svm) : ARRAY_SIZE(uapi_vmx);
		unsigned int isa = pass ? ISA_SVM : ISA_VMX;

		for (size_t i = 0; i < nr; i++) {
			long long code = pass ? uapi_svm[i].code : uapi_vmx[i].code;
			const char *want = pass ? uapi_svm[i].name : uapi_vmx[i].name;
			const char *got = name_of(&t, isa, (__u32)code);

			/* The kernel only grows the tables; the headers may be older. */
			if (CHECK(!strcmp(got, want), "%s 0x%llx: format says \"%s\", uapi \"%s\"",
				  pass ? "SVM" : "VMX", code, got, want))
				same++;
			else
				differ++;
		}
	}
	printf("     (%zu uapi codes named alike, %zu differently)\n", same, differ);
	reasons_free(&t);
	free(text);
}

/* reasons_load's fallback to uapi, seen where no tracefs format can be read. */
static void check_uapi_table(const struct reason_table *t, const char *what)
{
	CHECK_STR(t->source, "uapi headers", "%s: source", what);
	CHECK_EQ_U64(t->nr_vmx, ARRAY_SIZE(uapi_vmx), "%s: VMX rows", what);
	CHECK_EQ_U64(t->nr_svm, ARRAY_SIZE(uapi_svm), "%s: SVM rows", what);
	for (size_t i = 0; i < ARRAY_SIZE(uapi_vmx); i++)
		CHECK_STR(name_of(t, ISA_VMX, uapi_vmx[i].code), uapi_vmx[i].name, "%s: VMX %lld", what,
			  uapi_vmx[i].code);
	for (size_t i = 0; i < ARRAY_SIZE(uapi_svm); i++)
		CHECK_STR(name_of(t, ISA_SVM, (__u32)uapi_svm[i].code), uapi_svm[i].name,
			  "%s: SVM 0x%llx", what, uapi_svm[i].code);
	CHECK_STR(name_of(t, ISA_SVM, 0xffffffff), "invalid_guest_state", "%s: SVM -1", what);
	CHECK_STR(name_of(t, ISA_SVM, 0x400), "npf", "%s: SVM 0x400", what);
	CHECK_STR(name_of(t, ISA_VMX, 48), "EPT_VIOLATION", "%s: VMX 48", what);
	CHECK_STR(name_of(t, ISA_VMX, 0x1234), "unknown(0x1234)", "%s: VMX 0x1234", what);
}

/* Hide tracefs and debugfs in a mount namespace of our own; 0 when done. */
static int hide_tracefs(char *why, size_t len)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug" };
	struct stat st;

	if (unshare(CLONE_NEWNS)) {
		snprintf(why, len, "unshare(CLONE_NEWNS): %s", strerror(errno));
		return -1;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		snprintf(why, len, "making / private: %s", strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (stat(dirs[i], &st))
			continue;
		if (mount("none", dirs[i], "tmpfs", MS_RDONLY, "size=4k")) {
			snprintf(why, len, "mounting a tmpfs over %s: %s", dirs[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void test_load(void)
{
	struct reason_table t;
	char path[512], why[256];
	int err;
	pid_t pid;
	unsigned long before, failed_before;

	SECTION("reasons_load: an explicit format file wins; without any, the uapi tables");
	/* The 6.1 file by path, whatever the host has: 6.1 has no TDCALL. */
	snprintf(path, sizeof(path), "%s/kvm_exit_format_6.1.txt", data_dir);
	err = reasons_load(&t, path);
	CHECK(err == 0, "reasons_load(%s) = %d", path, err);
	CHECK_STR(t.source, "tracepoint format", "reasons_load(%s): source", path);
	CHECK_STR(name_of(&t, ISA_SVM, 0x400), "npf", "reasons_load(6.1 file): SVM 0x400");
	CHECK_STR(name_of(&t, ISA_VMX, 77), "unknown(0x4d)", "reasons_load(6.1 file): VMX 77");
	reasons_free(&t);

	/* A missing file: the host's tracefs or uapi, but names either way. */
	err = reasons_load(&t, "/nonexistent/kvm_exit/format");
	CHECK(err == 0 && t.source, "reasons_load(nonexistent) = %d", err);
	CHECK_STR(name_of(&t, ISA_SVM, 0x78), "hlt", "reasons_load(nonexistent, source %s): SVM 0x78",
		  t.source ? t.source : "?");
	CHECK_STR(name_of(&t, ISA_VMX, 12), "HLT", "reasons_load(nonexistent, source %s): VMX 12",
		  t.source ? t.source : "?");
	reasons_free(&t);

	/* A file that is not a format: it goes on to the other places. */
	snprintf(path, sizeof(path), "%s/../check.h", data_dir);
	err = reasons_load(&t, path);
	CHECK(err == 0 && t.nr_vmx && t.nr_svm, "reasons_load(a non-format file) = %d, %zu/%zu rows",
	      err, t.nr_vmx, t.nr_svm);
	reasons_free(&t);

	/*
	 * The uapi fallback proper needs the standard tracefs paths gone: hide
	 * them in a child's private mount namespace (root only).
	 */
	fflush(stdout);
	before = check_total;
	failed_before = check_failed;
	pid = fork();
	if (pid == 0) {
		FILE *f;

		if (hide_tracefs(why, sizeof(why))) {
			printf("     (uapi fallback not checked: %s)\n", why);
			_exit(77);
		}
		f = fopen("/sys/kernel/tracing/events/kvm/kvm_exit/format", "r");
		if (!f)
			f = fopen("/sys/kernel/debug/tracing/events/kvm/kvm_exit/format", "r");
		if (f) {
			printf("     (uapi fallback not checked: a format is still readable)\n");
			_exit(77);
		}
		err = reasons_load(&t, "/nonexistent/kvm_exit/format");
		CHECK(err == 0, "reasons_load(nonexistent) with tracefs hidden = %d", err);
		check_uapi_table(&t, "uapi fallback (path missing)");
		reasons_free(&t);
		err = reasons_load(&t, NULL);
		CHECK(err == 0, "reasons_load(NULL) with tracefs hidden = %d", err);
		check_uapi_table(&t, "uapi fallback (NULL path)");
		reasons_free(&t);
		snprintf(path, sizeof(path), "%s/../check.h", data_dir);
		err = reasons_load(&t, path);
		CHECK(err == 0, "reasons_load(non-format file) with tracefs hidden = %d", err);
		check_uapi_table(&t, "uapi fallback (a file that is no format)");
		reasons_free(&t);
		/* The parent counts one check for all of these; say how many they were. */
		printf("     (uapi fallback, tracefs hidden in a private mount namespace: %lu checks, "
		       "%lu failed)\n", check_total - before, check_failed - failed_before);
		fflush(stdout);
		_exit(check_failed > failed_before ? 1 : 0);
	}
	if (pid < 0) {
		CHECK(0, "fork: %s", strerror(errno));
		return;
	}
	{
		int status = 0;

		waitpid(pid, &status, 0);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
			return;
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the uapi fallback checks failed (child status 0x%x, its messages are above)",
		      status);
	}
}

/* KVM_EXIT_* names from kvm_userspace_exit's format: "KVM_EXIT_" "IO" is one literal. */
static void test_kvm_exit_names(void)
{
	static const struct { __u32 code; const char *name; } cases[] = {
		{ 0, "UNKNOWN" }, { 2, "IO" }, { 5, "HLT" }, { 6, "MMIO" }, { 8, "SHUTDOWN" },
		{ 17, "INTERNAL_ERROR" }, { 30, "X86_WRMSR" }, { 999, "unknown(999)" },
	};
	struct reason_table t = {};
	char *text = read_data("kvm_userspace_exit_format_6.18.txt");
	char buf[32];

	SECTION("KVM_EXIT_* names from the 6.18 kvm_userspace_exit format");
	CHECK(text && kvm_exit_names_parse(&t, text) == 0, "cannot parse the format");
	CHECK(t.nr_kvm_exit >= 31, "only %zu KVM_EXIT_* names", t.nr_kvm_exit);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_STR(kvm_exit_name(&t, cases[i].code, buf, sizeof(buf)), cases[i].name,
			  "kvm_exit_name(%u)", cases[i].code);
	reasons_free(&t);
	CHECK(kvm_exit_names_parse(&t, "print fmt: \"reason %d\", REC->reason") != 0,
	      "a format without the table must be an error");
	CHECK_STR(kvm_exit_name(&t, 2, buf, sizeof(buf)), "unknown(2)", "no table: a number");
	reasons_free(&t);
	free(text);
}

/*
 * arm64: one table of (exception type, class) codes from the format's two
 * __print_symbolic tables; the numbers and names checked here are
 * arch/arm64/include/asm/kvm_asm.h's ARM_EXCEPTION_* and esr.h's
 * ESR_ELx_EC_* as that kernel prints them.
 */
static void test_arm64(void)
{
	static const struct { __u32 code; const char *name; } cases[] = {
		{ 0, "IRQ" }, { 1, "SERROR_TYPE" }, { 0xbadca11, "HYP_GONE" },
		{ ARM64_TRAP_REASON(0x01), "WFx" }, { ARM64_TRAP_REASON(0x16), "HVC64" },
		{ ARM64_TRAP_REASON(0x18), "SYS64" }, { ARM64_TRAP_REASON(0x20), "IABT_LOW" },
		{ ARM64_TRAP_REASON(0x24), "DABT_LOW" }, { ARM64_TRAP_REASON(0x2f), "SERROR" },
		{ ARM64_TRAP_REASON(0x3c), "BRK64" }, { ARM64_TRAP_REASON(0x00), "UNKNOWN" },
		/* A trap is never named by its type alone. */
		{ ARM64_EXCEPTION_TRAP, "unknown(0x2)" },
	};
	struct reason_table t = {};
	char *text = read_data("kvm_exit_format_arm64_6.1.txt");
	char buf[32];
	__u32 code;

	SECTION("arm64: exception types and classes from the arm64 6.1 kvm_exit format");
	CHECK(reasons_parse_format(&t, text) == 0, "cannot parse the format");
	CHECK_STR(t.source ? t.source : "(none)", "tracepoint format", "source");
	/* 4 types (TRAP not a row of its own) and 35 classes, each "name" once in the text. */
	CHECK(t.nr_arm64 == count_of(text, "\" }") - 1, "%zu arm64 names, the text has %zu",
	      t.nr_arm64, count_of(text, "\" }") - 1);
	CHECK(t.nr_vmx == 0 && t.nr_svm == 0, "x86 names from an arm64 format");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CHECK_STR(reason_name(&t, ISA_ARM64, cases[i].code, buf, sizeof(buf)), cases[i].name,
			  "reason_name(arm64, %#x)", cases[i].code);
	CHECK(reason_lookup(&t, ISA_ARM64, "dabt_low", &code) == 0 && code == ARM64_TRAP_REASON(0x24),
	      "lookup of dabt_low");
	CHECK(reason_arg_check(&t, "--hist", "wfx", false) == 0, "--hist wfx refused");
	CHECK(reason_key_matches(&t, ISA_ARM64, ARM64_TRAP_REASON(0x16), "HVC64"), "HVC64 key");
	CHECK(reason_is_halt("WFx"), "WFx is the halt row (NOHLT%% leaves it out)");
	CHECK_STR(reason_isa_name(ISA_ARM64), "arm64", "isa name");
	reasons_free(&t);
	free(text);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		data_dir = argv[1];
	printf("test_reasons: format files from %s\n", data_dir);
	check_format("kvm_exit_format_6.1.txt", 0);
	check_format("kvm_exit_format_6.12.txt", 0);
	check_format("kvm_exit_format_6.18.txt", 1);
	test_halt_and_lookup();
	test_vmx_only();
	test_garbage();
	test_truncated();
	test_uapi_vs_format();
	test_load();
	test_kvm_exit_names();
	test_arm64();
	return check_done();
}
