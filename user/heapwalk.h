/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * heapwalk: what keeps a process's maps alive — the search behind
 * held_by (holder.h), a bounded breadth-first search backwards from each
 * map to a root, through target memory read with process_vm_readv.
 *
 * Level 1 looks for words equal to each searched map's address; level
 * k + 1 for words equal to the objects level k found holding them:
 *
 *   - in .data/.bss (package-level variables: a root, named from .symtab,
 *     or by section + offset when stripped);
 *   - on a goroutine's stack (holder_roots.h: a root, the function whose
 *     frame holds the word and the goroutine id);
 *   - in a value slot of another tracked map (the hop `container[key]`,
 *     `[…]` unless keys are shown): the next level looks for that map;
 *   - in the one group of a small map (up to 8 entries: never tracked) of
 *     a type whose values have the searched thing's type (checked: control
 *     bytes, and every full slot's value a plausible pointer): the next
 *     level looks for its header (a pointer to the group where a header
 *     keeps it, with a small map's count and no directory / B = 0), and
 *     the one after for the map, as for a tracked one;
 *   - anywhere else in the heap (anonymous read-write memory, only its
 *     pages present in RAM per /proc/PID/pagemap, so nothing is faulted or
 *     swapped in): an object of struct type S at A - off when S has a
 *     field of the searched thing's type at offset off (the field index of
 *     holder_types.h; a struct held inline one level in another is
 *     followed too): the hop `(*S).field`, and the next level looks for
 *     that object's address with type *S.
 *
 * Closure contexts (struct { F uintptr; ... }) are never taken for
 * objects: only func values hold them, and they are the likeliest wrong
 * guess of where an object starts.
 *
 * A path from a package-level variable wins over one from a frame of the
 * main goroutine (id 1), over another goroutine's, over a runtime
 * function's frame (which holds user pointers briefly, or stale), over a
 * running goroutine's (whose stack is taken whole): the root that lives
 * longest; then the shorter (a running goroutine: the outermost frame).
 * The search stops early once every searched map has a package-level
 * root.
 *
 * Contract: reads only (the target runs on, never stopped, signalled or
 * written); bounded by HOLDER_MAX_DEPTH heap objects a path (a map's
 * groups and header count as one; HOLDER_MAX_DEPTH + 3 levels at most),
 * HOLDER_MAX_NODES objects in all, HOLDER_MAX_SIBLINGS objects of one type
 * holding one object, HOLDER_MAX_HEAP_BYTES of heap a level,
 * HOLDER_MAX_DATA_BYTES of .data/.bss, HOLDER_MAX_GOROUTINES goroutines
 * and the caller's deadline (holder.h).  What it cannot find it says
 * (struct hw_stats, and the map's why).  A result describes memory as it
 * was during the read: a stale pointer in memory the program no longer
 * uses can be taken for a holder.
 */
#ifndef HEAPWALK_H
#define HEAPWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goelf.h"
#include "holder.h"
#include "holder_types.h"
#include "target.h"
#include "u64map.h"

/* One tracked map of the process whose header is in the heap. */
struct hw_map {
	uint64_t addr, type, bucket_size;
	bool wanted;		/* its holder is searched for (others: only hops) */
	/* out, for wanted maps: kind HOLDER_UNKNOWN when nothing was found */
	enum holder_kind kind;
	char name[192], path[448], function[192];
	uint64_t goroutine;
	int depth;		/* heap objects on the path */
};

struct hw_stats {
	uint64_t levels;		/* levels searched */
	uint64_t heap_bytes;		/* heap present in RAM, scanned a level */
	uint64_t nodes;			/* objects searched for */
	uint64_t goroutines;		/* live goroutines whose stacks are roots */
	uint64_t peak;			/* bytes held at most */
	bool allgs_found;		/* goroutine stacks known */
	bool heap_cut;			/* the heap was larger than HOLDER_MAX_HEAP_BYTES */
	bool nodes_cut;			/* HOLDER_MAX_NODES reached */
	bool out_of_time;
	bool no_pagemap;		/* /proc/PID/pagemap unreadable: every page read */
};

/*
 * Find the holders of maps[i].wanted (n maps: every heap map of the
 * process, so that values of the others are known as hops).  keys: map
 * hops show the slot's key (trace --keys), else `[…]`.  Reads through
 * ht's reader; gives up at deadline_ns (CLOCK_MONOTONIC).
 */
void heapwalk__run(struct target *t, struct htypes *ht, struct hw_map *maps, size_t n, bool keys,
		   uint64_t deadline_ns, struct hw_stats *st);

/* ---- pure parts, exposed for the unit tests ---- */

/*
 * Words equal to a wanted value in a block of memory read from base:
 * cb(addr_of_word, value) for each hit.  Wanted values sit in a u64map.
 */
size_t heapwalk__scan(const uint8_t *buf, size_t len, uint64_t base, const struct u64map *want,
		      void (*cb)(uint64_t at, uint64_t val, void *ctx), void *ctx);

#endif /* HEAPWALK_H */
