/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The run's data on disk (--heatmap-out): a JSON dump that "vmexitprof
 * report" reads back, and a CSV of histogram cells for spreadsheets.
 * Schema in docs/json.md. The writer (dump.c) and the reader
 * (dump_read.c) share the field tables below, so that each name is
 * spelled once.
 */
#ifndef VMEXITPROF_DUMP_H
#define VMEXITPROF_DUMP_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

#include "reasons.h"
#include "snapshot.h"

#define DUMP_FORMAT "vmexitprof-dump"
/*
 * 2: the histograms reach 2^42 ns (610 buckets; version 1 stopped at
 * 2^36, 514), and an interval's histogram may count no sample.
 */
#define DUMP_VERSION 2
/* Counters from this one on came after the first version-1 dumps: a reader takes them as optional. */
#define DUMP_FIRST_OPTIONAL_COUNTER CNT_SLOT_FAILED

/*
 * One integer field of a dump record (a histogram, a return to userspace
 * count, a port/MMIO tally): its name, where it is in the record's struct
 * and how wide, and what a reader accepts.
 */
enum dump_field_kind {
	DUMP_UINT,		/* an integer in [min, max] */
	DUMP_VCPU,		/* a vCPU id, or null for VCPU_UNKNOWN */
	DUMP_OPTIONAL,		/* an integer; absent means 0 (older dumps lack it) */
	DUMP_NONZERO,		/* as DUMP_OPTIONAL, and written only when not 0 */
	DUMP_BOOL,		/* true or false, in a bool */
};

struct dump_field {
	const char *name;
	size_t offset, size;	/* size: 1, 2, 4 or 8 bytes */
	enum dump_field_kind kind;
	__u64 min, max;
	/* Must not be below this earlier field of the record (max_ns >= min_ns). */
	const char *at_least;
};

struct dump_record {
	const char *array;		/* the interval's member that lists them */
	const struct dump_field *fields;
	size_t nr_fields;
	size_t size;			/* of the record's struct */
};

/* The document's own fields (struct run), those of each of its "vms" (struct run_vm), */
extern const struct dump_record dump_run_record;
extern const struct dump_record dump_vm_record;
/* the vCPUs whose vcpu_id differs from their number (struct run_vcpu_id; optional), */
extern const struct dump_record dump_vcpu_id_record;
/* and in each interval, histograms (struct sparse_hist; its buckets apart), returns to */
extern const struct dump_record dump_hist_record;
/* userspace (struct snap_uexit) and port/MMIO tallies (struct snap_io). */
extern const struct dump_record dump_uexit_record;
extern const struct dump_record dump_io_record;
/* The slow exits (struct outlier; optional: only with --slower-than). */
extern const struct dump_record dump_outlier_record;

/* The other members, named here once for writer and reader. */
#define DUMP_KEY_FORMAT		"format"
#define DUMP_KEY_VERSION	"version"
#define DUMP_KEY_VMM_TIME	"vmm_time_source"
#define DUMP_KEY_ATTACH		"attach"		/* optional: tp_btf or classic */
#define DUMP_KEY_BOUNDS		"bucket_lower_ns"	/* each bucket's lower bound */
#define DUMP_KEY_VMS		"vms"
#define DUMP_KEY_VM_NAME	"name"
#define DUMP_KEY_REASON_CODE	"code"			/* in the three name tables */
#define DUMP_KEY_REASON_NAME	"name"
#define DUMP_KEY_INTERVALS	"intervals"
#define DUMP_KEY_START		"start_ns"		/* an interval's times */
#define DUMP_KEY_END		"end_ns"
#define DUMP_KEY_COUNTERS	"counters"		/* by counter_names[] */
#define DUMP_KEY_BUCKETS	"buckets"
#define DUMP_KEY_SLOWER_THAN	"slower_than_ns"	/* optional: with "outliers" */

/* The name tables: member, and the isa reasons_add() takes. */
struct dump_names_table {
	const char *key;
	unsigned int isa;
	bool optional;		/* written only when not empty; a dump may lack it */
};
extern const struct dump_names_table dump_names_tables[4];

/* A field's value in a record, and setting it. */
__u64 dump_field_get(const struct dump_field *f, const void *record);
void dump_field_set(const struct dump_field *f, void *record, __u64 v);

void dump_write_json(FILE *out, const struct run *run, const struct reason_table *names);
void dump_write_csv(FILE *out, const struct run *run, const struct reason_table *names);

/*
 * Read a JSON dump from buf into run, and the names it carries into names.
 * Returns 0, or -1 with a one-line reason in err (what is wrong, and where).
 */
int dump_read(const char *buf, size_t len, struct run *run, struct reason_table *names,
	      char *err, size_t errlen);

#endif /* VMEXITPROF_DUMP_H */
