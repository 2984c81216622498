// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * holder: who holds a leaking map, and what it holds.  See holder.h.
 *
 * This file keeps the results (keyed by pid, map address and the map's
 * first sample, so a map at a reused address is searched anew), decides
 * which maps to search, and reads keys and retained bytes; the search for
 * holders is heapwalk.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gotypes.h"
#include "naming.h"
#include "heapwalk.h"
#include "holder.h"
#include "holder_slots.h"
#include "holder_types.h"

struct hentry {
	pid_t pid;
	uint64_t addr, first_ns;
	bool final_done;
	struct holder_info info;
};

static struct {
	int keys;
	bool daemon;
	struct hentry **ents;
	size_t cnt, next_evict;
	struct holder_stats st;
} H;

const char *holder__kind_str(enum holder_kind k)
{
	switch (k) {
	case HOLDER_GLOBAL:
		return "global";
	case HOLDER_STACK:
		return "stack";
	case HOLDER_HEAP:
		return "heap";
	default:
		return "unknown";
	}
}

void holder__set_keys(int n)
{
	H.keys = n < 0 ? 0 : n > HOLDER_MAX_KEYS ? HOLDER_MAX_KEYS : n;
}

int holder__keys(void)
{
	return H.daemon ? 0 : H.keys;
}

void holder__set_daemon(bool on)
{
	H.daemon = on;
}

const struct holder_stats *holder__stats(void)
{
	return &H.st;
}

void holder__reset(void)
{
	size_t i;

	for (i = 0; i < H.cnt; i++) {
		free(H.ents[i]->info.keys);
		free(H.ents[i]);
	}
	free(H.ents);
	memset(&H, 0, sizeof(H));
}

/* ---- keys and retained bytes ---- */

struct keys_ctx {
	const struct hmtype *mt;
	struct holder_info *hi;
	int want;
};

static bool keys_cb(struct htypes *ht, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct keys_ctx *c = ctx;

	(void)e;
	(void)eat;
	hslots__key_text(ht, c->mt, k, c->hi->keys[c->hi->nkeys], HOLDER_KEY_TEXT);
	return ++c->hi->nkeys < c->want;
}

struct retain_ctx {
	const struct hmtype *mt;
	uint64_t sum, n;
};

static bool retain_cb(struct htypes *ht, const uint8_t *k, const uint8_t *e, uint64_t eat, void *ctx)
{
	struct retain_ctx *c = ctx;

	(void)eat;
	c->sum += hslots__retained(ht, c->mt->key, c->mt->ikey, k);
	c->sum += hslots__retained(ht, c->mt->elem, c->mt->ielem, e);
	c->n++;
	return c->n < HOLDER_RETAIN_SLOTS * 4;
}

static void keys_and_retained(struct htypes *ht, const struct tmap *m, struct holder_info *hi)
{
	uint64_t groups[HOLDER_RETAIN_SLOTS / 8 * 4], total, bytes = 0, entries = m->s.last;
	struct hmtype mt;
	size_t ng, stride;
	int want = holder__keys();

	hi->nkeys = 0;
	hi->keys_why[0] = '\0';
	hi->retained_known = false;
	if (!htypes__map_type(ht, m->type, &mt)) {
		if (want)
			snprintf(hi->keys_why, sizeof(hi->keys_why), "%s",
				 m->type ? "its type descriptor could not be read" : "its type is not known");
		return;
	}
	if (want) {
		uint64_t all[64];
		struct keys_ctx kc = { &mt, hi, want };

		if (!hi->keys)
			hi->keys = calloc(HOLDER_MAX_KEYS, HOLDER_KEY_TEXT);
		ng = hi->keys ? hslots__groups(ht, m->addr, &mt, all, 64, 1, &total) : 0;
		hslots__walk(ht, &mt, all, ng, keys_cb, &kc, &bytes);
		if (!hi->nkeys)
			snprintf(hi->keys_why, sizeof(hi->keys_why), "%s",
				 hi->keys ? "no full slot read (the map is empty or was changing)" : "out of memory");
	}
	/* retained: groups spread over the map, every stride-th (capacity / 8 groups) */
	total = m->capacity / 8;
	stride = total > sizeof(groups) / 8 ? (total + sizeof(groups) / 8 - 1) / (sizeof(groups) / 8) : 1;
	ng = hslots__groups(ht, m->addr, &mt, groups, sizeof(groups) / 8, stride, &total);
	if (ng) {
		struct retain_ctx rc = { &mt, 0, 0 };

		hslots__walk(ht, &mt, groups, ng, retain_cb, &rc, &bytes);
		hi->retained_sampled = rc.n;
		hi->retained_known = true;
		hi->retained_estimated = rc.n < entries;
		hi->retained_bytes = m->bucket_bytes;
		if (rc.n)
			hi->retained_bytes += rc.n >= entries ? rc.sum
				: (uint64_t)((double)rc.sum / rc.n * entries);
	} else if (!entries) {
		hi->retained_known = true;
		hi->retained_bytes = m->bucket_bytes;
	}
}

