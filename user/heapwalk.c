// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * heapwalk: the backward search from maps to their roots.  See heapwalk.h.
 *
 * Per search: the anonymous read-write mappings (the Go heap, goroutine
 * stacks among it) reduced to their pages present in RAM; the live
 * goroutines from runtime.allgs; the memory holding the slots of every
 * tracked map.  Then one pass per level over .data/.bss and that heap
 * memory, 8-aligned words looked up among the addresses the level
 * searches for (a bloom filter first: almost no word is one of them).
 */
#include <elf.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gotypes.h"
#include "heapwalk.h"
#include "holder_roots.h"
#include "holder_slots.h"

#define CHUNK		(1u << 20)
#define BLOOM_BITS	(1u << 16)
#define VALIDATE_MAX	1024u	/* bytes of a supposed object read to check its fields */
/* levels: one per heap object, and one more for each small map's group met on the way */
#define MAX_LEVELS	(HOLDER_MAX_DEPTH + 3)

/*
 * How a node holds its child: a field of the object; a value of the map
 * (tracked, or a small one found through its group); in an object of no
 * known type; GROUP: the group of a small map no one tracks, whose header
 * the next level looks for (the header then takes its place).
 */
enum { HOP_NONE, HOP_FIELD, HOP_VALUE, HOP_UNTYPED, HOP_GROUP };
/*
 * Roots, best first: the longest-lived.  Runtime frames hold user pointers
 * only briefly, or stale; a running goroutine's stack is taken whole, so
 * its stale slots below the frame it runs are in too: there the root
 * nearest the top (the outermost frame) is taken.
 */
enum { CLS_GLOBAL, CLS_MAIN, CLS_STACK, CLS_RUNTIME_FRAME, CLS_RUNNING, CLS_NONE };

struct node {
	uint64_t addr;		/* searched for: a map header or an object's start */
	uint64_t ptype;		/* type of a pointer to it (a map type, or *S); 0 unknown */
	uint64_t stype;		/* an object: its struct type */
	uint64_t off;		/* how it holds child: FIELD/UNTYPED: offset; VALUE: in the value */
	uint64_t fname, fname2;	/* FIELD: the field (fname2: the inner one when nested) */
	uint64_t group;		/* VALUE, GROUP: the group/bucket holding the slot */
	uint64_t mtype;		/* VALUE, GROUP: the map's type */
	int32_t child, want;	/* the node it holds (-1: a searched map), the map at the end */
	int32_t next_lvl, next_seen;	/* chains by address: this level, all levels */
	int32_t map;		/* VALUE: the container among maps; -1 an untracked one */
	int16_t slot;
	uint16_t depth;		/* heap objects from it to its map, itself included */
	uint8_t hop;
};

struct best {
	int cls, node, g;	/* class (CLS_*), the node the root holds, the goroutine */
	uint64_t at;		/* the root word's address */
};

struct hw {
	struct target *t;
	struct htypes *ht;
	struct hread *rd;
	struct hw_map *maps;
	size_t nmaps;
	bool keys, gobuf_ret;
	uint64_t deadline;
	struct hw_stats *st;
	struct node *nodes;
	size_t nn, ncap;
	struct u64map seen, level, sib, by_map;
	uint8_t bloom[BLOOM_BITS / 8];
	struct best *best;
	struct hroots r;
	struct hspan *granges;	/* the slots of tracked maps, sorted */
	size_t ngr;
	struct hmtype *mts;
	uint8_t *mt_state;	/* 0 untried, 1 read, 2 unreadable */
	uint8_t *buf;
	uint64_t buf_at, buf_len;	/* what buf holds: the chunk being scanned */
	int lvl;
};

/* ---- pure parts ---- */

