// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "tracker.h"

#define GONE_KEEP 256		/* gone maps kept for the report, largest first */
#define GONE_MIN_ENTRIES 64	/* smaller gone maps are not worth a report line */

struct pending {
	uint64_t seed;
	struct tstack stack;
};

struct tproc {
	struct target *tgt;
	struct u64map maps;	/* addr -> struct tmap */
	struct u64map pending;	/* addr -> struct pending: created, not yet grown */
	struct u64map types;	/* type addr -> (void *)1: types already announced */
	size_t pending_cursor;
	uint32_t missed;	/* 1 << enum tunseen: why creations may have gone unseen */
};

struct tracker {
	struct tracker_opts opts;
	struct u64map procs;	/* pid -> struct tproc */
	struct u64map sites;	/* hash -> struct tsite */
	size_t map_cnt, pending_cnt;
	struct tmap *gone[GONE_KEEP];
	size_t gone_cnt;
	uint64_t next_window_ns;
	uint64_t windows_closed;
	struct tracker_stats stats;
	uint64_t lost_seen;	/* events__lost() at the last tracker__note_lost() */
};

struct tracker *tracker__new(const struct tracker_opts *opts)
{
	struct tracker *tr = calloc(1, sizeof(*tr));

	if (!tr)
		return NULL;
	memcpy(&tr->opts, opts, opts->sz < sizeof(tr->opts) ? opts->sz : sizeof(tr->opts));
	if (!tr->opts.window_ns)
		tr->opts.window_ns = 60ULL * 1000000000ULL;
	if (!tr->opts.max_maps)
		tr->opts.max_maps = 65536;
	if (!tr->opts.max_pending)
		tr->opts.max_pending = 16384;
	if (!tr->opts.max_sites)
		tr->opts.max_sites = 4096;
	if (!tr->opts.judge.min_windows)
		judge_opts__init(&tr->opts.judge);
	u64map__init(&tr->procs);
	u64map__init(&tr->sites);
	return tr;
}

static void free_proc(struct tracker *tr, struct tproc *p)
{
	size_t it = 0;
	void *v;

	while (u64map__next(&p->maps, &it, NULL, &v)) {
		free(v);
		tr->map_cnt--;
	}
	it = 0;
	while (u64map__next(&p->pending, &it, NULL, &v)) {
		free(v);
		tr->pending_cnt--;
	}
	u64map__fini(&p->maps);
	u64map__fini(&p->pending);
	u64map__fini(&p->types);
	free(p);
}

void tracker__free(struct tracker *tr)
{
	size_t it = 0, i;
	void *v;

	if (!tr)
		return;
	while (u64map__next(&tr->procs, &it, NULL, &v))
		free_proc(tr, v);
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, &v))
		free(v);
	for (i = 0; i < tr->gone_cnt; i++)
		free(tr->gone[i]);
	u64map__fini(&tr->procs);
	u64map__fini(&tr->sites);
	free(tr);
}

int tracker__add_target(struct tracker *tr, struct target *tgt)
{
	struct tproc *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->tgt = tgt;
	u64map__init(&p->maps);
	u64map__init(&p->pending);
	u64map__init(&p->types);
	if (u64map__set(&tr->procs, (uint64_t)tgt->pid, p)) {
		free(p);
		return -ENOMEM;
	}
	if (!tr->next_window_ns)
		tr->next_window_ns = gm_now_ns() + tr->opts.window_ns;
	return 0;
}

struct target *tracker__target(const struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	return p ? p->tgt : NULL;
}

void tracker__remove_target(struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__del(&tr->procs, (uint64_t)pid);
	size_t it = 0, i, j;
	uint64_t key;
	void *v;
	uint64_t dead[64];
	size_t ndead;

	if (!p)
		return;
	/* sites of this process go with it; collect keys first (deletion reorders) */
	do {
		ndead = 0;
		it = 0;
		while (ndead < 64 && u64map__next(&tr->sites, &it, &key, &v))
			if (((struct tsite *)v)->tgt == p->tgt)
				dead[ndead++] = key;
		for (i = 0; i < ndead; i++)
			free(u64map__del(&tr->sites, dead[i]));
	} while (ndead == 64);
	for (i = j = 0; i < tr->gone_cnt; i++) {
		if (tr->gone[i]->tgt == p->tgt)
			free(tr->gone[i]);
		else
			tr->gone[j++] = tr->gone[i];
	}
	tr->gone_cnt = j;
	free_proc(tr, p);
}

