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
#include <cmocka.h>
#include "gomap.h"
#include "synctrie.h"
#include "tracker.h"

#define SEC 1000000000ULL
#define PID 0x7ffffff0		/* no such process */
#define ARENA_BASE 0x10000000ULL
#define ARENA_SIZE (8u << 20)
#define BUCKET_SIZE 208		/* classic map[string]int bucket: 8 + 8*16 + 8*8 + 8 */
#define GROUP_SIZE 200		/* swiss map[string]int group: 8 + 8*(16+8) */

/* ------------------------------------------------------------ address space */

struct space {
	uint8_t *mem;
	uint64_t next;		/* bump allocator */
	bool exited;		/* the process is gone: -ESRCH */
	int reads;
};

static int space_read(void *ctx, pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct space *sp = ctx;

	sp->reads++;
	if (sp->exited || pid != PID)
		return -ESRCH;
	if (addr < ARENA_BASE || addr + len > ARENA_BASE + ARENA_SIZE || addr + len < addr)
		return -EFAULT;
	memcpy(buf, sp->mem + (addr - ARENA_BASE), len);
	return 0;
}

static uint64_t alloc(struct space *sp, size_t len)
{
	uint64_t a = sp->next;

	sp->next += (len + 15) & ~15ULL;
	assert_true(sp->next <= ARENA_BASE + ARENA_SIZE);
	memset(sp->mem + (a - ARENA_BASE), 0, len);
	return a;
}

static void put(struct space *sp, uint64_t addr, uint64_t off, const void *v, size_t len)
{
	memcpy(sp->mem + (addr + off - ARENA_BASE), v, len);
}

static void put64(struct space *sp, uint64_t addr, uint64_t off, uint64_t v)
{
	put(sp, addr, off, &v, 8);
}

static void put16(struct space *sp, uint64_t addr, uint64_t off, uint16_t v)
{
	put(sp, addr, off, &v, 2);
}

static void put8(struct space *sp, uint64_t addr, uint64_t off, uint8_t v)
{
	put(sp, addr, off, &v, 1);
}

/* ------------------------------------------------------------ Go maps */

/* hmap: count 0, flags 8, B 9, noverflow 10, hash0 12, buckets 16, oldbuckets 24 */
static void classic_header(struct space *sp, uint64_t h, uint64_t count, uint8_t B, uint16_t novf,
			   uint32_t seed, uint64_t buckets)
{
	put64(sp, h, 0, count);
	put8(sp, h, 8, 0);
	put8(sp, h, 9, B);
	put16(sp, h, 10, novf);
	put(sp, h, 12, &seed, 4);
	put64(sp, h, 16, buckets);
	put64(sp, h, 24, 0);
}

/* maps.table: used 0, capacity 2, growthLeft 4, localDepth 6, index 8, groups 16, lengthMask 24 */
static uint64_t swiss_table(struct space *sp, uint16_t cap, uint16_t used, uint8_t depth, int64_t index)
{
	uint64_t t = alloc(sp, 32), groups = alloc(sp, 64);

	put16(sp, t, 0, used);
	put16(sp, t, 2, cap);
	put16(sp, t, 4, used < cap * 7 / 8 ? (uint16_t)(cap * 7 / 8 - used) : 0);
	put8(sp, t, 6, depth);
	put(sp, t, 8, &index, 8);
	put64(sp, t, 16, groups);
	put64(sp, t, 24, cap / 8 - 1);
	return t;
}

/* Map: used 0, seed 8, dirPtr 16, dirLen 24, globalDepth 32, globalShift 33, writing 34 */
static void swiss_header(struct space *sp, uint64_t m, uint64_t used, uint64_t seed, uint64_t dir,
			 uint64_t dirlen)
{
	uint8_t depth = 0;

	while (dirlen && (1ULL << depth) < dirlen)
		depth++;
	put64(sp, m, 0, used);
	put64(sp, m, 8, seed);
	put64(sp, m, 16, dir);
	put64(sp, m, 24, dirlen);
	put8(sp, m, 32, depth);
	put8(sp, m, 33, dirlen ? 64 - depth : 0);
	put8(sp, m, 34, 0);
}