size_t heapwalk__scan(const uint8_t *buf, size_t len, uint64_t base, const struct u64map *want,
		      void (*cb)(uint64_t at, uint64_t val, void *ctx), void *ctx)
{
	size_t i, hits = 0;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = ht_get64(buf + i);

		if (v && u64map__get(want, v)) {
			hits++;
			if (cb)
				cb(base + i, v, ctx);
		}
	}
	return hits;
}

/*
 * A stack root's class: a frame of the main goroutine, of another, or of
 * the runtime (or not known): a runtime frame holds a user pointer only
 * while it works on it, and its slots not yet written this call still
 * hold what an earlier callee left there.
 */
static int stack_class(struct hw *w, int gi, uint64_t a)
{
	char fn[192];

	if (w->r.gs[gi].running)
		return CLS_RUNNING;
	if (!hroots__frame(&w->r, w->t, w->rd, gi, a, fn, sizeof(fn)) || !strncmp(fn, "runtime.", 8) ||
	    !strncmp(fn, "internal/runtime/", 17) || !strncmp(fn, "runtime/internal/", 17))
		return CLS_RUNTIME_FRAME;
	return w->r.gs[gi].goid == 1 ? CLS_MAIN : CLS_STACK;
}

/* ---- the slots of tracked maps ---- */

static int add_grange(uint64_t lo, uint64_t hi, void *ctx)
{
	struct hw *w = ctx;

	if (w->ngr >= HOLDER_MAX_GROUP_RANGES)
		return 1;
	if (hi <= lo)
		return 0;
	w->granges[w->ngr].lo = lo;
	w->granges[w->ngr].hi = hi;
	w->granges[w->ngr++].map = -1;
	return 0;
}

static const struct hmtype *map_mt(struct hw *w, int i)
{
	if (!w->mt_state[i])
		w->mt_state[i] = htypes__map_type(w->ht, w->maps[i].type, &w->mts[i]) ? 1 : 2;
	return w->mt_state[i] == 1 ? &w->mts[i] : NULL;
}

static void find_granges(struct hw *w)
{
	size_t i, k, from;

	w->granges = calloc(HOLDER_MAX_GROUP_RANGES, sizeof(*w->granges));
	if (!w->granges)
		return;
	for (i = 0; i < w->nmaps && w->ngr < HOLDER_MAX_GROUP_RANGES; i++) {
		const struct hmtype *mt = map_mt(w, (int)i);

		if (!mt || gm_now_ns() > w->deadline)
			continue;
		from = w->ngr;
		hslots__ranges(w->ht, w->maps[i].addr, mt->groupsize, add_grange, w);
		for (k = from; k < w->ngr; k++)
			w->granges[k].map = (int)i;
	}
	qsort(w->granges, w->ngr, sizeof(*w->granges), hroots__span_cmp);
	/* a map read mid-growth can overlap another: keep the first */
	for (i = 0, k = 0; i < w->ngr; i++)
		if (!k || w->granges[i].lo >= w->granges[k - 1].hi)
			w->granges[k++] = w->granges[i];
	w->ngr = k;
}

/* Target bytes: from the chunk being scanned when it holds them (most objects near a hit do). */
static int hw_read(struct hw *w, uint64_t a, void *out, size_t len)
{
	if (w->buf_len && a >= w->buf_at && a - w->buf_at <= w->buf_len && len <= w->buf_len - (a - w->buf_at)) {
		memcpy(out, w->buf + (a - w->buf_at), len);
		return 0;
	}
	return hread__read(w->rd, a, out, len);
}

/* ---- nodes ---- */

static uint64_t bloom_hash(uint64_t v)
{
	return ((v >> 3) * 0x9E3779B97F4A7C15ULL) >> (64 - 16);
}

static bool want_done(const struct hw *w, int want)
{
	return w->best[want].cls == CLS_GLOBAL;
}

/*
 * A new node: the object (or map) at addr holds node child by hop.  Refused
 * past the depth, when its map has a package-level root already, when the
 * same address is searched for the same map, past the caps.
 */