bool tracker__user_frame(struct target *tgt, const struct tstack *st, struct tloc *loc)
{
	uint32_t i;

	for (i = 0; i < st->nr && i < GM_MAX_STACK_DEPTH; i++)
		if (target__user_frame(tgt, st->pcs[i], i > 0, loc))
			return true;
	return false;
}

static uint64_t site_hash(const struct target *tgt, enum tsite_kind kind, const struct tloc *loc)
{
	uint64_t h = 1469598103934665603ULL;
	uint64_t parts[5] = { (uint64_t)tgt->pid, kind, (uintptr_t)loc->function,
			      (uintptr_t)loc->file, (uint64_t)loc->line };

	for (int i = 0; i < 5; i++)
		h = (h ^ parts[i]) * 1099511628211ULL;
	return h;
}

static struct tsite *get_site(struct tracker *tr, struct target *tgt, enum tsite_kind kind,
			      const struct tloc *loc, const struct tstack *st, uint64_t now)
{
	uint64_t key = site_hash(tgt, kind, loc);
	struct tsite *s;

	/* colliding hashes probe onwards; equality is on the fields */
	while ((s = u64map__get(&tr->sites, key))) {
		if (s->tgt == tgt && s->kind == kind && s->loc.function == loc->function &&
		    s->loc.file == loc->file && s->loc.line == loc->line)
			return s;
		key++;
	}
	if (tr->sites.cnt >= tr->opts.max_sites)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->tgt = tgt;
	s->kind = kind;
	s->loc = *loc;
	s->stack = *st;
	s->s.first_ns = s->s.last_ns = now;
	s->s.verdict = VERDICT_GROWING;
	if (u64map__set(&tr->sites, key, s)) {
		free(s);
		return NULL;
	}
	return s;
}

static void copy_stack(struct tstack *dst, const struct gm_event *e)
{
	uint32_t n = e->nr_frames > GM_MAX_STACK_DEPTH ? GM_MAX_STACK_DEPTH : e->nr_frames;

	dst->nr = n;
	memcpy(dst->pcs, e->frames, n * sizeof(dst->pcs[0]));
}

static void series_start(struct tseries *s, uint64_t entries, uint64_t now)
{
	memset(s, 0, sizeof(*s));
	s->first = s->last = s->max = s->win_start = entries;
	s->first_ns = s->last_ns = now;
	s->verdict = VERDICT_GROWING;
}

static void series_sample(struct tseries *s, uint64_t v, uint64_t now)
{
	/* an event queued while memory was read is older than that read */
	if (now < s->last_ns)
		return;
	if (v < s->last)
		s->win_decreased = true;
	s->last = v;
	if (v > s->max)
		s->max = v;
	s->last_ns = now;
	s->win_samples++;
}

/* Oldest to newest copy of the ring, for the judge. */
static int series_windows(const struct tseries *s, struct judge_window *out)
{
	int n = s->nwin < TRACK_WINDOWS ? s->nwin : TRACK_WINDOWS, i;

	for (i = 0; i < n; i++)
		out[i] = s->windows[(s->nwin - n + i) % TRACK_WINDOWS];
	return n;
}

static void series_close(struct tseries *s, const struct judge_opts *jo, int64_t delta,
			 bool decreased, bool sampled, bool gone)
{
	struct judge_window w[TRACK_WINDOWS];
	int n;

	s->windows[s->nwin % TRACK_WINDOWS] = (struct judge_window){
		.delta = delta, .decreased = decreased, .sampled = sampled,
	};
	s->nwin++;
	s->win_start = s->last;
	s->win_decreased = false;
	s->win_samples = 0;
	n = series_windows(s, w);
	s->verdict = judge__verdict(jo, w, n, gone, &s->ev);
}

static void keep_gone(struct tracker *tr, struct tmap *m)
{
	size_t i, small = 0;

	if (m->s.max < GONE_MIN_ENTRIES) {
		free(m);
		return;
	}
	if (tr->gone_cnt < GONE_KEEP) {
		tr->gone[tr->gone_cnt++] = m;
		return;
	}
	for (i = 1; i < GONE_KEEP; i++)
		if (tr->gone[i]->s.max < tr->gone[small]->s.max)
			small = i;
	if (tr->gone[small]->s.max < m->s.max) {
		free(tr->gone[small]);
		tr->gone[small] = m;
	} else {
		free(m);
	}
}

