/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pprof: a profile.proto builder, for `go tool pprof`; three files, each
 * usable alone (the unit tests drive the lower two directly): pbuf.h (the
 * wire encoding), this one, and pprof_maps.h (the tracker's maps as a
 * profile).
 *
 * Contract:
 * - struct pprof: a profile builder.  Strings, functions and locations are
 *   interned as they are added, so every id is non-zero and unique and
 *   string_table[0] is "".  Samples are encoded as they come; the string
 *   table is appended by pprof__encode().  Location lines are innermost
 *   first, as profile.proto wants (the last line is the caller the others
 *   were inlined into); a sample's locations are leaf first.
 */
#ifndef PPROF_H
#define PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "pbuf.h"

struct pprof_value_type {
	const char *type, *unit;	/* "bucket_bytes", "bytes" */
};

struct pprof_line {
	const char *function, *system_name, *file;	/* NULL: "" */
	int64_t start_line;		/* 0: unknown */
	int64_t line;
};

struct pprof_label {
	const char *key;
	const char *str;		/* NULL: a numeric label */
	int64_t num;
	const char *num_unit;		/* NULL: none */
};

struct pprof;

/* default_type: index into types of the sample type pprof shows by default. */
struct pprof *pprof__new(const struct pprof_value_type *types, size_t n, size_t default_type);
void pprof__free(struct pprof *p);

/* Index of s in the string table, added if new; -1 on allocation failure. */
int64_t pprof__string(struct pprof *p, const char *s);
/* A Mapping; returns its id, 0 on allocation failure. */
uint64_t pprof__mapping(struct pprof *p, uint64_t start, uint64_t limit, uint64_t offset,
			const char *file, const char *build_id);
/*
 * The Location of (mapping_id, address, tag), added with these lines if new;
 * returns its id, 0 on allocation failure.  tag separates locations that
 * share an address but not their lines (a probe pc symbolizes as itself, the
 * same value as a return address as the call before it).
 */
uint64_t pprof__location(struct pprof *p, uint64_t mapping_id, uint64_t address, uint32_t tag,
			 const struct pprof_line *lines, size_t n);
/* values: one per sample type given to pprof__new().  Returns 0 or -ENOMEM. */
int pprof__sample(struct pprof *p, const uint64_t *location_ids, size_t n, const int64_t *values,
		  const struct pprof_label *labels, size_t nlabels);
int pprof__comment(struct pprof *p, const char *s);
void pprof__set_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos);

/* The whole Profile message into out (appended).  Returns 0 or -ENOMEM. */
int pprof__encode(struct pprof *p, struct pbuf *out);
/* gzip (zlib's deflate, gzip wrapper) of len bytes to f.  Returns 0 or -errno. */
int pprof__gzip(FILE *f, const void *data, size_t len);

#endif /* PPROF_H */