static int add_node(struct hw *w, const struct node *proto, int child)
{
	const struct node *c = &w->nodes[child];
	uintptr_t head;
	struct node *n;
	int i;

	if (c->depth + 1 > HOLDER_MAX_DEPTH || want_done(w, c->want) || !proto->addr)
		return -1;
	head = (uintptr_t)u64map__get(&w->seen, proto->addr);
	for (i = (int)head - 1; i >= 0; i = w->nodes[i].next_seen)
		if (w->nodes[i].want == c->want)
			return -1;
	if (w->nn >= HOLDER_MAX_NODES) {
		w->st->nodes_cut = true;
		return -1;
	}
	if (w->nn == w->ncap) {
		size_t cap = w->ncap ? w->ncap * 2 : 1024;
		struct node *nn = realloc(w->nodes, cap * sizeof(*nn));

		if (!nn)
			return -1;
		w->nodes = nn;
		w->ncap = cap;
		c = &w->nodes[child];
	}
	n = &w->nodes[w->nn];
	*n = *proto;
	n->child = child;
	n->want = c->want;
	n->depth = c->depth + 1;
	n->next_lvl = -1;
	n->next_seen = (int)head - 1;
	if (u64map__set(&w->seen, n->addr, (void *)(uintptr_t)(w->nn + 1)))
		return -1;
	return (int)w->nn++;
}

static void root_hit(struct hw *w, int ni, int cls, uint64_t at, int g)
{
	struct best *b = &w->best[w->nodes[ni].want];

	if (cls < b->cls || (cls == CLS_RUNNING && b->cls == CLS_RUNNING && b->g == g &&
			     w->r.gs[g].hi - at < w->r.gs[g].hi - b->at)) {
		b->cls = cls;
		b->node = ni;
		b->at = at;
		b->g = g;
	}
}



/* Siblings: objects of one type at one offset holding the same node (at most HOLDER_MAX_SIBLINGS). */
static uint64_t sib_key(int child, uint64_t s, uint64_t off)
{
	return ((uint64_t)child * 0x9E3779B97F4A7C15ULL) ^ (s * 31) ^ (off << 40);
}

static bool sib_room(struct hw *w, uint64_t k)
{
	return (uintptr_t)u64map__get(&w->sib, k) < HOLDER_MAX_SIBLINGS;
}

/* add_node, counted among its siblings k when added */
static int add_sibling(struct hw *w, const struct node *proto, int child, uint64_t k)
{
	int r = add_node(w, proto, child);

	if (r >= 0)
		u64map__set(&w->sib, k, (void *)((uintptr_t)u64map__get(&w->sib, k) + 1));
	return r;
}

/* Word at a holds node ni, in a value slot of the map whose slots span gr. */
static void value_hit(struct hw *w, int ni, uint64_t a, const struct hspan *gr)
{
	const struct hmtype *mt = map_mt(w, gr->map);
	struct hslot_pos pos;
	uint64_t g, ctrl;
	struct node proto = { 0 };
	bool ok;

	if (!mt || mt->ielem || !mt->groupsize || w->maps[gr->map].addr == w->nodes[ni].addr)
		return;
	g = gr->lo + (a - gr->lo) / mt->groupsize * mt->groupsize;
	if (!hslots__locate(w->ht->impl, mt, a - g, &pos) || !pos.in_elem)
		return;
	ctrl = hread__u64(w->rd, g, &ok);
	if (!ok || !hslots__full(w->ht->impl, (const uint8_t *)&ctrl, pos.slot))
		return;
	proto.addr = w->maps[gr->map].addr;
	proto.ptype = w->maps[gr->map].type;
	proto.mtype = w->maps[gr->map].type;
	proto.hop = HOP_VALUE;
	proto.off = pos.off;
	proto.group = g;
	proto.slot = (int16_t)pos.slot;
	proto.map = gr->map;
	add_node(w, &proto, ni);
}