/* The map stopped existing: out of the address table, into the report pile. */
static void map_gone(struct tracker *tr, struct tproc *p, struct tmap *m)
{
	u64map__del(&p->maps, m->key);
	tr->map_cnt--;
	tr->stats.gone_maps++;
	m->gone = true;
	m->s.verdict = VERDICT_GONE;
	if (m->site && m->site->maps)
		m->site->maps--;
	m->site = NULL;
	keep_gone(tr, m);
}

static void evict_one_map(struct tracker *tr)
{
	struct tproc *p, *victim_p = NULL;
	struct tmap *m, *victim = NULL;
	size_t it = 0, jt;

	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m)) {
			if (!victim || m->last_grow_ns < victim->last_grow_ns) {
				victim = m;
				victim_p = p;
			}
		}
	}
	if (!victim)
		return;
	tr->stats.evicted_maps++;
	u64map__del(&victim_p->maps, victim->key);
	tr->map_cnt--;
	if (victim->site && victim->site->maps)
		victim->site->maps--;
	free(victim);
}

static void remember_creation(struct tracker *tr, struct tproc *p, const struct gm_event *e,
			      uint64_t mkey)
{
	struct pending *pd = u64map__get(&p->pending, mkey);
	uint64_t key;

	if (!pd) {
		if (tr->pending_cnt >= tr->opts.max_pending) {
			/* drop an arbitrary remembered creation, rotating through the table */
			void *v;

			if (!u64map__next(&p->pending, &p->pending_cursor, &key, &v)) {
				p->pending_cursor = 0;
				if (!u64map__next(&p->pending, &p->pending_cursor, &key, &v))
					return;
			}
			free(u64map__del(&p->pending, key));
			tr->pending_cnt--;
			tr->stats.evicted_pending++;
		}
		pd = calloc(1, sizeof(*pd));
		if (!pd || u64map__set(&p->pending, mkey, pd)) {
			free(pd);
			return;
		}
		tr->pending_cnt++;
	}
	pd->seed = e->seed;
	copy_stack(&pd->stack, e);
}

static const char *const unseen_words[TUNSEEN_MAX][2] = {
	[TUNSEEN_NONE] = { "seen", "seen" },
	[TUNSEEN_BEFORE] = { "before_tracing", "before tracing began" },
	[TUNSEEN_STACK] = { "stack_map", "not seen: a stack map, made by compiled code without a runtime call" },
	[TUNSEEN_LOST] = { "events_lost", "not seen: probe records were lost (ring buffer full)" },
	[TUNSEEN_SHED] = { "shed", "not seen: the governor had taken the creation probes off" },
	[TUNSEEN_EVICTED] = { "evicted", "not seen: too many maps made and not yet grown, its creation was forgotten" },
	[TUNSEEN_UNKNOWN] = { "not_seen", "not seen: made by a path without a probe" },
};

const char *tunseen__str(enum tunseen why)
{
	return (unsigned)why < TUNSEEN_MAX ? unseen_words[why][0] : "?";
}

const char *tunseen__text(enum tunseen why)
{
	return (unsigned)why < TUNSEEN_MAX ? unseen_words[why][1] : "?";
}

void tracker__creations_missed(struct tracker *tr, pid_t pid, enum tunseen why)
{
	struct tproc *p;
	size_t it = 0;

	if ((unsigned)why >= TUNSEEN_MAX)
		return;
	if (pid) {
		p = u64map__get(&tr->procs, (uint64_t)pid);
		if (p)
			p->missed |= 1u << why;
		return;
	}
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p))
		p->missed |= 1u << why;
}

void tracker__note_lost(struct tracker *tr, uint64_t lost)
{
	if (lost > tr->lost_seen)
		tracker__creations_missed(tr, 0, TUNSEEN_LOST);
	tr->lost_seen = lost;
}

