// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * jsonw: exact output for the cases the reports rely on, and every output
 * checked by an independent parser (python3's json module, which rejects
 * raw control characters and invalid UTF-8), since a report that a
 * consumer cannot parse is worse than no report.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "jsonw.h"
#include "cases.h"

struct capture {
	char *buf;
	size_t len;
	FILE *f;
	struct jsonw *w;
};

static void cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->w = jsonw__new(c->f);
	assert_non_null(c->w);
}

/* Finish the document; the text stays in c->buf until cap_free(). */
static void cap_close(struct capture *c)
{
	assert_int_equal(jsonw__free(c->w), 0);
	assert_int_equal(fclose(c->f), 0);
}

static void cap_free(struct capture *c)
{
	free(c->buf);
}

/* Minimal UTF-8 validator, strict like RFC 3629: no overlongs, no surrogates. */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char b = s[i];
		size_t k;
		uint32_t cp;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			k = 1;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			k = 2;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			k = 3;
			cp = b & 0x07;
		} else {
			return false;
		}
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

/*
 * Parse text with python3 and return its canonical re-encoding
 * (ensure_ascii, sorted keys, no spaces), malloc'd; NULL if it did not parse.
 */
static char *python_canon(const char *text, size_t len)
{
	char path[] = "/tmp/test_jsonw.XXXXXX";
	char cmd[256], *out = NULL;
	size_t cap = 0, n = 0;
	FILE *p;
	int fd, c;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1],encoding=\"utf-8\"));"
		 " sys.stdout.write(json.dumps(d,ensure_ascii=True,sort_keys=True,separators=(\",\",\":\")))'"
		 " %s 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while ((c = fgetc(p)) != EOF) {
		if (n + 2 > cap) {
			cap = cap ? cap * 2 : 256;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		out[n++] = (char)c;
	}
	if (out)
		out[n] = '\0';
	if (pclose(p) != 0) {
		free(out);
		out = NULL;
	}
	unlink(path);
	return out;
}

static void assert_canon(const struct capture *c, const char *expect)
{
	char *canon = python_canon(c->buf, c->len);

	if (!canon)
		fail_msg("python3 could not parse jsonw output:\n%s", c->buf);
	assert_string_equal(canon, expect);
	free(canon);
}

/* One string value as a whole document. */
static void string_doc(struct capture *c, const char *s)
{
	cap_open(c);
	jsonw_string(c->w, s);
	cap_close(c);
}

static void test_python_available(void **state)
{
	(void)state;
	/* Every round-trip below depends on it; say so once, clearly. */
	assert_int_equal(system("python3 -c 'import json' 2>/dev/null"), 0);
}

static void test_pretty_layout(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_kv_u64(c.w, "a", 1);
	jsonw_key(c.w, "b");
	jsonw_start_array(c.w);
	jsonw_u64(c.w, 1);
	jsonw_u64(c.w, 2);
	jsonw_end_array(c.w);
	jsonw_key(c.w, "c");
	jsonw_start_object(c.w);
	jsonw_end_object(c.w);
	jsonw_key(c.w, "d");
	jsonw_start_array(c.w);
	jsonw_end_array(c.w);
	jsonw_end_object(c.w);
	cap_close(&c);
	assert_string_equal(c.buf,
			    "{\n"
			    "  \"a\": 1,\n"
			    "  \"b\": [\n"
			    "    1,\n"
			    "    2\n"
			    "  ],\n"
			    "  \"c\": {},\n"
			    "  \"d\": []\n"
			    "}\n");
	assert_canon(&c, "{\"a\":1,\"b\":[1,2],\"c\":{},\"d\":[]}");
	cap_free(&c);
}

/* Commas must be tracked per level: siblings after a closed child need one. */
static void test_nesting_commas(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_array(c.w);
	for (int i = 0; i < 3; i++) {
		jsonw_start_object(c.w);
		jsonw_kv_i64(c.w, "i", i);
		jsonw_key(c.w, "l");
		jsonw_start_array(c.w);
		for (int j = 0; j < i; j++) {
			jsonw_start_array(c.w);
			jsonw_end_array(c.w);
		}
		jsonw_end_array(c.w);
		jsonw_kv_bool(c.w, "t", i & 1);
		jsonw_end_object(c.w);
	}
	jsonw_null(c.w);
	jsonw_end_array(c.w);
	cap_close(&c);
	assert_canon(&c, "[{\"i\":0,\"l\":[],\"t\":false},{\"i\":1,\"l\":[[]],\"t\":true},"
			 "{\"i\":2,\"l\":[[],[]],\"t\":false},null]");
	cap_free(&c);
}

