// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for user/tracker.c and user/gomap.c: the tracker fed synthetic
 * probe events (as bench/pipeline.c does), sampling Go map headers, Swiss
 * directories and tables laid out in a synthetic address space (a struct
 * gomap_mem over an arena) the way the runtime lays them out.  Covers the
 * arithmetic (capacity, bucket memory after growth, split and clear), the
 * checks that keep freed memory out of reports, identity across growth and
 * address reuse, judging of whole event streams, and eviction.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "gomap.h"
#include "synctrie.h"
#include "tracker.h"
#include "cases.h"
#include "gospace.h"

#define SEC 1000000000ULL
#define PID 0x7ffffff0		/* no such process */
#define BUCKET_SIZE 208		/* classic map[string]int bucket: 8 + 8*16 + 8*8 + 8 */
#define GROUP_SIZE 200		/* swiss map[string]int group: 8 + 8*(16+8) */

/* ------------------------------------------------------------ fixture */

struct fx {
	struct space sp;
	struct gomap_mem mem;
	struct probeplan plan;
	struct gobin bin;
	struct target tgt;
	struct tracker *tr;
	uint64_t t0;		/* virtual clock for window closes */
	int windows;
};

static void layout(struct gm_layout *l, enum gm_map_impl impl)
{
	memset(l, 0xff, sizeof(*l));
	l->impl = impl;
	l->map_count_off = 0;
	l->map_count_size = 8;
	l->type_bucket_off = 64;
	if (impl == GM_MAP_CLASSIC) {
		l->map_seed_off = 12;
		l->map_seed_size = 4;
		l->map_B_off = 9;
		l->map_buckets_off = 16;
		l->type_bucketsize_off = 82;
		l->type_bucketsize_size = 2;
	} else {
		l->map_seed_off = 8;
		l->map_seed_size = 8;
		l->map_buckets_off = 16;
		l->map_dirlen_off = 24;
		l->type_bucketsize_off = 80;
		l->type_bucketsize_size = 8;
		l->table_capacity_off = 2;
		l->table_capacity_size = 2;
	}
}

/* A fixture for a table case: this process as the target, stacks, limits. */
struct fx_opts {
	size_t max_maps, max_pending;
	pid_t pid;		/* 0: PID (no such process) */
	size_t stk_len;		/* real memory for goroutine stacks */
	bool g_layout;		/* the layout knows g.stack and g.goid */
};

static struct fx *fx_new_opts(enum gm_map_impl impl, const struct fx_opts *fo)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tracker_opts o = { .sz = sizeof(o), .window_ns = SEC, .max_maps = fo->max_maps,
				  .max_pending = fo->max_pending };

	assert_non_null(f);
	f->sp.mem = calloc(1, ARENA_SIZE);
	assert_non_null(f->sp.mem);
	f->sp.next = ARENA_BASE + 4096;
	f->sp.pid = fo->pid ? fo->pid : PID;
	if (fo->stk_len) {
		f->sp.stk = aligned_alloc(4096, fo->stk_len);
		assert_non_null(f->sp.stk);
		memset(f->sp.stk, 0, fo->stk_len);
		f->sp.stk_len = fo->stk_len;
	}
	f->mem = (struct gomap_mem){ .read = space_read, .read_many = NULL, .ctx = &f->sp };
	f->plan.impl = impl;
	layout(&f->plan.layout, impl);
	if (fo->g_layout) {
		/* g.stack.lo 0, g.stack.hi 8, g.atomicstatus 152, g.goid 160 */
		f->plan.layout.g_stack_lo_off = 0;
		f->plan.layout.g_stack_hi_off = 8;
		f->plan.layout.g_goid_off = 160;
	}
	f->bin.plan = &f->plan;
	strcpy(f->bin.bi.version, impl == GM_MAP_SWISS ? "go1.26.8" : "go1.22.12");
	f->tgt.pid = f->sp.pid;
	f->tgt.bin = &f->bin;
	/* every pc below the load bias: no symbolization (there is no binary) */
	f->tgt.bias_known = true;
	f->tgt.bias = 1ULL << 62;
	u64map__init(&f->tgt.user_frames);
	judge_opts__init(&o.judge);
	o.judge.min_windows = 4;
	o.mem = &f->mem;
	f->tr = tracker__new(&o);
	assert_non_null(f->tr);
	assert_int_equal(tracker__add_target(f->tr, &f->tgt), 0);
	f->t0 = gm_now_ns();
	return f;
}

static struct fx *fx_new(enum gm_map_impl impl, size_t max_maps)
{
	return fx_new_opts(impl, &(struct fx_opts){ .max_maps = max_maps });
}

static void fx_free(struct fx *f)
{
	tracker__free(f->tr);
	target__fini(&f->tgt);
	free(f->sp.mem);
	free(f->sp.stk);
	free(f);
}

static void event(struct fx *f, uint8_t kind, uint64_t map, uint64_t entries, uint64_t seed,
		  uint64_t arg, uint64_t arg2, uint64_t pc)
{
	struct gm_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = gm_now_ns();
	e.tgid = e.tid = f->tgt.pid;
	e.kind = kind;
	e.map = map;
	e.type = 0x4c0000;
	e.entries = entries;
	e.seed = seed;
	e.bucket_size = f->plan.impl == GM_MAP_SWISS ? GROUP_SIZE : BUCKET_SIZE;
	e.arg = arg;
	e.arg2 = arg2;
	if (pc) {
		e.frames[0] = pc;
		e.frames[1] = pc + 0x100;
		e.nr_frames = 2;
	}
	tracker__handle_event(f->tr, &e);
}

/* One sample, then one window closed. */
static void fx_window(struct fx *f)
{
	tracker__sample(f->tr, gm_now_ns());
	f->windows++;
	assert_true(tracker__tick(f->tr, f->t0 + (uint64_t)f->windows * SEC + SEC / 2));
}

static struct tmap *find_map(struct fx *f, uint64_t addr, bool gone)
{
	struct tmap **maps, *found = NULL;
	size_t n = tracker__maps(f->tr, &maps), i;

	for (i = 0; i < n; i++)
		if (maps[i]->addr == addr && maps[i]->gone == gone)
			found = maps[i];
	free(maps);
	return found;
}

/* ------------------------------------------------------------ sync.Map tries (Go >= 1.24) */

/*
 * internal/sync.HashTrieMap laid out as synctrie.h says, filled the way
 * LoadOrStore/Swap fill it: 16-way indirect nodes indexed by 4 hash bits a
 * level from the top, an entry in the first free slot, expand() adding
 * indirect nodes until the old and new entries' hashes part, a full-hash
 * collision chained through overflow.
 */
struct trie {
	struct space *sp;
	uint64_t ht, root;
	uint64_t entries, indirects;
};

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t trie_indirect(struct trie *t, uint64_t parent)
{
	uint64_t n = alloc(t->sp, SYNCTRIE_IND_SIZE);

	put8(t->sp, n, SYNCTRIE_NODE_ISENTRY, 0);
	put64(t->sp, n, SYNCTRIE_IND_PARENT, parent);
	t->indirects++;
	return n;
}

static uint64_t trie_entry(struct trie *t, uint64_t hash)
{
	uint64_t e = alloc(t->sp, 48);

	put8(t->sp, e, SYNCTRIE_NODE_ISENTRY, 1);
	put64(t->sp, e, 16, hash);	/* the key: the hash stands for it */
	t->entries++;
	return e;
}

static uint64_t rd64(struct space *sp, uint64_t a)
{
	uint64_t v;

	memcpy(&v, host(sp, a, 8), 8);
	return v;
}

static void trie_init(struct trie *t, struct space *sp, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->sp = sp;
	t->ht = alloc(sp, SYNCTRIE_HT_SIZE);
	t->root = trie_indirect(t, 0);
	t->indirects = 0;	/* the root is counted as read, not as growth */
	put64(sp, t->ht, SYNCTRIE_HT_ROOT, t->root);
	put64(sp, t->ht, SYNCTRIE_HT_KEYHASH, 0x401000);
	put64(sp, t->ht, SYNCTRIE_HT_SEED, seed);
	put(sp, t->ht, SYNCTRIE_HT_INITED, &(uint32_t){ 1 }, 4);
}

static void trie_insert(struct trie *t, uint64_t hash)
{
	uint64_t i = t->root, slot, n;
	int shift = 64;

	for (;;) {
		shift -= 4;
		slot = i + SYNCTRIE_IND_CHILDREN + 8 * ((hash >> shift) & 15);
		n = rd64(t->sp, slot);
		if (!n) {
			put64(t->sp, slot, 0, trie_entry(t, hash));
			return;
		}
		if (t->sp->mem[n - ARENA_BASE] == 0) {
			i = n;
			continue;
		}
		break;
	}
	/* an entry there: expand */
	{
		uint64_t old = n, oh = rd64(t->sp, old + 16), e = trie_entry(t, hash), top, cur;

		if (oh == hash) {
			put64(t->sp, e, SYNCTRIE_ENTRY_OVERFLOW, old);
			put64(t->sp, slot, 0, e);
			return;
		}
		top = cur = trie_indirect(t, i);
		for (;;) {
			uint64_t oi, ni;

			shift -= 4;
			oi = (oh >> shift) & 15;
			ni = (hash >> shift) & 15;
			if (oi != ni) {
				put64(t->sp, cur + SYNCTRIE_IND_CHILDREN + 8 * oi, 0, old);
				put64(t->sp, cur + SYNCTRIE_IND_CHILDREN + 8 * ni, 0, e);
				break;
			}
			n = trie_indirect(t, cur);
			put64(t->sp, cur + SYNCTRIE_IND_CHILDREN + 8 * oi, 0, n);
			cur = n;
		}
		put64(t->sp, slot, 0, top);
	}
}

static void trie_fill(struct trie *t, uint64_t from, uint64_t to)
{
	for (uint64_t k = from; k < to; k++)
		trie_insert(t, mix(k));
}