/* The most specific honest reason; "before tracing" only when nothing else can explain it. */
static enum tunseen why_unseen(const struct tracker *tr, const struct tproc *p,
			       const struct tmap *m)
{
	if (m->on_stack)
		return TUNSEEN_STACK;
	if (p->missed & (1u << TUNSEEN_SHED))
		return TUNSEEN_SHED;
	if (p->missed & (1u << TUNSEEN_LOST))
		return TUNSEEN_LOST;
	if (tr->stats.evicted_pending)
		return TUNSEEN_EVICTED;
	if (p->tgt->held)
		return TUNSEEN_UNKNOWN;
	return TUNSEEN_BEFORE;
}

static struct tmap *new_map(struct tracker *tr, struct tproc *p, const struct gm_event *e,
			    uint64_t mkey, uint64_t now)
{
	struct tmap *m;
	struct pending *pd;

	if (tr->map_cnt >= tr->opts.max_maps)
		evict_one_map(tr);
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->tgt = p->tgt;
	m->addr = e->map;
	m->key = mkey;
	m->seed = e->seed;
	if (stackmaps__is_key(mkey)) {
		m->on_stack = true;
		stackmaps__id_init(&m->stk, e);
		stackmaps__holder(p->tgt, &m->stk, &m->holder);
	}
	series_start(&m->s, e->entries, now);
	pd = u64map__get(&p->pending, mkey);
	if (pd && pd->seed == e->seed) {
		m->created_seen = true;
		m->create_stack = pd->stack;
		tracker__user_frame(p->tgt, &m->create_stack, &m->created_at);
	}
	if (pd) {
		free(u64map__del(&p->pending, mkey));
		tr->pending_cnt--;
	}
	if (!m->created_seen)
		m->unseen = why_unseen(tr, p, m);
	copy_stack(&m->grow_stack, e);
	tracker__user_frame(p->tgt, &m->grow_stack, &m->insert_at);
	/* a stack map's creation line is per frame: its fill line names the map (and the metric) */
	if (m->created_seen && m->created_at.function && !m->on_stack &&
	    (!tr->opts.site_by_insert || !m->insert_at.function))
		m->site = get_site(tr, p->tgt, TSITE_CREATED, &m->created_at, &m->create_stack, now);
	else if (m->insert_at.function)
		m->site = get_site(tr, p->tgt, TSITE_INSERTED, &m->insert_at, &m->grow_stack, now);
	if (m->site) {
		m->site->maps++;
		if (!m->site->type)
			m->site->type = e->type;
	}
	if (u64map__set(&p->maps, mkey, m)) {
		if (m->site)
			m->site->maps--;
		free(m);
		return NULL;
	}
	tr->map_cnt++;
	return m;
}

/* Bucket/group bytes a growth event allocated, and the capacity after it. */
static void growth_cost(const struct target *tgt, const struct gm_event *e,
			uint64_t *bytes, uint64_t *capacity)
{
	uint64_t bsz = e->bucket_size, b, nb;

	*bytes = 0;
	*capacity = 0;
	switch (e->kind) {
	case GM_PROBE_HASHGROW:
		/* mapassign grows when count+1 > 8 and > 6.5 * 2^B; else same-size */
		b = e->arg;
		if (b > 60)
			return;
		if (e->entries + 1 > 8 && (e->entries + 1) * 2 > 13 * (1ULL << b))
			b++;
		nb = 1ULL << b;
		if (b >= 4)
			nb += 1ULL << (b - 4);	/* preallocated overflow buckets */
		*bytes = nb * bsz;
		*capacity = 8ULL << b;
		break;
	case GM_PROBE_NEWOVERFLOW:
		*bytes = e->arg2 ? 0 : bsz;
		break;
	case GM_PROBE_GROW_TO_SMALL:
		*bytes = bsz;
		*capacity = 8;
		break;
	case GM_PROBE_GROW_TO_TABLE:
		*bytes = 2 * bsz + 8;	/* a 16-slot table and a one-entry directory */
		*capacity = 16;
		break;
	case GM_PROBE_TABLE_GROW:
		*bytes = (e->arg / 8) * bsz;
		break;
	case GM_PROBE_TABLE_SPLIT:
		*bytes = 2 * (e->arg / 8) * bsz;
		break;
	default:
		break;
	}
	(void)tgt;
}

