// SPDX-License-Identifier: GPL-2.0
/* The JSON emitter (include/json_writer.h). */
#include <string.h>

#include "json_writer.h"

void jsonw_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Whether the container being written has items; nesting past the table shares its last slot. */
static bool *has_items(struct json_writer *w)
{
	return &w->has_items[w->depth < JSONW_MAX_DEPTH ? w->depth : JSONW_MAX_DEPTH - 1];
}

/* Before any value: the comma after the previous item, unless a name precedes it. */
static void before_value(struct json_writer *w)
{
	if (w->after_name) {
		w->after_name = false;
	} else {
		if (*has_items(w))
			fputc(',', w->out);
		*has_items(w) = true;
	}
	if (w->line_break) {
		fputc('\n', w->out);
		w->line_break = false;
	}
}

static void start(struct json_writer *w, char c)
{
	before_value(w);
	fputc(c, w->out);
	w->depth++;
	*has_items(w) = false;
}

static void end(struct json_writer *w, char c)
{
	if (w->line_break) {
		fputc('\n', w->out);
		w->line_break = false;
	}
	fputc(c, w->out);
	if (w->depth)
		w->depth--;
}

void jsonw_start_object(struct json_writer *w) { start(w, '{'); }
void jsonw_end_object(struct json_writer *w) { end(w, '}'); }
void jsonw_start_array(struct json_writer *w) { start(w, '['); }
void jsonw_end_array(struct json_writer *w) { end(w, ']'); }

void jsonw_break(struct json_writer *w)
{
	w->line_break = true;
}

static void put_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void jsonw_name(struct json_writer *w, const char *name)
{
	before_value(w);
	put_string(w->out, name);
	fputc(':', w->out);
	w->after_name = true;
}

void jsonw_string(struct json_writer *w, const char *s)
{
	before_value(w);
	put_string(w->out, s);
}

void jsonw_uint(struct json_writer *w, __u64 v)
{
	before_value(w);
	fprintf(w->out, "%llu", (unsigned long long)v);
}

void jsonw_decimal(struct json_writer *w, __u64 v, unsigned int decimals)
{
	__u64 scale = 1;

	for (unsigned int i = 0; i < decimals; i++)
		scale *= 10;
	before_value(w);
	if (decimals)
		fprintf(w->out, "%llu.%0*llu", (unsigned long long)(v / scale), (int)decimals,
			(unsigned long long)(v % scale));
	else
		fprintf(w->out, "%llu", (unsigned long long)v);
}

void jsonw_int(struct json_writer *w, __s64 v)
{
	before_value(w);
	fprintf(w->out, "%lld", (long long)v);
}

void jsonw_bool(struct json_writer *w, bool v)
{
	before_value(w);
	fputs(v ? "true" : "false", w->out);
}

void jsonw_null(struct json_writer *w)
{
	before_value(w);
	fputs("null", w->out);
}

void jsonw_string_field(struct json_writer *w, const char *name, const char *s)
{
	jsonw_name(w, name);
	jsonw_string(w, s);
}

void jsonw_uint_field(struct json_writer *w, const char *name, __u64 v)
{
	jsonw_name(w, name);
	jsonw_uint(w, v);
}

void jsonw_int_field(struct json_writer *w, const char *name, __s64 v)
{
	jsonw_name(w, name);
	jsonw_int(w, v);
}

void jsonw_bool_field(struct json_writer *w, const char *name, bool v)
{
	jsonw_name(w, name);
	jsonw_bool(w, v);
}

void jsonw_null_field(struct json_writer *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_null(w);
}

void jsonw_object_field(struct json_writer *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_start_object(w);
}

void jsonw_array_field(struct json_writer *w, const char *name)
{
	jsonw_name(w, name);
	jsonw_start_array(w);
}