/* A directory of n entries pointing at tables[i] (runs for shared tables). */
static uint64_t swiss_dir(struct space *sp, const uint64_t *entries, size_t n)
{
	uint64_t d = alloc(sp, n * 8);
	size_t i;

	for (i = 0; i < n; i++)
		put64(sp, d, i * 8, entries[i]);
	return d;
}

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

static struct fx *fx_new(enum gm_map_impl impl, size_t max_maps)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct tracker_opts o = { .sz = sizeof(o), .window_ns = SEC, .max_maps = max_maps };

	assert_non_null(f);
	f->sp.mem = calloc(1, ARENA_SIZE);
	assert_non_null(f->sp.mem);
	f->sp.next = ARENA_BASE + 4096;
	f->mem = (struct gomap_mem){ .read = space_read, .read_many = NULL, .ctx = &f->sp };
	f->plan.impl = impl;
	layout(&f->plan.layout, impl);
	f->bin.plan = &f->plan;
	strcpy(f->bin.bi.version, impl == GM_MAP_SWISS ? "go1.26.8" : "go1.22.12");
	f->tgt.pid = PID;
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

static void fx_free(struct fx *f)
{
	tracker__free(f->tr);
	target__fini(&f->tgt);
	free(f->sp.mem);
	free(f);
}