static void test_trie_walk_exact(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct synctrie_count c;
	struct trie t;
	bool gone;

	trie_init(&t, &f->sp, 7);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_true(c.inited);
	assert_int_equal(c.entries, 0);
	assert_int_equal(c.nodes, 1);
	trie_fill(&t, 0, 3000);
	/* two full-hash collisions: overflow chains */
	trie_insert(&t, mix(5));
	trie_insert(&t, mix(5));
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_false(gone);
	assert_false(c.estimated);
	assert_int_equal(c.entries, 3002);
	assert_int_equal(c.counted, 3002);
	assert_int_equal(c.indirects, t.indirects + 1);
	assert_int_equal(c.nodes, t.entries + 2 * t.indirects + 1);	/* an indirect node read as a child, then whole */
	assert_int_equal(c.seed, 7);
	assert_int_equal(c.skipped, 0);
	/* batched: a read per level and kind, not per node */
	f->sp.reads = 0;
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_true(f->sp.reads <= (int)c.nodes + 1);	/* read_many is NULL here: one read a node, and the header */
	fx_free(f);
}

struct trie_bound {
	const char *name;
	uint32_t bound;		/* 0: the default, SYNCTRIE_MAX_NODES */
};

static const struct trie_bound trie_bounds[] = {
	{ "trie walk of 20000 keys bounded at 500 nodes", 500 },
	{ "trie walk of 20000 keys bounded at 2000 nodes", 2000 },
	{ "trie walk of 20000 keys bounded at 8000 nodes", 8000 },
	{ "trie walk of 20000 keys within the default bound", 0 },
};

static void test_trie_walk_bounded(void **state)
{
	const struct trie_bound *c = CASE(struct trie_bound, state);
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct synctrie_count cnt;
	struct trie t;
	bool gone;

	trie_init(&t, &f->sp, 7);
	trie_fill(&t, 0, 20000);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, c->bound, &cnt, &gone), GOMAP_OK);
	if (!c->bound) {
		/* the default bound counts it exactly */
		assert_false(cnt.estimated);
		assert_int_equal(cnt.entries, 20000);
		assert_true(cnt.nodes <= SYNCTRIE_MAX_NODES);
		fx_free(f);
		return;
	}
	assert_true(cnt.nodes <= c->bound);
	assert_true(cnt.estimated);
	assert_true(cnt.counted < 20000);
	/* the hash spreads keys evenly: within 15% */
	print_message("bound %u: nodes %lu counted %lu estimate %lu\n", c->bound,
		      (unsigned long)cnt.nodes, (unsigned long)cnt.counted, (unsigned long)cnt.entries);
	assert_true(cnt.entries > 17000 && cnt.entries < 23000);
	fx_free(f);
}

static void test_trie_walk_checks(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct synctrie_count c;
	struct trie t;
	uint64_t child, bad;
	bool gone;
	int k;

	trie_init(&t, &f->sp, 7);
	trie_fill(&t, 0, 100);
	/* not yet initialised (a zero sync.Map): empty, not an error */
	put(&f->sp, t.ht, SYNCTRIE_HT_INITED, &(uint32_t){ 0 }, 4);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_false(c.inited);
	assert_int_equal(c.entries, 0);
	/* not a HashTrieMap */
	put(&f->sp, t.ht, SYNCTRIE_HT_INITED, &(uint32_t){ 2 }, 4);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_BAD_HEADER);
	put(&f->sp, t.ht, SYNCTRIE_HT_INITED, &(uint32_t){ 1 }, 4);
	put64(&f->sp, t.ht, SYNCTRIE_HT_KEYHASH, 0);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_BAD_HEADER);
	put64(&f->sp, t.ht, SYNCTRIE_HT_KEYHASH, 0x401000);
	/* a root with a parent, a root that is an entry */
	put64(&f->sp, t.root, SYNCTRIE_IND_PARENT, t.root);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_BAD_HEADER);
	put64(&f->sp, t.root, SYNCTRIE_IND_PARENT, 0);
	put8(&f->sp, t.root, SYNCTRIE_NODE_ISENTRY, 1);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_BAD_HEADER);
	put8(&f->sp, t.root, SYNCTRIE_NODE_ISENTRY, 0);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_int_equal(c.entries, 100);
	/* an indirect child naming another parent (freed, reused): skipped, said */
	for (k = 0, child = 0; k < 16 && !child; k++) {
		uint64_t n = rd64(&f->sp, t.root + SYNCTRIE_IND_CHILDREN + 8 * k);

		if (n && f->sp.mem[n - ARENA_BASE] == 0)
			child = n;
	}
	assert_true(child != 0);
	put64(&f->sp, child, SYNCTRIE_IND_PARENT, 0x1000);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_true(c.skipped >= 1);
	assert_true(c.estimated);
	assert_true(c.entries < 100);
	put64(&f->sp, child, SYNCTRIE_IND_PARENT, t.root);
	/* a child pointer outside the address space: skipped */
	bad = rd64(&f->sp, child + SYNCTRIE_IND_CHILDREN);
	put64(&f->sp, child, SYNCTRIE_IND_CHILDREN, 0x7fff00000000ULL);
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_true(c.estimated);
	put64(&f->sp, child, SYNCTRIE_IND_CHILDREN, bad);
	/* unreadable header; the process gone */
	assert_int_equal(synctrie__count(&f->mem, PID, 0x1000, 0, &c, &gone), GOMAP_UNREADABLE);
	assert_false(gone);
	f->sp.exited = true;
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_UNREADABLE);
	assert_true(gone);
	fx_free(f);
}

static void trie_event(struct fx *f, uint8_t kind, uint64_t ht, uint64_t pc)
{
	struct gm_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = gm_now_ns();
	e.tgid = e.tid = f->tgt.pid;
	e.kind = kind;
	e.map = ht;
	e.frames[0] = pc;
	e.frames[1] = pc + 0x100;
	e.nr_frames = 2;
	tracker__handle_event(f->tr, &e);
}

static void test_trie_tracked_and_judged(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct trie t, t2;
	struct tmap *m;
	uint64_t n = 40;
	int w;

	trie_init(&t, &f->sp, 7);
	trie_event(f, GM_PROBE_TRIE_INIT, t.ht, 0x1000);
	assert_null(find_map(f, t.ht, false));	/* remembered, tracked from its growth */
	trie_fill(&t, 0, n);
	trie_event(f, GM_PROBE_TRIE_EXPAND, t.ht, 0x2000);
	m = find_map(f, t.ht, false);
	assert_non_null(m);
	assert_true(m->trie);
	assert_true(m->created_seen);
	assert_int_equal(m->type, TMAP_TYPE_SYNCTRIE);
	/* the series starts at the walked count, not at 0 */
	assert_int_equal(m->s.first, n);
	assert_int_equal(m->s.last, n);
	assert_false(m->count_estimated);
	assert_int_equal(m->capacity, 0);
	assert_true(m->bucket_bytes >= n * 48);
	assert_int_equal(m->grown_bytes, SYNCTRIE_IND_ALLOC);
	/* only gains keys: a leak */
	for (w = 0; w < 5; w++) {
		trie_fill(&t, n, n + 150);
		n += 150;
		trie_event(f, GM_PROBE_TRIE_EXPAND, t.ht, 0x2000);
		fx_window(f);
	}
	assert_int_equal(m->s.last, n);
	assert_int_equal(m->s.verdict, VERDICT_LEAK);
	/* a bounded walk: estimated, and said */
	tracker__free(f->tr);
	{
		struct tracker_opts o = { .sz = sizeof(o), .window_ns = SEC, .mem = &f->mem,
					  .trie_max_nodes = 200 };

		judge_opts__init(&o.judge);
		f->tr = tracker__new(&o);
		assert_int_equal(tracker__add_target(f->tr, &f->tgt), 0);
	}
	trie_event(f, GM_PROBE_TRIE_EXPAND, t.ht, 0x2000);
	m = find_map(f, t.ht, false);
	assert_non_null(m);
	assert_true(m->count_estimated);
	assert_true(m->trie_nodes <= 200);
	assert_true(tracker__stats(f->tr)->trie_estimated >= 1);
	/* another trie made at the address (a new seed): the old one is gone */
	trie_init(&t2, &f->sp, 8);
	memcpy(f->sp.mem + (t.ht - ARENA_BASE), f->sp.mem + (t2.ht - ARENA_BASE), SYNCTRIE_HT_SIZE);
	tracker__sample(f->tr, gm_now_ns());
	assert_null(find_map(f, t.ht, false));
	assert_int_equal(tracker__stats(f->tr)->reused, 1);
	/* freed memory that is no trie: gone, never a count */
	fx_free(f);
}

static void test_trie_deleting_is_no_leak(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct trie t;
	struct tmap *m;
	int w;

	/* a cache that keeps its last 300 keys: a new trie each window, same size */
	trie_init(&t, &f->sp, 9);
	trie_fill(&t, 0, 300);
	trie_event(f, GM_PROBE_TRIE_EXPAND, t.ht, 0x2000);
	m = find_map(f, t.ht, false);
	assert_non_null(m);
	for (w = 0; w < 8; w++) {
		struct trie fresh;
		uint64_t ht = t.ht;

		trie_init(&fresh, &f->sp, 9);
		trie_fill(&fresh, (uint64_t)w * 300, (uint64_t)w * 300 + 300 - (w & 1));
		put64(&f->sp, ht, SYNCTRIE_HT_ROOT, fresh.root);
		fx_window(f);
		assert_int_not_equal(m->s.verdict, VERDICT_LEAK);
		assert_false(m->gone);
	}
	assert_true(m->s.last == 299 || m->s.last == 300);
	fx_free(f);
}

/* ------------------------------------------------------------ classic */

static void test_classic_capacity_after_growth(void **state)
{
	struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
	uint64_t h = alloc(&f->sp, 48), b1 = alloc(&f->sp, 64), b2 = alloc(&f->sp, 64);
	struct tmap *m;

	classic_header(&f->sp, h, 9, 1, 0, 77, b1);
	event(f, GM_PROBE_HASHGROW, h, 13, 77, 1, 0, 0);	/* 13 > 6.5 x 2: B 1 -> 2 */
	m = find_map(f, h, false);
	assert_non_null(m);
	/* before any read, the event's own word */
	assert_int_equal(m->capacity, 32);
	assert_int_equal(m->grown_bytes, 4 * BUCKET_SIZE);

	classic_header(&f->sp, h, 14, 2, 0, 77, b2);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(m->capacity, 32);
	assert_int_equal(m->bucket_bytes, 4 * BUCKET_SIZE);

	/* grown to B = 10 with 70 overflow buckets, 64 of them preallocated */
	classic_header(&f->sp, h, 5000, 10, 70, 77, b2);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(m->capacity, 8192);
	assert_int_equal(m->bucket_bytes, (1024 + 64 + 6) * BUCKET_SIZE);
	assert_int_equal(m->s.last, 5000);
	assert_false(m->bloated);

	/* all but 100 deleted: Go keeps the buckets, the map is bloated */
	classic_header(&f->sp, h, 100, 10, 70, 77, b2);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(m->capacity, 8192);
	assert_true(m->bloated);
	assert_false(m->gone);
	fx_free(f);
}

