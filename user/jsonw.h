/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * jsonw: a streaming JSON writer for machine-readable reports.
 *
 * Contract: the writer tracks nesting and commas; callers emit keys and
 * values in order.  Strings are escaped per RFC 8259 (control characters as
 * \u00XX; invalid UTF-8 bytes from binaries are replaced by U+FFFD, so output
 * is always valid JSON).  Output is pretty-printed with two-space indent.
 */
#ifndef JSONW_H
#define JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct jsonw;

struct jsonw *jsonw__new(FILE *out);
/* Flushes; returns -EIO if any write failed. */
int jsonw__free(struct jsonw *w);

void jsonw_start_object(struct jsonw *w);
void jsonw_end_object(struct jsonw *w);
void jsonw_start_array(struct jsonw *w);
void jsonw_end_array(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);	/* before a value in an object */
void jsonw_string(struct jsonw *w, const char *s);
void jsonw_u64(struct jsonw *w, uint64_t v);
void jsonw_i64(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);	/* non-finite becomes null */
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
void jsonw_hex(struct jsonw *w, uint64_t v);	/* "0x..." string */

/* key + value shorthands */
void jsonw_kv_string(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_u64(struct jsonw *w, const char *key, uint64_t v);
void jsonw_kv_i64(struct jsonw *w, const char *key, int64_t v);
void jsonw_kv_double(struct jsonw *w, const char *key, double v);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);
void jsonw_kv_hex(struct jsonw *w, const char *key, uint64_t v);
/* The value, or null when there is none: the JSON says "nothing" one way. */
void jsonw_kv_string_or_null(struct jsonw *w, const char *key, const char *s);	/* NULL or "" */
void jsonw_kv_u64_or_null(struct jsonw *w, const char *key, bool have, uint64_t v);
void jsonw_kv_i64_or_null(struct jsonw *w, const char *key, bool have, int64_t v);
void jsonw_kv_hex_or_null(struct jsonw *w, const char *key, bool have, uint64_t v);

#endif /* JSONW_H */
