// SPDX-License-Identifier: GPL-2.0
/* Exit reason names, from the tracepoint formats or the uapi tables (include/reasons.h). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/kvm.h>	/* the *_VECTOR numbers SVM_EXIT_REASONS uses */
#include <asm/svm.h>
#include <asm/vmx.h>

#include "reasons.h"
#include "util.h"
#include "vmexitprof.h"

static const struct { long long code; const char *name; } uapi_vmx[] = { VMX_EXIT_REASONS };
static const struct { long long code; const char *name; } uapi_svm[] = { SVM_EXIT_REASONS };


static int add(struct reason_name **tab, size_t *nr, long long code, const char *name, size_t len)
{
	struct reason_name *n = array_append(tab, nr, sizeof(**tab));

	if (!n)
		return -ENOMEM;
	n->code = code;
	n->name = strndup(name, len);
	if (!n->name) {
		(*nr)--;
		return -ENOMEM;
	}
	return 0;
}

/*
 * A code as the format prints it: "0x040 + 6", "-1", "12", and arm64's
 * "(0x01)" (6.1) or "(((0x01UL)))" (6.12): a term's parentheses and
 * integer suffixes are skipped.
 */
static const char *parse_code(const char *p, long long *code)
{
	char *end;

	*code = 0;
	for (;;) {
		int parens = 0;

		while (*p == ' ' || *p == '(') {
			parens += *p == '(';
			p++;
		}
		*code += strtoll(p, &end, 0);
		if (end == p)
			return NULL;
		p = end;
		while (*p == 'U' || *p == 'u' || *p == 'L' || *p == 'l')
			p++;
		while (*p == ' ' || (*p == ')' && parens)) {
			parens -= *p == ')';
			p++;
		}
		if (parens)
			return NULL;
		if (*p != '+')
			return p;
		p++;
	}
}

/* Parse the "{ code, "name" }, ..." list after a __print_symbolic( up to its closing ')'. */
static const char *parse_symbolic(const char *p, struct reason_name **tab, size_t *nr)
{
	int depth = 1;

	/* Skip the value expression: "REC->exit_reason & 0xffff, " */
	while (*p && *p != '{' && *p != ')')
		p++;
	while (*p && depth > 0) {
		if (*p == '{') {
			long long code;
			const char *q = parse_code(p + 1, &code), *name, *end;

			if (!q || *q != ',')
				return NULL;
			char joined[128];
			size_t len = 0;

			/* "KVM_EXIT_" "IO": adjacent literals are one string. */
			name = strchr(q, '"');
			if (!name)
				return NULL;
			for (;;) {
				end = strchr(name + 1, '"');
				if (!end || len + (end - name - 1) >= sizeof(joined))
					return NULL;
				memcpy(joined + len, name + 1, end - name - 1);
				len += end - name - 1;
				name = end + 1;
				while (*name == ' ')
					name++;
				if (*name != '"')
					break;
			}
			if (add(tab, nr, code, joined, len))
				return NULL;
			p = strchr(end, '}');
			if (!p)
				return NULL;
			p++;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')')
			depth--;
		p++;
	}
	/* Text that ends inside the table is truncated, not a shorter table. */
	return depth ? NULL : p;
}

/*
 * arm64's format: __print_symbolic(REC->ret, types...) and
 * __print_symbolic(REC->esr_ec, classes...). One table of reason codes
 * (include/vmexitprof.h): a trap is named by its class ("WFx"), any other
 * exit by its type ("IRQ"), or "NAME_TYPE" where a class has that name
 * too (the SError type and class are both "SERROR").
 */
static int parse_arm64(struct reason_table *t, const char *fmt)
{
	struct reason_name *types = NULL, *classes = NULL;
	size_t nr_types = 0, nr_classes = 0;
	const char *p = strstr(fmt, "__print_symbolic(REC->ret");
	const char *q = strstr(fmt, "__print_symbolic(REC->esr_ec");
	int err = -EINVAL;

	if (!p || !q || !parse_symbolic(p + strlen("__print_symbolic("), &types, &nr_types) ||
	    !parse_symbolic(q + strlen("__print_symbolic("), &classes, &nr_classes))
		goto out;
	err = 0;
	for (size_t i = 0; i < nr_classes && !err; i++)
		err = add(&t->arm64, &t->nr_arm64, ARM64_TRAP_REASON((__u32)classes[i].code & 0x3f),
			  classes[i].name, strlen(classes[i].name));
	for (size_t i = 0; i < nr_types && !err; i++) {
		char name[80];
		bool clash = false;

		if (types[i].code == ARM64_EXCEPTION_TRAP)
			continue;
		for (size_t c = 0; c < nr_classes; c++)
			clash |= !strcasecmp(classes[c].name, types[i].name);
		snprintf(name, sizeof(name), "%s%s", types[i].name, clash ? "_TYPE" : "");
		err = add(&t->arm64, &t->nr_arm64, (__u32)types[i].code & ~ARM64_SERROR_BIT, name,
			  strlen(name));
	}
out:
	for (size_t i = 0; i < nr_types; i++)
		free(types[i].name);
	for (size_t i = 0; i < nr_classes; i++)
		free(classes[i].name);
	free(types);
	free(classes);
	return err;
}