static void test_classic_clear_and_reuse(void **state)
{
	struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
	uint64_t h = alloc(&f->sp, 48), b = alloc(&f->sp, 64), b2 = alloc(&f->sp, 64);
	struct tmap *m;

	classic_header(&f->sp, h, 200, 5, 0, 1, b);
	event(f, GM_PROBE_HASHGROW, h, 200, 1, 5, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	m = find_map(f, h, false);
	assert_non_null(m);
	/* clear: count 0, new seed, same buckets: the same map */
	classic_header(&f->sp, h, 0, 5, 0, 2, b);
	tracker__sample(f->tr, gm_now_ns());
	assert_false(m->gone);
	assert_int_equal(m->s.last, 0);
	/* refilled */
	classic_header(&f->sp, h, 150, 5, 0, 2, b);
	tracker__sample(f->tr, gm_now_ns());
	assert_false(m->gone);
	assert_int_equal(m->s.last, 150);
	/* freed, and another map made at the address: new seed, new buckets */
	classic_header(&f->sp, h, 3, 0, 0, 99, b2);
	tracker__sample(f->tr, gm_now_ns());
	assert_null(find_map(f, h, false));
	m = find_map(f, h, true);
	assert_non_null(m);
	assert_int_equal(m->s.verdict, VERDICT_GONE);
	/* the values of the last good sample, none of the new map's */
	assert_int_equal(m->s.last, 150);
	assert_int_equal(m->capacity, 256);
	assert_int_equal(tracker__stats(f->tr)->reused, 1);
	fx_free(f);
}

struct classic_bad {
	const char *name;
	uint64_t count;
	uint8_t flags, B;
	uint64_t buckets;
};

/* What freed memory at a classic map's address reads as: each is no map. */
static const struct classic_bad classic_bad[] = {
	{ "classic freed: far more entries than 2^B buckets hold", 22165024, 0, 5, 0x10002000 },
	{ "classic freed: a flag the runtime never sets", 10, 0x40, 5, 0x10002000 },
	{ "classic freed: 2^60 buckets", 10, 0, 60, 0x10002000 },
	{ "classic freed: entries without buckets", 10, 0, 5, 0 },
	{ "classic freed: misaligned buckets", 10, 0, 5, 0x10002003 },
};

static void test_classic_freed_memory_rejected(void **state)
{
	const struct classic_bad *c = CASE(struct classic_bad, state);
	struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
	uint64_t h = alloc(&f->sp, 48), b = alloc(&f->sp, 64);
	struct tmap *m;

	classic_header(&f->sp, h, 100, 5, 0, 7, b);
	event(f, GM_PROBE_HASHGROW, h, 100, 7, 5, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	classic_header(&f->sp, h, c->count, c->B, 0, 7, c->buckets);
	put8(&f->sp, h, 8, c->flags);
	tracker__sample(f->tr, gm_now_ns());
	m = find_map(f, h, true);
	assert_non_null(m);
	assert_int_equal(m->s.last, 100);
	assert_int_equal(m->s.max, 100);
	assert_int_equal(m->capacity, 256);
	assert_false(m->bloated);
	assert_int_equal(tracker__stats(f->tr)->rejected, 1);
	fx_free(f);
}

/* ------------------------------------------------------------ swiss */

static void test_swiss_capacity_after_growth_and_split(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m = alloc(&f->sp, 48), grp = alloc(&f->sp, GROUP_SIZE), t, t2, l, r, r2, dir;
	struct tmap *tm;

	/* small: one group */
	swiss_header(&f->sp, m, 8, 5, grp, 0);
	event(f, GM_PROBE_GROW_TO_TABLE, m, 8, 5, 0, 0, 0);
	tm = find_map(f, m, false);
	assert_non_null(tm);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(tm->capacity, 8);

	/* one 16-slot table */
	t = swiss_table(&f->sp, 16, 9, 0, 0);
	dir = swiss_dir(&f->sp, &t, 1);
	swiss_header(&f->sp, m, 9, 5, dir, 1);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(tm->capacity, 16);
	assert_int_equal(tm->tables, 1);
	assert_int_equal(tm->bucket_bytes, 8 + 32 + 2 * GROUP_SIZE);

	/* grown in place to 1024 slots: a new table in the same directory */
	t2 = swiss_table(&f->sp, 1024, 800, 0, 0);
	put64(&f->sp, dir, 0, t2);
	event(f, GM_PROBE_TABLE_GROW, m, 800, 5, 1024, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(tm->capacity, 1024);

	/* split: directory of 2, then one half splits again (directory of 4) */
	l = swiss_table(&f->sp, 1024, 500, 1, 0);
	r = swiss_table(&f->sp, 1024, 600, 2, 2);
	r2 = swiss_table(&f->sp, 1024, 600, 2, 3);
	{
		uint64_t entries[4] = { l, l, r, r2 };

		dir = swiss_dir(&f->sp, entries, 4);
	}
	swiss_header(&f->sp, m, 1700, 5, dir, 4);
	event(f, GM_PROBE_TABLE_SPLIT, m, 1700, 5, 1024, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	/* three distinct tables: the one in two entries counts once */
	assert_int_equal(tm->capacity, 3072);
	assert_int_equal(tm->tables, 3);
	assert_int_equal(tm->bucket_bytes, 4 * 8 + 3 * (32 + 128 * GROUP_SIZE));
	assert_int_equal(tm->s.last, 1700);
	assert_false(tm->gone);

	/* cleared: Go keeps the tables and picks a new seed; same map, now bloated */
	swiss_header(&f->sp, m, 0, 6, dir, 4);
	tracker__sample(f->tr, gm_now_ns());
	assert_false(tm->gone);
	assert_int_equal(tm->capacity, 3072);
	assert_true(tm->bloated);
	assert_int_equal(tracker__stats(f->tr)->maps_tracked, 1);
	fx_free(f);
}

/* A Swiss map of two 1024-slot tables (directory of 2), damaged after one good sample. */
struct swiss_two {
	uint64_t m, a, b, dir;
};

static void sw_not_pow2(struct fx *f, const struct swiss_two *w) { put16(&f->sp, w->b, 2, 1000); }
static void sw_wrong_index(struct fx *f, const struct swiss_two *w) { put64(&f->sp, w->b, 8, 0); }
/* depth 0 would fill both entries */
static void sw_short_run(struct fx *f, const struct swiss_two *w) { put8(&f->sp, w->b, 6, 0); }
static void sw_mask(struct fx *f, const struct swiss_two *w) { put64(&f->sp, w->b, 24, 7); }
static void sw_overfull(struct fx *f, const struct swiss_two *w)
{
	swiss_header(&f->sp, w->m, 5000, 9, w->dir, 2);
}
static void sw_dirlen3(struct fx *f, const struct swiss_two *w)
{
	swiss_header(&f->sp, w->m, 1400, 9, w->dir, 2);
	put64(&f->sp, w->m, 24, 3);
}
static void sw_unreadable(struct fx *f, const struct swiss_two *w)
{
	put64(&f->sp, w->dir, 8, 0x7f0000000000ULL);
}

struct swiss_bad {
	const char *name;
	void (*damage)(struct fx *f, const struct swiss_two *w);
};

static const struct swiss_bad swiss_bad[] = {
	{ "swiss bad: a table capacity not a power of two", sw_not_pow2 },
	{ "swiss bad: a table at the wrong directory index", sw_wrong_index },
	{ "swiss bad: a table's depth too small for its run", sw_short_run },
	{ "swiss bad: a length mask not the capacity's", sw_mask },
	{ "swiss bad: more entries than slots", sw_overfull },
	{ "swiss bad: a directory length not a power of two", sw_dirlen3 },
	{ "swiss bad: a table pointer outside the address space", sw_unreadable },
};

static void test_swiss_bad_structure_rejected(void **state)
{
	const struct swiss_bad *c = CASE(struct swiss_bad, state);
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct swiss_two w;
	uint64_t entries[2];
	struct tmap *tm;

	w.m = alloc(&f->sp, 48);
	w.a = swiss_table(&f->sp, 1024, 700, 1, 0);
	w.b = swiss_table(&f->sp, 1024, 700, 1, 1);
	entries[0] = w.a;
	entries[1] = w.b;
	w.dir = swiss_dir(&f->sp, entries, 2);
	swiss_header(&f->sp, w.m, 1400, 9, w.dir, 2);
	event(f, GM_PROBE_TABLE_SPLIT, w.m, 1400, 9, 1024, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	tm = find_map(f, w.m, false);
	assert_non_null(tm);
	assert_int_equal(tm->capacity, 2048);
	c->damage(f, &w);
	tracker__sample(f->tr, gm_now_ns());
	if (find_map(f, w.m, false))
		fail_msg("%s: still tracked", c->name);
	tm = find_map(f, w.m, true);
	assert_non_null(tm);
	/* nothing of the bad sample: the last good one's numbers */
	assert_int_equal(tm->capacity, 2048);
	assert_int_equal(tm->s.last, 1400);
	assert_int_equal(tm->s.max, 1400);
	assert_false(tm->bloated);
	fx_free(f);
}

static void test_swiss_writing_is_not_gone(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m = alloc(&f->sp, 48), t = swiss_table(&f->sp, 512, 300, 0, 0), dir;
	struct tmap *tm;

	dir = swiss_dir(&f->sp, &t, 1);
	swiss_header(&f->sp, m, 300, 3, dir, 1);
	event(f, GM_PROBE_TABLE_GROW, m, 300, 3, 512, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	tm = find_map(f, m, false);
	assert_int_equal(tm->capacity, 512);
	/* a write under way: the structure is left for the next sample */
	put8(&f->sp, m, 34, 1);
	event(f, GM_PROBE_TABLE_GROW, m, 400, 3, 1024, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	assert_false(tm->gone);
	assert_int_equal(tm->capacity, 512);
	assert_true(tracker__stats(f->tr)->unstable >= 1);
	put8(&f->sp, m, 34, 0);
	put64(&f->sp, dir, 0, swiss_table(&f->sp, 1024, 400, 0, 0));
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(tm->capacity, 1024);
	fx_free(f);
}

static void test_target_exit_keeps_last_good(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m = alloc(&f->sp, 48), t = swiss_table(&f->sp, 1024, 900, 0, 0), dir;
	struct tmap *tm;

	dir = swiss_dir(&f->sp, &t, 1);
	swiss_header(&f->sp, m, 900, 3, dir, 1);
	event(f, GM_PROBE_TABLE_GROW, m, 900, 3, 1024, 0, 0);
	tracker__sample(f->tr, gm_now_ns());
	tm = find_map(f, m, false);
	f->sp.exited = true;
	tracker__sample(f->tr, gm_now_ns());
	assert_true(f->tgt.exited);
	/* report time: nothing is read from an exited process */
	tracker__measure_capacity(f->tr);
	assert_int_equal(tm->capacity, 1024);
	assert_int_equal(tm->s.last, 900);
	assert_int_not_equal(tm->s.verdict, VERDICT_GONE);
	fx_free(f);
}

/* ------------------------------------------------------------ judging streams */

static struct tmap *grown_swiss(struct fx *f, uint64_t *addr, uint64_t *dir, uint64_t entries)
{
	uint64_t t = swiss_table(&f->sp, 1024, (uint16_t)(entries > 1024 ? 1024 : entries), 0, 0);

	*addr = alloc(&f->sp, 48);
	*dir = swiss_dir(&f->sp, &t, 1);
	swiss_header(&f->sp, *addr, entries, 11, *dir, 1);
	event(f, GM_PROBE_TABLE_GROW, *addr, entries, 11, 1024, 0, 0);
	return find_map(f, *addr, false);
}

static void test_churning_constant_size(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m, dir;
	struct tmap *tm = grown_swiss(f, &m, &dir, 800);
	int w;

	for (w = 0; w < 10; w++) {
		/* keys rotated between samples: the count wobbles around 800 */
		put64(&f->sp, m, 0, 795 + (w % 3) * 3);
		tracker__sample(f->tr, gm_now_ns());
		put64(&f->sp, m, 0, 800);
		fx_window(f);
		if (w >= 1)
			assert_int_equal(tm->s.verdict, VERDICT_PLATEAU);
	}
	assert_true(judge__rate(&tm->s.ev) == 0.0);
	fx_free(f);
}

static void test_filled_once(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m, dir;
	struct tmap *tm = grown_swiss(f, &m, &dir, 10);
	int w;

	put64(&f->sp, m, 0, 900);
	for (w = 0; w < 8; w++) {
		fx_window(f);
		assert_int_not_equal(tm->s.verdict, VERDICT_LEAK);
	}
	assert_int_equal(tm->s.verdict, VERDICT_PLATEAU);
	/* the rate of the judged windows, not of the session */
	assert_true(judge__rate(&tm->s.ev) == 0.0);
	assert_true(judge__per_minute(tm->s.first, tm->s.last, tm->s.first_ns, tm->s.last_ns) > 0);
	fx_free(f);
}

static void test_leak_then_clear_and_refill(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m, dir, n = 100;
	struct tmap *tm = grown_swiss(f, &m, &dir, n);
	int w;

	for (w = 0; w < 5; w++) {
		n += 150;
		put64(&f->sp, m, 0, n);
		fx_window(f);
	}
	assert_int_equal(tm->s.verdict, VERDICT_LEAK);
	assert_true(judge__rate(&tm->s.ev) > 0);
	/* cleared and refilled, again and again: a sawtooth */
	for (w = 0; w < 6; w++) {
		put64(&f->sp, m, 0, 0);
		put64(&f->sp, m, 8, 100 + w);	/* Clear reseeds */
		tracker__sample(f->tr, gm_now_ns());
		put64(&f->sp, m, 0, 500);
		fx_window(f);
		assert_false(tm->gone);
	}
	assert_int_equal(tm->s.verdict, VERDICT_SAWTOOTH);
	fx_free(f);
}

static void test_reuse_by_another_map(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m, dir, t;
	struct tmap *tm = grown_swiss(f, &m, &dir, 900), *again;

	tracker__sample(f->tr, gm_now_ns());
	/* freed; maps.NewMap makes another map at the same address */
	event(f, GM_PROBE_NEWMAP_RET, m, 0, 12345, 0, 0, 0x401000);
	assert_null(find_map(f, m, false));
	assert_true(tm->gone);
	/* the new map grows: a second identity at that address */
	t = swiss_table(&f->sp, 16, 9, 0, 0);
	dir = swiss_dir(&f->sp, &t, 1);
	swiss_header(&f->sp, m, 9, 12345, dir, 1);
	event(f, GM_PROBE_GROW_TO_TABLE, m, 9, 12345, 0, 0, 0x402000);
	again = find_map(f, m, false);
	assert_non_null(again);
	assert_ptr_not_equal(again, tm);
	assert_true(again->created_seen);
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(again->capacity, 16);
	/* the old identity keeps its own numbers */
	assert_int_equal(tm->capacity, 1024);
	assert_int_equal(tm->s.last, 900);
	assert_int_equal(tracker__stats(f->tr)->maps_tracked, 2);
	assert_int_equal(tracker__stats(f->tr)->gone_maps, 1);
	assert_int_equal(tracker__alive_maps(f->tr), 1);
	fx_free(f);
}

static void test_structure_reads_bounded(void **state)
{
	/*
	 * 6,000 large Swiss maps: a sample reads every header, but re-reads
	 * at most 4,096 directories and tables that nothing changed (three
	 * reads each); the rest wait for the next samples.
	 */
	enum { N = 6000, BUDGET = 4096 };
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	uint64_t m, dir;
	int i, reads;

	for (i = 0; i < N; i++)
		assert_non_null(grown_swiss(f, &m, &dir, 100));
	/* first read of every structure: all of them */
	tracker__sample(f->tr, gm_now_ns());
	assert_int_equal(tracker__stats(f->tr)->shape_deferred, 0);
	/* nothing changed: the budget */
	f->sp.reads = 0;
	tracker__sample(f->tr, gm_now_ns());
	reads = f->sp.reads;
	assert_true(reads >= N + 3 * BUDGET - 16 && reads <= N + 3 * BUDGET);
	assert_int_equal(tracker__stats(f->tr)->shape_deferred, N - BUDGET);
	/* every map is still alive: deferred is not gone */
	assert_int_equal(tracker__alive_maps(f->tr), N);
	/* a change the header shows is read at once, budget or not */
	put64(&f->sp, m, 0, 2000);	/* more entries than its 1024 slots */
	f->sp.reads = 0;
	tracker__sample(f->tr, gm_now_ns());
	assert_true(f->sp.reads <= N + 3 * BUDGET + 3);
	assert_null(find_map(f, m, false));	/* 2000 > 1024 slots: not a live map */
	fx_free(f);
}

/* ------------------------------------------------------------ honest creation sites */

static void test_creation_unseen_reasons(void **state)
{
	struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
	uint64_t a = alloc(&f->sp, 48), b = alloc(&f->sp, 48), c = alloc(&f->sp, 48);
	uint64_t d = alloc(&f->sp, 48), e = alloc(&f->sp, 48);
	struct tmap *m;

	/* attached to a running process: a map first seen growing was made before */
	event(f, GM_PROBE_HASHGROW, a, 13, 1, 1, 0, 0);
	m = find_map(f, a, false);
	assert_non_null(m);
	assert_false(m->created_seen);
	assert_int_equal(m->unseen, TUNSEEN_BEFORE);
	assert_string_equal(tunseen__str(m->unseen), "before_tracing");

	/* its creation seen: no reason at all */
	event(f, GM_PROBE_MAKEMAP_RET, c, 0, 3, 0, 0, 0);
	event(f, GM_PROBE_HASHGROW, c, 13, 3, 1, 0, 0);
	m = find_map(f, c, false);
	assert_non_null(m);
	assert_true(m->created_seen);
	assert_int_equal(m->unseen, TUNSEEN_NONE);

	/*
	 * emptied by a delete before its first growth: Go gave it a new seed,
	 * and nothing can have been missed, so the creation here is its own
	 */
	event(f, GM_PROBE_MAKEMAP_RET, e, 0, 6, 0, 0, 0);
	event(f, GM_PROBE_HASHGROW, e, 13, 60, 1, 0, 0);
	m = find_map(f, e, false);
	assert_non_null(m);
	assert_true(m->created_seen);

	/* records lost: any later map may have been made then */
	tracker__note_lost(f->tr, 7);
	event(f, GM_PROBE_HASHGROW, d, 13, 4, 1, 0, 0);
	assert_int_equal(find_map(f, d, false)->unseen, TUNSEEN_LOST);
	/* ...and then a new seed may be another map's, made unseen here */
	e = alloc(&f->sp, 48);
	event(f, GM_PROBE_MAKEMAP_RET, e, 0, 7, 0, 0, 0);
	event(f, GM_PROBE_HASHGROW, e, 13, 70, 1, 0, 0);
	m = find_map(f, e, false);
	assert_non_null(m);
	assert_false(m->created_seen);
	assert_int_equal(m->unseen, TUNSEEN_LOST);

	/* the governor shed this process's creation points: that says more */
	tracker__creations_missed(f->tr, PID, TUNSEEN_SHED);
	event(f, GM_PROBE_HASHGROW, b, 13, 2, 1, 0, 0);
	assert_int_equal(find_map(f, b, false)->unseen, TUNSEEN_SHED);
	/* a map known before keeps the reason it had */
	assert_int_equal(find_map(f, a, false)->unseen, TUNSEEN_BEFORE);
	fx_free(f);

	/* started held by trace -- CMD: nothing can predate the probes */
	f = fx_new(GM_MAP_CLASSIC, 0);
	f->tgt.held = true;
	e = alloc(&f->sp, 48);
	event(f, GM_PROBE_HASHGROW, e, 13, 5, 1, 0, 0);
	m = find_map(f, e, false);
	assert_non_null(m);
	assert_int_equal(m->unseen, TUNSEEN_UNKNOWN);
	assert_int_not_equal(m->unseen, TUNSEEN_BEFORE);
	fx_free(f);
}

/* ------------------------------------------------------------ eviction and memory */

static void test_eviction_least_recently_grown(void **state)
{
	struct fx *f = fx_new(GM_MAP_CLASSIC, 4);
	uint64_t h[6];
	int i;

	for (i = 0; i < 6; i++) {
		h[i] = alloc(&f->sp, 48);
		classic_header(&f->sp, h[i], 100, 4, 0, 1, alloc(&f->sp, 64));
	}
	for (i = 0; i < 4; i++)
		event(f, GM_PROBE_HASHGROW, h[i], 100, 1, 4, 0, 0x401000);
	/* map 0 grows again: now map 1 is the least recently grown */
	event(f, GM_PROBE_HASHGROW, h[0], 110, 1, 4, 0, 0x401000);
	event(f, GM_PROBE_HASHGROW, h[4], 100, 1, 4, 0, 0x401000);
	assert_true(tracker__tracks(f->tr, PID, h[0]));
	assert_false(tracker__tracks(f->tr, PID, h[1]));
	event(f, GM_PROBE_HASHGROW, h[5], 100, 1, 4, 0, 0x401000);
	assert_false(tracker__tracks(f->tr, PID, h[2]));
	assert_true(tracker__tracks(f->tr, PID, h[3]));
	assert_int_equal(tracker__stats(f->tr)->evicted_maps, 2);
	assert_int_equal(tracker__alive_maps(f->tr), 4);
	fx_free(f);
}

static void test_eviction_is_constant_time(void **state)
{
	/* 200,000 maps through a cap of 1,000: a linear scan would take minutes */
	struct fx *f = fx_new(GM_MAP_CLASSIC, 1000);
	uint64_t i, t0 = gm_now_ns();

	for (i = 0; i < 200000; i++)
		event(f, GM_PROBE_HASHGROW, 0x20000000ULL + i * 64, 100, 1, 4, 0, 0x401000 + (i % 8));
	assert_int_equal(tracker__alive_maps(f->tr), 1000);
	assert_int_equal(tracker__stats(f->tr)->evicted_maps, 199000);
	assert_true(gm_now_ns() - t0 < 20 * SEC);
	fx_free(f);
}

static void test_stacks_are_shared(void **state)
{
	struct tstacks ts;
	uint64_t pcs[3] = { 1, 2, 3 }, other[3] = { 1, 2, 4 };
	const struct tstack *a, *b, *c;

	tstacks__init(&ts);
	a = tstacks__get(&ts, pcs, 3);
	b = tstacks__get(&ts, pcs, 3);
	c = tstacks__get(&ts, other, 3);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(tstacks__count(&ts), 2);
	tstacks__put(&ts, a);
	assert_int_equal(tstacks__count(&ts), 2);
	tstacks__put(&ts, b);
	assert_int_equal(tstacks__count(&ts), 1);
	assert_ptr_equal(tstacks__get(&ts, pcs, 0), tstack__empty());
	tstacks__put(&ts, tstack__empty());
	tstacks__put(&ts, c);
	assert_int_equal(tstacks__count(&ts), 0);
	tstacks__fini(&ts);
}

static void test_growth_stacks(void **state)
{
	struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
	uint64_t h = alloc(&f->sp, 48);
	struct tmap *m;
	uint64_t sum = 0;
	int i, used = 0;

	classic_header(&f->sp, h, 100, 4, 0, 1, alloc(&f->sp, 64));
	/* six distinct inserting stacks: four slots, bytes all kept */
	for (i = 0; i < 6; i++)
		event(f, GM_PROBE_HASHGROW, h, 100, 1, 4, 0, 0x401000 + 0x10 * i);
	m = find_map(f, h, false);
	for (i = 0; i < TMAP_GROWTH_STACKS; i++) {
		sum += m->growth[i].bytes;
		used += m->growth[i].stack != NULL;
	}
	assert_int_equal(used, TMAP_GROWTH_STACKS);
	assert_int_equal(sum, m->grown_bytes);
	assert_int_equal(m->grows, 6);
	fx_free(f);
}

static void test_impl_names(void **state)
{
	assert_string_equal(gomap__impl_name(GM_MAP_CLASSIC), "classic");
	assert_string_equal(gomap__impl_name(GM_MAP_SWISS), "swiss");
	assert_string_equal(gomap__impl_name(0), "unknown");
	assert_int_equal(gomap__classic_buckets(3), 8);
	assert_int_equal(gomap__classic_buckets(4), 17);
}

/* ------------------------------------------------------------ event sequences, table-driven */

/*
 * Each case feeds the tracker a sequence of synthetic gm_event records,
 * memory changes and samples, and checks after each step what it says
 * about one map and its counters.  The target is this process (so that
 * stack maps, whose goroutine stackmaps.c reads with process_vm_readv, can
 * be followed); Go maps live in the arena, goroutine stacks in real memory.
 *
 * Maps by index: 0-3 on the heap; 4 and 5 on the fake goroutine's stack,
 * 0x100 and 0x200 below its top; 6 at an address nothing is mapped at; a
 * sync.Map trie made by T_TRIE takes the index's place.
 */
enum top {
	T_END = 0,
	T_EV,		/* a gm_event: kind, map, entries, seed, arg, arg2 ... */
	T_CLASSIC,	/* hmap at map: count entries, B arg, seed, bucket array #bkt */
	T_SWISS,	/* Map at map: used entries, seed; directory #bkt of one table of
			 * capacity arg (0: a small map, one group) */
	T_COUNT,	/* the map's count word := entries */
	T_SAMPLE,	/* tracker__sample */
	T_WINDOW,	/* a sample, then a window closed */
	T_LOST,		/* tracker__note_lost(arg) */
	T_SHED,		/* tracker__creations_missed(target, TUNSEEN_SHED) */
	T_G,		/* the fake goroutine: goid arg, status arg2 */
	T_MOVE,		/* its stack copied elsewhere (a stack growth) */
	T_RET,		/* the word ret_off below its stack top := arg */
	T_TRIE,		/* a sync.Map trie at map, seed */
	T_TRIE_FILL,	/* arg more keys into it */
	T_TRIE_SEED,	/* its seed := seed (another initSlow) */
	T_REMOVE,	/* tracker__remove_target */
};

static const char *const top_names[] = {
	"end", "event", "classic header", "swiss header", "count", "sample", "window", "lost",
	"shed", "goroutine", "stack copy", "return slot", "trie", "trie fill", "trie seed",
	"remove target",
};

enum { X_ANY = 0, X_ALIVE, X_GONE, X_NONE };

#define C_SEEN (1u << 0)
#define C_UNSEEN (1u << 1)
#define C_SEED (1u << 2)
#define C_CAP (1u << 3)
#define C_LAST (1u << 4)
#define C_GROWN (1u << 5)
#define C_GROWS (1u << 6)
#define C_VERDICT (1u << 7)
#define C_STACK (1u << 8)	/* on_stack and moves */
#define C_TRIE (1u << 9)
#define C_BYTES (1u << 10)	/* bucket_bytes */
#define C_TYPE (1u << 11)
#define C_ALIVE (1u << 12)	/* tracker__alive_maps() */
#define C_BLOAT (1u << 13)

struct tstat {
	size_t off;		/* offsetof(struct tracker_stats, f) + 1; 0: none */
	uint64_t v;
};

#define ST(f, val) { offsetof(struct tracker_stats, f) + 1, (val) }

struct texp {
	int is;			/* X_*: the step's map alive, gone (and kept), or neither */
	unsigned chk;		/* C_*: the fields below that are checked */
	bool seen;
	enum tunseen unseen;
	uint64_t seed, cap, last, grown, bytes, type;
	uint32_t grows, moves;
	enum verdict verdict;
	bool on_stack, trie, bloated;
	size_t alive;
	struct tstat st[3];
};

#define NO_TYPE 1	/* T_EV .type: an event without a map type (allocLarge) */

struct tstep {
	enum top op;
	int map;
	uint8_t kind;
	uint64_t entries, seed, arg, arg2;
	uint64_t pc;		/* T_EV: frames[0], and pc + 0x100 as its caller */
	bool stack;		/* T_EV: GM_EV_ON_STACK, the fake goroutine's */
	bool no_goid;		/* ... whose goroutine could not be read */
	uint32_t ret_off;	/* T_EV, T_RET: the holder frame's return slot below the top */
	uint64_t ago_ms;	/* T_EV: stamped this long before now */
	uint64_t type;		/* T_EV: 0 the default 0x4c0000, NO_TYPE none */
	pid_t pid;		/* T_EV: 0 the target */
	int bkt;		/* T_CLASSIC, T_SWISS */
	struct texp x;
};

struct tcase {
	const char *name;
	enum gm_map_impl impl;
	size_t max_pending;
	bool no_g_layout;
	struct tstep steps[28];
};

#define EV(k, m, ...) { T_EV, .kind = (k), .map = (m), __VA_ARGS__ }
#define CLASSIC(m, count, B, sd, b, ...) \
	{ T_CLASSIC, .map = (m), .entries = (count), .arg = (B), .seed = (sd), .bkt = (b), __VA_ARGS__ }
#define SWISS(m, used, sd, cap, d, ...) \
	{ T_SWISS, .map = (m), .entries = (used), .seed = (sd), .arg = (cap), .bkt = (d), __VA_ARGS__ }
#define SAMPLE(m, ...) { T_SAMPLE, .map = (m), __VA_ARGS__ }
#define WINDOW(m, ...) { T_WINDOW, .map = (m), __VA_ARGS__ }

#define ALIVE(...) .x = { X_ALIVE, __VA_ARGS__ }
#define GONE(...) .x = { X_GONE, __VA_ARGS__ }
#define NONE(...) .x = { X_NONE, __VA_ARGS__ }
#define STATS(...) .x = { X_ANY, .st = { __VA_ARGS__ } }

#define B2 (4 * BUCKET_SIZE)		/* bucket array of B = 2 */
#define B3 (8 * BUCKET_SIZE)
#define TABLE(cap) (((cap) / 8) * GROUP_SIZE + GOMAP_TABLE_BYTES)
#define G_RUNNING 2
#define G_COPYSTACK 8
#define STACK_LEN 4096

static const struct tcase tcases[] = {
	{
		"classic: made, then grown: tracked from its growth, creation and costs known",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 0, 0, 3, 1),
			EV(GM_PROBE_MAKEMAP_RET, 0, .seed = 3,
			   NONE(.st = { ST(creations, 1), ST(maps_tracked, 0) })),
			/* the same creation at another RET of the function: remembered once */
			EV(GM_PROBE_MAKEMAP_RET, 0, .seed = 3,
			   NONE(.st = { ST(creations, 2), ST(maps_tracked, 0) })),
			CLASSIC(0, 9, 1, 3, 2),
			/* 13 entries in 2 buckets: B 1 -> 2, 4 buckets of 208 bytes */
			EV(GM_PROBE_HASHGROW, 0, .entries = 13, .seed = 3, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN | C_CAP | C_GROWN | C_GROWS | C_TYPE | C_ALIVE, .seen = true,
				 .unseen = TUNSEEN_NONE, .cap = 32, .grown = B2, .grows = 1, .type = 0x4c0000,
				 .alive = 1, .st = { ST(growths, 1), ST(maps_tracked, 1) })),
			CLASSIC(0, 14, 2, 3, 3),
			SAMPLE(0, ALIVE(C_CAP | C_LAST | C_BYTES | C_SEED, .cap = 32, .last = 14, .bytes = B2,
					.seed = 3)),
			/* an overflow bucket costs one bucket; a preallocated one nothing new */
			EV(GM_PROBE_NEWOVERFLOW, 0, .entries = 20, .seed = 3,
			   ALIVE(C_GROWN | C_GROWS, .grown = B2 + BUCKET_SIZE, .grows = 2)),
			EV(GM_PROBE_NEWOVERFLOW, 0, .entries = 21, .seed = 3, .arg2 = 1,
			   ALIVE(C_GROWN | C_GROWS, .grown = B2 + BUCKET_SIZE, .grows = 3,
				 .st = { ST(growths, 3) })),
			/*
			 * a growth caught at allocLarge has no type: the map keeps its
			 * own, and its bucket size prices the growth (B 2 -> 3)
			 */
			EV(GM_PROBE_HASHGROW, 0, .entries = 40, .seed = 3, .arg = 2, .type = NO_TYPE,
			   ALIVE(C_GROWS | C_TYPE | C_GROWN, .grows = 4, .type = 0x4c0000,
				 .grown = B2 + BUCKET_SIZE + B3)),
		},
	},
	{
		"classic: a creation at a tracked address with its own seed is its twin probe",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 100, 4, 5, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 100, .seed = 5, .arg = 4, ALIVE()),
			EV(GM_PROBE_MAKEMAP_RET, 0, .seed = 5,
			   ALIVE(C_ALIVE, .alive = 1, .st = { ST(creations, 1), ST(reused, 0), ST(gone_maps, 0) })),
		},
	},
	{
		"classic: deletes, a clear (new seed, same buckets) and a refill: the same map",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 200, 5, 1, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 200, .seed = 1, .arg = 5, ALIVE()),
			SAMPLE(0, ALIVE(C_LAST | C_CAP, .last = 200, .cap = 256)),
			/* deletes: fewer entries, same seed and buckets */
			{ T_COUNT, 0, .entries = 120 },
			SAMPLE(0, ALIVE(C_LAST | C_SEED, .last = 120, .seed = 1)),
			/* emptied: Go reseeds, the buckets stay */
			CLASSIC(0, 0, 5, 2, 1),
			SAMPLE(0, ALIVE(C_LAST | C_SEED | C_CAP, .last = 0, .seed = 2, .cap = 256,
					.st = { ST(reused, 0), ST(rejected, 0) })),
			CLASSIC(0, 150, 5, 2, 1),
			SAMPLE(0, ALIVE(C_LAST, .last = 150)),
		},
	},
	{
		"classic: a reseed seen in an insert event: a later growth nothing reported is no new map",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 200, 5, 1, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 200, .seed = 1, .arg = 5, ALIVE()),
			SAMPLE(0, ALIVE(C_SEED, .seed = 1)),
			/* cleared (reseeded 2) and refilled, the insert seen (--exact) ... */
			EV(GM_PROBE_MAPASSIGN, 0, .entries = 1, .seed = 2,
			   ALIVE(C_SEED | C_GROWS, .seed = 2, .grows = 1, .st = { ST(assigns, 1) })),
			/* ... and grown into new buckets while growth points were off */
			CLASSIC(0, 300, 6, 2, 2),
			SAMPLE(0, ALIVE(C_LAST | C_SEED | C_CAP, .last = 300, .seed = 2, .cap = 512,
					.st = { ST(reused, 0), ST(gone_maps, 0) })),
			/* an event stamped before the last sample says nothing of the seed now */
			EV(GM_PROBE_MAPASSIGN, 0, .entries = 1, .seed = 9, .ago_ms = 10000,
			   ALIVE(C_SEED, .seed = 2)),
		},
	},
	{
		"classic: another map made at the address: the old one gone, the new one its own",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 200, 5, 1, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 200, .seed = 1, .arg = 5, ALIVE()),
			SAMPLE(0, ALIVE(C_LAST, .last = 200)),
			EV(GM_PROBE_MAKEMAP_RET, 0, .seed = 99,
			   GONE(C_VERDICT | C_LAST | C_ALIVE, .verdict = VERDICT_GONE, .last = 200, .alive = 0,
				.st = { ST(reused, 1), ST(gone_maps, 1) })),
			CLASSIC(0, 13, 1, 99, 2),
			EV(GM_PROBE_HASHGROW, 0, .entries = 13, .seed = 99, .arg = 1,
			   ALIVE(C_SEEN | C_SEED | C_LAST | C_ALIVE, .seen = true, .seed = 99, .last = 13,
				 .alive = 1, .st = { ST(maps_tracked, 2) })),
		},
	},
	{
		"classic: memory reused without a creation seen: new seed and new buckets is gone",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 200, 5, 1, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 200, .seed = 1, .arg = 5, ALIVE()),
			SAMPLE(0, ALIVE()),
			CLASSIC(0, 3, 0, 77, 2),
			SAMPLE(0, GONE(C_LAST | C_CAP, .last = 200, .cap = 256,
				       .st = { ST(reused, 1), ST(gone_maps, 1) })),
		},
	},
	{
		"classic: a header that cannot be read: gone, and too small to keep",
		GM_MAP_CLASSIC, .steps = {
			EV(GM_PROBE_HASHGROW, 6, .entries = 13, .seed = 1, .arg = 1, ALIVE()),
			SAMPLE(6, NONE(C_ALIVE, .alive = 0,
				       .st = { ST(read_failures, 1), ST(gone_maps, 1), ST(maps_tracked, 1) })),
		},
	},
	{
		"events of untraced processes, and without a map, are counted and dropped",
		GM_MAP_CLASSIC, .steps = {
			EV(GM_PROBE_HASHGROW, 0, .entries = 13, .seed = 1, .arg = 1, .pid = 0x7ffffff1,
			   NONE(.st = { ST(unknown_target, 1), ST(events, 1), ST(growths, 0) })),
			{ T_EV, .kind = GM_PROBE_HASHGROW, .map = -1, .entries = 13, .seed = 1,
			  STATS(ST(growths, 1), ST(maps_tracked, 0), ST(events, 2)) },
		},
	},
	{
		"--exact: an insert starts tracking without growth; a bucket allocation is counted",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 40, 3, 1, 1),
			EV(GM_PROBE_MAPASSIGN, 0, .entries = 40, .seed = 1,
			   ALIVE(C_GROWS | C_GROWN, .grows = 0, .grown = 0,
				 .st = { ST(assigns, 1), ST(growths, 0), ST(maps_tracked, 1) })),
			EV(GM_PROBE_GROWWORK, 0, .entries = 41, .seed = 1,
			   ALIVE(C_GROWS, .grows = 0, .st = { ST(assigns, 2) })),
			EV(GM_PROBE_MALLOCGC, 1, .arg = 4096, STATS(ST(allocs, 1), ST(maps_tracked, 1))),
		},
	},
	{
		"remembered creations evicted: maps first seen later say so, a seed match is still its own",
		GM_MAP_CLASSIC, .max_pending = 2, .steps = {
			EV(GM_PROBE_MAKEMAP_RET, 0, .seed = 10),
			EV(GM_PROBE_MAKEMAP_RET, 1, .seed = 11, STATS(ST(evicted_pending, 0))),
			EV(GM_PROBE_MAKEMAP_RET, 2, .seed = 12, STATS(ST(evicted_pending, 1))),
			EV(GM_PROBE_HASHGROW, 3, .entries = 13, .seed = 13, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = false, .unseen = TUNSEEN_EVICTED)),
			EV(GM_PROBE_HASHGROW, 2, .entries = 13, .seed = 12, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = true, .unseen = TUNSEEN_NONE)),
		},
	},
	{
		"creation points shed: maps first seen later say so, a seed match is still its own",
		GM_MAP_CLASSIC, .steps = {
			EV(GM_PROBE_MAKEMAP_RET, 1, .seed = 11),
			{ T_SHED },
			EV(GM_PROBE_HASHGROW, 0, .entries = 13, .seed = 10, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = false, .unseen = TUNSEEN_SHED)),
			/* remembered before the shedding, with its seed: its own */
			EV(GM_PROBE_HASHGROW, 1, .entries = 13, .seed = 11, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = true, .unseen = TUNSEEN_NONE)),
			/* remembered, but another seed since: it may be another map's */
			EV(GM_PROBE_MAKEMAP_RET, 2, .seed = 12),
			EV(GM_PROBE_HASHGROW, 2, .entries = 13, .seed = 99, .arg = 1,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = false, .unseen = TUNSEEN_SHED)),
		},
	},
	{
		"a removed process takes its maps along",
		GM_MAP_CLASSIC, .steps = {
			CLASSIC(0, 100, 4, 5, 1),
			EV(GM_PROBE_HASHGROW, 0, .entries = 100, .seed = 5, .arg = 4, ALIVE(C_ALIVE, .alive = 1)),
			{ T_REMOVE, 0, NONE(C_ALIVE, .alive = 0) },
			EV(GM_PROBE_HASHGROW, 0, .entries = 101, .seed = 5, .arg = 4,
			   NONE(.st = { ST(unknown_target, 1) })),
		},
	},
	{
		"swiss: NewEmptyMap, growToSmall, growToTable: its creation, with the seed growToSmall set",
		GM_MAP_SWISS, .steps = {
			/* NewEmptyMap leaves the seed to growToSmall */
			EV(GM_PROBE_NEWMAP_RET, 0, .seed = 0, NONE(.st = { ST(creations, 1) })),
			/* a first insert into a small map: too small to leak, not tracked */
			EV(GM_PROBE_GROW_TO_SMALL, 0, .entries = 0, .seed = 5,
			   NONE(.st = { ST(growths, 1), ST(maps_tracked, 0) })),
			/* records lost since: only a matching seed proves the creation ours */
			{ T_LOST, .arg = 1 },
			SWISS(0, 9, 5, 16, 1),
			EV(GM_PROBE_GROW_TO_TABLE, 0, .entries = 8, .seed = 5,
			   ALIVE(C_SEEN | C_UNSEEN | C_GROWN | C_CAP, .seen = true, .unseen = TUNSEEN_NONE,
				 .grown = 2 * GROUP_SIZE + GOMAP_TABLE_BYTES + 8, .cap = 0)),
			SAMPLE(0, ALIVE(C_CAP | C_LAST | C_BYTES, .cap = 16, .last = 9,
					.bytes = 8 + GOMAP_TABLE_BYTES + 2 * GROUP_SIZE)),
		},
	},
	{
		"swiss: growToSmall not seen and records lost: another seed is not its creation",
		GM_MAP_SWISS, .steps = {
			EV(GM_PROBE_NEWMAP_RET, 0, .seed = 0),
			{ T_LOST, .arg = 1 },
			SWISS(0, 9, 5, 16, 1),
			EV(GM_PROBE_GROW_TO_TABLE, 0, .entries = 8, .seed = 5,
			   ALIVE(C_SEEN | C_UNSEEN, .seen = false, .unseen = TUNSEEN_LOST)),
		},
	},
	{
		"swiss: table growth and splits cost whole tables",
		GM_MAP_SWISS, .steps = {
			SWISS(0, 600, 4, 1024, 1),
			EV(GM_PROBE_TABLE_GROW, 0, .entries = 600, .seed = 4, .arg = 1024,
			   ALIVE(C_GROWN | C_GROWS, .grown = TABLE(1024), .grows = 1)),
			EV(GM_PROBE_TABLE_SPLIT, 0, .entries = 900, .seed = 4, .arg = 1024,
			   ALIVE(C_GROWN | C_GROWS, .grown = TABLE(1024) + 2 * TABLE(1024), .grows = 2)),
			/* a new capacity past a table's limit costs nothing it could name */
			EV(GM_PROBE_TABLE_GROW, 0, .entries = 900, .seed = 4, .arg = 4096,
			   ALIVE(C_GROWN | C_GROWS, .grown = 3 * TABLE(1024), .grows = 3)),
		},
	},
	{
		"swiss: cleared (new seed, tables kept): the same map, bloated; then made anew by NewMap",
		GM_MAP_SWISS, .steps = {
			SWISS(0, 900, 4, 1024, 1),
			EV(GM_PROBE_TABLE_GROW, 0, .entries = 900, .seed = 4, .arg = 1024, ALIVE()),
			SAMPLE(0, ALIVE(C_CAP | C_LAST | C_BLOAT, .cap = 1024, .last = 900, .bloated = false)),
			SWISS(0, 0, 5, 1024, 1),
			SAMPLE(0, ALIVE(C_SEED | C_LAST | C_CAP | C_BLOAT, .seed = 5, .last = 0, .cap = 1024,
					.bloated = true)),
			/* a growth after a refill carries the new seed */
			EV(GM_PROBE_TABLE_SPLIT, 0, .entries = 1024, .seed = 5, .arg = 1024,
			   ALIVE(C_SEED | C_GROWS, .seed = 5, .grows = 2)),
			EV(GM_PROBE_NEWMAP_RET, 0, .seed = 6,
			   GONE(C_VERDICT | C_ALIVE, .verdict = VERDICT_GONE, .alive = 0,
				.st = { ST(reused, 1) })),
		},
	},
	{
		"swiss: a new directory and a new seed read from memory: gone",
		GM_MAP_SWISS, .steps = {
			SWISS(0, 900, 4, 1024, 1),
			EV(GM_PROBE_TABLE_GROW, 0, .entries = 900, .seed = 4, .arg = 1024, ALIVE()),
			SAMPLE(0, ALIVE()),
			SWISS(0, 10, 8, 16, 2),
			SAMPLE(0, GONE(C_LAST | C_CAP, .last = 900, .cap = 1024, .st = { ST(reused, 1) })),
		},
	},
	{
		"swiss: a leak, judged from its samples",
		GM_MAP_SWISS, .steps = {
			SWISS(0, 100, 4, 1024, 1),
			EV(GM_PROBE_TABLE_GROW, 0, .entries = 100, .seed = 4, .arg = 1024, ALIVE()),
			{ T_COUNT, 0, .entries = 250 }, WINDOW(0),
			{ T_COUNT, 0, .entries = 400 }, WINDOW(0),
			{ T_COUNT, 0, .entries = 550 }, WINDOW(0),
			{ T_COUNT, 0, .entries = 700 },
			WINDOW(0, ALIVE(C_VERDICT | C_LAST, .verdict = VERDICT_LEAK, .last = 700)),
		},
	},
	{
		"stack map without its goroutine: not followed",
		GM_MAP_CLASSIC, .steps = {
			{ T_G, .arg = 7, .arg2 = G_RUNNING },
			CLASSIC(4, 9, 1, 5, 1),
			EV(GM_PROBE_HASHGROW, 4, .entries = 13, .seed = 5, .arg = 1, .stack = true, .no_goid = true,
			   NONE(.st = { ST(on_stack, 1), ST(growths, 0), ST(maps_tracked, 0) })),
		},
	},
	{
		"stack map: followed by goroutine and offset across a stack copy, gone with its goroutine",
		GM_MAP_CLASSIC, .steps = {
			{ T_G, .arg = 7, .arg2 = G_RUNNING },
			CLASSIC(4, 9, 1, 5, 1),
			EV(GM_PROBE_HASHGROW, 4, .entries = 13, .seed = 5, .arg = 1, .stack = true,
			   ALIVE(C_STACK | C_SEEN | C_UNSEEN, .on_stack = true, .moves = 0, .seen = false,
				 .unseen = TUNSEEN_STACK, .st = { ST(on_stack, 1), ST(growths, 1) })),
			CLASSIC(4, 14, 2, 5, 2),
			SAMPLE(4, ALIVE(C_LAST | C_CAP, .last = 14, .cap = 32)),
			/* the stack grew: copied whole, the header moved with it */
			{ T_MOVE },
			SAMPLE(4, ALIVE(C_STACK | C_LAST, .on_stack = true, .moves = 1, .last = 14)),
			{ T_COUNT, 4, .entries = 20 },
			EV(GM_PROBE_HASHGROW, 4, .entries = 27, .seed = 5, .arg = 2, .stack = true,
			   ALIVE(C_STACK | C_GROWS, .on_stack = true, .moves = 1, .grows = 2, .alive = 1)),
			/* being copied: this sample skips it */
			{ T_G, .arg = 7, .arg2 = G_COPYSTACK },
			{ T_COUNT, 4, .entries = 25 },
			/* the count is still the growth event's */
			SAMPLE(4, ALIVE(C_LAST, .last = 27)),
			{ T_G, .arg = 7, .arg2 = G_RUNNING },
			SAMPLE(4, ALIVE(C_LAST, .last = 25)),
			/* the g now runs another goroutine */
			{ T_G, .arg = 8, .arg2 = G_RUNNING },
			SAMPLE(4, NONE(C_ALIVE, .alive = 0, .st = { ST(gone_maps, 1) })),
		},
	},
	{
		"stack map: gone when its frame returned",
		GM_MAP_CLASSIC, .steps = {
			{ T_G, .arg = 7, .arg2 = G_RUNNING },
			/* the holder's return slot holds its caller's pc (the event's frames[1]) */
			{ T_RET, .ret_off = 0x80, .arg = 0x401100 },
			CLASSIC(5, 9, 1, 5, 1),
			EV(GM_PROBE_HASHGROW, 5, .entries = 13, .seed = 5, .arg = 1, .stack = true, .ret_off = 0x80,
			   .pc = 0x401000, ALIVE(C_STACK, .on_stack = true)),
			SAMPLE(5, ALIVE(C_LAST, .last = 9)),
			{ T_RET, .ret_off = 0x80, .arg = 0x402222 },
			SAMPLE(5, NONE(.st = { ST(gone_maps, 1) })),
		},
	},
	{
		"stack maps need the g layout: without it they end at the first sample",
		GM_MAP_CLASSIC, .no_g_layout = true, .steps = {
			{ T_G, .arg = 7, .arg2 = G_RUNNING },
			CLASSIC(4, 9, 1, 5, 1),
			EV(GM_PROBE_HASHGROW, 4, .entries = 13, .seed = 5, .arg = 1, .stack = true, ALIVE()),
			SAMPLE(4, NONE(.st = { ST(gone_maps, 1) })),
		},
	},
	{
		"sync.Map: initSlow remembered, expand tracks it, a second initSlow ignored, a new seed is another trie",
		GM_MAP_SWISS, .steps = {
			{ T_TRIE, 0, .seed = 7 },
			EV(GM_PROBE_TRIE_INIT, 0, .pc = 0x1000, NONE(.st = { ST(creations, 1) })),
			{ T_TRIE_FILL, 0, .arg = 40 },
			EV(GM_PROBE_TRIE_EXPAND, 0, .pc = 0x2000,
			   ALIVE(C_TRIE | C_SEEN | C_LAST | C_GROWN | C_TYPE | C_CAP, .trie = true, .seen = true,
				 .last = 40, .grown = SYNCTRIE_IND_ALLOC, .type = TMAP_TYPE_SYNCTRIE, .cap = 0)),
			/* initSlow of a trie already followed: a walk tells a new one by its seed */
			EV(GM_PROBE_TRIE_INIT, 0, .pc = 0x1000,
			   ALIVE(C_TRIE, .trie = true, .st = { ST(creations, 2), ST(reused, 0) })),
			{ T_TRIE_FILL, 0, .arg = 150 },
			SAMPLE(0, ALIVE(C_LAST | C_SEED, .last = 190, .seed = 7)),
			{ T_TRIE_SEED, 0, .seed = 8 },
			SAMPLE(0, GONE(C_LAST, .last = 190, .st = { ST(reused, 1), ST(gone_maps, 1) })),
		},
	},
	{
		"sync.Map: an expand at an address that is no trie: gone at the first sample",
		GM_MAP_SWISS, .steps = {
			EV(GM_PROBE_TRIE_EXPAND, 6, .pc = 0x2000,
			   ALIVE(C_TRIE, .trie = true, .st = { ST(read_failures, 1) })),
			SAMPLE(6, NONE(.st = { ST(read_failures, 2), ST(gone_maps, 1) })),
		},
	},
};

