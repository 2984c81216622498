// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probes on the Go runtime's map functions.  One program, attached at many
 * points of many binaries: the BPF cookie of each attachment indexes
 * probe_specs, which says what the point means and where its arguments are,
 * and the spec's binary indexes layouts, which says how that binary's map
 * header and type are laid out.  Nothing here writes to the target.
 *
 * Stacks are walked by frame pointer here rather than with bpf_get_stackid:
 * at a RET (and at entry) RBP already belongs to the caller, so the kernel's
 * walker would skip the function that called makemap, which is exactly the
 * frame the report needs.  Reading *(SP) first recovers it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "gomaptrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Only events from tgids in target_pids (trace -p); the daemon takes all. */
const volatile bool filter_pids = false;
/* --exact: a mapassign event only when entries grew by this much (or 1/8). */
const volatile __u64 exact_min_step = 64;
/*
 * Hits within one GM_ALARM_WINDOW_NS that make a process over budget (low
 * 24 bits; 0 = no alarms) and the start allowance (high 8 bits):
 * GM_ALARM_HITS() and GM_ALARM_START() in gomaptrace.h.  Writable after
 * load: the governor sets it once the cost of a hit is measured.
 */
__u32 alarm_hits = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GM_MAX_PROBES);
	__type(key, __u32);
	__type(value, struct gm_probe_spec);
} probe_specs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GM_MAX_BINARIES);
	__type(key, __u32);
	__type(value, struct gm_layout);
} layouts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} target_pids SEC(".maps");

/* --exact: last entry count reported per map, for rate limiting. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} assign_reported SEC(".maps");

/* --exact: bucket/group type descriptors worth counting in mallocgc. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct gm_alloc_key);
	__type(value, __u8);
} bucket_types SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

/*
 * Over-budget alarms only: a burst that fills the events ring is exactly
 * when an alarm must still get through.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 16);
} alarms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GM_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Hits per attachment: what the governor and the metrics read. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GM_MAX_PROBES);
	__type(key, __u32);
	__type(value, __u64);
} probe_hits SEC(".maps");

/* Hits per process: what the governor turns into an overhead estimate. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct gm_proc_hits);
} proc_hits SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

/*
 * Copy the argument registers first and hide them from the optimizer, so
 * the choice below is a plain branch on values and never a computed offset
 * into pt_regs, which the verifier refuses.
 */
struct gm_regs {
	__u64 r[9];
};

static __always_inline void load_regs(struct pt_regs *ctx, struct gm_regs *g)
{
	__u64 ax = ctx->ax, bx = ctx->bx, cx = ctx->cx, di = ctx->di, si = ctx->si;
	__u64 r8 = ctx->r8, r9 = ctx->r9, r10 = ctx->r10, r11 = ctx->r11;

	barrier_var(ax);
	barrier_var(bx);
	barrier_var(cx);
	barrier_var(di);
	barrier_var(si);
	barrier_var(r8);
	barrier_var(r9);
	barrier_var(r10);
	barrier_var(r11);
	g->r[0] = ax; g->r[1] = bx; g->r[2] = cx; g->r[3] = di; g->r[4] = si;
	g->r[5] = r8; g->r[6] = r9; g->r[7] = r10; g->r[8] = r11;
}

static __always_inline __u64 reg(const struct gm_regs *g, __u8 idx)
{
	if (idx >= 9)
		return 0;
	return g->r[idx];
}

static __always_inline __u64 read_user_sized(__u64 addr, __u16 off, __u16 size, bool *ok)
{
	__u64 v = 0;

	if (off == GM_OFF_ABSENT || !addr)
		return 0;
	if (size == 1) {
		__u8 b;
		if (bpf_probe_read_user(&b, 1, (void *)(addr + off))) { *ok = false; return 0; }
		v = b;
	} else if (size == 2) {
		__u16 h;
		if (bpf_probe_read_user(&h, 2, (void *)(addr + off))) { *ok = false; return 0; }
		v = h;
	} else if (size == 4) {
		__u32 w;
		if (bpf_probe_read_user(&w, 4, (void *)(addr + off))) { *ok = false; return 0; }
		v = w;
	} else {
		if (bpf_probe_read_user(&v, 8, (void *)(addr + off))) { *ok = false; return 0; }
	}
	return v;
}

