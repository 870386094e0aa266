/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one JSON emitter, for every JSON output (reports, -I lines, dumps),
 * in the style of bpftool's json_writer.h: it streams, so a dump of any
 * size is written without building it in memory first (a DOM library
 * would hold ~100 bytes per number), and it places the commas and
 * escapes the strings, so no printer does. Compact: no spaces; a caller
 * may ask for a line break between values for readability.
 *
 *	struct json_writer w;
 *	jsonw_init(&w, stdout);
 *	jsonw_start_object(&w);
 *	jsonw_uint_field(&w, "count", 3);
 *	jsonw_end_object(&w);		writes {"count":3}
 *
 * Reading JSON is json-c's job (src/dump_read.c).
 */
#ifndef VMEXITPROF_JSON_WRITER_H
#define VMEXITPROF_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSONW_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	unsigned int depth;
	bool has_items[JSONW_MAX_DEPTH];	/* a comma before the next value at this depth */
	bool after_name;			/* a member name was written: its value follows */
	bool line_break;			/* jsonw_break(): '\n' before the next value */
};

void jsonw_init(struct json_writer *w, FILE *out);
void jsonw_start_object(struct json_writer *w);
void jsonw_end_object(struct json_writer *w);
void jsonw_start_array(struct json_writer *w);
void jsonw_end_array(struct json_writer *w);
/* A member's name, inside an object; its value comes next. */
void jsonw_name(struct json_writer *w, const char *name);
/* A line break before the next value (whitespace that JSON allows). */
void jsonw_break(struct json_writer *w);

void jsonw_string(struct json_writer *w, const char *s);
void jsonw_uint(struct json_writer *w, __u64 v);
void jsonw_int(struct json_writer *w, __s64 v);
/* v / 10^decimals exactly, with that many digits after the point: 1234, 3 writes 1.234. */
void jsonw_decimal(struct json_writer *w, __u64 v, unsigned int decimals);
void jsonw_bool(struct json_writer *w, bool v);
void jsonw_null(struct json_writer *w);

/* Name and value in one call. */
void jsonw_string_field(struct json_writer *w, const char *name, const char *s);
void jsonw_uint_field(struct json_writer *w, const char *name, __u64 v);
void jsonw_int_field(struct json_writer *w, const char *name, __s64 v);
void jsonw_bool_field(struct json_writer *w, const char *name, bool v);
void jsonw_null_field(struct json_writer *w, const char *name);
/* An object or array member: the name, then the start. */
void jsonw_object_field(struct json_writer *w, const char *name);
void jsonw_array_field(struct json_writer *w, const char *name);

#endif /* VMEXITPROF_JSON_WRITER_H */