struct tctx {
	struct fx *f;
	uint64_t heap[4];
	uint64_t bkt[8];		/* classic bucket arrays / swiss directories by id */
	struct trie trie[8];
	bool is_trie[8];
	uint8_t g[168];			/* the fake goroutine: real memory */
	uint64_t goid;
	int region;			/* which half of the stack memory is its stack */
};

static uint64_t stack_lo(const struct tctx *c)
{
	return (uint64_t)(uintptr_t)c->f->sp.stk + (uint64_t)c->region * STACK_LEN;
}

static uint64_t map_addr(const struct tctx *c, int m)
{
	if (m < 0)
		return 0;
	if (c->is_trie[m])
		return c->trie[m].ht;
	if (m < 4)
		return c->heap[m];
	if (m < 6)
		return stack_lo(c) + STACK_LEN - (m == 4 ? 0x100 : 0x200);
	return 0x7f0000000000ULL;	/* nothing there */
}

static void set_g(struct tctx *c, uint64_t goid, uint32_t status)
{
	uint64_t lo = stack_lo(c), hi = lo + STACK_LEN;

	c->goid = goid;
	memcpy(c->g + 0, &lo, 8);
	memcpy(c->g + 8, &hi, 8);
	memcpy(c->g + 152, &status, 4);
	memcpy(c->g + 160, &goid, 8);
}