static void test_deep_nesting_stays_valid(void **state)
{
	struct capture c;
	char expect[1024];
	const int depth = 100;	/* deeper than the writer's indentation table */
	int i, n = 0;

	(void)state;
	cap_open(&c);
	for (i = 0; i < depth; i++) {
		jsonw_start_array(c.w);
		jsonw_u64(c.w, (uint64_t)i);
	}
	for (i = 0; i < depth; i++)
		jsonw_end_array(c.w);
	cap_close(&c);
	for (i = 0; i < depth; i++)
		n += snprintf(expect + n, sizeof(expect) - n, "[%d,", i);
	expect[n - 1] = '\0';	/* the innermost array has no trailing comma */
	n--;
	for (i = 0; i < depth; i++)
		n += snprintf(expect + n, sizeof(expect) - n, "]");
	assert_canon(&c, expect);
	cap_free(&c);
}

static void test_keys_are_escaped(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_kv_string(c.w, "k\"\n\xff", "v");
	jsonw_end_object(c.w);
	cap_close(&c);
	assert_canon(&c, "{\"k\\\"\\n\\ufffd\":\"v\"}");
	cap_free(&c);
}

/*
 * One string as a whole document: the exact text (NULL: not checked), its
 * re-encoding by python (NULL: not checked), text it must contain, valid
 * UTF-8, no raw control character but the final newline.
 */
struct str_case {
	const char *name;
	const char *in;
	const char *exact, *canon;
	const char *has[2];
	bool utf8, no_controls;
};

static const struct str_case str_cases[] = {
	{ "escape: quotes and backslash", "say \"hi\" \\ back/slash",
	  .exact = "\"say \\\"hi\\\" \\\\ back/slash\"\n", .canon = "\"say \\\"hi\\\" \\\\ back/slash\"" },
	/* DEL is not a control character for JSON and passes through. */
	{ "escape: control characters, DEL passes", "a\nb\tc\rd\x01" "e\x1f" "f\x7f",
	  .exact = "\"a\\nb\\tc\\rd\\u0001e\\u001ff\x7f\"\n",
	  .canon = "\"a\\nb\\tc\\rd\\u0001e\\u001ff\\u007f\"" },
	/* every control character, none may appear raw */
	{ "escape: every control character",
	  "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10"
	  "\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f",
	  .no_controls = true,
	  .canon = "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b"
		   "\\f\\r\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016"
		   "\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"" },
	/* é (2 bytes), € (3), U+1F600 (4), U+10FFFF (4, the last code point) */
	{ "valid UTF-8 preserved", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
	  .exact = "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"\n",
	  .canon = "\"\\u00e9\\u20ac\\ud83d\\ude00\\udbff\\udfff\"" },
	{ "invalid UTF-8: never valid", "a\xff" "b", .utf8 = true, .canon = "\"a\\ufffdb\"" },
	{ "invalid UTF-8: lone continuation", "\x80", .utf8 = true, .canon = "\"\\ufffd\"" },
	{ "invalid UTF-8: overlong '/'", "\xc0\xaf", .utf8 = true, .canon = "\"\\ufffd\\ufffd\"" },
	{ "invalid UTF-8: overlong, 3 bytes", "\xe0\x80\xaf", .utf8 = true,
	  .canon = "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "invalid UTF-8: UTF-16 surrogate", "\xed\xa0\x80", .utf8 = true,
	  .canon = "\"\\ufffd\\ufffd\\ufffd\"" },
	{ "invalid UTF-8: above U+10FFFF", "\xf4\x90\x80\x80", .utf8 = true,
	  .canon = "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
	/*
	 * A sequence cut short by the end of the string or by ASCII: how many
	 * U+FFFD is a matter of taste, but the ASCII after it must survive and
	 * the terminating NUL must not be read past.
	 */
	{ "invalid UTF-8: cut short by ASCII", "\xe2\x82x", .utf8 = true,
	  .has = { "\xef\xbf\xbd", "x\"\n" } },
	{ "invalid UTF-8: cut short by the end", "\xf0\x9f\x98", .utf8 = true,
	  .has = { "\xef\xbf\xbd" } },
};

static void test_string(void **state)
{
	const struct str_case *k = CASE(struct str_case, state);
	struct capture c;
	size_t i;

	string_doc(&c, k->in);
	if (k->exact)
		assert_string_equal(c.buf, k->exact);
	if (k->utf8)
		assert_true(valid_utf8((unsigned char *)c.buf, c.len));
	for (i = 0; i < 2 && k->has[i]; i++)
		assert_non_null(strstr(c.buf, k->has[i]));
	if (k->no_controls)
		for (i = 0; i < c.len - 1; i++)	/* the final newline is layout */
			assert_true((unsigned char)c.buf[i] >= 0x20);
	if (k->canon)
		assert_canon(&c, k->canon);
	cap_free(&c);
}

/* Random byte strings, as found in the string tables of a hostile binary. */
static void test_random_bytes_always_valid(void **state)
{
	struct capture c;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	char s[48];
	const int count = 3000;

	(void)state;
	cap_open(&c);
	jsonw_start_array(c.w);
	for (int i = 0; i < count; i++) {
		size_t len = i % (sizeof(s) - 1);

		for (size_t j = 0; j < len; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			s[j] = (char)(x & 0xff);
			if (!s[j])
				s[j] = (char)0x80;	/* NUL would just end the string early */
		}
		s[len] = '\0';
		jsonw_string(c.w, s);
	}
	jsonw_end_array(c.w);
	cap_close(&c);
	assert_true(valid_utf8((unsigned char *)c.buf, c.len));
	for (size_t i = 0; i < c.len; i++)
		assert_true((unsigned char)c.buf[i] >= 0x20 || c.buf[i] == '\n');
	/* python confirms it parses and that no element was lost */
	{
		char path[] = "/tmp/test_jsonw_rand.XXXXXX";
		char cmd[256];
		FILE *p;
		int fd = mkstemp(path), n = -1;

		assert_true(fd >= 0);
		assert_int_equal(write(fd, c.buf, c.len), (ssize_t)c.len);
		close(fd);
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1],encoding=\"utf-8\"))))' %s",
			 path);
		p = popen(cmd, "r");
		assert_non_null(p);
		if (fscanf(p, "%d", &n) != 1)
			n = -1;
		pclose(p);
		unlink(path);
		assert_int_equal(n, count);
	}
	cap_free(&c);
}