static void announce_type(struct tracker *tr, struct tproc *p, uint64_t type)
{
	if (!type || !tr->opts.on_type || u64map__get(&p->types, type))
		return;
	if (u64map__set(&p->types, type, (void *)1))
		return;
	tr->opts.on_type(p->tgt, type, tr->opts.ctx);
}

bool tracker__tracks(const struct tracker *tr, pid_t pid, uint64_t map)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	return p && u64map__get(&p->maps, map);
}

void tracker__handle_event(struct tracker *tr, const struct gm_event *e)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)e->tgid);
	uint64_t now = e->ts_ns, bytes, cap, mkey = e->map;
	struct tmap *m;

	tr->stats.events++;
	if (!p) {
		tr->stats.unknown_target++;
		return;
	}
	if (!p->tgt->bias_known)
		target__resolve_bias(p->tgt);
	if (e->flags & GM_EV_ON_STACK) {
		tr->stats.on_stack++;
		if (!e->goid || !e->stack_off)
			return;		/* its goroutine could not be read: no way to follow it */
		mkey = stackmaps__key(e);
	}
	switch (e->kind) {
	case GM_PROBE_MAKEMAP_RET:
	case GM_PROBE_NEWMAP_RET:
		tr->stats.creations++;
		/* a creation at a tracked address: that map is gone (or this is its twin probe) */
		m = u64map__get(&p->maps, mkey);
		if (m && m->seed != e->seed)
			map_gone(tr, p, m);
		else if (m)
			return;
		remember_creation(tr, p, e, mkey);
		return;
	case GM_PROBE_MALLOCGC: {
		struct tloc loc;
		struct tstack st;
		struct tsite *s;

		tr->stats.allocs++;
		copy_stack(&st, e);
		if (!tracker__user_frame(p->tgt, &st, &loc))
			return;
		s = get_site(tr, p->tgt, TSITE_INSERTED, &loc, &st, now);
		if (s)
			s->exact_bucket_bytes += e->arg;
		return;
	}
	case GM_PROBE_MAPASSIGN:
	case GM_PROBE_GROWWORK:
		tr->stats.assigns++;
		break;
	default:
		tr->stats.growths++;
		break;
	}
	if (!e->map)
		return;
	m = u64map__get(&p->maps, mkey);
	/* a stack map: where its header is now (the stack may have moved) */
	if (m && m->on_stack && now >= m->s.last_ns && m->addr != e->map) {
		m->addr = e->map;
		m->stk.moves++;
	}
	/*
	 * Go reseeds a map that becomes empty (clear, or deleting the last
	 * key), so a new seed here is no proof of a new map: a creation event
	 * or the memory read (seed and bucket array both changed) decides.
	 */
	if (m && m->seed != e->seed && now >= m->s.last_ns)
		m->seed = e->seed;
	/* a first insert into a small map: too small to leak, not worth tracking */
	if (!m && e->kind == GM_PROBE_GROW_TO_SMALL) {
		struct pending *pd = u64map__get(&p->pending, mkey);

		if (pd)
			pd->seed = e->seed;	/* NewEmptyMap left the seed for growToSmall */
		announce_type(tr, p, e->type);
		return;
	}
	if (!m) {
		m = new_map(tr, p, e, mkey, now);
		if (!m)
			return;
	} else {
		series_sample(&m->s, e->entries, now);
	}
	if (e->type && !m->type) {
		m->type = e->type;
		if (m->site && !m->site->type)
			m->site->type = e->type;
	}
	announce_type(tr, p, e->type);
	if (e->kind == GM_PROBE_MAPASSIGN || e->kind == GM_PROBE_GROWWORK) {
		copy_stack(&m->grow_stack, e);
		tracker__user_frame(p->tgt, &m->grow_stack, &m->insert_at);
		return;
	}
	/* growth swaps the bucket array: the next read learns the new one */
	m->buckets = 0;
	growth_cost(p->tgt, e, &bytes, &cap);
	m->bucket_bytes += bytes;
	if (cap > m->capacity)
		m->capacity = cap;
	m->grows++;
	m->last_grow_ns = now;
	copy_stack(&m->grow_stack, e);
	tracker__user_frame(p->tgt, &m->grow_stack, &m->insert_at);
	if (m->site) {
		m->site->bucket_bytes += bytes;
		m->site->grows++;
	}
}

