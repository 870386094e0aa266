// SPDX-License-Identifier: GPL-2.0
/*
 * JSON reader (RFC 8259): recursive descent into a tree, recursion bounded
 * by JSON_MAX_DEPTH, containers collected in arrays that double as they
 * grow, so a document costs linear time. Every allocation of a value that
 * fails to parse is freed before the error returns, level by level.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *buf, *p, *end;
	char *err;
	size_t errlen;
};

/* Report an error at 'at' as "line L, column C: message"; always returns -1. */
__attribute__((format(printf, 3, 4)))
static int fail(struct parser *ps, const char *at, const char *fmt, ...)
{
	unsigned long line = 1, column = 1;
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -1;
	for (const char *c = ps->buf; c < at; c++) {
		if (*c == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	n = snprintf(ps->err, ps->errlen, "line %lu, column %lu: ", line, column);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int end_of_input(struct parser *ps)
{
	return fail(ps, ps->end, "unexpected end of input");
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

/*
 * After an array item or object member: 1 after a ',' (another follows),
 * 0 after the closing bracket, -1 after an error.
 */
static int after_item(struct parser *ps, char close)
{
	skip_space(ps);
	if (ps->p == ps->end)
		return end_of_input(ps), -1;
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	if (*ps->p != ',')
		return fail(ps, ps->p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'"), -1;
	ps->p++;
	return 1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Room for one more element: doubling keeps n appends O(n). NULL when out of memory. */
static void *grow(void *items, size_t len, size_t *cap, size_t size)
{
	size_t new_cap;
	void *p;

	if (len < *cap)
		return items;
	new_cap = *cap ? *cap * 2 : 4;
	/* Each element took at least two input bytes, so this cannot overflow in practice. */
	if (new_cap > SIZE_MAX / size)
		return NULL;
	p = realloc(items, new_cap * size);
	if (p)
		*cap = new_cap;
	return p;
}

/* Give back the doubling slack once a container is complete. */
static void *shrink(void *items, size_t len, size_t size)
{
	void *p;

	if (!len) {
		free(items);
		return NULL;
	}
	p = realloc(items, len * size);
	return p ? p : items;
}

/* Free what v owns (not v itself). Depth is bounded by JSON_MAX_DEPTH. */
static void release(struct json_value *v)
{
	switch (v->type) {
	case JSON_STRING:
		free(v->string.ptr);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->array.len; i++)
			release(&v->array.items[i]);
		free(v->array.items);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->object.len; i++) {
			free(v->object.members[i].key);
			release(&v->object.members[i].value);
		}
		free(v->object.members);
		break;
	default:
		break;
	}
	v->type = JSON_NULL;
}

/* ---- strings -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (Unicode table 3-7), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2)		/* a continuation byte, or an overlong 2-byte form */
		return 0;
	if (s[0] < 0xe0) {
		n = 2;
	} else if (s[0] < 0xf0) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		if (s[0] == 0xed)
			hi = 0x9f;	/* UTF-16 surrogates */
	} else if (s[0] < 0xf5) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* overlong */
		if (s[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static size_t utf8_encode(__u32 cp, char *out)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The four hex digits of a \u escape at p (p[0] == '\\'), or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
		return -1;
	for (int i = 2; i < 6; i++) {
		char c = p[i];

		v <<= 4;
		if (is_digit(c))
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One escape at *pp (**pp == '\\', before close): decoded into out, returns its length or -1. */
static int unescape(struct parser *ps, const char **pp, const char *close, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = *pp, *simple;
	long cp, low;

	/* The closing quote was found past every backslash's pair, so p[1] is in the string. */
	simple = p[1] ? strchr(from, p[1]) : NULL;
	if (simple) {
		*out = to[simple - from];
		*pp = p + 2;
		return 1;
	}
	if (p[1] != 'u')
		return fail(ps, p, "invalid escape in string");
	cp = hex4(p, close);
	if (cp < 0)
		return fail(ps, p, "invalid \\u escape: expected four hex digits");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ps, p, "invalid \\u escape: low surrogate without a high one");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		/* UTF-16 for U+10000 and up: a high surrogate needs a low one right after. */
		low = hex4(p + 6, close);
		if (low < 0xdc00 || low > 0xdfff)
			return fail(ps, p, "invalid \\u escape: high surrogate without a low one");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
		p += 6;
	}
	*pp = p + 6;
	return utf8_encode(cp, out);
}

/*
 * The string starting at ps->p (a '"'), decoded into a new NUL-terminated
 * buffer. No escape decodes to more bytes than it takes in the input, so
 * the input's length bounds the output and one allocation does.
 */
static int parse_string(struct parser *ps, char **out, size_t *out_len)
{
	const char *start = ps->p + 1, *close, *p;
	size_t n = 0;
	char *s;

	/* Find the end first, so that a cut-off string is "unexpected end of input". */
	for (close = start; close < ps->end && *close != '"'; close++)
		if (*close == '\\')
			close++;
	if (close >= ps->end)
		return end_of_input(ps);
	s = malloc(close - start + 1);
	if (!s)
		return fail(ps, ps->p, "out of memory");
	for (p = start; p < close;) {
		unsigned char c = *p;
		size_t seq;
		int len;

		if (c < 0x20) {
			fail(ps, p, "control character 0x%02x in string (must be escaped)", c);
			goto err;
		}
		if (c == '\\') {
			len = unescape(ps, &p, close, s + n);
			if (len < 0)
				goto err;
			n += len;
			continue;
		}
		seq = utf8_seq_len((const unsigned char *)p, (const unsigned char *)close);
		if (!seq) {
			fail(ps, p, "invalid UTF-8 in string");
			goto err;
		}
		memcpy(s + n, p, seq);
		n += seq;
		p += seq;
	}
	s[n] = 0;
	*out = s;
	*out_len = n;
	ps->p = close + 1;
	return 0;
err:
	free(s);
	return -1;
}

/* ---- numbers -------------------------------------------------------------- */

static int digits(struct parser *ps, const char **pp, const char *what)
{
	const char *p = *pp;

	if (p == ps->end)
		return end_of_input(ps);
	if (!is_digit(*p))
		return fail(ps, p, "invalid number: expected a digit %s", what);
	while (p < ps->end && is_digit(*p))
		p++;
	*pp = p;
	return 0;
}

/*
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? as a double (strtod, in
 * the C locale: vmexitprof never calls setlocale), and as an exact integer
 * when the literal is one and fits.
 */
static int parse_number(struct parser *ps, struct json_value *v)
{
	const char *start = ps->p, *p = ps->p, *int_start;
	bool negative = false, integer = true, overflow = false;
	char small[64], *copy = small;
	size_t len;
	__u64 mag = 0;
	double d;

	if (*p == '-') {
		negative = true;
		p++;
	}
	int_start = p;
	if (digits(ps, &p, "after '-'"))
		return -1;
	if (*int_start == '0' && p - int_start > 1)
		return fail(ps, int_start, "invalid number: leading zero");
	for (const char *c = int_start; c < p; c++) {
		unsigned int digit = *c - '0';

		if (mag > (UINT64_MAX - digit) / 10)
			overflow = true;
		else
			mag = mag * 10 + digit;
	}
	if (p < ps->end && *p == '.') {
		integer = false;
		p++;
		if (digits(ps, &p, "after '.'"))
			return -1;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integer = false;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (digits(ps, &p, "in the exponent"))
			return -1;
	}

	/* strtod wants a terminator the input does not have. */
	len = p - start;
	if (len >= sizeof(small)) {
		copy = malloc(len + 1);
		if (!copy)
			return fail(ps, start, "out of memory");
	}
	memcpy(copy, start, len);
	copy[len] = 0;
	d = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	/* JSON has no infinity: a report must not compute with one. Underflow to 0 is fine. */
	if (isinf(d))
		return fail(ps, start, "number out of range");

	memset(v, 0, sizeof(*v));
	v->type = JSON_NUMBER;
	v->number.d = d;
	if (integer && !overflow) {
		if (!negative || !mag) {
			/* "-0" is zero too. */
			v->number.u64 = mag;
			v->number.is_u64 = true;
			v->number.is_s64 = mag <= INT64_MAX;
		} else if (mag <= (__u64)INT64_MAX + 1) {
			/* -(__s64)mag would overflow for INT64_MIN's magnitude. */
			v->number.s64 = mag > INT64_MAX ? INT64_MIN : -(__s64)mag;
			v->number.is_s64 = true;
		}
	}
	ps->p = p;
	return 0;
}

/* ---- values --------------------------------------------------------------- */

static int parse_value(struct parser *ps, struct json_value *v, unsigned int depth);

static int parse_literal(struct parser *ps, struct json_value *v, const char *word,
			 enum json_type type, bool boolean)
{
	size_t n = strlen(word), avail = ps->end - ps->p;

	if (memcmp(ps->p, word, avail < n ? avail : n))
		return fail(ps, ps->p, "invalid literal (expected true, false or null)");
	if (avail < n)
		return end_of_input(ps);
	memset(v, 0, sizeof(*v));
	v->type = type;
	v->boolean = boolean;
	ps->p += n;
	return 0;
}

static int parse_array(struct parser *ps, struct json_value *v, unsigned int depth)
{
	struct json_value *items = NULL, *bigger;
	size_t len = 0, cap = 0;
	int more;

	ps->p++;	/* '[' */
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		goto done;
	}
	for (;;) {
		bigger = grow(items, len, &cap, sizeof(*items));
		if (!bigger) {
			fail(ps, ps->p, "out of memory");
			goto err;
		}
		items = bigger;
		if (parse_value(ps, &items[len], depth))
			goto err;
		len++;
		more = after_item(ps, ']');
		if (more < 0)
			goto err;
		if (!more)
			break;
	}
done:
	memset(v, 0, sizeof(*v));
	v->type = JSON_ARRAY;
	v->array.items = shrink(items, len, sizeof(*items));
	v->array.len = len;
	return 0;
err:
	while (len)
		release(&items[--len]);
	free(items);
	return -1;
}

static int parse_object(struct parser *ps, struct json_value *v, unsigned int depth)
{
	struct json_member *members = NULL, *bigger, *m;
	size_t len = 0, cap = 0;
	int more;

	ps->p++;	/* '{' */
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		goto done;
	}
	for (;;) {
		skip_space(ps);
		if (ps->p == ps->end) {
			end_of_input(ps);
			goto err;
		}
		if (*ps->p != '"') {
			fail(ps, ps->p, len ? "expected a string key" : "expected a string key or '}'");
			goto err;
		}
		bigger = grow(members, len, &cap, sizeof(*members));
		if (!bigger) {
			fail(ps, ps->p, "out of memory");
			goto err;
		}
		members = bigger;
		m = &members[len];
		if (parse_string(ps, &m->key, &m->key_len))
			goto err;
		skip_space(ps);
		if (ps->p == ps->end || *ps->p != ':') {
			if (ps->p == ps->end)
				end_of_input(ps);
			else
				fail(ps, ps->p, "expected ':'");
			free(m->key);
			goto err;
		}
		ps->p++;
		if (parse_value(ps, &m->value, depth)) {
			free(m->key);
			goto err;
		}
		len++;
		more = after_item(ps, '}');
		if (more < 0)
			goto err;
		if (!more)
			break;
	}
done:
	memset(v, 0, sizeof(*v));
	v->type = JSON_OBJECT;
	v->object.members = shrink(members, len, sizeof(*members));
	v->object.len = len;
	return 0;
err:
	while (len) {
		len--;
		free(members[len].key);
		release(&members[len].value);
	}
	free(members);
	return -1;
}

/*
 * One value at ps->p into *v, inside depth containers. On error nothing
 * is left allocated and *v is not a container or string.
 */
static int parse_value(struct parser *ps, struct json_value *v, unsigned int depth)
{
	v->type = JSON_NULL;
	skip_space(ps);
	if (ps->p == ps->end)
		return end_of_input(ps);
	switch (*ps->p) {
	case '{':
	case '[':
		/* The bound that keeps the recursion (here and in release) shallow. */
		if (depth >= JSON_MAX_DEPTH)
			return fail(ps, ps->p, "nested deeper than %d arrays and objects",
				    JSON_MAX_DEPTH);
		if (*ps->p == '{')
			return parse_object(ps, v, depth + 1);
		return parse_array(ps, v, depth + 1);
	case '"':
		memset(v, 0, sizeof(*v));
		if (parse_string(ps, &v->string.ptr, &v->string.len))
			return -1;
		v->type = JSON_STRING;
		return 0;
	case 't':
		return parse_literal(ps, v, "true", JSON_BOOL, true);
	case 'f':
		return parse_literal(ps, v, "false", JSON_BOOL, false);
	case 'n':
		return parse_literal(ps, v, "null", JSON_NULL, false);
	case '-':
	case '0' ... '9':
		return parse_number(ps, v);
	default:
		return fail(ps, ps->p, "expected a value");
	}
}

int json_parse(const char *buf, size_t len, struct json_value **out, char *err, size_t errlen)
{
	struct parser ps;
	struct json_value *root;

	*out = NULL;
	if (err && errlen)
		err[0] = 0;
	if (!buf)
		buf = "";	/* NULL + 0 is undefined; an empty input is not */
	ps = (struct parser){ .buf = buf, .p = buf, .end = buf + len, .err = err, .errlen = errlen };
	root = calloc(1, sizeof(*root));
	if (!root)
		return fail(&ps, buf, "out of memory");
	if (parse_value(&ps, root, 0))
		goto err;
	skip_space(&ps);
	if (ps.p != ps.end) {
		fail(&ps, ps.p, "unexpected data after the document");
		release(root);
		goto err;
	}
	*out = root;
	return 0;
err:
	free(root);
	return -1;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	release(v);
	free(v);
}

/* ---- accessors ------------------------------------------------------------ */

const char *json_type_name(const struct json_value *v)
{
	static const char *const names[] = {
		[JSON_NULL] = "null", [JSON_BOOL] = "boolean", [JSON_NUMBER] = "number",
		[JSON_STRING] = "string", [JSON_ARRAY] = "array", [JSON_OBJECT] = "object",
	};

	if (!v)
		return "nothing";
	return names[v->type];
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
	size_t key_len;

	if (!obj || obj->type != JSON_OBJECT || !key)
		return NULL;
	key_len = strlen(key);
	for (size_t i = 0; i < obj->object.len; i++) {
		const struct json_member *m = &obj->object.members[i];

		if (m->key_len == key_len && !memcmp(m->key, key, key_len))
			return &m->value;
	}
	return NULL;
}

size_t json_len(const struct json_value *v)
{
	if (v && v->type == JSON_ARRAY)
		return v->array.len;
	if (v && v->type == JSON_OBJECT)
		return v->object.len;
	return 0;
}

const struct json_value *json_at(const struct json_value *arr, size_t i)
{
	if (!arr || arr->type != JSON_ARRAY || i >= arr->array.len)
		return NULL;
	return &arr->array.items[i];
}

const struct json_value *json_member_at(const struct json_value *obj, size_t i, const char **key)
{
	if (!obj || obj->type != JSON_OBJECT || i >= obj->object.len)
		return NULL;
	if (key)
		*key = obj->object.members[i].key;
	return &obj->object.members[i].value;
}

bool json_u64(const struct json_value *v, __u64 *out)
{
	if (!v || v->type != JSON_NUMBER || !v->number.is_u64)
		return false;
	*out = v->number.u64;
	return true;
}

bool json_s64(const struct json_value *v, __s64 *out)
{
	if (!v || v->type != JSON_NUMBER || !v->number.is_s64)
		return false;
	*out = v->number.s64;
	return true;
}

bool json_double(const struct json_value *v, double *out)
{
	if (!v || v->type != JSON_NUMBER)
		return false;
	*out = v->number.d;
	return true;
}

bool json_bool(const struct json_value *v, bool *out)
{
	if (!v || v->type != JSON_BOOL)
		return false;
	*out = v->boolean;
	return true;
}

const char *json_str(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string.ptr : NULL;
}

size_t json_str_len(const struct json_value *v)
{
	return v && v->type == JSON_STRING ? v->string.len : 0;
}
