/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * tracker: what is known about each Go map and each map site of the traced
 * processes, fed by probe events and by sampling target memory.
 *
 * Contract:
 * - tracker__handle_event() takes decoded ring-buffer records.  A map is
 *   tracked from its first growth (a map that never grows past one bucket
 *   or group cannot leak); its creation, seen earlier, is remembered in a
 *   bounded pending table so the creation site is still known.  Maps on a
 *   goroutine stack are tracked too, under their goroutine and their
 *   distance from the stack's top (stackmaps.h), re-found before every
 *   sample and gone when their goroutine or frame is; their site is their
 *   insert site.
 * - tracker__sample() reads every tracked map with process_vm_readv (free
 *   for the target): its header, checked against the runtime's invariants
 *   (gomap.h), and its structure (B and overflow; the Swiss directory and
 *   tables) whenever it may have changed.  Capacity and bucket memory come
 *   from that structure and keep the values of the last good sample once
 *   the map or its process is gone.  A sample that fails a check, a failed
 *   read, or a new seed with a new bucket array means the map is gone; no
 *   value of that sample is kept.
 * - tracker__tick() closes a judging window when one is due, for every map
 *   and site, and re-judges them.  A site's window counts only maps alive
 *   for the whole window, so short-lived maps never make a site grow.
 * - State is bounded by opts.max_maps (least recently grown evicted first,
 *   in O(1)) and max_pending; evictions are counted.  Stacks are interned.
 *   The struct fields below are read-only for reporters.
 */
#ifndef TRACKER_H
#define TRACKER_H

#include <stdbool.h>
#include <stdint.h>
#include "gomaptrace.h"
#include "gomap.h"
#include "judge.h"
#include "stackmaps.h"
#include "target.h"
#include "tstack.h"
#include "u64map.h"

#define TRACK_WINDOWS 16	/* closed windows kept per map and site (and the --min-windows cap) */
#define TMAP_GROWTH_STACKS 4	/* distinct growth stacks kept per map, for the profiles */

enum tsite_kind {
	TSITE_CREATED = 0,
	TSITE_INSERTED,
};

/* A closed window, stored small (saturating); judge_window is the wide form. */
struct twin {
	int32_t delta;
	uint32_t drop, end;
	uint32_t low;			/* lowest sample after the largest fall */
	uint32_t ms;			/* window length */
	uint8_t sampled;
};

struct tseries {
	uint64_t first, last, max;
	uint64_t first_ns, last_ns;
	/* current window */
	uint64_t win_start;		/* entries when it began */
	uint64_t win_hi, win_drop;	/* highest sample in it so far, largest fall from that */
	uint64_t win_low;		/* lowest sample since that fall (valid when win_drop) */
	uint64_t win_start_ns;
	int win_samples;
	/* closed windows, a ring: windows[(nwin - k) % TRACK_WINDOWS] is k-th newest */
	struct twin windows[TRACK_WINDOWS];
	int nwin;
	enum verdict verdict;
	struct judge_evidence ev;	/* judged_* are the windows the rate rests on */
};

struct tsite;

/*
 * Why a map's creation was not seen (created_seen false).  "Before tracing
 * began" is claimed only when it is the one explanation left: a process
 * attached while running (not started held by us), with no record lost,
 * no creation point shed and no remembered creation evicted since.
 */
enum tunseen {
	TUNSEEN_NONE = 0,	/* the creation was seen */
	TUNSEEN_BEFORE,		/* made before the probes were attached */
	TUNSEEN_STACK,		/* a stack map: made in its frame by compiled code, no runtime call */
	TUNSEEN_LOST,		/* records were lost (ring buffer full) */
	TUNSEEN_SHED,		/* the governor had taken creation points off */
	TUNSEEN_EVICTED,	/* remembered creations were evicted (too many maps not yet grown) */
	TUNSEEN_UNKNOWN,	/* none of the above: a creation path without a probe */
	TUNSEEN_MAX,
};

/* JSON word ("before_tracing", ...) and text ("made before the probes were attached"). */
const char *tunseen__str(enum tunseen why);
const char *tunseen__text(enum tunseen why);

/* Bucket/group bytes allocated under one growth stack. */
struct tgrowth {
	const struct tstack *stack;	/* NULL: unused */
	uint64_t bytes;
	uint32_t grows;
};

