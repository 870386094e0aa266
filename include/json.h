/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small DOM JSON reader (RFC 8259), for files whose format we wrote but
 * whose content we cannot trust (`vmexitprof report FILE`). No JSON
 * library is allowed as a dependency, so this is ours.
 *
 * json_parse() reads the whole document into a tree of json_value; every
 * error is one line with where it is. Containers nest at most
 * JSON_MAX_DEPTH deep. Strings are decoded to UTF-8 (the input must be
 * valid UTF-8 and escapes must name whole characters), NUL-terminated,
 * and may hold NULs: their length is in string.len.
 *
 * Accessors take any value, or NULL, and return NULL/0/false when it is
 * not what they want, so a reader can chain them and check once:
 *
 *	if (!json_u64(json_get(json_at(json_get(doc, "intervals"), 0), "ts_ns"), &ts))
 *		... "intervals[0].ts_ns: expected an unsigned integer"
 */
#ifndef VMEXITPROF_JSON_H
#define VMEXITPROF_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define JSON_MAX_DEPTH 64

enum json_type {
	JSON_NULL,
	JSON_BOOL,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_member;

struct json_value {
	enum json_type type;
	union {
		bool boolean;
		struct {
			double d;		/* always set; may be rounded */
			union {
				__u64 u64;	/* exact, when is_u64 */
				__s64 s64;	/* exact, when is_s64 */
			};
			/* Set only for integer literals (no '.', no exponent) that fit. */
			bool is_u64, is_s64;
		} number;
		struct {
			char *ptr;		/* NUL-terminated, but may hold NULs */
			size_t len;		/* bytes, without the terminator */
		} string;
		struct {
			struct json_value *items;
			size_t len;
		} array;
		struct {
			struct json_member *members;	/* in document order */
			size_t len;
		} object;
	};
};

struct json_member {
	char *key;			/* decoded like a string value */
	size_t key_len;
	struct json_value value;
};

/*
 * Parse len bytes of buf (no terminator needed) into *out, to be freed
 * with json_free(). On error returns -1, sets *out to NULL and writes one
 * line to err, e.g. "line 3, column 17: expected ',' or '}'"; a cut-off
 * document says "unexpected end of input". Columns count bytes from 1.
 */
int json_parse(const char *buf, size_t len, struct json_value **out, char *err, size_t errlen);
void json_free(struct json_value *v);

/* "null", "boolean", "number", "string", "array" or "object", for messages. */
const char *json_type_name(const struct json_value *v);

/*
 * The first member named key (duplicates are allowed; later ones are
 * shadowed), or NULL. A linear scan: walk big objects with json_member_at.
 */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/* Items of an array or members of an object; 0 for anything else. */
size_t json_len(const struct json_value *arr_or_obj);
const struct json_value *json_at(const struct json_value *arr, size_t i);
/* Member i of an object, its key (NUL-terminated) in *key if key is not NULL. */
const struct json_value *json_member_at(const struct json_value *obj, size_t i, const char **key);

/* True only for an integer literal in [0, 2^64 - 1]: no rounding, no "1e3". */
bool json_u64(const struct json_value *v, __u64 *out);
/* True only for an integer literal in [-2^63, 2^63 - 1]. */
bool json_s64(const struct json_value *v, __s64 *out);
/* Any number, possibly rounded. */
bool json_double(const struct json_value *v, double *out);
bool json_bool(const struct json_value *v, bool *out);
/* The string's bytes, or NULL if v is not a string; json_str_len for its length. */
const char *json_str(const struct json_value *v);
size_t json_str_len(const struct json_value *v);

#endif /* VMEXITPROF_JSON_H */
