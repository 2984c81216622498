/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * holder_roots: where things are in a running Go process, for the holder
 * search (heapwalk.h) — its anonymous read-write memory (the Go heap, the
 * goroutine stacks in it) and which of its pages are in RAM, the
 * executable's own image, its live goroutines and their stacks, the
 * function whose frame holds a stack word, and the name of a
 * package-level variable at an address.
 *
 * Contract:
 * - Reads only: /proc/PID/maps and /proc/PID/pagemap (through the proc
 *   root, target.h) and process_vm_readv through a struct hread.  Pages
 *   not present in RAM (never touched, or swapped out) are left out of
 *   the heap so that no read faults or swaps one in.
 * - Goroutines come from runtime.allgs: by its .symtab symbol, or in a
 *   stripped binary the first slice in .bss whose first element is a g
 *   of goroutine 1 and whose second is a g too (checked: stack bounds a
 *   power-of-two size, g.sched.g pointing back at the g).  A goroutine's
 *   live stack is [g.sched.sp, g.stack.hi): what it had when it last
 *   stopped; below that are frames that returned.  A running goroutine
 *   has no saved sp: its whole stack is taken, stale slots included.
 * - Bounded: MAX_ANON mappings, HOLDER_MAX_HEAP_BYTES of heap in at most
 *   HROOTS_MAX_RUNS runs, HOLDER_MAX_GOROUTINES goroutines, frame chains
 *   of 256 frames.  What was cut is said in struct hroots.
 */
#ifndef HOLDER_ROOTS_H
#define HOLDER_ROOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goelf.h"
#include "gomaptrace.h"
#include "holder_types.h"
#include "target.h"

#define HROOTS_MAX_ANON	4096
#define HROOTS_MAX_RUNS	65536u
#define HROOTS_MAX_STACK_READ	(1u << 20)	/* a running goroutine's stack read to find a frame */

struct hspan {
	uint64_t lo, hi;
	int map;		/* the tracked map whose slots these are (heapwalk); -1 none */
};

/* What the search needs of a g (runtime/runtime2.go), read with its header. */
struct hw_g {
	uint64_t g, lo, hi;		/* the g, its stack bounds */
	uint64_t sp, pc, bp;		/* g.sched: where it stopped last */
	uint64_t goid;
	uint32_t status;
	bool running;			/* no saved sp: its whole stack is taken */
};

struct hroots {
	struct hspan anon[HROOTS_MAX_ANON];	/* anonymous rw mappings, sorted */
	int nanon;
	struct hspan own[16];			/* the executable's PT_LOAD segments, at run time */
	struct hspan text;			/* its executable segment */
	int nown;
	struct hspan *runs;			/* heap pages present in RAM, merged, sorted */
	size_t nruns;
	struct hw_g *gs;			/* live goroutines, by stack address */
	size_t ngs;
	uint64_t heap_bytes;
	bool heap_cut;				/* more than HOLDER_MAX_HEAP_BYTES present */
	bool no_pagemap;			/* pagemap unreadable: every page taken */
	bool allgs_found;
};

/*
 * Find all of the above for t (heap pages, goroutines); buf: a scratch
 * buffer of chunk bytes (.bss is read through it when stripped).
 * gobuf_ret: Go <= 1.24 (heapwalk__g_decode).
 */
void hroots__init(struct hroots *r, struct target *t, struct hread *rd, bool gobuf_ret, uint8_t *buf,
		  size_t chunk);
void hroots__fini(struct hroots *r);
/* Bytes held. */
uint64_t hroots__held(const struct hroots *r);

/* v can be a pointer of this process: in anonymous memory or the executable's image. */
bool hroots__plausible(const struct hroots *r, uint64_t v);
/* The live goroutine whose stack [lo, hi) holds a: its index in gs, or -1. */
int hroots__goroutine(const struct hroots *r, uint64_t a);
/* The function whose frame holds stack address a of goroutine g (frame-pointer chain). */
bool hroots__frame(const struct hroots *r, const struct target *t, struct hread *rd, int g, uint64_t a,
		   char *buf, size_t len);
/* Index of the span of s[0..n) (sorted, disjoint) holding v, or -1. */
int hroots__span_find(const struct hspan *s, size_t n, uint64_t v);
/* Sort spans by start (qsort comparator). */
int hroots__span_cmp(const void *a, const void *b);

/* ---- pure parts, exposed for the unit tests ---- */

/* Name of the .symtab object symbol holding link-time address vaddr, and the offset in it. */
bool heapwalk__symbol_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len,
			 uint64_t *off);
/* "package-level variable (.bss+0x40)" for a stripped binary. */
void heapwalk__section_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len);
/* Bytes of a g header to read: through goid or sched.bp, whichever ends later. */
size_t heapwalk__g_len(const struct gm_layout *lay);
/*
 * Decode a g header read at address g (len bytes): false when it is no g
 * (stack bounds not a power-of-two size of 2 KiB to 1 GiB, sched.g not
 * itself).  gobuf_ret: the release's gobuf still has ret (Go <= 1.24),
 * which moves sched.bp.
 */
bool heapwalk__g_decode(const struct gm_layout *lay, bool gobuf_ret, uint64_t g, const uint8_t *b,
			size_t len, struct hw_g *out);
/* The goroutine is alive (runnable, running, in a syscall, waiting, preempted, copying its stack). */
bool heapwalk__g_live(const struct hw_g *g);

#endif /* HOLDER_ROOTS_H */