int reasons_parse_format(struct reason_table *t, const char *text)
{
	const char *fmt = strstr(text, "print fmt:"), *p, *vmx_sel;

	memset(t, 0, sizeof(*t));
	if (!fmt)
		return -EINVAL;
	if (strstr(fmt, "__print_symbolic(REC->esr_ec")) {
		if (parse_arm64(t, fmt) || !t->nr_arm64) {
			reasons_free(t);
			return -EINVAL;
		}
		t->source = "tracepoint format";
		return 0;
	}
	/*
	 * Since SVM support the format reads
	 *   (REC->isa == 1) ? __print_symbolic(vmx...) : __print_symbolic(svm...)
	 * and older ones have only the VMX table.
	 */
	vmx_sel = strstr(fmt, "isa == 1) ? __print_symbolic(");
	p = strstr(fmt, "__print_symbolic(REC->exit_reason");
	if (!p)
		return -EINVAL;
	p = parse_symbolic(p + strlen("__print_symbolic("), &t->vmx, &t->nr_vmx);
	if (!p)
		goto fail;
	if (vmx_sel) {
		p = strstr(p, "__print_symbolic(REC->exit_reason");
		if (!p || !parse_symbolic(p + strlen("__print_symbolic("), &t->svm, &t->nr_svm))
			goto fail;
	}
	t->source = "tracepoint format";
	return t->nr_vmx || t->nr_svm ? 0 : -EINVAL;
fail:
	reasons_free(t);
	return -EINVAL;
}

static int load_uapi(struct reason_table *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < ARRAY_SIZE(uapi_vmx); i++)
		if (add(&t->vmx, &t->nr_vmx, uapi_vmx[i].code, uapi_vmx[i].name, strlen(uapi_vmx[i].name)))
			return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(uapi_svm); i++)
		if (add(&t->svm, &t->nr_svm, uapi_svm[i].code, uapi_svm[i].name, strlen(uapi_svm[i].name)))
			return -ENOMEM;
	t->source = "uapi headers";
	return 0;
}

int reasons_load(struct reason_table *t, const char *format_path)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/events/kvm/kvm_exit/format",
		"/sys/kernel/debug/tracing/events/kvm/kvm_exit/format",
	};
	char buf[65536];

	for (size_t i = 0; i < ARRAY_SIZE(paths) + 1; i++) {
		const char *path = i ? paths[i - 1] : format_path;
		FILE *f;
		size_t n;

		if (!path)
			continue;
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		if (!reasons_parse_format(t, buf))
			return 0;
	}
	return load_uapi(t);
}

/* Read a whole small text file into buf; 0 or -errno. */
static int read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return 0;
}

int kvm_exit_names_parse(struct reason_table *t, const char *text)
{
	const char *p = strstr(text, "__print_symbolic(REC->reason");

	if (!p || !parse_symbolic(p + strlen("__print_symbolic("), &t->kvm_exit, &t->nr_kvm_exit))
		return -EINVAL;
	return t->nr_kvm_exit ? 0 : -EINVAL;
}

int kvm_exit_names_load(struct reason_table *t)
{
	static const char *const paths[] = {
		"/sys/kernel/tracing/events/kvm/kvm_userspace_exit/format",
		"/sys/kernel/debug/tracing/events/kvm/kvm_userspace_exit/format",
	};
	char buf[16384];

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (!read_text(paths[i], buf, sizeof(buf)) && !kvm_exit_names_parse(t, buf))
			return 0;
	return -ENOENT;
}

const char *kvm_exit_name(const struct reason_table *t, __u32 code, char *buf, size_t len)
{
	static const char prefix[] = "KVM_EXIT_";

	for (size_t i = 0; i < t->nr_kvm_exit; i++) {
		const char *name = t->kvm_exit[i].name;

		if ((__u32)t->kvm_exit[i].code != code)
			continue;
		return strncmp(name, prefix, strlen(prefix)) ? name : name + strlen(prefix);
	}
	snprintf(buf, len, "unknown(%u)", code);
	return buf;
}