static void send(struct tctx *c, const struct tstep *s)
{
	struct fx *f = c->f;
	struct gm_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = gm_now_ns() - s->ago_ms * 1000000ULL;
	e.tgid = e.tid = s->pid ? (uint32_t)s->pid : (uint32_t)f->tgt.pid;
	e.kind = s->kind;
	e.map = map_addr(c, s->map);
	e.type = s->type == NO_TYPE ? 0 : s->type ? s->type : 0x4c0000;
	e.entries = s->entries;
	e.seed = s->seed;
	if (e.type)
		e.bucket_size = f->plan.impl == GM_MAP_SWISS ? GROUP_SIZE : BUCKET_SIZE;
	e.arg = s->arg;
	e.arg2 = s->arg2;
	if (s->pc) {
		e.frames[0] = s->pc;
		e.frames[1] = s->pc + 0x100;
		e.nr_frames = 2;
	}
	e.holder = GM_HOLDER_UNKNOWN;
	if (s->stack) {
		e.flags |= GM_EV_ON_STACK;
		e.g = (uint64_t)(uintptr_t)c->g;
		e.goid = s->no_goid ? 0 : c->goid;
		e.stack_off = (uint32_t)(stack_lo(c) + STACK_LEN - e.map);
		if (s->ret_off) {
			e.holder = 0;
			e.holder_ret_off = s->ret_off;
		}
	}
	if (e.kind == GM_PROBE_TRIE_INIT || e.kind == GM_PROBE_TRIE_EXPAND)
		e.type = e.bucket_size = 0;
	tracker__handle_event(f->tr, &e);
}

