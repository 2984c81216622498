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
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heapwalk.h"
#include "holder_slots.h"

#define CHUNK		(1u << 20)
#define MAX_ANON	4096
#define MAX_RUNS	65536u
#define PAGE		4096u
#define BLOOM_BITS	(1u << 16)
#define VALIDATE_MAX	1024u	/* bytes of a supposed object read to check its fields */
#define ALLGS_TRIES	64	/* .bss slices tried as runtime.allgs when stripped */

/* runtime/runtime2.go: g.sched (a gobuf) after stack, stackguard0/1, _panic, _defer, m */
#define G_SCHED		56
#define GOBUF_SP	0
#define GOBUF_PC	8
#define GOBUF_G		16
#define GOBUF_BP_RET	48	/* Go <= 1.24: sp pc g ctxt ret lr bp */
#define GOBUF_BP	40	/* Go >= 1.25: sp pc g ctxt lr bp */
#define G_SCAN		0x1000	/* _Gscan */

enum { HOP_NONE, HOP_FIELD, HOP_VALUE, HOP_UNTYPED };
/* Roots, best first: the longest-lived (runtime frames hold user pointers only briefly, or stale) */
enum { CLS_GLOBAL, CLS_MAIN, CLS_STACK, CLS_RUNTIME_FRAME, CLS_NONE };

struct node {
	uint64_t addr;		/* searched for: a map header or an object's start */
	uint64_t ptype;		/* type of a pointer to it (a map type, or *S); 0 unknown */
	uint64_t stype;		/* an object: its struct type */
	uint64_t off;		/* how it holds child: FIELD/UNTYPED: offset; VALUE: in the value */
	uint64_t fname, fname2;	/* FIELD: the field (fname2: the inner one when nested) */
	uint64_t group;		/* VALUE: the group/bucket holding the slot */
	int32_t child, want;	/* the node it holds (-1: a searched map), the map at the end */
	int32_t next_lvl, next_seen;	/* chains by address: this level, all levels */
	int32_t map;		/* VALUE: the container among maps */
	int16_t slot;
	uint16_t depth;		/* heap objects from it to its map, itself included */
	uint8_t hop;
};

struct best {
	int cls, node, g;	/* class (CLS_*), the node the root holds, the goroutine */
	uint64_t at;		/* the root word's address */
};

struct span {
	uint64_t lo, hi;
	int map;		/* granges: the tracked map whose slots these are */
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
	struct span anon[MAX_ANON], own[16];
	int nanon, nown;
	struct span *runs, *granges;
	size_t nruns, ngr;
	struct hmtype *mts;
	uint8_t *mt_state;	/* 0 untried, 1 read, 2 unreadable */
	struct hw_g *gs;
	size_t ngs;
	uint8_t *buf;
	int lvl;
};

/* ---- pure parts ---- */

bool heapwalk__symbol_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len, uint64_t *off)
{
	const struct goelf_section *sym = goelf__section_by_name(elf, ".symtab");
	const struct goelf_section *str = goelf__section_by_name(elf, ".strtab");
	const uint8_t *sd, *sn;
	size_t i, n;

	if (!sym || !str)
		return false;
	sd = goelf__section_data(elf, sym);
	sn = goelf__section_data(elf, str);
	if (!sd || !sn)
		return false;
	n = sym->size / sizeof(Elf64_Sym);
	/*
	 * A sized symbol that contains vaddr; the linker's zero-size section
	 * markers (runtime.bss, runtime.data, ...) sit at the same addresses
	 * and name nothing.
	 */
	for (i = 1; i < n; i++) {
		Elf64_Sym s;

		memcpy(&s, sd + i * sizeof(s), sizeof(s));
		if (ELF64_ST_TYPE(s.st_info) != STT_OBJECT || s.st_name >= str->size || !s.st_size)
			continue;
		if (vaddr < s.st_value || vaddr - s.st_value >= s.st_size)
			continue;
		if (!memchr(sn + s.st_name, '\0', str->size - s.st_name))
			continue;
		snprintf(buf, len, "%s", (const char *)sn + s.st_name);
		*off = vaddr - s.st_value;
		return true;
	}
	return false;
}