void reasons_free(struct reason_table *t)
{
	for (size_t i = 0; i < t->nr_kvm_exit; i++)
		free(t->kvm_exit[i].name);
	free(t->kvm_exit);
	for (size_t i = 0; i < t->nr_vmx; i++)
		free(t->vmx[i].name);
	for (size_t i = 0; i < t->nr_svm; i++)
		free(t->svm[i].name);
	for (size_t i = 0; i < t->nr_arm64; i++)
		free(t->arm64[i].name);
	free(t->vmx);
	free(t->svm);
	free(t->arm64);
	memset(t, 0, sizeof(*t));
}

/* One ISA's table. */
static const struct reason_name *isa_table(const struct reason_table *t, unsigned int isa, size_t *nr)
{
	if (isa == ISA_ARM64) {
		*nr = t->nr_arm64;
		return t->arm64;
	}
	*nr = isa == ISA_SVM ? t->nr_svm : t->nr_vmx;
	return isa == ISA_SVM ? t->svm : t->vmx;
}

const char *reason_name(const struct reason_table *t, unsigned int isa, __u32 code, char *buf,
			size_t len)
{
	size_t nr;
	const struct reason_name *tab = isa_table(t, isa, &nr);

	for (size_t i = 0; i < nr; i++) {
		/* SVM's table has -1 for an all-ones code (invalid guest state). */
		if ((__u32)tab[i].code == code)
			return tab[i].name;
	}
	snprintf(buf, len, "unknown(0x%x)", code);
	return buf;
}

const char *halt_reason_name(__u32 reason)
{
	static const char *const names[HALT_NR_REASONS] = {
		[HALT_POLLED] = "polled", [HALT_BLOCKED] = "blocked",
		[HALT_WAKE_POLLED] = "wake_polled", [HALT_WAKE_BLOCKED] = "wake_blocked",
	};

	return reason < HALT_NR_REASONS ? names[reason] : "unknown";
}

const char *reason_isa_name(unsigned int isa)
{
	return isa == ISA_ARM64 ? "arm64" : isa == ISA_SVM ? "svm" : "vmx";
}

int reason_is_halt(const char *name)
{
	/* WFx: arm64's WFI and WFE, one class; the vCPU waits for an interrupt or event. */
	return !strcasecmp(name, "hlt") || !strcasecmp(name, "idle-halt") || !strcasecmp(name, "WFx");
}

int reason_lookup(const struct reason_table *t, unsigned int isa, const char *name, __u32 *code)
{
	size_t nr;
	const struct reason_name *tab = isa_table(t, isa, &nr);

	for (size_t i = 0; i < nr; i++) {
		if (!strcasecmp(tab[i].name, name)) {
			*code = tab[i].code;
			return 0;
		}
	}
	return -ENOENT;
}

int reasons_add(struct reason_table *t, unsigned int isa, long long code, const char *name)
{
	if (isa == ISA_VMX)
		return add(&t->vmx, &t->nr_vmx, code, name, strlen(name));
	if (isa == ISA_SVM)
		return add(&t->svm, &t->nr_svm, code, name, strlen(name));
	if (isa == ISA_ARM64)
		return add(&t->arm64, &t->nr_arm64, code, name, strlen(name));
	if (isa == ISA_VMM)
		return add(&t->kvm_exit, &t->nr_kvm_exit, code, name, strlen(name));
	return -EINVAL;
}

bool reason_key_matches(const struct reason_table *t, unsigned int isa, __u32 code, const char *arg)
{
	char buf[32];

	if (isa == ISA_VMM)
		return !strcasecmp(arg, "vmm");
	if (isa == ISA_HALT)
		return false;	/* not an exit: --halt's table has its own histograms */
	return !strcasecmp(arg, "all") || !strcasecmp(arg, reason_name(t, isa, code, buf, sizeof(buf)));
}

int reason_arg_check(const struct reason_table *t, const char *opt, const char *arg, bool vmm_too)
{
	unsigned int code;
	char end;
	__u32 ignored;

	if (!strcasecmp(arg, "all") || (vmm_too && !strcasecmp(arg, "vmm")) ||
	    !reason_lookup(t, ISA_SVM, arg, &ignored) || !reason_lookup(t, ISA_VMX, arg, &ignored) ||
	    !reason_lookup(t, ISA_ARM64, arg, &ignored) ||
	    (sscanf(arg, "unknown(0x%x%c", &code, &end) == 2 && end == ')'))
		return 0;
	fprintf(stderr, "vmexitprof: %s: '%s' is not an exit reason of this kernel (a name from the "
		"REASON column%s)\n", opt, arg, vmm_too ? ", 'all' or 'vmm'" : ", or 'all'");
	return -1;
}