struct tmap {
	struct target *tgt;
	uint64_t addr, seed;
	uint64_t buckets;		/* bucket array / directory as last read: survives a clear */
	uint64_t dirlen;		/* swiss directory length as last read */
	uint64_t type;			/* runtime address of the map type; 0 unknown */
	uint64_t bucket_size;		/* type's BucketSize / GroupSize; 0 unknown */
	/*
	 * type is its site's, not read from an event of this map: it was first
	 * seen by a point that carries no type (a large allocation while the
	 * governor had shed growth) and its site's other maps named it.
	 */
	bool type_from_site;
	bool created_seen;
	bool gone;
	bool whole_window;		/* alive since the current window began */
	bool bloated;			/* from the last good sample */
	bool shape_dirty;		/* grew since the structure was last read */
	const struct tstack *create_stack, *grow_stack;	/* interned, never NULL */
	struct tsite *site;		/* creation site if seen, else insert site */
	struct tloc created_at, insert_at;
	struct tseries s;
	/* from the map's structure at the last good sample (kept once gone) */
	uint64_t capacity;		/* slots; 0 unknown */
	uint64_t bucket_bytes;		/* buckets / groups, tables, directory held */
	uint32_t tables;		/* swiss: distinct tables */
	uint64_t shape_ns;		/* when read; 0 never */
	/* from growth events */
	uint64_t grown_bytes;		/* allocated by the growth seen in this session */
	uint32_t grows;
	uint64_t last_grow_ns;
	struct tgrowth growth[TMAP_GROWTH_STACKS];
	struct tmap *lru_prev, *lru_next;	/* eviction order: least recently grown first */
	/* maps on a goroutine stack (stackmaps.h) */
	uint64_t key;			/* key in the process's map table: addr, or stack key */
	bool on_stack;
	struct tstackid stk;		/* on_stack: goroutine and holding frame */
	struct tloc holder;		/* on_stack: function whose frame holds it */
	enum tunseen unseen;		/* !created_seen: why */
	/*
	 * sync.Map of Go >= 1.24 (synctrie.h): a hash trie, not a runtime
	 * map.  addr is the sync.Map, type TMAP_TYPE_SYNCTRIE, entries from
	 * walking the trie, bucket_bytes its indirect nodes and entries,
	 * capacity 0 (a trie has no slots), buckets its root node.
	 */
	bool trie;
	bool count_estimated;		/* trie: the last count was extrapolated (synctrie.h) */
	uint64_t trie_nodes;		/* trie: nodes the last walk read */
	uint64_t trie_next_ns;		/* trie: the next walk is not due before this */
};

/*
 * tmap.type and tsite.type of a sync.Map of Go >= 1.24: no address (the
 * trie's dictionary names only interface {} twice); reporters print
 * SYNCTRIE_TYPE_NAME for it.
 */
#define TMAP_TYPE_SYNCTRIE 1ULL
/* Nodes a trie walk may read per second of sampling: larger tries are walked less often. */
#define TRACK_TRIE_NODES_PER_SEC 16384u
/* ... but at least this often, and at least twice a window. */
#define TRACK_TRIE_MAX_INTERVAL_NS (8ULL * 1000000000ULL)

struct tsite {
	struct target *tgt;
	enum tsite_kind kind;
	struct tloc loc;
	uint64_t type;
	uint32_t maps;			/* live tracked maps attributed here */
	struct tseries s;		/* sum of entries of live maps */
	int64_t win_delta;		/* sum of whole-window map deltas */
	/*
	 * Only stack maps so far: their lives are known exactly (gone with
	 * their goroutine's frame), unlike heap maps', whose end is seen late,
	 * so the site is judged on the sampled sum of its live maps, and a
	 * goroutine leak is a site leak of its stack maps.
	 */
	bool stack_only;
	bool joined;			/* a map was ever attributed here */
	uint64_t win_drop;		/* sum of their falls */
	uint64_t win_low;		/* sum of their lows after those falls */
	bool win_any;
	uint64_t bucket_bytes;		/* allocated by growth, also of maps now gone */
	uint64_t exact_bucket_bytes;	/* --exact: mallocgc of bucket/group types */
	uint32_t grows;
	const struct tstack *stack;	/* a representative stack (interned) */
};

struct tracker_stats {
	uint64_t events, creations, growths, on_stack, assigns, allocs;
	uint64_t unknown_target;	/* events from pids not (or no longer) traced */
	uint64_t maps_tracked;		/* ever: alive + gone + evicted */
	uint64_t evicted_maps, evicted_pending, gone_maps;
	uint64_t read_failures;		/* gone because the header could not be read */
	uint64_t rejected;		/* gone because a sample broke a map invariant */
	uint64_t reused;		/* gone because another map took the address */
	uint64_t unstable;		/* structure reads skipped: changing while read */
	uint64_t shape_deferred;	/* structure re-reads put off to bound a sample's cost */
	/* sync.Map tries (synctrie.h) */
	uint64_t trie_walks;		/* walks made */
	uint64_t trie_nodes;		/* nodes they read */
	uint64_t trie_estimated;	/* walks whose count was extrapolated (bound reached or nodes skipped) */
	uint64_t trie_skipped_nodes;	/* nodes that failed a check or a read during a walk */
	uint64_t trie_deferred;		/* samples a large trie sat out (walked less often) */
};