/*
 * A freed map's memory may hold anything by now.  A live header obeys its
 * own invariants: entries fit the bucket array (classic, with generous room
 * for overflow chains) or the directory (swiss: at most 1024 slots a table).
 */
static bool plausible_header(const struct gm_layout *lay, const uint8_t *hdr, uint64_t count)
{
	uint64_t dirlen;
	uint8_t B;

	if (lay->impl == GM_MAP_CLASSIC) {
		B = hdr[lay->map_B_off];
		return B < 58 && count <= (64ULL << B);
	}
	memcpy(&dirlen, hdr + lay->map_dirlen_off, 8);
	if (!dirlen)
		return count <= 8;
	return dirlen <= (1ULL << 24) && !(dirlen & (dirlen - 1)) && count <= dirlen * 1024;
}

/*
 * Stack maps: re-find each header from its goroutine's stack as it is now;
 * those whose goroutine or frame ended are gone, those whose stack is
 * being copied sit this sample out.  Compacts maps[] to what is to be read.
 */
static int refresh_stack_maps(struct tracker *tr, struct tproc *p, struct tmap **maps, size_t *n)
{
	const struct tstackid **ids;
	enum stackmap_state *st;
	uint64_t *addr;
	struct tmap **sm;
	size_t i, j, k, cnt = 0;
	int ret;

	for (i = 0; i < *n; i++)
		cnt += maps[i]->on_stack;
	if (!cnt)
		return 0;
	ids = calloc(cnt, sizeof(*ids));
	st = calloc(cnt, sizeof(*st));
	addr = calloc(cnt, sizeof(*addr));
	sm = calloc(cnt, sizeof(*sm));
	ret = -ENOMEM;
	if (!ids || !st || !addr || !sm)
		goto cleanup;
	for (i = j = 0; i < *n; i++)
		if (maps[i]->on_stack) {
			sm[j] = maps[i];
			ids[j++] = &maps[i]->stk;
		}
	ret = stackmaps__refresh(p->tgt->pid, &p->tgt->bin->plan->layout, ids, cnt, addr, st);
	if (ret)
		goto cleanup;
	/* keep heap maps and live stack maps, in order (sm[] follows maps[]) */
	for (i = j = k = 0; i < *n; i++) {
		if (!maps[i]->on_stack) {
			maps[j++] = maps[i];
			continue;
		}
		if (st[k] == STACKMAP_LIVE) {
			if (maps[i]->addr != addr[k])
				maps[i]->stk.moves++;
			maps[i]->addr = addr[k];
			maps[j++] = maps[i];
		}
		k++;
	}
	/* only now: map_gone may free them */
	for (k = 0; k < cnt; k++)
		if (st[k] == STACKMAP_GONE)
			map_gone(tr, p, sm[k]);
	*n = j;
cleanup:
	free(ids);
	free(st);
	free(addr);
	free(sm);
	return ret;
}

