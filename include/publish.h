/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The exposition kept current for --prometheus and --textfile: the run's
 * cumulative state made into the text (expose.h) each time the loop asks,
 * the series of VMs that exited retired after a few deliveries, the text
 * handed to the HTTP server (exporter.h) and written to the textfile.
 */
#ifndef VMEXITPROF_PUBLISH_H
#define VMEXITPROF_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "expose.h"
#include "reasons.h"
#include "snapshot.h"

/*
 * An exited VM's series stay on a route until this many expositions were
 * delivered on it (GET /metrics answered, the textfile written) since its
 * exit was seen: each scraper gets its final numbers before they go.
 */
#define PUBLISH_EXITED_DELIVERIES 3

struct exporter;

struct publish_opts {
	bool http;			/* --prometheus given */
	const char *http_addr;
	unsigned int http_port;
	const char *textfile;		/* --textfile, or NULL */
	struct expose_opts expose;
};

/* How many expositions each route had delivered at some moment. */
struct publish_mark {
	unsigned long long scrapes, writes;
};

/* An exited VM still shown: since when, on each route. */
struct publish_exited {
	__u32 pid;
	__u64 start;
	struct publish_mark since;
	bool retired;
};

/* A series' identity: one row of the summary (see publish.c). */
struct publish_series {
	__u32 pid, vcpu;
	__u64 start;
	__u32 kind, isa, reason, flags;
	__u64 addr;
	__u32 dir, size;
	struct publish_mark born;	/* first exposed, at zero, then */
};

struct publisher {
	struct publish_opts opts;
	struct exporter *http;
	unsigned long long textfile_writes;
	int textfile_err;		/* the last write's error: said once, not every interval */
	struct publish_exited *exited;	/* the VMs of the collector's exited list */
	size_t nr_exited;
	struct publish_series *series;	/* every series shown, sorted */
	size_t nr_series;
	char *text;			/* the textfile's last text */
	size_t len;
};

/* Start the HTTP server, if asked (says where on stderr). 0, or -1 after a one-line error. */
int publish_start(struct publisher *p, const struct publish_opts *opts);
/*
 * Make the exposition of total (the run's cumulative snapshot) and serve
 * it; with textfile, also the textfile's own text, for publish_textfile().
 * exited are the VMs that exited, as the collector has them apart (the
 * ones it folded into FOLDED_VM_PID are gone from it and never shown).
 * -ENOMEM or 0.
 */
int publish_refresh(struct publisher *p, const struct snapshot *total, const struct run *run,
		    const struct reason_table *names, const struct vm_id *exited, size_t nr_exited,
		    bool textfile);
/* Write the textfile's last text, atomically, atomically. 0, or -1 after a one-line error. */
int publish_textfile(struct publisher *p);
/* Stop serving; remove the textfile, so node_exporter does not serve a stopped run's numbers. */
void publish_stop(struct publisher *p);

#endif /* VMEXITPROF_PUBLISH_H */