static uint64_t buckets(struct tctx *c, int id)
{
	if (!id)
		return 0;
	if (!c->bkt[id])
		c->bkt[id] = alloc(&c->f->sp, 64);
	return c->bkt[id];
}

static void write_swiss(struct tctx *c, const struct tstep *s)
{
	struct space *sp = &c->f->sp;
	uint64_t a = map_addr(c, s->map);

	if (!s->arg) {
		/* small: dirPtr is the one group */
		swiss_header(sp, a, s->entries, s->seed, buckets(c, s->bkt), 0);
		return;
	}
	if (!c->bkt[s->bkt]) {
		uint64_t t = swiss_table(sp, (uint16_t)s->arg,
					 (uint16_t)(s->entries > s->arg ? s->arg : s->entries), 0, 0);

		c->bkt[s->bkt] = swiss_dir(sp, &t, 1);
	}
	swiss_header(sp, a, s->entries, s->seed, c->bkt[s->bkt], 1);
}

static void check_texp(struct tctx *c, const struct tstep *s)
{
	const struct texp *x = &s->x;
	const struct tracker_stats *st = tracker__stats(c->f->tr);
	uint64_t a = map_addr(c, s->map);
	struct tmap *alive = find_map(c->f, a, false), *gone = find_map(c->f, a, true), *m = NULL;
	int i;

	switch (x->is) {
	case X_ALIVE:
		check_non_null(alive);
		m = alive;
		break;
	case X_GONE:
		check_null(alive);
		check_non_null(gone);
		m = gone;
		break;
	case X_NONE:
		check_null(alive);
		check_null(gone);
		break;
	}
	if (m) {
		if (x->chk & C_SEEN)
			check_int(m->created_seen, x->seen);
		if (x->chk & C_UNSEEN)
			check_int(m->unseen, x->unseen);
		if (x->chk & C_SEED)
			check_int(m->seed, x->seed);
		if (x->chk & C_CAP)
			check_int(m->capacity, x->cap);
		if (x->chk & C_LAST)
			check_int(m->s.last, x->last);
		if (x->chk & C_GROWN)
			check_int(m->grown_bytes, x->grown);
		if (x->chk & C_GROWS)
			check_int(m->grows, x->grows);
		if (x->chk & C_VERDICT)
			check_int(m->s.verdict, x->verdict);
		if (x->chk & C_STACK) {
			check_int(m->on_stack, x->on_stack);
			check_int(m->stk.moves, x->moves);
		}
		if (x->chk & C_TRIE)
			check_int(m->trie, x->trie);
		if (x->chk & C_BYTES)
			check_int(m->bucket_bytes, x->bytes);
		if (x->chk & C_TYPE)
			check_int(m->type, x->type);
		if (x->chk & C_BLOAT)
			check_int(m->bloated, x->bloated);
	}
	if (x->chk & C_ALIVE)
		check_int(tracker__alive_maps(c->f->tr), x->alive);
	for (i = 0; i < 3 && x->st[i].off; i++) {
		uint64_t v;

		memcpy(&v, (const char *)st + x->st[i].off - 1, sizeof(v));
		check_int(v, x->st[i].v);
	}
}

