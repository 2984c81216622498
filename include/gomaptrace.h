/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records and tables shared by the BPF programs and userspace.
 *
 * One BPF object serves binaries of different Go versions at once: every
 * uprobe carries a BPF cookie naming a `struct gm_probe_spec` (which binary,
 * which function, where its arguments are), and each binary has a
 * `struct gm_layout` describing its map header and type layout.  Userspace
 * fills both from the probe plan before attaching.
 *
 * Only fixed-size integer types: this header is included by clang -target
 * bpf (with vmlinux.h) and by the C11 userspace (with linux/types.h).
 */
#ifndef GOMAPTRACE_H
#define GOMAPTRACE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define GM_MAX_BINARIES		64
#define GM_MAX_PROBES		1024	/* attachment points across all binaries */
#define GM_MAX_STACK_DEPTH	32

enum gm_map_impl {
	GM_MAP_CLASSIC = 1,	/* hmap + buckets: Go 1.17-1.23, 1.24/1.25 noswissmap */
	GM_MAP_SWISS = 2,	/* maps.Map + tables: Go 1.24+ */
};

/* What a probe point means; one per (function, placement). */
enum gm_probe_kind {
	GM_PROBE_MAKEMAP_RET = 1,	/* RET of a creating function: map pointer in RAX */
	GM_PROBE_NEWMAP_RET,		/* RET of maps.NewMap (swiss): map pointer in RAX */
	GM_PROBE_HASHGROW,		/* classic grow start (post-prologue) */
	GM_PROBE_NEWOVERFLOW,		/* classic overflow bucket */
	GM_PROBE_GROW_TO_SMALL,		/* swiss: first group */
	GM_PROBE_GROW_TO_TABLE,		/* swiss: small -> table */
	GM_PROBE_TABLE_GROW,		/* swiss: (*table).grow */
	GM_PROBE_TABLE_SPLIT,		/* swiss: (*table).split */
	GM_PROBE_MAPASSIGN,		/* --exact: every insert, rate-limited in BPF */
	GM_PROBE_GROWWORK,		/* --exact */
	GM_PROBE_MALLOCGC,		/* --exact: bucket/group allocations */
	/*
	 * classic: a bucket array over the large-object size (32 KiB, maps of
	 * roughly a thousand entries and up) allocated under hashGrow.  Fires
	 * for big maps only, so the governor can shed hashGrow and still see
	 * them grow; the event reads as a GM_PROBE_HASHGROW one.
	 */
	GM_PROBE_LARGE_GROW,
	/*
	 * sync.Map of Go >= 1.24 (internal/sync.HashTrieMap[any, any], a hash
	 * trie, no runtime map): map_reg holds the trie (the receiver, RAX).
	 * TRIE_INIT: (*HashTrieMap).initSlow, once per trie, at its first use
	 * (its creation, as far as a trace can tell).  TRIE_EXPAND:
	 * (*HashTrieMap).expand, an insert that meets an existing entry and
	 * adds one or more indirect nodes (the trie's growth; arg = the
	 * parent's hashShift).  Neither reads the trie: its entries are
	 * counted in userspace by walking it (user/synctrie.h).
	 */
	GM_PROBE_TRIE_INIT,
	GM_PROBE_TRIE_EXPAND,
	GM_PROBE_KIND_MAX,
};

/*
 * Records that no uprobe made, in the same ring and the same kind field
 * (numbered apart from every gm_probe_kind): process lifecycle from
 * tracepoints, and the budget alarm.
 */
enum gm_event_kind {
	GM_EVENT_EXEC = 100,		/* a process exec'd: tgid, comm */
	GM_EVENT_EXIT,			/* a process (thread group leader) exited */
	GM_EVENT_OVER_BUDGET,		/* a process hit probes alarm_hits times within one
					 * alarm window: arg = hits, arg2 = ns since the
					 * window opened */
};

/* x86-64 Go ABIInternal integer argument registers, in order. */
enum gm_reg {
	GM_REG_RAX = 0, GM_REG_RBX, GM_REG_RCX, GM_REG_RDI, GM_REG_RSI,
	GM_REG_R8, GM_REG_R9, GM_REG_R10, GM_REG_R11, GM_REG_NONE = 0xff,
};

