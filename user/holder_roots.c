// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder_roots: the memory, goroutines and variables of a running Go
 * process, for the holder search.  See holder_roots.h.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "holder.h"
#include "holder_roots.h"

#define PAGE		4096u
#define ALLGS_TRIES	64	/* .bss slices tried as runtime.allgs when stripped */

/* runtime/runtime2.go: g.sched (a gobuf) after stack, stackguard0/1, _panic, _defer, m */
#define G_SCHED		56
#define GOBUF_SP	0
#define GOBUF_PC	8
#define GOBUF_G		16
#define GOBUF_BP_RET	48	/* Go <= 1.24: sp pc g ctxt ret lr bp */
#define GOBUF_BP	40	/* Go >= 1.25: sp pc g ctxt lr bp */
#define G_SCAN		0x1000	/* _Gscan */

/* ---- pure parts ---- */

bool heapwalk__symbol_at(const struct goelf *elf, uint64_t vaddr, char *buf, size_t len, uint64_t *off)
{
	const char *name = goelf__object_at(elf, vaddr, off);

	if (!name)
		return false;
	snprintf(buf, len, "%s", name);
	return true;
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

int hroots__span_find(const struct hspan *s, size_t n, uint64_t v)
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

int hroots__span_cmp(const void *a, const void *b)
{
	const struct hspan *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool in_own(const struct hroots *w, uint64_t a)
{
	int i;

	for (i = 0; i < w->nown; i++)
		if (a >= w->own[i].lo && a < w->own[i].hi)
			return true;
	return false;
}

static int add_anon(const struct target_mapping *m, void *ctx)
{
	struct hroots *w = ctx;

	/* nameless (or named by the runtime, "[anon: Go: heap]") anonymous read-write memory */
	if (m->ino || strncmp(m->perms, "rw", 2) || (*m->path && strncmp(m->path, "[anon:", 6)))
		return 0;
	w->anon[w->nanon].lo = m->start;
	w->anon[w->nanon].hi = m->end;
	return ++w->nanon >= HROOTS_MAX_ANON;
}

bool hroots__plausible(const struct hroots *w, uint64_t v)
{
	return hroots__span_find(w->anon, (size_t)w->nanon, v) >= 0 || in_own(w, v);
}

static int add_run(struct hroots *w, uint64_t lo, uint64_t hi)
{
	if (w->nruns && w->runs[w->nruns - 1].hi == lo) {
		w->runs[w->nruns - 1].hi = hi;
		return 0;
	}
	if (w->nruns >= HROOTS_MAX_RUNS)
		return -E2BIG;
	w->runs[w->nruns].lo = lo;
	w->runs[w->nruns++].hi = hi;
	return 0;
}

/* The heap memory to scan: anonymous pages present in RAM, not the executable's own. */
static void find_runs(struct hroots *w, pid_t pid)
{
	char path[TARGET_PATH_MAX];
	uint64_t total = 0, pm[512];
	int fd, i;

	w->runs = calloc(HROOTS_MAX_RUNS, sizeof(*w->runs));
	if (!w->runs)
		return;
	target__proc_path(path, sizeof(path), pid, "pagemap");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	w->no_pagemap = fd < 0;
	for (i = 0; i < w->nanon && !w->heap_cut; i++) {
		uint64_t a = w->anon[i].lo;

		while (a < w->anon[i].hi && !w->heap_cut) {
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
					w->heap_cut = true;
					break;
				}
				total += PAGE;
			}
		}
	}
	if (fd >= 0)
		close(fd);
	w->heap_bytes = total;
}

/* ---- goroutines ---- */