/* ---- the store ---- */

static struct hentry *find(pid_t pid, uint64_t addr, uint64_t first_ns)
{
	size_t i;

	for (i = 0; i < H.cnt; i++)
		if (H.ents[i]->pid == pid && H.ents[i]->addr == addr && H.ents[i]->first_ns == first_ns)
			return H.ents[i];
	return NULL;
}

static struct hentry *add(const struct tmap *m)
{
	struct hentry *e;

	if (H.cnt >= HOLDER_MAX_ENTRIES) {
		e = H.ents[H.next_evict];
		H.next_evict = (H.next_evict + 1) % HOLDER_MAX_ENTRIES;
		free(e->info.keys);
		memset(e, 0, sizeof(*e));
	} else {
		struct hentry **n = realloc(H.ents, (H.cnt + 1) * sizeof(*n));

		if (!n)
			return NULL;
		H.ents = n;
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		H.ents[H.cnt++] = e;
	}
	e->pid = m->tgt->pid;
	e->addr = m->addr;
	e->first_ns = m->s.first_ns;
	return e;
}

const struct holder_info *holder__get(const struct tmap *m)
{
	struct hentry *e = find(m->tgt->pid, m->addr, m->s.first_ns);

	return e ? &e->info : NULL;
}

static bool wanted(const struct tmap *m)
{
	if (m->gone || m->tgt->exited)
		return false;
	return m->s.verdict == VERDICT_LEAK || (!H.daemon && m->s.verdict == VERDICT_GROWING);
}

/* What was searched, for a map no holder was found for. */
static void why_unknown(char *buf, size_t len, const struct hw_stats *st, bool gone, bool types)
{
	char heap[32];

	if (gone) {
		snprintf(buf, len, "the process exited during the search");
		return;
	}
	if (st->out_of_time) {
		snprintf(buf, len, "the search ran out of time (%.1f s)", HOLDER_MAX_SEARCH_NS / 1e9);
		return;
	}
	naming__bytes(st->heap_bytes, heap, sizeof(heap));
	snprintf(buf, len, "no path of at most %d heap objects from package-level variables%s or other maps' values "
		 "(%.16s of heap%s%s%s)", HOLDER_MAX_DEPTH,
		 st->allgs_found ? ", goroutine stacks" : "", heap,
		 st->heap_cut ? ", cut" : "", st->nodes_cut ? ", object cap" : "",
		 types ? "" : ", no struct fields");
}