static void test_event_sequence(void **state)
{
	const struct tcase *tc = CASE(struct tcase, state);
	struct fx_opts fo = { .max_pending = tc->max_pending, .pid = getpid(), .stk_len = 2 * STACK_LEN,
			      .g_layout = !tc->no_g_layout };
	struct tctx *c = calloc(1, sizeof(*c));
	const struct tstep *s;
	int i;

	assert_non_null(c);
	c->f = fx_new_opts(tc->impl, &fo);
	for (i = 0; i < 4; i++)
		c->heap[i] = alloc(&c->f->sp, 64);
	for (i = 0, s = tc->steps; s->op != T_END; i++, s++) {
		struct space *sp = &c->f->sp;
		uint64_t a = map_addr(c, s->map), hi = stack_lo(c) + STACK_LEN;

		case_ctx("%s: step %d (%s)", tc->name, i, top_names[s->op]);
		switch (s->op) {
		case T_EV:
			send(c, s);
			break;
		case T_CLASSIC:
			classic_header(sp, a, s->entries, (uint8_t)s->arg, 0, (uint32_t)s->seed,
				       buckets(c, s->bkt));
			break;
		case T_SWISS:
			write_swiss(c, s);
			break;
		case T_COUNT:
			put64(sp, a, 0, s->entries);
			break;
		case T_SAMPLE:
			tracker__sample(c->f->tr, gm_now_ns());
			break;
		case T_WINDOW:
			fx_window(c->f);
			break;
		case T_LOST:
			tracker__note_lost(c->f->tr, s->arg);
			break;
		case T_SHED:
			tracker__creations_missed(c->f->tr, c->f->tgt.pid, TUNSEEN_SHED);
			break;
		case T_G:
			set_g(c, s->arg, (uint32_t)s->arg2);
			break;
		case T_MOVE: {
			uint8_t *from = sp->stk + c->region * STACK_LEN;

			c->region ^= 1;
			memcpy(sp->stk + c->region * STACK_LEN, from, STACK_LEN);
			memset(from, 0, STACK_LEN);
			set_g(c, c->goid, G_RUNNING);
			break;
		}
		case T_RET:
			put64(sp, hi - s->ret_off, 0, s->arg);
			break;
		case T_TRIE:
			trie_init(&c->trie[s->map], sp, s->seed);
			c->is_trie[s->map] = true;
			break;
		case T_TRIE_FILL: {
			struct trie *t = &c->trie[s->map];

			trie_fill(t, t->entries, t->entries + s->arg);
			break;
		}
		case T_TRIE_SEED:
			put64(sp, c->trie[s->map].ht, SYNCTRIE_HT_SEED, s->seed);
			break;
		case T_REMOVE:
			tracker__remove_target(c->f->tr, c->f->tgt.pid);
			break;
		case T_END:
			break;
		}
		check_texp(c, s);
	}
	fx_free(c->f);
	free(c);
}

