/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A summary of a run's cumulative state as Prometheus' text exposition
 * format (version 0.0.4): what --prometheus serves and --textfile writes.
 * A printer: it gets a sorted summary and an expose_opts, never the
 * command line. The metrics are listed in the man page (docs/vmexitprof.8.scd).
 */
#ifndef VMEXITPROF_EXPOSE_H
#define VMEXITPROF_EXPOSE_H

#include <stdbool.h>
#include <stdio.h>

#include "reasons.h"
#include "summary.h"

/* The exposition's content type, for the HTTP server. */
#define EXPOSE_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct expose_opts {
	bool per_vcpu;		/* a vcpu label: series per vCPU instead of per VM */
	const char *version;	/* vmexitprof_build_info's labels */
	const char *attach;	/* how the kvm tracepoints are attached (loader.h) */
	const char *vmm_time;	/* what ends the VMM handling time, or "none" */
};

/*
 * Write every metric of sum, each family's HELP and TYPE first: every
 * row, at zero too (publish.c shows a new series at zero first). The VMs
 * in sum are the ones exposed (publish.c leaves out those it retired);
 * the port and MMIO families only when sum->ports / sum->mmio.
 */
void expose_write(FILE *out, const struct summary *sum, const struct reason_table *names,
		  const struct expose_opts *opts);

/*
 * The histograms' `le` bounds: exact merges of hist.h's buckets, 4 per
 * power of two from 2^10 ns (1.024 us) to 2^42 ns, then +Inf. Bound i
 * (0 <= i < EXPOSE_NR_LE) holds the buckets below hist.h's bucket
 * expose_le_bucket(i), whose lower edge less 1 ns is the bound itself.
 */
#define EXPOSE_LE_MIN_SHIFT	10
#define EXPOSE_LE_PER_OCTAVE	4
#define EXPOSE_NR_LE	((HIST_MAX_SHIFT - EXPOSE_LE_MIN_SHIFT) * EXPOSE_LE_PER_OCTAVE + 1)
__u32 expose_le_bucket(unsigned int i);

#endif /* VMEXITPROF_EXPOSE_H */