static void sample_proc(struct tracker *tr, struct tproc *p, uint64_t now)
{
	const struct gm_layout *lay = &p->tgt->bin->plan->layout;
	size_t n = p->maps.cnt, i = 0, it = 0, k, len;
	struct tmap **maps;
	uint64_t *addrs;
	uint8_t *buf;
	bool *ok;
	ssize_t got;
	struct tmap *m;

	if (!n)
		return;
	len = lay->map_seed_off + lay->map_seed_size;
	if (len < (size_t)lay->map_count_off + 8)
		len = lay->map_count_off + 8;
	if (len < (size_t)lay->map_buckets_off + 8)
		len = lay->map_buckets_off + 8;
	if (lay->impl == GM_MAP_SWISS && len < (size_t)lay->map_dirlen_off + 8)
		len = lay->map_dirlen_off + 8;
	if (lay->impl == GM_MAP_CLASSIC && len < (size_t)lay->map_B_off + 1)
		len = lay->map_B_off + 1;
	maps = calloc(n, sizeof(*maps));
	addrs = calloc(n, sizeof(*addrs));
	buf = calloc(n, len);
	ok = calloc(n, sizeof(*ok));
	if (!maps || !addrs || !buf || !ok)
		goto out;
	while (i < n && u64map__next(&p->maps, &it, NULL, (void **)&m)) {
		maps[i] = m;
		addrs[i] = m->addr;
		i++;
	}
	n = i;
	if (refresh_stack_maps(tr, p, maps, &n) == -ESRCH) {
		tracker__target_exited(tr, p->tgt->pid);
		goto out;
	}
	for (k = 0; k < n; k++)
		addrs[k] = maps[k]->addr;
	got = target__read_many(p->tgt->pid, addrs, n, len, buf, ok);
	/* the values are as of the end of the reads: events stamped earlier are older */
	now = gm_now_ns();
	if (got == -ESRCH) {
		tracker__target_exited(tr, p->tgt->pid);
		goto out;
	}
	for (k = 0; k < n; k++) {
		uint64_t count = 0, seed = 0, buckets = 0;

		m = maps[k];
		if (!ok[k]) {
			tr->stats.read_failures++;
			map_gone(tr, p, m);
			continue;
		}
		memcpy(&count, buf + k * len + lay->map_count_off, 8);
		memcpy(&seed, buf + k * len + lay->map_seed_off, lay->map_seed_size > 8 ? 8 : lay->map_seed_size);
		memcpy(&buckets, buf + k * len + lay->map_buckets_off, 8);
		/* reused address: new seed and new buckets (a clear keeps the buckets) */
		if ((seed != m->seed && m->buckets && buckets != m->buckets) ||
		    !plausible_header(lay, buf + k * len, count)) {
			map_gone(tr, p, m);
			continue;
		}
		m->seed = seed;
		m->buckets = buckets;
		series_sample(&m->s, count, now);
	}
out:
	free(maps);
	free(addrs);
	free(buf);
	free(ok);
}

static void site_sums(struct tracker *tr, uint64_t now)
{
	struct tproc *p;
	struct tmap *m;
	struct tsite *s;
	size_t it = 0, jt;

	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s))
		s->s.last = 0;
	it = 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m))
			if (m->site)
				m->site->s.last += m->s.last;
	}
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		if (!s->s.win_samples && !s->s.nwin) {
			s->s.first = s->s.last;
			s->s.first_ns = now;
		}
		if (s->s.last > s->s.max)
			s->s.max = s->s.last;
		s->s.last_ns = now;
		s->s.win_samples++;
	}
}

void tracker__sample(struct tracker *tr, uint64_t now_ns)
{
	struct tproc *p;
	size_t it = 0, cnt = tr->procs.cnt, i = 0;
	struct tproc **procs = calloc(cnt ? cnt : 1, sizeof(*procs));

	if (!procs)
		return;
	/* sampling may remove maps; iterate over a copy of the process list */
	while (i < cnt && u64map__next(&tr->procs, &it, NULL, (void **)&p))
		procs[i++] = p;
	for (size_t k = 0; k < i; k++)
		if (!procs[k]->tgt->exited)
			sample_proc(tr, procs[k], now_ns);
	free(procs);
	site_sums(tr, now_ns);
}

bool tracker__tick(struct tracker *tr, uint64_t now_ns)
{
	struct tproc *p;
	struct tmap *m;
	struct tsite *s;
	size_t it = 0, jt;

	if (!tr->next_window_ns || now_ns < tr->next_window_ns)
		return false;
	while (tr->next_window_ns <= now_ns)
		tr->next_window_ns += tr->opts.window_ns;
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		s->win_delta = 0;
		s->win_decreased = false;
		s->win_any = false;
	}
	it = 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		/* an exited process keeps the verdicts it had when it ended */
		if (p->tgt->exited)
			continue;
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m)) {
			int64_t delta = (int64_t)(m->s.last - m->s.win_start);
			bool dec = m->s.win_decreased;

			if (m->site && m->whole_window) {
				m->site->win_delta += delta;
				m->site->win_decreased |= dec;
				m->site->win_any = true;
			}
			series_close(&m->s, &tr->opts.judge, delta, dec,
				     m->s.win_samples > 0 || delta != 0, false);
			m->whole_window = true;
		}
	}
	it = 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s)) {
		bool gone = !s->maps && s->s.nwin > 0;

		if (s->tgt->exited)
			continue;
		series_close(&s->s, &tr->opts.judge, s->win_delta, s->win_decreased, s->win_any, gone);
	}
	tr->windows_closed++;
	return true;
}