/* Per binary: offsets of the fields the probes read.  0xffff = absent. */
struct gm_layout {
	__u32 impl;			/* enum gm_map_impl */
	__u16 map_count_off;		/* hmap.count / Map.used (both 0) */
	__u16 map_count_size;		/* 8 (int / uint64) */
	__u16 map_seed_off;		/* hmap.hash0 (12, u32) / Map.seed (8, uintptr) */
	__u16 map_seed_size;
	__u16 map_B_off;		/* classic hmap.B (u8) */
	__u16 map_buckets_off;		/* classic hmap.buckets / swiss Map.dirPtr */
	__u16 map_dirlen_off;		/* swiss Map.dirLen */
	__u16 type_bucket_off;		/* maptype.Bucket / Group type pointer */
	__u16 type_bucketsize_off;	/* maptype.BucketSize (u16) / GroupSize (uintptr) */
	__u16 type_bucketsize_size;	/* 2 or 8 */
	__u16 table_capacity_off;	/* swiss table.capacity (u16) */
	__u16 table_used_off;		/* swiss table.used (u16) */
	__u16 g_stack_lo_off;		/* g.stack.lo: 0 */
	__u16 g_stack_hi_off;		/* g.stack.hi: 8 */
	__u16 map_extra_off;		/* classic hmap.extra (40; 48 in 1.24 noswissmap) */
	__u16 extra_nextoverflow_off;	/* classic mapextra.nextOverflow (16) */
	__u16 table_capacity_size;	/* 2 */
	/*
	 * Classic maps, large-growth point (runtime.(*mcache).allocLarge):
	 * hashGrow's code range and where it keeps h relative to its frame
	 * pointer; the link-time address of the probe turns run-time return
	 * addresses into link-time ones (PIE).  The map type is not kept
	 * anywhere findable on that path: those events carry none.
	 */
	__s16 grow_map_slot;		/* hashGrow: h; GM_SLOT_ABSENT = no such point */
	/*
	 * g.goid; g.atomicstatus is the u32 8 bytes before it on every release
	 * (runtime/runtime2.go).  Identifies the goroutine of a stack map.
	 */
	__u16 g_goid_off;
	__u32 _pad;
	__u64 grow_lo, grow_hi;		/* runtime.hashGrow [entry, end), link-time */
	__u64 large_probe_vaddr;	/* link-time address of the allocLarge probe */
};

#define GM_OFF_ABSENT 0xffff
#define GM_SLOT_ABSENT (-1)
/* hashGrow is at most this many frames above allocLarge (mallocgc[Large], newarray, makeBucketArray) */
#define GM_LARGE_GROW_HOPS 6

/* Indexed by the BPF cookie of an attachment. */
struct gm_probe_spec {
	__u32 binary_idx;	/* index into the layouts map */
	__u8 kind;		/* enum gm_probe_kind */
	__u8 map_reg;		/* enum gm_reg holding the map (or table) pointer */
	__u8 type_reg;		/* enum gm_reg holding the map type, or GM_REG_NONE */
	__u8 aux_reg;		/* kind-specific (swiss: table's map; mallocgc: size) */
	__u8 placement;		/* enum gm_placement */
	__u8 _pad[3];
};

/* Event flags. */
#define GM_EV_ON_STACK		(1u << 0)	/* map header lies on the goroutine's stack */
#define GM_EV_FRAME_READ_FAIL	(1u << 1)	/* stack walk stopped on a failed read */
#define GM_EV_READ_FAIL		(1u << 2)	/* a map/type field could not be read */

#define GM_HOLDER_UNKNOWN	0xffff	/* gm_event.holder: no frame found */

/* Where a probe sits: decides how the first caller is found. */
enum gm_placement {
	GM_AT_POST_PROLOGUE = 0,	/* frame set up: walk from RBP */
	GM_AT_RET = 1,			/* frame torn down: caller at *(SP), then RBP chain */
	GM_AT_ENTRY = 2,		/* no frame yet: same as RET */
};

/* One record through the ring buffer; fixed size, frames[0..nr_frames). */
struct gm_event {
	__u64 ts_ns;			/* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u32 tgid;
	__u32 tid;
	__u32 spec_idx;			/* which attachment fired (cookie) */
	__u8 kind;			/* enum gm_probe_kind, or enum gm_event_kind */
	__u8 flags;			/* GM_EV_* */
	__u16 nr_frames;
	__u64 map;			/* map header address (classic hmap, swiss Map) */
	__u64 type;			/* map type descriptor, 0 when unknown at this probe */
	__u64 entries;			/* count/used at the probe */
	__u64 seed;			/* hash0 / seed: a changed value means a new map at this address */
	__u64 bucket_size;		/* type's BucketSize / GroupSize, 0 when no type */
	__u64 arg;			/* kind-specific: classic B; swiss new capacity; size for mallocgc */
	__u64 arg2;			/* kind-specific: classic flags / nextOverflow; swiss dirLen */
	/*
	 * GM_EV_ON_STACK only (else 0): the goroutine and where in its stack
	 * the map header lies.  Go copies a stack whole and keeps every
	 * address's distance from stack.hi, so (goid, stack_off) names the
	 * map across copies; userspace re-finds it from the g's current
	 * stack.hi.  frames[holder] is a pc in the function whose frame holds
	 * the header; that frame's return-address slot lies holder_ret_off
	 * below stack.hi and holds frames[holder + 1] while the frame lives.
	 */
	__u64 g;			/* runtime.g (R14) */
	__u64 goid;
	__u32 stack_off;		/* g.stack.hi - map */
	__u32 holder_ret_off;		/* 0: unknown */
	__u16 holder;			/* GM_HOLDER_UNKNOWN: not found within the walked frames */
	__u16 _pad2[3];
	__u64 frames[GM_MAX_STACK_DEPTH];	/* return addresses, innermost first */
};

