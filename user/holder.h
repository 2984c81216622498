/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * holder: who holds a leaking map, and what it holds (issue 13).
 *
 *   held_by         what keeps the map alive: a package-level variable
 *                   (named from .symtab, or "package-level variable" with
 *                   section and offset when stripped), a field of a heap
 *                   object a package-level variable points to (one level:
 *                   `main.reg -> (*main.registry).byName`), a value slot of
 *                   another tracked map (`main.tenants["t-3"]`), or a
 *                   goroutine's frame (stack maps, known from the probes).
 *   sample_keys     --keys N: N keys read from the map's buckets/groups and
 *                   decoded by the key type (trace only, never the daemon).
 *   retained_bytes  bucket/group memory plus the heap objects the keys and
 *                   values point to (one level), sampled and scaled.
 *
 * Contract: holder__resolve() is called by reporters at report time.  It
 * searches only for maps judged leak or growing (the daemon: leak only),
 * each once (the final report refreshes keys and retained bytes once more),
 * and keeps the results keyed by (pid, map address, seed), outside the
 * tracker.  Every read is process_vm_readv (a struct gomap_mem): the target
 * is never stopped nor written.  Each search is bounded (HOLDER_MAX_*
 * below) and its cost, bytes read and time, is counted in
 * holder__stats() for the overhead line.
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
#define HOLDER_MAX_DATA_BYTES	(64u << 20)	/* .data + .bss read */
#define HOLDER_MAX_HEAP_PTRS	65536u		/* heap objects probed one level deep */
#define HOLDER_OBJ_WINDOW	256u		/* bytes read at each such object */
#define HOLDER_MAX_TYPES_BYTES	(32u << 20)	/* type descriptors read to name a field */
#define HOLDER_MAX_SLOT_BYTES	(64u << 20)	/* other maps' groups scanned for map-in-map */
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
	 * global: the variable ("main.sessions", or "package-level variable"
	 * when stripped); heap: the root variable; stack: the function.
	 * Bounded: never a key, never an address (the daemon's holder label).
	 */
	char name[192];
	char path[448];		/* how: "main.reg -> (*main.registry).byName"; "" for stack */
	char function[192];	/* stack: the holding frame's function */
	uint64_t goroutine;	/* stack */
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

/* ---- pure parts, exposed for the unit tests ---- */

/*
 * A key's string as the report shows it: at most HOLDER_STR_MAX bytes of
 * s (n long), quoted, non-printable bytes, quote and backslash escaped,
 * "..." when cut.
 */
const char *holder__quote(const uint8_t *s, size_t n, char *buf, size_t len);
/* Name of the .symtab object symbol holding link-time address vaddr, and the offset in it. */
bool holder__symbol_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len,
		       uint64_t *off);
/* "package-level variable (.bss+0x40)" for a stripped binary. */
void holder__section_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len);
/*
 * Words equal to a wanted value in a block of memory read from base:
 * cb(addr_of_word, value) for each hit.  Wanted values sit in a u64map.
 */
size_t holder__scan(const uint8_t *buf, size_t len, uint64_t base, const struct u64map *want,
		    void (*cb)(uint64_t at, uint64_t val, void *ctx), void *ctx);

#endif /* HOLDER_H */