static void event(struct fx *f, uint8_t kind, uint64_t map, uint64_t entries, uint64_t seed,
		  uint64_t arg, uint64_t arg2, uint64_t pc)
{
	struct gm_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = gm_now_ns();
	e.tgid = e.tid = PID;
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

	memcpy(&v, sp->mem + (a - ARENA_BASE), 8);
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

static void test_trie_walk_bounded(void **state)
{
	struct fx *f = fx_new(GM_MAP_SWISS, 0);
	struct synctrie_count c;
	struct trie t;
	bool gone;
	uint32_t bounds[] = { 500, 2000, 8000 };
	size_t i;

	trie_init(&t, &f->sp, 7);
	trie_fill(&t, 0, 20000);
	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
		assert_int_equal(synctrie__count(&f->mem, PID, t.ht, bounds[i], &c, &gone), GOMAP_OK);
		assert_true(c.nodes <= bounds[i]);
		assert_true(c.estimated);
		assert_true(c.counted < 20000);
		/* the hash spreads keys evenly: within 15% */
		print_message("bound %u: nodes %lu counted %lu estimate %lu\n", bounds[i], (unsigned long)c.nodes, (unsigned long)c.counted, (unsigned long)c.entries);
		assert_true(c.entries > 17000 && c.entries < 23000);
	}
	/* the default bound counts it exactly */
	assert_int_equal(synctrie__count(&f->mem, PID, t.ht, 0, &c, &gone), GOMAP_OK);
	assert_false(c.estimated);
	assert_int_equal(c.entries, 20000);
	assert_true(c.nodes <= SYNCTRIE_MAX_NODES);
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
	e.tgid = e.tid = PID;
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

static void test_classic_freed_memory_rejected(void **state)
{
	static const struct {
		uint64_t count;
		uint8_t flags, B;
		uint64_t buckets;
	} bad[] = {
		{ 22165024, 0, 5, 0x10002000 },		/* far more entries than 2^B buckets hold */
		{ 10, 0x40, 5, 0x10002000 },		/* a flag the runtime never sets */
		{ 10, 0, 60, 0x10002000 },		/* 2^60 buckets */
		{ 10, 0, 5, 0 },			/* entries without buckets */
		{ 10, 0, 5, 0x10002003 },		/* misaligned buckets */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *f = fx_new(GM_MAP_CLASSIC, 0);
		uint64_t h = alloc(&f->sp, 48), b = alloc(&f->sp, 64);
		struct tmap *m;

		classic_header(&f->sp, h, 100, 5, 0, 7, b);
		event(f, GM_PROBE_HASHGROW, h, 100, 7, 5, 0, 0);
		tracker__sample(f->tr, gm_now_ns());
		classic_header(&f->sp, h, bad[i].count, bad[i].B, 0, 7, bad[i].buckets);
		put8(&f->sp, h, 8, bad[i].flags);
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

static void test_swiss_bad_structure_rejected(void **state)
{
	enum { NOT_POW2, WRONG_INDEX, SHORT_RUN, MASK, OVERFULL, DIRLEN3, UNREADABLE, CASES };
	int c;

	for (c = 0; c < CASES; c++) {
		struct fx *f = fx_new(GM_MAP_SWISS, 0);
		uint64_t m = alloc(&f->sp, 48), a = swiss_table(&f->sp, 1024, 700, 1, 0);
		uint64_t b = swiss_table(&f->sp, 1024, 700, 1, 1), entries[2] = { a, b }, dir;
		struct tmap *tm;

		dir = swiss_dir(&f->sp, entries, 2);
		swiss_header(&f->sp, m, 1400, 9, dir, 2);
		event(f, GM_PROBE_TABLE_SPLIT, m, 1400, 9, 1024, 0, 0);
		tracker__sample(f->tr, gm_now_ns());
		tm = find_map(f, m, false);
		assert_non_null(tm);
		assert_int_equal(tm->capacity, 2048);
		switch (c) {
		case NOT_POW2:
			put16(&f->sp, b, 2, 1000);
			break;
		case WRONG_INDEX:
			put64(&f->sp, b, 8, 0);
			break;
		case SHORT_RUN:
			put8(&f->sp, b, 6, 0);	/* depth 0 would fill both entries */
			break;
		case MASK:
			put64(&f->sp, b, 24, 7);
			break;
		case OVERFULL:
			swiss_header(&f->sp, m, 5000, 9, dir, 2);
			break;
		case DIRLEN3:
			swiss_header(&f->sp, m, 1400, 9, dir, 2);
			put64(&f->sp, m, 24, 3);
			break;
		case UNREADABLE:
			put64(&f->sp, dir, 8, 0x7f0000000000ULL);
			break;
		}
		tracker__sample(f->tr, gm_now_ns());
		if (find_map(f, m, false))
			fail_msg("case %d: still tracked", c);
		tm = find_map(f, m, true);
		assert_non_null(tm);
		/* nothing of the bad sample: the last good one's numbers */
		assert_int_equal(tm->capacity, 2048);
		assert_int_equal(tm->s.last, 1400);
		assert_int_equal(tm->s.max, 1400);
		assert_false(tm->bloated);
		fx_free(f);
	}
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classic_capacity_after_growth),
		cmocka_unit_test(test_classic_clear_and_reuse),
		cmocka_unit_test(test_classic_freed_memory_rejected),
		cmocka_unit_test(test_swiss_capacity_after_growth_and_split),
		cmocka_unit_test(test_swiss_bad_structure_rejected),
		cmocka_unit_test(test_swiss_writing_is_not_gone),
		cmocka_unit_test(test_target_exit_keeps_last_good),
		cmocka_unit_test(test_churning_constant_size),
		cmocka_unit_test(test_filled_once),
		cmocka_unit_test(test_leak_then_clear_and_refill),
		cmocka_unit_test(test_reuse_by_another_map),
		cmocka_unit_test(test_creation_unseen_reasons),
		cmocka_unit_test(test_structure_reads_bounded),
		cmocka_unit_test(test_eviction_least_recently_grown),
		cmocka_unit_test(test_eviction_is_constant_time),
		cmocka_unit_test(test_stacks_are_shared),
		cmocka_unit_test(test_growth_stacks),
		cmocka_unit_test(test_impl_names),
		cmocka_unit_test(test_trie_walk_exact),
		cmocka_unit_test(test_trie_walk_bounded),
		cmocka_unit_test(test_trie_walk_checks),
		cmocka_unit_test(test_trie_tracked_and_judged),
		cmocka_unit_test(test_trie_deleting_is_no_leak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