int main(void)
{
	struct suite s = {};

	suite_test(&s, test_classic_capacity_after_growth);
	suite_test(&s, test_classic_clear_and_reuse);
	suite_rows(&s, test_classic_freed_memory_rejected, classic_bad);
	suite_test(&s, test_swiss_capacity_after_growth_and_split);
	suite_rows(&s, test_swiss_bad_structure_rejected, swiss_bad);
	suite_test(&s, test_swiss_writing_is_not_gone);
	suite_test(&s, test_target_exit_keeps_last_good);
	suite_test(&s, test_churning_constant_size);
	suite_test(&s, test_filled_once);
	suite_test(&s, test_leak_then_clear_and_refill);
	suite_test(&s, test_reuse_by_another_map);
	suite_test(&s, test_creation_unseen_reasons);
	suite_test(&s, test_structure_reads_bounded);
	suite_test(&s, test_eviction_least_recently_grown);
	suite_test(&s, test_eviction_is_constant_time);
	suite_test(&s, test_stacks_are_shared);
	suite_test(&s, test_growth_stacks);
	suite_test(&s, test_impl_names);
	suite_test(&s, test_trie_walk_exact);
	suite_rows(&s, test_trie_walk_bounded, trie_bounds);
	suite_test(&s, test_trie_walk_checks);
	suite_test(&s, test_trie_tracked_and_judged);
	suite_test(&s, test_trie_deleting_is_no_leak);
	suite_rows(&s, test_event_sequence, tcases);
	return suite_run(&s, "tracker");
}
