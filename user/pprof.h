/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * pprof: the tracked maps as a gzipped profile.proto, for `go tool pprof`.
 *
 * Contract: three layers, each usable alone (the unit tests drive the lower
 * two directly).
 * - pbuf: protobuf wire encoding into a growable buffer (varints,
 *   length-delimited and packed fields).  Allocation failure latches
 *   `failed`; the buffer is then to be discarded.
 * - struct pprof: a profile builder.  Strings, functions and locations are
 *   interned as they are added, so every id is non-zero and unique and
 *   string_table[0] is "".  Samples are encoded as they come; the string
 *   table is appended by pprof__encode().  Location lines are innermost
 *   first, as profile.proto wants (the last line is the caller the others
 *   were inlined into); a sample's locations are leaf first.
* - pprof__write_maps_to(): the tracker's maps as Go's heap profile has them:
 *   samples at the allocation (growth) stacks, so the function whose
 *   insert grew a map is a frame.  One sample per map and growth stack
 *   (tmap__growth_sample), values inuse_space (bytes the map holds now,
 *   split over its growth stacks; the default), alloc_space (bytes its
 *   growth allocated there), grows and entries (count); labels type,
 *   verdict, pid, map (its address) and created_at (the creation site, the
 *   view by where maps are made: `-tagfocus`, `-tags`).  Each target
 *   gets a Mapping (its executable's text: /proc/PID/maps while the process
 *   lives, else its ELF segment and load bias) with has_functions set, so
 *   pprof shows the names carried here and never needs the binary: stripped
 *   PIE profiles read the same.  Comments name each target's Go version and
 *   map implementation.
 */
#ifndef PPROF_H
#define PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "gm_err.h"
#include "report.h"
#include "tracker.h"

enum pb_wire {
	PB_VARINT = 0,
	PB_I64 = 1,
	PB_LEN = 2,
	PB_I32 = 5,
};

struct pbuf {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

void pbuf__init(struct pbuf *b);
void pbuf__fini(struct pbuf *b);
void pbuf__raw(struct pbuf *b, const void *p, size_t len);
void pbuf__varint(struct pbuf *b, uint64_t v);
void pbuf__key(struct pbuf *b, uint32_t field, enum pb_wire wire);
void pbuf__uint(struct pbuf *b, uint32_t field, uint64_t v);
/* int64 fields: negative values take ten bytes (two's complement), as in protoc. */
void pbuf__int(struct pbuf *b, uint32_t field, int64_t v);
void pbuf__bytes(struct pbuf *b, uint32_t field, const void *p, size_t len);
void pbuf__string(struct pbuf *b, uint32_t field, const char *s);
/* A nested message: field, length, then sub's bytes (sub's failure carries over). */
void pbuf__message(struct pbuf *b, uint32_t field, const struct pbuf *sub);
/* A packed repeated varint field; nothing at all when n is 0. */
void pbuf__packed(struct pbuf *b, uint32_t field, const uint64_t *v, size_t n);

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

/*
 * The tracker's maps as a gzipped profile, to f (not closed; 0 or -errno).
 * The caller, which opened f, names the path in its message (outfile.h).
 */
int pprof__write_maps_to(FILE *f, const struct tracker *tr, const struct report_session *rs);

#endif /* PPROF_H */