/* Every map of target t in maps[0..nm): search the wanted ones, refresh keys and retained bytes. */
static void resolve_target(struct target *t, struct tmap **maps, size_t nm, bool final,
			   const struct gomap_mem *mem)
{
	struct hread rd = { .mem = mem, .pid = t->pid };
	struct htypes ht;
	struct hw_map *hw = calloc(nm, sizeof(*hw));
	struct hentry **ents = calloc(nm, sizeof(*ents));
	struct tmap **hm = calloc(nm, sizeof(*hm));
	struct hw_stats st = { 0 };
	size_t i, nh = 0, nwant = 0;
	bool search = false;
	struct timespec wall;
	uint64_t t0 = gm_now_ns(), ns, peak;

	clock_gettime(CLOCK_REALTIME, &wall);
	htypes__init(&ht, &rd, &t->bin->plan->layout);
	ht.offset_embed = !go_buildinfo__at_least(&t->bin->bi, 1, 19);
	ht.split_groups = go_buildinfo__at_least(&t->bin->bi, 1, 27);
	if (t->bias_known) {
		ht.bin = t->bin;
		ht.bias = t->bias;
		if (t->bin->types) {
			uint64_t lo = gotypes__types_start(t->bin->types), hi = gotypes__types_end(t->bin->types);

			if (hi > lo) {
				ht.types_lo = lo + t->bias;
				ht.types_len = hi - lo;
			}
		}
	}
	if (!hw || !ents || !hm)
		goto out;
	for (i = 0; i < nm; i++) {
		struct tmap *m = maps[i];
		struct hentry *e = NULL;

		if (m->tgt != t || m->gone)
			continue;
		if (wanted(m)) {
			e = find(t->pid, m->addr, m->s.first_ns);
			if (e && !(final && !e->final_done))
				e = NULL;	/* resolved already */
			else if (!e)
				e = add(m);
		}
		if (e) {
			nwant++;
			if (m->on_stack) {
				e->info.kind = HOLDER_STACK;
				snprintf(e->info.function, sizeof(e->info.function), "%s",
					 m->holder.function ? m->holder.function : "?");
				snprintf(e->info.name, sizeof(e->info.name), "%s", e->info.function);
				e->info.goroutine = m->stk.goid;
				e->info.path[0] = '\0';
			} else if (e->info.kind == HOLDER_UNKNOWN) {
				search = true;
			}
		}
		if (m->on_stack) {
			/* its holder came with the probes; no heap header to search for */
			if (e) {
				keys_and_retained(&ht, m, &e->info);
				if (final)
					e->final_done = true;
				H.st.maps++;
			}
			continue;
		}
		hw[nh].addr = m->addr;
		hw[nh].type = m->type;
		hw[nh].bucket_size = m->bucket_size;
		hw[nh].wanted = e && e->info.kind == HOLDER_UNKNOWN;
		ents[nh] = e;
		hm[nh++] = m;
	}
	if (!nwant || !t->bias_known)
		goto out;
	if (search) {
		heapwalk__run(t, &ht, hw, nh, holder__keys() > 0, t0 + HOLDER_MAX_SEARCH_NS, &st);
		H.st.searches++;
	}
	for (i = 0; i < nh; i++) {
		struct hentry *e = ents[i];

		if (!e)
			continue;
		if (hw[i].wanted) {
			struct holder_info *hi = &e->info;

			hi->kind = hw[i].kind;
			hi->goroutine = hw[i].goroutine;
			hi->depth = hw[i].depth;
			snprintf(hi->name, sizeof(hi->name), "%s", hw[i].name);
			snprintf(hi->path, sizeof(hi->path), "%s", hw[i].path);
			snprintf(hi->function, sizeof(hi->function), "%s", hw[i].function);
			if (hi->kind == HOLDER_UNKNOWN)
				why_unknown(hi->why, sizeof(hi->why), &st, rd.gone, ht.structs > 0);
		}
		keys_and_retained(&ht, hm[i], &e->info);
		if (final)
			e->final_done = true;
		H.st.maps++;
	}
out:
	peak = st.peak + htypes__held(&ht);
	htypes__fini(&ht);
	free(hw);
	free(ents);
	free(hm);
	ns = gm_now_ns() - t0;
	if (nwant) {
		H.st.ns += ns;
		H.st.bytes_read += rd.bytes;
		if (ns > H.st.max_search_ns)
			H.st.max_search_ns = ns;
		if (peak > H.st.peak_bytes)
			H.st.peak_bytes = peak;
		H.st.last_start_unix = wall.tv_sec + wall.tv_nsec / 1e9;
		H.st.last_end_unix = H.st.last_start_unix + ns / 1e9;
	}
}

void holder__resolve(const struct tracker *tr, bool final, const struct gomap_mem *mem)
{
	struct tmap **maps;
	size_t nm = tracker__maps(tr, &maps), i, j;

	if (!mem)
		mem = gomap__process_mem();
	for (i = 0; maps && i < nm; i++) {
		struct target *t = maps[i]->tgt;
		bool seen = false;

		for (j = 0; j < i && !seen; j++)
			seen = maps[j]->tgt == t;
		if (!seen)
			resolve_target(t, maps, nm, final, mem);
	}
	free(maps);
}