/*
 * Per-process hit accounting (proc_hits values).  The window lets the BPF
 * side raise GM_EVENT_OVER_BUDGET within milliseconds of a process going
 * hot, so the governor sheds before a once-a-second tick would notice.
 *
 * Start allowance: a process's first GM_ALARM_START_NS after its first hit
 * may spend start_credit more hits (a one-time credit, so the long-run
 * budget holds) before a full window raises the alarm: the burst of map
 * creations at a program's start (package init, config loading) is seen
 * whole instead of shed at once.  The credit is GM_ALARM_START(alarm) windows'
 * worth of hits, set by userspace; 0: none (the daemon's default).
 */
struct gm_proc_hits {
	__u64 hits;		/* every probe hit of this process */
	__u64 window_start_ns;	/* when the current alarm window opened */
	__u32 window_hits;	/* hits since then */
	__u32 start_credit;	/* hits of the start allowance left */
	__u64 first_ns;		/* first hit: the allowance lasts GM_ALARM_START_NS */
};

/*
 * The BPF global alarm_hits (attacher__set_alarm) carries two values: the
 * hits per GM_ALARM_WINDOW_NS that make a process over budget (low 24 bits,
 * 0 = no alarm) and the start allowance in units of GM_ALARM_START_UNIT
 * windows (high 8 bits).
 */
#define GM_ALARM_HITS_MASK	0xffffffu
#define GM_ALARM_START_SHIFT	24
#define GM_ALARM_START_UNIT	8
#define GM_ALARM_HITS(v)	((v) & GM_ALARM_HITS_MASK)
#define GM_ALARM_START(v)	(((v) >> GM_ALARM_START_SHIFT) * GM_ALARM_START_UNIT)
#define GM_ALARM_START_NS	10000000000ULL	/* the allowance's lifetime: 10 s */

#define GM_ALARM_WINDOW_NS	100000000ULL	/* 100 ms */

/*
 * Per-CPU counters, indexed by enum gm_counter, and who reads each: LOST,
 * gomaptrace_events_lost_total and trace's events.lost; FILTERED, trace's
 * events.probe_hits_untraced; NO_SPEC, FILTERED, RATE_LIMITED and
 * LARGE_NOT_MAP, the daemon's gomaptrace_probe_hits_dropped_total{reason};
 * STACK_NO_G, gomaptrace_stack_map_goroutine_unread_total.  (Records
 * submitted are counted where they are read: session.c.)
 */
enum gm_counter {
	GM_CNT_LOST = 0,	/* ring buffer full: record dropped */
	GM_CNT_NO_SPEC,		/* cookie named no spec (attach bug) */
	GM_CNT_FILTERED,	/* hit from a process not being traced */
	GM_CNT_RATE_LIMITED,	/* exact mode: mapassign below threshold */
	GM_CNT_LARGE_NOT_MAP,	/* a large allocation not made by hashGrow */
	GM_CNT_STACK_NO_G,	/* a stack map whose goroutine could not be read */
	GM_CNT_MAX,
};

/*
 * --exact: key of the BPF hash of bucket/group type descriptors worth
 * counting in mallocgc, filled by userspace (attach.c) per process.
 */
struct gm_alloc_key {
	__u32 tgid;
	__u32 _pad;
	__u64 type;		/* runtime address of the bucket/group type */
};

/* The record's size is ABI between the BPF object and userspace: change it knowingly. */
_Static_assert(sizeof(struct gm_event) == 112 + 8 * GM_MAX_STACK_DEPTH, "gm_event size");
/* the BPF stack walk indexes frames[n & (GM_MAX_STACK_DEPTH - 1)] for the verifier */
_Static_assert(GM_MAX_STACK_DEPTH > 0 && (GM_MAX_STACK_DEPTH & (GM_MAX_STACK_DEPTH - 1)) == 0,
	       "GM_MAX_STACK_DEPTH must be a power of two");
_Static_assert((int)GM_PROBE_KIND_MAX <= (int)GM_EVENT_EXEC, "probe and event kinds overlap");
_Static_assert(sizeof(struct gm_layout) == 72, "gm_layout size");
_Static_assert(sizeof(struct gm_probe_spec) == 12, "gm_probe_spec size");
_Static_assert(sizeof(struct gm_alloc_key) == 16, "gm_alloc_key size");

#endif /* GOMAPTRACE_H */