void heapwalk__section_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < goelf__section_cnt(elf); i++) {
		const struct goelf_section *s = goelf__section(elf, i);

		if (s->addr && vaddr >= s->addr && vaddr < s->addr + s->size) {
			snprintf(buf, len, "package-level variable (%s+0x%" PRIx64 ")", s->name, vaddr - s->addr);
			return;
		}
	}
	snprintf(buf, len, "package-level variable (0x%" PRIx64 ")", vaddr);
}

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

size_t heapwalk__g_len(const struct gm_layout *lay)
{
	size_t n = G_SCHED + GOBUF_BP_RET + 8;

	if (lay->g_goid_off != GM_OFF_ABSENT && (size_t)lay->g_goid_off + 8 > n)
		n = lay->g_goid_off + 8;
	return n;
}

bool heapwalk__g_decode(const struct gm_layout *lay, bool gobuf_ret, uint64_t g, const uint8_t *b,
			size_t len, struct hw_g *out)
{
	uint64_t size;
	uint32_t st;

	if (lay->g_goid_off == GM_OFF_ABSENT || lay->g_goid_off < 8 || len < heapwalk__g_len(lay) ||
	    (size_t)lay->g_stack_lo_off + 8 > len || (size_t)lay->g_stack_hi_off + 8 > len)
		return false;
	memset(out, 0, sizeof(*out));
	out->g = g;
	out->lo = ht_get64(b + lay->g_stack_lo_off);
	out->hi = ht_get64(b + lay->g_stack_hi_off);
	out->sp = ht_get64(b + G_SCHED + GOBUF_SP);
	out->pc = ht_get64(b + G_SCHED + GOBUF_PC);
	out->bp = ht_get64(b + G_SCHED + (gobuf_ret ? GOBUF_BP_RET : GOBUF_BP));
	out->goid = ht_get64(b + lay->g_goid_off);
	memcpy(&st, b + lay->g_goid_off - 8, 4);
	out->status = st;
	size = out->hi - out->lo;
	return out->lo && out->lo < out->hi && size >= 2048 && size <= (1u << 30) && !(size & (size - 1)) &&
	       ht_get64(b + G_SCHED + GOBUF_G) == g && out->goid < (1ULL << 48);
}

bool heapwalk__g_live(const struct hw_g *g)
{
	switch (g->status & ~G_SCAN) {
	case 1:	/* runnable */
	case 2:	/* running */
	case 3:	/* syscall */
	case 4:	/* waiting */
	case 8:	/* copystack */
	case 9:	/* preempted */
	case 10: /* leaked (Go 1.26+ leak detection): its stack still holds what it held */
		return true;
	default:
		return false;
	}
}

/* ---- where things are ---- */

static int span_find(const struct span *s, size_t n, uint64_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < s[mid].lo)
			hi = mid;
		else if (v >= s[mid].hi)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -1;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool in_own(const struct hw *w, uint64_t a)
{
	int i;

	for (i = 0; i < w->nown; i++)
		if (a >= w->own[i].lo && a < w->own[i].hi)
			return true;
	return false;
}

static int add_anon(const struct target_mapping *m, void *ctx)
{
	struct hw *w = ctx;

	/* nameless (or named by the runtime, "[anon: Go: heap]") anonymous read-write memory */
	if (m->ino || strncmp(m->perms, "rw", 2) || (*m->path && strncmp(m->path, "[anon:", 6)))
		return 0;
	w->anon[w->nanon].lo = m->start;
	w->anon[w->nanon].hi = m->end;
	return ++w->nanon >= MAX_ANON;
}

/* A value that can be a pointer of this process: anonymous memory or the executable's image. */
static bool plausible_ptr(const struct hw *w, uint64_t v)
{
	return span_find(w->anon, (size_t)w->nanon, v) >= 0 || in_own(w, v);
}

