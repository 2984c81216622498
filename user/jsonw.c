// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include "jsonw.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	FILE *out;
	int depth;
	bool first[JSONW_MAX_DEPTH];	/* no element written yet at this depth */
	bool after_key;
};

struct jsonw *jsonw__new(FILE *out)
{
	struct jsonw *w = calloc(1, sizeof(*w));

	if (w) {
		w->out = out;
		w->first[0] = true;
	}
	return w;
}

int jsonw__free(struct jsonw *w)
{
	int ret = 0;

	if (!w)
		return 0;
	fputc('\n', w->out);
	if (fflush(w->out) || ferror(w->out))
		ret = -EIO;
	free(w);
	return ret;
}

static void indent(struct jsonw *w)
{
	fputc('\n', w->out);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Separator and indentation before any value or key. */
static void begin_item(struct jsonw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (!w->first[w->depth])
		fputc(',', w->out);
	w->first[w->depth] = false;
	if (w->depth)
		indent(w);
}

static void open_nest(struct jsonw *w, char c)
{
	begin_item(w);
	fputc(c, w->out);
	if (w->depth + 1 < JSONW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void close_nest(struct jsonw *w, char c)
{
	bool empty = w->first[w->depth];

	if (w->depth)
		w->depth--;
	if (!empty)
		indent(w);
	fputc(c, w->out);
}

void jsonw_start_object(struct jsonw *w) { open_nest(w, '{'); }
void jsonw_end_object(struct jsonw *w) { close_nest(w, '}'); }
void jsonw_start_array(struct jsonw *w) { open_nest(w, '['); }
void jsonw_end_array(struct jsonw *w) { close_nest(w, ']'); }

/* Length of a valid UTF-8 sequence at s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) { n = 2; cp = s[0] & 0x1f; }
	else if ((s[0] & 0xf0) == 0xe0) { n = 3; cp = s[0] & 0x0f; }
	else if ((s[0] & 0xf8) == 0xf0) { n = 4; cp = s[0] & 0x07; }
	else return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		int n;

		switch (*s) {
		case '"': fputs("\\\"", out); s++; continue;
		case '\\': fputs("\\\\", out); s++; continue;
		case '\n': fputs("\\n", out); s++; continue;
		case '\t': fputs("\\t", out); s++; continue;
		case '\r': fputs("\\r", out); s++; continue;
		}
		if (*s < 0x20) {
			fprintf(out, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (!n) {
			fputs("\xef\xbf\xbd", out);
			s++;
			continue;
		}
		fwrite(s, 1, n, out);
		s += n;
	}
	fputc('"', out);
}

void jsonw_key(struct jsonw *w, const char *key)
{
	begin_item(w);
	write_string(w->out, key);
	fputs(": ", w->out);
	w->after_key = true;
}

void jsonw_string(struct jsonw *w, const char *s)
{
	begin_item(w);
	if (s)
		write_string(w->out, s);
	else
		fputs("null", w->out);
}

void jsonw_u64(struct jsonw *w, uint64_t v) { begin_item(w); fprintf(w->out, "%" PRIu64, v); }
void jsonw_i64(struct jsonw *w, int64_t v) { begin_item(w); fprintf(w->out, "%" PRId64, v); }
void jsonw_bool(struct jsonw *w, bool v) { begin_item(w); fputs(v ? "true" : "false", w->out); }
void jsonw_null(struct jsonw *w) { begin_item(w); fputs("null", w->out); }
void jsonw_hex(struct jsonw *w, uint64_t v) { begin_item(w); fprintf(w->out, "\"0x%" PRIx64 "\"", v); }

void jsonw_double(struct jsonw *w, double v)
{
	begin_item(w);
	if (isfinite(v))
		fprintf(w->out, "%.6g", v);
	else
		fputs("null", w->out);
}

void jsonw_kv_string(struct jsonw *w, const char *k, const char *s) { jsonw_key(w, k); jsonw_string(w, s); }
void jsonw_kv_u64(struct jsonw *w, const char *k, uint64_t v) { jsonw_key(w, k); jsonw_u64(w, v); }
void jsonw_kv_i64(struct jsonw *w, const char *k, int64_t v) { jsonw_key(w, k); jsonw_i64(w, v); }
void jsonw_kv_double(struct jsonw *w, const char *k, double v) { jsonw_key(w, k); jsonw_double(w, v); }
void jsonw_kv_bool(struct jsonw *w, const char *k, bool v) { jsonw_key(w, k); jsonw_bool(w, v); }
void jsonw_kv_hex(struct jsonw *w, const char *k, uint64_t v) { jsonw_key(w, k); jsonw_hex(w, v); }

void jsonw_kv_string_or_null(struct jsonw *w, const char *k, const char *s)
{
	jsonw_key(w, k);
	if (s && *s)
		jsonw_string(w, s);
	else
		jsonw_null(w);
}

void jsonw_kv_u64_or_null(struct jsonw *w, const char *k, bool have, uint64_t v)
{
	jsonw_key(w, k);
	if (have)
		jsonw_u64(w, v);
	else
		jsonw_null(w);
}

void jsonw_kv_i64_or_null(struct jsonw *w, const char *k, bool have, int64_t v)
{
	jsonw_key(w, k);
	if (have)
		jsonw_i64(w, v);
	else
		jsonw_null(w);
}

void jsonw_kv_hex_or_null(struct jsonw *w, const char *k, bool have, uint64_t v)
{
	jsonw_key(w, k);
	if (have)
		jsonw_hex(w, v);
	else
		jsonw_null(w);
}