/* Word at a holds node ni somewhere in the heap: the objects whose field it can be. */
static bool plausible(void *ctx, uint64_t v)
{
	return hroots__plausible(ctx, v);
}

/* Is there an object of struct type s at start, as far as its pointer fields tell? */
static bool object_ok(struct hw *w, uint64_t s, uint64_t start)
{
	const struct htinfo *ti = htypes__info(w->ht, s);
	uint8_t b[VALIDATE_MAX];
	uint64_t len;

	if (!ti)
		return false;
	len = ti->size < sizeof(b) ? ti->size : sizeof(b);
	return !hw_read(w, start, b, len) && htypes__object_ok(w->ht, ti, b, len, plausible, &w->r);
}

/* ---- small maps no one tracks: found through their one group ---- */



/*
 * Word a holds node ni as the value of slot j of the one group of a small
 * map (Swiss, up to 8 entries; classic, B = 0): too small to be tracked,
 * so it is found by its value type (every map type of the binary whose
 * value is ni's pointer type), and its header by the next level.
 */
static int small_groups(struct hw *w, int ni, uint64_t a)
{
	const uint64_t *types;
	size_t i, nt;
	int j, added = 0;

	nt = htypes__maps_of_elem(w->ht, w->nodes[ni].ptype, &types);
	for (i = 0; i < nt && i < 16; i++) {
		struct hmtype mt;

		if (!htypes__map_type(w->ht, types[i], &mt))
			continue;
		for (j = 0; j < GOMAP_GROUP_SLOTS; j++) {
			uint64_t eoff = w->ht->impl == GM_MAP_SWISS ? mt.elemsoff + j * mt.elemstride
								    : 8 + 8 * mt.keysize + j * mt.elemsize;
			struct node proto = { .hop = HOP_GROUP, .mtype = types[i], .slot = (int16_t)j, .map = -1 };

			uint64_t k = sib_key(ni, types[i], (uint64_t)j);
			uint8_t b[4096];

			if (eoff > a || !sib_room(w, k) || mt.groupsize > sizeof(b) ||
			    hw_read(w, a - eoff, b, mt.groupsize) ||
			    !hslots__small_group(w->ht->impl, &mt, b, j, plausible, &w->r))
				continue;
			proto.addr = proto.group = a - eoff;
			added += add_sibling(w, &proto, ni, k) >= 0;
		}
	}
	return added;
}

/* Word a holds group node ni: is it the header of a small map (dirPtr / buckets)? */
static void group_hit(struct hw *w, int ni, uint64_t a)
{
	const struct gm_layout *lay = w->ht->lay;
	const struct node *gn = &w->nodes[ni];
	uint64_t hdr = a - lay->map_buckets_off, count = 0;
	struct node proto = { .hop = HOP_VALUE, .map = -1 };
	uint8_t h[64];

	if (a < lay->map_buckets_off || lay->map_count_off > 56 || hw_read(w, hdr, h, sizeof(h)))
		return;
	memcpy(&count, h + lay->map_count_off, 8);
	if (!count || count > GOMAP_GROUP_SLOTS)
		return;
	if (w->ht->impl == GM_MAP_SWISS ? lay->map_dirlen_off > 56 || ht_get64(h + lay->map_dirlen_off)
					: lay->map_B_off >= sizeof(h) || h[lay->map_B_off])
		return;
	proto.addr = hdr;
	proto.ptype = proto.mtype = gn->mtype;
	proto.group = gn->group;
	proto.slot = gn->slot;
	proto.off = gn->off;
	add_node(w, &proto, gn->child);
}