static int add_run(struct hw *w, uint64_t lo, uint64_t hi)
{
	if (w->nruns && w->runs[w->nruns - 1].hi == lo) {
		w->runs[w->nruns - 1].hi = hi;
		return 0;
	}
	if (w->nruns >= MAX_RUNS)
		return -E2BIG;
	w->runs[w->nruns].lo = lo;
	w->runs[w->nruns++].hi = hi;
	return 0;
}

/* The heap memory to scan: anonymous pages present in RAM, not the executable's own. */
static void find_runs(struct hw *w)
{
	char path[TARGET_PATH_MAX];
	uint64_t total = 0, pm[512];
	int fd, i;

	w->runs = calloc(MAX_RUNS, sizeof(*w->runs));
	if (!w->runs)
		return;
	target__proc_path(path, sizeof(path), w->t->pid, "pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	w->st->no_pagemap = fd < 0;
	for (i = 0; i < w->nanon && !w->st->heap_cut; i++) {
		uint64_t a = w->anon[i].lo;

		while (a < w->anon[i].hi && !w->st->heap_cut) {
			size_t n = (w->anon[i].hi - a) / PAGE, k;

			if (n > 512)
				n = 512;
			if (fd < 0) {
				for (k = 0; k < n; k++)
					pm[k] = 1ULL << 63;
			} else if (pread(fd, pm, n * 8, (off_t)(a / PAGE * 8)) != (ssize_t)(n * 8)) {
				break;
			}
			for (k = 0; k < n; k++, a += PAGE) {
				/* present, not swapped (a read would swap it in) */
				if (!(pm[k] >> 63) || ((pm[k] >> 62) & 1) || in_own(w, a))
					continue;
				if (total + PAGE > HOLDER_MAX_HEAP_BYTES || add_run(w, a, a + PAGE)) {
					w->st->heap_cut = true;
					break;
				}
				total += PAGE;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	w->st->heap_bytes = total;
}

/* ---- goroutines ---- */

static int g_cmp(const void *a, const void *b)
{
	const struct hw_g *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* allgs = (p, n, c): its first g is the main goroutine (id 1), the second another. */
static bool allgs_ok(struct hw *w, uint64_t p, uint64_t n, uint64_t c)
{
	const struct gm_layout *lay = w->ht->lay;
	size_t glen = heapwalk__g_len(lay);
	uint64_t gp[2];
	uint8_t b[512];
	struct hw_g g;
	int i;

	if (!p || (p & 7) || !n || n > c || c > 4ULL * HOLDER_MAX_GOROUTINES || glen > sizeof(b) ||
	    span_find(w->anon, (size_t)w->nanon, p) < 0 || hread__read(w->rd, p, gp, n > 1 ? 16 : 8))
		return false;
	for (i = 0; i < (n > 1 ? 2 : 1); i++) {
		if (hread__read(w->rd, gp[i], b, glen) || !heapwalk__g_decode(lay, w->gobuf_ret, gp[i], b, glen, &g))
			return false;
		if ((i == 0) != (g.goid == 1))
			return false;
	}
	return true;
}

static bool find_allgs(struct hw *w, uint64_t *p, uint64_t *n)
{
	const struct goelf *elf = w->t->bin->elf;
	uint64_t a, size, s[3];
	size_t sec;
	int tries = 0;

	if (!goelf__symbol(elf, "runtime.allgs", &a, &size) && size >= 24) {
		if (!hread__read(w->rd, a + w->t->bias, s, sizeof(s)) && allgs_ok(w, s[0], s[1], s[2])) {
			*p = s[0];
			*n = s[1];
			return true;
		}
		return false;
	}
	/* stripped: a slice in .bss whose elements are gs */
	for (sec = 0; sec < goelf__section_cnt(elf); sec++) {
		const struct goelf_section *gs = goelf__section(elf, sec);
		uint64_t o;

		if (!gs->addr || strcmp(gs->name, ".bss"))
			continue;
		for (o = 0; o < gs->size && tries < ALLGS_TRIES; o += CHUNK) {
			size_t len = gs->size - o > CHUNK ? CHUNK : gs->size - o, i;

			if (hread__read(w->rd, gs->addr + w->t->bias + o, w->buf, len))
				continue;
			for (i = 0; i + 24 <= len && tries < ALLGS_TRIES; i += 8) {
				uint64_t sp = ht_get64(w->buf + i), sn = ht_get64(w->buf + i + 8),
					 sc = ht_get64(w->buf + i + 16);

				if (!sp || (sp & 7) || sn < 2 || sn > sc || sc > 4ULL * HOLDER_MAX_GOROUTINES ||
				    span_find(w->anon, (size_t)w->nanon, sp) < 0)
					continue;
				tries++;
				if (allgs_ok(w, sp, sn, sc)) {
					*p = sp;
					*n = sn;
					return true;
				}
			}
		}
	}
	return false;
}

static void find_goroutines(struct hw *w)
{
	const struct gm_layout *lay = w->ht->lay;
	size_t glen = heapwalk__g_len(lay), i, k;
	uint64_t p, n, *gp = NULL;
	uint8_t *hb = NULL;
	bool *ok = NULL;

	if (!find_allgs(w, &p, &n))
		return;
	w->st->allgs_found = true;
	if (n > HOLDER_MAX_GOROUTINES)
		n = HOLDER_MAX_GOROUTINES;
	gp = malloc(n * 8);
	hb = malloc(n * glen);
	ok = malloc(n);
	w->gs = calloc(n, sizeof(*w->gs));
	if (!gp || !hb || !ok || !w->gs || hread__read(w->rd, p, gp, n * 8))
		goto out;
	if (gomap__read_many(w->rd->mem, w->rd->pid, gp, n, glen, hb, ok) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct hw_g *g = &w->gs[w->ngs];

		if (!ok[i])
			continue;
		w->rd->bytes += glen;
		if (!heapwalk__g_decode(lay, w->gobuf_ret, gp[i], hb + i * glen, glen, g) || !heapwalk__g_live(g))
			continue;
		/* the live part: from where it last stopped; a stale sp leaves the goroutine out */
		if (g->sp < g->lo || g->sp >= g->hi)
			continue;
		w->ngs++;
	}
	qsort(w->gs, w->ngs, sizeof(*w->gs), g_cmp);
	/* stacks do not overlap; drop any that would (a g read mid-change) */
	for (i = 0, k = 0; i < w->ngs; i++)
		if (!k || w->gs[i].lo >= w->gs[k - 1].hi)
			w->gs[k++] = w->gs[i];
	w->ngs = k;
	w->st->goroutines = k;
out:
	free(gp);
	free(hb);
	free(ok);
}

static int g_find(const struct hw *w, uint64_t a)
{
	size_t lo = 0, hi = w->ngs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a < w->gs[mid].lo)
			hi = mid;
		else if (a >= w->gs[mid].hi)
			lo = mid + 1;
		else
			return (int)mid;
	}
	return -1;
}

/* The function whose frame holds stack address a of goroutine g (frame-pointer chain). */
static bool frame_of(struct hw *w, const struct hw_g *g, uint64_t a, char *buf, size_t len)
{
	uint64_t pc = g->pc, sp = g->sp, bp = g->bp, fr[2];
	struct pcln_frame frames[8];
	int k, n;

	for (k = 0; k < 256 && pc; k++) {
		if (bp < sp || bp + 16 > g->hi)
			return false;
		if (a < bp + 16) {
			n = target__symbolize(w->t, pc, true, frames, 8);
			if (n <= 0 || !frames[n - 1].function)
				return false;
			snprintf(buf, len, "%s", frames[n - 1].function);
			return true;
		}
		if (hread__read(w->rd, bp, fr, sizeof(fr)) || fr[0] <= bp)
			return false;
		sp = bp + 16;
		pc = fr[1];
		bp = fr[0];
	}
	return false;
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

	if (!frame_of(w, &w->gs[gi], a, fn, sizeof(fn)) || !strncmp(fn, "runtime.", 8) ||
	    !strncmp(fn, "internal/runtime/", 17) || !strncmp(fn, "runtime/internal/", 17))
		return CLS_RUNTIME_FRAME;
	return w->gs[gi].goid == 1 ? CLS_MAIN : CLS_STACK;
}

/* ---- the slots of tracked maps ---- */

static int add_grange(uint64_t lo, uint64_t hi, void *ctx)
{
	struct hw *w = ctx;

	if (w->ngr >= HOLDER_MAX_GROUP_RANGES || hi <= lo)
		return 1;
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
	qsort(w->granges, w->ngr, sizeof(*w->granges), span_cmp);
	/* a map read mid-growth can overlap another: keep the first */
	for (i = 0, k = 0; i < w->ngr; i++)
		if (!k || w->granges[i].lo >= w->granges[k - 1].hi)
			w->granges[k++] = w->granges[i];
	w->ngr = k;
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

	if (cls < b->cls) {
		b->cls = cls;
		b->node = ni;
		b->at = at;
		b->g = g;
	}
}

/* A supposed object of struct type s at start: do its pointer, string and slice fields look right? */
static bool object_ok(struct hw *w, uint64_t s, uint64_t start)
{
	const struct htinfo *ti = htypes__info(w->ht, s), *ft;
	uint8_t b[VALIDATE_MAX];
	uint64_t len, i, name, typ, off;

	if (!ti)
		return false;
	len = ti->size < sizeof(b) ? ti->size : sizeof(b);
	if (hread__read(w->rd, start, b, len))
		return false;
	for (i = 0; i < ti->nfields; i++) {
		uint64_t v;

		if (!htypes__struct_field(w->ht, ti, i, &name, &typ, &off) || off + 8 > len)
			break;
		ft = htypes__info(w->ht, typ);
		if (!ft)
			continue;
		v = ht_get64(b + off);
		switch (ft->kind) {
		case K_MAP: case K_CHAN:	/* runtime structures: 8-aligned */
			if (v && ((v & 7) || !plausible_ptr(w, v)))
				return false;
			break;
		case K_POINTER: case K_FUNC:
			if (v && !plausible_ptr(w, v))
				return false;
			break;
		case K_STRING: case K_SLICE:
			if (off + 16 > len)
				break;
			if (v ? !plausible_ptr(w, v) && ht_get64(b + off + 8) : ht_get64(b + off + 8) != 0)
				return false;
			break;
		default:
			break;
		}
	}
	return true;
}

/* Siblings: objects of one type at one offset holding the same node. */
static bool sibling_ok(struct hw *w, int child, uint64_t s, uint64_t off)
{
	uint64_t k = ((uint64_t)child * 0x9E3779B97F4A7C15ULL) ^ (s * 31) ^ (off << 40);
	uintptr_t cnt = (uintptr_t)u64map__get(&w->sib, k);

	if (cnt >= HOLDER_MAX_SIBLINGS)
		return false;
	u64map__set(&w->sib, k, (void *)(cnt + 1));
	return true;
}

/* Word at a holds node ni, in a value slot of the map whose slots span gr. */
static void value_hit(struct hw *w, int ni, uint64_t a, const struct span *gr)
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
	proto.hop = HOP_VALUE;
	proto.off = pos.off;
	proto.group = g;
	proto.slot = (int16_t)pos.slot;
	proto.map = gr->map;
	add_node(w, &proto, ni);
}

/* Word at a holds node ni somewhere in the heap: the objects whose field it can be. */
static void heap_hit(struct hw *w, int ni, uint64_t a)
{
	const struct hfield *f, *g;
	size_t nf = htypes__fields_of(w->ht, w->nodes[ni].ptype, &f), i, ng, k;
	int added = 0;

	for (i = 0; i < nf && gm_now_ns() <= w->deadline; i++) {
		struct node proto = { .hop = HOP_FIELD };
		uint64_t start;

		if (f[i].off > a)
			continue;
		start = a - f[i].off;
		if (u64map__get(&w->by_map, start) || !sibling_ok(w, ni, f[i].stype, f[i].off) ||
		    !object_ok(w, f[i].stype, start))
			continue;
		proto.addr = start;
		proto.ptype = htypes__ptr_to(w->ht, f[i].stype);
		proto.stype = f[i].stype;
		proto.off = f[i].off;
		proto.fname = f[i].name;
		added += add_node(w, &proto, ni) >= 0;
		/* that struct held inline in another, one level */
		ng = htypes__fields_of(w->ht, f[i].stype, &g);
		for (k = 0; k < ng && k < 16; k++) {
			if (g[k].off > start || !sibling_ok(w, ni, g[k].stype, g[k].off + f[i].off) ||
			    !object_ok(w, g[k].stype, start - g[k].off))
				continue;
			proto.addr = start - g[k].off;
			proto.ptype = htypes__ptr_to(w->ht, g[k].stype);
			proto.stype = g[k].stype;
			proto.off = g[k].off + f[i].off;
			proto.fname = g[k].name;
			proto.fname2 = f[i].name;
			added += add_node(w, &proto, ni) >= 0;
		}
	}
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
		gi = g_find(w, a);
		if (gi >= 0 && a < w->gs[gi].sp)
			return;		/* below the live part of a stack: left over from returned frames */
		if (gi < 0)
			ri = span_find(w->granges, w->ngr, a);
	}
	for (ni = (int)head - 1; ni >= 0; ni = w->nodes[ni].next_lvl) {
		if (want_done(w, w->nodes[ni].want))
			continue;
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
		if (!hread__read(w->rd, a, w->buf, n))
			scan_block(w, sc, w->buf, n, a);
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
	struct scan sc = { w, false, w->lvl > HOLDER_MAX_DEPTH };
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
	}
	if (!cnt)
		return 0;
	w->st->levels++;
	scan_globals(w);
	if (sc.roots_only) {
		for (i = 0; i < w->ngs && !over(w); i++)
			scan_range(w, &sc, w->gs[i].sp & ~7ULL, w->gs[i].hi, NULL);
	} else {
		for (i = 0; i < w->nruns && !over(w); i++)
			scan_range(w, &sc, w->runs[i].lo, w->runs[i].hi, NULL);
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
		mt = map_mt(w, n->map);
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
		const struct hw_g *g = &w->gs[b->g];

		if (!frame_of(w, g, b->at, m->function, sizeof(m->function)))
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
	for (i = 0; i < goelf__segment_cnt(t->bin->elf); i++) {
		const struct goelf_segment *sg = goelf__segment(t->bin->elf, i);

		if (sg->type == PT_LOAD && w->nown < (int)(sizeof(w->own) / sizeof(w->own[0]))) {
			w->own[w->nown].lo = (sg->vaddr & ~(uint64_t)(PAGE - 1)) + t->bias;
			w->own[w->nown++].hi = ((sg->vaddr + sg->memsz + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + t->bias;
		}
	}
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
	if (target__each_mapping(t->pid, add_anon, w) < 0)
		w->nanon = 0;
	qsort(w->anon, (size_t)w->nanon, sizeof(w->anon[0]), span_cmp);
	find_runs(w);
	find_goroutines(w);
	find_granges(w);
	for (from = 0, to = w->nn, w->lvl = 1; from < to && w->lvl <= HOLDER_MAX_DEPTH + 1 && !over(w); w->lvl++) {
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
	st->peak = CHUNK + w->ncap * sizeof(struct node) + MAX_RUNS * sizeof(struct span) +
		   HOLDER_MAX_GROUP_RANGES * sizeof(struct span) + w->ngs * sizeof(struct hw_g) +
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
	free(w->runs);
	free(w->granges);
	free(w->gs);
	free(w);
}
