// SPDX-License-Identifier: GPL-2.0
/*
 * src/json.c, table-driven: good documents must give the expected tree
 * (written back as JSON by tests/lib/json_write.h: exact integers as
 * plain digits, doubles never so), bad ones -1, no tree and the
 * expected one-line error. Then every truncation of a sample document,
 * nesting at and past the limit, big containers, and the accessors.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "json.h"
#include "check.h"
#include "../lib/json_write.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* An input with its length: some hold NULs. */
struct doc {
	const char *in;
	size_t len;		/* 0: strlen(in) */
	const char *want;	/* the tree written back, or the error message */
};

#define DOC(in, want) { in, 0, want }
#define DOC_N(in, want) { in, sizeof(in) - 1, want }

static size_t doc_len(const struct doc *d)
{
	return d->len ? d->len : strlen(d->in);
}

/* ---- good documents ----------------------------------------------------------- */

static const struct doc good[] = {
	DOC("null", "null"),
	DOC("true", "true"),
	DOC(" \t\r\n false \n", "false"),
	DOC("0", "0"),
	DOC("-0", "0"),		/* zero, whatever the sign, is exact */
	DOC("123", "123"),
	DOC("-123", "-123"),
	DOC("1.5", "1.5"),
	DOC("1.0", "1.0"),	/* a whole number but no integer literal: not exact */
	DOC("-0.0", "-0.0"),
	DOC("1e3", "1000.0"),
	DOC("1E+2", "100.0"),
	DOC("-1.25e-2", "-0.012500000000000001"),
	DOC("0.1", "0.10000000000000001"),
	DOC("1e-400", "0.0"),	/* underflow is fine, overflow is not */
	DOC("18446744073709551615", "18446744073709551615"),
	DOC("18446744073709551616", "1.8446744073709552e+19"),
	DOC("99999999999999999999999", "9.9999999999999992e+22"),
	DOC("9223372036854775807", "9223372036854775807"),
	DOC("-9223372036854775808", "-9223372036854775808"),
	DOC("-9223372036854775809", "-9.2233720368547758e+18"),
	DOC("\"\"", "\"\""),
	DOC("\"abc\"", "\"abc\""),
	DOC("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\\"\\\\/\\u0008\\u000c\\u000a\\u000d\\u0009\""),
	DOC("\"\\u0041\\u00e9\\u20AC\"", "\"A\xc3\xa9\xe2\x82\xac\""),
	DOC("\"\\u0000x\\u0000\"", "\"\\u0000x\\u0000\""),
	DOC("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""),
	DOC("\"\\uD800\\uDC00\"", "\"\xf0\x90\x80\x80\""),	/* U+10000 */
	DOC("\"\\uDBFF\\uDFFF\"", "\"\xf4\x8f\xbf\xbf\""),	/* U+10FFFF */
	DOC("\"\\u001f\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
	    "\"\\u001f\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\""),
	DOC("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"",
	    "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\""),
	DOC("\"a/b\x7f\"", "\"a/b\x7f\""),	/* DEL is not a control character to JSON */
	DOC("[]", "[]"),
	DOC("[ ]", "[]"),
	DOC("{}", "{}"),
	DOC("{ \n }", "{}"),
	DOC("[[]]", "[[]]"),
	DOC("[1,[2,[3,{}]]]", "[1,[2,[3,{}]]]"),
	DOC("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	    "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}"),
	DOC("{\"a\":1,\"a\":2}", "{\"a\":1,\"a\":2}"),
	DOC("{\"\":0,\"k\\u0000x\":1}", "{\"\":0,\"k\\u0000x\":1}"),
	DOC(" {\t\"a\" :\r\n[ 1 ,2 ] , \"b\":\"c\" }\n\n", "{\"a\":[1,2],\"b\":\"c\"}"),
	DOC("[-1,0.5,1e2,\"x\",true,null]", "[-1,0.5,100.0,\"x\",true,null]"),
};

static void test_good(void)
{
	SECTION("good documents give the expected tree");
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct json_value *v = (void *)1;
		char err[256] = "untouched";
		int ret = json_parse(good[i].in, doc_len(&good[i]), &v, err, sizeof(err));
		char *got;

		if (!CHECK(ret == 0 && v, "good %zu '%s': returned %d: %s", i, good[i].in, ret, err))
			continue;
		CHECK(!err[0], "good %zu '%s': error text '%s' on success", i, good[i].in, err);
		got = json_written(v, NULL);
		CHECK_STR(got, good[i].want, "good %zu '%s'", i, good[i].in);
		free(got);
		json_free(v);
	}
}