struct tracker_opts {
	size_t sz;
	/*
	 * Judging windows: window_ns long; with window_max_ns set, they start
	 * at window_ns and widen to a quarter of the session so far, up to
	 * window_max_ns (a first verdict comes soon, later ones rest on
	 * longer spans).
	 */
	uint64_t window_ns;
	uint64_t window_max_ns;
	struct judge_opts judge;
	size_t max_maps;		/* tracked maps over all targets; 0: GM_MAX_MAPS (cliutil.h) */
	size_t max_pending;		/* remembered creations not yet grown */
	size_t max_sites;
	/*
	 * Attribute every map to its insert site, even when its creation was
	 * seen (the daemon): whether a creation is seen depends on timing (a
	 * process's package-level maps are made within milliseconds of exec,
	 * before a new binary is attached; creation points may be shed), and a
	 * site that changed with it would split one leak into two series.
	 */
	bool site_by_insert;
	/* --exact: a new map type was learned (to watch its bucket type) */
	void (*on_type)(struct target *tgt, uint64_t type, void *ctx);
	void *ctx;
	/* reads of target memory; NULL: process_vm_readv */
	const struct gomap_mem *mem;
	/* nodes one sync.Map trie walk may read; 0: SYNCTRIE_MAX_NODES */
	uint32_t trie_max_nodes;
};

struct tracker;

struct tracker *tracker__new(const struct tracker_opts *opts);
void tracker__free(struct tracker *tr);

int tracker__add_target(struct tracker *tr, struct target *tgt);
/* Drop every map and site of a process (the daemon, when it exited). */
void tracker__remove_target(struct tracker *tr, pid_t pid);
struct target *tracker__target(const struct tracker *tr, pid_t pid);

void tracker__handle_event(struct tracker *tr, const struct gm_event *e);
/* Is the map at this address of this process being tracked? */
bool tracker__tracks(const struct tracker *tr, pid_t pid, uint64_t map);
void tracker__sample(struct tracker *tr, uint64_t now_ns);
/* Close the window if due; returns true when one was closed. */
bool tracker__tick(struct tracker *tr, uint64_t now_ns);
/* The process exited: stop sampling and judging it; verdicts stay as they were. */
void tracker__target_exited(struct tracker *tr, pid_t pid);
/* Read the structure of every live map now, then flag bloat (report time). */
void tracker__measure_capacity(struct tracker *tr);
/* Length of the window now open (widening windows: it changes). */
uint64_t tracker__window_ns(const struct tracker *tr);
/* Maps tracked now (alive) and gone maps kept for the report. */
size_t tracker__alive_maps(const struct tracker *tr);
/* The creation stack when seen, else the latest growth stack. */
const struct tstack *tmap__stack(const struct tmap *m);
/*
 * Growth slot i of a map as a heap-profile sample: its stack (NULL: slot
 * unused), the bytes allocated under it, and its share of the bucket memory
 * and entries the map holds now (split by allocated bytes; the last slot
 * takes the rounding).  A map with no growth slot in use gets slot 0 at
 * its latest growth stack with everything.
 */
const struct tstack *tmap__growth_sample(const struct tmap *m, int i, uint64_t *alloc,
					 uint64_t *grows, uint64_t *inuse, uint64_t *entries);

/* Snapshots for reporters, sorted by verdict rank then entries; caller frees. */
size_t tracker__maps(const struct tracker *tr, struct tmap ***out);
size_t tracker__sites(const struct tracker *tr, struct tsite ***out);
const struct tracker_stats *tracker__stats(const struct tracker *tr);
uint64_t tracker__windows_closed(const struct tracker *tr);

/*
 * Creations of process pid (0: every process) may go unseen from now on,
 * for this reason (TUNSEEN_LOST, TUNSEEN_SHED): maps first seen later say
 * so instead of "before tracing began".
 */
void tracker__creations_missed(struct tracker *tr, pid_t pid, enum tunseen why);
/* The BPF side's lost-record count as it stands; an increase marks every process TUNSEEN_LOST. */
void tracker__note_lost(struct tracker *tr, uint64_t lost);

/* Innermost frame of a stack outside the Go runtime; false if none. */
bool tracker__user_frame(struct target *tgt, const struct tstack *st, struct tloc *loc);

#endif /* TRACKER_H */