static void heap_hit(struct hw *w, int ni, uint64_t a)
{
	const struct hfield *f, *g;
	size_t nf = htypes__fields_of(w->ht, w->nodes[ni].ptype, &f), i, ng, k;
	int added = 0;

	for (i = 0; i < nf && gm_now_ns() <= w->deadline; i++) {
		struct node proto = { .hop = HOP_FIELD };
		uint64_t start, sk = sib_key(ni, f[i].stype, f[i].off);

		if (f[i].off > a)
			continue;
		start = a - f[i].off;
		if (u64map__get(&w->by_map, start) || !sib_room(w, sk) || htypes__is_closure(w->ht, f[i].stype) ||
		    !object_ok(w, f[i].stype, start))
			continue;
		proto.addr = start;
		proto.ptype = htypes__ptr_to(w->ht, f[i].stype);
		proto.stype = f[i].stype;
		proto.off = f[i].off;
		proto.fname = f[i].name;
		added += add_sibling(w, &proto, ni, sk) >= 0;
		/* that struct held inline in another, one level */
		ng = htypes__fields_of(w->ht, f[i].stype, &g);
		for (k = 0; k < ng && k < 16; k++) {
			uint64_t gk = sib_key(ni, g[k].stype, g[k].off + f[i].off);

			if (g[k].off > start || !sib_room(w, gk) || htypes__is_closure(w->ht, g[k].stype) ||
			    !object_ok(w, g[k].stype, start - g[k].off))
				continue;
			proto.addr = start - g[k].off;
			proto.ptype = htypes__ptr_to(w->ht, g[k].stype);
			proto.stype = g[k].stype;
			proto.off = g[k].off + f[i].off;
			proto.fname = g[k].name;
			proto.fname2 = f[i].name;
			added += add_sibling(w, &proto, ni, gk) >= 0;
		}
	}
	added += small_groups(w, ni, a);
	/* a map no type names the holder of: an object starting just before it, said as an offset */
	if (!added && !nf && w->nodes[ni].child < 0) {
		uint64_t off;

		for (off = 0; off < 64 && off <= a; off += 8) {
			struct node proto = { .hop = HOP_UNTYPED, .addr = a - off, .off = off };

			if (!u64map__get(&w->by_map, a - off))
				add_node(w, &proto, ni);
		}
	}
}

struct scan {
	struct hw *w;
	bool globals;		/* a pass over .data/.bss */
	bool roots_only;	/* the last level: package-level variables and stacks only */
};

static void on_word(struct hw *w, const struct scan *sc, uint64_t a, uint64_t v)
{
	uintptr_t head = (uintptr_t)u64map__get(&w->level, v);
	int ni, gi = -1, ri = -1;

	if (!head)
		return;
	if (!sc->globals) {
		gi = hroots__goroutine(&w->r, a);
		if (gi >= 0 && a < w->r.gs[gi].sp)
			return;		/* below the live part of a stack: left over from returned frames */
		if (gi < 0)
			ri = hroots__span_find(w->granges, w->ngr, a);
	}
	for (ni = (int)head - 1; ni >= 0; ni = w->nodes[ni].next_lvl) {
		if (want_done(w, w->nodes[ni].want))
			continue;
		if (w->nodes[ni].hop == HOP_GROUP) {
			/* only the map's header holds its group */
			if (!sc->globals && gi < 0 && ri < 0)
				group_hit(w, ni, a);
			continue;
		}
		if (sc->globals)
			root_hit(w, ni, CLS_GLOBAL, a, -1);
		else if (gi >= 0)
			root_hit(w, ni, stack_class(w, gi, a), a, gi);
		else if (sc->roots_only)
			continue;
		else if (ri >= 0)
			value_hit(w, ni, a, &w->granges[ri]);
		else
			heap_hit(w, ni, a);
	}
}

static void scan_block(struct hw *w, const struct scan *sc, const uint8_t *b, size_t len, uint64_t base)
{
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t v = ht_get64(b + i), h;

		if (!v || (v & 7))
			continue;
		h = bloom_hash(v);
		if (!(w->bloom[h >> 3] & (1u << (h & 7))))
			continue;
		on_word(w, sc, base + i, v);
	}
}

static bool over(struct hw *w)
{
	if (gm_now_ns() > w->deadline)
		w->st->out_of_time = true;
	return w->st->out_of_time || w->rd->gone;
}