/* ---- bad documents ------------------------------------------------------------ */

static const struct doc bad[] = {
	DOC("", "line 1, column 1: unexpected end of input"),
	DOC("   \n ", "line 2, column 2: unexpected end of input"),
	DOC("[1,2", "line 1, column 5: unexpected end of input"),
	DOC("{\"a\":1 \"b\":2}", "line 1, column 8: expected ',' or '}'"),
	DOC("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7: expected ':'"),
	DOC("[1,]", "line 1, column 4: expected a value"),
	DOC("{\"a\":1,}", "line 1, column 8: expected a string key"),
	DOC("{1:2}", "line 1, column 2: expected a string key or '}'"),
	DOC("{\"a\"}", "line 1, column 5: expected ':'"),
	DOC("{\"a\":}", "line 1, column 6: expected a value"),
	DOC("[1 2]", "line 1, column 4: expected ',' or ']'"),
	DOC("[1}", "line 1, column 3: expected ',' or ']'"),
	DOC("{\"a\":1]", "line 1, column 7: expected ',' or '}'"),
	DOC("1 2", "line 1, column 3: unexpected data after the document"),
	DOC("{} x", "line 1, column 4: unexpected data after the document"),
	DOC("[]]", "line 1, column 3: unexpected data after the document"),
	DOC_N("{}\0", "line 1, column 3: unexpected data after the document"),
	DOC_N("[1,\0]", "line 1, column 4: expected a value"),
	DOC("\xef\xbb\xbf{}", "line 1, column 1: expected a value"),	/* no BOM */
	/* numbers */
	DOC("01", "line 1, column 1: invalid number: leading zero"),
	DOC("-007", "line 1, column 2: invalid number: leading zero"),
	DOC("-", "line 1, column 2: unexpected end of input"),
	DOC("-a", "line 1, column 2: invalid number: expected a digit after '-'"),
	DOC("- 1", "line 1, column 2: invalid number: expected a digit after '-'"),
	DOC("1.", "line 1, column 3: unexpected end of input"),
	DOC("1.e5", "line 1, column 3: invalid number: expected a digit after '.'"),
	DOC("1e", "line 1, column 3: unexpected end of input"),
	DOC("1e+", "line 1, column 4: unexpected end of input"),
	DOC("1ex", "line 1, column 3: invalid number: expected a digit in the exponent"),
	DOC(".5", "line 1, column 1: expected a value"),
	DOC("+1", "line 1, column 1: expected a value"),
	DOC("1e999", "line 1, column 1: number out of range"),
	DOC("[-1e999]", "line 1, column 2: number out of range"),
	DOC("0x10", "line 1, column 2: unexpected data after the document"),
	DOC("NaN", "line 1, column 1: expected a value"),
	DOC("Infinity", "line 1, column 1: expected a value"),
	/* literals */
	DOC("nul", "line 1, column 4: unexpected end of input"),
	DOC("nulx", "line 1, column 1: invalid literal (expected true, false or null)"),
	DOC("True", "line 1, column 1: expected a value"),
	DOC("tru e", "line 1, column 1: invalid literal (expected true, false or null)"),
	DOC("truefalse", "line 1, column 5: unexpected data after the document"),
	/* strings */
	DOC("\"abc", "line 1, column 5: unexpected end of input"),
	DOC("\"\\", "line 1, column 3: unexpected end of input"),
	DOC("\"\\\"", "line 1, column 4: unexpected end of input"),
	DOC("\"\\x\"", "line 1, column 2: invalid escape in string"),
	DOC("\"\\U0041\"", "line 1, column 2: invalid escape in string"),
	DOC("\"\\'\"", "line 1, column 2: invalid escape in string"),
	DOC_N("\"\\\0\"", "line 1, column 2: invalid escape in string"),
	DOC("\"\\u12\"", "line 1, column 2: invalid \\u escape: expected four hex digits"),
	DOC("\"ab\\u12G4\"", "line 1, column 4: invalid \\u escape: expected four hex digits"),
	DOC("\"\\ud800\"", "line 1, column 2: invalid \\u escape: high surrogate without a low one"),
	DOC("\"\\ud800x\"", "line 1, column 2: invalid \\u escape: high surrogate without a low one"),
	DOC("\"\\ud800\\u0041\"",
	    "line 1, column 2: invalid \\u escape: high surrogate without a low one"),
	DOC("\"\\ud800\\ud800\"",
	    "line 1, column 2: invalid \\u escape: high surrogate without a low one"),
	DOC("\"\\ud800\\u\"", "line 1, column 2: invalid \\u escape: high surrogate without a low one"),
	DOC("\"\\udc00\"", "line 1, column 2: invalid \\u escape: low surrogate without a high one"),
	DOC("\"a\tb\"", "line 1, column 3: control character 0x09 in string (must be escaped)"),
	DOC("[\"a\nb\"]", "line 1, column 4: control character 0x0a in string (must be escaped)"),
	DOC_N("\"a\0b\"", "line 1, column 3: control character 0x00 in string (must be escaped)"),
	DOC("\"\xff\"", "line 1, column 2: invalid UTF-8 in string"),
	DOC("\"\x80\"", "line 1, column 2: invalid UTF-8 in string"),
	DOC("\"\xc0\x80\"", "line 1, column 2: invalid UTF-8 in string"),		/* overlong NUL */
	DOC("\"\xe0\x9f\xbf\"", "line 1, column 2: invalid UTF-8 in string"),	/* overlong */
	DOC("\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8 in string"),	/* a surrogate */
	DOC("\"\xf4\x90\x80\x80\"", "line 1, column 2: invalid UTF-8 in string"),	/* > U+10FFFF */
	DOC("\"ab\xe2\x82\"", "line 1, column 4: invalid UTF-8 in string"),	/* cut short */
	DOC("\"\xe2\x82x\"", "line 1, column 2: invalid UTF-8 in string"),
	DOC("\xc3\xa9", "line 1, column 1: expected a value"),
	DOC("{\"a\":\"\\q\"}", "line 1, column 7: invalid escape in string"),
	DOC("{\"\\q\":1}", "line 1, column 3: invalid escape in string"),
};

