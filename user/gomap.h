/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * gomap: what gomaptrace knows about the Go runtime's maps — how to read
 * one from another process's memory, how to tell a live map from freed
 * memory, and the arithmetic of capacity, memory and growth cost.
 *
 * Terminology (used the same way in every module and in docs/):
 *
 *   map         one Go map value: the header the runtime allocates
 *               (classic hmap, Swiss maps.Map), identified by its address
 *               in one process.  A map keeps its header address for life;
 *               its bucket array / directory moves as it grows.
 *   site        a source line maps are attributed to.  The creation site
 *               is the line that made the map (makemap, maps.NewMap); the
 *               insert site is the line whose insert made it grow
 *               (mapassign's caller).  A map made before tracing began has
 *               only an insert site.
 *   window      a span of time over which each map's net entry change is
 *               recorded; verdicts are judged over closed windows.
 *   verdict     what the entry-count curve says: leak, growing, plateau,
 *               sawtooth, shrinking, gone (judge.h).
 *   bucket      classic maps: 8 slots plus tophash and overflow pointer;
 *               a map has 2^B of them, plus overflow buckets.
 *   group       Swiss maps: a control word and 8 slots.
 *   table       Swiss maps: a power-of-two array of groups, 8..1024 slots.
 *               A full 1024-slot table splits into two.
 *   directory   Swiss maps: 2^globalDepth table pointers; a table of
 *               localDepth d fills 2^(globalDepth-d) consecutive entries.
 *               A small Swiss map (dirLen 0) has one group and no tables.
 *   capacity    slots the map has room for now: 8 x 2^B (classic), the
 *               sum over the distinct tables (Swiss), 8 for a small map.
 *   seed        the hash seed (hash0 / seed).  Go picks a new one when a
 *               map is cleared or emptied, so a new seed alone is no proof
 *               of a new map; a new seed AND a new bucket array is.
 *   gone        a map no longer followed: its memory cannot be read, no
 *               longer passes the checks below, or another map was made at
 *               its address.  Nothing read after that counts.
 *
 * Contract: gomap__sample() reads one map through a struct gomap_mem (the
 * real process_vm_readv by default, a synthetic address space in tests)
 * and either fills a struct gomap_sample that obeys every invariant the
 * runtime keeps, or says why it does not.  It never writes.  Every size it
 * derives is bounded by what fits in a 47-bit address space, so no value
 * read from freed memory can become a number in a report.
 */
#ifndef GOMAP_H
#define GOMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "gomaptrace.h"

/* "classic" or "swiss" (anything else: "unknown"). */
const char *gomap__impl_name(uint32_t impl);

/*
 * The struct offsets the BPF side and the samplers read, for impl as Go
 * go_major.go_minor builds it (amd64); every field not set is GM_OFF_ABSENT.
 * For a release newer than tested this is the newest known layout.
 */
void gomap__layout(struct gm_layout *l, uint32_t impl, int go_major, int go_minor);

/*
 * Reads of a target's memory.  read: 0, -EFAULT (some byte not readable),
 * -ESRCH (no such process).  read_many: cnt reads of size bytes each into
 * out[i * size], ok[i] says which succeeded; returns how many did, or
 * -ESRCH.  read_many may be NULL (read is then called cnt times).
 */
struct gomap_mem {
	int (*read)(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len);
	ssize_t (*read_many)(void *ctx, pid_t pid, const uint64_t *addrs, size_t cnt,
			     size_t size, void *out, bool *ok);
	void *ctx;
};

/* The real thing: process_vm_readv (target__read, target__read_many). */
const struct gomap_mem *gomap__process_mem(void);
ssize_t gomap__read_many(const struct gomap_mem *mem, pid_t pid, const uint64_t *addrs,
			 size_t cnt, size_t size, void *out, bool *ok);

/* Swiss tables: fixed by the runtime (internal/runtime/maps). */
#define GOMAP_GROUP_SLOTS	8
#define GOMAP_MAX_TABLE_CAP	1024
#define GOMAP_TABLE_BYTES	32	/* sizeof(maps.table) */
/* Directories longer than this are not read (8 MiB of pointers). */
#define GOMAP_MAX_DIRLEN	(1u << 20)
/* Nothing in a Go heap is larger than the user address space. */
#define GOMAP_MAX_BYTES		(1ULL << 47)

/* Header bytes to read per map so that gomap__parse_header() can work. */
size_t gomap__header_len(const struct gm_layout *lay);

/* A map header, decoded. */
struct gomap_header {
	uint64_t count;		/* hmap.count / Map.used */
	uint64_t seed;
	uint64_t buckets;	/* classic buckets / Swiss dirPtr */
	uint64_t oldbuckets;	/* classic: non-zero while a grow is in progress */
	uint64_t dirlen;	/* Swiss */
	uint8_t B, flags;	/* classic */
	uint16_t noverflow;	/* classic (approximate once B >= 16) */
	uint8_t global_depth, global_shift;	/* Swiss */
	bool writing;		/* Swiss: a write was under way (structure may be mid-change) */
};

enum gomap_status {
	GOMAP_OK = 0,
	GOMAP_UNREADABLE,	/* the header could not be read: freed and unmapped, or exited */
	GOMAP_BAD_HEADER,	/* the header breaks an invariant of live maps */
	GOMAP_BAD_STRUCTURE,	/* the directory or a table does not match the header */
	GOMAP_UNSTABLE,		/* structure read mid-change (the map grew while read): retry */
	GOMAP_STATUS_MAX,
};

const char *gomap__status_str(enum gomap_status st);

/*
 * Decode and check a header read from memory (hdr holds header_len bytes).
 * Checks: classic flags use only the runtime's four bits, B small enough
 * that 2^B buckets of bucket_size bytes fit in memory, count within what
 * 2^B buckets can hold, buckets set when count > 0; Swiss dirLen 0 or
 * 2^globalDepth with globalShift = 64 - globalDepth, count <= 8 for a
 * small map and within 1024 slots a table otherwise, dirPtr set when
 * count > 0 or dirLen > 0.  bucket_size 0: unknown (bounds use 16 bytes).
 */
enum gomap_status gomap__parse_header(const struct gm_layout *lay, const uint8_t *hdr,
				      uint64_t bucket_size, struct gomap_header *h);

/* What the map's structure says, from one consistent read. */
struct gomap_shape {
	uint64_t capacity;	/* slots */
	uint64_t bytes;		/* bucket (classic) or group + table + directory (Swiss) bytes */
	uint32_t tables;	/* Swiss: distinct tables (0 for a small map) */
	uint32_t dirlen;	/* Swiss: directory entries */
	uint64_t table_used;	/* Swiss: sum of the tables' used counts */
};

/*
 * The shape of a map whose header h was just read and checked.  Classic:
 * arithmetic on B and noverflow (no further read).  Swiss: reads the
 * directory and each table once, walking the directory by each table's
 * span (2^(globalDepth - localDepth) entries from its index) so a table
 * is counted once however many entries point at it, and checks every
 * table (capacity a power of two in 8..1024, groups.lengthMask matching,
 * used and growthLeft within capacity, index and span consistent with the
 * directory).  bucket_size is the type's BucketSize / GroupSize (0:
 * unknown, bytes then left 0).
 */
enum gomap_status gomap__shape(const struct gomap_mem *mem, pid_t pid, const struct gm_layout *lay,
			       const struct gomap_header *h, uint64_t bucket_size,
			       struct gomap_shape *out);

/*
 * Bucket/group bytes a growth event allocated and the capacity right after
 * it (0 when the event does not say).  bucket_size: the event's, or the
 * map's when the event carried none (a growth caught at the large
 * allocation point has no type).  Used for the allocation-stack profile;
 * the memory a map holds comes from gomap__shape.
 */
void gomap__growth_cost(const struct gm_event *e, uint64_t bucket_size, uint64_t *bytes,
			uint64_t *capacity);

/* Classic: 2^B buckets plus the overflow buckets makeBucketArray preallocates. */
uint64_t gomap__classic_buckets(uint8_t B);

#endif /* GOMAP_H */