static void scan_range(struct hw *w, const struct scan *sc, uint64_t lo, uint64_t hi, uint64_t *budget)
{
	uint64_t a;

	for (a = lo; a < hi && !over(w); a += CHUNK) {
		size_t n = hi - a > CHUNK ? CHUNK : hi - a;

		if (budget) {
			if (*budget < n)
				return;
			*budget -= n;
		}
		w->buf_len = 0;
		if (!hread__read(w->rd, a, w->buf, n)) {
			w->buf_at = a;
			w->buf_len = n;
			scan_block(w, sc, w->buf, n, a);
		}
	}
}

static void scan_globals(struct hw *w)
{
	const struct goelf *elf = w->t->bin->elf;
	struct scan sc = { w, true, false };
	uint64_t budget = HOLDER_MAX_DATA_BYTES;
	size_t i;
	bool any = false;

	for (i = 0; i < goelf__section_cnt(elf); i++) {
		const struct goelf_section *s = goelf__section(elf, i);

		if (!s->addr || (strcmp(s->name, ".data") && strcmp(s->name, ".bss")))
			continue;
		any = true;
		scan_range(w, &sc, s->addr + w->t->bias, s->addr + w->t->bias + s->size, &budget);
	}
	for (i = 0; !any && i < goelf__segment_cnt(elf); i++) {
		const struct goelf_segment *sg = goelf__segment(elf, i);

		if (sg->type == PT_LOAD && (sg->flags & PF_W))
			scan_range(w, &sc, sg->vaddr + w->t->bias, sg->vaddr + w->t->bias + sg->memsz, &budget);
	}
}

/* One level: the nodes of depth lvl - 1 whose maps have no package-level root yet. */
static size_t run_level(struct hw *w, size_t from, size_t to)
{
	struct scan sc = { w, false, true };
	size_t i, cnt = 0;

	u64map__fini(&w->level);
	u64map__init(&w->level);
	memset(w->bloom, 0, sizeof(w->bloom));
	for (i = to; i-- > from;) {
		struct node *n = &w->nodes[i];
		uint64_t h;

		if (want_done(w, n->want))
			continue;
		n->next_lvl = (int)(uintptr_t)u64map__get(&w->level, n->addr) - 1;
		if (u64map__set(&w->level, n->addr, (void *)(uintptr_t)(i + 1)))
			continue;
		h = bloom_hash(n->addr);
		w->bloom[h >> 3] |= 1u << (h & 7);
		cnt++;
		/* nodes that can still be held by a heap object, or a group whose header is sought */
		if (n->depth < HOLDER_MAX_DEPTH || n->hop == HOP_GROUP)
			sc.roots_only = false;
	}
	if (!cnt)
		return 0;
	w->st->levels++;
	scan_globals(w);
	if (sc.roots_only) {
		for (i = 0; i < w->r.ngs && !over(w); i++)
			scan_range(w, &sc, w->r.gs[i].sp & ~7ULL, w->r.gs[i].hi, NULL);
	} else {
		for (i = 0; i < w->r.nruns && !over(w); i++)
			scan_range(w, &sc, w->r.runs[i].lo, w->r.runs[i].hi, NULL);
	}
	return cnt;
}

/* ---- naming the path ---- */

static void root_global_text(struct hw *w, uint64_t at, uint64_t ptype, char *name, size_t nlen,
			     char *text, size_t tlen, bool is_map)
{
	const struct goelf *elf = w->t->bin->elf;
	uint64_t link = at - w->t->bias, off = 0, st;
	char sym[160], sn[128], fn[80];

	if (!heapwalk__symbol_at(elf, link, sym, sizeof(sym), &off)) {
		heapwalk__section_at(elf, link, name, nlen);
		snprintf(text, tlen, "%s", name);
		return;
	}
	snprintf(name, nlen, "%s", sym);
	if (!off)
		snprintf(text, tlen, "%s", sym);
	else if (htypes__field_at(w->ht, ptype, off, &st, fn, sizeof(fn)) && is_map)
		snprintf(text, tlen, "%s.%s (%s)", sym, fn, htypes__name(w->ht, st, sn, sizeof(sn)));
	else if (htypes__field_at(w->ht, ptype, off, &st, fn, sizeof(fn)))
		snprintf(text, tlen, "%s.%s", sym, fn);
	else
		snprintf(text, tlen, "%s+%" PRIu64, sym, off);
}

