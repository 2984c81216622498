/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * holder_slots: what a map holds, read from the target for the holder
 * search (holder.h) — where its groups (Swiss) or buckets (classic) lie,
 * its full slots, a key as text, and the heap bytes its keys and values
 * point to.
 *
 * Contract:
 * - Reads go through the struct htypes' reader (holder_types.h), counted;
 *   the target is never written.  A map is read while it runs, so a
 *   group may change under the read: a slot is taken as full only when
 *   its control byte (Swiss) or tophash (classic) says so in the same
 *   read, and nothing else is assumed of it.
 * - Bounded: at most GOMAP_MAX_DIRLEN / MAX_DIR_READ directory entries,
 *   tables of at most 1,024 slots, 2^20 classic buckets and 8 overflow
 *   buckets a chain; keys decode at most HOLDER_STR_MAX string bytes and
 *   structs two levels deep, into the caller's buffer (cut, never
 *   overrun).
 * - Pure parts (hslots__locate, hslots__full) read nothing.  Hostile
 *   input: fuzzed by tests/fuzz/fuzz_holder.c with a synthetic memory.
 */
#ifndef HOLDER_SLOTS_H
#define HOLDER_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "holder_types.h"

/* Directory entries read per Swiss map. */
#define HSLOTS_MAX_DIR_READ	65536u
/* Classic: 2^B buckets read at most for B up to this. */
#define HSLOTS_MAX_CLASSIC_B	20
#define HSLOTS_MAX_OVERFLOW	8

/* cb per full slot: key and elem bytes (the pointers when indirect); false stops. */
typedef bool (*hslot_cb)(struct htypes *ht, const uint8_t *key, const uint8_t *elem,
			 uint64_t elem_at, void *ctx);

/*
 * Group (Swiss) or bucket (classic) addresses of the map at addr, up to
 * max; every stride-th when the map has more (a sample spread over it).
 * Returns how many were written, *total how many there are.
 */
size_t hslots__groups(struct htypes *ht, uint64_t addr, const struct hmtype *mt, uint64_t *out,
		      size_t max, size_t stride, uint64_t *total);
/* The full slots of the groups listed; returns slots visited, *bytes the bytes read. */
uint64_t hslots__walk(struct htypes *ht, const struct hmtype *mt, const uint64_t *groups, size_t ng,
		      hslot_cb cb, void *ctx, uint64_t *bytes);
/*
 * The memory holding the map's slots: cb(lo, hi) for each table's group
 * array (Swiss; one group for a small map) or the bucket array and, while
 * it grows, the old one (classic; overflow buckets allocated later are
 * not included).  Only ranges inside the 47-bit user address space are
 * given (lo < hi).  Returns the ranges given, or -errno; cb returning
 * non-zero stops.
 */
int hslots__ranges(struct htypes *ht, uint64_t addr, uint64_t groupsize,
		   int (*cb)(uint64_t lo, uint64_t hi, void *ctx), void *ctx);

/* Where a byte offset inside one group/bucket falls. */
struct hslot_pos {
	int slot;		/* 0..7 */
	bool in_elem;		/* in the value (else the key) */
	uint64_t off;		/* offset inside that key or value */
};
/* False when off is in no key nor value (control word, tophash, padding, overflow pointer). */
bool hslots__locate(uint32_t impl, const struct hmtype *mt, uint64_t off, struct hslot_pos *out);
/* Slot j of a group/bucket read whole (at least its first 8 bytes) is full. */
bool hslots__full(uint32_t impl, const uint8_t *group, int j);

/*
 * Can the groupsize bytes b be the one group (Swiss) or bucket (classic)
 * of a small map of type mt, with slot j full?  Every control byte full,
 * empty or deleted (Swiss), no evacuated tophash and no overflow bucket
 * (classic), and every full slot's value a non-nil plausible pointer
 * (mt's values are pointers or maps).
 */
bool hslots__small_group(uint32_t impl, const struct hmtype *mt, const uint8_t *b, int j,
			 bool (*plausible)(void *ctx, uint64_t v), void *ctx);

/* A key's text (holder.h: strings quoted and cut, numbers, structs by field, ...). */
void hslots__key_text(struct htypes *ht, const struct hmtype *mt, const uint8_t *k, char *buf,
		      size_t len);
/* A value of type typ (vlen bytes at v) as text; depth: nesting so far (0 at the top). */
void hslots__decode(struct htypes *ht, uint64_t typ, const uint8_t *v, size_t vlen, char *buf,
		    size_t len, int depth);
/*
 * Heap bytes a key or value points to, one level deep (strings, pointers,
 * slices, boxed interface values, a struct's fields of those kinds);
 * indirect: v holds a pointer to the key/value, whose own bytes count too.
 */
uint64_t hslots__retained(struct htypes *ht, uint64_t typ, bool indirect, const uint8_t *v);

#endif /* HOLDER_SLOTS_H */