static void test_bad(void)
{
	SECTION("bad documents: -1, no tree, the expected one-line error");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct json_value *v = (void *)1;
		char err[256] = "untouched";
		int ret = json_parse(bad[i].in, doc_len(&bad[i]), &v, err, sizeof(err));

		CHECK(ret == -1, "bad %zu '%s': returned %d", i, bad[i].in, ret);
		CHECK(v == NULL, "bad %zu '%s': *out not NULL", i, bad[i].in);
		if (ret == 0 && v != (void *)1)
			json_free(v);
		CHECK_STR(err, bad[i].want, "bad %zu '%s'", i, bad[i].in);
	}
}

static void test_error_buffer(void)
{
	struct json_value *v;
	char small[12];

	SECTION("error buffers: cut to fit, or none at all");
	memset(small, 'x', sizeof(small));
	CHECK(json_parse("[", 1, &v, small, sizeof(small)) == -1, "'[' parsed");
	CHECK_STR(small, "line 1, col", "a 12-byte buffer");
	CHECK(json_parse("[", 1, &v, NULL, 0) == -1 && !v, "'[' parsed without an error buffer");
	CHECK(json_parse(NULL, 0, &v, small, sizeof(small)) == -1 && !v, "NULL, 0 parsed");
	CHECK(json_parse("{}", 2, &v, NULL, 0) == 0 && v, "'{}' without an error buffer");
	json_free(v);
	json_free(NULL);
}

