// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for src/json.c. Besides what ASan and UBSan catch
 * (reads past the input, leaks, overflows), every parsed tree is checked
 * against the parser's promises, and written back out as JSON that must
 * parse into a tree that writes out the same: a decoding bug that loses
 * or alters a character shows there. A broken promise aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "../lib/json_write.h"

#define expect(cond)                                                                      \
	do {                                                                              \
		if (!(cond)) {                                                            \
			fprintf(stderr, "fuzz_json: %s:%d: broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                   \
			abort();                                                          \
		}                                                                         \
	} while (0)

/* Members looked up by name per object: json_get is a linear scan. */
#define MAX_GETS 64

static void check_tree(const struct json_value *v, unsigned int depth)
{
	const char *key;

	switch (v->type) {
	case JSON_NUMBER:
		expect(isfinite(v->number.d));
		/* Exact integers and the double are the same number (both rounded to nearest). */
		if (v->number.is_u64)
			expect(v->number.d == (double)v->number.u64);
		if (v->number.is_s64)
			expect(v->number.d == (double)v->number.s64);
		if (v->number.is_u64 && v->number.is_s64)
			expect(v->number.s64 >= 0);
		break;
	case JSON_STRING:
		expect(json_str(v) && json_str(v)[json_str_len(v)] == 0);
		expect(strlen(json_str(v)) <= json_str_len(v));
		break;
	case JSON_ARRAY:
		expect(depth < JSON_MAX_DEPTH);
		expect(json_len(v) == v->array.len && !json_at(v, v->array.len));
		for (size_t i = 0; i < json_len(v); i++) {
			expect(json_at(v, i) == &v->array.items[i]);
			check_tree(json_at(v, i), depth + 1);
		}
		break;
	case JSON_OBJECT:
		expect(depth < JSON_MAX_DEPTH);
		expect(json_len(v) == v->object.len && !json_member_at(v, v->object.len, NULL));
		for (size_t i = 0; i < json_len(v); i++) {
			const struct json_value *m = json_member_at(v, i, &key);
			size_t key_len = v->object.members[i].key_len;

			expect(m && key && key[key_len] == 0);
			/* The first member of that name: this one or an earlier one. */
			if (i < MAX_GETS && strlen(key) == key_len) {
				const struct json_value *first = json_get(v, key);

				expect(first && first <= m);
			}
			check_tree(m, depth + 1);
		}
		break;
	default:
		expect(v->type == JSON_NULL || v->type == JSON_BOOL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_value *v = (void *)1, *again = (void *)1;
	char err[256];
	char *text, *text_again;
	size_t len, len_again;

	if (json_parse((const char *)data, size, &v, err, sizeof(err))) {
		expect(v == NULL);
		expect(!strncmp(err, "line ", 5) && !strchr(err, '\n'));
		return 0;
	}
	expect(v && !err[0]);
	check_tree(v, 0);

	text = json_written(v, &len);
	if (json_parse(text, len, &again, err, sizeof(err))) {
		fprintf(stderr, "fuzz_json: the written-out tree does not parse: %s\n%.*s\n", err,
			(int)(len < 4096 ? len : 4096), text);
		abort();
	}
	text_again = json_written(again, &len_again);
	expect(len == len_again && !memcmp(text, text_again, len));

	free(text_again);
	free(text);
	json_free(again);
	json_free(v);
	return 0;
}
