// SPDX-License-Identifier: GPL-2.0
/*
 * The text table of where each reason's exit-to-entry time went: on the
 * CPU in the kernel or in the VMM, off it preempted, blocked or (HLT)
 * halted (include/print.h); and the same for the VMM's handling time;
 * with --bql, how much of it waited for QEMU's global mutex.
 */
#include <string.h>

#include "hist.h"
#include "print.h"
#include "util.h"

static void pct(FILE *out, __u64 part, __u64 whole)
{
	if (whole)
		fprintf(out, " %8.1f%%", 100.0 * part / whole);
	else
		fprintf(out, " %9s", "-");
}

static void split_row(FILE *out, const char *indent, const char *name, __u64 total,
		      const struct time_split *t, bool vmm_rows, bool bql)
{
	char buf[32];

	format_ns(buf, sizeof(buf), total);
	fprintf(out, "%s%-24s %9s", indent, name, buf);
	pct(out, t->kernel_ns, total);
	if (!vmm_rows)
		pct(out, t->vmm_ns, total);
	pct(out, t->preempted_ns, total);
	pct(out, t->blocked_ns, total);
	if (!vmm_rows)
		pct(out, t->halted_ns, total);
	if (bql)
		pct(out, t->bql_ns, total);
	fputc('\n', out);
}

static void split_sum(struct time_split *all, const struct time_split *t)
{
	all->kernel_ns += t->kernel_ns;
	all->vmm_ns += t->vmm_ns;
	all->preempted_ns += t->preempted_ns;
	all->blocked_ns += t->blocked_ns;
	all->halted_ns += t->halted_ns;
	all->bql_ns += t->bql_ns;
}

void print_split_text(FILE *out, const struct reason_rows *set, const struct reason_table *names,
		      const char *indent, bool bql)
{
	struct time_split all = {}, t;
	__u64 total = 0;
	char name[64], unknown[32];
	bool vmm_rows = set->nr && set->rows[0].isa == ISA_VMM;

	if (!set->nr)
		return;
	if (vmm_rows)
		fprintf(out, "\n%sWhere the VMM's handling time went (on the CPU; off it, preempted or "
			"blocked%s):\n%s%-24s %9s %9s %9s %9s", indent,
			bql ? "; BQL%: of it, waiting for QEMU's global mutex" : "", indent, "KVM_EXIT", "TIME",
			"ON-CPU%", "PREEMPT%", "BLOCKED%");
	else
		fprintf(out, "\n%sWhere the exit-to-entry time went (on the CPU in the kernel or the VMM; "
			"off it, preempted, blocked or halted%s):\n%s%-24s %9s %9s %9s %9s %9s %9s", indent,
			bql ? "; BQL%: of it, in the VMM waiting for QEMU's global mutex" : "", indent,
			"REASON", "TIME", "KERNEL%", "VMM%", "PREEMPT%", "BLOCKED%", "HALTED%");
	fprintf(out, bql ? " %9s\n" : "\n", "BQL%");
	for (size_t i = 0; i < set->nr; i++) {
		const struct reason_row *s = &set->rows[i];
		const char *n = vmm_rows ? kvm_exit_name(names, s->reason, name, sizeof(name)) :
			       reason_name(names, s->isa, s->reason, unknown, sizeof(unknown));

		if (!s->h.count)
			continue;
		hist_split(&s->h, !vmm_rows && reason_is_halt(n), &t);
		if (!vmm_rows && (s->flags & HIST_FLAG_FAILED_VMENTRY)) {
			snprintf(name, sizeof(name), "%s (failed entry)", n);
			n = name;
		}
		split_row(out, indent, n, s->h.sum_ns, &t, vmm_rows, bql);
		split_sum(&all, &t);
		total += s->h.sum_ns;
	}
	split_row(out, indent, "TOTAL", total, &all, vmm_rows, bql);
}