/* Frame records from bp upward into frames[n..]; returns the new count. */
static __always_inline __u32 walk_frames(__u64 bp, __u32 n, struct gm_event *e)
{
	struct { __u64 next_bp, ret; } frame;

	for (int i = 0; i < GM_MAX_STACK_DEPTH; i++) {
		if (n >= GM_MAX_STACK_DEPTH || !bp)
			break;
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)bp)) {
			e->flags |= GM_EV_FRAME_READ_FAIL;
			break;
		}
		if (!frame.ret)
			break;
		e->frames[n & (GM_MAX_STACK_DEPTH - 1)] = frame.ret;
		n++;
		/* Stacks grow down: a caller's frame is always above. */
		if (frame.next_bp <= bp)
			break;
		bp = frame.next_bp;
	}
	return n;
}

/*
 * A stack map: which frame holds it.  A caller's locals lie between its
 * callee's frame record and its own, so the holder is the function whose
 * frame pointer is the first one above the header.  A second pass over the
 * chain (stack maps are rare) keeps the walk above simple for the verifier.
 * bp is the frame pointer of the function of frames[n - 1].
 */
static __always_inline void find_holder(__u64 bp, __u32 n, struct gm_event *e, __u64 hi)
{
	struct { __u64 next_bp, ret; } frame;
	__u64 map = e->map;

	for (int i = 0; i < GM_MAX_STACK_DEPTH; i++) {
		if (n >= GM_MAX_STACK_DEPTH || !bp || bp >= hi)
			return;
		if (bpf_probe_read_user(&frame, sizeof(frame), (void *)bp))
			return;
		if (frame.next_bp <= bp)
			return;
		if (map > bp && map < frame.next_bp) {
			if (frame.next_bp + 8 < hi) {
				e->holder = n;
				e->holder_ret_off = (__u32)(hi - (frame.next_bp + 8));
			}
			return;
		}
		n++;
		bp = frame.next_bp;
	}
}

static __always_inline void walk_stack(struct pt_regs *ctx, __u8 placement, struct gm_event *e)
{
	__u64 ret = 0;
	__u32 n = 1;

	e->frames[0] = ctx->ip;
	if (placement != GM_AT_POST_PROLOGUE) {
		if (bpf_probe_read_user(&ret, sizeof(ret), (void *)ctx->sp) == 0 && ret) {
			e->frames[1] = ret;
			n = 2;
		}
	}
	e->nr_frames = walk_frames(ctx->bp, n, e);
}

/*
 * At allocLarge: is hashGrow up the frame chain?  The probe's run-time
 * address minus its link-time one is the load bias, so return addresses
 * compare with hashGrow's link-time range in PIE binaries too.  On success
 * *grow_bp is hashGrow's frame and *grow_pc the return address into it.
 */
static __always_inline bool find_grow_frame(struct pt_regs *ctx, const struct gm_layout *lay,
					    __u64 *grow_bp, __u64 *grow_pc)
{
	struct { __u64 next_bp, ret; } frame;
	__u64 bias = ctx->ip - lay->large_probe_vaddr, bp = ctx->bp;

	for (int i = 0; i < GM_LARGE_GROW_HOPS; i++) {
		if (!bp || bpf_probe_read_user(&frame, sizeof(frame), (void *)bp))
			return false;
		if (frame.ret - bias >= lay->grow_lo && frame.ret - bias < lay->grow_hi) {
			*grow_bp = frame.next_bp;
			*grow_pc = frame.ret;
			return frame.next_bp > bp;
		}
		if (frame.next_bp <= bp)
			return false;
		bp = frame.next_bp;
	}
	return false;
}