void tracker__target_exited(struct tracker *tr, pid_t pid)
{
	struct tproc *p = u64map__get(&tr->procs, (uint64_t)pid);

	/* Verdicts stay as judged while it ran: a leak that ended with the process is still a leak. */
	if (p)
		p->tgt->exited = true;
}

/* Swiss capacity: sum of the distinct tables of the directory. */
static uint64_t swiss_capacity(const struct target *t, const struct tmap *m)
{
	const struct gm_layout *lay = &t->bin->plan->layout;
	uint64_t dir = 0, dirlen = 0, cap = 0, tables[512], prev = 0;
	uint16_t tcap;
	size_t i;

	if (target__read(t->pid, m->addr + lay->map_buckets_off, &dir, 8) ||
	    target__read(t->pid, m->addr + lay->map_dirlen_off, &dirlen, 8))
		return 0;
	if (!dir)
		return 0;
	if (!dirlen)
		return 8;
	if (dirlen > 512)
		dirlen = 512;	/* a bound on work; the estimate is then low */
	if (target__read(t->pid, dir, tables, dirlen * 8))
		return 0;
	/* a table spanning several directory entries appears in a row */
	for (i = 0; i < dirlen; i++) {
		if (tables[i] == prev)
			continue;
		prev = tables[i];
		if (!target__read(t->pid, tables[i] + lay->table_capacity_off, &tcap, 2))
			cap += tcap;
	}
	return cap;
}

void tracker__measure_capacity(struct tracker *tr)
{
	struct tproc *p;
	struct tmap *m;
	size_t it = 0, jt;

	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		const struct gm_layout *lay = &p->tgt->bin->plan->layout;

		if (p->tgt->exited)
			continue;
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m)) {
			uint8_t B;

			if (lay->impl == GM_MAP_CLASSIC) {
				if (!target__read(p->tgt->pid, m->addr + lay->map_B_off, &B, 1) && B < 60)
					m->capacity = 8ULL << B;
			} else {
				uint64_t c = swiss_capacity(p->tgt, m);

				if (c)
					m->capacity = c;
			}
			m->bloated = judge__bloated(&tr->opts.judge, m->capacity, m->s.last);
		}
	}
}

static int cmp_maps(const void *a, const void *b)
{
	const struct tmap *x = *(struct tmap *const *)a, *y = *(struct tmap *const *)b;
	int rx = verdict__rank(x->s.verdict), ry = verdict__rank(y->s.verdict);

	if (rx != ry)
		return rx - ry;
	return x->s.last > y->s.last ? -1 : x->s.last < y->s.last;
}

size_t tracker__maps(const struct tracker *tr, struct tmap ***out)
{
	size_t n = 0, it = 0, jt, i;
	struct tproc *p;
	struct tmap *m;
	struct tmap **arr = calloc(tr->map_cnt + tr->gone_cnt + 1, sizeof(*arr));

	*out = arr;
	if (!arr)
		return 0;
	while (u64map__next(&tr->procs, &it, NULL, (void **)&p)) {
		jt = 0;
		while (u64map__next(&p->maps, &jt, NULL, (void **)&m))
			arr[n++] = m;
	}
	for (i = 0; i < tr->gone_cnt; i++)
		arr[n++] = tr->gone[i];
	qsort(arr, n, sizeof(*arr), cmp_maps);
	return n;
}

static int cmp_sites(const void *a, const void *b)
{
	const struct tsite *x = *(struct tsite *const *)a, *y = *(struct tsite *const *)b;
	int rx = verdict__rank(x->s.verdict), ry = verdict__rank(y->s.verdict);

	if (rx != ry)
		return rx - ry;
	return x->s.last > y->s.last ? -1 : x->s.last < y->s.last;
}

size_t tracker__sites(const struct tracker *tr, struct tsite ***out)
{
	size_t n = 0, it = 0;
	struct tsite *s;
	struct tsite **arr = calloc(tr->sites.cnt + 1, sizeof(*arr));

	*out = arr;
	if (!arr)
		return 0;
	while (u64map__next(&tr->sites, &it, NULL, (void **)&s))
		arr[n++] = s;
	qsort(arr, n, sizeof(*arr), cmp_sites);
	return n;
}

const struct tracker_stats *tracker__stats(const struct tracker *tr)
{
	return &tr->stats;
}

uint64_t tracker__windows_closed(const struct tracker *tr)
{
	return tr->windows_closed;
}