static void test_null_string_is_null(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_kv_string(c.w, "s", NULL);
	jsonw_end_object(c.w);
	cap_close(&c);
	assert_canon(&c, "{\"s\":null}");
	cap_free(&c);
}

static void test_doubles(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_array(c.w);
	jsonw_double(c.w, NAN);
	jsonw_double(c.w, INFINITY);
	jsonw_double(c.w, -INFINITY);
	jsonw_double(c.w, 0.5);
	jsonw_double(c.w, -2.25);
	jsonw_double(c.w, 1e300);
	jsonw_double(c.w, 1e-300);
	jsonw_double(c.w, 0.0);
	jsonw_end_array(c.w);
	cap_close(&c);
	/* "nan" or "inf" anywhere would not parse at all */
	assert_null(strstr(c.buf, "nan"));
	assert_null(strstr(c.buf, "inf"));
	assert_canon(&c, "[null,null,null,0.5,-2.25,1e+300,1e-300,0]");
	cap_free(&c);

	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_kv_double(c.w, "rate", NAN);
	jsonw_kv_double(c.w, "ok", 3.0);
	jsonw_end_object(c.w);
	cap_close(&c);
	assert_canon(&c, "{\"ok\":3,\"rate\":null}");
	cap_free(&c);
}

static void test_integers_and_hex(void **state)
{
	struct capture c;

	(void)state;
	cap_open(&c);
	jsonw_start_object(c.w);
	jsonw_kv_u64(c.w, "umax", UINT64_MAX);
	jsonw_kv_i64(c.w, "imin", INT64_MIN);
	jsonw_kv_i64(c.w, "neg", -1);
	jsonw_kv_hex(c.w, "h0", 0);
	jsonw_kv_hex(c.w, "h", 0xdeadbeefcafeULL);
	jsonw_kv_bool(c.w, "f", false);
	jsonw_end_object(c.w);
	cap_close(&c);
	/* exact text: python would silently keep big ints, but check digits */
	assert_non_null(strstr(c.buf, "\"umax\": 18446744073709551615,"));
	assert_non_null(strstr(c.buf, "\"imin\": -9223372036854775808,"));
	assert_canon(&c, "{\"f\":false,\"h\":\"0xdeadbeefcafe\",\"h0\":\"0x0\","
			 "\"imin\":-9223372036854775808,\"neg\":-1,\"umax\":18446744073709551615}");
	cap_free(&c);
}

static void test_write_error_reported(void **state)
{
	FILE *f = fopen("/dev/full", "w");
	struct jsonw *w;

	(void)state;
	assert_non_null(f);
	w = jsonw__new(f);
	assert_non_null(w);
	jsonw_start_array(w);
	for (int i = 0; i < 10000; i++)
		jsonw_string(w, "a string long enough to overflow stdio's buffer");
	jsonw_end_array(w);
	assert_int_equal(jsonw__free(w), -EIO);
	fclose(f);
}

int main(void)
{
	struct suite s = {};

	suite_test(&s, test_python_available);
	suite_test(&s, test_pretty_layout);
	suite_test(&s, test_nesting_commas);
	suite_test(&s, test_deep_nesting_stays_valid);
	suite_rows(&s, test_string, str_cases);
	suite_test(&s, test_keys_are_escaped);
	suite_test(&s, test_random_bytes_always_valid);
	suite_test(&s, test_null_string_is_null);
	suite_test(&s, test_doubles);
	suite_test(&s, test_integers_and_hex);
	suite_test(&s, test_write_error_reported);
	return suite_run(&s, "jsonw");
}