static void hop_text(struct hw *w, const struct node *n, char *buf, size_t len)
{
	char sn[160], fn[80], fn2[80];
	const struct hmtype *mt;
	struct hmtype own;

	switch (n->hop) {
	case HOP_FIELD:
		htypes__name(w->ht, n->stype, sn, sizeof(sn));
		if (!htypes__read_name(w->ht, n->fname, fn, sizeof(fn)))
			snprintf(fn, sizeof(fn), "+%" PRIu64, n->off);
		if (n->fname2 && htypes__read_name(w->ht, n->fname2, fn2, sizeof(fn2)))
			snprintf(buf, len, " -> (*%.150s).%.40s.%.40s", sn, fn, fn2);
		else
			snprintf(buf, len, " -> (*%.150s).%.80s", sn, fn);
		return;
	case HOP_UNTYPED:
		snprintf(buf, len, " -> (object 0x%" PRIx64 ")+%" PRIu64, n->addr, n->off);
		return;
	case HOP_VALUE:
		mt = n->map >= 0 ? map_mt(w, n->map) : htypes__map_type(w->ht, n->mtype, &own) ? &own : NULL;
		if (w->keys && mt && mt->groupsize <= 65536) {
			uint8_t *g = malloc(mt->groupsize);
			const uint8_t *k;
			char key[HOLDER_KEY_TEXT];

			if (g && !hread__read(w->rd, n->group, g, mt->groupsize)) {
				k = w->ht->impl == GM_MAP_SWISS ? g + mt->keysoff + n->slot * mt->keystride
								: g + 8 + n->slot * mt->keysize;
				hslots__key_text(w->ht, mt, k, key, sizeof(key));
				snprintf(buf, len, "[%.160s]%s", key, n->off ? " (a field of the value)" : "");
				free(g);
				return;
			}
			free(g);
		}
		snprintf(buf, len, "[…]%s", n->off ? " (a field of the value)" : "");
		return;
	default:
		buf[0] = '\0';
	}
}

static void name_result(struct hw *w, struct hw_map *m, const struct best *b)
{
	const struct node *r = &w->nodes[b->node];
	char text[448], hop[256];
	size_t o;
	int i;

	m->depth = r->depth;
	if (b->cls == CLS_GLOBAL) {
		root_global_text(w, b->at, r->ptype, m->name, sizeof(m->name), text, sizeof(text), r->child < 0);
		m->kind = r->child < 0 ? HOLDER_GLOBAL : HOLDER_HEAP;
	} else {
		const struct hw_g *g = &w->r.gs[b->g];

		if (!hroots__frame(&w->r, w->t, w->rd, b->g, b->at, m->function, sizeof(m->function)))
			snprintf(m->function, sizeof(m->function), "?");
		m->goroutine = g->goid;
		snprintf(m->name, sizeof(m->name), "%s", m->function);
		snprintf(text, sizeof(text), "%s (goroutine %" PRIu64 ")", m->function, g->goid);
		m->kind = r->child < 0 ? HOLDER_STACK : HOLDER_HEAP;
	}
	if (m->kind == HOLDER_STACK) {
		m->path[0] = '\0';
		return;
	}
	o = (size_t)snprintf(m->path, sizeof(m->path), "%s", text);
	for (i = b->node; i >= 0 && w->nodes[i].child >= 0 && o < sizeof(m->path); i = w->nodes[i].child) {
		hop_text(w, &w->nodes[i], hop, sizeof(hop));
		o += (size_t)snprintf(m->path + o, sizeof(m->path) - o, "%s", hop);
	}
}

