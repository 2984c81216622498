/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * holder: who holds a leaking map, and what it holds (issue 13).
 *
 *   held_by         what keeps the map alive: a package-level variable
 *                   (named from .symtab, or "package-level variable" with
 *                   section and offset when stripped); a path from such a
 *                   variable, or from a goroutine's frame, through up to
 *                   HOLDER_MAX_DEPTH heap objects — struct fields named
 *                   from the type descriptors and values of other tracked
 *                   maps: `main.hub -> (*main.server).clients[…] ->
 *                   (*main.client).subs`; or a goroutine's frame (stack
 *                   maps, known from the probes, and heap maps only a
 *                   frame points to).  heapwalk.h says how it is found.
 *   sample_keys     --keys N: N keys read from the map's buckets/groups and
 *                   decoded by the key type (trace only, never the daemon).
 *                   Only then do map hops in a path show their key.
 *   retained_bytes  bucket/group memory plus the heap objects the keys and
 *                   values point to (one level), sampled and scaled.
 *
 * Contract: holder__resolve() is called by reporters at report time.  It
 * searches only for maps judged leak or growing (the daemon: leak only),
 * each once (the final report refreshes keys and retained bytes once more),
 * and keeps the results keyed by (pid, map address, seed), outside the
 * tracker.  Every read is process_vm_readv (a struct gomap_mem) or of
 * /proc/PID/{maps,pagemap}: the target is never stopped nor written.  Each
 * search is bounded (HOLDER_MAX_* below) and its cost, bytes read and
 * time, is counted in holder__stats() for the overhead line.
 *
 * Split: holder.c (this API, the results, keys and retained bytes),
 * heapwalk.c (the search), holder_roots.c (the process's heap pages,
 * goroutines, frames and variable names), holder_types.c (type
 * descriptors and the field index), holder_slots.c (a map's groups, slots
 * and keys).
 *
 * The results and switches are module state (one set per process): trace
 * and the daemon each hold one tracker.
 */
#ifndef HOLDER_H
#define HOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "goelf.h"
#include "gomap.h"
#include "tracker.h"
#include "u64map.h"

/* Bounds of one search (per process, per resolve call). */
#define HOLDER_MAX_DEPTH	4		/* heap objects on a path (a map's groups count as one) */
#define HOLDER_MAX_NODES	32768u		/* objects (and maps) searched for, all levels */
#define HOLDER_MAX_SIBLINGS	4u		/* objects of one type at one offset holding one object */
#define HOLDER_MAX_HEAP_BYTES	(256u << 20)	/* heap present in RAM scanned a level (5 levels at most) */
#define HOLDER_MAX_DATA_BYTES	(64u << 20)	/* .data + .bss read a level */
#define HOLDER_MAX_GOROUTINES	65536u		/* goroutine stacks as roots */
#define HOLDER_MAX_GROUP_RANGES	65536u		/* tables/bucket arrays of tracked maps known as hops */
#define HOLDER_MAX_TYPES_BYTES	(32u << 20)	/* type descriptors read for the field index */
#define HOLDER_MAX_SEARCH_NS	(2ULL * 1000000000ULL)	/* wall time, then the rest is "unknown" */
#define HOLDER_MAX_ENTRIES	4096u		/* results kept */
#define HOLDER_MAX_KEYS		64		/* --keys N cap */
#define HOLDER_KEY_TEXT		160		/* one decoded key, escaped (strings cut at 64 bytes) */
#define HOLDER_STR_MAX		64		/* string bytes shown per key */
#define HOLDER_RETAIN_SLOTS	256u		/* slots sampled for retained_bytes */

enum holder_kind {
	HOLDER_UNKNOWN = 0,
	HOLDER_GLOBAL,
	HOLDER_STACK,
	HOLDER_HEAP,
};

/* "unknown" | "global" | "stack" | "heap" (JSON values). */
const char *holder__kind_str(enum holder_kind k);

struct holder_info {
	enum holder_kind kind;
	/*
	 * global: the variable ("main.sessions", or "package-level variable
	 * (.bss+0x40)" when stripped); heap: its root, a variable or the
	 * function whose frame holds it; stack: the function.  Bounded:
	 * never a key, never an address (the daemon's holder label).
	 */
	char name[192];
	char path[448];		/* how: "main.reg -> (*main.registry).byID"; "" for stack */
	char function[192];	/* stack, or heap from a frame: the holding frame's function */
	uint64_t goroutine;	/* stack, or heap from a frame; 0 otherwise */
	int depth;		/* heap objects on the path */
	char why[192];		/* unknown: what was searched */
	/* --keys */
	int nkeys;
	char (*keys)[HOLDER_KEY_TEXT];	/* nkeys of them (allocated when keys are asked for) */
	char keys_why[128];	/* keys asked for but none read: why */
	/* retained_bytes */
	bool retained_known;
	bool retained_estimated;	/* scaled from a sample of slots */
	uint64_t retained_bytes;
	uint64_t retained_sampled;	/* full slots read */
};

struct holder_stats {
	uint64_t searches;		/* processes searched */
	uint64_t maps;			/* maps resolved */
	uint64_t bytes_read;		/* process_vm_readv bytes */
	uint64_t ns;			/* wall time spent */
	uint64_t max_search_ns;		/* longest single search */
	uint64_t peak_bytes;		/* most memory held by one search */
	double last_start_unix, last_end_unix;	/* wall clock of the latest search (0: none) */
};

/* --keys N (0: off, the default; capped at HOLDER_MAX_KEYS). */
void holder__set_keys(int n);
int holder__keys(void);
/* The daemon: search only maps judged leak, keys never read. */
void holder__set_daemon(bool on);

/*
 * Search for the maps of tr that need it (see the contract).  final: the
 * session's last report (keys and retained bytes are read once more).
 * mem NULL: process_vm_readv.
 */
void holder__resolve(const struct tracker *tr, bool final, const struct gomap_mem *mem);
/* The result for a map, or NULL when it was not searched (not leak/growing). */
const struct holder_info *holder__get(const struct tmap *m);
const struct holder_stats *holder__stats(void);
/* Forget everything (tests). */
void holder__reset(void);

/*
 * A key's string as the report shows it: at most HOLDER_STR_MAX bytes of
 * s (n long), quoted, non-printable bytes, quote and backslash escaped,
 * "..." when cut.
 */
const char *holder__quote(const uint8_t *s, size_t n, char *buf, size_t len);

#endif /* HOLDER_H */
