/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A parsed JSON tree written back as compact JSON, for the unit test's
 * expected texts and the fuzz target's round trip. Written apart from
 * src/json.c's code paths on purpose. Exact integers print as plain
 * digits and every other number as a double that reads back the same
 * (17 significant digits, and never an integer literal: 3.0 stays
 * "3.0"); '"', '\' and control characters are escaped, other bytes (the
 * parser gives valid UTF-8) written as they are.
 */
#ifndef VMEXITPROF_TESTS_JSON_WRITE_H
#define VMEXITPROF_TESTS_JSON_WRITE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void json_write_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_write(FILE *f, const struct json_value *v)
{
	const char *key;
	char num[40];

	switch (v->type) {
	case JSON_NULL:
		fputs("null", f);
		break;
	case JSON_BOOL:
		fputs(v->boolean ? "true" : "false", f);
		break;
	case JSON_NUMBER:
		if (v->number.is_u64) {
			fprintf(f, "%llu", (unsigned long long)v->number.u64);
		} else if (v->number.is_s64) {
			fprintf(f, "%lld", (long long)v->number.s64);
		} else {
			snprintf(num, sizeof(num), "%.17g", v->number.d);
			fprintf(f, "%s%s", num, strpbrk(num, ".e") ? "" : ".0");
		}
		break;
	case JSON_STRING:
		json_write_string(f, json_str(v), json_str_len(v));
		break;
	case JSON_ARRAY:
		fputc('[', f);
		for (size_t i = 0; i < json_len(v); i++) {
			if (i)
				fputc(',', f);
			json_write(f, json_at(v, i));
		}
		fputc(']', f);
		break;
	case JSON_OBJECT:
		fputc('{', f);
		for (size_t i = 0; i < json_len(v); i++) {
			const struct json_value *m = json_member_at(v, i, &key);

			if (i)
				fputc(',', f);
			json_write_string(f, key, v->object.members[i].key_len);
			fputc(':', f);
			json_write(f, m);
		}
		fputc('}', f);
		break;
	}
}

/* The text, NUL-terminated in a new allocation; its length in *len if len is not NULL. */
static char *json_written(const struct json_value *v, size_t *len)
{
	size_t n = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &n);

	if (!f) {
		perror("open_memstream");
		exit(2);
	}
	json_write(f, v);
	fclose(f);
	if (len)
		*len = n;
	return s;
}

#endif /* VMEXITPROF_TESTS_JSON_WRITE_H */