/* ---- the search ---- */

void heapwalk__run(struct target *t, struct htypes *ht, struct hw_map *maps, size_t n, bool keys,
		   uint64_t deadline_ns, struct hw_stats *st)
{
	struct hw *w = calloc(1, sizeof(*w));
	size_t i, from, to;

	memset(st, 0, sizeof(*st));
	if (!w)
		return;
	*w = (struct hw){ .t = t, .ht = ht, .rd = ht->rd, .maps = maps, .nmaps = n, .keys = keys,
			  .deadline = deadline_ns, .st = st,
			  .gobuf_ret = !go_buildinfo__at_least(&t->bin->bi, 1, 25) };
	u64map__init(&w->seen);
	u64map__init(&w->level);
	u64map__init(&w->sib);
	u64map__init(&w->by_map);
	w->best = calloc(n, sizeof(*w->best));
	w->mts = calloc(n, sizeof(*w->mts));
	w->mt_state = calloc(n, 1);
	w->buf = malloc(CHUNK);
	if (!w->best || !w->mts || !w->mt_state || !w->buf)
		goto out;
	/* the searched maps are the first nodes, at depth 0 */
	for (i = 0; i < n; i++) {
		w->best[i].cls = CLS_NONE;
		u64map__set(&w->by_map, maps[i].addr, (void *)1);
		if (!maps[i].wanted)
			continue;
		if (w->nn == w->ncap) {
			size_t cap = w->ncap ? w->ncap * 2 : 1024;
			struct node *nn = realloc(w->nodes, cap * sizeof(*nn));

			if (!nn)
				goto out;
			w->nodes = nn;
			w->ncap = cap;
		}
		w->nodes[w->nn] = (struct node){ .addr = maps[i].addr, .ptype = maps[i].type, .child = -1,
						 .want = (int32_t)i, .next_lvl = -1,
						 .next_seen = (int)(uintptr_t)u64map__get(&w->seen, maps[i].addr) - 1 };
		u64map__set(&w->seen, maps[i].addr, (void *)(uintptr_t)(w->nn + 1));
		w->nn++;
	}
	hroots__init(&w->r, t, w->rd, w->gobuf_ret, w->buf, CHUNK);
	st->heap_bytes = w->r.heap_bytes;
	st->heap_cut = w->r.heap_cut;
	st->no_pagemap = w->r.no_pagemap;
	st->allgs_found = w->r.allgs_found;
	st->goroutines = w->r.ngs;
	find_granges(w);
	for (from = 0, to = w->nn, w->lvl = 1; from < to && w->lvl <= MAX_LEVELS && !over(w); w->lvl++) {
		run_level(w, from, to);
		from = to;
		to = w->nn;
	}
	for (i = 0; i < n; i++) {
		if (maps[i].wanted && w->best[i].cls != CLS_NONE)
			name_result(w, &maps[i], &w->best[i]);
	}
	st->nodes = w->nn;
out:
	st->peak = CHUNK + w->ncap * sizeof(struct node) + hroots__held(&w->r) +
		   HOLDER_MAX_GROUP_RANGES * sizeof(struct hspan) +
		   (w->seen.cap + w->level.cap + w->sib.cap + w->by_map.cap) * 16 +
		   n * (sizeof(struct best) + sizeof(struct hmtype) + 1) + sizeof(*w);
	u64map__fini(&w->seen);
	u64map__fini(&w->level);
	u64map__fini(&w->sib);
	u64map__fini(&w->by_map);
	free(w->best);
	free(w->mts);
	free(w->mt_state);
	free(w->buf);
	free(w->nodes);
	hroots__fini(&w->r);
	free(w->granges);
	free(w);
}