/* ---- truncations -------------------------------------------------------------- */

/* A dump-like document with every kind of token; ends with its last '}'. */
static const char sample[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"tool\": \"vmexitprof \\\"0.1\\\"\",\n"
	"  \"interval_ns\": 1000000000,\n"
	"  \"buckets\": [0, 16, 17, 18446744073709551615],\n"
	"  \"reasons\": {\"CPUID\": {\"count\": 40000, \"p99_ns\": 1.5e3, \"neg\": -12},\n"
	"              \"HLT\": {\"count\": 0, \"ok\": true, \"err\": false, \"x\": null}},\n"
	"  \"names\": [\"\\u00e9t\\u00E9\", \"\\ud83d\\ude00\", \"\xc3\xa9\", \"a\\u0000b\", "
	"\"\\n\\t\\/\\\\\"],\n"
	"  \"empty\": [[], {}, \"\"],\n"
	"  \"tiny\": 0.5e-3\n"
	"}";

static void test_truncated(void)
{
	size_t len = sizeof(sample) - 1, eoi = 0;
	struct json_value *v;
	char err[256], want[64];
	unsigned long line = 1, column = 1;

	SECTION("every truncation of a sample document: 'unexpected end of input' where it stops");
	if (!CHECK(json_parse(sample, len, &v, err, sizeof(err)) == 0, "the sample: %s", err))
		return;
	json_free(v);
	for (size_t n = 0; n < len; n++) {
		/* Copy to an exact-size allocation: a read past the end is then a real bug. */
		char *cut = malloc(n ? n : 1);

		if (!cut)
			exit(2);
		memcpy(cut, sample, n);
		v = (void *)1;
		snprintf(want, sizeof(want), "line %lu, column %lu: unexpected end of input", line,
			 column);
		if (CHECK(json_parse(cut, n, &v, err, sizeof(err)) == -1 && !v,
			  "the sample's first %zu bytes parsed", n)) {
			eoi += !strcmp(err, want);
			CHECK_STR(err, want, "the sample's first %zu bytes", n);
		} else if (v != (void *)1) {
			json_free(v);
		}
		free(cut);
		if (sample[n] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	CHECK_EQ_U64(eoi, len, "truncations reported as the end of input");
}

/* ---- limits ------------------------------------------------------------------- */

/* depth x open, then a value, then depth x close. */
static char *nested(size_t depth, const char *open, const char *inner, const char *close)
{
	size_t lo = strlen(open), li = strlen(inner), lc = strlen(close);
	char *s = malloc(depth * (lo + lc) + li + 1), *p = s;

	if (!s)
		exit(2);
	for (size_t i = 0; i < depth; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, inner, li);
	p += li;
	for (size_t i = 0; i < depth; i++, p += lc)
		memcpy(p, close, lc);
	*p = 0;
	return s;
}

static void test_depth(void)
{
	struct json_value *v;
	const struct json_value *at;
	char err[256], want[128];
	char *s;
	size_t i;

	SECTION("nesting: 64 levels parse, 65 and a million are one error");
	s = nested(JSON_MAX_DEPTH, "[", "7", "]");
	CHECK(json_parse(s, strlen(s), &v, err, sizeof(err)) == 0, "64 arrays deep: %s", err);
	for (i = 0, at = v; i < JSON_MAX_DEPTH && json_len(at) == 1; i++)
		at = json_at(at, 0);
	CHECK_EQ_U64(i, JSON_MAX_DEPTH, "arrays walked down");
	CHECK(at && at->type == JSON_NUMBER && at->number.u64 == 7, "the innermost value");
	json_free(v);
	free(s);

	s = nested(JSON_MAX_DEPTH, "{\"a\":", "[]", "}");
	CHECK(json_parse(s, strlen(s), &v, err, sizeof(err)) != 0, "64 objects and an array parsed");
	snprintf(want, sizeof(want), "line 1, column %d: nested deeper than %d arrays and objects",
		 JSON_MAX_DEPTH * 5 + 1, JSON_MAX_DEPTH);
	CHECK_STR(err, want, "64 objects and an array");
	free(s);

	s = nested(JSON_MAX_DEPTH - 1, "{\"a\":", "[]", "}");
	CHECK(json_parse(s, strlen(s), &v, err, sizeof(err)) == 0, "63 objects and an array: %s",
	      err);
	json_free(v);
	free(s);

	s = nested(1000000, "[", "", "");
	CHECK(json_parse(s, strlen(s), &v, err, sizeof(err)) != 0 && !v, "a million '[' parsed");
	snprintf(want, sizeof(want), "line 1, column %d: nested deeper than %d arrays and objects",
		 JSON_MAX_DEPTH + 1, JSON_MAX_DEPTH);
	CHECK_STR(err, want, "a million '['");
	free(s);
}

/*
 * Big containers: a quadratic parser would not finish these within the
 * suite's time-out (this is not a timing test: it only has to end).
 */
static void test_big(void)
{
	const size_t nr_items = 1000000, nr_keys = 200000;
	char *s = malloc(nr_items * 24 + 16), err[256];
	const struct json_value *last;
	const char *key = NULL;
	struct json_value *v;
	size_t n = 0;
	__u64 u;

	SECTION("a million array items, 200000 object members");
	if (!s)
		exit(2);
	s[n++] = '[';
	for (size_t i = 0; i < nr_items; i++)
		n += sprintf(s + n, "%s%zu", i ? "," : "", i * 3);
	s[n++] = ']';
	if (CHECK(json_parse(s, n, &v, err, sizeof(err)) == 0, "big array: %s", err)) {
		CHECK_EQ_U64(json_len(v), nr_items, "big array: items");
		CHECK(json_u64(json_at(v, nr_items - 1), &u) && u == (nr_items - 1) * 3,
		      "big array: the last item");
		CHECK(json_at(v, nr_items) == NULL, "big array: one past the end");
		json_free(v);
	}

	n = 0;
	s[n++] = '{';
	for (size_t i = 0; i < nr_keys; i++)
		n += sprintf(s + n, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	s[n++] = '}';
	if (CHECK(json_parse(s, n, &v, err, sizeof(err)) == 0, "big object: %s", err)) {
		CHECK_EQ_U64(json_len(v), nr_keys, "big object: members");
		last = json_member_at(v, nr_keys - 1, &key);
		CHECK_STR(key, "k199999", "big object: the last key");
		CHECK(json_u64(last, &u) && u == nr_keys - 1, "big object: the last value");
		CHECK(json_u64(json_get(v, "k199999"), &u) && u == nr_keys - 1,
		      "big object: json_get of the last key");
		json_free(v);
	}
	free(s);
}

/* ---- accessors ---------------------------------------------------------------- */

static void test_accessors(void)
{
	static const char doc[] =
		"{\"n\":null,\"t\":true,\"f\":false,\"u\":18446744073709551615,\"s\":-5,"
		"\"big\":9223372036854775808,\"d\":2.5,\"whole\":3.0,\"str\":\"a\\u0000b\","
		"\"arr\":[10,\"x\"],\"obj\":{\"k\":1,\"k\":2},\"dup\":1,\"dup\":2,\"a\\u0000b\":0}";
	const struct json_value *n, *t, *u, *s, *big, *d, *whole, *str, *arr, *obj;
	struct json_value *v;
	const char *key;
	char err[256];
	__u64 u64 = 42;
	__s64 s64 = 42;
	double dbl = 42;
	bool b = false;

	SECTION("accessors: the right type or nothing");
	if (!CHECK(json_parse(doc, strlen(doc), &v, err, sizeof(err)) == 0, "accessor doc: %s", err))
		return;
	n = json_get(v, "n");
	t = json_get(v, "t");
	u = json_get(v, "u");
	s = json_get(v, "s");
	big = json_get(v, "big");
	d = json_get(v, "d");
	whole = json_get(v, "whole");
	str = json_get(v, "str");
	arr = json_get(v, "arr");
	obj = json_get(v, "obj");
	CHECK(n && n->type == JSON_NULL, "n");
	CHECK_STR(json_type_name(n), "null", "type name of n");
	CHECK_STR(json_type_name(obj), "object", "type name of obj");
	CHECK_STR(json_type_name(NULL), "nothing", "type name of NULL");
	CHECK(json_bool(t, &b) && b, "t");
	CHECK(json_bool(json_get(v, "f"), &b) && !b, "f");
	CHECK(!json_bool(n, &b) && !json_bool(u, &b), "json_bool of null and a number");

	CHECK(json_u64(u, &u64) && u64 == 18446744073709551615ULL, "u as u64");
	CHECK(!json_s64(u, &s64), "u as s64");
	CHECK(json_s64(s, &s64) && s64 == -5, "s as s64");
	CHECK(!json_u64(s, &u64), "s as u64");
	CHECK(json_u64(big, &u64) && u64 == 9223372036854775808ULL, "2^63 as u64");
	CHECK(!json_s64(big, &s64), "2^63 as s64");
	CHECK(json_s64(json_at(arr, 0), &s64) && s64 == 10, "10 as s64");
	CHECK(json_double(d, &dbl) && dbl == 2.5, "d as double");
	u64 = 42;
	CHECK(!json_u64(d, &u64) && !json_u64(whole, &u64) && u64 == 42,
	      "2.5 and 3.0 as u64: false, *out untouched");
	CHECK(json_double(u, &dbl) && dbl == 18446744073709551615.0, "u as double");
	CHECK(!json_u64(str, &u64) && !json_double(str, &dbl) && !json_u64(NULL, &u64),
	      "a string or nothing as a number");

	CHECK(json_str(str) && !memcmp(json_str(str), "a\0b", 4), "str's bytes and terminator");
	CHECK_EQ_U64(json_str_len(str), 3, "str's length");
	CHECK(!json_str(n) && !json_str(arr) && !json_str(NULL) && !json_str_len(u),
	      "json_str of others");
	CHECK_STR(json_str(json_at(arr, 1)), "x", "arr[1]");

	CHECK_EQ_U64(json_len(arr), 2, "arr's length");
	CHECK_EQ_U64(json_len(v), 14, "the top object's length");
	CHECK(!json_len(str) && !json_len(n) && !json_len(NULL), "json_len of others");
	CHECK(!json_at(arr, 2) && !json_at(arr, (size_t)-1) && !json_at(obj, 0) && !json_at(NULL, 0),
	      "json_at out of range or on others");

	CHECK(json_u64(json_get(obj, "k"), &u64) && u64 == 1, "duplicate keys: the first");
	CHECK(json_u64(json_get(v, "dup"), &u64) && u64 == 1, "duplicate top keys: the first");
	CHECK(json_u64(json_member_at(obj, 1, &key), &u64) && u64 == 2, "the second 'k' by index");
	CHECK_STR(key, "k", "key of member 1");
	CHECK(json_member_at(obj, 0, NULL) != NULL, "json_member_at without a key pointer");
	CHECK(!json_member_at(obj, 2, &key) && !json_member_at(arr, 0, &key), "json_member_at out of range");
	CHECK(!json_get(v, "missing") && !json_get(v, "") && !json_get(arr, "k") && !json_get(NULL, "k") &&
	      !json_get(v, NULL), "json_get misses");
	/* A key with a NUL matches only through json_member_at, not by a C string. */
	CHECK(!json_get(v, "a"), "key 'a\\0b' found as 'a'");
	json_free(v);
}

int main(void)
{
	test_good();
	test_bad();
	test_error_buffer();
	test_truncated();
	test_depth();
	test_big();
	test_accessors();
	return check_done();
}