/* exact mode: emit only when entries crossed the map's next threshold. */
static __always_inline bool assign_due(__u64 map, __u64 entries)
{
	__u64 *last = bpf_map_lookup_elem(&assign_reported, &map);
	__u64 step;

	/* small maps never report: per-request maps would flood the ring */
	if (!last) {
		if (entries < exact_min_step)
			return false;
	} else {
		step = *last / 8;
		if (step < exact_min_step)
			step = exact_min_step;
		if (entries < *last + step && entries >= *last)
			return false;
	}
	bpf_map_update_elem(&assign_reported, &map, &entries, BPF_ANY);
	return true;
}

/*
 * The alarm: the hit that brings a process's count in the current window to
 * its budget raises one event; the window restarts once GM_ALARM_WINDOW_NS
 * has passed.  Within GM_ALARM_START_NS of the process's first hit a full
 * window is paid from its start credit instead, while the credit lasts (a
 * start-up burst is traced whole; the credit never comes back).  Threads
 * race on the window fields; an alarm more or less in a hot process does
 * not matter.
 */
static __always_inline void check_budget(struct gm_proc_hits *ph, __u32 tgid, __u32 budget)
{
	__u64 now = bpf_ktime_get_ns(), start = ph->window_start_ns;
	struct gm_event *e;

	if (now - start >= GM_ALARM_WINDOW_NS) {
		ph->window_start_ns = now;
		ph->window_hits = 0;
		start = now;
	}
	if (++ph->window_hits != budget)
		return;
	if (ph->start_credit >= budget && now - ph->first_ns < GM_ALARM_START_NS) {
		ph->start_credit -= budget;
		ph->window_hits = 0;
		return;
	}
	e = bpf_ringbuf_reserve(&alarms, sizeof(*e), 0);
	if (!e) {
		count(GM_CNT_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = now;
	e->tgid = tgid;
	e->kind = GM_EVENT_OVER_BUDGET;
	e->arg = budget;
	e->arg2 = now - start;
	bpf_ringbuf_submit(e, 0);
}

/*
 * What one hit knows as on_probe's steps go: the point (spec), the binary's
 * layout, the argument registers and what they said.
 */
struct hit {
	const struct gm_probe_spec *spec;
	const struct gm_layout *lay;
	struct gm_regs regs;
	__u64 map;		/* map_reg (the table for table probes, the size for mallocgc) */
	__u64 type;		/* type_reg, 0 when the point has none */
	__u64 grow_bp;		/* large_grow: hashGrow's frame ... */
	__u64 grow_pc;		/* ... and the return address into it */
	__u64 stack_hi;		/* a stack map: its goroutine's stack top */
};

/*
 * Every hit counts, whatever it turns into: per attachment for the metrics
 * and per process for the governor (which may raise an alarm here).
 */
static __always_inline void account_hit(__u32 spec_idx, __u32 tgid)
{
	__u32 alarm = alarm_hits;
	struct gm_proc_hits *ph;
	__u64 *hits;

	hits = bpf_map_lookup_elem(&probe_hits, &spec_idx);
	if (hits)
		*hits += 1;
	ph = bpf_map_lookup_elem(&proc_hits, &tgid);
	if (ph) {
		__sync_fetch_and_add(&ph->hits, 1);
		if (GM_ALARM_HITS(alarm))
			check_budget(ph, tgid, GM_ALARM_HITS(alarm));
	} else {
		__u64 now = bpf_ktime_get_ns(), credit;
		struct gm_proc_hits first = { .hits = 1, .window_start_ns = now, .window_hits = 1,
					      .first_ns = now };

		credit = (__u64)GM_ALARM_HITS(alarm) * GM_ALARM_START(alarm);
		first.start_credit = credit > 0xffffffffULL ? 0xffffffffU : (__u32)credit;
		bpf_map_update_elem(&proc_hits, &tgid, &first, BPF_NOEXIST);
	}
}

/* mallocgc: only allocations of a tracked bucket/group type are events. */
static __always_inline bool alloc_wanted(const struct hit *h, __u32 tgid)
{
	struct gm_alloc_key key = { .tgid = tgid, .type = h->type };

	return bpf_map_lookup_elem(&bucket_types, &key) != NULL;
}

/* allocLarge: an event only inside hashGrow, whose frame yields the map. */
static __always_inline bool large_grow_map(struct pt_regs *ctx, struct hit *h)
{
	const struct gm_layout *lay = h->lay;
	bool ok = true;

	if (lay->grow_map_slot == GM_SLOT_ABSENT || !find_grow_frame(ctx, lay, &h->grow_bp, &h->grow_pc))
		return false;
	h->map = read_user_sized(h->grow_bp + (__s64)lay->grow_map_slot, 0, 8, &ok);
	return ok && h->map;
}

/* mapassign/growWork (exact mode): an event when the count crossed a step. */
static __always_inline bool assign_wanted(const struct hit *h)
{
	bool ok = true;
	__u64 n = read_user_sized(h->map, h->lay->map_count_off, h->lay->map_count_size, &ok);

	return ok && assign_due(h->map, n);
}

/* The kinds that are not an event at every hit decide here, before a record is reserved. */
static __always_inline bool worth_an_event(struct pt_regs *ctx, struct hit *h, __u32 tgid)
{
	switch (h->spec->kind) {
	case GM_PROBE_MALLOCGC:
		return alloc_wanted(h, tgid);
	case GM_PROBE_LARGE_GROW:
		if (large_grow_map(ctx, h))
			return true;
		count(GM_CNT_LARGE_NOT_MAP);
		return false;
	case GM_PROBE_MAPASSIGN:
	case GM_PROBE_GROWWORK:
		if (assign_wanted(h))
			return true;
		count(GM_CNT_RATE_LIMITED);
		return false;
	default:
		return true;
	}
}

static __always_inline void event_init(struct gm_event *e, const struct hit *h, __u64 pid_tgid,
				       __u32 spec_idx)
{
	__u8 kind = h->spec->kind;

	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->spec_idx = spec_idx;
	/* what the tracker sees: the growth, wherever it was caught */
	e->kind = kind == GM_PROBE_LARGE_GROW ? GM_PROBE_HASHGROW : kind;
	e->flags = 0;
	e->map = h->map;
	e->type = h->type;
	e->entries = 0;
	e->seed = 0;
	e->bucket_size = 0;
	e->arg = 0;
	e->arg2 = 0;
	e->g = 0;
	e->goid = 0;
	e->stack_off = 0;
	e->holder_ret_off = 0;
	e->holder = GM_HOLDER_UNKNOWN;
	e->_pad2[0] = e->_pad2[1] = e->_pad2[2] = 0;
}

/* mallocgc: map_reg held the allocation size; no map yet. */
static __always_inline void fill_alloc(struct gm_event *e, const struct hit *h)
{
	e->map = 0;
	e->arg = h->map;
}

/*
 * A sync.Map's trie is no runtime map: none of the layout's offsets apply,
 * and userspace walks it.  expand's hashShift (R8) says how deep the insert
 * went.  A trie on a goroutine stack is not followed.
 */
static __always_inline void fill_trie(struct gm_event *e, const struct hit *h)
{
	if (h->spec->kind == GM_PROBE_TRIE_EXPAND)
		e->arg = reg(&h->regs, GM_REG_R8) & 0xff;
}

/* swiss table probes name the table in map_reg and the Map in aux_reg */
static __always_inline void fill_table(struct gm_event *e, struct hit *h)
{
	__u64 table = h->map;
	bool ok = true;

	e->map = h->map = reg(&h->regs, h->spec->aux_reg);
	if (h->spec->kind == GM_PROBE_TABLE_GROW) {
		e->arg = reg(&h->regs, GM_REG_RDI) & 0xffff;	/* newCapacity uint16 */
	} else {
		e->arg = read_user_sized(table, h->lay->table_capacity_off,
					 h->lay->table_capacity_size, &ok);
		if (!ok)
			e->flags |= GM_EV_READ_FAIL;
	}
}

/*
 * Is the map on its goroutine's stack?  Go keeps the current g in R14 at
 * calls and returns (ABIInternal).  The map (not a table) decides: a stack
 * map's tables are on the heap.
 */
static __always_inline void fill_goroutine(struct pt_regs *ctx, struct gm_event *e, struct hit *h)
{
	const struct gm_layout *lay = h->lay;
	__u64 g = ctx->r14, lo, hi, map = h->map;
	bool ok = true;

	if (!g)
		return;
	lo = read_user_sized(g, lay->g_stack_lo_off, 8, &ok);
	hi = read_user_sized(g, lay->g_stack_hi_off, 8, &ok);
	if (!ok || !lo || map < lo || map >= hi || hi - map >= (1ULL << 32))
		return;
	h->stack_hi = hi;
	e->flags |= GM_EV_ON_STACK;
	e->g = g;
	e->stack_off = (__u32)(hi - map);
	e->goid = read_user_sized(g, lay->g_goid_off, 8, &ok);
	if (!ok || !e->goid) {
		count(GM_CNT_STACK_NO_G);
		e->flags |= GM_EV_READ_FAIL;
	}
}

/* The map header: count, seed, bucket size, and B or the directory length. */
static __always_inline void fill_map(struct gm_event *e, const struct hit *h)
{
	const struct gm_layout *lay = h->lay;
	__u8 kind = h->spec->kind;
	bool table = kind == GM_PROBE_TABLE_GROW || kind == GM_PROBE_TABLE_SPLIT;
	__u64 map = h->map;
	bool ok = true;

	e->entries = read_user_sized(map, lay->map_count_off, lay->map_count_size, &ok);
	e->seed = read_user_sized(map, lay->map_seed_off, lay->map_seed_size, &ok);
	if (h->type)
		e->bucket_size = read_user_sized(h->type, lay->type_bucketsize_off,
						 lay->type_bucketsize_size, &ok);
	if (lay->impl == GM_MAP_CLASSIC) {
		if (!table)
			e->arg = read_user_sized(map, lay->map_B_off, 1, &ok);
		if (kind == GM_PROBE_NEWOVERFLOW) {
			__u64 extra = read_user_sized(map, lay->map_extra_off, 8, &ok);

			/* preallocated overflow buckets cost nothing new */
			if (extra)
				e->arg2 = read_user_sized(extra, lay->extra_nextoverflow_off, 8, &ok);
		}
	} else if (!table) {
		e->arg2 = read_user_sized(map, lay->map_dirlen_off, 8, &ok);
	}
	if (!ok)
		e->flags |= GM_EV_READ_FAIL;
}

/* The stack, and for a stack map the frame that holds it. */
static __always_inline void fill_stack(struct pt_regs *ctx, struct gm_event *e, const struct hit *h)
{
	__u8 kind = h->spec->kind, placement = h->spec->placement;
	__u64 sp = ctx->sp, bp = ctx->bp, hi = h->stack_hi, map = h->map;

	if (kind == GM_PROBE_LARGE_GROW) {
		/* as a probe in hashGrow would see it */
		e->frames[0] = h->grow_pc;
		e->nr_frames = walk_frames(h->grow_bp, 1, e);
	} else {
		walk_stack(ctx, placement, e);
	}
	if (!(e->flags & GM_EV_ON_STACK))
		return;
	barrier_var(sp);
	barrier_var(bp);
	if (kind == GM_PROBE_LARGE_GROW) {
		find_holder(h->grow_bp, 1, e, hi);
	} else if (placement != GM_AT_POST_PROLOGUE) {
		/* at a RET or entry, RBP is still the caller's (frames[1]) frame */
		if (map > sp && map < bp && bp + 8 < hi) {
			e->holder = 1;
			e->holder_ret_off = (__u32)(hi - (bp + 8));
		} else {
			find_holder(bp, 2, e, hi);
		}
	} else {
		find_holder(bp, 1, e, hi);
	}
}

/*
 * One hit: account for it, drop what is filtered or not worth an event,
 * then fill the record in steps chosen by the kind of point.
 */
static __always_inline int on_probe(struct pt_regs *ctx)
{
	__u32 spec_idx = (__u32)bpf_get_attach_cookie(ctx);
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, bin;
	struct hit h = {};
	struct gm_event *e;

	h.spec = bpf_map_lookup_elem(&probe_specs, &spec_idx);
	if (!h.spec) {
		count(GM_CNT_NO_SPEC);
		return 0;
	}
	account_hit(spec_idx, tgid);
	/* kind 0: the calibration point, whose cost is the trap itself */
	if (!h.spec->kind)
		return 0;
	if (filter_pids && !bpf_map_lookup_elem(&target_pids, &tgid)) {
		count(GM_CNT_FILTERED);
		return 0;
	}
	bin = h.spec->binary_idx;
	h.lay = bpf_map_lookup_elem(&layouts, &bin);
	if (!h.lay) {
		count(GM_CNT_NO_SPEC);
		return 0;
	}
	load_regs(ctx, &h.regs);
	h.map = reg(&h.regs, h.spec->map_reg);
	if (h.spec->type_reg != GM_REG_NONE)
		h.type = reg(&h.regs, h.spec->type_reg);
	if (!worth_an_event(ctx, &h, tgid))
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(GM_CNT_LOST);
		return 0;
	}
	event_init(e, &h, pid_tgid, spec_idx);
	switch (h.spec->kind) {
	case GM_PROBE_MALLOCGC:
		fill_alloc(e, &h);
		break;
	case GM_PROBE_TRIE_INIT:
	case GM_PROBE_TRIE_EXPAND:
		fill_trie(e, &h);
		break;
	case GM_PROBE_TABLE_GROW:
	case GM_PROBE_TABLE_SPLIT:
		fill_table(e, &h);
		fill_goroutine(ctx, e, &h);
		fill_map(e, &h);
		break;
	default:
		fill_goroutine(ctx, e, &h);
		fill_map(e, &h);
		break;
	}
	fill_stack(ctx, e, &h);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Kernels before 6.6: one perf-event uprobe per point. */
SEC("uprobe")
int gm_probe(struct pt_regs *ctx)
{
	return on_probe(ctx);
}

/* Kernels 6.6+: one uprobe_multi link per binary (attach type set by userspace). */
SEC("uprobe")
int gm_probe_multi(struct pt_regs *ctx)
{
	return on_probe(ctx);
}

/* Process lifecycle, for the daemon's discovery and for noticing exits. */
SEC("raw_tp/sched_process_exec")
int gm_exec(void *ctx)
{
	struct gm_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if (!e) {
		count(GM_CNT_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->kind = GM_EVENT_EXEC;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int gm_exit(void *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gm_event *e;
	__u32 tgid = pid_tgid >> 32;

	if ((__u32)pid_tgid != tgid)	/* threads other than the leader */
		return 0;
	if (filter_pids && !bpf_map_lookup_elem(&target_pids, &tgid))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(GM_CNT_LOST);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts_ns = bpf_ktime_get_ns();
	e->tgid = tgid;
	e->tid = tgid;
	e->kind = GM_EVENT_EXIT;
	/* wait status as the parent would see it (do_exit sets it before this point) */
	e->arg = BPF_CORE_READ(bpf_get_current_task_btf(), exit_code);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