static int g_cmp(const void *a, const void *b)
{
	const struct hw_g *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* allgs = (p, n, c): its first g is the main goroutine (id 1), the second another. */
static bool allgs_ok(struct hroots *w, struct hread *rd, const struct gm_layout *lay, bool gobuf_ret, uint64_t p,
		     uint64_t n, uint64_t c)
{
	size_t glen = heapwalk__g_len(lay);
	uint64_t gp[2];
	uint8_t b[512];
	struct hw_g g;
	int i;

	if (!p || (p & 7) || !n || n > c || c > 4ULL * HOLDER_MAX_GOROUTINES || glen > sizeof(b) ||
	    hroots__span_find(w->anon, (size_t)w->nanon, p) < 0 || hread__read(rd, p, gp, n > 1 ? 16 : 8))
		return false;
	for (i = 0; i < (n > 1 ? 2 : 1); i++) {
		if (hread__read(rd, gp[i], b, glen) || !heapwalk__g_decode(lay, gobuf_ret, gp[i], b, glen, &g))
			return false;
		if ((i == 0) != (g.goid == 1))
			return false;
	}
	return true;
}

static bool find_allgs(struct hroots *w, struct target *t, struct hread *rd, bool gobuf_ret, uint8_t *buf,
		       size_t chunk, uint64_t *p, uint64_t *n)
{
	const struct gm_layout *lay = &t->bin->plan->layout;
	const struct goelf *elf = t->bin->elf;
	uint64_t a, size, s[3];
	size_t sec;
	int tries = 0;

	if (!goelf__symbol(elf, "runtime.allgs", &a, &size) && size >= 24) {
		if (!hread__read(rd, a + t->bias, s, sizeof(s)) && allgs_ok(w, rd, lay, gobuf_ret, s[0], s[1], s[2])) {
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
		for (o = 0; o < gs->size && tries < ALLGS_TRIES; o += chunk) {
			size_t len = gs->size - o > chunk ? chunk : gs->size - o, i;

			if (hread__read(rd, gs->addr + t->bias + o, buf, len))
				continue;
			for (i = 0; i + 24 <= len && tries < ALLGS_TRIES; i += 8) {
				uint64_t sp = ht_get64(buf + i), sn = ht_get64(buf + i + 8),
					 sc = ht_get64(buf + i + 16);

				if (!sp || (sp & 7) || sn < 2 || sn > sc || sc > 4ULL * HOLDER_MAX_GOROUTINES ||
				    hroots__span_find(w->anon, (size_t)w->nanon, sp) < 0)
					continue;
				tries++;
				if (allgs_ok(w, rd, lay, gobuf_ret, sp, sn, sc)) {
					*p = sp;
					*n = sn;
					return true;
				}
			}
		}
	}
	return false;
}

static void find_goroutines(struct hroots *w, struct target *t, struct hread *rd, bool gobuf_ret, uint8_t *buf,
			    size_t chunk)
{
	const struct gm_layout *lay = &t->bin->plan->layout;
	size_t glen = heapwalk__g_len(lay), i, k;
	uint64_t p, n, *gp = NULL;
	uint8_t *hb = NULL;
	bool *ok = NULL;

	if (!find_allgs(w, t, rd, gobuf_ret, buf, chunk, &p, &n))
		return;
	w->allgs_found = true;
	if (n > HOLDER_MAX_GOROUTINES)
		n = HOLDER_MAX_GOROUTINES;
	gp = malloc(n * 8);
	hb = malloc(n * glen);
	ok = malloc(n);
	w->gs = calloc(n, sizeof(*w->gs));
	if (!gp || !hb || !ok || !w->gs || hread__read(rd, p, gp, n * 8))
		goto out;
	if (gomap__read_many(rd->mem, rd->pid, gp, n, glen, hb, ok) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct hw_g *g = &w->gs[w->ngs];

		if (!ok[i])
			continue;
		rd->bytes += glen;
		if (!heapwalk__g_decode(lay, gobuf_ret, gp[i], hb + i * glen, glen, g) || !heapwalk__g_live(g))
			continue;
		/*
		 * The live part: from where it last stopped.  A running goroutine
		 * has no saved sp (gogo clears it): its whole stack is taken, and
		 * its frames are found by their records (hroots__frame).
		 */
		if (g->sp < g->lo || g->sp >= g->hi) {
			g->sp = g->lo;
			g->pc = g->bp = 0;
			g->running = true;
		}
		w->ngs++;
	}
	qsort(w->gs, w->ngs, sizeof(*w->gs), g_cmp);
	/* stacks do not overlap; drop any that would (a g read mid-change) */
	for (i = 0, k = 0; i < w->ngs; i++)
		if (!k || w->gs[i].lo >= w->gs[k - 1].hi)
			w->gs[k++] = w->gs[i];
	w->ngs = k;
out:
	free(gp);
	free(hb);
	free(ok);
}

int hroots__goroutine(const struct hroots *w, uint64_t a)
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

/* The physical function of return address pc (the outermost of its inlined frames). */
static bool function_at(const struct target *t, uint64_t pc, char *buf, size_t len)
{
	struct pcln_frame frames[8];
	int n = target__symbolize(t, pc, true, frames, 8);

	if (n <= 0 || !frames[n - 1].function)
		return false;
	snprintf(buf, len, "%s", frames[n - 1].function);
	return true;
}

static bool in_text(const struct hroots *w, uint64_t pc)
{
	return pc >= w->text.lo && pc < w->text.hi;
}

/*
 * A running goroutine: no saved pc, sp or bp.  The frame holding a is the
 * one whose record (saved caller BP, return address) is the first above
 * a; its function is where the return address just below it points: the
 * record of its callee, whose saved BP is that record's address.  The
 * innermost frame has no callee: not named.
 */
static bool frame_running(const struct hroots *w, const struct target *t, struct hread *rd,
			  const struct hw_g *g, uint64_t a, char *buf, size_t len)
{
	uint64_t lo = g->lo, n = g->hi - g->lo, x, y, rec = 0, *st;
	bool ok = false;

	if (n > HROOTS_MAX_STACK_READ || a < lo || a >= g->hi || !(st = malloc(n)))
		return false;
	if (hread__read(rd, lo, st, n))
		goto out;
	for (x = (a - lo) / 8 * 8; x + 16 <= n; x += 8) {
		uint64_t sbp = st[x / 8], ret = st[x / 8 + 1];

		if (sbp > lo + x && sbp < g->hi && in_text(w, ret)) {
			rec = lo + x;
			break;
		}
	}
	for (y = (a - lo) / 8 * 8; rec && y >= 8; y -= 8) {
		if (st[y / 8 - 1] == rec && y / 8 < n / 8 && in_text(w, st[y / 8])) {
			ok = function_at(t, st[y / 8], buf, len);
			break;
		}
	}
out:
	free(st);
	return ok;
}

bool hroots__frame(const struct hroots *w, const struct target *t, struct hread *rd, int gi, uint64_t a,
		   char *buf, size_t len)
{
	const struct hw_g *g = &w->gs[gi];
	uint64_t pc = g->pc, sp = g->sp, bp = g->bp, fr[2];
	int k;

	if (!pc)
		return frame_running(w, t, rd, g, a, buf, len);
	for (k = 0; k < 256 && pc; k++) {
		if (bp < sp || bp + 16 > g->hi)
			return false;
		if (a < bp + 16)
			return function_at(t, pc, buf, len);
		if (hread__read(rd, bp, fr, sizeof(fr)) || fr[0] <= bp)
			return false;
		sp = bp + 16;
		pc = fr[1];
		bp = fr[0];
	}
	return false;
}

void hroots__init(struct hroots *r, struct target *t, struct hread *rd, bool gobuf_ret, uint8_t *buf,
		  size_t chunk)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < goelf__segment_cnt(t->bin->elf); i++) {
		const struct goelf_segment *sg = goelf__segment(t->bin->elf, i);

		if (sg->type == PT_LOAD && (sg->flags & PF_X) && !r->text.hi) {
			r->text.lo = sg->vaddr + t->bias;
			r->text.hi = sg->vaddr + sg->memsz + t->bias;
		}
		if (sg->type == PT_LOAD && r->nown < (int)(sizeof(r->own) / sizeof(r->own[0]))) {
			r->own[r->nown].lo = (sg->vaddr & ~(uint64_t)(PAGE - 1)) + t->bias;
			r->own[r->nown++].hi = ((sg->vaddr + sg->memsz + PAGE - 1) & ~(uint64_t)(PAGE - 1)) + t->bias;
		}
	}
	if (target__each_mapping(t->pid, add_anon, r) < 0)
		r->nanon = 0;
	qsort(r->anon, (size_t)r->nanon, sizeof(r->anon[0]), hroots__span_cmp);
	find_runs(r, t->pid);
	find_goroutines(r, t, rd, gobuf_ret, buf, chunk);
}

void hroots__fini(struct hroots *r)
{
	free(r->runs);
	free(r->gs);
	r->runs = NULL;
	r->gs = NULL;
}

uint64_t hroots__held(const struct hroots *r)
{
	return sizeof(*r) + HROOTS_MAX_RUNS * sizeof(struct hspan) + r->ngs * sizeof(struct hw_g);
}
